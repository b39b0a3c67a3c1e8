"""校对's source pane: each row picked under 定位原文 is new HTML, so the browser scrolls the pane
to its line again, also for a row read from the same line as the one before (headless Chromium
showed the pane left where the reviewer had scrolled it)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from office_files import served_seeds
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60
LONGGANG = "000_8a770645b8ccef32.txt"


@pytest.fixture
def dirs(tmp_path, monkeypatch) -> tuple[Path, Path]:
    return served_seeds(tmp_path, monkeypatch)


def test_the_review_source_pane_is_new_html_for_each_row_picked_on_the_same_line(dirs):
    """Two rows read from one line: the pane's HTML differs, so the browser runs its scroll
    script again (the same HTML is not re-rendered, and a pane scrolled away stayed there)."""
    _, out = dirs
    documents = pd.read_parquet(out / "documents.parquet")
    doc = documents.loc[documents["source_file"] == LONGGANG, "doc_id"].item()
    indicators = pd.read_parquet(out / "indicators.parquet")
    mine = indicators[indicators["doc_id"] == doc]
    line = mine["source_line"].value_counts().idxmax()  # the line most indicators were read from
    assert (mine["source_line"] == line).sum() >= 2
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["doc"] = doc
    at.run()
    at.switch_page("views/review.py").run()
    locate = at.selectbox(key=f"review_locate_{doc}")
    same = [i for i, label in enumerate(locate.options) if f"第 {line} 行 · " in label][:2]
    assert len(same) == 2
    bodies = []
    for i in same:
        at = locate.set_value(i).run()
        assert not at.exception, [e.value for e in at.exception]
        (pane,) = [h.proto.body for h in at.get("html") if "srcview" in h.proto.body]
        assert f'<div class="ln hl" id="L{line}">' in pane
        bodies.append(pane)
        locate = at.selectbox(key=f"review_locate_{doc}")
    assert bodies[0] != bodies[1]
