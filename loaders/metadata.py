"""Document metadata found by keywords: unit, parent unit, year, amount unit."""

from __future__ import annotations

import re

from .numbers import to_halfwidth
from .vocab import TRAD_TO_SIMP, TRADITIONAL, simplified

# Labels that precede the reporting unit's name, most specific first.
UNIT_LABELS = (
    "部门（单位）名称",
    "部门(单位)名称",
    "单位名称",
    "部门名称（盖章）",
    "部门名称(盖章)",
    "部门名称",
    "实施单位",
    "填报单位",
    "编制单位",
    "部门",
    "单位",
)
PARENT_LABELS = ("主管部门", "主管单位", "预算部门")
# Labels that are also the first word of titles ('部门决算', '部门整体支出…', '单位：万元'): what
# follows them is a unit only when it ends like one.
BARE_LABELS = ("部门", "单位")
_NAME_END = re.compile(
    r"(?:局|委员会|委|中心|院|所|站|办公室|学校|大学)(?:（[^）]{1,8}）|\([^)]{1,8}\))?$"
)
_UNIT_SUFFIX = re.compile(
    r"[\u4e00-\u9fff（）()]{2,40}?(?:卫生健康局|卫生健康委员会|卫生健康委|卫健委|卫健局|卫生局|中心|医院|"
    r"研究所|研究院|管理局|委员会|局|院|所|站|办公室|学校|大学)(?:（[^）]{1,8}）|\([^)]{1,8}\))?"
)
# A health unit's own ending. The first unit-like ending can sit inside a place name
# ('鞍山市站前区…' stops at 站, '…所前镇…' at 所): a match that starts at the same place and
# runs on to one of these endings is the unit, unless the stretch in between reads like a title.
_HEALTH_UNIT = re.compile(
    r"[\u4e00-\u9fff（）()]{2,40}?(?:卫生健康局|卫生健康委员会|卫生健康委|卫健委|卫健局|卫生局|"
    r"疾病预防控制中心|妇幼保健院|医院|卫生监督所|卫生院)(?:（[^）]{1,8}）|\([^)]{1,8}\))?"
)
_NOT_IN_A_NAME = re.compile(r"绩效|预算|决算|自评|申报|评价|报告|关于|部门|项目|年度|整体")
# A unit name broken by OCR spaces has at most this many pieces.
MAX_NAME_WORDS = 4
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年\s*度?")
_YEAR_DU = re.compile(r"((?:19|20)\d{2})\s*年\s*度")
# A line up to this long may be a title; a year in a longer line is prose.
MAX_TITLE_LINE = 60
# In text without line breaks (a flattened table), a '年度' this close to the start is the title's.
MAX_TITLE_OFFSET = 300
_TITLE_WORDS = re.compile(r"绩效|预算|决算|自评|申报|评价|报告|[表书]$")


def _join_wrapped(value: str, next_cell: str) -> str:
    """'深圳市福田' + '区卫生健康局': a name the PDF wrapped into the next cell, joined again."""
    if not next_cell or _UNIT_SUFFIX.fullmatch(value):
        return value
    joined = re.sub(r"\s+", "", value + next_cell)
    return joined if _UNIT_SUFFIX.fullmatch(joined) else value


def _first_name_of_spaced(value: str) -> str:
    """A flattened row 'X局(本级) 主管部门 Y局 …' or an OCR gap 'X福田 区卫生健康局 …': the name."""
    words = value.split()
    for end in range(1, min(len(words), MAX_NAME_WORDS) + 1):
        name = "".join(words[:end])
        if _UNIT_SUFFIX.fullmatch(name):
            return name if end < len(words) else value
    return value


def _label_value(text: str, labels) -> str | None:
    for label in labels:
        for m in re.finditer(
            re.escape(label) + r"\s*[：:]?\s*[\t ]*([^\t\n]*)(?:\t+([^\t\n]*))?", text
        ):
            value = (m.group(1) or "").strip() or (m.group(2) or "").strip()
            value = re.split(r"\s{2,}|\t|单位[：:]|公开\d", value)[0].strip(" ：:")
            value = _join_wrapped(value, (m.group(2) or "").strip() if m.group(1) else "")
            value = _first_name_of_spaced(value)
            if (
                2 <= len(value) <= 60
                and re.search(r"[\u4e00-\u9fff]", value)
                and "名称" not in value
                and (label not in BARE_LABELS or _NAME_END.search(value))
            ):
                return value
    return None


def clean_unit(value: str | None) -> str | None:
    """Drop stamps and wrapped spaces: '深圳市福田 区卫生健康局' -> '深圳市福田区卫生健康局'."""
    if not value:
        return None
    v = re.sub(r"\s+", "", value)
    v = re.sub(r"[（(]盖章[）)]", "", v)
    return v.strip("：:") or None


