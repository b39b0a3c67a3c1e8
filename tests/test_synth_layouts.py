"""synth.layouts: each renderer prints the table it is given, and its truth points at the text."""

from __future__ import annotations

import random
import re

import pytest

from synth import layouts as lay
from synth.generator import INDICATOR_WORDS, PROJECT_WORDS, REASONS

SEEDS = range(10)
WRAP_WIDTH = 10  # display columns: wraps most names and 三级指标 of the sample tables
MARKER = re.compile(r"^(- \d+ -|第 \d+ [页頁])$|^\d+、")
NO_SPACES = (lay.SINGLE_SPACED, lay.FLAT_LINE)


def _table(layout: str, seed: int) -> list[list[str]]:
    rng = random.Random(f"table:{seed}")
    return lay.sample_table(rng, 2 + seed % 6, inner_spaces=layout not in NO_SPACES)


def _render(layout: str, seed: int, **options) -> lay.Rendered:
    return lay.render(_table(layout, seed), layout, random.Random(seed), **options)


def _lines(rendered: lay.Rendered) -> list[str]:
    assert rendered.text.endswith("\n")
    return rendered.text[:-1].split("\n")


def _printed(cells) -> list[str]:
    return [c for c in cells if c]


OPTIONS = {
    "plain": {},
    "wrapped": {"wrap_width": WRAP_WIDTH},
    "page_breaks": {"page_breaks": 2},
    "traditional": {"traditional": True},
    "all": {"wrap_width": WRAP_WIDTH, "page_breaks": 2, "traditional": True},
}
CASES = [
    (layout, name)
    for layout in lay.LAYOUTS
    for name, options in OPTIONS.items()
    if "wrap_width" not in options or layout in lay.WRAPPING_LAYOUTS
]


# ---------------------------------------------------------------- truth of every layout


@pytest.mark.parametrize(("layout", "option"), CASES)
def test_truth_rows_are_the_table_and_their_lines_hold_their_first_and_last_cells(layout, option):
    options = OPTIONS[option]
    width = options.get("wrap_width")
    for seed in SEEDS:
        table = _table(layout, seed)
        rendered = lay.render(table, layout, random.Random(seed), **options)
        lines = _lines(rendered)
        convert = lay.to_traditional if options.get("traditional") else str
        assert [list(r.cells) for r in rendered.rows] == [[convert(c) for c in r] for r in table]
        previous_end = 0
        for row in rendered.rows:
            assert 1 <= row.start_line <= row.end_line <= len(lines)
            if layout in lay.ONE_LINE:
                assert row.start_line >= previous_end
            else:
                assert row.start_line > previous_end
            previous_end = row.end_line
            if layout == lay.GLUED:  # a page may break inside a cell: read the row's lines whole
                span = "".join(
                    MARKER.sub("", line) for line in lines[row.start_line - 1 : row.end_line]
                )
                assert "".join(_printed(row.cells)) in span
                continue
            cells = list(row.cells) if layout in lay.KEEPS_EMPTY_CELLS else _printed(row.cells)
            pieces = [lay.wrap_cell(c, width) if width and c else [c] for c in cells]
            start, end = lines[row.start_line - 1], lines[row.end_line - 1]
            assert pieces[0][0] in start, (row, start)
            if layout in lay.ROW_PER_LINE:  # the last line holds the cells wrapped the most
                height = row.end_line - row.start_line + 1
                assert all(p[-1] in end for p in pieces if len(p) == height), (row, end)
            else:
                assert pieces[-1][-1] in end, (row, end)


@pytest.mark.parametrize("layout", lay.LAYOUTS)
def test_the_same_rng_state_gives_the_same_text(layout):
    for seed in SEEDS:
        options = {"page_breaks": 1, "traditional": seed % 2 == 0}
        assert _render(layout, seed, **options) == _render(layout, seed, **options)


@pytest.mark.parametrize("layout", [lay.SPACED, lay.CELL_LINES_BARE])
def test_the_random_layouts_vary_with_the_seed(layout):
    table = _table(layout, 3)
    texts = {lay.render(table, layout, random.Random(seed)).text for seed in SEEDS}
    assert len(texts) > 1


