"""Browser end-to-end for issue 13: one correction through the 校对 page in headless Chromium.

The real app serves a copy of the seeds; the reviewer types a name, picks 龙岗区's 办公楼修缮,
sets its budget to 100 万元 with a reason, saves, and finds the project on 低执行率项目 with the
mark, in the table's CSV too; the correction is in data/raw/corrections beside the document.
Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import pandas as pd
import pytest
from browser_support import streamlit_app
from office_files import copy_raw
from playwright.sync_api import Page, expect
from test_e2e_browser import (  # noqa: F401 (fixtures)
    PAGE_LOAD_MS,
    browser,
    download,
    page,
    screenshot,
    wait_for_page,
)

from loaders import corrections as c
from loaders.build import build

LONGGANG = "000_8a770645b8ccef32.txt"
PROJECT = "办公楼修缮"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(url, raw, out): the app on a copy of data/raw that the page may write to."""
    root = tmp_path_factory.mktemp("e2e_review")
    raw = copy_raw(root / "data" / "raw")
    out = root / "data" / "parquet"
    build(raw, out)
    env = {"DASHBOARD_RAW_DIR": str(raw), "DASHBOARD_PARQUET_DIR": str(out)}
    with streamlit_app(env, root / "streamlit.log") as url:
        yield url, raw, out


def choose(tab: Page, key: str, text: str) -> None:
    """Open the selectbox with this widget key and pick the option containing text."""
    tab.locator(f".st-key-{key}").get_by_role("combobox").click()
    tab.get_by_role("option").filter(has_text=text).first.click()


def test_one_correction_through_the_page(served, page: Page):  # noqa: F811
    url, raw, out = served
    documents = pd.read_parquet(out / "documents.parquet")
    doc = documents.loc[documents["source_file"] == LONGGANG, "doc_id"].item()
    page.goto(f"{url}/review?doc={doc}")
    wait_for_page(page, "校对")
    expect(page.get_by_text("尚未确认")).to_be_visible()
    page.locator(".st-key-review_who input").fill("张三")
    page.locator(".st-key-review_who input").press("Enter")
    page.locator(".st-key-review_reason input").fill("原文印错，以批复为准")
    page.locator(".st-key-review_reason input").press("Enter")
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=PAGE_LOAD_MS)
    choose(page, "review_one_row_projects", PROJECT)
    choose(page, "review_one_field_projects", "预算数（万元）")
    page.locator(".st-key-review_one_value_projects input").fill("100")
    page.get_by_role("button", name="保存这一处").click()
    expect(page.get_by_text("已保存 1 条校对记录")).to_be_visible(timeout=PAGE_LOAD_MS)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=PAGE_LOAD_MS)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=PAGE_LOAD_MS)
    undo = page.get_by_role("button", name="撤销上一步")
    expect(undo).to_have_count(1)
    expect(undo).to_contain_text(PROJECT)  # it names the correction it would revert
    expect(undo).to_be_enabled()
    screenshot(page, "review_saved")

    (stored,) = c.load(raw, LONGGANG)
    assert (stored["read"], stored["value"], stored["who"]) == (53.59, 100.0, "张三")
    assert stored["reason"] == "原文印错，以批复为准"

    page.goto(f"{url}/low_execution")
    wait_for_page(page, "低执行率项目")
    csv = download(page, "lowexec_projects_csv").decode("utf-8-sig")
    (line,) = [row for row in csv.splitlines() if PROJECT in row]
    assert "✎ 已校对：预算数（万元）（原文印错，以批复为准）" in line
    cells = line.split(",")
    assert cells[2:7] == [PROJECT, "100.0", "51.72", "48.28", "51.72"]  # budget, actual, unspent, %
    screenshot(page, "review_low_execution")
