"""Kind project_eval_tables: repeated 项目支出绩效自评表 blocks, one per project (普陀区 003).

Each block reads, whatever the layout (tab cells, runs of spaces, a row flattened onto one
space-separated line, one cell per line with or without blank lines between rows):

    财政项目支出绩效自评表                                   <- a title starts a block
    项目名称 …  主管部门 …  实施单位 …
    项目资金（万元） 年初预算数 全年预算数 全年执行数 分数 执行率 得分  <- column header
        年度资金总额 400.00 400.00 400.00 10.00 100.00 10.00        <- the project's amounts
        其中：当年财政拨款 … / 上年结转资金 … / 其他资金 …          <- skipped
    年度总体目标 预期目标 实际完成情况 …                          <- skipped
    一级指标 二级指标 三级指标 年度指标值 实际完成值 分值 得分 偏差原因分析
    产出指标 数量指标 完成体检数 ≥27000.00(人) 45739 30.00 30.00    <- blank 一级/二级 inherit
                                      100.00 99.23               <- weight total, score total
    评分等级 优

The text is first cut into tokens (non-empty cells) that remember their line, row and column;
labels then set context for the tokens after them. Indicator rows are read by column where the
header gives columns, by their shape (name, target, actual, weight, score, reason) otherwise,
and segmented by a small dynamic programme when the layout kept no row breaks at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from .. import layout
from ..crosscheck import check_weights
from ..detection import keyword_score, squeeze
from ..findings import Finding
from ..layout import CELL_CACHE_SIZE, GLUED, PIPE_END, Cell, number
from ..layout import join_parts as _join
from ..metadata import find_amount_unit
from ..numbers import (
    EMPTY_MARKS,
    is_overflow,
    parse_rate,
    rate_pct,
    to_halfwidth,
    to_wan,
)
from ..rows import FUNDS_COLUMNS, FUNDS_LABELS, indicator_row, project_row
from ..solve import ROLE_NAMES, Reading, is_figures, read_funds
from ..targets import is_not_applicable
from ..vocab import (
    LEVEL1_WORDS,
    NAME_LABELS,
    OTHER_LABELS,
    PARENT_LABELS,
    TRAD_TO_SIMP,
    UNIT_LABELS,
    funds_role,
    indicator_role,
    is_level2,
    key_of,
    source_columns,
    squeeze_key,
)
from . import Parsed

KIND = "project_eval_tables"
LABEL = "项目支出绩效自评表"  # its name in the dashboard
KEYWORDS: dict[str, float] = {
    "项目支出绩效自评": 0.25,
    "项目支出绩效自我评价": 0.25,
    "年度资金总额": 0.25,
    "全年执行数": 0.1,
    "一级指标": 0.1,
    "实际完成值": 0.1,
    "评分等级": 0.1,
    "项目资金": 0.1,
    "项目绩效自评": 0.1,
    "绩效目标自评": 0.1,
    "资金总额": 0.1,
    "执行率": 0.05,
    "三级指标": 0.05,
    "项目名称": 0.05,
    "目标申报表": -0.5,
    "部门决算": -0.6,
    "整体支出": -0.3,
}

# Weight of all indicators plus the funds line in one table.
TOTAL_WEIGHT = 100.0
# A title token longer than this (squeezed) is prose that mentions the form, not a title.
MAX_TITLE_CHARS = 40
# A labelled value (项目名称, 实施单位) is at most this long; more text after it is something else.
MAX_VALUE_CHARS = 60
# A grade is a word (优, 良好); a longer cell after 评分等级 is a note.
MAX_GRADE_CHARS = 8
# At most this many values follow 年度资金总额 when no column header was read.
MAX_FUNDS_VALUES = 6
# Funds column words in a row without a 项目资金 label before them make a header from this many.
MIN_FUNDS_RUN = 3
# Segmentation costs for layouts without row breaks (one cell per line, whole table on a line).
ROW_COST = 1
MISSING_CELL_COST = 3
IMPLAUSIBLE_SCORE_COST = 5
SKIPPED_TOKEN_COST = 10
# This many header words in a row, inside a table without row breaks, are a repeated header.
MIN_HEADER_RUN = 3

_TITLE = re.compile(r"项目(?:支出)?绩效(?:自评|自我评价|评价表|目标自评)|项目\)绩效(?:目标)?自评")
_YEAR = re.compile(r"((?:19|20)\d{2})年度?")
# The fiscal component row under 年度资金总额: 其中：当年财政拨款 / 财政拨款 / 财政资金.
_FISCAL = re.compile(r"财政(?:拨款|资金)")
_NAME_YEAR = re.compile(r"^((?:19|20)\d{2})年(?!\d)")
# The unit in a funds header's label, a bracket allowed lost (a scan read `项目资金元）`).
_UNIT_IN_LABEL = re.compile(r"[(（](万元|元)[)）]?|(万元|元)[)）]")
_SUFFIX = re.compile(r"[(（][A-Za-z/%+\-×*＋]{0,5}[)）]$")

# Tokens are the layout stage's cells; what label a cell is, is this kind's reading of its key.
Tok = Cell


# --- what a token is -------------------------------------------------------------------------


# First characters of every label but the title; other cells skip the keyword tests.
_LABEL_START = frozenset("项主预实执年资其上当财总一评自绩合联单转地中资部")
_UNIT_LABELS = tuple(sorted(UNIT_LABELS, key=len, reverse=True))
_PARENT_LABELS = tuple(sorted(PARENT_LABELS, key=len, reverse=True))


def label_kind(key: str) -> str | None:
    """The label a token is, by keyword; None for values."""
    if not key:
        return None
    k = key.rstrip(":：")
    if "绩效" in k and len(k) <= MAX_TITLE_CHARS and _TITLE.search(k):
        return "title"
    if k[:1] not in _LABEL_START:
        return None
    if k.startswith(NAME_LABELS) and len(k) <= 14:
        return "name"
    if k.startswith("中央主管部门") and len(k) <= 30:
        return "other"
    if k.startswith(_PARENT_LABELS) and len(k) <= 30:
        return "parent"
    if k.startswith(_UNIT_LABELS) and len(k) <= 30:
        return "unit"
    if k.startswith("项目资金") and len(k) <= 12:
        return "funds_header"
    if (
        k in ("年度资金总额", "资金总额", "总额")
        or (k.startswith("年度资金总额") and len(k) <= 10)
        or (k.endswith("资金总额") and len(k) <= 10)
    ):
        return "funds"
    if len(k) <= 14 and k.startswith(("其中", "上年结转", "其他资金", "当年财政拨款", "财政拨款")):
        return "subfunds"
    if k.startswith(("年度总体目标", "总体目标")) and len(k) <= 10:
        return "goal"
    if k.startswith("一级指标") and len(k) <= 8:
        return "indicator_header"
    if k.startswith(("评分等级", "自评等级", "评价等级", "绩效等级")) and len(k) <= 10:
        return "grade"
    if k in ("总分", "合计", "总计", "总分值"):
        return "total"
    if k in ("自评总分", "自评得分") or (k.startswith(("自评总分", "自评得分")) and len(k) <= 8):
        return "self_score"
    if k == "绩效指标" or (k.startswith("绩效指标") and len(k) <= 9 and "分" in k):
        return "frame"
    if k.startswith(OTHER_LABELS) and len(k) <= 10:
        return "other"
    return None


_KIND_CACHE: dict[str, str | None] = {}


def kind_of(tok: Tok) -> str | None:
    """label_kind of a token's key, cached: labels repeat from table to table."""
    key = tok.key
    try:
        return _KIND_CACHE[key]
    except KeyError:
        if len(_KIND_CACHE) >= CELL_CACHE_SIZE:
            _KIND_CACHE.clear()
        kind = _KIND_CACHE[key] = label_kind(key)
        return kind


