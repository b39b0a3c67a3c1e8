"""Meeting exports: chart images (kaleido + Chromium), HTML fallback, CSV, XLSX and PPTX as bytes."""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import html
import io
import logging
import math
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from dashboard.constants import FONT_FAMILY
from dashboard.markup import plot_escape

log = logging.getLogger(__name__)

# Debian's chromium; DASHBOARD_CHROMIUM (or kaleido's own BROWSER_PATH) points elsewhere.
CHROMIUM_PATH = (
    os.environ.get("DASHBOARD_CHROMIUM") or os.environ.get("BROWSER_PATH") or "/usr/bin/chromium"
)
# Server-side renders need a font with CJK glyphs installed (fonts-noto-cjk).
CJK_FONT = "Noto Sans CJK SC"
PNG_SCALE = 2
# Used when a figure does not set its own size (pixels before scaling).
DEFAULT_WIDTH_PX = 1100
DEFAULT_HEIGHT_PX = 500
BROWSER_START_TIMEOUT_S = 60.0
RENDER_TIMEOUT_S = 60.0
RESTART_AFTER_FAILURE_S = 300.0  # after a failed start, offer HTML for this long, then retry
RENDER_TABS = 1  # browser tabs; one renders in ~0.3 s and each extra tab slows the start
RENDER_CACHE_ENTRIES = 64

NO_CHROMIUM_MESSAGE = (
    "服务器上没有可用的 Chromium 浏览器，无法生成 PNG/SVG 图片；"
    "已改为提供可离线打开的 HTML 图表（含交互，可在浏览器中另存为图片），"
    "如需图片请让管理员安装 chromium 与 fonts-noto-cjk。"
)
NO_CHART_IMAGE_NOTE = (
    "此图未能生成图片：服务器上没有可用的 Chromium 浏览器。"
    "请在看板中查看该图或下载其 HTML 版本，或请管理员安装 chromium 与 fonts-noto-cjk。"
)

MIME_PNG = "image/png"
MIME_SVG = "image/svg+xml"
MIME_HTML = "text/html"
MIME_CSV = "text/csv"
MIME_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIME_PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


class ExportError(RuntimeError):
    """A chart could not be rendered to an image (Chromium failed to start or to render)."""


