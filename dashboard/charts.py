"""Figure builders: plotly figures with Chinese labels; they return go.Figure and never call st.*."""

from __future__ import annotations

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
from .queries import band, fmt_pct, fmt_wan

BAND_ORDER = ("red", "amber", "green", "over", "none")
WAN_HOVER = "%{x:,.2f} 万元"
# Long project names are cut on the axis (full name in the hover box).
MAX_LABEL_CHARS = 18
# Share of the longest bar added to the x axis for labels printed beyond the bar's end.
LABEL_ROOM = 1.18


def _layout(
    fig: go.Figure, title: str, height: int = CHART_HEIGHT, legend: bool = True
) -> go.Figure:
    fig.update_layout(
        title={
            "text": title,
            "font": {"size": TITLE_FONT_SIZE, "weight": 600},
            "x": 0,
            "xanchor": "left",
        },
        font={"family": FONT_FAMILY, "size": FONT_SIZE, "color": "#1f2933"},
        hoverlabel={"font": {"family": FONT_FAMILY}},
        height=height,
        margin={"l": 10, "r": 30, "t": 90 if legend else 60, "b": 40},
        separators=".,",
        plot_bgcolor="white",
        paper_bgcolor="white",
        showlegend=legend,
        legend={
            "traceorder": "normal",
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "xanchor": "left",
            "x": 0,
            "title": None,
        },
    )
    fig.update_xaxes(gridcolor="#e6e9ee", zerolinecolor="#c5ccd6", automargin=True)
    fig.update_yaxes(gridcolor="#e6e9ee", zerolinecolor="#c5ccd6", automargin=True)
    if any(getattr(t, "orientation", None) == "h" for t in fig.data):
        fig.update_yaxes(ticksuffix=" " * 2, showgrid=False)
    return fig


def _rows_height(n_rows: int, per_row: int = CHART_ROW_PX, base: int = 170) -> int:
    """Height of a horizontal bar chart: enough room per bar, within sensible bounds."""
    return int(min(CHART_MAX_HEIGHT, max(CHART_MIN_HEIGHT, base + per_row * n_rows)))


def _room_for_labels(fig: go.Figure, values) -> None:
    """Widen a linear x axis so that text printed outside the longest bar is not cut off."""
    top = pd.Series(values, dtype="float64").max()
    if pd.notna(top) and top > 0:
        fig.update_xaxes(range=[0, float(top) * LABEL_ROOM])


def _top_down(fig: go.Figure) -> None:
    """Horizontal bars read from the top: first row (and first trace of a group) uppermost."""
    fig.update_yaxes(autorange="reversed")


def _short(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def empty_figure(title: str, message: str = "当前筛选条件下没有数据") -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, legend=False)


def _wan_axis(fig: go.Figure, axis: str = "x", log: bool = False) -> None:
    update = fig.update_xaxes if axis == "x" else fig.update_yaxes
    update(title_text="万元", tickformat=",.0f", type="log" if log else "linear")


def budget_vs_actual_by_unit(units: pd.DataFrame, title: str = "各单位预算与执行") -> go.Figure:
    """Grouped horizontal bars per unit: budget, actual (rate in the label), declared budget."""
    if units.empty:
        return empty_figure(title)
    rows = units
    fig = go.Figure()
    fig.add_bar(
        y=rows["label"],
        x=rows["budget_wan"],
        name="预算（有执行数）",
        orientation="h",
        marker_color=LIGHT_BLUE,
        hovertemplate="%{y}<br>预算 " + WAN_HOVER + "<extra></extra>",
    )
    fig.add_bar(
        y=rows["label"],
        x=rows["actual_wan"],
        name="执行",
        orientation="h",
        marker_color=BLUE,
        text=[fmt_pct(r) if pd.notna(r) else "" for r in rows["execution_rate_pct"]],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}<br>执行 " + WAN_HOVER + "，执行率 %{text}<extra></extra>",
    )
    if rows["declared_budget_wan"].fillna(0).gt(0).any():
        fig.add_bar(
            y=rows["label"],
            x=rows["declared_budget_wan"].where(rows["declared_budget_wan"] > 0),
            name="申报预算（无执行数）",
            orientation="h",
            marker={
                "color": "white",
                "line": {"color": GREY, "width": 1.5},
                "pattern": {"shape": "/"},
            },
            text=["申报，无执行数" if v > 0 else "" for v in rows["declared_budget_wan"].fillna(0)],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}<br>申报预算 " + WAN_HOVER + "（无执行数）<extra></extra>",
        )
    fig.update_layout(barmode="group", bargap=0.25)
    _wan_axis(fig)
    _top_down(fig)
    _room_for_labels(
        fig, pd.concat([rows["budget_wan"], rows["actual_wan"], rows["declared_budget_wan"]])
    )
    return _layout(fig, title, _rows_height(len(rows), per_row=56))


