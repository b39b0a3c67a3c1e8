"""Large and hostile PDFs: a 300-page text PDF's speed and peak memory, bombs, and a build that
holds them beside a good file.

    .venv/bin/python bench/bench_pdf_bad.py [--pages 300] [--out /tmp/bench_pdf_bad]

Each reading runs in a fresh Python process (one thread: pdfplumber is pure Python), which
reports its wall time, CPU time and peak resident memory (ru_maxrss), so one figure does not
carry another's memory. Printed:

- a text PDF of --pages pages (the pages of tests/fixtures/pdf repeated: ruled and unruled
  tables, Word, Calc and Chromium output) read by `loaders.pdf.read`: pages/s of wall time and
  of CPU time (the machine is shared: CPU time is what one core gives), peak MB;
- a page bomb (a page tree of 100,000 pages in 600 KB) and a decompression bomb (one page whose
  content stream inflates 2 MB to 2 GB): what the reader says, in what time and memory;
- `loaders.build` over a folder of both bombs, an encrypted and a truncated PDF and a good one:
  the findings, and that the good file loaded.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "pdf"

READ = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from loaders import pdf
raw = open({path!r}, "rb").read()
started, cpu = time.perf_counter(), time.process_time()
try:
    result = pdf.read(raw)
    said = [f.message for f in result.findings] or ["read"]
    pages = result.pages
except pdf.PdfError as exc:
    said, pages = [f"PdfError: {{exc}}"], 0
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu,
                  "peak_mb": usage.ru_maxrss / 1024, "pages": pages, "said": said}}))
"""


def read_in_child(path: Path, timeout: float = 600) -> dict:
    """loaders.pdf.read of path in a fresh process: its figures (or the timeout it hit)."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", READ.format(root=str(ROOT), path=str(path))],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"wall": time.perf_counter() - started, "said": [f"timeout after {timeout} s"]}
    if done.returncode:
        return {"wall": time.perf_counter() - started, "said": [done.stderr.strip()[-300:]]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def long_pdf(pages: int) -> bytes:
    """A PDF of `pages` pages: the fixture PDFs' pages over and over."""
    import pypdfium2 as pdfium

    sources = [pdfium.PdfDocument(p) for p in sorted((FIXTURES / "raw").glob("*.pdf"))]
    document = pdfium.PdfDocument.new()
    while len(document) < pages:
        for source in sources:
            take = min(len(source), pages - len(document))
            if take > 0:
                document.import_pages(source, list(range(take)))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF file of these objects (1 is the catalog), with its cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
TEXT = b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET"


def page_bomb(pages: int = 100_000) -> bytes:
    """One page object listed `pages` times in the page tree."""
    kids = b" ".join([b"3 0 R"] * pages)
    stream = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(TEXT), TEXT)
    tree = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (pages, kids)
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", tree, PAGE, stream, FONT])


def zip_bomb(megabytes: int = 2048) -> bytes:
    """One page whose content stream inflates to `megabytes` MB of spaces, then some text."""
    deflate = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    data = b"".join(deflate.compress(chunk) for _ in range(megabytes))
    data += deflate.compress(TEXT) + deflate.flush()
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data)
    tree = b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>"
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", tree, PAGE, stream, FONT])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_pdf_bad"))
    args = parser.parse_args(argv)
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)

    long = args.out / f"long_{args.pages}.pdf"
    long.write_bytes(long_pdf(args.pages))
    r = read_in_child(long)
    print(
        f"text PDF, {r.get('pages')} pages ({long.stat().st_size >> 10} KB): "
        f"{r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU -> {r['pages'] / r['wall']:.1f} pages/s "
        f"wall, {r['pages'] / r['cpu']:.1f} pages/s per CPU second; peak {r['peak_mb']:.0f} MB"
    )

    bombs = {"page_bomb.pdf": page_bomb(), "zip_bomb.pdf": zip_bomb()}
    for name, data in bombs.items():
        (args.out / name).write_bytes(data)
        r = read_in_child(args.out / name)
        figures = f"{r['wall']:.2f} s, peak {r.get('peak_mb', float('nan')):.0f} MB"
        print(f"{name} ({len(data) >> 10} KB): {figures}: {' / '.join(r['said'])}")

    raw = args.out / "raw"
    raw.mkdir()
    for name, data in bombs.items():
        (raw / name).write_bytes(data)
    good = (FIXTURES / "raw" / "declaration_calc.pdf").read_bytes()
    (raw / "good.pdf").write_bytes(good)
    (raw / "truncated.pdf").write_bytes(good[: len(good) // 2])
    (raw / "encrypted.pdf").write_bytes((FIXTURES / "encrypted.pdf").read_bytes())
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "loaders", "build", "--raw", str(raw), "--out", str(args.out / "p")],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - started
    import pandas as pd

    docs = pd.read_parquet(args.out / "p" / "documents.parquet")
    findings = pd.read_parquet(args.out / "p" / "findings.parquet")
    projects = pd.read_parquet(args.out / "p" / "projects.parquet")
    names = dict(zip(docs["doc_id"], docs["source_file"], strict=True))
    print(f"build of {len(docs)} files in {elapsed:.1f} s:")
    for row in findings[findings["code"] == "UNREADABLE"].itertuples():
        print(f"   {names[row.doc_id]}: {row.message}")
    loaded = projects["doc_id"].map(names).value_counts().to_dict()
    print(f"   projects loaded per file: {loaded}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
