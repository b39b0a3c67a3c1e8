"""Storing corrections (校对): checked, locked like imports, written atomically, then rebuilt.

Every operation of the 校对 page and of `python -m loaders correct` comes here. Under the import
lock (intake.locked: one writer at a time, imports included) it reads the document's rows as the
tables hold them now, checks the target and the value (CorrectionRefused, in Chinese), appends
one event to the document's corrections file by writing a temporary file and renaming it over
the old one (a reader, or a process killed half-way, sees the old file or the new one, never
half of one), and rebuilds the tables, which apply the corrections. A failed rebuild puts the
file back as it was. A process killed after the file was written and before the tables were
swapped leaves the correction stored and the tables stale: the next build (run.sh's
`--if-changed` included, whose digest covers the corrections) applies it.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import corrections as c
from . import intake
from .build import build, doc_id_for, is_current
from .corrections import CorrectionRefused

log = logging.getLogger(__name__)


@dataclass
class Saved:
    """What an operation stored (its events, in order), and the counts of the rebuild."""

    events: list[dict]
    counts: dict

    @property
    def event(self) -> dict:
        return self.events[0]


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def new_id() -> str:
    return f"c-{uuid.uuid4().hex[:10]}"


def document_rows(out: Path, doc_id: str) -> dict[str, list[dict]]:
    """The document's rows in the current tables (corrections applied), in table order."""
    rows: dict[str, list[dict]] = {}
    for name in ("documents", "projects", "indicators"):
        try:
            table = pq.read_table(Path(out) / f"{name}.parquet")
        except (OSError, ValueError):
            rows[name] = []
            continue
        rows[name] = table.filter(pc.equal(table["doc_id"], doc_id)).to_pylist()
    return rows


def _document(raw: Path, doc: str) -> tuple[Path, str, str]:
    """(path, doc_id, sha256) of the document named by doc_id or file name."""
    try:
        path = intake.find(raw, doc)
    except intake.ImportRefused as exc:
        raise CorrectionRefused(str(exc)) from exc
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return path, doc_id_for(path.name, sha), sha


def find_key(table: str, rows: list[dict], name: str, project: str | None = None, n=None) -> dict:
    """The key of the row called name (a project, or an indicator of project), or
    CorrectionRefused when there is none, or several and n does not say which."""
    field = "project" if table == "projects" else "name"
    hits = [
        r
        for r in rows
        if c._text(r.get(field)) == name
        and (table == "projects" or project is None or c._text(r.get("project")) == project)
    ]
    if not hits:
        raise CorrectionRefused(f"文档中没有名为「{name}」的{c.TABLE_LABELS.get(table, '行')}。")
    if len(hits) > 1 and n is None:
        lines = "、".join(str(r.get("source_line")) for r in hits)
        raise CorrectionRefused(
            f"「{name}」有 {len(hits)} 行（第 {lines} 行）：请用 --n 指定第几行（从 0 起）。"
        )
    index = 0 if n is None else int(n)
    if not 0 <= index < len(hits):
        raise CorrectionRefused(f"「{name}」只有 {len(hits)} 行，--n 应在 0–{len(hits) - 1} 之间。")
    return c.row_key(table, hits[index], rows)


def save(doc: str, op: str, *, who: str, reason: str | None = None, **change) -> Saved:
    """Check and store one correction of doc (doc_id or file name), then rebuild the tables.

    op: set (table, key, field, value), add (table, row), delete (table, key), confirm,
    undo (undoes: an event id; default the newest in force). select=(name, project, n) finds
    the key by the row's name instead (the CLI's --row), in the tables as they are under the
    lock. raw, out, timeout_s as for save_all.
    """
    folders = {k: change.pop(k) for k in ("raw", "out", "timeout_s") if k in change}
    return save_all(doc, [{"op": op, **change}], who=who, reason=reason, **folders)


