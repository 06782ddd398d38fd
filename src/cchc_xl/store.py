"""The store: every submission, its declared values, recomputed scores and findings, in SQLite.

Each submission is recorded all or nothing: in a transaction of its own, or in a savepoint of an import
batch's transaction (`batch`, committed now and then by `checkpoint`), so a kill loses at most the
uncommitted tail of a batch, which a rerun records again.
The same file (same sha256 for the same commune) imported again changes nothing; a new file from the
same commune becomes its next version, and earlier versions are kept.

One store holds several rounds (đợt đánh giá: a year's set, unit list and assessing body; table `rounds`).
Submissions, communes' states, appraisals and events carry their round's id; a `Store` is opened on one
round (`round_id`) and sees only its rows. Stores written before rounds existed (schema 1) are upgraded in
place: their rows belong to the unnamed round "" that `Store(path)` opens.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 3  # 3: withdrawals (and the explanation round's tables, created by the same step)
LEGACY_ROUND = ""  # the rows of a store written before rounds existed

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
    communes_json TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
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
    self_total TEXT,
    tier TEXT,
    declared_json TEXT NOT NULL,
    scores_json TEXT NOT NULL,
    UNIQUE (round_id, commune_code, file_sha256)
);
CREATE TABLE IF NOT EXISTS findings (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
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
    id INTEGER PRIMARY KEY,
    round_id TEXT NOT NULL DEFAULT '',
    commune_code TEXT NOT NULL,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    appraiser TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    status TEXT NOT NULL,
    superseded INTEGER NOT NULL DEFAULT 0,
    total TEXT,
    tier TEXT,
    bonus TEXT NOT NULL DEFAULT '0',
    penalty TEXT NOT NULL DEFAULT '0',
    UNIQUE (round_id, commune_code, file_sha256)
);
CREATE TABLE IF NOT EXISTS appraisal_scores (
    appraisal_id INTEGER NOT NULL REFERENCES appraisals(id),
    criterion TEXT NOT NULL,
    self_points TEXT,
    appraised_points TEXT,
    reason TEXT NOT NULL DEFAULT '',
    changed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS appraisal_adjustments (
    appraisal_id INTEGER NOT NULL REFERENCES appraisals(id),
    code TEXT NOT NULL,
    block TEXT NOT NULL,
    count INTEGER NOT NULL,
    points TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS appraisal_findings (
    appraisal_id INTEGER NOT NULL REFERENCES appraisals(id),
    severity TEXT NOT NULL,
    rule TEXT NOT NULL,
    criterion TEXT,
    cell TEXT,
    message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    round_id TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    commune_code TEXT,
    kind TEXT NOT NULL,
    detail_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS withdrawals (
    submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),
    at TEXT NOT NULL,
    by TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL
);
"""

# The explanation round (giải trình, issue #20): added tables only, created on every open (IF NOT EXISTS), so a
# store of any schema version gains them without an upgrade step.
EXPLANATION_SCHEMA = """
CREATE TABLE IF NOT EXISTS answer_requests (
    id INTEGER PRIMARY KEY,
    round_id TEXT NOT NULL DEFAULT '',
    commune_code TEXT NOT NULL,
    appraisal_id INTEGER NOT NULL REFERENCES appraisals(id),
    deadline TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    items_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY,
    round_id TEXT NOT NULL DEFAULT '',
    commune_code TEXT NOT NULL,
    request_id INTEGER NOT NULL REFERENCES answer_requests(id),
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL,
    status TEXT NOT NULL,
    answered_by TEXT NOT NULL DEFAULT '',
    items_json TEXT NOT NULL,
    evidence_json TEXT NOT NULL,
    findings_json TEXT NOT NULL,
    UNIQUE (round_id, commune_code, file_sha256)
);
CREATE TABLE IF NOT EXISTS appraisal_stages (
    appraisal_id INTEGER PRIMARY KEY REFERENCES appraisals(id),
    stage TEXT NOT NULL,
    request_id INTEGER
);
CREATE INDEX IF NOT EXISTS answer_requests_by_round ON answer_requests(round_id, commune_code);
"""

