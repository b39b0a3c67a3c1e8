"""Readers: xlsx, docx and csv read into the same tab-separated text the seeds are, and bad files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import re
import zipfile

import docx
import openpyxl
import pandas as pd
import pytest
from office_files import (
    docx_from_lines,
    plain_zip,
    seed_bytes,
    seed_lines,
    xlsx_from_lines,
    zip_bomb,
)

from loaders import readers
from loaders.build import build, read_document
from loaders.readers import ReaderError, convert, format_value

CJK = re.compile(r"[\u4e00-\u9fff]")


def converted_lines(name: str, data: bytes) -> list[str]:
    return convert(name, data).data.decode("utf-8").split("\n")


def rows_without_doc_id(result: dict, table: str) -> pd.DataFrame:
    return pd.DataFrame(result[table]).drop(columns="doc_id")


def codes(result: dict) -> list[tuple[str, int]]:
    """Finding codes and lines, without the note that a file was not UTF-8."""
    return sorted(
        (f["code"], f["source_line"] or 0) for f in result["findings"] if f["code"] != "ENCODING"
    )


def same_parse(a: dict, b: dict) -> None:
    """Two read_document results load the same rows (line numbers included)."""
    for table in ("projects", "indicators"):
        pd.testing.assert_frame_equal(rows_without_doc_id(a, table), rows_without_doc_id(b, table))
    assert codes(a) == codes(b)
    for key in ("doc_kind", "unit", "region", "year", "amount_unit"):
        assert a["document"][key] == b["document"][key], key


# --- cell values as printed ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (None, "General", ""),
        (53.59, "0.00", "53.59"),
        (2306, "General", "2306"),
        (2306.0, "General", "2306"),
        (0.1 + 0.2, "General", "0.3"),
        (0.9225, "0.00%", "92.25%"),
        (0.97, "0%", "97%"),
        (1, "0%", "100%"),
        (25591.99949, "0.00", "25592.00"),
        (1234.5, "#,##0.00", "1234.50"),
        (-3.0, "0.0;[Red]-0.0", "-3.0"),
        (True, "General", "TRUE"),
        (dt.datetime(2021, 12, 31), 'yyyy"年"m"月"d"日"', "2021年12月31日"),
        (dt.datetime(2021, 12, 31), "yyyy/m/d", "2021/12/31"),
        (dt.datetime(2021, 12, 31), "yyyy-mm-dd", "2021-12-31"),
        (dt.datetime(2021, 12, 31, 9, 30), "yyyy-mm-dd h:mm", "2021-12-31 09:30"),
        (dt.date(2022, 1, 5), "mm-dd-yy", "2022-01-05"),
        (dt.datetime(2021, 12, 1), 'yyyy"年"m"月"', "2021年12月"),
        (dt.time(14, 5), "h:mm", "14:05"),
        ("项目\n名称", "General", "项目 名称"),
        ("a\tb", "@", "a b"),
        ("\u3000一、聚焦", "General", "\u3000一、聚焦"),
    ],
)
def test_format_value(value, number_format, text):
    assert format_value(value, number_format) == text


# --- xlsx ---------------------------------------------------------------------------------------


def test_xlsx_of_a_seed_reads_like_the_seed():
    lines = seed_lines("000")
    data = xlsx_from_lines(lines)
    assert converted_lines("龙岗.xlsx", data) == [line.rstrip("\t") for line in lines]
    same_parse(read_document("000.txt", seed_bytes("000")), read_document("000.xlsx", data))


def test_xlsx_every_sheet_in_order_blank_line_between():
    data = xlsx_from_lines(["表头\t数值", "甲\t1.50"], sheets=3)
    assert converted_lines("x.xlsx", data) == [
        "表头\t数值",
        "甲\t1.50",
        "",
        "说明\t第2页",
        "",
        "说明\t第3页",
    ]
    assert convert("x.xlsx", data).parts == 3


def test_xlsx_merged_and_empty_cells_are_empty_cells():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "项目名称"
    sheet["B1"] = "资金情况"
    sheet.merge_cells("B1:D1")
    sheet["E1"] = "得分"
    sheet["A3"] = "合计"  # row 2 is empty
    sheet["C3"] = 10
    buffer = io.BytesIO()
    book.save(buffer)
    assert converted_lines("m.xlsx", buffer.getvalue()) == [
        "项目名称\t资金情况\t\t\t得分",
        "",
        "合计\t\t10",
    ]


def _with_cached_value(data: bytes, formula: str, cached: str) -> bytes:
    """The workbook with <v>cached</v> after the formula, as Excel saves it."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                old = f"<f>{formula}</f><v></v>".encode()
                assert old in content
                content = content.replace(old, f"<f>{formula}</f><v>{cached}</v>".encode())
            target.writestr(info, content)
    return out.getvalue()


