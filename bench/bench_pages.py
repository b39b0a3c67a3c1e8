"""Benchmark: median full script run of each dashboard page on the seeds, with AppTest.

Usage: .venv/bin/python bench/bench_pages.py [--runs 15] [--parquet DIR]
Without --parquet the seeds in data/raw are built into a temporary folder first.
Target: under 300 ms per page run.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 300.0
PAGES = {
    "总览": "views/overview.py",
    "预算执行": "views/budget_execution.py",
    "低执行率项目": "views/low_execution.py",
    "绩效指标完成": "views/indicators.py",
}


def time_page(script: str, runs: int) -> list[float]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    if script != PAGES["总览"]:
        at.switch_page(script).run()
    if at.exception:
        raise SystemExit(f"{script} raised: {at.exception[0].value}")
    at.run()  # warm: caches filled, modules imported
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        at.run()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--parquet", type=Path, help="a built parquet folder (default: build data/raw)"
    )
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.parquet
        if folder is None:
            from loaders.build import build

            folder = Path(tmp) / "parquet"
            build(ROOT / "data" / "raw", folder)
        os.environ["DASHBOARD_PARQUET_DIR"] = str(folder)
        print(f"parquet: {folder}  runs per page: {args.runs}  target: < {TARGET_MS:.0f} ms")
        print(f"{'page':<18}{'median ms':>10}{'min ms':>10}{'max ms':>10}  verdict  title")
        for title, script in PAGES.items():
            timings = time_page(script, args.runs)
            median = statistics.median(timings)
            verdict = "OK" if median < TARGET_MS else "SLOW"
            name = Path(script).stem
            row = f"{name:<18}{median:>10.1f}{min(timings):>10.1f}{max(timings):>10.1f}"
            print(f"{row}  {verdict:<7}  {title}")


if __name__ == "__main__":
    main()
