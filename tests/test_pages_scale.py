"""Reruns at scale: cached tables and charts are drawn once and replayed, the same as drawn anew;
download files leave the link column out; the 导入文档 list follows the documents folder."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from office_files import copy_raw, seed_bytes
from streamlit.testing.v1 import AppTest

from dashboard import auth, export_ui, ui
from loaders import intake
from loaders.build import build

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60
ROWS = 1_500  # over TABLE_MAX_ROWS, so the styled table is cut to its first rows


def _tables_page():
    import pandas as pd
    import plotly.graph_objects as go
    import streamlit as st

    from dashboard import ui

    @st.cache_resource
    def prepared(which: str, rows: int) -> tuple:
        frame = pd.DataFrame(
            {
                "项目": [f"{which}{i}" for i in range(rows)],
                "执行（万元）": [float(i) for i in range(rows)],
                "原文": [f"source_viewer?doc=d&line={i + 1}" for i in range(rows)],
            }
        )
        marks = ["#ff0000" if i % 3 == 0 else "" for i in range(rows)]

        def paint(cells):
            return [f"background-color: {marks[i]}" if marks[i] else "" for i in cells.index]

        styler = frame.style.apply(paint, subset=["项目"])
        return frame, styler, go.Figure(go.Scatter(x=[1, 2, 3], y=[rows, 0, 1]))

    which = st.session_state.get("which", "a")
    rows = st.session_state.get("rows", 1500)
    frame, styler, fig = prepared(which, rows)
    cached = st.session_state.get("cached", True)
    ui.table(frame, "表", key="t", styler=styler, cached=cached)
    ui.chart(fig, "图", key="c", cached=cached)


@pytest.fixture
def drawn(monkeypatch) -> list[str]:
    """Names of the tables and charts actually drawn (not replayed) during the test."""
    import streamlit as st

    st.cache_resource.clear()
    calls: list[str] = []
    dataframe, plot = ui._dataframe, ui._plot

    def counted_dataframe(*args, **kwargs):
        calls.append("table")
        return dataframe(*args, **kwargs)

    def counted_plot(*args, **kwargs):
        calls.append("chart")
        return plot(*args, **kwargs)

    monkeypatch.setattr(ui, "_dataframe", counted_dataframe)
    monkeypatch.setattr(ui, "_plot", counted_plot)
    yield calls
    st.cache_resource.clear()


def uuid_free(styles: str) -> str:
    return re.sub(r"#T_\w+?_row", "#T_row", styles)


def _shown(at: AppTest) -> tuple:
    """What the browser gets: the rows, the cell styles and the chart's spec."""
    table = at.dataframe[0]
    chart = at.get("plotly_chart")[0].proto
    return (
        table.value,
        table.proto.arrow_data.styler.styles,
        chart.spec,
        [c.value for c in at.caption],
    )


def test_a_cached_table_and_chart_are_drawn_once_then_replayed_unchanged(drawn):
    at = AppTest.from_function(_tables_page, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    first = _shown(at)
    assert drawn == ["table", "chart"]
    at.run()
    at.run()
    assert drawn == ["table", "chart"]  # the two reruns replayed the elements
    again = _shown(at)
    pd.testing.assert_frame_equal(again[0], first[0])
    assert again[1:] == first[1:]
    assert (
        len(first[0]) == ui.TABLE_MAX_ROWS and first[0].iloc[-1, 0] == f"a{ui.TABLE_MAX_ROWS - 1}"
    )
    assert "background-color: #ff0000" in first[1] and f"共 {ROWS:,} 行" in first[3][0]


def test_replay_equals_drawing_anew(drawn):
    at = AppTest.from_function(_tables_page, default_timeout=TIMEOUT)
    at.session_state["cached"] = False
    plain = _shown(at.run())
    at.session_state["cached"] = True
    at.run()
    replayed = _shown(at.run())
    pd.testing.assert_frame_equal(replayed[0], plain[0])
    assert replayed[2:] == plain[2:]
    # the style sheet names the styler's uuid; the same cells are tinted in both
    assert uuid_free(replayed[1]) == uuid_free(plain[1])
    assert uuid_free(plain[1]).count("_col0") == ui.TABLE_MAX_ROWS // 3 + 1


def test_each_cached_frame_shows_its_own_rows_under_the_same_key(drawn):
    at = AppTest.from_function(_tables_page, default_timeout=TIMEOUT).run()
    at.session_state["which"] = "b"
    at.session_state["rows"] = 20
    at.run()
    assert list(at.dataframe[0].value["项目"]) == [f"b{i}" for i in range(20)]
    assert not at.caption  # 20 rows: all shown
    at.session_state["which"] = "a"
    at.session_state["rows"] = ROWS
    at.run()
    assert at.dataframe[0].value["项目"].iloc[0] == "a0"
    assert drawn == ["table", "chart"] * 2  # b drawn once, a replayed


def test_download_files_leave_the_link_column_out(monkeypatch):
    made: dict[str, pd.DataFrame] = {}
    monkeypatch.setattr(export_ui.exports, "csv_bytes", lambda df: made.setdefault("csv", df))
    monkeypatch.setattr(
        export_ui.exports, "xlsx_bytes", lambda sheets: made.setdefault("xlsx", sheets["表"])
    )
    frame = pd.DataFrame({"项目": ["甲", "乙"], "原文": ["source_viewer?doc=a", None]})
    buttons = {}
    monkeypatch.setattr(
        export_ui.st, "download_button", lambda label, data, **kw: buttons.setdefault(label, data)
    )
    export_ui.table_downloads(frame, "表", key="t", drop=["原文"])
    buttons["下载 CSV"]()
    buttons["下载 Excel"]()
    for name in ("csv", "xlsx"):
        pd.testing.assert_frame_equal(made[name], frame[["项目"]])
    assert list(frame.columns) == ["项目", "原文"]  # the shown table keeps its links


# --- 导入文档: the list of loaded documents, cached per state of the folder -------------------


@pytest.fixture
def folders(tmp_path, monkeypatch) -> tuple[Path, Path]:
    raw = copy_raw(tmp_path / "data" / "raw", leave_out=("000", "003", "004"))
    out = tmp_path / "data" / "parquet"
    build(raw, out)
    monkeypatch.setenv(intake.RAW_ENV, str(raw))
    monkeypatch.setenv(intake.PARQUET_ENV, str(out))
    monkeypatch.delenv(auth.ENV_VAR, raising=False)
    return raw, out


def listed(at: AppTest) -> dict[str, str]:
    """来源文件 -> 单位 of the 已导入的文档 table."""
    table = at.dataframe[-1].value
    return dict(zip(table["来源文件"], table["单位"], strict=True))


def test_the_document_list_follows_files_added_and_edited_in_place(folders):
    raw, _ = folders
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets.update({auth.SECRET_KEY: ""})
    at.run()
    at.switch_page("views/import_documents.py").run()
    assert not at.exception, [e.value for e in at.exception]
    before = listed(at)
    assert len(before) == 2
    at.run()
    assert listed(at) == before
    (raw / "浏阳.txt").write_bytes(seed_bytes("004"))  # dropped in beside the app
    at.run()
    assert listed(at)["浏阳.txt"] == "浏阳市卫生健康局"
    edited = next(name for name in before if name.startswith("002"))
    shutil.copyfile(raw / "浏阳.txt", raw / edited)  # same name, other bytes
    at.run()
    assert listed(at)[edited] == "浏阳市卫生健康局" != before[edited]
