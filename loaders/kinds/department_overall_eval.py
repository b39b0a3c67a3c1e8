"""Kind department_overall_eval: 部门整体支出绩效自评表 (one budget table, one indicator table).

The form (湖南 附件7; the 浏阳市 seed) has three parts:
- 整体支出规模: 全年预算数 / 全年执行数 / 执行率 for 资金来源 (财政拨款, 其他资金) and
  资金结构 (基本支出, 项目支出) lines. Header names vary (预算数(A), 调整后预算数, 执行数(B)),
  amounts may be in 元. The lines become one `department` row and `expenditure_type` rows.
- 年度总体目标: narrative, skipped.
- 分解目标自评: 一级指标, 权重, 二级指标 whose weight sits in the label (数量指标（6）), 三级指标,
  年度指标值, 全年完成值, 自评得分, 偏差原因, then a 总分 line. In the 投入管理 group the 二级 label
  is the indicator itself (预算编审管理（3）) and the row has one cell fewer.

Text comes one cell per line (cells open with a tab, wrapped cells go on lines without one, blank
lines end rows), as tab-separated rows, or as space-separated rows, and a whole table may sit on
one line. `read_rows` turns any of these into rows of cells; header rows give each column a role;
indicator rows whose cells do not line up with the header are aligned to the roles by content
(a small Viterbi over per-cell costs), so dropped empty cells, merged cells, rows broken by a blank
line and whole flattened tables still land in the right columns. One cell per line without tabs
gives no row ends at all (an empty cell is a blank line too): `bare_rows` reads each part of the
form as one flattened table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from ..crosscheck import SCORE_TOLERANCE, check_total, check_weights
from ..detection import keyword_score, squeeze
from ..findings import Finding
from ..metadata import UNIT_LABELS, clean_unit, find_amount_unit, find_year
from ..numbers import EMPTY_MARKS, parse_amount, parse_rate, rate_pct, to_halfwidth, to_wan
from ..rows import clean_name, indicator_row, project_row
from ..targets import is_not_applicable
from . import Parsed

KIND = "department_overall_eval"
LABEL = "部门整体支出绩效自评表"  # its name in the dashboard
KEYWORDS: dict[str, float] = {
    "整体支出绩效自评": 0.5,
    "全年预算数": 0.1,
    "全年执行数": 0.1,
    "资金结构": 0.15,
    "整体支出规模": 0.1,
    "分解目标": 0.05,
    "自评得分": 0.1,
    "部门决算": -0.5,
    "项目支出绩效自评表": -0.2,
}

# Indicator weights of a form add up to this (CONTRACT.md: WEIGHT_SUM_MISMATCH).
WEIGHT_TOTAL = 100.0
# Name of the department row when the document prints no unit.
DEPARTMENT_FALLBACK = "部门整体支出"
# A row with more cells than this is prose or a whole document on one line, not a table row.
MAX_ROW_TOKENS = 5000

# ---- rows -------------------------------------------------------------------------------------

# OCR gaps inside a number ("2, 306. 00"); a gap between two whole numbers ("100 100") stays.
_NUMBER_GAP = re.compile(r"(?<=[,.])[ \u3000]+(?=\d)|(?<=\d)[ \u3000]+(?=[,.]\d)")
_WIDE_GAP = re.compile(r"[ \u3000]{2,}")
_ANY_GAP = re.compile(r"[ \u3000]+")


class Cell(NamedTuple):
    text: str
    line: int


def _split_spaced(text: str) -> list[str]:
    """Cells of a row printed with spaces: runs of two or more spaces if any, else single spaces."""
    s = _NUMBER_GAP.sub("", text.strip())
    gap = _WIDE_GAP if _WIDE_GAP.search(s) else _ANY_GAP
    return [p for p in gap.split(s) if p]


def read_rows(lines: list[str]) -> Iterator[list[Cell]]:
    """Rows of cells from one-cell-per-line, tab-separated or space-separated text, one by one.

    A line `\tcell` adds a cell to the current row, a line without a tab right after a cell
    continues that cell (PDF wrapping), and a blank line ends the row. A line with several tab
    cells, or a line without tabs that does not continue a cell, is a row on its own.
    """
    current: list[tuple[int, list[str]]] = []
    previous = "gap"  # what the previous line was: gap | cell | row

    def pending() -> list[Cell]:
        row = [
            Cell(parts[0] if len(parts) == 1 else "\n".join(parts).strip(), line)
            for line, parts in current
        ]
        current.clear()
        return row

    for number, raw in enumerate(lines, 1):
        if "\t" not in raw:
            text = raw.strip()
            if not text:
                if current:
                    yield pending()
                previous = "gap"
            elif previous == "cell" and current:
                current[-1][1].append(text)
            else:
                if current:
                    yield pending()
                yield [Cell(t, number) for t in _split_spaced(text)]
                previous = "row"
            continue
        if raw.count("\t") == 1 and not raw.partition("\t")[0].strip():
            current.append((number, [raw.partition("\t")[2].strip()]))
            previous = "cell"
            continue
        if current:
            yield pending()
        yield [Cell(p.strip(), number) for p in raw.split("\t")]
        previous = "row"
    if current:
        yield pending()


# ---- tokens -----------------------------------------------------------------------------------

# 二级 labels carry their weight: 数量指标（6）, 预算编审管理（3）, 质量指标(8分).
_WEIGHTED_LABEL = re.compile(r"^(.+?)[（(](\d+(?:\.\d+)?)分?[)）]$")
# 一级 indicator names (without 指标) of the department forms.
LEVEL1_NAMES = frozenset(
    {
        "投入",
        "投入管理",
        "过程",
        "过程管理",
        "产出",
        "效益",
        "满意度",
        "履职效能",
        "管理效率",
        "运行管理",
    }
)
# A cell that reads like a target or an amount rather than a name: ≥90%, 100%, 79元/人, 2小时内.
_TARGETISH = re.compile(
    r"^(?:[≥≤><=≧≦]|不低于|不少于|不高于|不超过|不大于|不小于|大于|小于"
    r"|\d+(?:\.\d+)?[%‰]?[\u4e00-\u9fff/a-zA-Z]{0,3}$)"
)


_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# What parse_amount may read: digits (half or full width), separators, OCR gaps, a 元 suffix.
_AMOUNT_LIKE = re.compile(r"[+\-]?[\d０-９][\d０-９,，.．\s\u3000]*(?:万元|元)?")
_SPACE = re.compile(r"[\s\u3000]")
_DIGIT = re.compile(r"[0-9０-９]")
# Longer cells are prose: no amount or 二级 label is printed with more characters.
MAX_NUMBER_CHARS = 40
MAX_LABEL_CHARS = 40
# Distinct cell texts remembered per document (cells like 100%, ≥90%, 2 repeat).
MAX_MEMO = 20_000


class Token(NamedTuple):
    """A non-empty cell's text with the features the alignment looks at."""

    text: str
    sq: str
    number: float | None
    base: str
    label_weight: float | None
    level1: bool
    group: bool
    merged: bool
    targetish: bool
    colon: bool


