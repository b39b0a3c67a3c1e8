"""Kind final_accounts: a 部门决算 with its tables, a project self-evaluation narrative and annexes.

Layout read (部门决算 publications, text pulled out of PDF):
- 部门决算表: 收入支出决算总表 (本年收入合计 / 本年支出合计) and 支出决算表 (the 合计 row under
  本年支出合计 / 基本支出 / 项目支出), each under its own 单位：万元 (or 元) line;
- 情况说明 prose, among it "财政拨款支出年初预算 … 万元，…财政拨款支出 … 万元，完成年初预算的 …%";
- a numbered narrative of project self-evaluations, "(6) X的Y绩效自评综述：… 项目自评得分 96 分。
  项目全年预算数 300 万元，执行数 … 万元，预算执行率 …%", wrapped anywhere, even inside a word;
- 附件一: 部门整体支出绩效目标完成情况自评表 (tasks with 金额合计, indicators with floating
  一级/二级 labels) and 部门整体支出绩效评分表 (rubric rows, 综合评分, 评分等级);
- 附件二: one 项目支出绩效自评表 per project (项目名称, 项目资金 (元), 年度资金总额 row, indicator
  rows, 总分), split across page breaks, cells shifted, ##### where a number overflowed its cell.

Tables are read as a stream of cells, so tab-separated, space-separated, one-cell-per-line and
flattened layouts go through the same state machines; a line holding a few cells also ends a row.
The narrative is read as prose: its lines are joined first, so wrapping does not matter.
"""

from __future__ import annotations

import bisect
import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..crosscheck import AMOUNT_TOLERANCE_WAN, check_total, check_weights, fmt
from ..detection import keyword_score, squeeze
from ..findings import Finding
from ..metadata import find_parent, find_unit, find_year
from ..numbers import EMPTY_MARKS, is_overflow, parse_amount, parse_rate, to_halfwidth, to_wan
from ..rows import (
    FUNDS_COLUMNS,
    FUNDS_LABELS,
    cell_above,
    clean_name,
    indicator_row,
    is_cell_line_export,
    project_row,
)
from . import Parsed

KIND = "final_accounts"
LABEL = "部门决算"  # its name in the dashboard
KEYWORDS: dict[str, float] = {
    "部门决算": 0.5,
    "收入支出决算总表": 0.3,
    "决算表": 0.1,
    "财政拨款收入支出决算": 0.1,
    "本年支出合计": 0.1,
}

# A line with more cells than this is a flattened table: its cells carry no row boundary.
MAX_ROW_CELLS = 14
# A tab-less, single-spaced line is split into cells when it has at least this many parts
# and it looks like a table row: two numbers side by side or a known label
# ("产出指标 数量指标 速印机数量 2台 2台 5 5").
MIN_FLAT_PARTS = 3
# Largest 行次 (row number) printed before an amount in the 决算 summary tables.
MAX_ROW_NUMBER = 200
# Lines a narrative item may span; a longer run belongs to the prose after the last item.
MAX_ITEM_LINES = 12
# Cells repeat (100%, 10, 产出指标 …): their keys and kinds are cached, not recomputed.
CELL_CACHE_SIZE = 1 << 16
# Two project names (narrative and annex) are the same project from this similarity on.
NAME_MATCH_RATIO = 0.85
# Points a table's weights may miss 100 by before the table counts as full.
WEIGHT_FULL_TOLERANCE = 0.011
# Rows of the funds block that only restate parts of 年度资金总额.
FUNDS_SUBROWS = (
    "其中：当年财政拨款",
    "其中:当年财政拨款",
    "当年财政拨款",
    "上年结转资金",
    "其他资金",
)

LEVEL1_LABELS = ("产出指标", "效益指标")
# 一级 in the national form since 2021 (满意度指标 > 服务对象满意度指标), 二级 under 效益指标 in older
# ones: across rows it pairs with a 二级 label that follows it directly, like a 一级 label.
LEVEL1_OR_2_LABELS = ("满意度指标",)
LEVEL2_LABELS = (
    "数量指标",
    "质量指标",
    "时效指标",
    "成本指标",
    "经济成本指标",
    "社会成本指标",
    "生态环境成本指标",
    "经济效益指标",
    "社会效益指标",
    "生态效益指标",
    "可持续影响指标",
    "满意度指标",
    "服务对象满意度指标",
)
# Label cells that name the block, not a level: "年度绩效 指标" is a merged cell split by a page.
BLOCK_LABELS = ("年度绩效指标", "年度绩效", "指标", "绩效指标", "考核项目指标", "考核项目")
INDICATOR_HEADER = (
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "实际完成值",
    "分值",
    "得分",
    "偏差原因分析及改进措施",
    "指标值",
    "实际完成指标值",
    "预期指标值",
    "全年指标值",
    "年初目标值",
    "全年完成值",
    "偏差原因分析",
)
ANNEX_TABLE_STOP = ("项目金额", "主管部门", "实施单位", "项目资金")
KNOWN_LABELS = frozenset(
    (
        "项目名称",
        "项目金额",
        "主管部门",
        "实施单位",
        "年度资金总额",
        "总分",
        "一级指标",
        "合计",
        "金额合计",
        "本年收入合计",
        "本年支出合计",
        "行次",
        "任务名称",
        "三级指标",
        "年度指标值",
        "实际完成值",
        "综合评分",
        "评分等级",
        *LEVEL1_LABELS,
        *LEVEL2_LABELS,
    )
)

_UNIT_MARK = re.compile(r"(?:单位|金额单位)\s*[:：]\s*(万元|元)")
_PAREN_UNIT = re.compile(r"[（(]\s*(万元|元)\s*[）)]")
_TAB_OR_GAP = re.compile(r"\t|[ \u3000]{2,}")
_TARGET_CELL = re.compile(r"^[≥≤＞＜><]\s*\d")
_OCR_JOIN = re.compile(r"(?<=\d[,.，．])\s+(?=\d)|(?<=\d)\s+(?=[,.，．]\d)")
_WEIGHT_SUFFIX = re.compile(r"[（(]\s*\d+(?:\.\d+)?\s*分?\s*[)）]$")

