"""The department tables of a 部门决算: 收入支出决算总表 (本年收入合计 / 本年支出合计) and the 合计 row
of the 支出决算表 (本年支出合计 / 基本支出 / 项目支出), checked against the 情况说明's sentences, and
the department rows they give.

Summary tables print a 行次 (row number) between a label and its amount; where the layout lost the
columns (a sheet flattened onto one line) the number after a label may be its 行次 alone, which is
never an amount.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...crosscheck import AMOUNT_TOLERANCE_WAN, check_total, fmt
from ...findings import Finding
from ...numbers import parse_amount, to_wan
from ...rows import project_row
from .cells import Stream, UnitTrack
from .prose import Prose, fiscal, prose_totals

# Largest 行次 (row number) printed before an amount in the 决算 summary tables.
MAX_ROW_NUMBER = 200
# Cells looked at for a 行次 header, and after a 本年支出合计 header for its columns.
ROW_NUMBER_SCAN = 5000
HEADER_SPAN = 8
TOTAL_ROW_SPAN = 60
_ROW_NUMBER = re.compile(r"\d{1,3}")
_SPENDING_COLUMNS = (
    ("本年支出合计", "expenditure"),
    ("基本支出", "basic"),
    ("项目支出", "project"),
)
TOTAL_LABELS = {
    "income": "本年收入合计",
    "expenditure": "本年支出合计",
    "basic": "基本支出",
    "project": "项目支出",
}


@dataclass
class Totals:
    values: dict[str, float] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    fiscal: dict[str, float | None] = field(default_factory=dict)
    fiscal_line: int | None = None
    # Labels printed with no amount of their own beside them (only a 行次): label -> line.
    unplaced: dict[str, int] = field(default_factory=dict)


def _is_row_number(text: str) -> bool:
    return bool(_ROW_NUMBER.fullmatch(text.strip())) and int(text) <= MAX_ROW_NUMBER


def _labelled_amount(s: Stream, i: int, has_row_numbers: bool) -> tuple[float | None, bool]:
    """The amount right after the label at i, and whether only a 行次 stood there."""
    j = s.value_run(i + 1)
    run = [c.text for c in s.cells[i + 1 : j]]
    if has_row_numbers and run and _is_row_number(run[0]):
        run = run[1:]
        if not run:
            return None, True
    return (parse_amount(run[0]) if run else None), False


def read_totals(s: Stream, units: UnitTrack) -> Totals:
    """本年收入合计 / 本年支出合计 and the 支出决算表 合计 row (基本支出, 项目支出), in 万元."""
    out = Totals()
    cells = s.cells
    has_row_numbers = any("行次" in c.key for c in cells[:ROW_NUMBER_SCAN])
    for i, c in enumerate(cells):
        key = c.key
        if key == "本年收入合计" and "income" not in out.values:
            _put(out, "income", s, i, has_row_numbers, units)
        elif key == "本年支出合计":
            ahead = {t.key for t in cells[i + 1 : i + HEADER_SPAN]}
            if "基本支出" in ahead and "项目支出" in ahead:
                if "basic" not in out.values:
                    _read_expenditure_table(s, i, units, out)
            elif "expenditure" not in out.values:
                _put(out, "expenditure", s, i, has_row_numbers, units)
        if len(out.values) == len(TOTAL_LABELS):
            break
    return out


def _put(out: Totals, name: str, s: Stream, i: int, has_row_numbers: bool, units) -> None:
    line = s.cells[i].line
    value, row_number_only = _labelled_amount(s, i, has_row_numbers)
    if value is not None:
        out.values[name] = to_wan(value, units.unit(line))
        out.lines[name] = line
    elif row_number_only:
        out.unplaced.setdefault(name, line)


def _read_expenditure_table(s: Stream, i: int, units: UnitTrack, out: Totals) -> None:
    """The 合计 row under a 本年支出合计 / 基本支出 / 项目支出 header: by column where the layout kept
    columns, else the amounts in the header's order."""
    cells = s.cells
    head: dict[str, int | None] = {}
    k = i
    while k < len(cells) and len(head) < len(_SPENDING_COLUMNS) and k - i < HEADER_SPAN:
        if cells[k].key in ("本年支出合计", "基本支出", "项目支出"):
            head.setdefault(cells[k].key, cells[k].col)
        k += 1
    for j in range(k, min(len(cells), k + TOTAL_ROW_SPAN)):
        if cells[j].key != "合计":
            continue
        line = cells[j].line
        values: dict[str, str] = {}
        if all(col is not None for col in head.values()):
            row = {c.col: c.text for c in cells[j:] if c.row == cells[j].row}
            values = {key: row[col] for key, col in head.items() if col in row}
        if not any(parse_amount(v) is not None for v in values.values()):
            end = s.value_run(j + 1)
            values = dict(zip(head, (c.text for c in cells[j + 1 : end]), strict=False))
        for key, name in _SPENDING_COLUMNS:
            amount = parse_amount(values.get(key))
            if amount is not None:
                out.values[name] = to_wan(amount, units.unit(line))
                out.lines[name] = line
        return


