"""绩效目标质量: the checks a 财政 reviewer makes on each 申报表 and 自评表, as ranked points.

Each indicator table (a document's indicators of one project, or of the whole department) is
checked by these rules, most serious first:

1. full_marks_low_exec — every scored indicator at full marks (or a printed score of 100) while
   the project spent less than LOW_EXECUTION_PCT of its budget.
2. identical_actuals — every 实际完成值 of the table is its 年度指标值 word for word (at least
   IDENTICAL_MIN_ROWS rows): the actuals were copied, not measured.
3. overshoot — an actual OVERSHOOT_RATIO times its target or more, in the same unit: the
   target was set too low (≥ / > / = targets only).
4. vague_target — a target that cannot be measured: 有效提高, 明显提升, 良好, 持续加强, 逐年增长 …
   (no figure, an adverb of degree with a verb of change, or a bare adjective); in a 项目绩效自评表
   whose 年度指标内容 is the indicator name, that name when it is only an aim (提高…, 推进…).
5. no_benefit / no_satisfaction — a table of at least MIN_TABLE_ROWS indicators with no 效益
   or no 满意度 indicator.
6. weight_structure — the 一级指标 weights depart by more than WEIGHT_STRUCTURE_TOLERANCE points
   from the national structure (财预〔2020〕10号: 产出 50, 效益 30, 满意度 10 with 预算执行率 10),
   scaled to the table's own total. Department forms (投入管理, 履职效能 …) are not compared.

Each point names its table and links to its lines (source_line to end_line).
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd
import plotly.graph_objects as go

from loaders.targets import parse_target

from .charts import _figure, _rows_height, empty_figure
from .constants import (
    AMBER,
    BLUE,
    FULL_SCORE,
    GREY,
    LOW_EXECUTION_PCT,
    RED,
    SCORE_TOLERANCE,
    WEIGHT_TOLERANCE,
)

OVERSHOOT_RATIO = 2.0
IDENTICAL_MIN_ROWS = 3
MIN_TABLE_ROWS = 3
WEIGHT_STRUCTURE_TOLERANCE = 5.0
# 财预〔2020〕10号: 产出 50, 效益 30, 满意度 10 (and 预算执行率 10, outside the indicators).
STANDARD_WEIGHTS = {"产出": 50.0, "效益": 30.0, "满意度": 10.0}
# Indicator names and targets shown in a point's text, at most.
EXAMPLES_MAX = 3
# Characters of an indicator name or target shown in a point, at most.
EXAMPLE_CHARS = 30

RULES = {
    "full_marks_low_exec": "满分自评但执行率低",
    "identical_actuals": "完成值与目标值逐字相同",
    "overshoot": "目标明显偏低（大幅超额完成）",
    "vague_target": "目标不可衡量",
    "no_benefit": "缺少效益指标",
    "no_satisfaction": "缺少满意度指标",
    "weight_structure": "权重结构偏离常规",
}
SEVERITY = {rule: i for i, rule in enumerate(RULES, 1)}
DEPARTMENT_TABLE = "（部门整体）"

# An adverb of degree with a verb of change: 有效提高, 显著提升, 逐年增长, 持续加强 …
_VAGUE_CHANGE = re.compile(
    r"(?:有效|显著|明显|逐步|逐年|持续|不断|稳步|进一步|切实|大幅|大大|全面|较大|较大幅度|得到|有所|充分)"
    r"(?:提高|提升|增加|增强|加强|改善|增长|完善|保障|发挥|完成|优化|降低|下降|减少|推进|促进|落实|扩大)"
)
# A bare judgement with nothing to count: 良好, 规范, 长期, 均衡发展 …
_VAGUE_WORD = re.compile(
    r"^(?:良好|较好|很好|好|优|优良|较高|高|规范|稳定|长期|持续|保障|有效|显著|明显|提高|提升|"
    r"良性发展|均衡发展|稳步发展|健康发展|逐步完善|不断完善|效果明显|成效显著|满意|基本满意)$"
)
# An aim rather than a target (the 年度指标内容 of a summary table): 提高…, 推进…, 节约…
_AIM = re.compile(
    r"^(?:提高|提升|促进|推进|推动|加强|改善|保障|确保|增强|优化|完善|节约|维护|营造)"
)
_DIGIT = re.compile(r"[0-9０-９]")
_SPACES = re.compile(r"\s+")


def vague_target(text, aim: bool = False) -> str | None:
    """The phrase that makes a target unmeasurable, or None when it can be measured.

    A text with a figure (≥90%, 2小时内, 12月底前100%到位) is measurable; without one it is vague
    when it holds an adverb of degree with a verb of change (有效提高, 逐年增长) or is a bare
    judgement (良好, 规范, 长期). aim: the text is an indicator's content (summary tables), vague
    also when it only states an aim (提高…, 推进…) without a figure.
    """
    if not isinstance(text, str):
        return None
    compact = _SPACES.sub("", text).strip("。.；;，, ")
    if not compact or _DIGIT.search(compact):
        return None
    if match := _VAGUE_CHANGE.search(compact):
        return match.group()
    if _VAGUE_WORD.match(compact):
        return compact
    if aim and (match := _AIM.match(compact)):
        return match.group()
    return None


def same_words(target, actual) -> bool:
    """Target and actual are the same text once white space is dropped (both non-empty)."""
    if not (isinstance(target, str) and isinstance(actual, str)):
        return False
    t, a = _SPACES.sub("", target), _SPACES.sub("", actual)
    return bool(t) and t == a


def weight_class(level1, level2, name) -> str:
    """产出 / 效益 / 满意度 / 其他 for an indicator's weight (成本 counts as 产出)."""
    texts = [t for t in (level1, level2, name) if isinstance(t, str)]
    if any("满意" in t for t in texts):
        return "满意度"
    first = level1 if isinstance(level1, str) else (level2 if isinstance(level2, str) else "")
    if "产出" in first or "成本" in first:
        return "产出"
    if "效益" in first:
        return "效益"
    return "其他"


