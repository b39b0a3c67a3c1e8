"""The build: schemas, row provenance, money units, the --if-changed stamp and sources.toml."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import RAW, ROOT, seed_path

from loaders import build as build_module
from loaders.__main__ import main
from loaders.build import STAMP_NAME, _place_of, build, doc_id_for, raw_files
from loaders.metadata import find_parent, find_unit, find_year
from loaders.schema import LEVELS, STATUSES, TABLES

SEEDS = ("000", "001", "002", "003", "004")
# No budget line of a health commission or its units comes near 100 亿元 (10^6 万元): a larger
# value means an amount in 元 was not converted.
MAX_PLAUSIBLE_WAN = 1_000_000.0


def copy_seeds(raw: Path, manifest: str | None = None) -> Path:
    raw.mkdir(parents=True)
    for prefix in SEEDS:
        shutil.copy(seed_path(prefix), raw)
    if manifest is None:
        shutil.copy(RAW / "sources.toml", raw)
    else:
        (raw / "sources.toml").write_text(manifest, encoding="utf-8")
    return raw


def cli(raw: Path, out: Path, *flags: str) -> int:
    return main(["build", "--raw", str(raw), "--out", str(out), *flags])


def stamp(out: Path) -> dict:
    return json.loads((out / STAMP_NAME).read_text())


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def documents(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "documents.parquet").set_index("source_file")


# -- what the build writes ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("written") / "parquet"
    build(RAW, out)
    return out


@pytest.mark.parametrize("name", sorted(TABLES))
def test_tables_have_exactly_the_declared_schema(written, name):
    schema = pq.read_schema(written / f"{name}.parquet")
    assert schema.remove_metadata().equals(TABLES[name])


def test_only_the_four_tables_and_the_stamp_are_written(written):
    assert sorted(p.name for p in written.iterdir()) == sorted(
        [f"{name}.parquet" for name in TABLES] + [STAMP_NAME]
    )
    assert oct(written.stat().st_mode & 0o055) != "0o0"  # readable by the app's user too


def test_one_document_row_per_raw_file(built):
    docs = built["documents"]
    assert sorted(docs.source_file) == [p.name for p in raw_files(RAW)]
    assert docs.doc_id.is_unique
    for row in docs.itertuples():
        assert row.doc_id == doc_id_for(row.source_file, row.sha256)
        assert len(row.sha256) == 64
    assert set(docs.year_source) <= {"document", "manifest", "inferred"}
    assert docs.region.notna().all()


def test_every_row_carries_doc_id_and_source_line(built):
    lines = built["documents"].set_index("doc_id").n_lines
    known = set(built["documents"].doc_id)
    for table in ("projects", "indicators", "findings"):
        df = built[table]
        assert df.doc_id.notna().all() and set(df.doc_id) <= known, table
    for table in ("projects", "indicators"):
        df = built[table]
        assert df.source_line.notna().all(), table
        assert (df.source_line >= 1).all(), table
        assert (df.source_line <= df.doc_id.map(lines)).all(), table
    located = built["findings"].dropna(subset=["source_line"])
    assert (located.source_line >= 1).all()


def test_money_columns_are_floats_in_wan(built):
    projects = built["projects"]
    money = [c for c in projects.columns if c.endswith("_wan")]
    assert {"initial_budget_wan", "budget_wan", "actual_wan", "alt_budget_wan"} <= set(money)
    for column in money:
        values = projects[column].dropna()
        assert projects[column].dtype == "float64", column
        assert values.map(math.isfinite).all(), column
        assert (values.abs() < MAX_PLAUSIBLE_WAN).all(), column


def test_categorical_columns_use_the_contract_values(built):
    assert set(built["projects"].level.dropna()) <= set(LEVELS)
    assert set(built["indicators"].status.dropna()) <= set(STATUSES)
    assert set(built["findings"].severity) <= {"error", "warning", "info"}


def test_build_returns_counts_matching_the_tables(tmp_path, written):
    counts = build(RAW, tmp_path / "out")
    for name in TABLES:
        assert counts[name] == pq.read_metadata(written / f"{name}.parquet").num_rows
    assert counts["unreadable"] == 0


def test_non_documents_in_raw_are_ignored(tmp_path):
    raw = copy_seeds(tmp_path / "raw")
    (raw / ".DS_Store").write_bytes(b"\x00\x01")
    (raw / "~$draft.txt").write_text("lock file of an editor")
    (raw / "README.md").write_text("# notes")
    assert [p.name[:3] for p in raw_files(raw)] == list(SEEDS)


# -- the --if-changed stamp --------------------------------------------------------------------


def test_if_changed_skips_an_unchanged_raw_folder(tmp_path, caplog):
    raw, out = copy_seeds(tmp_path / "raw"), tmp_path / "out"
    assert cli(raw, out, "--if-changed") == 0
    first = stamp(out)
    with caplog.at_level(logging.INFO):
        assert cli(raw, out, "--if-changed") == 0
    assert "up to date" in caplog.text
    assert stamp(out) == first


def test_if_changed_rebuilds_after_a_file_changes(tmp_path):
    raw, out = copy_seeds(tmp_path / "raw"), tmp_path / "out"
    assert cli(raw, out, "--if-changed") == 0
    first = stamp(out)
    path = seed_path("004")
    target = raw / path.name
    target.write_bytes(
        path.read_bytes().replace("浏阳市卫生健康局".encode(), "宁乡市卫生健康局".encode())
    )
    assert cli(raw, out, "--if-changed") == 0
    assert stamp(out)["raw_digest"] != first["raw_digest"]
    assert documents(out).loc[path.name, "unit"] == "宁乡市卫生健康局"


@pytest.mark.parametrize("change", ["new file", "removed file", "touched", "manifest", "table"])
def test_if_changed_notices_every_kind_of_change(tmp_path, change):
    raw, out = copy_seeds(tmp_path / "raw"), tmp_path / "out"
    assert cli(raw, out) == 0
    built_at = stamp(out)["built_at"]
    if change == "new file":
        shutil.copy(seed_path("000"), raw / "copy.txt")
    elif change == "removed file":
        (raw / seed_path("002").name).unlink()
    elif change == "touched":
        target = raw / seed_path("001").name
        os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 10**9))
    elif change == "manifest":
        with open(raw / "sources.toml", "a", encoding="utf-8") as fh:
            fh.write('\n[[document]]\nfile = "000_x.txt"\nyear = 2020\n')
    else:
        (out / "indicators.parquet").unlink()
    assert cli(raw, out, "--if-changed") == 0
    assert stamp(out)["built_at"] > built_at


def test_if_changed_rebuilds_when_the_loader_code_changes(tmp_path, monkeypatch):
    raw, out = copy_seeds(tmp_path / "raw"), tmp_path / "out"
    assert cli(raw, out) == 0
    built_at = stamp(out)["built_at"]
    assert cli(raw, out, "--if-changed") == 0
    assert stamp(out)["built_at"] == built_at
    monkeypatch.setattr(build_module, "code_digest", lambda: "a parser was edited")
    assert cli(raw, out, "--if-changed") == 0
    assert stamp(out)["built_at"] > built_at


# -- sources.toml ------------------------------------------------------------------------------


def test_manifest_year_is_used_and_marked(built):
    docs = built["documents"].set_index("source_file")
    putuo = docs.loc[seed_path("003").name]
    assert (putuo.year, putuo.year_source) == (2023, "manifest")
    assert set(docs.drop(index=seed_path("003").name).year_source) == {"document"}


def test_without_manifest_a_missing_year_is_a_finding(tmp_path):
    raw, out = copy_seeds(tmp_path / "raw", manifest=""), tmp_path / "out"
    (raw / "sources.toml").unlink()
    assert cli(raw, out) == 0
    putuo = documents(out).loc[seed_path("003").name]
    assert pd.isna(putuo.year) and putuo.year_source == "inferred"
    findings = pd.read_parquet(out / "findings.parquet")
    missing = findings[(findings.code == "YEAR_MISSING") & (findings.doc_id == putuo.doc_id)]
    assert len(missing) == 1 and "sources.toml" in missing.message.iloc[0]


def test_manifest_overrides_what_the_document_says(tmp_path):
    manifest = f"""
