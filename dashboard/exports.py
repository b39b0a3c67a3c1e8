"""Meeting exports: chart images (kaleido + Chromium), HTML fallback, CSV, XLSX and PPTX as bytes."""

from __future__ import annotations

import asyncio
import atexit
import functools
import hashlib
import html
import io
import logging
import math
import numbers
import os
import re
import subprocess
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.constants import FONT_FAMILY

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
TITLE_PAD_PX = 10

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
    if out.layout.title.text and not out.layout.title.pad.l:
        # a title at the left edge of the page's container would touch the image's edge
        out.update_layout(title_pad_l=TITLE_PAD_PX)
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
    caption: str | None = None,
) -> bytes:
    """The chart as a PNG of figure_size(fig) × scale pixels, rendered by kaleido + Chromium.

    width and height (pixels before scaling) override the figure's own size, e.g. for a slide.
    caption: a line of context (filters, year, data date, sources) printed in a strip under the
    chart, which makes the image that much taller.
    """
    image = _render(fig, "png", scale, width, height)
    return captioned_png(image, caption, scale) if caption else image


def figure_svg(fig: go.Figure, *, caption: str | None = None) -> bytes:
    """The chart as SVG (text stays text, so CJK labels remain searchable and sharp);
    caption as in figure_png, as SVG text."""
    image = _render(fig, "svg", 1)
    return captioned_svg(image, caption) if caption else image


# Caption strip under an exported chart: its font size and padding in pixels before scaling.
CAPTION_PX = 12
CAPTION_LINE_PX = 18
CAPTION_PAD_PX = 10
CAPTION_COLOUR = (0x5F, 0x6B, 0x7A)
CAPTION_RULE = (0xC8, 0xD2, 0xDE)


def cjk_font_file() -> tuple[str, int] | None:
    """The file and face index of CJK_FONT (fontconfig's answer), None where it is missing."""
    return _cjk_font_file()


@functools.cache
def _cjk_font_file() -> tuple[str, int] | None:
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}\t%{index}\t%{family}", CJK_FONT],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, index, family = (found.split("\t") + ["", "", ""])[:3]
    if "CJK" not in family or not os.path.exists(path):
        return None
    return path, int(index or 0)


def _caption_font(size_px: int):
    from PIL import ImageFont

    found = cjk_font_file()
    if found is None:
        return ImageFont.load_default(size_px)
    return ImageFont.truetype(found[0], size_px, index=found[1])


def wrap_caption(caption: str, width_px: float, size_px: int = CAPTION_PX) -> list[str]:
    """The caption broken into lines no wider than width_px at size_px (measured with the CJK
    font), breaking after a separator where one is near, else between any two characters."""
    font = _caption_font(size_px)
    lines: list[str] = []
    for paragraph in caption.splitlines() or [""]:
        line = ""
        for ch in paragraph:
            if font.getlength(line + ch) <= width_px or not line:
                line += ch
                continue
            cut = max(line.rfind(sep) for sep in ("；", "｜", "，", " "))
            if cut > len(line) // 2:
                lines.append(line[: cut + 1].rstrip())
                line = line[cut + 1 :].lstrip() + ch
            else:
                lines.append(line)
                line = ch
        lines.append(line)
    return lines


def captioned_png(png: bytes, caption: str, scale: float = PNG_SCALE) -> bytes:
    """png with the caption printed in a white strip underneath (a thin rule above it)."""
    from PIL import Image, ImageDraw

    with Image.open(io.BytesIO(png)) as chart:
        chart = chart.convert("RGB")
    pad, line_h = round(CAPTION_PAD_PX * scale), round(CAPTION_LINE_PX * scale)
    lines = wrap_caption(caption, chart.width / scale - 2 * CAPTION_PAD_PX)
    out = Image.new("RGB", (chart.width, chart.height + 2 * pad + line_h * len(lines)), "white")
    out.paste(chart, (0, 0))
    draw = ImageDraw.Draw(out)
    draw.line([(pad, chart.height), (chart.width - pad, chart.height)], fill=CAPTION_RULE)
    font = _caption_font(round(CAPTION_PX * scale))
    for i, line in enumerate(lines):
        draw.text((pad, chart.height + pad + i * line_h), line, font=font, fill=CAPTION_COLOUR)
    buffer = io.BytesIO()
    out.save(buffer, format="PNG")
    return buffer.getvalue()


