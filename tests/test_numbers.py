"""Table-driven and property tests for the number normalisers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loaders.numbers import first_number, is_overflow, parse_amount, parse_rate, to_wan


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2, 306. 00", 2306.0),
        ("69, 913. 34", 69913.34),
        ("191. 60", 191.6),
        ("2,202.80", 2202.8),
        ("１２３", 123.0),
        ("１２３．５", 123.5),
        ("25591.99949", 25591.99949),
        ("0.00", 0.0),
        ("-12.5", -12.5),
        ("—", None),
        ("－", None),
        ("-", None),
        ("/", None),
        ("", None),
        ("#####", None),
        ("约40万元", None),
        ("已完成", None),
        ("12139400", 12139400.0),
        ("300万元", 300.0),
    ],
)
def test_parse_amount(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    ("text", "computed", "expected"),
    [
        ("92.25%", None, 92.25),
        ("100.00", None, 100.0),
        ("0.83", None, 83.0),
        ("1.00", 100.0, 100.0),
        ("131.12%", None, 131.12),
        ("97%", None, 97.0),
        ("0.30", 29.86, 30.0),
        ("—", None, None),
        ("#####", None, None),
    ],
)
def test_parse_rate(text, computed, expected):
    assert parse_rate(text, computed) == pytest.approx(expected) if expected is not None else parse_rate(text, computed) is None


def test_overflow_and_units():
    assert is_overflow("#####") and is_overflow(" ###### ") and not is_overflow("#1")
    assert to_wan(1681535.0, "元") == pytest.approx(168.1535)
    assert to_wan(12.5, "万元") == 12.5
    with pytest.raises(ValueError):
        to_wan(1.0, "美元")
    assert first_number("全人群建档率98.01%；重点人群建档率100%") == 98.01
    assert first_number("无") is None


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_amount_roundtrip_with_separators_and_ocr_spaces(value):
    text = f"{value:,.2f}"
    assert parse_amount(text) == pytest.approx(float(value))
    assert parse_amount(text.replace(",", ", ").replace(".", ". ")) == pytest.approx(float(value))
    full = text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    assert parse_amount(full) == pytest.approx(float(value))


@given(st.text(max_size=30))
def test_parse_amount_never_raises(text):
    result = parse_amount(text)
    assert result is None or isinstance(result, float)
