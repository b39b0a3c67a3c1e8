"""Kind department_overall_eval: the 浏阳市 seed, its layouts, and hand-written variants of the form."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders import layout
from loaders.build import read_document
from loaders.document import Doc
from loaders.kinds import detect
from loaders.kinds.department_overall_eval import (
    KIND,
    align,
    by_column,
    features,
    funds_header,
    indicator_columns,
    indicator_header,
    parse,
)
from loaders.rows import clean_name

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "department_overall_eval"
# Hand-checked values for seed 004 (from the team's gold file, kept here so the tests stand alone).
SEED_GOLD = {
    "unit": "浏阳市卫生健康局",
    "year": 2021,
    "overall": {"budget": 25591.99949, "actual": 33557.32, "reported_rate": 131.12},
    "lines": [
        {"line": "基本支出", "budget": 2988.49949, "actual": 26981.24, "reported_rate": 902.84},
        {"line": "项目支出", "budget": 22603.5, "actual": 6576.08, "reported_rate": 29.09},
    ],
    "indicator_rows": 24,
    "indicator_weight_total": 100,
    "indicator_score_total": 100,
    "expected_findings": ["RATE_OVER_100"],
    "status_samples": [
        {
            "indicator": "居民基本公共卫生服务相关知识知晓率",
            "target": "≥80%",
            "actual": "80.01%",
            "weight": 4,
            "score": 4,
            "status": "met",
        },
        {
            "indicator": "国家基本公共卫生服务居民满意度",
            "target": "≥90%",
            "actual": "99.3%",
            "weight": 10,
            "score": 10,
            "status": "met",
        },
    ],
}


def fixture(name: str) -> Doc:
    path = FIXTURES / name
    return Doc.from_bytes(path.name, path.read_bytes())


def codes(findings) -> list[str]:
    return [f.code if hasattr(f, "code") else f["code"] for f in findings]


def by_level(projects: list[dict], level: str) -> dict[str, dict]:
    return {p["project"]: p for p in projects if p["level"] == level}


def indicator(rows: list[dict], name: str) -> dict:
    (row,) = [r for r in rows if r["name"] == name]
    return row


# ---- header roles and columns ------------------------------------------------------------------


def cells_of(line: str) -> list:
    (row,) = list(layout.rows([line]))
    return row


def test_header_words_split_over_cells_make_one_column():
    cells = cells_of(
        "一级指标 权重 二级指标 三级指标 年度指标值 全 年 完成值 自评 得分 偏差及 原因分析"
    )
    header = indicator_header(cells)
    roles, by_col = indicator_columns(header)
    assert roles == ["l1", "l1w", "l2", "name", "target", "actual", "score", "reason"]
    assert not by_col and header.end == len(cells)


def test_indicator_header_by_printed_column_keeps_empty_header_cells():
    # Cell lines: the empty 二级 header cell is a column too; 权重 before 三级 weighs the group.
    lines = ["\t一级指标", "\t", "\t三级指标", "\t分值", "\t全  年", "完成值", "\t得分"]
    (row,) = list(layout.rows(lines))
    roles, by_col = indicator_columns(indicator_header(row))
    assert by_col and roles == ["l1", "other", "name", "weight", "actual", "score"]


def test_indicator_header_in_the_middle_of_a_glued_row():
    row = cells_of(
        "分解目标自评 权重 二级指标 三级指标 年度指标值 全年完成值 分值 得分 偏差及原因分析"
    )
    header = indicator_header(row)
    assert header.start == 1
    roles, _ = indicator_columns(header)
    assert roles == ["l1w", "l2", "name", "target", "actual", "weight", "score", "reason"]


@pytest.mark.parametrize(
    ("line", "roles", "start"),
    [
        (
            "年度预算申请 年初预算数 全年预算数 全年执行数 分值 执行率 得分",
            ["initial", "budget", "actual", "weight", "rate", "score"],
            1,
        ),
        ("整体支出规模 全年预算数 全年执行数 执行率", ["budget", "actual", "rate"], 1),
        (
            "整体支出规模（单位：元）  预算数(A)  执行数(B)  执行率(B/A)",
            ["budget", "actual", "rate"],
            1,
        ),
        (
            "整体支出规模 年初预算数 调整后预算数 全年执行数 执行率",
            ["initial", "budget", "actual", "rate"],
            1,
        ),
        # An indicator about budget execution, with its formula, is not a header.
        ("预算执行率（10） 全年执行数/全年预算数×100% ≥95% 96% 10", None, None),
        ("基本支出 项目支出", None, None),
    ],
)
def test_funds_header(line, roles, start):
    header = funds_header(cells_of(line))
    if roles is None:
        assert header is None
    else:
        assert (header.roles, header.start) == (roles, start)


def test_seed_indicator_row_read_by_printed_column(seed_doc):
    rows = list(layout.rows(seed_doc("004").lines))
    header = next(indicator_header(r) for r in rows if indicator_header(r))
    roles, by_col = indicator_columns(header)
    assert by_col
    merged = [r for r in roles if r != "name"]
    first = next(r for r in rows if r[0].text.startswith("投入管理"))
    assert first[0].line == 81
    # The 二级 label is the indicator and the row has no 三级 cell: read without that column.
    seg = by_column(first, roles, merged, {})
    assert {role: t.text for role, t in seg.items()} == {
        "l1": "投入管理指标",
        "l1w": "30",
        "l2": "预算编审管理（3）",
        "target": "根据财政管理工作绩效考核相关办法规定填报",
        "actual": "100%",
        "score": "3",
    }


# ---- alignment --------------------------------------------------------------------------------

ROLES = ["l1", "l1w", "l2", "name", "target", "actual", "score", "reason"]


def tokenize(text: str):
    return features(layout.make_cell(text, 1, 1, None, layout.TEXT))


def _align(texts: list[str]) -> list[dict[str, str]]:
    tokens = [tokenize(t) for t in texts]
    return [{role: texts[k] for role, k in seg.items()} for seg in align(tokens, ROLES)]


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        # A merged 二级/三级 label: the row has no 三级 cell, and a lone value is the actual.
        (
            ["预算执行管理（4）", "100%", "4"],
            [{"l2": "预算执行管理（4）", "actual": "100%", "score": "4"}],
        ),
        # A continuation row without the context columns.
        (
            ["适龄人群接种率：", "≥90%", "97.29%", "2"],
            [{"name": "适龄人群接种率：", "target": "≥90%", "actual": "97.29%", "score": "2"}],
        ),
        # A row broken by a blank line: the weight of the 一级 group opens it.
        (
            ["45", "经济效益指标（10）", "医疗收入", "逐年增长", "逐年增长", "5"],
            [
                {
                    "l1w": "45",
                    "l2": "经济效益指标（10）",
                    "name": "医疗收入",
                    "target": "逐年增长",
                    "actual": "逐年增长",
                    "score": "5",
                }
            ],
        ),
        # Two rows on one line; the text after a score is the next row's name, not a reason.
        (
            [
                "65岁及以上老年人健康管理率",
                "≥60%",
                "84.18%",
                "4",
                "国家满意度",
                "≥90%",
                "99.3%",
                "10",
                "未达标",
            ],
            [
                {
                    "name": "65岁及以上老年人健康管理率",
                    "target": "≥60%",
                    "actual": "84.18%",
                    "score": "4",
                },
                {
                    "name": "国家满意度",
                    "target": "≥90%",
                    "actual": "99.3%",
                    "score": "10",
                    "reason": "未达标",
                },
            ],
        ),
        # A 一级 label alone is context only.
        (["效益指标"], [{"l1": "效益指标"}]),
    ],
)
def test_align_by_content(texts, expected):
    assert _align(texts) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "产出指标",
                "25",
                "数量指标（6）",
                "接种率：",
                "≥90%",
                "97%",
                "2",
                "逐年提高",
                "预算执行管理（4）",
                "原因",
                "",
                "总",
            ]
        ),
        max_size=30,
    )
)
def test_align_places_every_token_once_in_header_order(texts):
    texts = [t for t in texts if t]
    segments = align([tokenize(t) for t in texts], ROLES)
    placed = [k for seg in segments for k in seg.values()]
    assert placed == list(range(len(texts)))
    for seg in segments:
        order = [ROLES.index(r) for r in seg]
        assert order == sorted(order)


# ---- the seed ---------------------------------------------------------------------------------


def test_detects_the_seed_as_this_kind(seed_doc):
    kind, score = detect(seed_doc("004"))[0]
    assert kind == KIND and score >= 0.6


def test_seed_metadata(seed_result):
    doc = seed_result("004")["document"]
    assert doc["doc_kind"] == KIND
    assert doc["unit"] == SEED_GOLD["unit"]
    assert doc["year"] == SEED_GOLD["year"] and doc["year_source"] == "document"
    assert doc["amount_unit"] == "万元"
    assert doc["title"] == "2021年部门整体支出绩效自评表"


def test_seed_department_and_expenditure_lines(seed_result):
    projects = seed_result("004")["projects"]
    (dept,) = [p for p in projects if p["level"] == "department"]
    overall = SEED_GOLD["overall"]
    assert dept["project"] == SEED_GOLD["unit"]
    assert dept["budget_wan"] == overall["budget"]  # every printed decimal kept
    assert dept["actual_wan"] == overall["actual"]
    assert dept["reported_rate_pct"] == overall["reported_rate"]
    assert dept["execution_rate_pct"] == pytest.approx(33557.32 / 25591.99949 * 100)
    assert dept["score"] == SEED_GOLD["indicator_score_total"]
    assert dept["source_line"] == 17
    lines = by_level(projects, "expenditure_type")
    assert set(lines) == {g["line"] for g in SEED_GOLD["lines"]}
    for g in SEED_GOLD["lines"]:
        row = lines[g["line"]]
        assert (row["budget_wan"], row["actual_wan"], row["reported_rate_pct"]) == (
            g["budget"],
            g["actual"],
            g["reported_rate"],
        )
    assert len(projects) == 3


def test_seed_flags_rates_over_100_and_nothing_else(seed_result):
    findings = seed_result("004")["findings"]
    over = {f["project"] for f in findings if f["code"] == "RATE_OVER_100"}
    assert over == {SEED_GOLD["unit"], "基本支出"}
    assert set(codes(findings)) == set(SEED_GOLD["expected_findings"])


def test_seed_indicators(seed_result):
    rows = seed_result("004")["indicators"]
    assert len(rows) == SEED_GOLD["indicator_rows"]
    assert sum(r["weight"] for r in rows) == SEED_GOLD["indicator_weight_total"]
    assert sum(r["score"] for r in rows) == SEED_GOLD["indicator_score_total"]
    assert all(r["project"] is None for r in rows)
    level1 = [r["level1"] for r in rows]
    assert (
        level1.count("投入管理指标") == 8
        and level1.count("产出指标") == 8
        and level1.count("效益指标") == 8
    )
    # 投入管理: the 二级 label is the indicator; its weight comes from the label.
    first = rows[0]
    assert (first["name"], first["level2"], first["weight"], first["score"]) == (
        "预算编审管理",
        "预算编审管理",
        3,
        3,
    )
    assert first["target_text"] == "根据财政管理工作绩效考核相关办法规定填报"
    assert first["actual_text"] == "100%"
    second = indicator(rows, "预算执行管理")
    assert second["target_text"] is None and second["actual_text"] == "100%"
    # A 二级 group shared by three rows whose scores fill the group weight (数量指标（6）).
    quantity = [r for r in rows if r["level2"] == "数量指标"]
    assert [r["weight"] for r in quantity] == [2, 2, 2]
    archive = indicator(rows, "居民健康档案管理")
    assert archive["target_text"] == "全人群建档率≥80%；重点人群建档率≥95%"
    assert archive["actual_text"] == "全人群建档率98.01%；重点人群建档率100%"
    timely = indicator(rows, "传染病及突发公共卫生事件报告和处理")
    assert (timely["target_op"], timely["target_value"], timely["target_unit"]) == (
        "<=",
        2.0,
        "小时",
    )
    elderly = indicator(rows, "65岁及以上老年人城乡社区规范健康管理服务率")
    assert (elderly["level2"], elderly["target_text"], elderly["actual_value"]) == (
        "质量指标",
        "≥60%",
        84.18,
    )
    assert indicator(rows, "人口长期均衡发展")["weight"] == 7


def test_seed_status_samples(seed_result):
    rows = seed_result("004")["indicators"]
    samples = SEED_GOLD["status_samples"]
    assert samples
    for s in samples:
        row = indicator(rows, s["indicator"])
        assert (row["target_text"], row["actual_text"]) == (s["target"], s["actual"])
        assert (row["weight"], row["score"], row["status"]) == (
            s["weight"],
            s["score"],
            s["status"],
        )


def test_seed_satisfaction_row_stays_under_benefit(seed_result):
    # 效益指标 weighs 45 = 经济10 + 社会10 + 生态7 + 可持续8 + 满意度10: 满意度 is a 二级 of 效益 here.
    row = indicator(seed_result("004")["indicators"], "国家基本公共卫生服务居民满意度")
    assert (row["level1"], row["level2"], row["weight"], row["source_line"]) == (
        "效益指标",
        "满意度指标",
        10,
        294,
    )


def test_seed_in_the_built_tables(built):
    docs = built["documents"]
    doc_id = docs[docs["source_file"].str.startswith("004")]["doc_id"].iloc[0]
    inds = built["indicators"][built["indicators"]["doc_id"] == doc_id]
    assert len(inds) == 24 and set(inds["status"]) == {"met"}
    projects = built["projects"][built["projects"]["doc_id"] == doc_id]
    assert sorted(projects["level"]) == ["department", "expenditure_type", "expenditure_type"]


# ---- the seed in other layouts ----------------------------------------------------------------


def _cell(text: str) -> str:
    return clean_name(text) or ""


def read_rows(lines: list[str]) -> list[list[str]]:
    """The seed's rows as printed, empty cells in their columns (trailing ones are not kept)."""
    out = []
    for row in layout.rows(lines):
        if all(c.col is not None for c in row):
            texts = [""] * (row[-1].col + 1)
            for c in row:
                texts[c.col] = _cell(c.text)
            out.append(texts)
        else:
            out.append([_cell(c.text) for c in row])
    return out


