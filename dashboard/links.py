"""Page settings in the link: a page's own choices (?reasons_category=…) beside the global filters.

A page calls seed() for each of its settings before drawing the widget (the link sets the
widget once per session), and write() after it (the link follows the widget), so a copied URL
reopens the page with the same unit, category or threshold.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import streamlit as st

from . import trace
from .filters import link_query

READ_PREFIX = "_link_read_"


def seed(key: str, parse=str, valid=None) -> None:
    """On the session's first run with this setting, take its value from the URL when the URL
    names one that parse() reads and `valid` (a collection, if given) contains."""
    flag = READ_PREFIX + key
    if st.session_state.get(flag):
        return
    st.session_state[flag] = True
    values = st.query_params.get_all(key)
    if not values:
        return
    try:
        value = parse(values[0])
    except (TypeError, ValueError):
        return
    if valid is not None and value not in valid:
        return
    st.session_state[key] = value


def write(key: str, value, default=None) -> None:
    """Mirror one setting into the URL; the default value (or None) leaves it out."""
    if value is None or value == default:
        if key in st.query_params:
            del st.query_params[key]
        return
    text = str(value)
    if st.query_params.get(key) != text:
        st.query_params[key] = text


def initial(key: str, name: str, value) -> dict:
    """The widget's default as a keyword argument (name= value), or none once the session (or
    the link, through seed) holds a value: Streamlit warns when both set a widget."""
    return {} if key in st.session_state else {name: value}


def source_params(doc_id, line=None, end=None) -> list[tuple[str, str]]:
    """The 原文 page's query parameters for a document's lines (as trace.source_link builds
    them) followed by the sidebar's filters, for st.page_link: a page link carries a document's
    id without any Markdown, and the 原文 page opens with the view it came from. Pairs, not a
    dict: a filter can hold several values (filter_region=深圳&filter_region=湖南)."""
    link = trace.source_link(doc_id, line, end)
    if not link:
        return []
    return parse_qsl(urlsplit(link).query) + parse_qsl(link_query().lstrip("&"))
