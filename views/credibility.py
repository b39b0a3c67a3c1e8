"""自评可信度: the official formula recomputed, plausibility warnings, and indicator checks."""

import pandas as pd
import streamlit as st

from dashboard import credibility as cred
from dashboard import data, trace, ui
from dashboard.constants import (
    AMBER,
    FUNDS_WEIGHT,
    LOW_SPEND_PCT,
    RED,
    SCORE_GAP_RED_PCT,
    UNSPENT_AMBER_PCT,
)
from dashboard.export_ui import meeting_pack, workbook_download
from dashboard.markup import md_escape
from dashboard.queries import COLUMN_LABELS

LABELS = {
    **COLUMN_LABELS,
    "rate_pct": "计分执行率（%）",
    "indicator_points": "指标得分",
    "execution_points": "资金得分（复算）",
    "funds_score": "资金得分（印发）",
    "recomputed_score": "复算得分",
    "score": "印发得分",
    "score_diff": "复算−印发",
    "grade_recomputed": "复算等级",
    "grade": "印发等级",
    "check": "复算结果",
    "differences": "差异与缺失",
    "warning_label": "预警",
    "indicator_rate_pct": "指标得分率（%）",
    "execution_score_pct": "执行得分率（%）",
    "score_gap_pct": "得分率差（百分点）",
    "unspent_pct": "未执行比例（%）",
    "warnings": "预警说明",
    "contradiction": "矛盾之处",
    "indicator_score": "得分",
}
FORMULA_COLUMNS = [
    "unit",
    "project",
    "rate_pct",
    "indicator_points",
    "execution_points",
    "recomputed_score",
    "score",
    "score_diff",
    "grade_recomputed",
    "grade",
    "check",
    "differences",
]
WARNING_COLUMNS = [
    "warning_label",
    "unit",
    "project",
    "score",
    "indicator_rate_pct",
    "execution_score_pct",
    "score_gap_pct",
    "budget_wan",
    "actual_wan",
    "unspent_pct",
    "warnings",
]
INDICATOR_COLUMNS = [
    "unit",
    "project",
    "level2",
    "name",
    "target_text",
    "actual_text",
    "weight",
    "indicator_score",
]
# The judged rows' columns kept for the 合理性预警 table after the page's tables are built.
JUDGED_KEPT = [*WARNING_COLUMNS, "warning", "doc_id", "source_line", "end_line"]
CHECK_COLOURS = {cred.CHECK_DIFFERS: RED, cred.CHECK_INCOMPLETE: AMBER}
LEVEL_COLOURS = {"red": RED, "amber": AMBER}
# Scores carry three decimals: the execution points (rate × 10) have one more than the score.
SCORE_DECIMALS = 3


