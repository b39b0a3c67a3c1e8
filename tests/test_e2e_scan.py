"""Browser end-to-end for a scanned PDF (issue 12): imported through 导入文档, OCRed, then its 原文.

tests/fixtures/scans/eval_form_scan.pdf is one page with no text layer: the rotated JPEG scan of
a 项目支出绩效自评表 (eval_form_rotated.jpg, 150 dpi, 2.5°) saved as a PDF. Uploaded in headless
Chromium, it is read by OCR in the background, imported, and the 原文 link of its project opens
the rendered page with the project's box framed beside the recovered text; the screenshot goes
to tests/artifacts/scan_pdf_source_page.png.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from playwright.sync_api import expect
from test_e2e_import import (  # noqa: F401 (fixtures)
    IMPORT_MS,
    PAGE_LOAD_MS,
    app,
    browser,
    key_of,
    page,
    settled,
    upload,
)
from test_e2e_pdf import MIN_EDGE_PIXELS, edge_pixels

from dashboard import trace

ROOT = Path(__file__).resolve().parent.parent
SCANS = ROOT / "tests" / "fixtures" / "scans"
SCAN = SCANS / "eval_form_scan.pdf"
TRUTH = json.loads((SCANS / "truth.json").read_text("utf-8"))["eval_form_rotated.jpg"]
ARTIFACTS = ROOT / "tests" / "artifacts"
OCR_MS = 300_000  # a page takes seconds alone, more on a busy machine


def test_a_scanned_pdf_is_imported_and_its_source_shows_the_framed_page(app, page):  # noqa: F811
    url, raw, out = app
    data = SCAN.read_bytes()
    page.goto(f"{url}/import_documents")
    settled(page, "导入文档")
    upload(page, {"扫描件.pdf": data})
    unit = page.locator(f".st-key-import_unit_{key_of(data)} input")
    expect(unit).to_have_value(TRUTH["unit"], timeout=OCR_MS)
    page.locator(f".st-key-import_confirm_{key_of(data)} button").click()
    expect(page.get_by_text("已导入 扫描件.pdf")).to_be_visible(timeout=IMPORT_MS)
    assert (raw / "扫描件.pdf").read_bytes() == data

    documents = pd.read_parquet(out / "documents.parquet").set_index("source_file")
    assert (documents.loc["扫描件.pdf", "pages"], documents.loc["扫描件.pdf", "ocr_pages"]) == (
        1,
        1,
    )
    projects = pd.read_parquet(out / "projects.parquet")
    (want,) = TRUTH["projects"]
    row = projects[projects["project"] == want["project"]].iloc[0]
    assert (row["budget_wan"], row["actual_wan"]) == (want["budget_wan"], want["actual_wan"])
    assert row["source_page"] == 1

    link = trace.source_link(row["doc_id"], row["source_line"], row.get("end_line"))
    page.goto(f"{url}/{link}")
    settled(page, "原文")
    highlighted = page.locator(".srcview .ln.hl")
    expect(highlighted.first).to_be_visible(timeout=PAGE_LOAD_MS)
    expect(page.locator(".srcview")).to_contain_text(want["project"])
    image = page.get_by_test_id("stImage").locator("img").first
    expect(image).to_be_visible(timeout=PAGE_LOAD_MS)
    image.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "scan_pdf_source_page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert edge_pixels(shot, image.bounding_box()) >= MIN_EDGE_PIXELS
