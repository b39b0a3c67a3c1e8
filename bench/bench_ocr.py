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
   OCR_LOW_CONFIDENCE (or VALUE_INFERRED) finding. Seconds per page (median wall and CPU, and
   the machine's load average: other work on the two cores slows the wall time) printed, and
   the confusion of the figure cells: what the detector's boxes read wrong, and what is still
   wrong after loaders/ocr_figures.py re-read and checked them.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import shutil
import statistics
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


class Recorder:
    """Each figure cell's first reading (the detector's boxes) and its reading after the format
    and arithmetic checks, with its region on the upright page: loaders.ocr.check_page wrapped."""

    def __init__(self):
        self.figures: list[tuple[tuple, str, str, bool]] = []  # region, first, last, flagged
        self._check = ocr.check_page

    def __enter__(self):
        def check(rows, reread, threshold):
            first = [[f.text for f in row] for row in rows]
            self._check(rows, reread, threshold)
            for row, texts in zip(rows, first, strict=True):
                for f, text in zip(row, texts, strict=True):
                    if f.region is not None:
                        flagged = bool(f.doubt or f.others) or (
                            f.confidence is not None and f.confidence < threshold
                        )
                        self.figures.append((f.region, text, f.text, flagged))

        ocr.check_page = check
        self.figures = []
        return self

    def __exit__(self, *exc):
        ocr.check_page = self._check

    def reading_of(self, box) -> tuple[str, str, bool] | None:
        """The cell whose region holds the centre of a drawn cell (upright ≈ as drawn)."""
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        for (x0, y0, x1, y1), first, last, flagged in self.figures:
            if x0 <= cx <= x1 and y0 <= cy <= y1:
                return first, last, flagged
        return None


def confusion_kind(truth: str, read: str) -> str:
    """What went wrong between a printed figure and its reading, in a few words."""
    digits = re.sub(r"\D", "", truth)
    got = re.sub(r"\D", "", read)
    if not read:
        return "figure not read at all (no box)"
    if ".." in read:
        return "decimal point doubled (two overlapping boxes)"
    if got == digits:
        if read.count(".") < truth.count("."):
            return "decimal point lost"
        return "comma lost or added"
    if truth.endswith(read) or digits.endswith(got):
        return "front of the figure lost (split box)"
    if truth.startswith(read) or digits.startswith(got):
        return "end lost (a wrapped line not read)"
    if read.startswith(truth) or got.startswith(digits):
        return "characters added at the end"
    if len(got) == len(digits):
        pairs = [f"{a}→{b}" for a, b in zip(digits, got, strict=True) if a != b]
        return "digit read as another: " + ", ".join(pairs)
    if len(got) < len(digits):
        return "digits lost (and separators)"
    return "digits added"


def read_scan(scan: scans.Scan, seed: str, confusion: dict) -> tuple[str, list, list, list]:
    """The scan's pages degraded and read: tabulated text, findings, wall and CPU seconds per
    page; each figure cell's readings tallied into confusion[(stage, kind)]."""
    rows, pages = [], []
    walls, cpus = [], []
    for n, page in enumerate(scan.pages, 1):
        image = degraded(page, f"{seed}:{n}", None)
        with Recorder() as recorder:
            t, c = time.perf_counter(), time.process_time()
            rows += ocr.read_page_image(image, n, dpi=scan.dpi)
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
        for cell in scan.cells:
            if cell.page != n or not NUMBER.match(norm(cell.text)):
                continue
            got = recorder.reading_of(cell.box)
            first, last, flagged = got if got else ("", "", False)
            confusion.setdefault(("cells", ""), 0)
            confusion[("cells", "")] += 1
            if first != cell.text:
                key = ("first", confusion_kind(cell.text, first))
                confusion[key] = confusion.get(key, 0) + 1
            if last != cell.text:
                key = ("checked", confusion_kind(cell.text, last), flagged)
                confusion[key] = confusion.get(key, 0) + 1
        w, h = image.size
        pages.append(Page(n, w * 72 / scan.dpi, h * 72 / scan.dpi, ocr=True))
    text, geometry = tabulate(rows, pages)
    return text, ocr.confidence_findings(rows, geometry), walls, cpus


def round_trip(n_docs: int, seed: int, dpi: float) -> list[str]:
    checked = exact = caught = 0
    walls: list[float] = []
    cpus: list[float] = []
    misses: list[str] = []
    confusion: dict = {}
    missing = 0
    for i in range(n_docs):
        scan = scans.make_scan(i, seed, dpi)
        text, findings, w, c = read_scan(scan, f"trip:{seed}:{i}", confusion)
        walls += w
        cpus += c
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
                misses.append(f"name {truth['project']!r} -> {row and row['project']!r}")
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
                misses.append(
                    f"{key} {want} -> {have} ({scan.kind}, {truth['project']}, "
                    f"{'flagged' if flagged else 'NOT flagged'})"
                )
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    out = [
        f"  {n_docs} scans, {len(walls)} pages at {dpi:g} dpi, rotated ±1–3°, noise, blur, JPEG 70",
        f"  amounts and rates exact: {exact}/{checked} ({100 * exact / max(1, checked):.1f} %); "
        f"projects not found: {missing}",
        f"  mismatches with an OCR finding (OCR_LOW_CONFIDENCE or VALUE_INFERRED) on their "
        f"lines: {caught}/{checked - exact}",
        f"  seconds per page, median of {len(walls)}: {statistics.median(walls):.2f} wall, "
        f"{statistics.median(cpus):.2f} CPU (mean {statistics.mean(walls):.2f} wall, "
        f"{statistics.mean(cpus):.2f} CPU); load average {load} on {os.cpu_count()} cores",
    ]
    out += [f"    {m}" for m in misses[:30]]
    cells = confusion.pop(("cells", ""), 0)
    first = sorted(((n, k[1]) for k, n in confusion.items() if k[0] == "first"), reverse=True)
    out.append(
        f"  confusion of the {cells} figure cells, as the detector's boxes read them "
        f"({sum(n for n, _ in first)} wrong):"
    )
    out += [f"    {n:3d}  {kind}" for n, kind in first]
    last = sorted(
        ((n, k[1], k[2]) for k, n in confusion.items() if k[0] == "checked"), reverse=True
    )
    out.append(
        f"  after re-reading and the checks ({sum(n for n, *_ in last)} wrong, "
        f"{sum(n for n, _, f in last if f)} of them flagged):"
    )
    out += [f"    {n:3d}  {kind} ({'flagged' if f else 'NOT flagged'})" for n, kind, f in last]
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
