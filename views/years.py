"""年度对比: a unit's budget, execution and completion by year, its projects matched across years."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from dashboard import data, links, trace, ui
from dashboard import queries as q
from dashboard import years as y
from dashboard.constants import LOW_EXECUTION_PCT
from dashboard.export_ui import meeting_pack, workbook_download
from dashboard.markup import md_escape

LABELS = {
    **q.COLUMN_LABELS,
    "n_docs": "文档数",
    "n_projects": "项目数",
    "n_low": "低执行项目数",
    "n_judged": "已判定指标数",
    "completion_pct": "指标完成率（%）",
    "rate_pct": "执行率（%）",
    "previous_project": "上一年度名称",
    "previous_year": "上一年度",
    "match_score": "名称匹配度",
    "n_years": "出现年数",
    "streak": "连续低执行年数",
    "streak_years": "连续年度",
    "names": "各年名称",
    "min_score": "最低匹配度",
}
YEAR_COLUMNS = [
    "year", "n_docs", "n_projects", "budget_wan", "actual_wan", "execution_rate_pct", "n_low",
    "n_judged", "completion_pct",
]  # fmt: skip
TRACK_COLUMNS = [
    "year", "project", "previous_year", "previous_project", "match_score", "n_years",
    "budget_wan", "actual_wan", "rate_pct",
]  # fmt: skip
STREAK_COLUMNS = ["unit", "project", "streak", "streak_years", "year", "rate_pct", "explanation"]


def shown(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.reindex(columns=columns)
    for column in ("year", "previous_year"):
        if column in out.columns:
            out[column] = out[column].astype("Int64")
    if "match_score" in out.columns:
        out["match_score"] = out["match_score"].round(2)
    return out.rename(columns=LABELS).reset_index(drop=True)


@data.memo
def every_unit(selection: q.Selection, threshold: float) -> dict:
    """Projects below the threshold two or more years running, in every unit."""
    low = y.explained(y.all_low_streaks(selection.lines, threshold), selection.indicators)
    table = shown(low, STREAK_COLUMNS)
    return {
        "table": table,
        "linked": trace.with_links(table, low),
        "n_tracks": int(low["track"].nunique()) if len(low) else 0,
    }


@data.memo
def unit_view(selection: q.Selection, unit: str, threshold: float) -> dict:
    rows = y.unit_lines(selection.lines, unit)
    indicators = selection.indicators[selection.indicators["unit"] == unit]
    years = y.by_year(rows, indicators, threshold)
    matched = y.tracks(rows)
    low = y.explained(y.low_streaks(matched, threshold), indicators)
    first_docs = (
        rows.sort_values(["year", "source_file"])
        .drop_duplicates("year")
        .set_index("year")["doc_id"]
    )
    year_table = shown(years, YEAR_COLUMNS)
    track_table = shown(matched, TRACK_COLUMNS)
    streak_table = shown(low.assign(unit=unit), STREAK_COLUMNS)
    pivot = y.pivot(matched)
    return {
        "years": year_table,
        "years_linked": trace.with_links(
            year_table, years.assign(doc_id=years["year"].map(first_docs))
        ),
        "figure": y.year_chart(years, unit),
        "tracks": track_table,
        "tracks_linked": trace.with_links(track_table, matched),
        "streaks": streak_table,
        "streaks_linked": trace.with_links(streak_table, low),
        "pivot": pivot.drop(columns="track").rename(columns=LABELS),
        "n_recurring": int((pivot["n_years"] >= 2).sum()) if len(pivot) else 0,
        "n_fuzzy": int(((matched["match_score"] < 1) & matched["match_score"].notna()).sum()),
        "n_streak": int(low["track"].nunique()) if len(low) else 0,
        "n_years": len(years),
    }


selection = ui.load_selection()
slot = ui.meeting_slot()
# The page compares years: the year filter is set aside, the other filters apply.
all_years = data.selection(replace(selection.filters, years=()))
units = y.multi_year_units(all_years.documents)
if not units:
    st.info(
        "当前筛选条件下没有多个年度文档的单位：导入同一单位其他年度的自评表后，"
        "这里会按年度对比预算、执行与完成情况。"
    )
    st.stop()

controls = st.columns([3, 2])
chosen = [u for u in selection.filters.units if u in units]
options = chosen + [u for u in units if u not in chosen]
links.seed("years_unit", str, options)
with controls[0]:
    unit = ui.choose("单位（有多个年度文档的单位）", options, key="years_unit")
links.write("years_unit", unit, options[0])
links.seed("years_threshold", int, range(0, 101))
with controls[1]:
    threshold = st.number_input(
        "低执行率：执行率低于（%）",
        min_value=0,
        max_value=100,
        step=5,
        key="years_threshold",
        persist_state="session",
        **links.initial("years_threshold", "value", int(LOW_EXECUTION_PCT)),
    )
links.write("years_threshold", int(threshold), int(LOW_EXECUTION_PCT))
st.caption(
    "本页对比各年度，不受左侧“年度”筛选限制。项目按名称跨年匹配：名称规范化后相同记匹配度 1，"
    f"否则按文字相似度（difflib）取最相近的一对，低于 {y.MATCH_MIN_SCORE:g} 视为不同项目。"
)

v = unit_view(all_years, unit, float(threshold))
cards = st.columns(4)
cards[0].metric("年度数", v["n_years"], border=True)
cards[1].metric("跨年出现的项目", v["n_recurring"], border=True)
cards[2].metric(
    "按相似名称匹配", v["n_fuzzy"], border=True, help="名称逐年略有变化、按相似度匹配上的项目年度"
)
cards[3].metric(f"连续两年以上低于 {threshold}%", v["n_streak"], border=True)

ui.chart(v["figure"], f"{unit} 各年度", key="years_chart", cached=True)
ui.table(v["years_linked"], "各年度预算执行", key="years_table", cached=True)

st.subheader(f"连续两年以上执行率低于 {threshold}% 的项目")
if v["streaks"].empty:
    st.success(f"{md_escape(unit)} 没有连续两年以上执行率低于 {threshold}% 的项目。")
else:
    ui.table(v["streaks_linked"], "连续低执行项目", key="years_streaks", cached=True)

st.subheader("项目跨年匹配")
st.caption("每行是一个项目年度；“上一年度名称”和“名称匹配度”说明它与哪一年的哪个项目对应。")
ui.table(v["tracks_linked"], "项目跨年匹配", key="years_tracks", cached=True)
with st.expander("按项目看各年执行率"):
    ui.table(v["pivot"], "各年执行率", key="years_pivot", cached=True)

st.subheader(f"所有单位：连续两年以上执行率低于 {threshold}% 的项目")
everyone = every_unit(all_years, float(threshold))
if everyone["table"].empty:
    st.success("当前筛选条件下没有连续两年以上低执行的项目。")
else:
    st.caption(f"共 {everyone['n_tracks']} 个项目。")
    ui.table(everyone["linked"], "所有单位连续低执行项目", key="years_all_streaks", cached=True)

sheets = {
    "各年度": v["years"],
    "连续低执行": v["streaks"],
    "项目跨年匹配": v["tracks"],
    "各年执行率": v["pivot"],
    "所有单位连续低执行": everyone["table"],
}
with slot, st.container(horizontal=True, horizontal_alignment="right"):
    workbook_download("年度对比", sheets, key="years_workbook")
    meeting_pack(
        "年度对比",
        [(f"{unit} 各年度", v["figure"])],
        v["years"],
        key="years_pack",
        table_title="各年度预算执行",
        more_tables=[("连续低执行项目", v["streaks"]), ("所有单位连续低执行", everyone["table"])],
    )
