"""Every export of every page on the seeds, opened and read back: chart images with their
caption, CSV and XLSX numbers, the PPTX deck, the print-ready PDF and the Word report."""

from __future__ import annotations

import csv
import html
import io
import re

import numpy as np
import openpyxl
import pandas as pd
import pypdfium2 as pdfium
import pytest
from docx import Document
from export_pages_support import PACK_PAGES
from export_pages_support import page_packs as capture_packs
from PIL import Image, ImageOps, ImageStat
from pptx import Presentation
from pptx.util import Emu

from dashboard import exports, report_docx, report_pdf

BOM = b"\xef\xbb\xbf"
PICTURE = 13  # MSO_SHAPE_TYPE.PICTURE
MIN_TABLE_PT = 10
MIN_CHART_PT = 9
A4_PT = (595, 842)  # points, ±1
MONEY_TEXT = re.compile(r"-?\d{1,3}(,\d{3})*\.\d{2}")
RATE_TEXT = re.compile(r"-?\d+\.\d %")
SYNTH_DOCS = 40  # enough for two units with documents of several years
SYNTH_SEED = 20240601


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    """{page title: Pack} of every page with a meeting pack, on a fresh build of the seeds."""
    from loaders.build import build
    from tests.conftest import RAW

    out = tmp_path_factory.mktemp("exports") / "parquet"
    build(RAW, out)
    with pytest.MonkeyPatch.context() as mp:
        return capture_packs(out, mp)


@pytest.fixture(scope="module")
def decks(packs):
    return {title: exports.pack_pptx(pack) for title, pack in packs.items()}


@pytest.fixture(scope="module")
def pdfs(packs):
    return {title: report_pdf.pdf_bytes(pack) for title, pack in packs.items()}


@pytest.fixture(scope="module")
def words(packs):
    return {title: report_docx.docx_bytes(pack) for title, pack in packs.items()}


def test_every_page_with_the_buttons_gives_a_pack(packs):
    # 年度对比 offers none on the seeds: no unit has documents of two years
    assert set(packs) == set(PACK_PAGES.values()) - {"年度对比"}
    for title, pack in packs.items():
        assert pack.documents, title
        assert pack.charts or pack.printed_tables(), title


def test_budget_pack_has_every_column_of_the_page(packs):
    """The 预算执行 detail table keeps 申报预算: 福田's declaration shows its budget there."""
    pack = packs["预算执行"]
    name, first = pack.tables[0]
    assert "申报预算（万元）" in first.columns and "项目数" in first.columns
    futian = first[first["单位"].str.contains("福田")]
    assert len(futian) == 1 and futian["申报预算（万元）"].iloc[0] > 0
    assert not [c for c in first.columns if str(c).startswith("原文")]  # links stay in the app
    assert len(pack.printed_tables()) >= 3  # units, one unit's projects, 部门整体


# --- chart images -----------------------------------------------------------------------------


