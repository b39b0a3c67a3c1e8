"""Text PDFs (issue 12): the fixture PDFs of tests/fixtures/pdf load to their truth.

The fixtures are synthetic documents printed to PDF the way offices print them (a Word table and
spreadsheets by LibreOffice, an HTML table by Chromium; bench/make_pdfs.py --fixtures writes them
and their truth). Every row read from a page carries the page and box it came from, a table
that runs over a page break is one table, and a PDF that cannot be read is a finding.
"""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import pandas as pd
import pypdfium2 as pdfium
import pytest
from PIL import Image

from bench.bench_pdf_bad import page_bomb, zip_bomb
from bench.score_pdfs import compare
from dashboard import pageimage, trace
from loaders import pdf
from loaders.build import build, read_document
from loaders.pages import PageCell, tabulate
from loaders.readers import ReaderError, convert

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pdf"
RAW = FIXTURES / "raw"
PAGES = {
    "eval_tables_writer.pdf": 3,
    "declaration_calc.pdf": 2,
    "summary_plain_calc.pdf": 2,
    "overall_chromium.pdf": 1,
    "eval_plain_chromium.pdf": 4,
    "accounts_writer.pdf": 5,
    "eval_middle_chromium.pdf": 2,
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pdf") / "parquet"
    build(RAW, out)
    return out


def tables(folder: Path) -> dict[str, pd.DataFrame]:
    names = ("documents", "projects", "indicators", "findings")
    return {n: pd.read_parquet(folder / f"{n}.parquet") for n in names}


def test_every_fixture_loads_to_its_truth(built):
    counts, problems = compare(FIXTURES / "truth", built)
    assert not problems, "\n".join(problems)
    assert set(counts) == set(PAGES)
    total = {k: sum(c.get(k, 0) for c in counts.values()) for k in ("projects", "indicators")}
    assert total["projects"] >= 40 and total["indicators"] >= 40
    kinds = set(tables(built)["documents"]["doc_kind"])
    assert {"project_eval_tables", "target_declaration", "project_summary_table"} <= kinds


def test_documents_count_their_pages_and_none_is_ocred(built):
    documents = tables(built)["documents"].set_index("source_file")
    assert documents["pages"].to_dict() == PAGES
    assert (documents["ocr_pages"] == 0).all()


def page_sizes(name: str) -> dict[int, tuple[float, float]]:
    document = pdfium.PdfDocument(RAW / name)
    try:
        return {k + 1: document[k].get_size() for k in range(len(document))}
    finally:
        document.close()


def test_every_row_carries_its_page_and_a_box_inside_it(built):
    t = tables(built)
    files = dict(zip(t["documents"]["doc_id"], t["documents"]["source_file"], strict=True))
    sizes = {name: page_sizes(name) for name in PAGES}
    for name in ("projects", "indicators", "findings"):
        rows = t[name].dropna(subset=["source_line"])
        assert len(rows), name
        assert rows["source_page"].notna().all(), name
        for row in rows.itertuples():
            width, height = sizes[files[row.doc_id]][row.source_page]
            x0, y0, x1, y1 = row.source_box
            assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, (name, row)
    # rows of a two-page document sit on both pages, in reading order
    projects = t["projects"].assign(file=t["projects"]["doc_id"].map(files))
    summary = projects[projects["file"] == "summary_plain_calc.pdf"].sort_values("source_line")
    assert summary["source_page"].tolist() == sorted(summary["source_page"])
    assert set(summary["source_page"]) == {1, 2}


def test_a_table_over_a_page_break_is_one_table_without_its_repeated_header():
    converted = convert("s.pdf", (RAW / "summary_plain_calc.pdf").read_bytes())
    lines = converted.data.decode("utf-8").split("\n")
    geometry = converted.geometry
    rows = [n for n, line in enumerate(lines, 1) if line.split("\t")[0].isdigit()]
    assert len(rows) == 27
    pages = [geometry.lines[n].page for n in rows]
    assert pages == sorted(pages) and set(pages) == {1, 2}
    assert rows == list(range(rows[0], rows[0] + 27))  # no blank line at the page break
    assert sum(line.startswith("序号\t项目名称") for line in lines) == 1  # header not repeated
    assert not any("第 1 页" in line or "共 2 页" in line for line in lines)  # footers dropped


def test_a_row_cut_by_a_page_break_and_wrapped_cells_are_joined():
    converted = convert("e.pdf", (RAW / "eval_tables_writer.pdf").read_bytes())
    lines = converted.data.decode("utf-8").split("\n")
    cells = [line.split("\t") for line in lines]
    # Word broke the third project's name row across pages 2 and 3
    (name_row,) = [n for n, c in enumerate(cells, 1) if c[0] == "项目名称" and "爱国" in c[1]]
    assert cells[name_row - 1][1] == "爱国卫生运动（含结转）"
    assert converted.geometry.lines[name_row].page == 2
    assert cells[name_row][0] == "主管部门"  # the rest of the row left no row of its own
    # text wrapped inside a cell stays in its cell
    assert any("服务对象满意度指标" in c for row in cells for c in row)
    assert not any(c.strip() in ("标", "员会", "中心") for row in cells for c in row)


def test_a_header_at_the_top_of_a_page_heads_its_table_and_is_no_running_header():
    # Chromium, no ruling lines: each indicator table starts a page, its header row in the top
    # band where running headers sit, the same text on three pages of four
    converted = convert("p.pdf", (RAW / "eval_plain_chromium.pdf").read_bytes())
    lines = converted.data.decode("utf-8").split("\n")
    heads = [n for n, line in enumerate(lines, 1) if line.startswith("一级指标\t二级指标")]
    assert [converted.geometry.lines[n].page for n in heads] == [2, 3, 4]
    for n in heads:
        assert converted.geometry.lines[n].box[1] < pdf.MARGIN_SHARE * 595
        assert lines[n].split("\t")[0].endswith("指标")  # an indicator row follows


def row(texts: list[str], page: int, lefts: list[float], top: float) -> pdf._Row:
    cells = [
        PageCell(t, page, (x, top, x + 40, top + 10)) for t, x in zip(texts, lefts, strict=True)
    ]
    return pdf._Row(cells, top, top + 10)


def test_a_new_table_under_the_same_header_keeps_its_header_at_a_page_break():
    head = ["一级指标", "二级指标", "三级指标"]
    a, b = [50.0, 150.0, 250.0], [60.0, 170.0, 300.0]  # two tables, columns of their own widths
    pages = [
        [row(head, 1, a, 500), row(["产出指标", "数量指标", "培训人次"], 1, a, 520)],
        [  # table A goes on under its repeated header, then a new block begins
            row(head, 2, a, 40),
            row(["效益指标", "社会效益指标", "健康素养"], 2, a, 60),
            row(["项目名称", "疫情防控"], 2, a[:2], 100),
            row(["年度总体目标", "预期目标", "实际完成情况"], 2, a, 120),
        ],
        [row(head, 3, b, 40), row(["满意度指标", "服务对象满意度", "患者满意度"], 3, b, 60)],
    ]
    texts = [[c.text for c in r.cells] for r in pdf.join_pages(pages)]
    assert texts.count(head) == 2  # A's repeat dropped, the new table's header kept
    assert texts.index(head, 1) == 5


def test_a_total_row_at_a_page_top_is_no_rest_of_the_row_above():
    lefts = [40.0, 120.0, 200.0, 280.0]
    last = row(["效益指标", "科研论文产出量", "40.00", "40.00"], 1, lefts, 540)
    total = row(["", "", "100.00", "100.00"], 2, lefts, 34)  # 总分's scores, its label merged
    rest = row(["", "（篇）", "", ""], 2, lefts, 34)  # the wrapped rest of a name
    for r in (last, total, rest):
        r.table = 0
    assert not pdf._split_row(last, total)
    assert pdf._split_row(last, rest)


def test_a_vertically_centred_wrapped_cell_stays_in_its_row():
    # no ruling lines, cells centred vertically: the unit wrapped onto two lines, one above and
    # one below the line of its row's other cells, half a line from them
    converted = convert("m.pdf", (RAW / "eval_middle_chromium.pdf").read_bytes())
    lines = converted.data.decode("utf-8").split("\n")
    n = next(k for k, line in enumerate(lines) if line.startswith("项目名称\t"))
    assert lines[n] == "项目名称\t独生子女父母伤残家庭扶助（含结转）"
    assert lines[n + 1] == (
        "主管部门\t咸阳市卫生健康委员会\t实施单位\t陕西省咸阳市长武县卫生健康事务管理中心"
    )


def test_a_paragraph_under_a_ruled_table_is_no_wrapped_rest_of_its_last_cell():
    converted = convert("a.pdf", (RAW / "accounts_writer.pdf").read_bytes())
    lines = converted.data.decode("utf-8").split("\n")
    n = lines.index("附件二：")
    assert lines[n - 1] == "" and "\t" in lines[n - 2]  # the table, a blank line, the paragraph
    assert converted.geometry.lines[n - 1].page == converted.geometry.lines[n + 1].page


def chars(text: str, x: float, top: float, size: float = 10.0) -> list[dict]:
    """Characters of a text layer: one full-width character after the other."""
    return [
        {
            "text": ch,
            "x0": x + k * size,
            "x1": x + (k + 1) * size,
            "top": top,
            "bottom": top + size,
            "size": size,
        }
        for k, ch in enumerate(text)
    ]


def test_a_paragraph_under_a_table_without_ruling_lines_stands_apart():
    # rows 8 pt apart (their padding), the rest of a wrapped cell 2 pt under its first line,
    # then a paragraph 20 pt below the table
    table = [("一级指标", "三级指标"), ("产出指标", "签约人数"), ("效益指标", "健康素养")]
    table.append(("满意度指标", "患者满意度"))
    found = []
    for k, (a, b) in enumerate(table):
        found += chars(a, 40, 100 + 18 * k) + chars(b, 200, 100 + 18 * k)
    found += chars("（门诊）", 200, 166) + chars("附件二：", 40, 196)
    rows = pdf._line_rows(pdf.text_lines(found), 1)
    text, _ = tabulate([r.cells for r in rows], apart=[k for k, r in enumerate(rows) if r.apart])
    assert text.split("\n")[3:] == ["满意度指标\t患者满意度（门诊）", "", "附件二：", ""]


def typeset(text: str, x: float, top: float, size: float = 10.0) -> list[dict]:
    """Characters as a text layer lays them out: Chinese a font size wide, Latin and digits
    half of it, a space 0.3 of it."""
    out = []
    for ch in text:
        width = size * (0.3 if ch == " " else 0.5 if ch.isascii() else 1.0)
        out.append(
            {"text": ch, "x0": x, "x1": x + width, "top": top, "bottom": top + size, "size": size}
        )
        x += width
    return out


def test_a_wrapped_paragraph_is_one_line_and_a_space_after_a_mark_cuts_no_cell():
    # the first two lines run to the text's right edge: one paragraph, its first line indented
    # by two characters, broken after a figure
    first = typeset("关心、 帮助特殊家庭。专项业务 130.00 130.00 0.00", 60, 100)  # indented
    second = typeset("2023年应急管理工作要点的通知，组织开展安全生产巡", 40, 113)
    third = typeset("查指导。", 40, 126)
    title = typeset("年度主要任务", 40, 160)
    assert abs(first[-1]["x1"] - second[-1]["x1"]) < pdf.PARAGRAPH_EDGE_EM * 10  # both full
    rows = pdf._line_rows(pdf.text_lines(first + second + third + title), 1)
    assert [[c.text for c in r.cells] for r in rows] == [
        [
            "关心、 帮助特殊家庭。专项业务 130.00 130.00 0.00 "
            "2023年应急管理工作要点的通知，组织开展安全生产巡查指导。"
        ],
        ["年度主要任务"],
    ]


def test_the_build_cache_keeps_a_pdf_unread(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    first = build(raw, tmp_path / "parquet")
    before = tables(tmp_path / "parquet")
    again = build(raw, tmp_path / "parquet")
    assert (first["parsed"], again["parsed"], again["reused"]) == (len(PAGES), 0, len(PAGES))
    after = tables(tmp_path / "parquet")
    for name in ("projects", "indicators", "findings"):
        pd.testing.assert_frame_equal(
            before[name].reset_index(drop=True), after[name].reset_index(drop=True)
        )


def test_unreadable_pdfs_are_findings_and_the_others_load(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    good = (RAW / "overall_chromium.pdf").read_bytes()
    (raw / "good.pdf").write_bytes(good)
    (raw / "encrypted.pdf").write_bytes((FIXTURES / "encrypted.pdf").read_bytes())
    (raw / "truncated.pdf").write_bytes(good[: len(good) // 2])
    (raw / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    (raw / "notes.pdf").write_bytes("一份文本，扩展名却是 pdf".encode())
    build(raw, tmp_path / "parquet")
    t = tables(tmp_path / "parquet")
    files = dict(zip(t["documents"]["doc_id"], t["documents"]["source_file"], strict=True))
    unreadable = t["findings"][t["findings"]["code"] == "UNREADABLE"]
    messages = dict(zip(unreadable["doc_id"].map(files), unreadable["message"], strict=True))
    assert set(messages) == {"encrypted.pdf", "truncated.pdf", "garbage.pdf", "notes.pdf"}
    assert "已加密" in messages["encrypted.pdf"] and "去掉密码" in messages["encrypted.pdf"]
    assert "损坏或不完整" in messages["truncated.pdf"]
    assert "损坏或不完整" in messages["garbage.pdf"]
    assert "不是有效的PDF" in messages["notes.pdf"]
    good_id = next(d for d, f in files.items() if f == "good.pdf")
    assert (t["projects"]["doc_id"] == good_id).sum() == 3


def test_pdf_bombs_are_findings_and_the_others_load(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "pages.pdf").write_bytes(page_bomb(100_000))  # 600 KB declaring 100,000 pages
    (raw / "inflates.pdf").write_bytes(zip_bomb(pdf.MAX_CONTENT_BYTES // 2**20 + 16))
    (raw / "good.pdf").write_bytes((RAW / "declaration_calc.pdf").read_bytes())
    build(raw, tmp_path / "parquet")
    t = tables(tmp_path / "parquet")
    files = dict(zip(t["documents"]["doc_id"], t["documents"]["source_file"], strict=True))
    unreadable = t["findings"][t["findings"]["code"] == "UNREADABLE"]
    messages = dict(zip(unreadable["doc_id"].map(files), unreadable["message"], strict=True))
    assert set(messages) == {"pages.pdf", "inflates.pdf"}
    assert "页数过多（100000 页" in messages["pages.pdf"]
    assert "解压后超过 64 MB" in messages["inflates.pdf"] and "压缩炸弹" in messages["inflates.pdf"]
    assert set(t["projects"]["doc_id"].map(files)) == {"good.pdf"}


def image_pdf(page_of: Path) -> bytes:
    """A one-page PDF holding only a picture of page_of's first page: a scan, no text layer."""
    image = pdf.render_image(page_of.read_bytes(), 1, 100)
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=100)
    return out.getvalue()


def joined(*parts: bytes) -> bytes:
    document = pdfium.PdfDocument.new()
    for part in parts:
        document.import_pages(pdfium.PdfDocument(part))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def without_ocr(monkeypatch):
    """As on a machine where loaders.ocr cannot be imported (its models or package missing)."""
    monkeypatch.setitem(sys.modules, "loaders.ocr", None)


def test_a_scanned_page_without_ocr_is_a_finding_and_the_text_pages_load(without_ocr):
    text_page = (RAW / "overall_chromium.pdf").read_bytes()
    data = joined(text_page, image_pdf(RAW / "declaration_calc.pdf"))
    result = read_document("mixed.pdf", data)
    assert result["document"]["doc_kind"] == "department_overall_eval"
    assert (result["document"]["pages"], result["document"]["ocr_pages"]) == (2, 0)
    assert len(result["projects"]) == 3
    (scanned,) = [f for f in result["findings"] if f["code"] == "SCANNED_PAGE"]
    assert scanned["source_page"] == 2 and "第 2 页是扫描图像" in scanned["message"]
    with pytest.raises(ReaderError, match="扫描图像"):
        convert("scan.pdf", image_pdf(RAW / "declaration_calc.pdf"))


def test_radical_code_points_read_as_the_characters_they_show():
    assert pdf.normalise("部⻔整体⽀出") == "部门整体支出"
    assert pdf.normalise("监督检查⼾次（万元）") == "监督检查户次（万元）"


def orange(image: Image.Image) -> int:
    """Pixels of the highlight frame's colour."""
    edge = pageimage.HIGHLIGHT_EDGE[:3]
    return sum(
        n
        for n, rgb in image.getcolors(1 << 20)
        if all(abs(a - b) < 30 for a, b in zip(rgb, edge, strict=True))
    )


def test_the_source_view_frames_the_cited_line_on_its_page(tmp_path, monkeypatch):
    monkeypatch.setenv(pageimage.CACHE_ENV, str(tmp_path))
    raw = (RAW / "summary_plain_calc.pdf").read_bytes()
    converted = convert("s.pdf", raw)
    lines = converted.data.decode("utf-8").split("\n")
    line = next(n for n, text in enumerate(lines, 1) if text.startswith("25\t"))
    where = trace.page_target(converted.geometry, trace.Target("d", line))
    assert where.page == 2 and len(where.boxes) == 1
    assert trace.page_target(converted.geometry, trace.Target("d")).page == 1
    png = pageimage.rendered(raw, "sha", where.page)
    assert list(tmp_path.glob("sha-p2-s2.png"))
    image = Image.open(io.BytesIO(pageimage.highlighted(png, where.boxes))).convert("RGB")
    x0, y0, x1, y1 = (v * pageimage.SCALE for v in where.boxes[0])
    around = (int(x0) - 8, int(y0) - 8, int(x1) + 8, int(y1) + 8)
    frame = image.crop(around)
    assert orange(frame) > 2 * (x1 - x0)  # the frame's top and bottom edges at least
    assert orange(Image.open(io.BytesIO(png)).convert("RGB").crop(around)) == 0


def test_the_cli_adds_a_pdf(tmp_path, capsys):
    from loaders.__main__ import EXIT_OK, main

    raw, out = tmp_path / "raw", tmp_path / "parquet"
    raw.mkdir()
    folders = ["--raw", str(raw), "--out", str(out)]
    assert main(["add", str(RAW / "declaration_calc.pdf"), *folders]) == EXIT_OK
    assert (raw / "declaration_calc.pdf").read_bytes() == (
        RAW / "declaration_calc.pdf"
    ).read_bytes()
    capsys.readouterr()
    assert main(["list", *folders]) == EXIT_OK
    row = next(line.split("\t") for line in capsys.readouterr().out.splitlines()[1:])
    assert row[1] == "target_declaration" and row[5] == "declaration_calc.pdf"
    assert tables(out)["documents"]["pages"].tolist() == [2]
