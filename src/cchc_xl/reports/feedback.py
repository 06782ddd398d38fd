"""Feedback workbook: a fresh copy of the commune's workbook with its values filled in, the cells to change
highlighted with comments, and a first sheet that tells the outcome first (accepted, accepted with
warnings, not accepted; the recomputed total; what to do next), then lists every finding with a link to
its cell. Notes meant for the district (its signing key, its settings) never reach the commune."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

from xlsxwriter.utility import xl_cell_to_rowcol
from xlsxwriter.worksheet import Worksheet

from cchc_xl.communes import slugify
from cchc_xl.messages import say
from cchc_xl.numbers import fmt
from cchc_xl.records import CellRef, Finding, outcome
from cchc_xl.safeio import output_stem
from cchc_xl.settings import Settings
from cchc_xl.templates import template
from cchc_xl.workbook.layout import CellSpec, Layout, fit_row, lines_height, register_columns
from cchc_xl.workbook.sheetkit import NUMBER_FORMATS, Formats, PageSetup, Sheet, font
from cchc_xl.workbook.writer import CommuneWorkbookWriter

# Notes meant for the district, not for the commune (the district's own signing key is the demo key): they
# stay in the district's outputs, and a file whose findings are only these gets no feedback workbook.
DISTRICT_NOTES = frozenset({"meta.demo_key"})

_BANNER = {"rejected": ("#9C0006", "#FFC7CE"), "accepted_with_warnings": ("#9C5700", "#FFEB9C"),
           "accepted": ("#006100", "#C6EFCE")}
STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 14},
    **{f"banner_{status}": {"bold": True, "font_size": 16, "font_color": fg, "bg_color": bg, "border": 1,
                            "valign": "vcenter"} for status, (fg, bg) in _BANNER.items()},
    "total": {"bold": True, "font_size": 12},
    "next": {"text_wrap": True},
    "list_title": {"bold": True},
    "header": {"bold": True, "text_wrap": True, "align": "center", "valign": "vcenter", "bg_color": "#DDEBF7",
               "border": 1},
    "no": {"border": 1, "num_format": NUMBER_FORMATS["count"], "align": "center"},
    "cell": {"border": 1, "text_wrap": True},
    "link": {"border": 1, "font_color": "blue", "underline": 1},
}

def split_cell(cell: str) -> tuple[str, str] | None:
    """(sheet name, A1) of a finding's display reference."""
    ref = CellRef.parse(cell)
    return (ref.sheet, ref.a1) if ref else None


def changed_cell(f: Finding) -> str | None:
    """The cell the commune changes to fix a finding: an evidence finding placed on a register row is about
    the file that row names, so its file-name cell (the row's first cell holds the criterion code)."""
    ref, t = f.ref, template("commune")
    if ref is None or not f.rule.startswith("evidence.") or ref.sheet != t["sheets"]["register"]:
        return f.cell
    cols = register_columns(t)
    return ref.at(cols["files"]).display() if ref.col == cols["code"] else f.cell


def commune_findings(findings: Sequence[Finding]) -> list[Finding]:
    """The findings the commune reads (not the district's own notes), each on the cell to change."""
    return [f.model_copy(update={"cell": changed_cell(f)}) for f in findings if f.rule not in DISTRICT_NOTES]


