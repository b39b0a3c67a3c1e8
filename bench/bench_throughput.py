"""Parse throughput (issue 11): the seeds and a synthetic corpus, on one core, this tree and others.

    .venv/bin/python bench/bench_throughput.py [--rev REV ...] [--docs 300] [--mb 20] [--runs 3]

Both figures are CPU time (time.process_time) of `loaders.build.read_document` (decode, detect,
parse, cross-check, conform) in one process, best of --runs:
- seeds: the five seeds read again and again until --mb MB went through (target >= 7 MB/s);
- synthetic: --docs documents of `python -m synth` (seed 20240601, written once to a temporary
  folder with this tree's generator), each read once (target >= 6 MB/s).
Each --rev (a commit, e.g. the one before the reading pipeline) is checked out into a temporary
git worktree and measured on the same files in the same run, so the figures compare; the machine
is shared, so read the figures of one run together.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 20240601
MB = 1024 * 1024


def measure(tree: Path, seeds: Path, synth_dir: Path, mb: float, runs: int) -> dict:
    """Run the measurement with `tree`'s loaders in a fresh interpreter; its figures as a dict."""
    code = f"""
import json, sys, time
sys.path.insert(0, {str(tree)!r})
from pathlib import Path
from loaders.build import read_document
def load(folder):
    return [(p.name, p.read_bytes()) for p in sorted(Path(folder).glob('*.txt'))]
def best(docs, repeat):
    times = []
    for _ in range({runs}):
        t = time.process_time()
        for _ in range(repeat):
            for name, raw in docs:
                read_document(name, raw)
        times.append(time.process_time() - t)
    return min(times)
seeds, synth = load({str(seeds)!r}), load({str(synth_dir)!r})
for name, raw in seeds + synth[:5]:
    read_document(name, raw)  # imports and caches warm
seed_mb = sum(len(r) for _, r in seeds) / {MB}
repeat = max(1, int({mb} / seed_mb))
synth_mb = sum(len(r) for _, r in synth) / {MB}
print(json.dumps({{
    "seeds_mb_s": seed_mb * repeat / best(seeds, repeat),
    "synth_mb_s": synth_mb / best(synth, 1),
    "seed_mb": seed_mb * repeat, "synth_mb": synth_mb, "synth_docs": len(synth),
}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tree
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", action="append", default=[], help="also measure this commit")
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--mb", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import synth

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        synth.write_corpus(args.docs, SEED, work / "synth")
        trees = [("this tree", ROOT)]
        for rev in args.rev:
            path = work / f"rev-{rev}"
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(path), rev],
                check=True,
            )
            trees.append((rev, path))
        try:
            print(f"{'tree':<14} {'seeds MB/s':>11} {'synthetic MB/s':>15}  (one core, CPU time)")
            for label, tree in trees:
                got = measure(
                    tree, ROOT / "data" / "raw", work / "synth" / "raw", args.mb, args.runs
                )
                print(f"{label:<14} {got['seeds_mb_s']:>11.1f} {got['synth_mb_s']:>15.1f}")
            print(
                f"seeds read to {got['seed_mb']:.1f} MB; synthetic corpus {got['synth_docs']} "
                f"documents, {got['synth_mb']:.1f} MB (targets: seeds >= 7, synthetic >= 6 MB/s)"
            )
        finally:
            for _, tree in trees[1:]:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                    check=False,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
