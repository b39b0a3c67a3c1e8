"""Print-ready PDF of a page's meeting pack: HTML printed to A4 by headless Chromium.

Chromium is already here for the chart images (kaleido) and lays out what a PDF library would
make us lay out by hand: Chinese text with the installed Noto Sans CJK (reportlab cannot embed
its CFF outlines), tables that wrap long explanations and repeat their header on every page,
CSS page-margin boxes for the caption and the page numbers, and named pages that turn a wide
table's pages to landscape while the rest stays portrait.
"""

from __future__ import annotations

import base64
import html
import logging
import os
import signal
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

from . import exports

log = logging.getLogger(__name__)

MIME_PDF = "application/pdf"
PRINT_TIMEOUT_S = 120.0
# A4 in millimetres and the page margins (top, right, bottom, left)
A4_MM = (210.0, 297.0)
MARGIN_MM = (16.0, 12.0, 16.0, 12.0)
MM_PER_IN = 25.4
TEXT_PT = 10
TABLE_PT = 9.5
CAPTION_PT = 7.5
# A table needing more than the portrait width (points) at TABLE_PT goes on landscape pages.
CELL_PADDING_PT = 8
# cell padding in the PDF is wider than on slides: widths are computed for a slightly larger font
CELL_WIDTH_FACTOR = 1.1
CELL_MAX_HALF_WIDTHS = 36  # a column wider than this wraps in any case
# Chart text prints at no less than this (points).
MIN_CHART_PT = 8.5
CHART_PAGE_SHARE = 0.85  # room left for the heading
TITLE_DOCUMENTS_MAX = exports.TITLE_DOCUMENTS_MAX


CONTENT_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


class PdfError(exports.ExportError):
    """Chromium could not print the report."""


def content_size_in(landscape: bool) -> tuple[float, float]:
    """Width and height of the printable area in inches."""
    width, height = A4_MM[::-1] if landscape else A4_MM
    top, right, bottom, left = MARGIN_MM
    return (width - left - right) / MM_PER_IN, (height - top - bottom) / MM_PER_IN


def table_wants_landscape(frame: pd.DataFrame) -> bool:
    """True when the table's columns at their natural width (headers and values, wide text
    wrapped at CELL_MAX_HALF_WIDTHS) do not fit the portrait width."""
    texts = exports.table_texts(frame.head(exports.WIDTH_SAMPLE_ROWS), max_chars=None)
    needed = 0.0
    for j, column in enumerate(frame.columns):
        widest = max([exports.display_width(row[j]) for row in texts], default=0)
        header = exports.display_width(str(column))
        half_widths = min(max(widest, (header + 1) // 2), CELL_MAX_HALF_WIDTHS)
        needed += half_widths * TABLE_PT * 0.55 + CELL_PADDING_PT
    return needed > content_size_in(False)[0] * 72


def _css_string(text: str) -> str:
    """text as a CSS string literal inside a <style> element (the page-margin boxes): every
    character but letters, digits and CJK as a CSS escape, so that neither a quote nor
    </style> in a unit's name can end the string or the element."""
    out = []
    for ch in " ".join(text.split()):
        if ch.isalnum() or ord(ch) > 0x7F or ch == " ":
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):X} ")
    return '"' + "".join(out) + '"'


