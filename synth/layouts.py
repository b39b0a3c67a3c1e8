"""Table renderers: one table of cells printed in each layout class real documents have, with truth.

Material for the layout-recovery stage (issue 11, item 1): `render(rows, layout, rng, ...)` prints
a table (a list of rows, each a list of cell strings, "" for an empty cell) the way one class of
real text prints it, and returns the text with, for every row, its cells and the 1-based first and
last line it occupies. Line numbers count lines of the returned text (which ends in a newline);
add the line before the table to place it in a document (`Rendered.shifted`).

The layouts (constants below; field documents in ../shared/field/raw show each class):

- `tab`: cells joined by tabs, one row per line; an empty cell is nothing between two tabs.
- `spaced`: columns left-aligned in display columns (CJK and full-width characters are 2 wide,
  everything else 1), separated by runs of 2 to 4 spaces (drawn per column); lines carry no
  trailing spaces. Cells may hold single spaces, never a run of two.
- `single_spaced`: the non-empty cells of a row joined by single spaces, one row per line (the
  target declarations of 昭化区). Empty cells vanish; cells must hold no space.
- `cell_lines_tab`: each cell on its own line led by a tab (an empty cell is a lone tab), a blank
  line between rows (seed 004).
- `cell_lines_bare`: each non-empty cell on its own line, no tab; empty cells vanish. The rule for
  blank lines: per table a minimum row gap m is drawn from 1-3; between two rows there is a run of
  m to 3 blank lines (drawn per gap), inside a row a run of 0 to m-1 (0 unless m > 1, then 1 to
  m-1 blank lines before a cell with probability CELL_GAP_SHARE). So in one table every run
  between rows is longer than every run inside a row; which m a table has is not printed.
- `pipe_end`: each cell on its own line ending in " |", an empty cell as a bare "|", no line
  between rows (青神县's 自评表): row ends are invisible, only the column count tells them.
- `pipe_row`: "a | b | c" (cells joined by " | ", no outer pipes); `line.split(" | ")` gives the
  cells back, empty ones included.
- `markdown`: "| a | b |" rows with a "|---|---|" line after the first (header) row; the
  separator line belongs to no row.
- `flat_line`: the whole table on one line, non-empty cells joined by single spaces, rows in order
  (the xlsx-flattened 稷山县 documents, simple in-order variant). Cells must hold no space.
- `glued`: the whole table on one line, non-empty cells concatenated with nothing between them
  (年度资金总额2456.182456.182456.1810100%10, doc-site extractions). Which boundaries a reader can
  find in principle is `glued_boundary`: words then figures or figures then words (MARKED); a
  figure ending in % then a figure (MARKED); a figure with decimals then a figure (DECIMALS: found
  if the decimal places are known); a whole number or a word ending in a digit then a figure, or
  words then words (HIDDEN: only vocabulary or the form's arithmetic can place it).
  `glued_recoverable` says which cells have both of their boundaries findable.

Truth (`Rendered.rows`, one RowTruth per table row, in order): `cells` is the table's whole row
(empty cells included, converted when `traditional`), also in the layouts where empty cells
vanish (KEEPS_EMPTY_CELLS says where they keep their place). `start_line` is the line of the
row's first cell (an empty one too, where empty cells keep their place; a "3、" page prefix may
lead it), `end_line` the line of its last cell's last wrapped piece; blank lines after a row
belong to no row, a page marker inside a row belongs to it. In `flat_line` and `glued` every row
starts and ends on the table's one line unless a page break cut it.
ROW_PER_LINE, CELL_PER_LINE and ONE_LINE split LAYOUTS by how rows meet lines.

Options:
- `wrap_width` (tab, spaced, cell_lines_tab): a cell wider than this many display columns is cut
  into pieces no wider (`wrap_cell`); the first piece stays on the row's line, the others go on
  the next lines under their column (tab: as many tabs before it as its column index, and the
  line keeps every column's tab; spaced: spaces up to the column's start; cell_lines_tab: the
  piece on a line without a tab, as word processors export a wrapped cell).
- `page_breaks`: that many page markers inside the table, in one style per table: "- 3 -" or
  "第 3 页" on a line of their own, or "3、" at the start of the next line (doc-site extractions).
  A marker goes between rows in the one-row-per-line layouts, between any two cells in the
  one-cell-per-line layouts (a row may break across pages), at a cell boundary in `flat_line`
  (the space becomes the line break) and at any character in `glued` (a cell may be cut in two).
  Page numbers run on from a number drawn from 2-12. `Rendered.marker_lines` lists the lines
  holding a marker; removing them (or the prefix) gives the text rendered without breaks. A
  prefix shifts its line's columns in `spaced`, as it does on the doc sites.
- `traditional`: every character of the text and of the truth cells that TRADITIONAL maps is
  printed in its traditional form (衛生, 預算, 執行, 第 3 頁); `to_simplified` maps it back.

All randomness comes from the `rng` passed in (random.Random(0) when none is): the same rng state
gives the same text. `sample_table(rng)` makes form-like tables to render. synth.generator does not
use these renderers yet: its corpus keeps its own six layouts.
Cells that would make a layout ambiguous raise ValueError (a newline anywhere, leading or
trailing white space, a tab in `tab`, a pipe in the pipe layouts and markdown, a space in
`single_spaced` and `flat_line`, two spaces running in `spaced`), as does a row with no text in
a layout where empty cells vanish.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .generator import INDICATOR_WORDS, PROJECT_WORDS, REASONS

Rows = list[list[str]]

TAB = "tab"
SPACED = "spaced"
SINGLE_SPACED = "single_spaced"
CELL_LINES_TAB = "cell_lines_tab"
CELL_LINES_BARE = "cell_lines_bare"
PIPE_END = "pipe_end"
PIPE_ROW = "pipe_row"
MARKDOWN = "markdown"
FLAT_LINE = "flat_line"
GLUED = "glued"
LAYOUTS = (
    TAB,
    SPACED,
    SINGLE_SPACED,
    CELL_LINES_TAB,
    CELL_LINES_BARE,
    PIPE_END,
    PIPE_ROW,
    MARKDOWN,
    FLAT_LINE,
    GLUED,
)
# Layouts where an empty cell keeps its place (a tab, a column, a "|"); in the others it vanishes.
KEEPS_EMPTY_CELLS = frozenset({TAB, SPACED, CELL_LINES_TAB, PIPE_END, PIPE_ROW, MARKDOWN})
WRAPPING_LAYOUTS = frozenset({TAB, SPACED, CELL_LINES_TAB})
ROW_PER_LINE = frozenset({TAB, SPACED, SINGLE_SPACED, PIPE_ROW, MARKDOWN})
CELL_PER_LINE = frozenset({CELL_LINES_TAB, CELL_LINES_BARE, PIPE_END})
ONE_LINE = frozenset({FLAT_LINE, GLUED})

SPACED_GAP = (2, 4)  # spaces between two columns of `spaced`, drawn per column
BARE_MAX_GAP = 3  # the longest run of blank lines between two rows of `cell_lines_bare`
CELL_GAP_SHARE = 0.3  # share of cells of `cell_lines_bare` led by blank lines (when m > 1)

PAGE_DASH = "dash"  # "- 3 -" on its own line
PAGE_OF = "page"  # "第 3 页" on its own line
PAGE_PREFIX = "prefix"  # "3、" at the start of the next line
PAGE_STYLES = (PAGE_DASH, PAGE_OF, PAGE_PREFIX)
FIRST_PAGE = (2, 12)  # the first page number after a break is drawn from this range

BOUNDARY_MARKED = "marked"
BOUNDARY_DECIMALS = "decimals"
BOUNDARY_HIDDEN = "hidden"


@dataclass(frozen=True)
class RowTruth:
    """One table row: its cells (empty ones as "") and the 1-based lines it starts and ends on."""

    cells: tuple[str, ...]
    start_line: int
    end_line: int


@dataclass(frozen=True)
class Rendered:
    """A table as text in one layout, with the truth of every row and the page marker lines."""

    layout: str
    text: str
    rows: tuple[RowTruth, ...]
    marker_lines: tuple[int, ...] = ()

    def shifted(self, lines: int) -> Rendered:
        """The same truth with every line number moved on by `lines` (text printed after them)."""
        return replace(
            self,
            rows=tuple(
                replace(r, start_line=r.start_line + lines, end_line=r.end_line + lines)
                for r in self.rows
            ),
            marker_lines=tuple(n + lines for n in self.marker_lines),
        )


# ---------------------------------------------------------------- widths and wrapping


def display_width(text: str) -> int:
    """Columns the text takes in a monospaced print: 2 for wide and full-width characters."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap_cell(text: str, width: int) -> list[str]:
    """The cell cut into pieces of at most `width` display columns (one piece if it fits).

    The pieces join back to the cell. A cut next to a space moves back a character or more, so
    that no piece starts or ends with a space (a reader that strips lines loses none), unless
    the piece would be empty.
    """
    if width < 2:
        raise ValueError(f"wrap width {width}: a CJK character needs 2 columns")
    pieces, start = [], 0
    while display_width(text[start:]) > width:
        end, used = start, 0
        while used + display_width(text[end]) <= width:
            used += display_width(text[end])
            end += 1
        cut = end
        while cut > start + 1 and (text[cut - 1] == " " or text[cut] == " "):
            cut -= 1
        if text[cut - 1] == " " or text[cut] == " ":
            cut = end
        pieces.append(text[start:cut])
        start = cut
    return [*pieces, text[start:]]


