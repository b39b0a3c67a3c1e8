"""同类比较: a unit's execution rate, completion rate and recomputed score against its peers.

Peers are the units of the same kind, read from the name (卫健局/委, 疾控, 医院, 卫生院, 其他),
and the units of the same region. A unit's percentile is the share of its peers below it, ties
counted half: 100 × (peers below + ½ × peers equal) ÷ peers (the unit itself not among them), so
75 reads "higher than three quarters of its peers". With no peer there is no percentile.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .charts import _figure
from .constants import BLUE, CHART_HEIGHT, GREY, LIGHT_BLUE, RED
from .credibility import recompute
from .markup import plot_escape
from .queries import UNKNOWN_UNIT, rate_pct

# Unit kinds in the order they are tried: the first whose pattern is in the name wins
# (卫生院 before 医院: 中心卫生院 is no hospital; 疾控 before the commission: 卫生健康委员会疾病预防控制中心).
KIND_PATTERNS = (
    ("疾控", re.compile(r"疾病预防控制|疾控")),
    ("卫生院", re.compile(r"卫生院|社区卫生服务中心|社区卫生服务站")),
    ("医院", re.compile(r"医院|保健院|保健所|中医院|门诊部")),
    (
        "卫健局/委",
        re.compile(
            r"卫生健康局|卫生健康委员会|卫健局|卫健委|卫生和计划生育委员会|卫生计生委|卫生局"
        ),
    ),
)
OTHER_KIND = "其他"
KINDS = (*(k for k, _ in KIND_PATTERNS), OTHER_KIND)
METRICS = {
    "execution_rate_pct": "预算执行率（%）",
    "completion_pct": "指标完成率（%）",
    "score": "复算得分",
}
METRIC_SHORT = {"execution_rate_pct": "执行率", "completion_pct": "指标完成率", "score": "复算得分"}


def unit_kind(name) -> str:
    """卫健局/委, 疾控, 医院, 卫生院 or 其他, from the unit's name."""
    if not isinstance(name, str):
        return OTHER_KIND
    for kind, pattern in KIND_PATTERNS:
        if pattern.search(name):
            return kind
    return OTHER_KIND


def percentile(value, others) -> float | None:
    """100 × (others below value + ½ × others equal) ÷ len(others); None without value or others."""
    values = pd.to_numeric(pd.Series(list(others), dtype="object"), errors="coerce").dropna()
    if value is None or pd.isna(value) or values.empty:
        return None
    below = float((values < value).sum())
    equal = float((values == value).sum())
    return 100.0 * (below + 0.5 * equal) / len(values)


UNIT_COLUMNS = [
    "unit", "kind", "region", "n_docs", "years", "budget_wan", "actual_wan",
    "execution_rate_pct", "n_judged", "completion_pct", "n_scored", "score",
]  # fmt: skip


def _mode(values: pd.Series):
    counts = values.dropna().value_counts()
    return counts.index[0] if len(counts) else None


def unit_metrics(
    documents: pd.DataFrame,
    lines: pd.DataFrame,
    overall: pd.DataFrame,
    projects: pd.DataFrame,
    indicators: pd.DataFrame,
) -> pd.DataFrame:
    """Per unit: kind, region, budget and actual of its executed budget lines (its 部门整体
    rows when it has none), execution rate, indicator completion and mean recomputed score."""
    if documents.empty:
        return pd.DataFrame(columns=UNIT_COLUMNS)
    docs = documents.assign(unit=documents["unit"].fillna(UNKNOWN_UNIT))
    out = docs.groupby("unit").agg(
        n_docs=("doc_id", "nunique"),
        region=("region", _mode),
        years=("year", lambda y: "、".join(str(int(v)) for v in sorted(y.dropna().unique()))),
    )
    money = pd.DataFrame(index=out.index, columns=["budget_wan", "actual_wan"], dtype=float)
    for rows, level in ((lines, None), (overall, "department")):
        if rows.empty:
            continue
        part = rows if level is None else rows[rows["level"] == level]
        part = part[part["budget_wan"].notna() & part["actual_wan"].notna()]
        sums = part.groupby("unit")[["budget_wan", "actual_wan"]].sum()
        missing = money["budget_wan"].isna()
        money.loc[missing] = sums.reindex(money.index[missing]).to_numpy()
    out = out.join(money)
    out["execution_rate_pct"] = [
        rate_pct(a, b) for a, b in zip(out["actual_wan"], out["budget_wan"], strict=True)
    ]
    judged = indicators[indicators["status"].isin(("met", "not_met"))]
    met = judged["status"].eq("met").astype(int)
    counts = pd.DataFrame(
        {
            "n_judged": judged.groupby("unit").size(),
            "n_met": met.groupby(judged["unit"]).sum(),
        }
    )
    out = out.join(counts)
    out["n_judged"] = out["n_judged"].fillna(0).astype(int)
    out["completion_pct"] = (out["n_met"] / out["n_judged"] * 100.0).where(out["n_judged"] > 0)
    scored = recompute(projects, indicators)
    if len(scored):
        units = projects.drop_duplicates("doc_id").set_index("doc_id")["unit"]
        scored = scored.assign(unit=scored["doc_id"].map(units))
        scores = scored.groupby("unit")["recomputed_score"].agg(["mean", "count"])
        out = out.join(scores.rename(columns={"mean": "score", "count": "n_scored"}))
    else:
        out["score"], out["n_scored"] = np.nan, 0
    out["n_scored"] = out["n_scored"].fillna(0).astype(int)
    out = out.reset_index()
    out["kind"] = out["unit"].map(unit_kind)
    return out[UNIT_COLUMNS].sort_values("unit").reset_index(drop=True)


