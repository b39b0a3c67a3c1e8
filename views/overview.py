"""总览: KPI cards, which documents are loaded (unit × year), and the three headline charts."""

import pandas as pd
import streamlit as st

from dashboard import charts, data, ui
from dashboard import queries as q
from dashboard.markup import md_escape


@data.memo
def summary(selection: q.Selection) -> dict:
    """KPIs, per-unit sums and loaded-document lists of the selection (once per filters)."""
    findings, indicators = selection.findings, selection.indicators
    unreadable = set(findings.loc[findings["code"] == "UNREADABLE", "source_file"])
    return {
        "kpis": q.overview_kpis(
            selection.documents, selection.lines, indicators, findings, selection.overall
        ),
        "unreadable": sorted(unreadable),
        "missing": sorted(
            set(selection.documents["source_file"])
            - set(selection.projects["source_file"])
            - unreadable
        ),
        "units": q.by_unit_and_department(selection.lines, selection.overall),
        "has_rates": bool(selection.lines["rate_pct"].notna().any()),
        "status": q.status_by(
            pd.DataFrame({"unit_label": q.unit_labels(indicators), "status": indicators["status"]}),
            "unit_label",
        )
        if len(indicators)
        else None,
        "coverage": q.coverage(selection.documents).reset_index(),
        "codes": tuple(findings["code"].unique()),
    }


@data.memo
def figures_of(selection: q.Selection, red_below: float, green_from: float) -> list:
    """The page's charts as (title, figure, key), once per filters and colour bands."""
    done = summary(selection)
    out = []
    if not done["units"].empty:
        fig = charts.budget_vs_actual_by_unit(done["units"])
        out.append(("各单位预算与执行", fig, "overview_units"))
    elif not selection.overall.empty:
        fig = charts.overall_chart(selection.overall)
        out.append(("部门整体与支出类型", fig, "overview_overall"))
    if done["has_rates"]:
        fig = charts.rate_bands(selection.lines, red_below, green_from)
        out.append(("项目执行率分布", fig, "overview_bands"))
    if done["status"] is not None:
        title = "各单位绩效指标完成情况"
        out.append(
            (title, charts.status_stack(done["status"], "unit_label", title), "overview_status")
        )
    return out


selection = ui.load_selection()
pack = ui.meeting_slot()
done = summary(selection)
drawn = {key: (title, fig) for title, fig, key in figures_of(selection, *ui.bands())}
kpis = done["kpis"]
counts = kpis["status"]

first = st.columns(4)
first[0].metric("单位数", kpis["n_units"], help=f"{kpis['n_documents']} 份文档", border=True)
first[1].metric(
    "项目数",
    kpis["n_lines"],
    help="项目（或无项目文档的任务）行数，不含部门整体与支出类型行",
    border=True,
)
executed = kpis["n_executed"] > 0
department = kpis["department"]
if not executed and department["n_rows"]:
    # only 部门整体支出绩效自评表 selected: their own figures, named as such
    alone = f"所选文档只有部门整体数据（{department['n_units']} 个单位），不是项目合计"
    first[2].metric(
        "部门整体预算（万元）", q.fmt_wan(department["budget_wan"]), help=alone, border=True
    )
    first[3].metric(
        "部门整体执行（万元）", q.fmt_wan(department["actual_wan"]), help=alone, border=True
    )
    rate_card = ("部门整体执行率", department["rate_pct"], "部门整体执行 ÷ 部门整体预算")
else:
    first[2].metric(
        "项目预算总额（万元）",
        q.fmt_wan(kpis["budget_wan"] if executed else None),
        help="有执行数的项目预算之和；仅申报、无执行数的预算与部门整体数据另计",
        border=True,
    )
    first[3].metric(
        "项目执行总额（万元）",
        q.fmt_wan(kpis["actual_wan"] if executed else None),
        help="有执行数的项目执行之和",
        border=True,
    )
    rate_card = ("项目执行率", kpis["rate_pct"], "项目执行总额 ÷ 项目预算总额")
