"""偏差原因分析: why money goes unspent, from the documents' own explanation texts, by rules.

Every 问题 / 偏差原因 / 未完成原因 text is classified into the small taxonomy below by
deterministic regular expressions (no online service, no model): a text may fall into several
categories, and the phrase that matched is kept beside each category so that a reader sees why.
A text that gives a reason none of the rules knows is 其他; an empty text, or one that only says
无 / 不适用 / -, is 未说明.

The categories were refined from the seeds' texts (data/raw) and the field set
(tests/fixtures/field/raw):

| code | label | what the document says | example from the seeds |
|---|---|---|---|
| funds_late | 资金下达晚 | the money arrived late in the year | 部分资金年底拨付 |
| approval | 前期手续/审批延迟 | 概算批复, 立项, 审批, 调研 took longer | 概算批复未达到年初目标 |
| procurement | 政府采购/招标延迟 | the tender or purchase had not been held or was slow | 尚有部分项目未开展招标工作 |
| progress | 项目未完工/进度滞后 | building, acceptance or roll-out still under way; spans years | 处于验收准备阶段; 项目跨期 |
| savings | 结余/节约 | spent less than budgeted: savings, lower prices, spending cut | 实际发生修理费支付比预计的减少 |
| policy | 政策或计划调整 | the plan changed: cancelled, transferred, money redirected | 此项目于2021年4月调出卫健局系统 |
| external | 疫情等外部因素 | the epidemic, weather, a beneficiary moving or closing | 受疫情影响 |
| pay_on_actual | 据实结算/按进度支付 | paid as contracts, progress or actual needs fall due; 尾款, 质保期, 结转 | 根据合同期限 |
| withdrawn | 资金冻结/收回 | the 财政 froze or took back the money | 冻结指标772600元 |
| other | 其他 | a text is given but no rule matches it | 项目未付款 |
| none | 未说明 | no text, or 无 / 不适用 | |
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .charts import _figure, _rows_height, _wan_axis, empty_figure
from .constants import CHART_TOP_UNITS, LOW_EXECUTION_PCT
from .queries import UNKNOWN_UNIT, fmt_wan, low_execution

# A clause boundary: a matched phrase never runs across one.
_NB = r"[^，,。；;：:]"


@dataclass(frozen=True)
class Category:
    """One reason category: its code, Chinese label, one-line meaning and its patterns."""

    code: str
    label: str
    meaning: str
    patterns: tuple[str, ...]


TAXONOMY: tuple[Category, ...] = (
    Category(
        "funds_late",
        "资金下达晚",
        "资金下达、拨付或到位晚",
        (
            rf"资金{_NB}{{0,6}}(?:下达|拨付|到位|到账){_NB}{{0,3}}(?:晚|迟|慢|滞后|延迟|不及时)",
            r"(?:下达|拨付|到位|到账)(?:较|过|偏|时间)?(?:晚|迟|慢|滞后|延迟|不及时)",
            r"(?:年底|年末|12月|十二月|第四季度|四季度)(?:才|底才|中旬才|下旬才)?(?:下达|拨付|到位|到账|追加)",
            r"(?:\d{1,2}|[一二三四五六七八九十]{1,2})月(?:份)?(?:才|底才|中旬才|下旬才)(?:下达|拨付|到位|到账)",
            r"未(?:及时|能及时)?(?:下达|拨付到位|到位|到账)",
        ),
    ),
    Category(
        "approval",
        "前期手续/审批延迟",
        "立项、概算批复、审批或前期论证未按时完成",
        (
            r"概算批复",
            rf"(?:立项|审批|批复|核准|报批)(?:手续|流程|程序|环节)?{_NB}{{0,3}}(?:未|尚未|较晚|延迟|滞后|时间长|时间较长|周期长|过程长|未完成)",
            r"(?:未|尚未|暂未)(?:获得|取得|通过)?(?:立项|审批|批复)",
            r"(?<!招标)前期(?:工作|手续|论证|准备|调研)",
            r"可行性研究|可研",
            r"项目调研",
        ),
    ),
    Category(
        "procurement",
        "政府采购/招标延迟",
        "招标、政府采购未开展或用时长",
        (
            r"招标(?:工作|过程|准备|进行|程序|流程|前期|周期|时间|环节)",
            r"(?:未|尚未|暂未|未能)(?:开展|完成|启动|进行)?(?:招标|招投标|政府采购|采购)",
            r"重新招标|流标|废标|招投标",
            rf"(?:政府)?采购(?:程序|流程|周期|手续|时间|进度|环节)?{_NB}{{0,3}}(?:较长|过长|长|复杂|延迟|滞后|推迟|缓慢|未完成)",
        ),
    ),
    Category(
        "progress",
        "项目未完工/进度滞后",
        "建设、验收或推广尚未完成，进度慢或项目跨年度",
        (
            r"未完工|未竣工|未开工|未能开工",
            r"(?:进度|工期)(?:较|严重)?(?:滞后|缓慢|较慢|延误|推迟|延期|较低|慢)",
            r"(?:建设|施工|实施|工程|项目)(?:进度)?(?:滞后|缓慢|延期|延误)",
            rf"(?:尚未|未|暂未|没有){_NB}{{0,4}}(?:竣工|完工|验收|终验)",
            r"验收(?:准备|手续|阶段)",
            r"试运行|建设期|建设中|在建|正在建设|正在实施|实施中|尚在实施",
            r"跨(?:年度|期|年)",
            r"顺延|延期",
            rf"(?:尚有|仍有){_NB}{{0,12}}未完成",
            r"未完成(?!支付|付款|拨付|采购|政府采购|招标)",
        ),
    ),
    Category(
        "savings",
        "结余/节约",
        "实际支出少于预算：节约、结余、价格下降、压缩支出",
        (
            r"结余|节约|节省|节支",
            rf"(?:比|较)(?:预计|预算|计划|年初){_NB}{{0,4}}(?:减少|降低|少|低|下降)",
            r"低于(?:预算|预期|预计|计划)",
            r"中标价|中标金额|成交价|价格下降|价格降低",
            rf"压缩{_NB}{{0,6}}(?:支出|开支|经费|费用)",
            rf"(?:实际)?(?:支出|发生额|需求|费用|开支){_NB}{{0,4}}(?:减少|少于|低于|下降)",
        ),
    ),
    Category(
        "policy",
        "政策或计划调整",
        "政策变化、计划或预算调整、项目取消或调出、资金改作他用",
        (
            r"政策(?:调整|变化|变动|原因|性)",
            r"(?:计划|预算|任务|方案|项目|工作)(?:内容)?(?:调整|变更|变动|取消)",
            r"取消|调出|调减|调剂|改单|撤销",
            r"挪用|改用于|用于其他|机构改革",
            r"停止运行|停止实施|暂停实施",
            r"上级(?:政策|要求|部署)(?:调整|变化)?",
        ),
    ),
    Category(
        "external",
        "疫情等外部因素",
        "疫情、天气灾害、服务对象搬迁停业等单位无法左右的原因",
        (
            r"疫情|新冠|肺炎|防疫",
            r"自然灾害|台风|暴雨|洪水|洪涝|地震|汛期|雨季|冰冻|天气",
            r"搬迁|装修|停业|倒闭|道路施工|光缆",
            r"不可抗力",
        ),
    ),
    Category(
        "pay_on_actual",
        "据实结算/按进度支付",
        "按合同、进度或实际需要付款；尾款、质保金、结转",
        (
            r"据实|按实|实报实销|按实际(?:发生|需求|需要|结算)",
            r"按需|按照?(?:实际)?(?:需求|需要)",
            rf"(?:按|按照|根据|依据){_NB}{{0,10}}(?:合同|进度|节点)",
            r"合同期限|合同约定|合同(?:未到|尚未到)期",
            # 首付款未支付 follows from a late contract: a consequence, not a payment schedule
            r"质保(?:期|金)|尾款|进度款",
            r"结转",
            r"(?:未|尚未|暂未)(?:达到|到)?(?:支付|付款)(?:条件|节点|时间)",
        ),
    ),
    Category(
        "withdrawn",
        "资金冻结/收回",
        "财政冻结、收回或核减了资金",
        (
            r"冻结",
            r"收回",
            r"核减",
        ),
    ),
)
OTHER, NONE = "other", "none"
LABELS = {c.code: c.label for c in TAXONOMY} | {OTHER: "其他", NONE: "未说明"}
CODES = tuple(LABELS)
MEANINGS = {c.code: c.meaning for c in TAXONOMY} | {
    OTHER: "给出了文字，但不属于以上任何一类",
    NONE: "没有说明，或只写了 无 / 不适用",
}
# Texts that say nothing: empty, dashes, 无, 暂无, 不适用 …
_NOTHING = re.compile(
    r"^[\s\-—–/\\.。、,，;；无]*$|^(?:无|暂无|无偏差|不适用|不涉及|未说明|/)[。.]?$"
)
_COMPILED = tuple((c.code, tuple(re.compile(p) for p in c.patterns)) for c in TAXONOMY)
# Colours of the categories in charts (category order); 其他 and 未说明 grey.
COLOURS = {
    "funds_late": "#1f5fa8",
    "approval": "#5b8ff9",
    "procurement": "#7b4fa3",
    "progress": "#d64541",
    "savings": "#2e9e5b",
    "policy": "#f0a202",
    "external": "#8c564b",
    "pay_on_actual": "#17becf",
    "withdrawn": "#e377c2",
    OTHER: "#9aa5b1",
    NONE: "#c5ccd6",
}


@dataclass(frozen=True)
class Match:
    """One category of a text and the phrase of the text that put it there."""

    code: str
    phrase: str

    @property
    def label(self) -> str:
        return LABELS[self.code]


def says_nothing(text) -> bool:
    """True for None, NaN, '' and texts such as 无 / 不适用 / - that give no reason."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return True
    return bool(_NOTHING.match(str(text).strip()))


