"""Pure pandas queries behind the pages: filtering, KPIs, aggregation and the tables shown."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .constants import (
    BUDGET_LEVELS,
    CODE_LABELS,
    GREEN_FROM_PCT,
    KIND_LABELS,
    LEVEL_LABELS,
    OVER_PCT,
    OVERALL_LEVELS,
    PROBLEM_SEVERITIES,
    RED_BELOW_PCT,
    STATUS_LABELS,
    STATUS_ORDER,
)

# Document columns carried onto the rows of the other tables.
DOC_COLUMNS = ("doc_id", "unit", "region", "year", "doc_kind", "source_file")

# Internal column -> header shown in tables and exports (万元 and % in the header let the
# exports pick the number format).
COLUMN_LABELS = {
    "region": "地区",
    "unit": "单位",
    "label": "单位",
    "year": "年度",
    "doc_kind_label": "文档类型",
    "level_label": "层级",
    "project": "项目",
    "initial_budget_wan": "年初预算（万元）",
    "budget_wan": "预算（万元）",
    "actual_wan": "执行（万元）",
    "unspent_wan": "未执行（万元）",
    "declared_budget_wan": "申报预算（万元）",
    "execution_rate_pct": "执行率（%）",
    "reported_rate_pct": "印发执行率（%）",
    "score": "自评得分",
    "grade": "评分等级",
    "explanation": "问题 / 偏差原因",
    "n_lines": "项目数",
    "n_low": "低执行项目数",
    "level1": "一级指标",
    "level2": "二级指标",
    "name": "三级指标",
    "target_text": "目标值",
    "actual_text": "完成值",
    "weight": "分值",
    "indicator_score": "得分",
    "points_lost": "失分",
    "deviation_reason": "偏差原因",
    "status_label": "状态",
    "notes": "数据提示",
    "source_file": "来源文件",
    "source_line": "行号",
    "severity_label": "级别",
    "code": "代码",
    "code_label": "问题",
    "message": "说明",
}


UNKNOWN_UNIT = "（未识别单位）"


@dataclass(frozen=True)
class Filters:
    """The global filters; an empty selection means 'all'."""

    regions: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    kinds: tuple[str, ...] = field(default=())

    @classmethod
    def from_state(cls, state) -> Filters:
        """From a mapping holding the widget keys filter_region, filter_unit, filter_year, filter_kind."""

        def values(key: str) -> tuple:
            return tuple(state.get(key) or ())

        return cls(
            values("filter_region"),
            values("filter_unit"),
            tuple(int(y) for y in values("filter_year")),
            values("filter_kind"),
        )

    def describe(self) -> str:
        """One line in Chinese naming the active filters."""
        parts = [
            ("地区", self.regions),
            ("单位", self.units),
            ("年度", tuple(str(y) for y in self.years)),
            ("文档类型", tuple(KIND_LABELS.get(k, k) for k in self.kinds)),
        ]
        return "；".join(f"{label}：{'、'.join(v) if v else '全部'}" for label, v in parts)


# --- formatting ---------------------------------------------------------------------------


def is_number(value) -> bool:
    return (
        value is not None
        and not (isinstance(value, float) and math.isnan(value))
        and not pd.isna(value)
    )


def fmt_wan(value, unit: bool = False) -> str:
    """1234.5 -> '1,234.50' (万元 with thousands separators); missing -> '—'."""
    if not is_number(value):
        return "—"
    text = f"{float(value):,.2f}"
    return f"{text} 万元" if unit else text


def fmt_pct(value) -> str:
    """97.46 -> '97.5 %'; missing -> '—'."""
    if not is_number(value):
        return "—"
    return f"{float(value):.1f} %"


def rate_pct(actual, budget) -> float | None:
    """actual / budget × 100, or None when either is missing or the budget is not positive."""
    if not (is_number(actual) and is_number(budget)) or float(budget) <= 0:
        return None
    return float(actual) / float(budget) * 100.0


def band(rate, red_below: float = RED_BELOW_PCT, green_from: float = GREEN_FROM_PCT) -> str:
    """Colour band of an execution rate: red, amber, green, over (above 100) or none."""
    if not is_number(rate):
        return "none"
    if rate > OVER_PCT:
        return "over"
    if rate < red_below:
        return "red"
    if rate < green_from:
        return "amber"
    return "green"


def bands_of(
    rates: pd.Series, red_below: float = RED_BELOW_PCT, green_from: float = GREEN_FROM_PCT
) -> pd.Series:
    """band() of every rate at once (same index)."""
    r = pd.to_numeric(rates, errors="coerce").astype(float)
    picked = np.select(
        [r.isna(), r > OVER_PCT, r < red_below, r < green_from],
        ["none", "over", "red", "amber"],
        "green",
    )
    return pd.Series(picked, index=rates.index, dtype=object)


# --- filtering ----------------------------------------------------------------------------


def _sorted_unique(series: pd.Series) -> list:
    return sorted({v for v in series.dropna().tolist() if v != ""})


def filter_options(documents: pd.DataFrame, regions: tuple[str, ...] = ()) -> dict[str, list]:
    """Choices of each global filter; units are narrowed to the chosen regions."""
    in_regions = documents[documents["region"].isin(regions)] if regions else documents
    return {
        "filter_region": _sorted_unique(documents["region"]),
        "filter_unit": _sorted_unique(in_regions["unit"]),
        "filter_year": sorted({int(y) for y in documents["year"].dropna()}, reverse=True),
        "filter_kind": _kinds_present(documents["doc_kind"]),
    }


def _kinds_present(kinds: pd.Series) -> list[str]:
    """The kinds of the loaded documents, in KIND_LABELS order; one without a label still shows."""
    present = {k for k in kinds.dropna().tolist() if k != ""}
    return [k for k in KIND_LABELS if k in present] + sorted(present - set(KIND_LABELS))


def filter_documents(documents: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The documents matching every non-empty filter."""
    mask = pd.Series(True, index=documents.index)
    if filters.regions:
        mask &= documents["region"].isin(filters.regions)
    if filters.units:
        mask &= documents["unit"].isin(filters.units)
    if filters.years:
        mask &= documents["year"].isin(filters.years)
    if filters.kinds:
        mask &= documents["doc_kind"].isin(filters.kinds)
    return documents[mask]


