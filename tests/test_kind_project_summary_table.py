"""Golden tests for project_summary_table on the 龙岗区 seed, and synthetic layouts of the same form."""

from __future__ import annotations

import re

import pytest

from loaders import layout
from loaders.build import read_document
from loaders.document import Doc
from loaders.kinds import detect
from loaders.kinds import project_summary_table as pst

KIND = "project_summary_table"

# Hand-checked from the printed table: (序号, project, budget 万元, actual 万元, printed rate %).
SEED_ROWS = [
    (1, "办公楼修缮", 53.59, 51.72, 97.0),
    (2, "办公设备购置", 52.51, 52.51, 100.0),
    (3, "党建工作", 27.0, 26.95, 100.0),
    (4, "独生子女父母奖励金", 2202.8, 2202.8, 100.0),
    (5, "独生子女伤残及失独家庭扶助金", 282.6, 282.6, 100.0),
    (6, "高龄老人意外险项目", 200.0, 152.0, 76.0),
    (7, "公共事件安全应急工作", 30.1, 30.1, 100.0),
    (8, "超基本医疗补助", 96.93, 96.93, 100.0),
    (9, "计生协会工作", 478.0, 477.92, 100.0),
    (10, "家属统筹医疗费项目", 600.0, 600.0, 100.0),
    (11, "家庭能力建设", 13.99, 10.34, 74.0),
    (12, "健康教育和宣传工作", 245.0, 244.99, 100.0),
    (13, "老龄业务工作", 176.0, 157.01, 89.0),
    (14, "老人免费体检", 2578.0, 2577.99, 100.0),
    (15, "其他一般管理事务", 213.97, 204.22, 100.0),
    (16, "全区干部体检", 0.02, 0.02, 100.0),
    (17, "西餐业务", 234.98, 231.74, 100.0),
    (18, "卫计系统财务管理及审计", 166.22, 164.42, 100.0),
    (19, "医疗卫生应急项目", 50.0, 0.0, 0.0),
    (20, "医师节及护士节活动", 49.88, 49.88, 100.0),
    (21, "医学人才培养项目", 82.86, 82.85, None),
    (22, "医院等级评审及医疗质量管理", 79.78, 79.57, 100.0),
    (23, "疫情防控工作", 42.49, 42.42, 100.0),
    (24, "区卫健系统新会计制度财务系统更换工程项目", 320.0, 320.0, 100.0),
    (25, "信息系统建设", 958.67, 924.5, 98.0),
    (26, "医院三甲复审（评审）配套信息化项目", 55.0, 55.0, 100.0),
    (27, "北京中医药大学深圳医院（龙岗）园山门诊部信息化基础建设工程", 20.0, 8.2, 41.0),
    (28, "智慧龙岗2.0B包项目一龙岗区民营医疗机构卫生管理系统", 50.0, 47.77, 98.0),
    (29, "智慧龙岗2.0B包项目一卫健信息系统提升完善工程", 200.0, 51.6, 28.0),
    (30, "龙岗区新建医院信息化基础建设工程（骨科医院一期）", 1300.0, 1300.0, 100.0),
    (31, "龙岗区区域医院信息系统及区域卫生信息平台升级建设工程", 2400.0, 2400.0, 100.0),
    (32, "龙岗医疗及公共卫生信息系统建设", 82.0, 82.0, 100.0),
    (33, "环卫及幼幼管理工作", 8.0, 6.46, 81.0),
    (34, "龙岗中心医院核医学综合楼直线加速器机房建设及配套用房装修工程", 26.28, 26.28, None),
]
TOTAL_LINE = 48  # the 合计 row of the seed
PRINTED_TOTAL_BUDGET = "15,176.18"
ROWS_BUDGET_SUM = "13,376.67"


def seed_text(seed_doc) -> str:
    return seed_doc("000").text


def assert_seed_rows(projects: list[dict]) -> None:
    """The 34 rows, in order, with the printed amounts and rates (any layout of the same table)."""
    assert [p["level"] for p in projects] == ["project"] * len(SEED_ROWS)
    for p, (_seq, name, budget, actual, rate) in zip(projects, SEED_ROWS, strict=True):
        assert p["project"] == name
        assert p["budget_wan"] == pytest.approx(budget, abs=1e-6)
        assert p["actual_wan"] == pytest.approx(actual, abs=1e-6)
        if rate is None:
            assert p["reported_rate_pct"] is None
        else:
            assert p["reported_rate_pct"] == pytest.approx(rate)


