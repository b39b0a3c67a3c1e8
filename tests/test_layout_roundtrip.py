"""loaders.layout reads back what synth.layouts printed: every layout class, wrapped, paged, traditional.

For form-like tables (synth.layouts.sample_table, fixed seeds) rendered in each layout class, the
stage must give back what the text holds in principle:
- the non-empty cells' texts in order (wrapped pieces joined; traditional text as printed, its key
  simplified, every form word keyed like its simplified form);
- each cell's source lines inside its row's lines;
- the rows, where the layout keeps them (one row per line, tab-led cell lines, and blank-line runs
  of two lengths in cell_lines_bare), and the columns where it keeps them;
- the printed empty cells of pipe_end;
- no page marker as a cell, and a cell a page marker cut joined again;
- for glued text, exactly the cells synth.layouts.glued_recoverable says a reader can cut out
  without the form's arithmetic (decimal places unknown): a run of figures that needs it stays one
  cell, for solve.read_funds.

What is not recoverable in principle is stated where the test allows it: a "3、" page prefix
outside glued text reads like a list number (it may stay on its cell, or be a cell of its own).
"""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders import layout
from loaders.vocab import key_of
from synth import layouts as lay

SEEDS = range(30)
WRAP_WIDTH = 10
NO_SPACES = (lay.SINGLE_SPACED, lay.FLAT_LINE, lay.GLUED)  # glued text squeezes its spaces out
# Layouts whose rows the text shows (one row per line, or tab-led cell lines with a blank line).
KEEPS_ROWS = frozenset({lay.TAB, lay.SPACED, lay.SINGLE_SPACED, lay.PIPE_ROW, lay.MARKDOWN})
# cell_lines_bare prints no row ends; the blank-line runs and the header's width tell them
KEEPS_ROWS |= {lay.CELL_LINES_TAB, lay.CELL_LINES_BARE}
KEEPS_COLUMNS = frozenset({lay.TAB, lay.CELL_LINES_TAB, lay.PIPE_ROW, lay.MARKDOWN})

OPTIONS = {
    "plain": {},
    "wrapped": {"wrap_width": WRAP_WIDTH},
    "dash_pages": {"page_breaks": 2, "page_style": lay.PAGE_DASH},
    "page_of": {"page_breaks": 2, "page_style": lay.PAGE_OF},
    "prefix_pages": {"page_breaks": 2, "page_style": lay.PAGE_PREFIX},
    "traditional": {"traditional": True},
    "all": {"wrap_width": WRAP_WIDTH, "page_breaks": 2, "traditional": True},
}
CASES = [
    (name, option)
    for name in lay.LAYOUTS
    for option, options in OPTIONS.items()
    if "wrap_width" not in options or name in lay.WRAPPING_LAYOUTS
]


def _render(name: str, option: str, seed: int) -> lay.Rendered | None:
    table = lay.sample_table(
        random.Random(f"layout:{seed}"), 2 + seed % 7, inner_spaces=name not in NO_SPACES
    )
    options = dict(OPTIONS[option])
    if options.get("page_breaks") and "page_style" not in options:
        options["page_style"] = lay.PAGE_STYLES[seed % len(lay.PAGE_STYLES)]
    try:
        return lay.render(table, name, random.Random(seed), **options)
    except ValueError:  # a table too small for two page breaks
        return None


def _lines(rendered: lay.Rendered) -> list[str]:
    return rendered.text[:-1].split("\n")


def _simplified_key(text: str) -> str:
    return key_of(lay.to_simplified(text))


def _squeezed(text: str) -> str:
    return re.sub(r"\s", "", text)


def _marker_pages(rendered: lay.Rendered) -> dict[int, str]:
    """Line -> the '3、' prefix a prefix-style page marker put at its start."""
    lines = _lines(rendered)
    out = {}
    for n in rendered.marker_lines:
        m = re.match(r"\d+、", lines[n - 1])
        if m:
            out[n] = m.group()
    return out


def _same_text(got: layout.Cell, want: str, wrapped: bool, prefix: str | None) -> bool:
    """The cell reads as printed; a wrapped cell's pieces joined (white space between them may go);
    a '3、' page prefix may stay where it reads like a list number."""
    texts = {want, prefix + want} if prefix else {want}
    if got.text in texts:
        return True
    return wrapped and _squeezed(got.text) in {_squeezed(t) for t in texts}


