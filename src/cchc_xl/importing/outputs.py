"""Everything an import run leaves behind: JSON report, feedback workbooks, validation workbook, store.

`OutputWriter` writes a file's own outputs (its feedback workbook, its store record) as soon as it is
imported, so a long run keeps only a light summary per file; `revise` brings them up to date for the few
files that batch-level findings change afterwards; `finish` writes the batch's JSON report and
validation workbook. `write_outputs` does all of it for a run whose results are still whole.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.identity import RoundIdentity
from cchc_xl.importing.findings import Findings
from cchc_xl.importing.inputs import Declarations
from cchc_xl.importing.run import ImportRun, SubmissionResult
from cchc_xl.reports import feedback_package
from cchc_xl.reports.feedback import FeedbackWorkbookWriter, feedback_name, needs_feedback, with_status_marks
from cchc_xl.reports.import_report import write_report
from cchc_xl.reports.validation import ValidationWorkbookWriter
from cchc_xl.safeio import clean_leftovers
from cchc_xl.settings import Settings
from cchc_xl.store import Store
from cchc_xl.templates import template
from cchc_xl.workbook.declared_layout import feedback_layout
from cchc_xl.workbook.layout import Layout

COMMIT_SECONDS = 1.0  # how often records made in a store batch are committed

Reload = Callable[[SubmissionResult], SubmissionResult]  # a released result made whole again


@dataclass
class Outputs:
    report: Path
    validation: Path
    feedback: dict[str, Path]
    new_in_store: int
    unwritten: dict[Path, OSError] = field(default_factory=dict)  # batch outputs open in Excel, read-only, …


@dataclass(frozen=True)
class StoreRecord:
    """What a file's store record holds besides its status, whether it counts and its findings (which the
    end of the batch may still change)."""

    self_total: Any
    tier: str | None
    declared: dict[str, Any]
    scores: dict[str, str | None]


class FileOutputs:
    """A file's own outputs that need no store: the finding that its commune is finalized, its feedback
    workbook, and what its store record will hold. Made in the import's process, or in each worker of
    `import --jobs` (so it pickles: the feedback package is made again in each process)."""

    def __init__(self, cset: CriteriaSet, out_dir: Path, settings: Settings, finalized: frozenset[str]):
        self.cset, self.out_dir, self.settings, self.finalized = cset, out_dir, settings, finalized
        self.t = template("validation")
        self._package: feedback_package.FeedbackPackage | None = None  # made on the first feedback workbook
        self._package_failed = not feedback_package.enabled()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_package": None}

    def prepare(self, r: SubmissionResult) -> None:
        """A whole result's outputs; the result is marked prepared (then it may be released)."""
        self._refuse_finalized(r)
        self.write_feedback(r)
        if r.commune is not None and r.evaluation is not None:
            ev = r.evaluation
            r.record = StoreRecord(ev.total, ev.tier, _declared(r),
                                   {c: None if x.score is None else str(x.score) for c, x in ev.leaves.items()})
        r.prepared = True

    def _refuse_finalized(self, r: SubmissionResult) -> None:
        """A finalized commune's result is locked: its new files are reported, not recorded."""
        if r.commune and r.commune.code in self.finalized:
            f = Findings()
            f.add("submission.finalized", commune=r.commune.code)
            r.findings = [*r.findings, *f.items]

    def write_feedback(self, r: SubmissionResult) -> None:
        if r.identity is None or r.declarations is None or not needs_feedback(r.findings):
            return
        layout = layout_of(self.cset, r)
        layout = with_status_marks(layout, r.findings)  # its status column agrees with the findings
        path = self.out_dir / self.t["feedback_dir"] / feedback_name(r.file, r.commune_code)
        if not self._write_packaged(layout, r, path):
            FeedbackWorkbookWriter(layout, self.settings, r.findings).write(path)
        r.feedback_path = path

    def _write_packaged(self, layout: Layout, r: SubmissionResult, path: Path) -> bool:
        """The feedback workbook by the fast path (reports/feedback_package.py); False when it is off or
        cannot take this file, for the plain path to write it."""
        if self._package_failed:
            return False
        try:
            if self._package is None or self._package.identity != layout.identity:
                self._package = feedback_package.FeedbackPackage(self.cset, self.settings, layout.identity)
            self._package.write(layout, r.findings, path)
        except Exception:  # any doubt: the plain path writes the file (an OSError there is the guard's)
            if self._package is None:
                self._package_failed = True
            return False
        return True


