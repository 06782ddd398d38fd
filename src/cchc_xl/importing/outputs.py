"""Everything an import run leaves behind: JSON report, feedback workbooks, validation workbook, store.

`OutputWriter` writes a file's own outputs (its feedback workbook, its store record) as soon as it is
imported, so a long run keeps only a light summary per file; `revise` brings them up to date for the few
files that batch-level findings change afterwards; `finish` writes the batch's JSON report and
validation workbook. `write_outputs` does all of it for a run whose results are still whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.importing.findings import Findings
from cchc_xl.importing.run import ImportRun, SubmissionResult
from cchc_xl.reports.feedback import FeedbackWorkbookWriter, feedback_name
from cchc_xl.reports.import_report import write_report
from cchc_xl.reports.validation import ValidationWorkbookWriter
from cchc_xl.safeio import clean_leftovers
from cchc_xl.settings import Settings
from cchc_xl.store import Store
from cchc_xl.templates import template
from cchc_xl.workbook.layout import build_layout

Reload = Callable[[SubmissionResult], SubmissionResult]  # a released result made whole again


@dataclass
class Outputs:
    report: Path
    validation: Path
    feedback: dict[str, Path]
    new_in_store: int


class OutputWriter:
    def __init__(self, cset: CriteriaSet, out_dir: Path, settings: Settings, store: Store,
                 reload: Reload | None = None):
        self.cset, self.out_dir, self.settings, self.store, self.reload = cset, out_dir, settings, store, reload
        self.t = template("validation")
        self.feedback: dict[str, Path] = {}
        self.new = 0
        out_dir.mkdir(parents=True, exist_ok=True)
        clean_leftovers(out_dir)  # the temporary files of a run killed mid-write

    # -- per file ------------------------------------------------------------------------------------
    def record(self, r: SubmissionResult) -> None:
        """One whole result: refused if its commune is finalized, its feedback workbook, its store record."""
        self._refuse_finalized(r)
        self._write_feedback(r)
        self._store(r)

    def revise(self, r: SubmissionResult) -> None:
        """A recorded result whose findings changed at the end of the batch: its feedback workbook written
        again (from its file, read again when it was released), its store record updated if this run made it."""
        if r.findings and r.commune is not None:  # (a commune: the file was identified)
            try:
                whole = r if r.declarations is not None or self.reload is None else self.reload(r)
            except OSError:  # the file went away during the run: its earlier feedback workbook stays
                whole = r
            self._write_feedback(whole)
        if r.stored and r.stored[1]:
            self.store.revise_submission(r.stored[0], status=r.status, counts=r.counts,
                                         findings=[f.model_dump() for f in r.findings])

    def _refuse_finalized(self, r: SubmissionResult) -> None:
        """A finalized commune's result is locked: its new files are reported, not recorded."""
        if r.commune and self.store.state(r.commune.code) == "final":
            f = Findings()
            f.add("submission.finalized", commune=r.commune.code)
            r.findings = [*r.findings, *f.items]

    def _write_feedback(self, r: SubmissionResult) -> None:
        if r.identity is None or r.declarations is None or not r.findings:
            return
        layout = build_layout(self.cset, r.identity.commune, r.declarations.raw)
        path = self.out_dir / self.t["feedback_dir"] / feedback_name(r.file, r.commune_code)
        FeedbackWorkbookWriter(layout, self.settings, r.findings).write(path)
        self.feedback[r.file] = path

    def _store(self, r: SubmissionResult) -> None:
        if r.commune is None or r.evaluation is None or any(f.rule == "submission.finalized" for f in r.findings):
            return
        ev = r.evaluation
        r.stored = self.store.record_submission(
            commune_code=r.commune.code, commune_name=r.commune.name, commune_kind=r.commune.kind,
            file_name=r.file, sha256=r.sha256, received_at=r.received_at.isoformat(), set_id=self.cset.id,
            set_version=self.cset.version, status=r.status, counts=r.counts, self_total=ev.total, tier=ev.tier,
            declared=_declared(r), scores={c: None if x.score is None else str(x.score) for c, x in ev.leaves.items()},
            findings=[f.model_dump() for f in r.findings])
        self.new += r.stored[1]

    # -- per batch -----------------------------------------------------------------------------------
    def finish(self, run: ImportRun, evidence_rows: list[dict[str, Any]] | None = None) -> Outputs:
        report = self.out_dir / "import-report.json"
        write_report(run, report)
        validation = self.out_dir / self.t["file_name"]
        relative = {k: v.relative_to(self.out_dir).as_posix() for k, v in self.feedback.items()}
        ValidationWorkbookWriter(run, relative, dt.datetime.now(), evidence_rows).write(validation)
        return Outputs(report=report, validation=validation, feedback=dict(self.feedback), new_in_store=self.new)


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