# ---------------------------------------------------------------- one layout at a time


def test_tab_rows_split_back_on_tabs():
    for seed in SEEDS:
        rendered = _render(lay.TAB, seed)
        lines = _lines(rendered)
        assert len(lines) == len(rendered.rows)
        for row in rendered.rows:
            assert row.start_line == row.end_line
            assert lines[row.start_line - 1].split("\t") == list(row.cells)


def test_a_wrapped_tab_row_keeps_every_column_and_its_pieces_join_back():
    wrapped = 0
    for seed in SEEDS:
        rendered = _render(lay.TAB, seed, wrap_width=WRAP_WIDTH)
        lines = _lines(rendered)
        wrapped += sum(r.end_line > r.start_line for r in rendered.rows)
        for row in rendered.rows:
            split = [line.split("\t") for line in lines[row.start_line - 1 : row.end_line]]
            assert {len(cells) for cells in split} == {len(row.cells)}
            assert ["".join(column) for column in zip(*split, strict=True)] == list(row.cells)
    assert wrapped > len(SEEDS)


def _column_of(line: str, char_index: int) -> int:
    return lay.display_width(line[:char_index])


def _text_at(line: str, column: int) -> str:
    """The line from display column `column` on ("" past its end)."""
    used = 0
    for i, ch in enumerate(line):
        if used == column:
            return line[i:]
        used += lay.display_width(ch)
    return ""


@pytest.mark.parametrize("wrap_width", [None, WRAP_WIDTH])
def test_spaced_columns_start_where_the_header_cells_start(wrap_width):
    for seed in SEEDS:
        rendered = _render(lay.SPACED, seed, wrap_width=wrap_width)
        lines = _lines(rendered)
        header = lines[0]
        starts = [m.start() for m in re.finditer(r"(?:(?<=  )|^)\S", header)]
        columns = [_column_of(header, i) for i in starts]
        assert len(columns) == len(rendered.rows[0].cells)  # every header cell is filled
        for row in rendered.rows:
            for k, line in enumerate(lines[row.start_line - 1 : row.end_line]):
                assert "\t" not in line and line == line.rstrip()
                for column, cell in zip(columns, row.cells, strict=True):
                    piece = lay.wrap_cell(cell, wrap_width) if wrap_width and cell else [cell]
                    piece = piece[k] if k < len(piece) else ""
                    at = _text_at(line, column)
                    assert at.startswith(piece), (line, column, piece)
                    if piece:  # a run of 2+ spaces (or the line's end) closes the cell
                        assert at[len(piece) :] == "" or at[len(piece) :].startswith("  ")
        if not wrap_width:
            for row in rendered.rows:
                line = lines[row.start_line - 1].strip()
                assert re.split(r" {2,}", line) == _printed(row.cells)


@pytest.mark.parametrize("layout", NO_SPACES)
def test_single_spaced_and_flat_line_split_back_on_single_spaces(layout):
    for seed in SEEDS:
        rendered = _render(layout, seed)
        lines = _lines(rendered)
        if layout == lay.FLAT_LINE:
            assert len(lines) == 1
            cells = [c for row in rendered.rows for c in _printed(row.cells)]
            assert lines[0].split(" ") == cells
        else:
            for row in rendered.rows:
                assert lines[row.start_line - 1].split(" ") == _printed(row.cells)


def test_cell_lines_tab_prints_each_cell_on_a_tab_led_line_and_a_blank_line_between_rows():
    for seed in SEEDS:
        rendered = _render(lay.CELL_LINES_TAB, seed)
        blocks = rendered.text[:-1].split("\n\n")
        assert [b.split("\n") for b in blocks] == [
            ["\t" + c for c in row.cells] for row in rendered.rows
        ]


def _blank_runs(lines: list[str], first: int, last: int) -> list[int]:
    """Lengths of the runs of blank lines between lines first and last (1-based, inclusive)."""
    runs, run = [], 0
    for line in lines[first - 1 : last]:
        if line:
            if run:
                runs.append(run)
            run = 0
        else:
            run += 1
    return runs


