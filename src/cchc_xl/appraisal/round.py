"""`appraise prepare / import / finalize / reopen / history`: the appraisal round over the store."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from cchc_xl.appraisal.package import CouncilPackage
from cchc_xl.appraisal.package import enabled as fast_council
from cchc_xl.appraisal.scores import AppraisalInputs, AppraisalResult, count_value, evaluate_appraisal
from cchc_xl.appraisal.workbook import (
    KIND,
    KIND_ROUND2,
    META_KEYS,
    ROUND2_META_KEYS,
    AppraisalLayout,
    AppraisalWorkbookWriter,
    LayoutMemo,
    SubmissionView,
    appraisal_file_name,
    build_appraisal_layout,
    verify,
)
from cchc_xl.collector import batch_collection
from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.identity import RoundIdentity
from cchc_xl.importing.findings import Findings
from cchc_xl.importing.inputs import nfc, raw_value
from cchc_xl.importing.stages import (
    Declared,
    Evaluated,
    Identified,
    Opened,
    Source,
    import_workbook,
    sha256_file,
    unbounded,
)
from cchc_xl.importing.verify import check_locked, check_signature, layout_extent, read_meta, same_set
from cchc_xl.messages import error_detail, say
from cchc_xl.numbers import fmt, parse_text_number
from cchc_xl.reading.book import Book
from cchc_xl.reading.safety import Limits
from cchc_xl.records import Finding, outcome
from cchc_xl.safeio import clean_leftovers
from cchc_xl.scoring import Raw, trimmed_text
from cchc_xl.settings import Settings
from cchc_xl.store import AppraisedScore, Store, StoredSubmission
from cchc_xl.store_records import RegisterEntry
from cchc_xl.workbook.layout import PLACEHOLDER, build_layout
from cchc_xl.workbook.template_cache import SWITCH as FAST_LAYOUT
from cchc_xl.workers import WorkerDied, in_workers


# -- prepare ----------------------------------------------------------------------------------------
def submission_view(store: Store, sub: StoredSubmission) -> SubmissionView:
    declared = sub.declared
    evidence: dict[str, list[str]] = {}
    links: dict[str, str] = {}
    base = declared.evidence_path
    for row in declared.evidence_register:
        evidence.setdefault(row.criterion, []).append(register_line(row))
        if base and row.files and row.criterion not in links:
            path = Path(base)
            links[row.criterion] = str(path / row.files[0]) if path.is_dir() else str(path)
    findings: dict[str, list[str]] = {}
    for f in store.findings(sub.id):
        if f.criterion:
            findings.setdefault(f.criterion, []).append(f.message)
    return SubmissionView(
        id=sub.id, sha256=sub.file_sha256, file_name=sub.file_name,
        scores=dict(sub.scores),
        # a blank figure keeps its place: the second figure stays the second
        figures={c: ["" if x is None else x for x in leaf.figures] for c, leaf in declared.leaves.items()},
        explanations={c: leaf.explanation for c, leaf in declared.leaves.items() if leaf.explanation},
        evidence=evidence, evidence_links=links, findings=findings)


def register_line(row: RegisterEntry) -> str:
    """One stored evidence-register row as the council reads it: "12/KH-UBND (15/01/2022): kh.pdf"."""
    date = row.date or row.date_text
    if date and "-" in date:
        y, m, d = date.split("-")
        date = f"{d}/{m}/{y}"
    return f"{row.number} ({date}): {'; '.join(row.files)}".strip()


class OtherSetError(ValueError):
    """The store's accepted submissions are of another criteria set than the one to appraise with."""


@dataclass
class Prepared:
    """What `prepare` did: the workbooks written, the communes skipped (return not accepted, or round final),
    those whose workbook could not be made, each (code, why in Vietnamese) — all in the store's commune order."""

    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class CouncilJob:
    """One commune's council workbook to make: what the store says of it, read by the calling process (`why`:
    the reason it cannot be made, found while reading)."""

    code: str
    path: Path
    commune: Commune | None = None
    view: SubmissionView | None = None
    why: str = ""


