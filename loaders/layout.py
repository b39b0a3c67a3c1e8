"""Layout recovery, once for every kind: text in any layout becomes rows of cells with their lines.

The layouts real documents come in, each decided per line or run of lines by its content (one
document mixes them; tests/test_layout_roundtrip.py reads back every class synth.layouts prints):

- ``tab``: cells between tabs, one row per line (a spreadsheet or Word table pulled as text). A
  row whose text cells wrapped goes on on the lines under it (``_tab_wraps``): as many tabs, text
  without figures only under cells that filled the table's width, fewer cells than the row;
- ``cell_lines``: one cell per line, each led by a tab, a blank line ending the row; an untabbed
  line right after a cell goes on with that cell (a word processor's export, wrapped cells); a
  page number inside a row is skipped and the row goes on;
- one cell per line without tabs (``text`` cells): rows from the blank-line runs between them
  when they read as a table (``_bare_rows``: the run length that gives rows no wider than the
  first and closest to it), else a row per line;
- ``pipe_end``: one cell per line ending in ``|``, an empty cell as a bare ``|`` (a site's table
  export); empty cells are kept, so a reader that knows the header's width can rebuild the rows;
- ``markdown`` (``| a | b |``, separator rows dropped) and ``pipe_row`` (``a | b | c``, empty
  cells kept in their columns);
- ``spaced``: cells between runs of two or more spaces; a wrapped cell goes on on the lines
  under it in its column (``_spaced_wraps``, as for tab rows);
- ``single_spaced``: cells between single spaces, a row per line, or a whole sheet flattened
  onto one line (synth's ``flat_line``: not told apart here, since a long row and a short table
  look alike; a reader that needs the rows of a flattened table counts the header's cells).
  Split only where the line holds two figures, or a form word (of two words, the first: a label
  and its value, not '指标1: 培训人次'), with what the split tore apart put back ('≥ 90%',
  '2, 306. 00', '(万元)');
- ``glued``: a document site's extraction with no separators at all
  (``单位名称襄阳市中心医院填报日期…年度资金总额10001000100%20``): cut at the form's words, and
  between them where text and figures meet (a figure's unit, a date, a label's number and a
  name's leading number stay with their text); a run of figures is one cell (after a rate that
  reads as one number it is cut) for the reader to split under the form's arithmetic (see
  loaders/solve.py). A page break may cut glued text anywhere: page numbers (``2、`` at the
  start of each page's text, ``- 3 -`` lines) are dropped and what they cut is joined again;
- ``text``: a line with nothing to split, one cell.

Page numbers (``- 3 -``, ``第 2 页``/``頁``, ``1/5``) and form feeds are dropped. A ``3、`` page
number outside glued text reads like a list number and stays, except before a tab-led cell line,
a markdown row or an empty ``pipe_end`` cell, where no list number goes. Every cell knows its
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
    r"^\s*(?:[-—–－]\s*\d{1,4}\s*[-—–－]|第\s*\d+\s*[页頁](?:\s*[,，/]?\s*共\s*\d+\s*[页頁])?|"
    r"\d{1,4}\s*/\s*\d{1,4})\s*$"
)
_SPLIT_SPACES = re.compile(r"\s{2,}")


def is_page_noise(stripped: str) -> bool:
    """PAGE_NOISE.match of a stripped non-empty line, the regex only for a line that opens as a
    page number can (a dash, 第 or a digit, \\d being any decimal digit)."""
    c = stripped[0]
    return (c in "-—–－第" or c.isdecimal()) and PAGE_NOISE.match(stripped) is not None


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
_GROUPED_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
# No number is printed longer than this ('1, 234, 567, 890. 1234 元' with OCR gaps); a longer
# cell that opens with a digit is prose ('2021年:落实…') and skips parse_amount.
MAX_NUMBER_CHARS = 32


def number(text: str) -> float | None:
    """parse_amount, with a short cut for the plain numbers most cells hold; '10分' is 10. A text
    laid out as a cell before is answered from the cell cache (readers ask again for weights,
    scores and amounts their cells already carry)."""
    if not text or text[0] not in _NUMBER_START or len(text) > MAX_NUMBER_CHARS:
        return None
    info = _CELL_CACHE.get(text)
    if info is not None:
        return info[1]
    return _number(text)


def _number(text: str) -> float | None:
    if not text or text[0] not in _NUMBER_START or len(text) > MAX_NUMBER_CHARS:
        return None
    if _PLAIN_NUMBER.fullmatch(text):
        return float(text)
    if _GROUPED_NUMBER.fullmatch(text):  # 1,400.7322: what parse_amount reads it as, at once
        return float(text.replace(",", ""))
    last = text[-1]
    if last == "分":  # weights and scores printed as 10分
        text = text[:-1]
    elif not (last.isdigit() or last == "元"):
        return None  # '90%', '45739人', '≥90%': no amount ends so
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
        info = (key, _number(text))
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


_FORM_WORDS: dict[str, bool] = {}  # keys repeat from table to table


def is_form_word(key: str) -> bool:
    """A label, column header or level word of the forms (the vocabulary), by its key."""
    known = _FORM_WORDS.get(key)
    if known is None:
        if len(_FORM_WORDS) >= CELL_CACHE_SIZE:
            _FORM_WORDS.clear()
        known = _FORM_WORDS[key] = _is_form_word(key)
    return known


def _is_form_word(key: str) -> bool:
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


# Where _merge_fragments may put words back together: a unit fragment after a space, a word
# ending in a comma or point before one, an operator standing alone. A line without any keeps
# its words as split (most lines).
_MAY_MERGE = re.compile(
    r"\s[(（%％]|[,.，]\s|(?:^|\s)(?:[≥≤><=＝≧≦]|>=|<=|不低于|不少于|不高于|不超过|大于|小于|等于)\s"
)
# First characters of what _UNIT_FRAGMENT and _OP_ONLY match: most words skip both regexes.
_FRAGMENT_STARTS = frozenset("(（%％")
_OP_STARTS = frozenset("≥≤><=＝≧≦不大小等")


def _merge_fragments(words: list[str]) -> list[str]:
    """Put back what single-space splitting tore apart: '=100.00 (%)', '≥ 90%', '2, 306. 00'."""
    out: list[str] = []
    for w in words:
        if out and (
            (w[0] in _FRAGMENT_STARTS and _UNIT_FRAGMENT.match(w))
            or (out[-1][0] in _OP_STARTS and _OP_ONLY.match(out[-1]))
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
    if " " not in stripped and "\u3000" not in stripped:  # most lines of prose and one-cell lines
        return [stripped], TEXT
    parts = _SPLIT_SPACES.split(stripped)  # stripped, so no part is empty or padded
    if len(parts) != 1:
        return parts, SPACED
    words = stripped.split()
    if len(words) < 2:
        return parts, TEXT
    numbers = 0
    for w in words:
        if (w[0] in _NUMBER_START or w[0] == "#") and _is_figure(w):
            numbers += 1
            if numbers == 2:
                break
    if numbers < 2 and words[0][0].isdigit() and (page := _PAGE_MARK.match(words[0])):
        numbers += number(words[0][page.end() :]) is not None  # '3、' a page number put before
    if row or numbers >= 2:
        return (_merge_fragments(words) if _MAY_MERGE.search(stripped) else words), SINGLE_SPACED
    # Two words are a label and its value ('项目名称 麻风病防治'), or one cell with a space in it
    # ('指标1: 老年人健康管理率'); more are a flattened row when one is a form word, or a target
    # row ('用户满意度 ≥90% 95%').
    if len(words) == 2:
        labelled = is_form_word(key_of(words[0]))
    else:
        labelled = any(is_form_word(key_of(w)) for w in words) or (
            len(words) >= MIN_TARGET_ROW_WORDS and any(_TARGET_WORD.match(w) for w in words)
        )
    if labelled:
        return (_merge_fragments(words) if _MAY_MERGE.search(stripped) else words), SINGLE_SPACED
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
_FIGURE_WORD = re.compile(r"\d+(?:\.\d+)?%?")  # a whole word that _FREE_FIGURE matches
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
_PAGE_MARK = re.compile(r"^\s*(\d{1,3})、")
# Between two words: figures (an operator before, a percent sign or OCR's (X)% after) and dates,
# which are text ('2022年3月18日' is one cell).
_GLUED_TOKEN = re.compile(
    r"(?P<date>\d{4}年\d{1,2}月(?:\d{1,2}日)?)"
    r"|(?P<fig>(?:>=|<=|[≥≤><=])?\d[\d.,，%]*(?:\([Xx]\)%?)?)"
)
# A percent sign ends a rate: the run is cut after it when the rate reads as one number (a run
# such as 10001000100%20 needs the form's arithmetic whole).
_PERCENT_CUT = re.compile(r"(?:^|(?<=[^\d.]))\d{1,3}(?:\.\d+)?%(?=[\d≥≤><=])")
# A figure's unit glued after it: 5000人, 12户次, 30万元 (then the next figure).
_GLUED_UNIT = re.compile(r"^[\u4e00-\u9fffA-Za-z]{1,2}$")
# A figure in a sentence: its unit, then the sentence's punctuation.
_INLINE_AFTER = re.compile(r"^[\u4e00-\u9fff]{0,2}[,，。;；]")
# A number that labels the text after it, not a value: 指标1:…, 1.项目…, 2、…
_LABEL_MARKS = ":：、"
# A name may open with a whole number and its unit: 2021年卫生健康…, 65岁以上老人…; a number
# after a label and before other text is the label's value (自评得分98财政审…).
_COUNT_UNITS = frozenset("年月日号个人次名元万亿天时期届批条所家岁周户台项")
MAX_LEADING_NUMBER_DIGITS = 4
_NO_WHITE = "\t\n\r \xa0\u3000\f"  # dropped from glued text


def _is_spaced_row(line: str) -> bool:
    """SPACED_ROW_GAPS runs of two or more spaces, or SPACED_ROW_FIGURES figures standing alone
    between spaces (_FREE_FIGURE: whole words), read off the line's words: a line without a
    double space (most) needs no regex for the gaps, and the figures are counted only up to
    what decides."""
    stripped = line.strip()
    words = stripped.split()
    if sum(map(len, words)) + len(words) - 1 != len(stripped):  # some gap is wider than 1
        if len(_SPLIT_SPACES.findall(stripped)) >= SPACED_ROW_GAPS:
            return True
    figures = 0
    for w in words:
        if w[0].isdecimal() and _FIGURE_WORD.fullmatch(w):
            figures += 1
            if figures >= SPACED_ROW_FIGURES:
                return True
    return False


def is_glued(line: str) -> bool:
    """A line of text extracted with no separators: form words run into the text around them
    (a flattened row keeps a space on each side of its words)."""
    if len(line) < GLUED_MIN_CHARS or "\t" in line:
        return False
    # Form words glued inside cells of a row whose cells stand between runs of spaces, or whose
    # figures stand alone between spaces: a spaced or flattened row, not glued text (tested
    # first: the words are looked for only in what may be glued).
    if _is_spaced_row(line):
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
    return glued >= GLUED_MIN_WORDS and glued > spaced


def _glued_cells(pieces: list[tuple[int, str]], row: int) -> Iterator[Cell]:
    """Cells of a run of glued lines: (line number, text) pieces joined into one text, cut at
    the form's words and, between them, where text and figures meet (see _stretch)."""
    parts: list[str] = []
    line_at: list[int] = []
    for n, piece in pieces:
        s = piece
        for ch in _NO_WHITE:  # the few spaces of glued text are noise (replace: fast in C)
            if ch in s:
                s = s.replace(ch, "")
        parts.append(s)
        line_at.extend([n] * len(s))
    text = "".join(parts)
    if not text:
        return
    key = squeeze_key(text)  # half-width and simplified, one character for one
    if len(key) != len(text):
        text = key
    pos = 0
    for m in _GLUED_WORD.finditer(key):
        start = m.start()
        if _TITLE_END.search(key, m.start(), m.end()) and start > pos:
            # A title holds what precedes its form word on its line: 某某县2022年度…自评表.
            own = start
            while own > pos and line_at[own - 1] == line_at[start]:
                own -= 1
            if own > pos:
                yield from _stretch(text, key, pos, own, line_at, row)
            mark = _PAGE_MARK.match(key, own)
            start = mark.end() if mark else own
        elif start > pos:
            yield from _stretch(text, key, pos, start, line_at, row)
        yield from _glued_cell(text, start, m.end(), line_at, row)
        pos = m.end()
    if pos < len(text):
        yield from _stretch(text, key, pos, len(text), line_at, row)


