"""Every number traceable: links from a row to its source lines, and the source viewer's parts.

All functions are pure. A link is a relative URL to the 原文 page (views/source_viewer.py) with
the query parameters doc, line and end, so that it opens from any page and can be shared.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote_plus, urlencode

import numpy as np
import pandas as pd

from .constants import KIND_LABELS, SEVERITY_LABELS

# The source viewer's url path: st.navigation names a page after its file (views/source_viewer.py).
SOURCE_PAGE = "source_viewer"
# Header of the link column every table carries, and the text shown in its cells.
LINK_HEADER = "原文"
LINK_TEXT = "查看原文"
# Documents up to this many lines are shown whole; longer ones in parts of this many lines.
VIEW_LINES = 3000
# Lines of context kept above a highlighted range when a long document is shown in parts.
CONTEXT_LINES = 20
# Rows read from the highlighted lines, listed under the text, at most.
ROWS_AT_MAX = 200
YEAR_SOURCE_LABELS = {
    "document": "文档印发",
    "manifest": "sources.toml 补录",
    "inferred": "未印发（未补录）",
}


def _line_number(value) -> int | None:
    """A positive whole line number, or None (NaN, text, zero, negative)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or number < 1 or number != int(number):
        return None
    return int(number)


def source_link(doc_id, line=None, end=None) -> str | None:
    """'source_viewer?doc=…&line=…&end=…' for st.column_config.LinkColumn; None without a doc.

    end is kept only after a valid line and when it is not before it.
    """
    if doc_id is None or (isinstance(doc_id, float) and math.isnan(doc_id)) or doc_id == "":
        return None
    params: dict[str, object] = {"doc": str(doc_id)}
    first = _line_number(line)
    if first is not None:
        params["line"] = first
        last = _line_number(end)
        if last is not None and last >= first:
            params["end"] = last
    return f"{SOURCE_PAGE}?{urlencode(params)}"


@dataclass(frozen=True)
class Target:
    """What a link asks the viewer to show: a document and, optionally, a range of lines."""

    doc: str | None = None
    line: int | None = None
    end: int | None = None

    @property
    def last(self) -> int | None:
        """The last highlighted line (the first one when no end was given)."""
        if self.line is None:
            return None
        return self.end if self.end is not None and self.end >= self.line else self.line


def _first(params: Mapping, key: str):
    value = params.get(key)
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    return value


def parse_target(params: Mapping) -> Target:
    """The doc / line / end query parameters, with invalid line numbers dropped."""
    doc = _first(params, "doc")
    doc = str(doc).strip() if doc is not None and str(doc).strip() else None
    line = _line_number(_first(params, "line"))
    end = _line_number(_first(params, "end")) if line is not None else None
    return Target(doc, line, end if end is not None and end >= line else None)


def clamp(target: Target, n_lines: int) -> Target:
    """The target with its lines inside 1..n_lines; lines beyond the end are dropped."""
    if target.line is None or target.line > n_lines:
        return Target(target.doc)
    return Target(target.doc, target.line, min(target.last, n_lines))


def parts(n_lines: int, size: int = VIEW_LINES) -> list[tuple[int, int]]:
    """The document in parts of `size` lines: [(1, 3000), (3001, 6000), …]; one part if short."""
    if n_lines <= 0:
        return [(1, 0)]
    return [(first, min(first + size - 1, n_lines)) for first in range(1, n_lines + 1, size)]


def part_of(target: Target, n_lines: int, size: int = VIEW_LINES) -> tuple[int, int]:
    """The lines to show for a target: the whole document when short, else a part around it."""
    if n_lines <= size:
        return 1, max(n_lines, 0)
    if target.line is None:
        return 1, size
    first = max(1, target.line - CONTEXT_LINES)
    last = min(n_lines, max(first + size - 1, target.last + CONTEXT_LINES))
    return first, last


@dataclass(frozen=True)
class PageTarget:
    """The page to show for a target in a paged document, and the boxes to highlight on it."""

    page: int
    boxes: tuple = ()