def test_chart_images_carry_the_caption(packs):
    for title, pack in packs.items():
        caption = pack.caption
        assert "数据日期" in caption and f"来源文档 {len(pack.documents)} 份" in caption
        assert "年度：全部（" in caption  # no year chosen: the years of the sources are named
        name, fig = pack.charts[0]
        plain = exports.figure_png(fig)
        png = exports.figure_png(fig, caption=caption)
        with Image.open(io.BytesIO(plain)) as a, Image.open(io.BytesIO(png)) as b:
            assert b.width == a.width and b.height > a.height + 2 * exports.CAPTION_LINE_PX
            assert (
                b.crop((0, 0, a.width, a.height)).convert("RGB").tobytes()
                == a.convert("RGB").tobytes()
            )
            strip = b.convert("L").crop((0, a.height + 4, b.width, b.height))
            assert ImageStat.Stat(strip).stddev[0] > 8, title  # text drawn, not blank
        svg = exports.figure_svg(fig, caption=caption).decode("utf-8")
        texts = re.findall(r'<g class="export-caption">.*?</g>', svg, re.S)
        assert len(texts) == 1
        lines = [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", texts[0])]
        assert "".join(lines).replace(" ", "") == caption.replace(" ", ""), title


def test_caption_is_legible_in_the_png(packs):
    """The caption strip read back by OCR names the data date and the sources."""
    from rapidocr_onnxruntime import RapidOCR

    pack = packs["预算执行"]
    png = exports.figure_png(pack.charts[0][1], caption=pack.caption)
    with Image.open(io.BytesIO(png)) as image:
        plain_height = exports.figure_size(pack.charts[0][1])[1] * exports.PNG_SCALE
        strip = image.convert("RGB").crop((0, plain_height, image.width, image.height))
    # read in halves with a white border: the detector misses a line across a 2,200 px strip
    ocr, text = RapidOCR(), ""
    for left in (0, strip.width // 2):
        half = ImageOps.expand(
            strip.crop((left, 0, left + strip.width // 2, strip.height)), 30, "white"
        )
        found, _ = ocr(np.array(half))
        text += "".join(line[1] for line in found or [])
    assert "数据日期" in text and "来源文档" in text


# --- CSV and XLSX ------------------------------------------------------------------------------


def shown_decimals(header: str) -> int | None:
    """Decimals the page shows, by header words (independently of exports.number_kind)."""
    if "万元" in header or "百分点" in header:
        return 2
    if "（%）" in header:
        return 1
    if any(w in header for w in ("得分", "分值", "失分", "总分")) and "核对" not in header:
        return 2
    if "率" in header:
        return 1
    return None


def test_csv_of_every_table_has_a_bom_and_rounded_numbers(packs):
    checked = 0
    for title, pack in packs.items():
        for name, frame in pack.printed_tables():
            data = exports.csv_bytes(frame)
            assert data.startswith(BOM)
            assert data.count(b"\n") == data.count(b"\r\n")
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
            assert rows[0] == [str(exports.formula_safe(str(c))) for c in frame.columns]
            for j, column in enumerate(frame.columns):
                series = frame.iloc[:, j]
                if not pd.api.types.is_float_dtype(series):
                    continue
                decimals = shown_decimals(str(column))
                for row, value in zip(rows[1 : len(frame) + 1], series, strict=True):
                    cell = row[j]
                    if pd.isna(value):
                        assert cell == ""
                        continue
                    places = len(cell.split(".")[1]) if "." in cell else 0
                    assert places <= 2, (title, name, column, cell)  # never 62.303474968517335
                    if decimals is not None:
                        assert places == decimals, (title, name, column, cell)
                        checked += 1
                    assert float(cell) == pytest.approx(float(value), abs=0.5 * 10**-places + 1e-9)
    assert checked > 100


def test_xlsx_keeps_full_precision_under_display_formats(packs):
    more_decimals = 0
    for title, pack in packs.items():
        tables = dict(pack.printed_tables())
        book = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(tables)))
        for sheet, frame in zip(book.worksheets, tables.values(), strict=True):
            header = [c.value for c in sheet[1]]
            for j, column in enumerate(frame.columns):
                series = frame.iloc[:, j]
                if not pd.api.types.is_float_dtype(series):
                    continue
                decimals = shown_decimals(str(column))
                for i, value in enumerate(series.tolist()[:50], start=2):
                    cell = sheet.cell(i, j + 1)
                    if pd.isna(value):
                        assert cell.value is None
                        continue
                    assert cell.value == pytest.approx(value, rel=1e-12, abs=1e-12)  # not rounded
                    more_decimals += abs(cell.value - round(value, 2)) > 1e-9
                    if decimals == 2 and "万元" in header[j]:
                        assert cell.number_format == "#,##0.00", (title, column)
                    elif decimals == 2:
                        assert cell.number_format == "0.00", (title, column)
                    elif decimals == 1:
                        assert cell.number_format == '0.0"%"', (title, column)
    assert more_decimals > 0  # some values carry more decimals than shown, and kept them


# --- PPTX --------------------------------------------------------------------------------------


def run_sizes(shape) -> list[float]:
    return [
        run.font.size.pt
        for row in shape.table.rows
        for cell in row.cells
        for paragraph in cell.text_frame.paragraphs
        for run in paragraph.runs
        if run.font.size is not None
    ]


def test_pptx_slides_all_have_content_at_readable_sizes(packs, decks):
    for title, pack in packs.items():
        assert_deck(title, pack, decks[title])


def assert_deck(title: str, pack: exports.Pack, data: bytes) -> None:
    """Every slide after the title shows a chart or a table with rows; chart text ≥ 9 pt and
    table text ≥ 10 pt; every row and every column of the pack's tables is on a slide."""
    deck = Presentation(io.BytesIO(data))
    slides = list(deck.slides)
    parts = [p for name, fig in pack.charts for p in exports.slide_charts(name, fig)]
    pictures = [s for s in slides[1:] if any(sh.shape_type == PICTURE for sh in s.shapes)]
    tables = [s for s in slides[1:] if any(sh.has_table for sh in s.shapes)]
    # every slide after the title shows a chart or a table, nothing else
    assert len(pictures) + len(tables) == len(slides) - 1, title
    assert len(pictures) == len(parts), title
    for slide, part in zip(pictures, parts, strict=True):
        (picture,) = [sh for sh in slide.shapes if sh.shape_type == PICTURE]
        heading = slide.shapes[1].text_frame.text
        assert heading == part.heading
        assert part.figure.layout.title.text is None  # the slide heading says it once
        with Image.open(io.BytesIO(picture.image.blob)) as image:
            px = image.width / exports.PNG_SCALE
        points_per_px = Emu(picture.width).inches * 72 / px
        smallest = exports.min_font_px(part.figure) * points_per_px
        assert smallest >= MIN_CHART_PT, (title, heading, smallest)
    rows = 0
    for slide in tables:
        (shape,) = [sh for sh in slide.shapes if sh.has_table]
        assert len(shape.table.rows) >= 2, title  # never a header-only table
        assert min(run_sizes(shape)) >= MIN_TABLE_PT, title
        rows += len(shape.table.rows) - 1
    printed = pack.printed_tables()
    assert rows == sum(min(len(f), exports.TABLE_MAX_ROWS) for _, f in printed), title
    headers = [
        [c.text for c in sh.table.rows[0].cells] for s in tables for sh in s.shapes if sh.has_table
    ]
    for _, frame in printed:  # every column of the page, in order
        assert [str(c) for c in frame.columns] in headers, title


def test_pptx_splits_the_tall_project_chart(packs, decks):
    """预算执行's chart of 33 projects runs over several slides, each bar label readable."""
    pack = packs["预算执行"]
    name, fig = next((n, f) for n, f in pack.charts if "各项目" in n)
    bars = len(fig.data[0].y)
    assert bars >= 30
    parts = exports.slide_charts(name, fig)
    assert len(parts) >= 2
    shown = []
    for part in parts:
        low, high = sorted(part.figure.layout.yaxis.range)
        shown += list(range(int(low + 0.5), min(int(high + 0.5), bars)))
    assert shown == list(range(bars))  # every bar once, in order
    assert all(p.points_per_px * exports.min_font_px(p.figure) >= MIN_CHART_PT for p in parts)


def test_pptx_rows_fill_the_slides_evenly(packs, decks):
    """预算执行's 33 one-line project rows take three slides (not 4–10 rows a slide), and a
    table's slides hold similar numbers of rows (no slide of one or two leftover rows)."""
    for title in packs:
        deck = Presentation(io.BytesIO(decks[title]))
        by_table: dict[str, list[int]] = {}
        for slide in deck.slides:
            for shape in slide.shapes:
                if shape.has_table:
                    heading = re.sub(r"（\d+/\d+）$", "", slide.shapes[1].text_frame.text)
                    by_table.setdefault(heading, []).append(len(shape.table.rows) - 1)
        for heading, rows in by_table.items():
            assert min(rows) >= max(rows) / 2, (title, heading, rows)
        if title == "预算执行":
            (projects,) = [r for h, r in by_table.items() if "各项目" in h]
            assert sum(projects) >= 30 and len(projects) <= 3, projects


# --- PDF ---------------------------------------------------------------------------------------


def test_pdf_is_a4_with_page_numbers_caption_and_text(packs, pdfs):
    landscape_pages = sum(assert_pdf(title, pack, pdfs[title]) for title, pack in packs.items())
    assert landscape_pages > 0  # wide tables turn their pages


def assert_pdf(title: str, pack: exports.Pack, data: bytes) -> int:
    """A4 pages numbered 第 n / N 页 under the caption, with the title, every table's name and
    headers and every chart's heading as text; returns the number of landscape pages."""
    landscape = 0
    document = pdfium.PdfDocument(data)
    pages = len(document)
    charts = sum(len(report_pdf.chart_parts(name, fig)) for name, fig in pack.charts)
    rows = sum(min(len(f), exports.TABLE_MAX_ROWS) for _, f in pack.printed_tables())
    assert 1 <= pages <= 2 + charts + rows / 5, (title, pages)  # no page of one row or less
    texts = []
    for number, page in enumerate(document, start=1):
        width, height = page.get_size()
        assert sorted((round(width), round(height))) == list(A4_PT), (title, width, height)
        landscape += width > height
        text = page.get_textpage().get_text_range()
        texts.append(text)
        assert f"第 {number} / {pages} 页" in text, (title, number)
        assert "数据日期" in text  # the caption heads every page
    everything = re.sub(r"\s+", "", "".join(texts))
    assert title in everything
    for name, frame in pack.printed_tables():
        assert re.sub(r"\s+", "", name) in everything, (title, name)
        for column in frame.columns:
            assert re.sub(r"\s+", "", str(column)) in everything, (title, column)
    for name, fig in pack.charts:
        heading = exports.plain_title(fig) or name
        assert re.sub(r"\s+", "", heading) in everything, (title, heading)
    return landscape


def test_pdf_wide_tables_are_landscape(packs, pdfs):
    """低执行率项目's table (ten columns with explanations) prints on landscape pages, its
    chart on a portrait one."""
    pack = packs["低执行率项目"]
    (name, frame), *_ = pack.printed_tables()
    assert report_pdf.table_wants_landscape(frame)
    document = pdfium.PdfDocument(pdfs["低执行率项目"])
    shapes = ["L" if p.get_size()[0] > p.get_size()[1] else "P" for p in document]
    assert shapes[0] == "P" and shapes[-1] == "L", shapes


# --- DOCX --------------------------------------------------------------------------------------


def test_docx_has_headings_tables_and_pictures(packs, words):
    for title, pack in packs.items():
        assert_docx(title, pack, words[title])


def assert_docx(title: str, pack: exports.Pack, data: bytes) -> None:
    """Title, one Heading 1 per chart picture and per table, Word tables with the page's
    columns and number formats at ≥ 10 pt, A4, the caption in the header, page numbers."""
    document = Document(io.BytesIO(data))
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Title", title) in styles
    headings = [text for style, text in styles if style == "Heading 1"]
    parts = [p for name, fig in pack.charts for p in report_docx.chart_parts(name, fig)]
    printed = pack.printed_tables()
    assert len(headings) == len(parts) + len(printed), title
    for name, _ in printed:
        assert name in headings
    assert len(document.inline_shapes) >= len(pack.charts)
    assert len(document.tables) == len(printed)
    for table, (name, frame) in zip(document.tables, printed, strict=True):
        assert len(table.rows) == min(len(frame), exports.TABLE_MAX_ROWS) + 1
        header = [c.text for c in table.rows[0].cells]
        assert header == [str(c) for c in frame.columns], (title, name)
        for j, column in enumerate(header):
            cells = [r.cells[j].text for r in list(table.rows)[1:] if r.cells[j].text != "—"]
            if "万元" in column and pd.api.types.is_numeric_dtype(frame.iloc[:, j]):
                assert all(MONEY_TEXT.fullmatch(c) for c in cells), (title, column, cells)
            if "（%）" in column and pd.api.types.is_numeric_dtype(frame.iloc[:, j]):
                assert all(RATE_TEXT.fullmatch(c) for c in cells), (title, column, cells)
        sizes = [
            run.font.size.pt
            for row in table.rows
            for cell in row.cells
            for paragraph in cell.paragraphs
            for run in paragraph.runs
        ]
        assert min(sizes) >= MIN_TABLE_PT
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert pack.caption in section.header.paragraphs[0].text
    assert "NUMPAGES" in section.footer._element.xml


def test_pdf_prints_hostile_names_as_text():
    """A unit named like markup ends neither the caption's CSS string nor the <style> element,
    and nothing in it runs: the PDF shows it as printed."""
    hostile = '"</style><script>document.title="x"</script>=1+1'
    frame = pd.DataFrame({"单位": [hostile], "预算（万元）": [1.5]})
    pack = exports.Pack(
        "低执行率项目",
        {"单位": [hostile]},
        "2025-03-01 09:30",
        [f"{hostile} 2023年"],
        [],
        [("明细", frame)],
        "绩效看板 · 低执行率项目",
        [2023],
    )
    page = report_pdf.report_html(pack)
    style = page[page.index("<style>") : page.index("</style>")]
    assert "<" not in style.replace("<style>", "")
    document = pdfium.PdfDocument(report_pdf.pdf_bytes(pack))
    text = re.sub(r"\s+", "", document[0].get_textpage().get_text_range())
    assert text.count(re.sub(r"\s+", "", hostile)) >= 3  # header caption, context, table cell
    assert "1.50" in text


def test_a_synthetic_corpus_exports_every_page_the_years_page_included(tmp_path):
    """On documents of several years per unit (synthetic), 年度对比 offers its pack too: every
    page's deck, PDF and Word report hold up as on the seeds."""
    from loaders.build import build
    from synth import write_corpus

    write_corpus(SYNTH_DOCS, SYNTH_SEED, tmp_path)
    build(tmp_path / "raw", tmp_path / "parquet")
    with pytest.MonkeyPatch.context() as mp:
        packs = capture_packs(tmp_path / "parquet", mp)
    assert set(packs) == set(PACK_PAGES.values())
    for title, pack in packs.items():
        assert_deck(title, pack, exports.pack_pptx(pack))
        assert_pdf(title, pack, report_pdf.pdf_bytes(pack))
        assert_docx(title, pack, report_docx.docx_bytes(pack))


def test_docx_holds_control_characters_from_a_document():
    """A name with a control character (read from a damaged file) is written, not refused."""
    frame = pd.DataFrame({"项目": ["甲\x01乙"], "预算（万元）": [1.0]})
    pack = exports.Pack("预算执行", {}, "", ["单位\x0b 2023年"], [], [("明细", frame)], "脚注")
    document = Document(io.BytesIO(report_docx.docx_bytes(pack)))
    assert document.tables[0].rows[1].cells[0].text == "甲\ufffd乙"
