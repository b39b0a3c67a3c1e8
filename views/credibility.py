"""自评可信度: the official formula recomputed, plausibility warnings, and indicator checks."""

import streamlit as st

from dashboard import credibility as cred
from dashboard import credibility_tables as tables
from dashboard import data, ui
from dashboard.constants import (
    FUNDS_WEIGHT,
    LOW_SPEND_PCT,
    SCORE_GAP_RED_PCT,
    UNSPENT_AMBER_PCT,
)
from dashboard.export_ui import meeting_pack, workbook_download
from dashboard.markup import md_escape


@data.memo
def checks(selection) -> dict:
    """The page's tables and scatter, once per filters and table versions (read-only)."""
    return tables.checks(selection)


@data.memo
def warning_view(selection, warnings_only: bool) -> dict:
    return tables.warning_view(checks(selection)["judged"], warnings_only)


selection = ui.load_selection()
slot = ui.meeting_slot()
checked = checks(selection)
judged, scatter = checked["judged"], checked["scatter"]
if checked["nothing"]:
    st.info(
        "当前筛选的文档中没有自评得分或指标得分（项目绩效自评汇总表、绩效目标申报表不打分），"
        "无法判断自评可信度。"
    )
    st.stop()

counts, levels = checked["counts"], checked["levels"]
cards = st.columns(5)
cards[0].metric("自评项目", len(judged), border=True, help="印发了自评得分的项目与部门整体自评")
cards[1].metric("复算一致", int(counts.get(cred.CHECK_AGREES, 0)), border=True)
cards[2].metric(
    "复算不一致或无法复算",
    int(counts.get(cred.CHECK_DIFFERS, 0) + counts.get(cred.CHECK_INCOMPLETE, 0)),
    border=True,
)
cards[3].metric("红色预警", int(levels.get("red", 0)), border=True)
cards[4].metric("黄色预警", int(levels.get("amber", 0)), border=True)

st.subheader("官方公式复算")
st.caption(
    f"复算得分 = 各指标得分之和 + 预算执行率 × {FUNDS_WEIGHT:g}（执行率超过 100% 按 100% 计）；"
    "等级：优 ≥ 90，良 80–90，中 60–80，差 < 60。执行率取评分表中印发的执行率"
    "（部门决算附件表按整数百分比印发），没有印发时按 实际/预算 计算。"
)
formula = checked["formula"]
if judged.empty:
    st.info("当前筛选的文档中没有印发自评得分的项目。")
else:
    ui.table(
        checked["formula_linked"],
        "官方公式复算",
        key="cred_formula",
        styler=checked["formula_styler"],
        cached=True,
    )
    if checked["incomplete"]:
        st.warning(
            "以下项目的自评得分无法由表内数字复算或与复算不符：" + md_escape(checked["incomplete"])
        )

st.subheader("合理性预警")
st.caption(
    f"红色：指标得分率比预算执行得分率高出 {SCORE_GAP_RED_PCT:g} 个百分点以上（钱没花完、指标却近满分）；"
    f"黄色：预算未执行超过 {UNSPENT_AMBER_PCT:g}%。预算为 0、无执行数或执行率超过 100% 时不判黄色，在说明中注明。"
)
warnings_only = st.toggle("只看有预警的项目", value=True, key="cred_warnings_only")
warnings = warning_view(selection, warnings_only)
warning_table = warnings["table"]
if "linked" in warnings:
    ui.table(
        warnings["linked"],
        "合理性预警",
        key="cred_warnings",
        styler=warnings["styler"],
        cached=True,
    )
else:
    st.success("当前筛选条件下没有触发预警的项目。")

st.subheader("自评得分与执行率")
if scatter is not None:
    ui.chart(scatter, "自评得分与执行率", key="cred_scatter", cached=True)
    if checked["excellent_low_spend"]:
        st.error(
            f"评为“优”但执行率低于 {LOW_SPEND_PCT:g}% 的项目："
            + md_escape(checked["excellent_low_spend"])
        )
    else:
        st.caption(f"没有评为“优”而执行率低于 {LOW_SPEND_PCT:g}% 的项目。")

st.subheader("未完成但未说明偏差原因的指标")
reasonless = checked["reasonless"]
if "reasonless_linked" not in checked:
    st.success("当前筛选条件下，未完成的指标都写明了偏差原因。")
else:
    st.caption("扣了分（得分低于分值）或完成值未达目标，但“偏差原因分析”一栏为空。")
    ui.table(
        checked["reasonless_linked"], "未说明偏差原因的指标", key="cred_no_reason", cached=True
    )

st.subheader("报告为完成但完成值与目标矛盾的指标")
contradictions = checked["contradictions"]
if "contradictions_linked" not in checked:
    st.success("当前筛选条件下，没有得满分或判为完成、而完成值与目标矛盾的指标。")
else:
    ui.table(
        checked["contradictions_linked"],
        "完成值与目标矛盾的指标",
        key="cred_contradictions",
        cached=True,
    )

sheets = {
    "官方公式复算": formula,
    "合理性预警": warning_table,
    "未说明偏差原因": reasonless,
    "完成值与目标矛盾": contradictions,
}
with slot, st.container(horizontal=True, horizontal_alignment="right"):
    workbook_download("自评可信度", sheets, key="cred_workbook")
    meeting_pack(
        "自评可信度",
        [("自评得分与执行率", scatter)] if scatter is not None else [],
        formula,
        key="cred_pack",
        table_title="官方公式复算",
        more_tables=[(name, frame) for name, frame in list(sheets.items())[1:]],
    )
