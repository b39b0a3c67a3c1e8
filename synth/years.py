"""Multi-year units for the synthetic corpus: recurring projects renamed between years and
explanation texts drawn from the reason taxonomy (dashboard/reasons.py), with their truth.

The corpus is cut into windows of SERIES_WINDOW indices. A window holds a series with
probability SERIES_SHARE: one unit's documents of 2–4 consecutive years stand in for the
window's first plain ordinary documents (a 项目绩效自评表 or 项目支出绩效自评表 in one of
SERIES_LAYOUTS with none of the special shapes: see plain()), each of that document's kind and
layout, so the corpus keeps every shape and layout it had. The unit keeps a pool of recurring projects
(names from the seeds); each year lists most of them, some renamed slightly (a leading year, a
tail such as 项目 / 经费 / 专项资金, 与 for 和, half-width brackets, 区 in front), and one or two
projects of that year alone. Some recurring projects execute below 90 % every year. Each
project executing below 90 % gets an explanation built from one or two clauses of the
taxonomy's categories, 其他, or nothing (未说明) — in the 存在问题 column of a summary table, or
as the 偏差原因分析 of a not-met indicator of an evaluation block.

The truth rides on the project rows of Synthetic.projects under keys the truth tables do not
write (write_corpus keeps only the schema's columns): series (unit key), track (the recurring
project's key, the same in every year), reason_text and reason_codes. truth(docs) collects it.
Only the public names of synth.generator are used: Synthetic, Style, render and generate (its
hook calls in_place_of at the end of every document; generate(..., series=False) gives the
ordinary document).
"""

from __future__ import annotations

import random
from functools import lru_cache

import pandas as pd

from loaders.places_data import GAZETTEER

from . import generator as g

SERIES_WINDOW = 16
SERIES_SHARE = 0.8
SERIES_YEARS = (2, 4)
FIRST_YEARS = range(2019, 2022)
SERIES_KINDS = ("project_summary_table", "project_eval_tables")
# Layouts whose reason cells the two kinds read whole (tests/test_years_synth.py).
SERIES_LAYOUTS = (
    "as_tabs",
    "as_spaces",
    "as_flat_rows",
    "as_cell_lines",
    "as_bare_lines",
    "as_one_line",
)
RECURRING = (8, 14)  # recurring projects in a unit's pool
ONE_OFF = (1, 2)  # projects of one year only
PRESENT_SHARE = 0.85  # share of the pool a year lists
RENAME_SHARE = 0.35  # share of a year's recurring projects printed under another name
CHRONIC_SHARE = 0.25  # recurring projects executing below 90 % every year
LOW_SHARE = 0.2  # other projects executing below 90 % in a year
UNEXPLAINED_SHARE = 0.12  # low projects that give no reason
OTHER_SHARE = 0.08  # low projects whose reason is outside the taxonomy
TWO_CLAUSES_SHARE = 0.4
LOW_RATE_PCT = (35.0, 86.0)
FUNDS_WEIGHT = 10.0
# dashboard.constants.LOW_EXECUTION_PCT (synth does not import the dashboard)
LOW_PCT = 90.0

