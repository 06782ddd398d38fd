"""The store: every submission, its declared values, recomputed scores and findings, in SQLite or PostgreSQL.

Each submission is recorded all or nothing: in a transaction of its own, or in a savepoint of an import
batch's transaction (`batch`, committed now and then by `checkpoint`), so a kill loses at most the
uncommitted tail of a batch, which a rerun records again.
The same file (same sha256 for the same commune) imported again changes nothing; a new file from the
same commune becomes its next version, and earlier versions are kept. Both hold under concurrent imports
(several officers on one PostgreSQL server): a submission first locks its commune's row, so the check for the
same file and the next version number are read by one writer at a time, and unique constraints on
(round, commune, file) and (round, commune, version) back that up; a writer that loses a race (deadlock,
serialization) retries its whole transaction. Inside an import batch, whose earlier records hold their communes'
locks, the loser first commits those records (so the writer waiting on one of them goes on), then records the
one submission again: two importers whose batches meet the same communes in opposite orders both finish, each
file recorded once. Finalize and reopen lock the communes they change; the audit
events of a commune are written under that lock, so their order is the order of the changes.

One store holds several rounds (đợt đánh giá: a year's set, unit list and assessing body; table `rounds`).
Submissions, communes' states, appraisals and events carry their round's id; a `Store` is opened on one
round (`round_id`) and sees only its rows. Stores written before rounds existed (schema 1) are upgraded in
place: their rows belong to the unnamed round "" that `Store(path)` opens. The engines (`store_sql`) share
this SQL; `MIGRATIONS` brings either one's schema up to `SCHEMA_VERSION`.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from pydantic import TypeAdapter

from cchc_xl.communes import Commune
from cchc_xl.messages import say
from cchc_xl.store_records import (
    AnswerEvidence,
    AnswerItem,
    DeclaredRecord,
    Event,
    EventDetail,
    FindingEntry,
    LatestResult,
    RequestItem,
    Scores,
    answer_items,
    answer_items_json,
    as_stored,
    declared_json,
    declared_record,
    declared_summary,
    findings_json,
    findings_of,
    record_of,
    request_items,
    request_items_json,
    scores_column,
    scores_json,
    scores_record,
    shared_decimals,
    stored_summary,
    summary_json,
)
from cchc_xl.store_sql import Engine, Location, StoreUnavailable, connect, shown

T = TypeVar("T")
SCHEMA_VERSION = 4  # 3: withdrawals; 4: submissions.summary_json
LEGACY_ROUND = ""  # the rows of a store written before rounds existed
RETRIES = 8  # attempts of one transaction that lost a race to another writer

# Column types in braces: the engine's (store_sql.Engine.types).
SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rounds (
    id TEXT PRIMARY KEY,
    year INTEGER NOT NULL,
    body TEXT NOT NULL,
    place TEXT NOT NULL DEFAULT '',
    deadline TEXT,
    set_id TEXT NOT NULL,
    set_version TEXT NOT NULL,
    set_sha256 TEXT NOT NULL,
    set_yaml TEXT NOT NULL,
    communes_json {json} NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS submissions (
    id {id},
    round_id TEXT NOT NULL DEFAULT '',
    commune_code TEXT NOT NULL,
    version INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL,
    set_id TEXT NOT NULL,
    set_version TEXT NOT NULL,
    status TEXT NOT NULL,
    counts INTEGER NOT NULL DEFAULT 1,
    self_total {num},
    tier TEXT,
    declared_json {json} NOT NULL,
    scores_json {json} NOT NULL,
    summary_json {json},
    UNIQUE (round_id, commune_code, file_sha256),
    UNIQUE (round_id, commune_code, version)
);
CREATE TABLE IF NOT EXISTS findings (
    submission_id {ref} NOT NULL REFERENCES submissions(id),
    severity TEXT NOT NULL,
    rule TEXT NOT NULL,
    criterion TEXT,
    cell TEXT,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_by_submission ON findings(submission_id);
CREATE TABLE IF NOT EXISTS communes (
    round_id TEXT NOT NULL DEFAULT '',
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'received',
    PRIMARY KEY (round_id, code)
);
CREATE TABLE IF NOT EXISTS appraisals (
    id {id},
    round_id TEXT NOT NULL DEFAULT '',
    commune_code TEXT NOT NULL,
    submission_id {ref} NOT NULL REFERENCES submissions(id),
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    appraiser TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    status TEXT NOT NULL,
    superseded INTEGER NOT NULL DEFAULT 0,
    total {num},
    tier TEXT,
    bonus {num} NOT NULL DEFAULT '0',
    penalty {num} NOT NULL DEFAULT '0',
    UNIQUE (round_id, commune_code, file_sha256)
);
CREATE TABLE IF NOT EXISTS appraisal_scores (
    appraisal_id {ref} NOT NULL REFERENCES appraisals(id),
    criterion TEXT NOT NULL,
    self_points {num},
    appraised_points {num},
    reason TEXT NOT NULL DEFAULT '',
    changed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS appraisal_adjustments (
    appraisal_id {ref} NOT NULL REFERENCES appraisals(id),
    code TEXT NOT NULL,
    block TEXT NOT NULL,
    count INTEGER NOT NULL,
    points {num} NOT NULL
);
CREATE TABLE IF NOT EXISTS appraisal_findings (
    appraisal_id {ref} NOT NULL REFERENCES appraisals(id),
    severity TEXT NOT NULL,
    rule TEXT NOT NULL,
    criterion TEXT,
    cell TEXT,
    message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id {id},
    round_id TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    commune_code TEXT,
    kind TEXT NOT NULL,
    detail_json {json} NOT NULL
);
CREATE TABLE IF NOT EXISTS withdrawals (
    submission_id {ref} PRIMARY KEY REFERENCES submissions(id),
    at TEXT NOT NULL,
    by TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS appraisal_scores_by_appraisal ON appraisal_scores(appraisal_id);
CREATE INDEX IF NOT EXISTS events_by_round ON events(round_id, commune_code)
"""


