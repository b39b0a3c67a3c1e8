"""目标质量: the reviewer's points on each document's targets, ranked, with their lines."""

import pandas as pd
import streamlit as st

from dashboard import data, links, trace, ui
from dashboard import queries as q
from dashboard import target_quality as tq
from dashboard.constants import KIND_LABELS
from dashboard.export_ui import meeting_pack, workbook_download
from dashboard.markup import md_escape

LABELS = {
    **q.COLUMN_LABELS,
    "rank": "序号",
    "rule_label": "问题",
    "n_tables": "涉及表数",
    "n": "涉及指标数",
    "detail": "说明",
    "table": "指标表（项目）",
    "n_docs": "文档数",
    "n_points": "问题表数",
    "measurable_pct": "可衡量目标占比（%）",
    **{rule: label for rule, label in tq.RULES.items()},
}
SUMMARY_COLUMNS = [
    "unit",
    "year",
    "doc_kind_label",
    "rank",
    "rule_label",
    "n_tables",
    "n",
    "detail",
]
POINT_COLUMNS = ["unit", "year", "table", "rule_label", "n", "detail"]


def shown(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.assign(
        doc_kind_label=frame["doc_kind"].map(KIND_LABELS).fillna(frame["doc_kind"])
        if "doc_kind" in frame
        else None
    ).reindex(columns=columns)
    if "year" in out.columns:
        out["year"] = out["year"].astype("Int64")
    return out.rename(columns=LABELS).reset_index(drop=True)


@data.memo
def view(selection: q.Selection) -> dict:
    """Every point, each document's short list, the unit summary and the chart (read-only)."""
    points = tq.review(selection.projects, selection.indicators)
    summary = tq.document_summary(points)
    counts = tq.rule_counts(points)
    units = tq.unit_summary(points, selection.indicators)
    return {
        "points": points,
        "summary": summary,
        "counts": counts,
        "figure": tq.rule_chart(counts),
        "units": units.rename(columns={**LABELS, "n_tables": "指标表数"}),
        "n_docs": int(selection.indicators["doc_id"].nunique()),
        "measurable": tq.measurable_share(selection.indicators),
    }


@data.memo
def tables(selection: q.Selection, rules: tuple[str, ...]) -> dict:
    """The short lists and the per-table points of the chosen rules, with their links."""
    v = view(selection)
    summary = v["summary"][v["summary"]["rule"].isin(rules)]
    points = v["points"][v["points"]["rule"].isin(rules)]
    short = shown(summary, SUMMARY_COLUMNS)
    detail = shown(points, POINT_COLUMNS)
    return {
        "short": short,
        "short_linked": trace.with_links(short, summary),
        "detail": detail,
        "detail_linked": trace.with_links(detail, points),
        "summary": summary,
    }


selection = ui.load_selection()
slot = ui.meeting_slot()
v = view(selection)
if not v["n_docs"]:
    st.info("当前筛选的文档中没有读出绩效指标，无法审查目标质量。")
    st.stop()

measurable = v["measurable"]
n_targets = int(measurable["n_targets"].sum()) if len(measurable) else 0
n_vague = int(measurable["n_vague"].sum()) if len(measurable) else 0
cards = st.columns(4)
cards[0].metric("审查文档", v["n_docs"], border=True, help="读出了绩效指标的文档")
cards[1].metric("有问题的文档", int(v["summary"]["doc_id"].nunique()), border=True)
cards[2].metric(
    "目标不可衡量的指标",
    n_vague,
    f"占 {q.fmt_pct(n_vague / n_targets * 100 if n_targets else None)}" if n_targets else None,
    delta_color="off",
    delta_arrow="off",
    border=True,
    help="有目标值的指标中，目标只写了“有效提高、明显提升、良好、持续加强”等、没有可核对数字的",
)
cards[3].metric("问题要点", len(v["summary"]), border=True, help="每份文档每类问题计一条")

st.caption(
    "财政评审时对每份申报表、自评表会看的几点，按严重程度排列：满分自评而执行率低；完成值照抄目标值；"
    f"完成值达到目标 {tq.OVERSHOOT_RATIO:g} 倍以上（目标定得太低）；目标不可衡量；缺少效益或满意度指标；"
    "一级指标权重偏离常见结构（产出 50、效益 30、满意度 10，另预算执行率 10）。"
)
ui.chart(v["figure"], "各类问题涉及的文档数", key="tq_rules_chart", cached=True)

links.seed("tq_rule", str, ["all", *tq.RULES])
rule = st.segmented_control(
    "只看一类问题",
    ["all", *tq.RULES],
    format_func=lambda k: "全部" if k == "all" else tq.RULES[k],
    key="tq_rule",
    persist_state="session",
    **links.initial("tq_rule", "default", "all"),
)
rule = rule or "all"
links.write("tq_rule", rule, "all")
chosen = tables(selection, tuple(tq.RULES) if rule == "all" else (rule,))

st.subheader("每份文档的要点")
st.caption("每份文档每类问题一条，序号 1 最严重；点“查看原文”打开该问题最突出的一张表。")
if chosen["short"].empty:
    st.success("当前筛选条件下没有这类问题。")
else:
    ui.table(chosen["short_linked"], "文档要点", key="tq_short", cached=True)

    documents = chosen["summary"].drop_duplicates("doc_id")
    doc_labels = {
        d: f"{u}｜{int(y) if pd.notna(y) else '年度未知'}｜{f}"
        for d, u, y, f in zip(
            documents["doc_id"],
            documents["unit"],
            documents["year"],
            documents["source_file"],
            strict=True,
        )
    }
    links.seed("tq_doc", str, list(doc_labels))
    doc = ui.choose("逐条查看一份文档", list(doc_labels), key="tq_doc", format_func=doc_labels.get)
    links.write("tq_doc", doc, list(doc_labels)[0] if doc_labels else None)
    if doc:
        for row in chosen["summary"][chosen["summary"]["doc_id"] == doc].itertuples():
            with st.container(horizontal=True, vertical_alignment="center"):
                st.markdown(f"{row.rank}. **{md_escape(row.rule_label)}**：{md_escape(row.detail)}")
                # a page link, not a Markdown one: the document's id is data
                st.page_link(
                    "views/source_viewer.py",
                    label="查看原文",
                    icon=":material/article:",
                    query_params=links.source_params(row.doc_id, row.source_line, row.end_line),
                )

with st.expander(f"逐表明细（{len(chosen['detail'])} 条）"):
    ui.table(chosen["detail_linked"], "逐表明细", key="tq_detail", cached=True)

st.subheader("单位汇总")
st.caption("问题表数：有该类问题的指标表（项目）数；可衡量目标占比按印发了目标值的指标计算。")
ui.table(v["units"], "目标质量单位汇总", key="tq_units", cached=True)

sheets = {
    "文档要点": chosen["short"],
    "逐表明细": chosen["detail"],
    "单位汇总": v["units"],
}
with slot, st.container(horizontal=True, horizontal_alignment="right"):
    workbook_download("绩效目标质量", sheets, key="tq_workbook")
    meeting_pack(
        "绩效目标质量",
        [("各类问题涉及的文档数", v["figure"])],
        chosen["short"],
        key="tq_pack",
        table_title="文档要点",
        more_tables=[("单位汇总", v["units"])],
    )
