"""AppTest for every page on a fresh build of the seeds: rendering, filters, URL and totals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from loaders.build import build
from loaders.schema import TABLES

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"
TIMEOUT = 60
# name -> (script registered in app.py, title)
PAGES = {
    "overview": ("views/overview.py", "总览"),
    "budget_execution": ("views/budget_execution.py", "预算执行"),
    "low_execution": ("views/low_execution.py", "低执行率项目"),
    "indicators": ("views/indicators.py", "绩效指标完成"),
}
LIUYANG = "浏阳市卫生健康局"


@pytest.fixture(scope="session")
def parquet_dir(tmp_path_factory) -> Path:
    """The seeds built into a folder of this test session (never the shared data/parquet)."""
    out = tmp_path_factory.mktemp("dashboard") / "parquet"
    build(RAW, out)
    return out


@pytest.fixture(scope="session")
def tables(parquet_dir) -> dict[str, pd.DataFrame]:
    return {
        t: pd.read_parquet(parquet_dir / f"{t}.parquet")
        for t in ("documents", "projects", "indicators", "findings")
    }


@pytest.fixture
def app(parquet_dir, monkeypatch):
    """Open a page of the app (optionally from a URL's query parameters) and run it."""
    monkeypatch.setenv("DASHBOARD_PARQUET_DIR", str(parquet_dir))

    def open_page(page: str = "overview", query: dict | None = None) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.run()
        if page != "overview":
            at.switch_page(PAGES[page][0]).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_page


# --- independent computations on the parquet ----------------------------------------------------


def doc_ids(tables, region: str | None = None) -> set[str]:
    docs = tables["documents"]
    if region:
        docs = docs[docs["region"] == region]
    return set(docs["doc_id"])


def budget_lines(tables, ids: set[str]) -> pd.DataFrame:
    """Project rows; a document without project rows contributes its task rows."""
    rows = tables["projects"][tables["projects"]["doc_id"].isin(ids)]
    projects = rows[rows["level"] == "project"]
    tasks = rows[(rows["level"] == "task") & ~rows["doc_id"].isin(set(projects["doc_id"]))]
    return pd.concat([projects, tasks])


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def frames(at: AppTest) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


def frame_with(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first table shown that has all these columns."""
    found = [f for f in frames(at) if set(columns) <= set(f.columns)]
    assert found, f"no table with columns {columns}"
    return found[0]


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def params(at: AppTest) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in at.query_params.items()}


def wan(x: float) -> str:
    return f"{x:,.2f}"


# --- every page renders -------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_the_seeds(app, page):
    at = app(page)
    assert at.title[0].value == f"绩效看板 · {PAGES[page][1]}"
    assert not at.error
    assert [w.key for w in at.sidebar.multiselect] == [
        "filter_region",
        "filter_unit",
        "filter_year",
        "filter_kind",
    ]
    assert at.get("plotly_chart") or at.info


@pytest.mark.parametrize("page", PAGES)
def test_page_without_data_says_so(app, page, tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_PARQUET_DIR", str(tmp_path / "nothing"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    if page != "overview":
        at.switch_page(PAGES[page][0]).run()
    assert not at.exception
    assert "尚未生成数据" in at.info[0].value


# --- filters ------------------------------------------------------------------------------------


def test_choosing_hunan_shows_only_liuyang(app, tables):
    at = app()
    at.multiselect(key="filter_region").select("湖南").run()
    assert at.multiselect(key="filter_unit").options == [LIUYANG]
    assert metrics(at)["单位数"] == "1"
    other_units = set(tables["documents"]["unit"].dropna()) - {LIUYANG}
    for page, (script, _) in PAGES.items():
        if page != "overview":
            at.switch_page(script).run()
        assert not at.exception
        assert at.multiselect(key="filter_region").value == ["湖南"]
        shown = [f for f in frames(at) if "单位" in f.columns and len(f)]
        for frame in shown:
            assert set(frame["单位"]) == {LIUYANG}, page
        texts = [json.dumps(spec, ensure_ascii=False) for spec in chart_specs(at)]
        for text in texts:
            assert not any(unit in text for unit in other_units), page
        assert shown or any(LIUYANG in t for t in texts), f"{page} shows nothing of {LIUYANG}"
    # the department totals of 浏阳 are shown in their own view on the budget page
    at.switch_page(PAGES["budget_execution"][0]).run()
    overall = frame_with(at, "层级", "单位")
    assert set(overall["层级"]) <= {"部门整体", "支出类型"} and len(overall)


def test_query_params_restore_the_filters(app):
    query = {
        "filter_region": "深圳",
        "filter_year": "2021",
        "filter_kind": "project_summary_table",
        "filter_unit": ["深圳市龙岗区卫生健康局", "不存在的单位"],
    }
    at = app("low_execution", query)
    assert at.multiselect(key="filter_region").value == ["深圳"]
    assert at.multiselect(key="filter_year").value == [2021]
    assert at.multiselect(key="filter_kind").value == ["project_summary_table"]
    assert at.multiselect(key="filter_unit").value == [
        "深圳市龙岗区卫生健康局"
    ]  # unknown unit dropped
    assert params(at)["filter_unit"] == ["深圳市龙岗区卫生健康局"]
    assert set(frame_with(at, "单位")["单位"]) == {"深圳市龙岗区卫生健康局"}
    # the filters survive a change of page and stay in the URL
    at.switch_page(PAGES["indicators"][0]).run()
    assert at.multiselect(key="filter_year").value == [2021]
    assert params(at) == {
        "filter_region": ["深圳"],
        "filter_unit": ["深圳市龙岗区卫生健康局"],
        "filter_year": ["2021"],
        "filter_kind": ["project_summary_table"],
    }


def test_changing_a_filter_updates_the_url(app):
    at = app()
    assert params(at) == {}
    first, second = at.multiselect(key="filter_region").options[:2]
    at.multiselect(key="filter_region").select(first).select(second).run()
    assert params(at) == {"filter_region": [first, second]}
    at.multiselect(key="filter_year").select(2021).run()
    assert params(at)["filter_year"] == ["2021"]
    at.multiselect(key="filter_region").set_value([]).run()
    assert "filter_region" not in params(at)


def test_invalid_query_params_are_ignored(app):
    at = app(query={"filter_region": "火星", "filter_year": "二〇二一"})
    assert at.multiselect(key="filter_region").value == []
    assert at.multiselect(key="filter_year").value == []
    assert params(at) == {}
    assert metrics(at)["单位数"] == str(len(set(at.multiselect(key="filter_unit").options)))


# --- numbers shown equal the parquet ---------------------------------------------------------


@pytest.mark.parametrize("region", [None, "深圳", "上海", "湖南"])
def test_overview_totals_equal_the_parquet(app, tables, region):
    at = app(query={"filter_region": region} if region else None)
    ids = doc_ids(tables, region)
    lines = budget_lines(tables, ids)
    executed = lines[lines["budget_wan"].notna() & lines["actual_wan"].notna()]
    budget, actual = executed["budget_wan"].sum(), executed["actual_wan"].sum()
    status = tables["indicators"][tables["indicators"]["doc_id"].isin(ids)]["status"].value_counts()
    findings = tables["findings"][tables["findings"]["doc_id"].isin(ids)]
    shown = metrics(at)
    assert shown["单位数"] == str(
        tables["documents"][tables["documents"]["doc_id"].isin(ids)]["unit"].nunique()
    )
    assert shown["项目数"] == str(len(lines))
    if len(executed):
        assert shown["项目预算总额（万元）"] == wan(budget)
        assert shown["项目执行总额（万元）"] == wan(actual)
        assert shown["项目执行率"] == f"{actual / budget * 100:.1f} %"
    else:
        # only 部门整体 documents (湖南): their own figures in their own cards, never "—"
        projects = tables["projects"]
        department = projects[projects["doc_id"].isin(ids) & (projects["level"] == "department")]
        assert len(department) and "项目预算总额（万元）" not in shown
        d_budget, d_actual = department["budget_wan"].sum(), department["actual_wan"].sum()
        assert shown["部门整体预算（万元）"] == wan(d_budget)
        assert shown["部门整体执行（万元）"] == wan(d_actual)
        assert shown["部门整体执行率"] == f"{d_actual / d_budget * 100:.1f} %"
    judged = status.get("met", 0) + status.get("not_met", 0)
    assert shown["指标完成率"] == (
        f"{status.get('met', 0) / judged * 100:.1f} %" if judged else "—"
    )
    assert shown["指标数"] == str(int(status.sum()))
    assert shown["数据问题（错误与警告）"] == str(
        int(findings["severity"].isin(["error", "warning"]).sum())
    )


def test_seed_totals_are_not_empty(tables):
    """Guard for the test above: the seeds give executed budget lines and judged indicators."""
    lines = budget_lines(tables, doc_ids(tables))
    assert (lines["budget_wan"].notna() & lines["actual_wan"].notna()).sum() > 0
    assert tables["indicators"]["status"].isin(["met", "not_met"]).any()


def test_budget_page_unit_table_adds_up_and_keeps_department_rows_apart(app, tables):
    at = app("budget_execution")
    units = frame_with(at, "申报预算（万元）")
    lines = budget_lines(tables, doc_ids(tables))
    executed = lines[lines["budget_wan"].notna() & lines["actual_wan"].notna()]
    assert units["预算（万元）"].sum() == pytest.approx(executed["budget_wan"].sum())
    assert units["执行（万元）"].sum() == pytest.approx(executed["actual_wan"].sum())
    department = tables["projects"][
        tables["projects"]["level"].isin(["department", "expenditure_type"])
    ]
    overall = frame_with(at, "层级", "单位")
    assert len(overall) == len(department)
    assert overall["预算（万元）"].sum() == pytest.approx(department["budget_wan"].sum())


def test_target_declarations_show_budget_without_execution(app, tables):
    docs = tables["documents"]
    declared_ids = set(docs.loc[docs["doc_kind"] == "target_declaration", "doc_id"])
    tasks = tables["projects"][tables["projects"]["doc_id"].isin(declared_ids)]
    assert len(tasks) and tasks["actual_wan"].isna().all()
    at = app("budget_execution", {"filter_kind": "target_declaration"})
    units = frame_with(at, "申报预算（万元）")
    assert units["申报预算（万元）"].sum() == pytest.approx(tasks["budget_wan"].sum())
    assert units["执行（万元）"].isna().all() and units["执行率（%）"].isna().all()
    assert any("无执行数" in c.value for c in at.caption)
    projects = frame_with(at, "层级")
    assert projects["执行（万元）"].isna().all()


@pytest.mark.parametrize("threshold", [50, 90, 100])
def test_low_execution_rows_follow_the_threshold(app, tables, threshold):
    at = app("low_execution")
    at.slider(key="lowexec_threshold").set_value(threshold).run()
    lines = budget_lines(tables, doc_ids(tables))
    rate = lines["execution_rate_pct"].fillna(lines["reported_rate_pct"])
    expected = lines[rate < threshold]
    table = frame_with(at, "未执行（万元）") if len(expected) else pd.DataFrame()
    assert len(table) == len(expected)
    unspent = (expected["budget_wan"] - expected["actual_wan"]).sum()
    assert metrics(at)["未执行金额（万元）"] == wan(unspent)
    if len(table):
        assert table["未执行（万元）"].dropna().is_monotonic_decreasing


def test_threshold_changes_the_row_count(app):
    at = app("low_execution")
    counts = []
    for threshold in (30, 90, 100):
        at.slider(key="lowexec_threshold").set_value(threshold).run()
        counts.append(int(metrics(at)["低执行率项目"]))
    assert counts[0] < counts[1] < counts[2]


def test_indicator_counts_equal_the_parquet(app, tables):
    at = app("indicators")
    status = tables["indicators"]["status"].value_counts()
    shown = metrics(at)
    for label, key in (
        ("已完成", "met"),
        ("未完成", "not_met"),
        ("无法判断", "unknown"),
        ("仅申报目标", "target_only"),
    ):
        assert shown[label] == str(int(status.get(key, 0))), label
    not_met = frame_with(at, "失分")
    assert len(not_met) == status.get("not_met", 0)
    targets = [f for f in frames(at) if "目标值" in f.columns and "失分" not in f.columns]
    assert len(targets) == 1 and len(targets[0]) == status.get("target_only", 0)
    assert "完成值" not in targets[0].columns  # declared targets are shown as targets only


def test_page_settings_survive_a_page_switch_and_stale_choices_are_dropped(app):
    at = app("low_execution")
    at.slider(key="lowexec_threshold").set_value(70).run()
    at.switch_page(PAGES["budget_execution"][0]).run()
    units = at.selectbox(key="budget_unit").options
    at.selectbox(key="budget_unit").set_value(units[-1]).run()
    at.multiselect(key="filter_region").select("上海").run()
    assert not at.exception
    assert at.selectbox(key="budget_unit").value == at.selectbox(key="budget_unit").options[0]
    at.switch_page(PAGES["low_execution"][0]).run()
    assert at.slider(key="lowexec_threshold").value == 70


@pytest.mark.parametrize("page", PAGES)
def test_page_with_documents_but_no_rows_explains_instead_of_failing(
    page, parquet_dir, tmp_path, monkeypatch
):
    """Partial data (parsers that read nothing yet): every page says so, no traceback."""
    shutil.copy(parquet_dir / "documents.parquet", tmp_path / "documents.parquet")
    for name in ("projects", "indicators", "findings"):
        pq.write_table(TABLES[name].empty_table(), tmp_path / f"{name}.parquet")
    monkeypatch.setenv("DASHBOARD_PARQUET_DIR", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    if page != "overview":
        at.switch_page(PAGES[page][0]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.info or at.warning
    if page == "overview":
        assert any("没有读出预算数据" in w.value for w in at.warning)
        units = pd.read_parquet(tmp_path / "documents.parquet")["unit"].fillna("?").nunique()
        assert len(frame_with(at, "单位")) == units  # the coverage matrix still lists them
