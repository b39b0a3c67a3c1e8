"""Safe import and removal of documents: checks, trial parse, locked writes, atomic rebuild.

An import is refused, with a Chinese message, before anything is written when the file is too
large, its name is unsafe, or a trial parse finds no known document kind. Otherwise, under a
lock (fcntl) that serialises imports, the file goes into data/raw under a safe name, its
sources.toml entry is written, an older version of the same unit, year and kind moves to
data/trash (only when the caller confirmed), and the parquet is rebuilt atomically. Any failure
puts data/raw back as it was; the build's own atomic write keeps data/parquet as it was. Every
step on data/raw is journalled first, so that a process killed half-way is settled by the next
add, remove, list, build or import page (reconcile): kept if its tables were swapped in, else
undone.
"""

from __future__ import annotations

import base64
import errno
import fcntl
import hashlib
import json
import logging
import math
import os
import re
import sys
import time
import tomllib
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

import pyarrow.parquet as pq
import tomli_w

from . import corrections
from .build import (
    IGNORED_NAMES,
    MANIFEST_YEARS,
    UnsafeOutput,
    build,
    check_manifest,
    check_output_folder,
    doc_id_for,
    raw_files,
    read_document,
    recover,
    stamp_build_id,
)
from .manifest import MANIFEST_NAME, ManifestError, read_manifest
from .readers import FORMAT_LABELS, SUFFIXES, suffix_of

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
RAW_ENV = "DASHBOARD_RAW_DIR"
PARQUET_ENV = "DASHBOARD_PARQUET_DIR"
MAX_MB_ENV = "IMPORT_MAX_MB"
DEFAULT_MAX_MB = 20.0
# Beside data/raw (never inside it, so the folder's content stays the documents only).
LOCK_NAME = ".lock"
JOURNAL_NAME = ".intake-journal.json"
TRASH_NAME = "trash"
LOCK_TIMEOUT_S = 120.0
LOCK_POLL_S = 0.2
# Longest file name on ext4 and most other file systems, in bytes (not characters: a Chinese
# character takes three bytes in UTF-8, so 90 of them are too many).
NAME_MAX_BYTES = 255
# What the intake may add to a stored name: "-<sha8>-<n>" when the name is taken, the trash's
# "<YYYYmmdd-HHMMSS>-<n>-" prefix and ".sources.toml" sidecar suffix, and an atomic write's
# temporary ".<name>.part-<pid>" (pid up to Linux's pid_max of 4194304).
NAME_GROWTH_BYTES = (
    len("-12345678-999")
    + len("20240101-235959-999-")
    + len(".sources.toml")
    + len("..part-4194304")
)
# Longest name an imported file may have, extension included, in UTF-8 bytes.
MAX_NAME_BYTES = NAME_MAX_BYTES - NAME_GROWTH_BYTES
# Longest unit or region typed into the import form.
MAX_FIELD_CHARS = 100
# Fields the import form and the CLI may set in sources.toml.
EDITABLE = ("unit", "region", "year")
# Names Windows reserves for devices, whatever the extension.
RESERVED_STEMS = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10)]
)
# Unicode categories never allowed in a file name: controls, format characters (such as the
# right-to-left override that disguises an extension), surrogates, private use, separators.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
# Characters that are unsafe on some file system or in a shell; replaced by "_".
_UNSAFE_CHARS = re.compile(r'[<>:"|?*\s]+')
_HEADER = re.compile(r"^\s*\[\[\s*document\s*\]\]\s*(#.*)?$")
# Tests stop an import or removal at a named point here and kill it (tests/test_intake_kill.py):
# "stored" (the file written), "applied" (every change to data/raw made), "built" (new tables
# swapped in, the journal not yet closed).
PAUSE_ENV = "LOADERS_PAUSE_AT"


class ImportRefused(Exception):
    """An import or removal that was not done; str(exc) is a Chinese sentence for the user."""


class Busy(ImportRefused):
    """Another import or removal held the lock longer than the caller would wait."""


class AlreadyImported(ImportRefused):
    """The same bytes (sha256) are already in data/raw."""

    def __init__(self, message: str, existing: str):
        super().__init__(message)
        self.existing = existing


class NeedsConfirmation(ImportRefused):
    """A document of the same unit, year and kind exists; importing would replace it."""

    def __init__(self, message: str, replaces: list[dict]):
        super().__init__(message)
        self.replaces = replaces


