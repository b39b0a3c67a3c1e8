"""The pages' view-models without AppTest: 总览's department figures, 数据质量 and 自评可信度
tables, the one tint helper, table layout and chart placement."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from test_queries import selection

from dashboard import charts, credibility_tables, quality, reconcile, tints, ui
from dashboard import queries as q
from dashboard.constants import CODE_LABELS, RED

# --- 总览: units known only by their 部门整体 figures ------------------------------------------


def test_department_only_selection_is_counted_in_its_own_totals():
    hunan = selection(regions=("湖南",))
    assert hunan.lines.empty  # a 部门整体支出绩效自评表 alone: no budget lines
    kpis = q.overview_kpis(
        hunan.documents, hunan.lines, hunan.indicators, hunan.findings, hunan.overall
    )
    assert kpis["n_executed"] == 0
    department = kpis["department"]
    assert department["n_units"] == 1 and department["n_rows"] == 1
    assert department["budget_wan"] == 25592.0 and department["actual_wan"] == 33557.32
    assert department["rate_pct"] == pytest.approx(33557.32 / 25592.0 * 100)


def test_unit_chart_rows_add_units_known_only_by_department_figures():
    everything = selection()
    units = q.by_unit_and_department(everything.lines, everything.overall)
    labelled = units.set_index("label")
    # 乙市 has only its 部门整体 row; 甲区 2020 has projects, so its department row stays out
    assert labelled.loc["乙市卫生健康局" + q.DEPARTMENT_SUFFIX, "budget_wan"] == 25592.0
    assert not any(
        label.startswith("甲区") and label.endswith(q.DEPARTMENT_SUFFIX) for label in units["label"]
    )
    assert len(units) == len(q.by_unit(everything.lines)) + 1
    # and the department money is never in the project totals
    kpis = q.overview_kpis(
        everything.documents,
        everything.lines,
        everything.indicators,
        everything.findings,
        everything.overall,
    )
    assert kpis["budget_wan"] == q.execution_totals(everything.lines)["budget_wan"]
    assert kpis["department"]["budget_wan"] == 25592.0
    fig = charts.budget_vs_actual_by_unit(units)
    assert "乙市卫生健康局" + q.DEPARTMENT_SUFFIX in fig.data[0].customdata


# --- one tint helper ------------------------------------------------------------------------


def tinted_cells(styler) -> dict[tuple[int, int], str]:
    """(row, column) -> background colour of the cells a Styler tints."""
    html = styler.to_html()
    style = html[: html.index("</style>")]
    out = {}
    for selectors, colour in re.findall(r"([^{}]+)\{\s*background-color: ([^;]+);", style):
        for row, col in re.findall(r"_row(\d+)_col(\d+)", selectors):
            out[(int(row), int(col))] = colour
    return out


def test_tint_colours_cells_by_row_and_fits_the_first_rows_alone():
    table = pd.DataFrame({"a": [1, 2, 3], "状态": ["x", "y", "z"]})
    styler = tints.tint(table, {"状态": tints.by_key(["bad", "ok", "bad"], {"bad": RED})})
    tint = f"{RED}{tints.TINT_ALPHA}"
    assert tinted_cells(styler) == {(0, 1): tint, (2, 1): tint}
    head = table.head(2).style
    head.use(styler.export())
    assert tinted_cells(head) == {(0, 1): tint}


# --- 数据质量 ---------------------------------------------------------------------------------


def test_quality_findings_table_names_codes_in_chinese_with_the_code_apart():
    checked = quality.reconciliations(selection(), pd.DataFrame())
    table = quality.finding_rows(checked["findings"], (), ())
    headers = list(table.columns)
    assert "问题" in headers and "代码" in headers
    assert set(table["问题"]) == {CODE_LABELS[c] for c in table["代码"]}
    warnings = quality.finding_rows(checked["findings"], ("warning",), ("RATE_OVER_100",))
    assert list(warnings["问题"]) == [CODE_LABELS["RATE_OVER_100"]]
    # the matrix's columns say what each code means
    assert f"{CODE_LABELS['UNREADABLE']}（UNREADABLE）" in checked["matrix"].columns


def test_quality_rate_view_keeps_only_what_needs_a_look_and_tints_it():
    checked = quality.reconciliations(selection(), pd.DataFrame())
    every = quality.rate_view(checked["rates"], only=False)["table"]
    flagged = quality.rate_view(checked["rates"], only=True)
    states = flagged["table"][quality.LABELS["rate_state"]]
    assert len(flagged["table"]) < len(every)
    assert reconcile.AGREES not in set(states)
    column = list(flagged["table"].columns).index(quality.LABELS["rate_state"])
    expected = {
        (i, column): quality.STATE_COLOURS[s] + tints.TINT_ALPHA
        for i, s in enumerate(states)
        if s in quality.STATE_COLOURS
    }
    assert expected and tinted_cells(flagged["styler"]) == expected


# --- 自评可信度 on the seeds ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds(built):
    return q.select(
        built["documents"], built["projects"], built["indicators"], built["findings"], q.Filters()
    )


def test_credibility_tables_recompute_and_tint_the_seeds(seeds):
    checked = credibility_tables.checks(seeds)
    formula = checked["formula_linked"]
    assert len(formula) == 14 + 33 + 2  # projects of 003 and 001, two department evaluations
    result = formula[credibility_tables.LABELS["check"]]
    assert list(result).count(credibility_tables.cred.CHECK_AGREES) == len(formula) - 1
    # the one row that does not agree comes first, tinted by its state; the others are not
    first = result.iloc[0]
    assert first != credibility_tables.cred.CHECK_AGREES
    column = list(formula.columns).index(credibility_tables.LABELS["check"])
    colour = credibility_tables.CHECK_COLOURS[first] + tints.TINT_ALPHA
    assert tinted_cells(checked["formula_styler"]) == {(0, column): colour}


def test_credibility_warning_view_filters_to_warned_projects(seeds):
    judged = credibility_tables.checks(seeds)["judged"]
    every = credibility_tables.warning_view(judged, warnings_only=False)["table"]
    warned = credibility_tables.warning_view(judged, warnings_only=True)["table"]
    assert 0 < len(warned) < len(every) == len(judged)
    assert set(warned[credibility_tables.LABELS["warning_label"]]) <= {"红色预警", "黄色预警"}


# --- table layout ---------------------------------------------------------------------------


def test_tables_lead_with_the_name_the_explanation_and_its_figures():
    low = q.low_execution(selection().lines, 90)
    table = q.present(low, ["unit", "year", "project", "budget_wan", "execution_rate_pct",
                            "unspent_wan", "explanation"])  # fmt: skip
    order = ui.column_order(table)
    assert order[:4] == ["项目", "问题 / 偏差原因", "执行率（%）", "未执行（万元）"]
    config = ui.column_config(table)
    assert config["项目"]["pinned"] is True
    assert ui.wrapped(table) and ui.table_height(pd.concat([table] * 10)) == (
        ui.HEADER_PX + ui.WRAPPED_ROW_PX * ui.ROWS_SHOWN + 3
    )


def test_scores_and_rates_have_one_format_each():
    table = pd.DataFrame(
        columns=["自评得分", "得分", "分值", "复算−印发", "执行率（%）", "预算（万元）"]
    )
    config = ui.column_config(table)
    formats = {h: config[h]["type_config"]["format"] for h in table.columns}
    assert {formats[h] for h in ("自评得分", "得分", "分值", "复算−印发")} == {ui.SCORE_FORMAT}
    assert formats["执行率（%）"] == ui.PCT_FORMAT and formats["预算（万元）"] == ui.WAN_FORMAT
    assert ui.SCORE_FORMAT == "%.2f" and ui.WAN_FORMAT == "%,.2f"


# --- chart layout ---------------------------------------------------------------------------


def test_legend_and_title_sit_apart_in_the_figure():
    fig = charts.status_stack(
        pd.DataFrame({"level1": ["产出指标"], "met": [3], "not_met": [1], "total": [4]}),
        "level1",
        "按一级指标的完成情况",
    )
    assert fig.layout.title.yref == "container" and fig.layout.title.yanchor == "top"
    assert fig.layout.legend.yref == "container" and fig.layout.legend.y == 0
    assert fig.layout.legend.yanchor == "bottom"


def test_long_names_wrap_on_the_axis_and_stay_whole_in_the_hover_box():
    name = "上海市普陀区卫生健康事务管理中心"
    units = pd.DataFrame(
        {
            "label": [name, "其余 3 个单位"],
            "budget_wan": [10.0, 2.0],
            "actual_wan": [5.0, 1.0],
            "execution_rate_pct": [50.0, 50.0],
            "declared_budget_wan": [None, None],
        }
    )
    fig = charts.budget_vs_actual_by_unit(units)
    axis = fig.data[0].y[0]
    assert axis.count("<br>") == 1 and max(len(p) for p in axis.split("<br>")) <= 10
    assert fig.data[0].customdata[0] == name
    assert fig.data[1].text[0] == "5.00（50.0 %）"  # the amount on the bar, then the rate
    assert fig.data[0].text[0] == "10.00"
