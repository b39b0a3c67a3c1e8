"""Tests for self_eval_report: prose 自评报告 that state one project's figures in sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders.build import read_document
from loaders.document import Doc
from loaders.kinds import detect
from loaders.kinds import self_eval_report as ser

KIND = "self_eval_report"
ROOT = Path(__file__).resolve().parent.parent
FIELD = Path("/work/shared/field/raw")

REPORT = """\
某某县卫生健康局2023年度家庭医生签约服务项目支出绩效自评报告

一、项目基本情况
家庭医生签约服务项目由县卫生健康局组织实施。该项目年度预算数为 120 万元，实际支出 96 万元，预算执行率 80%，自评得分 92 分。

二、绩效目标完成情况
全年签约人数 3.2 万人，完成年度目标，评价等级为“优”。

三、存在的问题
部分乡镇签约进度滞后，资金拨付较慢。

四、整改措施
加快资金拨付，按季度通报签约进度。
"""
EXPECTED = ("家庭医生签约服务", 120.0, 96.0, 80.0, 92.0, "优")


def wrapped(text: str, width: int) -> str:
    """Prose as a PDF prints it: each paragraph cut every `width` characters, inside numbers too."""
    out = []
    for line in text.split("\n"):
        out += [line[i : i + width] for i in range(0, len(line), width)] or [""]
    return "\n".join(out)


def in_yuan(text: str) -> str:
    return text.replace("120 万元", "1,200,000.00 元").replace("96 万元", "960,000.00 元")


def traditional(text: str) -> str:
    return text.translate(
        str.maketrans("预算执行数实际项目报告绩效评", "預算執行數實際項目報告績效評")
    )


def name_label(text: str) -> str:
    lines = text.split("\n")
    return "\n".join(
        ["关于2023年度项目支出绩效自评的报告", "", "项目名称：家庭医生签约服务", *lines[1:]]
    )


def full_width(text: str) -> str:
    return text.replace("120", "１２０").replace("80%", "８０％")


VARIANTS = {
    "as_written": lambda t: t,
    "wrapped_17": lambda t: wrapped(t, 17),
    "wrapped_23": lambda t: wrapped(t, 23),
    "yuan": in_yuan,
    "traditional": traditional,
    "name_label": name_label,
    "full_width": full_width,
}


def project_of(result: dict) -> tuple:
    (p,) = result["projects"]
    return (
        p["project"],
        p["budget_wan"],
        p["actual_wan"],
        p["reported_rate_pct"],
        p["score"],
        p["grade"],
    )


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_report_variants_read_the_same_project(variant):
    text = VARIANTS[variant](REPORT)
    doc = Doc.from_text(text, f"{variant}.txt")
    assert detect(doc)[0][0] == KIND
    result = read_document(f"{variant}.txt", text.encode("utf-8"))
    assert result["document"]["doc_kind"] == KIND
    assert project_of(result) == EXPECTED
    assert result["document"]["year"] == 2023
    codes = {f["code"] for f in result["findings"]}
    assert not {"PARTIAL_ROW", "MISSING_TABLE", "RATE_MISMATCH"} & codes


def test_every_value_keeps_its_line():
    text = wrapped(REPORT, 17)
    lines = text.split("\n")
    (p,) = ser.parse(Doc.from_text(text)).projects
    where = dict(item.split("=") for item in p["value_lines"].split(";"))
    assert set(where) == {"budget_wan", "actual_wan", "reported_rate_pct", "score"}
    for column, printed in (
        ("budget_wan", "120"),
        ("actual_wan", "96"),
        ("reported_rate_pct", "80"),
    ):
        line = lines[int(where[column]) - 1]
        assert printed[:2] in line  # the number starts on that line (a wrap may cut it)
    assert p["source_line"] == min(map(int, where.values()))
    assert p["end_line"] == max(map(int, where.values()))


def test_problems_and_rectification_from_their_parts():
    (p,) = ser.parse(Doc.from_text(REPORT)).projects
    assert p["problems"] == "部分乡镇签约进度滞后，资金拨付较慢。"
    assert p["rectification"] == "加快资金拨付，按季度通报签约进度。"


def test_unit_from_the_title():
    result = read_document("r.txt", REPORT.encode("utf-8"))
    assert result["document"]["unit"] == "某某县卫生健康局"


def test_a_missing_value_is_left_empty_with_a_finding():
    text = REPORT.replace("，实际支出 96 万元", "")
    result = ser.parse(Doc.from_text(text))
    (p,) = result.projects
    assert (p["budget_wan"], p["actual_wan"], p["reported_rate_pct"]) == (120.0, None, 80.0)
    (finding,) = [f for f in result.findings if f.code == "PARTIAL_ROW"]
    assert "执行数" in finding.message and finding.project == "家庭医生签约服务"
    assert finding.source_line == 4


def test_a_report_without_figures_invents_no_project():
    text = "关于2023年度项目支出绩效自评的报告\n\n目录\n一、项目基本情况\n二、绩效目标完成情况\n"
    result = ser.parse(Doc.from_text(text))
    assert result.projects == []
    assert [f.code for f in result.findings] == ["MISSING_TABLE"]


@pytest.mark.parametrize(
    ("sentence", "values"),
    [
        ("项目调整后预算为500.5万元，全年累计支出450万元，执行率为89.92%。", (500.5, 450.0, 89.92)),
        (
            "年初预算数 80 万元，全年预算数 100 万元，执行数 100 万元，预算执行率 100%。",
            (100.0, 100.0, 100.0),
        ),
        ("本项目预算资金共计30万元，已支出25.5万元，资金执行率达85%。", (30.0, 25.5, 85.0)),
    ],
)
def test_sentences(sentence, values):
    text = f"2022年度某某项目绩效自评报告\n{sentence}\n"
    (p,) = ser.parse(Doc.from_text(text)).projects
    assert (p["budget_wan"], p["actual_wan"], p["reported_rate_pct"]) == values


def test_initial_budget_is_not_the_budget():
    text = "2022年度某某项目绩效自评报告\n年初预算数 80 万元，全年预算数 100 万元，执行数 90 万元，执行率 90%。\n"
    (p,) = ser.parse(Doc.from_text(text)).projects
    assert (p["initial_budget_wan"], p["budget_wan"]) == (80.0, 100.0)


def real_documents() -> list[Path]:
    seeds = sorted((ROOT / "data" / "raw").glob("*.txt"))
    field = sorted(FIELD.glob("*.txt")) if FIELD.is_dir() else []
    return seeds + field


@pytest.mark.parametrize("path", real_documents(), ids=lambda p: p.name)
def test_detection_leaves_the_table_forms_to_their_kinds(path):
    doc = Doc.from_text(path.read_text(encoding="utf-8", errors="replace"), path.name)
    scores = dict(detect(doc))
    assert scores[KIND] < max(s for k, s in scores.items() if k != KIND)
    assert scores[KIND] < 0.3
