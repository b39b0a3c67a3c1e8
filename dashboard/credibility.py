"""Self-score credibility: the official formula recomputed, plausibility warnings, indicator checks.

The standard 项目支出绩效自评表 scores a project as the points of its indicators plus the execution
rate × 10 (the rate capped at 100 %), and grades it 优 ≥ 90, 良 80–90, 中 60–80, 差 < 60. Self-scores
are written by the unit evaluated; these pure functions show where a printed score does not follow
from the document's own numbers, and where it is implausible against the money spent.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from loaders.targets import parse_target, qualitative

from .charts import LEGEND, LEGEND_PX, TITLE, plot_safe
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
    UNSPENT_AMBER_PCT,
    WARNING_COLOURS,
    WARNING_LABELS,
    WEIGHT_TOLERANCE,
)

# Budget lines whose self-score is judged: projects, and a department's overall evaluation.
SCORED_LEVELS = ("project", "department")
CHECK_AGREES, CHECK_DIFFERS, CHECK_INCOMPLETE = "一致", "不一致", "无法复算"
# The scatter draws at most this many projects (all warned ones, a fixed sample of the rest;
# when the warned ones alone are more, a fixed sample of them, red before amber).
SCATTER_MAX_POINTS = 3000
SCATTER_SAMPLE_SEED = 4
# 优-but-underspent projects named on the scatter at most (largest budgets first); the table
# beside it lists them all.
SCATTER_MAX_LABELS = 20


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


def scoring_rates(rows: pd.DataFrame) -> pd.Series:
    """The execution rate each form scored: printed beside the score, else computed.

    A project with an annex table (alt_source_line) was scored in that table, so its rate wins;
    otherwise the printed rate, else actual / budget (none for a budget of 0).
    """
    budget, actual = rows["budget_wan"].astype(float), rows["actual_wan"].astype(float)
    share = (actual / budget * 100.0).where(budget > 0)
    rate = rows["reported_rate_pct"].astype(float)
    rate = rate.fillna(rows["execution_rate_pct"].astype(float)).fillna(share)
    annex = rows["alt_source_line"].notna() & rows["alt_rate_pct"].notna()
    return rate.mask(annex, rows["alt_rate_pct"].astype(float))


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


# --- the official formula -------------------------------------------------------------------


RECOMPUTED_COLUMNS = [
    "doc_id", "level", "project", "budget_wan", "actual_wan", "rate_pct", "score", "grade",
    "n_indicators", "indicator_weight", "indicator_points", "funds_weight", "funds_score",
    "execution_points", "recomputed_score", "score_diff", "grade_printed_score",
    "grade_recomputed", "check", "differences", "source_line", "end_line",
    "alt_source_line", "indicator_line",
]  # fmt: skip
# Project columns the formula reads.
FORMULA_INPUTS = [
    "doc_id", "level", "project", "budget_wan", "actual_wan", "reported_rate_pct",
    "execution_rate_pct", "alt_rate_pct", "alt_source_line", "score", "grade",
    "funds_weight", "funds_score", "source_line", "end_line",
]  # fmt: skip
DEPARTMENT_KEY = "部门整体"  # a department's indicators carry no project


def grades(scores: pd.Series) -> pd.Series:
    """grade() for a column: 优 / 良 / 中 / 差, None where there is no score."""
    values = pd.to_numeric(scores, errors="coerce").to_numpy(float)
    names = np.full(len(values), GRADE_LOWEST, dtype=object)
    for floor, name in reversed(GRADE_BANDS):
        names[values >= floor - 1e-9] = name
    names[np.isnan(values)] = None
    return pd.Series(names, index=scores.index, dtype="object")


def _keys(doc_ids: pd.Series, projects: pd.Series) -> pd.Series:
    """doc_id and project (or the department) as one join key."""
    return doc_ids.astype(str) + "\t" + ("项目:" + projects.astype("object")).fillna(DEPARTMENT_KEY)


def recompute(projects: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Every self-scored project (and department evaluation) with its score recomputed.

    recomputed_score = indicator points + execution points, where the execution points are the
    scoring rate × the funds weight (printed funds_weight; else 0 when the indicators already
    weigh 100, the funds line being one of them; else the standard 10). check is 一致 / 不一致 /
    无法复算, and `differences` says in Chinese what does not add up or what is missing.
    """
    if projects.empty:
        return pd.DataFrame(columns=RECOMPUTED_COLUMNS)
    rows = projects.loc[projects["level"].isin(SCORED_LEVELS)].reindex(columns=FORMULA_INPUTS)
    rows = rows.reset_index(drop=True)
    own = rows["project"].where(rows["level"] != "department")
    totals = indicator_totals(indicators)
    totals.index = _keys(totals["doc_id"], totals["project"])
    totals = totals[~totals.index.duplicated()]
    ind = totals.reindex(_keys(rows["doc_id"], own)).reset_index(drop=True)
    n = ind["n_indicators"].fillna(0).astype(int)
    scored = ind["n_scored"].fillna(0).astype(int)
    score = rows["score"].astype(float)
    keep = score.notna() | (scored > 0)
    rows, ind, n, scored, score = rows[keep], ind[keep], n[keep], scored[keep], score[keep]

    rate = scoring_rates(rows)
    weight_sum = ind["weight_sum"].astype(float).where(scored > 0)
    points = ind["points"].astype(float).where(scored > 0)
    inside = (weight_sum - FULL_SCORE).abs() <= WEIGHT_TOLERANCE  # funds line among indicators
    funds_weight = (
        rows["funds_weight"]
        .astype(float)
        .fillna(pd.Series(np.where(inside, 0.0, FUNDS_WEIGHT), index=rows.index))
    )
    exec_points = (rate.clip(0.0, 100.0) / 100.0 * funds_weight).mask(funds_weight == 0, 0.0)
    recomputed = points + exec_points
    diff = recomputed - score
    weights_full = weight_sum.notna() & (
        (weight_sum + funds_weight - FULL_SCORE).abs() <= WEIGHT_TOLERANCE
    )
    no_table = n == 0
    no_scores = (n > 0) & (scored == 0)
    partly = (scored > 0) & (scored < n)
    bad_weights = weight_sum.notna() & ~weights_full
    no_rate = (funds_weight > 0) & rate.isna()
    no_score = score.isna()
    complete = ~(no_table | no_scores | (partly & ~weights_full) | bad_weights | no_rate | no_score)
    agrees = complete & diff.notna() & (diff.abs() <= SCORE_TOLERANCE)
    differs = complete & diff.notna() & ~agrees
    check = np.where(agrees, CHECK_AGREES, np.where(differs, CHECK_DIFFERS, CHECK_INCOMPLETE))
    printed_funds = rows["funds_score"].astype(float)
    funds_off = (
        printed_funds.notna()
        & exec_points.notna()
        & ((printed_funds - exec_points).abs() > SCORE_TOLERANCE)
    )
    printed_grade = rows["grade"].where(rows["grade"].map(lambda g: isinstance(g, str) and bool(g)))
    grade_of_score = grades(score)
    grade_off = printed_grade.notna() & score.notna() & (grade_of_score != printed_grade)

    flags = [
        no_table,
        no_scores,
        partly,
        bad_weights,
        no_rate,
        no_score,
        differs,
        funds_off,
        grade_off,
    ]
    needs_text = np.logical_or.reduce([f.to_numpy() for f in flags])
    texts = [None] * len(rows)
    values = [
        s.to_numpy()
        for s in (n, scored, weight_sum, funds_weight, recomputed, score, diff, printed_funds,
                  exec_points, printed_grade, grade_of_score, weights_full)
    ]  # fmt: skip
    flag_values = [f.to_numpy() for f in flags]
    for i in np.flatnonzero(needs_text):
        nn, sc, ws, fw, rc, sco, df, pf, ep, pg, gs, full = (v[i] for v in values)
        t, nos, part, badw, nor, noscore, diff_i, fund_i, grade_i = (f[i] for f in flag_values)
        problems, notes = [], []
        if t:
            problems.append("没有指标表（附件缺表或未读出），无法复算")
        elif nos:
            problems.append("指标没有分值和得分")
        elif part and full:
            notes.append(f"另有 {nn - sc} 项指标未印分值或得分（不计分）")
        elif part:
            problems.append(f"{nn - sc} 项指标缺分值或得分")
        if badw:
            problems.append(f"指标分值 {ws:g} + 资金 {fw:g} = {ws + fw:g}，不是 100")
        if nor:
            problems.append("没有执行率（无执行数或预算为 0），无法计算资金得分")
        if noscore:
            problems.append("文档未印发自评总分")
        if diff_i:
            problems.append(f"复算 {rc:.2f} 分，印发 {sco:g} 分，相差 {df:+.2f} 分")
        problems += notes
        if fund_i:
            problems.append(f"资金得分印发 {pf:g}，按执行率应为 {ep:.2f}")
        if grade_i:
            problems.append(f"印发等级「{pg}」与印发得分 {sco:g} 对应的「{gs}」不符")
        texts[i] = "；".join(problems) or None

    out = pd.DataFrame(
        {
            "doc_id": rows["doc_id"],
            "level": rows["level"],
            "project": rows["project"],
            "budget_wan": rows["budget_wan"].astype(float),
            "actual_wan": rows["actual_wan"].astype(float),
            "rate_pct": rate,
            "score": score,
            "grade": printed_grade.astype("object"),
            "n_indicators": n,
            "indicator_weight": weight_sum,
            "indicator_points": points,
            "funds_weight": funds_weight,
            "funds_score": printed_funds,
            "execution_points": exec_points,
            "recomputed_score": recomputed,
            "score_diff": diff,
            "grade_printed_score": grade_of_score,
            "grade_recomputed": grades(recomputed),
            "check": check,
            "differences": pd.Series(texts, index=rows.index, dtype="object"),
            "source_line": rows["source_line"],
            "end_line": rows["end_line"],
            "alt_source_line": rows["alt_source_line"],
            "indicator_line": ind["first_line"],
        }
    )
    return out[RECOMPUTED_COLUMNS].reset_index(drop=True)