# ---------------------------------------------------------------- traditional characters

# Simplified -> traditional for the characters of these forms. Only characters whose traditional
# form is one and the same in the forms' words (发 is always 發 here, never 髮); characters whose
# form depends on the word (制/製, 复/複/復, 干/幹, 系/係, 台/臺, 准/準 …) stay as they are.
TRADITIONAL: dict[str, str] = dict(
    zip(
        "卫预执项务绩评标实资费额数总计单质时满医疗区县级设统进发门会万财况开据运体学结对员维"
        "经业无拨应决适机现产际购为个报转网关动与规间护划软检办国构测称补题备验络达强编价监"
        "岗调传党龙续问当综营过联术约类说养审处职户众导响号点训队电确团广优稳节药诊挥层议属"
        "组码础围场环视励协线扩险参织创频奖独济盖访买长缴责显试继态证车该风减档书献严权筹领"
        "阶辖师离楼将习别儿换岁栏见条两针积识询终乡种举论撑隐缮伤爱签临来镇断储贴战妇认债纳"
        "没势从舆辅课则细讲摄变诉状暂双挂龄阳东请装较剂残录担银块绕踪辆观极库鉴选获胁亲压订"
        "义赔偿宽带冻滞随记图农击劳启旧迁废写馈赛难负苍历贯彻够帮园杂灾误邮缩辑虚账连庆谋贡"
        "尘笔销谱读碍违损迟愿册页张话简词粮抚赠争货毕轻钱驱圆拟逻链缆坏荐讨声衔样键肿顶兴纪"
        "惩纤贵马黄后于采范余云",
        "衛預執項務績評標實資費額數總計單質時滿醫療區縣級設統進發門會萬財況開據運體學結對員維"
        "經業無撥應決適機現產際購為個報轉網關動與規間護劃軟檢辦國構測稱補題備驗絡達強編價監"
        "崗調傳黨龍續問當綜營過聯術約類說養審處職戶眾導響號點訓隊電確團廣優穩節藥診揮層議屬"
        "組碼礎圍場環視勵協線擴險參織創頻獎獨濟蓋訪買長繳責顯試繼態證車該風減檔書獻嚴權籌領"
        "階轄師離樓將習別兒換歲欄見條兩針積識詢終鄉種舉論撐隱繕傷愛簽臨來鎮斷儲貼戰婦認債納"
        "沒勢從輿輔課則細講攝變訴狀暫雙掛齡陽東請裝較劑殘錄擔銀塊繞蹤輛觀極庫鑑選獲脅親壓訂"
        "義賠償寬帶凍滯隨記圖農擊勞啟舊遷廢寫饋賽難負蒼歷貫徹夠幫園雜災誤郵縮輯虛賬連慶謀貢"
        "塵筆銷譜讀礙違損遲願冊頁張話簡詞糧撫贈爭貨畢輕錢驅圓擬邏鏈纜壞薦討聲銜樣鍵腫頂興紀"
        "懲纖貴馬黃後於採範餘雲",
        strict=True,
    )
)
SIMPLIFIED: dict[str, str] = {t: s for s, t in TRADITIONAL.items()}
_TO_TRADITIONAL = str.maketrans(TRADITIONAL)
_TO_SIMPLIFIED = str.maketrans(SIMPLIFIED)


