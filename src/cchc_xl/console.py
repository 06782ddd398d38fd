"""Console front of long commands: progress bar and summary table (rich), in Vietnamese."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from cchc_xl.communes import load_communes
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.importing.discover import discover
from cchc_xl.importing.outputs import Outputs
from cchc_xl.importing.pipeline import import_inbox
from cchc_xl.importing.run import ImportRun
from cchc_xl.messages import say
from cchc_xl.numbers import fmt, json_number
from cchc_xl.safeio import write_text
from cchc_xl.settings import load_settings
from cchc_xl.store import Store
from cchc_xl.templates import template


def import_with_progress(inbox: Path, out_dir: Path, cset: CriteriaSet, communes_file: Path | None,
                         db_path: Path, console: Console | None = None,
                         jobs: int | None = None) -> tuple[ImportRun, Outputs]:
    """`jobs`: worker processes (default: the CPU cores this process may use)."""
    console = console or Console(highlight=False)
    settings = load_settings()
    communes = load_communes(communes_file)
    listing = discover(inbox)
    store = Store(db_path)
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(say("cli.importing"), total=len(listing[0]))
            run, outputs = import_inbox(inbox, cset, settings, communes, out_dir, store,
                                        progress=lambda _r: progress.advance(task), listing=listing,
                                        jobs=jobs or len(os.sched_getaffinity(0)))
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


# -- appraisal ----------------------------------------------------------------------------------------
def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def appraise_prepare_cmd(cset: CriteriaSet, out_dir: Path, db_path: Path, console: Console | None = None) -> list[Path]:
    from cchc_xl.appraisal.round import prepare

    console = console or Console(highlight=False)
    store = Store(db_path)
    try:
        written, skipped = prepare(store, cset, out_dir, load_settings())
    finally:
        store.close()
    console.print(say("cli.appraise_prepared", count=len(written), dir=out_dir))
    if skipped:
        console.print(say("cli.appraise_skipped", codes=", ".join(skipped)))
    return written


def appraise_import_cmd(cset: CriteriaSet, folder: Path, out_dir: Path, db_path: Path,
                        console: Console | None = None) -> list[Any]:
    from cchc_xl.appraisal.round import import_appraisals

    console = console or Console(highlight=False)
    store = Store(db_path)
    try:
        outcomes = import_appraisals(store, cset, folder, load_settings())
    finally:
        store.close()
    status = template("validation")["status"]
    data = {"criteria": {"id": cset.id, "version": cset.version}, "appraisals": [
        {"file": o.file, "commune_code": o.commune_code, "status": o.status,
         "appraised_total": json_number(o.result.total) if o.result else None,
         "findings": [f.model_dump() for f in o.findings]} for o in outcomes]}
    write_text(out_dir / "appraisal-report.json", json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    table = Table()
    for header in say("cli.appraise_columns").split("|"):
        table.add_column(header)
    for o in outcomes:
        table.add_row(o.file, o.commune_code or "", status[o.status], fmt(o.result.total) if o.result else "",
                      o.result.tier if o.result else "", str(o.changed),
                      str(sum(f.severity == "error" for f in o.findings)))
    console.print(table)
    for o in outcomes:
        for f in o.findings:
            if f.severity == "error":
                console.print(escape(f"  {o.file}: {f.message}"))
    console.print(say("cli.appraise_done", count=len(outcomes), recorded=sum(o.recorded for o in outcomes)))
    return outcomes


def appraise_finalize_cmd(codes: list[str], who: str, db_path: Path, console: Console | None = None) -> list[str]:
    console = console or Console(highlight=False)
    store = Store(db_path)
    try:
        targets = codes or [s.commune_code for s in store.all_latest()]
        done = store.finalize(targets, _now(), who)
    finally:
        store.close()
    console.print(say("cli.finalized", codes=", ".join(done)) if done else say("cli.finalize_none"))
    return done


def appraise_reopen_cmd(code: str, reason: str, who: str, db_path: Path, console: Console | None = None) -> int:
    console = console or Console(highlight=False)
    store = Store(db_path)
    try:
        ok = store.reopen(code, _now(), who, reason)
    finally:
        store.close()
    console.print(say("cli.reopened" if ok else "cli.reopen_refused", code=code))
    return 0 if ok else 1


def appraise_history_cmd(code: str, criterion: str, db_path: Path, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    store = Store(db_path)
    try:
        history = store.score_history(code, criterion)
        events = store.events(code)
    finally:
        store.close()
    console.print(escape(say("cli.history_header", criterion=criterion, code=code)))
    for h in history:
        points = fmt(Decimal(h["points"])) if h["points"] is not None else "—"
        if h["stage"] == "self":
            console.print(escape(say("cli.history_self", at=h["at"], version=h["version"], file=h["file"],
                                     points=points)))
        else:
            console.print(escape(say("cli.history_appraisal", at=h["at"], by=h["by"], file=h["file"], points=points,
                                     reason=h["reason"] or "—",
                                     superseded=say("cli.history_superseded") if h["superseded"] else "")))
    console.print(say("cli.history_events"))
    for e in events:
        console.print(escape(f"  {e['at']}  {e['kind']}  {json.dumps(e['detail'], ensure_ascii=False)}"))


# -- ranking report -----------------------------------------------------------------------------------
def report_cmd(cset: CriteriaSet, out: Path, communes_file: Path | None, previous_db: Path | None, db_path: Path,
               console: Console | None = None) -> int:
    from cchc_xl.reports.ranking import write_ranking
    from cchc_xl.reports.ranking_data import previous_totals

    console = console or Console(highlight=False)
    if not db_path.is_file():
        console.print(say("cli.report_no_store", db=db_path))
        return 1
    previous = None
    if previous_db is not None:
        old = Store(previous_db)
        try:
            previous = previous_totals(old)
        finally:
            old.close()
    summary = write_ranking(db_path, cset, out, load_communes(communes_file), previous=previous)
    console.print(say("cli.report_done", path=summary.path, ranked=summary.ranked, listed=summary.listed,
                      stage=say(f"cli.report_stage_{summary.stage}"),
                      tiers="; ".join(f"{name}: {n}" for name, n in summary.tiers.items()),
                      first=", ".join(summary.first) or "—"))
    return 0