# A spreadsheet reads a cell starting with one of these as a formula (=cmd|…, +1+2, @SUM(…),
# a tab or return before one): OWASP's CSV-injection guidance prefixes such text with '.
# Every export (tables, decks, chart texts) passes its text through formula_safe.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value):
    """value for a spreadsheet or slide cell: text starting like a formula gets a leading ',
    everything else (numbers, negative ones included; None) is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


# ---------------------------------------------------------------------------------------------
# Chart images


def chromium_available() -> bool:
    """True when an executable Chromium exists and has not failed to start in this process."""
    return not _renderer.broken and os.access(CHROMIUM_PATH, os.X_OK)


def warm_up() -> None:
    """Start the shared Chromium now (it takes seconds) so that the first export is quick."""
    try:
        _renderer.open()
    except ExportError as exc:
        log.warning("chart images unavailable: %s", exc)


def export_figure(fig: go.Figure) -> go.Figure:
    """A copy of fig ready for export: CJK font first in the family, a white background, and
    titles, names, categories and printed labels starting like a formula prefixed with '
    (formula_safe), as in the table downloads."""
    out = go.Figure(fig)
    family = out.layout.font.family or FONT_FAMILY
    if CJK_FONT not in family:
        family = f"{CJK_FONT}, {family}"
    out.update_layout(font_family=family)
    if out.layout.paper_bgcolor is None:
        out.update_layout(paper_bgcolor="white")
    _formula_safe_texts(out)
    return out


def _formula_safe_texts(fig: go.Figure) -> None:
    """formula_safe on the texts an exported chart prints, in place."""
    titles = [fig.layout.title, fig.layout.legend.title]
    fig.for_each_xaxis(lambda axis: titles.append(axis.title))
    fig.for_each_yaxis(lambda axis: titles.append(axis.title))
    for title in titles:
        if isinstance(title.text, str):
            title.text = formula_safe(title.text)
    for trace in fig.data:
        if isinstance(getattr(trace, "name", None), str):
            trace.name = formula_safe(trace.name)
        for key in ("x", "y", "text", "labels"):
            values = trace[key] if key in trace else None
            if isinstance(values, str):
                trace[key] = formula_safe(values)
            elif values is not None and any(
                isinstance(v, str) and v.startswith(FORMULA_PREFIXES) for v in values
            ):
                trace[key] = [formula_safe(v) for v in values]


def figure_size(fig: go.Figure) -> tuple[int, int]:
    """Width and height in pixels (before scaling) that an export of fig has."""
    width = fig.layout.width or DEFAULT_WIDTH_PX
    height = fig.layout.height or DEFAULT_HEIGHT_PX
    return int(width), int(height)


def figure_png(
    fig: go.Figure,
    scale: float = PNG_SCALE,
    *,
    width: int | None = None,
    height: int | None = None,
) -> bytes:
    """The chart as a PNG of figure_size(fig) × scale pixels, rendered by kaleido + Chromium.

    width and height (pixels before scaling) override the figure's own size, e.g. for a slide.
    """
    return _render(fig, "png", scale, width, height)


def figure_svg(fig: go.Figure) -> bytes:
    """The chart as SVG (text stays text, so CJK labels remain searchable and sharp)."""
    return _render(fig, "svg", 1)


def figure_html(fig: go.Figure, message: str = NO_CHROMIUM_MESSAGE) -> bytes:
    """A self-contained interactive HTML file of the chart (plotly.js inlined, no CDN).

    The fallback offered when Chromium is missing; message explains why at the top of the page.
    """
    body = export_figure(fig).to_html(
        include_plotlyjs=True,
        full_html=True,
        config={
            "displaylogo": False,
            "toImageButtonOptions": {"format": "png", "scale": PNG_SCALE},
        },
    )
    notice = (
        '<p style="font-family: sans-serif; color: #7a4b00; background: #fff4e0; '
        f'padding: 8px 12px; border-radius: 4px;">{html.escape(message)}</p>'
        if message
        else ""
    )
    body = body.replace("<body>", f"<body>\n{notice}", 1)
    if "<meta charset" not in body:
        body = body.replace("<head>", '<head><meta charset="utf-8" />', 1)
    return body.encode("utf-8")


def _render(
    fig: go.Figure, fmt: str, scale: float, width: int | None = None, height: int | None = None
) -> bytes:
    prepared = export_figure(fig)
    own_width, own_height = figure_size(prepared)
    width, height = width or own_width, height or own_height
    spec = prepared.to_json()
    key = (hashlib.sha256(spec.encode("utf-8")).hexdigest(), fmt, float(scale), width, height)
    cached = _render_cache.get(key)
    if cached is not None:
        return cached
    opts = {"format": fmt, "scale": scale, "width": width, "height": height}
    image = _renderer.render(prepared, opts)
    _render_cache.put(key, image)
    return image


class _BytesCache:
    """A small thread-safe LRU of rendered images keyed by figure JSON hash and options."""

    def __init__(self, entries: int) -> None:
        self._entries = entries
        self._data: OrderedDict[tuple, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def put(self, key: tuple, value: bytes) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._entries:
                self._data.popitem(last=False)


class _Renderer:
    """One long-lived kaleido browser on its own event-loop thread, shared by all sessions.

    Starting Chromium takes seconds, a render a fraction of one, so the browser is kept open.
    Every wait has a timeout, so a hung browser becomes an ExportError instead of a hung page.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido = None
        self._failed_at: float | None = None

    @property
    def broken(self) -> bool:
        """Chromium failed to start a short while ago (retried after RESTART_AFTER_FAILURE_S)."""
        failed = self._failed_at
        return failed is not None and time.monotonic() - failed < RESTART_AFTER_FAILURE_S

    def render(self, fig: go.Figure, opts: dict) -> bytes:
        kaleido, loop = self.open()
        future = asyncio.run_coroutine_threadsafe(kaleido.calc_fig(fig, opts=opts), loop)
        try:
            return future.result(timeout=RENDER_TIMEOUT_S)
        except Exception as exc:
            future.cancel()
            self.close()  # a fresh browser next time
            raise ExportError(f"图表渲染失败：{exc}") from exc

    def open(self):
        with self._lock:
            if self._kaleido is not None and self._thread is not None and self._thread.is_alive():
                return self._kaleido, self._loop
            if not os.access(CHROMIUM_PATH, os.X_OK):
                raise ExportError(NO_CHROMIUM_MESSAGE)
            import kaleido  # imported lazily: importing it costs time on every page otherwise

            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="kaleido", daemon=True)
            thread.start()

            async def start():
                browser = kaleido.Kaleido(path=CHROMIUM_PATH, mathjax=False, n=RENDER_TABS)
                await browser.open()
                return browser

            try:
                browser = asyncio.run_coroutine_threadsafe(start(), loop).result(
                    timeout=BROWSER_START_TIMEOUT_S
                )
            except Exception as exc:
                loop.call_soon_threadsafe(loop.stop)
                self._failed_at = time.monotonic()
                log.warning("Chromium at %s failed to start: %s", CHROMIUM_PATH, exc)
                raise ExportError(f"Chromium 启动失败：{exc}") from exc
            self._loop, self._thread, self._kaleido = loop, thread, browser
            self._failed_at = None
            # registered after the browser made its temporary profile, so that (exit handlers
            # running last-in first-out) Chromium is closed before that folder is removed
            atexit.register(self.close)
            return browser, loop

    def close(self) -> None:
        with self._lock:
            browser, loop = self._kaleido, self._loop
            self._kaleido = self._loop = self._thread = None
        if browser is None or loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(browser.close(), loop).result(timeout=10)
        except Exception as exc:  # the browser may already be gone; nothing else to do
            log.debug("closing kaleido: %s", exc)
        loop.call_soon_threadsafe(loop.stop)


