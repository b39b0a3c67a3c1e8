"""数据质量's view-model: findings, printed totals, narrative vs annex, scores and rates,
as linked and tinted tables of a selection (the page only draws them)."""

from __future__ import annotations

import pandas as pd

from . import reconcile, trace
from .constants import AMBER, CODE_LABELS, LEVEL_LABELS, RED, SEVERITY_LABELS
from .queries import COLUMN_LABELS, Selection
from .tints import by_key, tint

FINDING_COLUMNS = [
    "severity_label",
    "unit",
    "code",
    "code_label",
    "message",
    "project",
    "source_file",
    "source_line",
]
LABELS = {
    **COLUMN_LABELS,
    "code_label": "问题",
    "label": "合计项",
    "what": "金额",
    "reported_wan": "印发合计（万元）",
    "rows_sum_wan": "各行之和（万元）",
    "difference_wan": "差额（万元）",
    "rows_missing": "缺数行",
    "state": "核对结果",
    "n_indicators": "指标数",
    "weight_sum": "指标分值",
    "funds_weight": "资金分值",
    "weight_total": "分值合计",
    "weight_state": "分值核对",
    "points": "指标得分",
    "funds_score": "资金得分",
    "score_total": "得分合计",
    "printed_score": "印发总分",
    "score_state": "得分核对",
    "execution_rate_pct": "计算执行率（%）",
    "rate_diff": "差（百分点）",
    "rate_state": "核对结果",
}
# The narrative and annex table: each value twice.
ANNEX_LABELS = {
    **LABELS,
    "annex": "附件表",
    "budget_wan": "正文预算（万元）",
    "alt_budget_wan": "附件预算（万元）",
    "actual_wan": "正文执行（万元）",
    "alt_actual_wan": "附件执行（万元）",
    "reported_rate_pct": "正文执行率（%）",
    "alt_rate_pct": "附件执行率（%）",
    "score": "正文得分",
    "alt_score": "附件得分",
}
STATE_COLOURS = {
    reconcile.DIFFERS: RED,
    reconcile.ANNEX_MISSING: RED,
    reconcile.MISSING: AMBER,
    reconcile.UNCHECKABLE: AMBER,
    reconcile.ANNEX_PARTIAL: AMBER,
    reconcile.NOT_PRINTED: AMBER,
}
ANNEX_LINK = f"{trace.LINK_HEADER}（附件）"
# Projects or messages named one by one in a warning; the rest are counted.
NAMED_MAX = 20


def labelled(frame: pd.DataFrame, columns: list[str], labels: dict = LABELS) -> pd.DataFrame:
    return frame.reindex(columns=columns).rename(columns=labels).reset_index(drop=True)


def paint(table: pd.DataFrame, marks: dict[str, list]):
    """A Styler tinting cells: header -> one state per row, coloured by STATE_COLOURS."""
    return tint(table, {header: by_key(states, STATE_COLOURS) for header, states in marks.items()})


# What trace.with_links reads from a row.
LINE_COLUMNS = ["doc_id", "source_line", "end_line"]
ANNEX_COLUMNS = [
    "unit",
    "project",
    "annex",
    "state",
    "budget_wan",
    "alt_budget_wan",
    "actual_wan",
    "alt_actual_wan",
    "reported_rate_pct",
    "alt_rate_pct",
    "score",
    "alt_score",
]
TOTALS_COLUMNS = [
    "unit",
    "label",
    "what",
    "reported_wan",
    "rows_sum_wan",
    "difference_wan",
    "state",
    "rows_missing",
    "source_file",
    "source_line",
]
SUMS_COLUMNS = [
    "unit",
    "project",
    "n_indicators",
    "weight_sum",
    "funds_weight",
    "weight_total",
    "weight_state",
    "points",
    "funds_score",
    "score_total",
    "printed_score",
    "score_state",
]
RATE_COLUMNS = [
    "unit",
    "level_label",
    "project",
    "budget_wan",
    "actual_wan",
    "reported_rate_pct",
    "execution_rate_pct",
    "rate_diff",
    "rate_state",
]


