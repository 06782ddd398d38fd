"""Console front of long commands: progress bar and summary table (rich), in Vietnamese."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from cchc_xl.communes import load_communes
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.importing.discover import discover
from cchc_xl.importing.evidence import EvidenceStage
from cchc_xl.importing.outputs import Outputs, write_outputs
from cchc_xl.importing.run import ImportRun, run_import
from cchc_xl.messages import say
from cchc_xl.numbers import fmt
from cchc_xl.settings import load_settings
from cchc_xl.store import Store
from cchc_xl.templates import template


def import_with_progress(inbox: Path, out_dir: Path, cset: CriteriaSet, communes_file: Path | None,
                         db_path: Path, console: Console | None = None) -> tuple[ImportRun, Outputs]:
    console = console or Console(highlight=False)
    settings = load_settings()
    communes = load_communes(communes_file)
    total = len(discover(inbox)[0])
    stage = EvidenceStage()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(say("cli.importing"), total=total)
        run = run_import(inbox, cset, settings, communes, evidence_hook=stage,
                         progress=lambda _r: progress.advance(task))
    stage.finish(run.results)
    store = Store(db_path)
    try:
        outputs = write_outputs(run, out_dir, settings, store, stage.inventory_rows(run.results, out_dir))
    finally:
        store.close()
    print_summary(console, run, outputs, db_path)
    return run, outputs


def print_summary(console: Console, run: ImportRun, outputs: Outputs, db_path: Path) -> None:
    status = template("validation")["status"]
    table = Table(title=say("cli.import_table_title"))
    for header in say("cli.import_columns").split("|"):
        table.add_column(header)
    for r in run.results:
        table.add_row(r.file, r.commune.display if r.commune else "", status[r.status],
                      fmt(r.self_total) if r.self_total is not None else "",
                      str(sum(f.severity == "error" for f in r.findings)),
                      str(sum(f.severity == "warning" for f in r.findings)))
    console.print(table)
    count = {s: sum(r.status == s for r in run.results) for s in status}
    console.print(say("cli.import_done", count=len(run.results), accepted=count["accepted"],
                      warned=count["accepted_with_warnings"], rejected=count["rejected"], ignored=len(run.ignored),
                      new=outputs.new_in_store, db=db_path))
    console.print(say("cli.outputs", report=outputs.report, validation=outputs.validation,
                      feedback=len(outputs.feedback), dir=outputs.report.parent))
