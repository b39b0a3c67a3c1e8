"""Browser end-to-end for issue 4: from a low-execution project to its highlighted source lines.

The real app in headless Chromium (the server and browser fixtures of test_e2e_browser.py):
click a project's 原文 link in the low-execution table, follow it to the 原文 page opened in a new
tab, and see the project's line highlighted and scrolled into view; the screenshots go to
tests/artifacts/. The 数据质量 and 自评可信度 pages render, and 可信度 exports XLSX and PPTX.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from urllib.parse import urljoin

import openpyxl
from PIL import Image
from playwright.sync_api import Page, expect
from pptx import Presentation
from test_e2e_browser import (  # noqa: F401 (fixtures)
    ARTIFACTS,
    PAGE_LOAD_MS,
    app_url,
    browser,
    download,
    page,
    screenshot,
    wait_for_page,
)

from dashboard import trace
from loaders.build import doc_id_for

RAW = Path(__file__).resolve().parent.parent / "data" / "raw"

PROJECT = "智慧龙岗2.0B包项目一卫健信息系统提升完善工程"
PROJECT_LINE = 42  # its row in 000_…txt (a 25.8 % project of 龙岗区)
# Streamlit's data grid draws rows of this height (px), the header row as well.
GRID_ROW_PX = 35
HIGHLIGHT_RGB = (0xFF, 0xF2, 0xA8)  # .srcview .ln.hl background
MIN_HIGHLIGHT_PIXELS = 20_000


def grid_cell(grid, header: str, text: str | None = None, column: str | None = None):
    """(row index, cell text) of the first row whose `column` cell shows `text`, read from the
    grid's accessible table; with text None, the header's column index and None."""
    headers = [h.strip() for h in grid.locator("th").all_inner_texts()]
    index = {name: i for i, name in enumerate(headers)}
    if text is None:
        return index[header], None
    rows = grid.locator("tbody tr")
    for r in range(rows.count()):
        if grid.get_by_test_id(f"glide-cell-{index[column]}-{r}").inner_text().strip() == text:
            return r, grid.get_by_test_id(f"glide-cell-{index[header]}-{r}").inner_text().strip()
    raise AssertionError(f"no row with {column} = {text}")


def highlighted_pixels(path) -> int:
    image = Image.open(path).convert("RGB")
    return sum(
        count
        for count, rgb in image.getcolors(maxcolors=1 << 24)
        if all(abs(a - b) <= 6 for a, b in zip(rgb, HIGHLIGHT_RGB, strict=True))
    )


def test_click_from_a_low_execution_project_to_its_highlighted_lines(app_url, page: Page):  # noqa: F811
    page.goto(f"{app_url}/low_execution")
    wait_for_page(page, "低执行率项目")
    grid = page.get_by_test_id("stDataFrame").first
    grid.scroll_into_view_if_needed()
    expect(grid.locator("canvas").first).to_be_visible(timeout=PAGE_LOAD_MS)
    # the grid's accessible table (read below) is filled once the rows are drawn
    expect(grid.locator("td", has_text=PROJECT)).to_have_count(1, timeout=PAGE_LOAD_MS)
    row, link = grid_cell(grid, trace.LINK_HEADER, PROJECT, "项目")
    params = trace.parse_target(
        {k: v for k, v in (p.split("=") for p in link.split("?", 1)[1].split("&"))}
    )
    assert params.line == PROJECT_LINE
    column, _ = grid_cell(grid, trace.LINK_HEADER)
    assert column == 0  # the link column is pinned first
    box = grid.locator("canvas").first.bounding_box()
    x = box["x"] + 30
    y = box["y"] + GRID_ROW_PX * (row + 1) + GRID_ROW_PX / 2
    page.mouse.move(x, y)  # the grid arms a link cell on hover, then opens it on click
    page.wait_for_timeout(500)
    with page.context.expect_page(timeout=PAGE_LOAD_MS) as opened:
        page.mouse.click(x, y)
    viewer = opened.value
    assert viewer.url == urljoin(f"{app_url}/", link)
    viewer.set_viewport_size({"width": 1400, "height": 900})
    wait_for_page(viewer, "原文")
    highlighted = viewer.locator(".srcview .ln.hl")
    expect(highlighted).to_have_count(1, timeout=PAGE_LOAD_MS)
    expect(highlighted).to_have_attribute("id", f"L{PROJECT_LINE}")
    expect(highlighted).to_contain_text(PROJECT)
    expect(highlighted).to_be_in_viewport()
    viewer.wait_for_timeout(500)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "trace_source_lines.png"
    viewer.screenshot(path=str(shot))  # the viewport: what the reviewer sees on arrival
    assert highlighted_pixels(shot) >= MIN_HIGHLIGHT_PIXELS
    expect(viewer.get_by_text("高亮：第 42 行")).to_be_visible()
    viewer.close()


def test_a_multi_line_anomaly_far_down_a_long_document_is_scrolled_to(app_url, page: Page):  # noqa: F811
    """The two orphan rows of 001 and their 总分 line (1706–1708 of 1,806) from 数据质量's link."""
    page.goto(f"{app_url}/data_quality")
    wait_for_page(page, "数据质量")
    screenshot(page, "data_quality")
    path = next(RAW.glob("001_*.txt"))
    doc_id = doc_id_for(path.name, hashlib.sha256(path.read_bytes()).hexdigest())
    page.goto(f"{app_url}/{trace.source_link(doc_id, 1706, 1708)}")
    wait_for_page(page, "原文")
    highlighted = page.locator(".srcview .ln.hl")
    expect(highlighted).to_have_count(3, timeout=PAGE_LOAD_MS)
    for i, line in enumerate((1706, 1707, 1708)):
        expect(highlighted.nth(i)).to_have_attribute("id", f"L{line}")
        expect(highlighted.nth(i)).to_be_in_viewport()
    expect(highlighted.first).to_contain_text("增强广大人民群众获得感")
    # the page itself stays at the top: the document chooser and the download remain in sight
    expect(page.get_by_test_id("stSelectbox").first).to_be_in_viewport()
    page.screenshot(path=str(ARTIFACTS / "trace_orphan_rows.png"))


def test_credibility_page_exports_the_whole_view(app_url, page: Page):  # noqa: F811
    page.goto(f"{app_url}/credibility")
    wait_for_page(page, "自评可信度")
    screenshot(page, "credibility")
    book = openpyxl.load_workbook(io.BytesIO(download(page, "cred_workbook_xlsx")))
    assert book.sheetnames == ["官方公式复算", "合理性预警", "未说明偏差原因", "完成值与目标矛盾"]
    formula = book["官方公式复算"]
    headers = [c.value for c in formula[1]]
    assert {"复算得分", "印发得分", "复算结果"} <= set(headers)
    assert formula.max_row - 1 == 14 + 33 + 2
    deck = Presentation(io.BytesIO(download(page, "cred_pack_pptx")))
    titles = " ".join(
        s.text_frame.text for slide in deck.slides for s in slide.shapes if s.has_text_frame
    )
    # a chart's slide is headed by the chart's own title
    for name in ("自评得分与预算执行率", "官方公式复算", "合理性预警", "未说明偏差原因"):
        assert name in titles, name