def rate_bands(
    lines: pd.DataFrame,
    red_below: float = RED_BELOW_PCT,
    green_from: float = GREEN_FROM_PCT,
    title: str = "项目执行率分布",
) -> go.Figure:
    """Number of budget lines per colour band of the execution rate."""
    if lines.empty:
        return empty_figure(title)
    bands = lines["rate_pct"].map(lambda r: band(r, red_below, green_from))
    counts = bands.value_counts()
    order = [b for b in BAND_ORDER if counts.get(b, 0)]
    labels = [BAND_LABELS[b].format(red=red_below, green=green_from) for b in order]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=[int(counts[b]) for b in order],
            marker_color=[BAND_COLOURS[b] for b in order],
            text=[int(counts[b]) for b in order],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}：%{y} 个项目<extra></extra>",
        )
    )
    fig.update_yaxes(title_text="项目数", rangemode="tozero")
    return _layout(fig, title, legend=False)


def status_stack(
    table: pd.DataFrame, by: str, title: str, include_target_only: bool = True
) -> go.Figure:
    """Horizontal stacked bars of indicator counts per status for each value of `by`."""
    if table.empty:
        return empty_figure(title)
    rows = table
    fig = go.Figure()
    for status in STATUS_ORDER:
        if status == "target_only" and not include_target_only:
            continue
        if status not in rows.columns or not rows[status].any():
            continue
        fig.add_bar(
            y=[_short(v) for v in rows[by]],
            x=rows[status],
            name=STATUS_LABELS[status],
            orientation="h",
            marker_color=STATUS_COLOURS[status],
            customdata=rows[by],
            hovertemplate="%{customdata}<br>" + STATUS_LABELS[status] + "：%{x} 项<extra></extra>",
        )
    fig.update_layout(barmode="stack", bargap=0.3)
    fig.update_xaxes(title_text="指标数")
    _top_down(fig)
    return _layout(fig, title, _rows_height(len(rows), per_row=40))


def project_bullets(
    projects: pd.DataFrame,
    title: str,
    red_below: float = RED_BELOW_PCT,
    green_from: float = GREEN_FROM_PCT,
) -> go.Figure:
    """Every budget line of a unit, largest budget at the top: budget bar with actual inside it.

    The actual bar is coloured by its rate band; lines without execution (target declarations)
    show the budget bar only, labelled 申报（无执行数）.
    """
    if projects.empty:
        return empty_figure(title)
    rows = projects
    names = [_short(p) for p in rows["project"].fillna("（未命名）")]
    # Plotly merges equal category labels: make cut names unique with zero-width spaces.
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        seen[name] = seen.get(name, -1) + 1
        names[i] = name + "\u200b" * seen[name]
    declared = rows["actual_wan"].isna()
    rate_text = [
        "申报（无执行数）" if d else fmt_pct(r)
        for d, r in zip(declared, rows["rate_pct"], strict=True)
    ]
    fig = go.Figure()
    fig.add_bar(
        y=names,
        x=rows["budget_wan"],
        name="预算",
        orientation="h",
        width=0.8,
        marker_color="#dfe6ee",
        customdata=rows["project"],
        hovertemplate="%{customdata}<br>预算 " + WAN_HOVER + "<extra></extra>",
    )
    colours = [BAND_COLOURS[band(r, red_below, green_from)] for r in rows["rate_pct"]]
    fig.add_bar(
        y=names,
        x=rows["actual_wan"],
        name="执行（颜色表示执行率分档）",
        orientation="h",
        width=0.4,
        marker_color=colours,
        customdata=list(zip(rows["project"], rate_text, strict=True)),
        hovertemplate="%{customdata[0]}<br>执行 "
        + WAN_HOVER
        + "，执行率 %{customdata[1]}<extra></extra>",
    )
    fig.add_scatter(
        y=names,
        x=rows["budget_wan"],
        mode="text",
        text=[" " + t for t in rate_text],
        textposition="middle right",
        showlegend=False,
        hoverinfo="skip",
        cliponaxis=False,
    )
    fig.update_layout(barmode="overlay")
    _wan_axis(fig)
    _top_down(fig)
    _room_for_labels(fig, pd.concat([rows["budget_wan"], rows["actual_wan"]]))
    return _layout(fig, title, _rows_height(len(rows)))


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
    bands = rows["rate_pct"].map(lambda r: band(r, red_below, green_from))
    fig = go.Figure()
    for b in BAND_ORDER:
        part = rows[bands == b]
        if part.empty:
            continue
        fig.add_scatter(
            x=part["budget_wan"],
            y=part["actual_wan"],
            mode="markers",
            name=BAND_LABELS[b].format(red=red_below, green=green_from),
            marker={"color": BAND_COLOURS[b], "size": 10, "line": {"color": "white", "width": 1}},
            customdata=list(
                zip(part["project"], part["unit"], part["rate_pct"].map(fmt_pct), strict=True)
            ),
            hovertemplate=(
                "%{customdata[0]}<br>%{customdata[1]}<br>预算 %{x:,.2f} 万元<br>执行 %{y:,.2f} 万元"
                "<br>执行率 %{customdata[2]}<extra></extra>"
            ),
        )
    top = float(max(rows["budget_wan"].max(), rows["actual_wan"].max()))
    low = float(min(rows["budget_wan"].min(), rows["actual_wan"].min())) if log else 0.0
    fig.add_scatter(
        x=[low, top],
        y=[low, top],
        mode="lines",
        name="100% 执行",
        line={"color": "#5f6b7a", "dash": "dash", "width": 1},
        hoverinfo="skip",
    )
    _wan_axis(fig, "x", log)
    _wan_axis(fig, "y", log)
    fig.update_xaxes(title_text="预算（万元）")
    fig.update_yaxes(title_text="执行（万元）")
    return _layout(fig, title, CHART_HEIGHT + 80)


