"""PDF files: every page's tables and text as rows of positioned cells (loaders.pages), OCR for
pages without a text layer.

pdfplumber reads the text layer: each character with its box, and the ruling lines a table is
drawn with. Why pdfplumber and not pypdfium2 alone: pdfium gives characters and boxes too, but
no table finder; pdfplumber's `find_tables` turns ruling lines into cells (merged cells, text
wrapped inside a cell) and is the reader camelot and most table extractors build on. pypdfium2
renders a page to an image, for OCR and for the 原文 view.

A page is read as blocks in reading order (top to bottom):
- a table drawn with ruling lines: one row per table row, one cell per table cell (a merged cell
  once, then empty cells for the columns it spans, as the Word reader gives it); the lines of text
  wrapped inside a cell are joined (no space between Chinese characters);
- any other text: characters clustered into lines by their vertical position, a line cut into
  cells where the gap between two characters is wider than CELL_GAP_EM times the font size (a
  table without ruling lines, labels such as 项目名称 … 主管部门 …, titles, paragraphs). A line
  whose cells each sit under a cell of the row above, closer below it than rows stand apart, is
  the rest of those cells wrapped (joined to them). A cell centred vertically and wrapped onto
  two lines has them above and below its row's line, half a line away: they join that row
  (one wrapped onto three lines or more is not rejoined: its first line stays apart). A line
  of one cell that ran to the text's right edge goes on on the line under it: a paragraph is
  one line (a space where it broke between figures or Latin words), as in the text seeds.
Page numbers and running headers in the top and bottom margins are dropped (a table's header
row there is kept). A table that runs over a page break goes on without the blank line that
separates pages, a header row the next page repeats in the table's columns is dropped (the rows
keep their own page), and a row the break cut in two is joined again. Where a table ends and
text goes on below it, a blank line stands between them, as between a text document's tables.
A page bomb (more than MAX_PAGES pages) is refused before pdfplumber lists the pages, and a page
whose content inflates beyond MAX_CONTENT_BYTES is skipped with a finding.

A page without a text layer (no characters, or only a few that are no text) is a scan: it is
rendered at OCR_DPI and handed to `loaders.ocr.read_page_image` (boxes in points, each cell's
confidence); `loaders.ocr.confidence_findings` then flags what it read with low confidence. Where OCR is not installed the page gives a SCANNED_PAGE finding. A page
with a text layer is never OCRed.
"""

from __future__ import annotations

import importlib
import io
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .findings import Finding
from .pages import Box, Geometry, Page, PageCell, tabulate, union

log = logging.getLogger(__name__)

# A gap between two characters of a line wider than this many font sizes separates two cells
# (a space is a fifth to a quarter of a font size; cells of a table without rules stand apart by
# their padding, 8 points or more; a full-width closing mark's blank right half counts as gap).
CELL_GAP_EM = 0.6
# A gap wider than this many font sizes (or a space character) is a space between two Latin
# characters; next to a Chinese character only a gap wider than MIXED_GAP_EM is (LibreOffice and
# Word put a fifth to a quarter of an em between Chinese and Latin text).
SPACE_GAP_EM = 0.15
MIXED_GAP_EM = 0.45
# Two characters are on one line when their vertical centres differ by less than this share of
# the font size.
LINE_TOLERANCE = 0.5
# A wrapped cell's next line starts less than this many line heights below the line before it,
# and less than WRAP_ROW_SHARE of the usual gap between rows (measured over WRAP_MIN_ROWS rows or
# more).
WRAP_GAP_LINES = 0.6
WRAP_ROW_SHARE = 0.75
WRAP_MIN_ROWS = 3
# A cell of a table without ruling lines stands in the column of the row above whose left edge
# is within this many font sizes of its own; rows up to COLUMN_LOOKBACK above are looked at.
COLUMN_ALIGN_EM = 0.5
COLUMN_LOOKBACK = 40
# Two lines whose centres stand less than this many font sizes apart are one row of a table
# whose cells are centred vertically (lines of text and rows stand a line height or more apart).
CENTRED_EM = 1.0
# A line of text ending within this many font sizes of the text's right edge was full: the next
# line, starting under it, goes on with the same paragraph.
PARAGRAPH_EDGE_EM = 2.0
# A line of one cell under a row of a table without ruling lines, more than this many font sizes
# below it, is a paragraph after the table (a blank line in the text, as after a ruled table).
APART_LINES = 1.0
# Top and bottom bands of a page (share of its height) where page numbers and running headers sit.
MARGIN_SHARE = 0.08
# A page with fewer readable characters than this has no text layer worth the name: a scan.
MIN_TEXT_CHARS = 5
# Pages rendered for OCR and for the 原文 view.
OCR_DPI = 200
# Beyond this many pages a PDF is refused rather than read for minutes (counted by pdfium before
# pdfplumber builds its page list: a page tree of 100,000 pages takes pdfium 0.1 s).
MAX_PAGES = 1000
# A page's content streams may inflate to at most this many bytes: a text page's hold a few
# hundred KB, a decompression bomb inflates a small file to gigabytes (pdfminer would hold them
# in memory and parse them for minutes). Such a page is skipped with a finding.
MAX_CONTENT_BYTES = 64 << 20
# Two ruling lines' ends within this many points meet (pdfplumber snaps within 3).
LINE_SNAP = 1.5
# A row a page break cut in two goes on with at most this many cells (its wrapped ones).
SPLIT_ROW_MAX_CELLS = 2
# A table's rows must line up with the previous page's table within this many points to go on
# with it.
COLUMN_TOLERANCE = 3.0

