"""Feedback workbook: a fresh copy of the commune's workbook with its values filled in, problem cells
highlighted with comments, and a first sheet listing every finding with a link to its cell."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

from xlsxwriter.worksheet import Worksheet

from cchc_xl.communes import slugify
from cchc_xl.records import CellRef, Finding
from cchc_xl.safeio import output_stem
from cchc_xl.settings import Settings
from cchc_xl.templates import template
from cchc_xl.workbook.layout import CellSpec, Layout, Merge, fit_row
from cchc_xl.workbook.writer import CommuneWorkbookWriter, write_merge

# Notes meant for the district, not for the commune (the district's own signing key is the demo key): a file
# whose findings are only these gets no feedback workbook.
DISTRICT_NOTES = frozenset({"meta.demo_key"})

def split_cell(cell: str) -> tuple[str, str] | None:
    """(sheet name, A1) of a finding's display reference."""
    ref = CellRef.parse(cell)
    return (ref.sheet, ref.a1) if ref else None


class FeedbackWorkbookWriter(CommuneWorkbookWriter):
    """The commune workbook plus the 'Lỗi cần sửa' sheet and highlighted finding cells."""

    def __init__(self, layout: Layout, settings: Settings, findings: Sequence[Finding]):
        super().__init__(layout, settings)
        self.findings = list(findings)
        self.tv = template("validation", layout.identity)["feedback"]
        self.marked: dict[tuple[str, str], list[str]] = {}
        for f in self.findings:
            where = split_cell(f.cell) if f.cell else None
            if where:
                self.marked.setdefault(where, []).append(f.message)

    def _add_sheets(self, wb: Any) -> dict[str, Worksheet]:
        self.errors_ws = wb.add_worksheet(self.tv["sheet"])
        return super()._add_sheets(wb)

    def _write_cell(self, ws: Worksheet, cell: CellSpec) -> None:
        key = (self.layout.sheets[cell.sheet], cell.ref)
        if key not in self.marked:
            super()._write_cell(ws, cell)
            return
        base = self.formats[cell.style]
        marked = self._marked_format(cell.style)
        self.formats[cell.style] = marked
        try:
            super()._write_cell(ws, cell)
        finally:
            self.formats[cell.style] = base
        ws.write_comment(cell.row, cell.col, "\n".join(self.marked[key])[:30000],
                         {"x_scale": 3, "y_scale": 2, "author": self.layout.identity.words()["office"]})

    def _marked_format(self, style: str) -> Any:
        cache = self.__dict__.setdefault("_marked_cache", {})
        if style not in cache:
            props = {**self.style_props(style), "bg_color": "#FF9999", "border": 2, "border_color": "#C00000"}
            cache[style] = self.workbook.add_format(props)
        return cache[style]

    def _after_cells(self, sheets: dict[str, Worksheet]) -> None:
        ws, tv = self.errors_ws, self.tv
        widths = [w for _h, w in tv["columns"].values()]
        heights: dict[int, float] = {}
        ws.write_string(0, 0, tv["title"].format(committee=self.layout.commune.committee), self.formats["title"])
        # the intro spans the table, not the narrow STT column
        write_merge(ws, Merge("errors", 1, 0, 1, len(widths) - 1), self.formats["note"])
        ws.write_string(1, 0, tv["intro"], self.formats["note"])
        fit_row(heights, 1, [(tv["intro"], sum(widths), 11, False)])
        for i, (header, width) in enumerate(tv["columns"].values()):
            ws.set_column(i, i, width)
            ws.write_string(3, i, header, self.formats["header"])
            fit_row(heights, 3, [(header, width, 11, True)])
        severity = template("validation")["severity"]
        order = {"error": 0, "warning": 1, "info": 2}
        for n, f in enumerate(sorted(self.findings, key=lambda f: order[f.severity]), start=1):
            row = 3 + n
            ws.write_number(row, 0, n, self.formats["blank"])
            ws.write_string(row, 1, severity[f.severity], self.formats["blank"])
            ws.write_string(row, 2, f.criterion or "", self.formats["blank"])
            where = split_cell(f.cell) if f.cell else None
            if where:
                ws.write_url(row, 3, f"internal:'{where[0]}'!{where[1]}", self.formats["blank"], string=f.cell)
            else:
                ws.write_string(row, 3, f.cell or "", self.formats["blank"])
            ws.write_string(row, 4, f.message, self.formats["status"])
            fit_row(heights, row, [(f.message, widths[4], 11, False)])
        if not self.findings:
            ws.write_string(4, 0, tv["none"])
        for row, height in heights.items():
            ws.set_row(row, height)
        ws.freeze_panes(4, 0)
        ws.protect(self.settings.sheet_password)
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(3)
        ws.activate()


def needs_feedback(findings: Sequence[Finding]) -> bool:
    """Whether the commune has anything to read: a finding other than an info note meant for the district."""
    return any(not (f.severity == "info" and f.rule in DISTRICT_NOTES) for f in findings)


def feedback_name(workbook_file: str, commune_code: str | None) -> str:
    """The feedback workbook's name: the commune's code and a bounded slug of the returned file's name, never
    the raw name (which may be any bytes, and any length). Another extension than .xlsx is kept in it
    (x.xlsx and x.xlsm get two), and a name the slug does not spell exactly gets a short hash of it, so
    two returns never share one feedback file."""
    path = PurePosixPath(workbook_file)
    ext = slugify(path.suffix)[:8]
    stem = output_stem(commune_code or "", path.stem)
    exact = stem.endswith(path.stem) or stem == path.stem
    if ext and ext != "xlsx":
        stem += f"-{ext}"
    if not exact:
        stem += "-" + hashlib.sha256(workbook_file.encode("utf-8", "surrogateescape")).hexdigest()[:6]
    return f"{stem}{template('validation')['feedback_suffix']}.xlsx"