# Narrative patterns. NUM allows OCR gaps and thousands separators: "2, 306. 00", "14,440.39".
_NUM = r"(\d+(?:\s*[,，]\s*\d{3})*(?:\s*[.．]\s*\d+)?)"
_SEP = r"\s*(?:为|是|达到|达|共|:|：)?\s*"
_ITEM_START = re.compile(r"^\s*(?:[（(]\s*\d{1,3}\s*[)）]|\d{1,3}\s*[.、．](?!\d))")
_BARE_ITEM_START = re.compile(r"^\s*\d")
# A line ending inside a number ('预算数 2, 7'): the next line goes on with it ('96. 69 万元'),
# it does not open an item numbered '96.'.
_NUMBER_TAIL = re.compile(r"\d\s*[,，.．]?$")
# An unnumbered item opens with its name and a colon: 'X项目绩效自评综述：'.
_SUMMARY_HEAD = r"[^。；;\t]{2,80}?绩效自评(?:综述|情况|结果)?\s*[:：]"
_SUMMARY_START = re.compile(_SUMMARY_HEAD)
# Items run together on one line (flattened prose) are split before their number or name.
_INNER_ITEM = re.compile(
    r"(?<=[。；;])\s*(?=[（(]\s*\d{1,3}\s*[)）])|(?<=[。])\s*(?=" + _SUMMARY_HEAD + ")"
)
_HEADING = re.compile(
    r"^\s*(?:#|\*\*|[一二三四五六七八九十]+\s*[、.．]|[（(][一二三四五六七八九十]+[)）]|附件|附表|"
    r"第[一二三四五六七八九十]+部分)"
)
# A number closes where a clause does when its unit sign is missing ('执行率 99.73。').
_CLAUSE_END = r"(?=\s*[。，；,;]|\s*$)"
_SCORE = re.compile(
    r"(?:自评得分|自评分数|自评分|评价得分|综合得分|得分)"
    + _SEP
    + _NUM
    + r"(?:\s*分|"
    + _CLAUSE_END
    + ")"
)
_BUDGET = re.compile(
    r"(年初预算数?|全年预算数?|调整后预算数?|预算数|预算金额|预算资金|预算)"
    + _SEP
    + _NUM
    + r"\s*(万元|元)"
)
_ACTUAL = re.compile(
    r"(?:全年执行数|实际执行数|执行数|执行金额|实际支出数?|支出数|实际完成数?|全年完成值|完成数)"
    + _SEP
    + _NUM
    + r"\s*(万元|元)"
)
_RATE = re.compile(
    r"(?:预算执行率|资金执行率|执行率|执行进度|完成(?:全年|年初)?预算的?)"
    + _SEP
    + _NUM
    + r"(?:\s*[%％]|"
    + _CLAUSE_END
    + ")"
)
_GRADE = re.compile(r"(?:评价等级|评分等级|等级)" + _SEP + r"(优秀|良好|合格|不合格|优|良|中|差)")
_CN_NUMBER = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+[、.．])\s*"
)
_NAME_END = re.compile(r"绩效自评|自评|[:：，,。；;]")
_NAME_LABEL = re.compile(r"项目名称\s*[:：]\s*([^，,。；;]+)")
_OWN_UNIT = re.compile(r"^(?:本|我)(?:单位|中心|部门|局|委|院|所|站)的?")
_PROBLEMS = re.compile(
    r"(?:发现的)?主要问题(?:及原因)?\s*[:：]\s*(.*?)(?=下一步|改进措施|整改措施|$)"
)
_RECTIFY = re.compile(r"(?:下一步改进措施|改进措施|整改措施)\s*[:：]\s*(.*?)(?=$)")
_ITEM_COUNT = re.compile(r"等\s*(\d+)\s*个项目(?:的)?绩效自评")
_FISCAL = re.compile(
    r"财政拨款支出年初预算数?"
    + _SEP
    + _NUM
    + r"\s*(万元|元)[^。]{0,80}?财政拨款支出"
    + _SEP
    + _NUM
    + r"\s*(万元|元)[^。]{0,20}?完成年初预算的?\s*"
    + _NUM
    + r"\s*[%％]"
)
_PROSE_TOTALS = {
    "income": re.compile(r"本年收入" + _SEP + _NUM + r"\s*(万元|元)"),
    "expenditure": re.compile(r"本年支出" + _SEP + _NUM + r"\s*(万元|元)"),
    "basic": re.compile(r"基本支出" + _SEP + _NUM + r"\s*(万元|元)"),
    "project": re.compile(r"项目支出" + _SEP + _NUM + r"\s*(万元|元)"),
}
_EMPTY_LIKE = EMPTY_MARKS | {"——", "—"}
_TITLE_WORDS = re.compile(r"[（(]?(?:19|20)\d{2}年度?[)）]?|部门决算|单位决算|决算|公开|报告|说明")
_UNIT_NAME = re.compile(r"[\u4e00-\u9fff（）()]{4,40}")
# A unit's name before 的 in a narrative item: '深圳市医学信息中心的办公设备采购'.
_UNIT_OWNER = re.compile(
    r"^[\u4e00-\u9fff（）()]{2,30}?(?:中心|局|委员会|委|医院|院|所|站|办公室|学校|大学|厅|部)的"
)

Token = tuple[str, int, bool, str, bool]  # cell, 1-based line, ends a row, key_of(cell), is_value


def detect(doc) -> float:
    return keyword_score(doc.head, KEYWORDS)


# ---------------------------------------------------------------------------------------------
# Cells and tokens


@lru_cache(maxsize=CELL_CACHE_SIZE)
def key_of(text: str) -> str:
    """A cell without white space or markdown marks, for keyword comparison."""
    return squeeze(to_halfwidth(text)).strip("#*").replace("(", "（").replace(")", "）")


@lru_cache(maxsize=CELL_CACHE_SIZE)
def is_value(text: str) -> bool:
    """A cell that is a number or an overflow mark."""
    return parse_amount(text) is not None or is_overflow(text)


@lru_cache(maxsize=CELL_CACHE_SIZE)
def number(text: str | None) -> float | None:
    """parse_amount, cached: weights and scores repeat from row to row."""
    return parse_amount(text)


def is_empty_mark(text: str) -> bool:
    return to_halfwidth(text).strip() in _EMPTY_LIKE


def is_funds_cell(text: str) -> bool:
    """A cell of the funds block: a number, a percentage, ##### or a dash."""
    return is_empty_mark(text) or is_value(text.rstrip("%％ "))


def split_cells(line: str) -> list[str]:
    """The non-empty cells of a line: tabs, runs of spaces, or single spaces on a flattened row."""
    stripped = [c.strip() for c in (line.split("\t") if "\t" in line else _TAB_OR_GAP.split(line))]
    cells = [c for c in stripped if c]
    if "\t" in line:
        return cells
    if len(cells) == 1 and " " in cells[0]:
        parts = _OCR_JOIN.sub("", cells[0]).split()
        if len(parts) >= MIN_FLAT_PARTS and _looks_flattened(parts):
            return parts
    return cells


def _looks_flattened(parts: list[str]) -> bool:
    """A table row printed with single spaces: it holds a table label, two numbers side by side
    or a comparison target ('完成体检数 ≥3480人 3444人', a row of the 附件一 indicator table).

    Prose with spaced numbers ('全市 665 家社康服务中心、141 家…') has them one at a time.
    """
    values = [is_value(p) for p in parts]
    if any(a and b for a, b in zip(values, values[1:], strict=False)):
        return True
    return any(key_of(p) in KNOWN_LABELS or _TARGET_CELL.match(p) for p in parts)


def tokenize(lines: list[str], cell_lines: bool = False) -> list[Token]:
    """The cells of the lines in order. In a one-cell-per-line export (`cell_lines`: cells led by
    a tab) a line without a tab right after a cell goes on with that cell (a wrapped cell)."""
    out: list[Token] = []
    after_cell = False
    for no, line in enumerate(lines, 1):
        if not line or line.isspace():
            after_cell = False
            continue
        if cell_lines:
            if after_cell and "\t" not in line:
                text = f"{out[-1][0]} {line.strip()}"
                out[-1] = (text, out[-1][1], out[-1][2], key_of(text), is_value(text))
                continue
            after_cell = line[0] == "\t" and line.count("\t") == 1 and bool(line.strip())
        cells = split_cells(line)
        for c in cells:
            out.append((c, no, False, key_of(c), is_value(c)))
        if 2 <= len(cells) <= MAX_ROW_CELLS:
            out[-1] = (*out[-1][:2], True, *out[-1][3:])
    return out


def value_run(
    tokens: list[Token], i: int, *, empties: bool = False, limit: int | None = None
) -> int:
    """End index of the run of value cells starting at i; a run never crosses a row end.

    With `empties`, dashes and percentages count too (the 年度资金总额 and 总分 rows).
    """
    j = i
    n = len(tokens)
    while j < n and (limit is None or j - i < limit):
        if not (tokens[j][4] or (empties and is_funds_cell(tokens[j][0]))):
            break
        j += 1
        if tokens[j - 1][2]:
            break
    return j


def half_unit(text: str | None) -> float:
    """Half of the last printed digit: the rounding a printed number may carry ('31.76' -> 0.005)."""
    if not text:
        return 0.0
    s = to_halfwidth(text).replace(" ", "").rstrip("%％")
    decimals = len(s.split(".", 1)[1]) if "." in s else 0
    return 0.5 * 10**-decimals


def name_key(name: str | None) -> str:
    """A project name for matching: no white space, quotes or bracket and dash variants."""
    s = squeeze(to_halfwidth(name or ""))
    s = s.translate(str.maketrans("【】〔〕［］｛｝", "[][][]{}"))
    s = re.sub(r"[‐‑‒–—―－一]+(?=\S)", "-", s) if re.search(r"[‐‑‒–—―－]", s) else s
    return re.sub(r"[“”\"'‘’「」]", "", s).lower()


class UnitTrack:
    """The amount unit in force at each line: the last 单位：万元 / 单位：元 mark above it."""

    def __init__(self, lines: list[str], default: str):
        self.at: list[int] = []
        self.units: list[str] = []
        self.default = default
        for no, line in enumerate(lines, 1):
            m = _UNIT_MARK.search(line)
            if m:
                self.at.append(no)
                self.units.append(m.group(1))

    def unit(self, line: int) -> str:
        k = bisect.bisect_right(self.at, line) - 1
        return self.units[k] if k >= 0 else self.default


# ---------------------------------------------------------------------------------------------
# Department totals: 收入支出决算总表, 支出决算表 and the 情况说明 prose


