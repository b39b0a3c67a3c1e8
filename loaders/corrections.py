"""Corrections: what a reviewer confirmed or changed in what the loaders read (校对).

Stored beside the documents, one JSON-lines file per document in data/raw/corrections/, named
after the document's file (`<source_file>.jsonl`). Each line is one event: a value set, a row
added or deleted, the document confirmed as checked, or an undo of an earlier event. Nothing is
ever removed from a file: an undo is a new line that names the event it reverts, so the history
stays whole. Why JSON lines and not TOML: a value may be null (a cell the loaders left empty),
which TOML cannot say; one event per line reads well in `git diff` and in a terminal.

The folder is not a document: the build lists regular files of data/raw only.

Rows are targeted by what they are, not by where they sit, so that a correction survives a new
version of its document when the row is still there: a budget line by its level and name, an
indicator by its project, 二级指标 and name, each with its occurrence among rows of the same key
(0 for the first). A correction whose row is gone is kept and reported (CORRECTION_ORPHANED),
never applied to another row.

apply() is pure: the build calls it after parsing on each document's rows.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .numbers import parse_amount, rate_pct
from .targets import status as indicator_status

FOLDER_NAME = "corrections"
SUFFIX = ".jsonl"
OPS = ("set", "add", "delete", "confirm", "undo")
# Years a correction may set (as sources.toml: loaders.build.MANIFEST_YEARS).
YEARS = range(1990, 2100)
MAX_TEXT_CHARS = 200
MAX_REASON_CHARS = 500
MAX_NAME_CHARS = 40
# Highest score or weight a form prints (a 100-point scale).
MAX_POINTS = 100.0
# A rate above this is no execution rate but a typo (10 times the budget spent).
MAX_RATE_PCT = 1000.0

# table -> field -> (kind, Chinese label). Kinds: money (万元, >= 0), rate (%), points (0–100),
# year, text, status, kind. Only these fields may be corrected; each gets a read_<field> column.
FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "projects": {
        "budget_wan": ("money", "预算数（万元）"),
        "actual_wan": ("money", "执行数（万元）"),
        "initial_budget_wan": ("money", "年初预算数（万元）"),
        "reported_rate_pct": ("rate", "印发执行率（%）"),
        "score": ("points", "自评得分"),
        "grade": ("text", "评分等级"),
        "project": ("text", "项目名称"),
    },
    "indicators": {
        "actual_text": ("text", "实际完成值"),
        "target_text": ("text", "目标值"),
        "weight": ("points", "分值"),
        "score": ("points", "得分"),
        "status": ("status", "完成情况"),
        "name": ("text", "三级指标"),
    },
    "documents": {
        "unit": ("text", "单位"),
        "year": ("year", "年度"),
        "region": ("text", "地区"),
        "doc_kind": ("kind", "文档类型"),
    },
}
TABLE_LABELS = {"projects": "预算行", "indicators": "绩效指标", "documents": "文档信息"}
# Fields a new row must have.
REQUIRED = {"projects": ("project",), "indicators": ("name",)}
LEVELS = ("project", "task", "department", "expenditure_type")
STATUSES = ("met", "not_met", "unknown", "target_only")
STATUS_LABELS = {"met": "达成", "not_met": "未达成", "unknown": "无法判断", "target_only": "仅目标"}


class CorrectionRefused(ValueError):
    """A correction that cannot be stored; str(exc) is a Chinese sentence for the reviewer."""


# --- where they live ----------------------------------------------------------------------------


def folder(raw: Path) -> Path:
    return Path(raw) / FOLDER_NAME


def path_for(raw: Path, source_file: str) -> Path:
    return folder(raw) / f"{source_file}{SUFFIX}"


def read_events(path: Path) -> list[dict]:
    """The events of one file, in order; a line that is not a JSON object is skipped (a file
    edited by hand), so that one bad line never hides the others."""
    try:
        text = Path(path).read_text("utf-8")
    except FileNotFoundError:
        return []
    events = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("op") in OPS:
            events.append(event)
    return events


def load(raw: Path, source_file: str) -> list[dict]:
    return read_events(path_for(raw, source_file))


def load_all(raw: Path) -> dict[str, list[dict]]:
    """source_file -> its events, for every corrections file in raw (empty without a folder)."""
    out: dict[str, list[dict]] = {}
    try:
        entries = sorted(os.scandir(folder(raw)), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return out
    for entry in entries:
        if entry.name.endswith(SUFFIX) and not entry.name.startswith(".") and entry.is_file():
            events = read_events(Path(entry.path))
            if events:
                out[entry.name[: -len(SUFFIX)]] = events
    return out


def digest(raw: Path) -> str:
    """A digest of every corrections file's name and bytes: a correction makes a build stale."""
    h = hashlib.sha256()
    try:
        entries = sorted(os.scandir(folder(raw)), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return h.hexdigest()
    for entry in entries:
        if entry.name.endswith(SUFFIX) and not entry.name.startswith("."):
            try:
                data = Path(entry.path).read_bytes()
            except OSError:
                continue
            h.update(entry.name.encode() + b"\0" + data + b"\n")
    return h.hexdigest()


def serialise(events: Iterable[dict]) -> bytes:
    return "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in events).encode(
        "utf-8"
    )


