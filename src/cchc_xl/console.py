"""Console front of long commands: progress bar and summary table (rich), in Vietnamese."""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cchc_xl.backup import copy_store
from cchc_xl.criteria.load import load_set_text
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.importing.discover import discover
from cchc_xl.messages import MESSAGES, say
from cchc_xl.numbers import fmt, json_number
from cchc_xl.reports.ranking_data import RankingInput, RoundsError
from cchc_xl.safeio import write_text
from cchc_xl.store import Store, StoredAnswer
from cchc_xl.store_records import EventDetail
from cchc_xl.store_sql import Location, exists, shown
from cchc_xl.templates import template
from cchc_xl.workers import WorkerDied, cores
from cchc_xl.workspace import Workspace, WorkspaceError, previous_round, progress

if TYPE_CHECKING:
    from cchc_xl.appraisal.round import Prepared
    from cchc_xl.importing.outputs import Outputs
    from cchc_xl.importing.run import ImportRun
    from cchc_xl.reports.ranking_sheets import Signature


def inbox_problem(inbox: Path) -> str | None:
    """Why an inbox holds nothing to import (a usage mistake), or None: empty, or its workbooks one level down
    in per-commune folders (the importer reads the inbox itself, each workbook next to its evidence)."""
    if inbox.is_file():
        from cchc_xl.importing.discover import WORKBOOK_SUFFIXES

        suffix = inbox.suffix.lower()
        key = "inbox.is_workbook" if suffix in WORKBOOK_SUFFIXES else "inbox.is_zip" if suffix == ".zip" \
            else "inbox.is_file"
        return say(key, path=inbox, folder=inbox.parent)
    candidates, _ignored = discover(inbox)
    if candidates:
        return None
    nested = [p for p in sorted(inbox.iterdir()) if p.is_dir() and not p.is_symlink() and discover(p)[0]]
    if nested:
        return say("inbox.nested", inbox=inbox, count=len(nested), first=nested[0].name)
    return say("inbox.empty", inbox=inbox)


def make_console(*, stderr: bool = False) -> Console:
    """The console at the terminal's real width; unbounded when piped or redirected to a file, so lines and
    table cells (file names) are never cut or wrapped at 80 columns there."""
    stream = sys.stderr if stderr else sys.stdout
    terminal = hasattr(stream, "isatty") and stream.isatty()
    return Console(highlight=False, stderr=stderr, soft_wrap=not terminal, width=None if terminal else 100_000)


MAX_LISTED = 20  # ignored files named one by one in the summary; the rest counted


def import_with_progress(inbox: Path, out_dir: Path, ws: Workspace, console: Console | None = None, *,
                         dry_run: bool = False, as_json: bool = False, verbosity: int = 0,
                         jobs: int | None = None) -> tuple[ImportRun, Outputs]:
    """`dry_run`: every check, the report and the workbooks, against a throw-away copy of the store (a
    SQLite file: of the whole store file, or of a server's round, read from one snapshot of it), so "already
    received" and "finalized" are judged as in a real run while the store itself is not touched.
    `as_json`: the import report on stdout for other programs, everything else on stderr. `verbosity`: -1
    (--quiet) the totals only, 1 (--verbose) every finding of every file too. `jobs`: worker processes
    (default: the CPU cores this process may use)."""
    # (the import's modules only here: every other command starts without them, ~0.5 s sooner)
    from cchc_xl.importing.pipeline import import_inbox
    from cchc_xl.reports.import_report import report_data

    console = console or make_console(stderr=as_json)
    listing = discover(inbox)
    total = len(listing[0])
    with tempfile.TemporaryDirectory(prefix="cchc-xl-thu-") as scratch:
        if dry_run:
            db_path = Path(scratch) / "dry-run.sqlite"
            if exists(ws.db_path):
                copy_store(ws.db_path, db_path, ws.round.id)
            store = Store(db_path, round_id=ws.round.id)
        else:
            store = ws.open_store()
            try:
                store.check_writable()
            except BaseException:
                store.close()
                raise
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn(say("import.files")), TimeElapsedColumn())
        done: list[object] = []

        def advance(result: object) -> None:
            done.append(None)
            progress.advance(task)

        try:
            with Progress(*columns, console=console, transient=True, disable=verbosity < 0) as progress:
                task = progress.add_task(say("import.phase.read"), total=total)
                run, outputs = import_inbox(
                    inbox, ws.cset, ws.settings, ws.communes, out_dir, store, progress=advance, listing=listing,
                    jobs=jobs or cores(),  # (workers.cores: also on Windows)
                    phase=lambda name: progress.update(task, description=say(f"import.phase.{name}")))
        except KeyboardInterrupt:  # what was kept, before the general Ctrl-C note (exit 130)
            _error(say("import.interrupted_dry" if dry_run else "import.interrupted", done=len(done), total=total,
                       db=shown(ws.db_path)))
            raise
        except WorkerDied:  # (the caller exits 1)
            _error(say("import.worker_died_dry" if dry_run else "import.worker_died", done=len(done), total=total,
                       db=shown(ws.db_path)))
            raise
        finally:
            store.close()
    print_summary(console, run, outputs, ws.db_path, dry_run=dry_run, verbosity=verbosity)
    if as_json:
        click.echo(json.dumps(report_data(run), ensure_ascii=False, indent=2))
    return run, outputs


