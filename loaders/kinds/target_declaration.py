"""Kind target_declaration: 整体支出绩效目标申报表 — task budgets and indicator targets, no execution.

Layout read (the same standard form from any unit):
- a title, the year as '( 2024 年度)', then 单位名称 … 主管部门 … whose values may wrap across cells;
- a task table 任务名称 | 主要内容 | 预算金额 (总额 | 财政拨款 | 其他资金), one row per task, closed by
  金额合计. Rows come as tab cells, space-separated, one cell per line, or OCR-flattened into a
  paragraph where a short name sits in the prose before its amounts (total = fiscal + other);
- 年度总体目标 prose;
- an indicator table 一级指标 | 二级指标 | 三级指标 | 指标值 whose 一级/二级 labels sit in merged cells,
  printed in the middle of their group or on lines of their own.
Header lines set the context for the rows after them; nothing depends on line numbers or names.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import accumulate

from ..crosscheck import check_total
from ..detection import keyword_score, squeeze
from ..findings import Finding
from ..metadata import find_amount_unit, find_year
from ..numbers import parse_amount, to_halfwidth, to_wan
from ..rows import cell_line_rows, clean_name, indicator_row, is_cell_line_export, project_row
from ..targets import is_not_applicable
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
# within this many non-empty lines.
HEADER_LOOKAHEAD_LINES = 3
# An unrecognised cell ending in 指标 this short is a piece of a label, not an indicator.
MAX_LABEL_FRAGMENT_CHARS = 6
# Distinct target texts whose parsed row is kept (they repeat: '100%', '≥90%', '有效提高').
TARGET_CACHE_SIZE = 4096
# An amount cell is at most this long ('1, 234, 567. 8900 元').
MAX_AMOUNT_CELL_CHARS = 32
# A task-table header cell is at most this long ('预算金额 (万元)').
MAX_HEADER_CELL_CHARS = 20
# A short qualitative target ('有效提高') has at most this many characters.
MAX_QUALITATIVE_TARGET_CHARS = 8
# A numeric target ('≥1000人次', '约400份') has at most this many characters.
MAX_NUMERIC_TARGET_CHARS = 20

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
    + r"|[（(]\s*[A-Za-z]?\s*[)）]|[（(]\s*万?元\s*[)）])"
)
_TASK_HEADER_RE = re.compile(_HEADER_WORD)
# A cell made of header words only: '预算金额(万元)', '预算数(A)'.
_TASK_HEADER_CELL = re.compile(f"(?:{_HEADER_WORD})+")
_TASK_LABEL_LINES = frozenset({"年度主要任务", "主要任务"})
_TOTAL_LABEL = re.compile(r"^(?:金额|预算|资金)?(?:合计|总计)[:：]?$")
_UNIT_IN_HEADER = re.compile(r"[（(]\s*(万元|元)\s*[）)]|单位\s*[：:]\s*(万元|元)")

_IND_HEADER_WORDS = frozenset(
    {
        "一级指标",
        "二级指标",
        "三级指标",
        "指标值",
        "年初目标值",
        "年度目标值",
        "目标值",
        "年度指标值",
        "指标名称",
        "绩效指标",
        "年度绩效指标",
        "指标内容",
        "预期目标",
        "年度绩效目标",
    }
)
_SECTION_BREAKS = ("年度总体目标", "总体目标", "长期目标", "中期目标")
_FOOTER_WORDS = ("填报人", "联系人", "联系电话", "填报日期", "审核人", "单位负责人", "财务负责人")
_FOOTER_FIRST = frozenset(w[0] for w in _FOOTER_WORDS)

_META_LABELS = (
    ("单位名称", "unit"),
    ("申报单位", "unit"),
    ("填报单位", "unit"),
    ("部门名称", "unit"),
    ("主管部门", "parent_unit"),
    ("主管单位", "parent_unit"),
    ("预算部门", "parent_unit"),
)
_META_SPLIT = re.compile("(?=" + "|".join(label for label, _key in _META_LABELS) + ")")
_UNIT_END = re.compile(
    r"(?:局|委员会|委|中心|院|所|站|办公室|办|校|馆|会|部|处|队|厅|署|室|政府)"
    r"(?:[（(][^）)]{1,8}[）)])?$"
)

# An amount in running text: decimals required, OCR gaps allowed after separators ('2, 306. 00').
_AMOUNT_IN_TEXT = re.compile(
    r"(?<![\d.,])(?:\d{1,3}(?:\s?,\s?\d{3})+|\d+)\s?\.\s?\d{1,4}(?![\d%‰])"
)
_WIDE_GAP = re.compile(r"\s{2,}")
_WIDE_GAP_INSIDE = re.compile(r"\S\s{2,}\S")
_DROP_SEPARATORS = str.maketrans("", "", ", \t\u3000")
_GROUP_GAP = re.compile(r"^[\s|｜]*$")
_CHUNK_SPLIT = re.compile(r"[\s|｜]+")
_SENTENCE_PUNCT = re.compile(r"[，,。；;：:、！？!?《》〔〕]|(?<!\d)\.|\.(?!\d)")
_BRACKETED = re.compile(r"^[（(][^（()）]*[）)]$")
_PLACEHOLDER = re.compile(r"^[_＿\-—－–/／.…·]+$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NA_HINT = re.compile("适用|此项|涉及")
_CJK_PAIR = re.compile(r"[\u4e00-\u9fff]{2}")
# A name whose words start with a number: '65岁以上老人定期体检', '120急救网络建设'.
_DIGIT_LED_NAME = re.compile(r"\d{1,4}[\u4e00-\u9fff]")


# Indicator labels. A 二级 label names a family; each family belongs to one 一级 label.
_WEIGHT_SUFFIX = r"(?:[（(]\s*\d+(?:\.\d+)?\s*分?\s*[)）])?$"
_LEVEL2_LABEL = re.compile(
    r"^(?P<label>(?:数量|质量|时效|成本|经济效益|社会效益|生态效益|可持续影响|服务对象满意度|其他满意度"
    r"|社会公众满意度|群众满意度)指标)" + _WEIGHT_SUFFIX
)
_LEVEL1_LABEL = re.compile(r"^(?P<label>(?:产出|效益|满意度)指标)" + _WEIGHT_SUFFIX)
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
    }
)
_NUMERIC_TARGET = re.compile(
    r"^(?:[≥≤<>=＞＜≧≦]|约|不低于|不少于|不高于|不超过|不大于|不小于|达到|大于|小于|低于|高于|控制在)?\s*\d"
)
_OPERATOR_ONLY = re.compile(r"^(?:[≥≤<>=＞＜≧≦]|约|不低于|不少于|不高于|不超过|达到|控制在)$")


def detect(doc) -> float:
    return keyword_score(doc.head, KEYWORDS)


# ---------------------------------------------------------------- text helpers


def _split_cells(line: str) -> tuple[list[str], bool]:
    """Cells of a line, and whether the line is laid out in cells (tabs or runs of 2+ spaces).

    The first cell is empty when the line starts with a separator (a continuation row).
    """
    if "\t" in line:
        return [c.strip() for c in line.split("\t")], True
    if "  " in line and _WIDE_GAP_INSIDE.search(line):
        cells = [c.strip() for c in _WIDE_GAP.split(line.strip())]
        return ([""] + cells) if line[:1].isspace() else cells, True
    return [line.strip()], False


def _has_cjk_word(text: str) -> bool:
    """Two CJK characters in a row: a word, not OCR debris such as '中3 XX 1日 47A'."""
    return _CJK_PAIR.search(text) is not None


@lru_cache(maxsize=TARGET_CACHE_SIZE)
def _amount(cell: str) -> float | None:
    """parse_amount, after a cheap test: an amount cell is short and starts like a number."""
    s = cell.strip()
    if not s or len(s) > MAX_AMOUNT_CELL_CHARS or not (s[0].isdigit() or s[0] in "+-.－"):
        return None
    return parse_amount(s)


def _is_placeholder(cell: str) -> bool:
    return bool(cell) and bool(_PLACEHOLDER.match(to_halfwidth(cell).strip()))


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


def _chunks(text: str) -> list[str]:
    return [c for c in _CHUNK_SPLIT.split(text) if c.strip("|｜ ")]


@dataclass
class _Group:
    """Consecutive amounts in running text."""

    start: int
    end: int
    values: list[float]


def _amount_groups(text: str) -> list[_Group]:
    groups: list[_Group] = []
    for m in _AMOUNT_IN_TEXT.finditer(text):
        # the pattern admits only digits, separators and OCR gaps: drop the last two and convert
        value = float(m.group(0).translate(_DROP_SEPARATORS))
        if groups and _GROUP_GAP.match(text[groups[-1].end : m.start()]):
            groups[-1].end = m.end()
            groups[-1].values.append(value)
        else:
            groups.append(_Group(m.start(), m.end(), [value]))
    return groups


def _sum_order(values: list[float | None]) -> int | None:
    """Index of the amount that is the sum of the other two (total = fiscal + other), or None."""
    if len(values) != 3 or None in values:
        return None
    for i in sorted(range(3), key=lambda k: -values[k]):
        if abs(values[i] - (sum(values) - values[i])) <= SUM_TOLERANCE:
            return i
    return None


def _header_prefix(text: str) -> int:
    """Where the header words at the start of a line end (rows may follow on the same line)."""
    end = 0
    for m in _TASK_HEADER_RE.finditer(text):
        if text[end : m.start()].strip() and end:
            break
        end = m.end()
    return end


# ---------------------------------------------------------------- task table


@dataclass
class _Task:
    name: str
    line: int
    end_line: int
    amounts: list[float | None] = field(default_factory=list)
    garbled: bool = False  # recovered from an OCR-flattened paragraph
    lost: bool = False  # a table row whose name and amounts are placeholders
    row: bool = False  # name and amounts printed on one line (a tab, spaced or flattened row)
    # A line holding only a name, right below such a row: if no amounts come for it, it is the
    # rest of that row's name, wrapped in its cell.
    wrap_of: _Task | None = None


@dataclass
class _TaskTable:
    """Line-oriented reader of the task table: rows, their amounts and the printed total."""

    cols: list[str] = field(default_factory=list)
    unit: str = "万元"
    header_text: list[str] = field(default_factory=list)
    first_line: int | None = None
    tasks: list[_Task] = field(default_factory=list)
    pending: _Task | None = None
    total_line: int | None = None
    total_values: list[float] | None = None
    awaiting_total: bool = False
    findings: list[Finding] = field(default_factory=list)

    # -- header

    def header(self, text: str) -> None:
        self.header_text.append(text)
        for m in _TASK_HEADER_RE.finditer(squeeze(text)):
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
        m = _UNIT_IN_HEADER.search(" ".join(self.header_text))
        unit = (m.group(1) or m.group(2)) if m else find_amount_unit("\n".join(lines_before))
        self.unit = unit or "万元"

    @property
    def total_index(self) -> int:
        return self.cols.index(TOTAL) if TOTAL in self.cols else 0

    # -- rows

    def line(self, n: int, text: str) -> bool:
        """Read one line of the table; False once the table is closed by its total."""
        sq = squeeze(text)
        if not sq or sq in _TASK_LABEL_LINES:
            return True
        if self.awaiting_total:
            return self._total_continues(text)
        cells, celled = _split_cells(text)
        if celled:
            return self._cell_row(n, cells)
        if _TOTAL_LABEL.match(sq):
            self._open_total(n, [])
            return True
        return self._text_row(n, text)

    def _open_total(self, n: int, values: list[float]) -> bool:
        self.close_pending()
        self.total_line = n
        if values:
            self.total_values = values
            return False
        self.awaiting_total = True
        return True

    def _total_continues(self, text: str) -> bool:
        values = [v for g in _amount_groups(text) for v in g.values] or [
            v for v in [_amount(text.strip())] if v is not None
        ]
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

    def _cell_row(self, n: int, cells: list[str]) -> bool:
        filled = [c for c in cells if c]
        if not filled:
            return True
        if _TOTAL_LABEL.match(squeeze(filled[0])):
            values = [v for c in filled[1:] if (v := _amount(c)) is not None]
            return self._open_total(n, values)
        if any(
            len(c) <= MAX_HEADER_CELL_CHARS and _TASK_HEADER_CELL.fullmatch(squeeze(c))
            for c in filled
        ) and not any(_amount(c) is not None for c in filled):
            return True  # the header repeated after a page break
        # Trailing amount cells, right to left; a placeholder stands for an amount not printed.
        amounts: list[float | None] = []
        end = len(cells)
        while end > 0:
            c = cells[end - 1]
            value = _amount(c) if c else None
            if c and value is None and not _is_placeholder(c):
                break
            if c:
                amounts.insert(0, value)
            end -= 1
        texts = [c for c in cells[:end] if c]
        if not texts:
            if _is_placeholder(cells[0]) and len(filled) >= 2 and all(v is None for v in amounts):
                self._lost_row(n)
            elif any(v is not None for v in amounts):
                self._amounts_for_pending(n, amounts)
            return True
        if not any(v is not None for v in amounts) and any(
            len(g.values) >= 2 for t in texts for g in _amount_groups(t)
        ):
            return self._text_row(n, " ".join(texts))  # a flattened paragraph inside a cell
        if not cells[0]:
            # A continuation row: a wrapped description, perhaps with the amounts of the row above.
            if self.pending is not None:
                self.pending.end_line = n
                if amounts:
                    self._amounts_for_pending(n, amounts)
            return True
        self.close_pending()
        task = _Task(texts[0], n, n)
        if amounts:
            task.amounts, task.row = amounts, True
            self.tasks.append(task)
        else:
            if len(texts) == 1:  # the name cell alone: perhaps the wrapped rest of a name
                task.wrap_of = self._wrapped_above(n, texts[0])
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

    def _lost_row(self, n: int) -> None:
        self.close_pending()
        self.tasks.append(_Task(f"（第{n}行任务名称缺失）", n, n, lost=True))
        self.findings.append(
            Finding(
                "PARTIAL_ROW",
                f"第{n}行是任务表中的一行，但任务名称和预算金额都只印出占位符，请对照原件补录。",
                source_line=n,
            )
        )

    def _amounts_for_pending(self, n: int, amounts: list[float | None]) -> None:
        if self.pending is None:
            printed = " / ".join("—" if v is None else f"{v:,.2f}" for v in amounts)
            self.findings.append(
                Finding(
                    "ORPHAN_ROWS",
                    f"第{n}行的金额（{printed}）前没有任务名称，未计入任何任务，请对照原件核对。",
                    source_line=n,
                    end_line=n,
                )
            )
            return
        self.pending.amounts.extend(amounts)
        self.pending.end_line = n
        if len(self.pending.amounts) >= len(self.cols):
            self.close_pending()

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

    def _text_row(self, n: int, text: str) -> bool:
        """A line without cells: one cell per line, a space-separated row, or a flattened paragraph."""
        stripped = text.strip()
        groups = _amount_groups(text)
        if not groups:
            single = _amount(stripped)
            if _is_placeholder(stripped):
                if self.pending is not None and self.pending.amounts:
                    self._amounts_for_pending(n, [None])  # an amount printed as '—'
            elif single is not None:
                self._amounts_for_pending(n, [single])
            elif self.pending is None or self.pending.amounts:
                self.close_pending()
                self.pending = _Task(_leading_name(_chunks(stripped)) or stripped, n, n)
                if not text[:1].isspace():  # a wrapped name goes on in its column, the first
                    self.pending.wrap_of = self._wrapped_above(n, stripped)
            else:
                self.pending.end_line = n  # the wrapped description of the pending task
            return True
        pos = 0
        for group in groups:
            chunks = _chunks(text[pos : group.start])
            pos = group.end
            if chunks and _TOTAL_LABEL.match(squeeze(chunks[-1])):
                return self._open_total(n, list(group.values))
            if not chunks:
                self._amounts_for_pending(n, list(group.values))
                continue
            name = _leading_name(chunks)
            if name is None and self.pending is not None and not self.pending.amounts:
                self._amounts_for_pending(n, list(group.values))
                continue
            if name is None:
                self._garbled(n, chunks, group)
                continue
            self.close_pending()
            self.tasks.append(_Task(name, n, n, list(group.values), row=len(groups) == 1))
        return True

    def _garbled(self, n: int, chunks: list[str], group: _Group) -> None:
        """OCR flattened the table into prose: the name is the name-like chunk nearest the amounts,
        and the amounts must hold together (total = fiscal + other)."""
        name = next((c.strip("|｜ ") for c in reversed(chunks) if _name_like(c)), None)
        if name is None or (len(self.cols) >= 3 and _sum_order(group.values) is None):
            printed = " / ".join(f"{v:,.2f}" for v in group.values)
            self.findings.append(
                Finding(
                    "ORPHAN_ROWS",
                    f"第{n}行段落中的金额（{printed}）找不到对应的任务名称，未计入任务，请对照原件核对。",
                    source_line=n,
                    end_line=n,
                )
            )
            return
        self.close_pending()
        self.tasks.append(_Task(name, n, n, list(group.values), garbled=True))

    # -- results

    def rows(self, ends: dict[int, int]) -> tuple[list[dict], list[Finding]]:
        """Task rows and findings; `ends` gives the last line of rows printed over several lines."""
        self.close_pending()
        rows: list[dict] = []
        findings = [
            replace(f, end_line=ends[f.end_line]) if f.end_line in ends else f
            for f in self.findings
        ]
        for task in self.tasks:
            task.end_line = ends.get(task.end_line, task.end_line)
            name = clean_name(task.name) or task.name
            total, note = self._pick_total(task, name)
            if note:
                findings.append(note)
            if total is None and not task.lost:
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
        return rows, findings

    def _pick_total(self, task: _Task, name: str) -> tuple[float | None, Finding | None]:
        """The 总额 of a row, and a finding where the printed amounts needed interpreting."""
        values, t = task.amounts, self.total_index
        where = f"第{task.line}行" + ("一段OCR错乱的文字" if task.garbled else "")
        printed = " / ".join("—" if v is None else f"{v:,.2f}" for v in values)

        def note(code: str, message: str, severity: str = "") -> Finding:
            return Finding(code, message, severity=severity, project=name, source_line=task.line)

        if len(self.cols) >= 3 and len(values) == 3 and None not in values:
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
        return (values[t] if t < len(values) else None), None


# ---------------------------------------------------------------- indicator table


def _label(cell: str) -> tuple[str, str] | None:
    """('level1' | 'level2', label) for a label cell such as '数量指标' or '产出指标'."""
    if "指" not in cell:
        return None  # most cells: no label, no regex
    s = squeeze(cell)
    for level, pattern in (("level2", _LEVEL2_LABEL), ("level1", _LEVEL1_LABEL)):
        m = pattern.match(s)
        if m:
            return level, m.group("label")
    return None


def _cell_labels(cell: str) -> list[tuple[str, str]]:
    """Labels in a cell; OCR may glue a fragment to a label ('意度指标 服务对象满意度指标')."""
    if "指" not in cell:
        return []
    whole = _label(cell)
    if whole:
        return [whole]
    return [lab for part in cell.split() if (lab := _label(part))]


def _maybe_not_applicable(name: str, target: str) -> bool:
    """A cheap test before is_not_applicable: 不适用 / 无此项 / 不涉及 all share these characters."""
    return _NA_HINT.search(name) is not None or _NA_HINT.search(target) is not None


def _is_ind_header(cell: str) -> bool:
    return ("指" in cell or "目标" in cell) and squeeze(cell) in _IND_HEADER_WORDS


def _label_fragment(cell: str) -> bool:
    """An OCR piece of a label ('意度指标'): short, ends in 指标, names no family we know."""
    if "指标" not in cell:
        return False
    s = squeeze(cell)
    return s.endswith("指标") and len(s) <= MAX_LABEL_FRAGMENT_CHARS and _label(s) is None


@lru_cache(maxsize=256)
def _family(label: str | None) -> str | None:
    """数量 / 质量 / … / 效益 / 满意度 for a label; labels are few, so the answer is cached."""
    if not label:
        return None
    return next((fam for word, fam in _FAMILY_OF if word in label), None)


@lru_cache(maxsize=TARGET_CACHE_SIZE)
def _target_like(cell: str) -> bool:
    """Whether a cell reads as a target value rather than (part of) an indicator name."""
    s = to_halfwidth(cell).strip()
    if not s:
        return False
    if s in _SHORT_TARGETS or (_NA_HINT.search(s) and is_not_applicable(s)):
        return True
    if _NUMERIC_TARGET.match(s) and len(s) <= MAX_NUMERIC_TARGET_CHARS:
        return True
    return len(s) <= MAX_QUALITATIVE_TARGET_CHARS and bool(_QUALITATIVE_TARGET.match(s))


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


def _glue_tokens(tokens: list[str]) -> list[str]:
    """Rejoin targets split by a space: '≥1000' '人次' -> '≥1000人次', '≥' '90%' -> '≥90%'."""
    out: list[str] = []
    for tok in tokens:
        if out and out[-1][-1:].isdigit() and _COUNT_UNITS.fullmatch(tok):
            out[-1] += tok
        elif out and _OPERATOR_ONLY.match(out[-1]):
            out[-1] += tok
        else:
            out.append(tok)
    return out


@dataclass
class _IndicatorTable:
    """Line-oriented reader of the indicator table; labels become anchors between or on rows."""

    rows: list[dict] = field(default_factory=list)
    anchors: list[tuple[float, str, str]] = field(default_factory=list)  # (position, level, label)
    pending: dict | None = None
    findings: list[Finding] = field(default_factory=list)
    waiting: list[tuple[int, tuple[str, str]]] = field(default_factory=list)  # (line, label)
    # The last row read from a line of its own (name and target side by side), by its line.
    row_line: int | None = None

    def line(self, n: int, text: str) -> None:
        cells, celled = _split_cells(text)
        if not celled:
            self._cell(n, text)
            return
        filled = [c for c in cells if c and not _is_ind_header(c)]
        if not filled:
            return
        labels, rest = [], []
        for c in filled[:-1]:
            found = _cell_labels(c)
            labels += found
            if not found:
                rest.append(c)
        rest.append(filled[-1])
        if len(rest) >= 2:
            # name and target are the last two cells; earlier cells are labels or OCR debris
            self._flush()
            self._emit(rest[-2], rest[-1], n, labels)
            self.row_line = n
            return
        self.waiting += [(n, lab) for lab in labels]
        self._cell(n, rest[0])

    def _cell(self, n: int, cell: str) -> None:
        """One cell, or a line without cells: a row or a whole table flattened with spaces when it
        ends with a target, else one piece of a name printed one cell per line."""
        if " " not in cell and "\u3000" not in cell:  # one cell per line: no tokens to split
            tokens = [] if _is_ind_header(cell) else [cell.strip()]
        else:
            tokens = _glue_tokens([t for t in cell.split() if not _is_ind_header(t)])
        if not tokens:
            return
        if len(tokens) > 1 and _target_like(tokens[-1]):
            for tok in tokens:
                self._stream(n, tok)
        else:
            self._stream(n, " ".join(tokens))

    def _stream(self, n: int, cell: str) -> None:
        labels = _cell_labels(cell)
        if labels:
            self.waiting += [(n, lab) for lab in labels]
        elif _label_fragment(cell):
            return
        elif self.pending is None:
            if _has_cjk_word(cell):
                self.pending = {"name": cell, "line": n}
                if self.row_line == n - 1 and self.rows and self.rows[-1]["line"] == n - 1:
                    # right below a row: if no target follows, the rest of its wrapped name
                    self.pending["wrap_of"] = self.rows[-1]
            # else OCR debris such as '中3 XX 1日 47A': no name starts with it
        elif _target_like(cell):
            self._emit(self.pending["name"], cell, self.pending["line"], [])
            self.pending = None
        else:
            self.pending["name"] += cell

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
        fixed = {}
        for level, label in labels + [lab for _ln, lab in own]:
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
                **_target_template(r["target"]),
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


def _meta(doc, upto: int) -> dict:
    """unit / parent_unit from the labelled cells above the task table, wrapped values joined."""
    cells: list[str] = []
    for n in range(1, min(upto, MAX_HEAD_LINES, len(doc.lines)) + 1):
        # labels split a cell too: '单位名称 A 主管部门 B' printed with single spaces is one cell
        cells += [part for c in doc.filled(n) for part in _META_SPLIT.split(squeeze(c)) if part]
    meta: dict = {}
    stops = tuple(label for label, _key in _META_LABELS) + _TASK_HEADER_START
    for i, cell in enumerate(cells):
        label, key = next(((lb, k) for lb, k in _META_LABELS if cell.startswith(lb)), (None, None))
        if label is None or key in meta:
            continue
        inline = cell[len(label) :].lstrip("：:")
        parts = [inline] if inline else []
        j = i + 1
        while (
            j < len(cells)
            and len(parts) < MAX_JOIN_CELLS
            and not (parts and _UNIT_END.search("".join(parts)))
            and not cells[j].startswith(stops)
        ):
            parts.append(cells[j])
            j += 1
        joined = "".join(parts)
        value = joined if _UNIT_END.search(joined) else (parts[0] if parts else "")
        value = re.sub(r"[（(]盖章[）)]", "", value).strip("：:")
        if len(_CJK.findall(value)) >= MIN_NAME_CHARS:
            meta[key] = value
    for n in range(1, min(len(doc.lines), MAX_HEAD_LINES) + 1):
        if "申报表" in squeeze(doc.line(n)):
            meta["title"] = squeeze(doc.line(n)).lstrip("#")
            break
    # the year is printed in the title area: '( 2024 年度)'; conform() looks further if need be
    year = find_year("\n".join(doc.lines[: min(upto, MAX_HEAD_LINES) + 1]))
    if year:
        meta["year"] = year
    return meta


# ---------------------------------------------------------------- the document


def _starts_indicators(sq: str) -> bool:
    return (
        "三级指标" in sq
        or ("一级指标" in sq and "二级指标" in sq)
        or ("指标名称" in sq and ("指标值" in sq or "目标值" in sq))
        or sq in ("一级指标", "指标名称")
    )


def _has_amount(text: str) -> bool:
    return _AMOUNT_IN_TEXT.search(text) is not None or _amount(text.strip()) is not None


def _is_header_line(text: str) -> bool:
    """Header cells only (任务名称, 预算金额(万元), 总额 …), and no amount."""
    cells = [c for c in _split_cells(text)[0] if c]
    return any(
        len(c) <= MAX_HEADER_CELL_CHARS and _TASK_HEADER_CELL.fullmatch(squeeze(c)) for c in cells
    ) and not _has_amount(text)


def _header_follows(lines: list[str], n: int) -> bool:
    """Whether a header word comes within the next few non-empty lines (debris inside a header)."""
    seen = 0
    for text in lines[n : n + 4 * HEADER_LOOKAHEAD_LINES]:
        if not text.strip():
            continue
        if _has_amount(text):
            return False
        if _is_header_line(text):
            return True
        seen += 1
        if seen >= HEADER_LOOKAHEAD_LINES:
            return False
    return False


def _starts_part(text: str) -> bool:
    """A title or a task header after the indicators: another declaration in the same file."""
    if "申报表" not in text and "名称" not in text:
        return False
    sq = squeeze(text).lstrip("#")
    if "绩效目标申报表" in sq:
        return True
    return any(w in sq for w in _TASK_HEADER_START) and (
        sq in _TASK_HEADER_START or "主要内容" in sq or _TASK_HEADER_RE.search(sq) is not None
    )


def _row_lines(doc) -> tuple[list[str], dict[int, int]]:
    """The lines to read, and the last line of each row printed over several lines.

    A one-cell-per-line export (cells led by tabs, blank lines between rows) becomes tab-separated
    rows, each on the line where it starts and the rest of its lines left empty, so that line
    numbers stay the document's.
    """
    if not is_cell_line_export(doc.text):
        return doc.lines, {}
    texts = [""] * len(doc.lines)
    ends: dict[int, int] = {}
    for first, last, cells in cell_line_rows(doc.lines):
        texts[first - 1] = "\t".join(cells) if len(cells) > 1 else cells[0]
        if last > first:
            ends[first] = last
    return texts, ends


def parse(doc) -> Parsed:
    tables = [_TaskTable()]
    indicators = _IndicatorTable()
    state = "head"
    head_end = min(len(doc.lines), MAX_HEAD_LINES)  # metadata is read above the first task table
    lines, ends = _row_lines(doc)
    for n, text in enumerate(lines, start=1):
        table = tables[-1]
        if state == "indicators":  # the bulk of a document: no squeezing of every line
            first = text.lstrip()[:1]
            if not first:
                continue
            if first in _FOOTER_FIRST and squeeze(text).startswith(_FOOTER_WORDS):
                break
            if not _starts_part(text):
                indicators.line(n, text)
                continue
            indicators.close()
            table = _TaskTable()
            tables.append(table)
            state = "head"
        sq = squeeze(text).lstrip("#")
        if not sq:
            continue
        if state in ("head", "tasks", "between") and _starts_indicators(sq):
            table.close_pending()
            state = "indicators"
        if state == "head":
            if any(w in sq for w in _TASK_HEADER_START):
                state, table.first_line = "task_header", n
                if len(tables) == 1:
                    head_end = n - 1
                cut = _header_prefix(text)
                table.header(text[:cut])
                if _amount_groups(text[cut:]):  # a whole table flattened onto its header line
                    table.finish_header(_lines_before(doc, n))
                    state = "tasks" if table.line(n, text[cut:]) else "between"
            continue
        if state == "task_header":
            is_header = sq in _TASK_LABEL_LINES or _is_header_line(text)
            if is_header or _header_follows(lines, n):
                table.header(text)
                continue
            table.finish_header(_lines_before(doc, table.first_line))
            state = "tasks"
        if state == "tasks":
            if sq.startswith(_SECTION_BREAKS):
                table.close_pending()
                state = "between"
            elif not table.line(n, text):
                state = "between"
            continue
        if state == "indicators":
            indicators.line(n, text)
    if state == "task_header":
        tables[-1].finish_header(_lines_before(doc, tables[-1].first_line))

    meta = _meta(doc, head_end)
    meta["amount_unit"] = tables[0].unit
    rows: list[dict] = []
    findings: list[Finding] = []
    checked: list[dict] = []  # the printed totals compared, for Parsed.totals
    for table in tables:
        table_rows, table_findings = table.rows(ends)
        rows += table_rows
        findings += table_findings
        if table.printed_total is not None:
            budgets = [r["budget_wan"] for r in table_rows if r["budget_wan"] is not None]
            findings += check_total(
                "任务表「金额合计」",
                to_wan(table.printed_total, table.unit),
                sum(budgets),
                table.total_line,
                missing=len(table_rows) - len(budgets),
                totals=checked,
            )
    if tables[0].first_line is None:
        findings.append(
            Finding(
                "MISSING_TABLE", "未找到「任务名称 / 预算金额」任务表，本文件没有读出任务预算。"
            )
        )
    ind_rows = indicators.finish()
    findings += indicators.findings
    return Parsed(meta=meta, projects=rows, indicators=ind_rows, findings=findings, totals=checked)


def _lines_before(doc, first_line: int | None) -> list[str]:
    """The lines just above a task header, where a '单位：元' note may stand."""
    end = (first_line or 1) - 1
    return doc.lines[max(0, end - MAX_HEAD_LINES) : end]
