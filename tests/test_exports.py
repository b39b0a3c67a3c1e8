"""Exports: chart images with CJK glyphs, the HTML fallback, CSV/XLSX files and the PPTX deck."""

from __future__ import annotations

import csv
import io
import math
import re

import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest
from PIL import Image, ImageStat
from pptx import Presentation
from pptx.util import Emu
from streamlit.testing.v1 import AppTest

from dashboard import exports
from dashboard.constants import KIND_LABELS

BOM = b"\xef\xbb\xbf"
MIN_PIXEL_STDDEV = 8.0  # a blank (single-colour) image has 0


def bar_figure(title: str = "各单位预算执行率", width: int | None = 640, height: int | None = 360):
    fig = go.Figure(
        go.Bar(
            x=["深圳市医学信息中心", "浏阳市卫生健康局", "上海市普陀区卫生健康委员会"],
            y=[97.5, 76.0, 100.0],
        )
    )
    fig.update_layout(title=title, width=width, height=height)
    return fig


def pixel_stddev(png: bytes) -> float:
    with Image.open(io.BytesIO(png)) as image:
        return ImageStat.Stat(image.convert("L")).stddev[0]


@pytest.fixture
def no_chromium(monkeypatch):
    """A process where Chromium is not installed: a fresh renderer and a path that does not exist."""
    monkeypatch.setattr(exports, "CHROMIUM_PATH", "/nonexistent/chromium")
    monkeypatch.setattr(exports, "_renderer", exports._Renderer())


@pytest.fixture(scope="module")
def low_execution(built) -> pd.DataFrame:
    """Low-execution projects of the seed build, with Chinese headers as the pages show them."""
    lines = built["projects"].merge(built["documents"][["doc_id", "unit", "year"]], on="doc_id")
    lines = lines[lines["level"].isin(["project", "task"]) & lines["execution_rate_pct"].notna()]
    low = lines[lines["execution_rate_pct"] < 90].copy()
    low["unspent_wan"] = low["budget_wan"] - low["actual_wan"]
    low = low.sort_values("unspent_wan", ascending=False)
    columns = {
        "unit": "单位",
        "year": "年度",
        "project": "项目",
        "budget_wan": "预算（万元）",
        "actual_wan": "执行（万元）",
        "unspent_wan": "未执行（万元）",
        "execution_rate_pct": "执行率（%）",
        "problems": "问题 / 偏差原因",
    }
    return low[list(columns)].rename(columns=columns).reset_index(drop=True)


# --- chart images ---------------------------------------------------------------------------


def test_png_is_twice_the_figure_size_and_not_blank():
    fig = bar_figure(width=640, height=360)
    png = exports.figure_png(fig)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.size == (1280, 720)
    assert pixel_stddev(png) > MIN_PIXEL_STDDEV


def test_png_without_a_size_uses_the_default_and_leaves_the_figure_alone():
    fig = bar_figure(width=None, height=None)
    before = fig.to_json()
    png = exports.figure_png(fig, scale=1)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (exports.DEFAULT_WIDTH_PX, exports.DEFAULT_HEIGHT_PX)
    assert fig.to_json() == before  # the page's figure is not restyled by an export


def test_png_cache_tells_figures_apart():
    first = exports.figure_png(bar_figure("预算"))
    second = exports.figure_png(bar_figure("执行"))
    assert first != second
    assert exports.figure_png(bar_figure("预算")) == first


def test_cjk_glyphs_are_drawn_not_boxes():
    """Two titles of different Chinese characters must draw differently (missing glyphs draw
    identical boxes), and the title area must not be empty."""
    fig_a = go.Figure().update_layout(title="预算执行率", width=400, height=120, margin_t=60)
    fig_b = go.Figure().update_layout(title="绩效指标完成", width=400, height=120, margin_t=60)
    crops = []
    for fig in (fig_a, fig_b):
        with Image.open(io.BytesIO(exports.figure_png(fig))) as image:
            crops.append(image.convert("L").crop((0, 0, 800, 100)))
    assert ImageStat.Stat(crops[0]).stddev[0] > MIN_PIXEL_STDDEV
    assert crops[0].tobytes() != crops[1].tobytes()


def test_svg_keeps_chinese_text_and_the_cjk_font():
    svg = exports.figure_svg(bar_figure()).decode("utf-8")
    assert svg.lstrip().startswith("<svg")
    assert "各单位预算执行率" in svg
    assert "浏阳市卫生健康局" in svg
    assert exports.CJK_FONT in svg


def test_export_figure_puts_the_cjk_font_first_in_a_foreign_family():
    fig = bar_figure()
    fig.update_layout(font_family="Arial")
    family = exports.export_figure(fig).layout.font.family
    assert family.startswith(exports.CJK_FONT)
    assert "Arial" in family
    assert fig.layout.font.family == "Arial"


