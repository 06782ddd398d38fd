"""Renders a Layout into a protected .xlsx with XlsxWriter.

One class per file part in spirit: `_ProtectedWorkbook` adds workbook structure protection (which
XlsxWriter does not write), `CommuneWorkbookWriter` has one small method per thing it writes.

`CommuneWorkbookPackage` makes the blank workbooks of many communes fast: it renders the set's workbook
once, for a placeholder commune, and for each commune re-renders only the parts that differ (the shared
strings, where its name, code and signed metadata live, and the document date), copying the other parts
already compressed. The files are the same, part for part, as `CommuneWorkbookWriter` writes.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
import zlib
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from xlsxwriter.core import Core
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.worksheet import Worksheet

from cchc_xl.communes import Commune
from cchc_xl.fastzlib import crc32, deflate_raw
from cchc_xl.literals import text as text_literal
from cchc_xl.safeio import atomic_path, write_bytes
from cchc_xl.settings import Settings
from cchc_xl.templates import Columns, template
from cchc_xl.workbook import approved_report
from cchc_xl.workbook.formula_memo import worksheet_class
from cchc_xl.workbook.layout import (
    DEFAULT_ROW_HEIGHT,
    PLACEHOLDER,
    REGISTER_CHECKS,
    CellSpec,
    Layout,
    LayoutTemplate,
    Merge,
    RangeValidation,
    register_columns,
)
from cchc_xl.workbook.sheetkit import FONT_NAME, Margins, PageSetup, font, workbook_options
from cchc_xl.workbook.signing import META_KEYS, make_meta

FONT = FONT_NAME
_MARGINS = Margins(top=15.24, bottom=15.24, left=12.7, right=10.16)  # the working sheets (not Phụ lục 2)
_PT_PER_MM = 72 / 25.4
_FOOTER_ROOM = 6.0    # points: the footer sits in the bottom margin, but LibreOffice keeps a gap above it
_PAGE_SAFETY = 0.96   # our breaks come before the programs' own (their scale differs a little from ours)
YELLOW, GREY, BLUE, GREEN, RED = "#FFF2CC", "#E7E6E6", "#DDEBF7", "#E2EFDA", "#FCE4D6"

_BASE = font(11, valign="top")
STYLES: dict[str, dict[str, Any]] = {
    "text": {},
    "number": {"num_format": "0.##"},
    "title": {"bold": True, "font_size": 14},
    "title_wrap": {"bold": True, "font_size": 14, "text_wrap": True},
    "subtitle": {"italic": True},
    "subtitle_wrap": {"italic": True, "text_wrap": True},
    "note": {"italic": True, "text_wrap": True},
    "label": {"bold": True},
    "code_value": {"bold": True, "num_format": "@"},
    "header": {"bold": True, "text_wrap": True, "align": "center", "valign": "vcenter", "bg_color": BLUE,
               "border": 1},
    "area_code": {"bold": True, "bg_color": BLUE, "border": 1},
    "area_title": {"bold": True, "bg_color": BLUE, "border": 1, "text_wrap": True},
    "area_number": {"bold": True, "bg_color": BLUE, "border": 1, "num_format": "0.00"},
    "criterion_code": {"bold": True, "border": 1},
    "criterion_title": {"bold": True, "border": 1, "text_wrap": True},
    "criterion_number": {"bold": True, "border": 1, "num_format": "0.00"},
    "sub_code": {"border": 1, "indent": 1},
    "sub_title": {"border": 1, "text_wrap": True, "indent": 1},
    "method": {"border": 1, "text_wrap": True, "font_size": 10},
    "leaf_number": {"border": 1, "num_format": "0.00"},
    "leaf_count": {"border": 1, "num_format": "0", "align": "center"},
    "blank": {"border": 1},
    "district": {"border": 1, "bg_color": GREY, "italic": True, "text_wrap": True},
    "input_number": {"border": 1, "bg_color": YELLOW, "num_format": "0.00", "locked": False},
    "input_count": {"border": 1, "bg_color": YELLOW, "num_format": "0", "locked": False},
    "input_text": {"border": 1, "bg_color": YELLOW, "text_wrap": True, "locked": False},
    "input_code": {"border": 1, "bg_color": YELLOW, "num_format": "@", "locked": False},
    "input_date": {"border": 1, "bg_color": YELLOW, "num_format": "dd/mm/yyyy", "locked": False},
    "input_long": {"border": 1, "bg_color": YELLOW, "text_wrap": True, "locked": False},
    # The guide's colour legend shows the input colour but is no input: locked, or a commune could edit it
    # and its workbook would then be rejected as tampered.
    "legend_input": {"border": 1, "bg_color": YELLOW, "text_wrap": True},
    "status": {"border": 1, "text_wrap": True},
    "district_mark": {"text_wrap": True},  # layout.DISTRICT_MARK_STYLE (a hidden column)
    "status_ok": {"font_color": "#006100", "bg_color": GREEN},
    "status_bad": {"font_color": "#9C0006", "bg_color": RED},
    "check": {"border": 1, "font_color": "#9C0006"},
    "pending": {"font_color": "#9C0006", "bold": True, "align": "right"},  # overflows leftwards into the title row
    "total_label": {"bold": True, "border": 1, "bg_color": BLUE},
    "total_label_wrap": {"bold": True, "border": 1, "bg_color": BLUE, "text_wrap": True, "valign": "top"},
    "total_number": {"bold": True, "border": 1, "bg_color": BLUE, "num_format": "0.00"},
    "total_text": {"bold": True, "border": 1, "bg_color": BLUE},
    "guide": {"text_wrap": True},
}
_REPORT = font(13, valign="vcenter")
REPORT_STYLES: dict[str, dict[str, Any]] = {
    # A long commune name shrinks to fit its merged cells (the row heights are the same for every commune).
    "report_head": {"bold": True, "align": "center", "shrink": True},
    "report_motto": {"bold": True, "underline": True, "align": "center"},
    "report_title": {"bold": True, "align": "center", "text_wrap": True},
    "report_sub": {"italic": True, "align": "center", "text_wrap": True},
    "report_header": {"bold": True, "align": "center", "border": 1, "text_wrap": True, "bg_color": BLUE},
    "report_area": {"bold": True, "border": 1},
    "report_area_wrap": {"bold": True, "border": 1, "text_wrap": True},
    "report_area_number": {"bold": True, "border": 1, "num_format": "0.00"},
    "report_area_text": {"bold": True, "border": 1, "align": "center"},
    "report_cell": {"border": 1},
    "report_cell_wrap": {"border": 1, "text_wrap": True},
    "report_cell_number": {"border": 1, "num_format": "0.00"},
    "report_italic": {"italic": True, "align": "center", "shrink": True},
    "report_bold": {"bold": True, "align": "center"},
}


class _ProtectedWorkbook(xlsxwriter.Workbook):
    """XlsxWriter workbook that also writes <workbookProtection lockStructure="1">."""

    structure_password: str = ""

    def __init__(self, filename: Any = None, options: dict[str, Any] | None = None) -> None:
        super().__init__(filename, options)
        self.worksheet_class = worksheet_class()  # formulas prepared once per text (formula_memo.py)

    def _write_workbook_pr(self) -> None:
        super()._write_workbook_pr()
        attrs: list[tuple[str, Any]] = []
        if self.structure_password:
            attrs.append(("workbookPassword", Worksheet._encode_password(None, self.structure_password)))  # type: ignore[arg-type]
        attrs.append(("lockStructure", 1))
        self._xml_empty_tag("workbookProtection", attrs)


class CommuneWorkbookWriter:
    def __init__(self, layout: Layout, settings: Settings, generated_at: dt.datetime | None = None):
        self.layout = layout
        self.settings = settings
        self.generated_at = generated_at or dt.datetime.now(dt.UTC)
        self.t = template("commune")

    def write(self, path: Path) -> dict[str, str]:
        """Write the workbook atomically; return its signed metadata."""
        meta = make_meta(self.layout, self.settings, self.generated_at)
        self.layout.meta = meta
        with atomic_path(path) as tmp:
            self.render(str(tmp), meta)
        return meta

    def render(self, target: str | IO[bytes], meta: dict[str, str]) -> xlsxwriter.Workbook:
        """Write the workbook with this metadata into a file name or a binary stream."""
        wb = self._new_workbook(target)
        wb.structure_password = self.settings.sheet_password
        self.workbook = wb
        self.formats = self._formats(wb)
        sheets = self._add_sheets(wb)
        sheets["grid"].activate()
        self._write_merges(sheets)
        self._write_cells(sheets)
        self._write_row_heights(sheets)
        self._write_meta(sheets["meta"], meta)
        self._write_validations(sheets)
        self._write_names(wb)
        self._setup_guide(sheets["guide"])
        self._setup_grid(sheets["grid"])
        self._setup_register(sheets["register"])
        self._setup_summary(sheets["summary"])
        self._setup_issues(sheets["issues"])
        approved_report.setup_sheet(sheets[approved_report.SHEET], self.layout)
        for key, ws in sheets.items():
            ws.protect(self.settings.sheet_password, {"format_columns": True, "format_rows": True})
            if key == "meta":
                ws.very_hidden()
        self._after_cells(sheets)
        wb.set_properties({"title": self.t["grid"]["title"].format(year=self.layout.cset.year),
                           "author": "cchc-xl", "company": self.layout.cset.decision.issuer})
        wb.close()
        return wb

    def _new_workbook(self, target: str | IO[bytes]) -> xlsxwriter.Workbook:
        # in_memory: XlsxWriter builds each part in memory instead of a temporary file (same parts).
        return _ProtectedWorkbook(target, {**workbook_options(), "in_memory": True})

    def _add_sheets(self, wb: xlsxwriter.Workbook) -> dict[str, Worksheet]:
        return {key: wb.add_worksheet(name) for key, name in self.layout.sheets.items()}

    def _after_cells(self, sheets: dict[str, Worksheet]) -> None:
        """Hook for writers that add to the workbook (the feedback workbook)."""

    @staticmethod
    def style_props(style: str) -> dict[str, Any]:
        if style in STYLES:
            return {**_BASE, **STYLES[style]}
        if style in approved_report.STYLES:
            return approved_report.style_props(style)
        return {**_REPORT, **REPORT_STYLES[style]}

    def _formats(self, wb: xlsxwriter.Workbook) -> dict[str, Any]:
        return {k: wb.add_format(self.style_props(k)) for k in (*STYLES, *REPORT_STYLES, *approved_report.STYLES)}

    def _write_cells(self, sheets: dict[str, Worksheet]) -> None:
        for cell in self.layout.cells:
            self._write_cell(sheets[cell.sheet], cell)

    def _write_cell(self, ws: Worksheet, cell: CellSpec) -> None:
        fmt = self.formats[cell.style]
        if cell.formula is not None:
            ws.write_formula(cell.row, cell.col, "=" + cell.formula, fmt, _cache(cell.cached))
        elif isinstance(cell.value, str):
            ws.write_string(cell.row, cell.col, cell.value, fmt)
        elif isinstance(cell.value, dt.date):
            ws.write_datetime(cell.row, cell.col, dt.datetime.combine(cell.value, dt.time()), fmt)
        elif isinstance(cell.value, Decimal | int):
            ws.write_number(cell.row, cell.col, float(cell.value), fmt)
        else:
            ws.write_blank(cell.row, cell.col, None, fmt)

    def _write_merges(self, sheets: dict[str, Worksheet]) -> None:
        """Merged ranges, blank in the style of their first cell; `_write_cells` then writes that cell."""
        first = {(m.sheet, m.first_row, m.first_col): m for m in self.layout.merges}
        styles = {(c.sheet, c.row, c.col): c.style for c in self.layout.cells if (c.sheet, c.row, c.col) in first}
        for key, m in first.items():
            write_merge(sheets[m.sheet], m, self.formats[styles.get(key, "text")])

    def _write_row_heights(self, sheets: dict[str, Worksheet]) -> None:
        for (sheet, row), height in self.layout.row_heights.items():
            sheets[sheet].set_row(row, height)

    def _write_meta(self, ws: Worksheet, meta: dict[str, str]) -> None:
        for i, key in enumerate((*META_KEYS, "hmac")):
            ws.write_string(i, 0, key)
            ws.write_string(i, 1, meta.get(key, ""))
        ws.set_column(0, 0, 18)
        ws.set_column(1, 1, 70)

    def _write_validations(self, sheets: dict[str, Worksheet]) -> None:
        for rv in self.layout.validations:
            opts = validation_options(rv, self.t["validation"]["error_title"])
            sheets[rv.sheet].data_validation(rv.first_row, rv.first_col, rv.last_row, rv.last_col, opts)

    def _write_names(self, wb: xlsxwriter.Workbook) -> None:
        for name, ref in self.layout.names.items():
            wb.define_name(name, "=" + ref)

    def _columns(self, ws: Worksheet, columns: Columns) -> None:
        for c in columns.values():
            ws.set_column(c.index, c.index, c.width)

    def _print(self, ws: Worksheet, landscape: bool, header_row: int | None) -> None:
        PageSetup(landscape=landscape, margins=_MARGINS,
                  repeat_rows=None if header_row is None else (header_row, header_row)).apply(ws)

    def _setup_guide(self, ws: Worksheet) -> None:
        ws.set_column(0, 0, self.t["guide"]["width"])
        self._print(ws, landscape=False, header_row=None)

    def _setup_grid(self, ws: Worksheet) -> None:
        g = self.t["grid"]
        self._columns(ws, g["columns"])
        mark = g.columns["mark"]  # the district's marks: hidden, shown through the status column
        ws.set_column(mark.index, mark.index, mark.width, None, {"hidden": True})
        ws.freeze_panes(4, 2)
        status_col = g.columns["status"].index
        rows = [r.row for r in self.layout.leaves.values()]
        first, last = min(rows), max(rows)
        ok, district = self.t["status"]["ok"], self.t["status"]["district"]
        col = _col(status_col)
        ws.conditional_format(first, status_col, last, status_col, {
            "type": "formula", "criteria": f'={col}{first + 1}="{ok}"', "format": self.formats["status_ok"]})
        ws.conditional_format(first, status_col, last, status_col, {
            "type": "formula", "criteria": f'=AND({col}{first + 1}<>"",{col}{first + 1}<>"{ok}",'
                                           f'{col}{first + 1}<>"{district}")',
            "format": self.formats["status_bad"]})
        # the total and tier rows follow the last item; the method column after `print_through` is not printed
        through = g.columns.last_printed.index
        ws.print_area(0, 0, max(rows) + 3, through)
        self._print(ws, landscape=True, header_row=3)
        ws.set_h_pagebreaks(self._grid_breaks(through, max(rows) + 3))

    def _grid_breaks(self, through: int, last_row: int) -> list[int]:
        """Page breaks that keep an area's or a criterion's heading with its first item: every page ends at a
        break placed here, a little before LibreOffice or Excel would end it (their scale and footer are
        estimated), and never below a heading."""
        widths = self.t.grid.columns.widths[: through + 1]
        margins = _MARGINS
        page_w = (297 - margins.left - margins.right) * _PT_PER_MM
        page_h = (210 - margins.top - margins.bottom) * _PT_PER_MM - _FOOTER_ROOM
        scale = min(1.0, page_w / sum((w * 7 + 5) * 0.75 for w in widths))  # 7 px a unit, 5 of padding
        room = page_h / scale * _PAGE_SAFETY  # sheet points a page holds
        heights = self.layout.row_heights

        def height(row: int) -> float:
            return heights.get(("grid", row), DEFAULT_ROW_HEIGHT)

        leaves = {r.row for r in self.layout.leaves.values()}
        headings = {row for row in self.layout.node_rows.values() if row not in leaves}
        header = height(3)
        breaks: list[int] = []
        used = sum(height(r) for r in range(4))
        for row in range(4, last_row + 1):
            need = height(row) + (height(row + 1) if row in headings else 0.0)
            if used + need > room and used > header:
                breaks.append(row)
                used = header
            used += height(row)
        return breaks

    def _setup_register(self, ws: Worksheet) -> None:
        r = self.t["register"]
        self._columns(ws, r["columns"])
        ws.freeze_panes(r["first_row"] - 1, 1)
        self._print(ws, landscape=True, header_row=r["first_row"] - 2)
        self._register_print_area(ws)
        self._register_marks(ws)

    def _register_marks(self, ws: Worksheet) -> None:
        """The check column is hidden: a formula in each of its rows counts as content, and LibreOffice
        would print every empty input row. What it says shows instead as a red mark on the cell to change
        (the same cell the importer marks) and as the count above the table."""
        r = self.t.register
        cols = register_columns(self.t)
        first, last = self.layout.register_rows
        check = r.columns["check"]
        ws.set_column(check.index, check.index, check.width, None, {"hidden": True})
        for register_check in REGISTER_CHECKS:
            col = cols[register_check.field]
            ws.conditional_format(first, col, last, col, {
                "type": "formula",
                "criteria": f"=${check.letter}{first + 1}={text_literal(r.check[register_check.key])}",
                "format": self.formats["status_bad"]})

    def _register_print_area(self, ws: Worksheet) -> None:
        """None in the blank workbook: the commune adds rows after it is written, and a fixed print area
        would leave them unprinted (a formula print area over the filled rows is followed by Excel only,
        and makes openpyxl warn on every read). The feedback workbook, which knows the rows, sets one."""

    def _setup_summary(self, ws: Worksheet) -> None:
        s = self.t["summary"]
        self._columns(ws, s["columns"])
        self._print(ws, landscape=False, header_row=6)

    def _setup_issues(self, ws: Worksheet) -> None:
        ws.set_column(0, 0, self.t["issues"]["width"])
        self._print(ws, landscape=False, header_row=None)


def write_merge(ws: Worksheet, m: Merge, fmt: Any) -> None:
    """Merge the range, every cell blank in `fmt`; the caller writes the first cell's content afterwards."""
    ws.merge_range(m.first_row, m.first_col, m.last_row, m.last_col, None, fmt)


