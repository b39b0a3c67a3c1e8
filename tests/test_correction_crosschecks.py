"""校对 and the build's rate cross-checks: a budget line corrected in an amount or its printed rate
is checked again on the corrected figures (findings prefixed 校对后：), and the findings the build
made from the values read are kept, prefixed 校对前（按原文读取的数值）： and made info, so that
pages flag a row by what it now says. Undoing the correction restores the findings as printed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from office_files import copy_raw

from dashboard import queries as q
from loaders import corrections as c
from loaders import review
from loaders.build import build

LONGGANG = "000_8a770645b8ccef32.txt"
# printed 100 % for 204.22 / 213.97 万元 (95.44 %): a RATE_MISMATCH as read
MISMATCHED, MISMATCHED_LINE, ITS_BUDGET = "其他一般管理事务", 27, "213.97"
# printed 97 % for 51.72 / 53.59 万元 (96.51 %): within a point, no finding as read
CONSISTENT, CONSISTENT_LINE = "办公楼修缮", 13


@pytest.fixture
def dirs(tmp_path) -> tuple[Path, Path]:
    raw = copy_raw(tmp_path / "raw")
    out = tmp_path / "parquet"
    build(raw, out)
    return raw, out


def rate_findings(out: Path, project: str) -> pd.DataFrame:
    findings = pd.read_parquet(out / "findings.parquet")
    documents = pd.read_parquet(out / "documents.parquet")
    doc = documents.loc[documents["source_file"] == LONGGANG, "doc_id"].item()
    mine = findings[(findings["doc_id"] == doc) & (findings["project"] == project)]
    return mine[mine["code"].isin(c.RATE_CODES)].reset_index(drop=True)


def correct(raw: Path, out: Path, project: str, field: str, value: str) -> None:
    review.save(LONGGANG, "set", who="张三", reason="以批复为准", table="projects",
                select=(project, None, None), field=field, value=value, raw=raw, out=out)  # fmt: skip


def test_a_correction_that_makes_the_figures_agree_leaves_only_the_finding_as_printed(dirs):
    raw, out = dirs
    before = rate_findings(out, MISMATCHED)
    assert list(before["code"]) == ["RATE_MISMATCH"] and before["severity"].item() == "warning"
    printed = before["message"].item()
    assert "100.00%" in printed and "95.44%" in printed

    correct(raw, out, MISMATCHED, "actual_wan", ITS_BUDGET)  # 213.97 / 213.97: 100 % as printed
    after = rate_findings(out, MISMATCHED)
    assert len(after) == 1
    kept = after.iloc[0]
    assert (kept["code"], kept["severity"], kept["source_line"]) == (
        "RATE_MISMATCH",
        "info",
        MISMATCHED_LINE,
    )
    assert kept["message"] == c.READ_PREFIX + printed
    # no page flags the row as a problem any more; its mark says it was corrected
    projects = pd.read_parquet(out / "projects.parquet")
    row = projects[projects["project"] == MISMATCHED]
    findings = pd.read_parquet(out / "findings.parquet")
    note = q.with_notes(row, findings)["notes"].item()
    assert note == "✎ 已校对：执行数（万元）（以批复为准）"

    # undo: the finding as printed is a warning again, unmarked
    review.save(LONGGANG, "undo", who="张三", raw=raw, out=out)
    undone = rate_findings(out, MISMATCHED)
    assert list(undone["message"]) == [printed] and list(undone["severity"]) == ["warning"]


def test_a_correction_that_makes_the_figures_disagree_raises_a_finding_on_the_corrected_values(
    dirs,
):
    raw, out = dirs
    assert rate_findings(out, CONSISTENT).empty
    correct(raw, out, CONSISTENT, "budget_wan", "100")  # 51.72 / 100 = 51.72 %, printed 97 %
    after = rate_findings(out, CONSISTENT)
    assert list(after["code"]) == ["RATE_MISMATCH"]
    raised = after.iloc[0]
    assert raised["severity"] == "warning" and raised["source_line"] == CONSISTENT_LINE
    assert raised["message"].startswith(c.RECHECKED_PREFIX)
    assert "97.00%" in raised["message"] and "51.72%" in raised["message"]
    assert "51.72 / 100.00 万元" in raised["message"]
    # the row's note leads with the mark, then names the problem of its corrected figures
    projects = pd.read_parquet(out / "projects.parquet")
    row = projects[projects["project"] == CONSISTENT]
    note = q.with_notes(row, pd.read_parquet(out / "findings.parquet"))["notes"].item()
    assert note.startswith("✎ 已校对：预算数（万元）（以批复为准）；")
    assert "印发执行率与计算不符" in note
    # the other lines' findings are untouched
    assert rate_findings(out, MISMATCHED)["severity"].tolist() == ["warning"]


# --- apply() on small rows ------------------------------------------------------------------


def _rows():
    document = {"doc_id": "d1", "source_file": "d.txt"}
    projects = [
        {"doc_id": "d1", "level": "project", "project": "A", "budget_wan": 100.0,
         "actual_wan": 90.0, "reported_rate_pct": 80.0, "execution_rate_pct": 90.0,
         "source_line": 5},
        {"doc_id": "d1", "level": "project", "project": "B", "budget_wan": 50.0,
         "actual_wan": 50.0, "reported_rate_pct": 100.0, "execution_rate_pct": 100.0,
         "source_line": 6},
    ]  # fmt: skip
    return document, projects


def _set(project: str, field: str, value, id_: str = "c-1") -> dict:
    key = {"level": "project", "project": project, "n": 0}
    return {"id": id_, "op": "set", "table": "projects", "key": key, "field": field,
            "value": value, "who": "张三", "at": "2026-12-02T10:00"}  # fmt: skip


def test_apply_rechecks_only_lines_corrected_in_an_amount_or_rate():
    document, projects = _rows()
    # a corrected name alone is no new figure: nothing rechecked, nothing superseded
    done = c.apply(document, projects, [], [_set("A", "project", "甲")])
    assert done.superseded == set()
    assert not [f for f in done.findings if f["code"] in c.RATE_CODES]
    # the printed rate corrected to agree: superseded as read (by its name as read), no new finding
    done = c.apply(
        document,
        projects,
        [],
        [_set("A", "project", "甲"), _set("甲", "reported_rate_pct", 90, "c-2")],
    )
    assert done.superseded == {("A", 5)}
    assert not [f for f in done.findings if f["code"] in c.RATE_CODES]
    # B's budget doubled: 50 %, printed 100 %
    done = c.apply(document, projects, [], [_set("B", "budget_wan", 100)])
    raised = [f for f in done.findings if f["code"] in c.RATE_CODES]
    assert [(f["code"], f["project"], f["source_line"]) for f in raised] == [
        ("RATE_MISMATCH", "B", 6)
    ]
    # a deleted line's findings are about values read too
    delete = {"id": "c-3", "op": "delete", "table": "projects", "who": "张三",
              "key": {"level": "project", "project": "A", "n": 0}}  # fmt: skip
    assert c.apply(document, projects, [], [delete]).superseded == {("A", 5)}


def test_marking_keeps_every_finding_and_marks_only_rate_findings_of_superseded_lines():
    findings = [
        {"doc_id": "d1", "code": "RATE_MISMATCH", "severity": "warning", "message": "m1",
         "project": "A", "source_line": 5},
        {"doc_id": "d1", "code": "VALUE_INFERRED", "severity": "warning", "message": "m2",
         "project": "A", "source_line": 5},
        {"doc_id": "d1", "code": "RATE_MISMATCH", "severity": "warning", "message": "m3",
         "project": "B", "source_line": 6},
        {"doc_id": "d2", "code": "RATE_MISMATCH", "severity": "warning", "message": "m4",
         "project": "A", "source_line": 5},
    ]  # fmt: skip
    assert c._mark_superseded(findings, {"d1": {("A", 5)}}) == 1
    assert [(f["severity"], f["message"]) for f in findings] == [
        ("info", c.READ_PREFIX + "m1"),
        ("warning", "m2"),
        ("warning", "m3"),
        ("warning", "m4"),
    ]
