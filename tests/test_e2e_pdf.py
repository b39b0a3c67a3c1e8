"""Browser end-to-end for issue 12's 原文 of a PDF: from a low-execution project to its page image.

The app in headless Chromium over the PDFs of tests/fixtures/pdf: the 低执行率项目 table's 原文
link of a project printed on the second page of a spreadsheet PDF opens the 原文 page on that
page, with the project's row framed on the rendered page image beside the recovered text; the
screenshot goes to tests/artifacts/pdf_source_page.png.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urljoin

import pandas as pd
import pytest
from browser_support import streamlit_app
from PIL import Image
from playwright.sync_api import Page, expect
from test_e2e_browser import (  # noqa: F401 (fixtures)
    ARTIFACTS,
    PAGE_LOAD_MS,
    SERVER_START_S,
    browser,
    page,
    wait_for_page,
)
from test_e2e_trace import grid_cell, row_centre_y

from dashboard import pageimage, trace
from loaders.build import build

ROOT = Path(__file__).resolve().parent.parent
PDFS = ROOT / "tests" / "fixtures" / "pdf" / "raw"
PROJECT = "疫情防控经费（二期）"  # 88.45 %, on page 2 of summary_plain_calc.pdf
PROJECT_PAGE = 2
EDGE_RGB = pageimage.HIGHLIGHT_EDGE[:3]
MIN_EDGE_PIXELS = 300


@pytest.fixture(scope="module")
def pdf_app(tmp_path_factory):
    """The app over a raw folder of the fixture PDFs: its url and the built projects."""
    root = tmp_path_factory.mktemp("e2e_pdf")
    raw, parquet = root / "raw", root / "parquet"
    shutil.copytree(PDFS, raw)
    build(raw, parquet)
    env = {
        "DASHBOARD_RAW_DIR": str(raw),
        "DASHBOARD_PARQUET_DIR": str(parquet),
        "DASHBOARD_PAGE_CACHE": str(root / "pages"),
    }
    with streamlit_app(env, root / "streamlit.log", SERVER_START_S) as url:
        yield url, pd.read_parquet(parquet / "projects.parquet"), root / "pages"


def edge_pixels(path: Path, box: dict) -> int:
    """Pixels of the highlight frame's colour inside box (the page image on the screenshot)."""
    image = Image.open(path).convert("RGB")
    crop = image.crop((box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"]))
    return sum(
        count
        for count, rgb in crop.getcolors(maxcolors=1 << 24)
        if all(abs(a - b) <= 40 for a, b in zip(rgb, EDGE_RGB, strict=True))
    )


def test_a_project_link_opens_its_pdf_page_with_the_row_framed(pdf_app, page: Page):  # noqa: F811
    url, projects, cache = pdf_app
    row = projects[projects["project"] == PROJECT].iloc[0]
    assert row["source_page"] == PROJECT_PAGE
    page.goto(f"{url}/low_execution")
    wait_for_page(page, "低执行率项目")
    grid = page.get_by_test_id("stDataFrame").first
    grid.scroll_into_view_if_needed()
    expect(grid.locator("td", has_text=PROJECT)).to_have_count(1, timeout=PAGE_LOAD_MS)
    index, link = grid_cell(grid, trace.LINK_HEADER, PROJECT, "项目")
    assert link == trace.source_link(row["doc_id"], row["source_line"], row.get("end_line"))
    box = grid.locator("canvas").first.bounding_box()
    x, y = box["x"] + 30, row_centre_y(box, index)
    page.mouse.move(x, y)
    page.wait_for_timeout(500)
    with page.context.expect_page(timeout=PAGE_LOAD_MS) as opened:
        page.mouse.click(x, y)
    viewer = opened.value
    assert viewer.url == urljoin(f"{url}/", link)
    viewer.set_viewport_size({"width": 1400, "height": 1000})
    wait_for_page(viewer, "原文")
    expect(viewer.get_by_role("combobox", name="页")).to_match_aria_snapshot(
        f'- combobox "页": 第 {PROJECT_PAGE} 页 / 共 2 页'
    )
    highlighted = viewer.locator(".srcview .ln.hl")
    expect(highlighted).to_have_count(1, timeout=PAGE_LOAD_MS)
    expect(highlighted).to_contain_text(PROJECT)
    image = viewer.get_by_test_id("stImage").locator("img").first
    expect(image).to_be_visible(timeout=PAGE_LOAD_MS)
    image.scroll_into_view_if_needed()
    viewer.wait_for_timeout(500)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "pdf_source_page.png"
    viewer.screenshot(path=str(shot), full_page=True)
    assert edge_pixels(shot, image.bounding_box()) >= MIN_EDGE_PIXELS
    # the page was rendered once, into the page cache, by the file's sha256
    assert [p.name.split("-p")[1] for p in cache.glob("*.png")] == [f"{PROJECT_PAGE}-s2.png"]
    viewer.close()
