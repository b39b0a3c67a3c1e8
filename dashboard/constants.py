"""Dashboard constants in one place: thresholds, colour bands, labels, chart sizes and fonts."""

from __future__ import annotations

# A budget line executing below this rate (percent) is a low-execution project.
LOW_EXECUTION_PCT = 90.0
# Colour bands of execution rates (percent): below RED_BELOW_PCT red, below GREEN_FROM_PCT amber,
# from GREEN_FROM_PCT up to 100 green; above 100 is over-execution.
RED_BELOW_PCT = 60.0
GREEN_FROM_PCT = 90.0
OVER_PCT = 100.0
# Printed and computed rates within this many points count as the same rate.
RATE_TOLERANCE_PCT = 1.0

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

KIND_LABELS = {
    "project_summary_table": "项目绩效自评汇总表",
    "project_eval_tables": "项目支出绩效自评表",
    "final_accounts": "部门决算",
    "target_declaration": "绩效目标申报表",
    "department_overall_eval": "部门整体支出绩效自评表",
    "unknown": "未识别",
}
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
# Short names of the loaders' finding codes, shown in a table's 数据提示 column beside the row.
CODE_LABELS = {
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
    "YEAR_MISSING": "缺年度",
    "UNIT_MISSING": "缺单位",
    "UNREADABLE": "无法读取",
}
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
# A recomputed score within this many points of the printed one agrees (scores print 2 decimals).
SCORE_TOLERANCE = 0.02
# Sums of weights (分值) within this many points agree.
WEIGHT_TOLERANCE = 0.011
# Amounts (万元) printed in two places agree within this (the narrative rounds to 0.01 万元).
AMOUNT_TOLERANCE_WAN = 0.011
# Plausibility warnings of provincial performance systems: red where the indicator score rate
# exceeds the execution score rate by more than this many points, amber where more than this
# share (%) of the budget is unspent.
SCORE_GAP_RED_PCT = 5.0
UNSPENT_AMBER_PCT = 20.0
# Projects graded 优 while spending under this rate (%) are named on the scatter.
LOW_SPEND_PCT = 60.0
WARNING_LABELS = {"red": "红色预警", "amber": "黄色预警"}
WARNING_COLOURS = {"red": RED, "amber": AMBER, None: GREEN}
