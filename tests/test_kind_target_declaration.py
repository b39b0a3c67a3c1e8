"""target_declaration: the 福田区 seed, and synthetic variants of the same form laid out differently."""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders.build import read_document
from loaders.document import Doc
from loaders.kinds import detect, target_declaration

FIXTURES = Path(__file__).parent / "fixtures" / "target_declaration"
SEED = "002"

# The five tasks the OCR flattened into one paragraph, as read by hand from the seed.
GARBLED_TASKS = {
    "卫生健康宣传教育": 571.77,
    "专项业务管理": 130.00,
    "老龄事务": 45.00,
    "流动人口管理": 35.00,
    "信息系统维护": 50.00,
}
# A few clean table rows, checked against the printed document.
CLEAN_TASKS = {
    "基本支出": 2306.00,
    "计划生育奖励": 31631.00,
    "独生子女父母伤残家庭扶助(含结转)": 2798.71,
    "医疗发展保障(局本级维保项目)": 447.00,
    "(统筹)国家重大公共卫生专项": 191.60,
    "(统筹)国家基本公共卫生服务(直达资金)": 3800.00,
    "幸福老人计划": 50.00,
}


def parse_text(text: str, name: str = "variant.txt"):
    return target_declaration.parse(Doc.from_text(text, name))


def parse_fixture(name: str):
    path = FIXTURES / name
    return target_declaration.parse(Doc.from_bytes(path.name, path.read_bytes()))


def budgets(parsed) -> dict[str, float | None]:
    return {r["project"]: r["budget_wan"] for r in parsed.projects}


def codes(parsed) -> list[str]:
    return [f.code for f in parsed.findings]


@pytest.fixture(scope="module")
def seed(seed_doc):
    return target_declaration.parse(seed_doc(SEED))


@pytest.fixture(scope="module")
def seed_text(seed_doc) -> str:
    return seed_doc(SEED).text


# ---------------------------------------------------------------- the seed


def test_seed_is_detected_as_a_target_declaration(seed_doc):
    (best, score), (_second, runner_up) = detect(seed_doc(SEED))[:2]
    assert best == "target_declaration"
    assert score >= 0.6 > runner_up


def test_seed_has_24_task_rows_summing_to_the_printed_total(seed):
    # The 24 named rows add up to the printed 金额合计 exactly: the '_ … _' row is no task.
    assert len(seed.projects) == 24
    assert {r["level"] for r in seed.projects} == {"task"}
    total = sum(r["budget_wan"] for r in seed.projects if r["budget_wan"] is not None)
    assert total == pytest.approx(69913.34, abs=0.005)
    assert "TOTAL_MISMATCH" not in codes(seed)


def test_seed_tasks_have_no_execution(seed):
    assert all(r["actual_wan"] is None and r["execution_rate_pct"] is None for r in seed.projects)


@pytest.mark.parametrize(("name", "budget"), sorted({**GARBLED_TASKS, **CLEAN_TASKS}.items()))
def test_seed_task_budgets(seed, name, budget):
    assert budgets(seed)[name] == pytest.approx(budget, abs=0.005)


def test_seed_garbled_paragraph_tasks_come_from_its_line_with_a_note(seed, seed_text):
    line = next(i for i, t in enumerate(seed_text.splitlines(), 1) if "卫生健康宣传教育" in t)
    rows = {r["project"]: r for r in seed.projects}
    assert {name: rows[name]["source_line"] for name in GARBLED_TASKS} == dict.fromkeys(
        GARBLED_TASKS, line
    )
    noted = {f.project for f in seed.findings if f.code == "PARTIAL_ROW" and f.source_line == line}
    assert noted == set(GARBLED_TASKS)


def test_seed_amounts_printed_out_of_order_are_read_by_their_sum(seed):
    # 老龄事务 prints 0.00 45.00 45.00: the total is the amount that equals the other two added.
    (note,) = [f for f in seed.findings if f.project == "老龄事务"]
    assert "顺序错乱" in note.message and "45.00" in note.message
    assert budgets(seed)["老龄事务"] == 45.0


