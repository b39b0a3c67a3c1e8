"""Tests for the project_eval_tables parser: the 003 seed and synthetic variants of its form."""

from __future__ import annotations

import pytest

from loaders.document import Doc
from loaders.kinds import detect
from loaders.kinds.project_eval_tables import KIND, parse, tokenise
from loaders.targets import parse_target
from synth import layouts as lay

# --- the seed ------------------------------------------------------------------------------------

# Hand-checked against the printed tables: name, 年初预算数, 全年预算数, 全年执行数, 执行率, 总分,
# indicator rows.
SEED_PROJECTS = [
    ("65岁以上老人定期体检", 400.0, 400.0, 400.0, 100.0, 100.0, 3),
    ("疫情防控经费", 0.0, 76.58, 76.58, 100.0, 100.0, 3),
    ("普陀区“便捷就医服务”数字化转型区级平台信息化建设", 578.71, 578.71, 533.87, 92.25, 99.23, 3),
    ("普陀区公共卫生应急指挥平台建设项目", 155.55, 155.55, 151.12, 97.15, 99.72, 3),
    ("疾控公共卫生体系建设硬件设施购置", 0.0, 514.0, 512.68, 99.74, 99.97, 7),
    ("普陀区家庭医生签约质量提升项目", 90.0, 90.0, 89.6, 99.56, 99.96, 3),
    ("普陀区卫健委安全运营购买服务项目", 331.5, 331.5, 331.5, 100.0, 100.0, 3),
    ("预算绩效管理及安全运行保障", 0.0, 68.7, 68.66, 99.94, 99.99, 3),
    ("信息平台运行及维护", 470.97, 470.97, 468.51, 99.48, 99.95, 3),
    ("全科医生服务技术能力提升专项", 80.0, 80.0, 80.0, 100.0, 100.0, 3),
    ("普陀区临床专业质控管理", 60.0, 60.0, 60.0, 100.0, 100.0, 3),
    ("普陀区卫生政务密码基础资源建设项目", 0.0, 61.77, 60.05, 97.22, 94.72, 3),
    ("卫管中心专项工作经费", 80.0, 80.0, 80.0, 100.0, 100.0, 7),
    ("社区卫生设备购置及维修", 155.0, 1463.5, 1459.9, 99.75, 99.98, 3),
]


def rounded(rows):
    """Rows of tuples with floats rounded to 4 places, so they compare exactly."""
    return [tuple(round(v, 4) if isinstance(v, float) else v for v in row) for row in rows]


@pytest.fixture(scope="module")
def seed(seed_doc):
    return parse(seed_doc("003"))


def test_seed_is_detected_as_this_kind(seed_doc):
    kind, score = detect(seed_doc("003"))[0]
    assert kind == KIND
    assert score >= 0.6


def test_seed_projects(seed):
    got = [
        (
            p["project"],
            p["initial_budget_wan"],
            p["budget_wan"],
            p["actual_wan"],
            p["reported_rate_pct"],
            p["score"],
            sum(1 for i in seed.indicators if i["project"] == p["project"]),
        )
        for p in seed.projects
    ]
    assert rounded(got) == SEED_PROJECTS
    assert {p["level"] for p in seed.projects} == {"project"}
    assert {p["grade"] for p in seed.projects} == {"优"}
    assert len(seed.indicators) == 50


def test_seed_block_lines(seed):
    first, last = seed.projects[0], seed.projects[-1]
    assert (first["source_line"], first["end_line"]) == (3, 18)
    assert (last["source_line"], last["end_line"]) == (232, 247)
    # Blocks follow each other without overlap.
    for a, b in zip(seed.projects, seed.projects[1:], strict=False):
        assert a["end_line"] < b["source_line"]


def test_seed_funds_line_and_sums(seed):
    for p in seed.projects:
        rows = [i for i in seed.indicators if i["project"] == p["project"]]
        assert p["funds_weight"] == 10.0
        assert sum(i["weight"] for i in rows) + p["funds_weight"] == pytest.approx(100.0)
        assert sum(i["score"] for i in rows) + p["funds_score"] == pytest.approx(p["score"])
    assert not [f for f in seed.findings if f.code in ("WEIGHT_SUM_MISMATCH", "SCORE_SUM_MISMATCH")]
    assert seed.projects[2]["funds_score"] == 9.23


