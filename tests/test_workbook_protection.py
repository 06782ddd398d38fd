"""Protection of the generated commune workbook, and detection of what a commune could still change.

Read with openpyxl (cell protection, validations, formulas) and with the importer's own reader for the
signed metadata and the locked-cell check: every sheet protected, inputs unlocked and everything else
locked, workbook structure locked, `_meta` very hidden, data validation on every input with prompts
within Excel's limits, only Excel 2010 functions, a valid HMAC, and each kind of tampering reported.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.importing.findings import Findings
from cchc_xl.importing.verify import check_locked, read_meta
from cchc_xl.reading.book import read_book
from cchc_xl.settings import Settings
from cchc_xl.templates import template
from cchc_xl.workbook.layout import build_layout
from cchc_xl.workbook.signing import META_KEYS, verify
from workbook_fill import cells_of, defined_names, name_key

MakeWorkbook = Callable[..., Path]
T = template("commune")
SHEETS = T["sheets"]
GRID, REGISTER, SUMMARY, META = SHEETS["grid"], SHEETS["register"], SHEETS["summary"], SHEETS["meta"]
GUIDE = SHEETS["guide"]
COL = {k: i for i, k in enumerate(T["grid"]["columns"])}  # grid column keys -> 0-based index

# Every function Excel 2010 knows that a workbook like this could reasonably use. Anything newer (IFS,
# SWITCH, CONCAT, TEXTJOIN, XLOOKUP, IFNA, MAXIFS, …) shows #NAME? in Excel 2010 and old WPS builds.
EXCEL_2010_FUNCTIONS = frozenset((
    "ABS", "AND", "AVERAGE", "AVERAGEIF", "AVERAGEIFS", "CEILING", "CHAR", "CHOOSE", "CLEAN", "CODE",
    "COLUMN", "COLUMNS", "CONCATENATE", "COUNT", "COUNTA", "COUNTBLANK", "COUNTIF", "COUNTIFS", "DATE",
    "DATEVALUE", "DAY", "EXACT", "FALSE", "FIND", "FLOOR", "HLOOKUP", "IF", "IFERROR", "INDEX", "INDIRECT",
    "INT", "ISBLANK", "ISERR", "ISERROR", "ISEVEN", "ISLOGICAL", "ISNA", "ISNONTEXT", "ISNUMBER", "ISODD",
    "ISTEXT", "LARGE", "LEFT", "LEN", "LOWER", "MATCH", "MAX", "MEDIAN", "MID", "MIN", "MOD", "MONTH", "N",
    "NOT", "NOW", "OFFSET", "OR", "PRODUCT", "PROPER", "REPLACE", "REPT", "RIGHT", "ROUND", "ROUNDDOWN",
    "ROUNDUP", "ROW", "ROWS", "SEARCH", "SIGN", "SMALL", "SUBSTITUTE", "SUBTOTAL", "SUM", "SUMIF", "SUMIFS",
    "SUMPRODUCT", "T", "TEXT", "TODAY", "TRIM", "TRUE", "TRUNC", "UPPER", "VALUE", "VLOOKUP", "WEEKDAY",
    "YEAR",
))

_STRING = re.compile(r'"(?:[^"]|"")*"')
_QUOTED_SHEET = re.compile(r"'(?:[^']|'')*'")
_FUNCTION = re.compile(r"(?<![A-Za-z0-9_.])([A-Za-z_][A-Za-z0-9_.]*)\s*\(")


def functions_in(formula: str) -> set[str]:
    """Function names called in a formula (string literals and quoted sheet names ignored)."""
    text = _QUOTED_SHEET.sub("''", _STRING.sub('""', formula))
    return {m.group(1).upper() for m in _FUNCTION.finditer(text)}


@pytest.fixture(scope="module")
def bundled_book(make_workbook: MakeWorkbook, bundled_set: CriteriaSet, communes: list[Commune]) -> Path:
    return make_workbook(cset=bundled_set, commune=communes[0])


@pytest.fixture(scope="module")
def mini_book(make_workbook: MakeWorkbook, mini_set: CriteriaSet, communes: list[Commune]) -> Path:
    return make_workbook(cset=mini_set, commune=communes[1])


@pytest.fixture(params=["bundled", "mini"])
def case(request: pytest.FixtureRequest, bundled_book: Path, mini_book: Path, bundled_set: CriteriaSet,
         mini_set: CriteriaSet, communes: list[Commune]) -> tuple[CriteriaSet, Path, Commune]:
    if request.param == "bundled":
        return bundled_set, bundled_book, communes[0]
    return mini_set, mini_book, communes[1]


def input_cells(path: Path, cset: CriteriaSet) -> dict[tuple[str, int, int], str]:
    """Every cell a commune may type into, found by defined name: (sheet, row, col) -> name."""
    names = defined_names(path)
    wanted = ["KHO_KHAN", "KIEN_NGHI", "TLKC"]
    for leaf in cset.commune_leaves():
        rule, key = leaf.rule, name_key(leaf.code)
        assert rule is not None
        wanted.append(f"GT_{key}")
        wanted += [f"KK_{key}_{n}" for n in range(1, len(rule.figures()) + 1)]
        if not rule.computed:
            wanted.append(f"TDG_{key}")
    cells: dict[tuple[str, int, int], str] = {}
    for name in wanted:
        sheet, ref = names[name]
        for line in cells_of(ref):
            for r, c in line:
                cells[(sheet, r, c)] = name
    return cells


def named_cell(wb: Workbook, names: dict[str, tuple[str, str]], name: str) -> Any:
    sheet, ref = names[name]
    return wb[sheet][ref]


# -- protection -----------------------------------------------------------------------------------
def test_every_sheet_is_protected_and_meta_is_very_hidden(case: tuple[CriteriaSet, Path, Commune]) -> None:
    _, path, _ = case
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(dict(SHEETS).values())
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        assert ws.protection.password, f"{ws.title}: protected without the district's password"
        assert ws.protection.formatColumns is False and ws.protection.formatRows is False, ws.title
    assert wb[META].sheet_state == "veryHidden"
    assert all(ws.sheet_state == "visible" for ws in wb.worksheets if ws.title != META)
    assert wb.active.title == GRID


def test_workbook_structure_is_locked(case: tuple[CriteriaSet, Path, Commune]) -> None:
    _, path, _ = case
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/workbook.xml").decode("utf-8")
    m = re.search(r"<workbookProtection\b[^>]*>", xml)
    assert m, "no <workbookProtection> in xl/workbook.xml"
    assert re.search(r'\blockStructure="(1|true)"', m.group(0)), m.group(0)
    # schema order: workbookProtection follows workbookPr and precedes bookViews, or Excel repairs the file
    assert xml.index("<workbookPr") < m.start() < xml.index("<bookViews")


def test_inputs_are_unlocked_and_everything_else_is_locked(case: tuple[CriteriaSet, Path, Commune]) -> None:
    cset, path, _ = case
    inputs = input_cells(path, cset)
    wb = openpyxl.load_workbook(path)
    for (sheet, r, c), name in inputs.items():
        assert wb[sheet].cell(row=r + 1, column=c + 1).protection.locked is False, (sheet, r, c, name)
    stray = [(ws.title, cell.coordinate) for ws in wb.worksheets if ws.title != GUIDE for row in ws.iter_rows()
             for cell in row
             if cell.protection.locked is False and (ws.title, cell.row - 1, cell.column - 1) not in inputs]
    assert stray == [], "unlocked cells that are no input"  # the guide sheet: see the xfail test below
    names = defined_names(path)
    for name in ("MA_DON_VI", "TONG_DIEM", "XEP_LOAI"):
        assert named_cell(wb, names, name).protection.locked is True, name
    grid = wb[GRID]
    locked_sample = [grid["A1"], grid["A2"], *grid[4]]  # titles and headers
    formulas = 0
    for leaf in cset.leaves():
        rule = leaf.rule
        assert rule is not None
        row = next(r for r in range(1, grid.max_row + 1) if grid.cell(row=r, column=1).value == leaf.code)
        locked_sample += [grid.cell(row=row, column=COL[k] + 1) for k in ("code", "title", "method", "max")]
        locked_sample += [grid.cell(row=row, column=COL[k] + 1) for k in ("evidence", "status")]
        if rule.computed:
            score = grid.cell(row=row, column=COL["score"] + 1)
            assert score.data_type == "f", leaf.code
            locked_sample.append(score)
        elif leaf.scored_by == "district":
            locked_sample.append(grid.cell(row=row, column=COL["score"] + 1))
    for ws in (wb[GRID], wb[SUMMARY], wb[REGISTER]):
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas += 1
                    locked_sample.append(cell)
    assert formulas > len(cset.leaves())
    unlocked = [f"{c.parent.title}!{c.coordinate}" for c in locked_sample if c.protection.locked is not True]
    assert unlocked == []


def test_guide_sheet_has_no_unlocked_cell(bundled_book: Path) -> None:
    wb = openpyxl.load_workbook(bundled_book)
    unlocked = [c.coordinate for row in wb[GUIDE].iter_rows() for c in row if c.protection.locked is False]
    assert unlocked == []


def test_no_merged_cell_covers_an_input(case: tuple[CriteriaSet, Path, Commune]) -> None:
    cset, path, _ = case
    inputs = input_cells(path, cset)
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for merged in ws.merged_cells.ranges:
            covered = {(ws.title, r, c) for line in cells_of(merged.coord) for r, c in line}
            assert not covered & set(inputs), f"{ws.title}!{merged.coord} covers an input cell"


# -- data validation ------------------------------------------------------------------------------
def _validations(wb: Workbook) -> dict[tuple[str, int, int], Any]:
    found: dict[tuple[str, int, int], Any] = {}
    for ws in wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            for rng in dv.sqref.ranges:
                for line in cells_of(rng.coord):
                    for r, c in line:
                        assert (ws.title, r, c) not in found, f"two validations on {ws.title}!{rng.coord}"
                        found[(ws.title, r, c)] = dv
    return found


def test_every_input_has_the_validation_of_its_type(case: tuple[CriteriaSet, Path, Commune]) -> None:
    cset, path, _ = case
    wb = openpyxl.load_workbook(path)
    dvs = _validations(wb)
    names = defined_names(path)

    def dv_of(name: str) -> Any:
        sheet, ref = names[name]
        (r, c) = cells_of(ref)[0][0]
        assert (sheet, r, c) in dvs, f"{name}: no data validation"
        return dvs[(sheet, r, c)]

    for leaf in cset.commune_leaves():
        rule, key = leaf.rule, name_key(leaf.code)
        assert rule is not None
        if rule.computed:
            for n, spec in enumerate(rule.figures(), start=1):
                dv = dv_of(f"KK_{key}_{n}")
                assert dv.type == ("whole" if spec.integer else "decimal"), (leaf.code, n, dv.type)
                assert float(dv.formula1) == 0, "figures are never negative"
        else:
            dv = dv_of(f"TDG_{key}")
            want = "custom" if rule.kind == "manual" else "list"
            assert dv.type == want, (leaf.code, rule.kind, dv.type)
            if want == "list":
                sheet, _, ref = dv.formula1.rpartition("!")
                values = [wb[sheet.strip("'").replace("''", "'")].cell(row=r + 1, column=c + 1).value
                          for line in cells_of(ref.replace("$", "")) for r, c in line]
                assert sorted(values) == sorted(float(p) for p in rule.allowed_points(leaf.max)), leaf.code
            else:
                assert "ISNUMBER" in dv.formula1.upper()
        assert dv.showErrorMessage and dv.showInputMessage and dv.allowBlank, leaf.code
    sheet, ref = names["TLKC"]
    rows = cells_of(ref)
    for i, kind in ((0, "list"), (2, "date")):
        column = [(sheet, *line[i]) for line in rows]
        kinds = {dvs[cell].type if cell in dvs else None for cell in column}
        assert kinds == {kind}, (i, kinds)
    code_dv = dvs[(sheet, *rows[0][0])]
    listed = code_dv.formula1.rpartition("!")[2].replace("$", "")
    meta = wb[code_dv.formula1.rpartition("!")[0].strip("'")]
    codes = [meta.cell(row=r + 1, column=c + 1).value for line in cells_of(listed) for r, c in line]
    assert codes == [leaf.code for leaf in cset.commune_leaves()]


def test_validation_texts_fit_excel_limits(case: tuple[CriteriaSet, Path, Commune]) -> None:
    _, path, _ = case
    wb = openpyxl.load_workbook(path)
    count = 0
    for ws in wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            count += 1
            where = f"{ws.title}!{dv.sqref}"
            assert dv.promptTitle and len(dv.promptTitle) <= 32, where
            assert dv.errorTitle and len(dv.errorTitle) <= 32, where
            assert dv.prompt and len(dv.prompt) <= 255, where
            assert dv.error and len(dv.error) <= 255, where
            for formula in (dv.formula1, dv.formula2):
                assert formula is None or len(formula) <= 255, f"{where}: validation formula too long"
    assert count > 0


# -- formulas -------------------------------------------------------------------------------------
def test_function_extractor_sees_through_strings_and_sheet_names() -> None:
    assert functions_in('IF(A1="SUM(x)",ROUND(B2,2),0)') == {"IF", "ROUND"}
    assert functions_in("SUMPRODUCT(--('Tài liệu (TLKC)'!$A$5:$A$9=A7))") == {"SUMPRODUCT"}
    assert functions_in("_xlfn.IFS(A1>0,1)") == {"_XLFN.IFS"}
    assert functions_in("IFNA(x, 0) + textjoin(\",\",1,A1)") == {"IFNA", "TEXTJOIN"}


def test_formulas_use_only_excel_2010_functions(case: tuple[CriteriaSet, Path, Commune]) -> None:
    _, path, _ = case
    wb = openpyxl.load_workbook(path)
    formulas: list[tuple[str, str]] = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.append((f"{ws.title}!{cell.coordinate}", str(cell.value)))
        for dv in ws.data_validations.dataValidation:
            formulas += [(f"{ws.title}!{dv.sqref} (validation)", f) for f in (dv.formula1, dv.formula2) if f]
        for cf in ws.conditional_formatting:
            for rule in cf.rules:
                formulas += [(f"{ws.title}!{cf.sqref} (format)", f) for f in rule.formula or ()]
    assert len(formulas) > 50
    used: set[str] = set()
    for where, formula in formulas:
        found = functions_in(formula)
        assert found <= EXCEL_2010_FUNCTIONS, f"{where}: {sorted(found - EXCEL_2010_FUNCTIONS)} in {formula}"
        used |= found
    assert {"IF", "ROUND", "SUM", "SUMPRODUCT"} <= used


# -- signed metadata ------------------------------------------------------------------------------
def test_meta_signature_verifies_and_binds_every_value(case: tuple[CriteriaSet, Path, Commune],
                                                       settings: Settings) -> None:
    cset, path, commune = case
    meta = read_meta(read_book(path, "xlsx"))
    assert meta is not None
    assert verify(meta, settings.key)
    assert not verify(meta, settings.key + b"-other-district")
    assert meta["commune_code"] == commune.code
    assert meta["set_sha256"] == cset.fingerprint()
    assert meta["digest"] == build_layout(cset, commune).digest()
    for key in META_KEYS:
        assert not verify({**meta, key: meta[key] + "x"}, settings.key), f"{key} is not covered by the HMAC"
    assert not verify({**meta, "hmac": ""}, settings.key)


def test_meta_changed_in_the_file_fails_verification(bundled_book: Path, tmp_path: Path,
                                                     settings: Settings, communes: list[Commune]) -> None:
    path = shutil.copy(bundled_book, tmp_path / "meta-edited.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[META]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "commune_code")
    ws.cell(row=row, column=2).value = communes[5].code
    wb.save(path)
    meta = read_meta(read_book(Path(path), "xlsx"))
    assert meta is not None and meta["commune_code"] == communes[5].code
    assert not verify(meta, settings.key)


# -- tampering ------------------------------------------------------------------------------------
Edit = Callable[[Workbook], None]


def tamper(src: Path, tmp_path: Path, cset: CriteriaSet, commune: Commune, edit: Edit | None) -> list[Any]:
    """Apply an openpyxl edit to a copy of the workbook and return check_locked's findings."""
    path = Path(shutil.copy(src, tmp_path / "edited.xlsx"))
    if edit is not None:
        wb = openpyxl.load_workbook(path)
        edit(wb)
        wb.save(path)
    found = Findings()
    check_locked(read_book(path, "xlsx"), build_layout(cset, commune), found)
    return found.items