def as_tab_rows(lines: list[str]) -> str:
    return "\n".join("\t".join(row) for row in read_rows(lines))


def as_space_rows(lines: list[str]) -> str:
    return "\n".join(" ".join(c for c in row if c) for row in read_rows(lines))


def as_one_line_tables(lines: list[str]) -> str:
    """Budget table and indicator table each flattened onto one line."""
    rows = [" ".join(c for c in row if c) for row in read_rows(lines)]
    rows = [r for r in rows if r]
    b0 = next(i for i, r in enumerate(rows) if r.startswith("整体支出规模"))
    b1 = next(i for i, r in enumerate(rows) if r.startswith("年度总体目标"))
    i0 = next(i for i, r in enumerate(rows) if r.startswith("一级指标"))
    i1 = next(i for i, r in enumerate(rows) if r.startswith("总分")) + 1
    return "\n".join(
        rows[:b0] + [" ".join(rows[b0:b1])] + rows[b1:i0] + [" ".join(rows[i0:i1])] + rows[i1:]
    )


def as_bare_cells(lines: list[str]) -> str:
    """Every non-empty cell on a line of its own, no tabs and no blank lines: no row ends."""
    return "\n".join(c for row in read_rows(lines) for c in row if c)


def as_bare_cells_blank_rows(lines: list[str]) -> str:
    """One cell per line without tabs, a blank line after each row."""
    rows = ["\n".join(c for c in row if c) for row in read_rows(lines)]
    return "\n\n".join(r for r in rows if r)


