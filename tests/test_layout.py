"""loaders.layout on the shapes real documents have (table-driven; the generated round trip of
every layout class is in test_layout_roundtrip.py)."""

from __future__ import annotations

import pytest

from loaders import layout


def texts(text: str) -> list[str]:
    return [c.text for c in layout.cells(text.split("\n"))]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # a document site's glued extraction: cut at the form's words, figures after a word
        (
            "单位名称:襄阳市中心医院填报日期:2022年3月18日项目名称东津院区建设补助主管部门襄阳市卫生健康委"
            "项目实施单位襄阳市中心医院",
            [
                "单位名称",
                "襄阳市中心医院",
                "填报日期",
                "2022年3月18日",
                "项目名称",
                "东津院区建设补助",
                "主管部门",
                "襄阳市卫生健康委",
                "项目实施单位",
                "襄阳市中心医院",
            ],
        ),
        # a year that opens a name stays in the name; a run of figures after a word is one cell
        (
            "项目名称2021年卫生健康人才培养培训一次性开办费项目实施单位随州市急救中心执行率4.918.4100%",
            [
                "项目名称",
                "2021年卫生健康人才培养培训一次性开办费",
                "项目实施单位",
                "随州市急救中心",
                "执行率",
                "4.918.4100%",
            ],
        ),
    ],
)
def test_glued_text_is_cut_at_the_form_words(text, want):
    assert texts(text) == want


def test_glued_page_markers_are_dropped_and_a_cut_word_joined():
    lines = [
        "1、部门整体支出绩效自评表(2021年度)区级预算单位名称永州市零陵区疾病预防控制中心年度预算申请(万元)"
        "年初预算数全年预算数全年执行数分值执行率得分年度资金总额2456.18流行病",
        "",
        "2、学调查和疫情分析研判,及时处置暴发疫情,逐步降低重点传染病的危害,完成率80%。进一步减少结核病感染",
    ]
    got = list(layout.cells(lines))
    assert any(c.text.startswith("流行病学调查和疫情分析研判") for c in got)
    assert not any(c.text.startswith(("1、", "2、")) for c in got)
    joined = next(c for c in got if c.text.startswith("流行病"))
    assert (joined.line, joined.end) == (1, 3)


def test_pipe_end_cells_keep_their_empty_cells():
    got = list(layout.cells(["项目名称 |", "工资性支出 |", "|", "得分 |", "|"]))
    assert [c.text for c in got] == ["项目名称", "工资性支出", "", "得分", ""]
    assert {c.layout for c in got} == {layout.PIPE_END}
    rows = layout.reflow(got, 2)
    assert [[c.text for c in r] for r in rows] == [["项目名称", "工资性支出"], ["得分"]]


def test_markdown_rows_keep_columns_and_drop_the_rule():
    got = list(
        layout.rows(["| 项目名称 | 预算数 | 执行数 |", "|---|---:|---|", "| 体检 |  | 96 |"])
    )
    assert [[(c.text, c.col) for c in r] for r in got] == [
        [("项目名称", 0), ("预算数", 1), ("执行数", 2)],
        [("体检", 0), ("96", 2)],
    ]


def test_flattened_sheet_is_split_at_single_spaces_with_fragments_put_back():
    got = texts("项目名称 建档立卡配套资金 年初预算数 (万元) 全年预算数 65.66 ≥ 90%")
    assert got == [
        "项目名称",
        "建档立卡配套资金",
        "年初预算数 (万元)",
        "全年预算数",
        "65.66",
        "≥ 90%",
    ]


def test_prose_line_is_one_cell():
    assert texts("本单位严格执行预算 加强绩效管理") == ["本单位严格执行预算 加强绩效管理"]


def test_traditional_keys_read_like_simplified():
    (cell,) = layout.cells(["預算執行率"])
    assert cell.text == "預算執行率" and cell.key == "预算执行率"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("衛(wèi)生健康局", "卫生健康局"),
        ("項（xiàng）目", "项目"),
        ("预算数(A)", "预算数(A)"),
        ("得分(b)", "得分(b)"),
    ],
)
def test_pinyin_a_site_added_is_not_part_of_the_key(text, key):
    from loaders.vocab import key_of

    assert key_of(text) == key
