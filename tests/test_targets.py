"""Table-driven and property tests for indicator targets and the status rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loaders.targets import parse_actual, parse_target, status


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("≥90%", (">=", 90.0, "%")),
        ("≥27000.00(人)", (">=", 27000.0, "人")),
        ("=100.00 (%)", ("=", 100.0, "%")),
        ("<1.00(次)", ("<", 1.0, "次")),
        (">4次", (">", 4.0, "次")),
        ("不低于98%", (">=", 98.0, "%")),
        ("达90%", (">=", 90.0, "%")),
        ("98%以上", (">=", 98.0, "%")),
        ("10日内", ("<=", 10.0, "日")),
        ("2台", ("=", 2.0, "台")),
        ("≥1000人次", (">=", 1000.0, "人次")),
        ("2021年12月31日前", (None, None, None)),
        ("及时发放到位", (None, None, None)),
        ("", (None, None, None)),
        ("≤5%", ("<=", 5.0, "%")),
    ],
)
def test_parse_target(text, expected):
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    ("target", "actual", "weight", "score", "expected"),
    [
        ("≥95%", "80%", 20, 16, "not_met"),
        ("2台", "2台", 5, 5, "met"),
        ("7个", "6个", 7, 6, "not_met"),
        # the score decides whatever the text says
        ("=19.00(家)", "100", 30, 30, "met"),
        ("≥80%", "80.01%", None, None, "met"),
        ("≥90%", "85%", None, None, "not_met"),
        ("=0.00(%)", "0", None, None, "met"),
        ("=0.00(%)", "1", None, None, "not_met"),
        ("达标", "达成指标", None, None, "met"),
        ("开展", "未开展", None, None, "not_met"),
        ("及时发放到位", "及时发放到位", None, None, "met"),
        ("逐年增长", "", None, None, "unknown"),
        # a bound reported back as printed means it held
        ("<90%", "<90%", None, None, "met"),
        (">40 项", ">40 项", None, None, "met"),
        ("逐年增长", "有待观察", None, None, "unknown"),
    ],
)
def test_status(target, actual, weight, score, expected):
    assert status(target, actual, weight, score) == expected


def test_declaration_is_target_only():
    assert status("21名", None, declaration=True) == "target_only"


def test_parse_actual():
    assert parse_actual("80.01%") == 80.01
    assert parse_actual("45739") == 45739.0
    assert parse_actual("2020年12月31日") is None


@given(st.sampled_from(["≥", "≤", ">", "<", "="]), st.integers(0, 10**6), st.sampled_from(["%", "人", "次", "个"]))
def test_target_roundtrip(op_sign, value, unit):
    ops = {"≥": ">=", "≤": "<=", ">": ">", "<": "<", "=": "="}
    assert parse_target(f"{op_sign}{value}{unit}") == (ops[op_sign], float(value), unit)


@given(st.text(max_size=40))
def test_parsers_never_raise(text):
    parse_target(text)
    parse_actual(text)
    assert status(text, text) in {"met", "not_met", "unknown"}