def test_xlsx_formulas_give_their_cached_values():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["预算数", "执行数", "执行率"])
    sheet.append([200, 184.5, "=B2/A2"])
    sheet["C2"].number_format = "0.00%"
    buffer = io.BytesIO()
    book.save(buffer)
    data = _with_cached_value(buffer.getvalue(), "B2/A2", "0.9225")
    assert converted_lines("f.xlsx", data) == ["预算数\t执行数\t执行率", "200\t184.5\t92.25%"]
    # without a cached value (never opened in Excel) the cell is empty, not the formula text
    assert converted_lines("f.xlsx", buffer.getvalue())[1] == "200\t184.5"


def test_xlsx_dates_as_printed():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "预算完成时间"
    sheet["B1"] = dt.datetime(2021, 12, 31)
    sheet["B1"].number_format = 'yyyy"年"m"月"d"日"'
    buffer = io.BytesIO()
    book.save(buffer)
    assert converted_lines("d.xlsx", buffer.getvalue()) == ["预算完成时间\t2021年12月31日"]


# --- docx ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["003", "004", "002"])
def test_docx_of_a_seed_reads_like_the_seed(prefix):
    lines = seed_lines(prefix)
    data = docx_from_lines(lines)
    assert converted_lines("x.docx", data) == lines
    name = f"{prefix}.txt"
    same_parse(read_document(name, seed_bytes(prefix)), read_document(f"{prefix}.docx", data))


def test_docx_paragraphs_and_tables_in_order_with_merged_cells():
    document = docx.Document()
    document.add_paragraph("项目支出绩效自评表")
    table = document.add_table(rows=3, cols=4)
    table.cell(0, 0).text = "项目名称"
    table.cell(0, 1).merge(table.cell(0, 3)).text = "公共卫生服务"
    table.cell(1, 0).text = "资金"
    table.cell(1, 0).merge(table.cell(2, 0))
    table.cell(1, 1).text = "年初预算数"
    cell = table.cell(2, 1)
    cell.text = "第一段"
    cell.add_paragraph("第二段")
    document.add_paragraph("评价结论：良好")
    buffer = io.BytesIO()
    document.save(buffer)
    assert converted_lines("t.docx", buffer.getvalue()) == [
        "项目支出绩效自评表",
        "项目名称\t公共卫生服务\t\t",
        "资金\t年初预算数\t\t",
        "\t第一段 第二段\t\t",
        "评价结论：良好",
    ]
    assert convert("t.docx", buffer.getvalue()).parts == 1


# --- csv, tsv, md -------------------------------------------------------------------------------


def test_csv_cells_become_tab_separated_in_the_files_encoding():
    text = '序号,项目名称,预算数,执行数\r\n1,"基层医疗,公共卫生","1,234.00",97%\r\n'
    data = text.encode("gb18030")
    converted = convert("a.csv", data)
    assert converted.data.decode("gb18030").split("\n") == [
        "序号\t项目名称\t预算数\t执行数",
        "1\t基层医疗,公共卫生\t1,234.00\t97%",
    ]