def overshoot_ratio(op, target, actual, target_unit, actual_text) -> float | None:
    """actual ÷ target for a ≥ / > / = target met in the same unit, else None."""
    if op not in (">=", ">", "=") or target is None or actual is None:
        return None
    if pd.isna(target) or pd.isna(actual) or float(target) <= 0:
        return None
    if isinstance(actual_text, str):
        unit = parse_target(actual_text)[2]
        if unit and isinstance(target_unit, str) and target_unit and unit != target_unit:
            return None
    return float(actual) / float(target)


# --- per table ------------------------------------------------------------------------------

POINT_COLUMNS = [
    "doc_id", "unit", "region", "year", "doc_kind", "source_file", "table", "rule",
    "rule_label", "severity", "rank", "detail", "n", "magnitude", "source_line", "end_line",
]  # fmt: skip


def _table_keys(indicators: pd.DataFrame) -> pd.Series:
    return (
        indicators["project"]
        .astype("object")
        .where(indicators["project"].notna(), DEPARTMENT_TABLE)
    )


def _examples(names: list[str]) -> str:
    shown = "、".join(f"「{n}」" for n in names[:EXAMPLES_MAX])
    return shown + (f" 等 {len(names)} 项" if len(names) > EXAMPLES_MAX else "")


def _point(first: dict, rule: str, detail: str, n: int, magnitude: float, lines) -> dict:
    lines = [int(x) for x in lines if pd.notna(x)]
    return {
        **first,
        "rule": rule,
        "rule_label": RULES[rule],
        "severity": SEVERITY[rule],
        "detail": detail,
        "n": int(n),
        "magnitude": float(magnitude),
        "source_line": min(lines) if lines else None,
        "end_line": max(lines) if lines else None,
    }


DOC_FIELDS = ("doc_id", "unit", "region", "year", "doc_kind", "source_file")


