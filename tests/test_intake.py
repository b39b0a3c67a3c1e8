"""Safe import: refusals leave data/raw and data/parquet byte-for-byte unchanged; add, replace, remove."""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from office_files import (
    RAW,
    copy_raw,
    docx_from_lines,
    folder_hashes,
    plain_zip,
    seed_bytes,
    seed_lines,
    xlsx_from_lines,
    zip_bomb,
)

import loaders.build as build_module
from loaders import intake
from loaders.__main__ import EXIT_NEEDS_CONFIRMATION, EXIT_NOTHING_WRITTEN, EXIT_OK, main
from loaders.build import build, doc_id_for
from loaders.intake import AlreadyImported, ImportRefused, NeedsConfirmation

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
TABLES = ("documents", "projects", "indicators", "findings")
PROSE = (
    "春天来了，公园里的花都开了。我们一家人周末去郊外踏青，看到了成片的油菜花，"
    "孩子们在田埂上奔跑，晚上回家吃了一顿热腾腾的饺子。\n"
) * 20


@pytest.fixture
def dirs(tmp_path) -> tuple[Path, Path]:
    """A copy of data/raw without the 浏阳 seed (004), and its parquet: never the real data/."""
    raw = copy_raw(tmp_path / "data" / "raw", leave_out=("004",))
    out = tmp_path / "data" / "parquet"
    build(raw, out)
    return raw, out


def state(raw: Path, out: Path) -> tuple[dict, dict]:
    return folder_hashes(raw), folder_hashes(out)


def tables(out: Path) -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(out / f"{t}.parquet") for t in TABLES}


def gb18030_seed(prefix: str = "004") -> bytes:
    return seed_bytes(prefix).decode("utf-8").encode("gb18030")


# --- refusals -----------------------------------------------------------------------------------

BAD_IMPORTS = [
    ("empty.txt", b"", "文件为空"),
    ("blank.txt", b" \n\t\n", "文件为空"),
    ("noise.txt", random.Random(7).randbytes(8192), "无法导入"),
    ("huge.txt", b"x" * (30 * 2**20), "文件过大"),
    ("../../evil.txt", seed_bytes("004"), "包含路径"),
    ("..\\..\\evil.txt", seed_bytes("004"), "包含路径"),
    ("/etc/evil.txt", seed_bytes("004"), "包含路径"),
    ("a\x00b.txt", seed_bytes("004"), "控制字符"),
    ("a\x1b[31mb.txt", seed_bytes("004"), "控制字符"),
    ("line\nbreak.txt", seed_bytes("004"), "控制字符"),
    ("报告\u202etxt.exe", seed_bytes("004"), "控制字符"),
    (".hidden.txt", seed_bytes("004"), "隐藏文件"),
    ("~$lock.xlsx", seed_bytes("004"), "隐藏文件"),
    ("CON.txt", seed_bytes("004"), "系统保留"),
    ("lpt1.docx", seed_bytes("004"), "系统保留"),
    ("sources.toml", b"[[document]]\nfile = 'x'\n", "不支持的文件类型"),
    ("README.md", seed_bytes("004"), "保留文件名"),
    ("report.pdf", b"%PDF-1.7\n", "无法打开 PDF"),
    ("notes.pdf", b"just text, not a PDF", "不是有效的PDF 文件"),
    ("noextension", seed_bytes("004"), "不支持的文件类型"),
    (".txt", seed_bytes("004"), "隐藏文件"),
    ("prose.txt", PROSE.encode("utf-8"), "未识别的文档类型"),
    ("prose.docx", docx_from_lines(PROSE.splitlines()), "未识别的文档类型"),
    ("bomb.xlsx", zip_bomb(), "压缩炸弹"),
    ("fake.xlsx", b"this is not a workbook at all", "不是有效的Excel 工作簿"),
    ("zip.xlsx", plain_zip({"a.txt": b"hello"}), "不是有效的Excel 工作簿"),
    ("renamed.xlsx", docx_from_lines(seed_lines("004")), "不是有效的Excel 工作簿"),
    ("office.txt", xlsx_from_lines(seed_lines("000")), "Office 文件"),
]


