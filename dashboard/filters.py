"""Global sidebar filters (地区/单位/年度/文档类型), kept in step with the URL's query parameters."""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from .constants import FILTER_KEYS, KIND_LABELS
from .queries import Filters, filter_options

LABELS = {
    "filter_region": "地区",
    "filter_unit": "单位",
    "filter_year": "年度",
    "filter_kind": "文档类型",
}
# Set once per session, after the URL has seeded the filters.
URL_READ_FLAG = "_filters_read_from_url"


def _parse(key: str, text: str):
    """A query parameter value as the widget's option type (years are ints)."""
    if key == "filter_year":
        try:
            return int(text)
        except ValueError:
            return None
    return text


def _seed_from_url(options: dict[str, list]) -> None:
    """On a session's first run, the URL (a copied link) sets the filters; unknown values are dropped."""
    state = st.session_state
    if state.get(URL_READ_FLAG):
        return
    for key in FILTER_KEYS:
        wanted = [_parse(key, v) for v in st.query_params.get_all(key)]
        # units are checked against every unit here; the region filter narrows them later
        state[key] = list(dict.fromkeys(v for v in wanted if v in options[key]))
    state[URL_READ_FLAG] = True


def _keep_valid(key: str, options: list) -> None:
    """Drop selections no longer offered (a unit outside the chosen regions, a year not loaded)."""
    state = st.session_state
    current = state.get(key) or []
    valid = [v for v in current if v in options]
    if valid != current:
        state[key] = valid


def _write_url() -> None:
    """Mirror the filters into the query parameters so the link reopens the same view."""
    for key in FILTER_KEYS:
        values = [str(v) for v in st.session_state.get(key) or []]
        if values:
            if st.query_params.get_all(key) != values:
                st.query_params[key] = values
        elif key in st.query_params:
            del st.query_params[key]


def sync_filters(documents: pd.DataFrame) -> Filters:
    """Render the global filters in the sidebar and sync them with st.query_params; every run."""
    options = filter_options(documents)
    _seed_from_url(options)
    for key in ("filter_region", "filter_year", "filter_kind"):
        _keep_valid(key, options[key])
    with st.sidebar:
        st.header("筛选")
        st.multiselect(
            LABELS["filter_region"],
            options["filter_region"],
            key="filter_region",
            placeholder="全部地区",
            filter_mode="contains",
        )
        units = filter_options(documents, tuple(st.session_state.get("filter_region") or ()))[
            "filter_unit"
        ]
        _keep_valid("filter_unit", units)
        st.multiselect(
            LABELS["filter_unit"],
            units,
            key="filter_unit",
            placeholder=f"全部单位（{len(units)}）",
            filter_mode="contains",
            help="可输入单位名称中的任意文字搜索",
        )
        st.multiselect(
            LABELS["filter_year"],
            options["filter_year"],
            key="filter_year",
            placeholder="全部年度",
            filter_mode="contains",
        )
        st.multiselect(
            LABELS["filter_kind"],
            options["filter_kind"],
            key="filter_kind",
            format_func=lambda k: KIND_LABELS.get(k, k),
            placeholder="全部类型",
            filter_mode="contains",
        )
    _write_url()
    return Filters.from_state(st.session_state)


def current() -> Filters:
    """The filters as set by the sidebar in this run (pages call this)."""
    return Filters.from_state(st.session_state)


def link_query() -> str:
    """The filters as query parameters to append to a link (`&filter_region=湖南…`, '' for
    none): a 原文 tab opened from a table keeps the view it came from."""
    pairs = [(k, str(v)) for k in FILTER_KEYS for v in st.session_state.get(k) or []]
    return "&" + urlencode(pairs) if pairs else ""
