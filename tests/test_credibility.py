"""Self-score credibility: the official formula, grades, plausibility warnings, indicator checks.

Rules on small synthetic frames (budget 0, missing actual, rate above 100 % …), then the seeds:
every 普陀区 (003) project and every 深圳市医学信息中心 (001) annex project whose table is
complete recomputes to its printed score; where the table is not complete the difference is listed.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard import credibility as cred
from loaders.schema import INDICATORS, PROJECTS

# Printed self-scores, hand-checked against the documents (the seeds' gold file, copied here).
PUTUO_SCORES = {
    "65岁以上老人定期体检": (100.0, "优"),
    "疫情防控经费": (100.0, "优"),
    "普陀区“便捷就医服务”数字化转型区级平台信息化建设": (99.23, "优"),
    "普陀区公共卫生应急指挥平台建设项目": (99.72, "优"),
    "疾控公共卫生体系建设硬件设施购置": (99.97, "优"),
    "普陀区家庭医生签约质量提升项目": (99.96, "优"),
    "普陀区卫健委安全运营购买服务项目": (100.0, "优"),
    "预算绩效管理及安全运行保障": (99.99, "优"),
    "信息平台运行及维护": (99.95, "优"),
    "全科医生服务技术能力提升专项": (100.0, "优"),
    "普陀区临床专业质控管理": (100.0, "优"),
    "普陀区卫生政务密码基础资源建设项目": (94.72, "优"),
    "卫管中心专项工作经费": (100.0, "优"),
    "社区卫生设备购置及维修": (99.98, "优"),
}
SZ_INFO_SCORES = {
    "办公设备采购": 96.0,
    "保洁管养及维修修缮": 93.5,
    "财社〔2020〕48号-2020年医疗服务与保障能力提升（公立医院综合改革）补助资金": 89.0,
    "待支付以前年度政府采购项目": 94.3,
    "党团工作经费": 89.5,
    "电子文献平台": 96.0,
    "电子政务及办公系统维护": 95.2,
    "高水平医学团队评价、宣传工作": 95.2,
    "公务接待费": 96.0,
    "互联互通标准化成熟度测评分中心管理": 95.7,
    "机房服务器和网络安全设备更新": 95.8,
    "疾病相关分组（Drgs）研究": 96.0,
    "计划生育信息化项目管理": 96.0,
    "结转财社【2019】45号-医院社康机构信息协同及双向转诊": 56.0,
    "宽带租用": 96.0,
    "人口和计划生育管理信息系统运维费": 76.0,
    "三名工程（第四批）——中国医学科学院医学信息研究所池慧教授医学信息研究团队——2020年": 88.7,
    "社会办医院和社康中心网络升级": 87.2,
    "深发改【2020】27号深圳市新建医院信息系统集中建设和管理工程": 68.22,
    "深圳市人口健康信息化工程建设": 81.02,
    "统计调查和专题统计分析2020": 95.9,
    "卫生计生舆情监控": 96.0,
    "卫生健康科研项目、学科评价评审": 93.6,
    "卫生健康视频会议系统终端设备升级": 96.0,
    "卫生信息化项目管理工作": 94.4,
    "卫生信息数据中心运维": 96.0,
    "新冠肺炎疫情防护物资信息管理及统计": 96.0,
    "信息安全管理及信息安全的等级保护": 94.9,
    "信息化项目应用宣传项目推广和成果应用": 96.0,
    "医改医疗费用监测、控制研究": 96.0,
    "应用系统优化及维护": 96.0,
    "预约挂号统一平台管理及运维": 96.0,
    "综合业务工作经费": 89.6,
}
# The one 001 project without an annex table: its score cannot be recomputed.
MISSING_ANNEX = "信息化项目应用宣传项目推广和成果应用"


# --- synthetic frames -------------------------------------------------------------------------


def projects(*rows: dict) -> pd.DataFrame:
    """A projects frame of the contract's columns; level project, doc d unless given."""
    base = {name: None for name in PROJECTS.names}
    return pd.DataFrame(
        [{**base, "doc_id": "d", "level": "project", "source_line": 1, **r} for r in rows],
        columns=PROJECTS.names,
    ).astype({"budget_wan": float, "actual_wan": float, "score": float})


def indicators(*rows: dict) -> pd.DataFrame:
    base = {name: None for name in INDICATORS.names}
    return pd.DataFrame(
        [{**base, "doc_id": "d", "source_line": 2, **r} for r in rows], columns=INDICATORS.names
    )