# ---------------------------------------------------------------- every layout but glued


def _problems(rendered: lay.Rendered, option: str) -> list[str]:
    name = rendered.layout
    lines = _lines(rendered)
    got = list(layout.cells(lines))
    prefixes = _marker_pages(rendered)
    width = OPTIONS[option].get("wrap_width")
    problems: list[str] = []

    # A prefix page marker outside glued text may be a cell of its own ("3、" before a tab or an
    # empty pipe_end cell): allowed on its marker line only, and taken out here.
    def prefix_cell(c: layout.Cell) -> bool:
        return c.text.rstrip() in prefixes.values() and prefixes.get(c.line) == c.text.rstrip()

    keep_empty = name == lay.PIPE_END
    cells = [c for c in got if (c.text or keep_empty) and not prefix_cell(c)]
    want = [
        (i, j, text)
        for i, row in enumerate(rendered.rows)
        for j, text in enumerate(row.cells)
        if text or keep_empty
    ]
    if len(cells) != len(want):
        return [
            f"{len(cells)} cells read, {len(want)} printed: "
            f"{[c.text for c in cells]} != {[t for _, _, t in want]}"
        ]
    for c, (i, j, text) in zip(cells, want, strict=True):
        truth = rendered.rows[i]
        wrapped = bool(width) and lay.display_width(text) > width
        prefix = prefixes.get(c.line)
        if not _same_text(c, text, wrapped, prefix):
            problems.append(f"row {i} col {j}: read {c.text!r}, printed {text!r}")
        if text and c.key != key_of(c.text):
            problems.append(f"{c.text!r}: key {c.key!r}")
        if text and layout.is_form_word(_simplified_key(text)) and _squeezed(c.text) == text:
            if c.key != _simplified_key(text):
                problems.append(f"form word {text!r} keyed {c.key!r}, not as simplified")
        if not truth.start_line <= c.line <= c.end <= truth.end_line:
            problems.append(
                f"{text!r} on lines {c.line}-{c.end}, its row on {truth.start_line}-"
                f"{truth.end_line}"
            )
        if name in KEEPS_COLUMNS and c.col != j:
            problems.append(f"{text!r}: column {c.col}, printed in column {j}")
    if name in KEEPS_ROWS:
        for k in range(len(cells) - 1):
            a, b = cells[k], cells[k + 1]
            if (a.row == b.row) != (want[k][0] == want[k + 1][0]):
                problems.append(f"{a.text!r} and {b.text!r}: rows {a.row}, {b.row} read")
    return problems


@pytest.mark.parametrize(("name", "option"), [c for c in CASES if c[0] != lay.GLUED])
def test_every_layout_reads_back(name, option):
    failures = []
    for seed in SEEDS:
        rendered = _render(name, option, seed)
        if rendered is None:
            continue
        problems = _problems(rendered, option)
        if problems:
            failures.append(f"seed {seed}: {problems[:3]}\n{rendered.text}")
    assert not failures, f"{len(failures)} of {len(SEEDS)} tables:\n" + "\n".join(failures[:2])


def test_cell_lines_bare_rows_come_back_from_the_blank_runs_alone():
    # Which blank-run length ends a row is not printed; the header's width tells (_bare_rows).
    for seed in range(100, 300):
        rendered = _render(lay.CELL_LINES_BARE, "traditional" if seed % 2 else "plain", seed)
        assert not _problems(rendered, "plain"), rendered.text


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        # two lengths: the longer ends a row
        ("分值\n得分\n\n10\n9\n\n20\n18", [["分值", "得分"], ["10", "9"], ["20", "18"]]),
        # cells of a row apart too: one blank line inside a row, two between rows
        (
            "项目名称\n\n分值\n\n\n病媒生物预防控制\n\n10\n\n\n疾病预防控制\n10",
            [["项目名称", "分值"], ["病媒生物预防控制", "10"], ["疾病预防控制", "10"]],
        ),
        # prose: no reading makes a table of it, each line is a row of its own
        (
            "一、部门职责\n\n负责全市卫生健康工作。\n组织实施。\n\n二、机构设置",
            [["一、部门职责"], ["负责全市卫生健康工作。"], ["组织实施。"], ["二、机构设置"]],
        ),
        # no blank lines: nothing says where a row ends
        ("总体\n目标\n年度目标", [["总体"], ["目标"], ["年度目标"]]),
    ],
)
def test_one_cell_lines_without_tabs(text, rows):
    assert [[c.text for c in row] for row in layout.rows(text.split("\n"))] == rows