_renderer = _Renderer()
_render_cache = _BytesCache(RENDER_CACHE_ENTRIES)


# ---------------------------------------------------------------------------------------------
# Tables: CSV and XLSX

MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = '0.0"%"'  # rates are stored as percentages (97.5), not fractions
INTEGER_FORMAT = "0"
HEADER_FILL = "1F5FA8"
MIN_COLUMN_WIDTH = 8
MAX_COLUMN_WIDTH = 60
WIDTH_SAMPLE_ROWS = 200  # rows looked at to size a column
SHEET_NAME_MAX = 31  # Excel's limit
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
# Characters a worksheet cannot hold (openpyxl refuses them with IllegalCharacterError).
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def is_money_column(name: object) -> bool:
    """Columns in 万元: *_wan in the parquet, or a display header naming 万元."""
    text = str(name)
    return text.endswith("_wan") or "万元" in text


def is_percent_column(name: object) -> bool:
    """Columns holding percentages: *_pct in the parquet, or a display header with 率 or %."""
    text = str(name)
    return text.endswith("_pct") or "率" in text or "%" in text or "％" in text


def formula_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """df with formula_safe applied to its headers and to the text of its non-numeric columns
    (df itself when nothing needs it): numeric columns stay numbers."""
    out = df
    for index in range(len(df.columns)):
        series = df.iloc[:, index]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
            continue
        try:
            risky = series.str.startswith(FORMULA_PREFIXES, na=False).astype(bool)
        except AttributeError:  # no text in the column (.str refuses it)
            continue
        if risky.any():
            if out is df:
                out = df.copy()
            texts = series.astype("object")
            out.isetitem(index, texts.where(~risky, "'" + texts[risky]))
    headers = [formula_safe(c) for c in df.columns]
    return out.set_axis(headers, axis=1) if headers != list(df.columns) else out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The table as CSV in UTF-8 with a byte-order mark, so Excel shows Chinese correctly; text
    that a spreadsheet would run as a formula is written as text (formula_safe).

    Rows end in CRLF, so that a cell holding a lone carriage return is quoted: unquoted, a
    reader starts a new row there and "a\r=1+1" becomes a formula cell.
    """
    return formula_safe_frame(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """A workbook with one sheet per table: frozen bold header, filters, number formats, widths.

    Every text is a string cell, never a formula (openpyxl writes a string starting with = as
    one): text starting like a formula gets a leading ' (formula_safe), and characters a
    worksheet cannot hold (control characters) become U+FFFD.
    """
    if not sheets:
        raise ValueError("xlsx_bytes needs at least one table")
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    for name, frame in sheets.items():
        sheet = book.create_sheet(_sheet_name(name, used))
        frame = _excel_ready(frame)
        sheet.append([_cell_value(str(c)) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            sheet.append([_cell_value(v) for v in row])
        for cell in sheet[1]:
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        sheet.freeze_panes = "A2"
        if len(frame.columns):
            last = get_column_letter(len(frame.columns))
            sheet.auto_filter.ref = f"A1:{last}{max(len(frame), 1) + 1}"
        for index, column in enumerate(frame.columns, start=1):
            letter = get_column_letter(index)
            number_format = _number_format(column, frame[column])
            if number_format:
                for (cell,) in sheet.iter_rows(
                    min_row=2, min_col=index, max_col=index, max_row=len(frame) + 1
                ):
                    cell.number_format = number_format
            sheet.column_dimensions[letter].width = _column_width(column, frame[column])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_name(name: str, used: set[str]) -> str:
    base = _SHEET_NAME_BAD.sub("_", str(name)).strip("'") or "Sheet"
    base = base[:SHEET_NAME_MAX]
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate = base[: SHEET_NAME_MAX - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate


def _excel_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel has no time zones; drop them rather than fail."""
    out = frame
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            if out is frame:
                out = frame.copy()
            out[column] = frame[column].dt.tz_localize(None)
    return out


