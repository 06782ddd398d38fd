"""`cchc-xl store copy SRC DST [--round ID]`: a round from one store into another (SQLite ↔ PostgreSQL).

The source is only read. In the destination the round is written in one transaction, matched by what
identifies each row rather than by its id (ids are each store's own): the round by its id (a round of the
same id with another criteria set is refused); submissions and appraisals by (commune, file sha256), so a
second copy adds nothing and a copy after more imports adds only the new ones; explanation requests by
(commune, appraisal, time issued), answers by (commune, file sha256); events by (time, commune, kind, detail),
their details as the source wrote them (ids in them are the source's). A submission keeps its version
unless the destination already holds that version of the commune from another file; then it becomes the
commune's next one. Withdrawals follow their submissions. Communes take the source's name and state.
Without --round every round of the source is copied (and a pre-rounds store's unnamed round).

A server store's backup (backup.py) is an exact copy instead: `dump_round` writes one round, every row with
its own id, into a new SQLite file, read from one snapshot of the server; `replace_round` puts such a file's
round back in place of the round in the store, in one transaction, the ids unchanged (the appraisal and
explanation workbooks in circulation name submissions, appraisals and requests by id), other rounds untouched.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from cchc_xl.messages import say
from cchc_xl.store import Store, _dumps, _loads, _opt
from cchc_xl.store_sql import Engine, Location, shown


class CopyError(ValueError):
    """A round that cannot be copied: one Vietnamese message."""


@dataclass(frozen=True)
class CopyOutcome:
    round_id: str
    submissions: int  # new in the destination
    known: int  # already there (the same file of the same commune)
    appraisals: int
    events: int
    answers: int = 0  # explanation-round answers (received or deemed)


_SUBMISSION = ("commune_code, version, file_name, file_sha256, received_at, set_id, set_version, status, counts,"
               " self_total, tier, declared_json, scores_json, summary_json")
_APPRAISAL = ("commune_code, file_name, file_sha256, appraiser, imported_at, status, superseded, total, tier,"
              " bonus, penalty")
_ANSWER = ("commune_code, file_name, file_sha256, received_at, status, answered_by, items_json, evidence_json,"
           " findings_json")
_JSON = {"items_json", "evidence_json", "findings_json", "declared_json", "scores_json", "summary_json", "communes_json",
         "detail_json"}
_NUMERIC = {"self_total", "total", "bonus", "penalty", "self_points", "appraised_points", "points"}


def copy_rounds(src: Location, dst: Location, round_id: str | None = None) -> list[CopyOutcome]:
    """Copy the round `round_id` (default: every round) from `src` into `dst`. CopyError, StoreUnavailable."""
    if str(src) == str(dst):
        raise CopyError(say("store.copy_same", db=shown(src)))
    source = _open(src)
    try:
        if round_id is not None:
            if source.round(round_id) is None and not (round_id == "" and source.has_legacy_rows()):
                raise CopyError(say("round.unknown", round=round_id, db=shown(src),
                                    rounds=", ".join(r.id for r in source.rounds()) or "—"))
            ids = [round_id]
        else:
            ids = ([""] if source.has_legacy_rows() else []) + [r.id for r in source.rounds()]
        if not ids:
            raise CopyError(say("store.copy_none", db=shown(src)))
    finally:
        source.close()
    return [_copy_one(src, dst, rid) for rid in ids]


def _copy_one(src: Location, dst: Location, round_id: str) -> CopyOutcome:
    source = _open(src, round_id)
    try:
        with source.engine.snapshot():
            rows = _read(source.engine, round_id)
    finally:
        source.close()
    target = _open(dst, round_id)
    try:
        return target._write(lambda db: _write(db, rows, round_id, src, dst))
    finally:
        target.close()


def _open(loc: Location, round_id: str = "") -> Store:
    try:
        return Store(loc, round_id=round_id)
    except sqlite3.DatabaseError:  # a file that is not a database, or a damaged one
        raise CopyError(say("round.store_unreadable", db=shown(loc))) from None


def _values(columns: str, row: tuple[object, ...]) -> list[object]:
    """A row as the destination takes it: decimals and JSON as text, whatever engine it came from."""
    out: list[object] = []
    for name, value in zip((c.strip() for c in columns.split(",")), row, strict=True):
        if name in _JSON:
            out.append(None if value is None else _dumps(_loads(value)))  # (summary_json may be NULL)
        elif name in _NUMERIC:
            out.append(_opt(value))  # type: ignore[arg-type]
        else:
            out.append(value)
    return out


_ROUND = "id, year, body, place, deadline, set_id, set_version, set_sha256, set_yaml, communes_json, created_at"


def _read(db: Engine, rid: str) -> dict[str, list[tuple[object, ...]]]:
    return {
        "round": db.all(f"SELECT {_ROUND} FROM rounds WHERE id=?", (rid,)),
        "communes": db.all("SELECT code, name, kind, state FROM communes WHERE round_id=? ORDER BY code", (rid,)),
        "submissions": db.all(f"SELECT id, {_SUBMISSION} FROM submissions WHERE round_id=? ORDER BY id", (rid,)),
        "findings": db.all("SELECT f.submission_id, f.severity, f.rule, f.criterion, f.cell, f.message FROM findings f"
                           " JOIN submissions s ON s.id=f.submission_id WHERE s.round_id=?", (rid,)),
        "appraisals": db.all(f"SELECT id, submission_id, {_APPRAISAL} FROM appraisals WHERE round_id=? ORDER BY id",
                             (rid,)),
        "appraisal_scores": db.all(
            "SELECT x.appraisal_id, x.criterion, x.self_points, x.appraised_points, x.reason, x.changed FROM"
            " appraisal_scores x JOIN appraisals a ON a.id=x.appraisal_id WHERE a.round_id=?", (rid,)),
        "appraisal_adjustments": db.all(
            "SELECT x.appraisal_id, x.code, x.block, x.count, x.points FROM appraisal_adjustments x JOIN"
            " appraisals a ON a.id=x.appraisal_id WHERE a.round_id=?", (rid,)),
        "appraisal_findings": db.all(
            "SELECT x.appraisal_id, x.severity, x.rule, x.criterion, x.cell, x.message FROM appraisal_findings x"
            " JOIN appraisals a ON a.id=x.appraisal_id WHERE a.round_id=?", (rid,)),
        "appraisal_stages": db.all(
            "SELECT x.appraisal_id, x.stage, x.request_id FROM appraisal_stages x JOIN appraisals a ON"
            " a.id=x.appraisal_id WHERE a.round_id=?", (rid,)),
        "answer_requests": db.all("SELECT id, commune_code, appraisal_id, deadline, issued_at, items_json FROM"
                                  " answer_requests WHERE round_id=? ORDER BY id", (rid,)),
        "answers": db.all(f"SELECT request_id, {_ANSWER} FROM answers WHERE round_id=? ORDER BY id", (rid,)),
        "withdrawals": db.all("SELECT w.submission_id, w.at, w.by, w.reason FROM withdrawals w JOIN submissions s"
                              " ON s.id=w.submission_id WHERE s.round_id=?", (rid,)),
        "events": db.all("SELECT at, commune_code, kind, detail_json FROM events WHERE round_id=? ORDER BY id",
                         (rid,)),
    }


def _by_parent(rows: list[tuple[object, ...]]) -> dict[object, list[tuple[object, ...]]]:
    out: dict[object, list[tuple[object, ...]]] = {}
    for row in rows:
        out.setdefault(row[0], []).append(row[1:])
    return out


def _write(db: Engine, rows: dict[str, list[tuple[object, ...]]], rid: str, src: Location,
           dst: Location) -> CopyOutcome:
    for rnd in rows["round"]:
        values = _values(_ROUND, rnd)
        db.execute(f"INSERT INTO rounds ({_ROUND}) VALUES ({','.join('?' * len(values))})"
                   " ON CONFLICT (id) DO NOTHING", values)
        held = db.one(f"SELECT set_sha256, set_id, set_version FROM rounds WHERE id=?{db.lock}", (rid,))
        if held is not None and held[0] != rnd[7]:
            raise CopyError(say("store.copy_other_set", round=rid, dst=shown(dst), src=shown(src),
                                dst_set=f"{held[1]} {held[2]}", src_set=f"{rnd[5]} {rnd[6]}"))
    for code, name, kind, state in rows["communes"]:  # in code order: the lock order of every writer
        db.execute("INSERT INTO communes (round_id, code, name, kind, state) VALUES (?,?,?,?,?) ON CONFLICT"
                   " (round_id, code) DO UPDATE SET name=excluded.name, kind=excluded.kind, state=excluded.state",
                   (rid, code, name, kind, state))
        db.one(f"SELECT state FROM communes WHERE round_id=? AND code=?{db.lock}", (rid, code))
    findings = _by_parent(rows["findings"])
    submission_ids: dict[object, int] = {}
    new = known = 0
    for old_id, *rest in rows["submissions"]:
        values = _values(_SUBMISSION, tuple(rest))
        code, version, sha = values[0], values[1], values[3]
        found = db.one("SELECT id FROM submissions WHERE round_id=? AND commune_code=? AND file_sha256=?",
                       (rid, code, sha))
        if found is not None:
            submission_ids[old_id] = int(found[0])
            known += 1
            continue
        if db.one("SELECT 1 FROM submissions WHERE round_id=? AND commune_code=? AND version=?",
                  (rid, code, version)) is not None:
            values[1] = db.one("SELECT MAX(version)+1 FROM submissions WHERE round_id=? AND commune_code=?",
                               (rid, code))[0]  # type: ignore[index]
        sid = int(db.one(f"INSERT INTO submissions (round_id, {_SUBMISSION}) VALUES"
                         f" (?,{','.join('?' * len(values))}) RETURNING id", (rid, *values))[0])  # type: ignore[index]
        submission_ids[old_id] = sid
        db.executemany("INSERT INTO findings (submission_id, severity, rule, criterion, cell, message)"
                       " VALUES (?,?,?,?,?,?)", [(sid, *f) for f in findings.get(old_id, [])])
        new += 1
    for old_id, at, by, reason in rows["withdrawals"]:
        db.execute("INSERT INTO withdrawals (submission_id, at, by, reason) VALUES (?,?,?,?) ON CONFLICT"
                   " (submission_id) DO NOTHING", (submission_ids[old_id], at, by, reason))
    appraisals = 0
    appraisal_ids: dict[object, int] = {}
    copied: list[object] = []  # source ids of the appraisals written now
    children = {t: _by_parent(rows[t]) for t in ("appraisal_scores", "appraisal_adjustments", "appraisal_findings")}
    for old_id, old_submission, *rest in rows["appraisals"]:
        values = _values(_APPRAISAL, tuple(rest))
        held = db.one("SELECT id FROM appraisals WHERE round_id=? AND commune_code=? AND file_sha256=?",
                      (rid, values[0], values[2]))
        if held is not None:
            appraisal_ids[old_id] = int(held[0])
            continue
        aid = int(db.one(f"INSERT INTO appraisals (round_id, submission_id, {_APPRAISAL}) VALUES"
                         f" (?,?,{','.join('?' * len(values))}) RETURNING id",
                         (rid, submission_ids[old_submission], *values))[0])  # type: ignore[index]
        db.executemany("INSERT INTO appraisal_scores (appraisal_id, criterion, self_points, appraised_points,"
                       " reason, changed) VALUES (?,?,?,?,?,?)",
                       [(aid, c, _opt(sp), _opt(ap), r, ch)  # type: ignore[arg-type]
                        for c, sp, ap, r, ch in children["appraisal_scores"].get(old_id, [])])
        db.executemany("INSERT INTO appraisal_adjustments (appraisal_id, code, block, count, points)"
                       " VALUES (?,?,?,?,?)",
                       [(aid, c, b, n, _opt(p))  # type: ignore[arg-type]
                        for c, b, n, p in children["appraisal_adjustments"].get(old_id, [])])
        db.executemany("INSERT INTO appraisal_findings (appraisal_id, severity, rule, criterion, cell, message)"
                       " VALUES (?,?,?,?,?,?)", [(aid, *f) for f in children["appraisal_findings"].get(old_id, [])])
        appraisals += 1
        appraisal_ids[old_id] = aid
        copied.append(old_id)
    request_ids: dict[object, int] = {}
    for old_id, code, old_appraisal, deadline, issued_at, items in rows["answer_requests"]:
        target = (rid, code, appraisal_ids[old_appraisal], issued_at)
        held = db.one("SELECT id FROM answer_requests WHERE round_id=? AND commune_code=? AND appraisal_id=? AND"
                      " issued_at=?", target)
        request_ids[old_id] = int(held[0]) if held is not None else int(db.one(
            "INSERT INTO answer_requests (round_id, commune_code, appraisal_id, deadline, issued_at, items_json)"
            " VALUES (?,?,?,?,?,?) RETURNING id", (*target[:3], deadline, issued_at,
                                                   _dumps(_loads(items))))[0])  # type: ignore[index]
    stages = {a: (stage, request) for a, stage, request in rows["appraisal_stages"]}
    for old_id in copied:
        if old_id in stages:
            stage, request = stages[old_id]
            db.execute("INSERT INTO appraisal_stages (appraisal_id, stage, request_id) VALUES (?,?,?)",
                       (appraisal_ids[old_id], stage, None if request is None else request_ids[request]))
    answers = 0
    for old_request, *rest in rows["answers"]:
        values = _values(_ANSWER, tuple(rest))
        if db.one("SELECT 1 FROM answers WHERE round_id=? AND commune_code=? AND file_sha256=?",
                  (rid, values[0], values[2])) is not None:
            continue
        db.execute(f"INSERT INTO answers (round_id, request_id, {_ANSWER}) VALUES (?,?,{','.join('?' * len(values))})",
                   (rid, request_ids[old_request], *values))
        answers += 1
    held_events = {(a, c, k, _dumps(_loads(d))) for a, c, k, d in
                   db.all("SELECT at, commune_code, kind, detail_json FROM events WHERE round_id=?", (rid,))}
    events = 0
    for at, code, kind, detail in rows["events"]:
        key = (at, code, kind, _dumps(_loads(detail)))
        if key in held_events:
            continue
        held_events.add(key)
        db.execute("INSERT INTO events (round_id, at, commune_code, kind, detail_json) VALUES (?,?,?,?,?)",
                   (rid, *key))
        events += 1
    return CopyOutcome(rid, new, known, appraisals, events, answers)


# -- exact copies of one round (a server store's backups) -------------------------------------------------
_OF_SUBMISSIONS = "submission_id IN (SELECT id FROM submissions WHERE round_id=?)"
_OF_APPRAISALS = "appraisal_id IN (SELECT id FROM appraisals WHERE round_id=?)"
# Every table's rows of one round: (table, all its columns, which rows), parents before children.
_EXACT: list[tuple[str, str, str]] = [
    ("rounds", _ROUND, "id=?"),
    ("communes", "round_id, code, name, kind, state", "round_id=?"),
    ("submissions", f"id, round_id, {_SUBMISSION}", "round_id=?"),
    ("findings", "submission_id, severity, rule, criterion, cell, message", _OF_SUBMISSIONS),
    ("withdrawals", "submission_id, at, by, reason", _OF_SUBMISSIONS),
    ("appraisals", f"id, round_id, submission_id, {_APPRAISAL}", "round_id=?"),
    ("appraisal_scores", "appraisal_id, criterion, self_points, appraised_points, reason, changed", _OF_APPRAISALS),
    ("appraisal_adjustments", "appraisal_id, code, block, count, points", _OF_APPRAISALS),
    ("appraisal_findings", "appraisal_id, severity, rule, criterion, cell, message", _OF_APPRAISALS),
    ("answer_requests", "id, round_id, commune_code, appraisal_id, deadline, issued_at, items_json", "round_id=?"),
    ("appraisal_stages", "appraisal_id, stage, request_id", _OF_APPRAISALS),
    ("answers", f"id, round_id, request_id, {_ANSWER}", "round_id=?"),
    ("events", "id, round_id, at, commune_code, kind, detail_json", "round_id=?"),
]
_WITH_IDS = ("submissions", "appraisals", "answer_requests", "answers", "events")

Dump = dict[str, list[tuple[object, ...]]]


def _dump(db: Engine, rid: str) -> Dump:
    """Every row of the round, each table in the order its rows were written (findings are read in order)."""
    out: Dump = {}
    with db.snapshot():
        for table, columns, where in _EXACT:
            order = "id" if table in (*_WITH_IDS, "rounds") else "code" if table == "communes" else db.row_order
            out[table] = db.all(f"SELECT {columns} FROM {table} WHERE {where} ORDER BY {order}", (rid,))
    return out


def _insert(db: Engine, rows: Dump) -> None:
    for table, columns, _where in _EXACT:
        marks = ",".join("?" * len(columns.split(",")))
        db.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                       [_values(columns, r) for r in rows[table]])


def dump_round(src: Location, target: Path, round_id: str) -> bool:
    """The round `round_id` of `src`, every row with its id, into the new SQLite file `target` (a store that
    `--db` opens like any other); False (no file) when `src` has no such round. Nothing is written to `src`."""
    source = _open(src, round_id)
    try:
        if source.round(round_id) is None:
            return False
        rows = _dump(source.engine, round_id)
    finally:
        source.close()
    copy = _open(target, round_id)
    try:
        copy._write(lambda db: _insert(db, rows))
    finally:
        copy.close()
    return True


def replace_round(src: Path, dst: Location, round_id: str) -> None:
    """The round `round_id` of `dst` replaced by the one in the file `src` (made by `dump_round`), in one
    transaction: every row of the round in `dst` removed, the file's rows written with their ids. Other rounds
    are not touched. CopyError when the file does not hold the round, or holds ids `dst` gives other rounds
    (a copy taken from another server)."""
    source = _open(src, round_id)
    try:
        if source.round(round_id) is None:
            raise CopyError(say("restore.not_this_round", file=src.name, round=round_id))
        rows = _dump(source.engine, round_id)
    finally:
        source.close()
    target = _open(dst, round_id)
    try:
        target._write(lambda db: _replace(db, rows, round_id, src))
    finally:
        target.close()


def _replace(db: Engine, rows: Dump, rid: str, src: Path) -> None:
    # the commune locks first, in code order as every writer takes them: an import of the round waits here
    db.all(f"SELECT code FROM communes WHERE round_id=? ORDER BY code{db.lock}", (rid,))
    for table, _columns, where in reversed(_EXACT):
        db.execute(f"DELETE FROM {table} WHERE {where}", (rid,))
    for table in _WITH_IDS:  # what is left holding the file's ids is another round's: not this store's copy
        ids = {int(r[0]) for r in rows[table]}  # type: ignore[call-overload]
        if ids and ids & {int(r[0]) for r in db.all(f"SELECT id FROM {table} WHERE id BETWEEN ? AND ?",
                                                     (min(ids), max(ids)))}:
            raise CopyError(say("restore.other_store", file=src.name, round=rid))
    _insert(db, rows)