def scored(project: str, *weights_scores: tuple[float, float]) -> list[dict]:
    return [
        {"project": project, "name": f"指标{i}", "weight": w, "score": s, "status": "met"}
        for i, (w, s) in enumerate(weights_scores)
    ]


def one(frame: pd.DataFrame, project: str) -> dict:
    (row,) = frame[frame["project"] == project].to_dict("records")
    return row


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, "优"),
        (90, "优"),
        (89.99, "良"),
        (80, "良"),
        (79.99, "中"),
        (60, "中"),
        (59.99, "差"),
        (0, "差"),
        (None, None),
        (float("nan"), None),
    ],
)
def test_grade_bands(score, grade):
    assert cred.grade(score) == grade


@pytest.mark.parametrize(
    ("rate", "weight", "points"),
    [
        (100, 10, 10.0),
        (92.25, 10, 9.225),
        (131.12, 10, 10.0),  # above 100 % is capped, as the form does
        (0, 10, 0.0),
        (-5, 10, 0.0),
        (50, 20, 10.0),
        (None, 10, None),
        (float("nan"), 10, None),
        (80, None, None),
    ],
)
def test_execution_points(rate, weight, points):
    got = cred.execution_points(rate, weight)
    assert got == (None if points is None else pytest.approx(points))


def test_a_complete_table_recomputes_to_its_printed_score():
    p = projects(
        {"project": "甲", "budget_wan": 100, "actual_wan": 92.25, "reported_rate_pct": 92.25,
         "execution_rate_pct": 92.25, "score": 99.23, "grade": "优", "funds_weight": 10,
         "funds_score": 9.23},
    )  # fmt: skip
    i = indicators(*scored("甲", (30, 30), (20, 20), (40, 40)))
    row = one(cred.recompute(p, i), "甲")
    assert row["indicator_points"] == 90
    assert row["execution_points"] == pytest.approx(9.225)
    assert row["recomputed_score"] == pytest.approx(99.225)
    assert row["check"] == cred.CHECK_AGREES
    assert row["grade_recomputed"] == "优" and row["differences"] is None


def test_a_score_that_does_not_follow_from_the_table_is_listed():
    p = projects(
        {"project": "乙", "budget_wan": 100, "actual_wan": 50, "reported_rate_pct": 50,
         "execution_rate_pct": 50, "score": 95, "funds_weight": 10, "funds_score": 10},
    )  # fmt: skip
    i = indicators(*scored("乙", (50, 45), (40, 40)))
    row = one(cred.recompute(p, i), "乙")
    assert row["recomputed_score"] == pytest.approx(90.0)
    assert row["score_diff"] == pytest.approx(-5.0)
    assert row["check"] == cred.CHECK_DIFFERS
    assert "复算 90.00 分，印发 95 分" in row["differences"]
    assert "资金得分印发 10，按执行率应为 5.00" in row["differences"]


def test_budget_zero_cannot_be_scored_for_execution():
    p = projects(
        {"project": "丙", "budget_wan": 0.0, "actual_wan": 3.0, "score": 90, "funds_weight": 10},
    )
    i = indicators(*scored("丙", (90, 90)))
    row = one(cred.plausibility(cred.recompute(p, i)), "丙")
    assert row["rate_pct"] is None or math.isnan(row["rate_pct"])
    assert row["check"] == cred.CHECK_INCOMPLETE
    assert "没有执行率" in row["differences"]
    assert row["warning"] is None  # budget 0: no amber, no red without a rate
    assert "预算为 0" in row["warnings"]


def test_missing_actual_uses_the_printed_rate():
    p = projects(
        {"project": "丁", "budget_wan": 200.0, "actual_wan": None, "reported_rate_pct": 70.0,
         "score": 97.0, "funds_weight": 10},
    )  # fmt: skip
    i = indicators(*scored("丁", (90, 90)))
    row = one(cred.plausibility(cred.recompute(p, i)), "丁")
    assert row["rate_pct"] == 70.0
    assert row["recomputed_score"] == pytest.approx(97.0)
    assert row["check"] == cred.CHECK_AGREES
    assert row["unspent_pct"] == pytest.approx(30.0)  # from the printed rate
    assert row["warning"] == "red" and "预算未执行 30.0%" in row["warnings"]


def test_missing_actual_and_rate_is_not_judged():
    p = projects({"project": "戊", "budget_wan": 200.0, "score": 95.0, "funds_weight": 10})
    i = indicators(*scored("戊", (90, 85)))
    row = one(cred.plausibility(cred.recompute(p, i)), "戊")
    assert row["check"] == cred.CHECK_INCOMPLETE
    assert row["warning"] is None and "无执行数或执行率" in row["warnings"]