# --- locations and limits -----------------------------------------------------------------------


def raw_dir() -> Path:
    """The documents folder; DASHBOARD_RAW_DIR overrides data/raw (tests, previews)."""
    return Path(os.environ.get(RAW_ENV) or ROOT / "data" / "raw")


def parquet_dir() -> Path:
    """The tables folder; DASHBOARD_PARQUET_DIR overrides data/parquet."""
    return Path(os.environ.get(PARQUET_ENV) or ROOT / "data" / "parquet")


def trash_dir(raw: Path) -> Path:
    """Where removed and replaced documents go: data/trash beside data/raw."""
    return Path(raw).parent / TRASH_NAME


def check_folders(raw: Path, out: Path) -> None:
    """ImportRefused unless a build may write out from raw (build.check_output_folder)."""
    try:
        check_output_folder(raw, out)
    except UnsafeOutput as exc:
        raise ImportRefused(str(exc)) from exc


# errno values that mean "this folder may not be written", whoever asks.
NOT_WRITABLE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def _not_writable(folder: Path, reason: str, undone: bool = False) -> ImportRefused:
    outcome = "已撤销，data/raw 和数据表均保持原样" if undone else "未做任何改动"
    return ImportRefused(
        f"文件夹 {folder} 不可写（{reason}）：导入和移除要在文档文件夹及其上级文件夹中写入"
        f"文档、锁文件、记录和回收站，请管理员检查文件夹权限；{outcome}。"
    )


def check_writable(raw: Path) -> None:
    """ImportRefused naming the folder when raw or its parent (lock, journal, trash) is read-only."""
    for folder in (Path(raw), Path(raw).parent):
        if not os.access(folder, os.W_OK | os.X_OK):
            raise _not_writable(folder, "只读或权限不足")


def max_mb() -> float:
    """The import size limit in megabytes: IMPORT_MAX_MB, default 20."""
    text = os.environ.get(MAX_MB_ENV, "").strip()
    try:
        mb = float(text) if text else DEFAULT_MAX_MB
    except ValueError:
        log.warning("%s=%r is not a number; using %s MB", MAX_MB_ENV, text, DEFAULT_MAX_MB)
        mb = DEFAULT_MAX_MB
    return max(mb, 0.0)


def upload_limit_mb() -> int:
    """server.maxUploadSize for Streamlit: the import limit in whole megabytes, at least 1.

    Streamlit holds an upload in memory up to that size before the page can refuse it, so it
    must not exceed the import limit (.streamlit/config.toml for the default, run.sh for
    IMPORT_MAX_MB).
    """
    return max(1, math.ceil(max_mb()))


def max_bytes() -> int:
    return int(max_mb() * 2**20)


def size_text(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 1024:.1f} KB"


def check_size(size: int) -> None:
    if size == 0:
        raise ImportRefused("文件为空：请选择包含绩效表格内容的文件。")
    if size > max_bytes():
        raise ImportRefused(
            f"文件过大（{size_text(size)}），超过导入上限 {max_mb():g} MB："
            f"请拆分文件，或由管理员调高 {MAX_MB_ENV}。"
        )


# --- file names ---------------------------------------------------------------------------------


def printable(name: str) -> str:
    """name with control and invisible characters shown as escapes (\\x00, \\u202e)."""
    return "".join(
        ascii(c)[1:-1] if unicodedata.category(c) in FORBIDDEN_CATEGORIES else c for c in name
    )


