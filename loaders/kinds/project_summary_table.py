"""Kind project_summary_table: one table row per project with money, rate and indicator pairs.

Layout read (龙岗区 项目绩效自评表, 项目绩效自评汇总表 and the same form from other units): a title
with the year (2021年度…绩效自评表), 部门名称（盖章）：…, 单位：万元, then a table whose header spans
several lines (序号, 单位名称, 项目名称, 项目年度预算金额 [合计, 一般公共预算, 政府性基金…], 实际支出金额
[…], 执行率, 年初绩效目标, 整体完成情况, per category 年度指标内容/完成情况, 问题, 整改情况; or the
short header 年初预算数 / 调整后预算数 / 预算执行数 / 执行率(%) / 自评得分 / 偏差原因), one row per
project and a 合计 row.

The text comes as cells from the shared layout stage (loaders/layout.py: tabs, runs of spaces, one
cell per line, pipes, markdown, rows or the whole table flattened onto single-spaced lines, glued
text); column words are read through loaders/vocab.py. Empty cells were dropped, so columns shift
from row to row: a row is read as the sequence of its non-empty cells — 序号, names, money cells,
rate, score, text cells — found by a 序号 followed by a name and amounts; header cells set the
context (money columns, text columns, categories). Money cells are split into budget and actual
groups by what their values say (a group's total is the sum of its fiscal sub-columns); a run of
glued figures is read under the form's arithmetic (loaders/solve.py). A cell too narrow for its
text (a long 项目名称) wraps the rest onto the line below its row, in its column: such a row of
text alone is joined back to its cells (rejoin_wrapped).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import islice

from .. import layout
from ..crosscheck import check_rates, check_total, fmt
from ..detection import keyword_score
from ..findings import Finding
from ..layout import GLUED, MARKDOWN, PIPE_ROW, TAB, TEXT, Cell, cut_words, split_figures
from ..metadata import clean_unit, find_amount_unit, find_unit, find_year, labelled_unit
from ..numbers import is_empty, is_overflow, parse_rate, rate_pct, to_halfwidth, to_wan
from ..rows import indicator_row, project_row
from ..solve import ROLE_NAMES, STANDARD_ROLES, Reading, is_figures, read_funds
from ..targets import is_not_applicable, qualitative
from ..vocab import TRADITIONAL, funds_role, key_of, squeeze_key
from . import Parsed

KIND = "project_summary_table"
LABEL = "项目绩效自评汇总表"  # its name in the dashboard
KEYWORDS: dict[str, float] = {
    "绩效自评": 0.15,
    "汇总表": 0.1,
    "序号": 0.05,
    "项目名称": 0.05,
    "执行率": 0.05,
    "项目年度预算金额": 0.2,
    "实际支出金额": 0.15,
    "年度指标内容": 0.2,
    "整体完成情况": 0.1,
    "整改情况": 0.1,
    "部门决算": -0.6,
    "申报表": -0.4,
    "整体支出": -0.3,
    "一级指标": -0.2,
}
# Detection: a numbered table with at least this many rows carrying amounts adds STRUCTURE_WEIGHT.
MIN_DETECT_ROWS = 2
# ... found within this many lines of the 序号 header (one cell per line takes ~30 lines a row).
DETECT_LINES = 200
# ... and within this many cells of it (a wide header and two rows of prose cells take ~200).
DETECT_CELLS = 600
DETECT_CHUNK = 80
STRUCTURE_WEIGHT = 0.35

# Tolerance, in the document's printed unit, for "a group's total is the sum of its sub-columns".
SUM_TOLERANCE = 0.011
# Tolerance, in points, for "the printed rate agrees with actual / budget".
RATE_AGREE_PCT = 1.0
# A money group (total plus fiscal sub-columns) has at most this many cells when the header
# does not say; each cell beyond the header's count costs a point of plausibility.
MAX_GROUP_CELLS = 5
# Plausibility a split gains when actual / budget matches the printed rate (a consistent group: 2).
RATE_AGREE_SCORE = 1.0
# A row start is a 序号 followed by at most this many name cells, then its amounts.
MAX_NAME_CELLS = 4
# A 序号 may skip at most this many numbers (rows lost in the text) and still open a row.
MAX_SEQ_JUMP = 20
# Amount cells that must follow the name for a 序号 to open a row.
MIN_ROW_AMOUNTS = 2
# A value cell (target or completion) is short; longer cells are indicator contents or prose.
MAX_VALUE_CHARS = 16
# An indicator content naming satisfaction is short; a longer cell with 满意 is prose.
MAX_CUE_CHARS = 40
# The rest of a wrapped project name, alone on the line below its row, is this short at most
# and holds no sentence punctuation (a wrapped 存在问题 sentence sits under its own column).
MAX_NAME_REST_CHARS = 30
# Cell classifications are cached: completion words repeat on every row.
CACHE_SIZE = 8192
# A bare number without % is read as a rate only up to this value.
MAX_PLAIN_RATE = 1000.0

# Money roles (vocab.funds_role) a row prints as amounts, and the figures after them.
AMOUNT_ROLES = ("initial", "budget", "actual")
NUMBER_ROLES = (*AMOUNT_ROLES, "rate", "weight", "score")
# Fiscal sub-columns of a money group: they say how many cells a group may have.
FISCAL_WORDS = (
    "一般公共预算",
    "政府性基金",
    "财政拨款",
    "非财政资金",
    "其他资金",
    "财政专户",
    "国有资本",
)
UNIT_COLUMN_WORDS = ("单位名称", "实施单位", "预算单位")
NAME_COLUMN_WORDS = ("项目名称", "项目")
TAIL_TEXT_WORDS = ("问题", "整改", "偏差", "原因", "备注")
# Category headers, in the form's order: (word in header, level1, level2).
CATEGORIES = (
    ("数量指标", "产出指标", "数量指标"),
    ("质量指标", "产出指标", "质量指标"),
    ("时效指标", "产出指标", "时效指标"),
    ("成本指标", "产出指标", "成本指标"),
    ("经济效益", "效益指标", "经济效益指标"),
    ("社会效益", "效益指标", "社会效益指标"),
    ("生态效益", "效益指标", "生态效益指标"),
    ("可持续影响", "效益指标", "可持续影响指标"),
    ("满意度", "满意度指标", "服务对象满意度指标"),
)
DEFAULT_CATEGORY_KEYS = tuple(
    "数量指标 质量指标 时效指标 经济效益 社会效益 生态效益 满意度".split()
)
INDICATOR_HEADER_WORDS = (
    "年度指标",
    "指标内容",
    "指标值",
    "产出",
    "效益",
    *(c[0] for c in CATEGORIES),
)
# Words in an indicator's content that place it in a category whatever its column.
SATISFACTION_CUE = "满意"
TIME_CUES = ("时间", "及时", "时效", "时限", "进度", "周期")
# Words that make a header cell (after the first header, to skip a header repeated by a page break).
HEADER_HINTS = tuple(
    "序号 名称 预算 支出 执行 合计 财政 基金 资金 指标 完成情况 目标 问题 整改 必填 其中 内容 金额 单位 绩效".split()
)
TOTAL_WORDS = ("合计", "总计")
# Cells after which the table is over (signatures under the table).
END_MARKS = tuple("填表人 单位负责人 财务负责人 审核人 联系人 联系电话 填报日期 制表人".split())
# A completion statement opens with these whatever its length ('已完成,消防火灾报警系统主机更换…').
COMPLETION_PREFIXES = ("已", "均已", "全部已", "未")
# Short value cells open or close with these words ('本年度内', '不断提升', '按时完成').
VALUE_PREFIXES = tuple(
    "本年度 年内 一年内 全年 按时 按期 按计划 不断 比上年 及时 全部 基本".split()
)
VALUE_SUFFIXES = tuple("完成 提升 提高 达标 合格 以上 以内 之前 前 内".split())
# Indicator contents (names) end with these: '发放及时率(%)', '预算经费完成时间', '设备报发次数'.
NAME_SUFFIXES = tuple("率 率(%) 数 数量 度 时间 指标 次数 人数 情况 质量 效益 影响".split())
COMPARISON_PREFIXES = tuple(
    "≥ ≤ > < = 不低于 不少于 不小于 不高于 不超过 不大于 达到 达 大于 小于 高于 低于 控制在 至少".split()
)

_DIGITS = frozenset("0123456789０１２３４５６７８９")
_SEQ = re.compile(r"^\d{1,4}[.、]?$")
_TIME_CUE = re.compile("|".join(TIME_CUES))
_END_FIRST = frozenset(m[0] for m in END_MARKS)
_SENTENCE_PUNCT = re.compile(r"[，,。；;：:！？!?]")
_TITLE_UNIT = re.compile(
    r"^([\u4e00-\u9fff]{2,40}?(?:局|委员会|委|中心|院|所|站|办公室|学校|大学)"
    r"(?:[（(][^（）()]{1,8}[）)])?)(?:19|20)\d{2}年"
)
# A line of a table printed with no separators at all: a 序号 (or 合计) glued to the name.
_GLUED_ROW = re.compile(r"^(?:\d{1,4}[\u4e00-\u9fff]|(?:合计|总计)\d)")
# Layouts whose cells keep their column: a wrapped cell's rest sits in its cell's column.
_COLUMN_LAYOUTS = frozenset((TAB, MARKDOWN, PIPE_ROW))


@dataclass
class Header:
    """What the table header says about the columns of the rows after it."""

    cells: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)  # money roles in printed order
    read: bool = False  # the roles come from the header (not assumed)
    unit_column: bool = False
    group_cells: int = MAX_GROUP_CELLS
    lead_columns: int = 0
    tail_columns: int = 2
    categories: list[tuple[str, str, str]] = field(default_factory=list)
    indicators: bool = False
    line: int | None = None

    @property
    def positional(self) -> bool:
        """One cell per money column: a row's figures can be read by the header's order."""
        return self.read and self.group_cells == 1


@dataclass
class Row:
    """The cells of one numbered row (or the 合计 row), continuation rows included."""

    seq: int | None
    line: int
    own_row: int  # the layout row of the 序号 cell
    cells: list[Cell] = field(default_factory=list)
    total: bool = False
    end_line: int | None = None  # the last line of wrapped cells rejoined to the row's own cells


@dataclass
class Money:
    """A row's amounts as printed (document unit), its printed rate and score."""

    initial: float | None = None
    budget: list[float | None] = field(default_factory=list)
    actual: list[float | None] = field(default_factory=list)
    rate_text: str | None = None
    score: float | None = None
    overflow: bool = False
    consumed: int = 0
    reading: Reading | None = None  # glued figures read under the form's arithmetic
    printed: str = ""  # the glued figures as printed, for findings

    @property
    def budget_total(self) -> float | None:
        return self.budget[0] if self.budget else None

    @property
    def actual_total(self) -> float | None:
        return self.actual[0] if self.actual else None