def test_rate_above_100_is_capped_and_never_amber():
    p = projects(
        {"project": "己", "budget_wan": 100.0, "actual_wan": 131.0, "execution_rate_pct": 131.0,
         "reported_rate_pct": 131.0, "score": 100.0, "funds_weight": 10, "funds_score": 10},
    )  # fmt: skip
    i = indicators(*scored("己", (90, 90)))
    row = one(cred.plausibility(cred.recompute(p, i)), "己")
    assert row["execution_points"] == 10.0 and row["check"] == cred.CHECK_AGREES
    assert row["execution_score_pct"] == 100.0 and row["score_gap_pct"] == 0.0
    assert row["unspent_pct"] == pytest.approx(-31.0)
    assert row["warning"] is None and "超过 100%" in row["warnings"]


@pytest.mark.parametrize(
    ("indicator_score", "actual", "warning"),
    [
        (90, 95.0, None),  # indicators 100 %, execution 95 %: a gap of exactly 5 points
        (90, 94.9, "red"),  # a gap above 5 points
        (90, 79.9, "red"),  # red wins over amber (20.1 % unspent)
        (72, 79.9, "amber"),  # 80 % against 79.9 %: no gap, but 20.1 % unspent
        (72, 80.0, None),  # exactly 20 % unspent is not amber
    ],
)
def test_plausibility_thresholds(indicator_score, actual, warning):
    p = projects(
        {"project": "庚", "budget_wan": 100.0, "actual_wan": actual, "execution_rate_pct": actual,
         "score": 99.0, "funds_weight": 10},
    )  # fmt: skip
    i = indicators(*scored("庚", (90, indicator_score)))
    row = one(cred.plausibility(cred.recompute(p, i)), "庚")
    assert row["score_gap_pct"] == pytest.approx(indicator_score / 90 * 100 - actual)
    assert row["unspent_pct"] == pytest.approx(100 - actual)
    assert row["warning"] == warning


def test_plausibility_red_for_gap_of_more_than_five_points():
    # 80 / 90 = 88.9 % indicator score rate against an execution score rate of 80 %: 8.9 points
    p = projects(
        {"project": "辛", "budget_wan": 100.0, "actual_wan": 80.0, "execution_rate_pct": 80.0,
         "score": 88.0, "funds_weight": 10},
    )  # fmt: skip
    row = one(cred.plausibility(cred.recompute(p, indicators(*scored("辛", (90, 80))))), "辛")
    assert row["warning"] == "red" and row["warning_label"] == "红色预警"
    assert "8.9 个百分点" in row["warnings"]


def test_no_indicator_table_is_listed_not_guessed():
    p = projects({"project": "壬", "budget_wan": 10.0, "actual_wan": 10.0, "score": 96.0})
    row = one(cred.recompute(p, indicators()), "壬")
    assert row["check"] == cred.CHECK_INCOMPLETE and pd.isna(row["recomputed_score"])
    assert "没有指标表" in row["differences"]


def test_weights_that_do_not_reach_100_are_listed():
    p = projects(
        {"project": "癸", "budget_wan": 10.0, "actual_wan": 10.0, "execution_rate_pct": 100.0,
         "score": 90.0, "funds_weight": 10},
    )  # fmt: skip
    row = one(cred.recompute(p, indicators(*scored("癸", (50, 40), (30, 30)))), "癸")
    assert row["check"] == cred.CHECK_INCOMPLETE
    assert "指标分值 80 + 资金 10 = 90，不是 100" in row["differences"]


def test_department_indicators_that_weigh_100_include_the_funds_line():
    p = projects(
        {"doc_id": "d", "level": "department", "project": "某局", "budget_wan": 100.0,
         "actual_wan": 131.0, "execution_rate_pct": 131.0, "score": 95.0},
    )  # fmt: skip
    i = indicators(
        {"project": None, "name": "预算执行率", "weight": 10, "score": 10, "status": "met"},
        {"project": None, "name": "满意度", "weight": 90, "score": 85, "status": "not_met"},
    )
    row = one(cred.recompute(p, i), "某局")
    assert row["funds_weight"] == 0.0 and row["recomputed_score"] == pytest.approx(95.0)
    assert row["check"] == cred.CHECK_AGREES


def test_printed_grade_that_contradicts_the_printed_score_is_listed():
    p = projects(
        {"project": "子", "budget_wan": 10.0, "actual_wan": 10.0, "execution_rate_pct": 100.0,
         "score": 85.0, "grade": "优", "funds_weight": 10},
    )  # fmt: skip
    row = one(cred.recompute(p, indicators(*scored("子", (90, 75)))), "子")
    assert row["check"] == cred.CHECK_AGREES
    assert "印发等级「优」与印发得分 85 对应的「良」不符" in row["differences"]