def kept(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """frame's columns among `columns` (in frame order), copied apart from the full frame."""
    wanted = set(columns)
    return frame[[c for c in frame.columns if c in wanted]].copy()


def totals_view(totals: pd.DataFrame) -> dict:
    shown = trace.with_links(labelled(totals, TOTALS_COLUMNS), totals)
    return {"table": shown, "styler": paint(shown, {LABELS["state"]: list(totals["state"])})}


def annex_view(annex: pd.DataFrame, findings: pd.DataFrame) -> dict:
    """正文与附件: the table with both links, its tints, and the projects and rows to name."""
    missing = annex[annex["annex"] == reconcile.ANNEX_MISSING]
    names = [f"{u}：{p}" for u, p in zip(missing["unit"], missing["project"], strict=True)]
    orphans = findings[
        findings["doc_id"].isin(set(annex["doc_id"])) & (findings["code"] == "ORPHAN_ROWS")
    ]
    shown = trace.with_links(labelled(annex, ANNEX_COLUMNS, ANNEX_LABELS), annex)
    has_annex = annex["alt_source_line"].notna().tolist()
    shown[ANNEX_LINK] = [
        link if annexed else None
        for link, annexed in zip(
            trace.links(annex["doc_id"], annex["alt_source_line"]), has_annex, strict=True
        )
    ]
    marks = {ANNEX_LABELS["state"]: list(annex["state"])}
    for column, alt, _ in reconcile.PAIRS:
        states = list(annex[f"{column}_state"])
        marks[ANNEX_LABELS[column]] = states
        marks[ANNEX_LABELS[alt]] = states
    return {
        "missing": names,
        "orphans": list(orphans["message"].head(NAMED_MAX)),
        "n_orphans": len(orphans),
        "table": shown,
        "styler": paint(shown, marks),
    }


def sums_view(sums: pd.DataFrame) -> dict:
    shown = labelled(sums.rename(columns={"score": "printed_score"}), SUMS_COLUMNS)
    annex_first = sums["alt_source_line"].notna()
    lines = sums.assign(
        link_line=sums["alt_source_line"].where(annex_first, sums["source_line"]),
        link_end=sums["end_line"].where(~annex_first),
    )
    shown = trace.with_links(shown, lines, "link_line", "link_end")
    marks = {
        LABELS["weight_state"]: list(sums["weight_state"]),
        LABELS["score_state"]: list(sums["score_state"]),
    }
    return {"table": shown, "styler": paint(shown, marks)}


def reconciliations(selection: Selection, totals: pd.DataFrame) -> dict:
    """The page's tables on the selection, with their links and tints (totals: the printed
    totals the loaders checked, data.totals())."""
    docs = selection.documents[["doc_id", "unit"]]
    rates = reconcile.rate_checks(selection.projects)
    findings = reconcile.findings_by_severity(selection.findings)
    rates = rates.assign(level_label=rates["level"].map(LEVEL_LABELS).fillna(rates["level"]))
    out = {
        "n_documents": selection.documents["doc_id"].nunique(),
        # the columns the tables show and link: the rest would hold ~200 MB per filter at
        # 10,000 documents
        "findings": kept(findings, [*FINDING_COLUMNS, "severity", *LINE_COLUMNS]),
        "severity": findings["severity"].value_counts(),
        "n_documents_found": int(findings["doc_id"].nunique()),
        "severities": [s for s in SEVERITY_LABELS if s in set(findings["severity"].unique())],
        "codes": sorted(set(findings["code"])),
        "matrix": code_matrix(reconcile.findings_matrix(findings)),
        "rates": kept(rates, [*RATE_COLUMNS, *LINE_COLUMNS]),
    }
    checked = reconcile.totals_table(totals, selection.documents)
    if not checked.empty:
        out["totals_view"] = totals_view(checked)
    annex = reconcile.narrative_vs_annex(selection.projects)
    if not annex.empty:
        out["annex_view"] = annex_view(annex, selection.findings)
    sums = reconcile.score_sums(selection.projects, selection.indicators)
    if not sums.empty:
        out["sums_view"] = sums_view(sums.merge(docs, on="doc_id", how="left"))
    return out


def code_matrix(matrix: pd.DataFrame) -> pd.DataFrame:
    """The findings matrix with each code's Chinese label over its column (code in brackets)."""
    return matrix.rename(columns=lambda c: f"{CODE_LABELS.get(c, c)}（{c}）")


def finding_rows(findings: pd.DataFrame, severities: tuple, codes: tuple) -> pd.DataFrame:
    """The 数据提示 table for the chosen severities and codes (all when none), with links."""
    rows = findings
    if severities:
        rows = rows[rows["severity"].isin(severities)]
    if codes:
        rows = rows[rows["code"].isin(codes)]
    rows = rows.assign(code_label=rows["code"].map(CODE_LABELS).fillna(rows["code"]))
    return trace.with_links(labelled(rows, FINDING_COLUMNS), rows)


def rate_view(rates: pd.DataFrame, only: bool) -> dict:
    """印发与计算执行率: every rate, or only those that differ or were not printed."""
    if only:
        rates = rates[rates["rate_state"] != reconcile.AGREES]
    shown = trace.with_links(labelled(rates, RATE_COLUMNS), rates)
    return {
        "table": shown,
        "styler": paint(shown, {LABELS["rate_state"]: list(rates["rate_state"])}),
    }
