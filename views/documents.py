"""文档: every loaded document with its unit, place, year and its source, kind, row counts, sha256."""

import streamlit as st

from dashboard import data, review, trace, ui
from dashboard.queries import COLUMN_LABELS

LABELS = {
    **COLUMN_LABELS,
    "year_source": "年度来源",
    "doc_kind": "文档类型",
    "n_projects": "预算行",
    "n_indicators": "指标",
    "n_findings": "提示",
    "n_problems": "错误警告",
    "review": "校对状态",
    "n_lines": "文本行数",
    "sha256": "sha256",
}
# What identifies a document first (its file right after its unit); counts and the fingerprint
# after them.
COLUMNS = [
    "unit",
    "source_file",
    "doc_kind",
    "year",
    "year_source",
    "region",
    *[c for c in trace.DOCUMENT_COLUMNS if c.startswith("n_")],
    "review",
    "sha256",
]


@data.memo
def listed(selection) -> tuple:
    """(documents table, its linked view), once per filters and table versions."""
    table = trace.documents_table(
        selection.documents, selection.projects, selection.indicators, selection.findings
    )
    shown = table.reindex(columns=COLUMNS).rename(columns=LABELS)
    linked = trace.with_links(shown, table.assign(source_line=None))
    linked[review.LINK_HEADER] = [review.review_link(d) for d in table["doc_id"]]
    return table, linked


selection = ui.load_selection()
table, linked = listed(selection)
cards = st.columns(4)
cards[0].metric("文档", len(table), border=True)
cards[1].metric("单位", int(selection.documents["unit"].nunique()), border=True)
cards[2].metric("预算行", int(table["n_projects"].sum()), border=True)
cards[3].metric("指标", int(table["n_indicators"].sum()), border=True)
st.caption(
    "年度来源：文档印发 = 从文档中读出；sources.toml 补录 = 文档未印发，由 data/raw/sources.toml 给出；"
    "未印发（未补录）= 两处都没有，请在 sources.toml 中补录。提示 = 加载时的数据提示条数，错误警告 = 其中的错误与警告。"
    "sha256 是原文件的指纹，可核对文件是否被改动。"
)
# the line count is on the 原文 page (共 N 行) and in the downloads: the rest fit a desk's width
ui.table(
    linked,
    "文档",
    key="documents_list",
    hidden=(LABELS["n_lines"],),
    cached=True,
)
