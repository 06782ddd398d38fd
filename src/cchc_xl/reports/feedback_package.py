"""Feedback workbooks the fast way: the set's feedback workbook rendered once (blank, for the placeholder
commune, no findings), and per file the cells that differ from it patched into its sheet parts as sheet XML
— the commune's values, the formula results, the marked cells in their marked styles — with a skeleton
render of what is no cell of the layout (the outcome sheet "Kết quả tiếp nhận", the marked cells' comments,
the status marks' conditional formats, the row heights, the print areas, the metadata) laid around them.
XlsxWriter never writes the grid per file (workbook/package.py merges the parts).

The result reads back the same as `FeedbackWorkbookWriter`'s file: the same values, formulas, styles,
comments, merges, validations, row heights, names and protection (tests/test_feedback_package.py). It rests
on XlsxWriter internals (format indexes, the string table, its cell XML), pinned in pyproject.toml, so
anything unexpected raises and the caller writes the file the plain way; `CCHC_XL_FAST_FEEDBACK=0` turns
this path off.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
import os
from collections.abc import Callable, Sequence
from decimal import Decimal
from itertools import compress
from operator import is_not
from pathlib import Path
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.utility import _datetime_to_excel_datetime, xl_cell_to_rowcol
from xlsxwriter.worksheet import Worksheet

from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.identity import NEUTRAL, RoundIdentity
from cchc_xl.records import Finding
from cchc_xl.reports.feedback import FeedbackWorkbookWriter
from cchc_xl.safeio import write_bytes
from cchc_xl.settings import Settings
from cchc_xl.workbook import approved_report
from cchc_xl.workbook.layout import DISTRICT_MARK_STYLE, CellSpec, Layout, layout_template
from cchc_xl.workbook.package import (
    SST,
    BaseSheet,
    PackageMismatch,
    PartsWorkbook,
    blank_cell,
    formula_cell,
    merged_sheet,
    merged_strings,
    number_cell,
    remapped_sheet,
    shared_strings_part,
    si_elements,
    string_cell,
    zipped,
)
from cchc_xl.workbook.sheetkit import workbook_options
from cchc_xl.workbook.signing import make_meta
from cchc_xl.workbook.writer import REPORT_STYLES, STYLES, _cache

SWITCH = "CCHC_XL_FAST_FEEDBACK"
_STRMAX = 16383  # XlsxWriter cuts strings above 32767 UTF-16 units; a longer text takes the plain path
# Every file's parts are compressed anew: the fastest level (the file is a quarter larger than at the
# default level, and compressing takes half the time).
_LEVEL = 1
_FORMULA_CELLS_BOUND = 65536  # changed formula cells' XML kept (a run's recurring results; memory bounded)
_CELL_XML_BOUND = 32768  # changed cells' XML kept by the cell (each entry holds its cell: its id stays its own)
_EVERY_STYLE = (*STYLES, *REPORT_STYLES, *approved_report.STYLES)

Position = tuple[str, int, int]  # (sheet key, 0-based row, 0-based column)


def enabled() -> bool:
    """The one switch of this fast path (on unless the environment sets it to 0)."""
    return os.environ.get(SWITCH, "1") != "0"


class _FormatStamps:
    """The cell formats of the first render, stamped into each later workbook: XlsxWriter's Format sets
    some eighty attributes one by one, and the feedback workbook has 160 formats (a fifth of a file's
    render). A stamp is the format's attributes as made (no index yet), given the new workbook's index
    tables; the workbook numbers it as it would a format it made itself."""

    def __init__(self) -> None:
        self.made: dict[tuple[tuple[str, Any], ...], dict[str, Any]] = {}
        self.made: dict[tuple[Any, ...], Any] = {}  # what the renders made of them (PartsWorkbook)

        self.keys: dict[tuple[str, bool], tuple[tuple[str, Any], ...]] = {}  # (style, marked) -> its props, sorted

    def add_style(self, wb: Any, style: str, marked: bool, props: Callable[[], dict[str, Any]]) -> Format:
        """`add` of a style's format (`props` makes its properties, the same every render)."""
        key = self.keys.get((style, marked))
        if key is None:
            key = self.keys[(style, marked)] = tuple(sorted(props().items()))
        return self.add(wb, None, key)

    def add(self, wb: Any, props: dict[str, Any] | None,
            key: tuple[tuple[str, Any], ...] | None = None) -> Format:
        """The format of `props` (or of `key`, its properties sorted)."""
        if key is None:
            key = tuple(sorted(props.items()))  # type: ignore[union-attr]
        stamp = self.made.get(key)
        if stamp is None:
            fmt = wb.add_format(dict(key) if props is None else props)
            if fmt.xf_index is not None or fmt.dxf_index is not None:
                raise PackageMismatch("a format numbered as it was made")
            fmt._get_format_key()  # (kept in the stamp: formats are never changed once made here)
            self.made[key] = {k: v for k, v in fmt.__dict__.items()
                              if k not in ("xf_format_indices", "dxf_format_indices")}
            return fmt
        fmt = Format.__new__(Format)
        fmt.__dict__.update(stamp)
        fmt.xf_format_indices, fmt.dxf_format_indices = wb.xf_format_indices, wb.dxf_format_indices
        wb.formats.append(fmt)
        return fmt