@dataclass
class CouncilWorkbookMaker:
    """Writes the council's round-1 workbook of a `CouncilJob` (atomically) in this process or a worker of
    `prepare --jobs`; answers the job's failure (its text) instead of raising: one commune never stops the
    batch. Holds the run's `LayoutMemo` (None: the plain path, `CCHC_XL_FAST_LAYOUT=0`) and the run's
    `CouncilPackage` (made in the process that writes; None: the plain writer, `CCHC_XL_FAST_COUNCIL=0`)."""

    cset: CriteriaSet
    settings: Settings
    identity: RoundIdentity
    at: dt.datetime
    memo: LayoutMemo | None
    fast: bool = True
    _package: CouncilPackage | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_package": None}  # a spawned worker makes its own (from its first workbook)

    def __call__(self, job: CouncilJob) -> CouncilJob:
        if job.why or job.commune is None or job.view is None:
            return job
        try:
            view = job.view
            prefill = AppraisalInputs(scores={leaf.code: view.scores.get(leaf.code)
                                              for leaf in self.cset.commune_leaves()})
            layout = build_appraisal_layout(self.cset, job.commune, view, prefill, identity=self.identity,
                                            memo=self.memo)
            self.write(layout, job.path)
        except Exception as exc:  # this commune's workbook only: the batch goes on
            return replace(job, commune=None, view=None, why=error_detail(exc))
        return replace(job, commune=None, view=None)  # the summary only goes back

    def write(self, layout: AppraisalLayout, path: Path) -> None:
        """The workbook through the run's package when it can take it, else the plain writer."""
        if self.fast:
            if self._package is None:
                self._package = CouncilPackage(self.settings, self.at, self.memo)
            try:
                self._package.write(layout, path)
                return
            except Exception:  # (PackageMismatch, or anything unforeseen: nothing was written)
                pass  # the plain writer writes it, or gives the error the commune is told
        AppraisalWorkbookWriter(layout, self.settings, self.at, memo=self.memo).write(path)


def prepare(store: Store, cset: CriteriaSet, out_dir: Path, settings: Settings, at: dt.datetime | None = None,
            jobs: int = 1) -> Prepared:
    """One appraisal workbook per commune whose latest submission is accepted. `at`: the time the workbooks
    carry as made (default: now, once for the whole run). `jobs` > 1: the workbooks are written by that many
    worker processes; this process alone reads the store (`workers.in_workers`), and the files are a
    one-process run's.

    OtherSetError, before anything is written, when an accepted submission is of another set than `cset`;
    workers.WorkerDied when a worker process died (the workbooks written so far stay)."""
    done = Prepared()
    # each commune's latest submission by its id and status: what it declared is read again when its workbook
    # is made (a round of ten thousand communes' declared values is a gigabyte)
    latest: list[tuple[str, int, str]] = []
    other: list[str] = []
    for code in store.commune_codes():  # each commune's row on its own: one this version cannot read is named
        try:
            sub = store.latest_head(code)  # (its declared values read once, when its workbook is made)
        except Exception as exc:  # (a row edited by hand, or of a newer version)
            done.failed.append((code, error_detail(exc)))
            continue
        if sub is not None:
            latest.append((sub.commune_code, sub.id, sub.status))
            if sub.status != "rejected" and (sub.set_id, sub.set_version) != (cset.id, cset.version):
                other.append(sub.commune_code)
    if other:
        raise OtherSetError(say("appraise.other_set", set=f"{cset.id} {cset.version}", codes=", ".join(other)))
    identity = RoundIdentity.of_round(store.round())  # the body the council's workbooks name
    maker = CouncilWorkbookMaker(cset, settings, identity, at or dt.datetime.now(dt.UTC), run_memo(cset, identity),
                                 fast_council())
    states = store.states()

    def council_jobs() -> Iterator[CouncilJob]:
        for commune_code, submission_id, status in latest:
            if status == "rejected" or states.get(commune_code) == "final":
                done.skipped.append(commune_code)
                continue
            code, name, kind = store.commune(commune_code) or (commune_code, "", "xã")
            commune = Commune(code=code, name=name, kind=kind)
            path = out_dir / appraisal_file_name(commune)
            try:
                sub = store.submission(submission_id)
                job = CouncilJob(commune_code, path, commune, submission_view(store, sub)) if sub is not None \
                    else CouncilJob(commune_code, path, why=say("appraise.submission_gone"))  # (withdrawn meanwhile)
            except Exception as exc:  # (a store row this version cannot read)
                job = CouncilJob(commune_code, path, why=error_detail(exc))
            yield job

    clean_leftovers(out_dir)  # the temporary files of a run killed mid-write
    try:
        with batch_collection():
            for job in in_workers(council_jobs(), maker, jobs):
                if job.why:
                    done.failed.append((job.code, job.why))
                else:
                    done.written.append(job.path)
    except WorkerDied:
        clean_leftovers(out_dir)  # the dead worker's half-written file
        raise
    return done


def run_memo(cset: CriteriaSet, identity: RoundIdentity) -> LayoutMemo | None:
    """The council layouts' memo for one run of `prepare` or `import` (None: `CCHC_XL_FAST_LAYOUT=0`)."""
    return LayoutMemo(cset, identity) if os.environ.get(FAST_LAYOUT, "1") != "0" else None


