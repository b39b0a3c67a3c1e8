"""Synthetic scans: the generator's forms printed as ruled tables on A4 pages, then degraded.

A form's rows (the generator's `Rows`, the same cells its text layouts print) are drawn with
Pillow and the Noto CJK font the set-up installs: a row of one cell is a title line above the
table, other rows are ruled cells on a grid shared by the table (a short row's last cell spans
what is left), a cell's text wraps inside its cell where it is too wide (or where the generator
wrapped a name), tables flow over pages without splitting a row. `degrade` then does what a
scanner or a phone does to a page: a small rotation, grey noise, blur, JPEG compression.

The truth of a scan is the generator's truth for the projects it prints (`Scan.projects`), and
every cell drawn with its box (`Scan.cells`), for measuring an OCR engine's reading per cell.

    .venv/bin/python -m synth.scans --out DIR [--docs 3] [--seed 0] [--dpi 150]
    .venv/bin/python -m synth.scans --out tests/fixtures/scans --fixtures
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from . import generator as g

log = logging.getLogger(__name__)

_HAN = re.compile("[\u4e00-\u9fff]")

FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FONT_INDEX = 2  # the .ttc's Simplified Chinese face (Noto Sans CJK SC)
A4_INCHES = (8.27, 11.69)
MARGIN_INCHES = 0.8
FONT_PT = 9.0  # 小五, the size budget forms print their tables in
TITLE_PT = 12.0
CELL_PAD_PT = 3.0
TABLE_GAP_PT = 14.0
# A column is never narrower than this many characters, nor wider before wrapping.
MIN_COLUMN_CHARS = 3
MAX_COLUMN_CHARS = 14
# Forms a scan is made of, and how many of a document's projects it prints (a scan of a whole
# 60-project document would be 40 pages: a few projects keep a bench run short).
KINDS = ("project_eval_tables", "project_summary_table")
PROJECTS_PER_SCAN = (1, 3)


@dataclass
class DrawnCell:
    """A cell as printed: its text (wrapped parts joined) and box in pixels on its page."""

    text: str
    page: int
    box: tuple[int, int, int, int]


@dataclass
class Scan:
    """A synthetic document printed to page images, with its truth."""

    kind: str
    unit: str
    year: int
    pages: list[Image.Image] = field(default_factory=list)
    cells: list[DrawnCell] = field(default_factory=list)
    projects: list[dict] = field(default_factory=list)
    dpi: float = 150.0


def font(pt: float, dpi: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT_PATH, round(pt * dpi / 72), index=FONT_INDEX)


def _px(pt: float, dpi: float) -> int:
    return round(pt * dpi / 72)


def wrap_text(text: str, face: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """The cell's text as the lines it prints on: the generator's breaks, then by width."""
    lines: list[str] = []
    for part in text.split(g.WRAP):
        line = ""
        for ch in part:
            if line and face.getlength(line + ch) > width:
                lines.append(line)
                line = ""
            line += ch
        lines.append(line)
    return lines


class _Pages:
    """Pages being drawn, top to bottom."""

    def __init__(self, dpi: float):
        self.dpi = dpi
        self.size = (round(A4_INCHES[0] * dpi), round(A4_INCHES[1] * dpi))
        self.margin = _px(MARGIN_INCHES * 72, dpi)
        self.images: list[Image.Image] = []
        self.y = 0
        self.new_page()

    def new_page(self) -> None:
        self.images.append(Image.new("L", self.size, 255))
        self.draw = ImageDraw.Draw(self.images[-1])
        self.y = self.margin

    def room(self, height: int) -> None:
        if self.y + height > self.size[1] - self.margin and self.y > self.margin:
            self.new_page()

    @property
    def width(self) -> int:
        return self.size[0] - 2 * self.margin


def _column_widths(rows: g.Rows, face: ImageFont.FreeTypeFont, width: int, pad: int) -> list[int]:
    """Column widths filling width: words shrink (and wrap) before a number would."""
    n = max(len(r) for r in rows)
    em = face.getlength("国")
    words = [MIN_COLUMN_CHARS * em] * n
    numbers = [0.0] * n
    for row in rows:
        for k, cell in enumerate(row[:-1] if len(row) < n else row):
            longest = max((face.getlength(p) for p in cell.split(g.WRAP)), default=0)
            if _HAN.search(cell):
                words[k] = max(words[k], min(longest, MAX_COLUMN_CHARS * em))
            else:  # a number never wraps
                numbers[k] = max(numbers[k], longest)
    scale = 1.0
    while scale > 0.2:
        widths = [max(w * scale, m) + 2 * pad for w, m in zip(words, numbers, strict=True)]
        if sum(widths) <= width:
            break
        scale -= 0.02
    return [round(w * width / sum(widths)) for w in widths]


def draw_table(pages: _Pages, rows: g.Rows, scan: Scan) -> None:
    """One table: title lines (rows of one cell) and ruled rows, flowing over pages."""
    dpi = pages.dpi
    face, title = font(FONT_PT, dpi), font(TITLE_PT, dpi)
    pad = _px(CELL_PAD_PT, dpi)
    line_h = round(face.size * 1.35)
    grid = [r for r in rows if len(r) > 1]
    widths = _column_widths(grid, face, pages.width, pad) if grid else []
    for row in rows:
        if len(row) <= 1:
            text = row[0] if row else ""
            if not text.strip() or text.startswith("\f"):
                continue
            h = round(title.size * 1.6)
            pages.room(h)
            x = pages.margin + (pages.width - title.getlength(text)) / 2
            pages.draw.text((x, pages.y + h // 2), text, font=title, fill=0, anchor="lm")
            scan.cells.append(DrawnCell(text, len(pages.images), _box(x, pages.y, title, text, h)))
            pages.y += h
            continue
        spans = _spans(len(row), widths)
        wrapped = [wrap_text(c, face, w - 2 * pad) for c, w in zip(row, spans, strict=True)]
        h = max(len(lines) for lines in wrapped) * line_h + 2 * pad
        pages.room(h)
        x = pages.margin
        for cell, w, lines in zip(row, spans, wrapped, strict=True):
            pages.draw.rectangle((x, pages.y, x + w, pages.y + h), outline=0, width=1)
            top = pages.y + (h - len(lines) * line_h) / 2
            for k, line in enumerate(lines):
                cx = x + w / 2
                pages.draw.text(
                    (cx, top + (k + 0.5) * line_h), line, font=face, fill=0, anchor="mm"
                )
            if cell.strip():
                scan.cells.append(
                    DrawnCell(
                        cell.replace(g.WRAP, ""),
                        len(pages.images),
                        (x, pages.y, x + w, pages.y + h),
                    )
                )
            x += w
        pages.y += h
    pages.y += _px(TABLE_GAP_PT, dpi)


def _box(x: float, y: int, face: ImageFont.FreeTypeFont, text: str, h: int) -> tuple[int, ...]:
    return (round(x), y, round(x + face.getlength(text)), y + h)


def _spans(n: int, widths: list[int]) -> list[int]:
    """Widths of a row of n cells on the table's grid: the last cell spans what is left."""
    return [*widths[: n - 1], sum(widths[n - 1 :])]