def test_html_fallback_is_self_contained_and_says_why():
    page = exports.figure_html(bar_figure()).decode("utf-8")
    tags = re.findall(r"<script\b[^>]*>", page)
    assert tags and not [t for t in tags if "src" in t]  # nothing fetched from a CDN or a file
    assert "Plotly.newPlot" in page
    assert len(page) > 1_000_000  # plotly.js itself is inlined
    title = "各单位预算执行率"
    assert title in page or title.encode("ascii", "backslashreplace").decode() in page
    assert "Chromium" in page and "HTML" in page
    assert '<meta charset="utf-8"' in page.lower()


def test_without_chromium_images_raise_a_clear_error(no_chromium):
    assert not exports.chromium_available()
    with pytest.raises(exports.ExportError, match="Chromium"):
        exports.figure_png(bar_figure("未缓存的图"))


def test_a_chromium_that_fails_to_start_falls_back(monkeypatch):
    monkeypatch.setattr(exports, "CHROMIUM_PATH", "/bin/false")
    monkeypatch.setattr(exports, "_renderer", exports._Renderer())
    assert exports.chromium_available()  # it exists …
    with pytest.raises(exports.ExportError):
        exports.figure_svg(bar_figure("启动失败"))
    assert not exports.chromium_available()  # … and is not tried again for a while


# --- CSV and XLSX ---------------------------------------------------------------------------


def test_csv_has_a_bom_and_round_trips(low_execution):
    assert len(low_execution) > 0
    data = exports.csv_bytes(low_execution)
    assert data.startswith(BOM)
    assert data.count(b"\n") == data.count(b"\r\n") == len(low_execution) + 1
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(back.columns) == list(low_execution.columns)
    for column in ("单位", "项目", "问题 / 偏差原因"):
        assert back[column].fillna("").tolist() == low_execution[column].fillna("").tolist()


# header -> decimals the page shows (万元 two, rates one, a year none)
CSV_DECIMALS = {
    "预算（万元）": 2,
    "执行（万元）": 2,
    "未执行（万元）": 2,
    "执行率（%）": 1,
    "年度": 0,
}


def test_csv_numbers_are_rounded_as_shown(low_execution):
    """62.303474968517335 is written 62.3: every number with the decimals of its column."""
    raw = low_execution[list(CSV_DECIMALS)[:-1]].to_numpy(dtype=float).ravel()
    raw = raw[~pd.isna(raw)]
    assert any(round(v, 2) != v for v in raw)  # the seeds do carry more decimals than shown
    rows = list(csv.reader(io.StringIO(exports.csv_bytes(low_execution).decode("utf-8-sig"))))
    header = rows[0]
    for name, decimals in CSV_DECIMALS.items():
        j = header.index(name)
        pattern = rf"-?\d+\.\d{{{decimals}}}" if decimals else r"-?\d+"
        for row, value in zip(rows[1:], low_execution[name], strict=True):
            if pd.isna(value):
                assert row[j] == ""
                continue
            assert re.fullmatch(pattern, row[j]), (name, row[j])
            assert float(row[j]) == pytest.approx(float(value), abs=0.5 * 10**-decimals + 1e-9)


def test_csv_scores_and_unknown_floats_have_two_decimals():
    frame = pd.DataFrame(
        {
            "自评得分": [96.0, 9.225, None],
            "比值": [62.303474968517335, 1.0, 2.5],
            "项目数": [3, 4, 5],
        }
    )
    rows = list(csv.reader(io.StringIO(exports.csv_bytes(frame).decode("utf-8-sig"))))
    assert rows[1:] == [["96.00", "62.30", "3"], ["9.22", "1.00", "4"], ["", "2.50", "5"]]


def test_xlsx_sheets_header_formats_and_values(low_execution, built):
    documents = built["documents"][["unit", "year", "doc_kind", "source_file"]]
    data = exports.xlsx_bytes({"低执行率项目": low_execution, "文档": documents})
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["低执行率项目", "文档"]
    sheet = book["低执行率项目"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header == list(low_execution.columns)
    assert all(c.font.bold for c in sheet[1])
    assert sheet.max_row == len(low_execution) + 1
    column = {name: i for i, name in enumerate(header, start=1)}
    for r, row in enumerate(low_execution.itertuples(index=False), start=2):
        budget = sheet.cell(r, column["预算（万元）"])
        assert budget.number_format == exports.MONEY_FORMAT
        assert budget.value == pytest.approx(row[3])
        rate = sheet.cell(r, column["执行率（%）"])
        assert rate.number_format == exports.PERCENT_FORMAT
        assert rate.value == pytest.approx(row[6])
        assert sheet.cell(r, column["年度"]).number_format == exports.INTEGER_FORMAT
        assert sheet.cell(r, column["项目"]).value == row[2]
    widths = {
        c: sheet.column_dimensions[openpyxl.utils.get_column_letter(i)].width
        for c, i in column.items()
    }
    assert widths["项目"] > widths["年度"]
    assert all(exports.MIN_COLUMN_WIDTH <= w <= exports.MAX_COLUMN_WIDTH for w in widths.values())
    assert book["文档"].max_row == len(documents) + 1


def test_xlsx_money_columns_by_contract_name_and_missing_values():
    frame = pd.DataFrame(
        {"project": ["甲", "乙"], "budget_wan": [1234.5, None], "execution_rate_pct": [97.5, None]}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes({"t": frame})))["t"]
    assert sheet["B2"].number_format == exports.MONEY_FORMAT
    assert sheet["C2"].number_format == exports.PERCENT_FORMAT
    assert sheet["B3"].value is None and sheet["C3"].value is None