def test_seed_placeholder_row_is_no_task_when_the_total_adds_up(seed, seed_text):
    placeholder = next(
        n for n, t in enumerate(seed_text.splitlines(), 1) if t.replace("\t", "").strip() == "__"
    )
    assert all(r["budget_wan"] is not None for r in seed.projects)
    assert not any("缺失" in r["project"] for r in seed.projects)
    assert not any(f.source_line == placeholder for f in seed.findings)
    (total,) = seed.totals
    assert total["rows_missing"] == 0 and total["difference_wan"] == 0


def test_seed_task_rows_point_at_their_lines(seed, seed_text):
    lines = seed_text.splitlines()
    for row in seed.projects:
        if row["budget_wan"] is not None:
            assert row["project"][:4] in lines[row["source_line"] - 1].replace(" ", "")


def test_seed_metadata(seed):
    assert seed.meta["unit"] == "深圳市福田区卫生健康局(本级)"
    assert (
        seed.meta["parent_unit"] == "深圳市福田区卫生健康局"
    )  # wrapped: '深圳市福田' + '区卫生健康局'
    assert seed.meta["year"] == 2024
    assert seed.meta["amount_unit"] == "万元"


def test_seed_indicators_are_unit_level_targets(seed):
    rows = seed.indicators
    assert 104 <= len(rows) <= 110
    assert {r["status"] for r in rows} == {"target_only"}
    assert all(r["project"] is None and r["actual_text"] is None for r in rows)
    assert not any(r["name"] == "不适用" or r["target_text"] == "不适用" for r in rows)


@pytest.mark.parametrize(
    ("name", "target", "level1", "level2", "parsed"),
    [
        ("劳务派遣人员数量", "21名", "产出指标", "数量指标", ("=", 21.0, "名")),
        ("长者文艺邀请汇次数", "1次", "产出指标", "数量指标", ("=", 1.0, "次")),
        ("设备更新率", "100%", "产出指标", "质量指标", ("=", 100.0, "%")),
        ("门户网站安全度通过考核率", "≥90%", "产出指标", "质量指标", (">=", 90.0, "%")),
        ("工作完成及时性", "100%", "产出指标", "时效指标", ("=", 100.0, "%")),
        ("出具维保报告及时率", "100%", "产出指标", "时效指标", ("=", 100.0, "%")),
        ("预算执行率", "≥90%", "产出指标", "成本指标", (">=", 90.0, "%")),
        ("成本控制率", "≤100%", "产出指标", "成本指标", ("<=", 100.0, "%")),
        ("计生协服务影响力", "有效提升", "效益指标", "社会效益指标", (None, None, None)),
        ("区老年协会规范程度", "显著提高", "效益指标", "可持续影响指标", (None, None, None)),
        ("辖区居民满意度", "≥90%", "满意度指标", "服务对象满意度指标", (">=", 90.0, "%")),
    ],
)
def test_seed_indicator_labels_and_targets(seed, name, target, level1, level2, parsed):
    (row,) = [r for r in seed.indicators if r["name"] == name]
    assert row["target_text"] == target
    assert (row["level1"], row["level2"]) == (level1, level2)
    assert (row["target_op"], row["target_value"], row["target_unit"]) == parsed


def test_seed_wrapped_indicator_names_are_joined(seed):
    names = {r["name"] for r in seed.indicators}
    assert "开展系统党建活动服务对象人次" in names
    assert (
        "对区属医疗卫生单位员工和社会医疗机构安全生产相关负责人开展安全生产网络教育培训次数"
        in names
    )


def test_seed_label_groups_are_contiguous(seed):
    order = [r["level2"] for r in seed.indicators]
    groups = [g for i, g in enumerate(order) if i == 0 or g != order[i - 1]]
    assert len(groups) == len(set(groups))


