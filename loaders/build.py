"""The build: read every raw document, parse it, and write the four tables atomically."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq

from . import LOADER_VERSION
from .crosscheck import check_rates
from .document import DecodeError, Doc
from .findings import Finding
from .kinds import CONFIDENT_KIND_SCORE, MIN_KIND_SCORE, Parsed, detect, registry
from .manifest import MANIFEST_NAME, OVERRIDABLE, read_manifest
from .metadata import find_amount_unit, find_parent, find_unit, find_year
from .places import locate, region_of
from .schema import TABLES, to_table

log = logging.getLogger(__name__)

STAMP_NAME = "_build.json"
# Files in data/raw that are not documents.
IGNORED_NAMES = {MANIFEST_NAME, "README.md", "README.txt"}


def doc_id_for(source_file: str, sha256: str) -> str:
    return f"{Path(source_file).stem}-{sha256[:8]}"


def raw_files(raw_dir: Path) -> list[Path]:
    """The documents of a raw folder, in name order: no hidden files, no manifest."""
    return sorted(
        p
        for p in Path(raw_dir).iterdir()
        if p.is_file() and not p.name.startswith((".", "~$")) and p.name not in IGNORED_NAMES
    )


def _unreadable(doc_id: str, source_file: str, sha: str, size: int, message: str) -> dict:
    return {
        "document": {
            "doc_id": doc_id,
            "source_file": source_file,
            "sha256": sha,
            "doc_kind": "unknown",
            "kind_score": 0.0,
            "size_bytes": size,
            "year_source": "inferred",
            "loader_version": LOADER_VERSION,
        },
        "projects": [],
        "indicators": [],
        "findings": [Finding("UNREADABLE", message, doc_id=doc_id).as_row()],
    }


def read_document(source_file: str, raw: bytes, manifest_entry: dict | None = None) -> dict:
    """Parse one document's bytes into rows of the four tables. Never raises for bad content."""
    sha = hashlib.sha256(raw).hexdigest()
    doc_id = doc_id_for(source_file, sha)
    try:
        doc = Doc.from_bytes(source_file, raw)
    except DecodeError as exc:
        return _unreadable(doc_id, source_file, sha, len(raw), f"无法读取：{exc}。请另存为 UTF-8 文本后重新导入。")
    scores = detect(doc)
    kind, score = scores[0]
    if score < MIN_KIND_SCORE:
        return _unreadable(
            doc_id,
            source_file,
            sha,
            len(raw),
            "未识别的文档类型：内容中没有找到绩效自评表、目标申报表或部门决算的表头关键词。",
        )
    parsed: Parsed = registry()[kind].parse(doc)
    return conform(doc, doc_id, kind, score, parsed, manifest_entry or {})


def conform(doc: Doc, doc_id: str, kind: str, score: float, parsed: Parsed, entry: dict) -> dict:
    """Fill metadata, apply the manifest, cross-check, and stamp doc_id on every row."""
    meta = dict(parsed.meta)
    findings = list(parsed.findings)
    meta.setdefault("unit", None)
    meta["unit"] = meta["unit"] or find_unit(doc.head)
    meta["parent_unit"] = meta.get("parent_unit") or find_parent(doc.head)
    year = meta.get("year") or find_year(doc.head)
    meta["year_source"] = "document" if year else "inferred"
    meta["year"] = year
    meta["amount_unit"] = meta.get("amount_unit") or find_amount_unit(doc.head) or "万元"
    where = " ".join(filter(None, [meta.get("unit"), meta.get("title"), meta.get("parent_unit")]))
    province, city, district = locate(where)
    for key, value in (("province", province), ("city", city), ("district", district)):
        meta[key] = meta.get(key) or value
    for key in OVERRIDABLE:
        if entry.get(key) not in (None, ""):
            meta[key] = entry[key]
            if key == "year":
                meta["year_source"] = "manifest"
    if any(entry.get(k) for k in ("unit", "province", "city")) and not entry.get("region"):
        meta["region"] = None
    meta["region"] = meta.get("region") or region_of(meta.get("province"), meta.get("city")) or "未知"
    if meta["year"] is None:
        findings.append(Finding("YEAR_MISSING", "文档未印发年度：请在 data/raw/sources.toml 中为该文件填写 year。"))
    if not meta["unit"]:
        findings.append(Finding("UNIT_MISSING", "未找到填报单位名称：请在 data/raw/sources.toml 中填写 unit。"))
    if doc.truncated:
        findings.append(Finding("TRUNCATED", "文件在一个字符中间结束，可能不完整；已读取截断前的内容。"))
    if doc.encoding not in ("utf-8", "utf-8-sig"):
        findings.append(Finding("ENCODING", f"文件编码为 {doc.encoding}，已自动转换。", severity="info"))
    if score < CONFIDENT_KIND_SCORE:
        findings.append(Finding("LOW_CONFIDENCE", f"文档类型按内容判断为 {kind}，置信度 {score:.2f}，请核对。"))
    findings += check_rates(parsed.projects)

    document = {
        "doc_id": doc_id,
        "source_file": doc.source_file,
        "sha256": doc.sha256,
        "doc_kind": kind,
        "kind_score": round(score, 3),
        "encoding": doc.encoding,
        "n_lines": len(doc.lines),
        "size_bytes": doc.size_bytes,
        "loader_version": LOADER_VERSION,
        **{k: meta.get(k) for k in ("unit", "parent_unit", "province", "city", "district", "region")},
        "year": int(meta["year"]) if meta.get("year") is not None else None,
        "year_source": meta["year_source"],
        "amount_unit": meta["amount_unit"],
        "title": meta.get("title"),
    }
    return {
        "document": document,
        "projects": [{**p, "doc_id": doc_id} for p in parsed.projects],
        "indicators": [{**i, "doc_id": doc_id} for i in parsed.indicators],
        "findings": [replace(f, doc_id=doc_id).as_row() for f in findings],
    }


