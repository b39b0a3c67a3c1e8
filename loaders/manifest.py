"""data/raw/sources.toml: metadata a document does not print (year, unit, region …)."""

from __future__ import annotations

import tomllib
from pathlib import Path

MANIFEST_NAME = "sources.toml"
# Fields a manifest entry may set on a document row.
OVERRIDABLE = (
    "unit",
    "parent_unit",
    "province",
    "city",
    "district",
    "region",
    "year",
    "amount_unit",
)


class ManifestError(ValueError):
    """sources.toml is not valid TOML or not of the documented shape."""


def read_manifest(raw_dir: Path) -> dict[str, dict]:
    """file name -> entry. A missing manifest is an empty one."""
    path = Path(raw_dir) / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: {exc}") from exc
    entries = data.get("document", [])
    if not isinstance(entries, list):
        raise ManifestError(f"{path}: [[document]] entries expected")
    out = {}
    for entry in entries:
        if not isinstance(entry, dict) or "file" not in entry:
            raise ManifestError(f'{path}: every [[document]] needs a file = "…" line')
        out[str(entry["file"])] = entry
    return out
