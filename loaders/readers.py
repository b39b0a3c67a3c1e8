"""Readers by file extension: xlsx, docx, csv and pdf become the tab-separated text the loaders parse.

A spreadsheet row or a Word table row becomes one line with its cells separated by tabs (merged
and empty cells are empty cells); Word paragraphs are lines, in document order. Every sheet of a
workbook is read, separated by one empty line, so line N of the first sheet is its row N.
A PDF's pages become rows of positioned cells (loaders/pdf.py), so its text also comes with a
Geometry: the page and box of every line, for source_page / source_box and the 原文 view.
.xls/.et/.doc/.wps go through legacy.py to the same lines.
`.txt`, `.md`, `.tsv` and unknown extensions pass through unchanged; decoding stays in
document.py. Office files are zip archives: they are checked for zip bombs before opening.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from .document import DecodeError, decode
from .findings import Finding
from .pages import Geometry

# Suffixes the import accepts; the build also reads them when found in data/raw.
TEXT_SUFFIXES = (".txt", ".md", ".tsv")
# .xls/.et/.doc/.wps are read by loaders/legacy.py (xlrd; LibreOffice for .doc and .wps).
LEGACY_SUFFIXES = (".xls", ".et", ".doc", ".wps")
# Scans and photos, read by OCR (loaders/ocr.py).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
# Paged formats: their text comes with a Geometry (page and box of every line).
PAGED_SUFFIXES = (".pdf", *IMAGE_SUFFIXES)
SUFFIXES = (*TEXT_SUFFIXES, ".csv", ".xlsx", ".docx", *LEGACY_SUFFIXES, *PAGED_SUFFIXES)
FORMAT_LABELS = {
    ".txt": "文本",
    ".md": "Markdown 文本",
    ".tsv": "制表符分隔文本",
    ".csv": "CSV 表格",
    ".xlsx": "Excel 工作簿",
    ".docx": "Word 文档",
    ".xls": "Excel 97-2003 工作簿",
    ".et": "WPS 表格工作簿",
    ".doc": "Word 97-2003 文档",
    ".wps": "WPS 文字文档",
    ".png": "PNG 图片（扫描件或照片）",
    ".jpg": "JPEG 图片（扫描件或照片）",
    ".jpeg": "JPEG 图片（扫描件或照片）",
    ".pdf": "PDF 文件",
}
# Zip bomb limits for xlsx/docx: total unpacked size, entries, and the packing ratio of any
# entry larger than ZIP_RATIO_FROM_BYTES (spreadsheet XML packs about 10:1, rarely 100:1).
ZIP_MAX_UNPACKED_BYTES = 256 * 1024 * 1024
ZIP_MAX_ENTRIES = 10_000
ZIP_MAX_RATIO = 200
ZIP_RATIO_FROM_BYTES = 1024 * 1024
# Longest converted text: beyond this the file is refused rather than parsed for minutes.
MAX_TEXT_CHARS = 64 * 1024 * 1024
# Significant digits of a number shown in Excel's General format.
GENERAL_DIGITS = 15

_CELL_BREAKS = re.compile(r" *[\t\r\n\v\f]+ *")
_DECIMALS = re.compile(r"\.([0#?]+)")


class ReaderError(ValueError):
    """The file cannot be read as the format its extension names; the message says why."""

    # True where reading again later may succeed (a converter missing or timed out): the build
    # does not keep such a result in its cache.
    transient = False


@dataclass(frozen=True)
class Converted:
    """A file's content as bytes for document.decode, and what it was read as.

    A paged file (PDF, image) also gives its geometry (page and box of every line of the text),
    its page count and how many pages OCR read, and what the reader noticed (a scanned page
    without OCR, a truncated file): findings the build adds to the document's.
    """

    data: bytes
    suffix: str
    label: str
    parts: int = 1  # sheets of a workbook, tables of a Word document, pages of a PDF or an image
    geometry: Geometry | None = None
    pages: int | None = None
    ocr_pages: int | None = None
    findings: tuple[Finding, ...] = ()


def suffix_of(name: str) -> str:
    return PurePath(name).suffix.lower()


# Office files whose bytes are an OLE compound file: legacy Office, or encrypted OOXML.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLD_NAMES = {".xlsx": ".xls", ".docx": ".doc"}


def convert(source_file: str, raw: bytes, progress=None) -> Converted:
    """raw as decodable text bytes, chosen by source_file's extension. Raises ReaderError.

    progress(done, total), for paged files (PDF pages, scans and photos), is called as each page
    is read.
    """
    suffix = suffix_of(source_file)
    label = FORMAT_LABELS.get(suffix, "文本")
    if suffix in IMAGE_SUFFIXES:
        return image_converted(source_file, raw, progress)
    if suffix in LEGACY_SUFFIXES or (suffix in _OLD_NAMES and raw.startswith(OLE_MAGIC)):
        from . import legacy

        # an .xls/.doc renamed .xlsx/.docx (or an encrypted one) is read by its content
        content, parts = legacy.read(raw, _OLD_NAMES.get(suffix, suffix))
        if isinstance(content, bytes):  # text saved under an Office name
            return Converted(content, suffix, label, parts)
        text = content
    elif suffix == ".xlsx":
        text, parts = xlsx_text(raw)
    elif suffix == ".docx":
        text, parts = docx_text(raw)
    elif suffix == ".csv":
        return Converted(csv_bytes(raw), suffix, label)
    elif suffix == ".pdf":
        return pdf_converted(raw, progress)
    else:
        return Converted(raw, suffix, label)
    if len(text) > MAX_TEXT_CHARS:
        raise ReaderError(
            f"{label}内容过多（超过 {MAX_TEXT_CHARS // 2**20} M 字符），请拆分后再导入。"
        )
    return Converted(text.encode("utf-8"), suffix, label, parts)


def cell_text(text: str) -> str:
    """A cell's text on one line: line breaks and tabs inside a cell become single spaces."""
    return _CELL_BREAKS.sub(" ", text).strip(" ")


