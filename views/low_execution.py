"""低执行率项目: projects below a threshold, sorted by unspent amount; rates above 100 % apart."""

import streamlit as st

from dashboard import charts, data, links, trace, ui
from dashboard import queries as q
from dashboard.constants import BAND_COLOURS, GREEN_FROM_PCT, LOW_EXECUTION_PCT, RED_BELOW_PCT
from dashboard.tints import tint

LOW_COLUMNS = [
    "unit",
    "year",
    "project",
    "budget_wan",
    "actual_wan",
    "unspent_wan",
    "execution_rate_pct",
    "score",
    "explanation",
    "notes",
]
OVER_COLUMNS = [
    "unit",
    "year",
    "level_label",
    "project",
    "budget_wan",
    "actual_wan",
    "execution_rate_pct",
    "reported_rate_pct",
    "notes",
]


@data.memo
def below(selection: q.Selection, threshold: float, red_below: float, green_from: float) -> tuple:
    """(low lines, the unspent-per-unit chart or None, table, linked table, its styler with the
    rates tinted by band), once per filters, threshold and bands."""
    low = q.with_notes(
        q.low_execution(selection.lines, threshold, selection.indicators), selection.findings
    )
    table = q.present(low, LOW_COLUMNS)
    linked = trace.with_links(table, low)
    bands = q.bands_of(low["rate_pct"], red_below, green_from).map(BAND_COLOURS)
    styler = tint(linked, {q.COLUMN_LABELS["execution_rate_pct"]: list(bands)})
    unspent = q.unspent_by_unit(low)
    figure = None if unspent.empty else charts.unspent_by_unit_chart(unspent)
    return low, figure, table, linked, styler


@data.memo
def above(selection: q.Selection):
    """Rows above 100 % and their linked table (None when there are none), once per filters."""
    over = q.with_notes(q.over_execution(selection.projects), selection.findings)
    return None if over.empty else trace.with_links(q.present(over, OVER_COLUMNS), over)


selection = ui.load_selection()
pack = ui.meeting_slot()

# the threshold and the colour bands live in the link too (?lowexec_threshold=80)
links.seed("lowexec_threshold", int, range(0, 101))
links.seed("lowexec_red_below", float, ui.PERCENTS)
links.seed("lowexec_green_from", float, ui.PERCENTS)
controls = st.columns([2, 3])
threshold = controls[0].slider(
    "执行率低于（%）",
    min_value=0,
    max_value=100,
    step=1,
    key="lowexec_threshold",
    persist_state="session",
    help="执行率 = 执行 ÷ 预算；文档未给出执行数时用文档印发的执行率",
    **links.initial("lowexec_threshold", "value", int(LOW_EXECUTION_PCT)),
)
links.write("lowexec_threshold", threshold, int(LOW_EXECUTION_PCT))
with controls[1].expander("颜色分档（可调整）"):
    band_inputs = st.columns(2)
    red_below = band_inputs[0].number_input(
        "红色：低于（%）",
        0.0,
        100.0,
        step=5.0,
        key="lowexec_red_below",
        persist_state="session",
        **links.initial("lowexec_red_below", "value", RED_BELOW_PCT),
    )
    if st.session_state.get("lowexec_green_from", GREEN_FROM_PCT) < red_below:
        st.session_state["lowexec_green_from"] = red_below
    green_from = band_inputs[1].number_input(
        "绿色：不低于（%）",
        red_below,
        100.0,
        step=5.0,
        key="lowexec_green_from",
        persist_state="session",
        **links.initial("lowexec_green_from", "value", max(GREEN_FROM_PCT, red_below)),
    )
    links.write("lowexec_red_below", red_below, RED_BELOW_PCT)
    links.write("lowexec_green_from", green_from, GREEN_FROM_PCT)
    ui.set_bands(red_below, green_from)
    st.caption(
        f"红色 < {red_below:g}%，黄色 {red_below:g}%–{green_from:g}%，绿色 {green_from:g}%–100%。"
    )

low, unspent_fig, table, linked, styler = below(selection, threshold, *ui.bands())
cards = st.columns(3)
cards[0].metric("低执行率项目", len(low), border=True)
cards[1].metric("未执行金额（万元）", q.fmt_wan(low["unspent_wan"].sum()), border=True)
cards[2].metric("涉及单位", int(low["unit"].nunique()), border=True)

st.subheader(f"执行率低于 {threshold}% 的项目（按未执行金额排序）")
if low.empty:
    st.info(f"当前筛选条件下没有执行率低于 {threshold}% 的项目。")
else:
    ui.table(linked, "低执行率项目", key="lowexec_projects", styler=styler, cached=True)

figures = []
if unspent_fig is not None:
    figures.append(("各单位未执行金额", unspent_fig))
    ui.chart(unspent_fig, "各单位未执行金额", key="lowexec_unspent", cached=True)

st.subheader("执行率超过 100% 的项目与汇总行")
over = above(selection)
if over is None:
    st.info("当前筛选条件下没有执行率超过 100% 的行。")
else:
    st.caption("超过 100% 通常意味着预算调整未反映在表中或金额填报有误，请核对原文。")
    ui.table(over, "执行率超过100%", key="lowexec_over", cached=True)

ui.findings_note(
    selection.findings,
    ("RATE_MISMATCH", "RATE_OVER_100", "VALUE_CONFLICT"),
    "与执行率有关的问题",
    "lowexec",
)
ui.meeting(pack, "低执行率项目", figures, table, key="lowexec_pack")