def _facts(parsed) -> tuple[list, list]:
    projects = [
        (
            p["level"],
            p["project"],
            p["budget_wan"],
            p["actual_wan"],
            p["reported_rate_pct"],
            p["score"],
        )
        for p in parsed.projects
    ]
    keys = ("level1", "level2", "name", "target_text", "actual_text", "weight", "score", "status")
    return projects, [tuple(i[k] for k in keys) for i in parsed.indicators]


@pytest.mark.parametrize(
    "render",
    [as_tab_rows, as_space_rows, as_one_line_tables, as_bare_cells, as_bare_cells_blank_rows],
)
def test_seed_gives_the_same_tables_in_other_layouts(seed_doc, render):
    seed = seed_doc("004")
    variant = Doc.from_text(render(seed.lines), "variant.txt")
    assert "\t" not in variant.text or render is as_tab_rows
    original, other = parse(seed), parse(variant)
    assert _facts(other) == _facts(original)
    assert other.meta["unit"] == SEED_GOLD["unit"]
    assert not [f for f in other.findings if f.code != "RATE_OVER_100"]


def test_seed_without_its_tabs_is_read_and_a_split_cell_is_reported(seed_doc):
    # Without the tabs an empty cell prints as a blank line and a wrapped cell's rest looks like
    # the next cell: the form is read part by part, by content. One target wrapped over two
    # lines ('根据财政管理工作绩效考核' + '相关办法规定填报') shifts its row; the sums say so.
    seed = seed_doc("004")
    variant = Doc.from_text(seed.text.replace("\t", ""), "untabbed.txt")
    original, other = parse(seed), parse(variant)
    assert _facts(other)[0] == _facts(original)[0]
    same = [a == b for a, b in zip(_facts(other)[1], _facts(original)[1], strict=True)]
    assert same.count(False) == 1
    assert other.indicators[same.index(False)]["name"] == "预算编审管理"
    assert {"WEIGHT_SUM_MISMATCH", "SCORE_SUM_MISMATCH"} <= set(codes(other.findings))
    assert other.meta["unit"] == SEED_GOLD["unit"]