def to_traditional(text: str) -> str:
    return text.translate(_TO_TRADITIONAL)


def to_simplified(text: str) -> str:
    return text.translate(_TO_SIMPLIFIED)


# ---------------------------------------------------------------- glued cells

_FIGURE = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?")


def glued_boundary(left: str, right: str) -> str:
    """Whether the boundary between two glued non-empty cells can be found from the text alone.

    MARKED: words then a figure, a figure then words, or a figure ending in % then a figure.
    DECIMALS: a figure with a decimal part then a figure (found if the decimal places are known).
    HIDDEN: words then words, a whole number then a figure, words ending in a digit then a figure.
    """
    left_figure = left[-1].isdigit() or left.endswith("%")
    right_figure = right[0].isdigit()
    if left_figure and right_figure:
        if left.endswith("%"):
            return BOUNDARY_MARKED
        if _FIGURE.fullmatch(left) and "." in left:
            return BOUNDARY_DECIMALS
        return BOUNDARY_HIDDEN
    if left_figure != right_figure:
        return BOUNDARY_MARKED
    return BOUNDARY_HIDDEN


def glued_recoverable(rows: Sequence[Sequence[str]], *, decimals_known: bool = True) -> list:
    """For each cell of the table as `glued` prints it: can a reader cut it out in principle?

    A non-empty cell is recoverable when the boundaries before and after it are MARKED (or
    DECIMALS, when `decimals_known`); the table's first and last cells border on the line's ends.
    Empty cells vanish and are never recoverable. Ignores page breaks (a line break only helps).
    """
    found = {BOUNDARY_MARKED, BOUNDARY_DECIMALS} if decimals_known else {BOUNDARY_MARKED}
    printed = [(i, j, c) for i, row in enumerate(rows) for j, c in enumerate(row) if c]
    out = [[False] * len(row) for row in rows]
    for k, (i, j, cell) in enumerate(printed):
        before = k == 0 or glued_boundary(printed[k - 1][2], cell) in found
        after = k == len(printed) - 1 or glued_boundary(cell, printed[k + 1][2]) in found
        out[i][j] = before and after
    return out


