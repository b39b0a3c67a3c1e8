"""The parquet tables of CONTRACT.md (and totals), declared once: used to write and in tests."""

from __future__ import annotations

import pyarrow as pa

DOCUMENTS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("source_file", pa.string()),
        ("sha256", pa.string()),
        ("doc_kind", pa.string()),
        ("kind_score", pa.float64()),
        ("encoding", pa.string()),
        ("unit", pa.string()),
        ("parent_unit", pa.string()),
        ("province", pa.string()),
        ("city", pa.string()),
        ("district", pa.string()),
        ("region", pa.string()),
        ("year", pa.int64()),
        ("year_source", pa.string()),
        ("amount_unit", pa.string()),
        ("title", pa.string()),
        ("n_lines", pa.int64()),
        ("size_bytes", pa.int64()),
        ("loader_version", pa.string()),
    ]
)

PROJECTS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("level", pa.string()),
        ("project", pa.string()),
        ("initial_budget_wan", pa.float64()),
        ("budget_wan", pa.float64()),
        ("actual_wan", pa.float64()),
        ("reported_rate_pct", pa.float64()),
        ("execution_rate_pct", pa.float64()),
        ("score", pa.float64()),
        ("grade", pa.string()),
        ("problems", pa.string()),
        ("rectification", pa.string()),
        ("source_line", pa.int64()),
        ("end_line", pa.int64()),
        # Values printed in a second place of the same document (001: annex beside narrative).
        ("alt_budget_wan", pa.float64()),
        ("alt_actual_wan", pa.float64()),
        ("alt_rate_pct", pa.float64()),
        ("alt_score", pa.float64()),
        ("alt_source_line", pa.int64()),
        ("funds_weight", pa.float64()),
        ("funds_score", pa.float64()),
        ("category", pa.string()),
        # 部门决算 totals on the department row (001): 本年收入合计, and 财政拨款 年初预算 / 支出.
        ("income_wan", pa.float64()),
        ("fiscal_budget_wan", pa.float64()),
        ("fiscal_actual_wan", pa.float64()),
    ]
)

INDICATORS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("project", pa.string()),
        ("level1", pa.string()),
        ("level2", pa.string()),
        ("name", pa.string()),
        ("target_text", pa.string()),
        ("actual_text", pa.string()),
        ("target_op", pa.string()),
        ("target_value", pa.float64()),
        ("target_unit", pa.string()),
        ("actual_value", pa.float64()),
        ("weight", pa.float64()),
        ("score", pa.float64()),
        ("deviation_reason", pa.string()),
        ("status", pa.string()),
        ("source_line", pa.int64()),
    ]
)

FINDINGS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("severity", pa.string()),
        ("code", pa.string()),
        ("message", pa.string()),
        ("project", pa.string()),
        ("source_line", pa.int64()),
        # The last line of the rows a finding is about (ORPHAN_ROWS), where known.
        ("end_line", pa.int64()),
    ]
)

# Every printed total the loaders checked against the sum of its rows (crosscheck.check_total),
# equal or not: the reconciliation of the 数据质量 page. A mismatch also has a TOTAL_MISMATCH finding.
TOTALS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("label", pa.string()),
        ("what", pa.string()),
        ("reported_wan", pa.float64()),
        ("rows_sum_wan", pa.float64()),
        ("difference_wan", pa.float64()),
        ("source_line", pa.int64()),
        # rows whose amount could not be read (#####, blank): the sum leaves them out
        ("rows_missing", pa.int64()),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "documents": DOCUMENTS,
    "projects": PROJECTS,
    "indicators": INDICATORS,
    "findings": FINDINGS,
    "totals": TOTALS,
}

LEVELS = ("project", "task", "department", "expenditure_type")
STATUSES = ("met", "not_met", "unknown", "target_only")


def to_table(name: str, rows: list[dict]) -> pa.Table:
    """Build a table of the declared schema from dict rows; missing keys become null."""
    schema = TABLES[name]
    columns = {f.name: [r.get(f.name) for r in rows] for f in schema}
    return pa.Table.from_pydict(columns, schema=schema)
