"""自评可信度's view-model: the formula, warning and indicator tables of a selection, linked
and tinted, and the score scatter (the page only draws them)."""

from __future__ import annotations

import pandas as pd

from . import credibility as cred
from . import trace
from .constants import AMBER, RED
from .queries import COLUMN_LABELS, Selection
from .tints import by_key, tint

LABELS = {
    **COLUMN_LABELS,
    "rate_pct": "计分执行率（%）",
    "indicator_points": "指标得分",
    "execution_points": "资金得分（复算）",
    "funds_score": "资金得分（印发）",
    "recomputed_score": "复算得分",
    "score": "印发得分",
    "score_diff": "复算−印发",
    "grade_recomputed": "复算等级",
    "grade": "印发等级",
    "check": "复算结果",
    "differences": "差异与缺失",
    "warning_label": "预警",
    "indicator_rate_pct": "指标得分率（%）",
    "execution_score_pct": "执行得分率（%）",
    "score_gap_pct": "得分率差（百分点）",
    "unspent_pct": "未执行比例（%）",
    "warnings": "预警说明",
    "contradiction": "矛盾之处",
    "indicator_score": "得分",
}
FORMULA_COLUMNS = [
    "unit",
    "project",
    "rate_pct",
    "indicator_points",
    "execution_points",
    "recomputed_score",
    "score",
    "score_diff",
    "grade_recomputed",
    "grade",
    "check",
    "differences",
]
WARNING_COLUMNS = [
    "warning_label",
    "unit",
    "project",
    "score",
    "indicator_rate_pct",
    "execution_score_pct",
    "score_gap_pct",
    "budget_wan",
    "actual_wan",
    "unspent_pct",
    "warnings",
]
INDICATOR_COLUMNS = [
    "unit",
    "project",
    "level2",
    "name",
    "target_text",
    "actual_text",
    "weight",
    "indicator_score",
]
# The judged rows' columns kept for the 合理性预警 table after the page's tables are built.
JUDGED_KEPT = [*WARNING_COLUMNS, "warning", "doc_id", "source_line", "end_line"]
CHECK_COLOURS = {cred.CHECK_DIFFERS: RED, cred.CHECK_INCOMPLETE: AMBER}
LEVEL_COLOURS = {"red": RED, "amber": AMBER}
# Scores carry three decimals: the execution points (rate × 10) have one more than the score.
SCORE_DECIMALS = 3


def shown(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.reindex(columns=columns)
    for column in ("indicator_points", "execution_points", "recomputed_score", "score_diff"):
        if column in out:
            out[column] = pd.to_numeric(out[column], errors="coerce").round(SCORE_DECIMALS)
    return out.rename(columns=LABELS).reset_index(drop=True)


def score_table_lines(rows: pd.DataFrame) -> pd.DataFrame:
    """Where a score was printed: the annex table where there is one, else the row's lines."""
    annex = rows["alt_source_line"].notna()
    return rows.assign(
        link_line=rows["alt_source_line"].where(annex, rows["source_line"]),
        link_end=rows["end_line"].where(~annex),
    )


def checks(selection: Selection) -> dict:
    """The page's rules, tables (with links and tints) and scatter on the selection."""
    judged = cred.plausibility(cred.recompute(selection.projects, selection.indicators))
    if len(judged):
        # scores that do not follow from their table first
        order = judged["check"].map({cred.CHECK_DIFFERS: 0, cred.CHECK_INCOMPLETE: 1}).fillna(2)
        judged = (
            judged.merge(selection.documents[["doc_id", "unit", "year"]], on="doc_id", how="left")
            .assign(_order=order)
            .sort_values(["_order", "unit", "source_line"], kind="stable")
            .drop(columns="_order")
            .reset_index(drop=True)
        )
    no_reason = cred.not_met_without_reason(selection.indicators)
    contradicting = cred.met_contradicting(selection.indicators)
    out = {
        # the columns the warnings table needs: the rest (and the indicator rows behind the two
        # indicator tables) would hold hundreds of MB per filter at 10,000 documents
        "judged": judged.reindex(columns=[c for c in JUDGED_KEPT if c in judged.columns]).copy(),
        "nothing": judged.empty and no_reason.empty and contradicting.empty,
        "scatter": cred.score_scatter(judged) if len(judged) else None,
        "counts": judged["check"].value_counts() if len(judged) else pd.Series(dtype=int),
        "levels": judged["warning"].value_counts() if len(judged) else pd.Series(dtype=int),
        "formula": shown(judged, FORMULA_COLUMNS),
        "reasonless": shown(
            no_reason.assign(indicator_score=no_reason.get("score")), INDICATOR_COLUMNS
        ),
        "contradictions": shown(
            contradicting.assign(indicator_score=contradicting.get("score")),
            [*INDICATOR_COLUMNS, "contradiction"],
        ),
    }
    if len(judged):
        linked = trace.with_links(
            out["formula"], score_table_lines(judged), "link_line", "link_end"
        )
        out["formula_linked"] = linked
        out["formula_styler"] = tint(
            linked, {LABELS["check"]: by_key(judged["check"], CHECK_COLOURS)}
        )
        out["incomplete"] = cred.named_list(
            judged.loc[judged["check"] != cred.CHECK_AGREES, ["project", "differences"]],
            lambda r: f"{r.project}（{r.differences}）",
        )
        out["excellent_low_spend"] = cred.named_list(
            cred.excellent_low_spend(judged)[["project", "score", "rate_pct"]],
            lambda r: f"{r.project}（{r.score:.2f} 分，执行率 {r.rate_pct:.1f}%）",
            where="合理性预警表",
        )
    if len(no_reason):
        out["reasonless_linked"] = trace.with_links(out["reasonless"], no_reason)
    if len(contradicting):
        out["contradictions_linked"] = trace.with_links(out["contradictions"], contradicting)
    return out


def warning_view(judged: pd.DataFrame, warnings_only: bool) -> dict:
    """The 合理性预警 table (all judged projects, or only the warned ones), linked and tinted;
    judged: checks()["judged"]."""
    warned = judged[judged["warning"].notna()] if warnings_only and len(judged) else judged
    if not len(warned):
        return {"table": shown(warned, WARNING_COLUMNS)}
    order = warned["warning"].map({"red": 0, "amber": 1}).fillna(2)
    warned = warned.assign(_order=order).sort_values(
        ["_order", "score_gap_pct"], ascending=[True, False]
    )
    table = shown(warned, WARNING_COLUMNS)
    linked = trace.with_links(table, warned)
    return {
        "table": table,
        "linked": linked,
        "styler": tint(linked, {LABELS["warning_label"]: by_key(warned["warning"], LEVEL_COLOURS)}),
    }
