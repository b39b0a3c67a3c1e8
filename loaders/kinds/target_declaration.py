"""Kind target_declaration: 绩效目标申报表 — task budgets and indicator targets, no execution.

Two forms, each read from the rows of cells of the shared layout stage (loaders/layout.py: tab
rows, runs of spaces, one cell per line with or without tabs, single-spaced rows, a table on one
line), whatever layout the document came in:

- 整体支出绩效目标申报表: the year as '( 2024 年度)', 单位名称 … 主管部门 … whose values may wrap
  across cells; a task table 任务名称 | 主要内容 | 预算金额 (总额 | 财政拨款 | 其他资金), one row per
  task, closed by 金额合计 (a short name may sit in OCR-flattened prose before its amounts, which
  then hold together: total = fiscal + other); 年度总体目标 prose;
- 项目支出绩效目标申报表: one project (项目名称) whose budget is the 年度资金总额, or the sum of its
  资金来源 ((一)财政拨款小计 / (二)自有资金小计 / (三)其他收入, each broken down 1、2、…) when
  the total prints no amount;
- then an indicator table 一级指标 | 二级指标 | 三级指标 | 指标值 whose 一级/二级 labels sit in
  merged cells, printed in the middle of their group, on lines of their own, or split over lines
  ('项目效益' / '指标').
Header rows set the context for the rows after them; nothing depends on line numbers or names.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate

from .. import layout
from ..crosscheck import check_total, fmt
from ..detection import keyword_score
from ..findings import Finding
from ..layout import CELL_LINES, MARKDOWN, PIPE_END, PIPE_ROW, SINGLE_SPACED, SPACED, TAB, Cell
from ..metadata import clean_unit, find_amount_unit, find_year, looks_like_unit
from ..numbers import to_wan
from ..rows import clean_name, indicator_row, project_row
from ..targets import is_not_applicable
from ..tolerances import AMOUNT_TOLERANCE_WAN
from ..vocab import (
    LEVEL1_WORDS,
    NAME_LABELS,
    OTHER_LABELS,
    PARENT_LABELS,
    UNIT_LABELS,
    UNIT_PRIORITY,
    indicator_role,
    is_level2,
    key_of,
)
from . import Parsed

KIND = "target_declaration"
LABEL = "绩效目标申报表"  # its name in the dashboard
KEYWORDS: dict[str, float] = {
    "绩效目标申报表": 0.5,
    # the same form titled 单位整体支出绩效目标表 (no 申报)
    "绩效目标表": 0.4,
    "年初目标值": 0.1,
    "指标值": 0.15,
    "任务名称": 0.1,
    "预算金额": 0.1,
    "年度总体目标": 0.1,
    "完成值": -0.3,
    "得分": -0.3,
    "决算": -0.3,
}

# Printed amounts agree when they differ by less than this (in the printed unit, 2 decimals).
SUM_TOLERANCE = 0.011
# A task name is a short run of text; longer runs are prose.
MIN_NAME_CHARS = 2
MAX_NAME_CHARS = 30
# Share of a name that must be CJK characters.
MIN_NAME_CJK_SHARE = 0.6
# A value wrapped across cells ('深圳市福田' + '区卫生健康局') is joined from at most this many cells.
MAX_JOIN_CELLS = 3
# Metadata labels are looked for in this many lines before the task table.
MAX_HEAD_LINES = 40
# OCR debris inside a header printed one cell per line is skipped when a header word follows
# within this many non-empty rows.
HEADER_LOOKAHEAD_ROWS = 3
# An unrecognised cell ending in 指标 this short is a piece of a label, not an indicator.
MAX_LABEL_FRAGMENT_CHARS = 6
# Distinct target texts whose parsed row is kept (they repeat: '100%', '≥90%', '有效提高').
TARGET_CACHE_SIZE = 4096
# A task-table header cell is at most this long ('预算金额 (万元)').
MAX_HEADER_CELL_CHARS = 20
# A short qualitative target ('有效提高') has at most this many characters.
MAX_QUALITATIVE_TARGET_CHARS = 8
# A numeric target ('≥1000人次', '约400份') has at most this many characters.
MAX_NUMERIC_TARGET_CHARS = 20

# Layouts that keep a table's rows and cells apart; the others (single-spaced rows, a table on
# one line, text) are read as a stream of cells.
_CELLED = frozenset({TAB, CELL_LINES, SPACED, PIPE_END, PIPE_ROW, MARKDOWN})

TOTAL, FISCAL, OTHER, PARENT = "total", "fiscal", "other", "parent"
# Header words of the task table, by the amount column they name.
_AMOUNT_HEADER = (
    (FISCAL, ("财政拨款", "财政资金", "财政性资金")),
    (OTHER, ("其他资金", "自筹资金", "单位自筹")),
    (TOTAL, ("资金总额", "总额", "小计")),
    (PARENT, ("预算金额", "预算资金", "年度预算", "全年预算", "预算数")),
)
_TASK_HEADER_START = ("任务名称", "项目名称")
_TASK_HEADER_WORDS = (
    "任务名称",
    "项目名称",
    "主要内容",
    "年度主要任务",
    "主要任务",
    "资金来源",
    "金额",
    *(w for _kind, words in _AMOUNT_HEADER for w in words),
)
_HEADER_WORD = (
    "(?:"
    + "|".join(re.escape(w) for w in sorted(_TASK_HEADER_WORDS, key=len, reverse=True))
    + r"|\([A-Za-z]?\)|\(万?元\))"
)
_TASK_HEADER_RE = re.compile(_HEADER_WORD)
# A cell made of header words only, by its key: '预算金额(万元)', '预算数(A)'.
_TASK_HEADER_CELL = re.compile(f"(?:{_HEADER_WORD})+")
_TASK_LABEL_KEYS = frozenset({"年度主要任务", "主要任务"})
_TOTAL_LABEL = re.compile(r"^(?:金额|预算|资金)?(?:合计|总计)[:：]?$")
_UNIT_IN_HEADER = re.compile(r"\((万元|元)\)|单位[：:](万元|元)")

# Indicator header cells no column role names (vocab.indicator_role names the others).
_IND_HEADER_EXTRA = frozenset({"绩效指标", "年度绩效指标", "指标内容", "预期目标", "年度绩效目标"})
_IND_HEADER_ROLES = frozenset({"level1", "level2", "name", "target"})
_SECTION_BREAKS = ("年度总体目标", "总体目标", "长期目标", "中期目标")
_FOOTER_WORDS = ("填报人", "联系人", "联系电话", "填报日期", "审核人", "单位负责人", "财务负责人")
_FOOTER_FIRST = frozenset(w[0] for w in _FOOTER_WORDS)

# Labels of the head, longest first so that 预算单位名称 wins over 预算单位, 项目主管部门 over 主管部门.
_META_LABELS = tuple(
    sorted(
        [(lb, "unit") for lb in UNIT_LABELS] + [(lb, "parent_unit") for lb in PARENT_LABELS],
        key=lambda lk: -len(lk[0]),
    )
)
_META_STOPS = (*UNIT_LABELS, *PARENT_LABELS, *NAME_LABELS, *OTHER_LABELS, *_TASK_HEADER_START)
_STAMP = re.compile(r"^[(（](?:盖章|公章|签章)[)）]")

# 项目支出绩效目标申报表: the funds block opens with one of these, its total is one of these.
_FUNDS_OPEN = ("项目资金", "年度资金总额", "资金总额", "资金来源", "项目资金来源")
_FUNDS_TOTAL = ("年度资金总额", "资金总额", "合计", "总计")
# A 资金来源 line broken down under the one above it: '1、一般公共预算', '其中：财政拨款'.
_SUB_SOURCE = re.compile(r"^(?:\d{1,2}[、.．]|\(\d{1,2}\)|其中)")

_SENTENCE_PUNCT = re.compile(r"[，,。；;：:、！？!?《》〔〕]|(?<!\d)\.|\.(?!\d)")
_BRACKETED = re.compile(r"^[（(][^（()）]*[）)]$")
_PLACEHOLDER = re.compile(r"^[_＿\-—－–/／.…·]+$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NA_HINT = re.compile("适用|此项|涉及")
_CJK_PAIR = re.compile(r"[\u4e00-\u9fff]{2}")
# A name whose words start with a number: '65岁以上老人定期体检', '120急救网络建设'.
_DIGIT_LED_NAME = re.compile(r"\d{1,4}[\u4e00-\u9fff]")
# An amount with decimals in a text ('2, 306. 00'), and two: a paragraph that may hold a row.
_DECIMAL = re.compile(r"\d\s?\.\s?\d")
_TWO_DECIMALS = re.compile(r"\d\s?\.\s?\d.*\d\s?\.\s?\d")

# Indicator labels. A 二级 label names a family; each family belongs to one 一级 label.
_WEIGHT_SUFFIX = re.compile(r"\(\d+(?:\.\d+)?分?\)$")
_FAMILY_OF = (
    ("满意度", "满意度"),
    ("数量", "数量"),
    ("质量", "质量"),
    ("时效", "时效"),
    ("成本", "成本"),
    ("效益", "效益"),
    ("影响", "效益"),
    ("产出", "产出"),
)
_LEVEL1_OF_FAMILY = {
    "数量": "产出指标",
    "质量": "产出指标",
    "时效": "产出指标",
    "成本": "产出指标",
    "产出": "产出指标",
    "效益": "效益指标",
    "满意度": "满意度指标",
}
_COUNT_UNITS = re.compile(
    r"^(?:人次|人|名|次|个|件|台|块|户|场次|场|宗|份|批次|批|家|项|套|期|篇|条|所|张|本|册|辆|间|处|"
    r"平方米|万元|元|天|日|小时)"
)
_TIMELY_WORDS = re.compile("及时|时效|按时|时限|周期|工作日|天内|完成时间")
_COST_WORDS = re.compile("预算执行率|成本|经费控制|费用控制")
_QUALITATIVE_TARGET = re.compile(
    r"^(?:有效|显著|明显|逐步|持续|进一步|全面|稳步|大幅|不断|基本|得到|有所|较大)?"
    r"(?:提高|提升|保障|改善|增强|完成|达标|合格|降低|减少|增加|下降|上升|落实|规范|加强|满足|实现|稳定"
    r"|控制)$"
)
_SHORT_TARGETS = frozenset(
    {
        "是",
        "否",
        "良好",
        "优",
        "优秀",
        "及时",
        "按时",
        "达到",
        "满意",
        "全覆盖",
        "较好",
        "已完成",
        "不适用",
        "合格",
        "达标",
        "正常",
        "无",
        # 可持续影响: how long the effect lasts
        "长期",
        "中长期",
        "持续",
    }
)
_NUMERIC_TARGET = re.compile(
    r"^(?:[≥≤<>=＞＜≧≦]|约|不低于|不少于|不高于|不超过|不大于|不小于|达到|大于|小于|低于|高于|控制在)?\d"
)


def detect(doc) -> float:
    return keyword_score(doc.head, KEYWORDS)


# ---------------------------------------------------------------- cells

# The few rows after the one being read (HEADER_LOOKAHEAD_ROWS of them, fewer at the end).
Ahead = deque[list[Cell]]


def _row_key(row: list[Cell]) -> str:
    return row[0].key if len(row) == 1 else "".join(c.key for c in row)


def _pieces(cells: list[Cell]) -> list[Cell]:
    """The cells with a text cell that holds spaces cut into its words (layout.split_cell): read
    inside a table, such a line is a row ('(一)财政拨款小计 6.30', a paragraph with amounts)."""
    out: list[Cell] = []
    for c in cells:
        if c.layout != SINGLE_SPACED and " " in c.text:
            out += layout.split_cell(c)
        else:
            out.append(c)
    return out


def _is_amount(c: Cell) -> bool:
    """An amount in running text: a figure with decimals ('571.77', '2, 306. 00'), no rate."""
    return c.num is not None and "." in c.text and c.text[-1] not in "%％‰"


def _is_placeholder(c: Cell | None) -> bool:
    return c is not None and bool(_PLACEHOLDER.match(c.key))


def _has_cjk_word(text: str) -> bool:
    """Two CJK characters in a row: a word, not OCR debris such as '中3 XX 1日 47A'."""
    return _CJK_PAIR.search(text) is not None


def _positional(row: list[Cell]) -> list[Cell | None]:
    """A row's cells by column, None where the layout printed an empty cell."""
    if row[0].col is None:
        return list(row)
    out: list[Cell | None] = [None] * (max(c.col for c in row) + 1)
    for c in row:
        out[c.col] = c
    return out


