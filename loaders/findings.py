"""Finding records: problems noticed in a document, with a stable code catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from .schema import FindingRow

SEVERITIES = ("error", "warning", "info")

# code -> (default severity, what it means). Documented in README.md; a test keeps them in sync.
CODES: dict[str, tuple[str, str]] = {
    "TOTAL_MISMATCH": ("warning", "a printed total differs from the sum of its rows"),
    "RATE_MISMATCH": (
        "warning",
        "a printed execution rate differs from actual / budget by more than 1 point",
    ),
    "RATE_OVER_100": ("warning", "execution above 100 %"),
    "RATE_MISSING": ("info", "no execution rate printed; the computed rate is shown"),
    "MISSING_TABLE": (
        "warning",
        "a project listed in one part of a document has no table in another",
    ),
    "ORPHAN_ROWS": ("warning", "table rows that belong to no project header"),
    "OVERFLOW_CELL": (
        "warning",
        "a cell printed as ##### (value recovered elsewhere or left null)",
    ),
    "WEIGHT_SUM_MISMATCH": ("warning", "indicator weights do not add up to 100"),
    "SCORE_SUM_MISMATCH": ("warning", "indicator scores do not add up to the table's total score"),
    "VALUE_CONFLICT": (
        "warning",
        "two parts of the document print different values for the same thing",
    ),
    "VALUE_INFERRED": (
        "warning",
        "a value was read by the form's arithmetic (glued or lost cells); check it",
    ),
    "PARTIAL_ROW": ("warning", "a row could not be read completely; some values are missing"),
    "NO_FIGURES": (
        "warning",
        "the document gave no rows: a cover or table of contents, or figures the text lost",
    ),
    "YEAR_MISSING": (
        "warning",
        "the document does not print its year and no manifest entry gives one",
    ),
    "UNIT_MISSING": ("warning", "the reporting unit could not be found in the document"),
    "PLACE_MISSING": ("warning", "no province or city found in the unit's name; region is 未知"),
    "LOW_CONFIDENCE": ("info", "the document kind was detected with low confidence"),
    "TRUNCATED": ("warning", "the file ends in the middle of a character or table"),
    "ENCODING": ("info", "the file is not UTF-8; it was decoded with another encoding"),
    "UNREADABLE": ("error", "the file could not be decoded or matched no known document kind"),
    "OCR_LOW_CONFIDENCE": (
        "warning",
        "text on a scan or photo read with low OCR confidence, or a figure its format or its"
        " row's arithmetic rejects after re-reading; check it against the page",
    ),
    "SCANNED_PAGE": (
        "warning",
        "a PDF page has no text layer (a scan) and no OCR could read it; the page is left out",
    ),
    "CORRECTED": (
        "info",
        "a reviewer corrected, added or deleted a value on the 校对 page; the value read is kept",
    ),
    "CORRECTION_ORPHANED": (
        "warning",
        "a reviewer's correction whose row is gone (the document changed); kept, not applied",
    ),
    "REVIEW_CONFIRMED": ("info", "a reviewer confirmed the document as checked"),
}
# code -> its short Chinese name, shown by the dashboard beside a row (数据提示) and on 数据质量.
# Every code of CODES has one (tests/test_contract.py).
CODE_LABELS: dict[str, str] = {
    "TOTAL_MISMATCH": "合计与明细不符",
    "RATE_MISMATCH": "印发执行率与计算不符",
    "RATE_OVER_100": "执行率超 100%",
    "RATE_MISSING": "未印发执行率",
    "MISSING_TABLE": "缺少附件表",
    "ORPHAN_ROWS": "有无归属的行",
    "OVERFLOW_CELL": "单元格印为 #####",
    "WEIGHT_SUM_MISMATCH": "分值合计不符",
    "SCORE_SUM_MISMATCH": "得分合计不符",
    "VALUE_CONFLICT": "两处数值不一致",
    "VALUE_INFERRED": "按算式推定的数值",
    "PARTIAL_ROW": "行未读全",
    "NO_FIGURES": "未读出数据",
    "YEAR_MISSING": "缺年度",
    "UNIT_MISSING": "缺单位",
    "PLACE_MISSING": "缺所在地",
    "LOW_CONFIDENCE": "文档类型存疑",
    "TRUNCATED": "文件不完整",
    "ENCODING": "非 UTF-8 编码",
    "UNREADABLE": "无法读取",
    "OCR_LOW_CONFIDENCE": "文字识别置信度低",
    "SCANNED_PAGE": "扫描页未识别",
    "CORRECTED": "已校对",
    "CORRECTION_ORPHANED": "校对记录未应用",
    "REVIEW_CONFIRMED": "文档已校对确认",
}


@dataclass(frozen=True)
class Finding:
    """One thing a loader noticed; collected and returned, never raised."""

    code: str
    message: str
    severity: str = ""
    project: str | None = None
    source_line: int | None = None
    doc_id: str = ""
    end_line: int | None = None  # the last line of what the finding is about, where known
    source_page: int | None = None  # the page of a PDF or image it is about, where no line is

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code!r}; add it to CODES")
        if not self.severity:
            object.__setattr__(self, "severity", CODES[self.code][0])
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    def as_row(self) -> FindingRow:
        return {
            "doc_id": self.doc_id,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "project": self.project,
            "source_line": self.source_line,
            "end_line": self.end_line,
            "source_page": self.source_page,
        }