def page_target(geometry, target: Target) -> PageTarget:
    """Where a target's lines sit in a paged document (loaders.pages.Geometry): the page of its
    first line and the box around its lines on that page; page 1 and no box without lines."""
    first = geometry.pages[0].number if geometry.pages else 1
    if target.line is None:
        return PageTarget(first)
    where = geometry.locate(target.line, target.last)
    if where is None:
        # a blank line between two rows: the next line that has a place
        after = [n for n in geometry.lines if target.line <= n <= target.last]
        where = geometry.locate(min(after), target.last) if after else None
    if where is None:
        return PageTarget(first)
    page, box = where
    return PageTarget(page, (tuple(float(v) for v in box),))


def _line_html(number: int, text: str, marked: bool) -> str:
    cells = '<span class="tab"></span>'.join(html.escape(c) for c in text.split("\t"))
    css = "ln hl" if marked else "ln"
    return f'<div class="{css}" id="L{number}"><a class="no" href="#L{number}">{number}</a><span class="tx">{cells}</span></div>'


SOURCE_CSS = """
<style>
.srcview {position: relative; max-height: 640px; overflow: auto; border: 1px solid #d5dbe3; border-radius: 6px;
  background: #fbfcfd; font-family: "Noto Sans Mono CJK SC", "Noto Sans CJK SC", monospace;
  font-size: 13px; line-height: 1.55;}
.srcview .ln {display: flex; align-items: flex-start; border-left: 4px solid transparent;}
.srcview .ln.hl {background: #fff2a8; border-left-color: #f0a202;}
.srcview .no {flex: 0 0 4.5em; text-align: right; padding-right: 0.8em; color: #8a94a3;
  user-select: none; text-decoration: none;}
.srcview .ln.hl .no {color: #7a4d00; font-weight: 600;}
.srcview .tx {white-space: pre-wrap; word-break: break-all; padding-right: 0.6em; color: #1f2933;}
.srcview .tab {display: inline-block; width: 0.9em; height: 1.1em; margin: 0 0.45em;
  border-left: 1px solid #c5ccd6; vertical-align: text-bottom;}
</style>
"""


def lines_html(
    lines: list[str], first: int, last: int, target: Target | None = None, box_id: str = "srcview"
) -> str:
    """Lines first..last (1-based) as HTML: numbered rows with an anchor each (id L<n>); the
    target's lines highlighted, and a script that scrolls the first of them into view.

    Tabs (cell borders in the raw text) are drawn as thin rules; the text is escaped.
    """
    mark_from = target.line if target is not None and target.line is not None else None
    mark_to = target.last if mark_from is not None else None
    rows = [
        _line_html(n, lines[n - 1], mark_from is not None and mark_from <= n <= mark_to)
        for n in range(max(first, 1), min(last, len(lines)) + 1)
    ]
    body = f'<div class="srcview" id="{box_id}">' + "".join(rows) + "</div>"
    script = ""
    if mark_from is not None and first <= mark_from <= last:
        script = (
            "<script>(function(){var box=document.getElementById("
            f'"{box_id}"),row=document.getElementById("L{mark_from}");'
            "if(box&&row){box.scrollTop=row.offsetTop-box.clientHeight/3;}})();</script>"
        )
    return SOURCE_CSS + body + script


def _line_numbers(values, n: int) -> tuple[list[bool], list[int], np.ndarray]:
    """(valid, as int, as float) for positive whole line numbers; NaN, 0, 2.5 are not valid."""
    if values is None:
        values = [None] * n
    try:
        numbers = np.asarray(values, dtype=float)  # numeric columns (None is NaN)
    except (TypeError, ValueError):
        numbers = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").to_numpy(float)
    valid = (numbers >= 1) & (numbers == np.floor(numbers))
    return valid.tolist(), np.where(valid, numbers, 0).astype(np.int64).tolist(), numbers