def test_xlsx_sheet_names_are_made_valid_and_unique():
    frame = pd.DataFrame({"a": [1]})
    long = "很长的表名" * 10
    names = openpyxl.load_workbook(
        io.BytesIO(exports.xlsx_bytes({"低执行/项目[1]": frame, long: frame, long + "x": frame}))
    ).sheetnames
    assert names[0] == "低执行_项目_1_"
    assert all(len(n) <= exports.SHEET_NAME_MAX for n in names)
    assert len(set(names)) == 3


def test_xlsx_needs_a_table():
    with pytest.raises(ValueError):
        exports.xlsx_bytes({})


@pytest.mark.parametrize(
    ("column", "value", "text"),
    [
        ("预算（万元）", 1234.5, "1,234.50"),
        ("budget_wan", 2306.0, "2,306.00"),
        ("执行率（%）", 97.5, "97.5 %"),
        ("execution_rate_pct", 100, "100.0 %"),
        ("年度", 2023, "2023"),
        ("自评得分", 9.0, "9.00"),
        ("自评得分", 9.225, "9.22"),
        ("得分率差（百分点）", 5.0, "5.00"),
        ("比值", 2.5, "2.50"),
        ("预算（万元）", None, "—"),
        ("预算（万元）", float("nan"), "—"),
        ("项目", "  智慧龙岗\n2.0B包  ", "智慧龙岗 2.0B包"),
    ],
)
def test_format_cell(column, value, text):
    assert exports.format_cell(column, value) == text


def test_format_cell_cuts_long_text():
    text = exports.format_cell("问题", "因" * 200)
    assert len(text) == exports.TABLE_CELL_MAX_CHARS and text.endswith("…")


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("低执行率项目", "低执行率项目"),
        ("a/b:c*d", "a_b_c_d"),
        ("  ", "export"),
        ("各单位 未执行", "各单位_未执行"),
    ],
)
def test_file_stem(name, stem):
    assert exports.file_stem(name) == stem


# --- documents named in the deck --------------------------------------------------------------


def test_selected_documents_follow_the_filters(built):
    documents = built["documents"]
    hunan = exports.selected_documents(documents, {"region": ["湖南"], "unit": [], "year": None})
    assert set(hunan["unit"]) == {"浏阳市卫生健康局"}
    everything = exports.selected_documents(documents, {"region": [], "unit": None})
    assert len(everything) == len(documents)
    year = int(documents["year"].dropna().iloc[0])
    by_year = exports.selected_documents(documents, {"year": [str(year)]})
    assert len(by_year) == (documents["year"] == year).sum() > 0


def test_document_labels_name_unit_year_and_kind(built):
    documents = built["documents"]
    labels = exports.document_labels(documents, KIND_LABELS)
    assert len(labels) == len(documents)
    liuyang = documents[documents["unit"] == "浏阳市卫生健康局"].iloc[0]
    expected = f"浏阳市卫生健康局 {int(liuyang['year'])}年 {KIND_LABELS[liuyang['doc_kind']]}"
    assert expected in labels


# --- PPTX -----------------------------------------------------------------------------------


def deck_text(slide) -> str:
    return "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)


def table_rows(deck) -> list[list[str]]:
    rows = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_table:
                grid = shape.table
                rows += [[c.text for c in r.cells] for r in list(grid.rows)[1:]]
    return rows


FILTERS = {"地区": ["湖南"], "单位": [], "年度": [2023], "文档类型": None}
DOCUMENTS = ["浏阳市卫生健康局 2023年 部门整体支出绩效自评表"]


def make_deck(charts, table, **kwargs):
    data = exports.pptx_bytes(
        "低执行率项目",
        FILTERS,
        "2025-03-01 09:30",
        DOCUMENTS,
        charts,
        table,
        "绩效看板 · 低执行率项目",
        **kwargs,
    )
    return Presentation(io.BytesIO(data))