# ---------------------------------------------------------------- checks


def _check(rows: Sequence[Sequence[str]], layout: str, wrap_width: int | None) -> None:
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; one of {', '.join(LAYOUTS)}")
    if not rows:
        raise ValueError("a table needs at least one row")
    if wrap_width is not None and layout not in WRAPPING_LAYOUTS:
        raise ValueError(
            f"{layout} does not wrap cells; wrap_width is for {sorted(WRAPPING_LAYOUTS)}"
        )
    if wrap_width is not None and wrap_width < 2:
        raise ValueError(f"wrap width {wrap_width}: a CJK character needs 2 columns")
    for i, row in enumerate(rows):
        if not row:
            raise ValueError(f"row {i} has no cells")
        if layout not in KEEPS_EMPTY_CELLS and not any(row):
            raise ValueError(f"row {i} has no text, and {layout} prints nothing for empty cells")
        for cell in row:
            if not isinstance(cell, str):
                raise ValueError(f"row {i}: cell {cell!r} is not a string")
            if cell != cell.strip() or "\n" in cell or "\r" in cell:
                raise ValueError(f"row {i}: cell {cell!r} has a line break or outer white space")
            if layout == TAB and "\t" in cell:
                raise ValueError(f"row {i}: cell {cell!r} holds a tab, the {layout} separator")
            if layout in (PIPE_END, PIPE_ROW, MARKDOWN) and "|" in cell:
                raise ValueError(f"row {i}: cell {cell!r} holds a pipe, the {layout} separator")
            if layout in (SINGLE_SPACED, FLAT_LINE) and any(ch.isspace() for ch in cell):
                raise ValueError(f"row {i}: cell {cell!r} holds a space, the {layout} separator")
            if layout == SPACED and re.search(r"\s\s|\t", cell):
                raise ValueError(f"row {i}: cell {cell!r} holds a run of spaces or a tab")