UNIT_SUFFIXES = (
    "卫生健康局",
    "卫生健康委员会",
    "疾病预防控制中心",
    "人民医院",
    "中心卫生院",
    "妇幼保健院",
    "卫生健康事务中心",
)
# Recurring projects: names of the seeds' projects, pairwise unlike each other.
POOL = (
    "高龄老人意外险", "老龄业务工作", "家庭能力建设", "健康教育和宣传工作", "办公楼修缮",
    "办公设备购置", "党建工作", "独生子女父母奖励金", "计生协会工作", "家属统筹医疗费",
    "老人免费体检", "卫计系统财务管理及审计", "公共事件安全应急工作", "超基本医疗补助",
    "人口健康信息化工程建设", "社会办医院和社康中心网络升级", "保洁管养及维修修缮",
    "病媒生物预防控制", "严重精神障碍患者管理", "家庭医生签约服务", "免费孕前优生健康检查",
    "卫生监督执法", "基层医疗卫生机构能力提升", "中医药传承发展", "职业病防治",
    "预约挂号统一平台运维", "电子文献平台", "卫生计生舆情监控", "统计调查和专题统计分析",
)  # fmt: skip
# Projects of one year only, unlike the pool.
ONE_OFFS = (
    "新冠疫苗接种点建设", "发热门诊改造", "核酸检测实验室建设", "应急物资储备", "智慧医院试点",
    "医共体平台搭建", "无偿献血宣传月", "控烟主题活动", "学校卫生监测", "托育机构补助",
    "基层中医馆建设", "救护车购置", "档案数字化", "食堂改造",
)  # fmt: skip
NAME_TAILS = ("项目", "经费", "专项资金", "工作经费")

# Clauses of each reason category (dashboard.reasons' codes); {m} a month, {x} an amount.
CLAUSES = {
    "funds_late": (
        "上级资金于{m}月才下达",
        "专项资金年底拨付，支出时间不足",
        "资金到位较晚",
        "省级补助资金下达滞后",
        "追加资金{m}月份才到账",
    ),
    "approval": (
        "项目立项审批时间较长",
        "概算批复延迟",
        "前期论证工作耗时较长",
        "可研报告尚未批复",
        "实施方案报批周期长",
    ),
    "procurement": (
        "政府采购流程较长",
        "招标工作延迟至{m}月",
        "项目流标后重新招标",
        "尚未完成政府采购",
        "采购程序复杂，合同签订推迟",
    ),
    "progress": (
        "工程尚未完工",
        "项目建设进度滞后",
        "系统仍处于试运行阶段",
        "部分子项尚未验收",
        "项目跨年度实施",
        "施工进度缓慢",
    ),
    "savings": (
        "通过竞争性谈判节约资金{x}万元",
        "实际支出低于预算",
        "中标价低于预算形成结余",
        "严格控制开支，节约经费",
        "厉行节约压缩公用经费支出",
    ),
    "policy": (
        "根据上级政策调整取消部分任务",
        "年中预算调整",
        "项目内容变更",
        "部分资金调剂用于其他项目",
        "因机构改革职能划转",
    ),
    "external": (
        "受新冠疫情影响",
        "受台风暴雨天气影响",
        "服务对象搬迁",
        "受疫情防控要求影响活动无法开展",
        "合作医院停业整顿",
    ),
    "pay_on_actual": (
        "按实际发生据实结算",
        "按合同约定分期支付",
        "质保金待质保期满后支付",
        "尾款待验收后支付",
        "按服务量据实支付",
        "剩余资金结转下年使用",
    ),
    "withdrawn": ("剩余资金{x}万元被财政收回", "冻结指标{n}元", "财政核减预算{x}万元"),
}
OTHER_CLAUSES = ("设备故障导致部分复检", "人员不足", "工作人员变动较大", "部分工作由其他科室承担")
INDICATORS = (
    ("产出指标", "数量指标", "完成服务人次", "人次"),
    ("产出指标", "数量指标", "开展活动次数", "次"),
    ("产出指标", "质量指标", "服务规范率", "%"),
    ("产出指标", "时效指标", "任务按时完成率", "%"),
    ("效益指标", "社会效益指标", "群众知晓率", "%"),
    ("满意度指标", "服务对象满意度指标", "服务对象满意度", "%"),
)


def _unit(rng: random.Random) -> tuple[str, str, str]:
    province = rng.choice(sorted(GAZETTEER))
    city = rng.choice(sorted(c for c, counties in GAZETTEER[province].items() if counties))
    county = rng.choice(GAZETTEER[province][city].split())
    prefix = province + ("" if city == province else city)
    return f"{prefix}{county}{rng.choice(UNIT_SUFFIXES)}", province, city


