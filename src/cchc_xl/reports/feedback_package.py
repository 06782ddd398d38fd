"""Feedback workbooks the fast way: the set's feedback workbook rendered once (blank, for the placeholder
commune), and per file a sparse render of only what differs — the cells whose value differs from the blank
layout's (the commune's texts and inputs, the formula results), the marked cells and their comments, the
merged ranges' first cells, the metadata and the 'Lỗi cần sửa' sheet — laid over it (workbook/package.py).

The result reads back the same as `FeedbackWorkbookWriter`'s file: the same values, formulas, styles,
comments, merges, validations, row heights and protection (tests/test_perf_equivalence.py). It rests on
XlsxWriter internals (format indexes, the string table), so anything unexpected raises and the caller
writes the file the plain way; `CCHC_XL_FAST_FEEDBACK=0` turns this path off.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_cell_to_rowcol
from xlsxwriter.worksheet import Worksheet

from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.identity import NEUTRAL, RoundIdentity
from cchc_xl.records import Finding
from cchc_xl.reports.feedback import FeedbackWorkbookWriter
from cchc_xl.safeio import write_bytes
from cchc_xl.settings import Settings
from cchc_xl.workbook import approved_report
from cchc_xl.workbook.layout import Layout, layout_template
from cchc_xl.workbook.package import (
    SST,
    PackageMismatch,
    formula_cell,
    merged_sheet,
    merged_strings,
    parse_rows,
    read_parts,
    remapped_sheet,
    shared_strings_part,
    zipped,
)
from cchc_xl.workbook.signing import make_meta
from cchc_xl.workbook.writer import REPORT_STYLES, STYLES, _cache

SWITCH = "CCHC_XL_FAST_FEEDBACK"


def enabled() -> bool:
    """The one switch of this fast path (on unless the environment sets it to 0)."""
    return os.environ.get(SWITCH, "1") != "0"


class _SparseFeedbackWriter(FeedbackWorkbookWriter):
    """The feedback writer with fixed format indexes, writing only the layout cells at `written` (all of
    them when None)."""

    def __init__(self, layout: Layout, settings: Settings, findings: Sequence[Finding], written: list[int] | None,
                 validations: bool = True):
        super().__init__(layout, settings, findings)
        self.written, self.validations = written, validations

    def _write_validations(self, sheets: dict[str, Worksheet]) -> None:
        if self.validations:
            super()._write_validations(sheets)

    def _formats(self, wb: Any) -> dict[str, Any]:
        formats = super()._formats(wb)
        # XlsxWriter numbers formats as cells first use them; two renders writing different cells agree on
        # the numbers only if every format (and its marked variant) is numbered up front, in one order.
        self.formats = formats
        every = (*STYLES, *REPORT_STYLES, *approved_report.STYLES)
        for style in every:
            formats[style]._get_xf_index()
        for style in every:
            self._marked_format(style)._get_xf_index()
        return formats

    def _write_cells(self, sheets: dict[str, Worksheet]) -> None:
        if self.written is None:
            super()._write_cells(sheets)
            return
        cells = self.layout.cells
        for i in self.written:
            self._write_cell(sheets[cells[i].sheet], cells[i])


class FeedbackPackage:
    """The blank feedback workbook of one criteria set and settings, rendered once per import run."""

    def __init__(self, cset: CriteriaSet, settings: Settings, identity: RoundIdentity = NEUTRAL):
        self.cset, self.settings, self.identity = cset, settings, identity
        self.base = layout_template(cset, identity).base  # the round's texts, as the files' layouts have them
        meta = make_meta(self.base, settings, dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        buffer = io.BytesIO()
        wb = _SparseFeedbackWriter(self.base, settings, [], None).render(buffer, meta)
        self.strings: list[str] = list(wb.str_table.string_array)
        parts = read_parts(buffer.getvalue())
        sheets = sorted((n for n in parts if n.startswith("xl/worksheets/sheet")), key=_sheet_number)
        # the first sheet is 'Lỗi cần sửa', written whole per file; the layout's sheets follow
        if len(sheets) != len(self.base.sheets) + 1 or SST not in parts:
            raise PackageMismatch("unexpected sheets")
        self.sheets = {name: (parts[name], parse_rows(parts[name])) for name in sheets[1:]}
        self.parts = dict(zip(self.base.sheets, sheets[1:], strict=True))  # sheet key -> its part

    def write(self, layout: Layout, findings: Sequence[Finding], path: Path,
              generated_at: dt.datetime | None = None) -> dict[str, str]:
        """Write the feedback workbook of `layout` (built with the file's declared inputs) atomically."""
        written, patched = self._written(layout, findings)
        # the blank layout's validations, when they are the file's, are copied from the base's sheets
        same_validations = layout.validations == self.base.validations
        writer = _SparseFeedbackWriter(layout, self.settings, findings, written, validations=not same_validations)
        meta = make_meta(layout, self.settings, generated_at or dt.datetime.now(dt.UTC))
        layout.meta = meta
        buffer = io.BytesIO()
        wb = writer.render(buffer, meta)
        sparse = read_parts(buffer.getvalue())
        if SST not in sparse or not self.sheets.keys() <= sparse.keys():
            raise PackageMismatch("unexpected parts")
        strings, remap = merged_strings(self.strings, list(wb.str_table.string_array))
        cells = layout.cells
        by_part: dict[str, dict[int, dict[int, bytes]]] = {}
        for i in patched:
            c = cells[i]
            name = self.parts[c.sheet]
            base_cell = self.sheets[name][1][c.row + 1].cells[c.col + 1]
            by_part.setdefault(name, {}).setdefault(c.row + 1, {})[c.col + 1] = formula_cell(base_cell, _cache(c.cached))
        out: dict[str, bytes] = {}
        for name, data in sparse.items():
            if name in self.sheets:
                base_sheet, base_rows = self.sheets[name]
                out[name] = merged_sheet(base_rows, base_sheet, data, remap, by_part.get(name), same_validations)
            elif name == SST:
                out[name] = shared_strings_part(strings, data)
            elif name.startswith("xl/worksheets/sheet"):
                out[name] = remapped_sheet(data, remap)
            else:
                out[name] = data
        write_bytes(path, zipped(out))
        return meta

    def _written(self, layout: Layout, findings: Sequence[Finding]) -> tuple[list[int], list[int]]:
        """Indexes of the layout cells the sparse render writes, and of the formula cells whose cached
        result alone changed (patched into the base's cell); PackageMismatch when the layout is not the
        blank one's shape (every cell at the same place, in the same style, with the same formula)."""
        base = self.base.cells
        cells = layout.cells
        if len(cells) != len(base) or layout.sheets != self.base.sheets:
            raise PackageMismatch("layout shape")
        keys = {name: key for key, name in layout.sheets.items()}
        marked: set[tuple[str, int, int]] = set()
        for sheet, ref in FeedbackWorkbookWriter(layout, self.settings, findings).marked:
            if sheet in keys:
                row, col = xl_cell_to_rowcol(ref)
                marked.add((keys[sheet], row, col))
        special = marked | {(m.sheet, m.first_row, m.first_col) for m in layout.merges}
        written, patched = [], []
        for i, (a, b) in enumerate(zip(base, cells, strict=True)):
            if a == b and (b.sheet, b.row, b.col) not in special:
                continue
            if (a.sheet, a.row, a.col, a.style, a.formula) != (b.sheet, b.row, b.col, b.style, b.formula):
                raise PackageMismatch("layout shape")
            if b.formula is not None and (b.sheet, b.row, b.col) not in special and a.locked == b.locked:
                patched.append(i)
            else:
                written.append(i)
        return written, patched


def _sheet_number(name: str) -> int:
    return int(name.removeprefix("xl/worksheets/sheet").removesuffix(".xml"))
