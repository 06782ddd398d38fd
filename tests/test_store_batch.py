"""A store batch: many records in one transaction, each record still all or nothing (a savepoint each);
what a checkpoint committed survives a process that dies, what came after it does not."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cchc_xl import store as store_module
from cchc_xl.store import Store

TABLES = ("submissions", "findings", "communes", "events")


def _record(store: Store, sha: str, code: str = "03898") -> tuple[int, bool]:
    return store.record_submission(
        commune_code=code, commune_name="Phù Yên", commune_kind="thị trấn", file_name=f"inbox/{sha[:4]}.xlsx",
        sha256=sha, received_at="2022-10-01T08:00:00+07:00", set_id="mini", set_version="0.1", status="accepted",
        counts=True, self_total=None, tier=None, declared={"leaves": {}}, scores={"1.1.1": "1"},
        findings=[{"severity": "warning", "rule": "submission.incomplete", "criterion": None, "cell": None,
                   "message": "x"}])


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as con:
        return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_a_failed_record_inside_a_batch_leaves_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.sqlite"
    store = Store(db)
    real = store_module._dumps

    def failing(data: Any) -> str:
        if isinstance(data, dict) and data.get("sha256") == "b" * 64:  # the event row, after the submission
            raise RuntimeError("disk full")
        return real(data)

    try:
        with store.batch():
            _record(store, "a" * 64)
            monkeypatch.setattr(store_module, "_dumps", failing)
            with pytest.raises(RuntimeError, match="disk full"):
                _record(store, "b" * 64)
            monkeypatch.setattr(store_module, "_dumps", real)
            _record(store, "c" * 64)
        assert not store.db.in_transaction
    finally:
        store.close()
    assert _counts(db) == {"submissions": 2, "findings": 2, "communes": 1, "events": 2}


_KILLED = """
import os, signal, sys
sys.path[:0] = [sys.argv[2], sys.argv[3]]
from pathlib import Path
from cchc_xl.store import Store
from test_store_batch import _record
store = Store(Path(sys.argv[1]))
with store.batch():
    _record(store, "a" * 64)
    _record(store, "b" * 64, code="03899")
    store.checkpoint()
    _record(store, "c" * 64, code="03900")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_only_checkpointed_records_survive_a_kill(tmp_path: Path) -> None:
    """A process killed in the middle of a batch: the records up to the last checkpoint are there, with
    their findings and events, and none of the later ones."""
    db = tmp_path / "s.sqlite"
    src, tests = Path(store_module.__file__).parents[1], Path(__file__).parent
    done = subprocess.run([sys.executable, "-c", _KILLED, str(db), str(src), str(tests)], check=False)
    assert done.returncode == -signal.SIGKILL
    assert _counts(db) == {"submissions": 2, "findings": 2, "communes": 2, "events": 2}
