"""Text from documents and links made inert for the renderers that read markup in it.

Unit, project and file names, finding messages and query parameters are data: shown by
Streamlit's Markdown (captions, alerts, labels) or by plotly's HTML-like labels (titles, axis
categories, hover boxes) they must read as printed, never as a link, an image or formatting.
"""

from __future__ import annotations

import math
import re

# Every ASCII punctuation character: CommonMark lets each be escaped with a backslash, which
# turns off links, images, emphasis, code, HTML, headings, lists and tables, and Streamlit's
# own syntax parsed with them (:red[…] directives, $…$ LaTeX, :material/…: icons).
_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Streamlit also rewrites the parsed text, after backslash escapes are resolved: remark-gfm
# links bare http://… , www.… and a@b.c addresses, and :name: shortcodes become emoji, Material
# icons or the Streamlit logo. A word joiner (U+2060, invisible and unbreakable) after every
# colon and at-sign, and inside "www.", keeps those patterns from matching.
WORD_JOINER = "\u2060"
_WWW_DOT = re.compile(r"(www)(\\\.)", re.IGNORECASE)
# plotly reads <a href>, <b>, <br>, <sup> … and &lt; entities in every label it draws.
_PLOT_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_PLOT_SPECIAL = re.compile(r"[&<>]")


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def md_escape(value) -> str:
    """value as text that Streamlit's Markdown shows literally ('' for None and NaN).

    For every text built from a document or a URL before it reaches st.markdown, st.caption,
    an alert, a heading, or a metric, expander, tab or widget label. Not for plain-text places
    (select options, table cells, text inputs): there the backslashes would show.
    """
    text = _MD_PUNCTUATION.sub(r"\\\1", _text(value))
    text = text.replace(r"\:", "\\:" + WORD_JOINER).replace(r"\@", "\\@" + WORD_JOINER)
    return _WWW_DOT.sub(r"\1" + WORD_JOINER + r"\2", text)


def plot_escape(value):
    """A label for a plotly figure shown as printed (&, < and > as entities); other values
    (numbers, None) unchanged."""
    if not isinstance(value, str) or not _PLOT_SPECIAL.search(value):
        return value
    return _PLOT_SPECIAL.sub(lambda m: _PLOT_ENTITIES[m.group()], value)