# The explanation round (giải trình, issue #20): added tables only, created when missing, so a store of any
# schema version gains them without an upgrade step.
EXPLANATION_SCHEMA = """
CREATE TABLE IF NOT EXISTS answer_requests (
    id {id},
    round_id TEXT NOT NULL DEFAULT '',
    commune_code TEXT NOT NULL,
    appraisal_id {ref} NOT NULL REFERENCES appraisals(id),
    deadline TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    items_json {json} NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
    id {id},
    round_id TEXT NOT NULL DEFAULT '',
    commune_code TEXT NOT NULL,
    request_id {ref} NOT NULL REFERENCES answer_requests(id),
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL,
    status TEXT NOT NULL,
    answered_by TEXT NOT NULL DEFAULT '',
    items_json {json} NOT NULL,
    evidence_json {json} NOT NULL,
    findings_json {json} NOT NULL,
    UNIQUE (round_id, commune_code, file_sha256)
);
CREATE TABLE IF NOT EXISTS appraisal_stages (
    appraisal_id {ref} PRIMARY KEY REFERENCES appraisals(id),
    stage TEXT NOT NULL,
    request_id {ref}
);
CREATE INDEX IF NOT EXISTS answer_requests_by_round ON answer_requests(round_id, commune_code)
"""
_LAST_TABLE = "appraisal_stages"  # present once both scripts have run


def _create(db: Engine, script: str = SCHEMA) -> None:
    for stmt in db.ddl(script):
        db.execute(stmt)


# Schema 1 -> 2 (SQLite only: PostgreSQL stores begin at 2): the tables whose uniqueness now includes the round
# are rebuilt (SQLite cannot change a key in place). They are renamed aside with legacy_alter_table on, so the
# other tables' foreign keys keep naming "submissions"/"appraisals" and point at the new tables.
_UPGRADE_1_TO_2 = [
    ("submissions", "id, commune_code, version, file_name, file_sha256, received_at, set_id, set_version, status,"
                    " counts, self_total, tier, declared_json, scores_json"),
    ("communes", "code, name, kind, state"),
    ("appraisals", "id, commune_code, submission_id, file_name, file_sha256, appraiser, imported_at, status,"
                   " superseded, total, tier, bonus, penalty"),
]


def _upgrade_1_to_2(db: Engine) -> None:
    for table, _columns in _UPGRADE_1_TO_2:
        db.execute(f"ALTER TABLE {table} RENAME TO {table}_v1")
    db.execute("ALTER TABLE events ADD COLUMN round_id TEXT NOT NULL DEFAULT ''")
    _create(db)
    for table, columns in _UPGRADE_1_TO_2:
        db.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}_v1")
        db.execute(f"DROP TABLE {table}_v1")


def _upgrade_2_to_3(db: Engine) -> None:
    """Schema 3 adds `withdrawals`: the schema script creates what is missing (IF NOT EXISTS)."""
    _create(db)


def _upgrade_3_to_4(db: Engine) -> None:
    """Schema 4 adds `submissions.summary_json` (`store_records.summary_json`). The rows recorded before keep it
    NULL and are read from their declared values, as before (nothing rewritten). A store upgraded from schema 1
    has the column already (its table was made anew from the schema script)."""
    if not db.has_column("submissions", "summary_json"):
        for stmt in db.ddl("ALTER TABLE submissions ADD COLUMN summary_json {json}"):
            db.execute(stmt)
    _create_summary_trigger(db)


# A submission's declared values changed after it was recorded (by hand: the program never does) make its
# summary void, so that the ranking reads them and not a summary of what they were.
_SUMMARY_TRIGGER = {
    "sqlite": ["CREATE TRIGGER IF NOT EXISTS submissions_summary_void AFTER UPDATE OF declared_json ON submissions"
               " WHEN NEW.summary_json IS NOT NULL BEGIN UPDATE submissions SET summary_json = NULL"
               " WHERE id = NEW.id; END"],
    "postgresql": ["CREATE OR REPLACE FUNCTION submissions_summary_void() RETURNS trigger LANGUAGE plpgsql AS"
                   " $$ BEGIN NEW.summary_json := NULL; RETURN NEW; END $$",
                   "DROP TRIGGER IF EXISTS submissions_summary_void ON submissions",
                   "CREATE TRIGGER submissions_summary_void BEFORE UPDATE OF declared_json ON submissions"
                   " FOR EACH ROW EXECUTE FUNCTION submissions_summary_void()"],
}


def _create_summary_trigger(db: Engine) -> None:
    for stmt in _SUMMARY_TRIGGER[db.name]:
        db.execute(stmt)


# Per engine: the steps from each schema version to the next one (version -> step), and what an empty store
# is created at. A new schema version adds a step to both.
MIGRATIONS: dict[str, dict[int, Callable[[Engine], None]]] = {
    "sqlite": {1: _upgrade_1_to_2, 2: _upgrade_2_to_3, 3: _upgrade_3_to_4},
    "postgresql": {2: _upgrade_2_to_3, 3: _upgrade_3_to_4},
}


@dataclass(frozen=True)
class Round:
    """An assessment round (đợt đánh giá) as recorded by `cchc-xl init`."""

    id: str
    year: int
    body: str  # the assessing body: "UBND huyện Bắc Yên", "UBND tỉnh Sơn La"
    set_id: str
    set_version: str
    set_sha256: str  # CriteriaSet.fingerprint()
    set_yaml: str  # the set's canonical content (criteria.load.dump_yaml)
    communes: list[Commune]  # every unit, in list order
    created_at: str
    place: str = ""  # for the date line: "Phù Yên, ngày …"
    deadline: str | None = None  # ISO date of the self-assessment deadline


class SubmissionHead(NamedTuple):
    """What identifies a stored submission, its status and set (`Store.latest_head`)."""
    id: int
    commune_code: str
    version: int
    status: str
    set_id: str
    set_version: str


@dataclass(frozen=True)
class StoredSubmission:
    id: int
    commune_code: str
    version: int
    file_name: str
    file_sha256: str
    received_at: str
    status: str
    self_total: Decimal | None
    tier: str | None
    declared: DeclaredRecord
    scores: Scores
    set_id: str = ""
    set_version: str = ""