def _cell_value(value):
    if isinstance(value, str):
        return _XLSX_ILLEGAL.sub("\ufffd", formula_safe(value))
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()  # numpy scalars
    return value


def _number_format(column: object, series: pd.Series) -> str | None:
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    if is_money_column(column):
        return MONEY_FORMAT
    if is_percent_column(column):
        return PERCENT_FORMAT
    if pd.api.types.is_integer_dtype(series):
        return INTEGER_FORMAT  # years and counts without thousands separators
    return None


def display_width(text: str) -> int:
    """Columns a text takes in a fixed-width grid: CJK and full-width characters count twice."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _column_width(column: object, series: pd.Series) -> float:
    sample = series.head(WIDTH_SAMPLE_ROWS)
    if is_money_column(column) and pd.api.types.is_numeric_dtype(series):
        texts = [f"{v:,.2f}" for v in sample.dropna()]
    else:
        texts = [str(v) for v in sample.dropna()]
    widest = max([display_width(str(column))] + [display_width(t) for t in texts])
    return float(min(max(widest + 2, MIN_COLUMN_WIDTH), MAX_COLUMN_WIDTH))


# ---------------------------------------------------------------------------------------------
# Meeting pack: PPTX

SLIDE_WIDTH_EMU = 12_192_000  # 16:9, 13.333 × 7.5 inches
SLIDE_HEIGHT_EMU = 6_858_000
SLIDE_WIDTH_IN = SLIDE_WIDTH_EMU / 914_400
SLIDE_HEIGHT_IN = SLIDE_HEIGHT_EMU / 914_400
PPTX_FONT = CJK_FONT  # latin and East Asian typeface of every run
PPTX_PRIMARY = (0x1F, 0x5F, 0xA8)
PPTX_TEXT = (0x22, 0x2B, 0x36)
PPTX_MUTED = (0x5F, 0x6B, 0x7A)
PPTX_STRIPE = (0xEE, 0xF3, 0xF9)
TITLE_BAR_IN = 0.95
# Charts are re-rendered at the shape of the slide body (pixels before scaling), so that they fill
# the slide and keep their text at a readable size whatever size the page drew them.
SLIDE_CHART_PX = (1200, 565)
FOOTER_IN = 0.45
MARGIN_IN = 0.45
TABLE_FONT_PT = 11
# one text line in a table cell: Noto Sans CJK's ascent + descent are 1.45 em
TABLE_LINE_IN = TABLE_FONT_PT * 1.45 / 72
# a digit or Latin letter at TABLE_FONT_PT; CJK characters count two (1.2 em, a little room)
TABLE_HALF_WIDTH_IN = TABLE_FONT_PT * 0.6 / 72
TABLE_SHORT_HALF_WIDTHS = 12  # values up to this wide (2023, ≥90%, 1,234.50) are not wrapped
TABLE_MIN_TEXT_HALF_WIDTHS = 10  # a text column is at least five CJK characters wide
TABLE_MAX_TEXT_HALF_WIDTHS = 60  # a text column wants at most this much on one line
TABLE_CELL_MARGIN_IN = 0.04  # top/bottom (and half the left/right) cell margin
TABLE_ROW_SLACK_IN = 0.02
TABLE_FILL_RATIO = 0.95  # wrapped lines are rarely full (words and punctuation move down)
TABLE_NOTE_IN = 0.3  # room kept below a table for the "only the first rows" note
TABLE_MAX_ROWS = 300  # rows beyond this are left to the XLSX download
TABLE_CELL_MAX_CHARS = 80  # long explanations are cut (with …) to keep rows readable
TITLE_DOCUMENTS_MAX = 12  # documents listed by name on the title slide
FOOTER_DOCUMENTS_MAX = 3
ALL_LABEL = "全部"


def filters_text(filters: Mapping[str, object]) -> str:
    """'地区：深圳；年度：2023' — the active filters in one line ('全部' when nothing is chosen)."""
    parts = [f"{label}：{_filter_value(value)}" for label, value in filters.items()]
    return "；".join(parts) if parts else f"筛选：{ALL_LABEL}"


def _filter_value(value: object) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return ALL_LABEL
    if isinstance(value, (list, tuple, set)):
        items = [str(v) for v in value if v is not None and str(v).strip()]
        return "、".join(items) if items else ALL_LABEL
    return str(value)


def sources_text(documents: Sequence[str], limit: int = FOOTER_DOCUMENTS_MAX) -> str:
    """'来源：a、b、c 等 5 份文档' — the source documents, shortened for a footer."""
    if not documents:
        return "来源：无"
    shown = "、".join(documents[:limit])
    rest = f" 等 {len(documents)} 份文档" if len(documents) > limit else ""
    return f"来源：{shown}{rest}"


def pptx_bytes(
    title: str,
    filters: Mapping[str, object],
    data_date: str,
    documents: Sequence[str],
    charts: Sequence[tuple[str, go.Figure]],
    table: pd.DataFrame | None,
    footer: str,
    *,
    table_title: str = "明细表",
    more_tables: Sequence[tuple[str, pd.DataFrame]] = (),
) -> bytes:
    """A 16:9 meeting deck: title slide, one slide per chart, then the table as native tables.

    more_tables: further (title, table) pairs, each on its own slides after the first table.

    filters maps a label (地区) to the chosen value(s); documents names the source documents;
    footer is a short line of the caller's (e.g. 绩效看板 · 低执行率项目) that starts the footer
    of every chart and table slide, followed by the sources and the filters. Charts are PNG
    images where Chromium is available, otherwise a note says why the image is missing.
    """
    from pptx import Presentation

    deck = Presentation()
    deck.slide_width = SLIDE_WIDTH_EMU
    deck.slide_height = SLIDE_HEIGHT_EMU
    blank = deck.slide_layouts[6]
    footer_line = "  |  ".join(
        part for part in (footer, sources_text(documents), filters_text(filters)) if part
    )

    _title_slide(deck.slides.add_slide(blank), title, filters, data_date, documents)
    images = chromium_available()
    for name, fig in charts:
        slide = deck.slides.add_slide(blank)
        _slide_frame(slide, name, footer_line, len(deck.slides))
        image = None
        if images:
            try:
                slide_fig, width, height = _slide_figure(fig, name)
                image = figure_png(slide_fig, width=width, height=height)
            except ExportError as exc:
                log.warning("chart %r not rendered: %s", name, exc)
        if image:
            _place_picture(slide, image)
        else:
            _note(slide, NO_CHART_IMAGE_NOTE)
    for title_, frame in [(table_title, table), *more_tables]:
        if frame is None or not len(frame.columns):
            continue
        for index, total, layout in _table_pages(frame):
            slide = deck.slides.add_slide(blank)
            heading = title_ if total == 1 else f"{title_}（{index}/{total}）"
            _slide_frame(slide, heading, footer_line, len(deck.slides))
            _add_table(slide, layout, cut=len(frame) > TABLE_MAX_ROWS and index == total)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _slide_figure(fig: go.Figure, name: str) -> tuple[go.Figure, int, int]:
    """The chart as drawn on a slide, with its render size in pixels before scaling.

    It takes the slide's shape; its title is dropped when the slide heading already says it. A
    chart drawn taller than the slide (one bar per project) keeps its height, so that every
    category label still has room, and is scaled down as a whole.
    """
    out = go.Figure(fig)
    title = out.layout.title.text if out.layout.title else None
    if title and title.strip() in (name.strip(), plot_escape(name).strip()):
        out.update_layout(title_text=None, margin_t=40)
    width, height = SLIDE_CHART_PX
    own_height = out.layout.height or height
    if own_height > height:
        width, height = round(own_height * width / height), int(own_height)
    return out, width, height


def _run_style(run, size_pt: float, *, bold: bool = False, colour=PPTX_TEXT) -> None:
    from pptx.dml.color import RGBColor
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    font = run.font
    font.size = Pt(size_pt)
    font.bold = bold
    font.name = PPTX_FONT
    font.color.rgb = RGBColor(*colour)
    rpr = run._r.get_or_add_rPr()
    for tag in ("a:ea", "a:cs"):  # East Asian glyphs use the ea typeface, not the latin one
        element = rpr.find(qn(tag))
        if element is None:
            element = rpr.makeelement(qn(tag), {})
            rpr.append(element)
        element.set("typeface", PPTX_FONT)


def _textbox(slide, left, top, width, height, lines, *, size_pt, bold=False, colour=PPTX_TEXT):
    """A text box with one paragraph per line; lines may be (text, size, bold, colour) tuples."""
    from pptx.util import Inches, Pt

    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(lines):
        text, size, is_bold, col = (
            line if isinstance(line, tuple) else (line, size_pt, bold, colour)
        )
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.space_after = Pt(4)
        _run_style(paragraph.add_run(), size, bold=is_bold, colour=col)
        paragraph.runs[-1].text = formula_safe(text)
    return box


def _rect(slide, left, top, width, height, colour) -> None:
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches

    shape = slide.shapes.add_shape(
        MSO_SHAPE.RECTANGLE, Inches(left), Inches(top), Inches(width), Inches(height)
    )
    shape.fill.solid()
    shape.fill.fore_color.rgb = RGBColor(*colour)
    shape.line.fill.background()


def _title_slide(slide, title, filters, data_date, documents) -> None:
    _rect(slide, 0, 0, SLIDE_WIDTH_IN, 2.3, PPTX_PRIMARY)
    _textbox(
        slide,
        MARGIN_IN + 0.2,
        0.55,
        SLIDE_WIDTH_IN - 2 * MARGIN_IN,
        1.4,
        [
            (title, 36, True, (0xFF, 0xFF, 0xFF)),
            ("绩效看板 · 会议材料", 16, False, (0xDD, 0xE8, 0xF5)),
        ],
        size_pt=36,
    )
    left = MARGIN_IN + 0.2
    column = (SLIDE_WIDTH_IN - 2 * left - 0.5) / 2
    lines = [("筛选条件", 18, True, PPTX_PRIMARY)]
    lines += [
        (f"{label}：{_filter_value(value)}", 14, False, PPTX_TEXT)
        for label, value in filters.items()
    ]
    lines += [("数据日期", 18, True, PPTX_PRIMARY), (data_date or "未知", 14, False, PPTX_TEXT)]
    _textbox(slide, left, 2.7, column, 4.2, lines, size_pt=14)
    docs = [(f"来源文档（{len(documents)} 份）", 18, True, PPTX_PRIMARY)]
    docs += [(f"· {d}", 12, False, PPTX_TEXT) for d in documents[:TITLE_DOCUMENTS_MAX]]
    if len(documents) > TITLE_DOCUMENTS_MAX:
        more = len(documents) - TITLE_DOCUMENTS_MAX
        docs.append((f"… 另有 {more} 份，见看板", 12, False, PPTX_MUTED))
    if not documents:
        docs.append(("（当前筛选下没有文档）", 12, False, PPTX_MUTED))
    _textbox(slide, left + column + 0.5, 2.7, column, 4.4, docs, size_pt=12)


def _slide_frame(slide, heading: str, footer_line: str, number: int) -> None:
    _rect(slide, 0, 0, SLIDE_WIDTH_IN, 0.12, PPTX_PRIMARY)
    _textbox(
        slide,
        MARGIN_IN,
        0.22,
        SLIDE_WIDTH_IN - 2 * MARGIN_IN,
        0.7,
        [heading],
        size_pt=24,
        bold=True,
    )
    top = SLIDE_HEIGHT_IN - FOOTER_IN
    _rect(slide, MARGIN_IN, top - 0.04, SLIDE_WIDTH_IN - 2 * MARGIN_IN, 0.01, (0xC8, 0xD2, 0xDE))
    _textbox(
        slide,
        MARGIN_IN,
        top,
        SLIDE_WIDTH_IN - 2 * MARGIN_IN - 0.6,
        FOOTER_IN,
        [footer_line],
        size_pt=9,
        colour=PPTX_MUTED,
    )
    _textbox(
        slide,
        SLIDE_WIDTH_IN - MARGIN_IN - 0.6,
        top,
        0.6,
        FOOTER_IN,
        [str(number)],
        size_pt=9,
        colour=PPTX_MUTED,
    )


def _body_box() -> tuple[float, float, float, float]:
    top = TITLE_BAR_IN + 0.1
    return MARGIN_IN, top, SLIDE_WIDTH_IN - 2 * MARGIN_IN, SLIDE_HEIGHT_IN - FOOTER_IN - 0.15 - top


def _place_picture(slide, png: bytes) -> None:
    from PIL import Image
    from pptx.util import Inches

    left, top, width, height = _body_box()
    with Image.open(io.BytesIO(png)) as image:
        ratio = image.width / image.height
    if width / height > ratio:
        pic_w, pic_h = height * ratio, height
    else:
        pic_w, pic_h = width, width / ratio
    slide.shapes.add_picture(
        io.BytesIO(png),
        Inches(left + (width - pic_w) / 2),
        Inches(top + (height - pic_h) / 2),
        Inches(pic_w),
        Inches(pic_h),
    )


def _note(slide, text: str) -> None:
    left, top, width, height = _body_box()
    _rect(slide, left + 1, top + height / 2 - 0.8, width - 2, 1.6, (0xFF, 0xF4, 0xE0))
    _textbox(slide, left + 1.3, top + height / 2 - 0.6, width - 2.6, 1.2, [text], size_pt=16)


def format_cell(column: object, value: object) -> str:
    """A value as printed in a slide table: 1,234.50 for 万元, 97.5 % for rates, — for none;
    text starting like a formula gets a leading ' (formula_safe), numbers never do."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if is_money_column(column):
            return f"{value:,.2f}"
        if is_percent_column(column):
            return f"{value:.1f} %"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return f"{value:,.2f}" if isinstance(value, float) else str(value)
    text = " ".join(str(value).split())
    if len(text) > TABLE_CELL_MAX_CHARS:
        text = text[: TABLE_CELL_MAX_CHARS - 1] + "…"
    return formula_safe(text) if isinstance(value, str) else text