def test_seed_through_the_build(seed_result):
    result = seed_result(SEED)
    assert result["document"]["doc_kind"] == "target_declaration"
    assert result["document"]["year"] == 2024
    assert result["document"]["district"] == "福田区"
    assert len(result["projects"]) == 24
    assert not any(
        f["code"] in ("UNREADABLE", "TOTAL_MISMATCH", "RATE_MISSING") for f in result["findings"]
    )


def test_built_tables_hold_the_seed(built):
    doc = built["documents"][built["documents"]["source_file"].str.startswith(SEED)]
    (doc_id,) = doc["doc_id"]
    tasks = built["projects"][built["projects"]["doc_id"] == doc_id]
    assert len(tasks) == 24 and tasks["budget_wan"].sum() == pytest.approx(69913.34, abs=0.005)
    indicators = built["indicators"][built["indicators"]["doc_id"] == doc_id]
    assert set(indicators["status"]) == {"target_only"}


# ---------------------------------------------------------------- the seed, laid out differently


@pytest.mark.parametrize("separator", ["\n", " "], ids=["one-cell-per-line", "single-spaces"])
def test_seed_relaid_gives_the_same_budgets_and_indicators(seed, seed_text, separator):
    variant = parse_text(seed_text.replace("\t", separator))
    real = {k: v for k, v in budgets(seed).items() if v is not None}
    assert {k: v for k, v in budgets(variant).items() if v is not None} == real
    assert len(variant.indicators) == len(seed.indicators)
    same = sum(
        a["name"] == b["name"] for a, b in zip(variant.indicators, seed.indicators, strict=True)
    )
    assert same >= len(seed.indicators) - 2  # only OCR debris beside a name may stick to it
    assert {r["status"] for r in variant.indicators} == {"target_only"}
    assert variant.meta["parent_unit"] == "深圳市福田区卫生健康局"
    # A label on the line right above a name heads that row; labels set apart by blank lines
    # float and the rows between them are split by wording, as in the seed.
    assert [(r["level1"], r["level2"]) for r in variant.indicators] == [
        (r["level1"], r["level2"]) for r in seed.indicators
    ]


def as_cell_lines(text: str) -> str:
    """A word processor's export: every cell on a line of its own led by a tab, a blank line
    after each row (the 004 seed's layout)."""
    return "".join(
        "".join(f"\t{c}\n" for c in line.split("\t")) + "\n" for line in text.splitlines() if line
    )


def test_seed_as_a_tab_led_one_cell_per_line_export_reads_the_same(seed, seed_text):
    variant = parse_text(as_cell_lines(seed_text))
    assert len(variant.projects) == len(seed.projects)
    printed = lambda parsed: {k: v for k, v in budgets(parsed).items() if v is not None}  # noqa: E731
    assert printed(variant) == printed(seed)
    fields = ("name", "level1", "level2", "target_text")
    assert [[r[k] for k in fields] for r in variant.indicators] == [
        [r[k] for k in fields] for r in seed.indicators
    ]
    assert sorted(f.code for f in variant.findings) == sorted(codes(seed))
    assert variant.meta == seed.meta
    # a row spans its cell lines: 基本支出 prints five cells
    first = variant.projects[0]
    assert first["project"] == "基本支出" and first["end_line"] == first["source_line"] + 4


def test_tab_led_cells_with_a_wrapped_name_and_a_continuation_line():
    text = as_cell_lines(
        "单位整体支出绩效目标申报表\n（2024年度）\n单位名称\t某某县卫生健康局\n"
        "任务名称\t主要内容\t预算金额（万元）\n社区慢病筛查服务\t开展筛查。\t120.00\n"
        "金额合计\t120.00\n一级指标\t二级指标\t三级指标\t指标值\n"
        "产出指标\t数量指标\t筛查人数\t≥1000人\n\t质量指标\t传染病报告及时率\t≥95%\n"
    ).replace("社区慢病筛查服务", "社区慢病\n筛查服务")
    parsed = parse_text(text)
    assert budgets(parsed) == {"社区慢病筛查服务": 120.0}
    assert "TOTAL_MISMATCH" not in codes(parsed)
    assert [(r["name"], r["level2"]) for r in parsed.indicators] == [
        ("筛查人数", "数量指标"),
        ("传染病报告及时率", "质量指标"),
    ]


