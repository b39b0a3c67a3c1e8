"""AppTest of the insight pages of issue 15 (偏差原因, 目标质量, 同类比较, 年度对比): the seeds and a
synthetic corpus with multi-year units, their settings in the link, links to the lines."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import peers as p
from dashboard import queries as q
from dashboard import reasons as r
from dashboard import target_quality as tq
from dashboard import trace
from dashboard import years as y
from loaders.build import build
from synth import write_corpus

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"
TIMEOUT = 90
PAGES = {
    "reasons": ("views/reasons.py", "偏差原因"),
    "target_quality": ("views/target_quality.py", "目标质量"),
    "peers": ("views/peers.py", "同类比较"),
    "years": ("views/years.py", "年度对比"),
}
LINK = trace.LINK_HEADER
SYNTH_DOCS = 64
SYNTH_SEED = 20240601


@pytest.fixture(scope="module")
def seeds_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("insights") / "parquet"
    build(RAW, out)
    return out


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("insights_synth")
    write_corpus(SYNTH_DOCS, SYNTH_SEED, root)
    build(root / "raw", root / "parquet")
    return root / "parquet"


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {
        n: pd.read_parquet(folder / f"{n}.parquet")
        for n in ("documents", "projects", "indicators", "findings")
    }


def _selection(folder: Path, **filters) -> q.Selection:
    t = _tables(folder)
    return q.select(
        t["documents"], t["projects"], t["indicators"], t["findings"], q.Filters(**filters)
    )


def open_page(monkeypatch, folder: Path, page: str, query: dict | None = None) -> AppTest:
    monkeypatch.setenv("DASHBOARD_PARQUET_DIR", str(folder))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGES[page][0]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def frame_with(at, *columns: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    assert found, f"no table with {columns}: {[list(d.value.columns) for d in at.dataframe]}"
    return found[0]


def params(at) -> dict:
    return {k: v if isinstance(v, list) else [v] for k, v in at.query_params.items()}


def assert_linked(frame: pd.DataFrame) -> None:
    assert LINK in frame.columns and len(frame)
    assert all(u.startswith(f"{trace.SOURCE_PAGE}?doc=") for u in frame[LINK])


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_seeds(monkeypatch, seeds_dir, page):
    at = open_page(monkeypatch, seeds_dir, page)
    assert at.title[0].value == f"绩效看板 · {PAGES[page][1]}"
    assert not at.error and not at.warning
    assert at.get("plotly_chart") or at.info


@pytest.mark.parametrize("page", PAGES)
def test_every_page_without_data_says_so(monkeypatch, tmp_path, page):
    at = open_page(monkeypatch, tmp_path / "nothing", page)
    assert "尚未生成数据" in at.info[0].value


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_synthetic_corpus(monkeypatch, synth_dir, page):
    at = open_page(monkeypatch, synth_dir, page)
    assert not at.error and at.get("plotly_chart")


# --- 偏差原因 -------------------------------------------------------------------------------------


def test_reasons_cards_and_sentences_equal_the_view_model(monkeypatch, seeds_dir):
    at = open_page(monkeypatch, seeds_dir, "reasons")
    s = _selection(seeds_dir)
    low = r.low_projects(s.lines, s.indicators)
    summary = r.unexplained(low)
    shown = metrics(at)
    assert shown["低执行率项目"] == "15"
    assert shown["未执行金额（万元）"] == f"{summary['unspent_wan']:,.2f}"
    assert shown["未说明原因的项目"] == "2"
    (card,) = [m for m in at.metric if m.label == "未说明原因的项目"]
    assert card.delta == "占 13.3 %"
    sentences = frame_with(at, "原因分类", "依据（匹配文字）")
    assert len(sentences) == 15
    assert_linked(sentences)
    assert_linked(frame_with(at, "说明文字", "来源"))


def test_one_click_on_a_category_shows_its_sentences_and_goes_into_the_link(monkeypatch, seeds_dir):
    at = open_page(monkeypatch, seeds_dir, "reasons")
    at.button_group(key="reasons_category").set_value("withdrawn").run()
    sentences = frame_with(at, "原因分类", "依据（匹配文字）")
    assert set(sentences["原因分类"]) == {"资金冻结/收回"}
    assert set(sentences["项目"]) == {"家庭能力建设", "卫生信息化项目管理工作", "老龄业务工作"}
    assert set(sentences["依据（匹配文字）"]) == {"冻结", "收回"}
    assert params(at)["reasons_category"] == ["withdrawn"]


def test_the_link_reopens_a_category_and_a_threshold(monkeypatch, seeds_dir):
    at = open_page(
        monkeypatch, seeds_dir, "reasons",
        {"reasons_category": "none", "reasons_threshold": "80", "filter_region": "深圳"},
    )  # fmt: skip
    assert at.slider(key="reasons_threshold").value == 80
    sentences = frame_with(at, "原因分类", "依据（匹配文字）")
    assert list(sentences["项目"]) == ["医疗卫生应急项目", "高龄老人意外险项目"]
    assert set(sentences["单位"]) == {"深圳市龙岗区卫生健康局"}
    assert params(at)["reasons_threshold"] == ["80"]


def test_a_bad_link_is_ignored(monkeypatch, seeds_dir):
    at = open_page(
        monkeypatch, seeds_dir, "reasons", {"reasons_category": "火星", "reasons_threshold": "x"}
    )
    assert at.slider(key="reasons_threshold").value == 90
    assert len(frame_with(at, "原因分类", "依据（匹配文字）")) == 15


# --- 目标质量 -------------------------------------------------------------------------------------


def test_target_quality_lists_each_documents_points_with_links(monkeypatch, seeds_dir):
    at = open_page(monkeypatch, seeds_dir, "target_quality")
    s = _selection(seeds_dir)
    summary = tq.document_summary(tq.review(s.projects, s.indicators))
    short = frame_with(at, "序号", "问题", "说明")
    assert len(short) == len(summary)
    assert_linked(short)
    assert_linked(frame_with(at, "指标表（项目）", "说明"))
    assert metrics(at)["审查文档"] == "5"
    # the chosen document's points as a numbered list, each with a page link to its lines
    doc = at.selectbox(key="tq_doc").value
    items = [m.value for m in at.markdown if m.value.startswith(("1. **", "2. **"))]
    want = summary[summary["doc_id"] == doc]
    assert len(items) >= min(2, len(want)) and items[0].startswith("1. **")
    page_links = at.get("page_link")
    assert len(page_links) == len(want)
    first = want.iloc[0]
    assert page_links[0].proto.page == "source_viewer"
    params_ = dict(parse_qsl(page_links[0].proto.query_string))
    assert params_["doc"] == doc and params_["line"] == str(first["source_line"])


def test_target_quality_narrows_to_one_rule_from_the_link(monkeypatch, seeds_dir):
    at = open_page(monkeypatch, seeds_dir, "target_quality", {"tq_rule": "overshoot"})
    short = frame_with(at, "序号", "问题", "说明")
    assert set(short["问题"]) == {tq.RULES["overshoot"]} and len(short) == 2
    at.button_group(key="tq_rule").set_value("no_benefit").run()
    assert set(frame_with(at, "序号", "问题", "说明")["问题"]) == {tq.RULES["no_benefit"]}
    assert params(at)["tq_rule"] == ["no_benefit"]


# --- 同类比较 -------------------------------------------------------------------------------------


def test_peers_compares_the_unit_of_the_unit_filter(monkeypatch, seeds_dir):
    unit = "深圳市龙岗区卫生健康局"
    at = open_page(monkeypatch, seeds_dir, "peers", {"filter_unit": unit})
    assert at.selectbox(key="peers_unit").value == unit
    s = _selection(seeds_dir)
    metrics_ = p.unit_metrics(s.documents, s.lines, s.overall, s.projects, s.indicators)
    want = p.compare(metrics_, unit)
    table = frame_with(at, "比较范围", "百分位（高于同组的比例，%）")
    assert list(table["比较范围"][:2]) == ["同类：卫健局/委", "同地区：深圳"]
    pd.testing.assert_series_equal(
        table["百分位（高于同组的比例，%）"].astype(float),
        want["percentile"].astype(float).round(1).rename("百分位（高于同组的比例，%）"),
    )
    assert_linked(frame_with(at, "单位类别", "复算得分（平均）"))
    regions = frame_with(at, "单位数", "单位执行率中位数（%）")
    assert set(regions["地区"]) == {"深圳", "上海", "湖南"}


def test_peers_unit_and_metric_from_the_link(monkeypatch, synth_dir):
    s = _selection(synth_dir)
    unit = sorted(s.documents["unit"].unique())[3]
    at = open_page(monkeypatch, synth_dir, "peers", {"peers_unit": unit, "peers_metric": "score"})
    assert at.selectbox(key="peers_unit").value == unit
    assert at.button_group(key="peers_metric").value == "score"
    assert params(at)["peers_unit"] == [unit]


# --- 年度对比 -------------------------------------------------------------------------------------


def test_years_on_the_seeds_says_there_is_no_unit_with_several_years(monkeypatch, seeds_dir):
    at = open_page(monkeypatch, seeds_dir, "years")
    assert "没有多个年度文档的单位" in at.info[0].value


def test_years_compares_a_multi_year_unit(monkeypatch, synth_dir):
    s = _selection(synth_dir)
    units = y.multi_year_units(s.documents)
    assert units
    unit = units[-1]
    at = open_page(monkeypatch, synth_dir, "years", {"years_unit": unit, "filter_year": "2021"})
    assert at.selectbox(key="years_unit").value == unit
    rows = y.unit_lines(s.lines, unit)
    by_year = frame_with(at, "低执行项目数", "指标完成率（%）")
    assert list(by_year["年度"]) == sorted(
        rows["year"].astype(int).unique()
    )  # year filter set aside
    assert by_year["预算（万元）"].sum() == pytest.approx(rows["budget_wan"].sum())
    tracks = frame_with(at, "上一年度名称", "名称匹配度")
    assert len(tracks) == len(rows)
    assert_linked(tracks)
    assert_linked(by_year)
    streaks = y.low_streaks(y.tracks(rows))
    assert metrics(at)["连续两年以上低于 90%"] == str(
        streaks["track"].nunique() if len(streaks) else 0
    )
    assert params(at)["years_unit"] == [unit]


def test_years_threshold_from_the_link(monkeypatch, synth_dir):
    at = open_page(monkeypatch, synth_dir, "years", {"years_threshold": "60"})
    assert at.number_input(key="years_threshold").value == 60
    assert "连续两年以上低于 60%" in metrics(at)
