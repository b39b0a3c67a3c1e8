"""The docs stay true: README.md documents every finding code, doc_kind, module and manifest key."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from loaders.findings import CODES
from loaders.kinds import registry
from loaders.manifest import OVERRIDABLE

README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text of one '## title' section of the README."""
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert m, f"README.md has no '## {title}' section"
    return m.group(1)


def table_rows(text: str) -> dict[str, list[str]]:
    """First-column `name` -> the other cells, for the markdown table rows of a section."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\| `([^`]+)` \|(.*)\|$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in m.group(2).split("|")]
    return rows


def test_readme_opens_with_purpose_and_the_two_commands():
    head, _, _ = README.partition("\n## What the tool reads")
    assert head.startswith("# 绩效看板")
    commands = section("Two commands")
    assert re.search(r"^\./run\.sh\s+#", commands, re.M)
    assert re.search(r"^\./test\.sh\s+#", commands, re.M)
    assert "127.0.0.1:8501" in commands


def test_every_finding_code_is_documented_with_its_severity():
    rows = table_rows(section("Finding codes"))
    missing = sorted(set(CODES) - set(rows))
    assert not missing, f"add these codes to README.md's 'Finding codes' table: {missing}"
    stale = sorted(set(rows) - set(CODES))
    assert not stale, f"README.md documents codes that loaders/findings.py lacks: {stale}"
    for code, (severity, _) in CODES.items():
        assert rows[code][0] == severity, f"{code}: README says {rows[code][0]}, code {severity}"
        assert rows[code][1], f"{code}: no meaning in README.md"


def test_every_doc_kind_is_documented():
    rows = table_rows(section("Document kinds"))
    kinds = set(registry())
    missing = sorted(kinds - set(rows))
    assert not missing, f"add these kinds to README.md's 'Document kinds' table: {missing}"
    assert set(rows) - kinds == {"unknown"}


def test_how_to_add_a_kind_names_the_real_hooks():
    text = section("Adding a document kind")
    import loaders.kinds as kinds

    for name in ("MODULES", "MIN_KIND_SCORE", "CONFIDENT_KIND_SCORE"):
        assert name in text and hasattr(kinds, name), name
    assert str(kinds.MIN_KIND_SCORE) in text and str(kinds.CONFIDENT_KIND_SCORE) in text
    for name in ("KIND", "LABEL"):
        assert f"`{name}" in text, name
    for module in registry().values():
        assert callable(module.detect) and callable(module.parse)
        assert isinstance(module.LABEL, str) and module.LABEL


@pytest.mark.parametrize(
    "name", sorted(p.name for p in (ROOT / "loaders").glob("*.py") if p.name != "__init__.py")
)
def test_every_loader_module_is_in_the_layout(name):
    layout = section("Repository layout")
    assert re.search(rf"^\s+{re.escape(name)}\s", layout, re.M), (
        f"describe loaders/{name} in README.md's 'Repository layout'"
    )


def test_layout_names_folders_that_exist():
    layout = section("Repository layout")
    for folder in re.findall(r"^([a-z_.]+)/\s", layout, re.M):
        assert (ROOT / folder).is_dir(), f"README.md's layout names {folder}/, which is gone"


def test_every_manifest_key_is_documented():
    text = section("sources.toml")
    for key in ("file", "note", *OVERRIDABLE):
        assert re.search(rf"\b{key}\b", text), f"document sources.toml's {key} in README.md"