def test_excellent_with_low_spending_is_named():
    p = projects(
        {"project": "优而少花", "budget_wan": 100.0, "actual_wan": 50.0,
         "execution_rate_pct": 50.0, "score": 95.0, "funds_weight": 10},
        {"project": "良而少花", "budget_wan": 100.0, "actual_wan": 50.0,
         "execution_rate_pct": 50.0, "score": 89.0, "funds_weight": 10},
        {"project": "优而花完", "budget_wan": 100.0, "actual_wan": 100.0,
         "execution_rate_pct": 100.0, "score": 95.0, "funds_weight": 10},
    )  # fmt: skip
    i = indicators(
        *scored("优而少花", (90, 90)), *scored("良而少花", (90, 84)), *scored("优而花完", (90, 85))
    )
    judged = cred.plausibility(cred.recompute(p, i))
    assert cred.excellent_low_spend(judged)["project"].tolist() == ["优而少花"]
    fig = cred.score_scatter(judged)
    assert "优而少花" in [t for trace in fig.data if trace.mode == "text" for t in trace.text]


def test_not_met_without_reason():
    i = indicators(
        {"project": "甲", "name": "有原因", "status": "not_met", "deviation_reason": "疫情影响"},
        {"project": "甲", "name": "空白", "status": "not_met", "deviation_reason": "  "},
        {"project": "甲", "name": "缺失", "status": "not_met", "deviation_reason": None},
        {"project": "甲", "name": "已完成", "status": "met", "deviation_reason": None},
    )
    assert cred.not_met_without_reason(i)["name"].tolist() == ["空白", "缺失"]


def test_met_indicators_whose_actual_contradicts_the_target():
    i = indicators(
        {"name": "满分却未达标", "status": "met", "target_op": ">=", "target_value": 95.0,
         "target_unit": "%", "actual_value": 80.0, "actual_text": "80%", "weight": 10, "score": 10},
        {"name": "满分却写未完成", "status": "met", "actual_text": "未完成", "weight": 5, "score": 5},
        {"name": "达标", "status": "met", "target_op": ">=", "target_value": 95.0,
         "actual_value": 96.0, "actual_text": "96%"},
        {"name": "完成值是上限", "status": "met", "target_op": "<", "target_value": 24.0,
         "actual_value": 24.0, "actual_text": "< 24小时"},
        {"name": "未完成且扣分", "status": "not_met", "target_op": ">=", "target_value": 95.0,
         "actual_value": 80.0, "actual_text": "80%"},
    )  # fmt: skip
    out = cred.met_contradicting(i)
    assert out["name"].tolist() == ["满分却未达标", "满分却写未完成"]
    assert out["contradiction"].tolist() == [
        "目标 >=95%，完成 80，未达到目标",
        "完成值「未完成」表示未完成",
    ]


def test_empty_frames_give_empty_results():
    empty_p, empty_i = projects(), indicators()
    assert cred.recompute(empty_p, empty_i).empty
    assert cred.plausibility(cred.recompute(empty_p, empty_i)).empty
    assert cred.not_met_without_reason(empty_i).empty
    assert cred.met_contradicting(empty_i).empty


# --- the seeds --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def judged(built) -> pd.DataFrame:
    docs = built["documents"].set_index("doc_id")
    out = cred.plausibility(cred.recompute(built["projects"], built["indicators"]))
    return out.assign(source_file=out["doc_id"].map(docs["source_file"]))


def seed_rows(judged: pd.DataFrame, prefix: str) -> pd.DataFrame:
    rows = judged[judged["source_file"].str.startswith(prefix) & (judged["level"] == "project")]
    return rows.set_index("project")


def test_putuo_self_scores_all_recompute(judged):
    rows = seed_rows(judged, "003")
    assert set(rows.index) == set(PUTUO_SCORES)
    for project, (score, grade) in PUTUO_SCORES.items():
        row = rows.loc[project]
        assert row["score"] == pytest.approx(score), project
        assert row["recomputed_score"] == pytest.approx(score, abs=0.006), project
        assert row["check"] == cred.CHECK_AGREES, (project, row["differences"])
        assert row["grade"] == grade == row["grade_recomputed"], project