second = st.columns(4)
second[0].metric(rate_card[0], q.fmt_pct(rate_card[1]), help=rate_card[2], border=True)
second[1].metric(
    "指标完成率",
    q.fmt_pct(kpis["completion_pct"]),
    help=(
        f"已完成 ÷（已完成 + 未完成）：已完成 {counts['met']}、未完成 {counts['not_met']}；"
        f"无法判断 {counts['unknown']}、仅申报目标 {counts['target_only']} 不计入"
    ),
    border=True,
)
second[2].metric("指标数", kpis["n_indicators"], help="三级指标的条数", border=True)
second[3].metric(
    "数据问题（错误与警告）",
    kpis["n_findings"],
    help=(
        f"加载时发现的错误 {kpis['n_errors']} 条、警告 {kpis['n_findings'] - kpis['n_errors']} 条；"
        f"另有说明性提示 {kpis['n_info']} 条不算问题。明细见页面底部"
    ),
    border=True,
)
if executed and department["n_rows"]:
    st.caption(
        f"另有 {department['n_units']} 个单位只有部门整体数据（预算 "
        f"{q.fmt_wan(department['budget_wan'], unit=True)}，执行 "
        f"{q.fmt_wan(department['actual_wan'], unit=True)}），在图中标为“{q.DEPARTMENT_SUFFIX}”，"
        "未计入项目合计。"
    )
if kpis["n_declared"]:
    st.caption(
        f"另有 {kpis['n_declared']} 条仅申报、无执行数的预算（绩效目标申报表），"
        f"共 {q.fmt_wan(kpis['declared_budget_wan'], unit=True)}，未计入预算总额与执行率。"
    )
if kpis["n_incomplete"]:
    st.warning(f"{kpis['n_incomplete']} 个项目缺少预算或执行数，未计入合计，请查看数据问题。")
if done["unreadable"]:
    unreadable = done["unreadable"]
    st.warning(f"{len(unreadable)} 份文件无法读取，未计入：{md_escape('、'.join(unreadable))}。")
if done["missing"]:
    missing = done["missing"]
    st.warning(f"{len(missing)} 份文档没有读出预算数据：{md_escape('、'.join(missing))}。")

units = done["units"]
figures = []
if "overview_units" in drawn:
    figures.append(drawn["overview_units"])
    ui.chart(figures[-1][1], "各单位预算与执行", key="overview_units", cached=True)
elif "overview_overall" in drawn:
    st.info("所选文档没有项目明细，只有部门整体与支出类型的数据（不与项目相加）。")
    figures.append(drawn["overview_overall"])
    ui.chart(figures[-1][1], "部门整体与支出类型", key="overview_overall", cached=True)
else:
    st.info("所选文档中没有预算数据。")

has_rates = "overview_bands" in drawn
has_indicators = "overview_status" in drawn
left, right = st.columns([2, 3]) if has_rates and has_indicators else (st.container(), None)
if has_rates:
    figures.append(drawn["overview_bands"])
    with left:
        ui.chart(figures[-1][1], "项目执行率分布", key="overview_bands", cached=True)
if has_indicators:
    figures.append(drawn["overview_status"])
    with right if right is not None else left:
        ui.chart(figures[-1][1], figures[-1][0], key="overview_status", cached=True)

st.subheader("已加载文档（单位 × 年度）")
ui.table(done["coverage"], "文档覆盖", key="overview_coverage", cached=True)

ui.findings_note(selection.findings, done["codes"], "加载时发现的问题", "overview")
ui.meeting(
    pack,
    "总览",
    figures,
    q.present(
        units,
        [
            "label",
            "budget_wan",
            "actual_wan",
            "execution_rate_pct",
            "declared_budget_wan",
            "n_lines",
        ],
    ),
    key="overview_pack",
)
