"""Legacy Office and WPS files: .xls/.et read with xlrd, .doc/.wps converted by LibreOffice.

An .xls (and a WPS .et, which WPS saves in the same Excel 97 format) is read with xlrd into the
same lines as an .xlsx: every sheet, cached values, merged and empty cells empty, numbers,
dates and percentages as their number format prints them. A .doc (and a WPS .wps, a Word 97
file under another name) is converted to .docx by LibreOffice headless and read by the .docx
reader. The kind of file is told by its content, not its name: a renamed .xlsx/.docx is read as
one, text under an Office name is read as text, and a web page or RTF saved as .xls/.doc goes to
LibreOffice. Without LibreOffice a file that needs it gets a ReaderError that says what to
install or how to save the file; an .xls needs no LibreOffice.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import xlrd
from openpyxl.styles.numbers import is_date_format, is_timedelta_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel
from xlrd.compdoc import CompDoc

from .document import DecodeError, decode
from .readers import (
    FORMAT_LABELS,
    MAX_TEXT_CHARS,
    OLE_MAGIC,
    ReaderError,
    csv_bytes,
    docx_text,
    format_value,
    rows_text,
    xlsx_text,
)

log = logging.getLogger(__name__)

SHEET_SUFFIXES = (".xls", ".et")
DOCUMENT_SUFFIXES = (".doc", ".wps")
SUFFIXES = (*SHEET_SUFFIXES, *DOCUMENT_SUFFIXES)

ZIP_MAGIC = b"PK\x03\x04"
RTF_MAGIC = b"{\\rtf"
# OLE streams that say what an OLE file holds: an Excel workbook (BIFF8 / BIFF5) or Word text.
WORKBOOK_STREAMS = frozenset({"Workbook", "Book"})
WORD_STREAM = "WordDocument"
# An .xlsx/.docx with an open password is an OLE file holding the encrypted package.
ENCRYPTED_STREAMS = frozenset({"EncryptedPackage", "EncryptionInfo"})

# The largest legacy file read: xlrd holds a whole workbook in memory (a 12.8 MB .xls of 1.2
# million cells took 165 MB and 8 s); LibreOffice converts a 1.4 MB .doc of tables in about 4 s.
MAX_LEGACY_BYTES = 32 * 1024 * 1024
# One LibreOffice conversion may take this long before it is killed (a few seconds is usual;
# several conversions may run at once on a busy machine).
CONVERT_TIMEOUT_S = 180
# Address space a conversion may take (ulimit -v): a 1.4 MB .doc of tables converts within
# 512 MB; a document that needs more than this is refused rather than swapping the machine.
CONVERT_MEMORY_MB = 2048
# Conversions kept in memory by sha256, so that an import's preview, its trial parse and its
# build convert a file once.
CONVERTED_CACHE_ENTRIES = 8

# LibreOffice's export filter for each target, named: without it a web page opens in Writer/Web,
# which has no .docx export.
EXPORT_FILTERS = {"docx": "MS Word 2007 XML", "xlsx": "Calc MS Excel 2007 XML"}
INSTALL_HINT = "apt-get install libreoffice-writer libreoffice-calc"
# The private profile's settings: LibreOffice fetches a remote picture a document links to (a web
# page saved as .doc with <img src="http://…">) while converting; linked content from untrusted
# places is blocked, and any other request goes to a proxy that is not there (port 9, discard).
PROFILE_SETTINGS = (
    """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">\
<prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings">\
<prop oor:name="ooInetProxyType" oor:op="fuse"><value>1</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings">\
<prop oor:name="ooInetNoProxy" oor:op="fuse"><value></value></prop></item>
"""
    + "".join(
        f"""<item oor:path="/org.openoffice.Inet/Settings">\
