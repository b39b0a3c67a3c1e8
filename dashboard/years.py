"""年度对比: a unit's budget, execution and completion by year, and its projects across years.

Projects are matched from one year to the next by name. Names are first normalised (white
space, brackets and quotes, a leading 2021年 / 2021年度, a continuation note such as （续建） /
（结转）, and generic tails such as 项目 / 经费 / 专项资金 dropped); equal normalised names match with score 1. The rest are paired by
difflib.SequenceMatcher's ratio of the normalised names, best pairs first, each project at most
once, when the ratio is at least MATCH_MIN_SCORE. A project is matched to the latest earlier
year it appeared in (a year without a document in between is skipped over), so a chain of
matches is one recurring project (a track) with the score of each link shown.

A track is below the threshold "two or more years running" when it executes below the threshold
(constants.LOW_EXECUTION_PCT by default) in at least two consecutive calendar years.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .charts import _figure
from .constants import BLUE, CHART_HEIGHT, GREEN, LIGHT_BLUE, LOW_EXECUTION_PCT, RED
from .queries import deviation_reasons, rate_pct

MATCH_MIN_SCORE = 0.75

_SPACE = re.compile(r"\s+")
_QUOTES = re.compile(r"[《》“”\"'‘’「」【】\[\]]")
_LEAD_YEAR = re.compile(r"^(?:19|20)\d{2}(?:年度|年)?")
_TAIL = re.compile(
    r"(?:项目经费|专项资金|专项经费|工作经费|补助资金|项目资金|项目|经费|资金|专项|工作)$"
)
# A continuation note in brackets: the same project (（一期） / （二期） are different ones).
_NOTE = re.compile(r"（(?:续|延续|续建|续作|结转|含结转|年度|新增|追加)）$")
_PHASE = re.compile(r"[（(]([一二三四五六七八九十0-9]+)期[）)]")
_BRACKETS = str.maketrans({"(": "（", ")": "）"})


def normalise_name(name) -> str:
    """A project name reduced to what identifies it across years (see the module docstring)."""
    if not isinstance(name, str):
        return ""
    text = _SPACE.sub("", name).translate(_BRACKETS)
    text = _QUOTES.sub("", text)
    text = _LEAD_YEAR.sub("", text)
    text = _NOTE.sub("", text)
    for _ in range(2):  # 专项经费项目 → 专项经费 → (kept: nothing but the tail would be left)
        stripped = _TAIL.sub("", text)
        if len(stripped) < 2 or stripped == text:
            break
        text = stripped
    return text


def similarity(a: str, b: str) -> float:
    """How alike two normalised names are: 1 when equal, else SequenceMatcher's ratio."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _phases(a: str, b: str) -> bool:
    """True when both names print a phase (（一期）, （二期）) and the phases differ."""
    pa, pb = _PHASE.findall(a), _PHASE.findall(b)
    return bool(pa and pb and pa != pb)


def _pairs(new: list[str], old: list[str], minimum: float) -> list[tuple[float, int, int]]:
    """(score, i, j) for every pair of new[i], old[j] scoring at least minimum, best first;
    two different phases of a project (（一期） / （二期）) are never a pair."""
    found = []
    for i, a in enumerate(new):
        matcher = SequenceMatcher(None, a, autojunk=False)
        for j, b in enumerate(old):
            if not a or not b or _phases(a, b):
                continue
            # the ratio can be no higher than 2·min / (len a + len b): skip hopeless pairs
            if 2.0 * min(len(a), len(b)) / (len(a) + len(b)) < minimum:
                continue
            matcher.set_seq2(b)
            if matcher.real_quick_ratio() < minimum or matcher.quick_ratio() < minimum:
                continue
            score = matcher.ratio()
            if score >= minimum:
                found.append((score, i, j))
    found.sort(key=lambda x: (-x[0], x[1], x[2]))
    return found


TRACK_COLUMNS = ["track", "match_score", "previous_project", "previous_year"]


