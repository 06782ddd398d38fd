"""The commune workbook as data: every cell, name and validation, shared by the writer and the reader.

`build_layout` turns (criteria set, commune, declared inputs) into a `Layout`: cell specs with their
content, formula, cached result, style key, lock state, defined name and validation. The writer renders
it with XlsxWriter; the importer reads inputs through its names and refs and compares locked cells
against it to explain tampering. Formulas come from the scoring rules (one definition per rule) and
cached results from `cchc_xl.scoring.evaluate`, so every viewer shows the right numbers.

A blank layout (no declared inputs) depends on the commune through five texts only (its code, and its
name in four titles). `LayoutTemplate` builds the blank layout of a criteria set once, for a placeholder
commune, and gives each commune a copy with those cells re-filled: generating or importing a thousand
workbooks then builds the set's four thousand cells once, not a thousand times.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from functools import cached_property, lru_cache
from itertools import pairwise
from typing import Any, NamedTuple

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet, Criterion
from cchc_xl.criteria.rules import DistrictRule
from cchc_xl.identity import NEUTRAL, RoundIdentity
from cchc_xl.literals import number as _num
from cchc_xl.literals import text as _text
from cchc_xl.numbers import fmt
from cchc_xl.scoring import (
    Evaluation,
    LeafCells,
    LeafInput,
    Raw,
    blank_text,
    evaluate,
    excel_blank,
    excel_checks,
    excel_tier,
    leaf_checks,
)
from cchc_xl.templates import AnswerTemplate, CommuneTemplate, template
from cchc_xl.workbook.template_cache import SWITCH as LAYOUT_SWITCH
from cchc_xl.workbook.template_cache import memoized_heights, memoized_lines, typed

Value = str | Decimal | int | dt.date | None


@dataclass(frozen=True)
class Validation:
    kind: str  # list | custom | decimal | whole | date
    source: str = ""  # list range, or custom formula (without '=')
    minimum: Any = None
    maximum: Any = None
    title: str = ""
    prompt: str = ""
    error: str = ""


@dataclass(frozen=True)
class CellSpec:
    sheet: str  # sheet key, see workbook_templates/commune.yaml `sheets`
    row: int  # 0-based
    col: int  # 0-based
    value: Value = None
    formula: str | None = None  # without the leading '='
    cached: Value = None
    style: str = "text"
    locked: bool = True
    name: str | None = None

    @property
    def ref(self) -> str:
        return cell_ref(self.row, self.col)


@lru_cache(maxsize=1 << 16)  # (every layout's cells ask for their references: the digest, the lookups)
def cell_ref(row: int, col: int) -> str:
    """The A1 reference of a 0-based position."""
    return xl_rowcol_to_cell(row, col)


@dataclass(frozen=True)
class RangeValidation:
    sheet: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int
    validation: Validation

    @cached_property  # asked for every layout validation of every imported file
    def sqref(self) -> str:
        a = xl_rowcol_to_cell(self.first_row, self.first_col)
        b = xl_rowcol_to_cell(self.last_row, self.last_col)
        return a if a == b else f"{a}:{b}"


@dataclass(frozen=True)
class Merge:
    """Cells shown as one (outside input areas only): the first cell keeps the text, the others are blank."""

    sheet: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int

    @property
    def sqref(self) -> str:
        return f"{xl_rowcol_to_cell(self.first_row, self.first_col)}:{xl_rowcol_to_cell(self.last_row, self.last_col)}"


@dataclass(frozen=True)
class LeafRefs:
    """Where one scored item lives in the grid (A1 refs on the grid sheet)."""

    code: str
    row: int  # 0-based
    score: str
    figures: tuple[str, ...]
    explanation: str
    status: str
    evidence: str
    score_is_input: bool
    mark: str = ""  # the district's mark, which the status cell shows when set (DISTRICT_MARK_STYLE)


class SheetLayout:
    """What a workbook layout shares with every other (the commune workbook's `Layout`, the appraisal path's
    `AppraisalLayout`), and what the importer's locked-cell check (`importing.verify.check_locked`) reads:
    its sheets by key, cells, validations, defined names and merges; display references; an index of its
    cells; the cells holding a criterion's maximum. Subclasses are dataclasses with those fields and `_index`."""

    sheets: dict[str, str]
    cells: list[CellSpec]
    validations: list[RangeValidation]
    names: dict[str, str]
    merges: list[Merge]
    _index: _Index | None

    def quoted(self, key: str) -> str:
        return "'" + self.sheets[key].replace("'", "''") + "'"

    def at(self, key: str, ref: str) -> str:
        """A display reference such as 'Tự đánh giá'!G27."""
        return f"{self.quoted(key)}!{ref}"

    def maxima(self) -> dict[tuple[str, int, int], str]:
        """(sheet key, row, col) of each locked cell holding a criterion's maximum -> that criterion's code."""
        return {}

    # -- lookups (an index built once per layout, or shared by every layout of a template) ----------
    @property
    def index(self) -> _Index:
        if self._index is None:
            self._index = _Index.of(self.cells)
        return self._index

    def cells_at(self, positions: list[int]) -> list[CellSpec]:
        """This layout's cells at positions of its index."""
        return [self._cell(i) for i in positions]

    def _cell(self, i: int) -> CellSpec:
        return self.cells[i]


@dataclass
class Layout(SheetLayout):
    cset: CriteriaSet
    commune: Commune
    sheets: dict[str, str]
    cells: list[CellSpec] = field(default_factory=list)
    validations: list[RangeValidation] = field(default_factory=list)
    leaves: dict[str, LeafRefs] = field(default_factory=dict)
    node_rows: dict[str, int] = field(default_factory=dict)  # every grid code -> 0-based row
    names: dict[str, str] = field(default_factory=dict)  # defined name -> "'Sheet'!$A$1"
    register_rows: tuple[int, int] = (0, 0)  # 0-based first and last input rows
    meta: dict[str, str] = field(default_factory=dict)
    evaluation: Evaluation | None = None
    # Print look (no part of the locked-cell digest): merged cells, and row heights in points fitted to the
    # wrapped texts of each row (rows not listed keep the default height).
    merges: list[Merge] = field(default_factory=list)
    row_heights: dict[tuple[str, int], float] = field(default_factory=dict)  # (sheet key, 0-based row) -> pt
    # The place of each cell holding one of the return's values or a result of them, outside the grid's item
    # rows (`leaves`) and the register's input rows, by what it holds; recorded by the builder as it puts the
    # cell, the same for every return of a set and round (`declared_layout` sets these cells).
    value_places: dict[PlaceKey, Place] = field(default_factory=dict)
    # The assessing body the texts name ("Do tỉnh chấm"); signed into the metadata, so the importer rebuilds
    # the same layout from the file alone.
    identity: RoundIdentity = NEUTRAL
    # Set on layouts made from a LayoutTemplate: lookups and the digest come from the template.
    _index: _Index | None = field(default=None, repr=False, compare=False)
    _template: LayoutTemplate | None = field(default=None, repr=False, compare=False)

    def locked_manifest(self) -> list[tuple[str, str, str, str]]:
        return locked_manifest(self.sheets, self.cells, self.validations)

    def digest(self) -> str:
        if self._template is not None:
            return self._template.digest(self.commune)
        return manifest_digest(self.locked_manifest())

    def maxima(self) -> dict[tuple[str, int, int], str]:
        """The grid's maximum cells, (sheet key, row, col) -> the code whose maximum each holds."""
        col = _grid_max_col()
        return {("grid", row, col): code for code, row in self.node_rows.items()}

    def checked_cells(self) -> list[CellSpec]:
        """Locked cells outside the meta sheet with a formula or a value, in order: what the importer
        compares with a returned file (every other cell has nothing to compare)."""
        return [self._cell(i) for i in self.index.checked]

    def cell_at(self, sheet: str, ref: str) -> CellSpec | None:
        """The first cell at `ref` on sheet key `sheet`."""
        i = self.index.at.get((sheet, ref))
        return None if i is None else self._cell(i)

    def named_cell(self, name: str) -> CellSpec | None:
        """The first cell carrying the defined name `name`."""
        i = self.index.named.get(name)
        return None if i is None else self._cell(i)



class _Index:
    """Positions in a layout's cell list; valid for every layout of a template (same cells, same places).
    Each lookup is made when first asked for: a feedback layout's status marks ask for `at` only, the
    importer's check for `checked` and `expected` (of a template's layout, made once for all)."""

    def __init__(self, cells: list[CellSpec]):
        self._cells = cells

    @classmethod
    def of(cls, cells: list[CellSpec]) -> _Index:
        return cls(cells)

    @cached_property
    def at(self) -> dict[tuple[str, str], int]:
        at: dict[tuple[str, str], int] = {}
        for i, c in enumerate(self._cells):
            at.setdefault((c.sheet, c.ref), i)
        return at

    @cached_property
    def named(self) -> dict[str, int]:
        named: dict[str, int] = {}
        for i, c in enumerate(self._cells):
            if c.name:
                named.setdefault(c.name, i)
        return named

    @property
    def checked(self) -> tuple[int, ...]:
        return self._checked[0]

    @property
    def expected(self) -> dict[str, Expected]:
        """Sheet key -> the checked cells' contents, for a quick first comparison."""
        return self._checked[1]

    @cached_property
    def _checked(self) -> tuple[tuple[int, ...], dict[str, Expected]]:
        checked = []
        expected: dict[str, Expected] = {}
        for i, c in enumerate(self._cells):
            # A template's commune cells hold placeholder texts, so they are listed even where a commune's
            # own text is empty; comparing an empty expected value finds nothing, as skipping it would.
            if (c.locked and c.sheet != "meta" and c.style != DISTRICT_MARK_STYLE
                    and (c.formula is not None or c.value not in (None, ""))):
                checked.append(i)
                expected.setdefault(c.sheet, Expected()).add(i, c)
        return tuple(checked), expected