def layout_of(cset: CriteriaSet, r: SubmissionResult) -> Layout:
    """The layout of a result's feedback workbook: the commune's workbook with the file's inputs (as typed);
    the import's evaluation is its evaluation when the inputs it evaluated are those (no number typed as
    text, every register code read as typed), else it is evaluated again."""
    assert r.identity is not None and r.declarations is not None
    decl = r.declarations
    ev = r.evaluation if isinstance(decl, Declarations) and evaluated_as_typed(decl) else None
    return feedback_layout(cset, r.identity.commune, decl.raw, r.identity.layout.identity, ev)


def evaluated_as_typed(decl: Declarations) -> bool:
    """Whether the import evaluated the inputs as typed: its inputs (`parsed`, the register's codes) and the
    typed ones are the same values of the same types (a Decimal by its digits, sign and exponent)."""
    raw, parsed = decl.raw, decl.parsed
    if raw.leaves.keys() != parsed.keys() or raw.register_codes() != [row.criterion for row in decl.register]:
        return False
    for code, a in raw.leaves.items():
        b = parsed[code]
        if (not _same_typed(a.value, b.value) or not _same_typed(a.explanation, b.explanation)
                or len(a.figures) != len(b.figures)
                or not all(map(_same_typed, a.figures, b.figures))):
            return False
    return True


def _same_typed(a: object, b: object) -> bool:
    return type(a) is type(b) and (str(a) == str(b) if type(a) is Decimal else a == b)