def cut_words(cell: Cell) -> list[Cell]:
    """A cell printed without separators cut at the form's words, as a glued line is
    ('序号项目名称预算数执行数执行率' -> 序号 / 项目名称 / 预算数 / 执行数 / 执行率): for a short line
    the glued-line test (is_glued) leaves whole."""
    return list(_glued_cells([(cell.line, cell.text)], cell.row)) or [cell]


def _glued_cell(text: str, start: int, end: int, line_at: list[int], row: int) -> Iterator[Cell]:
    s = text[start:end]
    body = s.strip(":：、 ")
    if body:
        k = start + s.index(body)
        yield make_cell(body, line_at[k], row, None, GLUED, line_at[k + len(body) - 1])


def _stretch(text: str, key: str, start: int, end: int, line_at: list[int], row: int):
    """The cells between two words. Text and figures are cut where they meet, except where
    what a reader sees says they are one cell: a figure's unit before the next figure
    (5000人4800人), a number that labels the text after it (指标1:…), a number in brackets
    ((20分), (2021年度)), a whole number a name opens with (2021年…, 65岁…) and a date.
    A run of figures is one cell but after a percent sign: splitting '2456.182456.1810100%'
    needs the form's arithmetic (solve.read_funds)."""
    s = key[start:end]
    toks: list[list] = []  # [start, end, is_figure], offsets into key
    pos = 0
    for m in _GLUED_TOKEN.finditer(s):
        if m.start() > pos:
            toks.append([start + pos, start + m.start(), False])
        if m.lastgroup == "date":
            toks.append([start + m.start(), start + m.end(), False])
        else:
            a = m.start()
            for cut in _PERCENT_CUT.finditer(m.group()):
                if cut.start() != a - m.start() and not (
                    cut.start() == 1 and m.group()[0] in "≥≤><="
                ):
                    continue  # the rate is the end of a longer run
                toks.append([start + a, start + m.start() + cut.end(), True])
                a = m.start() + cut.end()
            toks.append([start + a, start + m.end(), True])
        pos = m.end()
    if pos < len(s):
        toks.append([start + pos, end, False])
    # A label's number, a name's leading number and a figure's unit join their neighbours.
    k = 0
    while k < len(toks):
        a, b, fig = toks[k]
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        if fig and nxt is not None and not nxt[2]:
            after = key[nxt[0] : nxt[1]]
            bracketed = k and key[a - 1] in "(（[【"
            # a figure in a sentence: 达到55万元,三公经费…, 完成率280%。
            inline = k and _INLINE_AFTER.match(after)
            if after[0] in _LABEL_MARKS or key[b - 1] == "." or bracketed or inline:
                toks[k] = [a, nxt[1], False]
                del toks[k + 1]
                if k and not toks[k - 1][2]:
                    toks[k - 1][1] = toks[k][1]
                    del toks[k]
                    k -= 1
                continue
            if (
                k == 0
                and key[a:b].isdigit()
                and b - a <= MAX_LEADING_NUMBER_DIGITS
                and after[0] in _COUNT_UNITS
            ):
                toks[k] = [a, nxt[1], False]
                del toks[k + 1]
                continue
            later = toks[k + 2] if k + 2 < len(toks) else None
            if later is not None and later[2] and _GLUED_UNIT.match(after):
                toks[k] = [a, nxt[1], True]
                del toks[k + 1]
                continue
        if not fig and nxt is not None and not nxt[2]:
            toks[k] = [a, nxt[1], False]
            del toks[k + 1]
            continue
        k += 1
    for a, b, _ in toks:
        yield from _glued_cell(text, a, b, line_at, row)


