"""The build: read every raw document, parse it, and write the four tables atomically."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import LOADER_VERSION, corrections
from .buildcache import BuildCache, cache_dir_for, stat_key
from .crosscheck import check_rates
from .document import DecodeError, Doc
from .findings import Finding
from .kinds import CONFIDENT_KIND_SCORE, MIN_KIND_SCORE, UNKNOWN_KIND, Parsed, detect, registry
from .manifest import MANIFEST_NAME, OVERRIDABLE, ManifestError, read_manifest
from .metadata import (
    UNIT_HEAD_LINES,
    find_amount_unit,
    find_parent,
    find_unit,
    find_year,
    labelled_unit,
    looks_like_unit,
)
from .pages import Geometry
from .places import CITY_PROVINCE, locate, region_of
from .readers import Converted, ReaderError, convert
from .schema import TABLES, to_table

log = logging.getLogger(__name__)

STAMP_NAME = "_build.json"
# Files in data/raw that are not documents.
IGNORED_NAMES = {MANIFEST_NAME, "README.md", "README.txt"}
# Years a sources.toml entry may give.
MANIFEST_YEARS = range(1990, 2100)
# Fewer changed files than this are parsed in the build's own process (a pool costs ~0.1 s).
PARALLEL_MIN_FILES = 8
MAX_CHUNK_FILES = 32
# Parsed documents converted to Arrow at a time, so that row dicts never pile up for 10,000.
ARROW_BATCH_DOCS = 256
# The loaders' own source: a change to it makes an --if-changed build run again.
CODE_DIR = Path(__file__).resolve().parent
# All a build keeps in its output folder: an existing folder holding anything else is not ours.
OWN_FILES = frozenset({*(f"{name}.parquet" for name in TABLES), STAMP_NAME})


class UnsafeOutput(Exception):
    """An output folder the build must not replace: it is, holds or lies inside the documents'
    folder, or it holds files that are not the build's own. str(exc) is a Chinese sentence."""


def check_output_folder(raw_dir: Path, out_dir: Path) -> None:
    """Raise UnsafeOutput unless replacing out_dir wholesale with new tables loses nothing.

    A build swaps out_dir away and deletes it (swap_in), and writes or deletes its siblings
    .<out>.new-*, .<out>.old and .<out>.cache: none of them may be or hold raw_dir, out_dir may
    not lie inside raw_dir, and an existing out_dir may hold only OWN_FILES. Every build path
    (the CLI, imports and removals from the CLI or the page) goes through this one check.
    """
    raw, out = Path(raw_dir).resolve(), Path(out_dir).resolve()
    shown = f"输出文件夹 {out_dir}"
    tail = "请另选一个输出文件夹（如 data/parquet），未做任何改动。"
    if out == raw:
        raise UnsafeOutput(f"{shown} 就是文档文件夹：构建会用数据表替换其中的全部文档。{tail}")
    if out.is_relative_to(raw):
        raise UnsafeOutput(f"{shown} 位于文档文件夹 {raw_dir} 之内。{tail}")
    if raw.is_relative_to(out):
        raise UnsafeOutput(
            f"{shown} 包含文档文件夹 {raw_dir}：构建会用数据表替换整个文件夹，文档将被删除。{tail}"
        )
    if raw.is_relative_to(out.parent):
        top = raw.relative_to(out.parent).parts[0]
        own = {_backup_of(out).name, cache_dir_for(out).name}
        if top in own or top.startswith(f".{out.name}.new-"):
            raise UnsafeOutput(
                f"{shown} 的构建会删除或改写 {out.parent / top}，而文档文件夹 {raw_dir} 在其中。"
                f"{tail}"
            )
    if out.exists() and not out.is_dir():
        raise UnsafeOutput(f"{shown} 是一个文件，不是文件夹：构建会替换它。{tail}")
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in OWN_FILES)
        if foreign:
            named = "、".join(foreign[:3]) + ("等" if len(foreign) > 3 else "")
            raise UnsafeOutput(
                f"{shown} 中有不是数据表的文件（{named}）：构建会替换整个文件夹，"
                f"这些文件将被删除。{tail}"
            )