def load_file(path: Path, manifest_entry: dict | None = None) -> dict:
    """read_document for a file on disk; an unexpected crash becomes an UNREADABLE finding."""
    raw = path.read_bytes()
    try:
        return read_document(path.name, raw, manifest_entry)
    except Exception as exc:  # the CLI edge: one bad document must not stop the build
        log.exception("loader crashed on %s", path.name)
        sha = hashlib.sha256(raw).hexdigest()
        return _unreadable(
            doc_id_for(path.name, sha), path.name, sha, len(raw), f"解析时出错（{type(exc).__name__}: {exc}），请报告此文件。"
        )


def raw_digest(raw_dir: Path) -> str:
    """A digest of the raw folder's names, sizes and mtimes plus the loader version."""
    h = hashlib.sha256(LOADER_VERSION.encode())
    for p in sorted(Path(raw_dir).iterdir()):
        if p.is_file():
            st = p.stat()
            h.update(f"{p.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def is_current(raw_dir: Path, out_dir: Path) -> bool:
    stamp = Path(out_dir) / STAMP_NAME
    try:
        return json.loads(stamp.read_text())["raw_digest"] == raw_digest(raw_dir)
    except (OSError, ValueError, KeyError):
        return False


def build(raw_dir: Path, out_dir: Path) -> dict:
    """Parse every document of raw_dir and replace out_dir's tables atomically. Returns counts."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    started = time.perf_counter()
    manifest = read_manifest(raw_dir)
    results = [load_file(p, manifest.get(p.name)) for p in raw_files(raw_dir)]
    tables = {
        "documents": [r["document"] for r in results],
        "projects": [p for r in results for p in r["projects"]],
        "indicators": [i for r in results for i in r["indicators"]],
        "findings": [f for r in results for f in r["findings"]],
    }
    write_tables(tables, out_dir, {"raw_digest": raw_digest(raw_dir), "loader_version": LOADER_VERSION})
    counts = {name: len(rows) for name, rows in tables.items()}
    counts["seconds"] = round(time.perf_counter() - started, 3)
    return counts


def write_tables(tables: dict[str, list[dict]], out_dir: Path, stamp: dict) -> None:
    """Write into a sibling temporary folder, then swap it in; the old folder survives a failure."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    recover(out_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        for name in TABLES:
            pq.write_table(to_table(name, tables[name]), tmp / f"{name}.parquet")
        (tmp / STAMP_NAME).write_text(json.dumps({**stamp, "built_at": time.time()}))
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        swap_in(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _backup_of(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.old"


def swap_in(new_dir: Path, out_dir: Path) -> None:
    backup = _backup_of(out_dir)
    shutil.rmtree(backup, ignore_errors=True)
    if out_dir.exists():
        os.replace(out_dir, backup)
    os.replace(new_dir, out_dir)
    shutil.rmtree(backup, ignore_errors=True)


def recover(out_dir: Path) -> None:
    """Put the previous tables back if a build died between the two renames of swap_in."""
    backup = _backup_of(out_dir)
    if backup.exists() and not out_dir.exists():
        os.replace(backup, out_dir)
