"""附件二 of a 部门决算: one 项目支出绩效自评表 per project, read by the project-table reader
(loaders/kinds/project_eval_tables.py: split_blocks, read_block, funds_of, to_rows), matched to the
narrative's projects and merged with them into one row per project.

What a 部门决算 annex adds to the form, handled here around the shared reader:
- a merged 年度绩效指标 cell at the left of the indicator rows, split by page breaks into 年度绩效 /
  指标 / 考核项目指标 cells: a frame, not a cell of any row;
- the first 一级 label floating below rows that already carry their 二级 label (a merged cell
  printed at its middle): the rows above it take it;
- rows printed after a table's 总分 row, or after its weights already made 100, before the next
  项目名称: rows of no table (ORPHAN_ROWS), counted for no project;
- amounts in 元 (项目资金（元）) where the narrative prints 万元; a table that prints no unit is
  read in the unit that brings it closest to the narrative;
- ##### where a number overflowed its cell (OVERFLOW_CELL), in 年度资金总额 and its 其中 rows;
- a 项目名称 wrapped onto a line of its own below its row.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from ...detection import squeeze
from ...findings import Finding
from ...layout import Cell
from ...numbers import is_overflow, parse_amount, parse_rate, to_halfwidth, to_wan
from ...rows import FUNDS_COLUMNS, FUNDS_LABELS, clean_name, project_row
from ...vocab import indicator_role, key_of
from ..project_eval_tables import Block, funds_of, kind_of, read_block, split_blocks, to_rows
from .cells import UnitTrack, is_empty_mark, is_funds_cell
from .overall import KNOWN_LABELS, LEVEL1_OR_2_LABELS
from .prose import Summary

# The merged cell at the left of a 部门决算's indicator rows, and its pieces after a page break.
FRAME_KEYS = frozenset(
    key_of(w) for w in ("年度绩效指标", "年度绩效", "指标", "考核项目指标", "考核项目")
)
# Weight of all indicators plus the funds line in one table.
TOTAL_WEIGHT = 100.0
# Points a table's weights may miss 100 by before the table counts as full.
WEIGHT_FULL_TOLERANCE = 0.011
# Two project names (narrative and annex) are the same project from this similarity on.
NAME_MATCH_RATIO = 0.85
# A substring match counts as a match from this many characters on.
MIN_CONTAINED_CHARS = 4
# The 一级 label an old form's 满意度指标 is a 二级 of.
BENEFIT_LEVEL1 = "效益指标"
WAN_PER_UNIT = {"元": 1 / 10000.0, "万元": 1.0}


@dataclass
class AnnexTable:
    """One 自评表 as the shared reader read it, with what the merge needs."""

    block: Block
    name: str
    line: int  # the 项目名称 line
    end_line: int
    funds: dict[str, str]  # the 年度资金总额 row's printed cells by role
    funds_line: int | None
    unit: str | None
    unit_printed: bool  # 项目资金（元）: the table says its unit
    overflow: list[tuple[str, str, int]] = field(default_factory=list)  # row, role, line
    total_line: int | None = None

    @property
    def total_score(self) -> float | None:
        return self.block.score_total

    def amount(self, key: str) -> float | None:
        return to_wan(parse_amount(self.funds.get(key)), self.unit or "元")


@dataclass
class Orphans:
    """Indicator rows after a table ended: they belong to no project header."""

    after: str | None
    line: int
    rows: list[dict] = field(default_factory=list)
    total_line: int | None = None
    total_score: float | None = None
    end_line: int = 0


def read_annex(cells: list[Cell], units: UnitTrack) -> tuple[list[AnnexTable], list[Orphans]]:
    """The project tables in document order, and the indicator rows that belong to none."""
    tables: list[AnnexTable] = []
    orphans: list[Orphans] = []
    for is_project, toks in split_blocks(cells[_first_block(cells) :]):
        if not is_project:
            continue
        toks = [t for t in toks if t.key not in FRAME_KEYS]
        kinds = [kind_of(t) for t in toks]
        end, total = _table_end(toks, kinds)
        b = read_block(toks[:end], "")
        table = _table(b, toks[:end], kinds, units, total)
        tables.append(table)
        left = _full_at(b, table)
        if left:
            block = Orphans(table.name, left[0]["line"], left)
            if total is not None and total.line > left[-1]["line"]:
                # The table lost its 总分 row: the one after these rows is theirs.
                block.total_line, block.total_score = total.line, b.score_total
                b.weight_total = b.score_total = None
                table.total_line = None
            block.end_line = max(block.total_line or 0, left[-1]["line"])
            table.end_line = b.indicators[-1]["line"]
            orphans.append(block)
        after = _rows_after(toks, end, table)
        if after is not None:
            orphans.append(after)
        _settle_levels(b.indicators)
    return tables, orphans


def _first_block(cells: list[Cell]) -> int:
    """Where the first 自评表 starts: the department tables and the prose before it are read
    elsewhere (a title holds 绩效, a 项目名称 label starts with 项目)."""
    for i, c in enumerate(cells):
        k = c.key
        if ("绩效" in k or k.startswith("项目")) and kind_of(c) in ("title", "name"):
            return i
    return len(cells)


def _table_end(toks: list[Cell], kinds: list[str | None]) -> tuple[int, Cell | None]:
    """Index after the first 总分 row under the indicator header (its figures and dashes), and
    the 总分 cell. A 合计 in the funds part above the indicators ends nothing."""
    if "indicator_header" not in kinds:
        return len(toks), None
    for i in range(kinds.index("indicator_header") + 1, len(toks)):
        t = toks[i]
        if kinds[i] == "total":
            return _total_row_end(toks, i), t
    return len(toks), None


def _total_row_end(toks: list[Cell], i: int) -> int:
    """Index after the figures and dashes of the 总分 row at i (100, 96, —)."""
    j = i + 1
    while j < len(toks) and (toks[j].num is not None or is_empty_mark(toks[j].text)):
        j += 1
    return j


def _table(
    b: Block, toks: list[Cell], kinds: list[str | None], units: UnitTrack, total: Cell | None
) -> AnnexTable:
    name_at = kinds.index("name") if "name" in kinds else 0
    line = toks[name_at].line
    rest = _wrapped_name_rest(toks, name_at)
    if rest is not None and b.name:
        b.name = clean_name(b.name + rest)
    funds, _certain, _reading = funds_of(b)
    printed = bool(b.amount_unit)
    table = AnnexTable(
        block=b,
        name=b.name or "",
        line=line,
        end_line=toks[-1].end,
        funds=funds,
        funds_line=b.funds_label.line if b.funds_label else None,
        unit=b.amount_unit if printed else units.unit(line),
        unit_printed=printed,
        total_line=total.line if total is not None else None,
    )
    label = b.funds_label.key if b.funds_label else "年度资金总额"
    for role, text in funds.items():
        if is_overflow(text):
            table.overflow.append((label, role, table.funds_line or line))
    roles = [r for r, _ in b.funds_roles] or list(FUNDS_COLUMNS)
    for i, t in enumerate(toks):
        if kinds[i] != "subfunds":
            continue
        j = i + 1
        while j < len(toks) and j - i <= len(roles) and is_funds_cell(toks[j]):
            j += 1
        for role, cell in zip(roles, toks[i + 1 : j], strict=False):
            if is_overflow(cell.text):
                table.overflow.append((t.key, role, t.line))
    return table


def _wrapped_name_rest(toks: list[Cell], i: int) -> str | None:
    """The rest of a 项目名称 cell wrapped onto a line of its own below its row, right before the
    主管部门 / 实施单位 row ('项目名称 基本公 项目金额 …' + '共卫生服务')."""
    if i + 1 >= len(toks) or toks[i + 1].row != toks[i].row:
        return None  # the label stands alone on its row: one cell per line
    k = i + 1
    while k < len(toks) and toks[k].row == toks[i].row:
        k += 1
    if k + 1 >= len(toks):
        return None
    t, after = toks[k], toks[k + 1]
    alone = after.row != t.row
    if alone and t.num is None and kind_of(t) is None and t.key not in KNOWN_LABELS:
        if kind_of(after) in ("parent", "unit"):
            return t.text
    return None


def _full_at(b: Block, table: AnnexTable) -> list[dict]:
    """Rows after the table's weights (with the funds line's) already made 100: they are cut
    from the table and returned."""
    got = parse_amount(table.funds.get("weight")) or 0.0
    for k, f in enumerate(b.indicators):
        got += parse_amount(f.get("weight")) or 0.0
        if got >= TOTAL_WEIGHT - WEIGHT_FULL_TOLERANCE and k + 1 < len(b.indicators):
            left = b.indicators[k + 1 :]
            del b.indicators[k + 1 :]
            return left
    return []


def _rows_after(toks: list[Cell], end: int, table: AnnexTable) -> Orphans | None:
    """Indicator rows printed after the table's 总分 row, read under the table's own header."""
    rest = toks[end:]
    if not any(t.num is not None for t in rest):
        return None
    start = next((k for k, t in enumerate(toks[:end]) if kind_of(t) == "indicator_header"), None)
    if start is None:
        return None
    header: list[Cell] = []
    roles: set[str] = set()
    for t in toks[start:end]:
        role = indicator_role(t.key)
        if role is None or role in roles:
            break
        roles.add(role)
        header.append(t)
    if len(rest) > len(header) and len({t.row for t in rest}) == 1:
        # The rows flattened onto one line: read them as the header's table without row breaks.
        header = [t._replace(row=rest[0].row) for t in header]
    b = read_block(header + rest, "")
    if not b.indicators:
        return None
    _settle_levels(b.indicators)
    block = Orphans(table.name, b.indicators[0]["line"], b.indicators)
    block.end_line = b.indicators[-1]["line"]
    at = next((k for k, t in enumerate(rest) if kind_of(t) == "total"), None)
    if at is not None:
        block.total_line, block.total_score = rest[at].line, b.score_total
        block.end_line = max(block.end_line, rest[_total_row_end(rest, at) - 1].end)
    return block


def _settle_levels(rows: list[dict]) -> None:
    """一级/二级 as the merged cells meant them: rows above the first printed 一级 take it; a row
    with no 二级 under the same 一级 keeps the 二级 above it (a 一级 floating below rows of its
    first 二级); a 满意度指标 with no 二级 of its own right after rows of 效益指标 is, as in the
    forms before 2021, a 二级 of 效益指标."""
    first = next((f.get("level1") for f in rows if f.get("level1")), None)
    prev_raw: tuple | None = None
    prev: tuple | None = None
    for f in rows:
        raw = (f.get("level1"), f.get("level2"))
        if raw != prev_raw:
            level1, level2 = raw
            level1 = level1 or first
            if prev is not None and level2 is None:
                if level1 == prev[0]:
                    level2 = prev[1]
                elif key_of(level1 or "") in LEVEL1_OR_2_LABELS and prev[0] == BENEFIT_LEVEL1:
                    level1, level2 = prev[0], level1
            out = (level1, level2)
        f["level1"], f["level2"] = out
        if f.get("reason"):
            f["reason"] = clean_name(f["reason"])
        prev_raw, prev = raw, out


# --- matching and merging ------------------------------------------------------------------


def name_key(name: str | None) -> str:
    """A project name for matching: no white space, quotes or bracket and dash variants."""
    s = squeeze(to_halfwidth(name or ""))
    s = s.translate(str.maketrans("【】〔〕［］｛｝", "[][][]{}"))
    s = re.sub(r"[‐‑‒–—―－一]+(?=\S)", "-", s) if re.search(r"[‐‑‒–—―－]", s) else s
    return re.sub(r"[“”\"'‘’「」]", "", s).lower()


def half_unit(text: str | None) -> float:
    """Half of the last printed digit: the rounding a printed number may carry ('31.76' -> 0.005)."""
    if not text:
        return 0.0
    s = to_halfwidth(text).replace(" ", "").rstrip("%％")
    decimals = len(s.split(".", 1)[1]) if "." in s else 0
    return 0.5 * 10**-decimals


def match_tables(summaries: list[Summary], tables: list[AnnexTable]) -> dict[int, int]:
    """summary index -> table index: exact normalised names first, then the closest name.

    Fuzzy matching compares distinct names only, so a document repeating its projects many
    times costs no more than one that lists each once.
    """
    by_key: dict[str, list[int]] = {}
    for t, table in enumerate(tables):
        by_key.setdefault(name_key(table.name), []).append(t)
    pairs: dict[int, int] = {}
    left: dict[str, list[int]] = {}
    for s, summary in enumerate(summaries):
        queue = by_key.get(name_key(summary.name))
        if queue:
            pairs[s] = queue.pop(0)
        else:
            left.setdefault(name_key(summary.name), []).append(s)
    free = {k: v for k, v in by_key.items() if v}
    scored = []
    for sk in left:
        for tk in free:
            ratio = difflib.SequenceMatcher(None, sk, tk).ratio()
            if (sk in tk or tk in sk) and min(len(sk), len(tk)) >= MIN_CONTAINED_CHARS:
                ratio = max(ratio, NAME_MATCH_RATIO)
            if ratio >= NAME_MATCH_RATIO:
                scored.append((ratio, sk, tk))
    for _ratio, sk, tk in sorted(scored, key=lambda r: -r[0]):
        while left[sk] and free[tk]:
            pairs[left[sk].pop(0)] = free[tk].pop(0)
    return pairs


def merge(
    summaries: list[Summary],
    tables: list[AnnexTable],
    pairs: dict[int, int],
    findings: list[Finding],
) -> tuple[list[dict], list[dict]]:
    """One project row per project (narrative values, the annex's beside them as alt_*), and the
    annex tables' indicator rows under the project's name."""
    rows: list[dict] = []
    named: dict[int, str] = {}
    for s, item in enumerate(summaries):
        table = tables[pairs[s]] if s in pairs else None
        budget, actual = item.amount("budget"), item.amount("actual")
        computed = actual / budget * 100 if budget and actual is not None else None
        row = project_row(
            "project",
            item.name,
            item.line,
            end_line=item.end_line,
            initial_budget_wan=item.amount("initial"),
            budget_wan=budget,
            actual_wan=actual,
            reported_rate_pct=parse_rate(item.texts.get("rate"), computed),
            score=item.number("score"),
            grade=item.grade,
            problems=item.problems,
            rectification=item.rectification,
        )
        if table is not None:
            named[pairs[s]] = row["project"]
            _fill_from_table(row, table, item, findings)
        rows.append(row)
    for t, table in enumerate(tables):
        if t in named:
            continue
        row = project_row("project", table.name, table.line, end_line=table.end_line)
        _fill_from_table(row, table, None, findings)
        named[t] = row["project"]
        rows.append(row)
    by_table = {t: s for s, t in pairs.items()}
    indicators: list[dict] = []
    for t, table in enumerate(tables):
        item = summaries[by_table[t]] if t in by_table else None
        indicators += _table_rows(table, named[t], item, findings)
    return rows, indicators


def _table_rows(
    table: AnnexTable, name: str, item: Summary | None, findings: list[Finding]
) -> list[dict]:
    """The table's indicator rows and the shared reader's findings, under the project's name;
    ##### cells are reported here with what the narrative recovered."""
    table.block.name = name or None
    _project, indicators, found = to_rows(table.block)
    overflowed = any(role in ("budget", "actual") for _, role, _ in table.overflow)
    for f in found:
        if f.code == "OVERFLOW_CELL":
            continue  # reported below, with the narrative's value where it printed one
        if f.code == "PARTIAL_ROW" and overflowed and f.source_line == table.funds_line:
            continue  # the funds row's amounts are ##### : the OVERFLOW_CELL findings say so
        findings.append(f)
    findings += overflow_findings(table, name, item)
    return indicators


def _fill_from_table(
    row: dict, table: AnnexTable, item: Summary | None, findings: list[Finding]
) -> None:
    """Annex values beside the narrative's (alt_*), or in place of what the narrative lacks."""
    name = row["project"]
    if item is not None and not table.unit_printed:
        table.unit = _likely_unit(table, item)
    a_budget, a_actual = table.amount("budget"), table.amount("actual")
    computed = (
        a_actual / a_budget * 100
        if a_budget and a_actual is not None
        else row["execution_rate_pct"]
    )
    a_rate = parse_rate(table.funds.get("rate"), computed)
    a_score = table.total_score
    row["alt_budget_wan"], row["alt_actual_wan"] = a_budget, a_actual
    row["alt_rate_pct"], row["alt_score"], row["alt_source_line"] = a_rate, a_score, table.line
    row["funds_weight"] = parse_amount(table.funds.get("weight"))
    row["funds_score"] = parse_amount(table.funds.get("score"))
    for key, col in (
        ("budget", "budget_wan"),
        ("actual", "actual_wan"),
        ("initial", "initial_budget_wan"),
    ):
        if row[col] is None:
            row[col] = table.amount(key)
    if row["score"] is None:
        row["score"] = a_score
    row["execution_rate_pct"] = (
        row["actual_wan"] / row["budget_wan"] * 100
        if row["budget_wan"] and row["actual_wan"] is not None
        else None
    )
    if row["reported_rate_pct"] is None:
        row["reported_rate_pct"] = parse_rate(table.funds.get("rate"), row["execution_rate_pct"])
    if item is None:
        return
    scale = WAN_PER_UNIT.get(table.unit or "元", 1.0)
    line = table.line
    for key, what in (("budget", "预算数"), ("actual", "执行数")):
        tol = half_unit(item.texts.get(key)) + half_unit(table.funds.get(key)) * scale
        f = _conflict(name, what, item.amount(key), table.amount(key), tol, line, " 万元")
        if f:
            findings.append(f)
    rate_raw = parse_amount((table.funds.get("rate") or "").rstrip("%％"))
    rate_scale = (
        100.0 if a_rate is not None and rate_raw and abs(a_rate - rate_raw * 100) < 1e-9 else 1.0
    )
    tol = half_unit(item.texts.get("rate")) + half_unit(table.funds.get("rate")) * rate_scale
    f = _conflict(
        name, "执行率", parse_rate(item.texts.get("rate"), a_rate), a_rate, tol, line, "%"
    )
    if f:
        findings.append(f)
    if a_score is not None:
        tol = half_unit(item.texts.get("score")) + half_unit(f"{a_score:g}")
        f = _conflict(
            name, "自评得分", item.number("score"), a_score, tol, table.total_line or line, " 分"
        )
        if f:
            findings.append(f)


def _conflict(project, what, printed, alt, tol, line, unit="万元") -> Finding | None:
    if printed is None or alt is None or abs(printed - alt) <= tol + 1e-9:
        return None
    return Finding(
        "VALUE_CONFLICT",
        f"「{project}」正文印发的{what} {printed:,.2f}{unit} 与附件表中的 {alt:,.2f}{unit} 不一致，"
        f"两者均已保留，请核对原文。",
        project=project,
        source_line=line,
    )


def _likely_unit(table: AnnexTable, item: Summary) -> str | None:
    """For a table that prints no unit: 元 or 万元, whichever brings it closest to the narrative."""
    printed = item.amount("budget") or item.amount("actual")
    raw = parse_amount(table.funds.get("budget")) or parse_amount(table.funds.get("actual"))
    if not printed or not raw:
        return table.unit
    return min(("元", "万元"), key=lambda u: abs(to_wan(raw, u) - printed))


def overflow_findings(table: AnnexTable, project: str, item: Summary | None) -> list[Finding]:
    out = []
    for row_label, role, line in table.overflow:
        column = FUNDS_LABELS.get(role, role)
        recovered = None
        if (
            item is not None
            and row_label.startswith("年度资金总额")
            and role in ("budget", "actual", "initial")
        ):
            recovered = item.amount(role)
        if recovered is not None:
            tail = f"已采用正文自评综述中的 {recovered:,.2f} 万元，请核对原表。"
        else:
            tail = "其他位置未印发该数，已留空，请向填报单位索取原值。"
        out.append(
            Finding(
                "OVERFLOW_CELL",
                f"「{project}」附件表「{row_label}」行的「{column}」单元格印为 #####（列宽不足）；{tail}",
                project=project,
                source_line=line,
            )
        )
    return out


def missing_tables(
    summaries: list[Summary], tables: list[AnnexTable], pairs: dict[int, int]
) -> list[Finding]:
    if not summaries or not tables:
        return []
    out = []
    for s, item in enumerate(summaries):
        if s not in pairs:
            out.append(
                Finding(
                    "MISSING_TABLE",
                    f"正文自评综述中的项目「{item.name}」在附件中没有项目支出绩效自评表，"
                    f"其金额和得分仅来自正文，请向填报单位索取该表。",
                    project=item.name,
                    source_line=item.line,
                )
            )
    matched = set(pairs.values())
    for t, table in enumerate(tables):
        if t not in matched:
            out.append(
                Finding(
                    "MISSING_TABLE",
                    f"附件中的项目「{table.name}」在正文自评综述中没有对应段落，其数据仅来自附件表，请核对。",
                    project=table.name,
                    source_line=table.line,
                )
            )
    return out


def orphan_findings(
    orphans: list[Orphans], summaries: list[Summary], pairs: dict[int, int]
) -> list[Finding]:
    missing = [summaries[s].name for s in range(len(summaries)) if s not in pairs]
    out = []
    for block in orphans:
        if not block.rows:
            continue
        names = "、".join(clean_name(r["name"]) or "?" for r in block.rows)
        hint = ""
        if len(missing) == 1:
            hint = f"它们可能是缺失附件表的项目「{missing[0]}」的残留行；"
        out.append(
            Finding(
                "ORPHAN_ROWS",
                f"附件表「{block.after}」结束（总分行）之后有 {len(block.rows)} 行指标（{names}）"
                f"不属于任何项目表头，未计入任何项目；{hint}请核对原文。",
                source_line=block.line,
                end_line=block.end_line,
            )
        )
    return out
