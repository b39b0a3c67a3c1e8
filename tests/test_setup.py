"""The set-up: packages pinned with hashes in requirements.lock; the font and LibreOffice checks."""

from __future__ import annotations

import re
import subprocess
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
SETUP = ROOT / "scripts" / "setup.sh"
_ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def pins(path: Path) -> dict[str, str]:
    """name -> version of every `name==version` line."""
    found = {}
    for line in path.read_text("utf-8").splitlines():
        match = _ENTRY.match(line)
        if match:
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def lock_entries() -> dict[str, str]:
    """name -> the entry's text (its pin, hashes and comments) in requirements.lock."""
    text = (ROOT / "requirements.lock").read_text("utf-8")
    parts = re.split(r"^(?=[A-Za-z0-9])", text, flags=re.M)
    return {canonicalize_name(_ENTRY.match(p).group(1)): p for p in parts if _ENTRY.match(p)}


def test_the_lock_pins_what_requirements_txt_pins():
    wanted, locked = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements.lock")
    assert wanted and {name: locked.get(name) for name in wanted} == wanted


def test_every_locked_package_has_hashes():
    entries = lock_entries()
    assert len(entries) >= 40  # the direct requirements and all they pull in
    for name, entry in entries.items():
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), name


def test_the_lock_holds_every_dependency_of_what_it_locks():
    """pip --require-hashes installs nothing that is not in the lock: a missing transitive
    dependency would stop the set-up on a new machine."""
    locked = pins(ROOT / "requirements.lock")
    missing = set()
    for name in locked:
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # not installed here (another platform's package)
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            if canonicalize_name(requirement.name) not in locked:
                missing.add(f"{requirement.name} (for {name})")
    assert not missing


def test_setup_installs_from_the_lock_with_hashes_and_again_when_it_changes():
    script = SETUP.read_text("utf-8")
    assert "--require-hashes" in script and "-r requirements.lock" in script
    assert "sha256sum requirements.lock" in script
    assert "-r requirements.txt" not in script


@pytest.mark.parametrize("installed", [True, False])
def test_the_font_check_survives_pipefail(installed):
    """`fc-list | grep -q` under pipefail: grep stops at the first match, fc-list dies of
    SIGPIPE, and installed fonts looked missing (setup then ran apt-get every time)."""
    lines = [
        line
        for line in SETUP.read_text("utf-8").splitlines()
        if re.search(r"fc-list|\$\{?fonts", line) and not line.lstrip().startswith("#")
    ]
    assert lines
    first = "Noto Sans CJK SC" if installed else "DejaVu Sans"
    script = "\n".join(
        [
            "set -euo pipefail",
            "fc-list() {",  # a machine with many fonts: more output than a pipe holds
            f'  echo "/usr/share/fonts/a.ttc: {first}:style=Regular"',
            '  for i in $(seq 20000); do echo "/usr/share/fonts/f$i.ttf: Font $i:style=Regular"; done',
            "}",
            "need=()",
            *lines,
            'echo "need=${need[*]:-}"',
        ]
    )
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    expected = "need=" if installed else "need=fonts-noto-cjk"
    assert done.stdout.strip() == expected


@pytest.mark.parametrize("installed", [True, False])
def test_libreoffice_is_installed_when_missing_without_recommends(tmp_path, installed):
    """.doc/.wps need LibreOffice (loaders/legacy.py): setup installs Writer and Calc, no more."""
    text = SETUP.read_text("utf-8")
    part = text[text.index("office=()") :]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if installed:
        (bin_dir / "soffice").write_text("#!/bin/sh\n")
        (bin_dir / "soffice").chmod(0o755)
    script = "\n".join(
        [
            "set -euo pipefail",
            f"PATH={bin_dir}",
            "id() { echo 0; }",  # as root, where setup may install
            f'apt-get() {{ echo "apt-get $*" >> {tmp_path / "apt.log"}; }}',
            "need=()",
            part,
        ]
    )
    done = subprocess.run(["/bin/bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    log = tmp_path / "apt.log"
    if installed:
        assert not log.exists()
    else:
        assert log.read_text().splitlines() == [
            "apt-get update -qq",
            "apt-get install -y -qq --no-install-recommends libreoffice-writer libreoffice-calc",
        ]