def _name_like(chunk: str) -> bool:
    """A short label without sentence punctuation: '卫生健康宣传教育', '(统筹)英才荟经费'.

    A name may open with a number that is part of its words ('65岁以上老人体检'); a chunk opening
    with a list number or an amount ('1.', '2、', '300.00') is none.
    """
    s = chunk.strip("|｜ \"'“”")
    if not MIN_NAME_CHARS <= len(s) <= MAX_NAME_CHARS:
        return False
    if s[0].isdigit() and not _DIGIT_LED_NAME.match(s):
        return False
    if _SENTENCE_PUNCT.search(s):
        return False
    cjk = len(_CJK.findall(s))
    return cjk >= MIN_NAME_CHARS and cjk >= MIN_NAME_CJK_SHARE * len(s)


def _open_brackets(text: str) -> int:
    return text.count("(") + text.count("（") - text.count(")") - text.count("）")


def _leading_name(chunks: list[str]) -> str | None:
    """The name at the start of a row: its first chunk, joined with a bracket it opened or a
    bracketed prefix/suffix ('(统筹)' '英才荟经费', '医疗发展保障' '(局本级维保项目)')."""
    if not chunks:
        return None
    name, i = chunks[0].strip("|｜ "), 1
    while i < len(chunks) and i <= MAX_JOIN_CELLS:
        nxt = chunks[i]
        if _open_brackets(name) > 0 or _BRACKETED.match(name) or _BRACKETED.match(nxt):
            name, i = name + nxt, i + 1
        else:
            break
    return name if _name_like(name) else None