# ---------------------------------------------------------------- detection


def detect(doc) -> float:
    """Keywords of the form plus a structural hint: numbered rows with amounts under a 序号 header."""
    score = keyword_score(doc.head, KEYWORDS)
    # (a head without 序 has no 序号 header: most documents of other kinds are not split at all)
    lines = doc.head.split("\n") if "序" in doc.head else []
    start = _table_start(lines)
    if start is not None:
        stream = table_cells(lines[: start + DETECT_LINES], start)
        cells: list[Cell] = []
        # Cells are made a chunk at a time: two rows are usually found well before the limit.
        while len(cells) < DETECT_CELLS:
            chunk = list(islice(stream, DETECT_CHUNK))
            cells += chunk
            if _count_rows(cells, MIN_DETECT_ROWS):
                score += STRUCTURE_WEIGHT
                break
            if not chunk:
                break
    return max(0.0, min(1.0, score))


def _count_rows(cells: list[Cell], enough: int) -> bool:
    """Whether at least `enough` numbered rows with amounts open in `cells`."""
    expected, found = 1, 0
    for i, cell in enumerate(cells):
        text = cell.text
        if len(text) <= 5 and text[0] in _DIGITS and _row_start(cells, i, expected):
            found += 1
            expected = _seq(text) + 1
            if found >= enough:
                return True
    return False