def test_csv_of_a_seed_reads_like_the_seed():
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        line.split("\t") for line in seed_lines("000")
    )
    data = buffer.getvalue().encode("gb18030")
    result = read_document("龙岗.csv", data)
    assert result["document"]["encoding"] == "gb18030"
    same_parse(read_document("000.txt", seed_bytes("000")), result)


@pytest.mark.parametrize("name", ["a.tsv", "a.md", "a.txt", "a.TXT", "a.unknown"])
def test_text_files_pass_through_unchanged(name):
    data = seed_bytes("004")
    assert convert(name, data).data == data


def test_tab_separated_csv_passes_through():
    data = "项目\t预算数\n甲\t1.00\n".encode()
    assert convert("a.csv", data).data == data


# --- bad files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("bomb.xlsx", zip_bomb(), "压缩炸弹"),
        ("bomb.docx", zip_bomb("word/document.xml"), "压缩炸弹"),
        ("noise.xlsx", random.Random(1).randbytes(5000), "不是有效的Excel 工作簿"),
        # OLE bytes under .xlsx are read as the .xls they are (loaders/legacy.py)
        ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "不是有效的Excel 97-2003"),
        ("text.docx", "项目支出绩效自评表".encode(), "不是有效的Word 文档"),
        ("other.xlsx", plain_zip({"readme.txt": b"hello"}), "没有 xl/workbook.xml"),
        ("x.docx", xlsx_from_lines(["表头"]), "没有 word/document.xml"),
        ("broken.xlsx", plain_zip({"xl/workbook.xml": b"<not xml"}), "不是有效的Excel 工作簿"),
    ],
)
def test_bad_office_files_raise_a_chinese_reader_error(name, data, fragment):
    with pytest.raises(ReaderError) as info:
        convert(name, data)
    assert fragment in str(info.value)
    # the build records it as UNREADABLE instead of stopping
    result = read_document(name, data)
    assert result["document"]["doc_kind"] == "unknown"
    (finding,) = result["findings"]
    assert finding["code"] == "UNREADABLE" and fragment in finding["message"]


def test_zip_bomb_total_size_limit(monkeypatch):
    monkeypatch.setattr(readers, "ZIP_MAX_UNPACKED_BYTES", 1024)
    data = xlsx_from_lines(seed_lines("000"))
    with pytest.raises(ReaderError, match="解压后过大"):
        convert("big.xlsx", data)


def test_build_reads_office_files_in_the_raw_folder(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "龙岗.xlsx").write_bytes(xlsx_from_lines(seed_lines("000")))
    (raw / "浏阳.docx").write_bytes(docx_from_lines(seed_lines("004")))
    (raw / "坏.xlsx").write_bytes(os.urandom(100))
    build(raw, tmp_path / "parquet")
    docs = pd.read_parquet(tmp_path / "parquet" / "documents.parquet").set_index("source_file")
    assert docs.loc["龙岗.xlsx", "doc_kind"] == "project_summary_table"
    assert docs.loc["龙岗.xlsx", "size_bytes"] == (raw / "龙岗.xlsx").stat().st_size
    assert docs.loc["龙岗.xlsx", "unit"] == "深圳市龙岗区卫生健康局"
    assert docs.loc["浏阳.docx", "doc_kind"] == "department_overall_eval"
    assert docs.loc["坏.xlsx", "doc_kind"] == "unknown"
    projects = pd.read_parquet(tmp_path / "parquet" / "projects.parquet")
    seed = read_document("000.txt", seed_bytes("000"))
    assert (projects["doc_id"] == docs.loc["龙岗.xlsx", "doc_id"]).sum() == len(seed["projects"])
    assert CJK.search(
        pd.read_parquet(tmp_path / "parquet" / "findings.parquet")
        .query("code == 'UNREADABLE'")["message"]
        .iloc[0]
    )