@pytest.mark.parametrize(("name", "data", "fragment"), BAD_IMPORTS, ids=[b[0] for b in BAD_IMPORTS])
def test_bad_imports_are_refused_and_change_nothing(dirs, name, data, fragment):
    raw, out = dirs
    before = state(raw, out)
    with pytest.raises(ImportRefused) as info:
        intake.add(name, data, raw, out)
    message = str(info.value)
    assert fragment in message and CJK.search(message)
    assert state(raw, out) == before
    assert not intake.trash_dir(raw).exists()
    # the page shows the same reason before the user confirms
    preview = intake.inspect(name, data)
    assert not preview.ok and fragment in preview.refusal


def test_size_limit_is_configurable(dirs, monkeypatch):
    raw, out = dirs
    data = gb18030_seed()
    monkeypatch.setenv(intake.MAX_MB_ENV, "0.001")
    with pytest.raises(ImportRefused, match="超过导入上限 0.001 MB"):
        intake.add("浏阳.txt", data, raw, out)
    monkeypatch.setenv(intake.MAX_MB_ENV, "not a number")
    assert intake.max_bytes() == intake.DEFAULT_MAX_MB * 2**20


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("浏阳市 2021 自评.TXT", "浏阳市_2021_自评.txt"),
        ("a:b?c*.xlsx", "a_b_c.xlsx"),
        ("  报告.docx  ", "报告.docx"),
        ("e\u0301.csv", "\u00e9.csv"),  # NFC
        ("长" * 60 + ".docx", "长" * 60 + ".docx"),  # 185 bytes: under the limit
        ("普陀区 (2023).md", "普陀区_(2023).md"),
    ],
)
def test_safe_name_keeps_chinese_and_replaces_unsafe_characters(name, safe):
    assert intake.safe_name(name) == safe


LONG_NAMES = [
    "长" * 90 + ".txt",  # 274 bytes: over ext4's 255, though only 94 characters
    "长" * 65 + ".txt",  # 199 bytes: fits on disk, but not with what the intake adds to it
    "x" * 300 + ".docx",
]


@pytest.mark.parametrize("name", LONG_NAMES, ids=["90 汉字", "65 汉字", "300 ascii"])
def test_a_name_too_long_in_bytes_is_refused_before_preview(dirs, name):
    raw, out = dirs
    before = state(raw, out)
    preview = intake.inspect(name, gb18030_seed())
    assert not preview.ok and "文件名过长" in preview.refusal
    assert not preview.document  # refused before the trial parse
    with pytest.raises(ImportRefused) as info:
        intake.add(name, gb18030_seed(), raw, out)
    message = str(info.value)
    assert "文件名过长" in message and f"{intake.MAX_NAME_BYTES} 字节" in message
    assert str(raw.parent) not in message and "Errno" not in message
    assert state(raw, out) == before


def test_the_longest_name_allowed_survives_every_name_the_intake_makes_of_it(dirs):
    """The stored name, its "-<hash>" twin, the trash's dated copy with its sources.toml sidecar
    and the temporary files of atomic writes all stay within one path component's 255 bytes."""
    raw, out = dirs
    stem = "长" * ((intake.MAX_NAME_BYTES - len(".txt")) // 3)
    name = stem + "x" * (intake.MAX_NAME_BYTES - len(stem.encode()) - len(".txt")) + ".txt"
    assert len(name.encode()) == intake.MAX_NAME_BYTES
    fields = {"year": 2021, "region": "湖南"}  # a sources.toml entry, so the trash gets a sidecar
    first = intake.add(name, gb18030_seed(), raw, out, fields)
    assert first.stored == name
    newer = intake.add(name, gb18030_seed() + b"\n", raw, out, fields, replace=True)
    assert newer.trashed == [name] and newer.stored != name  # the name was taken: hash added
    assert len(newer.stored.encode()) > intake.MAX_NAME_BYTES
    intake.remove(newer.doc_id, raw, out)  # the longest name goes to the trash with its entry
    names = [p.name for p in intake.trash_dir(raw).iterdir()]
    assert any(n.endswith(newer.stored + ".sources.toml") for n in names)
    assert max(len(n.encode()) for n in names) <= 255


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"year": "2023"}, {"year": 2023}),
        ({"year": " 2023年 "}, {"year": 2023}),
        (
            {"year": 2021, "unit": " 浏阳市卫生健康局 ", "region": ""},
            {"year": 2021, "unit": "浏阳市卫生健康局"},
        ),
        ({"region": "湖南"}, {"region": "湖南"}),
        ({}, {}),
    ],
)
def test_clean_fields(fields, expected):
    assert intake.clean_fields(**fields) == expected


