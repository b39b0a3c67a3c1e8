"""校对: corrections applied by the build, orphaned, undone, refused, locked and killed.

Unit tests of loaders.corrections.apply on small rows; the rest on a copy of the seeds: the
CLI and loaders.review store a correction, the build applies it (and survives a rebuild), a new
version of a document carries its corrections over where the row still matches, two writers at
once are served one after the other, and a writer killed after saving leaves whole files.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from office_files import copy_raw, seed_bytes

from dashboard import review as rv
from loaders import corrections as c
from loaders import intake, review
from loaders.__main__ import EXIT_NOTHING_WRITTEN, EXIT_OK, main
from loaders.build import build, is_current, stamp_build_id
from loaders.corrections import CorrectionRefused

ROOT = Path(__file__).resolve().parent.parent
LONGGANG = "000_8a770645b8ccef32.txt"
PROJECT = "办公楼修缮"  # 000's first project: 53.59 budget, 51.72 actual (printed 97 %)
OTHER = "办公设备购置"  # its second, on the next line
PAUSE_TIMEOUT_S = 120


# --- apply() on small rows ------------------------------------------------------------------------


def rows():
    document = {"doc_id": "d1", "source_file": "d.txt", "unit": "某卫生院", "year": 2023}
    projects = [
        {"doc_id": "d1", "level": "project", "project": "A", "budget_wan": 100.0,
         "actual_wan": 90.0, "execution_rate_pct": 90.0, "source_line": 5},
        {"doc_id": "d1", "level": "project", "project": "B", "budget_wan": 50.0,
         "actual_wan": 50.0, "execution_rate_pct": 100.0, "source_line": 6},
        {"doc_id": "d1", "level": "project", "project": "B", "budget_wan": 7.0,
         "actual_wan": 1.0, "execution_rate_pct": 100 / 7, "source_line": 9},
    ]  # fmt: skip
    indicators = [
        {"doc_id": "d1", "project": "A", "level2": "数量指标", "name": "培训人次",
         "target_text": "≥100人次", "actual_text": "80人次", "weight": 10.0, "score": 10.0,
         "status": "met", "source_line": 7},
    ]  # fmt: skip
    return document, projects, indicators


def event(op="set", **fields) -> dict:
    return {
        "id": fields.pop("id", "c-1"),
        "op": op,
        "who": "张三",
        "at": "2026-12-02T10:00",
        **fields,
    }


def key_of(table, items, index):
    return c.row_key(table, items[index], items)


def test_a_set_value_goes_into_the_table_and_the_value_read_stays_beside_it():
    document, projects, indicators = rows()
    fix = event(table="projects", key=key_of("projects", projects, 0), field="budget_wan",
                value=120.0, reason="原文印错")  # fmt: skip
    done = c.apply(document, projects, indicators, [fix])
    row = done.projects[0]
    assert row["budget_wan"] == 120.0 and row["read_budget_wan"] == 100.0
    assert row["execution_rate_pct"] == pytest.approx(75.0)  # 90 / 120, recomputed
    assert row["corrected_fields"] == "budget_wan" and row["correction_reason"] == "原文印错"
    assert projects[0]["budget_wan"] == 100.0  # the input is not modified
    (finding,) = done.findings
    assert finding["code"] == "CORRECTED" and finding["project"] == "A"
    assert finding["source_line"] == 5 and "由 100.00 改为 120.00" in finding["message"]
    assert done.document["n_corrections"] == 1


def test_a_second_row_of_the_same_name_is_told_apart_by_its_occurrence():
    document, projects, indicators = rows()
    fix = event(
        table="projects", key=key_of("projects", projects, 2), field="actual_wan", value=7.0
    )
    done = c.apply(document, projects, indicators, [fix])
    assert [p["actual_wan"] for p in done.projects] == [90.0, 50.0, 7.0]
    assert c.row_key("projects", projects[2], projects)["n"] == 1


def test_a_correction_whose_row_is_gone_is_orphaned_and_touches_no_other_row():
    document, projects, indicators = rows()
    gone = event(table="projects", key={"level": "project", "project": "C", "n": 0, "line": 5},
                 field="budget_wan", value=1.0)  # fmt: skip
    third_b = event(id="c-2", table="projects", key={"level": "project", "project": "B", "n": 2},
                    field="budget_wan", value=1.0)  # fmt: skip
    done = c.apply(document, projects, indicators, [gone, third_b])
    assert [p["budget_wan"] for p in done.projects] == [100.0, 50.0, 7.0]
    assert not any(p.get("corrected_fields") for p in done.projects)
    assert [e["id"] for e in done.orphaned] == ["c-1", "c-2"]
    assert [f["code"] for f in done.findings] == ["CORRECTION_ORPHANED"] * 2
    assert "c-1" in done.findings[0]["message"]


def test_add_and_delete_rows_and_an_indicator_status_follows_its_score():
    document, projects, indicators = rows()
    events = [
        event(
            op="add", table="projects", row={"project": "D", "budget_wan": 10.0, "actual_wan": 4.0}
        ),
        event(id="c-2", op="delete", table="projects", key=key_of("projects", projects, 1)),
        event(
            id="c-3",
            table="indicators",
            key=key_of("indicators", indicators, 0),
            field="score",
            value=6.0,
        ),  # fmt: skip
    ]
    done = c.apply(document, projects, indicators, events)
    assert [(p["project"], p["budget_wan"]) for p in done.projects] == [
        ("A", 100.0),
        ("B", 7.0),
        ("D", 10.0),
    ]
    added = done.projects[-1]
    assert added["corrected_fields"] == "added" and added["execution_rate_pct"] == 40.0
    assert added["level"] == "project" and added["doc_id"] == "d1"
    assert done.indicators[0]["status"] == "not_met" and done.indicators[0]["read_score"] == 10.0
    assert [f["code"] for f in done.findings] == ["CORRECTED"] * 3


def test_undo_restores_the_value_read_and_an_undone_undo_applies_it_again():
    document, projects, indicators = rows()
    fix = event(
        table="projects", key=key_of("projects", projects, 0), field="budget_wan", value=1.0
    )
    undo = event(id="c-2", op="undo", undoes="c-1")
    assert c.apply(document, projects, indicators, [fix, undo]).projects[0]["budget_wan"] == 100.0
    redo = event(id="c-3", op="undo", undoes="c-2")
    assert (
        c.apply(document, projects, indicators, [fix, undo, redo]).projects[0]["budget_wan"] == 1.0
    )
    assert c.last_undoable([fix, undo]) is None


def test_confirm_marks_the_document():
    document, projects, indicators = rows()
    done = c.apply(document, projects, indicators, [event(op="confirm")])
    assert done.document["review_status"] == "confirmed" and done.document["reviewed_by"] == "张三"
    assert [f["code"] for f in done.findings] == ["REVIEW_CONFIRMED"]


@pytest.mark.parametrize(
    ("table", "field", "value", "words"),
    [
        ("projects", "budget_wan", "abc", "不是数字"),
        ("projects", "budget_wan", "十万", "不是数字"),
        ("projects", "actual_wan", "-5", "不能为负数"),
        ("projects", "budget_wan", -0.01, "不能为负数"),
        ("projects", "score", "120", "超过 100"),
        ("projects", "reported_rate_pct", "5000%", "超过 1000"),
        ("documents", "year", "1850", "1990–2099"),
        ("documents", "year", "2023.5", "1990–2099"),
        ("documents", "year", "明年", "1990–2099"),
        ("documents", "unit", "", "不能为空"),
        ("documents", "unit", "a\nb", "控制字符"),
        ("indicators", "status", "done", "完成情况"),
        ("projects", "source_line", "3", "不能校对"),
        ("totals", "reported_wan", "3", "不能校对"),
    ],
)
def test_bad_values_are_refused_with_a_chinese_message(table, field, value, words):
    with pytest.raises(CorrectionRefused, match=words):
        c.clean_value(table, field, value)


@pytest.mark.parametrize(
    ("table", "field", "value", "stored"),
    [
        ("projects", "budget_wan", "1,234.50", 1234.5),
        ("projects", "budget_wan", "２３０６．００", 2306.0),
        ("projects", "budget_wan", "", None),
        ("projects", "reported_rate_pct", "97.5%", 97.5),
        ("documents", "year", "2023年", 2023),
        ("indicators", "status", "未达成", "not_met"),
        ("documents", "doc_kind", "final_accounts", "final_accounts"),
    ],
)
def test_good_values_are_stored_normalised(table, field, value, stored):
    assert c.clean_value(table, field, value) == stored


# --- on a copy of the seeds -----------------------------------------------------------------------


@pytest.fixture
def dirs(tmp_path) -> tuple[Path, Path]:
    raw = copy_raw(tmp_path / "data" / "raw")
    out = tmp_path / "data" / "parquet"
    build(raw, out)
    return raw, out


def tables(out: Path) -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(out / f"{t}.parquet") for t in ("documents", "projects", "findings")}


def project_row(out: Path, name: str = PROJECT) -> pd.Series:
    projects = pd.read_parquet(out / "projects.parquet")
    (index,) = projects.index[projects["project"] == name]
    return projects.loc[index]


def cli(raw: Path, out: Path, *args: str) -> int:
    return main([*args[:2], *args[2:], "--raw", str(raw), "--out", str(out)])


def test_cli_correction_is_applied_kept_beside_the_raw_file_and_survives_a_rebuild(dirs):
    raw, out = dirs
    before = tables(out)
    assert cli(raw, out, "correct", "set", LONGGANG, "--row", PROJECT, "--field", "budget_wan",
               "--value", "100", "--who", "张三", "--reason", "原文印错") == EXIT_OK  # fmt: skip
    row = project_row(out)
    assert row["budget_wan"] == 100.0 and row["read_budget_wan"] == 53.59
    assert row["execution_rate_pct"] == pytest.approx(51.72)
    (stored,) = c.load(raw, LONGGANG)
    assert stored["who"] == "张三" and stored["read"] == 53.59 and stored["value"] == 100.0
    assert stored["key"] == {"level": "project", "project": PROJECT, "n": 0, "line": 13}
    # the corrections folder is no document, and only the corrected row changed
    after = tables(out)
    assert len(after["documents"]) == len(before["documents"]) == 5
    other = after["projects"]["project"] != PROJECT
    pd.testing.assert_frame_equal(
        after["projects"][other].drop(columns=["execution_rate_pct"]).reset_index(drop=True),
        before["projects"][before["projects"]["project"] != PROJECT]
        .drop(columns=["execution_rate_pct"])
        .reset_index(drop=True),
    )
    corrected = after["findings"][after["findings"]["code"] == "CORRECTED"]
    assert list(corrected["project"]) == [PROJECT]
    # the build is current with the correction; a rebuild (cache and all) keeps it
    assert is_current(raw, out)
    for cache in out.parent.glob(".parquet.cache"):
        import shutil

        shutil.rmtree(cache)
    build(raw, out)
    assert project_row(out)["budget_wan"] == 100.0


def test_a_correction_file_edited_by_hand_makes_the_build_stale(dirs):
    raw, out = dirs
    assert is_current(raw, out)
    c.folder(raw).mkdir()
    c.path_for(raw, LONGGANG).write_text(json.dumps({"id": "x", "op": "confirm"}) + "\n")
    assert not is_current(raw, out)
    assert main(["build", "--raw", str(raw), "--out", str(out), "--if-changed"]) == EXIT_OK
    documents = pd.read_parquet(out / "documents.parquet")
    assert (documents["review_status"] == "confirmed").sum() == 1
    assert is_current(raw, out)


def test_cli_refuses_bad_values_and_writes_nothing(dirs, caplog):
    raw, out = dirs
    build_id = stamp_build_id(out)
    for args, words in [
        (
            ("set", LONGGANG, "--row", PROJECT, "--field", "budget_wan", "--value", "abc"),
            "不是数字",
        ),
        (
            ("set", LONGGANG, "--row", PROJECT, "--field", "budget_wan", "--value", "-1"),
            "不能为负数",
        ),
        (("set", LONGGANG, "--table", "documents", "--field", "year", "--value", "1850"), "1990"),
        (
            ("set", LONGGANG, "--row", "没有这个项目", "--field", "budget_wan", "--value", "1"),
            "没有名为",
        ),
        (("undo", LONGGANG), "没有可撤销"),
    ]:
        caplog.clear()
        assert cli(raw, out, "correct", *args, "--who", "张三") == EXIT_NOTHING_WRITTEN
        assert words in caplog.text
    assert not c.folder(raw).exists() or not any(c.folder(raw).iterdir())
    assert stamp_build_id(out) == build_id


def test_cli_needs_the_import_password_when_one_is_set(dirs, monkeypatch):
    from dashboard import auth

    raw, out = dirs
    monkeypatch.setenv(auth.ENV_VAR, auth.hash_password("s3cret-校对"))
    monkeypatch.delenv("IMPORT_PASSWORD", raising=False)
    args = ("correct", "confirm", LONGGANG, "--who", "张三")
    assert cli(raw, out, *args) == EXIT_NOTHING_WRITTEN
    monkeypatch.setenv("IMPORT_PASSWORD", "wrong")
    assert cli(raw, out, *args) == EXIT_NOTHING_WRITTEN
    assert not c.load(raw, LONGGANG)
    monkeypatch.setenv("IMPORT_PASSWORD", "s3cret-校对")
    assert cli(raw, out, *args) == EXIT_OK
    assert [e["op"] for e in c.load(raw, LONGGANG)] == ["confirm"]


def test_undo_keeps_the_history_and_restores_the_value_read(dirs, capsys):
    raw, out = dirs
    review.save(LONGGANG, "set", who="张三", table="projects", select=(PROJECT, None, None),
                field="budget_wan", value="100", raw=raw, out=out)  # fmt: skip
    review.save(LONGGANG, "confirm", who="张三", raw=raw, out=out)
    assert cli(raw, out, "correct", "undo", LONGGANG, "--who", "李四") == EXIT_OK  # the confirm
    assert cli(raw, out, "correct", "undo", LONGGANG, "--who", "李四") == EXIT_OK  # the value
    row = project_row(out)
    assert row["budget_wan"] == 53.59 and pd.isna(row["corrected_fields"])
    assert pd.read_parquet(out / "documents.parquet")["review_status"].isna().all()
    events = c.load(raw, LONGGANG)
    assert [e["op"] for e in events] == ["set", "confirm", "undo", "undo"]  # nothing lost
    assert main(["corrections", "list", "--doc", LONGGANG, "--raw", str(raw)]) == EXIT_OK
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 5 and listed[1].split("\t")[2] == "已撤销"


def test_a_new_version_carries_corrections_over_where_the_row_still_matches(dirs):
    raw, out = dirs
    for name, value in ((PROJECT, "100"), (OTHER, "60")):
        review.save(LONGGANG, "set", who="张三", table="projects", select=(name, None, None),
                    field="budget_wan", value=value, raw=raw, out=out)  # fmt: skip
    # the new version: OTHER's row is gone, the rest as before
    lines = seed_bytes("000").decode("utf-8").split("\n")
    (other_line,) = [i for i, line in enumerate(lines) if f"\t{OTHER}\t" in line]
    new = "\n".join(lines[:other_line] + lines[other_line + 1 :]).encode("utf-8")
    with pytest.raises(intake.NeedsConfirmation):
        intake.add("龙岗区2021新版.txt", new, raw, out)
    change = intake.add("龙岗区2021新版.txt", new, raw, out, replace=True)
    assert change.trashed == [LONGGANG]
    assert not c.path_for(raw, LONGGANG).exists()  # gone to the trash with its document
    assert list(intake.trash_dir(raw).glob(f"*{LONGGANG}{c.SUFFIX}"))
    carried = c.load(raw, change.stored)
    assert [e["carried_from"] for e in carried] == [LONGGANG, LONGGANG]
    projects = pd.read_parquet(out / "projects.parquet")
    mine = projects[projects["doc_id"] == change.doc_id]
    assert OTHER not in set(mine["project"])
    assert mine.loc[mine["project"] == PROJECT, "budget_wan"].item() == 100.0
    findings = pd.read_parquet(out / "findings.parquet")
    mine = findings[findings["doc_id"] == change.doc_id]
    (orphan,) = mine.loc[mine["code"] == "CORRECTION_ORPHANED", "message"]
    assert OTHER in orphan and carried[1]["id"] in orphan
    assert list(mine.loc[mine["code"] == "CORRECTED", "project"]) == [PROJECT]
    # orphaned, not lost: still in the file, and listed on the review page's queue first
    order = rv.queue(pd.read_parquet(out / "documents.parquet"), findings)
    assert order["doc_id"].iloc[0] == change.doc_id


def _writer(raw: str, out: str, name: str, value: str, start: float) -> None:
    while time.time() < start:
        time.sleep(0.005)
    review.save(LONGGANG, "set", who=name, table="projects", select=(name_of(name), None, None),
                field="budget_wan", value=value, raw=Path(raw), out=Path(out))  # fmt: skip


def name_of(who: str) -> str:
    return PROJECT if who == "甲" else OTHER


def test_two_writers_at_once_are_served_one_after_the_other(dirs):
    raw, out = dirs
    start = time.time() + 1.0
    ctx = multiprocessing.get_context("fork")
    procs = [
        ctx.Process(target=_writer, args=(str(raw), str(out), who, value, start))
        for who, value in (("甲", "100"), ("乙", "60"))
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    events = c.load(raw, LONGGANG)
    assert sorted(e["who"] for e in events) == ["乙", "甲"]  # neither overwrote the other
    assert project_row(out, PROJECT)["budget_wan"] == 100.0
    assert project_row(out, OTHER)["budget_wan"] == 60.0
    assert is_current(raw, out)


def test_a_writer_waits_for_the_lock_and_says_so_when_it_waits_too_long(dirs):
    raw, out = dirs
    with intake.locked(raw):
        with pytest.raises(CorrectionRefused, match="另一个导入或移除正在进行"):
            review.save(LONGGANG, "confirm", who="张三", raw=raw, out=out, timeout_s=0.3)
    assert not c.load(raw, LONGGANG)


def test_kill_9_after_saving_leaves_whole_files_and_the_next_build_applies_it(dirs):
    raw, out = dirs
    build_id = stamp_build_id(out)
    env = {**os.environ, intake.PAUSE_ENV: "corrected"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "loaders",
            "correct",
            "set",
            LONGGANG,
            "--row",
            PROJECT,
            "--field",
            "budget_wan",
            "--value",
            "100",
            "--who",
            "张三",
            "--raw",
            str(raw),
            "--out",
            str(out),
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + PAUSE_TIMEOUT_S
    seen = ""
    while "paused at corrected" not in seen:
        assert time.monotonic() < deadline and proc.poll() is None, seen
        seen += proc.stderr.readline()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    # the corrections file is whole (the old one or the new one, here the new one), no part file
    (stored,) = c.load(raw, LONGGANG)
    assert stored["value"] == 100.0
    assert sorted(p.name for p in c.folder(raw).iterdir()) == [f"{LONGGANG}{c.SUFFIX}"]
    # the tables are the previous ones, whole, and known to be stale
    assert stamp_build_id(out) == build_id and project_row(out)["budget_wan"] == 53.59
    assert not is_current(raw, out)
    assert main(["build", "--raw", str(raw), "--out", str(out), "--if-changed"]) == EXIT_OK
    assert project_row(out)["budget_wan"] == 100.0


def test_editor_changes_become_corrections_in_an_order_that_keeps_keys_valid():
    _, projects, _ = rows()
    frame, keys = rv.editor_frame("projects", pd.DataFrame(projects))
    edited = frame.copy()
    edited.loc[0, "budget_wan"] = 120.0
    edited.loc[0, "project"] = "A2"
    edited = edited.drop(index=[1, 2])
    edited.loc[10] = {**{k: None for k in edited.columns}, "project": "新项目", "budget_wan": 3.0}
    changes = rv.changes("projects", frame, edited, keys)
    assert [(ch["op"], ch.get("field")) for ch in changes] == [
        ("set", "budget_wan"),
        ("set", "project"),
        ("add", None),
        ("delete", None),
        ("delete", None),
    ]
    assert [ch["key"]["n"] for ch in changes[3:]] == [1, 0]  # the later B first
    assert changes[2]["row"] == {"project": "新项目", "budget_wan": 3.0}


def test_a_removed_document_takes_its_corrections_to_the_trash(dirs):
    raw, out = dirs
    review.save(LONGGANG, "confirm", who="张三", raw=raw, out=out)
    intake.remove(LONGGANG, raw, out)
    assert not c.path_for(raw, LONGGANG).exists()
    (kept,) = intake.trash_dir(raw).glob(f"*{LONGGANG}{c.SUFFIX}")
    assert [e["op"] for e in c.read_events(kept)] == ["confirm"]
    assert len(pd.read_parquet(out / "documents.parquet")) == 4


def test_the_review_queue_puts_doubtful_documents_first_and_confirmed_ones_last():
    documents = pd.DataFrame(
        {
            "doc_id": ["plain", "inferred", "ocr", "done", "warned"],
            "source_file": ["a.txt", "b.txt", "c.png", "d.txt", "e.txt"],
            "unit": ["甲"] * 5,
            "year": [2023] * 5,
            "doc_kind": ["project_eval_tables"] * 5,
            "review_status": [None, None, None, "confirmed", None],
        }
    )
    findings = pd.DataFrame(
        {
            "doc_id": ["inferred", "ocr", "done", "warned", "warned"],
            "code": [
                "VALUE_INFERRED",
                "OCR_LOW_CONFIDENCE",
                "VALUE_INFERRED",
                "RATE_MISMATCH",
                "TOTAL_MISMATCH",
            ],  # fmt: skip
            "severity": ["warning"] * 5,
        }
    )
    order = rv.queue(documents, findings)
    assert list(order["doc_id"]) == ["ocr", "inferred", "warned", "plain", "done"]
    assert order["label"].iloc[-1].startswith("✅ 已校对")
    assert "按算式推定的数值" in order["label"].iloc[1]


def test_a_value_changed_by_another_session_meanwhile_is_not_overwritten(dirs):
    """Two reviewers see 53.59; the first saves 100; the second's save of what he saw is refused."""
    raw, out = dirs
    projects = pd.read_parquet(out / "projects.parquet")
    mine = projects[
        projects["doc_id"] == projects.loc[projects["project"] == PROJECT, "doc_id"].item()
    ]
    frame, keys = rv.editor_frame("projects", mine)
    first, second = frame.copy(), frame.copy()
    (row,) = frame.index[frame["project"] == PROJECT]
    first.loc[row, "budget_wan"] = 100.0
    second.loc[row, "budget_wan"] = 80.0
    review.save_all(
        LONGGANG, rv.changes("projects", frame, first, keys), who="甲", raw=raw, out=out
    )
    with pytest.raises(CorrectionRefused, match="已被他人改为 100.00（您看到的是 53.59）"):
        review.save_all(
            LONGGANG, rv.changes("projects", frame, second, keys), who="乙", raw=raw, out=out
        )
    assert project_row(out)["budget_wan"] == 100.0
    assert [e["who"] for e in c.load(raw, LONGGANG)] == ["甲"]