DECLARATION_HEAD = (
    "单位整体支出绩效目标申报表\n（2024年度）\n单位名称{sep}某某县卫生健康局\n"
    "任务名称{sep}主要内容{sep}预算金额（万元）\n"
)


@pytest.mark.parametrize("sep", ["\t", "   "], ids=["tabs", "spaces"])
def test_names_wrapped_in_their_cell_are_rejoined(sep):
    # A PDF cell too narrow for the name prints its rest on the next line, alone in its column.
    rows = [
        ["社区慢病筛查", "开展慢病筛查。", "120.00"],
        ["服务（二期）", "", ""],
        ["卫生监督执法", "开展监督检查。", "80.00"],
        ["金额合计", "", "200.00"],
    ]
    indicators = [
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "监督检查", "≥1200户次"],
        ["", "", "户次", ""],
        ["", "质量指标", "传染病报告及时率", "≥95%"],
    ]
    lines = [sep.join(c for c in r if c or sep == "\t") for r in rows + indicators]
    parsed = parse_text(DECLARATION_HEAD.format(sep=sep) + "\n".join(lines) + "\n")
    assert budgets(parsed) == {"社区慢病筛查服务（二期）": 120.0, "卫生监督执法": 80.0}
    first = parsed.projects[0]
    assert (first["source_line"], first["end_line"]) == (5, 6)
    assert [r["name"] for r in parsed.indicators] == ["监督检查户次", "传染病报告及时率"]
    assert "PARTIAL_ROW" not in codes(parsed)


def test_a_name_alone_is_a_task_when_amounts_follow_or_its_row_has_a_description():
    text = DECLARATION_HEAD.format(sep="\t") + (
        "基本支出\t保障运转。\t100.00\n"
        "社区卫生\t\t\n"  # its amounts come on the next line: a task of its own
        "\t\t88.80\n"
        "妇幼保健\t开展妇幼保健服务\t\n"  # a description but no amounts: a task without budget
        "金额合计\t188.80\n"
    )
    parsed = parse_text(text)
    assert budgets(parsed) == {"基本支出": 100.0, "社区卫生": 88.8, "妇幼保健": None}
    assert [f.project for f in parsed.findings if f.code == "PARTIAL_ROW"] == ["妇幼保健"]


@pytest.mark.parametrize("sep", ["\n", " "], ids=["rows", "one-line"])
def test_names_starting_with_a_number_on_single_spaced_rows(sep):
    text = (
        "单位整体支出绩效目标申报表\n2024年度\n单位名称：某某县卫生健康局\n"
        + sep.join(
            [
                "任务名称 主要内容 预算金额（万元） 总额 财政拨款 其他资金",
                "65岁以上老人定期体检 开展65岁以上老人体检。 300.00 300.00 0.00",
                "120急救网络建设 维护急救网络。 50.00 40.00 10.00",
                "金额合计 350.00 340.00 10.00",
            ]
        )
        + "\n"
    )
    parsed = parse_text(text)
    assert budgets(parsed) == {"65岁以上老人定期体检": 300.0, "120急救网络建设": 50.0}
    assert not {"ORPHAN_ROWS", "TOTAL_MISMATCH"} & set(codes(parsed))


def test_one_cell_per_line_labels_above_a_name_head_its_row():
    # Each row prints its 二级 label on the line above its name: a 及时率 under 质量指标 stays
    # there although its wording reads like 时效指标.
    text = (
        "单位整体支出绩效目标申报表\n2024年度\n任务名称\n预算金额（万元）\n基本支出\n100.00\n"
        "一级指标\n二级指标\n三级指标\n指标值\n"
        "产出指标\n数量指标\n监督检查户次\n≥1200户次\n"
        "质量指标\n传染病报告及时率\n≥95%\n"
        "时效指标\n资金拨付及时率\n100%\n"
    )
    parsed = parse_text(text)
    assert [(r["name"], r["level1"], r["level2"]) for r in parsed.indicators] == [
        ("监督检查户次", "产出指标", "数量指标"),
        ("传染病报告及时率", "产出指标", "质量指标"),
        ("资金拨付及时率", "产出指标", "时效指标"),
    ]


