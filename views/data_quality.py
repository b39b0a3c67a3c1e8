"""数据质量: findings by document, severity and code with links to their lines; reconciliations."""

import pandas as pd
import streamlit as st

from dashboard import data, reconcile, trace, ui
from dashboard.constants import AMBER, CODE_LABELS, LEVEL_LABELS, RED, SEVERITY_LABELS
from dashboard.markup import md_escape
from dashboard.queries import COLUMN_LABELS

FINDING_COLUMNS = [
    "severity_label",
    "unit",
    "code",
    "code_label",
    "message",
    "project",
    "source_file",
    "source_line",
]
LABELS = {
    **COLUMN_LABELS,
    "code_label": "问题",
    "label": "合计项",
    "what": "金额",
    "reported_wan": "印发合计（万元）",
    "rows_sum_wan": "各行之和（万元）",
    "difference_wan": "差额（万元）",
    "rows_missing": "缺数行",
    "state": "核对结果",
    "n_indicators": "指标数",
    "weight_sum": "指标分值",
    "funds_weight": "资金分值",
    "weight_total": "分值合计",
    "weight_state": "分值核对",
    "points": "指标得分",
    "funds_score": "资金得分",
    "score_total": "得分合计",
    "printed_score": "印发总分",
    "score_state": "得分核对",
    "execution_rate_pct": "计算执行率（%）",
    "rate_diff": "差（百分点）",
    "rate_state": "核对结果",
}
# The narrative and annex table: each value twice.
ANNEX_LABELS = {
    **LABELS,
    "annex": "附件表",
    "budget_wan": "正文预算（万元）",
    "alt_budget_wan": "附件预算（万元）",
    "actual_wan": "正文执行（万元）",
    "alt_actual_wan": "附件执行（万元）",
    "reported_rate_pct": "正文执行率（%）",
    "alt_rate_pct": "附件执行率（%）",
    "score": "正文得分",
    "alt_score": "附件得分",
}
STATE_COLOURS = {
    reconcile.DIFFERS: RED,
    "附件缺表": RED,
    reconcile.MISSING: AMBER,
    reconcile.UNCHECKABLE: AMBER,
    "附件部分缺失": AMBER,
    "未印发": AMBER,
}
ANNEX_LINK = f"{trace.LINK_HEADER}（附件）"
# Projects or messages named one by one in a warning; the rest are counted.
NAMED_MAX = 20


def labelled(frame: pd.DataFrame, columns: list[str], labels: dict = LABELS) -> pd.DataFrame:
    return frame.reindex(columns=columns).rename(columns=labels).reset_index(drop=True)


def paint(table: pd.DataFrame, marks: dict[str, list]):
    """A Styler tinting cells: header -> one state per row, coloured by STATE_COLOURS."""

    def colour(frame: pd.DataFrame) -> pd.DataFrame:
        # by row label (the table's 0..n-1), so the styler also fits its first rows alone
        out = pd.DataFrame("", index=frame.index, columns=frame.columns)
        for header, states in marks.items():
            out[header] = [
                f"background-color: {STATE_COLOURS[s]}33" if s in STATE_COLOURS else ""
                for s in (states[i] for i in frame.index)
            ]
        return out

    return table.style.apply(colour, axis=None)


# What trace.with_links reads from a row.
LINE_COLUMNS = ["doc_id", "source_line", "end_line"]
ANNEX_COLUMNS = [
    "unit",
    "project",
    "annex",
    "state",
    "budget_wan",
    "alt_budget_wan",
    "actual_wan",
    "alt_actual_wan",
    "reported_rate_pct",
    "alt_rate_pct",
    "score",
    "alt_score",
]
TOTALS_COLUMNS = [
    "unit",
    "label",
    "what",
    "reported_wan",
    "rows_sum_wan",
    "difference_wan",
    "state",
    "rows_missing",
    "source_file",
    "source_line",
]
SUMS_COLUMNS = [
    "unit",
    "project",
    "n_indicators",
    "weight_sum",
    "funds_weight",
    "weight_total",
    "weight_state",
    "points",
    "funds_score",
    "score_total",
    "printed_score",
    "score_state",
]
RATE_COLUMNS = [
    "unit",
    "level_label",
    "project",
    "budget_wan",
    "actual_wan",
    "reported_rate_pct",
    "execution_rate_pct",
    "rate_diff",
    "rate_state",
]