def carry_over(raw: Path, old: str, new: str) -> bytes | None:
    """The corrections file of document file `new` with those of `old` (its older version)
    carried over, or None when old has none.

    Every event is kept, marked with where it came from; the build applies those whose row the
    new version still has and reports the others as CORRECTION_ORPHANED, for review.
    """
    events = load(raw, old)
    if not events:
        return None
    carried = [{**e, "carried_from": e.get("carried_from") or old} for e in events]
    return serialise([*load(raw, new), *carried])


# --- the events that count ----------------------------------------------------------------------


def undone_ids(events: list[dict]) -> set[str]:
    """Ids of events reverted by an undo that is itself in force (an undo may be undone)."""
    undone: set[str] = set()
    for event in reversed(events):  # a later undo decides about an earlier one
        if event.get("op") == "undo" and event.get("id") not in undone and event.get("undoes"):
            undone.add(event["undoes"])
    return undone


def active(events: list[dict]) -> list[dict]:
    """The events in force: not undone, undos left out."""
    undone = undone_ids(events)
    return [e for e in events if e.get("op") != "undo" and e.get("id") not in undone]


def last_undoable(events: list[dict]) -> dict | None:
    """The newest event in force: what 撤销 reverts."""
    live = active(events)
    return live[-1] if live else None


def confirmation(events: list[dict]) -> dict | None:
    """The newest confirm in force, or None when the document is not confirmed as checked."""
    return next((e for e in reversed(active(events)) if e.get("op") == "confirm"), None)


# --- row keys -----------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def identity(table: str, row: dict) -> tuple:
    """What a row is, whatever line it sits on: the base of its key."""
    if table == "projects":
        return (_text(row.get("level")), _text(row.get("project")))
    return (_text(row.get("project")), _text(row.get("level2")), _text(row.get("name")))


def row_key(table: str, row: dict, rows: list[dict]) -> dict:
    """The stable key of row among its document's rows (rows in table order, row among them)."""
    base = identity(table, row)
    n = 0
    for other in rows:
        if other is row:
            break
        if identity(table, other) == base:
            n += 1
    names = ("level", "project") if table == "projects" else ("project", "level2", "name")
    key = dict(zip(names, base, strict=True))
    key["n"] = n
    line = row.get("source_line")
    if line is not None and not (isinstance(line, float) and math.isnan(line)):
        key["line"] = int(line)  # where it was read: shown, never used to match
    return key


