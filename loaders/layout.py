"""Layout recovery, once for every kind: text in any layout becomes rows of cells with their lines.

The layouts real documents come in, each decided per line or run of lines by its content (one
document mixes them):

- ``tab``: cells between tabs, one row per line (a spreadsheet or Word table pulled as text);
- ``cell_lines``: one cell per line, each led by a tab, a blank line ending the row; an untabbed
  line right after a cell goes on with that cell (a word processor's export, wrapped cells);
- ``pipe_end``: one cell per line ending in ``|``, an empty cell as a bare ``|`` (a site's table
  export); empty cells are kept, so a reader that knows the header's width can rebuild the rows;
- ``markdown`` (``| a | b |``, separator rows dropped) and ``pipe_row`` (``a | b | c``);
- ``spaced``: cells between runs of two or more spaces;
- ``single_spaced``: cells between single spaces, as a whole sheet flattened onto one line; split
  only where the line holds form words or figures, with what the split tore apart put back
  ('≥ 90%', '2, 306. 00', '(万元)');
- ``glued``: a document site's extraction with no separators at all
  (``单位名称襄阳市中心医院填报日期…年度资金总额10001000100%20``): cut at the form's words, a
  figure run that follows a word kept as one cell for the reader to split under the form's
  arithmetic (see loaders/solve.py); page markers (``2、`` at the start of each page's text) are
  dropped and a word cut by a page break is joined again;
- ``text``: a line with nothing to split, one cell.

Page numbers (``- 3 -``, ``第 2 页``, ``1/5``) and form feeds are dropped. Every cell knows its
first and last source line, its row (cells of one row share it; increasing through the
document) and its column where the layout kept columns (tab, cell lines, pipes, markdown).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from .numbers import is_overflow, parse_amount
from .rows import clean_name
from .vocab import (
    GLUED_WORDS,
    LEVEL1_WORDS,
    funds_role,
    indicator_role,
    is_level2,
    is_section_label,
    key_of,
    normal_text,
    squeeze_key,
)

TAB = "tab"
CELL_LINES = "cell_lines"
PIPE_END = "pipe_end"
MARKDOWN = "markdown"
PIPE_ROW = "pipe_row"
SPACED = "spaced"
SINGLE_SPACED = "single_spaced"
GLUED = "glued"
TEXT = "text"


class Cell(NamedTuple):
    """One cell: text as printed (wrapped pieces joined), its key, where it sits, its number."""

    text: str
    key: str  # vocab.key_of(text): what labels are matched on
    line: int  # first source line, 1-based
    row: int  # cells of one row share it
    col: int | None  # column in its row where the layout kept columns, else None
    num: float | None  # the cell as a number, or None
    layout: str
    end: int  # last source line


PAGE_NOISE = re.compile(
    r"^\s*(?:[-—–－]\s*\d{1,4}\s*[-—–－]|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|"
    r"\d{1,4}\s*/\s*\d{1,4})\s*$"
)
_SPLIT_SPACES = re.compile(r"\s{2,}")
# A unit in brackets after the word it belongs to: '(万元)', '(%)'; '(1)' numbers a sentence.
_UNIT_FRAGMENT = re.compile(r"^(?:[(（](?![\d.]+[)）])[^()（）]{0,6}[)）]|%|％)$")
_OP_ONLY = re.compile(r"^(?:[≥≤><=＝≧≦]|>=|<=|不低于|不少于|不高于|不超过|大于|小于|等于)$")
# A comparison target opens with its sign and a figure: '≥2470人', '<24小时'.
_TARGET_WORD = re.compile(r"^[≥≤＞＜><≧≦]\s*\d")
# A flattened indicator row 'name target actual' holds this many words and a target.
MIN_TARGET_ROW_WORDS = 3
_MARKDOWN_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?$")
_PIPE_SPLIT = re.compile(r"\s+\|\s+")

# Only a cell that starts like a number can be one; the rest skip parse_amount.
_NUMBER_START = frozenset("0123456789+-.０１２３４５６７８９＋－．")
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# No number is printed longer than this ('1, 234, 567, 890. 1234 元' with OCR gaps); a longer
# cell that opens with a digit is prose ('2021年:落实…') and skips parse_amount.
MAX_NUMBER_CHARS = 32


def number(text: str) -> float | None:
    """parse_amount, with a short cut for the plain numbers most cells hold; '10分' is 10."""
    if not text or text[0] not in _NUMBER_START or len(text) > MAX_NUMBER_CHARS:
        return None
    if _PLAIN_NUMBER.fullmatch(text):
        return float(text)
    if text.endswith("分"):  # weights and scores printed as 10分
        text = text[:-1]
    return parse_amount(text)


_new_cell = tuple.__new__  # Cell(...) without the keyword handling: cells are made by the million
# Labels, numbers and marks repeat from table to table: their key and value are cached.
_CELL_CACHE: dict[str, tuple[str, float | None]] = {}
CELL_CACHE_SIZE = 50_000
MAX_CACHED_CELL = 40


def make_cell(
    text: str, line: int, row: int, col: int | None, layout: str, end: int | None = None
) -> Cell:
    """A cell of stripped text."""
    info = _CELL_CACHE.get(text)
    if info is None:
        key = text if text.isascii() and " " not in text else key_of(text)
        info = (key, number(text))
        if len(text) <= MAX_CACHED_CELL:
            if len(_CELL_CACHE) >= CELL_CACHE_SIZE:
                _CELL_CACHE.clear()
            _CELL_CACHE[text] = info
    return _new_cell(Cell, (text, info[0], line, row, col, info[1], layout, end or line))


def join_parts(parts: Sequence[str]) -> str:
    """Join wrapped pieces of one cell; white space between CJK characters goes."""
    parts = [p for p in parts if p]
    if len(parts) == 1:
        return parts[0].strip()
    return clean_name(" ".join(parts)) or ""


# --- what a word is ----------------------------------------------------------------------------

_WORD_KEYS = frozenset(key_of(w) for w in GLUED_WORDS)
_HEADER_END = re.compile(r"(?:数|率|值|分|额|权重|支出)(?:\([^()]{0,12}\)?)?$")
_TITLE_WORD = re.compile(r"绩效(?:自评|目标|评价)|自评表|申报表|决算")


def is_form_word(key: str) -> bool:
    """A label, column header or level word of the forms (the vocabulary), by its key."""
    k = key.rstrip(":：")
    role = funds_role(k)
    return bool(
        k in _WORD_KEYS
        or k in LEVEL1_WORDS
        # funds_role reads a header cell's first words leniently; a word of its own is a header
        # only when it ends like one: wrapped names ('维修维护验收 合格率', '预算控制完成 率')
        # are no row of cells.
        or (role and (role != "rate" or "执行" in k) and bool(_HEADER_END.search(k)))
        or indicator_role(k)
        or is_level2(k)
        or (len(k) <= 40 and _TITLE_WORD.search(k))
    )


def _merge_fragments(words: list[str]) -> list[str]:
    """Put back what single-space splitting tore apart: '=100.00 (%)', '≥ 90%', '2, 306. 00'."""
    out: list[str] = []
    for w in words:
        if out and (
            _UNIT_FRAGMENT.match(w)
            or _OP_ONLY.match(out[-1])
            or (out[-1][-1] in ",.，" and w[0].isdigit() and out[-1][0].isdigit())
        ):
            out[-1] += " " + w  # the printed text again: it was split at exactly this space
        else:
            out.append(w)
    return out


def _is_figure(word: str) -> bool:
    """A number, a percentage or a cell too narrow for its number (#####)."""
    if number(word) is not None:
        return True
    if word[-1] in "%％":
        return number(word[:-1]) is not None
    return word[0] == "#" and is_overflow(word)


def split_loose(text: str, row: bool = False) -> tuple[list[str], str]:
    """Cells of a line without tabs and their layout: runs of spaces, or single spaces where a
    row or a whole table was flattened onto the line. `row`: the reader knows the line is a row
    of a table (it sits inside one), so single spaces split it even without figures or form
    words ('基层医疗机构运行情况 良性发展 良性发展 5')."""
    stripped = text.strip()
    parts = [p.strip() for p in _SPLIT_SPACES.split(stripped) if p.strip()]
    if len(parts) != 1:
        return parts, SPACED
    words = stripped.split()
    if len(words) < 2:
        return parts, TEXT
    numbers = sum(1 for w in words if _is_figure(w))
    if (
        row
        or numbers >= 2
        or any(is_form_word(key_of(w)) for w in words)
        or (len(words) >= MIN_TARGET_ROW_WORDS and any(_TARGET_WORD.match(w) for w in words))
    ):
        return _merge_fragments(words), SINGLE_SPACED
    return parts, TEXT


def split_cell(cell: Cell) -> list[Cell]:
    """A text cell cut at single spaces, with what the cut tore apart put back, for a reader that
    knows from the form around it that the text is a row ('社会满意度 100%', '(一)财政拨款小计
    6.30'): the layout stage alone keeps such a line whole. The pieces keep the cell's lines."""
    words = cell.text.split()
    if len(words) < 2:
        return [cell]
    return [
        make_cell(w, cell.line, cell.row, None, SINGLE_SPACED, cell.end)
        for w in _merge_fragments(words)
    ]


# --- glued text --------------------------------------------------------------------------------

# A glued line is long ...
GLUED_MIN_CHARS = 40
GLUED_MAX_SPACE_SHARE = 0.08
# ... and holds this many form words glued to the text on both sides, more than spaced ones.
GLUED_MIN_WORDS = 3
# A line with this many runs of two or more spaces is a row of spaced cells, never glued text.
SPACED_ROW_GAPS = 3
# ... and one with this many figures standing alone between spaces is a flattened row.
SPACED_ROW_FIGURES = 2
_FREE_FIGURE = re.compile(r"(?<!\S)\d+(?:\.\d+)?%?(?!\S)")
# A form word may carry its column marker: 预算数(A), 执行率(B/A), 得分(20分*执行率), 资金(万元).
_MARKER = r"(?:[(][A-Za-z0-9/*×%.、,分万元 ]{0,10}[)]|[(][A-Za-z/]{1,4}\d?)?"
# A form's title keeps its year: 部门整体支出绩效自评表(2021年度).
_TITLE_YEAR = r"(?:(?<=表)\((?:19|20)\d{2}年度?\))?"
_TITLE_END = re.compile(r"表(?:\(\d{4}年度?\))?$")
_GLUED_WORD = re.compile(
    "(?:"
    + "|".join(re.escape(w) for w in sorted(set(_WORD_KEYS), key=len, reverse=True))
    + ")"
    + _TITLE_YEAR
    + _MARKER
)
# Figures right after a word: amounts, rates, 分; a colon before them is the label's.
# A year or a count that starts a name ('2021年卫生健康…', '37个') is text, not a figure cell.
_LEAD_FIGURES = re.compile(
    r"^[:：]?\s*((?>[0-9][0-9.,，%]*(?:\([Xx]\)%?)?))"
    r"(?:(?<=%)|(?![年月日号个人次名元万亿天时期届批条所家]|项(?!目)))"
)
_PAGE_MARK = re.compile(r"^\s*(\d{1,3})、")


def is_glued(line: str) -> bool:
    """A line of text extracted with no separators: form words run into the text around them
    (a flattened row keeps a space on each side of its words)."""
    if len(line) < GLUED_MIN_CHARS or "\t" in line:
        return False
    text = normal_text(line[:2000])
    glued = spaced = 0
    for m in _GLUED_WORD.finditer(text):
        # The line's start and end are neither: a word there counts by its other side.
        before = text[m.start() - 1] if m.start() else ""
        after = text[m.end()] if m.end() < len(text) else ""
        sides = [c for c in (before, after) if c]
        if sides and all(c.isspace() for c in sides):
            spaced += 1
        elif sides and not any(c.isspace() for c in sides):
            glued += 1
    if glued < GLUED_MIN_WORDS or glued <= spaced:
        return False
    # Form words glued inside cells of a row whose cells stand between runs of spaces, or whose
    # figures stand alone between spaces: a spaced or flattened row, not glued text.
    return (
        len(_SPLIT_SPACES.findall(line.strip())) < SPACED_ROW_GAPS
        and len(_FREE_FIGURE.findall(line)) < SPACED_ROW_FIGURES
    )


def _glued_cells(pieces: list[tuple[int, str]], row: int) -> Iterator[Cell]:
    """Cells of a run of glued lines: (line number, text) pieces joined into one text."""
    text_parts: list[str] = []
    line_at: list[int] = []
    for n, piece in pieces:
        s = squeeze_key(piece.replace("\f", ""))  # squeezed: the few spaces are noise here
        text_parts.append(s)
        line_at.extend([n] * len(s))
    text = "".join(text_parts)
    if not text:
        return
    pos = 0

    def emit(start: int, end: int) -> Iterator[Cell]:
        s = text[start:end].strip(":：、 ")
        if s:
            yield make_cell(s, line_at[start], row, None, GLUED, line_at[end - 1])

    for m in _GLUED_WORD.finditer(text):
        start = m.start()
        if _TITLE_END.search(m.group(0)) and start > pos:
            # A title holds what precedes its form word on its line: 某某县2022年度…自评表.
            own = start
            while own > pos and line_at[own - 1] == line_at[start]:
                own -= 1
            if own > pos:
                yield from _text_and_figures(text, pos, own, line_at, row)
            mark = _PAGE_MARK.match(text, own)
            start = mark.end() if mark else own
        elif start > pos:
            yield from _text_and_figures(text, pos, start, line_at, row)
        yield from emit(start, m.end())
        pos = m.end()
    if pos < len(text):
        yield from _text_and_figures(text, pos, len(text), line_at, row)


def cut_words(cell: Cell) -> list[Cell]:
    """A cell printed without separators cut at the form's words, as a glued line is
    ('序号项目名称预算数执行数执行率' -> 序号 / 项目名称 / 预算数 / 执行数 / 执行率): for a short line
    the glued-line test (is_glued) leaves whole."""
    return list(_glued_cells([(cell.line, cell.text)], cell.row)) or [cell]


def _text_and_figures(text: str, start: int, end: int, line_at: list[int], row: int):
    """The stretch between two words: a run of figures that opens it, then its text."""
    s = text[start:end]
    m = _LEAD_FIGURES.match(s)
    if m:
        fig = m.group(1)
        a = start + m.start(1)
        yield make_cell(fig, line_at[a], row, None, GLUED, line_at[a + len(fig) - 1])
        start = start + m.end()
        s = text[start:end]
    body = s.strip(":：、 ")
    if body:
        k = start + s.index(body[0])
        yield make_cell(body, line_at[k], row, None, GLUED, line_at[min(end, len(line_at)) - 1])


# A run of figures inside glued text: amounts, rates, a row's 序号. Not a piece of a word (2.0B)
# and, for a bare integer, not a date or a count (2021年, 12月, 60周岁, 8台).
_FIGURE_RUN = re.compile(
    r"(?<![A-Za-z0-9.])(?:[0-9][0-9,]*[.%][0-9.,%]*|[0-9]+(?![0-9.,%年月日号时分秒周岁个人次户台万元]))"
    r"(?![A-Za-z0-9])"
)


def split_figures(cell: Cell) -> list[Cell]:
    """A cell of glued text cut into its runs of text and of figures, each a cell of the same row
    and lines ('无无2家庭医生签约50.0045.0090%' -> '无无', '2', '家庭医生签约', '50.0045.0090%').
    For a reader that knows its rows hold figures between texts; a run of glued figures stays one
    cell, for loaders/solve.py to split under the form's arithmetic."""
    text = cell.text
    out: list[Cell] = []
    pos = 0
    for m in _FIGURE_RUN.finditer(text):
        for piece in (text[pos : m.start()].strip(), m.group(0)):
            if piece:
                out.append(make_cell(piece, cell.line, cell.row, None, cell.layout, cell.end))
        pos = m.end()
    if not out:
        return [cell]
    rest = text[pos:].strip()
    if rest:
        out.append(make_cell(rest, cell.line, cell.row, None, cell.layout, cell.end))
    return out


def _glued_runs(lines: Sequence[str]) -> dict[int, int]:
    """First line -> last line of each run of glued lines (blank lines inside a run allowed)."""
    runs: dict[int, int] = {}
    start = last = None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if is_glued(line) or (
            start is not None and _PAGE_MARK.match(line) and len(line) >= GLUED_MIN_CHARS // 2
        ):
            if start is None:
                start = n
            last = n
            continue
        if start is not None:
            runs[start] = last
            start = None
    if start is not None:
        runs[start] = last
    return runs


def _strip_page_marks(lines: Sequence[str], first: int, last: int) -> list[tuple[int, str]]:
    """The run's lines without the page markers a document site puts before each page ('2、');
    only markers that count up page by page are dropped."""
    pieces = [(n, lines[n - 1]) for n in range(first, last + 1) if lines[n - 1].strip()]
    marks = [_PAGE_MARK.match(t) for _, t in pieces]
    numbers = [int(m.group(1)) if m else None for m in marks]
    follows = all(
        b is not None and a is not None and b == a + 1
        for a, b in zip(numbers, numbers[1:], strict=False)
    )
    if len(pieces) > 1 and follows:
        return [(n, t[m.end() :]) for (n, t), m in zip(pieces, marks, strict=True)]
    return pieces


# --- the stage ---------------------------------------------------------------------------------


def cells(lines: Sequence[str]) -> Iterator[Cell]:
    """Every cell of the text, in reading order; empty cells only where the layout prints them
    (``pipe_end``: a bare ``|``)."""
    row = 0
    group: list[list] = []  # tab-led cell lines of one row: [text parts, first line, last line]
    glued = _glued_runs(lines) if _may_hold_glued(lines) else {}
    skip_to = 0
    for n, raw in enumerate(lines, 1):
        if n <= skip_to:
            continue
        line = raw.replace("\f", "") if "\f" in raw else raw
        tab = line.find("\t")
        if tab == 0 and line.find("\t", 1) == -1:
            group.append([[line.strip()], n, n])
            continue
        stripped = line.strip()
        if group and stripped and tab == -1 and not is_section_label(key_of(stripped)):
            group[-1][0].append(stripped)
            group[-1][2] = n
            continue
        if group:
            row += 1
            yield from _group_cells(group, row)
            group = []
        if not stripped:
            continue
        if n in glued:
            row += 1
            skip_to = glued[n]
            yield from _glued_cells(_strip_page_marks(lines, n, skip_to), row)
            continue
        if tab != -1:
            row += 1
            for col, cell in enumerate(line.split("\t")):
                if cell:
                    cell = cell.strip()
                    if cell:
                        yield make_cell(cell, n, row, col, TAB)
            continue
        if "|" in stripped:
            split = _pipe_cells(stripped)
            if split is not None:
                texts, layout = split
                if texts is None:
                    continue  # a markdown rule
                row += 1
                for col, cell in enumerate(texts):
                    if cell or layout == PIPE_END:
                        yield make_cell(cell, n, row, col if layout != PIPE_END else None, layout)
                continue
        if PAGE_NOISE.match(stripped):
            continue
        row += 1
        texts, layout = split_loose(stripped)
        for cell in texts:
            yield make_cell(cell, n, row, None, layout)
    if group:
        yield from _group_cells(group, row + 1)


def rows(lines: Sequence[str]) -> Iterator[list[Cell]]:
    """The cells of the text grouped by row."""
    return group_rows(cells(lines))


def group_rows(stream: Iterable[Cell]) -> Iterator[list[Cell]]:
    """Cells grouped by row (a document's Doc.layout_cells, read once)."""
    current: list[Cell] = []
    for cell in stream:
        if current and cell.row != current[0].row:
            yield current
            current = []
        current.append(cell)
    if current:
        yield current


def reflow(stream: Iterable[Cell], width: int) -> list[list[Cell]]:
    """Rows of `width` cells from a stream of one cell per line whose empty cells were printed
    (``pipe_end``): the header said how wide the table is; empty cells are dropped after."""
    out: list[list[Cell]] = []
    chunk: list[Cell] = []
    for cell in stream:
        chunk.append(cell)
        if len(chunk) == width:
            out.append(chunk)
            chunk = []
    if chunk:
        out.append(chunk)
    rebuilt = (
        [c._replace(row=chunk[0].row, col=i) for i, c in enumerate(chunk) if c.text]
        for chunk in out
    )
    return [r for r in rebuilt if r]


def _may_hold_glued(lines: Sequence[str]) -> bool:
    """Cheap test first: glued text has long lines with few spaces and no tabs."""
    for line in lines[:400]:
        if len(line) >= GLUED_MIN_CHARS and "\t" not in line:
            if line.count(" ") <= GLUED_MAX_SPACE_SHARE * len(line):
                return True
    return False


def _pipe_cells(line: str) -> tuple[list[str] | None, str] | None:
    """Cells of a line with pipes, or None when the pipes are text. (None, MARKDOWN) for a
    markdown rule line."""
    if line == "|":
        return [""], PIPE_END
    if line.endswith("|") and line.count("|") == 1:
        return [line[:-1].strip()], PIPE_END
    if line.startswith("|") and line.endswith("|") and line.count("|") >= 3:
        if _MARKDOWN_RULE.match(line):
            return None, MARKDOWN
        return [c.strip() for c in line[1:-1].split("|")], MARKDOWN
    parts = _PIPE_SPLIT.split(line)
    if len(parts) >= 3:
        return [p.strip() for p in parts], PIPE_ROW
    return None


def _group_cells(group: list[list], row: int) -> Iterator[Cell]:
    for col, (parts, first, last) in enumerate(group):
        text = join_parts(parts) if len(parts) > 1 else parts[0]
        if text:
            yield make_cell(text, first, row, col, CELL_LINES, last)