def doc_id_for(source_file: str, sha256: str) -> str:
    return f"{Path(source_file).stem}-{sha256[:8]}"


def _scan(raw_dir: Path) -> list[tuple[str, os.stat_result]]:
    """Every regular file of raw_dir with its stat, in name order (one pass, no Path objects:
    a folder of 10,000 documents is listed in a few hundredths of a second)."""
    listing = []
    for entry in os.scandir(raw_dir):
        try:
            if entry.is_file():
                listing.append((entry.name, entry.stat()))
        except OSError:
            continue  # gone or unreadable meanwhile: as if it were not there
    listing.sort(key=lambda item: item[0])
    return listing


def _is_document(name: str) -> bool:
    return not name.startswith((".", "~$")) and name not in IGNORED_NAMES


def has_documents(raw_dir: Path) -> bool:
    """Whether raw_dir holds at least one document (stops at the first)."""
    with os.scandir(raw_dir) as entries:
        return any(_is_document(e.name) and e.is_file() for e in entries)


def raw_files(raw_dir: Path) -> list[Path]:
    """The documents of a raw folder, in name order: no hidden files, no manifest."""
    return [Path(raw_dir) / name for name, _ in _scan(raw_dir) if _is_document(name)]


def _unreadable(doc_id: str, source_file: str, sha: str, size: int, message: str) -> dict:
    return {
        "document": {
            "doc_id": doc_id,
            "source_file": source_file,
            "sha256": sha,
            "doc_kind": UNKNOWN_KIND,
            "kind_score": 0.0,
            "size_bytes": size,
            "year_source": "inferred",
            "loader_version": LOADER_VERSION,
        },
        "projects": [],
        "indicators": [],
        "findings": [Finding("UNREADABLE", message, doc_id=doc_id).as_row()],
        "totals": [],
    }


def read_document(source_file: str, raw: bytes, manifest_entry: dict | None = None) -> dict:
    """Parse one document's bytes into rows of the four tables. Never raises for bad content.

    Misuse raises: raw must be bytes (TypeError).
    """
    if not isinstance(raw, bytes | bytearray):
        raise TypeError(f"read_document() takes the file's bytes, not {type(raw).__name__}")
    raw = bytes(raw)
    sha = hashlib.sha256(raw).hexdigest()
    doc_id = doc_id_for(source_file, sha)
    try:
        # xlsx/docx/csv/pdf/images become tab-separated text first; line numbers refer to that text
        converted = convert(source_file, raw)
        doc = Doc.from_bytes(source_file, converted.data, sha)
    except (DecodeError, ReaderError) as exc:
        result = _unreadable(doc_id, source_file, sha, len(raw), f"无法读取{source_file}：{exc}")
        if getattr(exc, "transient", False):
            result["retry"] = True  # a converter missing or timed out: not kept in the cache
        return result
    doc = replace(doc, size_bytes=len(raw))  # the file's size, not its converted text's
    scores = detect(doc)
    kind, score = scores[0]
    if score < MIN_KIND_SCORE:
        return _unreadable(
            doc_id,
            source_file,
            sha,
            len(raw),
            "未识别的文档类型：内容中没有找到绩效自评表、目标申报表或部门决算的表头关键词，"
            "请确认这是绩效文档的文本。",
        )
    parsed: Parsed = registry()[kind].parse(doc)
    return conform(doc, doc_id, kind, score, parsed, manifest_entry or {}, converted)