def report_html(pack: exports.Pack) -> str:
    """The pack as one HTML document laid out for A4 printing."""
    top, right, bottom, left = MARGIN_MM
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        # the report is static: no script runs and nothing is fetched, whatever a name holds
        f"<meta http-equiv='Content-Security-Policy' content=\"{CONTENT_POLICY}\">",
        f"<title>{html.escape(pack.title)}</title><style>",
        f"""
@page {{
  size: A4 portrait;
  margin: {top}mm {right}mm {bottom}mm {left}mm;
  @top-left {{ content: {_css_string(pack.caption)}; font: {CAPTION_PT}pt "{exports.CJK_FONT}";
    color: #5f6b7a; vertical-align: bottom; padding-bottom: 2mm; }}
  @bottom-left {{ content: {_css_string(pack.footer_line)}; font: {CAPTION_PT}pt
    "{exports.CJK_FONT}"; color: #5f6b7a; vertical-align: top; padding-top: 2mm; }}
  @bottom-right {{ content: "第 " counter(page) " / " counter(pages) " 页";
    font: {CAPTION_PT + 0.5}pt "{exports.CJK_FONT}"; color: #5f6b7a; vertical-align: top;
    padding-top: 2mm; width: 22mm; text-align: right; }}
}}
@page wide {{ size: A4 landscape; }}
html {{ font-family: "{exports.CJK_FONT}", sans-serif; font-size: {TEXT_PT}pt; color: #222b36; }}
body {{ margin: 0; }}
h1 {{ font-size: 20pt; color: #1f5fa8; margin: 0 0 4mm; }}
h2 {{ font-size: 13pt; color: #1f5fa8; margin: 6mm 0 2mm; break-after: avoid; }}
.context {{ border-left: 3px solid #1f5fa8; padding: 1mm 0 1mm 3mm; margin-bottom: 4mm; }}
.context p {{ margin: 0.8mm 0; }}
.context .sources {{ color: #5f6b7a; font-size: {TEXT_PT - 1}pt; }}
figure {{ margin: 0 0 4mm; break-inside: avoid; }}
figure img {{ width: 100%; display: block; }}
.note {{ background: #fff4e0; color: #7a4b00; padding: 2mm 3mm; }}
section.wide {{ page: wide; }}
table {{ border-collapse: collapse; width: 100%; font-size: {TABLE_PT}pt;
  table-layout: fixed; }}
td, th {{ overflow-wrap: anywhere; }}
thead {{ display: table-header-group; }}
th {{ background: #1f5fa8; color: white; font-weight: 600; text-align: left; }}
th, td {{ border: 0.5pt solid #c8d2de; padding: 1mm 1.5mm; vertical-align: top; }}
tr {{ break-inside: avoid; }}
tbody tr:nth-child(even) td {{ background: #eef3f9; }}
td.num {{ text-align: right; white-space: nowrap; }}
td.cut {{ color: #5f6b7a; font-style: italic; }}
""",
        "</style></head><body>",
        f"<h1>{html.escape(pack.title)}</h1>",
        _context_block(pack),
    ]
    parts += _charts(pack)
    for name, frame in pack.printed_tables():
        parts.append(_table(name, frame))
    parts.append("</body></html>")
    return "\n".join(parts)


def _context_block(pack: exports.Pack) -> str:
    lines = [
        f"<p>{html.escape(exports.filters_text(pack.filters))}</p>",
        f"<p>数据日期：{html.escape(pack.data_date or '未知')}　｜　来源文档 "
        f"{len(pack.documents)} 份</p>",
    ]
    shown = "、".join(pack.documents[:TITLE_DOCUMENTS_MAX])
    more = len(pack.documents) - TITLE_DOCUMENTS_MAX
    if more > 0:
        shown += f" … 另有 {more} 份，见看板"
    if shown:
        lines.append(f"<p class='sources'>{html.escape(shown)}</p>")
    return "<div class='context'>" + "".join(lines) + "</div>"


def _charts(pack: exports.Pack) -> list[str]:
    width_in, _ = content_size_in(False)
    images = exports.chromium_available()
    out = []
    for name, fig in pack.charts:
        for part in chart_parts(name, fig):
            out.append(f"<h2>{html.escape(part.heading)}</h2>")
            image = None
            if images:
                try:
                    image = exports.figure_png(
                        part.figure, width=part.width_px, height=part.height_px
                    )
                except exports.ExportError as exc:
                    log.warning("chart %r not rendered: %s", name, exc)
            if image:
                data = base64.b64encode(image).decode("ascii")
                ratio = part.height_px / part.width_px
                height_mm = width_in * MM_PER_IN * ratio
                out.append(
                    f"<figure><img alt='{html.escape(part.heading)}' "
                    f"style='height:{height_mm:.1f}mm' src='data:image/png;base64,{data}'>"
                    "</figure>"
                )
            else:
                out.append(f"<p class='note'>{html.escape(exports.NO_CHART_IMAGE_NOTE)}</p>")
    return out