# ---------------------------------------------------------------- cells


def _table_start(lines: list[str]) -> int | None:
    """Index of the first line with a 序号 header cell, or None."""
    for i, line in enumerate(lines):
        if "序" in line and ("号" in line or "號" in line):
            s = squeeze_key(line)
            if "序号" in s:
                return i
    return None


def table_cells(lines: list[str], start: int, laid_out: list[Cell] | None = None) -> Iterator[Cell]:
    """The layout stage's non-empty cells from the 序号 cell of lines[start] on; glued rows are
    cut into their texts and runs of figures (layout.split_figures). `laid_out`: the cells of the
    whole text when the document already has them (Doc.layout_cells)."""
    seen_header = False
    for cell in laid_out if laid_out is not None else layout.cells(lines):
        if cell.line <= start or not cell.text:
            continue
        if not seen_header:
            # Glued text puts the title on the header's line: the table opens at 序号.
            if cell.line == start + 1 and "序号" not in cell.key:
                continue
            seen_header = True
        if cell.layout == GLUED or (cell.layout == TEXT and _GLUED_ROW.match(cell.key)):
            yield from split_figures(cell)
        elif cell.layout == TEXT and cell.key.startswith("序号") and len(cell.key) > len("序号"):
            yield from cut_words(cell)  # a header line printed without separators
        else:
            yield cell


def _seq(text: str) -> int | None:
    s = to_halfwidth(text).strip()
    return int(s.rstrip(".、")) if _SEQ.match(s) else None


@lru_cache(maxsize=CACHE_SIZE)
def _is_run(text: str) -> bool:
    """A run of glued figures ('50.0045.0090%'), more than one number."""
    return text[0] in _DIGITS and is_figures(text)


def _is_amount(cell: Cell) -> bool:
    if cell.num is not None:
        return True
    text = cell.text
    return (text[0] == "#" and is_overflow(text)) or (text[0] in _DIGITS and _is_run(text))


def _amount_count(cell: Cell) -> int:
    """How many amounts a cell holds: one, or at least two in a run of glued figures."""
    if cell.num is not None or is_overflow(cell.text):
        return 1
    return 2 if _is_run(cell.text) else 0


@lru_cache(maxsize=CACHE_SIZE)
def _empty(text: str) -> bool:
    return is_empty(text)


@lru_cache(maxsize=CACHE_SIZE)
def _na(text: str) -> bool:
    return is_not_applicable(text)


def _amounts_follow(cells: list[Cell], j: int, needed: int = MIN_ROW_AMOUNTS) -> bool:
    """At least `needed` amounts start at j (empty marks between them are allowed)."""
    found = 0
    for cell in cells[j : j + MAX_GROUP_CELLS * 3]:
        count = _amount_count(cell)
        if count:
            found += count
            if found >= needed:
                return True
        elif not _empty(cell.text):
            return False
    return False


def _row_start(cells: list[Cell], i: int, expected: int | None) -> bool:
    """A 序号 cell, then one to MAX_NAME_CELLS name cells, then amounts.

    The expected 序号 opening a row of several cells needs only one amount: a row cut short
    (end of file, lost cells) is still a row, reported as partial.
    """
    seq = _seq(cells[i].text)
    first = i == 0 or cells[i - 1].row != cells[i].row
    if seq is None or (not first and seq != expected):
        return False
    # A 序号 other than the next may skip a few lost rows or restart the numbering; a figure far
    # ahead (a score in a one-cell-per-line layout) opens no row.
    if (
        expected is not None
        and seq not in (expected, 1)
        and not (expected < seq <= expected + MAX_SEQ_JUMP)
    ):
        return False
    j = i + 1
    while j < len(cells) and j <= i + MAX_NAME_CELLS and not _is_amount(cells[j]):
        if cells[j].key in TOTAL_WORDS:
            return False  # a 合计 is no project's name
        j += 1
    if not (i + 1 < j < len(cells) and _is_amount(cells[j])):
        return False
    own_row = first and seq == expected and cells[j].row == cells[i].row
    return _amounts_follow(cells, j, 1 if own_row else MIN_ROW_AMOUNTS)


def _total_start(cells: list[Cell], i: int) -> bool:
    """A 合计 cell followed by amounts (the header's 合计 is followed by words)."""
    if cells[i].key not in TOTAL_WORDS:
        return False
    for j in range(i + 1, min(i + 4, len(cells))):
        if _is_amount(cells[j]):
            return _amounts_follow(cells, j)
        if not _empty(cells[j].text):
            return False
    return False


def _header_like(key: str) -> bool:
    return any(h in key for h in HEADER_HINTS)


