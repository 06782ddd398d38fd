"""Fill a generated commune workbook the way a commune would, and read it back, by defined names only.

Imported by tests/test_workbook_*.py (like criteria_tables.py); not a pytest conftest.

- `Filling`: a commune's inputs as typed (scores, figures, explanations, evidence register rows), with
  `evaluate()` giving what `cchc_xl.scoring.evaluate` says the workbook must show for them.
- `WorkbookFiller`: opens a generated workbook once with openpyxl, writes a filling into the cells its
  defined names point at (TDG_*, KK_*, GT_*, TLKC), saves; fill again and save again for the next one.
- `NamedValues`: the cached values of a workbook (python-calamine) looked up by defined name or by
  (sheet, A1 ref). Names are read from xl/workbook.xml, so a LibreOffice re-save is read the same way.
- `leaf_inputs` / `fillings`: hypothesis strategies for valid (or deliberately invalid) fillings.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import python_calamine
from hypothesis import strategies as st
from openpyxl.utils.cell import range_boundaries

from cchc_xl.criteria.model import CriteriaSet, Criterion
from cchc_xl.numbers import round2, to_decimal
from cchc_xl.scoring import Evaluation, LeafInput, evaluate
from cchc_xl.templates import template
from cchc_xl.workbook.layout import Declared

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REGISTER_COLUMNS = 6  # criterion code, số ký hiệu, ngày ban hành, cơ quan ban hành, trích yếu, file names
_NAME_REF = re.compile(r"^(?:'(?P<quoted>(?:[^']|'')+)'|(?P<plain>[^'!]+))!(?P<ref>.+)$")


# -- fillings -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filling:
    """What a commune types: per criterion code a LeafInput, and evidence register rows."""

    leaves: dict[str, LeafInput] = field(default_factory=dict)
    register: tuple[tuple[Any, ...], ...] = ()
    label: str = ""

    def register_codes(self) -> list[str]:
        """Register codes as typed (the workbook compares the typed text, so no stripping here)."""
        return [str(r[0]) for r in self.register if r and r[0] not in (None, "")]

    def evaluate(self, cset: CriteriaSet) -> Evaluation:
        return evaluate(cset, self.leaves, self.register_codes())

    def declared(self) -> Declared:
        return Declared(leaves=dict(self.leaves), register=self.register)


def name_key(code: str) -> str:
    return code.replace(".", "_")


# -- reading names and values ---------------------------------------------------------------------
def defined_names(path: Path) -> dict[str, tuple[str, str]]:
    """Workbook-level defined names of an .xlsx: name -> (sheet name, A1 ref without '$')."""
    with zipfile.ZipFile(path) as archive:
        root = ET.fromstring(archive.read("xl/workbook.xml"))
    names: dict[str, tuple[str, str]] = {}
    for dn in root.iterfind(f"{{{MAIN_NS}}}definedNames/{{{MAIN_NS}}}definedName"):
        if dn.get("localSheetId") is not None:
            continue
        m = _NAME_REF.match((dn.text or "").strip())
        if m is None:
            continue
        sheet = m.group("quoted").replace("''", "'") if m.group("quoted") else m.group("plain")
        names[dn.get("name", "")] = (sheet, m.group("ref").replace("$", ""))
    return names


def cells_of(ref: str) -> list[list[tuple[int, int]]]:
    """0-based (row, col) of every cell of an A1 range, row by row."""
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    return [[(r - 1, c - 1) for c in range(min_col, max_col + 1)] for r in range(min_row, max_row + 1)]


class NamedValues:
    """Cached cell values of a workbook (python-calamine), by defined name or by (sheet, ref)."""

    def __init__(self, path: Path):
        self.path = path
        self.names = defined_names(path)
        self._book = python_calamine.CalamineWorkbook.from_path(str(path))
        self._rows: dict[str, list[list[Any]]] = {}

    def rows(self, sheet: str) -> list[list[Any]]:
        if sheet not in self._rows:
            self._rows[sheet] = self._book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        return self._rows[sheet]

    def at(self, sheet: str, row: int, col: int) -> Any:
        """The value at 0-based (row, col); None for an empty cell or an empty string."""
        rows = self.rows(sheet)
        value = rows[row][col] if row < len(rows) and col < len(rows[row]) else None
        return None if value == "" else value

    def cell(self, sheet: str, ref: str) -> Any:
        row, col = cells_of(ref)[0][0]
        return self.at(sheet, row, col)

    def __getitem__(self, name: str) -> Any:
        sheet, ref = self.names[name]
        return self.cell(sheet, ref.split(":")[0])

    def range(self, name: str) -> list[list[Any]]:
        sheet, ref = self.names[name]
        return [[self.at(sheet, r, c) for r, c in line] for line in cells_of(ref)]


def as_points(value: Any) -> Decimal | None:
    """A cached number as Decimal points rounded to cents; None for blank; text is returned as is."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value  # type: ignore[return-value]
    return round2(to_decimal(value))


