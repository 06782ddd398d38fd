"""Read a commune's declared inputs (by defined names, or by criterion code when a re-save lost them)
and validate them: numbers typed as text, range, step, levels, figures, evidence register rows."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.importing.findings import Findings
from cchc_xl.numbers import NumberRangeError, parse_text_number, shown_number, to_decimal
from cchc_xl.reading.book import Book, parse_reference
from cchc_xl.records import CellRef, RegisterRow
from cchc_xl.scoring import LeafInput, Raw, trimmed_text
from cchc_xl.templates import template
from cchc_xl.workbook.layout import REGISTER_FIELDS, Declared, Layout, register_columns

_NUMBER_SHAPE = re.compile(r"^\d+[A-Z]?(/\d{4})?/[A-ZĐ][A-ZĐ0-9]*(-[A-ZĐ0-9]+)*$")
_DATE_TEXT = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass
class Declarations:
    """What the commune declared, as typed (raw) and as understood (numbers parsed from text)."""

    raw: Declared
    parsed: dict[str, LeafInput]
    register: list[RegisterRow]


class CellLocator:
    """Finds input cells: at the layout's place of each defined name when the file kept its names, else by
    the criterion code in column A (a re-save that lost them)."""

    def __init__(self, book: Book, layout: Layout, found: Findings):
        self.book, self.layout = book, layout
        self.grid = layout.sheets["grid"]
        self.by_name = book.names is not None and any(n.startswith("TDG_") for n in book.names)
        if book.names is not None and not self.by_name:
            found.add("names.lost")
        self.code_rows: dict[str, int] = {}
        if not self.by_name:
            for i, row in enumerate(book.values.get(self.grid, [])):
                if row and isinstance(row[0], str | float | int):
                    self.code_rows.setdefault(nfc(str(row[0]).strip()), i)

    def cell(self, name: str, code: str, ref_col: int, layout_row: int) -> tuple[str, int, int] | None:
        if self.by_name:
            # Where the layout put the name, never where the file's own name points (check_names reports
            # a name that was moved): the value Excel shows is the value read.
            return parse_reference(self.layout.names.get(name, ""))
        row = self.code_rows.get(code)
        return None if row is None else (self.grid, row, ref_col)


class OutOfRange(str):
    """A number in a cell that is none this program can use (NaN, ±1E+400…), kept as its shown text: it
    reads as text that is no number, and is reported as number.out_of_range."""


def raw_value(value: Any) -> Raw:
    """A cell's value as typed: a number as Decimal, a text NFC and trimmed (None when blank)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return to_decimal(value)
        except NumberRangeError:
            return OutOfRange(shown_number(value))
    if isinstance(value, dt.datetime | dt.date):
        return str(value)
    return nfc(str(value)).strip() or None


def _explanation(value: Any) -> str:
    """An explanation as typed, trimmed; '' exactly when the workbook's status formula finds it blank."""
    raw = value if isinstance(value, str) else raw_value(value)
    return "" if raw is None else trimmed_text(nfc(str(raw)))


def read_declarations(book: Book, cset: CriteriaSet, layout: Layout, found: Findings) -> Declarations:
    locator = CellLocator(book, layout, found)
    cols = template("commune").grid.columns.indices
    raw_inputs: dict[str, LeafInput] = {}
    parsed: dict[str, LeafInput] = {}
    for leaf in cset.commune_leaves():
        refs = layout.leaves[leaf.code]
        key = leaf.name_key

        def get(name: str, col: str, code: str = leaf.code, row: int = refs.row) -> tuple[Raw, str]:
            where = locator.cell(name, code, cols[col], row)
            if where is None:
                return None, ""
            sheet, r, c = where
            value = raw_value(book.value(sheet, r, c))
            # The cell's name is shown only for a typed text (a text number or not a number at all).
            return value, (f"'{sheet}'!{xl_rowcol_to_cell(r, c)}" if isinstance(value, str) else "")

        if not locator.by_name and leaf.code not in locator.code_rows:
            found.add("names.row_missing", criterion=leaf.code, sheet=layout.sheets["grid"])
            continue
        where = locator.cell(f"GT_{key}", leaf.code, cols["explanation"], refs.row)
        expl = _explanation(None if where is None else book.value(*where))
        rule = leaf.rule
        assert rule is not None
        if rule.computed:
            figs_raw, figs = [], []
            for n, col in enumerate(("fig1", "fig2")[: rule.figure_count], start=1):
                value, cell = get(f"KK_{key}_{n}", col)
                figs_raw.append(value)
                figs.append(_understand(value, leaf.code, cell, found, "figures.not_number", n=n))
            raw_inputs[leaf.code] = LeafInput(figures=tuple(figs_raw), explanation=expl)
            parsed[leaf.code] = LeafInput(figures=tuple(figs), explanation=expl)
        else:
            value, cell = get(f"TDG_{key}", "score")
            raw_inputs[leaf.code] = LeafInput(value=value, explanation=expl)
            parsed[leaf.code] = LeafInput(value=_understand(value, leaf.code, cell, found, "score.not_number"),
                                          explanation=expl)
    register_raw, register = _read_register(book, layout)
    raw = Declared(leaves=raw_inputs, register=tuple(register_raw),
                   difficulties=_named_text(book, layout, "KHO_KHAN"),
                   recommendations=_named_text(book, layout, "KIEN_NGHI"))
    return Declarations(raw=raw, parsed=parsed, register=register)


