"""The meeting packs of every page on a build: each page run in AppTest, its pack captured."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard import export_ui

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120
# pages that offer the meeting pack: script -> title
PACK_PAGES = {
    "views/overview.py": "总览",
    "views/budget_execution.py": "预算执行",
    "views/low_execution.py": "低执行率项目",
    "views/indicators.py": "绩效指标完成",
    "views/credibility.py": "自评可信度",
    "views/reasons.py": "偏差原因分析",
    "views/target_quality.py": "绩效目标质量",
    "views/peers.py": "同类比较",
    "views/years.py": "年度对比",  # no pack on the seeds: no unit has two years
}


def page_packs(parquet_dir: Path, monkeypatch, query: dict | None = None) -> dict:
    """{page title: Pack} of every page in PACK_PAGES, as its export buttons would build it."""
    made: dict = {}

    def capture(make_pack, stem, key):
        pack = make_pack()
        made[pack.title] = pack

    monkeypatch.setenv("DASHBOARD_PARQUET_DIR", str(parquet_dir))
    monkeypatch.setattr(export_ui, "pack_buttons", capture)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    for script in PACK_PAGES:
        if script != "views/overview.py":
            at.switch_page(script).run()
            assert not at.exception, (script, [e.value for e in at.exception])
    return made
