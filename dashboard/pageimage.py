"""Page images for the 原文 view: a PDF page rendered server-side, the cited box drawn on it.

pypdfium2 renders the page (no browser PDF viewer needed, works for scans and text PDFs alike);
the plain rendering is cached on disk by the file's sha256, the page and the scale, so paging
back and forth or reopening a link costs a PNG read. Pillow draws the highlight on a copy.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

# Pixels per point of the rendered page (2 = 144 dpi: sharp on a high-density screen, an A4 page
# 1,190 × 1,684 pixels).
SCALE = 2.0
# The cited box: a translucent yellow fill (as the text view's highlight) and an orange frame.
HIGHLIGHT_FILL = (255, 226, 80, 90)
HIGHLIGHT_EDGE = (240, 130, 0, 255)
HIGHLIGHT_WIDTH = 3
# Points of margin drawn around the box, so that the frame does not cover the text.
BOX_MARGIN_PT = 2.0
CACHE_ENV = "DASHBOARD_PAGE_CACHE"


def cache_dir() -> Path:
    """Where rendered pages are kept: DASHBOARD_PAGE_CACHE, else a folder in the temp dir."""
    folder = Path(os.environ.get(CACHE_ENV) or Path(tempfile.gettempdir()) / "jixiao-pages")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def rendered(raw: bytes, sha256: str, page: int, scale: float = SCALE) -> bytes:
    """Page `page` (1-based) of the PDF raw as PNG bytes, from the disk cache when there."""
    path = cache_dir() / f"{sha256}-p{page}-s{scale:g}.png"
    try:
        return path.read_bytes()
    except OSError:
        pass
    from loaders.pdf import render_image

    image = render_image(raw, page, round(72 * scale))
    out = io.BytesIO()
    image.save(out, format="PNG")
    data = out.getvalue()
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)  # a reader never sees half a file
    except OSError:
        tmp.unlink(missing_ok=True)
    return data


def highlighted(png: bytes, boxes, scale: float = SCALE) -> bytes:
    """The page image with each box (x0, y0, x1, y1 in points, top-left origin) highlighted."""
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for box in boxes:
        if box is None:
            continue
        x0, y0, x1, y1 = (float(v) for v in box)
        frame = [
            (x0 - BOX_MARGIN_PT) * scale,
            (y0 - BOX_MARGIN_PT) * scale,
            (x1 + BOX_MARGIN_PT) * scale,
            (y1 + BOX_MARGIN_PT) * scale,
        ]
        draw.rectangle(frame, fill=HIGHLIGHT_FILL, outline=HIGHLIGHT_EDGE, width=HIGHLIGHT_WIDTH)
    out = io.BytesIO()
    Image.alpha_composite(image, layer).convert("RGB").save(out, format="PNG")
    return out.getvalue()


def page_count(raw: bytes) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(raw)
    try:
        return len(document)
    finally:
        document.close()
