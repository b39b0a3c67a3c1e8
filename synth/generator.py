"""Synthetic corpus: documents of the five forms in many layouts, with their truth as parquet.

`python -m synth --docs N --seed S --out DIR` writes DIR/raw/*.txt and the tables the
loaders should produce from them in DIR/truth/{documents,projects,indicators,findings}.parquet
(the contract's schema, only the columns the generator knows; findings holds the OVERFLOW_CELL
findings the loaders must record). The same seed gives the same bytes.

Layouts follow what the kinds claim to read (their module docstrings and layout tests): tab rows,
runs of spaces, rows flattened onto one space-separated line, one cell per line (with or without
tab-led cells), each table on one line, amounts in 元 or 万元 with 2 or 4 decimals, OCR gaps
('2, 306. 00'), page breaks inside indicator tables that repeat the header, numbers too wide for
their cell printed as ##### (truth: null, plus the finding), and long names wrapped onto the next
line (truth: the whole name). Units are made up from the gazetteer's counties so that the place of
every document is known. final_accounts (部门决算) documents carry the 决算 tables, the 情况说明,
a narrative of project self-evaluations (wrapped at any width, even inside a number), 附件一
(tasks, indicators, rubric) and 附件二 (one 项目支出绩效自评表 in 元 per project).

project_eval_tables documents are also printed, a share of them drawn from a random stream of
their own (so that the rest of the corpus does not move), in the layout classes of synth.layouts
that real 自评表 come in: one cell per line ending in ' |' (as_pipe_end), 'a | b' rows
(as_pipe_rows), markdown tables (as_markdown), one cell per line with runs of blank lines between
cells (as_bare_gaps). A share of the documents of every kind but final_accounts (whose prose
the loaders match in simplified characters only) is printed in traditional
characters (衛生, 預算, 執行: synth.layouts.TRADITIONAL); their truth keeps the names (unit,
project, indicator) as printed, and 一级/二级 and 基本/项目支出 in simplified characters, as the
loaders read those categories. A few 自评表 blocks print their 年度资金总额 row as 0 over a 其中：财政拨款 row
with the amounts (truth: the component's amounts and a VALUE_CONFLICT finding). Not generated yet
(issue 11, item 6): glued cells, which the loaders do not read (the funds row gives nothing and
the indicator rows are lost; a glued 总分 row '总分10090' is cut at the full marks with a
finding), and slowly (a glued 自评表 block of 1.5 KB takes about 0.1 s); the 转移支付区域(项目)绩效自评表 (tried:
its projects are read, but its indicator rows lose their 一级 in every layout, vanish in the
one-cell-per-line and one-line layouts and shift in pipe_end); and, not yet tried, prose 自评报告
and split headers.

What the parsers do not read, and so is not generated (KINDS says where each shape goes):
- department_overall_eval: wrapped names but in the tab-led one-cell-per-line export (tab and
  space rows do not rejoin them; one cell per line without tabs cannot tell a wrapped cell's rest
  from the next cell).
- final_accounts: the 评分表 rubric in single-spaced and one-cell-per-line layouts (read line by
  line).
- ##### only where the kind records OVERFLOW_CELL: project_eval_tables, project_summary_table,
  final_accounts.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from loaders.build import doc_id_for
from loaders.places_data import GAZETTEER
from loaders.schema import DOCUMENTS, FINDINGS, INDICATORS, PROJECTS

log = logging.getLogger(__name__)

Rows = list[list[str]]

YEARS = range(2019, 2025)
# Share of documents of each kind.
KIND_WEIGHTS = {
    "project_eval_tables": 0.35,
    "project_summary_table": 0.25,
    "department_overall_eval": 0.15,
    "target_declaration": 0.15,
    "final_accounts": 0.10,
}
PROJECTS_PER_DOC = (15, 60)  # a project_eval_tables / project_summary_table document
INDICATORS_PER_PROJECT = (3, 10)
# Share of the documents of a kind with extra layouts (KindSpec.extra_layouts) printed in one.
EXTRA_LAYOUT_SHARE = 0.4
FUNDS_WEIGHT = 10.0  # the 年度资金总额 line's 分值 in a project_eval_tables block

UNIT_SUFFIXES = (
    "卫生健康局",
    "卫生健康委员会",
    "疾病预防控制中心",
    "卫生健康事务管理中心",
    "妇幼保健院",
    "卫生监督所",
)
# Project vocabulary drawn from the seeds.
PROJECT_WORDS = (
    "65岁以上老人定期体检", "疫情防控经费", "便捷就医服务数字化转型平台建设", "办公楼修缮",
    "计划生育奖励", "独生子女父母伤残家庭扶助", "爱国卫生运动", "家庭医生签约服务",
    "社区慢病筛查服务", "基本公共卫生服务", "严重精神障碍患者管理", "妇幼健康服务",
    "卫生监督执法", "疾病预防控制", "医疗设备购置", "信息化运维", "密码基础资源建设",
    "健康教育与促进", "免费孕前优生健康检查", "病媒生物预防控制", "急救网络建设",
    "基层医疗卫生机构能力提升", "中医药传承发展", "职业病防治", "老年健康服务",
)  # fmt: skip
PROJECT_QUALIFIERS = ("", "（一期）", "（二期）", "专项", "补助", "运维", "（含结转）")
# (一级, 二级, 三级, unit of the value) drawn from the seeds.
INDICATOR_WORDS = (
    ("产出指标", "数量指标", "完成体检数", "人"),
    ("产出指标", "数量指标", "签约人数", "人"),
    ("产出指标", "数量指标", "监督检查户次", "户次"),
    ("产出指标", "数量指标", "培训人次", "人次"),
    ("产出指标", "质量指标", "体检信息录入率", "%"),
    ("产出指标", "质量指标", "传染病报告及时率", "%"),
    ("产出指标", "质量指标", "设备验收合格率", "%"),
    ("产出指标", "时效指标", "资金拨付及时率", "%"),
    ("效益指标", "社会效益指标", "居民健康素养水平", "%"),
    ("效益指标", "社会效益指标", "老年人健康管理率", "%"),
    ("效益指标", "可持续影响指标", "长效机制建立率", "%"),
    ("满意度指标", "服务对象满意度指标", "群众满意度", "%"),
    ("满意度指标", "服务对象满意度指标", "患者满意度", "%"),
)
REASONS = ("设备故障导致部分复检", "部分资金年底拨付", "受疫情影响进度滞后", "人员不足")


# ---------------------------------------------------------------- layouts

# Inside a cell: where a PDF cell wrapped its text onto the next line.
WRAP = "\n"


@dataclass(frozen=True)
class Prose:
    """Paragraph lines outside any table: printed as they are whatever the layout."""

    lines: tuple[str, ...]


Table = Rows | Prose


def _unwrapped(rows: Rows) -> Rows:
    return [[c.replace(WRAP, "") for c in r] for r in rows]


def _continued(rows: Rows) -> Rows:
    """A row with wrapped cells, then a row holding only the rest of those cells, in their columns."""
    out: Rows = []
    for r in rows:
        if any(WRAP in c for c in r):
            out.append([c.split(WRAP, 1)[0] for c in r])
            out.append([c.split(WRAP, 1)[1] if WRAP in c else "" for c in r])
        else:
            out.append(r)
    return out


def as_tabs(rows: Rows) -> str:
    return "\n".join("\t".join(r) for r in _continued(rows))


def as_spaces(rows: Rows) -> str:
    return "\n".join("   ".join(c for c in r if c) for r in _continued(rows))


def as_flat_rows(rows: Rows) -> str:
    return "\n".join(" ".join(c for c in r if c) for r in _unwrapped(rows))


def as_cell_lines(rows: Rows) -> str:
    """A word processor's export: each cell on a tab-led line, a blank line after each row.

    A wrapped cell goes on with the rest of its text on a line without a tab.
    """
    return "\n".join("".join(f"\t{c}\n" for c in r) for r in rows)


def as_bare_lines(rows: Rows) -> str:
    return "\n".join(c for r in _unwrapped(rows) for c in r if c)


def as_one_line(rows: Rows) -> str:
    return " ".join(c for r in _unwrapped(rows) for c in r if c)


def _as_layout(rows: Rows, layout: str) -> str:
    """The rows printed by synth.layouts' renderer of `layout`, its random choices (blank-line
    runs) drawn from the rows themselves, so that the same rows print the same text."""
    from . import layouts  # synth.layouts does not import this module

    text = layouts.render(_unwrapped(rows), layout, random.Random(repr(rows))).text
    return text.rstrip("\n")


def as_pipe_end(rows: Rows) -> str:
    """One cell per line ending in ' |', an empty cell as a bare '|' (青神县's 自评表). The
    export prints a merged cell once: a row's leading empty cell (the 绩效指标 column) is not
    printed, nor the empty cells a label such as 总分 spans ('合计 |', '100 |', '|', '|')."""
    return _as_layout([_merged(r) for r in rows], "pipe_end")


def _merged(row: list[str]) -> list[str]:
    if len(row) > 1 and not row[0]:
        return row[1:]
    k = 1
    while k < len(row) and not row[k]:
        k += 1
    return row[:1] + row[k:] if k < len(row) else row


def as_pipe_rows(rows: Rows) -> str:
    """'a | b | c' rows, empty cells kept in their columns."""
    return _as_layout(rows, "pipe_row")


def as_markdown(rows: Rows) -> str:
    """'| a | b |' rows, a separator line after the first."""
    return _as_layout(rows, "markdown")


def as_bare_gaps(rows: Rows) -> str:
    """One cell per line, no tab, runs of blank lines between cells: longer between rows."""
    return _as_layout(rows, "cell_lines_bare")


Layout = Callable[[Rows], str]
LAYOUTS: dict[str, Layout] = {
    f.__name__: f
    for f in (as_tabs, as_spaces, as_flat_rows, as_cell_lines, as_bare_lines, as_one_line)
}
# Layout classes of real documents (issue 11) that only some kinds' documents are printed in,
# drawn from a random stream of their own so that the rest of the corpus stays as it was.
EXTRA_LAYOUTS: dict[str, Layout] = {
    f.__name__: f for f in (as_pipe_end, as_pipe_rows, as_markdown, as_bare_gaps)
}
# Layouts that print a wrapped cell on two lines; the others print it whole.
WRAPPING_LAYOUTS = ("as_tabs", "as_spaces", "as_cell_lines")


def render(table: Table, layout: str) -> str:
    if isinstance(table, Prose):
        return "\n".join(table.lines)
    return (LAYOUTS.get(layout) or EXTRA_LAYOUTS[layout])(table)


# ---------------------------------------------------------------- numbers as printed

# A number whose integer part has this many digits or more is too wide for its PDF cell in a
# document that overflows: it may print as #####.
OVERFLOW_DIGITS = 8
# Share of such wide numbers that print as ##### in a document with overflow.
OVERFLOW_SHARE = 0.5
OVERFLOW_MARK = "#####"


@dataclass(frozen=True)
class Style:
    """How one document prints: its layout, its number style, wrapping and overflow."""

    layout: str
    yuan: bool = False
    decimals: int = 2
    ocr: bool = False
    page_break: bool = False
    wrap: bool = False
    overflow: bool = False

    def money(self, wan: float) -> str:
        if self.yuan:
            text = f"{wan * 10000:,.2f}"
        else:
            text = f"{wan:,.{self.decimals}f}" if wan >= 1000 else f"{wan:.{self.decimals}f}"
        return self.ocr_gaps(text)

    def ocr_gaps(self, text: str) -> str:
        if self.ocr and "," in text:
            text = text.replace(",", ", ").replace(".", ". ")
        return text

    def overflows(self, rng: random.Random, text: str) -> bool:
        """Whether a printed number is shown as ##### instead (a wide number, some of the time)."""
        digits = sum(ch.isdigit() for ch in text.split(".")[0])
        return self.overflow and digits >= OVERFLOW_DIGITS and rng.random() < OVERFLOW_SHARE

    @property
    def unit_word(self) -> str:
        return "元" if self.yuan else "万元"


def _wan(rng: random.Random, low: float, high: float) -> float:
    """An amount in 万元 with 4 decimals, so that 元 (×10,000) stays exact with 2 decimals."""
    return round(rng.uniform(low, high), 4)


def _money_pair(rng: random.Random, style: Style) -> tuple[float, float]:
    budget = _wan(rng, 5, 3000)
    if style.decimals == 2 and not style.yuan:
        budget = round(budget, 2)
    share = rng.choice((1.0, 1.0, rng.uniform(0.3, 1.0), rng.uniform(1.0, 1.2)))
    actual = round(budget * share, 4 if style.decimals == 4 or style.yuan else 2)
    return budget, actual


def _rate(budget: float, actual: float) -> float:
    return round(actual / budget * 100, 2)


# ---------------------------------------------------------------- wrapped names

# Names shorter than this fit their cell; longer ones may wrap in a document with wrapping.
WRAP_MIN_CHARS = 7
# Characters on either side of the wrap.
WRAP_MIN_PART = 3
# Share of the documents, in a layout where their kind rejoins wrapped names, that wrap them,
# and share of the long names that wrap in such a document.
WRAP_DOCS_SHARE = 0.6
WRAP_SHARE = 0.4


def _wrapped(rng: random.Random, style: Style, name: str) -> str:
    """The name as its cell prints it: whole, or with WRAP where the PDF cell broke the line."""
    if not style.wrap or len(name) < WRAP_MIN_CHARS or rng.random() >= WRAP_SHARE:
        return name
    cut = rng.randint(WRAP_MIN_PART, len(name) - WRAP_MIN_PART)
    return name[:cut] + WRAP + name[cut:]


# ---------------------------------------------------------------- documents


@dataclass
class Synthetic:
    """One generated document: its text and what the loaders must read from it."""

    kind: str
    style: Style
    unit: str
    province: str
    city: str
    year: int
    text: str = ""
    projects: list[dict] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)

    def record(
        self,
        project: str | None,
        level1: str,
        level2: str,
        name: str,
        weight: float | None,
        score: float | None,
        status: str,
    ) -> None:
        """One indicator the loaders must read from this document (its truth row)."""
        self.indicators.append(
            {
                "project": project,
                "level1": level1,
                "level2": level2,
                "name": name,
                "weight": weight,
                "score": score,
                "status": status,
            }
        )

    findings: list[dict] = field(default_factory=list)  # findings the loaders must record
    # The tables and prose the text was rendered from (bench/make_pdfs.py prints them to PDF).
    tables: list[Table] = field(default_factory=list)
    score: float | None = None  # the department's 综合评分, where printed
    wrapped: list[str] = field(default_factory=list)  # names printed wrapped onto a second line
    traditional: bool = False  # printed in traditional characters
    # Draws for the variants of issue 11 (a stream of its own: the rest of the corpus stays put);
    # None: a document without them.
    variants: random.Random | None = field(default=None, repr=False, compare=False)

    def variant(self, share: float) -> bool:
        """Whether this document (or block) takes a variant drawn with that share."""
        return self.variants is not None and self.variants.random() < share

    def wrap(self, rng: random.Random, name: str) -> str:
        printed = _wrapped(rng, self.style, name)
        if printed != name:
            self.wrapped.append(name)
        return printed

    def overflow_finding(self, project: str) -> None:
        finding = {"code": "OVERFLOW_CELL", "project": project}
        if finding not in self.findings:
            self.findings.append(finding)