class Store:
    """The store, seen through one round (`round_id`; "" is the unnamed round of a pre-rounds store).

    `path`: a SQLite file, or a `postgresql://…` URL (store_sql.location). StoreUnavailable when a server
    cannot be reached."""

    # Another process writing SQLite (a second import, a copy program): wait this long quietly, then tell
    # `on_busy` and wait LOCK_WAIT_S more before giving up with "database is locked" (nothing written).
    # PostgreSQL writers wait on one another's row locks instead.
    LOCK_QUIET_S = 5.0
    LOCK_WAIT_S = 60.0

    def __init__(self, path: Location, round_id: str = LEGACY_ROUND, on_busy: Callable[[], None] | None = None):
        self.path = path
        self.round_id = round_id
        self.engine = connect(path, on_busy=on_busy, quiet_s=self.LOCK_QUIET_S, wait_s=self.LOCK_WAIT_S)
        self.retried = 0  # transactions run again after losing a race (deadlock, serialization) to another writer
        self._batch = False
        self.db = self.engine.conn  # the driver's connection, for engine-specific maintenance (VACUUM INTO)
        try:
            _upgrade(self.engine)
        except self.engine.failure:  # a server that refuses the schema (no rights): one message
            self.engine.close()
            raise StoreUnavailable(say("store.unusable", url=shown(path))) from None
        except BaseException:
            self.engine.close()
            raise

    def close(self) -> None:
        self.engine.close()

    @property
    def in_transaction(self) -> bool:
        return self.engine.in_transaction

    def transaction(self) -> Any:
        """A transaction on the store (a savepoint inside another one): `with store.transaction() as db:`."""
        return self.engine.transaction()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Many records in one transaction (one sync to disk instead of one per record), each record in a
        savepoint of its own; `checkpoint` commits what is recorded so far. A kill loses only the records
        since the last commit, which a rerun records again. (On PostgreSQL the batch holds its communes' row
        locks until each commit: concurrent importers wait for one another at those communes.)"""
        db = self.engine
        db.begin()
        db.depth += 1
        self._batch = True
        try:
            yield
        finally:
            self._batch = False
            db.depth -= 1
            try:
                db.execute("COMMIT")
            except Exception:
                with suppress(Exception):
                    db.execute("ROLLBACK")
                raise

    def checkpoint(self) -> None:
        """Inside a batch: commit the records made so far and go on in a new transaction."""
        db = self.engine
        if db.depth == 1:
            db.execute("COMMIT")
            db.begin()

    def _write(self, work: Callable[[Engine], T]) -> T:
        """`work` in one transaction; run again from the start when it lost a race to another writer. Inside
        this store's batch (`work` in a savepoint), the batch's records so far are committed first: they hold
        the communes' locks the winner waits for, and waiting again with them would deadlock again. Inside any
        other enclosing transaction the error goes to its owner."""
        db = self.engine
        for attempt in range(RETRIES):
            nested = db.depth > 0
            try:
                with db.transaction():
                    return work(db)
            except db.transient:
                if attempt == RETRIES - 1 or (nested and not (self._batch and db.depth == 1)):
                    raise
                if nested:
                    self.checkpoint()  # (the savepoint is already rolled back: only the earlier records commit)
                self.retried += 1
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        raise AssertionError("unreachable")

    def _lock_commune(self, db: Engine, code: str, name: str | None = None, kind: str | None = None) -> str | None:
        """Take the commune's row lock (creating its row when a name is given); its state, None without a row."""
        if name is not None:
            db.execute("INSERT INTO communes (round_id, code, name, kind) VALUES (?,?,?,?)"
                       " ON CONFLICT (round_id, code) DO NOTHING", (self.round_id, code, name, kind or ""))
        row = db.one(f"SELECT state FROM communes WHERE round_id=? AND code=?{db.lock}", (self.round_id, code))
        return row[0] if row else None

    @property
    def gave_up(self) -> bool:
        """Whether a write of this run already waited the whole LOCK_WAIT_S for another program (SQLite)."""
        return self.engine.gave_up

    def check_writable(self) -> None:
        """Take and release the write lock once, waiting as any write does: a SQLite store another program
        holds is found before a long command starts (sqlite3.OperationalError), not at its first file. (On
        PostgreSQL this only opens and closes a transaction: writers wait on row locks, commune by commune.)"""
        with self.transaction():
            pass

    # -- rounds -------------------------------------------------------------------------------------
    def create_round(self, r: Round) -> bool:
        """Record a round; False (nothing written) when a round with its id exists already."""
        def work(db: Engine) -> bool:
            row = db.one("INSERT INTO rounds (id, year, body, place, deadline, set_id, set_version, set_sha256,"
                         " set_yaml, communes_json, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
                         " ON CONFLICT (id) DO NOTHING RETURNING id",
                         (r.id, r.year, r.body, r.place, r.deadline, r.set_id, r.set_version, r.set_sha256,
                          r.set_yaml, _dumps([c.model_dump() for c in r.communes]), r.created_at))
            if row is None:
                return False
            db.execute("INSERT INTO events (round_id, at, commune_code, kind, detail_json) VALUES (?,?,?,?,?)",
                       (r.id, r.created_at, None, "round_created", _dumps(as_stored(EventDetail, {
                           "year": r.year, "body": r.body, "set": f"{r.set_id} {r.set_version}"}))))
            return True

        return self._write(work)

    def round(self, round_id: str | None = None) -> Round | None:
        """The round `round_id` (default: this store's round)."""
        row = self.engine.one(f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE id=?",
                              (self.round_id if round_id is None else round_id,))
        return _round(row) if row else None

    def rounds(self) -> list[Round]:
        """Every recorded round, oldest year first."""
        return [_round(r) for r in self.engine.all(f"SELECT {_ROUND_COLUMNS} FROM rounds ORDER BY year, id")]

    def has_legacy_rows(self) -> bool:
        """Whether the store holds submissions written before rounds existed."""
        return self.engine.one("SELECT 1 FROM submissions WHERE round_id=? LIMIT 1", (LEGACY_ROUND,)) is not None

    # -- submissions --------------------------------------------------------------------------------
    def record_submission(self, *, commune_code: str, commune_name: str, commune_kind: str, file_name: str,
                          sha256: str, received_at: str, set_id: str, set_version: str, status: str,
                          counts: bool, self_total: Decimal | None, tier: str | None,
                          declared: DeclaredRecord | Mapping[str, Any], scores: Mapping[str, Any],
                          findings: list[FindingEntry] | list[Mapping[str, Any]]) -> tuple[int, bool]:
        """(submission id, whether it is new). Re-importing the same file for the same commune is a no-op.
        `declared` and `scores` are validated as store_records' records (a dict is taken as the JSON of one)."""
        rid = self.round_id
        record = declared_record(declared)
        declared_text, scores_text = _dumps(declared_json(record)), _dumps(scores_json(scores))
        summary_text = _dumps(summary_json(record))

        def work(db: Engine) -> tuple[int, bool]:
            self._lock_commune(db, commune_code, commune_name, commune_kind)
            row = db.one("SELECT id FROM submissions WHERE round_id=? AND commune_code=? AND file_sha256=?",
                         (rid, commune_code, sha256))
            if row:
                return int(row[0]), False
            version = db.one("SELECT COALESCE(MAX(version),0)+1 FROM submissions WHERE round_id=? AND"
                             " commune_code=?", (rid, commune_code))[0]  # type: ignore[index]
            sid = int(db.one(
                "INSERT INTO submissions (round_id, commune_code, version, file_name, file_sha256, received_at,"
                " set_id, set_version, status, counts, self_total, tier, declared_json, scores_json, summary_json)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                (rid, commune_code, version, file_name, sha256, received_at, set_id, set_version, status,
                 int(counts), _opt(self_total), tier, declared_text, scores_text,
                 summary_text))[0])  # type: ignore[index]
            self._findings(db, sid, findings)
            db.execute("UPDATE communes SET name=?, kind=? WHERE round_id=? AND code=?",
                       (commune_name, commune_kind, rid, commune_code))
            if counts:
                state = "received" if status == "rejected" else "checked"
                db.execute("UPDATE communes SET state=? WHERE round_id=? AND code=? AND state IN"
                           " ('received','checked')", (state, rid, commune_code))
            self._event(db, received_at, commune_code, "submission",
                        {"file": file_name, "sha256": sha256, "version": version, "status": status})
            return sid, True

        return self._write(work)

    def _findings(self, db: Engine, submission_id: int, findings: list[FindingEntry] | list[Mapping[str, Any]]) -> None:
        db.executemany("INSERT INTO findings (submission_id, severity, rule, criterion, cell, message)"
                       " VALUES (?,?,?,?,?,?)", [(submission_id, *f) for f in _finding_rows(findings)])

    def revise_submission(self, submission_id: int, *, status: str, counts: bool,
                          findings: list[FindingEntry] | list[Mapping[str, Any]]) -> bool:
        """A recorded submission given the findings of the whole batch (a second file of its commune,
        evidence copied from another commune): its status, whether it counts, its findings, and its
        commune's state when it counts. Nothing is written when the record already holds them (a rerun
        after a kill brings earlier records up to date, and a second rerun changes nothing); returns
        whether it changed."""
        def work(db: Engine) -> bool:
            row = db.one("SELECT commune_code, received_at, file_name, version, status, counts FROM submissions"
                         " WHERE id=? AND round_id=?", (submission_id, self.round_id))
            if row is None:
                return False
            self._lock_commune(db, row[0])
            stored = db.all("SELECT severity, rule, criterion, cell, message FROM findings WHERE submission_id=?"
                            f" ORDER BY {db.row_order}", (submission_id,))
            wanted = _finding_rows(findings)
            if (row[4], bool(row[5]), stored) == (status, counts, wanted):
                return False
            db.execute("UPDATE submissions SET status=?, counts=? WHERE id=?", (status, int(counts), submission_id))
            self._event(db, row[1], row[0], "submission_revised",
                        {"file": row[2], "version": row[3], "status": status, "counts": counts})
            db.execute("DELETE FROM findings WHERE submission_id=?", (submission_id,))
            self._findings(db, submission_id, findings)
            if counts:
                state = "received" if status == "rejected" else "checked"
                db.execute("UPDATE communes SET state=? WHERE round_id=? AND code=? AND state IN"
                           " ('received','checked')", (state, self.round_id, row[0]))
            return True

        return self._write(work)

    def latest(self, commune_code: str) -> StoredSubmission | None:
        """The submission that counts: the newest version marked as counting, never a withdrawn one."""
        row = self.engine.one(f"SELECT {_SUBMISSION_COLUMNS} {_LATEST}", (self.round_id, commune_code))
        return _row(row) if row else None

    def latest_head(self, commune_code: str) -> SubmissionHead | None:
        """`latest`'s submission without its declared values and scores (nothing decoded: a caller that
        reads them later, `submission(id)`, finds a row it cannot read there)."""
        row = self.engine.one(f"SELECT id, commune_code, version, status, set_id, set_version {_LATEST}",
                              (self.round_id, commune_code))
        return SubmissionHead(int(row[0]), row[1], int(row[2]), row[3], row[4], row[5]) if row else None

    def submission(self, submission_id: int) -> StoredSubmission | None:
        row = self.engine.one(f"SELECT {_SUBMISSION_COLUMNS} FROM submissions WHERE id=? AND round_id=?",
                              (submission_id, self.round_id))
        return _row(row) if row else None

    def withdraw(self, commune_code: str, version: int | None, *, at: str, who: str, reason: str) -> int | None:
        """Withdraw a submission (default: the one that counts): kept with its findings, logged, and no longer
        counting; the commune's state follows the submission that counts now. Returns the version withdrawn,
        None when there is none to withdraw. Callers refuse appraised and finalized communes first."""
        def work(db: Engine) -> int | None:
            self._lock_commune(db, commune_code)
            wanted = version
            if wanted is None:
                current = self.latest(commune_code)
                wanted = current.version if current else None
            row = None if wanted is None else db.one(
                "SELECT id, file_name FROM submissions WHERE round_id=? AND commune_code=? AND version=? AND id NOT IN"
                " (SELECT submission_id FROM withdrawals)", (self.round_id, commune_code, wanted))
            if row is None:
                return None
            db.execute("INSERT INTO withdrawals (submission_id, at, by, reason) VALUES (?,?,?,?)",
                       (row[0], at, who, reason))
            now = self.latest(commune_code)
            state = "checked" if now is not None and now.status != "rejected" else "received"
            db.execute("UPDATE communes SET state=? WHERE round_id=? AND code=? AND state IN ('received','checked')",
                       (state, self.round_id, commune_code))
            self._event(db, at, commune_code, "withdrawn",
                        {"file": row[1], "version": wanted, "by": who, "reason": reason})
            return int(wanted)

        return self._write(work)

    def withdrawn_versions(self, commune_code: str) -> dict[int, str]:
        """Withdrawn versions of a commune's submissions, with their reasons."""
        return {int(v): r for v, r in self.engine.all(
            "SELECT s.version, w.reason FROM withdrawals w JOIN submissions s ON s.id=w.submission_id"
            " WHERE s.round_id=? AND s.commune_code=?", (self.round_id, commune_code))}

    def latest_results(self) -> Iterator[LatestResult]:
        """What the ranking reads of every commune's counting submission (as `latest` chooses it), in no set
        order, in one query: the submission with its scores (equal values one Decimal) and its declared
        values' summary (its `summary_json`; `declared_summary` of its declared values when it has none), the
        commune's name, kind and state, its error and warning counts. Rows are read as they are used, so a
        country's JSON is never all in memory at once."""
        decimals = shared_decimals()
        cursor = self.engine.execute(
            "SELECT s.id, s.commune_code, s.version, s.file_name, s.received_at, s.status, s.self_total, s.set_id,"
            # the declared values (~19 kB) only for a row recorded without its summary
            " s.set_version, s.scores_json, s.summary_json,"
            " CASE WHEN s.summary_json IS NULL THEN s.declared_json END, c.name, c.kind, c.state,"
            " (SELECT COUNT(*) FROM findings f WHERE f.submission_id = s.id AND f.severity = 'error'),"
            " (SELECT COUNT(*) FROM findings f WHERE f.submission_id = s.id AND f.severity = 'warning')"
            # the choice made on the ids alone, and no ORDER BY: SQLite would sort the whole rows, JSON and all
            " FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY commune_code ORDER BY counts DESC, version DESC) AS n"
            " FROM submissions WHERE round_id=? AND id NOT IN (SELECT submission_id FROM withdrawals)) k"
            " JOIN submissions s ON s.id = k.id"
            " LEFT JOIN communes c ON c.round_id = s.round_id AND c.code = s.commune_code WHERE k.n = 1",
            (self.round_id,))
        while rows := cursor.fetchmany(256):
            for (sid, code, version, file_name, received, status, total, set_id, set_version, scores, summary,
                 declared, name, kind, state, errors, warnings) in rows:
                if len(decimals) > 50_000:  # bounded (a country's scores have a few dozen distinct values)
                    decimals.clear()
                lean = stored_summary(summary)
                if lean is None:
                    lean = declared_summary(declared if summary is None else self._declared_text(sid))
                yield LatestResult(int(sid), code, int(version), file_name, received, status, _dec(total), set_id,
                                   set_version, scores_record(scores_column(scores), decimals), lean, name, kind, state,
                                   int(errors), int(warnings))

    def _declared_text(self, submission_id: int) -> Any:
        """A submission's declared values as the engine gives them (their summary column is not one)."""
        row = self.engine.one("SELECT declared_json FROM submissions WHERE id=?", (submission_id,))
        return row[0] if row else None

    def current_appraisals(self) -> dict[str, StoredAppraisal]:
        """`current_appraisal` of every commune that has one, in three queries."""
        db = self.engine
        heads = db.all(
            "SELECT id, commune_code, submission_id, file_name, file_sha256, appraiser, imported_at, total, tier,"
            " bonus, penalty FROM appraisals WHERE id IN (SELECT MAX(id) FROM appraisals WHERE round_id=? AND"
            " status!='rejected' AND superseded=0 GROUP BY commune_code)", (self.round_id,))
        ids = {row[0] for row in heads}
        scores: dict[int, dict[str, AppraisedScore]] = {}
        for aid, c, sp, ap, reason, ch in db.all(
                "SELECT appraisal_id, criterion, self_points, appraised_points, reason, changed FROM appraisal_scores"
                f" ORDER BY {db.row_order}"):
            if aid in ids:
                scores.setdefault(aid, {})[c] = AppraisedScore(c, _dec(sp), _dec(ap), reason, bool(ch))
        adjustments: dict[int, list[tuple[str, str, int, Decimal]]] = {}
        for aid, c, b, n, p in db.all(
                f"SELECT appraisal_id, code, block, count, points FROM appraisal_adjustments ORDER BY {db.row_order}"):
            if aid in ids:
                adjustments.setdefault(aid, []).append((c, b, int(n), Decimal(p)))
        return {row[1]: StoredAppraisal(int(row[0]), row[1], int(row[2]), row[3], row[4], row[5], row[6], _dec(row[7]),
                                        row[8], Decimal(row[9]), Decimal(row[10]), scores.get(row[0], {}),
                                        adjustments.get(row[0], [])) for row in heads}

    def communes_in_state(self, state: str) -> list[str]:
        rows = self.engine.all("SELECT code FROM communes WHERE round_id=? AND state=? ORDER BY code",
                               (self.round_id, state))
        return [r[0] for r in rows]

    def commune_codes(self) -> list[str]:
        """Every commune with at least one submission, in code order."""
        return [r[0] for r in self.engine.all("SELECT DISTINCT commune_code FROM submissions WHERE round_id=?"
                                              " ORDER BY 1", (self.round_id,))]

    def all_latest(self) -> list[StoredSubmission]:
        return [s for s in (self.latest(c) for c in self.commune_codes()) if s is not None]

    def finding_counts(self) -> dict[int, tuple[int, int]]:
        """(errors, warnings) per submission id, in one pass over the findings."""
        counts: dict[int, list[int]] = {}
        for sid, severity, n in self.engine.all(
                "SELECT f.submission_id, f.severity, COUNT(*) FROM findings f JOIN submissions s"
                " ON s.id=f.submission_id WHERE s.round_id=? AND f.severity IN ('error','warning')"
                " GROUP BY f.submission_id, f.severity", (self.round_id,)):
            counts.setdefault(int(sid), [0, 0])[0 if severity == "error" else 1] = int(n)
        return {k: (v[0], v[1]) for k, v in counts.items()}

    def history(self, commune_code: str) -> list[StoredSubmission]:
        rows = self.engine.all(f"SELECT {_SUBMISSION_COLUMNS} FROM submissions WHERE round_id=? AND"
                               " commune_code=? ORDER BY version", (self.round_id, commune_code))
        return [_row(r) for r in rows]

    def findings(self, submission_id: int) -> list[FindingEntry]:
        rows = self.engine.all("SELECT severity, rule, criterion, cell, message FROM findings WHERE"
                               " submission_id=?", (submission_id,))
        return [FindingEntry(severity=s, rule=r, criterion=c, cell=cell, message=m) for s, r, c, cell, m in rows]

    # -- lifecycle: received -> checked -> appraised -> final --------------------------------------
    def state(self, commune_code: str) -> str | None:
        row = self.engine.one("SELECT state FROM communes WHERE round_id=? AND code=?", (self.round_id, commune_code))
        return row[0] if row else None

    def states(self) -> dict[str, str]:
        """Every commune's state in this round, by code."""
        return {c: s for c, s in self.engine.all("SELECT code, state FROM communes WHERE round_id=?",
                                                 (self.round_id,))}

    def commune(self, commune_code: str) -> tuple[str, str, str] | None:
        """(code, name, kind) as last received."""
        row = self.engine.one("SELECT code, name, kind FROM communes WHERE round_id=? AND code=?",
                              (self.round_id, commune_code))
        return (row[0], row[1], row[2]) if row else None

    def finalize(self, codes: list[str], at: str, who: str) -> list[str]:
        """Lock the appraised communes among `codes`; return those finalized now."""
        def work(db: Engine) -> list[str]:
            done = []
            for code in sorted(set(codes)):  # one lock order for every writer: no deadlock between two
                if self._lock_commune(db, code) == "appraised":
                    db.execute("UPDATE communes SET state='final' WHERE round_id=? AND code=?",
                               (self.round_id, code))
                    self._event(db, at, code, "finalize", {"by": who})
                    done.append(code)
            return done

        done = set(self._write(work))
        return [c for c in dict.fromkeys(codes) if c in done]

    def reopen(self, code: str, at: str, who: str, reason: str) -> bool:
        def work(db: Engine) -> bool:
            if self._lock_commune(db, code) != "final":
                return False
            db.execute("UPDATE communes SET state='appraised' WHERE round_id=? AND code=?", (self.round_id, code))
            self._event(db, at, code, "reopen", {"by": who, "reason": reason})
            return True

        return self._write(work)

    def events(self, commune_code: str | None = None) -> list[Event]:
        """The round's audit trail (or one commune's), in the order it was written."""
        if commune_code is None:
            rows = self.engine.all("SELECT at, commune_code, kind, detail_json FROM events WHERE round_id=?"
                                   " ORDER BY id", (self.round_id,))
        else:
            rows = self.engine.all("SELECT at, commune_code, kind, detail_json FROM events WHERE round_id=? AND"
                                   " commune_code=? ORDER BY id", (self.round_id, commune_code))
        return [Event(at=a, commune_code=c, kind=k, detail=_detail(d)) for a, c, k, d in rows]

    def _event(self, db: Engine, at: str, code: str | None, kind: str,
               detail: EventDetail | Mapping[str, Any]) -> None:
        db.execute("INSERT INTO events (round_id, at, commune_code, kind, detail_json) VALUES (?,?,?,?,?)",
                   (self.round_id, at, code, kind, _dumps(as_stored(EventDetail, detail))))

    # -- appraisal ----------------------------------------------------------------------------------
    def record_appraisal(self, *, commune_code: str, submission_id: int, file_name: str, sha256: str,
                         appraiser: str, imported_at: str, status: str, total: Decimal | None, tier: str | None,
                         bonus: Decimal, penalty: Decimal, scores: list[AppraisedScore],
                         adjustments: list[tuple[str, str, int, Decimal]],
                         findings: list[FindingEntry] | list[Mapping[str, Any]], stage: str = "round1",
                         request_id: int | None = None) -> tuple[int, bool]:
        """(appraisal id, whether new). An accepted appraisal supersedes the earlier ones, which are kept.
        `stage`: "round1", or "round2" for the council's decision on contested items (answering the
        explanation request `request_id`)."""
        rid = self.round_id

        def work(db: Engine) -> tuple[int, bool]:
            self._lock_commune(db, commune_code)
            row = db.one("SELECT id FROM appraisals WHERE round_id=? AND commune_code=? AND file_sha256=?",
                         (rid, commune_code, sha256))
            if row:
                return int(row[0]), False
            accepted = status != "rejected"
            if accepted:
                db.execute("UPDATE appraisals SET superseded=1 WHERE round_id=? AND commune_code=? AND"
                           " status!='rejected'", (rid, commune_code))
            aid = int(db.one(
                "INSERT INTO appraisals (round_id, commune_code, submission_id, file_name, file_sha256, appraiser,"
                " imported_at, status, total, tier, bonus, penalty) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                (rid, commune_code, submission_id, file_name, sha256, appraiser, imported_at, status,
                 _opt(total), tier, str(bonus), str(penalty)))[0])  # type: ignore[index]
            db.executemany("INSERT INTO appraisal_scores (appraisal_id, criterion, self_points, appraised_points,"
                           " reason, changed) VALUES (?,?,?,?,?,?)",
                           [(aid, s.criterion, _opt(s.self_points), _opt(s.appraised_points), s.reason,
                             int(s.changed)) for s in scores])
            db.executemany("INSERT INTO appraisal_adjustments (appraisal_id, code, block, count, points)"
                           " VALUES (?,?,?,?,?)",
                           [(aid, code, block, count, str(points)) for code, block, count, points in adjustments])
            db.executemany("INSERT INTO appraisal_findings (appraisal_id, severity, rule, criterion, cell, message)"
                           " VALUES (?,?,?,?,?,?)",
                           [(aid, *f) for f in _finding_rows(findings)])
            db.execute("INSERT INTO appraisal_stages (appraisal_id, stage, request_id) VALUES (?,?,?)",
                       (aid, stage, request_id))
            if accepted:
                db.execute("UPDATE communes SET state='appraised' WHERE round_id=? AND code=? AND state IN"
                           " ('received','checked','appraised')", (rid, commune_code))
            self._event(db, imported_at, commune_code, "appraisal",
                        {"file": file_name, "sha256": sha256, "appraiser": appraiser, "status": status,
                         "changed": sum(s.changed for s in scores), "stage": stage})
            return aid, True

        return self._write(work)

    def current_appraisal(self, commune_code: str) -> StoredAppraisal | None:
        db = self.engine
        row = db.one(
            "SELECT id, commune_code, submission_id, file_name, file_sha256, appraiser, imported_at, total, tier,"
            " bonus, penalty FROM appraisals WHERE round_id=? AND commune_code=? AND status!='rejected' AND"
            " superseded=0 ORDER BY id DESC LIMIT 1", (self.round_id, commune_code))
        if not row:
            return None
        aid = row[0]
        scores = {c: AppraisedScore(c, _dec(sp), _dec(ap), reason, bool(ch)) for c, sp, ap, reason, ch in db.all(
            "SELECT criterion, self_points, appraised_points, reason, changed FROM appraisal_scores"
            " WHERE appraisal_id=?", (aid,))}
        adjustments = [(c, b, int(n), Decimal(p)) for c, b, n, p in db.all(
            "SELECT code, block, count, points FROM appraisal_adjustments WHERE appraisal_id=?", (aid,))]
        return StoredAppraisal(int(aid), row[1], int(row[2]), row[3], row[4], row[5], row[6], _dec(row[7]), row[8],
                               Decimal(row[9]), Decimal(row[10]), scores, adjustments)

    def score_history(self, commune_code: str, criterion: str) -> list[dict[str, Any]]:
        """Every recorded score of one criterion: self-assessments, then appraisals, oldest first."""
        out: list[dict[str, Any]] = []
        for sub in self.history(commune_code):
            out.append({"stage": "self", "version": sub.version, "at": sub.received_at, "file": sub.file_name,
                        "points": sub.scores.get(criterion), "by": "", "reason": "", "superseded": False})
        rows = self.engine.all(
            "SELECT a.imported_at, a.file_name, a.appraiser, a.superseded, a.status, s.appraised_points, s.reason,"
            " s.self_points, a.id FROM appraisals a JOIN appraisal_scores s ON s.appraisal_id=a.id"
            " WHERE a.round_id=? AND a.commune_code=? AND s.criterion=? ORDER BY a.id",
            (self.round_id, commune_code, criterion))
        for at, file, who, superseded, status, points, reason, self_points, aid in rows:
            out.append({"stage": "appraisal", "at": at, "file": file, "by": who, "points": _opt(points),
                        "self_points": _opt(self_points), "reason": reason, "superseded": bool(superseded),
                        "status": status, "id": int(aid)})
        return out

    # -- explanation round (giải trình) ------------------------------------------------------------
    def appraisal_stage(self, appraisal_id: int) -> tuple[str, int | None]:
        """(stage, request id) of an appraisal; appraisals recorded before the explanation round are round 1."""
        row = self.engine.one("SELECT stage, request_id FROM appraisal_stages WHERE appraisal_id=?", (appraisal_id,))
        return (row[0], None if row[1] is None else int(row[1])) if row else ("round1", None)

    def record_answer_request(self, *, commune_code: str, appraisal_id: int, deadline: str, issued_at: str,
                              items: list[RequestItem] | list[Mapping[str, Any]]) -> int:
        """An answer workbook issued for the commune's round-1 appraisal; its id. `items`: the changed
        items (store_records.RequestItem, or their JSON)."""
        given = request_items_json(items)

        def work(db: Engine) -> int:
            self._lock_commune(db, commune_code)
            rid = int(db.one("INSERT INTO answer_requests (round_id, commune_code, appraisal_id, deadline, issued_at,"
                             " items_json) VALUES (?,?,?,?,?,?) RETURNING id",
                             (self.round_id, commune_code, appraisal_id, deadline, issued_at,
                              _dumps(given)))[0])  # type: ignore[index]
            self._event(db, issued_at, commune_code, "answer_request",
                        {"request": rid, "appraisal": appraisal_id, "deadline": deadline,
                         "items": [i["criterion"] for i in given]})
            return rid

        return self._write(work)

    def answer_requests(self) -> list[AnswerRequest]:
        """The latest explanation request of every commune of this round, in code order."""
        rows = self.engine.all(
            f"SELECT {_REQUEST_COLUMNS} FROM answer_requests r WHERE round_id=? AND id=(SELECT MAX(id) FROM"
            " answer_requests WHERE round_id=r.round_id AND commune_code=r.commune_code) ORDER BY commune_code",
            (self.round_id,))
        return [req for r in rows if (req := _request(r)) is not None]

    def answer_request(self, request_id: int) -> AnswerRequest | None:
        row = self.engine.one(f"SELECT {_REQUEST_COLUMNS} FROM answer_requests WHERE id=? AND round_id=?",
                              (request_id, self.round_id))
        return _request(row) if row else None  # (None too for a row that is not a request)

    def answer_deadline(self) -> str | None:
        """The answer deadline given last in this round (`appraise answers --deadline`)."""
        row = self.engine.one("SELECT deadline FROM answer_requests WHERE round_id=? ORDER BY id DESC LIMIT 1",
                              (self.round_id,))
        return row[0] if row else None

    def record_answer(self, *, commune_code: str, request_id: int, file_name: str, sha256: str, received_at: str,
                      status: str, answered_by: str, items: Mapping[str, AnswerItem | Mapping[str, Any]],
                      evidence: AnswerEvidence | Mapping[str, Any],
                      findings: list[FindingEntry] | list[Mapping[str, Any]]) -> tuple[int, bool]:
        """(answer id, whether new). `status`: accepted | accepted_with_warnings | rejected | deemed_accepted
        (nothing received by the deadline: file_name and sha256 are empty). `items`, `evidence` and `findings`
        are validated as store_records' records (a dict is taken as the JSON of one)."""
        given_items, given_evidence = answer_items_json(items), as_stored(AnswerEvidence, evidence)
        given_findings = findings_json(findings)

        def work(db: Engine) -> tuple[int, bool]:
            self._lock_commune(db, commune_code)
            if sha256:
                row = db.one("SELECT id FROM answers WHERE round_id=? AND commune_code=? AND file_sha256=?",
                             (self.round_id, commune_code, sha256))
                if row:
                    return int(row[0]), False
            aid = int(db.one(
                "INSERT INTO answers (round_id, commune_code, request_id, file_name, file_sha256, received_at, status,"
                " answered_by, items_json, evidence_json, findings_json) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                (self.round_id, commune_code, request_id, file_name, sha256 or f"deemed-{request_id}", received_at,
                 status, answered_by, _dumps(given_items), _dumps(given_evidence),
                 _dumps(given_findings)))[0])  # type: ignore[index]
            self._event(db, received_at, commune_code, "answer",
                        {"answer": aid, "request": request_id, "file": file_name, "status": status,
                         "by": answered_by, "contested": sorted(c for c, i in given_items.items()
                                                                if i.get("answer") == "explain")})
            return aid, True

        return self._write(work)

    def answers(self, commune_code: str) -> list[StoredAnswer]:
        """Every answer of the commune (received or deemed), oldest first."""
        rows = self.engine.all(f"SELECT {_ANSWER_COLUMNS} FROM answers WHERE round_id=? AND commune_code=?"
                               " ORDER BY id", (self.round_id, commune_code))
        return [a for r in rows if (a := _answer(r)) is not None]

    def log_event(self, at: str, commune_code: str | None, kind: str,
                  detail: EventDetail | Mapping[str, Any]) -> None:
        """An event of the audit trail on its own (e.g. a finalize forced past open explanations)."""
        def work(db: Engine) -> None:
            if commune_code is not None:
                self._lock_commune(db, commune_code)
            self._event(db, at, commune_code, kind, detail)

        self._write(work)

    def count(self, table: str) -> int:
        """Rows of `table` (the whole store, every round)."""
        assert table in {"submissions", "findings", "communes", "events", "appraisals", "appraisal_scores",
                         "rounds", "withdrawals", "answer_requests", "answers"}
        return int(self.engine.one(f"SELECT COUNT(*) FROM {table}")[0])  # type: ignore[index]