def rows_text(rows, trim: bool = True) -> str:
    """Rows of cell strings as tab-separated lines; with trim, trailing empty cells dropped.

    A sheet has no table edges, so its rows are trimmed (a row without values is a blank line);
    a Word table row keeps all its cells, as text pulled from a PDF table does ("\t" for a row
    of two empty cells), which the one-cell-per-line parsers rely on.
    """
    out = []
    for row in rows:
        cells = list(row)
        while trim and cells and not cells[-1]:
            cells.pop()
        out.append("\t".join(cells))
    return "\n".join(out)


# --- zip containers ---------------------------------------------------------------------------


def check_zip(raw: bytes, label: str, required: str) -> zipfile.ZipFile:
    """Open an Office file's zip container after checking it is one and is no zip bomb.

    zipfile never inflates an entry beyond the size its header declares, so checking the
    declared sizes bounds what openpyxl and python-docx will unpack.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise ReaderError(
            f"这不是有效的{label}（无法作为压缩包打开：可能已加密、已损坏或是旧版 .xls/.doc），"
            "请用 Office 另存为 .xlsx/.docx 后重新导入。"
        ) from exc
    if len(infos) > ZIP_MAX_ENTRIES:
        raise ReaderError(f"{label}包含的部件过多（{len(infos)} 个），疑似压缩炸弹，已拒绝。")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > ZIP_MAX_UNPACKED_BYTES:
        raise ReaderError(
            f"{label}解压后过大（{unpacked / 2**20:.0f} MB），疑似压缩炸弹，已拒绝：请拆分后再导入。"
        )
    for info in infos:
        if info.file_size > ZIP_RATIO_FROM_BYTES and (
            info.file_size > ZIP_MAX_RATIO * max(1, info.compress_size)
        ):
            raise ReaderError(
                f"{label}中的 {info.filename} 压缩比异常（超过 {ZIP_MAX_RATIO}:1），"
                "疑似压缩炸弹，已拒绝。"
            )
    if required not in archive.namelist():
        raise ReaderError(
            f"这不是有效的{label}（压缩包中没有 {required}），请确认文件类型后重新导入。"
        )
    return archive


# --- xlsx -------------------------------------------------------------------------------------


def xlsx_text(raw: bytes) -> tuple[str, int]:
    """Every sheet's rows as tab-separated lines; formulas give their cached values."""
    import openpyxl

    label = FORMAT_LABELS[".xlsx"]
    check_zip(raw, label, "xl/workbook.xml")
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise ReaderError(
            f"这不是有效的{label}（{type(exc).__name__}），请用 Excel 另存为 .xlsx 后重新导入。"
        ) from exc
    try:
        sheets = []
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # some writers record a wrong used range
            rows = sheet.iter_rows(min_row=1, min_col=1)
            sheets.append(rows_text([_xlsx_cell(c) for c in row] for row in rows))
    except Exception as exc:
        raise ReaderError(
            f"读取{label}时出错（{type(exc).__name__}），请用 Excel 另存为 .xlsx 后重新导入。"
        ) from exc
    finally:
        book.close()
    return "\n\n".join(sheets), len(sheets)