@dataclass
class Totals:
    values: dict[str, float] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    fiscal: dict[str, float] = field(default_factory=dict)
    fiscal_line: int | None = None


def _labelled_amount(tokens: list[Token], i: int, has_row_numbers: bool) -> float | None:
    j = value_run(tokens, i + 1)
    run = [t[0] for t in tokens[i + 1 : j]]
    if has_row_numbers and len(run) >= 2 and re.fullmatch(r"\d{1,3}", run[0].strip()):
        if int(run[0]) <= MAX_ROW_NUMBER:
            run = run[1:]
    return parse_amount(run[0]) if run else None


def read_totals(doc, tokens: list[Token], units: UnitTrack) -> Totals:
    """本年收入合计 / 本年支出合计 and the 支出决算表 合计 row (基本支出, 项目支出), in 万元."""
    out = Totals()
    has_row_numbers = any("行次" in t[3] for t in tokens[:5000])
    for i, (_text, line, _eol, key, _value) in enumerate(tokens):
        if key == "本年收入合计" and "income" not in out.values:
            value = _labelled_amount(tokens, i, has_row_numbers)
            if value is not None:
                out.values["income"] = to_wan(value, units.unit(line))
                out.lines["income"] = line
        elif key == "本年支出合计":
            ahead = {t[3] for t in tokens[i + 1 : i + 8]}
            if "基本支出" in ahead and "项目支出" in ahead:
                if "basic" not in out.values:
                    _read_expenditure_table(doc, tokens, i, units, out)
            elif "expenditure" not in out.values:
                value = _labelled_amount(tokens, i, has_row_numbers)
                if value is not None:
                    out.values["expenditure"] = to_wan(value, units.unit(line))
                    out.lines["expenditure"] = line
        if len(out.values) == 4:
            break
    return out


def _read_expenditure_table(
    doc, tokens: list[Token], i: int, units: UnitTrack, out: Totals
) -> None:
    """The 合计 row under a 本年支出合计 / 基本支出 / 项目支出 header: by column on tab layouts."""
    header_line = tokens[i][1]
    keys = []
    k = i
    while k < len(tokens) and len(keys) < 3 and k - i < 8:
        key = tokens[k][3]
        if key in ("本年支出合计", "基本支出", "项目支出"):
            keys.append(key)
        k += 1
    for j in range(k, min(len(tokens), k + 60)):
        if tokens[j][3] != "合计":
            continue
        line = tokens[j][1]
        unit = units.unit(line)
        values: dict[str, str] = {}
        head, row = doc.cells(header_line), doc.cells(line)
        if "\t" in doc.line(header_line) and "\t" in doc.line(line):
            for key in keys:
                col = next((c for c, cell in enumerate(head) if key_of(cell) == key), None)
                if col is not None and col < len(row):
                    values[key] = row[col]
        if not any(parse_amount(v) is not None for v in values.values()):
            end = value_run(tokens, j + 1)
            values = dict(zip(keys, (t[0] for t in tokens[j + 1 : end]), strict=False))
        for key, name in (
            ("本年支出合计", "expenditure"),
            ("基本支出", "basic"),
            ("项目支出", "project"),
        ):
            amount = parse_amount(values.get(key))
            if amount is not None:
                out.values[name] = to_wan(amount, unit)
                out.lines[name] = line
        return


def read_prose_totals(prose: Prose, out: Totals, findings: list[Finding]) -> None:
    """The same totals from the 情况说明 sentences; fill gaps, flag disagreements."""
    for name, pattern in _PROSE_TOTALS.items():
        m = pattern.search(prose.text)
        if not m:
            continue
        value = to_wan(parse_amount(m.group(1)), m.group(2))
        line = prose.line_at(m.start())
        if name not in out.values:
            out.values[name] = value
            out.lines[name] = line
        elif value is not None and abs(value - out.values[name]) > AMOUNT_TOLERANCE_WAN:
            findings.append(
                Finding(
                    "VALUE_CONFLICT",
                    f"决算表中的{_TOTAL_LABELS[name]} {fmt(out.values[name])} 万元 与说明中的 "
                    f"{fmt(value)} 万元 不一致，请核对。",
                    source_line=line,
                )
            )
    m = _FISCAL.search(prose.text)
    if m:
        out.fiscal = {
            "budget": to_wan(parse_amount(m.group(1)), m.group(2)),
            "actual": to_wan(parse_amount(m.group(3)), m.group(4)),
            "rate": parse_amount(m.group(5)),
        }
        out.fiscal_line = prose.line_at(m.start())


_TOTAL_LABELS = {
    "income": "本年收入合计",
    "expenditure": "本年支出合计",
    "basic": "基本支出",
    "project": "项目支出",
}


# ---------------------------------------------------------------------------------------------
# The narrative of project self-evaluations


@dataclass
class Prose:
    """Tab-less lines joined into one string, with a map back to line numbers."""

    text: str
    starts: list[int]
    numbers: list[int]

    def line_at(self, offset: int) -> int:
        return self.numbers[bisect.bisect_right(self.starts, offset) - 1] if self.starts else 0


def prose_of(lines: list[str]) -> Prose:
    parts, starts, numbers = [], [], []
    pos = 0
    for no, line in enumerate(lines, 1):
        if not line.strip() or "\t" in line:
            continue
        s = line.strip()
        starts.append(pos)
        numbers.append(no)
        parts.append(s)
        pos += len(s)
    return Prose("".join(parts), starts, numbers)


@dataclass
class Summary:
    """One project of the narrative, with the printed text of each value."""

    name: str
    line: int
    end_line: int
    texts: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    grade: str | None = None
    problems: str | None = None
    rectification: str | None = None

    def amount(self, key: str) -> float | None:
        return to_wan(parse_amount(self.texts.get(key)), self.units.get(key, "万元"))

    def number(self, key: str) -> float | None:
        return parse_amount(self.texts.get(key))


def narrative_segments(lines: list[str]) -> list[tuple[int, int, str]]:
    """(first line, last line, joined text) of every numbered (or 'X绩效自评综述：') item."""
    segments: list[tuple[int, int, str]] = []
    current: list | None = None  # [first, last, parts, n_lines]

    def close():
        nonlocal current
        if current:
            segments.append((current[0], current[1], "".join(current[2])))
        current = None

    for no, line in enumerate(lines, 1):
        s = line.strip()
        if not s:
            continue
        if "\t" in line or ("。" not in s and len(_TAB_OR_GAP.split(s)) >= 3):
            close()  # a table row
            continue
        for piece in _INNER_ITEM.split(s):
            piece = piece.strip()
            if not piece:
                continue
            # A name line opens an item unless it finishes the wrapped name of the open one.
            opens = (
                _ITEM_START.match(piece)
                and not (
                    current is not None
                    and _BARE_ITEM_START.match(piece)
                    and _NUMBER_TAIL.search(current[2][-1])
                )
            ) or (
                _SUMMARY_START.match(piece) and (current is None or "自评" in "".join(current[2]))
            )
            if opens:
                close()
                current = [no, no, [piece], 1]
            elif _HEADING.match(piece):
                close()
            elif current is not None:
                current[3] += 1
                if current[3] > MAX_ITEM_LINES:
                    close()
                    continue
                current[1] = no
                current[2].append(piece)
    close()
    return segments


def summary_name(text: str, unit: str | None) -> str | None:
    m = _NAME_LABEL.search(text)
    if m:
        name = m.group(1)
    else:
        body = _CN_NUMBER.sub("", _ITEM_START.sub("", text, count=1).strip(), count=1)
        end = _NAME_END.search(body)
        name = body[: end.start()] if end else body[:60]
    name = re.sub(r"\s+", " ", name).strip()
    if unit:
        for prefix in (unit + "的", unit):
            if squeeze(name).startswith(prefix):
                name = _drop_prefix(name, prefix)
                break
    name = _OWN_UNIT.sub("", name)
    if not unit or unit not in squeeze(text):
        name = _UNIT_OWNER.sub("", name)
    name = name.strip(" “”\"「」'‘’")
    return clean_name(name)


def _drop_prefix(name: str, prefix: str) -> str:
    """Drop a prefix from a name that may carry white space inside it."""
    k = 0
    for i, ch in enumerate(name):
        if ch.isspace():
            continue
        k += 1
        if k == len(prefix):
            return name[i + 1 :]
    return name


