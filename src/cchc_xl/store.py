"""The store: every submission, its declared values, recomputed scores and findings, in SQLite.

One transaction per submission, so a kill in the middle leaves the store as it was before that file.
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
CREATE TABLE IF NOT EXISTS communes (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'received'
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


class Store:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

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
            db.execute("INSERT INTO events (at, commune_code, kind, detail_json) VALUES (?,?,?,?)",
                       (received_at, commune_code, "submission",
                        _dumps({"file": file_name, "sha256": sha256, "version": version, "status": status})))
            return sid, True

    def latest(self, commune_code: str) -> StoredSubmission | None:
        """The submission that counts: the newest version marked as counting."""
        row = self.db.execute(
            "SELECT * FROM submissions WHERE commune_code=? ORDER BY counts DESC, version DESC LIMIT 1",
            (commune_code,)).fetchone()
        return _row(row) if row else None

    def all_latest(self) -> list[StoredSubmission]:
        codes = [r[0] for r in self.db.execute("SELECT DISTINCT commune_code FROM submissions ORDER BY 1")]
        return [s for s in (self.latest(c) for c in codes) if s is not None]

    def history(self, commune_code: str) -> list[StoredSubmission]:
        rows = self.db.execute("SELECT * FROM submissions WHERE commune_code=? ORDER BY version", (commune_code,))
        return [_row(r) for r in rows]

    def findings(self, submission_id: int) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT severity, rule, criterion, cell, message FROM findings WHERE submission_id=?",
                               (submission_id,))
        return [dict(zip(("severity", "rule", "criterion", "cell", "message"), r, strict=True)) for r in rows]

    def count(self, table: str) -> int:
        assert table in {"submissions", "findings", "communes", "events"}
        return int(self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def _row(r: tuple[Any, ...]) -> StoredSubmission:
    (sid, code, version, file_name, sha, received, _set_id, _set_version, status, _counts, total, tier, declared,
     scores) = r
    return StoredSubmission(sid, code, version, file_name, sha, received, status,
                            None if total is None else Decimal(total), tier, json.loads(declared), json.loads(scores))