def _sum_order(values: list[float | None]) -> int | None:
    """Index of the amount that is the sum of the other two (total = fiscal + other), or None."""
    if len(values) != 3 or None in values:
        return None
    for i in sorted(range(3), key=lambda k: -values[k]):
        if abs(values[i] - (sum(values) - values[i])) <= SUM_TOLERANCE:
            return i
    return None


def _is_task_header_cell(c: Cell) -> bool:
    return len(c.key) <= MAX_HEADER_CELL_CHARS and _TASK_HEADER_CELL.fullmatch(c.key) is not None


def _has_amount(row: list[Cell]) -> bool:
    return any(c.num is not None or _DECIMAL.search(c.text) for c in row)


def _is_header_row(row: list[Cell]) -> bool:
    """Header cells only (任务名称, 预算金额(万元), 总额 …), and no amount."""
    return any(_is_task_header_cell(c) for c in row) and not _has_amount(row)


def _header_follows(ahead: Ahead) -> bool:
    """Whether a header row comes within the next few rows (OCR debris inside a header)."""
    for row in ahead:
        if _has_amount(row):
            return False
        if _is_header_row(row):
            return True
    return False


def _groups(pieces: list[Cell]) -> list[tuple[int, int]]:
    """(start, end) of each run of amounts among the pieces of a row."""
    out: list[tuple[int, int]] = []
    for k, p in enumerate(pieces):
        if _is_amount(p):
            if out and out[-1][1] == k:
                out[-1] = (out[-1][0], k + 1)
            else:
                out.append((k, k + 1))
    return out


def _chunks(pieces: list[Cell]) -> list[str]:
    return [p.text for p in pieces if p.text.strip("|｜ ")]


# ---------------------------------------------------------------- task table


@dataclass
class _Task:
    name: str
    line: int
    end_line: int
    amounts: list[float | None] = field(default_factory=list)
    garbled: bool = False  # recovered from an OCR-flattened paragraph
    row: bool = False  # name and amounts printed in one row (a tab, spaced or flattened row)
    # A row holding only a name, right below such a row: if no amounts come for it, it is the
    # rest of that row's name, wrapped in its cell.
    wrap_of: _Task | None = None