# -- import -----------------------------------------------------------------------------------------
@dataclass
class AppraisalOutcome:
    file: str
    path: Path
    sha256: str
    commune_code: str | None = None
    findings: list[Finding] = field(default_factory=list)
    result: AppraisalResult | None = None
    recorded: bool = False
    changed: int = 0

    @property
    def status(self) -> str:
        return outcome(self.findings)


def import_appraisals(store: Store, cset: CriteriaSet, folder: Path, settings: Settings,
                      at: dt.datetime | None = None) -> list[AppraisalOutcome]:
    at = at or dt.datetime.now().astimezone()
    outcomes = []
    first_of: dict[str, AppraisalOutcome] = {}  # commune -> its first appraisal file of this run
    identity = RoundIdentity.of_round(store.round())  # as `prepare` named the body
    kind = CouncilWorkbook(store, cset, settings, identity, first_of, appraisal_limits(cset), run_memo(cset, identity))
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in {".xlsx", ".xlsm", ".ods"}
                       and not p.name.startswith(("~$", "."))):
        out = AppraisalOutcome(file=str(PurePosixPath(folder.name) / path.name), path=path, sha256=sha256_file(path))
        found = Findings()
        try:
            _import_one(out, kind, found, at)
        except Exception as exc:  # one bad file never stops the round
            found.add("file.unreadable", detail=error_detail(exc))
        out.findings = found.items
        outcomes.append(out)
        if out.commune_code and out.commune_code not in first_of:
            first_of[out.commune_code] = out
    _flag_second_files(outcomes, first_of)
    return outcomes


def _import_one(out: AppraisalOutcome, kind: CouncilWorkbook, found: Findings, at: dt.datetime) -> None:
    """One council workbook through the import stages, then its record (none for a finalized round)."""
    imported = import_workbook(kind, Source(path=out.path, size=out.path.stat().st_size, limits=kind.limits,
                                            found=found))
    council = imported.identity
    out.commune_code = council.commune_code if council else None
    out.result = imported.evaluation
    if imported.failure is not None:
        raise imported.failure
    target = council.target if council else None
    if target is None or imported.declarations is None or imported.evaluation is None or target.finalized:
        return
    _record(out, kind.store, kind.cset, target, imported.declarations, imported.evaluation, found, at)


def _flag_second_files(outcomes: list[AppraisalOutcome], first_of: dict[str, AppraisalOutcome]) -> None:
    """The first file of a commune is told about the others (refused by `CouncilWorkbook._target`)."""
    for code, first in first_of.items():
        others = [o.file for o in outcomes if o.commune_code == code and o is not first]
        if others:
            f = Findings()
            f.add("appraisal.duplicate_kept", commune=code, files=", ".join(others))
            first.findings = [*first.findings, *f.items]


def appraisal_limits(cset: CriteriaSet) -> Limits:
    """Container limits for appraisal workbooks of `cset`: cells bounded to the layout's extent (or the
    commune workbook's, when larger: one put in the folder by mistake gets its own clear finding)."""
    empty = SubmissionView(id=0, sha256="", file_name="", scores={}, figures={}, explanations={}, evidence={},
                           evidence_links={}, findings={})
    rows, cols = layout_extent(build_appraisal_layout(cset, PLACEHOLDER, empty, AppraisalInputs()))
    commune_rows, commune_cols = layout_extent(build_layout(cset, PLACEHOLDER))
    return Limits().with_extent(max(rows, commune_rows), max(cols, commune_cols))


@dataclass(frozen=True)
class CouncilTarget:
    """The return a council workbook appraises, and the layout the file must have."""

    meta: dict[str, str]
    submission: StoredSubmission
    round2: bool  # the council's decision on contested items (explanation round)
    view: SubmissionView
    layout: AppraisalLayout
    request_id: int | None  # round 2: the explanation request it decides on
    finalized: bool  # the commune's round is locked: checked, never recorded


@dataclass(frozen=True)
class CouncilFile:
    """Whose council workbook a file is (`target` None: known by its code only, it goes no further)."""

    commune_code: str | None
    target: CouncilTarget | None = None


def council_signed(meta: dict[str, str], key: bytes) -> bool:
    """The council workbook's signed keys verified: round 1's, or round 2's (which also name the answer)."""
    return verify(meta, key, ROUND2_META_KEYS if meta.get("kind") == KIND_ROUND2 else META_KEYS)


