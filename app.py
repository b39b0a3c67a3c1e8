"""绩效看板: the Streamlit entry point: page config, global sidebar filters, navigation."""

import streamlit as st

from dashboard import data, serving
from dashboard.filters import sync_filters
from dashboard.markup import md_escape

st.set_page_config(page_title="绩效看板", page_icon=":material/monitoring:", layout="wide")
# Streamlit's wide layout keeps 5rem either side of the page at a desk: 2rem leave a table
# ~100 px more.
st.html(
    "<style>@media (min-width: 992px) {.stMainBlockContainer "
    "{padding-left: 2rem; padding-right: 2rem}}</style>"
)

# The page scripts live in views/, not pages/: with a pages/ folder next to app.py, Streamlit
# 1.67 runs a deep link (/low_execution) opened first after a restart, and every AppTest rerun,
# as an old-style page without this router, so the sidebar filters and layout vanish.
PAGES = [
    st.Page("views/overview.py", title="总览", icon=":material/dashboard:", default=True),
    st.Page("views/budget_execution.py", title="预算执行", icon=":material/account_balance:"),
    st.Page("views/low_execution.py", title="低执行率项目", icon=":material/trending_down:"),
    st.Page("views/indicators.py", title="绩效指标完成", icon=":material/fact_check:"),
    st.Page("views/credibility.py", title="自评可信度", icon=":material/policy:"),
    st.Page("views/reasons.py", title="偏差原因", icon=":material/help_center:"),
    st.Page("views/target_quality.py", title="目标质量", icon=":material/rule_settings:"),
    st.Page("views/peers.py", title="同类比较", icon=":material/leaderboard:"),
    st.Page("views/years.py", title="年度对比", icon=":material/timeline:"),
    st.Page("views/data_quality.py", title="数据质量", icon=":material/rule:"),
    st.Page("views/documents.py", title="文档", icon=":material/folder_open:"),
    st.Page("views/source_viewer.py", title="原文", icon=":material/article:"),
    st.Page("views/review.py", title="校对", icon=":material/edit_note:"),
    st.Page("views/import_documents.py", title="导入文档", icon=":material/upload_file:"),
]

serving.check_once()  # open to the network without a password, upload limit: said in the log
# every page listed: folded, the menu ends in Streamlit's English "View 3 more"
page = st.navigation(PAGES, expanded=True)
filters = sync_filters(data.documents())
st.title(f"绩效看板 · {page.title}")
built = data.data_date()
# the filters name units as the documents print them: shown as text, never as Markdown
st.caption(f"{md_escape(filters.describe())}　|　数据更新于 {built or '（尚未生成）'}")
page.run()