# A run of figures inside glued text: amounts, rates, a row's 序号. Not a piece of a word (2.0B)
# and, for a bare integer, not a date or a count (2021年, 12月, 60周岁, 8台; 65歲 in traditional
# characters).
_FIGURE_RUN = re.compile(
    r"(?<![A-Za-z0-9.])(?:[0-9][0-9,]*[.%][0-9.,%]*"
    r"|[0-9]+(?![0-9.,%年月日号时分秒周岁个人次户台万元號時歲個戶萬]))"
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
    """First line -> last line of each run of glued lines (blank lines inside a run allowed).

    A page break may cut glued text anywhere, so a run goes on over it: over a page number on a
    line of its own ('- 3 -'), and over the page number a document site starts each page with
    ('3、', counting up; a text's first page may print none, and page 1 starts a text). Whether
    text is glued is judged on the lines a page break cut apart taken together."""
    runs: dict[int, int] = {}
    total = len(lines)
    n = 1
    while n <= total:
        line = lines[n - 1]
        if "\t" in line or not line.strip():
            n += 1
            continue
        nxt = lines[n] if n < total else ""
        if nxt and not nxt[0].isspace():  # most lines: the next one is text
            cut = nxt[0] in _PAGE_STARTS
        else:
            k = _next_text(lines, n)
            cut = k is not None and lines[k - 1].lstrip()[:1] in _PAGE_STARTS
        if not cut and len(line) < GLUED_MIN_CHARS:
            n += 1  # a short line is glued text only if a page break cut it
            continue
        last = _pages_after(lines, n) if cut else n
        if last == n:
            glued = len(line) >= GLUED_MIN_CHARS and is_glued(line)
        else:
            glued = is_glued("".join(t for _, t in _strip_page_marks(lines, n, last)))
        if not glued:
            n += 1
            continue
        while True:  # more glued lines, and the pages they go on on
            k = _next_text(lines, last)
            if k is None or "\t" in lines[k - 1]:
                break
            further = _pages_after(lines, k)
            if further == k and len(lines[k - 1]) < GLUED_MIN_CHARS:
                break
            if not is_glued("".join(t for _, t in _strip_page_marks(lines, k, further))):
                break
            last = further
        runs[n] = last
        n = last + 1
    return runs


_PAGE_STARTS = frozenset("0123456789-—–－第")


def _pages_after(lines: Sequence[str], n: int) -> int:
    """The last line of the text from line n on that page breaks cut (n when none did)."""
    last = n
    page = _page_of(lines[n - 1])
    while True:
        k = _next_text(lines, last)
        if k is None:
            return last
        nxt = lines[k - 1]
        if "\t" in nxt:
            return last
        if PAGE_NOISE.match(nxt):
            after = _next_text(lines, k)
            if after is None or "\t" in lines[after - 1] or PAGE_NOISE.match(lines[after - 1]):
                return last
            last = after
            continue
        mark = _page_of(nxt)
        if mark is None or mark != (page + 1 if page is not None else max(mark, 2)):
            return last
        page, last = mark, k


def _page_of(line: str) -> int | None:
    m = _PAGE_MARK.match(line)
    return int(m.group(1)) if m else None


def _next_text(lines: Sequence[str], n: int) -> int | None:
    k = n + 1
    while k <= len(lines) and not lines[k - 1].strip():
        k += 1
    return k if k <= len(lines) else None


def _strip_page_marks(lines: Sequence[str], first: int, last: int) -> list[tuple[int, str]]:
    """The run's lines without the page markers a document site puts before each page ('2、');
    only markers that count up page by page are dropped (the first page may have none)."""
    pieces = [
        (n, lines[n - 1])
        for n in range(first, last + 1)
        if lines[n - 1].strip() and not PAGE_NOISE.match(lines[n - 1])
    ]
    marks = [_PAGE_MARK.match(t) for _, t in pieces]
    numbers = [int(m.group(1)) if m else None for m in marks]
    counted = numbers if numbers[0] is not None else numbers[1:]
    follows = bool(counted) and all(
        b is not None and a is not None and b == a + 1
        for a, b in zip(counted, counted[1:], strict=False)
    )
    if len(pieces) > 1 and follows:
        return [(n, t[m.end() :] if m else t) for (n, t), m in zip(pieces, marks, strict=True)]
    return pieces


# --- wrapped rows ------------------------------------------------------------------------------

# A table printed with wrapped cells has a width no cell exceeds, and a cell wrapped onto the
# next line filled it but for a wide character that did not fit or a space the cut moved back
# over. A table whose widest cell is narrower than MIN_WRAP_WIDTH wraps nothing.
WRAP_SLACK = 3
MIN_WRAP_WIDTH = 8
# A value: a figure, with an operator before it and a short unit after it (≥90%, 5000人次).
_VALUE = re.compile(r"[≥≤><=＝+\-]?[\d.,，%０-９]+(?:[(（]?[^\d\s]{0,3}[)）]?)$")
_SPACED_PART = re.compile(r"\S+(?: \S+)*")


# Wide and full-width characters (East Asian width W or F): CJK, kana, hangul, full-width forms.
_WIDE = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
)