def add_prose_totals(prose: Prose, out: Totals, findings: list[Finding]) -> None:
    """The same totals from the 情况说明 sentences: fill gaps, flag disagreements."""
    for name, (value, line) in prose_totals(prose).items():
        if name not in out.values:
            out.values[name] = value
            out.lines[name] = line
            out.unplaced.pop(name, None)
        elif value is not None and abs(value - out.values[name]) > AMOUNT_TOLERANCE_WAN:
            findings.append(
                Finding(
                    "VALUE_CONFLICT",
                    f"决算表中的{TOTAL_LABELS[name]} {fmt(out.values[name])} 万元 与说明中的 "
                    f"{fmt(value)} 万元 不一致，请核对。",
                    source_line=line,
                )
            )
    out.fiscal, out.fiscal_line = fiscal(prose)


def unplaced_findings(out: Totals) -> list[Finding]:
    """A label whose amount the flattened table put elsewhere: nothing read, and said so."""
    return [
        Finding(
            "PARTIAL_ROW",
            f"决算表的「{TOTAL_LABELS[name]}」旁只印有行次、没有对应的金额（表格的列在文本中已打乱），"
            "该数未读取，请对照原表核对。",
            source_line=line,
        )
        for name, line in out.unplaced.items()
        if name not in out.values
    ]


def department_rows(
    unit: str | None, totals: Totals, overall, findings: list[Finding], checked: list[dict]
) -> list[dict]:
    """The department row (本年支出, income, 财政拨款), the 基本支出 / 项目支出 rows, and the 整体
    tasks, with their printed totals checked."""
    rows = []
    v, lines = totals.values, totals.lines
    if not v and overall.score is None:
        return rows
    first = min(lines.values()) if lines else (overall.score_line or 1)
    rows.append(
        project_row(
            "department",
            unit or "部门整体",
            first,
            actual_wan=v.get("expenditure"),
            score=overall.score,
            grade=overall.grade,
            income_wan=v.get("income"),
            fiscal_budget_wan=totals.fiscal.get("budget"),
            fiscal_actual_wan=totals.fiscal.get("actual"),
        )
    )
    for key, name in (("basic", "基本支出"), ("project", "项目支出")):
        if key in v:
            rows.append(
                project_row("expenditure_type", name, lines.get(key, first), actual_wan=v[key])
            )
    if "expenditure" in v and "basic" in v and "project" in v:
        findings += check_total(
            "支出决算表",
            v["expenditure"],
            v["basic"] + v["project"],
            lines.get("expenditure"),
            "支出",
            totals=checked,
        )
    if overall.tasks:
        for task in overall.tasks:
            rows.append(
                project_row(
                    "task",
                    task["name"],
                    task["line"],
                    budget_wan=task["budget"],
                    actual_wan=task["actual"],
                )
            )
        if overall.total:
            budget, actual, line = overall.total
            for printed, key, what in ((budget, "budget", "预算"), (actual, "actual", "执行")):
                values = [t[key] for t in overall.tasks if t[key] is not None]
                findings += check_total(
                    "部门整体自评表",
                    printed,
                    sum(values),
                    line,
                    what,
                    missing=len(overall.tasks) - len(values),
                    totals=checked,
                )
    return rows