_SVG_ROOT = re.compile(rb"<svg\b[^>]*>")
_SVG_HEIGHT = re.compile(rb'(\sheight=")([\d.]+)(")')
_SVG_VIEWBOX = re.compile(rb'(\sviewBox="[\d.\-]+ [\d.\-]+ [\d.]+ )([\d.]+)(")')
_SVG_WIDTH = re.compile(rb'\swidth="([\d.]+)"')


def captioned_svg(svg: bytes, caption: str) -> bytes:
    """svg made taller by a caption strip: white background, a rule and the caption as text."""
    root = _SVG_ROOT.search(svg)
    width = _SVG_WIDTH.search(root.group()) if root else None
    height = _SVG_HEIGHT.search(root.group()) if root else None
    if root is None or width is None or height is None:
        raise ExportError("SVG without a size: caption not added")
    w, h = float(width.group(1)), float(height.group(2))
    lines = wrap_caption(caption, w - 2 * CAPTION_PAD_PX)
    extra = 2 * CAPTION_PAD_PX + CAPTION_LINE_PX * len(lines)
    tag = _SVG_HEIGHT.sub(
        lambda m: m.group(1) + f"{h + extra:g}".encode() + m.group(3), root.group()
    )
    tag = _SVG_VIEWBOX.sub(lambda m: m.group(1) + f"{h + extra:g}".encode() + m.group(3), tag)
    rule = "#{:02x}{:02x}{:02x}".format(*CAPTION_RULE)
    colour = "#{:02x}{:02x}{:02x}".format(*CAPTION_COLOUR)
    parts = [
        f'<g class="export-caption"><rect x="0" y="{h:g}" width="{w:g}" height="{extra:g}" '
        'fill="white"/>',
        f'<line x1="{CAPTION_PAD_PX}" y1="{h:g}" x2="{w - CAPTION_PAD_PX:g}" y2="{h:g}" '
        f'stroke="{rule}" stroke-width="1"/>',
    ]
    for i, line in enumerate(lines):
        y = h + CAPTION_PAD_PX + CAPTION_PX + i * CAPTION_LINE_PX
        parts.append(
            f'<text x="{CAPTION_PAD_PX}" y="{y:g}" font-family="{CJK_FONT}, sans-serif" '
            f'font-size="{CAPTION_PX}px" fill="{colour}">{html.escape(line)}</text>'
        )
    parts.append("</g>")
    body = svg[: root.start()] + tag + svg[root.end() :]
    end = body.rfind(b"</svg>")
    return body[:end] + "".join(parts).encode("utf-8") + body[end:]


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

# One number format in every export, as the pages show them: 万元 with two decimals and thousands
# separators, rates (%) with one decimal, scores, points and percentage points with two. CSV
# writes the rounded figure, XLSX keeps full precision under a display format, slides, PDF and
# Word print format_cell's text.
MONEY_DECIMALS = 2
PERCENT_DECIMALS = 1
SCORE_DECIMALS = 2
OTHER_DECIMALS = 2  # a float column of no known kind (a ratio, a difference)
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = '0.0"%"'  # rates are stored as percentages (97.5), not fractions
SCORE_FORMAT = "0.00"
OTHER_FORMAT = "#,##0.00"
INTEGER_FORMAT = "0"
# Headers of scores and points (自评得分, 分值, 失分, 印发总分, 复算−印发); 核对 columns are text.
SCORE_WORDS = ("得分", "分值", "总分", "失分", "−")
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


def is_score_column(name: object) -> bool:
    """Scores and points: score/weight in the parquet, 得分/分值/总分/失分 or 百分点 in a header."""
    text = str(name)
    if "核对" in text:
        return False
    return (
        text in ("score", "weight", "points_lost", "indicator_score")
        or "百分点" in text
        or any(w in text for w in SCORE_WORDS)
    )


def number_kind(name: object) -> str | None:
    """'money', 'score', 'percent' or None: how a numeric column of that header is shown.

    A header naming percentage points (得分率差（百分点）) is a score-like difference; one naming
    % is a rate even with 得分 in it (指标得分率（%）); score words come before a bare 率.
    """
    text = str(name)
    if is_money_column(text):
        return "money"
    if "百分点" in text:
        return "score"
    if text.endswith("_pct") or "%" in text or "％" in text:
        return "percent"
    if is_score_column(text):
        return "score"
    if is_percent_column(text):
        return "percent"
    return None


