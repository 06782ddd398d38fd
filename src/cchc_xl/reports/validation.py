"""The district's validation workbook: one row per file (with its receipt), every finding with a link
to the cell in the commune's feedback workbook, and the files that were ignored.

The long sheets (a country's ~10,000 files, ~40,000 findings, ~20,000 evidence files) are written a block of
rows at a time through `sheet_rows.write_rows` (as sheet XML; its switch `CCHC_XL_FAST_SHEET_ROWS=0` writes
every cell through XlsxWriter instead, the same file): each link is handed to XlsxWriter before its row is
written, by `write_url` with the worksheet's `ignore_write_string` set (XlsxWriter's own way to add a link
to a cell written otherwise; a private attribute of the pinned minor version)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import xlsxwriter

from cchc_xl.identity import NEUTRAL, RoundIdentity
from cchc_xl.importing.discover import shown_name
from cchc_xl.importing.evidence import approval_status
from cchc_xl.importing.run import ImportRun, SubmissionResult
from cchc_xl.numbers import fmt
from cchc_xl.reports.feedback import changed_cell, split_cell
from cchc_xl.reports.sheet_rows import Cell, write_rows
from cchc_xl.safeio import atomic_path
from cchc_xl.templates import Columns, template
from cchc_xl.workbook.layout import fit_row
from cchc_xl.workbook.sheetkit import NUMBER_FORMATS, Formats, PageSetup, font, workbook_options

STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 14},
    "note": {"italic": True},
    "header": {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True},
    "cell": {"border": 1, "text_wrap": True},
    "number": {"border": 1, "num_format": NUMBER_FORMATS["points"]},
    "integer": {"border": 1, "num_format": NUMBER_FORMATS["count"]},  # STT, counts
    "error": {"border": 1, "text_wrap": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"},
    "warning": {"border": 1, "text_wrap": True, "font_color": "#9C5700", "bg_color": "#FFEB9C"},
    "info": {"border": 1, "text_wrap": True},
    "link": {"border": 1, "font_color": "blue", "underline": 1},
}
# The sheets print landscape, one page wide (sheetkit.PageSetup); hashes, paths and rule codes sit in columns
# after the print area (on screen, not on paper), so every sheet prints at its font size or near it.


class ValidationWorkbookWriter:
    # Excel keeps at most 65,530 links a sheet (XlsxWriter drops the others with an English warning each) and
    # 2,079 characters a link: a country's findings or evidence files can pass the first, a deep folder the
    # second. A cell past either shows its text unlinked.
    LINKS_PER_SHEET = 65_530
    LINK_CHARS = 2_079

    def __init__(self, run: ImportRun, feedback: dict[str, str], at: dt.datetime,
                 evidence_rows: list[dict[str, Any]] | None = None, identity: RoundIdentity = NEUTRAL):
        self.run, self.feedback, self.at = run, feedback, at
        self.evidence_rows = evidence_rows or []
        self.t = template("validation", identity)  # the round's body, as its workbooks name it
        self.links: dict[str, int] = {}  # sheet name -> the links written in it

    def write(self, path: Path) -> None:
        with atomic_path(path) as tmp:
            # row by row, each row flushed once written: a country's import lists ~10,000 files and ~40,000
            # findings (XlsxWriter holding every cell took 100 MB at the end of the import)
            wb = xlsxwriter.Workbook(str(tmp), workbook_options(constant_memory=True))
            self.f = Formats(wb, STYLES, font(valign="top"))
            self._summary(wb.add_worksheet(self.t["sheets"]["summary"]))
            self._findings(wb.add_worksheet(self.t["sheets"]["findings"]))
            self._evidence(wb.add_worksheet(self.t["sheets"]["evidence"]))
            self._ignored(wb.add_worksheet(self.t["sheets"]["ignored"]))
            wb.close()

    def _header(self, ws: Any, row: int, columns: Columns, last_row: int | None = None) -> None:
        heights: dict[int, float] = {}
        for i, (header, width) in enumerate(zip(columns.headers, columns.widths, strict=True)):
            ws.set_column(i, i, width)
            ws.write_string(row, i, header, self.f["header"])
            fit_row(heights, row, [(header, width - 2, 11, True)])  # less the autofilter button
        for r, height in heights.items():
            ws.set_row(r, height)
        ws.freeze_panes(row + 1, 0)
        ws.autofilter(row, 0, row, len(columns) - 1)
        last_col = columns.last_printed.index
        PageSetup(landscape=True, repeat_rows=(row, row)).apply(
            ws, (0, 0, max(row, last_row if last_row is not None else row), last_col))

    def _summary(self, ws: Any) -> None:
        ws.write_string(0, 0, self.t["title"].format(set_title=f"{self.run.cset.title} ({self.run.cset.version})"),
                        self.f["title"])
        ws.write_string(1, 0, self.t["run_line"].format(inbox=self.run.inbox.name, at=f"{self.at:%d/%m/%Y %H:%M}",
                                                        count=len(self.run.results)), self.f["note"])
        cset = self.run.cset
        partial = cset.body_max > 0
        if partial:
            ws.write_string(2, 0, self.t["composition_line"].format(
                total=fmt(cset.total), commune_max=fmt(cset.commune_max), body_max=fmt(cset.body_max)), self.f["note"])
        columns = self.t["summary_columns"]
        self._header(ws, 3, columns, 3 + len(self.run.results))
        col = columns.indices
        yes, no = self.t["yes_no"]
        rows = _Rows(self, ws, 4, len(columns))
        for n, r in enumerate(self.run.results, start=1):
            values: dict[Any, Any] = {
                "no": n,
                "file": r.file, "code": r.commune_code or "", "commune": r.commune.display if r.commune else "",
                "total": r.self_total,
                "tier": r.self_tier or (self.t["no_tier"] if partial and r.self_total is not None else ""),
                "errors": sum(f.severity == "error" for f in r.findings),
                "warnings": sum(f.severity == "warning" for f in r.findings),
                "counts": yes if r.counts else no,
                "received": f"{r.received_at:%d/%m/%Y %H:%M:%S}", "sha256": r.sha256,
                "approval": self.t["approval"].get(approval_status(r), ""),
            }
            for key, value in values.items():
                rows.put(col[key], value)
            status = self.t["status"][r.status]
            rows.put(col["status"], status, self.f[_status_format(r)])
            fb = self.feedback.get(r.file)
            if fb:
                rows.link(col["feedback"], f"external:{fb}", fb)
            else:
                rows.put(col["feedback"], None)
            rows.fit([(values[k], columns[k].width, 11, False) for k in ("file", "commune", "approval")]
                     + [(status, columns["status"].width, 11, False)])
            rows.end_row()
        rows.flush()

    def _findings(self, ws: Any) -> None:
        columns = self.t["finding_columns"]
        col = columns.indices
        self._header(ws, 0, columns, sum(len(r.findings) for r in self.run.results))
        rows = _Rows(self, ws, 1, len(columns))
        severity = self.t["severity"]
        for r in self.run.results:
            fb = self.feedback.get(r.file)
            for f in r.findings:
                cell = changed_cell(f)
                rows.put(col["file"], r.file)
                rows.put(col["code"], r.commune_code)
                rows.put(col["severity"], severity[f.severity], self.f[f.severity])
                rows.put(col["rule"], f.rule)
                rows.put(col["criterion"], f.criterion)
                where = split_cell(cell) if cell else None
                if where and fb:
                    rows.link(col["cell"], f"external:{fb}#'{where[0]}'!{where[1]}", cell)
                else:
                    rows.put(col["cell"], cell)
                rows.put(col["message"], f.message)
                rows.fit([(f.message, columns["message"].width, 11, False), (cell, columns["cell"].width, 11, False),
                          (r.file, columns["file"].width, 11, False)])
                rows.end_row()
        rows.flush()

    def _evidence(self, ws: Any) -> None:
        rows_in = self.evidence_rows
        headers = self.t["evidence_columns"]
        widths_by_key = self.t["evidence_widths"]
        unprinted = [headers[k] for k in self.t["evidence_unprinted"]]
        present = list(rows_in[0]) if rows_in else [headers["file"]]
        columns = [c for c in present if c not in unprinted] + [c for c in present if c in unprinted]
        key_of = {h: k for k, h in headers.items()}
        widths = [widths_by_key.get(key_of.get(c, ""), 18) for c in columns]
        heights: dict[int, float] = {}
        for i, name in enumerate(columns):
            ws.set_column(i, i, widths[i])
            ws.write_string(0, i, name, self.f["header"])
            fit_row(heights, 0, [(name, widths[i], 11, True)])
        _set_height(ws, heights, 0)
        printed = [name not in unprinted for name in columns]
        rows = _Rows(self, ws, 1, len(columns))
        yes_no = self.t["yes_no"]
        for data in rows_in:
            texts = []
            for c, key in enumerate(columns):
                value = data[key]
                if isinstance(value, tuple):  # (text, link)
                    rows.link(c, f"external:{value[1]}", value[0])
                    texts.append((value[0], widths[c], 11, False))
                else:
                    rows.put(c, value if not isinstance(value, bool) else yes_no[0 if value else 1])
                    if isinstance(value, str) and printed[c]:  # (a yes or a no fits any column)
                        texts.append((value, widths[c], 11, False))
            rows.fit(texts)
            rows.end_row()
        rows.flush()
        ws.freeze_panes(1, 0)
        printed_count = sum(printed) or len(columns)
        PageSetup(landscape=True, repeat_rows=(0, 0)).apply(ws, (0, 0, max(len(rows_in), 1), printed_count - 1))

    def _ignored(self, ws: Any) -> None:
        self._header(ws, 0, self.t["ignored_columns"], last_row=len(self.run.ignored))
        for n, item in enumerate(self.run.ignored, start=1):
            ws.write_string(n, 0, shown_name(item.path.name), self.f["cell"])
            ws.write_string(n, 1, self.t["ignored"][item.reason], self.f["cell"])

    def may_link(self, ws: Any, url: str) -> bool:
        """Whether the sheet may hold one more link and Excel takes this one (counted when it may)."""
        count = self.links.get(ws.name, 0)
        if count < self.LINKS_PER_SHEET and all(_utf16_len(part) <= self.LINK_CHARS for part in url.split("#", 1)):
            self.links[ws.name] = count + 1
            return True
        return False

    def cell(self, value: Any, fmt: Any = None) -> Cell:
        """A value as written: blank for None or "", text as text, whole counts (int) print as such and points
        (Decimal) with two decimals; in `fmt`, or the value's."""
        if value is None or value == "":
            return None, fmt or self.f["cell"]
        if isinstance(value, str):
            return value, fmt or self.f["cell"]
        whole = isinstance(value, int) and not isinstance(value, bool)
        return float(value), fmt or self.f["integer" if whole else "number"]