def conform(
    doc: Doc,
    doc_id: str,
    kind: str,
    score: float,
    parsed: Parsed,
    entry: dict,
    converted: Converted | None = None,
) -> dict:
    """Fill metadata, apply the manifest, cross-check, and stamp doc_id on every row.

    For a paged file (converted with a geometry), every row with a source_line also gets the
    page and box it was read from, and the reader's own findings (a scanned page) are added.
    """
    meta = dict(parsed.meta)
    findings = list(parsed.findings)
    if converted is not None:
        findings += converted.findings
    meta.setdefault("unit", None)
    # The form's own labels first, by priority; then what the kind read; then a name in the head.
    # A name that does not look like a unit (a run of form cells) is no unit at all.
    meta["parent_unit"] = meta.get("parent_unit") or find_parent(doc.head)
    # A unit may be its own 主管部门 where a label says so; a name merely found in the head that
    # is the 主管部门 is not the unit.
    unlabelled = find_unit(doc.head)
    if unlabelled == meta["parent_unit"]:
        unlabelled = None
    candidates = (labelled_unit(doc.head_cells(UNIT_HEAD_LINES)), meta["unit"], unlabelled)
    meta["unit"] = next((u for u in candidates if looks_like_unit(u)), None)
    year = meta.get("year") or find_year(doc.head)
    meta["year_source"] = "document" if year else "inferred"
    meta["year"] = year
    meta["amount_unit"] = meta.get("amount_unit") or find_amount_unit(doc.head) or "万元"
    if entry.get("year") not in (None, ""):
        meta["year"], meta["year_source"] = entry["year"], "manifest"
    for key in ("unit", "parent_unit", "amount_unit"):
        if entry.get(key) not in (None, ""):
            meta[key] = entry[key]
    place = _place_of(meta.get("unit"), meta.get("title"), meta.get("parent_unit"))
    for key in ("province", "city", "district"):
        meta[key] = meta.get(key) or place[key]
    _apply_place_overrides(meta, entry)
    meta["region"] = (
        entry.get("region") or region_of(meta.get("province"), meta.get("city")) or "未知"
    )
    if not (meta.get("province") or meta.get("city")):
        findings.append(
            Finding(
                "PLACE_MISSING",
                "未能从单位名称判断所在省市：请在 data/raw/sources.toml 中"
                "为该文件填写 province 和 city。",
            )
        )
    if meta["year"] is None:
        findings.append(
            Finding(
                "YEAR_MISSING", "文档未印发年度：请在 data/raw/sources.toml 中为该文件填写 year。"
            )
        )
    if not meta["unit"]:
        findings.append(
            Finding("UNIT_MISSING", "未找到填报单位名称：请在 data/raw/sources.toml 中填写 unit。")
        )
    if doc.truncated:
        findings.append(
            Finding("TRUNCATED", "文件在一个字符中间结束，可能不完整；已读取截断前的内容。")
        )
    if doc.encoding not in ("utf-8", "utf-8-sig"):
        findings.append(
            Finding("ENCODING", f"文件编码为 {doc.encoding}，已自动转换。", severity="info")
        )
    if score < CONFIDENT_KIND_SCORE:
        findings.append(
            Finding("LOW_CONFIDENCE", f"文档类型按内容判断为 {kind}，置信度 {score:.2f}，请核对。")
        )
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
        **{
            k: meta.get(k)
            for k in ("unit", "parent_unit", "province", "city", "district", "region")
        },
        "year": int(meta["year"]) if meta.get("year") is not None else None,
        "year_source": meta["year_source"],
        "amount_unit": meta["amount_unit"],
        "title": meta.get("title"),
        "pages": converted.pages if converted is not None else None,
        "ocr_pages": converted.ocr_pages if converted is not None else None,
    }
    geometry = converted.geometry if converted is not None else None
    return {
        "document": document,
        "projects": _placed([{**p, "doc_id": doc_id} for p in parsed.projects], geometry),
        "indicators": _placed([{**i, "doc_id": doc_id} for i in parsed.indicators], geometry),
        "findings": _placed([replace(f, doc_id=doc_id).as_row() for f in findings], geometry),
        "totals": [{**t, "doc_id": doc_id} for t in parsed.totals],
    }


def _placed(rows: list[dict], geometry: Geometry | None) -> list[dict]:
    """rows with source_page and source_box (x0, y0, x1, y1 in points) of their source lines."""
    if geometry is None:
        return rows
    for row in rows:
        where = geometry.locate(row.get("source_line"), row.get("end_line"))
        if where is not None:
            row["source_page"], row["source_box"] = where[0], [round(v, 2) for v in where[1]]
    return rows