def links(doc_ids, lines, ends=None) -> list[str | None]:
    """source_link for many rows at once (tables may hold a million indicators)."""
    docs = list(doc_ids)
    prefix = {
        d: f"{SOURCE_PAGE}?doc={quote_plus(d)}" for d in set(docs) if isinstance(d, str) and d
    }
    heads = [prefix.get(d) if isinstance(d, str) else None for d in docs]
    first_ok, first, first_f = _line_numbers(lines, len(docs))
    last_ok, last, last_f = _line_numbers(ends, len(docs))
    end_ok = (np.array(first_ok, bool) & np.array(last_ok, bool) & (last_f >= first_f)).tolist()
    return [
        None
        if head is None
        else f"{head}&line={a}&end={b}"
        if with_end
        else f"{head}&line={a}"
        if ok
        else head
        for head, ok, a, with_end, b in zip(heads, first_ok, first, end_ok, last, strict=True)
    ]


def with_links(
    table: pd.DataFrame, rows: pd.DataFrame, line: str = "source_line", end: str = "end_line"
) -> pd.DataFrame:
    """table with a 原文 column linking each row to rows' doc_id / line / end (same order)."""
    if table.empty or "doc_id" not in rows.columns:
        return table.assign(**{LINK_HEADER: pd.Series(dtype="object")})
    lines = rows[line].to_numpy() if line in rows.columns else None
    ends = rows[end].to_numpy() if end in rows.columns else None
    return table.assign(**{LINK_HEADER: links(rows["doc_id"].to_numpy(), lines, ends)})


def with_document_links(
    table: pd.DataFrame, rows: pd.DataFrame, documents: pd.DataFrame
) -> pd.DataFrame:
    """table (one row per unit and year, e.g. by_unit) linking each row to its document.

    rows carries unit and year; a unit with several documents in a year links to the first.
    """
    if table.empty:
        return table.assign(**{LINK_HEADER: pd.Series(dtype="object")})
    docs = documents.sort_values("source_file")
    first = {}
    for doc_id, unit, year in zip(docs["doc_id"], docs["unit"], docs["year"], strict=True):
        first.setdefault((unit, _year_key(year)), doc_id)
    links = [
        source_link(first.get((unit, _year_key(year))))
        for unit, year in zip(rows["unit"], rows["year"], strict=True)
    ]
    return table.assign(**{LINK_HEADER: links})


def _year_key(year) -> int | None:
    return None if year is None or pd.isna(year) else int(year)


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def document_label(row: Mapping) -> str:
    """'深圳市医学信息中心 · 2020 · 部门决算 · 001_….txt' for a documents row (gaps named)."""
    year = row.get("year")
    kind = _text(row.get("doc_kind"))
    parts_ = [
        _text(row.get("unit")) or "（未识别单位）",
        str(int(year)) if year is not None and not pd.isna(year) else "年度未知",
        KIND_LABELS.get(kind, kind),
        _text(row.get("source_file")),
    ]
    return " · ".join(p for p in parts_ if p)


# The columns of the 文档 page, in order (documents_table adds doc_id for links).
DOCUMENT_COLUMNS = [
    "unit",
    "region",
    "year",
    "year_source",
    "doc_kind",
    "n_projects",
    "n_indicators",
    "n_findings",
    "n_problems",
    "review",
    "n_lines",
    "source_file",
    "sha256",
]