def _is_header_word(key: str) -> bool:
    # Only a key ending in a bracket has a marker to take off (分值(%)); most keys end otherwise.
    return (_SUFFIX.sub("", key) if key[-1:] in ")）" else key) in HEADER_WORDS


def _is_number(tok: Tok | None) -> bool:
    return tok is not None and tok.num is not None


def _is_level1(tok: Tok) -> bool:
    return tok.key in LEVEL1_WORDS


def _is_level2(tok: Tok) -> bool:
    return is_level2(tok.key)


def _is_level(tok: Tok) -> bool:
    key = tok.key
    return key in LEVEL1_WORDS or (key.endswith("指标") and is_level2(key))


def _is_value(tok: Tok) -> bool:
    """A money, rate or empty-mark cell of the funds lines, or a glued run of figures."""
    if tok.num is not None:
        return True
    t = to_halfwidth(tok.text).strip()
    return (
        t in EMPTY_MARKS
        or is_overflow(t)
        or (t.endswith("%") and number(t[:-1]) is not None)
        or (tok.layout == GLUED and is_figures(t))
    )


# Header cells exactly: a repeated header after a page break is dropped from the rows by these.
HEADER_WORDS = frozenset(
    {
        "一级指标",
        "二级指标",
        "三级指标",
        "指标名称",
        "年度指标值",
        "年初目标值",
        "年度目标值",
        "指标值",
        "目标值",
        "实际完成值",
        "全年完成值",
        "全年实际值",
        "实际值",
        "完成值",
        "分值",
        "分数",
        "权重",
        "得分",
        "自评得分",
        "偏差原因分析",
        "偏差原因",
        "原因分析",
        "偏差及原因分析",
        "偏差原因分析及改进措施",
        "偏差原因及改进措施",
    }
)


def tokenise(lines: Iterable[str]) -> Iterator[Tok]:
    """Every cell of the text in reading order, from the shared layout stage."""
    return layout.cells(lines if isinstance(lines, list) else list(lines))


# --- blocks ----------------------------------------------------------------------------------


def split_blocks(toks: Iterable[Tok]) -> Iterator[tuple[bool, list[Tok]]]:
    """(is_project, tokens) per block, as they come; tokens before the first project are not one.

    A title or a second 项目名称 starts a block; a block without its own 项目名称 (a page break
    that repeats the title) continues the block before it. One block is held at a time.
    """
    block: list[Tok] = []  # the last block with a 项目名称, still open
    chunk: list[Tok] = []
    chunk_named = False
    preamble: list[Tok] = []

    def close() -> Iterator[tuple[bool, list[Tok]]]:
        nonlocal block, preamble
        if chunk_named:
            if block:
                yield True, block
            elif preamble:
                yield False, preamble
                preamble = []
            block = chunk
        elif block:
            block.extend(chunk)
        else:
            preamble.extend(chunk)

    known = _KIND_CACHE.get
    append = chunk.append
    for t in toks:
        kind = known(t.key, kind_of)
        if kind is not None:  # most tokens are values
            if kind is kind_of:  # a key not seen before
                kind = kind_of(t)
            if (kind == "title" and chunk) or (kind == "name" and chunk_named):
                yield from close()
                chunk, chunk_named = [], False
                append = chunk.append
            if kind == "name":
                chunk_named = True
        append(t)
    yield from close()
    if preamble:
        yield False, preamble
    if block:
        yield True, block


@dataclass
class Block:
    """What one 自评表 block printed, before it becomes rows."""

    first_line: int
    last_line: int
    title: str | None = None
    year: int | None = None
    name: str | None = None
    parent: str | None = None
    unit: str | None = None
    amount_unit: str | None = None
    funds_roles: list[tuple[str, Tok]] = field(default_factory=list)
    funds_label: Tok | None = None
    funds_values: list[Tok] = field(default_factory=list)
    funds_row: list[Tok] = field(default_factory=list)
    header_values: list[Tok] = field(default_factory=list)
    self_score: float | None = None  # 自评总分 / 自评得分 printed beside the title
    total_elsewhere: bool = False  # the 总分 figures were found away from their label
    glued_total: Tok | None = None  # the 总分 row's figures glued into one ('10090')
    unscored: bool = False  # the indicator table has no 分值 / 得分 columns (transfer payments)
    component: tuple[Tok, list[Tok]] | None = None  # the 财政拨款 row under 年度资金总额
    grade: str | None = None
    weight_total: float | None = None
    score_total: float | None = None
    indicators: list[dict] = field(default_factory=list)  # fields + line, before indicator_row
    partial_lines: list[int] = field(default_factory=list)
    # 一级/二级 in force: a page break may restart the indicator table in the middle of a 一级.
    levels: dict = field(default_factory=lambda: {"level1": None, "level2": None})