def codes(findings) -> list[str]:
    return [f.code if hasattr(f, "code") else f["code"] for f in findings]


# ---------------------------------------------------------------- the seed


def test_seed_is_detected_as_summary_table(seed_doc):
    kind, score = detect(seed_doc("000"))[0]
    assert kind == KIND and score >= 0.6


def test_seed_projects_amounts_and_rates(seed_result):
    result = seed_result("000")
    assert_seed_rows(result["projects"])
    assert result["document"]["doc_kind"] == KIND


def test_seed_source_lines_point_at_the_rows(seed_doc, seed_result):
    doc = seed_doc("000")
    for p, (seq, *_rest) in zip(seed_result("000")["projects"], SEED_ROWS, strict=True):
        assert doc.cells(p["source_line"])[0] == str(seq)


def test_seed_metadata(seed_result):
    document = seed_result("000")["document"]
    assert document["unit"] == "深圳市龙岗区卫生健康局"
    assert document["year"] == 2021
    assert document["amount_unit"] == "万元"
    assert document["district"] == "龙岗区"


def test_seed_total_mismatch_on_the_total_line(seed_result):
    findings = [f for f in seed_result("000")["findings"] if f["code"] == "TOTAL_MISMATCH"]
    budget = [
        f
        for f in findings
        if PRINTED_TOTAL_BUDGET in f["message"] and ROWS_BUDGET_SUM in f["message"]
    ]
    assert len(budget) == 1
    assert budget[0]["source_line"] == TOTAL_LINE
    # The printed actual total (13,040.78) is the sum of the rows: no finding compares the two.
    assert not [f for f in findings if "实际支出合计 13,040.78 万元 与各行之和" in f["message"]]


def test_seed_total_row_is_not_a_project(seed_result):
    assert all(p["project"] != "合计" for p in seed_result("000")["projects"])


def test_seed_rate_findings(seed_result):
    findings = seed_result("000")["findings"]
    mismatched = {f["project"] for f in findings if f["code"] == "RATE_MISMATCH"}
    assert {"其他一般管理事务", "西餐业务"} <= mismatched
    missing = {f["project"] for f in findings if f["code"] == "RATE_MISSING"}
    assert missing == {SEED_ROWS[20][1], SEED_ROWS[33][1]}


def test_seed_problems_and_rectification(seed_result):
    by_name = {p["project"]: p for p in seed_result("000")["projects"]}
    family = by_name["家庭能力建设"]
    assert family["problems"].startswith("3.65万元收回")
    assert family["rectification"] == "被财政中心统筹收回"
    # 无 in both columns is no problem at all.
    assert by_name["办公楼修缮"]["problems"] is None
    assert by_name["办公楼修缮"]["rectification"] is None


def test_seed_indicators_of_one_project(seed_result):
    rows = [i for i in seed_result("000")["indicators"] if i["project"] == "独生子女父母奖励金"]
    assert [i["name"] for i in rows] == [
        "独生子女父母奖励金发放率(%)",
        "补发奖励标准达标率",
        "发放及时率(%)",
        "计划生育考核达标率(%)",
        "补发对象满意度",
    ]
    assert [i["level2"] for i in rows] == [
        "数量指标",
        "质量指标",
        "时效指标",
        "社会效益指标",
        "服务对象满意度指标",
    ]
    first = rows[0]
    assert (first["level1"], first["target_text"], first["actual_text"]) == (
        "产出指标",
        "不低于100%",
        "已完成",
    )
    assert (first["target_op"], first["target_value"], first["status"]) == (">=", 100.0, "met")
    assert rows[-1]["level1"] == "满意度指标"
    assert all(i["source_line"] == 16 for i in rows)


def test_seed_indicators_are_sane(seed_result):
    result = seed_result("000")
    projects = {p["project"] for p in result["projects"]}
    indicators = result["indicators"]
    assert len(indicators) >= 4 * len(projects)
    for i in indicators:
        assert i["project"] in projects
        assert i["level1"] in {"产出指标", "效益指标", "满意度指标"}
        assert "不适用" not in (i["name"], i["target_text"], i["actual_text"])
        assert i["name"] != "无"
        assert i["status"] in {"met", "not_met", "unknown"}
    # Every project has one satisfaction indicator at the end of its row, where it printed one.
    satisfied = {i["project"] for i in indicators if i["level1"] == "满意度指标"}
    assert len(satisfied) >= 30