def test_seed_indicator_rows(seed):
    by_name = {(i["project"], i["name"]): i for i in seed.indicators}
    first = by_name[("65岁以上老人定期体检", "完成体检数")]
    assert (first["level1"], first["level2"], first["target_text"], first["actual_text"]) == (
        "产出指标",
        "数量指标",
        "≥27000.00(人)",
        "45739",
    )
    assert (first["target_op"], first["target_value"], first["target_unit"]) == (
        ">=",
        27000.0,
        "人",
    )
    # 一级 is blank on the second row and inherited from the row above.
    second = by_name[("65岁以上老人定期体检", "老年人体检信息录入率")]
    assert (second["level1"], second["level2"], second["source_line"]) == (
        "产出指标",
        "质量指标",
        15,
    )
    # A 二级 cell left blank inherits too (疾控 block, line 83).
    inherited = by_name[("疾控公共卫生体系建设硬件设施购置", "检测任务实际完成率")]
    assert (inherited["level1"], inherited["level2"]) == ("产出指标", "数量指标")
    # The name is kept as printed, cut off or not.
    cut = by_name[("普陀区卫生政务密码基础资源建设项目", "业务系统接入密码能")]
    assert (cut["weight"], cut["score"], cut["status"]) == (10.0, 5.0, "not_met")
    assert cut["target_value"] == 6000.0
    assert cut["deviation_reason"] == "系统在按计划建设中，计划于2024年完成，并投入使用。"
    satisfaction = by_name[("卫管中心专项工作经费", "职工满意度")]
    assert (satisfaction["level1"], satisfaction["level2"]) == ("满意度指标", "服务对象满意度指标")
    assert by_name[("信息平台运行及维护", "接入率")]["status"] == "met"


def test_seed_problems_come_from_deviation_reasons(seed):
    with_problems = [p["project"] for p in seed.projects if p["problems"]]
    assert with_problems == ["普陀区卫生政务密码基础资源建设项目"]


def test_seed_metadata(seed, seed_result):
    assert seed.meta["unit"] == "上海市普陀区卫生健康事务管理中心"
    assert seed.meta["parent_unit"] == "上海市普陀区卫生健康委员会"
    assert seed.meta["amount_unit"] == "万元"
    assert seed.meta["year"] is None  # not printed; sources.toml gives it
    document = seed_result("003")["document"]
    assert (document["doc_kind"], document["year"], document["year_source"]) == (
        KIND,
        2023,
        "manifest",
    )


def test_seed_builds_without_findings_for_consistent_tables(seed_result):
    result = seed_result("003")
    assert len(result["projects"]) == 14
    assert [f["code"] for f in result["findings"]] == []


def test_built_tables_carry_the_seed(built):
    docs = built["documents"]
    doc_id = docs.loc[docs["source_file"].str.startswith("003"), "doc_id"].iloc[0]
    projects = built["projects"][built["projects"]["doc_id"] == doc_id]
    assert len(projects) == 14
    assert projects["budget_wan"].sum() == pytest.approx(sum(p[2] for p in SEED_PROJECTS), abs=0.01)
    assert len(built["indicators"][built["indicators"]["doc_id"] == doc_id]) == 50


def test_large_quantity_is_not_a_date():
    # 6000.00 looked like a date (dddd.dd) to the target parser.
    assert parse_target("≥6000.00(人)") == (">=", 6000.0, "人")
    assert parse_target("2023-12-31前") == (None, None, None)


# --- synthetic variants --------------------------------------------------------------------------
# Two blocks of the national form, written once as rows of cells (empty strings are empty cells)
# and rendered in every layout a PDF or word-processor export produces.

FUNDS_HEADER = [
    "项目资金（万元）",
    "",
    "年初预算数",
    "全年预算数",
    "全年执行数",
    "分值",
    "执行率",
    "得分",
]
INDICATOR_HEADER = [
    "绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
    "偏差原因分析及改进措施",
]  # fmt: skip


