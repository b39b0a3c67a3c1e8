"""数据质量: findings by document, severity and code with links to their lines; reconciliations."""

import streamlit as st

from dashboard import data, quality, ui
from dashboard.constants import CODE_LABELS, SEVERITY_LABELS
from dashboard.markup import md_escape

NAMED_MAX = quality.NAMED_MAX


@data.memo
def reconciliations(selection) -> dict:
    """The page's tables, linked and tinted, once per filters and table versions."""
    return quality.reconciliations(selection, data.totals())


@data.memo
def finding_rows(selection, severities: tuple, codes: tuple):
    return quality.finding_rows(reconciliations(selection)["findings"], severities, codes)


@data.memo
def rate_view(selection, only: bool) -> dict:
    return quality.rate_view(reconciliations(selection)["rates"], only)


selection = ui.load_selection()
checked = reconciliations(selection)
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
    with st.expander("按文档和问题类型统计", expanded=False):
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
        "问题类型",
        checked["codes"],
        format_func=lambda c: f"{CODE_LABELS.get(c, c)}（{c}）",
        key="dq_code",
        placeholder="全部类型",
    )
    table = finding_rows(selection, tuple(severities), tuple(codes))
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
    view = rate_view(selection, only)
    ui.table(view["table"], "印发与计算执行率", key="dq_rates", styler=view["styler"], cached=True)