[[document]]
file = "{seed_path("000").name}"
year = 2022
note = "a corrected year"

[[document]]
file = "{seed_path("003").name}"
year = 2023
unit = "舟山市普陀区卫生健康局"

[[document]]
file = "{seed_path("004").name}"
region = "长株潭"
"""
    raw, out = copy_seeds(tmp_path / "raw", manifest), tmp_path / "out"
    assert cli(raw, out) == 0
    docs = documents(out)
    longgang = docs.loc[seed_path("000").name]
    assert (longgang.year, longgang.year_source) == (2022, "manifest")
    putuo = docs.loc[seed_path("003").name]
    assert (putuo.unit, putuo.province, putuo.city, putuo.district, putuo.region) == (
        "舟山市普陀区卫生健康局",
        "浙江省",
        "舟山市",
        "普陀区",
        "浙江",
    )
    liuyang = docs.loc[seed_path("004").name]
    assert (liuyang.region, liuyang.province) == ("长株潭", "湖南省")


def test_manifest_place_overrides_stay_consistent(tmp_path):
    manifest = f"""
[[document]]
file = "{seed_path("000").name}"
city = "广州市"
"""
    raw, out = copy_seeds(tmp_path / "raw", manifest), tmp_path / "out"
    assert cli(raw, out) == 0
    row = documents(out).loc[seed_path("000").name]
    # 龙岗区 is in 深圳, not 广州: the district is dropped rather than left inconsistent.
    assert (row.province, row.city, row.region) == ("广东省", "广州市", "广东")
    assert pd.isna(row.district)


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2021年度龙岗区卫生健康局预算项目绩效自评表（局本级）", 2021),
        ("\n深圳市医学信息中心 2020 年度  \n部门决算", 2020),
        ("## 单位整体支出绩效目标申报表\n\n( 2024 年度)\n", 2024),
        ("附件7\n2021年部门整体支出绩效自评表\n", 2021),
        ("（２０２３年）\n项目支出绩效自评表", 2023),
        ("财政项目支出绩效自评评价\n" + "根据系统建设计划将于2024年完成，并投入使用。" * 3, None),
        ("项目名称\t便捷就医\n建设任务已2021年完成，并通过市级考核。完成7大场景的建设。", None),
    ],
)
def test_find_year_reads_titles_not_prose(text, year):
    assert find_year(text) == year


@pytest.mark.parametrize(
    ("text", "unit", "parent"),
    [
        ("部门名称（盖章）：深圳市龙岗区卫生健康局\n\n单位：万元", "深圳市龙岗区卫生健康局", None),
        ("\t部门（单位）名称\n\t浏阳市卫生健康局\n", "浏阳市卫生健康局", None),
        (
            "单位名称\t深圳市福田区卫生健康局(本级)\t主管部门\t深圳市福田\t区卫生健康局\n",
            "深圳市福田区卫生健康局(本级)",
            "深圳市福田区卫生健康局",
        ),
        (  # a whole table flattened onto one line, single spaces between cells
            "单位名称 深圳市福田区卫生健康局(本级) 主管部门 深圳市福田 区卫生健康局 任务名称 主要内容",
            "深圳市福田区卫生健康局(本级)",
            "深圳市福田区卫生健康局",
        ),
    ],
)
def test_unit_and_parent_from_labels_in_any_layout(text, unit, parent):
    assert find_unit(text) == unit
    assert find_parent(text) == parent


def test_place_comes_from_the_unit_before_title_and_parent():
    unit, parent = "舟山市普陀区卫生健康局", "上海市普陀区卫生健康委员会"
    assert _place_of(unit, None, parent) == {
        "province": "浙江省",
        "city": "舟山市",
        "district": "普陀区",
    }
    assert _place_of("普陀区卫生健康局", None, parent)["city"] == "上海市"
    assert _place_of("浙江省卫生健康委员会", None, "上海市卫生健康委员会")["city"] is None


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("[[document]\nfile = 'x'", "sources.toml is invalid"),
        ("[[document]]\nyear = 2023\n", "needs a file"),
        ('document = "x"\n', "[[document]] entries expected"),
        ('[[document]]\nfile = "003_b280439a9c8ca6b3.txt"\nyear = "2023年"\n', "whole number"),
        ('[[document]]\nfile = "003_b280439a9c8ca6b3.txt"\nyear = 23\n', "whole number"),
        ('[[document]]\nfile = "003_b280439a9c8ca6b3.txt"\nunit = 5\n', "text in quotes"),
    ],
)
def test_malformed_manifest_exits_1_and_keeps_the_previous_tables(
    tmp_path, caplog, text, complaint
):
    raw, out = copy_seeds(tmp_path / "raw"), tmp_path / "out"
    assert cli(raw, out) == 0
    before = snapshot(out)
    (raw / "sources.toml").write_text(text, encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        assert cli(raw, out) == 1
    assert "sources.toml is invalid" in caplog.text and complaint in caplog.text
    assert snapshot(out) == before
    # no temporary folder left: only the lock, the build cache and the two folders
    # .lock is the import lock the CLI build shares with intake (loaders/intake.py)
    assert sorted(p.name for p in out.parent.iterdir()) == [
        ".lock",
        ".out.cache",
        ".out.lock",
        "out",
        "raw",
    ]


def test_manifest_naming_a_missing_file_is_logged(tmp_path, caplog):
    manifest = '[[document]]\nfile = "gone.txt"\nyear = 2020\n'
    raw, out = copy_seeds(tmp_path / "raw", manifest), tmp_path / "out"
    with caplog.at_level(logging.WARNING):
        assert cli(raw, out) == 0
    assert "gone.txt" in caplog.text


@pytest.mark.parametrize(
    ("title", "unit"),
    [
        # the first unit-like ending sits inside the place name (站前区, 所前镇)
        ("鞍山市站前区卫生健康委员会\n2024年度项目支出绩效自评表", "鞍山市站前区卫生健康委员会"),
        ("杭州市萧山区所前镇卫生院2022年度预算绩效", "杭州市萧山区所前镇卫生院"),
        # a health ending later in the title is not part of the unit
        ("深圳市卫生监督所2023年整体支出绩效自评（市卫生健康局）", "深圳市卫生监督所"),
        ("深圳市医学信息中心\n整体支出绩效自评（深圳市卫生健康委员会）", "深圳市医学信息中心"),
    ],
)
def test_unit_from_a_title_runs_past_place_names_that_end_like_units(title, unit):
    assert find_unit(title) == unit


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        # 部门 / 单位 open titles too: after them comes a unit only if it ends like one
        ("鞍山市站前区卫生健康委员会2024年度部门决算报告", "鞍山市站前区卫生健康委员会"),
        ("2023年度部门整体支出绩效自评表\n单位：万元", None),
        ("部门：深圳市龙岗区卫生健康局\n", "深圳市龙岗区卫生健康局"),
        ("单位：深圳市医学信息中心（本级）", "深圳市医学信息中心（本级）"),
    ],
)
def test_bare_labels_take_only_a_unit_like_value(text, unit):
    assert find_unit(text) == unit


# -- the output folder: never the documents' -----------------------------------------------------


def tree(root: Path) -> dict[str, str]:
    """Every path under root (hidden ones and folders included) -> its bytes' sha256 or "dir"."""
    return {
        p.relative_to(root).as_posix(): "dir"
        if p.is_dir()
        else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
    }


