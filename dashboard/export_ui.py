"""Download buttons of the pages: chart images, table files and the meeting pack (PPTX, PDF, Word)."""

from __future__ import annotations

import threading
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from . import data, exports, report_docx, report_pdf
from .constants import KIND_LABELS
from .trace import LINK_HEADER

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

    Both images carry a caption under the chart: the filters, the years of the sources, the data
    date and the number of source documents, so a picture pasted elsewhere keeps its context.

    The files are made when a button is clicked (a callable as data), so a page run costs
    nothing, and on_click="ignore" keeps the click from rerunning the app.
    """
    stem = exports.file_stem(name)
    context = _context()
    with st.container(horizontal=True, key=f"{key}_chart_exports"):
        if exports.chromium_available():
            _warm_up()
            st.download_button(
                "下载 PNG",
                data=lambda: exports.figure_png(fig, caption=context().caption),
                file_name=f"{stem}.png",
                mime=exports.MIME_PNG,
                key=f"{key}_png",
                on_click="ignore",
                icon=":material/image:",
                help="2 倍分辨率图片，中文字体已嵌入渲染，可直接放入幻灯片",
            )
            st.download_button(
                "下载 SVG",
                data=lambda: exports.figure_svg(fig, caption=context().caption),
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
    """The 导出会议材料 buttons: this page's charts and tables under the active filters as a PPTX
    deck, a print-ready PDF and a Word report.

    more_tables: further (title, table) pairs after the first table. Link columns (原文) are
    left out of every file.
    """
    heading = table_title or f"{page_title} · 明细"
    tables = [(heading, table), *(more_tables or ())]
    tables = [(name, _printable(frame)) for name, frame in tables if frame is not None]
    charts = list(charts)
    if exports.chromium_available() and charts:
        _warm_up()
    context = _context(page_title)

    def make_pack() -> exports.Pack:
        pack = context()
        return exports.Pack(
            page_title,
            pack.filters,
            pack.data_date,
            pack.documents,
            charts,
            tables,
            pack.footer,  # 绩效看板 · page, and the hand corrections where there are any
            pack.years,
        )

    pack_buttons(make_pack, exports.file_stem(f"{page_title}_会议材料_{date.today():%Y%m%d}"), key)


def pack_buttons(make_pack, stem: str, key: str) -> None:
    """PPTX, PDF and Word buttons of a meeting pack; make_pack() builds it on click. Without
    Chromium there is no PDF (the deck and the report say why their charts are missing)."""
    with st.container(horizontal=True, horizontal_alignment="right", key=f"{key}_pack_exports"):
        st.download_button(
            "导出会议材料",
            data=lambda: exports.pack_pptx(make_pack()),
            file_name=f"{stem}.pptx",
            mime=exports.MIME_PPTX,
            key=f"{key}_pptx",
            on_click="ignore",
            type="primary",
            icon=":material/slideshow:",
            help="PPTX：标题页（筛选条件、数据日期、来源文档）、本页每张图、明细表（原生表格）",
        )
        if exports.chromium_available():  # Chromium prints the PDF
            st.download_button(
                "打印版 PDF",
                data=lambda: report_pdf.pdf_bytes(make_pack()),
                file_name=f"{stem}.pdf",
                mime=report_pdf.MIME_PDF,
                key=f"{key}_pdf",
                on_click="ignore",
                icon=":material/picture_as_pdf:",
                help="A4 打印版：本页的图和表，页眉注明筛选条件与数据日期，页脚有页码；宽表横排",
            )
        st.download_button(
            "Word 报告",
            data=lambda: report_docx.docx_bytes(make_pack()),
            file_name=f"{stem}.docx",
            mime=report_docx.MIME_DOCX,
            key=f"{key}_docx",
            on_click="ignore",
            icon=":material/description:",
            help="DOCX：每节一个标题，图为图片，表为 Word 表格（数字格式同本页），可继续编辑",
        )


def _printable(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as exported: without its link columns (原文, 校对), which only work in the app."""
    links = [
        c
        for c in frame.columns
        if str(c).startswith(LINK_HEADER) or c == "校对"  # dashboard.review.LINK_HEADER
    ]
    return frame.drop(columns=links) if links else frame


def _context(page_title: str = ""):
    """A function giving the export context of this run's filters (an empty Pack: filters,
    data date, source documents and their years); the documents are listed when it is called,
    on click: labelling 10,000 documents costs half a second per page run."""
    state = st.session_state
    filters = {label: _filter_display(k, state.get(k)) for k, label in FILTER_LABELS.items()}
    selection = {column: state.get(k) for k, column in FILTER_COLUMNS.items()}
    all_documents = data.documents()
    footer = f"{APP_NAME} · {page_title}" if page_title else APP_NAME

    def context() -> exports.Pack:
        built = data.data_date()  # a file read: on click, not on every run of every chart
        chosen = exports.selected_documents(all_documents, selection)
        documents = exports.document_labels(chosen, KIND_LABELS)
        years = chosen["year"].dropna().tolist() if "year" in chosen.columns else []
        fixes = exports.corrections_text(chosen)  # values corrected by hand (校对)
        noted = f"{footer} · {fixes}" if fixes else footer
        return exports.Pack(APP_NAME, filters, built, documents, (), (), noted, years)

    return context


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
