"""文档: every loaded document with its unit, place, year and its source, kind, row counts, sha256."""

import streamlit as st

from dashboard import review, trace, ui
from dashboard.queries import COLUMN_LABELS

LABELS = {
    **COLUMN_LABELS,
    "year_source": "年度来源",
    "doc_kind": "文档类型",
    "n_projects": "预算行数",
    "n_indicators": "指标数",
    "n_findings": "数据提示数",
    "n_problems": "其中错误与警告",
    "review": "校对状态",
    "n_lines": "文本行数",
    "sha256": "sha256",
}
COLUMNS = trace.DOCUMENT_COLUMNS

selection = ui.load_selection()
table = trace.documents_table(
    selection.documents, selection.projects, selection.indicators, selection.findings
)
cards = st.columns(4)
cards[0].metric("文档", len(table), border=True)
cards[1].metric("单位", int(selection.documents["unit"].nunique()), border=True)
cards[2].metric("预算行", int(table["n_projects"].sum()), border=True)
cards[3].metric("指标", int(table["n_indicators"].sum()), border=True)
st.caption(
    "年度来源：文档印发 = 从文档中读出；sources.toml 补录 = 文档未印发，由 data/raw/sources.toml 给出；"
    "未印发（未补录）= 两处都没有，请在 sources.toml 中补录。sha256 是原文件的指纹，可核对文件是否被改动。"
)
shown = table.reindex(columns=COLUMNS).rename(columns=LABELS)
linked = trace.with_links(shown, table.assign(source_line=None))
linked[review.LINK_HEADER] = [review.review_link(d) for d in table["doc_id"]]
ui.table(linked, "文档", key="documents_list")
