"""Test helpers: a seed's rows as an .xlsx or .docx, a zip bomb, and folder hashes."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import zipfile
from pathlib import Path

import docx
import openpyxl

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"
_NUMBER = re.compile(r"^-?\d+(?:\.(\d+))?$")
_PERCENT = re.compile(r"^(\d+(?:\.(\d+))?)%$")


def seed_bytes(prefix: str) -> bytes:
    (path,) = sorted(RAW.glob(f"{prefix}*.txt"))
    return path.read_bytes()


def seed_lines(prefix: str) -> list[str]:
    return seed_bytes(prefix).decode("utf-8").split("\n")


def _decimals_format(decimals: str | None) -> str:
    return "0." + "0" * len(decimals) if decimals else "0"


def xlsx_from_lines(lines: list[str], sheets: int = 1) -> bytes:
    """A workbook with one row per line and one cell per tab-separated cell.

    Numbers become numeric cells with a number format that prints them as in the text
    (53.59 -> 0.00, 97% -> 0%), as a spreadsheet exported from the published form holds them.
    Extra sheets (sheets > 1) hold a short note after the seed's sheet.
    """
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "自评表"
    for r, line in enumerate(lines, 1):
        for c, text in enumerate(line.split("\t"), 1):
            if not text:
                continue
            number, percent = _NUMBER.match(text), _PERCENT.match(text)
            if number:
                cell = sheet.cell(r, c, float(text))
                cell.number_format = _decimals_format(number.group(1))
            elif percent:
                cell = sheet.cell(r, c, float(percent.group(1)) / 100)
                cell.number_format = _decimals_format(percent.group(2)) + "%"
            else:
                sheet.cell(r, c, text)
    for n in range(2, sheets + 1):
        book.create_sheet(f"附表{n}").append(["说明", f"第{n}页"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def docx_from_lines(lines: list[str]) -> bytes:
    """A Word document: runs of tab-separated lines become tables, other lines paragraphs."""
    document = docx.Document()
    i = 0
    while i < len(lines):
        if "\t" not in lines[i]:
            document.add_paragraph(lines[i])
            i += 1
            continue
        j = i
        while j < len(lines) and "\t" in lines[j]:
            j += 1
        rows = [line.split("\t") for line in lines[i:j]]
        table = document.add_table(rows=len(rows), cols=max(map(len, rows)))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.cell(r, c).text = text
        i = j
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bomb(member: str = "xl/worksheets/sheet1.xml", megabytes: int = 40) -> bytes:
    """An .xlsx-shaped zip whose sheet inflates from a few KB to many MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr(member, b"<" + b" " * (megabytes * 2**20) + b"/>")
    return buffer.getvalue()


def plain_zip(names: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def folder_hashes(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under folder (hidden ones included)."""
    folder = Path(folder)
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def copy_raw(target: Path, leave_out: tuple[str, ...] = ()) -> Path:
    """A copy of data/raw in target without the seeds whose names start with leave_out."""
    target.mkdir(parents=True, exist_ok=True)
    for path in RAW.iterdir():
        if path.is_file() and not path.name.startswith(leave_out or ("\0",)):
            shutil.copy2(path, target / path.name)
    return target


def served_seeds(root: Path, monkeypatch) -> tuple[Path, Path]:
    """A built copy of data/raw under root/data, set as the app's raw and parquet folders (for
    tests that change the data: corrections, imports); returns (raw, parquet)."""
    from loaders.build import build

    raw = copy_raw(root / "data" / "raw")
    out = root / "data" / "parquet"
    build(raw, out)
    monkeypatch.setenv("DASHBOARD_RAW_DIR", str(raw))
    monkeypatch.setenv("DASHBOARD_PARQUET_DIR", str(out))
    return raw, out
