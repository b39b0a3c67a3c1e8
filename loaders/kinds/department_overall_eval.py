"""Kind department_overall_eval: 部门整体支出绩效自评表 (one budget table, one indicator table).

The form (湖南 附件7; the 浏阳市 seed) has three parts:
- 整体支出规模: 全年预算数 / 全年执行数 / 执行率 for 资金来源 (财政拨款, 其他资金) and
  资金结构 (基本支出, 项目支出) lines. Header names vary (预算数(A), 调整后预算数, 执行数(B)),
  amounts may be in 元. The lines become one `department` row and `expenditure_type` rows.
- 年度总体目标: narrative, skipped.
- 分解目标自评: 一级指标, 权重, 二级指标 whose weight sits in the label (数量指标（6）), 三级指标,
  年度指标值, 全年完成值, 自评得分, 偏差原因, then a 总分 line. In the 投入管理 group the 二级 label
  is the indicator itself (预算编审管理（3）) and the row has one cell fewer.

The text is read once into rows of cells by loaders/layout.py (tab rows, one cell per line,
spaced or flattened rows, glued text) and header cells are named by loaders/vocab.py. This module
reads the form on top: header rows give each column a role; indicator rows are read by column
where the layout kept columns, else aligned to the roles by content (a small Viterbi over per-cell
costs), so dropped empty cells, merged cells, rows broken by a blank line and whole flattened
tables still land in the right columns. A funds row whose figures are glued
(``年度资金总额2456.182456.182456.1810100%10``) is read under the form's arithmetic
(loaders/solve.py). One cell per line without tabs gives no row ends at all (an empty cell is a
blank line too): each part of the form is then read as one flattened row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from .. import layout
from ..crosscheck import SCORE_TOLERANCE, check_total, check_weights
from ..detection import keyword_score, squeeze
from ..findings import Finding
from ..layout import CELL_LINES, GLUED, TAB, TEXT, Cell, number
from ..metadata import clean_unit, find_amount_unit, find_year, labelled_unit
from ..numbers import EMPTY_MARKS, parse_rate, rate_pct, to_wan
from ..rows import clean_name, indicator_row, project_row
from ..solve import ROLE_NAMES, Reading, is_figures, read_funds
from ..targets import is_not_applicable
from ..vocab import UNIT_LABELS, funds_role, indicator_role, key_of
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

# ---- cell features ----------------------------------------------------------------------------

# 二级 labels carry their weight: 数量指标（6）, 预算编审管理（3）, 质量指标(8分). Matched on the
# cell's key (half-width brackets).
_WEIGHTED_LABEL = re.compile(r"^(.+?)\((\d+(?:\.\d+)?)分?\)$")
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
_SPACE = re.compile(r"[\s\u3000]")
_DIGIT = re.compile(r"[0-9０-９]")
# Longer cells are prose: no amount or 二级 label is printed with more characters.
MAX_LABEL_CHARS = 40
# Distinct cell texts remembered per document (cells like 100%, ≥90%, 2 repeat).
MAX_MEMO = 20_000


class Features(NamedTuple):
    """What the alignment looks at in a non-empty layout cell."""

    text: str
    number: float | None
    base: str  # the label without its weight, as printed: 数量指标（6） -> 数量指标
    label_weight: float | None
    level1: bool
    group: bool
    merged: bool  # a 二级 label that is the indicator itself: 预算编审管理（3）
    targetish: bool
    colon: bool


def features(cell: Cell, memo: dict[str, Features] | None = None) -> Features:
    """A cell's features; `memo` (text -> features) skips the work for cells seen before."""
    if memo is not None:
        seen = memo.get(cell.text)
        if seen is None:
            if len(memo) >= MAX_MEMO:
                memo.clear()
            seen = memo[cell.text] = features(cell)
        return seen
    text, key = cell.text, cell.key
    if len(key) > MAX_LABEL_CHARS:
        # Prose: a name, a target or a reason, never a number or a label.
        return Features(text, None, key, None, False, False, False, False, False)
    weight = None
    base = stem = key
    if key.endswith(")"):
        m = _WEIGHTED_LABEL.match(key)
        if m:
            # The label keeps its printed characters; the key only finds where the weight starts.
            base = squeeze(text)[: m.end(1)]
            stem, weight = m.group(1), float(m.group(2))
    group = stem.endswith("指标")
    if group:
        stem = stem[:-2]
    return Features(
        text,
        cell.num,
        base,
        weight,
        stem in LEVEL1_NAMES,
        group or weight is not None,
        weight is not None and not group,
        cell.num is not None or bool(_TARGETISH.match(key)),
        key.endswith(":"),
    )