# --- plausibility ---------------------------------------------------------------------------


def plausibility(scored: pd.DataFrame) -> pd.DataFrame:
    """The warnings of provincial performance systems on recompute()'s rows.

    indicator_rate_pct = indicator points / indicator weights; execution_score_pct = the scoring
    rate capped to 0–100 (the share of the funds points earned). red: the first exceeds the second
    by more than SCORE_GAP_RED_PCT points; amber: more than UNSPENT_AMBER_PCT % of the budget
    unspent. Budget 0, a missing actual or a rate above 100 % never raise amber; they are noted.
    """
    if scored.empty:
        return scored.assign(
            indicator_rate_pct=[], execution_score_pct=[], score_gap_pct=[], unspent_pct=[],
            warning=[], warning_label=[], warnings=[],
        )  # fmt: skip
    rows = scored.reset_index(drop=True)
    weight = rows["indicator_weight"].astype(float)
    points = rows["indicator_points"].astype(float)
    rate = rows["rate_pct"].astype(float)
    budget = rows["budget_wan"].astype(float)
    indicator_rate = (points / weight * 100.0).where((weight != 0) & weight.notna())
    execution_score = rate.clip(0.0, 100.0)
    gap = indicator_rate - execution_score
    unspent = unspent_pcts(budget, rows["actual_wan"].astype(float), rate)
    red = (gap > SCORE_GAP_RED_PCT).to_numpy()
    amber = (unspent > UNSPENT_AMBER_PCT).to_numpy()
    level = np.where(red, "red", np.where(amber, "amber", None))
    zero = (budget <= 0).to_numpy()
    no_rate = rate.isna().to_numpy()
    over = (rate > 100.0).to_numpy()
    columns = (indicator_rate, execution_score, gap, unspent, rate)
    ir, es, gp, un, rt = (c.to_numpy() for c in columns)
    notes = [None] * len(rows)
    for i in np.flatnonzero(red | amber | zero | no_rate | over):
        parts = []
        if red[i]:
            parts.append(
                f"指标得分率 {ir[i]:.1f}% 高于执行得分率 {es[i]:.1f}%（{gp[i]:.1f} 个百分点）"
            )
        if amber[i]:
            parts.append(f"预算未执行 {un[i]:.1f}%")
        if zero[i]:
            parts.append("预算为 0，无法判断执行")
        elif no_rate[i]:
            parts.append("无执行数或执行率，无法判断执行")
        elif over[i]:
            parts.append(f"执行率 {rt[i]:.1f}% 超过 100%，按 100% 计分")
        notes[i] = "；".join(parts)
    return rows.assign(
        indicator_rate_pct=indicator_rate,
        execution_score_pct=execution_score,
        score_gap_pct=gap,
        unspent_pct=unspent,
        warning=pd.Series(level, dtype="object"),
        warning_label=[WARNING_LABELS.get(v, "无") for v in level],
        warnings=pd.Series(notes, dtype="object"),
    )