def find_row(table: str, key: dict, rows: list[dict]) -> int | None:
    """Index in rows of the row key names, or None when the document no longer has it."""
    if not isinstance(key, dict):
        return None
    if "added" in key:
        hit = [i for i, r in enumerate(rows) if r.get("_added") == key["added"]]
        return hit[0] if hit else None
    names = ("level", "project") if table == "projects" else ("project", "level2", "name")
    base = tuple(_text(key.get(n)) for n in names)
    matches = [i for i, r in enumerate(rows) if identity(table, r) == base]
    n = key.get("n", 0)
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n < len(matches):
        return None
    return matches[n]


def describe_key(table: str, key: dict) -> str:
    """A key in words, for messages and the history."""
    if not isinstance(key, dict):
        return "（无）"
    if table == "documents":
        return "文档"
    if "added" in key:
        return f"补录的行 {key['added']}"
    line = f"（读自第 {key['line']} 行）" if key.get("line") else ""
    nth = f"第 {key['n'] + 1} 处" if isinstance(key.get("n"), int) and key["n"] else ""
    if table == "projects":
        return f"预算行「{key.get('project') or '（无名称）'}」{nth}{line}"
    where = f"「{key['project']}」的" if key.get("project") else ""
    return f"{where}指标「{key.get('name') or '（无名称）'}」{nth}{line}"


# --- values -------------------------------------------------------------------------------------


def field_label(table: str, name: str) -> str:
    return FIELDS.get(table, {}).get(name, ("", name))[1]


def _clean_text(value, label: str, limit: int = MAX_TEXT_CHARS) -> str:
    text = "" if value is None else str(value).strip()
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") for c in text):
        raise CorrectionRefused(f"{label}含有换行、制表符等控制字符：请写在一行内。")
    if len(text) > limit:
        raise CorrectionRefused(f"{label}过长（{len(text)} 字）：请不超过 {limit} 字。")
    return text


