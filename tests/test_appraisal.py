"""The appraisal round end to end: generate → fill → import → prepare → fill → import → final scores."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from cchc_xl.appraisal.round import import_appraisals, prepare
from cchc_xl.importing.evidence import EvidenceStage
from cchc_xl.importing.outputs import write_outputs
from cchc_xl.importing.run import run_import
from cchc_xl.numbers import round2
from cchc_xl.reading.safety import Limits
from cchc_xl.store import Store
from cchc_xl.workbook.generate import generate_one
from import_corpus import fill

AT = dt.datetime(2022, 10, 20, 9, 0, tzinfo=dt.UTC)

# What the council does in each commune's appraisal workbook (mini set): defined name -> value.
COUNCIL = {
    "NGUOI_THAM_DINH": "Lò Văn Bình",
    "TD_2_2": 1.5,  # district-scored satisfaction survey (max 2)
    "TD_1_2": 0.5,  # lowered from the self-score…
    "LD_1_2": "Chỉ có một hình thức tuyên truyền được kiểm chứng",  # …with its reason
    "TH_T1": 1,  # bonus: 1 × 1 point (cap 2)
    "TR_D1": 4,  # penalty: 4 × 1 point, capped at 3
}


def _set(path: Path, values: dict[str, object], target: Path | None = None) -> Path:
    wb = openpyxl.load_workbook(path)
    for name, value in values.items():
        ((sheet, ref),) = list(wb.defined_names[name].destinations)
        wb[sheet][ref.replace("$", "")] = value
    out = target or path
    wb.save(out)
    return out


@pytest.fixture
def round_(tmp_path: Path, mini_set, communes, settings, db):  # type: ignore[no-untyped-def]
    """Three communes imported into a fresh store (each engine); their appraisal workbooks prepared."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    chosen = communes[:3]
    for c in chosen:
        wb = generate_one(mini_set, c, tmp_path / "blank", settings)
        fill(wb, inbox / wb.name, mini_set, seed=c.code)
    store = Store(db)
    stage = EvidenceStage()
    run = run_import(inbox, mini_set, settings, communes, received_at=AT, evidence_hook=stage)
    write_outputs(run, tmp_path / "out", settings, store)
    written, skipped = prepare(store, mini_set, tmp_path / "td", settings)
    yield store, written, skipped, tmp_path
    store.close()


def _fill_all(written: list[Path], folder: Path, values: dict[str, object]) -> Path:
    folder.mkdir(exist_ok=True)
    for p in written:
        _set(p, values, folder / p.name)
    return folder


def test_final_scores_equal_hand_computation(round_, mini_set, settings) -> None:  # type: ignore[no-untyped-def]
    store, written, skipped, tmp = round_
    assert len(written) == 3 and not skipped
    outcomes = import_appraisals(store, mini_set, _fill_all(written, tmp / "filled", COUNCIL), settings)
    assert [o.status for o in outcomes] == ["accepted"] * 3, [o.findings for o in outcomes]
    for o in outcomes:
        sub = store.latest(o.commune_code)
        self_scores = {c: Decimal(v) for c, v in sub.scores.items() if v is not None}
        # By hand: every self-score kept except 1.2 → 0.5, plus the district item 2.2 = 1.5,
        # plus bonus min(1×1, 2) = 1, minus penalty min(4×1, 3) = 3.
        kept = sum(v for c, v in self_scores.items() if c != "1.2")
        expected = round2(kept + Decimal("0.5") + Decimal("1.5") + 1 - 3)
        current = store.current_appraisal(o.commune_code)
        assert current.total == expected == o.result.total
        assert current.tier == mini_set.tier_for(expected)
        changed = [s for s in current.scores.values() if s.changed]
        assert all(s.reason for s in changed)
        assert ("1.2" in {s.criterion for s in changed}) == (self_scores.get("1.2", 0) != Decimal("0.5"))
        assert store.state(o.commune_code) == "appraised"


def test_history_second_appraisal_supersedes_and_keeps_the_first(round_, mini_set, settings) -> None:  # type: ignore[no-untyped-def]
    store, written, _, tmp = round_
    import_appraisals(store, mini_set, _fill_all(written[:1], tmp / "a1", COUNCIL), settings)
    second = {**COUNCIL, "TD_1_2": 0.25, "LD_1_2": "Xem lại: chỉ đạt một phần"}
    import_appraisals(store, mini_set, _fill_all(written[:1], tmp / "a2", second), settings)
    code = store.all_latest()[0].commune_code
    history = store.score_history(code, "1.2")
    assert [h["stage"] for h in history] == ["self", "appraisal", "appraisal"]
    assert [h["superseded"] for h in history[1:]] == [True, False]
    assert history[-1]["points"] == "0.25" and history[-1]["reason"] == "Xem lại: chỉ đạt một phần"
    assert store.current_appraisal(code).scores["1.2"].appraised_points == Decimal("0.25")


