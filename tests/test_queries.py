"""The dashboard's pure functions on small synthetic frames: filtering, totals, tables, charts."""

from __future__ import annotations

import math
import os

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import charts, data
from dashboard import queries as q
from dashboard.constants import FONT_FAMILY

NAN = math.nan


def documents() -> pd.DataFrame:
    return pd.DataFrame(
        [
            # doc_id, unit, region, year, doc_kind
            ("sz21", "甲区卫生健康局", "深圳", 2021, "project_summary_table"),
            ("sz20", "甲区卫生健康局", "深圳", 2020, "final_accounts"),
            ("hn21", "乙市卫生健康局", "湖南", 2021, "department_overall_eval"),
            ("decl", "丙区卫生健康局", "深圳", 2024, "target_declaration"),
            ("sh23", "丁中心", "上海", 2023, "project_eval_tables"),
        ],
        columns=["doc_id", "unit", "region", "year", "doc_kind"],
    ).assign(source_file=lambda d: d["doc_id"] + ".txt")


def project(doc_id, level, name, budget, actual, reported=None, problems=None, score=None):
    rate = (
        actual / budget * 100 if budget and actual is not None and not math.isnan(actual) else None
    )
    return {
        "doc_id": doc_id,
        "level": level,
        "project": name,
        "budget_wan": budget,
        "actual_wan": actual,
        "reported_rate_pct": reported,
        "execution_rate_pct": rate,
        "score": score,
        "problems": problems,
        "source_line": 1,
    }


def projects() -> pd.DataFrame:
    rows = [
        project("sz21", "project", "办公楼修缮", 100.0, 50.0, 50.0, problems="合同未结算"),
        project("sz21", "project", "健康教育", 200.0, 180.0, 90.0),
        project("sz21", "project", "老龄工作", 300.0, 310.0, 103.33),
        project("sz20", "project", "信息化工程", 1000.0, 600.0, 60.0),
        # sz20 describes the same money again as tasks and as department totals
        project("sz20", "task", "信息化任务", 1000.0, 600.0),
        project("sz20", "department", "甲区卫生健康局", 5000.0, 4000.0, 80.0),
        project("sz20", "expenditure_type", "基本支出", 800.0, 790.0),
        project("hn21", "department", "乙市卫生健康局", 25592.0, 33557.32, 131.12),
        project("hn21", "expenditure_type", "基本支出", 2988.5, 26981.24, 902.84),
        project("decl", "task", "基本支出", 2306.0, None),
        project("decl", "task", "计划生育奖励", 31631.0, None),
        # the annex lost the actual, the printed rate survives
        project("sh23", "project", "体检", 400.0, None, 70.0),
    ]
    return pd.DataFrame(rows)


def indicator(doc_id, project_name, level1, level2, status, weight=None, score=None, reason=None):
    return {
        "doc_id": doc_id,
        "project": project_name,
        "level1": level1,
        "level2": level2,
        "name": f"{level2}{status}",
        "target_text": "≥90%",
        "actual_text": "80%",
        "weight": weight,
        "score": score,
        "deviation_reason": reason,
        "status": status,
        "source_line": 1,
    }


def indicators() -> pd.DataFrame:
    return pd.DataFrame(
        [
            indicator("sz21", "办公楼修缮", "产出指标", "数量指标", "met", 10, 10),
            indicator("sz21", "办公楼修缮", "产出指标", "质量指标", "not_met", 10, 6, "工期延误"),
            indicator("sz21", "健康教育", "效益指标", "社会效益指标", "unknown"),
            indicator("sz20", "信息化工程", "产出指标", "时效指标", "not_met", 10, 7, "设备到货晚"),
            indicator("sz20", "信息化工程", "满意度指标", "服务对象满意度指标", "met", 10, 11),
            indicator("decl", None, "产出指标", "数量指标", "target_only"),
            indicator("decl", None, "产出指标", "数量指标", "target_only"),
        ]
    )