def grid_cell(wb: Workbook, code: str, key: str) -> Any:
    ws = wb[GRID]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == code)
    return ws.cell(row=row, column=COL[key] + 1)


def first_leaf(cset: CriteriaSet, kinds: tuple[str, ...]) -> str:
    return next(leaf.code for leaf in cset.commune_leaves() if leaf.rule.kind in kinds)  # type: ignore[union-attr]


@pytest.mark.parametrize("resave", [False, True], ids=["as-generated", "openpyxl-resave"])
def test_untouched_workbook_has_no_tamper_findings(case: tuple[CriteriaSet, Path, Commune], tmp_path: Path,
                                                   resave: bool) -> None:
    cset, path, commune = case
    assert tamper(path, tmp_path, cset, commune, (lambda wb: None) if resave else None) == []


def test_filled_inputs_are_not_tampering(case: tuple[CriteriaSet, Path, Commune], tmp_path: Path) -> None:
    cset, path, commune = case
    names = defined_names(path)

    def fill(wb: Workbook) -> None:
        for name in names:
            if name.startswith(("KK_", "GT_")):
                named_cell(wb, names, name).value = 1 if name.startswith("KK_") else "giải trình"
        sheet, ref = names["TLKC"]
        wb[sheet][ref.split(":")[0]].value = cset.commune_leaves()[0].code

    assert tamper(path, tmp_path, cset, commune, fill) == []


