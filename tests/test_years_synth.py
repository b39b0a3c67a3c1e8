"""The synthetic multi-year units: year matching and reason classification recover their truth."""

from __future__ import annotations

import hashlib
from difflib import SequenceMatcher
from itertools import combinations

import pandas as pd
import pytest

from dashboard import queries as q
from dashboard import reasons
from dashboard import years as y
from loaders.build import build, doc_id_for
from synth import file_name, generate, write_corpus
from synth import years as sy

N_DOCS = 300
SEED = 20240601
# share of the truth the dashboard must recover
MIN_RECOVERED = 0.95


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("series")
    write_corpus(N_DOCS, SEED, root)
    build(root / "raw", root / "parquet")
    tables = {
        n: pd.read_parquet(root / "parquet" / f"{n}.parquet")
        for n in ("documents", "projects", "indicators", "findings")
    }
    selection = q.select(
        tables["documents"], tables["projects"], tables["indicators"], tables["findings"],
        q.Filters(),
    )  # fmt: skip
    docs = {}
    for i in range(N_DOCS):
        doc = generate(i, SEED)
        if sy.plan_of(i, SEED) is not None:
            sha = hashlib.sha256(doc.text.encode()).hexdigest()
            docs[doc_id_for(file_name(i, doc), sha)] = doc
    return selection, sy.truth(docs), docs


def test_the_corpus_has_multi_year_units_of_both_kinds_and_renamed_projects(corpus):
    _, truth, docs = corpus
    years = truth.groupby("unit")["year"].nunique()
    assert (years >= 2).all() and len(years) >= 10 and (years >= 3).any()
    assert {d.kind for d in docs.values()} == set(sy.SERIES_KINDS)
    renamed = truth.groupby(["unit", "track"])["project"].nunique()
    assert (renamed > 1).sum() >= 20
    codes = {c for cs in truth["reason_codes"] for c in cs}
    assert codes == {*sy.CLAUSES, "other", "none"}


def test_the_pool_names_are_unlike_each_other():
    for a, b in combinations(sy.POOL + sy.ONE_OFFS, 2):
        na, nb = y.normalise_name(a), y.normalise_name(b)
        assert SequenceMatcher(None, na, nb).ratio() < y.MATCH_MIN_SCORE, (a, b)


def test_a_series_only_stands_in_for_plain_documents():
    for i in range(N_DOCS):
        if sy.plan_of(i, SEED) is not None:
            assert sy.plain(generate(i, SEED, series=False)), i


def test_reason_classification_recovers_the_truth(corpus):
    selection, truth, _ = corpus
    low = q.low_execution(selection.lines, sy.LOW_PCT, selection.indicators)
    merged = truth[truth["execution_rate_pct"] < sy.LOW_PCT].merge(
        low[["doc_id", "project", "explanation"]], on=["doc_id", "project"], how="left"
    )
    assert len(merged) >= 100
    right = [
        set(reasons.codes(text)) == set(want)
        for text, want in zip(merged["explanation"], merged["reason_codes"], strict=True)
    ]
    assert sum(right) / len(right) >= MIN_RECOVERED


def _previous_in_truth(rows: pd.DataFrame) -> dict:
    """(year, project) -> (year, project) of the same track's latest earlier appearance."""
    last, want = {}, {}
    for year in sorted(rows["year"].unique()):
        this = rows[rows["year"] == year]
        for row in this.itertuples():
            want[(row.year, row.project)] = last.get(row.track)
        for row in this.itertuples():
            last[row.track] = (row.year, row.project)
    return want


def test_year_matching_recovers_the_truth(corpus):
    selection, truth, _ = corpus
    right = total = fuzzy = 0
    for unit, rows in truth.groupby("unit"):
        want = _previous_in_truth(rows)
        got = y.tracks(y.unit_lines(selection.lines, unit))
        assert len(got) == len(rows), unit
        for row in got.itertuples():
            previous = (
                None
                if pd.isna(row.previous_year)
                else (int(row.previous_year), row.previous_project)
            )
            total += 1
            right += previous == want[(row.year, row.project)]
            fuzzy += 0 < row.match_score < 1
    assert total >= 300 and fuzzy >= 20
    assert right / total >= MIN_RECOVERED


def test_low_streaks_recover_the_chronic_projects(corpus):
    selection, truth, _ = corpus
    want = set()
    for (unit, track), rows in truth.groupby(["unit", "track"]):
        years = sorted(rows.loc[rows["execution_rate_pct"] < sy.LOW_PCT, "year"])
        if any(b == a + 1 for a, b in zip(years, years[1:], strict=False)):
            want.add((unit, track))
    found = y.all_low_streaks(selection.lines, sy.LOW_PCT)
    names = truth.set_index(["unit", "year", "project"])["track"]
    got = {(u, names[(u, yr, p)]) for u, yr, p in zip(found["unit"], found["year"], found["project"], strict=True)
           if (u, yr, p) in names.index}  # fmt: skip
    assert want and len(want & got) / len(want) >= MIN_RECOVERED
    assert len(got - want) <= (1 - MIN_RECOVERED) * len(want)
