"""The importer against a corpus of real and hostile files in one inbox: each file gets the expected status
and rule, the batch completes, every file is reported once and nothing in the inbox is modified."""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet, load_set
from cchc_xl.importing.evidence import EvidenceStage
from cchc_xl.importing.outputs import write_outputs
from cchc_xl.importing.pipeline import import_inbox
from cchc_xl.importing.run import ImportRun, SubmissionResult, run_import
from cchc_xl.messages import FINDINGS
from cchc_xl.office import convert
from cchc_xl.settings import Settings
from cchc_xl.store import Store
from conftest import engine_selected
from import_corpus import Case, Corpus, _cell, fill, max_cell, nfd, parse_table, score_cell, sha256

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "schemas" / "import-report.schema.json").read_text(encoding="utf-8"))

# file (in the inbox)      | expected status          | rule ids that must be present (besides meta.demo_key)
EXPECTED_TABLE = """
| file                     | status                   | rules                                       |
|--------------------------|--------------------------|---------------------------------------------|
| valid-1.xlsx             | accepted                 |                                             |
| valid-2.xlsx             | accepted                 |                                             |
| random-bytes.xlsx        | rejected                 | file.not_spreadsheet                        |
| truncated.xlsx           | rejected                 | file.corrupt                                |
| zip-bomb.xlsx            | rejected                 | file.zip_bomb                               |
| xxe.xlsx                 | rejected                 | file.xml_entity                             |
| encrypted.xlsx           | rejected                 | file.encrypted                              |
| other-tool.xlsx          | rejected                 | file.foreign                                |
| tampered-max.xlsx        | rejected                 | tamper.max_changed                          |
| tampered-formula.xlsx    | rejected                 | tamper.formula_replaced                     |
| renamed-sheet.xlsx       | rejected                 | tamper.sheet_missing                        |
| no-names.xlsx            | accepted_with_warnings   | names.lost                                  |
| dup-a.xlsx               | accepted_with_warnings   | submission.duplicate                        |
| dup-b.xlsx               | accepted_with_warnings   | submission.duplicate                        |
| text-number.xlsx         | accepted_with_warnings   | score.text_number                           |
| nfd-text.xlsx            | accepted                 |                                             |
| lo-resave.xlsx           | accepted                 |                                             |
| old-format.xls           | accepted                 | file.old_format                             |
| resave.ods               | accepted                 | file.old_format                             |
"""
LO_FILES = {"lo-resave.xlsx", "old-format.xls", "resave.ods"}
IGNORED = {"~$x.xlsx": "lock_file", "notes.txt": "unrelated"}
# rules a well-formed file from each case must never carry (tampering must not be inferred from a re-save)
NEVER = {"lo-resave.xlsx": "tamper.", "old-format.xls": "tamper.", "resave.ods": "tamper."}


CASES = parse_table(EXPECTED_TABLE)


@dataclass
class CorpusRun:
    inbox: Path
    out: Path
    run: ImportRun
    before: dict[str, str]
    commune_of: dict[str, str]
    report: dict[str, Any]
    report_text: str
    with_lo: bool

    def result(self, name: str) -> SubmissionResult:
        (res,) = [r for r in self.run.results if r.path.name == name]
        return res