def unsafe_outputs(base: Path) -> dict[str, Path]:
    """data/raw with the seeds, plus a trash file beside it; each out that must be refused."""
    raw = copy_seeds(base / "data" / "raw")
    (base / "data" / "trash").mkdir()
    (base / "data" / "trash" / "old.txt").write_text("a removed document", "utf-8")
    notes = base / "notes"
    notes.mkdir()
    (notes / "会议纪要.docx").write_bytes(b"not ours")
    (base / "link").symlink_to(raw)
    return {
        "the raw folder": raw,
        "the raw folder, spelt with ..": raw / ".." / "raw",
        "a symlink to the raw folder": base / "link",
        "the raw folder's parent": base / "data",
        "the root of everything": base,
        "inside the raw folder": raw / "parquet",
        "a folder of other files": notes,
        "an existing file": raw / seed_path("000").name,
    }


UNSAFE = [
    "the raw folder",
    "the raw folder, spelt with ..",
    "a symlink to the raw folder",
    "the raw folder's parent",
    "the root of everything",
    "inside the raw folder",
    "a folder of other files",
    "an existing file",
]


@pytest.mark.parametrize("where", UNSAFE)
def test_cli_build_refuses_an_output_folder_that_would_take_documents_with_it(
    tmp_path, caplog, where
):
    out = unsafe_outputs(tmp_path)[where]
    raw = tmp_path / "data" / "raw"
    before = tree(tmp_path)
    with caplog.at_level(logging.ERROR):
        assert cli(raw, out) == 1
    assert tree(tmp_path) == before  # nothing written, moved or removed, not even a lock file
    assert "输出文件夹" in caplog.text and "未做任何改动" in caplog.text


