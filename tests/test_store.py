"""The store: idempotent re-import, versions with history, and all-or-nothing per submission."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import cchc_xl.store as store_module
from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.importing.evidence import EvidenceStage
from cchc_xl.importing.outputs import Outputs, write_outputs
from cchc_xl.importing.run import run_import
from cchc_xl.settings import Settings
from cchc_xl.store import Store
from import_corpus import Corpus

TABLES = ("submissions", "findings", "communes", "events")


def _import(inbox: Path, out: Path, db: Path, cset: CriteriaSet, communes: list[Commune],
            settings: Settings) -> Outputs:
    stage = EvidenceStage()
    run = run_import(inbox, cset, settings, communes, evidence_hook=stage)
    stage.finish(run.results)
    store = Store(db)
    try:
        return write_outputs(run, out, settings, store)
    finally:
        store.close()


def _counts(db: Path) -> dict[str, int]:
    store = Store(db)
    try:
        return {t: store.count(t) for t in TABLES}
    finally:
        store.close()


@pytest.fixture
def corpus(tmp_path: Path, mini_set: CriteriaSet, communes: list[Commune], settings: Settings) -> Corpus:
    return Corpus(tmp_path / "inbox", tmp_path / "work", mini_set, communes, settings)


def test_reimport_same_file_changes_nothing(corpus: Corpus, tmp_path: Path, mini_set: CriteriaSet,
                                            communes: list[Commune], settings: Settings) -> None:
    corpus.valid(communes[0])
    corpus.valid(communes[1])
    db = tmp_path / "s.sqlite"
    first = _import(corpus.inbox, tmp_path / "o1", db, mini_set, communes, settings)
    assert first.new_in_store == 2
    before = _counts(db)
    assert before["submissions"] == 2 and before["findings"] > 0
    second = _import(corpus.inbox, tmp_path / "o2", db, mini_set, communes, settings)
    assert second.new_in_store == 0
    assert _counts(db) == before


def test_changed_file_becomes_next_version_with_history(corpus: Corpus, tmp_path: Path, mini_set: CriteriaSet,
                                                        communes: list[Commune], settings: Settings) -> None:
    commune = communes[3]
    manual = next(leaf for leaf in mini_set.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    name = f"TDG_{manual.name_key}"
    path = corpus.valid(commune, overrides={name: 0.25})
    db = tmp_path / "s.sqlite"
    _import(corpus.inbox, tmp_path / "o1", db, mini_set, communes, settings)
    path.unlink()
    corpus.valid(commune, name="sua-lai.xlsx", overrides={name: 1.5})
    assert _import(corpus.inbox, tmp_path / "o2", db, mini_set, communes, settings).new_in_store == 1
    store = Store(db)
    try:
        history = store.history(commune.code)
        assert [s.version for s in history] == [1, 2]
        assert history[0].file_sha256 != history[1].file_sha256
        assert [Decimal(s.scores[manual.code]) for s in history] == [Decimal("0.25"), Decimal("1.5")]
        latest = store.latest(commune.code)
        assert latest is not None and latest.version == 2 and latest.file_name.endswith("sua-lai.xlsx")
        assert store.count("communes") == 1
        assert all(store.findings(s.id) for s in history)
    finally:
        store.close()


def _record(store: Store, sha: str, code: str = "03898") -> tuple[int, bool]:
    return store.record_submission(
        commune_code=code, commune_name="Phù Yên", commune_kind="thị trấn", file_name="inbox/a.xlsx", sha256=sha,
        received_at="2022-10-01T08:00:00+07:00", set_id="mini", set_version="0.1", status="accepted", counts=True,
        self_total=None, tier=None, declared={"leaves": {}}, scores={"1.1.1": "1"},
        findings=[{"severity": "info", "rule": "meta.demo_key", "criterion": None, "cell": None, "message": "x"}])


def test_failure_inside_record_submission_leaves_store_as_before(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.sqlite"
    store = Store(db)
    try:
        _record(store, "a" * 64)
        before = {t: store.count(t) for t in TABLES}
        real = store_module._dumps

        def failing(data: Any) -> str:
            if isinstance(data, dict) and "version" in data:  # the event row: after the submission and findings
                raise RuntimeError("disk full")
            return real(data)

        monkeypatch.setattr(store_module, "_dumps", failing)
        with pytest.raises(RuntimeError, match="disk full"):
            _record(store, "b" * 64)
        assert not store.db.in_transaction
        assert {t: store.count(t) for t in TABLES} == before
        monkeypatch.setattr(store_module, "_dumps", real)
        _sid, new = _record(store, "b" * 64)
        assert new and [s.version for s in store.history("03898")] == [1, 2]
    finally:
        store.close()
    assert _counts(db) == {"submissions": 2, "findings": 2, "communes": 1, "events": 2}


def _submission(store: Store, code: str, sha: str, findings: list[tuple[str, str]], counts: bool = True) -> int:
    sid, _ = store.record_submission(
        commune_code=code, commune_name="Gia Phù", commune_kind="xã", file_name=f"{code}.xlsx", sha256=sha,
        received_at="2022-12-01T08:00:00+07:00", set_id="phu-yen", set_version="2022.1", status="accepted",
        counts=counts, self_total=Decimal("80.5"), tier="Tốt", declared={}, scores={},
        findings=[{"severity": s, "rule": r, "message": "…"} for s, r in findings])
    return sid


def test_reads_for_reports(tmp_path: Path) -> None:
    """What the ranking reads: communes with submissions, the set of each, findings counted per submission."""
    store = Store(tmp_path / "s.sqlite")
    try:
        a = _submission(store, "03922", "a" * 64, [("error", "x.a"), ("warning", "x.b"), ("warning", "x.c"),
                                               ("info", "x.d")])
        b = _submission(store, "03901", "b" * 64, [])
        assert store.commune_codes() == ["03901", "03922"]
        assert store.finding_counts() == {a: (1, 2)} and b not in store.finding_counts()
        latest = store.latest("03922")
        assert latest is not None and (latest.set_id, latest.set_version) == ("phu-yen", "2022.1")
    finally:
        store.close()


def test_revision_replaces_findings_and_who_counts(tmp_path: Path) -> None:
    """A submission revised after the batch (a second file of its commune came): status, counting flag,
    findings and the commune's state follow the revision."""
    store = Store(tmp_path / "s.sqlite")
    try:
        first = _submission(store, "03922", "a" * 64, [])
        second = _submission(store, "03922", "b" * 64, [])
        duplicate = {"severity": "warning", "rule": "submission.duplicate", "message": "…"}
        store.revise_submission(first, status="accepted_with_warnings", counts=False, findings=[duplicate])
        store.revise_submission(second, status="rejected", counts=True,
                                findings=[duplicate, {"severity": "error", "rule": "x.e", "message": "…"}])
        latest = store.latest("03922")
        assert latest is not None and latest.id == second and latest.status == "rejected"
        assert [f["rule"] for f in store.findings(first)] == ["submission.duplicate"]
        assert store.finding_counts() == {first: (0, 1), second: (1, 1)}
        assert store.state("03922") == "received"
        revised = [e["detail"] for e in store.events("03922") if e["kind"] == "submission_revised"]
        assert [(d["version"], d["counts"]) for d in revised] == [(1, False), (2, True)]
    finally:
        store.close()


def test_a_schema_2_store_gains_withdrawals_in_place(tmp_path: Path) -> None:
    """A store written before withdrawals (schema 2) opens as schema 3 with its rows kept."""
    import sqlite3

    from cchc_xl.store import SCHEMA_VERSION

    path = tmp_path / "old.sqlite"
    store = Store(path)
    store.db.execute("DROP TABLE withdrawals")
    store.db.execute("UPDATE schema_version SET version=2")
    store.close()
    again = Store(path)
    try:
        assert again.count("withdrawals") == 0
    finally:
        again.close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)] == [(3,)]
    db.close()