@lru_cache(maxsize=65_536)
def _classify(text: str) -> tuple[Match, ...]:
    if says_nothing(text):
        return (Match(NONE, ""),)
    found = []
    for code, patterns in _COMPILED:
        hits = [m for p in patterns if (m := p.search(text))]
        if hits:
            first = min(hits, key=lambda m: (m.start(), -len(m.group())))
            found.append(Match(code, first.group()))
    return tuple(found) or (Match(OTHER, ""),)


def classify(text) -> tuple[Match, ...]:
    """The categories of one text, in taxonomy order, each with its matched phrase.

    (Match('none', ''),) for a text that says nothing; (Match('other', ''),) when no rule
    matches. Each category's phrase is its earliest match in the text.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return (Match(NONE, ""),)
    return _classify(str(text).strip())


def codes(text) -> tuple[str, ...]:
    """The category codes of one text (see classify)."""
    return tuple(m.code for m in classify(text))


# --- tables ---------------------------------------------------------------------------------

# The columns of a classified text (one row per text and category).
TEXT_COLUMNS = [
    "doc_id", "unit", "region", "year", "project", "source", "text", "category", "label",
    "phrase", "source_line", "end_line",
]  # fmt: skip
SOURCE_LABELS = {"problems": "问题 / 偏差原因（项目）", "deviation_reason": "偏差原因（指标）"}


def explode(frame: pd.DataFrame, text_column: str) -> pd.DataFrame:
    """frame with one row per (row, category) of its text column: category, label, phrase.

    Texts are classified once per distinct text, so a million rows with few texts stay cheap.
    """
    if frame.empty:
        return frame.assign(category=[], label=[], phrase=[])
    texts = frame[text_column]
    distinct = pd.unique(texts.dropna())
    table = {t: classify(t) for t in distinct}
    keys = texts.where(texts.notna(), None)
    matches = [
        table.get(t, (Match(NONE, ""),)) if t is not None else (Match(NONE, ""),) for t in keys
    ]
    repeat = np.fromiter((len(m) for m in matches), dtype=np.int64, count=len(matches))
    out = frame.iloc[np.repeat(np.arange(len(frame)), repeat)].reset_index(drop=True)
    flat = [m for ms in matches for m in ms]
    out["category"] = [m.code for m in flat]
    out["label"] = [m.label for m in flat]
    out["phrase"] = [m.phrase for m in flat]
    return out


def low_projects(
    lines: pd.DataFrame, indicators: pd.DataFrame, threshold: float = LOW_EXECUTION_PCT
) -> pd.DataFrame:
    """Low-execution budget lines (queries.low_execution: 问题 else the indicators' 偏差原因)
    with one row per category of their explanation (unspent repeated in each)."""
    low = low_execution(lines, threshold, indicators)
    low = low[low["rate_pct"].notna()].reset_index(drop=True)
    low["unit"] = low["unit"].fillna(UNKNOWN_UNIT)
    low["_row"] = np.arange(len(low))
    return explode(low, "explanation")


def all_texts(projects: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Every explanation text of the selection: each project's 问题 and each indicator's
    偏差原因 that is not empty, one row per (text, category) in TEXT_COLUMNS."""
    parts = []
    if len(projects):
        rows = projects[projects["problems"].notna()]
        parts.append(
            rows.assign(source="problems", text=rows["problems"]).reindex(
                columns=[c for c in TEXT_COLUMNS if c not in ("category", "label", "phrase")]
            )
        )
    if len(indicators):
        rows = indicators[indicators["deviation_reason"].notna()]
        rows = rows.assign(source="deviation_reason", text=rows["deviation_reason"], end_line=None)
        parts.append(
            rows.reindex(
                columns=[c for c in TEXT_COLUMNS if c not in ("category", "label", "phrase")]
            )
        )
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=TEXT_COLUMNS)
    texts = pd.concat(parts, ignore_index=True)
    texts = texts[~texts["text"].map(says_nothing)]
    return explode(texts.reset_index(drop=True), "text")[TEXT_COLUMNS]


