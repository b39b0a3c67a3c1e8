"""The contract between the stages: typed rows that the writer checks, and the values the loaders
and the dashboard share (tolerances, finding and kind labels), each defined once."""

from __future__ import annotations

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