# ---------------------------------------------------------------- layouts of the same table

AMOUNT = re.compile(r"^[\d,]+\.\d{2}$")


def _table_bounds(lines: list[str]) -> tuple[int, int]:
    start = next(i for i, line in enumerate(lines) if line.startswith("序号"))
    end = next(i for i, line in enumerate(lines) if line.startswith("合计"))
    return start, end


def single_spaces(text: str) -> str:
    """Every run of tabs becomes one space: rows flattened onto one space-separated line."""
    return "\n".join(re.sub(r"\t+", " ", line).strip() for line in text.split("\n"))


def wide_spaces(text: str) -> str:
    return text.replace("\t", "   ")


def in_yuan(text: str) -> str:
    """Amounts printed in 元 (×10,000) under 单位：元."""
    out = []
    for line in text.split("\n"):
        if line.startswith("单位："):
            line = "单位：元"
        elif re.match(r"^(\d+|合计)\t", line):
            cells = line.split("\t")
            cells = [
                f"{float(c.replace(',', '')) * 10000:,.2f}" if AMOUNT.match(c) else c for c in cells
            ]
            line = "\t".join(cells)
        out.append(line)
    return "\n".join(out)


def renamed_headers(text: str) -> str:
    return (
        text.replace("项目年度预算金额", "调整后预算数")
        .replace("实际支出金额", "执行数")
        .replace("预算支出 执行率 (必填)", "执行率")
    )


def whole_table_one_line(text: str) -> str:
    lines = text.split("\n")
    start, end = _table_bounds(lines)
    flat = " ".join(
        re.sub(r"\t+", " ", line).strip() for line in lines[start : end + 1] if line.strip()
    )
    return "\n".join([*lines[:start], flat, *lines[end + 1 :]])


def one_cell_per_line(text: str) -> str:
    lines = text.split("\n")
    start, _end = _table_bounds(lines)
    out = lines[:start]
    for line in lines[start:]:
        out += [c.strip() for c in line.split("\t") if c.strip()]
    return "\n".join(out)


def page_break(text: str) -> str:
    """A page break inside row 18: page mark, repeated header, then the rest of the row."""
    lines = text.split("\n")
    start, _end = _table_bounds(lines)
    header = lines[start : start + 4]
    i = next(k for k, line in enumerate(lines) if line.startswith("18\t"))
    cells = lines[i].split("\t")
    before, after = "\t".join(cells[:9]), "\t".join(cells[9:])
    return "\n".join(
        [*lines[:i], before, "\f", "第 1 页 共 2 页", "", *header, after, *lines[i + 1 :]]
    )


def plain_rates(text: str) -> str:
    """The rate cell printed without % ('97.00' instead of '97%')."""
    out = []
    for line in text.split("\n"):
        cells = line.split("\t")
        if re.match(r"^\d+$", cells[0]) and len(cells) > 7 and cells[7].endswith("%"):
            cells[7] = f"{int(cells[7][:-1]):.2f}"
        out.append("\t".join(cells))
    return "\n".join(out)


def four_decimals(text: str) -> str:
    out = []
    for line in text.split("\n"):
        if re.match(r"^(\d+|合计)\t", line):
            line = "\t".join(f"{c}00" if AMOUNT.match(c) else c for c in line.split("\t"))
        out.append(line)
    return "\n".join(out)


def ocr_gaps_flat(text: str) -> str:
    """OCR spacing inside amounts ('2, 202. 80') on rows flattened with single spaces."""
    return single_spaces(re.sub(r"(\d),(\d{3})\.(\d\d)", r"\1, \2. \3", text))


def cells_per_line_in_yuan_renamed(text: str) -> str:
    return one_cell_per_line(in_yuan(renamed_headers(text)))


LAYOUTS = [
    ocr_gaps_flat,
    cells_per_line_in_yuan_renamed,
    single_spaces,
    wide_spaces,
    in_yuan,
    renamed_headers,
    whole_table_one_line,
    one_cell_per_line,
    page_break,
    plain_rates,
    four_decimals,
]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda f: f.__name__)
def test_layout_variant_reads_the_same_rows(seed_doc, layout):
    text = layout(seed_text(seed_doc))
    doc = Doc.from_text(text, f"{layout.__name__}.txt")
    assert detect(doc)[0][0] == KIND
    result = read_document(doc.source_file, text.encode("utf-8"))
    assert result["document"]["doc_kind"] == KIND
    assert_seed_rows(result["projects"])
    found = codes(result["findings"])
    assert "TOTAL_MISMATCH" in found and "RATE_MISMATCH" in found
    assert result["document"]["year"] == 2021
    assert result["document"]["unit"] == "深圳市龙岗区卫生健康局"
    assert len(result["indicators"]) >= 4 * len(SEED_ROWS)


