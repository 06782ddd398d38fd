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
from cchc_xl.reports.feedback import split_cell
from cchc_xl.safeio import atomic_path
from cchc_xl.templates import template
from cchc_xl.workbook.layout import fit_row
from cchc_xl.workbook.writer import workbook_options

FONT = {"font_name": "Times New Roman", "font_size": 11, "valign": "top"}


class ValidationWorkbookWriter:
    def __init__(self, run: ImportRun, feedback: dict[str, str], at: dt.datetime,
                 evidence_rows: list[dict[str, Any]] | None = None, identity: RoundIdentity = NEUTRAL):
        self.run, self.feedback, self.at = run, feedback, at
        self.evidence_rows = evidence_rows or []
        self.t = template("validation", identity)  # the round's body, as its workbooks name it

    def write(self, path: Path) -> None:
        with atomic_path(path) as tmp:
            wb = xlsxwriter.Workbook(str(tmp), workbook_options())
            self.f = {
                "title": wb.add_format({**FONT, "bold": True, "font_size": 14}),
                "note": wb.add_format({**FONT, "italic": True}),
                "header": wb.add_format({**FONT, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}),
                "cell": wb.add_format({**FONT, "border": 1, "text_wrap": True}),
                "number": wb.add_format({**FONT, "border": 1, "num_format": "0.00"}),
                "integer": wb.add_format({**FONT, "border": 1, "num_format": "0"}),  # STT, counts
                "error": wb.add_format({**FONT, "border": 1, "font_color": "#9C0006", "bg_color": "#FFC7CE"}),
                "warning": wb.add_format({**FONT, "border": 1, "font_color": "#9C5700", "bg_color": "#FFEB9C"}),
                "info": wb.add_format({**FONT, "border": 1}),
                "link": wb.add_format({**FONT, "border": 1, "font_color": "blue", "underline": 1}),
            }
            self._summary(wb.add_worksheet(self.t["sheets"]["summary"]))
            self._findings(wb.add_worksheet(self.t["sheets"]["findings"]))
            self._evidence(wb.add_worksheet(self.t["sheets"]["evidence"]))
            self._ignored(wb.add_worksheet(self.t["sheets"]["ignored"]))
            wb.close()

    def _header(self, ws: Any, row: int, columns: dict[str, list[Any]]) -> None:
        heights: dict[int, float] = {}
        for i, (header, width) in enumerate(columns.values()):
            ws.set_column(i, i, width)
            ws.write_string(row, i, header, self.f["header"])
            fit_row(heights, row, [(header, width - 2, 11, True)])  # less the autofilter button
        for r, height in heights.items():
            ws.set_row(r, height)
        ws.freeze_panes(row + 1, 0)
        ws.autofilter(row, 0, row, len(columns) - 1)
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(row)

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
        self._header(ws, 3, self.t["summary_columns"])
        yes, no = self.t["yes_no"]
        for n, r in enumerate(self.run.results, start=1):
            row = 3 + n
            errors = sum(f.severity == "error" for f in r.findings)
            warnings = sum(f.severity == "warning" for f in r.findings)
            values: list[Any] = [n, r.file, r.commune_code or "", r.commune.display if r.commune else "",
                                 self.t["status"][r.status], r.self_total,
                                 r.self_tier or (self.t["no_tier"] if partial and r.self_total is not None else ""),
                                 errors, warnings, yes if r.counts else no]
            for col, value in enumerate(values):
                self._put(ws, row, col, value, self.f[_status_format(r)] if col == 4 else None)
            fb = self.feedback.get(r.file)
            if fb:
                ws.write_url(row, 10, f"external:{fb}", self.f["link"], string=fb)
            else:
                ws.write_string(row, 10, "", self.f["cell"])
            ws.write_string(row, 11, f"{r.received_at:%d/%m/%Y %H:%M:%S}", self.f["cell"])
            ws.write_string(row, 12, r.sha256, self.f["cell"])
            ws.write_string(row, 13, self.t["approval"].get(approval_status(r), ""), self.f["cell"])

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
        self._header(ws, 0, columns)
        heights: dict[int, float] = {}
        row = 0
        for r in self.run.results:
            fb = self.feedback.get(r.file)
            for f in r.findings:
                row += 1
                ws.write_string(row, 0, r.file, self.f["cell"])
                ws.write_string(row, 1, r.commune_code or "", self.f["cell"])
                ws.write_string(row, 2, self.t["severity"][f.severity], self.f[f.severity])
                ws.write_string(row, 3, f.rule, self.f["cell"])
                ws.write_string(row, 4, f.criterion or "", self.f["cell"])
                where = split_cell(f.cell) if f.cell else None
                if where and fb:
                    ws.write_url(row, 5, f"external:{fb}#'{where[0]}'!{where[1]}", self.f["link"], string=f.cell)
                else:
                    ws.write_string(row, 5, f.cell or "", self.f["cell"])
                ws.write_string(row, 6, f.message, self.f["cell"])
                fit_row(heights, row, [(f.message, columns["message"][1], 11, False),
                                       (f.rule, columns["rule"][1], 11, False), (r.file, columns["file"][1], 11, False)])
        for row, height in heights.items():
            ws.set_row(row, height)

    def _evidence(self, ws: Any) -> None:
        rows = self.evidence_rows
        columns = list(rows[0]) if rows else ["Tệp"]
        widths = [18 if i else 30 for i in range(len(columns))]
        heights: dict[int, float] = {}
        for i, name in enumerate(columns):
            ws.set_column(i, i, widths[i])
            ws.write_string(0, i, name, self.f["header"])
            fit_row(heights, 0, [(name, widths[i], 11, True)])
        for r, data in enumerate(rows, start=1):
            for c, key in enumerate(columns):
                value = data[key]
                if isinstance(value, tuple):  # (text, link)
                    ws.write_url(r, c, f"external:{value[1]}", self.f["link"], string=value[0])
                else:
                    self._put(ws, r, c, value if not isinstance(value, bool) else self.t["yes_no"][0 if value else 1])
                    if isinstance(value, str):
                        fit_row(heights, r, [(value, widths[c], 11, False)])
        for r, height in heights.items():
            ws.set_row(r, height)
        ws.freeze_panes(1, 0)
        ws.set_paper(9)  # every column on the page's width, the header on every page
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)

    def _ignored(self, ws: Any) -> None:
        self._header(ws, 0, self.t["ignored_columns"])
        for n, item in enumerate(self.run.ignored, start=1):
            ws.write_string(n, 0, shown_name(item.path.name), self.f["cell"])
            ws.write_string(n, 1, self.t["ignored"][item.reason], self.f["cell"])


def _status_format(r: SubmissionResult) -> str:
    return {"rejected": "error", "accepted_with_warnings": "warning"}.get(r.status, "info")