def safe_name(name: str) -> str:
    """The name a file is stored under in data/raw, or ImportRefused saying what is wrong.

    Paths, hidden and reserved names, control and format characters and unknown extensions are
    refused; characters unsafe on some file system become "_"; Chinese is kept.
    """
    if not isinstance(name, str):
        raise TypeError(f"safe_name() takes a str, not {type(name).__name__}")
    if any(unicodedata.category(c) in FORBIDDEN_CATEGORIES for c in name):
        shown = printable(name[:80])
        raise ImportRefused(
            f"文件名“{shown}”含有控制字符或不可见字符：请重命名文件（只用文字、数字、-、_）后再导入。"
        )
    name = unicodedata.normalize("NFC", name).strip()
    if not name:
        raise ImportRefused("文件名为空：请给文件起一个名称后再导入。")
    parts = set(PurePosixPath(name).parts) | set(PureWindowsPath(name).parts)
    if "/" in name or "\\" in name or ".." in parts:
        raise ImportRefused(f"文件名“{name}”包含路径（/、\\ 或 ..），不能导入：请只上传文件本身。")
    if name.startswith((".", "~$")):
        raise ImportRefused(f"文件名“{name}”是隐藏文件或临时文件的名称：请重命名后再导入。")
    suffix = suffix_of(name)
    if suffix not in SUFFIXES:
        allowed = "、".join(SUFFIXES)
        raise ImportRefused(f"不支持的文件类型“{suffix or '无扩展名'}”：可导入 {allowed} 文件。")
    stem = _UNSAFE_CHARS.sub("_", name[: -len(suffix)]).strip(" ._")
    if not stem:
        raise ImportRefused(f"文件名“{name}”只有扩展名：请给文件起一个名称后再导入。")
    if stem.split(".")[0].lower() in RESERVED_STEMS:
        raise ImportRefused(f"文件名“{name}”是系统保留的名称：请重命名后再导入。")
    safe = stem + suffix
    size = len(safe.encode("utf-8"))
    if size > MAX_NAME_BYTES:
        raise ImportRefused(
            f"文件名过长（{size} 字节，上限 {MAX_NAME_BYTES} 字节，约 {MAX_NAME_BYTES // 3} 个汉字；"
            f"一个汉字占 3 字节）：请将“{safe[:20]}…”缩短后再导入。"
        )
    if safe in IGNORED_NAMES or safe.lower() in {n.lower() for n in IGNORED_NAMES}:
        raise ImportRefused(f"文件名“{name}”是 data/raw 中的保留文件名：请重命名后再导入。")
    return safe


def _stored_name(raw: Path, safe: str, sha: str) -> str:
    """safe, or safe with the content hash added when another file already has that name."""
    if not (raw / safe).exists():
        return safe
    suffix = suffix_of(safe)
    stem = safe[: -len(suffix)]  # safe_name kept it short enough for what is added here
    candidate, n = f"{stem}-{sha[:8]}{suffix}", 1
    while (raw / candidate).exists():
        n += 1
        candidate = f"{stem}-{sha[:8]}-{n}{suffix}"
    return candidate


# --- the form's fields --------------------------------------------------------------------------


def clean_fields(unit=None, region=None, year=None) -> dict:
    """unit / region / year as typed, checked: only those given, or ImportRefused."""
    out: dict = {}
    for key, value in (("unit", unit), ("region", region)):
        text = "" if value is None else str(value).strip()
        if not text:
            continue
        label = "单位" if key == "unit" else "地区"
        if any(unicodedata.category(c) in FORBIDDEN_CATEGORIES for c in text):
            raise ImportRefused(
                f"{label}“{printable(text[:40])}”含有换行、制表符等控制字符或不可见字符："
                "请写在一行内，只用文字、数字和标点。"
            )
        if len(text) > MAX_FIELD_CHARS:
            raise ImportRefused(
                f"{label}“{text[:40]}…”过长（{len(text)} 字）：请填写不超过 {MAX_FIELD_CHARS} 字的名称。"
            )
        out[key] = text
    text = "" if year is None else str(year).strip().removesuffix("年").strip()
    if text:
        try:
            number = int(text)
        except ValueError:
            number = None
        if number is None or number not in MANIFEST_YEARS:
            first, last = MANIFEST_YEARS[0], MANIFEST_YEARS[-1]
            raise ImportRefused(
                f"年度“{year}”无效：请填写 {first}–{last} 之间的四位年份，如 2023。"
            )
        out["year"] = number
    return out


# --- the trial parse ----------------------------------------------------------------------------


@dataclass
class Preview:
    """What importing a file would load, or why it cannot be imported (refusal)."""

    original_name: str
    size: int
    sha256: str
    name: str | None = None
    label: str = ""
    document: dict = field(default_factory=dict)
    projects: list[dict] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    refusal: str | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None

    @property
    def kind(self) -> str:
        return self.document.get("doc_kind") or "unknown"

    @property
    def encoding(self) -> str | None:
        return self.document.get("encoding")