def test_finalized_round_refuses_changes_until_reopened(round_, mini_set, communes, settings) -> None:  # type: ignore[no-untyped-def]
    store, written, _, tmp = round_
    import_appraisals(store, mini_set, _fill_all(written, tmp / "a1", COUNCIL), settings)
    code = store.all_latest()[0].commune_code
    assert store.finalize([code], "2022-12-01T08:00:00", "Trưởng phòng Nội vụ") == [code]
    again = import_appraisals(store, mini_set, _fill_all(written[:1], tmp / "a2", {**COUNCIL, "TD_2_2": 2}), settings)
    assert "appraisal.finalized" in {f.rule for f in again[0].findings}
    assert store.current_appraisal(code).scores["2.2"].appraised_points == Decimal("1.5")
    # A new self-assessment file for the finalized commune is reported and not recorded.
    inbox = tmp / "inbox2"
    inbox.mkdir()
    c = next(c for c in communes if c.code == code)
    fill(generate_one(mini_set, c, tmp / "blank2", settings), inbox / "late.xlsx", mini_set, seed="late")
    run = run_import(inbox, mini_set, settings, communes, received_at=AT)
    before = store.count("submissions")
    write_outputs(run, tmp / "out2", settings, store)
    assert "submission.finalized" in {f.rule for f in run.results[0].findings}
    assert store.count("submissions") == before
    # Reopen is recorded with its reason; then the appraisal goes through.
    assert store.reopen(code, "2022-12-02T08:00:00", "Trưởng phòng", "Xã khiếu nại điểm 2.2")
    assert any(e["kind"] == "reopen" and e["detail"]["reason"] == "Xã khiếu nại điểm 2.2" for e in store.events(code))
    again = import_appraisals(store, mini_set, tmp / "a2", settings)
    assert again[0].status == "accepted"
    assert store.current_appraisal(code).scores["2.2"].appraised_points == Decimal("2")


BAD_FILES = [
    # (what the council got wrong, values, how the file is spoiled, expected rule)
    ("reason missing", {**COUNCIL, "LD_1_2": None}, None, "appraisal.reason_missing"),
    ("reason of whitespace", {**COUNCIL, "LD_1_2": " \u00a0\n\t"}, None, "appraisal.reason_missing"),
    ("reason of a zero-width space", {**COUNCIL, "LD_1_2": "\u200b"}, None, "appraisal.reason_missing"),
    ("above maximum", {**COUNCIL, "TD_2_2": 5}, None, "appraisal.out_of_range"),
    ("off the step", {**COUNCIL, "TD_1_2": 0.3, "LD_1_2": "x"}, None, "appraisal.not_allowed"),
    ("no appraiser", {**COUNCIL, "NGUOI_THAM_DINH": None}, None, "appraisal.appraiser_missing"),
    ("district item blank", {**COUNCIL, "TD_2_2": None}, None, "appraisal.missing"),
    ("tampered maximum", COUNCIL, "max", "tamper.max_changed"),  # reported as a maximum, as in the commune workbook
    ("wrong commune in metadata", COUNCIL, "meta", "meta.signature_invalid"),
]