_KIND_DECIMALS = {"money": MONEY_DECIMALS, "score": SCORE_DECIMALS, "percent": PERCENT_DECIMALS}
_KIND_FORMATS = {"money": MONEY_FORMAT, "score": SCORE_FORMAT, "percent": PERCENT_FORMAT}


def _is_number_column(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _whole_numbers(series: pd.Series) -> bool:
    """True when every value of the column is a whole number (a count or a year held as float
    because of a missing value)."""
    if pd.api.types.is_integer_dtype(series):
        return True
    values = series.dropna()
    return bool(len(values)) and bool(((values % 1) == 0).all())


def column_decimals(name: object, series: pd.Series) -> int | None:
    """Decimals a numeric column is shown with; None for whole numbers (years, counts)."""
    kind = number_kind(name)
    if kind:
        return _KIND_DECIMALS[kind]
    if _whole_numbers(series):
        return None
    return OTHER_DECIMALS


def rounded_frame(df: pd.DataFrame) -> pd.DataFrame:
    """df with its numeric columns written as shown (column_decimals): 62.3 instead of
    62.303474968517335, 1234.50 for 万元, 2023 for a year held as float; missing stays empty."""
    out = df
    for index in range(len(df.columns)):
        series = df.iloc[:, index]
        if not _is_number_column(series) or pd.api.types.is_integer_dtype(series):
            continue
        decimals = column_decimals(df.columns[index], series)
        spec = f"{{:.{decimals or 0}f}}"
        texts = series.map(lambda v, spec=spec: None if pd.isna(v) else spec.format(v))
        if out is df:
            out = df.copy()
        out.isetitem(index, texts.astype("object"))
    return out


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

    Numbers are written as the page shows them (rounded_frame), after formula_safe: a negative
    amount written as text stays -3.50, not '-3.50.
    """
    frame = rounded_frame(formula_safe_frame(df))
    return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


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


def xml_text(text: str) -> str:
    """text with the control characters an XML document cannot hold (Word, Excel) as U+FFFD."""
    return _XLSX_ILLEGAL.sub("\ufffd", text)


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
    """The display format of a numeric column (values keep their full precision)."""
    if not _is_number_column(series):
        return None
    kind = number_kind(column)
    if kind:
        return _KIND_FORMATS[kind]
    if _whole_numbers(series):
        return INTEGER_FORMAT  # years and counts without thousands separators
    return OTHER_FORMAT


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
TABLE_FONT_PT = 10  # the smallest readable size on a projected slide
# one text line in a table cell: Noto Sans CJK's ascent + descent are 1.45 em
TABLE_LINE_IN = TABLE_FONT_PT * 1.45 / 72
# Text widths are measured in em with the CJK font's own advances (a CJK character 1 em, a digit
# 0.55 em), so that a slide table wraps where PowerPoint will.
TABLE_SHORT_EM = 6.5  # values up to this wide (2023, ≥90%, 1,234.50) are not wrapped
TABLE_MIN_TEXT_EM = 5.0  # a text column is at least five CJK characters wide
TABLE_MAX_TEXT_EM = 30.0  # a text column wants at most this much on one line
TABLE_CELL_MARGIN_IN = 0.04  # top/bottom (and half the left/right) cell margin
TABLE_ROW_SLACK_IN = 0.02
TABLE_FILL_RATIO = 0.96  # wrapped lines are rarely full (words and punctuation move down)
TABLE_NOTE_IN = 0.3  # room kept below a table for the "only the first rows" note
TABLE_MAX_ROWS = 300  # rows beyond this are left to the XLSX download
TABLE_CELL_MAX_CHARS = 80  # long explanations are cut (with …) to keep rows readable
TITLE_DOCUMENTS_MAX = 12  # documents listed by name on the title slide
FOOTER_DOCUMENTS_MAX = 3
ALL_LABEL = "全部"
YEAR_LABEL = "年度"


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


def years_text(years: Sequence[object]) -> str:
    """'2021、2022、2023' — the budget years of the source documents, in order."""
    shown = sorted({_as_text(y) for y in years if _as_text(y)})
    return "、".join(shown)


def caption_text(
    filters: Mapping[str, object],
    data_date: str,
    n_documents: int,
    years: Sequence[object] = (),
    source: str = "",
) -> str:
    """The context an exported chart or report carries: where it comes from, the filters (the
    years of the sources beside 年度 when no year is chosen), the data date and the number of
    source documents."""
    parts = []
    for label, value in filters.items():
        text = _filter_value(value)
        if label == YEAR_LABEL and text == ALL_LABEL and years_text(years):
            text = f"{ALL_LABEL}（{years_text(years)}）"
        parts.append(f"{label}：{text}")
    if YEAR_LABEL not in filters and years_text(years):
        parts.append(f"{YEAR_LABEL}：{years_text(years)}")
    pieces = [
        source,
        "；".join(parts) or f"筛选：{ALL_LABEL}",
        f"数据日期：{data_date or '未知'}",
        f"来源文档 {n_documents} 份",
    ]
    return " ｜ ".join(p for p in pieces if p)


@dataclass(frozen=True)
class Pack:
    """What a page exports as meeting material (PPTX, PDF, Word): its charts and tables under
    the active filters, with the context every file repeats.

    filters maps a label (地区) to the chosen value(s); documents names the source documents;
    years are the budget years of those documents; footer is a short line of the caller's
    (绩效看板 · 低执行率项目) that starts every footer.
    """

    title: str
    filters: Mapping[str, object]
    data_date: str
    documents: Sequence[str]
    charts: Sequence[tuple[str, go.Figure]]
    tables: Sequence[tuple[str, pd.DataFrame]]
    footer: str
    years: Sequence[object] = ()

    @property
    def caption(self) -> str:
        return caption_text(
            self.filters, self.data_date, len(self.documents), self.years, source=self.footer
        )

    @property
    def footer_line(self) -> str:
        """footer, the sources and the filters in one line (the foot of every slide or page)."""
        parts = (self.footer, sources_text(self.documents), filters_text(self.filters))
        return "  |  ".join(p for p in parts if p)

    def printed_tables(self) -> list[tuple[str, pd.DataFrame]]:
        """The tables worth printing: with columns and at least one row (never a header-only
        table)."""
        return [(n, f) for n, f in self.tables if f is not None and len(f.columns) and len(f)]


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
    years: Sequence[object] = (),
) -> bytes:
    """pack_pptx of these parts: table and more_tables are the pack's tables in order."""
    tables = [(table_title, table), *more_tables]
    pack = Pack(title, filters, data_date, documents, charts, tables, footer, years)
    return pack_pptx(pack)


def pack_pptx(pack: Pack) -> bytes:
    """A 16:9 meeting deck: title slide, the charts (a tall bar chart over several slides),
    then the tables as native tables over as many slides as their rows need.

    Every chart and table slide carries pack.footer_line. Charts are PNG images where Chromium
    is available, otherwise a note says why the image is missing. Tables without rows get no
    slide; a chart's own title becomes its slide's heading and is not drawn again.
    """
    from pptx import Presentation

    deck = Presentation()
    deck.slide_width = SLIDE_WIDTH_EMU
    deck.slide_height = SLIDE_HEIGHT_EMU
    blank = deck.slide_layouts[6]
    footer_line = pack.footer_line

    _title_slide(
        deck.slides.add_slide(blank), pack.title, pack.filters, pack.data_date, pack.documents
    )
    images = chromium_available()
    for name, fig in pack.charts:
        for part in slide_charts(name, fig):
            slide = deck.slides.add_slide(blank)
            _slide_frame(slide, part.heading, footer_line, len(deck.slides))
            image = None
            if images:
                try:
                    image = figure_png(part.figure, width=part.width_px, height=part.height_px)
                except ExportError as exc:
                    log.warning("chart %r not rendered: %s", name, exc)
            if image:
                _place_picture(slide, image)
            else:
                _note(slide, NO_CHART_IMAGE_NOTE)
    for title_, frame in pack.printed_tables():
        for index, total, layout in _table_pages(frame):
            slide = deck.slides.add_slide(blank)
            heading = title_ if total == 1 else f"{title_}（{index}/{total}）"
            _slide_frame(slide, heading, footer_line, len(deck.slides))
            _add_table(slide, layout, cut=len(frame) > TABLE_MAX_ROWS and index == total)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


# Charts on slides: no text smaller than this once the picture is fitted to the slide body.
MIN_CHART_PT = 9.5
PLOTLY_DEFAULT_FONT_PX = 12
# A horizontal bar chart split over slides keeps at least this many pixels per bar.
MIN_SLIDE_ROW_PX = 26
# Pixels of a horizontal bar chart that are not rows (title, legend, axis, margins).
CHART_FIXED_PX = 170


@dataclass(frozen=True)
class SlideChart:
    """One chart picture of a deck or a report: its heading, the figure to render and its size
    in pixels, and the points a pixel takes once the picture is placed."""

    heading: str
    figure: go.Figure
    width_px: int
    height_px: int
    points_per_px: float


def plain_title(fig: go.Figure) -> str:
    """The figure's title as text (plotly's entities and tags such as <br> resolved)."""
    text = fig.layout.title.text if fig.layout.title else None
    if not text:
        return ""
    text = re.sub(r"<br\s*/?>", " ", str(text), flags=re.IGNORECASE)
    text = re.sub(r"<[^>]+>", "", text)
    return " ".join(html.unescape(text).split())


def min_font_px(fig: go.Figure) -> float:
    """The smallest font size (pixels) a figure prints: layout, title, legend, axes, annotations
    and trace texts; sizes not set inherit the layout's (plotly's default 12)."""
    layout = fig.layout
    base = layout.font.size or PLOTLY_DEFAULT_FONT_PX
    sizes = [base]

    def add(font) -> None:
        if font is not None and font.size:
            sizes.append(font.size)

    if layout.title and layout.title.text:
        add(layout.title.font)
    if layout.showlegend is not False:
        add(layout.legend.font)
    for axes in (fig.select_xaxes(), fig.select_yaxes()):
        for axis in axes:
            add(axis.tickfont)
            add(axis.title.font)
    for note in layout.annotations:
        add(note.font)
    for trace in fig.data:
        for key in ("textfont", "insidetextfont", "outsidetextfont"):
            if key in trace:
                add(trace[key])
    return float(min(sizes))


LEGEND_ITEM_PX = 40  # a legend entry's symbol and gaps, beside its text
LEGEND_ROW_PX = 22
AXIS_BELOW_PX = 80  # tick labels and the axis title under the plot


def _room_for_legend_below(fig: go.Figure, width: int, height: int) -> int:
    """Pixels added to a figure drawn width wide whose horizontal legend sits under the plot:
    the legend wraps onto more rows than on the page, so it is moved below the axis title and
    given the rows it needs (in place; the plot keeps its height)."""
    legend = fig.layout.legend
    if legend.orientation != "h" or legend.y is None or legend.y >= 0:
        return 0
    size = legend.font.size or fig.layout.font.size or PLOTLY_DEFAULT_FONT_PX
    names = [t.name for t in fig.data if t.name and t.showlegend is not False]
    if not names:
        return 0
    margin = fig.layout.margin
    usable = width - (margin.l or 0) - (margin.r or 0)
    # a wrapped horizontal legend lines its entries up in columns as wide as the widest
    widest = max(text_em(plain_title(go.Figure(layout={"title": n}))) for n in names)
    per_row = max(int(usable // (widest * size + LEGEND_ITEM_PX)), 1)
    rows = math.ceil(len(names) / per_row)
    below = AXIS_BELOW_PX + rows * LEGEND_ROW_PX + 10
    old_b = margin.b if margin.b is not None else 80
    plot = max(height - (margin.t or 0) - old_b, 1)
    fig.update_layout(
        margin_b=max(old_b, below), legend_y=-AXIS_BELOW_PX / plot, legend_yanchor="top"
    )
    extra = max(below - old_b, 0)
    fig.update_layout(height=height + extra)
    return extra


def _horizontal_categories(fig: go.Figure) -> list:
    """The categories of a horizontal bar chart in drawing order ([] for other charts)."""
    if len(list(fig.select_yaxes())) != 1:
        return []
    categories: list = []
    seen: set = set()
    for trace in fig.data:
        if trace.type != "bar" or trace.orientation != "h" or trace.y is None:
            continue
        for value in trace.y:
            if not isinstance(value, str) or value in seen:
                continue
            seen.add(value)
            categories.append(value)
    return categories


def slide_charts(name: str, fig: go.Figure) -> list[SlideChart]:
    """The chart as drawn on slides: each picture fills the slide body (chart_parts)."""
    _, _, width, height = _body_box()
    return chart_parts(name, fig, width, height, fill=True)


def chart_parts(
    name: str,
    fig: go.Figure,
    box_width_in: float,
    box_height_in: float,
    *,
    fill: bool,
    min_pt: float = MIN_CHART_PT,
    max_width_px: int = SLIDE_CHART_PX[0],
) -> list[SlideChart]:
    """The chart as placed in a box of that size: one picture, or one per group of bars when a
    horizontal bar chart is too tall for the box at a readable size.

    The picture is as wide as the box, rendered at a width in pixels that prints the figure's
    smallest text at min_pt or more. fill: the picture has the box's shape (a slide); else it
    keeps the figure's own height (a page of a report) up to the box's. The figure's own title
    becomes the heading (name when it has none) and is not drawn again.
    """
    out = go.Figure(fig)
    heading = plain_title(out) or name
    legend = out.layout.showlegend is not False and len(out.data) > 1
    out.update_layout(title_text=None, margin_t=50 if legend else 20)
    smallest = min_font_px(out)
    width = min(max_width_px, int(box_width_in * 72 * smallest / min_pt))
    pt_per_px = box_width_in * 72 / width
    max_height = int(box_height_in * 72 / pt_per_px)
    if any(getattr(t, "text", None) is not None for t in out.data):
        out.update_layout(uniformtext_minsize=smallest, uniformtext_mode="hide")
    own_height = int(out.layout.height or DEFAULT_HEIGHT_PX)
    # the own height less the title's room, which the heading now takes
    own_height = max(own_height - 40, CHART_FIXED_PX) if plain_title(fig) else own_height
    own_height += _room_for_legend_below(out, width, own_height)
    height = max_height if fill else min(own_height, max_height)
    categories = _horizontal_categories(out)
    if own_height <= max_height or not categories:
        if own_height > max_height:  # not a bar chart: scaled down as a whole
            pt_per_px *= max_height / own_height
            width, height = round(own_height * width / max_height), own_height
        return [SlideChart(heading, out, width, height, pt_per_px)]
    per_row = max((own_height - CHART_FIXED_PX) / len(categories), MIN_SLIDE_ROW_PX)
    rows = max(int((max_height - CHART_FIXED_PX) // per_row), 1)
    pages = math.ceil(len(categories) / rows)
    rows = math.ceil(len(categories) / pages)  # 33 bars at 12 a slide: 11 + 11 + 11
    if not fill:
        height = min(int(CHART_FIXED_PX + rows * per_row), max_height)
    reversed_ = out.layout.yaxis.autorange == "reversed"
    parts = []
    for index, start in enumerate(range(0, len(categories), rows), start=1):
        stop = min(start + rows, len(categories))
        low, high = start - 0.5, start + rows - 0.5  # the last part keeps the bar width
        part = go.Figure(out)
        part.update_layout(
            height=height,
            yaxis_autorange=False,
            yaxis_range=[high, low] if reversed_ else [low, high],
        )
        title = f"{heading}（{index}/{pages}，第 {start + 1}–{stop} 项）"
        parts.append(SlideChart(title, part, width, height, pt_per_px))
    return parts


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


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, numbers.Number)) and not isinstance(value, (bool, str))


def format_number(value: float, decimals: int | None, kind: str | None) -> str:
    """1,234.50 with decimals (None: a whole number, 2023 without a separator); rates end in %."""
    if decimals is None:
        return str(int(round(float(value))))
    text = f"{float(value):,.{decimals}f}"
    return f"{text} %" if kind == "percent" else text


def format_cell(column: object, value: object, max_chars: int | None = TABLE_CELL_MAX_CHARS) -> str:
    """A value as printed in a slide, PDF or Word table: 1,234.50 for 万元, 97.5 % for rates,
    96.00 for scores, — for none; text starting like a formula gets a leading ' (formula_safe),
    numbers never do. Text longer than max_chars is cut with … (None: never)."""
    if _is_missing(value):
        return "—"
    if _is_number(value):
        kind = number_kind(column)
        if kind:
            return format_number(value, _KIND_DECIMALS[kind], kind)
        whole = isinstance(value, (int, numbers.Integral)) or float(value).is_integer()
        return format_number(value, None if whole else OTHER_DECIMALS, None)
    text = " ".join(str(value).split())
    if max_chars and len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return formula_safe(text) if isinstance(value, str) else text


def format_column(
    column: object, series: pd.Series, max_chars: int | None = TABLE_CELL_MAX_CHARS
) -> list[str]:
    """format_cell over a column, numbers with one number of decimals for the whole column
    (a float column of no known kind holding 3 and 2.5 prints 3.00 and 2.50)."""
    if _is_number_column(series):
        kind = number_kind(column)
        decimals = column_decimals(column, series)
        return [
            "—" if _is_missing(v) else format_number(v, decimals, kind) for v in series.tolist()
        ]
    return [format_cell(column, v, max_chars) for v in series.tolist()]


def table_texts(
    frame: pd.DataFrame, max_chars: int | None = TABLE_CELL_MAX_CHARS
) -> list[list[str]]:
    """The rows of frame as printed (format_column per column)."""
    columns = [format_column(c, frame.iloc[:, j], max_chars) for j, c in enumerate(frame.columns)]
    return [list(row) for row in zip(*columns, strict=True)] if columns else []


def numeric_columns(frame: pd.DataFrame) -> list[bool]:
    """Which columns hold numbers (right-aligned in printed tables)."""
    return [_is_number_column(frame.iloc[:, j]) for j in range(len(frame.columns))]


def column_widths(frame: pd.DataFrame, total: float, font_pt: float = TABLE_FONT_PT) -> list[float]:
    """Column widths (inches, adding up to total) for a table printed at font_pt: every column
    first gets its minimum (numbers and short codes unbroken, text TABLE_MIN_TEXT_EM), then the
    spare width goes where it saves the most wrapped lines (_fewest_lines)."""
    if not len(frame.columns):
        return []
    em_in = font_pt / 72
    pad = 4 * TABLE_CELL_MARGIN_IN
    sample = frame.head(WIDTH_SAMPLE_ROWS)
    headers = [str(c) for c in frame.columns]
    rows = table_texts(sample)
    cells = np.array([[text_em(t) for t in row] for row in [headers, *rows]], dtype=float)
    low, high = [], []
    for j in range(len(headers)):
        widest = cells[1:, j].max() if len(rows) else 0.0
        header = cells[0, j]
        longest = min(max(widest, header), TABLE_MAX_TEXT_EM)
        if widest <= TABLE_SHORT_EM:
            shortest = max(widest, math.ceil(header / 2))  # short values never wrap
        else:
            shortest = max(TABLE_MIN_TEXT_EM, math.ceil(header / 2))
        low.append((shortest + WRAP_LOSS_EM) / TABLE_FILL_RATIO * em_in + pad)
        high.append((max(longest, shortest) + WRAP_LOSS_EM) / TABLE_FILL_RATIO * em_in + pad)
    if sum(low) >= total:
        return [w * total / sum(low) for w in low]
    if sum(high) <= total:
        return [w * total / sum(high) for w in high]
    return _fewest_lines(cells, low, high, total, em_in)


WRAP_LOSS_EM = 0.5


def _fewest_lines(
    cells: np.ndarray, low: list[float], high: list[float], total: float, em_in: float
) -> list[float]:
    """Widths from low towards high adding up to total: the spare width goes, piece by piece,
    to the column whose widening (by any number of characters) saves the most wrapped lines per inch over
    all rows (a long explanation gets room before a column of short names); what no widening
    saves is shared in proportion to what the columns lack of one line.

    cells: the width in em of every cell (the header first)."""
    widths = np.array(low, dtype=float)
    ceiling = np.array(high, dtype=float)
    pad = 4 * TABLE_CELL_MARGIN_IN

    def lines(w: np.ndarray) -> float:
        # a line ends half a character early on average (a CJK character never splits)
        per_line = np.maximum(_line_em(w, em_in) - WRAP_LOSS_EM, 1)
        return np.maximum(np.ceil(cells / per_line), 1).max(axis=1).sum()

    while True:
        spare = total - widths.sum()
        now = lines(widths)
        best, best_rate = None, 0.0
        for j in np.flatnonzero(widths + 1e-9 < ceiling):
            chars = math.floor(_line_em(widths[j], em_in))
            for extra in range(1, math.ceil(TABLE_MAX_TEXT_EM + WRAP_LOSS_EM) + 2):
                target = min((chars + extra) / TABLE_FILL_RATIO * em_in + pad, ceiling[j])
                grow = target - widths[j]
                if grow > spare:
                    break
                if grow <= 1e-9:
                    continue
                trial = widths.copy()
                trial[j] = target
                rate = (now - lines(trial)) / grow
                if rate > best_rate:
                    best, best_rate = (j, target), rate
                if target >= ceiling[j]:
                    break
        if best is None:
            break
        widths[best[0]] = best[1]
    spare = total - widths.sum()
    lack = ceiling - widths
    if spare > 1e-9 and lack.sum() > 1e-9:
        widths += lack * min(spare / lack.sum(), 1.0)
    spare = total - widths.sum()
    if spare > 1e-9:  # every column at its ceiling: the rest in proportion
        widths += spare * widths / widths.sum()
    return widths.tolist()


def _line_em(width_in, em_in: float):
    """The text width (em) one line of a cell that wide holds."""
    return (width_in - 4 * TABLE_CELL_MARGIN_IN) / em_in * TABLE_FILL_RATIO


@functools.cache
def _advance_em(ch: str) -> float:
    font = _measuring_font()
    if font is None:
        return 1.0 if ord(ch) > 0x2E80 else 0.6
    return font.getlength(ch) / MEASURE_PX


MEASURE_PX = 1000


@functools.cache
def _measuring_font():
    found = cjk_font_file()
    if found is None:
        return None
    from PIL import ImageFont

    return ImageFont.truetype(found[0], MEASURE_PX, index=found[1])


def text_em(text: str) -> float:
    """The width of text in em in the CJK font (0.6 em a Latin character where it is missing)."""
    return sum(_advance_em(ch) for ch in text)


def _lines_needed(text: str, width_in: float, font_pt: float = TABLE_FONT_PT) -> int:
    """Lines a text wraps onto in a cell of that width (characters never split)."""
    per_line = max(_line_em(width_in, font_pt / 72), 1.0)
    lines, used = 1, 0.0
    for ch in text:
        w = _advance_em(ch)
        if used + w > per_line and used:
            lines, used = lines + 1, 0.0
        used += w
    return lines


def _row_height(texts: Sequence[str], widths: Sequence[float]) -> float:
    lines = max((_lines_needed(t, w) for t, w in zip(texts, widths, strict=True)), default=1)
    return 2 * TABLE_CELL_MARGIN_IN + TABLE_LINE_IN * lines + TABLE_ROW_SLACK_IN


def _table_pages(table: pd.DataFrame):
    """(page, pages, header, rows) per slide: rows are (texts, height) that fit in one slide.

    Heights are estimated from text length and column width so that wrapped explanations take
    the room they need; widths are shared by all pages so the columns do not jump. The rows
    are spread evenly over the fewest slides (33 rows: 11 + 11 + 11, not 16 + 16 + 1).
    """
    frame = table.head(TABLE_MAX_ROWS)
    _, _, width, height = _body_box()
    widths = column_widths(frame, width)
    header_texts = [formula_safe(str(c)) for c in frame.columns]
    header = (header_texts, _row_height(header_texts, widths))
    budget = height - header[1] - (TABLE_NOTE_IN if len(table) > TABLE_MAX_ROWS else 0.0)
    rows = [(texts, _row_height(texts, widths)) for texts in table_texts(frame)]
    pages = _pack_rows(rows, budget)
    low, high = max((h for _, h in rows), default=budget), budget
    while high - low > 0.01:  # the smallest height that needs no more slides
        middle = (low + high) / 2
        if len(_pack_rows(rows, middle)) == len(pages):
            high = middle
        else:
            low = middle
    pages = _pack_rows(rows, high)
    numeric = numeric_columns(frame)
    for index, page in enumerate(pages, start=1):
        yield index, len(pages), (widths, numeric, header, page)


def _pack_rows(rows: list[tuple[list[str], float]], budget: float) -> list[list]:
    """The rows in order, as many to a slide as fit the height budget."""
    pages: list[list] = [[]]
    used = 0.0
    for row in rows:
        if used + row[1] > budget and pages[-1]:
            pages.append([])
            used = 0.0
        pages[-1].append(row)
        used += row[1]
    return pages


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
