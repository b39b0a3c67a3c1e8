"""Kind final_accounts (parser to be written)."""

from __future__ import annotations

from ..detection import keyword_score
from . import Parsed

KIND = "final_accounts"
KEYWORDS: dict[str, float] = {"部门决算": 0.5, "收入支出决算总表": 0.3, "决算表": 0.1, "财政拨款收入支出决算": 0.1, "本年支出合计": 0.1}


def detect(doc) -> float:
    return keyword_score(doc.head, KEYWORDS)


def parse(doc) -> Parsed:
    return Parsed()
