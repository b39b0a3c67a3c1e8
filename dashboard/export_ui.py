"""Download buttons of the pages: chart images, table files and the 导出会议材料 deck."""

from __future__ import annotations

import threading
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from . import data, exports
from .constants import KIND_LABELS

# session_state key -> label on the title slide and in the footer
FILTER_LABELS = {
    "filter_region": "地区",
    "filter_unit": "单位",
    "filter_year": "年度",
    "filter_kind": "文档类型",
}
# session_state key -> documents.parquet column it filters
FILTER_COLUMNS = {
    "filter_region": "region",
    "filter_unit": "unit",
    "filter_year": "year",
    "filter_kind": "doc_kind",
}
APP_NAME = "绩效看板"

_warm_lock = threading.Lock()
_warm_started = False


def chart_downloads(fig: go.Figure, name: str, key: str) -> None:
    """PNG (2×) and SVG buttons under a chart; an HTML download and the reason without Chromium.

    The files are made when a button is clicked (a callable as data), so a page run costs
    nothing, and on_click="ignore" keeps the click from rerunning the app.
    """
    stem = exports.file_stem(name)
    with st.container(horizontal=True, key=f"{key}_chart_exports"):
        if exports.chromium_available():
            _warm_up()
            st.download_button(
                "下载 PNG",
                data=lambda: exports.figure_png(fig),
                file_name=f"{stem}.png",
                mime=exports.MIME_PNG,
                key=f"{key}_png",
                on_click="ignore",
                icon=":material/image:",
                help="2 倍分辨率图片，中文字体已嵌入渲染，可直接放入幻灯片",
            )
            st.download_button(
                "下载 SVG",
                data=lambda: exports.figure_svg(fig),
                file_name=f"{stem}.svg",
                mime=exports.MIME_SVG,
                key=f"{key}_svg",
                on_click="ignore",
                icon=":material/draw:",
                help="矢量图，适合排版软件再编辑",
            )
        else:
            st.download_button(
                "下载 HTML 图表",
                data=lambda: exports.figure_html(fig),
                file_name=f"{stem}.html",
                mime=exports.MIME_HTML,
                key=f"{key}_html",
                on_click="ignore",
                icon=":material/html:",
            )
            st.caption(exports.NO_CHROMIUM_MESSAGE)


def table_downloads(
    df: pd.DataFrame, name: str, key: str, drop: tuple[str, ...] | list[str] = ()
) -> None:
    """CSV (UTF-8 with BOM, opens in Excel) and XLSX buttons under a table.

    drop: columns left out of the files (links), dropped on click rather than on every run:
    copying a table of 300,000 rows costs tens of milliseconds.
    """
    stem = exports.file_stem(name)

    def rows() -> pd.DataFrame:
        return df.drop(columns=list(drop)) if drop else df

    with st.container(horizontal=True, key=f"{key}_table_exports"):
        st.download_button(
            "下载 CSV",
            data=lambda: exports.csv_bytes(rows()),
            file_name=f"{stem}.csv",
            mime=exports.MIME_CSV,
            key=f"{key}_csv",
            on_click="ignore",
            icon=":material/table:",
        )
        st.download_button(
            "下载 Excel",
            data=lambda: exports.xlsx_bytes({name: rows()}),
            file_name=f"{stem}.xlsx",
            mime=exports.MIME_XLSX,
            key=f"{key}_xlsx",
            on_click="ignore",
            icon=":material/grid_on:",
        )


def meeting_pack(
    page_title: str,
    charts: list[tuple[str, go.Figure]],
    table: pd.DataFrame | None,
    key: str,
    *,
    table_title: str | None = None,
    more_tables: list[tuple[str, pd.DataFrame]] | None = None,
) -> None:
    """The 导出会议材料 button: a PPTX of this page's charts and table under the active filters.

    more_tables: further (title, table) pairs put on slides after the first table.
    """
    state = st.session_state
    filters = {label: _filter_display(k, state.get(k)) for k, label in FILTER_LABELS.items()}
    selection = {column: state.get(k) for k, column in FILTER_COLUMNS.items()}
    all_documents = data.documents()
    built = data.data_date()
    footer = f"{APP_NAME} · {page_title}"
    heading = table_title or f"{page_title} · 明细"
    charts = list(charts)
    if exports.chromium_available() and charts:
        _warm_up()

    def build() -> bytes:
        # listed on click only: labelling 10,000 documents costs half a second per page run
        selected = exports.selected_documents(all_documents, selection)
        documents = exports.document_labels(selected, KIND_LABELS)
        fixes = exports.corrections_text(selected)
        return exports.pptx_bytes(
            page_title,
            filters,
            built,
            documents,
            charts,
            table,
            f"{footer} · {fixes}" if fixes else footer,
            table_title=heading,
            more_tables=more_tables or (),
        )

    stem = exports.file_stem(f"{page_title}_会议材料_{date.today():%Y%m%d}")
    st.download_button(
        "导出会议材料",
        data=build,
        file_name=f"{stem}.pptx",
        mime=exports.MIME_PPTX,
        key=f"{key}_pptx",
        on_click="ignore",
        type="primary",
        icon=":material/slideshow:",
        help="PPTX：标题页（筛选条件、数据日期、来源文档）、本页每张图一页、明细表（原生表格）",
    )


def workbook_download(name: str, sheets: dict[str, pd.DataFrame], key: str) -> None:
    """One XLSX with a sheet per table of a page (the whole view in one click)."""
    stem = exports.file_stem(f"{name}_{date.today():%Y%m%d}")
    st.download_button(
        "导出 Excel（全部表格）",
        data=lambda: exports.xlsx_bytes(sheets),
        file_name=f"{stem}.xlsx",
        mime=exports.MIME_XLSX,
        key=f"{key}_xlsx",
        on_click="ignore",
        icon=":material/grid_on:",
        help="本页每张表一个工作表，数字保留数字格式",
    )


def _filter_display(key: str, value) -> list[str] | None:
    """The chosen values as shown to people: document kinds by their Chinese names."""
    if value is None:
        return None
    values = value if isinstance(value, (list, tuple, set)) else [value]
    if key == "filter_kind":
        return [KIND_LABELS.get(v, v) for v in values]
    return [str(v) for v in values]


def _warm_up() -> None:
    """Start Chromium in the background once, so the first PNG click does not wait for it."""
    global _warm_started
    with _warm_lock:
        if _warm_started:
            return
        _warm_started = True
    threading.Thread(target=exports.warm_up, name="kaleido-warm-up", daemon=True).start()