def save_all(
    doc: str,
    changes: list[dict],
    *,
    who: str,
    reason: str | None = None,
    raw: Path | None = None,
    out: Path | None = None,
    timeout_s: float | None = None,
) -> Saved:
    """Check and store several corrections of doc at once (one rebuild), all or none.

    Each change is checked against the document's rows as the changes before it left them, so
    keys taken from the table the reviewer saw must name rows in an order that keeps them valid
    (values first, names next, added rows, deleted rows last from the bottom: see ordered()).
    Raises CorrectionRefused with a Chinese message for anything that cannot be stored; nothing
    is written then.
    """
    raw = Path(raw or intake.raw_dir())
    out = Path(out or intake.parquet_dir())
    if not changes:
        raise CorrectionRefused("没有需要保存的修改。")
    for change in changes:
        if change.get("op") not in c.OPS:
            raise CorrectionRefused(f"未知的操作 {change.get('op')}：可用 {'、'.join(c.OPS)}。")
    who = c.clean_who(who)
    reason = c.clean_reason(reason)
    try:
        intake.check_folders(raw, out)
        intake.check_writable(raw)
    except intake.ImportRefused as exc:
        raise CorrectionRefused(str(exc)) from exc
    try:
        with intake.locked(raw, timeout_s):
            intake.reconcile(raw)
            path, doc_id, sha = _document(raw, doc)
            if not is_current(raw, out):
                build(raw, out)
            rows = document_rows(out, doc_id)
            if not rows["documents"]:
                raise CorrectionRefused(f"文档 {doc} 不在数据表中：请先重新生成数据。")
            file = c.path_for(raw, path.name)
            events = c.read_events(file)
            new: list[dict] = []
            for change in changes:
                op, table = change["op"], change.get("table", "documents")
                key = change.get("key")
                if key is None and change.get("select") and table in ("projects", "indicators"):
                    key = find_key(table, rows[table], *change["select"])
                event = {
                    "id": new_id(),
                    "op": op,
                    "doc_id": doc_id,
                    "sha256": sha,
                    "who": who,
                    "at": _now(),
                }
                if reason:
                    event["reason"] = reason
                event.update(
                    _checked(
                        op,
                        table,
                        key,
                        change.get("field"),
                        change.get("value"),
                        change.get("row"),
                        change.get("undoes"),
                        rows,
                        [*events, *new],
                        change.get("expected", _UNSEEN),
                    )
                )
                new.append(event)
                if op in ("set", "add", "delete"):  # the rows as the next change finds them
                    done = c.apply(
                        rows["documents"][0], rows["projects"], rows["indicators"], [event]
                    )
                    if done.orphaned:
                        raise CorrectionRefused(f"无法应用：{c.describe(event)}。")
                    rows = {
                        "documents": [done.document],
                        "projects": done.projects,
                        "indicators": done.indicators,
                    }
            before = file.read_bytes() if file.exists() else None
            file.parent.mkdir(parents=True, exist_ok=True)
            intake._write_atomic(file, c.serialise([*events, *new]))
            intake._pause_at("corrected")
            try:
                counts = build(raw, out)
            except BaseException:
                if before is None:
                    file.unlink(missing_ok=True)
                else:
                    intake._write_atomic(file, before)
                raise
    except intake.ImportRefused as exc:
        raise CorrectionRefused(str(exc)) from exc
    except OSError as exc:
        log.exception("storing a correction in %s failed", raw)
        raise CorrectionRefused(
            f"保存失败（{exc.strerror or type(exc).__name__}），校对记录和数据表均保持原样："
            "请检查磁盘空间与文件权限后重试。"
        ) from exc
    for event in new:
        log.info("correction %s %s of %s stored by %s", event["id"], event["op"], doc_id, who)
    return Saved(new, counts)


