"""Content scoring helpers for the kinds' detect() functions."""

from __future__ import annotations

from functools import lru_cache

from .vocab import TRAD_TO_SIMP, TRADITIONAL


def squeeze(text: str) -> str:
    """Text without any white space, so wrapped or spaced keywords still match (年度 总体 目标)."""
    # str.split() cuts at every white space character (str.isspace, as the regex [\s\u3000]+
    # did), several times faster than a regex substitution.
    return "".join(text.split())


@lru_cache(maxsize=4)
def _squeezed(text: str) -> str:
    # Every kind scores the same doc.head: squeeze it once, not once per kind. The keywords are
    # simplified: a head printed in traditional characters is read in simplified ones.
    s = squeeze(text)
    if TRADITIONAL.search(s) is None:  # most heads hold none
        return s
    return s.translate(TRAD_TO_SIMP)


@lru_cache(maxsize=4)
def _found(text: str) -> dict[str, bool]:
    # Whether each keyword is in the squeezed text, filled in as kinds ask: kinds share keywords,
    # and each look-up scans the whole head.
    return {}


def keyword_score(text: str, weighted: dict[str, float]) -> float:
    """Sum of the weights of the keywords found in squeezed text, capped at 1.0."""
    s = _squeezed(text)
    found = _found(text)
    hits = []
    for k, w in weighted.items():
        hit = found.get(k)
        if hit is None:
            hit = found[k] = k in s
        if hit:
            hits.append(w)
    return min(1.0, sum(hits))