def test_two_declarations_in_one_file_give_both_task_tables(seed, seed_text):
    twice = parse_text(seed_text + "\n" + seed_text)
    assert len(twice.projects) == 2 * len(seed.projects)
    assert len(twice.indicators) == 2 * len(seed.indicators)
    assert "TOTAL_MISMATCH" not in codes(twice)  # each 金额合计 is checked against its own rows
    second = twice.projects[len(seed.projects)]
    assert second["project"] == "基本支出"
    offset = (seed_text + "\n").count("\n")  # lines of the first copy
    assert second["source_line"] == seed.projects[0]["source_line"] + offset


def test_seed_in_gb18030_gives_the_same_tables(seed_doc):
    doc = seed_doc(SEED)
    original = read_document("002.txt", doc.text.encode("utf-8"))
    converted = read_document("002.txt", doc.text.encode("gb18030"))
    assert converted["document"]["doc_kind"] == "target_declaration"
    strip = lambda rows: [{k: v for k, v in r.items() if k != "doc_id"} for r in rows]  # noqa: E731
    assert strip(converted["projects"]) == strip(original["projects"])
    assert strip(converted["indicators"]) == strip(original["indicators"])


# ---------------------------------------------------------------- synthetic variants


def test_one_cell_per_line_in_yuan_with_varied_headers():
    # 预算数（元） as the only amount column, 合计 for the total, 年初目标值 for the targets.
    parsed = parse_fixture("one_cell_per_line_yuan.txt")
    assert parsed.meta["amount_unit"] == "元"
    assert budgets(parsed) == {"人员经费": 1234.56, "公共卫生服务": 300.0, "妇幼保健": None}
    assert [f.project for f in parsed.findings if f.code == "PARTIAL_ROW"] == ["妇幼保健"]
    assert "TOTAL_MISMATCH" not in codes(parsed)
    assert parsed.meta["unit"] == "湖南省某某县卫生健康局"
    assert parsed.meta["parent_unit"] == "某某县人民政府办公室"
    assert parsed.meta["year"] == 2023
    rows = {r["name"]: r for r in parsed.indicators}
    assert list(rows) == [
        "家庭医生签约人数",
        "健康档案建档数",
        "建档率",
        "资金拨付及时率",
        "居民健康水平",
        "群众满意度",
    ]
    assert rows["健康档案建档数"]["target_text"] == "≥20000份"  # '≥ 20000 份' rejoined
    assert [rows[n]["level2"] for n in rows] == [
        "数量指标",
        "数量指标",
        "质量指标",
        "时效指标",
        "社会效益指标",
        "服务对象满意度指标",
    ]
    assert {r["status"] for r in parsed.indicators} == {"target_only"}


def test_rows_with_spaces_ocr_gaps_and_four_decimals():
    parsed = parse_fixture("spaces_rows.txt")
    assert budgets(parsed) == {"基本支出": 1200.5, "疾病预防控制": 300.25, "卫生监督执法": 50.0}
    assert parsed.meta["unit"] == "上海市某区卫生健康委员会"
    assert parsed.meta["parent_unit"] == "上海市某区人民政府"
    assert parsed.meta["year"] == 2025
    (mismatch,) = [f for f in parsed.findings if f.code == "TOTAL_MISMATCH"]
    assert "1,600.75" in mismatch.message and "1,550.75" in mismatch.message
    rows = {r["name"]: r for r in parsed.indicators}
    assert rows["传染病报告及时率"]["level2"] == "质量指标"  # the label printed on the row wins
    assert rows["辖区传染病发病率"]["target_text"] == "有效控制"
    assert rows["监督检查户次"]["target_value"] == 1200.0


