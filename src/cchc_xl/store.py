"""The store: every submission, its declared values, recomputed scores and findings, in SQLite.

Each submission is recorded all or nothing: in a transaction of its own, or in a savepoint of an import
batch's transaction (`batch`, committed now and then by `checkpoint`), so a kill loses at most the
uncommitted tail of a batch, which a rerun records again.
The same file (same sha256 for the same commune) imported again changes nothing; a new file from the
same commune becomes its next version, and earlier versions are kept.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
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
    UNIQUE (commune_code, file_sha256)
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
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'received'
);
CREATE TABLE IF NOT EXISTS appraisals (
    id INTEGER PRIMARY KEY,
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
    UNIQUE (commune_code, file_sha256)
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
    at TEXT NOT NULL,
    commune_code TEXT,
    kind TEXT NOT NULL,
    detail_json TEXT NOT NULL
);
"""


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
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
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
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Many records in one transaction (one sync to disk instead of one per record), each record in a
        savepoint of its own; `checkpoint` commits what is recorded so far. A kill loses only the records
        since the last commit, which a rerun records again."""
        self.db.execute("BEGIN IMMEDIATE")
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
            self.db.execute("BEGIN IMMEDIATE")

    def record_submission(self, *, commune_code: str, commune_name: str, commune_kind: str, file_name: str,
                          sha256: str, received_at: str, set_id: str, set_version: str, status: str,
                          counts: bool, self_total: Decimal | None, tier: str | None, declared: dict[str, Any],
                          scores: dict[str, Any], findings: list[dict[str, Any]]) -> tuple[int, bool]:
        """(submission id, whether it is new). Re-importing the same file for the same commune is a no-op."""
        with self.transaction() as db:
            row = db.execute("SELECT id FROM submissions WHERE commune_code=? AND file_sha256=?",
                             (commune_code, sha256)).fetchone()
            if row:
                return int(row[0]), False
            version = db.execute("SELECT COALESCE(MAX(version),0)+1 FROM submissions WHERE commune_code=?",
                                 (commune_code,)).fetchone()[0]
            cur = db.execute(
                "INSERT INTO submissions (commune_code, version, file_name, file_sha256, received_at, set_id,"
                " set_version, status, counts, self_total, tier, declared_json, scores_json)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (commune_code, version, file_name, sha256, received_at, set_id, set_version, status, int(counts),
                 None if self_total is None else str(self_total), tier, _dumps(declared), _dumps(scores)))
            sid = int(cur.lastrowid or 0)
            db.executemany("INSERT INTO findings VALUES (?,?,?,?,?,?)",
                           [(sid, f["severity"], f["rule"], f.get("criterion"), f.get("cell"), f["message"])
                            for f in findings])
            db.execute("INSERT INTO communes (code, name, kind) VALUES (?,?,?) ON CONFLICT(code) DO UPDATE SET"
                       " name=excluded.name, kind=excluded.kind", (commune_code, commune_name, commune_kind))
            if counts:
                state = "received" if status == "rejected" else "checked"
                db.execute("UPDATE communes SET state=? WHERE code=? AND state IN ('received','checked')",
                           (state, commune_code))
            db.execute("INSERT INTO events (at, commune_code, kind, detail_json) VALUES (?,?,?,?)",
                       (received_at, commune_code, "submission",
                        _dumps({"file": file_name, "sha256": sha256, "version": version, "status": status})))
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
                             " WHERE id=?", (submission_id,)).fetchone()
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
                db.execute("UPDATE communes SET state=? WHERE code=? AND state IN ('received','checked')",
                           (state, row[0]))
            return True

    def latest(self, commune_code: str) -> StoredSubmission | None:
        """The submission that counts: the newest version marked as counting."""
        row = self.db.execute(
            "SELECT * FROM submissions WHERE commune_code=? ORDER BY counts DESC, version DESC LIMIT 1",
            (commune_code,)).fetchone()
        return _row(row) if row else None

    def all_latest_with_communes(self) -> Iterator[tuple[StoredSubmission, str, str, str]]:
        """Every commune's counting submission (as `latest` chooses it) with the commune's name, kind and
        state, in commune code order: one query for a whole country instead of four per commune."""
        rows = self.db.execute(
            "SELECT s.*, c.name, c.kind, c.state FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY commune_code"
            " ORDER BY counts DESC, version DESC) AS n FROM submissions) s LEFT JOIN communes c ON c.code ="
            " s.commune_code WHERE s.n = 1 ORDER BY s.commune_code")
        k = [d[0] for d in rows.description].index("n")  # the submission's columns come before it
        for row in rows:
            yield _row(row[:k]), row[k + 1], row[k + 2], row[k + 3]

    def current_appraisals(self) -> dict[str, StoredAppraisal]:
        """`current_appraisal` of every commune that has one, in three queries."""
        heads = self.db.execute(
            "SELECT id, commune_code, submission_id, file_name, file_sha256, appraiser, imported_at, total, tier,"
            " bonus, penalty FROM appraisals WHERE id IN (SELECT MAX(id) FROM appraisals WHERE status!='rejected'"
            " AND superseded=0 GROUP BY commune_code)").fetchall()
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
        row = self.db.execute("SELECT * FROM submissions WHERE id=?", (submission_id,)).fetchone()
        return _row(row) if row else None

    def commune_codes(self) -> list[str]:
        """Every commune with at least one submission, in code order."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT commune_code FROM submissions ORDER BY 1")]

    def all_latest(self) -> list[StoredSubmission]:
        return [s for s in (self.latest(c) for c in self.commune_codes()) if s is not None]

    def finding_counts(self) -> dict[int, tuple[int, int]]:
        """(errors, warnings) per submission id, in one pass over the findings."""
        counts: dict[int, list[int]] = {}
        for sid, severity, n in self.db.execute(
                "SELECT submission_id, severity, COUNT(*) FROM findings WHERE severity IN ('error','warning')"
                " GROUP BY submission_id, severity"):
            counts.setdefault(sid, [0, 0])[0 if severity == "error" else 1] = n
        return {k: (v[0], v[1]) for k, v in counts.items()}

    def history(self, commune_code: str) -> list[StoredSubmission]:
        rows = self.db.execute("SELECT * FROM submissions WHERE commune_code=? ORDER BY version", (commune_code,))
        return [_row(r) for r in rows]

    def findings(self, submission_id: int) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT severity, rule, criterion, cell, message FROM findings WHERE submission_id=?",
                               (submission_id,))
        return [dict(zip(("severity", "rule", "criterion", "cell", "message"), r, strict=True)) for r in rows]

    # -- lifecycle: received -> checked -> appraised -> final --------------------------------------
    def state(self, commune_code: str) -> str | None:
        row = self.db.execute("SELECT state FROM communes WHERE code=?", (commune_code,)).fetchone()
        return row[0] if row else None

    def communes_in_state(self, state: str) -> list[str]:
        rows = self.db.execute("SELECT code FROM communes WHERE state=? ORDER BY code", (state,))
        return [r[0] for r in rows]

    def commune(self, commune_code: str) -> tuple[str, str, str] | None:
        """(code, name, kind) as last received."""
        row = self.db.execute("SELECT code, name, kind FROM communes WHERE code=?", (commune_code,)).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def finalize(self, codes: list[str], at: str, who: str) -> list[str]:
        """Lock the appraised communes among `codes`; return those finalized now."""
        done = []
        with self.transaction() as db:
            for code in codes:
                if self._state(db, code) == "appraised":
                    db.execute("UPDATE communes SET state='final' WHERE code=?", (code,))
                    self._event(db, at, code, "finalize", {"by": who})
                    done.append(code)
        return done

    def reopen(self, code: str, at: str, who: str, reason: str) -> bool:
        with self.transaction() as db:
            if self._state(db, code) != "final":
                return False
            db.execute("UPDATE communes SET state='appraised' WHERE code=?", (code,))
            self._event(db, at, code, "reopen", {"by": who, "reason": reason})
            return True

    def events(self, commune_code: str | None = None) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT at, commune_code, kind, detail_json FROM events WHERE ? IS NULL OR commune_code=?"
                               " ORDER BY id", (commune_code, commune_code))
        return [{"at": a, "commune_code": c, "kind": k, "detail": json.loads(d)} for a, c, k, d in rows]

    @staticmethod
    def _state(db: sqlite3.Connection, code: str) -> str | None:
        row = db.execute("SELECT state FROM communes WHERE code=?", (code,)).fetchone()
        return row[0] if row else None

    @staticmethod
    def _event(db: sqlite3.Connection, at: str, code: str | None, kind: str, detail: dict[str, Any]) -> None:
        db.execute("INSERT INTO events (at, commune_code, kind, detail_json) VALUES (?,?,?,?)",
                   (at, code, kind, _dumps(detail)))

    # -- appraisal ----------------------------------------------------------------------------------
    def record_appraisal(self, *, commune_code: str, submission_id: int, file_name: str, sha256: str,
                         appraiser: str, imported_at: str, status: str, total: Decimal | None, tier: str | None,
                         bonus: Decimal, penalty: Decimal, scores: list[AppraisedScore],
                         adjustments: list[tuple[str, str, int, Decimal]],
                         findings: list[dict[str, Any]]) -> tuple[int, bool]:
        """(appraisal id, whether new). An accepted appraisal supersedes the earlier ones, which are kept."""
        with self.transaction() as db:
            row = db.execute("SELECT id FROM appraisals WHERE commune_code=? AND file_sha256=?",
                             (commune_code, sha256)).fetchone()
            if row:
                return int(row[0]), False
            accepted = status != "rejected"
            if accepted:
                db.execute("UPDATE appraisals SET superseded=1 WHERE commune_code=? AND status!='rejected'",
                           (commune_code,))
            cur = db.execute(
                "INSERT INTO appraisals (commune_code, submission_id, file_name, file_sha256, appraiser, imported_at,"
                " status, total, tier, bonus, penalty) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (commune_code, submission_id, file_name, sha256, appraiser, imported_at, status,
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
            if accepted:
                db.execute("UPDATE communes SET state='appraised' WHERE code=? AND state IN ('received','checked',"
                           "'appraised')", (commune_code,))
            self._event(db, imported_at, commune_code, "appraisal",
                        {"file": file_name, "sha256": sha256, "appraiser": appraiser, "status": status,
                         "changed": sum(s.changed for s in scores)})
            return aid, True

    def current_appraisal(self, commune_code: str) -> StoredAppraisal | None:
        row = self.db.execute(
            "SELECT id, commune_code, submission_id, file_name, file_sha256, appraiser, imported_at, total, tier,"
            " bonus, penalty FROM appraisals WHERE commune_code=? AND status!='rejected' AND superseded=0"
            " ORDER BY id DESC LIMIT 1", (commune_code,)).fetchone()
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
            " s.self_points FROM appraisals a JOIN appraisal_scores s ON s.appraisal_id=a.id"
            " WHERE a.commune_code=? AND s.criterion=? ORDER BY a.id", (commune_code, criterion))
        for at, file, who, superseded, status, points, reason, self_points in rows:
            out.append({"stage": "appraisal", "at": at, "file": file, "by": who, "points": points,
                        "self_points": self_points, "reason": reason, "superseded": bool(superseded),
                        "status": status})
        return out

    def count(self, table: str) -> int:
        assert table in {"submissions", "findings", "communes", "events", "appraisals", "appraisal_scores"}
        return int(self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


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


def _opt(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def _row(r: tuple[Any, ...]) -> StoredSubmission:
    (sid, code, version, file_name, sha, received, set_id, set_version, status, _counts, total, tier, declared,
     scores) = r
    return StoredSubmission(sid, code, version, file_name, sha, received, status,
                            None if total is None else Decimal(total), tier, json.loads(declared), json.loads(scores),
                            set_id, set_version)