def unspent_pcts(budget: pd.Series, actual: pd.Series, rate: pd.Series) -> pd.Series:
    """Share of each budget not spent (%): from the amounts, else from the printed rate; none
    for a budget of 0 or below."""
    from_amounts = (budget - actual) / budget * 100.0
    return from_amounts.fillna(100.0 - rate).where(~(budget <= 0))


def excellent_low_spend(judged: pd.DataFrame, below: float = LOW_SPEND_PCT) -> pd.DataFrame:
    """Projects that score 优 (printed score ≥ 90) while spending under `below` % of the budget."""
    if judged.empty:
        return judged
    return judged[_excellent_low_spend(judged, below)].reset_index(drop=True)


def _excellent_low_spend(judged: pd.DataFrame, below: float = LOW_SPEND_PCT) -> pd.Series:
    rate = pd.to_numeric(judged["rate_pct"], errors="coerce")
    score = pd.to_numeric(judged["score"], errors="coerce")
    return (score >= GRADE_BANDS[0][0] - 1e-9) & (rate < below)


# Projects a warning names at most; the table above it lists them all.
NAMED_MAX = 10


def named_list(rows: pd.DataFrame, text, where: str = "上表") -> str:
    """'；'-joined texts of the first NAMED_MAX rows, for a warning naming them, and how many
    more there are (a paragraph naming 1,000 projects is read by nobody)."""
    named = "；".join(text(row) for row in rows.head(NAMED_MAX).itertuples(index=False))
    if len(rows) > NAMED_MAX:
        named += f"；……另有 {len(rows) - NAMED_MAX:,} 个项目，共 {len(rows):,} 个，见{where}或下载"
    return named


