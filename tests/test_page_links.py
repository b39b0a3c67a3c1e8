"""Links that keep the view: the low-execution threshold and bands in the URL, 原文 links that
carry the sidebar filters, and the bands shared without reading another page's widget keys."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import trace, ui
from loaders.build import build

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("links") / "parquet"
    build(ROOT / "data" / "raw", out)
    return out


def low_execution(parquet_dir, monkeypatch, query: dict) -> AppTest:
    monkeypatch.setenv("DASHBOARD_PARQUET_DIR", str(parquet_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("views/low_execution.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def link_queries(at: AppTest) -> list[dict]:
    out = []
    for frame in (d.value for d in at.dataframe):
        if trace.LINK_HEADER in frame.columns:
            out += [parse_qs(urlsplit(u).query) for u in frame[trace.LINK_HEADER].dropna()]
    return out


def test_threshold_and_bands_come_from_the_link_and_stay_in_it(parquet_dir, monkeypatch):
    query = {"lowexec_threshold": "80", "lowexec_red_below": "50", "lowexec_green_from": "85"}
    at = low_execution(parquet_dir, monkeypatch, query)
    assert at.slider(key="lowexec_threshold").value == 80
    assert at.number_input(key="lowexec_red_below").value == 50.0
    assert any("执行率低于 80% 的项目" in h.value for h in at.subheader)
    assert at.session_state[ui.BANDS_KEY] == (50.0, 85.0)
    at.slider(key="lowexec_threshold").set_value(70).run()
    assert at.query_params["lowexec_threshold"] == "70"
    # the default leaves the link
    at.slider(key="lowexec_threshold").set_value(90).run()
    assert "lowexec_threshold" not in at.query_params


def test_a_bad_threshold_in_the_link_is_ignored(parquet_dir, monkeypatch):
    at = low_execution(parquet_dir, monkeypatch, {"lowexec_threshold": "九十"})
    assert at.slider(key="lowexec_threshold").value == 90


def test_source_links_carry_the_sidebar_filters(parquet_dir, monkeypatch):
    at = low_execution(parquet_dir, monkeypatch, {"filter_region": "深圳"})
    queries = link_queries(at)
    assert queries and all(q["filter_region"] == ["深圳"] and "doc" in q for q in queries)
    # without filters the links are the plain ones
    at.multiselect(key="filter_region").set_value([]).run()
    assert all("filter_region" not in q for q in link_queries(at))


def test_target_quality_source_links_carry_the_sidebar_filters(parquet_dir, monkeypatch):
    monkeypatch.setenv("DASHBOARD_PARQUET_DIR", str(parquet_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["filter_region"] = ["深圳", "上海"]
    at.run()
    at.switch_page("views/target_quality.py").run()
    assert not at.exception, [e.value for e in at.exception]
    sources = [
        parse_qs(link.proto.query_string)
        for link in at.get("page_link")
        if link.proto.page.endswith("source_viewer")
    ]
    assert sources, "目标质量 shows 查看原文 links for the chosen document"
    assert all(q["filter_region"] == ["深圳", "上海"] and "doc" in q for q in sources)


def test_bands_in_a_link_colour_another_page_before_low_execution_ran(parquet_dir, monkeypatch):
    monkeypatch.setenv("DASHBOARD_PARQUET_DIR", str(parquet_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["lowexec_red_below"] = "50"
    at.query_params["lowexec_green_from"] = "85"
    at.run()  # 总览, the first page: 低执行率 has not run in this session
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[ui.BANDS_KEY] == (50.0, 85.0)


def test_bad_bands_in_a_link_leave_the_defaults(parquet_dir, monkeypatch):
    monkeypatch.setenv("DASHBOARD_PARQUET_DIR", str(parquet_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["lowexec_red_below"] = "五十"
    at.query_params["lowexec_green_from"] = "250"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert ui.BANDS_KEY not in at.session_state
