"""AppTest for 导入文档: upload, preview, fix the year, import, replace, remove, refusals, password."""

from __future__ import annotations

import hashlib
import random
import time
from pathlib import Path

import pandas as pd
import pytest
from injection_support import shown
from office_files import (
    copy_raw,
    docx_from_lines,
    folder_hashes,
    seed_bytes,
    seed_lines,
    xlsx_from_lines,
    zip_bomb,
)
from streamlit.testing.v1 import AppTest

from dashboard import auth
from loaders import intake
from loaders.build import build

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60
PAGE = "views/import_documents.py"
OTHER_PAGES = ("views/budget_execution.py", "views/low_execution.py", "views/indicators.py")
NO_DOCUMENTS = "当前筛选条件下没有文档"
PASSWORD = "绩效-2024"
OCTET = "application/octet-stream"
# The three imports: upload name, bytes, the year typed into the form (None: keep), and the
# unit, region and year every page must then show.
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
        "2023",  # 003 prints no year: the analyst types it
        ("上海市普陀区卫生健康事务管理中心", "上海", 2023),
    ),
}


def key_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


@pytest.fixture
def folders(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """Temporary data/raw (001 and 002 only) and its parquet; the app is pointed at them."""
    raw = copy_raw(tmp_path / "data" / "raw", leave_out=("000", "003", "004"))
    out = tmp_path / "data" / "parquet"
    build(raw, out)
    monkeypatch.setenv(intake.RAW_ENV, str(raw))
    monkeypatch.setenv(intake.PARQUET_ENV, str(out))
    monkeypatch.delenv(auth.ENV_VAR, raising=False)
    monkeypatch.delenv(auth.LEGACY_ENV_VAR, raising=False)
    monkeypatch.delenv(intake.MAX_MB_ENV, raising=False)
    return raw, out


def open_app(page: str = PAGE, query: dict | None = None, secrets: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    # no password unless the test sets one (a developer's own secrets.toml must not leak in)
    at.secrets.update(secrets or {auth.SECRET_KEY: ""})
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page != "views/overview.py":
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> list[str]:
    return [shown(e.value) for e in elements]  # as read on the page (names are escaped)


def test_import_txt_xlsx_docx_then_every_page_shows_them(folders):
    raw, out = folders
    at = open_app()
    at.file_uploader(key="import_files").set_value(
        [(name, data, OCTET) for name, (data, _, _) in IMPORTS.items()]
    ).run()
    captions = " ".join(texts(at.caption))
    assert "编码：GB18030" in captions
    assert "格式：Excel 工作簿" in captions and "格式：Word 文档" in captions
    assert "年度：未识别" in captions  # the docx before its year is typed
    for name, (data, year, (unit, region, _)) in IMPORTS.items():
        key = key_of(data)
        assert at.text_input(key=f"import_unit_{key}").value == unit
        assert at.text_input(key=f"import_region_{key}").value == region
        if year:
            at.text_input(key=f"import_year_{key}").input(year).run()
        at.button(key=f"import_confirm_{key}").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert any(f"已导入 {name}" in s for s in texts(at.success)), texts(at.error)
    assert (raw / "普陀.docx").exists() and (raw / "龙岗.xlsx").exists()
    assert (raw / "浏阳.txt").read_bytes() == IMPORTS["浏阳.txt"][0]

    docs = pd.read_parquet(out / "documents.parquet").set_index("source_file")
    for name, (_, _, expected) in IMPORTS.items():
        assert tuple(docs.loc[name, ["unit", "region", "year"]]) == expected
        unit, region, year = expected
        query = {"filter_region": region, "filter_unit": unit, "filter_year": str(year)}
        for page in ("views/overview.py", *OTHER_PAGES, PAGE):
            shown = open_app(page, query)
            state = shown.session_state
            # the URL's filters are kept only when offered, so the document is loaded with them
            assert state["filter_unit"] == [unit], page
            assert state["filter_region"] == [region], page
            assert state["filter_year"] == [year], page
            assert not any(NO_DOCUMENTS in i for i in texts(shown.info)), (page, name)
            if page == "views/overview.py":  # the unit × year coverage table
                assert any(
                    unit in d.value.to_string() and str(year) in map(str, d.value.columns)
                    for d in shown.dataframe
                )


BAD_UPLOADS = [
    ("empty.txt", b"", "文件为空"),
    ("noise.txt", random.Random(3).randbytes(6000), "无法导入"),
    ("huge.txt", b"1" * (30 * 2**20), "文件过大"),
    ("../../evil.txt", seed_bytes("004"), "包含路径"),
    ("nul\x00name.txt", seed_bytes("004"), "控制字符"),
    ("bell\x07name.txt", seed_bytes("004"), "控制字符"),
    ("长" * 90 + ".txt", seed_bytes("004"), "文件名过长"),  # 274 bytes: ext4 takes 255
    ("prose.txt", ("今天天气很好，我们去公园散步。" * 50).encode(), "未识别的文档类型"),
    ("bomb.xlsx", zip_bomb(), "压缩炸弹"),
    ("fake.xlsx", b"plain text pretending to be a workbook", "不是有效的Excel 工作簿"),
]


def test_bad_uploads_get_chinese_reasons_and_change_nothing(folders):
    raw, out = folders
    before = (folder_hashes(raw), folder_hashes(out))
    at = open_app()
    at.file_uploader(key="import_files").set_value(
        [(name, data, OCTET) for name, data, _ in BAD_UPLOADS]
    ).run()
    assert not at.exception
    errors = texts(at.error)
    for name, _, fragment in BAD_UPLOADS:
        assert any(fragment in e for e in errors), (name, fragment, errors)
    assert not [b for b in at.button if (b.key or "").startswith("import_confirm_")]
    assert (folder_hashes(raw), folder_hashes(out)) == before


def test_same_bytes_are_recognised_and_a_newer_version_needs_confirmation(folders):
    raw, out = folders
    same = seed_bytes("001")
    newer = seed_bytes("002") + b"\n"
    at = open_app()
    at.file_uploader(key="import_files").set_value(
        [("决算副本.txt", same, OCTET), ("福田 修订.txt", newer, OCTET)]
    ).run()
    assert any("该文件已导入" in i for i in texts(at.info))
    assert f"import_confirm_{key_of(same)}" not in [b.key for b in at.button]
    assert any("同一单位、同一年度的同类文档" in w for w in texts(at.warning))
    assert at.button(key=f"import_confirm_{key_of(newer)}").disabled  # until confirmed

    at.checkbox(key=f"import_replace_{key_of(newer)}").check().run()
    at.button(key=f"import_confirm_{key_of(newer)}").click().run()
    assert any("已移入 data/trash/" in s for s in texts(at.success))
    assert not (raw / "002_eae1af3fc182f435.txt").exists()
    trashed = [p.name for p in intake.trash_dir(raw).iterdir()]
    assert any(n.endswith("002_eae1af3fc182f435.txt") for n in trashed)
    files = set(pd.read_parquet(out / "documents.parquet")["source_file"])
    assert files == {"001_ca3773a3f6f7eb3c.txt", "福田_修订.txt"}


def test_remove_needs_confirmation_then_moves_to_trash(folders):
    raw, out = folders
    doc_id = (
        pd.read_parquet(out / "documents.parquet")
        .set_index("source_file")
        .loc["002_eae1af3fc182f435.txt", "doc_id"]
    )
    at = open_app()
    at.selectbox(key="import_remove_doc").select(doc_id).run()
    assert at.button(key="import_remove_button").disabled
    at.checkbox(key="import_remove_confirm").check().run()
    at.button(key="import_remove_button").click().run()
    assert not at.exception
    assert any("已将 002_eae1af3fc182f435.txt 移入 data/trash/" in s for s in texts(at.success))
    assert not (raw / "002_eae1af3fc182f435.txt").exists()
    assert doc_id not in set(pd.read_parquet(out / "documents.parquet")["doc_id"])
    listed = at.dataframe[-1].value
    assert "002_eae1af3fc182f435.txt" not in listed.to_string()


SECRET_PATH = "/srv/secret/data/raw/x.txt"


def crash(*args, **kwargs):
    raise RuntimeError(f"disk on fire at {SECRET_PATH}")


@pytest.mark.parametrize("step", ["inspect", "add", "remove"])
def test_an_unexpected_error_is_a_chinese_message_and_a_log_line(
    folders, monkeypatch, caplog, step
):
    raw, out = folders
    before = (folder_hashes(raw), folder_hashes(out))
    monkeypatch.setattr(intake, step, crash)
    at = open_app()
    data = IMPORTS["浏阳.txt"][0]
    if step == "remove":
        doc_id = pd.read_parquet(out / "documents.parquet")["doc_id"].iloc[0]
        at.selectbox(key="import_remove_doc").select(doc_id).run()
        at.checkbox(key="import_remove_confirm").check().run()
        at.button(key="import_remove_button").click().run()
    else:
        at.file_uploader(key="import_files").set_value([("浏阳.txt", data, OCTET)]).run()
        if step == "add":
            at.button(key=f"import_confirm_{key_of(data)}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = texts(at.error)
    assert any("意外错误" in e for e in errors), errors
    assert not any(SECRET_PATH in e or "RuntimeError" in e for e in errors)
    assert SECRET_PATH in caplog.text and "Traceback" in caplog.text  # for the administrator
    assert (folder_hashes(raw), folder_hashes(out)) == before


@pytest.mark.parametrize("where", ["raw", "raw's parent"])
def test_a_parquet_folder_holding_the_documents_turns_imports_off(folders, monkeypatch, where):
    raw, _ = folders
    monkeypatch.setenv(intake.PARQUET_ENV, str(raw if where == "raw" else raw.parent))
    before = folder_hashes(raw.parent)
    at = open_app()
    assert any("输出文件夹" in e and "未做任何改动" in e for e in texts(at.error)), texts(at.error)
    assert not at.file_uploader  # no upload …
    assert not [b for b in at.button if b.key == "import_remove_button"]  # … and no removal
    assert "001_ca3773a3f6f7eb3c.txt" in at.dataframe[-1].value.to_string()  # listing still works
    assert folder_hashes(raw.parent) == before


@pytest.mark.parametrize("where", ["env", "secrets"])
def test_password_guards_import_and_remove_not_reading(folders, monkeypatch, where):
    raw, out = folders
    digest = auth.hash_password(PASSWORD)
    secrets = {auth.SECRET_KEY: digest}
    if where == "env":
        monkeypatch.setenv(auth.ENV_VAR, digest.upper())
        secrets = None
    before = (folder_hashes(raw), folder_hashes(out))
    at = open_app(secrets=secrets)
    assert not at.file_uploader  # no upload …
    assert not [b for b in at.button if b.key == "import_remove_button"]  # … and no removal
    assert "001_ca3773a3f6f7eb3c.txt" in at.dataframe[-1].value.to_string()  # reading is open
    open_app("views/overview.py", secrets=secrets)  # so are the other pages

    at.text_input(key="import_password").input("wrong")  # typed, then the form is submitted
    at.button[0].click().run()
    assert any("密码不正确" in e for e in texts(at.error))
    assert not at.file_uploader

    monkeypatch.setattr(auth, "clock", lambda: time.monotonic() + 60)  # past the wait
    at.text_input(key="import_password").input(PASSWORD)  # typed, then the form is submitted
    at.button[0].click().run()
    assert at.file_uploader and at.selectbox(key="import_remove_doc")
    data = IMPORTS["浏阳.txt"][0]
    at.file_uploader(key="import_files").set_value([("浏阳.txt", data, OCTET)]).run()
    at.button(key=f"import_confirm_{key_of(data)}").click().run()
    assert any("已导入 浏阳.txt" in s for s in texts(at.success))
    assert (folder_hashes(raw), folder_hashes(out)) != before


def submit_password(at: AppTest, password: str) -> None:
    at.text_input(key="import_password").input(password)  # typed, then the form is submitted
    at.button[0].click().run()


def test_wrong_passwords_lock_the_session_out_for_longer_each_time(folders, monkeypatch):
    secrets = {auth.SECRET_KEY: auth.hash_password(PASSWORD)}
    waited = [0.0]
    monkeypatch.setattr(auth, "clock", lambda: time.monotonic() + waited[0])
    at = open_app(secrets=secrets)
    submit_password(at, "guess 1")
    assert any("密码不正确" in e and "1 秒后再试" in e for e in texts(at.error)), texts(at.error)
    submit_password(at, PASSWORD)  # at once: refused without being checked
    assert any("尝试次数过多" in e for e in texts(at.error)), texts(at.error)
    assert not at.file_uploader
    waited[0] += 1.1
    submit_password(at, "guess 2")
    assert any("2 秒后再试" in e for e in texts(at.error)), texts(at.error)
    waited[0] += 2.1
    submit_password(at, PASSWORD)
    assert at.file_uploader  # the right password, once the wait is over


def test_a_legacy_sha256_still_unlocks_but_asks_to_be_regenerated(folders):
    legacy = hashlib.sha256(PASSWORD.encode()).hexdigest()
    at = open_app(secrets={auth.LEGACY_SECRET_KEY: legacy, auth.SECRET_KEY: ""})
    assert not at.warning
    submit_password(at, PASSWORD)
    assert at.file_uploader
    assert any("python -m dashboard.auth" in w for w in texts(at.warning))


def test_a_malformed_password_digest_turns_imports_off(folders, monkeypatch):
    monkeypatch.setenv(auth.ENV_VAR, "not-a-sha256")
    at = open_app()
    assert any("导入密码配置无效" in e for e in texts(at.error))
    assert not at.file_uploader and not at.text_input


@pytest.fixture
def listening_on(monkeypatch):
    """Set server.address as `--server.address` would, for the test's runs of the app."""
    from streamlit import config

    from dashboard import serving

    before = config.get_option("server.address")

    def listen(address: str) -> None:
        config.set_option("server.address", address)
        serving.check_once.clear()

    yield listen
    config.set_option("server.address", before)
    serving.check_once.clear()


@pytest.mark.parametrize(
    ("address", "password", "warned"),
    [("0.0.0.0", False, True), ("192.168.3.7", False, True), ("0.0.0.0", True, False)],
)
def test_the_app_says_loudly_when_anyone_on_the_network_can_import(
    folders, listening_on, caplog, address, password, warned
):
    listening_on(address)
    secrets = {auth.SECRET_KEY: auth.hash_password(PASSWORD)} if password else None
    at = open_app(secrets=secrets)
    shown = any("任何人都可以导入和移除文档" in w for w in texts(at.warning))
    assert shown is warned
    assert ("任何人都可以导入和移除文档" in caplog.text) is warned  # the operator's console


def test_no_warning_on_the_loopback_address(folders, listening_on, caplog):
    listening_on("127.0.0.1")
    at = open_app()
    assert not at.warning and "任何人" not in caplog.text


def test_check_and_unlock_without_a_password_configured(monkeypatch):
    monkeypatch.delenv(auth.ENV_VAR, raising=False)
    monkeypatch.setattr(auth, "configured_hash", lambda: None)
    assert auth.check(None) and auth.check("anything")
    monkeypatch.setattr(auth, "configured_hash", lambda: auth.hash_password(PASSWORD))
    assert auth.check(PASSWORD) and not auth.check("x") and not auth.check(None)
