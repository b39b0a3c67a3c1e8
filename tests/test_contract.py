"""The contract between the stages: typed rows that the writer checks, and the values the loaders
and the dashboard share (tolerances, finding and kind labels), each defined once."""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pytest
from conftest import RAW

from loaders.build import read_document, write_tables
from loaders.rows import indicator_row, project_row
from loaders.schema import ROWS, TABLES, UnknownColumnError, to_table


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_table_is_declared_once_as_a_row_type(name):
    assert list(ROWS[name].__annotations__) == TABLES[name].names
    assert to_table(name, []).schema.equals(TABLES[name])


def test_a_row_with_an_unknown_key_raises_a_precise_error():
    row = {**project_row("project", "甲项目", 7, budget_wan=1.0), "doc_id": "d", "budget": 1.0}
    with pytest.raises(UnknownColumnError, match=r"projects row has column\(s\) 'budget'") as err:
        to_table("projects", [project_row("project", "乙项目", 3), row])
    assert err.value.table == "projects" and err.value.columns == ["budget"]
    assert "doc_id='d', source_line=7" in str(err.value)
    with pytest.raises(UnknownColumnError, match="'level'"):
        to_table("indicators", [{**indicator_row(None, "指标", 1), "level": "project"}])


def test_writing_dict_rows_checks_them_too(tmp_path):
    tables = {name: [] for name in TABLES}
    tables["totals"] = [{"doc_id": "d", "label": "合计行", "reported_wan": 1.0, "end_line": 4}]
    with pytest.raises(UnknownColumnError, match="'end_line'"):
        write_tables(tables, tmp_path / "out", {})
    assert not (tmp_path / "out").exists()


def test_the_row_builders_make_rows_of_the_declared_shape():
    project = project_row("project", "甲", 1, alt_budget_wan=2.0, funds_weight=10.0)
    assert set(project) <= set(TABLES["projects"].names)
    assert set(indicator_row("甲", "指标", 2)) <= set(TABLES["indicators"].names)
    assert isinstance(to_table("projects", [project]), pa.Table)


def test_the_seeds_put_only_declared_keys_in_their_rows():
    for path in sorted(RAW.glob("*.txt")):
        result = read_document(path.name, path.read_bytes())
        for name in ("projects", "indicators", "findings", "totals"):
            for row in result[name]:
                assert set(row) <= set(TABLES[name].names), (path.name, name, row)
        assert set(result["document"]) <= set(TABLES["documents"].names)


# --- values the loaders and the dashboard share -------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_finding_code_has_a_chinese_label():
    from dashboard import constants
    from loaders.findings import CODE_LABELS, CODES

    assert set(CODE_LABELS) == set(CODES)
    for code, label in CODE_LABELS.items():
        assert CJK.search(label), f"{code}: label {label!r} has no Chinese"
    assert constants.CODE_LABELS is CODE_LABELS


def test_every_registered_kind_has_a_label_and_a_filter_option():
    from dashboard import constants, queries
    from loaders.kinds import UNKNOWN_KIND, kind_labels, registry

    labels = kind_labels()
    assert list(labels) == [*registry(), UNKNOWN_KIND]
    for kind, module in registry().items():
        assert CJK.search(module.LABEL) and labels[kind] == module.LABEL, kind
    assert constants.KIND_LABELS == labels
    kinds = [*registry(), UNKNOWN_KIND, "a_kind_without_label"]
    documents = pd.DataFrame(
        {"doc_kind": kinds, "region": "湖南", "unit": "某单位", "year": 2023, "doc_id": kinds}
    )
    assert queries.filter_options(documents)["filter_kind"] == kinds


def test_dashboard_and_loaders_use_the_same_tolerances():
    from dashboard import constants, credibility, reconcile
    from loaders import crosscheck, tolerances

    for name in (
        "RATE_TOLERANCE_PCT",
        "AMOUNT_TOLERANCE_WAN",
        "SCORE_TOLERANCE",
        "WEIGHT_TOLERANCE",
    ):
        shared = getattr(tolerances, name)
        for module in (constants, crosscheck):
            assert getattr(module, name) is shared, (module.__name__, name)
    assert reconcile.SCORE_TOLERANCE is credibility.SCORE_TOLERANCE is tolerances.SCORE_TOLERANCE


@pytest.mark.parametrize("off", [0.0, 0.01, -0.01, 0.015, 0.02, -0.02, 0.05])
def test_a_score_sum_is_judged_alike_by_loaders_and_dashboard(off):
    """Scores print 2 decimals: one cent of rounding agrees, 0.015 or two cents do not."""
    from dashboard import reconcile
    from dashboard.constants import SCORE_TOLERANCE
    from loaders.crosscheck import check_weights

    scores, printed = [38.45, 41.2], round(38.45 + 41.2 + 10.0 + off, 3)
    finding = check_weights(
        "甲", [40.0, 50.0], scores, 1, extra_weight=10.0, extra_score=10.0, total_score=printed
    )
    diff = sum(scores) + 10.0 - printed
    state = reconcile._state(diff, SCORE_TOLERANCE)
    assert bool(finding) == (state == reconcile.DIFFERS) == (abs(off) > 0.011)
