"""Word report (.docx) of a page's meeting pack: headings per section, charts as pictures,
tables as real Word tables with the page's number formats (python-docx)."""

from __future__ import annotations

import io
import logging

import pandas as pd

from . import exports
from .report_pdf import table_wants_landscape

log = logging.getLogger(__name__)

MIME_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
A4_MM = (210, 297)
MARGIN_MM = 18
TEXT_PT = 10.5  # 五号
TABLE_PT = 10
CAPTION_PT = 8
MIN_CHART_PT = 9.0
CHART_PAGE_SHARE = 0.8  # room left for the heading and the caption
HEADER_FILL = exports.HEADER_FILL
STRIPE_FILL = "EEF3F9"
MUTED = (0x5F, 0x6B, 0x7A)
PRIMARY = (0x1F, 0x5F, 0xA8)


def docx_bytes(pack: exports.Pack) -> bytes:
    """The pack as a Word document: title and context, one Heading 1 per chart (a picture and
    its caption) and per table (a Word table, landscape pages for a wide one); the caption in
    every page header, the footer line and page numbers in every footer."""
    from docx import Document

    document = Document()
    _styles(document)
    section = document.sections[0]
    _page(section, landscape=False)
    _header_footer(section, pack)

    document.add_heading(pack.title, level=0)
    context = document.add_paragraph()
    _run(context, exports.filters_text(pack.filters))
    context.add_run().add_break()
    _run(context, f"数据日期：{pack.data_date or '未知'}　｜　来源文档 {len(pack.documents)} 份")
    if pack.documents:
        shown = "、".join(pack.documents[: exports.TITLE_DOCUMENTS_MAX])
        more = len(pack.documents) - exports.TITLE_DOCUMENTS_MAX
        if more > 0:
            shown += f" … 另有 {more} 份，见看板"
        sources = document.add_paragraph()
        _run(sources, shown, size=9, colour=MUTED)

    _charts(document, pack)
    landscape = False
    for name, frame in pack.printed_tables():
        wide = table_wants_landscape(frame.head(exports.TABLE_MAX_ROWS))
        if wide != landscape:
            landscape = wide
            _new_section(document, landscape, pack)
        _table(document, name, frame, landscape)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def content_width_in(landscape: bool) -> float:
    width = A4_MM[1] if landscape else A4_MM[0]
    return (width - 2 * MARGIN_MM) / 25.4


def chart_parts(name: str, fig) -> list[exports.SlideChart]:
    """The pictures a chart takes in the report: the text width of a portrait page, at most
    CHART_PAGE_SHARE of its height (a taller bar chart is split)."""
    height_in = (A4_MM[1] - 2 * MARGIN_MM) / 25.4 * CHART_PAGE_SHARE
    return exports.chart_parts(
        name, fig, content_width_in(False), height_in, fill=False, min_pt=MIN_CHART_PT
    )


def _styles(document) -> None:
    """Every style used speaks the CJK font (East Asian text ignores the Latin typeface)."""
    from docx.shared import Pt, RGBColor

    for name in ("Normal", "Title", "Heading 1", "Caption", "Table Grid"):
        style = document.styles[name]
        _east_asian(style.element.get_or_add_rPr(), exports.CJK_FONT)
        style.font.name = exports.CJK_FONT
    document.styles["Normal"].font.size = Pt(TEXT_PT)
    for name, size in (("Title", 22), ("Heading 1", 14)):
        font = document.styles[name].font
        font.size = Pt(size)
        font.color.rgb = RGBColor(*PRIMARY)
    caption = document.styles["Caption"].font
    caption.size = Pt(CAPTION_PT)
    caption.italic = False
    caption.color.rgb = RGBColor(*MUTED)


def _east_asian(rpr, typeface: str) -> None:
    from docx.oxml.ns import qn

    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), typeface)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)


def _run(paragraph, text: str, *, size: float | None = None, bold=False, colour=None):
    from docx.shared import Pt, RGBColor

    run = paragraph.add_run(exports.xml_text(text))
    _east_asian(run._r.get_or_add_rPr(), exports.CJK_FONT)
    if size:
        run.font.size = Pt(size)
    run.font.bold = bold or None
    if colour:
        run.font.color.rgb = RGBColor(*colour)
    return run


def _page(section, *, landscape: bool) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    width, height = (A4_MM[1], A4_MM[0]) if landscape else A4_MM
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(width), Mm(height)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(MARGIN_MM))
    section.header_distance = section.footer_distance = Mm(8)