def attach(rows: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """Rows of the selected documents, with each document's unit, region, year and kind."""
    # a lookup, not a merge: with every document selected the rows are not copied at all
    # (copy-on-write), and each document column is one array of shared values
    documents = documents.drop_duplicates("doc_id")  # the contract's key; never repeated
    keep = rows["doc_id"].isin(documents["doc_id"])
    out = (rows if keep.all() else rows[keep]).reset_index(drop=True)
    at = pd.Index(documents["doc_id"]).get_indexer(out["doc_id"])
    kinds = documents["doc_kind"]
    per_doc = {column: documents[column] for column in DOC_COLUMNS[1:]}
    if "unit" not in out.columns:
        per_doc["unit"] = per_doc["unit"].fillna(UNKNOWN_UNIT)
    per_doc["doc_kind_label"] = kinds.map(KIND_LABELS).fillna(kinds).astype(kinds.dtype)
    for column, values in per_doc.items():
        name = f"{column}_doc" if column in out.columns else column
        taken = values.to_numpy()[at] if len(out) else []
        out[name] = pd.Series(taken, index=out.index, dtype=values.dtype)
    out["unit"] = out["unit"].fillna(UNKNOWN_UNIT)
    return out


@dataclass(frozen=True)
class Selection:
    """The rows of the documents matching the filters, each carrying its document's columns."""

    filters: Filters
    documents: pd.DataFrame
    projects: pd.DataFrame
    lines: pd.DataFrame
    overall: pd.DataFrame
    indicators: pd.DataFrame
    findings: pd.DataFrame


def select(
    documents: pd.DataFrame,
    projects: pd.DataFrame,
    indicators: pd.DataFrame,
    findings: pd.DataFrame,
    filters: Filters,
) -> Selection:
    """Filter the documents and bring their rows along; budget lines and totals split apart."""
    docs = filter_documents(documents, filters)
    rows = attach(projects, docs)
    return Selection(
        filters=filters,
        documents=docs,
        projects=rows,
        lines=budget_lines(rows),
        overall=overall_lines(rows),
        indicators=attach(indicators, docs),
        findings=attach(findings, docs),
    )


# --- budget lines -------------------------------------------------------------------------


def budget_lines(projects: pd.DataFrame) -> pd.DataFrame:
    """The rows that are summed: project rows, or a document's task rows when it has no projects.

    department and expenditure_type rows are totals of the same money and never budget lines; a
    document that lists both projects and tasks describes its money twice, so its tasks are left
    out of the sums.
    """
    lines = projects[projects["level"].isin(BUDGET_LEVELS)]
    docs_with_projects = set(lines.loc[lines["level"] == "project", "doc_id"])
    keep = (lines["level"] == "project") | ~lines["doc_id"].isin(docs_with_projects)
    out = lines[keep].copy()
    out["rate_pct"] = out["execution_rate_pct"].fillna(out["reported_rate_pct"])
    out["executed"] = out["actual_wan"].notna() & out["budget_wan"].notna()
    out["declared_only"] = out["actual_wan"].isna() & out["reported_rate_pct"].isna()
    out["level_label"] = out["level"].map(LEVEL_LABELS).fillna(out["level"])
    return out


def overall_lines(projects: pd.DataFrame) -> pd.DataFrame:
    """department and expenditure_type rows: shown on their own, never added to project totals."""
    out = projects[projects["level"].isin(OVERALL_LEVELS)].copy()
    out["rate_pct"] = out["execution_rate_pct"].fillna(out["reported_rate_pct"])
    out["level_label"] = out["level"].map(LEVEL_LABELS).fillna(out["level"])
    order = {level: i for i, level in enumerate(OVERALL_LEVELS)}
    out["_order"] = out["level"].map(order)
    return out.sort_values(["unit", "year", "_order", "source_line"]).drop(columns="_order")


def execution_totals(lines: pd.DataFrame) -> dict:
    """Budget and actual over the lines that print both; declared budget (no execution) apart.

    Lines with a budget but no readable actual (and no printed rate) count as declared; lines
    missing one of the two amounts otherwise are counted in n_incomplete and left out of sums.
    """
    executed = lines[lines["executed"]]
    declared = lines[lines["declared_only"]]
    budget = float(executed["budget_wan"].sum())
    actual = float(executed["actual_wan"].sum())
    return {
        "budget_wan": budget,
        "actual_wan": actual,
        "rate_pct": rate_pct(actual, budget),
        "n_executed": int(len(executed)),
        "declared_budget_wan": float(declared["budget_wan"].sum()),
        "n_declared": int(len(declared)),
        "n_incomplete": int(len(lines) - len(executed) - len(declared)),
    }


def _note_text(codes: pd.Series) -> str:
    return "、".join(dict.fromkeys(CODE_LABELS.get(c, c) for c in codes))


def with_notes(rows: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
    """Rows with a 数据提示 column: the loaders' problems about that row's project."""
    problems = findings[findings["severity"].isin(PROBLEM_SEVERITIES) & findings["project"].notna()]
    notes = problems.groupby(["doc_id", "project"])["code"].agg(_note_text)
    if rows.empty or notes.empty:
        out = rows.assign(notes=None)
    else:
        keys = pd.MultiIndex.from_arrays([rows["doc_id"], rows["project"]])
        out = rows.assign(notes=notes.reindex(keys).to_numpy())
    return with_correction_marks(out)


def with_correction_marks(rows: pd.DataFrame) -> pd.DataFrame:
    """notes led by '✎ 已校对：预算数（万元）（理由）' on rows a reviewer corrected (校对)."""
    if rows.empty or "corrected_fields" not in rows.columns:
        return rows
    marked = rows["corrected_fields"].notna()
    if not marked.any():
        return rows
    from loaders.corrections import field_label

    def mark(fields: str, reason, note) -> str:
        names = [f for f in fields.split(",") if f]
        what = (
            "补录" if names == ["added"] else "、".join(field_label("projects", f) for f in names)
        )
        text = f"✎ 已校对：{what}" + (f"（{reason}）" if isinstance(reason, str) and reason else "")
        return f"{text}；{note}" if isinstance(note, str) and note else text

    notes = rows["notes"].astype(object).copy()
    sub = rows[marked]
    notes[marked.to_numpy()] = [
        mark(f, r, n)
        for f, r, n in zip(
            sub["corrected_fields"], sub["correction_reason"], sub["notes"], strict=True
        )
    ]
    return rows.assign(notes=notes.to_numpy())


def unit_notes(findings: pd.DataFrame) -> pd.DataFrame:
    """Per unit and year: the problems the loaders found about a whole document (no project)."""
    problems = findings[findings["severity"].isin(PROBLEM_SEVERITIES) & findings["project"].isna()]
    if problems.empty:
        return pd.DataFrame(columns=["unit", "year", "notes"])
    frame = problems.assign(year=problems["year"].fillna(-1))
    return frame.groupby(["unit", "year"])["code"].agg(_note_text).rename("notes").reset_index()


# --- indicators and findings --------------------------------------------------------------


def status_counts(indicators: pd.DataFrame) -> dict[str, int]:
    counts = indicators["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in STATUS_ORDER}


def completion_rate(counts: dict[str, int]) -> float | None:
    """met / (met + not_met) × 100; unknown and declared targets are not judged."""
    judged = counts.get("met", 0) + counts.get("not_met", 0)
    return counts.get("met", 0) / judged * 100.0 if judged else None


def overview_kpis(
    documents: pd.DataFrame,
    lines: pd.DataFrame,
    indicators: pd.DataFrame,
    findings: pd.DataFrame,
    overall: pd.DataFrame | None = None,
) -> dict:
    """The numbers of the KPI cards on the overview page; with overall, the totals of the units
    known only by their 部门整体 figures (department_totals)."""
    counts = status_counts(indicators)
    totals = execution_totals(lines)
    severities = findings["severity"].value_counts()
    departments = department_only(lines, overall) if overall is not None else None
    return {
        "department": department_totals(departments) if departments is not None else None,
        "n_info": int(severities.get("info", 0)),
        "n_documents": int(len(documents)),
        "n_units": int(documents["unit"].dropna().nunique()),
        "n_lines": int(len(lines)),
        **totals,
        "status": counts,
        "completion_pct": completion_rate(counts),
        "n_indicators": int(sum(counts.values())),
        "n_findings": int(severities.get("error", 0) + severities.get("warning", 0)),
        "n_errors": int(severities.get("error", 0)),
    }


def department_only(lines: pd.DataFrame, overall: pd.DataFrame) -> pd.DataFrame:
    """The 部门整体 rows of the unit-years that have no budget lines (a 部门整体支出绩效自评表
    alone): their money is counted on its own, never added to project totals."""
    departments = overall[overall["level"] == "department"]
    if departments.empty:
        return departments
    have = set(zip(lines["unit"], lines["year"].fillna(-1), strict=True))
    alone = [
        (u, y) not in have
        for u, y in zip(departments["unit"], departments["year"].fillna(-1), strict=True)
    ]
    return departments[alone]


def department_totals(departments: pd.DataFrame) -> dict:
    """Budget, actual and rate of department rows that print both amounts, and their units."""
    both = departments[departments["budget_wan"].notna() & departments["actual_wan"].notna()]
    budget, actual = float(both["budget_wan"].sum()), float(both["actual_wan"].sum())
    return {
        "n_units": int(departments["unit"].nunique()),
        "n_rows": int(len(both)),
        "budget_wan": budget if len(both) else None,
        "actual_wan": actual if len(both) else None,
        "rate_pct": rate_pct(actual, budget) if len(both) else None,
    }


DEPARTMENT_SUFFIX = "（部门整体）"


def by_unit_and_department(lines: pd.DataFrame, overall: pd.DataFrame) -> pd.DataFrame:
    """by_unit, plus one row per unit-year known only by its 部门整体 figures (labelled so)."""
    units = by_unit(lines)
    alone = department_only(lines, overall)
    if alone.empty:
        return units
    extra = pd.DataFrame(
        {
            "unit": alone["unit"].to_numpy(),
            "year": alone["year"].to_numpy(),
            "budget_wan": alone["budget_wan"].to_numpy(),
            "actual_wan": alone["actual_wan"].to_numpy(),
            "execution_rate_pct": alone["rate_pct"].to_numpy(),
            "declared_budget_wan": None,
            "n_lines": 0,
            "n_low": 0,
            "notes": None,
        }
    )
    extra["label"] = unit_labels(extra) + DEPARTMENT_SUFFIX
    out = pd.concat([units, extra[units.columns]], ignore_index=True) if len(units) else extra
    return out.sort_values(["budget_wan", "declared_budget_wan"], ascending=False)[
        units.columns
    ].reset_index(drop=True)


def coverage(documents: pd.DataFrame) -> pd.DataFrame:
    """Unit × year: which documents are loaded and of what kind ('' where none)."""
    if documents.empty:
        return pd.DataFrame()
    docs = documents.assign(
        unit=documents["unit"].fillna(UNKNOWN_UNIT),
        year=documents["year"].map(lambda y: str(int(y)) if is_number(y) else "年度未知"),
        kind=documents["doc_kind"].map(KIND_LABELS).fillna(documents["doc_kind"]),
    )
    table = docs.pivot_table(
        index="unit", columns="year", values="kind", aggfunc=lambda k: "、".join(sorted(set(k)))
    )
    table = table[sorted(table.columns)].fillna("")
    table.index.name = "单位"
    table.columns.name = None
    return table


# --- by unit and by project ---------------------------------------------------------------


# Above this many rows unit_labels works on the distinct (unit, year) pairs.
LABEL_BY_PAIRS_FROM = 50_000


def year_texts(years: pd.Series) -> pd.Series:
    """2023 -> '2023', missing -> '年度未知' (mapped once per distinct year, not per row)."""
    texts = {y: str(int(y)) for y in years.dropna().unique()}
    return years.map(texts).fillna("年度未知").astype(object)


def unit_labels(frame: pd.DataFrame) -> pd.Series:
    """'单位' where a unit appears in one year only, else '单位 年度'."""
    if len(frame) > LABEL_BY_PAIRS_FROM:
        # label each distinct (unit, year) once and point every row at it: no million strings
        key = frame.groupby(["unit", "year"], dropna=False, sort=False).ngroup().to_numpy()
        firsts = frame.loc[~pd.Series(key).duplicated().to_numpy(), ["unit", "year"]]
        labels = np.empty(len(firsts), dtype=object)
        labels[key[~pd.Series(key).duplicated().to_numpy()]] = unit_labels(firsts).to_numpy()
        return pd.Series(labels[key], index=frame.index, dtype=object)
    years = frame.groupby("unit")["year"].transform("nunique")
    if not (years > 1).any():
        return frame["unit"]
    return frame["unit"].where(years <= 1, frame["unit"] + " " + year_texts(frame["year"]))


def by_unit(
    lines: pd.DataFrame, threshold: float = GREEN_FROM_PCT, findings: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per unit and year: executed budget, actual and rate, declared budget, line counts.

    With findings, a notes column names the problems found about the unit's whole documents.
    """
    columns = [
        "unit",
        "year",
        "label",
        "budget_wan",
        "actual_wan",
        "execution_rate_pct",
        "declared_budget_wan",
        "n_lines",
        "n_low",
        "notes",
    ]
    if lines.empty:
        return pd.DataFrame(columns=columns)
    frame = lines.assign(
        exec_budget=lines["budget_wan"].where(lines["executed"]),
        exec_actual=lines["actual_wan"].where(lines["executed"]),
        declared=lines["budget_wan"].where(lines["declared_only"]),
        low=lines["rate_pct"] < threshold,
        year=lines["year"].fillna(-1),
    )
    out = (
        frame.groupby(["unit", "year"], dropna=False)
        .agg(
            budget_wan=("exec_budget", "sum"),
            actual_wan=("exec_actual", "sum"),
            declared_budget_wan=("declared", "sum"),
            n_lines=("project", "size"),
            n_low=("low", "sum"),
            n_executed=("executed", "sum"),
        )
        .reset_index()
    )
    if findings is not None:
        out = out.merge(unit_notes(findings), on=["unit", "year"], how="left")
    else:
        out["notes"] = None
    out["year"] = out["year"].where(out["year"] >= 0)
    out["execution_rate_pct"] = [
        rate_pct(a, b) for a, b in zip(out["actual_wan"], out["budget_wan"], strict=True)
    ]
    out.loc[out["n_executed"] == 0, ["budget_wan", "actual_wan"]] = math.nan
    out["declared_budget_wan"] = out["declared_budget_wan"].where(out["declared_budget_wan"] > 0)
    out["label"] = unit_labels(out)
    out["n_low"] = out["n_low"].astype(int)
    return out.sort_values(["budget_wan", "declared_budget_wan"], ascending=False)[
        columns
    ].reset_index(drop=True)


def unit_projects(lines: pd.DataFrame, label: str) -> pd.DataFrame:
    """The budget lines of one unit (label from by_unit), largest budget first."""
    frame = lines.assign(label=unit_labels(lines)) if len(lines) else lines.assign(label=[])
    rows = frame[frame["label"] == label]
    return rows.sort_values("budget_wan", ascending=False, na_position="last").reset_index(
        drop=True
    )


def deviation_reasons(indicators: pd.DataFrame) -> pd.Series:
    """Per (doc_id, project): the distinct deviation reasons of its indicators, joined."""
    rows = indicators[indicators["deviation_reason"].notna() & indicators["project"].notna()]
    rows = rows[rows["deviation_reason"].str.strip() != ""]
    return rows.groupby(["doc_id", "project"])["deviation_reason"].agg(
        lambda r: "；".join(dict.fromkeys(r))
    )


def low_execution(
    lines: pd.DataFrame, threshold: float = GREEN_FROM_PCT, indicators: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Budget lines executing below threshold percent, largest unspent amount first.

    The explanation is the document's own: its 问题 column, else the 偏差原因 of the line's
    indicators.
    """
    low = lines[lines["rate_pct"] < threshold].copy()
    low["unspent_wan"] = low["budget_wan"] - low["actual_wan"]
    low["explanation"] = low["problems"]
    if indicators is not None and len(low):
        reasons = deviation_reasons(indicators)
        keys = pd.MultiIndex.from_arrays([low["doc_id"], low["project"]])
        low["explanation"] = low["explanation"].fillna(
            pd.Series(reasons.reindex(keys).to_numpy(), index=low.index)
        )
    low = low.sort_values(["unspent_wan", "rate_pct"], ascending=[False, True], na_position="last")
    return low.reset_index(drop=True)


def over_execution(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of any level whose execution rate is above 100 %, highest first."""
    if rows.empty:
        return rows
    rate = rows["execution_rate_pct"].fillna(rows["reported_rate_pct"])
    over = rows[rate > OVER_PCT].assign(rate_pct=rate[rate > OVER_PCT])
    over = over.assign(level_label=over["level"].map(LEVEL_LABELS).fillna(over["level"]))
    return over.sort_values("rate_pct", ascending=False).reset_index(drop=True)


def unspent_by_unit(low: pd.DataFrame) -> pd.DataFrame:
    """Unspent amount and number of low-execution lines per unit, largest first."""
    if low.empty:
        return pd.DataFrame(columns=["label", "unspent_wan", "n_low"])
    frame = low.assign(label=unit_labels(low))
    out = (
        frame.groupby("label")
        .agg(unspent_wan=("unspent_wan", "sum"), n_low=("project", "size"))
        .reset_index()
    )
    return out.sort_values("unspent_wan", ascending=False).reset_index(drop=True)


def top_with_rest(
    frame: pd.DataFrame, n: int, label: str, sums: list[str], what: str = "个单位"
) -> pd.DataFrame:
    """The first n rows (frames come sorted), and the others added up into one 其余 row.

    Execution rates of the 其余 row are recomputed from its sums, never averaged.
    """
    if len(frame) <= n:
        return frame
    head, rest = frame.iloc[:n], frame.iloc[n:]
    row = {label: f"其余 {len(rest)} {what}"}
    row.update({column: rest[column].sum(min_count=1) for column in sums})
    for rate in ("execution_rate_pct", "rate_pct"):
        if rate in frame.columns and {"budget_wan", "actual_wan"} <= set(sums):
            row[rate] = rate_pct(row["actual_wan"], row["budget_wan"])
    return pd.concat([head, pd.DataFrame([row])], ignore_index=True)


# --- indicators ---------------------------------------------------------------------------


def status_by(indicators: pd.DataFrame, by: str) -> pd.DataFrame:
    """Indicator counts per status (columns in STATUS_ORDER) for each value of `by`."""
    if indicators.empty:
        return pd.DataFrame(columns=[by, *STATUS_ORDER, "total"])
    # group codes, not pd.crosstab: a million rows crosstabbed take hundreds of MB
    keys = indicators[by].fillna("（未分类）")
    table = indicators["status"].groupby([keys, indicators["status"]]).size().unstack(fill_value=0)
    for status in STATUS_ORDER:
        if status not in table.columns:
            table[status] = 0
    table = table[list(STATUS_ORDER)]
    table["total"] = table.sum(axis=1)
    table.index.name = by
    table.columns.name = None
    return table.sort_values("total", ascending=False).reset_index()


def points_lost(indicators: pd.DataFrame) -> pd.Series:
    """weight − score per indicator where both are printed (never negative), else NaN."""
    return (indicators["weight"] - indicators["score"]).clip(lower=0)


def points_lost_by(indicators: pd.DataFrame, by: str) -> pd.DataFrame:
    """Points lost per value of `by`, with the number of indicators scored, largest loss first."""
    scored = indicators["weight"].notna() & indicators["score"].notna()
    if not scored.any():
        return pd.DataFrame(columns=[by, "points_lost", "n_scored"])
    lost = (indicators["weight"][scored] - indicators["score"][scored]).clip(lower=0)
    keys = indicators[by][scored].fillna("（未分类）")
    out = lost.groupby(keys).agg(["sum", "size"])
    out = out.rename(columns={"sum": "points_lost", "size": "n_scored"}).rename_axis(by)
    out = out.reset_index()
    return out.sort_values("points_lost", ascending=False).reset_index(drop=True)


def not_met(indicators: pd.DataFrame) -> pd.DataFrame:
    """Indicators not met, with target, actual, points lost and the document's reason."""
    rows = indicators[indicators["status"] == "not_met"]
    rows = rows.assign(points_lost=points_lost(rows), indicator_score=rows["score"])
    return rows.sort_values(
        ["points_lost", "unit"], ascending=[False, True], na_position="last"
    ).reset_index(drop=True)


def declared_targets(indicators: pd.DataFrame) -> pd.DataFrame:
    """Targets of documents that only declare them (status target_only): targets, not failures."""
    rows = indicators[indicators["status"] == "target_only"]
    return rows.sort_values(["unit", "source_line"]).reset_index(drop=True)


def with_status_labels(indicators: pd.DataFrame) -> pd.DataFrame:
    return indicators.assign(
        status_label=indicators["status"].map(STATUS_LABELS).fillna(indicators["status"])
    )


# --- presentation -------------------------------------------------------------------------


def present(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The chosen columns under their Chinese headers (COLUMN_LABELS), for display and export."""
    out = frame.reindex(columns=columns)
    if "year" in out.columns:
        out["year"] = out["year"].astype("Int64")
    return out.rename(columns=COLUMN_LABELS).reset_index(drop=True)