def block_a(funds_header=FUNDS_HEADER, indicator_header=INDICATOR_HEADER, amounts=None):
    amounts = amounts or ["120.5000", "118.2500", "110.1234"]
    return [
        ["项目支出绩效自评表"],
        ["（2023年度）"],
        ["项目名称", "社区慢病筛查服务"],
        ["主管部门", "某市卫生健康委员会", "实施单位", "某区疾病预防控制中心"],
        funds_header,
        ["", "年度资金总额", *amounts, "10", "93.13%", "9.31"],
        ["", "其中：当年财政拨款", *amounts, "—", "—", "—"],
        ["", "上年结转资金", "", "", "", "—", "—", "—"],
        ["", "其他资金", "", "", "", "—", "—", "—"],
        ["年度总体目标", "预期目标", "实际完成情况"],
        ["", "完成重点人群慢病筛查", "已完成筛查并随访"],
        indicator_header,
        ["", "产出指标", "数量指标", "筛查人数", "≥5000人", "5230人", "20", "20", ""],
        ["", "", "质量指标", "筛查合格率", "≥95%", "93%", "20", "18", "设备故障导致部分复检"],
        ["", "效益指标", "社会效益指标", "居民知晓率", "≥80%", "85%", "30", "30", ""],
        ["", "满意度指标", "服务对象满意度指标", "居民满意度", "≥90%", "92%", "20", "20", ""],
        ["总分", "", "", "", "", "", "100", "97.31", ""],
        ["评分等级", "优"],
    ]


def block_b(funds_header=FUNDS_HEADER, indicator_header=INDICATOR_HEADER):
    return [
        ["项目支出绩效自评表"],
        ["项目名称", "家庭医生签约服务"],
        ["主管部门", "某市卫生健康委员会", "实施单位", "某区疾病预防控制中心"],
        funds_header,
        ["", "年度资金总额", "0.0000", "35.6789", "35.6789", "10", "100.00", "10"],
        ["年度总体目标", "预期目标", "实际完成情况"],
        ["", "提升签约率", "完成"],
        indicator_header,
        ["", "产出指标", "数量指标", "签约人数", "=1000.00(人)", "1200", "40", "40", "超额完成"],
        ["", "", "", "续约人数", "≥500人", "520", "10", "10", ""],
        ["", "", "时效指标", "按时完成率", "=100.00 (%)", "100", "10", "10", ""],
        ["", "效益指标", "可持续影响指标", "签约服务长效机制", "建立", "达成指标", "30", "30", ""],
        ["总分", "", "", "", "", "", "100", "100", ""],
        ["评分等级", "优"],
    ]


EXPECTED_PROJECTS = [
    # name, 年初预算数, 全年预算数, 全年执行数, 执行率, 总分, grade, funds weight, funds score
    ("社区慢病筛查服务", 120.5, 118.25, 110.1234, 93.13, 97.31, "优", 10.0, 9.31),
    ("家庭医生签约服务", 0.0, 35.6789, 35.6789, 100.0, 100.0, "优", 10.0, 10.0),
]
EXPECTED_INDICATORS = [
    # project, 一级, 二级, 三级, target, actual, weight, score, reason
    ("社区慢病筛查服务", "产出指标", "数量指标", "筛查人数", "≥5000人", "5230人", 20, 20, None),
    (
        "社区慢病筛查服务",
        "产出指标",
        "质量指标",
        "筛查合格率",
        "≥95%",
        "93%",
        20,
        18,
        "设备故障导致部分复检",
    ),
    ("社区慢病筛查服务", "效益指标", "社会效益指标", "居民知晓率", "≥80%", "85%", 30, 30, None),
    (
        "社区慢病筛查服务",
        "满意度指标",
        "服务对象满意度指标",
        "居民满意度",
        "≥90%",
        "92%",
        20,
        20,
        None,
    ),
    (
        "家庭医生签约服务",
        "产出指标",
        "数量指标",
        "签约人数",
        "=1000.00(人)",
        "1200",
        40,
        40,
        "超额完成",
    ),
    ("家庭医生签约服务", "产出指标", "数量指标", "续约人数", "≥500人", "520", 10, 10, None),
    ("家庭医生签约服务", "产出指标", "时效指标", "按时完成率", "=100.00 (%)", "100", 10, 10, None),
    (
        "家庭医生签约服务",
        "效益指标",
        "可持续影响指标",
        "签约服务长效机制",
        "建立",
        "达成指标",
        30,
        30,
        None,
    ),
]


