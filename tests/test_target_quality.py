"""绩效目标质量: each rule on real phrases of the seeds and the field set, positive and negative."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import queries as q
from dashboard import target_quality as tq

# (target as printed, aim: the text is a summary table's 年度指标内容, the vague phrase or None).
# Where each came from: 002 福田 申报表, 004 浏阳 自评表, 001 医学信息中心 附件, 003 普陀,
# 000 龙岗 汇总表, and the field set (sc_zhaohua 申报表, sc_wangcang, cq_pengshui).
VAGUE = [
    ("有效提高", False, "有效提高"),  # 002
    ("显著提高", False, "显著提高"),  # 002
    ("有效提升", False, "有效提升"),  # 002
    ("有效保障", False, "有效保障"),  # 002
    ("显著完成", False, "显著完成"),  # 002
    ("逐年增长", False, "逐年增长"),  # 004
    ("逐步提高", False, "逐步提高"),  # 004
    ("逐年提升", False, "逐年提升"),  # 004
    ("良性发展", False, "良性发展"),  # 004
    ("均衡发展", False, "均衡发展"),  # 004
    ("得到保障", False, "得到保障"),  # 001
    ("得到提高", False, "得到提高"),  # 001
    ("有效发挥", False, "有效发挥"),  # 001
    ("规范", False, "规范"),  # 001
    ("保障", False, "保障"),  # 003
    ("明显增加", False, "明显增加"),  # field sc_zhaohua_mfb
    ("明显增强", False, "明显增强"),  # field sc_zhaohua_mfb
    ("良好", False, "良好"),  # field sc_zhaohua_mfb
    ("持续加强", False, "持续加强"),  # field sc_zhaohua_mfb
    ("明显提升", False, "明显提升"),  # field sc_zhaohua_mfb
    ("长期", False, "长期"),  # field sc_zhaohua_tkjt
    ("提高全体党员爱国意识", True, "提高"),  # 000, 年度指标内容
    ("推进《龙岗区医疗及公共卫生系统信息化建设工程》项目建设", True, "推进"),  # 000
    ("节约社会资源", True, "节约"),  # 000
    ("逐步提高老年人健康意识和健康水平", True, "逐步提高"),  # 000
    # measurable: a figure, a date, a yes/no
    ("≥90%", False, None),  # 001
    ("不低于98%", False, None),  # 000
    ("=100.00(%)", False, None),  # 003
    ("<1.00(次)", False, None),  # 003
    ("7*24小时", False, None),  # 003
    ("2020年12月31日", False, None),  # 001
    ("2021年1月-12月", False, None),  # field sc_zhaohua
    ("12月底前100%到位", False, None),  # field sc_zhaohua_mfb
    ("全人群建档率≥80%；重点人群建档率≥95%", False, None),  # 004
    ("79元/人", False, None),  # 004
    ("达标", False, None),  # 003
    ("通过", False, None),  # 003
    ("完成", False, None),  # 003
    ("无事故发生", False, None),  # 003
    ("规定时间内完成", False, None),  # 003
    ("及时发放到位", False, None),  # 004
    ("严格按照指标任务落实工作", False, None),  # field sc_zhaohua_mfb: a duty, not a degree
    ("实施乡镇社区基层医疗机构37个。", False, None),  # field sc_wangcang
    ("维修数量", True, None),  # 000: a quantity named, not an aim
    ("党员培训覆盖率100%", True, None),  # 000
    ("提高应用软件国产率，支持本土企业", False, None),  # an aim, but in a 目标值 column
    (None, False, None),
    ("", False, None),
]


@pytest.mark.parametrize(("text", "aim", "phrase"), VAGUE)
def test_vague_targets(text, aim, phrase):
    assert tq.vague_target(text, aim=aim) == phrase


@pytest.mark.parametrize(
    ("target", "actual", "same"),
    [
        ("2台", "2台", True),  # 001
        ("2020年12月31日", "2020年12月31日", True),  # 001
        ("< 24小时", "< 24小时", True),  # 001: spaces are not words
        ("逐年增长", "逐年增长", True),  # 004
        ("≥95%", "80%", False),  # 001
        ("=100.00(%)", "100", False),  # 003: the same number, other words
        ("得到保障", None, False),
        (None, None, False),
    ],
)
def test_same_words(target, actual, same):
    assert tq.same_words(target, actual) is same


@pytest.mark.parametrize(
    ("op", "target", "actual", "unit", "actual_text", "ratio"),
    [
        (">=", 10.0, 20.0, "篇", "20.00", 2.0),  # 003 全科医生科研论文产出量
        (">=", 2.0, 6.0, "家", "6家", 3.0),  # 001 达到4级以上单位
        ("=", 19.0, 100.0, "家", "100", 100 / 19),  # 003 接入率: no unit printed, compared
        (">=", 27000.0, 45739.0, "人", "45739", 45739 / 27000),  # 003: 1.7 times, no point
        (">=", 90.0, 100.0, "%", "100%", 100 / 90),
        ("<=", 5.0, 20.0, "天", "20天", None),  # a ceiling: lower is better
        ("<", 24.0, 24.0, "小时", "< 24小时", None),
        (">=", 19.0, 100.0, "家", "100%", None),  # other unit
        (">=", 0.0, 3.0, "次", "3次", None),  # no ratio to a zero target
        (">=", 10.0, None, "人", None, None),
    ],
)
def test_overshoot_ratio(op, target, actual, unit, actual_text, ratio):
    got = tq.overshoot_ratio(op, target, actual, unit, actual_text)
    assert got == (pytest.approx(ratio) if ratio is not None else None)


@pytest.mark.parametrize(
    ("level1", "level2", "name", "kind"),
    [
        ("产出指标", "数量指标", "速印机数量", "产出"),  # 001
        ("产出指标", "成本指标", "预算控制完成率", "产出"),  # 001: 成本 sits in 产出
        ("效益指标", "社会效益指标", "设备正常运行", "效益"),  # 001
        ("效益指标", "满意度指标", "员工满意度", "满意度"),  # 001: 满意度 under 效益
        ("满意度指标", "服务对象满意度指标", "职工满意度", "满意度"),  # 003
        ("投入管理指标", "预算编审管理", "预算编审管理", "其他"),  # 004 department form
        (None, "数量指标", "指标1", "其他"),  # field sc_wangcang: no 一级 read
    ],
)
def test_weight_class(level1, level2, name, kind):
    assert tq.weight_class(level1, level2, name) == kind


# --- the rules on whole tables ---------------------------------------------------------------


def _indicators(rows, doc_kind="project_eval_tables", project="某项目"):
    columns = ["level1", "level2", "name", "target_text", "actual_text", "target_op",
               "target_value", "target_unit", "actual_value", "weight", "score", "status"]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    return frame.assign(
        doc_id="d1", unit="甲单位", region="深圳", year=2021, doc_kind=doc_kind,
        source_file="d1.txt", project=project, source_line=range(10, 10 + len(frame)),
    )  # fmt: skip


def _projects(rate, score=None, project="某项目"):
    return pd.DataFrame(
        [{"doc_id": "d1", "unit": "甲单位", "region": "深圳", "year": 2021,
          "doc_kind": "project_eval_tables", "source_file": "d1.txt", "level": "project",
          "project": project, "execution_rate_pct": rate, "reported_rate_pct": rate,
          "score": score, "source_line": 5, "end_line": 8}]
    )  # fmt: skip


# 001's 办公设备采购 table, every actual as its target
COPIED = [
    ("产出指标", "数量指标", "速印机数量", "2台", "2台", "=", 2, "台", 2, 30, 30, "met"),
    ("产出指标", "时效指标", "设备采购时间", "2020年8月31日前", "2020年8月31日前", None, None, None, None, 30, 30, "met"),
    ("效益指标", "社会效益指标", "保障日常办公设备正常使用", "得到保障", "得到保障", None, None, None, None, 20, 20, "met"),
    ("满意度指标", "服务对象满意度指标", "员工满意度", "≥95%", "≥95%", ">=", 95, "%", 95, 10, 10, "met"),
]  # fmt: skip


def rules_of(points):
    return sorted(points["rule"])


def test_a_table_whose_actuals_copy_its_targets():
    points = tq.review(_projects(100.0), _indicators(COPIED))
    assert "identical_actuals" in rules_of(points)
    row = points[points["rule"] == "identical_actuals"].iloc[0]
    assert (row["source_line"], row["end_line"], row["n"]) == (10, 13, 4)
    # one measured actual is enough to clear the table
    measured = [list(r) for r in COPIED]
    measured[3][4] = "80%"
    assert "identical_actuals" not in rules_of(tq.review(_projects(100.0), _indicators(measured)))


def test_copied_actuals_need_a_whole_table_of_three_rows():
    assert "identical_actuals" not in rules_of(tq.review(_projects(100.0), _indicators(COPIED[:2])))


def test_full_marks_with_low_execution():
    # 001's 卫生信息化项目管理工作 executed 87.2 %; here with every indicator at full marks
    points = tq.review(_projects(87.2), _indicators(COPIED))
    row = points[points["rule"] == "full_marks_low_exec"].iloc[0]
    assert row["detail"] == "4 项指标全部满分，而预算执行率只有 87.2%"
    assert (row["source_line"], row["end_line"], row["rank"]) == (5, 13, 1)
    # a printed 100 without indicator scores also counts; a lost point or 90 % executed does not
    assert "full_marks_low_exec" in rules_of(tq.review(_projects(59.3, 100.0), _indicators([])))
    lost = [list(r) for r in COPIED]
    lost[3][10] = 8
    assert "full_marks_low_exec" not in rules_of(tq.review(_projects(87.2), _indicators(lost)))
    assert "full_marks_low_exec" not in rules_of(tq.review(_projects(90.0), _indicators(COPIED)))


def test_targets_exceeded_many_times_over():
    rows = [
        ("产出指标", "数量指标", "全区全科医生科研论文产出量", "≥10.00(篇)", "20.00", ">=", 10, "篇", 20, 40, 40, "met"),
        ("产出指标", "数量指标", "完成体检数", "≥27000.00(人)", "45739", ">=", 27000, "人", 45739, 30, 30, "met"),
        ("效益指标", "社会效益指标", "网络安全事故", "<1.00(次)", "0", "<", 1, "次", 0, 20, 20, "met"),
    ]  # fmt: skip
    points = tq.review(_projects(100.0), _indicators(rows))
    row = points[points["rule"] == "overshoot"].iloc[0]
    assert row["n"] == 1 and row["source_line"] == 10 and "2.0 倍" in row["detail"]
    assert "完成体检数" not in row["detail"]


def test_declared_targets_are_not_checked_against_actuals():
    declared = [list(r[:4]) + [None, *r[5:11], "target_only"] for r in COPIED]
    assert not {"identical_actuals", "overshoot"} & set(
        rules_of(tq.review(_projects(None), _indicators(declared, "target_declaration")))
    )


def test_tables_without_benefit_or_satisfaction():
    # 003's 65岁以上老人定期体检: 产出 and 效益, no 满意度
    rows = [
        ("产出指标", "数量指标", "完成体检数", "≥27000.00(人)", "45739", ">=", 27000, "人", 45739, 30, 30, "met"),
        ("产出指标", "质量指标", "老年人体检信息录入率", "=100.00(%)", "100", "=", 100, "%", 100, 20, 20, "met"),
        ("效益指标", "社会效益指标", "老年人体检总检完成率", "=100.00(%)", "100", "=", 100, "%", 100, 40, 40, "met"),
    ]  # fmt: skip
    assert rules_of(tq.review(_projects(100.0), _indicators(rows))) == [
        "no_satisfaction", "weight_structure",
    ]  # fmt: skip
    # field sc_wangcang: no 一级 read at all — nothing to judge
    unread = [(None, "数量指标", *r[2:]) for r in rows]
    assert "no_benefit" not in rules_of(tq.review(_projects(100.0), _indicators(unread)))
    # two rows are too small a table to judge
    assert "no_satisfaction" not in rules_of(tq.review(_projects(100.0), _indicators(rows[:2])))


def test_weights_against_the_usual_structure():
    # 003: 产出 50, 效益 40, no 满意度 → off; 50/30/10 (卫管中心专项工作经费) → fine
    usual = [
        ("产出指标", "数量指标", "年度水箱清洗", "=2.00(次)", "2", "=", 2, "次", 2, 50, 50, "met"),
        ("效益指标", "社会效益指标", "食堂卫生安全", "无食品卫生事故", "达成目标", None, None, None, None, 30, 30, "met"),
        ("满意度指标", "服务对象满意度指标", "职工满意度", ">90.00(%)", "100", ">", 90, "%", 100, 10, 10, "met"),
    ]  # fmt: skip
    assert "weight_structure" not in rules_of(tq.review(_projects(100.0), _indicators(usual)))
    off = [list(r) for r in usual]
    off[1][9], off[2][9] = 40, 0
    points = tq.review(_projects(100.0), _indicators(off))
    detail = points[points["rule"] == "weight_structure"]["detail"].iloc[0]
    assert (
        detail
        == "一级指标权重：产出 50 分（50）、效益 40 分（30）、满意度 0 分（10）（括号内为常见权重）"
    )
    # a department form's 投入管理 weights are not compared
    department = [
        (
            "投入管理指标",
            "预算编审管理",
            "预算编审管理",
            None,
            "100%",
            None,
            None,
            None,
            100,
            3,
            3,
            "met",
        )
    ] * 3
    assert "weight_structure" not in rules_of(tq.review(_projects(100.0), _indicators(department)))


def test_a_document_sharing_one_structure_gets_one_point_for_it():
    rows = [
        ("产出指标", "数量指标", "速印机数量", "2台", "2台", "=", 2, "台", 2, 50, 50, "met"),
        ("效益指标", "社会效益指标", "设备正常运行", "100%", "100%", "=", 100, "%", 100, 20, 20, "met"),
        ("效益指标", "满意度指标", "员工满意度", "≥95%", "80%", ">=", 95, "%", 80, 20, 16, "not_met"),
    ]  # fmt: skip
    tables = pd.concat(
        [_indicators(rows, project=f"项目{k}") for k in range(3)], ignore_index=True
    ).assign(source_line=range(1, 10))
    projects = pd.concat([_projects(100.0, project=f"项目{k}") for k in range(3)])
    points = tq.review(projects, tables)
    weights = points[points["rule"] == "weight_structure"]
    assert list(weights["table"]) == ["（3 张表结构相同）"]
    assert (weights["source_line"].iloc[0], weights["end_line"].iloc[0]) == (1, 9)


def test_points_are_ranked_within_their_document_and_summarised_per_rule():
    rows = [
        ("产出指标", "数量指标", "完成体检数", "≥10(人)", "20", ">=", 10, "人", 20, 45, 45, "met"),
        ("效益指标", "社会效益指标", "居民健康水平", "有效提高", "有效提高", None, None, None, None, 45, 45, "met"),
        ("效益指标", "社会效益指标", "家庭发展能力", "逐步提高", "逐步提高", None, None, None, None, 0, 0, "met"),
    ]  # fmt: skip
    points = tq.review(_projects(50.0), _indicators(rows))
    assert list(points["rule"]) == [
        "full_marks_low_exec", "overshoot", "vague_target", "no_satisfaction", "weight_structure",
    ]  # fmt: skip
    assert list(points["rank"]) == [1, 2, 3, 4, 5]
    summary = tq.document_summary(points)
    assert list(summary["rank"]) == [1, 2, 3, 4, 5]
    vague = summary[summary["rule"] == "vague_target"].iloc[0]
    assert vague["detail"].startswith("2/3 项指标没有可衡量的目标")
    units = tq.unit_summary(points, _indicators(rows))
    assert units.loc[0, "n_points"] == 5 and units.loc[0, "vague_target"] == 1
    assert units.loc[0, "measurable_pct"] == pytest.approx(100 / 3)


def test_the_seeds_points_per_rule(built):
    """The seeds: which rules fire, in how many documents (read from the tables by hand)."""
    selection = q.select(
        built["documents"], built["projects"], built["indicators"], built["findings"], q.Filters()
    )
    points = tq.review(selection.projects, selection.indicators)
    counts = tq.rule_counts(points).set_index("rule")["n_docs"].to_dict()
    assert counts == {
        "full_marks_low_exec": 0,
        "identical_actuals": 0,
        "overshoot": 2,  # 003 (接入率, 论文, 督查) and 001 (测评 6家 for ≥2家, 讲座)
        "vague_target": 5,  # every seed: 逐年增长 (004), 有效提高 (002), 得到提高 (001) …
        "no_benefit": 1,  # 000's 其他一般管理事务 and 健康教育和宣传工作
        "no_satisfaction": 2,  # 003's tables, 000's 党建工作 …
        "weight_structure": 2,  # 003's 50/40/0 and 001's 50/20/20 (with one 40/30/20)
    }
    assert points["source_line"].notna().all()
    summary = tq.document_summary(points)
    assert (
        summary.groupby("doc_id")["rank"]
        .apply(list)
        .map(lambda r: r == list(range(1, len(r) + 1)))
        .all()
    )
