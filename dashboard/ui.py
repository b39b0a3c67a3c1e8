"""Streamlit building blocks shared by the pages: the selection, KPI cards, charts and tables."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from . import data
from .constants import GREEN_FROM_PCT, RED_BELOW_PCT, SEVERITY_LABELS
from .export_ui import chart_downloads, meeting_pack, table_downloads
from .filters import current
from .queries import COLUMN_LABELS, Selection
from .trace import LINK_HEADER, LINK_TEXT, with_links

PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
WAN_FORMAT = "%,.2f"
PCT_FORMAT = "%.1f %%"
SCORE_FORMAT = "%.2f"
# Rows sent to the browser per table (a styled table of 300,000 rows exceeds Streamlit's cell
# limit, and an unstyled one takes seconds to serialise); downloads hold the whole table.
TABLE_MAX_ROWS = 1_000


def load_selection() -> Selection:
    """The filtered rows for this page; stops the page with a message when there is nothing to show."""
    documents = data.documents()
    if documents.empty:
        st.info(
            "尚未生成数据：请先运行 ./run.sh（或 python -m loaders build --raw data/raw --out data/parquet）。"
        )
        st.stop()
    selection = data.selection(current())
    if selection.documents.empty:
        st.info("当前筛选条件下没有文档：请在左侧放宽地区、单位、年度或文档类型的筛选。")
        st.stop()
    return selection


def choose(label: str, options: list, key: str, widget=st.selectbox, **kwargs):
    """A page-local choice kept for the session; a kept value no longer offered is dropped."""
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]
    return widget(label, options, key=key, persist_state="session", **kwargs)


def bands() -> tuple[float, float]:
    """The colour bands as edited on the low-execution page, else the defaults."""
    red = st.session_state.get("lowexec_red_below", RED_BELOW_PCT)
    green = st.session_state.get("lowexec_green_from", GREEN_FROM_PCT)
    return float(red), float(max(green, red))


def column_config(frame: pd.DataFrame) -> dict:
    """Number formats by header: 万元 with thousands separators, rates like 97.5 %."""
    config = {}
    for column in frame.columns:
        if str(column).startswith(LINK_HEADER):
            config[column] = st.column_config.LinkColumn(
                column,
                display_text=LINK_TEXT,
                help="在原文页打开并高亮这些行",
                width="small",
                pinned=True,
            )
        elif column == "校对":  # dashboard.review.LINK_HEADER
            config[column] = st.column_config.LinkColumn(
                column, display_text="去校对", help="在校对页打开这份文档", width="small"
            )
        elif "万元" in column:
            config[column] = st.column_config.NumberColumn(column, format=WAN_FORMAT)
        elif "（%）" in column:
            config[column] = st.column_config.NumberColumn(column, format=PCT_FORMAT)
        elif column in (
            COLUMN_LABELS["score"],
            COLUMN_LABELS["weight"],
            COLUMN_LABELS["points_lost"],
        ):
            config[column] = st.column_config.NumberColumn(column, format="%g")
        elif "百分点" in column:
            config[column] = st.column_config.NumberColumn(column, format="%.2f")
        elif "核对" not in column and any(w in column for w in ("得分", "分值", "总分", "−")):
            config[column] = st.column_config.NumberColumn(column, format="%g")
        elif column == COLUMN_LABELS["year"]:
            config[column] = st.column_config.NumberColumn(column, format="%d")
        elif column in (
            COLUMN_LABELS["explanation"],
            COLUMN_LABELS["deviation_reason"],
            COLUMN_LABELS["message"],
        ):
            config[column] = st.column_config.TextColumn(column, width="large")
        elif column in (COLUMN_LABELS["project"], COLUMN_LABELS["name"], COLUMN_LABELS["notes"]):
            config[column] = st.column_config.TextColumn(column, width="medium")
    return config


def _plot(fig: go.Figure, key: str) -> None:
    st.plotly_chart(fig, width="stretch", theme=None, config=PLOTLY_CONFIG, key=f"{key}_chart")


def chart(fig: go.Figure, name: str, key: str, cached: bool = False) -> None:
    """A chart across the page width, with its download buttons underneath.

    cached: fig comes from a cache and is never modified, so the chart element is built once
    and replayed on later runs.
    """
    if cached:
        _replayed_chart(fig, id(fig), key)
    else:
        _plot(fig, key)
    chart_downloads(fig, name, key=key)


def _restyle(styler, head: pd.DataFrame):
    """The styler's functions applied to the shown rows only (they pick marks by row label)."""
    out = head.style
    out.use(styler.export())
    return out


