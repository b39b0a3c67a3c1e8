"""Browser layout at a desk (1440×900) and on a phone (390×844), every page on the seeds.

What only a browser shows: the page never scrolls sideways, each chart's legend stays off its
title, and the key tables show their explanation and completion columns without scrolling.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser_support import launch, streamlit_app
from layout_support import SIZES, app_pages, measure, open_page
from playwright.sync_api import sync_playwright

from loaders.build import build

ROOT = Path(__file__).resolve().parent.parent
# Page -> table key -> headers that must be in view without scrolling the table sideways.
KEY_COLUMNS = {
    "low_execution": {"lowexec_projects": ["项目", "问题 / 偏差原因"]},
    "indicators": {"indicators_not_met": ["三级指标", "完成值"]},
    "data_quality": {"dq_findings": ["问题", "说明"]},
}
# At a desk these are in view too (a phone shows the pinned name and the column after it).
DESK_COLUMNS = {
    "low_execution": {"lowexec_projects": ["执行率（%）", "未执行（万元）"]},
    "indicators": {"indicators_not_met": ["目标值", "偏差原因"]},
    "documents": {"documents_list": ["单位", "来源文件", "sha256"]},
}
LOW_EXECUTION_ROWS = 15


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    parquet = tmp_path_factory.mktemp("layout") / "parquet"
    build(ROOT / "data" / "raw", parquet)
    log = tmp_path_factory.mktemp("layout_log") / "streamlit.log"
    with streamlit_app({**os.environ, "DASHBOARD_PARQUET_DIR": str(parquet)}, log) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_fits_the_width_and_keeps_legends_off_titles(app_url, browser, size):
    viewport = SIZES[size]
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    problems, charts_seen = [], 0
    try:
        for path, title in app_pages().items():
            open_page(page, app_url, path, title)
            layout = measure(page)
            name = path or "overview"
            charts_seen += len(layout.charts)
            if layout.overflow > 0:
                problems.append(f"{name}: page scrolls sideways by {layout.overflow}px")
            problems += [f"{name}: legend on the title of {t}" for t in layout.overlaps()]
            untitled = [c["key"] for c in layout.charts if not c["title"] or not c["title_text"]]
            problems += [f"{name}: chart without a drawn title {k}" for k in untitled]
            wanted = {**KEY_COLUMNS.get(path, {})}
            if size == "desk":
                for key, headers in DESK_COLUMNS.get(path, {}).items():
                    wanted[key] = [*wanted.get(key, []), *headers]
            for key, headers in wanted.items():
                table = layout.table(key)
                if table is None:
                    problems.append(f"{name}: table {key} not shown")
                    continue
                missing = [h for h in headers if h not in table["headers"]]
                if missing:
                    problems.append(f"{name}: {key} shows {table['headers']}, not {missing}")
            if path == "low_execution":
                rows = layout.table("lowexec_projects")["rows"]
                if rows < LOW_EXECUTION_ROWS:
                    problems.append(f"low_execution: {rows} rows in view")
    finally:
        context.close()
    assert charts_seen >= 15  # the seeds draw charts on most pages: the checks above ran
    assert problems == []