@pytest.mark.parametrize("where", UNSAFE)
def test_build_itself_refuses_them_too(tmp_path, where):
    out = unsafe_outputs(tmp_path)[where]
    raw = tmp_path / "data" / "raw"
    before = tree(tmp_path)
    with pytest.raises(build_module.UnsafeOutput, match="输出文件夹"):
        build(raw, out)
    assert tree(tmp_path) == before


def test_raw_folder_where_the_build_keeps_its_backup_is_refused(tmp_path):
    # swap_in deletes out's sibling .<out>.old: a raw folder of that name would go with it
    raw = copy_seeds(tmp_path / ".parquet.old")
    before = tree(tmp_path)
    assert cli(raw, tmp_path / "parquet") == 1
    assert tree(tmp_path) == before


def test_refusal_is_on_stderr_in_chinese(tmp_path):
    raw = copy_seeds(tmp_path / "data" / "raw")
    done = subprocess.run(
        [sys.executable, "-m", "loaders", "build", "--raw", str(raw), "--out", str(raw)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "输出文件夹" in done.stderr and "文档文件夹" in done.stderr
    assert sorted(p.name for p in raw.iterdir()) == sorted(
        [*(seed_path(s).name for s in SEEDS), "sources.toml"]
    )


@pytest.mark.parametrize("existing", ["missing", "empty", "a previous build"])
def test_an_output_folder_of_our_own_is_built(tmp_path, existing):
    raw, out = copy_seeds(tmp_path / "raw"), tmp_path / "out"
    if existing == "empty":
        out.mkdir()
    elif existing == "a previous build":
        assert cli(raw, out) == 0
    assert cli(raw, out) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(build_module.OWN_FILES)
