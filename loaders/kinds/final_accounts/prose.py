"""The prose of a 部门决算: the numbered narrative of project self-evaluations (绩效自评综述) and
the totals its 情况说明 states in sentences.

The narrative is read as prose: its lines are joined first, so wrapping does not matter, even
inside a word or a number ("项目全年预算数 1, 2" + "05. 50 万元").
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from ...detection import squeeze
from ...findings import Finding
from ...numbers import parse_amount, to_wan
from ...rows import clean_name

# Lines a narrative item may span; a longer run belongs to the prose after the last item.
MAX_ITEM_LINES = 12

_TAB_OR_GAP = re.compile(r"\t|[ \u3000]{2,}")
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
PROSE_TOTALS = {
    "income": re.compile(r"本年收入" + _SEP + _NUM + r"\s*(万元|元)"),
    "expenditure": re.compile(r"本年支出" + _SEP + _NUM + r"\s*(万元|元)"),
    "basic": re.compile(r"基本支出" + _SEP + _NUM + r"\s*(万元|元)"),
    "project": re.compile(r"项目支出" + _SEP + _NUM + r"\s*(万元|元)"),
}
# A unit's name before 的 in a narrative item: '深圳市医学信息中心的办公设备采购'.
_UNIT_OWNER = re.compile(
    r"^[\u4e00-\u9fff（）()]{2,30}?(?:中心|局|委员会|委|医院|院|所|站|办公室|学校|大学|厅|部)的"
)


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


def count_check(prose: Prose, summaries: list[Summary]) -> list[Finding]:
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


def prose_totals(prose: Prose) -> dict[str, tuple[float | None, int]]:
    """本年收入 / 本年支出 / 基本支出 / 项目支出 as the 情况说明 states them: name -> (万元, line)."""
    out = {}
    for name, pattern in PROSE_TOTALS.items():
        m = pattern.search(prose.text)
        if m:
            out[name] = (to_wan(parse_amount(m.group(1)), m.group(2)), prose.line_at(m.start()))
    return out


def fiscal(prose: Prose) -> tuple[dict[str, float | None], int | None]:
    """'财政拨款支出年初预算 X 万元 … 财政拨款支出 Y 万元，完成年初预算的 Z%': budget, actual, rate."""
    m = _FISCAL.search(prose.text)
    if not m:
        return {}, None
    values = {
        "budget": to_wan(parse_amount(m.group(1)), m.group(2)),
        "actual": to_wan(parse_amount(m.group(3)), m.group(4)),
        "rate": parse_amount(m.group(5)),
    }
    return values, prose.line_at(m.start())


def without_items(lines: list[str], summaries: list[Summary]) -> list[str]:
    """The lines with the narrative items' sentences blanked (line numbers kept): a line of an
    item that holds a sentence's punctuation and no tab is prose, no table row."""
    if not summaries:
        return lines
    out = list(lines)
    for item in summaries:
        for no in range(item.line, item.end_line + 1):
            line = out[no - 1]
            if "\t" not in line and ("。" in line or "，" in line):
                out[no - 1] = ""
    return out