@dataclass
class Expected:
    """The checked cells of one sheet as a reader returns them: formula text by (row, col); a value as
    the reader's str or float (only where that float stands for the decimal exactly); the rest apart.
    A returned file's cell equal to this is unchanged; any other needs the full comparison."""

    formulas: list[tuple[int, tuple[int, int], str]] = field(default_factory=list)
    values: list[tuple[int, int, int, str | float]] = field(default_factory=list)
    others: list[int] = field(default_factory=list)

    def add(self, i: int, cell: CellSpec) -> None:
        v = cell.value
        if cell.formula is not None:
            self.formulas.append((i, (cell.row, cell.col), cell.formula))
        elif isinstance(v, str) and unicodedata.is_normalized("NFC", v):
            self.values.append((i, cell.row, cell.col, v))
        elif isinstance(v, Decimal | int) and not isinstance(v, bool) and Decimal(repr(float(v))) == v:
            self.values.append((i, cell.row, cell.col, float(v)))
        else:
            self.others.append(i)


def canonical_value(value: Value) -> str:
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return format(Decimal(value).normalize(), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# The style of the district's mark cells (grid column `mark`): locked, but written by the district after
# the import (the feedback workbook), so no part of the locked manifest nor of the tamper check, and never
# read as the commune's input.
DISTRICT_MARK_STYLE = "district_mark"


def locked_manifest(sheets: dict[str, str], cells: list[CellSpec],
                    validations: list[RangeValidation]) -> list[tuple[str, str, str, str]]:
    """Canonical list of a layout's locked content, sorted: (sheet name, ref, 'f'|'v'|'dv', text); the meta
    sheet's key and value columns excluded (the digest is one of its values); a validation by kind and source."""
    items = []
    for c in cells:
        if not c.locked or (c.sheet == "meta" and c.col < 2) or c.style == DISTRICT_MARK_STYLE:
            continue
        if c.formula is not None:
            items.append((sheets[c.sheet], c.ref, "f", c.formula))
        elif c.value not in (None, ""):
            items.append((sheets[c.sheet], c.ref, "v", canonical_value(c.value)))
    for v in validations:
        items.append((sheets[v.sheet], v.sqref, "dv", f"{v.validation.kind}|{v.validation.source}"))
    items.sort()
    return items


def _grid_max_col() -> int:
    return template("commune").grid.columns["max"].index


def manifest_digest(items: list[tuple[str, str, str, str]]) -> str:
    data = json.dumps(items, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


# -- how tall a row of wrapped text must be ---------------------------------------------------------------
MAX_ROW_HEIGHT = 409.0  # points: Excel's limit
DEFAULT_ROW_HEIGHT = 15.0
# Advance widths of Times New Roman (as of its metric twin Liberation Serif), in thousandths of an em, for
# printable ASCII and the other characters Vietnamese texts use most; a letter with diacritics is as wide as
# its base letter, any other character is taken as wide as 0.6 em.
_WIDTH_CHARS = "".join(chr(i) for i in range(32, 127)) + "đĐơƠưƯ“”‘’–—…•×÷≥≤"
_REGULAR = (250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, 500, 500, 500, 500, 500,
            500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444, 921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389,
            722, 611, 889, 722, 722, 556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500, 333,
            444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500, 500, 500, 333, 389, 278, 500, 500,
            722, 500, 500, 444, 480, 200, 480, 541, 500, 722, 529, 722, 542, 776, 444, 444, 333, 333, 500, 1000, 1000,
            350, 564, 549, 549, 549)
_BOLD = (250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278, 500, 500, 500, 500, 500, 500,
         500, 500, 500, 500, 333, 333, 570, 570, 570, 500, 930, 722, 667, 722, 722, 667, 611, 778, 778, 389, 500, 778,
         667, 944, 722, 778, 611, 778, 722, 556, 667, 722, 722, 1000, 722, 722, 667, 333, 278, 333, 581, 500, 333, 500,
         556, 444, 556, 444, 333, 500, 556, 278, 333, 556, 278, 833, 556, 500, 556, 556, 444, 389, 333, 556, 500, 722,
         500, 500, 444, 394, 220, 394, 520, 556, 722, 554, 778, 600, 796, 500, 500, 333, 333, 500, 1000, 1000, 350, 570,
         549, 549, 549)
class _CharWidths(dict[str, int]):
    """A font's advance widths by character; one not listed is worked out on first use: a diacritic typed
    apart from its letter (text not in NFC) is 0, a letter with diacritics its base letter's, any other 600."""

    def __missing__(self, ch: str) -> int:
        found = 0 if unicodedata.combining(ch) else self.get(unicodedata.normalize("NFD", ch)[0], 600)
        self[ch] = found
        return found


class _WordWidths(dict[str, int]):
    """Words' widths in one weight, remembered: words recur in every text (bounded: cleared when full).
    Looked up by `map` (no Python call a word met before)."""

    def __init__(self, chars: _CharWidths):
        super().__init__()
        self.chars = chars

    def __missing__(self, word: str) -> int:
        if len(self) >= 65536:
            self.clear()
        found = self[word] = sum(map(self.chars.__getitem__, word))
        return found


_EM: dict[bool, _CharWidths] = {False: _CharWidths(zip(_WIDTH_CHARS, _REGULAR, strict=True)),
                                True: _CharWidths(zip(_WIDTH_CHARS, _BOLD, strict=True))}
_WORDS: dict[bool, _WordWidths] = {bold: _WordWidths(chars) for bold, chars in _EM.items()}


def column_points(width: float) -> float:
    """The room for text in a column `width` Excel units wide (7 pixels a unit and 5 of padding, as Excel
    draws it at 96 dpi, less the cell's margins), in points."""
    return (width * 7 - 2) * 0.75


def text_lines(text: str, width: float, size: float = 11, bold: bool = False) -> int:
    """Lines a wrapped cell `width` units wide needs for `text` in Times New Roman at `size` points: each
    paragraph wrapped word by word (a word longer than a line is broken), text measured 3 % wide for safety."""
    room = column_points(width) / size * 1000 / 1.03  # in thousandths of an em
    words_em = _WORDS[bold]
    space = _EM[bold][" "]
    lines = 0
    for paragraph in str(text).split("\n"):
        lines += 1
        words = paragraph.split(" ")
        widths = list(map(words_em.__getitem__, words))
        if sum(widths) + space * (len(words) - 1) <= room:
            continue  # (the whole paragraph on one line: so is every part of it, as the loop below finds)
        used = -space
        for w in widths:
            if used + space + w <= room:
                used += space + w
                continue
            if used > 0:
                lines += 1  # the word starts a new line
            extra, used = divmod(w, room) if w > room else (0, w)
            lines += int(extra)
    return lines


_text_lines = memoized_lines(text_lines)  # the same texts recur in every commune's layout


def line_height(size: float = 11) -> float:
    """Points per line of text: ~15 for 11 pt, ~13.5 for 10 pt."""
    return {10: 13.5, 11: 15.0}.get(size, round(size * 1.36, 1))


def lines_height(lines: int, size: float = 11) -> float:
    """The height of `lines` lines (rounded up to a quarter point), at most Excel's 409 pt."""
    return min(MAX_ROW_HEIGHT, math.ceil(lines * line_height(size) * 4) / 4)


def fit_row(heights: dict[Any, float], key: Any, texts: list[tuple[Any, float, float, bool]],
            always: bool = False) -> None:
    """Make the row `key` of `heights` tall enough for its wrapped texts, each (text, column width, font size,
    bold); a row whose texts need one line each keeps the default height, unless `always` (a larger font)."""
    # (texts as the measure reads them, str: a memo key equal for 1 and Decimal("1.0") must not be)
    height = _row_height(tuple([t if type(t[0]) is str or t[0] is None else (str(t[0]), *t[1:]) for t in texts]),
                         always)
    if height:
        heights[key] = max(height, heights.get(key, 0.0))


def row_height(texts: tuple[tuple[Any, float, float, bool], ...], always: bool) -> float:
    """The height `fit_row` gives a row for these texts (0: it leaves the row as it is)."""
    height = 0.0
    for text, width, size, bold in texts:
        if text in (None, ""):
            continue
        lines = _text_lines(str(text), width, size, bold)
        if lines > 1 or always:
            height = max(height, lines_height(lines, size))
    return height if height > DEFAULT_ROW_HEIGHT or (always and height) else 0.0


_row_height = memoized_heights(row_height)


@dataclass(frozen=True)
class Declared:
    """A commune's inputs as typed (numbers, text or blank), keyed by criterion code."""

    leaves: dict[str, LeafInput] = field(default_factory=dict)
    register: tuple[tuple[Raw | dt.date, ...], ...] = ()  # raw rows, columns as `register.columns`
    difficulties: str = ""
    recommendations: str = ""

    def register_codes(self) -> list[str]:
        return [str(r[0]).strip() for r in self.register if r and r[0] not in (None, "")]


# -----------------------------------------------------------------------------------------------
# The register's input fields, in the order of a declared register row (Declared.register) and of the
# importer's raw rows; where each sits on the sheet is `register_columns`.
REGISTER_FIELDS = ("code", "number", "date", "issuer", "subject", "files")


def register_columns(t: CommuneTemplate | AnswerTemplate) -> dict[str, int]:
    """Column index (0-based) of each register field, from a template's `register.columns`: the one geometry
    the layout writes and the importer reads."""
    return t.register.columns.indices


@dataclass
class _LeafStatic:
    """A leaf row's cell references, texts, formulas and validations (see `_Builder._leaf_static`)."""
    ref: dict[str, str]
    method: str
    title: str
    figure_validations: tuple[Validation, ...]
    score_formula: str = ""
    score_validation: Validation | None = None
    evidence_formula: str = ""
    status_formula: str = ""
    status_texts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _BuiltRow:
    """What building one row added to a layout."""

    cells: tuple[CellSpec, ...]
    validations: tuple[RangeValidation, ...]
    merges: tuple[Merge, ...]
    names: tuple[tuple[str, str], ...]
    height: float | None
    refs: LeafRefs | None  # a grid item row's references
    # per value of RowValues: its cell's place in `cells`, and the blank layout's cell there when it is this
    # row's cell but for that value (taken as it is where the file's value is the blank's), and the cells
    # made for other values (by value and type: the values recur, and their cells are then the same objects)
    slots: tuple[tuple[int, CellSpec | None, dict[tuple[Any, ...], CellSpec]], ...] | None = None


SUMMARY_HEADER_ROW = 6  # 0-based: the summary sheet's table header (its rows follow)
_MADE_PER_SLOT = 16  # (bounded: an item's explanations are each return's own)


Place = tuple[str, int, int]  # (sheet key, 0-based row, 0-based column)


class PlaceKind(StrEnum):
    """What a cell of `Layout.value_places` holds (with the code of its area, criterion or item, where it
    holds one's)."""

    GRID_NODE_SCORE = "grid_node_score"  # an area's or criterion's total on the grid (code)
    GRID_TOTAL = "grid_total"
    GRID_TIER = "grid_tier"  # (only when the commune scores every point: else the cell says why there is none)
    REGISTER_PENDING = "register_pending"  # the register's count of rows still to complete
    SUMMARY_SCORE = "summary_score"  # an area's or criterion's score (code; none where the body scores all of it)
    SUMMARY_TOTAL = "summary_total"
    SUMMARY_TIER = "summary_tier"
    ISSUES_DIFFICULTIES = "issues_difficulties"  # (the commune's input cells)
    ISSUES_RECOMMENDATIONS = "issues_recommendations"
    APPROVED_NODE_SCORE = "approved_node_score"  # Phụ lục 2: an area's or criterion's total (code)
    APPROVED_LEAF_SCORE = "approved_leaf_score"  # an item's score (code; the commune's items only)
    APPROVED_NOTE = "approved_note"  # an item's note: its evidence count, or that it is explained (code)
    APPROVED_TOTAL = "approved_total"
    APPROVED_EXPLANATION = "approved_explanation"  # an item's explanation (code)
    APPROVED_DIFFICULTIES = "approved_difficulties"
    APPROVED_RECOMMENDATIONS = "approved_recommendations"


class PlaceKey(NamedTuple):
    """A key of `Layout.value_places`: what the cell holds, and whose (a criterion code, or "")."""

    kind: PlaceKind
    code: str = ""


@dataclass(frozen=True)
class RowValues:
    """What of a row differs from return to return (its inputs, their results, an item's explanation,
    which every return words its own way): the row memo keys the row without them, and a row from the memo
    gets this file's: each `values` entry (place, field, value) sets one of its cells' `value` or `cached`.
    With `fit`, the row's texts as the builder fits them (`fit_row`), its height is fitted again; without,
    the row's height is the memo's (the values are none of the texts it is fitted to)."""

    values: tuple[tuple[Place, str, Value], ...]
    fit: tuple[tuple[Any, float, float, bool], ...] | None = None
    always: bool = False


def _same(a: Any, b: Any) -> bool:
    """The same value as a cell writes it: equal, of one type, and a zero of one sign (-0 is written so)."""
    return type(a) is type(b) and bool(a == b) and (type(a) is not Decimal or a.is_signed() == b.is_signed())


def _value_key(value: Value) -> tuple[Any, ...]:
    """A value as `_same` tells values apart, for a dict."""
    return (type(value), value, value.is_signed()) if type(value) is Decimal else (type(value), value)


def _with(cell: CellSpec, name: str, value: Value) -> CellSpec:
    """`replace(cell, name=value)`, made as copy.copy makes a copy (a few thousand a layout)."""
    made = object.__new__(CellSpec)
    made.__dict__.update(cell.__dict__)
    made.__dict__[name] = value
    return made


class RowMemo:
    """Built rows by their key, in two generations of up to `size` entries each (as reading.rows.ChunkMemo):
    the rows that recur across a run's files stay, a file's own go. Most rows are keyed by their place only,
    the file's values put in (RowValues). Off with CCHC_XL_FAST_LAYOUT=0."""

    def __init__(self, size: int = 4096):
        self.size = size
        self.young: dict[Any, _BuiltRow] = {}
        self.old: dict[Any, _BuiltRow] = {}

    def get(self, key: Any) -> _BuiltRow | None:
        got = self.young.get(key)
        if got is None:
            got = self.old.get(key)
            if got is not None:
                self.put(key, got)
        return got

    def put(self, key: Any, built: _BuiltRow) -> None:
        if len(self.young) >= self.size:
            self.old, self.young = self.young, {}
        self.young[key] = built


def _slots(cells: tuple[CellSpec, ...], values: RowValues, height: float | None, start: int,
           blank: list[CellSpec]) -> tuple[tuple[int, CellSpec | None, dict[tuple[Any, ...], CellSpec]], ...] | None:
    """`_BuiltRow.slots` of a row just built (its `cells` from place `start` of the layout's), if it was built
    as `values` describes it (each cell holds its value, its texts fitted alone give its height); else None."""
    at = {(c.sheet, c.row, c.col): k for k, c in enumerate(cells)}
    if len(at) != len(cells):
        return None
    out = []
    for place, name, value in values.values:
        k = at.get(place)
        if k is None or not _same(getattr(cells[k], name), value):
            return None
        b = blank[start + k] if start + k < len(blank) else None
        other = "cached" if name == "value" else "value"
        if b is not None and (b != replace(cells[k], **{name: getattr(b, name)})
                              or not _same(getattr(b, other), getattr(cells[k], other))):
            b = None
        out.append((k, b, {}))
    if values.fit is not None:
        fitted: dict[Any, float] = {}
        fit_row(fitted, 0, list(values.fit), values.always)
        if fitted.get(0) != height:
            return None
    return tuple(out)


class _Builder:
    """Builds a Layout sheet by sheet; each method writes one part."""

    def __init__(self, cset: CriteriaSet, commune: Commune, declared: Declared, identity: RoundIdentity = NEUTRAL,
                 blank: LayoutTemplate | None = None, evaluation: Evaluation | None = None):
        self.t = template("commune", identity)
        # the set's blank layout: its register rows past the declared ones are taken as they are (a return
        # fills a few of the hundreds of rows; the rest, their long check formulas included, never vary)
        self.blank = blank
        self.register_spans: list[tuple[int, int]] = []  # per register row: its cells' span in layout.cells
        # what a row's texts, formulas and validations are, by (part, item code, row): the same for every
        # commune of the set and round, so a return's layout takes them from the blank layout's builder
        self.statics: dict[tuple[str, str, int], Any] = blank.statics if blank is not None else {}
        # a grid item row by its inputs and results, as built for an earlier file of the run (None: none kept)
        self.rows: RowMemo | None = blank.rows if blank is not None else None
        self.identity = identity
        # (position in layout.cells, text of that cell for a commune): every cell that depends on the commune
        self.commune_slots: list[tuple[int, Callable[[Commune], str]]] = []
        self.cset = cset
        self.commune = commune
        self.declared = declared
        self.layout = Layout(cset=cset, commune=commune, sheets=dict(self.t["sheets"]), identity=identity)
        # (`evaluation`: what evaluate gives these inputs, when the caller has it)
        self.ev = evaluation if evaluation is not None else evaluate(cset, declared.leaves, declared.register_codes())
        self.layout.evaluation = self.ev
        self.gcol = self.t.grid.columns.indices
        self.gwidth = {k: c.width for k, c in self.t.grid.columns.items()}
        self.rcol = register_columns(self.t)
        self.rwidth = {k: c.width for k, c in self.t.register.columns.items()}
        # the texts across the register span its input columns: the check column after them is hidden
        self.rspan = (max(self.rcol[k] for k in REGISTER_FIELDS), sum(self.rwidth[k] for k in REGISTER_FIELDS))
        self.list_col = 5  # meta sheet: level lists start at column F
        self.composition = {"total": fmt(cset.total), "commune_max": fmt(cset.commune_max),
                            "body_max": fmt(cset.body_max)}

    def put(self, sheet: str, row: int, col: int, *, key: PlaceKey | None = None, **kw: Any) -> CellSpec:
        """A cell; with `key`, one holding a return's value or a result of them (`Layout.value_places`)."""
        cell = CellSpec(sheet, row, col, **kw)
        self.layout.cells.append(cell)
        if key is not None:
            self.layout.value_places[key] = (sheet, row, col)
        if cell.name:
            self.layout.names[cell.name] = self._static(
                "name", sheet, row * 16384 + col, lambda: f"{self.layout.quoted(sheet)}!${xl_col_to_name(col)}${row + 1}")
        return cell

    def put_commune(self, sheet: str, row: int, col: int, text: Callable[[Commune], str], **kw: Any) -> CellSpec:
        """A cell whose text depends on the commune (and on nothing else that varies)."""
        self.commune_slots.append((len(self.layout.cells), text))
        return self.put(sheet, row, col, value=text(self.commune), **kw)

    def keep(self, key: PlaceKey, place: Place) -> Place:
        """`place`, recorded under `key` in `Layout.value_places`: for the cells of a row from the row memo,
        whose puts are not run again (the place is the one the row's `RowValues` sets)."""
        self.layout.value_places[key] = place
        return place

    def merge(self, sheet: str, row: int, first_col: int, last_col: int, last_row: int | None = None) -> None:
        self.layout.merges.append(Merge(sheet, row, first_col, row if last_row is None else last_row, last_col))

    def fit(self, sheet: str, row: int, texts: list[tuple[Any, float, float, bool]], always: bool = False) -> None:
        fit_row(self.layout.row_heights, (sheet, row), texts, always)

    def set_height(self, sheet: str, row: int, height: float) -> None:
        self.layout.row_heights[(sheet, row)] = height

    def validate(self, sheet: str, row: int, col: int, v: Validation, last_row: int | None = None) -> None:
        self.layout.validations.append(RangeValidation(sheet, row, col, last_row if last_row is not None else row,
                                                       col, v))

    def build(self) -> Layout:
        self.meta_lists()
        self.grid()
        self.register()
        self.summary()
        self.issues()
        self.guide()
        from cchc_xl.workbook.approved_report import ApprovedReport  # it builds on this builder

        ApprovedReport(self).build()
        return self.layout

    # -- meta sheet: lists used by validations (the key/value rows are added by the signer) -------
    def meta_lists(self) -> None:
        """The lists (the set's and round's only): built once, their cells then shared by every layout."""
        key = ("meta_lists", "", 0)
        got = self.statics.get(key)
        if got is None:
            start = len(self.layout.cells)
            self._build_meta_lists()
            self.statics[key] = (tuple(self.layout.cells[start:]), self.codes_range, dict(self.lists), self.list_col)
            return
        cells, self.codes_range, lists, self.list_col = got
        self.layout.cells.extend(cells)
        self.lists = dict(lists)

    def _build_meta_lists(self) -> None:
        codes = [leaf.code for leaf in self.cset.commune_leaves()]
        self.codes_range = f"{self.layout.quoted('meta')}!$D$2:$D${len(codes) + 1}"
        self.put("meta", 0, 3, value="codes")
        for i, code in enumerate(codes, start=1):
            self.put("meta", i, 3, value=code)
        self.lists: dict[str, str] = {}
        for leaf in self.cset.commune_leaves():
            rule = leaf.rule
            assert rule is not None
            allowed = rule.allowed_points(leaf.max)
            if rule.computed or allowed is None:
                continue
            col = self.list_col
            self.list_col += 1
            self.put("meta", 0, col, value=leaf.code)
            for i, points in enumerate(allowed, start=1):
                self.put("meta", i, col, value=points, style="number")
            letter = xl_col_to_name(col)
            self.lists[leaf.code] = f"{self.layout.quoted('meta')}!${letter}$2:${letter}${len(allowed) + 1}"

    # -- Tự đánh giá ---------------------------------------------------------------------------
    def grid(self) -> None:
        g = self.t["grid"]
        cols = self.gcol
        last_col = len(cols) - 1
        year = self.cset.year
        self.put("grid", 0, 0, value=g["title"].format(year=year), style="title")
        set_title, version = self.cset.title, self.cset.version
        self.put_commune("grid", 1, 0, lambda c: g["subtitle"].format(committee=c.committee, set_title=set_title,
                                                                       version=version), style="subtitle")
        self.put("grid", 2, 0, value=self.t["grid"]["code_label"], style="label")
        self.put_commune("grid", 2, 1, lambda c: c.code, style="code_value", name="MA_DON_VI")
        for c in g.columns.values():
            self.put("grid", 3, c.index, value=c.header, style="header")
            self.fit("grid", 3, [(c.header, c.width, 11, True)])
        row = g["first_row"] - 1
        area_cells = []
        for area in self.cset.areas:
            area_row = row
            self.layout.node_rows[area.code] = row
            row += 1
            crit_cells = []
            for crit in area.criteria:
                crit_cells.append(self._score_ref(row))
                row = self._criterion(crit, row)
            self._parent_row(area_row, area.code, area.title, area.max, crit_cells, "area")
            area_cells.append(self._score_ref(area_row))
        self.grid_last_row = row - 1
        score_col = cols["score"]
        total = self.ev.total
        # While the body scores part of the set, the commune's total is out of the points it scores itself,
        # said so, and carries no tier (see scoring.self_tier).
        partial = self.cset.body_max > 0
        label = g["total_label_partial"].format(**self.composition) if partial else g["total_label"]
        self.put("grid", row, cols["title"], value=label, style="total_label_wrap" if partial else "total_label")
        self.fit("grid", row, [(label, self.gwidth["title"], 11, True)])
        self.put("grid", row, cols["max"], value=self.cset.commune_max if partial else self.cset.total,
                 style="total_number")
        self.put("grid", row, score_col, formula=f"ROUND(SUM({','.join(area_cells)}),2)", cached=total,
                 style="total_number", name="TONG_DIEM", key=PlaceKey(PlaceKind.GRID_TOTAL))
        self.total_ref = xl_rowcol_to_cell(row, score_col)
        self.put("grid", row + 1, cols["title"], value=g["tier_label"], style="total_label")
        if partial:
            self.put("grid", row + 1, score_col, value=tier_shown(self.cset, "", self.layout.identity),
                     style="total_text", name="XEP_LOAI")
        else:
            self.put("grid", row + 1, score_col, formula=self._tier_formula(self.total_ref), cached=self.shown_tier,
                     style="total_text", name="XEP_LOAI", key=PlaceKey(PlaceKind.GRID_TIER))
        self.tier_ref = xl_rowcol_to_cell(row + 1, score_col)
        self.grid_total_row = row
        del last_col

    def _score_ref(self, row: int) -> str:
        return xl_rowcol_to_cell(row, self.gcol["score"])

    def _tier_formula(self, ref: str) -> str:
        expr = excel_tier(self.cset, ref)
        # A workbook with no score yet shows no tier: every self-scored criterion still says it has none.
        unscored = self._unscored_keys()
        status = self.t["status"]
        col = xl_col_to_name(self.gcol["status"])
        rng = f"${col}${self.t['grid']['first_row']}:${col}${self.grid_last_row + 1}"
        count = "+".join(f"COUNTIF({rng},{_text(status[k])})" for k in unscored)
        return f'IF({count}={len(self.cset.commune_leaves())},"",{expr})'

    @staticmethod
    def _unscored_keys() -> tuple[str, ...]:
        return ("no_score", "no_figures")

    @property
    def shown_tier(self) -> str:
        """The tier the workbook shows (cached): none while no self-scored criterion has a score."""
        if all(self.ev.leaves[leaf.code].status in self._unscored_keys() for leaf in self.cset.commune_leaves()):
            return ""
        return self.ev.tier

    def _criterion(self, crit: Criterion, row: int) -> int:
        self.layout.node_rows[crit.code] = row
        if crit.is_leaf:
            self._leaf_row(row, crit, "criterion")
            return row + 1
        child_cells = []
        start = row
        row += 1
        for sub in crit.children:
            self.layout.node_rows[sub.code] = row
            self._leaf_row(row, sub, "sub")
            child_cells.append(self._score_ref(row))
            row += 1
        self._parent_row(start, crit.code, crit.title, crit.max, child_cells, "criterion")
        return row

    def _parent_row(self, row: int, code: str, title: str, maximum: Decimal, parts: list[str], level: str) -> None:
        """An area's or criterion's grid row (from the run's row memo, the file's total put in)."""
        place = self.keep(PlaceKey(PlaceKind.GRID_NODE_SCORE, code), ("grid", row, self.gcol["score"]))
        self.memo_row(("grid_parent", code, row, level), ("grid", row), None,
                      lambda: self._build_parent_row(row, code, title, maximum, parts, level),
                      RowValues(((place, "cached", self.ev.nodes[code]),)))

    def _build_parent_row(self, row: int, code: str, title: str, maximum: Decimal, parts: list[str],
                          level: str) -> None:
        cols = self.gcol
        self.put("grid", row, cols["code"], value=code, style=f"{level}_code")
        self.put("grid", row, cols["title"], value=title, style=f"{level}_title")
        self.put("grid", row, cols["max"], value=maximum, style=f"{level}_number")
        self.put("grid", row, cols["score"], formula=f"ROUND(SUM({','.join(parts)}),2)",
                 cached=self.ev.nodes[code], style=f"{level}_number")
        self.fit("grid", row, [(title, self.gwidth["title"], 11, True)])

    def _leaf_row(self, row: int, leaf: Criterion, level: str) -> None:
        """An item's grid row (from the run's row memo, the file's inputs, results and explanation put in)."""
        inp = self.declared.leaves.get(leaf.code, LeafInput())
        result = self.ev.leaves[leaf.code]
        text = inp.explanation
        # the row keyed by its item only (and status): its inputs, their results and its explanation put in
        key: tuple[Any, ...] = ("grid", leaf.code, row, level, result.status)
        values = None
        if type(text) is str:
            st = self._static("leaf", leaf.code, row, lambda: self._leaf_static(row, leaf))
            values = RowValues(self._leaf_values(leaf, row, inp, result), self._leaf_fit(leaf, level, st, text))
        else:
            key += (tuple(map(typed, inp.figures)), typed(inp.value), text, typed(result.score), result.evidence_count)
        self.memo_row(key, ("grid", row), leaf.code, lambda: self._build_leaf_row(row, leaf, level), values)

    def _leaf_values(self, leaf: Criterion, row: int, inp: LeafInput,
                     result: Any) -> tuple[tuple[Place, str, Value], ...]:
        """What an item's grid row holds of the file's (`_build_leaf_row` puts them in these cells)."""
        rule, cols = leaf.rule, self.gcol
        assert rule is not None
        out: list[tuple[Place, str, Value]] = []
        for n, key in enumerate(("fig1", "fig2")[:len(rule.figures())], start=1):
            out.append((("grid", row, cols[key]), "value", inp.figures[n - 1] if n <= len(inp.figures) else None))
        if leaf.scored_by == "district":
            return tuple(out)
        if rule.computed:
            out.append((("grid", row, cols["score"]), "cached", _cached(result.score)))
        else:
            out.append((("grid", row, cols["score"]), "value", inp.value))
        out += [(("grid", row, cols["evidence"]), "cached", result.evidence_count),
                (("grid", row, cols["explanation"]), "value", inp.explanation or None),
                (("grid", row, cols["status"]), "cached", self.t["status"][result.status])]
        return tuple(out)

    def _leaf_fit(self, leaf: Criterion, level: str, st: _LeafStatic,
                  explanation: Any) -> tuple[tuple[Any, float, float, bool], ...]:
        """The texts an item's grid row is fitted to: tall enough for the title, the method, the explanation
        and the longest status the row can show (the method, not printed, is in a wide last column: it needs
        few lines)."""
        w = self.gwidth
        status_texts = [self.t["grid"]["district_mark"]] if leaf.scored_by == "district" else st.status_texts
        return ((st.title, w["title"] - (2 if level == "sub" else 0), 11, level == "criterion"),
                (st.method, w["method"], 10, False), (explanation, w["explanation"], 11, False),
                (max(status_texts, key=len), w["status"], 11, False))

    def memo_row(self, key: tuple[Any, ...], height_key: tuple[str, int], code: str | None,
                 build: Callable[[], None], values: RowValues | None = None) -> None:
        """One row of a layout, built by `build` unless the run's row memo has it under `key` (which names
        everything the row depends on besides the set and round, and besides `values`): its cells,
        validations, merged ranges, names, height (at `height_key`) and, for an item (`code`), its grid
        references; with `values`, the file's values put in (and its height fitted, as `build` would)."""
        rows, layout = self.rows, self.layout
        got = rows.get(key) if rows is not None else None
        if got is not None and (values is None or got.slots is not None):
            if values is None:
                layout.cells.extend(got.cells)
            else:
                cells = list(got.cells)
                for (k, blank, made), (_, name, value) in zip(got.slots, values.values, strict=True):  # type: ignore[arg-type]
                    if _same(getattr(cells[k], name), value):
                        continue
                    key = _value_key(value)
                    cell = made.get(key)
                    if cell is None:
                        cell = blank if blank is not None and _same(getattr(blank, name), value) \
                            else _with(cells[k], name, value)
                        if len(made) >= _MADE_PER_SLOT:
                            made.clear()
                        made[key] = cell
                    cells[k] = cell
                layout.cells.extend(cells)
            layout.validations.extend(got.validations)
            layout.merges.extend(got.merges)
            layout.names.update(got.names)
            if values is not None and values.fit is not None:
                fit_row(layout.row_heights, height_key, list(values.fit), values.always)
            elif got.height is not None:
                layout.row_heights[height_key] = got.height
            if code is not None and got.refs is not None:
                layout.leaves[code] = got.refs
            return
        at = (len(layout.cells), len(layout.validations), len(layout.merges))
        height_before = layout.row_heights.get(height_key)
        build()
        if rows is not None and height_before is None:  # (a row another part made taller is not kept)
            cells = self._as_blank(tuple(layout.cells[at[0]:]), at[0])
            layout.cells[at[0]:] = cells
            slots = None
            if values is not None:
                slots = _slots(cells, values, layout.row_heights.get(height_key), at[0],
                               self.blank.base.cells if self.blank is not None else [])
                if slots is None:
                    return  # (the row is not as `values` says: not kept, built again each time)
            rows.put(key, _BuiltRow(cells, tuple(layout.validations[at[1]:]), tuple(layout.merges[at[2]:]),
                                    tuple((c.name, layout.names[c.name]) for c in cells if c.name),
                                    layout.row_heights.get(height_key),
                                    layout.leaves.get(code) if code is not None and key[0] == "grid" else None,
                                    slots))

    def _as_blank(self, cells: tuple[CellSpec, ...], start: int) -> tuple[CellSpec, ...]:
        """A row's cells (from place `start` of the layout's), each one the blank layout has at its place,
        equal and of the same types, as the blank layout's own object: a feedback workbook then tells the
        cells it need not write by identity (reports/feedback_package.py)."""
        base = self.blank.base.cells if self.blank is not None else []
        out = list(cells)
        for k, c in enumerate(cells):
            b = base[start + k] if start + k < len(base) else None
            if b is not None and b is not c and b == c and type(b.value) is type(c.value) \
                    and type(b.cached) is type(c.cached):
                out[k] = b
        return tuple(out)

    def _build_leaf_row(self, row: int, leaf: Criterion, level: str) -> None:
        g, cols, rule = self.t["grid"], self.gcol, leaf.rule
        assert rule is not None
        district = leaf.scored_by == "district"
        name_key = leaf.name_key
        inp = self.declared.leaves.get(leaf.code, LeafInput())
        result = self.ev.leaves[leaf.code]
        st = self._static("leaf", leaf.code, row, lambda: self._leaf_static(row, leaf))
        ref, method, title = st.ref, st.method, st.title
        self.put("grid", row, cols["code"], value=leaf.code, style=f"{level}_code")
        self.put("grid", row, cols["title"], value=title, style=f"{level}_title")
        self.put("grid", row, cols["method"], value=method, style="method")
        self.put("grid", row, cols["max"], value=leaf.max, style="leaf_number")
        figure_refs: list[str] = []
        for n, key in enumerate(("fig1", "fig2"), start=1):
            spec = rule.figures()[n - 1] if n <= len(rule.figures()) else None
            if spec is None:
                self.put("grid", row, cols[key], style="blank")
                continue
            raw = inp.figures[n - 1] if n <= len(inp.figures) else None
            # counts as whole numbers, other figures (amounts) with two decimals
            self.put("grid", row, cols[key], value=raw, style="input_count" if spec.integer else "input_number",
                     locked=False, name=f"KK_{name_key}_{n}")
            figure_refs.append(ref[key])
            self.validate("grid", row, cols[key], st.figure_validations[n - 1])
        score_input = not district and not rule.computed
        if district:
            self.put("grid", row, cols["score"], style="district")
        elif rule.computed:
            self.put("grid", row, cols["score"], formula=st.score_formula, cached=_cached(result.score),
                     style="leaf_number", name=f"TDG_{name_key}")
        else:
            self.put("grid", row, cols["score"], value=inp.value, style="input_number", locked=False,
                     name=f"TDG_{name_key}")
            self.validate("grid", row, cols["score"], st.score_validation)
        if district:
            self.put("grid", row, cols["evidence"], style="district")
            self.put("grid", row, cols["explanation"], style="district")
            self.put("grid", row, cols["status"], value=g["district_mark"], style="district")
        else:
            self.put("grid", row, cols["evidence"], formula=st.evidence_formula, cached=result.evidence_count,
                     style="leaf_count")
            self.put("grid", row, cols["explanation"], value=inp.explanation or None, style="input_text",
                     locked=False, name=f"GT_{name_key}")
            self.put("grid", row, cols["mark"], style=DISTRICT_MARK_STYLE)
            self.put("grid", row, cols["status"], formula=st.status_formula, cached=self.t["status"][result.status],
                     style="status")
        self.fit("grid", row, list(self._leaf_fit(leaf, level, st, inp.explanation)))
        self.layout.leaves[leaf.code] = LeafRefs(
            code=leaf.code, row=row, score=ref["score"], figures=tuple(figure_refs), explanation=ref["explanation"],
            status=ref["status"], evidence=ref["evidence"], score_is_input=score_input,
            mark="" if district else ref["mark"])

    def _static(self, part: str, code: str, row: int, make: Callable[[], Any]) -> Any:
        key = (part, code, row)
        got = self.statics.get(key)
        if got is None:
            got = self.statics[key] = make()
        return got

    def _leaf_static(self, row: int, leaf: Criterion) -> _LeafStatic:
        """What a leaf's row shows that depends on the set and the round only."""
        g, cols, rule = self.t["grid"], self.gcol, leaf.rule
        assert rule is not None
        ref = {k: xl_rowcol_to_cell(row, c) for k, c in cols.items()}
        figure_refs = [ref[key] for key, _ in zip(("fig1", "fig2"), rule.figures(), strict=False)]
        v = self.t["validation"]
        figure_validations = tuple(Validation(
            "whole" if spec.integer else "decimal", minimum=0, maximum=10**9,
            title=_cut(v["figure_title"].format(n=n), 32), prompt=_cut(v["figure_prompt"].format(label=spec.label), 255),
            error=_cut(v["figure_error"].format(integer=v["integer_suffix"] if spec.integer else ""), 255))
            for n, spec in enumerate(rule.figures()[:2], start=1))
        st = _LeafStatic(
            ref=ref, method=self._method_text(leaf),
            # what each declared figure counts, beside its input cells (the column headers are generic)
            title="\n".join([leaf.title, *(g["figure_line"].format(n=n, label=f.label)
                                           for n, f in enumerate(rule.figures(), start=1))]),
            figure_validations=figure_validations)
        if leaf.scored_by == "district":
            return st
        if rule.computed:
            st.score_formula = f"IF({rule.excel_complete(figure_refs)},{rule.excel_points(leaf.max, figure_refs)},\"\")"
        else:
            st.score_validation = self._score_validation(leaf, ref["score"])
        st.evidence_formula = f"SUMPRODUCT(--({self.register_code_range()}={ref['code']}))"
        checks = self._status_checks(leaf, ref, figure_refs)
        # the district's mark, when the feedback workbook writes one, shows instead of the checks' status
        st.status_formula = f'IF({ref["mark"]}<>"",{ref["mark"]},{self._status_formula(checks)})'
        st.status_texts = [self.t["status"][key] for key in ("ok", *(key for _, key in checks))]
        return st

    def _method_text(self, leaf: Criterion) -> str:
        g, rule = self.t["grid"], leaf.rule
        assert rule is not None
        described = rule.describe(leaf.max)
        if isinstance(rule, DistrictRule):  # named for the round's body ("Do tỉnh chấm"), not by messages
            described = g["district_method"].format(method=rule.method) if rule.method else g["district_mark"]
        parts = [p for p in (leaf.requirement, leaf.guidance or described) if p]
        parts += [g["figure_note"].format(n=n, label=f.label) for n, f in enumerate(rule.figures(), start=1)]
        if leaf.evidence:
            parts.append(g["evidence_note"].format(evidence="; ".join(leaf.evidence)))
        return "\n".join(parts)

    def _score_validation(self, leaf: Criterion, ref: str) -> Validation:
        v, rule = self.t["validation"], leaf.rule
        assert rule is not None
        common = {"title": _cut(v["score_title"], 32),
                  "prompt": _cut(v["score_prompt"].format(max=fmt(leaf.max), method=rule.describe(leaf.max)), 255),
                  "error": _cut(v["score_error"].format(max=fmt(leaf.max)), 255)}
        if leaf.code in self.lists:
            return Validation("list", source=self.lists[leaf.code], **common)
        step = _num(rule.step())
        custom = (f"AND(ISNUMBER({ref}),{ref}>=0,{ref}<={_num(leaf.max)},"
                  f"ABS({ref}/{step}-ROUND({ref}/{step},0))<0.000001)")
        return Validation("custom", source=custom, **common)

    @staticmethod
    def _status_checks(leaf: Criterion, ref: dict[str, str], figure_refs: list[str]) -> list[tuple[str, str]]:
        """(condition, status key) in priority order: the Excel ends of `scoring.leaf_checks`."""
        cells = LeafCells(score=ref["score"], figures=tuple(figure_refs), evidence=ref["evidence"],
                          explanation=ref["explanation"])
        return excel_checks(leaf, leaf_checks(leaf), cells)

    def _status_formula(self, checks: list[tuple[str, str]]) -> str:
        return status_chain(checks, self.t["status"])

    def register_code_range(self) -> str:
        r = self.t["register"]
        first = r["first_row"]
        last = first + r["rows"] - 1
        return f"{self.layout.quoted('register')}!$A${first}:$A${last}"

    # -- Tài liệu kiểm chứng ------------------------------------------------------------------
    def register(self) -> None:
        r, cols = self.t["register"], self.rcol
        self.put("register", 0, 0, value=r["title"], style="title")
        self.put("register", 1, 0, value=r["note"], style="note")
        last, width = self.rspan
        self.merge("register", 1, 0, last)  # the note spans the table, not the narrow code column
        self.fit("register", 1, [(r["note"], width, 11, False)])
        for c in r.columns.values():
            self.put("register", 3, c.index, value=c.header, style="header")
            self.fit("register", 3, [(c.header, c.width, 11, True)])
        first = r["first_row"] - 1
        last = first + r["rows"] - 1
        self.layout.register_rows = (first, last)
        self.layout.names["TLKC"] = (f"{self.layout.quoted('register')}!${xl_col_to_name(cols['code'])}${first + 1}:"
                                     f"${xl_col_to_name(cols['files'])}${last + 1}")
        styles = {key: f"input_{kind}" for key, kind in r.columns.inputs.items()}
        texts = r["check"]
        codes = {c.casefold() for c in (leaf.code for leaf in self.cset.commune_leaves())}
        for i in range(r["rows"]):
            row = first + i
            start = len(self.layout.cells)
            if self.blank is not None and i >= len(self.declared.register):
                a, b = self.blank.register_spans[i]
                self.layout.cells.extend(self.blank.base.cells[a:b])
                self.register_spans.append((start, len(self.layout.cells)))
                continue
            raw = self.declared.register[i] if i < len(self.declared.register) else ()
            *inputs, ((_, _, check_col), _, check) = self.register_values(row, raw, codes)
            for ((_, _, col), _, value), key in zip(inputs, REGISTER_FIELDS, strict=True):
                self.put("register", row, col, value=value, style=styles[key], locked=False)
            self.fit("register", row, list(self.register_fit(raw)))
            formula = self._static("register_check", "", row,
                                   lambda row=row: register_check_formula(row, cols, self.codes_range, texts))
            self.put("register", row, check_col, formula=formula, cached=check, style="check")
            self.register_spans.append((start, len(self.layout.cells)))
        self.put("register", 0, cols["files"], formula=register_pending_formula(first, last, cols, r["pending"]),
                 cached=self.register_pending(codes), style="pending", key=PlaceKey(PlaceKind.REGISTER_PENDING))
        v = self.t["validation"]
        self.validate("register", first, cols["code"], Validation(
            "list", source=self.codes_range, title=v["code_title"], prompt=v["code_prompt"], error=v["code_error"]),
            last_row=last)
        self.validate("register", first, cols["date"], Validation(
            "date", minimum=dt.date(1990, 1, 1), maximum=dt.date(2100, 12, 31), title=v["date_title"],
            prompt=v["date_prompt"], error=v["date_error"]), last_row=last)

    @cached_property
    def _register_inputs(self) -> tuple[tuple[int, ...], int, tuple[tuple[int, float], ...], dict[str, str]]:
        """What every register input row asks (`register_values`, `register_fit`): the column of each of
        `REGISTER_FIELDS`, the check column, the text fields (place in `REGISTER_FIELDS`, width) and the
        check column's texts."""
        r, cols = self.t["register"], self.rcol
        kinds = r.columns.inputs
        return (tuple(cols[key] for key in REGISTER_FIELDS), cols["check"],
                tuple((j, self.rwidth[key]) for j, key in enumerate(REGISTER_FIELDS) if kinds[key] == "text"),
                r["check"])

    def register_values(self, row: int, raw: tuple[Any, ...], codes: set[str]) -> tuple[tuple[Place, str, Value], ...]:
        """What a register input row holds of a declared row (`raw`, values in `REGISTER_FIELDS` order; `codes`:
        the set's codes casefolded): each field's value, then its check column's text (`register` puts them
        in these cells)."""
        cols, check_col, _, texts = self._register_inputs
        n = len(raw)
        out: list[tuple[Place, str, Value]] = []
        for j, col in enumerate(cols):
            value = raw[j] if j < n else None
            out.append((("register", row, col), "value", value if value != "" else None))
        out.append((("register", row, check_col), "cached", register_check(raw, codes, texts)))
        return tuple(out)

    def register_fit(self, raw: tuple[Any, ...]) -> tuple[tuple[Any, float, float, bool], ...]:
        """The texts a register input row is fitted to: its text fields' values."""
        n = len(raw)
        return tuple((raw[j], width, 11, False) for j, width in self._register_inputs[2]
                     if j < n and isinstance(raw[j], str))

    def register_pending(self, codes: set[str]) -> str:
        """What the register's count of rows still to complete shows for the declared rows (`codes`: the set's
        codes casefolded)."""
        texts = self._register_inputs[3]
        pending = sum(1 for raw in self.declared.register if register_check(raw, codes, texts))
        return self.t["register"]["pending"].format(n=pending) if pending else ""

    # -- Tổng hợp (Phụ lục 2) ------------------------------------------------------------------
    def summary(self) -> None:
        s, cset = self.t["summary"], self.cset
        widths = s.columns.widths
        last = s.columns.last.index
        # The commune (A:B) and the national motto (C:E) head the page; the title and the decision span
        # the table. Merged cells hold their text in the first cell; they lie outside every input area.
        self.put_commune("summary", 0, 0, lambda c: c.committee.upper(), style="report_head")
        self.merge("summary", 0, 0, 1)
        self.put("summary", 0, 2, value=s["nation"], style="report_head")
        self.merge("summary", 0, 2, last)
        self.put("summary", 1, 2, value=s["motto"], style="report_motto")
        self.merge("summary", 1, 2, last)
        for r in (0, 1):
            self.set_height("summary", r, lines_height(1, 13))
        title = s["title"].format(year=cset.year)
        self.put("summary", 3, 0, value=title, style="report_title")
        self.merge("summary", 3, 0, last)
        self.fit("summary", 3, [(title, sum(widths), 13, True)], always=True)
        ref = f"{cset.decision.number} ngày {cset.decision.date:%d/%m/%Y} của {cset.decision.issuer}"
        subtitle = s["subtitle"].format(decision_ref=f"Quyết định số {ref}")
        self.put("summary", 4, 0, value=subtitle, style="report_sub")
        self.merge("summary", 4, 0, last)
        self.fit("summary", 4, [(subtitle, sum(widths), 13, False)], always=True)
        header_row = SUMMARY_HEADER_ROW
        for c in s.columns.values():
            self.put("summary", header_row, c.index, value=c.header, style="report_header")
            self.fit("summary", header_row, [(c.header, c.width, 13, True)], always=True)
        row = header_row + 1
        grid = self.layout.quoted("grid")
        body = {leaf.code: leaf.max for leaf in cset.body_leaves()}
        for area in cset.areas:
            nodes = [(area, "report_area")] + [(cr, "report_cell") for cr in area.criteria]
            for node, style in nodes:
                leaf = self.ev.leaves.get(node.code)
                cached = self.summary_score(node.code)
                body_points = self._static("summary_body", node.code, row, lambda node=node: sum(
                    (body.get(c.code, Decimal(0)) for c in _leaves_of(node)), Decimal(0)))
                # (from the run's row memo, the file's score put in)
                values = () if body_points == node.max else (
                    (self.keep(PlaceKey(PlaceKind.SUMMARY_SCORE, node.code), ("summary", row, 3)), "cached", cached),)
                self.memo_row(("summary", node.code, row, style, leaf is not None), ("summary", row), None,
                              lambda node=node, style=style, row=row, leaf=leaf, cached=cached, points=body_points:
                              self._summary_row(row, node, style, leaf is not None, cached, points, grid),
                              RowValues(values))
                row += 1
        partial = cset.body_max > 0
        total_label = s["total_label_partial"] if partial else s["total_label"]
        self.put("summary", row, 1, value=total_label, style="report_area_wrap")
        self.put("summary", row, 2, value=cset.commune_max if partial else cset.total, style="report_area_number")
        self.put("summary", row, 3, formula=f"{grid}!{self.total_ref}", cached=self.ev.total,
                 style="report_area_number", key=PlaceKey(PlaceKind.SUMMARY_TOTAL))
        if partial:
            note = s["total_note_partial"].format(**self.composition)
            self.put("summary", row, 4, value=note, style="report_area_wrap")
            self.fit("summary", row, [(note, widths[4], 13, True)], always=True)
        self.put("summary", row + 1, 1, value=s["tier_label"], style="report_area_wrap")
        tier_cached = self.summary_tier
        self.put("summary", row + 1, 3, formula=f"{grid}!{self.tier_ref}", cached=tier_cached,
                 style="report_area_wrap" if partial else "report_area_text", key=PlaceKey(PlaceKind.SUMMARY_TIER))
        if partial:  # the sentence in place of a tier spans the score and note columns
            self.put("summary", row + 1, 4, style="report_area")
            self.merge("summary", row + 1, 3, 4)
        self.fit("summary", row, [(total_label, widths[1], 13, True)], always=True)
        self.fit("summary", row + 1, list(self.summary_tier_fit(tier_cached)), always=True)
        self.summary_header_row = header_row
        year = cset.year
        # the date line and the signature block span C:E (a long commune name shrinks to fit its line)
        self.put_commune("summary", row + 3, 2, lambda c: s["date_line"].format(place=c.name, year=year),
                         style="report_italic")
        self.put("summary", row + 4, 2, value=s["sign_for"], style="report_bold")
        self.put("summary", row + 5, 2, value=s["sign_title"], style="report_bold")
        self.put("summary", row + 6, 2, value=s["sign_note"], style="report_italic")
        for r in range(row + 3, row + 7):
            self.merge("summary", r, 2, last)
            self.set_height("summary", r, lines_height(1, 13))  # 13 pt lines, whatever the commune's name

    def summary_score(self, code: str) -> Decimal:
        """The summary's score of an area or criterion (a scored criterion's blank or text score counts 0)."""
        leaf = self.ev.leaves.get(code)
        return (leaf.score if leaf else self.ev.nodes.get(code)) or Decimal(0)

    @property
    def summary_tier(self) -> str:
        """What the summary's tier cell shows (the grid's XEP_LOAI: `tier_shown`)."""
        return tier_shown(self.cset, self.shown_tier, self.layout.identity)

    def summary_tier_fit(self, tier: str) -> tuple[tuple[Any, float, float, bool], ...]:
        """The texts the summary's tier row is fitted to (always): its label, and the sentence in place of
        a tier (`tier`) across the score and note columns while the body scores part of the set."""
        widths = self.t["summary"].columns.widths
        label = (self.t["summary"]["tier_label"], widths[1], 13, True)
        return ((tier, widths[3] + widths[4], 13, True), label) if self.cset.body_max > 0 else (label,)

    def _summary_row(self, row: int, node: Any, style: str, is_leaf: bool, cached: Decimal,
                     body_points: Decimal, grid: str) -> None:
        """An area's or criterion's row of the summary table (`body_points`: the body scores that much of it)."""
        s, widths = self.t["summary"], self.t["summary"].columns.widths
        code, title, maximum = node.code, node.title, node.max
        grid_ref = xl_rowcol_to_cell(self.layout.node_rows[code], self.gcol["score"])
        self.put("summary", row, 0, value=code, style=style)
        self.put("summary", row, 1, value=title, style=style + "_wrap")
        self.fit("summary", row, [(title, widths[1], 13, style == "report_area")], always=True)
        self.put("summary", row, 2, value=maximum, style=style + "_number")
        if body_points == maximum:  # the body scores all of it: say so (in the note), not 0
            self.put("summary", row, 3, style=style + "_number")
            self.put("summary", row, 4, value=self.t["grid"]["district_mark"], style=style + "_wrap")
        else:
            # A scored criterion's cell may hold "" or text; N() shows it as the 0 it counts for.
            source = f"N({grid}!{grid_ref})" if is_leaf else f"{grid}!{grid_ref}"
            self.put("summary", row, 3, formula=source, cached=cached, style=style + "_number")
            note = s["body_note"].format(points=fmt(body_points)) if body_points else None
            self.put("summary", row, 4, value=note, style=style + "_wrap" if note else style)
            if note:
                self.fit("summary", row, [(note, widths[4], 13, style == "report_area")], always=True)

    # -- Khó khăn, kiến nghị --------------------------------------------------------------------
    def issues(self) -> None:
        t = self.t["issues"]
        self.put("issues", 0, 0, value=t["title"], style="title")
        self.put("issues", 2, 0, value=t["difficulties"], style="label")
        self.put("issues", 3, 0, value=self.declared.difficulties or None, style="input_long", locked=False,
                 name="KHO_KHAN", key=PlaceKey(PlaceKind.ISSUES_DIFFICULTIES))
        self.put("issues", 5, 0, value=t["recommendations"], style="label")
        self.put("issues", 6, 0, value=self.declared.recommendations or None, style="input_long", locked=False,
                 name="KIEN_NGHI", key=PlaceKey(PlaceKind.ISSUES_RECOMMENDATIONS))
        for row in (3, 6):  # room to type several paragraphs
            self.set_height("issues", row, t["input_height"])

    # -- Hướng dẫn -----------------------------------------------------------------------------
    def guide(self) -> None:
        t, year = self.t["guide"], self.cset.year
        width = t["width"]
        # The title names the commune: it wraps, in a row of a fixed number of lines (the same for every
        # commune, so that the set's workbook is rendered once for all of them).
        self.put_commune("guide", 0, 0, lambda c: t["title"].format(year=year, committee=c.committee),
                         style="title_wrap")
        self.set_height("guide", 0, lines_height(t["title_lines"], 14))
        row = 2
        lines = list(t["lines"])
        if self.cset.body_max > 0:
            lines.insert(len(lines) - 1, t["composition"].format(**self.composition))  # after the numbered steps
        for line in lines:
            if "{file}" in line:
                # the example file name is the commune's own; the row's height is fixed (the same for every
                # commune): room for a long code and name (wide letters, so a real one needs less)
                self.put_commune("guide", row, 0, lambda c, line=line: line.format(file=f"{c.code}-{c.slug}"),
                                 style="guide")
                self.fit("guide", row, [(line.format(file="0" * 8 + "-" + "m" * 24), width, 11, False)])
            else:
                self.put("guide", row, 0, value=line, style="guide")
                self.fit("guide", row, [(line, width, 11, False)])
            row += 1
        row += 1
        swatches = ["legend_input", "district", "status_bad", "status_ok"]  # locked look-alikes: see writer.STYLES
        for (label, meaning), style in zip(t["colours"], swatches, strict=True):
            self.put("guide", row, 0, value=f"{label}: {meaning}", style=style)
            self.fit("guide", row, [(f"{label}: {meaning}", width, 11, False)])
            row += 1


@dataclass(frozen=True)
class RegisterCheck:
    """One check of an evidence register row (of any workbook kind), both ends side by side: `test(row, codes)`
    is True when it fails (`row`: each field's text as typed, `codes`: the set's codes casefolded);
    `excel(refs, codes_range)` the condition TRUE when it fails (`refs`: each field's cell). `key` names the
    check column's text (the template's register `check`); `field` is the input cell it points at: the sheet
    marks that cell red (writer), as the importer's findings mark the cell to change."""

    key: str
    field: str
    test: Callable[[Mapping[str, str], set[str]], bool]
    excel: Callable[[Mapping[str, str], str], str]


# In the check column's priority order; a row without a code is not checked (an empty input row).
REGISTER_CHECKS = (
    RegisterCheck("unknown_code", "code", lambda row, codes: row["code"].casefold() not in codes,
                  lambda refs, codes_range: f"ISNA(MATCH({refs['code']},{codes_range},0))"),
    RegisterCheck("no_file", "files", lambda row, codes: blank_text(row["files"]),
                  lambda refs, codes_range: excel_blank(refs["files"])),
    RegisterCheck("no_number", "number", lambda row, codes: blank_text(row["number"]),
                  lambda refs, codes_range: excel_blank(refs["number"])),
)


def register_check_formula(row: int, cols: dict[str, int], codes_range: str, texts: dict[str, str]) -> str:
    """The register's check column for one row: the first failing check of `REGISTER_CHECKS` (the code among
    `codes_range`, …) names its text; `register_check` computes the same in Python."""
    refs = {key: xl_rowcol_to_cell(row, cols[key]) for key in REGISTER_FIELDS if key in cols}
    chain = status_chain([(check.excel(refs, codes_range), check.key) for check in REGISTER_CHECKS],
                         {**texts, "ok": ""})
    return f'IF(LEN({refs["code"]})=0,"",{chain})'


def tier_shown(cset: CriteriaSet, tier: str, identity: RoundIdentity = NEUTRAL) -> str:
    """What the workbook's XEP_LOAI cell shows for a self-assessment whose tier is `tier` (scoring.self_tier):
    the tier, or, while the body still scores part of the set, the sentence saying why there is none."""
    if cset.body_max == 0:
        return tier
    return str(template("commune", workbook_identity(identity))["grid"]["no_tier"].format(body_max=fmt(cset.body_max)))


def _leaves_of(node: Any) -> list[Criterion]:
    """The scored items under an area or criterion (a leaf criterion: itself)."""
    if isinstance(node, Criterion) and node.is_leaf:
        return [node]
    children = node.criteria if not isinstance(node, Criterion) else node.children
    return [leaf for child in children for leaf in _leaves_of(child)]


def register_pending_formula(first: int, last: int, cols: dict[str, int], pending: str) -> str:
    """The register's count of rows its check column flags (the check column itself does not print: its
    formula in every input row would make LibreOffice print every empty row)."""
    checks = f"{xl_rowcol_to_cell(first, cols['check'])}:{xl_rowcol_to_cell(last, cols['check'])}"
    n = f"SUMPRODUCT(--(LEN({checks})>0))"
    before, after = pending.split("{n}")
    return f'IF({n}=0,"",{_text(before)}&{n}&{_text(after)})'


def register_check(raw: tuple[Any, ...], codes: set[str], texts: dict[str, str]) -> str:
    """What the register's check column shows for a row as typed (values in `REGISTER_FIELDS` order),
    computed as its formula computes it."""
    row = dict.fromkeys(REGISTER_FIELDS, "") | {
        key: "" if v is None else str(v) for key, v in zip(REGISTER_FIELDS, raw, strict=False)}
    if not row["code"]:
        return ""
    for check in REGISTER_CHECKS:
        if check.test(row, codes):
            return texts[check.key]
    return ""


def _cached(value: Decimal | None) -> Value:
    return "" if value is None else value


def status_chain(checks: list[tuple[str, str]], texts: dict[str, str]) -> str:
    """Nested IFs naming the first failing check's status text, else texts["ok"] (the order is the priority,
    the same order the Python side checks in)."""
    expr = _text(texts["ok"])
    for cond, key in reversed(checks):
        expr = f"IF({cond},{_text(texts[key])},{expr})"
    return expr


def _cut(text: str, limit: int) -> str:
    """Excel refuses prompts longer than its limits (32 for titles, 255 for messages)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_layout_uncached(cset: CriteriaSet, commune: Commune, declared: Declared | None = None,
                          identity: RoundIdentity = NEUTRAL) -> Layout:
    """Every cell built from scratch: the reference that `LayoutTemplate` must reproduce exactly."""
    return _Builder(cset, commune, declared or Declared(), workbook_identity(identity)).build()


def build_layout(cset: CriteriaSet, commune: Commune, declared: Declared | None = None,
                 identity: RoundIdentity = NEUTRAL) -> Layout:
    """The layout of `commune`'s workbook for the round of `identity`; a blank one comes from the set's
    template (see LayoutTemplate)."""
    blank = layout_template(cset, identity)
    if declared is None or declared == _BLANK:
        return blank.layout(commune)
    return _Builder(cset, commune, declared, workbook_identity(identity), blank).build()


def workbook_identity(identity: RoundIdentity) -> RoundIdentity:
    """What of the round a commune workbook depends on: the body only (it names no other unit, nor the
    body's place), which the signed metadata carries."""
    return identity if identity == RoundIdentity(body=identity.body) else RoundIdentity(body=identity.body)


# -- one template per criteria set -----------------------------------------------------------------
_BLANK = Declared()
# A commune no real list has: its texts are unmistakable in the template (see CommuneWorkbookPackage).
PLACEHOLDER = Commune(code="⟦mã đơn vị⟧", name="⟦tên đơn vị⟧", kind="⟦loại đơn vị⟧")
_JSON = {"ensure_ascii": False, "separators": (",", ":")}


class LayoutTemplate:
    """The blank layout of one criteria set, built once; `layout(commune)` re-fills only the commune cells.

    A derived layout shares the template's cell specs (frozen), lookups and, by convention read-only, its
    names, rows, value places, validations, merges and row heights; only its cell list is its own. Its digest
    is the template's locked manifest with the commune's items put in their places, so a thousand communes
    hash without a thousand sorts of two thousand items.
    """

    def __init__(self, cset: CriteriaSet, identity: RoundIdentity = NEUTRAL):
        builder = _Builder(cset, PLACEHOLDER, _BLANK, identity)
        self.base = builder.build()
        self.slots = tuple(builder.commune_slots)
        self.register_spans = tuple(builder.register_spans)
        self.statics = builder.statics  # (only ever added to: every entry is the set's and round's)
        self.rows = RowMemo() if os.environ.get(LAYOUT_SWITCH, "1") != "0" else None
        self.made: dict[tuple[int, str, tuple[Any, ...]], CellSpec] = {}  # declared_layout's cells, by value
        # the value cells' places (`Layout.value_places`) by kind, in the order the builder put them: code, place
        self.value_kinds: dict[PlaceKind, list[tuple[str, Place]]] = {}
        for key, place in self.base.value_places.items():
            self.value_kinds.setdefault(key.kind, []).append((key.code, place))
        self.index = _Index.of(self.base.cells)
        self._digest_parts = self._split_manifest()
        self._digests: dict[Commune, str] = {}

    def layout(self, commune: Commune) -> Layout:
        base = self.base
        layout = _TemplateLayout(cset=base.cset, commune=commune, sheets=base.sheets, cells=None,  # type: ignore[arg-type]
                                 validations=base.validations, leaves=base.leaves, node_rows=base.node_rows,
                                 names=base.names, register_rows=base.register_rows, evaluation=base.evaluation,
                                 merges=base.merges, row_heights=base.row_heights, identity=base.identity,
                                 value_places=base.value_places, _index=self.index, _template=self)
        layout._commune_cells = {i: replace(base.cells[i], value=text(commune)) for i, text in self.slots}
        return layout

    def places(self) -> dict[Place, int] | None:
        """Each cell's place in the blank layout's cell list, by (sheet key, row, column); None when two cells
        share a place (`declared_layout` then declines)."""
        if "_places" not in self.__dict__:
            places = {(c.sheet, c.row, c.col): i for i, c in enumerate(self.base.cells)}
            self._places = places if len(places) == len(self.base.cells) else None
        return self._places

    def digest(self, commune: Commune) -> str:
        found = self._digests.get(commune)
        if found is None:
            found = self._digest(commune)
            if len(self._digests) >= 4096:  # bounded: a long import run keeps memory flat
                self._digests.clear()
            self._digests[commune] = found
        return found

    def _manifest_item(self, i: int, value: Value) -> tuple[str, str, str, str] | None:
        """The locked-manifest item of the slot at position i holding `value` (as in locked_manifest)."""
        c = self.base.cells[i]
        if not c.locked or (c.sheet == "meta" and c.col < 2) or value in (None, ""):
            return None
        return (self.base.sheets[c.sheet], c.ref, "v", canonical_value(value))

    def _split_manifest(self) -> tuple[list[bytes], list[int]] | None:
        """The manifest without the commune items, serialized: the runs of items between commune items,
        each as the UTF-8 of its items joined by commas (b'' for an empty run), and the slots in order.

        Items sort by (sheet, ref, kind, text); a commune item's (sheet, ref, kind) is fixed and shared with
        no other item, so its place does not depend on its text. None when that does not hold.
        """
        positions = {i for i, _ in self.slots}
        keys: dict[int, tuple[str, str, str]] = {}
        for i in positions:
            item = self._manifest_item(i, self.base.cells[i].value)
            if item is None:
                return None  # (a placeholder text always gives an item, unless its cell is unlocked)
            keys[i] = item[:3]
        others = Layout(cset=self.base.cset, commune=PLACEHOLDER, sheets=self.base.sheets,
                        cells=[c for i, c in enumerate(self.base.cells) if i not in positions],
                        validations=self.base.validations)
        fixed = others.locked_manifest()
        if len(set(keys.values())) != len(keys) or any(item[:3] in keys.values() for item in fixed):
            return None
        places = [(place, i) for place, _, i in sorted((bisect_left(fixed, key), key, i) for i, key in keys.items())]
        items = [json.dumps(item, **_JSON) for item in fixed]
        bounds = [0, *(place for place, _ in places), len(items)]
        runs = [",".join(items[a:b]).encode("utf-8") for a, b in pairwise(bounds)]
        return runs, [i for _, i in places]

    def _digest(self, commune: Commune) -> str:
        if self._digest_parts is None:
            return manifest_digest(replace(self.layout(commune), _template=None).locked_manifest())
        runs, slots = self._digest_parts
        texts = dict(self.slots)
        # "[" + the items joined by commas + "]", as manifest_digest serializes the whole manifest
        parts = [runs[0]]
        for i, run in zip(slots, runs[1:], strict=True):
            item = self._manifest_item(i, texts[i](commune))
            if item is not None:
                parts.append(json.dumps(item, **_JSON).encode("utf-8"))
            parts.append(run)
        return hashlib.sha256(b"[" + b",".join(p for p in parts if p) + b"]").hexdigest()


class _TemplateLayout(Layout):
    """A layout made by a LayoutTemplate. Its own cell list (the template's, with this commune's cells) is
    made only when `cells` is asked for: an import reads cells through the index (`cells_at`, `checked_cells`,
    `cell_at`, `named_cell`), so a run of a thousand submissions keeps no thousand copies of the list."""

    _commune_cells: dict[int, CellSpec] = {}  # noqa: RUF012 (set per instance by LayoutTemplate.layout)

    @property  # type: ignore[override]
    def cells(self) -> list[CellSpec]:
        own = self.__dict__.get("_own")
        if own is None:
            own = list(self._template.base.cells)  # type: ignore[union-attr]
            for i, cell in self._commune_cells.items():
                own[i] = cell
            self.__dict__["_own"] = own
        return own  # type: ignore[no-any-return]

    @cells.setter
    def cells(self, value: list[CellSpec] | None) -> None:
        self.__dict__["_own"] = value

    def _cell(self, i: int) -> CellSpec:
        own = self.__dict__.get("_own")
        if own is not None:
            return own[i]  # type: ignore[no-any-return]
        return self._commune_cells.get(i) or self._template.base.cells[i]  # type: ignore[union-attr]


_PER_SET: dict[tuple[Any, int], tuple[CriteriaSet, Any]] = {}


def _per_set(kind: Any, cset: CriteriaSet, make: Callable[[CriteriaSet], Any]) -> Any:
    """A value computed once per criteria set object. Sets are frozen; the cache holds the set itself, so
    its id cannot be reused by another object while cached. A few sets at most are ever in use at once."""
    key = (kind, id(cset))
    hit = _PER_SET.get(key)
    if hit is None or hit[0] is not cset:
        if len(_PER_SET) >= 16:
            _PER_SET.pop(next(iter(_PER_SET)))
        hit = _PER_SET[key] = (cset, make(cset))
    return hit[1]


def layout_template(cset: CriteriaSet, identity: RoundIdentity = NEUTRAL) -> LayoutTemplate:
    """The set's blank layout for the round of `identity` (one per set and body)."""
    identity = workbook_identity(identity)
    return _per_set(("layout", identity), cset, lambda c: LayoutTemplate(c, identity))  # type: ignore[no-any-return]


def set_fingerprint(cset: CriteriaSet) -> str:
    """`cset.fingerprint()`, computed once per set (it dumps and hashes the whole set)."""
    return _per_set("fingerprint", cset, CriteriaSet.fingerprint)  # type: ignore[no-any-return]
