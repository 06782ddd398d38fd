"""The store: idempotent re-import, versions with history, and all-or-nothing per submission — each test on
both engines (`db`: a SQLite file, or a database on the session's throwaway PostgreSQL cluster)."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
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
from cchc_xl.store import AppraisedScore, Round, Store
from cchc_xl.store_copy import CopyError, copy_rounds
from cchc_xl.store_records import DeclaredSummary
from cchc_xl.store_sql import Location
from import_corpus import Corpus

TABLES = ("submissions", "findings", "communes", "events")


def _import(inbox: Path, out: Path, db: Location, cset: CriteriaSet, communes: list[Commune],
            settings: Settings) -> Outputs:
    stage = EvidenceStage()
    run = run_import(inbox, cset, settings, communes, evidence_hook=stage)
    stage.finish(run.results)
    store = Store(db)
    try:
        return write_outputs(run, out, settings, store)
    finally:
        store.close()


def _counts(db: Location) -> dict[str, int]:
    store = Store(db)
    try:
        return {t: store.count(t) for t in TABLES}
    finally:
        store.close()


@pytest.fixture
def corpus(tmp_path: Path, mini_set: CriteriaSet, communes: list[Commune], settings: Settings) -> Corpus:
    return Corpus(tmp_path / "inbox", tmp_path / "work", mini_set, communes, settings)


def test_reimport_same_file_changes_nothing(corpus: Corpus, tmp_path: Path, mini_set: CriteriaSet,
                                            communes: list[Commune], settings: Settings, db: Location) -> None:
    corpus.valid(communes[0])
    corpus.valid(communes[1])
    first = _import(corpus.inbox, tmp_path / "o1", db, mini_set, communes, settings)
    assert first.new_in_store == 2
    before = _counts(db)
    assert before["submissions"] == 2 and before["findings"] > 0
    second = _import(corpus.inbox, tmp_path / "o2", db, mini_set, communes, settings)
    assert second.new_in_store == 0
    assert _counts(db) == before


def test_changed_file_becomes_next_version_with_history(corpus: Corpus, tmp_path: Path, mini_set: CriteriaSet,
                                                        communes: list[Commune], settings: Settings,
                                                        db: Location) -> None:
    commune = communes[3]
    manual = next(leaf for leaf in mini_set.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    name = f"TDG_{manual.name_key}"
    path = corpus.valid(commune, overrides={name: 0.25})
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


def test_failure_inside_record_submission_leaves_store_as_before(db: Location,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
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
        assert not store.in_transaction
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


def test_reads_for_reports(db: Location) -> None:
    """What the ranking reads: communes with submissions, the set of each, findings counted per submission."""
    store = Store(db)
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


def test_revision_replaces_findings_and_who_counts(db: Location) -> None:
    """A submission revised after the batch (a second file of its commune came): status, counting flag,
    findings and the commune's state follow the revision."""
    store = Store(db)
    try:
        first = _submission(store, "03922", "a" * 64, [])
        second = _submission(store, "03922", "b" * 64, [])
        duplicate = {"severity": "warning", "rule": "submission.duplicate", "message": "…"}
        store.revise_submission(first, status="accepted_with_warnings", counts=False, findings=[duplicate])
        store.revise_submission(second, status="rejected", counts=True,
                                findings=[duplicate, {"severity": "error", "rule": "x.e", "message": "…"}])
        latest = store.latest("03922")
        assert latest is not None and latest.id == second and latest.status == "rejected"
        assert [f.rule for f in store.findings(first)] == ["submission.duplicate"]
        assert store.finding_counts() == {first: (0, 1), second: (1, 1)}
        assert store.state("03922") == "received"
        revised = [e.detail for e in store.events("03922") if e.kind == "submission_revised"]
        assert [(d.version, d.counts) for d in revised] == [(1, False), (2, True)]
    finally:
        store.close()