# Each simplified character of a label with the traditional forms the vocabulary reads as it.
_TRADITIONAL_OF: dict[str, str] = {}
for _trad, _simp in TRAD_TO_SIMP.items():
    _TRADITIONAL_OF[chr(_simp)] = _TRADITIONAL_OF.get(chr(_simp), "") + chr(_trad)


def _label_pattern(label: str) -> str:
    """A label as printed: either kind of bracket, spaces anywhere (OCR, wrapping), in simplified
    or traditional characters (項目名稱)."""
    out = []
    for ch in label:
        if ch in _TRADITIONAL_OF:
            out.append(f"[{ch}{_TRADITIONAL_OF[ch]}]")
        else:
            out.append({"(": "[(（]", ")": "[)）]"}.get(ch, re.escape(ch)))
    return r"\s*".join(out)


_INLINE_LABEL = re.compile(
    r"^\s*(?:"
    + "|".join(
        _label_pattern(lb)
        for lb in sorted(
            {
                *NAME_LABELS,
                *UNIT_LABELS,
                *PARENT_LABELS,
                "评分等级",
                "自评等级",
                "评价等级",
                "绩效等级",
            },
            key=len,
            reverse=True,
        )
    )
    + r")\s*(?:[(（][^()（）]{1,6}[)）])?\s*[：:]?\s*"
)


def _value_after(toks: list[Tok], i: int) -> tuple[list[str], int]:
    """The text a label introduces: inline after the label, then the tokens up to the next label
    or column header (a flattened sheet may print the header right after the label)."""
    parts = [_INLINE_LABEL.sub("", toks[i].text, count=1).strip()]
    size = len(parts[0])
    j = i + 1
    n = len(toks)
    while j < n and kind_of(toks[j]) is None and not _is_column_word(toks[j]):
        # Wrapped pieces of one value, not unlabelled rows after it.
        if size < MAX_VALUE_CHARS:
            parts.append(toks[j].text)
            size += len(toks[j].text)
        j += 1
    return [p for p in parts if p], j


def _is_column_word(tok: Tok) -> bool:
    return bool(funds_role(tok.key) or indicator_role(tok.key) or _is_level(tok))


def _sources_total(key: str, roles: list[tuple[str, Tok]]) -> str | None:
    """合计 right after the source columns (中央 / 省、地 / 本级 / 其他) is their total: the budget."""
    if roles and roles[-1][0] == "source" and _bare_key(key) in ("合计", "小计", "总计"):
        return "budget"
    return None


def _bare_key(key: str) -> str:
    return re.sub(r"[(（][^()（）]{0,6}[)）]$", "", key)


def _funds_run(toks: list[Tok], i: int) -> list[tuple[str, Tok]]:
    """The funds header cells from toks[i] on, by role. A first cell whose role comes again is
    the group's own header (年度预算数(万元) over 年初预算 / 调整后预算数 …) and is left out."""
    roles: list[tuple[str, Tok]] = []
    n = len(toks)
    while i < n and (role := funds_role(toks[i].key) or _sources_total(toks[i].key, roles)):
        if role != "source" and role in {r for r, _ in roles}:
            if roles[0][0] == role:
                roles = roles[1:]
            else:
                break
        # A glued header cell may name several source columns: 中央(万元)省、地(万元)…
        roles += [(role, toks[i])] * (source_columns(toks[i].key) if role == "source" else 1)
        i += 1
    return roles


# What ends the 年度总体目标 part of a block.
_GOAL_END = frozenset({"indicator_header", "title", "name", "grade"})


def read_block(toks: list[Tok], default_unit: str) -> Block:
    """Walk one block's tokens; labels set what the tokens after them mean."""
    b = Block(first_line=toks[0].line, last_line=toks[-1].line)
    i, n = 0, len(toks)
    kinds = _KIND_CACHE
    while i < n:
        t = toks[i]
        kind = kinds[t.key] if t.key in kinds else kind_of(t)
        if kind is None:  # a value, or a funds header cell without 项目资金 before it
            if not funds_role(t.key) or b.indicators:
                i += 1
                continue
            roles = _funds_run(toks, i)
            after = i + _run_length(toks, i, roles)
            if len(roles) >= MIN_FUNDS_RUN or (
                len(roles) >= 2 and after < n and _is_value(toks[after])
            ):
                i += _run_length(toks, i, roles)
                _header(b, roles, toks, i)
            else:
                i += 1
        elif kind == "title":
            b.title = b.title or t.text
            m = _YEAR.search(t.key) or (
                i + 1 < n and _YEAR.fullmatch(re.sub(r"[()（）]", "", toks[i + 1].key))
            )
            if m and b.year is None:
                b.year = int(m.group(1))
            i += 1
        elif kind in ("name", "parent", "unit"):
            parts, i = _value_after(toks, i)
            value = _join(parts) or None
            if kind == "name":
                b.name = b.name or value
            elif kind == "parent":
                b.parent = b.parent or (value and re.sub(r"\s+", "", value))
            else:
                b.unit = b.unit or (value and re.sub(r"\s+", "", value))
        elif kind == "funds_header":
            m = _UNIT_IN_LABEL.search(t.key)
            b.amount_unit = (m.group(1) or m.group(2)) if m else b.amount_unit
            roles = _funds_run(toks, i + 1)
            i += 1 + _run_length(toks, i + 1, roles)
            _header(b, roles, toks, i)
        elif kind == "funds":
            limit = len(b.funds_roles) or MAX_FUNDS_VALUES
            j = i + 1
            while j < n and j - i - 1 < limit and _is_value(toks[j]):
                j += 1
            if b.funds_label is None:
                b.funds_label, b.funds_values = t, toks[i + 1 : j]
                b.funds_row = _row_around(toks, i)
            i = j
        elif kind == "subfunds":
            j = i + 1
            while j < n and _is_value(toks[j]):
                j += 1
            if b.component is None and j > i + 1 and _FISCAL.search(t.key):
                b.component = (t, toks[i + 1 : j])  # 其中：当年财政拨款 / 财政资金, for a 0 total
            i = j
        elif kind == "goal":
            i += 1
            while i < n:
                key = toks[i].key
                if (kinds[key] if key in kinds else kind_of(toks[i])) in _GOAL_END:
                    break
                i += 1
        elif kind == "indicator_header":
            i = _read_indicators(toks, i, b)
        elif kind == "grade":
            parts, i = _value_after(toks, i)
            if parts and len(parts[0]) <= MAX_GRADE_CHARS:
                b.grade = b.grade or parts[0]
        elif kind == "total":
            j = i + 1
            nums: list[float | None] = []
            printed_empty = False
            while j < n and (
                _is_number(toks[j]) or (toks[j].layout == PIPE_END and not toks[j].text)
            ):
                printed_empty = printed_empty or toks[j].num is None
                nums.append(toks[j].num)
                j += 1
            if printed_empty:  # the layout printed its empty cells: 分值 then 得分, in place
                b.weight_total = nums[0]
                b.score_total = nums[1] if len(nums) > 1 else None
            elif (
                len(nums) == 1
                and nums[0] is not None
                and nums[0] > TOTAL_WEIGHT
                and toks[i + 1].layout == GLUED
            ):
                # '总分10090': 满分 and 得分 glued into one figure, no score of the form
                b.glued_total = toks[i + 1]
                # (no score from elsewhere either: the row that prints it is unreadable)
                b.weight_total, b.score_total = _glued_total(toks[i + 1].text) or (None, None)
            elif nums:
                _set_totals(b, nums)
            elif t.col is None and (pair := _total_pair_before(toks, i)) is not None:
                # A flattened sheet prints the 总分 row's figures away from its label: the pair
                # (100, score) is the total, as the weights of the form add up to 100.
                b.weight_total, b.score_total = pair
                b.total_elsewhere = True
            i = j
        elif kind == "self_score":
            j = i + 1
            if j < n and _is_number(toks[j]) and b.self_score is None:
                b.self_score = toks[j].num
                j += 1
            i = j
        else:
            i += 1
    b.amount_unit = b.amount_unit or default_unit
    if b.year is None and b.name and (m := _NAME_YEAR.match(key_of(b.name))):
        b.year = int(m.group(1))  # no year in the title: the project's own ('2021年…开办费')
    return b