def test_changed_maximum_is_reported(case: tuple[CriteriaSet, Path, Commune], tmp_path: Path) -> None:
    cset, path, commune = case
    code = first_leaf(cset, ("done", "levels", "manual"))

    def edit(wb: Workbook) -> None:
        cell = grid_cell(wb, code, "max")
        cell.value = cell.value + 1

    found = tamper(path, tmp_path, cset, commune, edit)
    assert [(f.rule, f.criterion) for f in found] == [("tamper.max_changed", code)]
    assert found[0].severity == "error" and found[0].cell and GRID in found[0].cell


def test_formula_replaced_by_a_number_is_reported(case: tuple[CriteriaSet, Path, Commune], tmp_path: Path) -> None:
    cset, path, commune = case
    names = defined_names(path)

    def edit(wb: Workbook) -> None:
        named_cell(wb, names, "TONG_DIEM").value = 99

    found = tamper(path, tmp_path, cset, commune, edit)
    assert [f.rule for f in found] == ["tamper.formula_replaced"]
    assert found[0].cell == f"'{GRID}'!{names['TONG_DIEM'][1]}"


def test_altered_formula_is_reported(case: tuple[CriteriaSet, Path, Commune], tmp_path: Path) -> None:
    cset, path, commune = case
    code = first_leaf(cset, ("count_award",))
    names = defined_names(path)
    cell_name = f"TDG_{name_key(code)}"

    def edit(wb: Workbook) -> None:
        cell = named_cell(wb, names, cell_name)
        assert cell.data_type == "f"
        cell.value = str(cell.value).replace("ROUND(", "ROUND(2*", 1)

    found = tamper(path, tmp_path, cset, commune, edit)
    assert [(f.rule, f.cell) for f in found] == [("tamper.formula_changed", f"'{GRID}'!{names[cell_name][1]}")]