def display_width(text: str) -> int:
    """Columns the text takes in a monospaced print: 2 for wide and full-width characters."""
    if text.isascii():
        return len(text)
    return 2 * len(text) - len(_WIDE.sub("", text))  # what is left is narrow


def _may_wrap(text: str) -> bool:
    """A cell whose text may go on on the next line: words, not a value or a form word."""
    return bool(text) and not _VALUE.match(text) and not is_form_word(key_of(text))


def _goes_on(text: str) -> bool:
    """A piece that may be the rest of a wrapped cell: not a value, a label or a page number."""
    return (
        not _VALUE.match(text) and not is_section_label(key_of(text)) and not PAGE_NOISE.match(text)
    )


def _tab_wraps(
    lines: Sequence[str], n: int, fields: list[str], nxt: list[str], widths: list
) -> list[list[str]]:
    """The lines after tab line n whose cells go on with its wrapped cells (stripped fields):
    the same tabs, text only under cells that filled the table's width, and not under all of
    the row's cells (a row's values stay on its first line). `nxt`: line n + 1's fields."""
    tabs = len(fields) - 1
    last = fields
    out: list[list[str]] = []
    k = n
    while True:
        above: list[str] = []
        for j in range(tabs, -1, -1):  # from the right, where the values are: most lines exit
            t = nxt[j]
            if t and not t.isspace():
                a = last[j].strip()
                if not a or _VALUE.match(a) or _VALUE.match(t.strip()):
                    return out
                above.append(a)
        if not above:
            return out
        least = min(map(display_width, above))
        if least < MIN_WRAP_WIDTH - WRAP_SLACK:
            return out
        below = [t.strip() for t in nxt if t and not t.isspace()]
        if not out and not all(_may_wrap(t) for t in above):
            return out
        if not all(_goes_on(t) for t in below):
            return out
        width = _run_width(lines, n, widths, lambda line: line.count("\t") == tabs, _tab_parts)
        if width < MIN_WRAP_WIDTH or least < width - WRAP_SLACK:
            return out
        out.append([t.strip() for t in nxt])
        last = nxt
        k += 1
        if k >= len(lines) or lines[k].count("\t") != tabs:
            return out
        nxt = lines[k].split("\t")