def test_seed_in_gb18030_gives_the_same_tables(seed_doc):
    seed = seed_doc("004")
    copy = Doc.from_bytes("gb.txt", seed.text.encode("gb18030"))
    assert copy.encoding == "gb18030"
    assert _facts(parse(copy)) == _facts(parse(seed))


# ---- hand-written variants of the form --------------------------------------------------------


def test_tab_rows_in_yuan_with_other_header_names():
    result = read_document("tab_rows_yuan.txt", (FIXTURES / "tab_rows_yuan.txt").read_bytes())
    doc = result["document"]
    assert (doc["doc_kind"], doc["unit"], doc["year"], doc["amount_unit"]) == (
        KIND,
        "攸县卫生健康局",
        2022,
        "元",
    )
    dept = by_level(result["projects"], "department")["攸县卫生健康局"]
    # The printed 合计 line is the department total; 元 become 万元.
    assert (dept["budget_wan"], dept["actual_wan"], dept["reported_rate_pct"], dept["score"]) == (
        15000,
        13500,
        90,
        97,
    )
    lines = by_level(result["projects"], "expenditure_type")
    assert (lines["基本支出"]["budget_wan"], lines["基本支出"]["actual_wan"]) == (6000, 6000)
    assert (lines["项目支出"]["budget_wan"], lines["项目支出"]["actual_wan"]) == (9000, 7500)
    assert lines["项目支出"]["reported_rate_pct"] == 83.33
    rows = result["indicators"]
    assert len(rows) == 7 and sum(r["score"] for r in rows) == 97
    assets = indicator(rows, "资产管理")
    assert (assets["actual_text"], assets["weight"], assets["score"], assets["status"]) == (
        "95%",
        10,
        9,
        "not_met",
    )
    assert assets["deviation_reason"] == "资产登记不及时"
    # 数量指标（20） scored 10 + 8: which row lost the points is unknown, so the rows carry no
    # weight and their status comes from target against actual.
    signed = indicator(rows, "家庭医生签约人数")
    vaccine = indicator(rows, "适龄儿童疫苗接种率")
    assert signed["weight"] is None and signed["status"] == "met"
    assert vaccine["weight"] is None and vaccine["status"] == "not_met"
    assert vaccine["deviation_reason"] == "冷链配送延误"
    assert codes(result["findings"]) == ["PARTIAL_ROW"]
    assert result["findings"][0]["severity"] == "info"