def _short(text, limit: int = EXAMPLE_CHARS) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _vague_points(first: dict, rows: pd.DataFrame, n: int) -> list[dict]:
    vague_rows = rows[rows["_vague"].notna()]
    if vague_rows.empty:
        return []
    named = [
        _short(nm) if by_name else f"{_short(nm)}（目标「{_short(t)}」）"
        for nm, t, by_name in zip(
            vague_rows["name"], vague_rows["_phrase"], vague_rows["_by_name"], strict=True
        )
    ]
    return [
        _point(first, "vague_target",
               f"{len(vague_rows)}/{n} 项指标没有可衡量的目标：{_examples(named)}",
               len(vague_rows), len(vague_rows) / n, vague_rows["source_line"].tolist())
    ]  # fmt: skip


def _overshoot_points(first: dict, rows: pd.DataFrame) -> list[dict]:
    ratios = [
        overshoot_ratio(o, t, a, u, x)
        for o, t, a, u, x in zip(
            rows["target_op"], rows["target_value"], rows["actual_value"],
            rows["target_unit"], rows["actual_text"], strict=True,
        )
    ]  # fmt: skip
    over = sorted(
        ((r, i) for i, r in enumerate(ratios) if r is not None and r >= OVERSHOOT_RATIO),
        reverse=True,
    )
    if not over:
        return []
    named = [
        f"{_short(rows['name'].iloc[i])}（目标 {rows['target_text'].iloc[i]}，"
        f"完成 {rows['actual_text'].iloc[i]}，{r:.1f} 倍）"
        for r, i in over
    ]
    lines = rows["source_line"].tolist()
    return [
        _point(first, "overshoot",
               f"{len(over)} 项指标完成值达到目标的 {OVERSHOOT_RATIO:g} 倍以上：{_examples(named)}",
               len(over), over[0][0], [lines[i] for _, i in over])
    ]  # fmt: skip


def _identical_points(first: dict, rows: pd.DataFrame, n: int) -> list[dict]:
    both = rows[rows["target_text"].notna() & rows["actual_text"].notna()]
    if len(both) < IDENTICAL_MIN_ROWS or len(both) != n:
        return []
    pairs = zip(both["target_text"], both["actual_text"], strict=True)
    if not all(same_words(t, a) for t, a in pairs):
        return []
    return [
        _point(first, "identical_actuals",
               f"全部 {n} 项指标的完成值与目标值逐字相同（如「{_short(both['target_text'].iloc[0])}」）",
               n, n, rows["source_line"].tolist())
    ]  # fmt: skip


def _coverage_points(first: dict, rows: pd.DataFrame, n: int) -> list[dict]:
    if n < MIN_TABLE_ROWS or not rows["level1"].map(lambda t: isinstance(t, str)).any():
        return []  # too small a table, or no 一级指标 read: nothing to judge
    levels = [t for t in pd.concat([rows["level1"], rows["level2"]]).tolist() if isinstance(t, str)]
    names = [t for t in rows["name"].tolist() if isinstance(t, str)]
    lines = rows["source_line"].tolist()
    out = []
    if not any("效益" in t for t in levels):
        out.append(_point(first, "no_benefit", f"{n} 项指标中没有效益指标", n, n, lines))
    if not any("满意" in t for t in levels + names):
        out.append(_point(first, "no_satisfaction", f"{n} 项指标中没有满意度指标", n, n, lines))
    return out


def _structure(rows: pd.DataFrame) -> tuple[float, ...] | None:
    """The table's weights of 产出 / 效益 / 满意度 (STANDARD_WEIGHTS order), or None when it
    has fewer than two weights or weights outside them (a department form's 投入管理 …)."""
    weighted = rows[rows["weight"].notna()]
    if len(weighted) < 2:
        return None
    classes = [
        weight_class(a, b, c)
        for a, b, c in zip(weighted["level1"], weighted["level2"], weighted["name"], strict=True)
    ]
    sums = weighted["weight"].astype(float).groupby(classes).sum()
    if sums.get("其他", 0.0) > WEIGHT_TOLERANCE or sums.sum() <= 0:
        return None
    return tuple(round(float(sums.get(k, 0.0)), 2) for k in STANDARD_WEIGHTS)