@dataclass
class CouncilWorkbook:
    """The council's workbook (both rounds) as a kind of the import stages (`importing/stages.py`):
    identify: its signed kind and keys, the stored submission it appraises, the layout rebuilt from the
    store; declare: locked cells, then the council's inputs; evaluate: `scores.evaluate_appraisal`; findings:
    each item's status, the appraiser, the counts, a finalized round."""

    store: Store
    cset: CriteriaSet
    settings: Settings
    identity: RoundIdentity  # the body the workbooks name
    first_of: dict[str, AppraisalOutcome]  # commune -> its first file of this run (a second one is refused)
    limits: Limits
    memo: LayoutMemo | None = None  # the run's: each round-1 file's layout is built with it

    def identify(self, opened: Opened) -> Identified[CouncilFile] | None:
        meta, found = read_meta(opened.book), opened.found
        if meta is None or meta.get("kind") not in (KIND, KIND_ROUND2):
            found.add("appraisal.not_appraisal")
            return None
        code = meta.get("commune_code")
        target = self._target(meta, code, found)
        return opened.then(Identified, identity=CouncilFile(code, target), complete=target is not None)

    def _target(self, meta: dict[str, str], code: str | None, found: Findings) -> CouncilTarget | None:
        """(The file's findings added on the way; None when it is no council workbook of this round's set
        and store, or a second one of its commune.)"""
        round2 = meta.get("kind") == KIND_ROUND2
        if code in self.first_of:  # two files for one commune in one run: never a silent supersede
            found.add("appraisal.duplicate", commune=code, first=self.first_of[code].file)
            return None
        check_signature(meta, self.settings, found, council_signed)
        if not same_set(meta, self.cset, found):
            return None
        store = self.store
        sub = store.submission(int(meta.get("submission_id") or 0))
        if sub is None or sub.commune_code != code:
            found.add("appraisal.unknown_submission", commune=code or "?")
            return None
        latest = store.latest(sub.commune_code)
        if latest is not None and latest.id != sub.id:
            found.add("appraisal.stale", version=sub.version, latest=latest.version)
        known_code, name, kind = store.commune(sub.commune_code) or (sub.commune_code, "", "xã")
        commune = Commune(code=known_code, name=meta.get("commune_name") or name,
                          kind=meta.get("commune_kind") or kind)
        view = submission_view(store, sub)
        made = _expected_layout(store, self.cset, meta, commune, view, round2, found, self.identity, self.memo)
        if made is None:
            return None
        return CouncilTarget(meta, sub, round2, view, made[0], made[1], store.state(sub.commune_code) == "final")

    def declare(self, identified: Identified[CouncilFile]) -> Declared[CouncilFile, AppraisalInputs]:
        target = identified.identity.target
        assert target is not None  # (complete)
        check_locked(identified.book, target.layout, identified.found)
        return identified.then(Declared, declarations=read_inputs(identified.book, target.layout, identified.found))

    def evaluate(self, declared: Declared[CouncilFile, AppraisalInputs]
                 ) -> Evaluated[CouncilFile, AppraisalInputs, AppraisalResult]:
        target = declared.identity.target
        assert target is not None
        return declared.then(Evaluated, evaluation=evaluate_appraisal(self.cset, target.view.scores,
                                                                      declared.declarations))

    def findings(self, evaluated: Evaluated[CouncilFile, AppraisalInputs, AppraisalResult]) -> list[Finding]:
        target = evaluated.identity.target
        assert target is not None
        found = unbounded()
        _item_findings(self.cset, target.view, evaluated.declarations, target.layout, evaluated.evaluation, found)
        if target.finalized:
            found.add("appraisal.finalized", commune=target.submission.commune_code)
        return found.items


def _expected_layout(store: Store, cset: CriteriaSet, meta: dict[str, str], commune: Commune, view: SubmissionView,
                     round2: bool, found: Findings, identity: RoundIdentity,
                     memo: LayoutMemo | None = None) -> tuple[AppraisalLayout, int | None] | None:
    """The layout the file was made with (round 1: every item; round 2: the contested ones) and the
    explanation request it answers; None when a round-2 file matches no request."""
    if round2:
        from cchc_xl.appraisal.explanation import expected_round2  # it builds on this module

        made = expected_round2(store, cset, meta, commune, view, found, identity)
        if made is None:
            return None
        expected, review = made
        return expected, review.request_id
    prefill = AppraisalInputs(scores={leaf.code: view.scores.get(leaf.code) for leaf in cset.commune_leaves()})
    return build_appraisal_layout(cset, commune, view, prefill, identity=identity, memo=memo), None


