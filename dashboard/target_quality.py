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

import numpy as np
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


def _mapped(values: pd.Series, func) -> pd.Series:
    """func of every value, computed once per distinct value (a million rows, few texts)."""
    distinct = {v: func(v) for v in pd.unique(values.dropna())}
    return values.map(distinct)


def _contains(series: pd.Series, word: str) -> pd.Series:
    return series.astype("object").fillna("").astype(str).str.contains(word, regex=False)


def _marked(indicators: pd.DataFrame) -> pd.DataFrame:
    """The indicators with what the rules read from each row, computed column-wise: their
    table's key, the vague phrase, copied actual, overshoot ratio and weight class."""
    frame = indicators.assign(table=_table_keys(indicators))
    frame["_key"] = frame.groupby(["doc_id", "table"], sort=False).ngroup()
    # the target as printed; a summary table's 年度指标内容 is the indicator's name
    by_name = (frame["doc_kind"] == "project_summary_table") & frame["target_text"].isna()
    phrase = frame["target_text"].astype("object").where(~by_name, frame["name"])
    frame["_phrase"], frame["_by_name"] = phrase, by_name
    plain = _mapped(phrase.where(~by_name), vague_target)
    aims = _mapped(phrase.where(by_name), lambda t: vague_target(t, aim=True))
    frame["_vague"] = pd.Series(
        np.where(by_name.to_numpy(), aims.to_numpy(object), plain.to_numpy(object)),
        index=frame.index,
        dtype="object",
    )
    target = frame["target_text"].astype("object")
    actual = frame["actual_text"].astype("object")
    frame["_both"] = target.notna() & actual.notna()
    t = target.fillna("").astype(str).str.replace(_SPACES, "", regex=True)
    a = actual.fillna("").astype(str).str.replace(_SPACES, "", regex=True)
    frame["_same"] = frame["_both"] & (t == a) & (t != "")
    value, goal = frame["actual_value"].astype(float), frame["target_value"].astype(float)
    units = _mapped(actual, lambda x: parse_target(x)[2])
    unit_ok = units.isna() | frame["target_unit"].isna() | (units == frame["target_unit"])
    rated = frame["target_op"].isin((">=", ">", "=")) & (goal > 0) & value.notna() & unit_ok
    frame["_ratio"] = (value / goal).where(rated)
    satisfaction = (
        _contains(frame["level1"], "满意")
        | _contains(frame["level2"], "满意")
        | _contains(frame["name"], "满意")
    )
    first = frame["level1"].astype("object").fillna(frame["level2"]).fillna("").astype(str)
    frame["_class"] = np.select(
        [
            satisfaction,
            first.str.contains("产出", regex=False) | first.str.contains("成本", regex=False),
            first.str.contains("效益", regex=False),
        ],
        ["满意度", "产出", "效益"],
        "其他",
    )
    frame["_benefit"] = _contains(frame["level1"], "效益") | _contains(frame["level2"], "效益")
    frame["_satisfied"] = satisfaction
    frame["_level1"] = frame["level1"].map(lambda v: isinstance(v, str))
    frame["_declared"] = frame["status"] == "target_only"
    return frame


def _lines_of(rows: pd.DataFrame) -> pd.Series:
    return rows.groupby("_key")["source_line"].agg(list)