@dataclass
class _TaskTable:
    """Row-oriented reader of the task table: rows, their amounts and the printed total."""

    cols: list[str] = field(default_factory=list)
    unit: str = "万元"
    header_keys: list[str] = field(default_factory=list)
    first_line: int | None = None
    tasks: list[_Task] = field(default_factory=list)
    pending: _Task | None = None
    total_line: int | None = None
    total_values: list[float] | None = None
    awaiting_total: bool = False
    # Lines of rows that print only placeholders ('_ … _'): no task unless the total lacks them.
    placeholders: list[int] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    # -- header

    def header(self, cells: list[Cell]) -> None:
        for c in cells:
            self.header_keys.append(c.key)
            for m in _TASK_HEADER_RE.finditer(c.key):
                kind = next((k for k, words in _AMOUNT_HEADER if m.group(0) in words), None)
                if kind:
                    self.cols.append(kind)

    def finish_header(self, lines_before: list[str]) -> None:
        """Amount columns in print order; a parent 预算数 without sub-columns is the total."""
        kinds = self.cols
        if TOTAL in kinds:
            kinds = [k for k in kinds if k != PARENT]
        elif PARENT in kinds:
            first = kinds.index(PARENT)
            kinds = [
                TOTAL if i == first else k for i, k in enumerate(kinds) if k != PARENT or i == first
            ]
        self.cols = kinds or [TOTAL]
        m = _UNIT_IN_HEADER.search(" ".join(self.header_keys))
        unit = (m.group(1) or m.group(2)) if m else find_amount_unit("\n".join(lines_before))
        self.unit = unit or "万元"

    @property
    def total_index(self) -> int:
        return self.cols.index(TOTAL) if TOTAL in self.cols else 0

    # -- rows

    def row(self, row: list[Cell]) -> bool:
        """Read one row of the table; False once the table is closed by its total."""
        key = _row_key(row)
        if key in _TASK_LABEL_KEYS:
            return True
        if self.awaiting_total:
            return self._total_continues(row)
        if row[0].layout in _CELLED:
            return self._cell_row(row)
        if _TOTAL_LABEL.match(key):
            self._open_total(row[0].line, [])
            return True
        return self._text_row(row)

    def _open_total(self, n: int, values: list[float]) -> bool:
        self.close_pending()
        self.total_line = n
        if values:
            self.total_values = values
            return False
        self.awaiting_total = True
        return True

    def _total_continues(self, row: list[Cell]) -> bool:
        values = [p.num for p in _pieces(row) if _is_amount(p)]
        if not values and len(row) == 1 and row[0].num is not None:
            values = [row[0].num]
        if not values:
            self.awaiting_total = False
            return False
        self.total_values = (self.total_values or []) + values
        if len(self.total_values) >= len(self.cols):
            self.awaiting_total = False
            return False
        return True

    @property
    def printed_total(self) -> float | None:
        values = self.total_values or []
        if not values:
            return None
        return values[self.total_index] if self.total_index < len(values) else values[0]

    def _cell_row(self, row: list[Cell]) -> bool:
        cells = _positional(row)
        filled = [c for c in cells if c is not None]
        n, end = row[0].line, row[-1].end
        if _TOTAL_LABEL.match(filled[0].key):
            values = [c.num for c in filled[1:] if c.num is not None]
            return self._open_total(n, values)
        if any(_is_task_header_cell(c) for c in filled) and all(c.num is None for c in filled):
            return True  # the header repeated after a page break
        # Trailing amount cells, right to left; a placeholder stands for an amount not printed.
        amounts: list[float | None] = []
        stop = len(cells)
        while stop > 0:
            c = cells[stop - 1]
            if c is not None and c.num is None and not _is_placeholder(c):
                break
            if c is not None:
                amounts.insert(0, c.num)
            stop -= 1
        texts = [c for c in cells[:stop] if c is not None]
        if not texts:
            if _is_placeholder(cells[0]) and len(filled) >= 2 and all(v is None for v in amounts):
                self.close_pending()
                self.placeholders.append(n)
            elif any(v is not None for v in amounts):
                self._amounts_for_pending(n, end, amounts)
            return True
        if not any(v is not None for v in amounts) and any(
            _TWO_DECIMALS.search(t.text) for t in texts
        ):
            pieces = _pieces(texts)
            if any(g[1] - g[0] >= 2 for g in _groups(pieces)):
                return self._text_row(pieces)  # a flattened paragraph inside a cell
        if cells[0] is None:
            # A continuation row: a wrapped description, perhaps with the amounts of the row above.
            if self.pending is not None:
                self.pending.end_line = end
                if amounts:
                    self._amounts_for_pending(n, end, amounts)
            return True
        self.close_pending()
        task = _Task(texts[0].text, n, end)
        if amounts:
            task.amounts, task.row = amounts, True
            self.tasks.append(task)
        else:
            if len(texts) == 1:  # the name cell alone: perhaps the wrapped rest of a name
                task.wrap_of = self._wrapped_above(n, texts[0].text)
            self.pending = task
        return True

    def _wrapped_above(self, n: int, text: str) -> _Task | None:
        """The row just above whose name cell a lone piece of text may finish, or None."""
        above = self.tasks[-1] if self.tasks else None
        if above is None or not above.row or above.end_line != n - 1:
            return None
        s = text.strip()
        if len(s) > MAX_NAME_CHARS or _SENTENCE_PUNCT.search(s) or not _CJK.search(s):
            return None  # a sentence is the wrapped description, not a name
        return above

    def _amounts_for_pending(self, n: int, end: int, amounts: list[float | None]) -> None:
        if self.pending is None:
            self._orphan(n, end, amounts, "的金额（{}）前没有任务名称，未计入任何任务")
            return
        self.pending.amounts.extend(amounts)
        self.pending.end_line = end
        if len(self.pending.amounts) >= len(self.cols):
            self.close_pending()

    def _orphan(self, n: int, end: int, values: list[float | None], what: str) -> None:
        printed = " / ".join(fmt(v) for v in values)
        self.findings.append(
            Finding(
                "ORPHAN_ROWS",
                f"第{n}行{what.format(printed)}，请对照原件核对。",
                source_line=n,
                end_line=end,
            )
        )

    def close_pending(self) -> None:
        pending, self.pending = self.pending, None
        if pending is None:
            return
        above = pending.wrap_of
        if above is not None and not pending.amounts:
            above.name = f"{above.name} {pending.name}"
            above.end_line = pending.end_line
            return
        self.tasks.append(pending)

    def _text_row(self, row: list[Cell]) -> bool:
        """A row read as a stream of cells: one cell per line, a single-spaced row, a table on one
        line, or a flattened paragraph where names sit in the prose before their amounts."""
        pieces = _pieces(row)
        groups = _groups(pieces)
        n, end = row[0].line, row[-1].end
        if not groups:
            whole = row[0] if len(row) == 1 else None
            if _is_placeholder(whole):
                if self.pending is not None and self.pending.amounts:
                    self._amounts_for_pending(n, end, [None])  # an amount printed as '—'
            elif whole is not None and whole.num is not None:
                self._amounts_for_pending(n, end, [whole.num])
            elif self.pending is None or self.pending.amounts:
                self.close_pending()
                text = " ".join(c.text for c in row)
                self.pending = _Task(_leading_name(_chunks(pieces)) or text, n, end)
                self.pending.wrap_of = self._wrapped_above(n, text)
            else:
                self.pending.end_line = end  # the wrapped description of the pending task
            return True
        pos = 0
        for start, stop in groups:
            chunks = _chunks(pieces[pos:start])
            values: list[float | None] = [p.num for p in pieces[start:stop]]
            line, last = pieces[start].line, pieces[stop - 1].end
            pos = stop
            if chunks and _TOTAL_LABEL.match(key_of(chunks[-1])):
                return self._open_total(line, values)
            if not chunks:
                self._amounts_for_pending(line, last, values)
                continue
            name = _leading_name(chunks)
            if name is None and self.pending is not None and not self.pending.amounts:
                self._amounts_for_pending(line, last, values)
                continue
            if name is None:
                self._garbled(line, last, chunks, values)
                continue
            self.close_pending()
            self.tasks.append(_Task(name, line, last, values, row=len(groups) == 1))
        return True

    def _garbled(self, n: int, end: int, chunks: list[str], values: list[float | None]) -> None:
        """OCR flattened the table into prose: the name is the name-like chunk nearest the amounts,
        and the amounts must hold together (total = fiscal + other)."""
        name = next((c.strip("|｜ ") for c in reversed(chunks) if _name_like(c)), None)
        if name is None or (len(self.cols) >= 3 and _sum_order(values) is None):
            self._orphan(n, end, values, "段落中的金额（{}）找不到对应的任务名称，未计入任务")
            return
        self.close_pending()
        self.tasks.append(_Task(name, n, end, values, garbled=True))

    # -- results

    def rows(self) -> tuple[list[dict], list[Finding], int]:
        """Task rows, findings, and how many rows printed only placeholders where the printed
        total says amounts are missing (they count as rows whose amount could not be read)."""
        self.close_pending()
        rows: list[dict] = []
        findings = list(self.findings)
        for task in self.tasks:
            name = clean_name(task.name) or task.name
            total, note = self._pick_total(task, name)
            if note:
                findings.append(note)
            if total is None:
                findings.append(
                    Finding(
                        "PARTIAL_ROW",
                        f"「{name}」没有读到预算金额，请对照原件补录。",
                        project=name,
                        source_line=task.line,
                    )
                )
            rows.append(
                project_row(
                    "task",
                    name,
                    task.line,
                    budget_wan=to_wan(total, self.unit),
                    end_line=task.end_line,
                )
            )
        lost = self._lost_rows(rows)
        return rows, findings + lost, len(lost)

    def _lost_rows(self, rows: list[dict]) -> list[Finding]:
        """A row of placeholders is the form's empty row, unless the printed total exceeds the sum
        of the tasks read: then it may be a task whose name and amounts did not print."""
        printed = to_wan(self.printed_total, self.unit)
        if not self.placeholders or printed is None:
            return []
        gap = printed - sum(r["budget_wan"] for r in rows if r["budget_wan"] is not None)
        if gap <= AMOUNT_TOLERANCE_WAN:
            return []
        return [
            Finding(
                "PARTIAL_ROW",
                f"第{n}行的任务名称和金额都只印出占位符，而「金额合计」比各任务之和多 {gap:,.2f} 万元："
                "这一行可能是未印出的任务，请对照原件补录。",
                source_line=n,
            )
            for n in self.placeholders
        ]

    def _pick_total(self, task: _Task, name: str) -> tuple[float | None, Finding | None]:
        """The 总额 of a row, and a finding where the printed amounts needed interpreting."""
        values, t = task.amounts, self.total_index
        if len(self.cols) < 3 or len(values) != 3 or None in values:
            return (values[t] if t < len(values) else None), None
        where = f"第{task.line}行" + ("一段OCR错乱的文字" if task.garbled else "")
        printed = " / ".join(fmt(v) for v in values)

        def note(code: str, message: str, severity: str = "") -> Finding:
            return Finding(code, message, severity=severity, project=name, source_line=task.line)

        order = _sum_order(values)
        if order == t:
            if task.garbled:
                return values[t], note(
                    "PARTIAL_ROW",
                    f"「{name}」的名称和金额（{printed}）取自{where}，请对照原件核对。",
                    "info",
                )
            return values[t], None
        if order is not None:
            return values[order], note(
                "PARTIAL_ROW",
                f"「{name}」的三个金额在{where}中顺序错乱（{printed}），按 总额 = 财政拨款 + 其他资金 "
                f"读作总额 {values[order]:,.2f}，请对照原件核对。",
                "info",
            )
        return values[t], note(
            "TOTAL_MISMATCH",
            f"「{name}」的总额 {values[t]:,.2f} 不等于 财政拨款 + 其他资金（{printed}），请核对原表。",
        )