def kept(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """frame's columns among `columns` (in frame order), copied apart from the full frame."""
    wanted = set(columns)
    return frame[[c for c in frame.columns if c in wanted]].copy()


def totals_view(totals: pd.DataFrame) -> dict:
    shown = trace.with_links(labelled(totals, TOTALS_COLUMNS), totals)
    return {"table": shown, "styler": paint(shown, {LABELS["state"]: list(totals["state"])})}


def annex_view(annex: pd.DataFrame, findings: pd.DataFrame) -> dict:
    """正文与附件: the table with both links, its tints, and the projects and rows to name."""
    missing = annex[annex["annex"] == "附件缺表"]
    names = [f"{u}：{p}" for u, p in zip(missing["unit"], missing["project"], strict=True)]
    orphans = findings[
        findings["doc_id"].isin(set(annex["doc_id"])) & (findings["code"] == "ORPHAN_ROWS")
    ]
    shown = trace.with_links(labelled(annex, ANNEX_COLUMNS, ANNEX_LABELS), annex)
    has_annex = annex["alt_source_line"].notna().tolist()
    shown[ANNEX_LINK] = [
        link if annexed else None
        for link, annexed in zip(
            trace.links(annex["doc_id"], annex["alt_source_line"]), has_annex, strict=True
        )
    ]
    marks = {ANNEX_LABELS["state"]: list(annex["state"])}
    for column, alt, _ in reconcile.PAIRS:
        states = list(annex[f"{column}_state"])
        marks[ANNEX_LABELS[column]] = states
        marks[ANNEX_LABELS[alt]] = states
    return {
        "missing": names,
        "orphans": list(orphans["message"].head(NAMED_MAX)),
        "n_orphans": len(orphans),
        "table": shown,
        "styler": paint(shown, marks),
    }


def sums_view(sums: pd.DataFrame) -> dict:
    shown = labelled(sums.rename(columns={"score": "printed_score"}), SUMS_COLUMNS)
    annex_first = sums["alt_source_line"].notna()
    lines = sums.assign(
        link_line=sums["alt_source_line"].where(annex_first, sums["source_line"]),
        link_end=sums["end_line"].where(~annex_first),
    )
    shown = trace.with_links(shown, lines, "link_line", "link_end")
    marks = {
        LABELS["weight_state"]: list(sums["weight_state"]),
        LABELS["score_state"]: list(sums["score_state"]),
    }
    return {"table": shown, "styler": paint(shown, marks)}


@st.cache_resource(show_spinner=False, max_entries=16)
def reconciliations(folder: str, stamp: tuple, filters) -> dict:
    """The page's tables on the filtered rows, with their links and tints, once per filters and
    table versions: a rerun only draws them. Shared between sessions: read-only."""
    selection = data.selection(filters)
    docs = selection.documents[["doc_id", "unit"]]
    rates = reconcile.rate_checks(selection.projects)
    findings = reconcile.findings_by_severity(selection.findings)
    rates = rates.assign(level_label=rates["level"].map(LEVEL_LABELS).fillna(rates["level"]))
    out = {
        "n_documents": selection.documents["doc_id"].nunique(),
        # the columns the tables show and link: the rest would hold ~200 MB per filter at
        # 10,000 documents
        "findings": kept(findings, [*FINDING_COLUMNS, "severity", *LINE_COLUMNS]),
        "severity": findings["severity"].value_counts(),
        "n_documents_found": int(findings["doc_id"].nunique()),
        "severities": [s for s in SEVERITY_LABELS if s in set(findings["severity"].unique())],
        "codes": sorted(set(findings["code"])),
        "matrix": reconcile.findings_matrix(findings),
        "rates": kept(rates, [*RATE_COLUMNS, *LINE_COLUMNS]),
    }
    totals = reconcile.totals_table(data.totals(), selection.documents)
    if not totals.empty:
        out["totals_view"] = totals_view(totals)
    annex = reconcile.narrative_vs_annex(selection.projects)
    if not annex.empty:
        out["annex_view"] = annex_view(annex, selection.findings)
    sums = reconcile.score_sums(selection.projects, selection.indicators)
    if not sums.empty:
        out["sums_view"] = sums_view(sums.merge(docs, on="doc_id", how="left"))
    return out


@st.cache_resource(show_spinner=False, max_entries=16)
def finding_rows(folder: str, stamp: tuple, filters, severities: tuple, codes: tuple):
    """The 数据提示 table for the chosen severities and codes (all when none), with links."""
    rows = reconciliations(folder, stamp, filters)["findings"]
    if severities:
        rows = rows[rows["severity"].isin(severities)]
    if codes:
        rows = rows[rows["code"].isin(codes)]
    rows = rows.assign(code_label=rows["code"].map(CODE_LABELS).fillna(""))
    return trace.with_links(labelled(rows, FINDING_COLUMNS), rows)


@st.cache_resource(show_spinner=False, max_entries=16)
def rate_view(folder: str, stamp: tuple, filters, only: bool) -> dict:
    """印发与计算执行率: every rate, or only those that differ or were not printed."""
    rates = reconciliations(folder, stamp, filters)["rates"]
    if only:
        rates = rates[rates["rate_state"] != reconcile.AGREES]
    shown = trace.with_links(labelled(rates, RATE_COLUMNS), rates)
    return {
        "table": shown,
        "styler": paint(shown, {LABELS["rate_state"]: list(rates["rate_state"])}),
    }


selection = ui.load_selection()
folder, stamp = str(data.parquet_dir()), data.stamp()
checked = reconciliations(folder, stamp, selection.filters)
findings = checked["findings"]

severity = checked["severity"]
cards = st.columns(4)
cards[0].metric("错误", int(severity.get("error", 0)), border=True)
cards[1].metric("警告", int(severity.get("warning", 0)), border=True)
cards[2].metric("提示", int(severity.get("info", 0)), border=True, help="说明性信息，不算问题")
cards[3].metric(
    "涉及文档",
    checked["n_documents_found"],
    help=f"共 {checked['n_documents']} 份文档",
    border=True,
)

st.subheader("数据提示")
st.page_link(
    "views/review.py",
    label="校对：在原文旁确认或改正读出的数值（记录在案，可撤销）",
    icon=":material/edit_note:",
)
if findings.empty:
    st.success("当前筛选的文档在加载时没有发现问题。")
else:
    matrix = checked["matrix"]
    with st.expander("按文档和代码统计", expanded=False):
        st.dataframe(matrix, width="stretch")
    choose = st.columns(2)
    severities = choose[0].multiselect(
        "级别",
        checked["severities"],
        format_func=SEVERITY_LABELS.get,
        key="dq_severity",
        placeholder="全部级别",
    )
    codes = choose[1].multiselect(
        "代码",
        checked["codes"],
        format_func=lambda c: f"{c} {CODE_LABELS.get(c, '')}",
        key="dq_code",
        placeholder="全部代码",
    )
    table = finding_rows(folder, stamp, selection.filters, tuple(severities), tuple(codes))
    ui.table(table, "数据提示", key="dq_findings", cached=True)

st.subheader("对账：印发合计与各行之和")
if "totals_view" not in checked:
    st.info("当前筛选的文档没有印发合计行，或数据表由旧版本生成（请重新生成数据）。")
else:
    st.caption(
        "合计行、金额合计等印发的合计，与表中各行相加的结果；差额超过 0.01 万元为不一致；有金额印为 ##### 的行时，合计高于各行之和为无法核对（低于则仍为不一致）。"
    )
    view = checked["totals_view"]
    ui.table(
        view["table"], "印发合计与各行之和", key="dq_totals", styler=view["styler"], cached=True
    )

if "annex_view" in checked:
    st.subheader("对账：正文与附件")
    st.caption(
        "同一项目在正文自评综述和附件项目支出绩效自评表中各印一次，逐项比较。附件金额如以元印发，"
        "已换算为万元；附件执行率按整数百分比印发，相差 1 个百分点以内、金额相差 0.01 万元以内"
        "视为一致。红色：两处不一致或附件缺表；黄色：附件该项缺失（如印为 #####）。"
    )
    view = checked["annex_view"]
    names = view["missing"]
    if names:
        more = f" 等 {len(names)} 个项目" if len(names) > NAMED_MAX else ""
        st.error("附件中缺少以下项目的自评表：" + md_escape("；".join(names[:NAMED_MAX])) + more)
    for message in view["orphans"]:
        st.warning(md_escape(message))
    if view["n_orphans"] > NAMED_MAX:
        st.caption(f"另有 {view['n_orphans'] - NAMED_MAX} 条无归属行的提示，见上方数据提示。")
    ui.table(view["table"], "正文与附件", key="dq_annex", styler=view["styler"], cached=True)

st.subheader("对账：指标分值、得分与印发总分")
if "sums_view" not in checked:
    st.info("当前筛选的文档没有印发自评总分的项目。")
else:
    st.caption("每个项目：指标分值 + 资金分值 应为 100；指标得分 + 资金得分 应等于印发的自评总分。")
    view = checked["sums_view"]
    ui.table(view["table"], "指标分值与得分", key="dq_scores", styler=view["styler"], cached=True)

st.subheader("对账：印发执行率与计算执行率")
if checked["rates"].empty:
    st.info("当前筛选的文档没有执行率。")
else:
    st.caption("计算执行率 = 执行 ÷ 预算；与印发执行率相差超过 1 个百分点为不一致。")
    only = st.toggle("只看不一致与未印发", value=True, key="dq_rates_only")
    view = rate_view(folder, stamp, selection.filters, only)
    ui.table(view["table"], "印发与计算执行率", key="dq_rates", styler=view["styler"], cached=True)