def documents_table(
    documents: pd.DataFrame,
    projects: pd.DataFrame,
    indicators: pd.DataFrame,
    findings: pd.DataFrame,
) -> pd.DataFrame:
    """One row per document: where it is from, what kind, how many rows and findings it gave."""
    columns = [*DOCUMENT_COLUMNS, "doc_id"]
    if documents.empty:
        return pd.DataFrame(columns=columns)

    def count(frame: pd.DataFrame) -> pd.Series:
        return frame.groupby("doc_id").size() if len(frame) else pd.Series(dtype="int64")

    problems = findings[findings["severity"].isin(("error", "warning"))]
    out = documents.assign(
        n_projects=documents["doc_id"].map(count(projects)).fillna(0).astype(int),
        n_indicators=documents["doc_id"].map(count(indicators)).fillna(0).astype(int),
        n_findings=documents["doc_id"].map(count(findings)).fillna(0).astype(int),
        n_problems=documents["doc_id"].map(count(problems)).fillna(0).astype(int),
        year_source=documents["year_source"]
        .map(YEAR_SOURCE_LABELS)
        .fillna(documents["year_source"]),
        doc_kind=documents["doc_kind"].map(KIND_LABELS).fillna(documents["doc_kind"]),
        review=[review_state(d) for d in documents.to_dict("records")],
    )
    return (
        out.sort_values(["region", "unit", "year"]).reindex(columns=columns).reset_index(drop=True)
    )


def review_state(document: Mapping) -> str:
    """'已校对' for a document confirmed on the 校对 page, '已修改 2 处' for one corrected, else ''."""
    if document.get("review_status") == "confirmed":
        return "已校对"
    count = document.get("n_corrections")
    if isinstance(count, int | float) and not math.isnan(count) and count > 0:
        return f"已修改 {int(count)} 处"
    return ""


def rows_at(
    doc_id: str,
    target: Target,
    projects: pd.DataFrame,
    indicators: pd.DataFrame,
    findings: pd.DataFrame,
) -> pd.DataFrame:
    """What the loaders read from the target's lines: budget lines, indicators and findings."""
    columns = ["what", "name", "detail", "source_line"]
    if target.line is None:
        return pd.DataFrame(columns=columns)
    first, last = target.line, target.last

    def inside(frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:
            return frame
        mine = frame[frame["doc_id"] == doc_id]
        start = mine["source_line"]
        stop = mine["end_line"].fillna(start) if "end_line" in mine.columns else start
        return mine[(start <= last) & (stop >= first)]

    parts_ = []
    p = inside(projects)
    if len(p):
        parts_.append(
            pd.DataFrame(
                {
                    "what": "预算行",
                    "name": p["project"].to_numpy(),
                    "detail": [
                        _money_text(b, a, r, s)
                        for b, a, r, s in zip(
                            p["budget_wan"],
                            p["actual_wan"],
                            p["execution_rate_pct"].fillna(p["reported_rate_pct"]),
                            p["score"],
                            strict=True,
                        )
                    ],
                    "source_line": p["source_line"].to_numpy(),
                }
            )
        )
    i = inside(indicators)
    if len(i):
        parts_.append(
            pd.DataFrame(
                {
                    "what": "绩效指标",
                    "name": i["name"].to_numpy(),
                    "detail": [
                        f"目标 {t or '—'}，完成 {a or '—'}"
                        for t, a in zip(i["target_text"], i["actual_text"], strict=True)
                    ],
                    "source_line": i["source_line"].to_numpy(),
                }
            )
        )
    f = inside(findings.dropna(subset=["source_line"])) if len(findings) else findings
    if len(f):
        parts_.append(
            pd.DataFrame(
                {
                    "what": f["severity"].map(SEVERITY_LABELS).fillna("数据提示").to_numpy(),
                    "name": f["code"].to_numpy(),
                    "detail": f["message"].to_numpy(),
                    "source_line": f["source_line"].to_numpy(),
                }
            )
        )
    if not parts_:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts_, ignore_index=True)
    return out.sort_values("source_line", kind="stable").head(ROWS_AT_MAX).reset_index(drop=True)


def _money_text(budget, actual, rate, score) -> str:
    def wan(v) -> str:
        return "—" if v is None or pd.isna(v) else f"{float(v):,.2f}"

    text = f"预算 {wan(budget)} 万元，执行 {wan(actual)} 万元"
    if rate is not None and not pd.isna(rate):
        text += f"，执行率 {float(rate):.2f}%"
    if score is not None and not pd.isna(score):
        text += f"，自评 {float(score):g} 分"
    return text
