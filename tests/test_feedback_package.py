"""The feedback workbook's fast path (reports/feedback_package.py) reads back exactly as the plain writer's.

Returns of the mini set and the bundled set, filled as communes fill them, with findings of every kind
(a score above the maximum, a text typed in a number cell, an item left blank, a register row, long and
odd texts, a commune name with XML characters), are imported; each file's feedback workbook is written
both ways with the same generation time, and the two files are read back with openpyxl — with formulas and
with cached results — comparing every sheet's cells (value, font, fill, border, number format, alignment,
protection), comments, merged ranges, data validations, row heights, column widths, panes, sheet state and
protection, and the defined names. The workbook written from the layout the import makes (the set's
template with the file's values set, `declared_layout`) is the one written from the layout built whole, part
by part.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.importing.discover import Candidate
from cchc_xl.importing.inputs import Declarations
from cchc_xl.importing.outputs import evaluated_as_typed, layout_of
from cchc_xl.importing.run import SubmissionResult, import_file
from cchc_xl.records import RegisterRow
from cchc_xl.reports.feedback import FeedbackWorkbookWriter, needs_feedback, with_status_marks
from cchc_xl.reports.feedback_package import FeedbackPackage
from cchc_xl.scoring import LeafInput
from cchc_xl.settings import Settings
from cchc_xl.workbook.declared_layout import declared_layout
from cchc_xl.workbook.layout import Declared, build_layout
from cchc_xl.workbook.package import BaseSheet, merged_sheet
from import_corpus import Corpus
from test_perf_equivalence import assert_same_parts

AT = dt.datetime(2022, 10, 1, 8, 0, tzinfo=dt.UTC)
RECEIVED = dt.datetime(2022, 11, 1, 9, 0).astimezone()
ODD = Commune(code="10002", name='Đồng "Tâm" & <Xuân>', kind="phường")


def _style(c: Any) -> tuple[Any, ...]:
    return (repr(c.font), repr(c.fill), repr(c.border), c.number_format, repr(c.alignment), repr(c.protection))


def read_back(path: Path) -> dict[str, Any]:
    """Everything a reader of the workbook sees, as plain data."""
    out: dict[str, Any] = {}
    for data_only in (False, True):
        wb = openpyxl.load_workbook(path, data_only=data_only)
        out[f"names{data_only}"] = sorted((n, d.attr_text) for n, d in wb.defined_names.items())
        out[f"order{data_only}"] = wb.sheetnames
        for ws in wb.worksheets:
            cells = {c.coordinate: (c.value, _style(c), c.comment.text if c.comment else None)
                     for row in ws.iter_rows() for c in row if c.has_style or c.value is not None or c.comment}
            out[f"{ws.title}:{data_only}"] = {
                "cells": cells,
                "merged": sorted(str(r) for r in ws.merged_cells.ranges),
                "validations": sorted((str(v.sqref), v.type, v.formula1, v.formula2, v.prompt, v.error, v.promptTitle,
                                       v.errorTitle, v.allow_blank) for v in ws.data_validations.dataValidation),
                "rows": {r: (d.height, d.customHeight) for r, d in ws.row_dimensions.items() if d.height},
                "cols": {k: d.width for k, d in ws.column_dimensions.items()},
                "panes": ws.freeze_panes, "state": ws.sheet_state, "protected": ws.protection.sheet,
                "password": ws.protection.password, "print": (ws.print_title_rows, str(ws.print_area),
                                                              ws.page_setup.orientation, ws.page_setup.paperSize),
                "conditional": sorted(str(r.sqref) for r in ws.conditional_formatting),
            }
    return out


def assert_same_from_the_template(package: FeedbackPackage, r: SubmissionResult, path: Path) -> bool:
    """The feedback workbook of `r` written from the layout made from the set's template with the file's
    values set (`declared_layout`, with the import's evaluation when it evaluated the inputs as typed: the
    import's `layout_of`) is the one written from the layout built whole, part by part (the document dates
    aside), status marks included; whether the import's evaluation was taken."""
    assert r.identity is not None and r.declarations is not None
    cset, commune, raw = package.cset, r.identity.commune, r.declarations.raw
    assert declared_layout(cset, commune, raw) is not None  # (no silent fall-back to the whole build)
    built, derived = build_layout(cset, commune, raw), layout_of(cset, r)  # (the import's: its evaluation reused)
    assert derived.evaluation == built.evaluation
    written = []
    for layout, name in ((built, "built"), (derived, "derived")):
        written.append(path.with_name(f"{path.stem}-{name}.xlsx"))
        package.write(with_status_marks(layout, r.findings), r.findings, written[-1], AT)
    assert_same_parts(written[1], written[0])
    return evaluated_as_typed(r.declarations)