def make_scan(index: int, seed: int, dpi: float = 150.0, kinds=KINDS) -> Scan:
    """The index-th synthetic scan of a seed: a short document of one of kinds, undegraded."""
    rng = random.Random(f"scan:{seed}:{index}")
    kind = kinds[index % len(kinds)]
    style = g.Style(layout="as_tabs", yuan=rng.random() < 0.25, decimals=2, wrap=True)
    unit, province, city = g._unit(rng)
    doc = g.Synthetic(kind, style, unit, province, city, rng.choice(g.YEARS))
    keep = rng.randint(*PROJECTS_PER_SCAN)
    tables = g.KINDS[kind].writer(rng, doc)
    if kind == "project_eval_tables":
        tables = tables[:keep]
        doc.projects = doc.projects[:keep]
    else:  # one table: its first projects and their own 合计
        table = tables[0]
        doc.projects = doc.projects[:keep]
        budget = round(sum(p["budget_wan"] for p in doc.projects), 4)
        actual = round(sum(p["actual_wan"] for p in doc.projects), 4)
        rate = f"{g._rate(budget, actual):.2f}%"
        tables = [
            [*table[: 3 + keep], ["合计", "", style.money(budget), style.money(actual), rate]]
        ]
    scan = Scan(kind, unit, doc.year, dpi=dpi, projects=doc.projects)
    pages = _Pages(dpi)
    if kind == "project_eval_tables":  # the 自评表 names its unit in the title, as 普陀区's does
        tables = [[[f"{unit}{doc.year}年度项目支出绩效自评表"]], *tables]
    for table in tables:
        if isinstance(table, g.Prose):
            continue
        draw_table(pages, table, scan)
    scan.pages = pages.images
    return scan


