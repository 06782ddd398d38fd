"""Large blocks of plain cells (numbers, blanks, texts) written as sheet XML rows in one go, for the
ranking workbook's matrix sheets (10,600 communes × 80 items is 850,000 cells: XlsxWriter's per-cell
call costs most of the report's time).

Fast-path machinery on XlsxWriter internals of constant-memory mode (the tested versions are pinned in
pyproject.toml): the rows are written, as XlsxWriter would write them, straight into the worksheet's row
file, and its dimensions and row counter are moved on as its own writes would. The plain path — each cell
through `write_number`/`write_blank`/`write_string` — is taken when the switch `CCHC_XL_FAST_SHEET_ROWS=0`
is set, when the worksheet is not in the expected state, or when a row needs anything else (a row with
its own height or format, a text XlsxWriter would treat as rich text). The file is the same either way
(tests/test_ranking_rows.py compares the packages part by part).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.worksheet import Worksheet

SWITCH = "CCHC_XL_FAST_SHEET_ROWS"

Cell = tuple[float | str | None, Any]  # (number, text or None for a blank, XlsxWriter format)


def enabled() -> bool:
    return os.environ.get(SWITCH, "1") != "0"


def write_rows(ws: Worksheet, first_row: int, rows: Sequence[Sequence[Cell]], first_col: int = 0) -> None:
    """Rows of cells from (first_row, first_col) on: each cell a number, a text or None (blank), in its
    format. Equivalent to writing each cell with XlsxWriter."""
    if len(rows) < 2 or not (enabled() and _fast_possible(ws, first_row, len(rows), rows)):
        _plain(ws, first_row, rows, first_col)
        return
    # The last row goes through XlsxWriter: it stays pending as after XlsxWriter's own writes, so its
    # formats are numbered (and the rows after it flushed) exactly when they would be.
    _fast(ws, first_row, rows[:-1], first_col)
    _plain(ws, first_row + len(rows) - 1, rows[-1:], first_col)


def _fast(ws: Worksheet, first_row: int, rows: Sequence[Sequence[Cell]], first_col: int) -> None:
    last_row = first_row + len(rows) - 1
    last_col = first_col + max(len(r) for r in rows) - 1
    if first_row > ws.previous_row:
        ws._write_single_row(first_row)  # the pending row goes out first, as XlsxWriter's next write would do
    ws._check_dimensions(first_row, first_col)
    ws._check_dimensions(last_row, last_col)
    names = [xl_col_to_name(first_col + j) for j in range(last_col - first_col + 1)]
    write = ws.fh.write
    for i, cells in enumerate(rows):
        r = first_row + i + 1
        parts = [f'<row r="{r}">']
        for j, (value, fmt) in enumerate(cells):
            xf = fmt._get_xf_index() if fmt is not None else 0
            s = f' s="{xf}"' if xf else ""
            ref = f"{names[j]}{r}"
            if value is None:
                parts.append(f'<c r="{ref}"{s}/>')
            elif isinstance(value, str):
                text = ws._escape_control_characters(value)
                space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
                parts.append(f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{ws._escape_data(text)}</t></is></c>')
            else:
                parts.append(f'<c r="{ref}"{s}><v>{value:.16G}</v></c>')
        parts.append("</row>")
        write("".join(parts))
    ws.previous_row = last_row + 1  # (the rows are out: the table holds nothing of them)


def _fast_possible(ws: Worksheet, first_row: int, count: int, rows: Sequence[Sequence[Cell]]) -> bool:
    """Constant-memory mode, nothing of these rows written or pending, no row settings, no rich texts."""
    try:
        if not ws.constant_memory or ws.row_data_fh_closed or ws.fh is not ws.row_data_fh:
            return False
        if first_row < ws.previous_row:
            return False
        if ws.table and any(ws.table.get(r) for r in ws.table if r >= first_row):
            return False
        if any(first_row <= r < first_row + count for r in ws.row_info):
            return False
        if any(first_row <= r < first_row + count for r in ws.comments):
            return False
    except AttributeError:  # another XlsxWriter: its own way
        return False
    for cells in rows:
        for value, _fmt in cells:
            if isinstance(value, str) and value.startswith("<r>") and value.endswith("</r>"):
                return False
    return True


def _plain(ws: Worksheet, first_row: int, rows: Sequence[Sequence[Cell]], first_col: int) -> None:
    for i, cells in enumerate(rows):
        for j, (value, fmt) in enumerate(cells):
            row, col = first_row + i, first_col + j
            if value is None:
                ws.write_blank(row, col, None, fmt)
            elif isinstance(value, str):
                ws.write_string(row, col, value, fmt)
            else:
                ws.write_number(row, col, value, fmt)