def find_unit(text: str) -> str | None:
    """The reporting unit: a labelled name, else the first unit-like name in a title."""
    value = _label_value(text, UNIT_LABELS)
    if value:
        return clean_unit(value)
    head = re.sub(r"[ \u3000]+", "", text[:3000])
    m = _UNIT_SUFFIX.search(head)
    if not m:
        return None
    longer = _HEALTH_UNIT.match(head, m.start())
    if longer and longer.end() > m.end() and not _NOT_IN_A_NAME.search(head, m.end(), longer.end()):
        return clean_unit(longer.group(0))
    return clean_unit(m.group(0))


# What a unit's name ends with (an organisation), and what never stands in one (form labels).
UNIT_ENDINGS = tuple("局委心院站所会室科部办处厅社校学园队馆司府团组署")
_UNIT_TAIL = re.compile(r"[(（][^()（）]{1,8}[)）]$")
_FORM_WORDS = re.compile(
    r"项目名称|主管部门|单位名称|实施单位|预算|执行|填报|盖章|年度|年\)|名称|\|"
)
MAX_UNIT_CHARS = 40


def looks_like_unit(name: str | None) -> bool:
    """A unit's name, not a piece of the form: short, no labels, figures or cell separators,
    ending like an organisation ('…卫生健康局', '…中心(本级)')."""
    if not name:
        return False
    # judged in simplified characters: 衛生健康委員會 ends like 卫生健康委员会
    s = _UNIT_TAIL.sub("", re.sub(r"\s+", "", simplified(name)))
    return (
        2 <= len(s) <= MAX_UNIT_CHARS
        and not re.search(r"\d{3,}", s)
        and not _FORM_WORDS.search(s)
        and s.endswith(UNIT_ENDINGS)
    )


# A stamp or note printed after a label: 实施单位（盖章）, 单位名称(公章).
_LABEL_NOTE = re.compile(r"^[(（][^()（）]{1,6}[)）]")
# Lines of a document's head the labelled unit is looked for in.
UNIT_HEAD_LINES = 300


def labelled_unit(cells: list) -> str | None:
    """The reporting unit named by the form's own labels in the cells of a document's head, by
    their priority (vocab.UNIT_LABELS:
    实施单位 before 单位名称 before 部门名称 …): the label's inline rest or the cell after it.
    A 主管部门 is never the unit. None when no label gives a unit-like name."""
    from .vocab import UNIT_PRIORITY

    labels = sorted(UNIT_PRIORITY, key=len, reverse=True)
    best: tuple[int, int, str] | None = None
    for k, cell in enumerate(cells):
        if cell.line > UNIT_HEAD_LINES:
            break
        if "单位" not in cell.key and "名称" not in cell.key:  # every unit label has one of them
            continue
        key = cell.key.lstrip("0123456789.、")
        label = next((lb for lb in labels if lb in key[: len(lb) + 4]), None)
        if label is None or "主管" in key:
            continue
        rest = key[key.index(label) + len(label) :].lstrip(":：")
        rest = _LABEL_NOTE.sub("", rest).lstrip(":：")
        value = rest or (cells[k + 1].text if k + 1 < len(cells) else "")
        value = clean_unit(_LABEL_NOTE.sub("", value.strip()))
        if not looks_like_unit(value):
            continue
        rank = (UNIT_PRIORITY[label], k)
        if best is None or rank < best[:2]:
            best = (*rank, value)
    return best[2] if best else None


def find_parent(text: str) -> str | None:
    return clean_unit(_label_value(text, PARENT_LABELS))


def find_year(text: str) -> int | None:
    """The budget year printed in the title area ('2021年度', '( 2024 年度)', '2020 年度').

    A year in prose ('建设任务已2021年完成', '计划于2024年完成') is not the document's year: only
    short title-like lines count, or a '年度' near the very start of flattened text.
    """
    head = to_halfwidth(text[:5000])
    titles = [s for s in (line.strip() for line in head.splitlines()) if s]
    titles = [s for s in titles if len(s) <= MAX_TITLE_LINE]
    for line in titles:
        m = _YEAR_DU.search(line)
        if m:
            return int(m.group(1))
    for line in titles:
        m = _YEAR.search(line)
        bare = re.sub(r"[\s()（）]", "", line) == re.sub(r"\s", "", m.group(0)) if m else False
        if m and (bare or _TITLE_WORDS.search(line)):
            return int(m.group(1))
    m = _YEAR_DU.search(head[:MAX_TITLE_OFFSET])
    return int(m.group(1)) if m else None


def find_amount_unit(text: str) -> str | None:
    """元 or 万元 from '单位：万元', '（万元）', '(元)', in traditional characters too (單位：萬元)."""
    m = re.search(r"(?:单位|金额单位)\s*[：:]\s*(万元|元)", text) or re.search(
        r"[（(]\s*(万元|元)\s*[）)]", text
    )
    if m is None and TRADITIONAL.search(text):
        return find_amount_unit(text.translate(TRAD_TO_SIMP))
    return m.group(1) if m else None
