"""Streamlit building blocks shared by the pages: the selection, KPI cards, charts and tables."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from . import auth, data
from .constants import (
    CODE_LABELS,
    GREEN_FROM_PCT,
    PROBLEM_SEVERITIES,
    RED_BELOW_PCT,
    SEVERITY_LABELS,
)
from .export_ui import chart_downloads, meeting_pack, table_downloads
from .filters import current, link_query
from .queries import COLUMN_LABELS, Selection
from .trace import LINK_HEADER, LINK_TEXT, with_links

# No plotly toolbar: it covered the titles of narrow charts; the downloads sit under each chart
# and a double click resets a zoom.
PLOTLY_CONFIG = {"displaylogo": False, "displayModeBar": False}
WAN_FORMAT = "%,.2f"
PCT_FORMAT = "%.1f %%"
RATE_FORMAT = "%.1f"  # percentage points
SCORE_FORMAT = "%.2f"
# Rows sent to the browser per table (a styled table of 300,000 rows exceeds Streamlit's cell
# limit, and an unstyled one takes seconds to serialise); downloads hold the whole table.
TABLE_MAX_ROWS = 1_000
PROBLEM_LABELS = tuple(SEVERITY_LABELS[s] for s in PROBLEM_SEVERITIES)


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


# The colour bands chosen on the low-execution page, for every page of the session: a setting
# of its own, not the page's widget keys.
BANDS_KEY = "_colour_bands"
# Values a band edge may take from a link (percent, the inputs' 5-point steps and any other).
PERCENTS = range(0, 101)


def set_bands(red_below: float, green_from: float) -> None:
    st.session_state[BANDS_KEY] = (float(red_below), float(max(green_from, red_below)))


# The link parameters the low-execution page writes its bands to (?lowexec_red_below=50).
BAND_PARAMS = ("lowexec_red_below", "lowexec_green_from")


def bands() -> tuple[float, float]:
    """The colour bands as set on the low-execution page; before that page has run in this
    session, as its link parameters give them (a shared link opened on another page keeps its
    colours); else the defaults."""
    if BANDS_KEY not in st.session_state:
        edges = [RED_BELOW_PCT, GREEN_FROM_PCT]
        for i, key in enumerate(BAND_PARAMS):
            try:
                value = float(st.query_params.get(key, ""))
            except ValueError:
                continue
            if value in PERCENTS:
                edges[i] = value
        if edges != [RED_BELOW_PCT, GREEN_FROM_PCT]:
            set_bands(*edges)
    return st.session_state.get(BANDS_KEY, (RED_BELOW_PCT, GREEN_FROM_PCT))


# Columns by header. Text a reader came for (the document's explanation, a finding's message)
# is wrapped in wide rows; the row's name is pinned, so scrolling sideways never loses it.
LONG_TEXT = (
    COLUMN_LABELS["explanation"],
    COLUMN_LABELS["deviation_reason"],
    COLUMN_LABELS["message"],
    "差异与缺失",
    "预警说明",
    "矛盾之处",
    "说明文字",
)
# completion before target: on a phone the column after the name is the one in view
SHORT_TEXT = (COLUMN_LABELS["actual_text"], COLUMN_LABELS["target_text"])
# First of these present (and mostly filled) is pinned at the left.
NAME_COLUMNS = (COLUMN_LABELS["name"], COLUMN_LABELS["project"])
# Shown right after the name: what kind of row it is.
KIND_COLUMNS = (COLUMN_LABELS["severity_label"], "问题", "预警")
# Shown right after a table's long text: the figures it explains.
KEY_NUMBERS = (COLUMN_LABELS["execution_rate_pct"], COLUMN_LABELS["unspent_wan"])
# Shown last and narrow: the finding's code (its Chinese label is shown in 问题).
LAST_COLUMNS = (COLUMN_LABELS["code"],)
SCORE_HEADERS = (COLUMN_LABELS["score"], COLUMN_LABELS["weight"], COLUMN_LABELS["points_lost"])
WRAPPED_ROW_PX = 68  # above 64 px the data grid wraps text onto up to three lines
ROW_PX = 35
HEADER_PX = 38
ROWS_SHOWN = 15  # rows a table shows before it scrolls
NAME_PX = 190
LONG_TEXT_PX = 340
SHORT_TEXT_PX = 130
UNIT_PX = 130
FILE_PX = 140
NUMBER_PX = 100
LINK_PX = 68
COUNT_PX = 48
HEADER_CHAR_PX = 14  # a CJK character of the grid's header font
CELL_PADDING_PX = 20
SHA_HEADER = "sha256"


def _is_score(column: str) -> bool:
    return column in SCORE_HEADERS or (
        "核对" not in column and any(w in column for w in ("得分", "分值", "总分", "−"))
    )


def pinned_name(frame: pd.DataFrame) -> str | None:
    """The name column pinned at the left: 三级指标 or 项目, where most rows have one; none in
    a table of findings, whose message is the point (a phone shows what follows the link)."""
    if COLUMN_LABELS["message"] in frame.columns:
        return None
    for column in NAME_COLUMNS:
        if column in frame.columns and frame[column].notna().mean() >= 0.5:
            return column
    return None


def _filled(column: pd.Series, share: float = 0.3) -> bool:
    return bool(len(column)) and column.notna().mean() >= share


def column_order(frame: pd.DataFrame) -> list[str]:
    """Links, the pinned name, the row's kind, target and actual, the long text, the rest, the
    code: the point of a table in its first screen width."""
    columns = [str(c) for c in frame.columns]
    name = pinned_name(frame)
    lead = [c for c in columns if c.startswith(LINK_HEADER)]
    lead += [name] if name else []
    lead += [c for c in KIND_COLUMNS + SHORT_TEXT if c in columns and c not in lead]
    # text that is mostly there (a column of "—" would push the figures off a phone)
    lead += [c for c in LONG_TEXT if c in columns and c not in lead and _filled(frame[c])]
    if wrapped(frame):  # the figures the text explains, before what takes the width after it
        lead += [c for c in KEY_NUMBERS if c in columns and c not in lead]
    last = [c for c in LAST_COLUMNS if c in columns]
    return lead + [c for c in columns if c not in lead and c not in last] + last


def wrapped(frame: pd.DataFrame) -> bool:
    """Whether the table has long text, shown wrapped in taller rows."""
    return any(c in LONG_TEXT for c in frame.columns)


def table_height(frame: pd.DataFrame, height: int | str = "auto") -> int | str:
    """Room for ROWS_SHOWN rows (the grid's own "auto" stops at ten)."""
    if height != "auto":
        return height
    row = WRAPPED_ROW_PX if wrapped(frame) else ROW_PX
    return HEADER_PX + row * max(1, min(len(frame), ROWS_SHOWN)) + 3


def column_config(frame: pd.DataFrame) -> dict:
    """Formats and widths by header: 万元 and scores to two decimals, rates like 97.5 %."""
    config = {}
    name = pinned_name(frame)
    for column in frame.columns:
        if str(column).startswith(LINK_HEADER):
            config[column] = st.column_config.LinkColumn(
                column,
                display_text=LINK_TEXT,
                help="在原文页打开并高亮这些行",
                width=LINK_PX,
                pinned=True,
            )
        elif column == "校对":  # dashboard.review.LINK_HEADER
            config[column] = st.column_config.LinkColumn(
                column, display_text="去校对", help="在校对页打开这份文档", width="small"
            )
        elif "万元" in column:
            config[column] = st.column_config.NumberColumn(
                column, format=WAN_FORMAT, width=NUMBER_PX
            )
        elif "（%）" in column or "百分点" in column:
            config[column] = st.column_config.NumberColumn(
                column, format=PCT_FORMAT if "（%）" in column else RATE_FORMAT, width=NUMBER_PX
            )
        elif _is_score(column):
            config[column] = st.column_config.NumberColumn(
                column, format=SCORE_FORMAT, width=NUMBER_PX
            )
        elif column == COLUMN_LABELS["year"]:
            config[column] = st.column_config.NumberColumn(column, format="%d", width=56)
        elif column in LONG_TEXT:
            config[column] = st.column_config.TextColumn(
                column, width=LONG_TEXT_PX, help="文字较长时可双击单元格查看全文"
            )
        elif column in SHORT_TEXT:
            config[column] = st.column_config.TextColumn(column, width=SHORT_TEXT_PX)
        elif column == name:
            config[column] = st.column_config.TextColumn(column, width=NAME_PX, pinned=True)
        elif column in NAME_COLUMNS or column == COLUMN_LABELS["notes"]:
            config[column] = st.column_config.TextColumn(column, width="medium")
        elif column == COLUMN_LABELS["unit"]:
            config[column] = st.column_config.TextColumn(column, width=UNIT_PX)
        elif column == COLUMN_LABELS["source_file"]:
            config[column] = st.column_config.TextColumn(column, width=FILE_PX)
        elif column in LAST_COLUMNS:
            config[column] = st.column_config.TextColumn(column, width="small")
        elif column == COLUMN_LABELS["severity_label"]:
            config[column] = st.column_config.TextColumn(column, width=56)
        elif column == COLUMN_LABELS["code_label"]:
            config[column] = st.column_config.TextColumn(column, width=SHORT_TEXT_PX)
        elif column == SHA_HEADER:
            config[column] = st.column_config.TextColumn(
                column, width="small", help="原文件的 sha256 指纹：双击单元格查看全文"
            )
        elif pd.api.types.is_integer_dtype(frame[column].dtype):
            # as wide as its header needs: a count is short
            width = max(COUNT_PX, HEADER_CHAR_PX * len(str(column)) + CELL_PADDING_PX)
            config[column] = st.column_config.NumberColumn(column, width=width)
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


def _dataframe(
    frame: pd.DataFrame, styler, key: str, height: int | str, hidden: tuple = ()
) -> None:
    """st.dataframe of the frame's first TABLE_MAX_ROWS rows (the styler restyled on them)."""
    shown = frame
    if len(frame) > TABLE_MAX_ROWS:
        shown = frame.head(TABLE_MAX_ROWS)
        styler = _restyle(styler, shown) if styler is not None else None
    st.dataframe(
        styler if styler is not None else shown,
        width="stretch",
        height=table_height(frame, height),
        hide_index=True,
        column_order=[c for c in column_order(frame) if c not in hidden],
        column_config=column_config(frame),
        row_height=WRAPPED_ROW_PX if wrapped(frame) else None,
        placeholder="—",
        key=f"{key}_table",
    )


# Rendered tables and charts kept for replay, shared between sessions: a page's tables and
# charts for the filter combinations a server sees at once.
REPLAY_ENTRIES = 64


@st.cache_resource(show_spinner=False, max_entries=REPLAY_ENTRIES)
def _replayed_table(
    _frame, _styler, frame_id: int, styler_id: int, key: str, height, hidden: tuple = ()
) -> tuple:
    """_dataframe once per (frame, styler) identity: Streamlit replays the element it drew on
    later calls, so a rerun neither converts the rows nor marshals the styler again (a styled
    table of 1,000 rows costs ~0.1 s). The entry holds both objects, so their ids cannot be
    reused by others while it exists."""
    _dataframe(_frame, _styler, key, height, hidden)
    return _frame, _styler


@st.cache_resource(show_spinner=False, max_entries=REPLAY_ENTRIES)
def _replayed_chart(_fig, fig_id: int, key: str) -> go.Figure:
    """_plot once per figure identity, replayed on later calls (a 50,000-point scatter costs
    ~0.1 s to serialise). The entry holds the figure, so its id cannot be reused meanwhile."""
    _plot(_fig, key)
    return _fig


def _with_filters(frame: pd.DataFrame, styler):
    """frame (and its styler) with the filters appended to its 原文 links, once per frame and
    filters: a replayed table stays replayed."""
    query = link_query()
    if not query or not any(str(c).startswith(LINK_HEADER) for c in frame.columns):
        return frame, styler
    return _filtered_links(frame, styler, id(frame), id(styler), query)[:2]


@st.cache_resource(show_spinner=False, max_entries=REPLAY_ENTRIES)
def _filtered_links(_frame, _styler, frame_id: int, styler_id: int, query: str) -> tuple:
    """Only the rows shown (the downloads drop the links). The entry holds the original frame
    and styler, so their ids are not reused meanwhile."""
    out = _frame.head(TABLE_MAX_ROWS).copy(deep=False)
    for column in out.columns:
        if str(column).startswith(LINK_HEADER):
            out[column] = [v + query if isinstance(v, str) else v for v in out[column]]
    return out, (_restyle(_styler, out) if _styler is not None else None), _frame, _styler


def table(
    frame: pd.DataFrame,
    name: str,
    key: str,
    height: int | str = "auto",
    hidden: tuple[str, ...] = (),
    styler=None,
    cached: bool = False,
) -> None:
    """A table with formatted numbers and its CSV / XLSX download buttons underneath.

    At most TABLE_MAX_ROWS rows (the frame's own order) go to the browser; the downloads keep
    every row. cached: frame and styler come from a cache and are never modified, so the table
    element is built once and replayed on later runs. hidden: headers left out of the page's
    table (shown elsewhere) but kept in the downloads.
    """
    if len(frame) > TABLE_MAX_ROWS:
        st.caption(
            f"显示前 {TABLE_MAX_ROWS:,} 行，共 {len(frame):,} 行；完整数据请用下方按钮下载。"
        )
    shown, shown_styler = _with_filters(frame, styler)
    # keyed box: the browser tests find the table by its class st-key-<key>_box
    with st.container(key=f"{key}_box"):
        if cached:
            _replayed_table(shown, shown_styler, id(shown), id(shown_styler), key, height, hidden)
        else:
            _dataframe(shown, shown_styler, key, height, hidden)
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
    problems = int(frame[COLUMN_LABELS["severity_label"]].isin(PROBLEM_LABELS).sum())
    infos = len(frame) - problems
    counted = f"错误与警告 {problems} 条" + (f"，说明性提示 {infos} 条" if infos else "")
    with st.expander(f"⚠️ {label}（{counted}）"):
        table(frame, label, key=f"{key}_findings", cached=True)


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
        code_label=rows["code"].map(CODE_LABELS).fillna(rows["code"]),
        _order=rows["severity"].map(order),
    ).sort_values(["_order", "source_file", "source_line"])
    columns = [
        "severity_label",
        "code_label",
        "unit",
        "project",
        "message",
        "source_file",
        "source_line",
        "code",
    ]
    frame = shown.reindex(columns=columns).rename(columns=COLUMN_LABELS)
    return with_links(frame.reset_index(drop=True), shown), findings


