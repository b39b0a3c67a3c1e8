"""Score built tables against a synthetic truth: documents, projects, amounts, indicators.

    .venv/bin/python bench/score_pdfs.py DIR        # DIR/raw (documents) and DIR/truth

Builds DIR/raw into a temporary folder and prints, per document kind and producer, how many of
the truth's projects, amounts (budget, actual, rates, scores) and indicators (with level, weight,
score and status) were read exactly, then the first differences. `compare` is what the tests
of tests/test_pdf.py use.
"""

from __future__ import annotations

import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from synth.compare import INDICATOR_VALUES, PROJECT_VALUES, differs  # noqa: E402

DOCUMENT_VALUES = ("doc_kind", "unit", "province", "year", "amount_unit")
TABLES = ("documents", "projects", "indicators")


def compare(truth_dir: Path, parquet_dir: Path) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Per source file: counts of what the truth holds and what was read exactly, and the
    differences as sentences. Counts: projects, projects_ok, values, values_ok, indicators,
    indicators_ok, documents_ok."""
    truth = {n: pd.read_parquet(Path(truth_dir) / f"{n}.parquet") for n in TABLES}
    built = {n: pd.read_parquet(Path(parquet_dir) / f"{n}.parquet") for n in TABLES}
    files = dict(zip(truth["documents"].doc_id, truth["documents"].source_file, strict=True))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    problems: list[str] = []
    got_docs = built["documents"].set_index("doc_id")
    for row in truth["documents"].to_dict("records"):
        c = counts[row["source_file"]]
        c["documents"] += 1
        if row["doc_id"] not in got_docs.index:
            problems.append(f"{row['source_file']}: not built")
            continue
        wrong = [
            f"{col} {got_docs.at[row['doc_id'], col]!r} ≠ {row[col]!r}"
            for col in DOCUMENT_VALUES
            if col in row and got_docs.at[row["doc_id"], col] != row[col]
        ]
        c["documents_ok"] += not wrong
        problems += [f"{row['source_file']}: {w}" for w in wrong]
    key = ["doc_id", "level", "project"]
    merged = truth["projects"].merge(
        built["projects"], on=key, how="left", suffixes=("", "_got"), indicator=True
    )
    for row in merged.to_dict("records"):
        source = files[row["doc_id"]]
        c = counts[source]
        c["projects"] += 1
        columns = [col for col in PROJECT_VALUES if col in truth["projects"] and pd.notna(row[col])]
        c["values"] += len(columns)
        if row["_merge"] != "both":
            problems.append(f"{source}: {row['level']} 「{row['project']}」 not loaded")
            continue
        wrong = [
            col for col in columns if differs(row[f"{col}_got"], row[col], PROJECT_VALUES[col])
        ]
        c["values_ok"] += len(columns) - len(wrong)
        c["projects_ok"] += not wrong
        problems += [
            f"{source}: 「{row['project']}」 {col} loaded {row[f'{col}_got']} ≠ {row[col]}"
            for col in wrong
        ]
    extra = built["projects"].merge(truth["projects"][key], on=key, how="left", indicator=True)
    for row in extra[extra["_merge"] == "left_only"].to_dict("records"):
        if row["doc_id"] in files:
            counts[files[row["doc_id"]]]["projects_extra"] += 1
            problems.append(f"{files[row['doc_id']]}: 「{row['project']}」 loaded, not in truth")
    ikey = ["doc_id", "project", "name"]
    want = truth["indicators"].fillna({"project": ""})
    got = built["indicators"].fillna({"project": ""}).drop_duplicates(ikey)
    merged = want.merge(got, on=ikey, how="left", suffixes=("", "_got"), indicator=True)
    for row in merged.to_dict("records"):
        source = files[row["doc_id"]]
        c = counts[source]
        c["indicators"] += 1
        if row["_merge"] != "both":
            problems.append(
                f"{source}: indicator 「{row['name']}」 of 「{row['project']}」 not loaded"
            )
            continue
        wrong = [
            col
            for col in INDICATOR_VALUES
            if col in want and differs(row[f"{col}_got"], row[col], None)
        ]
        c["indicators_ok"] += not wrong
        problems += [
            f"{source}: 「{row['name']}」 {col} loaded {row[f'{col}_got']} ≠ {row[col]}"
            for col in wrong
        ]
    return {k: dict(v) for k, v in counts.items()}, problems


def report(root: Path, shown: int = 30) -> dict[str, int]:
    """Build root/raw, compare with root/truth and print the figures; returns the totals."""
    from loaders.build import build

    root = Path(root)
    with tempfile.TemporaryDirectory() as tmp:
        build(root / "raw", Path(tmp) / "parquet")
        counts, problems = compare(root / "truth", Path(tmp) / "parquet")
    groups: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for source, c in counts.items():
        parts = Path(source).stem.split("_")
        producer = parts[-1]
        kind = "_".join(parts[2:-1]) if parts[0] == "pdf" else Path(source).stem
        for label in (f"{kind} / {producer}", "all"):
            for k, v in c.items():
                groups[label][k] += v
    header = f"{'kind / producer':42} docs  projects        values          indicators"
    print(header)
    for label in sorted(groups, key=lambda x: (x == "all", x)):
        g = groups[label]

        def pct(ok: str, n: str, g=g) -> str:
            return f"{g[ok]:>5}/{g[n]:<5} {100 * g[ok] / g[n] if g[n] else 100:6.2f}%"

        print(
            f"{label:42} {g['documents_ok']:>2}/{g['documents']:<2} "
            f"{pct('projects_ok', 'projects')} {pct('values_ok', 'values')} "
            f"{pct('indicators_ok', 'indicators')}"
        )
    for line in problems[:shown]:
        print("  ", line)
    if len(problems) > shown:
        print(f"   … {len(problems) - shown} more differences")
    return dict(groups["all"])


if __name__ == "__main__":
    report(Path(sys.argv[1]))
