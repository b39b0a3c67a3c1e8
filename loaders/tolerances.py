"""Tolerances shared by the loaders' cross-checks and the dashboard's reconciliation, defined once.

A finding the loaders make and the 一致 / 不一致 the dashboard shows for the same numbers must
never disagree, so both sides import these names (dashboard/constants.py re-exports them).
Money and points are printed with at most 2 decimals: differences between printed values lie on
the 0.01 grid (plus float noise of 1e-12), so each tolerance sits between grid steps, never on
one, where float noise would decide.
"""

from __future__ import annotations

# Printed and computed execution rates within this many points are the same rate.
RATE_TOLERANCE_PCT = 1.0
# Amounts (万元) that agree: a printed total and the sum of its rows, a narrative and its annex
# (the narrative rounds to 0.01 万元). One cent of rounding agrees, two cents do not.
AMOUNT_TOLERANCE_WAN = 0.011
# Scores (得分) that agree: indicator scores plus the funds score against the printed total, and
# the dashboard's recomputed score against the printed one. Each term rounded to 2 decimals is off
# by at most 0.005; a total printed from unrounded parts and one computed term (the funds points,
# rate × 分值, that the dashboard recomputes unrounded) are two such roundings: at most 0.01.
# 0.011 lets those through and flags any difference of 0.02 or more; 0.02 itself would sit on the
# grid (a difference of exactly 0.02 would agree or not by float noise).
SCORE_TOLERANCE = 0.011
# Weights (分值) that agree: the weights of a table against 100 (or the printed total weight).
WEIGHT_TOLERANCE = 0.011