def match_tracks(rows: pd.DataFrame, minimum: float = MATCH_MIN_SCORE) -> pd.DataFrame:
    """rows (one unit's projects: year, project) with track, match_score (to the previous
    appearance; NaN for a first one), previous_project and previous_year.

    Within a year each normalised name is one project; rows of the same year and normalised
    name share a track.
    """
    out = rows.copy()
    if out.empty:
        return out.assign(**{c: [] for c in TRACK_COLUMNS})
    out["_norm"] = out["project"].map(normalise_name)
    track = np.full(len(out), -1, dtype=np.int64)
    score = np.full(len(out), np.nan)
    previous = np.empty(len(out), dtype=object)
    previous_year = np.full(len(out), np.nan)
    last: dict[int, tuple[int, str, str]] = {}  # track -> (year, normalised name, name as printed)
    next_track = 0
    years = sorted(y for y in out["year"].dropna().unique())
    for year in years:
        at = np.flatnonzero((out["year"] == year).to_numpy())
        names = list(dict.fromkeys(out["_norm"].iloc[at]))
        open_tracks = [t for t, (y, _, _) in last.items() if y < year]
        # the latest appearance of each normalised name among the open tracks wins
        by_name: dict[str, int] = {}
        for t in sorted(open_tracks, key=lambda t: last[t][0]):
            by_name[last[t][1]] = t
        assigned: dict[str, tuple[int, float]] = {}
        for name in names:
            if name in by_name:
                assigned[name] = (by_name.pop(name), 1.0)
        rest_new = [n for n in names if n not in assigned]
        rest_old = [t for t in open_tracks if t not in {a for a, _ in assigned.values()}]
        old_names = [last[t][1] for t in rest_old]
        taken_new, taken_old = set(), set()
        for s, i, j in _pairs(rest_new, old_names, minimum):
            if i in taken_new or j in taken_old:
                continue
            taken_new.add(i)
            taken_old.add(j)
            assigned[rest_new[i]] = (rest_old[j], s)
        for name in names:
            if name not in assigned:
                assigned[name] = (next_track, np.nan)
                next_track += 1
        for k in at:
            t, s = assigned[out["_norm"].iloc[k]]
            track[k], score[k] = t, s
            if t in last and last[t][0] < year:
                previous[k], previous_year[k] = last[t][2], last[t][0]
        for k in at:
            last[int(track[k])] = (year, out["_norm"].iloc[k], out["project"].iloc[k])
    out["track"], out["match_score"] = track, score
    out["previous_project"], out["previous_year"] = previous, previous_year
    return out.drop(columns="_norm")


# --- the unit's view ----------------------------------------------------------------------------

YEAR_COLUMNS = [
    "year", "n_docs", "n_projects", "budget_wan", "actual_wan", "execution_rate_pct",
    "n_low", "n_judged", "completion_pct",
]  # fmt: skip


def multi_year_units(documents: pd.DataFrame) -> list[str]:
    """Units with documents of two years or more, most years first."""
    docs = documents[documents["year"].notna() & documents["unit"].notna()]
    years = docs.groupby("unit")["year"].nunique()
    years = years[years >= 2]
    return sorted(years.index, key=lambda u: (-years[u], u))


def unit_lines(lines: pd.DataFrame, unit: str) -> pd.DataFrame:
    """The unit's executed budget lines with a year, one per (year, normalised name): the
    largest budget when two documents of a year list the same project."""
    rows = lines[(lines["unit"] == unit) & lines["year"].notna() & lines["executed"]]
    if rows.empty:
        return rows
    rows = rows.assign(_norm=rows["project"].map(normalise_name))
    rows = rows.sort_values(["year", "budget_wan"], ascending=[True, False], kind="stable")
    rows = rows.drop_duplicates(["year", "_norm"]).drop(columns="_norm")
    return rows.reset_index(drop=True)


