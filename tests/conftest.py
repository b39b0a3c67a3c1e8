"""Shared fixtures: the seed documents, and one build of data/raw per test session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from loaders.build import build, read_document
from loaders.document import Doc
from loaders.manifest import read_manifest

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"


def seed_path(prefix: str) -> Path:
    """A seed document by the start of its file name ('000', '001' …)."""
    (path,) = sorted(RAW.glob(f"{prefix}*.txt"))
    return path


@pytest.fixture(scope="session")
def seed_doc():
    def load(prefix: str) -> Doc:
        path = seed_path(prefix)
        return Doc.from_bytes(path.name, path.read_bytes())

    return load


@pytest.fixture(scope="session")
def seed_result():
    """read_document() on a seed, with its manifest entry: the rows of the four tables."""
    manifest = read_manifest(RAW)

    def load(prefix: str) -> dict:
        path = seed_path(prefix)
        return read_document(path.name, path.read_bytes(), manifest.get(path.name))

    return load


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The four tables from one build of data/raw."""
    out = tmp_path_factory.mktemp("parquet") / "parquet"
    build(RAW, out)
    return {t: pd.read_parquet(out / f"{t}.parquet") for t in ("documents", "projects", "indicators", "findings")}
