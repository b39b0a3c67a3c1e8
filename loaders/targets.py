"""Indicator targets and actuals: '≥90%' -> ('>=', 90.0, '%'), and the met/not-met status rule."""

from __future__ import annotations

import re
from functools import lru_cache

from .numbers import _OCR_GAP, to_halfwidth

# Compared in order; longer words first so that '不低于' wins over '低于'.
_PREFIX_OPS = [
    (
        ">=",
        (
            "≥",
            ">=",
            "≧",
            "不低于",
            "不少于",
            "不小于",
            "大于等于",
            "大于或等于",
            "至少",
            "达到",
            "达",
        ),
    ),
    (
        "<=",
        (
            "≤",
            "<=",
            "≦",
            "不高于",
            "不多于",
            "不大于",
            "不超过",
            "小于等于",
            "小于或等于",
            "控制在",
        ),
    ),
    (">", (">", "大于", "高于", "多于", "超过")),
    ("<", ("<", "小于", "低于", "少于")),
    ("=", ("=", "＝", "等于")),
]
_SUFFIX_OPS = [
    (">=", ("以上", "及以上", "或以上")),
    ("<=", ("以内", "以下", "及以下", "内", "前", "之前")),
]
_DATE = re.compile(r"(?:19|20)\d{2}[-/.](?:0?[1-9]|1[0-2])(?!\d)")
_NUM_UNIT = re.compile(r"([+-]?\d+(?:\.\d+)?)\s*[(（]?\s*([%‰a-zA-Z\u4e00-\u9fff/·]*)")

MET_WORDS = (
    "已完成",
    "完成",
    "达成指标",
    "达成",
    "已达成",
    "得到保障",
    "达标",
    "已达标",
    "合格",
    "通过",
    "是",
    "良好",
    "及时",
    "按时完成",
    "已达到",
    "达到",
    "满意",
    "有效",
    "正常",
    "已实现",
    "实现",
    "落实",
    "已落实",
    "按期完成",
    "全部完成",
    "全覆盖",
    "保障",
    "得到提高",
    "得到加强",
    "提升",
    "有所提升",
)
NOT_MET_WORDS = (
    "未完成",
    "未应用",
    "未开展",
    "未达到",
    "未达标",
    "未达成",
    "不合格",
    "否",
    "未实现",
    "未落实",
    "未通过",
    "未按时",
    "延期",
    "滞后",
    "未能",
    "未启动",
    "没有完成",
)
NOT_APPLICABLE = ("不适用", "无此项", "不涉及")
# MET_WORDS that may open a longer text (是, 达 … alone would match too much).
_MET_PREFIXES = tuple(w for w in MET_WORDS if len(w) >= 2)


def normalise(text: str | None) -> str:
    if text is None:
        return ""
    return _OCR_GAP.sub("", to_halfwidth(str(text))).strip()


@lru_cache(maxsize=65536)
def parse_target(text: str | None) -> tuple[str | None, float | None, str | None]:
    """('>=', 90.0, '%') from '≥90%', '不低于90%', '90%以上', '≥27000.00(人)', '2台' -> ('=', 2, '台').

    Dates and words give (None, None, None) unless a comparison word is printed.
    """
    s = normalise(text).replace(" ", "")
    if not s:
        return None, None, None
    op = None
    for candidate, words in _PREFIX_OPS:
        if s.startswith(words):  # a tuple: one C call instead of a generator per word
            word = max((w for w in words if s.startswith(w)), key=len)
            op, s = candidate, s[len(word) :]
            break
    m = _NUM_UNIT.search(s)
    if not m:
        return None, None, None
    # A date like 2021年12月31日前 is a deadline, not a quantity.
    # 6000.00 is a quantity: a date needs a 19xx/20xx year and a month 1-12.
    if re.match(r"\d{4}年", s[m.start() :]) or _DATE.match(s[m.start() :]):
        return None, None, None
    value = float(m.group(1))
    unit = m.group(2).rstrip("）)") or None
    rest = s[m.end() :]
    if op is None:
        for candidate, words in _SUFFIX_OPS:
            if unit and unit.endswith(words):
                word = max((w for w in words if unit.endswith(w)), key=len)
                op, unit = candidate, unit[: -len(word)] or None
                break
            if rest.startswith(words):
                op = candidate
                break
    if unit:
        unit = re.split(r"[，,；;。]", unit)[0] or None
    return op or "=", value, unit


@lru_cache(maxsize=65536)
def parse_actual(text: str | None) -> float | None:
    """The first number of an actual value: '80.01%' -> 80.01, '45739' -> 45739.0."""
    s = normalise(text).replace(" ", "")
    if not s or re.match(r"\d{4}年", s):
        return None
    m = _NUM_UNIT.search(s)
    return float(m.group(1)) if m else None


@lru_cache(maxsize=65536)
def qualitative(text: str | None) -> str | None:
    """'met' / 'not_met' for words such as 已完成 / 未完成, or None."""
    s = normalise(text).replace(" ", "")
    if not s:
        return None
    if any(w in s for w in NOT_MET_WORDS):
        return "not_met"
    if s in MET_WORDS or s.startswith(_MET_PREFIXES):
        return "met"
    return None


def compare(op: str | None, target: float | None, actual: float | None) -> bool | None:
    if op is None or target is None or actual is None:
        return None
    if op == ">=":
        return actual >= target
    if op == ">":
        return actual > target
    if op == "<=":
        return actual <= target
    if op == "<":
        return actual < target
    # '=' targets are floors for quantities (7个 planned, 8 done) but exact for zero (0 accidents).
    return actual == target if target == 0 else actual >= target


def is_not_applicable(*texts: str | None) -> bool:
    return any(normalise(t) in NOT_APPLICABLE for t in texts if t)


def status(
    target_text: str | None,
    actual_text: str | None,
    weight: float | None = None,
    score: float | None = None,
    declaration: bool = False,
) -> str:
    """The contract's status rule: score against weight first, then target against actual."""
    if declaration:
        return "target_only"
    if weight is not None and score is not None:
        return "not_met" if score < weight - 1e-9 else "met"
    if actual_text is None or not normalise(actual_text):
        return "unknown"
    word = qualitative(actual_text)
    if word == "not_met":
        return word
    # An actual printed exactly as its target ("<90%" reported for "<90%") says the target was met.
    if normalise(target_text) and normalise(target_text) == normalise(actual_text):
        return "met"
    op, value, _unit = parse_target(target_text)
    verdict = compare(op, value, parse_actual(actual_text))
    if verdict is not None:
        return "met" if verdict else "not_met"
    return word or "unknown"
