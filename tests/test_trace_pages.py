"""Every number traceable: source links, the 原文 viewer, 文档, 数据质量 and 自评可信度 pages.

The known anomalies of the five seeds (hand-checked; encoded here, not read from the shared gold
file) must each be visible on 数据质量 with a link to the lines they are on, and the raw file must
say there what the anomaly is about.
"""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pyarrow.parquet as pq
import pytest
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from dashboard import exports, trace
from loaders.build import build
from loaders.document import Doc
from loaders.schema import TABLES

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"
TIMEOUT = 90
PAGES = {
    "credibility": ("views/credibility.py", "自评可信度"),
    "data_quality": ("views/data_quality.py", "数据质量"),
    "documents": ("views/documents.py", "文档"),
    "source_viewer": ("views/source_viewer.py", "原文"),
}
LINK = trace.LINK_HEADER

# (seed, code, project or None, line, words the raw line must contain): the anomalies of the
# seeds, each on the line where the document shows it.
KNOWN_ANOMALIES = [
    # 龙岗区: printed budget total 15,176.18 against 13,376.67 for the 34 rows
    ("000", "TOTAL_MISMATCH", None, 48, ("合计", "15,176.18")),
    # rows 15 and 17 report 100 % for 95.4 % and 98.6 %
    ("000", "RATE_MISMATCH", "其他一般管理事务", 27, ("其他一般管理事务", "100%")),
    ("000", "RATE_MISMATCH", "西餐业务", 29, ("西餐业务", "100%")),
    # rows 21 and 34 print no rate
    ("000", "RATE_MISSING", "医学人才培养项目", 34, ("医学人才培养项目",)),
    (
        "000",
        "RATE_MISSING",
        "龙岗中心医院核医学综合楼直线加速器机房建设及配套用房装修工程",
        47,
        ("龙岗中心医院核医学综合楼",),
    ),
    # 深圳市医学信息中心: one project without annex table, its two orphan rows, ##### cells
    (
        "001",
        "MISSING_TABLE",
        "信息化项目应用宣传项目推广和成果应用",
        542,
        ("信息化项目应用宣传项目",),  # the name wraps onto the next lines
    ),
    ("001", "ORPHAN_ROWS", None, 1706, ("增强广大人民群众获得感",)),
    ("001", "OVERFLOW_CELL", "社会办医院和社康中心网络升级", 1379, ("#####",)),
    (
        "001",
        "OVERFLOW_CELL",
        "深发改【2020】27号深圳市新建医院信息系统集中建设和管理工程",
        1405,
        ("#####",),
    ),
    ("001", "OVERFLOW_CELL", "深圳市人口健康信息化工程建设", 1429, ("#####",)),
    # 浏阳市: 131 % overall, 903 % on 基本支出
    ("004", "RATE_OVER_100", "浏阳市卫生健康局", 17, ()),
    ("004", "RATE_OVER_100", "基本支出", 29, ()),
]
# findings that span lines link their last one too: the two orphan rows and their 总分 line
ANOMALY_ENDS = {("001", "ORPHAN_ROWS", 1706): 1708}
# the projects whose annex cells overflowed: the annex table (header line) is linked
OVERFLOW_PROJECTS = [a[2] for a in KNOWN_ANOMALIES if a[1] == "OVERFLOW_CELL"]


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("trace") / "parquet"
    build(RAW, out)
    return out


@pytest.fixture(scope="module")
def tables(parquet_dir) -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(parquet_dir / f"{t}.parquet") for t in TABLES}


@pytest.fixture(scope="module")
def doc_ids(tables) -> dict[str, str]:
    """Seed prefix ('000') -> doc_id."""
    return {
        f[:3]: d
        for d, f in zip(
            tables["documents"]["doc_id"], tables["documents"]["source_file"], strict=True
        )
    }


@pytest.fixture(scope="module")
def raw_lines() -> dict[str, list[str]]:
    """Seed prefix -> the raw file's lines, numbered as the loaders number them."""
    out = {}
    for path in sorted(RAW.glob("*.txt")):
        out[path.name[:3]] = Doc.from_bytes(path.name, path.read_bytes()).lines
    return out


@pytest.fixture
def app(parquet_dir, monkeypatch):
    monkeypatch.setenv("DASHBOARD_PARQUET_DIR", str(parquet_dir))

    def open_page(page: str, query: dict | None = None) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.run()
        at.switch_page(PAGES[page][0] if page in PAGES else page).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_page