def shown(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.reindex(columns=columns)
    for column in ("indicator_points", "execution_points", "recomputed_score", "score_diff"):
        if column in out:
            out[column] = pd.to_numeric(out[column], errors="coerce").round(SCORE_DECIMALS)
    return out.rename(columns=LABELS).reset_index(drop=True)


def score_table_lines(rows: pd.DataFrame) -> pd.DataFrame:
    """Where a score was printed: the annex table where there is one, else the row's lines."""
    annex = rows["alt_source_line"].notna()
    return rows.assign(
        link_line=rows["alt_source_line"].where(annex, rows["source_line"]),
        link_end=rows["end_line"].where(~annex),
    )


def tint(frame: pd.DataFrame, column: str, colours: dict, keys: pd.Series):
    """A Styler colouring `column` by keys (same order as the frame's rows)."""
    marks = [colours.get(k) for k in keys.tolist()]

    def paint(cells: pd.Series):
        # by row label (the frame's 0..n-1), so the styler also fits its first rows alone
        return [f"background-color: {c}33" if c else "" for c in (marks[i] for i in cells.index)]

    return frame.style.apply(paint, subset=[column])


@st.cache_resource(show_spinner=False, max_entries=16)
def checks(folder: str, stamp: tuple, filters) -> dict:
    """The page's rules, tables (with links and tints) and scatter on the filtered rows, once
    per filters and table versions: a rerun only draws them.

    Shared between sessions: the frames, stylers and the figure are read-only.
    """
    selection = data.selection(filters)
    judged = cred.plausibility(cred.recompute(selection.projects, selection.indicators))
    if len(judged):
        # scores that do not follow from their table first
        order = judged["check"].map({cred.CHECK_DIFFERS: 0, cred.CHECK_INCOMPLETE: 1}).fillna(2)
        judged = (
            judged.merge(selection.documents[["doc_id", "unit", "year"]], on="doc_id", how="left")
            .assign(_order=order)
            .sort_values(["_order", "unit", "source_line"], kind="stable")
            .drop(columns="_order")
            .reset_index(drop=True)
        )
    no_reason = cred.not_met_without_reason(selection.indicators)
    contradicting = cred.met_contradicting(selection.indicators)
    out = {
        # the columns the warnings table needs: the rest (and the indicator rows behind the two
        # indicator tables) would hold hundreds of MB per filter at 10,000 documents
        "judged": judged.reindex(columns=[c for c in JUDGED_KEPT if c in judged.columns]).copy(),
        "nothing": judged.empty and no_reason.empty and contradicting.empty,
        "scatter": cred.score_scatter(judged) if len(judged) else None,
        "counts": judged["check"].value_counts() if len(judged) else pd.Series(dtype=int),
        "levels": judged["warning"].value_counts() if len(judged) else pd.Series(dtype=int),
        "formula": shown(judged, FORMULA_COLUMNS),
        "reasonless": shown(
            no_reason.assign(indicator_score=no_reason.get("score")), INDICATOR_COLUMNS
        ),
        "contradictions": shown(
            contradicting.assign(indicator_score=contradicting.get("score")),
            [*INDICATOR_COLUMNS, "contradiction"],
        ),
    }
    if len(judged):
        linked = trace.with_links(
            out["formula"], score_table_lines(judged), "link_line", "link_end"
        )
        out["formula_linked"] = linked
        out["formula_styler"] = tint(linked, LABELS["check"], CHECK_COLOURS, judged["check"])
        out["incomplete"] = cred.named_list(
            judged.loc[judged["check"] != cred.CHECK_AGREES, ["project", "differences"]],
            lambda r: f"{r.project}（{r.differences}）",
        )
        out["excellent_low_spend"] = cred.named_list(
            cred.excellent_low_spend(judged)[["project", "score", "rate_pct"]],
            lambda r: f"{r.project}（{r.score:.2f} 分，执行率 {r.rate_pct:.1f}%）",
            where="合理性预警表",
        )
    if len(no_reason):
        out["reasonless_linked"] = trace.with_links(out["reasonless"], no_reason)
    if len(contradicting):
        out["contradictions_linked"] = trace.with_links(out["contradictions"], contradicting)
    return out


@st.cache_resource(show_spinner=False, max_entries=16)
def warning_view(folder: str, stamp: tuple, filters, warnings_only: bool) -> dict:
    """The 合理性预警 table (all judged projects, or only the warned ones), linked and tinted."""
    judged = checks(folder, stamp, filters)["judged"]
    warned = judged[judged["warning"].notna()] if warnings_only and len(judged) else judged
    if not len(warned):
        return {"table": shown(warned, WARNING_COLUMNS)}
    order = warned["warning"].map({"red": 0, "amber": 1}).fillna(2)
    warned = warned.assign(_order=order).sort_values(
        ["_order", "score_gap_pct"], ascending=[True, False]
    )
    table = shown(warned, WARNING_COLUMNS)
    linked = trace.with_links(table, warned)
    return {
        "table": table,
        "linked": linked,
        "styler": tint(linked, LABELS["warning_label"], LEVEL_COLOURS, warned["warning"]),
    }


selection = ui.load_selection()
slot = ui.meeting_slot()
folder, stamp = str(data.parquet_dir()), data.stamp()
checked = checks(folder, stamp, selection.filters)
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
warnings = warning_view(folder, stamp, selection.filters, warnings_only)
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
