"""How a build is compared with the generator's truth: which values, and to what tolerance.

Shared by the round-trip test (tests/test_synth_roundtrip.py) and the PDF benchmark
(bench/score_pdfs.py), so both count the same thing as read exactly.
"""

from __future__ import annotations

import pandas as pd

# Amounts are compared to within half a unit of their last printed decimal (4 decimals of 万元).
AMOUNT_TOLERANCE = 0.00005
RATE_TOLERANCE = 0.005
PROJECT_VALUES = {
    "initial_budget_wan": AMOUNT_TOLERANCE,
    "budget_wan": AMOUNT_TOLERANCE,
    "actual_wan": AMOUNT_TOLERANCE,
    "reported_rate_pct": RATE_TOLERANCE,
    "execution_rate_pct": RATE_TOLERANCE,
    "score": RATE_TOLERANCE,
    "income_wan": AMOUNT_TOLERANCE,
}
INDICATOR_VALUES = ("level1", "level2", "weight", "score", "status")


def differs(got, want, tolerance: float | None) -> bool:
    """True when a value read is not the truth's: both missing agree; numbers within tolerance."""
    if pd.isna(want) or pd.isna(got):
        return not (pd.isna(want) and pd.isna(got))
    if tolerance is None:
        return got != want
    return abs(float(got) - float(want)) > tolerance
