"""Offline OCR of scanned pages and photos into rows of positioned cells (rapidocr, PP-OCRv4).

The recogniser is rapidocr-onnxruntime: PP-OCRv4 detection and recognition models shipped inside
its wheel (`MODEL_DIR`), run by onnxruntime on the CPU; nothing is downloaded at run time. It was
measured against Debian's tesseract-ocr + chi_sim on our scans (bench/bench_ocr.py, README "Scans
and photos") and reads both numbers and Chinese labels far more accurately, at a similar speed.

A page is read in four steps:
1. OCR gives text boxes (four corners, text, confidence 0..1).
2. Skew: the angle of the page's text lines is the median slope of the wide boxes; within
   ±MAX_SKEW_DEGREES the page is turned upright in coordinates (boxes are rotated about the page's
   centre; the image itself is turned only to find ruling lines). The recogniser already reads
   slanted boxes (it rectifies each box before reading it), so the page is not read twice.
3. Rows: where the page has a ruled table, the horizontal rules cut it into rows and the vertical
   rules inside each row into cells (empty cells included, as a table's text export prints them).
   Text outside a ruled table, and pages without rules, are cut into rows by vertical position
   (boxes whose vertical ranges overlap are one row) and into cells by horizontal gaps; below a
   header row (two or more cells naming column roles, `vocab.indicator_role`/`funds_role`) cells
   are placed in the header's columns, an empty cell where a column has none.
4. Cells: boxes in one cell on one line are joined (OCR splits `1,969.72` into pieces), lines of
   a cell wrapped inside it are joined in reading order.

Text is kept as read: `2, 306. 00` stays for the number stage, a digit is never "fixed". Each
cell keeps the lowest confidence of its boxes; `confidence_findings` reports every cell read
below CONFIDENCE_THRESHOLD as OCR_LOW_CONFIDENCE with its page, line and text.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import re
import statistics
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .findings import Finding
from .ocr_figures import (
    MIN_BLOB_PX,
    PAD_HEIGHT,
    PAD_WIDTH,
    RE_READ_STRETCHES,
    RULE_INSET_PX,
    Figure,
    check_page,
)
from .pages import Geometry, Page, PageCell, tabulate, union

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

# A value read with a lower confidence than this gets an OCR_LOW_CONFIDENCE finding. On the
# bench's scans (150 dpi, ±3°, noise, JPEG) every misread cell scored below it; correct cells
# score 0.95-1.0 nearly always (bench/bench_ocr.py prints what it catches).
CONFIDENCE_THRESHOLD = 0.80
# Boxes the recogniser scores below this are speckles and rules read as text: dropped.
MIN_BOX_SCORE = 0.3
# Pages at a finer resolution are read at this one: the same text, half the time of 200 dpi.
OCR_MAX_DPI = 150.0
# An A4 page measured at 150.04 dpi is not resampled for the difference.
DPI_SLACK = 0.02
# The text detector sees the page with its longer side at most this many pixels (an A4 page at
# 110 dpi): 9-point text is still 14 pixels high, ample for it (bench/bench_ocr.py).
DET_MAX_SIDE = 1280
# Skew corrected in coordinates; beyond it a page is read as it lies.
MAX_SKEW_DEGREES = 5.0
MIN_SKEW_DEGREES = 0.05
SKEW_REFINE_DEGREES = 0.6
SKEW_STEP_DEGREES = 0.05
# A box at least this many times wider than high gives its slope to the skew estimate.
SLOPE_MIN_ASPECT = 3.0
# Images: larger ones are refused (a decompression bomb), smaller side at least this.
MAX_IMAGE_PIXELS = 60_000_000
MIN_IMAGE_SIDE = 32
# Resolution assumed when an image does not carry a plausible one: the page is A4 (11.69 in).
A4_LONG_SIDE_INCHES = 11.69
PLAUSIBLE_DPI = (72.0, 1200.0)
# Ruling lines: a horizontal rule is a run of ink at least this share of the page's width...
RULE_MIN_WIDTH_SHARE = 0.15
# ...a vertical rule fills at least this share of its row's height.
RULE_MIN_FILL = 0.8
# A pixel is ink when it is this much darker than the mean of its neighbourhood (adaptive, so
# that a photo's uneven light does not turn a shadow into ink).
INK_CONTRAST = 25
INK_BLOCK_PX = 31
# A rule cuts a box only this many text heights inside its ends (a box just touching it is
# the detector's margin).
RULE_CUT_MARGIN = 0.3
# Share of the smaller height two boxes must overlap vertically to be on one line.
LINE_OVERLAP = 0.3
# Two boxes on one line closer than this many text heights are pieces of one cell (no rules).
CELL_GAP_HEIGHTS = 1.2
# A figure outside ruled cells is re-read from its boxes widened by this many text heights.
UNRULED_PAD_HEIGHTS = 0.5
# A band of ink lower than this share of the tallest line in a cell is a speck, not a line.
LINE_MIN_SHARE = 0.4
# The lines of a wrapped figure are read side by side, this many line heights apart.
LINE_JOIN_GAP = 0.15
# A blob of ink in a ruled cell outside every box read is a stroke the detector missed when its
# area is at least this share of a text height squared (a `1` is about 0.08, a speck less).
UNREAD_MIN_AREA = 0.03


def model_dir() -> Path:
    """The folder of the PP-OCR models: inside the installed rapidocr_onnxruntime package."""
    import rapidocr_onnxruntime

    return Path(rapidocr_onnxruntime.__file__).parent / "models"


@cache
def engine():
    """The recogniser, loaded once per process from the package's own model files."""
    from rapidocr_onnxruntime import RapidOCR
    from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

    models = model_dir()
    ocr = RapidOCR(
        det_model_path=str(models / "ch_PP-OCRv4_det_infer.onnx"),
        rec_model_path=str(models / "ch_PP-OCRv4_rec_infer.onnx"),
        cls_model_path=str(models / "ch_ppocr_mobile_v2.0_cls_infer.onnx"),
        use_cls=False,  # pages are upright; the 180° classifier costs time and flips nothing
        text_score=MIN_BOX_SCORE,
        # One thread: on two shared cores a second one spun more than it helped (7.4 s of CPU
        # a page instead of 3.8, and slower under load) and leaves no core to other users.
        intra_op_num_threads=1,
        inter_op_num_threads=1,
        # Short crops padded to 160 pixels instead of 320: the same text, a third less CPU.
        rec_img_shape=[3, 48, 160],
    )
    # Detection on the page scaled to DET_MAX_SIDE (the recogniser still reads each box from
    # the page as it is): half the detector's time, and one box where the full page gave two
    # overlapping ones (`2,309.` + `.12`). rapidocr's own setting never scales a page down.
    det = ocr.text_det
    ocr.text_det.get_preprocess = lambda _longest: DetPreProcess(
        DET_MAX_SIDE, "max", det.mean, det.std
    )
    return ocr


