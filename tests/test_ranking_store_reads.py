"""The ranking's store reads in one pass (`Store.latest_results`, `Store.current_appraisals`) give
the ranking input the per-commune reads gave (`latest`, `commune`, `state`, `current_appraisal`), on a store
with every case the choice depends on:

| commune | submissions (version: counts, set)        | appraisals (status, superseded)        |
|---------|-------------------------------------------|-----------------------------------------|
| 10001   | 1: counts; 2: counts                      | —                                       |
| 10002   | 1: counts; 2: does not count              | accepted (superseded), accepted, rejected |
| 10003   | 1: counts, another set                    | —                                       |
| 10004   | 1: does not count                         | accepted, with adjustments              |
| 10005   | (listed only)                             | —                                       |
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from cchc_xl.collector import collection_paused
from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.reports.ranking_data import (
    RankingInput,
    _name,
    appraisal_from_store,
    from_store,
    missing_result,
    result_from_submission,
)
from cchc_xl.store import AppraisedScore, Store
from cchc_xl.store_records import (
    declared_record,
    declared_summary,
    scores_column,
    scores_record,
    shared_decimals,
    stored_summary,
)

AT = dt.datetime(2022, 10, 1, 8, 0)


def _submit(store: Store, cset: CriteriaSet, code: str, n: int, counts: bool, set_id: str | None = None) -> int:
    leaves = list(cset.commune_leaves())
    scores = {leaf.code: str(leaf.max if (i + n) % 3 else Decimal(0)) for i, leaf in enumerate(leaves)}
    sid, _ = store.record_submission(
        commune_code=code, commune_name=f"Thử {code}", commune_kind="xã", file_name=f"{code}-{n}.xlsx",
        sha256=f"{code}{n}".ljust(64, "0"), received_at=(AT + dt.timedelta(days=n)).isoformat(),
        set_id=set_id or cset.id, set_version=cset.version, status="accepted", counts=counts,
        self_total=Decimal(sum(Decimal(v) for v in scores.values())), tier=None,
        declared={"leaves": {c: {"explanation": f"giải trình {c}"} for c in scores},
                  "register": [{"criterion": leaves[0].code}]}, scores=scores,
        findings=[{"severity": "warning", "rule": "submission.incomplete", "message": "…"}] * n)
    return sid


def _appraise(store: Store, cset: CriteriaSet, code: str, sid: int, n: int, status: str,
              adjustments: list[tuple[str, str, int, Decimal]] | None = None) -> None:
    scores = [AppraisedScore(leaf.code, leaf.max, leaf.max - (n % 2), "lý do" if n % 2 else "", bool(n % 2))
              for leaf in cset.leaves()]
    store.record_appraisal(commune_code=code, submission_id=sid, file_name=f"td-{code}-{n}.xlsx",
                           sha256=f"td{code}{n}".ljust(64, "0"), appraiser="Hội đồng", imported_at=AT.isoformat(),
                           status=status, total=None, tier=None, bonus=Decimal(n), penalty=Decimal("0.5"),
                           scores=scores, adjustments=adjustments or [], findings=[])


def _per_commune(store: Store, cset: CriteriaSet, communes: list[Commune]) -> RankingInput:
    """The reads as they were: four queries per commune."""
    listed = {c.code: c for c in communes}
    counts = store.finding_counts()
    results = []
    for code in store.commune_codes():
        sub = store.latest(code)
        assert sub is not None
        name, kind = _name(listed.get(code), store.commune(code))
        if sub.set_id != cset.id:
            results.append(missing_result(code, name, kind, other_set=sub.set_id))
            continue
        errors, warnings = counts.get(sub.id, (0, 0))
        results.append(result_from_submission(cset, sub, name, kind, final=appraisal_from_store(store, code),
                                              state=store.state(code) or "", errors=errors, warnings=warnings))
    for code, c in listed.items():
        if code not in {r.code for r in results}:
            results.append(missing_result(code, c.name, c.kind))
    return RankingInput(cset=cset, results=results, previous={}, deadline=None, generated_at=AT)


def test_one_pass_reads_equal_the_per_commune_reads(tmp_path: Path, bundled_set: CriteriaSet) -> None:
    cset = bundled_set
    store = Store(tmp_path / "s.sqlite")
    try:
        _submit(store, cset, "10001", 1, True)
        _submit(store, cset, "10001", 2, True)
        s21 = _submit(store, cset, "10002", 1, True)
        _submit(store, cset, "10002", 2, False)
        _appraise(store, cset, "10002", s21, 1, "accepted")
        _appraise(store, cset, "10002", s21, 2, "accepted_with_warnings")
        _appraise(store, cset, "10002", s21, 3, "rejected")
        _submit(store, cset, "10003", 1, True, set_id="bo-khac")
        s41 = _submit(store, cset, "10004", 1, False)
        _appraise(store, cset, "10004", s41, 1, "accepted", [("KT1", "bonus", 2, Decimal("1.5"))])
        communes = [Commune(code="10001", name="Một", kind="xã"), Commune(code="10005", name="Năm", kind="phường")]
        got = from_store(store, cset, communes, generated_at=AT)
        want = _per_commune(store, cset, communes)
        assert sorted(r.code for r in got.results) == ["10001", "10002", "10003", "10004", "10005"]
        assert got.results == want.results
        by_code = {r.code: r for r in got.results}
        assert by_code["10002"].final_total is not None and by_code["10004"].final_total is not None
        assert by_code["10001"].version == 2 and by_code["10002"].version == 1 and by_code["10003"].other_set
        assert store.current_appraisals() == {c: store.current_appraisal(c) for c in ("10002", "10004")}
    finally:
        store.close()


def test_the_latest_submissions_head_is_the_latest_submissions(tmp_path: Path, bundled_set: CriteriaSet) -> None:
    """`latest_head` (what `appraise prepare` lists, nothing decoded) names the submission `latest` reads: the
    newest counting version, a withdrawn one never, one of another set with its set."""
    cset = bundled_set
    store = Store(tmp_path / "s.sqlite")
    try:
        _submit(store, cset, "10001", 1, True)
        _submit(store, cset, "10001", 2, True)
        _submit(store, cset, "10002", 1, True)
        _submit(store, cset, "10002", 2, False)
        _submit(store, cset, "10003", 1, True, set_id="bo-khac")
        _submit(store, cset, "10004", 1, True)
        _submit(store, cset, "10004", 2, True)
        assert store.withdraw("10004", 2, at=AT.isoformat(), who="Phòng Nội vụ", reason="gửi nhầm") == 2
        for code in ("10001", "10002", "10003", "10004"):
            sub, head = store.latest(code), store.latest_head(code)
            assert sub is not None and head is not None
            assert tuple(head) == (sub.id, sub.commune_code, sub.version, sub.status, sub.set_id, sub.set_version)
        assert [store.latest_head(c).version for c in ("10001", "10002", "10004")] == [2, 1, 1]  # type: ignore[union-attr]
        assert store.latest_head("10003").set_id == "bo-khac"  # type: ignore[union-attr]
        assert store.latest_head("10005") is None
    finally:
        store.close()


# -- the declared values as the ranking reads them -------------------------------------------------------
# Stored JSON as an import writes it, and as hand edits or older stores leave it: the lean reading
# (`declared_summary`) gives what the full record (`declared_record`) gives, or the same refusal.
LEAF = {"value": "1", "figures": [], "explanation": ""}
ROW = {"row": 5, "cell": "'TLKC'!A5", "criterion": "1.1", "number": "1/KH", "date": "2022-03-04", "date_text": "",
       "issuer": "UBND xã", "subject": "Kế hoạch", "files": ["a.pdf"]}
DECLARED = [
    {"leaves": {"1.1": {**LEAF, "explanation": "Đã làm"}, "1.2": LEAF}, "register": [ROW, {**ROW, "criterion": " 1.2 "}]},
    {"leaves": {"1.1": {**LEAF, "explanation": None}, "1.2": {"explanation": 5}}, "register": []},
    {"leaves": {}, "register": [ROW, {**ROW, "criterion": None, "issuer": None}], "difficulties": None},
    {"leaves": {"1.1": LEAF}, "register": [ROW, "không phải một dòng", {**ROW, "row": "x"}, {**ROW, "files": "a"}]},
    {"leaves": {"1.1": LEAF}, "register": "không phải danh sách", "extra": {"criterion": "9.9"}},
    {"leaves": {"1.1": {**LEAF, "figures": "x"}}},  # refused by both
    {"leaves": {"1.1": LEAF}, "saved_at": 5, "evidence_path": None},
    ["không phải một bản ghi"],  # refused by both
    {"leaves": {}, "evidence_register": [ROW]},  # the register under its field's name
    {},
]


@pytest.mark.parametrize("stored", DECLARED)
def test_the_lean_reading_of_declared_values_equals_the_full_record(stored: object) -> None:
    text = json.dumps(stored, ensure_ascii=False, sort_keys=True)
    try:
        full = declared_record(text)
    except ValidationError:
        with pytest.raises(ValidationError):
            declared_summary(text)
        return
    summary = declared_summary(text)
    assert summary.explanations == {c: leaf.explanation for c, leaf in full.leaves.items() if leaf.explanation}
    assert summary.cited == tuple(row.criterion for row in full.evidence_register)


@pytest.mark.parametrize("kept", [False, True], ids=["dict", "shared_decimals"])
def test_shared_decimals_are_the_same_scores(kept: bool) -> None:
    stored = {"1.1": "0.50", "1.2": "0.5", "1.3": None, "1.4": 2, "1.5": 2.0, "1.6": "0.50"}
    shared: dict[str, Decimal] = shared_decimals() if kept else {}
    for _ in range(2):  # (the second time from what the first made)
        got = scores_record(stored, shared)
        want = scores_record(stored)
        assert got == want and [str(v) for v in got.values()] == [str(v) for v in want.values()]
        assert got["1.1"] is got["1.6"] and got["1.1"] is scores_record({"x": "0.50"}, shared)["x"]
    assert str(scores_record({"1.1": 1}, shared)["1.1"]) == "1" and str(scores_record({"1.1": 1.0}, shared)["1.1"]) == "1.0"
    shared.clear()
    assert not shared and scores_record(stored, shared) == want


# Scores columns as the store writes them, as hand edits or other writers leave them, and texts pydantic-core's
# parser refuses or reads otherwise: `scores_column` gives what json.loads gives, or its error.
SCORES_COLUMNS = [
    '{"1.1": "0.50", "1.2": null, "1.3": "đ"}', "{}", ' {"1.1": "1"} ', '{"1.1": "1", "1.2": "x", "1.1": "2"}',
    '{"1.1": "\\ud800"}', '{"1.1": "\\ud83d\\ude00", "1.2": "\\u00e9\\n"}', '{"1.1": 1, "1.2": 1.0, "1.3": 1e400}',
    '{"1.1": 123456789012345678901234567890, "1.2": 0.1, "1.3": NaN}', '{"1.1": ["1"]}', '{"1.1": {"a": "1"}}',
    '["1"]', '"1"', "null", '\ufeff{"1.1": "1"}', '{"1.1": "1",}', '{"1.1": "1"} x', '{"1.1": "\x01"}', "{hỏng",
    b'{"1.1": "0.5"}', '{"1.1": true}',
]


@pytest.mark.parametrize("text", SCORES_COLUMNS)
def test_a_scores_column_is_decoded_as_json_decodes_it(text: str | bytes) -> None:
    try:
        want = json.loads(text)
    except ValueError as error:
        with pytest.raises(type(error)):
            scores_column(text)
        return
    got = scores_column(text)
    assert repr(got) == repr(want) and list(got) == list(want) if isinstance(want, dict) else repr(got) == repr(want)
    if not isinstance(want, str):
        assert scores_column(want) is want  # (what an engine gives decoded passes through)


@pytest.mark.parametrize("text", [
    '{"explanations": {"1.1": "Đã làm", "1.2": "\\ud800"}, "cited": ["1.1", " 1.2 "]}', '{"explanations": {}, "cited": []}',
    '{"cited": ["\\ud83d"], "explanations": {}}', '{"explanations": {"1.1": 1.5}, "cited": []}',
    '{"explanations": {}, "cited": [], "cited": ["1.1"]}', '\ufeff{"explanations": {}, "cited": []}', "{hỏng"])
def test_a_summary_column_is_read_from_its_json_as_json_reads_it(text: str) -> None:
    try:
        data = json.loads(text)
    except ValueError:
        assert stored_summary(text) is None
        return
    assert stored_summary(text) == stored_summary(data)


def test_a_hand_edited_register_is_read_as_the_full_record_reads_it(tmp_path: Path, bundled_set: CriteriaSet) -> None:
    """A register row that is not one (written into the store by hand) is left out, as `Store.latest` leaves it."""
    cset = bundled_set
    store = Store(tmp_path / "s.sqlite")
    try:
        sid = _submit(store, cset, "10001", 1, True)
        first = cset.commune_leaves()[0].code
        store.engine.execute("UPDATE submissions SET declared_json=? WHERE id=?", (json.dumps(
            {"leaves": {first: {"explanation": "giải trình"}}, "register": [{"criterion": first}, "hỏng"]}), sid))
        row = next(store.latest_results())
        assert row.declared.explanations == {first: "giải trình"} and row.declared.cited == (first,)
        sub = store.latest("10001")
        assert sub is not None and [r.criterion for r in sub.declared.evidence_register] == [first]
        got = from_store(store, cset, [], generated_at=AT)
        want = _per_commune(store, cset, [])
        assert got.results == want.results
    finally:
        store.close()


@pytest.mark.parametrize("stored", [d for d in DECLARED if isinstance(d, dict)])
def test_the_summary_recorded_with_a_submission_is_the_lean_reading_of_its_declared_values(
        stored: dict[str, object], tmp_path: Path) -> None:
    """`summary_json`, made when the submission is recorded, reads back (`stored_summary`) as `declared_summary`
    of the declared values stored beside it; what the record refuses is refused before anything is written."""
    store = Store(tmp_path / "s.sqlite")
    try:
        try:
            store.record_submission(
                commune_code="10001", commune_name="Thử", commune_kind="xã", file_name="a.xlsx", sha256="a" * 64,
                received_at=AT.isoformat(), set_id="mini", set_version="1", status="accepted", counts=True,
                self_total=None, tier=None, declared=stored, scores={}, findings=[])
        except ValidationError:
            with pytest.raises(ValidationError):
                declared_record(stored)
            assert store.count("submissions") == 0
            return
        summary, declared = store.engine.one("SELECT summary_json, declared_json FROM submissions")  # type: ignore[misc]
        assert summary is not None and stored_summary(summary) == declared_summary(declared)
        assert next(store.latest_results()).declared == declared_summary(declared)
    finally:
        store.close()


@pytest.mark.parametrize("column", ["null", '{"explanations": {"1.1": ""}, "cited": []}', '{"cited": []}',
                                    '{"explanations": {}, "cited": [1]}', '{"explanations": [], "cited": []}', "{hỏng"])
def test_a_summary_column_that_is_not_one_is_read_from_the_declared_values(column: str, tmp_path: Path,
                                                                           bundled_set: CriteriaSet) -> None:
    store = Store(tmp_path / "s.sqlite")
    try:
        sid = _submit(store, bundled_set, "10001", 1, True)
        want = next(store.latest_results()).declared
        assert stored_summary(column) is None
        store.engine.execute("UPDATE submissions SET summary_json=? WHERE id=?", (column, sid))
        assert next(store.latest_results()).declared == want
        assert from_store(store, bundled_set, [], generated_at=AT).results == _per_commune(store, bundled_set, []).results
    finally:
        store.close()


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was_after_the_reading(enabled: bool, tmp_path: Path,
                                                           bundled_set: CriteriaSet) -> None:
    """`from_store` reads with the cyclic garbage collector paused, and leaves it as it found it, also when the
    reading fails."""
    store = Store(tmp_path / "s.sqlite")
    was = gc.isenabled()
    try:
        _submit(store, bundled_set, "10001", 1, True)
        (gc.enable if enabled else gc.disable)()
        seen = []
        with collection_paused():
            seen.append(gc.isenabled())
        assert from_store(store, bundled_set, [], generated_at=AT).results
        assert gc.isenabled() is enabled and seen == [False]
        with pytest.raises(RuntimeError), collection_paused():
            raise RuntimeError
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
        store.close()
