"""Loader benchmark: prints CPU time on the seeds, throughput per kind and peak memory.

    .venv/bin/python bench/bench_loaders.py [--mb 20] [--profile] [--heap]

Figures (targets from issue 2):
1. CPU time to read all seeds after imports (decode, detect, parse, cross-check), first pass
   and best of several: target < 0.5 s.
2. Throughput on one core, two ways, each on 20 MB or more of text:
   a. "concatenated": each seed repeated until it is one document of >= --mb MB, parsed once
      (finds work that grows faster than the text: quadratic scans);
   b. "seed set": the five seeds read again and again until >= --mb MB went through.
   Target >= 5 MB/s. Each run is a fresh process, so its peak memory is its own.
   The seed-set run also gives CPU per kind, to show which parser is slow.
3. Peak memory: ru_maxrss of each run's process (with --heap also the tracemalloc peak of a
   second pass, which is slow): target < 500 MB.
A run below target is profiled with cProfile on a quarter of its text (every run with --profile).
CPU time (time.process_time) is used throughout, so other load on the machine matters little.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing as mp
import pstats
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"
sys.path.insert(0, str(ROOT))

TARGET_SEED_CPU_S = 0.5
TARGET_MB_PER_S = 5.0
TARGET_PEAK_MB = 500.0
SEED_PASSES = 5
PROFILE_LINES = 15
# Share of a run's text that a profile of it reads.
PROFILE_SHARE = 0.25
MB = 1024 * 1024


def seed_files() -> list[Path]:
    from loaders.build import raw_files

    return [p for p in raw_files(RAW) if p.suffix == ".txt"]


_CRASHED: set[str] = set()


def read(name: str, raw: bytes, entry: dict | None = None) -> dict:
    """read_document as the build calls it: a parser crash counts as an UNREADABLE document."""
    from loaders.build import _unreadable, doc_id_for, read_document

    try:
        return read_document(name, raw, entry)
    except Exception as exc:  # a benchmark of a broken parser still prints its figures
        if name not in _CRASHED:
            _CRASHED.add(name)
            print(f"  ! {name}: parser crashed ({type(exc).__name__}: {exc})", file=sys.stderr)
        return _unreadable(doc_id_for(name, "crashed"), name, "", len(raw), "crashed")


def seeds_cpu() -> tuple[float, float, list[tuple[str, str, float]]]:
    """CPU seconds for one pass over the seeds: the first pass and the best of SEED_PASSES."""
    from loaders.manifest import read_manifest

    manifest = read_manifest(RAW)
    files = [(p.name, p.read_bytes()) for p in seed_files()]
    passes, per_doc = [], []
    for i in range(SEED_PASSES):
        started = time.process_time()
        for name, raw in files:
            t0 = time.process_time()
            result = read(name, raw, manifest.get(name))
            if i == 0:
                per_doc.append((name, result["document"]["doc_kind"], time.process_time() - t0))
        passes.append(time.process_time() - started)
    return passes[0], min(passes), per_doc


def _concatenated(path: Path, mb: float) -> bytes:
    one = path.read_bytes().rstrip(b"\n") + b"\n"
    return one * (int(mb * MB / len(one)) + 1)


def run_concatenated(args: tuple[str, float, bool, bool]) -> dict:
    """In a fresh process: one seed repeated to >= mb MB, read as one document."""
    name, mb, profile, heap = args

    def work(share: float = 1.0) -> list[dict]:
        raw = _concatenated(RAW / name, mb * share)
        return [read(name, raw)]

    return _timed(work, profile, heap)


def run_seed_set(args: tuple[str, float, bool, bool]) -> dict:
    """In a fresh process: the seed set read again and again until >= mb MB went through."""
    _, mb, profile, heap = args
    files = [(p.name, p.read_bytes()) for p in seed_files()]
    size = sum(len(raw) for _, raw in files)
    by_kind: dict[str, list[float]] = {}
    calls = []

    def work(share: float = 1.0) -> list[dict]:
        calls.append(share)
        out = []
        for _ in range(int(mb * share * MB / size) + 1):
            for name, raw in files:
                started = time.process_time()
                result = read(name, raw)
                cpu = time.process_time() - started
                if len(calls) == 1:  # the timed pass only, not the heap or profile passes
                    totals = by_kind.setdefault(result["document"]["doc_kind"], [0.0, 0.0])
                    totals[0] += cpu
                    totals[1] += len(raw) / MB
                out.append(result)
        return out

    result = _timed(work, profile, heap)
    result["by_kind"] = {k: (mb_, cpu) for k, (cpu, mb_) in by_kind.items()}
    return result


def _timed(work, profile: bool, heap: bool) -> dict:
    started = time.process_time()
    results = work()
    cpu = time.process_time() - started
    n_bytes = sum(r["document"]["size_bytes"] for r in results)
    out = {
        "mb": n_bytes / MB,
        "cpu": cpu,
        "mb_per_s": n_bytes / MB / cpu if cpu else float("inf"),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
        "traced_mb": None,
        "kind": results[0]["document"]["doc_kind"],
        "rows": sum(len(r["projects"]) + len(r["indicators"]) for r in results),
        "unreadable": sum(f["code"] == "UNREADABLE" for r in results for f in r["findings"]),
    }
    del results
    if heap:
        tracemalloc.start()
        work()
        out["traced_mb"] = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()
    if profile or out["mb_per_s"] < TARGET_MB_PER_S:
        prof = cProfile.Profile()
        prof.enable()
        work(PROFILE_SHARE)
        prof.disable()
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(PROFILE_LINES)
        out["profile"] = text.getvalue()
    return out


def in_child(func, args):
    """Run func(args) in a fresh interpreter, so that memory and timing are its own."""
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(func, (args,))


def mark(ok: bool) -> str:
    return "ok  " if ok else "SLOW"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0, help="text per throughput run (MB)")
    parser.add_argument("--profile", action="store_true", help="profile every run")
    parser.add_argument("--heap", action="store_true", help="also measure the tracemalloc peak")
    args = parser.parse_args()

    first, best, per_doc = seeds_cpu()
    total = sum(p.stat().st_size for p in seed_files()) / MB
    print(f"seeds: {len(per_doc)} documents, {total:.2f} MB")
    for name, kind, cpu in per_doc:
        print(f"  {name:<28} {kind:<24} {cpu * 1000:7.1f} ms CPU (first pass)")
    print(
        f"[{mark(first < TARGET_SEED_CPU_S)}] CPU to read all seeds after imports: first pass "
        f"{first:.3f} s, best of {SEED_PASSES} {best:.3f} s (target < {TARGET_SEED_CPU_S} s)"
    )

    print(f"\nthroughput on one core, >= {args.mb:g} MB each, one fresh process per run")
    print(f"  {'run':<40} {'MB':>6} {'CPU s':>7} {'MB/s':>7} {'RSS MB':>7} {'heap MB':>8}  rows")
    runs = [("seed set, read repeatedly", run_seed_set, "")]
    runs += [(f"{p.name} concatenated", run_concatenated, p.name) for p in seed_files()]
    worst_rate, worst_mem, profiled = float("inf"), 0.0, []
    for label, func, name in runs:
        r = in_child(func, (name, args.mb, args.profile, args.heap))
        heap = f"{r['traced_mb']:8.0f}" if r["traced_mb"] is not None else f"{'-':>8}"
        print(
            f"  {label:<40} {r['mb']:6.1f} {r['cpu']:7.2f} {r['mb_per_s']:7.1f} "
            f"{r['rss_mb']:7.0f} {heap}  {r['rows']} ({r['kind']})"
            + (f", {r['unreadable']} UNREADABLE" if r["unreadable"] else "")
        )
        for kind, (mb, cpu) in sorted(r.get("by_kind", {}).items()):
            print(f"    {kind:<38} {mb:6.1f} {cpu:7.2f} {mb / cpu:7.1f}")
        worst_rate = min(worst_rate, r["mb_per_s"])
        worst_mem = max(worst_mem, r["rss_mb"])
        if "profile" in r:
            profiled.append((label, r))
    print(
        f"[{mark(worst_rate >= TARGET_MB_PER_S)}] slowest throughput {worst_rate:.1f} MB/s "
        f"(target >= {TARGET_MB_PER_S} MB/s)"
    )
    print(
        f"[{mark(worst_mem < TARGET_PEAK_MB)}] highest peak RSS {worst_mem:.0f} MB "
        f"(target < {TARGET_PEAK_MB:.0f} MB)"
    )
    for label, r in profiled:
        print(f"\nprofile of {label} ({r['kind']}, {r['mb_per_s']:.1f} MB/s), by own time:")
        print(r["profile"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
