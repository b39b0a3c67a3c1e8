"""Bad input: the build never crashes, and each problem arrives through the right channel.

Problems in a document become Finding rows (UNREADABLE, TRUNCATED, ENCODING …); misuse and
failures to write raise exceptions or give exit code 1. Warnings are errors in this module.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import RAW, ROOT, seed_path

from loaders import build as build_module
from loaders.__main__ import main
from loaders.build import build, read_document, recover, write_tables
from loaders.document import DecodeError, decode
from loaders.findings import Finding
from loaders.kinds import registry
from loaders.manifest import read_manifest

pytestmark = pytest.mark.filterwarnings("error")

TABLE_NAMES = ("documents", "projects", "indicators", "findings")
SEEDS = ("000", "001", "002", "003", "004")
# Keys of the documents row that depend on the bytes rather than on what the document says.
BYTE_KEYS = {"doc_id", "source_file", "sha256", "encoding", "size_bytes"}
BIG_FILE_BYTES = 50 * 1024 * 1024
# Generous bound for reading the 50 MB file; it takes well under a second on the CI machine.
BIG_FILE_MAX_SECONDS = 20.0
PROSE = (
    "春天来了，公园里的花都开了。孩子们在草地上放风筝，老人们在树下下棋。"
    "The weather was mild and the river ran high after the rain.\n"
)


def random_bytes(n: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def only_unreadable(result: dict) -> dict:
    """The single finding of a result that must be unreadable, after checking its shape."""
    assert result["projects"] == [] and result["indicators"] == []
    assert result["document"]["doc_kind"] == "unknown"
    (finding,) = result["findings"]
    assert finding["code"] == "UNREADABLE" and finding["severity"] == "error"
    assert has_cjk(finding["message"]) and finding["message"].endswith("。")
    assert finding["doc_id"] == result["document"]["doc_id"]
    return finding


def cut_inside_a_character(raw: bytes) -> bytes:
    """The bytes cut in the middle of a line, inside a multi-byte UTF-8 character."""
    i = len(raw) // 2
    # The first byte after a lead byte of a multi-byte character, past the middle.
    while not (raw[i] & 0xC0 == 0x80 and raw[i - 1] >= 0xE0):
        i += 1
    assert raw[i - 1 : i + 3].find(b"\n") == -1  # the line goes on after the cut
    return raw[:i]


# -- the exception channel: misuse -------------------------------------------------------------


def test_decode_raises_for_bytes_that_are_not_text():
    with pytest.raises(DecodeError, match="文件为空"):
        decode(b"")
    with pytest.raises(DecodeError, match="文件为空"):
        decode(b" \n\t\r\n")
    with pytest.raises(DecodeError, match="二进制"):
        decode(random_bytes(4096))
    with pytest.raises(DecodeError, match="PDF"):
        decode(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")
    with pytest.raises(TypeError):
        decode("已经是文本")


def test_misuse_raises_precise_exceptions(tmp_path):
    with pytest.raises(TypeError, match="bytes"):
        read_document("a.txt", "不是字节")
    with pytest.raises(FileNotFoundError):
        build(tmp_path / "no-such-folder", tmp_path / "out")
    with pytest.raises(ValueError, match="unknown finding code"):
        Finding("NOT_A_CODE", "…")


# -- the finding channel: bad documents --------------------------------------------------------

BAD_CONTENT = {
    "empty.txt": b"",
    "blank.txt": b"  \r\n\t\n",
    "random.bin": random_bytes(64 * 1024),
    "random_no_nul.bin": bytes(b or 1 for b in random_bytes(64 * 1024, seed=11)),
    "prose.txt": (PROSE * 200).encode("utf-8"),
    "report.pdf": b"%PDF-1.4\n" + random_bytes(2048),
    "sheet.xlsx": b"PK\x03\x04" + random_bytes(2048),
    "latin1.txt": ("Café crème, déjà vu. " * 300).encode("latin-1"),
}


@pytest.mark.parametrize("name", sorted(BAD_CONTENT))
def test_bad_content_is_an_unreadable_finding(name, caplog):
    with caplog.at_level(logging.WARNING):
        result = read_document(name, BAD_CONTENT[name])
    finding = only_unreadable(result)
    assert finding["source_line"] is None
    assert caplog.records == []  # reported as a finding, not logged


def test_unreadable_messages_say_what_to_do():
    messages = {n: only_unreadable(read_document(n, b))["message"] for n, b in BAD_CONTENT.items()}
    assert "为空" in messages["empty.txt"]
    assert "二进制" in messages["random.bin"]
    assert "编码" in messages["random_no_nul.bin"]
    assert "未识别的文档类型" in messages["prose.txt"]
    assert "PDF" in messages["report.pdf"]
    assert "xlsx" in messages["sheet.xlsx"]
    assert all("data/raw" in m or "请" in m for m in messages.values())


@pytest.mark.parametrize("prefix", SEEDS)
def test_truncated_seed_loads_with_a_truncated_finding(prefix, seed_result):
    path = seed_path(prefix)
    cut = cut_inside_a_character(path.read_bytes())
    result = read_document(path.name, cut)
    original = seed_result(prefix)
    assert result["document"]["doc_kind"] == original["document"]["doc_kind"]
    codes = [f["code"] for f in result["findings"]]
    assert "TRUNCATED" in codes and "UNREADABLE" not in codes
    assert result["document"]["n_lines"] == cut.count(b"\n") + 1


def comparable(result: dict) -> dict:
    """The rows of a result without what depends on the bytes (ids, hash, encoding, size)."""
    return {
        "document": {k: v for k, v in result["document"].items() if k not in BYTE_KEYS},
        "projects": [{k: v for k, v in r.items() if k != "doc_id"} for r in result["projects"]],
        "indicators": [{k: v for k, v in r.items() if k != "doc_id"} for r in result["indicators"]],
        "findings": [
            {k: v for k, v in r.items() if k != "doc_id"}
            for r in result["findings"]
            if r["code"] != "ENCODING"
        ],
    }


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16", "utf-16-le", "utf-8-sig"])
@pytest.mark.parametrize("prefix", SEEDS)
def test_other_encodings_give_the_same_tables(prefix, encoding, seed_result):
    path = seed_path(prefix)
    text = path.read_bytes().decode("utf-8")
    entry = read_manifest(RAW).get(path.name)
    copy = read_document(f"copy-{encoding}.txt", text.encode(encoding), entry)
    assert copy["document"]["encoding"] == encoding
    assert comparable(copy) == comparable(seed_result(prefix))
    encoding_findings = [f for f in copy["findings"] if f["code"] == "ENCODING"]
    if encoding == "utf-8-sig":  # a BOM is still UTF-8: nothing to report
        assert encoding_findings == []
    else:
        (finding,) = encoding_findings
        assert finding["severity"] == "info" and encoding in finding["message"]


def test_a_crashing_parser_becomes_an_unreadable_finding(tmp_path, monkeypatch, caplog):
    kind = seed_result_kind("004")

    def boom(doc):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(registry()[kind], "parse", boom)
    raw = copy_seeds(tmp_path / "raw")
    with caplog.at_level(logging.ERROR):
        counts = build(raw, tmp_path / "out")
    assert counts["documents"] == len(SEEDS)
    tables = read_tables(tmp_path / "out")
    bad = tables["findings"][tables["findings"].code == "UNREADABLE"]
    assert len(bad) == 1 and "RuntimeError" in bad.message.iloc[0]
    assert bad.doc_id.iloc[0].startswith("004")
    assert "loader crashed on 004" in caplog.text  # the CLI edge logs the traceback
    assert tables["projects"].doc_id.str.startswith("004").sum() == 0


def test_a_file_that_cannot_be_opened_becomes_an_unreadable_finding(tmp_path, monkeypatch):
    raw = copy_seeds(tmp_path / "raw")
    original = Path.read_bytes

    def read_bytes(self):
        if self.name.startswith("002"):
            raise PermissionError(13, "Permission denied", str(self))
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    build(raw, tmp_path / "out")
    findings = read_tables(tmp_path / "out")["findings"]
    bad = findings[findings.code == "UNREADABLE"]
    assert list(bad.doc_id.str[:3]) == ["002"]
    assert "权限" in bad.message.iloc[0]


# -- whole builds ------------------------------------------------------------------------------


def seed_result_kind(prefix: str) -> str:
    path = seed_path(prefix)
    return read_document(path.name, path.read_bytes())["document"]["doc_kind"]


def copy_seeds(raw: Path) -> Path:
    raw.mkdir(parents=True)
    for prefix in SEEDS:
        shutil.copy(seed_path(prefix), raw)
    shutil.copy(RAW / "sources.toml", raw)
    return raw


def read_tables(out: Path) -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(out / f"{t}.parquet") for t in TABLE_NAMES}


@pytest.fixture(scope="module")
def mixed_build(tmp_path_factory):
    """One build of the seeds plus every kind of bad file, including a 50 MB one."""
    tmp = tmp_path_factory.mktemp("mixed")
    raw = copy_seeds(tmp / "raw")
    for name, content in BAD_CONTENT.items():
        (raw / name).write_bytes(content)
    seed = seed_path("000").read_bytes()
    (raw / "truncated.txt").write_bytes(cut_inside_a_character(seed))
    (raw / "gb18030.txt").write_bytes(seed.decode("utf-8").encode("gb18030"))
    (raw / "utf16.txt").write_bytes(seed.decode("utf-8").encode("utf-16"))
    (raw / "bom.txt").write_bytes(b"\xef\xbb\xbf" + seed)
    line = PROSE.encode("utf-8")
    (raw / "huge.txt").write_bytes(line * (BIG_FILE_BYTES // len(line) + 1))
    started = time.perf_counter()
    code = main(["build", "--raw", str(raw), "--out", str(tmp / "out")])
    seconds = time.perf_counter() - started
    return {"code": code, "seconds": seconds, "tables": read_tables(tmp / "out"), "raw": raw}


def test_mixed_build_exits_0_and_lists_every_file(mixed_build):
    assert mixed_build["code"] == 0
    docs = mixed_build["tables"]["documents"]
    files = sorted(p.name for p in mixed_build["raw"].iterdir() if p.name != "sources.toml")
    assert sorted(docs.source_file) == files
    assert docs.doc_id.is_unique


def test_each_bad_file_gets_exactly_one_unreadable_finding(mixed_build):
    t = mixed_build["tables"]
    by_file = t["documents"].set_index("doc_id").source_file
    unreadable = t["findings"][t["findings"].code == "UNREADABLE"]
    assert sorted(unreadable.doc_id.map(by_file)) == sorted([*BAD_CONTENT, "huge.txt"])


def test_recoverable_copies_load_with_their_findings(mixed_build):
    t = mixed_build["tables"]
    docs = t["documents"].set_index("source_file")
    kind = docs.loc[seed_path("000").name, "doc_kind"]
    codes = t["findings"].groupby("doc_id").code.apply(set)
    for name, code in [
        ("truncated.txt", "TRUNCATED"),
        ("gb18030.txt", "ENCODING"),
        ("utf16.txt", "ENCODING"),
    ]:
        assert docs.loc[name, "doc_kind"] == kind
        assert code in codes.get(docs.loc[name, "doc_id"], set())
    assert docs.loc["bom.txt", "encoding"] == "utf-8-sig"
    counts = t["projects"].groupby("doc_id").size()
    original = counts.get(docs.loc[seed_path("000").name, "doc_id"], 0)
    for name in ("gb18030.txt", "utf16.txt", "bom.txt"):
        assert counts.get(docs.loc[name, "doc_id"], 0) == original


def test_seeds_load_as_in_a_clean_build(mixed_build, built):
    mixed, clean = mixed_build["tables"], built
    for table in ("projects", "indicators"):
        ids = set(clean["documents"].doc_id)
        a = mixed[table][mixed[table].doc_id.isin(ids)].reset_index(drop=True)
        pd.testing.assert_frame_equal(a, clean[table].reset_index(drop=True))


def test_big_file_is_read_quickly(mixed_build):
    docs = mixed_build["tables"]["documents"].set_index("source_file")
    assert docs.loc["huge.txt", "size_bytes"] >= BIG_FILE_BYTES
    assert mixed_build["seconds"] < BIG_FILE_MAX_SECONDS


# -- atomic writes -----------------------------------------------------------------------------


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def leftovers(out: Path) -> list[str]:
    """Hidden siblings of out other than the build cache (which outlives builds by design)."""
    hidden = (p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))
    return sorted(name for name in hidden if name != f".{out.name}.cache")


@pytest.fixture
def previous(tmp_path):
    """A raw folder and a finished build of it, whose files the tests compare against."""
    raw = copy_seeds(tmp_path / "raw")
    out = tmp_path / "parquet"
    build(raw, out)
    return raw, out, snapshot(out)


def test_writer_failing_on_the_third_table_keeps_the_previous_tables(previous, monkeypatch):
    raw, out, before = previous
    calls = []
    real_write = pq.write_table

    def flaky(table, where, *args, **kwargs):
        calls.append(where)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real_write(table, where, *args, **kwargs)

    monkeypatch.setattr(pq, "write_table", flaky)
    (raw / "extra.txt").write_bytes(b"")  # the new build would differ from the old one
    with pytest.raises(OSError, match="No space left"):
        build(raw, out)
    assert len(calls) >= 3  # the tables are written side by side: the others may still finish
    assert snapshot(out) == before
    assert leftovers(out) == [".parquet.lock"]
    assert len(read_tables(out)["documents"]) == len(SEEDS)


def test_cli_reports_a_failed_write_with_exit_1(previous, monkeypatch, caplog):
    raw, out, before = previous

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq, "write_table", full_disk)
    with caplog.at_level(logging.ERROR):
        assert main(["build", "--raw", str(raw), "--out", str(out)]) == 1
    assert "previous tables left as they were" in caplog.text
    assert snapshot(out) == before


def test_failure_between_the_two_renames_is_rolled_back(previous, monkeypatch):
    raw, out, before = previous
    real_replace = os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # the old tables are in the backup, the new ones not yet in place
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(build_module.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        write_tables({t: [] for t in TABLE_NAMES}, out, {"raw_digest": "x"})
    monkeypatch.setattr(build_module.os, "replace", real_replace)
    assert snapshot(out) == before
    assert leftovers(out) == [".parquet.lock"]


KILL_BETWEEN_RENAMES = """
import os, sys
from loaders import build as b
real, calls = os.replace, []
def replace(src, dst):
    calls.append(dst)
    if len(calls) == 2:
        os._exit(9)  # killed: no handler, no cleanup
    real(src, dst)