def _writer_killed_mid_submission(db: Location, marker: Path) -> None:
    """A process that records one submission, then dies inside the second: the event row is the last
    statement of its transaction; the process says where it is and waits there to be killed."""
    store = Store(db)
    _record(store, "a" * 64)
    real = store_module._dumps

    def stuck(data: Any) -> str:
        if isinstance(data, dict) and data.get("sha256") == "b" * 64:
            marker.write_text("inside", encoding="utf-8")
            time.sleep(120)
        return real(data)

    store_module._dumps = stuck
    _record(store, "b" * 64)


def test_a_process_killed_in_the_middle_of_a_submission_leaves_the_store_as_before(db: Location,
                                                                                   tmp_path: Path) -> None:
    marker = tmp_path / "inside"
    child = multiprocessing.get_context("fork").Process(target=_writer_killed_mid_submission, args=(db, marker))
    child.start()
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and child.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the writer never reached its second submission"
    finally:
        os.kill(child.pid or 0, signal.SIGKILL)
        child.join()
    assert child.exitcode == -signal.SIGKILL
    assert _counts(db) == {"submissions": 1, "findings": 1, "communes": 1, "events": 1}
    store = Store(db)
    try:
        _sid, new = _record(store, "b" * 64)
        assert new and [s.version for s in store.history("03898")] == [1, 2]
    finally:
        store.close()


def _round(year: int, round_id: str, set_sha: str = "f" * 64) -> Round:
    return Round(id=round_id, year=year, body="UBND huyện Thử Nghiệm", set_id="mini", set_version="0.1",
                 set_sha256=set_sha, set_yaml="id: mini\n",
                 communes=[Commune(code="03898", name="Phù Yên", kind="thị trấn")],
                 created_at=f"{year}-09-01T08:00:00+07:00", deadline=f"{year}-11-15")


def test_rounds_in_one_store_are_kept_apart(db: Location) -> None:
    """Two rounds: each sees its own submissions, versions, states and events; a round is recorded once."""
    old, new = Store(db, "2021-x"), Store(db, "2022-x")
    try:
        assert old.create_round(_round(2021, "2021-x")) and new.create_round(_round(2022, "2022-x"))
        assert not new.create_round(_round(2022, "2022-x"))
        assert [r.id for r in new.rounds()] == ["2021-x", "2022-x"]
        got = new.round()
        assert got == _round(2022, "2022-x") and got.communes == [Commune(code="03898", name="Phù Yên", kind="thị trấn")]
        first, _ = _record(old, "a" * 64)
        _record(new, "a" * 64)
        _record(new, "b" * 64)
        assert [s.version for s in old.history("03898")] == [1]
        assert [s.version for s in new.history("03898")] == [1, 2]
        assert new.submission(first) is None and old.submission(first) is not None
        assert [e.kind for e in new.events()] == ["round_created", "submission", "submission"]
        assert not new.has_legacy_rows()
    finally:
        old.close()
        new.close()


def test_decimals_come_back_exactly(db: Location) -> None:
    """A total as the workbook rounds it (trailing zero kept), and an appraisal's points."""
    store = Store(db)
    try:
        sid = _submission(store, "03922", "a" * 64, [])
        store.record_submission(
            commune_code="03901", commune_name="Mường Cơi", commune_kind="xã", file_name="b.xlsx", sha256="b" * 64,
            received_at="2022-12-01T08:00:00+07:00", set_id="phu-yen", set_version="2022.1", status="accepted",
            counts=True, self_total=Decimal("61.50"), tier=None, declared={}, scores={"1.1": "0.25"}, findings=[])
        assert store.latest("03901").self_total == Decimal("61.50")  # type: ignore[union-attr]
        assert str(store.latest("03901").self_total) == "61.50"  # type: ignore[union-attr]
        store.record_appraisal(
            commune_code="03922", submission_id=sid, file_name="td.xlsx", sha256="c" * 64, appraiser="Lò Văn Bình",
            imported_at="2022-12-05T08:00:00+07:00", status="accepted", total=Decimal("79.75"), tier="Khá",
            bonus=Decimal("1"), penalty=Decimal("0.5"),
            scores=[AppraisedScore("1.1", Decimal("1.5"), Decimal("0.25"), "thiếu văn bản", True)],
            adjustments=[("T1", "bonus", 1, Decimal("1"))], findings=[])
        appraisal = store.current_appraisal("03922")
        assert appraisal is not None and (appraisal.total, appraisal.bonus, appraisal.penalty) == (
            Decimal("79.75"), Decimal("1"), Decimal("0.5"))
        assert appraisal.scores["1.1"].appraised_points == Decimal("0.25")
        assert appraisal.adjustments == [("T1", "bonus", 1, Decimal("1"))]
        assert [h["points"] for h in store.score_history("03922", "1.1")] == [None, "0.25"]
    finally:
        store.close()