def password_gate(key: str, action: str, viewing: str) -> bool:
    """True when this session may change data behind the import password (none set, or
    unlocked); otherwise the password form. key names the form and its input (tests find
    them), action the button's verb (解锁导入), viewing what stays open without a password."""
    if auth.misconfigured():
        st.error(
            "导入密码配置无效（应为 python -m dashboard.auth 生成的 scrypt$… 一行，"
            f"在 shell 中请加单引号）：{viewing}已停用，请联系管理员。"
        )
        return False
    if auth.unlocked():
        if auth.legacy():
            st.warning(
                "导入密码仍以旧的无盐 sha256 保存，容易被离线破解："
                "请管理员运行 python -m dashboard.auth 重新生成并替换配置。"
            )
        return True
    st.info(f"查看不需要密码；{viewing}需要管理员设置的导入密码。")
    with st.form(f"{key}_form"):
        password = st.text_input("导入密码", type="password", key=key)
        if st.form_submit_button(action):
            wait = auth.wait_seconds()
            if wait > 0:
                st.error(f"尝试次数过多：请在 {math.ceil(wait)} 秒后再试。")
            elif auth.unlock(password):
                st.rerun()
            else:
                st.error(
                    f"密码不正确：请在 {math.ceil(auth.wait_seconds())} 秒后再试"
                    "（每错一次，等待时间加倍）。"
                )
    return False