def inspect(
    name: str, data: bytes, entry: dict | None = None, stored_as: str | None = None
) -> Preview:
    """Check and trial-parse one file in memory; never writes. entry: its sources.toml fields."""
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"inspect() takes the file's bytes, not {type(data).__name__}")
    data = bytes(data)
    preview = Preview(name, len(data), hashlib.sha256(data).hexdigest())
    try:
        check_size(len(data))
        preview.name = stored_as or safe_name(name)
    except ImportRefused as exc:
        preview.refusal = str(exc)
        return preview
    preview.label = FORMAT_LABELS.get(suffix_of(preview.name), "")
    result = read_document(preview.name, data, entry)
    preview.document = result["document"]
    preview.projects = result["projects"]
    preview.indicators = result["indicators"]
    preview.findings = result["findings"]
    unreadable = [f["message"] for f in result["findings"] if f["code"] == "UNREADABLE"]
    if unreadable or preview.kind == "unknown":
        preview.refusal = "无法导入：" + (unreadable[0] if unreadable else "未识别的文档类型。")
    return preview


# --- what is already loaded ---------------------------------------------------------------------


def _sha_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def catalogue(raw: Path, out: Path) -> list[dict]:
    """One documents row per file in raw: from the parquet where it matches, else parsed now."""
    raw, out = Path(raw), Path(out)
    known: dict[tuple[str, str], dict] = {}
    try:
        for row in pq.read_table(out / "documents.parquet").to_pylist():
            known[(row.get("source_file"), row.get("sha256"))] = row
    except (OSError, ValueError):
        pass
    manifest = _manifest_or_refuse(raw)
    rows = []
    for path in raw_files(raw):
        sha = _sha_of(path)
        row = known.get((path.name, sha))
        if row is None:
            row = read_document(path.name, path.read_bytes(), manifest.get(path.name))["document"]
        rows.append(row)
    return rows


def existing_matches(document: dict, rows: list[dict]) -> tuple[dict | None, list[dict]]:
    """(the row with the same bytes, rows of the same unit, year and kind) among rows."""
    same = next((r for r in rows if r.get("sha256") == document.get("sha256")), None)
    key = tuple(document.get(k) for k in ("unit", "year", "doc_kind"))
    if None in key or "" in key or key[2] == "unknown":
        return same, []
    older = [
        r
        for r in rows
        if r is not same and tuple(r.get(k) for k in ("unit", "year", "doc_kind")) == key
    ]
    return same, older


def describe(row: dict) -> str:
    year = row.get("year")
    return f"{row.get('source_file')}（{row.get('unit') or '单位未知'}，{year or '年度未知'}）"


# --- the lock -----------------------------------------------------------------------------------


@contextmanager
def locked(raw: Path, timeout_s: float | None = None):
    """Hold the import lock beside raw; ImportRefused when another import holds it too long."""
    path = Path(raw).parent / LOCK_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(path, "a")  # closed by the with below, after the lock is released
    except OSError as exc:
        if exc.errno in NOT_WRITABLE:
            raise _not_writable(path.parent, exc.strerror) from exc
        raise
    with lock:
        deadline = time.monotonic() + (LOCK_TIMEOUT_S if timeout_s is None else timeout_s)
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                if time.monotonic() > deadline:
                    raise Busy("另一个导入或移除正在进行：请稍后再试。") from exc
                time.sleep(LOCK_POLL_S)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# --- sources.toml -------------------------------------------------------------------------------


def _manifest_or_refuse(raw: Path) -> dict[str, dict]:
    try:
        manifest = read_manifest(raw)
        check_manifest(manifest)
    except ManifestError as exc:
        raise ImportRefused(f"data/raw/{MANIFEST_NAME} 有错误，请先修正：{exc}") from exc
    return manifest


def _blocks(text: str) -> tuple[list[str], list[list[str]]]:
    """The manifest's lines before the first [[document]], and each entry's lines.

    Comment lines directly above a [[document]] header (no blank line between) belong to it.
    """
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if _HEADER.match(line)]
    if not starts:
        return lines, []
    bounds = []
    for start in starts:
        begin = start
        while begin > 0 and lines[begin - 1].lstrip().startswith("#"):
            begin -= 1
        bounds.append(begin)
    preamble = lines[: bounds[0]]
    blocks = [lines[b:e] for b, e in zip(bounds, bounds[1:] + [len(lines)], strict=True)]
    return preamble, blocks