def print_summary(console: Console, run: ImportRun, outputs: Outputs, db_path: Location, *,
                  dry_run: bool = False, verbosity: int = 0) -> None:
    if verbosity >= 0:
        console.print(_results_table(run))
    if verbosity > 0:
        _print_findings(console, run)
    status = template("validation").status
    count = {s: sum(r.status == s for r in run.results) for s in status}
    console.print(say("cli.import_dry_run_done" if dry_run else "cli.import_done", count=len(run.results),
                      accepted=count["accepted"], warned=count["accepted_with_warnings"],
                      rejected=count["rejected"], ignored=len(run.ignored), new=outputs.new_in_store,
                      db=shown(db_path)))
    if verbosity >= 0:
        console.print(say("cli.outputs", report=outputs.report, validation=outputs.validation,
                          feedback=len(outputs.feedback), dir=outputs.report.parent))
    _print_failures(run, outputs)
    if run.ignored and verbosity >= 0:
        _print_ignored(console, run)


def _results_table(run: ImportRun) -> Table:
    status = template("validation").status
    table = Table(title=say("cli.import_table_title"))
    for i, header in enumerate(say("cli.import_columns").split("|")):
        # the file column is never cut: a name shown as "2-hop-thu/039…" on every row tells nothing
        table.add_column(header, overflow="fold", ratio=3 if i == 0 else None, no_wrap=i > 1)
    for r in run.results:
        table.add_row(escape(r.file), escape(r.commune.display) if r.commune else "", status[r.status],
                      fmt(r.self_total) if r.self_total is not None else "",
                      str(sum(f.severity == "error" for f in r.findings)),
                      str(sum(f.severity == "warning" for f in r.findings)))
    return table


def _print_findings(console: Console, run: ImportRun) -> None:
    for r in run.results:
        for f in r.findings:
            where = ", ".join(x for x in (f.criterion, f.cell) if x)
            console.print(escape(say("import.finding_line", file=r.file, rule=f.rule, message=f.message,
                                     severity=say(f"import.severity.{f.severity}"),
                                     where=f" ({where})" if where else "")))


def _print_failures(run: ImportRun, outputs: Outputs) -> None:
    """A file whose outputs or store record failed, and outputs left unwritten: said even with --quiet."""
    for r in run.results:
        for f in r.findings:
            if f.rule == "file.output_failed":
                _error(f"{r.file}: {f.message}")
    if outputs.unwritten:
        from cchc_xl.faults import reason

        _error(say("output.locked_some", count=len(outputs.unwritten),
                   files="; ".join(f"{p} ({reason(e)})" for p, e in outputs.unwritten.items())))


_IGNORED = {"lock_file": "inbox.ignored_lock", "hidden": "inbox.ignored_hidden", "unrelated": "inbox.ignored_unrelated"}


