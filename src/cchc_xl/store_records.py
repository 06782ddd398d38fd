"""Typed records of what the store keeps as JSON: a submission's declared values and its scores, a round's
unit list (`rounds.communes_json`: `Commune`s), the audit events' details (`events.detail_json`), an
explanation request's items (`answer_requests.items_json`) and an answer's items, evidence and findings
(`answers.items_json`, `evidence_json`, `findings_json`).

The store validates them when it writes and gives them back typed, so a reader gets attributes and Decimals,
not nested dicts to probe. The JSON itself is what it always was (the importer's dict, written back without
fields it did not set), so every store written before these models reads as it did: a field an older store
lacks takes its default, and fields these models do not know are kept (extra="allow"). An entry of a list or
map that is not one of its records (a hand-edited store) is left out; a row whose JSON is not its record at
all is skipped by the store (an event keeps its kind and time, with an empty detail).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from pydantic_core import from_json
from typing_extensions import TypedDict  # (pydantic needs it on Python < 3.12)

# Stored records are read leniently: a number where text is kept is its text, a missing text is "".
_LENIENT = ConfigDict(frozen=True, extra="allow", coerce_numbers_to_str=True, populate_by_name=True)


M = TypeVar("M", bound=BaseModel)


def _text(value: Any) -> Any:
    return "" if value is None else value


def _fits(model: type[BaseModel], value: Any) -> bool:
    if isinstance(value, model):
        return True
    if not isinstance(value, Mapping):
        return False
    try:
        model.model_validate(value)
    except ValidationError:
        return False
    return True


def _entries(model: type[BaseModel], value: Any) -> list[Any]:
    """The entries of a stored list that are `model`'s records; the others left out."""
    return [v for v in value if _fits(model, v)] if isinstance(value, list) else []


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
        """A register row that is not one (a hand-edited store) is left out rather than refused."""
        return _entries(RegisterEntry, value)


Scores = dict[str, Decimal | None]  # `submissions.scores_json`: criterion -> recomputed points (None: no score)


def record_of(model: type[M], value: M | Mapping[str, Any] | str | bytes | None) -> M:
    """`model`'s record of a stored column (its JSON text, or the dict an engine gives), of a dict, or itself.
    ValidationError when it is not one."""
    if isinstance(value, model):
        return value
    if isinstance(value, str | bytes):
        return model.model_validate_json(value)
    return model.model_validate(value or {})


def as_stored(model: type[M], value: M | Mapping[str, Any]) -> dict[str, Any]:
    """`value` as `model`'s column stores it: the fields that were given, JSON types."""
    return record_of(model, value).model_dump(mode="json", exclude_unset=True, by_alias=True)


def declared_record(value: DeclaredRecord | Mapping[str, Any] | str | bytes | None) -> DeclaredRecord:
    """The record of a stored column's JSON text (parsed by pydantic itself: the ranking reads thousands), of its
    dict, or the record itself."""
    return record_of(DeclaredRecord, value)


def declared_json(value: DeclaredRecord | Mapping[str, Any]) -> dict[str, Any]:
    """The record as it is stored: the fields that were given, JSON types (a dict passes through validation)."""
    return as_stored(DeclaredRecord, value)


def scores_record(value: Mapping[str, Any] | None, decimals: dict[str, Decimal] | None = None) -> Scores:
    """The scores as Decimals; with `decimals` (text -> Decimal, the caller's), equal texts share one Decimal
    (a country's scores repeat a few values: the ranking reads 850,000 of them). A `shared_decimals()` map as
    `decimals`, kept from call to call, finds a text's Decimal without a Python call."""
    if decimals is None:
        return {c: None if v is None else Decimal(str(v)) for c, v in (value or {}).items()}
    value = value or {}
    shared = decimals if type(decimals) is _SharedDecimals else _SharedDecimals(decimals)
    return dict(zip(value, map(shared.__getitem__, value.values()), strict=True))