def as_tabs(rows):
    return "\n".join("\t".join(r) for r in rows)


def as_spaces(rows):
    return "\n".join("   ".join(c for c in r if c) for r in rows)


def as_flat_rows(rows):
    return "\n".join(" ".join(c for c in r if c) for r in rows)


def as_cell_lines(rows):
    """A word processor's export: each cell on a tab-led line, a blank line after each row."""
    return "\n".join("".join(f"\t{c}\n" for c in r) for r in rows)


def as_bare_lines(rows):
    """One non-empty cell per line, no tabs, no blank lines: only the cells' order is left."""
    return "\n".join(c for r in rows for c in r if c)


def as_one_line(rows):
    """The whole table flattened onto one space-separated line."""
    return " ".join(c for r in rows for c in r if c)


LAYOUTS = [as_tabs, as_spaces, as_flat_rows, as_cell_lines, as_bare_lines, as_one_line]


def render(layout, *blocks):
    return "\n\n".join(layout(b) for b in blocks) + "\n"


def projects_of(parsed):
    return [
        (
            p["project"],
            p["initial_budget_wan"],
            p["budget_wan"],
            p["actual_wan"],
            p["reported_rate_pct"],
            p["score"],
            p["grade"],
            p["funds_weight"],
            p["funds_score"],
        )
        for p in parsed.projects
    ]


def indicators_of(parsed):
    return [
        (
            i["project"],
            i["level1"],
            i["level2"],
            i["name"],
            i["target_text"],
            i["actual_text"],
            i["weight"],
            i["score"],
            i["deviation_reason"],
        )
        for i in parsed.indicators
    ]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda f: f.__name__)
def test_every_layout_gives_the_same_tables(layout):
    text = render(layout, block_a(), block_b())
    doc = Doc.from_text(text)
    assert detect(doc)[0][0] == KIND
    parsed = parse(doc)
    assert rounded(projects_of(parsed)) == EXPECTED_PROJECTS
    assert indicators_of(parsed) == EXPECTED_INDICATORS
    assert parsed.meta["unit"] == "某区疾病预防控制中心"
    assert parsed.meta["parent_unit"] == "某市卫生健康委员会"
    assert parsed.meta["year"] == 2023
    assert [f.code for f in parsed.findings] == []


def seed_tables(doc):
    """The seed's tables as rows of cells, one list per table (tables end at a blank line)."""
    tables, rows = [], []
    for line in doc.lines:
        if line:
            rows.append(line.split("\t"))
        elif rows:
            tables.append(rows)
            rows = []
    return tables + ([rows] if rows else [])


@pytest.mark.parametrize("layout", LAYOUTS[1:], ids=lambda f: f.__name__)
def test_seed_in_every_layout_gives_the_seed_tables(seed_doc, seed, layout):
    parsed = parse(Doc.from_text(render(layout, *seed_tables(seed_doc("003")))))
    drop = {"source_line", "end_line"}
    assert [{k: v for k, v in p.items() if k not in drop} for p in parsed.projects] == [
        {k: v for k, v in p.items() if k not in drop} for p in seed.projects
    ]
    assert indicators_of(parsed) == indicators_of(seed)
    assert len(parsed.indicators) == 50


def test_whole_document_on_one_line():
    text = as_one_line(block_a() + block_b())
    parsed = parse(Doc.from_text(text))
    assert rounded(projects_of(parsed)) == EXPECTED_PROJECTS
    assert indicators_of(parsed) == EXPECTED_INDICATORS


def test_source_lines_point_at_the_rows():
    parsed = parse(Doc.from_text(render(as_tabs, block_a(), block_b())))
    a, b = parsed.projects
    assert (a["source_line"], a["end_line"]) == (1, 18)
    assert (b["source_line"], b["end_line"]) == (20, 33)
    assert [i["source_line"] for i in parsed.indicators[:4]] == [13, 14, 15, 16]