# ---------------------------------------------------------------- 项目支出绩效目标申报表


@dataclass
class _Source:
    label: str
    value: float
    line: int
    subs: list[_Source] = field(default_factory=list)


@dataclass
class _Project:
    """One project of a 项目支出绩效目标申报表: its name, and the funds block read as pairs of a
    label and the amount after it (年度资金总额, then its 资金来源 and their breakdown)."""

    name: str
    line: int
    end_line: int
    first_indicator: int  # its indicators are the rows read from here on, up to the next project
    unit: str = "万元"
    funds_line: int | None = None  # the row that opened the funds block
    label: Cell | None = None  # the label the next amount belongs to
    total: float | None = None
    total_line: int | None = None
    sources: list[_Source] = field(default_factory=list)

    def row(self, row: list[Cell], lines_before: list[str]) -> bool:
        """Read one row; False once the funds block has ended."""
        opens = next((c for c in row if c.key.startswith(_FUNDS_OPEN)), None)
        if self.funds_line is None:
            if opens is None:
                return True
            self.funds_line = row[0].line
            m = _UNIT_IN_HEADER.search(_row_key(row))
            unit = (m.group(1) or m.group(2)) if m else find_amount_unit("\n".join(lines_before))
            self.unit = unit or "万元"
        pieces = _pieces(row)
        if all(p.num is None for p in pieces) and opens is None and self.label_read:
            if not _row_key(row).startswith("其中"):
                return False
        for p in pieces:
            if p.num is None:
                self.label = p
                continue
            if self.label is None:
                continue  # a figure before any label: a stray number
            self._pair(self.label, p.num)
            self.label = None
        return True

    @property
    def label_read(self) -> bool:
        return self.total is not None or bool(self.sources)

    def _pair(self, label: Cell, value: float) -> None:
        self.end_line = max(self.end_line, label.end)
        if label.key.startswith(_FUNDS_TOTAL) or label.key.endswith(_FUNDS_TOTAL):
            if self.total is None:
                self.total, self.total_line = value, label.line
            return
        source = _Source(label.text, value, label.line)
        if _SUB_SOURCE.match(label.key) and self.sources:
            self.sources[-1].subs.append(source)
        else:
            self.sources.append(source)

    def result(self, totals: list) -> tuple[dict, list[Finding]]:
        """The project's task row, and findings on how its budget was read."""
        findings: list[Finding] = []
        name = clean_name(self.name) or self.name
        top = sum(s.value for s in self.sources)
        budget = self.total
        if budget is None and self.sources:
            budget = top
            parts = " + ".join(f"{s.label} {s.value:,.2f}" for s in self.sources)
            findings.append(
                Finding(
                    "VALUE_INFERRED",
                    f"「{name}」的年度资金总额没有印出金额，按资金来源 {parts} 合计读作 "
                    f"{top:,.2f}{self.unit}，请对照原件核对。",
                    severity="info",
                    project=name,
                    source_line=self.funds_line,
                )
            )
        elif budget is not None and self.sources:
            findings += check_total(
                "项目资金「年度资金总额」",
                to_wan(budget, self.unit),
                to_wan(top, self.unit),
                self.total_line,
                totals=totals,
            )
        elif budget is None:
            findings.append(
                Finding(
                    "PARTIAL_ROW",
                    f"「{name}」没有读到年度资金总额，请对照原件补录。",
                    project=name,
                    source_line=self.line,
                )
            )
        for s in self.sources:
            if s.subs:
                findings += check_total(
                    f"资金来源「{clean_name(s.label)}」",
                    to_wan(s.value, self.unit),
                    to_wan(sum(x.value for x in s.subs), self.unit),
                    s.line,
                    totals=totals,
                )
        row = project_row(
            "task", name, self.line, budget_wan=to_wan(budget, self.unit), end_line=self.end_line
        )
        return row, findings


def _project_name(row: list[Cell], ahead: Ahead) -> tuple[str, int] | None:
    """The project a row names with a 项目名称 label and its value (inline or the next cell), or
    None; 项目名称 followed by header words heads a task table instead."""
    for k, c in enumerate(row):
        label = next((lb for lb in NAME_LABELS if c.key.startswith(lb)), None)
        if label is None:
            continue
        inline = c.key[len(label) :].lstrip(":：")
        if inline and not _TASK_HEADER_RE.match(inline):
            return inline, c.line
        if inline:
            return None
        after = row[k + 1 :] or (ahead[0] if ahead else [])
        if not after or _is_task_header_cell(after[0]) or after[0].num is not None:
            return None
        return after[0].text, after[0].line
    return None


# ---------------------------------------------------------------- indicator table


@lru_cache(maxsize=256)
def _label(key: str) -> tuple[str, str] | None:
    """('level1' | 'level2', label) for a label cell's key such as '数量指标' or '产出指标(30)'."""
    if not key.endswith(("指标", ")")):
        return None  # most cells: no label
    k = _WEIGHT_SUFFIX.sub("", key)
    if k.count("指标") > 1:
        return None  # an OCR piece glued to a label: '意度指标服务对象满意度指标'
    # On this form 成本指标 is a 二级 family under 产出指标.
    if is_level2(k) or k == "成本指标":
        return "level2", k
    if k in LEVEL1_WORDS:
        return "level1", k
    return None


def _cell_labels(c: Cell) -> list[tuple[str, str]]:
    """Labels in a cell; OCR may glue a fragment to a label ('意度指标 服务对象满意度指标')."""
    if "指" not in c.key:
        return []
    whole = _label(c.key)
    if whole:
        return [whole]
    if " " not in c.text:
        return []
    return [lab for part in layout.split_cell(c) if (lab := _label(part.key))]