# ---------------------------------------------------------------- header


def read_header(cells: list[str], line: int | None) -> Header:
    """Money roles, name columns, text columns and categories from the header cells, in order."""
    h = Header(cells=cells, line=line)
    seen_money = False
    lead: set[str] = set()
    fiscal: set[str] = set()
    names_seen = False
    keys = [key_of(raw) for raw in cells]
    for s in keys:
        role = funds_role(s)
        if role not in NUMBER_ROLES:
            role = None
        # A fiscal sub-column (一般公共预算) repeats its group's money word: no role of its own.
        if role and not any(w in s for w in FISCAL_WORDS):
            if role not in h.roles:
                h.roles.append(role)
            seen_money = True
        fiscal.update(w for w in FISCAL_WORDS if w in s)
        if not names_seen and any(w in s for w in UNIT_COLUMN_WORDS):
            h.unit_column = True
        if not role and any(w in s for w in NAME_COLUMN_WORDS):
            names_seen = True
        category = next((c for c in CATEGORIES if c[0] in s), None)
        if category and category not in h.categories:
            h.categories.append(category)
        if any(w in s for w in INDICATOR_HEADER_WORDS):
            h.indicators = True
        elif seen_money and not role and not h.indicators:
            # 年初绩效目标 and 整体完成情况 come before the indicator columns.
            if "整体完成" in s or "完成情况" in s:
                lead.add("overall")
            elif "目标" in s:
                lead.add("goal")
    h.lead_columns = len(lead)
    h.tail_columns = min(2, sum(1 for s in keys if any(w in s for w in TAIL_TEXT_WORDS)))
    if h.indicators and not h.categories:
        h.categories = [c for c in CATEGORIES if c[0] in DEFAULT_CATEGORY_KEYS]
    h.categories.sort(key=CATEGORIES.index)
    if "budget" not in h.roles and "actual" not in h.roles:
        # An unreadable header: assume the usual columns and let the values decide the groups.
        h.roles = ["budget", "actual", "rate"]
    else:
        h.read = True
        # Fiscal sub-columns say how many cells a group has; without them one cell per column.
        h.group_cells = min(MAX_GROUP_CELLS, len(fiscal) + 1) if fiscal else 1
    return h


# ---------------------------------------------------------------- money


def _group_score(group: list[float | None]) -> float:
    """2 when the total is the sum of its sub-columns, 1 when it merely bounds them, else 0."""
    if len(group) <= 1 or any(v is None for v in group):
        return 1.0
    total, parts = group[0], group[1:]
    if abs(total - sum(parts)) <= SUM_TOLERANCE:
        return 2.0
    if all(p <= total + SUM_TOLERANCE for p in parts):
        return 1.0
    return 0.0


def _best_split(values: list[float | None], rate: float | None, max_cells: int):
    """(score, budget group, actual group) for the most plausible split of the money cells."""
    best = None
    for s in range(1, len(values)):
        budget, actual = values[:s], values[s:]
        score = _group_score(budget) + _group_score(actual)
        # More cells than the header has columns for costs a point per extra cell.
        score -= max(0, len(budget) - max_cells) + max(0, len(actual) - max_cells)
        computed = rate_pct(actual[0], budget[0])
        if rate is not None and computed is not None and abs(computed - rate) <= RATE_AGREE_PCT:
            score += RATE_AGREE_SCORE
        score -= 0.01 * abs(len(budget) - len(actual))
        if best is None or score > best[0]:
            best = (score, budget, actual)
    if best is None:
        return (0.0, values[:1], values[1:2])
    return best


def _is_rate(cell: Cell) -> bool:
    text = cell.text
    return text[-1] in "%％" and _rate_cell(text)


@lru_cache(maxsize=CACHE_SIZE)
def _rate_cell(text: str) -> bool:
    return parse_rate(text) is not None


def read_money(cells: list[Cell], header: Header) -> Money:
    """The money cells at the start of `cells`: amounts, then the rate (with % or the last
    number), then the figures the header prints after them (自评得分)."""
    return (
        _glued_money(cells, header)
        or _positional_money(cells, header)
        or _grouped_money(cells, header)
    )


def _positional_money(cells: list[Cell], header: Header) -> Money | None:
    """One figure or empty mark per money column of the header, in its order; None when the row
    does not print exactly that (a dropped cell, a rate where an amount should be)."""
    if not header.positional:
        return None
    roles = header.roles
    got: dict[str, float | None] = {}
    money = Money()
    for k, role in enumerate(roles):
        if k >= len(cells):
            return None
        cell = cells[k]
        if _is_rate(cell):
            if role != "rate":
                return None
            money.rate_text = cell.text
        elif cell.num is not None:
            if role == "rate":
                money.rate_text = cell.text
            got[role] = cell.num
        elif is_overflow(cell.text):
            money.overflow = True
        elif not _empty(cell.text) or cell.text == "无":
            return None
    money.consumed = len(roles)
    money.initial = got.get("initial")
    money.budget = [got.get("budget")] if "budget" in roles else []
    money.actual = [got.get("actual")] if "actual" in roles else []
    money.score = got.get("score")
    return money