def _glued_total(text: str) -> tuple[float, float] | None:
    """(100, score) from a 总分 row's glued figures ('10090', '10087.5'): the form's weights add
    up to 100, so the figures open with it; None when the rest is no score out of 100."""
    full = f"{TOTAL_WEIGHT:g}"
    if not text.startswith(full):
        return None
    score = number(text[len(full) :])
    return (TOTAL_WEIGHT, score) if score is not None and 0 <= score <= TOTAL_WEIGHT else None


def _total_pair_before(toks: list[Tok], i: int) -> tuple[float, float] | None:
    """The last two figures (100, score) before toks[i] in a layout without columns."""
    for k in range(i - 1, 0, -1):
        a, s = toks[k - 1].num, toks[k].num
        if a == TOTAL_WEIGHT and s is not None and 0 <= s <= TOTAL_WEIGHT:
            if toks[k - 1].col is None and toks[k].col is None:
                return a, s
    return None


def _run_length(toks: list[Tok], i: int, roles: list[tuple[str, Tok]]) -> int:
    """How many tokens from toks[i] the header run spans (its dropped group header too)."""
    if not roles:
        return 0
    last = roles[-1][1]
    k = i
    while k < len(toks) and toks[k] is not last:
        k += 1
    return k - i + 1


def _header(b: Block, roles: list[tuple[str, Tok]], toks: list[Tok], i: int) -> None:
    """Keep the longest funds header run, and the values printed right after it: a flattened
    sheet prints the 年度资金总额 row's figures after the header, not after its label."""
    if len(roles) <= len(b.funds_roles):
        return
    b.funds_roles = roles
    for _, tok in roles:
        m = _UNIT_IN_LABEL.search(tok.key)
        b.amount_unit = (m.group(1) or m.group(2)) if m and not b.amount_unit else b.amount_unit
    j = i
    while j < len(toks) and j - i < len(roles) + 1 and _is_value(toks[j]):
        j += 1
    b.header_values = toks[i:j]


def _set_totals(b: Block, nums: list[float | None], roles: list[str] | None = None) -> None:
    if roles:
        for role, value in zip(roles, nums, strict=False):
            if role == "weight":
                b.weight_total = value
            elif role == "score":
                b.score_total = value
    elif len(nums) >= 2:
        b.weight_total, b.score_total = nums[-2], nums[-1]
    elif len(nums) == 1:
        b.score_total = nums[0]


# --- indicator section -----------------------------------------------------------------------

_SECTION_END = frozenset(
    {"grade", "total", "title", "name", "funds_header", "funds", "goal", "other"}
)


def _row_around(toks: list[Tok], i: int) -> list[Tok]:
    """The tokens of toks[i]'s row: a row's tokens follow each other."""
    start, end = i, i + 1
    while start > 0 and toks[start - 1].row == toks[i].row:
        start -= 1
    while end < len(toks) and toks[end].row == toks[i].row:
        end += 1
    return toks[start:end]


def _is_header_cell(tok: Tok) -> bool:
    return bool(indicator_role(tok.key)) or kind_of(tok) == "frame"


def _row_is_header(toks: list[Tok], i: int) -> bool:
    """Whether every token of toks[i]'s row is an indicator header cell (or the 绩效指标 frame),
    looking outwards from i and stopping at the first that is not (a flattened sheet's row is
    the whole table: it is not walked to its ends)."""
    row = toks[i].row
    k = i
    while k >= 0 and toks[k].row == row:
        if not _is_header_cell(toks[k]):
            return False
        k -= 1
    k = i + 1
    while k < len(toks) and toks[k].row == row:
        if not _is_header_cell(toks[k]):
            return False
        k += 1
    return True


