"""同类比较: a unit against units of its kind and of its region; regions side by side."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from dashboard import data, links, trace, ui
from dashboard import peers as p
from dashboard import queries as q
from dashboard.export_ui import meeting_pack, workbook_download
from dashboard.markup import md_escape

LABELS = {
    **q.COLUMN_LABELS,
    "kind": "单位类别",
    "n_docs": "文档数",
    "years": "年度",
    "execution_rate_pct": "预算执行率（%）",
    "n_judged": "已判定指标数",
    "completion_pct": "指标完成率（%）",
    "n_scored": "复算项目数",
    "score": "复算得分（平均）",
    "label": "指标",
    "group_name": "比较范围",
    "value": "本单位",
    "n_peers": "比较单位数",
    "median": "中位数",
    "percentile": "百分位（高于同组的比例，%）",
    "n_units": "单位数",
    "median_unit_rate_pct": "单位执行率中位数（%）",
}
UNIT_COLUMNS = [
    "unit", "kind", "region", "years", "n_docs", "budget_wan", "actual_wan", "execution_rate_pct",
    "n_judged", "completion_pct", "n_scored", "score",
]  # fmt: skip


# Rates, scores and percentiles are shown with one decimal.
ROUNDED = ("value", "median", "percentile", "score", "execution_rate_pct", "completion_pct",
           "median_unit_rate_pct")  # fmt: skip


def shown(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.reindex(columns=columns)
    for column in ROUNDED:
        if column in out.columns:
            out[column] = pd.to_numeric(out[column], errors="coerce").round(1)
    return out.rename(columns=LABELS).reset_index(drop=True)


@data.memo
def universe(selection: q.Selection) -> dict:
    """Every unit's metrics under the filters (the unit filter aside), regions side by side."""
    metrics = p.unit_metrics(
        selection.documents, selection.lines, selection.overall, selection.projects,
        selection.indicators,
    )  # fmt: skip
    regions = p.by_region(metrics)
    first_docs = (
        selection.documents.assign(unit=selection.documents["unit"].fillna(q.UNKNOWN_UNIT))
        .sort_values(["unit", "year", "source_file"])
        .drop_duplicates("unit")
        .set_index("unit")["doc_id"]
    )
    table = shown(metrics, UNIT_COLUMNS)
    rows = metrics.assign(doc_id=metrics["unit"].map(first_docs))
    return {
        "metrics": metrics,
        "units": table,
        "units_linked": trace.with_links(table, rows),
        "regions": shown(regions, ["region", "n_units", "budget_wan", "actual_wan",
                                   "execution_rate_pct", "median_unit_rate_pct",
                                   "completion_pct", "score"]),
        "regions_fig": p.regions_chart(regions),
    }  # fmt: skip


@data.memo
def compared(selection: q.Selection, unit: str, metric: str) -> dict:
    metrics = universe(selection)["metrics"]
    table = p.compare(metrics, unit)
    return {
        "table": shown(table, ["label", "group_name", "value", "n_peers", "median", "percentile"]),
        "raw": table,
        "figure": p.peer_chart(metrics, unit, metric),
    }


selection = ui.load_selection()
slot = ui.meeting_slot()
# Peers are every unit under the other filters: the unit filter chooses whom to compare.
peers_selection = data.selection(replace(selection.filters, units=()))
world = universe(peers_selection)
metrics = world["metrics"]
if metrics.empty:
    st.info("当前筛选条件下没有可比较的单位。")
    st.stop()

chosen_units = [u for u in selection.filters.units if u in set(metrics["unit"])]
ordered = metrics.sort_values("budget_wan", ascending=False, na_position="last")["unit"].tolist()
options = chosen_units + [u for u in ordered if u not in chosen_units]
links.seed("peers_unit", str, options)
controls = st.columns([3, 2])
with controls[0]:
    unit = ui.choose("比较哪个单位", options, key="peers_unit")
with controls[1]:
    links.seed("peers_metric", str, list(p.METRICS))
    metric = st.segmented_control(
        "图中指标",
        list(p.METRICS),
        format_func=p.METRIC_SHORT.get,
        key="peers_metric",
        persist_state="session",
        **links.initial("peers_metric", "default", "execution_rate_pct"),
    )
metric = metric or "execution_rate_pct"
links.write("peers_unit", unit, options[0])
links.write("peers_metric", metric, "execution_rate_pct")
st.caption(
    "比较范围是左侧除“单位”以外的筛选所选的全部单位；单位类别由名称判断（卫健局/委、疾控、医院、卫生院、其他）。"
    "百分位 = 同组中低于本单位的单位所占比例（相同者计一半），执行率超过 100% 也计为更高。"
)

me = metrics[metrics["unit"] == unit].iloc[0]
result = compared(peers_selection, unit, metric)
raw = result["raw"]


def standing(metric_name: str) -> str | None:
    row = raw[(raw["metric"] == metric_name) & (raw["group"] == "kind")]
    value = row["percentile"].iloc[0] if len(row) else None
    return None if value is None or pd.isna(value) else f"同类百分位 {value:.0f}"


cards = st.columns(4)
cards[0].metric("单位类别 / 地区", f"{me['kind']} / {me['region'] or '未知'}", border=True)
cards[1].metric(
    "预算执行率",
    q.fmt_pct(me["execution_rate_pct"]),
    standing("execution_rate_pct"),
    delta_color="off",
    delta_arrow="off",
    border=True,
)
cards[2].metric(
    "指标完成率",
    q.fmt_pct(me["completion_pct"]),
    standing("completion_pct"),
    delta_color="off",
    delta_arrow="off",
    border=True,
)
cards[3].metric(
    "复算得分（平均）",
    "—" if pd.isna(me["score"]) else f"{me['score']:.1f}",
    standing("score"),
    delta_color="off",
    delta_arrow="off",
    border=True,
)

ui.chart(result["figure"], f"{unit} 同类比较", key="peers_chart", cached=True)
st.subheader(f"{md_escape(unit)} 在同类、同地区中的位置")
ui.table(result["table"], "同类比较", key="peers_compare", cached=True)

st.subheader("各地区对比")
ui.chart(world["regions_fig"], "各地区对比", key="peers_regions_chart", cached=True)
ui.table(world["regions"], "各地区对比", key="peers_regions", cached=True)

with st.expander(f"全部单位（{len(metrics)} 个）"):
    ui.table(world["units_linked"], "全部单位指标", key="peers_units", cached=True)

sheets = {"同类比较": result["table"], "各地区对比": world["regions"], "全部单位": world["units"]}
with slot, st.container(horizontal=True, horizontal_alignment="right"):
    workbook_download("同类比较", sheets, key="peers_workbook")
    meeting_pack(
        "同类比较",
        [(f"{unit} 同类比较", result["figure"]), ("各地区对比", world["regions_fig"])],
        result["table"],
        key="peers_pack",
        table_title="同类比较",
        more_tables=[("各地区对比", world["regions"])],
    )
