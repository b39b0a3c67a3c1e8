"""Kind department_overall_eval (parser to be written)."""

from __future__ import annotations

from ..detection import keyword_score
from . import Parsed

KIND = "department_overall_eval"
KEYWORDS: dict[str, float] = {"整体支出绩效自评": 0.5, "全年预算数": 0.1, "全年执行数": 0.1, "资金结构": 0.15, "分解目标": 0.05, "自评得分": 0.1, "部门决算": -0.5, "项目支出绩效自评表": -0.2}


def detect(doc) -> float:
    return keyword_score(doc.head, KEYWORDS)


def parse(doc) -> Parsed:
    return Parsed()
