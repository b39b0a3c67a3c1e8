"""loaders.pages: positioned cells of paged documents become tab-separated text and geometry."""

from __future__ import annotations

from loaders.pages import Page, PageCell, tabulate


def test_rows_become_tab_lines_with_their_boxes_and_a_blank_line_between_pages():
    rows = [
        [PageCell("项目名称", 1, (10, 20, 60, 30)), PageCell("体检\n补助", 1, (70, 20, 120, 40))],
        [
            PageCell("年度资金总额", 1, (10, 50, 60, 60)),
            PageCell("400.00", 1, (70, 50, 90, 60), 0.91),
        ],
        [PageCell("一级指标", 2, (12, 15, 58, 25))],
    ]
    text, geometry = tabulate(rows, [Page(1, 595, 842), Page(2, 595, 842)])
    assert text == "项目名称\t体检 补助\n年度资金总额\t400.00\n\n一级指标\n"
    assert geometry.lines[1].box == (10, 20, 120, 40)
    assert geometry.lines[2].confidence == 0.91
    assert geometry.lines[4].page == 2 and 3 not in geometry.lines
    assert geometry.locate(1, 2) == (1, (10, 20, 120, 60))
    # a row spanning a page break is located on its first page only
    assert geometry.locate(2, 4) == (1, (10, 50, 90, 60))
    assert geometry.locate(3) is None


def test_empty_rows_are_skipped():
    text, geometry = tabulate([[], [PageCell("合计", 1, (0, 0, 1, 1))]])
    assert text == "合计\n" and list(geometry.lines) == [1]