def _block_file(block: list[str]) -> str | None:
    try:
        entries = tomllib.loads("\n".join(block)).get("document") or [{}]
        return str(entries[0].get("file"))
    except (tomllib.TOMLDecodeError, AttributeError, IndexError, TypeError):
        return None


def manifest_text(text: str, drop: set[str], add: dict | None = None) -> str:
    """sources.toml's text without the entries of drop, plus add; comments elsewhere are kept."""
    current = _parse_entries(text)
    if add is None and not drop & set(current):
        return text
    preamble, blocks = _blocks(text)
    kept = [b for b in blocks if _block_file(b) not in drop]
    lines = preamble + [line for block in kept for line in block]
    while lines and not lines[-1].strip():
        lines.pop()
    out = "\n".join(lines)
    if add:
        out += ("\n\n" if out else "") + entry_text(add).rstrip("\n")
    out = out + "\n" if out else ""
    expected = {
        **{k: v for k, v in current.items() if k not in drop},
        **({add["file"]: add} if add else {}),
    }
    if _parse_entries(out) != expected:  # an unusual layout: write the entries plainly
        out = "\n".join(entry_text(e) for e in expected.values())
    return out


def entry_text(entry: dict) -> str:
    """One [[document]] entry as TOML (tomli_w would write a short one as an inline table)."""
    return "[[document]]\n" + tomli_w.dumps(entry)


def _parse_entries(text: str) -> dict[str, dict]:
    entries = tomllib.loads(text).get("document", []) if text.strip() else []
    return {str(e["file"]): e for e in entries}


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.parent / f".{path.name}.part-{os.getpid()}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --- import and removal -------------------------------------------------------------------------


@dataclass
class Change:
    """What an import or removal did: files stored, files moved to data/trash, the new counts."""

    stored: str | None = None
    doc_id: str | None = None
    trashed: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)