def _tab_parts(line: str) -> list[str]:
    return line.split("\t")


def _spaced_parts(line: str) -> list[str]:
    return _SPACED_PART.findall(line)


def _columns(line: str) -> dict[int, str]:
    """A spaced line's cells by the display column they start at."""
    out = {}
    at = column = 0
    for m in _SPACED_PART.finditer(line):
        start = m.start()
        column += display_width(line[at:start])  # widths add up: measure each piece once
        out[column] = m.group()
        at = start
    return out


def _is_spaced(line: str) -> bool:
    return "\t" not in line and len(_SPLIT_SPACES.split(line.strip())) >= 2


def _spaced_wraps(
    lines: Sequence[str], n: int, size: int, widths: list, loose: dict
) -> list[dict[int, str]]:
    """The lines after spaced line n (of `size` cells) whose cells go on with its wrapped cells:
    text starting in the column of a cell above that filled the table's width, not under all of
    the row's cells. The next line's split_loose is kept in `loose` for the caller."""
    line = lines[n - 1]
    nxt = lines[n] if n < len(lines) else ""
    if not nxt.strip() or "\t" in nxt or "|" in nxt:
        return []
    split = loose.get(n + 1)
    if split is None:
        split = loose[n + 1] = split_loose(nxt.replace("\f", "").strip())
    if (len(split[0]) if split[1] == SPACED else 1) >= size:
        return []  # as many cells as the row: a row of its own, not the rest of wrapped cells
    # The first line under the row must be all pieces that go on (a value or a label ends the
    # run at once, whatever its columns): tested on its pieces before any column is measured.
    if not all(_goes_on(t) for t in _SPACED_PART.findall(nxt)):
        return []
    last = _columns(line)
    # A page number before the row ('3、') moved its columns, not the lines under it.
    prefix = _PAGE_MARK.match(line)
    shift = display_width(prefix.group()) if prefix else 0
    at = {c - shift if c else 0: c for c in last} if shift else None
    out: list[dict[int, str]] = []
    k = n
    while k < len(lines):
        nxt = lines[k]
        if not nxt.strip() or "\t" in nxt or "|" in nxt:
            break
        cont = _columns(nxt)
        if at is not None:
            cont = {at.get(c, -1): t for c, t in cont.items()}
        if not all(c in last for c in cont) or (not out and len(cont) >= len(last)):
            break
        if not out and not all(_may_wrap(last[c]) for c in cont):
            break
        if not all(_goes_on(t) for t in cont.values()):
            break
        width = _run_width(lines, n, widths, _is_spaced, _spaced_parts)
        if width < MIN_WRAP_WIDTH or any(display_width(last[c]) < width - WRAP_SLACK for c in cont):
            break
        out.append(cont)
        last = cont
        k += 1
    return out


