"""Pages at province scale: bounded tables and charts, and the fast paths equal the plain ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from dashboard import charts, ui
from dashboard import queries as q

N_UNITS = 120
YEARS = (2021, 2022, 2023)


def big_documents() -> pd.DataFrame:
    """N_UNITS units, the first half in every year and the rest in one year, one region each."""
    rows = []
    for u in range(N_UNITS):
        years = YEARS if u < N_UNITS // 2 else YEARS[:1]
        for y in years:
            rows.append((f"d{u}_{y}", f"单位{u}", f"地区{u % 7}", y, "project_summary_table"))
    docs = pd.DataFrame(rows, columns=["doc_id", "unit", "region", "year", "doc_kind"])
    return docs.assign(source_file=docs["doc_id"] + ".txt")


def big_projects(docs: pd.DataFrame, per_doc: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = len(docs) * per_doc
    budget = rng.uniform(1, 500, n).round(2)
    actual = (budget * rng.uniform(0.2, 1.2, n)).round(2)
    return pd.DataFrame(
        {
            "doc_id": np.repeat(docs["doc_id"].to_numpy(), per_doc),
            "level": "project",
            "project": [f"项目{i % 97}" for i in range(n)],
            "budget_wan": budget,
            "actual_wan": actual,
            "reported_rate_pct": np.nan,
            "execution_rate_pct": actual / budget * 100,
            "problems": None,
            "source_line": np.arange(n) % 400 + 1,
        }
    )


def merged(rows: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """attach as it was written before the lookup: an inner merge."""
    docs = documents[list(q.DOC_COLUMNS)]
    out = rows.merge(docs, on="doc_id", how="inner", suffixes=("", "_doc"))
    out["unit"] = out["unit"].fillna(q.UNKNOWN_UNIT)
    out["doc_kind_label"] = out["doc_kind"].map(q.KIND_LABELS).fillna(out["doc_kind"])
    return out


def test_attach_equals_the_merge_for_all_some_and_no_documents():
    docs = big_documents()
    docs.loc[3, "unit"] = None  # an unreadable unit is named, not dropped
    rows = big_projects(docs)
    for chosen in (docs, docs[docs["year"] == 2022], docs.iloc[:0]):
        got = q.attach(rows, chosen)
        pd.testing.assert_frame_equal(got, merged(rows, chosen), check_dtype=False)
    assert (q.attach(rows, docs)["unit"] == q.UNKNOWN_UNIT).sum() == 30


def test_unit_labels_by_pairs_equal_row_by_row(monkeypatch):
    docs = big_documents()
    lines = q.attach(big_projects(docs), docs)
    fast = q.unit_labels(lines)
    assert len(lines) > 2000
    monkeypatch.setattr(q, "LABEL_BY_PAIRS_FROM", 1000)
    pairs = q.unit_labels(lines)
    monkeypatch.setattr(q, "LABEL_BY_PAIRS_FROM", 10**9)
    plain = q.unit_labels(lines)
    assert pairs.tolist() == plain.tolist() == fast.tolist()
    assert "单位0 2022" in set(plain) and "单位100" in set(plain)  # multi-year units get a year


def test_status_and_points_lost_counts():
    frame = pd.DataFrame(
        {
            "level1": ["产出", "产出", "效益", None, "效益"],
            "status": ["met", "not_met", "met", "unknown", "met"],
            "weight": [10, 10, 5, 5, np.nan],
            "score": [10, 4, 6, 2, 3],
            "name": list("abcde"),
        }
    )
    table = q.status_by(frame, "level1").set_index("level1")
    assert table.loc["产出", ["met", "not_met", "unknown", "target_only", "total"]].tolist() == [
        1,
        1,
        0,
        0,
        2,
    ]
    assert table.loc["（未分类）", "unknown"] == 1
    lost = q.points_lost_by(frame, "level1").set_index("level1")
    # 效益: weight 5 score 6 loses nothing (never negative); the row without a weight is unscored
    assert lost.loc["产出"].tolist() == [6.0, 2]
    assert lost.loc["效益"].tolist() == [0.0, 1]
    assert lost.loc["（未分类）"].tolist() == [3.0, 1]


def test_scatter_draws_a_bounded_sample_with_the_largest_budgets():
    docs = big_documents()
    lines = q.budget_lines(q.attach(big_projects(docs, per_doc=60), docs))
    assert len(lines) > charts.SCATTER_MAX_POINTS
    fig = charts.budget_actual_scatter(lines)
    points = [t for t in fig.data if t.mode == "markers"]
    drawn = sum(len(t.x) for t in points)
    assert drawn == charts.SCATTER_MAX_POINTS
    xs = np.concatenate([np.asarray(t.x, float) for t in points])
    assert xs.max() == lines["budget_wan"].max()
    assert f"{len(lines):,}" in fig.layout.title.text
    again = charts.budget_actual_scatter(lines)  # the same sample every run
    assert [list(t.x) for t in again.data] == [list(t.x) for t in fig.data]


def test_overall_chart_sums_per_level_beyond_the_bar_limit():
    docs = big_documents()
    rows = []
    for unit in docs["unit"]:
        rows.append(("department", "部门整体", unit, unit, 100.0, 90.0))
        rows.append(("expenditure_type", "项目支出", "项目支出", unit, 40.0, 20.0))
    frame = pd.DataFrame(
        rows, columns=["level", "level_label", "project", "unit", "budget_wan", "actual_wan"]
    ).assign(rate_pct=lambda f: f["actual_wan"] / f["budget_wan"] * 100)
    assert len(frame) > charts.OVERALL_MAX_BARS
    fig = charts.overall_chart(frame)
    budget = fig.data[0]
    assert len(budget.y) == 2
    assert sorted(budget.x) == [40.0 * len(docs), 100.0 * len(docs)]
    assert all(f"{N_UNITS:,} 个单位合计" in label for label in budget.y)
    # the actual amount on its bar, then the rate
    n = len(docs)
    assert list(fig.data[1].text) == [f"{90.0 * n:,.2f}（90.0 %）", f"{20.0 * n:,.2f}（50.0 %）"]
    small = charts.overall_chart(frame.head(4))
    assert len(small.data[0].y) == 4  # few rows are drawn one by one


def _table_page():
    import pandas as pd

    from dashboard import ui

    frame = pd.DataFrame({"项目": [f"p{i}" for i in range(2500)], "执行（万元）": range(2500)})
    marks = ["#ff0000" if i % 2 else "" for i in range(len(frame))]

    def paint(cells):
        return [f"background-color: {marks[i]}" if marks[i] else "" for i in cells.index]

    ui.table(frame, "大表", key="big", styler=frame.style.apply(paint, subset=["项目"]))


def test_a_big_styled_table_shows_its_first_rows_and_says_so():
    at = AppTest.from_function(_table_page, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = at.dataframe[0].value
    assert len(shown) == ui.TABLE_MAX_ROWS
    assert shown.iloc[0, 0] == "p0" and shown.iloc[-1, 0] == f"p{ui.TABLE_MAX_ROWS - 1}"
    assert any("共 2,500 行" in c.value for c in at.caption)
