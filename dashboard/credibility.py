"""Self-score credibility: the official formula recomputed, plausibility warnings, indicator checks.

The standard 项目支出绩效自评表 scores a project as the points of its indicators plus the execution
rate × 10 (the rate capped at 100 %), and grades it 优 ≥ 90, 良 80–90, 中 60–80, 差 < 60. Self-scores
are written by the unit evaluated; these pure functions show where a printed score does not follow
from the document's own numbers, and where it is implausible against the money spent.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from loaders.targets import compare, parse_target, qualitative

from .constants import (
    FONT_FAMILY,
    FONT_SIZE,
    FULL_SCORE,
    FUNDS_WEIGHT,
    GRADE_BANDS,
    GRADE_LOWEST,
    GREY,
    LOW_SPEND_PCT,
    SCORE_GAP_RED_PCT,
    SCORE_TOLERANCE,
    TITLE_FONT_SIZE,
    UNSPENT_AMBER_PCT,
    WARNING_COLOURS,
    WARNING_LABELS,
    WEIGHT_TOLERANCE,
)

# Budget lines whose self-score is judged: projects, and a department's overall evaluation.
SCORED_LEVELS = ("project", "department")
CHECK_AGREES, CHECK_DIFFERS, CHECK_INCOMPLETE = "一致", "不一致", "无法复算"
# The scatter draws at most this many projects (all warned ones, a fixed sample of the rest).
SCATTER_MAX_POINTS = 3000
SCATTER_SAMPLE_SEED = 4


def _num(value) -> float | None:
    """value as a float, or None for None / NaN / text."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def grade(score) -> str | None:
    """优 ≥ 90, 良 80–90, 中 60–80, 差 < 60; None without a score."""
    value = _num(score)
    if value is None:
        return None
    for floor, name in GRADE_BANDS:
        if value >= floor - 1e-9:
            return name
    return GRADE_LOWEST


def execution_points(rate_pct, weight=FUNDS_WEIGHT) -> float | None:
    """rate × weight / 100 with the rate capped to 0–100 %, as the form scores 预算执行率."""
    rate, points = _num(rate_pct), _num(weight)
    if rate is None or points is None:
        return None
    return min(max(rate, 0.0), 100.0) / 100.0 * points


def execution_share_pct(budget, actual) -> float | None:
    """actual / budget × 100; None when either is missing or the budget is not positive."""
    b, a = _num(budget), _num(actual)
    if b is None or a is None or b <= 0:
        return None
    return a / b * 100.0


def scoring_rate(row: dict) -> float | None:
    """The execution rate the form scored: printed beside the score, else computed.

    A project with an annex table (alt_source_line) was scored in that table, so its rate wins;
    otherwise the printed rate, else actual / budget.
    """
    if _num(row.get("alt_source_line")) is not None and _num(row.get("alt_rate_pct")) is not None:
        return _num(row["alt_rate_pct"])
    for key in ("reported_rate_pct", "execution_rate_pct"):
        if _num(row.get(key)) is not None:
            return _num(row[key])
    return execution_share_pct(row.get("budget_wan"), row.get("actual_wan"))


# --- indicators per project -----------------------------------------------------------------


def indicator_totals(indicators: pd.DataFrame) -> pd.DataFrame:
    """Per (doc_id, project): indicator count, how many carry weight and score, their sums, lines.

    Department-level indicators (no project) are keyed with project None.
    """
    columns = [
        "doc_id",
        "project",
        "n_indicators",
        "n_scored",
        "weight_sum",
        "points",
        "first_line",
        "last_line",
    ]
    if indicators.empty:
        return pd.DataFrame(columns=columns)
    frame = indicators.assign(scored=indicators["weight"].notna() & indicators["score"].notna())
    out = (
        frame.groupby(["doc_id", "project"], sort=False, dropna=False)
        .agg(
            n_indicators=("name", "size"),
            n_scored=("scored", "sum"),
            weight_sum=("weight", "sum"),
            points=("score", "sum"),
            first_line=("source_line", "min"),
            last_line=("source_line", "max"),
        )
        .reset_index()
    )
    out["project"] = pd.Series(
        [None if pd.isna(k) else k for k in out["project"]], index=out.index, dtype="object"
    )
    return out[columns]


