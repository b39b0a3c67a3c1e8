"""Figure builders: plotly figures with Chinese labels; they return go.Figure and never call st.*."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .constants import (
    BAND_COLOURS,
    BAND_LABELS,
    BLUE,
    CHART_HEIGHT,
    CHART_MAX_HEIGHT,
    CHART_MIN_HEIGHT,
    CHART_ROW_PX,
    CHART_TOP_PROJECTS,
    CHART_TOP_UNITS,
    FONT_FAMILY,
    FONT_SIZE,
    GREEN_FROM_PCT,
    GREY,
    LIGHT_BLUE,
    RED,
    RED_BELOW_PCT,
    STATUS_COLOURS,
    STATUS_LABELS,
    STATUS_ORDER,
    TITLE_FONT_SIZE,
)
from .markup import plot_escape
from .queries import band, bands_of, fmt_pct, fmt_wan, rate_pct, top_with_rest

BAND_ORDER = ("red", "amber", "green", "over", "none")
WAN_HOVER = "%{x:,.2f} 万元"
# Project names on a bar axis: two lines of this many characters (full name in the hover box).
MAX_LABEL_CHARS = 9
# With few rows a bar group takes this share of the plot height per row; never less gap than
# MIN_BARGAP.
FEW_ROWS_BAR_SHARE = 0.3
MIN_BARGAP = 0.3
# Department / expenditure-type bars drawn one per row at most; beyond, summed per level.
OVERALL_MAX_BARS = 40
# Points drawn in a scatter at most (a browser chokes on 300,000 markers); beyond it the largest
# budgets and a fixed sample of the rest, named in the title.
SCATTER_MAX_POINTS = 4_000
SCATTER_SEED = 0
# Share of the longest bar added to the x axis for labels printed beyond the bar's end; amounts
# with their rate ("8,557.55（59.3 %）") need more than a count.
LABEL_ROOM = 1.18
AMOUNT_LABEL_ROOM = 1.5


AXIS = {"gridcolor": "#e6e9ee", "zerolinecolor": "#c5ccd6", "automargin": True}
# The title at the top of the figure, the legend at its bottom, both placed in the figure (not
# the plot area) so that plotly reserves room for each: a legend above the plot wraps over the
# title as soon as the chart is narrow (a half-width column, a phone).
TITLE = {
    "font": {"size": TITLE_FONT_SIZE, "weight": 600},
    "x": 0,
    "xanchor": "left",
    "xref": "container",
    "y": 1,
    "yanchor": "top",
    "yref": "container",
    "pad": {"t": 14, "l": 10},
    "automargin": True,
}
LEGEND = {
    "traceorder": "normal",
    "orientation": "h",
    "x": 0,
    "xanchor": "left",
    "xref": "container",
    "y": 0,
    "yanchor": "bottom",
    "yref": "container",
}
# Height added to a figure for its legend row(s) under the plot.
LEGEND_PX = 40
# Axis names (units, projects, categories) are wrapped onto two lines of this many characters
# and cut after them, the full name in the hover box: a phone's 390 px leave ~120 px for them.
AXIS_LABEL_CHARS = 8
AXIS_LABEL_LINES = 2
# Where _axis_label breaks a line (U+2028, LINE SEPARATOR): <br> once the text is escaped.
LINE_BREAK = "\u2028"
PROJECT_ROW_PX = 40  # a project bar with a two-line name
# Trace keys holding text from the documents (categories, printed labels, hover data).
TEXT_KEYS = ("x", "y", "text", "customdata", "name")


def _escaped(values):
    """values with every text escaped for plotly's HTML-like labels (lists and arrays too); the
    line breaks _axis_label put in become <br>."""
    if isinstance(values, np.ndarray):
        return _escaped(values.tolist()) if values.dtype == object else values
    if isinstance(values, (list, tuple)):
        return [_escaped(v) for v in values]
    if isinstance(values, str) and LINE_BREAK in values:
        return plot_escape(values).replace(LINE_BREAK, "<br>")
    return plot_escape(values)


def plot_safe(traces: list[dict]) -> list[dict]:
    """The traces with their texts shown as printed: a unit named <a href=…> draws its name,
    not a link (plotly renders <a>, <b>, <br> … in every label)."""
    return [{k: _escaped(v) if k in TEXT_KEYS else v for k, v in t.items()} for t in traces]


def _figure(
    traces: list[dict],
    title: str,
    height: int = CHART_HEIGHT,
    legend: bool = True,
    xaxis: dict | None = None,
    yaxis: dict | None = None,
    horizontal: bool = False,
    **layout,
) -> go.Figure:
    """A figure built in one go from trace and layout dicts (much faster than update_* calls).

    horizontal: bars read from the top, first row (and first trace of a group) uppermost.
    """
    y = {**AXIS, **(yaxis or {})}
    if horizontal:
        y = {**y, "autorange": "reversed", "ticksuffix": "  ", "showgrid": False}
        rows = len(traces[0].get("y", ())) if traces else 0
        layout.setdefault("bargap", _bargap(rows))
    return go.Figure(
        data=plot_safe(traces),
        layout={
            "title": TITLE | {"text": plot_escape(title)},
            "font": {"family": FONT_FAMILY, "size": FONT_SIZE, "color": "#1f2933"},
            "hoverlabel": {"font": {"family": FONT_FAMILY}},
            "height": min(CHART_MAX_HEIGHT, height + (LEGEND_PX if legend else 0)),
            "margin": {"l": 10, "r": 30, "t": 60, "b": 10},
            "separators": ".,",
            "plot_bgcolor": "white",
            "paper_bgcolor": "white",
            "showlegend": legend,
            "legend": LEGEND,
            "xaxis": {**AXIS, **(xaxis or {})},
            "yaxis": y,
            **layout,
        },
    )


def _bargap(n_rows: int) -> float:
    """Gap between bar groups: wide when there are few rows, so one bar is not a slab."""
    return max(MIN_BARGAP, 1.0 - FEW_ROWS_BAR_SHARE * n_rows)


def _rows_height(n_rows: int, per_row: int = CHART_ROW_PX, base: int = 170) -> int:
    """Height of a horizontal bar chart: enough room per bar, within sensible bounds."""
    return int(min(CHART_MAX_HEIGHT, max(CHART_MIN_HEIGHT, base + per_row * n_rows)))


def _wan_axis(log: bool = False, values=None, title: str = "万元") -> dict:
    """An amount axis in 万元 with thousands separators; with values, room for outside labels."""
    axis = {"title": {"text": title}, "tickformat": ",.0f", "type": "log" if log else "linear"}
    if values is not None:
        axis.update(_room_for_labels(values, AMOUNT_LABEL_ROOM))
    return axis


def _room_for_labels(values, room: float = LABEL_ROOM) -> dict:
    """A linear axis range that leaves room for text printed beyond the longest bar."""
    top = pd.Series(values, dtype="float64").max()
    if pd.notna(top) and top > 0:
        return {"range": [0, float(top) * room], "nticks": 5}
    return {}


def _short(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _axis_label(text, width: int = AXIS_LABEL_CHARS, lines: int = AXIS_LABEL_LINES) -> str:
    """A name for a bar axis: wrapped onto `lines` lines of `width` characters, cut after them."""
    text = str(text)
    out = []
    while len(out) < lines - 1 and len(text) > width + 2:
        # at a space where one is near ("单位 2020"), else after `width` characters
        space = text.rfind(" ", 1, width + 3)
        cut = space if space > 0 else width
        out.append(text[:cut])
        text = text[cut:].lstrip()
    return LINE_BREAK.join([*out, _short(text, width + 2)])


def _axis_labels(values, width: int = AXIS_LABEL_CHARS) -> list[str]:
    """_axis_label of each value, kept apart where two names are cut alike."""
    return _unique_labels([_axis_label(v, width) for v in values])


def _values(series: pd.Series) -> list:
    return series.tolist()


def empty_figure(title: str, message: str = "当前筛选条件下没有数据") -> go.Figure:
    return _figure(
        [],
        title,
        legend=False,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": message,
                "showarrow": False,
                "x": 0.5,
                "y": 0.5,
                "xref": "paper",
                "yref": "paper",
            }
        ],
    )


def budget_actual_bars(
    labels: list,
    budget: pd.Series,
    actual: pd.Series,
    rates: pd.Series,
    *,
    budget_name: str,
    rate_in_hover: bool = False,
    axis_labels: list | None = None,
) -> list[dict]:
    """The paired horizontal bars of budget and actual, each with its amount printed beside it
    and the rate after the actual amount; labels are cut for the axis, whole in the hover box."""
    hover_rate = "，执行率 %{customdata[1]}" if rate_in_hover else ""
    names = _unique_labels(axis_labels) if axis_labels else _axis_labels(labels)
    rate_texts = [fmt_pct(r) if pd.notna(r) else "" for r in rates]
    return [
        {
            "type": "bar",
            "y": names,
            "x": _values(budget),
            "name": budget_name,
            "orientation": "h",
            "marker": {"color": LIGHT_BLUE},
            "text": [fmt_wan(v) if pd.notna(v) else "" for v in budget],
            "textposition": "auto",  # inside a long bar, beyond a short one
            "cliponaxis": False,
            "customdata": list(labels),
            "hovertemplate": "%{customdata}<br>预算 " + WAN_HOVER + "<extra></extra>",
        },
        {
            "type": "bar",
            "y": names,
            "x": _values(actual),
            "name": "执行",
            "orientation": "h",
            "marker": {"color": BLUE},
            "text": [
                f"{fmt_wan(a)}（{r}）" if pd.notna(a) and r else (fmt_wan(a) if pd.notna(a) else "")
                for a, r in zip(actual, rate_texts, strict=True)
            ],
            "textposition": "auto",  # inside a long bar, beyond a short one
            "cliponaxis": False,
            "customdata": [[n, r] for n, r in zip(labels, rate_texts, strict=True)],
            "hovertemplate": "%{customdata[0]}<br>执行 "
            + WAN_HOVER
            + hover_rate
            + "<extra></extra>",
        },
    ]


def budget_vs_actual_by_unit(
    units: pd.DataFrame, title: str = "各单位预算与执行", top: int = CHART_TOP_UNITS
) -> go.Figure:
    """Grouped horizontal bars per unit: budget, actual (rate in the label), declared budget."""
    if units.empty:
        return empty_figure(title)
    units = top_with_rest(units, top, "label", ["budget_wan", "actual_wan", "declared_budget_wan"])
    labels = _values(units["label"])
    traces = budget_actual_bars(
        labels,
        units["budget_wan"],
        units["actual_wan"],
        units["execution_rate_pct"],
        budget_name="预算（有执行数）",
        rate_in_hover=True,
    )
    declared = units["declared_budget_wan"].fillna(0)
    if declared.gt(0).any():
        traces.append(
            {
                "type": "bar",
                "y": traces[0]["y"],
                "x": _values(units["declared_budget_wan"].where(declared > 0)),
                "name": "申报预算（无执行数）",
                "orientation": "h",
                "marker": {
                    "color": "white",
                    "line": {"color": GREY, "width": 1.5},
                    "pattern": {"shape": "/"},
                },
                "text": [f"{fmt_wan(v)}（申报）" if v > 0 else "" for v in declared],
                "textposition": "outside",
                "cliponaxis": False,
                "customdata": labels,
                "hovertemplate": "%{customdata}<br>申报预算 "
                + WAN_HOVER
                + "（无执行数）<extra></extra>",
            }
        )
    amounts = pd.concat([units["budget_wan"], units["actual_wan"], units["declared_budget_wan"]])
    return _figure(
        traces,
        title,
        _rows_height(len(units), per_row=56),
        xaxis=_wan_axis(values=amounts),
        horizontal=True,
        barmode="group",
    )


def rate_bands(
    lines: pd.DataFrame,
    red_below: float = RED_BELOW_PCT,
    green_from: float = GREEN_FROM_PCT,
    title: str = "项目执行率分布",
) -> go.Figure:
    """Number of budget lines per colour band of the execution rate."""
    if lines.empty:
        return empty_figure(title)
    counts = bands_of(lines["rate_pct"], red_below, green_from).value_counts()
    order = [b for b in BAND_ORDER if counts.get(b, 0)]
    trace = {
        "type": "bar",
        # two short lines each: four labels side by side fit a phone
        "x": [
            _axis_label(BAND_LABELS[b].format(red=red_below, green=green_from), 4) for b in order
        ],
        "y": [int(counts[b]) for b in order],
        "marker": {"color": [BAND_COLOURS[b] for b in order]},
        "text": [int(counts[b]) for b in order],
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": "%{x}：%{y} 个项目<extra></extra>",
    }
    top = max(int(counts[b]) for b in order)
    yaxis = {"title": {"text": "项目数"}, "range": [0, top * LABEL_ROOM]}
    return _figure([trace], title, legend=False, yaxis=yaxis)


def status_stack(
    table: pd.DataFrame,
    by: str,
    title: str,
    include_target_only: bool = True,
    top: int = CHART_TOP_UNITS,
) -> go.Figure:
    """Horizontal stacked bars of indicator counts per status for each value of `by`."""
    if table.empty:
        return empty_figure(title)
    counts = [c for c in (*STATUS_ORDER, "total") if c in table.columns]
    table = top_with_rest(table, top, by, counts, what="项")
    names = _axis_labels(table[by])
    full = _values(table[by])
    traces = [
        {
            "type": "bar",
            "y": names,
            "x": _values(table[status]),
            "name": STATUS_LABELS[status],
            "orientation": "h",
            "marker": {"color": STATUS_COLOURS[status]},
            "customdata": full,
            "hovertemplate": "%{customdata}<br>"
            + STATUS_LABELS[status]
            + "：%{x} 项<extra></extra>",
        }
        for status in STATUS_ORDER
        if status in table.columns
        and table[status].any()
        and (include_target_only or status != "target_only")
    ]
    return _figure(
        traces,
        title,
        _rows_height(len(table), per_row=40),
        xaxis={"title": {"text": "指标数"}},
        horizontal=True,
        barmode="stack",
    )


def _unique_labels(names: list[str]) -> list[str]:
    """Plotly merges equal category labels: make cut names unique with zero-width spaces."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, -1) + 1
        out.append(name + "\u200b" * seen[name])
    return out


