"""kill -9 in the middle of `loaders add` / `remove`: the next start keeps or undoes it, whole.

Each test runs the real command in a subprocess that LOADERS_PAUSE_AT stops at one point, kills
it with SIGKILL there, and then runs the next command (list, add, build or the import page).
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from office_files import copy_raw, folder_hashes, seed_bytes
from streamlit.testing.v1 import AppTest

from dashboard import auth
from loaders import intake
from loaders.__main__ import EXIT_OK, main
from loaders.build import build

ROOT = Path(__file__).resolve().parent.parent
PAUSE_TIMEOUT_S = 120
PUTUO = "003_b280439a9c8ca6b3.txt"


@pytest.fixture
def dirs(tmp_path) -> tuple[Path, Path]:
    """data/raw without the 浏阳 seed (004), and its tables."""
    raw = copy_raw(tmp_path / "data" / "raw", leave_out=("004",))
    out = tmp_path / "data" / "parquet"
    build(raw, out)
    return raw, out


@pytest.fixture
def liuyang(tmp_path) -> Path:
    path = tmp_path / "浏阳.txt"
    path.write_bytes(seed_bytes("004").decode("utf-8").encode("gb18030"))
    return path


def folders(raw: Path, out: Path) -> list[str]:
    return ["--raw", str(raw), "--out", str(out)]


def kill_at(point: str, *args: str) -> None:
    """Run python -m loaders ARGS until it pauses at point, then SIGKILL it there."""
    env = {**os.environ, intake.PAUSE_ENV: point}
    proc = subprocess.Popen(
        [sys.executable, "-m", "loaders", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + PAUSE_TIMEOUT_S
    try:
        while not any(f"paused at {point}" in line for line in seen):
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(f"never paused at {point}:\n{''.join(seen)}")
            try:
                seen.append(lines.get(timeout=0.5))
            except queue.Empty:
                pass
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def listed(capsys, raw: Path, out: Path) -> list[str]:
    """source_file of every row `loaders list` prints."""
    capsys.readouterr()
    assert main(["list", *folders(raw, out)]) == EXIT_OK
    return [line.split("\t")[-1] for line in capsys.readouterr().out.splitlines()[1:]]


def loaded(out: Path) -> set[str]:
    return set(pd.read_parquet(out / "documents.parquet")["source_file"])


def trash_files(raw: Path) -> list[str]:
    trash = intake.trash_dir(raw)
    return sorted(p.name for p in trash.iterdir()) if trash.exists() else []


def test_a_killed_add_is_undone_and_a_second_add_really_imports(dirs, liuyang, capsys, caplog):
    raw, out = dirs
    caplog.set_level(logging.INFO, logger="loaders")
    before = folder_hashes(raw), folder_hashes(out)
    kill_at("stored", "add", str(liuyang), *folders(raw, out))
    assert (raw / "浏阳.txt").exists()  # the kill left the file in data/raw, not in the tables
    assert "浏阳.txt" not in loaded(out)

    assert main(["add", str(liuyang), *folders(raw, out)]) == EXIT_OK
    assert "已导入 浏阳.txt" in caplog.text and "该文件已导入" not in caplog.text
    assert "浏阳.txt" in loaded(out)
    assert "浏阳.txt" in listed(capsys, raw, out)
    assert (folder_hashes(raw), folder_hashes(out)) != before


def test_list_after_a_killed_replacement_tells_the_truth(dirs, tmp_path, capsys):
    raw, out = dirs
    newer = tmp_path / "普陀 修订.txt"
    newer.write_bytes(seed_bytes("003") + "\n（修订版）\n".encode())
    before = folder_hashes(raw), folder_hashes(out)
    args = ["add", str(newer), "--year", "2023", "--replace", *folders(raw, out)]
    kill_at("applied", *args)  # stored, sources.toml rewritten, the older version trashed
    assert not (raw / PUTUO).exists() and (raw / "普陀_修订.txt").exists()
    assert trash_files(raw)

    files = listed(capsys, raw, out)
    assert PUTUO in files and "普陀_修订.txt" not in files
    assert (folder_hashes(raw), folder_hashes(out)) == before  # data/raw as it was, byte for byte
    assert trash_files(raw) == []
    assert not (raw.parent / ".intake-journal.json").exists()

    assert main(args) == EXIT_OK  # and the replacement can be made again
    assert "普陀_修订.txt" in loaded(out) and PUTUO not in loaded(out)


def test_an_add_killed_after_its_tables_were_swapped_in_is_kept(dirs, liuyang, capsys, caplog):
    raw, out = dirs
    caplog.set_level(logging.INFO, logger="loaders")
    kill_at("built", "add", str(liuyang), "--region", "湖南", *folders(raw, out))
    assert "浏阳.txt" in loaded(out)
    assert "浏阳.txt" in listed(capsys, raw, out)
    assert (raw / "浏阳.txt").exists() and 'file = "浏阳.txt"' in (raw / "sources.toml").read_text()
    assert not (raw.parent / ".intake-journal.json").exists()
    assert main(["add", str(liuyang), *folders(raw, out)]) == EXIT_OK
    assert "该文件已导入" in caplog.text  # true now: it is in the tables


def test_a_killed_remove_is_undone_by_the_next_build(dirs):
    raw, out = dirs
    before = folder_hashes(raw)
    kill_at("applied", "remove", PUTUO, *folders(raw, out))
    assert not (raw / PUTUO).exists()
    assert main(["build", "--if-changed", *folders(raw, out)]) == EXIT_OK
    assert folder_hashes(raw) == before and trash_files(raw) == []
    assert PUTUO in loaded(out)


def test_a_killed_remove_is_undone_by_the_next_remove(dirs):
    raw, out = dirs
    kill_at("applied", "remove", PUTUO, *folders(raw, out))
    assert main(["remove", PUTUO, *folders(raw, out)]) == EXIT_OK  # the file was there to remove
    assert PUTUO not in loaded(out) and len(trash_files(raw)) == 2  # the file and its entry


def test_the_import_page_undoes_a_killed_add(dirs, liuyang, monkeypatch):
    raw, out = dirs
    before = folder_hashes(raw)
    kill_at("applied", "add", str(liuyang), "--year", "2021", *folders(raw, out))
    monkeypatch.setenv(intake.RAW_ENV, str(raw))
    monkeypatch.setenv(intake.PARQUET_ENV, str(out))
    monkeypatch.delenv(auth.ENV_VAR, raising=False)
    monkeypatch.delenv(auth.LEGACY_ENV_VAR, raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets.update({auth.SECRET_KEY: ""})
    at.run()
    at.switch_page("views/import_documents.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "浏阳.txt" not in at.dataframe[-1].value.to_string()
    assert folder_hashes(raw) == before


def test_an_interruption_after_the_swap_keeps_what_the_tables_were_built_from(
    dirs, liuyang, monkeypatch
):
    raw, out = dirs

    def interrupted(point: str) -> None:
        if point == "built":
            raise KeyboardInterrupt  # Ctrl-C once the new tables are in

    monkeypatch.setattr(intake, "_pause_at", interrupted)
    with pytest.raises(KeyboardInterrupt):
        intake.add("浏阳.txt", liuyang.read_bytes(), raw, out)
    assert "浏阳.txt" in loaded(out) and (raw / "浏阳.txt").exists()  # not undone under them
    assert not intake.journal_path(raw).exists()