def test_tables_flattened_onto_one_line():
    parsed = parse_fixture("flattened.txt")
    assert budgets(parsed) == {"人员支出": 800.0, "设备购置": 120.0}
    assert "TOTAL_MISMATCH" not in codes(parsed)
    assert parsed.meta["unit"] == "某某市疾病预防控制中心"
    assert [(r["name"], r["target_text"], r["level2"]) for r in parsed.indicators] == [
        ("设备购置数量", "≥10台", "数量指标"),
        ("设备验收合格率", "100%", "质量指标"),
        ("检测能力", "显著提升", "社会效益指标"),
        ("职工满意度", "≥90%", "服务对象满意度指标"),
    ]


def test_garbled_paragraph_is_read_by_structure_not_by_names():
    parsed = parse_fixture("garbled_paragraph.txt")
    assert budgets(parsed) == {"基本支出": 1000.0, "健康促进": 120.5, "疫苗冷链运维": 60.0}
    # three amounts that do not add up (12 + 13 != 14) name no task: reported, not guessed
    (orphan,) = [f for f in parsed.findings if f.code == "ORPHAN_ROWS"]
    assert "12.00 / 13.00 / 14.00" in orphan.message
    assert orphan.source_line == orphan.end_line == 8  # the paragraph's line
    assert "TOTAL_MISMATCH" not in codes(parsed)
    assert parsed.meta["parent_unit"] == "某某区人民政府"


def test_row_total_that_is_not_fiscal_plus_other_is_flagged():
    text = (
        "单位整体支出绩效目标申报表\n（2024年度）\n"
        "任务名称\t主要内容\t总额\t财政拨款\t其他资金\n"
        "宣传经费\t宣传\t100.00\t80.00\t10.00\n"
        "\t金额合计:\t100.00\t80.00\t10.00\n"
    )
    parsed = parse_text(text)
    assert budgets(parsed) == {"宣传经费": 100.0}
    (finding,) = [f for f in parsed.findings if f.code == "TOTAL_MISMATCH"]
    assert finding.project == "宣传经费"


def test_amounts_on_the_line_after_a_wrapped_row():
    text = (
        "单位整体支出绩效目标申报表\n（2024年度）\n"
        "任务名称\t主要内容\t预算金额（万元）\n"
        "社区卫生\t社康机构运营补助，\t\n"
        "\t覆盖全部社康。\t88.80\n"
        "合计\t88.80\n"
    )
    parsed = parse_text(text)
    assert budgets(parsed) == {"社区卫生": 88.8}
    assert parsed.projects[0]["source_line"] == 4 and parsed.projects[0]["end_line"] == 5
    assert "TOTAL_MISMATCH" not in codes(parsed)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "单位整体支出绩效目标申报表\n",
        "任务名称\t主要内容\n",
        "一级指标\t二级指标\t三级指标\t指标值\n不适用\t不适用\n",
    ],
)
def test_fragments_never_crash(text):
    parsed = parse_text(text)
    assert all(r["budget_wan"] is None or r["budget_wan"] >= 0 for r in parsed.projects)


def test_a_document_without_a_task_table_says_so():
    parsed = parse_text(
        "单位整体支出绩效目标申报表\n一级指标\t二级指标\t三级指标\t指标值\n\t\t门诊人次\t≥100人次\n"
    )
    assert "MISSING_TABLE" in codes(parsed)
    assert [r["name"] for r in parsed.indicators] == ["门诊人次"]


@pytest.mark.parametrize(
    "name",
    ["one_cell_per_line_yuan.txt", "spaces_rows.txt", "flattened.txt", "garbled_paragraph.txt"],
)
def test_variants_are_detected_and_built(name):
    result = read_document(name, (FIXTURES / name).read_bytes())
    assert result["document"]["doc_kind"] == "target_declaration"
    assert result["projects"] and all(p["level"] == "task" for p in result["projects"])
    assert not any(f["code"] in ("UNREADABLE", "LOW_CONFIDENCE") for f in result["findings"])