def _column_inches(frame: pd.DataFrame, total: float) -> list[float]:
    """Column widths as a browser lays out an automatic table: every column first gets its
    minimum (numbers and short codes unbroken, text about TABLE_MIN_TEXT_HALF_WIDTHS), then the
    rest of the slide width goes to the columns in proportion to what they lack of one line."""
    if not len(frame.columns):
        return []
    low, high = [], []
    for column in frame.columns:
        texts = [format_cell(column, v) for v in frame[column].head(WIDTH_SAMPLE_ROWS)]
        widest = max([display_width(t) for t in texts], default=0)
        header = display_width(str(column))
        longest = min(max(widest, header), TABLE_MAX_TEXT_HALF_WIDTHS)
        if widest <= TABLE_SHORT_HALF_WIDTHS:
            shortest = max(widest, math.ceil(header / 2))  # short values never wrap
        else:
            shortest = max(TABLE_MIN_TEXT_HALF_WIDTHS, math.ceil(header / 2))
        pad = 4 * TABLE_CELL_MARGIN_IN
        low.append(shortest * TABLE_HALF_WIDTH_IN + pad)
        high.append(max(longest, shortest) * TABLE_HALF_WIDTH_IN + pad)
    if sum(low) >= total:
        return [w * total / sum(low) for w in low]
    if sum(high) <= total:
        return [w * total / sum(high) for w in high]
    spare = total - sum(low)
    lack = [h - w for w, h in zip(low, high, strict=True)]
    return [w + spare * d / sum(lack) for w, d in zip(low, lack, strict=True)]


