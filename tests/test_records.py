"""Typed cell references, and the evidence register read and checked by its columns' names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.importing.findings import Findings
from cchc_xl.importing.inputs import read_declarations, read_register, validate_register
from cchc_xl.reading.book import Book, read_book
from cchc_xl.records import CellRef, Finding
from cchc_xl.settings import Settings
from cchc_xl.workbook.generate import generate_one
from cchc_xl.workbook.layout import Declared, build_layout


@pytest.mark.parametrize(("ref", "text"), [
    (CellRef("Tự đánh giá", 26, 7), "'Tự đánh giá'!H27"),
    (CellRef("Xã Đá'Đỏ", 0, 0), "'Xã Đá''Đỏ'!A1"),
    (CellRef("TLKC", 4, 27), "'TLKC'!AB5"),
])
def test_a_cell_shows_as_design_md_writes_it_and_reads_back(ref: CellRef, text: str) -> None:
    assert ref.display() == text
    assert CellRef.parse(text) == ref
    assert ref.at(1).display() == text[: text.rindex("!") + 1] + "B" + str(ref.row + 1)


@pytest.mark.parametrize("text", ["H27", "'Sheet'!A1:B2", "", "'open!A1", "Sheet!A0"])
def test_what_is_not_one_cell_parses_to_none(text: str) -> None:
    assert CellRef.parse(text) is None


def test_unquoted_and_absolute_references_still_read() -> None:
    assert CellRef.parse("Tổng hợp!$C$4") == CellRef("Tổng hợp", 3, 2)
    assert Finding(severity="info", rule="x", cell="'A'!B2", message="m").ref == CellRef("A", 1, 1)


# A register whose columns are NOT in the bundled order: files first, the code last. The importer must
# read and point at cells by column name, never by position.
COLUMNS = {"files": 0, "subject": 1, "issuer": 2, "date": 3, "number": 4, "code": 5, "check": 6}
ROWS = [  # files        subject     issuer       date                 number   code
    ["", "", "", "", "", "", ""],
    ["", "Trích yếu", "UBND xã", dt.datetime(2024, 3, 1), "", "1.1", ""],
    ["qd-12.pdf", "Kế hoạch", "UBND xã", "31/02/2024", "12/QĐ-UBND", "1.1", ""],
]


def test_register_findings_point_at_the_named_column(bundled_set: CriteriaSet) -> None:
    book = Book(path=Path("x.xlsx"), fmt="xlsx", sheet_names=["TLKC"], visibility={}, values={"TLKC": ROWS})
    _raw, rows = read_register(book, "TLKC", 1, 2, COLUMNS)
    assert [(r.criterion, r.files, r.cell) for r in rows] == [
        ("1.1", [], "'TLKC'!F2"), ("1.1", ["qd-12.pdf"], "'TLKC'!F3")]
    found = Findings()
    validate_register(rows, bundled_set, dt.date(2024, 12, 1), found, COLUMNS)
    at = {(f.rule, f.cell) for f in found.items}
    assert ("register.number_missing", "'TLKC'!E2") in at
    assert ("register.no_file", "'TLKC'!A2") in at
    assert ("register.date_invalid", "'TLKC'!D3") in at


def test_difficulties_and_recommendations_are_read_at_their_named_cells(
        mini_set: CriteriaSet, communes: list[Commune], settings: Settings, tmp_path: Path) -> None:
    declared = Declared(difficulties="Thiếu cán bộ\nKinh phí hạn hẹp", recommendations="=Bổ sung biên chế")
    book_path = generate_one(mini_set, communes[0], tmp_path, settings, declared=declared)
    layout = build_layout(mini_set, communes[0])
    got = read_declarations(read_book(book_path, "xlsx"), mini_set, layout, Findings()).raw
    assert (got.difficulties, got.recommendations) == (declared.difficulties, declared.recommendations)