def test_amounts_without_a_task_span_their_cell_lines():
    # One cell per line: a row of amounts before any task name; the finding spans its amounts.
    text = as_cell_lines(
        "单位整体支出绩效目标申报表\n（2024年度）\n任务名称\t主要内容\t预算金额（万元）\n"
        "\t\t12.00\t13.00\n基本支出\t保障运转。\t100.00\n合计\t100.00\n"
    )
    parsed = parse_text(text)
    (orphan,) = [f for f in parsed.findings if f.code == "ORPHAN_ROWS"]
    lines = text.split("\n")
    assert lines[orphan.source_line - 1] == "\t12.00" and lines[orphan.end_line - 1] == "\t13.00"
    assert orphan.end_line == orphan.source_line + 1
    assert budgets(parsed) == {"基本支出": 100.0}


# ---------------------------------------------------------------- 项目支出绩效目标申报表

# Two published 四川 declarations (field set copies): one project each, headers split over lines.
PROJECT_FORMS = {
    "project_form_tkjt.txt": ("特困家庭再扶助(独生子女死亡再扶助)", 6.30, 9),
    "project_form_mfb.txt": ("麻风病防治", 4.00, 11),
}


@pytest.mark.parametrize(("name", "expected"), PROJECT_FORMS.items())
def test_project_form_is_one_project_with_its_indicators(name, expected):
    project, budget, n_indicators = expected
    parsed = parse_fixture(name)
    # 预算单位, (一)财政拨款小计, (二)自有资金小计, 总体 … are labels of the form, not tasks
    assert [(r["level"], r["project"], r["budget_wan"]) for r in parsed.projects] == [
        ("task", project, budget)
    ]
    (inferred,) = [f for f in parsed.findings if f.code == "VALUE_INFERRED"]
    assert "(一)财政拨款小计" in inferred.message and inferred.severity == "info"
    assert "ORPHAN_ROWS" not in codes(parsed) and "MISSING_TABLE" not in codes(parsed)
    assert len(parsed.indicators) == n_indicators
    assert {r["status"] for r in parsed.indicators} == {"target_only"}
    assert {r["project"] for r in parsed.indicators} == {project}
    # each (一)/(二) 小计 is checked against its breakdown 1、2、3、
    assert [t["label"] for t in parsed.totals] == [
        "资金来源「(一)财政拨款小计」",
        "资金来源「(二)自有资金小计」",
    ]
    assert "TOTAL_MISMATCH" not in codes(parsed)


def test_project_form_headers_split_over_lines_label_their_rows():
    rows = {r["name"]: r for r in parse_fixture("project_form_tkjt.txt").indicators}
    # '项目效益\n指标\n社会效益\n指标' above the row, '满意度指标 满意度指标' on it
    assert rows["促进人口与经济、社会、资源、环境协调和可持续发展"]["level2"] == "社会效益指标"
    assert rows["实现社会稳定和谐发展"]["level2"] == "可持续影响指标"
    assert (rows["受益群众满意度"]["level1"], rows["受益群众满意度"]["level2"]) == (
        "满意度指标",
        "满意度指标",
    )
    assert rows["成本控制"]["target_text"] == "严格按照预算标准1000元/人给补助对象兑付补助"
    assert rows["资金拨付"]["target_text"] == "12月底到位"


def test_project_form_keeps_qualitative_targets_and_reports_a_row_without_one():
    parsed = parse_fixture("project_form_mfb.txt")
    targets = {r["name"]: r["target_text"] for r in parsed.indicators}
    assert targets["政府对麻风村休养员、村外康复者和现症病人的关爱"] == "明显增加"
    assert targets["项目实施情况"] == "良好"
    assert targets["服务能力提升"] == "持续加强"
    # '宣传教育 覆盖全区所有人员': no target reads from it; reported, not guessed
    (partial,) = [f for f in parsed.findings if f.code == "PARTIAL_ROW"]
    assert "宣传教育" in partial.message