# ---------------------------------------------------------------- glued


def _glued_printed(rendered: lay.Rendered) -> list[list]:
    """[row, text, asked for] of each printed cell: recoverable in principle (glued_recoverable,
    decimal places unknown) and not in a run of figures that needs the arithmetic."""
    truth = [list(r.cells) for r in rendered.rows]
    recoverable = lay.glued_recoverable(truth, decimals_known=False)
    printed = [
        [i, text, ok]
        for i, row in enumerate(truth)
        for text, ok in zip(row, recoverable[i], strict=True)
        if text
    ]
    # A run of glued figures with a boundary only the arithmetic finds stays one cell, for
    # solve.read_funds: none of its cells is asked for.
    k = 0
    while k < len(printed):
        end = k
        while end + 1 < len(printed) and _figures_meet(printed[end][1], printed[end + 1][1]):
            end += 1
        run = printed[k : end + 1]
        if any(
            lay.glued_boundary(a[1], b[1]) != lay.BOUNDARY_MARKED
            for a, b in zip(run, run[1:], strict=False)
        ):
            for cell in run:
                cell[2] = False
        k = end + 1
    return printed


def _glued_problems(rendered: lay.Rendered) -> list[str]:
    got = [c for c in layout.cells(_lines(rendered)) if c.text]
    printed = _glued_printed(rendered)
    whole = "".join(text for _, text, _ in printed)
    read = "".join(c.text for c in got)
    if read != whole:
        return [f"text read {read!r}\n  printed   {whole!r}"]
    starts: dict[int, layout.Cell] = {}
    at = 0
    for c in got:
        starts[at] = c
        at += len(c.text)
    problems = []
    at = 0
    for i, text, ok in printed:
        c = starts.get(at)
        if ok and (c is None or c.text != text):
            problems.append(f"{text!r} is recoverable, read {c.text if c else None!r}")
        if c is not None:
            rows = [r for r in rendered.rows if r.start_line <= c.line]
            if not rows or c.end > max(r.end_line for r in rendered.rows):
                problems.append(f"{c.text!r} on lines {c.line}-{c.end}")
            if c.text == text and not (
                rendered.rows[i].start_line <= c.line <= c.end <= rendered.rows[i].end_line
            ):
                problems.append(f"{text!r} on lines {c.line}-{c.end}, row {rendered.rows[i]}")
            if text and layout.is_form_word(_simplified_key(text)) and c.text == text:
                if c.key != _simplified_key(text):
                    problems.append(f"form word {text!r} keyed {c.key!r}, not as simplified")
        at += len(text)
    return problems


def _figures_meet(left: str, right: str) -> bool:
    return (left[-1].isdigit() or left.endswith("%")) and right[0].isdigit()


@pytest.mark.parametrize("option", [o for n, o in CASES if n == lay.GLUED])
def test_glued_text_gives_the_cells_a_reader_can_cut_out(option):
    failures = []
    recovered = 0
    for seed in SEEDS:
        rendered = _render(lay.GLUED, option, seed)
        if rendered is None:
            continue
        problems = _glued_problems(rendered)
        if problems:
            failures.append(f"seed {seed}: {problems[:3]}\n{rendered.text}")
        recovered += sum(asked for _, _, asked in _glued_printed(rendered))
    assert not failures, f"{len(failures)} of {len(SEEDS)} tables:\n" + "\n".join(failures[:2])
    assert recovered > 3 * len(SEEDS)  # the tables hold recoverable cells