def _indicators_for(row: dict, totals: dict) -> dict | None:
    key = (row["doc_id"], row["project"] if row.get("level") != "department" else None)
    return totals.get(key)


# --- the official formula -------------------------------------------------------------------


def recompute(projects: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Every self-scored project (and department evaluation) with its score recomputed.

    recomputed_score = indicator points + execution points, where the execution points are the
    scoring rate × the funds weight (printed funds_weight; else 0 when the indicators already
    weigh 100, the funds line being one of them; else the standard 10). check is 一致 / 不一致 /
    无法复算, and `differences` says in Chinese what does not add up or what is missing.
    """
    columns = [
        "doc_id", "level", "project", "budget_wan", "actual_wan", "rate_pct", "score", "grade",
        "n_indicators", "indicator_weight", "indicator_points", "funds_weight", "funds_score",
        "execution_points", "recomputed_score", "score_diff", "grade_printed_score",
        "grade_recomputed", "check", "differences", "source_line", "end_line",
        "alt_source_line", "indicator_line",
    ]  # fmt: skip
    if projects.empty:
        return pd.DataFrame(columns=columns)
    totals = {
        (r["doc_id"], r["project"]): r for r in indicator_totals(indicators).to_dict("records")
    }
    needed = [
        "doc_id", "level", "project", "budget_wan", "actual_wan", "reported_rate_pct",
        "execution_rate_pct", "alt_rate_pct", "alt_source_line", "score", "grade",
        "funds_weight", "funds_score", "source_line", "end_line",
    ]  # fmt: skip
    rows = projects.loc[projects["level"].isin(SCORED_LEVELS)].reindex(columns=needed)
    out = []
    for row in rows.to_dict("records"):
        ind = _indicators_for(row, totals)
        if _num(row.get("score")) is None and (ind is None or not ind["n_scored"]):
            continue
        out.append(_recompute_row(row, ind))
    frame = pd.DataFrame(out, columns=columns)
    return frame.reset_index(drop=True)


def _funds_weight(row: dict, weight_sum: float | None) -> float:
    printed = _num(row.get("funds_weight"))
    if printed is not None:
        return printed
    if weight_sum is not None and abs(weight_sum - FULL_SCORE) <= WEIGHT_TOLERANCE:
        return 0.0  # the 预算执行率 line is one of the indicators (部门整体自评表)
    return FUNDS_WEIGHT


def _recompute_row(row: dict, ind: dict | None) -> dict:
    score = _num(row.get("score"))
    rate = scoring_rate(row)
    n = int(ind["n_indicators"]) if ind else 0
    scored = int(ind["n_scored"]) if ind else 0
    weight_sum = float(ind["weight_sum"]) if ind and scored else None
    points = float(ind["points"]) if ind and scored else None
    funds_weight = _funds_weight(row, weight_sum)
    exec_points = execution_points(rate, funds_weight) if funds_weight else 0.0
    problems, notes = [], []
    weights_full = (
        weight_sum is not None and abs(weight_sum + funds_weight - FULL_SCORE) <= WEIGHT_TOLERANCE
    )
    if not n:
        problems.append("没有指标表（附件缺表或未读出），无法复算")
    elif not scored:
        problems.append("指标没有分值和得分")
    elif scored < n and weights_full:
        notes.append(f"另有 {n - scored} 项指标未印分值或得分（不计分）")
    elif scored < n:
        problems.append(f"{n - scored} 项指标缺分值或得分")
    if weight_sum is not None and not weights_full:
        problems.append(
            f"指标分值 {weight_sum:g} + 资金 {funds_weight:g} = {weight_sum + funds_weight:g}，不是 100"
        )
    if funds_weight and rate is None:
        problems.append("没有执行率（无执行数或预算为 0），无法计算资金得分")
    if score is None:
        problems.append("文档未印发自评总分")
    recomputed = None
    if points is not None and exec_points is not None:
        recomputed = points + exec_points
    diff = recomputed - score if recomputed is not None and score is not None else None
    complete = not problems
    if complete and diff is not None and abs(diff) <= SCORE_TOLERANCE:
        check = CHECK_AGREES
    elif complete and diff is not None:
        check = CHECK_DIFFERS
        problems.append(f"复算 {recomputed:.2f} 分，印发 {score:g} 分，相差 {diff:+.2f} 分")
    else:
        check = CHECK_INCOMPLETE
    problems += notes
    printed_funds = _num(row.get("funds_score"))
    if (
        printed_funds is not None
        and exec_points is not None
        and abs(printed_funds - exec_points) > SCORE_TOLERANCE
    ):
        problems.append(f"资金得分印发 {printed_funds:g}，按执行率应为 {exec_points:.2f}")
    printed_grade = row.get("grade") if isinstance(row.get("grade"), str) else None
    if printed_grade and score is not None and grade(score) != printed_grade:
        problems.append(
            f"印发等级「{printed_grade}」与印发得分 {score:g} 对应的「{grade(score)}」不符"
        )
    return {
        "doc_id": row["doc_id"],
        "level": row.get("level"),
        "project": row.get("project"),
        "budget_wan": _num(row.get("budget_wan")),
        "actual_wan": _num(row.get("actual_wan")),
        "rate_pct": rate,
        "score": score,
        "grade": printed_grade,
        "n_indicators": n,
        "indicator_weight": weight_sum,
        "indicator_points": points,
        "funds_weight": funds_weight,
        "funds_score": printed_funds,
        "execution_points": exec_points,
        "recomputed_score": recomputed,
        "score_diff": diff,
        "grade_printed_score": grade(score),
        "grade_recomputed": grade(recomputed),
        "check": check,
        "differences": "；".join(problems) or None,
        "source_line": row.get("source_line"),
        "end_line": row.get("end_line"),
        "alt_source_line": row.get("alt_source_line"),
        "indicator_line": ind["first_line"] if ind else None,
    }


# --- plausibility ---------------------------------------------------------------------------


def plausibility(scored: pd.DataFrame) -> pd.DataFrame:
    """The warnings of provincial performance systems on recompute()'s rows.

    indicator_rate_pct = indicator points / indicator weights; execution_rate_pct = the scoring
    rate capped to 0–100 (the share of the funds points earned). red: the first exceeds the second
    by more than SCORE_GAP_RED_PCT points; amber: more than UNSPENT_AMBER_PCT % of the budget
    unspent. Budget 0, a missing actual or a rate above 100 % never raise amber; they are noted.
    """
    if scored.empty:
        return scored.assign(
            indicator_rate_pct=[], execution_score_pct=[], score_gap_pct=[], unspent_pct=[],
            warning=[], warning_label=[], warnings=[],
        )  # fmt: skip
    rows = [_plausibility_row(r) for r in scored.to_dict("records")]
    return pd.concat([scored.reset_index(drop=True), pd.DataFrame(rows)], axis=1)


def unspent_pct(budget, actual, rate) -> float | None:
    """Share of the budget not spent (%): from the amounts, else from the printed rate."""
    b, a, r = _num(budget), _num(actual), _num(rate)
    if b is not None and b <= 0:
        return None
    if b is not None and a is not None:
        return (b - a) / b * 100.0
    if r is not None:
        return 100.0 - r
    return None


def _plausibility_row(row: dict) -> dict:
    weight, points = _num(row.get("indicator_weight")), _num(row.get("indicator_points"))
    rate = _num(row.get("rate_pct"))
    indicator_rate = points / weight * 100.0 if weight and points is not None else None
    execution_score = min(max(rate, 0.0), 100.0) if rate is not None else None
    gap = (
        indicator_rate - execution_score
        if indicator_rate is not None and execution_score is not None
        else None
    )
    unspent = unspent_pct(row.get("budget_wan"), row.get("actual_wan"), rate)
    notes, level = [], None
    if gap is not None and gap > SCORE_GAP_RED_PCT:
        level = "red"
        notes.append(
            f"指标得分率 {indicator_rate:.1f}% 高于执行得分率 {execution_score:.1f}%（{gap:.1f} 个百分点）"
        )
    if unspent is not None and unspent > UNSPENT_AMBER_PCT:
        level = level or "amber"
        notes.append(f"预算未执行 {unspent:.1f}%")
    budget = _num(row.get("budget_wan"))
    if budget is not None and budget <= 0:
        notes.append("预算为 0，无法判断执行")
    elif rate is None:
        notes.append("无执行数或执行率，无法判断执行")
    elif rate > 100.0:
        notes.append(f"执行率 {rate:.1f}% 超过 100%，按 100% 计分")
    return {
        "indicator_rate_pct": indicator_rate,
        "execution_score_pct": execution_score,
        "score_gap_pct": gap,
        "unspent_pct": unspent,
        "warning": level,
        "warning_label": WARNING_LABELS.get(level, "无"),
        "warnings": "；".join(notes) or None,
    }


def excellent_low_spend(judged: pd.DataFrame, below: float = LOW_SPEND_PCT) -> pd.DataFrame:
    """Projects that score 优 (printed score ≥ 90) while spending under `below` % of the budget."""
    if judged.empty:
        return judged
    return judged[_excellent_low_spend(judged, below)].reset_index(drop=True)


def _excellent_low_spend(judged: pd.DataFrame, below: float = LOW_SPEND_PCT) -> pd.Series:
    rate = pd.to_numeric(judged["rate_pct"], errors="coerce")
    score = pd.to_numeric(judged["score"], errors="coerce")
    return (score >= GRADE_BANDS[0][0] - 1e-9) & (rate < below)


# --- indicators -----------------------------------------------------------------------------


def not_met_without_reason(indicators: pd.DataFrame) -> pd.DataFrame:
    """Indicators not met whose document gives no deviation reason (偏差原因) for them."""
    if indicators.empty:
        return indicators
    reason = indicators["deviation_reason"]
    blank = reason.isna() | reason.astype("string").str.strip().eq("").fillna(True)
    return indicators[(indicators["status"] == "not_met") & blank].reset_index(drop=True)


def contradiction(row: dict) -> str | None:
    """Why an indicator reported as met contradicts its own target, or None."""
    actual_text = row.get("actual_text")
    if not isinstance(actual_text, str) or not actual_text.strip():
        return None
    if qualitative(actual_text) == "not_met":
        return f"完成值「{actual_text}」表示未完成"
    if parse_target(actual_text)[0] not in (None, "="):
        return None  # the actual is itself a bound (< 24小时): nothing to compare
    op, target, actual = (
        row.get("target_op"),
        _num(row.get("target_value")),
        _num(row.get("actual_value")),
    )
    if isinstance(op, str) and compare(op, target, actual) is False:
        unit = row.get("target_unit") if isinstance(row.get("target_unit"), str) else ""
        return f"目标 {op}{target:g}{unit}，完成 {actual:g}，未达到目标"
    return None


def _numeric_misses(met: pd.DataFrame) -> pd.Series:
    """Rows whose parsed actual misses the parsed target, as loaders.targets.compare judges."""
    op, target, actual = met["target_op"], met["target_value"], met["actual_value"]
    known = target.notna() & actual.notna()
    misses = (
        ((op == ">=") & (actual < target))
        | ((op == ">") & (actual <= target))
        | ((op == "<=") & (actual > target))
        | ((op == "<") & (actual >= target))
        # '=' is a floor for quantities (7个 planned, 8 done) but exact for zero (0 accidents)
        | ((op == "=") & (((target == 0) & (actual != 0)) | ((target != 0) & (actual < target))))
    )
    return known & misses


def met_contradicting(indicators: pd.DataFrame) -> pd.DataFrame:
    """Indicators reported as met (full score or met status) whose actual contradicts the target."""
    if indicators.empty:
        return indicators.assign(contradiction=[])
    met = indicators[indicators["status"] == "met"]
    texts = met["actual_text"]
    words = {t: qualitative(t) == "not_met" for t in texts.dropna().unique()}
    candidates = met[_numeric_misses(met) | texts.map(words).fillna(False).astype(bool)]
    reasons = [contradiction(r) for r in candidates.to_dict("records")]
    out = candidates.assign(contradiction=reasons)
    return out[out["contradiction"].notna()].reset_index(drop=True)


# --- figure ---------------------------------------------------------------------------------


def score_scatter(
    judged: pd.DataFrame, title: str = "自评得分与预算执行率", max_points: int = SCATTER_MAX_POINTS
) -> go.Figure:
    """Self-score against execution rate, coloured by warning; 优 with spending < 60 % named.

    Beyond max_points, every warned or named project is drawn and a fixed sample of the others
    (the title says so): a cloud of 100,000 points is neither readable nor quick to send.
    """
    rows = judged[judged["score"].notna() & judged["rate_pct"].notna()]
    named = excellent_low_spend(rows)
    if len(rows) > max_points:
        keep = rows["warning"].notna() | _excellent_low_spend(rows)
        rest = rows[~keep]
        room = max(max_points - int(keep.sum()), 0)
        sample = rest.sample(n=min(room, len(rest)), random_state=SCATTER_SAMPLE_SEED)
        title = f"{title}（抽样显示 {int(keep.sum()) + len(sample):,} / {len(rows):,} 个项目）"
        rows = pd.concat([rows[keep], sample])
    traces = []
    for level in ("red", "amber", None):
        part = rows[rows["warning"].isna()] if level is None else rows[rows["warning"] == level]
        if part.empty:
            continue
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": part["rate_pct"].tolist(),
                "y": part["score"].tolist(),
                "name": WARNING_LABELS.get(level, "无预警"),
                "marker": {"color": WARNING_COLOURS[level], "size": 10, "opacity": 0.85},
                "customdata": part.reindex(columns=["unit", "project"])
                .astype("object")
                .fillna("")
                .to_numpy(),
                "hovertemplate": "%{customdata[1]}<br>%{customdata[0]}<br>"
                "执行率 %{x:.1f}%<br>自评 %{y:.2f} 分<extra></extra>",
            }
        )
    if len(named):
        traces.append(
            {
                "type": "scatter",
                "mode": "text",
                "x": named["rate_pct"].tolist(),
                "y": named["score"].tolist(),
                "text": [f"{p}" for p in named["project"]],
                "textposition": "middle right",
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
    shapes = [
        {"type": "rect", "xref": "x", "yref": "y", "x0": 0, "x1": LOW_SPEND_PCT, "y0": 90,
         "y1": 100.5, "fillcolor": "rgba(214,69,65,0.08)", "line": {"width": 0}, "layer": "below"},
        {"type": "line", "xref": "x", "yref": "y", "x0": 0, "x1": 100, "y0": 90, "y1": 90,
         "line": {"color": GREY, "dash": "dot", "width": 1}},
    ]  # fmt: skip
    annotations = [
        {"x": 2, "y": 99.5, "xref": "x", "yref": "y", "text": f"优但执行率低于 {LOW_SPEND_PCT:g}%",
         "showarrow": False, "xanchor": "left", "font": {"color": "#a33", "size": 12}},
    ]  # fmt: skip
    x_top = max(105.0, float(rows["rate_pct"].max()) * 1.05) if len(rows) else 105.0
    y_low = min(50.0, float(rows["score"].min()) - 5) if len(rows) else 50.0
    return go.Figure(
        data=traces,
        layout={
            "title": {"text": title, "font": {"size": TITLE_FONT_SIZE, "weight": 600}, "x": 0},
            "font": {"family": FONT_FAMILY, "size": FONT_SIZE, "color": "#1f2933"},
            "height": 460,
            "margin": {"l": 10, "r": 30, "t": 90, "b": 40},
            "plot_bgcolor": "white",
            "paper_bgcolor": "white",
            "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
            "xaxis": {"title": {"text": "预算执行率（%）"}, "range": [-3, x_top],
                      "gridcolor": "#e6e9ee", "zeroline": False},
            "yaxis": {"title": {"text": "自评得分"}, "range": [y_low, 101],
                      "gridcolor": "#e6e9ee", "automargin": True},
            "shapes": shapes,
            "annotations": annotations,
        },
    )  # fmt: skip