def frames(at: AppTest) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


def frame_with(at: AppTest, *columns: str) -> pd.DataFrame:
    found = [f for f in frames(at) if set(columns) <= set(f.columns)]
    assert found, f"no table with columns {columns}"
    return found[0]


def link_params(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    assert parts.path == trace.SOURCE_PAGE
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


# --- pure parts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "url"),
    [
        (("d-1", 27, 29), "source_viewer?doc=d-1&line=27&end=29"),
        (("d-1", 27, 27), "source_viewer?doc=d-1&line=27&end=27"),
        (("d-1", 27, None), "source_viewer?doc=d-1&line=27"),
        (("d-1", 27.0, float("nan")), "source_viewer?doc=d-1&line=27"),
        (("d-1", 27, 20), "source_viewer?doc=d-1&line=27"),  # end before line: dropped
        (("d-1", None, 30), "source_viewer?doc=d-1"),
        (("d-1", 0, None), "source_viewer?doc=d-1"),
        (("龙岗 a&b", 3, 4), "source_viewer?doc=%E9%BE%99%E5%B2%97+a%26b&line=3&end=4"),
        ((None, 3, 4), None),
        ((float("nan"), 3, 4), None),
    ],
)
def test_source_link(args, url):
    assert trace.source_link(*args) == url


@pytest.mark.parametrize(
    ("params", "target"),
    [
        ({"doc": "x", "line": "5", "end": "9"}, trace.Target("x", 5, 9)),
        ({"doc": "x", "line": "5"}, trace.Target("x", 5, None)),
        ({"doc": "x", "line": "5", "end": "2"}, trace.Target("x", 5, None)),
        ({"doc": "x", "line": "abc", "end": "9"}, trace.Target("x")),
        ({"doc": "x", "line": "-3"}, trace.Target("x")),
        ({"doc": " "}, trace.Target()),
        ({}, trace.Target()),
    ],
)
def test_parse_target(params, target):
    assert trace.parse_target(params) == target


def test_clamp_and_parts():
    assert trace.clamp(trace.Target("x", 5, 900), 100) == trace.Target("x", 5, 100)
    assert trace.clamp(trace.Target("x", 500, 600), 100) == trace.Target("x")
    assert trace.part_of(trace.Target("x", 5), 100) == (1, 100)
    long = trace.VIEW_LINES * 3
    first, last = trace.part_of(trace.Target("x", 4000, 4010), long)
    assert first == 4000 - trace.CONTEXT_LINES and last - first + 1 == trace.VIEW_LINES
    assert trace.part_of(trace.Target("x", 8990, 8995), long) == (8990 - trace.CONTEXT_LINES, long)
    assert trace.parts(long)[1] == (trace.VIEW_LINES + 1, 2 * trace.VIEW_LINES)


def test_lines_html_escapes_numbers_and_highlights():
    lines = ["标题", "<b>a</b>\t1,000.00", "合计\t15,176.18", "尾"]
    out = trace.lines_html(lines, 1, 4, trace.Target("x", 2, 3))
    assert '<div class="ln" id="L1">' in out
    assert '<div class="ln hl" id="L2">' in out and '<div class="ln hl" id="L3">' in out
    assert '<div class="ln" id="L4">' in out
    assert "&lt;b&gt;a&lt;/b&gt;" in out and "<b>a</b>" not in out
    assert 'getElementById("L2")' in out  # scrolled to the first highlighted line
    assert "scrollTop" in trace.lines_html(lines, 1, 4, trace.Target("x", 4))
    assert "<script>" not in trace.lines_html(lines, 1, 4)


def test_with_links_follows_the_rows():
    rows = pd.DataFrame(
        {"doc_id": ["a", "b"], "source_line": [3, None], "end_line": [5, None]}, index=[7, 9]
    )
    table = pd.DataFrame({"项目": ["甲", "乙"]})
    out = trace.with_links(table, rows)
    assert out[LINK].tolist() == ["source_viewer?doc=a&line=3&end=5", "source_viewer?doc=b"]


def test_pptx_takes_more_tables():
    first = pd.DataFrame({"项目": ["甲"], "得分": [96.0]})
    second = pd.DataFrame({"指标": ["满意度"], "矛盾之处": ["完成值「未完成」表示未完成"]})
    deck = Presentation(
        io.BytesIO(
            exports.pptx_bytes(
                "自评可信度", {}, "", [], [], first, "脚注", table_title="复算",
                more_tables=[("矛盾", second)],
            )
        )
    )  # fmt: skip
    texts = [
        " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        for slide in deck.slides
    ]
    assert len(deck.slides) == 3
    assert "复算" in texts[1] and "矛盾" in texts[2]