def renamed(rng: random.Random, base: str, year: int) -> str:
    """The base name as one year prints it, changed slightly."""
    choice = rng.randrange(6)
    if choice == 0:
        return f"{year}年{base}"
    if choice == 1:
        return base + rng.choice(NAME_TAILS)
    if choice == 2 and "和" in base:
        return base.replace("和", "与", 1)
    if choice == 3:
        return "区" + base
    if choice == 4:
        return f"{year}年度{base}项目"
    return (
        base + "（" + rng.choice(("续", "年度", "延续")) + "）" if len(base) >= 8 else base + "项目"
    )


def reason(rng: random.Random) -> tuple[str, tuple[str, ...]]:
    """An explanation and the categories it gives ('none' for no text, 'other' outside)."""
    roll = rng.random()
    if roll < UNEXPLAINED_SHARE:
        return "", ("none",)
    if roll < UNEXPLAINED_SHARE + OTHER_SHARE:
        return rng.choice(OTHER_CLAUSES) + "。", ("other",)
    n = 2 if rng.random() < TWO_CLAUSES_SHARE else 1
    codes = rng.sample(sorted(CLAUSES), n)
    clauses = [
        rng.choice(CLAUSES[c]).format(
            m=rng.randint(9, 12), x=f"{rng.uniform(1, 90):.2f}", n=rng.randint(10, 900) * 100
        )
        for c in codes
    ]
    order = {c: i for i, c in enumerate(CLAUSES)}
    return "，".join(clauses) + "。", tuple(sorted(codes, key=order.get))


def _plan(rng: random.Random) -> dict:
    """A series: unit, years and each year's projects (the whole window's truth)."""
    unit, province, city = _unit(rng)
    n_years = rng.randint(*SERIES_YEARS)
    first = rng.choice(FIRST_YEARS)
    bases = rng.sample(POOL, rng.randint(*RECURRING))
    chronic = {b for b in bases if rng.random() < CHRONIC_SHARE}
    budgets = {b: round(rng.uniform(10, 2000), 2) for b in bases}
    one_offs = rng.sample(ONE_OFFS, n_years * ONE_OFF[1])
    years = []
    for k in range(n_years):
        year = first + k
        listed = [b for b in bases if rng.random() < PRESENT_SHARE] or bases[:1]
        projects = []
        for b in listed:
            name = renamed(rng, b, year) if rng.random() < RENAME_SHARE else b
            low = b in chronic or rng.random() < LOW_SHARE
            budget = round(budgets[b] * rng.uniform(0.9, 1.1), 2)
            projects.append({"track": b, "project": name, "budget": budget, "low": low})
        for j in range(rng.randint(*ONE_OFF)):
            name = one_offs[k * ONE_OFF[1] + j]
            low = rng.random() < LOW_SHARE
            projects.append(
                {"track": f"{name}@{year}", "project": name,
                 "budget": round(rng.uniform(10, 800), 2), "low": low}
            )  # fmt: skip
        rng.shuffle(projects)
        years.append((year, projects))
    return {"unit": unit, "province": province, "city": city, "years": years}


def plain(doc: g.Synthetic) -> bool:
    """A document a series may stand in for: a kind and layout the series prints, and none of
    the rarer shapes the round-trip tests look for (a page break, a wrapped name, a finding such
    as a ##### cell), so that the corpus keeps every shape it had."""
    return (
        doc.kind in SERIES_KINDS
        and doc.style.layout in SERIES_LAYOUTS
        and not doc.style.page_break
        and not doc.wrapped
        and not doc.findings
    )