_PAGE_NUMBER = re.compile(
    r"^(?:[-—–·\s]*\d+[-—–·\s]*|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|"
    r"(?:page|Page|PAGE)\s*\d+(?:\s*(?:of|/)\s*\d+)?|\d+\s*/\s*\d+)$"
)
_DIGITS = re.compile(r"\d+")
_FIGURE = re.compile(r"^[-+]?[\d,，. ]*\d%?$")
_CLOSING = frozenset("）】」』〕》〉。，、：；！？")
# CJK Radicals Supplement characters some PDF fonts map their glyphs to instead of the ideograph
# (Chromium's and some Office PDFs: 部⻔ for 部门); the Kangxi radicals (⽀ for 支) are NFKC's.
_RADICALS = dict(
    zip(
        "⺁⺌⺟⺠⺩⺮⻁⻄⻅⻆⻉⻋⻓⻔⻗⻘⻙⻚⻛⻜⻝⻢⻣⻤⻥⻦⻧⻨⻩⻪⻬⻮⻰⻳",
        "厂小母民王竹虎西见角贝车长门雨青韦页风飞食马骨鬼鱼鸟卤麦黄黾齐齿龙龟",
        strict=True,
    )
)

# Kangxi radicals whose NFKC form is the traditional variant of the character a simplified
# Chinese font draws with the same glyph (⼾ is 戶 by NFKC, 户 in 监督检查户次).
_KANGXI_SIMPLIFIED = {"⼾": "户", "⾭": "青", "⿈": "黄", "⾙": "贝", "⾞": "车", "⾨": "门"}


ENCRYPTED = (
    "PDF 文件已加密（需要密码才能打开）：请用 PDF 阅读器去掉密码（或另存一份不加密的副本）"
    "后重新导入。"
)


class PdfError(ValueError):
    """The PDF cannot be opened (encrypted, damaged, not a PDF); the message is Chinese."""


@dataclass
class PdfText:
    """What a PDF gave: its text (tab-separated rows), where each line sat, its pages, and what
    the reader noticed (scanned pages without OCR, a truncated file)."""

    text: str
    geometry: Geometry
    findings: list[Finding] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return len(self.geometry.pages)

    @property
    def ocr_pages(self) -> int:
        return sum(1 for p in self.geometry.pages if p.ocr)


@dataclass
class _Row:
    """A row of cells and what it belongs to: a ruled table (its id) or free text."""

    cells: list[PageCell]
    top: float
    bottom: float
    table: int | None = None  # id of the ruled table, None for a text line
    header: bool = False  # the first row of a ruled table
    continued: bool = False  # goes on with the previous page's table
    open_top: bool = False  # a ruled row without its top line: the page break cut it
    open_bottom: bool = False  # a ruled row without its bottom line: it goes on on the next page
    apart: bool = False  # a line of text that stands apart below a table without ruling lines


def normalise(text: str) -> str:
    """A character as the ideograph it shows: radical code points some fonts map to, Kangxi
    radicals and compatibility ideographs (NFKC for those only, so that （ stays full width)."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0x2E80 <= code <= 0x2FDF or 0xF900 <= code <= 0xFAFF:
            ch = (
                _RADICALS.get(ch) or _KANGXI_SIMPLIFIED.get(ch) or unicodedata.normalize("NFKC", ch)
            )
        out.append(ch)
    return "".join(out)


def join_lines(lines: Iterable[str]) -> str:
    """Lines of one cell as one text: no space where a line broke between two characters of
    Chinese or digits (a wrapped name or number), one space between two Latin words."""
    text = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if (
            text
            and text[-1].isascii()
            and text[-1].isalpha()
            and line[0].isascii()
            and (line[0].isalpha())
        ):
            text += " "
        text += line
    return text


def paragraph_text(text: str, line: str) -> str:
    """A paragraph's next line after its text: a space where the line broke between two Latin
    letters or digits (a paragraph breaks a line at a space there, never inside a word or a
    number: '0.00 | 2023年'), none between Chinese characters."""
    if text and line and text[-1].isascii() and text[-1].isalnum():
        if line[0].isascii() and line[0].isalnum():
            return f"{text} {line}"
    return text + line


# ------------------------------------------------------------------------ characters to lines


def _chars(page) -> list[dict]:
    """The page's upright, visible characters with their text normalised."""
    out = []
    for c in page.chars:
        if not c.get("upright", True):
            continue
        text = c.get("text") or ""
        if not text or text in "\x00\ufffd":
            continue
        c = dict(c, text=normalise(text))
        out.append(c)
    return out


