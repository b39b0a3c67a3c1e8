"""Does the document agree with itself? Pure reconciliation tables for the 数据质量 page.

Printed totals against the sum of their rows, a narrative against its annex (the same project
described twice), indicator weights and scores against the printed total score, and printed
against computed execution rates. Every table keeps doc_id and the source lines of its rows.
"""

from __future__ import annotations

import pandas as pd

from .constants import (
    AMOUNT_TOLERANCE_WAN,
    FULL_SCORE,
    RATE_TOLERANCE_PCT,
    SCORE_TOLERANCE,
    SEVERITY_LABELS,
    WEIGHT_TOLERANCE,
)
from .credibility import indicator_totals

AGREES, DIFFERS, MISSING = "一致", "不一致", "缺失"
# A printed total above the sum of its rows when some rows' amounts could not be read (#####).
UNCHECKABLE = "无法核对"
# States of the narrative-vs-annex and printed-vs-computed rate checks.
ANNEX_MISSING = "附件缺表"  # the project has no annex table
ANNEX_PARTIAL = "附件部分缺失"  # its annex table lacks some values
ANNEX_PRESENT = "有"
NOT_PRINTED = "未印发"  # the document prints no rate
UNCOMPUTABLE = "无法计算"  # no budget or actual to compute one from
SEVERITY_ORDER = {severity: i for i, severity in enumerate(SEVERITY_LABELS)}


def _state(difference, tolerance: float) -> str:
    if difference is None or pd.isna(difference):
        return MISSING
    return AGREES if abs(float(difference)) <= tolerance else DIFFERS