def _run_width(lines: Sequence[str], n: int, cache: list, same, parts) -> int:
    """The widest cell of the run of lines around line n that `same` says are of one table
    (cache: [first, last, width] of the run measured last)."""
    if cache and cache[0] <= n <= cache[1]:
        return cache[2]
    first = last = n
    while first > 1 and same(lines[first - 2]):
        first -= 1
    while last < len(lines) and same(lines[last]):
        last += 1
    width = 0
    for line in lines[first - 1 : last]:
        if line[:1].isdigit():
            line = _PAGE_MARK.sub("", line, 1)
        for p in parts(line):
            if 2 * len(p) > width:  # only a cell this long can be wider
                w = display_width(p.strip())
                if w > width:
                    width = w
    cache[:] = [first, last, width]
    return width


# --- cells on lines of their own ---------------------------------------------------------------

# Blank-line runs longer than this end a run of one-cell lines.
BARE_MAX_GAP = 4


def _bare_rows(
    lines: Sequence[str], n: int, glued: dict, loose: dict
) -> list[tuple[int, int, str, str]]:
    """(line, row within the run, text, layout) of the run of one-cell lines without tabs starting at
    line n; empty when line n is no such cell.

    One cell per line with blank-line runs between them (a word processor's export): a table
    puts longer runs between its rows than between the cells of a row, but which length ends a
    row is not printed. Each length the runs have (adjacent lines are a run of 0) is tried as
    the shortest that ends a row; a reading is a table's when no row has more cells than the
    first (the header) and, when the first cell is a form word, the first row holds only form
    words. Of those, the one whose rows come closest to the first row's width is taken (cells
    that were empty vanished, so rows are a little narrower). No such reading (prose, one
    length): each line is a row of its own, as for text. Page numbers are skipped. `loose`
    keeps the split of the line that ended the run, for the caller to read it with.
    """
    found: list[tuple[int, str]] = []
    gaps: list[int] = []
    gap = 0
    k = n
    total = len(lines)
    while k <= total:
        line = lines[k - 1]
        stripped = line.strip()
        if not stripped:
            gap += 1
            if gap > BARE_MAX_GAP:
                break
            k += 1
            continue
        if "\t" in line or k in glued or ("|" in stripped and _pipe_cells(stripped) is not None):
            break
        if is_page_noise(stripped):
            k += 1
            continue
        how = TEXT
        if " " in stripped or "\u3000" in stripped:  # most one-cell lines have no space
            split = loose.get(k) or split_loose(stripped)
            if len(split[0]) != 1 or _ends_in_value(stripped):
                loose[k] = split
                break  # a row flattened with single spaces ('人员驻场服务 ≥4名'), not one cell
            stripped, how = split[0][0], split[1]  # '预算数 (万元)' is single_spaced
        if found:
            gaps.append(gap)
        found.append((k, stripped, how))
        gap = 0
        k += 1
    if not found:
        return []
    end = _bare_row_end(found, gaps) if gaps else None
    if end is None:
        return [(line_no, i, text, how) for i, (line_no, text, how) in enumerate(found)]
    out = []
    row = 0
    for i, (line_no, text, how) in enumerate(found):
        if i and gaps[i - 1] >= end:
            row += 1
        out.append((line_no, row, text, how))
    return out


# The last word of a line that is a value: a figure or a target (≥4名, 100%, 2批次).
_VALUE_WORD = re.compile(r"^(?:[≥≤＞＜><≧≦=]\s*)?\d[\d.,%]*[\u4e00-\u9fff%]{0,3}$")