def tidy(text: str) -> str:
    """clean_name, skipped for the many cells that hold no white space."""
    return clean_name(text) if _SPACE.search(text) else text


def _is_value(cell: Cell) -> bool:
    """An amount, a rate, an empty mark or glued figures: what fills the budget table's values."""
    if cell.num is not None:
        return True
    key = cell.key
    if len(key) > MAX_LABEL_CHARS:
        return False
    return key in EMPTY_MARKS or number(key.rstrip("%")) is not None or is_figures(key)


# ---- header roles -----------------------------------------------------------------------------

# vocab.indicator_role's names -> this form's column roles; 权重 columns are told apart later.
INDICATOR_ROLES = {
    "level1": "l1",
    "level2": "l2",
    "name": "name",
    "reason": "reason",
    "score": "score",
    "weight": "weight",
    "actual": "actual",
    "target": "target",
}
# Pieces a wrapped or spaced header word may be split into: 全 | 年 | 完成值.
MAX_HEADER_FRAGMENTS = 3


def _indicator_role(key: str) -> str | None:
    role = indicator_role(key)
    return INDICATOR_ROLES.get(role, "other") if role else None


class Header(NamedTuple):
    """A header found in a row: column roles, the header's cells by role, where it sits."""

    roles: list[str]
    cells: list[tuple[str, Cell]]
    start: int  # index in the row of its first cell
    end: int  # index in the row after its last cell


def indicator_header(cells: list[Cell]) -> Header | None:
    """The indicator header in a row (一级指标 / 二级指标 / 三级指标 / 年度指标值 …), wherever it
    starts (a flattened or glued row carries other parts of the form before it)."""
    first = next(
        (
            i
            for i, c in enumerate(cells)
            if "级" in c.key and _indicator_role(c.key) in ("l1", "l2", "name")
        ),
        None,
    )
    if first is None:
        return None
    start = first
    while start and _indicator_role(cells[start - 1].key) is not None:
        start -= 1  # 权重 printed before 二级指标 where the 一级 column has no header
    found: list[tuple[str, Cell]] = []
    end = i = start
    while i < len(cells):
        role = _indicator_role(cells[i].key)
        if role is None:
            # A header word split over cells: 全 | 年 | 完成值, 自评 | 得分.
            for k in range(i + 1, min(i + MAX_HEADER_FRAGMENTS, len(cells))):
                joined = _indicator_role("".join(c.key for c in cells[i : k + 1]))
                if joined is not None and joined == _indicator_role(cells[k].key):
                    i, role = k, joined
                    break
        if role is None:
            break
        if role == "reason" and found and found[-1][0] == "reason" and found[-1][1] is cells[i - 1]:
            i += 1  # 偏差及 | 原因分析: one column
            end = i
            continue
        found.append((role, cells[i]))
        i += 1
        end = i
    roles = [r for r, _ in found]
    if "name" not in roles and not {"l1", "l2"} <= set(roles):
        return None  # 二级指标 alone is a word in prose or a label, not the table's header
    return Header(roles, found, start, end)