def test_flattened_rows_with_adjusted_budget_and_missing_rate():
    result = read_document("flattened_rows.txt", (FIXTURES / "flattened_rows.txt").read_bytes())
    assert result["document"]["unit"] == "醴陵市卫生健康局" and result["document"]["year"] == 2023
    dept = by_level(result["projects"], "department")["醴陵市卫生健康局"]
    assert (dept["initial_budget_wan"], dept["budget_wan"], dept["actual_wan"]) == (
        8000,
        8200.1234,
        8100.5,
    )
    assert dept["reported_rate_pct"] == 98.79
    lines = by_level(result["projects"], "expenditure_type")
    assert lines["基本支出"]["reported_rate_pct"] == 106.45
    assert lines["项目支出"]["reported_rate_pct"] is None  # printed as —
    assert lines["项目支出"]["execution_rate_pct"] == pytest.approx(4800.25 / 5100 * 100)
    rows = result["indicators"]
    assert [r["name"] for r in rows] == [
        "预算编审管理",
        "资产管理",
        "居民健康档案建档率",
        "65岁及以上老年人健康管理率",
        "资金拨付及时率",
        "传染病报告及时率",
        "居民满意度",
    ]
    timely = indicator(rows, "资金拨付及时率")
    assert (timely["weight"], timely["score"], timely["status"]) == (10, 6, "not_met")
    assert timely["deviation_reason"] == "部分资金年底拨付"
    # The 一级 label 效益指标 sits on a line of its own.
    assert indicator(rows, "传染病报告及时率")["level1"] == "效益指标"
    found = codes(result["findings"])
    assert sorted(found) == ["RATE_OVER_100", "SCORE_SUM_MISMATCH"]
    (mismatch,) = [f for f in result["findings"] if f["code"] == "SCORE_SUM_MISMATCH"]
    assert "96" in mismatch["message"] and "92" in mismatch["message"]