def _upgrade(db: Engine) -> None:
    """Create the schema, or bring an older store up to SCHEMA_VERSION in place (in one transaction, which
    also keeps a second process from migrating at the same time)."""
    if db.schema_version() >= SCHEMA_VERSION and db.has_table(_LAST_TABLE):
        return
    with db.schema_transaction():
        version = db.schema_version()
        if version < SCHEMA_VERSION:
            _migrate(db, version)
        _create(db, EXPLANATION_SCHEMA)


def _migrate(db: Engine, version: int) -> None:
    """The main schema from `version` to SCHEMA_VERSION, inside the schema transaction."""
    if version == 0:
        _create(db)
        _create_summary_trigger(db)
    else:
        steps = MIGRATIONS[db.name]
        while version < SCHEMA_VERSION:
            steps[version](db)
            version += 1
    db.execute("DELETE FROM schema_version")
    db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))


@dataclass(frozen=True)
class AppraisedScore:
    criterion: str
    self_points: Decimal | None
    appraised_points: Decimal | None
    reason: str
    changed: bool


@dataclass(frozen=True)
class StoredAppraisal:
    id: int
    commune_code: str
    submission_id: int
    file_name: str
    file_sha256: str
    appraiser: str
    imported_at: str
    total: Decimal | None
    tier: str | None
    bonus: Decimal
    penalty: Decimal
    scores: dict[str, AppraisedScore]
    adjustments: list[tuple[str, str, int, Decimal]]