def by_category(low: pd.DataFrame) -> pd.DataFrame:
    """Per category (taxonomy order, empty ones left out): unspent 万元 and projects."""
    columns = ["category", "label", "unspent_wan", "n_projects"]
    if low.empty:
        return pd.DataFrame(columns=columns)
    out = (
        low.groupby("category", sort=False)
        .agg(unspent_wan=("unspent_wan", "sum"), n_projects=("_row", "nunique"))
        .reindex([c for c in CODES if c in set(low["category"])])
        .reset_index()
    )
    out["label"] = out["category"].map(LABELS)
    return out[columns]


def by_group(low: pd.DataFrame, by: str) -> pd.DataFrame:
    """Unspent 万元 per value of `by` (unit or region) and category: long form, largest first."""
    columns = [by, "category", "label", "unspent_wan", "n_projects", "total_wan"]
    if low.empty:
        return pd.DataFrame(columns=columns)
    keys = low[by].fillna("（未知）")
    out = (
        low.assign(**{by: keys})
        .groupby([by, "category"], sort=False)
        .agg(unspent_wan=("unspent_wan", "sum"), n_projects=("_row", "nunique"))
        .reset_index()
    )
    # a project counted once per group in the total, however many categories it has
    firsts = low.drop_duplicates("_row")
    totals = firsts.groupby(firsts[by].fillna("（未知）"))["unspent_wan"].sum()
    out["total_wan"] = out[by].map(totals)
    out["label"] = out["category"].map(LABELS)
    order = {c: i for i, c in enumerate(CODES)}
    out = out.assign(_o=out["category"].map(order)).sort_values(
        ["total_wan", by, "_o"], ascending=[False, True, True]
    )
    return out[columns].reset_index(drop=True)