def _glued_money(cells: list[Cell], header: Header) -> Money | None:
    """Figures glued into runs ('50.0045.0090%92'): the reading that fits the form's arithmetic
    (solve.read_funds); None when no cell is such a run."""
    texts: list[str] = []
    glued = False
    for cell in cells:
        if not (_is_amount(cell) or _is_rate(cell)):
            break
        glued = glued or _is_run(cell.text)
        texts.append(cell.text)
    if not glued:
        return None
    roles = [r for r in header.roles if r in STANDARD_ROLES] if header.read else None
    reading = read_funds(roles, texts)
    if roles and set(reading.values) - set(roles):
        # A reading that needs a column the header does not print (分值) is a mis-cut of the run.
        reading = Reading(ambiguous=True, inferred=True)
    got = reading.values if not reading.ambiguous else {}
    money = Money(
        reading=reading, printed="、".join(texts), consumed=reading.consumed or len(texts)
    )
    money.initial = got.get("initial")
    money.budget = [got["budget"]] if "budget" in got else []
    money.actual = [got["actual"]] if "actual" in got else []
    if "rate" in got:
        money.rate_text = reading.printed.get("rate") or f"{got['rate']:g}%"
    money.score = got.get("score")
    return money


def _grouped_money(cells: list[Cell], header: Header) -> Money:
    """Amounts in groups (a total and its fiscal sub-columns, empty cells dropped), split where
    the values say; the rate with % or the last number; then a score the header prints."""
    money = Money()
    values: list[float | None] = []
    texts: list[str] = []
    consumed = 0
    for cell in cells:
        text = cell.text
        if _is_rate(cell):
            money.rate_text = text
            consumed += 1
            break
        if cell.num is not None:
            values.append(cell.num)
            texts.append(text)
        elif is_overflow(text):
            values.append(None)
            texts.append(text)
            money.overflow = True
        elif not _empty(text):
            break
        consumed += 1
    if money.rate_text is not None and "score" in header.roles:
        if consumed < len(cells) and cells[consumed].num is not None:
            money.score = cells[consumed].num
            consumed += 1
    elif "score" in header.roles and len(values) > MIN_ROW_AMOUNTS + 1:
        money.score = values.pop()
        texts.pop()
    money.consumed = consumed

    # 年初预算数 before 调整后预算数 / 全年预算数: the first amount, when there are enough of them.
    if "initial" in header.roles and "budget" in header.roles and len(values) > 2:
        money.initial, values = values[0], values[1:]
        texts = texts[1:]
    if "actual" not in header.roles:
        money.budget = values[:1]
        return money
    if len(values) == 1:
        money.budget = values
        return money

    rate = parse_rate(money.rate_text) if money.rate_text else None
    max_cells = header.group_cells
    chosen = _best_split(values, rate, max_cells)
    last = values[-1] if values else None
    if (
        money.rate_text is None
        and "rate" in header.roles
        and len(values) >= 3
        and last is not None
        and 0 <= last <= MAX_PLAIN_RATE
    ):
        # Without a % sign the last number may be the rate: keep the reading that explains more.
        body = values[:-1]
        computed = rate_pct(body[-1], body[0]) if body else None
        as_rate = _best_split(body, parse_rate(texts[-1], computed), max_cells)
        if as_rate[0] > chosen[0] or (as_rate[0] == chosen[0] and _agrees(as_rate, texts[-1])):
            chosen = as_rate
            money.rate_text = texts[-1]
    money.budget, money.actual = list(chosen[1]), list(chosen[2])
    return money


def _agrees(split, rate_text: str) -> bool:
    computed = rate_pct(split[2][0], split[1][0]) if split[1] and split[2] else None
    rate = parse_rate(rate_text, computed)
    return computed is not None and rate is not None and abs(rate - computed) <= RATE_AGREE_PCT


# ---------------------------------------------------------------- text cells and indicators


@lru_cache(maxsize=CACHE_SIZE)
def _value_like(text: str) -> bool:
    """A target or completion cell ('不低于90%', '已完成', '2021年12月31日前'), not a content."""
    s = key_of(text).rstrip("。.;；,，")
    if not s:
        return False
    if s.startswith(COMPLETION_PREFIXES):
        return True
    if len(s) > MAX_VALUE_CHARS:
        return False
    if s.startswith(COMPARISON_PREFIXES) or s[0].isdigit():
        return True
    if s.endswith(NAME_SUFFIXES):
        return False
    return qualitative(s) is not None or s.startswith(VALUE_PREFIXES) or s.endswith(VALUE_SUFFIXES)


@lru_cache(maxsize=CACHE_SIZE)
def _is_completion(text: str) -> bool:
    s = key_of(text)
    if s.startswith(COMPLETION_PREFIXES):
        return True
    return len(s) <= MAX_VALUE_CHARS and qualitative(s) is not None


def split_text(cells: list[str], header: Header) -> tuple[list[str], list[str], list[str]]:
    """(lead cells, indicator cells, tail cells) of a row's text after its money cells."""
    lead = cells[: header.lead_columns]
    rest = cells[header.lead_columns :]
    if not header.indicators:
        return lead, [], rest
    cue = max(
        (
            i
            for i, c in enumerate(rest)
            if SATISFACTION_CUE in c and len(key_of(c)) <= MAX_CUE_CHARS
        ),
        default=None,
    )
    if cue is not None:
        end = cue + 1
        while (
            end < len(rest)
            and end - cue <= 2
            and (_value_like(rest[end]) or _na(rest[end]))
            and not _empty(rest[end])
        ):
            end += 1
        return lead, rest[:end], rest[end:]
    # No satisfaction indicator: the last cells belong to the problem / rectification columns.
    trailing = 0
    while trailing < len(rest) and _empty(rest[len(rest) - 1 - trailing]):
        trailing += 1
    keep = max(trailing, header.tail_columns)
    return lead, rest[: len(rest) - keep], rest[len(rest) - keep :]


@dataclass
class _Unit:
    """An indicator (content and values) or a not-applicable category slot."""

    name: str | None
    line: int
    values: list[str] = field(default_factory=list)
    not_applicable: bool = False