def test_cell_lines_bare_separates_rows_by_longer_blank_runs_than_any_inside_a_row():
    seen_gaps_inside = False
    for seed in range(40):
        rendered = _render(lay.CELL_LINES_BARE, seed)
        lines = _lines(rendered)
        assert not any(line.startswith((" ", "\t")) for line in lines)
        rows = rendered.rows
        inside = [n for r in rows for n in _blank_runs(lines, r.start_line, r.end_line)]
        between = [b.start_line - a.end_line - 1 for a, b in zip(rows, rows[1:], strict=False)]
        seen_gaps_inside |= bool(inside)
        assert all(1 <= n <= lay.BARE_MAX_GAP for n in between)
        if inside and between:
            assert max(inside) < min(between)
        for row in rows:
            printed = [line for line in lines[row.start_line - 1 : row.end_line] if line]
            assert printed == _printed(row.cells)
    assert seen_gaps_inside  # the rule is exercised: some rows have blank lines between cells


def test_pipe_end_prints_exactly_one_line_per_cell():
    for seed in SEEDS:
        rendered = _render(lay.PIPE_END, seed)
        lines = _lines(rendered)
        cells = [c for row in rendered.rows for c in row.cells]
        assert len(lines) == len(cells)
        assert lines == [f"{c} |" if c else "|" for c in cells]
        assert all(r.end_line - r.start_line + 1 == len(r.cells) for r in rendered.rows)


def test_pipe_row_and_markdown_split_back_on_their_pipes():
    for seed in SEEDS:
        rendered = _render(lay.PIPE_ROW, seed)
        lines = _lines(rendered)
        for row in rendered.rows:
            assert lines[row.start_line - 1].split(" | ") == list(row.cells)
        rendered = _render(lay.MARKDOWN, seed)
        lines = _lines(rendered)
        assert lines[1] == "|" + "---|" * len(rendered.rows[0].cells)
        assert 2 not in [r.start_line for r in rendered.rows]  # the separator is no row
        for row in rendered.rows:
            line = lines[row.start_line - 1]
            assert line.startswith("| ") and line.endswith(" |")
            assert line[2:-2].split(" | ") == list(row.cells)


def test_glued_prints_the_table_on_one_line_with_nothing_between_cells():
    for seed in SEEDS:
        rendered = _render(lay.GLUED, seed)
        cells = [c for row in rendered.rows for c in row.cells]
        assert rendered.text == "".join(cells) + "\n"
        assert {(r.start_line, r.end_line) for r in rendered.rows} == {(1, 1)}


@pytest.mark.parametrize(
    ("left", "right", "boundary"),
    [
        ("年度资金总额", "2456.18", lay.BOUNDARY_MARKED),
        ("2456.18", "2456.18", lay.BOUNDARY_DECIMALS),
        ("2456.18", "10", lay.BOUNDARY_DECIMALS),
        ("10", "100%", lay.BOUNDARY_HIDDEN),
        ("100%", "10", lay.BOUNDARY_MARKED),
        ("100%", "按收入性质分:", lay.BOUNDARY_MARKED),
        ("10", "按收入性质分:", lay.BOUNDARY_MARKED),
        ("全年预算数", "全年执行数", lay.BOUNDARY_HIDDEN),
        ("指标1", "100", lay.BOUNDARY_HIDDEN),
        ("—", "99%", lay.BOUNDARY_MARKED),
    ],
)
def test_glued_boundaries(left, right, boundary):
    assert lay.glued_boundary(left, right) == boundary


def test_glued_recoverable_cells_of_the_lingling_funds_row():
    # 年度资金总额 | 年初 | 全年预算 | 全年执行 | 分值 | 执行率 | 得分, as the 零陵区 page glues it
    row = ["年度资金总额", "2456.18", "2456.18", "2456.18", "10", "100%", "10"]
    assert lay.render([row], lay.GLUED).text == "年度资金总额2456.182456.182456.1810100%10\n"
    assert lay.glued_recoverable([row]) == [[True, True, True, True, False, False, True]]
    assert lay.glued_recoverable([row], decimals_known=False) == [
        [True, False, False, False, False, False, True]
    ]
    assert lay.glued_recoverable([["分值", "", "10"]]) == [[True, False, True]]