def unexplained(low: pd.DataFrame) -> dict:
    """Low-execution projects that give no reason: their number, share and unspent 万元."""
    firsts = low.drop_duplicates("_row") if len(low) else low
    none = low[low["category"] == NONE] if len(low) else low
    n, n_none = len(firsts), len(none)
    return {
        "n_low": int(n),
        "n_none": int(n_none),
        "share_pct": n_none / n * 100.0 if n else None,
        "unspent_wan": float(firsts["unspent_wan"].sum()) if n else 0.0,
        "none_unspent_wan": float(none["unspent_wan"].sum()) if n_none else 0.0,
    }


def category_rows(low: pd.DataFrame, category: str | None) -> pd.DataFrame:
    """The low-execution projects of one category (all when None), largest unspent first."""
    rows = low if category is None else low[low["category"] == category]
    if category is None and len(rows):
        # one row per project: its categories joined
        grouped = rows.groupby("_row", sort=False)
        firsts = rows.drop_duplicates("_row").set_index("_row")
        firsts["label"] = grouped["label"].agg("、".join)
        firsts["phrase"] = grouped["phrase"].agg(lambda p: "、".join(x for x in p if x))
        rows = firsts.reset_index()
    return rows.sort_values(["unspent_wan", "rate_pct"], ascending=[False, True]).reset_index(
        drop=True
    )


