"""Kind target_declaration (parser to be written)."""

from __future__ import annotations

from ..detection import keyword_score
from . import Parsed

KIND = "target_declaration"
KEYWORDS: dict[str, float] = {"绩效目标申报表": 0.5, "指标值": 0.15, "任务名称": 0.1, "预算金额": 0.1, "年度总体目标": 0.1, "完成值": -0.3, "得分": -0.3, "决算": -0.3}


def detect(doc) -> float:
    return keyword_score(doc.head, KEYWORDS)


def parse(doc) -> Parsed:
    return Parsed()