def amount(text: str) -> float | None:
    """parse_amount with a fast path for plain numbers and none of its work on long prose."""
    if _PLAIN_NUMBER.fullmatch(text):
        return float(text)
    if len(text) > MAX_NUMBER_CHARS or not _AMOUNT_LIKE.fullmatch(text):
        return None
    return parse_amount(text)


def tokenize(text: str, memo: dict[str, Token] | None = None) -> Token:
    """A cell's features; `memo` (text -> token) skips the work for cells seen before."""
    if memo is not None:
        seen = memo.get(text)
        if seen is None:
            if len(memo) >= MAX_MEMO:
                memo.clear()
            seen = memo[text] = tokenize(text)
        return seen
    sq = squeeze(text) if _SPACE.search(text) else text
    if len(sq) > MAX_LABEL_CHARS:
        # Prose: a name, a target or a reason, never a number or a label.
        return Token(text, sq, None, sq, None, False, False, False, False, False)
    number = amount(sq)
    weight = None
    base = sq
    if sq.endswith((")", "）")):
        # Full-width digits in the weight are read; the label keeps its printed characters.
        m = _WEIGHTED_LABEL.match(to_halfwidth(sq))
        if m:
            base, weight = sq[: m.end(1)], float(m.group(2))
    group = base.endswith("指标")
    stem = base[:-2] if group else base
    return Token(
        text,
        sq,
        number,
        base,
        weight,
        stem in LEVEL1_NAMES,
        group or weight is not None,
        weight is not None and not group,
        number is not None or bool(_TARGETISH.match(sq)),
        sq.endswith(("：", ":")),
    )


def tidy(text: str) -> str:
    """clean_name, skipped for the many cells that hold no white space."""
    return clean_name(text) if _SPACE.search(text) else text


def _is_value(text: str) -> bool:
    """An amount, a rate or an empty mark: what fills the value columns of the budget table."""
    if len(text) > MAX_NUMBER_CHARS:
        return False
    s = to_halfwidth(text).strip()
    return s in EMPTY_MARKS or amount(s.rstrip("%").strip()) is not None


# ---- header roles -----------------------------------------------------------------------------

# Indicator-table header words -> column role, tried in this order.
INDICATOR_HEADER = (
    ("l1", ("一级",)),
    ("l2", ("二级",)),
    ("name", ("三级",)),
    ("reason", ("偏差", "原因", "备注", "说明")),
    ("score", ("得分",)),
    ("weight", ("权重", "分值", "标准分")),
    ("actual", ("完成", "实际", "实现")),
    ("target", ("指标值", "目标", "计划", "预期")),
)
# Header cells are short; a longer cell is prose even when it says 预算 or 完成.
MAX_HEADER_CHARS = 16
# Pieces a wrapped or spaced header word may be split into.
MAX_HEADER_FRAGMENTS = 3
# Budget-table header words -> column role, tried in this order.
BUDGET_HEADER = (
    ("rate", ("执行率", "完成率")),
    ("funds_score", ("得分",)),
    ("funds_weight", ("分值", "权重")),
    ("initial", ("年初",)),
    # Not 预算 alone: 年度预算申请 labels the rows.
    ("budget", ("预算数", "预算金额", "预算额", "全年预算", "调整后预算", "预算(", "预算（")),
    ("actual", ("执行数", "实际", "支出数", "决算", "执行")),
)
AMOUNT_ROLES = ("initial", "budget", "actual")
# Roles dropped first when a budget line prints fewer numbers than the header has columns.
# 分值/得分 are printed on the total line only, 年初预算数 is often left blank.
BUDGET_OPTIONAL_ROLES = ("funds_weight", "funds_score", "initial")