@dataclass(frozen=True)
class AnswerRequest:
    """An answer workbook issued to a commune after round 1: the appraisal it answers, its deadline (ISO date)
    and the changed items (criterion, self, appraised, reason)."""

    id: int
    commune_code: str
    appraisal_id: int
    deadline: str
    issued_at: str
    items: list[RequestItem]


@dataclass(frozen=True)
class StoredAnswer:
    id: int
    commune_code: str
    request_id: int
    file_name: str
    file_sha256: str
    received_at: str
    status: str  # accepted | accepted_with_warnings | rejected | deemed_accepted
    answered_by: str
    items: dict[str, AnswerItem]  # criterion -> its answer ("agree" | "explain") and explanation
    evidence: AnswerEvidence  # the folder or zip, and the register rows the answer added
    findings: list[FindingEntry]


def _finding_rows(findings: list[FindingEntry] | list[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """The findings as the columns of `findings` hold them: (severity, rule, criterion, cell, message)."""
    return [(f.severity, f.rule, f.criterion, f.cell, f.message) for f in (record_of(FindingEntry, x) for x in findings)]


def _opt(value: Decimal | str | None) -> str | None:
    """A decimal as the store is given it and gives it back: text (PostgreSQL casts it to NUMERIC)."""
    return None if value is None else str(value)


def _dec(value: Decimal | str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def _loads(value: Any) -> Any:
    """A JSON column as either engine gives it: its text (a dict passes through)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


_SUBMISSION_COLUMNS = ("id, commune_code, version, file_name, file_sha256, received_at, set_id, set_version,"
                       " status, counts, self_total, tier, declared_json, scores_json")
# the submission that counts of one commune (round, commune code): see `Store.latest`
_LATEST = ("FROM submissions WHERE round_id=? AND commune_code=? AND id NOT IN (SELECT submission_id FROM withdrawals)"
           " ORDER BY counts DESC, version DESC LIMIT 1")
_ROUND_COLUMNS = ("id, year, body, set_id, set_version, set_sha256, set_yaml, communes_json, created_at, place,"
                  " deadline")


_REQUEST_COLUMNS = "id, commune_code, appraisal_id, deadline, issued_at, items_json"
_ANSWER_COLUMNS = ("id, commune_code, request_id, file_name, file_sha256, received_at, status, answered_by, items_json,"
                   " evidence_json, findings_json")


def _request(r: tuple[Any, ...]) -> AnswerRequest | None:
    """The request of a row; None when its items are not a list (a hand-edited store: the row is skipped)."""
    try:
        return AnswerRequest(int(r[0]), r[1], int(r[2]), r[3], r[4], request_items(r[5]))
    except ValueError:  # (pydantic.ValidationError and a JSON error are ValueErrors)
        return None


def _answer(r: tuple[Any, ...]) -> StoredAnswer | None:
    """The answer of a row; None when its JSON is not an answer's (skipped, as `_request`)."""
    try:
        return StoredAnswer(int(r[0]), r[1], int(r[2]), r[3], r[4], r[5], r[6], r[7], answer_items(r[8]),
                            record_of(AnswerEvidence, r[9]), findings_of(r[10]))
    except ValueError:  # (pydantic.ValidationError and a JSON error are ValueErrors)
        return None


def _detail(value: Any) -> EventDetail:
    """An event's detail; empty when it is not one (the event itself is kept: the audit trail has no gaps)."""
    try:
        return record_of(EventDetail, value)
    except ValueError:  # (pydantic.ValidationError and a JSON error are ValueErrors)
        return EventDetail()


# (a round's list read in one go: a model validated at a time took twice as long, 65 ms for 10,600 communes)
_COMMUNE_LIST = TypeAdapter(list[Commune])


def _round(r: tuple[Any, ...]) -> Round:
    communes = r[7]
    listed = (_COMMUNE_LIST.validate_json(communes) if isinstance(communes, str | bytes)
              else _COMMUNE_LIST.validate_python(communes))
    return Round(r[0], int(r[1]), r[2], r[3], r[4], r[5], r[6], listed, r[8], r[9], r[10])


def _row(r: tuple[Any, ...]) -> StoredSubmission:
    (sid, code, version, file_name, sha, received, set_id, set_version, status, _counts, total, tier, declared,
     scores) = r
    return StoredSubmission(int(sid), code, int(version), file_name, sha, received, status, _dec(total), tier,
                            declared_record(declared), scores_record(_loads(scores)), set_id, set_version)