def _new_section(document, landscape: bool, pack: exports.Pack) -> None:
    from docx.enum.section import WD_SECTION

    section = document.add_section(WD_SECTION.NEW_PAGE)
    _page(section, landscape=landscape)
    section.header.is_linked_to_previous = True
    section.footer.is_linked_to_previous = True


def _header_footer(section, pack: exports.Pack) -> None:
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.shared import Mm

    header = section.header.paragraphs[0]
    _run(header, pack.caption, size=CAPTION_PT, colour=MUTED)
    footer = section.footer.paragraphs[0]
    # the page number at the right margin of the widest (landscape) page; portrait pages
    # print it where their text ends
    footer.paragraph_format.tab_stops.add_tab_stop(
        Mm(A4_MM[0] - 2 * MARGIN_MM), WD_TAB_ALIGNMENT.RIGHT
    )
    _run(footer, pack.footer_line, size=CAPTION_PT, colour=MUTED)
    footer.add_run().add_break()
    _run(footer, "\t第 ", size=CAPTION_PT, colour=MUTED)
    _field(footer, "PAGE")
    _run(footer, " / ", size=CAPTION_PT, colour=MUTED)
    _field(footer, "NUMPAGES")
    _run(footer, " 页", size=CAPTION_PT, colour=MUTED)


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays out the pages."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1")):
        run = _run(paragraph, "", size=CAPTION_PT, colour=MUTED)
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            run._r.append(element)
        elif text == instruction:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {instruction} "
            run._r.append(element)
        else:
            run.text = text
    end = _run(paragraph, "", size=CAPTION_PT, colour=MUTED)
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), "end")
    end._r.append(element)


def _charts(document, pack: exports.Pack) -> None:
    from docx.shared import Inches

    width_in = content_width_in(False)
    images = exports.chromium_available()
    for name, fig in pack.charts:
        for part in chart_parts(name, fig):
            document.add_heading(part.heading, level=1)
            image = None
            if images:
                try:
                    image = exports.figure_png(
                        part.figure, width=part.width_px, height=part.height_px
                    )
                except exports.ExportError as exc:
                    log.warning("chart %r not rendered: %s", name, exc)
            if image:
                document.add_picture(io.BytesIO(image), width=Inches(width_in))
                caption = document.add_paragraph(style="Caption")
                _run(caption, pack.caption)
            else:
                note = document.add_paragraph()
                _run(note, exports.NO_CHART_IMAGE_NOTE, colour=(0x7A, 0x4B, 0x00))


def _table(document, name: str, frame: pd.DataFrame, landscape: bool) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Inches

    document.add_heading(name, level=1)
    shown = frame.head(exports.TABLE_MAX_ROWS)
    numeric = exports.numeric_columns(shown)
    texts = exports.table_texts(shown, max_chars=None)
    headers = [str(exports.formula_safe(str(c))) for c in shown.columns]
    table = document.add_table(rows=1 + len(texts), cols=len(headers))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = exports.column_widths(shown, content_width_in(landscape), TABLE_PT)
    for j, width in enumerate(widths):
        table.columns[j].width = Inches(width)
    header = table.rows[0]
    _repeat_header(header)
    for j, text in enumerate(headers):
        cell = header.cells[j]
        cell.width = Inches(widths[j])
        _shade(cell, HEADER_FILL)
        _run(cell.paragraphs[0], text, size=TABLE_PT, bold=True, colour=(0xFF, 0xFF, 0xFF))
    for i, row in enumerate(texts, start=1):
        _keep_together(table.rows[i])
        cells = table.rows[i].cells
        for j, text in enumerate(row):
            cell = cells[j]
            cell.width = Inches(widths[j])
            if i % 2 == 0:
                _shade(cell, STRIPE_FILL)
            paragraph = cell.paragraphs[0]
            if numeric[j]:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _run(paragraph, text, size=TABLE_PT)
    if len(frame) > exports.TABLE_MAX_ROWS:
        note = document.add_paragraph()
        _run(
            note,
            f"仅列出前 {exports.TABLE_MAX_ROWS} 行，共 {len(frame)} 行；完整数据请在看板中下载 XLSX。",
            size=9,
            colour=MUTED,
        )


def _keep_together(row) -> None:
    """The row is not split across two pages (a page ends before it)."""
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _repeat_header(row) -> None:
    """The row repeats at the top of every page the table runs onto."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    properties.append(element)


def _shade(cell, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)