HEADER_VARIANTS = {
    "A_B": (
        [
            "项目资金（万元）",
            "",
            "年初预算数",
            "预算数(A)",
            "执行数(B)",
            "分值",
            "执行率(B/A)",
            "得分",
        ],
        INDICATOR_HEADER,
    ),
    "adjusted": (
        [
            "项目资金(万元)",
            "",
            "年初预算数",
            "调整后预算数",
            "全年执行数",
            "分数",
            "执行率",
            "得分",
        ],
        [
            "一级指标",
            "二级指标",
            "三级指标",
            "年初目标值",
            "全年完成值",
            "权重",
            "自评得分",
            "偏差原因分析",
        ],
    ),
    "fullwidth_AB": (
        [
            "项目资金（万元）",
            "",
            "年初预算数",
            "全年预算数（A）",
            "全年执行数（B）",
            "分值",
            "执行率（B/A）",
            "得分",
        ],
        [
            "绩效指标",
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值（A）",
            "实际完成值（B）",
            "分值",
            "得分",
            "偏差原因分析",
        ],
    ),
}


@pytest.mark.parametrize("layout", [as_tabs, as_spaces, as_bare_lines], ids=lambda f: f.__name__)
@pytest.mark.parametrize("variant", HEADER_VARIANTS, ids=str)
def test_header_names_that_vary(variant, layout):
    funds_header, indicator_header = HEADER_VARIANTS[variant]
    if indicator_header[0] != "绩效指标":  # rows must line up with a header that has no frame cell
        rows_a = [
            r[1:] if r and r[0] == "" and len(r) == 9 else r
            for r in block_a(funds_header, indicator_header)
        ]
        rows_b = [
            r[1:] if r and r[0] == "" and len(r) == 9 else r
            for r in block_b(funds_header, indicator_header)
        ]
    else:
        rows_a, rows_b = (
            block_a(funds_header, indicator_header),
            block_b(funds_header, indicator_header),
        )
    parsed = parse(Doc.from_text(render(layout, rows_a, rows_b)))
    assert rounded(projects_of(parsed)) == EXPECTED_PROJECTS
    assert indicators_of(parsed) == EXPECTED_INDICATORS


@pytest.mark.parametrize("layout", [as_tabs, as_bare_lines], ids=lambda f: f.__name__)
def test_amounts_in_yuan(layout):
    header = ["项目资金（元）", *FUNDS_HEADER[1:]]
    rows = block_a(funds_header=header, amounts=["1,205,000.00", "1,182,500.00", "1,101,234.00"])
    doc = Doc.from_text(render(layout, rows))
    parsed = parse(doc)
    (project,) = parsed.projects
    assert (
        project["initial_budget_wan"],
        project["budget_wan"],
        project["actual_wan"],
    ) == pytest.approx((120.5, 118.25, 110.1234))
    assert project["reported_rate_pct"] == pytest.approx(93.13)
    assert parsed.meta["amount_unit"] == "元"


def test_ocr_spaced_amounts_on_a_flattened_row():
    rows = block_a(amounts=["1, 205, 000. 00", "1, 182, 500. 00", "1, 101, 234. 00"])
    rows[4] = ["项目资金（元）", *FUNDS_HEADER[1:]]
    (project,) = parse(Doc.from_text(render(as_flat_rows, rows))).projects
    assert (project["budget_wan"], project["actual_wan"]) == pytest.approx((118.25, 110.1234))


def test_funds_row_shorter_than_its_header_is_flagged():
    rows = block_a()
    rows[5] = ["", "年度资金总额", "120.5000", "118.2500", "110.1234", "10"]
    parsed = parse(Doc.from_text(render(as_spaces, rows)))
    (project,) = parsed.projects
    assert (project["budget_wan"], project["actual_wan"], project["reported_rate_pct"]) == (
        118.25,
        110.1234,
        None,
    )
    assert [f.code for f in parsed.findings] == ["PARTIAL_ROW"]


def test_rate_as_fraction_is_scaled_by_the_amounts():
    rows = block_a()
    rows[5] = ["", "年度资金总额", "120.5000", "118.2500", "110.1234", "10", "0.9313", "9.31"]
    (project,) = parse(Doc.from_text(as_tabs(rows))).projects
    assert project["reported_rate_pct"] == pytest.approx(93.13)


