"""The build cache: which file gave which rows, kept as append-only Arrow segments beside out_dir.

An incremental build must not pay for the documents it does not parse. Reading the previous
parquet back (decompressing and decoding a million indicator rows) cost more than the whole
rest of a one-document rebuild, so the rows live a second time in uncompressed Arrow IPC files
that are memory-mapped (no copy, no decoding). A build appends one segment holding the
documents it parsed; rows of documents that changed or went stay in their segment but are no
longer listed as live, and are filtered out when read. When segments pile up or too many of
their rows are stale, the build compacts them into one.

index.json says, for the build whose tables are in out_dir (same build_id as its stamp): each
raw file's cache key, doc_id, sha256 and stat; the segments in row order with their live
doc_ids. A lost or mismatched index only means a full parse next time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from .schema import TABLES

log = logging.getLogger(__name__)

CACHE_INDEX = "index.json"
SEGMENT_SUFFIX = ".arrow"
# Compact into one segment when a build would leave more than this many …
MAX_SEGMENTS = 12
# … or when this share of the documents held in segments is stale.
MAX_STALE_SHARE = 0.25
# A file's hash is reused on a stat match only if the file was last changed this long before the
# build that hashed it: a same-size rewrite within one clock tick would otherwise go unseen
# (git's "racy clean" problem).
RACY_MARGIN_NS = 2_000_000_000


def cache_dir_for(out_dir: Path) -> Path:
    """The build cache: a sibling of out_dir, so that the atomic swap of out_dir keeps it."""
    out_dir = Path(out_dir)
    return out_dir.parent / f".{out_dir.name}.cache"


def stat_key(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def sha256_file(path: Path) -> str:
    """The file's sha256, or "" when it cannot be read (such a file is never reused)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


@dataclass
class Segment:
    """One Arrow file per table, holding the rows of the documents one build parsed."""

    id: str
    live: list[str]  # doc_ids whose rows are current
    held: int  # doc_ids the files hold, live or stale

    def path(self, folder: Path, table: str) -> Path:
        return folder / f"{self.id}.{table}{SEGMENT_SUFFIX}"


@dataclass
class BuildCache:
    folder: Path
    documents: dict[str, dict] = field(default_factory=dict)
    segments: list[Segment] = field(default_factory=list)
    hashed_ns: int = 0

    @classmethod
    def open(cls, out_dir: Path, build_id: str | None) -> BuildCache:
        """The cache of the build whose tables are in out_dir; empty if it belongs to another."""
        cache = cls(cache_dir_for(out_dir))
        if build_id is None:
            return cache
        try:
            index = json.loads((cache.folder / CACHE_INDEX).read_text())
            if index.get("build_id") != build_id:
                return cache
            segments = [
                Segment(s["id"], list(s["live"]), int(s["held"])) for s in index["segments"]
            ]
            if not all(s.path(cache.folder, t).is_file() for s in segments for t in TABLES):
                return cache
            cache.documents = dict(index["documents"])
            cache.segments = segments
            cache.hashed_ns = int(index.get("hashed_ns", 0))
        except (OSError, ValueError, KeyError, TypeError):
            return cls(cache.folder)
        return cache

    def sha256(self, name: str, path: str, st: os.stat_result) -> str:
        """The file's sha256, taken from the index when its stat says it has not changed."""
        entry = self.documents.get(name)
        if (
            entry
            and entry.get("sha")
            and entry.get("stat") == stat_key(st)
            and st.st_mtime_ns < self.hashed_ns - RACY_MARGIN_NS
            and st.st_ctime_ns < self.hashed_ns - RACY_MARGIN_NS
        ):
            return entry["sha"]
        return sha256_file(Path(path))

    def rows(self, keep: set[str]) -> tuple[dict[str, list[pa.Table]], list[Segment]] | None:
        """The cached rows of the doc_ids in keep, in segment order, and the segments they use.

        None when a segment cannot be read or does not have the declared schema (the caller
        then parses everything).
        """
        out: dict[str, list[pa.Table]] = {name: [] for name in TABLES}
        used: list[Segment] = []
        try:
            for seg in self.segments:
                live = [d for d in seg.live if d in keep]
                if not live:
                    continue
                for name, schema in TABLES.items():
                    table = read_ipc(seg.path(self.folder, name))
                    if not table.schema.equals(schema):
                        log.info("build cache has an older schema for %s; parsing all", name)
                        return None
                    if len(live) < seg.held:
                        ids = pa.array(live, pa.string())
                        table = table.filter(pc.is_in(table["doc_id"], value_set=ids))
                    out[name].append(table)
                used.append(Segment(seg.id, live, seg.held))
        except (OSError, pa.ArrowException) as exc:
            log.warning("cannot read the build cache in %s (%s); parsing all", self.folder, exc)
            return None
        return out, used

    def save(
        self,
        build_id: str,
        hashed_ns: int,
        documents: dict[str, dict],
        used: list[Segment],
        parsed: dict[str, pa.Table],
        parsed_ids: list[str],
        everything: dict[str, pa.Table],
    ) -> None:
        """Record the build just written: append the parsed rows, or compact all into one.

        Failure only costs a full parse next time, so it is logged, never raised.
        """
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            live = sum(len(s.live) for s in used)
            held = sum(s.held for s in used)
            stale = (held - live) / max(1, held + len(parsed_ids))
            if len(used) + bool(parsed_ids) > MAX_SEGMENTS or stale > MAX_STALE_SHARE:
                ids = [i for s in used for i in s.live] + parsed_ids
                segments = [self._write_segment(everything, ids)]
            else:
                segments = list(used)
                if parsed_ids:
                    segments.append(self._write_segment(parsed, parsed_ids))
            index = {
                "build_id": build_id,
                "hashed_ns": hashed_ns,
                "segments": [{"id": s.id, "live": s.live, "held": s.held} for s in segments],
                "documents": documents,
            }
            tmp = self.folder / f".{CACHE_INDEX}.{os.getpid()}"
            tmp.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")))
            os.replace(tmp, self.folder / CACHE_INDEX)
            self._collect_garbage({s.id for s in segments})
        except OSError as exc:
            log.warning("cannot write the build cache in %s: %s", self.folder, exc)

    def _write_segment(self, tables: dict[str, pa.Table], ids: list[str]) -> Segment:
        seg = Segment(uuid.uuid4().hex, ids, len(ids))
        for name, schema in TABLES.items():
            write_ipc(tables[name].cast(schema), seg.path(self.folder, name))
        return seg

    def _collect_garbage(self, keep: set[str]) -> None:
        """Remove segment files no index names (mapped ones stay readable until unmapped)."""
        for path in self.folder.glob(f"*{SEGMENT_SUFFIX}"):
            if path.name.split(".", 1)[0] not in keep:
                path.unlink(missing_ok=True)


def read_ipc(path: Path) -> pa.Table:
    """A table memory-mapped from an uncompressed Arrow file: no copy until it is filtered."""
    return pa.ipc.open_file(pa.memory_map(str(path))).read_all()


def write_ipc(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    os.replace(tmp, path)