PROJECT_HEAD = (
    "项目支出绩效目标申报表\n（2022年度）\n项目名称{sep}慢病筛查{sep}预算单位{sep}某某县疾控中心\n"
)
PROJECT_TAIL = (
    "一级指标{sep}二级指标{sep}三级指标{sep}指标值\n产出指标{sep}数量指标{sep}筛查人数{sep}≥500人\n"
)


@pytest.mark.parametrize("sep", ["\t", "   ", " "], ids=["tabs", "spaces", "single-spaces"])
@pytest.mark.parametrize(
    ("funds", "budget", "code"),
    [
        # the total printed: it is the budget, and the sources are checked against it
        ("年度资金总额{sep}10.00\n财政拨款{sep}8.00\n其他资金{sep}2.00\n", 10.0, None),
        ("年度资金总额{sep}10.00\n财政拨款{sep}8.00\n其他资金{sep}1.00\n", 10.0, "TOTAL_MISMATCH"),
        # the total printed bare: the sources add up to the budget, said in a finding
        (
            "项目资金(万元){sep}年度资金总额\n(一)财政拨款小计{sep}8.00\n(二)其他收入{sep}2.00\n",
            10.0,
            "VALUE_INFERRED",
        ),
        # nothing printed: no budget, and a finding says so
        ("项目资金(万元){sep}年度资金总额\n", None, "PARTIAL_ROW"),
    ],
    ids=["total", "total-mismatch", "sources", "none"],
)
def test_project_form_budget(sep, funds, budget, code):
    text = (PROJECT_HEAD + funds + "年度目标\n完成筛查。\n" + PROJECT_TAIL).format(sep=sep)
    parsed = parse_text(text)
    assert [(r["project"], r["budget_wan"]) for r in parsed.projects] == [("慢病筛查", budget)]
    assert {f.code for f in parsed.findings} == ({code} if code else set())
    assert [r["name"] for r in parsed.indicators] == ["筛查人数"]
    assert parsed.meta["unit"] == "某某县疾控中心"


def test_a_project_name_header_over_task_columns_is_a_task_table():
    text = (
        "单位整体支出绩效目标申报表\n（2024年度）\n"
        "项目名称\t主要内容\t预算金额（万元）\n基本支出\t保障运转。\t100.00\n合计\t100.00\n"
    )
    parsed = parse_text(text)
    assert budgets(parsed) == {"基本支出": 100.0}
    assert "MISSING_TABLE" not in codes(parsed)


@pytest.mark.parametrize(
    ("total", "lost"),
    [("150.00", 1), ("100.00", 0)],
    ids=["total-lacks-a-row", "total-adds-up"],
)
def test_placeholder_row_counts_only_when_the_total_lacks_it(total, lost):
    text = DECLARATION_HEAD.format(sep="\t") + (
        f"_\t\t_\t\n基本支出\t保障运转。\t100.00\n金额合计\t{total}\n"
    )
    parsed = parse_text(text)
    assert budgets(parsed) == {"基本支出": 100.0}  # never a task named after its line
    (checked,) = parsed.totals
    assert checked["rows_missing"] == lost
    placeholders = [f for f in parsed.findings if f.code == "PARTIAL_ROW"]
    assert [f.source_line for f in placeholders] == [5] * lost
    assert "TOTAL_MISMATCH" not in codes(parsed)  # a row that did not print: 无法核对, no mismatch


def test_two_project_forms_in_one_file_keep_their_own_indicators():
    text = "\n".join((FIXTURES / name).read_text(encoding="utf-8") for name in PROJECT_FORMS)
    parsed = parse_text(text)
    assert [(r["project"], r["budget_wan"]) for r in parsed.projects] == [
        (project, budget) for project, budget, _n in PROJECT_FORMS.values()
    ]
    per_project = [r["project"] for r in parsed.indicators]
    assert per_project == [p for p, _b, n in PROJECT_FORMS.values() for _ in range(n)]
