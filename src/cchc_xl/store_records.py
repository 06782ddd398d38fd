"""Typed records of what the store keeps as JSON: a submission's declared values and its scores, and a
round's unit list (`rounds.communes_json`: `Commune`s).

The store validates them when it writes and gives them back typed, so a reader gets attributes and Decimals,
not nested dicts to probe. The JSON itself is what it always was (the importer's dict, written back without
fields it did not set), so every store written before these models reads as it did: a field an older store
lacks takes its default, and fields these models do not know are kept (extra="allow").
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Stored records are read leniently: a number where text is kept is its text, a missing text is "".
_LENIENT = ConfigDict(frozen=True, extra="allow", coerce_numbers_to_str=True, populate_by_name=True)


def _text(value: Any) -> Any:
    return "" if value is None else value


class DeclaredLeaf(BaseModel):
    """What the commune entered for one criterion: a score or the declared figures, and its explanation;
    numbers as the workbook's text ("0.25"), None where a cell was left empty."""

    model_config = _LENIENT

    value: str | None = None
    figures: list[str | None] = Field(default_factory=list)
    explanation: str = ""

    _no_none = field_validator("explanation", mode="before")(_text)


class RegisterEntry(BaseModel):
    """A row of the evidence register (TLKC) as stored: records.RegisterRow.model_dump(mode="json")."""

    model_config = _LENIENT

    row: int = 0  # 1-based worksheet row
    cell: str = ""
    criterion: str = ""
    number: str = ""  # số, ký hiệu
    date: str | None = None  # ISO date
    date_text: str = ""  # what was typed when it was not a date
    issuer: str = ""
    subject: str = ""
    files: list[str] = Field(default_factory=list)

    _no_none = field_validator("cell", "criterion", "number", "date_text", "issuer", "subject", mode="before")(_text)


class DeclaredRecord(BaseModel):
    """`submissions.declared_json`: everything the commune declared in one returned workbook."""

    model_config = _LENIENT

    evidence_path: str | None = None  # the evidence folder or zip as found beside the workbook (absolute)
    saved_at: str | None = None  # the workbook's own save time (UTC ISO): which of a commune's versions counts
    leaves: dict[str, DeclaredLeaf] = Field(default_factory=dict)
    # the evidence register (TLKC), row by row; stored as "register" (BaseModel has an attribute of that name)
    evidence_register: list[RegisterEntry] = Field(default_factory=list, alias="register")
    difficulties: str = ""
    recommendations: str = ""

    _no_none = field_validator("difficulties", "recommendations", mode="before")(_text)

    @field_validator("evidence_register", mode="before")
    @classmethod
    def _rows_only(cls, value: Any) -> Any:
        """A register row that is not an object (a hand-edited store) is left out rather than refused."""
        return [r for r in value if isinstance(r, Mapping | RegisterEntry)] if isinstance(value, list) else []


Scores = dict[str, Decimal | None]  # `submissions.scores_json`: criterion -> recomputed points (None: no score)


def declared_record(value: DeclaredRecord | Mapping[str, Any] | str | bytes | None) -> DeclaredRecord:
    """The record of a stored column's JSON text (parsed by pydantic itself: the ranking reads thousands), of its
    dict, or the record itself."""
    if isinstance(value, DeclaredRecord):
        return value
    if isinstance(value, str | bytes):
        return DeclaredRecord.model_validate_json(value)
    return DeclaredRecord.model_validate(value or {})


def declared_json(value: DeclaredRecord | Mapping[str, Any]) -> dict[str, Any]:
    """The record as it is stored: the fields that were given, JSON types (a dict passes through validation)."""
    return declared_record(value).model_dump(mode="json", exclude_unset=True, by_alias=True)


def scores_record(value: Mapping[str, Any] | None) -> Scores:
    return {c: None if v is None else Decimal(str(v)) for c, v in (value or {}).items()}


def scores_json(value: Mapping[str, Any]) -> dict[str, str | None]:
    return {c: None if v is None else str(v) for c, v in value.items()}