def item_findings(layout: Layout, findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    """The errors and warnings on each item of the grid: about its criterion, or placed on its row."""
    grid = layout.sheets["grid"]
    # each finding's criterion and grid row, worked out once (not once per item)
    placed = [(f, f.criterion, _row_of(split_cell(f.cell), grid) if f.cell else None)
              for f in findings if f.severity in ("error", "warning")]
    out: dict[str, list[Finding]] = {}
    if not placed:
        return out
    for refs in layout.leaves.values():
        found = [f for f, criterion, row in placed if criterion == refs.code or row == refs.row]
        if found:
            out[refs.code] = found
    return out


def _first_sentence(message: str, limit: int = 100) -> str:
    """A finding's message up to its first full stop (what was found, without how to fix it), cut to
    `limit` characters: the status column is narrow, the cell's comment holds every finding in full."""
    text = message.split(". ", 1)[0].rstrip(".")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def status_marks(layout: Layout, findings: Sequence[Finding]) -> list[CellSpec]:
    """The cell values that make the workbook's own status column agree with the import: on each item whose
    own checks pass ("Đã đủ") but on which the import found an error or a warning (a missing evidence file,
    a file that is no valid evidence…), its district-mark cell holds the first finding, briefly (errors
    first), and its status cell, whose formula shows a mark when there is one, has that text as its cached
    result. Blank marks elsewhere: the generated workbook's own checks speak there."""
    ev = layout.evaluation
    if ev is None:
        return []
    order = {"error": 0, "warning": 1}
    cells: list[CellSpec] = []
    for code, found in item_findings(layout, commune_findings(findings)).items():
        refs = layout.leaves[code]
        if not refs.mark or ev.leaves[code].status != "ok":
            continue  # the status column already says what is wrong
        first = sorted(found, key=lambda f: order[f.severity])[0]
        text = say("feedback.status_mark", finding=_first_sentence(first.message))
        if len(found) > 1:
            text += say("feedback.status_mark_more", count=len(found) - 1)
        for ref, value in ((refs.mark, text), (refs.status, None)):
            cell = layout.cell_at("grid", ref)
            assert cell is not None
            cells.append(dataclasses.replace(cell, value=text) if value else dataclasses.replace(cell, cached=text))
    return cells


def with_status_marks(layout: Layout, findings: Sequence[Finding]) -> Layout:
    """The layout with `status_marks` written in (rows made tall enough for them), for either feedback path."""
    cells = status_marks(layout, findings)
    if not cells:
        return layout
    new_cells = list(layout.cells)
    heights = dict(layout.row_heights)
    width = template("commune").grid.columns["status"].width
    for cell in cells:
        i = layout.index.at[(cell.sheet, cell.ref)]
        new_cells[i] = cell
        if cell.formula is not None:
            fit_row(heights, ("grid", cell.row), [(cell.cached, width, 11, False)])
    return dataclasses.replace(layout, cells=new_cells, row_heights=heights)


class FeedbackWorkbookWriter(CommuneWorkbookWriter):
    """The commune workbook plus the 'Lỗi cần sửa' sheet and highlighted finding cells."""

    def __init__(self, layout: Layout, settings: Settings, findings: Sequence[Finding]):
        super().__init__(layout, settings)
        self.status = outcome(list(findings))  # as the importer decides it (the district's notes are info)
        self.findings = commune_findings(findings)
        self.tv = template("validation", layout.identity).feedback
        self.marked: dict[tuple[str, str], list[str]] = {}
        for f in self.findings:
            where = split_cell(f.cell) if f.cell else None
            if where:
                self.marked.setdefault(where, []).append(f.message)

    def _add_sheets(self, wb: Any) -> dict[str, Worksheet]:
        self.errors_ws = wb.add_worksheet(self.tv["sheet"])
        return super()._add_sheets(wb)

    def extra_cells(self) -> list[CellSpec]:
        """Cells the feedback workbook holds beyond its layout's (none so far), written after the layout's
        — by the fast path too, which patches them in as it patches the layout's."""
        return []

    def _write_cells(self, sheets: dict[str, Worksheet]) -> None:
        super()._write_cells(sheets)
        for cell in self.extra_cells():
            self._write_cell(sheets[cell.sheet], cell)

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
        self._write_mark_comment(ws, cell)

    def _write_mark_comment(self, ws: Worksheet, cell: CellSpec) -> None:
        """The findings of a marked cell, in its comment."""
        ws.write_comment(cell.row, cell.col, "\n".join(self.marked[(self.layout.sheets[cell.sheet], cell.ref)])[:30000],
                         {"x_scale": 3, "y_scale": 2, "author": self.layout.identity.words()["office"]})

    def _setup_grid(self, ws: Worksheet) -> None:
        """A criterion the importer found wrong (its cells, or its evidence) shows so in its status cell too:
        marked over the status colours (the formula would say "Đã đủ" where only the files were wrong), with
        the findings in its comment. Added before the grid's own rules, so they take precedence."""
        grid = self.layout.sheets["grid"]
        col = self.t.grid.columns["status"].index
        for code, items in item_findings(self.layout, self.findings).items():
            refs, found = self.layout.leaves[code], [f.message for f in items]
            ws.conditional_format(refs.row, col, refs.row, col, {
                "type": "formula", "criteria": "=TRUE", "format": self._marked_format("status"),
                "stop_if_true": True})
            if (grid, refs.status) not in self.marked:
                note = self.tv["status_note"].format(findings="\n".join(found))
                ws.write_comment(refs.row, col, note[:30000], {"x_scale": 3, "y_scale": 2,
                                                               "author": self.layout.identity.words()["office"]})
        super()._setup_grid(ws)

    def _register_print_area(self, ws: Worksheet) -> None:
        """The rows the commune sent, fixed (every program prints a fixed print area; the workbook's own
        formula, which only Excel follows, would print the whole empty input area in LibreOffice)."""
        first, last = self.layout.register_rows
        filled = [c.row for c in self.layout.cells
                  if c.sheet == "register" and first <= c.row <= last and c.formula is None and c.value is not None]
        ws.print_area(0, 0, max(filled, default=first), self.t.register.columns.last.index)

    def _marked_format(self, style: str) -> Any:
        cache = self.__dict__.setdefault("_marked_cache", {})
        if style not in cache:
            cache[style] = self.workbook.add_format(self.marked_props(style))
        return cache[style]

    def marked_props(self, style: str) -> dict[str, Any]:
        """A marked cell's format: its style's, on red."""
        return {**self.style_props(style), "bg_color": "#FF9999", "border": 2, "border_color": "#C00000"}

    def _after_cells(self, sheets: dict[str, Worksheet]) -> None:
        ws, tv, status = self.errors_ws, self.tv, self.status
        sheet = Sheet(ws, Formats(self.workbook, STYLES, font(valign="top")))
        widths = tv.columns.widths
        last = len(widths) - 1
        heights: dict[int, float] = {}
        sheet.title(0, 0, last, tv["title"].format(committee=self.layout.commune.committee), "title")
        # the outcome first: accepted or not, the recomputed total, what to do next
        sheet.title(1, 0, last, tv["banner"].format(status=template("validation").status[status]),
                    f"banner_{status}")
        heights[1] = lines_height(1, 16)
        sheet.title(2, 0, last, self._total_line(), "total")
        sheet.title(3, 0, last, tv["next"][status], "next")
        fit_row(heights, 3, [(tv["next"][status], sum(widths), 11, False)])
        sheet.text(5, 0, tv["list_title"][status], "list_title")
        header = 6
        for i, (title, width) in enumerate(zip(tv.columns.headers, widths, strict=True)):
            ws.set_column(i, i, width)
            sheet.text(header, i, title, "header")
            fit_row(heights, header, [(title, width, 11, True)])
        severity = template("validation").severity
        order = {"error": 0, "warning": 1, "info": 2}
        for n, f in enumerate(sorted(self.findings, key=lambda f: order[f.severity]), start=1):
            row = header + n
            sheet.number(row, 0, n, "no")
            sheet.text(row, 1, severity[f.severity], "cell")
            sheet.text(row, 2, f.criterion or "", "cell")
            where = split_cell(f.cell) if f.cell else None
            if where:
                ws.write_url(row, 3, f"internal:'{where[0]}'!{where[1]}", sheet.f["link"], string=f.cell)
            else:
                sheet.text(row, 3, f.cell or "", "cell")
            sheet.text(row, 4, f.message, "cell")
            fit_row(heights, row, [(f.message, widths[4], 11, False), (f.cell, widths[3], 11, False)])
        if not self.findings:
            sheet.text(header + 1, 0, tv["none"], "next")
        for row, height in heights.items():
            ws.set_row(row, height)
        ws.freeze_panes(header + 1, 0)
        ws.protect(self.settings.sheet_password)
        PageSetup(landscape=True, repeat_rows=(header, header)).apply(
            ws, (0, 0, header + max(1, len(self.findings)), last))
        ws.activate()

    def _total_line(self) -> str:
        tv, cset = self.tv, self.layout.cset
        ev = self.layout.evaluation
        total = fmt(ev.total) if ev is not None else "—"
        if cset.body_max > 0:
            return str(tv["total_partial"].format(total=total, commune_max=fmt(cset.commune_max)))
        return str(tv["total"].format(total=total))


def _row_of(where: tuple[str, str] | None, sheet: str) -> int | None:
    """The 0-based row of a cell (sheet, ref) on `sheet`; None elsewhere."""
    if where is None or where[0] != sheet:
        return None
    return xl_cell_to_rowcol(where[1])[0]


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
    return f"{stem}{template('validation').feedback_suffix}.xlsx"