def _print_ignored(console: Console, run: ImportRun) -> None:
    console.print(escape(say("inbox.ignored_header", count=len(run.ignored))))
    for item in run.ignored[:MAX_LISTED]:
        console.print(escape(f"  {item.path.name}{'/' if item.path.is_dir() else ''}: "
                             f"{say(_IGNORED.get(item.reason, 'inbox.ignored_unrelated'))}"))
    if len(run.ignored) > MAX_LISTED:
        console.print(say("inbox.ignored_more", count=len(run.ignored) - MAX_LISTED))


# -- appraisal ----------------------------------------------------------------------------------------
def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def generate_cmd(ws: Workspace, out_dir: Path, jobs: int | None = None) -> int:
    """`cchc-xl generate`: every unit's workbook, by `jobs` processes (default: the CPU cores this process may
    use); each one that could not be written named. Returns how many could not; raises workers.WorkerDied
    (after saying so) when a worker process died."""
    from cchc_xl.workbook.generate import generate_round

    failed = 0
    try:
        for done in generate_round(ws.cset, ws.communes, out_dir, ws.settings, identity=ws.identity,
                                   jobs=jobs or cores()):
            if done.path is None:
                failed += 1
                _error(say("cli.generate_failed", code=done.commune.code, why=done.why))
    except WorkerDied:
        _error(say("generate.worker_died", dir=out_dir))
        raise
    click.echo(say("cli.generated", count=len(ws.communes) - failed, out=out_dir))
    return failed


def appraise_prepare_cmd(ws: Workspace, out_dir: Path, console: Console | None = None,
                         jobs: int | None = None) -> Prepared:
    """`jobs`: worker processes writing the workbooks (default: the CPU cores this process may use).
    Raises appraisal.round.OtherSetError when the round's submissions are of another set, workers.WorkerDied
    (after saying so) when a worker process died."""
    from cchc_xl.appraisal.round import prepare
    console = console or make_console()
    store = ws.open_store()
    try:
        prepared = prepare(store, ws.cset, out_dir, ws.settings, jobs=jobs or cores())
    except KeyboardInterrupt:  # what was kept, before the general Ctrl-C note (exit 130)
        _error(say("appraise.interrupted", dir=out_dir))
        raise
    except WorkerDied:
        _error(say("appraise.worker_died", dir=out_dir))
        raise
    finally:
        store.close()
    console.print(say("cli.appraise_prepared", count=len(prepared.written), dir=out_dir))
    if prepared.skipped:
        console.print(say("cli.appraise_skipped", codes=", ".join(prepared.skipped)))
    for code, why in prepared.failed:
        _error(say("cli.appraise_failed", code=code, why=why))
    return prepared


def _print_errors(console: Console, outcomes: list[Any]) -> None:
    """Every error finding of the files an appraisal or answer import refused, under its file."""
    for o in outcomes:
        for f in o.findings:
            if f.severity == "error":
                console.print(escape(f"  {o.file}: {f.message}"))


