"""Benchmark of the exports: PNG time per chart and PPTX time per page, on the seed data.

    .venv/bin/python bench/bench_exports.py [--raw data/raw] [--runs 3]

Builds the parquet from data/raw into a temporary folder, runs every page once with AppTest to
collect the charts and the table it hands to 导出会议材料, then times figure_png for each chart
and pptx_bytes for each page (render cache cleared before every timing, so each one renders).
Targets: a PNG under 3 s, a page's PPTX under 15 s. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PNG_TARGET_S = 3.0
PPTX_TARGET_S = 15.0


def app_pages() -> dict[str, str]:
    """Page title -> script path, as registered with st.Page in app.py (the order they show in)."""
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    pages = re.findall(r'st\.Page\(\s*"([^"]+)"\s*,\s*title="([^"]+)"', source)
    return {title: path for path, title in pages}


def collect_packs() -> dict[str, tuple]:
    """Per page, the (page_title, charts, table) it passes to meeting_pack, and the filters."""
    from streamlit.testing.v1 import AppTest

    from dashboard import ui

    packs: dict[str, tuple] = {}
    current: list[str] = []

    def record(page_title, charts, table, key, **kwargs):
        packs[current[0]] = (page_title, list(charts), table)

    real = ui.meeting_pack
    ui.meeting_pack = record
    try:
        for name, path in app_pages().items():
            current[:] = [name]
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
            at.switch_page(path)
            at.run()
            if at.exception:
                print(f"{name}: page failed: {at.exception[0].value}")
    finally:
        ui.meeting_pack = real
    return packs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", default=str(ROOT / "data" / "raw"))
    parser.add_argument("--runs", type=int, default=3, help="timings per chart and per page")
    args = parser.parse_args()

    from loaders.build import build

    out = Path(tempfile.mkdtemp(prefix="bench_exports_")) / "parquet"
    build(Path(args.raw), out)
    os.environ["DASHBOARD_PARQUET_DIR"] = str(out)

    from dashboard import exports

    if not exports.chromium_available():
        print(f"no Chromium at {exports.CHROMIUM_PATH}: charts export as HTML only")
    t0 = time.perf_counter()
    exports.warm_up()
    start_s = time.perf_counter() - t0
    print(f"Chromium start (once per server process, done in the background): {start_s:.2f} s")

    packs = collect_packs()
    failed = False
    print(f"\nPNG export per chart (2x, median of {args.runs}; target < {PNG_TARGET_S:.0f} s)")
    for page, (_, charts, _) in packs.items():
        for name, fig in charts:
            times = []
            for _ in range(args.runs):
                exports._render_cache.clear()
                t0 = time.perf_counter()
                png = exports.figure_png(fig)
                times.append(time.perf_counter() - t0)
            median = statistics.median(times)
            failed |= median >= PNG_TARGET_S
            w, h = exports.figure_size(fig)
            print(
                f"  {page} / {name}: {median:.2f} s  ({w * 2}x{h * 2} px, {len(png) / 1024:.0f} KiB)"
            )

    print(f"\nPPTX per page (median of {args.runs}; target < {PPTX_TARGET_S:.0f} s)")
    filters = {"地区": None, "单位": None, "年度": None, "文档类型": None}
    for page, (title, charts, table) in packs.items():
        times = []
        for _ in range(args.runs):
            exports._render_cache.clear()
            t0 = time.perf_counter()
            deck = exports.pptx_bytes(
                title, filters, "bench", ["seed"], charts, table, f"绩效看板 · {title}"
            )
            times.append(time.perf_counter() - t0)
        median = statistics.median(times)
        failed |= median >= PPTX_TARGET_S
        rows = 0 if table is None else len(table)
        print(
            f"  {page}: {median:.2f} s  ({len(charts)} charts, {rows} table rows, "
            f"{len(deck) / 1024:.0f} KiB)"
        )
    print("\nFAIL: a target was missed" if failed else "\nPASS: all targets met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
