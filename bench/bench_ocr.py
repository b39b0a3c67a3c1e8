"""OCR benchmark: rapidocr (the one we ship) against tesseract chi_sim, and scans read end to end.

    .venv/bin/python bench/bench_ocr.py [--docs 30] [--engine-pages 10] [--dpi 150] [--seed 0]

Scans are made by synth/scans.py: the generator's project_eval_tables and project_summary_table
forms printed as ruled tables on A4 pages, then degraded (rotation ±1–3°, grey noise, blur, JPEG
quality 70). Three parts:

1. Engines, cell by cell, on --engine-pages pages (noise, blur and JPEG, not rotated, so each
   drawn cell's box still holds its text): the character error rate (edit distance / truth
   characters) of number cells and of Chinese label cells, exact cells, and seconds per page.
   Tesseract runs only where Debian's tesseract-ocr and tesseract-ocr-chi-sim are installed
   (`apt-get install tesseract-ocr tesseract-ocr-chi-sim`; the project does not ship it).
2. Confidence: how the threshold (loaders.ocr.CONFIDENCE_THRESHOLD) splits rapidocr's wrong cells
   from its right ones, at a few thresholds.
3. Round trip: --docs scans (rotated) read by loaders.ocr page by page and parsed by the
   loaders; projects, amounts and rates compared with the truth; every mismatch should carry an
   OCR_LOW_CONFIDENCE finding. Seconds per page (wall and CPU) printed.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from loaders import ocr  # noqa: E402
from loaders.build import read_document  # noqa: E402
from loaders.pages import Page, tabulate  # noqa: E402
from synth import scans  # noqa: E402

NUMBER = re.compile(r"^[\d,.%\-]+$")
HAN = re.compile("[\u4e00-\u9fff]")
THRESHOLDS = (0.6, 0.7, 0.8, 0.9, 0.95)
TESSERACT_PSM = "11"  # sparse text: the best of 3, 4, 6 and 11 on these pages (ruled tables)
AMOUNT_TOLERANCE = 1e-6


def norm(text: str) -> str:
    """Text compared without spaces and with full-width forms folded (（ = (, ％ = %)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def degraded(page: Image.Image, seed: str, angle: float | None) -> Image.Image:
    """The page scanned: degraded and through JPEG."""
    image = scans.degrade(page, random.Random(seed), angle=angle)
    return Image.open(io.BytesIO(scans.jpeg(image)))


# --- engines ----------------------------------------------------------------------------------


def rapid_boxes(image: Image.Image) -> list[tuple[tuple[float, float], str, float]]:
    import numpy as np

    return [
        ((sum(p[0] for p in c) / 4, sum(p[1] for p in c) / 4), text, score)
        for c, text, score, _chars in ocr.recognise(np.asarray(image.convert("RGB")))
    ]


def tesseract_boxes(image: Image.Image) -> list[tuple[tuple[float, float], str, float]]:
    with tempfile.NamedTemporaryFile(suffix=".png") as f:
        image.save(f.name)
        out = subprocess.run(
            ["tesseract", f.name, "stdout", "-l", "chi_sim", "--psm", TESSERACT_PSM, "tsv"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    boxes = []
    for line in out.splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) < 12 or not cols[11].strip():
            continue
        left, top, width, height = map(int, cols[6:10])
        boxes.append(((left + width / 2, top + height / 2), cols[11], float(cols[10]) / 100))
    return boxes


def cell_readings(cells, boxes) -> list[tuple[str, str, float | None]]:
    """(truth, read, lowest confidence) per drawn cell: the boxes whose centre lies in it,
    in reading order."""
    out = []
    for cell in cells:
        x0, y0, x1, y1 = cell.box
        inside = [b for b in boxes if x0 <= b[0][0] <= x1 and y0 <= b[0][1] <= y1]
        inside.sort(key=lambda b: (round(b[0][1] / 12), b[0][0]))
        read = "".join(b[1] for b in inside)
        out.append((cell.text, read, min((b[2] for b in inside), default=None)))
    return out


def engine_part(pages: list, engines: dict) -> dict:
    results = {}
    for name, read in engines.items():
        errors = {"number": [0, 0, 0, 0], "label": [0, 0, 0, 0]}  # edits, chars, exact, cells
        wall = cpu = 0.0
        readings = []
        for image, cells in pages:
            t, c = time.perf_counter(), time.process_time()
            boxes = read(image)
            wall += time.perf_counter() - t
            cpu += time.process_time() - c
            for truth, got, conf in cell_readings(cells, boxes):
                kind = (
                    "number"
                    if NUMBER.match(norm(truth))
                    else "label"
                    if HAN.search(truth)
                    else None
                )
                readings.append((truth, got, conf))
                if kind is None:
                    continue
                e = errors[kind]
                d = distance(norm(truth), norm(got))
                e[0] += d
                e[1] += len(norm(truth))
                e[2] += d == 0
                e[3] += 1
        results[name] = (errors, wall / len(pages), cpu / len(pages), readings)
    return results


def threshold_part(readings) -> list[str]:
    wrong = [(t, g, c) for t, g, c in readings if norm(t) != norm(g)]
    right = [(t, g, c) for t, g, c in readings if norm(t) == norm(g)]
    lines = [f"  cells: {len(readings)}, misread: {len(wrong)}"]
    for th in THRESHOLDS:
        caught = sum(1 for *_, c in wrong if c is None or c < th)
        alarms = sum(1 for *_, c in right if c is not None and c < th)
        lines.append(
            f"  threshold {th:.2f}: {caught}/{len(wrong)} misread cells flagged, "
            f"{alarms}/{len(right)} right cells flagged"
        )
    for t, g, c in wrong[:15]:
        lines.append(f"    misread: {t!r} -> {g!r} (confidence {c if c is None else round(c, 3)})")
    return lines


# --- round trip -------------------------------------------------------------------------------


def read_scan(scan: scans.Scan, seed: str) -> tuple[str, list, float, float]:
    """The scan's pages degraded and read: tabulated text, findings, wall and CPU seconds."""
    rows, pages = [], []
    wall = cpu = 0.0
    for n, page in enumerate(scan.pages, 1):
        image = degraded(page, f"{seed}:{n}", None)
        t, c = time.perf_counter(), time.process_time()
        rows += ocr.read_page_image(image, n, dpi=scan.dpi)
        wall += time.perf_counter() - t
        cpu += time.process_time() - c
        w, h = image.size
        pages.append(Page(n, w * 72 / scan.dpi, h * 72 / scan.dpi, ocr=True))
    text, geometry = tabulate(rows, pages)
    return text, ocr.confidence_findings(rows, geometry), wall, cpu


def round_trip(n_docs: int, seed: int, dpi: float) -> list[str]:
    checked = exact = caught = pages = 0
    wall = cpu = 0.0
    confusion: list[str] = []
    missing = 0
    for i in range(n_docs):
        scan = scans.make_scan(i, seed, dpi)
        text, findings, w, c = read_scan(scan, f"trip:{seed}:{i}")
        wall, cpu, pages = wall + w, cpu + c, pages + len(scan.pages)
        parsed = read_document(f"scan_{i}.txt", text.encode())
        got = {p["project"]: p for p in parsed["projects"] if p.get("level") == "project"}
        low_lines = {f.source_line for f in findings}
        for truth in scan.projects:
            row = got.get(truth["project"])
            if row is None:  # the name misread: match by position
                rest = [
                    p
                    for p in parsed["projects"]
                    if p["project"] not in {t["project"] for t in scan.projects}
                ]
                row = rest[0] if rest else None
                confusion.append(f"name {truth['project']!r} -> {row and row['project']!r}")
            if row is None:
                missing += 1
                checked += 3
                continue
            lines = set(range(row["source_line"], (row.get("end_line") or row["source_line"]) + 1))
            for key in ("budget_wan", "actual_wan", "reported_rate_pct"):
                checked += 1
                want, have = truth[key], row.get(key)
                if have is not None and want is not None and abs(have - want) < AMOUNT_TOLERANCE:
                    exact += 1
                    continue
                flagged = bool(lines & low_lines)
                caught += flagged
                confusion.append(
                    f"{key} {want} -> {have} ({scan.kind}, {truth['project']}, "
                    f"{'flagged' if flagged else 'NOT flagged'})"
                )
    out = [
        f"  {n_docs} scans, {pages} pages at {dpi:g} dpi, rotated ±1–3°, noise, blur, JPEG 70",
        f"  amounts and rates exact: {exact}/{checked} ({100 * exact / max(1, checked):.1f} %); "
        f"projects not found: {missing}",
        f"  mismatches with an OCR_LOW_CONFIDENCE finding on their lines: {caught}/{checked - exact}",
        f"  seconds per page: {wall / max(1, pages):.2f} wall, {cpu / max(1, pages):.2f} CPU",
    ]
    out += [f"    {c}" for c in confusion[:30]]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=30)
    parser.add_argument("--engine-pages", type=int, default=10)
    parser.add_argument("--dpi", type=float, default=150.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    ocr.engine()  # loaded once, outside the timings
    pages = []
    i = 0
    while len(pages) < args.engine_pages:
        scan = scans.make_scan(1000 + i, args.seed, args.dpi)
        for n, page in enumerate(scan.pages, 1):
            cells = [c for c in scan.cells if c.page == n]
            pages.append((degraded(page, f"engine:{i}:{n}", 0.0), cells))
        i += 1
    pages = pages[: args.engine_pages]
    engines = {"rapidocr (PP-OCRv4)": rapid_boxes}
    if shutil.which("tesseract"):
        engines[f"tesseract chi_sim (psm {TESSERACT_PSM})"] = tesseract_boxes
    print(f"1. Engines on {len(pages)} pages at {args.dpi:g} dpi (noise, blur, JPEG 70):")
    results = engine_part(pages, engines)
    for name, (errors, wall, cpu, _readings) in results.items():
        num, lab = errors["number"], errors["label"]
        print(
            f"  {name}: numbers CER {100 * num[0] / max(1, num[1]):.2f} % "
            f"({num[2]}/{num[3]} cells exact), Chinese labels CER "
            f"{100 * lab[0] / max(1, lab[1]):.2f} % ({lab[2]}/{lab[3]} cells exact), "
            f"{wall:.2f} s per page wall, {cpu:.2f} s CPU"
        )
    if len(engines) == 1:
        print("  tesseract: not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
    print(f"2. rapidocr confidence (finding below {ocr.CONFIDENCE_THRESHOLD:.2f}):")
    print("\n".join(threshold_part(results["rapidocr (PP-OCRv4)"][3])))
    print("3. Round trip through the loaders:")
    print("\n".join(round_trip(args.docs, args.seed, args.dpi)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
