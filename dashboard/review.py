"""The 校对 page's view-model: which documents to check first, the rows read as editable frames,
the reviewer's edits turned into corrections, and a document's history.

Pure functions over the tables (and loaders.corrections for keys and labels); the page renders
them and hands the corrections to loaders.review, which stores them and rebuilds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
import streamlit as st

from loaders import corrections as c

from .constants import KIND_LABELS
from .trace import document_label

# The review page's url path (views/review.py) and its query parameter.
REVIEW_PAGE = "review"
# Header of a table's link column to the 校对 page (ui.column_config draws it as a link).
LINK_HEADER = "校对"
# Findings that say a value may be wrong: their documents are checked first, in this order.
CHECK_FIRST = (
    "CORRECTION_ORPHANED",
    "OCR_LOW_CONFIDENCE",
    "VALUE_INFERRED",
    "LOW_CONFIDENCE",
    "PARTIAL_ROW",
    "OVERFLOW_CELL",
)
# Columns of the editors: the fields a reviewer may correct, with the line the row was read from.
EDIT_COLUMNS = {
    "projects": [
        "project",
        "budget_wan",
        "actual_wan",
        "reported_rate_pct",
        "initial_budget_wan",
        "score",
        "grade",
        "level",
    ],
    "indicators": [
        "name",
        "target_text",
        "actual_text",
        "weight",
        "score",
        "status",
        "project",
        "level1",
        "level2",
    ],
}
CONTEXT_LABELS = {
    "level": "层级",
    "project": "项目",
    "level1": "一级指标",
    "level2": "二级指标",
    "source_line": "行号",
    "mark": "校对",
}
HISTORY_LABELS = {
    "at": "时间",
    "who": "校对人",
    "text": "内容",
    "reason": "理由",
    "state": "状态",
    "id": "编号",
}


def review_link(doc_id) -> str | None:
    """'review?doc=…' for a LinkColumn, None without a doc."""
    from urllib.parse import urlencode

    if not isinstance(doc_id, str) or not doc_id:
        return None
    return f"{REVIEW_PAGE}?{urlencode({'doc': doc_id})}"


def column_label(table: str, name: str) -> str:
    if name in c.FIELDS.get(table, {}):
        return c.field_label(table, name)
    return CONTEXT_LABELS.get(name, name)


def queue(documents: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
    """Documents in the order to check them: those with findings that say a value may be wrong
    first (CHECK_FIRST), then by their number of errors and warnings; confirmed ones last.

    Columns: doc_id, label (document_label with a mark), reason (why it is early), confirmed.
    """
    columns = ["doc_id", "label", "reason", "confirmed"]
    if documents.empty:
        return pd.DataFrame(columns=columns)
    rank = {code: i for i, code in enumerate(CHECK_FIRST)}
    first: dict[str, int] = {}
    codes: dict[str, list[str]] = {}
    problems: dict[str, int] = {}
    for doc_id, code, severity in zip(
        findings["doc_id"], findings["code"], findings["severity"], strict=True
    ):
        if code in rank:
            first[doc_id] = min(first.get(doc_id, len(rank)), rank[code])
            codes.setdefault(doc_id, [])
            if code not in codes[doc_id]:
                codes[doc_id].append(code)
        if severity in ("error", "warning"):
            problems[doc_id] = problems.get(doc_id, 0) + 1
    from loaders.findings import CODE_LABELS

    rows = []
    for doc in documents.to_dict("records"):
        doc_id = doc["doc_id"]
        confirmed = doc.get("review_status") == "confirmed"
        why = "、".join(CODE_LABELS.get(k, k) for k in codes.get(doc_id, []))
        if not why and problems.get(doc_id):
            why = f"{problems[doc_id]} 条数据提示"
        mark = "✅ 已校对 · " if confirmed else ("⚠️ " if why else "")
        rows.append(
            {
                "doc_id": doc_id,
                "label": mark + document_label(doc) + (f"（{why}）" if why else ""),
                "reason": why,
                "confirmed": confirmed,
                "_rank": (
                    confirmed,
                    first.get(doc_id, len(rank)),
                    -problems.get(doc_id, 0),
                    str(doc.get("source_file") or ""),
                ),
            }
        )
    rows.sort(key=lambda r: r.pop("_rank"))
    return pd.DataFrame(rows, columns=columns)


def _plain(value):
    """A cell as a plain Python value: NaN and NA as None, numpy numbers as float/int."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    if hasattr(value, "item"):
        return value.item()
    return value