def indicator_columns(header: Header) -> tuple[list[str], bool]:
    """The header's roles in column order, and whether they are by printed column: where the
    layout kept columns an empty header cell is a column too ("other")."""
    cols = [c.col for _, c in header.cells]
    by_col = None not in cols and len(set(cols)) == len(cols) and cols == sorted(cols)
    if by_col:
        roles = ["other"] * (cols[-1] + 1)
        for (role, _), col in zip(header.cells, cols, strict=True):
            roles[col] = role
    else:
        roles = list(header.roles)
    # 权重 before the 二级 column weighs the 一级 group, between 二级 and 三级 the 二级 group.
    first = {r: roles.index(r) for r in ("l2", "name") if r in roles}
    for i, role in enumerate(roles):
        if role == "weight":
            if "l2" in first and i < first["l2"]:
                roles[i] = "l1w"
            elif "name" in first and i < first["name"]:
                roles[i] = "l2w" if "l2" in first else "l1w"
    return roles, by_col


AMOUNT_ROLES = ("initial", "budget", "actual")
# Roles dropped first when a budget line prints fewer numbers than the header has columns.
# 分值/得分 are printed on the total line only, 年初预算数 is often left blank.
BUDGET_OPTIONAL_ROLES = ("weight", "score", "initial")


def _funds_role(cell: Cell) -> str | None:
    # Header cells print no digits: 预算执行率（10） or a formula with 100% is an indicator.
    if _DIGIT.search(cell.text):
        return None
    return funds_role(cell.key)


def funds_header(cells: list[Cell]) -> Header | None:
    """The budget table's header in a row (全年预算数 / 全年执行数 / 执行率 …), wherever it starts.

    Its column words are a run of cells with distinct roles; a word before them that also reads
    as a role (整体支出规模, 年度预算申请) heads the label column.
    """
    i, n = 0, len(cells)
    while i < n:
        if _funds_role(cells[i]) is None:
            i += 1
            continue
        j = i
        while j < n and _funds_role(cells[j]) is not None:
            j += 1
        run: list[tuple[str, Cell]] = []
        for cell in reversed(cells[i:j]):
            role = _funds_role(cell)
            if any(r == role for r, _ in run):
                break
            run.append((role, cell))
        run.reverse()
        roles = [r for r, _ in run]
        if len(roles) >= 2 and "budget" in roles and {"actual", "rate"} & set(roles):
            return Header(roles, run, j - len(run), j)
        i = j
    return None


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


def cell_cost(t: Features, role: str) -> float:
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


def align(tokens: list[Features], roles: list[str]) -> list[dict[str, int]]:
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


def by_column(
    cells: list[Cell], roles: list[str], merged_roles: list[str], memo: dict[str, Features]
) -> dict[str, Features] | None:
    """An indicator row read by its printed columns (the header's), when its cells fit them.

    The layout does not print a row's trailing empty cells, so a row narrower than the header
    is read with the header's roles, or, when its 二级 cell is an indicator itself
    (预算编审管理（3）: the 三级 cell is not printed and the row has one column fewer), with the
    roles without 三级.
    """
    width = cells[-1].col + 1
    if width > len(roles):
        return None
    use = roles
    if merged_roles and width <= len(merged_roles):
        l2_at = roles.index("l2")
        at = next((c for c in cells if c.col == l2_at), None)
        if at is not None and features(at, memo).merged:
            use = merged_roles
    seg = {}
    for cell in cells:
        role = use[cell.col]
        if role in NUMBER_ROLES or role in ("l1", "l2"):
            t = features(cell, memo)
            if cell_cost(t, role) >= BIG:
                return None
        elif role == "name" and cell.num is not None:
            return None
        else:
            # Text columns take any cell: skip the full features.
            t = Features(cell.text, cell.num, cell.key, None, False, False, False, False, False)
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
# Words of targets.NOT_APPLICABLE (不适用, 无此项, 不涉及), to skip its work on other cells.
_MAYBE_NOT_APPLICABLE = re.compile(r"适\s*用|此\s*项|涉\s*及")
GOALS_WORDS = ("总体目标", "年初设定目标", "分解目标自评", "全年完成情况")
# A title that opens with the unit: 湘潭县卫生健康局2022年度部门整体支出绩效自评表.
_TITLE_UNIT = re.compile(r"^([\u4e00-\u9fff（）()]{4,40}?)(?:19|20)\d{2}\s*年")
_YEAR_IN_TITLE = re.compile(r"(?:19|20)\d{2}\s*年")
MAX_TITLE_CHARS = 60


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


