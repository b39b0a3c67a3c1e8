"""Synthetic documents printed to PDF the way offices print them, with their truth.

    .venv/bin/python bench/make_pdfs.py --docs 60 --seed 12 --out /tmp/pdfs [--producers …]
    .venv/bin/python bench/make_pdfs.py --fixtures      # regenerate tests/fixtures/pdf/

Each document of the synthetic corpus (`synth.generate`: its tables and prose, and the truth)
is written as a Word document (python-docx, tables with ruling lines, a long table's header
row repeated on every page), a workbook (openpyxl, one sheet, bordered or plain cells, the
header row printed on every page) or an HTML page, and printed to PDF by LibreOffice headless
(`soffice --convert-to pdf`) or Chromium (`--print-to-pdf`), with Noto CJK fonts. The truth
goes to OUT/truth/*.parquet as `python -m synth` writes it (doc ids of the PDFs' bytes), the
PDFs to OUT/raw/. With --check, the PDFs are then built and compared with the truth (the
accuracy the report gives: projects, amounts, rates, scores, indicators).

Text artefacts of the synthetic text layouts (a "\\f- 2 -" page marker row, the blank row after
it, and the form's title, project name and header row the text repeats on its next page) are
not printed: a
PDF breaks its pages itself (a long table's header row is repeated by the printer).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import io
import logging
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docx  # noqa: E402
import openpyxl  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from docx.enum.section import WD_ORIENT  # noqa: E402
from docx.oxml import OxmlElement  # noqa: E402
from docx.oxml.ns import qn  # noqa: E402
from docx.shared import Mm, Pt  # noqa: E402
from openpyxl.styles import Alignment, Border, Font, Side  # noqa: E402

from loaders.build import doc_id_for  # noqa: E402
from loaders.schema import DOCUMENTS, FINDINGS, INDICATORS, PROJECTS  # noqa: E402
from synth.generator import WRAP, Prose, generate  # noqa: E402

log = logging.getLogger("make_pdfs")

FIXTURES = ROOT / "tests" / "fixtures" / "pdf"
FONT = "Noto Sans CJK SC"
PRODUCERS = ("writer", "calc", "chromium")
# Kinds whose long prose a spreadsheet cannot print (it would run off the sheet): Word or HTML.
PROSE_KINDS = ("final_accounts",)
# The small fixed set of tests/fixtures/pdf: (file stem, corpus seed, index, producer, options).
# Chosen for what they exercise: a seed-like project_eval_tables block list over many pages
# (tables continued across pages, repeated headers), a target_declaration form, a summary
# table printed from a spreadsheet without ruling lines, a department form from Chromium, eval
# blocks printed by Chromium without ruling lines, each indicator table's header at the top of a
# page (no running header, though it repeats in the top band of most pages), and a 部门决算 from
# Word whose ruled table is followed by a paragraph (附件二：, no wrapped rest of the table), and
# eval blocks from Chromium without ruling lines whose wrapped cells are centred vertically.
FIXTURE_SPECS = (
    ("eval_tables_writer", 3, 17, "writer", {"max_projects": 3}),
    ("declaration_calc", 12, 7, "calc", {}),
    ("summary_plain_calc", 12, 3, "calc", {"borders": False}),
    ("overall_chromium", 12, 4, "chromium", {}),
    (
        "eval_plain_chromium",
        12,
        2,
        "chromium",
        {"borders": False, "max_projects": 3, "break_before_head": True},
    ),
    ("accounts_writer", 12, 56, "writer", {}),
    (
        "eval_middle_chromium",
        5,
        8,
        "chromium",
        {"borders": False, "middle": True, "first_project": 5, "max_projects": 2},
    ),
)


# ------------------------------------------------------------------ the document's parts


def printable(table) -> list[list[str]] | Prose:
    """A table's rows without the text layouts' page markers (a PDF breaks pages itself)."""
    if isinstance(table, Prose):
        return table
    rows: list[list[str]] = []
    after_marker = 0  # 1: after a page marker, 2: its blank row, 3: the title repeated
    for row in table:
        if row and row[0].startswith("\f"):
            after_marker = 1
            continue
        if after_marker == 1 and not any(row):
            after_marker = 2
            continue
        if rows and list(row) == rows[0] and len(row) == 1:
            after_marker = 3  # the form's title the text repeats on its next page
            continue
        if after_marker == 3 and list(row) in rows:
            continue  # the project's name and the header row the text repeats under it
        after_marker = 0
        rows.append(list(row))
    return rows


def parts(doc, max_projects: int | None = None, first: int = 0) -> list:
    """The document's tables and prose, in order; with max_projects, only the first blocks
    (from block `first` of a project_eval_tables document on) of a
    project_eval_tables document (and only their truth: see trimmed_truth)."""
    tables = [printable(t) for t in doc.tables]
    if max_projects is not None and doc.kind in ("project_eval_tables", "project_summary_table"):
        if doc.kind == "project_eval_tables":
            tables = tables[first : first + max_projects]
        else:
            (rows,) = tables
            head, body, total = rows[:3], rows[3:-1], rows[-1]
            tables = [[*head, *body[:max_projects], total]]
    return tables


def trimmed_truth(doc, max_projects: int | None, first: int = 0) -> None:
    """Keep the truth of the projects parts() printed (a summary's 合计 row then no longer adds
    up, which the loaders report as a finding: the truth has no findings but ##### ones)."""
    if max_projects is None or doc.kind not in ("project_eval_tables", "project_summary_table"):
        return
    start = first if doc.kind == "project_eval_tables" else 0
    keep = {p["project"] for p in doc.projects[start : start + max_projects]}
    doc.projects = [p for p in doc.projects if p["project"] in keep]
    doc.indicators = [i for i in doc.indicators if i["project"] in keep]
    doc.findings = [f for f in doc.findings if f.get("project") in keep]


def split_titles(rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """Leading one-cell rows (a form's title lines) apart from the table under them."""
    titles = []
    while rows and sum(1 for c in rows[0] if c) <= 1 and len(rows) > 1:
        titles.append(next((c for c in rows[0] if c), ""))
        rows = rows[1:]
    return [t for t in titles if t], rows


def header_index(rows: list[list[str]]) -> int | None:
    """The row that heads a long table's body (its column names), where there is one."""
    for k, row in enumerate(rows):
        text = "".join(row)
        if "一级指标" in text or ("项目名称" in text and "预算数" in text) or "序号" in row:
            return k
    return None


# ------------------------------------------------------------------ Word (LibreOffice Writer)


def _font(run, size: float) -> None:
    run.font.size = Pt(size)
    run.font.name = FONT
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), FONT)


