"""同类比较 and 年度对比 view-models: unit kinds, percentiles, name matching across years, streaks."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import peers as p
from dashboard import queries as q
from dashboard import years as y


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("深圳市龙岗区卫生健康局", "卫健局/委"),  # seed 000
        ("浏阳市卫生健康局", "卫健局/委"),  # seed 004
        ("深圳市福田区卫生健康局(本级)", "卫健局/委"),  # seed 002
        ("某市卫生健康委员会", "卫健局/委"),
        ("某县卫生和计划生育委员会", "卫健局/委"),
        ("永州市零陵区疾病预防控制中心", "疾控"),  # field hn_lingling_cdc
        ("区疾控中心", "疾控"),  # field sc_zhaohua_mfb as read
        ("襄阳市中心医院", "医院"),  # field hb_xiangyang_zxyy
        ("某县妇幼保健院", "医院"),
        ("南昌县黄马乡蚕茶卫生院", "卫生院"),  # field jx_nanchang_cancha_wsy
        ("昭通市大关县天星镇中心卫生院", "卫生院"),  # field yn_daguan_tianxing_wsy: not 医院
        ("某区社区卫生服务中心", "卫生院"),
        ("上海市普陀区卫生健康事务管理中心", "其他"),  # seed 003
        ("深圳市医学信息中心", "其他"),  # seed 001
        ("青神县发展和改革局", "其他"),  # field sc_qingshen_fgj
        (None, "其他"),
    ],
)
def test_unit_kind_from_the_name(name, kind):
    assert p.unit_kind(name) == kind


@pytest.mark.parametrize(
    ("value", "others", "expected"),
    [
        (50.0, [10.0, 20.0, 60.0, 70.0], 50.0),
        (80.0, [10.0, 20.0, 60.0, 70.0], 100.0),
        (5.0, [10.0, 20.0], 0.0),
        (20.0, [10.0, 20.0], 75.0),  # a tie counts half
        (20.0, [], None),
        (None, [1.0], None),
        (20.0, [None, float("nan"), 10.0], 100.0),
    ],
)
def test_percentile(value, others, expected):
    assert p.percentile(value, others) == (None if expected is None else pytest.approx(expected))


def _metrics():
    rows = [
        ("深圳市龙岗区卫生健康局", "深圳", 100.0, 90.0, 80.0, 10, 90.0, 2),
        ("深圳市福田区卫生健康局", "深圳", 100.0, 100.0, 100.0, 4, 95.0, 1),
        ("深圳市医学信息中心", "深圳", 100.0, 60.0, 50.0, 2, None, 0),
        ("浏阳市卫生健康局", "湖南", 100.0, 70.0, 90.0, 10, 80.0, 1),
    ]
    frame = pd.DataFrame(
        rows, columns=["unit", "region", "budget_wan", "actual_wan", "completion_pct",
                       "n_judged", "score", "n_scored"]
    )  # fmt: skip
    return frame.assign(
        kind=frame["unit"].map(p.unit_kind),
        execution_rate_pct=frame["actual_wan"] / frame["budget_wan"] * 100,
    )


def test_compare_against_kind_region_and_everyone():
    table = p.compare(_metrics(), "深圳市龙岗区卫生健康局").set_index(["metric", "group"])
    rate = table.loc[("execution_rate_pct", "kind")]
    assert (rate["group_name"], rate["n_peers"], rate["percentile"]) == ("同类：卫健局/委", 2, 50.0)
    region = table.loc[("execution_rate_pct", "region")]
    assert (region["group_name"], region["n_peers"], region["percentile"]) == (
        "同地区：深圳",
        2,
        50.0,
    )
    assert table.loc[("score", "region"), "n_peers"] == 1  # 医学信息中心 has no score
    assert table.loc[("completion_pct", "all"), "median"] == 90.0
    assert p.compare(_metrics(), "不存在").empty


def test_regions_side_by_side_add_up_their_units():
    regions = p.by_region(_metrics()).set_index("region")
    assert regions.loc["深圳", "n_units"] == 3
    assert regions.loc["深圳", "execution_rate_pct"] == pytest.approx(250 / 300 * 100)
    # completion of the judged indicators, not the mean of the units' rates
    assert regions.loc["深圳", "completion_pct"] == pytest.approx((8 + 4 + 1) / 16 * 100)
    assert regions.loc["深圳", "score"] == pytest.approx((90 * 2 + 95) / 3)


def test_unit_metrics_on_the_seeds(built):
    s = q.select(built["documents"], built["projects"], built["indicators"], built["findings"],
                 q.Filters())  # fmt: skip
    metrics = p.unit_metrics(s.documents, s.lines, s.overall, s.projects, s.indicators)
    assert len(metrics) == 5
    row = metrics.set_index("unit").loc["深圳市龙岗区卫生健康局"]
    lines = s.lines[(s.lines["unit"] == "深圳市龙岗区卫生健康局") & s.lines["executed"]]
    assert row["execution_rate_pct"] == pytest.approx(
        lines["actual_wan"].sum() / lines["budget_wan"].sum() * 100
    )
    assert row["kind"] == "卫健局/委" and row["region"] == "深圳"
    fig = p.peer_chart(metrics, "深圳市龙岗区卫生健康局", "execution_rate_pct")
    assert fig.data[-1].name == "深圳市龙岗区卫生健康局"


# --- years -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "normal"),
    [
        ("老龄业务工作", "老龄业务"),
        ("2021年老龄业务工作", "老龄业务"),
        ("2022年度健康教育和宣传工作项目", "健康教育和宣传"),
        ("家属统筹医疗费项目", "家属统筹医疗费"),
        ("高龄老人意外险专项资金", "高龄老人意外险"),
        ("统计调查和专题统计分析（续）", "统计调查和专题统计分析"),
        ("三名工程(第四批)", "三名工程（第四批）"),
        ("推进《智慧龙岗》 项目建设", "推进智慧龙岗项目建设"),
        ("专项经费", "专项经费"),  # nothing but a tail: kept
        (None, ""),
    ],
)
def test_normalise_name(name, normal):
    assert y.normalise_name(name) == normal


def _lines(rows):
    frame = pd.DataFrame(rows, columns=["year", "project", "rate_pct"])
    return frame.assign(
        doc_id=frame["year"].map(lambda v: f"d{v}"), unit="甲", budget_wan=100.0,
        actual_wan=frame["rate_pct"], executed=True, source_line=range(1, len(frame) + 1),
        source_file="f.txt",
    )  # fmt: skip


def test_projects_are_matched_across_years_with_their_score():
    rows = _lines(
        [
            (2020, "老龄业务工作", 50.0),
            (2020, "健康教育和宣传工作", 100.0),
            (2020, "发热门诊改造", 100.0),
            (2021, "区老龄业务工作", 60.0),
            (2021, "2021年健康教育与宣传工作", 100.0),
            (2021, "救护车购置", 100.0),
            (2022, "老龄业务工作经费", 95.0),
            (2023, "健康教育与宣传工作", 80.0),  # 2022 has no document of it: matched to 2021
        ]
    )
    matched = y.tracks(rows).set_index(["year", "project"])
    old = matched.loc[(2021, "区老龄业务工作")]
    assert old["previous_project"] == "老龄业务工作" and old["match_score"] == pytest.approx(8 / 9)
    assert (
        matched.loc[(2021, "2021年健康教育与宣传工作"), "previous_project"] == "健康教育和宣传工作"
    )
    # scored against the latest appearance (区老龄业务工作), not the first
    later = matched.loc[(2022, "老龄业务工作经费")]
    assert later["previous_project"] == "区老龄业务工作"
    assert later["match_score"] == pytest.approx(8 / 9)
    assert matched.loc[(2023, "健康教育与宣传工作"), "previous_year"] == 2021
    assert pd.isna(matched.loc[(2021, "救护车购置"), "previous_project"])  # not 发热门诊改造
    tracks = matched.groupby("track").size()
    assert sorted(tracks.tolist()) == [1, 1, 3, 3]


def test_different_phases_are_different_projects():
    rows = _lines([(2020, "急救网络建设（一期）", 100.0), (2021, "急救网络建设（二期）", 100.0)])
    assert y.tracks(rows)["track"].nunique() == 2


def test_projects_low_two_or_more_years_running():
    rows = _lines(
        [
            (2019, "老龄业务工作", 50.0),
            (2020, "老龄业务工作", 60.0),
            (2021, "老龄业务工作", 95.0),
            (2019, "办公楼修缮", 50.0),
            (2021, "办公楼修缮", 50.0),  # low twice, but not in consecutive years
            (2020, "党建工作", 80.0),
            (2021, "党建工作", 85.0),
        ]
    )
    low = y.low_streaks(y.tracks(rows))
    assert sorted(set(low["project"])) == ["党建工作", "老龄业务工作"]
    assert set(low.loc[low["project"] == "老龄业务工作", "streak_years"]) == {"2019–2020"}
    assert y.low_streaks(y.tracks(rows), threshold=70.0)["project"].unique().tolist() == [
        "老龄业务工作"
    ]
    everyone = y.all_low_streaks(rows)
    assert set(everyone["unit"]) == {"甲"} and everyone["track"].str.startswith("甲#").all()


def test_by_year_and_the_chart():
    rows = _lines([(2020, "甲", 50.0), (2020, "乙", 100.0), (2021, "甲", 100.0)])
    indicators = pd.DataFrame({"year": [2020, 2020, 2021], "status": ["met", "not_met", "met"]})
    years = y.by_year(rows, indicators)
    assert years["execution_rate_pct"].tolist() == [75.0, 100.0]
    assert years["completion_pct"].tolist() == [50.0, 100.0]
    assert years["n_low"].tolist() == [1, 0]
    fig = y.year_chart(years, "甲")
    assert [t.name for t in fig.data] == [
        "预算（万元）",
        "执行（万元）",
        "执行率（%）",
        "指标完成率（%）",
    ]


def test_multi_year_units():
    docs = pd.DataFrame(
        {"unit": ["甲", "甲", "乙", "丙", "丙", "丙"], "year": [2020, 2021, 2021, 2019, 2020, 2021]}
    )
    assert y.multi_year_units(docs) == ["丙", "甲"]
