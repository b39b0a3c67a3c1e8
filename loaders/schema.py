"""The parquet tables of CONTRACT.md (and totals), declared once: the row shapes, as TypedDicts,
and the pyarrow schemas derived from them, used to write and in tests."""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping
from typing import TypedDict, get_args, get_type_hints

import pyarrow as pa


# Every column is nullable in the files; a row may leave out any key (it is written as null).
class DocumentRow(TypedDict, total=False):
    doc_id: str | None
    source_file: str | None
    sha256: str | None
    doc_kind: str | None
    kind_score: float | None
    encoding: str | None
    unit: str | None
    parent_unit: str | None
    province: str | None
    city: str | None
    district: str | None
    region: str | None
    year: int | None
    year_source: str | None
    amount_unit: str | None
    title: str | None
    n_lines: int | None
    size_bytes: int | None
    loader_version: str | None
    # Pages of a PDF or image (null for text and Office files), and how many were read by OCR.
    pages: int | None
    ocr_pages: int | None
    # 校对 (loaders/corrections.py): the values read where a reviewer corrected them, whether the
    # document was confirmed as checked (review_status = "confirmed"), by whom and when.
    read_unit: str | None
    read_year: int | None
    read_region: str | None
    read_doc_kind: str | None
    review_status: str | None
    reviewed_by: str | None
    reviewed_at: str | None
    n_corrections: int | None
    corrected_fields: str | None
    correction_reason: str | None


class ProjectRow(TypedDict, total=False):
    doc_id: str | None
    level: str | None
    project: str | None
    initial_budget_wan: float | None
    budget_wan: float | None
    actual_wan: float | None
    reported_rate_pct: float | None
    execution_rate_pct: float | None
    score: float | None
    grade: str | None
    problems: str | None
    rectification: str | None
    source_line: int | None
    end_line: int | None
    # Values printed in a second place of the same document (001: annex beside narrative).
    alt_budget_wan: float | None
    alt_actual_wan: float | None
    alt_rate_pct: float | None
    alt_score: float | None
    alt_source_line: int | None
    funds_weight: float | None
    funds_score: float | None
    category: str | None
    # 部门决算 totals on the department row (001): 本年收入合计, and 财政拨款 年初预算 / 支出.
    income_wan: float | None
    fiscal_budget_wan: float | None
    fiscal_actual_wan: float | None
    # Rows read from prose: the line each value was stated on ('budget_wan=3;actual_wan=3').
    value_lines: str | None
    # Where the row sits on a PDF page or image: page (1-based) and box (x0, y0, x1, y1 in points
    # from the page's top-left); null for text and Office files.
    source_page: int | None
    source_box: list[float] | None
    # 校对: the value read beside a corrected one, the fields corrected ("budget_wan,score", or
    # "added" for a row a reviewer added) and the reviewers' reasons.
    read_project: str | None
    read_initial_budget_wan: float | None
    read_budget_wan: float | None
    read_actual_wan: float | None
    read_reported_rate_pct: float | None
    read_score: float | None
    read_grade: str | None
    corrected_fields: str | None
    correction_reason: str | None


class IndicatorRow(TypedDict, total=False):
    doc_id: str | None
    project: str | None
    level1: str | None
    level2: str | None
    name: str | None
    target_text: str | None
    actual_text: str | None
    target_op: str | None
    target_value: float | None
    target_unit: str | None
    actual_value: float | None
    weight: float | None
    score: float | None
    deviation_reason: str | None
    status: str | None
    source_line: int | None
    # Where the row sits on a PDF page or image: page (1-based) and box (x0, y0, x1, y1 in points
    # from the page's top-left); null for text and Office files.
    source_page: int | None
    source_box: list[float] | None
    # 校对: as on projects.
    read_name: str | None
    read_target_text: str | None
    read_actual_text: str | None
    read_weight: float | None
    read_score: float | None
    read_status: str | None
    corrected_fields: str | None
    correction_reason: str | None


