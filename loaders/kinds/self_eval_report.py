"""Kind self_eval_report: a prose 项目绩效自评报告 stating one project's figures in sentences.

Layout read: a title (关于2023年度公共卫生服务项目绩效自评的报告, 某某县卫生健康局2023年度
家庭医生签约服务项目支出绩效自评报告) or a 项目名称： line names the project; paragraphs say
its money in sentences, however the lines wrap (该项目年度预算数为 120 万元，实际支出 96 万元，
预算执行率 80%，自评得分 92 分，评价等级为“优”); headed parts (三、存在的问题 / 四、整改措施)
hold the problems and what is done about them. Each value is taken from the first sentence that
states it and keeps that sentence's line. A report that states none of 预算数 / 执行数 / 执行率
yields no project and a finding; a missing one is left empty with a finding.

A report with the 项目支出绩效自评表 attached is read by project_eval_tables (the table says
more); detection steps aside when the form's table words are printed.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from ..detection import keyword_score
from ..findings import Finding
from ..metadata import clean_unit, find_year, labelled_unit
from ..numbers import parse_amount, to_wan
from ..rows import clean_name, project_row
from ..vocab import NAME_LABELS, normal_text
from . import Parsed

KIND = "self_eval_report"
LABEL = "项目绩效自评报告"  # its name in the dashboard
KEYWORDS: dict[str, float] = {
    "自评报告": 0.35,
    "自评的报告": 0.35,
    # Some sites publish reports converted to traditional characters.
    "自評報告": 0.35,
    "自評的報告": 0.35,
    "绩效自评": 0.1,
    "执行率": 0.1,
    "预算执行": 0.05,
    "存在的问题": 0.05,
    "整改": 0.05,
    # Forms whose tables say more than the prose around them.
    "部门决算": -0.6,
    "申报表": -0.4,
    "整体支出": -0.4,
    "年度资金总额": -0.4,
    "一级指标": -0.3,
    "年度指标内容": -0.3,
    "序号": -0.1,
}
# Sentences stating a budget, an amount spent and a rate add this much.
SENTENCE_WEIGHT = 0.3
# Below this keyword score (no 自评报告 in the head) the sentences are not looked for.
MIN_REPORT_SCORE = 0.3
# A prose report never scores above a form read from its own tables.
MAX_SCORE = 0.85
# Lines a title is looked for in.
TITLE_LINES = 8
# A headed part (存在的问题) holds at most this many characters of text for the projects table.
MAX_PART_CHARS = 300
# A title wraps onto at most this many more lines.
TITLE_WRAP_LINES = 3
# A title or 项目名称 line is at most this long; a longer line is prose.
MAX_TITLE_CHARS = 60

_NUM = r"([0-9][0-9,]*(?:\.[0-9]+)?)"
_MONEY = _NUM + r"\s*(万元|元)"
_SAY = r"(?:为|是|共计|共|合计|总额|总计|达到|达|了)?\s*[:：]?\s*"
# (role, pattern): the first match in the text gives the value; group 1 the number, 2 the unit.
PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("initial", re.compile(r"年初预算(?:数|资金|金额)?" + _SAY + _MONEY)),
    (
        "budget",
        re.compile(
            r"(?<!年初)(?:调整后|全年|年度|项目)?预算(?:数|资金|金额|总额|安排)?"
            r"(?:调整为|安排)?" + _SAY + _MONEY
        ),
    ),
    (
        "actual",
        re.compile(
            r"(?:实际支出|实际执行|执行数|执行金额|已支出|实际使用|使用资金|支出资金|实际拨付|"
            r"累计支出)(?:资金|金额)?" + _SAY + _MONEY
        ),
    ),
    ("rate", re.compile(r"执行率" + _SAY + _NUM + r"\s*%")),
    (
        "score",
        re.compile(r"(?:自评得分|自评总分|自评分|综合得分|总得分|得分)" + _SAY + _NUM + r"\s*分"),
    ),
)
_GRADE = re.compile(
    r"(?:评价|自评|绩效)?(?:等级|级别)" + _SAY + r"[“\"「]?(优秀|良好|优|良|中|合格|差)"
)
_SENTENCES = (
    re.compile(r"预算(?:数|资金|金额)?" + _SAY + r"[0-9]"),
    re.compile(r"(?:支出|执行数|执行金额)" + _SAY + r"[0-9]"),
    re.compile(r"执行率" + _SAY + r"[0-9]"),
)
_TITLE_NAME = re.compile(
    r"^(?:关于)?(?P<head>.*?)(?:项目)?(?:支出)?(?:绩效)?自评(?:的)?(?:工作)?报告$"
)
_YEAR_PREFIX = re.compile(r"^.*?(?:19|20)\d{2}\s*年度?")
_UNIT_PREFIX = re.compile(
    r"^[\u4e00-\u9fff]{2,30}?(?:局|委员会|委|中心|院|所|站|办公室|学校)(?=关于|(?:19|20)\d{2})"
)
_NAME_LINE = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+、|\d+[.、])?\s*(?:"
    + "|".join(map(re.escape, NAME_LABELS))
    + r")"
    r"\s*[:：]\s*(.+)$"
)
# A headed part: '三、存在的问题', '（二）整改措施', '4.下一步改进措施'.
_HEADING = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）]|\d+[.、])"
)
_PROBLEM_HEADING = re.compile(r"问题|不足")
_FIX_HEADING = re.compile(r"整改|改进|措施|建议|下一步")
# The projects column each role's value goes to.
COLUMNS = {
    "initial": "initial_budget_wan",
    "budget": "budget_wan",
    "actual": "actual_wan",
    "rate": "reported_rate_pct",
    "score": "score",
}
ROLE_NAMES = {"budget": "预算数", "actual": "执行数（实际支出）", "rate": "执行率"}


def detect(doc) -> float:
    """Report words, and sentences that state a budget, an amount spent and a rate."""
    score = keyword_score(doc.head, KEYWORDS)
    if score < MIN_REPORT_SCORE:
        return max(0.0, score)  # no report words: the sentences alone make no report
    text = normal_text(doc.head)
    if all(p.search(text) for p in _SENTENCES):
        score += SENTENCE_WEIGHT
    return max(0.0, min(MAX_SCORE, score))


class _Text:
    """The document as one text (lines joined without a break: prose wraps mid-sentence), with
    the line of every position."""

    def __init__(self, lines: list[str]):
        parts, self.starts = [], []
        pos = 0
        for line in lines:
            self.starts.append(pos)
            piece = normal_text(line.strip())
            parts.append(piece)
            pos += len(piece)
        self.text = "".join(parts)

    def line_at(self, pos: int) -> int:
        return bisect_right(self.starts, pos)


def read_values(lines: list[str]) -> dict[str, tuple[float, str, int]]:
    """role -> (value as printed, its unit or '%'/'分', 1-based line) for each role stated."""
    joined = _Text(lines)
    out: dict[str, tuple[float, str, int]] = {}
    for role, pattern in PATTERNS:
        for m in pattern.finditer(joined.text):
            value = parse_amount(m.group(1))
            if value is None:
                continue
            unit = (
                m.group(2)
                if m.lastindex and m.lastindex >= 2
                else ("%" if role == "rate" else "分")
            )
            out[role] = (value, unit, joined.line_at(m.start(1)))
            break
    return out


def read_title(lines: list[str]) -> tuple[str | None, str | None, str | None, int]:
    """(title, project, unit named before it in the title, line): the project from a 项目名称
    line, else from the title (关于…项目绩效自评的报告)."""
    for n, line in enumerate(lines, 1):
        m = _NAME_LINE.match(normal_text(line))
        if m and len(line) <= MAX_TITLE_CHARS:
            title = next((ln.strip() for ln in lines[:n] if "报告" in ln), None)
            return title, clean_name(m.group(1).strip("。")), None, n
    head_lines = [re.sub(r"\s+", "", normal_text(line)) for line in lines[:TITLE_LINES]]
    for n, first in enumerate(head_lines, 1):
        # A long title wraps onto the lines below it.
        title, m = first, None
        for more in head_lines[n : n + TITLE_WRAP_LINES]:
            m = _TITLE_NAME.match(title) if len(title) <= MAX_TITLE_CHARS else None
            if m or not more:
                break
            title += more
        m = m or (_TITLE_NAME.match(title) if len(title) <= MAX_TITLE_CHARS else None)
        if not first or not m:
            continue
        head = m.group("head")
        unit = _UNIT_PREFIX.match(head)
        name = _YEAR_PREFIX.sub("", head) or head
        if unit and name.startswith(unit.group(0)):
            name = name[len(unit.group(0)) :]
        name = re.sub(r"^(?:关于|对)", "", name)
        return title, (name or None), (clean_unit(unit.group(0)) if unit else None), n
    return None, None, None, 1


def read_part(lines: list[str], heading: re.Pattern) -> str | None:
    """The text under the first heading whose words match, up to the next heading."""
    for n, line in enumerate(lines):
        if not (_HEADING.match(line) and heading.search(line) and len(line) <= MAX_TITLE_CHARS):
            continue
        body = []
        for following in lines[n + 1 :]:
            if _HEADING.match(following) and not re.match(r"^\s*\d+[.、]", following):
                break
            if following.strip():
                body.append(following.strip())
        text = "".join(body)[:MAX_PART_CHARS]
        return text or None
    return None


def parse(doc) -> Parsed:
    lines = doc.lines
    out = Parsed()
    title, name, title_unit, name_line = read_title(lines)
    values = read_values(lines)
    unit = labelled_unit(doc.layout_cells) or title_unit
    amount_unit = next((values[r][1] for r in ("budget", "actual") if r in values), None)
    out.meta = {
        k: v
        for k, v in {
            "title": title,
            "unit": unit,
            "year": find_year(title or ""),
            "amount_unit": amount_unit,
        }.items()
        if v is not None
    }
    stated = [r for r in ("budget", "actual", "rate") if r in values]
    if not stated:
        out.findings.append(
            Finding(
                "MISSING_TABLE",
                "报告中未找到预算数、实际支出或执行率的表述（如“年度预算数为 120 万元”），未生成项目行；"
                "请确认文件是否为项目绩效自评报告，或附上自评表。",
            )
        )
        return out
    if not name:
        name = "（报告未写明项目名称）"
        out.findings.append(
            Finding(
                "PARTIAL_ROW",
                "报告标题和正文中未找到项目名称（“项目名称：…”或“…项目绩效自评报告”），请核对。",
                source_line=name_line,
            )
        )
    first_line = min(values[r][2] for r in values)
    for role in ("budget", "actual", "rate"):
        if role not in values:
            out.findings.append(
                Finding(
                    "PARTIAL_ROW",
                    f"「{name}」报告中未找到{ROLE_NAMES[role]}的表述，该值留空，请核对原文。",
                    project=name,
                    source_line=first_line,
                )
            )

    def wan(role: str) -> float | None:
        return to_wan(values[role][0], values[role][1]) if role in values else None

    grade = _GRADE.search(_Text(lines).text)
    out.projects.append(
        project_row(
            "project",
            name,
            first_line,
            initial_budget_wan=wan("initial"),
            budget_wan=wan("budget"),
            actual_wan=wan("actual"),
            reported_rate_pct=values["rate"][0] if "rate" in values else None,
            score=values["score"][0] if "score" in values else None,
            grade=grade.group(1) if grade else None,
            problems=read_part(lines, _PROBLEM_HEADING),
            rectification=read_part(lines, _FIX_HEADING),
            end_line=max(values[r][2] for r in values),
            value_lines=";".join(f"{COLUMNS[r]}={values[r][2]}" for r in COLUMNS if r in values),
        )
    )
    return out