def _xlsx_cell(cell) -> str:
    value = getattr(cell, "value", None)
    fmt = getattr(cell, "number_format", None) or "General"
    return format_value(value, fmt)


def format_value(value, number_format: str = "General") -> str:
    """A cell value as Excel prints it with its number format (dates, percentages, decimals)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return _format_date(value, number_format)
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, int | float):
        return _format_number(value, number_format)
    return cell_text(str(value))


def _format_number(value: float, number_format: str) -> str:
    section = number_format.split(";")[0]
    match = _DECIMALS.search(section)
    decimals = len(match.group(1)) if match else 0
    if "%" in section:
        return f"{value * 100:.{decimals}f}%"
    if section.lower() == "general" or not re.search(r"[0#?]", section):
        if isinstance(value, int) or float(value).is_integer():
            return str(int(value))
        return f"{value:.{GENERAL_DIGITS}g}"
    return f"{value:.{decimals}f}"


def _format_date(value, number_format: str) -> str:
    fmt = number_format.lower()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if "s" in fmt else "%H:%M")
    if "年" in number_format or "月" in number_format:
        text = ""
        if "y" in fmt or "年" in number_format:
            text += f"{value.year}年"
        text += f"{value.month}月"
        if "d" in fmt or "日" in number_format:
            text += f"{value.day}日"
    elif "/" in fmt:
        text = f"{value.year}/{value.month}/{value.day}"
    else:
        text = f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if isinstance(value, dt.datetime) and "h" in fmt:
        text += " " + value.strftime("%H:%M:%S" if "s" in fmt else "%H:%M")
    return text


# --- docx -------------------------------------------------------------------------------------


def docx_text(raw: bytes) -> tuple[str, int]:
    """Paragraphs as lines and table rows as tab-separated lines, in document order."""
    import docx
    from docx.oxml.ns import qn

    label = FORMAT_LABELS[".docx"]
    check_zip(raw, label, "word/document.xml")
    try:
        body = docx.Document(io.BytesIO(raw)).element.body
    except Exception as exc:  # python-docx raises many kinds for a damaged document
        raise ReaderError(
            f"这不是有效的{label}（{type(exc).__name__}），请用 Word 另存为 .docx 后重新导入。"
        ) from exc
    lines: list[str] = []
    tables = 0
    tags = {"p": qn("w:p"), "tbl": qn("w:tbl"), "sdt": qn("w:sdt"), "content": qn("w:sdtContent")}
    for element in _blocks(body, tags):
        if element.tag == tags["p"]:
            lines.extend(_paragraph_text(element).split("\n"))
        else:
            tables += 1
            lines.append(rows_text(_table_rows(element), trim=False))
    return "\n".join(lines), tables


def _blocks(parent, tags):
    """Body-level paragraphs and tables, looking inside content controls (w:sdt)."""
    for child in parent.iterchildren():
        if child.tag in (tags["p"], tags["tbl"]):
            yield child
        elif child.tag == tags["sdt"]:
            for content in child.iterchildren(tags["content"]):
                yield from _blocks(content, tags)


# Runs whose text a reader sees: plain, hyperlinks, tracked insertions, simple fields.
_RUNS = "w:r | w:hyperlink | w:ins/w:r | w:fldSimple/w:r | w:smartTag/w:r"


def _paragraph_text(p) -> str:
    return "".join(e.text for e in p.xpath(_RUNS))


def _table_rows(tbl):
    """Cells of each row: a merged cell's text once, then empty cells for the span it covers."""
    from docx.oxml.ns import qn

    for tr in tbl.tr_lst:
        cells = [""] * _grid_skip(tr, "w:gridBefore")
        for tc in tr.tc_lst:
            continued = tc.vMerge == "continue"
            cells.append("" if continued else _cell_text(tc, qn))
            cells.extend([""] * (tc.grid_span - 1))
        yield cells


