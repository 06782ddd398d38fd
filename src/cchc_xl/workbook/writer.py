"""Renders a Layout into a protected .xlsx with XlsxWriter.

One class per file part in spirit: `_ProtectedWorkbook` adds workbook structure protection (which
XlsxWriter does not write), `CommuneWorkbookWriter` has one small method per thing it writes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from cchc_xl.safeio import atomic_path
from cchc_xl.settings import Settings
from cchc_xl.templates import template
from cchc_xl.workbook.layout import CellSpec, Layout, RangeValidation
from cchc_xl.workbook.signing import META_KEYS, make_meta

FONT = "Times New Roman"
YELLOW, GREY, BLUE, GREEN, RED = "#FFF2CC", "#E7E6E6", "#DDEBF7", "#E2EFDA", "#FCE4D6"

_BASE = {"font_name": FONT, "font_size": 11, "valign": "top"}
STYLES: dict[str, dict[str, Any]] = {
    "text": {},
    "number": {"num_format": "0.##"},
    "title": {"bold": True, "font_size": 14},
    "subtitle": {"italic": True},
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
    "input_text": {"border": 1, "bg_color": YELLOW, "text_wrap": True, "locked": False},
    "input_code": {"border": 1, "bg_color": YELLOW, "num_format": "@", "locked": False},
    "input_date": {"border": 1, "bg_color": YELLOW, "num_format": "dd/mm/yyyy", "locked": False},
    "input_long": {"border": 1, "bg_color": YELLOW, "text_wrap": True, "locked": False},
    "status": {"border": 1, "text_wrap": True},
    "status_ok": {"font_color": "#006100", "bg_color": GREEN},
    "status_bad": {"font_color": "#9C0006", "bg_color": RED},
    "check": {"border": 1, "font_color": "#9C0006"},
    "total_label": {"bold": True, "border": 1, "bg_color": BLUE},
    "total_number": {"bold": True, "border": 1, "bg_color": BLUE, "num_format": "0.00"},
    "total_text": {"bold": True, "border": 1, "bg_color": BLUE},
    "guide": {"text_wrap": True},
}
_REPORT = {"font_name": FONT, "font_size": 13, "valign": "vcenter"}
REPORT_STYLES: dict[str, dict[str, Any]] = {
    "report_head": {"bold": True, "align": "center"},
    "report_motto": {"bold": True, "underline": True, "align": "center"},
    "report_title": {"bold": True, "align": "center", "text_wrap": True},
    "report_sub": {"italic": True, "align": "center"},
    "report_header": {"bold": True, "align": "center", "border": 1, "text_wrap": True, "bg_color": BLUE},
    "report_area": {"bold": True, "border": 1},
    "report_area_wrap": {"bold": True, "border": 1, "text_wrap": True},
    "report_area_number": {"bold": True, "border": 1, "num_format": "0.00"},
    "report_area_text": {"bold": True, "border": 1, "align": "center"},
    "report_cell": {"border": 1},
    "report_cell_wrap": {"border": 1, "text_wrap": True},
    "report_cell_number": {"border": 1, "num_format": "0.00"},
    "report_italic": {"italic": True, "align": "center"},
    "report_bold": {"bold": True, "align": "center"},
}


class _ProtectedWorkbook(xlsxwriter.Workbook):
    """XlsxWriter workbook that also writes <workbookProtection lockStructure="1">."""

    structure_password: str = ""

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
            wb = _ProtectedWorkbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                               "strings_to_numbers": False})
            wb.structure_password = self.settings.sheet_password
            self.workbook = wb
            self.formats = self._formats(wb)
            sheets = self._add_sheets(wb)
            sheets["grid"].activate()
            self._write_cells(sheets)
            self._write_meta(sheets["meta"], meta)
            self._write_validations(sheets)
            self._write_names(wb)
            self._setup_guide(sheets["guide"])
            self._setup_grid(sheets["grid"])
            self._setup_register(sheets["register"])
            self._setup_summary(sheets["summary"])
            self._setup_issues(sheets["issues"])
            for key, ws in sheets.items():
                ws.protect(self.settings.sheet_password, {"format_columns": True, "format_rows": True})
                if key == "meta":
                    ws.very_hidden()
            self._after_cells(sheets)
            wb.set_properties({"title": self.t["grid"]["title"].format(year=self.layout.cset.year),
                               "author": "cchc-xl", "company": self.layout.cset.decision.issuer})
            wb.close()
        return meta

    def _add_sheets(self, wb: xlsxwriter.Workbook) -> dict[str, Worksheet]:
        return {key: wb.add_worksheet(name) for key, name in self.layout.sheets.items()}

    def _after_cells(self, sheets: dict[str, Worksheet]) -> None:
        """Hook for writers that add to the workbook (the feedback workbook)."""

    @staticmethod
    def style_props(style: str) -> dict[str, Any]:
        if style in STYLES:
            return {**_BASE, **STYLES[style]}
        return {**_REPORT, **REPORT_STYLES[style]}

    def _formats(self, wb: xlsxwriter.Workbook) -> dict[str, Any]:
        return {k: wb.add_format(self.style_props(k)) for k in (*STYLES, *REPORT_STYLES)}

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

    def _write_meta(self, ws: Worksheet, meta: dict[str, str]) -> None:
        for i, key in enumerate((*META_KEYS, "hmac")):
            ws.write_string(i, 0, key)
            ws.write_string(i, 1, meta.get(key, ""))
        ws.set_column(0, 0, 18)
        ws.set_column(1, 1, 70)

    def _write_validations(self, sheets: dict[str, Worksheet]) -> None:
        for rv in self.layout.validations:
            opts = _dv(rv, self.t["validation"]["error_title"])
            sheets[rv.sheet].data_validation(rv.first_row, rv.first_col, rv.last_row, rv.last_col, opts)

    def _write_names(self, wb: xlsxwriter.Workbook) -> None:
        for name, ref in self.layout.names.items():
            wb.define_name(name, "=" + ref)

    def _columns(self, ws: Worksheet, columns: dict[str, list[Any]]) -> None:
        for i, (_header, width) in enumerate(columns.values()):
            ws.set_column(i, i, width)

    def _print(self, ws: Worksheet, landscape: bool, header_row: int | None) -> None:
        ws.set_paper(9)  # A4
        ws.set_landscape() if landscape else ws.set_portrait()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.6)
        ws.set_footer("&CTrang &P/&N")
        if header_row is not None:
            ws.repeat_rows(header_row)

    def _setup_guide(self, ws: Worksheet) -> None:
        ws.set_column(0, 0, 120)
        self._print(ws, landscape=False, header_row=None)

    def _setup_grid(self, ws: Worksheet) -> None:
        g = self.t["grid"]
        self._columns(ws, g["columns"])
        last_col = len(g["columns"]) - 1
        ws.set_row(3, 32)
        ws.freeze_panes(4, 2)
        status_col = list(g["columns"]).index("status")
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
        ws.print_area(0, 0, max(rows) + 3, last_col)
        self._print(ws, landscape=True, header_row=3)

    def _setup_register(self, ws: Worksheet) -> None:
        r = self.t["register"]
        self._columns(ws, r["columns"])
        ws.set_row(1, 45)
        ws.freeze_panes(r["first_row"] - 1, 1)
        self._print(ws, landscape=True, header_row=r["first_row"] - 2)

    def _setup_summary(self, ws: Worksheet) -> None:
        s = self.t["summary"]
        self._columns(ws, s["columns"])
        ws.set_row(3, 40)
        self._print(ws, landscape=False, header_row=6)

    def _setup_issues(self, ws: Worksheet) -> None:
        ws.set_column(0, 0, 110)
        ws.set_row(3, 220)
        ws.set_row(6, 220)
        self._print(ws, landscape=False, header_row=None)


def _col(index: int) -> str:
    from xlsxwriter.utility import xl_col_to_name

    return xl_col_to_name(index)


def _cache(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return "" if value is None else value


def _dv(rv: RangeValidation, error_title: str) -> dict[str, Any]:
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