def test_page_break_inside_a_block():
    rows = block_a()
    at = rows.index(INDICATOR_HEADER) + 2  # after the second indicator row
    broken = [*rows[:at], ["\f- 2 -"], [], ["项目支出绩效自评表"], INDICATOR_HEADER, *rows[at:]]
    for layout in (as_tabs, as_spaces):
        parsed = parse(Doc.from_text(render(layout, broken, block_b())))
        assert rounded(projects_of(parsed)) == EXPECTED_PROJECTS
        assert indicators_of(parsed) == EXPECTED_INDICATORS


@pytest.mark.parametrize(
    "layout", [as_tabs, as_bare_lines, as_cell_lines], ids=lambda f: f.__name__
)
def test_page_break_repeating_the_project_header(layout):
    rows = block_a()
    at = rows.index(INDICATOR_HEADER) + 2
    repeat = [["项目支出绩效自评表"], ["项目名称", "社区慢病筛查服务"], INDICATOR_HEADER]
    parsed = parse(Doc.from_text(render(layout, [*rows[:at], *repeat, *rows[at:]], block_b())))
    assert rounded(projects_of(parsed)) == EXPECTED_PROJECTS
    assert indicators_of(parsed) == EXPECTED_INDICATORS


def test_rows_shifted_against_the_header_are_read_by_shape():
    header = INDICATOR_HEADER[
        1:
    ]  # no 绩效指标 frame cell, but the rows keep their leading empty cell
    parsed = parse(
        Doc.from_text(
            render(as_tabs, block_a(indicator_header=header), block_b(indicator_header=header))
        )
    )
    assert indicators_of(parsed) == EXPECTED_INDICATORS


def test_wrapped_cells_are_joined():
    rows = block_a()
    rows[2] = ["项目名称", "社区慢病筛查"]
    rows.insert(3, ["", "服务"])
    at = rows.index(INDICATOR_HEADER) + 1
    rows[at] = ["", "产出指标", "数量指标", "重点人群慢病", "≥5000人", "5230人", "20", "20", ""]
    rows.insert(at + 1, ["", "", "", "筛查人数", "", "", "", "", ""])
    parsed = parse(Doc.from_text(as_tabs(rows)))
    assert parsed.projects[0]["project"] == "社区慢病筛查服务"
    assert parsed.indicators[0]["name"] == "重点人群慢病筛查人数"
    assert len(parsed.indicators) == 4


def test_wrapped_header_cells():
    rows = block_a()
    rows[4] = ["项目资金（万元）", "", "年初预算", "全年预算", "全年执行", "分值", "执行率", "得分"]
    rows.insert(5, ["", "", "数", "数", "数", "", "", ""])
    at = rows.index(INDICATOR_HEADER)
    rows[at] = [*INDICATOR_HEADER[:4], "年度指标", "实际完成", "分值", "得分", "偏差原因分析及"]
    rows.insert(at + 1, ["", "", "", "", "值", "值", "", "", "改进措施"])
    parsed = parse(Doc.from_text(render(as_tabs, rows, block_b())))
    assert rounded(projects_of(parsed)) == EXPECTED_PROJECTS
    assert indicators_of(parsed) == EXPECTED_INDICATORS


def test_national_form_with_other_labels():
    rows = block_a()
    rows[0:2] = [["2023年度项目支出绩效自评表"]]
    rows[2] = ["主管部门", "某市卫生健康委员会", "单位名称", "某区疾病预防控制中心"]
    rows = [r for r in rows if r[0] != "评分等级"]
    parsed = parse(Doc.from_text(as_tabs(rows)))
    assert rounded(projects_of(parsed)) == [(*EXPECTED_PROJECTS[0][:6], None, 10.0, 9.31)]
    assert parsed.meta["unit"] == "某区疾病预防控制中心"
    assert parsed.meta["year"] == 2023


def test_weights_printed_with_points():
    rows = block_a()
    at = rows.index(INDICATOR_HEADER) + 1
    rows[at] = ["", "产出指标", "数量指标", "筛查人数", "≥5000人", "5230人", "20分", "20分", ""]
    parsed = parse(Doc.from_text(render(as_spaces, rows)))
    assert indicators_of(parsed)[0] == EXPECTED_INDICATORS[0]