# --- every page renders -----------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_the_seeds(app, page):
    at = app(page)
    assert at.title[0].value == f"绩效看板 · {PAGES[page][1]}"
    assert not at.error or page == "data_quality"  # 数据质量 names the missing annex table


@pytest.mark.parametrize("page", PAGES)
def test_page_without_data_says_so(page, tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_PARQUET_DIR", str(tmp_path / "nothing"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page(PAGES[page][0]).run()
    assert not at.exception
    assert "尚未生成数据" in at.info[0].value


@pytest.mark.parametrize("page", PAGES)
def test_page_with_documents_but_no_rows_explains(page, parquet_dir, tmp_path, monkeypatch):
    (tmp_path / "documents.parquet").write_bytes((parquet_dir / "documents.parquet").read_bytes())
    for name in ("projects", "indicators", "findings", "totals"):
        pq.write_table(TABLES[name].empty_table(), tmp_path / f"{name}.parquet")
    monkeypatch.setenv("DASHBOARD_PARQUET_DIR", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page(PAGES[page][0]).run()
    assert not at.exception, [e.value for e in at.exception]


# --- 数据质量: the known anomalies, each with a link to its lines ---------------------------


@pytest.mark.parametrize(
    ("seed", "code", "project", "line", "words"),
    KNOWN_ANOMALIES,
    ids=[f"{a[0]}-{a[1]}-{a[3]}" for a in KNOWN_ANOMALIES],
)
def test_known_anomaly_is_on_data_quality_with_a_link_to_its_line(
    app, doc_ids, raw_lines, seed, code, project, line, words
):
    at = app("data_quality")
    table = frame_with(at, "代码", "项目", "行号", LINK)
    rows = table[(table["代码"] == code) & (table["行号"] == line)]
    if project is not None:
        rows = rows[rows["项目"] == project]
    assert len(rows) >= 1, f"{code} {project} at line {line} not shown"
    link = rows[LINK].iloc[0]
    end = ANOMALY_ENDS.get((seed, code, line))
    assert link == trace.source_link(doc_ids[seed], line, end)
    ends = {"end": str(end)} if end else {}
    assert link_params(link) == {"doc": doc_ids[seed], "line": str(line), **ends}
    text = raw_lines[seed][line - 1]
    for word in words:
        assert word in text, f"line {line} of {seed} does not show {word!r}: {text[:80]}"


def test_findings_can_be_narrowed_by_severity_and_code(app):
    at = app("data_quality")
    at.multiselect(key="dq_severity").select("warning").run()
    at.multiselect(key="dq_code").select("OVERFLOW_CELL").run()
    table = frame_with(at, "代码", "行号", LINK)
    assert set(table["代码"]) == {"OVERFLOW_CELL"} and set(table["级别"]) == {"警告"}
    assert len(table) == 4 + 2 + 6  # the ##### cells of the three projects


def test_printed_totals_beside_the_sum_of_rows(app, doc_ids):
    at = app("data_quality")
    totals = frame_with(at, "印发合计（万元）", "各行之和（万元）")
    longgang = totals[totals[LINK].map(lambda u: link_params(u)["doc"]) == doc_ids["000"]]
    budget = longgang[longgang["金额"] == "预算"].iloc[0]
    assert budget["印发合计（万元）"] == pytest.approx(15176.18)
    assert budget["各行之和（万元）"] == pytest.approx(13376.67)
    assert budget["核对结果"] == "不一致"
    assert budget[LINK] == trace.source_link(doc_ids["000"], 48)
    actual = longgang[longgang["金额"] == "实际支出"].iloc[0]
    assert actual["印发合计（万元）"] == pytest.approx(13040.78)
    assert actual["核对结果"] == "一致"
    futian = totals[totals[LINK].map(lambda u: link_params(u)["doc"]) == doc_ids["002"]]
    (row,) = futian.to_dict("records")
    assert "金额合计" in row["合计项"]
    assert row["印发合计（万元）"] == pytest.approx(69913.34)
    assert row["各行之和（万元）"] == pytest.approx(69913.34)
    assert row["核对结果"] == "一致"


def test_narrative_against_annex_names_the_missing_table(app, doc_ids, raw_lines):
    at = app("data_quality")
    assert any(
        "附件中缺少以下项目的自评表" in e.value
        and "信息化项目应用宣传项目推广和成果应用" in e.value
        for e in at.error
    )
    assert any("增强广大人民群众获得感" in w.value for w in at.warning)  # the orphan rows
    annex = frame_with(at, "正文预算（万元）", "附件预算（万元）", f"{LINK}（附件）")
    assert len(annex) == 33
    missing = annex[annex["项目"] == "信息化项目应用宣传项目推广和成果应用"].iloc[0]
    assert missing["核对结果"] == "附件缺表" and pd.isna(missing[f"{LINK}（附件）"])
    # the narrative amounts are 万元, the annex's 元 converted: they agree
    office = annex[annex["项目"] == "办公设备采购"].iloc[0]
    assert office["核对结果"] == "一致"
    assert office["附件执行（万元）"] == pytest.approx(31.6739)
    assert office["正文执行（万元）"] == pytest.approx(31.67)
    for project in OVERFLOW_PROJECTS:
        row = annex[annex["项目"] == project].iloc[0]
        assert row["核对结果"] == "附件部分缺失"
        assert pd.isna(row["附件预算（万元）"])
        header = int(link_params(row[f"{LINK}（附件）"])["line"])
        assert project in raw_lines["001"][header - 1]  # 项目名称 line of the annex table
        lines = link_params(row[LINK])
        text = "".join(raw_lines["001"][int(lines["line"]) - 1 : int(lines["end"])])
        assert project in "".join(text.split())  # the narrative's lines (names wrap)


def test_weights_and_scores_add_up_to_the_printed_total(app):
    at = app("data_quality")
    sums = frame_with(at, "分值合计", "得分合计", "印发总分")
    complete = sums[sums["项目"] != "信息化项目应用宣传项目推广和成果应用"]
    assert len(complete) == 32 + 14
    assert (complete["分值核对"] == "一致").all() and (complete["得分核对"] == "一致").all()
    assert (complete["得分合计"] - complete["印发总分"]).abs().max() < 0.011
    missing = sums[sums["项目"] == "信息化项目应用宣传项目推广和成果应用"].iloc[0]
    assert missing["得分核对"] == "缺失"


def test_printed_against_computed_rates(app, doc_ids):
    at = app("data_quality")
    rates = frame_with(at, "印发执行率（%）", "计算执行率（%）", "核对结果")
    other = rates[rates["项目"] == "其他一般管理事务"].iloc[0]
    assert other["核对结果"] == "不一致"
    assert other["差（百分点）"] == pytest.approx(100 - 204.22 / 213.97 * 100)
    assert other[LINK] == trace.source_link(doc_ids["000"], 27, 27)
    assert rates.loc[rates["项目"] == "医学人才培养项目", "核对结果"].iloc[0] == "未印发"
    assert "一致" not in set(rates["核对结果"])  # only the problems by default
    at.toggle(key="dq_rates_only").set_value(False).run()
    assert "一致" in set(frame_with(at, "印发执行率（%）", "核对结果")["核对结果"])


# --- 原文: opened from a link --------------------------------------------------------------


def test_source_viewer_opened_from_a_link_highlights_those_lines(app, doc_ids):
    doc = doc_ids["000"]
    at = app("source_viewer", {"doc": doc, "line": "27", "end": "29"})
    assert at.selectbox(key="source_doc").value == doc
    body = at.html[0].value
    for n in (27, 28, 29):
        assert f'<div class="ln hl" id="L{n}">' in body
    for n in (26, 30):
        assert f'<div class="ln" id="L{n}">' in body
    assert body.count('class="ln hl"') == 3
    assert 'getElementById("L27")' in body
    assert any("第 27–29 行" in m.value for m in at.markdown)
    read = frame_with(at, "类别", "名称", "行号")
    assert {"其他一般管理事务", "全区干部体检", "西餐业务"} <= set(read["名称"])
    assert "RATE_MISMATCH" in set(read["名称"])
    (button,) = at.get("download_button")
    assert button.label == "下载原文件"


def test_source_viewer_keeps_the_link_and_drops_lines_when_another_document_is_chosen(app, doc_ids):
    at = app("source_viewer", {"doc": doc_ids["000"], "line": "48"})
    at.selectbox(key="source_doc").set_value(doc_ids["003"]).run()
    assert not at.exception
    params = {k: v if isinstance(v, str) else v[0] for k, v in at.query_params.items()}
    assert params.get("doc") == doc_ids["003"] and "line" not in params
    assert 'class="ln hl"' not in at.html[0].value


def test_source_viewer_with_a_bad_link_says_so(app, doc_ids):
    at = app("source_viewer", {"doc": "no-such-doc", "line": "3"})
    assert any("不在当前数据中" in w.value for w in at.warning)
    at = app("source_viewer", {"doc": doc_ids["000"], "line": "9999"})
    assert any("超出了文档" in w.value for w in at.warning)
    assert 'class="ln hl"' not in at.html[0].value


def test_source_viewer_without_the_raw_file_explains(app, doc_ids, tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_RAW_DIR", str(tmp_path))
    at = app("source_viewer", {"doc": doc_ids["001"], "line": "3"})
    assert any("不在" in e.value for e in at.error)


# --- the existing pages link every row ------------------------------------------------------


def test_low_execution_rows_link_to_their_lines(app, doc_ids, raw_lines):
    at = app("views/low_execution.py")
    low = frame_with(at, "未执行（万元）", LINK)
    row = low[low["项目"] == "智慧龙岗2.0B包项目一卫健信息系统提升完善工程"].iloc[0]
    assert row[LINK] == trace.source_link(doc_ids["000"], 42, 42)
    assert "智慧龙岗2.0B包项目一卫健信息系统提升完善工程" in raw_lines["000"][41]
    assert low[LINK].notna().all()
    over = frame_with(at, "印发执行率（%）", LINK)
    assert over[LINK].notna().all()


@pytest.mark.parametrize("page", ["views/budget_execution.py", "views/indicators.py"])
def test_every_table_of_the_existing_pages_links_its_rows(app, page):
    at = app(page)
    shown = [f for f in frames(at) if len(f)]
    assert shown
    for frame in shown:
        assert LINK in frame.columns, list(frame.columns)
        assert frame[LINK].notna().all()
        assert all(u.startswith(f"{trace.SOURCE_PAGE}?doc=") for u in frame[LINK])


# --- 文档 and 自评可信度 ---------------------------------------------------------------------


def test_documents_page_lists_provenance(app, tables):
    at = app("documents")
    table = frame_with(at, "年度来源", "sha256", LINK)
    docs = tables["documents"]
    assert sorted(table["sha256"]) == sorted(docs["sha256"])
    putuo = table[table["来源文件"].str.startswith("003")].iloc[0]
    assert putuo["年度来源"] == "sources.toml 补录" and putuo["年度"] == 2023
    counts = tables["projects"].groupby("doc_id").size()
    for row in table.to_dict("records"):
        doc = link_params(row[LINK])["doc"]
        assert row["预算行"] == counts.get(doc, 0)


def test_credibility_page_recomputes_and_exports(app):
    at = app("credibility")
    formula = frame_with(at, "复算得分", "印发得分", "复算结果")
    assert len(formula) == 14 + 33 + 2  # projects of 003 and 001, two department evaluations
    assert (formula["复算结果"] == "一致").sum() == len(formula) - 1
    assert any("信息化项目应用宣传项目推广和成果应用" in w.value for w in at.warning)
    warnings = frame_with(at, "预警", "得分率差（百分点）")
    assert "社会办医院和社康中心网络升级" in set(warnings["项目"])
    labels = {b.label for b in at.get("download_button")}
    assert {"导出 Excel（全部表格）", "导出会议材料"} <= labels
    no_reason = frame_with(at, "三级指标", "得分", LINK)
    assert len(no_reason) and no_reason[LINK].notna().all()


def test_the_build_keeps_every_printed_total_it_checked():
    from loaders.crosscheck import check_total

    checked: list[dict] = []
    assert check_total("合计行", 10.0, 9.0, 5, totals=checked)
    assert check_total("合计行", 10.0, 10.0, 5, totals=checked) == []
    checked.clear()
    check_total("合计行", 15176.18, 13376.67, 48, totals=checked)
    check_total("任务表「金额合计」", 69913.34, 69913.34, 33, totals=checked)
    check_total("合计行", None, 12.0, 50, totals=checked)  # nothing printed: nothing to reconcile
    assert [(c["label"], c["reported_wan"], c["rows_sum_wan"]) for c in checked] == [
        ("合计行", 15176.18, 13376.67),
        ("任务表「金额合计」", 69913.34, 69913.34),
    ]
    assert checked[0]["difference_wan"] == pytest.approx(1799.51)
    assert checked[1]["difference_wan"] == 0 and checked[1]["source_line"] == 33


def test_totals_leave_a_parser_in_its_result():
    """Parsed.totals carries the printed totals to the build: no state outside the parser."""
    import loaders.crosscheck as crosscheck
    from loaders.build import read_document

    assert not hasattr(crosscheck, "recording_totals")
    for name in ("000_8a770645b8ccef32.txt", "002_eae1af3fc182f435.txt"):
        result = read_document(name, (RAW / name).read_bytes())
        assert result["totals"] and {t["doc_id"] for t in result["totals"]} == {
            result["document"]["doc_id"]
        }
    again = read_document(name, (RAW / name).read_bytes())
    assert again["totals"] == result["totals"]  # nothing carried over from an earlier parse


def test_a_long_document_is_shown_in_parts_around_the_link(tmp_path, monkeypatch):
    raw, out = tmp_path / "raw", tmp_path / "parquet"
    raw.mkdir()
    n = trace.VIEW_LINES * 2 + 500
    (raw / "long.txt").write_text("\n".join(f"第{i}行\t内容 {i}" for i in range(1, n + 1)))
    build(raw, out)
    doc = pd.read_parquet(out / "documents.parquet")["doc_id"].iloc[0]
    monkeypatch.setenv("DASHBOARD_PARQUET_DIR", str(out))
    monkeypatch.setenv("DASHBOARD_RAW_DIR", str(raw))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params.update({"doc": doc, "line": str(n - 10), "end": str(n - 9)})
    at.run()
    at.switch_page(PAGES["source_viewer"][0]).run()
    assert not at.exception
    body = at.html[0].value
    first = n - 10 - trace.CONTEXT_LINES
    assert f'id="L{first}"' in body and f'id="L{first - 1}"' not in body
    assert f'<div class="ln hl" id="L{n - 10}">' in body and f'id="L{n}"' in body
    assert "第" in body and f"第{n - 10}行" in body
    # without a line the document is read part by part
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["doc"] = doc
    at.run()
    at.switch_page(PAGES["source_viewer"][0]).run()
    part = at.selectbox(key="source_part")
    assert len(part.options) == 3
    part.set_value(part.options[1]).run()
    body = at.html[0].value
    assert f'id="L{trace.VIEW_LINES + 1}"' in body and 'id="L1"' not in body


def test_a_total_over_rows_with_unreadable_amounts_is_unchecked_not_a_mismatch(tmp_path):
    """##### rows leave the sum short: the total cannot be checked, so no TOTAL_MISMATCH."""
    from dashboard import reconcile
    from loaders.crosscheck import check_total
    from synth import generate

    checked: list[dict] = []
    # may be the ##### rows
    assert check_total("合计行", 100.0, 60.0, 5, missing=2, totals=checked) == []
    below = check_total("合计行", 50.0, 60.0, 6, missing=2, totals=checked)  # below known rows
    assert [f.code for f in below] == ["TOTAL_MISMATCH"]
    assert [c["rows_missing"] for c in checked] == [2, 2]

    doc = next(
        d
        for d in (generate(i, 3) for i in range(400))
        if d.kind == "project_summary_table" and "\n#####" in d.text.replace("\t", "\n")
    )
    raw, out = tmp_path / "raw", tmp_path / "parquet"
    raw.mkdir()
    (raw / "summary.txt").write_text(doc.text)
    build(raw, out)
    findings = pd.read_parquet(out / "findings.parquet")
    assert "OVERFLOW_CELL" in set(findings["code"])
    totals = pd.read_parquet(out / "totals.parquet")
    assert (totals["rows_missing"] > 0).any()
    table = reconcile.totals_table(totals, pd.read_parquet(out / "documents.parquet"))
    short = table[table["rows_missing"] > 0]
    assert set(short["state"]) <= {reconcile.UNCHECKABLE, reconcile.AGREES, reconcile.DIFFERS}
    unchecked = short[short["state"] == reconcile.UNCHECKABLE]
    assert len(unchecked) and (unchecked["difference_wan"] > 0).all()
    mismatches = findings[findings["code"] == "TOTAL_MISMATCH"]["message"]
    assert not any("合计行印发的" in m for m in mismatches)