<prop oor:name="ooInet{scheme}Proxy{key}" oor:op="fuse"><value>{value}</value></prop></item>
"""
        for scheme in ("HTTP", "HTTPS", "FTP")
        for key, value in (("Name", "127.0.0.1"), ("Port", "9"))
    )
    + "</oor:items>\n"
)

_converted: OrderedDict[tuple[str, str], bytes] = OrderedDict()
_converted_lock = threading.Lock()


class ConverterUnavailable(ReaderError):
    """LibreOffice is missing or did not finish: the file may read once it is there (retry)."""

    transient = True


# --- what the bytes are -------------------------------------------------------------------------


def sniff(raw: bytes) -> str:
    """The container of raw: "ole", "zip", "rtf", "markup" (HTML/XML), "text" or "binary"."""
    if raw.startswith(OLE_MAGIC):
        return "ole"
    if raw.startswith(ZIP_MAGIC):
        return "zip"
    if raw.startswith(RTF_MAGIC):
        return "rtf"
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<", b"mime-version")):
        return "markup"  # HTML, SpreadsheetML or a Word "web page" (.mht) saved under .xls/.doc
    try:
        decode(raw)
    except DecodeError:
        return "binary"
    return "text"


def ole_streams(raw: bytes) -> set[str]:
    """Names of the streams in an OLE compound file; empty when it cannot be read."""
    try:
        with open(os.devnull, "w") as quiet:
            return {entry.name for entry in CompDoc(raw, logfile=quiet).dirlist}
    except Exception:  # a damaged directory: the readers below say what is wrong
        return set()


# --- entry points -------------------------------------------------------------------------------


def read(raw: bytes, suffix: str) -> tuple[str | bytes, int]:
    """A legacy file's lines and its sheets or tables, by suffix (one of SUFFIXES).

    Text saved under an Office name (finance systems export CSV/TSV as .xls) comes back as bytes,
    to be decoded as any text file is (its encoding noted as usual). Raises ReaderError.
    """
    sheet = suffix in SHEET_SUFFIXES
    if raw.startswith(OLE_MAGIC) and ole_streams(raw) & ENCRYPTED_STREAMS:
        app, target = ("Excel/WPS 表格", "xlsx") if sheet else ("Word/WPS 文字", "docx")
        raise ReaderError(
            f"文件设置了打开密码（已加密），无法读取：请在{app}中取消密码后另存为 .{target} 再导入。"
        )
    return sheet_text(raw, suffix) if sheet else document_text(raw, suffix)


def sheet_text(raw: bytes, suffix: str) -> tuple[str | bytes, int]:
    """An .xls or .et workbook as the lines xlsx_text gives. Raises ReaderError."""
    label = FORMAT_LABELS[suffix]
    _check_size(raw, label)
    container = sniff(raw)
    if container == "zip":
        return xlsx_text(raw)  # an .xlsx under an old name
    if container == "text":
        # tab-separated text as it is (the seeds' own form); comma-separated cells re-joined
        return (raw if b"\t" in raw[:65536] else csv_bytes(raw)), 1
    if container == "ole":
        streams = ole_streams(raw)
        if WORD_STREAM in streams and not streams & WORKBOOK_STREAMS:
            raise ReaderError(
                f"这不是有效的{label}（文件中是文字文档而不是工作表，可能是 Word/WPS 文字文件），"
                "请确认文件类型，或在 Excel/WPS 中另存为 .xlsx 后重新导入。"
            )
        if streams and not streams & WORKBOOK_STREAMS:
            # no Excel 97 workbook inside (an older WPS 表格 format): only LibreOffice may know it
            return xlsx_text(office_convert(raw, suffix, "xlsx", label))
        # No LibreOffice fallback when xlrd fails: LibreOffice "opens" a truncated or damaged
        # .xls without complaint and gives rows of noise, which must not pass for a sheet.
        try:
            return xls_text(raw)
        except _Encrypted as exc:
            raise ReaderError(
                f"{label}设置了打开密码，无法读取：请在 Excel/WPS 中取消密码后另存为 .xlsx 再导入。"
            ) from exc
    if container == "markup":
        return xlsx_text(office_convert(raw, ".xls", "xlsx", label))
    raise ReaderError(
        f"这不是有效的{label}（无法识别的文件内容，可能已损坏），"
        "请在 Excel/WPS 中另存为 .xlsx 后重新导入。"
    )


def document_text(raw: bytes, suffix: str) -> tuple[str | bytes, int]:
    """A .doc or .wps document as the lines docx_text gives. Raises ReaderError."""
    label = FORMAT_LABELS[suffix]
    _check_size(raw, label)
    container = sniff(raw)
    if container == "zip":
        return docx_text(raw)  # a .docx under an old name
    if container == "text":
        return raw, 0
    if container == "ole":
        streams = ole_streams(raw)
        if streams & WORKBOOK_STREAMS and WORD_STREAM not in streams:
            raise ReaderError(
                f"这不是有效的{label}（文件中是工作表，可能是 Excel/WPS 表格），"
                "请确认文件类型，或另存为 .xlsx 后重新导入。"
            )
        # Kingsoft WPS Writer saves .wps as a Word 97 file: LibreOffice opens it as a .doc.
        # Any other .wps (Microsoft Works) keeps its name, so LibreOffice picks its Works filter.
        name = ".doc" if WORD_STREAM in streams or suffix == ".doc" else suffix
        return docx_text(office_convert(raw, name, "docx", label))
    if container in ("rtf", "markup"):
        # Word's "save as" RTF or web page (.mht/.html) under a .doc name, as sites publish them
        return docx_text(
            office_convert(raw, ".rtf" if container == "rtf" else ".doc", "docx", label)
        )
    raise ReaderError(
        f"这不是有效的{label}（无法识别的文件内容，可能已损坏），"
        "请在 Word/WPS 中另存为 .docx 后重新导入。"
    )


def _check_size(raw: bytes, label: str) -> None:
    if len(raw) > MAX_LEGACY_BYTES:
        raise ReaderError(
            f"{label}过大（{len(raw) / 2**20:.0f} MB，上限 {MAX_LEGACY_BYTES // 2**20} MB），"
            "请拆分或另存为 .xlsx/.docx 后再导入。"
        )


# --- xls ----------------------------------------------------------------------------------------


class _Encrypted(ReaderError):
    pass


def xls_text(raw: bytes) -> tuple[str, int]:
    """Every sheet of an Excel 97–2003 workbook as tab-separated lines, as xlsx_text reads one."""
    label = FORMAT_LABELS[".xls"]
    try:
        with open(os.devnull, "w") as quiet:
            # on_demand: one sheet in memory at a time; ragged_rows: a row only as long as its
            # last cell (not padded to the widest row, which a stray far cell makes huge)
            book = xlrd.open_workbook(
                file_contents=raw,
                formatting_info=True,
                on_demand=True,
                ragged_rows=True,
                logfile=quiet,
            )
    except Exception as exc:  # xlrd raises XLRDError, struct.error, IndexError … when damaged
        if "encrypted" in str(exc).lower():
            raise _Encrypted(str(exc)) from exc
        raise ReaderError(
            f"这不是有效的{label}（{_reason(exc)}），可能已损坏或不完整："
            "请在 Excel/WPS 中打开后另存为 .xlsx 再导入。"
        ) from exc
    sheets: list[str] = []
    size = 0
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            text = rows_text(_xls_rows(book, sheet))
            book.unload_sheet(index)
            size += len(text)
            if size > MAX_TEXT_CHARS:
                raise ReaderError(
                    f"{label}内容过多（超过 {MAX_TEXT_CHARS // 2**20} M 字符），请拆分后再导入。"
                )
            sheets.append(text)
    except ReaderError:
        raise
    except Exception as exc:
        raise ReaderError(
            f"读取{label}时出错（{_reason(exc)}），可能已损坏：请在 Excel/WPS 中另存为 .xlsx 再导入。"
        ) from exc
    finally:
        book.release_resources()
    return "\n\n".join(sheets), len(sheets)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:80]}" if text else type(exc).__name__


def _xls_rows(book, sheet):
    """Cell strings of each row, as stored: like xlsx_text, the cells a merge covers come out
    empty because Excel and WPS store them empty (nothing is set up per merged range, which a
    workbook merging whole columns would make huge)."""
    formats: dict[int, tuple[str, bool, bool]] = {}
    for r in range(sheet.nrows):
        yield [_xls_cell(book, cell, formats) for cell in sheet.row(r)]


def _xls_cell(book, cell, formats: dict[int, tuple[str, bool, bool]]) -> str:
    """A cell as openpyxl would give it to format_value: number, date, bool, error or text."""
    kind, value = cell.ctype, cell.value
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if kind == xlrd.XL_CELL_TEXT:
        return format_value(value)
    if kind == xlrd.XL_CELL_BOOLEAN:
        return format_value(bool(value))
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#N/A")
    if cell.xf_index not in formats:
        fmt = _number_format(book, cell.xf_index)
        formats[cell.xf_index] = (fmt, is_date_format(fmt), is_timedelta_format(fmt))
    fmt, is_date, is_timedelta = formats[cell.xf_index]
    if is_date:
        epoch = MAC_EPOCH if book.datemode else WINDOWS_EPOCH
        try:
            return format_value(from_excel(value, epoch, timedelta=is_timedelta), fmt)
        except (OverflowError, ValueError):
            return "#VALUE!"  # as openpyxl reads a date serial out of range
    return format_value(value, fmt)


def _number_format(book, xf_index: int | None) -> str:
    try:
        return book.format_map[book.xf_list[xf_index].format_key].format_str or "General"
    except (IndexError, KeyError, TypeError):
        return "General"


# --- LibreOffice --------------------------------------------------------------------------------


def find_soffice() -> str | None:
    """LibreOffice's soffice on PATH, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _missing(label: str, target: str) -> ConverterUnavailable:
    app = "Excel/WPS 表格" if target == "xlsx" else "Word/WPS 文字"
    return ConverterUnavailable(
        f"读取{label}需要 LibreOffice，但本机未安装：请以 root 运行 {INSTALL_HINT}"
        f"（或重新运行 ./run.sh，它会自动安装），或在{app}中另存为 .{target} 后重新导入。"
    )


