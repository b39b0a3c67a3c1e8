"""Figures read by OCR, checked by their format and their row's arithmetic, and re-read.

The recogniser reads a figure wrong at a high confidence often enough that confidence alone does
not catch it (bench/bench_ocr.py, 150 dpi scans rotated 1–3°: `2,309..12`, `2,6714` for
`2,670.14`, `27,805,184.002`, `,171.00` for `13,272,171.00`, all scored 0.84–0.98). Its
detector boxes are the weak part: the same cell cut tight around its ink and read again comes
out right nearly always. So, on one page:

1. Format and ink: a figure cell must read as one number (`1,234.56`, `1234.5`, `98.60%`;
   commas in groups of three, one decimal point), and an amount with decimals has as many as
   the page's other amounts (a form prints them alike). A cell that does not, or that was read
   below the confidence threshold, or that holds ink outside the boxes read in it (a wrapped
   `0`, the front of a figure, a lone digit the detector missed in an empty cell), is re-read:
   its ink (inside its ruled cell, rule remnants dropped) is cut out, padded and read again at
   RE_READ_STRETCHES. The reading most of the readings agree on among the well-formed ones is
   kept.
2. Arithmetic: a row holding a rate (`98.60%`) beside an amount has all its figures re-read
   (an amount misread can still pass the check below), and must have two figures whose
   quotient is the rate, within what the printed roundings allow (执行数 ÷ 预算数 =
   执行率 whatever the columns are called). Where the readings most agree on fail it, the
   combination of readings that passes wins; when it differs from what the readings alone
   would give, the cell keeps the other readings (a VALUE_INFERRED finding names them).
3. What neither settles keeps a doubt (format or arithmetic): the cell gets an
   OCR_LOW_CONFIDENCE finding, whatever its confidence, so no figure is wrong silently.

No digit is ever made up: every value kept is one the recogniser read.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# A cut-out figure is read again stretched sideways by each of these: three readings to vote
# among. The recogniser sees every line 48 pixels high whatever its scale, so scaling changes
# nothing; stretching gives each character more columns, and `00` no longer reads as `0`.
RE_READ_STRETCHES = (1.2, 1.45, 1.7)
# Padding around a figure's ink before reading it: shares of the ink's height.
PAD_HEIGHT = 0.3
PAD_WIDTH = 0.6
# Pixels a ruled cell is cut inside its rules, so that the rules stay out of the cut.
RULE_INSET_PX = 3
# Ink blobs smaller than this many pixels are noise, not strokes.
MIN_BLOB_PX = 3
# At most this many combinations of readings are tried for one row's arithmetic.
MAX_COMBINATIONS = 512

DOUBT_FORMAT = "格式异常"
DOUBT_ARITHMETIC = "执行率与金额不符"
DOUBT_VOTES = "多次识别结果不一"

_FIGURE = re.compile(r"^-?[\d,.]*\d[\d,.]*%?$")
_NUMBER = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?%?$")


@dataclass
class Figure:
    """One cell's reading under check: its text, confidence, where its ink lies on the upright
    page (pixels), whether that is a ruled cell, and what re-reading and the checks made of it."""

    text: str
    confidence: float | None
    region: tuple[float, float, float, float] | None
    ruled: bool = False
    unread: bool = False  # the cell holds ink that no box read
    readings: list[tuple[str, float]] = field(default_factory=list)  # re-read, not the first
    doubt: str | None = None
    others: tuple[str, ...] = ()  # readings the arithmetic chose against

    @property
    def is_figure(self) -> bool:
        return bool(_FIGURE.match(_bare(self.text)))


def _bare(text: str) -> str:
    return "".join(text.split())


def well_formed(text: str) -> bool:
    """One number as forms print it: commas in groups of three, one decimal point."""
    return bool(_NUMBER.match(_bare(text)))


def decimals(text: str) -> int | None:
    bare = _bare(text).rstrip("%")
    return len(bare.split(".", 1)[1]) if "." in bare else None


def value_of(text: str) -> float | None:
    bare = _bare(text)
    if not well_formed(bare):
        return None
    return float(bare.rstrip("%").replace(",", ""))


def is_rate(text: str) -> bool:
    return _bare(text).endswith("%")


def is_amount(text: str) -> bool:
    """An amount, as opposed to a count or a score: printed with decimals or thousands commas."""
    bare = _bare(text)
    return not bare.endswith("%") and ("." in bare or "," in bare)


@dataclass(frozen=True)
class Style:
    """How the page prints its amounts: decimals (None: no common count) and whether it groups
    thousands with commas."""

    places: int | None = None
    commas: bool = False


def page_style(rows: Sequence[Sequence[Figure]]) -> Style:
    """The most common way the page's well-formed amounts are printed, among those read whole
    (no ink beside them unread: a page of amounts wrapped in their cells reads `1,234.5`)."""
    amounts = [
        _bare(f.text)
        for row in rows
        for f in row
        if f.is_figure and not f.unread and well_formed(f.text) and is_amount(f.text)
    ]
    places = Counter(decimals(t) for t in amounts if decimals(t))
    large = [t for t in amounts if len(_whole(t)) > 3]
    return Style(
        places.most_common(1)[0][0] if places else None,
        bool(large) and sum("," in t for t in large) * 2 > len(large),
    )


def _whole(text: str) -> str:
    """The digits before the decimal point."""
    return re.sub(r"\D", "", _bare(text).rstrip("%").split(".", 1)[0])


def fits_page(text: str, style: Style) -> bool:
    """Well formed, and printed as the page prints amounts: an amount with decimals (or any
    figure of more than three whole digits, which is an amount too) has the page's number of
    them, and thousands grouped where the page groups them."""
    if not well_formed(text):
        return False
    if is_rate(text):
        return True
    large = len(_whole(text)) > 3
    if style.places is not None and (large or decimals(text) is not None):
        if decimals(text) != style.places:
            return False
    return not (style.commas and large and "," not in text)


def rate_explained(figures: Sequence[str]) -> bool | None:
    """Whether some rate of the row is the quotient of two of its other figures (None: the row
    holds no rate beside an amount, nothing to check). Any figure may be one of the two, since
    a misread amount may have lost its comma and point (`14` for `2,670.14`). The allowance is
    what the printed roundings let the quotient move: half a unit of each figure's last place,
    and one unit of the rate's."""
    rates = [(value_of(t), decimals(t) or 0) for t in figures if is_rate(t)]
    if not rates or not any(is_amount(t) for t in figures):
        return None
    others = [(value_of(t), decimals(t) or 0) for t in figures if not is_rate(t)]
    others = [(v, d) for v, d in others if v is not None]
    for rate, rate_places in rates:
        if rate is None:
            continue
        for (a, da), (b, db) in itertools.permutations(others, 2):
            if a <= 0:
                continue
            quotient = 100 * b / a
            slack = quotient * (0.5 * 10**-da / a + 0.5 * 10**-db / max(b, 1e-9))
            if abs(quotient - rate) <= slack + 10**-rate_places + 1e-9:
                return True
    return False