class _Journal:
    """Reversible steps on data/raw, each written ahead to a journal beside data/raw.

    undo() puts every touched file back as it was. A process killed half-way (kill -9, power)
    leaves the journal behind, and reconcile() settles it at the next start: the change is kept
    when its tables were swapped in (the stamp's build_id moved on), otherwise undone.
    """

    def __init__(self, raw: Path, out: Path):
        self.path = journal_path(raw)
        self.record = {
            "raw": str(Path(raw).absolute()),
            "out": str(Path(out).absolute()),
            "build_before": stamp_build_id(out),
            "pid": os.getpid(),
            "steps": [],
        }
        self._save()

    def _save(self) -> None:
        _write_atomic(self.path, json.dumps(self.record, ensure_ascii=False).encode("utf-8"))

    def _log(self, step: dict) -> None:
        self.record["steps"].append(step)
        self._save()

    def write(self, path: Path, data: bytes) -> None:
        before = path.read_bytes() if path.exists() else None
        encoded = None if before is None else base64.b64encode(before).decode("ascii")
        self._log({"op": "write", "path": str(path.absolute()), "before": encoded})
        _write_atomic(path, data)

    def move(self, src: Path, dst: Path) -> None:
        dst.parent.mkdir(parents=True, exist_ok=True)
        self._log({"op": "move", "src": str(src.absolute()), "dst": str(dst.absolute())})
        os.replace(src, dst)

    def committed(self) -> bool:
        """Were new tables swapped in since the journal opened? Then the change stands."""
        return _committed(self.record)

    def undo(self) -> bool:
        """Undo every step; close the journal when all went back (else leave it for the next)."""
        if _undo_steps(self.record):
            self.close()
            return True
        return False

    def close(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError:  # the next start finds the new build_id and keeps the change
            log.warning("could not remove %s", self.path, exc_info=True)


def _committed(record: dict) -> bool:
    out = Path(record["out"])
    try:
        recover(out)  # a kill or failure between the two renames of swap_in
    except OSError:
        log.warning("could not restore the previous tables of %s", out, exc_info=True)
    return stamp_build_id(out) != record.get("build_before")


def _undo_steps(record: dict) -> bool:
    """Put back what a journal's steps changed, newest first; each step may be undone twice
    (the journal records a step before doing it). False if one could not be undone."""
    done = True
    for step in reversed(record["steps"]):
        try:
            if step["op"] == "write":
                path = Path(step["path"])
                path.with_name(f".{path.name}.part-{record['pid']}").unlink(missing_ok=True)
                if step["before"] is None:
                    path.unlink(missing_ok=True)
                else:
                    _write_atomic(path, base64.b64decode(step["before"]))
            else:
                src, dst = Path(step["src"]), Path(step["dst"])
                if dst.exists() and not src.exists():
                    os.replace(dst, src)
        except OSError:
            log.exception("could not undo %s of an import in %s", step, record["raw"])
            done = False
    return done


def journal_path(raw: Path) -> Path:
    """The journal of the import or removal under way (or killed): beside data/raw."""
    return Path(raw).parent / JOURNAL_NAME


def reconcile(raw: Path) -> None:
    """Settle an import or removal that was killed half-way. Call under the lock.

    Kept when its tables were swapped in, undone otherwise: a document is then in data/raw only
    if it is in the tables (as far as imports go), and `list` and the page tell the truth.
    """
    path = journal_path(raw)
    try:
        record = json.loads(path.read_bytes())
        steps = record["steps"]
        if not isinstance(record["out"], str):
            raise TypeError("out is not a path")
    except FileNotFoundError:
        return
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ImportRefused(
            f"上次中断的导入留下的记录 {path} 无法读取（{exc}）：请管理员核对 data/raw 后删除该文件。"
        ) from exc
    names = [Path(s.get("path") or s.get("src")).name for s in steps]
    if _committed(record):
        log.warning("上次导入或移除在数据表重建之后被中断，已保留其结果（%s）。", "、".join(names))
    elif _undo_steps(record):
        log.warning(
            "上次导入或移除在数据表重建之前被中断，已撤销：data/raw 恢复原样（%s）。",
            "、".join(names),
        )
    else:
        raise ImportRefused(
            f"上次中断的导入未能完全撤销：请管理员按 {path} 核对 data/raw，然后删除该文件。"
        )
    path.unlink(missing_ok=True)


def recover_interrupted(raw: Path, timeout_s: float | None = None) -> None:
    """reconcile() under the lock when a journal is there; costs one stat when none is."""
    if journal_path(raw).exists():
        with locked(raw, timeout_s):
            reconcile(raw)


def _pause_at(point: str) -> None:
    """Stop here for good when PAUSE_ENV names point: for tests that kill the process here."""
    if os.environ.get(PAUSE_ENV) == point:
        sys.stderr.write(f"paused at {point}\n")
        sys.stderr.flush()
        while True:
            time.sleep(60)


def _trash_path(raw: Path, name: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = trash_dir(raw) / f"{stamp}-{name}"
    n = 1
    while path.exists() or path.with_name(path.name + ".sources.toml").exists():
        n += 1
        path = trash_dir(raw) / f"{stamp}-{n}-{name}"
    return path


def _transaction(raw: Path, out: Path, apply) -> dict:
    """Run apply(journal) on raw, then rebuild out; on any failure undo raw and re-raise.

    A failure is raised as ImportRefused with a message for the user; the build writes out
    atomically, so out keeps its previous tables.
    """
    journal = None
    try:
        journal = _Journal(raw, out)
        apply(journal)
        _pause_at("applied")
        counts = build(raw, out)
        _pause_at("built")
    except BaseException as exc:
        if journal is not None and journal.committed():
            journal.close()  # the new tables are in: data/raw stays as they were built from
            raise
        if journal is not None:
            journal.undo()
        if isinstance(exc, ImportRefused) or not isinstance(exc, Exception):
            raise
        log.exception("import into %s failed and was undone", raw)
        if isinstance(exc, OSError) and exc.errno in NOT_WRITABLE:
            folder = Path(exc.filename).parent if exc.filename else raw
            raise _not_writable(folder, exc.strerror, undone=True) from exc
        # the reason without the file's path: the page shows this message to every user
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else ""
        raise ImportRefused(
            f"操作失败（{type(exc).__name__}{': ' + reason if reason else ''}），已撤销："
            "data/raw 和数据表均保持原样，请检查磁盘空间与文件权限后重试；详情见服务器日志。"
        ) from exc
    journal.close()
    return counts


def _trash(undo: _Journal, raw: Path, name: str, entry: dict | None) -> None:
    target = _trash_path(raw, name)
    undo.move(raw / name, target)
    if entry:
        sidecar = target.with_name(target.name + ".sources.toml")
        undo.write(sidecar, entry_text(entry).encode("utf-8"))
    fixes = corrections.path_for(raw, name)
    if fixes.exists():  # 校对 records go with their document (a new version got a copy)
        undo.move(fixes, target.with_name(target.name + corrections.SUFFIX))


def add(
    name: str,
    data: bytes,
    raw: Path | None = None,
    out: Path | None = None,
    fields: dict | None = None,
    replace: bool = False,
) -> Change:
    """Import one file: checks, trial parse, store, sources.toml, rebuild. Raises ImportRefused.

    fields: unit / region / year for sources.toml (see clean_fields). replace: confirmed that
    documents of the same unit, year and kind move to data/trash.
    """
    raw = Path(raw or raw_dir())
    out = Path(out or parquet_dir())
    data = bytes(data)
    check_size(len(data))
    safe = safe_name(name)
    fields = clean_fields(**{k: (fields or {}).get(k) for k in EDITABLE})
    if not raw.is_dir():
        raise ImportRefused(f"文档文件夹 {raw} 不存在：请检查 {RAW_ENV} 或 data/raw。")
    check_folders(raw, out)
    check_writable(raw)
    with locked(raw):
        reconcile(raw)
        manifest = _manifest_or_refuse(raw)
        sha = hashlib.sha256(data).hexdigest()
        stored = _stored_name(raw, safe, sha)
        entry = {"file": stored, **manifest.get(stored, {}), **fields} if fields else None
        if entry is None and stored in manifest:
            entry = manifest[stored]
        preview = inspect(name, data, entry, stored_as=stored)
        if not preview.ok:
            raise ImportRefused(preview.refusal)
        rows = catalogue(raw, out)
        same, older = existing_matches(preview.document, rows)
        if same is not None:
            raise AlreadyImported(
                f"该文件已导入：与 {describe(same)} 内容完全相同，未重复导入。", same["source_file"]
            )
        if older and not replace:
            raise NeedsConfirmation(
                "已有同一单位、同一年度的同类文档："
                + "、".join(describe(r) for r in older)
                + "。确认替换后，旧版本将移入 data/trash/。",
                older,
            )
        old_names = {r["source_file"] for r in older}
        text = (raw / MANIFEST_NAME).read_text("utf-8") if (raw / MANIFEST_NAME).exists() else ""
        new_text = manifest_text(text, old_names | {stored}, entry)

        def apply(undo: _Journal) -> None:
            undo.write(raw / stored, data)
            _pause_at("stored")
            if new_text != text:
                undo.write(raw / MANIFEST_NAME, new_text.encode("utf-8"))
            for old in sorted(old_names):
                carried = corrections.carry_over(raw, old, stored)
                if carried is not None:
                    corrections.folder(raw).mkdir(exist_ok=True)
                    undo.write(corrections.path_for(raw, stored), carried)
                _trash(undo, raw, old, manifest.get(old))

        counts = _transaction(raw, out, apply)
    log.info("imported %s as %s", name, stored)
    return Change(stored, doc_id_for(stored, sha), sorted(old_names), counts)


def find(raw: Path, doc: str) -> Path:
    """The file in raw whose doc_id (or file name) is doc, or ImportRefused."""
    for path in raw_files(raw):
        if doc == path.name or doc == doc_id_for(path.name, _sha_of(path)):
            return path
    raise ImportRefused(f"未找到文档“{doc}”：请用 python -m loaders list 查看 doc_id。")


def remove(doc: str, raw: Path | None = None, out: Path | None = None) -> Change:
    """Move a document (by doc_id or file name) to data/trash and rebuild. Raises ImportRefused."""
    raw = Path(raw or raw_dir())
    out = Path(out or parquet_dir())
    check_folders(raw, out)
    check_writable(raw)
    with locked(raw):
        reconcile(raw)
        path = find(raw, doc)
        manifest = _manifest_or_refuse(raw)
        text = (raw / MANIFEST_NAME).read_text("utf-8") if (raw / MANIFEST_NAME).exists() else ""
        new_text = manifest_text(text, {path.name})
        doc_id = doc_id_for(path.name, _sha_of(path))

        def apply(undo: _Journal) -> None:
            _trash(undo, raw, path.name, manifest.get(path.name))
            if new_text != text:
                undo.write(raw / MANIFEST_NAME, new_text.encode("utf-8"))

        counts = _transaction(raw, out, apply)
    log.info("moved %s to %s", path.name, trash_dir(raw))
    return Change(None, doc_id, [path.name], counts)
