"""XlsxWriter's preparation of a formula, remembered: a fast path for every writer.

XlsxWriter runs some thirty regular expressions over each formula it writes (prefixing newer functions
with `_xlfn.`). The result depends on the text alone, and the workbooks of one set hold the same formulas
cell for cell, so after a round's first workbook nearly every formula is a hit (the council's workbooks:
half their CPU was these expressions).

`Worksheet._prepare_formula` is private API (XlsxWriter is pinned to its tested minor version in
pyproject.toml). The memo gives the original's answer, computed by the original; it is bounded (cleared
when full) so a long run keeps memory flat; any exception falls back to the original; and
`CCHC_XL_FAST_FORMULAS=0` turns it off.

`_write_formula` first searches each formula for newer dynamic-array functions (one more expression, about
2 ms a council workbook): a formula once seen to have none and no array braces goes straight to the
original's remaining steps (its cell stored as the original stores it); any other goes to the original.
"""

from __future__ import annotations

import os
from typing import Any

from xlsxwriter.worksheet import CellFormulaTuple, Worksheet, re_dynamic_function

SWITCH = "CCHC_XL_FAST_FORMULAS"
_BOUND = 16384
_MEMO: dict[tuple[str, bool, bool], str] = {}  # a pure function's answers: shared by every workbook
_PLAIN: set[str] = set()  # formulas with no dynamic-array function and no array braces


class MemoWorksheet(Worksheet):
    """A worksheet whose formula preparation is remembered across workbooks."""

    def _prepare_formula(self, formula: Any, expand_future_functions: bool = False) -> Any:
        try:
            key = (formula, bool(expand_future_functions), bool(self.use_future_functions))
            found = _MEMO.get(key)
            if found is None:
                if len(_MEMO) >= _BOUND:
                    _MEMO.clear()
                found = _MEMO[key] = super()._prepare_formula(formula, expand_future_functions)
            return found
        except Exception:  # an unhashable or odd argument: the original decides, as without the memo
            return super()._prepare_formula(formula, expand_future_functions)

    def _write_formula(self, row: int, col: int, formula: Any, cell_format: Any = None, value: Any = 0) -> Any:
        if type(formula) is str and formula in _PLAIN and not self.constant_memory:
            # the original's steps after its searches (worksheet.py, XlsxWriter 3.3)
            if self._check_dimensions(row, col):
                return -1
            self.table[row][col] = CellFormulaTuple(self._prepare_formula(formula), cell_format, value)
            return 0
        done = super()._write_formula(row, col, formula, cell_format, value)
        if done == 0 and type(formula) is str and not re_dynamic_function.search(formula) \
                and not (formula.startswith("{") and formula.endswith("}")):
            if len(_PLAIN) >= _BOUND:
                _PLAIN.clear()
            _PLAIN.add(formula)
        return done


def worksheet_class() -> type[Worksheet]:
    """The class a writer's workbook makes its worksheets of: the memo, or XlsxWriter's own when off."""
    return Worksheet if os.environ.get(SWITCH, "1") == "0" else MemoWorksheet
