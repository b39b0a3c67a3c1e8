"""Cross-checks that every kind shares: rates against amounts, totals against rows, weight sums."""

from __future__ import annotations

from .findings import Finding
from .schema import TotalRow
from .tolerances import AMOUNT_TOLERANCE_WAN, RATE_TOLERANCE_PCT, SCORE_TOLERANCE, WEIGHT_TOLERANCE


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def check_rates(projects: list[dict]) -> list[Finding]:
    """RATE_MISMATCH where the printed rate disagrees with actual / budget; RATE_OVER_100."""
    out: list[Finding] = []
    for p in projects:
        computed, reported = p.get("execution_rate_pct"), p.get("reported_rate_pct")
        name, line = p.get("project"), p.get("source_line")
        if (
            computed is not None
            and reported is not None
            and abs(computed - reported) > RATE_TOLERANCE_PCT
        ):
            out.append(
                Finding(
                    "RATE_MISMATCH",
                    f"「{name}」印发执行率 {reported:.2f}% 与 实际/预算 计算值 {computed:.2f}% 不符"
                    f"（{fmt(p.get('actual_wan'))} / {fmt(p.get('budget_wan'))} 万元），请核对原表。",
                    project=name,
                    source_line=line,
                )
            )
        if computed is not None and reported is None and p.get("level") in ("project", "task"):
            out.append(
                Finding(
                    "RATE_MISSING",
                    f"「{name}」未印发执行率，按 实际/预算 计算为 {computed:.2f}%。",
                    project=name,
                    source_line=line,
                )
            )
        over = max((r for r in (computed, reported) if r is not None), default=None)
        if over is not None and over > 100 + 1e-9:
            out.append(
                Finding(
                    "RATE_OVER_100",
                    f"「{name}」执行率 {over:.2f}% 超过 100%"
                    + (
                        f"（支出 {fmt(p.get('actual_wan'))} 万元 大于预算 {fmt(p.get('budget_wan'))} 万元）"
                        if p.get("actual_wan") is not None and p.get("budget_wan") is not None
                        else "（文档只印了执行率，未印金额）"
                    )
                    + "，请核实是否有追加预算或口径差异。",
                    project=name,
                    source_line=line,
                )
            )
    return out


def check_total(
    label: str,
    printed: float | None,
    rows_sum: float,
    line: int | None,
    what: str = "预算",
    missing: int = 0,
    *,
    totals: list[TotalRow],
) -> list[Finding]:
    """TOTAL_MISMATCH when a printed total is not the sum of its rows.

    Every printed total compared, equal or not, is appended to `totals` (the caller's
    Parsed.totals): the build keeps them as the totals table, so that a reconciliation can show a
    printed total beside the sum of its rows also where the two agree (no finding is made then).

    missing: rows whose amount could not be read (a ##### cell). Their sum is then a lower bound:
    only a printed total below it is a proven mismatch; one above it cannot be checked (the
    totals table says so, and OVERFLOW_CELL already names the cells).
    """
    if printed is not None:
        totals.append(
            {
                "label": label,
                "what": what,
                "reported_wan": printed,
                "rows_sum_wan": rows_sum,
                "difference_wan": round(printed - rows_sum, 6),
                "source_line": line,
                "rows_missing": missing,
            }
        )
    if printed is None or abs(printed - rows_sum) <= AMOUNT_TOLERANCE_WAN:
        return []
    if missing and printed > rows_sum:
        return []
    return [
        Finding(
            "TOTAL_MISMATCH",
            f"{label}印发的{what}合计 {printed:,.2f} 万元 与各行之和 {rows_sum:,.2f} 万元 相差 "
            f"{printed - rows_sum:,.2f} 万元。",
            source_line=line,
        )
    ]


def check_weights(
    project: str | None,
    weights: list[float | None],
    scores: list[float | None],
    line: int | None,
    *,
    extra_weight: float = 0.0,
    extra_score: float = 0.0,
    total_weight: float | None = 100.0,
    total_score: float | None = None,
) -> list[Finding]:
    """WEIGHT_SUM_MISMATCH / SCORE_SUM_MISMATCH for one table of indicators.

    `extra_*` is the funds line (预算执行率, usually 10 points) that is not an indicator row.
    """
    out: list[Finding] = []
    who = f"「{project}」" if project else "部门整体"
    ws = [w for w in weights if w is not None]
    if ws and total_weight is not None:
        got = sum(ws) + extra_weight
        if abs(got - total_weight) > WEIGHT_TOLERANCE:
            out.append(
                Finding(
                    "WEIGHT_SUM_MISMATCH",
                    f"{who}指标分值合计 {got:g}（含资金 {extra_weight:g} 分），应为 {total_weight:g}。",
                    project=project,
                    source_line=line,
                )
            )
    ss = [s for s in scores if s is not None]
    if ss and total_score is not None:
        got = sum(ss) + extra_score
        if abs(got - total_score) > SCORE_TOLERANCE:
            out.append(
                Finding(
                    "SCORE_SUM_MISMATCH",
                    f"{who}指标得分合计 {got:g}（含资金 {extra_score:g} 分）与印发总分 {total_score:g} 不符。",
                    project=project,
                    source_line=line,
                )
            )
    return out
