"""Browser end-to-end of the insight pages: a category's sentences one click away, the link that
reopens it, the years of a multi-year unit — in headless Chromium on the seeds and a corpus."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from browser_support import launch, streamlit_app
from PIL import Image, ImageStat
from playwright.sync_api import Page, expect, sync_playwright

from loaders.build import build
from synth import write_corpus

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
PAGE_LOAD_MS = 120_000
SYNTH_DOCS = 64
SEED = 20240601


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The app on the seeds and a small synthetic corpus with multi-year units."""
    root = tmp_path_factory.mktemp("e2e_insights")
    write_corpus(SYNTH_DOCS, SEED, root)
    for seed in (ROOT / "data" / "raw").iterdir():
        shutil.copy(seed, root / "raw" / seed.name)
    build(root / "raw", root / "parquet")
    with streamlit_app({"DASHBOARD_PARQUET_DIR": str(root / "parquet")}, root / "log.txt") as url:
        yield url


@pytest.fixture
def page(app_url):
    expect.set_options(timeout=PAGE_LOAD_MS)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        tab = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
        yield tab
        browser.close()


def settled(page: Page, title: str) -> None:
    expect(page.get_by_role("heading", name=f"绩效看板 · {title}")).to_be_visible()
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
    expect(page.locator('[data-stale="true"]')).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"insights_{name}.png"
    page.screenshot(path=str(path))
    stat = ImageStat.Stat(Image.open(path).convert("L"))
    assert stat.stddev[0] > 8, f"{name} looks blank"
    return path


def test_one_click_shows_a_categorys_sentences_and_the_link_keeps_it(page: Page, app_url):
    page.goto(f"{app_url}/reasons?filter_region=深圳")
    settled(page, "偏差原因")
    expect(page.locator(".stPlotlyChart").first.locator(".main-svg").first).to_be_attached()
    pill = page.get_by_role("radio", name=re.compile(r"^资金冻结\/收回（\d+）$"))
    expect(pill).to_have_attribute("aria-checked", "false")
    pill.click()
    settled(page, "偏差原因")
    expect(pill).to_have_attribute("aria-checked", "true")
    expect(page).to_have_url(re.compile(r"reasons_category=withdrawn"))
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_contain_text("资金冻结/收回")
    shot(page, "reasons_withdrawn")
    # the copied link reopens the same category
    link = page.url
    page.goto(link)
    settled(page, "偏差原因")
    expect(pill).to_have_attribute("aria-checked", "true")


def test_years_of_a_multi_year_unit(page: Page, app_url):
    page.goto(f"{app_url}/years")
    settled(page, "年度对比")
    expect(page.get_by_text("跨年出现的项目")).to_be_visible()
    expect(page.locator(".stPlotlyChart").first.locator(".main-svg").first).to_be_attached()
    expect(page.get_by_text("项目跨年匹配")).to_be_visible()
    shot(page, "years")


@pytest.mark.parametrize(("path", "title"), [("target_quality", "目标质量"), ("peers", "同类比较")])
def test_the_other_insight_pages_draw(page: Page, app_url, path, title):
    page.goto(f"{app_url}/{path}")
    settled(page, title)
    expect(page.locator(".stPlotlyChart").first.locator(".main-svg").first).to_be_attached()
    shot(page, path)