def by_year(
    rows: pd.DataFrame, indicators: pd.DataFrame, threshold: float = LOW_EXECUTION_PCT
) -> pd.DataFrame:
    """Per year of the unit: documents, projects, budget, actual, rate, low projects, completion."""
    if rows.empty:
        return pd.DataFrame(columns=YEAR_COLUMNS)
    out = rows.groupby("year").agg(
        n_docs=("doc_id", "nunique"),
        n_projects=("project", "size"),
        budget_wan=("budget_wan", "sum"),
        actual_wan=("actual_wan", "sum"),
        n_low=("rate_pct", lambda r: int((r < threshold).sum())),
    )
    out["execution_rate_pct"] = [
        rate_pct(a, b) for a, b in zip(out["actual_wan"], out["budget_wan"], strict=True)
    ]
    judged = indicators[indicators["status"].isin(("met", "not_met")) & indicators["year"].notna()]
    met = judged["status"].eq("met").astype(int)
    counts = pd.DataFrame(
        {
            "n_judged": judged.groupby("year").size(),
            "n_met": met.groupby(judged["year"]).sum(),
        }
    )
    out = out.join(counts)
    out["n_judged"] = out["n_judged"].fillna(0).astype(int)
    out["completion_pct"] = (out["n_met"] / out["n_judged"] * 100.0).where(out["n_judged"] > 0)
    out = out.reset_index()
    out["year"] = out["year"].astype(int)
    return out[YEAR_COLUMNS]


def tracks(rows: pd.DataFrame, minimum: float = MATCH_MIN_SCORE) -> pd.DataFrame:
    """The unit's lines with their track (match_tracks) and the number of years of each track."""
    matched = match_tracks(rows, minimum)
    if matched.empty:
        return matched.assign(n_years=[])
    matched["n_years"] = matched.groupby("track")["year"].transform("nunique")
    return matched.sort_values(["track", "year"]).reset_index(drop=True)


def low_streaks(
    matched: pd.DataFrame, threshold: float = LOW_EXECUTION_PCT, min_years: int = 2
) -> pd.DataFrame:
    """The rows of tracks executing below threshold in min_years consecutive years or more,
    with streak (the longest run of such years) and streak_years ('2020–2022')."""
    if matched.empty:
        return matched.assign(streak=[], streak_years=[])
    low = matched[matched["rate_pct"] < threshold]
    keep, runs, spans = [], {}, {}
    for t, rows in low.groupby("track"):
        years = sorted({int(y) for y in rows["year"]})
        best, start, run_start, prev = 1, years[0], years[0], years[0]
        run = 1
        for y in years[1:]:
            run = run + 1 if y == prev + 1 else 1
            if run == 1:
                run_start = y
            if run > best:
                best, start = run, run_start
            prev = y
        if best >= min_years:
            keep.append(t)
            runs[t], spans[t] = best, f"{start}–{start + best - 1}"
    out = low[low["track"].isin(keep)].copy()
    out["streak"] = out["track"].map(runs)
    out["streak_years"] = out["track"].map(spans)
    return out.sort_values(["streak", "track", "year"], ascending=[False, True, True]).reset_index(
        drop=True
    )


def pivot(matched: pd.DataFrame) -> pd.DataFrame:
    """One row per track: its latest name, years present and the execution rate of each year."""
    if matched.empty:
        return pd.DataFrame(columns=["track", "project", "n_years"])
    latest = matched.sort_values("year").groupby("track").tail(1).set_index("track")
    rates = matched.pivot_table(index="track", columns="year", values="rate_pct", aggfunc="first")
    rates.columns = [f"{int(y)} 执行率（%）" for y in rates.columns]
    names = matched.groupby("track")["project"].agg(lambda p: " → ".join(dict.fromkeys(p)))
    scores = matched.groupby("track")["match_score"].min()
    out = pd.DataFrame(
        {
            "project": latest["project"],
            "names": names,
            "n_years": latest["n_years"],
            "min_score": scores,
        }
    ).join(rates)
    return out.sort_values(["n_years", "project"], ascending=[False, True]).reset_index()


