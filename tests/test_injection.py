"""Issue 10, points 2 and 3: formulas and Markdown in documents and links stay inert.

A CSV whose project names are spreadsheet formulas, and seed 004 imported with a unit name
written in Markdown, are imported as an analyst would (intake.add, the code of `python -m
loaders add`). The pages' CSV, XLSX and PPTX downloads must hold the names as text ('=…), and
every caption, alert and label must show the Markdown as printed, as must a ?doc= link.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import plotly.graph_objects as go
import pytest
import streamlit as st
from injection_support import (
    FORMULAS,
    IMAGE_DOC,
    LINK_DOC,
    MD_UNIT,
    PAGES,
    PLOT_UNIT,
    assert_inert,
    csv_cells,
    formula_cells,
    live_markdown,
    open_page,
    poisoned_folder,
    pptx_texts,
    shown,
    xlsx_cells,
)

from dashboard import charts, exports, markup
from loaders import intake

SOURCE_PAGE = "views/source_viewer.py"


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return poisoned_folder(tmp_path_factory.mktemp("injection"))


@pytest.fixture
def app(folders, monkeypatch):
    raw, out = folders
    monkeypatch.setenv(intake.RAW_ENV, str(raw))
    monkeypatch.setenv(intake.PARQUET_ENV, str(out))
    monkeypatch.delenv("IMPORT_PASSWORD_SHA256", raising=False)
    return open_page


@pytest.fixture
def downloads(monkeypatch) -> dict:
    """file name -> the bytes behind every download button the pages draw (made on demand)."""
    made: dict = {}
    button = st.download_button

    def recording(label, data=None, file_name=None, *args, **kwargs):
        made[file_name] = data
        return button(label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", recording)

    def get(name: str) -> bytes:
        data = made[name]
        return data() if callable(data) else data

    return get, made


@pytest.fixture
def no_chromium(monkeypatch):
    monkeypatch.setattr(exports, "CHROMIUM_PATH", "/nonexistent/chromium")
    monkeypatch.setattr(exports, "_renderer", exports._Renderer())


def test_the_formulas_are_imported_and_shown_as_printed(folders):
    projects = pd.read_parquet(folders[1] / "projects.parquet")
    assert set(FORMULAS.values()) <= set(projects["project"])


# --- point 2: formula injection ------------------------------------------------------------------


def test_low_execution_csv_and_xlsx_hold_the_formulas_as_text(app, downloads):
    get, made = downloads
    at = app("views/low_execution.py")
    assert not at.exception
    csv_data = get("低执行率项目.csv")
    cells = csv_cells(csv_data)
    assert formula_cells(cells) == []
    for formula in FORMULAS.values():
        assert "'" + formula in cells
    book = xlsx_cells(get("低执行率项目.xlsx"))
    assert [c.coordinate for c in book if c.data_type == "f"] == []
    assert formula_cells(c.value for c in book) == []
    values = [c.value for c in book]
    for formula in FORMULAS.values():
        assert "'" + formula in values


def test_every_table_download_of_every_page_is_free_of_formulas(app, downloads, no_chromium):
    get, made = downloads
    for page in PAGES:
        made.clear()
        at = app(page, {"filter_unit": "深圳市龙岗区卫生健康局"})
        assert not at.exception, page
        for name in list(made):
            data = get(name)
            if name.endswith(".csv"):
                assert formula_cells(csv_cells(data)) == [], (page, name)
            elif name.endswith(".xlsx"):
                cells = xlsx_cells(data)
                assert not [c.coordinate for c in cells if c.data_type == "f"], (page, name)
                assert formula_cells(c.value for c in cells) == [], (page, name)
            elif name.endswith(".pptx"):
                cells, paragraphs = pptx_texts(data)
                assert formula_cells(cells) == [], (page, name)
                assert formula_cells(paragraphs) == [], (page, name)


def test_meeting_pack_table_holds_the_formulas_as_text(app, downloads, no_chromium):
    get, made = downloads
    at = app("views/low_execution.py")
    assert not at.exception
    (name,) = [n for n in made if n.startswith("低执行率项目_会议材料") and n.endswith(".pptx")]
    cells, paragraphs = pptx_texts(get(name))
    assert formula_cells(cells) == [] and formula_cells(paragraphs) == []
    for formula in FORMULAS.values():
        assert any(c == "'" + formula for c in cells), formula


def test_numbers_stay_numbers_and_text_is_neutralised():
    frame = pd.DataFrame(
        {
            "项目": ["-3+4", "=1+1", "\t=2", "\r=3", "@x", "普通", None],
            "差额（万元）": [-3.5, 2.0, -0.25, 0.0, 1.0, -7.0, None],
            "缺数行": [-1, 0, 2, 3, 4, 5, 6],
            "混合": [-2.5, "-2.5", "+86 138", 4, "a", None, "=A1"],
        }
    )
    cells = csv_cells(exports.csv_bytes(frame))
    assert formula_cells(cells) == []
    assert cells[4:8] == ["'-3+4", "-3.50", "-1", "-2.5"]  # 万元 as shown, still a number
    assert "'-2.5" in cells and "'+86 138" in cells and "'=A1" in cells
    sheet = xlsx_cells(exports.xlsx_bytes({"t": frame}))
    assert [c.coordinate for c in sheet if c.data_type == "f"] == []
    by = {c.coordinate: c for c in sheet}
    assert by["A2"].value == "'-3+4" and by["A2"].data_type == "s"
    assert by["A4"].value == "'\t=2" and by["A5"].value == "'\r=3"
    assert by["B2"].value == -3.5 and by["B2"].data_type == "n"
    assert by["C2"].value == -1 and by["D2"].value == -2.5 and by["D2"].data_type == "n"
    assert by["D3"].value == "'-2.5" and by["D8"].value == "'=A1"
    assert exports.format_cell("项目", "=1+1") == "'=1+1"
    assert exports.format_cell("差额（万元）", -3.5) == "-3.50"
    assert exports.format_cell("缺数行", -1) == "-1"


def test_xlsx_keeps_cells_with_control_characters():
    frame = pd.DataFrame({"项目": ["a\x01b\x1fc", "=\x00"]})
    sheet = xlsx_cells(exports.xlsx_bytes({"t": frame}))
    assert [c.value for c in sheet] == ["项目", "a\ufffdb\ufffdc", "'=\ufffd"]


def attacked_figure() -> go.Figure:
    units = pd.DataFrame(
        {
            "label": [*FORMULAS.values(), '<a href="http://evil.example/">点此</a>'],
            "budget_wan": [10.0, 20, 30, 40, 50, 60],
            "actual_wan": [5.0, 10, 15, 20, 25, 30],
            "execution_rate_pct": [50.0] * 6,
            "declared_budget_wan": [None] * 6,
        }
    )
    return charts.budget_vs_actual_by_unit(units, title="=各单位预算与执行")


def figure_texts(fig: go.Figure) -> list[str]:
    """Titles and category labels a chart image shows."""
    layout = fig.layout
    texts = [layout.title.text, layout.xaxis.title.text, layout.yaxis.title.text]
    for trace in fig.data:
        texts.append(trace.name)
        for axis in ("x", "y"):
            texts += [v for v in getattr(trace, axis) or () if isinstance(v, str)]
    return [t for t in texts if t]


def test_chart_exports_neutralise_titles_and_labels():
    fig = attacked_figure()
    exported = exports.export_figure(fig)
    assert formula_cells(figure_texts(exported)) == []
    assert exported.layout.title.text == "'=各单位预算与执行"
    assert "'" + FORMULAS["家庭能力建设"] in exported.data[0].y
    # the chart on the page keeps its names
    assert fig.layout.title.text == "=各单位预算与执行"
    html = exports.figure_html(fig).decode("utf-8")  # the figure as JSON, non-ASCII escaped
    assert json.dumps("=各单位预算与执行") not in html
    assert json.dumps("'=各单位预算与执行") in html


def test_chart_svg_has_no_link_and_shows_the_labels_as_printed():
    svg = exports.figure_svg(attacked_figure()).decode("utf-8")
    # the axis prints the start of the name (the hover box has it all), as text
    assert "<a " not in svg and "&#60;a</tspan>" in svg and 'href="htt' in svg
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "&#39;=各单位预算与执行" in texts or "'=各单位预算与执行" in texts


def json_strings(value):
    """Every string in a parsed JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