@pytest.mark.parametrize(
    "fields",
    [
        {"year": "二〇二三"},
        {"year": "1800"},
        {"year": "2023.5"},
        {"unit": "甲\n乙"},
        {"region": "长" * 101},
    ],
)
def test_clean_fields_refuses_bad_values(fields):
    with pytest.raises(ImportRefused) as info:
        intake.clean_fields(**fields)
    assert CJK.search(str(info.value))


@pytest.mark.parametrize(
    ("fields", "fragment", "wrong"),
    [
        ({"unit": "甲\n乙"}, "换行", "不超过"),  # was: 请填写不超过 100 字的名称
        ({"region": "湖\t南"}, "控制字符", "不超过"),
        ({"unit": "长" * 101}, "不超过 100 字", "换行"),
    ],
)
def test_a_bad_field_gets_the_reason_that_applies(fields, fragment, wrong):
    with pytest.raises(ImportRefused) as info:
        intake.clean_fields(**fields)
    assert fragment in str(info.value) and wrong not in str(info.value)


# --- imports ------------------------------------------------------------------------------------


def test_gb18030_text_is_imported_and_built(dirs):
    raw, out = dirs
    data = gb18030_seed()
    change = intake.add("浏阳 2021.txt", data, raw, out)
    assert change.stored == "浏阳_2021.txt" and change.trashed == []
    assert (raw / change.stored).read_bytes() == data
    t = tables(out)
    doc = t["documents"].set_index("doc_id").loc[change.doc_id]
    assert (doc["unit"], doc["region"], doc["year"]) == ("浏阳市卫生健康局", "湖南", 2021)
    assert doc["encoding"] == "gb18030" and doc["doc_kind"] == "department_overall_eval"
    assert (t["projects"]["doc_id"] == change.doc_id).sum() == 3
    codes = set(t["findings"].loc[t["findings"]["doc_id"] == change.doc_id, "code"])
    assert "ENCODING" in codes
    # no fields given: sources.toml untouched
    assert (raw / "sources.toml").read_bytes() == (RAW / "sources.toml").read_bytes()
    assert build_module.is_current(raw, out)


def test_docx_with_year_and_region_written_to_sources_toml(dirs):
    raw, out = dirs
    (raw / "003_b280439a9c8ca6b3.txt").unlink()  # import the 普陀 seed as a Word file instead
    build(raw, out)
    comment = (raw / "sources.toml").read_text("utf-8").splitlines()[0]
    fields = intake.clean_fields(year="2023", region="上海")
    change = intake.add("普陀区自评.docx", docx_from_lines(seed_lines("003")), raw, out, fields)
    manifest = tomllib.loads((raw / "sources.toml").read_text("utf-8"))
    entry = next(e for e in manifest["document"] if e["file"] == "普陀区自评.docx")
    assert entry == {"file": "普陀区自评.docx", "year": 2023, "region": "上海"}
    assert (raw / "sources.toml").read_text("utf-8").splitlines()[0] == comment  # comments kept
    doc = tables(out)["documents"].set_index("doc_id").loc[change.doc_id]
    assert (doc["unit"], doc["region"], doc["year"], doc["year_source"]) == (
        "上海市普陀区卫生健康事务管理中心",
        "上海",
        2023,
        "manifest",
    )


def test_xlsx_import_loads_the_seeds_rows(dirs):
    raw, out = dirs
    (raw / "000_8a770645b8ccef32.txt").unlink()
    build(raw, out)
    change = intake.add("龙岗.xlsx", xlsx_from_lines(seed_lines("000")), raw, out)
    t = tables(out)
    doc = t["documents"].set_index("doc_id").loc[change.doc_id]
    assert (doc["unit"], doc["region"], doc["year"]) == ("深圳市龙岗区卫生健康局", "深圳", 2021)
    assert (t["projects"]["doc_id"] == change.doc_id).sum() == 34


def test_same_bytes_are_recognised_not_duplicated(dirs):
    raw, out = dirs
    before = state(raw, out)
    with pytest.raises(AlreadyImported) as info:
        intake.add("另存为.txt", seed_bytes("000"), raw, out)
    assert info.value.existing == "000_8a770645b8ccef32.txt"
    assert "已导入" in str(info.value)
    assert state(raw, out) == before


