"""Everything an import run leaves behind: JSON report, feedback workbooks, validation workbook, store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cchc_xl.importing.findings import Findings
from cchc_xl.importing.run import ImportRun
from cchc_xl.reports.feedback import FeedbackWorkbookWriter, feedback_name
from cchc_xl.reports.import_report import write_report
from cchc_xl.reports.validation import ValidationWorkbookWriter
from cchc_xl.settings import Settings
from cchc_xl.store import Store
from cchc_xl.templates import template
from cchc_xl.workbook.layout import build_layout


@dataclass
class Outputs:
    report: Path
    validation: Path
    feedback: dict[str, Path]
    new_in_store: int


def write_outputs(run: ImportRun, out_dir: Path, settings: Settings, store: Store,
                  evidence_rows: list[dict[str, Any]] | None = None) -> Outputs:
    tv = template("validation")
    out_dir.mkdir(parents=True, exist_ok=True)
    _refuse_finalized(run, store)
    report = out_dir / "import-report.json"
    write_report(run, report)
    feedback: dict[str, Path] = {}
    for r in run.results:
        if r.identity is None or r.declarations is None or not r.findings:
            continue
        layout = build_layout(run.cset, r.identity.commune, r.declarations.raw)
        path = out_dir / tv["feedback_dir"] / feedback_name(r.file)
        FeedbackWorkbookWriter(layout, settings, r.findings).write(path)
        feedback[r.file] = path
    validation = out_dir / tv["file_name"]
    relative = {k: v.relative_to(out_dir).as_posix() for k, v in feedback.items()}
    ValidationWorkbookWriter(run, relative, dt.datetime.now(), evidence_rows).write(validation)
    new = 0
    for r in run.results:
        if r.commune is None or r.evaluation is None or any(f.rule == "submission.finalized" for f in r.findings):
            continue
        ev = r.evaluation
        _, is_new = store.record_submission(
            commune_code=r.commune.code, commune_name=r.commune.name, commune_kind=r.commune.kind,
            file_name=r.file, sha256=r.sha256, received_at=r.received_at.isoformat(), set_id=run.cset.id,
            set_version=run.cset.version, status=r.status, counts=r.counts, self_total=ev.total, tier=ev.tier,
            declared=_declared(r), scores={c: None if x.score is None else str(x.score) for c, x in ev.leaves.items()},
            findings=[f.model_dump() for f in r.findings])
        new += is_new
    return Outputs(report=report, validation=validation, feedback=feedback, new_in_store=new)


def _refuse_finalized(run: ImportRun, store: Store) -> None:
    """A finalized commune's result is locked: its new files are reported, not recorded."""
    for r in run.results:
        if r.commune and store.state(r.commune.code) == "final":
            f = Findings()
            f.add("submission.finalized", commune=r.commune.code)
            r.findings = [*r.findings, *f.items]


def _declared(r: Any) -> dict[str, Any]:
    d = r.declarations
    return {
        "evidence_path": str(r.evidence_path.resolve()) if r.evidence_path else None,
        "leaves": {c: {"value": _plain(i.value), "figures": [_plain(f) for f in i.figures],
                       "explanation": i.explanation} for c, i in d.raw.leaves.items()},
        "register": [row.model_dump(mode="json") for row in d.register],
        "difficulties": d.raw.difficulties, "recommendations": d.raw.recommendations,
    }


def _plain(v: Any) -> Any:
    return None if v is None else str(v)
