"""Large blocks of plain cells (numbers, blanks, texts) for the ranking workbook's matrix sheets: each cell
through XlsxWriter (the plain path), or the block written as sheet XML rows in one go by `sheet_xml` (the
fast path: 10,600 communes × 80 items is 850,000 cells, and XlsxWriter's per-cell call cost most of the
report's time).

The fast path is taken unless the switch `CCHC_XL_FAST_SHEET_ROWS=0` is set; it needs the worksheet in
XlsxWriter's constant-memory mode with nothing yet written in the block's rows, leaves to the plain path any
row it does not write as XlsxWriter would (`sheet_xml.Unusual`), and on any exception the plain path writes
the rest of the block. The last row of a block always goes through XlsxWriter: it stays pending as after
XlsxWriter's own writes, so its formats are numbered (and the rows after it flushed) exactly when they would
be. The file is the same either way (tests/test_ranking_rows.py compares the packages part by part, and the
workbooks read back).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from xlsxwriter.worksheet import Worksheet

from cchc_xl.reports import sheet_xml

SWITCH = "CCHC_XL_FAST_SHEET_ROWS"

# (number, text or None for a blank, XlsxWriter format); numbers as float or int (a Decimal would be written
# as the float of the same value if one was met before)
Cell = tuple[float | str | None, Any]

_log = logging.getLogger(__name__)


def enabled() -> bool:
    return os.environ.get(SWITCH, "1") != "0"


def write_rows(ws: Worksheet, first_row: int, rows: Sequence[Sequence[Cell]], first_col: int = 0,
               heights: Sequence[float | None] | None = None) -> None:
    """Rows of cells from (first_row, first_col) on: each cell a number, a text or None (blank), in its
    format; `heights`: each row's height (None: the default), as `set_row` sets it. Equivalent to setting
    each row's height and writing each cell with XlsxWriter."""
    i, last = 0, len(rows) - 1
    fast = None
    if enabled():
        try:
            fast = sheet_xml.RowWriter(ws, first_col) if sheet_xml.sheet_ready(ws, first_row, len(rows)) else None
        except Exception:  # another XlsxWriter: its own way
            _log.debug("sheet rows: the plain path", exc_info=True)
    while i <= last:
        if fast is not None and i < last:
            try:
                i = fast.write(first_row, rows, heights, i, last)
            except Exception:  # anything unforeseen: the plain path writes the rest of the block
                _log.debug("sheet rows: the plain path from row %d", first_row + fast.done, exc_info=True)
                i, fast = fast.done, None
                continue
        _plain_row(ws, first_row + i, rows[i], first_col, heights[i] if heights is not None else None)
        i += 1


def _plain_row(ws: Worksheet, row: int, cells: Sequence[Cell], first_col: int, height: float | None) -> None:
    if height is not None:
        ws.set_row(row, height)
    for j, (value, fmt) in enumerate(cells):
        col = first_col + j
        if value is None:
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, str):
            ws.write_string(row, col, value, fmt)
        else:
            ws.write_number(row, col, value, fmt)