def _cell_text(cell, text: str, size: float) -> None:
    paragraph = cell.paragraphs[0]
    pieces = text.split(WRAP)
    for k, piece in enumerate(pieces):
        run = paragraph.add_run(piece)
        _font(run, size)
        if k < len(pieces) - 1:
            run.add_break()


def _repeat_header(row) -> None:
    props = row._tr.get_or_add_trPr()
    mark = OxmlElement("w:tblHeader")
    mark.set(qn("w:val"), "true")
    props.append(mark)


def docx_bytes(tables: list, rng: random.Random) -> bytes:
    """Paragraphs for prose and title lines, a ruled Word table for each table (an eval block's
    indicator table apart, its header repeated on every page it runs over)."""
    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    size = 9

    def paragraph(text: str, bold: bool = False) -> None:
        run = document.add_paragraph().add_run(text)
        _font(run, size + (2 if bold else 0))
        run.bold = bold

    for table in tables:
        if isinstance(table, Prose):
            for line in table.lines:
                if line.strip():
                    paragraph(line.replace("\n", ""))
            continue
        titles, rows = split_titles(table)
        for title in titles:
            paragraph(title, bold=True)
        if not rows:
            continue
        cut = header_index(rows)
        pieces = [rows] if not cut else [rows[:cut], rows[cut:]]
        for piece in pieces:
            width = max(len(r) for r in piece)
            grid = document.add_table(rows=len(piece), cols=width)
            grid.style = "Table Grid"
            for r, row in enumerate(piece):
                for c in range(width):
                    _cell_text(grid.cell(r, c), row[c] if c < len(row) else "", size)
            if len(piece) > 12 and rng.random() < 0.7:
                _repeat_header(grid.rows[0])
            document.add_paragraph()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# ------------------------------------------------------------------ workbook (LibreOffice Calc)


# Widest spreadsheet column (characters), and the height of one line of 10 pt text (points).
CALC_MAX_WIDTH = 34
CALC_LINE_PT = 14


def _display(text: str) -> int:
    """Width in spreadsheet characters: a Chinese character takes two."""
    return sum(1 if ch.isascii() else 2 for ch in text)