def _role(text: str, table) -> str | None:
    s = squeeze(text)
    if len(s) > MAX_HEADER_CHARS:
        return None  # prose that happens to say 预算 or 完成
    for role, words in table:
        if any(w in s for w in words):
            return role
    return None


def indicator_roles(cells: list[Cell]) -> tuple[list[str], list[Cell]] | None:
    """Column roles of an indicator header row, and the cells after the header on that row."""
    if not any("级" in c.text for c in cells):
        return None
    joined = squeeze("".join(c.text for c in cells))
    if not ("三级指标" in joined or ("一级指标" in joined and "二级指标" in joined)):
        return None
    roles: list[str] = []
    end = 0
    i = 0
    while i < len(cells):
        role = _role(cells[i].text, INDICATOR_HEADER)
        if role is None and cells[i].text:
            # A header word split over cells or tokens: 全 | 年 | 完成值, 自评 | 得分.
            for k in range(i + 1, min(i + MAX_HEADER_FRAGMENTS, len(cells))):
                joined = _role("".join(c.text for c in cells[i : k + 1]), INDICATOR_HEADER)
                if joined is not None and joined == _role(cells[k].text, INDICATOR_HEADER):
                    i, role = k, joined
                    break
        if role is None and len(roles) >= 3 and cells[i].text:
            break
        if role == "reason" and roles and roles[-1] == "reason" and cells[i - 1].text:
            i += 1  # 偏差及 | 原因分析: one column
            end = i
            continue
        roles.append(role or "other")
        i += 1
        end = i
    if "name" not in roles and "l2" not in roles:
        return None
    # 权重 before the 二级 column weighs the 一级 group, between 二级 and 三级 the 二级 group.
    first = {r: roles.index(r) for r in ("l2", "name") if r in roles}
    for i, role in enumerate(roles):
        if role == "weight":
            if "l2" in first and i < first["l2"]:
                roles[i] = "l1w"
            elif "name" in first and i < first["name"]:
                roles[i] = "l2w" if "l2" in first else "l1w"
    return roles, cells[end:]


def budget_roles(cells: list[Cell]) -> tuple[list[str], list[Cell]] | None:
    """Column roles of a budget header row (全年预算数 …), and the cells after it on that row."""
    if not any("算" in c.text for c in cells):
        return None
    first_value = next((i for i, c in enumerate(cells) if c.text and _is_value(c.text)), len(cells))
    # Header cells print no digits; 预算执行率（10） or a formula with 100% is an indicator.
    roles = [
        (None if _DIGIT.search(c.text) else _role(c.text, BUDGET_HEADER)) or "label"
        for c in cells[:first_value]
    ]
    if "budget" not in roles or not ({"actual", "rate"} & set(roles)):
        return None
    if sum(r != "label" for r in roles) < 2:
        return None
    end = max(i for i, r in enumerate(roles) if r != "label") + 1
    return roles[:end], cells[end:]


# ---- alignment --------------------------------------------------------------------------------

BIG = 10.0
# Cost of leaving a column of an indicator row empty. The context columns (一级, 权重, 二级) are
# free at the start of a row: continuation rows leave them empty.
MISSING_COST = {
    "l1": 0.05,
    "l1w": 0.05,
    "l2": 0.2,
    "l2w": 0.05,
    "name": 0.6,
    "weight": 0.4,
    "target": 0.3,
    "actual": 0.5,
    "score": 1.0,
    "reason": 0.1,
    "other": 0.05,
}
CONTEXT_ROLES = frozenset({"l1", "l1w", "l2", "l2w"})
NUMBER_ROLES = frozenset({"l1w", "l2w", "weight", "score"})
# Cost of starting a second indicator row inside one printed row (a flattened table).
ROW_START_COST = 1.0


def cell_cost(t: Token, role: str) -> float:
    """How badly a cell fits a column: 0 fits, BIG cannot be."""
    if role in NUMBER_ROLES:
        return 0.0 if t.number is not None else BIG
    if role == "l1":
        return (1.0 if t.label_weight is not None else 0.0) if t.level1 else BIG
    if role == "l2":
        if t.number is not None:
            return BIG
        if t.level1 and t.label_weight is None:
            return 1.0
        return 0.0 if t.group else 1.5
    if role == "name":
        if t.number is not None:
            return BIG
        if t.level1:
            return 5.0
        return 3.0 if (t.targetish or t.group) else 0.0
    if role in ("target", "actual"):
        if t.level1 or t.label_weight is not None:
            return 5.0
        return 1.5 if (t.group or t.colon) else 0.0
    if role == "reason":
        if t.number is not None:
            return 3.0
        if t.level1 or t.group:
            return 5.0
        return 1.0 if t.targetish else 0.0
    return 0.5