def golden_rows(texts) -> list[tuple[str, tuple[str, ...]]]:
    """(text, category codes) for each text: the shape of the golden test's table."""
    return [(t, codes(t)) for t in texts]


# --- figures --------------------------------------------------------------------------------


def category_chart(table: pd.DataFrame, title: str = "未执行金额按原因分类") -> go.Figure:
    """Unspent 万元 per category (a project in several categories counts in each), with the
    number of projects beside each bar."""
    if table.empty:
        return empty_figure(title, "当前筛选条件下没有低执行率项目")
    trace = {
        "type": "bar",
        "y": table["label"].tolist(),
        "x": table["unspent_wan"].tolist(),
        "orientation": "h",
        "marker": {"color": [COLOURS[c] for c in table["category"]]},
        "text": [
            f"{fmt_wan(u)}（{int(n)} 项）"
            for u, n in zip(table["unspent_wan"], table["n_projects"], strict=True)
        ],
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": "%{y}<br>未执行 %{x:,.2f} 万元<extra></extra>",
    }
    return _figure(
        [trace],
        title,
        _rows_height(len(table), per_row=44),
        legend=False,
        xaxis=_wan_axis(values=table["unspent_wan"] * 1.2),
        horizontal=True,
    )


def group_chart(table: pd.DataFrame, by: str, title: str, top: int = CHART_TOP_UNITS) -> go.Figure:
    """Unspent 万元 per value of `by` (the `top` largest), stacked by category."""
    if table.empty:
        return empty_figure(title, "当前筛选条件下没有低执行率项目")
    order = list(dict.fromkeys(table[by]))[:top]
    rows = table[table[by].isin(order)]
    traces = []
    for code in CODES:
        part = rows[rows["category"] == code].set_index(by)
        if part.empty:
            continue
        traces.append(
            {
                "type": "bar",
                "y": order,
                "x": [float(part["unspent_wan"].get(k, 0.0)) for k in order],
                "name": LABELS[code],
                "orientation": "h",
                "marker": {"color": COLOURS[code]},
                "hovertemplate": "%{y}<br>" + LABELS[code] + " %{x:,.2f} 万元<extra></extra>",
            }
        )
    shown = f"（未执行金额最大的 {top} 个）" if table[by].nunique() > top else ""
    fig = _figure(
        traces,
        title + shown,
        _rows_height(len(order), per_row=30, base=260),
        xaxis=_wan_axis(),
        horizontal=True,
        barmode="stack",
    )
    # the legend below the bars (_figure's): eleven categories above them would cover the title
    return fig