COMPARE_COLUMNS = [
    "metric",
    "label",
    "group",
    "group_name",
    "value",
    "n_peers",
    "median",
    "percentile",
]


def compare(metrics: pd.DataFrame, unit: str) -> pd.DataFrame:
    """The unit's value of each metric against its kind and its region: percentile and median."""
    rows = []
    me = metrics[metrics["unit"] == unit]
    if me.empty:
        return pd.DataFrame(columns=COMPARE_COLUMNS)
    me = me.iloc[0]
    others = metrics[metrics["unit"] != unit]
    groups = (
        ("kind", f"同类：{me['kind']}", others[others["kind"] == me["kind"]]),
        ("region", f"同地区：{me['region'] or '未知'}", others[others["region"] == me["region"]]),
        ("all", "全部单位", others),
    )
    for metric, label in METRICS.items():
        for group, name, peers in groups:
            values = peers[metric].dropna()
            rows.append(
                {
                    "metric": metric,
                    "label": label,
                    "group": group,
                    "group_name": name,
                    "value": me[metric],
                    "n_peers": int(len(values)),
                    "median": float(values.median()) if len(values) else None,
                    "percentile": percentile(me[metric], values),
                }
            )
    return pd.DataFrame(rows, columns=COMPARE_COLUMNS)


def by_region(metrics: pd.DataFrame) -> pd.DataFrame:
    """Regions side by side: units, money, execution rate of the sums, median unit rate,
    indicator completion of the units' judged indicators and mean recomputed score."""
    columns = [
        "region", "n_units", "budget_wan", "actual_wan", "execution_rate_pct",
        "median_unit_rate_pct", "completion_pct", "score",
    ]  # fmt: skip
    if metrics.empty:
        return pd.DataFrame(columns=columns)
    frame = metrics.assign(
        region=metrics["region"].fillna("未知"),
        n_met=metrics["completion_pct"] * metrics["n_judged"] / 100.0,
        score_sum=metrics["score"] * metrics["n_scored"],
    )
    out = frame.groupby("region").agg(
        n_units=("unit", "size"),
        budget_wan=("budget_wan", "sum"),
        actual_wan=("actual_wan", "sum"),
        median_unit_rate_pct=("execution_rate_pct", "median"),
        n_met=("n_met", "sum"),
        n_judged=("n_judged", "sum"),
        score_sum=("score_sum", "sum"),
        n_scored=("n_scored", "sum"),
    )
    out["execution_rate_pct"] = [
        rate_pct(a, b) for a, b in zip(out["actual_wan"], out["budget_wan"], strict=True)
    ]
    out["completion_pct"] = (out["n_met"] / out["n_judged"] * 100.0).where(out["n_judged"] > 0)
    out["score"] = (out["score_sum"] / out["n_scored"]).where(out["n_scored"] > 0)
    out = out.reset_index().sort_values(["n_units", "region"], ascending=[False, True])
    return out[columns].reset_index(drop=True)


# --- figures ----------------------------------------------------------------------------------