class _Rows:
    """A sheet's rows from `first_row` on, made a cell at a time and written a block at a time by
    `sheet_rows.write_rows` (its fast path writes them as sheet XML): each row's cells, its fitted height and
    its links, which are handed to XlsxWriter (`write_url` without its text cell) before their rows are
    written. A block is bounded: the sheet's memory stays flat however long the list."""

    BLOCK = 1024

    def __init__(self, writer: ValidationWorkbookWriter, ws: Any, first_row: int, width: int):
        self.writer, self.ws, self.width = writer, ws, width
        self.first_row = first_row  # of the block
        self.cells: list[list[Cell]] = []
        self.heights: list[float | None] = []
        self.links: list[tuple[int, int, str, str]] = []  # (row, col, url, text)
        self.row: list[Cell] = [(None, None)] * width  # (a column left out: no cell, as XlsxWriter skips it)
        self.height = 0.0

    def put(self, col: int, value: Any, fmt: Any = None) -> None:
        self.row[col] = self.writer.cell(value, fmt)

    def link(self, col: int, url: str, text: str) -> None:
        """`text` linked to `url` (shown unlinked past the sheet's or Excel's limits)."""
        w = self.writer
        if w.may_link(self.ws, url):
            self.row[col] = (text, w.f["link"])
            self.links.append((self.first_row + len(self.cells), col, url, text))
        else:
            self.put(col, text)

    def fit(self, texts: list[tuple[Any, float, float, bool]]) -> None:
        heights: dict[int, float] = {}
        fit_row(heights, 0, texts)
        self.height = heights.get(0, 0.0)

    def end_row(self) -> None:
        self.cells.append(self.row)
        self.heights.append(self.height or None)
        self.row, self.height = [(None, None)] * self.width, 0.0
        if len(self.cells) >= self.BLOCK:
            self.flush()

    def flush(self) -> None:
        ws, link_format = self.ws, self.writer.f["link"]
        ws.ignore_write_string = True  # (the link alone: its text cell is in the block)
        try:
            for row, col, url, text in self.links:
                ws.write_url(row, col, url, link_format, string=text)
        finally:
            ws.ignore_write_string = False
        if self.cells:
            write_rows(ws, self.first_row, self.cells, heights=self.heights)
        self.first_row += len(self.cells)
        self.cells, self.heights, self.links = [], [], []


def _utf16_len(text: str) -> int:
    """Characters as Excel counts them (one outside the Basic Multilingual Plane is two)."""
    return len(text.encode("utf-16-le")) // 2


def _set_height(ws: Any, heights: dict[int, float], row: int) -> None:
    """The row's fitted height, if it needs one, set before the next row is written (the sheet is written
    row by row: a row once left is on disk)."""
    height = heights.pop(row, None)
    if height is not None:
        ws.set_row(row, height)


def _status_format(r: SubmissionResult) -> str:
    return {"rejected": "error", "accepted_with_warnings": "warning"}.get(r.status, "info")