@pytest.mark.parametrize(
    "layout", [single_spaces, wide_spaces, one_cell_per_line, page_break], ids=lambda f: f.__name__
)
def test_layout_variant_source_lines(seed_doc, layout):
    text = layout(seed_text(seed_doc))
    lines = Doc.from_text(text).lines
    result = pst.parse(Doc.from_text(text))
    for p, (seq, *_rest) in zip(result.projects, SEED_ROWS, strict=True):
        assert re.split(r"\s", lines[p["source_line"] - 1].strip())[0] == str(seq)
    total = next(f for f in result.findings if f.code == "TOTAL_MISMATCH")
    assert lines[total.source_line - 1].startswith("合计")


def test_ocr_variant_really_has_gaps(seed_doc):
    assert "2, 202. 80" in ocr_gaps_flat(seed_text(seed_doc))


def test_total_rate_mismatch_names_no_project(seed_result):
    on_total = [f for f in seed_result("000")["findings"] if f["source_line"] == TOTAL_LINE]
    assert {f["code"] for f in on_total} >= {"TOTAL_MISMATCH", "RATE_MISMATCH"}
    assert all(f["project"] is None for f in on_total)


def test_yuan_variant_keeps_its_unit(seed_doc):
    result = read_document("yuan.txt", in_yuan(seed_text(seed_doc)).encode("utf-8"))
    assert result["document"]["amount_unit"] == "元"
    message = next(f["message"] for f in result["findings"] if f["code"] == "TOTAL_MISMATCH")
    assert "15,176.18 万元" in message


def test_page_break_does_not_make_indicators_of_the_page_mark(seed_doc):
    result = pst.parse(Doc.from_text(page_break(seed_text(seed_doc))))
    texts = {t for i in result.indicators for t in (i["name"], i["actual_text"], i["target_text"])}
    assert not {"第", "页", "1", "共"} & texts
    row = next(p for p in result.projects if p["project"] == "卫计系统财务管理及审计")
    assert row["end_line"] > row["source_line"]


def test_gb18030_copy_gives_the_same_rows(seed_doc):
    result = read_document("gb.txt", seed_text(seed_doc).encode("gb18030"))
    assert_seed_rows(result["projects"])


# ---------------------------------------------------------------- small synthetic tables

INITIAL_BUDGET_IN_YUAN = """\
2022年度某某区卫生健康局项目支出绩效自评汇总表
单位名称：某某市某某区卫生健康局
单位：元
序号\t项目名称\t年初预算数\t调整后预算数\t执行数\t执行率\t存在问题\t整改措施
1\t公共卫生服务\t1,000,000.00\t1,200,000.00\t1,150,000.00\t95.83%\t无\t无
2\t家庭医生签约\t500,000.00\t500,000.00\t450,000.00\t90.00%\t签约进度慢\t加快签约
3\t疾病预防控制\t300,000.00\t300,000.00\t300,000.00\t100.00%\t无\t无
合计\t\t1,800,000.00\t2,000,000.00\t1,900,000.00\t95.00%
"""


def test_initial_budget_column_and_yuan():
    doc = Doc.from_text(INITIAL_BUDGET_IN_YUAN)
    assert detect(doc)[0][0] == KIND
    result = pst.parse(doc)
    rows = [
        (p["project"], p["initial_budget_wan"], p["budget_wan"], p["actual_wan"])
        for p in result.projects
    ]
    assert rows == [
        ("公共卫生服务", 100.0, 120.0, 115.0),
        ("家庭医生签约", 50.0, 50.0, 45.0),
        ("疾病预防控制", 30.0, 30.0, 30.0),
    ]
    assert result.projects[1]["problems"] == "签约进度慢"
    assert result.projects[1]["rectification"] == "加快签约"
    assert result.projects[0]["problems"] is None
    assert result.meta["unit"] == "某某市某某区卫生健康局"
    assert result.meta["amount_unit"] == "元"
    assert "TOTAL_MISMATCH" not in codes(result.findings)
    assert result.indicators == []