def _ends_in_value(line: str) -> bool:
    """A line of a name and, after a space, its value: a row, not a cell of a one-cell export."""
    if " " not in line:
        return False
    head, _, last = line.rpartition(" ")
    return bool(head.strip()) and bool(_VALUE_WORD.match(last))


def _bare_row_end(found: list[tuple[int, str, str]], gaps: list[int]) -> int | None:
    """The shortest blank-line run that ends a row of a run of one-cell lines, or None."""
    lengths = sorted({g for g in gaps if g > 0})
    if not lengths or (len(lengths) == 1 and 0 not in gaps):
        return None

    def word(text: str) -> bool:  # a page number before it ('3、') does not count
        return is_form_word(key_of(_PAGE_MARK.sub("", text, 1) if text[0].isdigit() else text))

    opens_with_word = word(found[0][1])
    best: tuple[float, int] | None = None
    for end in lengths:
        widths = [1]
        for g in gaps:
            if g >= end:
                widths.append(1)
            else:
                widths[-1] += 1
        first = widths[0]
        if len(widths) < 2 or max(widths) > first:
            continue
        if opens_with_word and not all(word(t) for _, t, _ in found[:first]):
            continue
        spread = sum(first - w for w in widths[1:]) / (len(widths) - 1)
        if best is None or spread < best[0]:
            best = (spread, end)
    return best[1] if best else None


# --- the stage ---------------------------------------------------------------------------------


def cells(lines: Sequence[str]) -> Iterator[Cell]:
    """Every cell of the text, in reading order; empty cells only where the layout prints them
    (``pipe_end``: a bare ``|``)."""
    if not isinstance(lines, (list, tuple)):
        lines = list(lines)
    row = 0
    group: list[list] = []  # tab-led cell lines of one row: [text parts, first line, last line]
    glued = _glued_runs(lines) if _may_hold_glued(lines) else {}
    skip_to = 0
    widths: list = []  # the table width measured last (wrapped rows)
    ahead: list[str] = []  # the next line split at its tabs, looking ahead
    ahead_at = 0
    loose: dict[int, tuple[list[str], str]] = {}  # split_loose of lines looked at ahead
    total = len(lines)
    cached = _CELL_CACHE.get
    new_cell = _new_cell
    for n, raw in enumerate(lines, 1):
        if n <= skip_to:
            continue
        line = raw.replace("\f", "") if "\f" in raw else raw
        tab = line.find("\t")
        if tab == 0 and line.find("\t", 1) == -1:
            group.append([[line.strip()], n, n])
            continue
        if tab > 0 and line.find("\t", tab + 1) == -1 and _PAGE_PREFIXED_CELL.match(line):
            # '3、' then a tab-led cell: a document site's page number before a cell line
            if group or (n < total and _is_cell_line(lines[n])):
                group.append([[line[tab:].strip()], n, n])
                continue
        stripped = line.strip()
        if group and stripped and tab == -1:
            if is_page_noise(stripped):
                continue  # a page break inside a row: the row goes on after it
            if not is_section_label(key_of(stripped)):
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
            fields = ahead if ahead_at == n else line.split("\t")
            # The next line may go on with wrapped cells: text without figures, as many tabs,
            # fewer cells filled (split here, it is split once).
            if n < total and lines[n].count("\t") == len(fields) - 1:
                ahead = lines[n].split("\t")
                ahead_at = n + 1
                if ahead.count("") > fields.count("") and not _DIGIT.search(lines[n]):
                    wraps = _tab_wraps(lines, n, fields, ahead, widths)
                    if wraps:
                        skip_to = n + len(wraps)
                        yield from _wrapped_cells(fields, wraps, n, row, TAB)
                        continue
            for col, cell in enumerate(fields):
                if cell:
                    cell = cell.strip()
                    if cell:
                        # make_cell inlined for the cells seen before: the hot path of parsing
                        info = cached(cell)
                        if info is None:
                            yield make_cell(cell, n, row, col, TAB)
                        else:
                            yield new_cell(Cell, (cell, info[0], n, row, col, info[1], TAB, n))
            continue
        if "|" in stripped:
            split = _pipe_cells(stripped, line)
            if split is not None:
                texts, layout = split
                if texts is None:
                    continue  # a markdown rule
                row += 1
                for col, cell in enumerate(texts):
                    if cell or layout == PIPE_END:
                        yield make_cell(cell, n, row, col if layout != PIPE_END else None, layout)
                continue
        if is_page_noise(stripped):
            continue
        split = loose.pop(n, None) or split_loose(stripped)
        texts, layout = split
        if len(texts) == 1:
            # a run of one-cell lines, read at once; a line before a tab row is a row of its own
            row += 1
            text = texts[0]
            info = cached(text)
            if info is None:
                yield make_cell(text, n, row, None, layout)
            else:
                yield new_cell(Cell, (text, info[0], n, row, None, info[1], layout, n))
            if n < total and "\t" in lines[n]:
                continue
            run = _bare_rows(lines, n, glued, loose)
            if len(run) < 2:
                continue
            skip_to = run[-1][0]
            at = 0
            for k, at_row, text, how in run[1:]:
                if at_row != at:
                    row += 1
                    at = at_row
                info = cached(text)
                if info is None:
                    yield make_cell(text, k, row, None, how)
                else:
                    yield new_cell(Cell, (text, info[0], k, row, None, info[1], how, k))
            continue
        row += 1
        if layout == SPACED and n < total and lines[n].strip():
            wraps = _spaced_wraps(lines, n, len(texts), widths, loose)
            if wraps:
                skip_to = n + len(wraps)
                yield from _wrapped_spaced(line, wraps, n, row)
                continue
        for cell in texts:
            info = cached(cell)
            if info is None:
                yield make_cell(cell, n, row, None, layout)
            else:
                yield new_cell(Cell, (cell, info[0], n, row, None, info[1], layout, n))
    if group:
        yield from _group_cells(group, row + 1)