# ---------------------------------------------------------------- layouts

# A layout's lines, each row's (first, last) line index (0-based), and the line indices before
# which a page marker may go.
_Lines = tuple[list[str], list[tuple[int, int]], list[int]]


def _pieces(row: Sequence[str], width: int | None) -> list[list[str]]:
    return [wrap_cell(c, width) if width and c else [c] for c in row]


def _tab(rows: Rows, rng: random.Random, width: int | None) -> _Lines:
    lines, spans = [], []
    for row in rows:
        pieces = _pieces(row, width)
        start = len(lines)
        for k in range(max(len(p) for p in pieces)):
            lines.append("\t".join(p[k] if k < len(p) else "" for p in pieces))
        spans.append((start, len(lines) - 1))
    return lines, spans, [s for s, _ in spans[1:]]


def _spaced(rows: Rows, rng: random.Random, width: int | None) -> _Lines:
    pieced = [_pieces(row, width) for row in rows]
    n_cols = max(len(row) for row in rows)
    widths = [0] * n_cols
    for row in pieced:
        for j, cell in enumerate(row):
            widths[j] = max([widths[j], *(display_width(p) for p in cell)])
    gaps = [rng.randint(*SPACED_GAP) for _ in range(n_cols)]
    lines, spans = [], []
    for row in pieced:
        start = len(lines)
        for k in range(max(len(p) for p in row)):
            out = ""
            for j, cell in enumerate(row):
                piece = cell[k] if k < len(cell) else ""
                out += piece + " " * (widths[j] - display_width(piece) + gaps[j])
            lines.append(out.rstrip())
        spans.append((start, len(lines) - 1))
    return lines, spans, [s for s, _ in spans[1:]]


def _single_spaced(rows: Rows, rng: random.Random, width: int | None) -> _Lines:
    lines = [" ".join(c for c in row if c) for row in rows]
    return lines, [(i, i) for i in range(len(rows))], list(range(1, len(rows)))


def _pipe_row(rows: Rows, rng: random.Random, width: int | None) -> _Lines:
    lines = [" | ".join(row) for row in rows]
    return lines, [(i, i) for i in range(len(rows))], list(range(1, len(rows)))


def _markdown(rows: Rows, rng: random.Random, width: int | None) -> _Lines:
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    lines.insert(1, "|" + "---|" * len(rows[0]))
    spans = [(0, 0)] + [(i + 1, i + 1) for i in range(1, len(rows))]
    return lines, spans, [s for s, _ in spans[1:]]


def _cell_lines(rows: Rows, cell_lines, row_gap, cell_gap, keep_empty: bool) -> _Lines:
    """One cell per line: `cell_lines(cell)` gives a cell's lines, the gaps count blank lines."""
    lines, spans, cuts = [], [], []
    for i, row in enumerate(rows):
        if i:
            lines += [""] * row_gap()
        start = None
        for j, cell in enumerate(c for c in row if c or keep_empty):
            if j:
                lines += [""] * cell_gap()
            if lines:
                cuts.append(len(lines))
            start = len(lines) if start is None else start
            lines += cell_lines(cell)
        spans.append((start, len(lines) - 1))
    return lines, spans, cuts


def _cell_lines_tab(rows: Rows, rng: random.Random, width: int | None) -> _Lines:
    def cell_lines(cell: str) -> list[str]:
        first, *rest = wrap_cell(cell, width) if width and cell else [cell]
        return [f"\t{first}", *rest]

    return _cell_lines(rows, cell_lines, lambda: 1, lambda: 0, keep_empty=True)