def _build(tmp: Path, cset: CriteriaSet, communes: list[Commune], settings: Settings,
           with_lo: bool) -> tuple[Corpus, dict[str, str]]:
    c = Corpus(tmp / "inbox", tmp / "work", cset, communes, settings)
    who: dict[str, str] = {}
    pick = iter(communes)

    def valid(name: str, **kw: Any) -> None:
        commune = next(pick)
        c.valid(commune, name=name, **kw)
        who[name] = commune.code

    valid("valid-1.xlsx")
    valid("valid-2.xlsx")
    c.not_zip("random-bytes.xlsx")
    c.truncated(communes[-1], "truncated.xlsx")
    c.zip_bomb("zip-bomb.xlsx")
    c.xml_entity(communes[-2], "xxe.xlsx")
    c.encrypted("encrypted.xlsx")
    c.foreign("other-tool.xlsx")
    manual_name, _ = score_cell(None, cset, computed=False)
    formula_name, _ = score_cell(None, cset, computed=True)

    def set_max(wb: Any) -> None:
        max_cell(wb, manual_name).value = 99

    def replace_formula(wb: Any) -> None:
        _cell(wb, formula_name).value = 1

    def rename(wb: Any) -> None:
        wb["Tổng hợp"].title = "Tong hop"

    def drop_names(wb: Any) -> None:
        for n in list(wb.defined_names):
            del wb.defined_names[n]

    for name, edit in (("tampered-max.xlsx", set_max), ("tampered-formula.xlsx", replace_formula),
                       ("renamed-sheet.xlsx", rename), ("no-names.xlsx", drop_names)):
        commune = next(pick)
        c.edited(commune, name, edit)
        who[name] = commune.code
    dup = next(pick)
    c.valid(dup, name="dup-a.xlsx")
    c.valid(dup, name="dup-b.xlsx", explanation="Đã thực hiện; bản sửa lại gửi sau")
    who["dup-a.xlsx"] = who["dup-b.xlsx"] = dup.code
    manual = next(leaf for leaf in cset.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    valid("text-number.xlsx", overrides={f"TDG_{manual.name_key}": "0,5"})
    valid("nfd-text.xlsx", explanation=nfd("Đã ban hành kế hoạch, tuyên truyền đầy đủ"))
    c.lock_and_notes()
    if with_lo:
        lo = {"lo-resave.xlsx": "xlsx", "old-format.xls": "xls", "resave.ods": "ods"}
        for name, fmt in lo.items():
            commune = next(pick)
            src = c.work / "lo-src" / fmt / f"{Path(name).stem}.xlsx"
            src.parent.mkdir(parents=True, exist_ok=True)
            fill(c.blank(commune), src, cset, commune.code)
            (out,) = convert([src], fmt, c.work / "lo-out" / fmt)
            (c.inbox / name).write_bytes(out.read_bytes())
            who[name] = commune.code
    return c, who


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, mini_set: CriteriaSet, communes: list[Commune],
           settings: Settings, request: pytest.FixtureRequest) -> CorpusRun:
    tmp = tmp_path_factory.mktemp("corpus")
    with_lo = engine_selected(request)
    c, who = _build(tmp, mini_set, communes, settings, with_lo)
    before = {p.name: sha256(p) for p in c.inbox.iterdir() if p.is_file()}
    stage = EvidenceStage()
    run = run_import(c.inbox, mini_set, settings, communes, evidence_hook=stage)
    stage.finish(run.results)
    out = tmp / "out"
    store = Store(tmp / "store.sqlite")
    try:
        outputs = write_outputs(run, out, settings, store, stage.inventory_rows(run.results, out))
    finally:
        store.close()
    text = outputs.report.read_text(encoding="utf-8")
    return CorpusRun(c.inbox, out, run, before, who, json.loads(text), text, with_lo)


def _marks(case: Case) -> list[Any]:
    return [pytest.mark.libreoffice] if case.file in LO_FILES else []


@pytest.mark.parametrize("case", [pytest.param(c, id=c.file, marks=_marks(c)) for c in CASES])
def test_each_file_gets_expected_status_and_rules(corpus: CorpusRun, case: Case) -> None:
    res = corpus.result(case.file)
    rules = {f.rule for f in res.findings}
    assert res.status == case.status, [(f.rule, f.message) for f in res.findings]
    assert set(case.rules) <= rules
    unexpected = {r for r in rules - set(case.rules) if FINDINGS[r][0] != "info"}
    if case.file == "tampered-formula.xlsx":
        unexpected.discard("cache.mismatch")  # the number typed over the formula differs from the recomputation
    assert not unexpected, unexpected
    if case.file in corpus.commune_of:
        assert res.commune_code == corpus.commune_of[case.file]
        assert res.self_total is not None
    if case.file in NEVER:
        assert not any(r.startswith(NEVER[case.file]) for r in rules)
    for f in res.findings:
        assert f.severity == FINDINGS[f.rule][0]


