"""Issue 10, points 2 and 3: formulas and Markdown in documents and links stay inert.

A CSV whose project names are spreadsheet formulas, and seed 004 imported with a unit name
written in Markdown, are imported as an analyst would (intake.add, the code of `python -m
loaders add`). The pages' CSV, XLSX and PPTX downloads must hold the names as text ('=…), and
every caption, alert and label must show the Markdown as printed, as must a ?doc= link.
"""

from __future__ import annotations

import pytest
from injection_support import live_markdown

from dashboard import markup


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("深圳市龙岗区卫生健康局", "深圳市龙岗区卫生健康局"),
        ("[a](http://x)", "\\[a\\]\\(http\\:\u2060\\/\\/x\\)"),
        ("![x](y.png)", "\\!\\[x\\]\\(y\\.png\\)"),
        ("**粗** _斜_ `码` ~删~", "\\*\\*粗\\*\\* \\_斜\\_ \\`码\\` \\~删\\~"),
        ("# 标题", "\\# 标题"),
        ("1. 列表", "1\\. 列表"),
        ("<b>x</b>", "\\<b\\>x\\<\\/b\\>"),
        (
            ":red[红] :material/home: :tada:",
            "\\:\u2060red\\[红\\] \\:\u2060material\\/home\\:\u2060 \\:\u2060tada\\:\u2060",
        ),
        ("$x^2$", "\\$x\\^2\\$"),
        ("a\\b", "a\\\\b"),
        ("见 www.evil.example", "见 www\u2060\\.evil\\.example"),
        ("WWW.X.CN", "WWW\u2060\\.X\\.CN"),
        ("a@b.cn", "a\\@\u2060b\\.cn"),
        ("a|b", "a\\|b"),
        (None, ""),
        (float("nan"), ""),
        (2023, "2023"),
    ],
)
def test_md_escape(text, escaped):
    assert markup.md_escape(text) == escaped
    assert live_markdown(markup.md_escape(text)) is None


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("普通", "普通"),
        ('<a href="http://x">y</a>', '&lt;a href="http://x"&gt;y&lt;/a&gt;'),
        ("a & b <br>", "a &amp; b &lt;br&gt;"),
        ("&lt;", "&amp;lt;"),
        (1.5, 1.5),
        (None, None),
    ],
)
def test_plot_escape(text, shown):
    assert markup.plot_escape(text) == shown