def shared_decimals() -> dict[str, Decimal]:
    """A map for `scores_record(..., decimals)`, to keep across calls (`clear` it to bound it)."""
    return _SharedDecimals({})


class _SharedDecimals(dict[Any, Decimal | None]):
    """A stored score -> its Decimal: a text's made once into `decimals`; None stays None; a number (a
    hand-edited store) made anew each time (1 and 1.0 are one key but two texts)."""

    def __init__(self, decimals: dict[str, Decimal]):
        super().__init__()
        self.decimals = decimals

    def __missing__(self, v: Any) -> Decimal | None:
        if v is None:
            self[v] = None
            return None
        if type(v) is not str:
            return Decimal(str(v))
        found = self.decimals.get(v)
        if found is None:
            found = self.decimals[v] = Decimal(v)
        self[v] = found
        return found

    def clear(self) -> None:
        super().clear()
        self.decimals.clear()


_SCORE_TYPES = {str, type(None)}


def scores_column(value: Any) -> Any:
    """A `scores_json` column as `json.loads` decodes it (what an engine gives decoded passes through), by
    pydantic-core's parser where that gives the same: an object of texts and nulls (as the store writes
    scores) it reads in half the time, its strings shared; anything else (numbers, a text it refuses, say one
    with a lone surrogate escape) is decoded by `json.loads`, errors and all."""
    if not isinstance(value, str | bytes):
        return value
    data = _decoded(value)
    if type(data) is dict and set(map(type, data.values())) <= _SCORE_TYPES:
        return data
    return json.loads(value)


def _decoded(text: str | bytes) -> Any:
    """`text` decoded by pydantic-core's parser (its strings shared), or by `json.loads` when it refuses it;
    the same as json.loads where both read it, but for numbers (callers check the types)."""
    try:
        return from_json(text, cache_strings=True)
    except ValueError:
        return json.loads(text)


def scores_json(value: Mapping[str, Any]) -> dict[str, str | None]:
    return {c: None if v is None else str(v) for c, v in value.items()}


class EventDetail(BaseModel):
    """`events.detail_json`: what an audit event says; which fields depends on its kind (store.py writes them:
    round_created, submission, submission_revised, appraisal, finalize, reopen, withdrawn, answer_request,
    answer, finalize_forced). A field an event does not carry is None."""

    model_config = _LENIENT

    file: str | None = None
    sha256: str | None = None
    version: int | None = None
    status: str | None = None
    counts: bool | None = None  # submission_revised: whether the version counts
    by: str | None = None
    appraiser: str | None = None
    reason: str | None = None
    changed: int | None = None  # appraisal: scores changed
    stage: str | None = None  # appraisal: round1 | round2; finalize_forced: the explanation's stage
    request: int | None = None  # answer_request, answer: the request's id
    appraisal: int | None = None  # answer_request: the appraisal answered
    answer: int | None = None  # answer: its id
    deadline: str | None = None  # ISO date
    items: list[str] | None = None  # answer_request: the criteria to answer
    contested: list[str] | None = None  # answer, finalize_forced: the criteria explained
    year: int | None = None  # round_created
    body: str | None = None
    set: str | None = None  # round_created: "id version"

    def shown(self) -> dict[str, Any]:
        """The fields the event carries (as stored), for display."""
        return self.model_dump(mode="json", exclude_unset=True)


class Event(BaseModel):
    """One row of the audit trail (`Store.events`)."""

    model_config = ConfigDict(frozen=True)

    at: str
    commune_code: str | None
    kind: str
    detail: EventDetail


class RequestItem(BaseModel):
    """An item of `answer_requests.items_json`: a criterion whose round-1 score differs from the self score
    (appraisal.answers.ChangedItem.as_json)."""

    model_config = _LENIENT

    criterion: str
    self_points: Decimal | None = None
    appraised: Decimal | None = None
    reason: str = ""

    _no_none = field_validator("reason", mode="before")(_text)