def test_formula_with_other_spacing_or_case_is_not_tampering(case: tuple[CriteriaSet, Path, Commune],
                                                             tmp_path: Path) -> None:
    cset, path, commune = case
    names = defined_names(path)

    def edit(wb: Workbook) -> None:
        cell = named_cell(wb, names, "TONG_DIEM")
        cell.value = str(cell.value).lower().replace(",", ", ")

    assert tamper(path, tmp_path, cset, commune, edit) == []


def test_changed_title_is_reported(case: tuple[CriteriaSet, Path, Commune], tmp_path: Path) -> None:
    cset, path, commune = case
    code = cset.commune_leaves()[0].code

    def edit(wb: Workbook) -> None:
        grid_cell(wb, code, "title").value = "Tiêu chí đã bị sửa"

    found = tamper(path, tmp_path, cset, commune, edit)
    assert [f.rule for f in found] == ["tamper.text_changed"]
    assert "Tiêu chí đã bị sửa" in found[0].message


@pytest.mark.parametrize("how", ["delete", "rename"])
def test_deleted_or_renamed_sheet_is_reported(case: tuple[CriteriaSet, Path, Commune], tmp_path: Path,
                                              how: str) -> None:
    cset, path, commune = case

    def edit(wb: Workbook) -> None:
        if how == "delete":
            del wb[SUMMARY]
        else:
            wb[SUMMARY].title = "Tong hop"

    found = tamper(path, tmp_path, cset, commune, edit)
    assert [f.rule for f in found] == ["tamper.sheet_missing"]
    assert SUMMARY in found[0].message
    if how == "rename":
        assert "Tong hop" in found[0].message


def test_removed_validation_is_reported(case: tuple[CriteriaSet, Path, Commune], tmp_path: Path) -> None:
    cset, path, commune = case

    def edit(wb: Workbook) -> None:
        wb[GRID].data_validations.dataValidation = []

    found = tamper(path, tmp_path, cset, commune, edit)
    assert found and {f.rule for f in found} == {"tamper.validation_removed"}


@pytest.mark.libreoffice
def test_libreoffice_resave_is_neither_tampering_nor_unsigned(bundled_book: Path, tmp_path: Path,
                                                              bundled_set: CriteriaSet, communes: list[Commune],
                                                              settings: Settings) -> None:
    from cchc_xl.office import convert

    (resaved,) = convert([bundled_book], "xlsx", tmp_path / "lo")
    book = read_book(resaved, "xlsx")
    meta = read_meta(book)
    assert meta is not None and verify(meta, settings.key)
    found = Findings()
    check_locked(book, build_layout(bundled_set, communes[0]), found)
    assert [(f.rule, f.cell) for f in found.items] == []
    assert set(defined_names(bundled_book)) <= set(defined_names(resaved)), "LibreOffice lost defined names"
