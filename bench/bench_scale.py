"""Benchmark at province scale: build, incremental rebuild and page runs at 1, 1,000, 10,000 documents.

Usage: .venv/bin/python bench/bench_scale.py [--sizes 1 1000 10000] [--work DIR] [--runs 5]
Generates a synthetic corpus (python -m synth) once in --work, builds each size from a
copy of its first N documents, adds one document and rebuilds, then runs every page of app.py
with AppTest in a child process (median of --runs after the first load) and reports that
process's peak memory. Targets: one added document rebuilds in < 2 s, page runs < 500 ms,
app peak memory < 2 GB. Figures on a shared machine are noisy: compare runs, not single numbers.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

INCREMENTAL_TARGET_S = 2.0
PAGE_TARGET_MS = 500.0
MEMORY_TARGET_MB = 2048.0
SEED = 1
ADDED_DOCS = 3


def corpus(work: Path, n: int) -> Path:
    """work/corpus holds at least n documents of this generator (made once, reused later)."""
    import hashlib

    import synth

    raw, stamp = work / "corpus" / "raw", work / "corpus" / "generator.sha256"
    digest = hashlib.sha256()
    for source in sorted(Path(synth.__file__).parent.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    version = digest.hexdigest()
    if (
        not raw.is_dir()
        or len(list(raw.iterdir())) < n
        or not stamp.is_file()
        or stamp.read_text() != version
    ):
        shutil.rmtree(work / "corpus", ignore_errors=True)
        synth.write_corpus(n, SEED, work / "corpus")
        stamp.write_text(version)
    return raw


def build_size(source: Path, work: Path, n: int) -> dict:
    from loaders.build import build
    from synth import file_name, generate

    raw, out = work / f"raw_{n}", work / f"out_{n}" / "parquet"
    shutil.rmtree(raw, ignore_errors=True)
    shutil.rmtree(out.parent, ignore_errors=True)
    raw.mkdir(parents=True)
    files = sorted(source.iterdir())[:n]
    for f in files:
        os.link(f, raw / f.name) if f.stat().st_dev == raw.stat().st_dev else shutil.copy(f, raw)
    mb = sum(f.stat().st_size for f in files) / 1e6
    started = time.perf_counter()
    counts = build(raw, out)
    full = time.perf_counter() - started
    # One document added at a time, three times: in-process build() and the CLI's wall time
    # (interpreter start and imports included), the median of each.
    inner, wall = [], []
    for k in range(ADDED_DOCS):
        extra = generate(10**7 + k, SEED)
        (raw / file_name(10**7 + k, extra)).write_text(extra.text)
        started = time.perf_counter()
        again = build(raw, out)
        inner.append(time.perf_counter() - started)
        assert again["parsed"] == 1, again
        extra = generate(10**7 + 100 + k, SEED)
        (raw / file_name(10**7 + 100 + k, extra)).write_text(extra.text)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "loaders", "build", "--raw", str(raw), "--out", str(out)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        wall.append(time.perf_counter() - started)
    incremental = statistics.median(inner)
    return {
        "docs": n,
        "mb": mb,
        "projects": counts["projects"],
        "indicators": counts["indicators"],
        "build_s": full,
        "docs_per_s": n / full,
        "mb_per_s": mb / full,
        "incremental_s": incremental,
        "incremental_cli_s": statistics.median(wall),
        "parquet": str(out),
    }


def page_scripts() -> list[str]:
    import re

    return re.findall(r'st\.Page\("([^"]+)"', (ROOT / "app.py").read_text())


def time_pages(parquet: str, runs: int) -> dict:
    """In a child: the median run of every page after its first load, and peak memory."""
    os.environ["DASHBOARD_PARQUET_DIR"] = parquet
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    pages = {}
    for script in page_scripts():
        started = time.perf_counter()
        at.switch_page(script).run()
        first = (time.perf_counter() - started) * 1000
        if at.exception:
            pages[Path(script).stem] = {"error": str(at.exception[0].value)[:80]}
            continue
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            at.run()
            timings.append((time.perf_counter() - started) * 1000)
        pages[Path(script).stem] = {"first_ms": first, "median_ms": statistics.median(timings)}
    return {"pages": pages, "peak_mb": peak_mb()}


def peak_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: ru_maxrss survives exec, so a
    child started by a parent holding 800 MB reported 800 MB for a one-document app."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 1000, 10000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_scale"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pages-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pages_child:
        print(json.dumps(time_pages(args.pages_child, args.runs)))
        return
    logging.basicConfig(level=logging.WARNING)
    source = corpus(args.work, max(args.sizes))
    print(f"cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.1f} (shared machine)")
    rows = []
    for n in args.sizes:
        row = build_size(source, args.work, n)
        child = subprocess.run(
            [sys.executable, __file__, "--runs", str(args.runs), "--pages-child", row["parquet"]],
            capture_output=True,
            text=True,
            check=True,
        )
        row.update(json.loads(child.stdout.strip().splitlines()[-1]))
        rows.append(row)
        print_row(row)
    print_table(rows)


def print_row(row: dict) -> None:
    print(f"done {row['docs']} documents", flush=True)


def print_table(rows: list[dict]) -> None:
    pages = list(rows[0]["pages"])
    head = f"{'docs':>6} {'MB':>7} {'projects':>9} {'indicators':>10} {'build s':>8} {'docs/s':>7}"
    head += f" {'MB/s':>6} {'+1 doc s':>8} {'+1 CLI s':>8} {'peak MB':>8}"
    print(head)
    for r in rows:
        line = f"{r['docs']:>6} {r['mb']:>7.1f} {r['projects']:>9} {r['indicators']:>10}"
        line += f" {r['build_s']:>8.1f} {r['docs_per_s']:>7.1f} {r['mb_per_s']:>6.2f}"
        line += f" {r['incremental_s']:>8.2f} {r['incremental_cli_s']:>8.2f} {r['peak_mb']:>8.0f}"
        print(line)
    print("page run after the first load, median ms (first load ms):")
    print(f"{'page':<18}" + "".join(f"{r['docs']:>18}" for r in rows))
    for page in pages:
        cells = []
        for r in rows:
            p = r["pages"].get(page, {})
            cells.append(
                f"{p['median_ms']:>8.0f} ({p['first_ms']:>6.0f})" if "median_ms" in p else "error"
            )
        print(f"{page:<18}" + "".join(f"{c:>18}" for c in cells))
    slow = [
        (r["docs"], page)
        for r in rows
        for page, p in r["pages"].items()
        if p.get("median_ms", 1e9) >= PAGE_TARGET_MS
    ]
    print(f"targets: +1 doc < {INCREMENTAL_TARGET_S} s, page < {PAGE_TARGET_MS:.0f} ms, peak <")
    print(f"{MEMORY_TARGET_MB:.0f} MB; pages at or over target: {slow or 'none'}")


if __name__ == "__main__":
    main()