def project_bullets(
    projects: pd.DataFrame,
    title: str,
    red_below: float = RED_BELOW_PCT,
    green_from: float = GREEN_FROM_PCT,
    top: int = CHART_TOP_PROJECTS,
) -> go.Figure:
    """Every budget line of a unit, largest budget at the top: budget bar with actual inside it.

    The actual bar is coloured by its rate band; lines without execution (target declarations)
    show the budget bar only, labelled 申报（无执行数）.
    """
    if projects.empty:
        return empty_figure(title)
    projects = top_with_rest(
        projects, top, "project", ["budget_wan", "actual_wan"], what="个项目（合计）"
    )
    names = _axis_labels(projects["project"].fillna("（未命名）"), width=MAX_LABEL_CHARS)
    full = _values(projects["project"])
    rate_text = [
        "申报（无执行数）" if pd.isna(a) else fmt_pct(r)
        for a, r in zip(projects["actual_wan"], projects["rate_pct"], strict=True)
    ]
    amount_text = [
        t if pd.isna(a) else f"{fmt_wan(a)}（{t}）"
        for a, t in zip(projects["actual_wan"], rate_text, strict=True)
    ]
    traces = [
        {
            "type": "bar",
            "y": names,
            "x": _values(projects["budget_wan"]),
            "name": "预算",
            "orientation": "h",
            "width": 0.8,
            "marker": {"color": "#dfe6ee"},
            "customdata": full,
            "hovertemplate": "%{customdata}<br>预算 " + WAN_HOVER + "<extra></extra>",
        },
        {
            "type": "bar",
            "y": names,
            "x": _values(projects["actual_wan"]),
            "name": "执行（颜色表示执行率分档）",
            "orientation": "h",
            "width": 0.4,
            "marker": {
                "color": [
                    BAND_COLOURS[band(r, red_below, green_from)] for r in projects["rate_pct"]
                ]
            },
            "customdata": [[p, t] for p, t in zip(full, rate_text, strict=True)],
            "hovertemplate": "%{customdata[0]}<br>执行 "
            + WAN_HOVER
            + "，执行率 %{customdata[1]}<extra></extra>",
        },
        {
            "type": "scatter",
            "y": names,
            "x": _values(projects["budget_wan"]),
            "mode": "text",
            "text": [" " + t for t in amount_text],
            "textposition": "middle right",
            "showlegend": False,
            "hoverinfo": "skip",
            "cliponaxis": False,
        },
    ]
    amounts = pd.concat([projects["budget_wan"], projects["actual_wan"]])
    return _figure(
        traces,
        title,
        _rows_height(len(projects), per_row=PROJECT_ROW_PX),
        xaxis=_wan_axis(values=amounts),
        horizontal=True,
        barmode="overlay",
    )