def office_convert(raw: bytes, name_suffix: str, target: str, label: str) -> bytes:
    """raw converted by LibreOffice headless to target ("docx" or "xlsx"); its bytes.

    The input is written as in<name_suffix> (the name guides LibreOffice's choice of filter), in a
    private temporary folder with its own LibreOffice profile, so that conversions running at
    once do not share (and lock) one profile. The process group is killed after
    CONVERT_TIMEOUT_S. Raises ConverterUnavailable (missing, timed out) or ReaderError.
    """
    key = (hashlib.sha256(raw).hexdigest(), f"{name_suffix}>{target}")
    with _converted_lock:
        if key in _converted:
            _converted.move_to_end(key)
            return _converted[key]
    soffice = find_soffice()
    if soffice is None:
        raise _missing(label, target)
    with tempfile.TemporaryDirectory(prefix="legacy-office-") as tmp:
        folder = Path(tmp)
        source = folder / f"in{name_suffix}"
        source.write_bytes(raw)
        out = folder / "out"
        settings = folder / "profile" / "user" / "registrymodifications.xcu"
        settings.parent.mkdir(parents=True)
        settings.write_text(PROFILE_SETTINGS, "utf-8")
        command = [
            "/bin/sh",
            "-c",
            f'ulimit -v {CONVERT_MEMORY_MB * 1024} && exec "$@"',
            "sh",
            soffice,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            "--convert-to",
            f"{target}:{EXPORT_FILTERS[target]}",
            "--outdir",
            str(out),
            str(source),
        ]
        # HOME inside the folder: nothing of the user's LibreOffice settings is read or written
        env = {**os.environ, "HOME": str(folder), "SAL_USE_VCLPLUGIN": "svp"}
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
            start_new_session=True,  # its own process group: soffice.bin is killed with it
        )
        try:
            output, _ = process.communicate(timeout=CONVERT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise ConverterUnavailable(
                f"LibreOffice 转换{label}超过 {CONVERT_TIMEOUT_S} 秒未完成，已停止："
                "请稍后重新构建，或另存为 .docx/.xlsx 后重新导入。"
            ) from None
        finally:
            _kill_group(process)  # a helper left behind must not outlive the conversion
        result = out / f"in.{target}"
        if not result.is_file():
            said = output.decode("utf-8", "replace")
            log.info("LibreOffice did not convert a %s: %s", name_suffix, said.strip()[-300:])
            app = "Excel/WPS 表格" if target == "xlsx" else "Word/WPS 文字"
            if process.returncode != 0:  # crashed or could not start (out of memory …)
                raise ReaderError(
                    f"LibreOffice 转换{label}时异常退出（代码 {process.returncode}，文件可能过大、"
                    f"过于复杂或已损坏）：请在{app}中打开后另存为 .{target} 再导入。"
                )
            raise ReaderError(
                f"LibreOffice 无法打开该{label}（文件可能已损坏、已加密或不是{label}）："
                f"请在{app}中打开后另存为 .{target} 再导入。"
            )
        data = result.read_bytes()
    with _converted_lock:
        _converted[key] = data
        while len(_converted) > CONVERTED_CACHE_ENTRIES:
            _converted.popitem(last=False)
    return data


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def clear_cache() -> None:
    """Forget the conversions kept in memory (tests count conversions)."""
    with _converted_lock:
        _converted.clear()
