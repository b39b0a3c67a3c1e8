"""预算执行: budget against actual by unit, every project of a unit, and the budget–actual scatter."""

import streamlit as st

from dashboard import charts, data, trace, ui
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


@data.memo
def by_unit(selection: q.Selection) -> tuple:
    """(units, their linked table, execution totals, unit labels of the lines, units chart),
    once per filters."""
    units = q.by_unit(selection.lines, findings=selection.findings)
    table = q.present(
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
    linked = trace.with_document_links(table, units, selection.documents)
    labels = q.unit_labels(selection.lines) if len(selection.lines) else None
    fig = charts.budget_vs_actual_by_unit(units) if len(units) else None
    return units, linked, q.execution_totals(selection.lines), labels, fig


@data.memo
def of_unit(selection: q.Selection, label: str, red_below: float, green_from: float) -> tuple:
    """One unit's projects: (figure, linked table), once per filters, unit and colour bands."""
    labels = by_unit(selection)[3]
    rows = selection.lines[labels == label] if labels is not None else selection.lines
    # the same rows and order as q.unit_projects(lines, label), without relabelling every line
    projects = (
        rows.assign(label=label)
        .sort_values("budget_wan", ascending=False, na_position="last")
        .reset_index(drop=True)
    )
    fig = charts.project_bullets(
        projects, f"{label}：各项目预算与执行（按预算排序）", red_below, green_from
    )
    shown = q.present(q.with_notes(projects, selection.findings), PROJECT_COLUMNS)
    return fig, trace.with_links(shown, projects)


@data.memo
def scatter(selection: q.Selection, log: bool, red_below: float, green_from: float):
    return charts.budget_actual_scatter(selection.lines, log, red_below, green_from)


@data.memo
def overall_part(selection: q.Selection) -> tuple:
    """Department and expenditure-type rows: (figure, linked table), once per filters."""
    overall = selection.overall
    table = q.present(
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
    )
    return charts.overall_chart(overall), trace.with_links(table, overall)


selection = ui.load_selection()
pack = ui.meeting_slot()
lines = selection.lines
units, unit_table, totals, _, units_fig = by_unit(selection)
figures = []
tables = []  # the page's further tables, for the meeting pack

st.subheader("按单位")
if units.empty:
    st.info("当前筛选的文档中没有项目预算行；部门整体与支出类型见页面下方。")
else:
    figures.append(("各单位预算与执行", units_fig))
    ui.chart(units_fig, "各单位预算与执行", key="budget_units", cached=True)
    ui.table(unit_table, "各单位预算与执行", key="budget_units", cached=True)
    if totals["n_declared"]:
        st.caption(
            f"申报预算（无执行数）：{totals['n_declared']} 条，共 {q.fmt_wan(totals['declared_budget_wan'], unit=True)}，"
            "来自绩效目标申报表，只有预算、没有执行数，不计入执行率。"
        )

    st.subheader("单位内各项目")
    label = ui.choose(
        "选择单位查看其全部项目", units["label"].tolist(), key="budget_unit", widget=st.selectbox
    )
    fig, shown = of_unit(selection, label, *ui.bands())
    figures.append((f"{label} 各项目预算与执行", fig))
    ui.chart(fig, f"{label} 项目预算与执行", key="budget_projects", cached=True)
    ui.table(shown, f"{label} 项目", key="budget_projects", cached=True)
    tables.append((f"{label} 各项目", shown))

    st.subheader("全部项目：预算与执行")
    log = st.toggle(
        "对数坐标",
        key="budget_log",
        persist_state="session",
        help="金额相差悬殊时，用对数坐标看清小项目",
    )
    fig = scatter(selection, log, *ui.bands())
    figures.append(("预算与执行散点", fig))
    ui.chart(fig, "预算与执行散点", key="budget_scatter", cached=True)

st.subheader("部门整体与支出类型")
st.caption("部门整体、基本支出、项目支出是同一笔资金的汇总口径，单独列示，不与项目相加。")
overall = selection.overall
if overall.empty:
    st.info("当前筛选的文档中没有部门整体或支出类型的数据。")
else:
    fig, table = overall_part(selection)
    figures.append(("部门整体与支出类型", fig))
    ui.chart(fig, "部门整体与支出类型", key="budget_overall", cached=True)
    ui.table(table, "部门整体与支出类型", key="budget_overall", cached=True)
    tables.append(("部门整体与支出类型", table))

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
    unit_table,
    key="budget_pack",
    more_tables=tables,
)
