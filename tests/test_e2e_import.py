"""Browser end-to-end for 导入文档: real uploads in headless Chromium against temporary data folders."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from browser_support import free_port, launch
from office_files import (
    copy_raw,
    docx_from_lines,
    folder_hashes,
    seed_bytes,
    seed_lines,
    xlsx_from_lines,
    zip_bomb,
)
from playwright.sync_api import Page, expect, sync_playwright

from dashboard import auth
from loaders import intake
from loaders.build import build

ROOT = Path(__file__).resolve().parent.parent
SERVER_START_S = 60
PAGE_LOAD_MS = 60_000
IMPORT_MS = 90_000
VIEWPORT = {"width": 1400, "height": 1000}
PASSWORD = "e2e-口令"
# url path -> title of every page registered in app.py
PAGES = {
    "": "总览",
    "budget_execution": "预算执行",
    "low_execution": "低执行率项目",
    "indicators": "绩效指标完成",
    "import_documents": "导入文档",
}
IMPORTS = {
    "浏阳.txt": (
        seed_bytes("004").decode("utf-8").encode("gb18030"),
        None,
        ("浏阳市卫生健康局", "湖南", 2021),
    ),
    "龙岗.xlsx": (
        xlsx_from_lines(seed_lines("000")),
        None,
        ("深圳市龙岗区卫生健康局", "深圳", 2021),
    ),
    "普陀.docx": (
        docx_from_lines(seed_lines("003")),
        "2023",  # not printed in the document: typed into the form
        ("上海市普陀区卫生健康事务管理中心", "上海", 2023),
    ),
}


def serve(base: Path, password_digest: str = ""):
    """Start `streamlit run app.py` on temporary data folders; yields (url, raw, parquet)."""
    raw = copy_raw(base / "data" / "raw", leave_out=("000", "003", "004"))
    out = base / "data" / "parquet"
    build(raw, out)
    secrets = base / "secrets.toml"  # never the developer's .streamlit/secrets.toml
    secrets.write_text(f'{auth.SECRET_KEY} = "{password_digest}"\n', "utf-8")
    env = dict(os.environ, **{intake.RAW_ENV: str(raw), intake.PARQUET_ENV: str(out)})
    env.pop(auth.ENV_VAR, None)
    env.pop(auth.LEGACY_ENV_VAR, None)
    env.pop(intake.MAX_MB_ENV, None)
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    command += ["--browser.gatherUsageStats", "false", "--secrets.files", str(secrets)]
    # other engineers edit the tree meanwhile: a "source file changed" prompt would stay up
    command += ["--server.fileWatcherType", "none"]
    log = base / "streamlit.log"
    with open(log, "wb") as sink:
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.read() == b"ok":
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.3)
        yield url, raw, out
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture
def app(tmp_path):
    yield from serve(tmp_path)


@pytest.fixture
def locked_app(tmp_path):
    yield from serve(tmp_path, auth.hash_password(PASSWORD))


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    tab = context.new_page()
    yield tab
    context.close()


def settled(page: Page, title: str) -> None:
    expect(page.get_by_role("heading", name=f"绩效看板 · {title}")).to_be_visible(
        timeout=PAGE_LOAD_MS
    )
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=IMPORT_MS)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=PAGE_LOAD_MS)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def upload(page: Page, files: dict[str, bytes]) -> None:
    page.locator(".st-key-import_files input[type=file]").set_input_files(
        [
            {"name": name, "mimeType": "application/octet-stream", "buffer": data}
            for name, data in files.items()
        ]
    )


def key_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def test_import_three_formats_then_every_page_shows_them(app, page):
    url, raw, out = app
    page.goto(f"{url}/import_documents")
    settled(page, "导入文档")
    upload(page, {name: data for name, (data, _, _) in IMPORTS.items()})
    for name, (data, year, (unit, _, _)) in IMPORTS.items():
        box = page.locator(".st-key-import_unit_" + key_of(data) + " input")
        expect(box).to_have_value(unit, timeout=IMPORT_MS)
        if year:
            field = page.locator(f".st-key-import_year_{key_of(data)} input")
            field.fill(year)
            field.press("Enter")
            settled(page, "导入文档")
        page.locator(f".st-key-import_confirm_{key_of(data)} button").click()
        expect(page.get_by_text(f"已导入 {name}")).to_be_visible(timeout=IMPORT_MS)
        settled(page, "导入文档")
    expect(page.get_by_text("编码：GB18030")).to_have_count(0)  # imported boxes show the outcome
    docs = pd.read_parquet(out / "documents.parquet").set_index("source_file")
    for name, (_, _, expected) in IMPORTS.items():
        assert tuple(docs.loc[name, ["unit", "region", "year"]]) == expected
        unit, region, year = expected
        query = urllib.parse.urlencode(
            {"filter_region": region, "filter_unit": unit, "filter_year": year}
        )
        for path, title in PAGES.items():
            page.goto(f"{url}/{path}?{query}")
            settled(page, title)
            # the URL's filters survive only when offered: the document is loaded with them
            expect(
                page.get_by_text(f"地区：{region}；单位：{unit}；年度：{year}").first
            ).to_be_visible()
            expect(page.get_by_text("当前筛选条件下没有文档")).to_have_count(0)


# Over the 20 MB import limit, which is also the server's upload limit (server.maxUploadSize).
HUGE = b"0" * (30 * 2**20)
BAD = {
    "empty.txt": (b"", "文件为空"),
    "noise.txt": (random.Random(11).randbytes(5000), "无法导入"),
    "../../evil.txt": (seed_bytes("004"), "包含路径"),
    "nul\x00name.txt": (seed_bytes("004"), "控制字符"),
    "bell\x07name.txt": (seed_bytes("004"), "控制字符"),
    "prose.txt": (("会议纪要：本周例会讨论了办公室搬迁事宜。" * 40).encode(), "未识别的文档类型"),
    "bomb.xlsx": (zip_bomb(), "压缩炸弹"),
    "fake.xlsx": (b"not a workbook", "不是有效的Excel 工作簿"),
}


def test_bad_uploads_show_reasons_and_change_nothing(app, page):
    url, raw, out = app
    before = (folder_hashes(raw), folder_hashes(out))
    page.goto(f"{url}/import_documents")
    settled(page, "导入文档")
    upload(page, {**{name: data for name, (data, _) in BAD.items()}, "huge.txt": HUGE})
    errors = page.get_by_test_id("stAlertContentError")
    expect(errors).to_have_count(len(BAD), timeout=IMPORT_MS)
    # over server.maxUploadSize: the uploader refuses it before a byte reaches the server
    expect(page.get_by_text("MB or smaller")).to_be_visible()
    settled(page, "导入文档")
    shown = " ".join(errors.all_inner_texts())
    for name, (_, fragment) in BAD.items():  # "../../evil.txt" reaches the server as named
        assert fragment in shown, (name, shown)
    expect(page.locator("[class*='st-key-import_confirm_']")).to_have_count(0)
    assert (folder_hashes(raw), folder_hashes(out)) == before


def test_password_required_to_import_and_remove(locked_app, page):
    url, raw, out = locked_app
    before = (folder_hashes(raw), folder_hashes(out))
    page.goto(f"{url}/import_documents")
    settled(page, "导入文档")
    expect(page.get_by_text("001_ca3773a3f6f7eb3c.txt").first).to_be_attached()  # reading is open
    expect(page.locator(".st-key-import_files")).to_have_count(0)
    expect(page.locator(".st-key-import_remove_doc")).to_have_count(0)
    password = page.locator(".st-key-import_password input")
    password.fill("wrong")
    page.get_by_role("button", name="解锁导入").click()
    expect(page.get_by_text("密码不正确")).to_be_visible(timeout=PAGE_LOAD_MS)
    expect(page.locator(".st-key-import_files")).to_have_count(0)
    assert (folder_hashes(raw), folder_hashes(out)) == before

    page.wait_for_timeout(1200)  # a wrong password locks the session out for a second
    password.fill(PASSWORD)
    page.get_by_role("button", name="解锁导入").click()
    expect(page.locator(".st-key-import_files")).to_be_visible(timeout=PAGE_LOAD_MS)
    expect(page.locator(".st-key-import_remove_doc")).to_be_visible()