def _lines_needed(text: str, width_in: float) -> int:
    """Lines a text wraps onto in a cell of that width (characters never split)."""
    usable = max(width_in - 4 * TABLE_CELL_MARGIN_IN, TABLE_HALF_WIDTH_IN)
    per_line = max(usable / TABLE_HALF_WIDTH_IN * TABLE_FILL_RATIO, 2)
    lines, used = 1, 0
    for ch in text:
        w = 2 if ord(ch) > 0x2E80 else 1
        if used + w > per_line:
            lines, used = lines + 1, 0
        used += w
    return lines


def _row_height(texts: Sequence[str], widths: Sequence[float]) -> float:
    lines = max((_lines_needed(t, w) for t, w in zip(texts, widths, strict=True)), default=1)
    return 2 * TABLE_CELL_MARGIN_IN + TABLE_LINE_IN * lines + TABLE_ROW_SLACK_IN


def _table_pages(table: pd.DataFrame):
    """(page, pages, header, rows) per slide: rows are (texts, height) that fit in one slide.

    Heights are estimated from text length and column width so that wrapped explanations take
    the room they need; widths are shared by all pages so the columns do not jump.
    """
    frame = table.head(TABLE_MAX_ROWS)
    _, _, width, height = _body_box()
    widths = _column_inches(frame, width)
    header_texts = [formula_safe(str(c)) for c in frame.columns]
    header = (header_texts, _row_height(header_texts, widths))
    budget = height - header[1] - TABLE_NOTE_IN
    pages: list[list[tuple[list[str], float]]] = [[]]
    used = 0.0
    for row in frame.itertuples(index=False, name=None):
        texts = [format_cell(c, v) for c, v in zip(frame.columns, row, strict=True)]
        row_h = _row_height(texts, widths)
        if used + row_h > budget and pages[-1]:
            pages.append([])
            used = 0.0
        pages[-1].append((texts, row_h))
        used += row_h
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        for c in frame.columns
    ]
    for index, rows in enumerate(pages, start=1):
        yield index, len(pages), (widths, numeric, header, rows)


