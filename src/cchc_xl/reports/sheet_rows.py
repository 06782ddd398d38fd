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

import io
import os
from collections.abc import Sequence
from typing import Any

from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.worksheet import Worksheet

SWITCH = "CCHC_XL_FAST_SHEET_ROWS"

Cell = tuple[float | str | None, Any]  # (number, text or None for a blank, XlsxWriter format)


def enabled() -> bool:
    return os.environ.get(SWITCH, "1") != "0"


def write_rows(ws: Worksheet, first_row: int, rows: Sequence[Sequence[Cell]], first_col: int = 0,
               heights: Sequence[float | None] | None = None) -> None:
    """Rows of cells from (first_row, first_col) on: each cell a number, a text or None (blank), in its
    format; `heights`: each row's height (None: the default), as `set_row` sets it. Equivalent to setting
    each row's height and writing each cell with XlsxWriter."""
    fast = enabled() and _sheet_ready(ws, first_row, len(rows))
    names = _Names(first_col)
    for i, cells in enumerate(rows):
        row, height = first_row + i, heights[i] if heights is not None else None
        # The last row goes through XlsxWriter: it stays pending as after XlsxWriter's own writes, so its
        # formats are numbered (and the rows after it flushed) exactly when they would be.
        if fast and i < len(rows) - 1 and _row_ready(ws, cells):
            _fast_row(ws, row, cells, first_col, height, names)
        else:
            _plain_row(ws, row, cells, first_col, height)


class _Names:
    """Column letters and style attributes of one block, worked out once (not once per cell). A format's
    index is taken the first time the format is met, as XlsxWriter would take it writing that cell."""

    def __init__(self, first_col: int):
        self.first_col = first_col
        self.letters: list[str] = []
        self.styles: dict[int, str] = {}
        self.numbers: dict[float, str] = {}  # a number's text (matrix cells repeat a few values), bounded

    def letter(self, j: int) -> str:
        while len(self.letters) <= j:
            self.letters.append(xl_col_to_name(self.first_col + len(self.letters)))
        return self.letters[j]

    def style(self, fmt: Any) -> str:
        if fmt is None:
            return ""
        found = self.styles.get(id(fmt))
        if found is None:
            xf = fmt._get_xf_index()
            found = self.styles[id(fmt)] = f' s="{xf}"' if xf else ""
        return found


def _sheet_ready(ws: Worksheet, first_row: int, count: int) -> bool:
    """Constant-memory mode, the row file open, nothing of these rows written, pending or set."""
    try:
        if not ws.constant_memory or ws.row_data_fh_closed or ws.fh is not ws.row_data_fh:
            return False
        if first_row < ws.previous_row or any(ws.table.get(r) for r in list(ws.table) if r >= first_row):
            return False
        rows = range(first_row, first_row + count)
        return not any(r in rows for r in ws.row_info) and not any(r in rows for r in ws.comments)
    except AttributeError:  # another XlsxWriter: its own way
        return False


def _row_ready(ws: Worksheet, cells: Sequence[Cell]) -> bool:
    """No text XlsxWriter treats apart: empty, long enough to be cut, or rich."""
    for value, _fmt in cells:
        if isinstance(value, str) and (value == "" or len(value) > ws.xls_strmax // 2
                                       or (value.startswith("<r>") and value.endswith("</r>"))):
            return False
    return True


def _fast_row(ws: Worksheet, row: int, cells: Sequence[Cell], first_col: int, height: float | None,
              names: _Names | None = None) -> None:
    names = names or _Names(first_col)
    if row > ws.previous_row:
        ws._write_single_row(row)  # the pending row goes out first, as XlsxWriter's next write would do
    if height is not None:
        ws.set_row(row, height)
    ws._check_dimensions(row, first_col)
    ws._check_dimensions(row, first_col + len(cells) - 1)
    fh = ws.fh
    tag = io.StringIO()
    ws.fh = tag
    try:
        ws._write_row(row, None, ws.row_info.get(row))  # the <row> tag XlsxWriter writes for this row
    finally:
        ws.fh = fh
    r = str(row + 1)
    parts = [tag.getvalue()]
    if len(names.letters) < len(cells):
        names.letter(len(cells) - 1)
    letters, styles, style, numbers = names.letters, names.styles, names.style, names.numbers
    for j, (value, fmt) in enumerate(cells):
        s = styles.get(id(fmt))
        if s is None:
            s = style(fmt)
        ref = letters[j] + r
        if value is None:
            parts.append(f'<c r="{ref}"{s}/>')
        elif isinstance(value, str):
            text = ws._escape_control_characters(value)
            space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
            parts.append(f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{ws._escape_data(text)}</t></is></c>')
        else:
            number = numbers.get(value)
            if number is None:
                number = f"{value:.16G}"
                if value and len(numbers) < 4096:  # (0 and -0 compare equal but print apart: not kept)
                    numbers[value] = number
            parts.append(f'<c r="{ref}"{s}><v>{number}</v></c>')
    parts.append("</row>")
    fh.write("".join(parts))
    ws.previous_row = row + 1  # (the row is out: the table holds nothing of it)


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