def align(tokens: list[Token], roles: list[str]) -> list[dict[str, int]]:
    """Split tokens into indicator rows and give each token a column, at the lowest total cost.

    Within a row columns only move right; a 二级 label that is itself the indicator (no 指标
    ending, weight in brackets) also fills the 三级 column. Viterbi over the columns: O(cells x
    columns). Returns one {role: token index} per row.
    """
    n, m = len(tokens), len(roles)
    if not n:
        return []
    prefix, head, tail, name_at, l2_at = _plan(tuple(roles))
    inf = float("inf")
    columns = range(m)

    dp = [inf] * m
    step: list[tuple[int, int, bool] | None] = [None] * m
    t = tokens[0]
    for j in columns:
        e = name_at if (j == l2_at and t.merged) else j
        cost = head[j] + cell_cost(t, roles[j])
        if cost < dp[e]:
            dp[e], step[e] = cost, (-1, j, True)
    back = [step]
    for k in range(1, n):
        t = tokens[k]
        new = [inf] * m
        step = [None] * m
        best_end, restart = 0, inf
        for s in columns:
            if dp[s] + tail[s] < restart:
                best_end, restart = s, dp[s] + tail[s]
        restart += ROW_START_COST
        # best: the cheapest previous state s < j, as dp[s] - prefix[s + 1], kept as j grows.
        best, best_s = inf, -1
        for j in columns:
            emit = cell_cost(t, roles[j])
            if emit < BIG:
                e = name_at if (j == l2_at and t.merged) else j
                cost, origin, fresh = restart + head[j] + emit, best_end, True
                if best + prefix[j] + emit < cost:
                    cost, origin, fresh = best + prefix[j] + emit, best_s, False
                if cost < new[e]:
                    new[e], step[e] = cost, (origin, j, fresh)
            if dp[j] - prefix[j + 1] < best:
                best, best_s = dp[j] - prefix[j + 1], j
        if step == [None] * m:
            # A cell no column takes (a number where the header has none): it opens a row alone.
            new[0], step[0] = restart + BIG, (best_end, 0, True)
        dp = new
        back.append(step)
    state, final = 0, inf
    for s in columns:
        if dp[s] + tail[s] < final:
            state, final = s, dp[s] + tail[s]
    picks: list[tuple[int, bool]] = []
    for k in range(n - 1, -1, -1):
        origin, j, fresh = back[k][state]
        picks.append((j, fresh))
        state = origin
    picks.reverse()
    segments: list[dict[str, int]] = []
    for k, (j, fresh) in enumerate(picks):
        if fresh or not segments:
            segments.append({})
        segments[-1][roles[j]] = k
    return segments


@lru_cache(maxsize=64)
def _plan(roles: tuple[str, ...]):
    """Per header: prefix sums of missing-column costs, row-start and row-end costs, anchors."""
    m = len(roles)
    miss = [MISSING_COST.get(r, 0.05) for r in roles]
    prefix = [0.0]
    for c in miss:
        prefix.append(prefix[-1] + c)
    head = [sum(miss[i] for i in range(j) if roles[i] not in CONTEXT_ROLES) for j in range(m)]
    tail = [prefix[m] - prefix[s + 1] for s in range(m)]
    name_at = roles.index("name") if "name" in roles else -1
    l2_at = roles.index("l2") if "l2" in roles and roles.index("l2") < name_at else -1
    return prefix, head, tail, name_at, l2_at


def positional(
    cells: list[Cell], roles: list[str], memo: dict[str, Token] | None = None
) -> dict[str, Token] | None:
    """Cells read by position when the row has exactly the header's columns and they fit."""
    if len(cells) != len(roles):
        return None
    seg = {}
    for cell, role in zip(cells, roles, strict=True):
        text = cell.text
        if not text:
            continue
        if role in NUMBER_ROLES or role in ("l1", "l2"):
            t = tokenize(text, memo)
            if cell_cost(t, role) >= BIG:
                return None
        else:
            # Text columns take any cell but a bare number as a name; skip the full features.
            sq = squeeze(text) if _SPACE.search(text) else text
            if role == "name" and amount(sq) is not None:
                return None
            t = Token(text, sq, None, sq, None, False, False, False, False, False)
        seg[role] = t
    return seg


# ---- the parser -------------------------------------------------------------------------------

