"""预算执行: budget against actual by unit, every project of a unit, and the budget–actual scatter."""

import streamlit as st

from dashboard import charts, trace, ui
from dashboard import queries as q

PROJECT_COLUMNS = [
    "project",
    "level_label",
    "budget_wan",
    "actual_wan",
    "execution_rate_pct",
    "reported_rate_pct",
    "score",
    "notes",
    "source_file",
    "source_line",
]

selection = ui.load_selection()
pack = ui.meeting_slot()
lines = selection.lines
units = q.by_unit(lines, findings=selection.findings)
figures = []

st.subheader("按单位")
if units.empty:
    st.info("当前筛选的文档中没有项目预算行；部门整体与支出类型见页面下方。")
else:
    fig = charts.budget_vs_actual_by_unit(units)
    figures.append(("各单位预算与执行", fig))
    ui.chart(fig, "各单位预算与执行", key="budget_units")
    unit_table = q.present(
        units,
        [
            "label",
            "budget_wan",
            "actual_wan",
            "execution_rate_pct",
            "declared_budget_wan",
            "n_lines",
            "notes",
        ],
    )
    unit_table = trace.with_document_links(unit_table, units, selection.documents)
    ui.table(unit_table, "各单位预算与执行", key="budget_units")
    totals = q.execution_totals(lines)
    if totals["n_declared"]:
        st.caption(
            f"申报预算（无执行数）：{totals['n_declared']} 条，共 {q.fmt_wan(totals['declared_budget_wan'], unit=True)}，"
            "来自绩效目标申报表，只有预算、没有执行数，不计入执行率。"
        )

    st.subheader("单位内各项目")
    label = ui.choose(
        "选择单位查看其全部项目", units["label"].tolist(), key="budget_unit", widget=st.selectbox
    )
    projects = q.unit_projects(lines, label)
    fig = charts.project_bullets(projects, f"{label}：各项目预算与执行（按预算排序）", *ui.bands())
    figures.append((f"{label} 各项目预算与执行", fig))
    ui.chart(fig, f"{label} 项目预算与执行", key="budget_projects")
    shown = q.present(q.with_notes(projects, selection.findings), PROJECT_COLUMNS)
    ui.table(trace.with_links(shown, projects), f"{label} 项目", key="budget_projects")

    st.subheader("全部项目：预算与执行")
    log = st.toggle(
        "对数坐标",
        key="budget_log",
        persist_state="session",
        help="金额相差悬殊时，用对数坐标看清小项目",
    )
    fig = charts.budget_actual_scatter(lines, log, *ui.bands())
    figures.append(("预算与执行散点", fig))
    ui.chart(fig, "预算与执行散点", key="budget_scatter")

st.subheader("部门整体与支出类型")
st.caption("部门整体、基本支出、项目支出是同一笔资金的汇总口径，单独列示，不与项目相加。")
overall = selection.overall
if overall.empty:
    st.info("当前筛选的文档中没有部门整体或支出类型的数据。")
else:
    fig = charts.overall_chart(overall)
    figures.append(("部门整体与支出类型", fig))
    ui.chart(fig, "部门整体与支出类型", key="budget_overall")
    ui.table(
        trace.with_links(
            q.present(
                overall,
                [
                    "unit",
                    "year",
                    "level_label",
                    "project",
                    "budget_wan",
                    "actual_wan",
                    "execution_rate_pct",
                    "reported_rate_pct",
                ],
            ),
            overall,
        ),
        "部门整体与支出类型",
        key="budget_overall",
    )

ui.findings_note(
    selection.findings,
    (
        "TOTAL_MISMATCH",
        "RATE_MISMATCH",
        "RATE_OVER_100",
        "VALUE_CONFLICT",
        "OVERFLOW_CELL",
        "PARTIAL_ROW",
    ),
    "与金额、执行率有关的问题",
    "budget",
)
ui.meeting(
    pack,
    "预算执行",
    figures,
    q.present(units, ["label", "budget_wan", "actual_wan", "execution_rate_pct"]),
    key="budget_pack",
)