def _read_indicators(toks: list[Tok], i: int, b: Block) -> int:
    """Read the header at toks[i] and the rows under it; return the index after the section."""
    n = len(toks)
    header: list[tuple[str, Tok]] = []
    seen: set[str] = set()
    while i < n and (role := indicator_role(toks[i].key)) and role not in seen:
        header.append((role, toks[i]))
        seen.add(role)
        i += 1
    kinds = _KIND_CACHE
    j = i
    body = []  # the section's tokens but the 绩效指标 frame label
    while j < n:
        t = toks[j]
        kind = kinds[t.key] if t.key in kinds else kind_of(t)
        if kind is not None:
            if kind in _SECTION_END:
                break
            if kind == "frame":
                j += 1
                continue
        body.append(t)
        j += 1
    head_rows = {t.row for _, t in header}
    by_row = (
        len(head_rows) == 1
        and len(header) >= 4
        and _row_is_header(toks, i - 1)
        and not any(t.row in head_rows for t in body)
    )
    roles = [r for r, _ in header]
    if header and all(t.layout == PIPE_END for _, t in header):
        # One cell per line with its empty cells printed: the header says how wide a row is.
        rows = layout.reflow(body, len(header))
        _read_rows([c for r in rows for c in r], roles, dict(enumerate(roles)), b)
    elif by_row:
        colmap = (
            {t.col: r for r, t in header} if all(t.col is not None for _, t in header) else None
        )
        _read_rows(body, roles, colmap, b)
    else:
        _read_stream(_drop_repeated_headers(body), b)
    return j


def _drop_repeated_headers(body: list[Tok]) -> list[Tok]:
    """Without rows, a header repeated after a page break is a run of header words."""
    header = [_is_header_word(t.key) for t in body]
    if sum(header) < MIN_HEADER_RUN:
        return body  # no run of header words (most sections)
    keep = [True] * len(body)
    k = 0
    while k < len(body):
        end = k
        while end < len(body) and header[end]:
            end += 1
        if end - k >= MIN_HEADER_RUN:
            keep[k:end] = [False] * (end - k)
        k = max(end, k + 1)
    return [t for t, kept in zip(body, keep, strict=True) if kept]


def _read_rows(body: list[Tok], roles: list[str], colmap: dict | None, b: Block) -> None:
    """Rows kept their breaks: one row per line (or per blank-line group)."""
    grouped: dict[int, list[Tok]] = {}
    for t in body:
        grouped.setdefault(t.row, []).append(t)
    ctx = b.levels
    pending: list[Tok] = []
    first_read = False
    # The transfer-payment form (转移支付区域(项目)绩效自评表) prints no 分值 / 得分 columns.
    unscored = bool(roles) and not {"weight", "score"} & set(roles)
    b.unscored = b.unscored or unscored
    for row in grouped.values():
        # (the first cell decides most rows at once)
        if _is_header_word(row[0].key) and all(_is_header_word(t.key) for t in row):
            continue  # repeated after a page break
        if row[0].num is not None and all(t.num is not None for t in row):
            if colmap and all(t.col in colmap for t in row):
                _set_totals(b, [t.num for t in row], [colmap[t.col] for t in row])
            elif len(row) >= 2:
                _set_totals(b, [t.num for t in row])
            continue
        fields = _by_column(row, colmap) if colmap else None
        if not fields:
            texts = [t.text for t in row]
            fields = _by_shape(texts, roles) or (_by_words(texts, roles) if unscored else None)
        if fields is None:
            if all(_is_level(t) for t in row):
                for t in row:
                    _enter_levels(ctx, {"level1" if _is_level1(t) else "level2": t.text})
            elif first_read:
                _continue(b.indicators[-1], row, colmap)
            elif colmap and all(colmap.get(t.col) == "name" for t in row):
                pending.extend(row)  # a long name printed from the line above its row
            # else: the wrapped second line of the header cells (…值, 及改进措施)
            continue
        first_read = True
        if pending:
            fields["name"] = _join([t.text for t in pending] + [fields.get("name", "")])
            pending = []
        _enter_levels(ctx, fields)
        fields.update(level1=ctx["level1"], level2=ctx["level2"], line=row[0].line)
        b.indicators.append(fields)
    if pending:
        b.partial_lines.append(pending[0].line)


def _enter_levels(ctx: dict, fields: dict) -> None:
    """Header cells set context: a new 一级 clears the 二级 of the one before."""
    if fields.get("level1"):
        if fields["level1"] != ctx["level1"]:
            ctx["level2"] = None
        ctx["level1"] = fields["level1"]
    if fields.get("level2"):
        ctx["level2"] = fields["level2"]


def _continue(prev: dict, row: list[Tok], colmap: dict | None) -> None:
    """A row of text only: the wrapped rest of the indicator above it."""
    for t in row:
        role = colmap.get(t.col, "name") if colmap else "name"
        if role in ("weight", "score"):
            role = "name"
        prev[role] = _join([prev.get(role) or "", t.text])


def _by_column(row: list[Tok], colmap: dict) -> dict | None:
    """Fields by the header's columns, or None when the row does not line up with them."""
    fields: dict[str, str] = {}
    scored = False
    for t in row:
        if t.key.startswith("绩效指标") and kind_of(t) == "frame":  # (no other key is a frame)
            continue
        role = colmap.get(t.col)
        if role is None:
            return None
        if role in ("weight", "score"):
            # A row shifted against the header puts words under 分值/得分 …
            if t.num is None or role in fields:
                return None
            scored = True
        elif role in ("level1", "level2") and not t.key.endswith("指标"):
            return None  # … or a name under 一级/二级.
        fields[role] = _join([fields[role], t.text]) if role in fields else t.text
    if not scored or not fields.get("name") or key_of(fields["name"]).endswith("指标"):
        return None
    return fields


def _by_shape(texts: list[str], roles: list[str]) -> dict | None:
    """Fields of a row whose empty cells were lost: anchored on the weight and score at its end.

    [一级] [二级] 三级 年度指标值 实际完成值 分值 得分 [偏差原因] — 一级/二级 are recognised by
    their words, a name split by spaces is joined back.
    """
    texts = [t for t in texts if "绩" not in t or squeeze(t) != "绩效指标"]
    numeric = [number(t) is not None for t in texts]
    last = max((k for k, is_num in enumerate(numeric) if is_num), default=None)
    if last is None:
        return None
    fields: dict[str, str] = {}
    if last + 1 < len(texts):
        fields["reason"] = " ".join(texts[last + 1 :])
    has_weight = "weight" in roles or not roles
    has_score = "score" in roles or not roles
    k = last
    if has_score:
        fields["score"] = texts[k]
        k -= 1
    if has_weight and k >= 0 and numeric[k]:
        fields["weight"] = texts[k]
        k -= 1
    before = texts[: k + 1]
    lead: list[str] = []
    while len(before) > 3 and (
        (not lead and _words_key(before[0]) in LEVEL1_WORDS) or is_level2(_words_key(before[0]))
    ):
        lead.append(before.pop(0))
    if len(before) >= 3:
        fields["actual"], fields["target"] = before[-1], before[-2]
        name_parts = before[:-2]
    elif len(before) == 2:
        fields["target"] = before[1]
        name_parts = before[:1]
    else:
        name_parts = before
    # Two leading cells are 一级 + 二级 even when their words are new to us.
    if len(name_parts) >= 3 and not lead:
        lead, name_parts = name_parts[:2], name_parts[2:]
    elif len(name_parts) == 2 and not lead and is_level2(_words_key(name_parts[0])):
        lead, name_parts = name_parts[:1], name_parts[1:]
    for text in lead:
        fields["level1" if _words_key(text) in LEVEL1_WORDS else "level2"] = text
    if len(lead) == 2 and "level2" not in fields:
        fields["level1"], fields["level2"] = lead
    fields["name"] = _join(name_parts)
    return fields if fields["name"] else None


