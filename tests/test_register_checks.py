"""One ordered list of checks of an evidence register row (`workbook.layout.REGISTER_CHECKS`) makes both the
check column's formula and `register_check`, and names the cell each check marks.

The check formula, as the commune workbook and the answer workbook hold it, is evaluated by the test
evaluator (tests/criteria_tables.py) on hypothesis-drawn rows — a code of the set (in any case), unknown
or blank; a number and a file name written, blank, or of spaces and invisible characters — and must show
the text `register_check` gives. The agreement through LibreOffice is tests/test_workbook_engine.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xlsxwriter.utility import xl_rowcol_to_cell

from cchc_xl.templates import template
from cchc_xl.workbook.layout import (
    REGISTER_CHECKS,
    REGISTER_FIELDS,
    register_check,
    register_check_formula,
    register_columns,
)
from conftest import examples
from criteria_tables import Cell, every_kind_set, excel_eval

T = template("commune")
TEXTS = T["register"]["check"]
COLS = register_columns(T)
ROW = 4
CODES = [leaf.code for leaf in every_kind_set().commune_leaves()]
PROPS = settings(max_examples=examples(400, 60), deadline=None, suppress_health_check=list(HealthCheck))

CODE = st.one_of(st.none(), st.sampled_from(["", "9.9", "1.1.", " 1.1", *CODES, *(c.upper() for c in CODES)]))
TEXT = st.sampled_from([None, "", " ", "\u00a0", "\u200b\t", "\n", "01/KH-UBND", "tep.pdf", " x "])


def sheet_check(raw: tuple[Cell, ...]) -> str:
    """What the check cell shows for the row as typed, its formula evaluated as the sheet does."""
    formula = register_check_formula(ROW, COLS, "CODES", TEXTS)
    env: dict[str, Any] = {xl_rowcol_to_cell(ROW, COLS[key]): value
                              for key, value in zip(REGISTER_FIELDS, raw, strict=True)}
    env["CODES"] = tuple(CODES)
    shown = excel_eval(formula, env)
    assert isinstance(shown, str)
    return shown


def python_check(raw: tuple[Cell, ...]) -> str:
    return register_check(raw, {c.casefold() for c in CODES}, TEXTS)


def row(code: Cell, number: Cell, files: Cell) -> tuple[Cell, ...]:
    fields = {"code": code, "number": number, "date": None, "issuer": "UBND xã", "subject": "Trích yếu",
              "files": files}
    return tuple(fields[key] for key in REGISTER_FIELDS)


def test_the_check_formula_shows_the_python_check() -> None:
    seen: set[str] = set()

    @PROPS
    @given(CODE, TEXT, TEXT)
    def agree(code: Cell, number: Cell, files: Cell) -> None:
        raw = row(code, number, files)
        want = python_check(raw)
        assert sheet_check(raw) == want, raw
        seen.add(want)

    agree()
    assert seen == {"", *TEXTS.values()}, seen  # every check reached, and rows that pass


# (code, number, files) -> the check's key ("" where the row passes or is not checked)
HAND = [
    (None, None, None, ""),
    ("", "01/KH-UBND", "tep.pdf", ""),
    ("9.9", None, None, "unknown_code"),
    (CODES[0], "01/KH-UBND", None, "no_file"),
    (CODES[0], None, "\u00a0", "no_file"),
    (CODES[0].upper(), " ", "tep.pdf", "no_number"),
    (CODES[0], "01/KH-UBND", "tep.pdf", ""),
]


@pytest.mark.parametrize(("code", "number", "files", "key"), HAND)
def test_each_check_by_hand(code: Cell, number: Cell, files: Cell, key: str) -> None:
    raw = row(code, number, files)
    want = TEXTS[key] if key else ""
    assert python_check(raw) == want
    assert sheet_check(raw) == want


def test_a_short_row_is_a_row_of_blanks() -> None:
    assert register_check((CODES[0],), {CODES[0].casefold()}, TEXTS) == TEXTS["no_file"]
    assert register_check((), set(), TEXTS) == ""


def test_every_check_has_a_text_and_marks_an_input_column() -> None:
    answer = template("answer")
    for t in (T, answer):
        inputs = t["register"].columns.inputs
        for check in REGISTER_CHECKS:
            assert check.key in t["register"]["check"], check.key
            assert check.field in inputs, check.field
    assert len({check.key for check in REGISTER_CHECKS}) == len(REGISTER_CHECKS)