def _structure_text(weights: tuple[float, ...], reference: tuple[float, ...]) -> str:
    return "、".join(
        f"{k} {w:g} 分（{r:g}）"
        for k, w, r in zip(STANDARD_WEIGHTS, weights, reference, strict=True)
    )


def _standard_for(weights: tuple[float, ...]) -> tuple[float, ...]:
    """The national structure scaled to the table's own total (90 without the funds line)."""
    scale = sum(weights) / sum(STANDARD_WEIGHTS.values())
    return tuple(round(v * scale, 2) for v in STANDARD_WEIGHTS.values())


def _gap(weights: tuple[float, ...], reference: tuple[float, ...]) -> float:
    return max(abs(w - r) for w, r in zip(weights, reference, strict=True))


def _structure_points(tables: list[tuple[dict, tuple, list]]) -> list[dict]:
    """Rule 6 over one document's tables, each against the national structure. Where most of
    them share one structure, that structure is one point for all of them, and only the other
    tables are points of their own."""
    if not tables:
        return []
    usual, n_usual = Counter(weights for _, weights, _ in tables).most_common(1)[0]
    shared = n_usual >= 2 and n_usual > len(tables) / 2
    out = []
    if shared and _gap(usual, _standard_for(usual)) > WEIGHT_STRUCTURE_TOLERANCE:
        lines = [x for _, weights, ls in tables if weights == usual for x in ls]
        first = {**tables[0][0], "table": f"（{n_usual} 张表结构相同）"}
        detail = (
            f"{n_usual} 张表的一级指标权重均为："
            f"{_structure_text(usual, _standard_for(usual))}（括号内为常见权重）"
        )
        out.append(
            _point(
                first, "weight_structure", detail, n_usual, _gap(usual, _standard_for(usual)), lines
            )
        )
    for first, weights, lines in tables:
        standard = _standard_for(weights)
        magnitude = _gap(weights, standard)
        if (shared and weights == usual) or magnitude <= WEIGHT_STRUCTURE_TOLERANCE:
            continue
        detail = f"一级指标权重：{_structure_text(weights, standard)}（括号内为常见权重）"
        if shared:
            others = "、".join(f"{k} {w:g}" for k, w in zip(STANDARD_WEIGHTS, usual, strict=True))
            detail += f"；本文档其他 {n_usual} 张表为 {others}"
        out.append(_point(first, "weight_structure", detail, len(lines), magnitude, lines))
    return out


def _indicator_points(indicators: pd.DataFrame) -> list[dict]:
    """Rules 2–6 on every indicator table."""
    if indicators.empty:
        return []
    frame = indicators.assign(table=_table_keys(indicators))
    # the target as printed; a summary table's 年度指标内容 is the indicator's name
    by_name = (frame["doc_kind"] == "project_summary_table") & frame["target_text"].isna()
    phrase = frame["target_text"].where(~by_name, frame["name"])
    pairs = dict.fromkeys(zip(phrase.tolist(), by_name.tolist(), strict=True))
    found = {key: vague_target(key[0], aim=key[1]) for key in pairs}
    frame = frame.assign(
        _phrase=phrase,
        _by_name=by_name,
        _vague=[found[k] for k in zip(phrase.tolist(), by_name.tolist(), strict=True)],
    )
    points: list[dict] = []
    weights: dict[str, list] = {}
    for (doc_id, table), rows in frame.groupby(["doc_id", "table"], sort=False):
        first = {k: rows[k].iloc[0] for k in DOC_FIELDS} | {"table": table}
        n = len(rows)
        executed = not (rows["status"] == "target_only").all()
        if executed:
            points += _identical_points(first, rows, n)
            points += _overshoot_points(first, rows)
        points += _vague_points(first, rows, n)
        points += _coverage_points(first, rows, n)
        structure = _structure(rows)
        if structure is not None:
            lines = rows.loc[rows["weight"].notna(), "source_line"].tolist()
            weights.setdefault(doc_id, []).append((first, structure, lines))
    for tables in weights.values():
        points += _structure_points(tables)
    return points