def chart_parts(name: str, fig) -> list[exports.SlideChart]:
    """The pictures a chart takes in the PDF: the text width of a portrait page, at most
    CHART_PAGE_SHARE of its height (a taller bar chart is split)."""
    width_in, height_in = content_size_in(False)
    return exports.chart_parts(
        name, fig, width_in, height_in * CHART_PAGE_SHARE, fill=False, min_pt=MIN_CHART_PT
    )


def _table(name: str, frame: pd.DataFrame) -> str:
    shown = frame.head(exports.TABLE_MAX_ROWS)
    numeric = exports.numeric_columns(shown)
    wide = table_wants_landscape(shown)
    rows = []
    for texts in exports.table_texts(shown, max_chars=None):
        cells = "".join(
            f"<td class='num'>{html.escape(t)}</td>" if n else f"<td>{html.escape(t)}</td>"
            for t, n in zip(texts, numeric, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    if len(frame) > exports.TABLE_MAX_ROWS:
        note = f"仅列出前 {exports.TABLE_MAX_ROWS} 行，共 {len(frame)} 行；完整数据请在看板中下载 XLSX。"
        rows.append(f"<tr><td class='cut' colspan='{len(shown.columns)}'>{note}</td></tr>")
    header = "".join(
        f"<th>{html.escape(str(exports.formula_safe(str(c))))}</th>" for c in shown.columns
    )
    # widths where they save the most wrapped lines (as on the slides), at this font size
    width_in = content_size_in(wide)[0]
    widths = exports.column_widths(shown, width_in, TABLE_PT * CELL_WIDTH_FACTOR)
    columns = "".join(f"<col style='width:{100 * w / width_in:.2f}%'>" for w in widths)
    return (
        f"<section class='{'wide' if wide else 'tall'}'><h2>{html.escape(name)}</h2>"
        f"<table><colgroup>{columns}</colgroup><thead><tr>{header}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def pdf_bytes(pack: exports.Pack) -> bytes:
    """The pack as a print-ready A4 PDF (report_html printed by headless Chromium)."""
    return print_html(report_html(pack))


def print_html(page: str) -> bytes:
    """An HTML document printed to PDF by headless Chromium (its own page sizes and margin
    boxes; Chromium's date and URL header left out)."""
    if not os.access(exports.CHROMIUM_PATH, os.X_OK):
        raise PdfError(exports.NO_CHROMIUM_MESSAGE)
    with tempfile.TemporaryDirectory(prefix="report-pdf-", ignore_cleanup_errors=True) as folder:
        source = Path(folder) / "report.html"
        target = Path(folder) / "report.pdf"
        source.write_text(page, encoding="utf-8")
        command = [
            exports.CHROMIUM_PATH,
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(folder) / 'profile'}",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses to sandbox as root
        _run(command)
        if not target.exists() or target.stat().st_size == 0:
            raise PdfError("PDF 打印失败：Chromium 没有写出文件")
        return target.read_bytes()


def _run(command: list[str]) -> None:
    """Run Chromium in its own process group, so that a timeout ends its helpers too."""
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise PdfError(f"PDF 打印失败：{exc}") from exc
    try:
        process.wait(timeout=PRINT_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        _end_group(process)
        raise PdfError(f"PDF 打印超时（{PRINT_TIMEOUT_S:g} 秒）") from exc
    _end_group(process)  # helpers outliving the browser would keep writing to its profile


def _end_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