def test_whole_tables_on_one_line():
    result = read_document("one_line_tables.txt", (FIXTURES / "one_line_tables.txt").read_bytes())
    dept = by_level(result["projects"], "department")["茶陵县卫生健康局"]
    assert (dept["budget_wan"], dept["actual_wan"], dept["reported_rate_pct"], dept["score"]) == (
        5000,
        4500,
        90,
        95,
    )
    lines = by_level(result["projects"], "expenditure_type")
    assert [(p["budget_wan"], p["actual_wan"], p["reported_rate_pct"]) for p in lines.values()] == [
        (2000, 2000, 100),
        (3000, 2500, 83.33),
    ]
    rows = result["indicators"]
    assert len(rows) == 7
    assert sum(r["weight"] for r in rows) == 100 and sum(r["score"] for r in rows) == 95
    knowledge = indicator(rows, "健康知识知晓率")
    assert (knowledge["level2"], knowledge["weight"], knowledge["score"]) == ("质量指标", 20, 15)
    assert knowledge["deviation_reason"] == "宣传覆盖不足"
    assert indicator(rows, "社会稳定水平")["level1"] == "效益指标"
    assert codes(result["findings"]) == []


def test_weights_in_their_own_column():
    result = read_document("weights_column.txt", (FIXTURES / "weights_column.txt").read_bytes())
    rows = result["indicators"]
    assert [(r["name"], r["weight"], r["score"], r["status"]) for r in rows] == [
        ("预算执行管理", 10, 9, "not_met"),
        ("资产管理", 10, 10, "met"),
        ("家庭医生签约服务人数", 25, 25, "met"),
        ("院感事件发生数", 20, 15, "not_met"),
        ("群众就医负担", 20, 20, "met"),
        ("患者满意度", 10, 10, "met"),
    ]
    assert indicator(rows, "院感事件发生数")["level2"] == "质量指标"
    assert codes(result["findings"]) == ["WEIGHT_SUM_MISMATCH"]
    assert "95" in result["findings"][0]["message"]
    dept = by_level(result["projects"], "department")["炎陵县卫生健康局"]
    assert (dept["budget_wan"], dept["actual_wan"], dept["reported_rate_pct"]) == (
        1200.5,
        1100.25,
        91.65,
    )


def test_spaced_rows_with_a_funds_line_and_the_unit_in_the_title():
    path = FIXTURES / "spaced_rows_funds_line.txt"
    result = read_document(path.name, path.read_bytes())
    doc = result["document"]
    assert (doc["unit"], doc["year"], doc["amount_unit"]) == ("湘潭县卫生健康局", 2022, "万元")
    dept = by_level(result["projects"], "department")["湘潭县卫生健康局"]
    assert (dept["initial_budget_wan"], dept["budget_wan"], dept["actual_wan"]) == (
        2000,
        2400,
        2280,
    )
    assert (dept["reported_rate_pct"], dept["funds_weight"], dept["funds_score"]) == (95, 10, 9.5)
    assert dept["score"] == 98.5
    # 人员经费 is part of 基本支出, not a line of its own; a line without its rate keeps None.
    lines = by_level(result["projects"], "expenditure_type")
    assert set(lines) == {"基本支出", "项目支出"}
    assert (lines["项目支出"]["initial_budget_wan"], lines["项目支出"]["budget_wan"]) == (500, 900)
    assert lines["项目支出"]["reported_rate_pct"] is None
    rows = result["indicators"]
    assert [(r["level1"], r["level2"], r["name"]) for r in rows] == [
        ("产出指标", "数量指标", "家庭医生签约人数"),
        ("产出指标", "质量指标", "预算执行率"),
        ("效益指标", "社会效益指标", "居民健康水平"),
        ("满意度指标", "服务对象满意度指标", "群众满意度"),
    ]
    execution = indicator(rows, "预算执行率")
    assert execution["target_text"] == "全年执行数/全年预算数×100%"
    assert (execution["weight"], execution["score"], execution["status"]) == (20, 19, "not_met")
    # Weights 90 + the funds line's 10 make 100; scores 89 + 9.5 make the printed 98.5.
    assert codes(result["findings"]) == []


