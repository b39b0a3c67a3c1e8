"""偏差原因: the taxonomy's rules on the seeds' texts (golden, each read by hand) and the tables."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import queries as q
from dashboard import reasons as r
from dashboard.constants import LOW_EXECUTION_PCT

# Every low-execution project of the seeds (execution below 90 %), largest unspent first, with
# its explanation (the 问题 column, else its indicators' 偏差原因) and the categories it gives.
# Each text was read and classified by hand; the comment says why where it is not obvious.
GOLDEN_LOW = [
    ("深圳市人口健康信息化工程建设", "受项目调研等影响，尚有部分项目未开展招标工作",
     ("approval", "procurement")),  # 调研 is the project's preparation; no tender held yet
    ("社会办医院和社康中心网络升级",
     "受社康搬迁、社会办医院调整等原因，导致部分社康及社会办医院未完成既定要求；"
     "预算执行因为项目跨期原因导致当年支付进度较低",
     ("progress", "external")),  # 搬迁 of the clinics; 跨期, 未完成
    ("深发改【2020】27号深圳市新建医院信息系统集中建设和管理工程",
     "受疫情影响，尚有一家医院未完成，处于验收准备阶段", ("progress", "external")),
    ("智慧龙岗2.0B包项目一卫健信息系统提升完善工程",
     "概算批复和招标过程未达到年初目标，未开工建设，项目首付款未支付",
     ("approval", "procurement", "progress")),  # 首付款未支付 follows, it is no cause
    ("卫生信息化项目管理工作", "冻结指标772600元", ("withdrawn",)),
    ("医疗卫生应急项目", None, ("none",)),
    ("高龄老人意外险项目", None, ("none",)),
    ("三名工程（第四批）——中国医学科学院医学信息研究所池慧教授医学信息研究团队——2020年",
     "受疫情影响，当年未指派人员赴引进团队培训", ("external",)),
    ("老龄业务工作", "老年人文艺汇演项目因疫情原因,取消开展,预算资金收回18.7万元",
     ("policy", "external", "withdrawn")),
    ("北京中医药大学深圳医院（龙岗）园山门诊部信息化基础建设工程",
     "概算批复未达到年初目标，设计合同尾款11.2万未完成支付",
     ("approval", "pay_on_actual")),  # the 尾款 falls due with the contract, not 未完成 work
    ("保洁管养及维修修缮", "年度项目维护较好，实际发生修理费支付比预计的减少", ("savings",)),
    ("党团工作经费", "受疫情影响，压缩差旅费支出，差旅费经费支付不足",
     ("savings", "external")),  # travel cut back: spending compressed
    ("家庭能力建设", "3.65万元收回(因疫情影响大型科学育儿家庭活动、托育工作培训未能开展)。",
     ("external", "withdrawn")),
    ("环卫及幼幼管理工作",
     "由于2021年新冠疫情影响，未能按计划开展对各街道公中心的服务满意度评估工作，"
     "有80%的资金挪用于公中心机构改革事项开支，仍有19%的资金未能支出。",
     ("policy", "external")),  # money redirected to the 机构改革
    ("人口和计划生育管理信息系统运维费", "项目未付款", ("other",)),  # says that, not why
]  # fmt: skip
GOLDEN_COUNTS = {
    "funds_late": 0,
    "approval": 3,
    "procurement": 2,
    "progress": 3,
    "savings": 2,
    "policy": 2,
    "external": 7,
    "pay_on_actual": 1,
    "withdrawn": 3,
    "other": 1,
    "none": 2,
}

# Other explanation texts of the seeds and the field set, read by hand.
TEXTS = [
    ("因病购改单,此项目,此项目于2021年4月调出卫健局系统。", ("policy",)),
    ("受疫情影响，安全生产培训未能及时开展", ("external",)),
    ("系统在按计划建设中，计划于2024年完成，并投入使用。", ("progress",)),
    ("根据项目合同内容要求，部分项目存在质保期要求，实际支付采购尾款项目6个，"
     "尚有1个项目处于产品质保期要求内，未及付款", ("pay_on_actual",)),
    ("待支付以前年度项目，根据项目实际进度进行支付、结转", ("pay_on_actual",)),
    ("冻结指标500000", ("withdrawn",)),
    ("冻结资金3万元", ("withdrawn",)),
    ("项目属于基础平台建设部分内容，基础平台尚未整体验收，双向转诊部分已或对方认可，"
     "该部分开发内容已完成", ("progress",)),
    ("项目试运行阶段，暂未全市推广", ("progress",)),
    ("项目属于建设期，暂未进入维护阶段", ("progress",)),
    ("(1)搬迁，等搬迁完成再开通。(2)用户装修，需要等装修好才能开通。(3)道路中间光缆被破坏，"
     "短时间内无法修复，需要等待道路施工完成才能拉直。", ("external",)),
    ("(1)暂时停业，未知是否还开门。(2)已经倒闭，结束营业。", ("external",)),
    # 招标文件 names a list, no tender under way: not procurement
    ("在项目招标文件名单内的单位，除了需要搬迁、装修、道路施工导致无法拉线的单位外，"
     "其他单位都已经开通", ("external",)),
    ("1家医院在做验收准备", ("progress",)),
    ("项目暂未完成终验手续", ("progress",)),
    ("达到验收条件项目逐步进行验收手续", ("progress",)),
    ("项目共分35个子项，目前已完成31个子项的招标工作，并进入实施", ("procurement",)),
    ("因为项目金额较大，招标前期准备及招标过程长，尚有4个项目处于招标准备、招标进行中",
     ("procurement",)),  # 招标前期 is the tender's own preparation, not 前期手续
    ("2017年度科研项目的结题工作因疫情原因顺延半年。", ("progress", "external")),
    ("原计划指标40是考虑到12361信息系统可能在2020年完成验收，故预留了相关指标。另，"
     "合同系统清单中的4个信息系统因已停止运行故撤销备案，未测评。", ("policy",)),
    ("根据合同期限", ("pay_on_actual",)),
    ("政府采购项目，按项目维护进度结转", ("pay_on_actual",)),  # 政府采购 names the kind only
    ("受疫情影响，未组织现场培训，以网课学习为主", ("external",)),
    # texts the loaders read into the reason column that give no reason
    ("深圳市重大疾病防治基本数", ("other",)),
    ("占比", ("other",)),
    ("全年完成查新报告2910余项,检索560余项.", ("other",)),
    ("绿化、水电费等成本", ("other",)),  # field: nx_yinchuan
    ("项目效益(35分)", ("other",)),  # field: nx_yinchuan
    # the generator's own reasons
    ("部分资金年底拨付", ("funds_late",)),
    ("受疫情影响进度滞后", ("progress", "external")),
    ("资金拨付慢", ("funds_late",)),
    ("设备故障导致部分复检", ("other",)),
    # nothing said
    ("无", ("none",)),
    ("无。", ("none",)),
    ("  ", ("none",)),
    ("/", ("none",)),
    ("不适用", ("none",)),
    (None, ("none",)),
    (float("nan"), ("none",)),
]  # fmt: skip


@pytest.fixture(scope="module")
def selection(built):
    return q.select(
        built["documents"], built["projects"], built["indicators"], built["findings"], q.Filters()
    )


@pytest.fixture(scope="module")
def low(selection):
    return q.low_execution(selection.lines, LOW_EXECUTION_PCT, selection.indicators)


def _text(value):
    return None if value is None or pd.isna(value) else value


def test_every_low_execution_text_of_the_seeds_has_its_category(low):
    got = [
        (row.project, _text(row.explanation), r.codes(row.explanation)) for row in low.itertuples()
    ]
    assert got == GOLDEN_LOW


def test_the_category_counts_of_the_seeds(selection):
    exploded = r.low_projects(selection.lines, selection.indicators)
    counts = exploded["category"].value_counts()
    assert {c: int(counts.get(c, 0)) for c in r.CODES} == GOLDEN_COUNTS
    assert r.unexplained(exploded) == pytest.approx(
        {
            "n_low": 15,
            "n_none": 2,
            "share_pct": 2 / 15 * 100,
            "unspent_wan": sum(row.budget_wan - row.actual_wan
                               for row in selection.lines.itertuples()
                               if row.rate_pct < LOW_EXECUTION_PCT),
            "none_unspent_wan": 98.0,  # 医疗卫生应急项目 50, 高龄老人意外险项目 48
        }
    )  # fmt: skip


@pytest.mark.parametrize(("text", "codes"), TEXTS)
def test_texts_of_the_seeds_and_the_field_set(text, codes):
    assert r.codes(text) == codes


def test_each_category_keeps_the_phrase_that_put_it_there():
    matches = r.classify("概算批复和招标过程未达到年初目标，未开工建设，项目首付款未支付")
    assert [(m.code, m.phrase) for m in matches] == [
        ("approval", "概算批复"),
        ("procurement", "招标过程"),
        ("progress", "未开工"),
    ]
    assert [m.label for m in matches] == [
        "前期手续/审批延迟",
        "政府采购/招标延迟",
        "项目未完工/进度滞后",
    ]
    assert r.classify("项目未付款") == (r.Match("other", ""),)


def test_a_phrase_never_runs_across_a_clause():
    # 资金 … 较晚 in two clauses is no 资金下达晚
    assert "funds_late" not in r.codes("资金已全部拨付，项目验收较晚")
    assert r.codes("资金下达较晚") == ("funds_late",)


def test_every_category_is_documented_with_a_label_and_a_meaning():
    assert list(r.LABELS) == [*(c.code for c in r.TAXONOMY), "other", "none"]
    assert set(r.MEANINGS) == set(r.LABELS) == set(r.COLOURS)
    doc = r.__doc__
    for code, label in r.LABELS.items():
        assert f"| {code} | {label} |" in doc


def _lows(rows):
    frame = pd.DataFrame(rows, columns=["unit", "region", "project", "unspent_wan", "explanation"])
    frame = frame.assign(doc_id="d", year=2021, rate_pct=50.0, _row=range(len(frame)))
    return r.explode(frame, "explanation")


def test_a_project_in_two_categories_counts_in_each_but_once_in_its_group_total():
    low = _lows(
        [
            ("甲", "深圳", "A", 10.0, "受疫情影响，招标工作延迟"),
            ("甲", "深圳", "B", 5.0, None),
            ("乙", "上海", "C", 1.0, "冻结指标100元"),
        ]
    )
    cats = r.by_category(low).set_index("category")
    assert cats.loc["external", "unspent_wan"] == 10.0
    assert cats.loc["procurement", "unspent_wan"] == 10.0
    assert cats.loc["none", "n_projects"] == 1
    assert list(cats.index) == ["procurement", "external", "withdrawn", "none"]  # taxonomy order
    units = r.by_group(low, "unit")
    assert units.groupby("unit")["total_wan"].first().to_dict() == {"甲": 15.0, "乙": 1.0}
    assert units["unit"].iloc[0] == "甲"
    summary = r.unexplained(low)
    assert (summary["n_low"], summary["n_none"], summary["none_unspent_wan"]) == (3, 1, 5.0)
    rows = r.category_rows(low, None)
    assert len(rows) == 3 and rows["label"].iloc[0] == "政府采购/招标延迟、疫情等外部因素"
    assert list(r.category_rows(low, "external")["project"]) == ["A"]


def test_all_texts_lists_project_and_indicator_reasons_without_the_empty_ones():
    projects = pd.DataFrame(
        {"doc_id": ["d", "d"], "unit": "甲", "region": "深圳", "year": 2021, "project": ["A", "B"],
         "problems": ["资金到位较晚", "无"], "source_line": [3, 4], "end_line": [3, 5]}
    )  # fmt: skip
    indicators = pd.DataFrame(
        {"doc_id": ["d"], "unit": "甲", "region": "深圳", "year": 2021, "project": ["A"],
         "deviation_reason": ["受疫情影响"], "source_line": [9]}
    )  # fmt: skip
    texts = r.all_texts(projects, indicators)
    assert list(zip(texts["source"], texts["category"], strict=True)) == [
        ("problems", "funds_late"),
        ("deviation_reason", "external"),
    ]
    assert list(texts.columns) == r.TEXT_COLUMNS
    assert r.all_texts(projects.iloc[:0], indicators.iloc[:0]).empty


def test_charts_name_categories_and_escape_units():
    low = _lows([("<b>甲</b>", "深圳", "A", 10.0, "冻结指标100元")])
    fig = r.category_chart(r.by_category(low))
    assert list(fig.data[0].y) == ["资金冻结/收回"]
    fig = r.group_chart(r.by_group(low, "unit"), "unit", "各单位")
    assert list(fig.data[0].y) == ["&lt;b&gt;甲&lt;/b&gt;"]
    assert r.category_chart(r.by_category(low.iloc[:0])).layout.annotations