def test_finalize_and_reopen_follow_the_lifecycle_and_are_audited_in_order(db: Location) -> None:
    store = Store(db)
    try:
        sid = _submission(store, "03922", "a" * 64, [])
        _submission(store, "03901", "b" * 64, [])
        store.record_appraisal(
            commune_code="03922", submission_id=sid, file_name="td.xlsx", sha256="c" * 64, appraiser="A",
            imported_at="2022-12-05T08:00:00+07:00", status="accepted", total=Decimal("80"), tier=None,
            bonus=Decimal(0), penalty=Decimal(0), scores=[], adjustments=[], findings=[])
        assert store.finalize(["03922", "03901"], "2022-12-06T08:00:00+07:00", "B") == ["03922"]
        assert store.states() == {"03922": "final", "03901": "checked"}
        assert not store.reopen("03901", "2022-12-07T08:00:00+07:00", "B", "nhầm")
        assert store.reopen("03922", "2022-12-07T08:00:00+07:00", "B", "có tệp mới")
        assert store.state("03922") == "appraised"
        assert [e.kind for e in store.events("03922")] == ["submission", "appraisal", "finalize", "reopen"]
        assert store.events("03922")[-1].detail.shown() == {"by": "B", "reason": "có tệp mới"}
    finally:
        store.close()