TOTAL_SCORE_LABELS = (
    "总分", "合计", "总计", "总得分", "得分合计", "合计得分", "综合得分", "综合评分", "自评总分",
    "自评得分合计", "自评得分", "评分合计",
)  # fmt: skip
_TOTAL_FIRST_CHARS = frozenset(label[0] for label in TOTAL_SCORE_LABELS)
_TOTAL_SCORE = re.compile("^(?:" + "|".join(TOTAL_SCORE_LABELS) + r")[:：]?(?:\d+(?:\.\d+)?)?$")
BUDGET_TOTAL_WORDS = ("合计", "总计", "总额", "整体支出")
# Where the money comes from (资金来源); their sum is the department total when none is printed.
BUDGET_SOURCE_WORDS = (
    "财政拨款", "拨款", "其他资金", "其他收入", "资金来源", "财政资金", "一般公共预算", "政府性基金",
    "自有资金", "事业收入", "上年结转", "结转结余", "专户",
)  # fmt: skip
# Parts of 基本支出 printed under it; never a department total.
BUDGET_DETAIL_WORDS = ("人员经费", "公用经费", "人员支出", "公用支出", "对个人和家庭")
# Labels before the unit's name besides the 名称 ones; 单位 alone would also match 单位：万元.
UNIT_EXTRA_LABELS = ("填报单位", "编制单位", "实施单位", "评价单位")
# Words of targets.NOT_APPLICABLE (不适用, 无此项, 不涉及), to skip its work on other cells.
_MAYBE_NOT_APPLICABLE = re.compile(r"适\s*用|此\s*项|涉\s*及")
GOALS_WORDS = ("总体目标", "年初设定目标", "分解目标自评", "全年完成情况")
UNIT_LABELS_SQ = tuple(
    sorted(
        {squeeze(lb) for lb in UNIT_LABELS if "名称" in lb} | set(UNIT_EXTRA_LABELS),
        key=len,
        reverse=True,
    )
)
# A title that opens with the unit: 湘潭县卫生健康局2022年度部门整体支出绩效自评表.
_TITLE_UNIT = re.compile(r"^([\u4e00-\u9fff（）()]{4,40}?)(?:19|20)\d{2}\s*年")


@dataclass
class Group:
    """A 二级 indicator group: its label weight and the 三级 rows under it."""

    label: str
    weight: float | None
    line: int
    rows: list[dict] = field(default_factory=list)


@dataclass
class Level1:
    name: str | None
    line: int
    weight: float | None = None
    groups: list[Group] = field(default_factory=list)


