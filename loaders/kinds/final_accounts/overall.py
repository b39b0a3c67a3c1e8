"""附件一 of a 部门决算, the 部门整体 part: 部门整体支出绩效目标完成情况自评表 (tasks with 预算数 /
执行数 and their 金额合计; indicators with target and actual under floating 一级/二级 labels) and
部门整体支出绩效评分表 (rubric rows with 分值 and 分数, 综合评分, 评分等级).

Read from the layout stage's cells: a table row's cells share a row; one cell per line (no row
ends) goes through the same state machines, the labels setting context for the cells after them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...crosscheck import check_weights
from ...findings import Finding
from ...layout import Cell
from ...numbers import parse_amount, to_wan
from ...rows import cell_above, clean_name, indicator_row
from ...vocab import key_of
from .cells import PAREN_UNIT, Stream, UnitTrack

LEVEL1_LABELS = ("产出指标", "效益指标")
# 一级 in the national form since 2021 (满意度指标 > 服务对象满意度指标), 二级 under 效益指标 in older
# ones: across rows it pairs with a 二级 label that follows it directly, like a 一级 label.
LEVEL1_OR_2_LABELS = ("满意度指标",)
LEVEL2_LABELS = (
    "数量指标",
    "质量指标",
    "时效指标",
    "成本指标",
    "经济成本指标",
    "社会成本指标",
    "生态环境成本指标",
    "经济效益指标",
    "社会效益指标",
    "生态效益指标",
    "可持续影响指标",
    "满意度指标",
    "服务对象满意度指标",
)
# Label cells that name the block, not a level: "年度绩效 指标" is a merged cell split by a page.
BLOCK_LABELS = ("年度绩效指标", "年度绩效", "指标", "绩效指标", "考核项目指标", "考核项目")
INDICATOR_HEADER = (
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "实际完成值",
    "分值",
    "得分",
    "偏差原因分析及改进措施",
    "指标值",
    "实际完成指标值",
    "预期指标值",
    "全年指标值",
    "年初目标值",
    "全年完成值",
    "偏差原因分析",
)
KNOWN_LABELS = frozenset(
    (
        "项目名称",
        "项目金额",
        "主管部门",
        "实施单位",
        "年度资金总额",
        "总分",
        "一级指标",
        "合计",
        "金额合计",
        "本年收入合计",
        "本年支出合计",
        "行次",
        "任务名称",
        "三级指标",
        "年度指标值",
        "实际完成值",
        "综合评分",
        "评分等级",
        *LEVEL1_LABELS,
        *LEVEL2_LABELS,
    )
)
_OVERALL_START = tuple(key_of(w) for w in ("年度主要任务完成情况", "部门（单位）整体支出绩效目标"))
_TASK_HEADER = frozenset(key_of(w) for w in ("任务名称", "完成情况", "全额", "其中：财政拨款"))
_WEIGHT_SUFFIX = re.compile(r"[（(]\s*\d+(?:\.\d+)?\s*分?\s*[)）]$")
_LEVEL_CACHE: dict[str, str | None] = {}


@dataclass
class Levels:
    """一级/二级 labels in force; a label printed mid-block (merged cell) also covers rows above."""

    level1: str | None = None
    level2: str | None = None

    def apply(self, labels: list[str]) -> None:
        if len(labels) >= 2:
            self.set1(labels[-2])
            self.level2 = labels[-1]
        elif labels:
            label = labels[0]
            if label in LEVEL1_LABELS:
                self.set1(label)
            else:
                self.level2 = label

    def set1(self, label: str) -> None:
        # The first 一级 label of a table may float below rows that already carry a 二级 label.
        if label != self.level1:
            self.level2 = self.level2 if self.level1 is None else None
            self.level1 = label


def level_label(cell: Cell) -> str | None:
    """The 一级/二级 label a cell prints ('数量指标（6）' -> '数量指标'), or None."""
    try:
        return _LEVEL_CACHE[cell.key]
    except KeyError:
        key = _WEIGHT_SUFFIX.sub("", cell.key)
        label = None
        if key in LEVEL1_LABELS or key in LEVEL2_LABELS:
            label = key
        elif key.endswith("指标") and 3 <= len(key) <= 9 and key not in BLOCK_LABELS:
            label = key
        _LEVEL_CACHE[cell.key] = label
        return label


def label_pair(s: Stream, i: int) -> bool:
    """Whether the label at i is a 一级 label whose 二级 label follows it.

    Two labels on one row are 一级 and 二级; across rows (one cell per line) only a known 一级
    label (or 满意度指标) pairs up, so an empty block ('生态效益指标' with no rows) does not become
    a 一级 label.
    """
    cells = s.cells
    if i + 1 >= len(cells) or s.ends[i] or not level_label(cells[i + 1]):
        return False
    same_row = cells[i + 1].row == cells[i].row
    return same_row or level_label(cells[i]) in LEVEL1_LABELS + LEVEL1_OR_2_LABELS


@dataclass
class RawIndicator:
    name: str
    line: int
    level1: str | None
    level2: str | None
    target: str | None
    actual: str | None
    weight: str | None
    score: str | None
    one_line: bool = False  # the whole row printed on one line (a tab or space row)


def _alone(cells: list[Cell], i: int) -> bool:
    """Whether the cell at i is the only cell of its row."""
    row = cells[i].row
    return (i == 0 or cells[i - 1].row != row) and (i + 1 == len(cells) or cells[i + 1].row != row)


def wrapped_rest(s: Stream, i: int, last: RawIndicator | None, lines: list[str]) -> bool:
    """Whether the cell at i is the rest of a cell of the row above, wrapped onto a line of its
    own; if so it is added to that cell (the name, unless its position puts it under another).

    Only right below a row printed on one line: in a one-cell-per-line layout a lone cell is the
    next cell.
    """
    cell = s.cells[i]
    if last is None or not last.one_line or last.line != cell.line - 1 or s.value(i):
        return False
    key = cell.key
    if level_label(cell) or key in BLOCK_LABELS or key in INDICATOR_HEADER or key in KNOWN_LABELS:
        return False
    if not _alone(s.cells, i) or (" " in cell.text and "\t" not in lines[cell.line - 1]):
        return False  # a row of single-spaced cells that were not split, not a rest
    above = cell_above(lines[cell.line - 2], lines[cell.line - 1])
    field = "name"
    if above is not None:
        fields = {"name": last.name, "target": last.target, "actual": last.actual}
        field = next((f for f, v in fields.items() if v and key_of(v) == key_of(above)), "name")
    setattr(last, field, clean_name(f"{getattr(last, field)} {cell.text}"))
    return True


def backfill_levels(rows: list[RawIndicator]) -> None:
    """Rows above the first printed 一级 label of a table inherit it (the label floats mid-block)."""
    first = next((r.level1 for r in rows if r.level1), None)
    for r in rows:
        if r.level1 is None:
            r.level1 = first
        else:
            break


@dataclass
class Overall:
    tasks: list[dict] = field(default_factory=list)
    total: tuple[float | None, float | None, int] | None = None
    unit: str | None = None
    indicators: list[RawIndicator] = field(default_factory=list)
    rubric: list[RawIndicator] = field(default_factory=list)
    score: float | None = None
    grade: str | None = None
    score_line: int | None = None


def read_overall(lines: list[str], s: Stream, units: UnitTrack) -> Overall:
    """Tasks (budget / actual), indicators (target / actual) and the rubric of the 整体 tables."""
    out = Overall()
    cells = s.cells
    start = next((k for k, c in enumerate(cells) if c.key.startswith(_OVERALL_START)), None)
    if start is None:
        return out
    section = None
    buffer: list[Cell] = []
    levels = Levels()
    i, n = start, len(cells)
    while i < n:
        cell = cells[i]
        text, line, key = cell.text, cell.line, cell.key
        if key.startswith("项目名称") or key.startswith("项目支出绩效自评表"):
            break
        if key.startswith("年度主要任务完成情况"):
            section, buffer = "tasks", []
            m = PAREN_UNIT.search(text)
            out.unit = m.group(1) if m else out.unit
            i += 1
            continue
        if section == "tasks" and ("预算数" in key or "执行数" in key):
            m = PAREN_UNIT.search(text)
            out.unit = m.group(1) if m else out.unit
            i += 1
            continue
        if key == "金额合计" or (section == "tasks" and key == "合计"):
            j = s.value_run(i + 1)
            run = [c.num for c in cells[i + 1 : j]]
            b, a = _budget_actual(run)
            unit = out.unit or units.unit(line)
            out.total = (to_wan(b, unit), to_wan(a, unit), line)
            section, buffer = None, []
            i = j
            continue
        if key.startswith("年度总体目标"):
            section = None
            i += 1
            continue
        if key.startswith("年度绩效指标") or (key == "一级指标" and section != "rubric"):
            section, buffer = "indicators", []
            i += 1
            continue
        if "评分表" in key:
            section, buffer, levels = "rubric", [], Levels()
            i += 1
            continue
        if key.startswith(("综合评分", "总分")):
            inline = parse_amount(key[4:] if key.startswith("综合评分") else key[2:])
            j = s.value_run(i + 1)
            score = inline if inline is not None else (cells[i + 1].num if j > i + 1 else None)
            if score is not None:
                out.score, out.score_line = score, line
            i = max(j, i + 1)
            continue
        if key.startswith("评分等级"):
            inline = key[4:]
            if not inline and i + 1 < n:
                inline, i = cells[i + 1].key, i + 1
            out.grade = inline or out.grade
            i += 1
            continue
        if section == "tasks":
            i = _task_cell(s, i, buffer, out, units)
        elif section == "indicators":
            i = _overall_indicator_cell(lines, s, i, buffer, levels, out)
        elif section == "rubric":
            i = _rubric_row(s, i, levels, out)
        else:
            i += 1
    backfill_levels(out.indicators)
    return out


def _budget_actual(run: list[float | None]) -> tuple[float | None, float | None]:
    # 预算数 and 执行数 each split into 全额 / 其中:财政拨款: the 全额 columns are 1st and 3rd.
    if len(run) >= 4:
        return run[0], run[2]
    if len(run) >= 2:
        return run[0], run[1]
    return (run[0] if run else None), None


def _task_cell(s: Stream, i: int, buffer: list[Cell], out: Overall, units: UnitTrack) -> int:
    cells = s.cells
    cell = cells[i]
    if s.value(i):
        j = s.value_run(i)
        if j - i >= 2 and buffer:
            b, a = _budget_actual([c.num for c in cells[i:j]])
            # On a table row the name is the row's first cell; in a cell stream, the cell before
            # the description (cells further back finish the previous task's description).
            own = [c for c in buffer if c.row == cell.row]
            if own and s.ends[j - 1]:
                name_cell, description = own[0], " ".join(c.text for c in own[1:])
            else:
                name_cell = buffer[-2] if len(buffer) >= 2 else buffer[-1]
                description = buffer[-1].text if len(buffer) >= 2 else ""
            unit = out.unit or units.unit(cell.line)
            out.tasks.append(
                {
                    "name": clean_name(name_cell.text),
                    "line": name_cell.line,
                    "budget": to_wan(b, unit),
                    "actual": to_wan(a, unit),
                    "description": description or None,
                }
            )
            buffer.clear()
            return j
    if cell.key not in _TASK_HEADER:
        buffer.append(cell)
    return i + 1


def _overall_indicator_cell(
    lines: list[str], s: Stream, i: int, buffer: list[Cell], levels: Levels, out: Overall
) -> int:
    """Rows of three text cells (name, target, actual) under floating 一级/二级 labels."""
    cells = s.cells
    cell, eol = cells[i], s.ends[i]
    label = level_label(cell)
    last = out.indicators[-1] if out.indicators else None
    if not buffer and wrapped_rest(s, i, last, lines):
        return i + 1
    if label:
        if label_pair(s, i):
            levels.apply([label, level_label(cells[i + 1])])
            i += 1
        else:
            levels.apply([label])
        buffer.clear()
    elif cell.key not in INDICATOR_HEADER and cell.key not in BLOCK_LABELS:
        buffer.append(cell)
    if len(buffer) == 3 or (eol and buffer):
        if len(buffer) >= 2:
            name, target = buffer[0], buffer[1]
            actual = buffer[2] if len(buffer) > 2 else None
            out.indicators.append(
                RawIndicator(
                    name=name.text,
                    line=name.line,
                    level1=levels.level1,
                    level2=levels.level2,
                    target=target.text,
                    actual=actual.text if actual else None,
                    weight=None,
                    score=None,
                    one_line=eol and name.line == cell.line,
                )
            )
        buffer.clear()
    return i + 1


def _rubric_row(s: Stream, i: int, levels: Levels, out: Overall) -> int:
    """A rubric row: [一级 (20分)] [二级] 三级 分值 指标说明 评分标准 分数 — read row by row."""
    cells = s.cells
    row = cells[i].row
    j = i
    while j < len(cells) and cells[j].row == row:
        j += 1
    first_value = next((k for k in range(i, j) if s.value(k)), None)
    if first_value is None or first_value == i or not s.value(j - 1) or j - first_value < 2:
        return j
    names = [c.text for c in cells[i:first_value]]
    if len(names) >= 3:
        levels.set1(_WEIGHT_SUFFIX.sub("", key_of(names[-3])))
    if len(names) >= 2:
        levels.level2 = clean_name(names[-2])
    out.rubric.append(
        RawIndicator(
            name=names[-1],
            line=cells[i].line,
            level1=levels.level1,
            level2=levels.level2,
            target=None,
            actual=None,
            weight=cells[first_value].text,
            score=cells[j - 1].text,
        )
    )
    return j


def indicator_of(project: str | None, r: RawIndicator) -> dict:
    return indicator_row(
        project,
        r.name,
        r.line,
        level1=r.level1,
        level2=r.level2,
        target_text=r.target,
        actual_text=r.actual,
        weight=parse_amount(r.weight),
        score=parse_amount(r.score),
    )


def check_rubric(whole: Overall) -> list[Finding]:
    """The rubric's 分值 add up to 100 and its 分数 to the 综合评分."""
    return check_weights(
        None,
        [parse_amount(r.weight) for r in whole.rubric],
        [parse_amount(r.score) for r in whole.rubric],
        whole.rubric[0].line,
        total_score=whole.score,
    )