def _scatter_sample(rows: pd.DataFrame) -> pd.DataFrame:
    """The largest budgets (half of SCATTER_MAX_POINTS) and a fixed sample of the others."""
    largest = rows.nlargest(SCATTER_MAX_POINTS // 2, "budget_wan")
    rest = rows.drop(index=largest.index)
    sample = rest.sample(n=SCATTER_MAX_POINTS - len(largest), random_state=SCATTER_SEED)
    return pd.concat([largest, sample])


def budget_actual_scatter(
    lines: pd.DataFrame,
    log: bool = False,
    red_below: float = RED_BELOW_PCT,
    green_from: float = GREEN_FROM_PCT,
    title: str = "预算与执行（对角线为 100% 执行）",
) -> go.Figure:
    """One point per budget line with both amounts, coloured by rate band, and the 100 % line."""
    rows = lines[lines["budget_wan"].notna() & lines["actual_wan"].notna()]
    if log:
        rows = rows[(rows["budget_wan"] > 0) & (rows["actual_wan"] > 0)]
    if rows.empty:
        return empty_figure(title)
    if len(rows) > SCATTER_MAX_POINTS:
        total = len(rows)
        rows = _scatter_sample(rows)
        title = f"{title}：显示 {len(rows):,} / {total:,} 个项目（预算最大的与其余的固定抽样）"
    bands = bands_of(rows["rate_pct"], red_below, green_from)
    traces = []
    for b in BAND_ORDER:
        part = rows[bands == b]
        if part.empty:
            continue
        traces.append(
            {
                "type": "scatter",
                "x": _values(part["budget_wan"]),
                "y": _values(part["actual_wan"]),
                "mode": "markers",
                "name": BAND_LABELS[b].format(red=red_below, green=green_from),
                "marker": {
                    "color": BAND_COLOURS[b],
                    "size": 10,
                    "line": {"color": "white", "width": 1},
                },
                "customdata": [
                    [p, u, fmt_pct(r)]
                    for p, u, r in zip(part["project"], part["unit"], part["rate_pct"], strict=True)
                ],
                "hovertemplate": (
                    "%{customdata[0]}<br>%{customdata[1]}<br>预算 %{x:,.2f} 万元<br>执行 %{y:,.2f} 万元"
                    "<br>执行率 %{customdata[2]}<extra></extra>"
                ),
            }
        )
    top = float(max(rows["budget_wan"].max(), rows["actual_wan"].max()))
    low = float(min(rows["budget_wan"].min(), rows["actual_wan"].min())) if log else 0.0
    traces.append(
        {
            "type": "scatter",
            "x": [low, top],
            "y": [low, top],
            "mode": "lines",
            "name": "100% 执行",
            "line": {"color": "#5f6b7a", "dash": "dash", "width": 1},
            "hoverinfo": "skip",
        }
    )
    return _figure(
        traces,
        title,
        CHART_HEIGHT + 80,
        xaxis=_wan_axis(log, title="预算（万元）"),
        yaxis=_wan_axis(log, title="执行（万元）"),
    )


def unspent_by_unit_chart(
    table: pd.DataFrame, title: str = "各单位未执行金额（低执行率项目）", top: int = CHART_TOP_UNITS
) -> go.Figure:
    """Unspent amount of the low-execution lines per unit, with their number."""
    if table.empty:
        return empty_figure(title)
    table = top_with_rest(table, top, "label", ["unspent_wan", "n_low"])
    trace = {
        "type": "bar",
        "y": _axis_labels(table["label"]),
        "x": _values(table["unspent_wan"]),
        "customdata": _values(table["label"]),
        "orientation": "h",
        "marker": {"color": RED},
        "text": [
            f"{fmt_wan(u)}（{int(n)} 项）"
            for u, n in zip(table["unspent_wan"], table["n_low"], strict=True)
        ],
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": "%{customdata}<br>未执行 " + WAN_HOVER + "<extra></extra>",
    }
    return _figure(
        [trace],
        title,
        _rows_height(len(table), per_row=48),
        legend=False,
        xaxis=_wan_axis(values=table["unspent_wan"]),
        horizontal=True,
    )


def points_lost_chart(table: pd.DataFrame, by: str, title: str) -> go.Figure:
    """Points lost per category (weight − score of the scored indicators)."""
    rows = table[table["points_lost"] > 0] if not table.empty else table
    if rows.empty:
        return empty_figure(title, "当前筛选条件下没有失分的指标")
    trace = {
        "type": "bar",
        "y": _axis_labels(rows[by]),
        "x": _values(rows["points_lost"]),
        "orientation": "h",
        "marker": {"color": RED},
        "text": [f"{v:.2f}" for v in rows["points_lost"]],
        "textposition": "outside",
        "cliponaxis": False,
        "customdata": _values(rows[by]),
        "hovertemplate": "%{customdata}<br>失分 %{x:.2f}<extra></extra>",
    }
    return _figure(
        [trace],
        title,
        _rows_height(len(rows), per_row=40),
        legend=False,
        xaxis={"title": {"text": "失分"}, **_room_for_labels(rows["points_lost"])},
        horizontal=True,
    )


def _overall_by_level(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per level over all units: budget and actual summed where both are printed."""
    both = rows[rows["budget_wan"].notna() & rows["actual_wan"].notna()]
    out = (
        both.groupby(["level", "level_label"], sort=False)
        .agg(budget_wan=("budget_wan", "sum"), actual_wan=("actual_wan", "sum"),
             n=("unit", "nunique"))
        .reset_index()
    )  # fmt: skip
    out["rate_pct"] = [
        rate_pct(a, b) for a, b in zip(out["actual_wan"], out["budget_wan"], strict=True)
    ]
    out["unit"] = [f"{n:,} 个单位合计" for n in out["n"]]
    out["project"] = out["level_label"]
    return out


def overall_chart(rows: pd.DataFrame, title: str = "部门整体与支出类型：预算与执行") -> go.Figure:
    """Budget and actual of department / expenditure_type rows (their own view, not summed)."""
    if rows.empty:
        return empty_figure(title)
    if len(rows) > OVERALL_MAX_BARS:
        rows = _overall_by_level(rows)
        title = f"{title}（按层级合计）"
    # a department row is named after its unit: call it 部门整体 instead of repeating the name
    named = [
        (u, lvl if level == "department" or not p else p)
        for u, p, level, lvl in zip(
            rows["unit"].fillna(""),
            rows["project"],
            rows["level"],
            rows["level_label"],
            strict=True,
        )
    ]
    traces = budget_actual_bars(
        [f"{u}｜{what}" for u, what in named],
        rows["budget_wan"],
        rows["actual_wan"],
        rows["rate_pct"],
        budget_name="预算",
        axis_labels=[
            f"{_short(u, AXIS_LABEL_CHARS + 2)}{LINE_BREAK}{_short(what, AXIS_LABEL_CHARS)}"
            for u, what in named
        ],
    )
    return _figure(
        traces,
        title,
        _rows_height(len(rows), per_row=56),
        xaxis=_wan_axis(values=pd.concat([rows["budget_wan"], rows["actual_wan"]])),
        horizontal=True,
        barmode="group",
    )