def read_summaries(lines: list[str], unit: str | None) -> list[Summary]:
    out: list[Summary] = []
    for first, last, text in narrative_segments(lines):
        if "自评" not in text and not _SCORE.search(text):
            continue
        budgets = list(_BUDGET.finditer(text))
        actual = _ACTUAL.search(text)
        if not budgets and not actual:
            continue
        name = summary_name(text, unit)
        if not name:
            continue
        item = Summary(name, first, last)
        for m in budgets:
            key = "initial" if m.group(1).startswith("年初") else "budget"
            if key not in item.texts:
                item.texts[key], item.units[key] = m.group(2), m.group(3)
        if actual:
            item.texts["actual"], item.units["actual"] = actual.group(1), actual.group(2)
        for key, pattern in (("score", _SCORE), ("rate", _RATE)):
            m = pattern.search(text)
            if m:
                percent = key == "rate" and ("%" in m.group(0) or "％" in m.group(0))
                item.texts[key] = m.group(1) + ("%" if percent else "")
        m = _GRADE.search(text)
        item.grade = m.group(1) if m else None
        item.problems = _meaningful(_PROBLEMS.search(text))
        item.rectification = _meaningful(_RECTIFY.search(text))
        out.append(item)
    return out


def _meaningful(m: re.Match | None) -> str | None:
    if not m:
        return None
    s = m.group(1).strip(" 。；;，,")
    return None if s in ("", "无", "暂无", "没有") else s


# ---------------------------------------------------------------------------------------------
# Indicator rows: shared by the annex tables


@dataclass
class Levels:
    """一级/二级 labels in force; a label printed mid-block (merged cell) also covers rows above."""

    level1: str | None = None
    level2: str | None = None

    def apply(self, labels: list[str]) -> None:
        if len(labels) >= 2:
            self.set1(labels[-2])
            self.level2 = labels[-1]
        elif labels:
            label = labels[0]
            if label in LEVEL1_LABELS:
                self.set1(label)
            else:
                self.level2 = label

    def set1(self, label: str) -> None:
        # The first 一级 label of a table may float below rows that already carry a 二级 label.
        if label != self.level1:
            self.level2 = self.level2 if self.level1 is None else None
            self.level1 = label


@lru_cache(maxsize=CELL_CACHE_SIZE)
def level_label(text: str) -> str | None:
    """The 一级/二级 label a cell prints ('数量指标（6）' -> '数量指标'), or None."""
    key = _WEIGHT_SUFFIX.sub("", key_of(text))
    if key in LEVEL1_LABELS or key in LEVEL2_LABELS:
        return key
    if key.endswith("指标") and 3 <= len(key) <= 9 and key not in BLOCK_LABELS:
        return key
    return None


def label_pair(tokens: list[Token], i: int) -> bool:
    """Whether the label at i is a 一级 label whose 二级 label follows it.

    Two labels on one row are 一级 and 二级; across rows (one cell per line) only a known 一级
    label (or 满意度指标) pairs up, so an empty block ('生态效益指标' with no rows) does not become
    a 一级 label.
    """
    if i + 1 >= len(tokens) or tokens[i][2] or not level_label(tokens[i + 1][0]):
        return False
    same_row = tokens[i + 1][1] == tokens[i][1]
    return same_row or level_label(tokens[i][0]) in LEVEL1_LABELS + LEVEL1_OR_2_LABELS


@dataclass
class RawIndicator:
    name: str
    line: int
    level1: str | None
    level2: str | None
    target: str | None
    actual: str | None
    weight: str | None
    score: str | None
    deviation: str | None = None
    stream: bool = False
    one_line: bool = False  # the whole row printed on one line (a tab or space row)


def _alone(tokens: list[Token], i: int) -> bool:
    """Whether the cell at i is the only cell on its line."""
    line = tokens[i][1]
    return (i == 0 or tokens[i - 1][1] != line) and (
        i + 1 == len(tokens) or tokens[i + 1][1] != line
    )


def wrapped_rest(tokens: list[Token], i: int, last: RawIndicator | None, lines: list[str]) -> bool:
    """Whether the cell at i is the rest of a cell of the row above, wrapped onto a line of its
    own; if so it is added to that cell (the name, unless its position puts it under another).

    Only right below a row printed on one line: in a one-cell-per-line layout a lone cell is the
    next cell.
    """
    text, line, _eol, key, value = tokens[i]
    if last is None or not last.one_line or last.line != line - 1 or value:
        return False
    if level_label(text) or key in BLOCK_LABELS or key in INDICATOR_HEADER or key in KNOWN_LABELS:
        return False
    if not _alone(tokens, i) or (" " in text and "\t" not in lines[line - 1]):
        return False  # a row of single-spaced cells that were not split, not a rest
    above = cell_above(lines[line - 2], lines[line - 1])
    field = "name"
    if above is not None:
        fields = {"name": last.name, "target": last.target, "actual": last.actual}
        fields["deviation"] = last.deviation
        field = next((f for f, v in fields.items() if v and key_of(v) == key_of(above)), "name")
    setattr(last, field, clean_name(f"{getattr(last, field)} {text}"))
    return True


class RowReader:
    """Assembles indicator rows from cells: ... labels, name, target, actual, weight, score [reason]."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.levels = Levels()
        self.buffer: list[Token] = []
        self.pending_labels: list[str] = []
        self.last: RawIndicator | None = None

    def reset(self) -> None:
        self.levels = Levels()
        self.buffer, self.pending_labels, self.last = [], [], None

    def feed(self, tokens: list[Token], i: int) -> tuple[int, RawIndicator | None]:
        """Consume the cell at i (and its run); return the next index and a finished row if any."""
        text, line, eol, key, _value = tokens[i]
        label = level_label(text)
        if label:
            self.pending_labels.append(label)
            self._flush_labels(tokens, i)
            return self._end_of_line(i + 1, tokens), None
        if key in BLOCK_LABELS:
            return self._end_of_line(i + 1, tokens), None
        if not self.buffer and wrapped_rest(tokens, i, self.last, self.lines):
            return i + 1, None
        if _value:
            j = value_run(tokens, i)
            if j - i >= 2:
                row = self._emit(tokens, i, j)
                k = j
                if not tokens[j - 1][2] and self._row_line(tokens, j - 1):
                    reason = []
                    while k < len(tokens) and tokens[k][1] == tokens[j - 1][1]:
                        reason.append(tokens[k][0])
                        k += 1
                        if tokens[k - 1][2]:
                            break
                    row.deviation = " ".join(reason) or None
                else:
                    row.stream = not tokens[j - 1][2]
                self.buffer = []
                return k, row
        self.buffer.append(tokens[i])
        return self._end_of_line(i + 1, tokens), None

    def _row_line(self, tokens: list[Token], i: int) -> bool:
        """Whether the cell at i sits on a line whose last cell ends a row."""
        line = tokens[i][1]
        k = i
        while k < len(tokens) and tokens[k][1] == line:
            if tokens[k][2]:
                return True
            k += 1
        return False

    def _flush_labels(self, tokens: list[Token], i: int) -> None:
        if label_pair(tokens, i):
            return  # a 一级 label followed by its 二级 label: apply both together
        self.levels.apply(self.pending_labels)
        self.pending_labels = []

    def _end_of_line(self, k: int, tokens: list[Token]) -> int:
        # A table row that ended without weight and score is no indicator row: forget its cells.
        if tokens[k - 1][2]:
            self.buffer = []
        return k

    def _emit(self, tokens: list[Token], i: int, j: int) -> RawIndicator:
        run = tokens[i:j]
        texts = self.buffer + list(run[:-2])
        if len(texts) > 3:
            extra, texts = texts[:-3], texts[-3:]
            if self.last is not None and self.last.stream:
                more = " ".join(t[0] for t in extra)
                self.last.deviation = (
                    f"{self.last.deviation} {more}" if self.last.deviation else more
                )
        name = texts[0][0] if texts else ""
        target = texts[1][0] if len(texts) > 1 else None
        actual = texts[2][0] if len(texts) > 2 else None
        line = texts[0][1] if texts else run[0][1]
        row = RawIndicator(
            name=name,
            line=line,
            level1=self.levels.level1,
            level2=self.levels.level2,
            target=target,
            actual=actual,
            weight=run[-2][0],
            score=run[-1][0],
            one_line=line == run[-1][1],
        )
        self.last = row
        return row


def backfill_levels(rows: list[RawIndicator]) -> None:
    """Rows above the first printed 一级 label of a table inherit it (the label floats mid-block)."""
    first = next((r.level1 for r in rows if r.level1), None)
    for r in rows:
        if r.level1 is None:
            r.level1 = first
        else:
            break


# ---------------------------------------------------------------------------------------------
# 附件二: 项目支出绩效自评表


@dataclass
class AnnexTable:
    name: str
    line: int
    end_line: int
    unit: str | None = None
    unit_printed: bool = False  # 项目资金（元）: the table says its unit
    parent: str | None = None
    columns: tuple[str, ...] = FUNDS_COLUMNS
    funds: dict[str, str] = field(default_factory=dict)
    funds_line: int | None = None
    total_weight: float | None = None
    total_score: float | None = None
    total_line: int | None = None
    rows: list[RawIndicator] = field(default_factory=list)
    overflow: list[tuple[str, str, int]] = field(default_factory=list)  # row label, column, line
    partial: list[int] = field(default_factory=list)
    weight_sum: float = 0.0

    def amount(self, key: str) -> float | None:
        return to_wan(parse_amount(self.funds.get(key)), self.unit or "元")

    def add(self, row: RawIndicator) -> None:
        self.rows.append(row)
        self.weight_sum += number(row.weight) or 0.0

    def weights_full(self) -> bool:
        """Whether the indicator weights and the funds weight already make the table's 100 points."""
        total = self.total_weight if self.total_weight is not None else 100.0
        got = self.weight_sum + (number(self.funds.get("weight")) or 0.0)
        return bool(self.rows) and got >= total - WEIGHT_FULL_TOLERANCE