def _named_text(book: Book, layout: Layout, name: str) -> str:
    """The text at the layout's cell of `name` (where the workbook was made to hold it, not where the file's
    names now point)."""
    ref = CellRef.parse(layout.names[name])
    return _text(book.value(ref.sheet, ref.row, ref.col)) if ref else ""


def _text(value: Any) -> str:
    return "" if value is None else nfc(str(value))


def _understand(value: Raw, code: str, cell: str, found: Findings, bad_rule: str, **params: object) -> Raw:
    """A text that reads as a number is accepted with a warning; other text is an error."""
    if not isinstance(value, str):
        return value
    if isinstance(value, OutOfRange):
        found.add("number.out_of_range", criterion=code, cell=cell, got=value)
        return value
    number = parse_text_number(value)
    if number is None:
        found.add(bad_rule, criterion=code, cell=cell, got=value, **params)
        return value
    found.add("score.text_number", criterion=code, cell=cell, got=value, value=number)
    return number


def _read_register(book: Book, layout: Layout) -> tuple[list[tuple[Any, ...]], list[RegisterRow]]:
    return read_register(book, layout.sheets["register"], *layout.register_rows,
                         columns=register_columns(template("commune")))


def read_register(book: Book, name: str, first: int, last: int,
                  columns: dict[str, int]) -> tuple[list[tuple[Any, ...]], list[RegisterRow]]:
    """An evidence register on sheet `name` (its fields in `columns`), 0-based input rows first..last: the
    rows as typed (in `REGISTER_FIELDS` order) and as understood; blank rows skipped."""
    raws: list[tuple[Any, ...]] = []
    rows: list[RegisterRow] = []
    width = max(columns[k] for k in REGISTER_FIELDS) + 1
    # Rows past the sheet's last row read as blank: only the rows the file has are looked at.
    for r in range(first, min(last, len(book.values.get(name, ())) - 1) + 1):
        line = book.row_values(name, r, width)
        cells = [line[columns[k]] for k in REGISTER_FIELDS]
        if all(v in (None, "") for v in cells):
            continue
        while len(raws) < r - first:
            raws.append(())
        raws.append(tuple(_register_raw(v) for v in cells))
        code, number, date, issuer, subject, files = cells
        date_value = date.date() if isinstance(date, dt.datetime) else date if isinstance(date, dt.date) else None
        code_text = _code_text(code)
        rows.append(RegisterRow(
            row=r + 1, cell=CellRef(name, r, columns["code"]).display(), criterion=code_text,
            number=_text(number).strip(),
            date=date_value, date_text="" if date_value or date is None else _text(date).strip(),
            issuer=_text(issuer).strip(), subject=_text(subject).strip(),
            files=[f.strip() for f in re.split(r"[;\n]", _text(files)) if f.strip()]))
    return raws, rows


def _code_text(value: Any) -> str:
    if isinstance(value, float):
        try:
            return format(to_decimal(value), "f")
        except NumberRangeError:
            return shown_number(value)
    return _text(value).strip()


def _register_raw(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return to_decimal(value)
        except NumberRangeError:
            return shown_number(value)
    return None if value in (None, "") else (nfc(value) if isinstance(value, str) else value)


def validate_register(rows: list[RegisterRow], cset: CriteriaSet, received: dt.date, found: Findings,
                      columns: dict[str, int] | None = None) -> None:
    """Each register row's problems, at the cell to change (`columns`: the register's geometry)."""
    cols = columns or register_columns(template("commune"))
    codes = {c.code.casefold() for c in cset.commune_leaves()}
    start, end = cset.window
    for row in rows:
        if row.criterion.casefold() not in codes:
            found.add("register.unknown_code", cell=row.cell, row=row.row, got=row.criterion)
        cell = row.ref.at(cols["number"]).display()
        if not row.number:
            found.add("register.number_missing", cell=cell, row=row.row)
        elif not _NUMBER_SHAPE.match(row.number.upper().replace(" ", "")):
            found.add("register.number_format", cell=cell, row=row.row, got=row.number)
        date_cell = row.ref.at(cols["date"]).display()
        date = row.date
        if date is None and row.date_text:
            date = parse_date_text(row.date_text)
            if date is None:
                found.add("register.date_invalid", cell=date_cell, row=row.row, got=row.date_text)
            else:
                found.add("register.date_text", cell=date_cell, row=row.row, got=row.date_text,
                          value=f"{date:%d/%m/%Y}")
        elif date is None:
            found.add("register.date_missing", cell=date_cell, row=row.row)
        if date is not None:
            if date > received:
                found.add("register.date_after_submission", cell=date_cell, row=row.row, got=f"{date:%d/%m/%Y}",
                          received=f"{received:%d/%m/%Y}")
            elif not start <= date <= end:
                found.add("register.date_outside_year", cell=date_cell, row=row.row, got=f"{date:%d/%m/%Y}",
                          start=f"{start:%d/%m/%Y}", end=f"{end:%d/%m/%Y}")
        if not row.files:
            found.add("register.no_file", cell=row.ref.at(cols["files"]).display(), row=row.row)


def parse_date_text(text: str) -> dt.date | None:
    """dd/mm/yyyy (also with '.' or '-'), as Vietnamese documents write dates."""
    m = _DATE_TEXT.match(text.strip())
    if not m:
        return None
    try:
        return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None


def register_dates(rows: list[RegisterRow]) -> dict[int, dt.date | None]:
    return {r.row: r.date or (parse_date_text(r.date_text) if r.date_text else None) for r in rows}


__all__ = ["Decimal", "Declarations", "parse_date_text", "read_declarations", "validate_register"]