def _indicator_points(indicators: pd.DataFrame) -> list[dict]:
    """Rules 2–6 on every indicator table, column-wise (a Python loop only over the tables
    and rows a rule flags)."""
    if indicators.empty:
        return []
    frame = _marked(indicators)
    firsts = frame.drop_duplicates("_key").set_index("_key")
    columns = [*DOC_FIELDS, "table"]
    heads = dict(
        zip(
            firsts.index,
            firsts[columns].astype("object").to_dict("records"),
            strict=True,
        )
    )
    tables = frame.groupby("_key").agg(
        n=("name", "size"),
        n_both=("_both", "sum"),
        n_same=("_same", "sum"),
        declared=("_declared", "all"),
        level1=("_level1", "any"),
        benefit=("_benefit", "any"),
        satisfied=("_satisfied", "any"),
        first=("source_line", "min"),
        last=("source_line", "max"),
    )
    lines = _lines_of(frame)
    points: list[dict] = []
    # 2. actuals copied from the targets, across a whole table
    copied = tables[
        ~tables["declared"]
        & (tables["n_both"] >= IDENTICAL_MIN_ROWS)
        & (tables["n_both"] == tables["n"])
        & (tables["n_same"] == tables["n"])
    ]
    example = frame[frame["_both"]].groupby("_key")["target_text"].first()
    for k, row in copied.iterrows():
        points.append(
            _point(heads[k], "identical_actuals",
                   f"全部 {row['n']} 项指标的完成值与目标值逐字相同（如「{_short(example[k])}」）",
                   row["n"], row["n"], lines[k])
        )  # fmt: skip
    # 3. targets exceeded many times over
    over = frame[(frame["_ratio"] >= OVERSHOOT_RATIO) & ~frame["_key"].map(tables["declared"])]
    for k, rows in over.sort_values("_ratio", ascending=False, kind="stable").groupby(
        "_key", sort=False
    ):
        named = [
            f"{_short(n)}（目标 {t}，完成 {a}，{r:.1f} 倍）"
            for n, t, a, r in zip(rows["name"], rows["target_text"], rows["actual_text"], rows["_ratio"], strict=True)
        ]  # fmt: skip
        points.append(
            _point(heads[k], "overshoot",
                   f"{len(rows)} 项指标完成值达到目标的 {OVERSHOOT_RATIO:g} 倍以上：{_examples(named)}",
                   len(rows), rows["_ratio"].iloc[0], rows["source_line"].tolist())
        )  # fmt: skip
    # 4. targets that cannot be measured
    vague = frame[frame["_vague"].notna()]
    for k, rows in vague.groupby("_key", sort=False):
        n = int(tables.at[k, "n"])
        named = [
            _short(nm) if by_name else f"{_short(nm)}（目标「{_short(t)}」）"
            for nm, t, by_name in zip(rows["name"], rows["_phrase"], rows["_by_name"], strict=True)
        ]
        points.append(
            _point(heads[k], "vague_target",
                   f"{len(rows)}/{n} 项指标没有可衡量的目标：{_examples(named)}",
                   len(rows), len(rows) / n, rows["source_line"].tolist())
        )  # fmt: skip
    # 5. no 效益 / 满意度 indicators (a table of MIN_TABLE_ROWS rows with its 一级指标 read)
    judged = tables[(tables["n"] >= MIN_TABLE_ROWS) & tables["level1"]]
    for rule, column, word in (
        ("no_benefit", "benefit", "效益"),
        ("no_satisfaction", "satisfied", "满意度"),
    ):
        for k, row in judged[~judged[column]].iterrows():
            points.append(
                _point(
                    heads[k],
                    rule,
                    f"{row['n']} 项指标中没有{word}指标",
                    row["n"],
                    row["n"],
                    lines[k],
                )
            )
    # 6. weights against the usual structure
    weighted = frame[frame["weight"].notna()]
    if len(weighted):
        sums = weighted.groupby(["_key", "_class"])["weight"].sum().unstack(fill_value=0.0)
        counts = weighted.groupby("_key").size()
        other = sums["其他"] if "其他" in sums else pd.Series(0.0, index=sums.index)
        keep = (
            (counts.reindex(sums.index) >= 2) & (other <= WEIGHT_TOLERANCE) & (sums.sum(axis=1) > 0)
        )
        weight_lines = _lines_of(weighted)
        by_doc: dict[str, list] = {}
        kept = sums[keep].reindex(columns=list(STANDARD_WEIGHTS), fill_value=0.0).round(2)
        for k, structure in zip(kept.index, kept.itertuples(index=False, name=None), strict=True):
            by_doc.setdefault(heads[k]["doc_id"], []).append((heads[k], structure, weight_lines[k]))
        for doc_tables in by_doc.values():
            points += _structure_points(doc_tables)
    return points


def weight_structure(rows: pd.DataFrame) -> tuple[float, ...] | None:
    """One table's weights of 产出 / 效益 / 满意度 (STANDARD_WEIGHTS order), or None when it has
    fewer than two weights or weights outside them (a department form's 投入管理 …)."""
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
    tables = (
        scored.assign(table=_table_keys(scored))
        .groupby(["doc_id", "table"], sort=False)
        .agg(n=("weight", "size"), weight=("weight", "sum"), score=("score", "sum"),
             first=("source_line", "min"), last=("source_line", "max"))
    )  # fmt: skip
    rows = rows.assign(
        table=rows["project"].astype("object").where(rows["level"] == "project", DEPARTMENT_TABLE)
    )
    joined = rows.join(tables.rename(columns={"score": "score_table"}), on=["doc_id", "table"])
    full_table = joined["n"].fillna(0).ge(1) & (
        joined["score_table"] >= joined["weight"] - SCORE_TOLERANCE
    )
    full_score = joined["score"].astype(float) >= FULL_SCORE - SCORE_TOLERANCE
    points = []
    for row in joined[full_table | full_score].to_dict("records"):
        has_table = pd.notna(row["n"])
        full = has_table and row["score_table"] >= row["weight"] - SCORE_TOLERANCE
        what = f"{int(row['n'])} 项指标全部满分" if full else f"自评 {row['score']:g} 分"
        first = {k: row.get(k) for k in DOC_FIELDS} | {"table": row["table"]}
        points.append(
            _point(first, "full_marks_low_exec",
                   f"{what}，而预算执行率只有 {row['_rate']:.1f}%",
                   int(row["n"]) if has_table else 1, LOW_EXECUTION_PCT - row["_rate"],
                   [row["source_line"], row.get("end_line"), row["first"], row["last"]])
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
    vague = _mapped(rows["target_text"].astype("object"), vague_target).notna()
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