@dataclass
class Orphans:
    after: str | None
    line: int
    rows: list[RawIndicator] = field(default_factory=list)
    total_line: int | None = None
    total_score: float | None = None
    end_line: int = 0  # the last line of its rows


def funds_column(text: str) -> str | None:
    s = key_of(text)
    if "率" in s:
        return "rate"
    if "分值" in s or "权重" in s:
        return "weight"
    if "得分" in s or "评分" in s:
        return "score"
    if "年初" in s:
        return "initial"
    if "预算" in s or "计划" in s:
        return "budget"
    if any(w in s for w in ("执行", "完成", "实际", "支出", "决算")):
        return "actual"
    return None


def _label_rest(text: str, label: str) -> str:
    """What follows a label inside the same cell: '项目名称：办公设备采购' -> '办公设备采购'."""
    s = text.strip()
    pos = squeeze(s).find(label)
    if pos < 0:
        return ""
    return _drop_prefix(s, squeeze(s)[: pos + len(label)]).strip(" ：:")


def read_annex_tables(
    tokens: list[Token], units: UnitTrack, lines: list[str]
) -> tuple[list[AnnexTable], list[Orphans]]:
    """The project tables in document order, and the indicator rows that belong to none."""
    tables: list[AnnexTable] = []
    orphans: list[Orphans] = []
    table: AnnexTable | None = None
    closed = True  # after a 总分 line, or before the first table
    section = None  # None, "funds", "goals", "indicators"
    reader = RowReader(lines)
    block: Orphans | None = None
    i, n = 0, len(tokens)
    while i < n:
        text, line, eol, key, _value = tokens[i]
        control = annex_control(key)
        if control == "name":
            name, i = _table_name(tokens, i)
            table = AnnexTable(name=name, line=line, end_line=line)
            tables.append(table)
            closed, section, block = False, None, None
            reader.reset()
            continue
        if table is None:
            i += 1
            continue
        if control is None or (control == "header" and section != "indicators"):
            pass
        elif control == "parent" and section is None:
            rest = _label_rest(text, "主管部门")
            if not rest and i + 1 < n and not tokens[i + 1][4]:
                rest, i = tokens[i + 1][0], i + 1
            table.parent = table.parent or clean_name(rest) or None
            i += 1
            continue
        elif control == "funds_header":
            i = _funds_header(tokens, i, table, units)
            section = "funds"
            continue
        elif control == "funds_total":
            i = _funds_row(tokens, i, table, main=True)
            section = "funds"
            continue
        elif control == "funds_part" and section == "funds":
            i = _funds_row(tokens, i, table, main=False)
            continue
        elif control == "goals":
            section = "goals"
            i += 1
            continue
        elif control in ("indicators", "header"):
            section = "indicators"
            reader.buffer = []
            i += 1
            continue
        elif control == "total":
            j = value_run(tokens, i + 1, empties=True)
            numbers = [parse_amount(t[0]) for t in tokens[i + 1 : j]]
            numbers = [v for v in numbers if v is not None]
            if closed:
                if block is None:
                    block = Orphans(after=table.name, line=line)
                    orphans.append(block)
                block.total_line = line
                block.total_score = numbers[1] if len(numbers) > 1 else None
            else:
                table.total_weight = numbers[0] if numbers else None
                table.total_score = numbers[1] if len(numbers) > 1 else None
                table.total_line = table.end_line = line
                closed = True
            section = "indicators"
            reader.buffer = []
            i = j
            continue
        if section != "indicators":
            i += 1
            continue
        i, row = reader.feed(tokens, i)
        if row is None:
            continue
        if not closed and table.weights_full():
            closed = True  # the table's weights are complete: it lost its 总分 line
        if closed:
            if block is None:
                block = Orphans(after=table.name, line=row.line)
                orphans.append(block)
            block.rows.append(row)
            block.end_line = max(block.end_line, tokens[i - 1][1])
            continue
        table.add(row)
        table.end_line = max(table.end_line, tokens[i - 1][1])
        for cell in (row.weight, row.score):
            if is_overflow(cell):
                table.overflow.append(
                    (row.name, "分值" if cell is row.weight else "得分", row.line)
                )
    for t in tables:
        backfill_levels(t.rows)
    return tables, orphans


@lru_cache(maxsize=CELL_CACHE_SIZE)
def annex_control(key: str) -> str | None:
    """What a cell does to the 项目支出绩效自评表 state machine, or None for a plain cell."""
    if key.startswith("项目名称"):
        return "name"
    if key.startswith("主管部门"):
        return "parent"
    if key.startswith("项目资金"):
        return "funds_header"
    if key.startswith("年度资金总额"):
        return "funds_total"
    if key.startswith(FUNDS_SUBROWS):
        return "funds_part"
    if key.startswith("年度总体目标") or key == "预期目标":
        return "goals"
    if key == "一级指标":
        return "indicators"
    if key == "总分":
        return "total"
    if key in INDICATOR_HEADER:
        return "header"
    return None


def _table_name(tokens: list[Token], i: int) -> tuple[str, int]:
    text, label_line = tokens[i][0], tokens[i][1]
    name = _label_rest(text, "项目名称")
    i += 1
    parts = [name] if name else []
    rest = _wrapped_rest(tokens, i, label_line)
    # A name wrapped over cells (one-cell-per-line layouts) runs to the next label.
    while i < len(tokens) and len(parts) < 3:
        key = tokens[i][3]
        if key.startswith(ANNEX_TABLE_STOP) or key.startswith("项目名称"):
            break
        if parts and (tokens[i - 1][2] or tokens[i][4]):
            break
        parts.append(tokens[i][0])
        i += 1
        if tokens[i - 1][2]:
            break
    while i < len(tokens) and not tokens[i][3].startswith(ANNEX_TABLE_STOP):
        if tokens[i][3].startswith("项目名称") or tokens[i - 1][2]:
            break
        i += 1
    if rest is not None and all(t[1] == label_line for t in tokens[i - len(parts) : i]):
        parts.append(rest)
    return clean_name("".join(parts)) or "", i


def _wrapped_rest(tokens: list[Token], i: int, label_line: int) -> str | None:
    """The rest of a name cell wrapped on a row layout: alone on the line after the 项目名称 row,
    right before the 主管部门 / 实施单位 row ('项目名称 基本公 项目金额 …' + '共卫生服务')."""
    k = i
    while k < len(tokens) and tokens[k][1] == label_line and k - i <= MAX_ROW_CELLS:
        k += 1
    if k == i or k + 1 >= len(tokens) or tokens[k][1] == label_line:
        return None  # the label stands alone on its line: one cell per line
    text, line, _eol, key, value = tokens[k]
    alone = tokens[k + 1][1] != line
    if alone and not value and annex_control(key) is None and key not in KNOWN_LABELS:
        if tokens[k + 1][3].startswith(("主管部门", "实施单位")):
            return text
    return None


