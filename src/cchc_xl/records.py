"""Records shared across stages: findings and evidence-register rows."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["error", "warning", "info"]


class Finding(BaseModel):
    """One problem found in a submission, as `import-report.json` carries it (design.md)."""

    model_config = ConfigDict(frozen=True)

    severity: Severity
    rule: str  # stable dotted id, documented in docs/rules.md
    criterion: str | None = None
    cell: str | None = None  # e.g. 'Tự đánh giá'!H27
    message: str


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
    cell: str  # the row's first cell, e.g. 'Tài liệu kiểm chứng'!A5
    criterion: str
    number: str = ""  # số, ký hiệu
    date: dt.date | None = None
    date_text: str = ""  # what was typed when it was not a date
    issuer: str = ""
    subject: str = ""
    files: list[str] = Field(default_factory=list)  # file names as typed, NFC, split on ';' or newlines