class FormParser:
    """A line-oriented state machine over rows: head → budget → goals → indicators → after."""

    def __init__(self) -> None:
        self.meta: dict = {}
        self.findings: list[Finding] = []
        self.checked: list[dict] = []  # the printed totals compared, for Parsed.totals
        self.state = "head"
        self.head_text: list[str] = []
        self.budget_header: list[str] | None = None
        self.budget_line: int | None = None
        self.budget_lines: list[dict] = []
        self.roles: list[str] | None = None
        self.merged_roles: list[str] = []
        self.indicator_line: int | None = None
        self.level1: Level1 | None = None
        self.group: Group | None = None
        self.level1s: list[Level1] = []
        self.groups: list[Group] = []
        self.pending: list[dict] = []
        self.total_weight: float | None = None
        self.total_score: float | None = None
        self.memo: dict[str, Token] = {}
        self.funds: tuple[float | None, float | None] = (None, None)

    # -- rows --

    def feed(self, cells: list[Cell]) -> None:
        filled = [c for c in cells if c.text]
        if not filled or len(filled) > MAX_ROW_TOKENS:
            return
        text = "".join([c.text for c in filled])
        # Every indicator header names 一级/二级/三级指标, every budget header a 预算 column.
        header = indicator_roles(cells) if "级" in text else None
        if header:
            self.roles, rest = header
            self.merged_roles = [r for r in self.roles if r != "name"]
            self.indicator_line = filled[0].line
            self.level1 = self.group = None
            self.state = "indicators"
            self.indicator_row(rest)
            return
        if self.state in ("head", "goals", "after") or self.budget_header is None:
            # Not inside the indicator table: 预算执行率 rows there read like a header.
            header = budget_roles(cells) if "算" in text else None
            if header:
                self.budget_header, rest = header
                self.budget_line = filled[0].line
                self.head_text.append(" ".join(c.text for c in cells))
                self.state = "budget"
                self.budget_row(rest)
                return
        if self.state == "head":
            self.head_row(filled)
        elif self.state == "budget":
            if any(w in squeeze("".join(c.text for c in filled[:2])) for w in GOALS_WORDS):
                self.state = "goals"
            else:
                self.budget_row(cells)
        elif self.state == "indicators":
            self.indicator_row(cells)

    def head_row(self, filled: list[Cell]) -> None:
        self.head_text.append(" ".join(c.text for c in filled))
        first = squeeze(filled[0].text).rstrip("：:")
        for label in UNIT_LABELS_SQ:
            if first.startswith(label) and not self.meta.get("unit"):
                rest = first[len(label) :].lstrip("：:")
                value = clean_unit(rest or (filled[1].text if len(filled) > 1 else ""))
                if value and value not in ("万元", "元") and not value[0].isdigit():
                    self.meta["unit"] = value
                    return
        joined = squeeze("".join(c.text for c in filled))
        if "title" not in self.meta and "绩效自评" in joined and len(joined) <= 60:
            self.meta["title"] = clean_name(" ".join(c.text for c in filled))

    # -- budget table --

    def budget_row(self, cells: list[Cell]) -> None:
        roles = self.budget_header or []
        value_roles = [r for r in roles if r != "label"]
        for label, label_line, values in self.budget_groups(cells, roles):
            if not any(v.text and parse_amount(v.text.rstrip("%％")) is not None for v in values):
                continue
            if len(values) == len(value_roles):
                picked = {r: v.text for r, v in zip(value_roles, values, strict=True) if v.text}
            else:
                picked = assign_budget_values([v.text for v in values if v.text], value_roles)
            self.budget_lines.append({"label": label, "line": label_line, "values": picked})

    @staticmethod
    def budget_groups(cells: list[Cell], roles: list[str]):
        """(label, line, value cells) per budget line: by position, else label-then-numbers."""
        if len(cells) == len(roles) and all(
            (r == "label") != (bool(c.text) and _is_value(c.text)) or not c.text
            for c, r in zip(cells, roles, strict=True)
        ):
            labels = [c for c, r in zip(cells, roles, strict=True) if r == "label" and c.text]
            if labels:
                values = [c for c, r in zip(cells, roles, strict=True) if r != "label"]
                yield " ".join(c.text for c in labels), labels[0].line, values
                return
        label: list[Cell] = []
        values: list[Cell] = []
        for cell in cells:
            if not cell.text:
                continue
            if _is_value(cell.text):
                if label:
                    values.append(cell)
                continue
            if values:
                yield " ".join(c.text for c in label), label[0].line, values
                label, values = [], []
            label.append(cell)
        if label and values:
            yield " ".join(c.text for c in label), label[0].line, values

    # -- indicator table --

    def indicator_row(self, cells: list[Cell]) -> None:
        if not self.roles:
            return
        for i, cell in enumerate(cells):
            if not cell.text or cell.text[0] not in _TOTAL_FIRST_CHARS:
                continue
            sq = squeeze(cell.text)
            if _TOTAL_SCORE.match(sq):
                self.indicator_cells(cells[:i])
                self.totals(sq, [c for c in cells[i + 1 :] if c.text])
                self.state = "after"
                return
        self.indicator_cells(cells)

    def indicator_cells(self, cells: list[Cell]) -> None:
        filled = [c for c in cells if c.text]
        if not filled:
            return
        seg = positional(cells, self.roles, self.memo)
        if seg is None and len(cells) == len(self.roles) - 1 and "name" in self.roles:
            # 投入管理 rows: the 二级 label is the indicator and the 三级 cell is not printed.
            seg = positional(cells, self.merged_roles, self.memo)
            if seg is not None and not ("l2" in seg and seg["l2"].merged):
                seg = None
        if seg is not None:
            self.segment(seg, filled[0].line)
            return
        tokens = [tokenize(c.text, self.memo) for c in filled]
        for picks in align(tokens, self.roles):
            first = min(picks.values())
            self.segment({role: tokens[k] for role, k in picks.items()}, filled[first].line)

    def totals(self, label: str, after: list[Cell]) -> None:
        numbers = [parse_amount(c.text) for c in after]
        inline = parse_amount(re.sub(r"^[^\d]*", "", label))
        numbers = [n for n in [inline, *numbers] if n is not None]
        if len(numbers) >= 2:
            self.total_weight, self.total_score = numbers[0], numbers[1]
        elif numbers:
            self.total_score = numbers[0]

    def segment(self, seg: dict[str, Token], line: int) -> None:
        if "l1" in seg:
            self.level1 = Level1(tidy(seg["l1"].text), line)
            self.level1s.append(self.level1)
            self.group = None
        if "l1w" in seg:
            if self.level1 is None:
                self.level1 = Level1(None, line)
                self.level1s.append(self.level1)
            self.level1.weight = seg["l1w"].number
        if "l2" in seg:
            t = seg["l2"]
            self.group = Group(tidy(t.base), t.label_weight, line)
            self.groups.append(self.group)
            if self.level1 is not None:
                self.level1.groups.append(self.group)
        if "l2w" in seg and self.group is not None:
            self.group.weight = seg["l2w"].number
        has_values = any(r in seg for r in ("target", "actual", "score", "weight"))
        name = seg["name"].text if "name" in seg else None
        if name is None and "l2" in seg and has_values:
            name = seg["l2"].base
        if name is None:
            if has_values:
                self.findings.append(
                    Finding(
                        "PARTIAL_ROW",
                        f"第 {line} 行的指标没有名称（三级指标为空），已跳过，请核对原表。",
                        source_line=line,
                    )
                )
            return
        if not has_values:
            return
        text = {r: tidy(seg[r].text) if r in seg else None for r in ("target", "actual", "reason")}
        if _MAYBE_NOT_APPLICABLE.search(f"{text['target']}{text['actual']}") and is_not_applicable(
            text["target"], text["actual"]
        ):
            return
        row = {
            "name": tidy(name).rstrip("：:"),
            "level1": self.level1.name if self.level1 else None,
            "level2": self.group.label if self.group else None,
            "target_text": text["target"],
            "actual_text": text["actual"],
            "deviation_reason": text["reason"],
            "weight": seg["weight"].number if "weight" in seg else None,
            "score": seg["score"].number if "score" in seg else None,
            "source_line": line,
        }
        self.pending.append(row)
        if self.group is not None:
            self.group.rows.append(row)

    # -- results --

    def resolve_weights(self) -> float:
        """Give 三级 rows the weight of their 二级 group; returns group weight left unsplit."""
        unsplit = 0.0
        for g in self.groups:
            open_rows = [r for r in g.rows if r["weight"] is None]
            if g.weight is None or not open_rows:
                continue
            left = g.weight - sum(r["weight"] for r in g.rows if r["weight"] is not None)
            if len(open_rows) == 1:
                open_rows[0]["weight"] = left
                continue
            scores = [r["score"] for r in open_rows]
            # Full marks are the only split of the group weight the scores allow.
            if None not in scores and abs(sum(scores) - left) <= SCORE_TOLERANCE:
                for r in open_rows:
                    r["weight"] = r["score"]
                continue
            unsplit += left
            self.findings.append(
                Finding(
                    "PARTIAL_ROW",
                    f"二级指标「{g.label}」的分值 {g.weight:g} 分未分到其下 {len(open_rows)} 个三级指标，"
                    "且得分未满分，无法判断各指标分值；状态按目标值与完成值判断。",
                    severity="info",
                    source_line=g.line,
                )
            )
        return unsplit

    def check_level1_weights(self) -> None:
        for l1 in self.level1s:
            if l1.weight is None or not l1.groups:
                continue
            parts = []
            for g in l1.groups:
                if g.weight is not None:
                    parts.append(g.weight)
                elif g.rows and all(r["weight"] is not None for r in g.rows):
                    parts.append(sum(r["weight"] for r in g.rows))
                else:
                    return
            if abs(sum(parts) - l1.weight) > SCORE_TOLERANCE:
                self.findings.append(
                    Finding(
                        "WEIGHT_SUM_MISMATCH",
                        f"一级指标「{l1.name or ''}」权重 {l1.weight:g} 分，其下二级指标分值合计 "
                        f"{sum(parts):g} 分，请核对原表。",
                        source_line=l1.line,
                    )
                )

    def budget_rows(self, name: str) -> list[dict]:
        unit = self.meta.get("amount_unit") or "万元"
        lines = []
        for b in self.budget_lines:
            v = b["values"]
            amounts = {r: to_wan(parse_amount(v.get(r)), unit) for r in AMOUNT_ROLES}
            computed = rate_pct(amounts["actual"], amounts["budget"])
            lines.append(
                {
                    **b,
                    "kind": budget_kind(b["label"]),
                    **amounts,
                    "rate": parse_rate(v.get("rate"), computed),
                    "funds_weight": parse_amount(v.get("funds_weight")),
                    "funds_score": parse_amount(v.get("funds_score")),
                }
            )
        out = []
        types = [b for b in lines if b["kind"] in ("基本支出", "项目支出")]
        totals = [b for b in lines if b["kind"] == "total"]
        sources = [b for b in lines if b["kind"] == "source"]
        others = [b for b in lines if b["kind"] == "other"]
        dept = None
        if totals:
            dept = totals[0]
        elif not sources and not types and others:
            dept = others[0]
        elif len(sources) == 1:
            dept = sources[0]
        elif sources or types:
            # No printed total: the department total is the sum of its 资金来源 (or 资金结构) lines.
            parts = sources or types
            dept = {
                "line": parts[0]["line"],
                **{r: _sum(b[r] for b in parts) for r in AMOUNT_ROLES},
                "rate": None,
                "funds_weight": None,
                "funds_score": None,
            }
        if dept is not None:
            # The 预算执行率 line's 分值/得分 (where printed) count towards the 100 points.
            self.funds = (dept["funds_weight"], dept["funds_score"])
            out.append(self.budget_project("department", name, dept, score=self.total_score))
            for role, what in (("budget", "预算"), ("actual", "执行")):
                got = [b[role] for b in types if b[role] is not None]
                if dept[role] is not None and len(got) == len(types) == 2:
                    self.findings += check_total(
                        "资金结构（基本支出＋项目支出）与部门整体支出：",
                        dept[role],
                        sum(got),
                        types[0]["line"],
                        what,
                        totals=self.checked,
                    )
        for b in types:
            out.append(self.budget_project("expenditure_type", b["kind"], b))
        return out

    @staticmethod
    def budget_project(level: str, name: str, b: dict, score: float | None = None) -> dict:
        return project_row(
            level,
            name,
            b["line"],
            initial_budget_wan=b["initial"],
            budget_wan=b["budget"],
            actual_wan=b["actual"],
            reported_rate_pct=b["rate"],
            score=score,
            funds_weight=b["funds_weight"],
            funds_score=b["funds_score"],
        )

    def result(self) -> Parsed:
        head = "\n".join(self.head_text)
        self.meta["amount_unit"] = find_amount_unit(head) or "万元"
        if self.meta.get("title"):
            self.meta["year"] = find_year(self.meta["title"])
            m = _TITLE_UNIT.match(squeeze(self.meta["title"]))
            if not self.meta.get("unit") and m and not m.group(1).startswith("附件"):
                self.meta["unit"] = clean_unit(m.group(1))
        self.meta = {k: v for k, v in self.meta.items() if v is not None}
        name = self.meta.get("unit") or DEPARTMENT_FALLBACK
        projects = self.budget_rows(name)
        if self.budget_header is None:
            self.findings.append(
                Finding(
                    "PARTIAL_ROW",
                    "未找到整体支出规模表（全年预算数/全年执行数），部门预算与执行数未读取。",
                )
            )
        elif not projects:
            self.findings.append(
                Finding(
                    "PARTIAL_ROW",
                    "整体支出规模表中没有读到金额，部门预算与执行数为空，请核对原表。",
                    source_line=self.budget_line,
                )
            )
        if self.roles is None:
            self.findings.append(
                Finding("PARTIAL_ROW", "未找到分解目标自评表（一级/二级/三级指标），没有读取指标。")
            )
        unsplit = self.resolve_weights()
        self.check_level1_weights()
        self.findings += check_weights(
            None,
            [r["weight"] for r in self.pending],
            [r["score"] for r in self.pending],
            self.indicator_line,
            extra_weight=unsplit + (self.funds[0] or 0.0),
            extra_score=self.funds[1] or 0.0,
            total_weight=WEIGHT_TOTAL,
            total_score=self.total_score,
        )
        indicators = [
            indicator_row(
                None,
                r["name"],
                r["source_line"],
                level1=r["level1"],
                level2=r["level2"],
                target_text=r["target_text"],
                actual_text=r["actual_text"],
                weight=r["weight"],
                score=r["score"],
                deviation_reason=r["deviation_reason"],
            )
            for r in self.pending
        ]
        return Parsed(
            meta=self.meta,
            projects=projects,
            indicators=indicators,
            findings=self.findings,
            totals=self.checked,
        )


