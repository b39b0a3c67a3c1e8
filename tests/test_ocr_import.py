"""导入文档 with a scan: OCR runs in the background with its progress shown, then imports."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pandas as pd
import pytest
from injection_support import shown
from office_files import copy_raw
from streamlit.testing.v1 import AppTest

from dashboard import auth, background
from loaders import intake, ocr
from loaders.build import build

ROOT = Path(__file__).resolve().parent.parent
SCAN = ROOT / "tests" / "fixtures" / "scans" / "eval_form_rotated.jpg"
TIMEOUT = 60
OCR_WAIT_S = 300


@pytest.fixture
def folders(tmp_path, monkeypatch) -> tuple[Path, Path]:
    raw = copy_raw(tmp_path / "data" / "raw", leave_out=("000", "002", "003", "004"))
    out = tmp_path / "data" / "parquet"
    build(raw, out)
    monkeypatch.setenv(intake.RAW_ENV, str(raw))
    monkeypatch.setenv(intake.PARQUET_ENV, str(out))
    monkeypatch.delenv(auth.ENV_VAR, raising=False)
    monkeypatch.delenv(auth.LEGACY_ENV_VAR, raising=False)
    return raw, out


def test_a_scan_is_read_in_the_background_then_imported(folders):
    raw, out = folders
    data = SCAN.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    ocr._READ.pop(sha, None)  # read afresh, as a new upload is
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets.update({auth.SECRET_KEY: ""})
    at.run()
    at.switch_page("views/import_documents.py").run()
    at.file_uploader(key="import_files").set_value(
        [(SCAN.name, data, "application/octet-stream")]
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    # the run returned before the page was read: the page shows the OCR's progress instead
    assert "识别在后台进行" in " ".join(c.value for c in at.caption)
    (job_key,) = [k for k in background._jobs if sha in k]
    deadline = time.monotonic() + OCR_WAIT_S
    while not background.get(job_key).finished:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    job = background.get(job_key)
    assert job.error is None and (job.done, job.total) == (1, 1)
    at.run()
    captions = " ".join(c.value for c in at.caption)
    assert "格式：JPEG 图片（扫描件或照片）" in captions and "类型：项目支出绩效自评表" in captions
    key = sha[:12]
    at.button(key=f"import_confirm_{key}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(f"已导入 {SCAN.name}" in shown(s.value) for s in at.success), [
        e.value for e in (*at.error, *at.warning, *at.info, *at.caption)
    ]
    docs = pd.read_parquet(out / "documents.parquet").set_index("source_file")
    assert docs.loc[SCAN.name].doc_kind == "project_eval_tables"
    assert (raw / SCAN.name).read_bytes() == data
