"""cchc_xl.numbers: decimal points parsed, rounded and shown exactly as the workbook does."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cchc_xl.numbers import (
    cell_float,
    fmt,
    is_multiple,
    json_number,
    parse_text_number,
    plain,
    round2,
    to_decimal,
)

D = Decimal


# -- round2: ROUND(x, 2) half away from zero on the decimal value ------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.005", "1.01"),  # binary float rounding gives 1.0; Excel and LibreOffice give 1.01
        ("2.675", "2.68"),  # round(2.675, 2) == 2.67 in Python floats
        ("-1.005", "-1.01"),  # away from zero, as Excel
        ("-2.675", "-2.68"),
        ("0.125", "0.13"),
        ("0.135", "0.14"),  # not banker's rounding (would give 0.14 here but 0.12 above)
        ("0.115", "0.12"),
        ("0.004999", "0.00"),
        ("0.005", "0.01"),
        ("1.004", "1.00"),
        ("1.0049999999", "1.00"),
        ("2", "2.00"),
        ("0", "0.00"),
        ("99.995", "100.00"),
        ("1E+2", "100.00"),
    ],
)
def test_round2_is_half_up_on_the_decimal_value(value: str, expected: str) -> None:
    result = round2(D(value))
    assert result == D(expected)
    assert result.as_tuple().exponent == -2, "always exactly two decimals"


def test_round2_differs_from_float_rounding_where_excel_does() -> None:
    assert round(1.005, 2) == 1.0  # the trap round2 avoids
    assert round2(D("1.005")) == D("1.01")


# -- parse_text_number: what a commune types as text -------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0,5", "0.5"),
        ("0.5", "0.5"),
        (" 1 ", "1"),
        ("1,", "1"),
        (",5", "0.5"),
        (".5", "0.5"),
        ("1.", "1"),
        ("12", "12"),
        ("1,25", "1.25"),
        ("\u00a00,25\u00a0", "0.25"),  # non-breaking spaces around, as some Excel locales type
        ("-1,5", "-1.5"),
        ("+2", "2"),
        ("\t3\n", "3"),
    ],
)
def test_parse_text_number_accepts(text: str, expected: str) -> None:
    assert parse_text_number(text) == D(expected)


@pytest.mark.parametrize(
    "text",
    ["1.000,5", "1,000.5", "1.000.000", "1,2,3", "abc", "", "   ", ",", ".", "1e3", "1E+2", "NaN", "Infinity",
     "inf", "0x10", "1/2", "50%", "--1", "1-", "0,5đ", "½"],
)
def test_parse_text_number_rejects(text: str) -> None:
    assert parse_text_number(text) is None


@pytest.mark.parametrize("text", ["1 5", "0 5", "1 000", "1\u00a0000"])
def test_parse_text_number_rejects_inner_spaces(text: str) -> None:
    assert parse_text_number(text) is None


# -- fmt: points as Vietnamese readers write them --------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("1.25"), "1,25"),
        (D("2"), "2"),
        (D("2.00"), "2"),
        (D("0.5"), "0,5"),
        (D("0.50"), "0,5"),
        (D("0.10"), "0,1"),
        (D("-0.5"), "-0,5"),
        (D("100"), "100"),
        (D("1E+2"), "100"),
        (D("12.0"), "12"),
        (D("0"), "0"),
        (D("0.00"), "0"),
        (D("0.01"), "0,01"),
        (3, "3"),
        (None, ""),
    ],
)
def test_fmt(value: Decimal | int | None, expected: str) -> None:
    assert fmt(value) == expected


# -- to_decimal: cell values --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1, "0.1"),  # not 0.1000000000000000055511151231257827…
        (1.005, "1.005"),  # so round2 then gives 1.01 like Excel
        (2.675, "2.675"),
        (0.25, "0.25"),
        (12.0, "12"),
        (100.0, "100"),
        (-0.5, "-0.5"),
        (3, "3"),
        (D("1.50"), "1.50"),
    ],
)
def test_to_decimal(value: object, expected: str) -> None:
    result = to_decimal(value)
    assert isinstance(result, Decimal)
    assert result == D(expected)


@pytest.mark.parametrize(("value", "text"),
                         [(100.0, "100"), (20.0, "20"), (2.5, "2.5"), (0.1, "0.1"), (1e-05, "0.00001")])
def test_to_decimal_of_float_has_no_exponent_form(value: float, text: str) -> None:
    # Decimal("1E+2") equals 100 but shows, serialises and fingerprints differently
    assert str(to_decimal(value)) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [("100.0", "100"), ("1E+2", "100"), ("2.50", "2.5"), ("0.10", "0.1"), ("0", "0"), ("0.00", "0"),
     ("12", "12"),
     ("-1.50", "-1.5")],
)
def test_plain(value: str, text: str) -> None:
    result = plain(D(value))
    assert result == D(value)
    assert str(result) == text


def test_to_decimal_of_float_then_round2_matches_excel() -> None:
    assert round2(to_decimal(1.005)) == D("1.01")
    assert round2(to_decimal(2.675)) == D("2.68")
    assert round2(to_decimal(-1.005)) == D("-1.01")


def test_to_decimal_keeps_a_decimal_as_is() -> None:
    d = D("1.50")
    assert to_decimal(d) is d


@pytest.mark.parametrize("value", [True, False, "1", None, [1]])
def test_to_decimal_refuses_non_numbers(value: object) -> None:
    with pytest.raises(TypeError):
        to_decimal(value)


# -- the small helpers --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [("1", "0.25", True), ("0.75", "0.25", True), ("0.3", "0.25", False), ("1.5", "0.5", True),
     ("1", "0.3", False), ("0", "0.25", True), ("0.37", "0.01", True), ("0.375", "0.01", False),
     ("2", "0", True)],
)
def test_is_multiple(value: str, step: str, expected: bool) -> None:
    assert is_multiple(D(value), D(step)) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(D("81.25"), 81.25), (D("80"), 80), (D("80.00"), 80), (D("1.005"), 1.01), (None, None), (D("0"), 0)],
)
def test_json_number_has_at_most_two_decimals(value: Decimal | None, expected: float | int | None) -> None:
    result = json_number(value)
    assert result == expected
    assert type(result) is type(expected)


def test_cell_float_keeps_15_significant_digits() -> None:
    assert cell_float(D("0.1234567890123456789")) == D("0.123456789012346")
    assert cell_float(D("1.005")) == D("1.005")