def _maybe_not_applicable(name: str, target: str) -> bool:
    """A cheap test before is_not_applicable: 不适用 / 无此项 / 不涉及 all share these characters."""
    return _NA_HINT.search(name) is not None or _NA_HINT.search(target) is not None


def _is_ind_header(key: str) -> bool:
    """A column header of the indicator table: 一级指标, 三级指标, 指标值(包含数字及文字描述) …"""
    if "指" not in key and "目标" not in key:
        return False
    if key in _IND_HEADER_EXTRA:
        return True
    return indicator_role(key) in _IND_HEADER_ROLES and key.endswith(("指标", "值", "名称", ")"))


def _label_fragment(key: str) -> bool:
    """An OCR piece of a label ('意度指标'): short, ends in 指标, names no family we know."""
    return key.endswith("指标") and len(key) <= MAX_LABEL_FRAGMENT_CHARS and _label(key) is None


@lru_cache(maxsize=256)
def _family(label: str | None) -> str | None:
    """数量 / 质量 / … / 效益 / 满意度 for a label; labels are few, so the answer is cached."""
    if not label:
        return None
    return next((fam for word, fam in _FAMILY_OF if word in label), None)


@lru_cache(maxsize=TARGET_CACHE_SIZE)
def _target_like(key: str) -> bool:
    """Whether a cell (by its key) reads as a target value rather than (part of) a name."""
    if not key:
        return False
    if key in _SHORT_TARGETS or (_NA_HINT.search(key) and is_not_applicable(key)):
        return True
    if _NUMERIC_TARGET.match(key) and len(key) <= MAX_NUMERIC_TARGET_CHARS:
        return True
    return len(key) <= MAX_QUALITATIVE_TARGET_CHARS and bool(_QUALITATIVE_TARGET.match(key))


def _content_family(row: dict) -> str | None:
    """The family an indicator's wording suggests: 数量 for counts, 质量 for rates, 效益 for prose.

    Reads a row built by indicator_row: its cleaned name and parsed target."""
    name, value, unit = row["name"] or "", row["target_value"], row["target_unit"]
    if "满意" in name:
        return "满意度"
    if _TIMELY_WORDS.search(name):
        return "时效"
    if _COST_WORDS.search(name):
        return "成本"
    if value is None:
        return "效益" if len(row["target_text"] or "") > 1 else None
    if (unit and unit.startswith(("%", "‰"))) or name.endswith(("率", "度")):
        return "质量"
    if (unit and _COUNT_UNITS.match(unit)) or name.endswith(("数", "数量")):
        return "数量"
    return None


@dataclass
class _IndicatorTable:
    """Row-oriented reader of the indicator table; labels become anchors between or on rows."""

    rows: list[dict] = field(default_factory=list)
    anchors: list[tuple[float, str, str]] = field(default_factory=list)  # (position, level, label)
    pending: dict | None = None
    findings: list[Finding] = field(default_factory=list)
    waiting: list[tuple[int, tuple[str, str]]] = field(default_factory=list)  # (line, label)
    # The last row read from a line of its own (name and target side by side), by its line.
    row_line: int | None = None

    def row(self, row: list[Cell]) -> None:
        n = row[0].line
        cells = [c for c in row if not _is_ind_header(c.key)]
        if not cells:
            return
        if row[0].layout in _CELLED or row[0].layout == SINGLE_SPACED:
            labels, rest = [], []
            for c in cells[:-1]:
                found = _cell_labels(c)
                labels += found
                if not found:
                    rest.append(c)
            rest.append(cells[-1])
            # name and target are the last two cells; earlier cells are labels or OCR debris. A
            # single-spaced line is such a row when it holds labels and two cells, or ends with
            # a target after one name; else it is a stream (a table on one line).
            if (row[0].layout in _CELLED and len(rest) >= 2) or (
                row[0].layout == SINGLE_SPACED
                and len(rest) == 2
                and (labels or _target_like(rest[1].key))
            ):
                self._flush()
                self._emit(rest[-2].text, rest[-1].text, n, labels)
                self.row_line = n
                return
            if row[0].layout in _CELLED:
                self.waiting += [(n, lab) for lab in labels]
                self._piece(n, rest[0])
                return
        last = cells[-1]
        if len(cells) > 1 and (_target_like(last.key) or any(_cell_labels(c) for c in cells)):
            for c in cells:
                self._piece(n, c)
        elif len(cells) > 1:
            self._stream(n, " ".join(c.text for c in cells))
        else:
            self._piece(n, last)

    def _piece(self, n: int, cell: Cell) -> None:
        """One cell: a row flattened with spaces when it ends with a target, else one piece of a
        name printed one cell per line."""
        if " " not in cell.text:
            self._stream(n, cell.text)
            return
        words = [p for p in layout.split_cell(cell) if not _is_ind_header(p.key)]
        if not words:
            return
        if len(words) > 1 and (_target_like(words[-1].key) or any(_label(w.key) for w in words)):
            for w in words:
                self._stream(n, w.text)
        else:
            self._stream(n, " ".join(w.text for w in words))

    def _stream(self, n: int, text: str) -> None:
        key = key_of(text)
        label = _label(key)
        if label:
            if self.pending is not None:
                self._flush()  # a label between a name and its target: the name had none
            self.waiting.append((n, label))
            return
        if key == "指标" and self.pending is not None:
            # a label printed over two lines: '项目效益' / '指标'
            joined = _label(key_of(self.pending["name"]) + key)
            if joined:
                self.waiting.append((self.pending["line"], joined))
                self.pending = None
                return
        if _label_fragment(key):
            return
        if self.pending is None:
            last = self.rows[-1] if self.rows else None
            if (
                last is not None
                and last["line"] == n
                and last["target"][-1:].isdigit()
                and _COUNT_UNITS.fullmatch(key)
            ):
                last["target"] += text  # a unit torn from its figure: '≥1000' '人次'
            elif _has_cjk_word(text):
                self.pending = {"name": text, "line": n}
                if (
                    " " not in text
                    and self.row_line == n - 1
                    and self.rows
                    and self.rows[-1]["line"] == n - 1
                ):
                    # right below a row: if no target follows, the rest of its wrapped name
                    self.pending["wrap_of"] = self.rows[-1]
            # else OCR debris such as '中3 XX 1日 47A': no name starts with it
        elif _target_like(key):
            self._emit(self.pending["name"], text, self.pending["line"], [])
            self.pending = None
        else:
            self.pending["name"] += text

    def _flush(self) -> None:
        above = self.pending and self.pending.get("wrap_of")
        if above is not None:
            above["name"] = f"{above['name']} {self.pending['name']}"
            self.pending = None
        if self.pending is not None:
            self.findings.append(
                Finding(
                    "PARTIAL_ROW",
                    f"第{self.pending['line']}行的指标「{clean_name(self.pending['name'])}」没有读到指标值，"
                    "未计入指标，请对照原件核对。",
                    source_line=self.pending["line"],
                )
            )
            self.pending = None

    def _emit(self, name: str, target: str, line: int, labels: list[tuple[str, str]]) -> None:
        waiting, self.waiting = self.waiting, []
        if _maybe_not_applicable(name, target) and is_not_applicable(name, target):
            return  # 不适用 rows are not indicators, and the labels just before one name only it
        i = len(self.rows)
        # Labels on the row's own line are its labels, and so are labels on the lines right above
        # it (one cell per line: the row's own label cells). Labels set apart by a blank line or
        # by other rows float before it: a merged cell prints its label mid-group.
        top, heading = line, 0
        for ln, _lab in reversed(waiting):
            if ln != line:
                if ln not in (top, top - 1):
                    break
                top = ln
            heading += 1
        own = waiting[len(waiting) - heading :]
        fixed: dict[str, str] = {}
        for level, label in labels + [lab for _ln, lab in own]:
            if level == "level1" and "level1" in fixed and "level2" not in fixed:
                level = "level2"  # '满意度指标 满意度指标': the 一级 label printed again as 二级
            fixed[level] = label
            self.anchors.append((float(i), level, label))
        self.anchors += [
            (i - 0.5, lab[0], lab[1]) for _ln, lab in waiting[: len(waiting) - heading]
        ]
        self.rows.append({"name": name, "target": target, "line": line, "fixed": fixed})

    def close(self) -> None:
        """End of one indicator table: a pending name is reported, floating labels anchored."""
        self._flush()
        self.anchors += [(len(self.rows) - 0.5, lab[0], lab[1]) for _ln, lab in self.waiting]
        self.waiting = []

    def finish(self) -> list[dict]:
        self.close()
        out = [
            {
                **_target_template(clean_name(r["target"]) or r["target"]),
                "name": clean_name(r["name"]),
                "source_line": r["line"],
            }
            for r in self.rows
        ]
        families = [_content_family(row) for row in out]
        level2 = _assign(
            self.rows, families, [a for a in self.anchors if a[1] == "level2"], "level2"
        )
        families1 = [_family(_LEVEL1_OF_FAMILY.get(f or "")) for f in families]
        level1 = _assign(
            self.rows, families1, [a for a in self.anchors if a[1] == "level1"], "level1"
        )
        # Labels come from the label patterns, already free of white space: set them on the rows.
        for row, r, l2, l1 in zip(out, self.rows, level2, level1, strict=True):
            row["level2"] = l2
            row["level1"] = (
                r["fixed"].get("level1") or _LEVEL1_OF_FAMILY.get(_family(l2) or "") or l1
            )
        return out