def _grid_skip(tr, tag: str) -> int:
    from docx.oxml.ns import qn

    props = tr.trPr
    node = props.find(qn(tag)) if props is not None else None
    return int(node.get(qn("w:val"), 0)) if node is not None else 0


def _cell_text(tc, qn) -> str:
    parts = [_paragraph_text(p) for p in tc.iter(qn("w:p"))]
    return cell_text(" ".join(p for p in parts if p.strip()))


# --- images -----------------------------------------------------------------------------------


def image_converted(source_file: str, raw: bytes, progress=None) -> Converted:
    """A scan or photo read by OCR: its rows as tab-separated lines, their geometry, and the
    findings on values read with low confidence (loaders/ocr.py)."""
    from . import ocr
    from .pages import tabulate

    suffix = suffix_of(source_file)
    rows, pages, findings = ocr.read_image_file(raw, source_file, progress)
    text, geometry = tabulate(rows, pages)
    return Converted(
        text.encode("utf-8"),
        suffix,
        FORMAT_LABELS[suffix],
        parts=len(pages),
        geometry=geometry,
        pages=len(pages),
        ocr_pages=len(pages),
        findings=tuple(findings),
    )


# --- pdf --------------------------------------------------------------------------------------


def pdf_converted(raw: bytes, progress=None) -> Converted:
    """A PDF's pages as tab-separated rows with their geometry (loaders/pdf.py)."""
    from . import pdf

    label = FORMAT_LABELS[".pdf"]
    if not raw.lstrip()[:1024].startswith(b"%PDF") and b"%PDF-" not in raw[:1024]:
        raise ReaderError(
            f"这不是有效的{label}（文件开头没有 %PDF 标记），请确认文件类型后重新导入。"
        )
    try:
        read = pdf.read(raw, progress)
    except pdf.PdfError as exc:
        raise ReaderError(str(exc)) from exc
    if len(read.text) > MAX_TEXT_CHARS:
        raise ReaderError(
            f"{label}内容过多（超过 {MAX_TEXT_CHARS // 2**20} M 字符），请拆分后再导入。"
        )
    if not read.text.strip():
        scanned = any(f.code == "SCANNED_PAGE" for f in read.findings)
        skipped = [f.message for f in read.findings if f.code == "UNREADABLE"]
        raise ReaderError(
            f"{label}共 {read.pages} 页，"
            + (
                "都是扫描图像（没有文字层），本机未安装文字识别（OCR），无法读取。"
                if scanned
                else "没有读出任何文字" + (f"：{skipped[0]}" if skipped else "。")
            )
        )
    return Converted(
        read.text.encode("utf-8"),
        ".pdf",
        label,
        parts=read.pages,
        geometry=read.geometry,
        pages=read.pages,
        ocr_pages=read.ocr_pages,
        findings=tuple(read.findings),
    )


# --- csv --------------------------------------------------------------------------------------


def csv_bytes(raw: bytes) -> bytes:
    """Comma- or semicolon-separated cells re-joined with tabs, in the file's own encoding.

    A file that is not decodable or already tab-separated passes through unchanged, so the
    usual decoding reports it.
    """
    try:
        decoded = decode(raw)
    except DecodeError:
        return raw
    sample = decoded.text[:20_000]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    if delimiter == "\t":
        return raw
    rows = csv.reader(io.StringIO(decoded.text, newline=""), delimiter=delimiter)
    text = rows_text([cell_text(c) for c in row] for row in rows)
    try:
        return text.encode(decoded.encoding)
    except (UnicodeEncodeError, LookupError):
        return text.encode("utf-8")