def _full_marks_points(projects: pd.DataFrame, indicators: pd.DataFrame) -> list[dict]:
    """Rule 1: self-scores at full marks while execution is far below budget."""
    if projects.empty:
        return []
    rows = projects[projects["level"].isin(("project", "department"))]
    rate = rows["execution_rate_pct"].fillna(rows["reported_rate_pct"])
    rows = rows.assign(_rate=rate)[rate < LOW_EXECUTION_PCT]
    if rows.empty:
        return []
    scored = indicators[indicators["weight"].notna() & indicators["score"].notna()]
    tables = scored.assign(table=_table_keys(scored)).groupby(["doc_id", "table"], sort=False).agg(
        n=("weight", "size"), weight=("weight", "sum"), score=("score", "sum"),
        first=("source_line", "min"), last=("source_line", "max"),
    )  # fmt: skip
    points = []
    for row in rows.to_dict("records"):
        table = row["project"] if row["level"] == "project" else DEPARTMENT_TABLE
        key = (row["doc_id"], table)
        full_table = (
            key in tables.index
            and tables.loc[key, "n"] >= 1
            and tables.loc[key, "score"] >= tables.loc[key, "weight"] - SCORE_TOLERANCE
        )
        full_score = pd.notna(row.get("score")) and row["score"] >= FULL_SCORE - SCORE_TOLERANCE
        if not (full_table or full_score):
            continue
        what = (
            f"{int(tables.loc[key, 'n'])} 项指标全部满分"
            if full_table
            else f"自评 {row['score']:g} 分"
        )
        lines = [row["source_line"], row.get("end_line")]
        if key in tables.index:
            lines += [tables.loc[key, "first"], tables.loc[key, "last"]]
        first = {k: row.get(k) for k in DOC_FIELDS} | {"table": table}
        points.append(
            _point(first, "full_marks_low_exec",
                   f"{what}，而预算执行率只有 {row['_rate']:.1f}%",
                   int(tables.loc[key, "n"]) if key in tables.index else 1,
                   LOW_EXECUTION_PCT - row["_rate"], lines)
        )  # fmt: skip
    return points


