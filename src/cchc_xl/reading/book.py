"""A returned workbook as plain data: sheet names and states, cell values, formulas, names, validations.

python-calamine reads the values (fast, every format, cached formula results). openpyxl is used only
for what calamine cannot give and only for .xlsx/.xlsm: formula text, defined names, validations.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import python_calamine
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

_REF = re.compile(r"^(?:'?(?P<sheet>.+?)'?!)?\$?(?P<col>[A-Z]{1,3})\$?(?P<row>\d+)(?::\$?[A-Z]{1,3}\$?\d+)?$")


class BookError(Exception):
    """The file could not be parsed as a spreadsheet."""


@dataclass
class Book:
    path: Path
    fmt: str
    sheet_names: list[str]
    visibility: dict[str, str]
    values: dict[str, list[list[Any]]]
    formulas: dict[str, dict[tuple[int, int], str]] | None = None
    names: dict[str, tuple[str, int, int]] | None = None
    validations: dict[str, set[tuple[str, str]]] | None = None
    has_formulas: bool = field(default=False)

    def value(self, sheet: str, row: int, col: int) -> Any:
        rows = self.values.get(sheet)
        if rows is None or row >= len(rows) or col >= len(rows[row]):
            return None
        v = rows[row][col]
        if isinstance(v, str):
            v = unicodedata.normalize("NFC", v)
            return v if v != "" else None
        return v

    def formula(self, sheet: str, row: int, col: int) -> str | None:
        if self.formulas is None:
            return None
        return self.formulas.get(sheet, {}).get((row, col))


def read_book(path: Path, fmt: str) -> Book:
    try:
        cal = python_calamine.CalamineWorkbook.from_path(str(path))
        visibility = {m.name: str(m.visible).split(".")[-1].lower() for m in cal.sheets_metadata}
        values = {name: cal.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in cal.sheet_names}
        names_nfc = [unicodedata.normalize("NFC", n) for n in cal.sheet_names]
        values = {unicodedata.normalize("NFC", k): v for k, v in values.items()}
        visibility = {unicodedata.normalize("NFC", k): v for k, v in visibility.items()}
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise BookError(str(exc)) from exc
    book = Book(path=path, fmt=fmt, sheet_names=names_nfc, visibility=visibility, values=values)
    if fmt == "xlsx":
        _read_structure(book)
    return book


def _read_structure(book: Book) -> None:
    try:
        wb = openpyxl.load_workbook(book.path, data_only=False, keep_links=False, keep_vba=False, rich_text=False)
    except Exception as exc:  # openpyxl raises many types on malformed parts
        raise BookError(str(exc)) from exc
    book.has_formulas = True
    book.formulas, book.validations, book.names = {}, {}, {}
    for ws in wb.worksheets:
        name = unicodedata.normalize("NFC", ws.title)
        formulas: dict[tuple[int, int], str] = {}
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    text = cell.value if isinstance(cell.value, str) else getattr(cell.value, "text", "")
                    formulas[(cell.row - 1, cell.column - 1)] = (text or "").removeprefix("=")
        book.formulas[name] = formulas
        book.validations[name] = {
            (str(dv.sqref), f"{dv.type}|{(dv.formula1 or '')}") for dv in ws.data_validations.dataValidation}
    for name, dn in wb.defined_names.items():
        m = _REF.match(dn.attr_text or "")
        if m and m.group("sheet"):
            sheet = unicodedata.normalize("NFC", m.group("sheet").replace("''", "'"))
            book.names[name] = (sheet, int(m.group("row")) - 1, column_index_from_string(m.group("col")) - 1)


def parse_cell_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


__all__ = ["Book", "BookError", "coordinate_from_string", "parse_cell_date", "read_book"]
