"""Positioned cells of paged documents (PDF pages, scans, photos) and their text for the loaders.

Every paged reader (text PDF, OCR) produces rows of `PageCell`s: the text of one table cell or
line piece, the page it sits on (1-based) and its box in points from the page's top-left
(x0, y0, x1, y1), with the OCR confidence where a recogniser read it. `tabulate` turns those rows
into the tab-separated text every other reader gives (one row a line, cells between tabs, pages
one after the other) and a `Geometry` that says, for every line of that text, where its cells
sat, so a row the kinds read from line N can be shown on its page (source_page, source_box).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class PageCell:
    """One cell on a page: its text, page (1-based), box (points, top-left origin)."""

    text: str
    page: int
    box: Box
    confidence: float | None = None  # 0..1 where OCR read it; None for a text layer
    doubt: str | None = None  # why an OCR reading is in doubt whatever its confidence
    others: tuple[str, ...] = ()  # other OCR readings the form's arithmetic chose against


@dataclass(frozen=True, slots=True)
class LineGeometry:
    """Where one line of the converted text sat: its page, the box around its cells, each
    cell's box by tab column, and the lowest OCR confidence among its cells."""

    page: int
    box: Box
    cells: tuple[Box | None, ...]
    confidence: float | None = None


@dataclass(frozen=True)
class Page:
    """A page's size in points, and how its text was read (text layer or OCR)."""

    number: int
    width: float
    height: float
    ocr: bool = False


@dataclass
class Geometry:
    """Line number (1-based, of the converted text) -> LineGeometry; the pages."""

    lines: dict[int, LineGeometry] = field(default_factory=dict)
    pages: list[Page] = field(default_factory=list)

    def locate(self, line: int | None, end_line: int | None = None) -> tuple[int, Box] | None:
        """(page, box) around lines line..end_line that sit on line's page, or None."""
        if line is None or line not in self.lines:
            return None
        first = self.lines[line]
        boxes = [first.box]
        for n in range(line + 1, (end_line or line) + 1):
            g = self.lines.get(n)
            if g is not None and g.page == first.page:
                boxes.append(g.box)
        return first.page, union(boxes)


def union(boxes: Iterable[Box]) -> Box:
    """The smallest box holding every box."""
    xs0, ys0, xs1, ys1 = zip(*boxes, strict=True)
    return (min(xs0), min(ys0), max(xs1), max(ys1))


def cell_text(text: str) -> str:
    """A cell's text on one line: tabs and line breaks inside a cell become spaces."""
    return " ".join(text.replace("\t", " ").split())


def tabulate(
    rows: Sequence[Sequence[PageCell]],
    pages: Sequence[Page] = (),
    joined: Collection[int] = (),
    apart: Collection[int] = (),
) -> tuple[str, Geometry]:
    """The rows as tab-separated lines (a blank line between pages) and their geometry.

    A row's cells must be in reading order (left to right); an empty row is skipped. joined
    holds the indices of rows that go on with the row before them across a page break (a table
    continued on the next page): no blank line before them. apart holds the indices of rows
    that stand apart from the row before them on the same page (the text after a table ends):
    a blank line before them, as between the tables of a text document.
    """
    out: list[str] = []
    geometry = Geometry(pages=list(pages))
    last_page = None
    joined, apart = frozenset(joined), frozenset(apart)
    for index, row in enumerate(rows):
        cells = [c for c in row if c is not None]
        if not cells:
            continue
        page = cells[0].page
        if last_page is not None and page != last_page and index not in joined:
            out.append("")  # pages apart, as the text readers print a page break
        elif last_page is not None and index in apart and out[-1]:
            out.append("")
        last_page = page
        out.append("\t".join(cell_text(c.text) for c in cells))
        confidences = [c.confidence for c in cells if c.confidence is not None]
        geometry.lines[len(out)] = LineGeometry(
            page=page,
            box=union(c.box for c in cells),
            cells=tuple(c.box for c in cells),
            confidence=min(confidences) if confidences else None,
        )
    return "\n".join(out) + ("\n" if out else ""), geometry