class _SkeletonWriter(FeedbackWorkbookWriter):
    """The feedback writer with fixed format indexes. `whole`: every layout cell written (the base);
    otherwise none, only the comments of the marked ones (their contents are patched in)."""

    def __init__(self, layout: Layout, settings: Settings, findings: Sequence[Finding], whole: bool,
                 stamps: _FormatStamps, validations: bool = True, merges: bool = True,
                 heights: dict[tuple[str, int], float] | None = None):
        super().__init__(layout, settings, findings)
        self.whole, self.validations, self.merges, self.stamps = whole, validations, merges, stamps
        self.heights = heights  # the row heights to write (None: all the layout's)
        self.commented: set[Position] = set()  # the marked layout cells (set by the caller)
        # the places in layout.cells of the register's input cells, when the layout is the base's shape
        # (checked by the caller before rendering): None, every cell is looked at
        self.register_inputs: list[int] | None = None

    def _register_print_area(self, ws: Worksheet) -> None:
        places = self.register_inputs
        if places is None:
            super()._register_print_area(ws)
            return
        cells = self.layout.cells
        first, _ = self.layout.register_rows
        filled = [cells[i].row for i in places if cells[i].value is not None]
        ws.print_area(0, 0, max(filled, default=first), self.t.register.columns.last.index)

    def _new_workbook(self, target: Any) -> PartsWorkbook:
        return PartsWorkbook(workbook_options(), self.stamps.made)  # (`target` unused: parts handed over)

    def _write_names(self, wb: Any) -> None:
        wb.define_names(self.layout.names)

    def _write_row_heights(self, sheets: dict[str, Worksheet]) -> None:
        for (sheet, row), height in (self.layout.row_heights if self.heights is None else self.heights).items():
            sheets[sheet].set_row(row, height)

    def _write_validations(self, sheets: dict[str, Worksheet]) -> None:
        if self.validations:
            super()._write_validations(sheets)

    def _write_merges(self, sheets: dict[str, Worksheet]) -> None:
        if self.merges:
            super()._write_merges(sheets)

    def _formats(self, wb: Any) -> dict[str, Any]:
        formats = {style: self.stamps.add_style(wb, style, False, lambda style=style: self.style_props(style))
                   for style in _EVERY_STYLE}
        # XlsxWriter numbers formats as cells first use them; two renders writing different cells agree on
        # the numbers only if every format (and its marked variant) is numbered up front, in one order.
        self.formats = formats
        for style in _EVERY_STYLE:
            formats[style]._get_xf_index()
        for style in _EVERY_STYLE:
            self._marked_format(style)._get_xf_index()
        return formats

    def _marked_format(self, style: str) -> Any:
        cache = self.__dict__.setdefault("_marked_cache", {})
        if style not in cache:
            cache[style] = self.stamps.add_style(self.workbook, style, True, lambda: self.marked_props(style))
        return cache[style]

    def _write_cells(self, sheets: dict[str, Worksheet]) -> None:
        if self.whole:
            super()._write_cells(sheets)
            return
        for sheet, row, col in sorted(self.commented):
            self._write_mark_comment(sheets[sheet], CellSpec(sheet, row, col))

    def xf_indexes(self) -> dict[tuple[str, bool], int]:
        """(style, marked) -> the cell format index this render gave it."""
        marked = self.__dict__["_marked_cache"]
        return {**{(s, False): self.formats[s]._get_xf_index() for s in _EVERY_STYLE},
                **{(s, True): marked[s]._get_xf_index() for s in _EVERY_STYLE}}