def _number(value, label: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise CorrectionRefused(f"{label}必须是数字，不能是“{value}”。")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().removesuffix("%").strip()
        number = parse_amount(text)
        if number is None:
            raise CorrectionRefused(
                f"{label}必须是数字（如 1234.56），“{str(value)[:40]}”不是数字：请只填写数值。"
            )
    if math.isnan(number) or math.isinf(number):
        raise CorrectionRefused(f"{label}必须是有限的数字。")
    return number


def clean_value(table: str, name: str, value):
    """The value as stored, or CorrectionRefused saying in Chinese what is wrong with it.

    Amounts are numbers in 万元 and never negative; rates between 0 and 1000 %; scores and
    weights between 0 and 100; years 1990–2099; texts on one line. None clears a value (a
    number the loaders read that the document does not print).
    """
    if table not in FIELDS:
        raise CorrectionRefused(
            f"不能校对表 {table}：只能校对 {'、'.join(TABLE_LABELS.values())}。"
        )
    if name not in FIELDS[table]:
        allowed = "、".join(label for _, label in FIELDS[table].values())
        raise CorrectionRefused(f"{TABLE_LABELS[table]}的字段 {name} 不能校对：可校对 {allowed}。")
    kind, label = FIELDS[table][name]
    if kind in ("money", "rate", "points"):
        number = _number(value, label)
        if number is None:
            return None
        if number < 0:
            raise CorrectionRefused(f"{label}不能为负数（{number:g}）：请填写 0 或正数。")
        if kind == "rate" and number > MAX_RATE_PCT:
            raise CorrectionRefused(
                f"{label} {number:g}% 超过 {MAX_RATE_PCT:g}%：请按百分数填写（如 97.5）。"
            )
        if kind == "points" and number > MAX_POINTS:
            raise CorrectionRefused(f"{label} {number:g} 超过 {MAX_POINTS:g} 分：请核对。")
        return round(number, 6)
    if kind == "year":
        text = _text(value).strip().removesuffix("年").strip()
        if not text:
            return None
        try:
            year = int(float(text)) if float(text) == int(float(text)) else None
        except (TypeError, ValueError, OverflowError):
            year = None
        if year is None or year not in YEARS:
            raise CorrectionRefused(
                f"年度“{_text(value)[:20]}”无效：请填写 {YEARS[0]}–{YEARS[-1]} 之间的四位年份，如 2023。"
            )
        return year
    if kind == "status":
        text = _text(value).strip()
        by_label = {v: k for k, v in STATUS_LABELS.items()}
        text = by_label.get(text, text)
        if text not in STATUSES:
            raise CorrectionRefused(f"完成情况应为 {'、'.join(STATUS_LABELS.values())} 之一。")
        return text
    if kind == "kind":
        from .kinds import registry

        text = _text(value).strip()
        if text not in registry():
            raise CorrectionRefused(f"未知的文档类型“{text[:40]}”：可选 {'、'.join(registry())}。")
        return text
    text = _clean_text(value, label)
    if not text and name in ("project", "name", "unit", "region"):
        raise CorrectionRefused(f"{label}不能为空。")
    return text or None


def clean_row(table: str, row: dict) -> dict:
    """A row to add: its fields checked one by one, the required ones present."""
    if table not in REQUIRED:
        raise CorrectionRefused("只能在预算行或绩效指标中补录行。")
    out: dict = {}
    for name, value in row.items():
        if name in ("level", "level1", "level2", "project") and not (
            table == "projects" and name == "project"
        ):
            text = _clean_text(value, name) or None
            if name == "level" and text not in LEVELS:
                raise CorrectionRefused(f"预算行的层级应为 {'、'.join(LEVELS)} 之一。")
            out[name] = text
        elif name == "source_line":
            line = _number(value, "行号")
            out[name] = int(line) if line is not None and line >= 1 else None
        else:
            out[name] = clean_value(table, name, value)
    for name in REQUIRED[table]:
        if not out.get(name):
            raise CorrectionRefused(
                f"补录的{TABLE_LABELS[table]}必须填写{field_label(table, name)}。"
            )
    if table == "projects":
        out.setdefault("level", "project")
    return out


def clean_who(who) -> str:
    text = _clean_text(who, "校对人", MAX_NAME_CHARS)
    if not text:
        raise CorrectionRefused("请填写校对人姓名（每次会话填写一次）。")
    return text


def clean_reason(reason) -> str | None:
    return _clean_text(reason, "理由", MAX_REASON_CHARS) or None


def fmt(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "空"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def describe(event: dict) -> str:
    """One event in words: 预算数（万元）由 1,200.00 改为 1,000.00."""
    table, op = event.get("table", ""), event.get("op")
    if op == "set":
        return (
            f"{describe_key(table, event.get('key'))} {field_label(table, event.get('field', ''))} "
            f"由 {fmt(event.get('read'))} 改为 {fmt(event.get('value'))}"
        )
    if op == "add":
        row = event.get("row") or {}
        name = row.get("project") if table == "projects" else row.get("name")
        return f"补录{TABLE_LABELS.get(table, '')}「{name}」"
    if op == "delete":
        return f"删除{describe_key(table, event.get('key'))}"
    if op == "confirm":
        return "确认文档已校对"
    if op == "undo":
        return f"撤销 {event.get('undoes')}"
    return str(op)


def signature(event: dict) -> str:
    who, at = event.get("who") or "未署名", (event.get("at") or "")[:16].replace("T", " ")
    reason = f"；理由：{event['reason']}" if event.get("reason") else ""
    return f"{who} {at}{reason}"


# --- applying -----------------------------------------------------------------------------------


@dataclass
class Applied:
    """One document's rows after its corrections, and what happened to each correction."""

    document: dict
    projects: list[dict]
    indicators: list[dict]
    findings: list[dict] = field(default_factory=list)
    orphaned: list[dict] = field(default_factory=list)


def _finding(code: str, message: str, doc_id: str, row: dict | None = None) -> dict:
    from .findings import Finding

    row = row or {}
    line = row.get("source_line")
    return Finding(
        code,
        message,
        project=row.get("project") if isinstance(row.get("project"), str) else None,
        source_line=int(line) if isinstance(line, int | float) and not math.isnan(line) else None,
        doc_id=doc_id,
    ).as_row()


def _mark(row: dict, name: str, reason: str | None) -> None:
    fields = [f for f in (row.get("corrected_fields") or "").split(",") if f]
    if name not in fields:
        fields.append(name)
    row["corrected_fields"] = ",".join(fields)
    if reason:
        reasons = [r for r in (row.get("correction_reason") or "").split("；") if r]
        if reason not in reasons:
            reasons.append(reason)
        row["correction_reason"] = "；".join(reasons)


def _set(row: dict, name: str, value, reason: str | None) -> None:
    if name not in (row.get("corrected_fields") or "").split(","):
        row[f"read_{name}"] = row.get(name)  # what the loaders read, kept beside the correction
    row[name] = value
    _mark(row, name, reason)


def _recompute(table: str, row: dict) -> None:
    """What we compute from corrected values: the execution rate, an indicator's status."""
    fields = set((row.get("corrected_fields") or "").split(","))
    if table == "projects" and fields & {"budget_wan", "actual_wan", "added"}:
        row["execution_rate_pct"] = rate_pct(row.get("actual_wan"), row.get("budget_wan"))
    if table == "indicators" and "status" not in fields and fields & {"weight", "score", "added"}:
        if row.get("status") != "target_only":
            row["status"] = indicator_status(
                row.get("target_text"), row.get("actual_text"), row.get("weight"), row.get("score")
            )


def _before(event: dict, document: dict, rows: dict[str, list[dict]]):
    """The value a set event replaces, in the rows as the events before it left them."""
    table = event.get("table")
    if table == "documents":
        return document.get(event.get("field"))
    index = find_row(table, event.get("key"), rows.get(table, []))
    return None if index is None else rows[table][index].get(event.get("field"))


def apply(
    document: dict, projects: list[dict], indicators: list[dict], events: list[dict]
) -> Applied:
    """The document's rows with its corrections in force applied, in the order they were made.

    The value read stays in read_<field>; every correction applied gives a CORRECTED finding,
    every one whose row is gone (or whose value is no longer valid) a CORRECTION_ORPHANED one.
    The inputs are not modified.
    """
    doc_id = document.get("doc_id") or ""
    document = dict(document)
    rows = {"projects": [dict(r) for r in projects], "indicators": [dict(r) for r in indicators]}
    out = Applied(document, rows["projects"], rows["indicators"])
    live = active(events)
    count = 0
    for event in live:
        op, table = event.get("op"), event.get("table")
        said = f"校对：{describe(event)}（{signature(event)}）"
        if op == "confirm":
            document["review_status"] = "confirmed"
            document["reviewed_by"] = event.get("who")
            document["reviewed_at"] = event.get("at")
            out.findings.append(
                _finding("REVIEW_CONFIRMED", f"校对：文档已确认（{signature(event)}）", doc_id)
            )
            continue
        try:
            if op == "set":  # the message names the value as it was here, not as remembered
                said = f"校对：{describe({**event, 'read': _before(event, document, rows)})}（{signature(event)}）"
            if op == "set" and table == "documents":
                value = clean_value(table, event.get("field"), event.get("value"))
                _set(document, event["field"], value, event.get("reason"))
                out.findings.append(_finding("CORRECTED", said, doc_id))
                count += 1
                continue
            if table not in rows:
                raise CorrectionRefused(f"未知的表 {table}")
            if op == "add":
                row = clean_row(table, event.get("row") or {})
                row.update(doc_id=doc_id, _added=event.get("id"), corrected_fields="added")
                if event.get("reason"):
                    row["correction_reason"] = event["reason"]
                rows[table].append(row)
                _recompute(table, row)
                out.findings.append(_finding("CORRECTED", said, doc_id, row))
                count += 1
                continue
            index = find_row(table, event.get("key"), rows[table])
            if index is None:
                raise LookupError
            row = rows[table][index]
            if op == "delete":
                # gone at once: later corrections were keyed on the rows without it
                rows[table].pop(index)
            else:
                value = clean_value(table, event.get("field"), event.get("value"))
                _set(row, event["field"], value, event.get("reason"))
                _recompute(table, row)
            out.findings.append(_finding("CORRECTED", said, doc_id, row))
            count += 1
        except LookupError:
            out.orphaned.append(event)
            out.findings.append(
                _finding(
                    "CORRECTION_ORPHANED",
                    f"校对记录 {event.get('id')}（{describe(event)}，{signature(event)}）的目标"
                    "在当前文档中已不存在，未应用：请在「校对」页复核。",
                    doc_id,
                )
            )
        except (CorrectionRefused, KeyError, TypeError) as exc:
            out.orphaned.append(event)
            out.findings.append(
                _finding(
                    "CORRECTION_ORPHANED",
                    f"校对记录 {event.get('id')}（{describe(event)}）无法应用（{exc}），"
                    "未应用：请在「校对」页复核。",
                    doc_id,
                )
            )
    for row in (*rows["projects"], *rows["indicators"]):
        row.pop("_added", None)
    if count:
        document["n_corrections"] = count
    out.projects, out.indicators = rows["projects"], rows["indicators"]
    return out


def apply_tables(tables: dict, raw: Path) -> dict:
    """The build's tables (pyarrow) with the corrections in raw applied; the same objects when
    there are none. Rows of corrected documents keep their place in each table."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .schema import to_table

    events = load_all(raw)
    if not events:
        return tables
    documents = tables["documents"].to_pylist()
    by_file = {d["source_file"]: d for d in documents}
    touched = {by_file[name]["doc_id"]: name for name in events if name in by_file}
    if not touched:
        return tables
    ids = pa.array(sorted(touched), pa.string())
    out = dict(tables)
    parts: dict[str, dict[str, list[dict]]] = {}
    for name in ("projects", "indicators"):
        table = tables[name]
        mask = pc.is_in(table["doc_id"], value_set=ids)
        parts[name] = {}
        for row in table.filter(mask).to_pylist():
            parts[name].setdefault(row["doc_id"], []).append(row)
    findings: list[dict] = []
    new_rows: dict[str, list[dict]] = {"projects": [], "indicators": []}
    for i, document in enumerate(documents):
        source = touched.get(document["doc_id"])
        if source is None:
            continue
        applied = apply(
            document,
            parts["projects"].get(document["doc_id"], []),
            parts["indicators"].get(document["doc_id"], []),
            events[source],
        )
        documents[i] = applied.document
        new_rows["projects"] += applied.projects
        new_rows["indicators"] += applied.indicators
        findings += applied.findings
    out["documents"] = to_table("documents", documents)
    for name in ("projects", "indicators"):
        table = tables[name]
        keep = table.filter(pc.invert(pc.is_in(table["doc_id"], value_set=ids)))
        # corrected documents' rows go back where their first row was (or at the end)
        out[name] = _in_place(table, keep, to_table(name, new_rows[name]), ids)
    if findings:
        out["findings"] = pa.concat_tables([tables["findings"], to_table("findings", findings)])
    return out


def _in_place(table, keep, corrected, ids):
    """keep (the untouched rows) with corrected spliced in where the corrected documents' rows
    began, so that a correction does not move a document to the end of its table."""
    import pyarrow as pa
    import pyarrow.compute as pc

    mask = pc.is_in(table["doc_id"], value_set=ids)
    first = pc.index(mask, True).as_py()
    if first is None or first < 0:
        return pa.concat_tables([keep, corrected]) if corrected.num_rows else keep
    before = pc.sum(pc.invert(mask.slice(0, first)).cast("int64")).as_py() or 0
    return pa.concat_tables([keep.slice(0, before), corrected, keep.slice(before)])