def test_reason_mentioning_causes_is_not_taken_for_a_header():
    rows = block_a()
    at = rows.index(INDICATOR_HEADER) + 2
    rows[at] = ["", "", "质量指标", "筛查合格率", "≥95%", "93%", "20", "18", "偏差原因"]
    parsed = parse(Doc.from_text(as_tabs(rows)))
    assert parsed.indicators[1]["deviation_reason"] == "偏差原因"


def test_sums_that_do_not_add_up_are_findings():
    rows = block_a()
    at = rows.index(INDICATOR_HEADER) + 3
    rows[at] = ["", "效益指标", "社会效益指标", "居民知晓率", "≥80%", "85%", "25", "25", ""]
    rows[-2] = ["总分", "", "", "", "", "", "100", "96.00", ""]
    parsed = parse(Doc.from_text(as_tabs(rows)))
    codes = sorted(f.code for f in parsed.findings)
    assert codes == ["SCORE_SUM_MISMATCH", "WEIGHT_SUM_MISMATCH"]
    assert all(f.project == "社区慢病筛查服务" for f in parsed.findings)
    # Printed numbers stay as printed.
    assert parsed.projects[0]["score"] == 96.0


def test_missing_total_and_funds_are_reported_not_guessed():
    rows = [r for r in block_a() if r[:1] != ["总分"] and "年度资金总额" not in r]
    parsed = parse(Doc.from_text(as_tabs(rows)))
    (project,) = parsed.projects
    assert project["score"] is None and project["budget_wan"] is None
    assert [f.code for f in parsed.findings] == ["PARTIAL_ROW", "PARTIAL_ROW"]
    assert len(parsed.indicators) == 4


def test_not_applicable_rows_are_not_indicators():
    rows = block_a()
    at = rows.index(INDICATOR_HEADER) + 4
    rows.insert(at + 1, ["", "", "生态效益指标", "碳排放", "不适用", "不适用", "0", "0", ""])
    parsed = parse(Doc.from_text(as_tabs(rows)))
    assert [i["name"] for i in parsed.indicators] == [
        "筛查人数",
        "筛查合格率",
        "居民知晓率",
        "居民满意度",
    ]


def test_indicator_table_without_project_is_orphan():
    rows = block_a()
    orphan = rows[rows.index(INDICATOR_HEADER) :]
    parsed = parse(Doc.from_text(render(as_tabs, orphan, block_b())))
    assert [f.code for f in parsed.findings] == ["ORPHAN_ROWS"]
    assert [p["project"] for p in parsed.projects] == ["家庭医生签约服务"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n\t\t\n",
        "这是一段与绩效无关的说明文字。\n第二段。",
        "项目支出绩效自评表\n",
        "一级指标\t二级指标\n1\t2\n",
    ],
)
def test_bad_input_does_not_crash(text):
    parsed = parse(Doc.from_text(text or " "))
    assert parsed.projects == [] and parsed.indicators == []


def test_truncated_seed_keeps_complete_blocks(seed_doc):
    doc = seed_doc("003")
    cut = Doc.from_text("\n".join(doc.lines[:46]))  # ends inside the third block's goal text
    parsed = parse(cut)
    assert [p["project"] for p in parsed.projects][:2] == ["65岁以上老人定期体检", "疫情防控经费"]
    third = parsed.projects[2]
    assert third["budget_wan"] == 578.71 and third["score"] is None
    assert "PARTIAL_ROW" in {f.code for f in parsed.findings}


def test_tokens_remember_line_and_column():
    toks = tokenise(["项目名称\t\t疫情防控经费", "", "\t年度资金总额", "\t1.00", ""])
    assert [(t.text, t.line, t.col) for t in toks] == [
        ("项目名称", 1, 0),
        ("疫情防控经费", 1, 2),
        ("年度资金总额", 3, 0),
        ("1.00", 4, 1),
    ]


@pytest.mark.parametrize("layout", [as_tabs, as_cell_lines, as_one_line])
def test_overflow_cells_in_the_funds_line_are_left_null_and_recorded(layout):
    # A number too wide for its PDF cell prints as #####: the row stays, the value is null.
    rows = block_a(amounts=["120.5000", "#####", "110.1234"])
    text = layout(rows)
    parsed = parse(Doc.from_text(text))
    (project,) = parsed.projects
    assert (project["initial_budget_wan"], project["budget_wan"]) == (120.5, None)
    assert project["actual_wan"] == pytest.approx(110.1234)
    assert project["reported_rate_pct"] == 93.13 and project["execution_rate_pct"] is None
    (finding,) = [f for f in parsed.findings if f.code == "OVERFLOW_CELL"]
    assert finding.project == "社区慢病筛查服务" and "全年预算数" in finding.message
    funds_line = next(n for n, line in enumerate(text.splitlines(), 1) if "年度资金总额" in line)
    assert finding.source_line == funds_line


