"""Row builders shared by the kind parsers, so every row has the contract's shape."""

from __future__ import annotations

import re

from .numbers import rate_pct
from .targets import parse_actual, parse_target, status

_SPACE = re.compile(r"\s")
_WRAP_CJK = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")
_WRAP_MIXED = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[\x00-\x7f])|(?<=[\x00-\x7f])\s+(?=[^\x00-\x7f])")
_SPACES = re.compile(r"\s+")


def clean_name(text: str | None) -> str | None:
    """A name as printed, with white space from line wrapping removed between CJK characters."""
    if text is None:
        return None
    s = str(text).strip()
    if _SPACE.search(s) is None:  # most names: nothing to join (the parsers call this a lot)
        return s or None
    s = _WRAP_CJK.sub("", s)
    s = _WRAP_MIXED.sub("", s)
    s = _SPACES.sub(" ", s)
    return s or None


def project_row(
    level: str,
    project: str,
    source_line: int,
    *,
    budget_wan: float | None = None,
    actual_wan: float | None = None,
    reported_rate_pct: float | None = None,
    initial_budget_wan: float | None = None,
    score: float | None = None,
    grade: str | None = None,
    problems: str | None = None,
    rectification: str | None = None,
    end_line: int | None = None,
    **extra,
) -> dict:
    row = {
        "level": level,
        "project": clean_name(project),
        "initial_budget_wan": initial_budget_wan,
        "budget_wan": budget_wan,
        "actual_wan": actual_wan,
        "reported_rate_pct": reported_rate_pct,
        "execution_rate_pct": rate_pct(actual_wan, budget_wan),
        "score": score,
        "grade": grade,
        "problems": problems or None,
        "rectification": rectification or None,
        "source_line": source_line,
        "end_line": end_line if end_line is not None else source_line,
    }
    row.update(extra)
    return row


def indicator_row(
    project: str | None,
    name: str,
    source_line: int,
    *,
    level1: str | None = None,
    level2: str | None = None,
    target_text: str | None = None,
    actual_text: str | None = None,
    weight: float | None = None,
    score: float | None = None,
    deviation_reason: str | None = None,
    declaration: bool = False,
) -> dict:
    op, value, unit = parse_target(target_text)
    return {
        "project": clean_name(project) if project else None,
        "level1": clean_name(level1),
        "level2": clean_name(level2),
        "name": clean_name(name),
        "target_text": (target_text or "").strip() or None,
        "actual_text": (actual_text or "").strip() or None,
        "target_op": op,
        "target_value": value,
        "target_unit": unit,
        "actual_value": parse_actual(actual_text),
        "weight": weight,
        "score": score,
        "deviation_reason": (deviation_reason or "").strip() or None,
        "status": status(target_text, actual_text, weight, score, declaration),
        "source_line": source_line,
    }