def table_row(cells: list[Cell]) -> list[Cell]:
    """A row inside a table: a line the layout kept whole for want of figures or form words
    ('社会稳定水平 逐年提高 逐年提高 5') is a row of cells here."""
    if not any(c.layout == TEXT and " " in c.text for c in cells):
        return cells
    out = []
    for c in cells:
        if c.layout == TEXT and " " in c.text:
            texts, how = layout.split_loose(c.text, row=True)
            out += [layout.make_cell(t, c.line, c.row, None, how) for t in texts]
        else:
            out.append(c)
    return out


def _goals_at(cells: list[Cell]) -> int | None:
    """Where the 年度总体目标 part starts in a row of the budget table, if it does."""
    for i, cell in enumerate(cells):
        if cell.num is None and any(w in cell.key for w in GOALS_WORDS):
            return i
    return None


class FormParser:
    """A state machine over rows of layout cells: head → budget → goals → indicators → after.

    A flattened or glued row may hold several parts of the form: each header found in it
    starts its part there.
    """

    def __init__(self) -> None:
        self.meta: dict = {}
        self.findings: list[Finding] = []
        self.checked: list[dict] = []  # the printed totals compared, for Parsed.totals
        self.state = "head"
        self.head_cells: list[Cell] = []
        self.budget_header: Header | None = None
        self.budget_line: int | None = None
        self.budget_lines: list[dict] = []
        self.roles: list[str] | None = None
        self.by_col = False
        self.merged_roles: list[str] = []
        self.indicator_line: int | None = None
        self.glued_indicators: int | None = None  # line of indicator cells glued beyond reading
        self.level1: Level1 | None = None
        self.group: Group | None = None
        self.level1s: list[Level1] = []
        self.groups: list[Group] = []
        self.pending: list[dict] = []
        self.total_weight: float | None = None
        self.total_score: float | None = None
        self.memo: dict[str, Features] = {}
        self.funds: tuple[float | None, float | None] = (None, None)

    # -- rows --

    def feed(self, cells: list[Cell]) -> None:
        if not cells or len(cells) > MAX_ROW_TOKENS:
            return
        # Every indicator header names 一级/二级/三级指标, every budget header a 预算 column.
        header = indicator_header(cells) if any("级" in c.key for c in cells) else None
        if header:
            if header.start:
                self.feed(cells[: header.start])
            self.roles, self.by_col = indicator_columns(header)
            if "name" in self.roles and "l2" in self.roles:
                self.merged_roles = [r for r in self.roles if r != "name"]
            else:
                self.merged_roles = []
            self.indicator_line = cells[header.start].line
            self.level1 = self.group = None
            self.state = "indicators"
            self.indicator_row(cells[header.end :])
            return
        if self.state in ("head", "goals", "after") or self.budget_header is None:
            # Not inside the indicator table: 预算执行率 rows there read like a header.
            header = funds_header(cells) if any("算" in c.key for c in cells) else None
            if header:
                # Before the column words: the head (glued text) and the label column's header.
                self.head_cells += cells[: header.start]
                self.head_cells += [c for _, c in header.cells]
                self.budget_header = header
                self.budget_line = cells[header.start].line
                self.state = "budget"
                self.budget_row(cells[header.end :])
                return
        if self.state == "head":
            self.head_cells += cells
        elif self.state == "budget":
            self.budget_row(table_row(cells))
        elif self.state == "indicators":
            self.indicator_row(table_row(cells))

    # -- budget table --

    def budget_row(self, cells: list[Cell]) -> None:
        goals = _goals_at(cells)
        if goals is not None:
            self.state = "goals"
            cells = cells[:goals]
        value_roles = self.budget_header.roles
        for label, line, values in self.budget_groups(cells):
            present = [v for v in values if v is not None]
            if not any(_is_value(v) and v.key not in EMPTY_MARKS for v in present):
                continue
            texts = [v.text if v is not None else "" for v in values]
            reading, by_order = None, False
            if any(v.layout == GLUED and v.num is None and is_figures(v.key) for v in present):
                # Glued figures: the form's arithmetic chooses the cut.
                reading = read_funds(value_roles, [v.text for v in present])
                picked = dict(reading.printed) if reading.values and not reading.ambiguous else {}
            elif len(values) == len(value_roles):
                picked = {r: t for r, t in zip(value_roles, texts, strict=True) if t}
            else:
                picked, by_order = assign_budget_values(texts, value_roles), True
            self.budget_lines.append(
                {
                    "label": label,
                    "line": line,
                    "values": picked,
                    "reading": reading,
                    "by_order": by_order,
                    "texts": texts,
                }
            )

    def budget_groups(self, cells: list[Cell]) -> Iterator[tuple[str, int, list[Cell | None]]]:
        """(label, line, value cells) per budget line: by printed column under the header, else
        label-then-values."""
        header = self.budget_header
        cols = [c.col for _, c in header.cells]
        if None not in cols and cells and all(c.col is not None for c in cells):
            at = {c.col: c for c in cells}
            labels = [c for c in cells if c.col not in cols and not _is_value(c)]
            if labels and all(c.col in cols or c in labels for c in cells):
                yield " ".join(c.text for c in labels), labels[0].line, [at.get(k) for k in cols]
                return
        label: list[Cell] = []
        values: list[Cell] = []
        for cell in cells:
            if _is_value(cell):
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
            if not cell.key or cell.key[0] not in _TOTAL_FIRST_CHARS:
                continue
            if _TOTAL_SCORE.match(cell.key):
                self.indicator_cells(cells[:i])
                self.totals(cell.key, cells[i + 1 :])
                self.state = "after"
                return
        self.indicator_cells(cells)

    def indicator_cells(self, cells: list[Cell]) -> None:
        if not cells:
            return
        if any(c.layout == GLUED for c in cells):
            # Text with no separators cuts only at the form's words: names, targets and figures
            # of an indicator row stay glued together and cannot be told apart.
            if self.glued_indicators is None:
                self.glued_indicators = cells[0].line
            return
        if self.by_col and all(c.col is not None for c in cells):
            seg = by_column(cells, self.roles, self.merged_roles, self.memo)
            if seg is not None:
                self.segment(seg, cells[0].line)
                return
        tokens = [features(c, self.memo) for c in cells]
        for picks in align(tokens, self.roles):
            first = min(picks.values())
            self.segment({role: tokens[k] for role, k in picks.items()}, cells[first].line)

    def totals(self, label: str, after: list[Cell]) -> None:
        inline = number(re.sub(r"^[^\d]*", "", label))
        numbers = [n for n in [inline, *(c.num for c in after)] if n is not None]
        if len(numbers) >= 2:
            self.total_weight, self.total_score = numbers[0], numbers[1]
        elif numbers:
            self.total_score = numbers[0]

    def segment(self, seg: dict[str, Features], line: int) -> None:
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
            amounts = {r: to_wan(_number(v.get(r)), unit) for r in AMOUNT_ROLES}
            computed = rate_pct(amounts["actual"], amounts["budget"])
            kind = budget_kind(b["label"])
            lines.append(
                {
                    **b,
                    "kind": kind,
                    # How findings name the line: a flattened row's label may carry its
                    # neighbours' words; a 资金结构 line is its kind.
                    "shown": kind if kind in ("基本支出", "项目支出") else b["label"],
                    **amounts,
                    "rate": parse_rate(v.get("rate"), computed),
                    "funds_weight": _number(v.get("weight")),
                    "funds_score": _number(v.get("score")),
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
        elif any(b[r] is not None for b in sources or types for r in AMOUNT_ROLES):
            # No printed total: the department total is the sum of its 资金来源 (or 资金结构) lines.
            parts = sources or types
            dept = {
                "line": parts[0]["line"],
                **{r: _sum(b[r] for b in parts) for r in AMOUNT_ROLES},
                "rate": None,
                "funds_weight": None,
                "funds_score": None,
            }
        for b in lines:
            if b is not dept and b["kind"] not in ("基本支出", "项目支出"):
                continue
            project = name if b is dept else b["kind"]
            self.findings += _reading_findings(project, b)
            self.findings += self.short_findings(project, b)
            if b["budget"] is None and b["actual"] is None and b["rate"] is not None:
                self.findings.append(
                    Finding(
                        "PARTIAL_ROW",
                        f"整体支出规模表的「{b['shown']}」行只印了执行率 {b['rate']:g}%，未印预算数和"
                        "执行数，金额留空，请以部门决算或原表补充。",
                        project=project,
                        source_line=b["line"],
                    )
                )
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

    def short_findings(self, project: str, b: dict) -> list[Finding]:
        """A line that printed fewer amounts than the header has amount columns: which column a
        figure belongs to was taken from the header's order."""
        if not b["by_order"]:
            return []
        roles, picked = self.budget_header.roles, b["values"]
        missing = [r for r in ("budget", "actual") if r in roles and r not in picked]
        read = [r for r in AMOUNT_ROLES if r in picked]
        if not missing or not read:
            return []
        printed = "、".join(t for t in b["texts"] if t)
        said = "，".join(f"{ROLE_NAMES[r]} {picked[r]}" for r in read)
        return [
            Finding(
                "VALUE_INFERRED",
                f"整体支出规模表的「{b['shown']}」行只印了 {printed}，少于表头的金额列，按表头顺序读作"
                f"{said}，{'、'.join(ROLE_NAMES[r] for r in missing)}留空，请核对原表。",
                project=project,
                source_line=b["line"],
            )
        ]

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

    def read_head(self) -> None:
        """Title, unit, year and amount unit from the cells before the budget table."""
        head = self.head_cells
        self.meta["amount_unit"] = find_amount_unit("\n".join(c.text for c in head)) or "万元"
        titles = [
            c.text
            for c in head
            if "绩效自评" in c.key and len(c.key) <= MAX_TITLE_CHARS and not is_unit_label(c.key)
        ]
        # A file name printed above the form ('…自评表(4).docx') is a title without a year.
        title = next((t for t in titles if _YEAR_IN_TITLE.search(t)), titles[0] if titles else None)
        if title:
            self.meta["title"] = clean_name(title)
            self.meta["year"] = find_year(self.meta["title"])
        unit = labelled_unit(head)
        if not unit and title:
            m = _TITLE_UNIT.match(squeeze(title))
            if m and not m.group(1).startswith("附件"):
                unit = clean_unit(m.group(1))
        self.meta["unit"] = unit

    def result(self) -> Parsed:
        self.read_head()
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
        if self.glued_indicators is not None:
            self.findings.append(
                Finding(
                    "PARTIAL_ROW",
                    "分解目标自评表在原文中没有分隔符（指标名称、目标值、完成值、分值和得分粘连在一起），"
                    "无法可靠拆分，指标未读取，请以原表核对。",
                    source_line=self.glued_indicators,
                )
            )
        elif self.roles is None:
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


def _reading_findings(name: str, b: dict) -> list[Finding]:
    """What the arithmetic did with a budget line whose figures were glued."""
    reading: Reading | None = b["reading"]
    if reading is None:
        return []
    printed = "、".join(b["texts"])
    if reading.ambiguous or not reading.values:
        return [
            Finding(
                "PARTIAL_ROW",
                f"「{b['shown']}」行的数值（{printed}）粘连在一起，有多种读法且无法按 执行数 ÷ 预算数 = "
                "执行率 判定，预算数和执行数留空，请核对原表。",
                project=name,
                source_line=b["line"],
            )
        ]
    if not reading.inferred:
        return []
    said = "，".join(
        f"{ROLE_NAMES[r]} {reading.values[r]:g}{'%' if r == 'rate' else ''}"
        for r in ("budget", "actual", "rate")
        if r in reading.printed
    )
    return [
        Finding(
            "VALUE_INFERRED",
            f"「{b['shown']}」行印为「{printed}」，{reading.why()}，读作 {said}，请核对原表。",
            project=name,
            source_line=b["line"],
        )
    ]


def _number(text: str | None) -> float | None:
    return number(text.strip()) if text else None


def _sum(values) -> float | None:
    got = [v for v in values if v is not None]
    return sum(got) if got else None


def budget_kind(label: str) -> str:
    """基本支出 / 项目支出 / total / source / detail / other, from a budget line's label."""
    s = key_of(label)
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
        elif _number(text) is not None:
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


# ---- one cell per line without tabs -----------------------------------------------------------

# A text is laid out so when no cell keeps a column and at least this many (and this share) of its
# rows are a number alone: in rows a number sits beside its label.
MIN_BARE_VALUE_LINES = 6
MIN_BARE_VALUE_SHARE = 0.15
# Without tabs an empty cell prints as a blank line, like the end of a row: rows are not known,
# so the cells are read as one stream split where a part of the form starts (its first cell).
SECTION_STARTS = ("整体支出规模", *GOALS_WORDS, "一级指标")
_UNIT_LABEL_KEYS = tuple(sorted(UNIT_LABELS, key=len, reverse=True))


def is_unit_label(key: str) -> bool:
    return key.startswith(_UNIT_LABEL_KEYS)


def is_bare_cells(rows: list[list[Cell]]) -> bool:
    """Whether a text prints one cell per line without tab-led cells."""
    if any(c.layout in (TAB, CELL_LINES) for row in rows for c in row):
        return False
    values = sum(1 for row in rows if len(row) == 1 and _is_value(row[0]))
    return values >= MIN_BARE_VALUE_LINES and values >= MIN_BARE_VALUE_SHARE * len(rows)


def bare_sections(rows: Iterable[list[Cell]]) -> Iterator[list[Cell]]:
    """The cells of a one-cell-per-line text without tabs, one 'row' per part of the form.

    Each line is one cell (a line the layout split at its spaces is joined again). Each part
    (unit label, budget table, goals, indicator table with its 总分) becomes one flattened row
    that FormParser reads like a table printed on one line: the alignment by content finds its
    rows. A wrapped cell cannot be told from the next cell here; where that shifts a row, the
    weight and score checks report it.
    """
    section: list[Cell] = []
    for row in rows:
        cell = row[0]
        if len(row) > 1:
            text = layout.join_parts([c.text for c in row])
            cell = layout.make_cell(text, cell.line, cell.row, None, cell.layout, row[-1].end)
        if section and cell.key == "指标":  # a label wrapped in its cell: '投入管理' + '指  标'
            last = section[-1]
            text = f"{last.text}{cell.key}"
            section[-1] = layout.make_cell(text, last.line, last.row, None, last.layout, cell.end)
            continue
        if section and (cell.key.startswith(SECTION_STARTS) or is_unit_label(cell.key)):
            yield section
            section = []
        section.append(cell)
    if section:
        yield section


def _by_line(cells: Iterable[Cell]) -> list[list[Cell]]:
    """The cells grouped by their source line: without tabs the layout stage may join a run of
    one-cell lines into rows by their blank lines, which this form's cell stream does not use."""
    out: list[list[Cell]] = []
    for cell in cells:
        if out and out[-1][0].line == cell.line:
            out[-1].append(cell)
        else:
            out.append([cell])
    return out


def parse(doc) -> Parsed:
    parser = FormParser()
    rows = list(layout.group_rows(doc.layout_cells))
    lines = _by_line(doc.layout_cells)
    if is_bare_cells(lines):
        rows = list(bare_sections(lines))
    for row in rows:
        parser.feed(row)
    return parser.result()