def _record(out: AppraisalOutcome, store: Store, cset: CriteriaSet, target: CouncilTarget, inputs: AppraisalInputs,
            result: AppraisalResult, found: Findings, at: dt.datetime) -> None:
    """The appraisal in the store: every item's self and appraised points, the bonus and penalty counts."""
    sub, view = target.submission, target.view
    scores = [AppraisedScore(leaf.code, view.scores.get(leaf.code), result.points.get(leaf.code),
                             inputs.reasons.get(leaf.code, ""),
                             leaf.scored_by == "commune" and result.points.get(leaf.code) is not None
                             and result.points[leaf.code] != (view.scores.get(leaf.code) or Decimal(0)))
              for leaf in cset.leaves()]
    out.changed = sum(s.changed for s in scores)
    adjustments = []
    for key, block in (("bonus", cset.bonus), ("penalty", cset.penalty)):
        for item in block.items if block else []:
            adjustments.append((item.code, key, int(count_value(inputs.counts.get(item.code))),
                                result.adjustments.get(item.code, Decimal(0))))
    status = "rejected" if found.has_error else "accepted"
    _, out.recorded = store.record_appraisal(
        commune_code=sub.commune_code, submission_id=sub.id, file_name=out.file, sha256=out.sha256,
        appraiser=inputs.appraiser, imported_at=at.isoformat(), status=status,
        total=result.total, tier=result.tier, bonus=result.bonus, penalty=result.penalty, scores=scores,
        adjustments=adjustments, findings=[f.model_dump() for f in found.items],
        stage="round2" if target.round2 else "round1", request_id=target.request_id)


def read_inputs(book: Book, lay: AppraisalLayout, found: Findings) -> AppraisalInputs:
    """Council inputs at the layout's cells (check_locked reports a defined name moved elsewhere; a
    re-save that lost the names is read the same way)."""
    sheet = lay.sheets["sheet"]
    by_name = bool(book.names) and any(n.startswith("TD_") for n in book.names or {})
    if book.names is not None and not by_name:
        found.add("names.lost")

    def get(name: str, row: int, col: int) -> Any:
        return book.value(sheet, row, col)

    scores: dict[str, Raw] = {}
    reasons: dict[str, str] = {}
    for leaf in lay.cset.leaves():
        row, col = lay.items[leaf.code]
        raw = raw_value(get(f"TD_{leaf.name_key}", row, col))
        if isinstance(raw, str) and (number := parse_text_number(raw)) is not None:
            found.add("score.text_number", criterion=leaf.code, cell=lay.cell_ref(row, col), got=raw, value=number)
            raw = number
        scores[leaf.code] = raw
        reason = get(f"LD_{leaf.name_key}", row, lay.reason_col)
        reasons[leaf.code] = "" if reason is None else trimmed_text(nfc(str(reason)))
    counts: dict[str, Raw] = {}
    for key, block in (("TH", lay.cset.bonus), ("TR", lay.cset.penalty)):
        for item in block.items if block else []:
            row, col = lay.counts[item.code]
            raw = raw_value(get(f"{key}_{item.code}", row, col))
            if isinstance(raw, str):
                raw = parse_text_number(raw) or raw
            counts[item.code] = raw
            reason = get(f"LD_{item.code}", row, lay.reason_col)
            reasons[item.code] = "" if reason is None else trimmed_text(nfc(str(reason)))
    r, c = lay.appraiser_cell
    appraiser = get("NGUOI_THAM_DINH", r, c)
    return AppraisalInputs(scores=scores, reasons=reasons, counts=counts,
                           appraiser="" if appraiser is None else nfc(str(appraiser)).strip())


def _item_findings(cset: CriteriaSet, view: SubmissionView, inputs: AppraisalInputs, lay: AppraisalLayout,
                   result: AppraisalResult, found: Findings) -> None:
    """The appraiser, each item's status, each count that is no whole number."""
    if not inputs.appraiser:
        found.add("appraisal.appraiser_missing", cell=lay.cell_ref(*lay.appraiser_cell))
    for leaf in cset.leaves():
        status = result.status[leaf.code]
        if status == "ok":
            continue
        cell = lay.cell_ref(*lay.items[leaf.code])
        value = inputs.scores.get(leaf.code)
        if status == "reason_missing":
            cell = lay.cell_ref(lay.items[leaf.code][0], lay.reason_col)
        found.add(f"appraisal.{status}", criterion=leaf.code, cell=cell, got=value if value is not None else "",
                  self_points=fmt(view.scores.get(leaf.code)) or "0", max=leaf.max)
    for code, raw in inputs.counts.items():
        if raw is not None and count_value(raw) != raw:
            found.add("appraisal.count_invalid", criterion=code, cell=lay.cell_ref(*lay.counts[code]), got=raw)