def _cell_lines_bare(rows: Rows, rng: random.Random, width: int | None) -> _Lines:
    least = rng.randint(1, BARE_MAX_GAP)

    def cell_gap() -> int:
        if least > 1 and rng.random() < CELL_GAP_SHARE:
            return rng.randint(1, least - 1)
        return 0

    def row_gap() -> int:
        return rng.randint(least, BARE_MAX_GAP)

    return _cell_lines(rows, lambda c: [c], row_gap, cell_gap, keep_empty=False)


def _pipe_end(rows: Rows, rng: random.Random, width: int | None) -> _Lines:
    def cell_lines(cell: str) -> list[str]:
        return [f"{cell} |" if cell else "|"]

    return _cell_lines(rows, cell_lines, lambda: 0, lambda: 0, keep_empty=True)


_RENDERERS = {
    TAB: _tab,
    SPACED: _spaced,
    SINGLE_SPACED: _single_spaced,
    CELL_LINES_TAB: _cell_lines_tab,
    CELL_LINES_BARE: _cell_lines_bare,
    PIPE_END: _pipe_end,
    PIPE_ROW: _pipe_row,
    MARKDOWN: _markdown,
}


# ---------------------------------------------------------------- page markers


def _marker(style: str, page: int) -> str:
    return {PAGE_DASH: f"- {page} -", PAGE_OF: f"第 {page} 页", PAGE_PREFIX: f"{page}、"}[style]


def _break_lines(lines: list[str], spans, before: dict[int, int], style: str):
    """Put the marker of page before[i] before line i (or at its start, for PAGE_PREFIX)."""
    out, new_index, markers = [], [], []
    for i, line in enumerate(lines):
        if i in before:
            markers.append(len(out))
            if style == PAGE_PREFIX:
                line = _marker(style, before[i]) + line
            else:
                out.append(_marker(style, before[i]))
        new_index.append(len(out))
        out.append(line)
    return out, [(new_index[a], new_index[b]) for a, b in spans], markers


def _one_line(rows: Rows, sep: str, cut_inside: bool) -> tuple[str, list, list[int]]:
    """`flat_line` and `glued`: the table's text, the row owning each character (None for a
    separator), and the places a page may break: separators, or any character when cut_inside."""
    text, owner, places = "", [], []
    for i, row in enumerate(rows):
        for cell in (c for c in row if c):
            if text:
                places.append(len(text))
                owner += [None] * len(sep)
                text += sep
            if cut_inside:
                places += range(len(text) + 1, len(text) + len(cell))
            owner += [i] * len(cell)
            text += cell
    return text, owner, places


def _cut_line(text: str, owner: list, n_rows: int, before: dict[int, int], style: str):
    """The one line broken before the characters in `before` (a separator there is dropped)."""
    lines, current, markers = [], "", []
    spans: list[list] = [[None, None] for _ in range(n_rows)]
    for p, ch in enumerate(text):
        if p in before:
            lines.append(current)
            markers.append(len(lines))
            marker = _marker(style, before[p])
            if style == PAGE_PREFIX:
                current = marker
            else:
                lines.append(marker)
                current = ""
            if owner[p] is None:
                continue  # the separator became the line break
        current += ch
        if owner[p] is not None:
            span = spans[owner[p]]
            span[0] = len(lines) if span[0] is None else span[0]
            span[1] = len(lines)
    lines.append(current)
    return lines, [(a, b) for a, b in spans], markers


# ---------------------------------------------------------------- the entry point