def test_every_input_file_reported_once_and_unchanged(corpus: CorpusRun) -> None:
    files = [s["file"] for s in corpus.report["submissions"]]
    assert len(files) == len(set(files))
    workbooks = {n for n in corpus.before if n not in IGNORED}
    assert {Path(f).name for f in files} == workbooks
    expected = {c.file for c in CASES if c.file not in LO_FILES or corpus.with_lo}
    assert workbooks == expected
    assert {i.path.name: i.reason for i in corpus.run.ignored} == IGNORED
    after = {p.name: sha256(p) for p in corpus.inbox.iterdir() if p.is_file()}
    assert after == corpus.before
    assert sorted(p.name for p in corpus.inbox.iterdir()) == sorted(corpus.before)


def test_duplicate_flags_both_and_one_counts(corpus: CorpusRun) -> None:
    a, b = corpus.result("dup-a.xlsx"), corpus.result("dup-b.xlsx")
    assert a.commune_code == b.commune_code
    assert sorted([a.counts, b.counts]) == [False, True]


def _stored(db: Path) -> list[tuple[Any, ...]]:
    """Every submission of a store with its findings, without ids or times."""
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT id, file_name, commune_code, version, status, counts, self_total, tier,"
                           " declared_json, scores_json FROM submissions ORDER BY file_name").fetchall()
        return [(*row[1:], con.execute("SELECT severity, rule, criterion, cell, message FROM findings"
                                       " WHERE submission_id=? ORDER BY rowid", (row[0],)).fetchall())
                for row in rows]


def _sheets(path: Path) -> dict[str, list[list[Any]]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names if n != "_meta"}


def test_streaming_outputs_equal_whole_ones(corpus: CorpusRun, tmp_path: Path, mini_set: CriteriaSet,
                                            communes: list[Commune], settings: Settings) -> None:
    """Outputs written file by file (results released as they go, the duplicates revised at the end) are
    those written from whole results after the batch: report, store, feedback workbooks."""
    out = tmp_path / "out"
    store = Store(tmp_path / "store.sqlite")
    try:
        run, outputs = import_inbox(corpus.inbox, mini_set, settings, communes, out, store,
                                    received_at=corpus.run.results[0].received_at)
    finally:
        store.close()
    revised = {r.path.name for r in run.results if r.revised}
    assert all(r.released and r.identity is r.declarations is r.evaluation is None for r in run.results)
    assert revised == {"dup-a.xlsx", "dup-b.xlsx"}
    assert outputs.report.read_text(encoding="utf-8") == corpus.report_text
    assert _stored(tmp_path / "store.sqlite") == _stored(corpus.out.parent / "store.sqlite")
    whole = sorted(p.relative_to(corpus.out) for p in corpus.out.rglob("*.xlsx"))
    assert sorted(p.relative_to(out) for p in out.rglob("*.xlsx")) == whole
    # The feedback workbooks read alike (the validation workbook says when it was written: not compared).
    assert outputs.feedback
    for rel in sorted(path.relative_to(out) for path in outputs.feedback.values()):
        assert _sheets(out / rel) == _sheets(corpus.out / rel), rel


