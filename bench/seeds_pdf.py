"""The seeds printed to PDF and read back, scored with score_extraction.py against the seed gold.

    .venv/bin/python bench/seeds_pdf.py [--out /tmp/seeds_pdf] [--producers chromium writer]

Each seed of data/raw (text pulled out of a published PDF by hand) is turned back into the table
document it came from: its rows of cells, as the shared layout stage reads them (tab rows, one
cell per line, spaced rows … each in its column), a run of rows of two or more cells printed as
one ruled table, a row of one cell or a line of prose as a paragraph. That document is printed to PDF by Chromium
(an HTML page) or by LibreOffice Writer (a Word document), put in OUT/<producer>/raw with a
sources.toml that gives the PDF what the seed's entry gives the text (003's year), and built.

The scorer matches documents by file name (`source_file` ends with the gold's key), so the gold
is copied with each key's `.txt` turned into `.pdf`; nothing else in it changes. The script
prints the scorer's failures and its score line per producer, and the text seeds' score beside
them (the figure the PDFs must reach).
"""

from __future__ import annotations

import argparse
import html
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.make_pdfs import FONT, _cell_text, _font, chromium_to_pdf, soffice_to_pdf  # noqa: E402
from loaders import layout  # noqa: E402
from loaders.manifest import read_manifest  # noqa: E402

SEEDS = ROOT / "data" / "raw"
GOLD = Path("/work/shared/gold/seeds.json")
SCORER = Path("/work/shared/tools/score_extraction.py")
PRODUCERS = ("chromium", "writer")
# Lines the layout stage reads as text or cuts at single spaces or form words: prose in the
# document (a paragraph of figures, a flattened line), printed as the paragraph it is.
PROSE_LAYOUTS = ("text", "single_spaced", "glued")


def blocks(text: str) -> list[str | list[list[str]]]:
    """The seed as paragraphs (str) and tables (rows of cell texts, each cell in its column)."""
    out: list[str | list[list[str]]] = []
    lines = text.splitlines()
    for cells in layout.rows(lines):
        if cells[0].layout in PROSE_LAYOUTS:  # a paragraph (its figures split out): as printed
            first, last = cells[0].line, max(c.end for c in cells)
            out += [line.strip() for line in lines[first - 1 : last] if line.strip()]
            continue
        if len(cells) < 2:
            out.append(cells[0].text)
            continue
        row: list[str] = []
        for cell in cells:
            if cell.col is not None and cell.col > len(row):
                row += [""] * (cell.col - len(row))  # blank columns the layout kept
            row.append(cell.text)
        if out and isinstance(out[-1], list):
            out[-1].append(row)
        else:
            out.append([row])
    return out


def html_page(parts: list[str | list[list[str]]]) -> str:
    out = [
        "<!doctype html><html><head><meta charset='utf-8'><style>",
        f"body{{font-family:'{FONT}';font-size:9pt}}",
        "table{border-collapse:collapse;width:100%;margin:6pt 0}",
        "td{border:1px solid #000;padding:2pt 3pt;vertical-align:middle}",
        "p{margin:3pt 0}",
        "@page{size:A4 landscape;margin:12mm}",
        "</style></head><body>",
    ]
    for part in parts:
        if isinstance(part, str):
            out.append(f"<p>{html.escape(part)}</p>")
            continue
        width = max(len(r) for r in part)
        out.append("<table>")
        for r in part:
            cells = r + [""] * (width - len(r))
            out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)


def docx_file(parts: list[str | list[list[str]]]) -> bytes:
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    for part in parts:
        if isinstance(part, str):
            _font(document.add_paragraph().add_run(part), 9)
            continue
        width = max(len(r) for r in part)
        grid = document.add_table(rows=len(part), cols=width)
        grid.style = "Table Grid"
        for k, r in enumerate(part):
            for c, text in enumerate(r):
                _cell_text(grid.cell(k, c), text, 9)
        document.add_paragraph()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def write_pdfs(producer: str, raw: Path) -> None:
    """Every seed as OUT/raw/<stem>.pdf, and the seeds' sources.toml entries for them."""
    raw.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="seeds-pdf-") as tmp:
        work = Path(tmp)
        office = []
        for seed in sorted(SEEDS.glob("*.txt")):
            parts = blocks(seed.read_text(encoding="utf-8-sig"))
            if producer == "chromium":
                page = work / f"{seed.stem}.html"
                page.write_text(html_page(parts), encoding="utf-8")
                chromium_to_pdf(page, raw / f"{seed.stem}.pdf")
            else:
                (work / f"{seed.stem}.docx").write_bytes(docx_file(parts))
                office.append(work / f"{seed.stem}.docx")
        soffice_to_pdf(office, raw)
    lines = []
    for entry in read_manifest(SEEDS).values():
        lines.append("[[document]]")
        for key, value in entry.items():
            if key == "file":
                value = str(Path(value).with_suffix(".pdf"))
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        lines.append("")
    (raw / "sources.toml").write_text("\n".join(lines), encoding="utf-8")


def pdf_gold(target: Path) -> Path:
    """The seed gold with every document key's .txt turned into .pdf."""
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    rename = {k: str(Path(k).with_suffix(".pdf")) for k in gold["documents"]}
    gold["documents"] = {rename[k]: v for k, v in gold["documents"].items()}
    for row in gold.get("indicator_status_samples", {}).get("rows", []):
        row["doc"] = rename.get(row["doc"], row["doc"])
    target.write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    return target


def score(raw: Path, parquet: Path, gold: Path) -> tuple[str, list[str]]:
    """Build raw into parquet and score it: the score line and the failed checks."""
    subprocess.run(
        [sys.executable, "-m", "loaders", "build", "--raw", str(raw), "--out", str(parquet)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [sys.executable, str(SCORER), "--parquet", str(parquet), "--gold", str(gold), "--min", "0"],
        capture_output=True,
        text=True,
    )
    lines = result.stdout.splitlines()
    return lines[-1], [line for line in lines if line.startswith("FAIL")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/seeds_pdf"))
    parser.add_argument("--producers", nargs="+", default=list(PRODUCERS), choices=PRODUCERS)
    args = parser.parse_args(argv)
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    gold = pdf_gold(args.out / "gold_pdf.json")
    line, _ = score(SEEDS, args.out / "text_parquet", GOLD)
    print(f"text seeds         {line}")
    for producer in args.producers:
        started = time.perf_counter()
        raw = args.out / producer / "raw"
        write_pdfs(producer, raw)
        line, failed = score(raw, args.out / producer / "parquet", gold)
        pages = sum(_pages(p) for p in raw.glob("*.pdf"))
        print(
            f"seeds as PDF, {producer:8} {line}  ({pages} pages, {time.perf_counter() - started:.0f} s)"
        )
        for fail in failed:
            print("    ", fail)
    return 0


def _pages(path: Path) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    try:
        return len(document)
    finally:
        document.close()


if __name__ == "__main__":
    raise SystemExit(main())