def choose(figure: Figure, style: Style) -> None:
    """The reading most readings agree on among those that fit the page; a doubt when none
    fits or the fitting ones disagree without a majority. An empty cell holding ink gets the
    figure most of its readings agree on, or stays empty."""
    votes: Counter[str] = Counter()
    best: dict[str, float] = {}
    for text, score in [(figure.text, figure.confidence or 0.0), *figure.readings]:
        bare = _bare(text)
        if fits_page(bare, style):
            votes[bare] += 1
            best[bare] = max(best.get(bare, 0.0), score)
    ranked = sorted(votes, key=lambda t: (votes[t], best[t]), reverse=True)
    if not figure.text:  # ink in a cell no box read: a figure only where most readings agree
        if ranked and votes[ranked[0]] * 2 > len(figure.readings):
            figure.text, figure.confidence = ranked[0], best[ranked[0]]
        return
    if not votes:
        figure.doubt = DOUBT_FORMAT
        return
    top = ranked[0]
    figure.text, figure.confidence = top, best[top]
    if len(ranked) > 1 and votes[ranked[1]] == votes[top]:
        figure.doubt = DOUBT_VOTES
    else:
        figure.doubt = None


def options(figure: Figure, style: Style) -> list[str]:
    """The distinct readings of a cell that fit the page, most agreed first."""
    votes = Counter(
        _bare(t) for t, _ in [(figure.text, 0.0), *figure.readings] if fits_page(_bare(t), style)
    )
    return [t for t, _ in votes.most_common()] or [figure.text]


def check_page(
    rows: Sequence[Sequence[Figure]],
    reread: Callable[[list[Figure]], None],
    threshold: float,
) -> None:
    """Check and settle the figures of one page in place (see the module's docstring).
    reread(figures) fills each figure's `readings`."""
    style = page_style(rows)
    doubtful = [
        f
        for row in rows
        for f in row
        if (f.is_figure and (not fits_page(f.text, style) or (f.confidence or 0.0) < threshold))
        or (f.unread and (f.is_figure or not f.text))
    ]
    if doubtful:
        reread([f for f in doubtful if f.region is not None])
        for f in doubtful:
            choose(f, style)
    # Rows with a rate beside amounts (funds rows, totals): every figure read twice, since a
    # misread amount can still pass the arithmetic (`221,073,412.00` beside a 年初预算数 and a
    # 执行数 of 21,073,412.00 at 100.00%).
    checked = [
        [f for f in row if f.is_figure]
        for row in rows
        if rate_explained([f.text for f in row if f.is_figure]) is not None
    ]
    rest = [f for row in checked for f in row if not f.readings and f.region is not None]
    if rest:
        reread(rest)
        for f in rest:
            choose(f, style)
    for figures in checked:
        _settle_row(figures, style)


def _settle_row(figures: list[Figure], style: Style) -> None:
    """The combination of the row's readings that passes its arithmetic, most agreed on; a
    doubt on the row's amounts and rates when none does or two disagree equally."""
    if rate_explained([f.text for f in figures]):
        return
    choices = [options(f, style) for f in figures]
    passing = []
    for n, combo in enumerate(itertools.product(*choices)):
        if n >= MAX_COMBINATIONS:
            break
        if rate_explained(combo):
            # rank: how far down each cell's list of readings the combination reaches
            passing.append((sum(c.index(t) for c, t in zip(choices, combo, strict=True)), combo))
    passing.sort(key=lambda p: p[0])
    if not passing or (len(passing) > 1 and passing[1][0] == passing[0][0]):
        for f in figures:  # the amounts and rates, not a 序号 or a score beside them
            if is_amount(f.text) or is_rate(f.text) or not fits_page(f.text, style):
                f.doubt = f.doubt or DOUBT_ARITHMETIC
        return
    for f, text, cell_choices in zip(figures, passing[0][1], choices, strict=True):
        if text != _bare(f.text):
            f.others = tuple(t for t in cell_choices if t != text)
            f.text = text
            f.confidence = max((s for t, s in f.readings if _bare(t) == text), default=None)
        f.doubt = None
