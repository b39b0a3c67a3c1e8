"""Content detection: every seed is detected as its own kind, whatever the other kinds score."""

from __future__ import annotations

import pytest

from loaders.document import Doc
from loaders.kinds import CONFIDENT_KIND_SCORE, MIN_KIND_SCORE, detect

SEED_KINDS = {
    "000": "project_summary_table",
    "001": "final_accounts",
    "002": "target_declaration",
    "003": "project_eval_tables",
    "004": "department_overall_eval",
}


@pytest.mark.parametrize(("prefix", "kind"), sorted(SEED_KINDS.items()))
def test_seed_detected_as_its_own_kind(seed_doc, prefix, kind):
    scores = detect(seed_doc(prefix))
    best, score = scores[0]
    assert best == kind, scores
    assert score >= CONFIDENT_KIND_SCORE
    # A clear margin over the runner-up, so a small wording change does not flip the kind.
    assert score - scores[1][1] >= 0.2, scores


def test_unrelated_prose_matches_no_kind():
    text = "今天天气晴朗，我们去公园散步。\n公园里有很多人在跑步、下棋和跳舞。\n" * 20
    assert detect(Doc.from_text(text))[0][1] < MIN_KIND_SCORE
