"""Legacy Office and WPS files (.xls, .et, .doc, .wps) load as the .xlsx/.docx they came from.

The fixtures in tests/fixtures/legacy are synthetic documents written as .xlsx/.docx and converted
by LibreOffice (bench/make_legacy.py regenerates them; truth.json says what each holds).
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pandas as pd
import pytest

from loaders import intake, legacy
from loaders.build import STAMP_NAME, build, read_document
from loaders.readers import SUFFIXES, ReaderError, convert

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "legacy"
TRUTH = json.loads((FIXTURES / "truth.json").read_text("utf-8"))
# legacy file -> the .xlsx/.docx it was converted from
LEGACY = TRUTH["legacy"]
DOCUMENTS = sorted(name for name in LEGACY if not name.startswith("formats"))
TABLES = ("documents", "projects", "indicators", "findings")
# What the document row says about its content (not about the file it came in).
CONTENT_COLUMNS = ("doc_kind", "unit", "year", "province", "city", "region", "amount_unit")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def raw_name(name: str) -> str:
    """The fixture's name in the shared build: declaration.doc and declaration.wps hold the same
    bytes, so under the same stem they would get the same doc_id."""
    path = Path(name)
    return f"{path.stem}-{path.suffix[1:]}{path.suffix}"


def lines_of(name: str, data: bytes) -> list[str]:
    return convert(name, data).data.decode("utf-8").split("\n")


def tables_of(out: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(out / f"{name}.parquet") for name in TABLES}


def rows_of(tables: dict[str, pd.DataFrame], source_file: str) -> dict[str, pd.DataFrame]:
    """One file's document row and its projects, indicators and findings, without its doc_id."""
    documents = tables["documents"]
    doc = documents[documents.source_file == source_file]
    assert len(doc) == 1, source_file
    doc_id = doc.doc_id.iloc[0]
    out = {"documents": doc[list(CONTENT_COLUMNS)].reset_index(drop=True)}
    for name in ("projects", "indicators", "findings"):
        frame = tables[name]
        out[name] = frame[frame.doc_id == doc_id].drop(columns="doc_id").reset_index(drop=True)
    return out