# --- boxes -----------------------------------------------------------------------------------


@dataclass
class Word:
    """One OCR box: text, confidence, its corners on the image, its box upright (pixels)."""

    text: str
    confidence: float
    corners: tuple[tuple[float, float], ...]
    x0: float
    y0: float
    x1: float
    y1: float
    chars: tuple[Word, ...] = ()  # each character, where the recogniser gave their boxes

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass
class Cell:
    """Words of one table cell, and the cell's upright box where rules drew it."""

    words: list[Word]
    box: tuple[float, float, float, float] | None = None


def recognise(pixels) -> list[tuple[list, str, float, tuple]]:
    """(corners, text, confidence, each character's corners or ()) of every text box on an RGB
    array. The characters' boxes split a box the detector drew across two cells."""
    result, _elapsed = engine()(
        pixels,
        return_word_box=True,
        # a call with any option resets these to rapidocr's defaults unless given
        text_score=MIN_BOX_SCORE,
        box_thresh=0.5,
        unclip_ratio=1.6,
    )
    out = []
    for item in result or []:
        corners, text, score = item[:3]
        chars = item[3] if len(item) > 3 and item[3] and len(item[3]) == len(text) else ()
        out.append((corners, text, float(score), tuple(chars)))
    return out


def skew_degrees(boxes: Sequence[tuple[list, str, float]]) -> float:
    """The page's skew: median slope of the wide text boxes, in degrees (positive: clockwise
    on screen, i.e. the right end lower)."""
    slopes = []
    for corners, *_rest in boxes:
        (x0, y0), (x1, y1) = corners[0], corners[1]
        width = math.hypot(x1 - x0, y1 - y0)
        height = math.hypot(corners[3][0] - x0, corners[3][1] - y0)
        if height and width >= SLOPE_MIN_ASPECT * height:
            slopes.append(math.degrees(math.atan2(y1 - y0, x1 - x0)))
    return statistics.median(slopes) if slopes else 0.0