def test_pptx_title_chart_and_table_slides(low_execution):
    table = low_execution.head(5)
    charts = [
        ("各单位预算执行率", bar_figure()),
        ("未执行金额", bar_figure("未执行金额", height=900)),
    ]
    deck = make_deck(charts, table, table_title="低执行率项目")
    assert len(deck.slides) == 1 + 2 + 1
    assert deck.slide_width * 9 == deck.slide_height * 16
    title = deck_text(deck.slides[0])
    for text in ("低执行率项目", "湖南", "2023", "全部", "2025-03-01 09:30", DOCUMENTS[0]):
        assert text in title
    for slide in list(deck.slides)[1:3]:
        pictures = [s for s in slide.shapes if s.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
        assert len(pictures) == 1
        blob = pictures[0].image.blob
        assert pixel_stddev(blob) > MIN_PIXEL_STDDEV
        assert pictures[0].left >= 0 and pictures[0].left + pictures[0].width <= deck.slide_width
        text = deck_text(slide)
        assert DOCUMENTS[0] in text and "地区：湖南" in text and "绩效看板 · 低执行率项目" in text
    assert "各单位预算执行率" in deck_text(deck.slides[1])
    rows = table_rows(deck)
    assert [r[2] for r in rows] == list(table["项目"])
    assert rows[0][3] == exports.format_cell("预算（万元）", table.iloc[0]["预算（万元）"])


def test_pptx_long_table_is_split_over_native_tables(low_execution, no_chromium):
    assert len(low_execution) > 0
    table = pd.concat([low_execution] * math.ceil(60 / len(low_execution)), ignore_index=True)
    deck = make_deck([], table, table_title="低执行率项目")
    table_slides = [s for s in deck.slides if any(sh.has_table for sh in s.shapes)]
    assert len(table_slides) >= 2
    assert len(deck.slides) == 1 + len(table_slides)
    assert [r[2] for r in table_rows(deck)] == list(table["项目"])
    pages = [re.search(r"（(\d+)/(\d+)）", deck_text(s)).groups() for s in table_slides]
    assert pages == [(str(i), str(len(table_slides))) for i in range(1, len(table_slides) + 1)]
    for slide in table_slides:  # every table stays above the footer
        (frame,) = [sh for sh in slide.shapes if sh.has_table]
        height = sum(r.height for r in frame.table.rows)
        bottom_in = Emu(frame.top + height).inches
        assert bottom_in <= exports.SLIDE_HEIGHT_IN - exports.FOOTER_IN + 0.01


def test_pptx_very_long_table_is_cut_with_a_note(no_chromium):
    table = pd.DataFrame({"项目": [f"项目{i}" for i in range(350)], "预算（万元）": range(350)})
    deck = make_deck([], table)
    assert len(table_rows(deck)) == exports.TABLE_MAX_ROWS
    assert "XLSX" in deck_text(list(deck.slides)[-1])


def test_pptx_without_chromium_has_a_note_instead_of_an_image(no_chromium):
    deck = make_deck([("各单位预算执行率", bar_figure())], None)
    assert len(deck.slides) == 2
    chart = deck.slides[1]
    assert not [s for s in chart.shapes if s.shape_type == 13]
    assert "Chromium" in deck_text(chart)


def test_pptx_runs_use_a_cjk_typeface(no_chromium):
    deck = make_deck([], pd.DataFrame({"项目": ["甲"]}))
    xml = deck.slides[0].shapes[1]._element.xml
    assert f'<a:ea typeface="{exports.PPTX_FONT}"' in xml


# --- Streamlit side ---------------------------------------------------------------------------


def _buttons_script():
    import pandas as pd
    import plotly.graph_objects as go

    from dashboard.export_ui import chart_downloads, table_downloads

    chart_downloads(go.Figure(go.Bar(y=[1, 2])), "各单位 执行率", key="t_units")
    table_downloads(pd.DataFrame({"单位": ["甲"]}), "明细", key="t_units")


def _download_buttons(at: AppTest) -> dict:
    return {b.proto.label: b.proto for b in at.get("download_button")}


def test_buttons_are_lazy_and_do_not_rerun():
    at = AppTest.from_function(_buttons_script).run()
    assert not at.exception
    buttons = _download_buttons(at)
    assert set(buttons) == {"下载 PNG", "下载 SVG", "下载 CSV", "下载 Excel"}
    for proto in buttons.values():
        assert proto.ignore_rerun
        assert proto.deferred_file_id  # made on click, not on every page run


def test_without_chromium_the_chart_offers_html_and_says_why(no_chromium):
    at = AppTest.from_function(_buttons_script).run()
    assert not at.exception
    buttons = _download_buttons(at)
    assert "下载 HTML 图表" in buttons and "下载 PNG" not in buttons
    assert any("Chromium" in c.value for c in at.caption)