@lru_cache(maxsize=8)
def _window(seed: int, window: int) -> tuple[dict | None, tuple[tuple[int, str, str], ...]]:
    """The series of a window (None when it has none) and the (index, kind, layout) of the
    plain ordinary documents it stands in for, one per year."""
    rng = random.Random(f"{seed}:series:{window}")
    if rng.random() >= SERIES_SHARE:
        return None, ()
    plan = _plan(rng)
    slots = []
    for index in range(window * SERIES_WINDOW, (window + 1) * SERIES_WINDOW):
        # (chosen without the variants of issue 11, so that they do not move the series)
        doc = g.generate(index, seed, series=False, variants=False)
        if plain(doc):
            slots.append((index, doc.kind, doc.style.layout))
    if len(slots) < SERIES_YEARS[0]:
        return None, ()
    n = min(len(plan["years"]), len(slots))
    return {**plan, "years": plan["years"][:n]}, tuple(slots[:n])


def plan_of(index: int, seed: int) -> tuple[dict, int, str, str] | None:
    """The series the index's document belongs to, its year's position, kind and layout."""
    plan, slots = _window(seed, index // SERIES_WINDOW)
    for position, (at, kind, layout) in enumerate(slots):
        if at == index:
            return plan, position, kind, layout
    return None


def _money(budget: float, low: bool, rng: random.Random) -> tuple[float, float]:
    if low:
        share = rng.uniform(*LOW_RATE_PCT) / 100.0
    else:
        share = rng.choice((1.0, 1.0, rng.uniform(0.93, 1.0)))
    return budget, round(budget * share, 2)


def _rate(budget: float, actual: float) -> float:
    return round(actual / budget * 100, 2)


def _summary(rng: random.Random, doc: g.Synthetic, projects: list[dict]) -> list:
    s = doc.style
    rows = [
        [f"{doc.unit}{doc.year}年度项目绩效自评表"],
        [f"单位：{s.unit_word}"],
        ["序号", "项目名称", "预算数(A)", "执行数(B)", "执行率(B/A)", "存在问题", "整改情况"],
    ]
    sums = [0.0, 0.0]
    for k, p in enumerate(projects, 1):
        budget, actual = _money(p["budget"], p["low"], rng)
        rate = _rate(budget, actual)
        sums = [sums[0] + budget, sums[1] + actual]
        text, codes = reason(rng) if rate < LOW_PCT else ("", ())
        rows.append(
            [str(k), p["project"], s.money(budget), s.money(actual), f"{rate:.2f}%"]
            + [text or "无", "加快执行进度" if text else "无"]
        )
        doc.projects.append(_truth(p, budget, actual, rate, text, codes, doc))
    total = [round(v, 2) for v in sums]
    rows.append(["合计", "", s.money(total[0]), s.money(total[1]), f"{_rate(*total):.2f}%"])
    return [rows]


def _eval_blocks(rng: random.Random, doc: g.Synthetic, projects: list[dict]) -> list:
    s = doc.style
    blocks = []
    header = ["", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"]
    header += ["偏差原因分析"]
    for p in projects:
        budget, actual = _money(p["budget"], p["low"], rng)
        rate = _rate(budget, actual)
        funds_score = round(FUNDS_WEIGHT * min(rate, 100) / 100, 2)
        text, codes = reason(rng) if rate < LOW_PCT else ("", ())
        chosen = sorted(rng.sample(range(len(INDICATORS)), rng.randint(3, len(INDICATORS))))
        weights = _weights(rng, len(chosen), 100 - FUNDS_WEIGHT)
        # the reason goes on one indicator that lost points (the first, when money is unspent)
        missed = 0 if text else (rng.randrange(len(chosen)) if rng.random() < 0.2 else None)
        rows = [
            ["项目支出绩效自评表"],
            [f"（{doc.year}年度）"],
            ["项目名称", p["project"]],
            ["主管部门", f"{doc.city}卫生健康委员会", "实施单位", doc.unit],
            [f"项目资金（{s.unit_word}）", "年初预算数", "全年预算数", "全年执行数", "分值"]
            + ["执行率", "得分"],
            ["", "年度资金总额", s.money(budget), s.money(budget), s.money(actual)]
            + [f"{FUNDS_WEIGHT:g}", f"{rate:.2f}%", f"{funds_score:.2f}"],
            ["年度总体目标", "预期目标", "实际完成情况"],
            ["", f"完成{p['project']}年度任务", "部分完成" if text else "已按计划完成"],
            header,
        ]
        total = funds_score
        last = (None, None)
        for k, (i, weight) in enumerate(zip(chosen, weights, strict=True)):
            level1, level2, name, unit = INDICATORS[i]
            lost = k == missed
            score = weight - 1 if lost and weight > 1 else weight
            target, done = (
                ("≥90%", "85%" if lost else "95%")
                if unit == "%"
                else (f"≥100{unit}", f"80{unit}" if lost else f"120{unit}")
            )
            rows.append(
                [
                    "",
                    "" if level1 == last[0] else level1,
                    "" if (level1, level2) == last else level2,
                ]
                + [name, target, done, f"{weight:g}", f"{score:g}", text if lost else ""]
            )
            doc.record(
                p["project"],
                level1,
                level2,
                name,
                weight,
                score,
                "met" if score >= weight else "not_met",
            )
            total += score
            last = (level1, level2)
        total = round(total, 2)
        rows += [["总分", "", "", "", "", "", "100", f"{total:g}", ""], ["评分等级", "优"]]
        blocks.append(rows)
        truth = _truth(p, budget, actual, rate, text, codes, doc)
        truth.update(initial_budget_wan=budget, score=total)
        doc.projects.append(truth)
    return blocks


def _weights(rng: random.Random, n: int, total: float) -> list[float]:
    cuts = sorted(rng.sample(range(1, int(total)), n - 1))
    return [float(b - a) for a, b in zip([0, *cuts], [*cuts, int(total)], strict=True)]


def _truth(p, budget, actual, rate, text, codes, doc) -> dict:
    return {
        "level": "project",
        "project": p["project"],
        "budget_wan": budget,
        "actual_wan": actual,
        "reported_rate_pct": rate,
        "execution_rate_pct": rate,
        # not written by write_corpus (no such columns in the schema): read by truth()
        "series": doc.unit,
        "track": p["track"],
        "reason_text": text or None,
        "reason_codes": codes,
    }


def in_place_of(index: int, seed: int, doc: g.Synthetic) -> g.Synthetic:
    """The document at index: a series' document of one year where the window puts one,
    else doc (the ordinary document generated for the index)."""
    found = plan_of(index, seed)
    if found is None:
        return doc
    plan, position, kind, layout = found
    year, projects = plan["years"][position]
    rng = random.Random(f"{seed}:{index}:series")
    style = g.Style(layout=layout)
    out = g.Synthetic(kind, style, plan["unit"], plan["province"], plan["city"], year)
    writer = _summary if kind == "project_summary_table" else _eval_blocks
    out.tables = writer(rng, out, projects)
    out.text = "\n\n".join(g.render(t, style.layout) for t in out.tables) + "\n"
    return out


def truth(docs: dict[str, g.Synthetic]) -> pd.DataFrame:
    """One row per project of the series documents (doc_id -> document): doc_id, unit, year,
    project, track, budget_wan, actual_wan, execution_rate_pct, reason_text, reason_codes."""
    rows = [
        {
            "doc_id": doc_id,
            "unit": d.unit,
            "year": d.year,
            "project": p["project"],
            "track": p["track"],
            "budget_wan": p["budget_wan"],
            "actual_wan": p["actual_wan"],
            "execution_rate_pct": p["execution_rate_pct"],
            "reason_text": p["reason_text"],
            "reason_codes": p["reason_codes"],
        }
        for doc_id, d in docs.items()
        for p in d.projects
        if "track" in p
    ]
    return pd.DataFrame(rows)
