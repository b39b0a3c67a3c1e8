"""solve.read_funds: funds rows read under the form's arithmetic (glued figures, lost cells)."""

from __future__ import annotations

import pytest

from loaders.solve import _pieces, is_figures, read_funds

FULL = ["initial", "budget", "actual", "weight", "rate", "score"]


@pytest.mark.parametrize(
    ("roles", "texts", "budget", "actual", "rate"),
    [
        # glued by a document site: the 2-decimal cut is the only one that satisfies the form
        (FULL, ["2456.182456.182456.1810100%10"], 2456.18, 2456.18, 100.0),
        (["budget", "actual", "rate", "score"], ["10001000100%20"], 1000.0, 1000.0, 100.0),
        (["initial", "budget", "actual", "rate"], ["64.864.864.8100%"], 64.8, 64.8, 100.0),
        # a flattened sheet lost a cell: 0 is the 年初预算数, the amounts follow from the rate
        (
            ["budget", "actual", "weight", "rate", "score"],
            ["0", "207.4538", "10", "100%", "10"],
            207.4538,
            207.4538,
            100.0,
        ),
        # sources before their total: 中央 4.9 + 省地 18.4 = 合计 23.3; OCR printed 100 as 1(X)
        (
            ["source"] * 4 + ["budget", "actual", "rate"],
            ["4.918.423.323.31(X)%"],
            23.3,
            23.3,
            100.0,
        ),
        # plain rows read as printed
        (["budget", "actual", "rate"], ["2300.67", "2300.67", "100%"], 2300.67, 2300.67, 100.0),
    ],
)
def test_reading_that_fits_the_arithmetic(roles, texts, budget, actual, rate):
    r = read_funds(roles, texts)
    assert not r.ambiguous
    assert r.values["budget"] == pytest.approx(budget)
    assert r.values["actual"] == pytest.approx(actual)
    assert r.values["rate"] == pytest.approx(rate)


def test_glued_reading_is_reported_as_inferred():
    r = read_funds(FULL, ["2456.182456.182456.1810100%10"])
    assert r.inferred and r.fits
    assert "执行率" in r.why()


def test_plain_row_is_not_inferred():
    r = read_funds(["budget", "actual", "rate"], ["120", "96", "80%"])
    assert (r.inferred, r.fits) == (False, True)


def test_no_reading_fits_leaves_values_empty():
    # a rate that no cut of the figures reaches: nothing is taken
    r = read_funds(["budget", "actual", "rate"], ["1000900%"])
    assert r.ambiguous and not r.values


def test_disagreeing_readings_are_ambiguous():
    # nothing to check the amounts against: 12|34 or 1|234 …
    r = read_funds(["budget", "actual"], ["1234"])
    assert r.ambiguous and not r.values


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("10001000100%20", True),
        ("2456.18", False),
        ("92.5%", False),
        ("4.918.423.323.31(X)%", True),
        ("1(X)%", False),
        ("abc", False),
    ],
)
def test_is_figures(text, figures):
    assert is_figures(text) is figures


def test_pieces_keep_decimals_alike():
    cuts = _pieces("64.864.8")
    assert ["64.8", "64.8"] in cuts
    assert all(len(p.partition(".")[2]) in (0, 1) for cut in cuts for p in cut if "." in p)