@lru_cache(maxsize=TARGET_CACHE_SIZE)
def _target_template(target: str) -> dict:
    """indicator_row for a declared target without name or line, cached per target text.

    In a declaration every field but name and line follows from the target text alone (no actual,
    weight or score; status target_only), and target texts repeat: '100%', '≥90%', '有效提高'.
    Callers copy the dict before filling in name and source_line.
    """
    return indicator_row(None, "", 0, target_text=target, declaration=True)


def _assign(
    rows: list[dict], families: list[str | None], anchors: list, level: str
) -> list[str | None]:
    """Give every row the label of an anchor, keeping groups contiguous and in print order.

    A label printed in a merged cell sits mid-group, so the rows between two labels are split where
    the wording changes (counts -> rates …); without such a signal the split falls midway.
    """
    n = len(rows)
    out: list[str | None] = [r["fixed"].get(level) for r in rows]
    anchors = sorted(anchors, key=lambda a: a[0])
    if not anchors or not n:
        return out
    (p_first, _l, first), (p_last, _l, last) = anchors[0], anchors[-1]
    for i in range(min(n, max(0, math.ceil(p_first)))):  # rows above the first label
        out[i] = out[i] or first
    for i in range(max(0, math.floor(p_last) + 1), n):  # rows below the last label
        out[i] = out[i] or last
    for (pa, _la, a), (pb, _lb, b) in zip(anchors, anchors[1:], strict=False):
        lo, hi = max(0, math.floor(pa) + 1), min(n, math.ceil(pb))
        free = [i for i in range(lo, hi) if out[i] is None]
        if not free:
            continue
        fa, fb = _family(a), _family(b)
        fams = [families[i] for i in free]
        # Splitting at t gives free[:t] to a and free[t:] to b; running sums keep this linear.
        miss_a = list(
            accumulate((f is not None and fa is not None and f != fa for f in fams), initial=0)
        )
        miss_b = list(
            accumulate(
                (f is not None and fb is not None and f != fb for f in reversed(fams)), initial=0
            )
        )[::-1]
        dist_a = list(accumulate((i - pa for i in free), initial=0.0))
        dist_b = list(accumulate((pb - i for i in reversed(free)), initial=0.0))[::-1]
        # ties go to the earlier label: a label printed before its rows heads them
        best = min(
            range(len(free) + 1),
            key=lambda t: (miss_a[t] + miss_b[t], dist_a[t] + dist_b[t], -t),
        )
        for i in free[:best]:
            out[i] = a
        for i in free[best:]:
            out[i] = b
    return out


# ---------------------------------------------------------------- metadata


def _meta(head: list[list[Cell]], lines: list[str], upto: int) -> dict:
    """unit / parent_unit from the labelled cells above the tables (vocab's labels, the unit by
    their priority), wrapped values joined; the title and the year."""
    last = min(upto, MAX_HEAD_LINES)
    cells = [c for row in head if row[0].line <= last for c in row]
    found: dict[str, tuple[int, str]] = {}  # key -> (priority, value)
    for i, cell in enumerate(cells):
        label, key = next(
            ((lb, k) for lb, k in _META_LABELS if cell.key.startswith(lb)), (None, None)
        )
        if label is None:
            continue
        inline = _STAMP.sub("", cell.key[len(label) :].lstrip(":：")).lstrip(":：")
        parts = [inline] if inline else []
        j = i + 1
        while (
            j < len(cells)
            and len(parts) < MAX_JOIN_CELLS
            and not (parts and looks_like_unit("".join(parts)))
            and not cells[j].key.startswith(_META_STOPS)
        ):
            parts.append(cells[j].key)
            j += 1
        joined = "".join(parts)
        value = clean_unit(joined if looks_like_unit(joined) else (parts[0] if parts else ""))
        rank = UNIT_PRIORITY.get(label, 0)
        if value and len(_CJK.findall(value)) >= MIN_NAME_CHARS:
            if key not in found or rank < found[key][0]:
                found[key] = (rank, value)
    meta: dict = {key: value for key, (_rank, value) in found.items()}
    for n in range(1, min(len(lines), MAX_HEAD_LINES) + 1):
        if "申报表" in lines[n - 1]:
            meta["title"] = key_of(lines[n - 1]).lstrip("#")
            break
    # the year is printed in the title area: '( 2024 年度)'; conform() looks further if need be
    year = find_year("\n".join(lines[: last + 1]))
    if year:
        meta["year"] = year
    return meta


