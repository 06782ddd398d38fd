"""Literals inside Excel formulas, written one way for every workbook: a Decimal as a number literal (no
exponent, no trailing zeros) and a text as a quoted string (quotes doubled)."""

from __future__ import annotations

from decimal import Decimal


def number(value: Decimal) -> str:
    """A Decimal as a formula literal: 0.25, 2, 100 (never 1E+2)."""
    return format(value.normalize(), "f")


def text(value: str) -> str:
    """A string literal inside a formula."""
    return '"' + value.replace('"', '""') + '"'