# Schema 1 -> 2: the tables whose uniqueness now includes the round are rebuilt (SQLite cannot change a key
# in place). They are renamed aside with legacy_alter_table on, so the other tables' foreign keys keep
# naming "submissions"/"appraisals" and point at the new tables.
_UPGRADE_1_TO_2 = [
    ("submissions", "id, commune_code, version, file_name, file_sha256, received_at, set_id, set_version, status,"
                    " counts, self_total, tier, declared_json, scores_json"),
    ("communes", "code, name, kind, state"),
    ("appraisals", "id, commune_code, submission_id, file_name, file_sha256, appraiser, imported_at, status,"
                   " superseded, total, tier, bonus, penalty"),
]


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
    communes: list[dict[str, str]]  # Commune.model_dump() of every unit, in list order
    created_at: str
    place: str = ""  # for the date line: "Phù Yên, ngày …"
    deadline: str | None = None  # ISO date of the self-assessment deadline


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
    declared: dict[str, Any]
    scores: dict[str, Any]
    set_id: str = ""
    set_version: str = ""


class Store:
    """The store, seen through one round (`round_id`; "" is the unnamed round of a pre-rounds store)."""

    # Another process writing (a second import, a copy program): wait this long quietly, then tell `on_busy`
    # and wait LOCK_WAIT_S more before giving up with "database is locked" (nothing written).
    LOCK_QUIET_S = 5.0
    LOCK_WAIT_S = 60.0

    def __init__(self, path: Path, round_id: str = LEGACY_ROUND, on_busy: Callable[[], None] | None = None):
        self.path = path
        self.round_id = round_id
        self.on_busy = on_busy
        self.gave_up = False
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, timeout=self.LOCK_QUIET_S)
        self.db.execute("PRAGMA journal_mode=WAL")
        _upgrade(self.db)
        for stmt in EXPLANATION_SCHEMA.split(";"):
            if stmt.strip():
                self.db.execute(stmt)
        self.db.execute("PRAGMA foreign_keys=ON")
        self._in_batch = False

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        if self._in_batch:  # one record inside a batch: a savepoint, so the record alone is all or nothing
            self.db.execute("SAVEPOINT record")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK TO record")
                self.db.execute("RELEASE record")
                raise
            self.db.execute("RELEASE record")
            return
        self._begin()
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _begin(self) -> None:
        """BEGIN IMMEDIATE; while another program writes, wait LOCK_QUIET_S, tell `on_busy`, wait LOCK_WAIT_S
        more, then give up (sqlite3.OperationalError "database is locked", nothing written)."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or self.gave_up:
                raise
            if self.on_busy is not None:
                self.on_busy()
            self.db.execute(f"PRAGMA busy_timeout={int(self.LOCK_WAIT_S * 1000)}")
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                self.gave_up = True  # waited once: the next writes of this run fail without a second long wait
                raise
            finally:
                self.db.execute(f"PRAGMA busy_timeout={int(self.LOCK_QUIET_S * 1000)}")

    def check_writable(self) -> None:
        """Take and release the write lock once, waiting as any write does: a store another program holds is
        found before a long command starts (sqlite3.OperationalError), not at its first file."""
        with self.transaction():
            pass

    # -- rounds -------------------------------------------------------------------------------------
    def create_round(self, r: Round) -> bool:
        """Record a round; False (nothing written) when a round with its id exists already."""
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM rounds WHERE id=?", (r.id,)).fetchone():
                return False
            db.execute("INSERT INTO rounds (id, year, body, place, deadline, set_id, set_version, set_sha256,"
                       " set_yaml, communes_json, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       (r.id, r.year, r.body, r.place, r.deadline, r.set_id, r.set_version, r.set_sha256,
                        r.set_yaml, _dumps(r.communes), r.created_at))
            db.execute("INSERT INTO events (round_id, at, commune_code, kind, detail_json) VALUES (?,?,?,?,?)",
                       (r.id, r.created_at, None, "round_created",
                        _dumps({"year": r.year, "body": r.body, "set": f"{r.set_id} {r.set_version}"})))
            return True

    def round(self, round_id: str | None = None) -> Round | None:
        """The round `round_id` (default: this store's round)."""
        row = self.db.execute(f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE id=?",
                              (self.round_id if round_id is None else round_id,)).fetchone()
        return _round(row) if row else None

    def rounds(self) -> list[Round]:
        """Every recorded round, oldest year first."""
        return [_round(r) for r in self.db.execute(f"SELECT {_ROUND_COLUMNS} FROM rounds ORDER BY year, id")]

    def has_legacy_rows(self) -> bool:
        """Whether the store holds submissions written before rounds existed."""
        return self.db.execute("SELECT 1 FROM submissions WHERE round_id=? LIMIT 1",
                               (LEGACY_ROUND,)).fetchone() is not None

    # -- submissions --------------------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[None]:
        """Many records in one transaction (one sync to disk instead of one per record), each record in a
        savepoint of its own; `checkpoint` commits what is recorded so far. A kill loses only the records
        since the last commit, which a rerun records again."""
        self._begin()
        self._in_batch = True
        try:
            yield
        finally:
            self._in_batch = False
            try:
                self.db.execute("COMMIT")
            except sqlite3.Error:
                self.db.execute("ROLLBACK")
                raise

    def checkpoint(self) -> None:
        """Inside a batch: commit the records made so far and go on in a new transaction."""
        if self._in_batch:
            self.db.execute("COMMIT")
            self._begin()

    def record_submission(self, *, commune_code: str, commune_name: str, commune_kind: str, file_name: str,
                          sha256: str, received_at: str, set_id: str, set_version: str, status: str,
                          counts: bool, self_total: Decimal | None, tier: str | None, declared: dict[str, Any],
                          scores: dict[str, Any], findings: list[dict[str, Any]]) -> tuple[int, bool]:
        """(submission id, whether it is new). Re-importing the same file for the same commune is a no-op."""
        rid = self.round_id
        with self.transaction() as db:
            row = db.execute("SELECT id FROM submissions WHERE round_id=? AND commune_code=? AND file_sha256=?",
                             (rid, commune_code, sha256)).fetchone()
            if row:
                return int(row[0]), False
            version = db.execute("SELECT COALESCE(MAX(version),0)+1 FROM submissions WHERE round_id=? AND"
                                 " commune_code=?", (rid, commune_code)).fetchone()[0]
            cur = db.execute(
                "INSERT INTO submissions (round_id, commune_code, version, file_name, file_sha256, received_at,"
                " set_id, set_version, status, counts, self_total, tier, declared_json, scores_json)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (rid, commune_code, version, file_name, sha256, received_at, set_id, set_version, status,
                 int(counts), None if self_total is None else str(self_total), tier, _dumps(declared),
                 _dumps(scores)))
            sid = int(cur.lastrowid or 0)
            db.executemany("INSERT INTO findings VALUES (?,?,?,?,?,?)",
                           [(sid, f["severity"], f["rule"], f.get("criterion"), f.get("cell"), f["message"])
                            for f in findings])
            db.execute("INSERT INTO communes (round_id, code, name, kind) VALUES (?,?,?,?) ON CONFLICT(round_id,"
                       " code) DO UPDATE SET name=excluded.name, kind=excluded.kind",
                       (rid, commune_code, commune_name, commune_kind))
            if counts:
                state = "received" if status == "rejected" else "checked"
                db.execute("UPDATE communes SET state=? WHERE round_id=? AND code=? AND state IN"
                           " ('received','checked')", (state, rid, commune_code))
            self._event(db, received_at, commune_code, "submission",
                        {"file": file_name, "sha256": sha256, "version": version, "status": status})
            return sid, True

    def revise_submission(self, submission_id: int, *, status: str, counts: bool,
                          findings: list[dict[str, Any]]) -> bool:
        """A recorded submission given the findings of the whole batch (a second file of its commune,
        evidence copied from another commune): its status, whether it counts, its findings, and its
        commune's state when it counts. Nothing is written when the record already holds them (a rerun
        after a kill brings earlier records up to date, and a second rerun changes nothing); returns
        whether it changed."""
        with self.transaction() as db:
            row = db.execute("SELECT commune_code, received_at, file_name, version, status, counts FROM submissions"
                             " WHERE id=? AND round_id=?", (submission_id, self.round_id)).fetchone()
            if row is None:
                return False
            stored = [tuple(f) for f in db.execute("SELECT severity, rule, criterion, cell, message FROM findings"
                                                   " WHERE submission_id=? ORDER BY rowid", (submission_id,))]
            wanted = [(f["severity"], f["rule"], f.get("criterion"), f.get("cell"), f["message"]) for f in findings]
            if (row[4], bool(row[5]), stored) == (status, counts, wanted):
                return False
            db.execute("UPDATE submissions SET status=?, counts=? WHERE id=?", (status, int(counts), submission_id))
            self._event(db, row[1], row[0], "submission_revised",
                        {"file": row[2], "version": row[3], "status": status, "counts": counts})
            db.execute("DELETE FROM findings WHERE submission_id=?", (submission_id,))
            db.executemany("INSERT INTO findings VALUES (?,?,?,?,?,?)",
                           [(submission_id, f["severity"], f["rule"], f.get("criterion"), f.get("cell"),
                             f["message"]) for f in findings])
            if counts:
                state = "received" if status == "rejected" else "checked"
                db.execute("UPDATE communes SET state=? WHERE round_id=? AND code=? AND state IN"
                           " ('received','checked')", (state, self.round_id, row[0]))
            return True

    def latest(self, commune_code: str) -> StoredSubmission | None:
        """The submission that counts: the newest version marked as counting, never a withdrawn one."""
        row = self.db.execute(
            f"SELECT {_SUBMISSION_COLUMNS} FROM submissions WHERE round_id=? AND commune_code=? AND id NOT IN"
            " (SELECT submission_id FROM withdrawals) ORDER BY counts DESC, version DESC LIMIT 1",
            (self.round_id, commune_code)).fetchone()
        return _row(row) if row else None

    def withdraw(self, commune_code: str, version: int | None, *, at: str, who: str, reason: str) -> int | None:
        """Withdraw a submission (default: the one that counts): kept with its findings, logged, and no longer
        counting; the commune's state follows the submission that counts now. Returns the version withdrawn,
        None when there is none to withdraw. Callers refuse appraised and finalized communes first."""
        with self.transaction() as db:
            if version is None:
                current = self.latest(commune_code)
                version = current.version if current else None
            row = None if version is None else db.execute(
                "SELECT id, file_name FROM submissions WHERE round_id=? AND commune_code=? AND version=? AND id NOT IN"
                " (SELECT submission_id FROM withdrawals)", (self.round_id, commune_code, version)).fetchone()
            if row is None:
                return None
            db.execute("INSERT INTO withdrawals (submission_id, at, by, reason) VALUES (?,?,?,?)",
                       (row[0], at, who, reason))
            now = self.latest(commune_code)
            state = "checked" if now is not None and now.status != "rejected" else "received"
            db.execute("UPDATE communes SET state=? WHERE round_id=? AND code=? AND state IN ('received','checked')",
                       (state, self.round_id, commune_code))
            self._event(db, at, commune_code, "withdrawn",
                        {"file": row[1], "version": version, "by": who, "reason": reason})
            return version

    def withdrawn_versions(self, commune_code: str) -> dict[int, str]:
        """Withdrawn versions of a commune's submissions, with their reasons."""
        return dict(self.db.execute(
            "SELECT s.version, w.reason FROM withdrawals w JOIN submissions s ON s.id=w.submission_id"
            " WHERE s.round_id=? AND s.commune_code=?", (self.round_id, commune_code)))

    def all_latest_with_communes(self) -> Iterator[tuple[StoredSubmission, str, str, str]]:
        """Every commune's counting submission (as `latest` chooses it) with the commune's name, kind and
        state, in commune code order: one query for a whole country instead of four per commune."""
        rows = self.db.execute(
            f"SELECT {_SUBMISSION_COLUMNS}, c.name, c.kind, c.state FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY"
            " commune_code ORDER BY counts DESC, version DESC) AS n FROM submissions WHERE round_id=? AND id NOT IN (SELECT"
            " submission_id FROM withdrawals)) s"
            " LEFT JOIN communes c ON c.round_id = s.round_id AND c.code = s.commune_code WHERE s.n = 1"
            " ORDER BY s.commune_code", (self.round_id,))
        k = len(_SUBMISSION_COLUMNS.split(","))  # the submission's columns come first
        for row in rows:
            yield _row(row[:k]), row[k], row[k + 1], row[k + 2]

    def current_appraisals(self) -> dict[str, StoredAppraisal]:
        """`current_appraisal` of every commune that has one, in three queries."""
        heads = self.db.execute(
            "SELECT id, commune_code, submission_id, file_name, file_sha256, appraiser, imported_at, total, tier,"
            " bonus, penalty FROM appraisals WHERE id IN (SELECT MAX(id) FROM appraisals WHERE round_id=? AND"
            " status!='rejected' AND superseded=0 GROUP BY commune_code)", (self.round_id,)).fetchall()
        ids = {row[0] for row in heads}
        scores: dict[int, dict[str, AppraisedScore]] = {}
        for aid, c, sp, ap, reason, ch in self.db.execute(
                "SELECT appraisal_id, criterion, self_points, appraised_points, reason, changed FROM appraisal_scores"
                " ORDER BY rowid"):
            if aid in ids:
                scores.setdefault(aid, {})[c] = AppraisedScore(c, _dec(sp), _dec(ap), reason, bool(ch))
        adjustments: dict[int, list[tuple[str, str, int, Decimal]]] = {}
        for aid, c, b, n, p in self.db.execute(
                "SELECT appraisal_id, code, block, count, points FROM appraisal_adjustments ORDER BY rowid"):
            if aid in ids:
                adjustments.setdefault(aid, []).append((c, b, n, Decimal(p)))
        return {row[1]: StoredAppraisal(row[0], row[1], row[2], row[3], row[4], row[5], row[6], _dec(row[7]), row[8],
                                        Decimal(row[9]), Decimal(row[10]), scores.get(row[0], {}),
                                        adjustments.get(row[0], [])) for row in heads}

    def submission(self, submission_id: int) -> StoredSubmission | None:
        row = self.db.execute(f"SELECT {_SUBMISSION_COLUMNS} FROM submissions WHERE id=? AND round_id=?",
                              (submission_id, self.round_id)).fetchone()
        return _row(row) if row else None

    def commune_codes(self) -> list[str]:
        """Every commune with at least one submission, in code order."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT commune_code FROM submissions WHERE round_id=?"
                                              " ORDER BY 1", (self.round_id,))]

    def all_latest(self) -> list[StoredSubmission]:
        return [s for s in (self.latest(c) for c in self.commune_codes()) if s is not None]

    def finding_counts(self) -> dict[int, tuple[int, int]]:
        """(errors, warnings) per submission id, in one pass over the findings."""
        counts: dict[int, list[int]] = {}
        for sid, severity, n in self.db.execute(
                "SELECT f.submission_id, f.severity, COUNT(*) FROM findings f JOIN submissions s"
                " ON s.id=f.submission_id WHERE s.round_id=? AND f.severity IN ('error','warning')"
                " GROUP BY f.submission_id, f.severity", (self.round_id,)):
            counts.setdefault(sid, [0, 0])[0 if severity == "error" else 1] = n
        return {k: (v[0], v[1]) for k, v in counts.items()}

    def history(self, commune_code: str) -> list[StoredSubmission]:
        rows = self.db.execute(f"SELECT {_SUBMISSION_COLUMNS} FROM submissions WHERE round_id=? AND"
                               " commune_code=? ORDER BY version", (self.round_id, commune_code))
        return [_row(r) for r in rows]

    def findings(self, submission_id: int) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT severity, rule, criterion, cell, message FROM findings WHERE submission_id=?",
                               (submission_id,))
        return [dict(zip(("severity", "rule", "criterion", "cell", "message"), r, strict=True)) for r in rows]

    # -- lifecycle: received -> checked -> appraised -> final --------------------------------------
    def state(self, commune_code: str) -> str | None:
        return self._state(self.db, commune_code)

    def states(self) -> dict[str, str]:
        """Every commune's state in this round, by code."""
        return dict(self.db.execute("SELECT code, state FROM communes WHERE round_id=?", (self.round_id,)))

    def communes_in_state(self, state: str) -> list[str]:
        rows = self.db.execute("SELECT code FROM communes WHERE round_id=? AND state=? ORDER BY code",
                               (self.round_id, state))
        return [r[0] for r in rows]

    def commune(self, commune_code: str) -> tuple[str, str, str] | None:
        """(code, name, kind) as last received."""
        row = self.db.execute("SELECT code, name, kind FROM communes WHERE round_id=? AND code=?",
                              (self.round_id, commune_code)).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def finalize(self, codes: list[str], at: str, who: str) -> list[str]:
        """Lock the appraised communes among `codes`; return those finalized now."""
        done = []
        with self.transaction() as db:
            for code in codes:
                if self._state(db, code) == "appraised":
                    db.execute("UPDATE communes SET state='final' WHERE round_id=? AND code=?",
                               (self.round_id, code))
                    self._event(db, at, code, "finalize", {"by": who})
                    done.append(code)
        return done

    def reopen(self, code: str, at: str, who: str, reason: str) -> bool:
        with self.transaction() as db:
            if self._state(db, code) != "final":
                return False
            db.execute("UPDATE communes SET state='appraised' WHERE round_id=? AND code=?", (self.round_id, code))
            self._event(db, at, code, "reopen", {"by": who, "reason": reason})
            return True

    def events(self, commune_code: str | None = None) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT at, commune_code, kind, detail_json FROM events WHERE round_id=? AND"
                               " (? IS NULL OR commune_code=?) ORDER BY id",
                               (self.round_id, commune_code, commune_code))
        return [{"at": a, "commune_code": c, "kind": k, "detail": json.loads(d)} for a, c, k, d in rows]

    def _state(self, db: sqlite3.Connection, code: str) -> str | None:
        row = db.execute("SELECT state FROM communes WHERE round_id=? AND code=?", (self.round_id, code)).fetchone()
        return row[0] if row else None

    def _event(self, db: sqlite3.Connection, at: str, code: str | None, kind: str, detail: dict[str, Any]) -> None:
        db.execute("INSERT INTO events (round_id, at, commune_code, kind, detail_json) VALUES (?,?,?,?,?)",
                   (self.round_id, at, code, kind, _dumps(detail)))

    # -- appraisal ----------------------------------------------------------------------------------
    def record_appraisal(self, *, commune_code: str, submission_id: int, file_name: str, sha256: str,
                         appraiser: str, imported_at: str, status: str, total: Decimal | None, tier: str | None,
                         bonus: Decimal, penalty: Decimal, scores: list[AppraisedScore],
                         adjustments: list[tuple[str, str, int, Decimal]],
                         findings: list[dict[str, Any]], stage: str = "round1",
                         request_id: int | None = None) -> tuple[int, bool]:
        """(appraisal id, whether new). An accepted appraisal supersedes the earlier ones, which are kept.
        `stage`: "round1", or "round2" for the council's decision on contested items (answering the
        explanation request `request_id`)."""
        rid = self.round_id
        with self.transaction() as db:
            row = db.execute("SELECT id FROM appraisals WHERE round_id=? AND commune_code=? AND file_sha256=?",
                             (rid, commune_code, sha256)).fetchone()
            if row:
                return int(row[0]), False
            accepted = status != "rejected"
            if accepted:
                db.execute("UPDATE appraisals SET superseded=1 WHERE round_id=? AND commune_code=? AND"
                           " status!='rejected'", (rid, commune_code))
            cur = db.execute(
                "INSERT INTO appraisals (round_id, commune_code, submission_id, file_name, file_sha256, appraiser,"
                " imported_at, status, total, tier, bonus, penalty) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (rid, commune_code, submission_id, file_name, sha256, appraiser, imported_at, status,
                 None if total is None else str(total), tier, str(bonus), str(penalty)))
            aid = int(cur.lastrowid or 0)
            db.executemany("INSERT INTO appraisal_scores VALUES (?,?,?,?,?,?)",
                           [(aid, s.criterion, _opt(s.self_points), _opt(s.appraised_points), s.reason, int(s.changed))
                            for s in scores])
            db.executemany("INSERT INTO appraisal_adjustments VALUES (?,?,?,?,?)",
                           [(aid, code, block, count, str(points)) for code, block, count, points in adjustments])
            db.executemany("INSERT INTO appraisal_findings VALUES (?,?,?,?,?,?)",
                           [(aid, f["severity"], f["rule"], f.get("criterion"), f.get("cell"), f["message"])
                            for f in findings])
            db.execute("INSERT INTO appraisal_stages VALUES (?,?,?)", (aid, stage, request_id))
            if accepted:
                db.execute("UPDATE communes SET state='appraised' WHERE round_id=? AND code=? AND state IN"
                           " ('received','checked','appraised')", (rid, commune_code))
            self._event(db, imported_at, commune_code, "appraisal",
                        {"file": file_name, "sha256": sha256, "appraiser": appraiser, "status": status,
                         "changed": sum(s.changed for s in scores), "stage": stage})
            return aid, True

    def current_appraisal(self, commune_code: str) -> StoredAppraisal | None:
        row = self.db.execute(
            "SELECT id, commune_code, submission_id, file_name, file_sha256, appraiser, imported_at, total, tier,"
            " bonus, penalty FROM appraisals WHERE round_id=? AND commune_code=? AND status!='rejected' AND"
            " superseded=0 ORDER BY id DESC LIMIT 1", (self.round_id, commune_code)).fetchone()
        if not row:
            return None
        aid = row[0]
        scores = {c: AppraisedScore(c, _dec(sp), _dec(ap), reason, bool(ch)) for c, sp, ap, reason, ch in self.db.execute(
            "SELECT criterion, self_points, appraised_points, reason, changed FROM appraisal_scores"
            " WHERE appraisal_id=?", (aid,))}
        adjustments = [(c, b, n, Decimal(p)) for c, b, n, p in self.db.execute(
            "SELECT code, block, count, points FROM appraisal_adjustments WHERE appraisal_id=?", (aid,))]
        return StoredAppraisal(aid, row[1], row[2], row[3], row[4], row[5], row[6], _dec(row[7]), row[8],
                               Decimal(row[9]), Decimal(row[10]), scores, adjustments)

    def score_history(self, commune_code: str, criterion: str) -> list[dict[str, Any]]:
        """Every recorded score of one criterion: self-assessments, then appraisals, oldest first."""
        out: list[dict[str, Any]] = []
        for sub in self.history(commune_code):
            out.append({"stage": "self", "version": sub.version, "at": sub.received_at, "file": sub.file_name,
                        "points": sub.scores.get(criterion), "by": "", "reason": "", "superseded": False})
        rows = self.db.execute(
            "SELECT a.imported_at, a.file_name, a.appraiser, a.superseded, a.status, s.appraised_points, s.reason,"
            " s.self_points, a.id FROM appraisals a JOIN appraisal_scores s ON s.appraisal_id=a.id"
            " WHERE a.round_id=? AND a.commune_code=? AND s.criterion=? ORDER BY a.id",
            (self.round_id, commune_code, criterion))
        for at, file, who, superseded, status, points, reason, self_points, aid in rows:
            out.append({"stage": "appraisal", "at": at, "file": file, "by": who, "points": points,
                        "self_points": self_points, "reason": reason, "superseded": bool(superseded),
                        "status": status, "id": aid})
        return out

    # -- explanation round (giải trình) ------------------------------------------------------------
    def appraisal_stage(self, appraisal_id: int) -> tuple[str, int | None]:
        """(stage, request id) of an appraisal; appraisals recorded before the explanation round are round 1."""
        row = self.db.execute("SELECT stage, request_id FROM appraisal_stages WHERE appraisal_id=?",
                              (appraisal_id,)).fetchone()
        return (row[0], row[1]) if row else ("round1", None)

    def record_answer_request(self, *, commune_code: str, appraisal_id: int, deadline: str, issued_at: str,
                              items: list[dict[str, Any]]) -> int:
        """An answer workbook issued for the commune's round-1 appraisal; its id."""
        with self.transaction() as db:
            cur = db.execute("INSERT INTO answer_requests (round_id, commune_code, appraisal_id, deadline, issued_at,"
                             " items_json) VALUES (?,?,?,?,?,?)",
                             (self.round_id, commune_code, appraisal_id, deadline, issued_at, _dumps(items)))
            rid = int(cur.lastrowid or 0)
            self._event(db, issued_at, commune_code, "answer_request",
                        {"request": rid, "appraisal": appraisal_id, "deadline": deadline,
                         "items": [i["criterion"] for i in items]})
            return rid

    def answer_requests(self) -> list[AnswerRequest]:
        """The latest explanation request of every commune of this round, in code order."""
        rows = self.db.execute(
            f"SELECT {_REQUEST_COLUMNS} FROM answer_requests r WHERE round_id=? AND id=(SELECT MAX(id) FROM"
            " answer_requests WHERE round_id=r.round_id AND commune_code=r.commune_code) ORDER BY commune_code",
            (self.round_id,))
        return [_request(r) for r in rows]

    def answer_request(self, request_id: int) -> AnswerRequest | None:
        row = self.db.execute(f"SELECT {_REQUEST_COLUMNS} FROM answer_requests WHERE id=? AND round_id=?",
                              (request_id, self.round_id)).fetchone()
        return _request(row) if row else None

    def answer_deadline(self) -> str | None:
        """The answer deadline given last in this round (`appraise answers --deadline`)."""
        row = self.db.execute("SELECT deadline FROM answer_requests WHERE round_id=? ORDER BY id DESC LIMIT 1",
                              (self.round_id,)).fetchone()
        return row[0] if row else None

    def record_answer(self, *, commune_code: str, request_id: int, file_name: str, sha256: str, received_at: str,
                      status: str, answered_by: str, items: dict[str, dict[str, str]],
                      evidence: dict[str, Any], findings: list[dict[str, Any]]) -> tuple[int, bool]:
        """(answer id, whether new). `status`: accepted | accepted_with_warnings | rejected | deemed_accepted
        (nothing received by the deadline: file_name and sha256 are empty)."""
        with self.transaction() as db:
            if sha256:
                row = db.execute("SELECT id FROM answers WHERE round_id=? AND commune_code=? AND file_sha256=?",
                                 (self.round_id, commune_code, sha256)).fetchone()
                if row:
                    return int(row[0]), False
            cur = db.execute(
                "INSERT INTO answers (round_id, commune_code, request_id, file_name, file_sha256, received_at, status,"
                " answered_by, items_json, evidence_json, findings_json) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (self.round_id, commune_code, request_id, file_name, sha256 or f"deemed-{request_id}", received_at,
                 status, answered_by, _dumps(items), _dumps(evidence), _dumps(findings)))
            aid = int(cur.lastrowid or 0)
            self._event(db, received_at, commune_code, "answer",
                        {"answer": aid, "request": request_id, "file": file_name, "status": status,
                         "by": answered_by, "contested": sorted(c for c, i in items.items()
                                                                if i.get("answer") == "explain")})
            return aid, True

    def answers(self, commune_code: str) -> list[StoredAnswer]:
        """Every answer of the commune (received or deemed), oldest first."""
        rows = self.db.execute(f"SELECT {_ANSWER_COLUMNS} FROM answers WHERE round_id=? AND commune_code=?"
                               " ORDER BY id", (self.round_id, commune_code))
        return [_answer(r) for r in rows]

    def log_event(self, at: str, commune_code: str | None, kind: str, detail: dict[str, Any]) -> None:
        """An event of the audit trail on its own (e.g. a finalize forced past open explanations)."""
        with self.transaction() as db:
            self._event(db, at, commune_code, kind, detail)

    def count(self, table: str) -> int:
        """Rows of `table` (the whole store, every round)."""
        assert table in {"submissions", "findings", "communes", "events", "appraisals", "appraisal_scores",
                         "rounds", "withdrawals", "answer_requests", "answers"}
        return int(self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _upgrade(db: sqlite3.Connection) -> None:
    """Create the schema, or bring an older store up to SCHEMA_VERSION in place (in one transaction)."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "schema_version" in tables:
        version = db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
        if version >= SCHEMA_VERSION:
            return
    else:
        version = 1 if "submissions" in tables else 0
    db.execute("PRAGMA foreign_keys=OFF")
    db.execute("PRAGMA legacy_alter_table=ON")
    db.execute("BEGIN IMMEDIATE")
    try:
        if version == 1:
            for table, _columns in _UPGRADE_1_TO_2:
                db.execute(f"ALTER TABLE {table} RENAME TO {table}_v1")
            db.execute("ALTER TABLE events ADD COLUMN round_id TEXT NOT NULL DEFAULT ''")
            for stmt in SCHEMA.split(";"):  # executescript would commit the open transaction
                if stmt.strip():
                    db.execute(stmt)
            for table, columns in _UPGRADE_1_TO_2:
                db.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}_v1")
                db.execute(f"DROP TABLE {table}_v1")
        else:
            for stmt in SCHEMA.split(";"):
                if stmt.strip():
                    db.execute(stmt)
        db.execute("DELETE FROM schema_version")
        db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
    except BaseException:
        db.execute("ROLLBACK")
        raise
    finally:
        db.execute("PRAGMA legacy_alter_table=OFF")
    db.execute("COMMIT")


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
    items: list[dict[str, Any]]


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
    items: dict[str, dict[str, str]]  # criterion -> {"answer": "agree" | "explain", "explanation": …}
    evidence: dict[str, Any]  # {"path": folder or zip, "rows": RegisterRow.model_dump(mode="json") of each added row}
    findings: list[dict[str, Any]]


def _opt(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


_SUBMISSION_COLUMNS = ("id, commune_code, version, file_name, file_sha256, received_at, set_id, set_version,"
                       " status, counts, self_total, tier, declared_json, scores_json")
_ROUND_COLUMNS = ("id, year, body, set_id, set_version, set_sha256, set_yaml, communes_json, created_at, place,"
                  " deadline")


_REQUEST_COLUMNS = "id, commune_code, appraisal_id, deadline, issued_at, items_json"
_ANSWER_COLUMNS = ("id, commune_code, request_id, file_name, file_sha256, received_at, status, answered_by, items_json,"
                   " evidence_json, findings_json")


def _request(r: tuple[Any, ...]) -> AnswerRequest:
    return AnswerRequest(int(r[0]), r[1], int(r[2]), r[3], r[4], json.loads(r[5]))


def _answer(r: tuple[Any, ...]) -> StoredAnswer:
    return StoredAnswer(int(r[0]), r[1], int(r[2]), r[3], r[4], r[5], r[6], r[7], json.loads(r[8]), json.loads(r[9]),
                        json.loads(r[10]))


def _round(r: tuple[Any, ...]) -> Round:
    return Round(r[0], int(r[1]), r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8], r[9], r[10])


def _row(r: tuple[Any, ...]) -> StoredSubmission:
    (sid, code, version, file_name, sha, received, set_id, set_version, status, _counts, total, tier, declared,
     scores) = r
    return StoredSubmission(sid, code, version, file_name, sha, received, status,
                            None if total is None else Decimal(total), tier, json.loads(declared), json.loads(scores),
                            set_id, set_version)