def degrade(
    page: Image.Image,
    rng: random.Random,
    angle: float | None = None,
    noise: float = 12.0,
    blur: float = 0.6,
) -> Image.Image:
    """The page as a scanner returns it: rotated by angle degrees (±1–3 when None), grey noise
    of that standard deviation, a slight blur."""
    import numpy as np

    if angle is None:
        angle = rng.choice((-1, 1)) * rng.uniform(1.0, 3.0)
    out = page.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    if blur:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        pixels = np.asarray(out, dtype=np.float32)
        pixels += np.random.default_rng(rng.randrange(2**32)).normal(0, noise, pixels.shape)
        out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return out


def jpeg(image: Image.Image, quality: int = 70) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def truth_of(scan: Scan) -> dict:
    """What the loaders must read from the scan: unit, year, and each project's figures."""
    keys = ("project", "budget_wan", "actual_wan", "reported_rate_pct")
    return {
        "kind": scan.kind,
        "unit": scan.unit,
        "year": scan.year,
        "projects": [{k: p.get(k) for k in keys} for p in scan.projects],
    }


# The fixed scans of tests/fixtures/scans: (file, kind, rotation in degrees, how it is saved).
FIXTURES = (
    ("eval_form_rotated.jpg", "project_eval_tables", 2.5, "jpeg"),
    ("summary_form.png", "project_summary_table", 0.0, "bilevel"),
)


# Pages of bench/bench_ocr.py's round trip (seed 0, scan index) whose detector boxes misread
# figures at a high confidence: `2,309..12`, `2,6714` for `2,670.14` (a 项目绩效自评表), and
# amounts in 元 wrapped in their cells, read `18,689,794.010` (a 项目支出绩效自评表).
BENCH_FIXTURES = (("summary_form_misread.jpg", 3), ("eval_form_wrapped.jpg", 26))


def bench_page(index: int, seed: int = 0, dpi: float = 150.0) -> tuple[Scan, float, bytes]:
    """The first page of the bench's index-th round-trip scan, degraded as the bench does
    (the same draws as `degrade` with no angle given), and its rotation."""
    scan = make_scan(index, seed, dpi)
    rng = random.Random(f"trip:{seed}:{index}:1")
    angle = rng.choice((-1, 1)) * rng.uniform(1.0, 3.0)
    return scan, angle, jpeg(degrade(scan.pages[0], rng, angle=angle))


def write_fixtures(out: Path, seed: int = 0, dpi: float = 150.0) -> dict:
    """The small fixed scans the tests read, and their truth (truth.json) in out."""
    truth = {}
    for name, index in BENCH_FIXTURES:
        scan, angle, data = bench_page(index, seed, dpi)
        assert len(scan.pages) == 1, name
        (out / name).write_bytes(data)
        truth[name] = {**truth_of(scan), "rotation_degrees": round(angle, 3), "dpi": dpi}
    for name, kind, angle, saved in FIXTURES:
        for i in range(KINDS.index(kind), 200, len(KINDS)):  # one page, one or two projects
            scan = make_scan(i, seed, dpi)
            if len(scan.pages) == 1 and len(scan.projects) <= 2:
                break
        page = degrade(scan.pages[0], random.Random(f"fixture:{name}"), angle=angle, noise=8.0)
        if saved == "jpeg":
            data = jpeg(page, quality=60)
        else:  # a black-and-white scanner's page: one bit a pixel
            buffer = io.BytesIO()
            page.point(lambda v: 255 if v > 150 else 0).convert("1").save(
                buffer, "PNG", dpi=(dpi, dpi), optimize=True
            )
            data = buffer.getvalue()
        (out / name).write_bytes(data)
        truth[name] = {**truth_of(scan), "rotation_degrees": angle, "dpi": dpi}
    (out / "truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synth.scans", description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--docs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dpi", type=float, default=150.0)
    parser.add_argument(
        "--fixtures",
        action="store_true",
        help="write the tests' fixed scans (tests/fixtures/scans)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    if args.fixtures:
        write_fixtures(args.out, args.seed, args.dpi)
        return 0
    for i in range(args.docs):
        scan = make_scan(i, args.seed, args.dpi)
        rng = random.Random(f"degrade:{args.seed}:{i}")
        for n, page in enumerate(scan.pages, 1):
            name = f"scan_{i:04d}_{scan.kind}_p{n}.jpg"
            (args.out / name).write_bytes(jpeg(degrade(page, rng)))
        (args.out / f"scan_{i:04d}.json").write_text(
            json.dumps(truth_of(scan), ensure_ascii=False, indent=1), encoding="utf-8"
        )
        log.info("scan %d: %s, %d pages", i, scan.kind, len(scan.pages))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