def unspent_by_unit_chart(
    table: pd.DataFrame, title: str = "各单位未执行金额（低执行率项目）"
) -> go.Figure:
    if table.empty:
        return empty_figure(title)
    rows = table
    fig = go.Figure(
        go.Bar(
            y=rows["label"],
            x=rows["unspent_wan"],
            orientation="h",
            marker_color=RED,
            text=[
                f"{fmt_wan(u)}（{n} 项）"
                for u, n in zip(rows["unspent_wan"], rows["n_low"], strict=True)
            ],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}<br>未执行 " + WAN_HOVER + "<extra></extra>",
        )
    )
    _wan_axis(fig)
    _top_down(fig)
    _room_for_labels(fig, rows["unspent_wan"] * 1.15)
    return _layout(fig, title, _rows_height(len(rows), per_row=48), legend=False)


def points_lost_chart(table: pd.DataFrame, by: str, title: str) -> go.Figure:
    rows = table[table["points_lost"] > 0] if not table.empty else table
    if rows.empty:
        return empty_figure(title, "当前筛选条件下没有失分的指标")
    fig = go.Figure(
        go.Bar(
            y=[_short(v) for v in rows[by]],
            x=rows["points_lost"],
            orientation="h",
            marker_color=RED,
            text=[f"{v:g}" for v in rows["points_lost"]],
            textposition="outside",
            cliponaxis=False,
            customdata=rows[by],
            hovertemplate="%{customdata}<br>失分 %{x:g}<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="失分")
    _top_down(fig)
    _room_for_labels(fig, rows["points_lost"])
    return _layout(fig, title, _rows_height(len(rows), per_row=40), legend=False)


def overall_chart(rows: pd.DataFrame, title: str = "部门整体与支出类型：预算与执行") -> go.Figure:
    """Budget and actual of department / expenditure_type rows (their own view, not summed)."""
    if rows.empty:
        return empty_figure(title)
    labels = [
        _short(f"{u}｜{p or lvl}", 30)
        for u, p, lvl in zip(
            rows["unit"].fillna(""), rows["project"], rows["level_label"], strict=True
        )
    ]
    fig = go.Figure()
    fig.add_bar(
        y=labels,
        x=rows["budget_wan"],
        name="预算",
        orientation="h",
        marker_color=LIGHT_BLUE,
        hovertemplate="%{y}<br>预算 " + WAN_HOVER + "<extra></extra>",
    )
    fig.add_bar(
        y=labels,
        x=rows["actual_wan"],
        name="执行",
        orientation="h",
        marker_color=BLUE,
        text=[fmt_pct(r) for r in rows["rate_pct"]],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}<br>执行 " + WAN_HOVER + "<extra></extra>",
    )
    fig.update_layout(barmode="group")
    _wan_axis(fig)
    _top_down(fig)
    _room_for_labels(fig, pd.concat([rows["budget_wan"], rows["actual_wan"]]))
    return _layout(fig, title, _rows_height(len(rows), per_row=56))
