"""Benchmark: every page's rerun at 1,000 synthetic documents against a one-chart script.

Usage: .venv/bin/python bench/bench_page_reruns.py [--docs 1000] [--work /tmp/bench_scale]
       [--runs 15] [--pages overview low_execution …]
Generates the synthetic corpus once in --work (as bench_scale.py does), builds its first
--docs documents, then with AppTest: two baselines, a one-chart Streamlit script (a title and
one plotly bar chart: what a rerun of Streamlit itself costs here) and the same chart as the one
page behind app.py's router (page config, sidebar filters, title), then every page of app.py,
each loaded once and rerun --runs times; the baselines are measured again after the pages and
the larger medians are used. Targets (issue 14): each page's rerun median ≤ 60 ms and ≤ 2 × the
routed one-chart rerun (the ratio to the bare script is printed too). Scripts are compiled
once, as a server does (AppTest alone recompiles them on every run). A shared machine makes
single figures noisy: read the ratios beside the load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

RERUN_TARGET_MS = 60.0
BASELINE_RATIO = 2.0
ONE_CHART = """
import plotly.graph_objects as go
import streamlit as st

st.title("一张图")
st.plotly_chart(go.Figure(go.Bar(x=["甲", "乙", "丙"], y=[1, 3, 2])), key="one")
"""

# The same, behind app.py's router (page config, sidebar filters synced with the link, title):
# what any page of this app costs before its own content.
ROUTED_ONE_CHART = """
import plotly.graph_objects as go
import streamlit as st

from dashboard import data
from dashboard.filters import sync_filters

st.set_page_config(page_title="绩效看板", layout="wide")


def one_chart():
    st.plotly_chart(go.Figure(go.Bar(x=["甲", "乙", "丙"], y=[1, 3, 2])), key="one")


page = st.navigation([st.Page(one_chart, title="一张图", default=True)])
filters = sync_filters(data.documents())
st.title(f"绩效看板 · {page.title}")
st.caption(filters.describe())
page.run()
"""


def share_bytecode() -> None:
    """Compile each script once, as a server does: AppTest gives every run a new ScriptCache,
    so each rerun would parse and compile app.py and the page again (~20 ms here)."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    local_script_runner.ScriptCache = lambda: shared
    # the page scripts st.navigation runs are compiled through the PagesManager's cache, which
    # AppTest also makes anew on every run (a server's Runtime holds one for its lifetime)
    app_test.ScriptCache = lambda: shared


def median_rerun(at, runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        at.run()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def baseline(runs: int, script: str = ONE_CHART) -> float:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(script, default_timeout=60).run()
    if at.exception:
        raise SystemExit(f"baseline raised: {at.exception[0].value}")
    at.run()
    return median_rerun(at, runs)


def page(script: str, runs: int) -> dict:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()
    started = time.perf_counter()
    at.switch_page(script).run()
    first = (time.perf_counter() - started) * 1000
    if at.exception:
        return {"error": str(at.exception[0].value)[:80]}
    at.run()  # the page's own widgets settle (persisted state, links)
    return {"first": first, "rerun": median_rerun(at, runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_scale"))
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--pages", nargs="+", help="page stems (default: every page of app.py)")
    parser.add_argument("--parquet", type=Path, help="an existing build instead of the corpus")
    args = parser.parse_args()
    os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")
    from bench_pages_scale import page_scripts
    from bench_scale import corpus

    parquet = args.parquet
    if parquet is None:
        from loaders.build import build

        raw = corpus(args.work, args.docs)
        subset = args.work / f"reruns_raw_{args.docs}"
        parquet = args.work / f"reruns_out_{args.docs}" / "parquet"
        if not (parquet / "documents.parquet").is_file():
            subset.mkdir(parents=True, exist_ok=True)
            for f in sorted(raw.iterdir())[: args.docs]:
                if not (subset / f.name).exists():
                    os.link(f, subset / f.name)
            build(subset, parquet)
    os.environ["DASHBOARD_PARQUET_DIR"] = str(parquet)
    share_bytecode()
    scripts = page_scripts()
    if args.pages:
        scripts = [s for s in scripts if Path(s).stem in args.pages]

    bare = [baseline(args.runs)]
    routed = [baseline(args.runs, ROUTED_ONE_CHART)]
    rows = [(Path(s).stem, page(s, args.runs)) for s in scripts]
    bare.append(baseline(args.runs))
    routed.append(baseline(args.runs, ROUTED_ONE_CHART))
    base, routed_base = max(bare), max(routed)
    print(f"parquet: {parquet}  runs: {args.runs}")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine)")
    print(f"one-chart script rerun: {bare[0]:.1f} ms before the pages, {bare[1]:.1f} ms after")
    print(f"one chart behind app.py's router: {routed[0]:.1f} ms before, {routed[1]:.1f} ms after")
    print(f"verdict: ≤ {RERUN_TARGET_MS:.0f} ms and ≤ {BASELINE_RATIO:g} × the routed rerun")
    head = f"{'page':<18}{'first ms':>10}{'rerun ms':>10}{'× bare':>8}{'× routed':>10}"
    print(head + "  verdict")
    for name, row in rows:
        if "error" in row:
            print(f"{name:<18}{'—':>10}{'—':>10}{'—':>8}{'—':>10}  {row['error']}")
            continue
        rerun = row["rerun"]
        fast = rerun <= RERUN_TARGET_MS and rerun <= BASELINE_RATIO * routed_base
        print(
            f"{name:<18}{row['first']:>10.0f}{rerun:>10.1f}{rerun / base:>8.2f}"
            f"{rerun / routed_base:>10.2f}  {'OK' if fast else 'SLOW'}"
        )


if __name__ == "__main__":
    main()