def test_newer_version_replaces_the_older_only_after_confirmation(dirs):
    raw, out = dirs
    older = "003_b280439a9c8ca6b3.txt"
    newer = seed_bytes("003") + "\n（修订版）\n".encode()
    before = state(raw, out)
    fields = {"year": 2023}  # 003 prints no year; the form asks for it
    with pytest.raises(NeedsConfirmation) as info:
        intake.add("普陀 修订.txt", newer, raw, out, fields)
    assert [r["source_file"] for r in info.value.replaces] == [older]
    assert "data/trash" in str(info.value)
    assert state(raw, out) == before

    change = intake.add("普陀 修订.txt", newer, raw, out, fields, replace=True)
    assert change.trashed == [older] and not (raw / older).exists()
    trashed = sorted(p.name for p in intake.trash_dir(raw).iterdir())
    assert len(trashed) == 2 and trashed[0].endswith(older)
    # the older file's sources.toml entry (year = 2023) went with it, and now applies to nothing
    assert trashed[1] == trashed[0] + ".sources.toml"
    assert older not in (raw / "sources.toml").read_text("utf-8")
    docs = tables(out)["documents"]
    assert older not in set(docs["source_file"]) and change.stored in set(docs["source_file"])
    assert len(docs) == 4
    assert docs.set_index("source_file").loc[change.stored, "year"] == 2023


def test_remove_moves_to_trash_and_rebuilds(dirs):
    raw, out = dirs
    docs = tables(out)["documents"].set_index("source_file")
    doc_id = docs.loc["003_b280439a9c8ca6b3.txt", "doc_id"]
    text = (raw / "sources.toml").read_text("utf-8")
    change = intake.remove(doc_id, raw, out)
    assert change.trashed == ["003_b280439a9c8ca6b3.txt"]
    assert not (raw / "003_b280439a9c8ca6b3.txt").exists()
    assert doc_id not in set(tables(out)["documents"]["doc_id"])
    assert doc_id not in set(tables(out)["projects"]["doc_id"])
    remaining = (raw / "sources.toml").read_text("utf-8")
    assert "003_b280439a9c8ca6b3.txt" not in remaining
    assert remaining.splitlines()[0] == text.splitlines()[0]  # the file's opening comment stays
    restored = intake.trash_dir(raw) / next(
        p.name for p in intake.trash_dir(raw).iterdir() if p.name.endswith(".txt")
    )
    assert restored.read_bytes() == seed_bytes("003")


def test_remove_an_unknown_document_changes_nothing(dirs):
    raw, out = dirs
    before = state(raw, out)
    with pytest.raises(ImportRefused, match="未找到文档"):
        intake.remove("no-such-doc", raw, out)
    assert state(raw, out) == before


def test_an_invalid_sources_toml_stops_imports_without_changes(dirs):
    raw, out = dirs
    (raw / "sources.toml").write_text('[[document]]\nfile = "a.txt"\nyear = "2023年"\n', "utf-8")
    before = state(raw, out)
    with pytest.raises(ImportRefused, match="sources.toml 有错误"):
        intake.add("浏阳.txt", gb18030_seed(), raw, out)
    assert state(raw, out) == before


# --- the output folder ---------------------------------------------------------------------------