def _place_of(unit: str | None, title: str | None, parent: str | None) -> dict:
    """Province, city and district: the unit's own name first, title and parent unit to fill in."""
    keys = ("province", "city", "district")
    own = dict(zip(keys, locate(unit), strict=True))
    if own["province"] and own["city"]:
        return own
    where = " ".join(filter(None, [unit, title, parent]))
    wider = dict(zip(keys, locate(where), strict=True))
    if own["province"] and wider["province"] != own["province"]:
        return own
    return {k: own[k] or wider[k] for k in keys}


def _apply_place_overrides(meta: dict, entry: dict) -> None:
    """sources.toml's province/city/district win; what they leave out is kept only if consistent."""
    if not any(entry.get(k) for k in ("province", "city", "district")):
        return
    city = entry.get("city") or (None if entry.get("province") else meta.get("city"))
    province = entry.get("province") or CITY_PROVINCE.get(city or "") or meta.get("province")
    district = entry.get("district")
    if not district and meta.get("district") and city == meta.get("city"):
        district = meta["district"]
    meta.update(province=province, city=city, district=district)


def load_file(path: Path, manifest_entry: dict | None = None) -> dict:
    """read_document for a file on disk; an unexpected crash becomes an UNREADABLE finding."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        log.warning("cannot read %s: %s", path.name, exc)
        message = f"无法打开文件（{type(exc).__name__}）：请检查文件权限后重新构建。"
        return _unreadable(doc_id_for(path.name, "0" * 8), path.name, "", 0, message)
    try:
        return read_document(path.name, raw, manifest_entry)
    except Exception as exc:  # the CLI edge: one bad document must not stop the build
        log.exception("loader crashed on %s", path.name)
        sha = hashlib.sha256(raw).hexdigest()
        return _unreadable(
            doc_id_for(path.name, sha),
            path.name,
            sha,
            len(raw),
            f"解析时出错（{type(exc).__name__}: {exc}），请报告此文件。",
        )


def raw_digest(raw_dir: Path) -> str:
    """A digest of the raw folder's names, sizes and mtimes plus the loader version."""
    return _digest(_scan(raw_dir))