def _add_table(slide, layout, *, cut: bool) -> None:
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches

    widths, numeric, (header_texts, header_h), rows = layout
    left, top, width, _ = _body_box()
    shape = slide.shapes.add_table(
        len(rows) + 1, len(widths), Inches(left), Inches(top), Inches(width), Inches(header_h)
    )
    grid = shape.table
    for j, w in enumerate(widths):
        grid.columns[j].width = Inches(w)
    grid.rows[0].height = Inches(header_h)
    for j, text in enumerate(header_texts):
        _cell(grid.cell(0, j), text, bold=True, colour=(0xFF, 0xFF, 0xFF), fill=PPTX_PRIMARY)
    for i, (texts, row_h) in enumerate(rows, start=1):
        grid.rows[i].height = Inches(row_h)
        fill = PPTX_STRIPE if i % 2 == 0 else (0xFF, 0xFF, 0xFF)
        for j, text in enumerate(texts):
            align = PP_ALIGN.RIGHT if numeric[j] else PP_ALIGN.LEFT
            _cell(grid.cell(i, j), text, fill=fill, align=align)
    if cut:
        _textbox(
            slide,
            left,
            SLIDE_HEIGHT_IN - FOOTER_IN - TABLE_NOTE_IN - 0.1,
            width,
            TABLE_NOTE_IN,
            [f"仅列出前 {TABLE_MAX_ROWS} 行；完整数据请在看板中下载 XLSX。"],
            size_pt=10,
            colour=PPTX_MUTED,
        )