def _returns(c: Corpus, cset: CriteriaSet, communes: list[Commune]) -> list[Path]:
    leaves = cset.commune_leaves()
    manual = next(leaf for leaf in leaves if leaf.rule and leaf.rule.kind == "manual")
    computed = next(leaf for leaf in leaves if leaf.rule and leaf.rule.computed)
    return [
        c.valid(communes[0]),  # accepted: no feedback workbook
        c.valid(communes[1], overrides={f"TDG_{manual.name_key}": 99}),  # above the maximum
        c.valid(communes[2], overrides={f"TDG_{manual.name_key}": "1,5"}),  # a number typed as text
        c.valid(communes[3], overrides={f"KK_{computed.name_key}_1": None, f"TDG_{manual.name_key}": None}),
        c.valid(communes[4], explanation="Một giải thích rất dài " * 40 + "\nhai dòng & <ký tự> đặc biệt"),
        c.valid(ODD, overrides={f"TDG_{manual.name_key}": 99}),
        c.valid(communes[5], name="ten-sai.xlsx", overrides={f"GT_{manual.name_key}": None}),
    ]


def _imported(paths: list[Path], cset: CriteriaSet, communes: list[Commune], settings: Settings) -> list[SubmissionResult]:
    by_code = {c.code: c for c in [*communes, ODD]}
    return [import_file(Candidate(p, None), p.name, cset, settings, by_code, RECEIVED) for p in paths]


@pytest.mark.parametrize("which", ["mini", "bundled"])
def test_feedback_fast_path_reads_back_as_the_plain_one(which: str, tmp_path: Path, mini_set: CriteriaSet,
                                                        bundled_set: CriteriaSet, communes: list[Commune],
                                                        settings: Settings) -> None:
    cset = mini_set if which == "mini" else bundled_set
    c = Corpus(tmp_path / "inbox", tmp_path / "work", cset, communes, settings)
    results = _imported(_returns(c, cset, communes), cset, communes, settings)
    package = FeedbackPackage(cset, settings)
    compared = 0
    reused: list[bool] = []
    for r in results:
        if r.identity is None or r.declarations is None or not needs_feedback(r.findings):
            continue
        plain, fast = tmp_path / f"{r.path.stem}-plain.xlsx", tmp_path / f"{r.path.stem}-fast.xlsx"
        layout = build_layout(cset, r.identity.commune, r.declarations.raw)
        writer = FeedbackWorkbookWriter(layout, settings, r.findings)
        writer.generated_at = AT
        want_meta = writer.write(plain)
        got_meta = package.write(build_layout(cset, r.identity.commune, r.declarations.raw), r.findings, fast, AT)
        assert got_meta == want_meta
        want, got = read_back(plain), read_back(fast)
        assert got.keys() == want.keys()
        for key in want:
            assert got[key] == want[key], (r.path.name, key)
        reused.append(assert_same_from_the_template(package, r, fast))
        compared += 1
    assert True in reused and False in reused  # (a number typed as text: evaluated again)
    assert compared >= 5
    rules = {f.rule for r in results for f in r.findings}
    assert {"score.above_max", "score.text_number"} <= rules