def _digest(listing: list[tuple[str, os.stat_result]]) -> str:
    h = hashlib.sha256(LOADER_VERSION.encode())
    for name, st in listing:
        h.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def code_digest() -> str:
    """A digest of the loaders' source files, so that a parser change triggers a rebuild."""
    h = hashlib.sha256()
    for p in sorted(CODE_DIR.rglob("*.py")):
        h.update(p.relative_to(CODE_DIR).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def is_current(raw_dir: Path, out_dir: Path) -> bool:
    """True when out_dir holds all four tables, built from this raw_dir by this loader code."""
    out_dir = Path(out_dir)
    try:
        stamp = json.loads((out_dir / STAMP_NAME).read_text())
        return (
            stamp["raw_digest"] == raw_digest(raw_dir)
            and stamp.get("code_digest") == code_digest()
            and stamp.get("corrections_digest") == corrections.digest(raw_dir)
            and not stamp.get("retry")  # documents a missing converter left unread
            and all((out_dir / f"{name}.parquet").is_file() for name in TABLES)
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def check_manifest(manifest: dict[str, dict]) -> None:
    """Raise ManifestError for an entry whose values cannot be used (year = "2023年" …)."""
    for name, entry in manifest.items():
        year = entry.get("year")
        if year is not None and (
            isinstance(year, bool) or not isinstance(year, int) or year not in MANIFEST_YEARS
        ):
            raise ManifestError(f"{name}: year must be a whole number such as 2023, not {year!r}")
        for key in OVERRIDABLE:
            if key != "year" and entry.get(key) is not None and not isinstance(entry[key], str):
                raise ManifestError(f"{name}: {key} must be text in quotes, not {entry[key]!r}")


def cache_key(source_file: str, sha256: str, entry: dict | None, code: str) -> str:
    """What a document's rows depend on: its name and bytes, its manifest entry, the loaders."""
    manifest = json.dumps(entry, sort_keys=True, default=str) if entry else ""
    text = f"{LOADER_VERSION}\0{code}\0{source_file}\0{sha256}\0{manifest}"
    return hashlib.sha256(text.encode()).hexdigest()


def stamp_build_id(out_dir: Path) -> str | None:
    """The build_id of the tables in out_dir (None without a readable stamp)."""
    try:
        return json.loads((out_dir / STAMP_NAME).read_text()).get("build_id")
    except (OSError, ValueError, AttributeError):
        return None


def _results_as_tables(
    results: Iterable[dict],
) -> tuple[dict[str, list[pa.Table]], list[dict], set[str]]:
    """Parsed documents as Arrow tables, converted in batches so that few row dicts live at once;
    their document rows; the files to read again next build (a converter was unavailable)."""
    out: dict[str, list[pa.Table]] = {name: [] for name in TABLES}
    documents: list[dict] = []
    retry: set[str] = set()
    batch: list[dict] = []

    def flush() -> None:
        rows = {
            "documents": [r["document"] for r in batch],
            "projects": [p for r in batch for p in r["projects"]],
            "indicators": [i for r in batch for i in r["indicators"]],
            "findings": [f for r in batch for f in r["findings"]],
            "totals": [t for r in batch for t in r.get("totals", [])],
        }
        for name in TABLES:
            out[name].append(to_table(name, rows.get(name, [])))
        batch.clear()

    for result in results:
        documents.append(result["document"])
        if result.get("retry"):
            retry.add(result["document"]["source_file"])
        batch.append(result)
        if len(batch) >= ARROW_BATCH_DOCS:
            flush()
    flush()
    return out, documents, retry


def _parse_all(files: list[Path], manifest: dict[str, dict], workers: int) -> Iterator[dict]:
    """load_file over files, in this process for a few, over a process pool for many."""
    entries = [manifest.get(p.name) for p in files]
    if workers <= 1 or len(files) < PARALLEL_MIN_FILES:
        yield from map(load_file, files, entries)
        return
    chunk = max(1, min(MAX_CHUNK_FILES, len(files) // (workers * 4)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(load_file, files, entries, chunksize=chunk)


def build(raw_dir: Path, out_dir: Path) -> dict:
    """Parse what changed in raw_dir and replace out_dir's tables atomically. Returns counts.

    A document whose name, bytes, manifest entry and loader code are those of the previous build
    (the BuildCache beside out_dir) keeps its rows from that cache; the others are parsed over
    all cores. Reused rows come first, in the previous order, then the new ones in file-name
    order.
    """
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    check_output_folder(raw_dir, out_dir)
    started = time.perf_counter()
    hashed_ns = time.time_ns()
    manifest = read_manifest(raw_dir)
    check_manifest(manifest)
    listing = _scan(raw_dir)
    documents_listed = [(name, st) for name, st in listing if _is_document(name)]
    for name in sorted(set(manifest) - {name for name, _ in documents_listed}):
        log.warning("sources.toml names %s, which is not in %s", name, raw_dir)
    code = code_digest()
    cache = BuildCache.open(out_dir, stamp_build_id(out_dir))
    seen: dict[str, dict] = {}
    folder = str(raw_dir)
    for name, st in documents_listed:
        sha = cache.sha256(name, os.path.join(folder, name), st)  # "" if unreadable: not reused
        key = cache_key(name, sha, manifest.get(name), code) if sha else ""
        seen[name] = {"key": key, "sha": sha, "stat": stat_key(st)}
    kept = {
        name: cache.documents[name]["doc_id"]
        for name, entry in seen.items()
        if entry["key"] and cache.documents.get(name, {}).get("key") == entry["key"]
    }
    cached = cache.rows(set(kept.values())) if kept else None
    if cached is None:
        kept, cached = {}, ({name: [] for name in TABLES}, [])
    previous, used = cached
    to_parse = [raw_dir / name for name, _ in documents_listed if name not in kept]
    parsed, documents, retry = _results_as_tables(
        _parse_all(to_parse, manifest, os.cpu_count() or 1)
    )
    tables: dict[str, pa.Table] = {}
    fresh: dict[str, pa.Table] = {}
    for name in TABLES:
        fresh[name] = pa.concat_tables(parsed[name]) if parsed[name] else to_table(name, [])
        parts = [*previous[name], fresh[name]]
        tables[name] = pa.concat_tables(parts) if len(parts) > 1 else fresh[name]
    build_id = uuid.uuid4().hex
    # 校对 last, on every build: the cache keeps the rows as parsed (corrections never reach it)
    fixes = corrections.digest(raw_dir)
    written = corrections.apply_tables(tables, raw_dir)
    stamp = {
        "raw_digest": _digest(listing),
        "code_digest": code,
        "corrections_digest": fixes,
        "loader_version": LOADER_VERSION,
        "build_id": build_id,
        "retry": sorted(retry),
    }
    write_tables(written, out_dir, stamp)
    index = {name: {**seen[name], "doc_id": doc_id} for name, doc_id in kept.items()}
    for doc in documents:
        entry = seen.get(doc["source_file"], {"key": "", "sha": "", "stat": None})
        if doc["source_file"] in retry:
            entry = {**entry, "key": ""}  # never matches: parsed again by the next build
        index[doc["source_file"]] = {**entry, "doc_id": doc["doc_id"]}
    parsed_ids = [doc["doc_id"] for doc in documents]
    cache.save(build_id, hashed_ns, index, used, fresh, parsed_ids, tables)
    counts = {name: table.num_rows for name, table in written.items()}
    findings = written["findings"]
    counts["unreadable"] = pc.sum(pc.equal(findings["code"], "UNREADABLE")).as_py() or 0
    counts["parsed"], counts["reused"] = len(to_parse), len(kept)
    counts["seconds"] = round(time.perf_counter() - started, 3)
    return counts


def write_tables(tables: dict[str, list[dict] | pa.Table], out_dir: Path, stamp: dict) -> None:
    """Write into a sibling temporary folder, then swap it in; the old folder survives a failure.

    A table is given as dict rows or as an Arrow table of the declared schema.

    A lock file beside out_dir keeps two builds (run.sh and test.sh) from swapping at once.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _locked(out_dir):
        _recover(out_dir)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
        try:
            os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; readers need to list it
            # Side by side: Arrow encodes without the GIL, and the indicators alone take half.
            with ThreadPoolExecutor(max_workers=len(TABLES)) as pool:
                writes = [
                    pool.submit(_write_parquet, name, tables.get(name, []), tmp) for name in TABLES
                ]
                for done in writes:
                    done.result()  # the first failure is raised once every write has stopped
            (tmp / STAMP_NAME).write_text(json.dumps({**stamp, "built_at": time.time()}))
            for f in tmp.iterdir():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
            swap_in(tmp, out_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            _recover(out_dir)
            raise


def _write_parquet(name: str, table: list[dict] | pa.Table, folder: Path) -> None:
    if not isinstance(table, pa.Table):
        table = to_table(name, table)
    pq.write_table(table, folder / f"{name}.parquet", write_statistics=_stat_columns(name))


def _stat_columns(name: str) -> list[str]:
    """Columns given min/max statistics: the numbers. Text min/max costs a third of the write
    (a million indicator texts) and helps no reader; the files hold one or two row groups."""
    return [
        f.name for f in TABLES[name] if not (pa.types.is_string(f.type) or pa.types.is_list(f.type))
    ]


@contextmanager
def _locked(out_dir: Path):
    with open(out_dir.parent / f".{out_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
    """Put the previous tables back if a build was killed between the two renames of swap_in.

    Also removes the temporary folders a killed build left. Waits for a running build.
    """
    out_dir = Path(out_dir)
    if out_dir.parent.is_dir():
        with _locked(out_dir):
            _recover(out_dir)


def _recover(out_dir: Path) -> None:
    backup = _backup_of(out_dir)
    if backup.exists() and not out_dir.exists():
        os.replace(backup, out_dir)
        log.warning("restored the previous tables of %s after an interrupted build", out_dir)
    for stale in out_dir.parent.glob(f".{out_dir.name}.new-*"):
        shutil.rmtree(stale, ignore_errors=True)
