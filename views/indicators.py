"""绩效指标完成: met / not met / unknown by unit and category, points lost, and the indicators not met."""

import pandas as pd
import streamlit as st

from dashboard import charts, data, trace, ui
from dashboard import queries as q

NOT_MET_COLUMNS = [
    "unit",
    "project",
    "level1",
    "level2",
    "name",
    "target_text",
    "actual_text",
    "weight",
    "indicator_score",
    "points_lost",
    "deviation_reason",
]
TARGET_COLUMNS = ["unit", "year", "project", "level1", "level2", "name", "target_text"]


@data.memo
def overview_of(selection: q.Selection) -> tuple:
    """(status counts, per-unit chart, not-met table and its linked view, declared targets'
    linked view or None), once per filters."""
    indicators = selection.indicators
    # two columns, not a copy of a million indicators with a third
    labelled = pd.DataFrame(
        {"unit_label": q.unit_labels(indicators), "status": indicators["status"]}
    )
    chart = charts.status_stack(
        q.status_by(labelled, "unit_label"), "unit_label", "各单位指标完成情况"
    )
    failed = q.not_met(indicators)
    table = q.present(failed, NOT_MET_COLUMNS)
    declared = q.declared_targets(indicators)
    targets = (
        None if declared.empty else trace.with_links(q.present(declared, TARGET_COLUMNS), declared)
    )
    linked = trace.with_links(table, failed) if len(failed) else None
    return q.status_counts(indicators), chart, table, linked, targets


@data.memo
def by_level(selection: q.Selection, level: str) -> tuple:
    """(status chart, points lost, their chart or None) per indicator category, once per
    filters and level."""
    category = q.COLUMN_LABELS[level]
    chart = charts.status_stack(
        q.status_by(selection.indicators, level), level, f"按{category}的完成情况"
    )
    losses = q.points_lost_by(selection.indicators, level)
    lost = (
        charts.points_lost_chart(losses, level, f"按{category}的失分")
        if losses["points_lost"].gt(0).any()
        else None
    )
    return chart, losses, lost


selection = ui.load_selection()
pack = ui.meeting_slot()
indicators = selection.indicators
if indicators.empty:
    st.info("当前筛选的文档中没有绩效指标。")
    st.stop()

counts, by_unit, table, not_met_linked, targets = overview_of(selection)
cards = st.columns(5)
cards[0].metric(
    "指标完成率",
    q.fmt_pct(q.completion_rate(counts)),
    help="已完成 ÷（已完成 + 未完成）",
    border=True,
)
cards[1].metric("已完成", counts["met"], border=True)
cards[2].metric("未完成", counts["not_met"], border=True)
cards[3].metric("无法判断", counts["unknown"], help="文档未给出可比较的完成值或得分", border=True)
cards[4].metric(
    "仅申报目标", counts["target_only"], help="绩效目标申报表只有目标值，不算未完成", border=True
)

ui.chart(by_unit, "各单位指标完成情况", key="indicators_units", cached=True)

st.subheader("按指标分类")
level = st.radio(
    "指标分类",
    ["level1", "level2"],
    format_func=lambda c: q.COLUMN_LABELS[c],
    horizontal=True,
    key="indicators_level",
    persist_state="session",
    label_visibility="collapsed",
)
category = q.COLUMN_LABELS[level]
by_category, losses, lost = by_level(selection, level)
figures = [("各单位指标完成情况", by_unit), (f"按{category}的完成情况", by_category)]
left, right = st.columns(2)
with left:
    ui.chart(by_category, f"按{category}的完成情况", key="indicators_category", cached=True)
with right:
    if lost is not None:
        figures.append((f"按{category}的失分", lost))
        ui.chart(lost, f"按{category}的失分", key="indicators_lost", cached=True)
    elif losses.empty:
        st.info("所选文档的指标没有分值与得分，无法计算失分。")
    else:
        st.info("所选文档中有分值的指标都得了满分，没有失分。")

st.subheader("未完成的指标")
if not_met_linked is None:
    st.info("当前筛选条件下没有未完成的指标。")
else:
    ui.table(not_met_linked, "未完成的指标", key="indicators_not_met", cached=True)

if targets is not None:
    st.subheader("申报的绩效目标")
    st.caption("绩效目标申报表只列目标值，尚无完成情况：以下是目标，不是未完成。")
    ui.table(
        targets,
        "申报的绩效目标",
        key="indicators_targets",
        height=360,
        cached=True,
    )

ui.findings_note(
    selection.findings,
    ("WEIGHT_SUM_MISMATCH", "SCORE_SUM_MISMATCH", "ORPHAN_ROWS", "MISSING_TABLE"),
    "与指标有关的问题",
    "indicators",
)
ui.meeting(pack, "绩效指标完成", figures, table, key="indicators_pack")