def _unit(rng: random.Random) -> tuple[str, str, str]:
    province = rng.choice(sorted(GAZETTEER))
    city = rng.choice(sorted(c for c, counties in GAZETTEER[province].items() if counties))
    county = rng.choice(GAZETTEER[province][city].split())
    # The full chain makes the place unambiguous (a county name can exist in two provinces).
    prefix = province + ("" if city == province else city)
    return f"{prefix}{county}{rng.choice(UNIT_SUFFIXES)}", province, city


def _project_names(rng: random.Random, n: int) -> list[str]:
    names: list[str] = []
    while len(names) < n:
        name = f"{rng.choice(PROJECT_WORDS)}{rng.choice(PROJECT_QUALIFIERS)}"
        if name in names:
            name = f"{name}{len(names) + 1}号"
        names.append(name)
    return names


def _indicator(rng: random.Random, used: set[str]) -> tuple[str, str, str, str, float, str, str]:
    """(一级, 二级, 三级, target, target value, actual, status-by-value) for one indicator."""
    level1, level2, name, unit = rng.choice([w for w in INDICATOR_WORDS if w[2] not in used])
    used.add(name)
    if unit == "%":
        target = rng.choice((80, 85, 90, 95))
        actual = min(100, rng.choice((target + rng.randint(0, 5), target - rng.randint(1, 8))))
        status = "met" if actual >= target else "not_met"
        return level1, level2, name, f"≥{target}%", target, f"{actual}%", status
    target = rng.randint(10, 500) * 10
    actual = target + rng.randint(-target // 10, target // 5)
    status = "met" if actual >= target else "not_met"
    return level1, level2, name, f"≥{target}{unit}", target, f"{actual}{unit}", status


LEVEL_ORDER = {
    (level1, level2): k
    for k, (level1, level2, *_rest) in reversed(list(enumerate(INDICATOR_WORDS)))
}


def _grouped(indicators: list[tuple]) -> list[tuple]:
    """Indicators in their form's order: each 一级 / 二级 group is printed in one piece."""
    return sorted(indicators, key=lambda x: LEVEL_ORDER[x[0], x[1]])


def _weights(rng: random.Random, n: int, total: float) -> list[float]:
    """n whole-number weights adding up to total."""
    cuts = sorted(rng.sample(range(1, int(total)), n - 1))
    return [float(b - a) for a, b in zip([0, *cuts], [*cuts, int(total)], strict=True)]


def _score_of(rng: random.Random, weight: float) -> float:
    return weight if rng.random() < 0.7 else float(max(0, int(weight) - rng.randint(1, 3)))


def _status(weight: float, score: float) -> str:
    return "met" if score >= weight else "not_met"


def _funds_cells(
    rng: random.Random,
    doc: Synthetic,
    project: str,
    values: dict[str, float],
    printed: bool = True,
) -> dict[str, str]:
    """The printed money cells of one row; a wide number may overflow (its truth becomes null).
    printed=False: the cells are not printed after all (the draws are made all the same)."""
    out = {}
    for key, wan in values.items():
        text = doc.style.money(wan)
        if doc.style.overflows(rng, text):
            text = OVERFLOW_MARK
            if printed:
                doc.overflow_finding(project)
        out[key] = text
    return out


def _scored_row(
    rng: random.Random,
    doc: Synthetic,
    project: str,
    weight: float,
    indicator: tuple[str, str, str, str, str],
    last: tuple[str | None, str | None],
) -> tuple[list[str], float]:
    """One scored indicator row of a 项目支出绩效自评表 (一级/二级 printed only where they change)
    and its score; the indicator's truth goes to doc.indicators."""
    level1, level2, name, target, actual_text = indicator
    score = _score_of(rng, weight)
    reason = rng.choice(REASONS) if score < weight else ""
    row = [
        "",
        "" if level1 == last[0] else level1,
        "" if (level1, level2) == last else level2,
        doc.wrap(rng, name),
        target,
        actual_text,
        f"{weight:g}",
        f"{score:g}",
        reason,
    ]
    doc.record(project, level1, level2, name, weight, score, _status(weight, score))
    return row, score


# Share of the 自评表 blocks whose 年度资金总额 row is printed as 0 over a 其中：财政拨款 row with
# the amounts (some provinces' forms): the loaders take the component and record VALUE_CONFLICT.
ZERO_TOTAL_SHARE = 0.04


def _zero_total_rows(
    doc: Synthetic, initial: float, budget: float, actual: float, rate: float
) -> Rows:
    """A 年度资金总额 row of zeros (得分 0), then the 财政拨款 row that holds the amounts."""
    zero = doc.style.money(0)
    return [
        ["", "年度资金总额", zero, zero, zero, f"{FUNDS_WEIGHT:g}", "0.00%", "0.00"],
        ["", "其中：财政拨款"]
        + [doc.style.money(initial), doc.style.money(budget), doc.style.money(actual)]
        + ["—", f"{rate:.2f}%", "—"],
    ]


def eval_tables(rng: random.Random, doc: Synthetic) -> list[Table]:
    """project_eval_tables: one 项目支出绩效自评表 block per project."""
    s = doc.style
    blocks: list[Table] = []
    for name in _project_names(rng, rng.randint(*PROJECTS_PER_DOC)):
        initial, _ = _money_pair(rng, s)
        budget, actual = _money_pair(rng, s)
        rate = _rate(budget, actual)
        funds_score = round(FUNDS_WEIGHT * min(rate, 100) / 100, 2)
        zero_total = doc.variant(ZERO_TOTAL_SHARE)
        printed = _funds_cells(
            rng,
            doc,
            name,
            {"initial": initial, "budget": budget, "actual": actual},
            printed=not zero_total,  # else the 财政拨款 row prints them, whole
        )
        n = rng.randint(*INDICATORS_PER_PROJECT)
        weights = _weights(rng, n, 100 - FUNDS_WEIGHT)
        header = ["", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值"]
        header += ["得分", "偏差原因分析"]
        rows: Rows = [
            ["项目支出绩效自评表"],
            [f"（{doc.year}年度）"],
            ["项目名称", doc.wrap(rng, name)],
            ["主管部门", f"{doc.city}卫生健康委员会", "实施单位", doc.unit],
            [f"项目资金（{s.unit_word}）", "年初预算数", "全年预算数", "全年执行数", "分值"]
            + ["执行率", "得分"],
            *(
                _zero_total_rows(doc, initial, budget, actual, rate)
                if zero_total
                else [
                    ["", "年度资金总额", printed["initial"], printed["budget"], printed["actual"]]
                    + [f"{FUNDS_WEIGHT:g}", f"{rate:.2f}%", f"{funds_score:.2f}"]
                ]
            ),
            ["年度总体目标", "预期目标", "实际完成情况"],
            ["", f"完成{name}年度任务", "已按计划完成"],
            header,
        ]
        used: set[str] = set()
        total = 0.0 if zero_total else funds_score
        last1 = last2 = None
        for weight in weights:
            level1, level2, ind, target, _, actual_text, _ = _indicator(rng, used)
            row, score = _scored_row(
                rng, doc, name, weight, (level1, level2, ind, target, actual_text), (last1, last2)
            )
            total += score
            rows.append(row)
            if s.page_break and len(rows) == 11:
                if s.layout in ("as_tabs", "as_spaces"):
                    rows += [["\f- 2 -"], [], ["项目支出绩效自评表"], header]
                else:  # without row breaks the page repeats the project's name
                    rows += [["项目支出绩效自评表"], ["项目名称", name], header]
                last1 = last2 = None
            else:
                last1, last2 = level1, level2
        total = round(total, 2)
        rows += [["总分", "", "", "", "", "", "100", f"{total:g}", ""], ["评分等级", "优"]]
        blocks.append(rows)
        seen = {
            k: None if printed[k] == OVERFLOW_MARK and not zero_total else v
            for k, v in (("initial", initial), ("budget", budget), ("actual", actual))
        }
        if zero_total:
            doc.findings.append({"code": "VALUE_CONFLICT", "project": name})
        computed = (
            seen["actual"] / seen["budget"] * 100
            if seen["budget"] and seen["actual"] is not None
            else None
        )
        doc.projects.append(
            {
                "level": "project",
                "project": name,
                "initial_budget_wan": seen["initial"],
                "budget_wan": seen["budget"],
                "actual_wan": seen["actual"],
                "reported_rate_pct": rate,
                "execution_rate_pct": computed,
                "score": total,
            }
        )
    return blocks


def summary_table(rng: random.Random, doc: Synthetic) -> list[Table]:
    """project_summary_table: one row per project with budget, execution and rate."""
    s = doc.style
    rows: Rows = [
        [f"{doc.unit}{doc.year}年度项目绩效自评表"],
        [f"单位：{s.unit_word}"],
        ["序号", "项目名称", "预算数(A)", "执行数(B)", "执行率(B/A)", "存在问题", "整改情况"],
    ]
    sums = [0.0, 0.0]
    for k, name in enumerate(_project_names(rng, rng.randint(*PROJECTS_PER_DOC)), 1):
        budget, actual = _money_pair(rng, s)
        rate = _rate(budget, actual)
        sums = [sums[0] + budget, sums[1] + actual]
        problem = rng.choice(("无", "进度滞后", "资金拨付慢"))
        printed = _funds_cells(rng, doc, name, {"budget": budget, "actual": actual})
        rows.append(
            [str(k), doc.wrap(rng, name), printed["budget"], printed["actual"]]
            + [f"{rate:.2f}%", problem, "无"]
        )
        budget_seen = None if printed["budget"] == OVERFLOW_MARK else budget
        actual_seen = None if printed["actual"] == OVERFLOW_MARK else actual
        doc.projects.append(
            {
                "level": "project",
                "project": name,
                "budget_wan": budget_seen,
                "actual_wan": actual_seen,
                "reported_rate_pct": rate,
                "execution_rate_pct": rate if budget_seen and actual_seen is not None else None,
            }
        )
    total = [round(v, 4) for v in sums]
    rows.append(["合计", "", s.money(total[0]), s.money(total[1]), f"{_rate(*total):.2f}%"])
    return [rows]


def overall_eval(rng: random.Random, doc: Synthetic) -> list[Table]:
    """department_overall_eval: department total, 基本/项目支出 lines, weighted indicators."""
    s = doc.style
    basic, basic_actual = _money_pair(rng, s)
    project, project_actual = _money_pair(rng, s)
    total = round(basic + project, 4)
    total_actual = round(basic_actual + project_actual, 4)
    title = Prose(("附件7", f"{doc.year}年度部门整体支出绩效自评表"))
    name_row: Rows = [["部门（单位）名称", doc.unit]]
    funds: Rows = [
        [f"整体支出规模（单位：{s.unit_word}）", "", "预算数(A)", "执行数(B)", "执行率(B/A)"],
        ["", "合计", s.money(total), s.money(total_actual), f"{_rate(total, total_actual):.2f}%"],
        ["", "资金来源：（1）财政拨款", s.money(total), s.money(total_actual)]
        + [f"{_rate(total, total_actual):.2f}%"],
        ["", "资金结构：（1）基本支出", s.money(basic), s.money(basic_actual)]
        + [f"{_rate(basic, basic_actual):.2f}%"],
        ["", "（2）项目支出", s.money(project), s.money(project_actual)]
        + [f"{_rate(project, project_actual):.2f}%"],
    ]
    goals: Rows = [
        ["年度总体目标", "年初设定目标", "全年完成情况"],
        ["", "1.保障基本公共卫生服务。", "全面完成。"],
    ]
    rows: Rows = [
        ["分解目标自评"],
        ["一级指标", "权重", "二级指标", "三级指标", "年初目标值", "全年完成值", "自评得分"]
        + ["偏差原因"],
    ]
    # One 三级指标 per 二级指标, so that the 二级 weight is the indicator's weight.
    groups: dict[str, list[tuple[str, str, str, str]]] = {}
    for level1, level2, name, unit in INDICATOR_WORDS:
        groups.setdefault(level1, [])
        if level2 not in {g[0] for g in groups[level1]}:
            groups[level1].append((level2, name, unit, ""))
    chosen = {k: rng.sample(v, rng.randint(1, len(v))) for k, v in groups.items()}
    weights = _weights(rng, sum(map(len, chosen.values())), 100)
    score_sum = 0.0
    k = 0
    for level1, items in chosen.items():
        group_weight = sum(weights[k : k + len(items)])
        for j, (level2, name, unit, _) in enumerate(items):
            weight = weights[k]
            k += 1
            score = _score_of(rng, weight)
            score_sum += score
            target, actual = ("≥90%", "95%") if unit == "%" else (f"≥100{unit}", f"120{unit}")
            reason = rng.choice(REASONS) if score < weight else ""
            rows.append(
                [
                    level1 if j == 0 else "",
                    f"{group_weight:g}" if j == 0 else "",
                    f"{level2}（{weight:g}）",
                    doc.wrap(rng, name),
                    target,
                    actual,
                    f"{score:g}",
                    reason,
                ]
            )
            doc.record(None, level1, level2, name, weight, score, _status(weight, score))
    rows.append(["总分", "100", f"{score_sum:g}", ""])
    doc.projects += [
        {
            "level": "department",
            "project": doc.unit,
            "budget_wan": total,
            "actual_wan": total_actual,
            "reported_rate_pct": _rate(total, total_actual),
            "execution_rate_pct": _rate(total, total_actual),
            "score": score_sum,
        },
        {
            "level": "expenditure_type",
            "project": "基本支出",
            "budget_wan": basic,
            "actual_wan": basic_actual,
            "reported_rate_pct": _rate(basic, basic_actual),
            "execution_rate_pct": _rate(basic, basic_actual),
        },
        {
            "level": "expenditure_type",
            "project": "项目支出",
            "budget_wan": project,
            "actual_wan": project_actual,
            "reported_rate_pct": _rate(project, project_actual),
            "execution_rate_pct": _rate(project, project_actual),
        },
    ]
    return [title, name_row, funds, goals, rows]


def declaration(rng: random.Random, doc: Synthetic) -> list[Table]:
    """target_declaration: task budgets and indicator targets only."""
    s = doc.style
    title = Prose(("单位整体支出绩效目标申报表", f"({doc.year} 年度)"))
    meta: Rows = [["单位名称", doc.unit, "主管部门", f"{doc.city}卫生健康委员会"]]
    rows: Rows = [
        ["任务名称", "主要内容", f"年度预算（{s.unit_word}）"],
        ["总额", "财政拨款", "其他资金"],
    ]
    sums = [0.0, 0.0, 0.0]
    names = ["基本支出", *_project_names(rng, rng.randint(3, 12))]
    for name in dict.fromkeys(names):
        fiscal, _ = _money_pair(rng, s)
        other = rng.choice((0.0, 0.0, round(fiscal * 0.1, 2)))
        total = round(fiscal + other, 4)
        sums = [sums[0] + total, sums[1] + fiscal, sums[2] + other]
        rows.append(
            [doc.wrap(rng, name), f"开展{name}相关工作。", s.money(total), s.money(fiscal)]
            + [s.money(other)]
        )
        doc.projects.append({"level": "task", "project": name, "budget_wan": total})
    rows.append(["金额合计:", *(s.money(round(v, 4)) for v in sums)])
    goals: Rows = [["年度总体目标"], ["提升公共卫生服务能力。"]]
    targets: Rows = [["一级指标", "二级指标", "三级指标", "指标值"]]
    # Every row prints its 二级 label; with one cell per line the label sits on the line above
    # the name, and names worded like another 二级 family (…及时率 in 质量指标) keep their own.
    used: set[str] = set()
    last = None
    for level1, level2, name, target, *_ in _grouped(
        [_indicator(rng, used) for _ in range(rng.randint(3, 8))]
    ):
        targets.append(["" if level1 == last else level1, level2, doc.wrap(rng, name), target])
        last = level1
        doc.record(None, level1, level2, name, None, None, "target_only")
    return [title, meta, rows, goals, targets]


# ---------------------------------------------------------------- 部门决算 (final_accounts)

FA_FUNDS_WEIGHT = 10.0  # the 年度资金总额 line's 分值 in an annex table
# Share of documents whose 附件一 (部门整体支出绩效自评 tables) is printed.
FA_OVERALL_SHARE = 0.6
# Share of documents with one narrative project whose annex table is missing.
FA_MISSING_TABLE_SHARE = 0.15
# Width range, in characters, of the lines a PDF extraction wraps the narrative into.
FA_PROSE_WIDTH = (28, 70)
# Layouts whose 部门整体支出绩效评分表 is read: rows are read line by line, and a single-spaced
# rubric row (prose cells between its numbers) is not split into cells.
FA_RUBRIC_LAYOUTS = ("as_tabs", "as_spaces")
# (一级 label as printed, 二级, 三级, weight) of the 部门整体支出绩效评分表, from the seed's rubric.
FA_RUBRIC = (
    ("部门决策（20分）", "预算编制", "预算编制合理性", 5),
    ("", "", "预算编制规范性", 5),
    ("", "目标设置", "绩效目标完整性", 3),
    ("", "", "绩效指标明确性", 7),
    ("部门管理（20分）", "资金管理", "政府采购执行情况", 2),
    ("", "", "财务合规性", 3),
    ("", "", "预决算信息公开", 3),
    ("", "项目管理", "项目实施程序", 2),
    ("", "", "项目监管", 2),
    ("", "资产管理", "资产管理安全性", 2),
    ("", "", "固定资产利用率", 1),
    ("", "人员管理", "财政供养人员控制率", 1),
    ("", "", "编外人员控制率", 1),
    ("", "制度管理", "管理制度健全性", 3),
    ("部门绩效（60分）", "经济性", "公用经费控制率", 6),
    ("", "效率性", "预算执行率", 6),
    ("", "", "重点工作完成情况", 8),
    ("", "", "项目完成及时性", 6),
    ("", "效果性", "履职效益", 25),
    ("", "公平性", "群众信访办理情况", 3),
    ("", "", "公众或服务对象满意度", 6),
)
FA_TASKS = (
    ("基本支出", "保障人员工资福利和机构日常运转。"),
    ("公共卫生服务", "开展基本公共卫生服务和重大公共卫生服务。"),
    ("信息化系统建设与运行", "卫生数据平台运维和应用系统优化。"),
    ("医疗服务", "提升基层医疗卫生机构服务能力。"),
    ("严控类项目", "保质保量完成全年接待任务。"),
    ("上级下达资金", "完成上级下达的专项任务。"),
)


def _yuan(wan: float) -> float:
    return round(wan * 10000, 2)


def _fa_totals(rng: random.Random, doc: Synthetic) -> tuple[list[Table], dict[str, float]]:
    """收入支出决算总表 and 支出决算表, in 万元 or 元, and the 情况说明 sentences on them."""
    s = doc.style
    basic = round(rng.uniform(300, 5000), 2)
    project = round(rng.uniform(500, 30000), 2)
    spent = round(basic + project, 2)
    social = round(basic * rng.uniform(0.005, 0.03), 2)
    housing = round(basic * rng.uniform(0.01, 0.05), 2)
    health = round(spent - social - housing, 2)
    business = round(spent * rng.uniform(0, 0.08), 2)
    other = round(spent * rng.uniform(0, 0.01), 2)
    income = round(spent + rng.uniform(-0.05, 0.05) * spent, 2)
    fiscal = round(income - business - other, 2)
    carried = round(max(0.0, spent - income) + rng.uniform(0, 500), 2)  # 年末结余 stays ≥ 0
    closing = round(income + carried - spent, 2)
    grand = round(income + carried, 2)

    def m(wan: float) -> str:
        return s.money(wan)

    overview: Rows = [
        ["收入支出决算总表"],
        [f"部门：{doc.unit}", "", "公开01表", f"单位：{s.unit_word}"],
        ["收入", "", "", "支出"],
        ["项目", "行次", "决算数", "项目", "行次", "决算数"],
        ["栏次", "", "1", "栏次", "", "2"],
        ["一、一般公共预算财政拨款收入", "1", m(fiscal), "八、社会保障和就业支出", "39", m(social)],
        ["五、事业收入", "5", m(business), "九、卫生健康支出", "40", m(health)],
        ["八、其他收入", "8", m(other), "十九、住房保障支出", "50", m(housing)],
        ["本年收入合计", "27", m(income), "本年支出合计", "58", m(spent)],
        ["年初结转和结余", "29", m(carried), "年末结转和结余", "60", m(closing)],
        ["总计", "31", m(grand), "总计", "62", m(grand)],
    ]
    spending: Rows = [
        ["支出决算表"],
        [f"部门：{doc.unit}"],
        ["公开03表"],
        [f"单位：{s.unit_word}"],
        ["项目", "", "本年支出合计", "基本支出", "项目支出", "上缴上级支出", "经营支出"],
        ["功能分类科目编码", "科目名称"],
        ["栏次", "", "1", "2", "3", "4", "5"],
        ["合计", "", m(spent), m(basic), m(project)],
        ["208", "社会保障和就业支出", m(social), m(social)],
        ["210", "卫生健康支出", m(health), m(round(basic - social - housing, 2)), m(project)],
        ["221", "住房保障支出", m(housing), m(housing)],
    ]
    g = s.ocr_gaps
    prose = Prose(
        (
            "第三部分 部门决算情况说明",
            "一、收入支出决算总体情况说明",
            f"本单位 {doc.year} 年度收入总计 {g(f'{grand:,.2f}')} 万元，其中：本年收入 "
            f"{g(f'{income:,.2f}')} 万元。支出总计 {g(f'{grand:,.2f}')} 万元，其中：本年支出 "
            f"{g(f'{spent:,.2f}')} 万元。",
            f"基本支出 {g(f'{basic:,.2f}')} 万元，占 {basic / spent * 100:.2f}%；项目支出 "
            f"{g(f'{project:,.2f}')} 万元，占 {project / spent * 100:.2f}%。",
        )
    )
    values = {"income": income, "spent": spent, "basic": basic, "project": project}
    return [overview, spending, prose], values


def _fa_overall(rng: random.Random, doc: Synthetic) -> list[Table]:
    """附件一: 部门整体支出绩效目标完成情况自评表 (tasks, indicators) and, where read, the 评分表."""
    s = doc.style
    rows: Rows = [
        ["部门(单位)整体支出绩效目标完成情况自评表"],
        ["部门(单位)名称", doc.unit, "预算年度", str(doc.year)],
        ["年度主要任务完成情况", "任务名称", "完成情况", "预算数(元)", "", "执行数(元)", ""],
        ["", "", "", "全额", "其中:财政拨款", "全额", "其中:财政拨款"],
    ]
    sums = [0.0, 0.0, 0.0, 0.0]
    for name, description in rng.sample(FA_TASKS, rng.randint(2, len(FA_TASKS))):
        budget = round(rng.uniform(10, 3000), 2)
        fiscal = round(budget * rng.choice((1.0, 1.0, rng.uniform(0.5, 1.0))), 2)
        actual = round(budget * rng.uniform(0.4, 1.0), 4)
        actual_fiscal = round(min(actual, fiscal), 4)
        amounts = [_yuan(budget), _yuan(fiscal), _yuan(actual), _yuan(actual_fiscal)]
        sums = [a + b for a, b in zip(sums, amounts, strict=True)]
        rows.append(["", name, description, *(f"{v:.2f}" for v in amounts)])
        doc.projects.append(
            {
                "level": "task",
                "project": name,
                "budget_wan": amounts[0] / 10000,
                "actual_wan": amounts[2] / 10000,
                "execution_rate_pct": amounts[2] / amounts[0] * 100,
            }
        )
    rows.append(["", "金额合计", "", *(f"{v:.2f}" for v in sums)])
    rows += [
        ["年度总体目标完成情况", "预期目标", "", "目标实际完成情况"],
        ["", "保障单位正常运转，完成年度重点工作。", "", "已完成年度重点工作。"],
        [
            "年度绩效指标完成情况",
            "一级指标",
            "二级指标",
            "三级指标",
            "预期指标值",
            "实际完成指标值",
        ],
    ]
    used: set[str] = set()
    last1 = last2 = None
    for level1, level2, name, target, _, actual, status in _grouped(
        [_indicator(rng, used) for _ in range(rng.randint(3, 10))]
    ):
        rows.append(
            [
                "",
                "" if level1 == last1 else level1,
                "" if (level1, level2) == (last1, last2) else level2,
                doc.wrap(rng, name),
                target,
                actual,
            ]
        )
        last1, last2 = level1, level2
        doc.record(None, level1, level2, name, None, None, status)
    tables: list[Table] = [rows]
    if s.layout not in FA_RUBRIC_LAYOUTS:
        return tables
    rubric: Rows = [
        ["部门整体支出绩效评分表"],
        ["评价指标", "", "", "", "指标说明", "评分标准", "分数"],
        ["一级指标", "二级指标", "三级指标", "分值", "", "", ""],
    ]
    total = 0.0
    level1 = level2 = None
    for label, level2_label, name, weight in FA_RUBRIC:
        level1 = label.split("（")[0] if label else level1
        level2 = level2_label or level2
        score = float(weight) if rng.random() < 0.7 else round(weight * rng.uniform(0.5, 1), 2)
        total += score
        rows_text = [label, level2_label, name, str(weight)]
        rubric.append(
            [*rows_text, f"考核{name}情况。", "符合要求得满分，否则酌情扣分。", f"{score:g}"]
        )
        doc.record(None, level1, level2, name, float(weight), score, _status(weight, score))
    total = round(total, 2)
    rubric += [["综合评分", "", "", "", f"{total:g}"], ["评分等级", "", "", "", "优"]]
    doc.score = total
    tables.append(rubric)
    return tables


def _fa_annex(
    rng: random.Random, doc: Synthetic, name: str, budget_yuan: float, actual_yuan: float
) -> tuple[Rows, float | None, float]:
    """附件二: one 项目支出绩效自评表 in 元; returns it, its 年初预算数 (None: #####) and 总分."""
    s = doc.style
    initial_yuan = rng.choice((budget_yuan, budget_yuan, _yuan(round(rng.uniform(1, 3000), 2))))
    rate = actual_yuan / budget_yuan
    funds_score = round(FA_FUNDS_WEIGHT * min(rate, 1.0), 2)
    rate_text = rng.choice((f"{rate:.2f}", f"{rate * 100:.2f}%"))
    printed = {}
    for key, value in (("initial", initial_yuan), ("budget", budget_yuan), ("actual", actual_yuan)):
        text = f"{value:.2f}"
        if s.overflows(rng, text):
            text = OVERFLOW_MARK
            doc.overflow_finding(name)
        printed[key] = text
    cells = [printed["initial"], printed["budget"], printed["actual"]]
    rows: Rows = [
        ["项目支出绩效自评表"],
        ["项目名称", doc.wrap(rng, name), "项目金额", f"{budget_yuan:.0f}"],
        ["主管部门", f"{doc.city}卫生健康委员会", "实施单位", doc.unit],
        ["项目资金（元）", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        ["", "年度资金总额", *cells, f"{FA_FUNDS_WEIGHT:g}", rate_text, f"{funds_score:.2f}"],
        ["", "其中：当年财政拨款", *cells, "—", rate_text, "—"],
        ["", "上年结转资金", "0.00", "0.00", "0.00", "—", "0.00", "—"],
        ["年度总体目标", "预期目标", "实际完成情况"],
        ["", f"完成{name}年度任务。", "已按计划完成。"],
        ["年度绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值"]
        + ["得分", "偏差原因分析及改进措施"],
    ]
    n = rng.randint(*INDICATORS_PER_PROJECT)
    used: set[str] = set()
    total = funds_score
    last1 = last2 = None
    indicators = _grouped([_indicator(rng, used) for _ in range(n)])
    for weight, (level1, level2, ind, target, _, actual_text, _) in zip(
        _weights(rng, n, 100 - FA_FUNDS_WEIGHT), indicators, strict=True
    ):
        row, score = _scored_row(
            rng, doc, name, weight, (level1, level2, ind, target, actual_text), (last1, last2)
        )
        total += score
        rows.append(row)
        last1, last2 = level1, level2
    total = round(total, 2)
    rows.append(["", "总分", "", "", "", "", "100", f"{total:g}", "—"])
    initial = None if printed["initial"] == OVERFLOW_MARK else initial_yuan / 10000
    return rows, initial, total


def _narrative_lines(rng: random.Random, paragraphs: list[str]) -> tuple[str, ...]:
    """Paragraphs as a PDF extraction prints them: whole, or wrapped at a width, anywhere."""
    if not rng.random() < 0.5:
        return tuple(p for par in paragraphs for p in (par, ""))
    width = rng.randint(*FA_PROSE_WIDTH)
    gap = rng.choice(("", "\n"))
    lines: list[str] = []
    for par in paragraphs:
        pieces = [par[k : k + width] for k in range(0, len(par), width)]
        lines += [gap.join(p + "\n" for p in pieces).rstrip("\n"), ""]
    return tuple(lines)


def final_accounts(rng: random.Random, doc: Synthetic) -> list[Table]:
    """final_accounts: 部门决算 tables, 情况说明, project self-evaluation narrative and annexes."""
    s = doc.style
    title = Prose(
        (
            f"{doc.unit} {doc.year} 年度",
            "部门决算",
            "",
            "第一部分 部门概况",
            "一、部门职责",
            "承担辖区卫生健康事业发展规划和公共卫生服务管理工作。",
            "",
            f"第二部分 {doc.year} 年度部门决算表",
        )
    )
    tables, totals = _fa_totals(rng, doc)
    doc.score = None
    names = _project_names(rng, rng.randint(3, 20))
    missing = rng.choice(names) if rng.random() < FA_MISSING_TABLE_SHARE else None
    owner = rng.choice((doc.unit, "本单位"))
    items: list[str] = []
    annexes: list[Table] = []
    for k, name in enumerate(names, 1):
        budget = round(rng.uniform(0.5, 6000), 2)
        actual_yuan = round(_yuan(budget) * rng.choice((1.0, 1.0, rng.uniform(0.2, 1.0))), 2)
        actual = round(actual_yuan / 10000, 2)
        rate = round(actual_yuan / _yuan(budget) * 100, 2)
        initial = None
        if name == missing:
            score = round(rng.uniform(60, 100), 1)
        else:
            table, initial, score = _fa_annex(rng, doc, name, _yuan(budget), actual_yuan)
            annexes.append(table)
        g = s.ocr_gaps
        items.append(
            f"({k}) {owner}的{name}绩效自评综述：根据年初设定的目标，项目自评得分 {score:g} 分。"
            f"项目全年预算数 {g(f'{budget:,.2f}')} 万元，执行数 {g(f'{actual:,.2f}')} 万元，"
            f"预算执行率 {rate:.2f}%。项目绩效目标完成情况：完成各项项目指标。"
            f"发现的主要问题及原因：{rng.choice(('无', *REASONS))}。下一步改进措施：无。"
        )
        doc.projects.append(
            {
                "level": "project",
                "project": name,
                "initial_budget_wan": initial,
                "budget_wan": budget,
                "actual_wan": actual,
                "reported_rate_pct": rate,
                "execution_rate_pct": actual / budget * 100,
                "score": score,
            }
        )
    quoted = "、".join(f"“{n}”" for n in names[:2])
    narrative = Prose(
        (
            "十、预算绩效情况说明",
            "（二）部门决算中项目绩效自评结果",
            "",
            *_narrative_lines(
                rng,
                [
                    f"本单位在 {doc.year} 年度部门决算中反映{quoted}等 {len(names)} 个项目绩效自评"
                    "结果，具体各项目支出自评表，详见附件二。",
                    *items,
                ],
            ),
            "十一、其他重要事项情况说明",
            "本单位无其他重要事项。",
        )
    )
    overall: list[Table] = []
    if rng.random() < FA_OVERALL_SHARE:
        overall = [
            Prose(("附件一：", f"{doc.year} 年度部门整体绩效自评报告")),
            *_fa_overall(rng, doc),
        ]
    doc.projects += [
        {
            "level": "department",
            "project": doc.unit,
            "actual_wan": totals["spent"],
            "income_wan": totals["income"],
            "score": doc.score,
        },
        {"level": "expenditure_type", "project": "基本支出", "actual_wan": totals["basic"]},
        {"level": "expenditure_type", "project": "项目支出", "actual_wan": totals["project"]},
    ]
    return [title, *tables, narrative, *overall, Prose(("附件二：",)), *annexes]


# ---------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class KindSpec:
    """How a kind is generated: its writer and the shapes its parser reads."""

    writer: Callable[[random.Random, Synthetic], list[Table]]
    layouts: tuple[str, ...]
    wrap_layouts: tuple[str, ...] = ()  # layouts whose wrapped name cells the parser rejoins
    overflow: bool = False  # the parser records OVERFLOW_CELL for a ##### money cell
    page_break_layouts: tuple[str, ...] = ()
    extra_layouts: tuple[str, ...] = ()  # of EXTRA_LAYOUTS, for a share of the documents
    traditional: bool = True  # a share of the documents is printed in traditional characters


KINDS: dict[str, KindSpec] = {
    "project_eval_tables": KindSpec(
        eval_tables,
        tuple(LAYOUTS),
        wrap_layouts=WRAPPING_LAYOUTS,
        overflow=True,
        page_break_layouts=("as_tabs", "as_spaces", "as_bare_lines", "as_cell_lines"),
        extra_layouts=tuple(EXTRA_LAYOUTS),
    ),
    "project_summary_table": KindSpec(
        summary_table, tuple(LAYOUTS), wrap_layouts=WRAPPING_LAYOUTS, overflow=True
    ),
    "department_overall_eval": KindSpec(
        overall_eval, tuple(LAYOUTS), wrap_layouts=("as_cell_lines",)
    ),
    "target_declaration": KindSpec(declaration, tuple(LAYOUTS), wrap_layouts=WRAPPING_LAYOUTS),
    # 部门决算 in traditional characters is not read yet: its prose (预算数 … 万元 in sentences)
    # and 附件 headings are matched in simplified characters.
    "final_accounts": KindSpec(
        final_accounts,
        tuple(LAYOUTS),
        wrap_layouts=WRAPPING_LAYOUTS,
        overflow=True,
        traditional=False,
    ),
}


def generate(index: int, seed: int, series: bool = True, variants: bool = True) -> Synthetic:
    """The index-th document of the corpus of a seed (independent of the other documents, but
    for a multi-year series of synth.years standing in for it; series=False: never).
    variants=False: the document without the variants of issue 11 (extra layouts, traditional
    characters, zero total rows), as synth.years chooses the documents a series stands in for
    (which never take them)."""
    rng = random.Random(f"{seed}:{index}")
    kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
    spec = KINDS[kind]
    layout = rng.choice(spec.layouts)
    yuan = rng.random() < 0.25
    style = Style(
        layout=layout,
        yuan=yuan,
        decimals=rng.choice((2, 4)),
        ocr=rng.random() < 0.3,
        page_break=layout in spec.page_break_layouts and rng.random() < 0.3,
        wrap=layout in spec.wrap_layouts and rng.random() < WRAP_DOCS_SHARE,
        # 部门决算 annexes print 元 whatever the document's unit.
        overflow=spec.overflow and (yuan or kind == "final_accounts") and rng.random() < 0.5,
    )
    from .years import in_place_of, plan_of  # synth.years builds on this module

    # A document a series stands in for takes no variants: the series is chosen without them.
    if variants and plan_of(index, seed) is not None:
        variants = False
    draws = random.Random(f"{seed}:{index}:variants") if variants else None
    if draws is not None and spec.extra_layouts and draws.random() < EXTRA_LAYOUT_SHARE:
        layout = draws.choice(spec.extra_layouts)
        style = replace(style, layout=layout, page_break=False, wrap=False)
    unit, province, city = _unit(rng)
    doc = Synthetic(kind, style, unit, province, city, rng.choice(YEARS), variants=draws)
    doc.tables = spec.writer(rng, doc)
    doc.text = "\n\n".join(render(t, layout) for t in doc.tables) + "\n"
    if doc.variant(TRADITIONAL_SHARE) and spec.traditional:
        _in_traditional(doc)
    return in_place_of(index, seed, doc) if series else doc


# Share of the documents printed in traditional characters (synth.layouts.TRADITIONAL: 衛生,
# 預算, 執行); the loaders read their labels like simplified ones and keep names as printed.
TRADITIONAL_SHARE = 0.08


def _in_traditional(doc: Synthetic) -> None:
    """The document printed in traditional characters, the names of its truth with it."""
    from .layouts import to_traditional

    doc.text = to_traditional(doc.text)
    doc.unit = to_traditional(doc.unit)
    doc.traditional = True
    for rows in (doc.projects, doc.indicators, doc.findings):
        for row in rows:
            if row.get("level") == "expenditure_type":
                continue  # 基本支出 / 项目支出 are categories, named by the loaders
            for key in ("project", "name"):  # 一级/二级 are categories, read as simplified
                if isinstance(row.get(key), str):
                    row[key] = to_traditional(row[key])


def file_name(index: int, doc: Synthetic) -> str:
    return f"synth_{index:06d}_{doc.kind}.txt"


def _table(schema: pa.Schema, rows: list[dict]) -> pa.Table:
    """Rows as a table of the schema's columns that the generator knows (set in any row)."""
    known = {key for r in rows for key in r}
    fields = [f for f in schema if f.name in known] or list(schema)
    return pa.Table.from_pydict(
        {f.name: [r.get(f.name) for r in rows] for f in fields}, schema=pa.schema(fields)
    )


def write_corpus(n: int, seed: int, out: Path) -> dict[str, int]:
    """Write n documents to out/raw and their truth to out/truth; returns row counts."""
    raw, truth = Path(out) / "raw", Path(out) / "truth"
    raw.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    documents, projects, indicators, findings = [], [], [], []
    for i in range(n):
        doc = generate(i, seed)
        name = file_name(i, doc)
        data = doc.text.encode()
        (raw / name).write_bytes(data)
        doc_id = doc_id_for(name, hashlib.sha256(data).hexdigest())
        documents.append(
            {
                "doc_id": doc_id,
                "source_file": name,
                "doc_kind": doc.kind,
                "unit": doc.unit,
                "province": doc.province,
                "year": doc.year,
                "amount_unit": doc.style.unit_word,
            }
        )
        projects += [{**p, "doc_id": doc_id} for p in doc.projects]
        indicators += [{**x, "doc_id": doc_id} for x in doc.indicators]
        findings += [{**f, "doc_id": doc_id} for f in doc.findings]
    for name, schema, rows in (
        ("documents", DOCUMENTS, documents),
        ("projects", PROJECTS, projects),
        ("indicators", INDICATORS, indicators),
        ("findings", FINDINGS, findings),
    ):
        pq.write_table(_table(schema, rows), truth / f"{name}.parquet")
    return {
        "documents": len(documents),
        "projects": len(projects),
        "indicators": len(indicators),
        "findings": len(findings),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synth", description=__doc__)
    parser.add_argument("--docs", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    counts = write_corpus(args.docs, args.seed, args.out)
    log.info("wrote %s to %s", counts, args.out)
    return 0