@lru_cache(maxsize=CELL_CACHE_SIZE)
def _words_key(text: str) -> str:
    """A cell's text squeezed as a key (traditional characters simplified): level words and
    frame labels repeat from row to row, so it is cached."""
    return squeeze_key(text)


# The text columns of an indicator row, in the order a header without scores prints them.
_TEXT_ROLES = ("name", "target", "actual", "reason")


def _by_words(texts: list[str], roles: list[str]) -> dict | None:
    """Fields of a row of a table without 分值 / 得分 (the transfer-payment form): level words
    first, then name, target, actual and reason in the header's order. A row whose cells were
    printed with single spaces inside wider gaps is split at its single spaces too."""
    cells = [t for t in texts if _words_key(t) != "绩效指标"]
    fields: dict[str, str] = {}
    while cells and (is_level2(_words_key(cells[0])) or _words_key(cells[0]) in LEVEL1_WORDS):
        fields["level1" if _words_key(cells[0]) in LEVEL1_WORDS else "level2"] = cells.pop(0)
    wanted = [r for r in roles if r in _TEXT_ROLES]
    if len(cells) < min(3, len(wanted)):
        cells = [w for c in cells for w in layout.split_loose(c)[0]] if cells else []
        cells = [w for c in cells for w in (c.split() if len(cells) < 3 else [c])]
    if len(cells) < 2 or not wanted:
        return None
    for role, text in zip(wanted, cells, strict=False):
        fields[role] = text
    if len(cells) > len(wanted):
        fields[wanted[-1]] = " ".join([fields[wanted[-1]], *cells[len(wanted) :]])
    return fields if fields.get("name") else None


def _read_stream(body: list[Tok], b: Block) -> None:
    """No row breaks survived: segment the cells into rows by their shape (dynamic programme)."""
    n = len(body)
    # What each token is, worked out once for all the programme's steps.
    nums = [t.num for t in body]
    num = [v is not None for v in nums]
    level1 = [t.key in LEVEL1_WORDS for t in body]
    level = [
        one or (t.key.endswith("指标") and is_level2(t.key))  # (every level word ends so)
        for one, t in zip(level1, body, strict=True)
    ]
    best: list[tuple[float, tuple | None]] = [(0.0, None)] * (n + 1)
    for p in range(n - 1, -1, -1):
        if n - p <= 2 and all(num[p:]):
            best[p] = (0.0, ("total", n))  # nothing costs less: every other step costs more
            continue
        # The cheapest step from p; of equal costs the first tried (skip, then 3, then 2 cells).
        cost, action = SKIPPED_TOKEN_COST + best[p + 1][0], ("skip", p + 1)
        q = p
        l1 = l2 = None
        if level1[q]:
            l1, q = q, q + 1
        if q < n and level[q] and not level1[q]:
            l2, q = q, q + 1
        if q < n and not num[q] and not level[q]:
            name = q
            for cells, penalty in ((3, 0), (2, MISSING_CELL_COST)):
                w, s = name + cells, name + cells + 1
                if s >= n or not (num[w] and num[s]):
                    continue
                if level[name + 1] or (cells == 3 and level[name + 2]):
                    continue
                step = ROW_COST + penalty
                weight, score = nums[w], nums[s]
                if score > weight + 1e-9 or weight > TOTAL_WEIGHT:
                    step += IMPLAUSIBLE_SCORE_COST
                end = s + 1
                if step + best[end][0] < cost:
                    cost = step + best[end][0]
                    action = ("row", end, (l1, l2, name, cells, w, s, None))
                # ... and the text after the score as its deviation reason
                if end < n and not num[end] and not level[end] and step + best[end + 1][0] < cost:
                    cost = step + best[end + 1][0]
                    action = ("row", end + 1, (l1, l2, name, cells, w, s, end))
        best[p] = (cost, action)
    ctx = b.levels
    p = 0
    while p < n:
        action = best[p][1]
        if action[0] == "total":
            _set_totals(b, [t.num for t in body[p:]])
        elif action[0] == "skip":
            b.partial_lines.append(body[p].line)
        else:
            l1, l2, name, cells, w, s, reason = action[2]
            fields = {"name": body[name].text, "weight": body[w].text, "score": body[s].text}
            fields["target"] = body[name + 1].text
            if cells == 3:
                fields["actual"] = body[name + 2].text
            if reason is not None:
                fields["reason"] = body[reason].text
            if l1 is not None:
                fields["level1"] = body[l1].text
            if l2 is not None:
                fields["level2"] = body[l2].text
            _enter_levels(ctx, fields)
            fields.update(level1=ctx["level1"], level2=ctx["level2"], line=body[p].line)
            b.indicators.append(fields)
        p = action[1]


# --- rows ------------------------------------------------------------------------------------