AB_HEADERS_SPACES = """\
某某县卫生健康局2023年度项目绩效自评表
序号 项目名称 预算数(A) 执行数(B) 执行率(B/A) 存在问题 整改情况
1 公共卫生服务 120.1234 115.0000 0.9574 无 无
2 家庭医生签约 50.0000 45.0000 0.90 无 无
3 基层医疗设备 80.5000 80.5000 1.00 无 无
合计 250.6234 240.5000 0.96
"""


def test_ab_headers_fraction_rates_four_decimals():
    result = pst.parse(Doc.from_text(AB_HEADERS_SPACES))
    got = [
        (p["project"], p["budget_wan"], p["actual_wan"], p["reported_rate_pct"])
        for p in result.projects
    ]
    assert got == [
        ("公共卫生服务", 120.1234, 115.0, pytest.approx(95.74)),
        ("家庭医生签约", 50.0, 45.0, pytest.approx(90.0)),
        ("基层医疗设备", 80.5, 80.5, pytest.approx(100.0)),
    ]
    assert result.meta["year"] == 2023
    assert "TOTAL_MISMATCH" not in codes(result.findings)


TOTAL_FIRST_WITH_GAP = """\
2021年度项目绩效自评表
单位：万元
序号\t项目名称\t预算金额\t实际支出\t执行率
合计\t\t300.00\t250.00\t83.33%
1\t项目甲\t100.00\t90.00\t90%
3\t项目丙\t100.00\t60.00\t60%
"""


def test_total_printed_first_and_a_missing_row():
    result = pst.parse(Doc.from_text(TOTAL_FIRST_WITH_GAP))
    assert [p["project"] for p in result.projects] == ["项目甲", "项目丙"]
    found = codes(result.findings)
    # The 合计 (300 / 250) covers the rows below it, which add up to 200 / 150.
    assert found.count("TOTAL_MISMATCH") == 2
    gap = next(f for f in result.findings if f.code == "PARTIAL_ROW")
    assert "序号 2" in gap.message and gap.source_line == 6


def test_header_without_rows_is_a_missing_table():
    text = "2021年度项目绩效自评表\n序号\t项目名称\t预算金额\t实际支出\t执行率\n"
    result = pst.parse(Doc.from_text(text))
    assert result.projects == []
    assert codes(result.findings) == ["MISSING_TABLE"]


def test_truncated_seed_keeps_the_rows_before_the_cut(seed_doc):
    text = seed_text(seed_doc)
    cut = text[: text.index("\n20\t")] + "\n20\t龙岗区卫健局\t医师节及护士节活动\t49.88"
    result = read_document("cut.txt", cut.encode("utf-8"))
    names = [p["project"] for p in result["projects"]]
    assert names[:19] == [row[1] for row in SEED_ROWS[:19]]
    partial = [f for f in result["findings"] if f["code"] == "PARTIAL_ROW"]
    assert len(names) == 20 and partial and partial[0]["project"] == "医师节及护士节活动"


# ---------------------------------------------------------------- money cells


@pytest.mark.parametrize(
    ("cells", "budget", "actual", "rate_text"),
    [
        ("53.59 53.59 51.72 51.72 97%", 53.59, 51.72, "97%"),
        ("52.51 52.51 52.51 52.51 100%", 52.51, 52.51, "100%"),
        ("50.00 50.00 0.00 0.00 0%", 50.0, 0.0, "0%"),
        ("82.86 82.86 82.85 82.85", 82.86, 82.85, None),
        # The 合计 row: the 政府性基金 column is filled and the budget total disagrees with its parts.
        (
            "15,176.18 15,176.18 200.00 13,040.78 12,888.78 152.00 0.00 97%",
            15176.18,
            13040.78,
            "97%",
        ),
        ("100.00 60.00 40.00 90.00 50.00 40.00 90%", 100.0, 90.0, "90%"),
        ("213.97 213.97 204.22 204.22 100.00", 213.97, 204.22, "100.00"),
        ("100.00 90.00 90.00", 100.0, 90.0, "90.00"),
        ("100.00 — 90.00 — 90%", 100.0, 90.0, "90%"),
    ],
)
def test_read_money(cells, budget, actual, rate_text):
    header = pst.read_header(
        ["序号", "项目名称", "预算金额", "一般公共预算", "政府性基金", "实际支出金额", "执行率"], 1
    )
    money = pst.read_money(list(layout.cells([cells.replace(" ", "\t")])), header)
    assert money.budget_total == pytest.approx(budget)
    assert money.actual_total == pytest.approx(actual)
    assert money.rate_text == rate_text