def test_sz_info_annex_scores_recompute_where_the_table_is_complete(judged):
    rows = seed_rows(judged, "001")
    assert set(rows.index) == set(SZ_INFO_SCORES)
    for project, score in SZ_INFO_SCORES.items():
        row = rows.loc[project]
        assert row["score"] == pytest.approx(score), project
        if project == MISSING_ANNEX:
            continue
        assert row["n_indicators"] > 0, project
        assert row["recomputed_score"] == pytest.approx(score, abs=0.011), project
        assert row["check"] == cred.CHECK_AGREES, (project, row["differences"])


def test_sz_info_project_without_annex_table_is_listed_with_its_difference(judged):
    row = seed_rows(judged, "001").loc[MISSING_ANNEX]
    assert row["check"] == cred.CHECK_INCOMPLETE
    assert pd.isna(row["recomputed_score"])
    assert "没有指标表" in row["differences"]


def test_seed_warnings_name_the_projects_that_spent_least(judged):
    rows = seed_rows(judged, "001")
    # 29.86 % executed, indicators 84.2 / 90: both warnings, red wins
    row = rows.loc["社会办医院和社康中心网络升级"]
    assert row["warning"] == "red"
    assert "预算未执行 70.1%" in row["warnings"]
    assert pd.isna(rows.loc["办公设备采购", "warning"])
    # the 浏阳 department overspent (131 %): never amber, noted
    liuyang = judged[judged["source_file"].str.startswith("004")].iloc[0]
    assert pd.isna(liuyang["warning"]) and "超过 100%" in liuyang["warnings"]


def test_a_large_scatter_keeps_every_warned_project_and_samples_the_rest():
    n = 50
    p = projects(
        *[
            {"project": f"项目{i}", "budget_wan": 100.0, "actual_wan": 100.0 - i,
             "execution_rate_pct": 100.0 - i, "score": 99.0, "funds_weight": 10}
            for i in range(n)
        ]
    )  # fmt: skip
    i = indicators(*[row for k in range(n) for row in scored(f"项目{k}", (90, 89))])
    judged = cred.plausibility(cred.recompute(p, i))
    warned = int(judged["warning"].notna().sum())
    assert 0 < warned < n
    fig = cred.score_scatter(judged, max_points=warned + 5)
    drawn = sum(len(t.x) for t in fig.data if t.mode == "markers")
    assert drawn == warned + 5
    assert f"抽样显示 {warned + 5:,} / {n:,} 个项目" in fig.layout.title.text
    red = next(t for t in fig.data if t.name == "红色预警")
    assert len(red.x) == int((judged["warning"] == "red").sum())
    whole = cred.score_scatter(judged)
    assert sum(len(t.x) for t in whole.data if t.mode == "markers") == n
    assert "抽样" not in whole.layout.title.text


def test_a_scatter_with_more_warned_projects_than_points_samples_them_red_first():
    n = 40
    p = projects(
        *[
            {"project": f"项目{i}", "budget_wan": 100.0 + i, "actual_wan": 30.0,
             "execution_rate_pct": 30.0, "score": 99.0, "funds_weight": 10}
            for i in range(n)
        ]
    )  # fmt: skip
    i = indicators(*[row for k in range(n) for row in scored(f"项目{k}", (90, 89))])
    judged = cred.plausibility(cred.recompute(p, i))
    assert int(judged["warning"].notna().sum()) == n  # every one 优 while spending 30 %
    fig = cred.score_scatter(judged, max_points=10)
    assert sum(len(t.x) for t in fig.data if t.mode == "markers") == 10
    assert f"抽样显示 10 / {n:,} 个项目" in fig.layout.title.text
    labels = [t for trace in fig.data if trace.mode == "text" for t in trace.text]
    assert len(labels) == cred.SCATTER_MAX_LABELS < n
    largest = [f"项目{k}" for k in range(n - 1, n - 1 - cred.SCATTER_MAX_LABELS, -1)]
    assert sorted(labels) == sorted(largest)
    assert f"标注预算最大的 {cred.SCATTER_MAX_LABELS} 个" in fig.layout.title.text
    again = cred.score_scatter(judged, max_points=10)
    assert [list(t.x) for t in again.data] == [list(t.x) for t in fig.data]  # a fixed sample


def test_a_warning_names_at_most_ten_projects_and_counts_the_rest():
    rows = pd.DataFrame({"project": [f"项目{k}" for k in range(25)]})
    text = cred.named_list(rows, lambda r: r.project, where="预警表")
    assert text.split("；")[: cred.NAMED_MAX] == [f"项目{k}" for k in range(cred.NAMED_MAX)]
    assert "项目10" not in text
    assert text.endswith("另有 15 个项目，共 25 个，见预警表或下载")
    few = cred.named_list(rows.head(3), lambda r: r.project)
    assert few == "项目0；项目1；项目2"