def selection(**filters) -> q.Selection:
    findings = pd.DataFrame(
        [
            {"doc_id": "sz21", "severity": "warning", "code": "TOTAL_MISMATCH", "message": "m"},
            {"doc_id": "hn21", "severity": "warning", "code": "RATE_OVER_100", "message": "m"},
            {"doc_id": "sz20", "severity": "info", "code": "RATE_MISSING", "message": "m"},
            {"doc_id": "sh23", "severity": "error", "code": "UNREADABLE", "message": "m"},
        ]
    ).assign(project=None, source_line=None)
    return q.select(documents(), projects(), indicators(), findings, q.Filters(**filters))


# --- filters --------------------------------------------------------------------------------


def test_filter_options_narrow_units_to_the_chosen_regions():
    options = q.filter_options(documents())
    assert options["filter_region"] == ["上海", "深圳", "湖南"]
    assert options["filter_year"] == [2024, 2023, 2021, 2020]
    assert options["filter_kind"][0] == "project_summary_table"
    assert len(options["filter_unit"]) == 4
    assert q.filter_options(documents(), ("湖南",))["filter_unit"] == ["乙市卫生健康局"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"sz21", "sz20", "hn21", "decl", "sh23"}),
        ({"regions": ("湖南",)}, {"hn21"}),
        ({"regions": ("深圳",), "years": (2021,)}, {"sz21"}),
        ({"units": ("甲区卫生健康局",)}, {"sz21", "sz20"}),
        ({"kinds": ("target_declaration", "project_eval_tables")}, {"decl", "sh23"}),
        ({"regions": ("湖南",), "units": ("甲区卫生健康局",)}, set()),
    ],
)
def test_filter_documents(filters, expected):
    assert set(q.filter_documents(documents(), q.Filters(**filters))["doc_id"]) == expected


def test_filters_from_session_state_and_description():
    state = {"filter_region": ["湖南"], "filter_year": ["2021"], "filter_unit": []}
    filters = q.Filters.from_state(state)
    assert filters == q.Filters(regions=("湖南",), years=(2021,))
    assert filters.describe() == "地区：湖南；单位：全部；年度：2021；文档类型：全部"


# --- budget lines and totals ------------------------------------------------------------------


def test_budget_lines_never_include_department_totals_or_duplicate_tasks():
    lines = selection().lines
    assert set(lines["level"]) == {"project", "task"}
    # sz20 has projects, so its task row (the same money) is left out; decl has tasks only
    assert set(lines.loc[lines["level"] == "task", "doc_id"]) == {"decl"}
    assert len(lines) == 3 + 1 + 2 + 1


def test_execution_totals_sum_executed_lines_and_keep_declared_budget_apart():
    totals = q.execution_totals(selection().lines)
    assert totals["budget_wan"] == pytest.approx(100 + 200 + 300 + 1000)
    assert totals["actual_wan"] == pytest.approx(50 + 180 + 310 + 600)
    assert totals["rate_pct"] == pytest.approx(1140 / 1600 * 100)
    assert totals["n_declared"] == 2
    assert totals["declared_budget_wan"] == pytest.approx(2306 + 31631)
    # sh23's line has a printed rate but no actual: neither executed nor declared
    assert totals["n_incomplete"] == 1


def test_overall_lines_are_their_own_view():
    overall = selection().overall
    assert set(overall["level"]) == {"department", "expenditure_type"}
    assert overall.iloc[0]["level"] == "department"


def test_overview_kpis():
    sel = selection()
    kpis = q.overview_kpis(sel.documents, sel.lines, sel.indicators, sel.findings)
    assert kpis["n_units"] == 4
    assert kpis["n_documents"] == 5
    assert kpis["status"] == {"met": 2, "not_met": 2, "unknown": 1, "target_only": 2}
    assert kpis["completion_pct"] == pytest.approx(50.0)
    assert kpis["n_findings"] == 3  # info is not counted
    assert kpis["n_errors"] == 1


