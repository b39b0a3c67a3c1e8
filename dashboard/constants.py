"""Dashboard constants in one place: thresholds, colour bands, labels, chart sizes and fonts.

What the loaders share with the dashboard (tolerances, finding-code and kind labels) is defined
there once and imported here.
"""

from __future__ import annotations

# Shared with the loaders and defined there once: finding-code and kind labels, tolerances.
from loaders.findings import CODE_LABELS as CODE_LABELS
from loaders.kinds import kind_labels
from loaders.tolerances import AMOUNT_TOLERANCE_WAN as AMOUNT_TOLERANCE_WAN
from loaders.tolerances import RATE_TOLERANCE_PCT as RATE_TOLERANCE_PCT
from loaders.tolerances import SCORE_TOLERANCE as SCORE_TOLERANCE
from loaders.tolerances import WEIGHT_TOLERANCE as WEIGHT_TOLERANCE

# A budget line executing below this rate (percent) is a low-execution project.
LOW_EXECUTION_PCT = 90.0
# Colour bands of execution rates (percent): below RED_BELOW_PCT red, below GREEN_FROM_PCT amber,
# from GREEN_FROM_PCT up to 100 green; above 100 is over-execution.
RED_BELOW_PCT = 60.0
GREEN_FROM_PCT = 90.0
OVER_PCT = 100.0

RED = "#d64541"
AMBER = "#f0a202"
GREEN = "#2e9e5b"
PURPLE = "#7b4fa3"
GREY = "#9aa5b1"
BLUE = "#1f5fa8"
LIGHT_BLUE = "#9cc3ea"
BAND_COLOURS = {"red": RED, "amber": AMBER, "green": GREEN, "over": PURPLE, "none": GREY}
BAND_LABELS = {
    "red": "低于 {red:g}%",
    "amber": "{red:g}%–{green:g}%",
    "green": "{green:g}%–100%",
    "over": "超过 100%",
    "none": "无执行数",
}

# Bar charts draw at most this many rows; the rest are added up into one 其余 row.
CHART_TOP_UNITS = 25
CHART_TOP_PROJECTS = 40
CHART_HEIGHT = 420
CHART_MIN_HEIGHT = 260
CHART_ROW_PX = 28  # height per bar in horizontal bar charts with many rows
CHART_MAX_HEIGHT = 1400
# "Noto Sans CJK SC" first so that images rendered server-side (kaleido + chromium) have glyphs.
FONT_FAMILY = (
    "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
)
FONT_SIZE = 14
TITLE_FONT_SIZE = 17

# doc_kind -> its name: each kind module's LABEL, so a new kind is named (and filterable).
KIND_LABELS = kind_labels()
LEVEL_LABELS = {
    "project": "项目",
    "task": "任务",
    "department": "部门整体",
    "expenditure_type": "支出类型",
}
# Levels that are budget lines (summed into totals); the others are totals of their own.
BUDGET_LEVELS = ("project", "task")
OVERALL_LEVELS = ("department", "expenditure_type")

STATUS_LABELS = {
    "met": "已完成",
    "not_met": "未完成",
    "unknown": "无法判断",
    "target_only": "仅申报目标",
}
STATUS_COLOURS = {"met": GREEN, "not_met": RED, "unknown": GREY, "target_only": LIGHT_BLUE}
STATUS_ORDER = ("met", "not_met", "unknown", "target_only")

SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}
# Severities that count as problems (info findings are explanations, not problems).
PROBLEM_SEVERITIES = ("error", "warning")

# Global filters: session_state key -> query parameter of the same name.
FILTER_KEYS = ("filter_region", "filter_unit", "filter_year", "filter_kind")

# Self-score credibility (自评可信度). The standard 项目支出绩效自评表 gives the execution rate
# this many points (rate × 10, capped at 100 %); the indicators share the rest of 100.
FUNDS_WEIGHT = 10.0
FULL_SCORE = 100.0
# Grades of the official formula: 优 ≥ 90, 良 80–90, 中 60–80, 差 below 60.
GRADE_BANDS = ((90.0, "优"), (80.0, "良"), (60.0, "中"))
GRADE_LOWEST = "差"
# Plausibility warnings of provincial performance systems: red where the indicator score rate
# exceeds the execution score rate by more than this many points, amber where more than this
# share (%) of the budget is unspent.
SCORE_GAP_RED_PCT = 5.0
UNSPENT_AMBER_PCT = 20.0
# Projects graded 优 while spending under this rate (%) are named on the scatter.
LOW_SPEND_PCT = 60.0
WARNING_LABELS = {"red": "红色预警", "amber": "黄色预警"}
WARNING_COLOURS = {"red": RED, "amber": AMBER, None: GREEN}
