"""Kind project_summary_table (parser to be written)."""

from __future__ import annotations

from ..detection import keyword_score
from . import Parsed

KIND = "project_summary_table"
KEYWORDS: dict[str, float] = {"绩效自评表": 0.2, "序号": 0.1, "项目年度预算金额": 0.25, "实际支出金额": 0.15, "年度指标内容": 0.2, "完成情况": 0.1, "整改情况": 0.1, "部门决算": -0.6, "申报表": -0.4}


def detect(doc) -> float:
    return keyword_score(doc.head, KEYWORDS)


def parse(doc) -> Parsed:
    return Parsed()