def test_a_failed_submission_inside_a_batch_transaction_leaves_the_others(db: Location,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch in one transaction: each submission in its savepoint, so one that fails is undone alone."""
    store = Store(db)
    try:
        real = store_module._dumps

        def failing(data: Any) -> str:
            if isinstance(data, dict) and data.get("sha256") == "b" * 64:
                raise RuntimeError("disk full")
            return real(data)

        monkeypatch.setattr(store_module, "_dumps", failing)
        with store.transaction():
            _record(store, "a" * 64)
            with pytest.raises(RuntimeError):
                _record(store, "b" * 64)
            _record(store, "c" * 64, code="03901")
        assert not store.in_transaction
        assert {t: store.count(t) for t in TABLES} == {"submissions": 2, "findings": 2, "communes": 2, "events": 2}
        assert [s.version for s in store.history("03898")] == [1]
    finally:
        store.close()


def _writer(db: Location, order: int) -> None:
    """One of several writers at once: every file of the shared list, in its own order; exit 1 on any error."""
    store = Store(db)
    try:
        files = [(f"0390{c}", f"{c}{v}" * 32) for c in range(4) for v in range(5)]
        random.Random(order).shuffle(files)
        for code, sha in files:
            _record(store, sha, code=code)
    except BaseException:
        os._exit(1)
    finally:
        store.close()


def test_concurrent_writers_record_each_file_once_with_consecutive_versions(db: Location) -> None:
    """Four processes record the same twenty files (four communes, five files each) in different orders."""
    Store(db).close()  # the schema exists before they start, as after `init`
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_writer, args=(db, k)) for k in range(4)]
    for w in writers:
        w.start()
    for w in writers:
        w.join(120)
    assert [w.exitcode for w in writers] == [0, 0, 0, 0]
    store = Store(db)
    try:
        assert store.count("submissions") == 20 and store.count("events") == 20
        for c in range(4):
            history = store.history(f"0390{c}")
            assert [s.version for s in history] == [1, 2, 3, 4, 5]
            assert sorted(s.file_sha256 for s in history) == sorted(f"{c}{v}" * 32 for v in range(5))
            assert [e.detail.version for e in store.events(f"0390{c}")] == [1, 2, 3, 4, 5]
    finally:
        store.close()


def _appraised_round(loc: Location) -> None:
    """Round 2022-x: two communes, one appraised (a lowered score, a bonus) and finalized."""
    store = Store(loc, "2022-x")
    try:
        store.create_round(_round(2022, "2022-x"))
        sid = _submission(store, "03922", "a" * 64, [("warning", "x.b")])
        _submission(store, "03922", "b" * 64, [("error", "x.a")])
        _submission(store, "03901", "c" * 64, [])
        _submission(store, "03901", "f" * 64, [("error", "x.a")])
        store.withdraw("03901", 2, at="2022-11-01T08:00:00+07:00", who="Phòng Nội vụ", reason="Nhầm tệp")
        store.record_appraisal(
            commune_code="03922", submission_id=sid, file_name="td.xlsx", sha256="d" * 64, appraiser="Lò Văn Bình",
            imported_at="2022-12-05T08:00:00+07:00", status="accepted", total=Decimal("79.75"), tier="Khá",
            bonus=Decimal("1"), penalty=Decimal("0.5"),
            scores=[AppraisedScore("1.1", Decimal("1.5"), Decimal("0.25"), "thiếu văn bản", True)],
            adjustments=[("T1", "bonus", 1, Decimal("1"))],
            findings=[{"severity": "warning", "rule": "appraisal.x", "message": "…"}])
        request = store.record_answer_request(commune_code="03922", appraisal_id=store.current_appraisal("03922").id,  # type: ignore[union-attr]
                                              deadline="2022-12-20", issued_at="2022-12-06T09:00:00+07:00",
                                              items=[{"criterion": "1.1", "self": "1.5", "appraised": "0.25"}])
        store.record_answer(commune_code="03922", request_id=request, file_name="gt.xlsx", sha256="e" * 64,
                            received_at="2022-12-10T08:00:00+07:00", status="accepted", answered_by="Cầm Thị Hoa",
                            items={"1.1": {"answer": "explain", "explanation": "có văn bản"}},
                            evidence={"path": "", "rows": []}, findings=[])
        store.finalize(["03922"], "2022-12-06T08:00:00+07:00", "B")
    finally:
        store.close()


def _everything(loc: Location) -> tuple[object, ...]:
    store = Store(loc, "2022-x")
    try:
        subs = [(s.commune_code, s.version, s.file_sha256, s.status, s.self_total, store.findings(s.id))
                for code in store.commune_codes() for s in store.history(code)]
        appraisal = store.current_appraisal("03922")
        assert appraisal is not None
        kept = (appraisal.file_sha256, appraisal.total, appraisal.bonus, appraisal.penalty, appraisal.scores,
                appraisal.adjustments)
        answers = [(a.file_sha256, a.status, a.answered_by, a.items, a.evidence) for a in store.answers("03922")]
        requests = [(r.commune_code, r.deadline, r.items) for r in store.answer_requests()]
        stage = store.appraisal_stage(appraisal.id)
        withdrawn = {code: store.withdrawn_versions(code) for code in store.commune_codes()}
        history = [{k: v for k, v in h.items() if k != "id"} for h in store.score_history("03922", "1.1")]
        return (store.round(), subs, kept, store.states(), store.events(), history, answers, requests, stage,
                withdrawn)
    finally:
        store.close()


def test_store_copy_moves_a_whole_round_and_a_second_copy_adds_nothing(db: Location, tmp_path: Path) -> None:
    """From a SQLite file into each engine: submissions with findings and withdrawals, the appraisal with its scores,
    adjustments and stage, the explanation request and its answer, states and events, all as they were."""
    src = tmp_path / "huyen.sqlite"
    _appraised_round(src)
    (first,) = copy_rounds(src, db)
    assert (first.submissions, first.known, first.appraisals, first.events, first.answers) == (4, 0, 1, 10, 1)
    assert _everything(db) == _everything(src)
    (second,) = copy_rounds(src, db, "2022-x")
    assert (second.submissions, second.known, second.appraisals, second.events, second.answers) == (0, 4, 0, 0, 0)
    assert _everything(db) == _everything(src)


def test_store_copy_refuses_a_round_of_the_same_id_with_another_set(db: Location, tmp_path: Path) -> None:
    src = tmp_path / "huyen.sqlite"
    _appraised_round(src)
    store = Store(db, "2022-x")
    try:
        store.create_round(_round(2022, "2022-x", set_sha="e" * 64))
    finally:
        store.close()
    with pytest.raises(CopyError, match="khác bộ"):
        copy_rounds(src, db)
    store = Store(db, "2022-x")
    try:
        assert store.count("submissions") == 0
    finally:
        store.close()


def test_a_schema_2_store_gains_withdrawals_in_place(db: Location) -> None:
    """A store written before withdrawals (schema 2) opens as schema 3 with its rows kept."""
    store = Store(db)
    try:
        _record(store, "a" * 64)
        store.engine.execute("DROP TABLE withdrawals")
        store.engine.execute("UPDATE schema_version SET version=2")
    finally:
        store.close()
    again = Store(db)
    try:
        assert again.count("withdrawals") == 0 and again.count("submissions") == 1
        assert again.engine.all("SELECT version FROM schema_version") == [(store_module.SCHEMA_VERSION,)] == [(4,)]
    finally:
        again.close()


def test_withdrawing_the_counting_submission_brings_back_the_one_before(db: Location) -> None:
    store = Store(db)
    try:
        first, _new = _record(store, "a" * 64)
        second, _new = _record(store, "b" * 64)
        assert store.latest("03898").id == second  # type: ignore[union-attr]
        assert store.withdraw("03898", None, at="2022-10-02T08:00:00+07:00", who="Phòng Nội vụ",
                              reason="Nhầm tệp") == 2
        assert store.latest("03898").id == first  # type: ignore[union-attr]
        assert [r.id for r in store.latest_results()] == [first]
        assert store.withdrawn_versions("03898") == {2: "Nhầm tệp"}
        assert store.withdraw("03898", 2, at="2022-10-02T09:00:00+07:00", who="", reason="lại") is None
        assert store.count("withdrawals") == 1
        assert [e.kind for e in store.events("03898")][-1] == "withdrawn"
    finally:
        store.close()


def test_json_columns_come_back_typed_and_are_stored_as_given(db: Location) -> None:
    """A submission's declared values and scores, as the importer gives them, are stored as that JSON, and come
    back as records (attributes, Decimals); a record of an older store (fewer fields, a field unknown here,
    a register row that is not one) reads too, its missing fields at their defaults."""
    import json

    from cchc_xl.store_records import DeclaredRecord, RegisterEntry

    given = {"evidence_path": "/hop-thu/03898", "saved_at": "2022-10-01T01:00:00+00:00",
             "leaves": {"1.1": {"value": "1.5", "figures": [], "explanation": "Có quyết định."},
                        "2.1": {"value": None, "figures": ["3", None], "explanation": ""}},
             "register": [{"row": 5, "cell": "'TLKC'!A5", "criterion": "1.1", "number": "12/KH-UBND",
                           "date": "2022-01-15", "date_text": "", "issuer": "UBND xã", "subject": "Kế hoạch",
                           "files": ["kh.pdf"]}],
             "difficulties": "", "recommendations": "Tăng kinh phí"}
    store = Store(db)
    try:
        sid, _new = store.record_submission(
            commune_code="03898", commune_name="Phù Yên", commune_kind="thị trấn", file_name="a.xlsx",
            sha256="a" * 64, received_at="2022-10-01T08:00:00+07:00", set_id="mini", set_version="0.1",
            status="accepted", counts=True, self_total=Decimal("1.5"), tier=None, declared=given,
            scores={"1.1": "1.5", "2.1": None}, findings=[])
        raw = store.engine.one("SELECT declared_json, scores_json FROM submissions WHERE id=?", (sid,))
        assert raw is not None
        assert [json.loads(v) if isinstance(v, str) else v for v in raw] == [given, {"1.1": "1.5", "2.1": None}]
        sub = store.submission(sid)
        assert sub is not None and isinstance(sub.declared, DeclaredRecord)
        assert sub.scores == {"1.1": Decimal("1.5"), "2.1": None}
        assert sub.declared.saved_at == "2022-10-01T01:00:00+00:00"
        assert sub.declared.leaves["2.1"].figures == ["3", None] and sub.declared.leaves["1.1"].value == "1.5"
        assert sub.declared.evidence_register == [RegisterEntry(**given["register"][0])]  # type: ignore[index]
        older = {"leaves": {"1.1": {"value": "1"}}, "register": ["không phải một dòng"], "ghi_chu": "x"}
        store.engine.execute("UPDATE submissions SET declared_json=? WHERE id=?", (json.dumps(older), sid))
        old = store.submission(sid)
        assert old is not None and old.declared.leaves["1.1"].explanation == "" and old.declared.evidence_register == []
        assert old.declared.evidence_path is None and old.declared.model_extra == {"ghi_chu": "x"}
    finally:
        store.close()


def test_events_and_explanation_columns_come_back_typed_and_are_stored_as_given(db: Location) -> None:
    """An explanation request's items, an answer's items, evidence and findings, and the audit events' details are
    stored as the JSON the callers gave (the text the store wrote before these records, on SQLite) and come back
    as records; a row of an older or hand-edited store reads too: missing fields at their defaults, unknown fields
    kept, an entry that is not one left out, a row that is not one skipped (an event keeps its kind and time)."""
    import json

    from cchc_xl.store_records import AnswerEvidence, AnswerItem, EventDetail, FindingEntry, RegisterEntry, RequestItem

    def same_json(column: str, table: str, row_id: int, given: object) -> None:
        (raw,) = store.engine.one(f"SELECT {column} FROM {table} WHERE id=?", (row_id,))  # type: ignore[misc]
        if isinstance(raw, str):  # SQLite: the very text written before these records
            assert raw == json.dumps(given, ensure_ascii=False, sort_keys=True)
        else:  # PostgreSQL's jsonb gives it parsed
            assert raw == given

    items = [{"criterion": "1.1", "self_points": "1.50", "appraised": "0.25", "reason": "thiếu văn bản"},
             {"criterion": "2.1", "self_points": None, "appraised": "0", "reason": ""}]
    answered = {"1.1": {"answer": "explain", "explanation": "Có văn bản 12/KH-UBND"},
                "2.1": {"answer": "agree", "explanation": ""}}
    row = {"row": 5, "cell": "'TLKC bổ sung'!A5", "criterion": "1.1", "number": "12/KH-UBND", "date": "2022-01-15",
           "date_text": "", "issuer": "UBND xã", "subject": "Kế hoạch", "files": ["kh.pdf"]}
    evidence = {"path": "/hop-thu/03922-gt", "rows": [row]}
    findings = [{"severity": "warning", "rule": "answer.late", "criterion": None, "cell": None, "message": "Nộp muộn"}]
    store = Store(db)
    try:
        sid, _new = _record(store, "a" * 64)
        aid, _new = store.record_appraisal(
            commune_code="03898", submission_id=sid, file_name="td.xlsx", sha256="d" * 64, appraiser="Lò Văn Bình",
            imported_at="2022-12-05T08:00:00+07:00", status="accepted", total=None, tier=None,
            bonus=Decimal("0"), penalty=Decimal("0"), scores=[], adjustments=[], findings=[])
        rid = store.record_answer_request(commune_code="03898", appraisal_id=aid, deadline="2022-12-20",
                                          issued_at="2022-12-06T09:00:00+07:00", items=items)
        answer_id, _new = store.record_answer(
            commune_code="03898", request_id=rid, file_name="gt.xlsx", sha256="e" * 64,
            received_at="2022-12-10T08:00:00+07:00", status="accepted_with_warnings", answered_by="Cầm Thị Hoa",
            items=answered, evidence=evidence, findings=findings)
        same_json("items_json", "answer_requests", rid, items)
        same_json("items_json", "answers", answer_id, answered)
        same_json("evidence_json", "answers", answer_id, evidence)
        same_json("findings_json", "answers", answer_id, findings)
        (event_id,) = store.engine.one("SELECT MAX(id) FROM events")  # type: ignore[misc]
        same_json("detail_json", "events", event_id, {"answer": answer_id, "request": rid, "file": "gt.xlsx",
                                                       "status": "accepted_with_warnings", "by": "Cầm Thị Hoa",
                                                       "contested": ["1.1"]})

        (request,) = store.answer_requests()
        assert request.items == [RequestItem(criterion="1.1", self_points=Decimal("1.50"), appraised=Decimal("0.25"),
                                             reason="thiếu văn bản"),
                                 RequestItem(criterion="2.1", self_points=None, appraised=Decimal("0"))]
        (answer,) = store.answers("03898")
        assert answer.items == {"1.1": AnswerItem(answer="explain", explanation="Có văn bản 12/KH-UBND"),
                                "2.1": AnswerItem(answer="agree")}
        assert answer.evidence == AnswerEvidence(path="/hop-thu/03922-gt", rows=[RegisterEntry(**row)])  # type: ignore[arg-type]
        assert answer.findings == [FindingEntry(severity="warning", rule="answer.late", message="Nộp muộn")]
        assert store.findings(sid) == [FindingEntry(severity="info", rule="meta.demo_key", message="x")]
        events = store.events("03898")
        assert [e.kind for e in events] == ["submission", "appraisal", "answer_request", "answer"]
        assert events[2].detail == EventDetail(request=rid, appraisal=aid, deadline="2022-12-20", items=["1.1", "2.1"])
        assert events[3].detail.contested == ["1.1"] and events[1].detail.changed == 0

        # older or hand-edited rows
        edit = store.engine.execute
        edit("UPDATE answer_requests SET items_json=? WHERE id=?",
             (json.dumps([{"criterion": "1.1", "self": "1"}, "không phải một mục", {"self_points": "2"}]), rid))
        edit("UPDATE answers SET items_json=?, evidence_json=?, findings_json=? WHERE id=?",
             (json.dumps({"1.1": {"answer": "explain"}, "2.1": "đồng ý"}),
              json.dumps({"rows": [{"criterion": "1.1", "files": ["a.pdf"]}, 7], "ghi_chu": "x"}),
              json.dumps([{"rule": "r", "message": "m"}, None]), answer_id))
        edit("UPDATE events SET detail_json=? WHERE id=?", (json.dumps({"by": "B", "may": "PC-1"}), event_id))
        (old_request,) = store.answer_requests()
        assert old_request.items == [RequestItem(criterion="1.1", self="1")]  # type: ignore[call-arg]
        assert old_request.items[0].model_extra == {"self": "1"} and old_request.items[0].reason == ""
        (old,) = store.answers("03898")
        assert old.items == {"1.1": AnswerItem(answer="explain")} and old.items["1.1"].explanation == ""
        assert old.evidence.path is None and old.evidence.model_extra == {"ghi_chu": "x"}
        assert [(r.criterion, r.files, r.number, r.date) for r in old.evidence.rows] == [("1.1", ["a.pdf"], "", None)]
        assert old.findings == [FindingEntry(rule="r", message="m")] and old.findings[0].severity == ""
        assert store.events("03898")[-1].detail.shown() == {"by": "B", "may": "PC-1"}

        # rows that are not records at all
        edit("UPDATE answer_requests SET items_json=? WHERE id=?", (json.dumps({"1.1": "x"}), rid))
        edit("UPDATE answers SET evidence_json=? WHERE id=?", (json.dumps(["không phải"]), answer_id))
        edit("UPDATE events SET detail_json=? WHERE id=?", (json.dumps({"version": "lần hai"}), event_id))
        assert store.answer_requests() == [] and store.answer_request(rid) is None and store.answers("03898") == []
        last = store.events("03898")[-1]
        assert (last.kind, last.at, last.detail) == ("answer", "2022-12-10T08:00:00+07:00", EventDetail())
    finally:
        store.close()


def test_a_schema_3_store_gains_the_summary_column_and_reads_its_old_rows_as_before(db: Location) -> None:
    """A store written before `submissions.summary_json` (schema 3) opens as schema 4, its rows kept and read
    (`latest_results`) from their declared values; a row recorded after carries its summary; a hand edit of a
    row's declared values makes its summary void (the ranking reads the edit)."""
    declared = {"leaves": {"1.1.1": {"value": "1", "explanation": "Đã làm"}, "1.1.2": {"explanation": ""}},
                "register": [{"row": 5, "criterion": "1.1.1"}, {"row": 6, "criterion": " 1.2 "}]}

    def record(store: Store, sha: str, code: str) -> int:
        return store.record_submission(
            commune_code=code, commune_name="Phù Yên", commune_kind="thị trấn", file_name=f"{code}.xlsx", sha256=sha,
            received_at="2022-10-01T08:00:00+07:00", set_id="mini", set_version="0.1", status="accepted",
            counts=True, self_total=None, tier=None, declared=declared, scores={"1.1.1": "1"}, findings=[])[0]

    store = Store(db)
    try:
        record(store, "a" * 64, "03898")
        engine = store.engine
        if engine.name == "postgresql":
            engine.execute("DROP TRIGGER submissions_summary_void ON submissions")
        else:
            engine.execute("DROP TRIGGER submissions_summary_void")
        engine.execute("ALTER TABLE submissions DROP COLUMN summary_json")
        engine.execute("UPDATE schema_version SET version=3")
    finally:
        store.close()
    again = Store(db)
    try:
        assert again.engine.all("SELECT version FROM schema_version") == [(store_module.SCHEMA_VERSION,)] == [(4,)]
        assert again.engine.all("SELECT summary_json FROM submissions") == [(None,)]
        record(again, "b" * 64, "03899")
        rows = {r.commune_code: r for r in again.latest_results()}
        want = DeclaredSummary({"1.1.1": "Đã làm"}, ("1.1.1", " 1.2 "))
        assert rows["03898"].declared == rows["03899"].declared == want
        assert again.engine.one("SELECT summary_json FROM submissions WHERE commune_code='03899'") != (None,)
        again.engine.execute("UPDATE submissions SET declared_json=? WHERE commune_code='03899'",
                             ('{"leaves": {"1.1.2": {"explanation": "Sửa tay"}}}',))
        assert again.engine.one("SELECT summary_json FROM submissions WHERE commune_code='03899'") == (None,)
        edited = {r.commune_code: r for r in again.latest_results()}["03899"]
        assert edited.declared == DeclaredSummary({"1.1.2": "Sửa tay"}, ())
    finally:
        again.close()


def test_a_copied_round_keeps_its_summaries_and_their_absence(db: Location, tmp_path: Path) -> None:
    """`store copy` carries each submission's summary column as it is: a summary, or NULL (a row recorded
    before schema 4), which stays NULL rather than becoming the JSON text "null"."""
    store = Store(db)
    try:
        _record(store, "a" * 64, "03898")
        _record(store, "b" * 64, "03899")
        store.engine.execute("UPDATE submissions SET summary_json=NULL WHERE commune_code='03899'")
        want = sorted(store.engine.all("SELECT commune_code, summary_json FROM submissions"))
        results = sorted((r.commune_code, r.declared) for r in store.latest_results())
    finally:
        store.close()
    copy = tmp_path / "ban-sao.sqlite"
    copy_rounds(db, copy)
    again = Store(copy)
    try:
        assert sorted(again.engine.all("SELECT commune_code, summary_json FROM submissions")) == want
        assert want[0][1] is not None and want[1][1] is None
        assert sorted((r.commune_code, r.declared) for r in again.latest_results()) == results
    finally:
        again.close()