_PAGE_PREFIXED_CELL = re.compile(r"^\d{1,3}、\t")
_DIGIT = re.compile(r"[0-9０-９]")


def _is_cell_line(line: str) -> bool:
    return line.startswith("\t") and line.find("\t", 1) == -1


def _wrapped_cells(fields: list[str], wraps: list[list[str]], n: int, row: int, layout: str):
    """The cells of a tab row and the lines its wrapped cells go on on."""
    for col, cell in enumerate(fields):
        parts = [cell.strip()]
        end = n
        for k, cont in enumerate(wraps, 1):
            if not cont[col]:
                break
            parts.append(cont[col])
            end = n + k
        text = join_parts(parts) if len(parts) > 1 else parts[0]
        if text:
            yield make_cell(text, n, row, col, layout, end)


def _wrapped_spaced(line: str, wraps: list[dict[int, str]], n: int, row: int):
    """The cells of a spaced row and the lines its wrapped cells go on on."""
    for column, cell in _columns(line).items():
        parts = [cell]
        end = n
        for k, cont in enumerate(wraps, 1):
            if column not in cont:
                break
            parts.append(cont[column])
            end = n + k
        text = join_parts(parts) if len(parts) > 1 else parts[0]
        yield make_cell(text, n, row, None, SPACED, end)


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
    """Cheap test first: glued text has long lines with few spaces and no tabs, or lines a page
    break cut apart (a line starting with its page number)."""
    for line in lines[:400]:
        if "\t" in line:
            continue
        if len(line) >= GLUED_MIN_CHARS:
            if line.count(" ") <= GLUED_MAX_SPACE_SHARE * len(line):
                return True
        elif line[:1].isdigit() and _PAGE_MARK.match(line):
            return True
        elif (stripped := line.strip()) and is_page_noise(stripped):
            return True
    return False


# A page number a document site put before a markdown row or an empty pipe_end cell.
_PIPE_PAGE_PREFIX = re.compile(r"^\d{1,3}、(?=\|)")
# A pipe between cells of a pipe row has white space (or the line's end) on both sides.
_PIPE_ROW_SPLIT = re.compile(r"(?:(?<=\s)|^)\|(?=\s|$)")


def _pipe_cells(line: str, raw: str | None = None) -> tuple[list[str] | None, str] | None:
    """Cells of a line with pipes (stripped; `raw` as printed), or None when the pipes are
    text. (None, MARKDOWN) for a markdown rule line."""
    if line[0].isdigit():
        m = _PIPE_PAGE_PREFIX.match(line)
        if m:
            line = line[m.end() :]
            raw = None
    if line == "|":
        return [""], PIPE_END
    if line.endswith("|") and line.count("|") == 1:
        return [line[:-1].strip()], PIPE_END
    raw = line if raw is None else raw.rstrip("\r\n")
    outer_space = raw[:1].isspace() and raw[-1:].isspace()
    if line.startswith("|") and line.endswith("|") and line.count("|") >= 3 and not outer_space:
        if _MARKDOWN_RULE.match(line):
            return None, MARKDOWN
        return [c.strip() for c in line[1:-1].split("|")], MARKDOWN
    parts = _PIPE_ROW_SPLIT.split(raw)
    if len(parts) >= 3:
        return [p.strip() for p in parts], PIPE_ROW
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        return [parts[0].strip(), parts[1].strip()], PIPE_ROW  # a label and its value: 'a | b'
    return None


def _group_cells(group: list[list], row: int) -> Iterator[Cell]:
    cached = _CELL_CACHE.get
    for col, (parts, first, last) in enumerate(group):
        text = join_parts(parts) if len(parts) > 1 else parts[0]
        if text:
            info = cached(text)  # make_cell inlined for the cells seen before
            if info is None:
                yield make_cell(text, first, row, col, CELL_LINES, last)
            else:
                yield _new_cell(Cell, (text, info[0], first, row, col, info[1], CELL_LINES, last))