class Frame:
    """Rotation by -angle about the page's centre: image coordinates <-> upright ones."""

    def __init__(self, angle: float, width: int, height: int):
        self.angle = angle
        self.cx, self.cy = width / 2, height / 2
        rad = math.radians(angle)
        self.cos, self.sin = math.cos(rad), math.sin(rad)

    def upright(self, x: float, y: float) -> tuple[float, float]:
        dx, dy = x - self.cx, y - self.cy
        return (self.cx + dx * self.cos + dy * self.sin, self.cy - dx * self.sin + dy * self.cos)

    def on_image(self, x: float, y: float) -> tuple[float, float]:
        dx, dy = x - self.cx, y - self.cy
        return (self.cx + dx * self.cos - dy * self.sin, self.cy + dx * self.sin + dy * self.cos)

    def image_box(self, box: tuple[float, float, float, float]) -> tuple[float, ...]:
        """An upright box as the box around its corners on the image."""
        x0, y0, x1, y1 = box
        points = [self.on_image(x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return (min(xs), min(ys), max(xs), max(ys))


def words_of(boxes, frame: Frame) -> list[Word]:
    words = []
    for corners, text, score, chars in boxes:
        if not text.strip():
            continue
        word = _word(text, score, corners, frame)
        if chars:
            word.chars = tuple(
                _word(ch, score, box, frame) for ch, box in zip(text, chars, strict=True)
            )
        words.append(word)
    return words


def _word(text: str, score: float, corners, frame: Frame) -> Word:
    points = [frame.upright(float(x), float(y)) for x, y in corners]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    image = tuple((float(x), float(y)) for x, y in corners)
    return Word(text, score, image, min(xs), min(ys), max(xs), max(ys))


def split_at(word: Word, rules: Sequence[float]) -> list[Word]:
    """The word cut at the vertical rules running through it (the detector drew one box over
    two cells' figures, `26,981,982.0024,641,316.00`), by its characters' boxes."""
    margin = RULE_CUT_MARGIN * word.height
    cuts = [x for x in rules if word.x0 + margin < x < word.x1 - margin]
    if not cuts or not word.chars:
        return [word]
    parts: dict[int, list[Word]] = {}
    for ch in word.chars:
        parts.setdefault(sum(ch.cx > x for x in cuts), []).append(ch)
    out = []
    for _k, chars in sorted(parts.items()):
        text = "".join(c.text for c in chars).strip()
        if text:
            out.append(
                Word(
                    text,
                    word.confidence,
                    tuple(p for c in chars for p in c.corners),
                    min(c.x0 for c in chars),
                    min(c.y0 for c in chars),
                    max(c.x1 for c in chars),
                    max(c.y1 for c in chars),
                )
            )
    return out


# --- ruling lines ----------------------------------------------------------------------------


@dataclass
class Rules:
    """Horizontal rules (y, x0, x1) and the ink mask of the upright page."""

    horizontal: list[tuple[float, float, float]]
    ink: object  # numpy bool array, upright page

    def verticals(self, y0: float, y1: float, x0: float, x1: float) -> list[float]:
        """x of the vertical rules crossing the band y0..y1 between x0 and x1."""
        import numpy as np

        top, bottom = int(y0) + 3, int(y1) - 2
        if bottom - top < 4:
            return []
        band = self.ink[top:bottom, max(0, int(x0) - 3) : int(x1) + 4]
        fill = band.mean(axis=0)
        xs = np.flatnonzero(fill >= RULE_MIN_FILL) + max(0, int(x0) - 3)
        return _runs(xs)


def _spans(values) -> list[tuple[int, int]]:
    """(first, last) of each run of consecutive integers, gaps of one allowed (a rule a few
    pixels thick is one rule)."""
    out: list[tuple[int, int]] = []
    for v in values:
        v = int(v)
        if out and v - out[-1][1] <= 2:
            out[-1] = (out[-1][0], v)
        else:
            out.append((v, v))
    return out


def _runs(values) -> list[float]:
    """Centres of the runs of consecutive integers."""
    return [(a + b) / 2 for a, b in _spans(values)]


def refine_skew(gray, angle: float) -> float:
    """The skew near angle that lines up the page's ink best: the rotation (within
    ±SKEW_REFINE_DEGREES, steps of SKEW_STEP_DEGREES) whose rows of ink are sharpest. Text boxes
    give the skew to a few tenths of a degree; a table's rules need it to a few hundredths."""
    import cv2
    import numpy as np

    small = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    ink = ink_of(small).astype(np.float32)
    h, w = ink.shape
    best, best_score = angle, -1.0
    steps = round(SKEW_REFINE_DEGREES / SKEW_STEP_DEGREES)
    for k in range(-steps, steps + 1):
        a = angle + k * SKEW_STEP_DEGREES
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), a, 1.0)
        rows = cv2.warpAffine(ink, turn, (w, h), flags=cv2.INTER_NEAREST).sum(axis=1)
        score = float(np.square(rows).sum())
        if score > best_score:
            best, best_score = a, score
    return best