def test_kpis_follow_the_filters():
    sel = selection(regions=("湖南",))
    kpis = q.overview_kpis(sel.documents, sel.lines, sel.indicators, sel.findings)
    assert kpis["n_units"] == 1
    assert kpis["n_lines"] == 0
    assert kpis["budget_wan"] == 0
    assert kpis["rate_pct"] is None


def test_by_unit_labels_years_and_declared_budget():
    units = q.by_unit(selection().lines).set_index("label")
    assert set(units.index) == {
        "甲区卫生健康局 2021",
        "甲区卫生健康局 2020",
        "丙区卫生健康局",
        "丁中心",
    }
    row = units.loc["甲区卫生健康局 2021"]
    assert row["budget_wan"] == pytest.approx(600)
    assert row["actual_wan"] == pytest.approx(540)
    assert row["execution_rate_pct"] == pytest.approx(90)
    assert pd.isna(row["declared_budget_wan"])
    declared = units.loc["丙区卫生健康局"]
    assert pd.isna(declared["budget_wan"]) and pd.isna(declared["execution_rate_pct"])
    assert declared["declared_budget_wan"] == pytest.approx(33937)
    # the largest executed budget first
    assert units.index[0] == "甲区卫生健康局 2020"


def test_unit_projects_sorted_by_budget():
    lines = selection().lines
    rows = q.unit_projects(lines, "甲区卫生健康局 2021")
    assert rows["project"].tolist() == ["老龄工作", "健康教育", "办公楼修缮"]


# --- low execution ----------------------------------------------------------------------------


def test_low_execution_threshold_sorting_and_explanation():
    sel = selection()
    low = q.low_execution(sel.lines, 90, sel.indicators)
    assert low["project"].tolist() == ["信息化工程", "办公楼修缮", "体检"]
    assert low["unspent_wan"].tolist()[:2] == [400.0, 50.0]
    assert pd.isna(low["unspent_wan"].iloc[2])  # no actual printed: the rate alone puts it here
    explanations = dict(zip(low["project"], low["explanation"], strict=True))
    assert explanations["办公楼修缮"] == "合同未结算"  # the document's 问题 column first
    assert explanations["信息化工程"] == "设备到货晚"  # else its indicators' 偏差原因
    assert len(q.low_execution(sel.lines, 55)) == 1
    assert len(q.low_execution(sel.lines, 100)) == 4


def test_over_execution_lists_every_level():
    over = q.over_execution(selection().projects)
    assert over["project"].tolist() == ["基本支出", "乙市卫生健康局", "老龄工作"]
    assert over["level_label"].tolist() == ["支出类型", "部门整体", "项目"]


def test_unspent_by_unit():
    sel = selection()
    table = q.unspent_by_unit(q.low_execution(sel.lines, 90))
    assert table.iloc[0]["label"] == "甲区卫生健康局 2020"
    assert table.iloc[0]["unspent_wan"] == pytest.approx(400)


def test_notes_put_the_loaders_problems_beside_the_rows():
    sel = selection()
    findings = pd.concat(
        [
            sel.findings,
            q.attach(
                pd.DataFrame(
                    [
                        {
                            "doc_id": "sz21",
                            "severity": "warning",
                            "code": "RATE_MISMATCH",
                            "project": "办公楼修缮",
                        },
                        {
                            "doc_id": "sz21",
                            "severity": "warning",
                            "code": "OVERFLOW_CELL",
                            "project": "办公楼修缮",
                        },
                        {
                            "doc_id": "sz21",
                            "severity": "info",
                            "code": "RATE_MISSING",
                            "project": "健康教育",
                        },
                    ]
                ),
                sel.documents,
            ),
        ]
    )
    notes = dict(
        zip(*[q.with_notes(sel.lines, findings)[c] for c in ("project", "notes")], strict=True)
    )
    assert notes["办公楼修缮"] == "印发执行率与计算不符、单元格印为 #####"
    assert pd.isna(notes["健康教育"])  # info findings are explanations, not problems
    units = q.by_unit(sel.lines, findings=findings).set_index("label")
    assert units.loc["甲区卫生健康局 2021", "notes"] == "合计与明细不符"
    assert pd.isna(units.loc["甲区卫生健康局 2020", "notes"])