def _readable(chars: Sequence[dict]) -> int:
    """Characters of a text layer that are text: not (cid:…) placeholders or blanks."""
    return sum(1 for c in chars if not c["text"].isspace() and not c["text"].startswith("(cid:"))


def _size(c: dict) -> float:
    return max(float(c.get("size") or 0.0), float(c["bottom"] - c["top"]), 1.0)


def text_lines(chars: Sequence[dict]) -> list[list[dict]]:
    """Characters grouped into lines (by vertical centre), each line left to right."""
    ordered = sorted(chars, key=lambda c: ((c["top"] + c["bottom"]) / 2, c["x0"]))
    lines: list[list[dict]] = []
    centre = size = None
    for c in ordered:
        mid = (c["top"] + c["bottom"]) / 2
        if lines and abs(mid - centre) <= LINE_TOLERANCE * max(size, _size(c)):
            lines[-1].append(c)
            continue
        lines.append([c])
        centre, size = mid, _size(c)
    return [sorted(line, key=lambda c: c["x0"]) for line in lines]


def _ink_end(c: dict) -> float:
    """Where a character's ink ends: a full-width closing mark (）。，) inks its left half only."""
    if c["text"] in _CLOSING:
        return min(c["x1"], c["x0"] + 0.5 * _size(c))
    return c["x1"]


def segments(line: Sequence[dict]) -> list[list[dict]]:
    """A line's characters cut into cells at gaps wider than CELL_GAP_EM font sizes."""
    out: list[list[dict]] = []
    last = None
    end = 0.0  # where the cell's last character ends: its ink, or a space kept in it
    for c in line:
        if last is not None and c["x0"] - end <= CELL_GAP_EM * _size(last):
            out[-1].append(c)
            # a space inside a cell bridges its gap (prose: '、 帮助' after a full-width mark)
            end = c["x1"] if c["text"].isspace() else _ink_end(c)
        elif c["text"].isspace():
            continue  # a space that separates two cells belongs to neither
        else:
            out.append([c])
            end = _ink_end(c)
        if not c["text"].isspace():
            last = c
    return out


def segment_text(chars: Sequence[dict]) -> str:
    """The text of a run of characters, with a space where the layout left one: a space
    character, or a gap between two Latin characters. Between Chinese characters, or Chinese and
    Latin ones, a gap is letter spacing or the automatic spacing of mixed text: no space."""
    text = ""
    last = None
    for c in chars:
        if c["text"].isspace():
            if text and not text.endswith(" "):
                text += " "
            continue
        if last is not None and not text.endswith(" "):
            gap = c["x0"] - last["x1"]
            latin = last["text"].isascii() and c["text"].isascii()
            if gap > (SPACE_GAP_EM if latin else MIXED_GAP_EM) * _size(last):
                text += " "
        text += c["text"]
        last = c
    return text.strip()


def _box(chars: Sequence[dict]) -> Box:
    return (
        min(c["x0"] for c in chars),
        min(c["top"] for c in chars),
        max(c["x1"] for c in chars),
        max(c["bottom"] for c in chars),
    )


def cell_text(chars: Sequence[dict]) -> str:
    """The text inside a table cell: its lines joined (a wrapped cell is one text)."""
    return join_lines(segment_text(line) for line in text_lines(chars))


# ------------------------------------------------------------------------ a page's rows