# ---------------------------------------------------------------- page breaks


def _without_markers(rendered: lay.Rendered) -> str:
    """The text with its page markers taken out and the lines a break cut joined again."""
    kept = []
    for n, line in enumerate(_lines(rendered), start=1):
        if n in rendered.marker_lines:
            if re.fullmatch(r"- \d+ -|第 \d+ [页頁]", line):
                continue
            line = re.sub(r"^\d+、", "", line)
        kept.append(line)
    if rendered.layout not in lay.ONE_LINE:
        return "\n".join(kept) + "\n"
    return (" " if rendered.layout == lay.FLAT_LINE else "").join(kept) + "\n"


@pytest.mark.parametrize("layout", lay.LAYOUTS)
@pytest.mark.parametrize("style", lay.PAGE_STYLES)
def test_page_markers_sit_inside_the_table_and_removing_them_gives_the_unbroken_text(layout, style):
    for seed in SEEDS:
        table = _table(layout, seed)
        unbroken = lay.render(table, layout, random.Random(seed))
        rendered = lay.render(table, layout, random.Random(seed), page_breaks=2, page_style=style)
        lines = _lines(rendered)
        assert len(rendered.marker_lines) == 2
        pages = []
        for n in rendered.marker_lines:
            assert MARKER.search(lines[n - 1]), lines[n - 1]
            assert rendered.rows[0].start_line < n <= rendered.rows[-1].end_line
            pages.append(int(re.search(r"\d+", lines[n - 1]).group()))
        assert pages[1] == pages[0] + 1 and lay.FIRST_PAGE[0] <= pages[0] <= lay.FIRST_PAGE[1]
        assert _without_markers(rendered) == unbroken.text


def test_a_page_break_falls_between_rows_in_the_row_per_line_layouts():
    for layout in lay.ROW_PER_LINE:
        for seed in SEEDS:
            rendered = _render(layout, seed, page_breaks=1, page_style=lay.PAGE_DASH)
            (marker,) = rendered.marker_lines
            assert not any(r.start_line <= marker <= r.end_line for r in rendered.rows)


def test_more_page_breaks_than_places_is_refused():
    with pytest.raises(ValueError, match="page breaks"):
        lay.render([["a"], ["b"]], lay.TAB, page_breaks=2)


# ---------------------------------------------------------------- traditional characters


def test_the_traditional_map_is_one_to_one_and_never_maps_onto_a_simplified_character():
    assert all(s != t for s, t in lay.TRADITIONAL.items())
    assert len(set(lay.TRADITIONAL.values())) == len(lay.TRADITIONAL)
    assert not set(lay.TRADITIONAL.values()) & set(lay.TRADITIONAL)


@pytest.mark.parametrize(
    ("simplified", "traditional"),
    [
        ("卫生健康局", "衛生健康局"),
        ("预算执行率", "預算執行率"),
        ("项目支出绩效自评表", "項目支出績效自評表"),
        ("资金总额", "資金總額"),
        ("单位：万元", "單位：萬元"),
        ("医疗服务质量满意度", "醫療服務質量滿意度"),
        ("区县", "區縣"),
        ("调整后预算数", "調整後預算數"),
        ("第 3 页", "第 3 頁"),
    ],
)
def test_form_words_in_traditional_characters(simplified, traditional):
    assert lay.to_traditional(simplified) == traditional
    assert lay.to_simplified(traditional) == simplified


def test_the_forms_vocabulary_round_trips_through_the_inverse_map():
    words = [*PROJECT_WORDS, *REASONS, *lay.FUNDS_HEADER, *lay.INDICATOR_HEADER]
    words += [w for entry in INDICATOR_WORDS for w in entry]
    changed = 0
    for word in words:
        converted = lay.to_traditional(word)
        assert lay.to_simplified(converted) == word
        changed += converted != word
    assert changed > len(words) * 0.8  # the map covers the forms' characters