def xlsx_bytes(tables: list, borders: bool) -> bytes:
    """One sheet: the tables one under the other (a blank row between), prose lines in column A;
    bordered cells give ruling lines, plain ones only positions. The first long table's header
    row is printed on every page."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    font = Font(name=FONT, size=10)
    r = 1
    repeat = None
    widths: dict[int, int] = {}
    for table in tables:
        if isinstance(table, Prose):
            for line in table.lines:
                sheet.cell(r, 1, line.replace("\n", "")).font = font
                r += 1
            r += 1
            continue
        titles, rows = split_titles(table)
        for title in titles:
            sheet.cell(r, 1, title).font = Font(name=FONT, size=12, bold=True)
            r += 1
        cut = header_index(rows)
        if cut is not None and repeat is None and len(rows) > 20:
            repeat = r + cut
        width = max(len(row) for row in rows) if rows else 0
        for row in rows:
            for c in range(1, width + 1):
                text = row[c - 1] if c - 1 < len(row) else ""
                longest = max((_display(p) for p in text.split(WRAP)), default=0)
                widths[c] = max(widths.get(c, 8), min(longest + 3, CALC_MAX_WIDTH))
        for row in rows:
            lines = 1
            for c in range(1, width + 1):
                text = row[c - 1] if c - 1 < len(row) else ""
                cell = sheet.cell(r, c, text.replace(WRAP, "\n") or None)
                cell.font = font
                # top-aligned, as the rest of a wrapped cell then sits under its first line
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if borders:
                    cell.border = box
                room = widths[c] - 2
                lines = max(lines, sum(-(-_display(p) // room) or 1 for p in text.split(WRAP)))
            sheet.row_dimensions[r].height = CALC_LINE_PT * lines + 3
            r += 1
        r += 1
    for c, w in widths.items():
        sheet.column_dimensions[openpyxl.utils.get_column_letter(c)].width = w
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    if repeat is not None:
        sheet.print_title_rows = f"{repeat}:{repeat}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ------------------------------------------------------------------ HTML (Chromium)


def html_text(
    tables: list, borders: bool = True, break_before_head: bool = False, middle: bool = False
) -> str:
    """An HTML page: prose as paragraphs, tables with a thead (Chromium repeats it per page);
    with break_before_head, every table with a thead starts a page (a page break an office put
    before each indicator table: its header row then sits at the top of a page)."""
    line = "1px solid #000" if borders else "none"
    out = [
        "<!doctype html><html><head><meta charset='utf-8'><style>",
        f"body{{font-family:'{FONT}';font-size:10pt}}",
        "table{border-collapse:collapse;width:100%;margin:8pt 0}",
        f"td,th{{border:{line};padding:2pt 4pt;font-weight:normal;text-align:left}}",
        # without ruling lines, cells are top-aligned: a wrapped cell's rest then sits under its
        # first line (vertically centred wrapped cells are not rejoined: see loaders/pdf.py)
        "td,th{vertical-align:" + ("middle" if borders or middle else "top") + "}",
        "@page{size:A4 landscape;margin:12mm}",
        "</style></head><body>",
    ]
    for table in tables:
        if isinstance(table, Prose):
            # a line break inside a prose line is where the text layout wrapped it, no space
            # (as the Word producer prints it); HTML would print it as one
            out += [
                f"<p>{html.escape(t.replace(chr(10), ''))}</p>" for t in table.lines if t.strip()
            ]
            continue
        titles, rows = split_titles(table)
        out += [f"<h3>{html.escape(t)}</h3>" for t in titles]
        if not rows:
            continue
        width = max(len(r) for r in rows)
        cut = header_index(rows)

        def row_html(row: list[str], tag: str = "td", width: int = width) -> str:
            cells = [row[c] if c < len(row) else "" for c in range(width)]
            return (
                "<tr>"
                + "".join(
                    f"<{tag}>{'<br>'.join(html.escape(p) for p in c.split(WRAP))}</{tag}>"
                    for c in cells
                )
                + "</tr>"
            )

        if cut:
            out.append("<table>" + "".join(row_html(r) for r in rows[:cut]) + "</table>")
            rows = rows[cut:]
        out.append(
            "<table style='break-before:page;margin-top:0'>"
            if break_before_head and cut
            else "<table>"
        )
        if cut is not None:
            out.append("<thead>" + row_html(rows[0], "th") + "</thead>")
            rows = rows[1:]
        out.append("<tbody>" + "".join(row_html(r) for r in rows) + "</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out)


# ------------------------------------------------------------------ printing


def soffice_to_pdf(sources: list[Path], out_dir: Path) -> None:
    """Print Office files to PDF with LibreOffice headless (its own profile, so that a running
    LibreOffice of someone else is left alone)."""
    if not sources:
        return
    soffice = shutil.which("soffice")
    if soffice is None:
        raise SystemExit(
            "soffice 未安装：请运行 scripts/setup.sh（libreoffice-calc、libreoffice-writer）。"
        )
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out_dir),
                *map(str, sources),
            ],
            check=True,
            capture_output=True,
            timeout=60 + 20 * len(sources),
        )


def chromium_to_pdf(source: Path, target: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium 未安装：请运行 scripts/setup.sh。")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--user-data-dir={profile}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={target}",
                source.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def make(specs: list[tuple[str, object, str, dict]], out: Path) -> dict[str, int]:
    """Write each (stem, synthetic document, producer, options) as OUT/raw/<stem>.pdf and the
    truth of them all to OUT/truth; returns row counts."""
    raw, truth = out / "raw", out / "truth"
    raw.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="make-pdfs-") as tmp:
        work = Path(tmp)
        office = []
        for stem, doc, producer, options in specs:
            tables = parts(doc, options.get("max_projects"), options.get("first_project", 0))
            rng = random.Random(stem)
            if producer == "writer":
                (work / f"{stem}.docx").write_bytes(docx_bytes(tables, rng))
                office.append(work / f"{stem}.docx")
            elif producer == "calc":
                (work / f"{stem}.xlsx").write_bytes(
                    xlsx_bytes(tables, options.get("borders", True))
                )
                office.append(work / f"{stem}.xlsx")
            else:
                page = work / f"{stem}.html"
                text = html_text(
                    tables,
                    options.get("borders", True),
                    options.get("break_before_head", False),
                    options.get("middle", False),
                )
                page.write_text(text, encoding="utf-8")
                chromium_to_pdf(page, raw / f"{stem}.pdf")
        for start in range(0, len(office), 20):  # one LibreOffice start per 20 files
            soffice_to_pdf(office[start : start + 20], raw)
    rows = {"documents": [], "projects": [], "indicators": [], "findings": []}
    for stem, doc, _producer, options in specs:
        trimmed_truth(doc, options.get("max_projects"), options.get("first_project", 0))
        name = f"{stem}.pdf"
        doc_id = doc_id_for(name, hashlib.sha256((raw / name).read_bytes()).hexdigest())
        rows["documents"].append(
            {
                "doc_id": doc_id,
                "source_file": name,
                "doc_kind": doc.kind,
                "unit": doc.unit,
                "province": doc.province,
                "year": doc.year,
                "amount_unit": doc.style.unit_word,
            }
        )
        rows["projects"] += [{**p, "doc_id": doc_id} for p in doc.projects]
        rows["indicators"] += [{**x, "doc_id": doc_id} for x in doc.indicators]
        rows["findings"] += [{**f, "doc_id": doc_id} for f in doc.findings]
    for name, schema in (
        ("documents", DOCUMENTS),
        ("projects", PROJECTS),
        ("indicators", INDICATORS),
        ("findings", FINDINGS),
    ):
        known = {key for r in rows[name] for key in r}
        fields = [f for f in schema if f.name in known] or list(schema)
        table = pa.Table.from_pydict(
            {f.name: [r.get(f.name) for r in rows[name]] for f in fields}, schema=pa.schema(fields)
        )
        pq.write_table(table, truth / f"{name}.parquet")
    return {name: len(r) for name, r in rows.items()}


def corpus_specs(n: int, seed: int, producers: tuple[str, ...], middle: bool = False) -> list:
    """n documents of the corpus of a seed, each printed by one producer in turn (prose-heavy
    kinds never by the spreadsheet), a third of the spreadsheets without ruling lines."""
    specs = []
    for index in range(n):
        doc = generate(index, seed)
        choices = [p for p in producers if not (p == "calc" and doc.kind in PROSE_KINDS)]
        producer = choices[index % len(choices)]
        options = {"borders": not (producer != "writer" and index % 3 == 2), "middle": middle}
        specs.append((f"pdf_{index:05d}_{doc.kind}_{producer}", doc, producer, options))
    return specs


def fixture_specs() -> list:
    return [
        (stem, generate(index, seed), producer, options)
        for stem, seed, index, producer, options in FIXTURE_SPECS
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, default=Path("/tmp/make_pdfs"))
    parser.add_argument("--producers", nargs="+", default=list(PRODUCERS), choices=PRODUCERS)
    parser.add_argument(
        "--middle",
        action="store_true",
        help="HTML tables without ruling lines with vertically centred cells (else top-aligned)",
    )
    parser.add_argument("--fixtures", action="store_true", help="regenerate tests/fixtures/pdf")
    parser.add_argument("--check", action="store_true", help="build the PDFs and score them")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    if args.fixtures:
        out = FIXTURES
        shutil.rmtree(out / "raw", ignore_errors=True)
        counts = make(fixture_specs(), out)
    else:
        out = args.out
        shutil.rmtree(out, ignore_errors=True)
        counts = make(corpus_specs(args.docs, args.seed, tuple(args.producers), args.middle), out)
    log.info("wrote %s to %s in %.1f s", counts, out, time.perf_counter() - started)
    if args.check:
        from bench.score_pdfs import report

        report(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