def _funds_header(tokens: list[Token], i: int, table: AnnexTable, units: UnitTrack) -> int:
    text, line = tokens[i][0], tokens[i][1]
    m = _PAREN_UNIT.search(text)
    i += 1
    if not m and i < len(tokens):
        m = _PAREN_UNIT.fullmatch(tokens[i][0].strip())
        if m:
            i += 1
    table.unit = m.group(1) if m else table.unit or units.unit(line)
    table.unit_printed = bool(m)
    columns: list[str] = []
    while i < len(tokens):
        col = funds_column(tokens[i][0])
        if col is None or col in columns:
            break
        columns.append(col)
        i += 1
        if tokens[i - 1][2]:
            break
    if {"budget", "actual"} <= set(columns):
        table.columns = tuple(columns)
    return i


def _funds_row(tokens: list[Token], i: int, table: AnnexTable, *, main: bool) -> int:
    label, line = tokens[i][3], tokens[i][1]
    j = value_run(tokens, i + 1, empties=True, limit=len(table.columns))
    cells = [t[0] for t in tokens[i + 1 : j]]
    if main:
        table.funds = {
            c: v for c, v in zip(table.columns, cells, strict=False) if not is_empty_mark(v)
        }
        table.funds_line = line
        if len(cells) != len(table.columns):
            table.partial.append(line)
    for col, cell in zip(table.columns, cells, strict=False):
        if is_overflow(cell):
            table.overflow.append((label, col, line))
    table.end_line = max(table.end_line, line)
    return j


# ---------------------------------------------------------------------------------------------
# 附件一: 部门整体支出绩效目标完成情况自评表 and 部门整体支出绩效评分表


@dataclass
class Overall:
    tasks: list[dict] = field(default_factory=list)
    total: tuple[float | None, float | None, int] | None = None
    unit: str | None = None
    indicators: list[RawIndicator] = field(default_factory=list)
    rubric: list[RawIndicator] = field(default_factory=list)
    score: float | None = None
    grade: str | None = None
    score_line: int | None = None


def read_overall(doc, tokens: list[Token], units: UnitTrack) -> Overall:
    """Tasks (budget / actual), indicators (target / actual) and the rubric of the 整体 tables."""
    out = Overall()
    start = next(
        (
            k
            for k, t in enumerate(tokens)
            if t[3].startswith(("年度主要任务完成情况", "部门（单位）整体支出绩效目标"))
        ),
        None,
    )
    if start is None:
        return out
    section = None
    buffer: list[Token] = []
    levels = Levels()
    i, n = start, len(tokens)
    while i < n:
        text, line, eol, key, _value = tokens[i]
        if key.startswith("项目名称") or key.startswith("项目支出绩效自评表"):
            break
        if key.startswith("年度主要任务完成情况"):
            section, buffer = "tasks", []
            m = _PAREN_UNIT.search(text)
            out.unit = m.group(1) if m else out.unit
            i += 1
            continue
        if section == "tasks" and ("预算数" in key or "执行数" in key):
            m = _PAREN_UNIT.search(text)
            out.unit = m.group(1) if m else out.unit
            i += 1
            continue
        if key == "金额合计" or (section == "tasks" and key == "合计"):
            j = value_run(tokens, i + 1)
            run = [parse_amount(t[0]) for t in tokens[i + 1 : j]]
            b, a = _budget_actual(run)
            unit = out.unit or units.unit(line)
            out.total = (to_wan(b, unit), to_wan(a, unit), line)
            section, buffer = None, []
            i = j
            continue
        if key.startswith("年度总体目标"):
            section = None
            i += 1
            continue
        if key.startswith("年度绩效指标") or (key == "一级指标" and section != "rubric"):
            section, buffer = "indicators", []
            i += 1
            continue
        if "评分表" in key:
            section, buffer, levels = "rubric", [], Levels()
            i += 1
            continue
        if key.startswith(("综合评分", "总分")):
            inline = parse_amount(key[4:] if key.startswith("综合评分") else key[2:])
            j = value_run(tokens, i + 1)
            score = (
                inline if inline is not None else (number(tokens[i + 1][0]) if j > i + 1 else None)
            )
            if score is not None:
                out.score, out.score_line = score, line
            i = max(j, i + 1)
            continue
        if key.startswith("评分等级"):
            inline = key[4:]
            if not inline and i + 1 < n:
                inline, i = key_of(tokens[i + 1][0]), i + 1
            out.grade = inline or out.grade
            i += 1
            continue
        if section == "tasks":
            i = _task_cell(tokens, i, buffer, out, units)
        elif section == "indicators":
            i = _overall_indicator_cell(doc.lines, tokens, i, buffer, levels, out)
        elif section == "rubric":
            i = _rubric_line(doc, tokens, i, levels, out)
        else:
            i += 1
    backfill_levels(out.indicators)
    return out


def _budget_actual(run: list[float | None]) -> tuple[float | None, float | None]:
    # 预算数 and 执行数 each split into 全额 / 其中:财政拨款: the 全额 columns are 1st and 3rd.
    if len(run) >= 4:
        return run[0], run[2]
    if len(run) >= 2:
        return run[0], run[1]
    return (run[0] if run else None), None


def _task_cell(tokens, i, buffer, out: Overall, units: UnitTrack) -> int:
    text, line, eol, key, _value = tokens[i]
    if _value:
        j = value_run(tokens, i)
        if j - i >= 2 and buffer:
            b, a = _budget_actual([parse_amount(t[0]) for t in tokens[i:j]])
            # On a table row the name is the row's first cell; in a cell stream, the cell before
            # the description (cells further back finish the previous task's description).
            own = [t for t in buffer if t[1] == line]
            if own and tokens[j - 1][2]:
                name_tok, description = own[0], " ".join(t[0] for t in own[1:])
            else:
                name_tok = buffer[-2] if len(buffer) >= 2 else buffer[-1]
                description = buffer[-1][0] if len(buffer) >= 2 else ""
            unit = out.unit or units.unit(line)
            out.tasks.append(
                {
                    "name": clean_name(name_tok[0]),
                    "line": name_tok[1],
                    "budget": to_wan(b, unit),
                    "actual": to_wan(a, unit),
                    "description": description or None,
                }
            )
            buffer.clear()
            return j
    if key not in ("任务名称", "完成情况", "全额", "其中：财政拨款", "其中:财政拨款"):
        buffer.append(tokens[i])
    return i + 1


def _overall_indicator_cell(lines, tokens, i, buffer, levels: Levels, out: Overall) -> int:
    """Rows of three text cells (name, target, actual) under floating 一级/二级 labels."""
    text, line, eol, key, _value = tokens[i]
    label = level_label(text)
    last = out.indicators[-1] if out.indicators else None
    if not buffer and wrapped_rest(tokens, i, last, lines):
        return i + 1
    if label:
        if label_pair(tokens, i):
            levels.apply([label, level_label(tokens[i + 1][0])])
            i += 1
        else:
            levels.apply([label])
        buffer.clear()
    elif key not in INDICATOR_HEADER and key not in BLOCK_LABELS:
        buffer.append(tokens[i])
    if len(buffer) == 3 or (eol and buffer):
        if len(buffer) >= 2 or eol:
            name, target = buffer[0], buffer[1] if len(buffer) > 1 else None
            actual = buffer[2] if len(buffer) > 2 else None
            if len(buffer) >= 2:
                out.indicators.append(
                    RawIndicator(
                        name=name[0],
                        line=name[1],
                        level1=levels.level1,
                        level2=levels.level2,
                        target=target[0] if target else None,
                        actual=actual[0] if actual else None,
                        weight=None,
                        score=None,
                        one_line=eol and name[1] == line,
                    )
                )
        buffer.clear()
    return i + 1


