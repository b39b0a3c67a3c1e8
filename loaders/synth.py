"""Synthetic corpus: documents of the five forms in many layouts, with their truth as parquet.

`python -m loaders.synth --docs N --seed S --out DIR` writes DIR/raw/*.txt and the tables the
loaders should produce from them in DIR/truth/{documents,projects,indicators}.parquet (the
contract's schema, only the columns the generator knows). The same seed gives the same bytes.

Layouts follow what the kinds claim to read (their module docstrings and layout tests): tab rows,
runs of spaces, rows flattened onto one space-separated line, one cell per line (with or without
tab-led cells), a whole table on one line, amounts in 元 or 万元 with 2 or 4 decimals, OCR gaps
('2, 306. 00'), page breaks inside indicator tables that repeat the header. Units are made up
from the gazetteer's counties so that the place of every document is known.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .build import doc_id_for
from .places_data import GAZETTEER
from .schema import DOCUMENTS, INDICATORS, PROJECTS

log = logging.getLogger(__name__)

Rows = list[list[str]]

YEARS = range(2019, 2025)
# Share of documents of each kind; final_accounts is not generated (see KINDS below).
KIND_WEIGHTS = {
    "project_eval_tables": 0.45,
    "project_summary_table": 0.25,
    "department_overall_eval": 0.15,
    "target_declaration": 0.15,
}
PROJECTS_PER_DOC = (15, 60)  # a project_eval_tables / project_summary_table document
INDICATORS_PER_PROJECT = (3, 10)
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


def as_tabs(rows: Rows) -> str:
    return "\n".join("\t".join(r) for r in rows)


def as_spaces(rows: Rows) -> str:
    return "\n".join("   ".join(c for c in r if c) for r in rows)


def as_flat_rows(rows: Rows) -> str:
    return "\n".join(" ".join(c for c in r if c) for r in rows)


def as_cell_lines(rows: Rows) -> str:
    """A word processor's export: each cell on a tab-led line, a blank line after each row."""
    return "\n".join("".join(f"\t{c}\n" for c in r) for r in rows)


def as_bare_lines(rows: Rows) -> str:
    return "\n".join(c for r in rows for c in r if c)


def as_one_line(rows: Rows) -> str:
    return " ".join(c for r in rows for c in r if c)


Layout = Callable[[Rows], str]
LAYOUTS: dict[str, Layout] = {
    f.__name__: f
    for f in (as_tabs, as_spaces, as_flat_rows, as_cell_lines, as_bare_lines, as_one_line)
}


# ---------------------------------------------------------------- numbers as printed


