"""校对 on 绩效指标完成: correcting an indicator's actual value on a seed changes its status, and
the page's not-met table and its CSV / XLSX downloads mark it '✎ 已校对：实际完成值（理由）'."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from office_files import served_seeds
from streamlit.testing.v1 import AppTest

from dashboard import exports
from dashboard import queries as q
from loaders import review

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60
LONGGANG = "000_8a770645b8ccef32.txt"
# printed target 不低于98%, actual 已完成 and no score: met by the words; 90% is below the target
PROJECT, INDICATOR = "独生子女父母奖励金", "发放及时率(%)"
REASON = "原文只写已完成，以台账为准"


@pytest.fixture
def dirs(tmp_path, monkeypatch) -> tuple[Path, Path]:
    return served_seeds(tmp_path, monkeypatch)


def indicator(out: Path) -> pd.Series:
    rows = pd.read_parquet(out / "indicators.parquet")
    hit = rows[(rows["project"] == PROJECT) & (rows["name"] == INDICATOR)]
    assert len(hit) == 1
    return hit.iloc[0]


def open_indicators() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    at.switch_page("views/indicators.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def not_met_table(at: AppTest) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if "失分" in d.value.columns]
    assert found, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def counts(at: AppTest) -> dict[str, int]:
    return {m.label: int(m.value) for m in at.metric if m.label in ("已完成", "未完成")}


def test_correcting_an_indicators_actual_value_marks_it_and_changes_its_status(dirs):
    raw, out = dirs
    read = indicator(out)
    assert (read["target_text"], read["actual_text"], read["status"]) == (
        "不低于98%",
        "已完成",
        "met",
    )
    assert pd.isna(read["score"])
    before = open_indicators()
    assert INDICATOR not in set(not_met_table(before)["三级指标"])
    counted = counts(before)

    review.save(
        LONGGANG,
        "set",
        who="张三",
        reason=REASON,
        table="indicators",
        select=(INDICATOR, PROJECT, None),
        field="actual_text",
        value="90%",
        raw=raw,
        out=out,
    )

    row = indicator(out)
    assert (row["actual_text"], row["read_actual_text"], row["status"]) == (
        "90%",
        "已完成",
        "not_met",
    )
    assert row["corrected_fields"] == "actual_text"

    after = open_indicators()
    assert counts(after) == {"已完成": counted["已完成"] - 1, "未完成": counted["未完成"] + 1}
    table = not_met_table(after)
    mine = table[table["三级指标"] == INDICATOR]
    assert len(mine) == 1
    assert mine.iloc[0]["完成值"] == "90%"
    assert mine.iloc[0]["数据提示"] == f"✎ 已校对：实际完成值（{REASON}）"
    # no other not-met indicator is marked
    assert table["数据提示"].astype(str).str.contains("✎").sum() == 1

    # the downloads carry the mark
    assert f"✎ 已校对：实际完成值（{REASON}）".encode() in exports.csv_bytes(table)
    sheet = pd.read_excel(io.BytesIO(exports.xlsx_bytes({"未完成的指标": table})))
    assert sheet["数据提示"].astype(str).str.startswith("✎ 已校对：实际完成值").sum() == 1


def test_marks_name_the_indicator_fields_and_leave_unmarked_rows_empty():
    rows = pd.DataFrame(
        {
            "status": ["target_only", "target_only", "not_met"],
            "unit": ["甲", "甲", "甲"],
            "source_line": [3, 4, 5],
            "weight": [None, None, 10.0],
            "score": [None, None, 6.0],
            "corrected_fields": ["target_text,score", None, "score"],
            "correction_reason": [None, None, "复核扣分"],
        }
    )
    declared = q.declared_targets(rows)
    assert declared["notes"].iloc[0] == "✎ 已校对：目标值、得分"
    assert pd.isna(declared["notes"].iloc[1])
    # the same field name reads 得分 for an indicator, 自评得分 for a project
    assert list(q.not_met(rows)["notes"]) == ["✎ 已校对：得分（复核扣分）"]
    project = q.with_correction_marks(rows.iloc[[2]].assign(notes=None))
    assert list(project["notes"]) == ["✎ 已校对：自评得分（复核扣分）"]