def tree(root: Path) -> dict[str, str]:
    """Every path under root (hidden ones and folders included) -> sha256 of its bytes or "dir"."""
    return {
        p.relative_to(root).as_posix(): "dir"
        if p.is_dir()
        else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize("where", ["raw", "raw's parent"])
def test_import_and_removal_refuse_an_output_folder_holding_the_documents(dirs, where):
    raw, _ = dirs
    out = raw if where == "raw" else raw.parent
    base = raw.parent.parent
    before = tree(base)
    with pytest.raises(ImportRefused, match="输出文件夹") as info:
        intake.add("浏阳.txt", gb18030_seed(), raw, out)
    assert "未做任何改动" in str(info.value)
    with pytest.raises(ImportRefused, match="输出文件夹"):
        intake.remove("003_b280439a9c8ca6b3.txt", raw, out)
    assert tree(base) == before


def test_cli_add_and_remove_refuse_it_too(dirs, tmp_path, caplog):
    raw, _ = dirs
    path = tmp_path / "浏阳.txt"
    path.write_bytes(gb18030_seed())
    before = tree(raw.parent)
    folders = ["--raw", str(raw), "--out", str(raw.parent)]
    assert main(["add", str(path), *folders]) == EXIT_NOTHING_WRITTEN
    assert main(["remove", "003_b280439a9c8ca6b3.txt", *folders]) == EXIT_NOTHING_WRITTEN
    assert tree(raw.parent) == before
    assert caplog.text.count("未做任何改动") == 2


# --- failures half-way --------------------------------------------------------------------------


def test_build_killed_mid_write_leaves_everything_as_it_was(dirs, monkeypatch):
    raw, out = dirs
    before = state(raw, out)
    counts = {t: len(frame) for t, frame in tables(out).items()}
    real_write = pq.write_table
    written = []

    def dying_writer(table, where, **kwargs):
        written.append(where)
        if len(written) == 2:  # half a file on disk, then the process "dies"
            Path(where).write_bytes(b"PAR1 half a table")
            raise OSError(28, "No space left on device", str(where))
        real_write(table, where, **kwargs)

    monkeypatch.setattr(build_module.pq, "write_table", dying_writer)
    with pytest.raises(ImportRefused) as info:
        intake.add("浏阳.txt", gb18030_seed(), raw, out)
    assert "已撤销" in str(info.value) and "No space left on device" in str(info.value)
    assert str(out.parent) not in str(info.value)  # the page shows it: no server path
    assert len(written) >= 2  # the tables are written side by side: the others may finish
    assert state(raw, out) == before
    assert {t: len(frame) for t, frame in tables(out).items()} == counts
    assert not list(out.parent.glob(".parquet.new-*"))


def test_kill_between_the_two_renames_restores_the_previous_tables(dirs, monkeypatch):
    raw, out = dirs
    before = state(raw, out)

    def dying_swap(new_dir, out_dir):
        out_dir.rename(out_dir.parent / f".{out_dir.name}.old")  # first rename done …
        raise KeyboardInterrupt  # … and the process is stopped

    monkeypatch.setattr(build_module, "swap_in", dying_swap)
    with pytest.raises(KeyboardInterrupt):
        intake.remove("003_b280439a9c8ca6b3.txt", raw, out)
    assert state(raw, out) == before
    assert len(tables(out)["documents"]) == 4


def test_imports_are_serialised_by_the_lock(dirs, monkeypatch):
    raw, out = dirs
    before = state(raw, out)
    monkeypatch.setattr(intake, "LOCK_TIMEOUT_S", 0.3)
    with intake.locked(raw):
        with pytest.raises(ImportRefused, match="另一个导入或移除正在进行"):
            intake.add("浏阳.txt", gb18030_seed(), raw, out)
    assert state(raw, out) == before


def test_concurrent_imports_both_land(dirs):
    raw, out = dirs
    (raw / "000_8a770645b8ccef32.txt").unlink()
    build(raw, out)
    jobs = [("浏阳.txt", gb18030_seed()), ("龙岗.xlsx", xlsx_from_lines(seed_lines("000")))]
    errors = []

    def run(name, data):
        try:
            intake.add(name, data, raw, out)
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert {"浏阳.txt", "龙岗.xlsx"} <= set(tables(out)["documents"]["source_file"])
    assert build_module.is_current(raw, out)


def unprivileged(command: list[str]) -> list[str]:
    """command run so that file modes bind it: root keeps its uid but loses its capabilities."""
    if os.geteuid() != 0:
        return command
    # util-linux is part of every Debian system the set-up supports; without it the test cannot
    # make file modes bind for root, and it fails rather than passing unchecked.
    assert shutil.which("setpriv"), "setpriv (util-linux) is needed to drop root's capabilities"
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--", *command]


@pytest.mark.parametrize("read_only", ["data/raw", "data and data/raw"])
@pytest.mark.parametrize("command", ["add", "remove"])
def test_a_read_only_folder_is_blamed_not_the_input_file(dirs, tmp_path, read_only, command):
    raw, out = dirs
    path = tmp_path / "浏阳.txt"
    path.write_bytes(gb18030_seed())
    before = state(raw, out)
    locked_down = [raw] if read_only == "data/raw" else [raw, raw.parent]
    target = str(path) if command == "add" else "003_b280439a9c8ca6b3.txt"
    args = [sys.executable, "-m", "loaders", command, target, "--raw", str(raw), "--out", str(out)]
    for folder in locked_down:
        folder.chmod(0o555)
    try:
        done = subprocess.run(
            unprivileged(args), cwd=ROOT, capture_output=True, text=True, timeout=120
        )
    finally:
        for folder in locked_down:
            folder.chmod(0o755)
    assert done.returncode == EXIT_NOTHING_WRITTEN, done.stderr
    assert "不可写" in done.stderr and "权限" in done.stderr, done.stderr
    assert "无法读取" not in done.stderr and "Traceback" not in done.stderr
    assert state(raw, out) == before


# --- sources.toml editing -----------------------------------------------------------------------


def test_manifest_text_keeps_comments_and_other_entries():
    text = (
        "# header comment\n\n"
        '# about a.txt\n[[document]]\nfile = "a.txt"\nyear = 2021\n\n'
        '[[document]]\nfile = "b.txt"  # inline\nunit = "乙单位"\n'
    )
    dropped = intake.manifest_text(text, {"a.txt"})
    assert (
        dropped == '# header comment\n\n[[document]]\nfile = "b.txt"  # inline\nunit = "乙单位"\n'
    )
    added = intake.manifest_text(dropped, set(), {"file": "c.txt", "year": 2023, "unit": "丙"})
    assert added.startswith(dropped.rstrip("\n"))
    assert tomllib.loads(added)["document"][-1] == {"file": "c.txt", "year": 2023, "unit": "丙"}
    assert intake.manifest_text(text, {"zzz.txt"}) == text


def test_manifest_text_falls_back_for_inline_tables():
    text = 'document = [{file = "a.txt", year = 2021}, {file = "b.txt", year = 2022}]\n'
    out = intake.manifest_text(text, {"a.txt"})
    assert tomllib.loads(out) == {"document": [{"file": "b.txt", "year": 2022}]}


# --- the command line ---------------------------------------------------------------------------


def test_cli_add_list_remove(dirs, tmp_path, capsys):
    raw, out = dirs
    folders = ["--raw", str(raw), "--out", str(out)]
    path = tmp_path / "浏阳.txt"
    path.write_bytes(gb18030_seed())
    assert main(["add", str(path), "--year", "2021", "--region", "湖南", *folders]) == EXIT_OK
    assert main(["add", str(path), *folders]) == EXIT_OK  # already imported: nothing to do
    capsys.readouterr()
    assert main(["list", *folders]) == EXIT_OK
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split("\t") == ["doc_id", "doc_kind", "unit", "region", "year", "source_file"]
    row = next(line.split("\t") for line in listing if line.endswith("\t浏阳.txt"))
    assert row[1:5] == ["department_overall_eval", "浏阳市卫生健康局", "湖南", "2021"]

    newer = tmp_path / "浏阳v2.txt"
    newer.write_bytes(gb18030_seed() + "\n".encode("gb18030"))
    assert main(["add", str(newer), *folders]) == EXIT_NEEDS_CONFIRMATION
    assert main(["add", str(newer), "--replace", *folders]) == EXIT_OK
    assert not (raw / "浏阳.txt").exists()
    assert main(["remove", row[0], *folders]) == EXIT_NOTHING_WRITTEN  # already replaced
    sha = hashlib.sha256((raw / "浏阳v2.txt").read_bytes()).hexdigest()
    doc_id = doc_id_for("浏阳v2.txt", sha)
    assert main(["remove", doc_id, *folders]) == EXIT_OK
    assert "浏阳v2.txt" not in set(tables(out)["documents"]["source_file"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "二〇二一"], "年度"),
        ([], None),
    ],
)
def test_cli_refusals_exit_1_with_a_message(dirs, tmp_path, caplog, args, message):
    raw, out = dirs
    path = tmp_path / "prose.txt"
    path.write_text(PROSE, "utf-8")
    before = state(raw, out)
    assert (
        main(["add", str(path), *args, "--raw", str(raw), "--out", str(out)])
        == EXIT_NOTHING_WRITTEN
    )
    assert (message or "未识别的文档类型") in caplog.text
    assert state(raw, out) == before


def test_cli_missing_file(dirs, tmp_path, caplog):
    raw, out = dirs
    assert main(["add", str(tmp_path / "nope.txt"), "--raw", str(raw), "--out", str(out)]) == 1
    assert "无法读取" in caplog.text
