"""The council's appraisal workbook: layout as data (shared by writer and reader) and its writer.

One sheet, one row per area, criterion and scored item: the commune's self-score, declared figures,
evidence and explanation, the import findings, then the council's inputs (appraised score, reason) and a
status formula; bonus and penalty items; totals and tier by formula; the signature block of the council.
A very hidden metadata sheet is signed (HMAC) like the commune workbook's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from json.encoder import encode_basestring as _json_text  # (json.dumps's own, ensure_ascii off)
from operator import itemgetter
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from cchc_xl.appraisal.scores import AppraisalInputs, AppraisalResult, ItemCells, evaluate_appraisal, item_checks
from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet, Criterion
from cchc_xl.identity import NEUTRAL, RoundIdentity
from cchc_xl.literals import number as _num
from cchc_xl.literals import text as _text
from cchc_xl.numbers import fmt
from cchc_xl.safeio import atomic_path, output_stem
from cchc_xl.scoring import excel_checks, excel_rescaled, excel_tier
from cchc_xl.settings import Settings
from cchc_xl.templates import AnswerTemplate, AppraisalTemplate, template
from cchc_xl.workbook import signing
from cchc_xl.workbook.layout import (
    DEFAULT_ROW_HEIGHT,
    DISTRICT_MARK_STYLE,
    CellSpec,
    Merge,
    RangeValidation,
    SheetLayout,
    Validation,
    canonical_value,
    cell_ref,
    fit_row,
    lines_height,
    locked_manifest,
    manifest_digest,
    set_fingerprint,
    status_chain,
    text_lines,
)
from cchc_xl.workbook.sheetkit import (
    Formats,
    Margins,
    PageSetup,
    Sheet,
    font,
    page_breaks,
    print_scale,
    printable_px,
    workbook_options,
)
from cchc_xl.workbook.writer import CommuneWorkbookWriter, _ProtectedWorkbook, validation_options, write_merge

if TYPE_CHECKING:
    from cchc_xl.workbook.layout import _Index

META_KEYS = ("kind", "commune_code", "commune_name", "commune_kind", "set_id", "set_version", "set_sha256",
             "submission_id", "submission_sha256", "template_version", "generated_at", "key_id", "digest")
KIND = "appraisal"
_MEMO_BOUND = 65536  # the run memo's remembered places and values (cleared when full: memory stays flat)
_ROW_CELLS = 64  # cells an item row's memo keeps (its blanks, statuses and most frequent scores)
# Round 2 (after the communes' answers): the contested items only are inputs; the metadata also names the
# round-1 appraisal, the explanation request and the answer it decides on.
KIND_ROUND2 = "appraisal-round2"
ROUND2_META_KEYS = (*META_KEYS, "appraisal_id", "request_id", "answer_id")


@dataclass(frozen=True)
class SubmissionView:
    """What the council sees of the submission being appraised (from the store)."""

    id: int
    sha256: str
    file_name: str
    scores: dict[str, Decimal | None]  # self-assessed points per scored item
    figures: dict[str, list[str]]
    explanations: dict[str, str]
    evidence: dict[str, list[str]]  # criterion -> register lines
    evidence_links: dict[str, str]  # criterion -> path of its first evidence file (or the zip)
    findings: dict[str, list[str]]  # criterion -> import finding messages


@dataclass(frozen=True)
class Round2View:
    """What a round-2 workbook shows beside each contested item, and what it keeps from round 1."""

    appraisal_id: int  # the round-1 appraisal
    request_id: int
    answer_id: int
    contested: frozenset[str]  # the items the commune explained: the council's inputs in round 2
    decisions: dict[str, str]  # item -> the round-1 decision as shown ("Vòng 1: 0,5 — lý do")
    answers: dict[str, list[str]]  # item -> the commune's explanation and its added evidence, as lines


@dataclass
class AppraisalLayout(SheetLayout):
    """An appraisal-path workbook (the council's of both rounds, the commune's answer workbook); its main
    sheet is key "sheet"."""

    cset: CriteriaSet
    commune: Commune
    submission: SubmissionView
    sheets: dict[str, str]
    cells: list[CellSpec] = field(default_factory=list)
    validations: list[RangeValidation] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    max_cells: dict[tuple[int, int], str] = field(default_factory=dict)  # main-sheet (row, col) -> code of its max
    items: dict[str, tuple[int, int]] = field(default_factory=dict)  # scored item -> (row, score col)
    reason_col: int = 0
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # bonus/penalty item -> (row, col)
    appraiser_cell: tuple[int, int] = (0, 0)
    result: AppraisalResult | None = None
    # print look, no part of the digest: merged cells (outside input areas) and row heights (0-based row -> pt)
    merges: list[Merge] = field(default_factory=list)
    row_heights: dict[int, float] = field(default_factory=dict)
    sheet_heights: dict[tuple[str, int], float] = field(default_factory=dict)  # rows of the other sheets
    hidden_rows: set[int] = field(default_factory=set)  # main-sheet rows hidden (round 2: items not contested)
    # how the main sheet prints: the header row repeated, the columns printed (0..print_cols-1; the others
    # are on screen only), the last printed row, the rows kept on the page of the row after them
    header_row: int = 0
    print_cols: int = 0
    last_row: int = 0
    keep_with_next: set[int] = field(default_factory=set)
    # (row, col) -> a condition (no "="): the cell is highlighted while it holds (an appraised score changed)
    marks: dict[tuple[int, int], str] = field(default_factory=dict)
    _index: _Index | None = field(default=None, repr=False, compare=False)

    def cell_ref(self, row: int, col: int) -> str:
        return self.at("sheet", xl_rowcol_to_cell(row, col))

    def maxima(self) -> dict[tuple[str, int, int], str]:
        return {("sheet", row, col): code for (row, col), code in self.max_cells.items()}

    def digest(self, memo: LayoutMemo | None = None) -> str:
        """The digest of the locked content, as the commune workbook's (`layout.locked_manifest`; `memo`: the
        run's, when it was made for this layout's set, lists it faster)."""
        if memo is not None and memo.cset is self.cset:
            return memo.digest(self)
        return manifest_digest(locked_manifest(self.sheets, self.cells, self.validations))


class SheetBuilder:
    """Cells, merges, row heights and references of the main sheet of an appraisal-path layout (the columns of
    template `t`); shared by the council's and the commune's answer workbook builders."""

    def __init__(self, lay: AppraisalLayout, t: AppraisalTemplate | AnswerTemplate,
                 name_refs: dict[tuple[str, int, int], str] | None = None):
        self.lay, self.t = lay, t
        self.col = t.columns.indices
        self.width = {k: c.width for k, c in t.columns.items()}
        self.name_refs = name_refs  # (a run's, for one template's sheets: sheet, row, col -> a name's reference)

    def put(self, row: int, col: int, sheet: str = "sheet", **kw: Any) -> CellSpec:
        cell = CellSpec(sheet, row, col, **kw)
        self.lay.cells.append(cell)
        if cell.name:
            self.lay.names[cell.name] = self.name_ref(sheet, row, col)
        return cell

    def name_ref(self, sheet: str, row: int, col: int) -> str:
        refs, key = self.name_refs, (sheet, row, col)
        found = refs.get(key) if refs is not None else None
        if found is None:
            found = f"{self.lay.quoted(sheet)}!${xl_col_to_name(col)}${row + 1}"
            if refs is not None:
                refs[key] = found
        return found

    def merge(self, row: int, first: str, last: str) -> None:
        if self.col[last] > self.col[first]:
            self.lay.merges.append(Merge("sheet", row, self.col[first], row, self.col[last]))

    def fit(self, row: int, texts: list[tuple[Any, str, float, bool]], always: bool = False) -> None:
        """Make `row` tall enough for its wrapped texts, each (text, column key, font size, bold)."""
        fit_row(self.lay.row_heights, row, [(text, self.width[key], size, bold) for text, key, size, bold in texts],
                always)

    def ref(self, row: int, key: str) -> str:
        return xl_rowcol_to_cell(row, self.col[key])


@dataclass(frozen=True)
class _RowParts:
    """What an item row has that depends on the set and the row only: the status formula, the changed-score
    condition ("" for an item the body scores), the height its own texts need (title, the longest status it
    can show, the body's mark; 0: the default), its figures' labels, its set-only cells, the score's
    validation at its cell, and its cells as most communes leave them (made on first use)."""

    status_formula: str
    mark: str
    fixed_height: float
    figure_labels: tuple[str, ...]
    cells: tuple[CellSpec, ...]  # the row's code, title and maximum (and the district's mark), in that order
    range_validation: RangeValidation
    blanks: dict[tuple[Any, ...], CellSpec] = field(default_factory=dict)  # (key, details) -> cell


@dataclass
class LayoutMemo:
    """What the council's workbooks of one run have in common, worked out for the first and reused: each item
    row's set-only texts (`_RowParts`) and the set's fingerprint. Valid for one set and one round identity
    only: `build_appraisal_layout` ignores a memo made for others (the plain path)."""

    cset: CriteriaSet
    identity: RoundIdentity = NEUTRAL
    rows: dict[tuple[str, int], _RowParts] = field(default_factory=dict)
    name_refs: dict[tuple[str, int, int], str] = field(default_factory=dict)
    statuses: dict[tuple[Any, ...], str] = field(default_factory=dict)  # `evaluate_appraisal`'s memo
    # a paragraph's wrapped lines (text, column width, size, bold): `text_lines` of a text is the sum of its
    # paragraphs', and a commune's texts share their lines (a figure's label and value, a document cited for
    # several items) with its own other texts and with other communes'
    lines: dict[tuple[str, float, float, bool], int] = field(default_factory=dict, repr=False, compare=False)
    # a whole text's height in an item row (text, column width, size; 0.0: one line, the row left as it is)
    heights: dict[tuple[str, float, float], float] = field(default_factory=dict, repr=False, compare=False)
    figure_lines: dict[tuple[str, str], str] = field(default_factory=dict, repr=False, compare=False)
    cells: dict[tuple[Any, ...], CellSpec] = field(default_factory=dict, repr=False, compare=False)  # `_Builder.put`'s
    merges: dict[tuple[int, int, int], Merge] = field(default_factory=dict, repr=False, compare=False)
    refs: dict[tuple[int, str], str] = field(default_factory=dict, repr=False, compare=False)  # `_Builder.ref`'s
    _places: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict, repr=False, compare=False)
    _values: dict[tuple[type, Any], str] = field(default_factory=dict, repr=False, compare=False)
    # the memo's own cells (each layout of the run holds the same objects): id -> (cell, () or ((its item, its
    # JSON),); None while not yet made)
    _held: dict[int, tuple[CellSpec, tuple[tuple[tuple[str, str, str, str], str], ...] | None]] = field(
        default_factory=dict, repr=False, compare=False)
    # validations seen (the memo's rows' own recur in every layout): id -> (it, (its item, the item's JSON))
    _checks: dict[int, tuple[RangeValidation, tuple[tuple[str, str, str, str], str]]] = field(
        default_factory=dict, repr=False, compare=False)
    # `digest`'s order: each (sheet name, reference) of the manifests met, by its rank in their sorted order
    # (for the sheet names `_ranked_sheets`), and the memo's cells' and validations' keys by those ranks
    _ranks: dict[tuple[str, str], int] = field(default_factory=dict, repr=False, compare=False)
    _ranked_sheets: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _keyed: dict[int, tuple[int, bytes] | tuple[()]] = field(default_factory=dict, repr=False, compare=False)
    _keyed_alive: list[Any] = field(default_factory=list, repr=False, compare=False)

    def fits(self, cset: CriteriaSet, identity: RoundIdentity) -> bool:
        return cset is self.cset and identity == self.identity

    def __getstate__(self) -> dict[str, Any]:
        # (`_keyed` is by the ids of this process's objects: a memo sent to a spawned worker keys its own)
        return {**self.__dict__, "_keyed": {}, "_keyed_alive": []}

    def manifest(self, lay: AppraisalLayout) -> list[tuple[str, str, str, str]]:
        """`layout.locked_manifest` of `lay`, the same list: each cell's sheet name and reference and each
        value's canonical text remembered (bounded) instead of made anew for every commune."""
        return sorted(item for item, _ in self._entries(lay))

    def digest(self, lay: AppraisalLayout) -> str:
        """`manifest_digest(self.manifest(lay))`: the manifest's JSON joined from each item's own (the memo's
        cells' and validations' made once), as `json.dumps` writes a list of lists of texts."""
        found = self._ranked_digest(lay)
        if found is not None:
            return found
        entries = self._entries(lay)
        entries.sort(key=_first)  # (equal items have equal texts)
        return hashlib.sha256(("[" + ",".join([text for _, text in entries]) + "]").encode("utf-8")).hexdigest()

    def _ranked_digest(self, lay: AppraisalLayout) -> str | None:
        """`digest` with the items put in order by an integer each: the rank of its (sheet name, reference)
        among every one met (`_ranks`, in the manifest's order) and its kind; the memo's own cells' and
        validations' (key, JSON in UTF-8) made once and looked up all at once. Within a manifest an item's place and kind
        are its order unless two items share them (then their texts would order them): None then, and when a
        place has no rank yet (the ranks are made anew, with all the places of the layout's extent) or the
        layout's sheets are others'."""
        sheets = lay.sheets
        ranks, keyed = self._ranks, self._keyed
        if sheets != self._ranked_sheets or len(keyed) >= _MEMO_BOUND:  # (the ranks are the sheet names')
            if sheets != self._ranked_sheets:
                ranks.clear()
                self._ranked_sheets = dict(sheets)
            keyed.clear()
            self._keyed_alive.clear()
        held = self._held
        cells = lay.cells
        # (an id is looked up only while its object lives: `_keyed_alive` holds every keyed one)
        got = list(map(keyed.get, map(id, cells)))
        texts: dict[int, bytes] = dict(filter(None, got))  # (an item-less cell's is (): left out)
        count = len(texts) if len(texts) == len(got) else sum(1 for g in got if g)
        quoted = {key: _json_text(name) for key, name in sheets.items()}
        alive = self._keyed_alive
        unranked = False
        for c in [c for c, g in zip(cells, got, strict=True) if g is None]:
            mine = held.get(id(c))
            if mine is not None and mine[0] is c:  # a cell of the memo's own: keyed once
                entry = self._held_entry(c, mine[1], sheets)
                if entry is None:
                    keyed[id(c)] = ()
                    alive.append(c)
                    continue
                item, text = entry
                rank = ranks.get((item[0], item[1]))
                if rank is None:
                    unranked = True
                    continue
                key = rank * 3 + _KINDS[item[2]]
                keyed[id(c)] = (key, encoded := text.encode("utf-8"))
                alive.append(c)
                texts[key] = encoded
                count += 1
                continue
            own = self._own_item(c)
            if own is None:
                continue
            kind, text, place = own
            rank = ranks.get((sheets[c.sheet], place[0]))
            if rank is None:
                unranked = True
                continue
            texts[rank * 3 + _KINDS[kind]] = \
                f'[{quoted[c.sheet]},{place[1]},"{kind}",{_json_text(text)}]'.encode()
            count += 1
        validations = lay.validations
        got = list(map(keyed.get, map(id, validations)))
        kept_pairs = list(filter(None, got))
        texts.update(kept_pairs)
        count += len(kept_pairs)
        for v in [v for v, g in zip(validations, got, strict=True) if g is None]:
            item, text = self._check_entry(v, sheets)
            rank = ranks.get((item[0], item[1]))
            if rank is None:
                unranked = True
                continue
            key = rank * 3 + _KINDS["dv"]
            keyed[id(v)] = (key, encoded := text.encode("utf-8"))
            alive.append(v)
            texts[key] = encoded
            count += 1
        if unranked:
            self._rank(lay)
            return None
        if len(texts) != count:  # (two items of one kind at one place)
            return None
        return hashlib.sha256(b"[" + b",".join([texts[k] for k in sorted(texts)]) + b"]").hexdigest()

    def _rank(self, lay: AppraisalLayout) -> None:
        """The ranks made anew: every place met before, every place within the extent of `lay`'s cells on each
        sheet and every validation's range, in the manifest's order (of the sheet names, then the references)."""
        sheets = lay.sheets
        known = set(self._ranks) if len(self._ranks) < _MEMO_BOUND else set()
        extent: dict[str, tuple[int, int]] = {}
        for c in lay.cells:
            rows, cols = extent.get(c.sheet, (0, 0))
            extent[c.sheet] = (max(rows, c.row), max(cols, c.col))
        for sheet, (rows, cols) in extent.items():
            name = sheets[sheet]
            known.update((name, cell_ref(r, col)) for r in range(rows + 1) for col in range(cols + 1))
        known.update((sheets[v.sheet], v.sqref) for v in lay.validations)
        self._ranks = {place: i for i, place in enumerate(sorted(known))}
        self._keyed.clear()  # (keyed by the old ranks)
        self._keyed_alive.clear()

    def _held_entry(self, c: CellSpec, kept: tuple[tuple[tuple[str, str, str, str], str], ...] | None,
                    sheets: dict[str, str]) -> tuple[tuple[str, str, str, str], str] | None:
        """The manifest item of a cell of the memo's own and its JSON (None: it has none), made once."""
        if kept is None:
            self._held[id(c)] = (c, ())  # (no item), unless one is made below
            found_item = self._item(c, sheets)
            if found_item is None:
                return None
            entry = (found_item, _json_item(found_item))
            self._held[id(c)] = (c, (entry,))
            return entry
        return kept[0] if kept else None

    def _entries(self, lay: AppraisalLayout) -> list[tuple[tuple[str, str, str, str], str]]:
        """Each item of `lay`'s manifest with its JSON text, unsorted."""
        held = self._held
        sheets = lay.sheets
        quoted = {key: _json_text(name) for key, name in sheets.items()}
        entries = []
        for c in lay.cells:
            kept = held.get(id(c))
            if kept is not None and kept[0] is c:  # a cell of the memo's own: its item made once
                entry = self._held_entry(c, kept[1], sheets)
                if entry is not None:
                    entries.append(entry)
                continue
            own = self._own_item(c)
            if own is None:
                continue
            kind, text, place = own
            entries.append(((sheets[c.sheet], place[0], kind, text),
                            f'[{quoted[c.sheet]},{place[1]},"{kind}",{_json_text(text)}]'))
        entries.extend(self._check_entry(v, sheets) for v in lay.validations)
        return entries

    def _own_item(self, c: CellSpec) -> tuple[str, str, tuple[str, str]] | None:
        """A commune's own cell's manifest kind and text, and its place (reference, its JSON text), each value's
        canonical text and each place remembered (bounded by the callers); None: the cell has no item."""
        if not c.locked or (c.sheet == "meta" and c.col < 2) or c.style == DISTRICT_MARK_STYLE:
            return None
        if c.formula is not None:
            kind, text = "f", c.formula
        elif c.value is None or c.value == "":
            return None
        elif isinstance(c.value, str):
            kind, text = "v", c.value
        else:
            values = self._values
            kind, key = "v", (type(c.value), c.value)  # (True and 1 are equal, but not one text)
            found = values.get(key)
            if found is None:
                if len(values) >= _MEMO_BOUND:
                    values.clear()
                found = values[key] = canonical_value(c.value)
            text = found
        places = self._places
        place = places.get((c.row, c.col))
        if place is None:
            if len(places) >= _MEMO_BOUND:
                places.clear()
            ref = c.ref
            place = places[(c.row, c.col)] = (ref, _json_text(ref))
        return kind, text, place

    def _check_entry(self, v: RangeValidation, sheets: dict[str, str]) -> tuple[tuple[str, str, str, str], str]:
        """A validation's manifest item and its JSON, made once per validation object (bounded)."""
        checks = self._checks
        kept = checks.get(id(v))
        if kept is None or kept[0] is not v:
            if len(checks) >= _MEMO_BOUND:
                checks.clear()
            item = (sheets[v.sheet], v.sqref, "dv", f"{v.validation.kind}|{v.validation.source}")
            kept = checks[id(v)] = (v, (item, _json_item(item)))
        return kept[1]

    @property
    def held(self) -> Mapping[int, tuple[CellSpec, Any]]:
        """The memo's own cells by id (each the same object in every layout of the run)."""
        return self._held

    def hold(self, cell: CellSpec) -> CellSpec:
        """`cell`, kept by the memo for every layout of the run: its manifest item is made once."""
        self._held[id(cell)] = (cell, None)
        return cell

    @staticmethod
    def _item(c: CellSpec, sheets: dict[str, str]) -> tuple[str, str, str, str] | None:
        """A cell's item of `locked_manifest` (None: it has none)."""
        if not c.locked or (c.sheet == "meta" and c.col < 2) or c.style == DISTRICT_MARK_STYLE:
            return None
        if c.formula is not None:
            return sheets[c.sheet], c.ref, "f", c.formula
        if c.value is None or c.value == "":
            return None
        return sheets[c.sheet], c.ref, "v", canonical_value(c.value)


_first = itemgetter(0)
_KINDS = {"dv": 0, "f": 1, "v": 2}  # a manifest item's kind by its order


def _json_item(item: tuple[str, ...]) -> str:
    """A manifest item as `manifest_digest`'s JSON writes it within the list."""
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"))


class _Builder(SheetBuilder):
    def __init__(self, cset: CriteriaSet, commune: Commune, sub: SubmissionView, inputs: AppraisalInputs,
                 review: Round2View | None = None, identity: RoundIdentity = NEUTRAL, memo: LayoutMemo | None = None):
        t = template("appraisal", identity)
        memo = memo if memo is not None and memo.fits(cset, identity) else None
        super().__init__(AppraisalLayout(cset, commune, sub, dict(t["sheets"])), t,
                         memo.name_refs if memo is not None else None)
        self.cset, self.commune, self.sub = cset, commune, sub
        self.inputs, self.review, self.identity = inputs, review, identity
        self.memo = memo
        # the texts every item row asks for, looked up once (a template section's lookup is ~3 µs)
        self.status_texts: dict[str, str] = t["status"]
        self.explanation_prefix: str = t["explanation_prefix"]
        self.figure_line: str = t["figure_line"]
        self.lay.reason_col = self.col["reason"]
        self.res = evaluate_appraisal(cset, sub.scores, inputs, memo.statuses if memo is not None else None)
        self.lay.result = self.res

    def build(self) -> AppraisalLayout:
        t, c = self.t, self.commune
        first, last = next(iter(self.col)), t["last_printed"]
        self.lay.print_cols = t.columns.last_printed.index + 1
        table_width = sum(c.width for c in t.columns.values() if c.printed)
        self.heading()
        title, subject, instructions = (t["title"], t["subject"], t["instructions"]) if self.review is None else \
            (t["round2_title"], t["round2_subject"], t["round2_instructions"])
        subject = subject.format(year=self.cset.year, kind=c.kind, name=c.name)
        subtitle = t["subtitle"].format(set_title=self.cset.title, version=self.cset.version,
                                        file=PurePosixPath(self.sub.file_name).name)  # the file, not the inbox path
        for row, text, style, size, bold in ((5, title, "minutes_title", 14, True),
                                             (6, subject, "minutes_subject", 11, True),
                                             (7, subtitle, "minutes_sub", 11, False),
                                             (8, instructions, "note", 11, False)):
            (self.put if row in (5, 8) else self.put_own)(row, 0, value=text, style=style)  # (6, 7: the commune's)
            self.merge(row, first, last)  # across the printed table, not the narrow code column
            fit_row(self.lay.row_heights, row, [(text, table_width, size, bold)], always=size != 11)
        # labels across the narrow first columns, each input in a column wide enough for a name or a date
        input_col = self.col["evidence"]
        for row, label in ((9, t["appraiser_label"]), (10, t["date_label"]), (11, t["code_label"])):
            self.put(row, 0, value=label, style="label_right")
            self.merge(row, first, "figures")
        self.put(9, input_col, value=self.inputs.appraiser or None, style="input_text", locked=False,
                 name="NGUOI_THAM_DINH")
        self.lay.appraiser_cell = (9, input_col)
        self.put(10, input_col, style="input_date", locked=False, name="NGAY_THAM_DINH")
        self.put_own(11, input_col, value=c.code, style="code_value", name="MA_DON_VI")
        self.date_line(3, xl_rowcol_to_cell(10, input_col))
        header = t["first_row"] - 1
        self.lay.header_row = header
        for key, text in zip(t.columns, t.columns.headers, strict=True):
            if self.review is not None:
                text = t["round2_headers"].get(key, text)
            self.put(header, self.col[key], value=text, style="header")
            self.fit(header, [(text, key, 11, True)])
        row = header + 1
        area_refs = []
        for area in self.cset.areas:
            self.lay.keep_with_next.add(row)  # a heading prints on the page of its first item
            area_row, row = row, row + 1
            crit_refs = []
            for crit in area.criteria:
                crit_refs.append(self.ref(row, "score"))
                if crit.is_leaf:
                    self.item(row, crit, "criterion")
                    row += 1
                    continue
                self.lay.keep_with_next.add(row)
                crit_row, row = row, row + 1
                sub_refs = []
                for sub in crit.children:
                    sub_refs.append(self.ref(row, "score"))
                    self.item(row, sub, "sub")
                    row += 1
                self.parent(crit_row, crit.code, crit.title, crit.max, sub_refs, "criterion")
                if self.review is not None and not self.review.contested & {s.code for s in crit.children}:
                    self.lay.hidden_rows.add(crit_row)
            self.parent(area_row, area.code, area.title, area.max, crit_refs, "area")
            area_refs.append(self.ref(area_row, "score"))
        label = t["total_areas_label"]
        if self.cset.rescale_unscored:  # the council sees how the total is made when no survey was held
            label = t["total_areas_rescaled"].format(total=fmt(self.cset.total), commune_max=fmt(self.cset.commune_max))
        self.put(row, self.col["title"], value=label,
                 style="total_label_wrap" if self.cset.rescale_unscored else "total_label")
        fit_row(self.lay.row_heights, row, [(label, self.width["title"], 11, True)])
        self.put(row, self.col["max"], value=self.cset.total, style="total_number")
        body_refs = [xl_rowcol_to_cell(*self.lay.items[leaf.code]) for leaf in self.cset.body_leaves()]
        areas = excel_rescaled(self.cset, f"ROUND(SUM({','.join(area_refs)}),2)", body_refs)
        self.put_own(row, self.col["score"], formula=areas, cached=self.res.areas_total,
                     style="total_number", name="TONG_LINH_VUC")
        areas_ref = self.ref(row, "score")
        row += 2
        bonus_ref, row = self.block(row, "bonus", t["bonus_label"], "TH")
        penalty_ref, row = self.block(row, "penalty", t["penalty_label"], "TR")
        total = f"{areas_ref}" + (f"+{bonus_ref}" if bonus_ref else "") + (f"-{penalty_ref}" if penalty_ref else "")
        self.put(row, self.col["title"], value=t["total_label"], style="total_label")
        self.put_own(row, self.col["score"], formula=f"MAX(0,ROUND({total},2))", cached=self.res.total,
                     style="total_number", name="TONG_TD")
        total_ref = self.ref(row, "score")
        self.put(row + 1, self.col["title"], value=t["tier_label"], style="total_label")
        self.put(row + 1, self.col["score"], formula=excel_tier(self.cset, total_ref), cached=self.res.tier,
                 style="total_text", name="XEP_LOAI_TD")
        # the totals, the tier and the signatures print together on the last page
        self.lay.keep_with_next.update(range(row - 1, row + 2))
        self.signatures(row + 3)
        return self.lay

    # -- the minutes' official form (Nghị định 30/2020/NĐ-CP) --------------------------------------------
    def heading(self) -> None:
        """The body in full and the council over a rule (left); the national name and motto over a rule
        (right); the place and date line is written by `date_line`."""
        h = self.t["heading"]
        left, right = ("code", "max"), ("evidence", self.t["last_printed"])
        rows = ((body_in_full(self.identity.words()["body"], h["abbreviations"]).upper(), "head_center",
                 h["nation"], "head_bold"),
                (h["council"], "head_bold", h["motto"], "head_bold"),
                (h["rule"], "head_center", h["rule"] * 2, "head_center"))
        for row, (left_text, left_style, right_text, right_style) in enumerate(rows):
            for (first, last), text, style in ((left, left_text, left_style), (right, right_text, right_style)):
                self.put(row, self.col[first], value=text, style=style)
                self.merge(row, first, last)
            span = sum(self.width[k] for k in ("code", "title", "max"))
            fit_row(self.lay.row_heights, row, [(left_text, span, 11, left_style == "head_bold")])

    def date_line(self, row: int, date_ref: str) -> None:
        """"Phù Yên, ngày 05 tháng 02 năm 2027" from the appraisal date the council types (dots while blank)."""
        h = self.t["heading"]
        place = self.identity.place or h["place_blank"]
        blank = h["date_blank"].format(place=place)
        day, month, year = (_text(part.format(place=place)) for part in h["date_line"])
        formula = (f"IF(ISNUMBER({date_ref}),{day}&TEXT(DAY({date_ref}),\"00\")&{month}&TEXT(MONTH({date_ref}),"
                   f"\"00\")&{year}&YEAR({date_ref}),{_text(blank)})")
        self.put(row, self.col["evidence"], formula=formula, cached=blank, style="head_italic")
        self.merge(row, "evidence", self.t["last_printed"])

    def signatures(self, row: int) -> None:
        """The secretary (left), the members (middle) and the chairman for the council (right), then room to
        sign; the block is kept on one page."""
        s = self.t["signature"]
        blocks = ((("code", "max"), s["secretary"]), (("self", "findings"), s["members"]),
                  (("score", self.t["last_printed"]), s["chair"]))
        for (first, last), lines in blocks:
            for i, text in enumerate(lines):
                italic = text.startswith("(")
                self.put(row + i, self.col[first], value=text, style="sign_italic" if italic else "sign_bold")
                self.merge(row + i, first, last)
        tallest = max(len(lines) for _, lines in blocks)
        end = row + tallest + int(s["room"])
        for r in range(row, end):
            self.lay.row_heights[r] = 18.0
        self.lay.keep_with_next.update(range(row - 1, end - 1))
        self.lay.last_row = end - 1

    def parent(self, row: int, code: str, title: str, maximum: Decimal, parts: list[str], level: str) -> None:
        self.put(row, self.col["code"], value=code, style=f"{level}_code")
        self.put(row, self.col["title"], value=title, style=f"{level}_title")
        self.put(row, self.col["max"], value=maximum, style=f"{level}_number")
        self.lay.max_cells[(row, self.col["max"])] = code
        self.put_own(row, self.col["score"], formula=f"ROUND(SUM({','.join(parts)}),2)", cached=self.res.nodes[code],
                     style=f"{level}_number")
        self.fit(row, [(title, "title", 11, True)])

    def item(self, row: int, leaf: Criterion, level: str) -> None:
        col, sub = self.col, self.sub
        district = leaf.scored_by == "district"
        parts = self.row_parts(leaf, row, level)
        key = leaf.name_key
        # (a cell of the row's memo without a name is appended here, as `put_blank` would append it)
        blanks, cells = parts.blanks, self.lay.cells
        cells += parts.cells  # code, title, maximum (and the district's mark)
        self.lay.max_cells[(row, col["max"])] = leaf.code
        self_points = sub.scores.get(leaf.code)
        if not district:
            kept_key: tuple[Any, ...] = ("self", _value_key(self_points))
            try:
                cell = blanks.get(kept_key)
            except TypeError:  # (a value that cannot be a key: `put_blank` puts it)
                cell = None
            if cell is None or cell.name:
                self.put_blank(parts, kept_key, row, col["self"], value=self_points, style="leaf_number")
            else:
                cells.append(cell)
        figures = "\n".join(self.figure_lines(leaf, parts.figure_labels))
        if figures or (cell := blanks.get(("figures", None))) is None or cell.name:
            self.put_text(parts, row, "figures", figures)
        else:
            cells.append(cell)
        evidence = sub.evidence.get(leaf.code, [])
        explanation = sub.explanations.get(leaf.code, "")
        text = "\n".join([*evidence, *([self.explanation_prefix + explanation] if explanation else [])])
        if text or (cell := blanks.get(("evidence", None))) is None or cell.name:
            self.put_text(parts, row, "evidence", text)
        else:
            cells.append(cell)
        if leaf.code in sub.evidence_links:
            self.lay.links[(row, col["evidence"])] = sub.evidence_links[leaf.code]
        # round 2: the round-1 decision, then the commune's answer and added evidence (plain text: a link cell
        # shows one line only)
        decision = [self.review.decisions[leaf.code], *self.review.answers.get(leaf.code, [])] \
            if self.review and leaf.code in self.review.decisions else []
        findings = "\n".join([*sub.findings.get(leaf.code, []), *decision])
        if findings or (cell := blanks.get(("findings", None))) is None or cell.name:
            self.put_text(parts, row, "findings", findings)
        else:
            cells.append(cell)
        value = self.inputs.scores.get(leaf.code)
        # round 2: only the contested items are the council's inputs, the others keep their round-1 decision
        open_ = self.review is None or leaf.code in self.review.contested
        self.put_blank(parts, ("score", open_, _value_key(value)), row, col["score"], value=value,
                       style="input_number" if open_ else "leaf_number", locked=not open_, name=f"TD_{key}")
        reason = self.inputs.reasons.get(leaf.code) or None
        if reason is None:  # (a blank reason: the same cell for every commune)
            self.put_blank(parts, ("reason", open_), row, col["reason"], style="input_text" if open_ else "method",
                           locked=not open_, name=f"LD_{key}")
        else:
            self.put_own(row, col["reason"], value=reason, style="input_text" if open_ else "method",
                         locked=not open_, name=f"LD_{key}")
        self.lay.items[leaf.code] = (row, col["score"])
        if parts.mark:  # the appraised score shows when it differs from the self-score
            self.lay.marks[(row, col["score"])] = parts.mark
        if not open_:  # round 2 shows the contested items; the others stay in the totals, their rows hidden
            self.lay.hidden_rows.add(row)
        status = self.res.status[leaf.code]
        if (cell := blanks.get(("status", status))) is None or cell.name:
            self.put_blank(parts, ("status", status), row, col["status"], formula=parts.status_formula,
                           cached=self.status_texts[status], style="status")
        else:
            cells.append(cell)
        # tall enough for every wrapped text of the row (those of the set: `parts.fixed_height`; fitting is a
        # maximum, so the two parts fit apart as together), and for the longest status it can show
        if parts.fixed_height:
            self.lay.row_heights[row] = max(parts.fixed_height, self.lay.row_heights.get(row, 0.0))
        if figures or text or findings or reason:  # (blank texts fit any row)
            self.fit_item(row, ((figures, "figures", 10), (text, "evidence", 10), (findings, "findings", 10),
                                (reason, "reason", 11)))
        self.lay.validations.append(parts.range_validation)

    def put(self, row: int, col: int, sheet: str = "sheet", **kw: Any) -> CellSpec:
        """`SheetBuilder.put`, a cell of the set, the template or the round made once per run (the run's memo
        holds it: its manifest item is made once); a commune's texts go through `put_own`."""
        memo = self.memo
        if memo is None:
            return super().put(row, col, sheet, **kw)
        # (the arguments, and the value's and cached result's types and texts: 1, True and Decimal("1.0") are
        # equal, but not one cell)
        value, cached = kw.get("value"), kw.get("cached")
        key = (sheet, row, col, tuple(kw.items()), type(value), str(value), type(cached), str(cached))
        try:
            cell = memo.cells.get(key)
        except TypeError:  # (a value that cannot be a key)
            return super().put(row, col, sheet, **kw)
        if cell is None:
            cell = CellSpec(sheet, row, col, **kw)
            if len(memo.cells) < _MEMO_BOUND:
                memo.cells[key] = memo.hold(cell)
        self.lay.cells.append(cell)
        if cell.name:
            self.lay.names[cell.name] = self.name_ref(sheet, row, col)
        return cell

    def ref(self, row: int, key: str) -> str:
        """`SheetBuilder.ref`, each reference made once per run (the run's memo keeps it)."""
        memo = self.memo
        if memo is None:
            return super().ref(row, key)
        found = memo.refs.get((row, key))
        if found is None:
            found = super().ref(row, key)
            if len(memo.refs) < _MEMO_BOUND:
                memo.refs[(row, key)] = found
        return found

    def merge(self, row: int, first: str, last: str) -> None:
        """`SheetBuilder.merge`, each range made once per run (the layouts' shapes compare by identity)."""
        memo = self.memo
        if memo is None:
            super().merge(row, first, last)
            return
        a, b = self.col[first], self.col[last]
        if b > a:
            found = memo.merges.get((row, a, b))
            if found is None:
                found = memo.merges[(row, a, b)] = Merge("sheet", row, a, row, b)
            self.lay.merges.append(found)

    def put_own(self, row: int, col: int, **kw: Any) -> CellSpec:
        """A cell of the commune's own (a text, a sum of its scores), made for this layout only."""
        return super().put(row, col, **kw)

    def fit_item(self, row: int, texts: tuple[tuple[Any, str, float], ...]) -> None:
        """`fit(row, texts)` of an item row's texts (each (text, column key, font size), none bold), their
        lines counted paragraph by paragraph through the run's memo: the same height as `fit_row` gives."""
        memo = self.memo
        if memo is None:
            self.fit(row, [(text, key, size, False) for text, key, size in texts])
            return
        known, tall = memo.lines, memo.heights
        if len(known) >= _MEMO_BOUND or len(tall) >= _MEMO_BOUND:
            known.clear()
            tall.clear()
        height = 0.0
        for text, key, size in texts:
            if type(text) is not str:
                if text is None:
                    continue
                self.fit(row, [(text, key, size, False) for text, key, size in texts])  # (the measure's own way)
                return
            if not text:
                continue
            width = self.width[key]
            found_height = tall.get((text, width, size))  # (a text met before: a figure's line, a document)
            if found_height is None:
                lines = 0
                for paragraph in text.split("\n"):
                    found = known.get((paragraph, width, size, False))
                    if found is None:
                        found = known[(paragraph, width, size, False)] = text_lines(paragraph, width, size, False)
                    lines += found
                # (`layout.row_height`, never `always`: one line leaves the row as it is)
                found_height = tall[(text, width, size)] = lines_height(lines, size) if lines > 1 else 0.0
            if found_height > height:
                height = found_height
        if height > DEFAULT_ROW_HEIGHT:
            heights = self.lay.row_heights
            heights[row] = max(height, heights.get(row, 0.0))

    def put_text(self, parts: _RowParts, row: int, key: str, text: str) -> None:
        """A text of the commune in column `key` of an item row (a blank one the same cell for every commune)."""
        if text:
            self.put_own(row, self.col[key], value=text, style="method")
        else:
            self.put_blank(parts, (key, None), row, self.col[key], style="method")

    def put_blank(self, parts: _RowParts, key: tuple[Any, ...], row: int, col: int, **kw: Any) -> None:
        """`put`, the cell made once per item row and `key` (which with the row says everything about it: the
        communes of a run repeat the same few scores)."""
        try:
            cell = parts.blanks.get(key)
        except TypeError:  # (a value that cannot be a key: a signalling NaN)
            self.put(row, col, **kw)
            return
        if cell is None:
            cell = CellSpec("sheet", row, col, **kw)
            if len(parts.blanks) < _ROW_CELLS:  # (bounded: a row of a thousand different scores keeps a few)
                parts.blanks[key] = cell
                if self.memo is not None:
                    self.memo.hold(cell)
        self.lay.cells.append(cell)
        if cell.name:
            self.lay.names[cell.name] = self.name_ref("sheet", row, col)

    def row_parts(self, leaf: Criterion, row: int, level: str) -> _RowParts:
        """What item `leaf`'s row at `row` has whatever the commune sent (from the run's memo when given)."""
        key = (leaf.code, row)
        found = self.memo.rows.get(key) if self.memo is not None else None
        if found is not None:
            return found
        checks = self.status_checks(leaf, row)
        status = self.t["status"]
        h, d = self.ref(row, "score"), self.ref(row, "self")
        longest_status = max((status[k] for k in ("ok", *(k for _, k in checks))), key=len)
        fixed: dict[int, float] = {}
        fit_row(fixed, row, [(leaf.title, self.width["title"], 11, level == "criterion"),
                             (longest_status, self.width["status"], 11, False),
                             (self.t["district_mark"] if leaf.scored_by == "district" else None, self.width["self"], 11,
                              False)])
        assert leaf.rule is not None
        validation = self.score_validation(leaf, h)
        parts = _RowParts(
            status_formula=self.status_formula(checks),
            mark="" if leaf.scored_by == "district" else f"AND(ISNUMBER({h}),NOT(ISTEXT({d})),{h}<>N({d}))",
            fixed_height=fixed.get(row, 0.0),
            figure_labels=tuple(spec.label for spec in leaf.rule.figures()),
            cells=(CellSpec("sheet", row, self.col["code"], value=leaf.code, style=f"{level}_code"),
                   CellSpec("sheet", row, self.col["title"], value=leaf.title, style=f"{level}_title"),
                   CellSpec("sheet", row, self.col["max"], value=leaf.max, style="leaf_number"),
                   *([CellSpec("sheet", row, self.col["self"], value=self.t["district_mark"], style="district")]
                     if leaf.scored_by == "district" else [])),
            range_validation=RangeValidation("sheet", row, self.col["score"], row, self.col["score"], validation))
        if self.memo is not None:
            self.memo.rows[key] = parts
            for cell in parts.cells:
                self.memo.hold(cell)
        return parts

    def figure_lines(self, leaf: Criterion, labels: tuple[str, ...]) -> list[str]:
        """The declared figures, each labelled by what it counts ("Số TTHC tiếp nhận: 129"; `labels`: its rule's
        figures' labels)."""
        values = self.sub.figures.get(leaf.code, [])
        known = self.memo.figure_lines if self.memo is not None else None
        if known is not None and len(known) >= _MEMO_BOUND:
            known.clear()
        lines = []
        for label, value in zip(labels, values, strict=False):
            if value not in (None, ""):
                found = known.get((label, value)) if known is not None and type(value) is str else None
                if found is None:
                    found = self.figure_line.format(label=label, value=_figure_text(value))
                    if known is not None and type(value) is str:
                        known[(label, value)] = found
                lines.append(found)
        return lines

    def status_checks(self, leaf: Criterion, row: int) -> list[tuple[str, str]]:
        """(condition, status key) in priority order: the Excel ends of `scores.item_checks`."""
        cells = ItemCells(score=self.ref(row, "score"), reason=self.ref(row, "reason"), self=self.ref(row, "self"))
        return excel_checks(leaf, item_checks(leaf), cells)

    def status_formula(self, checks: list[tuple[str, str]]) -> str:
        return status_chain(checks, self.t["status"])

    def score_validation(self, leaf: Criterion, ref: str) -> Validation:
        v, rule = self.t["validation"], leaf.rule
        assert rule is not None
        step = _num(rule.step())
        allowed = rule.allowed_points(leaf.max)
        if allowed:
            cond = "OR(" + ",".join(f"{ref}={_num(a)}" for a in allowed) + ")"
        else:
            cond = f"ABS({ref}/{step}-ROUND({ref}/{step},0))<0.000001"
        custom = f"AND(ISNUMBER({ref}),{ref}>=0,{ref}<={_num(leaf.max)},{cond})"
        return Validation("custom", source=custom, title=v["score_title"][:32],
                          prompt=v["score_prompt"].format(max=fmt(leaf.max), method=rule.describe(leaf.max))[:255],
                          error=v["score_error"].format(max=fmt(leaf.max))[:255])

    def validate(self, row: int, col: int, v: Validation) -> None:
        self.lay.validations.append(RangeValidation("sheet", row, col, row, col, v))

    def block(self, row: int, key: str, label: str, prefix: str) -> tuple[str | None, int]:
        block = getattr(self.cset, key)
        if block is None or not block.items:
            return None, row
        t, col = self.t, self.col
        self.put(row, col["title"], value=label.format(cap=fmt(block.cap)), style="criterion_title")
        self.lay.keep_with_next.update((row, row + 1))  # the label and the header print with the first item
        row += 1
        for column, text in zip(("code", "title", "max", "score", "figures", "reason"), t["adjust_header"], strict=True):
            self.put(row, col[column], value=text, style="header")
            self.fit(row, [(text, column, 11, True)])
        row += 1
        refs = []
        v = t["validation"]
        for item in block.items:
            self.put(row, col["code"], value=item.code, style="sub_code")
            self.put(row, col["title"], value=item.title, style="sub_title")
            self.fit(row, [(item.title, "title", 11, False), (self.inputs.reasons.get(item.code), "reason", 11, False)])
            self.put(row, col["max"], value=item.points, style="leaf_number")
            open_ = self.review is None  # round 2 keeps the round-1 bonus and penalty
            self.put(row, col["score"], value=self.inputs.counts.get(item.code),
                     style="input_count" if open_ else "leaf_count", locked=not open_, name=f"{prefix}_{item.code}")
            self.put(row, col["reason"], value=self.inputs.reasons.get(item.code) or None,
                     style="input_text" if open_ else "method", locked=not open_, name=f"LD_{item.code}")
            self.lay.counts[item.code] = (row, col["score"])
            self.validate(row, col["score"], Validation("whole", minimum=0, maximum=1000, title=v["count_title"],
                                                       prompt=v["count_prompt"], error=v["count_error"]))
            self.put(row, col["figures"], formula=f"ROUND(N({self.ref(row, 'score')})*{self.ref(row, 'max')},2)",
                     cached=self.res.adjustments[item.code], style="leaf_number")
            refs.append(self.ref(row, "figures"))
            row += 1
        self.put(row, col["title"], value=label.format(cap=fmt(block.cap)), style="total_label")
        self.put(row, col["score"], formula=f"MIN({_num(block.cap)},ROUND(SUM({','.join(refs)}),2))",
                 cached=getattr(self.res, key), style="total_number", name=f"{prefix}_TONG")
        return self.ref(row, "score"), row + 2




def _value_key(value: Any) -> tuple[Any, ...]:
    """A cell value as a memo's key: its type and text too (1, True and Decimal("1.0") are equal keys)."""
    return type(value), value, str(value)


def body_in_full(body: str, abbreviations: dict[str, str]) -> str:
    """"UBND huyện Phù Yên" as a document heading writes it: "Ủy ban nhân dân huyện Phù Yên"."""
    first, _, rest = body.strip().partition(" ")
    return f"{abbreviations[first]} {rest}".strip() if first in abbreviations else body.strip()


def _figure_text(value: str) -> str:
    """A stored figure as the sheet shows numbers (a count as an integer, a decimal with ","); text as typed."""
    try:
        return fmt(Decimal(value))
    except ArithmeticError:
        return value


def build_appraisal_layout(cset: CriteriaSet, commune: Commune, sub: SubmissionView,
                           inputs: AppraisalInputs, review: Round2View | None = None,
                           identity: RoundIdentity = NEUTRAL, memo: LayoutMemo | None = None) -> AppraisalLayout:
    """The council's workbook: round 1 (every item an input), or round 2 (`review`: contested items only);
    its texts name the round's body (`identity`). `memo`: the run's (`LayoutMemo`), for a batch."""
    return _Builder(cset, commune, sub, inputs, review, identity, memo).build()


# -- signing -------------------------------------------------------------------------------------
def sign(meta: dict[str, str], key: bytes, keys: tuple[str, ...] = META_KEYS) -> str:
    """The HMAC over the kind's signed keys (`keys`: META_KEYS, ROUND2_META_KEYS, the answer workbook's),
    every key always signed."""
    return signing.sign(meta, key, keys, optional=())


def verify(meta: dict[str, str], key: bytes, keys: tuple[str, ...] = META_KEYS) -> bool:
    return signing.verify(meta, key, keys, optional=())


def make_meta(lay: AppraisalLayout, settings: Settings, at: dt.datetime, kind: str = KIND,
              keys: tuple[str, ...] = META_KEYS, extra: dict[str, str] | None = None,
              template_name: str = "appraisal", memo: LayoutMemo | None = None) -> dict[str, str]:
    """(`memo`: the run's, when it was made for `lay`'s set: its fingerprint is computed once.)"""
    fingerprint = set_fingerprint(lay.cset)  # (made once per set)
    meta = {"kind": kind, "commune_code": lay.commune.code, "commune_name": lay.commune.name,
            "commune_kind": lay.commune.kind, "set_id": lay.cset.id, "set_version": lay.cset.version,
            "set_sha256": fingerprint, "submission_id": str(lay.submission.id),
            "submission_sha256": lay.submission.sha256,
            "template_version": str(template(template_name)["template_version"]),
            "generated_at": at.replace(microsecond=0).isoformat(), "key_id": settings.key_id,
            "digest": lay.digest(memo), **(extra or {})}
    meta["hmac"] = sign(meta, settings.key, keys)
    return meta


# -- writer -----------------------------------------------------------------------------------------
# The minutes' own styles, over the commune workbook's (`CommuneWorkbookWriter.style_props`).
CHANGED = "#F8CBAD"
MINUTES_STYLES: dict[str, dict[str, Any]] = {
    "head_center": {"align": "center", "valign": "vcenter", "text_wrap": True},
    "head_bold": {"align": "center", "valign": "vcenter", "bold": True, "text_wrap": True},
    "head_italic": {"align": "center", "valign": "vcenter", "italic": True},
    "minutes_title": {"align": "center", "valign": "vcenter", "bold": True, "font_size": 14},
    "minutes_subject": {"align": "center", "valign": "vcenter", "bold": True, "text_wrap": True},
    "minutes_sub": {"align": "center", "valign": "vcenter", "italic": True, "text_wrap": True},
    "label_right": {"bold": True, "align": "right", "valign": "vcenter"},
    "sign_bold": {"align": "center", "bold": True},
    "sign_italic": {"align": "center", "italic": True},
    "input_count": {"border": 1, "bg_color": "#FFF2CC", "num_format": "0", "align": "center", "locked": False},
    "changed": {"bold": True, "bg_color": CHANGED},
    "link": {"border": 1, "text_wrap": True, "font_size": 10, "font_color": "blue", "underline": 1},
}


class _StyleTable(Mapping[str, dict[str, Any]]):
    """Every style an appraisal-path workbook uses, with its font (for `sheetkit.Formats`)."""

    def __getitem__(self, style: str) -> dict[str, Any]:
        if style in MINUTES_STYLES:
            return {**font(11, valign="top"), **MINUTES_STYLES[style]}
        return CommuneWorkbookWriter.style_props(style)

    def __iter__(self) -> Iterator[str]:
        return iter(MINUTES_STYLES)

    def __len__(self) -> int:
        return len(MINUTES_STYLES)


MARGINS = Margins(top=15.0, bottom=15.0, left=15.0, right=10.0)  # landscape working minutes, bound on the left


class AppraisalWorkbookWriter:
    """Writes an appraisal-path layout (the council's workbooks of both rounds, the commune's answer workbook):
    every sheet of `lay.sheets`, the very hidden signed metadata last. `kind`, `keys` and `extra_meta` say what
    the metadata carries and signs; `template_name` whose column widths and texts apply."""

    def __init__(self, lay: AppraisalLayout, settings: Settings, at: dt.datetime | None = None, *, kind: str = KIND,
                 keys: tuple[str, ...] = META_KEYS, extra_meta: dict[str, str] | None = None,
                 template_name: str = "appraisal", memo: LayoutMemo | None = None):
        self.lay, self.settings = lay, settings
        self.at = at or dt.datetime.now(dt.UTC)
        self.kind, self.keys, self.extra_meta, self.template_name = kind, keys, extra_meta or {}, template_name
        self.t = template(template_name)
        self.memo = memo

    def write(self, path: Path) -> dict[str, str]:
        meta = self.meta()
        with atomic_path(path) as tmp:
            self.render(str(tmp), meta, path.parent)
        return meta

    def meta(self) -> dict[str, str]:
        """The signed metadata the workbook carries (made at `self.at`)."""
        return make_meta(self.lay, self.settings, self.at, self.kind, self.keys, self.extra_meta, self.template_name,
                         self.memo)

    def render(self, target: str | IO[bytes], meta: dict[str, str], folder: Path) -> Rendered:
        """The workbook with this metadata into a file name or a binary stream; its links relative to
        `folder` (where the workbook goes)."""
        # the workbook structure locked too, as the commune workbook's: no sheet unhidden, added or removed
        wb = _ProtectedWorkbook(target, {**workbook_options(), "in_memory": True})  # no temporary part files
        wb.structure_password = self.settings.sheet_password
        formats = Formats(wb, _StyleTable(), base={})
        texts = {(c.row, c.col): c.value for c in self.lay.cells if c.sheet == "sheet"}
        sheets = {key: Sheet(wb.add_worksheet(name), formats)
                  for key, name in self.lay.sheets.items() if key != "meta"}
        ws = sheets["sheet"]
        meta_ws = wb.add_worksheet(self.lay.sheets["meta"])
        styles = {(c.sheet, c.row, c.col): c.style for c in self.lay.cells}
        for m in self.lay.merges:  # blank in the first cell's style; the cell itself is written next
            write_merge(sheets[m.sheet].ws, m, formats[styles[(m.sheet, m.first_row, m.first_col)]])
        for cell in self.lay.cells:
            _cell(sheets[cell.sheet], cell)
        for (row, col), target_path in self.lay.links.items():
            ws.ws.write_url(row, col, link_url(target_path, folder), formats["link"],
                            string=link_text(texts[(row, col)]))
        for (row, col), condition in self.lay.marks.items():
            ws.ws.conditional_format(row, col, row, col, {"type": "formula", "criteria": "=" + condition,
                                                          "format": formats["changed"]})
        for rv in self.lay.validations:
            sheets[rv.sheet].ws.data_validation(rv.first_row, rv.first_col, rv.last_row, rv.last_col,
                                                validation_options(rv, self.t["validation"]["error_title"]))
        for name, ref in self.lay.names.items():
            wb.define_name(name, "=" + ref)
        for i, key in enumerate((*self.keys, "hmac")):
            meta_ws.write_string(i, 0, key)
            meta_ws.write_string(i, 1, meta.get(key, ""))
        self._setup(ws)
        if "register" in sheets:
            self._setup_register(sheets["register"])
        for (sheet, row), height in self.lay.sheet_heights.items():
            sheets[sheet].ws.set_row(row, height)
        for sheet in sheets.values():
            sheet.protect(self.settings.sheet_password, format_columns=True, format_rows=True)
        meta_ws.protect(self.settings.sheet_password)
        meta_ws.very_hidden()
        ws.ws.activate()
        wb.close()
        return Rendered(wb, formats, ws.ws)

    def _setup(self, sheet: Sheet) -> None:
        ws, lay = sheet.ws, self.lay
        widths = self.t.columns.widths
        sheet.columns(widths)
        for row, height in lay.row_heights.items():
            ws.set_row(row, height)
        for row in sorted(lay.hidden_rows):
            ws.set_row(row, lay.row_heights.get(row), None, {"hidden": True})
        ws.freeze_panes(lay.header_row + 1, 2)
        setup, (printed, last_row) = main_setup(lay, widths)
        setup.apply(ws, print_area=(0, 0, last_row, printed - 1))
        ws.set_h_pagebreaks(page_break_rows(lay, setup, last_row))

    def _setup_register(self, sheet: Sheet) -> None:
        r = self.t["register"]
        widths = r.columns.widths
        sheet.columns(widths)
        sheet.ws.freeze_panes(r["first_row"] - 1, 1)
        printed = r.columns.last_printed.index + 1  # the check column is for the screen
        last_row = r["first_row"] - 2 + r["rows"]
        # one page: its rows are as many as a page holds at about the scale the columns allow
        setup = replace(_print_setup(widths[:printed], r["first_row"] - 2), fit_width=1, fit_height=1)
        setup.apply(sheet.ws, print_area=(0, 0, last_row, printed - 1))


def main_setup(lay: AppraisalLayout, widths: list[float]) -> tuple[PageSetup, tuple[int, int]]:
    """How the main sheet prints (all of the set's and the template's), and (columns printed, last row printed)."""
    printed = lay.print_cols or len(widths)
    last_row = lay.last_row or max(c.row for c in lay.cells if c.sheet == "sheet")
    return _print_setup(widths[:printed], lay.header_row), (printed, last_row)


def page_break_rows(lay: AppraisalLayout, setup: PageSetup, last_row: int) -> list[int]:
    """The rows the main sheet's pages break before (its row heights: the commune's)."""
    heights = [0.0 if r in lay.hidden_rows else lay.row_heights.get(r, DEFAULT_ROW_HEIGHT)
               for r in range(last_row + 1)]
    return _breaks(setup, heights, lay.header_row, lay.keep_with_next)


def _print_setup(widths: list[float], header_row: int) -> PageSetup:
    """A4 landscape at the largest whole scale at which the printed columns fit across (no fitting by the
    program, which would ignore the page breaks made for it), the header row repeated, pages x/y."""
    setup = PageSetup(landscape=True, margins=MARGINS, fit_width=0, repeat_rows=(header_row, header_row))
    return replace(setup, scale=print_scale(widths, setup))


def _breaks(setup: PageSetup, heights: list[float], header_row: int, keep: set[int]) -> list[int]:
    height_pt = printable_px(setup)[1] * 0.75  # 96 px to 72 pt an inch
    # in points at 100 %, with room to spare for the programs' own row heights and footer
    capacity = height_pt * 0.94 / (setup.scale / 100)
    return page_breaks(heights, capacity, heights[header_row], keep)


@dataclass(frozen=True)
class Rendered:
    """An XlsxWriter render (closed): the workbook, its formats by style, the main sheet."""

    workbook: Any
    formats: Formats
    main: Any


def link_url(target: str, folder: Path) -> str:
    """An evidence link as written into the workbook in `folder`."""
    return "external:" + relative_link(target, folder)


def link_text(text: Any) -> str:
    """What a link cell shows (Excel keeps 255 characters of a link's text)."""
    return str(text)[:255]


def relative_link(target: str, folder: Path) -> str:
    """A link target as seen from the workbook's folder (the link survives the round's folder being moved or
    copied); the absolute path when there is no relative one (another drive)."""
    try:
        return os.path.relpath(target, folder)
    except ValueError:
        return target


def _cell(sheet: Sheet, cell: CellSpec) -> None:
    if cell.formula is not None:
        sheet.formula(cell.row, cell.col, cell.formula, cell.style, cell.cached)
    elif isinstance(cell.value, str):
        sheet.text(cell.row, cell.col, cell.value, cell.style)
    elif isinstance(cell.value, dt.date):
        sheet.date(cell.row, cell.col, cell.value, cell.style)
    else:
        sheet.number(cell.row, cell.col, cell.value, cell.style)


def appraisal_file_name(commune: Commune, round2: bool = False) -> str:
    suffix = template("appraisal")["round2_file_suffix" if round2 else "file_suffix"]
    return f"{output_stem(commune.code, commune.name)}{suffix}.xlsx"