# -- writing --------------------------------------------------------------------------------------
def cell_value(value: Any) -> Any:
    """A typed input as openpyxl should store it: numbers as numbers, text as text, blank as None."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


class WorkbookFiller:
    """Fill a generated workbook by its defined names with openpyxl; one load, many fill-and-save."""

    def __init__(self, path: Path, cset: CriteriaSet):
        self.cset = cset
        self.wb = openpyxl.load_workbook(path)
        self.names: dict[str, tuple[str, str]] = {}
        for name, dn in self.wb.defined_names.items():
            dest = list(dn.destinations)
            if len(dest) == 1:
                self.names[name] = (dest[0][0], dest[0][1].replace("$", ""))
        sheet, ref = self.names["TLKC"]
        self.register_cells = cells_of(ref)
        self.register_sheet = self.wb[sheet]
        self._register_used = 0

    def put(self, name: str, value: Any) -> None:
        sheet, ref = self.names[name]
        cell = self.wb[sheet][ref]
        cell.value = cell_value(value)
        if isinstance(cell.value, str):
            cell.data_type = "s"  # text stays text, even one starting with '='

    def fill(self, filling: Filling) -> None:
        """Write every input of the filling; inputs it does not mention are cleared."""
        for leaf in self.cset.commune_leaves():
            key, rule = name_key(leaf.code), leaf.rule
            assert rule is not None
            inp = filling.leaves.get(leaf.code, LeafInput())
            if rule.computed:
                for n in range(1, len(rule.figures()) + 1):
                    self.put(f"KK_{key}_{n}", inp.figures[n - 1] if n <= len(inp.figures) else None)
            else:
                self.put(f"TDG_{key}", inp.value)
            self.put(f"GT_{key}", inp.explanation)
        rows = len(filling.register)
        assert rows <= len(self.register_cells), "more register rows than the TLKC range holds"
        for i in range(max(rows, self._register_used)):
            values = filling.register[i] if i < rows else ()
            for j, (r, c) in enumerate(self.register_cells[i]):
                cell = self.register_sheet.cell(row=r + 1, column=c + 1)
                cell.value = cell_value(values[j] if j < len(values) else None)
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        self._register_used = rows

    def save(self, path: Path) -> Path:
        self.wb.save(path)
        return path

    def write(self, filling: Filling, path: Path) -> Path:
        self.fill(filling)
        return self.save(path)


# -- hypothesis strategies ------------------------------------------------------------------------
EXPLANATIONS = ("", "", "", "Đơn vị giải trình: tài liệu lưu tại Văn phòng UBND xã.", " ", "  x  ")
DOC_NUMBERS = ("", "12/KH-UBND", "05/BC-UBND", "131/QĐ-UBND")
DOC_FILES = ("", "12-KH-UBND.pdf", "bc-cchc.pdf; anh.pdf")
DOC_DATES = (None, dt.date(2022, 1, 20), dt.date(2022, 6, 30), dt.date(2021, 12, 15))


def _cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-2))


def _steps(maximum: Decimal, step: Decimal) -> st.SearchStrategy[Decimal]:
    return st.integers(0, int(maximum / step)).map(lambda k: k * step)


@st.composite
def _ratio_figures(draw: st.DrawFn, leaf: Criterion) -> tuple[Decimal, Decimal]:
    rule = leaf.rule
    if draw(st.booleans()):  # anywhere
        den = draw(st.integers(0, 400))
        return Decimal(draw(st.integers(0, den))), Decimal(den)
    # near a threshold: exactly on it or one below, with several denominators
    tier = draw(st.sampled_from(rule.tiers))  # type: ignore[union-attr]
    den = draw(st.sampled_from((20, 40, 50, 100, 200, 1000)))
    exact = tier.min_percent * den / 100
    num = exact.to_integral_value(rounding="ROUND_CEILING") - draw(st.sampled_from((0, 0, 1)))
    return Decimal(max(0, num)), Decimal(den)


@st.composite
def _proportional_figures(draw: st.DrawFn, leaf: Criterion) -> tuple[Decimal, Decimal]:
    rule = leaf.rule
    if rule.integer:  # type: ignore[union-attr]
        planned = draw(st.integers(0, 80))
        achieved = draw(st.integers(0, planned + 5))
        return Decimal(achieved), Decimal(planned)
    planned = draw(_cents(0, 500_000))
    achieved = draw(_cents(0, int(planned * 110)))
    return achieved, planned


def _count_figures(leaf: Criterion) -> st.SearchStrategy[tuple[Decimal]]:
    rule = leaf.rule
    top = int(leaf.max / rule.per_item) + 3  # type: ignore[union-attr]
    return st.integers(0, top).map(lambda n: (Decimal(n),))


def _valid_figures(leaf: Criterion) -> st.SearchStrategy[tuple[Decimal, ...]]:
    kind = leaf.rule.kind  # type: ignore[union-attr]
    if kind == "ratio_tiers":
        return _ratio_figures(leaf)
    if kind == "proportional":
        return _proportional_figures(leaf)
    return _count_figures(leaf)


def _valid_score(leaf: Criterion) -> st.SearchStrategy[Decimal]:
    rule = leaf.rule
    assert rule is not None
    allowed = rule.allowed_points(leaf.max)
    return st.sampled_from(allowed) if allowed is not None else _steps(leaf.max, rule.step())


def _invalid_figures(leaf: Criterion) -> st.SearchStrategy[tuple[Any, ...]]:
    n = len(leaf.rule.figures())  # type: ignore[union-attr]
    bad = st.sampled_from((Decimal(-1), Decimal("2.5"), "5", "abc", Decimal(7)))
    return st.tuples(*[st.one_of(bad, st.integers(0, 9).map(Decimal)) for _ in range(n)])


def _invalid_score(leaf: Criterion) -> st.SearchStrategy[Any]:
    rule = leaf.rule
    assert rule is not None
    step = rule.step()
    return st.sampled_from((leaf.max + step, Decimal("-0.25"), Decimal("0.1"), Decimal("0.3"), "abc", "0,5",
                            leaf.max * 2))


@st.composite
def leaf_inputs(draw: st.DrawFn, leaf: Criterion, invalid: bool = False) -> LeafInput:
    """A commune's input for one commune-scored leaf: valid, blank, partial, or (invalid=True) wrong."""
    rule = leaf.rule
    assert rule is not None
    explanation = draw(st.sampled_from(EXPLANATIONS))
    mode = draw(st.sampled_from(("value",) * 6 + ("blank", "bad" if invalid else "value")))
    if rule.computed:
        n = len(rule.figures())
        if mode == "blank":
            figures: tuple[Any, ...] = draw(st.sampled_from(((None,) * n, (Decimal(1),) + (None,) * (n - 1))))
        elif mode == "bad":
            figures = draw(_invalid_figures(leaf))
        else:
            figures = draw(_valid_figures(leaf))
        return LeafInput(figures=tuple(figures), explanation=explanation)
    if mode == "blank":
        return LeafInput(explanation=explanation)
    value = draw(_invalid_score(leaf) if mode == "bad" else _valid_score(leaf))
    return LeafInput(value=value, explanation=explanation)


