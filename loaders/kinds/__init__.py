"""Registry of document kinds: each module has KIND, LABEL, detect(doc) -> float and parse(doc)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import import_module

from ..findings import Finding
from ..schema import IndicatorRow, ProjectRow, TotalRow

# Below this detection score a document is of no known kind.
MIN_KIND_SCORE = 0.3
# Below this score the kind is used, with a LOW_CONFIDENCE finding.
CONFIDENT_KIND_SCORE = 0.6

# doc_kind of a document that is no known form or could not be read, and its name.
UNKNOWN_KIND = "unknown"
UNKNOWN_LABEL = "未识别"

MODULES = (
    "project_summary_table",
    "project_eval_tables",
    "final_accounts",
    "target_declaration",
    "department_overall_eval",
    "self_eval_report",
)


@dataclass
class Parsed:
    """What a kind's parser returns: metadata, rows for three tables, its findings, and every
    printed total it compared with the sum of its rows (crosscheck.check_total appends them)."""

    meta: dict = field(default_factory=dict)
    projects: list[ProjectRow] = field(default_factory=list)
    indicators: list[IndicatorRow] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    totals: list[TotalRow] = field(default_factory=list)


def registry() -> dict:
    """KIND -> module, in a fixed order."""
    return {module.KIND: module for module in _modules()}


@cache
def _modules() -> tuple:
    # Imported once: every document asks for the registry twice (detect, then parse).
    return tuple(import_module(f"{__name__}.{name}") for name in MODULES)


def kind_labels() -> dict[str, str]:
    """doc_kind -> the name the dashboard shows: every registered kind's LABEL, then unknown."""
    labels = {kind: module.LABEL for kind, module in registry().items()}
    return {**labels, UNKNOWN_KIND: UNKNOWN_LABEL}


def detect(doc) -> list[tuple[str, float]]:
    """Every kind with its content score, best first."""
    scores = [(kind, float(module.detect(doc))) for kind, module in registry().items()]
    return sorted(scores, key=lambda ks: -ks[1])