def test_read_header_of_the_seed(seed_doc):
    doc = seed_doc("000")
    start = pst._table_start(doc.lines)
    header, rows = pst.collect_rows(list(pst.table_cells(doc.lines, start)))
    assert header.roles == ["budget", "actual", "rate"]
    assert header.unit_column and header.indicators
    assert header.lead_columns == 2
    assert [c[2] for c in header.categories][:3] == ["数量指标", "质量指标", "时效指标"]
    assert header.categories[-1][1] == "满意度指标"
    assert len(rows) == len(SEED_ROWS) + 1 and rows[-1].total


@pytest.mark.parametrize(
    ("text", "value_like"),
    [
        ("不低于90%", True),
        ("已完成", True),
        ("已完成,消防火灾报警系统主机更换,约40万元", True),
        ("2021年12月31日前", True),
        ("本年度内", True),
        ("按时完成", True),
        ("发放及时率(%)", False),
        ("预算经费完成时间", False),
        ("补发奖励标准达标率", False),
        ("服务对象满意度指标", False),
        ("提高全体党员爱国意识", False),
        ("概算批复未达到年初目标，设计合同尾款11.2万未完成支付", False),
    ],
)
def test_value_cells(text, value_like):
    assert pst._value_like(text) is value_like


# ---------------------------------------------------------------- wrapped cells

# Names longer than this print their rest on the line below the row, in the name column.
WRAP_AFTER = 10


def wrapped_names(text: str, *, tabs: bool = True) -> str:
    """Long project names wrapped in their cell: the rest alone on the next line, in its column
    (tab position) or at the start of the line (space-separated rows)."""
    out = []
    for line in text.split("\n"):
        cells = line.split("\t")
        if re.match(r"^\d+$", cells[0]) and len(cells) > 2 and len(cells[2]) > WRAP_AFTER:
            rest = cells[2][WRAP_AFTER:]
            cells[2] = cells[2][:WRAP_AFTER]
            out += ["\t".join(cells), f"\t\t{rest}" if tabs else rest]
        else:
            out.append(line)
    return "\n".join(out) if tabs else wide_spaces("\n".join(out))


@pytest.mark.parametrize("tabs", [True, False], ids=["tabs", "spaces"])
def test_wrapped_project_names_are_rejoined(seed_doc, seed_result, tabs):
    text = wrapped_names(seed_text(seed_doc), tabs=tabs)
    assert text.count("\n") > seed_text(seed_doc).count("\n") + 10
    result = read_document("wrapped.txt", text.encode("utf-8"))
    assert_seed_rows(result["projects"])
    seed = seed_result("000")
    assert [p["problems"] for p in result["projects"]] == [p["problems"] for p in seed["projects"]]
    assert len(result["indicators"]) == len(seed["indicators"])
    lines = text.split("\n")
    for p, (seq, *_rest) in zip(result["projects"], SEED_ROWS, strict=True):
        assert lines[p["source_line"] - 1].split()[0] == str(seq)
        assert p["end_line"] == p["source_line"] + (len(p["project"]) > WRAP_AFTER)


def test_a_wrapped_cell_under_another_column_stays_there():
    # Tab positions: the rest of a 存在问题 sentence goes to that cell, not to the name; a note
    # after the table is no name's rest.
    text = (
        "2023年度某某县卫生健康局项目绩效自评表\n单位：万元\n"
        "序号\t项目名称\t预算数\t执行数\t执行率\t存在问题\t整改情况\n"
        "1\t家庭医生签约\t100.00\t90.00\t90%\t部分资金年底\t加快进度\n"
        "\t服务补助\n"
        "\t\t\t\t\t拨付，进度滞后。\n"
        "2\t卫生监督执法\t50.00\t50.00\t100%\t无\t无\n"
        "合计\t\t150.00\t140.00\t93.33%\n"
        "注：金额单位为万元，执行率按执行数除以预算数计算。\n"
    )
    parsed = pst.parse(Doc.from_text(text))
    rows = {p["project"]: p for p in parsed.projects}
    assert list(rows) == ["家庭医生签约服务补助", "卫生监督执法"]
    first = rows["家庭医生签约服务补助"]
    assert first["problems"] == "部分资金年底拨付，进度滞后。"
    assert (first["source_line"], first["end_line"]) == (4, 6)
    assert (first["budget_wan"], first["actual_wan"]) == (100.0, 90.0)
    assert "TOTAL_MISMATCH" not in codes(parsed.findings)