def test_charts_on_the_pages_draw_a_unit_named_in_html_as_text(app):
    figures = []
    for page in PAGES:
        at = app(page)
        assert not at.exception, page
        figures += [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert figures
    texts = [t for f in figures for t in json_strings([f["data"], f["layout"].get("title")])]
    assert markup.plot_escape(PLOT_UNIT) in texts
    assert [t for t in texts if "<a " in t or "<img" in t] == []


# --- point 3: Markdown injection -----------------------------------------------------------------


@pytest.mark.parametrize("doc", [LINK_DOC, IMAGE_DOC])
def test_a_doc_link_with_markdown_shows_it_as_text(app, doc):
    at = app(SOURCE_PAGE, {"doc": doc})
    assert_inert(at, doc)
    (warning,) = [w.value for w in at.warning]
    assert markup.md_escape(doc) in warning


@pytest.mark.parametrize("page", PAGES)
def test_a_unit_named_in_markdown_shows_as_text_on_every_page(app, page):
    at = app(page, {"filter_unit": MD_UNIT})
    assert_inert(at, MD_UNIT)
    assert at.session_state["filter_unit"] == [MD_UNIT]
    assert any(markup.md_escape(MD_UNIT) in c.value for c in at.caption)


def test_the_source_viewer_caption_names_the_unit_as_text(app, folders):
    documents = pd.read_parquet(folders[1] / "documents.parquet")
    doc_id = documents.loc[documents["unit"] == MD_UNIT, "doc_id"].item()
    at = app(SOURCE_PAGE, {"doc": doc_id, "line": "3"})
    assert_inert(at, MD_UNIT)
    assert any(markup.md_escape(MD_UNIT) in c.value for c in at.caption)


def test_an_upload_named_in_markdown_is_previewed_as_text(app, folders):
    at = app("views/import_documents.py")
    name = "![x](h.png)[登录](evil.example).txt"  # a / would be refused as a path
    data = (folders[0] / "单位.txt").read_bytes()
    at.file_uploader(key="import_files").set_value([(name, data, "text/plain")]).run()
    assert_inert(at, name, MD_UNIT)
    assert any(markup.md_escape(name) in m.value for m in at.markdown)
    # the same bytes are loaded already: the notice names that document by its unit
    assert any(markup.md_escape(MD_UNIT) in i.value for i in at.info)
    (unit,) = [t for t in at.text_input if str(t.key).startswith("import_unit_")]
    unit.input("[再次登录](http://evil.example/)" * 4).run()  # too long: refused, named
    assert_inert(at, "[再次登录](http://evil.example/)")
    assert at.error


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("深圳市龙岗区卫生健康局", "深圳市龙岗区卫生健康局"),
        ("[a](http://x)", "\\[a\\]\\(http\\:\u2060\\/\\/x\\)"),
        ("![x](y.png)", "\\!\\[x\\]\\(y\\.png\\)"),
        ("**粗** _斜_ `码` ~删~", "\\*\\*粗\\*\\* \\_斜\\_ \\`码\\` \\~删\\~"),
        ("# 标题", "\\# 标题"),
        ("1. 列表", "1\\. 列表"),
        ("<b>x</b>", "\\<b\\>x\\<\\/b\\>"),
        (
            ":red[红] :material/home: :tada:",
            "\\:\u2060red\\[红\\] \\:\u2060material\\/home\\:\u2060 \\:\u2060tada\\:\u2060",
        ),
        ("$x^2$", "\\$x\\^2\\$"),
        ("a\\b", "a\\\\b"),
        ("见 www.evil.example", "见 www\u2060\\.evil\\.example"),
        ("WWW.X.CN", "WWW\u2060\\.X\\.CN"),
        ("a@b.cn", "a\\@\u2060b\\.cn"),
        ("a|b", "a\\|b"),
        (None, ""),
        (float("nan"), ""),
        (2023, "2023"),
    ],
)
def test_md_escape(text, escaped):
    assert markup.md_escape(text) == escaped
    assert live_markdown(markup.md_escape(text)) is None
    if isinstance(text, str):
        assert shown(markup.md_escape(text)) == text  # a reader sees the text as printed


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("普通", "普通"),
        ('<a href="http://x">y</a>', '&lt;a href="http://x"&gt;y&lt;/a&gt;'),
        ("a & b <br>", "a &amp; b &lt;br&gt;"),
        ("&lt;", "&amp;lt;"),
        (1.5, 1.5),
        (None, None),
    ],
)
def test_plot_escape(text, shown):
    assert markup.plot_escape(text) == shown