@st.composite
def register_rows(draw: st.DrawFn, codes: Sequence[str], max_rows: int = 8) -> tuple[tuple[Any, ...], ...]:
    """Evidence register rows citing the set's codes (now and then an unknown code or a missing cell)."""
    code = st.one_of(st.sampled_from(list(codes)), st.sampled_from(("9.9.9", "")))
    row = st.tuples(code, st.sampled_from(DOC_NUMBERS), st.sampled_from(DOC_DATES), st.just("UBND xã"),
                    st.just("Trích yếu văn bản"), st.sampled_from(DOC_FILES))
    return tuple(draw(st.lists(row, max_size=max_rows)))


@st.composite
def fillings(draw: st.DrawFn, cset: CriteriaSet, invalid: bool = False) -> Filling:
    leaves = {leaf.code: draw(leaf_inputs(leaf, invalid)) for leaf in cset.commune_leaves()}
    codes = [leaf.code for leaf in cset.commune_leaves()]
    return Filling(leaves=leaves, register=draw(register_rows(codes)), label="invalid" if invalid else "random")


def cite_document(book: Path, code: str, file_name: str) -> Path:
    """The return's evidence register gets one document for `code`, citing `file_name` (saved in place, as
    a commune's spreadsheet program saves it)."""
    t = template("commune")
    wb = openpyxl.load_workbook(book)
    ws = wb[t["sheets"]["register"]]
    row = [code, "12/KH-UBND", None, "UBND xã", "Kế hoạch cải cách hành chính năm", file_name]
    for col, value in enumerate(row, start=1):
        ws.cell(row=t["register"]["first_row"], column=col, value=value)
    wb.save(book)
    return book
