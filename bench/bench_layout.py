"""Layout-stage benchmark: CPU time of layout.cells over the seeds' text repeated to --mb MB.

    .venv/bin/python bench/bench_layout.py [--mb 20] [--runs 3] [--field]

layout.cells is the hot path of parsing (every kind reads its cells); this times it alone, one
document at a time as the kinds call it, and prints MB/s (best of --runs; CPU time, so other
load on the machine matters little). --field adds ../shared/field/raw (glued, pipe-ended,
spaced and flattened texts) to the seeds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MB = 1024 * 1024
# The field documents (see the issue): elsewhere, say where with FIELD_RAW.
FIELD = Path(os.environ.get("FIELD_RAW", "/work/shared/field/raw"))


def documents(field: bool) -> list[list[str]]:
    paths = sorted((ROOT / "data" / "raw").glob("*.txt"))
    if field:
        paths += sorted(FIELD.glob("*.txt"))
    return [p.read_text(encoding="utf-8").splitlines() for p in paths]


def main() -> None:
    from loaders import layout

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mb", type=float, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--field", action="store_true")
    args = ap.parse_args()
    docs = documents(args.field)
    sizes = [sum(len(line.encode()) + 1 for line in doc) for doc in docs]
    rounds = max(1, int(args.mb * MB / sum(sizes)) + 1)
    total = rounds * sum(sizes)
    best, count = None, 0
    for _ in range(args.runs):
        started = time.process_time()
        count = 0
        for _ in range(rounds):
            for doc in docs:
                for _cell in layout.cells(doc):
                    count += 1
        spent = time.process_time() - started
        best = spent if best is None else min(best, spent)
    print(
        f"layout.cells: {total / MB:.1f} MB, {count:,} cells, best of {args.runs}: "
        f"{best:.2f} s CPU, {total / MB / best:.2f} MB/s"
    )


if __name__ == "__main__":
    main()
