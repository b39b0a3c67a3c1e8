"""The cells of a 部门决算 as its table readers walk them: the layout stage's cells once, where each
table row ends, and the amount unit in force at each line."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ... import layout
from ...layout import Cell
from ...numbers import EMPTY_MARKS, is_overflow, to_halfwidth

# A row with more cells than this is a flattened table: its cells carry no row boundary.
MAX_ROW_CELLS = 14

UNIT_MARK = re.compile(r"(?:单位|金额单位)\s*[:：]\s*(万元|元)")
PAREN_UNIT = re.compile(r"[（(]\s*(万元|元)\s*[）)]")
_EMPTY_LIKE = EMPTY_MARKS | {"——", "—"}


@dataclass
class Stream:
    """The document's cells in reading order, and whether each one ends a table row."""

    cells: list[Cell]
    ends: list[bool]

    def __len__(self) -> int:
        return len(self.cells)

    def value(self, i: int) -> bool:
        """A number or an overflow mark (#####)."""
        c = self.cells[i]
        return c.num is not None or is_overflow(c.text)

    def value_run(self, i: int, *, empties: bool = False, limit: int | None = None) -> int:
        """End index of the run of value cells starting at i; a run never crosses a row end.

        With `empties`, dashes and percentages count too (the 年度资金总额 and 总分 rows).
        """
        j, n = i, len(self.cells)
        while j < n and (limit is None or j - i < limit):
            if not (self.value(j) or (empties and is_funds_cell(self.cells[j]))):
                break
            j += 1
            if self.ends[j - 1]:
                break
        return j


def stream_of(lines: Sequence[str]) -> Stream:
    """layout.cells of the lines; a cell ends a row when it is the last of a row of 2 to
    MAX_ROW_CELLS cells (one cell alone on its line ends nothing: one cell per line)."""
    cells = list(layout.cells(lines))
    ends = [False] * len(cells)
    start = 0
    for i in range(1, len(cells) + 1):
        if i == len(cells) or cells[i].row != cells[start].row:
            if 2 <= i - start <= MAX_ROW_CELLS:
                ends[i - 1] = True
            start = i
    return Stream(cells, ends)


def is_empty_mark(text: str) -> bool:
    return to_halfwidth(text).strip() in _EMPTY_LIKE


def is_funds_cell(cell: Cell) -> bool:
    """A cell of the funds block: a number, a percentage, ##### or a dash."""
    if cell.num is not None:
        return True
    key = cell.key
    if key in _EMPTY_LIKE or (key[:1] == "#" and is_overflow(key)):
        return True
    return key[-1:] in "%％" and layout.number(key[:-1]) is not None


class UnitTrack:
    """The amount unit in force at each line: the last 单位：万元 / 单位：元 mark above it."""

    def __init__(self, lines: Sequence[str], default: str):
        self.at: list[int] = []
        self.units: list[str] = []
        self.default = default
        for no, line in enumerate(lines, 1):
            if "单位" in line:
                m = UNIT_MARK.search(line)
                if m:
                    self.at.append(no)
                    self.units.append(m.group(1))

    def unit(self, line: int) -> str:
        k = bisect.bisect_right(self.at, line) - 1
        return self.units[k] if k >= 0 else self.default