def _sum(values) -> float | None:
    got = [v for v in values if v is not None]
    return sum(got) if got else None


def budget_kind(label: str) -> str:
    """基本支出 / 项目支出 / total / source / detail / other, from a budget line's label."""
    s = squeeze(label)
    if any(w in s for w in BUDGET_DETAIL_WORDS):
        return "detail"
    if "基本支出" in s:
        return "基本支出"
    if "项目支出" in s:
        return "项目支出"
    if not s or any(w in s for w in BUDGET_TOTAL_WORDS):
        return "total"
    if any(w in s for w in BUDGET_SOURCE_WORDS):
        return "source"
    return "other"


def assign_budget_values(texts: list[str], value_roles: list[str]) -> dict[str, str]:
    """Values of a budget line whose empty cells were dropped: % cells are rates, numbers in order."""
    out: dict[str, str] = {}
    numbers = []
    for text in texts:
        if text.rstrip().endswith(("%", "％")) and "rate" in value_roles and "rate" not in out:
            out["rate"] = text
        elif parse_amount(text) is not None:
            numbers.append(text)
    roles = [r for r in value_roles if r != "rate" or "rate" not in out]
    if "rate" in out or len(numbers) < len(roles):
        roles = [r for r in roles if r != "rate"]
    for optional in BUDGET_OPTIONAL_ROLES:
        if len(roles) > len(numbers) and optional in roles:
            roles.remove(optional)
    out.update(zip(roles, numbers, strict=False))
    return out


