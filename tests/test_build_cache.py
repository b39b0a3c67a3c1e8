"""The incremental build cache: segments, compaction, reused hashes and a damaged cache."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from loaders import buildcache
from loaders.build import build
from loaders.buildcache import CACHE_INDEX, SEGMENT_SUFFIX, cache_dir_for
from synth import generate, write_corpus

SEED = 515
TABLE_NAMES = ("documents", "projects", "indicators", "findings", "totals")
# documents columns that record when and how a file was read, not what it says
VOLATILE = ("loaded_at",)


def _frame(out: Path, name: str) -> pd.DataFrame:
    frame = pd.read_parquet(out / f"{name}.parquet")
    frame = frame.drop(columns=[c for c in VOLATILE if c in frame.columns])
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _same_as_full_build(raw: Path, out: Path, tmp_path: Path) -> None:
    full = tmp_path / f"full_{len(list(tmp_path.iterdir()))}" / "parquet"
    build(raw, full)
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(_frame(out, name), _frame(full, name), obj=name)


def _segments(out: Path) -> set[str]:
    return {p.name.split(".")[0] for p in cache_dir_for(out).glob(f"*{SEGMENT_SUFFIX}")}


@pytest.fixture
def corpus(tmp_path) -> tuple[Path, Path]:
    write_corpus(12, SEED, tmp_path / "corpus")
    return tmp_path / "corpus" / "raw", tmp_path / "out" / "parquet"


def test_a_run_of_changes_gives_what_a_full_build_gives(corpus, tmp_path, monkeypatch):
    """Add, change, remove and re-add documents; compaction kicks in past two segments."""
    monkeypatch.setattr(buildcache, "MAX_SEGMENTS", 2)
    raw, out = corpus
    assert build(raw, out)["parsed"] == 12
    assert len(_segments(out)) == 1
    files = sorted(raw.iterdir())

    (raw / "added_a.txt").write_text(generate(900, SEED).text)
    counts = build(raw, out)
    assert (counts["parsed"], counts["reused"]) == (1, 12)
    assert len(_segments(out)) == 2
    _same_as_full_build(raw, out, tmp_path)

    removed = files[3].read_bytes()
    files[3].unlink()
    counts = build(raw, out)
    assert (counts["parsed"], counts["reused"], counts["documents"]) == (0, 12, 12)
    assert len(_segments(out)) == 2  # its rows stay in their segment, no longer live
    _same_as_full_build(raw, out, tmp_path)

    files[3].write_bytes(removed)  # the same bytes again: parsed again, the stale rows stay out
    files[5].write_text(files[5].read_text() + "\n")
    counts = build(raw, out)
    assert (counts["parsed"], counts["reused"]) == (2, 11)
    assert len(_segments(out)) == 1  # a third segment would pass MAX_SEGMENTS: compacted
    _same_as_full_build(raw, out, tmp_path)

    assert build(raw, out)["parsed"] == 0
    _same_as_full_build(raw, out, tmp_path)


def test_many_stale_rows_are_compacted_away(corpus, tmp_path):
    raw, out = corpus
    build(raw, out)
    for f in sorted(raw.iterdir())[:4]:  # 4 of 12 gone: a third of the held documents stale
        f.unlink()
    build(raw, out)
    assert len(_segments(out)) == 1
    index = json.loads((cache_dir_for(out) / CACHE_INDEX).read_text())
    assert [(len(s["live"]), s["held"]) for s in index["segments"]] == [(8, 8)]
    _same_as_full_build(raw, out, tmp_path)


def test_an_unchanged_file_is_not_read_again(corpus, monkeypatch):
    """Its hash comes from the index when size, mtime, ctime and inode match."""
    monkeypatch.setattr(buildcache, "RACY_MARGIN_NS", -(10**12))  # trust just-written files
    raw, out = corpus
    build(raw, out)
    hashed = []
    real = buildcache.sha256_file
    monkeypatch.setattr(buildcache, "sha256_file", lambda p: hashed.append(p.name) or real(p))
    target = sorted(raw.iterdir())[2]
    target.write_text(target.read_text() + "\n")
    counts = build(raw, out)
    assert hashed == [target.name]
    assert (counts["parsed"], counts["reused"]) == (1, 11)


def test_a_same_size_rewrite_with_its_old_mtime_is_still_seen(corpus, monkeypatch):
    """ctime cannot be set back, so the stat no longer matches and the file is hashed."""
    monkeypatch.setattr(buildcache, "RACY_MARGIN_NS", -(10**12))
    raw, out = corpus
    build(raw, out)
    target = next(p for p in sorted(raw.iterdir()) if "优" in p.read_text())
    before = target.stat()
    target.write_text(target.read_text().replace("优", "良", 1))  # same byte length
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_size == before.st_size
    counts = build(raw, out)
    assert counts["parsed"] == 1


def test_a_file_changed_just_before_the_build_is_hashed_again(corpus, monkeypatch):
    """Within RACY_MARGIN_NS of the build that hashed it, a stat match proves nothing."""
    raw, out = corpus
    build(raw, out)
    hashed = []
    real = buildcache.sha256_file
    monkeypatch.setattr(buildcache, "sha256_file", lambda p: hashed.append(p.name) or real(p))
    build(raw, out)
    assert len(hashed) == 12  # the corpus was written moments before: every file is racy


@pytest.mark.parametrize("damage", ["segment", "index", "schema"])
def test_a_damaged_cache_means_a_full_parse_not_wrong_rows(corpus, tmp_path, damage):
    raw, out = corpus
    build(raw, out)
    folder = cache_dir_for(out)
    if damage == "segment":
        next(folder.glob(f"*.indicators{SEGMENT_SUFFIX}")).unlink()
    elif damage == "index":
        (folder / CACHE_INDEX).write_text("{not json")
    else:  # a segment from an older schema: one column fewer
        path = next(folder.glob(f"*.projects{SEGMENT_SUFFIX}"))
        table = buildcache.read_ipc(path)
        buildcache.write_ipc(table.drop_columns([table.column_names[-1]]), path)
        assert buildcache.read_ipc(path).schema != pa.schema(table.schema)
    (raw / "added.txt").write_text(generate(901, SEED).text)
    counts = build(raw, out)
    assert (counts["parsed"], counts["reused"]) == (13, 0)
    _same_as_full_build(raw, out, tmp_path)