def _cell(cell, text: str, *, bold=False, colour=PPTX_TEXT, fill=None, align=None) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Inches

    cell.margin_left = cell.margin_right = Inches(2 * TABLE_CELL_MARGIN_IN)
    cell.margin_top = cell.margin_bottom = Inches(TABLE_CELL_MARGIN_IN)
    if fill is not None:
        cell.fill.solid()
        cell.fill.fore_color.rgb = RGBColor(*fill)
    paragraph = cell.text_frame.paragraphs[0]
    if align is not None:
        paragraph.alignment = align
    run = paragraph.add_run()
    run.text = text
    _run_style(run, TABLE_FONT_PT, bold=bold, colour=colour)


# ---------------------------------------------------------------------------------------------
# Names for files and documents

_FILE_NAME_BAD = re.compile(r'[\\/:*?"<>|\s]+')
FILE_STEM_MAX = 80


def file_stem(name: str) -> str:
    """A download file name from a chart or table title: no path or shell characters."""
    stem = _FILE_NAME_BAD.sub("_", str(name)).strip("._")
    return stem[:FILE_STEM_MAX] or "export"


def selected_documents(documents: pd.DataFrame, selection: Mapping[str, object]) -> pd.DataFrame:
    """The documents matching the active filters; selection maps a documents column to the
    chosen value or values (None or empty means all). Values compare as text, so years chosen
    as '2023' match 2023."""
    mask = pd.Series(True, index=documents.index)
    for column, chosen in selection.items():
        if column not in documents.columns:
            continue
        values = _chosen_values(chosen)
        if values:
            mask &= documents[column].map(_as_text).isin(values)
    return documents[mask]


def _chosen_values(chosen: object) -> set[str]:
    if chosen is None:
        return set()
    if isinstance(chosen, (list, tuple, set)):
        return {_as_text(v) for v in chosen if v is not None and str(v).strip()}
    return {_as_text(chosen)} if str(chosen).strip() else set()


def _as_text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def corrections_text(documents: pd.DataFrame) -> str:
    """'校对：1 份文档共 2 处经人工校对' for a footer, '' when none of the documents was corrected."""
    if "n_corrections" not in documents.columns:
        return ""
    counts = pd.to_numeric(documents["n_corrections"], errors="coerce").fillna(0)
    confirmed = (
        int((documents["review_status"] == "confirmed").sum())
        if "review_status" in documents.columns
        else 0
    )
    parts = []
    if counts.sum():
        parts.append(f"{int((counts > 0).sum())} 份文档共 {int(counts.sum())} 处经人工校对")
    if confirmed:
        parts.append(f"{confirmed} 份已校对确认")
    return ("校对：" + "，".join(parts)) if parts else ""


def document_labels(documents: pd.DataFrame, kind_labels: Mapping[str, str]) -> list[str]:
    """'深圳市龙岗区卫生健康局 2021年 项目绩效自评汇总表' for each document, by unit and year."""
    frame = documents.sort_values(["unit", "year", "source_file"], na_position="last")
    labels = []
    for row in frame.itertuples(index=False):
        year = _as_text(getattr(row, "year", None))
        kind = kind_labels.get(getattr(row, "doc_kind", ""), getattr(row, "doc_kind", ""))
        unit = getattr(row, "unit", None) or getattr(row, "source_file", "")
        parts = [str(unit), f"{year}年" if year else "", str(kind or "")]
        labels.append(" ".join(p for p in parts if p))
    return labels