def appraise_import_cmd(ws: Workspace, folder: Path, out_dir: Path, console: Console | None = None) -> list[Any]:
    from cchc_xl.appraisal.round import import_appraisals

    console = console or make_console()
    cset = ws.cset
    store = ws.open_store()
    try:
        outcomes = import_appraisals(store, cset, folder, ws.settings)
    finally:
        store.close()
    status = template("validation").status
    data = {"round": ws.round.id, "criteria": {"id": cset.id, "version": cset.version}, "appraisals": [
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
    _print_errors(console, outcomes)
    rejected = sum(o.status == "rejected" for o in outcomes)
    unchanged = sum(not o.recorded and o.status != "rejected" for o in outcomes)
    console.print(say("cli.appraise_done", count=len(outcomes), rejected=rejected,
                      recorded=sum(o.recorded and o.status != "rejected" for o in outcomes),
                      unchanged=say("cli.appraise_unchanged", count=unchanged) if unchanged else ""))
    return outcomes


def appraise_finalize_cmd(ws: Workspace, codes: list[str], who: str, console: Console | None = None,
                          force: bool = False) -> list[str]:
    """Lock the appraised communes; one still in the explanation round (an answer awaited before its deadline,
    or contested items without a round-2 decision) only with `force`, which is recorded. The overdue are first
    recorded as having accepted round 1."""
    from cchc_xl.appraisal.explanation import close_overdue, explanation_states

    console = console or make_console()
    store = ws.open_store()
    try:
        today = dt.date.today()
        close_overdue(store, today, _now())
        states = explanation_states(store, today)
        targets = codes or [s.commune_code for s in store.all_latest()]
        allowed = []
        for code in targets:
            state = states.get(code)
            if state is None or not state.provisional or store.state(code) != "appraised":
                allowed.append(code)
                continue
            why = say(f"cli.finalize_why_{'pending' if state.stage == 'overdue' else state.stage}",
                      deadline=f"{dt.date.fromisoformat(state.request.deadline):%d/%m/%Y}",
                      items=", ".join(state.contested))
            if force:
                store.log_event(_now(), code, "finalize_forced", {"by": who, "stage": state.stage,
                                                                  "contested": list(state.contested)})
                console.print(escape(say("cli.finalize_forced", code=code, why=why)))
                allowed.append(code)
            else:
                console.print(escape(say("cli.finalize_refused", code=code, why=why)))
        done = store.finalize(allowed, _now(), who)
    finally:
        store.close()
    console.print(say("cli.finalized", codes=", ".join(done)) if done else say("cli.finalize_none"))
    return done


# -- explanation round (giải trình) --------------------------------------------------------------------
def appraise_answers_cmd(ws: Workspace, out_dir: Path, deadline: dt.date | None, all_communes: bool,
                         console: Console | None = None) -> int:
    """Answer workbooks after round 1; the deadline given, else the one given last in the round (exit 2 if none)."""
    from cchc_xl.appraisal.explanation import issue_answers

    console = console or make_console()
    store = ws.open_store()
    try:
        if deadline is None and (stored := store.answer_deadline()):
            deadline = dt.date.fromisoformat(stored)
        if deadline is None:
            console.print(say("cli.answers_no_deadline"))
            return 2
        written, skipped = issue_answers(store, ws.cset, out_dir, ws.settings, deadline=deadline,
                                         all_communes=all_communes)
    finally:
        store.close()
    console.print(say("cli.answers_written", count=len(written), dir=out_dir, deadline=f"{deadline:%d/%m/%Y}"))
    if skipped:
        console.print(say("cli.answers_skipped", codes=", ".join(skipped)))
    return 0


def appraise_answers_import_cmd(ws: Workspace, inbox: Path, out_dir: Path, received: dt.date | None,
                                console: Console | None = None) -> int:
    """Exit 1 when a file was rejected, as `import` does."""
    from cchc_xl.appraisal.explanation import import_answers

    console = console or make_console()
    at = dt.datetime.now().astimezone()
    if received is not None:
        at = dt.datetime.combine(received, dt.time(12, 0)).astimezone()
    store = ws.open_store()
    try:
        outcomes = import_answers(store, ws.cset, inbox, ws.settings, received_at=at)
    finally:
        store.close()
    status = template("validation").status
    data = {"round": ws.round.id, "criteria": {"id": ws.cset.id, "version": ws.cset.version}, "answers": [
        {"file": o.file, "commune_code": o.commune_code, "status": o.status, "contested": o.contested,
         "findings": [f.model_dump() for f in o.findings]} for o in outcomes]}
    write_text(out_dir / "answers-report.json", json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    table = Table()
    for header in say("cli.answers_columns").split("|"):
        table.add_column(header)
    for o in outcomes:
        table.add_row(o.file, o.commune_code or "", status[o.status], ", ".join(o.contested),
                      str(sum(f.severity == "error" for f in o.findings)))
    console.print(table)
    _print_errors(console, outcomes)
    rejected = sum(o.status == "rejected" for o in outcomes)
    unchanged = sum(not o.recorded for o in outcomes if o.commune_code)
    console.print(say("cli.answers_done", count=len(outcomes), rejected=rejected,
                      recorded=sum(o.recorded and o.status != "rejected" for o in outcomes),
                      unchanged=say("cli.appraise_unchanged", count=unchanged) if unchanged else ""))
    return 1 if rejected else 0


def appraise_round2_cmd(ws: Workspace, out_dir: Path, console: Console | None = None,
                        today: dt.date | None = None) -> list[Path]:
    """Round 2; `today` (default: the real date) decides who is past the answer deadline (the demo plays it)."""
    from cchc_xl.appraisal.explanation import prepare_round2

    console = console or make_console()
    store = ws.open_store()
    try:
        plan = prepare_round2(store, ws.cset, out_dir, ws.settings, today=today)
    finally:
        store.close()
    console.print(say("cli.round2_prepared", count=len(plan.written), dir=out_dir))
    for key, codes in (("deemed", plan.deemed), ("pending", plan.pending), ("accepted", plan.accepted)):
        if codes:
            console.print(say(f"cli.round2_{key}", codes=", ".join(codes)))
    return plan.written


def appraise_reopen_cmd(ws: Workspace, code: str, reason: str, who: str, console: Console | None = None) -> int:
    console = console or make_console()
    store = ws.open_store()
    try:
        ok = store.reopen(code, _now(), who, reason)
    finally:
        store.close()
    if not ok:  # nothing to reopen: a usage mistake
        _error(say("cli.reopen_refused", code=code))
        return 2
    console.print(say("cli.reopened", code=code))
    return 0


def appraise_history_cmd(ws: Workspace, code: str, criterion: str, console: Console | None = None) -> None:
    """self → round 1 → answer → round 2, each with who, when and why; then the commune's events."""
    console = console or make_console()
    store = ws.open_store()
    try:
        history = store.score_history(code, criterion)
        stages = {h["id"]: store.appraisal_stage(h["id"])[0] for h in history if h["stage"] == "appraisal"}
        answers = store.answers(code)
        deadlines = {r.id: r.deadline for r in store.answer_requests()}
        events = store.events(code)
    finally:
        store.close()
    console.print(escape(say("cli.history_header", criterion=criterion, code=code)))
    explained = any(e.kind == "answer_request" for e in events)
    lines = _score_lines(history, stages, explained) + _answer_lines(answers, deadlines, criterion)
    for _order, line in sorted(lines, key=lambda x: x[0]):
        console.print(escape(line))
    console.print(say("cli.history_events"))
    for e in events:
        console.print(escape(f"  {e.at}  {event_text(e.kind, e.detail)}"))


def _score_lines(history: list[dict[str, Any]], stages: dict[int, str], explained: bool) -> list[tuple[int, str]]:
    """(order of the stage, line) of the self-assessed and appraised points: self 0, round 1 1, round 2 3."""
    lines: list[tuple[int, str]] = []
    for h in history:
        points = fmt(Decimal(h["points"])) if h["points"] is not None else "—"
        if h["stage"] == "self":
            lines.append((0, say("cli.history_self", at=h["at"], version=h["version"], file=h["file"],
                                 points=points)))
            continue
        round2 = stages.get(h["id"]) == "round2"
        # "round 1" only where there was an explanation round
        key = "cli.history_round2" if round2 else "cli.history_round1" if explained else "cli.history_appraisal"
        lines.append((3 if round2 else 1, say(
            key, at=h["at"], by=h["by"], file=h["file"],
            points=points, reason=h["reason"] or "—",
            superseded=say("cli.history_superseded") if h["superseded"] else "")))
    return lines


def _answer_lines(answers: list[StoredAnswer], deadlines: dict[int, str], criterion: str) -> list[tuple[int, str]]:
    """(2, line) of each answer of the commune's explanation round about `criterion`."""
    from cchc_xl.appraisal.explanation import answer_label

    lines: list[tuple[int, str]] = []
    for a in answers:
        item = a.items.get(criterion)
        if item is None:
            continue
        if a.status == "deemed_accepted":
            deadline = deadlines.get(a.request_id)
            lines.append((2, say("cli.history_answer_deemed", at=a.received_at,
                                 deadline=f"{dt.date.fromisoformat(deadline):%d/%m/%Y}" if deadline else "—")))
            continue
        files = [f for r in a.evidence.rows if r.criterion == criterion for f in r.files]
        rejected = [f.message for f in a.findings if f.severity == "error"]
        lines.append((2, say(
            "cli.history_answer", at=a.received_at, by=a.answered_by or "—", file=a.file_name,
            answer=answer_label(item.answer),
            explanation=say("cli.history_answer_explanation", text=item.explanation) if item.explanation
            else "", evidence=say("cli.history_answer_evidence", files="; ".join(files)) if files else "",
            status=say("cli.history_answer_rejected", reason=rejected[0]) if rejected else "")))
    return lines


def event_text(kind: str, detail: EventDetail) -> str:
    """One store event in Vietnamese (the store keeps English kinds and plain details)."""
    status = template("validation").status
    given = detail.shown()
    values = {k: ("" if v is None else ", ".join(map(str, v)) if isinstance(v, list | tuple) else v)
              for k, v in given.items()}
    raw_status = str(detail.status or "")
    values["status"] = status.get(raw_status) or (say(f"event.status.{raw_status}") if
                                                  f"event.status.{raw_status}" in MESSAGES else raw_status)
    values["by"] = detail.by or detail.appraiser or "—"
    values["uncounted"] = "" if detail.counts is not False else say("event.uncounted")
    try:
        return say(f"event.{kind}", **values)
    except (KeyError, IndexError):  # a kind or a detail this version does not know: shown plainly
        shown = ", ".join(f"{k}: {v}" for k, v in given.items())
        return say("event.other", kind=kind, detail=shown)


# -- ranking report -----------------------------------------------------------------------------------
def report_cmd(ws: Workspace, out: Path, previous_db: Path | None, console: Console | None = None, *,
               rounds: list[str] | None = None, signature: Signature | None = None) -> int:
    """The ranking of the round; last year's totals from `previous_db`, else the store's previous round.
    `rounds`: several rounds of the store ranked together (one year, one set), instead of the workspace's.
    `signature`: the cover's signature block, when the body issues the report."""
    from cchc_xl.reports.ranking import write_ranking, write_report_workbook

    console = console or make_console()
    if not exists(ws.db_path):
        _error(say("cli.report_no_store", db=shown(ws.db_path)))
        return 2
    try:
        if rounds:
            try:
                data = consolidated_ranking(ws, rounds, previous_db)
            except (WorkspaceError, RoundsError) as exc:
                _error(str(exc))
                return 2
            summary = write_report_workbook(data, out, password=ws.settings.sheet_password, signature=signature)
        else:
            previous = last_year_totals(ws, previous_db)
            store = ws.open_store()
            try:
                provisional = provisional_codes(store)
            finally:
                store.close()
            summary = write_ranking(ws.db_path, ws.cset, out, ws.communes, previous=previous, deadline=ws.deadline,
                                    password=ws.settings.sheet_password, round_id=ws.round.id,
                                    provisional=provisional, identity=ws.identity, signature=signature)
    except OSError as exc:  # open in Excel (Windows cannot replace it), read-only folder, disk full
        from cchc_xl.faults import reason

        _error(say("output.locked", path=out, reason=reason(exc)))
        return 2
    console.print(say("cli.report_done", path=summary.path, ranked=summary.ranked, listed=summary.listed,
                      stage=say(f"cli.report_stage_{summary.stage}"),
                      tiers="; ".join(f"{name}: {n}" for name, n in summary.tiers.items()),
                      first=", ".join(summary.first) or "—"))
    return 0


def consolidated_ranking(ws: Workspace, round_ids: list[str], previous_db: Path | None) -> RankingInput:
    """The rounds `round_ids` of the workspace's store ranked together; each one's last-year totals joined.
    WorkspaceError for a round the store does not hold, RoundsError for rounds that cannot be joined."""
    from cchc_xl.reports.ranking_data import RoundPart, check_consolidation, from_rounds

    probe = Store(ws.db_path)
    try:
        known = {r.id: r for r in probe.rounds()}
    finally:
        probe.close()
    missing = [r for r in round_ids if r not in known]
    if missing:
        raise WorkspaceError(say("round.unknown", round=missing[0], db=shown(ws.db_path),
                                 rounds=", ".join(known) or "—"))
    chosen = [known[r] for r in dict.fromkeys(round_ids)]
    check_consolidation(chosen)
    previous: dict[str, Decimal] = {}
    parts: list[RoundPart] = []
    try:
        for rnd in chosen:
            part = replace(ws, round=rnd, communes=list(rnd.communes))
            previous.update(last_year_totals(part, previous_db) or {})
            store = Store(ws.db_path, round_id=rnd.id)
            parts.append(RoundPart(rnd, store, part.communes, part.deadline, frozenset(provisional_codes(store))))
        return from_rounds(parts, load_set_text(chosen[0].set_yaml), previous=previous, identity=ws.identity)
    finally:
        for p in parts:
            p.store.close()


def provisional_codes(store: Store) -> list[str]:
    """The units whose results are still in the explanation round (shown as provisional)."""
    if not store.answer_requests():  # (no explanation round: its modules, 0.2 s to import, are not needed)
        return []
    from cchc_xl.appraisal.explanation import explanation_states

    return [c for c, st in explanation_states(store, dt.date.today()).items() if st.provisional]


def last_year_totals(ws: Workspace, previous_db: Path | None) -> dict[str, Decimal] | None:
    """Totals of the previous round, in `previous_db` or else the round's own store: its latest earlier round,
    else the rows written there before rounds existed (they predate every round); None when there is none."""
    from cchc_xl.reports.ranking_data import previous_totals

    source: Location = previous_db or ws.db_path
    probe = Store(source)
    try:
        earlier = previous_round(probe, ws.round)
        if earlier is not None:
            round_id = earlier.id
        elif probe.has_legacy_rows():
            round_id = ""
        else:
            return None
    finally:
        probe.close()
    old = Store(source, round_id=round_id)
    try:
        return previous_totals(old)
    finally:
        old.close()


# -- status -------------------------------------------------------------------------------------------
def status_cmd(ws: Workspace, console: Console | None = None, *, as_json: bool = False) -> None:
    from cchc_xl.appraisal.explanation import status_counts

    console = console or make_console()
    store = ws.open_store()
    try:
        done = progress(store, ws.communes)
        earlier = previous_round(store, ws.round)
        answers = status_counts(store, dt.date.today())
    finally:
        store.close()
    r = ws.round
    if as_json:
        click.echo(json.dumps({
            "round": {"id": r.id, "year": r.year, "body": r.body, "set": {"id": r.set_id, "version": r.set_version},
                      "deadline": r.deadline, "units": len(ws.communes)},
            **{key: getattr(done, key) for key in ("received", "accepted", "appraised", "finalized")},
            "missing": [c.code for c in done.missing], "answers": answers,
            "previous_round": earlier.id if earlier else None}, ensure_ascii=False, indent=2, default=str))
        return
    deadline = say("status.deadline", date=dt.date.fromisoformat(r.deadline).strftime("%d/%m/%Y")) \
        if r.deadline else ""
    console.print(escape(say("status.header", round=r.id, body=r.body, year=r.year,
                             set=f"{r.set_id} {r.set_version}", count=len(ws.communes), deadline=deadline)))
    total = len(ws.communes)
    for key in ("received", "accepted", "appraised", "finalized"):
        console.print(say("status.line", label=say(f"status.{key}"), count=len(getattr(done, key)), total=total))
    console.print(say("status.line", label=say("status.missing"), count=len(done.missing), total=total))
    if done.missing:
        console.print(escape(say("status.missing_names", names=", ".join(c.display for c in done.missing))))
    if answers["issued"]:
        console.print(say("status.answers", **answers))
    if earlier is not None:
        console.print(escape(say("status.previous", round=earlier.id)))


# -- safety: withdraw, store backups ------------------------------------------------------------------
def _error(text: str) -> None:
    """A message about a mistake: to stderr (results go to stdout)."""
    make_console(stderr=True).print(escape(text))


def withdraw_cmd(ws: Workspace, code: str, version: int | None, reason: str, who: str,
                 console: Console | None = None) -> int:
    """Exit code: 0 withdrawn, 2 nothing to withdraw or a commune already appraised (a usage mistake). `code`
    is one of the round's (the command line checks it)."""
    console = console or make_console()
    store = ws.open_store()
    try:
        state = store.state(code)
        if state in ("appraised", "final"):
            _error(say(f"withdraw.refused_{state}", code=code))
            return 2
        done = store.withdraw(code, version, at=_now(), who=who, reason=reason)
        now = store.latest(code) if done is not None else None
    finally:
        store.close()
    if done is None:
        _error(say("withdraw.none" if version is None else "withdraw.no_version", code=code, version=version))
        return 2
    counting = say("withdraw.now_counts", version=now.version, file=now.file_name) if now else \
        say("withdraw.now_none")
    console.print(escape(say("withdraw.done", code=code, version=done, counting=counting)))
    return 0


def restore_cmd(ws: Workspace, choice: str | None, console: Console | None = None) -> int:
    """Without `choice`, list the backups (a server store's: of the round); with a number (1 = newest) or a
    backup's path, restore it."""
    from cchc_xl.backup import backups, restore
    from cchc_xl.store_copy import CopyError
    from cchc_xl.store_sql import is_url

    console = console or make_console()
    server = is_url(ws.db_path)
    db = say("restore.server_round", round=ws.round.id, db=shown(ws.db_path)) if server else shown(ws.db_path)
    found = backups(ws.db_path, round_id=ws.round.id, base=ws.folder)
    if choice is None:
        if not found:
            _error(say("restore.none", db=db))
            return 2
        console.print(escape(say("restore.list_header", db=db)))
        for i, b in enumerate(found, 1):
            console.print(escape(say("restore.list_line", n=i, at=f"{b.taken_at:%d/%m/%Y %H:%M:%S}",
                                     command=b.command, file=b.path.name)))
        console.print(escape(say("restore.list_hint")))
        return 0
    chosen = None
    if choice.isdigit() and 1 <= int(choice) <= len(found):
        chosen = found[int(choice) - 1]
    else:
        chosen = next((b for b in found if b.path.name == Path(choice).name), None)
    if chosen is None:
        _error(say("restore.unknown", choice=choice, count=len(found)))
        return 2
    try:
        before = restore(ws.db_path, chosen.path, round_id=ws.round.id, base=ws.folder)
    except CopyError as exc:
        _error(str(exc))
        return 2
    console.print(escape(say("restore.done_round" if server else "restore.done", db=db,
                             at=f"{chosen.taken_at:%d/%m/%Y %H:%M:%S}", command=chosen.command,
                             before=before.path.name if before else "—")))
    return 0


# -- criteria show -------------------------------------------------------------------------------------
def criteria_show_cmd(cset: CriteriaSet, width: int | None = None) -> None:
    """The tree with maxima and methods, then the bonus and penalty blocks and the tiers. Long lines wrap at the
    terminal's width under their own indentation (never when piped: one line per item)."""
    import shutil
    import textwrap

    if width is None and sys.stdout.isatty():
        width = shutil.get_terminal_size().columns

    def line(depth: int, text: str) -> None:
        indent = "    " * depth
        if width is None:
            click.echo(indent + text)
        else:
            click.echo(textwrap.fill(text, width=max(width, 40), initial_indent=indent,
                                     subsequent_indent=indent + "      ", break_on_hyphens=False))

    line(0, say("cli.show_header", title=cset.title, version=cset.version, total=cset.total))
    for area in cset.areas:
        line(0, f"{area.code}. {area.title} [{fmt(area.max)}]")
        for crit in area.criteria:
            for depth, node in [(1, crit)] + [(2, s) for s in crit.children]:
                text = f"{node.code} {node.title} [{fmt(node.max)}]"
                if node.rule is not None:
                    text += f" — {node.rule.describe(node.max)}"
                line(depth, text)
    for key, block in (("cli.show_bonus", cset.bonus), ("cli.show_penalty", cset.penalty)):
        if block is not None and block.items:
            line(0, say(key, cap=block.cap))
            for item in block.items:
                line(1, say("cli.show_adjustment", code=item.code, title=item.title, points=item.points))
    line(0, say("cli.show_tiers") + ": " + "; ".join(f"{t.name} ≥ {fmt(t.min)}" for t in cset.tiers))
