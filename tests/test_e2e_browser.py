"""Browser end-to-end: the real app in headless Chromium — every page, a filter, three downloads."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from browser_support import launch, streamlit_app
from PIL import Image, ImageStat
from playwright.sync_api import Page, expect, sync_playwright
from pptx import Presentation

from dashboard import exports
from loaders.build import build

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
SERVER_START_S = 60
# generous: the test machine may be busy with other test runs (Chromium is slow to lay out then)
PAGE_LOAD_MS = 120_000
DOWNLOAD_MS = 120_000
VIEWPORT = {"width": 1400, "height": 900}
MAX_SCREENSHOT_HEIGHT = 8000
MIN_PIXEL_STDDEV = 8.0
# the pages of issue 3, by url path (st.navigation infers it from the file name; "" is the default)
ISSUE_PAGES = {
    "": "总览",
    "budget_execution": "预算执行",
    "low_execution": "低执行率项目",
    "indicators": "绩效指标完成",
}
UNIT = "深圳市龙岗区卫生健康局"


def app_pages() -> dict[str, str]:
    """Url path -> title of every page registered with st.Page in app.py, in menu order."""
    pages = {}
    for call in re.findall(r"st\.Page\((.*?)\)", (ROOT / "app.py").read_text("utf-8"), re.S):
        script = re.match(r'\s*"([^"]+)"', call).group(1)
        title = re.search(r'title="([^"]+)"', call).group(1)
        url_path = re.search(r'url_path="([^"]*)"', call)
        if re.search(r"default=True", call):
            path = ""
        else:
            path = url_path.group(1) if url_path else Path(script).stem
        pages[path] = title
    return pages


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The app served by `streamlit run app.py` on a free port, reading a fresh build of data/raw."""
    parquet = tmp_path_factory.mktemp("e2e") / "parquet"
    build(ROOT / "data" / "raw", parquet)
    log = tmp_path_factory.mktemp("e2e_log") / "streamlit.log"
    with streamlit_app({"DASHBOARD_PARQUET_DIR": str(parquet)}, log, SERVER_START_S) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    expect.set_options(timeout=PAGE_LOAD_MS)
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="zh-CN")
    tab = context.new_page()
    yield tab
    context.close()


def wait_for_page(page: Page, title: str) -> None:
    """The page's title is shown, its script has finished and its charts are drawn."""
    expect(page.get_by_role("heading", name=f"绩效看板 · {title}")).to_be_visible(
        timeout=PAGE_LOAD_MS
    )
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("地区", exact=True)).to_be_visible(timeout=PAGE_LOAD_MS)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=PAGE_LOAD_MS)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=PAGE_LOAD_MS)
    charts = page.locator(".stPlotlyChart")
    for i in range(charts.count()):
        expect(charts.nth(i).locator(".main-svg").first).to_be_attached(timeout=PAGE_LOAD_MS)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def screenshot(page: Page, name: str) -> Path:
    """The whole page: the viewport is stretched to the height of Streamlit's scrolling area."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], section')]"
        ".map(e => e.scrollHeight), 0)"
    )
    page.set_viewport_size(
        {
            "width": VIEWPORT["width"],
            "height": max(VIEWPORT["height"], min(height, MAX_SCREENSHOT_HEIGHT)),
        }
    )
    page.wait_for_timeout(500)  # charts re-layout to the new size
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size(VIEWPORT)
    return path


def download(page: Page, key: str) -> bytes:
    """Click the download button with this widget key and return the file it delivers."""
    with page.expect_download(timeout=DOWNLOAD_MS) as info:
        page.locator(f".st-key-{key} button:visible").click()
    return Path(info.value.path()).read_bytes()


def metric_value(page: Page, label: str):
    card = page.get_by_test_id("stMetric").filter(has_text=label)
    return card.get_by_test_id("stMetricValue")


def test_every_page_renders(app_url, page):
    pages = app_pages()
    assert ISSUE_PAGES.items() <= pages.items()
    for path, title in pages.items():
        page.goto(f"{app_url}/{path}")
        wait_for_page(page, title)
        shot = screenshot(page, path or "overview")
        with Image.open(shot) as image:
            assert ImageStat.Stat(image.convert("L")).stddev[0] > MIN_PIXEL_STDDEV


def test_filter_then_png_xlsx_and_pptx(app_url, page):
    page.goto(f"{app_url}/low_execution")
    wait_for_page(page, "低执行率项目")
    count = metric_value(page, "低执行率项目")
    before = count.inner_text().strip()

    unit_box = page.locator(".st-key-filter_unit")
    unit_box.locator("input").click()
    page.get_by_role("option", name=UNIT).click()
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"[?&]filter_unit="), timeout=PAGE_LOAD_MS)
    expect(page.get_by_text(f"单位：{UNIT}").first).to_be_visible(timeout=PAGE_LOAD_MS)
    expect(count).not_to_have_text(before, timeout=PAGE_LOAD_MS)
    wait_for_page(page, "低执行率项目")
    rows = int(count.inner_text().strip())
    assert 0 < rows < int(before)  # the filter took rows away, and some are left
    screenshot(page, "low_execution_filtered")

    # PNG: twice the chart's size (the pages draw charts across the page, so the export uses the
    # default width, and the height the page drew), and not blank
    chart_height = page.locator(".st-key-lowexec_unspent_chart .main-svg").first.get_attribute(
        "height"
    )
    png = download(page, "lowexec_unspent_png")
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.width == 2 * exports.DEFAULT_WIDTH_PX
        # the chart at twice its height, and a caption strip (filters, data date) underneath
        strip = image.height - 2 * int(float(chart_height))
        assert strip >= 2 * (2 * exports.CAPTION_PAD_PX + exports.CAPTION_LINE_PX)
        assert ImageStat.Stat(image.convert("L")).stddev[0] > MIN_PIXEL_STDDEV
    (ARTIFACTS / "lowexec_unspent.png").write_bytes(png)

    # XLSX: the filtered rows, one unit only
    book = openpyxl.load_workbook(io.BytesIO(download(page, "lowexec_projects_xlsx")))
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    units = [r[header.index("单位")] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(units) == rows
    assert set(units) == {UNIT}

    # PPTX: title slide with the filter, one slide per chart on the page, then the table
    deck_bytes = download(page, "lowexec_pack_pptx")
    (ARTIFACTS / "low_execution.pptx").write_bytes(deck_bytes)
    deck = Presentation(io.BytesIO(deck_bytes))
    slides = list(deck.slides)
    charts_on_page = page.locator(".stPlotlyChart").count()
    title_text = "\n".join(s.text_frame.text for s in slides[0].shapes if s.has_text_frame)
    assert "低执行率项目" in title_text and UNIT in title_text
    pictures = [
        [s for s in slide.shapes if s.shape_type == 13] for slide in slides[1 : 1 + charts_on_page]
    ]
    assert all(len(p) == 1 for p in pictures) and len(pictures) == charts_on_page
    tables = [
        s.table for slide in slides[1 + charts_on_page :] for s in slide.shapes if s.has_table
    ]
    assert len(tables) == len(slides) - 1 - charts_on_page >= 1
    assert sum(len(t.rows) - 1 for t in tables) == rows

    # the filter follows to another page and stays in its link
    page.get_by_test_id("stSidebarNav").get_by_text("预算执行").click()
    wait_for_page(page, "预算执行")
    expect(page).to_have_url(re.compile(r"/budget_execution\?(.*&)?filter_unit="))
    screenshot(page, "budget_execution_filtered")
