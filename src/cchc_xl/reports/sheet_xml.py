"""The fast path of `sheet_rows.write_rows`: a block of rows written as sheet XML, as XlsxWriter would write
them, straight into a constant-memory worksheet's row file (a country's item matrix is 850,000 cells: one
XlsxWriter call per cell was most of the report's time).

Each cell's XML after its reference (`" s="5"><v>1.5</v></c>`) depends only on its value and format, and a
matrix repeats a few of them per column: it is made once per column and kept (bounded), joined to the next
cell's `<c r="` and its column letter, so a row is its row number joined between pieces. Rows are made a chunk
at a time before anything is written; a row that needs what this path does not do (see `Unusual`) ends the
chunk and is left to the plain path.

XlsxWriter internals used (the tested versions are pinned in pyproject.toml): the row file `fh` of
constant-memory mode, `previous_row` (rows before it are written), `_write_single_row` (writes the pending
row), `_check_dimensions`, `_write_row` (the `<row>` tag), `set_row`, a format's `_get_xf_index`, and the
escapes of `_escape_control_characters` (those of `_escape_data` are made here, the same way). Formats are
numbered when their first cell is made, in the order the plain path numbers them (cell by cell, row by row).
"""

from __future__ import annotations

import io
import math
import operator
from collections.abc import Sequence
from typing import Any

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

CHUNK = 512  # rows made before they are written (the matrix: ~1.5 MB of XML)
# at most about this many characters a chunk: a country's phiếu kết quả rows are 13,000 characters each, and a
# chunk of them joined and encoded whole was 20 MB of fresh memory a time, each page faulted in anew
CHUNK_CHARS = 1 << 18
_PIECES = 2048  # pieces kept per column
_ROW_ONE = '<row r="1"'


class Unusual(Exception):
    """A row this path does not write (the plain path does): a cell without a format, an empty or very long
    text, a rich text, a number that is not a finite float or int."""


def sheet_ready(ws: Worksheet, first_row: int, count: int) -> bool:
    """Constant-memory mode, the row file open, nothing of these rows written, pending or set."""
    if not ws.constant_memory or ws.row_data_fh_closed or ws.fh is not ws.row_data_fh:
        return False
    if first_row < ws.previous_row or any(ws.table.get(r) for r in list(ws.table) if r >= first_row):
        return False
    rows = range(first_row, first_row + count)
    if first_row + count > ws.xls_rowmax:
        return False
    return not any(r in rows for r in ws.row_info) and not any(r in rows for r in ws.comments)


class RowWriter:
    """Writes rows of one block (cells from `first_col` on) as XML. `done`: the rows written so far (the
    plain path takes over from there, whatever happens)."""

    def __init__(self, ws: Worksheet, first_col: int):
        self.ws = ws
        self.first_col = first_col
        self.columns: dict[int, tuple[str, list[_Pieces]]] = {}  # row length -> first cell's opening, pieces
        self.tags: dict[float | None, str] = {}  # row height -> the <row> tag after its number
        self.done = 0

    def write(self, first_row: int, rows: Sequence[Sequence[Any]], heights: Sequence[float | None] | None,
              start: int, stop: int) -> int:
        """Rows start..stop-1 (of `rows`, the block starting at `first_row`), chunk by chunk; returns the index
        of the first row not written (`stop`, or a row this path leaves to the plain one)."""
        ws = self.ws
        self.done = i = start
        while i < stop:
            row0 = first_row + i
            if row0 > ws.previous_row:
                ws._write_single_row(row0)  # the pending row goes out first, as XlsxWriter's next write would do
            parts: list[str] = []
            widest = size = 0
            j, end = i, min(stop, i + CHUNK)
            while j < end:
                cells = rows[j]
                try:
                    part = self.row(first_row + j, cells, heights[j] if heights is not None else None)
                except Unusual:
                    break
                parts.append(part)
                widest = max(widest, len(cells))
                j += 1
                size += len(part)
                if size > CHUNK_CHARS:
                    end = j  # (written now: the chunk's text is not made and encoded in one piece)
            if j == i:
                return i
            last_col = self.first_col + widest - 1
            if last_col >= ws.xls_colmax:
                return i  # (XlsxWriter refuses such cells one by one: the plain path does)
            ws._check_dimensions(row0, self.first_col)
            ws._check_dimensions(first_row + j - 1, last_col)
            ws.fh.write("".join(parts))
            ws.previous_row = first_row + j  # (the rows are out: the table holds nothing of them)
            self.done = i = j
            if j < end:
                return j
        return i

    def row(self, row: int, cells: Sequence[Any], height: float | None) -> str:
        """A row's XML: `<row r="N"…>`, its cells, `</row>`."""
        found = self.columns.get(len(cells))
        if found is None:
            if not cells:
                raise Unusual
            opening = ['<c r="' + xl_col_to_name(self.first_col + k) for k in range(len(cells))]
            found = self.columns[len(cells)] = (opening[0], [_Pieces(self.ws, after)
                                                             for after in [*opening[1:], "</row>"]])
        first, columns = found
        tag = self.tags.get(height)
        if tag is None:
            tag = self.tags[height] = self.row_tag(row, height)
        elif height is not None:
            self.ws.set_row(row, height)
        number = str(row + 1)
        return '<row r="' + number + tag + first + number + number.join(map(operator.getitem, columns, cells))

    def row_tag(self, row: int, height: float | None) -> str:
        """What XlsxWriter writes of the <row> tag after `<row r="N` for a row of this height (taken from
        XlsxWriter itself, for this row's properties)."""
        ws = self.ws
        if height is not None:
            ws.set_row(row, height)
        info = ws.row_info.get(row)
        fh = ws.fh
        tag = io.StringIO()
        ws.fh = tag
        try:
            ws._write_row(0, None, info)  # written as row 0: the same attributes, a known number
        finally:
            ws.fh = fh
        text = tag.getvalue()
        if not text.startswith(_ROW_ONE):
            raise Unusual
        return text[len(_ROW_ONE) - 1:]  # ('">' or '" ht=…>')