def ink_of(gray):
    """Bool mask of the ink on a grey page."""
    import cv2

    mask = cv2.adaptiveThreshold(
        gray, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, INK_BLOCK_PX, INK_CONTRAST
    )
    return mask.astype(bool)


def upright_of(gray, frame: Frame):
    """The grey page turned upright (the frame's skew undone)."""
    import cv2

    if abs(frame.angle) < MIN_SKEW_DEGREES:
        return gray
    h, w = gray.shape
    turn = cv2.getRotationMatrix2D((frame.cx, frame.cy), frame.angle, 1.0)
    return cv2.warpAffine(gray, turn, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def find_rules(gray) -> Rules | None:
    """The horizontal ruling lines of the upright grey page; None when it has none."""
    import cv2
    import numpy as np

    h, w = gray.shape
    ink = ink_of(gray)
    length = max(20, int(w * RULE_MIN_WIDTH_SHARE))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1))
    lines = cv2.morphologyEx(ink.astype(np.uint8), cv2.MORPH_OPEN, kernel)
    horizontal = []
    for top, bottom in _spans(np.flatnonzero(lines.any(axis=1))):
        xs = np.flatnonzero(lines[top : bottom + 1].any(axis=0))
        horizontal.append(((top + bottom) / 2, float(xs[0]), float(xs[-1])))
    if len(horizontal) < 2:
        return None
    return Rules(horizontal, ink)


# --- rows and cells --------------------------------------------------------------------------


def _lines(words: list[Word]) -> list[list[Word]]:
    """Words grouped into lines: a word joins a line whose vertical range overlaps its own by
    LINE_OVERLAP of the smaller height, so a figure centred beside a name wrapped on two lines
    joins both into one row."""
    lines: list[list[Word]] = []
    spans: list[list[float]] = []
    for word in sorted(words, key=lambda w: w.cy):
        for k in range(len(lines) - 1, -1, -1):
            top, bottom = spans[k]
            overlap = min(bottom, word.y1) - max(top, word.y0)
            if overlap >= LINE_OVERLAP * min(word.height, bottom - top):
                lines[k].append(word)
                spans[k] = [min(top, word.y0), max(bottom, word.y1)]
                break
        else:
            lines.append([word])
            spans.append([word.y0, word.y1])
    return lines


def _join(a: str, b: str) -> str:
    """Two pieces of one cell: no space between Chinese or between pieces of a number."""
    if not a or not b:
        return a + b
    if _HAN.match(a[-1]) or _HAN.match(b[0]) or (a[-1] in _NUMBER_CHARS and b[0] in _NUMBER_CHARS):
        return a + b
    return f"{a} {b}"


