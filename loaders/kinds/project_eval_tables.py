"""Kind project_eval_tables (parser to be written)."""

from __future__ import annotations

from ..detection import keyword_score
from . import Parsed

KIND = "project_eval_tables"
KEYWORDS: dict[str, float] = {"项目支出绩效自评": 0.25, "项目支出绩效自我评价": 0.25, "年度资金总额": 0.25, "全年执行数": 0.1, "一级指标": 0.1, "实际完成值": 0.1, "评分等级": 0.1, "部门决算": -0.6, "整体支出": -0.3}


def detect(doc) -> float:
    return keyword_score(doc.head, KEYWORDS)


def parse(doc) -> Parsed:
    return Parsed()