@pytest.mark.parametrize(("case", "values", "spoil", "rule"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_appraisal_files_get_findings(round_, mini_set, settings, case, values, spoil, rule) -> None:  # type: ignore[no-untyped-def]
    store, written, _, tmp = round_
    folder = _fill_all(written[:1], tmp / "bad", values)
    path = next(folder.iterdir())
    if spoil:
        wb = openpyxl.load_workbook(path)
        if spoil == "max":
            ((sheet, ref),) = list(wb.defined_names["TD_1_2"].destinations)  # the maximum of item 1.2
            wb[sheet].cell(row=wb[sheet][ref.replace("$", "")].row, column=3).value = 99
        else:
            wb["_meta"]["B2"] = "03901" if wb["_meta"]["B2"].value != "03901" else "03904"
        wb.save(path)
    before = store.current_appraisal(store.all_latest()[0].commune_code)
    (outcome,) = import_appraisals(store, mini_set, folder, settings)
    assert outcome.status == "rejected"
    assert rule in {f.rule for f in outcome.findings}
    assert all(f.message and (f.cell is None or "!" in f.cell) for f in outcome.findings)
    assert store.current_appraisal(store.all_latest()[0].commune_code) == before  # a rejected file changes nothing


def test_a_commune_workbook_is_not_an_appraisal(round_, mini_set, settings) -> None:  # type: ignore[no-untyped-def]
    store, _, _, tmp = round_
    folder = tmp / "mixed"
    folder.mkdir()
    shutil.copy(next((tmp / "inbox").iterdir()), folder / "x.xlsx")
    (outcome,) = import_appraisals(store, mini_set, folder, settings)
    assert [f.rule for f in outcome.findings] == ["appraisal.not_appraisal"]


def test_an_oversized_appraisal_file_is_told_the_real_limit(round_, mini_set, settings) -> None:  # type: ignore[no-untyped-def]
    store, _, _, tmp = round_
    folder = tmp / "oversized"
    folder.mkdir()
    limit = Limits().max_file_bytes
    with (folder / "x.xlsx").open("wb") as fh:
        fh.truncate(limit + 1)  # sparse: the size check comes before any read
    (outcome,) = import_appraisals(store, mini_set, folder, settings)
    assert [f.rule for f in outcome.findings] == ["file.too_large"]
    assert f"giới hạn {limit} byte" in outcome.findings[0].message  # was "giới hạn 0 byte"


@pytest.mark.libreoffice
def test_appraisal_workbook_formulas_match_python_in_libreoffice(round_, mini_set, settings) -> None:  # type: ignore[no-untyped-def]
    from python_calamine import CalamineWorkbook

    from cchc_xl.office import convert
    from cchc_xl.reading.book import read_book

    store, written, _, tmp = round_
    folder = _fill_all(written, tmp / "filled", COUNCIL)
    outcomes = import_appraisals(store, mini_set, folder, settings)
    recalculated = convert(sorted(folder.iterdir()), "xlsx", tmp / "lo")
    for path, outcome in zip(recalculated, outcomes, strict=True):
        names = read_book(path, "xlsx").names
        sheet, row, col = names["TONG_TD"]
        values = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        assert Decimal(repr(values[row][col])) == outcome.result.total
        sheet, row, col = names["XEP_LOAI_TD"]
        assert values[row][col] == outcome.result.tier


@pytest.mark.libreoffice
def test_a_reason_of_whitespace_is_missing_in_the_workbook_and_in_python(round_, mini_set, settings) -> None:  # type: ignore[no-untyped-def]
    """Spaces, no-break spaces, line breaks and tabs are no reason: the status formula, recalculated by
    LibreOffice, and the importer agree."""
    from python_calamine import CalamineWorkbook

    from cchc_xl.office import convert
    from cchc_xl.reading.book import read_book
    from cchc_xl.templates import template

    store, written, _, tmp = round_
    folder = tmp / "reasons"
    folder.mkdir()
    reasons = {"blank": " \u00a0\n\t\u200b\ufeff", "given": "\u00a0Chỉ có một hình thức\n"}
    for label, reason in reasons.items():
        _set(written[0], {**COUNCIL, "LD_1_2": reason}, folder / f"{label}.xlsx")
    t = template("appraisal")
    status_col = list(t["columns"]).index("status")
    want = {"blank": t["status"]["reason_missing"], "given": t["status"]["ok"]}
    for path in convert(sorted(folder.iterdir()), "xlsx", tmp / "reasons-lo"):
        sheet, row, _ = read_book(path, "xlsx").names["LD_1_2"]
        values = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        assert values[row][status_col] == want[path.stem], path.stem
    blank, given = import_appraisals(store, mini_set, folder, settings)
    assert "appraisal.reason_missing" in {f.rule for f in blank.findings}
    assert "appraisal.reason_missing" not in {f.rule for f in given.findings}


def test_a_moved_name_in_an_appraisal_workbook_is_tampering(round_, mini_set, settings) -> None:  # type: ignore[no-untyped-def]
    """Only xl/workbook.xml edited: TD_1_2 pointed at another cell holding a higher score. The name is
    reported, and the score read is the one in the layout's cell (what Excel shows), not the forged one."""
    import re
    import zipfile

    store, written, _, tmp = round_
    folder = _fill_all(written[:1], tmp / "forged", COUNCIL)
    path = next(folder.iterdir())
    wb = openpyxl.load_workbook(path)
    ((sheet, ref),) = list(wb.defined_names["TD_1_2"].destinations)
    wb[sheet]["Z1"] = 99  # what the forged name now points at
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts["xl/workbook.xml"] = re.sub(rb'(<definedName name="TD_1_2">[^<]*!)\$[A-Z]+\$\d+', rb"\g<1>$Z$1",
                                      parts["xl/workbook.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    (outcome,) = import_appraisals(store, mini_set, folder, settings)
    moved = [f for f in outcome.findings if f.rule == "tamper.name_moved"]
    assert outcome.status == "rejected" and len(moved) == 1
    assert "TD_1_2" in moved[0].message and "Z1" in moved[0].message and ref.replace("$", "") in moved[0].message
    assert outcome.result is not None and outcome.result.points["1.2"] == Decimal("0.5")


def test_two_appraisal_files_for_one_commune_in_one_run_are_not_a_silent_supersede(round_, mini_set, settings) -> None:  # type: ignore[no-untyped-def]
    store, written, _, tmp = round_
    folder = _fill_all(written[:1], tmp / "twice", COUNCIL)
    first = next(folder.iterdir())
    _set(first, {**COUNCIL, "TD_1_2": 1, "LD_1_2": None}, folder / f"z-{first.name}")
    a, b = import_appraisals(store, mini_set, folder, settings)
    assert "appraisal.duplicate_kept" in {f.rule for f in a.findings} and a.recorded
    assert [f.rule for f in b.findings if f.severity == "error"] == ["appraisal.duplicate"] and not b.recorded
    assert a.file in b.findings[-1].message
    code = store.all_latest()[0].commune_code
    assert store.current_appraisal(code).scores["1.2"].appraised_points == Decimal("0.5")