def _rubric_line(doc, tokens, i, levels: Levels, out: Overall) -> int:
    """A rubric row: [一级 (20分)] [二级] 三级 分值 指标说明 评分标准 分数 — read line by line."""
    line = tokens[i][1]
    j = i
    while j < len(tokens) and tokens[j][1] == line:
        j += 1
    cells = [t[0] for t in tokens[i:j]]
    first_value = next((k for k, c in enumerate(cells) if is_value(c)), None)
    if (
        first_value is None
        or first_value == 0
        or not is_value(cells[-1])
        or len(cells) - first_value < 2
    ):
        return j
    names = cells[:first_value]
    if len(names) >= 3:
        levels.set1(_WEIGHT_SUFFIX.sub("", key_of(names[-3])))
    if len(names) >= 2:
        levels.level2 = clean_name(names[-2])
    out.rubric.append(
        RawIndicator(
            name=names[-1],
            line=line,
            level1=levels.level1,
            level2=levels.level2,
            target=None,
            actual=None,
            weight=cells[first_value],
            score=cells[-1],
        )
    )
    return j


# ---------------------------------------------------------------------------------------------
# Merge: narrative and annex into one row per project


def match_tables(summaries: list[Summary], tables: list[AnnexTable]) -> dict[int, int]:
    """summary index -> table index: exact normalised names first, then the closest name.

    Fuzzy matching compares distinct names only, so a document repeating its projects many
    times costs no more than one that lists each once.
    """
    by_key: dict[str, list[int]] = {}
    for t, table in enumerate(tables):
        by_key.setdefault(name_key(table.name), []).append(t)
    pairs: dict[int, int] = {}
    left: dict[str, list[int]] = {}
    for s, summary in enumerate(summaries):
        queue = by_key.get(name_key(summary.name))
        if queue:
            pairs[s] = queue.pop(0)
        else:
            left.setdefault(name_key(summary.name), []).append(s)
    free = {k: v for k, v in by_key.items() if v}
    scored = []
    for sk in left:
        for tk in free:
            ratio = difflib.SequenceMatcher(None, sk, tk).ratio()
            if (sk in tk or tk in sk) and min(len(sk), len(tk)) >= 4:
                ratio = max(ratio, NAME_MATCH_RATIO)
            if ratio >= NAME_MATCH_RATIO:
                scored.append((ratio, sk, tk))
    for _ratio, sk, tk in sorted(scored, key=lambda r: -r[0]):
        while left[sk] and free[tk]:
            pairs[left[sk].pop(0)] = free[tk].pop(0)
    return pairs


def _conflict(project, what, printed, alt, tol, line, unit="万元") -> Finding | None:
    if printed is None or alt is None or abs(printed - alt) <= tol + 1e-9:
        return None
    return Finding(
        "VALUE_CONFLICT",
        f"「{project}」正文印发的{what} {printed:,.2f}{unit} 与附件表中的 {alt:,.2f}{unit} 不一致，"
        f"两者均已保留，请核对原文。",
        project=project,
        source_line=line,
    )


def merge(summaries, tables, pairs, findings: list[Finding]) -> tuple[list[dict], dict[int, str]]:
    """Project rows, and the project name each annex table's indicators belong to."""
    rows: list[dict] = []
    table_project: dict[int, str] = {}
    for s, item in enumerate(summaries):
        table = tables[pairs[s]] if s in pairs else None
        budget, actual = item.amount("budget"), item.amount("actual")
        computed = actual / budget * 100 if budget and actual is not None else None
        row = project_row(
            "project",
            item.name,
            item.line,
            end_line=item.end_line,
            initial_budget_wan=item.amount("initial"),
            budget_wan=budget,
            actual_wan=actual,
            reported_rate_pct=parse_rate(item.texts.get("rate"), computed),
            score=item.number("score"),
            grade=item.grade,
            problems=item.problems,
            rectification=item.rectification,
        )
        if table is not None:
            table_project[pairs[s]] = row["project"]
            _fill_from_table(row, table, item, findings)
        rows.append(row)
    for t, table in enumerate(tables):
        if t in table_project:
            continue
        row = project_row("project", table.name, table.line, end_line=table.end_line)
        _fill_from_table(row, table, None, findings)
        table_project[t] = row["project"]
        rows.append(row)
    return rows, table_project


def _fill_from_table(
    row: dict, table: AnnexTable, item: Summary | None, findings: list[Finding]
) -> None:
    """Annex values beside the narrative's (alt_*), or in place of what the narrative lacks."""
    name = row["project"]
    if item is not None and not table.unit_printed:
        table.unit = _likely_unit(table, item)
    a_budget, a_actual = table.amount("budget"), table.amount("actual")
    computed = (
        a_actual / a_budget * 100
        if a_budget and a_actual is not None
        else row["execution_rate_pct"]
    )
    a_rate = parse_rate(table.funds.get("rate"), computed)
    a_score = table.total_score
    row["alt_budget_wan"], row["alt_actual_wan"] = a_budget, a_actual
    row["alt_rate_pct"], row["alt_score"], row["alt_source_line"] = a_rate, a_score, table.line
    row["funds_weight"] = parse_amount(table.funds.get("weight"))
    row["funds_score"] = parse_amount(table.funds.get("score"))
    for key, col in (
        ("budget", "budget_wan"),
        ("actual", "actual_wan"),
        ("initial", "initial_budget_wan"),
    ):
        if row[col] is None:
            row[col] = table.amount(key)
    if row["score"] is None:
        row["score"] = a_score
    row["execution_rate_pct"] = (
        row["actual_wan"] / row["budget_wan"] * 100
        if row["budget_wan"] and row["actual_wan"] is not None
        else None
    )
    if row["reported_rate_pct"] is None:
        row["reported_rate_pct"] = parse_rate(table.funds.get("rate"), row["execution_rate_pct"])
    if item is None:
        return
    scale = WAN_PER_UNIT.get(table.unit or "元", 1.0)
    line = table.line
    for key, what in (("budget", "预算数"), ("actual", "执行数")):
        tol = half_unit(item.texts.get(key)) + half_unit(table.funds.get(key)) * scale
        f = _conflict(name, what, item.amount(key), table.amount(key), tol, line, " 万元")
        if f:
            findings.append(f)
    rate_raw = parse_amount((table.funds.get("rate") or "").rstrip("%％"))
    rate_scale = (
        100.0 if a_rate is not None and rate_raw and abs(a_rate - rate_raw * 100) < 1e-9 else 1.0
    )
    tol = half_unit(item.texts.get("rate")) + half_unit(table.funds.get("rate")) * rate_scale
    f = _conflict(
        name, "执行率", parse_rate(item.texts.get("rate"), a_rate), a_rate, tol, line, "%"
    )
    if f:
        findings.append(f)
    if a_score is not None:
        tol = half_unit(item.texts.get("score")) + half_unit(f"{a_score:g}")
        f = _conflict(
            name, "自评得分", item.number("score"), a_score, tol, table.total_line or line, " 分"
        )
        if f:
            findings.append(f)


WAN_PER_UNIT = {"元": 1 / 10000.0, "万元": 1.0}


def _likely_unit(table: AnnexTable, item: Summary) -> str | None:
    """For a table that prints no unit: 元 or 万元, whichever brings it closest to the narrative."""
    printed = item.amount("budget") or item.amount("actual")
    raw = parse_amount(table.funds.get("budget")) or parse_amount(table.funds.get("actual"))
    if not printed or not raw:
        return table.unit
    return min(("元", "万元"), key=lambda u: abs(to_wan(raw, u) - printed))