def detect(doc) -> float:
    return keyword_score(doc.head, KEYWORDS)


# One cell per line without tabs: a text is laid out so when it has no tab and at least this many
# (and this share) of its lines hold a number alone — in rows a number sits beside its label.
MIN_BARE_VALUE_LINES = 6
MIN_BARE_VALUE_SHARE = 0.15
# Without tabs, an empty cell prints as a blank line, like the end of a row: rows are not known,
# so the cells are read as one stream split where a part of the form starts (its first cell).
SECTION_STARTS = ("整体支出规模", *GOALS_WORDS, "一级指标")


def is_bare_cells(doc) -> bool:
    """Whether a document prints one cell per line without tab-led cells."""
    if "\t" in doc.text:
        return False
    lines = [line.strip() for line in doc.lines if line.strip()]
    values = sum(1 for line in lines if _is_value(line))
    return values >= MIN_BARE_VALUE_LINES and values >= MIN_BARE_VALUE_SHARE * len(lines)


def bare_rows(lines: list[str]) -> Iterator[list[Cell]]:
    """The cells of a one-cell-per-line text without tabs, one 'row' per part of the form.

    Each part (unit label, budget table, goals, indicator table with its 总分) becomes one
    flattened row that FormParser reads like a table printed on one line: the alignment by content
    finds its rows. A wrapped cell cannot be told from the next cell here; where that shifts a
    row, the weight and score checks report it.
    """
    row: list[Cell] = []
    for number, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text:
            continue
        sq = squeeze(text)
        if row and sq == "指标":  # a label wrapped in its cell: '投入管理' + '指  标'
            row[-1] = Cell(f"{row[-1].text}{sq}", row[-1].line)
            continue
        if row and sq.startswith(SECTION_STARTS + UNIT_LABELS_SQ):
            yield row
            row = []
        row.append(Cell(text, number))
    if row:
        yield row


def parse(doc) -> Parsed:
    parser = FormParser()
    for row in bare_rows(doc.lines) if is_bare_cells(doc) else read_rows(doc.lines):
        parser.feed(row)
    return parser.result()