def editor_frame(table: str, rows: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """One document's rows of table as the editor shows them (Chinese headers, the row read
    from first), and each row's key (loaders.corrections.row_key), in the same order."""
    columns = ["source_line", "mark", *EDIT_COLUMNS[table]]
    records = [{k: _plain(v) for k, v in r.items()} for r in rows.to_dict("records")]
    keys = [c.row_key(table, r, records) for r in records]
    frame = pd.DataFrame(
        {
            "source_line": [r.get("source_line") for r in records],
            "mark": [_mark_text(table, r) for r in records],
            **{name: [r.get(name) for r in records] for name in EDIT_COLUMNS[table]},
        },
        columns=columns,
    )
    if "source_line" in frame:
        frame["source_line"] = pd.array(frame["source_line"], dtype="Int64")
    return frame, keys


def _mark_text(table: str, row: Mapping) -> str:
    """'✎ 预算数（万元）：原文印错' for a corrected row, '' otherwise."""
    fields = fields_of(row)
    if not fields:
        return ""
    if fields == ["added"]:
        what = "补录"
    else:
        what = "、".join(c.field_label(table, f) for f in fields if f != "added")
    reason = _plain(row.get("correction_reason"))
    return f"✎ {what}" + (f"：{reason}" if reason else "")


def fields_of(row: Mapping) -> list[str]:
    """The fields a row's corrections changed ("added" for an added row), [] for none."""
    value = _plain(row.get("corrected_fields"))
    return [f for f in value.split(",") if f] if isinstance(value, str) else []


def _same(a, b) -> bool:
    a, b = _plain(a), _plain(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-9)
    return str(a) == str(b)


def changes(
    table: str,
    before: pd.DataFrame,
    after: pd.DataFrame,
    keys: list[dict],
) -> list[dict]:
    """The corrections an editor's result stands for: a set per changed cell of an editable
    field, an add per new row, a delete per row gone; ordered so that every key stays valid
    (loaders.review.ordered)."""
    from loaders.review import ordered

    out: list[dict] = []
    editable = list(c.FIELDS[table])
    kept = set(after.index) & set(before.index)
    for index in sorted(set(before.index) - set(after.index)):
        out.append({"op": "delete", "table": table, "key": keys[before.index.get_loc(index)]})
    for index in sorted(kept, key=lambda i: before.index.get_loc(i)):
        for name in editable:
            old, new = before.at[index, name], after.at[index, name]
            if not _same(old, new):
                value = _plain(new)
                if isinstance(value, str) and not value.strip():
                    value = None
                out.append(
                    {
                        "op": "set",
                        "table": table,
                        "key": keys[before.index.get_loc(index)],
                        "field": name,
                        "value": value,
                        "expected": _plain(old),  # refused if another session changed it
                    }
                )
    for index in [i for i in after.index if i not in set(before.index)]:
        row = {}
        for name in EDIT_COLUMNS[table]:
            value = _plain(after.at[index, name]) if name in after.columns else None
            if value is not None and not (isinstance(value, str) and not value.strip()):
                row[name] = value
        line = _plain(after.at[index, "source_line"]) if "source_line" in after.columns else None
        if line is not None:
            row["source_line"] = line
        if row:
            out.append({"op": "add", "table": table, "row": row})
    return ordered(out)


def shown_value(frame: pd.DataFrame, position: int, field: str):
    """The value an editor frame showed in a row (by position) and field, as a plain value."""
    return _plain(frame[field].iloc[position]) if field in frame.columns else None


def history_frame(events: list[dict]) -> pd.DataFrame:
    """loaders.review.history() as a table under Chinese headers, newest first."""
    columns = list(HISTORY_LABELS)
    if not events:
        return pd.DataFrame(columns=list(HISTORY_LABELS.values()))
    frame = pd.DataFrame(events).reindex(columns=columns)
    frame["at"] = frame["at"].fillna("").str.slice(0, 19).str.replace("T", " ")
    return frame.rename(columns=HISTORY_LABELS)


def metadata_rows(document: Mapping) -> pd.DataFrame:
    """The document's fields a reviewer may correct: value now, value read, where it came from."""
    rows = []
    for name, (_kind, label) in c.FIELDS["documents"].items():
        now = _plain(document.get(name))
        read = _plain(document.get(f"read_{name}"))
        corrected = name in fields_of(document)
        shown = KIND_LABELS.get(now, now) if name == "doc_kind" else now
        rows.append(
            {
                "字段": label,
                "当前值": "" if shown is None else str(shown),
                "读出的值": ("" if read is None else str(read)) if corrected else "（未修改）",
            }
        )
    return pd.DataFrame(rows)


def corrections_note(documents: pd.DataFrame, projects: pd.DataFrame) -> str:
    """One line for an export's footer: how many values of the shown rows were corrected."""
    if projects.empty or "corrected_fields" not in projects.columns:
        return ""
    marked = projects["corrected_fields"].notna()
    if not marked.any():
        return ""
    n_docs = projects.loc[marked, "doc_id"].nunique()
    return f"其中 {int(marked.sum())} 行经人工校对（{n_docs} 份文档），校对记录见 data/raw/corrections/"


@st.cache_data(show_spinner="正在读取原文…", max_entries=8)
def read_source(path: str, mtime_ns: int, size: int):
    """The document's lines as the loaders numbered them, its bytes and sha256, and for a PDF or
    image where each line sat on its page (as the 原文 page reads it)."""
    import hashlib
    from pathlib import Path

    from loaders.document import Doc
    from loaders.readers import convert

    raw = Path(path).read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    converted = convert(Path(path).name, raw)
    doc = Doc.from_bytes(Path(path).name, converted.data, sha)
    return tuple(doc.lines), sha, raw, converted.geometry


def row_choices(frame: pd.DataFrame, table: str) -> list[tuple[int, int | None, str]]:
    """(position, line, label) of each row of an editor frame, for 定位原文."""
    name = "project" if table == "projects" else "name"
    out = []
    for position, (line, text) in enumerate(zip(frame["source_line"], frame[name], strict=True)):
        line = None if pd.isna(line) else int(line)
        where = f"第 {line} 行" if line else "补录"
        out.append((position, line, f"{where} · {text or '（无名称）'}"))
    return out
