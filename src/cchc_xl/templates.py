"""Workbook layouts and texts, read from workbook_templates/*.yaml (data, not code), as typed models.

Texts name the round's assessing body through `[[…]]` tokens (see `cchc_xl.identity`): `template(name,
identity)` gives them filled for that round; without an identity they speak of "cơ quan đánh giá".

Each file is validated once when read, against the models below (a missing, unknown or mistyped key is a
`TemplateError` naming the file and the key). A sheet's column layout (`key: [header, width]` or
`[header, width, input kind]`, in column order) becomes `Columns`: the one place column positions, letters,
widths and the printed range are derived. Sections still answer `t["key"]` as the dicts did, for the modules
that read them so.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any, ClassVar, Literal, overload

import yaml
from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, ValidationError, model_validator
from pydantic_core import PydanticCustomError, core_schema
from xlsxwriter.utility import xl_col_to_name

from cchc_xl.identity import NEUTRAL, RoundIdentity
from cchc_xl.messages import MESSAGES, say
from cchc_xl.paths import bundled

Width = float  # a column width, in Excel's character units
InputKind = Literal["code", "text", "date"]  # what a commune types in a column: its cells' style and number format


class TemplateError(ValueError):
    """A bundled workbook template that does not match its model (an installation or editing mistake)."""


class Column(BaseModel):
    """One column of a sheet layout: its key (what the code uses), position, header and width."""

    model_config = ConfigDict(frozen=True)

    key: str
    index: int  # 0-based, in the layout's column order
    header: str
    width: Width
    kind: InputKind | None = None  # an input column's kind; None where nobody types
    printed: bool = True  # inside the sheet's print area

    @property
    def letter(self) -> str:
        return xl_col_to_name(self.index)


class _ColumnSpec(BaseModel):
    """A column as the YAML writes it: [header, width] or [header, width, input kind]."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    header: str
    width: Width
    kind: InputKind | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return value
        if not 2 <= len(value) <= 3:
            raise PydanticCustomError("column_spec", "a column is [header, width] or [header, width, kind]")
        return dict(zip(("header", "width", "kind"), value, strict=False))

    def dump(self) -> list[Any]:
        return [self.header, self.width] + ([self.kind] if self.kind else [])


class Columns(Mapping[str, Column]):
    """A sheet's columns by key, in column order (the YAML's order): positions follow from the order, so a
    column added to a template moves every column after it, everywhere."""

    def __init__(self, specs: Mapping[str, _ColumnSpec], printed_through: str | None = None) -> None:
        keys = list(specs)
        last = keys.index(printed_through) if printed_through is not None else len(keys) - 1
        self._specs = dict(specs)
        self._columns = {key: Column(key=key, index=i, header=spec.header, width=spec.width, kind=spec.kind,
                                     printed=i <= last) for i, (key, spec) in enumerate(specs.items())}

    def __getitem__(self, key: str) -> Column:
        return self._columns[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def __repr__(self) -> str:
        return f"Columns({list(self._columns)})"

    @property
    def indices(self) -> dict[str, int]:
        """0-based column index by key (a new dict: the caller's to keep)."""
        return {key: c.index for key, c in self._columns.items()}

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self._columns.values()]

    @property
    def widths(self) -> list[Width]:
        return [c.width for c in self._columns.values()]

    @property
    def inputs(self) -> dict[str, InputKind]:
        """The input columns' kinds, by key, in column order."""
        return {key: c.kind for key, c in self._columns.items() if c.kind is not None}

    @property
    def last(self) -> Column:
        return list(self._columns.values())[-1]

    @property
    def last_printed(self) -> Column:
        """The last column inside the print area (the ones after it are on screen only)."""
        return [c for c in self._columns.values() if c.printed][-1]

    def printed_through(self, key: str) -> Columns:
        """These columns, printed up to and including `key`."""
        return Columns(self._specs, key)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls, handler.generate_schema(dict[str, _ColumnSpec]),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda c: {key: spec.dump() for key, spec in c._specs.items()}))


# pydantic warns that a field named "register" shadows ABCMeta.register (a class method, never an instance's)
warnings.filterwarnings("ignore", r'Field name "register" .* shadows an attribute in parent "Section"', UserWarning)