def _col(index: int) -> str:
    from xlsxwriter.utility import xl_col_to_name

    return xl_col_to_name(index)


def _cache(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return "" if value is None else value


def validation_options(rv: RangeValidation, error_title: str) -> dict[str, Any]:
    v = rv.validation
    opts: dict[str, Any] = {"input_title": v.title, "input_message": v.prompt, "error_title": error_title,
                            "error_message": v.error, "ignore_blank": True}
    if v.kind == "list":
        opts.update(validate="list", source="=" + v.source)
    elif v.kind == "custom":
        opts.update(validate="custom", value="=" + v.source)
    elif v.kind in ("whole", "decimal"):
        opts.update(validate="integer" if v.kind == "whole" else "decimal", criteria="between",
                    minimum=v.minimum, maximum=v.maximum)
    elif v.kind == "date":
        opts.update(validate="date", criteria="between",
                    minimum=dt.datetime.combine(v.minimum, dt.time()), maximum=dt.datetime.combine(v.maximum, dt.time()))
    return opts


# -- many communes: render the set's workbook once ------------------------------------------------------
# Metadata values that differ from commune to commune (the others depend on the set and the settings).
_COMMUNE_META = ("commune_code", "commune_name", "commune_kind", "generated_at", "digest", "hmac")
_SST, _CORE = "xl/sharedStrings.xml", "docProps/core.xml"
_STRMAX = 16383  # XlsxWriter cuts strings above 32767 UTF-16 units; longer texts take the general path
_SECOND = Commune(code="⟦mã 2⟧", name="⟦tên 2⟧", kind="⟦loại 2⟧")  # a second placeholder, for _check


class PackageMismatch(Exception):
    """The workbook of a set cannot be rendered once for all communes (never expected; see _check)."""


class CommuneWorkbookPackage:
    """The blank commune workbook of one criteria set, rendered once, re-filled per commune.

    Why this is exact: XlsxWriter writes every text cell as an index into the shared-strings part, in the
    order the texts are first written. A commune's workbook writes the same cells in the same order as
    the placeholder's; only the commune's texts and metadata differ. So as long as those texts map one to
    one onto the placeholder's (no commune text equals another text of the workbook), every sheet keeps
    the same indexes and only the shared strings change. `write` returns None when that does not hold,
    and the caller writes that commune the general way. The constructor checks the premise on two
    placeholder renders and raises PackageMismatch when anything else differs.
    """

    def __init__(self, layouts: LayoutTemplate, settings: Settings):
        self.layouts = layouts
        self.settings = settings
        first = self._render(PLACEHOLDER, "1")
        self._check(first, self._render(_SECOND, "2"))
        wb, self.placeholder_meta, parts = first
        strings: list[str] = wb.str_table.string_array
        self.doc_properties = dict(wb.doc_properties)
        roles = self._roles(PLACEHOLDER, self.placeholder_meta)
        if roles is None:
            raise PackageMismatch("placeholder texts collide")
        self.fixed_strings = frozenset(s for s in strings if s not in roles)
        # Shared strings part = head, then one <si> per string, then tail; commune strings re-rendered.
        self.variable = [(i, s) for i, s in enumerate(strings) if s in roles]
        si = [_si(s) for s in strings]
        xml = parts[_SST].decode("utf-8")
        body = "".join(si)
        start = xml.index("<si>") if strings else len(xml) - len("</sst>")
        if xml[start:start + len(body)] != body:
            raise PackageMismatch("shared strings render differently")
        # Fixed runs of the part between commune strings, each compressed once (see _Deflated).
        runs: list[str] = []
        last = 0
        for i, _ in self.variable:
            runs.append("".join(si[last:i]))
            last = i + 1
        runs.append("".join(si[last:]))
        runs[0] = xml[:start] + runs[0]
        runs[-1] += xml[start + len(body):]
        self.sst_runs = [_Deflated.piece(run.encode("utf-8")) for run in runs]
        self.names = list(parts)
        self.compressed = {name: _deflated(data) for name, data in parts.items() if name not in (_SST, _CORE)}

    def _render(self, commune: Commune, mark: str) -> tuple[Any, dict[str, str], dict[str, bytes]]:
        layout = self.layouts.layout(commune)
        meta = make_meta(layout, self.settings, dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        meta.update({key: f"⟦{key} {mark}⟧" for key in ("generated_at", "digest", "hmac")})
        buffer = io.BytesIO()
        wb = CommuneWorkbookWriter(layout, self.settings).render(buffer, meta)
        with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
            parts = {info.filename: archive.read(info) for info in archive.infolist()}
        return wb, meta, parts

    def _roles(self, commune: Commune, meta: dict[str, str]) -> dict[str, str] | None:
        """Placeholder text -> this commune's text, for every text that depends on the commune; None when
        two placeholder texts that are one string would become two (never with distinct placeholders)."""
        pairs = [(text(PLACEHOLDER), text(commune)) for _, text in self.layouts.slots]
        pairs += [(self.placeholder_meta[key], meta[key]) for key in _COMMUNE_META]
        roles: dict[str, str] = {}
        for placeholder, text in pairs:
            if roles.setdefault(placeholder, text) != text:
                return None
        return roles

    def _check(self, first: tuple[Any, dict[str, str], dict[str, bytes]],
               second: tuple[Any, dict[str, str], dict[str, bytes]]) -> None:
        """Two placeholder communes must differ only in the shared strings (at their own texts) and the date."""
        (wb1, meta1, parts1), (wb2, meta2, parts2) = first, second
        if list(parts1) != list(parts2):
            raise PackageMismatch("different parts")
        for name in parts1:
            if name not in (_SST, _CORE) and parts1[name] != parts2[name]:
                raise PackageMismatch(f"{name} depends on the commune")
        pairs = [(text(PLACEHOLDER), text(_SECOND)) for _, text in self.layouts.slots]
        pairs += [(meta1[key], meta2[key]) for key in _COMMUNE_META]
        mapping = dict(pairs)
        s1, s2 = wb1.str_table.string_array, wb2.str_table.string_array
        if len(s1) != len(s2) or any(mapping.get(a, a) != b for a, b in zip(s1, s2, strict=True)):
            raise PackageMismatch("shared strings do not follow the commune texts")

    def write(self, commune: Commune, path: Path, generated_at: dt.datetime | None = None) -> dict[str, str] | None:
        """Write `commune`'s blank workbook atomically and return its signed metadata; None (nothing
        written) when its texts collide with other texts of the workbook (see the class comment)."""
        layout = self.layouts.layout(commune)
        meta = make_meta(layout, self.settings, generated_at or dt.datetime.now(dt.UTC))
        sst = self._shared_strings(commune, meta)
        if sst is None:
            return None
        core = Core()
        core._set_properties(self.doc_properties)  # no 'created': XlsxWriter dates the file now
        buffer = io.StringIO()
        core._set_xml_writer(buffer)
        core._assemble_xml_file()
        fresh = {_SST: sst, _CORE: _deflated(buffer.getvalue().encode("utf-8"))}
        write_bytes(path, _zip([(name, self.compressed.get(name) or fresh[name]) for name in self.names]))
        return meta

    def _shared_strings(self, commune: Commune, meta: dict[str, str]) -> tuple[bytes, int, int] | None:
        """The shared-strings part for this commune, deflated; None when its texts would not map one to one."""
        roles = self._roles(commune, meta)
        if roles is None:
            return None
        texts = [roles[placeholder] for _, placeholder in self.variable]
        if (len(set(texts)) != len(texts) or any(t in self.fixed_strings or len(t) > _STRMAX for t in texts)):
            return None  # XlsxWriter would share or cut a string: indexes would move
        pieces = [self.sst_runs[0]]
        for text, run in zip(texts, self.sst_runs[1:], strict=True):
            pieces += [_Deflated.piece(_si(text).encode("utf-8")), run]
        return _Deflated.join(pieces)


def _si(text: str) -> str:
    """One <si> element exactly as XlsxWriter writes it (escapes, preserved spaces)."""
    writer = SharedStrings()
    buffer = io.StringIO()
    writer._set_xml_writer(buffer)
    writer._write_si(text)
    return buffer.getvalue()


# -- a zip written from parts already compressed --------------------------------------------------------
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, XlsxWriter's in-memory part date; time 00:00


def _deflated(data: bytes, level: int = zlib.Z_DEFAULT_COMPRESSION) -> tuple[bytes, int, int]:
    """(raw deflate stream, crc32, size) of a zip member (at `level`; by ISA-L where installed: fastzlib.py)."""
    return deflate_raw(data, level), crc32(data), len(data)


class _Deflated:
    """A deflate stream glued from pieces compressed apart: each piece ends with a full flush (byte
    aligned, no back-reference into it from later pieces), and an empty final block closes the stream.
    So the large fixed runs of a part are compressed once and only a commune's few texts each time."""

    _END = b"\x03\x00"  # an empty fixed-Huffman block with BFINAL set

    @staticmethod
    def piece(data: bytes) -> tuple[bytes, bytes]:
        packer = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        return data, packer.compress(data) + packer.flush(zlib.Z_FULL_FLUSH)

    @staticmethod
    def join(pieces: list[tuple[bytes, bytes]]) -> tuple[bytes, int, int]:
        crc, size = 0, 0
        for data, _ in pieces:
            crc = zlib.crc32(data, crc)
            size += len(data)
        return b"".join(blob for _, blob in pieces) + _Deflated._END, crc, size


def _zip(parts: list[tuple[str, tuple[bytes, int, int]]]) -> bytes:
    """A zip archive of deflated parts; the local and central headers zipfile would write (no zip64:
    a commune workbook is far below 4 GB)."""
    out = bytearray()
    central = bytearray()
    for name, (blob, crc, size) in parts:
        encoded = name.encode("ascii")
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, zipfile.ZIP_DEFLATED, 0, _DOS_DATE, crc, len(blob),
                           size, len(encoded), 0)
        out += encoded
        out += blob
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", (3 << 8) | 20, 20, 0, zipfile.ZIP_DEFLATED, 0,
                               _DOS_DATE, crc, len(blob), size, len(encoded), 0, 0, 0, 0, 0, offset)
        central += encoded
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(central), len(out), 0)
    return bytes(out + central + end)