@pytest.mark.parametrize(
    ("title", "unit"),
    [
        (
            "辽宁省营口市站前区卫生健康委员会2024年度项目绩效自评表",
            "辽宁省营口市站前区卫生健康委员会",
        ),
        ("湖南省某某县疾病预防控制中心2023年度项目绩效自评表", "湖南省某某县疾病预防控制中心"),
        ("2021年度龙岗区卫生健康局预算项目绩效自评表（局本级）", "龙岗区卫生健康局"),
    ],
)
def test_unit_from_a_title_that_opens_with_it(title, unit):
    # The unit runs up to the year; 站 inside a district's name (站前区) does not end it.
    assert pst.read_meta([title, "单位：万元", "序号\t项目名称"], 2)["unit"] == unit


# ---------------------------------------------------------------- other wordings and layouts

# (序号, 项目名称, 年初预算数, 调整后预算数, 执行数, 执行率, 自评得分, 偏差原因) and the 合计 row.
SHORT_ROWS = [
    ("1", "公共卫生服务", "100.00", "120.00", "96.00", "80.00", "92", "资金拨付滞后"),
    ("2", "家庭医生签约", "50.00", "50.00", "50.00", "100.00", "98", "无"),
    ("3", "疾病预防控制", "30.00", "30.00", "27.00", "90.00", "95", "部分项目未完工"),
]
SHORT_TOTAL = ("合计", "", "180.00", "200.00", "173.00", "86.50", "", "")
SHORT_TITLE = [
    "2023年度某某县卫生健康局项目绩效自评汇总表",
    "单位名称：某某县卫生健康局",
    "单位：万元",
]
# (project, initial, budget, actual, printed rate, score, problems)
SHORT_EXPECTED = [
    ("公共卫生服务", 100.0, 120.0, 96.0, 80.0, 92.0, "资金拨付滞后"),
    ("家庭医生签约", 50.0, 50.0, 50.0, 100.0, 98.0, None),
    ("疾病预防控制", 30.0, 30.0, 27.0, 90.0, 95.0, "部分项目未完工"),
]
HEADERS = {
    "adjusted": ("序号", "项目名称", "年初预算数", "调整后预算数", "预算执行数", "执行率(%)")
    + ("自评得分", "偏差原因"),
    "full_year": ("序号", "项目名称", "年初预算", "全年预算数", "全年执行数", "执行率")
    + ("自评分", "偏差原因分析"),
    "traditional": ("序號", "項目名稱", "年初預算數", "調整後預算數", "預算執行數", "執行率(%)")
    + ("自評得分", "偏差原因"),
}


def short_rows(header: tuple[str, ...], percent: bool) -> list[tuple[str, ...]]:
    rows = [header]
    for r in (*SHORT_ROWS, SHORT_TOTAL):
        rate = f"{r[5]}%" if percent and r[5] else r[5]
        rows.append((*r[:5], rate, *r[6:]))
    return rows


def glued_lines(rows) -> list[str]:
    """A PDF pulled as text with no separators, one row per line."""
    return ["".join(r) for r in rows]


SHORT_LAYOUTS = {
    "tabs": lambda rows: ["\t".join(r) for r in rows],
    "pipes": lambda rows: [" | ".join(r) for r in rows],
    "markdown": lambda rows: [
        "| " + " | ".join(rows[0]) + " |",
        "|" + "---|" * len(rows[0]),
        *("| " + " | ".join(r) + " |" for r in rows[1:]),
    ],
    "spaces": lambda rows: ["   ".join(c for c in r if c) for r in rows],
    "single_spaced": lambda rows: [" ".join(c for c in r if c) for r in rows],
    "cell_per_line": lambda rows: [c for r in rows for c in r if c],
    "pipe_ended_cells": lambda rows: [f"{c} |" if c else "|" for r in rows for c in r],
    "glued_rows": glued_lines,
    "glued_page": lambda rows: ["".join(SHORT_TITLE) + "".join(glued_lines(rows))],
}


def short_table(layout_name: str, header: str, percent: bool) -> str:
    rows = short_rows(HEADERS[header], percent)
    lines = SHORT_LAYOUTS[layout_name](rows)
    if layout_name == "glued_page":
        return lines[0] + "\n"
    return "\n".join([*SHORT_TITLE, *lines]) + "\n"


