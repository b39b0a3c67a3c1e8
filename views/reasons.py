"""偏差原因: why money goes unspent — the explanations of low-execution projects by category."""

import pandas as pd
import streamlit as st

from dashboard import data, links, trace, ui
from dashboard import queries as q
from dashboard import reasons as r
from dashboard.constants import LOW_EXECUTION_PCT
from dashboard.export_ui import meeting_pack, workbook_download
from dashboard.markup import md_escape

LABELS = {
    **q.COLUMN_LABELS,
    "label": "原因分类",
    "phrase": "依据（匹配文字）",
    "rate_pct": "执行率（%）",
    "unspent_wan": "未执行（万元）",
    "n_projects": "项目数",
    "total_wan": "单位未执行合计（万元）",
    "source": "来源",
    "text": "说明文字",
    "meaning": "含义",
    "n_texts": "说明条数",
}
PROJECT_COLUMNS = [
    "label", "unit", "year", "project", "budget_wan", "actual_wan", "unspent_wan", "rate_pct",
    "explanation", "phrase",
]  # fmt: skip
TEXT_COLUMNS = ["label", "unit", "year", "project", "source", "text", "phrase"]
ALL = "all"


def shown(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.reindex(columns=columns)
    if "year" in out.columns:
        out["year"] = out["year"].astype("Int64")
    if "source" in out.columns:
        out["source"] = out["source"].map(r.SOURCE_LABELS)
    return out.rename(columns=LABELS).reset_index(drop=True)


@data.memo
def view(selection: q.Selection, threshold: float) -> dict:
    """The page's tables and figures, once per filters and threshold (read-only)."""
    low = r.low_projects(selection.lines, selection.indicators, threshold)
    categories = r.by_category(low)
    regions = r.by_group(low, "region")
    units = r.by_group(low, "unit")
    texts = r.all_texts(selection.projects, selection.indicators)
    text_counts = (
        texts.groupby("category", sort=False).size().reindex(list(r.CODES)).dropna().astype(int)
        if len(texts)
        else pd.Series(dtype=int)
    )
    taxonomy = pd.DataFrame(
        {
            "label": [r.LABELS[c] for c in r.CODES],
            "meaning": [r.MEANINGS[c] for c in r.CODES],
            "n_projects": [
                int(categories.set_index("category")["n_projects"].get(c, 0)) for c in r.CODES
            ],
            "unspent_wan": [
                float(categories.set_index("category")["unspent_wan"].get(c, 0.0)) for c in r.CODES
            ],
            "n_texts": [int(text_counts.get(c, 0)) for c in r.CODES],
        }
    )
    return {
        "low": low,
        "summary": r.unexplained(low),
        "categories": categories,
        "category_fig": r.category_chart(categories),
        "region_fig": r.group_chart(regions, "region", "各地区未执行金额（按原因）"),
        "unit_fig": r.group_chart(units, "unit", "各单位未执行金额（按原因）"),
        "regions": shown(regions, ["region", "label", "unspent_wan", "n_projects", "total_wan"]),
        "units": shown(units, ["unit", "label", "unspent_wan", "n_projects", "total_wan"]),
        "taxonomy": taxonomy.rename(columns=LABELS),
        "texts": texts,
        "texts_table": trace.with_links(shown(texts, TEXT_COLUMNS), texts),
    }


@data.memo
def sentences(selection: q.Selection, threshold: float, category: str) -> tuple:
    """The low-execution projects of one category (or all) with their sentences and links."""
    rows = r.category_rows(view(selection, threshold)["low"], None if category == ALL else category)
    table = shown(rows, PROJECT_COLUMNS)
    return table, trace.with_links(table, rows)


selection = ui.load_selection()
slot = ui.meeting_slot()

links.seed("reasons_threshold", int, range(0, 101))
threshold = st.slider(
    "执行率低于（%）",
    min_value=0,
    max_value=100,
    step=1,
    key="reasons_threshold",
    persist_state="session",
    **links.initial("reasons_threshold", "value", int(LOW_EXECUTION_PCT)),
    help="执行率 = 执行 ÷ 预算；文档未给出执行数时用文档印发的执行率",
)
links.write("reasons_threshold", threshold, int(LOW_EXECUTION_PCT))
shown_view = view(selection, float(threshold))
summary = shown_view["summary"]

cards = st.columns(4)
cards[0].metric("低执行率项目", summary["n_low"], border=True)
cards[1].metric("未执行金额（万元）", q.fmt_wan(summary["unspent_wan"]), border=True)
cards[2].metric(
    "未说明原因的项目",
    summary["n_none"],
    f"占 {q.fmt_pct(summary['share_pct'])}" if summary["n_low"] else None,
    delta_color="off",
    delta_arrow="off",
    border=True,
    help="低执行率项目中，“问题 / 偏差原因”一栏和其指标的偏差原因都为空或只写了“无”的项目",
)
cards[3].metric("其中未执行金额（万元）", q.fmt_wan(summary["none_unspent_wan"]), border=True)

if not summary["n_low"]:
    st.info(f"当前筛选条件下没有执行率低于 {threshold}% 的项目。")
    st.stop()

st.subheader("钱为什么没花完")
st.caption(
    "每条说明按关键词规则归入一类或多类（见下方“分类规则”），一个项目属于几类就在几类中各计一次，"
    "所以各类金额之和可能大于未执行总额。点选下方分类即可查看该类的原文句子。"
)
ui.chart(shown_view["category_fig"], "未执行金额按原因分类", key="reasons_categories", cached=True)

present = shown_view["categories"]
options = [ALL, *present["category"].tolist()]
counts = dict(zip(present["category"], present["n_projects"], strict=True))
links.seed("reasons_category", str, options)
category = st.pills(
    "查看哪一类的原文句子",
    options,
    format_func=lambda c: (
        f"全部（{summary['n_low']}）" if c == ALL else f"{r.LABELS[c]}（{counts[c]}）"
    ),
    key="reasons_category",
    persist_state="session",
    **links.initial("reasons_category", "default", ALL),
)
category = category or ALL
links.write("reasons_category", category, ALL)
table, linked = sentences(selection, float(threshold), category)
if category != ALL:
    st.caption(f"{md_escape(r.LABELS[category])}：{md_escape(r.MEANINGS[category])}")
ui.table(linked, "偏差原因句子", key="reasons_sentences", cached=True)

st.subheader("按地区与单位")
ui.chart(shown_view["region_fig"], "各地区未执行金额按原因", key="reasons_regions", cached=True)
ui.chart(shown_view["unit_fig"], "各单位未执行金额按原因", key="reasons_units", cached=True)
with st.expander("按单位的明细表"):
    ui.table(shown_view["units"], "各单位未执行金额按原因", key="reasons_units_table", cached=True)

st.subheader("全部说明文字")
st.caption(
    "所选文档中每一条“问题 / 偏差原因”（项目）和“偏差原因分析”（指标）及其分类，"
    "不限于低执行率项目；写了“无”的不计。"
)
ui.table(shown_view["texts_table"], "全部说明文字分类", key="reasons_texts", cached=True)

with st.expander("分类规则"):
    st.caption(
        "规则是固定的关键词与句式（dashboard/reasons.py），不调用任何在线服务；"
        "“依据”列给出使说明归入该类的原文字样。"
    )
    ui.table(shown_view["taxonomy"], "偏差原因分类", key="reasons_taxonomy", cached=True)

sheets = {
    "偏差原因句子": table,
    "各地区": shown_view["regions"],
    "各单位": shown_view["units"],
    "全部说明文字": shown_view["texts_table"].drop(columns=[trace.LINK_HEADER]),
    "分类规则": shown_view["taxonomy"],
}
with slot, st.container(horizontal=True, horizontal_alignment="right"):
    workbook_download("偏差原因分析", sheets, key="reasons_workbook")
    meeting_pack(
        "偏差原因分析",
        [
            ("未执行金额按原因分类", shown_view["category_fig"]),
            ("各地区未执行金额按原因", shown_view["region_fig"]),
            ("各单位未执行金额按原因", shown_view["unit_fig"]),
        ],
        table,
        key="reasons_pack",
        table_title="偏差原因句子",
        more_tables=[("分类规则", shown_view["taxonomy"])],
    )
