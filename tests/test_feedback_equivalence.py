"""The feedback fast path (reports/feedback_package.py) on a corpus of real imports, and what an import
writes feedback for.

- Every feedback workbook of a corpus — accepted with warnings, rejected, a tampered return, a register
  filled with a bad row, a commune that sent two files, beside hostile and broken files (which get none) —
  written by the fast path and by the plain writer with one generation time, reads back the same with
  openpyxl (every sheet's values, formulas, fills and marks, comments, protection, validations, defined
  names), and the two workbooks imported again give the same findings: the tamper check passes the same
  way (a feedback workbook is no tampered file); written from the layout the import makes (the set's
  template with the file's values set) it is the same file, part by part, as from the layout built whole.
  The same for returns LibreOffice re-saved.
- An import writes a feedback workbook for every file the commune has something to read in, none for a
  file whose only finding is a note meant for the district (the demo signing key), and writes a file's
  workbook a second time only when the end-of-batch checks changed its findings (here: the two files of
  one commune), all of them by the fast path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.importing import pipeline
from cchc_xl.importing.discover import Candidate
from cchc_xl.importing.evidence import EvidenceStage
from cchc_xl.importing.run import SubmissionResult, import_file, run_import
from cchc_xl.office import convert
from cchc_xl.reports import feedback_package
from cchc_xl.reports.feedback import DISTRICT_NOTES, FeedbackWorkbookWriter, needs_feedback
from cchc_xl.settings import Settings
from cchc_xl.store import Store
from cchc_xl.templates import template
from cchc_xl.workbook.layout import build_layout
from import_corpus import Corpus
from test_feedback_package import AT, RECEIVED, assert_same_from_the_template, read_back
from test_read_equivalence import _corpus

TV = template("validation")


def _both_ways(results: list[SubmissionResult], cset: CriteriaSet, settings: Settings, communes: list[Commune],
               tmp: Path) -> list[str]:
    """Each result's feedback workbook written both ways and compared, then imported again both ways;
    the names of the results compared."""
    package = feedback_package.FeedbackPackage(cset, settings)
    by_code = {c.code: c for c in communes}
    compared = []
    for r in results:
        if r.identity is None or r.declarations is None or not needs_feedback(r.findings):
            continue
        name = f"{r.path.stem}.xlsx"
        plain, fast = tmp / "plain" / name, tmp / "fast" / name
        for p in (plain, fast):
            p.parent.mkdir(exist_ok=True)
        writer = FeedbackWorkbookWriter(build_layout(cset, r.identity.commune, r.declarations.raw), settings,
                                        r.findings)
        writer.generated_at = AT
        want_meta = writer.write(plain)
        # the fast path called directly: an exception fails the test, it never falls back here
        got_meta = package.write(build_layout(cset, r.identity.commune, r.declarations.raw), r.findings, fast, AT)
        assert got_meta == want_meta, name
        want, got = read_back(plain), read_back(fast)
        assert got.keys() == want.keys()
        for key in want:
            assert got[key] == want[key], (name, key)
        again = [import_file(Candidate(p, None), name, cset, settings, by_code, RECEIVED).findings for p in (plain, fast)]
        assert again[1] == again[0], name
        # a feedback workbook is the commune's own workbook: no tampering, whatever the return was
        assert not [f.rule for f in again[0] if f.rule.startswith(("tamper.", "meta.")) and f.severity == "error"]
        assert_same_from_the_template(package, r, fast)
        compared.append(r.path.name)
    return compared


def test_fast_feedback_equals_the_plain_one_on_a_corpus(tmp_path: Path, mini_set: CriteriaSet,
                                                        communes: list[Commune], settings: Settings) -> None:
    inbox = _corpus(tmp_path, mini_set, communes, settings)
    run = run_import(inbox, mini_set, settings, communes, received_at=RECEIVED, evidence_hook=EvidenceStage())
    compared = _both_ways(run.results, mini_set, settings, communes, tmp_path)
    statuses = {r.path.name: r.status for r in run.results}
    assert {statuses[n] for n in compared} == {"accepted_with_warnings", "rejected"}
    assert {"sua-toi-da.xlsx", "co-tlkc.xlsx", "gui-lai.xlsx"} <= set(compared)
    rules = {f.rule for r in run.results if r.path.name in compared for f in r.findings}
    assert {"score.above_max", "tamper.max_changed", "register.unknown_code", "submission.duplicate"} <= rules


@pytest.mark.libreoffice
def test_fast_feedback_equals_the_plain_one_for_libreoffice_resaves(tmp_path: Path, mini_set: CriteriaSet,
                                                                    communes: list[Commune],
                                                                    settings: Settings) -> None:
    c = Corpus(tmp_path / "filled", tmp_path / "work", mini_set, communes, settings)
    manual = next(leaf for leaf in mini_set.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    sources = [c.valid(communes[0], overrides={f"TDG_{manual.name_key}": 99}),
               c.valid(communes[1], overrides={f"GT_{manual.name_key}": None}),
               c.valid(communes[2], explanation="Đã thực hiện; xem báo cáo số 12/BC-UBND.")]
    inbox = tmp_path / "inbox"
    convert(sources, "xlsx", inbox)  # one LibreOffice process re-saves them all
    run = run_import(inbox, mini_set, settings, communes, received_at=RECEIVED)
    assert len(_both_ways(run.results, mini_set, settings, communes, tmp_path)) == 2


def test_feedback_written_once_by_the_fast_path_and_never_for_district_notes(
        tmp_path: Path, mini_set: CriteriaSet, communes: list[Commune], settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    c = Corpus(tmp_path / "inbox", tmp_path / "work", mini_set, communes, settings)
    manual = next(leaf for leaf in mini_set.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    quiet = c.valid(communes[0])  # nothing for the commune (with the demo key: the district's note alone)
    wrong = c.valid(communes[1], overrides={f"TDG_{manual.name_key}": 99})
    first = c.valid(communes[2])
    second = c.valid(communes[2], name=f"{communes[2].code}-ban-2.xlsx", explanation="Bản gửi lại.")
    fast: list[str] = []
    plain: list[str] = []
    fast_write, plain_write = feedback_package.FeedbackPackage.write, FeedbackWorkbookWriter.write

    def spied_fast(self: Any, layout: Any, findings: Any, path: Path, *a: Any) -> dict[str, str]:
        meta = fast_write(self, layout, findings, path, *a)
        fast.append(path.name)
        return meta

    def spied_plain(self: Any, path: Path) -> dict[str, str]:
        plain.append(path.name)
        return plain_write(self, path)

    monkeypatch.setattr(feedback_package.FeedbackPackage, "write", spied_fast)
    monkeypatch.setattr(FeedbackWorkbookWriter, "write", spied_plain)
    store = Store(tmp_path / "s.sqlite")
    try:
        run, out = pipeline.import_inbox(c.inbox, mini_set, settings, communes, tmp_path / "out", store)
    finally:
        store.close()
    quiet_findings = next(r.findings for r in run.results if r.path.name == quiet.name)
    assert all(f.rule in DISTRICT_NOTES for f in quiet_findings)
    assert plain == []
    names = {Path(file).name: path.name for file, path in out.feedback.items()}
    assert names.keys() == {wrong.name, first.name, second.name}  # none for the quiet file
    assert sorted(p.name for p in (tmp_path / "out" / TV["feedback_dir"]).iterdir()) == sorted(names.values())
    # the wrong one written once, as it was read; the two files of one commune after the batch found the
    # second file (and the first also as it was read when the second was recorded before it and saved
    # later: "older than the counting version"); no other file revised
    assert {r.path.name for r in run.results if r.revised} == {first.name, second.name}
    assert fast.count(names[wrong.name]) == 1
    assert sorted(set(fast)) == sorted(names.values()) and len(fast) <= 4