def render(
    rows: Sequence[Sequence[str]],
    layout: str,
    rng: random.Random | None = None,
    *,
    wrap_width: int | None = None,
    page_breaks: int = 0,
    page_style: str | None = None,
    traditional: bool = False,
) -> Rendered:
    """The table printed in `layout`, with its rows' truth (see the module docstring)."""
    _check(rows, layout, wrap_width)
    if page_style is not None and page_style not in PAGE_STYLES:
        raise ValueError(f"unknown page style {page_style!r}; one of {', '.join(PAGE_STYLES)}")
    rng = rng if rng is not None else random.Random(0)
    table = [[to_traditional(c) if traditional else c for c in row] for row in rows]
    if layout in ONE_LINE:
        text, owner, places = _one_line(table, " " if layout == FLAT_LINE else "", layout == GLUED)
        lines, spans = [text], [(0, 0)] * len(table)
    else:
        lines, spans, places = _RENDERERS[layout](table, rng, wrap_width)
    markers = []
    if page_breaks:
        if page_breaks > len(places):
            raise ValueError(f"{page_breaks} page breaks, but {layout} has {len(places)} places")
        style = page_style or rng.choice(PAGE_STYLES)
        first_page = rng.randint(*FIRST_PAGE)
        chosen = sorted(rng.sample(places, page_breaks))
        before = {at: first_page + k for k, at in enumerate(chosen)}
        if layout in ONE_LINE:
            lines, spans, markers = _cut_line(text, owner, len(table), before, style)
        else:
            lines, spans, markers = _break_lines(lines, spans, before, style)
    text = "\n".join(lines) + "\n"
    if traditional:
        text = to_traditional(text)
    truth = tuple(
        RowTruth(tuple(row), start + 1, end + 1)
        for row, (start, end) in zip(table, spans, strict=True)
    )
    return Rendered(layout, text, truth, tuple(m + 1 for m in markers))


# ---------------------------------------------------------------- tables to render

FUNDS_HEADER = ("项目名称", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")
INDICATOR_HEADER = (
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "实际完成值",
    "分值",
    "得分",
    "偏差原因",
)
EMPTY_SHARE = 0.2  # share of the optional cells (年初预算数, 偏差原因, 二级指标) left empty


def _funds_row(rng: random.Random, k: int, inner_spaces: bool, decimals: int) -> list[str]:
    name = rng.choice(PROJECT_WORDS)
    if rng.random() < 0.3:
        name += (" " if inner_spaces else "") + rng.choice(("（一期）", "专项", "(本级)"))
    budget = round(rng.uniform(1, 5000), decimals)
    actual = round(budget * rng.uniform(0.6, 1.1), decimals)
    initial = round(budget * rng.uniform(0.5, 1.0), decimals)
    rate = actual / budget * 100
    score = min(10.0, round(rate / 10, 1))
    return [
        name,
        "" if rng.random() < EMPTY_SHARE else f"{initial:.{decimals}f}",
        f"{budget:.{decimals}f}",
        f"{actual:.{decimals}f}",
        "10",
        f"{rate:.2f}%",
        f"{score:g}",
    ]


def _indicator_row(rng: random.Random, k: int, inner_spaces: bool, decimals: int) -> list[str]:
    level1, level2, name, unit = rng.choice(INDICATOR_WORDS)
    if rng.random() < 0.3:
        name = f"指标{k}:" + (" " if inner_spaces else "") + name
    if unit == "%":
        target, actual = f"≥{rng.choice((85, 90, 95))}%", f"{rng.uniform(80, 100):.1f}%"
    else:
        target, actual = f"{rng.randint(100, 9000)}{unit}", f"{rng.randint(100, 9000)}{unit}"
    weight = rng.choice((5, 10, 15, 20))
    score = rng.choice((weight, weight, weight - 1, round(weight * 0.8, 1)))
    reason = rng.choice(REASONS) if rng.random() < 0.3 else ""
    if reason and inner_spaces and rng.random() < 0.5:
        reason = reason[:2] + " " + reason[2:]
    if rng.random() < EMPTY_SHARE:
        level2 = ""
    return [level1, level2, name, target, actual, str(weight), f"{score:g}", reason]


def sample_table(rng: random.Random, n_rows: int = 6, *, inner_spaces: bool = True) -> Rows:
    """A form-like table to render: a header row, then n_rows rows of a 资金 or an 指标 table.

    Names long enough to wrap, amounts with 2 or 4 decimals (one per table), rates, whole-number weights, and
    empty cells (年初预算数, 二级指标, 偏差原因), never a whole empty row. Without inner_spaces no
    cell holds a space (for single_spaced and flat_line); with them some do, never two in a row.
    """
    if rng.random() < 0.5:
        header, row = FUNDS_HEADER, _funds_row
    else:
        header, row = INDICATOR_HEADER, _indicator_row
    decimals = rng.choice((2, 4))  # one convention per table, as a form prints its amounts
    return [list(header), *(row(rng, k + 1, inner_spaces, decimals) for k in range(n_rows))]