def test_no_feedback_for_district_notes_alone(tmp_path: Path, mini_set: CriteriaSet, communes: list[Commune],
                                              settings: Settings) -> None:
    """A return whose only finding is the demo-key note (meant for the district) gets no feedback workbook;
    one more finding and it does."""
    c = Corpus(tmp_path / "inbox", tmp_path / "work", mini_set, communes, settings)
    results = _imported([c.valid(communes[0])], mini_set, communes, settings)
    rules = [f.rule for f in results[0].findings]
    if settings.key_is_demo:
        assert rules == ["meta.demo_key"]
    assert not needs_feedback(results[0].findings)
    manual = next(leaf for leaf in mini_set.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    more = _imported([c.valid(communes[1], overrides={f"TDG_{manual.name_key}": 99})], mini_set, communes, settings)
    assert needs_feedback(more[0].findings)


def test_a_failing_fast_path_falls_back_to_the_plain_writer(tmp_path: Path, mini_set: CriteriaSet,
                                                            communes: list[Commune], settings: Settings,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Any exception in the fast path (here: XlsxWriter's internals not as expected) and the plain writer
    writes the file; the switch off, the fast path is never tried."""
    from cchc_xl.importing.outputs import FileOutputs
    from cchc_xl.reports import feedback_package

    c = Corpus(tmp_path / "inbox", tmp_path / "work", mini_set, communes, settings)
    manual = next(leaf for leaf in mini_set.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    (r,) = _imported([c.valid(communes[1], overrides={f"TDG_{manual.name_key}": 99})], mini_set, communes, settings)
    plain = tmp_path / "plain.xlsx"
    writer = FeedbackWorkbookWriter(build_layout(mini_set, r.identity.commune, r.declarations.raw), settings, r.findings)
    writer.write(plain)
    tried: list[str] = []

    def broken(self: object, *args: object, **kw: object) -> None:
        tried.append("fast")
        raise AttributeError("str_table")

    monkeypatch.setattr(feedback_package.FeedbackPackage, "write", broken)
    files = FileOutputs(mini_set, tmp_path / "out", settings, frozenset())
    files.write_feedback(r)
    assert tried == ["fast"] and r.feedback_path is not None
    want, got = read_back(plain), read_back(r.feedback_path)
    assert [k for k in want if not k.startswith("_meta") and got[k] != want[k]] == []
    monkeypatch.setenv(feedback_package.SWITCH, "0")
    r.feedback_path = None
    FileOutputs(mini_set, tmp_path / "out2", settings, frozenset()).write_feedback(r)
    assert tried == ["fast"] and r.feedback_path is not None


def _sheet(rows: str) -> bytes:
    return (f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}'
            "</sheetData></worksheet>").encode()


# (what the base has, what the sparse render wrote, the merged row) — heights: the sparse render wrote only the
# heights that differ from the base's
HEIGHT_CASES = [
    ('<row r="1" ht="30" customHeight="1"><c r="A1" s="1"/></row>', "",
     '<row r="1" ht="30" customHeight="1"><c r="A1" s="1"/></row>'),  # untouched: the base's height stays
    ('<row r="2" ht="30" customHeight="1"><c r="A2" s="1"/></row>', '<row r="2" ht="45" customHeight="1"/>',
     '<row r="2" ht="45" customHeight="1"><c r="A2" s="1"/></row>'),  # a new height
    ('<row r="3" ht="30" customHeight="1"><c r="A3" s="1"/></row>', '<row r="3"><c r="B3" s="2"/></row>',
     '<row r="3" ht="30" customHeight="1"><c r="A3" s="1"/><c r="B3" s="2"/></row>'),  # a cell, the same height
    ('<row r="4"><c r="A4" s="1"/></row>', '<row r="4" ht="60" customHeight="1"/>',
     '<row r="4" ht="60" customHeight="1"><c r="A4" s="1"/></row>'),  # a height the base had not
]


@pytest.mark.parametrize(("base", "sparse", "merged"), HEIGHT_CASES)
def test_merged_rows_keep_the_base_heights_the_sparse_render_did_not_write(base: str, sparse: str,
                                                                           merged: str) -> None:
    got = merged_sheet(BaseSheet.of(_sheet(base)), _sheet(sparse), {}, heights=True)
    assert got == _sheet(merged)
    # without `heights` (the sparse render wrote every height): a row it did not write loses the base's
    plain = merged_sheet(BaseSheet.of(_sheet(base)), _sheet(sparse), {})
    assert (b' ht="30"' in plain) == (b' ht="30"' in _sheet(sparse))


def _formatted_book(wb: Any, formats: list[dict[str, Any]], extra: str = "") -> None:
    ws = wb.add_worksheet("Một")
    hidden = wb.add_worksheet("_meta")
    hidden.very_hidden()
    for row, props in enumerate(formats):
        ws.write(row, 0, f"ô {row}", wb.add_format(props))
    wb.define_name("TONG", "='Một'!$A$1")
    wb.define_name("'Một'!RIENG", f"='Một'!$A${len(formats)}")  # a sheet's own name, where the formats end
    # a layout's names: defined one by one, or (the fast path's book) taken whole when a render before had them
    names = {"DIEM": "'Một'!$B$2", "'Một'!KHAC": "'Một'!$C$3", "TRUNG": f"'Một'!$D${len(formats) + 1}"}
    if hasattr(wb, "define_names"):
        wb.define_names(names)
    else:
        for name, ref in names.items():
            wb.define_name(name, "=" + ref)
    ws.print_area(0, 0, len(formats), 1)
    wb.set_properties({"title": "Tiêu đề", "company": "UBND huyện" if extra == "comment" else "UBND tỉnh"})
    if extra == "comment":
        ws.write_comment("B1", "ghi chú")
    if extra == "link":  # (its format XlsxWriter's own: a twin by its key of a blue underlined one)
        ws.write_url("C1", "internal:'Một'!A1", string="Tới ô A1")
    if extra == "conditional":  # (a differential format: its font, border and fill flags)
        ws.conditional_format("A1:A3", {"type": "cell", "criteria": ">", "value": 1,
                                        "format": wb.add_format({"bg_color": "#FFC7CE", "bold": True, "border": 1})})


STYLE_CASES = [  # (formats of the first render, of the second, what else the second has)
    ([{"bold": True}], [{"bold": True}], ""),  # the same formats: the second's styles part from the cache
    ([{"bold": True}], [{"italic": True}], ""),  # other formats
    ([{"bold": True}], [{"bold": True}, {"num_format": "0.00"}], ""),  # one more, with a number format
    ([{"bold": True}], [{"bold": True}], "comment"),  # a comment (its font in the styles part), another company
    ([{"font_color": "blue", "underline": 1}], [{"font_color": "blue", "underline": 1}], "link"),  # a link
    # the formats' preparation (fonts, number formats, borders, fills: a solid fill's colours swapped) replayed
    (FILLS := [{"bg_color": "#FF0000"}, {"bg_color": "#00FF00", "fg_color": "#0000FF", "pattern": 1},
               {"fg_color": "#0000FF"}, {"border": 1, "num_format": "0.00"}, {"border": 2, "num_format": "0.00"},
               {"bold": True, "num_format": 3}], FILLS, ""),
    (FILLS, FILLS, "conditional"),
    ([{"num_format": 3}], [{"num_format": "3"}], ""),  # a built-in number format and a custom one, of one key
    ([{"bold": True}, {"bold": True, "locked": False}], [{"bold": True}, {"bold": True, "locked": False}], ""),
]


@pytest.mark.parametrize(("first", "second", "extra"), STYLE_CASES)
def test_handed_over_parts_are_the_zipped_render_parts(first: list[dict[str, Any]], second: list[dict[str, Any]],
                                                        extra: str) -> None:
    import io

    from cchc_xl.workbook.package import PartsWorkbook, read_parts
    from cchc_xl.workbook.sheetkit import workbook_options
    from cchc_xl.workbook.writer import _ProtectedWorkbook

    styles: dict[Any, Any] = {}
    for formats, what in ((first, ""), (second, extra)):
        handed = PartsWorkbook(workbook_options(), styles)
        _formatted_book(handed, formats, what)
        handed.close()
        buffer = io.BytesIO()
        zipped_book = _ProtectedWorkbook(buffer, {**workbook_options(), "in_memory": True})
        _formatted_book(zipped_book, formats, what)
        zipped_book.close()
        want = read_parts(buffer.getvalue())
        core = "docProps/core.xml"  # (its time is the render's)
        assert {k: v for k, v in handed.parts.items() if k != core} == {k: v for k, v in want.items() if k != core}
    assert len([k for k in styles if k[0] == "styles"]) == 1 + (first != second or extra != "")


ROWS_CASES = [  # (base rows, sparse rows, merged rows): the base's untouched rows in place, in order
    ('<row r="1"><c r="A1" s="1"/></row><row r="2"><c r="A2" s="1"/></row><row r="4"><c r="A4" s="1"/></row>',
     '<row r="2"><c r="B2" s="2"/></row>',
     '<row r="1"><c r="A1" s="1"/></row><row r="2"><c r="A2" s="1"/><c r="B2" s="2"/></row>'
     '<row r="4"><c r="A4" s="1"/></row>'),  # a row the base has
    ('<row r="1"><c r="A1" s="1"/></row><row r="2"><c r="A2" s="1"/></row><row r="4"><c r="A4" s="1"/></row>',
     '<row r="2"><c r="B2" s="2"/></row><row r="3"><c r="C3" s="2"/></row>',
     '<row r="1"><c r="A1" s="1"/></row><row r="2"><c r="A2" s="1"/><c r="B2" s="2"/></row>'
     '<row r="3"><c r="C3" s="2"/></row><row r="4"><c r="A4" s="1"/></row>'),  # and one it has not
]


@pytest.mark.parametrize(("base", "sparse", "merged"), ROWS_CASES)
def test_merged_rows_keep_the_base_rows_in_order(base: str, sparse: str, merged: str) -> None:
    sheet = BaseSheet.of(_sheet(base))
    for _ in range(2):  # (the second time from the base's rendered rows)
        assert merged_sheet(sheet, _sheet(sparse), {}, heights=True) == _sheet(merged)


def _fresh(cset: CriteriaSet, commune: Commune) -> Any:
    """A blank layout of the commune with its own cell list (the template's cells are shared)."""
    layout = build_layout(cset, commune)
    layout.cells = list(layout.cells)
    return layout


def _both(package: FeedbackPackage, layout: Any, again: Any, settings: Settings, tmp_path: Path, n: int) -> None:
    plain, fast = tmp_path / f"{n}-plain.xlsx", tmp_path / f"{n}-fast.xlsx"
    writer = FeedbackWorkbookWriter(layout, settings, [])
    writer.generated_at = AT
    assert package.write(again, [], fast, AT) == writer.write(plain)
    want, got = _typed(read_back(plain)), _typed(read_back(fast))
    assert [k for k in want if got[k] != want[k]] == []


def _typed(back: dict[str, Any]) -> dict[str, Any]:
    """What `read_back` found, each cell's value with its type (True == 1 == 1.0 to Python)."""
    return {k: {**v, "cells": {ref: (type(c[0]).__name__, *c) for ref, c in v["cells"].items()}}
            if isinstance(v, dict) else v for k, v in back.items()}


def test_formula_results_equal_but_of_other_types_are_written_apart(tmp_path: Path, mini_set: CriteriaSet,
                                                                   communes: list[Commune],
                                                                   settings: Settings) -> None:
    """A formula cell's XML is kept from file to file by its result: 1, 1.0, True and "1" are equal keys
    to a dict but written apart (a number, a number, a boolean, a text), so each file gets its own."""
    package = FeedbackPackage(mini_set, settings)
    blank = build_layout(mini_set, communes[0])
    at = next(i for i, c in enumerate(blank.cells) if c.formula is not None and c.sheet == "grid")
    for n, cached in enumerate([1, 1.0, True, 1, "1", 0.0, -0.0, 2.5, True]):
        layouts = []
        for _ in range(2):
            layout = _fresh(mini_set, communes[n % 3])
            layout.cells[at] = dataclasses.replace(layout.cells[at], cached=cached)
            layouts.append(layout)
        _both(package, *layouts, settings, tmp_path, n)


def test_the_register_print_area_with_its_rows_moved_is_the_plain_one(tmp_path: Path, mini_set: CriteriaSet,
                                                                    communes: list[Commune],
                                                                    settings: Settings) -> None:
    """The register's print area is found from the base's places of its input cells while the layout's
    register rows are the base's; a layout whose rows are not (here: one fewer) takes the plain writer's
    walk over every cell, and both print what the plain writer prints."""
    package = FeedbackPackage(mini_set, settings)
    blank = build_layout(mini_set, communes[0])
    first, last = blank.register_rows
    at = next(i for i, c in enumerate(blank.cells)
              if c.sheet == "register" and c.row == first + 2 and c.formula is None and not c.locked)
    for n, rows in enumerate([(first, last), (first, last - 1), (first, first + 1)]):
        layouts = []
        for _ in range(2):
            layout = _fresh(mini_set, communes[1])
            layout.cells[at] = dataclasses.replace(layout.cells[at], value="Quyết định số 1")
            layout.register_rows = rows
            layouts.append(layout)
        _both(package, *layouts, settings, tmp_path, n)


def test_a_cell_met_again_is_written_with_this_files_string_numbers(tmp_path: Path, mini_set: CriteriaSet,
                                                                   communes: list[Commune],
                                                                   settings: Settings) -> None:
    """A changed cell's XML is kept by the cell (a run's layouts share their recurring cells): a text cell
    met again in a later file is numbered among that file's texts (a new text before it in one file, none
    or another in the next), and a number cell kept as it is."""
    package = FeedbackPackage(mini_set, settings)
    blank = build_layout(mini_set, communes[0])
    first, _ = blank.register_rows
    inputs = [i for i, c in enumerate(blank.cells) if c.sheet == "register" and c.row == first and not c.locked]
    before, kept_at, number_at = inputs[0], inputs[1], inputs[2]
    kept = dataclasses.replace(blank.cells[kept_at], value='Văn bản <số 5> & "mẫu" ]]>')
    number = dataclasses.replace(blank.cells[number_at], value=Decimal("12.5"))
    for n, text in enumerate(["Chữ mới", None, "Chữ khác", "Chữ mới", 'Văn bản <số 5> & "mẫu" ]]>']):
        layouts = []
        for _ in range(2):
            layout = _fresh(mini_set, communes[1])
            layout.cells[kept_at], layout.cells[number_at] = kept, number
            if text is not None:
                layout.cells[before] = dataclasses.replace(blank.cells[before], value=text)
            layouts.append(layout)
        _both(package, *layouts, settings, tmp_path, n)


def test_a_zipped_part_keeps_its_deflated_bytes_only_while_it_is_the_same() -> None:
    """`zipped` with the parts of the last file: a part unchanged is not deflated again, a changed one is,
    and every archive holds its own parts."""
    import io
    import zipfile

    from cchc_xl.workbook.package import zipped

    kept: dict[str, Any] = {}
    for parts in ({"a.xml": b"<a>1</a>", "b.xml": b"<b/>"}, {"a.xml": b"<a>2</a>", "b.xml": b"<b/>"},
                  {"a.xml": b"<a>1</a>", "b.xml": b"<b/>", "c.xml": b"<c/>"}, {"a.xml": b"<a>1</a>"}):
        before = dict(kept)
        data = zipped(parts, 1, kept)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.testzip() is None
            assert {n: archive.read(n) for n in archive.namelist()} == parts
        assert all(kept[n] is before[n] for n in parts if n in before and before[n][0] == parts[n])
        assert data == zipped(parts, 1)


def test_the_imports_evaluation_is_taken_only_for_the_inputs_as_typed() -> None:
    """A feedback layout takes the import's evaluation only when the import evaluated the very inputs the
    layout shows: the same values of the same types (a Decimal by its digits: 1.0 is not 1.00, -0 is not 0),
    the same register codes; otherwise the layout evaluates its inputs again."""
    row = RegisterRow(row=5, cell="'Tài liệu kiểm chứng'!A5", criterion="1.1")

    def decl(raw: LeafInput, parsed: LeafInput, raw_code: Any = "1.1", rows: tuple[RegisterRow, ...] = (row,)) -> Any:
        return Declarations(raw=Declared(leaves={"1.1": raw}, register=((raw_code, "1/QĐ"),)), parsed={"1.1": parsed},
                            register=list(rows))

    same = LeafInput(value=Decimal("1.5"), figures=(Decimal(2), None), explanation="Đã làm")
    assert evaluated_as_typed(decl(same, dataclasses.replace(same)))
    for raw, parsed in [(LeafInput(value="1,5"), LeafInput(value=Decimal("1.5"))),  # a number typed as text
                        (LeafInput(value=Decimal("1.0")), LeafInput(value=Decimal("1.00"))),
                        (LeafInput(value=Decimal("-0")), LeafInput(value=Decimal("0"))),
                        (LeafInput(figures=(Decimal(2),)), LeafInput(figures=(Decimal(2), None))),
                        (LeafInput(figures=("2",)), LeafInput(figures=(Decimal(2),)))]:
        assert not evaluated_as_typed(decl(raw, parsed)), raw
    assert not evaluated_as_typed(decl(same, same, raw_code=" 1.1 x"))  # (a code read otherwise)
    assert not evaluated_as_typed(decl(same, same, rows=()))
    extra = Declarations(raw=Declared(leaves={"1.1": same}), parsed={"1.1": same, "1.2": same}, register=[])
    assert not evaluated_as_typed(extra)
