"""Decimal points: parsing, rounding and formatting exactly as the workbook does.

Excel and LibreOffice round half away from zero on the decimal value (ROUND(1.005, 2) = 1.01), so all
points are Decimals and rounding is ROUND_HALF_UP on them; floats never carry a score.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

CENT = Decimal("0.01")

_TEXT_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


def round2(value: Decimal) -> Decimal:
    """ROUND(value, 2) as Excel computes it on the decimal value."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# Points, counts and figures here are small numbers. A value past these bounds (NaN, ±1E+400, a number of
# thousands of digits) is no input but a cell finding: it never reaches Decimal arithmetic or formatting,
# where it would raise or take unbounded time (documented in the district guide).
MAX_MAGNITUDE = Decimal(10) ** 15  # what a spreadsheet cell holds exactly (15 significant digits)
MAX_DIGITS = 30  # digits of a number typed as text (or in a criteria file) before it is read as one


class NumberRangeError(TypeError, ValueError):
    """A cell value that is a number, but not one this program can use (not finite, or too large)."""


def to_decimal(value: object) -> Decimal:
    """A Decimal from an int, a Decimal or a float cell value (floats via their shortest repr);
    NumberRangeError for NaN, infinities and magnitudes of MAX_MAGNITUDE or more."""
    if isinstance(value, bool):
        raise TypeError("bool is not a number here")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        if abs(value) >= MAX_MAGNITUDE:
            raise NumberRangeError("too large")
        return Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise NumberRangeError("not finite")
        # A spreadsheet holds 15 significant digits; repr gives the shortest round-tripping text,
        # so 0.1 typed in Excel comes back as Decimal("0.1"), not its binary expansion.
        number = Decimal(repr(value))
    else:
        raise TypeError(f"not a number: {value!r}")
    if not number.is_finite() or abs(number) >= MAX_MAGNITUDE:
        raise NumberRangeError("not finite or too large")
    return plain(number) if isinstance(value, float) else number


def shown_number(value: object) -> str:
    """A cell value that is no usable number, as a finding shows it: 'NaN', '∞', '1e+400', '≥1E+15'."""
    if isinstance(value, float):
        if value != value:
            return "NaN"
        return ("-∞" if value < 0 else "∞") if math.isinf(value) else f"{value:.6g}"
    if isinstance(value, int) and not isinstance(value, bool):
        # (str() of an int of more than 4,300 digits raises; its size is enough)
        return str(value) if value.bit_length() < 128 else ("-" if value < 0 else "") + "≥1E+15"
    return str(value)[:40]


def plain(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent form: 100.0 -> 100, 2.50 -> 2.5."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def cell_float(value: Decimal) -> Decimal:
    """The value a spreadsheet keeps for a decimal: 15 significant digits."""
    with localcontext() as ctx:
        ctx.prec = 15
        return +value


def parse_text_number(text: str) -> Decimal | None:
    """'0,5', '0.5', ' 1 ' -> Decimal; anything else (including '1 000' or '1 5') -> None.

    A single separator is taken as the decimal separator, whether ',' (Vietnamese Windows) or '.'.
    Thousands separators are not accepted: points and counts here are small numbers, and '1.000'
    would be ambiguous.
    """
    s = text.strip()  # the ends only (str.strip also removes non-breaking spaces); '1 000' is not a number
    if not s or len(s) > MAX_DIGITS + 2 or not _TEXT_NUMBER.match(s):
        return None
    try:
        return Decimal(s.replace(",", "."))
    except InvalidOperation:
        return None


def fmt(value: Decimal | int | None) -> str:
    """Points as Vietnamese readers write them: '1,25', '2', '0,5'."""
    if value is None:
        return ""
    d = Decimal(value)
    text = format(d.normalize(), "f") if d != d.to_integral_value() else str(int(d))
    return text.replace(".", ",")


def is_multiple(value: Decimal, step: Decimal) -> bool:
    return step == 0 or (value / step) == (value / step).to_integral_value()


def json_number(value: Decimal | None) -> float | int | None:
    """A JSON number with at most two decimals."""
    if value is None:
        return None
    d = round2(value)
    return int(d) if d == d.to_integral_value() else float(d)