def _dataframe(frame: pd.DataFrame, styler, key: str, height: int | str) -> None:
    """st.dataframe of the frame's first TABLE_MAX_ROWS rows (the styler restyled on them)."""
    shown = frame
    if len(frame) > TABLE_MAX_ROWS:
        shown = frame.head(TABLE_MAX_ROWS)
        styler = _restyle(styler, shown) if styler is not None else None
    st.dataframe(
        styler if styler is not None else shown,
        width="stretch",
        height=height,
        hide_index=True,
        column_config=column_config(frame),
        placeholder="—",
        key=f"{key}_table",
    )


# Rendered tables and charts kept for replay, shared between sessions: a page's tables and
# charts for the filter combinations a server sees at once.
REPLAY_ENTRIES = 64


@st.cache_resource(show_spinner=False, max_entries=REPLAY_ENTRIES)
def _replayed_table(_frame, _styler, frame_id: int, styler_id: int, key: str, height) -> tuple:
    """_dataframe once per (frame, styler) identity: Streamlit replays the element it drew on
    later calls, so a rerun neither converts the rows nor marshals the styler again (a styled
    table of 1,000 rows costs ~0.1 s). The entry holds both objects, so their ids cannot be
    reused by others while it exists."""
    _dataframe(_frame, _styler, key, height)
    return _frame, _styler


@st.cache_resource(show_spinner=False, max_entries=REPLAY_ENTRIES)
def _replayed_chart(_fig, fig_id: int, key: str) -> go.Figure:
    """_plot once per figure identity, replayed on later calls (a 50,000-point scatter costs
    ~0.1 s to serialise). The entry holds the figure, so its id cannot be reused meanwhile."""
    _plot(_fig, key)
    return _fig


def table(
    frame: pd.DataFrame,
    name: str,
    key: str,
    height: int | str = "auto",
    styler=None,
    cached: bool = False,
) -> None:
    """A table with formatted numbers and its CSV / XLSX download buttons underneath.

    At most TABLE_MAX_ROWS rows (the frame's own order) go to the browser; the downloads keep
    every row. cached: frame and styler come from a cache and are never modified, so the table
    element is built once and replayed on later runs.
    """
    if len(frame) > TABLE_MAX_ROWS:
        st.caption(
            f"显示前 {TABLE_MAX_ROWS:,} 行，共 {len(frame):,} 行；完整数据请用下方按钮下载。"
        )
    if cached:
        _replayed_table(frame, styler, id(frame), id(styler), key, height)
    else:
        _dataframe(frame, styler, key, height)
    links = [c for c in frame.columns if str(c).startswith(LINK_HEADER) or c == "校对"]
    table_downloads(frame, name, key=key, drop=links)


def meeting_slot():
    """A place at the top right of the page for the 导出会议材料 button, filled once charts exist."""
    return st.container(horizontal_alignment="right")


def meeting(
    slot,
    page_title: str,
    charts: list[tuple[str, go.Figure]],
    frame: pd.DataFrame | None,
    key: str,
    more_tables: list[tuple[str, pd.DataFrame]] | None = None,
) -> None:
    """The page's 导出会议材料 buttons (PPTX, PDF, Word), in the slot from meeting_slot();
    more_tables: the page's further (title, table) pairs after frame."""
    with slot:
        meeting_pack(page_title, charts, frame, key=key, more_tables=more_tables)


def findings_note(findings: pd.DataFrame, codes: tuple[str, ...], label: str, key: str) -> None:
    """The loaders' findings that affect the numbers above, in a collapsed list."""
    frame = _noted(findings, id(findings), tuple(codes))[0]
    if frame is None:
        return
    with st.expander(f"⚠️ {label}（{len(frame)} 条数据提示）"):
        table(frame, label, key=f"{key}_findings")


@st.cache_resource(show_spinner=False, max_entries=data.MEMO_ENTRIES)
def _noted(_findings: pd.DataFrame, findings_id: int, codes: tuple[str, ...]) -> tuple:
    """findings_note's table, once per findings frame (keyed by identity: the entry holds the
    frame, so its id cannot be reused while cached) and codes."""
    findings = _findings
    rows = findings[findings["code"].isin(codes)] if len(findings) else findings
    if rows.empty:
        return None, findings
    order = {severity: i for i, severity in enumerate(SEVERITY_LABELS)}
    shown = rows.assign(
        severity_label=rows["severity"].map(SEVERITY_LABELS),
        _order=rows["severity"].map(order),
    ).sort_values(["_order", "source_file", "source_line"])
    columns = [
        "severity_label",
        "unit",
        "project",
        "code",
        "message",
        "source_file",
        "source_line",
    ]
    frame = shown.reindex(columns=columns).rename(columns=COLUMN_LABELS)
    return with_links(frame.reset_index(drop=True), shown), findings
