"""Kind final_accounts: a 部门决算 with its tables, a project self-evaluation narrative and annexes.

A 部门决算 publication (text pulled out of PDF or a spreadsheet) has these parts, each read in
its own module of this package:
- tables.py — 部门决算表: 收入支出决算总表 (本年收入合计 / 本年支出合计) and 支出决算表 (the 合计
  row under 本年支出合计 / 基本支出 / 项目支出), each under its own 单位：万元 (or 元) line, checked
  against the 情况说明 prose ("本年支出 … 万元"); the department rows;
- prose.py — the 情况说明 prose ("财政拨款支出年初预算 … 万元，…完成年初预算的 …%") and the
  numbered narrative of project self-evaluations, "(6) X的Y绩效自评综述：… 项目自评得分 96 分。
  项目全年预算数 300 万元，执行数 … 万元，预算执行率 …%", wrapped anywhere, even inside a word;
- overall.py — 附件一: 部门整体支出绩效目标完成情况自评表 (tasks with 金额合计, indicators with
  floating 一级/二级 labels) and 部门整体支出绩效评分表 (rubric rows, 综合评分, 评分等级);
- annex.py — 附件二: one 项目支出绩效自评表 per project, read by the project-table reader of
  project_eval_tables, matched to the narrative and merged with it (one row per project), with
  the tables' rows after a 总分 (ORPHAN_ROWS), ##### cells (OVERFLOW_CELL) and disagreements
  with the narrative (VALUE_CONFLICT);
- cells.py — the layout stage's cells once for the table readers, and the unit at each line.

Tables are read from layout.cells, so tab-separated, space-separated, one-cell-per-line and
flattened layouts go through the same state machines. A cover page or a table of contents with
no figures gives no rows and one finding saying so.
"""

from __future__ import annotations

import re

from ...detection import keyword_score, squeeze
from ...findings import Finding
from ...metadata import find_parent, find_unit, find_year
from ...numbers import to_halfwidth
from ...rows import clean_name
from .. import Parsed
from . import annex, overall, prose, tables
from .cells import UNIT_MARK, Stream, UnitTrack, stream_of

KIND = "final_accounts"
LABEL = "部门决算"  # its name in the dashboard
KEYWORDS: dict[str, float] = {
    "部门决算": 0.5,
    "收入支出决算总表": 0.3,
    "决算表": 0.1,
    "财政拨款收入支出决算": 0.1,
    "本年支出合计": 0.1,
}

# Title lines looked at for the title, and cells for a 部门：X label.
TITLE_LINES = 6
LABEL_SCAN = 5000
_TITLE_WORDS = re.compile(r"[（(]?(?:19|20)\d{2}年度?[)）]?|部门决算|单位决算|决算|公开|报告|说明")
_UNIT_NAME = re.compile(r"[\u4e00-\u9fff（）()]{4,40}")


def detect(doc) -> float:
    return keyword_score(doc.head, KEYWORDS)


def parse(doc) -> Parsed:
    lines = doc.lines
    findings: list[Finding] = []
    m = UNIT_MARK.search(doc.text)
    units = UnitTrack(lines, m.group(1) if m else "万元")
    title_unit = unit_from_title(_title(lines))
    summaries = prose.read_summaries(lines, title_unit)
    # The narrative is read as prose: its sentences are no table rows for the layout stage.
    s = stream_of(prose.without_items(lines, summaries))
    meta = _metadata(doc, s, units.default)
    if meta.get("unit") != title_unit:
        summaries = prose.read_summaries(lines, meta.get("unit"))

    text = prose.prose_of(lines)
    totals = tables.read_totals(s, units)
    tables.add_prose_totals(text, totals, findings)
    findings += tables.unplaced_findings(totals)
    annex_tables, orphans = annex.read_annex(s.cells, units)
    whole = overall.read_overall(lines, s, units)
    if not meta.get("parent_unit"):
        meta["parent_unit"] = next((t.block.parent for t in annex_tables if t.block.parent), None)

    pairs = annex.match_tables(summaries, annex_tables)
    projects, indicators = annex.merge(summaries, annex_tables, pairs, findings)
    findings += annex.missing_tables(summaries, annex_tables, pairs)
    findings += annex.orphan_findings(orphans, summaries, pairs)
    findings += prose.count_check(text, summaries)

    checked: list[dict] = []  # the printed totals compared, for Parsed.totals
    projects += tables.department_rows(meta.get("unit"), totals, whole, findings, checked)
    indicators += [overall.indicator_of(None, r) for r in whole.indicators]
    indicators += [overall.indicator_of(None, r) for r in whole.rubric]
    if whole.rubric and whole.score is not None:
        findings += overall.check_rubric(whole)
    if not projects and not indicators:
        findings.append(_nothing_read(s))
    return Parsed(
        meta=meta, projects=projects, indicators=indicators, findings=findings, totals=checked
    )


def _nothing_read(s: Stream) -> Finding:
    """A 部门决算 that gave no row: a cover, a table of contents, or tables whose figures the
    text lost. Said plainly, nothing invented."""
    # An amount prints decimals or thousands separators; a year, a 行次 or a page number does not.
    figures = any(c.num is not None and ("." in c.text or "," in c.text) for c in s.cells)
    if figures:
        why = "文中的金额未能对应到表中的项目（表格的行列在文本中已打乱）"
    else:
        why = "文中没有金额，可能只是封面或目录"
    return Finding(
        "NO_FIGURES",
        f"这份部门决算未读出任何数据行：{why}。请上传含决算表和绩效自评表正文的完整文件。",
        source_line=1,
    )


def _title(lines: list[str]) -> str | None:
    """The 部门决算 title among the first lines (a short one goes with the line above it)."""
    title_lines = [t.strip(" #*") for t in lines[:40] if t.strip(" #*")]
    for k, line in enumerate(title_lines[:TITLE_LINES]):
        if "决算" in line:
            return clean_name(
                " ".join(title_lines[max(0, k - 1) : k + 1]) if len(line) < 8 and k else line
            )
    return None


def _metadata(doc, s: Stream, amount_unit: str) -> dict:
    head = doc.head
    title = _title(doc.lines)
    unit = unit_from_title(title) or _labelled_unit(s) or find_unit(head)
    if not unit:
        cells = s.cells
        impl = next(
            (cells[k + 1].text for k, c in enumerate(cells[:-1]) if c.key == "实施单位"), None
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


def _labelled_unit(s: Stream) -> str | None:
    """The 部门：X cell printed above each 决算 table."""
    for c in s.cells[:LABEL_SCAN]:
        if c.key.startswith("部门:") and len(c.key) > 3:
            value = re.split(r"公开\d|单位:", c.key[3:])[0]
            if _UNIT_NAME.fullmatch(value):
                return value
    return None