def group_indicators(cells: list[Cell]) -> list[_Unit]:
    """Pair contents with their values; 不适用 cells become category slots without an indicator."""
    units: list[_Unit] = []
    cur: _Unit | None = None
    i = 0
    while i < len(cells):
        cell = cells[i]
        text = cell.text
        if _na(text):
            if cur is not None and not cur.values and not cur.not_applicable:
                cur.not_applicable = True
            else:
                cur = _Unit(None, cell.line, not_applicable=True)
                units.append(cur)
                if i + 1 < len(cells) and _na(cells[i + 1].text):
                    i += 1
            cur = None
            i += 1
            continue
        if _empty(text):
            i += 1
            continue
        nxt = cells[i + 1].text if i + 1 < len(cells) else None
        # A completion statement ('已完成') closes an indicator; the next cell opens another.
        closed = cur is None or any(_is_completion(v) for v in cur.values)
        if not closed and (
            _value_like(text) or (not cur.values and not (nxt and _value_like(nxt)))
        ):
            cur.values.append(text)
        else:
            cur = _Unit(text, cell.line)
            units.append(cur)
        i += 1
    return units


@lru_cache(maxsize=CACHE_SIZE)
def _cue(name: str) -> str | None:
    """The category an indicator's own words name: 满意 (satisfaction) or 时间/及时 (time)."""
    s = squeeze_key(name)
    if SATISFACTION_CUE in s and len(s) <= MAX_CUE_CHARS:
        return "满意度"
    return "时效指标" if _TIME_CUE.search(s) else None


def _assign_categories(units: list[_Unit], categories: list[tuple[str, str, str]]):
    """Walk the categories in the form's order; content words (满意, 时间) may skip ahead."""
    keys = [c[0] for c in categories]
    at = 0
    out = []
    for unit in units:
        target = at
        cue = _cue(unit.name or "")
        if cue == "满意度" and cue in keys:
            target = max(at, keys.index(cue))
        elif cue == "时效指标" and cue in keys and keys.index(cue) >= at:
            target = keys.index(cue)
        target = min(target, len(keys) - 1)
        out.append(categories[target] if keys else None)
        at = min(target + 1, len(keys) - 1) if keys else 0
    return out


@lru_cache(maxsize=CACHE_SIZE)
def _indicator(name: str, target: str | None, actual: str | None, level1, level2) -> dict:
    """indicator_row without project and line; the same content recurs across rows and tables."""
    return indicator_row(
        None, name, 0, level1=level1, level2=level2, target_text=target, actual_text=actual
    )


def indicator_rows(project: str | None, cells: list[Cell], header: Header) -> list[dict]:
    units = group_indicators(cells)
    rows = []
    for unit, category in zip(units, _assign_categories(units, header.categories), strict=True):
        if unit.not_applicable or not unit.name or any(_na(v) for v in unit.values):
            continue
        values = [v for v in unit.values if not _empty(v)]
        # One value is the 完成情况 column; with two, the first is the target printed under the content.
        target = values[0] if len(values) >= 2 else None
        actual = "；".join(values[1:] if len(values) >= 2 else values) or None
        level1, level2 = (category[1], category[2]) if category else (None, None)
        row = dict(_indicator(unit.name, target, actual, level1, level2))
        row["project"] = project
        row["source_line"] = unit.line
        rows.append(row)
    return rows


# ---------------------------------------------------------------- rows


def collect_rows(cells: list[Cell]) -> tuple[Header, list[Row]]:
    """The line-oriented state machine: header, numbered rows, 合计 row, repeated headers."""
    header_cells: list[str] = []
    header_line: int | None = None
    rows: list[Row] = []
    mode = "header"
    first_header = True
    current: Row | None = None
    expected = 1
    for i, cell in enumerate(cells):
        text = cell.text
        if text[0] in _END_FIRST and text.startswith(END_MARKS):
            break
        # Cheap first-character tests keep this loop linear and fast on long prose cells.
        if len(text) <= 5 and text[0] in _DIGITS and _row_start(cells, i, expected):
            seq = _seq(text)
            current = Row(seq, cell.line, cell.row)
            rows.append(current)
            expected = seq + 1
            mode, first_header = "row", False
            continue
        if len(text) <= 6 and ("合" in text or "总" in text) and _total_start(cells, i):
            current = Row(None, cell.line, cell.row, total=True)
            rows.append(current)
            mode, first_header = "row", False
            continue
        if text[0] == "序" and cell.key.startswith("序号"):
            mode = "header"
            if first_header and header_line is None:
                header_line = cell.line
        if mode == "header":
            if first_header:
                header_cells.append(text)
                continue
            if _header_like(cell.key):
                continue
            mode = "row"
        if current is not None:
            current.cells.append(cell)
    return read_header(header_cells, header_line), rows


def rejoin_wrapped(row: Row) -> None:
    """Join to their cells the rests a row's narrow cells wrapped onto the rows below it.

    Only for a row printed on one layout row (names and amounts in it): each row right below it
    holding text alone is the rest of the cells above it — by column where the layout kept
    columns (tabs, pipes), else, for one short piece, of the project name. In one-cell-per-line
    layouts the pieces of a name come before the amounts and are joined with the names anyway.
    """
    cells = row.cells
    if not cells or cells[-1].row == row.own_row:
        return
    own = 0
    while own < len(cells) and cells[own].row == row.own_row:
        own += 1
    first_amount = next((k for k in range(own) if _is_amount(cells[k])), None)
    if not first_amount or sum(_amount_count(c) for c in cells[:own]) < MIN_ROW_AMOUNTS:
        return
    joined = list(cells[:own])
    k, last = own, max(c.end for c in joined)
    while k < len(cells) and cells[k].line == last + 1:
        end = k
        while end < len(cells) and cells[end].row == cells[k].row:
            end += 1
        rests = cells[k:end]
        targets = [_wrapped_into(joined, rest, first_amount, len(rests)) for rest in rests]
        if any(_is_amount(c) for c in rests) or None in targets:
            break  # a number or a piece that fits no cell: a row of its own, not wrapped pieces
        for at, rest in zip(targets, rests, strict=True):
            c = joined[at]
            text = layout.join_parts([c.text, rest.text])
            joined[at] = layout.make_cell(text, c.line, c.row, c.col, c.layout, rest.end)
        k, last = end, max(c.end for c in rests)
    if k > own:
        row.cells = joined + cells[k:]
        row.end_line = last