class Section(BaseModel):
    """A part of a template. Every key is declared: an unknown one is an error, as is a missing one."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # column-layout field -> the field naming its last printed column
    print_limits: ClassVar[dict[str, str]] = {}
    # field whose keys (or items) are column keys -> the field holding those columns
    column_keys: ClassVar[dict[str, str]] = {}

    @model_validator(mode="after")
    def _columns_named(self) -> Section:
        for field, columns in self.column_keys.items():
            if not set(getattr(self, field)) <= set(getattr(self, columns)):
                raise PydanticCustomError("not_a_column", "{field} names no column", {"field": field})
        for field, limit in self.print_limits.items():
            columns, last = getattr(self, field), getattr(self, limit)
            if last not in columns:
                raise PydanticCustomError("not_a_column", "{field} names no column", {"field": limit})
            object.__setattr__(self, field, columns.printed_through(last))  # frozen: set once, while validating
        return self

    def __getitem__(self, key: str) -> Any:
        """`section["key"]`, as the dicts before these models read."""
        if key not in _field_names(type(self)):
            raise KeyError(key)
        return getattr(self, key)


@cache
def _field_names(model: type[BaseModel]) -> frozenset[str]:
    """A section class's field names (pydantic's `model_fields` is a computed class property: the layout
    builder asks hundreds of times a workbook)."""
    return frozenset(model.model_fields)


class CommuneSheets(Section):
    guide: str
    grid: str
    register: str
    summary: str
    issues: str
    approved: str
    meta: str


class CommuneGrid(Section):
    print_limits = {"columns": "print_through"}

    first_row: int
    title: str
    subtitle: str
    columns: Columns
    print_through: str
    figure_line: str
    code_label: str
    total_label: str
    tier_label: str
    district_mark: str
    district_method: str
    total_label_partial: str
    no_tier: str
    figure_note: str
    evidence_note: str


class CommuneRegister(Section):
    first_row: int
    rows: int
    title: str
    note: str
    columns: Columns
    approval_file: str
    approval_entry: str
    pending: str  # the count of rows flagged, "{n}" the number
    check: dict[str, str]

    @model_validator(mode="after")
    def _one_count(self) -> CommuneRegister:
        # the workbook's formula splits the text around its count (layout.register_pending_formula)
        if self.pending.count("{n}") != 1 or self.pending.replace("{n}", "").count("{") > 0:
            raise PydanticCustomError("one_count", "pending holds {n} once")
        return self


class CommuneSummary(Section):
    agency_line: str
    nation: str
    motto: str
    title: str
    subtitle: str
    columns: Columns
    total_label: str
    total_label_partial: str
    total_note_partial: str
    body_note: str
    tier_label: str
    date_line: str
    sign_for: str
    sign_title: str
    sign_note: str


class CommuneApproved(Section):
    label: str
    agency: str
    rule: str
    number: str
    nation: str
    motto: str
    date_line: str
    title: str
    subtitle: str
    part_table: str
    part_explanations: str
    part_issues: str
    columns: Columns
    district_mark: str
    evidence_count: str
    explained: str
    total_label: str
    total_note: str
    no_explanation: str
    explanation_header: list[str]
    difficulties: str
    recommendations: str
    none: str
    recipients: str
    sign_for: str
    sign_title: str
    sign_note: str
    sign_room: int
    footer: str


class CommuneIssues(Section):
    title: str
    difficulties: str
    recommendations: str
    width: int
    input_height: int


class CommuneGuide(Section):
    title: str
    title_lines: int
    width: int
    lines: list[str]
    colours: list[list[str]]
    composition: str


class CommuneValidation(Section):
    score_title: str
    score_prompt: str
    score_error: str
    figure_title: str
    figure_prompt: str
    figure_error: str
    integer_suffix: str
    code_title: str
    code_prompt: str
    code_error: str
    date_title: str
    date_prompt: str
    date_error: str
    text_title: str
    text_prompt: str
    error_title: str


class CommuneTemplate(Section):
    template_version: str
    sheets: CommuneSheets
    grid: CommuneGrid
    status: dict[str, str]
    register: CommuneRegister
    summary: CommuneSummary
    approved: CommuneApproved
    issues: CommuneIssues
    guide: CommuneGuide
    validation: CommuneValidation


class ValidationSheets(Section):
    summary: str
    findings: str
    evidence: str
    ignored: str


class ValidationFeedback(Section):
    sheet: str
    title: str
    banner: str
    total: str
    total_partial: str
    next: dict[str, str]
    list_title: dict[str, str]
    columns: Columns
    none: str
    status_note: str


class ValidationTemplate(Section):
    print_limits = {"summary_columns": "summary_print_through", "finding_columns": "finding_print_through"}
    column_keys = {"evidence_widths": "evidence_columns", "evidence_unprinted": "evidence_columns"}

    file_name: str
    feedback_dir: str
    feedback_suffix: str
    title: str
    run_line: str
    composition_line: str
    no_tier: str
    sheets: ValidationSheets
    summary_columns: Columns
    summary_print_through: str
    approval: dict[str, str]
    finding_columns: Columns
    finding_print_through: str
    evidence_columns: dict[str, str]
    evidence_widths: dict[str, int]
    evidence_unprinted: list[str]
    ignored_columns: Columns
    status: dict[str, str]
    severity: dict[str, str]
    ignored: dict[str, str]
    yes_no: list[str]
    feedback: ValidationFeedback


class AppraisalSheets(Section):
    sheet: str
    meta: str


class AppraisalHeading(Section):
    abbreviations: dict[str, str]
    council: str
    rule: str
    nation: str
    motto: str
    date_line: list[str]
    date_blank: str
    place_blank: str


class AppraisalSignature(Section):
    secretary: list[str]
    members: list[str]
    chair: list[str]
    room: int


class AppraisalValidation(Section):
    score_title: str
    score_prompt: str
    score_error: str
    count_title: str
    count_prompt: str
    count_error: str
    error_title: str


class AppraisalTemplate(Section):
    print_limits = {"columns": "last_printed"}
    column_keys = {"round2_headers": "columns"}

    template_version: str
    file_suffix: str
    round2_file_suffix: str
    sheets: AppraisalSheets
    heading: AppraisalHeading
    title: str
    subject: str
    subtitle: str
    instructions: str
    round2_title: str
    round2_subject: str
    round2_instructions: str
    round2_headers: dict[str, str]  # column key -> its round-2 header
    round2_decision: str
    round2_answer: str
    round2_evidence: str
    round2_evidence_folder: str
    appraiser_label: str
    date_label: str
    code_label: str
    explanation_prefix: str
    figure_line: str
    first_row: int
    columns: Columns
    last_printed: str
    district_mark: str
    adjust_header: list[str]
    bonus_label: str
    penalty_label: str
    total_areas_label: str
    total_areas_rescaled: str
    total_label: str
    tier_label: str
    signature: AppraisalSignature
    status: dict[str, str]
    validation: AppraisalValidation


class CriteriaSheets(Section):
    info: str
    tree: str
    adjust: str


class CriteriaTemplate(Section):
    sheets: CriteriaSheets
    info_fields: dict[str, str]
    tiers_header: list[str]
    tree_columns: Columns
    adjust_columns: Columns
    levels: dict[str, str]
    blocks: dict[str, str]
    kinds: dict[str, str]
    yes: str
    no: str


class RankingSheets(Section):
    cover: str
    ranking: str
    unranked: str
    charts: str
    areas: str
    criteria: str
    priorities: str
    progress: str
    cards: str
    chart_data: str


class RankingCoverSignature(Section):
    date_line: str
    no_place: str
    on_behalf: str
    recipients: str
    recipients_items: list[str]


class RankingCover(Section):
    head: str
    motto: list[str]
    title: str
    subtitle: str
    fields: dict[str, str]
    set_value: str
    decision_value: str
    decision_about: str
    counts_value: str
    no_deadline: str
    tiers_title: str
    tiers_columns: Columns
    tiers_total: str
    untiered: str
    top_title: str
    bottom_title: str
    list_columns: Columns
    none: str
    contents_title: str
    contents: dict[str, str]
    cards_sheets: str
    signature: RankingCoverSignature
    cards_summary: str


class RankingRanking(Section):
    title: str
    columns: Columns
    unranked: str
    no_tier: str
    provisional_mark: str
    provisional_note: str


class RankingUnranked(Section):
    title: str
    note: str
    columns: Columns
    reasons: dict[str, str]


class RankingCharts(Section):
    title: str
    page_note: str
    subset: str
    totals: str
    composition: str
    self_final: str
    tiers: str
    points_axis: str
    count_axis: str
    self_series: str
    final_series: str
    total_series: str
    count_series: str
    commune_label: str


class RankingChartData(Section):
    title: str
    tier_columns: Columns
    commune_columns: Columns


class RankingAreas(Section):
    title: str
    note: str
    columns: Columns
    stats: dict[str, str]


class RankingCriteria(Section):
    title: str
    note: str
    columns: Columns
    stats: dict[str, str]


class RankingPriorities(Section):
    title: str
    note: str
    columns: Columns
    district: str


class RankingProgress(Section):
    title: str
    summary: str
    no_deadline: str
    columns: Columns
    yes_no: list[str]
    not_received: str
    status: dict[str, str]
    state: dict[str, str]
    other_set: str
    file_note: str


class RankingCard(Section):
    title: str
    commune: str
    fields: dict[str, str]
    areas_title: str
    area_columns: Columns
    bonus: str
    penalty: str
    total: str
    deductions_title: str
    deduction_columns: Columns
    none: str


class RankingCards(Section):
    title: str
    note: str
    columns: Columns
    area_diff_header: str
    line: str
    line_final: str
    reason: str
    explanation: str
    none: str
    cut: str
    blank: str


class RankingTemplate(Section):
    file_title: str
    sheets: RankingSheets
    card_sheet: str
    stage: dict[str, str]
    stage_line: str
    stage_short: dict[str, str]
    self_note: str
    tie_rule: str
    area_header: str
    area_legend: str
    area_legend_item: str
    generated: str
    cover: RankingCover
    ranking: RankingRanking
    unranked: RankingUnranked
    charts: RankingCharts
    chart_data: RankingChartData
    areas: RankingAreas
    criteria: RankingCriteria
    priorities: RankingPriorities
    progress: RankingProgress
    card: RankingCard
    cards: RankingCards


class AnswerSheets(Section):
    sheet: str
    register: str
    meta: str


class AnswerValidation(Section):
    answer_title: str
    answer_prompt: str
    answer_error: str
    code_title: str
    code_prompt: str
    code_error: str
    date_title: str
    date_prompt: str
    date_error: str
    error_title: str


class AnswerRegister(Section):
    print_limits = {"columns": "print_through"}

    first_row: int
    rows: int
    title: str
    note: str
    columns: Columns
    print_through: str
    check: dict[str, str]


class AnswerTemplate(Section):
    print_limits = {"columns": "last_printed"}

    template_version: str
    file_suffix: str
    sheets: AnswerSheets
    title: str
    subtitle: str
    instructions: str
    deadline_line: str
    person_label: str
    code_label: str
    first_row: int
    last_printed: str
    columns: Columns
    answers: dict[str, str]
    status: dict[str, str]
    validation: AnswerValidation
    register: AnswerRegister
    total_label: str
    no_changes: str
    signature: list[str]


TemplateName = Literal["commune", "validation", "appraisal", "criteria", "ranking", "answer"]
MODELS: dict[str, type[Section]] = {
    "commune": CommuneTemplate, "validation": ValidationTemplate, "appraisal": AppraisalTemplate,
    "criteria": CriteriaTemplate, "ranking": RankingTemplate, "answer": AnswerTemplate,
}


@overload
def template(name: Literal["commune"], identity: RoundIdentity = NEUTRAL) -> CommuneTemplate: ...
@overload
def template(name: Literal["validation"], identity: RoundIdentity = NEUTRAL) -> ValidationTemplate: ...
@overload
def template(name: Literal["appraisal"], identity: RoundIdentity = NEUTRAL) -> AppraisalTemplate: ...
@overload
def template(name: Literal["criteria"], identity: RoundIdentity = NEUTRAL) -> CriteriaTemplate: ...
@overload
def template(name: Literal["ranking"], identity: RoundIdentity = NEUTRAL) -> RankingTemplate: ...
@overload
def template(name: Literal["answer"], identity: RoundIdentity = NEUTRAL) -> AnswerTemplate: ...
@overload
def template(name: str, identity: RoundIdentity = NEUTRAL) -> Any: ...
def template(name: str, identity: RoundIdentity = NEUTRAL) -> Any:
    """workbook_templates/<name>.yaml as its model, its texts filled for `identity` (read and validated once
    per identity; the same object each time)."""
    return _template(name, identity)


@cache
def _template(name: str, identity: RoundIdentity) -> Section:
    return load(name, _fill(_raw(name), identity))


def load(name: str, data: Any) -> Section:
    """`data` (a template file's content) as the model of template `name`; `TemplateError` names the file and
    every bad key."""
    try:
        return MODELS[name].model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(say("template.problem", field=_key(err), detail=_detail(err)) for err in exc.errors())
        raise TemplateError(say("template.invalid", file=_file(name), problems=problems)) from None


def _file(name: str) -> str:
    return f"workbook_templates/{name}.yaml"


@cache
def _raw(name: str) -> Any:
    return yaml.safe_load(bundled(_file(name)).read_text(encoding="utf-8"))


def _key(err: Any) -> str:
    loc = [str(part) for part in err["loc"]]
    if err["type"] == "not_a_column":
        loc.append(err["ctx"]["field"])
    return ".".join(loc) or "."


def _detail(err: Any) -> str:
    """pydantic's error in Vietnamese, by its type (the criteria loader's texts); its English is never shown."""
    for key in (f"template.detail.{err['type']}", f"set.detail.{err['type']}"):
        if key in MESSAGES:
            try:
                return say(key, **{k: str(v) for k, v in (err.get("ctx") or {}).items()})
            except (KeyError, IndexError, ValueError):
                break
    return say("set.detail.other")


def _fill(value: Any, identity: RoundIdentity) -> Any:
    if isinstance(value, str):
        return identity.fill(value)
    if isinstance(value, dict):
        return {k: _fill(v, identity) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, identity) for v in value]
    return value