@pytest.mark.parametrize("percent", [True, False], ids=["rate%", "rate"])
@pytest.mark.parametrize("header", list(HEADERS))
@pytest.mark.parametrize("layout_name", list(SHORT_LAYOUTS))
def test_short_header_in_every_layout_reads_the_same_projects(layout_name, header, percent):
    text = short_table(layout_name, header, percent)
    result = read_document(f"{layout_name}.txt", text.encode("utf-8"))
    assert result["document"]["doc_kind"] == KIND
    got = [
        (
            p["project"],
            p["initial_budget_wan"],
            p["budget_wan"],
            p["actual_wan"],
            p["reported_rate_pct"],
            p["score"],
            p["problems"],
        )
        for p in result["projects"]
    ]
    assert got == SHORT_EXPECTED
    assert (result["document"]["unit"], result["document"]["year"]) == ("某某县卫生健康局", 2023)
    found = codes(result["findings"])
    assert not {"TOTAL_MISMATCH", "RATE_MISMATCH", "PARTIAL_ROW"} & set(found)
    if layout_name.startswith("glued"):
        # Figures glued into one run are read under 执行数 ÷ 预算数 = 执行率, and say so.
        assert found.count("VALUE_INFERRED") == len(SHORT_EXPECTED)
    else:
        assert "VALUE_INFERRED" not in found
        lines = text.split("\n")
        for p, (seq, *_rest) in zip(result["projects"], SHORT_ROWS, strict=True):
            assert lines[p["source_line"] - 1].strip("| ").startswith(seq)


def test_glued_figures_that_fit_no_reading_are_left_empty_with_a_finding():
    # 100.00 / 96.00 printed as 70%: no cut of the run fits 执行数 ÷ 预算数 = 执行率.
    text = "\n".join(
        [
            *SHORT_TITLE,
            "序号项目名称预算数执行数执行率存在问题",
            "1公共卫生服务100.0096.0070%无",
            "2家庭医生签约50.0050.00100%无",
        ]
    )
    result = pst.parse(Doc.from_text(text))
    first, second = result.projects
    assert (first["budget_wan"], first["actual_wan"]) == (None, None)
    assert (second["budget_wan"], second["actual_wan"]) == (50.0, 50.0)
    partial = next(f for f in result.findings if f.code == "PARTIAL_ROW")
    assert partial.project == "公共卫生服务" and partial.source_line == 5
    assert "100.0096.0070%" in partial.message


@pytest.mark.parametrize(
    ("row", "header", "expected"),
    [
        # (initial, budget, actual, rate text, score)
        ("120.00 96.00 80% 92", "预算数 执行数 执行率 自评得分", (None, 120.0, 96.0, "80%", 92.0)),
        (
            "120.00 96.00 80.00 92",
            "预算数 执行数 执行率 自评得分",
            (None, 120.0, 96.0, "80.00", 92.0),
        ),
        ("120.00 96.00 80%", "预算数 执行数 执行率 自评得分", (None, 120.0, 96.0, "80%", None)),
        (
            "100 120 96 80%",
            "年初预算数 调整后预算数 执行数 执行率",
            (100.0, 120.0, 96.0, "80%", None),
        ),
        ("120.00 — 80%", "预算数 执行数 执行率", (None, 120.0, None, "80%", None)),
        ("120.00 96.00 80", "预算数 执行数 执行率(%)", (None, 120.0, 96.0, "80", None)),
    ],
)
def test_money_by_the_header_columns(row, header, expected):
    h = pst.read_header(["序号", "项目名称", *header.split()], 1)
    money = pst.read_money(list(layout.cells([row.replace(" ", "\t")])), h)
    got = (money.initial, money.budget_total, money.actual_total, money.rate_text, money.score)
    assert got == expected


@pytest.mark.parametrize(
    ("header", "roles", "tail"),
    [
        (
            ["年初绩效目标", "调整后预算数", "预算执行数", "执行率(%)"],
            ["budget", "actual", "rate"],
            0,
        ),
        (["项目执行中存在的问题", "整改情况"], ["budget", "actual", "rate"], 2),
        (
            ["预算数", "执行数", "执行率", "自评得分", "偏差原因"],
            ["budget", "actual", "rate", "score"],
            1,
        ),
    ],
)
def test_header_roles_come_from_the_vocabulary(header, roles, tail):
    h = pst.read_header(["序号", "项目名称", *header], 1)
    assert h.roles == roles and h.tail_columns == tail