class FindingRow(TypedDict, total=False):
    doc_id: str | None
    severity: str | None
    code: str | None
    message: str | None
    project: str | None
    source_line: int | None
    # The last line of the rows a finding is about (ORPHAN_ROWS), where known.
    end_line: int | None
    # Where the row sits on a PDF page or image: page (1-based) and box (x0, y0, x1, y1 in points
    # from the page's top-left); null for text and Office files.
    source_page: int | None
    source_box: list[float] | None


# Every printed total the loaders checked against the sum of its rows (crosscheck.check_total),
# equal or not: the reconciliation of the 数据质量 page. A mismatch also has a TOTAL_MISMATCH finding.
class TotalRow(TypedDict, total=False):
    doc_id: str | None
    label: str | None
    what: str | None
    reported_wan: float | None
    rows_sum_wan: float | None
    difference_wan: float | None
    source_line: int | None
    # rows whose amount could not be read (#####, blank): the sum leaves them out
    rows_missing: int | None


ROWS: dict[str, type] = {
    "documents": DocumentRow,
    "projects": ProjectRow,
    "indicators": IndicatorRow,
    "findings": FindingRow,
    "totals": TotalRow,
}

_ARROW_TYPES = {
    str: pa.string(),
    float: pa.float64(),
    int: pa.int64(),
    list[float]: pa.list_(pa.float64()),
}


def arrow_schema(row: type) -> pa.Schema:
    """The pyarrow schema of a row TypedDict: its keys in order, str/float/int/list[float] as
    string/double/int64/list<double>."""
    fields = []
    for name, hint in get_type_hints(row).items():
        args = get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        (python_type,) = (a for a in args if a is not type(None))
        fields.append((name, _ARROW_TYPES[python_type]))
    return pa.schema(fields)


DOCUMENTS = arrow_schema(DocumentRow)
PROJECTS = arrow_schema(ProjectRow)
INDICATORS = arrow_schema(IndicatorRow)
FINDINGS = arrow_schema(FindingRow)
TOTALS = arrow_schema(TotalRow)

TABLES: dict[str, pa.Schema] = {
    "documents": DOCUMENTS,
    "projects": PROJECTS,
    "indicators": INDICATORS,
    "findings": FINDINGS,
    "totals": TOTALS,
}
_COLUMNS = {name: frozenset(schema.names) for name, schema in TABLES.items()}

LEVELS = ("project", "task", "department", "expenditure_type")
STATUSES = ("met", "not_met", "unknown", "target_only")


class UnknownColumnError(ValueError):
    """A row holds a key its table does not declare: a bug in the code that built the row (a
    parser's internal key, a misspelt column), never a problem of the document."""

    def __init__(self, table: str, columns: Iterable[str], row: Mapping) -> None:
        self.table, self.columns = table, sorted(columns)
        where = ", ".join(f"{k}={row[k]!r}" for k in ("doc_id", "source_line") if k in row)
        super().__init__(
            f"a {table} row has column(s) {', '.join(map(repr, self.columns))} that "
            f"loaders/schema.py does not declare ({ROWS[table].__name__})"
            + (f"; the row: {where}" if where else "")
            + ". Declare the column there (add, rename none: CONTRACT.md) or drop the key "
            "before the row is written."
        )


def to_table(name: str, rows: list[dict]) -> pa.Table:
    """Build a table of the declared schema from dict rows; missing keys become null.

    Raises UnknownColumnError for a key the schema does not declare: such a value would otherwise
    be dropped without a word.
    """
    schema, known = TABLES[name], _COLUMNS[name]
    if not all(map(known.issuperset, rows)):  # a quarter of a second for a million rows
        row = next(r for r in rows if not known.issuperset(r))
        raise UnknownColumnError(name, row.keys() - known, row)
    columns = {f.name: [r.get(f.name) for r in rows] for f in schema}
    return pa.Table.from_pydict(columns, schema=schema)
