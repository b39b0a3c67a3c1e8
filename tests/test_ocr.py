"""Scans and photos: OCR rebuilds the form's table, keeps confidences, and bad images are findings.

The fixed scans in tests/fixtures/scans are synthetic forms printed and degraded by
synth/scans.py (`python -m synth.scans --out tests/fixtures/scans --fixtures`), with their truth
in truth.json: a 项目支出绩效自评表 rotated 2.5° with grey noise and JPEG, and a 项目绩效自评表
scanned black and white as PNG.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, seed_path
from PIL import Image

from loaders import ocr
from loaders.pages import PageCell, tabulate

SCANS = ROOT / "tests" / "fixtures" / "scans"
TRUTH = json.loads((SCANS / "truth.json").read_text(encoding="utf-8"))
ROTATED = "eval_form_rotated.jpg"
BILEVEL = "summary_form.png"
# Pages of the bench whose detector boxes misread figures at high confidence (synth/scans.py
# BENCH_FIXTURES): a doubled and a lost decimal point, and amounts in 元 wrapped in their cells.
MISREAD = ("summary_form_misread.jpg", "eval_form_wrapped.jpg")
AMOUNT_KEYS = ("budget_wan", "actual_wan", "reported_rate_pct")
# Where summary_form.png prints project 1's 执行数 7,704,061.00 (pixels, x0, y0, x1, y1).
ACTUAL_CELL_PX = (613, 259, 727, 282)
SKEW_TOLERANCE_DEGREES = 0.15


def build_folder(raw: Path, out: Path) -> tuple[dict[str, pd.DataFrame], str]:
    """`python -m loaders build` on raw: the tables it wrote and its log."""
    done = subprocess.run(
        [sys.executable, "-m", "loaders", "build", "--raw", str(raw), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    tables = {
        name: pd.read_parquet(out / f"{name}.parquet")
        for name in ("documents", "projects", "findings")
    }
    return tables, done.stderr


def no_network(*args, **kwargs):
    raise OSError("network access during OCR")


@pytest.fixture(scope="module")
def rotated_read():
    """The rotated scan read once, with the network cut and the models loaded afresh: its rows
    and the skew logged."""
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    ocr.log.addHandler(handler)
    ocr.log.setLevel(logging.DEBUG)
    ocr.engine.cache_clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket, "socket", no_network)
        mp.setattr(socket, "create_connection", no_network)
        rows, pages, findings = ocr.read_image_file((SCANS / ROTATED).read_bytes(), ROTATED)
    ocr.log.removeHandler(handler)
    ocr.log.setLevel(logging.NOTSET)
    return rows, pages, findings, [r.getMessage() for r in records]


def test_models_come_inside_the_package():
    import rapidocr_onnxruntime

    package = Path(rapidocr_onnxruntime.__file__).parent
    assert ocr.model_dir().parent == package
    for name in ("ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx"):
        assert (ocr.model_dir() / name).stat().st_size > 1_000_000


def test_rotated_scan_is_deskewed_into_the_forms_rows(rotated_read):
    rows, pages, _findings, messages = rotated_read
    (skew,) = [m for m in messages if "skew" in m]
    angle = float(skew.rsplit("skew ", 1)[1].rstrip("°"))
    # PIL turned the page 2.5° counter-clockwise: its lines rise to the right (negative slope)
    assert abs(angle + TRUTH[ROTATED]["rotation_degrees"]) < SKEW_TOLERANCE_DEGREES
    texts = [[c.text for c in row] for row in rows]
    truth = TRUTH[ROTATED]["projects"][0]
    # every cell of the funds row in one row, in the form's order, empty first cell included
    funds = next(t for t in texts if "年度资金总额" in t)
    assert funds[:2] == ["", "年度资金总额"] and len(funds) == 8
    assert funds[3:5] == [f"{truth['budget_wan']:,.2f}", f"{truth['actual_wan']:,.2f}"]
    assert f"{truth['reported_rate_pct']:.2f}%" in funds
    # the wrapped name is one cell; the header row has every column
    assert ["项目名称", truth["project"]] in texts
    header = next(t for t in texts if "三级指标" in t)
    assert header[1:] == ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值"] + [
        "分值",
        "得分",
        "偏差原因分析",
    ]
    # boxes are in points on the page as scanned, confidences kept
    (page,) = pages
    assert page.ocr and round(page.width) == 595 and round(page.height) == 842
    for row in rows:
        for cell in row:
            x0, y0, x1, y1 = cell.box
            assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height
            assert (cell.confidence is None) == (cell.text == "")


def test_scans_build_to_their_truth(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in (ROTATED, BILEVEL):
        shutil.copy(SCANS / name, raw / name)
    tables, log = build_folder(raw, tmp_path / "out")
    assert f"OCR {ROTATED} 第 1/1 页" in log and f"OCR {BILEVEL} 第 1/1 页" in log
    documents = tables["documents"].set_index("source_file")
    projects = tables["projects"]
    for name in (ROTATED, BILEVEL):
        truth = TRUTH[name]
        doc = documents.loc[name]
        assert (doc.doc_kind, doc.unit, doc.year) == (truth["kind"], truth["unit"], truth["year"])
        rows = projects[(projects.doc_id == doc.doc_id) & (projects.level == "project")]
        assert list(rows.project) == [p["project"] for p in truth["projects"]]
        for want, (_, got) in zip(truth["projects"], rows.iterrows(), strict=True):
            assert got.budget_wan == pytest.approx(want["budget_wan"], abs=1e-6)
            assert got.actual_wan == pytest.approx(want["actual_wan"], abs=1e-6)
            assert got.reported_rate_pct == pytest.approx(want["reported_rate_pct"], abs=1e-6)
            assert got.source_line >= 1


def test_the_detectors_misread_figures_are_read_again_or_flagged(tmp_path):
    from loaders.ocr_figures import Figure, well_formed

    image = Image.open(SCANS / MISREAD[0]).convert("RGB")
    first = [text for _c, text, _s, _ch in ocr.recognise(np.asarray(image))]
    # the page still provokes the misreading: a figure read at high confidence, not well formed
    assert any(Figure(t, 1.0, None).is_figure and not well_formed(t) for t in first)
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in MISREAD:
        shutil.copy(SCANS / name, raw / name)
    tables, _log = build_folder(raw, tmp_path / "out")
    documents = tables["documents"].set_index("source_file")
    projects, findings = tables["projects"], tables["findings"]
    exact = total = 0
    for name in MISREAD:
        doc_id = documents.loc[name].doc_id
        flagged = set(
            findings[
                (findings.doc_id == doc_id)
                & findings.code.isin(["OCR_LOW_CONFIDENCE", "VALUE_INFERRED"])
            ].source_line
        )
        rows = projects[(projects.doc_id == doc_id) & (projects.level == "project")]
        assert list(rows.project) == [p["project"] for p in TRUTH[name]["projects"]]
        for want, (_, got) in zip(TRUTH[name]["projects"], rows.iterrows(), strict=True):
            for key in AMOUNT_KEYS:
                total += 1
                if got[key] == pytest.approx(want[key], abs=1e-6):
                    exact += 1
                else:  # never a wrong figure without a finding on its line
                    assert got.source_line in flagged, (name, key, got[key], want[key])
    assert exact == total  # re-read from the page, every one comes out right


def test_value_read_with_low_confidence_gives_a_finding(tmp_path):
    page = np.array(Image.open(SCANS / BILEVEL).convert("L"))
    x0, y0, x1, y1 = ACTUAL_CELL_PX
    assert (page[y0:y1, x0:x1] < 128).mean() > 0.1  # the value is printed there
    # a worn print: 70 % of the value's pixels lost
    worn = np.random.default_rng(0).random((y1 - y0, x1 - x0)) < 0.7
    page[y0:y1, x0:x1][worn] = 255
    raw = tmp_path / "raw"
    raw.mkdir()
    Image.fromarray(page).save(raw / "worn.png")
    tables, _log = build_folder(raw, tmp_path / "out")
    findings = tables["findings"]
    (low,) = findings[findings.code == "OCR_LOW_CONFIDENCE"].itertuples()
    assert low.severity == "warning"
    first = tables["projects"].query("project == '社区慢病筛查服务（一期）'").iloc[0]
    assert low.source_line == first.source_line
    assert f"第 1 页第 {first.source_line} 行" in low.message
    read = re.findall(r"“([0-9.,%]+)”（([^）]*)）", low.message)
    assert "6,495,936.00" in dict(read)  # the row's other figures, which no longer add up
    (worn,) = [text for text, why in read if "格式异常" in why or why < "0.80"]
    assert worn != "7,704,061.00"  # the figure as read, not as printed
    # the project's 执行数 is not the printed one, and its line carries the finding
    assert not abs(first.actual_wan - 770.4061) < 1e-6


def test_confidence_findings_name_page_line_and_text():
    rows = [
        [
            PageCell("项目名称", 1, (0, 0, 10, 10), 0.99),
            PageCell("某项目", 1, (10, 0, 20, 10), 0.97),
        ],
        [
            PageCell("预算数", 2, (0, 0, 10, 10), 0.95),
            PageCell("1,2O4.00", 2, (10, 0, 20, 10), 0.61),
        ],
        [PageCell("", 2, (0, 20, 10, 30)), PageCell("3.00", 2, (10, 20, 20, 30), 0.7999)],
    ]
    text, geometry = tabulate(rows)
    assert text.splitlines()[2] == "预算数\t1,2O4.00"  # after a blank line between pages
    findings = ocr.confidence_findings(rows, geometry)
    assert [f.source_line for f in findings] == [3, 4]
    assert all(f.code == "OCR_LOW_CONFIDENCE" for f in findings)
    assert "第 2 页第 3 行" in findings[0].message and "“1,2O4.00”（0.61）" in findings[0].message
    assert "“3.00”（0.79）" in findings[1].message  # rounded down: never shown as 0.80


def test_figures_in_doubt_or_chosen_by_arithmetic_give_findings():
    rows = [
        [
            PageCell("社区慢病筛查服务", 1, (0, 0, 10, 10), 0.99),
            PageCell("2,309..12", 1, (10, 0, 20, 10), 0.97, "格式异常"),
            PageCell("2,670.14", 1, (20, 0, 30, 10), 0.93, None, ("2,607.14",)),
            PageCell("103.93%", 1, (30, 0, 40, 10), 0.99),
        ]
    ]
    text, geometry = tabulate(rows)
    low, chosen = ocr.confidence_findings(rows, geometry)
    assert (low.code, low.source_line) == ("OCR_LOW_CONFIDENCE", 1)
    assert "“2,309..12”（置信度 0.97，格式异常）" in low.message
    assert "2,670.14" not in low.message and "103.93%" not in low.message
    assert (chosen.code, chosen.source_line) == ("VALUE_INFERRED", 1)
    assert "“2,670.14”（另识别为 “2,607.14”）" in chosen.message


def test_rows_without_rules_follow_the_header_columns():
    def word(text, x0, y0, x1, y1, conf=0.99):
        return ocr.Word(text, conf, ((x0, y0), (x1, y0), (x1, y1), (x0, y1)), x0, y0, x1, y1)

    words = [
        word("项目名称", 10, 0, 90, 20),
        word("预算数", 200, 0, 260, 20),
        word("执行数", 300, 0, 360, 20),
        word("执行率", 400, 0, 460, 20),
        # a wrapped name, and a figure split into two boxes, with no 执行数
        word("基层医疗卫生机构", 10, 30, 150, 50),
        word("能力提升", 10, 52, 90, 72),
        word("1,234", 195, 41, 235, 61),
        word(".50", 236, 41, 262, 61),
        word("98.00%", 400, 41, 460, 61),
    ]
    rows = ocr.table_rows(words, None)
    texts = [[ocr.cell_text(c.words) for c in row] for row in rows]
    assert texts == [
        ["项目名称", "预算数", "执行数", "执行率"],
        ["基层医疗卫生机构能力提升", "1,234.50", "", "98.00%"],
    ]


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("text.png", "项目名称\t预算数\n".encode(), "不是可以打开的图片"),
        ("cut.jpg", (SCANS / ROTATED).read_bytes()[:2000], "不是可以打开的图片"),
        ("blank.png", None, "没有识别出文字"),
    ],
)
def test_what_is_no_readable_picture_is_a_clear_finding(tmp_path, name, data, said):
    raw = tmp_path / "raw"
    raw.mkdir()
    if data is None:
        Image.new("L", (600, 800), 255).save(raw / name)
    else:
        (raw / name).write_bytes(data)
    seed = seed_path("001")
    shutil.copy(seed, raw / seed.name)
    tables, _log = build_folder(raw, tmp_path / "out")
    documents = tables["documents"].set_index("source_file")
    assert documents.loc[name].doc_kind == "unknown"
    assert documents.loc[seed.name].doc_kind != "unknown"  # nothing else lost
    findings = tables["findings"]
    (message,) = findings[findings.doc_id == documents.loc[name].doc_id].message
    assert said in message and message.endswith("。")