def _funds(b: Block) -> tuple[dict[str, str], bool, Reading | None]:
    """Funds cells by role, whether they were read with certainty, and the arithmetic's reading
    where the cells alone did not say (glued figures, a lost cell, an impossible plain reading).

    By order when the counts agree, else by column where the layout kept columns; otherwise by
    order as far as the cells go, which is uncertain.
    """
    roles = [r for r, _ in b.funds_roles]
    values = b.funds_values or b.header_values
    glued = any(v.layout == GLUED and v.num is None and is_figures(v.text) for v in values)
    positional = all(v.col is not None for v in values)
    if not glued:
        plain = None
        if roles and len(values) == len(roles):
            plain = {r: v.text for r, v in zip(roles, values, strict=True)}
        elif roles and all(t.col is not None for _, t in b.funds_roles):
            by_col = {t.col: t.text for t in b.funds_row}
            plain = {r: by_col[t.col] for r, t in b.funds_roles if t.col in by_col} or None
        elif not roles and len(values) == len(FUNDS_COLUMNS):
            plain = dict(zip(FUNDS_COLUMNS, (v.text for v in values), strict=True))
        if plain is not None and (positional or _possible(plain)):
            return plain, True, None
        if not values:
            return {}, True, None
        if positional:
            return {r: v.text for r, v in zip(roles, values, strict=False)}, False, None
    reading = read_funds(roles or None, [v.text for v in values])
    if not glued and (reading.ambiguous or not reading.fits):
        # Nothing to check a reading against: by order as far as the cells go, flagged.
        return {r: v.text for r, v in zip(roles, values, strict=False)}, False, None
    if reading.ambiguous or not reading.values:
        return {}, True, reading
    return dict(reading.printed), True, reading


def _component(
    b: Block, unit: str
) -> tuple[str, float, float | None, str | None, float | None] | None:
    """(label, budget, actual, printed rate, 年初预算数) of the 财政拨款 row, by the funds header's
    columns."""
    label, values = b.component
    roles = [r for r, _ in b.funds_roles] or list(FUNDS_COLUMNS)
    cells = dict(zip(roles, (v.text for v in values), strict=False))
    budget = to_wan(_num(cells.get("budget")), unit)
    if not budget:
        return None
    actual = to_wan(_num(cells.get("actual")), unit)
    return label.text, budget, actual, cells.get("rate"), to_wan(_num(cells.get("initial")), unit)


def funds_of(b: Block) -> tuple[dict[str, str], bool, Reading | None]:
    """The 年度资金总额 row as to_rows reads it: printed cells by role, whether they were read with
    certainty, and the arithmetic's reading where the cells alone did not say. For a kind that
    reads its project tables here and weighs their amounts against values printed elsewhere."""
    return _funds(b)


def _possible(funds: dict[str, str]) -> bool:
    """Whether a plain reading can be what the form printed: no rate of spending from a budget
    of nothing (a flattened sheet that lost a cell reads 0 as the budget)."""
    budget, actual = _num(funds.get("budget")), _num(funds.get("actual"))
    rate = parse_rate(funds.get("rate"))
    return not (budget == 0 and actual and rate)


def _num(text: str | None) -> float | None:
    return number(text.strip()) if text is not None else None


def to_rows(b: Block) -> tuple[dict, list[dict], list[Finding]]:
    """One project row, its indicator rows and the block's findings."""
    name = b.name or "（未命名项目）"
    findings: list[Finding] = []
    funds, certain, reading = _funds(b)
    unit = b.amount_unit or "万元"
    initial = to_wan(_num(funds.get("initial")), unit)
    budget = to_wan(_num(funds.get("budget")), unit)
    actual = to_wan(_num(funds.get("actual")), unit)
    rate = parse_rate(funds.get("rate"), rate_pct(actual, budget))
    funds_weight, funds_score = _num(funds.get("weight")), _num(funds.get("score"))
    if reading is not None:
        findings += _reading_findings(name, reading, b)
        if reading.values:
            got = reading.values
            budget = to_wan(got.get("budget"), unit) if budget is None else budget
            actual = to_wan(got.get("actual"), unit) if actual is None else actual
    if budget == 0 and not actual and b.component is not None:
        # A 年度资金总额 row printed as 0 over a 财政拨款 row with amounts is no zero budget.
        part = _component(b, unit)
        if part is not None:
            label, budget, actual, printed_rate, part_initial = part
            rate = parse_rate(printed_rate, rate_pct(actual, budget))
            if not initial and part_initial:
                initial = part_initial  # the 年初预算数 the zero row left out too
            findings.append(
                Finding(
                    "VALUE_CONFLICT",
                    f"「{name}」“年度资金总额”行印为 0，而“{label}”行有金额（预算 {budget:g}、"
                    f"执行 {'—' if actual is None else f'{actual:g}'} 万元）：已按“{label}”行取数，"
                    "请核对原表。",
                    project=name,
                    source_line=b.component[0].line,
                )
            )
    if b.name is None:
        findings.append(
            Finding(
                "PARTIAL_ROW",
                f"第 {b.first_line} 行起的自评表没有项目名称，请核对原表。",
                source_line=b.first_line,
            )
        )
    if b.funds_label is None or (budget is None and actual is None):
        findings.append(
            Finding(
                "PARTIAL_ROW",
                f"「{name}」未读到“年度资金总额”行的预算数和执行数，请核对原表第 {b.first_line} 行起的资金部分。",
                project=name,
                source_line=b.funds_label.line if b.funds_label else b.first_line,
            )
        )
    if not certain:
        findings.append(
            Finding(
                "PARTIAL_ROW",
                f"「{name}」“年度资金总额”行的数值个数与表头列数不一致，已按顺序对应，请核对。",
                project=name,
                source_line=b.funds_label.line if b.funds_label else b.first_line,
            )
        )
    for role, text in funds.items():
        if is_overflow(text):
            findings.append(
                Finding(
                    "OVERFLOW_CELL",
                    f"「{name}」“年度资金总额”行的「{FUNDS_LABELS.get(role, role)}」单元格印为 "
                    "#####（列宽不足），该值已留空，请向填报单位索取原值。",
                    project=name,
                    source_line=b.funds_label.line if b.funds_label else b.first_line,
                )
            )
    indicators = []
    reasons: dict[str, None] = {}
    for f in b.indicators:
        get = f.get
        if get("op") or get("measure"):  # 指标性质 / 指标值 / 度量单位 in three columns
            f["target"] = "".join(get(k) or "" for k in ("op", "target", "measure")) or None
        target_text, actual_text, reason = get("target"), get("actual"), get("reason")
        cells = (target_text or "") + (actual_text or "")
        if ("不" in cells or "无此" in cells) and is_not_applicable(target_text, actual_text):
            continue
        indicators.append(
            indicator_row(
                name,
                f["name"],
                f["line"],
                level1=get("level1"),
                level2=get("level2"),
                target_text=target_text,
                actual_text=actual_text,
                weight=_num(get("weight")),
                score=_num(get("score")),
                deviation_reason=reason,
            )
        )
        if reason:
            reasons[reason] = None  # each reason once, in order
    for line in dict.fromkeys(b.partial_lines):  # one finding a line, however many cells
        findings.append(
            Finding(
                "PARTIAL_ROW",
                f"「{name}」第 {line} 行的指标未能完整读出，请核对原表。",
                project=name,
                source_line=line,
            )
        )
    if not indicators:
        findings.append(
            Finding(
                "PARTIAL_ROW",
                f"「{name}」的自评表中未读到绩效指标行，请核对原表。",
                project=name,
                source_line=b.first_line,
            )
        )
    elif (
        b.score_total is None and b.self_score is None and not b.unscored and b.glued_total is None
    ):
        findings.append(
            Finding(
                "PARTIAL_ROW",
                f"「{name}」的自评表未读到总分行，项目得分留空。",
                project=name,
                source_line=b.last_line,
            )
        )
    if b.glued_total is not None:
        printed = b.glued_total.text
        findings.append(
            Finding(
                "VALUE_INFERRED",
                f"「{name}」的“总分”行数字粘连为「{printed}」，按满分 {TOTAL_WEIGHT:g} 分读作"
                f"总分 {b.score_total:g} 分，请核对原表。",
                project=name,
                source_line=b.glued_total.line,
            )
            if b.score_total is not None
            else Finding(
                "PARTIAL_ROW",
                f"「{name}」的“总分”行数字粘连为「{printed}」，无法拆出满分与总分，项目得分留空，"
                "请核对原表。",
                project=name,
                source_line=b.glued_total.line,
            )
        )
    if b.total_elsewhere:
        findings.append(
            Finding(
                "VALUE_INFERRED",
                f"「{name}」的“总分”标签后没有数值（表格被压成一行），已取其前的 "
                f"{b.weight_total:g} 分与 {b.score_total:g} 分作为满分与总分，请核对原表。",
                project=name,
                source_line=b.last_line,
            )
        )
    funds_unread = any(r == "weight" for r, _ in b.funds_roles) and funds_weight is None
    if indicators and not funds_unread:
        findings += check_weights(
            name,
            [i["weight"] for i in indicators],
            [i["score"] for i in indicators]
            if (funds_score is not None or funds_weight is None)
            else [],
            indicators[0]["source_line"],
            extra_weight=funds_weight or 0.0,
            extra_score=funds_score or 0.0,
            total_weight=TOTAL_WEIGHT,
            total_score=b.score_total,
        )
    project = project_row(
        "project",
        name,
        b.first_line,
        end_line=b.last_line,
        initial_budget_wan=initial,
        budget_wan=budget,
        actual_wan=actual,
        reported_rate_pct=rate,
        score=b.score_total if b.score_total is not None else b.self_score,
        grade=b.grade,
        problems="；".join(reasons) or None,
        funds_weight=funds_weight,
        funds_score=funds_score,
    )
    return project, indicators, findings