# A document site's head: long enough, and with words enough, to read as glued text.
HEAD = "单位名称襄阳市中心医院填报日期2022年3月18日项目负责人张三主管部门襄阳市卫生健康委员会"
HEAD_CELLS = ["单位名称", "襄阳市中心医院", "填报日期", "2022年3月18日", "项目负责人", "张三"]
HEAD_CELLS += ["主管部门", "襄阳市卫生健康委员会"]


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        # the funds row as the 零陵区 page glues it: figures that need the arithmetic stay one
        (
            "年度资金总额2456.182456.182456.1810100%10",
            ["年度资金总额", "2456.182456.182456.1810100%10"],
        ),
        # a rate, then the score: a figure ending in % ends its cell
        ("执行率78.42%7.8病媒生物预防控制", ["执行率", "78.42%", "7.8", "病媒生物预防控制"]),
        # a value's unit stays with it; text then a figure, a figure then text are cut
        (
            "数量指标完成体检数5000人4800人1010",
            ["数量指标", "完成体检数", "5000人", "4800人", "1010"],
        ),
        # a name may open with a whole number (a year, an age); a number may label its text
        (
            "项目名称2021年卫生健康人才培养培训其中指标1:培训人次",
            ["项目名称", "2021年卫生健康人才培养培训", "其中", "指标1:培训人次"],
        ),
        # a page marker cut a word: joined again, the marker dropped
        (
            "项目名称病媒生物预防控制年初预\n3、算数1000.00全年预算数\n4、1000.00",
            ["项目名称", "病媒生物预防控制", "年初预算数", "1000.00", "全年预算数", "1000.00"],
        ),
    ],
)
def test_glued_cuts(text, cells):
    read = list(layout.cells((HEAD + text).split("\n")))
    assert [c.text for c in read] == HEAD_CELLS + cells
    assert {c.layout for c in read} == {layout.GLUED}


# ---------------------------------------------------------------- traditional form words


def test_every_form_word_reads_in_traditional_characters():
    from loaders import vocab

    words = {*vocab.GLUED_WORDS, *vocab.SECTION_LABELS, *vocab.LEVEL1_WORDS}
    words |= {*lay.FUNDS_HEADER, *lay.INDICATOR_HEADER, "第3页", "偏差原因", "度量单位", "指标性质"}
    unread = sorted(w for w in words if key_of(lay.to_traditional(w)) != key_of(w))
    assert not unread


@pytest.mark.parametrize("marker", ["第 3 頁", "第3頁", "- 3 -", "第 2 页 共 5 页", "1/5"])
def test_page_numbers_are_no_cells(marker):
    lines = ["项目名称\t病媒生物预防控制", marker, "分值\t10"]
    assert [c.text for c in layout.cells(lines)] == ["项目名称", "病媒生物预防控制", "分值", "10"]


# ---------------------------------------------------------------- any cells, hypothesis

_CELL = st.one_of(
    st.just(""),
    st.sampled_from(["项目名称", "预算数", "执行率", "得分", "产出指标", "疾病预防控制", "10"]),
    st.from_regex(r"[0-9]{1,5}(\.[0-9]{2})?%?", fullmatch=True),
    st.text(alphabet="卫生健康局体检人次（）()ab ", min_size=1, max_size=8).map(str.strip),
)
# Three cells at least: a tab row of two whose first is empty is a tab-led cell line.
_TABLE = st.lists(st.lists(_CELL, min_size=3, max_size=6), min_size=1, max_size=5).filter(
    lambda rows: all(any(row) for row in rows) and all(c.strip() == c for r in rows for c in r)
)


@settings(max_examples=150, deadline=None)
@given(_TABLE, st.sampled_from([lay.TAB, lay.PIPE_ROW, lay.MARKDOWN, lay.PIPE_END]))
def test_any_table_with_separators_reads_back_cell_for_cell(table, name):
    if name == lay.MARKDOWN:  # a markdown row needs its own width
        width = max(map(len, table))
        table = [row + [""] * (width - len(row)) for row in table]
    if any(not any(row) for row in table):
        return
    if name == lay.TAB and not all(any(c[:1].isdigit() for c in row) for row in table[1:]):
        return  # text only under a cell as wide as the table's widest reads as a wrapped cell
    rendered = lay.render(table, name)
    assert not _problems(rendered, "plain")


@pytest.mark.parametrize(
    "text", ["项目", "ab", "（一期）", "≥95%", "", "指标3: 培训人次", "第 3 頁", "65岁以上老"]
)
def test_display_width_counts_columns_as_the_printed_tables_do(text):
    assert layout.display_width(text) == lay.display_width(text)