b.os.replace = replace
b.build(sys.argv[1], sys.argv[2])
"""


def test_kill_between_the_two_renames_is_recovered(previous, tmp_path):
    raw, out, before = previous
    (raw / "extra.txt").write_bytes(b"")
    done = subprocess.run(
        [sys.executable, "-c", KILL_BETWEEN_RENAMES, str(raw), str(out)],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 9
    assert not out.exists()  # the state a kill leaves behind
    assert ".parquet.old" in leftovers(out)
    recover(out)
    assert snapshot(out) == before
    assert leftovers(out) == [".parquet.lock"]


def test_next_build_recovers_after_a_kill(previous):
    raw, out, before = previous
    backup = out.parent / ".parquet.old"
    os.replace(out, backup)  # as a kill between the renames leaves it
    recover(out)
    assert snapshot(out) == before and not backup.exists()
    os.replace(out, backup)
    assert main(["build", "--raw", str(raw), "--out", str(out)]) == 0
    assert not backup.exists()
    assert len(read_tables(out)["documents"]) == len(SEEDS)


# -- exit codes of python -m loaders build -----------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "loaders", "build", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_exit_0_when_every_document_was_read_even_unreadable_ones(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "empty.txt").write_bytes(b"")
    (raw / "prose.txt").write_bytes(BAD_CONTENT["prose.txt"])
    done = run_cli("--raw", str(raw), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "2 document(s) could not be read" in done.stderr
    assert len(pd.read_parquet(tmp_path / "out" / "findings.parquet")) == 2


def test_exit_1_when_the_raw_folder_is_missing(tmp_path):
    done = run_cli("--raw", str(tmp_path / "missing"), "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "does not exist" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_exit_1_when_the_raw_folder_is_empty_and_previous_tables_stay(previous, tmp_path):
    _, out, before = previous
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run_cli("--raw", str(empty), "--out", str(out))
    assert done.returncode == 1 and "no documents" in done.stderr
    assert snapshot(out) == before


def test_exit_1_when_out_is_not_writable(tmp_path):
    raw = copy_seeds(tmp_path / "raw")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = run_cli("--raw", str(raw), "--out", str(blocker / "parquet"))
    assert done.returncode == 1
    assert "could not write" in done.stderr and "Traceback" not in done.stderr