def all_low_streaks(
    lines: pd.DataFrame, threshold: float = LOW_EXECUTION_PCT, minimum: float = MATCH_MIN_SCORE
) -> pd.DataFrame:
    """low_streaks of every unit with several years (the unit column says whose)."""
    units = lines.loc[lines["year"].notna()].groupby("unit")["year"].nunique()
    parts = []
    for unit in sorted(units[units >= 2].index):
        rows = unit_lines(lines, unit)
        low = low_streaks(tracks(rows, minimum), threshold)
        if len(low):
            parts.append(low.assign(track=[f"{unit}#{t}" for t in low["track"]]))
    if not parts:
        return pd.DataFrame(
            columns=[*lines.columns, *TRACK_COLUMNS, "n_years", "streak", "streak_years"]
        )
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(
        ["streak", "unit", "track", "year"], ascending=[False, True, True, True], kind="stable"
    ).reset_index(drop=True)


def explained(rows: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """rows with the explanation the 低执行率项目 page gives them: the 问题 column, else the
    偏差原因 of their indicators."""
    if rows.empty:
        return rows.assign(explanation=pd.Series(dtype="object"))
    reasons = deviation_reasons(indicators)
    keys = pd.MultiIndex.from_arrays([rows["doc_id"], rows["project"]])
    found = pd.Series(reasons.reindex(keys).to_numpy(), index=rows.index, dtype="object")
    return rows.assign(explanation=rows["problems"].astype("object").fillna(found))


def year_chart(years: pd.DataFrame, unit: str) -> go.Figure:
    """Budget and actual per year (bars) with the execution and completion rates (lines, right axis)."""
    title = f"{unit}：各年度预算、执行与完成情况"
    if years.empty:
        return _figure([], title, legend=False)
    x = [str(int(y)) for y in years["year"]]
    traces = [
        {"type": "bar", "x": x, "y": years["budget_wan"].tolist(), "name": "预算（万元）",
         "marker": {"color": LIGHT_BLUE}, "hovertemplate": "%{x} 预算 %{y:,.2f} 万元<extra></extra>"},
        {"type": "bar", "x": x, "y": years["actual_wan"].tolist(), "name": "执行（万元）",
         "marker": {"color": BLUE}, "hovertemplate": "%{x} 执行 %{y:,.2f} 万元<extra></extra>"},
        {"type": "scatter", "mode": "lines+markers+text", "x": x,
         "y": years["execution_rate_pct"].tolist(), "name": "执行率（%）", "yaxis": "y2",
         "line": {"color": RED}, "text": [f"{v:.1f}%" if pd.notna(v) else "" for v in years["execution_rate_pct"]],
         "textposition": "top center", "hovertemplate": "%{x} 执行率 %{y:.1f}%<extra></extra>"},
        {"type": "scatter", "mode": "lines+markers", "x": x,
         "y": years["completion_pct"].tolist(), "name": "指标完成率（%）", "yaxis": "y2",
         "line": {"color": GREEN, "dash": "dot"}, "hovertemplate": "%{x} 指标完成率 %{y:.1f}%<extra></extra>"},
    ]  # fmt: skip
    top = pd.concat([years["execution_rate_pct"], years["completion_pct"]]).max()
    fig = _figure(
        traces,
        title,
        CHART_HEIGHT,
        barmode="group",
        xaxis={"type": "category", "title": {"text": "年度"}},
        yaxis={"title": {"text": "万元"}, "tickformat": ",.0f"},
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "range": [0, max(120.0, float(top if pd.notna(top) else 0) * 1.1)],
            "dtick": 20,
            "ticksuffix": "%",
            "showgrid": False,
        },
    )
    # the legend under the plot (_figure's): above it, four entries wrap over the title on a phone
    return fig.update_layout(margin={"r": 50})