class OutputWriter:
    def __init__(self, cset: CriteriaSet, out_dir: Path, settings: Settings, store: Store,
                 reload: Reload | None = None):
        self.cset, self.out_dir, self.settings, self.store, self.reload = cset, out_dir, settings, store, reload
        self.t = template("validation")
        self.feedback: dict[str, Path] = {}
        self.new = 0
        self._committed = time.monotonic()
        out_dir.mkdir(parents=True, exist_ok=True)
        clean_leftovers(out_dir)  # the temporary files of a run killed mid-write
        # (a commune is finalized by `appraise finalize`, never during an import)
        self.files = FileOutputs(cset, out_dir, settings, frozenset(store.communes_in_state("final")))

    # -- per file ------------------------------------------------------------------------------------
    def record(self, r: SubmissionResult) -> None:
        """One whole result (or one a worker prepared): refused if its commune is finalized, its feedback
        workbook, its store record."""
        if not r.prepared:
            self.files.prepare(r)
        if r.feedback_path is not None:
            self.feedback[r.file] = r.feedback_path
        self._keep_accepted(r)
        self._store(r)
        r.record = None  # stored: the declared values and scores (~10 kB a file) are not kept for the batch

    def _keep_accepted(self, r: SubmissionResult) -> None:
        """A blank workbook (`submission.empty`) imported over the accepted version that counts does not
        silently replace it (the folder of blank workbooks imported by mistake): it is stored, flagged, and not
        counting. (An older copy is the importer's `submission.older_than_counting`.)"""
        if r.commune is None or not r.counts or not any(f.rule == "submission.empty" for f in r.findings):
            return
        current = self.store.latest(r.commune.code)
        if current is None or current.status == "rejected" or current.file_sha256 == r.sha256:
            return
        f = Findings()
        f.add("submission.blank_over_accepted", commune=r.commune.code, version=current.version,
              file=current.file_name)
        r.findings = [*r.findings, *f.items]
        r.counts = False

    def revise(self, r: SubmissionResult) -> None:
        """A result after the end-of-batch checks: when they changed its findings, its feedback workbook
        written again (from its file, read again when it was released); its store record, whether this run
        made it or an earlier one did (a run killed before its end), brought to the batch's findings."""
        if r.revised and r.findings and r.commune is not None:  # (a commune: the file was identified)
            try:
                whole = r if r.declarations is not None or self.reload is None else self.reload(r)
            except OSError:  # the file went away during the run: its earlier feedback workbook stays
                whole = r
            self.files.write_feedback(whole)
            if whole.feedback_path is not None:
                self.feedback[r.file] = whole.feedback_path
        if r.stored and (r.revised or not r.stored[1]):  # (a record new in this run and not revised is current)
            self.store.revise_submission(r.stored[0], status=r.status, counts=r.counts,
                                         findings=[f.model_dump() for f in r.findings])

    def _store(self, r: SubmissionResult) -> None:
        rec = r.record
        if r.commune is None or rec is None or any(f.rule == "submission.finalized" for f in r.findings):
            return
        r.stored = self.store.record_submission(
            commune_code=r.commune.code, commune_name=r.commune.name, commune_kind=r.commune.kind,
            file_name=r.file, sha256=r.sha256, received_at=r.received_at.isoformat(), set_id=self.cset.id,
            set_version=self.cset.version, status=r.status, counts=r.counts, self_total=rec.self_total,
            tier=rec.tier, declared=rec.declared, scores=rec.scores, findings=[f.model_dump() for f in r.findings])
        self.new += r.stored[1]
        now = time.monotonic()
        if now - self._committed >= COMMIT_SECONDS:  # inside a batch: a kill loses at most this much
            self.store.checkpoint()
            self._committed = now

    # -- per batch -----------------------------------------------------------------------------------
    def finish(self, run: ImportRun, evidence_rows: list[dict[str, Any]] | None = None) -> Outputs:
        report = self.out_dir / "import-report.json"
        unwritten: dict[Path, OSError] = {}
        try:
            write_report(run, report)
        except OSError as exc:  # open elsewhere, read-only, disk full: named, and the workbook still written
            unwritten[report] = exc
        validation = self.out_dir / self.t["file_name"]
        relative = {k: v.relative_to(self.out_dir).as_posix() for k, v in self.feedback.items()}
        try:
            ValidationWorkbookWriter(run, relative, dt.datetime.now(), evidence_rows,
                                     identity=RoundIdentity.of_round(self.store.round())).write(validation)
        except OSError as exc:  # open in Excel (Windows cannot replace it)
            unwritten[validation] = exc
        return Outputs(report=report, validation=validation, feedback=dict(self.feedback), new_in_store=self.new,
                       unwritten=unwritten)


def write_outputs(run: ImportRun, out_dir: Path, settings: Settings, store: Store,
                  evidence_rows: list[dict[str, Any]] | None = None) -> Outputs:
    """All outputs of a run whose results are whole (imported without a sink)."""
    writer = OutputWriter(run.cset, out_dir, settings, store)
    for r in run.results:
        writer.record(r)
    return writer.finish(run, evidence_rows)


def _declared(r: Any) -> dict[str, Any]:
    d = r.declarations
    return {
        "evidence_path": str(r.evidence_path.resolve()) if r.evidence_path else None,
        "saved_at": r.saved_at,  # the workbook's own save time: which of a commune's versions counts
        "leaves": {c: {"value": _plain(i.value), "figures": [_plain(f) for f in i.figures],
                       "explanation": i.explanation} for c, i in d.raw.leaves.items()},
        "register": [row.model_dump(mode="json") for row in d.register],
        "difficulties": d.raw.difficulties, "recommendations": d.raw.recommendations,
    }


def _plain(v: Any) -> Any:
    return None if v is None else str(v)