def findings_by_severity(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings, errors first, then by document and line, with Chinese severity labels."""
    if findings.empty:
        return findings.assign(severity_label=[])
    out = findings.assign(
        severity_label=findings["severity"].map(SEVERITY_LABELS).fillna(findings["severity"]),
        _order=findings["severity"].map(SEVERITY_ORDER),
    )
    return (
        out.sort_values(["_order", "source_file", "source_line"], na_position="last")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def findings_matrix(findings: pd.DataFrame) -> pd.DataFrame:
    """Counts of findings per document (rows) and code (columns)."""
    if findings.empty:
        return pd.DataFrame()
    label = findings["unit"].fillna("（未识别单位）") + "（" + findings["source_file"] + "）"
    table = pd.crosstab(label, findings["code"])
    table.index.name = "文档"
    table.columns.name = None
    return table


# --- printed totals ---------------------------------------------------------------------------


def totals_table(totals: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """Every printed total the loaders checked, beside the sum of its rows, for these documents."""
    columns = [
        "doc_id", "unit", "source_file", "label", "what", "reported_wan", "rows_sum_wan",
        "difference_wan", "rows_missing", "state", "source_line",
    ]  # fmt: skip
    if totals.empty or documents.empty:
        return pd.DataFrame(columns=columns)
    rows = totals.merge(documents[["doc_id", "unit", "source_file"]], on="doc_id", how="inner")
    if "rows_missing" not in rows.columns:  # tables built before the column existed
        rows = rows.assign(rows_missing=0)
    missing = rows["rows_missing"].fillna(0).astype(int)
    state = [_state(d, AMOUNT_TOLERANCE_WAN) for d in rows["difference_wan"]]
    # rows left out of the sum make it a lower bound: a total above it is not a proven mismatch
    above = (missing > 0) & (rows["difference_wan"] > AMOUNT_TOLERANCE_WAN)
    state = [UNCHECKABLE if up else s for s, up in zip(state, above, strict=True)]
    rows = rows.assign(label=rows["label"].str.rstrip("：:"), rows_missing=missing, state=state)
    order = rows["state"].map({DIFFERS: 0, UNCHECKABLE: 1, AGREES: 2, MISSING: 3})
    rows = rows.assign(_order=order).sort_values(["_order", "source_file", "source_line"])
    return rows[columns].reset_index(drop=True)


# --- narrative and annex ----------------------------------------------------------------------

# (column, annex column, tolerance): the values printed twice.
PAIRS = (
    ("budget_wan", "alt_budget_wan", AMOUNT_TOLERANCE_WAN),
    ("actual_wan", "alt_actual_wan", AMOUNT_TOLERANCE_WAN),
    # the annex prints the rate as a whole percent (0.83): differences within a point are rounding
    ("reported_rate_pct", "alt_rate_pct", RATE_TOLERANCE_PCT),
    ("score", "alt_score", SCORE_TOLERANCE),
)


def narrative_vs_annex(projects: pd.DataFrame) -> pd.DataFrame:
    """Per project of every document that describes its projects twice (alt_* columns).

    For budget, actual, rate and score: the narrative value, the annex value, their difference
    and a state (一致 / 不一致 / 缺失). annex is 附件缺表 where the project has no annex table.
    """
    if projects.empty or "alt_source_line" not in projects.columns:
        return pd.DataFrame()
    twice = set(projects.loc[projects["alt_source_line"].notna(), "doc_id"])
    rows = projects[projects["doc_id"].isin(twice) & (projects["level"] == "project")]
    if rows.empty:
        return pd.DataFrame()
    out = rows.copy()
    out["annex"] = out["alt_source_line"].map(
        lambda v: ANNEX_PRESENT if pd.notna(v) else ANNEX_MISSING
    )
    states = []
    for column, alt, tolerance in PAIRS:
        diff = out[alt] - out[column]
        out[f"{column}_diff"] = diff
        state = [_state(d, tolerance) for d in diff]
        out[f"{column}_state"] = state
        states.append(state)
    out["n_differ"] = [sum(s == DIFFERS for s in row) for row in zip(*states, strict=True)]
    out["n_missing"] = [sum(s == MISSING for s in row) for row in zip(*states, strict=True)]
    out["state"] = [
        ANNEX_MISSING if a == ANNEX_MISSING else DIFFERS if d else ANNEX_PARTIAL if m else AGREES
        for a, d, m in zip(out["annex"], out["n_differ"], out["n_missing"], strict=True)
    ]
    order = out["state"].map({ANNEX_MISSING: 0, DIFFERS: 1, ANNEX_PARTIAL: 2, AGREES: 3})
    return (
        out.assign(_order=order)
        .sort_values(["_order", "source_line"])
        .drop(columns="_order")
        .reset_index(drop=True)
    )


# --- weights and scores -----------------------------------------------------------------------


def score_sums(projects: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Per scored project: indicator weights + funds weight against 100, and indicator scores +
    the printed funds score against the printed total score (what the table prints, no formula).
    """
    columns = [
        "doc_id", "project", "n_indicators", "weight_sum", "funds_weight", "weight_total",
        "weight_state", "points", "funds_score", "score_total", "score", "score_diff",
        "score_state", "source_line", "end_line", "alt_source_line", "first_line",
    ]  # fmt: skip
    scored = projects[(projects["level"] == "project") & projects["score"].notna()]
    if scored.empty:
        return pd.DataFrame(columns=columns)
    sums = indicator_totals(indicators)
    rows = scored.merge(sums, on=["doc_id", "project"], how="left")
    rows["n_indicators"] = rows["n_indicators"].fillna(0).astype(int)
    rows["weight_sum"] = rows["weight_sum"].where(rows["n_indicators"] > 0)
    rows["points"] = rows["points"].where(rows["n_indicators"] > 0)
    rows["weight_total"] = rows["weight_sum"] + rows["funds_weight"].fillna(0)
    rows["weight_state"] = [_state(t - FULL_SCORE, WEIGHT_TOLERANCE) for t in rows["weight_total"]]
    rows["score_total"] = rows["points"] + rows["funds_score"].fillna(0)
    rows["score_diff"] = rows["score_total"] - rows["score"]
    rows["score_state"] = [_state(d, SCORE_TOLERANCE) for d in rows["score_diff"]]
    order = (rows["weight_state"] != AGREES) | (rows["score_state"] != AGREES)
    rows = rows.assign(_order=~order).sort_values(["_order", "doc_id", "source_line"])
    return rows[columns].reset_index(drop=True)


# --- execution rates --------------------------------------------------------------------------


def rate_checks(projects: pd.DataFrame) -> pd.DataFrame:
    """Budget lines with a printed or computed execution rate: printed − computed, and a state.

    缺失 where the document prints no rate (the computed one is shown); 不一致 beyond
    RATE_TOLERANCE_PCT points.
    """
    rows = projects[projects["reported_rate_pct"].notna() | projects["execution_rate_pct"].notna()]
    if rows.empty:
        return rows.assign(rate_diff=[], rate_state=[])
    out = rows.assign(rate_diff=rows["reported_rate_pct"] - rows["execution_rate_pct"])
    out["rate_state"] = [
        NOT_PRINTED if pd.isna(r) else UNCOMPUTABLE if pd.isna(c) else _state(d, RATE_TOLERANCE_PCT)
        for r, c, d in zip(
            out["reported_rate_pct"], out["execution_rate_pct"], out["rate_diff"], strict=True
        )
    ]
    order = out["rate_state"].map({DIFFERS: 0, NOT_PRINTED: 1, UNCOMPUTABLE: 2, AGREES: 3})
    out = out.assign(_order=order, _size=out["rate_diff"].abs())
    out = out.sort_values(["_order", "_size", "source_line"], ascending=[True, False, True])
    return out.drop(columns=["_order", "_size"]).reset_index(drop=True)