def unreadable(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """source_file -> message of every UNREADABLE finding."""
    findings = tables["findings"]
    bad = findings[findings.code == "UNREADABLE"].merge(tables["documents"], on="doc_id")
    return dict(zip(bad.source_file, bad.message, strict=True))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """Every fixture, legacy files and their sources side by side, in one build."""
    root = tmp_path_factory.mktemp("legacy")
    raw = root / "raw"
    raw.mkdir()
    for path in FIXTURES.iterdir():
        if path.suffix != ".json":
            shutil.copy2(path, raw / raw_name(path.name))
    build(raw, root / "out")
    return tables_of(root / "out")


@pytest.fixture
def no_libreoffice(tmp_path, monkeypatch) -> tuple[dict[str, str], dict[str, str]]:
    """PATH without LibreOffice (an empty folder) and no conversion kept in memory; the
    environments without and with it, for subprocesses."""
    with_office = dict(os.environ)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    legacy.clear_cache()
    assert legacy.find_soffice() is None
    return {**with_office, "PATH": str(empty)}, with_office


def test_this_machine_has_libreoffice():
    # scripts/setup.sh installs it; without it the .doc/.wps tests below would prove nothing
    assert legacy.find_soffice() is not None


@pytest.mark.parametrize("name", DOCUMENTS)
def test_legacy_file_loads_the_tables_of_its_source(built, name):
    got, want = rows_of(built, raw_name(name)), rows_of(built, raw_name(LEGACY[name]))
    for table in ("documents", "projects", "indicators", "findings"):
        pd.testing.assert_frame_equal(got[table], want[table], check_like=False, obj=table)
    truth = TRUTH["documents"][Path(name).stem]
    doc = got["documents"].iloc[0]
    assert (doc.doc_kind, doc.unit, doc.year) == (truth["doc_kind"], truth["unit"], truth["year"])
    assert len(got["projects"]) == truth["projects"]
    assert len(got["indicators"]) == truth["indicators"]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_legacy_file_gives_the_lines_of_its_source(name):
    # the same lines, so source_line and the 原文 view point at the same rows
    assert lines_of(name, fixture(name)) == lines_of(LEGACY[name], fixture(LEGACY[name]))


FORMATS_LINES = [
    "项目\t金额\t执行率\t日期",
    "甲\t1234.50\t97.25%\t2021年12月31日",
    "乙\t88\t100%\t2022-03-05 08:30",
    "合并\t\t\t09:15",
    "丙\t\t50.0%\tTRUE",
    "公式\t2469.00\t\t#DIV/0!",
    "",
    "第二张表\t3.14159",
]


@pytest.mark.parametrize("name", ["formats.xls", "formats.et"])
def test_cells_print_as_their_number_format_says(name):
    # cached formula values (2469.00, #DIV/0!), the merged A4:C4 as empty cells, every sheet
    assert lines_of(name, fixture(name)) == FORMATS_LINES
    # the .xlsx it came from was written by openpyxl, which stores no formula results
    assert lines_of("formats.xlsx", fixture("formats.xlsx")) == [
        "公式" if line.startswith("公式") else line for line in FORMATS_LINES
    ]


def test_wps_formats_are_the_word_97_and_excel_97_formats():
    # LibreOffice writes .wps as Word 97 and .et as Excel 97, as WPS Office saves them
    assert fixture("declaration.wps")[:8] == fixture("declaration.doc")[:8] == legacy.OLE_MAGIC
    assert legacy.WORD_STREAM in legacy.ole_streams(fixture("declaration.wps"))
    assert "Workbook" in legacy.ole_streams(fixture("declaration.et"))


def test_the_content_decides_not_the_name():
    xlsx, docx, xls = (
        fixture("declaration.xlsx"),
        fixture("declaration.docx"),
        fixture("declaration.xls"),
    )
    assert lines_of("a.xls", xlsx) == lines_of("a.xlsx", xlsx)  # an .xlsx renamed .xls
    assert lines_of("a.wps", docx) == lines_of("a.docx", docx)  # a .docx renamed .wps
    assert lines_of("a.xlsx", xls) == lines_of("a.xls", xls)  # an .xls renamed .xlsx
    with pytest.raises(ReaderError, match="文字文档"):
        convert("a.xls", fixture("declaration.doc"))
    with pytest.raises(ReaderError, match="工作表"):
        convert("a.doc", xls)


def test_text_saved_as_xls_is_read_as_text():
    # finance systems export tab- or comma-separated text under an .xls name
    seed = next((ROOT / "data" / "raw").glob("000_*.txt")).read_bytes()
    as_text = read_document("seed.txt", seed)
    as_xls = read_document("seed.xls", seed)
    assert as_xls["document"]["doc_kind"] == as_text["document"]["doc_kind"]
    assert len(as_xls["projects"]) == len(as_text["projects"]) > 0
    gb = read_document("seed_gb.xls", seed.decode("utf-8").encode("gb18030"))
    assert "ENCODING" in {f["code"] for f in gb["findings"]}
    assert len(gb["projects"]) == len(as_text["projects"])


def test_a_word_web_page_saved_as_doc_is_converted():
    page = (
        "<html><body><p>说明</p><table><tr><td>项目</td><td>金额</td></tr>"
        "<tr><td>甲</td><td>1.50</td></tr></table><p>完</p></body></html>"
    ).encode()
    assert lines_of("page.doc", page) == ["说明", "项目\t金额", "甲\t1.50", "完"]


def test_a_conversion_fetches_nothing_from_the_network():
    # LibreOffice loads a linked picture while converting, unless its profile forbids it
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/picture.png"
        page = f'<html><body><p>说明</p><img src="{url}"><p>完</p></body></html>'.encode()
        legacy.clear_cache()
        assert lines_of("linked.doc", page)[0] == "说明"
    finally:
        server.shutdown()
        server.server_close()
    assert requests == []


def test_broken_legacy_files_are_findings_and_the_others_load(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    xls = fixture("eval_tables.xls")
    (raw / "cut.xls").write_bytes(xls[: len(xls) // 2])
    (raw / "noise.et").write_bytes(legacy.OLE_MAGIC + random.Random(1).randbytes(20_000))
    (raw / "cut.doc").write_bytes(fixture("declaration.doc")[:10_240])
    (raw / "noise.wps").write_bytes(random.Random(2).randbytes(20_000))
    (raw / "words.xls").write_bytes(fixture("declaration.doc"))
    (raw / "good.xls").write_bytes(fixture("declaration.xls"))
    build(raw, tmp_path / "out")
    tables = tables_of(tmp_path / "out")
    messages = unreadable(tables)
    assert set(messages) == {"cut.xls", "noise.et", "cut.doc", "noise.wps", "words.xls"}
    assert "已损坏" in messages["cut.xls"] and "另存为 .xlsx" in messages["cut.xls"]
    assert "已损坏" in messages["noise.et"]
    assert "LibreOffice 无法打开" in messages["cut.doc"] and "另存为 .docx" in messages["cut.doc"]
    assert "无法识别的文件内容" in messages["noise.wps"]
    assert "文字文档" in messages["words.xls"]
    assert (
        len(rows_of(tables, "good.xls")["projects"])
        == TRUTH["documents"]["declaration"]["projects"]
    )


def test_a_huge_legacy_file_is_refused(monkeypatch):
    monkeypatch.setattr(legacy, "MAX_LEGACY_BYTES", 1000)
    with pytest.raises(ReaderError, match="过大"):
        convert("a.xls", fixture("declaration.xls"))


def test_without_libreoffice_a_doc_says_what_to_install_and_an_xls_loads(tmp_path, no_libreoffice):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for name in ("declaration.doc", "declaration.xls"):
        shutil.copy2(FIXTURES / name, raw / name)
    command = [sys.executable, "-m", "loaders", "build", "--raw", str(raw), "--out", str(out)]
    without, with_office = no_libreoffice
    done = subprocess.run(
        [*command, "--if-changed"], cwd=ROOT, env=without, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    tables = tables_of(out)
    message = unreadable(tables)["declaration.doc"]
    assert legacy.INSTALL_HINT in message and "apt-get install" in message
    assert "另存为 .docx" in message
    declared = TRUTH["documents"]["declaration"]["projects"]
    assert len(rows_of(tables, "declaration.xls")["projects"]) == declared
    assert json.loads((out / STAMP_NAME).read_text())["retry"] == ["declaration.doc"]
    # once LibreOffice is there, the next --if-changed build reads the .doc (nothing cached it)
    done = subprocess.run(
        [*command, "--if-changed"], cwd=ROOT, env=with_office, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "up to date" not in done.stderr
    tables = tables_of(out)
    assert unreadable(tables) == {}
    assert len(rows_of(tables, "declaration.doc")["projects"]) == declared
    assert json.loads((out / STAMP_NAME).read_text())["retry"] == []


def test_a_rebuild_does_not_convert_again(tmp_path, monkeypatch):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    shutil.copy2(FIXTURES / "declaration.doc", raw / "declaration.doc")
    first = build(raw, out)
    assert (first["parsed"], first["unreadable"]) == (1, 0)
    projects = tables_of(out)["projects"]
    # LibreOffice gone and nothing in memory: a conversion now would fail
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    legacy.clear_cache()
    os.utime(raw / "declaration.doc")  # touched, same bytes
    again = build(raw, out)
    assert (again["parsed"], again["reused"], again["unreadable"]) == (0, 1, 0)
    pd.testing.assert_frame_equal(tables_of(out)["projects"], projects)


def test_a_conversion_that_takes_too_long_is_killed(tmp_path, monkeypatch):
    monkeypatch.setattr(legacy, "CONVERT_TIMEOUT_S", 0.3)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    legacy.clear_cache()
    result = read_document("slow.doc", fixture("declaration.doc"))
    (finding,) = result["findings"]
    assert finding["code"] == "UNREADABLE" and "超过" in finding["message"]
    assert result["retry"] is True  # a later build tries again
    assert list(tmp_path.iterdir()) == []  # its folder and profile are gone
    still_running = []
    for proc in Path("/proc").iterdir():
        try:
            if str(tmp_path).encode() in (proc / "cmdline").read_bytes():
                still_running.append(proc.name)
        except OSError:
            continue
    assert still_running == []


def test_a_conversion_gets_bounded_memory(monkeypatch):
    # 64 MB of address space is too little for LibreOffice to start: refused, not swapped
    monkeypatch.setattr(legacy, "CONVERT_MEMORY_MB", 64)
    legacy.clear_cache()
    with pytest.raises(ReaderError, match="异常退出") as info:
        convert("big.doc", fixture("declaration.doc"))
    assert not info.value.transient


def test_import_accepts_legacy_files(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    assert {".xls", ".et", ".doc", ".wps"} <= set(SUFFIXES)
    change = intake.add("目标申报表.wps", fixture("declaration.wps"), raw, out)
    assert (raw / change.stored).read_bytes() == fixture("declaration.wps")
    sheet = tmp_path / "自评表.et"
    sheet.write_bytes(fixture("eval_tables.et"))
    done = subprocess.run(
        [sys.executable, "-m", "loaders", "add", str(sheet), "--raw", str(raw), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    documents = tables_of(out)["documents"].set_index("source_file")
    assert documents.loc["目标申报表.wps", "doc_kind"] == "target_declaration"
    assert documents.loc["自评表.et", "doc_kind"] == "project_eval_tables"


# --- the import page ------------------------------------------------------------------------------


def import_page(raw: Path, out: Path, monkeypatch, uploads: list[tuple[str, bytes]]):
    """导入文档 with these files uploaded (no import password), after one run."""
    from injection_support import shown
    from streamlit.testing.v1 import AppTest

    from dashboard import auth

    monkeypatch.setenv(intake.RAW_ENV, str(raw))
    monkeypatch.setenv(intake.PARQUET_ENV, str(out))
    for name in (auth.ENV_VAR, auth.LEGACY_ENV_VAR, intake.MAX_MB_ENV):
        monkeypatch.delenv(name, raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.secrets.update({auth.SECRET_KEY: ""})
    at.run()
    at.switch_page("views/import_documents.py").run()
    octet = "application/octet-stream"
    at.file_uploader(key="import_files").set_value([(n, d, octet) for n, d in uploads]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at, lambda elements: [shown(e.value) for e in elements]


def test_the_import_page_previews_and_imports_legacy_files(tmp_path, monkeypatch):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    uploads = [
        ("申报表.wps", fixture("declaration.wps")),
        ("自评表.xls", fixture("eval_tables.xls")),
    ]
    at, texts = import_page(raw, out, monkeypatch, uploads)
    captions = " ".join(texts(at.caption))
    assert "Excel 97-2003 工作簿（.xls）" in captions and "WPS 文字文档（.wps）" in captions
    assert "格式：WPS 文字文档" in captions and "格式：Excel 97-2003 工作簿" in captions
    assert all("LibreOffice" not in s for s in texts(at.info))
    for name, data in uploads:
        at.button(key=f"import_confirm_{hashlib.sha256(data).hexdigest()[:12]}").click().run()
        assert any(f"已导入 {name}" in s for s in texts(at.success)), texts(at.error)
    documents = tables_of(out)["documents"].set_index("source_file")
    assert documents.loc["申报表.wps", "doc_kind"] == "target_declaration"
    assert documents.loc["自评表.xls", "doc_kind"] == "project_eval_tables"


def test_the_import_page_says_what_to_install_without_libreoffice(
    tmp_path, monkeypatch, no_libreoffice
):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    uploads = [
        ("申报表.doc", fixture("declaration.doc")),
        ("申报表.xls", fixture("declaration.xls")),
    ]
    at, texts = import_page(raw, out, monkeypatch, uploads)
    assert any(legacy.INSTALL_HINT in s for s in texts(at.info))
    errors = texts(at.error)
    assert len(errors) == 1 and legacy.INSTALL_HINT in errors[0]  # the .doc, refused
    key = hashlib.sha256(fixture("declaration.xls")).hexdigest()[:12]
    assert at.button(key=f"import_confirm_{key}")  # the .xls reads without LibreOffice
