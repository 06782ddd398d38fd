"""One import as `cchc-xl import` runs it.

Each file is read, checked and written out as soon as it comes (its feedback workbook, its store record),
and its result is then released, so memory stays flat however many files the inbox holds. After the batch:
evidence copied across communes, the revision of every file that this or a second file of its commune
changed (its feedback workbook written again, its store record updated — also a record an earlier, killed
run left behind, so a rerun converges to the store of a clean run), then the JSON report and the
validation workbook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from cchc_xl.collector import batch_collection
from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.importing.discover import Listing
from cchc_xl.importing.evidence import EvidenceStage
from cchc_xl.importing.outputs import Outputs, OutputWriter
from cchc_xl.importing.run import ImportRun, SubmissionResult, reload, run_import, store_saved_at
from cchc_xl.settings import Settings
from cchc_xl.store import Store


def import_inbox(inbox: Path, cset: CriteriaSet, settings: Settings, communes: list[Commune], out_dir: Path,
                 store: Store, *, evidence: bool = True, received_at: dt.datetime | None = None,
                 progress: Callable[[SubmissionResult], None] | None = None,
                 listing: Listing | None = None, jobs: int = 1,
                 phase: Callable[[str], None] | None = None) -> tuple[ImportRun, Outputs]:
    """`evidence`: check each file's evidence folder or zip (off: the register alone, as for a benchmark
    of the workbooks themselves). `listing`: the inbox as `discover` listed it, if the caller did. `jobs`:
    worker processes that read and check the files and write their feedback workbooks (see parallel.py).
    `phase` is told each step after the files are read ("crosscheck", "revise", "write"), so a progress
    display never sits silent at 100 %."""
    phase = phase or (lambda _name: None)
    stage = EvidenceStage() if evidence else None
    writer = OutputWriter(cset, out_dir, settings, store, reload=lambda r: reload(r, cset, settings, communes))
    with store.batch(), batch_collection():  # one transaction, committed about every second (see OutputWriter)
        run = run_import(inbox, cset, settings, communes, received_at=received_at, evidence_hook=stage,
                         progress=progress, sink=writer.record, listing=listing, jobs=jobs,
                         prepare=writer.files.prepare, counting_saved_at=lambda code: store_saved_at(store, code))
        store.checkpoint()  # every file recorded before the end-of-batch revisions
        if stage is not None:
            phase("crosscheck")
            stage.finish(run.results)
        if any(r.revised for r in run.results):
            phase("revise")
        for r in run.results:
            writer.revise(r)
    phase("write")
    rows = stage.inventory_rows(run.results, out_dir) if stage is not None else None
    return run, writer.finish(run, rows)
