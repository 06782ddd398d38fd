"""Records shared across stages: cell references, problems, findings and evidence-register rows."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from xlsxwriter.utility import xl_cell_to_rowcol, xl_rowcol_to_cell

Severity = Literal["error", "warning", "info"]

_DISPLAY = re.compile(r"^'(?P<quoted>(?:[^']|'')+)'!\$?(?P<col>[A-Z]{1,3})\$?(?P<row>[1-9][0-9]*)$"
                      r"|^(?P<plain>[^'!]+)!\$?(?P<col2>[A-Z]{1,3})\$?(?P<row2>[1-9][0-9]*)$")


@dataclass(frozen=True, order=True)
class CellRef:
    """One cell of a workbook: its sheet's name as shown, 0-based row and column.

    The string form of design.md (`'Tự đánh giá'!H27`, the sheet name always quoted, quotes doubled) is
    made by `display()` only where JSON and workbooks are written, and read back by `parse()`."""

    sheet: str
    row: int
    col: int

    @property
    def a1(self) -> str:
        return xl_rowcol_to_cell(self.row, self.col)

    def display(self) -> str:
        return "'" + self.sheet.replace("'", "''") + "'!" + self.a1

    def at(self, col: int) -> CellRef:
        """The cell of the same row in column `col` (0-based)."""
        return CellRef(self.sheet, self.row, col)

    @classmethod
    def parse(cls, text: str) -> CellRef | None:
        """A display reference back to a cell; None when `text` is not one (a range, a bare A1)."""
        m = _DISPLAY.match(text)
        if not m:
            return None
        sheet = m["quoted"].replace("''", "'") if m["quoted"] is not None else m["plain"]
        row, col = xl_cell_to_rowcol((m["col"] or m["col2"]) + (m["row"] or m["row2"]))
        return cls(sheet, row, col)


@dataclass(frozen=True)
class Problem:
    """What every check returns: a rule id of the registry (`messages.RULES`) and the parameters its text
    declares; `place` names where it is when the producer knows it as a place (a criteria set's node or row).
    Severity and Vietnamese text come from the registry (`messages.render`), never from the check."""

    rule: str
    params: Mapping[str, object] = field(default_factory=dict)
    place: str | None = None


class Finding(BaseModel):
    """One problem found in a submission, as `import-report.json` carries it (design.md)."""

    model_config = ConfigDict(frozen=True)

    severity: Severity
    rule: str  # stable dotted id, documented in docs/rules.md
    criterion: str | None = None
    cell: str | None = None  # e.g. 'Tự đánh giá'!H27 (CellRef.display())
    message: str

    @property
    def ref(self) -> CellRef | None:
        return CellRef.parse(self.cell) if self.cell else None


def outcome(findings: list[Finding]) -> str:
    """A submission's status from its findings: rejected on an error, accepted with warnings on a warning."""
    if any(f.severity == "error" for f in findings):
        return "rejected"
    if any(f.severity == "warning" for f in findings):
        return "accepted_with_warnings"
    return "accepted"


class RegisterRow(BaseModel):
    """One row of the evidence register (TLKC): a document cited for one criterion."""

    model_config = ConfigDict(frozen=True)

    row: int  # 1-based worksheet row
    cell: str  # the row's first cell, e.g. 'Tài liệu kiểm chứng'!A5 (CellRef.display())
    criterion: str
    number: str = ""  # số, ký hiệu
    date: dt.date | None = None
    date_text: str = ""  # what was typed when it was not a date
    issuer: str = ""
    subject: str = ""
    files: list[str] = Field(default_factory=list)  # file names as typed, NFC, split on ';' or newlines

    @property
    def ref(self) -> CellRef:
        ref = CellRef.parse(self.cell)
        if ref is None:
            raise ValueError(self.cell)
        return ref