# --- indicators -----------------------------------------------------------------------------


def not_met_without_reason(indicators: pd.DataFrame) -> pd.DataFrame:
    """Indicators not met whose document gives no deviation reason (偏差原因) for them."""
    if indicators.empty:
        return indicators
    reason = indicators["deviation_reason"]
    blank = reason.isna() | reason.astype("string").str.strip().eq("").fillna(True)
    return indicators[(indicators["status"] == "not_met") & blank].reset_index(drop=True)


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
    """Indicators reported as met (full score or met status) whose actual contradicts the target:
    an actual such as 未完成, or a number that misses the target. An actual that is itself a
    bound (< 24小时) is not compared. The reason is in the contradiction column.
    """
    if indicators.empty:
        return indicators.assign(contradiction=[])
    met = indicators[indicators["status"] == "met"]
    texts = met["actual_text"]
    unique = [t for t in texts.dropna().unique() if isinstance(t, str) and t.strip()]
    says_not_met = texts.map({t: qualitative(t) == "not_met" for t in unique})
    is_bound = texts.map({t: parse_target(t)[0] not in (None, "=") for t in unique})
    says_not_met = says_not_met.fillna(False).astype(bool)
    numeric = _numeric_misses(met) & is_bound.eq(False)
    candidates = met[says_not_met | numeric]
    if candidates.empty:
        return candidates.assign(contradiction=[]).reset_index(drop=True)
    words = says_not_met[candidates.index].to_numpy()
    units = candidates["target_unit"].where(
        candidates["target_unit"].map(lambda u: isinstance(u, str)), ""
    )
    reasons = [
        f"完成值「{text}」表示未完成"
        if word
        else f"目标 {op}{target:g}{unit}，完成 {actual:g}，未达到目标"
        for word, text, op, target, unit, actual in zip(
            words,
            candidates["actual_text"],
            candidates["target_op"],
            candidates["target_value"],
            units,
            candidates["actual_value"],
            strict=True,
        )
    ]
    return candidates.assign(contradiction=reasons).reset_index(drop=True)


# --- figure ---------------------------------------------------------------------------------


def _sample_flagged(flagged: pd.DataFrame, n: int) -> pd.DataFrame:
    """n of the warned projects: red ones first (a fixed sample when they alone are more)."""
    red = flagged[flagged["warning"] == "red"]
    other = flagged[flagged["warning"] != "red"]
    if len(red) >= n:
        return red.sample(n=n, random_state=SCATTER_SAMPLE_SEED)
    return pd.concat([red, other.sample(n=n - len(red), random_state=SCATTER_SAMPLE_SEED)])


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
        flagged, rest = rows[keep], rows[~keep]
        if len(flagged) > max_points:
            flagged = _sample_flagged(flagged, max_points)
            rest = rest.iloc[:0]
        room = max(max_points - len(flagged), 0)
        sample = rest.sample(n=min(room, len(rest)), random_state=SCATTER_SAMPLE_SEED)
        title = f"{title}（抽样显示 {len(flagged) + len(sample):,} / {len(rows):,} 个项目）"
        rows = pd.concat([flagged, sample])
    if len(named) > SCATTER_MAX_LABELS:
        named = named.sort_values("budget_wan", ascending=False, na_position="last")
        named = named.head(SCATTER_MAX_LABELS)
        title = f"{title}，标注预算最大的 {SCATTER_MAX_LABELS} 个优而低执行项目"
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
        data=plot_safe(traces),
        layout={
            "title": TITLE | {"text": title},
            "font": {"family": FONT_FAMILY, "size": FONT_SIZE, "color": "#1f2933"},
            "height": 460 + LEGEND_PX,
            "margin": {"l": 10, "r": 30, "t": 60, "b": 10},
            "plot_bgcolor": "white",
            "paper_bgcolor": "white",
            "legend": LEGEND,
            "xaxis": {"title": {"text": "预算执行率（%）"}, "range": [-3, x_top],
                      "gridcolor": "#e6e9ee", "zeroline": False},
            "yaxis": {"title": {"text": "自评得分"}, "range": [y_low, 101],
                      "gridcolor": "#e6e9ee", "automargin": True},
            "shapes": shapes,
            "annotations": annotations,
        },
    )  # fmt: skip