def ordered(changes: list[dict]) -> list[dict]:
    """Changes keyed on one view of a table, in an order where every key stays valid: values,
    then names (a row's key changes with its name), then added rows, then deleted rows from the
    last one up (deleting a row moves the rows of the same name after it)."""
    identity_fields = {"project", "name"}

    def rank(change: dict) -> tuple:
        op = change.get("op")
        if op == "set":
            return (1 if change.get("field") in identity_fields else 0, 0)
        if op == "add":
            return (2, 0)
        if op == "delete":
            return (3, -int((change.get("key") or {}).get("n", 0)))
        return (4, 0)

    return sorted(changes, key=rank)


# A change that does not say what value its author saw (the CLI): not checked for staleness.
_UNSEEN = object()


def _stale(table: str, field: str, current, expected) -> None:
    """CorrectionRefused when the value changed since the reviewer saw it (another session)."""
    if expected is _UNSEEN:
        return
    same = current == expected or (
        isinstance(current, int | float)
        and isinstance(expected, int | float)
        and abs(float(current) - float(expected)) < 1e-9
    )
    if not same:
        raise CorrectionRefused(
            f"{c.field_label(table, field)}已被他人改为 {c.fmt(current)}（您看到的是 "
            f"{c.fmt(expected)}）：请刷新页面，核对后再修改。"
        )


def _checked(op, table, key, field, value, row, undoes, rows, events, expected=_UNSEEN) -> dict:
    """The event's own fields, checked against the document's current rows. expected: the value
    the reviewer saw, for a set (refused when another session changed it meanwhile)."""
    if op == "confirm":
        return {"table": "documents"}
    if op == "undo":
        live = {e.get("id"): e for e in c.active(events)}
        if undoes is None:
            last = c.last_undoable(events)
            if last is None:
                raise CorrectionRefused("没有可撤销的校对记录。")
            undoes = last["id"]
        if undoes not in live:
            raise CorrectionRefused(f"校对记录 {undoes} 不存在或已撤销。")
        return {"table": live[undoes].get("table"), "undoes": undoes}
    if table not in c.FIELDS:
        raise CorrectionRefused(
            f"不能校对表 {table}：只能校对 {'、'.join(c.TABLE_LABELS.values())}。"
        )
    if op == "add":
        cleaned = c.clean_row(table, dict(row or {}))
        return {"table": table, "row": cleaned}
    if op == "set" and table == "documents":
        cleaned = c.clean_value(table, field, value)
        _stale(table, field, rows["documents"][0].get(field), expected)
        return {
            "table": table,
            "key": {},
            "field": field,
            "read": rows["documents"][0].get(field),
            "value": cleaned,
        }
    if table == "documents":
        raise CorrectionRefused("文档信息只能修改，不能删除：如需移除文档，请用「导入文档」页。")
    if not key:
        raise CorrectionRefused("请指定要修改或删除的行。")
    index = c.find_row(table, key, rows[table])
    if index is None:
        raise CorrectionRefused(f"{c.describe_key(table, key or {})}在当前数据表中不存在。")
    target = rows[table][index]
    stored_key = {**key, "line": target.get("source_line")} if "added" not in key else dict(key)
    if stored_key.get("line") is None:
        stored_key.pop("line", None)
    if op == "delete":
        label = "project" if table == "projects" else "name"
        return {"table": table, "key": stored_key, "read": target.get(label)}
    cleaned = c.clean_value(table, field, value)
    current = target.get(field)
    _stale(table, field, current, expected)
    if current == cleaned:
        raise CorrectionRefused(f"{c.field_label(table, field)}已经是 {c.fmt(cleaned)}，无需修改。")
    return {"table": table, "key": stored_key, "field": field, "read": current, "value": cleaned}


def history(raw: Path, source_file: str) -> list[dict]:
    """Every event of a document, newest first, with its state (在用 / 已撤销 / 撤销操作)."""
    events = c.load(raw, source_file)
    undone = c.undone_ids(events)
    out = []
    for e in reversed(events):
        state = (
            "撤销操作" if e.get("op") == "undo" else "已撤销" if e.get("id") in undone else "在用"
        )
        out.append({**e, "state": state, "text": c.describe(e)})
    return out