def test_a_file_gone_before_its_revision_does_not_stop_the_batch(tmp_path: Path, mini_set: CriteriaSet,
                                                                    communes: list[Commune], settings: Settings) -> None:
    c = Corpus(tmp_path / "inbox", tmp_path / "work", mini_set, communes, settings)
    manual = next(leaf for leaf in mini_set.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    # dup-a has a finding of its own, so its feedback workbook is written as it is read, and stays
    c.valid(communes[0], name="dup-a.xlsx", overrides={f"TDG_{manual.name_key}": 99})
    c.valid(communes[0], name="dup-b.xlsx", explanation="Đã thực hiện; bản sửa lại gửi sau")

    def after_each(result: SubmissionResult) -> None:  # once both are read, the first file goes away
        if result.path.name == "dup-b.xlsx":
            (c.inbox / "dup-a.xlsx").unlink()

    store = Store(tmp_path / "store.sqlite")
    try:
        run, outputs = import_inbox(c.inbox, mini_set, settings, communes, tmp_path / "out", store,
                                    progress=after_each)
        chosen = next(r for r in run.results if r.counts)
        latest = store.latest(communes[0].code)
        assert latest is not None and latest.file_name == chosen.file
        assert sum(e.kind == "submission_revised" for e in store.events(communes[0].code)) == 2
    finally:
        store.close()
    report = json.loads(outputs.report.read_text(encoding="utf-8"))
    assert all("submission.duplicate" in {f["rule"] for f in s["findings"]} for s in report["submissions"])
    assert set(outputs.feedback) == {"inbox/dup-a.xlsx", "inbox/dup-b.xlsx"}


def test_a_file_gone_before_it_is_read_is_reported_and_the_batch_goes_on(
        tmp_path: Path, mini_set: CriteriaSet, communes: list[Commune], settings: Settings) -> None:
    c = Corpus(tmp_path / "inbox", tmp_path / "work", mini_set, communes, settings)
    c.valid(communes[0], name="a.xlsx")
    c.valid(communes[1], name="b.xlsx")
    c.valid(communes[2], name="c.xlsx")

    def after_each(result: SubmissionResult) -> None:
        if result.path.name == "a.xlsx":
            (c.inbox / "b.xlsx").unlink()

    store = Store(tmp_path / "store.sqlite")
    try:
        run, _ = import_inbox(c.inbox, mini_set, settings, communes, tmp_path / "out", store, progress=after_each)
    finally:
        store.close()
    by_name = {r.path.name: r for r in run.results}
    assert [f.rule for f in by_name["b.xlsx"].findings] == ["file.unreadable"] and by_name["b.xlsx"].sha256 == ""
    assert by_name["a.xlsx"].status != "rejected" and by_name["c.xlsx"].status != "rejected"


def test_identical_copies_of_one_return_count_as_one(tmp_path: Path, mini_set: CriteriaSet,
                                                     communes: list[Commune], settings: Settings) -> None:
    """'bao-cao.xlsx' sent again as 'bao-cao (1).xlsx': flagged, both count, the store keeps it once, counting."""
    c = Corpus(tmp_path / "inbox", tmp_path / "work", mini_set, communes, settings)
    first = c.valid(communes[0], name="bao-cao.xlsx")
    (c.inbox / "bao-cao (1).xlsx").write_bytes(first.read_bytes())
    store = Store(tmp_path / "store.sqlite")
    try:
        run, _ = import_inbox(c.inbox, mini_set, settings, communes, tmp_path / "out", store)
        assert store.count("submissions") == 1 and store.state(communes[0].code) == "checked"
    finally:
        store.close()
    assert [r.counts for r in run.results] == [True, True]
    assert all(r.status == "accepted_with_warnings" for r in run.results)


def test_text_number_value_is_used(corpus: CorpusRun, mini_set: CriteriaSet) -> None:
    res = corpus.result("text-number.xlsx")
    manual = next(leaf for leaf in mini_set.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    assert res.declarations is not None and res.evaluation is not None
    assert res.declarations.parsed[manual.code].value == Decimal("0.5")
    assert res.evaluation.leaves[manual.code].score == Decimal("0.5")
    (f,) = [f for f in res.findings if f.rule == "score.text_number"]
    assert f.criterion == manual.code and f.cell and "0,5" in f.message


def test_nfd_explanation_read_as_nfc(corpus: CorpusRun) -> None:
    res = corpus.result("nfd-text.xlsx")
    assert res.declarations is not None
    texts = {i.explanation for i in res.declarations.raw.leaves.values()}
    assert texts == {"Đã ban hành kế hoạch, tuyên truyền đầy đủ"}


def test_lost_names_still_read_by_code(corpus: CorpusRun) -> None:
    res = corpus.result("no-names.xlsx")
    assert res.evaluation is not None and res.self_total is not None and res.self_total > 0
    assert res.declarations is not None
    assert all(i.explanation for i in res.declarations.raw.leaves.values())


def test_tamper_findings_name_the_cell(corpus: CorpusRun) -> None:
    for name, rule in (("tampered-max.xlsx", "tamper.max_changed"), ("tampered-formula.xlsx", "tamper.formula_replaced")):
        (f,) = [f for f in corpus.result(name).findings if f.rule == rule]
        assert f.cell and f.cell.startswith("'Tự đánh giá'!")


# --- the JSON report -------------------------------------------------------------------------------------
def _decimals_ok(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_decimals_ok(v) for v in value.values())
    if isinstance(value, list):
        return all(_decimals_ok(v) for v in value)
    if isinstance(value, Decimal):
        return value.as_tuple().exponent >= -2  # type: ignore[operator]
    return True


def test_report_validates_against_schema(corpus: CorpusRun) -> None:
    jsonschema.validate(corpus.report, SCHEMA)
    assert _decimals_ok(json.loads(corpus.report_text, parse_float=Decimal))
    for sub in corpus.report["submissions"]:
        has_error = any(f["severity"] == "error" for f in sub["findings"])
        assert (sub["status"] == "rejected") == has_error
        assert sub["file"].startswith(corpus.inbox.name + "/")
        if sub["commune_code"] is None:
            assert sub["self_total"] is None
    assert corpus.report["criteria"] == {"id": "mini", "version": "0.1"}


# --- 27 Phù Yên workbooks, filled, recalculated by LibreOffice, imported -------------------------------
def _calamine_named(path: Path, wb_names: dict[str, tuple[str, str]], name: str) -> Any:
    sheet, ref = wb_names[name]
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    col, row = coordinate_from_string(ref.replace("$", ""))
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return rows[row - 1][column_index_from_string(col) - 1]


@pytest.mark.libreoffice
def test_phu_yen_returns_recalculated_by_libreoffice(tmp_path: Path, communes: list[Commune],
                                                     settings: Settings) -> None:
    cset = load_set()
    c = Corpus(tmp_path / "unused", tmp_path / "work", cset, communes, settings)
    filled = tmp_path / "filled"
    filled.mkdir()
    sources = [fill(c.blank(m), filled / f"{m.code}-{m.slug}.xlsx", cset, m.code) for m in communes]
    assert len(sources) == 27
    inbox = tmp_path / "inbox"
    convert(sources, "xlsx", inbox)  # one LibreOffice process recalculates and re-saves all of them
    run = run_import(inbox, cset, settings, communes, evidence_hook=EvidenceStage())
    assert len(run.results) == 27
    for res in run.results:
        rules = {f.rule for f in res.findings}
        assert not {r for r in rules if r.startswith("tamper.") or r == "cache.mismatch"}, (res.file, rules)
        wb = openpyxl.load_workbook(res.path, read_only=False)
        names = {"TONG_DIEM": next(iter(wb.defined_names["TONG_DIEM"].destinations))}
        wb.close()
        computed = _calamine_named(res.path, names, "TONG_DIEM")
        assert isinstance(computed, int | float), (res.file, computed)
        assert res.self_total == Decimal(repr(computed)).quantize(Decimal("0.01")), res.file
        assert res.commune_code == res.path.stem.split("-")[0]


def test_fill_is_deterministic_across_rule_kinds(mini_set: CriteriaSet) -> None:
    kinds = {leaf.rule.kind for leaf in mini_set.commune_leaves() if leaf.rule}
    assert kinds >= {"done", "levels", "manual", "ratio_tiers", "proportional", "count_deduction", "count_award"}
    from import_corpus import leaf_values

    a = [leaf_values(leaf, random.Random("x")) for leaf in mini_set.commune_leaves()]
    b = [leaf_values(leaf, random.Random("x")) for leaf in mini_set.commune_leaves()]
    assert a == b


def test_validation_workbook_lists_ignored_files(corpus: CorpusRun) -> None:
    from cchc_xl.templates import template

    tv = template("validation")
    wb = openpyxl.load_workbook(corpus.out / tv["file_name"])
    texts = {str(v) for row in wb[tv["sheets"]["ignored"]].iter_rows(values_only=True) for v in row if v}
    for name in IGNORED:
        assert any(name in t for t in texts), name


# --- regressions ---------------------------------------------------------------------------------------
def test_doctype_after_padded_prolog_is_rejected(tmp_path: Path, mini_set: CriteriaSet, communes: list[Commune],
                                                 settings: Settings) -> None:
    import zipfile

    c = Corpus(tmp_path / "inbox", tmp_path / "work", mini_set, communes, settings)
    src = c.filled_elsewhere(communes[0])
    path = c.inbox / "padded-xxe.xlsx"
    evil = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!--' + b" " * 5000 + b"-->\n"
            b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n')
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                data = evil + (data.split(b"?>", 1)[1].lstrip() if data.startswith(b"<?xml") else data)
            zout.writestr(info, data)
    (res,) = run_import(c.inbox, mini_set, settings, communes).results
    assert res.status == "rejected"
    assert "file.xml_entity" in {f.rule for f in res.findings}


def test_formula_replaced_message_shows_number_the_vietnamese_way(corpus: CorpusRun) -> None:
    (f,) = [f for f in corpus.result("tampered-formula.xlsx").findings if f.rule == "tamper.formula_replaced"]
    assert "“1”" in f.message


@pytest.mark.parametrize("offset", [0, 65536 - 4, 65536 - 9, 65536, 3 * 65536 + 1])
def test_doctype_is_found_anywhere_in_a_part_even_across_chunks(tmp_path: Path, offset: int) -> None:
    import zipfile

    from cchc_xl.reading.safety import inspect_container
    from cchc_xl.records import Problem

    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", b" " * offset + b"<!DocType x>" + b" " * 10)
    verdict = inspect_container(path)
    assert verdict.problem == Problem("file.xml_entity", {"detail": "xl/workbook.xml"})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", b" " * offset + b"<!-- no doc type here -->")
    assert inspect_container(path).kind == "xlsx"


@pytest.mark.parametrize(("typed", "shown"), [(1.0, "“1”"), (0.5, "“0,5”"), (2, "“2”"), ("abc", "“abc”"),
                                             (None, "“”")])
def test_formula_replaced_shows_the_typed_value_the_vietnamese_way(typed: object, shown: str) -> None:
    from types import SimpleNamespace

    from cchc_xl.importing.findings import Findings
    from cchc_xl.importing.verify import _check_cell
    from cchc_xl.workbook.layout import CellSpec

    book = SimpleNamespace(has_formulas=True, value=lambda *_: typed, formula=lambda *_: None)
    layout = SimpleNamespace(sheets={"grid": "Tự đánh giá"}, at=lambda key, ref: f"'Tự đánh giá'!{ref}")
    found = Findings()
    _check_cell(book, layout, CellSpec("grid", 4, 6, formula="SUM(G6:G7)"), found, None)  # type: ignore[arg-type]
    (f,) = found.items
    assert f.rule == "tamper.formula_replaced"
    assert shown in f.message and "1.0" not in f.message


def test_validation_workbook_prints_whole_numbers_without_decimals(corpus: CorpusRun) -> None:
    from cchc_xl.templates import template

    tv = template("validation")
    ws = openpyxl.load_workbook(corpus.out / tv["file_name"])[tv["sheets"]["summary"]]
    columns = list(tv["summary_columns"])  # (YAML reads the key `no` as False: STT is the first column)
    first = 5  # 1-based: title, run line, blank, header
    for col in (1, columns.index("errors") + 1, columns.index("warnings") + 1):
        cell = ws.cell(row=first, column=col)
        assert isinstance(cell.value, int | float) and cell.number_format == "0", (col, cell.number_format)
    total = ws.cell(row=first, column=columns.index("total") + 1)
    assert total.value is None or total.number_format == "0.00"


def test_validation_workbook_links_within_excel_limits(corpus: CorpusRun, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Past a sheet's link limit, or for a link longer than Excel takes, the cell shows its text unlinked, and
    XlsxWriter warns of nothing (its warnings are English, one per dropped link)."""
    import datetime as dt
    import warnings

    from cchc_xl.reports.validation import ValidationWorkbookWriter
    from cchc_xl.templates import template

    tv = template("validation")
    headers = tv.evidence_columns
    monkeypatch.setattr(ValidationWorkbookWriter, "LINKS_PER_SHEET", 2)
    feedback = {r.file: f"phan-hoi/{n}.xlsx" for n, r in enumerate(corpus.run.results)}
    deep = "/" + "thu-muc/" * 300 + "dai.pdf"  # 2,408 characters
    evidence = [{headers["commune"]: "1", headers["file"]: (name, target)}
                for name, target in (("a.pdf", "/hs/a.pdf"), ("dai.pdf", deep), ("b.pdf", "/hs/b.pdf"),
                                     ("c.pdf", "/hs/c.pdf"))]
    path = tmp_path / "kiem-tra.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ValidationWorkbookWriter(corpus.run, feedback, dt.datetime(2027, 1, 5), evidence).write(path)
    wb = openpyxl.load_workbook(path)
    summary = wb[tv["sheets"]["summary"]]
    column = list(tv["summary_columns"]).index("feedback") + 1
    cells = [summary.cell(row=5 + n, column=column) for n in range(len(corpus.run.results))]
    assert [c.value for c in cells] == list(feedback.values())  # every text, linked or not
    assert [c.hyperlink is not None for c in cells] == [True, True] + [False] * (len(cells) - 2)
    sheet = wb[tv["sheets"]["evidence"]]
    names = [(sheet.cell(row=r, column=2).value, sheet.cell(row=r, column=2).hyperlink is not None)
             for r in range(2, 6)]
    assert names == [("a.pdf", True), ("dai.pdf", False), ("b.pdf", True), ("c.pdf", False)]


@pytest.mark.parametrize("block", [1, 3, 1024])
def test_validation_workbook_rows_fast_as_plain(corpus: CorpusRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                block: int) -> None:
    """The validation workbook's rows written as sheet XML (`sheet_rows`' fast path) are XlsxWriter's own, block
    boundaries anywhere (a link's row in a later block than the last written): every part the same bytes."""
    import datetime as dt
    import zipfile

    from cchc_xl.reports import sheet_xml, validation
    from cchc_xl.reports.sheet_rows import SWITCH
    from cchc_xl.templates import template

    monkeypatch.setattr(validation._Rows, "BLOCK", block)
    headers = template("validation").evidence_columns
    evidence = [{headers[key]: value for key, value in {  # as `EvidenceStage.inventory_rows` makes them
        "commune": f"0{n}", "file": (f"bc-{n}.pdf", f"/hs/0{n}/bc-{n}.pdf") if n % 4 else f"bc-{n}.pdf",
        "path": f"0{n}/bc-{n}.pdf", "type": "tệp PDF", "pages": n, "layout": "bản quét (chỉ có ảnh)",
        "signed": n % 2 == 0, "signature": "", "signer": "Nguyễn Văn An" if n % 2 == 0 else "",
        "signed_at": "30/09/2022 09:30", "size": 1000 * n, "criteria": "; ".join(["1.1.3", "2.2.2"] * n),
        "verdict": "Cảnh báo: không có trong danh mục & <khác>", "sha256": f"{n:064x}"}.items()}
        for n in range(11)]
    feedback = {r.file: f"phan-hoi/{n}.xlsx" for n, r in enumerate(corpus.run.results) if n % 3}
    written = []  # the rows the fast path wrote
    plain_write = sheet_xml.RowWriter.write

    def counted(self: sheet_xml.RowWriter, first_row: int, *args: Any) -> int:
        start = args[-2]
        end = plain_write(self, first_row, *args)
        written.extend(range(first_row + start, first_row + end))
        return end

    monkeypatch.setattr(sheet_xml.RowWriter, "write", counted)
    parts = {}
    for fast in ("0", "1"):
        monkeypatch.setenv(SWITCH, fast)
        path = tmp_path / f"kiem-tra-{fast}.xlsx"
        validation.ValidationWorkbookWriter(corpus.run, feedback, dt.datetime(2027, 1, 5), evidence).write(path)
        with zipfile.ZipFile(path) as zf:
            parts[fast] = {n: zf.read(n) for n in zf.namelist() if n != "docProps/core.xml"}  # (its time)
    assert parts["0"].keys() == parts["1"].keys()
    for name in parts["0"]:
        assert parts["0"][name] == parts["1"][name], name
    assert parts["1"]["xl/worksheets/sheet1.xml"].count(b"<hyperlink ") == len(feedback)
    assert (len(written) > 20) == (block > 1)  # (a block's last row is XlsxWriter's own)