class _Pieces(dict[tuple[Any, Any], str]):
    """One column's pieces: (value, format) -> the cell's XML after its reference, then the next cell's opening
    (or the row's end). Made on first use; kept up to `_PIECES`. A zero is never kept there (0.0 and -0.0 are
    one key but XlsxWriter writes them apart): its pieces are kept apart, by format, type and sign (a country's
    item matrix has 85,000 zeros)."""

    def __init__(self, ws: Worksheet, after: str):
        super().__init__()
        self.ws = ws
        self.after = after
        self.zeros: dict[tuple[Any, type, float], str] = {}

    def __missing__(self, cell: tuple[Any, Any]) -> str:
        value, fmt = cell
        kind = type(value)
        if (kind is float or kind is int) and value == 0:
            key = (fmt, kind, math.copysign(1.0, value))
            piece = self.zeros.get(key)
            if piece is None:
                piece = self.zeros[key] = self.piece(value, fmt)
            return piece
        piece = self.piece(value, fmt)
        if len(self) < _PIECES:
            self[cell] = piece
        return piece

    def piece(self, value: Any, fmt: Any) -> str:
        if fmt is None:
            raise Unusual  # (XlsxWriter would apply a row or column format, or skip a blank)
        style = f'" s="{fmt._get_xf_index()}"'
        if value is None:
            piece = style + "/>"
        elif type(value) is str:
            ws = self.ws
            if value == "" or len(value) > ws.xls_strmax // 2 or (value.startswith("<r>") and value.endswith("</r>")):
                raise Unusual
            # XlsxWriter's control-character escapes change nothing in a text without "_x" that is printable
            # but for its newlines (its patterns are "_xHHHH_", characters below U+0020 but tab and newline,
            # U+FFFE and U+FFFF: none is printable); any other text goes through them
            plain = "_x" not in value and (value.isprintable() or value.replace("\n", "").isprintable())
            text = value if plain else ws._escape_control_characters(value)
            # XlsxWriter's _preserve_whitespace (r"^\s" or r"\s$"; \s is str.isspace, and "$" before a final
            # "\n" only adds a case where the last character is whitespace anyway), without a regex scanning the text
            space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
            piece = f'{style} t="inlineStr"><is><t{space}>{_escape_data(text)}</t></is></c>'
        elif type(value) in (float, int) and math.isfinite(value):
            piece = f"{style}><v>{value:.16G}</v></c>"
        else:
            raise Unusual
        return piece + self.after


def _escape_data(text: str) -> str:
    """XlsxWriter's `_escape_data` (`&`, `<`, `>` as entities, in that order), each replacement made only when
    its character is there: XlsxWriter's test is a regular expression that stops at the first newline or
    quote and then replaces all three, which is most of the time of a country's result-card texts (100
    million characters, every one with newlines: 0.18 → 0.01 s)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text
