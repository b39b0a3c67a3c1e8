"""Cached access to the four parquet tables, keyed on each file's modification time."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import streamlit as st

from loaders.schema import TABLES

from .queries import Filters, Selection, select

ROOT = Path(__file__).resolve().parent.parent
ENV_VAR = "DASHBOARD_PARQUET_DIR"
DEFAULT_DIR = ROOT / "data" / "parquet"
STAMP_NAME = "_build.json"
# Tables whose text columns are kept as Python strings: pages walk their rows (to_dict, zip),
# which costs ~7 µs a cell on Arrow-backed strings, and the columns copied onto every project and
# indicator row are then shared references (8 bytes a row) instead of copied text.
PLAIN_TEXT_TABLES = ("documents",)


def parquet_dir() -> Path:
    """The folder the dashboard reads; DASHBOARD_PARQUET_DIR overrides it (tests, previews)."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_DIR)


def _empty(name: str) -> pd.DataFrame:
    return TABLES[name].empty_table().to_pandas()


@st.cache_resource(show_spinner=False, max_entries=16)
def _read(path: str, mtime_ns: int, name: str) -> pd.DataFrame:
    """One table as read from disk. Shared between sessions: callers must not modify it."""
    frame = pq.read_table(path).to_pandas()
    for column in TABLES[name].names:
        if column not in frame.columns:
            frame[column] = _empty(name)[column]
    if name in PLAIN_TEXT_TABLES:
        text = frame.select_dtypes(include=["string", "str"]).columns
        frame = frame.astype(dict.fromkeys(text, object))
    return frame


def _table(name: str) -> pd.DataFrame:
    path = parquet_dir() / f"{name}.parquet"
    try:
        mtime_ns = path.stat().st_mtime_ns
    except OSError:
        return _empty(name)
    return _read(str(path), mtime_ns, name)


def documents() -> pd.DataFrame:
    return _table("documents")


def projects() -> pd.DataFrame:
    return _table("projects")


def indicators() -> pd.DataFrame:
    return _table("indicators")


def findings() -> pd.DataFrame:
    return _table("findings")


def totals() -> pd.DataFrame:
    """Printed totals the loaders checked against the sum of their rows (empty before a build)."""
    return _table("totals")


def stamp() -> tuple[int, ...]:
    """The modification times of the four tables (0 where missing): a cache key for derived data."""
    folder = parquet_dir()
    out = []
    for name in TABLES:
        try:
            out.append((folder / f"{name}.parquet").stat().st_mtime_ns)
        except OSError:
            out.append(0)
    return tuple(out)


@st.cache_resource(show_spinner=False, max_entries=64)
def _selection(folder: str, mtimes: tuple[int, ...], filters: Filters) -> Selection:
    return select(documents(), projects(), indicators(), findings(), filters)


def selection(filters: Filters) -> Selection:
    """The rows matching the filters, cached per filters and table versions (read-only frames)."""
    return _selection(str(parquet_dir()), stamp(), filters)


# Derived results kept per function: filter combinations × page settings a server sees at once.
MEMO_ENTRIES = 32


def _selection_key(selection: Selection) -> tuple:
    return (str(parquet_dir()), stamp(), selection.filters)


# Cached wrappers by the code they wrap: a page script defines its memo functions again on every
# run, and wrapping reads and hashes the function's source (~1.5 ms each, 4-6 ms a rerun).
_WRAPPERS: dict = {}


def memo(func):
    """Cache func(selection, *settings) per filters, table versions and settings.

    For a page's heavy part (aggregates, tables, figures over a million rows): a rerun with the
    same filters costs a lookup. Results are shared between sessions: callers must not modify them.
    The wrapper is made once per function code (a page's rerun runs the same compiled script), so
    a memo function must use only modules, constants and other memo functions of its page.
    """
    # code objects compare equal across files: the file is part of the key
    key = (func.__code__.co_filename, func.__code__)
    wrapper = _WRAPPERS.get(key)
    if wrapper is None:
        wrapper = st.cache_resource(
            show_spinner=False, max_entries=MEMO_ENTRIES, hash_funcs={Selection: _selection_key}
        )(func)
        _WRAPPERS[key] = wrapper
    return wrapper


def data_date() -> str:
    """When the tables were built (YYYY-MM-DD HH:MM), or '' when there is no build."""
    folder = parquet_dir()
    stamp = folder / STAMP_NAME
    try:
        built = float(json.loads(stamp.read_text())["built_at"])
    except (OSError, ValueError, KeyError, TypeError):
        try:
            built = (folder / "documents.parquet").stat().st_mtime
        except OSError:
            return ""
    return datetime.fromtimestamp(built).strftime("%Y-%m-%d %H:%M")
