"""The district's validation workbook: one row per file (with its receipt), every finding with a link
to the cell in the commune's feedback workbook, and the files that were ignored."""

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
        heights: dict[int, float] = {}
        for n, r in enumerate(self.run.results, start=1):
            row = 3 + n
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
                self._put(ws, row, col[key], value)
            ws.write_string(row, col["status"], self.t["status"][r.status], self.f[_status_format(r)])
            fb = self.feedback.get(r.file)
            if fb:
                self._link(ws, row, col["feedback"], f"external:{fb}", fb)
            else:
                ws.write_string(row, col["feedback"], "", self.f["cell"])
            fit_row(heights, row, [(values[k], columns[k].width, 11, False) for k in ("file", "commune", "approval")]
                    + [(self.t["status"][r.status], columns["status"].width, 11, False)])
            _set_height(ws, heights, row)

    def _link(self, ws: Any, row: int, col: int, url: str, text: str) -> None:
        """`text` linked to `url` while the sheet may hold another link and Excel takes this one; else plain."""
        count = self.links.get(ws.name, 0)
        if count < self.LINKS_PER_SHEET and all(_utf16_len(part) <= self.LINK_CHARS for part in url.split("#", 1)):
            ws.write_url(row, col, url, self.f["link"], string=text)
            self.links[ws.name] = count + 1
        else:
            ws.write_string(row, col, text, self.f["cell"])

    def _put(self, ws: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
        if value is None or value == "":
            ws.write_blank(row, col, None, fmt or self.f["cell"])
        elif isinstance(value, str):
            ws.write_string(row, col, value, fmt or self.f["cell"])
        else:  # whole counts (int) print as such; points (Decimal) with two decimals
            whole = isinstance(value, int) and not isinstance(value, bool)
            ws.write_number(row, col, float(value), fmt or self.f["integer" if whole else "number"])

    def _findings(self, ws: Any) -> None:
        columns = self.t["finding_columns"]
        col = columns.indices
        self._header(ws, 0, columns, sum(len(r.findings) for r in self.run.results))
        heights: dict[int, float] = {}
        row = 0
        for r in self.run.results:
            fb = self.feedback.get(r.file)
            for f in r.findings:
                row += 1
                cell = changed_cell(f)
                ws.write_string(row, col["file"], r.file, self.f["cell"])
                ws.write_string(row, col["code"], r.commune_code or "", self.f["cell"])
                ws.write_string(row, col["severity"], self.t["severity"][f.severity], self.f[f.severity])
                ws.write_string(row, col["rule"], f.rule, self.f["cell"])
                ws.write_string(row, col["criterion"], f.criterion or "", self.f["cell"])
                where = split_cell(cell) if cell else None
                if where and fb:
                    self._link(ws, row, col["cell"], f"external:{fb}#'{where[0]}'!{where[1]}", cell)
                else:
                    ws.write_string(row, col["cell"], cell or "", self.f["cell"])
                ws.write_string(row, col["message"], f.message, self.f["cell"])
                fit_row(heights, row, [(f.message, columns["message"].width, 11, False),
                                       (cell, columns["cell"].width, 11, False), (r.file, columns["file"].width, 11, False)])
                _set_height(ws, heights, row)

    def _evidence(self, ws: Any) -> None:
        rows = self.evidence_rows
        headers = self.t["evidence_columns"]
        widths_by_key = self.t["evidence_widths"]
        unprinted = [headers[k] for k in self.t["evidence_unprinted"]]
        present = list(rows[0]) if rows else [headers["file"]]
        columns = [c for c in present if c not in unprinted] + [c for c in present if c in unprinted]
        key_of = {h: k for k, h in headers.items()}
        widths = [widths_by_key.get(key_of.get(c, ""), 18) for c in columns]
        heights: dict[int, float] = {}
        for i, name in enumerate(columns):
            ws.set_column(i, i, widths[i])
            ws.write_string(0, i, name, self.f["header"])
            fit_row(heights, 0, [(name, widths[i], 11, True)])
        _set_height(ws, heights, 0)
        for r, data in enumerate(rows, start=1):
            for c, key in enumerate(columns):
                value = data[key]
                if isinstance(value, tuple):  # (text, link)
                    self._link(ws, r, c, f"external:{value[1]}", value[0])
                    fit_row(heights, r, [(value[0], widths[c], 11, False)])
                else:
                    self._put(ws, r, c, value if not isinstance(value, bool) else self.t["yes_no"][0 if value else 1])
                    if isinstance(value, str) and key not in unprinted:
                        fit_row(heights, r, [(value, widths[c], 11, False)])
            _set_height(ws, heights, r)
        ws.freeze_panes(1, 0)
        printed = len([c for c in columns if c not in unprinted]) or len(columns)
        PageSetup(landscape=True, repeat_rows=(0, 0)).apply(ws, (0, 0, max(len(rows), 1), printed - 1))

    def _ignored(self, ws: Any) -> None:
        self._header(ws, 0, self.t["ignored_columns"], last_row=len(self.run.ignored))
        for n, item in enumerate(self.run.ignored, start=1):
            ws.write_string(n, 0, shown_name(item.path.name), self.f["cell"])
            ws.write_string(n, 1, self.t["ignored"][item.reason], self.f["cell"])


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