class FeedbackPackage:
    """The blank feedback workbook of one criteria set and settings, rendered once per import run."""

    def __init__(self, cset: CriteriaSet, settings: Settings, identity: RoundIdentity = NEUTRAL):
        self.cset, self.settings, self.identity = cset, settings, identity
        self.template = layout_template(cset, identity)
        self.base = self.template.base  # the round's texts, as the files' layouts have them
        meta = make_meta(self.base, settings, dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        self.stamps = _FormatStamps()
        writer = _SkeletonWriter(self.base, settings, [], whole=True, stamps=self.stamps)
        wb = writer.render(io.BytesIO(), meta)
        self.xf = writer.xf_indexes()
        self.strings: list[str] = list(wb.str_table.string_array)
        parts = wb.parts
        sheets = sorted((n for n in parts if n.startswith("xl/worksheets/sheet")), key=_sheet_number)
        # the first sheet is the outcome sheet, written whole per file; the layout's sheets follow
        if len(sheets) != len(self.base.sheets) + 1 or SST not in parts:
            raise PackageMismatch("unexpected sheets")
        self.sheets = {name: BaseSheet.of(parts[name]) for name in sheets[1:]}
        self.parts = dict(zip(self.base.sheets, sheets[1:], strict=True))  # sheet key -> its part
        self.si = (len(self.strings), si_elements(self.strings))  # the base's texts, rendered once
        self.index = {s: i for i, s in enumerate(self.strings)}
        self.slots = {i for i, _ in self.template.slots}  # the cells that hold the commune's texts
        first, last = self.base.register_rows  # the cells FeedbackWorkbookWriter's register print area looks at
        self.register_inputs = [i for i, c in enumerate(self.base.cells)
                                if c.sheet == "register" and first <= c.row <= last and c.formula is None]
        # a changed formula cell's XML by (its base cell, its result with the result's type, its format)
        self.formula_cells: dict[tuple[bytes, type, Any, int], bytes] = {}
        self.deflated: dict[str, tuple[bytes, tuple[bytes, int, int]]] = {}  # each part as last written (zipped)
        self.places: dict[Position, list[int]] = {}  # a position -> the base's cells there (their places)
        for i, c in enumerate(self.base.cells):
            self.places.setdefault((c.sheet, c.row, c.col), []).append(i)
        # a changed cell's XML by the cell (the layouts' recurring cells are the same objects) and its mark:
        # (the cell, its part, 1-based row and column, and its XML or, for a text, the XML around its index)
        self.cell_xml: dict[tuple[int, bool], tuple[CellSpec, str, int, int, bytes, bytes | None, str]] = {}

    def write(self, layout: Layout, findings: Sequence[Finding], path: Path,
              generated_at: dt.datetime | None = None) -> dict[str, str]:
        """Write the feedback workbook of `layout` (built with the file's declared inputs) atomically."""
        if layout.sheets != self.base.sheets or len(layout.cells) != len(self.base.cells):
            raise PackageMismatch("layout shape")
        # the blank layout's validations and merged ranges, when they are the file's, are copied from the
        # base's sheets (else the skeleton writes them, and the merged ranges' first cells are patched)
        same_validations = layout.validations == self.base.validations
        same_merges = layout.merges == self.base.merges
        # the base's row heights kept where the file's are the same (most rows): the skeleton writes the others,
        # unless the file lacks one the base has (then it writes them all, and the base's are dropped)
        base_heights = self.base.row_heights
        keep_heights = base_heights.keys() <= layout.row_heights.keys()
        heights = {k: h for k, h in layout.row_heights.items() if base_heights.get(k) != h} if keep_heights else None
        writer = _SkeletonWriter(layout, self.settings, findings, whole=False, stamps=self.stamps,
                                 validations=not same_validations, merges=not same_merges, heights=heights)
        writer.commented = marked = self._marked(writer)
        first_cells = set() if same_merges else {(m.sheet, m.first_row, m.first_col) for m in layout.merges}
        changed, locked_changed = self._changed(layout, marked, first_cells)
        changed += [(c, (c.sheet, c.row, c.col) in marked) for c in writer.extra_cells()]
        if layout.register_rows == self.base.register_rows:  # (every cell is at its base's place: _changed)
            writer.register_inputs = self.register_inputs
        # The digest covers the locked cells: when none of them differs from the blank layout's, it is the
        # template's for this commune (computed once per commune), as the whole layout's would be.
        signed = layout if locked_changed or not same_validations else dataclasses.replace(layout, _template=self.template)
        meta = make_meta(signed, self.settings, generated_at or dt.datetime.now(dt.UTC))
        layout.meta = meta
        wb = writer.render(io.BytesIO(), meta)
        if writer.xf_indexes() != self.xf:
            raise PackageMismatch("format indexes")
        skeleton = wb.parts
        if SST not in skeleton or not self.sheets.keys() <= skeleton.keys():
            raise PackageMismatch("unexpected parts")
        index = dict(self.index)
        strings, remap = merged_strings(self.strings, list(wb.str_table.string_array), index)
        patches = self._patches(changed, strings, index)
        out: dict[str, bytes] = {}
        for name, data in skeleton.items():
            if name in self.sheets:
                out[name] = merged_sheet(self.sheets[name], data, remap, patches.get(name), same_validations,
                                         same_merges, keep_heights)
            elif name == SST:
                out[name] = shared_strings_part(strings, data, self.si)
            elif name.startswith("xl/worksheets/sheet"):
                out[name] = remapped_sheet(data, remap)
            else:
                out[name] = data
        write_bytes(path, zipped(out, _LEVEL, self.deflated))
        return meta

    def _marked(self, writer: FeedbackWorkbookWriter) -> set[Position]:
        """The layout cells the findings mark (the plain writer marks a layout cell only)."""
        keys = {name: key for key, name in self.base.sheets.items()}
        at = self.template.index.at
        out: set[Position] = set()
        for sheet, ref in writer.marked:
            if sheet in keys and (keys[sheet], ref) in at:
                row, col = xl_cell_to_rowcol(ref)
                out.add((keys[sheet], row, col))
        return out

    def _changed(self, layout: Layout, marked: set[Position],
                 first_cells: set[Position]) -> tuple[list[tuple[CellSpec, bool]], bool]:
        """The layout cells to patch, each with whether it is marked: those whose content differs from the
        blank layout's, the marked ones, and `first_cells` (merged ranges' first cells the skeleton blanked);
        and whether a locked value differs from the commune's blank layout (then the digest is computed).
        PackageMismatch when the layout is not the blank one's shape (every cell at the same place, in the
        same style, with the same formula)."""
        special = {i for p in marked | first_cells for i in self.places.get(p, ())}
        commune = self.template.layout(layout.commune)
        changed: list[tuple[CellSpec, bool]] = []
        locked_changed = False
        base, cells = self.base.cells, layout.cells
        if len(base) != len(cells):
            raise PackageMismatch("layout shape")
        # (most are the base's own objects, passed over in C; an equal cell is at its base's place)
        todo = set(compress(range(len(base)), map(is_not, base, cells))) | special
        for i in sorted(todo):
            a, b = base[i], cells[i]
            # (an equal cell whose value or result is of another type, 1 for 1.0, is written otherwise; cells
            # compared as their fields' dicts, as `==` compares them but in C)
            if (a is b or (a.__dict__ == b.__dict__ and type(a.value) is type(b.value)
                           and type(a.cached) is type(b.cached))) and i not in special:
                continue
            if (a.sheet, a.row, a.col, a.style, a.formula) != (b.sheet, b.row, b.col, b.style, b.formula):
                raise PackageMismatch("layout shape")
            # (a district mark is locked but in no digest: a marked file's digest is its blank layout's)
            if (b.locked and b.formula is None and b.style != DISTRICT_MARK_STYLE
                    and (i not in self.slots or commune.cells_at([i])[0] != b)):
                locked_changed = locked_changed or a != b
            changed.append((b, (b.sheet, b.row, b.col) in marked))
        return changed, locked_changed

    def _patches(self, changed: list[tuple[CellSpec, bool]], strings: list[str],
                 index: dict[str, int]) -> dict[str, dict[int, dict[int, bytes]]]:
        """Part name -> 1-based row -> 1-based column -> the cell's XML, as XlsxWriter writes the cell
        (`CommuneWorkbookWriter._write_cell`); new texts are added to `strings` (numbered in `index`)."""

        def string_index(text: str) -> int:
            found = index.get(text)
            if found is None:
                found = index[text] = len(strings)
                strings.append(text)
            return found

        by_part: dict[str, dict[int, dict[int, bytes]]] = {}
        made = self.cell_xml
        for c, marked in changed:
            hit = made.get((id(c), marked))
            if hit is not None and hit[0] is c:
                _, name, r, col, element, after, text = hit
                if after is not None:
                    element = b"%s%d%s" % (element, string_index(text), after)
                by_part.setdefault(name, {}).setdefault(r, {})[col] = element
                continue
            name = self.parts[c.sheet]
            xf = self.xf[(c.style, marked)]
            v = c.value
            if c.formula is not None:
                base_cell = self.sheets[name].rows[c.row + 1].cells[c.col + 1]
                cached = _cache(c.cached)
                # (typed: 1, 1.0 and True are equal keys but written apart; -0.0 equals 0.0: not kept)
                key = (base_cell, type(cached), cached, xf)
                keep = cached == cached and not (type(cached) is float and cached == 0)  # (nor NaN)
                element = self.formula_cells.get(key) if keep else None
                if element is None:
                    element = formula_cell(base_cell, cached, xf)
                    if keep:
                        if len(self.formula_cells) >= _FORMULA_CELLS_BOUND:
                            self.formula_cells.clear()
                        self.formula_cells[key] = element
            elif isinstance(v, str):
                if len(v) > _STRMAX:
                    raise PackageMismatch("a long text")
                element = string_cell(c.ref, xf, string_index(v))
                head, _, _ = string_cell(c.ref, xf, 0).partition(b"0</v>")
                keep_cell(made, (id(c), marked), (c, name, c.row + 1, c.col + 1, head, b"</v></c>", v))
            elif isinstance(v, dt.date):
                serial = _datetime_to_excel_datetime(dt.datetime.combine(v, dt.time()), False, False)
                element = number_cell(c.ref, xf, serial)
            elif isinstance(v, Decimal | int) and not isinstance(v, bool):
                number = float(v)
                if not math.isfinite(number):
                    raise PackageMismatch("a number XlsxWriter refuses")
                element = number_cell(c.ref, xf, number)
            elif v is None:
                element = blank_cell(c.ref, xf)
            else:
                raise PackageMismatch("a cell value")
            if not isinstance(v, str) or c.formula is not None:
                keep_cell(made, (id(c), marked), (c, name, c.row + 1, c.col + 1, element, None, ""))
            by_part.setdefault(name, {}).setdefault(c.row + 1, {})[c.col + 1] = element
        return by_part


def keep_cell(made: dict[tuple[int, bool], Any], key: tuple[int, bool], entry: tuple[Any, ...]) -> None:
    """A changed cell's XML kept (`FeedbackPackage.cell_xml`; bounded: a run's recurring cells)."""
    if len(made) >= _CELL_XML_BOUND:
        made.clear()
    made[key] = entry


def _sheet_number(name: str) -> int:
    return int(name.removeprefix("xl/worksheets/sheet").removesuffix(".xml"))