# ---------------------------------------------------------------- the document


def _starts_indicators(key: str) -> bool:
    return (
        "三级指标" in key
        or ("一级指标" in key and "二级指标" in key)
        or ("指标名称" in key and ("指标值" in key or "目标值" in key))
        or key in ("一级指标", "指标名称")
    )


def _task_header_at(row: list[Cell], ahead: Ahead) -> int | None:
    """Where a task table's header starts in a row: 任务名称, or 项目名称 followed by header words
    (a 项目名称 with a value names the project of a 项目支出 form)."""
    for k, c in enumerate(row):
        if c.key.startswith("任务名称"):
            return k
        if c.key in NAME_LABELS or c.key.rstrip(":：") in NAME_LABELS:
            after = row[k + 1 :] or (ahead[0] if ahead else [])
            if after and _is_task_header_cell(after[0]):
                return k
    return None


def _starts_part(row: list[Cell], ahead: Ahead) -> bool:
    """A title or a task header after the indicators: another declaration in the same file."""
    if not any("申报表" in c.key or "名称" in c.key for c in row[:2]):
        return False  # a part opens with its title or its header ('## 单位整体…申报表')
    key = _row_key(row)
    if "绩效目标申报表" in key.lstrip("#"):
        return True
    return _task_header_at(row, ahead) is not None or _project_name(row, ahead) is not None


def _with_lookahead(rows: Iterator[list[Cell]]) -> Iterator[tuple[list[Cell], Ahead]]:
    """Each row with the few rows after it (valid until the next row is taken); rows are read as
    they come, never all held (a long document's cells would keep the garbage collector busy)."""
    window: deque[list[Cell]] = deque()
    for row in rows:
        window.append(row)
        if len(window) > HEADER_LOOKAHEAD_ROWS:
            current = window.popleft()
            yield current, window
    while window:
        current = window.popleft()
        yield current, window


def parse(doc) -> Parsed:
    lines = doc.lines
    head: list[list[Cell]] = []  # the rows of the first lines, for the metadata
    tables = [_TaskTable()]
    projects: list[_Project] = []
    indicators = _IndicatorTable()
    state = "head"
    head_end = min(len(lines), MAX_HEAD_LINES)  # metadata is read above the first table
    head_set = False
    for row, ahead in _with_lookahead(layout.group_rows(doc.layout_cells)):
        table = tables[-1]
        n = row[0].line
        if n <= MAX_HEAD_LINES:
            head.append(row)
        if state == "indicators":  # the bulk of a document
            first = row[0].key[:1]
            if first in _FOOTER_FIRST and row[0].key.startswith(_FOOTER_WORDS):
                break
            if not _starts_part(row, ahead):
                indicators.row(row)
                continue
            indicators.close()
            table = _TaskTable()
            tables.append(table)
            state = "head"
        key = _row_key(row)
        if state != "task_header" and _starts_indicators(key):
            table.close_pending()
            state = "indicators"
            indicators.row(row)  # the header row may hold the rows (a table on one line)
            continue
        if state == "project":
            if projects[-1].row(row, lines[max(0, n - MAX_HEAD_LINES) : n - 1]):
                if not head_set and projects[-1].funds_line is not None:
                    head_end, head_set = projects[-1].funds_line - 1, True
                continue
            state = "between"
        if state == "head":
            k = _task_header_at(row, ahead)
            if k is not None:
                state, table.first_line = "task_header", n
                if not head_set:
                    head_end, head_set = n - 1, True
                j = k + 1
                while j < len(row) and _is_task_header_cell(row[j]):
                    j += 1
                table.header(row[k:j])
                rest = row[j:]
                if rest and _has_amount(rest):  # a whole table flattened onto its header row
                    table.finish_header(_lines_before(lines, n))
                    state = "tasks" if table.row(rest) else "between"
                continue
            named = _project_name(row, ahead)
            if named is not None:
                projects.append(_Project(*named, named[1], len(indicators.rows)))
                state = "project"
            continue
        if state == "task_header":
            if key in _TASK_LABEL_KEYS or _is_header_row(row) or _header_follows(ahead):
                table.header(row)
                continue
            table.finish_header(_lines_before(lines, table.first_line))
            state = "tasks"
        if state == "tasks":
            if key.startswith(_SECTION_BREAKS):
                table.close_pending()
                state = "between"
            elif not table.row(row):
                state = "between"
    if state == "task_header":
        tables[-1].finish_header(_lines_before(lines, tables[-1].first_line))

    meta = _meta(head, lines, head_end)
    meta["amount_unit"] = (
        projects[0].unit if projects and tables[0].first_line is None else tables[0].unit
    )
    out: list[dict] = []
    findings: list[Finding] = []
    checked: list = []  # the printed totals compared, for Parsed.totals
    for table in tables:
        if table.first_line is None:
            continue
        table_rows, table_findings, lost = table.rows()
        out += table_rows
        findings += table_findings
        if table.printed_total is not None:
            budgets = [r["budget_wan"] for r in table_rows if r["budget_wan"] is not None]
            findings += check_total(
                "任务表「金额合计」",
                to_wan(table.printed_total, table.unit),
                sum(budgets),
                table.total_line,
                missing=len(table_rows) - len(budgets) + lost,
                totals=checked,
            )
    for project in projects:
        row, project_findings = project.result(checked)
        out.append(row)
        findings += project_findings
    if tables[0].first_line is None and not projects:
        findings.append(
            Finding(
                "MISSING_TABLE", "未找到「任务名称 / 预算金额」任务表，本文件没有读出任务预算。"
            )
        )
    ind_rows = indicators.finish()
    if projects and tables[0].first_line is None:  # 项目支出 forms: the indicators of each
        names = [r["project"] for r in out[-len(projects) :]]
        for k, project in enumerate(projects):
            end = projects[k + 1].first_indicator if k + 1 < len(projects) else len(ind_rows)
            for row in ind_rows[project.first_indicator : end]:
                row["project"] = names[k]
    findings += indicators.findings
    return Parsed(meta=meta, projects=out, indicators=ind_rows, findings=findings, totals=checked)


def _lines_before(lines: list[str], first_line: int | None) -> list[str]:
    """The lines just above a task header, where a '单位：元' note may stand."""
    end = (first_line or 1) - 1
    return lines[max(0, end - MAX_HEAD_LINES) : end]