def test_structure_lines_that_do_not_add_up_give_total_mismatch():
    text = (FIXTURES / "tab_rows_yuan.txt").read_text(encoding="utf-8")
    text = text.replace("（2）项目支出\t90,000,000.00", "（2）项目支出\t95,000,000.00")
    parsed = parse(Doc.from_text(text))
    (finding,) = [f for f in parsed.findings if f.code == "TOTAL_MISMATCH"]
    assert "500.00" in finding.message
    projects = by_level(parsed.projects, "expenditure_type")
    assert projects["项目支出"]["budget_wan"] == 9500  # the printed value is kept


def test_level1_weight_that_its_groups_do_not_fill(seed_doc):
    text = seed_doc("004").text.replace("\t投入管理\n指  标\n\t30\n", "\t投入管理\n指  标\n\t35\n")
    parsed = parse(Doc.from_text(text))
    (finding,) = [f for f in parsed.findings if f.code == "WEIGHT_SUM_MISMATCH"]
    assert "投入管理指标" in finding.message and "35" in finding.message
    assert finding.source_line == 81


# ---- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "部门整体支出绩效自评表\n这是一段与表格无关的说明文字。",
        "\t\t\t\n\t\n\n  \n",
        "一级指标 二级指标 三级指标\n" + "产出指标 " * 3000,
    ],
)
def test_unusual_text_gives_findings_not_exceptions(text):
    parsed = parse(Doc.from_text(text))
    assert parsed.indicators == [] or all(r["name"] for r in parsed.indicators)
    assert "PARTIAL_ROW" in codes(parsed.findings)


def test_truncated_seed_keeps_what_it_read(seed_doc):
    seed = seed_doc("004")
    cut = "\n".join(seed.lines[:200])
    parsed = parse(Doc.from_text(cut))
    dept = by_level(parsed.projects, "department")[SEED_GOLD["unit"]]
    assert dept["budget_wan"] == SEED_GOLD["overall"]["budget"] and dept["score"] is None
    assert 0 < len(parsed.indicators) < 24


# ---- glued text (a document site's extraction with no separators) -----------------------------

# The field documents as published, kept byte-identical in the repository (tests/test_field.py).
FIELD = Path(__file__).resolve().parent / "fixtures" / "field" / "raw"


def field_result(name: str) -> dict:
    path = FIELD / name
    return read_document(path.name, path.read_bytes())


def test_field_glued_form_reads_the_funds_row_by_its_arithmetic():
    # 零陵区疾控: 年度资金总额2456.182456.182456.1810100%10 under 年初预算数/全年预算数/全年执行数/
    # 分值/执行率/得分, page markers '1、' '2、', OCR '290%' for '≥90%' in the goals.
    result = field_result("hn_lingling_cdc_2021_dept.txt")
    (dept,) = [p for p in result["projects"] if p["level"] == "department"]
    assert dept["project"] == result["document"]["unit"] == "永州市零陵区疾病预防控制中心"
    assert (dept["initial_budget_wan"], dept["budget_wan"], dept["actual_wan"]) == (
        2456.18,
        2456.18,
        2456.18,
    )
    assert (dept["reported_rate_pct"], dept["funds_weight"], dept["funds_score"]) == (100, 10, 10)
    (inferred,) = [
        f
        for f in result["findings"]
        if f["code"] == "VALUE_INFERRED" and f["project"] == dept["project"]
    ]
    assert "2456.182456.182456.1810100%10" in inferred["message"]
    lines = by_level(result["projects"], "expenditure_type")
    assert (lines["基本支出"]["budget_wan"], lines["项目支出"]["budget_wan"]) == (2299.98, 156.2)
    assert result["document"]["year"] == 2021
    assert result["document"]["title"] == "部门整体支出绩效自评表(2021年度)"