def _inside(c: dict, box: Box) -> bool:
    x = (c["x0"] + c["x1"]) / 2
    y = (c["top"] + c["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _table_rows(
    table, chars: list[dict], number: int, table_id: int, cuts: tuple[float | None, float | None]
) -> list[_Row]:
    """A ruled table's rows: every cell's text, merged cells as empty cells after their text.
    cuts: where the page break cut a table open at the page's top and bottom (see _open_ends)."""
    rows: list[_Row] = []
    mine = [c for c in chars if _inside(c, table.bbox)]
    for k, row in enumerate(table.rows):
        cells: list[PageCell] = []
        last_box: Box | None = None
        for box in row.cells:
            if box is None:  # covered by a merged cell to its left (or above)
                if last_box is not None:
                    cells.append(PageCell("", number, last_box))
                continue
            box = tuple(float(v) for v in box)
            inside = [c for c in mine if _inside(c, box)]
            cells.append(PageCell(cell_text(inside), number, box))
            last_box = box
        if not cells:
            continue
        if not any(c.text for c in cells):
            continue
        top, bottom = float(row.bbox[1]), float(row.bbox[3])
        rows.append(_Row(cells, top, bottom, table_id, header=k == 0))
        rows[-1].open_top = cuts[0] is not None and abs(top - cuts[0]) <= LINE_SNAP
        rows[-1].open_bottom = cuts[1] is not None and abs(bottom - cuts[1]) <= LINE_SNAP
    return rows


def _open_ends(page) -> tuple[list[dict], tuple[float | None, float | None]]:
    """Lines that close a ruled table the page break cut open, and where they lie (top, bottom).

    A table row that runs over a page break (Chromium and Word split a tall row) has its
    column lines but no line under it on the first page and none above it on the next: the
    table finder would lose the row. Where the topmost (bottommost) ends of two or more column
    lines have no ruling line across them, one is added there."""
    edges = [e for e in page.edges if max(e["x1"] - e["x0"], e["bottom"] - e["top"]) >= 3]
    vertical = [e for e in edges if e["orientation"] == "v"]
    horizontal = [e for e in edges if e["orientation"] == "h"]
    if len(vertical) < 2:
        return [], (None, None)
    lines: list[dict] = []
    cuts: list[float | None] = []
    for y, end in (
        (min(e["top"] for e in vertical), "top"),
        (max(e["bottom"] for e in vertical), "bottom"),
    ):
        reach = [e for e in vertical if abs(e[end] - y) <= LINE_SNAP]
        x0, x1 = min(e["x0"] for e in reach), max(e["x1"] for e in reach)
        covered = sum(
            max(0.0, min(h["x1"], x1) - max(h["x0"], x0))
            for h in horizontal
            if abs(h["top"] - y) <= LINE_SNAP
        )
        if len(reach) < 2 or covered >= 0.9 * (x1 - x0):
            cuts.append(None)
            continue
        lines.append(
            {
                "object_type": "line",
                "x0": x0,
                "x1": x1,
                "top": y,
                "bottom": y,
                "width": x1 - x0,
                "height": 0.0,
            }
        )
        cuts.append(y)
    return lines, (cuts[0], cuts[1])


def _line_rows(lines: list[list[dict]], number: int) -> list[_Row]:
    """Free text lines as rows of cells; the rest of wrapped cells joined to them."""
    spans = []
    for line in lines:
        cells = segments(line)
        if cells:
            spans.append((cells, min(c["top"] for c in line), max(c["bottom"] for c in line)))
    spans = _centred_rows(spans)
    limit = _wrap_limit(spans)
    right = max((c["x1"] for line in lines for c in line), default=0.0)
    rows: list[_Row] = []
    pieces: list[list[list[dict]]] = []  # per row, per cell, its characters
    last: list[dict] = []  # the characters of the lowest line of the last row's first cell
    for cells, top, bottom in spans:
        if rows and _paragraph_goes_on(rows[-1], pieces[-1], last, cells, top, right):
            row = rows[-1]
            pieces[-1][0] = pieces[-1][0] + cells[0]
            last = cells[0]
            text = paragraph_text(row.cells[0].text, segment_text(cells[0]))
            row.cells[0] = PageCell(text, number, _box(pieces[-1][0]))
            row.bottom = max(row.bottom, bottom)
            continue
        targets = _wrapped_into(rows[-1], cells, top, limit) if rows else None
        if targets is not None:
            row = rows[-1]
            for k, piece in zip(targets, cells, strict=True):
                pieces[-1][k] = pieces[-1][k] + piece
                row.cells[k] = PageCell(cell_text(pieces[-1][k]), number, _box(pieces[-1][k]))
            row.bottom = max(row.bottom, bottom)
            continue
        pieces.append(cells)
        last = cells[0]
        row = _Row([PageCell(cell_text(s), number, _box(s)) for s in cells], top, bottom)
        if rows and len(cells) == 1 and len(rows[-1].cells) >= 2:
            # no wrapped rest (that was joined above): a paragraph after the table if it stands
            # further below than a line height (rows of a table stand apart by their padding)
            row.apart = top - rows[-1].bottom > APART_LINES * max(_size(c) for c in cells[0])
        rows.append(row)
    for k, row in enumerate(rows):
        _place_in_columns(row, rows[:k])
    return rows


def _centred_rows(spans: list) -> list:
    """Lines that are one row of a table without ruling lines whose cells are centred
    vertically: a cell wrapped onto two lines has its lines above and below the centre line
    where the row's other cells sit, each less than CENTRED_EM font sizes from the next (rows
    and lines of text stand a line height or more apart). Such a line joins the row: each of
    its cells under no cell of the row as a cell of its own, each under one as that cell's
    next line."""
    out: list = []
    centre = 0.0  # of the last line added to out[-1]
    for cells, top, bottom in spans:
        mid = (top + bottom) / 2
        if out:
            row, row_top, row_bottom = out[-1]
            size = max(_size(c) for piece in cells + row for c in piece)
            joined = _join_centred(row, cells) if mid - centre < CENTRED_EM * size else None
            if joined is not None:
                out[-1] = (joined, min(row_top, top), max(row_bottom, bottom))
                centre = mid
                continue
        out.append((cells, top, bottom))
        centre = mid
    return out


def _join_centred(row: list[list[dict]], cells: list[list[dict]]) -> list[list[dict]] | None:
    """row's cells with a line's cells added (see _centred_rows), or None where a cell of the
    line lies under two cells of the row."""
    joined = [list(piece) for piece in row]
    for piece in cells:
        x0, _, x1, _ = _box(piece)
        under = [
            k for k, cell in enumerate(joined) if min(x1, _box(cell)[2]) > max(x0, _box(cell)[0])
        ]
        if len(under) > 1:
            return None
        if under:
            joined[under[0]] += piece
        else:
            joined.append(list(piece))
    return sorted(joined, key=lambda piece: _box(piece)[0])


def _paragraph_goes_on(
    row: _Row,
    above: list[list[dict]],
    last: list[dict],
    cells: list[list[dict]],
    top: float,
    right: float,
) -> bool:
    """Whether a line of one cell is the next line of the paragraph row ends: row is one cell
    that runs to the text's right edge (within PARAGRAPH_EDGE_EM font sizes: the line was full
    and wrapped), and the line starts under it (or left of it by a first-line indent) right
    below it (closer than WRAP_GAP_LINES line heights), in the same font size. A paragraph is
    then one line of text, as the text seeds print it, and a figure a wrap cut from its label
    stays on the label's line."""
    if len(row.cells) != 1 or len(cells) != 1 or row.table is not None:
        return False
    size = max(_size(c) for c in cells[0])
    x0 = min(c["x0"] for c in cells[0])
    start = min(c["x0"] for c in above[0])
    return (
        max(c["x1"] for c in last) >= right - PARAGRAPH_EDGE_EM * size
        and top - row.bottom <= WRAP_GAP_LINES * size
        # under the first line, or left of it by its indent (首行缩进), never indented itself
        and start - (PARAGRAPH_EDGE_EM + 0.5) * size <= x0 <= start + 0.5 * size
        and abs(max(_size(c) for c in last) - size) <= 0.15 * size
    )


def _place_in_columns(row: _Row, above: list[_Row]) -> None:
    """Empty cells where a row of a table without ruling lines leaves columns blank (一级指标
    printed once for its group), so that its cells stand in their columns as a ruled table's do.

    The columns are those of the nearest row above, in the same run of rows of two or more
    cells, that has at least as many cells and under whose cells every cell of this row starts
    (left edges within COLUMN_ALIGN_EM font sizes), or to the right of its last cell. Without one
    the row is left as it is.
    """
    if len(row.cells) < 2:
        return
    tolerance = COLUMN_ALIGN_EM * max(c.box[3] - c.box[1] for c in row.cells)
    for ref in reversed(above[-COLUMN_LOOKBACK:]):
        if len(ref.cells) < 2:
            return  # a title or paragraph: the table above is another
        if len(ref.cells) < len(row.cells):
            continue
        columns: list[int] = []
        for cell in row.cells:
            match = [
                k
                for k, r in enumerate(ref.cells)
                if abs(r.box[0] - cell.box[0]) <= tolerance and (not columns or k > columns[-1])
            ]
            if match:
                columns.append(match[0])
            elif columns and cell.box[0] > ref.cells[-1].box[0] + tolerance:
                columns.append(columns[-1] + 1)  # right of the row above's last cell
            else:
                break
        else:
            if columns == list(range(len(columns))):
                return  # every column filled up to its last cell
            placed: list[PageCell] = []
            for cell, k in zip(row.cells, columns, strict=True):
                while len(placed) < k:
                    x0 = ref.cells[len(placed)].box[0]
                    placed.append(PageCell("", row.cells[0].page, (x0, row.top, x0, row.bottom)))
                placed.append(cell)
            row.cells = placed
            return


def _wrap_limit(spans) -> float:
    """The widest gap under a row of cells that the rest of a wrapped cell may leave: clearly
    less than the gap between two rows (WRAP_ROW_SHARE of the upper quartile of the gaps below
    rows of two or more cells), as a cell's lines sit closer than the rows of its table."""
    gaps = sorted(
        below[1] - above[2]
        for above, below in zip(spans, spans[1:], strict=False)
        if len(above[0]) >= 2 and below[1] > above[2]
    )
    if len(gaps) < WRAP_MIN_ROWS:
        return float("inf")
    return WRAP_ROW_SHARE * gaps[(3 * len(gaps)) // 4]


def _wrapped_into(row: _Row, cells: list[list[dict]], top: float, limit: float) -> list[int] | None:
    """The cells of row that a line's cells are the wrapped rest of (one each), or None.

    The line must start less than a line height (and less than limit) below the row, hold no
    more cells than the row, and each of its cells must sit under a different cell of the row
    (horizontally overlapping it, starting no further left than a character): a title or a
    paragraph line under a one-cell line, or a row of its own, is a line of its own.
    """
    if len(row.cells) < 2 or len(cells) > len(row.cells):
        return None
    height = max(_size(c) for piece in cells for c in piece)
    gap = top - row.bottom
    if gap > WRAP_GAP_LINES * height or gap > limit:
        return None
    targets: list[int] = []
    for piece in cells:
        x0, _, x1, _ = _box(piece)
        under = [
            k for k, cell in enumerate(row.cells) if min(x1, cell.box[2]) - max(x0, cell.box[0]) > 0
        ]
        if len(under) != 1 or under[0] in targets or x0 < row.cells[under[0]].box[0] - height:
            return None
        targets.append(under[0])
    return targets


def _furniture(line: list[dict], page_height: float) -> bool:
    """A page number or running header line in the page's top or bottom margin."""
    top = min(c["top"] for c in line)
    bottom = max(c["bottom"] for c in line)
    if MARGIN_SHARE * page_height < top and bottom < (1 - MARGIN_SHARE) * page_height:
        return False
    text = "".join(c["text"] for c in line).strip()
    return bool(_PAGE_NUMBER.match(text))


def page_rows(page, number: int, next_table: int) -> tuple[list[_Row], int]:
    """A page's rows in reading order: ruled tables and lines of text, top to bottom."""
    chars = _chars(page)
    closing, cuts = _open_ends(page)
    settings = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
    tables = page.find_tables({**settings, "explicit_horizontal_lines": closing})
    rows: list[_Row] = []
    for table in tables:
        rows += _table_rows(table, chars, number, next_table, cuts)
        next_table += 1
    boxes = [tuple(t.bbox) for t in tables]
    free = [c for c in chars if not any(_inside(c, b) for b in boxes)]
    lines = [line for line in text_lines(free) if not _furniture(line, float(page.height))]
    rows += _line_rows(lines, number)
    rows.sort(key=lambda r: (r.top, r.table is None))
    return rows, next_table


# ------------------------------------------------------------------------ pages to text


def _texts(row: _Row) -> tuple[str, ...]:
    return tuple(c.text for c in row.cells)


def _columns(row: _Row) -> tuple[float, ...]:
    return tuple(round(c.box[0]) for c in row.cells) + (round(row.cells[-1].box[2]),)


def _head(row: _Row) -> tuple[tuple[str, ...], tuple[float, ...]]:
    return _texts(row), _columns(row)


def _repeats(row: _Row, heads: set[tuple[tuple[str, ...], tuple[float, ...]]]) -> bool:
    """Whether row repeats a header row of the running table: the same texts in the same
    columns (a new table under the same header sits in columns of its own widths)."""
    texts, columns = _head(row)
    return any(
        texts == t
        and len(columns) == len(c)
        and all(abs(x - y) <= COLUMN_TOLERANCE for x, y in zip(columns, c, strict=True))
        for t, c in heads
    )


def _same_columns(a: _Row, b: _Row) -> bool:
    ca, cb = _columns(a), _columns(b)
    return len(ca) == len(cb) and all(
        abs(x - y) <= COLUMN_TOLERANCE for x, y in zip(ca, cb, strict=True)
    )


def join_pages(pages: list[list[_Row]]) -> list[_Row]:
    """The pages' rows in order; a table continued from the previous page is marked continued
    (no blank line before it), the header row it repeats dropped, and a row the page break cut
    in two joined again."""
    out: list[_Row] = []
    previous: list[_Row] = []
    heads: set = set()  # header rows (texts, columns) of the table running over the pages
    for rows in pages:
        goes_on = False
        if previous and rows:
            last, first = previous[-1], rows[0]
            goes_on = (
                last.table is not None and first.table is not None and _same_columns(last, first)
            ) or (
                last.table is None
                and first.table is None
                and len(last.cells) >= 2
                and len(first.cells) >= 2
            )
        if goes_on:
            last = previous[-1]
            if last.table is not None:
                heads |= {_head(r) for r in previous if r.table == last.table and r.header}
            else:  # the rows of two or more cells the previous page ends with: its table
                run = []
                for r in reversed(previous):
                    if r.table is not None or len(r.cells) < 2:
                        break
                    run.append(_head(r))
                # a table that began on the previous page has its header there; only one that
                # fills that page from a continued top goes on with the heads before it
                whole = len(run) == len(previous) and previous[0].continued
                heads = (heads if whole else set()) | set(run)
            if len(rows) > 1 and _repeats(rows[0], heads):
                rows = rows[1:]
            if _split_row(last, rows[0]):
                _merge_into(last, rows[0])
                rows = rows[1:]
            if rows:
                rows[0].continued = True
        else:
            heads = set()
        out += rows
        if rows:
            previous = rows
    return out


def _table_ends(above: _Row, row: _Row) -> bool:
    """Whether row is text under a ruled table on the same page: the table has ended (a
    paragraph such as 附件二： is no wrapped rest of the table's last cell)."""
    return (
        above.table is not None
        and row.table is None
        and not row.continued
        and above.cells[0].page == row.cells[0].page
    )


def _split_row(last: _Row, first: _Row) -> bool:
    """Whether first (a continued table's first row) is the rest of last, a row the page break
    cut (Word lets a row break across pages): the rest of its wrapped cells only, each under a
    filled cell of last (a row of its own fills its figures too)."""
    if last.table is None or first.table is None or len(last.cells) != len(first.cells):
        return False
    if last.open_bottom and first.open_top:
        return True  # no line under the one, none above the other: one row
    filled = [k for k, c in enumerate(first.cells) if c.text]
    return (
        0 < len(filled) <= SPLIT_ROW_MAX_CELLS
        and all(last.cells[k].text for k in filled)
        and sum(1 for c in last.cells if c.text) > len(filled)
        # a figure under a figure is a row of its own (a 总分 row's scores), not a wrapped rest
        and not any(
            _FIGURE.match(first.cells[k].text) and _FIGURE.match(last.cells[k].text) for k in filled
        )
    )


def _merge_into(last: _Row, rest: _Row) -> None:
    """The text of rest's cells appended to last's (last keeps its page and boxes)."""
    last.open_bottom = rest.open_bottom  # a row over three pages goes on again
    last.cells = [
        PageCell(join_lines([a.text, b.text]), a.page, a.box, a.confidence) if b.text else a
        for a, b in zip(last.cells, rest.cells, strict=True)
    ]


def _drop_running_headers(pages: list[list[_Row]], heights: list[float]) -> None:
    """Rows of free text that repeat (digits aside) in the margin band of most pages: running
    headers and footers such as 'Sheet1' or '2023年度部门决算'."""
    if len(pages) < 2:
        return
    counts: dict[str, int] = {}
    for rows, height in zip(pages, heights, strict=True):
        seen = {
            _DIGITS.sub("#", "\t".join(_texts(r)))
            for k, r in enumerate(rows)
            if r.table is None and _in_margin(r, height) and not _heads_table(rows, k)
        }
        for key in seen:
            counts[key] = counts.get(key, 0) + 1
    running = {k for k, n in counts.items() if n >= max(2, len(pages) // 2 + 1)}
    if not running:
        return
    for n, (rows, height) in enumerate(zip(pages, heights, strict=True)):
        pages[n] = [
            r
            for k, r in enumerate(rows)
            if not (
                r.table is None
                and _in_margin(r, height)
                and not _heads_table(rows, k)
                and _DIGITS.sub("#", "\t".join(_texts(r))) in running
            )
        ]


def _heads_table(rows: list[_Row], k: int) -> bool:
    """Whether rows[k] is the header row of a table without ruling lines that a page margin
    narrower than MARGIN_SHARE lets start in the margin band (Chromium repeats a thead on every
    page): two or more cells, with a row of two or more cells right under it."""
    if len(rows[k].cells) < 2 or k + 1 >= len(rows):
        return False
    row, below = rows[k], rows[k + 1]
    height = row.bottom - row.top
    return below.table is None and len(below.cells) >= 2 and below.top - row.bottom < 2 * height


def _in_margin(row: _Row, height: float) -> bool:
    return row.bottom < MARGIN_SHARE * height or row.top > (1 - MARGIN_SHARE) * height


# ------------------------------------------------------------------------ the file


def _open(raw: bytes):
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # font warnings of harmless PDFs
    try:
        pdf = pdfplumber.open(io.BytesIO(raw))
        pdf.pages  # noqa: B018 (parses the page tree: a broken file fails here)
    except Exception as exc:  # pdfminer raises many kinds for a damaged file
        # pdfplumber wraps pdfminer's errors: PdfminerException(PDFPasswordIncorrect())
        causes = (exc, *exc.args)
        if any(isinstance(a, PDFPasswordIncorrect | PDFEncryptionError) for a in causes):
            raise PdfError(ENCRYPTED) from exc
        raise PdfError(
            f"无法打开 PDF 文件（{type(exc).__name__}）：文件可能已损坏或不完整，"
            "请重新下载或另存为 PDF 后再导入。"
        ) from exc
    return pdf


def read(
    raw: bytes,
    progress: Callable[[int, int], None] | None = None,
) -> PdfText:
    """Every page of a PDF as rows of cells, joined into text with its geometry.

    Raises PdfError when the file cannot be opened (encrypted, damaged, not a PDF). progress,
    when given, is called with (pages done, page count) as the pages are read, as OCR calls it.
    """
    _check_page_count(raw)
    pdf = _open(raw)
    findings: list[Finding] = []
    try:
        n = len(pdf.pages)
        if n > MAX_PAGES:
            raise PdfError(_too_many(n))
        if n == 0:
            raise PdfError("PDF 文件没有页面：文件可能已损坏，请重新导出后再导入。")
        if b"%%EOF" not in raw[-2048:]:
            findings.append(
                Finding(
                    "TRUNCATED",
                    "PDF 文件末尾不完整（可能下载未完成），已读取能读出的页面：请核对页数。",
                )
            )
        pages: list[list[_Row]] = []
        infos: list[Page] = []
        table_id = 0
        for number, page in enumerate(pdf.pages, 1):
            if progress is not None:
                progress(number - 1, n)
            width, height = float(page.width), float(page.height)
            try:
                if _inflated_size(page) > MAX_CONTENT_BYTES:
                    raise _Bomb
                chars = _chars(page)
                readable = _readable(chars)
                garbage = sum(c["text"].startswith("(cid:") for c in chars) >= MIN_TEXT_CHARS
                if readable < MIN_TEXT_CHARS and (page.images or garbage):
                    rows, ocr = _scanned(raw, number, findings)
                elif readable == 0:
                    rows, ocr = [], False  # an empty page
                else:
                    rows, table_id = page_rows(page, number, table_id)
                    ocr = False
            except PdfError:
                raise
            except _Bomb:
                log.warning(
                    "PDF page %d inflates beyond %d bytes: skipped", number, MAX_CONTENT_BYTES
                )
                findings.append(
                    Finding(
                        "UNREADABLE",
                        f"第 {number} 页的内容解压后超过 {MAX_CONTENT_BYTES >> 20} MB"
                        "（疑似压缩炸弹），已跳过：其余页照常读取。",
                        source_page=number,
                    )
                )
                rows, ocr = [], False
            except Exception as exc:  # a damaged page must not lose the others
                log.warning("PDF page %d unreadable: %s", number, exc)
                findings.append(
                    Finding(
                        "UNREADABLE",
                        f"第 {number} 页无法读取（{type(exc).__name__}），已跳过：其余页照常读取。",
                        severity="warning",
                        source_page=number,
                    )
                )
                rows, ocr = [], False
            pages.append(rows)
            infos.append(Page(number, width, height, ocr))
            page.close()
            if progress is not None:
                progress(number, n)
        _drop_running_headers(pages, [p.height for p in infos])
        rows = join_pages(pages)
    finally:
        pdf.close()
    cells = [r.cells for r in rows]
    text, geometry = tabulate(
        cells,
        infos,
        joined=[k for k, r in enumerate(rows) if r.continued],
        apart=[
            k for k in range(1, len(rows)) if rows[k].apart or _table_ends(rows[k - 1], rows[k])
        ],
    )
    if any(p.ocr for p in infos):
        from . import ocr  # there: a page was OCRed

        if hasattr(ocr, "confidence_findings"):  # values read below the stated confidence
            findings += ocr.confidence_findings(cells, geometry)
    return PdfText(text, geometry, findings)


class _Bomb(Exception):
    """A page whose content inflates beyond MAX_CONTENT_BYTES."""


def _too_many(n: int) -> str:
    return f"PDF 页数过多（{n} 页，上限 {MAX_PAGES} 页）：请拆分后再导入。"


def _check_page_count(raw: bytes) -> None:
    """Refuse a PDF of more than MAX_PAGES pages before pdfplumber lists them (a page bomb
    declares 100,000 pages in a file of a few hundred KB)."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(raw)
    except Exception:  # noqa: BLE001 (pdfplumber says what is wrong with it)
        return
    try:
        n = len(document)
    finally:
        document.close()
    if n > MAX_PAGES:
        raise PdfError(_too_many(n))


def _inflated_size(page) -> int:
    """The bytes a page's content streams and form XObjects inflate to, counted without holding
    more than MAX_CONTENT_BYTES + 1 of them (bounded zlib decompression)."""
    import zlib

    from pdfminer.pdftypes import PDFStream, resolve1

    streams = [resolve1(s) for s in page.page_obj.contents]
    resources = resolve1(page.page_obj.resources) or {}
    xobjects = resolve1(resources.get("XObject")) if isinstance(resources, dict) else None
    for value in (xobjects or {}).values():
        stream = resolve1(value)
        if isinstance(stream, PDFStream) and getattr(stream.get("Subtype"), "name", "") == "Form":
            streams.append(stream)
    total = 0
    for stream in streams:
        if not isinstance(stream, PDFStream):
            continue
        if stream.rawdata is None:  # decoded already
            total += len(stream.data or b"")
            continue
        filters = [getattr(f, "name", f) for f, _ in stream.get_filters()]
        if filters and filters[0] in ("FlateDecode", "Fl"):
            inflate = zlib.decompressobj()
            try:
                size = len(inflate.decompress(stream.rawdata, MAX_CONTENT_BYTES + 1 - total))
            except zlib.error:
                continue  # pdfminer reports a broken stream its own way
            total += size + (1 if inflate.unconsumed_tail else 0)
        else:
            total += len(stream.rawdata)
        if total > MAX_CONTENT_BYTES:
            break
    return total


def _scanned(raw: bytes, number: int, findings: list[Finding]) -> tuple[list[_Row], bool]:
    """A page without a text layer: OCR where loaders.ocr is there, else a SCANNED_PAGE finding."""
    try:  # by name, so that a missing package or model (sys.modules) counts, not an old import
        ocr = importlib.import_module(f"{__package__}.ocr")
    except ImportError:
        ocr = None
    if ocr is None or not hasattr(ocr, "read_page_image"):
        findings.append(
            Finding(
                "SCANNED_PAGE",
                f"第 {number} 页是扫描图像，没有文字层，需要 OCR：本机未安装文字识别，该页未读取。",
                source_page=number,
            )
        )
        return [], False
    # read_page_image gives boxes in points (72 / dpi of the image's pixels) with confidences
    image = render_image(raw, number, OCR_DPI)
    rows = []
    for cells in ocr.read_page_image(image, number, dpi=OCR_DPI):
        placed = [c for c in cells if c is not None]
        if placed:
            box = union(c.box for c in placed)
            rows.append(_Row(placed, box[1], box[3]))
    return rows, True


def render_image(raw: bytes, number: int, dpi: int):
    """Page `number` (1-based) of a PDF rendered by pdfium as a PIL image (RGB) at dpi."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(raw)
    try:
        page = document[number - 1]
        try:
            return page.render(scale=dpi / 72.0).to_pil().convert("RGB")
        finally:
            page.close()
    finally:
        document.close()