def review(projects: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Every point of every document (POINT_COLUMNS), ranked within its document: most
    serious rule first, then the larger magnitude; rank 1 is the document's first point."""
    points = _full_marks_points(projects, indicators) + _indicator_points(indicators)
    if not points:
        return pd.DataFrame(columns=POINT_COLUMNS)
    out = pd.DataFrame(points)
    out = out.sort_values(
        ["unit", "year", "doc_id", "severity", "magnitude"],
        ascending=[True, True, True, True, False],
        na_position="last",
        kind="stable",
    ).reset_index(drop=True)
    out["rank"] = out.groupby("doc_id", sort=False).cumcount() + 1
    for column in ("source_line", "end_line"):
        out[column] = out[column].astype("Int64")
    return out[POINT_COLUMNS]


def measurable_share(indicators: pd.DataFrame) -> pd.DataFrame:
    """Per unit: indicators with a target and the share of them that can be measured (%)."""
    columns = ["unit", "n_targets", "n_vague", "measurable_pct"]
    rows = indicators[indicators["target_text"].notna()]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    vague = rows["target_text"].map(lambda t: vague_target(t) is not None)
    out = (
        rows.assign(_vague=vague)
        .groupby("unit")
        .agg(n_targets=("_vague", "size"), n_vague=("_vague", "sum"))
        .reset_index()
    )
    out["measurable_pct"] = (1 - out["n_vague"] / out["n_targets"]) * 100.0
    return out[columns]


def unit_summary(points: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Per unit: documents and tables reviewed, share of measurable targets, points per rule."""
    base = ["unit", "n_docs", "n_tables", "n_points", "measurable_pct"]
    if indicators.empty:
        return pd.DataFrame(columns=[*base, *RULES])
    tables = indicators.assign(table=_table_keys(indicators))
    out = (
        tables.groupby("unit")
        .agg(n_docs=("doc_id", "nunique"))
        .join(tables.drop_duplicates(["doc_id", "table"]).groupby("unit").size().rename("n_tables"))
    )
    if len(points):
        counts = points.groupby(["unit", "rule"]).size().unstack(fill_value=0)
    else:
        counts = pd.DataFrame(index=out.index)
    for rule in RULES:
        out[rule] = counts[rule].reindex(out.index).fillna(0).astype(int) if rule in counts else 0
    out["n_points"] = out[list(RULES)].sum(axis=1)
    share = measurable_share(indicators).set_index("unit")["measurable_pct"]
    out["measurable_pct"] = share.reindex(out.index)
    out = out.reset_index().sort_values(["n_points", "unit"], ascending=[False, True])
    return out[[*base, *RULES]].reset_index(drop=True)


def rule_counts(points: pd.DataFrame) -> pd.DataFrame:
    """Points and documents per rule, in rule order (for the chart)."""
    rows = []
    for rule, label in RULES.items():
        hit = points[points["rule"] == rule] if len(points) else points
        rows.append(
            {
                "rule": rule,
                "rule_label": label,
                "n_points": int(len(hit)),
                "n_docs": int(hit["doc_id"].nunique()) if len(hit) else 0,
            }
        )
    return pd.DataFrame(rows)


SUMMARY_COLUMNS = [
    "doc_id", "unit", "region", "year", "doc_kind", "source_file", "rank", "rule", "rule_label",
    "n_tables", "n", "detail", "table", "source_line", "end_line",
]  # fmt: skip


def document_summary(points: pd.DataFrame) -> pd.DataFrame:
    """Each document's short list: one point per rule (its tables counted), ranked most
    serious first; the detail and the lines are those of the rule's weightiest table."""
    if points.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    ordered = points.sort_values(
        ["doc_id", "severity", "magnitude", "source_line"],
        ascending=[True, True, False, True],
        kind="stable",
    )
    grouped = ordered.groupby(["doc_id", "rule"], sort=False)
    out = grouped.head(1).copy()
    keys = pd.MultiIndex.from_frame(out[["doc_id", "rule"]])
    out["n_tables"] = grouped.size().reindex(keys).to_numpy()
    out["n"] = grouped["n"].sum().reindex(keys).to_numpy()
    several = out["n_tables"] > 1
    out.loc[several, "detail"] = [
        f"{d}（另有 {k - 1} 张表同类问题，见逐表明细）"
        for d, k in zip(out.loc[several, "detail"], out.loc[several, "n_tables"], strict=True)
    ]
    out = out.sort_values(
        ["unit", "year", "doc_id", "severity"], na_position="last", kind="stable"
    ).reset_index(drop=True)
    out["rank"] = out.groupby("doc_id", sort=False).cumcount() + 1
    return out[SUMMARY_COLUMNS]


def rule_chart(counts: pd.DataFrame, title: str = "各类问题涉及的文档数") -> go.Figure:
    """Documents with each kind of point (rules in order of seriousness)."""
    if counts.empty or not counts["n_docs"].any():
        return empty_figure(title, "当前筛选条件下没有发现问题")
    trace = {
        "type": "bar",
        "y": counts["rule_label"].tolist(),
        "x": counts["n_docs"].tolist(),
        "orientation": "h",
        "marker": {"color": [RED, RED, AMBER, AMBER, BLUE, BLUE, GREY][: len(counts)]},
        "text": [
            f"{d} 份文档（{p} 张表）"
            for d, p in zip(counts["n_docs"], counts["n_points"], strict=True)
        ],
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": "%{y}<br>%{x} 份文档<extra></extra>",
    }
    return _figure(
        [trace],
        title,
        _rows_height(len(counts), per_row=40),
        legend=False,
        xaxis={"title": {"text": "文档数"}, "range": [0, max(1, counts["n_docs"].max()) * 1.35]},
        horizontal=True,
    )
