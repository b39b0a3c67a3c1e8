"""Figures read by OCR: the format and arithmetic checks that decide what is re-read, kept,
chosen by the arithmetic, or left in doubt (loaders/ocr_figures.py), without the recogniser."""

from __future__ import annotations

import pytest

from loaders.ocr_figures import (
    DOUBT_ARITHMETIC,
    DOUBT_FORMAT,
    Figure,
    Style,
    check_page,
    fits_page,
    rate_explained,
    well_formed,
)

THRESHOLD = 0.8
BOX = (0.0, 0.0, 10.0, 10.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,071.94", True),
        ("1071.94", True),
        ("100.00%", True),
        ("10", True),
        ("2,309..12", False),  # a doubled decimal point
        ("2,6714", False),  # a lost decimal point: a group of four after the comma
        (",171.00", False),  # the front of the figure lost
        ("1.2.3", False),
        ("1,2O4.00", False),
    ],
)
def test_well_formed(text, expected):
    assert well_formed(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18,689,794.00", True),
        ("18,689,794.010", False),  # a third decimal where the page prints two
        ("16,362,361.0", False),
        ("186897940", False),  # an amount's commas and point lost
        ("10", True),  # a score: no decimals to compare
        ("10.00", True),
        ("103.93%", True),
    ],
)
def test_fits_the_pages_amounts(text, expected):
    assert fits_page(text, Style(places=2, commas=True)) is expected


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["1,626.31", "1,792.46", "110.22%"], True),
        (["1,153.36", "1,071.94", "1,071.94", "10", "100.00%", "10.00"], True),
        (["2,569.10", "2,670.14", "103.93%"], True),
        (["2,569.10", "2,607.14", "103.93%"], False),  # one digit read wrong
        (["6,495,936.00", "7,704,061.00", "118.60%"], True),  # yuan: rate is unit-free
        (["1", "2,569.10", "14", "103.93%"], False),  # `14` read for `2,670.14`
        (["18", "18"], None),  # an indicator row: nothing to check
        (["95.00%", "45", "45"], None),
        (["≥80%", "78%", "27", "26"], None),
    ],
)
def test_rate_explained_by_two_amounts(cells, expected):
    assert rate_explained(cells) is expected


def row(*cells: tuple[str, float]) -> list[Figure]:
    return [Figure(text, conf, BOX, ruled=True) for text, conf in cells]


def test_malformed_figure_is_replaced_by_the_reading_most_agree_on():
    page = [row(("2,569.10", 0.99), ("2,6714", 0.98), ("103.93%", 0.99))]
    readings = {
        "2,6714": ["2,670.14", "2,670.14", "2,67.14"],
        "2,569.10": ["2,569.10"] * 3,
        "103.93%": ["103.93%"] * 3,
    }
    calls = []

    def reread(figures):
        calls.append([f.text for f in figures])
        for f in figures:
            f.readings += [(t, 0.9) for t in readings[f.text]]

    check_page(page, reread, THRESHOLD)
    # the doubtful one first; then, its row holding a rate, the rest of the row's figures
    assert calls == [["2,6714"], ["2,569.10", "103.93%"]]
    assert [(f.text, f.doubt, f.others) for f in page[0]] == [
        ("2,569.10", None, ()),
        ("2,670.14", None, ()),
        ("103.93%", None, ()),
    ]


def test_an_amount_misread_that_passes_the_arithmetic_is_outvoted():
    # 年初预算数, 全年预算数 (misread with a digit too many), 全年执行数, 分值, 执行率, 得分
    page = [
        row(
            ("21,073,412.00", 0.99),
            ("221,073,412.00", 0.89),
            ("21,073,412.00", 0.99),
            ("10", 0.99),
            ("100.00%", 0.99),
            ("10.00", 0.99),
        )
    ]

    def reread(figures):
        for f in figures:
            f.readings += [(f.text.removeprefix("2") if f.text[:2] == "22" else f.text, 0.9)] * 3

    check_page(page, reread, THRESHOLD)
    assert [f.text for f in page[0]][:3] == ["21,073,412.00"] * 3
    assert all(f.doubt is None for f in page[0])


def test_arithmetic_chooses_among_readings_and_says_so():
    # every cell well formed, but the row does not add up: all re-read, one cell disagrees
    page = [row(("2,569.10", 0.99), ("2,607.14", 0.97), ("103.93%", 0.99))]
    readings = {
        "2,569.10": ["2,569.10"] * 3,
        "2,607.14": ["2,607.14", "2,670.14", "2,607.14"],
        "103.93%": ["103.93%"] * 3,
    }

    def reread(figures):
        for f in figures:
            f.readings += [(t, 0.9) for t in readings[f.text]]

    check_page(page, reread, THRESHOLD)
    budget, actual, rate = page[0]
    assert (actual.text, actual.others, actual.doubt) == ("2,670.14", ("2,607.14",), None)
    assert budget.others == () and rate.others == ()


def test_what_neither_settles_keeps_a_doubt():
    page = [
        row(("2,569.10", 0.99), ("2,607.14", 0.99), ("103.93%", 0.99)),
        row(("1", 0.99), ("2,309..12", 0.95)),
    ]

    def reread(figures):
        for f in figures:
            f.readings += [(f.text, 0.9)] * 3  # read the same way again

    check_page(page, reread, THRESHOLD)
    assert [f.doubt for f in page[0]] == [DOUBT_ARITHMETIC] * 3
    assert [f.doubt for f in page[1]] == [None, DOUBT_FORMAT]
    assert page[1][1].text == "2,309..12"  # kept as read, never made up


def test_labels_and_rows_without_figures_are_left_alone():
    page = [[Figure("项目名称", 0.5, BOX), Figure("", None, BOX)], row(("18", 0.99), ("18", 0.99))]
    called = []
    check_page(page, called.append, THRESHOLD)
    assert called == [] or all(not fs for fs in called)
    assert all(f.doubt is None for r in page for f in r)


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        (["1", "1", "1"], "1"),  # a lone digit the detector missed
        (["1", "。", "7"], ""),  # no majority: left empty
        (["人员", "人员", "人员"], ""),  # a label, not a figure: left to the boxes
    ],
)
def test_ink_in_an_empty_cell_is_a_figure_only_where_readings_agree(readings, expected):
    cell = Figure("", None, BOX, ruled=True, unread=True)
    page = [row(("17", 0.99)) + [cell]]

    def reread(figures):
        assert figures == [cell]
        cell.readings += [(t, 0.9) for t in readings]

    check_page(page, reread, THRESHOLD)
    assert (cell.text, cell.doubt) == (expected, None)