def overflow_findings(table: AnnexTable, project: str, item: Summary | None) -> list[Finding]:
    out = []
    for row_label, col, line in table.overflow:
        column = FUNDS_LABELS.get(col, col)
        recovered = None
        if (
            item is not None
            and row_label.startswith("年度资金总额")
            and col in ("budget", "actual", "initial")
        ):
            recovered = item.amount(col)
        if recovered is not None:
            tail = f"已采用正文自评综述中的 {recovered:,.2f} 万元，请核对原表。"
        else:
            tail = "其他位置未印发该数，已留空，请向填报单位索取原值。"
        out.append(
            Finding(
                "OVERFLOW_CELL",
                f"「{project}」附件表「{row_label}」行的「{column}」单元格印为 #####（列宽不足）；{tail}",
                project=project,
                source_line=line,
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# The parse


def parse(doc) -> Parsed:
    lines = doc.lines
    findings: list[Finding] = []
    units_default = _first_unit(doc.text) or "万元"
    units = UnitTrack(lines, units_default)
    tokens = tokenize(lines, is_cell_line_export(doc.text))
    meta = _metadata(doc, tokens, units_default)
    unit = meta.get("unit")

    prose = prose_of(lines)
    totals = read_totals(doc, tokens, units)
    read_prose_totals(prose, totals, findings)
    summaries = read_summaries(lines, unit)
    tables, orphans = read_annex_tables(tokens, units, lines)
    overall = read_overall(doc, tokens, units)
    if not meta.get("parent_unit"):
        meta["parent_unit"] = next((t.parent for t in tables if t.parent), None)

    pairs = match_tables(summaries, tables)
    projects, table_project = merge(summaries, tables, pairs, findings)
    by_table = {t: s for s, t in pairs.items()}
    indicators: list[dict] = []
    for t, table in enumerate(tables):
        name = table_project[t]
        item = summaries[by_table[t]] if t in by_table else None
        findings += overflow_findings(table, name, item)
        for line in table.partial:
            findings.append(
                Finding(
                    "PARTIAL_ROW",
                    f"「{name}」附件表的年度资金总额行列数与表头不符，部分金额可能未读到，请核对。",
                    project=name,
                    source_line=line,
                )
            )
        for r in table.rows:
            indicators.append(_indicator(name, r))
        findings += check_weights(
            name,
            [number(r.weight) for r in table.rows],
            [number(r.score) for r in table.rows],
            table.line,
            extra_weight=parse_amount(table.funds.get("weight")) or 0.0,
            extra_score=parse_amount(table.funds.get("score")) or 0.0,
            total_weight=table.total_weight if table.total_weight is not None else 100.0,
            total_score=table.total_score,
        )
    findings += _missing_tables(summaries, tables, pairs, projects)
    findings += _orphan_findings(orphans, summaries, pairs)
    findings += _count_check(prose, summaries)

    checked: list[dict] = []  # the printed totals compared, for Parsed.totals
    projects += _department_rows(meta, totals, overall, findings, checked)
    indicators += [_indicator(None, r) for r in overall.indicators]
    indicators += [_indicator(None, r) for r in overall.rubric]
    if overall.rubric and overall.score is not None:
        findings += check_weights(
            None,
            [parse_amount(r.weight) for r in overall.rubric],
            [parse_amount(r.score) for r in overall.rubric],
            overall.rubric[0].line,
            total_score=overall.score,
        )
    return Parsed(
        meta=meta, projects=projects, indicators=indicators, findings=findings, totals=checked
    )


def _first_unit(text: str) -> str | None:
    m = _UNIT_MARK.search(text)
    return m.group(1) if m else None


def _metadata(doc, tokens: list[Token], amount_unit: str) -> dict:
    head = doc.head
    title_lines = [s.strip(" #*") for s in doc.lines[:40] if s.strip(" #*")]
    title = None
    for k, s in enumerate(title_lines[:6]):
        if "决算" in s:
            title = clean_name(
                " ".join(title_lines[max(0, k - 1) : k + 1]) if len(s) < 8 and k else s
            )
            break
    unit = unit_from_title(title) or _labelled_unit(tokens) or find_unit(head)
    if not unit:
        impl = next(
            (tokens[k + 1][0] for k, t in enumerate(tokens[:-1]) if t[3] == "实施单位"), None
        )
        unit = clean_name(impl)
    return {
        "unit": unit,
        "parent_unit": find_parent(head),
        "year": find_year(title or "") or find_year(head),
        "amount_unit": amount_unit,
        "title": title,
    }


def unit_from_title(title: str | None) -> str | None:
    """'深圳市医学信息中心 2020 年度 部门决算' -> '深圳市医学信息中心'."""
    rest = _TITLE_WORDS.sub("", squeeze(to_halfwidth(title or "")))
    return rest if _UNIT_NAME.fullmatch(rest) else None


def _labelled_unit(tokens: list[Token]) -> str | None:
    """The 部门：X cell printed above each 决算 table."""
    for t in tokens[:5000]:
        if t[3].startswith(("部门：", "部门:")) and len(t[3]) > 3:
            value = re.split(r"公开\d|单位[：:]", t[3][3:])[0]
            if _UNIT_NAME.fullmatch(value):
                return value
    return None


def _indicator(project: str | None, r: RawIndicator) -> dict:
    return indicator_row(
        project,
        r.name,
        r.line,
        level1=r.level1,
        level2=r.level2,
        target_text=r.target,
        actual_text=r.actual,
        weight=number(r.weight),
        score=number(r.score),
        deviation_reason=clean_name(r.deviation),
    )


def _missing_tables(summaries, tables, pairs, projects) -> list[Finding]:
    if not summaries or not tables:
        return []
    out = []
    for s, item in enumerate(summaries):
        if s not in pairs:
            out.append(
                Finding(
                    "MISSING_TABLE",
                    f"正文自评综述中的项目「{item.name}」在附件中没有项目支出绩效自评表，"
                    f"其金额和得分仅来自正文，请向填报单位索取该表。",
                    project=item.name,
                    source_line=item.line,
                )
            )
    matched = set(pairs.values())
    for t, table in enumerate(tables):
        if t not in matched:
            out.append(
                Finding(
                    "MISSING_TABLE",
                    f"附件中的项目「{table.name}」在正文自评综述中没有对应段落，其数据仅来自附件表，请核对。",
                    project=table.name,
                    source_line=table.line,
                )
            )
    return out


def _orphan_findings(orphans: list[Orphans], summaries, pairs) -> list[Finding]:
    missing = [summaries[s].name for s in range(len(summaries)) if s not in pairs]
    out = []
    for block in orphans:
        if not block.rows:
            continue
        names = "、".join(clean_name(r.name) or "?" for r in block.rows)
        hint = ""
        if len(missing) == 1:
            hint = f"它们可能是缺失附件表的项目「{missing[0]}」的残留行；"
        out.append(
            Finding(
                "ORPHAN_ROWS",
                f"附件表「{block.after}」结束（总分行）之后有 {len(block.rows)} 行指标（{names}）"
                f"不属于任何项目表头，未计入任何项目；{hint}请核对原文。",
                source_line=block.line,
                end_line=max(block.end_line, block.total_line or 0),
            )
        )
    return out


def _count_check(prose: Prose, summaries: list[Summary]) -> list[Finding]:
    m = _ITEM_COUNT.search(prose.text)
    if not m or int(m.group(1)) == len(summaries):
        return []
    return [
        Finding(
            "PARTIAL_ROW",
            f"正文称有 {m.group(1)} 个项目的绩效自评结果，但只读到 {len(summaries)} 段项目自评综述，请核对。",
            source_line=prose.line_at(m.start()),
        )
    ]


def _department_rows(
    meta: dict, totals: Totals, overall: Overall, findings: list[Finding], checked: list[dict]
) -> list[dict]:
    rows = []
    v, lines = totals.values, totals.lines
    if not v and overall.score is None:
        return rows
    first = min(lines.values()) if lines else (overall.score_line or 1)
    dept = project_row(
        "department",
        meta.get("unit") or "部门整体",
        first,
        actual_wan=v.get("expenditure"),
        score=overall.score,
        grade=overall.grade,
        income_wan=v.get("income"),
        fiscal_budget_wan=totals.fiscal.get("budget"),
        fiscal_actual_wan=totals.fiscal.get("actual"),
    )
    rows.append(dept)
    for key, name in (("basic", "基本支出"), ("project", "项目支出")):
        if key in v:
            rows.append(
                project_row("expenditure_type", name, lines.get(key, first), actual_wan=v[key])
            )
    if "expenditure" in v and "basic" in v and "project" in v:
        findings += check_total(
            "支出决算表",
            v["expenditure"],
            v["basic"] + v["project"],
            lines.get("expenditure"),
            "支出",
            totals=checked,
        )
    if overall.tasks:
        for task in overall.tasks:
            rows.append(
                project_row(
                    "task",
                    task["name"],
                    task["line"],
                    budget_wan=task["budget"],
                    actual_wan=task["actual"],
                )
            )
        if overall.total:
            budget, actual, line = overall.total
            for printed, key, what in ((budget, "budget", "预算"), (actual, "actual", "执行")):
                values = [t[key] for t in overall.tasks if t[key] is not None]
                findings += check_total(
                    "部门整体自评表",
                    printed,
                    sum(values),
                    line,
                    what,
                    missing=len(overall.tasks) - len(values),
                    totals=checked,
                )
    return rows