@pytest.mark.parametrize("layout", lay.LAYOUTS)
def test_a_traditional_table_is_the_simplified_one_converted(layout):
    for seed in SEEDS:
        options = {"page_breaks": 1, "page_style": lay.PAGE_OF}
        plain = _render(layout, seed, **options)
        converted = _render(layout, seed, traditional=True, **options)
        assert converted.text == lay.to_traditional(plain.text)
        assert lay.to_simplified(converted.text) == plain.text
        assert [r.start_line for r in converted.rows] == [r.start_line for r in plain.rows]


# ---------------------------------------------------------------- helpers and misuse


@pytest.mark.parametrize(
    ("text", "width"), [("项目", 4), ("ab", 2), ("（一期）", 8), ("≥95%", 4), ("", 0)]
)
def test_display_width(text, width):
    assert lay.display_width(text) == width


@pytest.mark.parametrize(
    "text",
    ["便捷就医服务数字化转型平台建设", "指标3: 培训人次", "实施单位 (盖章)", "ab cd", "项目"],
)
def test_wrapped_pieces_fit_and_join_back(text):
    for width in range(2, 14):
        pieces = lay.wrap_cell(text, width)
        assert "".join(pieces) == text
        assert all(lay.display_width(p) <= width for p in pieces)
        assert all(p == p.strip() for p in pieces) or width < 4


def test_the_layout_classes_split_the_layouts_by_how_rows_meet_lines():
    classes = (lay.ROW_PER_LINE, lay.CELL_PER_LINE, lay.ONE_LINE)
    assert sorted(x for c in classes for x in c) == sorted(lay.LAYOUTS)
    assert len(set(lay.LAYOUTS)) == len(lay.LAYOUTS) == 10


def test_shifted_moves_every_line_number():
    rendered = _render(lay.TAB, 1, page_breaks=1)
    moved = rendered.shifted(10)
    assert [r.start_line - 10 for r in moved.rows] == [r.start_line for r in rendered.rows]
    assert [n - 10 for n in moved.marker_lines] == list(rendered.marker_lines)
    assert moved.text == rendered.text


def test_sample_tables_suit_every_layout():
    for seed in range(50):
        table = lay.sample_table(random.Random(seed), 8, inner_spaces=False)
        assert not any(" " in c for row in table for c in row)
        assert all(any(row) for row in table)
        for layout in lay.LAYOUTS:
            lay.render(table, layout, random.Random(seed))


@pytest.mark.parametrize(
    ("rows", "layout", "options", "message"),
    [
        ([["a"]], "csv", {}, "unknown layout"),
        ([], lay.TAB, {}, "at least one row"),
        ([["a"], []], lay.TAB, {}, "no cells"),
        ([["a", "b\nc"]], lay.TAB, {}, "line break"),
        ([[" a"]], lay.SPACED, {}, "white space"),
        ([["a\tb"]], lay.TAB, {}, "tab"),
        ([["a|b"]], lay.PIPE_END, {}, "pipe"),
        ([["a|b"]], lay.MARKDOWN, {}, "pipe"),
        ([["a b"]], lay.SINGLE_SPACED, {}, "space"),
        ([["a b"]], lay.FLAT_LINE, {}, "space"),
        ([["a  b"]], lay.SPACED, {}, "run of spaces"),
        ([["a"], ["", ""]], lay.GLUED, {}, "no text"),
        ([["a"], ["", ""]], lay.CELL_LINES_BARE, {}, "no text"),
        ([["a"]], lay.PIPE_ROW, {"wrap_width": 8}, "does not wrap"),
        ([["a"]], lay.TAB, {"wrap_width": 1}, "wrap width"),
        ([["a"], ["b"]], lay.TAB, {"page_breaks": 1, "page_style": "roman"}, "page style"),
    ],
)
def test_ambiguous_tables_and_unknown_options_are_refused(rows, layout, options, message):
    with pytest.raises(ValueError, match=message):
        lay.render(rows, layout, **options)