# Points drawn per group at most (a fixed sample of the rest; the box uses every unit).
STRIP_MAX_POINTS = 400
STRIP_SEED = 7
# Regions whose bars carry their values as labels, at most.
REGION_LABELS_MAX = 8


def _jitter(n: int, seed: int) -> list[float]:
    return np.random.default_rng(seed).uniform(-0.28, 0.28, n).tolist()


def peer_chart(metrics: pd.DataFrame, unit: str, metric: str) -> go.Figure:
    """One metric: the distribution of the unit's kind and of its region (boxes with their
    units as points) and the unit itself as a red diamond."""
    label = METRICS[metric]
    # short enough for a phone: the unit is named by its red diamond in the legend
    title = f"{label}：本单位与同类、同地区"
    me = metrics[metrics["unit"] == unit]
    if me.empty:
        return _figure([], title, legend=False)
    me = me.iloc[0]
    others = metrics[metrics["unit"] != unit]
    groups = [
        (f"同类：{me['kind']}", others[others["kind"] == me["kind"]]),
        (f"同地区：{me['region'] or '未知'}", others[others["region"] == me["region"]]),
        ("全部单位", others),
    ]
    traces = []
    for k, (name, peers) in enumerate(groups):
        values = peers[[metric, "unit"]].dropna()
        shown = (
            values.sample(STRIP_MAX_POINTS, random_state=STRIP_SEED)
            if len(values) > STRIP_MAX_POINTS
            else values
        )
        traces.append(
            {
                "type": "box",
                "x": [k] * len(values),
                "y": values[metric].tolist(),
                "name": name,
                "boxpoints": False,
                "marker": {"color": LIGHT_BLUE},
                "line": {"color": BLUE},
                "fillcolor": "rgba(156,195,234,0.25)",
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [k + j for j in _jitter(len(shown), STRIP_SEED + k)],
                "y": shown[metric].tolist(),
                "marker": {"color": GREY, "size": 7, "opacity": 0.7},
                "customdata": shown["unit"].tolist(),
                "hovertemplate": "%{customdata}<br>%{y:.1f}<extra></extra>",
                "showlegend": False,
            }
        )
    value = me[metric]
    if pd.notna(value):
        traces.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "x": list(range(len(groups))),
                "y": [value] * len(groups),
                "name": unit,
                "text": [f"{value:.1f}"] * len(groups),
                "textposition": "middle right",
                "marker": {"color": RED, "size": 14, "symbol": "diamond"},
                "hovertemplate": "本单位 %{y:.1f}<extra></extra>",
            }
        )
    return _figure(
        traces,
        title,
        CHART_HEIGHT,
        legend=True,
        yaxis={"title": {"text": label}},
        xaxis={
            "tickvals": list(range(len(groups))),
            "ticktext": [plot_escape(f"{g}（{p[metric].notna().sum()} 个）") for g, p in groups],
            "range": [-0.5, len(groups) - 0.5],
            "showgrid": False,
        },
    )


def regions_chart(regions: pd.DataFrame) -> go.Figure:
    """Regions side by side: execution rate, median unit rate and indicator completion (%)."""
    title = "各地区对比：执行率与指标完成率"
    if regions.empty:
        return _figure([], title, legend=False)
    series = (
        ("execution_rate_pct", "预算执行率（合计）", BLUE),
        ("median_unit_rate_pct", "单位执行率中位数", LIGHT_BLUE),
        ("completion_pct", "指标完成率", "#2e9e5b"),
    )
    traces = [
        {
            "type": "bar",
            "x": regions["region"].tolist(),
            "y": regions[column].tolist(),
            "name": name,
            "marker": {"color": colour},
            # labels only while they fit above their bars
            "text": [f"{v:.1f}%" if pd.notna(v) else "—" for v in regions[column]]
            if len(regions) <= REGION_LABELS_MAX
            else None,
            "textposition": "outside",
            "cliponaxis": False,
            "hovertemplate": "%{x}<br>" + name + " %{y:.1f}%<extra></extra>",
        }
        for column, name, colour in series
    ]
    top = pd.concat([regions[c] for c, _, _ in series]).max()
    return _figure(
        traces,
        title,
        CHART_HEIGHT,
        barmode="group",
        yaxis={"title": {"text": "%"}, "range": [0, max(110.0, float(top or 0) * 1.12)]},
    )