_HAN = re.compile("[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_NUMBER_CHARS = frozenset("0123456789.,%")


def cell_text(words: list[Word]) -> str:
    """A cell's words in reading order: lines top to bottom, words left to right; brackets
    around Chinese in their full-width form, as the forms print them (the recogniser gives
    `(一期）` for `（一期）`)."""
    text = ""
    for line in _lines(words):
        for word in sorted(line, key=lambda w: w.x0):
            text = _join(text, word.text)
    return _OPEN_BEFORE_HAN.sub("（", _CLOSE_AFTER_HAN.sub("）", text))


_OPEN_BEFORE_HAN = re.compile(r"\((?=[\u4e00-\u9fff])")
_CLOSE_AFTER_HAN = re.compile(r"(?<=[\u4e00-\u9fff])\)")


def _gap_cells(words: list[Word]) -> list[Cell]:
    """A row's words grouped into cells by horizontal gaps (no rules to go by)."""
    height = statistics.median(w.height for w in words) if words else 0
    cells: list[Cell] = []
    right = -math.inf
    for word in sorted(words, key=lambda w: w.x0):
        if cells and word.x0 - right <= CELL_GAP_HEIGHTS * height:
            cells[-1].words.append(word)
        else:
            cells.append(Cell([word]))
        right = max(right, word.x1) if len(cells[-1].words) > 1 else word.x1
    return cells


def _header_columns(cells: list[Cell]) -> list[tuple[float, float]] | None:
    """The x-ranges of a header row's cells, when two or more of them name a column role."""
    from .vocab import funds_role, indicator_role, key_of

    roles = 0
    for cell in cells:
        key = key_of(cell_text(cell.words))
        if indicator_role(key) or funds_role(key):
            roles += 1
    if roles < 2:
        return None
    return [(min(w.x0 for w in c.words), max(w.x1 for w in c.words)) for c in cells]


def _in_columns(cells: list[Cell], columns: list[tuple[float, float]]) -> list[Cell] | None:
    """The row's cells placed in the header's columns (empty cells between), or None when the
    row does not fit them (two cells in one column, or a cell beyond the header)."""
    bounds = [(a + b) / 2 for (_, a), (b, _) in zip(columns, columns[1:], strict=False)]
    placed: list[Cell | None] = [None] * len(columns)
    for cell in cells:
        cx = (min(w.x0 for w in cell.words) + max(w.x1 for w in cell.words)) / 2
        k = sum(cx > b for b in bounds)
        if placed[k] is not None:
            return None
        placed[k] = cell
    last = max(k for k, c in enumerate(placed) if c is not None)
    return [c if c is not None else Cell([]) for c in placed[: last + 1]]


def _plain_rows(words: list[Word]) -> list[list[Cell]]:
    """Rows of words outside ruled tables: by vertical position, cells by gaps and header."""
    rows = []
    columns = None
    for line in _lines(words):
        cells = _gap_cells(line)
        header = _header_columns(cells)
        if header is not None:
            columns = header
        elif columns is not None and len(cells) > 1:
            cells = _in_columns(cells, columns) or cells
        rows.append(cells)
    return rows


def _ruled_rows(words: list[Word], rules: Rules) -> tuple[list[tuple[float, list[Cell]]], list]:
    """Rows of the ruled tables as (top y, cells), and the words outside every table."""
    ys = [y for y, _, _ in rules.horizontal]
    bands: dict[int, list[Word]] = {}
    outside = []
    for word in words:
        k = next((i for i in range(len(ys) - 1) if ys[i] <= word.cy < ys[i + 1]), None)
        covered = (
            k is not None
            and _covers(rules.horizontal[k], word)
            and _covers(rules.horizontal[k + 1], word)
        )
        if covered:
            bands.setdefault(k, []).append(word)
        else:
            outside.append(word)
    rows = []
    for k, band_words in sorted(bands.items()):
        (top, ax0, ax1), (bottom, bx0, bx1) = rules.horizontal[k], rules.horizontal[k + 1]
        x0, x1 = min(ax0, bx0), max(ax1, bx1)
        xs = rules.verticals(top, bottom, x0, x1)
        if len(xs) < 2:  # between two tables: a title, read as lines
            outside += band_words
            continue
        cells = [Cell([], (a, top, b, bottom)) for a, b in zip(xs, xs[1:], strict=False)]
        extra: list[Cell] = []
        for word in (part for w in band_words for part in split_at(w, xs)):
            k2 = next((i for i in range(len(xs) - 1) if xs[i] <= word.cx < xs[i + 1]), None)
            if k2 is None:
                extra.append(Cell([word]))
            else:
                cells[k2].words.append(word)
        before = [c for c in extra if c.words[0].cx < xs[0]]
        after = [c for c in extra if c.words[0].cx >= xs[-1]]
        rows.append((top, [*before, *cells, *after]))
    return rows, outside


def _covers(rule: tuple[float, float, float], word: Word) -> bool:
    _, x0, x1 = rule
    return x0 - 2 <= word.cx <= x1 + 2


def table_rows(words: list[Word], rules: Rules | None) -> list[list[Cell]]:
    """The page's rows of cells, top to bottom."""
    if rules is None:
        return _plain_rows(words)
    ruled, outside = _ruled_rows(words, rules)
    plain = [(min(w.y0 for c in r for w in c.words), r) for r in _plain_rows(outside)]
    return [cells for _top, cells in sorted([*ruled, *plain], key=lambda tr: tr[0])]


# --- pages and files -------------------------------------------------------------------------


def read_page_image(
    image, page_number: int, *, dpi: float = 200, progress: Progress | None = None
) -> list[list[PageCell]]:
    """Rows of cells read from one page image, in reading order, boxes in points (72/dpi of
    the image's pixels, from its top-left) with each cell's OCR confidence.

    progress(done, total) is called with (0, 1) before the page is read and (1, 1) after.
    """
    import numpy as np

    if progress:
        progress(0, 1)
    if dpi > OCR_MAX_DPI * (1 + DPI_SLACK):
        scale = OCR_MAX_DPI / dpi
        image = image.resize((round(image.width * scale), round(image.height * scale)))
        dpi = OCR_MAX_DPI
    rgb = np.asarray(image.convert("RGB"))
    boxes = recognise(rgb)
    height, width = rgb.shape[:2]
    gray = np.asarray(image.convert("L"))
    angle = skew_degrees(boxes)
    if abs(angle) > MAX_SKEW_DEGREES:
        angle = 0.0
    elif boxes:
        angle = refine_skew(gray, angle)
    if abs(angle) < MIN_SKEW_DEGREES:
        angle = 0.0
    log.debug("page %d: %d text boxes, skew %.2f°", page_number, len(boxes), angle)
    frame = Frame(angle, width, height)
    words = words_of(boxes, frame)
    upright = upright_of(gray, frame) if words else gray
    rules = find_rules(upright) if words else None
    scale = 72.0 / dpi
    table = [
        [cell for cell in cells if cell.box or cell.words] for cells in table_rows(words, rules)
    ]
    height = statistics.median(w.height for w in words) if words else 0.0
    figures = [[_figure(cell, rules, height) for cell in cells] for cells in table]
    check_page(figures, lambda fs: reread(upright, fs), CONFIDENCE_THRESHOLD)
    rows = []
    for cells, checked in zip(table, figures, strict=True):
        row = []
        for cell, figure in zip(cells, checked, strict=True):
            if cell.box is not None:
                box = frame.image_box(cell.box)
            else:
                box = union(_corner_box(w) for w in cell.words)
            confidence = figure.confidence
            row.append(
                PageCell(
                    figure.text,
                    page_number,
                    tuple(round(v * scale, 2) for v in box),
                    None if confidence is None else round(confidence, 4),
                    figure.doubt,
                    figure.others,
                )
            )
        if any(c.text for c in row):
            rows.append(row)
    if progress:
        progress(1, 1)
    return rows


def _figure(cell: Cell, rules: Rules | None, text_height: float) -> Figure:
    """A cell as a reading to check: its text, lowest confidence, where its ink lies, and
    whether the cell holds ink no box read."""
    confidence = min((w.confidence for w in cell.words), default=None)
    region = cell.box
    unread = cell.box is not None and rules is not None and unread_ink(rules.ink, cell, text_height)
    if region is None and cell.words:
        h = statistics.median(w.height for w in cell.words)
        region = (
            min(w.x0 for w in cell.words) - UNRULED_PAD_HEIGHTS * h,
            min(w.y0 for w in cell.words) - UNRULED_PAD_HEIGHTS * h / 2,
            max(w.x1 for w in cell.words) + UNRULED_PAD_HEIGHTS * h,
            max(w.y1 for w in cell.words) + UNRULED_PAD_HEIGHTS * h / 2,
        )
    return Figure(
        cell_text(cell.words), confidence, region, ruled=cell.box is not None, unread=unread
    )


def unread_ink(ink, cell: Cell, text_height: float) -> bool:
    """Whether the ruled cell holds a stroke of ink outside every box read in it: a wrapped
    `0` on a line of its own, the front of a figure, a lone digit the detector missed."""
    import cv2
    import numpy as np

    x0, y0, x1, y1 = cell.box
    top, left = int(y0) + RULE_INSET_PX, int(x0) + RULE_INSET_PX
    cut = ink[top : int(y1) - RULE_INSET_PX + 1, left : int(x1) - RULE_INSET_PX + 1]
    if cut.shape[0] < 4 or cut.shape[1] < 4:
        return False
    n, _labels, stats, centres = cv2.connectedComponentsWithStats(cut.astype(np.uint8), 8)
    least = UNREAD_MIN_AREA * text_height**2
    for k in range(1, n):
        bx, by, bw, bh, area = stats[k]
        edge = bx == 0 or by == 0 or bx + bw == cut.shape[1] or by + bh == cut.shape[0]
        if edge or area < least:
            continue
        cx, cy = centres[k][0] + left, centres[k][1] + top
        if not any(w.x0 <= cx <= w.x1 and w.y0 <= cy <= w.y1 for w in cell.words):
            return True
    return False


def reread(upright, figures: Sequence[Figure]) -> None:
    """Each figure's ink cut from the upright page and read again, stretched sideways by each
    of RE_READ_STRETCHES (one batch through the recogniser alone): its `readings`."""
    import cv2

    crops, owners = [], []
    for figure in figures:
        crop = ink_crop(upright, figure.region, figure.ruled)
        if crop is None:
            continue
        for s in RE_READ_STRETCHES:
            scaled = (
                crop
                if s == 1.0
                else cv2.resize(crop, None, fx=s, fy=1.0, interpolation=cv2.INTER_CUBIC)
            )
            crops.append(cv2.cvtColor(scaled, cv2.COLOR_GRAY2RGB))
            owners.append(figure)
    if not crops:
        return
    results, _elapsed = engine().text_rec(crops)
    for figure, (text, score, *_rest) in zip(owners, results, strict=True):
        figure.readings.append(("".join(str(text).split()), float(score)))


def ink_crop(upright, region, ruled: bool):
    """The figure's ink cut from the page, tight and padded with the paper's grey, as one line
    (the recogniser reads a line filling its height): the lines of a figure wrapped in its cell
    are set side by side, since a lone `0` on a line of its own is read as anything."""
    import numpy as np

    lines = ink_lines(upright, region, ruled)
    if not lines:
        return None
    height = max(line.shape[0] for line in lines)
    paper = int(
        np.median(upright[int(region[1]) : int(region[3]), int(region[0]) : int(region[2])])
    )
    gap = np.full((height, max(1, round(LINE_JOIN_GAP * height))), paper, dtype=upright.dtype)
    parts = []
    for line in lines:
        top = (height - line.shape[0]) // 2
        bottom = height - line.shape[0] - top
        parts += [np.pad(line, ((top, bottom), (0, 0)), constant_values=paper), gap]
    row = np.hstack(parts[:-1])
    pad_y, pad_x = round(PAD_HEIGHT * height), round(PAD_WIDTH * height)
    return np.pad(row, ((pad_y, pad_y), (pad_x, pad_x)), constant_values=paper)


def ink_lines(upright, region, ruled: bool) -> list:
    """The figure's ink, one tight cut per printed line. In a ruled cell the blobs touching the cut's edge (what is left of the rules) are dropped."""
    import cv2
    import numpy as np

    if region is None:
        return []
    h, w = upright.shape
    inset = RULE_INSET_PX if ruled else 0
    x0, y0 = max(0, int(region[0]) + inset), max(0, int(region[1]) + inset)
    x1, y1 = min(w, int(region[2]) - inset + 1), min(h, int(region[3]) - inset + 1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return []
    cut = upright[y0:y1, x0:x1]
    n, labels, stats, _c = cv2.connectedComponentsWithStats(ink_of(cut).astype(np.uint8), 8)
    keep = np.zeros(n, dtype=bool)
    for k in range(1, n):
        left, top, width, height, area = stats[k]
        edge = left == 0 or top == 0 or left + width == cut.shape[1] or top + height == cut.shape[0]
        keep[k] = area >= MIN_BLOB_PX and not (ruled and edge)
    mask = keep[labels]
    bands = _spans(np.flatnonzero(mask.any(axis=1)))
    if not bands:
        return []
    tallest = max(b - a + 1 for a, b in bands)
    out = []
    for a, b in bands:
        if b - a + 1 < LINE_MIN_SHARE * tallest:  # a speck between lines
            continue
        xs = np.flatnonzero(mask[a : b + 1].any(axis=0))
        tight = cut[max(0, a - 1) : b + 2, max(0, xs[0] - 1) : xs[-1] + 2]
        out.append(tight)
    return out


def _corner_box(word: Word) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in word.corners], [p[1] for p in word.corners]
    return (min(xs), min(ys), max(xs), max(ys))


def image_dpi(image) -> float:
    """The image's resolution where it records a plausible one, else that of an A4 page."""
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        value = 0.0
    if PLAUSIBLE_DPI[0] < value <= PLAUSIBLE_DPI[1]:
        return value
    return max(image.size) / A4_LONG_SIDE_INCHES


def open_image(raw: bytes, name: str):
    """The picture in raw, upright by its EXIF orientation. Raises ReaderError."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    from .readers import ReaderError

    try:
        image = Image.open(io.BytesIO(raw))
        width, height = image.size
        if width * height > MAX_IMAGE_PIXELS:
            raise ReaderError(
                f"图片过大（{width}×{height} 像素），请缩小到 {MAX_IMAGE_PIXELS // 10**6} "
                "百万像素以内（A4 扫描 300 dpi 约 870 万像素）后重新导入。"
            )
        image.load()
        image = ImageOps.exif_transpose(image)
    except ReaderError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
    ) as exc:
        raise ReaderError(
            f"{name} 不是可以打开的图片（{type(exc).__name__}）：文件可能已损坏或不是 PNG/JPEG，"
            "请重新扫描或拍照后导入。"
        ) from exc
    if min(image.size) < MIN_IMAGE_SIDE:
        raise ReaderError(f"图片太小（{image.size[0]}×{image.size[1]} 像素），无法识别文字。")
    return image


def read_image_file(
    raw: bytes, name: str, progress: Progress | None = None
) -> tuple[list[list[PageCell]], list[Page], list[Finding]]:
    """A scan or photo (.png, .jpg, .jpeg) as one page: its rows, the page, and the findings
    on values read with low confidence. Raises ReaderError for what is no readable picture."""
    progress = progress or _PROGRESS.get()
    key = hashlib.sha256(raw).hexdigest()
    if key in _READ:  # the import's trial parse, then its build: one OCR
        rows, pages, findings = _READ[key]
        if progress:
            progress(len(pages), len(pages))
        return [list(r) for r in rows], list(pages), list(findings)
    rows, pages, findings = _read_image(raw, name, progress)
    _READ[key] = (rows, pages, findings)
    while len(_READ) > READ_CACHE_FILES:
        _READ.pop(next(iter(_READ)))
    return [list(r) for r in rows], list(pages), list(findings)


# sha256 of an image -> what it read, for the last few images read in this process.
_READ: dict[str, tuple] = {}
READ_CACHE_FILES = 8


def _read_image(raw: bytes, name: str, progress: Progress | None):
    from .readers import ReaderError

    image = open_image(raw, name)
    dpi = image_dpi(image)
    rows = read_page_image(image, 1, dpi=dpi, progress=progress or log_progress(name))
    if not any(c.text for row in rows for c in row):
        raise ReaderError(
            "图片中没有识别出文字：请确认这是绩效表格的扫描件或照片，页面清晰、方向正确。"
        )
    width, height = image.size
    pages = [Page(1, round(width * 72 / dpi, 2), round(height * 72 / dpi, 2), ocr=True)]
    _text, geometry = tabulate(rows, pages)
    return rows, pages, confidence_findings(rows, geometry)


# Where OCR reports its pages when the caller passes no progress: set by `reporting` for a
# thread's work (the import page's worker), so the progress needs no argument through the build.
_PROGRESS: ContextVar[Progress | None] = ContextVar("ocr_progress", default=None)


@contextmanager
def reporting(progress: Progress):
    """Within the block (in this thread or task), OCR reports its pages to progress."""
    token = _PROGRESS.set(progress)
    try:
        yield
    finally:
        _PROGRESS.reset(token)


def is_read(sha256: str) -> bool:
    """Whether the image of this sha256 was read by OCR in this process (and is kept)."""
    return sha256 in _READ


def log_progress(name: str) -> Progress:
    """A progress callback that logs "OCR name 第 n/N 页" as each page is done."""

    def report(done: int, total: int) -> None:
        if done:
            log.info("OCR %s 第 %d/%d 页", name, done, total)

    return report


def _floor2(value: float) -> str:
    """Two decimals rounded down, so that a value below the threshold never prints as it."""
    return f"{math.floor(value * 100) / 100:.2f}"


def confidence_findings(
    rows: Sequence[Sequence[PageCell]],
    geometry: Geometry,
    threshold: float = CONFIDENCE_THRESHOLD,
) -> list[Finding]:
    """Per line of tabulate's text: one OCR_LOW_CONFIDENCE finding when it holds cells read
    below threshold or in doubt (a figure its format or its row's arithmetic rejects), naming
    page, line and text as read; one VALUE_INFERRED finding when the arithmetic chose a cell's
    reading among several, naming them."""
    line_of = {(g.page, g.cells): n for n, g in geometry.lines.items()}
    findings = []
    for row in rows:
        line = line_of.get((row[0].page, tuple(c.box for c in row)))
        where = f"第 {row[0].page} 页第 {line} 行"
        low = [
            c
            for c in row
            if c.text and (c.doubt or (c.confidence is not None and c.confidence < threshold))
        ]
        if low:
            values = "、".join(f"“{c.text}”（{_why(c)}）" for c in low)
            findings.append(
                Finding(
                    "OCR_LOW_CONFIDENCE",
                    f"{where}识别存疑（置信度低于 {threshold:.2f} 或数值核对不通过）：{values}，"
                    "请对照原文核对。",
                    source_line=line,
                )
            )
        chosen = [c for c in row if c.others and not c.doubt]
        if chosen:
            values = "、".join(
                f"“{c.text}”（另识别为 {'、'.join(f'“{o}”' for o in c.others)}）" for c in chosen
            )
            findings.append(
                Finding(
                    "VALUE_INFERRED",
                    f"{where}按 执行数 ÷ 预算数 = 执行率 在多次识别结果中选定：{values}，"
                    "请对照原文核对。",
                    source_line=line,
                )
            )
    return findings


def _why(cell: PageCell) -> str:
    """The confidence as a finding shows it, with the doubt where there is one."""
    confidence = None if cell.confidence is None else _floor2(cell.confidence)
    if not cell.doubt:
        return confidence or ""
    return f"置信度 {confidence}，{cell.doubt}" if confidence else cell.doubt
