"""总览: KPI cards, which documents are loaded (unit × year), and the three headline charts."""

import streamlit as st

from dashboard import charts, ui
from dashboard import queries as q

selection = ui.load_selection()
pack = ui.meeting_slot()
kpis = q.overview_kpis(
    selection.documents, selection.lines, selection.indicators, selection.findings
)
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
first[2].metric(
    "预算总额（万元）",
    q.fmt_wan(kpis["budget_wan"] if executed else None),
    help="有执行数的项目预算之和；仅申报、无执行数的预算另计",
    border=True,
)
first[3].metric(
    "执行总额（万元）", q.fmt_wan(kpis["actual_wan"] if executed else None), border=True
)
second = st.columns(4)
second[0].metric("执行率", q.fmt_pct(kpis["rate_pct"]), help="执行总额 ÷ 预算总额", border=True)
second[1].metric(
    "指标完成率",
    q.fmt_pct(kpis["completion_pct"]),
    help=(
        f"已完成 ÷（已完成 + 未完成）：已完成 {counts['met']}、未完成 {counts['not_met']}；"
        f"无法判断 {counts['unknown']}、仅申报目标 {counts['target_only']} 不计入"
    ),
    border=True,
)
second[2].metric("指标数", kpis["n_indicators"], border=True)
second[3].metric(
    "数据问题",
    kpis["n_findings"],
    help=f"加载时发现的错误与警告（其中错误 {kpis['n_errors']} 条），明细见页面底部",
    border=True,
)
if kpis["n_declared"]:
    st.caption(
        f"另有 {kpis['n_declared']} 条仅申报、无执行数的预算（绩效目标申报表），"
        f"共 {q.fmt_wan(kpis['declared_budget_wan'], unit=True)}，未计入预算总额与执行率。"
    )
if kpis["n_incomplete"]:
    st.warning(f"{kpis['n_incomplete']} 个项目缺少预算或执行数，未计入合计，请查看数据问题。")
unreadable = selection.findings.loc[selection.findings["code"] == "UNREADABLE", "source_file"]
if len(unreadable):
    st.warning(f"{len(unreadable)} 份文件无法读取，未计入：{'、'.join(sorted(set(unreadable)))}。")
missing = sorted(
    set(selection.documents["source_file"])
    - set(selection.projects["source_file"])
    - set(unreadable)
)
if missing:
    st.warning(f"{len(missing)} 份文档没有读出预算数据：{'、'.join(missing)}。")

units = q.by_unit(selection.lines)
figures = []
if not units.empty:
    figures.append(("各单位预算与执行", charts.budget_vs_actual_by_unit(units)))
    ui.chart(figures[-1][1], "各单位预算与执行", key="overview_units")
elif not selection.overall.empty:
    st.info("所选文档没有项目明细，只有部门整体与支出类型的数据（不与项目相加）。")
    figures.append(("部门整体与支出类型", charts.overall_chart(selection.overall)))
    ui.chart(figures[-1][1], "部门整体与支出类型", key="overview_overall")
else:
    st.info("所选文档中没有预算数据。")

has_rates = selection.lines["rate_pct"].notna().any()
has_indicators = not selection.indicators.empty
left, right = st.columns([2, 3]) if has_rates and has_indicators else (st.container(), None)
if has_rates:
    figures.append(("项目执行率分布", charts.rate_bands(selection.lines, *ui.bands())))
    with left:
        ui.chart(figures[-1][1], "项目执行率分布", key="overview_bands")
if has_indicators:
    labelled = selection.indicators.assign(unit_label=q.unit_labels(selection.indicators))
    title = "各单位绩效指标完成情况"
    figures.append(
        (title, charts.status_stack(q.status_by(labelled, "unit_label"), "unit_label", title))
    )
    with right if right is not None else left:
        ui.chart(figures[-1][1], title, key="overview_status")

st.subheader("已加载文档（单位 × 年度）")
matrix = q.coverage(selection.documents)
ui.table(matrix.reset_index(), "文档覆盖", key="overview_coverage")

ui.findings_note(
    selection.findings, tuple(selection.findings["code"].unique()), "加载时发现的问题", "overview"
)
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