ZERO_TOTAL = """项目支出绩效自评表
（2023年度）
项目名称\t心理健康服务\t主管部门\t某市卫生健康委员会\t实施单位\t某市精神卫生中心
项目资金（万元）\t年初预算数\t全年预算数\t全年执行数\t分值\t执行率\t得分
年度资金总额\t0\t0\t0\t10\t—\t0
其中：当年财政拨款\t120.00\t120.00\t96.00\t—\t80.00%\t—
上年结转资金\t0\t0\t0\t—\t—\t—
一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因分析
产出指标\t数量指标\t服务人次\t≥1000人次\t1200人次\t50\t50
效益指标\t社会效益指标\t知晓率\t≥80%\t85%\t40\t40
总分\t100\t90
"""


def test_zero_total_row_over_a_fiscal_row_with_amounts_is_no_zero_budget():
    """Issue 11: a 年度资金总额 printed as 0 while its 财政拨款 row has amounts takes the component
    and records the contradiction."""
    parsed = parse(Doc.from_text(ZERO_TOTAL))
    (project,) = parsed.projects
    assert (project["budget_wan"], project["actual_wan"], project["reported_rate_pct"]) == (
        120.0,
        96.0,
        80.0,
    )
    (conflict,) = [f for f in parsed.findings if f.code == "VALUE_CONFLICT"]
    assert "印为 0" in conflict.message and conflict.source_line == 6


def test_zero_total_row_with_zero_components_stays_zero():
    text = ZERO_TOTAL.replace("120.00\t120.00\t96.00", "0\t0\t0")
    (project,) = parse(Doc.from_text(text)).projects
    assert project["budget_wan"] == 0.0


@pytest.mark.parametrize(
    ("label", "unit"),
    [
        ("项目资金（万元）", "万元"),
        ("项目资金(元)", "元"),
        ("项目资金元）", "元"),  # a scan lost the opening bracket
        ("项目资金（元", "元"),
        ("项目资金", None),
    ],
)
def test_unit_in_a_funds_label(label, unit):
    from loaders.kinds.project_eval_tables import _UNIT_IN_LABEL

    m = _UNIT_IN_LABEL.search(label)
    assert (m and (m.group(1) or m.group(2))) == unit


def _glued_block(total: str) -> str:
    """One 自评表 glued with no separators (a document site's text), its 总分 row as given."""
    rows = [
        ["项目支出绩效自评表"],
        ["项目名称", "急救网络建设"],
        ["项目资金（万元）", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        ["年度资金总额", "823.06", "823.06", "823.06", "10", "100.00%", "10.00"],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"],
        ["产出指标", "数量指标", "完成体检数", "≥2700人", "2800人", "45", "43"],
        ["效益指标", "社会效益指标", "居民健康素养水平", "≥90%", "95%", "45", "45"],
        ["总分", *total.split("|")],
        ["评分等级", "优"],
    ]
    return lay.render(rows, lay.GLUED).text


def test_a_glued_total_row_is_cut_at_the_full_marks():
    # '总分10098': 满分 100 and 得分 98 glued into one figure, never a score of 10098
    out = parse(Doc.from_text(_glued_block("100|98")))
    assert [p["score"] for p in out.projects] == [98.0]
    found = [f for f in out.findings if f.code == "VALUE_INFERRED" and "总分" in f.message]
    assert len(found) == 1 and "10098" in found[0].message


def test_a_glued_total_row_that_cuts_into_no_score_is_left_empty():
    out = parse(Doc.from_text(_glued_block("100|120")))
    assert [p["score"] for p in out.projects] == [None]
    found = [f for f in out.findings if f.code == "PARTIAL_ROW" and "总分" in f.message]
    assert len(found) == 1 and "100120" in found[0].message
