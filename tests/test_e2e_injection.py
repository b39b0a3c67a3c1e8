"""Browser end-to-end for issue 10, point 3: Markdown and HTML from links and documents stay text.

The app is served on a folder holding a unit named in Markdown (MD_UNIT) and one named with an
HTML link (PLOT_UNIT). In headless Chromium, the ?doc= links of the issue and every page with
MD_UNIT in the filters must show those texts as printed: no <a> or <img> (SVG ones included)
pointing at the attacker's hosts, and no request to them.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest
from browser_support import launch, streamlit_app
from injection_support import IMAGE_DOC, LINK_DOC, MD_UNIT, PLOT_UNIT, poisoned_folder
from playwright.sync_api import Page, expect, sync_playwright
from test_e2e_browser import PAGE_LOAD_MS, VIEWPORT, app_pages, wait_for_page

from dashboard import markup
from loaders import intake

# The hosts the attack texts point at.
ATTACKER_HOSTS = {"evil.example", "evil", "host", "h"}
# Every link and image in the page, HTML and SVG (plotly draws <a xlink:href> in its labels).
LINKS_AND_IMAGES = """() => [...document.querySelectorAll('a, img, image')].map(e => [
    e.tagName.toLowerCase(),
    e.getAttribute('href') || e.getAttribute('xlink:href') || e.getAttribute('src') || ''])"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e_injection")
    raw, out = poisoned_folder(base)
    env = {intake.RAW_ENV: str(raw), intake.PARQUET_ENV: str(out)}
    with streamlit_app(env, base / "streamlit.log") as url:
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
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    tab = context.new_page()
    tab.requested = []
    tab.on("request", lambda request: tab.requested.append(request.url))
    yield tab
    context.close()


def assert_no_foreign_links(page: Page) -> None:
    found = page.evaluate(LINKS_AND_IMAGES)
    foreign = [(tag, url) for tag, url in found if urlsplit(url).hostname in ATTACKER_HOSTS]
    assert foreign == [], foreign
    fetched = [url for url in page.requested if urlsplit(url).hostname in ATTACKER_HOSTS]
    assert fetched == [], fetched


def visible_text(locator) -> str:
    return locator.inner_text().replace(markup.WORD_JOINER, "")


@pytest.mark.parametrize("doc", [LINK_DOC, IMAGE_DOC])
def test_a_doc_link_with_markdown_is_shown_as_text(app_url, page, doc):
    page.goto(f"{app_url}/source_viewer?{urlencode({'doc': doc})}")
    wait_for_page(page, "原文")
    alert = page.get_by_test_id("stAlert").filter(has_text="不在当前数据中")
    expect(alert).to_have_count(1)
    page.wait_for_timeout(500)  # an image would be requested by now
    assert_no_foreign_links(page)
    assert doc in visible_text(alert)


def test_every_page_shows_a_unit_named_in_markdown_as_text(app_url, page):
    for path, title in app_pages().items():
        page.goto(f"{app_url}/{path}?{urlencode({'filter_unit': MD_UNIT})}")
        wait_for_page(page, title)
        assert_no_foreign_links(page)
        caption = page.get_by_test_id("stCaptionContainer").filter(has_text="数据更新于").first
        assert f"单位：{MD_UNIT}" in visible_text(caption), path


def test_charts_draw_a_unit_named_with_a_link_as_text(app_url, page):
    page.goto(app_url)
    wait_for_page(page, "总览")
    chart = page.locator(".st-key-overview_units_chart .main-svg").first
    # long names are wrapped onto two short tick lines (the whole name is in the hover box), so
    # the tick shows the tag's first characters: printed as text, not drawn as a link
    # (the tick breaks the name at its space, so the drawn text runs it together)
    expect(chart).to_contain_text(PLOT_UNIT.replace(" ", "")[:10])
    assert_no_foreign_links(page)
    assert chart.locator("a").count() == 0
