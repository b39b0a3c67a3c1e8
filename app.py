"""绩效看板: the Streamlit entry point (router)."""

import pandas as pd
import streamlit as st

st.set_page_config(page_title="绩效看板", layout="wide")
st.title("绩效看板")
try:
    st.dataframe(pd.read_parquet("data/parquet/documents.parquet"))
except FileNotFoundError:
    st.info("尚未生成数据：请运行 ./run.sh。")
