"""Benchmark: every page's script run against an existing build, unfiltered and with a region set.

Usage: .venv/bin/python bench/bench_pages_scale.py --parquet DIR [--runs 5] [--region NAME]
       [--pages overview credibility …] [--profile PAGE]
Runs app.py with AppTest (as bench/bench_scale.py time_pages does): each page's first load, then
the median of --runs reruns; then the same with the region filter set through the sidebar widget
(the run that applies the filter, then the median of --runs reruns). Without --region the region
with the most documents is used. Prints a table and the process's peak memory (ru_maxrss).
--profile PAGE prints the cProfile of that page's reruns instead of the table; with --region,
of the run that applies the region filter.
Targets: rerun median < 500 ms, peak < 2 GB. Figures on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGE_TARGET_MS = 500.0
MEMORY_TARGET_MB = 2048.0


def page_scripts() -> list[str]:
    return re.findall(r'st\.Page\("([^"]+)"', (ROOT / "app.py").read_text())


def rss_mb() -> float:
    """The process's resident memory now (peak memory is ru_maxrss)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def largest_region(parquet: Path) -> str:
    import pandas as pd

    regions = pd.read_parquet(parquet / "documents.parquet", columns=["region"])["region"]
    return str(regions.value_counts().index[0])


def timed(step) -> float:
    started = time.perf_counter()
    step()
    return (time.perf_counter() - started) * 1000


def reruns(at, runs: int) -> float:
    return statistics.median(timed(at.run) for _ in range(runs))


def time_page(script: str, region: str, runs: int) -> dict:
    """First load and rerun median, then filter run and rerun median with the region set."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    row = {"first": timed(lambda: at.switch_page(script).run())}
    if at.exception:
        return {"error": str(at.exception[0].value)[:80]}
    row["median"] = reruns(at, runs)
    widget = at.sidebar.multiselect(key="filter_region")
    row["filter"] = timed(lambda: widget.set_value([region]).run())
    if at.exception:
        return {**row, "error": str(at.exception[0].value)[:80]}
    row["filtered"] = reruns(at, runs)
    row["rss"] = rss_mb()
    return row


def profile(script: str, runs: int, region: str | None) -> None:
    """cProfile of the script thread (AppTest runs the page in a thread of its own): the reruns
    after the first load, or with region the run that applies the region filter."""
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.testing.v1 import AppTest

    profiler = cProfile.Profile()
    original = script_runner.ScriptRunner._run_script
    active = {"on": False}

    def run_script(self, rerun_data):
        if not active["on"]:
            return original(self, rerun_data)
        profiler.enable()
        try:
            return original(self, rerun_data)
        finally:
            profiler.disable()

    script_runner.ScriptRunner._run_script = run_script
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page(script).run()
    at.run()
    active["on"] = True
    if region:
        at.sidebar.multiselect(key="filter_region").set_value([region]).run()
    else:
        for _ in range(runs):
            at.run()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parquet", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--region", help="default: the region with the most documents")
    parser.add_argument("--pages", nargs="+", help="page stems (default: every page of app.py)")
    parser.add_argument(
        "--profile", metavar="PAGE", help="cProfile one page's reruns (with --region: the filter)"
    )
    args = parser.parse_args()
    os.environ["DASHBOARD_PARQUET_DIR"] = str(args.parquet)
    os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")  # AppTest's bare-mode warnings
    scripts = page_scripts()
    if args.profile:
        profile(next(s for s in scripts if Path(s).stem == args.profile), args.runs, args.region)
        return
    if args.pages:
        scripts = [s for s in scripts if Path(s).stem in args.pages]
    region = args.region or largest_region(args.parquet)
    print(f"parquet: {args.parquet}  runs: {args.runs}  region filter: {region}")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine)")
    head = f"{'page':<18}{'first':>8}{'rerun':>8}{'filter':>8}{'filtered':>9}{'RSS MB':>8}  verdict"
    print(head + "   (ms; rerun = median after first load, filtered = median with the region;")
    print(" " * 18 + "RSS = the process's memory after the page, caches of earlier pages included)")
    for script in scripts:
        row = time_page(script, region, args.runs)
        name = Path(script).stem
        cells = "".join(
            f"{row[k]:>{w}.0f}" if k in row else f"{'—':>{w}}"
            for k, w in (("first", 8), ("median", 8), ("filter", 8), ("filtered", 9), ("rss", 8))
        )
        worst = max(row.get("median", 1e9), row.get("filtered", 1e9))
        verdict = row.get("error") or ("OK" if worst < PAGE_TARGET_MS else "SLOW")
        print(f"{name:<18}{cells}  {verdict}", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    verdict = "OK" if peak < MEMORY_TARGET_MB else "OVER"
    print(f"peak memory: {peak:.0f} MB ({verdict}; target < {MEMORY_TARGET_MB:.0f} MB)")


if __name__ == "__main__":
    main()