def _figure(value: float) -> str:
    """A figure as a person writes it: up to four decimals, no trailing zeros (207.4538, 100)."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _reading_findings(name: str, reading: Reading, b: Block) -> list[Finding]:
    line = b.funds_label.line if b.funds_label else b.first_line
    values = b.funds_values or b.header_values
    printed = "、".join(v.text for v in values[: reading.consumed or len(values)])
    if reading.ambiguous or not reading.values:
        return [
            Finding(
                "PARTIAL_ROW",
                f"「{name}」“年度资金总额”行的数值（{printed}）有多种读法且无法按 执行数 ÷ 预算数 = "
                "执行率 判定，预算数和执行数留空，请核对原表。",
                project=name,
                source_line=line,
            )
        ]
    if not reading.inferred:
        return []
    got = reading.values
    said = "，".join(
        f"{ROLE_NAMES[r]} {_figure(got[r])}{'%' if r == 'rate' else ''}"
        for r in ("budget", "actual", "rate")
        if r in got
    )
    return [
        Finding(
            "VALUE_INFERRED",
            f"「{name}」“年度资金总额”行印为「{printed}」，{reading.why()}，读作 {said}，请核对原表。",
            project=name,
            source_line=line,
        )
    ]


def detect(doc) -> float:
    return keyword_score(doc.head, KEYWORDS)


def parse(doc) -> Parsed:
    default_unit = find_amount_unit(doc.head) or "万元"
    out = Parsed()
    read: list[Block] = []
    pending: Block | None = None  # held back: a page break may repeat its 项目名称 and go on
    pending_toks: list[Tok] = []
    for is_project, toks in split_blocks(doc.layout_cells):
        if not is_project:
            first = next((t for t in toks if kind_of(t) == "indicator_header"), None)
            if first is not None:
                out.findings.append(
                    Finding(
                        "ORPHAN_ROWS",
                        f"第 {first.line} 行起的指标表前没有项目名称，未归入任何项目。",
                        source_line=first.line,
                    )
                )
            continue
        b = read_block(toks, default_unit)
        if pending is not None and b.name == pending.name and b.funds_label is None:
            pending_toks = pending_toks + toks
            pending = read_block(pending_toks, default_unit)
            continue
        if pending is not None:
            _emit(pending, out, read)
        pending, pending_toks = b, toks
    if pending is not None:
        _emit(pending, out, read)
    first = next((b for b in read if b.unit or b.parent), None)
    years = {b.year for b in read if b.year}
    out.meta = {
        "unit": first.unit if first else None,
        "parent_unit": first.parent if first else None,
        "amount_unit": read[0].amount_unit if read else None,
        "title": read[0].title if read else None,
        "year": years.pop() if len(years) == 1 else None,
    }
    return out


def _emit(b: Block, out: Parsed, read: list[Block]) -> None:
    project, indicators, findings = to_rows(b)
    out.projects.append(project)
    out.indicators += indicators
    out.findings += findings
    # Keep only what the metadata needs, not the block's tokens.
    read.append(
        Block(
            b.first_line,
            b.last_line,
            title=b.title,
            year=b.year,
            name=b.name,
            parent=b.parent,
            unit=b.unit,
            amount_unit=b.amount_unit,
        )
    )