class AnswerItem(BaseModel):
    """A value of `answers.items_json` (criterion -> item): "agree" or "explain", and the explanation."""

    model_config = _LENIENT

    answer: str = ""
    explanation: str = ""

    _no_none = field_validator("answer", "explanation", mode="before")(_text)


class AnswerEvidence(BaseModel):
    """`answers.evidence_json`: the folder or zip sent with the answer, and the register rows it added."""

    model_config = _LENIENT

    path: str | None = None
    rows: list[RegisterEntry] = Field(default_factory=list)

    @field_validator("rows", mode="before")
    @classmethod
    def _rows_only(cls, value: Any) -> Any:
        return _entries(RegisterEntry, value)


class FindingEntry(BaseModel):
    """A finding as stored: in `answers.findings_json` (records.Finding.model_dump()), and a row of the tables
    `findings` (a submission's) and `appraisal_findings`, as `Store.findings` gives them back."""

    model_config = _LENIENT

    severity: str = ""
    rule: str = ""
    criterion: str | None = None
    cell: str | None = None
    message: str = ""

    _no_none = field_validator("severity", "rule", "message", mode="before")(_text)


def _parsed(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _column(value: Any, kind: type) -> Any:
    """A JSON column (text, or what an engine gives) parsed; ValueError when it is not a `kind` at all."""
    parsed = _parsed(value)
    if not isinstance(parsed, kind):
        raise ValueError(f"a stored column is not a {kind.__name__}")
    return parsed


def request_items(value: Any) -> list[RequestItem]:
    """`answer_requests.items_json` as records."""
    return [RequestItem.model_validate(i) for i in _entries(RequestItem, _column(value, list))]


def answer_items(value: Any) -> dict[str, AnswerItem]:
    """`answers.items_json` as records."""
    return {c: AnswerItem.model_validate(i) for c, i in _column(value, Mapping).items() if _fits(AnswerItem, i)}


def findings_of(value: Any) -> list[FindingEntry]:
    """`answers.findings_json` as records."""
    return [FindingEntry.model_validate(f) for f in _entries(FindingEntry, _column(value, list))]


def request_items_json(items: list[RequestItem] | list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [as_stored(RequestItem, i) for i in items]


def answer_items_json(items: Mapping[str, AnswerItem | Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c: as_stored(AnswerItem, i) for c, i in items.items()}


def findings_json(findings: list[FindingEntry] | list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [as_stored(FindingEntry, f) for f in findings]


# -- the ranking's reading of a submission's declared values ---------------------------------------------
# The ranking of a country reads 10,600 declared records (~19 kB of JSON each) for two things: the
# explanations given and the criteria the evidence register cites. `DeclaredRecord` builds every register
# row as a record (its text validators run in Python, its bad rows left out one by one): 4 s for a country.
# These lean types accept exactly what `DeclaredRecord` accepts (the same types, None for a text where its
# validator turns None into ""), are parsed by pydantic itself into plain dicts (a quarter faster than models)
# and build nothing else; a record they refuse (a hand-edited store) is read by `DeclaredRecord` as before.
_LEAN = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class _LeanLeaf(TypedDict, total=False):
    __pydantic_config__ = _LEAN  # type: ignore[misc]

    value: str | None
    figures: list[str | None]
    explanation: str | None


class _LeanRegisterEntry(TypedDict, total=False):
    __pydantic_config__ = _LEAN  # type: ignore[misc]

    row: int
    cell: str | None
    criterion: str | None
    number: str | None
    date: str | None
    date_text: str | None
    issuer: str | None
    subject: str | None
    files: list[str]


class _LeanDeclaredFields(TypedDict, total=False):
    __pydantic_config__ = _LEAN  # type: ignore[misc]

    evidence_path: str | None
    saved_at: str | None
    leaves: dict[str, _LeanLeaf]
    register: list[_LeanRegisterEntry]
    evidence_register: Any  # (DeclaredRecord reads the register under its field name too: left to it)
    difficulties: str | None
    recommendations: str | None


_LEAN_DECLARED = TypeAdapter(_LeanDeclaredFields)


@dataclass(frozen=True, slots=True)
class DeclaredSummary:
    """What the ranking reads of a submission's declared values: the explanations given (criterion -> text,
    empty ones left out) and the criteria its evidence register rows cite (as typed, in row order)."""

    explanations: dict[str, str]
    cited: tuple[str, ...]


def declared_summary(value: DeclaredRecord | Mapping[str, Any] | str | bytes | None) -> DeclaredSummary:
    """`declared_record(value)`'s explanations and cited criteria, without building the whole record.
    ValidationError where `declared_record` raises one."""
    if isinstance(value, str | bytes):
        try:
            lean = _LEAN_DECLARED.validate_json(value)
        except ValidationError:
            pass  # a row the lean types refuse: the full record decides (it leaves bad register rows out)
        else:
            if "evidence_register" in lean:
                return _summary(declared_record(value))
            cited = tuple(row.get("criterion") or "" for row in lean.get("register", ()))
            return DeclaredSummary({c: text for c, leaf in lean.get("leaves", {}).items()
                                    if (text := leaf.get("explanation"))}, cited)
    return _summary(declared_record(value))


def _summary(full: DeclaredRecord) -> DeclaredSummary:
    return DeclaredSummary({c: leaf.explanation for c, leaf in full.leaves.items() if leaf.explanation},
                           tuple(row.criterion for row in full.evidence_register))


# `submissions.summary_json` (schema 4): a record's `declared_summary`, made when the submission is recorded
# and kept beside its declared values, so the ranking of a country reads a few hundred bytes a commune, not
# ~19 kB of JSON through pydantic. Rows recorded before it (NULL), or whose column is not such a summary, are
# read from their declared values as before.
def summary_json(record: DeclaredRecord) -> dict[str, Any]:
    """The summary column of a record: {"explanations": {criterion: text}, "cited": [criterion, …]}."""
    summary = _summary(record)
    return {"explanations": summary.explanations, "cited": list(summary.cited)}


_STR = {str}


def stored_summary(value: Mapping[str, Any] | str | bytes | None) -> DeclaredSummary | None:
    """The summary a `summary_json` column holds; None when it holds none or anything else than `summary_json`
    writes (the declared values decide then)."""
    if value is None:
        return None
    try:
        # (json.loads, not pydantic-core's parser as for the scores: a summary is long texts in Vietnamese,
        # which json.loads decodes in 40–60 % of its time; a country's 77 MB: 0.19–0.27 s against 0.47–0.70)
        data = json.loads(value) if isinstance(value, str | bytes) else value
    except ValueError:
        return None
    if not isinstance(data, Mapping) or set(data) != {"explanations", "cited"}:
        return None
    explanations, cited = data["explanations"], data["cited"]
    if not (isinstance(explanations, dict) and isinstance(cited, list) and set(map(type, cited)) <= _STR
            and set(map(type, explanations.values())) <= _STR and all(explanations.values())):
        return None
    return DeclaredSummary(explanations, tuple(cited))


@dataclass(frozen=True, slots=True)
class LatestResult:
    """A commune's counting submission as the ranking reads it (`Store.latest_results`): the submission's
    columns, its declared values' summary, the commune's name, kind and state, its error and warning counts."""

    id: int
    commune_code: str
    version: int
    file_name: str
    received_at: str
    status: str
    self_total: Decimal | None
    set_id: str
    set_version: str
    scores: Scores
    declared: DeclaredSummary
    name: str | None  # None: the commune is not in the round's list of communes
    kind: str | None
    state: str | None
    errors: int
    warnings: int