def _wrapped_into(joined: list[Cell], rest: Cell, name_at: int, pieces: int) -> int | None:
    """The index of the cell above that a wrapped piece goes on: same column, else the name."""
    if rest.layout in _COLUMN_LAYOUTS and rest.col is not None:
        return next(
            (j for j, c in enumerate(joined) if c.col == rest.col and c.layout == rest.layout),
            None,
        )
    if pieces == 1 and len(rest.text) <= MAX_NAME_REST_CHARS:
        if not _SENTENCE_PUNCT.search(rest.text):
            return name_at - 1  # the project name: the cell before the amounts
    return None


def _text(value: str | None) -> str | None:
    if value is None or _empty(value):
        return None
    value = value.strip()
    # Glued cells run 问题 and 整改 together: '无无' is nothing in both.
    return None if set(value) == {"无"} else value


def parse_row(
    row: Row, header: Header, amount_unit: str
) -> tuple[dict | None, list[dict], list[Finding], Money]:
    """One project row: names, money, rate, score, text columns and indicators."""
    cells = row.cells
    j = 0
    names: list[str] = []
    while j < len(cells) and not _is_amount(cells[j]) and not _empty(cells[j].text):
        names.append(cells[j].text)
        j += 1
    while j < len(cells) and _empty(cells[j].text) and not _is_amount(cells[j]):
        j += 1
    money = read_money(cells[j:], header)
    rest = cells[j + money.consumed :]
    findings: list[Finding] = []
    if row.total:
        return None, [], findings, money
    if header.unit_column and len(names) >= 2:
        names = names[1:]
    project = layout.join_parts(names)
    if not project:
        project = f"序号{row.seq}"
        findings.append(
            Finding(
                "PARTIAL_ROW",
                f"第 {row.seq} 行没有项目名称，已以序号代替，请核对原表。",
                source_line=row.line,
            )
        )
    texts = [c.text for c in rest]
    lead, indicator_texts, tail = split_text(texts, header)
    n_lead = len(lead)
    indicator_cells = rest[n_lead : n_lead + len(indicator_texts)]
    problems = _text(tail[0]) if tail else None
    rectification = _text(tail[1]) if len(tail) > 1 else None

    budget, actual = money.budget_total, money.actual_total
    computed = rate_pct(actual, budget)
    reported = parse_rate(money.rate_text, computed) if money.rate_text else None
    findings += _money_findings(project, row, money)
    end_line = max(cells[-1].end if cells else row.line, row.end_line or row.line)
    record = project_row(
        "project",
        project,
        row.line,
        initial_budget_wan=to_wan(money.initial, amount_unit),
        budget_wan=to_wan(budget, amount_unit),
        actual_wan=to_wan(actual, amount_unit),
        reported_rate_pct=reported,
        score=money.score,
        problems=problems,
        rectification=rectification,
        end_line=end_line,
    )
    indicators = (
        indicator_rows(record["project"], indicator_cells, header) if header.indicators else []
    )
    return record, indicators, findings, money


def _money_findings(project: str, row: Row, money: Money) -> list[Finding]:
    """Values left empty, inferred from glued figures, or shown as #####, and group checks."""
    findings = []
    reading = money.reading
    if reading is not None and (reading.ambiguous or not reading.values):
        findings.append(
            Finding(
                "PARTIAL_ROW",
                f"「{project}」的金额粘连为「{money.printed}」，有多种读法且无法按 执行数 ÷ 预算数 = "
                "执行率 判定，预算数和执行数留空，请核对原表该行。",
                project=project,
                source_line=row.line,
            )
        )
    elif reading is not None and reading.inferred:
        got = reading.values
        said = "，".join(
            f"{ROLE_NAMES[r]} {got[r]:g}{'%' if r == 'rate' else ''}"
            for r in ("budget", "actual", "rate", "score")
            if r in got
        )
        findings.append(
            Finding(
                "VALUE_INFERRED",
                f"「{project}」的金额印为「{money.printed}」，{reading.why()}，读作 {said}，请核对原表。",
                project=project,
                source_line=row.line,
            )
        )
    elif money.budget_total is None or money.actual_total is None:
        findings.append(
            Finding(
                "PARTIAL_ROW",
                f"「{project}」只读到 {len(money.budget) + len(money.actual)} 个金额，"
                "预算或实际支出缺失，请核对原表该行。",
                project=project,
                source_line=row.line,
            )
        )
    if money.overflow:
        findings.append(
            Finding(
                "OVERFLOW_CELL",
                f"「{project}」有金额显示为 #####，该值留空，请查看原表。",
                project=project,
                source_line=row.line,
            )
        )
    return findings + _sub_column_checks(project, money, row.line)