# --- indicators -------------------------------------------------------------------------------


def test_status_by_and_points_lost():
    sel = selection()
    by_level1 = q.status_by(sel.indicators, "level1").set_index("level1")
    assert by_level1.loc["产出指标", ["met", "not_met", "target_only"]].tolist() == [1, 2, 2]
    lost = q.points_lost_by(sel.indicators, "level1").set_index("level1")
    # 4 + 3 lost in 产出指标; a score above its weight loses nothing (never negative)
    assert lost.loc["产出指标", "points_lost"] == pytest.approx(7)
    assert lost.loc["满意度指标", "points_lost"] == 0


def test_not_met_and_declared_targets():
    sel = selection()
    failed = q.not_met(sel.indicators)
    assert failed["points_lost"].tolist() == [4.0, 3.0]
    assert failed["deviation_reason"].tolist() == ["工期延误", "设备到货晚"]
    declared = q.declared_targets(sel.indicators)
    assert len(declared) == 2 and set(declared["status"]) == {"target_only"}


def test_completion_rate_ignores_unknown_and_targets():
    assert q.completion_rate({"met": 3, "not_met": 1, "unknown": 10, "target_only": 50}) == 75.0
    assert q.completion_rate({"met": 0, "not_met": 0, "unknown": 3, "target_only": 5}) is None


# --- coverage, formatting, presentation -------------------------------------------------------


def test_coverage_matrix():
    matrix = q.coverage(documents())
    assert list(matrix.columns) == ["2020", "2021", "2023", "2024"]
    assert matrix.loc["甲区卫生健康局", "2020"] == "部门决算"
    assert matrix.loc["甲区卫生健康局", "2021"] == "项目绩效自评汇总表"
    assert matrix.loc["乙市卫生健康局", "2020"] == ""


@pytest.mark.parametrize(
    ("value", "wan", "pct"),
    [
        (1234.5, "1,234.50", "1234.5 %"),
        (97.46, "97.46", "97.5 %"),
        (0, "0.00", "0.0 %"),
        (None, "—", "—"),
        (NAN, "—", "—"),
    ],
)
def test_formatting(value, wan, pct):
    assert q.fmt_wan(value) == wan
    assert q.fmt_pct(value) == pct


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (59.9, "red"),
        (60, "amber"),
        (89.9, "amber"),
        (90, "green"),
        (100, "green"),
        (100.1, "over"),
        (None, "none"),
    ],
)
def test_band(rate, expected):
    assert q.band(rate) == expected


def test_band_limits_are_editable():
    assert q.band(70, red_below=75, green_from=95) == "red"
    assert q.band(80, red_below=75, green_from=95) == "amber"


def test_present_uses_chinese_headers_with_units():
    table = q.present(
        selection().lines, ["unit", "year", "project", "budget_wan", "execution_rate_pct"]
    )
    assert list(table.columns) == ["单位", "年度", "项目", "预算（万元）", "执行率（%）"]
    assert str(table["年度"].dtype) == "Int64"


# --- charts -----------------------------------------------------------------------------------


def figures() -> list[go.Figure]:
    sel = selection()
    units = q.by_unit(sel.lines)
    low = q.low_execution(sel.lines, 90)
    return [
        charts.budget_vs_actual_by_unit(units),
        charts.rate_bands(sel.lines),
        charts.status_stack(q.status_by(sel.indicators, "level1"), "level1", "t"),
        charts.project_bullets(q.unit_projects(sel.lines, "丙区卫生健康局"), "t"),
        charts.budget_actual_scatter(sel.lines, log=True),
        charts.unspent_by_unit_chart(q.unspent_by_unit(low)),
        charts.points_lost_chart(q.points_lost_by(sel.indicators, "level2"), "level2", "t"),
        charts.overall_chart(sel.overall),
    ]


