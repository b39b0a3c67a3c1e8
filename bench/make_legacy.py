"""Legacy Office test material: synthetic documents as .xlsx/.docx, converted to .xls/.et/.doc/.wps.

Usage:
  .venv/bin/python bench/make_legacy.py                 # rewrite tests/fixtures/legacy/
  .venv/bin/python bench/make_legacy.py --corpus 40     # bench: 40 documents, read back, figures

Documents come from the synthetic generator (synth.generate, tab layout), written the way an
office keeps them: a workbook with numeric cells under number formats (0.00, 0.00%) and the
title merged across the table, or a Word document of tables and paragraphs. LibreOffice
headless converts them to Excel 97 (.xls) and Word 97 (.doc); `--convert-to et` and
`--convert-to wps` write the same Excel 97 / Word 97 bytes under the WPS names, as WPS Office
itself saves them for compatibility. The fixture set keeps the truth (kind, unit, year, project
and indicator counts) in truth.json; the bench builds every file and its .xlsx/.docx source and
counts how many give the same tables.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIXTURES = ROOT / "tests" / "fixtures" / "legacy"
SEED = 12
# (name, generator index): a 项目支出绩效自评表 set of 15 projects and a 绩效目标申报表.
FIXTURE_DOCS = (("eval_tables", 471), ("declaration", 77))
# Which legacy files each source becomes, and LibreOffice's output format for each.
SHEET_TARGETS = ("xls", "et")
DOCUMENT_TARGETS = ("doc", "wps")
CONVERT_TIMEOUT_S = 600

_NUMBER = re.compile(r"^-?\d+(?:\.(\d+))?$")
_PERCENT = re.compile(r"^(-?\d+(?:\.(\d+))?)%$")

log = logging.getLogger("make_legacy")


def _decimals_format(decimals: str | None) -> str:
    return "0." + "0" * len(decimals) if decimals else "0"


def xlsx_of(text: str) -> bytes:
    """A workbook with one row per line, one cell per tab-separated cell.

    Numbers are numeric cells whose number format prints them as the text did (53.59 -> 0.00,
    97.5% -> 0.0%); a line of one cell followed by a wider table is a title merged across it.
    """
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "自评表"
    lines = text.split("\n")
    width = max(len(line.split("\t")) for line in lines)
    for r, line in enumerate(lines, 1):
        cells = line.split("\t")
        for c, value in enumerate(cells, 1):
            if not value:
                continue
            number, percent = _NUMBER.match(value), _PERCENT.match(value)
            if number:
                cell = sheet.cell(r, c, float(value))
                cell.number_format = _decimals_format(number.group(1))
            elif percent:
                cell = sheet.cell(r, c, float(percent.group(1)) / 100)
                cell.number_format = _decimals_format(percent.group(2)) + "%"
            else:
                sheet.cell(r, c, value)
        if len(cells) == 1 and cells[0] and width > 1 and r < len(lines):
            sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def docx_of(text: str) -> bytes:
    """A Word document: runs of tab-separated lines become tables, other lines paragraphs.

    A document never ends in a table (Word always keeps a paragraph after one; LibreOffice
    drops a table that ends a document when it writes .doc).
    """
    import docx

    document = docx.Document()
    lines = text.split("\n")
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
        table.style = "Table Grid"
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                table.cell(r, c).text = value
        i = j
    if lines and "\t" in lines[-1]:
        document.add_paragraph("")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def convert(sources: list[Path], target: str, out: Path) -> float:
    """Convert sources with one LibreOffice run into out as .target; the seconds it took."""
    soffice = shutil.which("soffice")
    if soffice is None:
        raise SystemExit(
            "LibreOffice is missing: apt-get install libreoffice-writer libreoffice-calc"
        )
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="make-legacy-") as profile:
        done = subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                target,
                "--outdir",
                str(out),
                *map(str, sources),
            ],
            capture_output=True,
            timeout=CONVERT_TIMEOUT_S,
            env={**os.environ, "HOME": profile},
        )
    missing = [s.name for s in sources if not (out / f"{s.stem}.{target}").is_file()]
    if missing:
        said = done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")
        raise SystemExit(f"LibreOffice did not write {target} for {missing}: {said[-500:]}")
    return time.perf_counter() - started


def formats_xlsx() -> bytes:
    """A sheet of what number formats print: dates, times, percentages, decimals, a merged
    range, an empty cell between values, booleans and a formula (whose cached value the .xls
    keeps, as LibreOffice computes it when converting)."""
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "格式"
    sheet.append(["项目", "金额", "执行率", "日期"])
    sheet.append(["甲", 1234.5, 0.9725, dt.datetime(2021, 12, 31)])
    sheet["B2"].number_format = "0.00"
    sheet["C2"].number_format = "0.00%"
    sheet["D2"].number_format = 'yyyy"年"m"月"d"日"'
    sheet.append(["乙", 88, 1, dt.datetime(2022, 3, 5, 8, 30)])
    sheet["C3"].number_format = "0%"
    sheet["D3"].number_format = "yyyy-mm-dd hh:mm"
    sheet.append(["合并", None, None, dt.time(9, 15)])
    sheet.merge_cells("A4:C4")
    sheet["D4"].number_format = "hh:mm"
    sheet.append(["丙", None, 0.5, True])
    sheet["C5"].number_format = "0.0%"
    sheet.append(["公式", "=B2*2", None, "=1/0"])
    sheet["B6"].number_format = "0.00"
    book.create_sheet("说明").append(["第二张表", 3.14159])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_sources(folder: Path, docs: list[tuple[str, object]]) -> tuple[list[Path], list[Path]]:
    """Each document as <name>.xlsx and <name>.docx in folder; the two lists of paths."""
    sheets, documents = [], []
    for name, doc in docs:
        text = doc.text.rstrip("\n")
        (folder / f"{name}.xlsx").write_bytes(xlsx_of(text))
        (folder / f"{name}.docx").write_bytes(docx_of(text))
        sheets.append(folder / f"{name}.xlsx")
        documents.append(folder / f"{name}.docx")
    return sheets, documents


def make_fixtures(out: Path) -> None:
    """The small fixed set for the tests, with truth.json."""
    from synth import generate

    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    docs = [(name, generate(index, SEED)) for name, index in FIXTURE_DOCS]
    sheets, documents = write_sources(out, docs)
    (out / "formats.xlsx").write_bytes(formats_xlsx())
    for target in SHEET_TARGETS:
        convert([*sheets, out / "formats.xlsx"], target, out)
    # Word 97 tables are bulky (the 15-project .doc is 350 KB): the .wps only of the small one.
    convert(documents, "doc", out)
    convert([out / "declaration.docx"], "wps", out)
    truth = {
        "seed": SEED,
        "documents": {
            name: {
                "generator_index": index,
                "doc_kind": doc.kind,
                "unit": doc.unit,
                "year": doc.year,
                "projects": len(doc.projects),
                "indicators": len(doc.indicators),
            }
            for (name, index), (_, doc) in zip(FIXTURE_DOCS, docs, strict=True)
        },
        # each legacy file and the .xlsx/.docx it was converted from
        "legacy": {
            p.name: f"{p.stem}.{'xlsx' if p.suffix in ('.xls', '.et') else 'docx'}"
            for p in sorted(out.iterdir())
            if p.suffix in (".xls", ".et", ".doc", ".wps")
        },
    }
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n")
    total = sum(p.stat().st_size for p in out.iterdir())
    log.info("wrote %d files to %s, %.0f KB", len(list(out.iterdir())), out, total / 1024)


def bench(n: int, keep: Path | None) -> None:
    """n documents of every kind as .xls/.et/.doc/.wps, each format built on its own (an .xls and
    its .et hold the same bytes, hence the same doc_id) and compared with its source; figures."""
    import pandas as pd

    from loaders.build import build
    from synth import generate

    with tempfile.TemporaryDirectory(prefix="legacy-bench-") as tmp:
        root = keep or Path(tmp)
        targets = {
            **dict.fromkeys(SHEET_TARGETS, "xlsx"),
            **dict.fromkeys(DOCUMENT_TARGETS, "docx"),
        }
        folders = {name: root / name for name in ("sources", *targets)}
        for folder in folders.values():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        docs = [(f"synth_{i:04d}_{generate(i, SEED).kind}", generate(i, SEED)) for i in range(n)]
        kinds = pd.Series([doc.kind for _, doc in docs]).value_counts().to_dict()
        log.info("%d documents by kind: %s", n, kinds)
        sheets, documents = write_sources(folders["sources"], docs)
        for target, source in targets.items():
            spent = convert(sheets if source == "xlsx" else documents, target, folders[target])
            log.info("LibreOffice wrote %d .%s in %.1f s (one run)", n, target, spent)
        tables = {}
        for name, folder in folders.items():
            started = time.perf_counter()
            counts = build(folder, root / f"parquet_{name}")
            log.info(
                "built %-7s %3d files: %4d projects, %5d indicators, %d unreadable in %5.1f s",
                name,
                counts["documents"],
                counts["projects"],
                counts["indicators"],
                counts["unreadable"],
                time.perf_counter() - started,
            )
            tables[name] = {
                t: pd.read_parquet(root / f"parquet_{name}" / f"{t}.parquet")
                for t in ("projects", "indicators", "documents")
            }
        started = time.perf_counter()
        again = build(folders["doc"], root / "parquet_doc")
        log.info(
            "rebuilt doc: %d parsed, %d reused in %.2f s (nothing converted again)",
            again["parsed"],
            again["reused"],
            time.perf_counter() - started,
        )
        truth_ok = sum(
            _counts(tables["sources"], f"{stem}.{suffix}")
            == (len(doc.projects), len(doc.indicators))
            for stem, doc in docs
            for suffix in ("xlsx", "docx")
        )
        log.info(
            "%d/%d .xlsx/.docx sources give the generator's project and indicator counts",
            truth_ok,
            2 * n,
        )
        for target, source in targets.items():
            differing = [
                stem
                for stem, _ in docs
                if _rows(tables[target], f"{stem}.{target}")
                != _rows(tables["sources"], f"{stem}.{source}")
            ]
            log.info(
                ".%-3s %d/%d give the documents, projects and indicators of their .%s%s",
                target,
                n - len(differing),
                n,
                source,
                f"; differing: {', '.join(differing[:10])}" if differing else "",
            )


def _counts(tables: dict, source_file: str) -> tuple[int, int]:
    documents = tables["documents"]
    ids = set(documents.loc[documents["source_file"] == source_file, "doc_id"])
    return tuple(int(tables[t]["doc_id"].isin(ids).sum()) for t in ("projects", "indicators"))


def _records(frame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _rows(tables: dict, source_file: str) -> list:
    """A file's document row (without what names the file) and its projects and indicators."""
    documents = tables["documents"]
    doc = documents[documents["source_file"] == source_file]
    if doc.empty:
        return [None]
    doc_id = doc["doc_id"].iloc[0]
    out = [_records(doc.drop(columns=["doc_id", "source_file", "sha256", "size_bytes"]))]
    for name in ("projects", "indicators"):
        frame = tables[name]
        out.append(_records(frame[frame["doc_id"] == doc_id].drop(columns=["doc_id"])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIXTURES, help="fixture folder")
    parser.add_argument("--corpus", type=int, help="bench: this many documents, read back")
    parser.add_argument("--keep", type=Path, help="bench: keep the files in this folder")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("loaders").setLevel(logging.WARNING)
    if args.corpus:
        bench(args.corpus, args.keep)
    else:
        make_fixtures(args.out)


if __name__ == "__main__":
    main()
