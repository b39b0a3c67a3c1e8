"""Row builders shared by the kind parsers, so every row has the contract's shape."""

from __future__ import annotations

import re
from functools import lru_cache
from unicodedata import east_asian_width

from .numbers import rate_pct
from .schema import IndicatorRow, ProjectRow
from .targets import parse_actual, parse_target, status
from .vocab import simplified

_SPACE = re.compile(r"\s")
_WRAP_CJK = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")
_WRAP_MIXED = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[\x00-\x7f])|(?<=[\x00-\x7f])\s+(?=[^\x00-\x7f])")
_SPACES = re.compile(r"\s+")
# The 年度资金总额 columns of the national 项目支出绩效自评表, in the order printed when a table's
# header was not read, with their printed names (for findings).
FUNDS_COLUMNS = ("initial", "budget", "actual", "weight", "rate", "score")
FUNDS_LABELS = {
    "initial": "年初预算数",
    "budget": "全年预算数",
    "actual": "全年执行数",
    "weight": "分值",
    "rate": "执行率",
    "score": "得分",
}
# A text is a word processor's one-cell-per-line export (every cell on a line of its own, led by a
# tab; a blank line ends the row) when at least this share of its lines holding a tab are such
# single tab-led cells. Tab-separated rows have several cells a line.
CELL_LINE_SHARE = 0.5
_CELL_LINE = re.compile(r"^\t[^\t\n]*$", re.MULTILINE)
_TAB_LINE = re.compile(r"^[^\t\n]*\t", re.MULTILINE)
# A cell of a row aligned with spaces: words apart by single spaces, cells by two or more.
_ALIGNED_CELL = re.compile(r"\S+(?: \S+)*")


def clean_name(text: str | None) -> str | None:
    """A name as printed, with white space from line wrapping removed between CJK characters."""
    if text is None:
        return None
    s = str(text).strip()
    # Most names: nothing to join (the parsers call this a lot). White space other than ' ' is
    # never printable, so a printable text without ' ' has none; the regex decides the rest.
    if (" " not in s and s.isprintable()) or _SPACE.search(s) is None:
        return s or None
    s = _WRAP_CJK.sub("", s)
    s = _WRAP_MIXED.sub("", s)
    s = _SPACES.sub(" ", s)
    return s or None


def is_cell_line_export(text: str) -> bool:
    """Whether a text is laid out one cell per line, each cell led by a tab (as the 004 seed)."""
    if "\n\t" not in text and not text.startswith("\t"):
        return False
    cells = len(_CELL_LINE.findall(text))
    return cells > 0 and cells >= CELL_LINE_SHARE * len(_TAB_LINE.findall(text))


def cell_above(row_line: str, rest_line: str) -> str | None:
    """The cell of a row that a lone piece of text on the line below sits under (a cell too narrow
    for its text wraps its rest onto the next line, in the same column).

    Tab-separated lines are compared by tab position, lines aligned with runs of spaces by where
    the text starts. None when the text is not indented (it could be any cell's rest) or when the
    row has no cell there.
    """
    if "\t" in rest_line:
        rest = rest_line.split("\t")
        col = next((k for k, c in enumerate(rest) if c.strip()), None)
        cells = row_line.split("\t")
        if col is None or col >= len(cells) or "\t" not in row_line:
            return None
        return cells[col].strip() or None
    offset = len(rest_line) - len(rest_line.lstrip())
    if not offset or "\t" in row_line:
        return None
    # Columns line up on the page: count display columns, two for a wide (CJK) character.
    above = None
    for m in _ALIGNED_CELL.finditer(row_line):
        if _width(row_line[: m.start()]) > offset:
            break
        above = m.group(0)
    return above


def _width(text: str) -> int:
    return len(text) + sum(east_asian_width(ch) in "WF" for ch in text if ord(ch) > 0x7F)


def project_row(
    level: str,
    project: str,
    source_line: int,
    *,
    budget_wan: float | None = None,
    actual_wan: float | None = None,
    reported_rate_pct: float | None = None,
    initial_budget_wan: float | None = None,
    score: float | None = None,
    grade: str | None = None,
    problems: str | None = None,
    rectification: str | None = None,
    end_line: int | None = None,
    **extra,
) -> ProjectRow:
    """A projects row; `extra` are further columns of schema.ProjectRow (alt_*, funds_*, …)."""
    row: ProjectRow = {
        "level": level,
        "project": clean_name(project),
        "initial_budget_wan": initial_budget_wan,
        "budget_wan": budget_wan,
        "actual_wan": actual_wan,
        "reported_rate_pct": reported_rate_pct,
        "execution_rate_pct": rate_pct(actual_wan, budget_wan),
        "score": score,
        "grade": grade,
        "problems": problems or None,
        "rectification": rectification or None,
        "source_line": source_line,
        "end_line": end_line if end_line is not None else source_line,
    }
    row.update(extra)  # schema.to_table rejects a key ProjectRow does not declare
    return row


@lru_cache(maxsize=4096)
def _level(text: str | None) -> str | None:
    """一级/二级 as the row keeps it (a few distinct words: cached)."""
    return clean_name(simplified(text) if text else text)


def indicator_row(
    project: str | None,
    name: str,
    source_line: int,
    *,
    level1: str | None = None,
    level2: str | None = None,
    target_text: str | None = None,
    actual_text: str | None = None,
    weight: float | None = None,
    score: float | None = None,
    deviation_reason: str | None = None,
    declaration: bool = False,
) -> IndicatorRow:
    op, value, unit = parse_target(target_text)
    return {
        "project": clean_name(project) if project else None,
        # 一级/二级 are the forms' categories: read in simplified characters whatever the print
        # (a 產出指標 is the 产出指标 of every other document); names keep their printed form.
        "level1": _level(level1),
        "level2": _level(level2),
        "name": clean_name(name),
        "target_text": (target_text or "").strip() or None,
        "actual_text": (actual_text or "").strip() or None,
        "target_op": op,
        "target_value": value,
        "target_unit": unit,
        "actual_value": parse_actual(actual_text),
        "weight": weight,
        "score": score,
        "deviation_reason": (deviation_reason or "").strip() or None,
        "status": status(target_text, actual_text, weight, score, declaration),
        "source_line": source_line,
    }