def test_field_glued_form_without_amounts_invents_none():
    # 蚕茶卫生院: only 执行率 103.21% is printed; the indicator cells are glued beyond reading.
    result = field_result("jx_nanchang_cancha_wsy_2021_dept.txt")
    doc = result["document"]
    assert (doc["unit"], doc["year"], doc["amount_unit"]) == (
        "南昌县黄马乡蚕茶卫生院",
        2021,
        "万元",
    )
    assert all(p["budget_wan"] is None and p["actual_wan"] is None for p in result["projects"])
    # The 资金来源 line prints the department's rate alone: the row holds it and nothing else.
    depts = [p for p in result["projects"] if p["level"] == "department"]
    assert [(p["budget_wan"], p["actual_wan"], p["reported_rate_pct"]) for p in depts] in (
        [],
        [(None, None, 103.21)],
    )
    assert result["indicators"] == []
    messages = [f["message"] for f in result["findings"] if f["code"] == "PARTIAL_ROW"]
    assert any("103.21%" in m and "留空" in m for m in messages)
    assert any("没有分隔符" in m for m in messages)


GLUED_HEAD = (
    "1、2022年度部门整体支出绩效自评表单位名称某某县妇幼保健院年度预算申请(万元)"
    "年初预算数全年预算数全年执行数分值执行率得分年度资金总额"
)


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        # initial, budget, actual differ: 1188 / 1250.5 = 95 %, 10 × 95 % = 9.5.
        ("1200.001250.501188.0010.0095.00%9.50", (1200.0, 1250.5, 1188.0, 95.0)),
        ("880.50880.50792.451090%9", (880.5, 880.5, 792.45, 90.0)),
        # No cut satisfies 执行数 ÷ 预算数 = 执行率: nothing is taken.
        ("1200.001250.501000.0010.0095.00%9.50", None),
    ],
)
def test_glued_funds_rows(figures, expected):
    text = (
        GLUED_HEAD
        + figures
        + "按收入性质分:其中:一般公共预算:年度总体目标预期目标实际完成情况保障妇幼健康服务"
    )
    parsed = parse(Doc.from_text(text, "glued.txt"))
    assert parsed.meta["unit"] == "某某县妇幼保健院" and parsed.meta["year"] == 2022
    depts = [p for p in parsed.projects if p["level"] == "department"]
    found = codes(parsed.findings)
    if expected is None:
        assert all(p["budget_wan"] is None and p["actual_wan"] is None for p in depts)
        assert "PARTIAL_ROW" in found and "VALUE_INFERRED" not in found
        assert any(figures in f.message for f in parsed.findings)
        return
    (dept,) = depts
    got = (dept["initial_budget_wan"], dept["budget_wan"], dept["actual_wan"])
    assert (*got, dept["reported_rate_pct"]) == expected
    assert "VALUE_INFERRED" in found


def test_glued_funds_row_across_a_page_break():
    # The document site starts each page's text with its number: '2、' inside the figures.
    first = GLUED_HEAD + "1200.001250.50"
    second = "2、1188.0010.0095.00%9.50按收入性质分:其中:一般公共预算:年度总体目标预期目标实际完成情况保障妇幼健康服务工作"
    parsed = parse(Doc.from_text(f"{first}\n\n{second}", "pages.txt"))
    (dept,) = [p for p in parsed.projects if p["level"] == "department"]
    assert (dept["budget_wan"], dept["actual_wan"], dept["reported_rate_pct"]) == (1250.5, 1188, 95)


@pytest.mark.parametrize(
    ("line", "budget", "actual", "finding"),
    [
        # Both amounts printed by column: nothing inferred.
        ("（1）基本支出 700.50 690.25 98.54%", 700.5, 690.25, None),
        # One amount under a two-amount header: read by the header's order, reported.
        ("（1）基本支出 700.50", 700.5, None, "VALUE_INFERRED"),
        # Only a rate: no amount is invented.
        ("（1）基本支出 98.54%", None, None, "PARTIAL_ROW"),
    ],
)
def test_short_budget_lines(line, budget, actual, finding):
    text = "\n".join(
        [
            "2022年度部门整体支出绩效自评表",
            "部门（单位）名称 炎陵县卫生健康局",
            "整体支出规模 全年预算数 全年执行数 执行率",
            "合计 1200.50 1100.25 91.65%",
            f"资金结构：{line}",
        ]
    )
    parsed = parse(Doc.from_text(text, "short.txt"))
    row = by_level(parsed.projects, "expenditure_type")["基本支出"]
    assert (row["budget_wan"], row["actual_wan"]) == (budget, actual)
    about = [f.code for f in parsed.findings if f.project == "基本支出"]
    assert about == ([finding] if finding else [])