@dataclass(frozen=True)
class Style:
    """How one document prints: its layout and its number style."""

    layout: str
    yuan: bool = False
    decimals: int = 2
    ocr: bool = False
    page_break: bool = False

    def money(self, wan: float) -> str:
        if self.yuan:
            text = f"{wan * 10000:,.2f}"
        else:
            text = f"{wan:,.{self.decimals}f}" if wan >= 1000 else f"{wan:.{self.decimals}f}"
        if self.ocr and "," in text:
            text = text.replace(",", ", ").replace(".", ". ")
        return text

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
    level1, level2, name, unit = rng.choice(INDICATOR_WORDS)
    while name in used:
        name += "（续）"
    used.add(name)
    if unit == "%":
        target = rng.choice((80, 85, 90, 95))
        actual = rng.choice((target + rng.randint(0, 5), target - rng.randint(1, 8)))
        return level1, level2, name, f"≥{target}%", target, f"{min(actual, 100)}%", ""
    target = rng.randint(10, 500) * 10
    actual = target + rng.randint(-target // 10, target // 5)
    return level1, level2, name, f"≥{target}{unit}", target, f"{actual}{unit}", ""


def _weights(rng: random.Random, n: int, total: float) -> list[float]:
    """n whole-number weights adding up to total."""
    cuts = sorted(rng.sample(range(1, int(total)), n - 1))
    return [float(b - a) for a, b in zip([0, *cuts], [*cuts, int(total)], strict=True)]


def _score_of(rng: random.Random, weight: float) -> float:
    return weight if rng.random() < 0.7 else float(max(0, int(weight) - rng.randint(1, 3)))


def _status(weight: float, score: float) -> str:
    return "met" if score >= weight else "not_met"


def eval_tables(rng: random.Random, doc: Synthetic) -> list[Rows]:
    """project_eval_tables: one 项目支出绩效自评表 block per project."""
    s = doc.style
    blocks = []
    for name in _project_names(rng, rng.randint(*PROJECTS_PER_DOC)):
        initial, _ = _money_pair(rng, s)
        budget, actual = _money_pair(rng, s)
        rate = _rate(budget, actual)
        funds_score = round(FUNDS_WEIGHT * min(rate, 100) / 100, 2)
        n = rng.randint(*INDICATORS_PER_PROJECT)
        weights = _weights(rng, n, 100 - FUNDS_WEIGHT)
        header = ["", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值"]
        header += ["得分", "偏差原因分析"]
        rows: Rows = [
            ["项目支出绩效自评表"],
            [f"（{doc.year}年度）"],
            ["项目名称", name],
            ["主管部门", f"{doc.city}卫生健康委员会", "实施单位", doc.unit],
            [f"项目资金（{s.unit_word}）", "年初预算数", "全年预算数", "全年执行数", "分值"]
            + ["执行率", "得分"],
            ["", "年度资金总额", s.money(initial), s.money(budget), s.money(actual)]
            + [f"{FUNDS_WEIGHT:g}", f"{rate:.2f}%", f"{funds_score:.2f}"],
            ["年度总体目标", "预期目标", "实际完成情况"],
            ["", f"完成{name}年度任务", "已按计划完成"],
            header,
        ]
        used: set[str] = set()
        total = funds_score
        last1 = last2 = None
        for weight in weights:
            level1, level2, ind, target, _, actual_text, _ = _indicator(rng, used)
            score = _score_of(rng, weight)
            total += score
            reason = rng.choice(REASONS) if score < weight else ""
            rows.append(
                [
                    "",
                    "" if level1 == last1 else level1,
                    "" if (level1, level2) == (last1, last2) else level2,
                    ind,
                    target,
                    actual_text,
                    f"{weight:g}",
                    f"{score:g}",
                    reason,
                ]
            )
            if s.page_break and len(rows) == 11:
                if s.layout in ("as_tabs", "as_spaces"):
                    rows += [["\f- 2 -"], [], ["项目支出绩效自评表"], header]
                else:  # without row breaks the page repeats the project's name
                    rows += [["项目支出绩效自评表"], ["项目名称", name], header]
                last1 = last2 = None
            else:
                last1, last2 = level1, level2
            doc.indicators.append(
                {
                    "project": name,
                    "level1": level1,
                    "level2": level2,
                    "name": ind,
                    "weight": weight,
                    "score": score,
                    "status": _status(weight, score),
                }
            )
        total = round(total, 2)
        rows += [["总分", "", "", "", "", "", "100", f"{total:g}", ""], ["评分等级", "优"]]
        blocks.append(rows)
        doc.projects.append(
            {
                "level": "project",
                "project": name,
                "initial_budget_wan": initial,
                "budget_wan": budget,
                "actual_wan": actual,
                "reported_rate_pct": rate,
                "execution_rate_pct": rate,
                "score": total,
            }
        )
    return blocks


def summary_table(rng: random.Random, doc: Synthetic) -> list[Rows]:
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
        rows.append([str(k), name, s.money(budget), s.money(actual), f"{rate:.2f}%", problem, "无"])
        doc.projects.append(
            {
                "level": "project",
                "project": name,
                "budget_wan": budget,
                "actual_wan": actual,
                "reported_rate_pct": rate,
                "execution_rate_pct": rate,
            }
        )
    total = [round(v, 4) for v in sums]
    rows.append(["合计", "", s.money(total[0]), s.money(total[1]), f"{_rate(*total):.2f}%"])
    return [rows]


def overall_eval(rng: random.Random, doc: Synthetic) -> list[Rows]:
    """department_overall_eval: department total, 基本/项目支出 lines, weighted indicators."""
    s = doc.style
    basic, basic_actual = _money_pair(rng, s)
    project, project_actual = _money_pair(rng, s)
    total = round(basic + project, 4)
    total_actual = round(basic_actual + project_actual, 4)
    rows: Rows = [
        ["附件7"],
        [f"{doc.year}年度部门整体支出绩效自评表"],
        ["部门（单位）名称", doc.unit],
        [f"整体支出规模（单位：{s.unit_word}）", "", "预算数(A)", "执行数(B)", "执行率(B/A)"],
        ["", "合计", s.money(total), s.money(total_actual), f"{_rate(total, total_actual):.2f}%"],
        ["", "资金来源：（1）财政拨款", s.money(total), s.money(total_actual)]
        + [f"{_rate(total, total_actual):.2f}%"],
        ["", "资金结构：（1）基本支出", s.money(basic), s.money(basic_actual)]
        + [f"{_rate(basic, basic_actual):.2f}%"],
        ["", "（2）项目支出", s.money(project), s.money(project_actual)]
        + [f"{_rate(project, project_actual):.2f}%"],
        ["年度总体目标", "年初设定目标", "全年完成情况"],
        ["", "1.保障基本公共卫生服务。", "全面完成。"],
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
                    name,
                    target,
                    actual,
                    f"{score:g}",
                    reason,
                ]
            )
            doc.indicators.append(
                {
                    "project": None,
                    "level1": level1,
                    "level2": level2,
                    "name": name,
                    "weight": weight,
                    "score": score,
                    "status": _status(weight, score),
                }
            )
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
    return [rows]


def declaration(rng: random.Random, doc: Synthetic) -> list[Rows]:
    """target_declaration: task budgets and indicator targets only."""
    s = doc.style
    rows: Rows = [
        ["单位整体支出绩效目标申报表"],
        [f"({doc.year} 年度)"],
        ["单位名称", doc.unit, "主管部门", f"{doc.city}卫生健康委员会"],
        ["任务名称", "主要内容", f"年度预算（{s.unit_word}）"],
        ["总额", "财政拨款", "其他资金"],
    ]
    sums = [0.0, 0.0, 0.0]
    names = ["基本支出", *_project_names(rng, rng.randint(3, 12))]
    if s.layout == "as_flat_rows":
        # The declaration parser takes a digit-led chunk of a space-separated row for a list
        # number or an amount, so '65岁以上…' would be lost there: such names are not generated.
        names = [n for n in names if not n[0].isdigit()]
    for name in dict.fromkeys(names):
        fiscal, _ = _money_pair(rng, s)
        other = rng.choice((0.0, 0.0, round(fiscal * 0.1, 2)))
        total = round(fiscal + other, 4)
        sums = [sums[0] + total, sums[1] + fiscal, sums[2] + other]
        rows.append(
            [name, f"开展{name}相关工作。", s.money(total), s.money(fiscal), s.money(other)]
        )
        doc.projects.append({"level": "task", "project": name, "budget_wan": total})
    rows.append(["金额合计:", *(s.money(round(v, 4)) for v in sums)])
    rows += [["年度总体目标"], ["提升公共卫生服务能力。"]]
    rows.append(["一级指标", "二级指标", "三级指标", "指标值"])
    used: set[str] = set()
    last = None
    for _ in range(rng.randint(3, 8)):
        level1, level2, name, target, _, _, _ = _indicator(rng, used)
        rows.append(["" if level1 == last else level1, level2, name, target])
        last = level1
        doc.indicators.append(
            {
                "project": None,
                "level1": level1,
                "level2": level2,
                "name": name,
                "weight": None,
                "score": None,
                "status": "target_only",
            }
        )
    return [rows]


# kind -> (writer, the layouts its parser reads)
KINDS: dict[str, tuple[Callable[[random.Random, Synthetic], list[Rows]], tuple[str, ...]]] = {
    "project_eval_tables": (eval_tables, tuple(LAYOUTS)),
    "project_summary_table": (summary_table, tuple(LAYOUTS)),
    # Their one-cell-per-line and one-line forms are read only in the shapes of their fixtures
    # (tests/fixtures/<kind>/), which this generator does not reproduce yet.
    "department_overall_eval": (overall_eval, ("as_tabs", "as_spaces", "as_flat_rows")),
    "target_declaration": (declaration, ("as_tabs", "as_spaces", "as_flat_rows")),
}
# OCR gaps are only printed where a cell boundary is not a single space.
OCR_LAYOUTS = tuple(LAYOUTS)
PAGE_BREAK_LAYOUTS = ("as_tabs", "as_spaces", "as_bare_lines", "as_cell_lines")


def generate(index: int, seed: int) -> Synthetic:
    """The index-th document of the corpus of a seed (independent of the other documents)."""
    rng = random.Random(f"{seed}:{index}")
    kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
    writer, layouts = KINDS[kind]
    layout = rng.choice(layouts)
    style = Style(
        layout=layout,
        yuan=rng.random() < 0.25,
        decimals=rng.choice((2, 4)),
        ocr=layout in OCR_LAYOUTS and rng.random() < 0.3,
        page_break=kind == "project_eval_tables"
        and layout in PAGE_BREAK_LAYOUTS
        and rng.random() < 0.3,
    )
    unit, province, city = _unit(rng)
    doc = Synthetic(kind, style, unit, province, city, rng.choice(YEARS))
    tables = writer(rng, doc)
    render = LAYOUTS[layout]
    doc.text = "\n\n".join(render(t) for t in tables) + "\n"
    return doc


def file_name(index: int, doc: Synthetic) -> str:
    return f"synth_{index:06d}_{doc.kind}.txt"


def write_corpus(n: int, seed: int, out: Path) -> dict[str, int]:
    """Write n documents to out/raw and their truth to out/truth; returns row counts."""
    raw, truth = Path(out) / "raw", Path(out) / "truth"
    raw.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    documents, projects, indicators = [], [], []
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
    for name, schema, rows in (
        ("documents", DOCUMENTS, documents),
        ("projects", PROJECTS, projects),
        ("indicators", INDICATORS, indicators),
    ):
        fields = [f for f in schema if any(f.name in r for r in rows[:1000])] or list(schema)
        table = pa.Table.from_pydict(
            {f.name: [r.get(f.name) for r in rows] for f in fields}, schema=pa.schema(fields)
        )
        pq.write_table(table, truth / f"{name}.parquet")
    return {"documents": len(documents), "projects": len(projects), "indicators": len(indicators)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loaders.synth", description=__doc__)
    parser.add_argument("--docs", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    counts = write_corpus(args.docs, args.seed, args.out)
    log.info("wrote %s to %s", counts, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