def _sub_column_checks(project: str | None, money: Money, line: int) -> list[Finding]:
    """TOTAL_MISMATCH where a group's 合计 cell is not the sum of its fiscal sub-columns."""
    out = []
    who = f"「{project}」" if project else "合计行"
    for what, group in (("预算", money.budget), ("实际支出", money.actual)):
        if len(group) > 1 and _group_score(group) < 2 and all(v is not None for v in group):
            out.append(
                Finding(
                    "TOTAL_MISMATCH",
                    f"{who}{what}合计 {fmt(group[0])} 与其后各资金来源列之和 {fmt(sum(group[1:]))} 不符，"
                    "请核对原表各列。",
                    project=project,
                    source_line=line,
                )
            )
    return out


# ---------------------------------------------------------------- metadata and parse


def read_meta(lines: list[str], table_line: int) -> dict:
    """Title, unit, year and amount unit from the lines above the table, and from the text before
    序号 on its first line (a table flattened onto the title's line)."""
    head = list(lines[:table_line])
    if table_line < len(lines):
        head.append(re.split(r"序\s*号", lines[table_line], maxsplit=1)[0])
    above = [ln.strip() for ln in head if ln.strip()]
    title = next((ln for ln in above if "绩效" in ln and "表" in ln), above[0] if above else None)
    unit = labelled_unit(list(layout.cells(head)))
    if not unit and title:
        # A title that opens with the unit runs up to the year: '…站前区卫生健康委员会2024年度…'
        # (the first unit-like name in it would stop at 站).
        m = _TITLE_UNIT.match(key_of(title))
        unit = (
            clean_unit(_as_printed(title, m.group(1)))
            if m
            else find_unit(re.sub(r"^\s*\d{4}\s*年度?", "", title))
        )
    if unit in ("万元", "元"):
        unit = None
    text = "\n".join(above)
    year = find_year(title or "") or find_year(text)
    return {"title": title, "unit": unit, "year": year, "amount_unit": find_amount_unit(text)}


def _as_printed(text: str, key: str) -> str:
    """A name read off the key of `text` (its start), as `text` prints it: a title in traditional
    characters keeps them in the unit's name (衛生監督所), as every other reader does."""
    if TRADITIONAL.search(text) is None:
        return key
    for end in range(len(key), len(text) + 1):
        got = key_of(text[:end])
        if got == key:
            return text[:end]
        if len(got) > len(key):
            break
    return key


def parse(doc) -> Parsed:
    lines = doc.lines
    start = _table_start(lines)
    out = Parsed()
    if start is None:
        start = 0
    meta = read_meta(lines, start)
    header, rows = collect_rows(list(table_cells(lines, start, doc.layout_cells)))
    amount_unit = meta["amount_unit"] or find_amount_unit(" ".join(header.cells)) or "万元"
    meta["amount_unit"] = amount_unit
    out.meta = {k: v for k, v in meta.items() if v is not None}
    if not any(not r.total for r in rows):
        out.findings.append(
            Finding(
                "MISSING_TABLE",
                "未找到项目明细行（“序号”表头下以序号开头、带金额的行），请确认文件是否为项目绩效自评汇总表。",
                source_line=header.line,
            )
        )
        return out

    # A 合计 row closes the rows above it; printed first, it covers the rows below it.
    segment: list[dict] = []
    pending: tuple[Row, Money] | None = None
    last_seq = None
    for row in rows:
        rejoin_wrapped(row)
        record, indicators, row_findings, money = parse_row(row, header, amount_unit)
        out.findings += row_findings
        if row.total:
            if pending is not None and segment:
                out.findings += _check_totals(segment, *pending, amount_unit, out.totals)
                segment, pending = [], None
            if segment:
                out.findings += _check_totals(segment, row, money, amount_unit, out.totals)
                segment = []
            else:
                pending = (row, money)
            continue
        if row.seq == 1 and segment:  # numbering restarts: a new table
            if pending is not None:
                out.findings += _check_totals(segment, *pending, amount_unit, out.totals)
            segment, pending, last_seq = [], None, None
        if last_seq is not None and row.seq is not None and row.seq > last_seq + 1:
            out.findings.append(_gap(last_seq, row))
        last_seq = row.seq
        segment.append(record)
        out.projects.append(record)
        out.indicators += indicators
    if pending is not None and segment:
        out.findings += _check_totals(segment, *pending, amount_unit, out.totals)
    return out


def _gap(last_seq: int, row: Row) -> Finding:
    first, last = last_seq + 1, row.seq - 1
    missing = str(first) if first == last else f"{first}–{last}"
    return Finding(
        "PARTIAL_ROW", f"序号 {missing} 的行未读到，请核对原表是否缺行。", source_line=row.line
    )


def _check_totals(
    projects: list[dict], row: Row, money: Money, amount_unit: str, totals: list[dict]
) -> list[Finding]:
    """The 合计 row against the sum of the project rows (budget and actual), and its own rate;
    the printed totals are appended to `totals`."""
    findings = []
    budget = to_wan(money.budget_total, amount_unit)
    actual = to_wan(money.actual_total, amount_unit)
    for what, printed, column in (
        ("预算", budget, "budget_wan"),
        ("实际支出", actual, "actual_wan"),
    ):
        values = [p[column] for p in projects if p.get(column) is not None]
        findings += check_total(
            "合计行",
            printed,
            round(sum(values), 6),
            row.line,
            what=what,
            missing=len(projects) - len(values),
            totals=totals,
        )
    findings += _sub_column_checks(None, money, row.line)
    reported = parse_rate(money.rate_text, rate_pct(actual, budget)) if money.rate_text else None
    total = project_row(
        "total", "合计", row.line, budget_wan=budget, actual_wan=actual, reported_rate_pct=reported
    )
    # The 合计 row is no project: its rate findings name no project.
    findings += [replace(f, project=None) for f in check_rates([total])]
    return findings