def test_charts_use_a_cjk_font_first_and_have_titles():
    for fig in figures():
        assert isinstance(fig, go.Figure)
        assert fig.layout.font.family.startswith("Noto Sans CJK SC")
        assert FONT_FAMILY.startswith("Noto Sans CJK SC")
        assert fig.layout.title.text
        assert fig.data, fig.layout.title.text


def test_declared_lines_are_labelled_not_shown_as_zero_execution():
    fig = charts.project_bullets(q.unit_projects(selection().lines, "丙区卫生健康局"), "t")
    labels = fig.data[2].text
    assert all("申报（无执行数）" in label for label in labels)
    assert all(pd.isna(x) for x in fig.data[1].x)


def test_scatter_has_the_100_percent_line_and_log_scale_drops_zero_amounts():
    fig = charts.budget_actual_scatter(selection().lines, log=True)
    assert fig.layout.xaxis.type == "log"
    line = fig.data[-1]
    assert line.name == "100% 执行" and list(line.x) == list(line.y)
    points = sum(len(t.x) for t in fig.data[:-1])
    assert points == 4


def test_top_with_rest_adds_up_the_rest_and_recomputes_its_rate():
    frame = pd.DataFrame(
        {
            "label": [f"单位{i}" for i in range(5)],
            "budget_wan": [500.0, 400.0, 300.0, 200.0, 100.0],
            "actual_wan": [500.0, 200.0, 300.0, 100.0, 100.0],
            "execution_rate_pct": [100.0, 50.0, 100.0, 50.0, 100.0],
        }
    )
    out = q.top_with_rest(frame, 2, "label", ["budget_wan", "actual_wan"])
    assert out["label"].tolist() == ["单位0", "单位1", "其余 3 个单位"]
    assert out.iloc[2]["budget_wan"] == 600 and out.iloc[2]["actual_wan"] == 500
    assert out.iloc[2]["execution_rate_pct"] == pytest.approx(500 / 600 * 100)
    assert q.top_with_rest(frame, 5, "label", ["budget_wan"]) is frame


def test_charts_stay_readable_with_hundreds_of_units():
    lines = pd.concat(
        [selection().lines.assign(unit=f"第{i}单位", doc_id=f"d{i}") for i in range(300)],
        ignore_index=True,
    )
    units = q.by_unit(lines)
    assert len(units) == 300 * 4  # four unit-years per copy
    fig = charts.budget_vs_actual_by_unit(units)
    # the axis shows the name on two lines, the hover box in full
    assert len(fig.data[0].y) == 26 and fig.data[0].y[-1] == "其余 1175<br>个单位"
    assert fig.data[0].customdata[-1] == "其余 1175 个单位"
    assert fig.layout.height <= 1400
    total = units["budget_wan"].sum()
    assert sum(x for x in fig.data[0].x if pd.notna(x)) == pytest.approx(total)


def test_empty_frames_give_an_explaining_figure():
    empty = selection(regions=("湖南",))
    fig = charts.budget_vs_actual_by_unit(q.by_unit(empty.lines))
    assert fig.layout.annotations[0].text == "当前筛选条件下没有数据"


# --- data access ------------------------------------------------------------------------------


def test_reader_follows_the_env_var_and_file_mtime(tmp_path, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    assert data.documents().empty and "doc_id" in data.documents().columns
    path = tmp_path / "documents.parquet"
    documents().head(2).to_parquet(path)
    assert len(data.documents()) == 2
    documents().to_parquet(path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert len(data.documents()) == 5
    assert "parent_unit" in data.documents().columns  # columns of the schema filled in
