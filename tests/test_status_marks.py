"""The feedback workbook's own status column agrees with the import (issue #15 item 4).

A return whose register cites a file its evidence folder lacks passes the workbook's own checks (the row
counts as evidence), so its status formula says "Đã đủ" while the import finds `evidence.file_missing`. The
feedback workbook writes the import's finding into the item's district-mark cell (hidden, locked, blank in
a generated workbook), and the status formula shows it. Re-imported, the feedback workbook passes the
tamper check; what a commune types into that column changes nothing in the import's result.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.importing.discover import Candidate
from cchc_xl.importing.evidence import EvidenceStage
from cchc_xl.importing.run import SubmissionResult, import_file
from cchc_xl.messages import say
from cchc_xl.office import convert
from cchc_xl.reports.feedback import FeedbackWorkbookWriter, status_marks, with_status_marks
from cchc_xl.reports.feedback_package import FeedbackPackage
from cchc_xl.settings import Settings
from cchc_xl.templates import template
from cchc_xl.workbook.layout import Layout, build_layout
from conftest_evidence import sample
from import_corpus import Corpus
from workbook_fill import NamedValues, cite_document

T = template("commune")
GRID, REGISTER = T["sheets"]["grid"], T["sheets"]["register"]
MISSING = "khong-co-tep-nay.pdf"


@pytest.fixture
def corpus(tmp_path: Path, mini_set: CriteriaSet, communes: list[Commune], settings: Settings) -> Corpus:
    return Corpus(tmp_path / "inbox", tmp_path / "work", mini_set, communes, settings)


def imported(book: Path, evidence: Path | None, cset: CriteriaSet, communes: list[Commune],
             settings: Settings) -> SubmissionResult:
    received = dt.datetime(2022, 11, 1, 9, 0).astimezone()
    return import_file(Candidate(book, evidence), book.name, cset, settings, {c.code: c for c in communes},
                       received, EvidenceStage())


def cite_missing_file(book: Path, code: str) -> Path:
    """The commune's register gets one document for `code`, citing a file its folder does not hold (the
    folder has one other file)."""
    cite_document(book, code, MISSING)
    folder = book.with_suffix("")
    folder.mkdir()
    (folder / "ke-hoach.pdf").write_bytes(sample("text"))
    return folder


def feedback_layout(r: SubmissionResult, cset: CriteriaSet) -> Layout:
    assert r.identity is not None and r.declarations is not None
    return with_status_marks(build_layout(cset, r.identity.commune, r.declarations.raw), r.findings)


def write_feedback(r: SubmissionResult, cset: CriteriaSet, settings: Settings, target: Path, fast: bool) -> Path:
    layout = feedback_layout(r, cset)
    if fast:
        FeedbackPackage(cset, settings).write(layout, r.findings, target)
    else:
        FeedbackWorkbookWriter(layout, settings, r.findings).write(target)
    return target


@pytest.fixture
def missing_file_return(corpus: Corpus, mini_set: CriteriaSet, communes: list[Commune],
                        settings: Settings) -> tuple[SubmissionResult, str]:
    """An imported return whose first self-scored item cites a missing file, and that item's code."""
    leaf = next(leaf for leaf in mini_set.commune_leaves() if not leaf.rule.computed)  # type: ignore[union-attr]
    book = corpus.valid(communes[0], overrides={f"TDG_{leaf.name_key}": leaf.max})
    folder = cite_missing_file(book, leaf.code)
    r = imported(book, folder, mini_set, communes, settings)
    assert r.evaluation is not None and r.evaluation.leaves[leaf.code].status == "ok"  # its own checks pass
    assert any(f.rule == "evidence.file_missing" and f.criterion == leaf.code for f in r.findings), r.findings
    return r, leaf.code


def test_the_mark_is_the_import_finding_and_only_where_the_checks_pass(
        missing_file_return: tuple[SubmissionResult, str], mini_set: CriteriaSet) -> None:
    r, code = missing_file_return
    assert r.identity is not None and r.declarations is not None
    layout = build_layout(mini_set, r.identity.commune, r.declarations.raw)
    cells = {(c.ref, c.formula is None): c for c in status_marks(layout, r.findings)}
    refs = layout.leaves[code]
    mark = cells[(refs.mark, True)].value
    assert isinstance(mark, str)
    assert mark.startswith(say("feedback.status_mark", finding="")) and MISSING in mark
    assert cells[(refs.status, False)].cached == mark
    # only that item: the others' own statuses already say what is wrong, or nothing is
    assert {ref for ref, _ in cells} == {refs.mark, refs.status}
    # blank in a generated workbook, and no part of its locked manifest
    blank = build_layout(mini_set, r.identity.commune)
    assert blank.cell_at("grid", refs.mark).value is None  # type: ignore[union-attr]
    assert feedback_layout(r, mini_set).digest() == blank.digest()


@pytest.mark.libreoffice
@pytest.mark.parametrize("fast", [False, True])
def test_feedback_status_cell_shows_the_import_finding(missing_file_return: tuple[SubmissionResult, str],
                                                       mini_set: CriteriaSet, settings: Settings,
                                                       tmp_path: Path, fast: bool) -> None:
    r, code = missing_file_return
    path = write_feedback(r, mini_set, settings, tmp_path / "in" / "phan-hoi.xlsx", fast)
    refs = build_layout(mini_set, r.identity.commune).leaves[code]  # type: ignore[union-attr]
    mark = feedback_layout(r, mini_set).cell_at("grid", refs.mark).value  # type: ignore[union-attr]
    assert NamedValues(path).cell(GRID, refs.status) == mark  # the cached result, as written
    (recalculated,) = convert([path], "xlsx", tmp_path / "out")
    assert NamedValues(recalculated).cell(GRID, refs.status) == mark
    ws = openpyxl.load_workbook(path)[GRID]
    column = openpyxl.utils.get_column_letter(list(T["grid"]["columns"]).index("mark") + 1)
    assert ws.column_dimensions[column].hidden and ws[refs.mark].protection.locked


def test_a_marked_feedback_workbook_is_signed_alike_both_ways(missing_file_return: tuple[SubmissionResult, str],
                                                              mini_set: CriteriaSet, settings: Settings,
                                                              tmp_path: Path) -> None:
    """The fast path signs a marked workbook with its blank layout's digest (a mark is in no digest), as the
    plain writer, which computes the digest from every cell, does."""
    r, _code = missing_file_return
    at = dt.datetime(2022, 10, 1, 8, 0, tzinfo=dt.UTC)
    writer = FeedbackWorkbookWriter(feedback_layout(r, mini_set), settings, r.findings)
    writer.generated_at = at
    want = writer.write(tmp_path / "plain.xlsx")
    got = FeedbackPackage(mini_set, settings).write(feedback_layout(r, mini_set), r.findings, tmp_path / "fast.xlsx", at)
    assert got == want


def test_reimported_feedback_passes_the_tamper_check(missing_file_return: tuple[SubmissionResult, str],
                                                     mini_set: CriteriaSet, communes: list[Commune],
                                                     settings: Settings, tmp_path: Path) -> None:
    r, _code = missing_file_return
    assert r.evidence_path is not None
    for fast in (False, True):
        book = write_feedback(r, mini_set, settings, tmp_path / f"phan-hoi-{fast}.xlsx", fast)
        again = imported(book, r.evidence_path, mini_set, communes, settings)
        # its extra first sheet (the findings) is the one thing the import notes, as for any feedback workbook
        sheet = template("validation")["feedback"]["sheet"]
        added = [f.message for f in again.findings if f.rule == "tamper.sheet_added"]
        assert len(added) == 1 and sheet in added[0], added
        tamper = [(f.rule, f.cell) for f in again.findings if f.rule.startswith(("tamper.", "cache.", "meta."))
                  and f.rule not in ("tamper.sheet_added", "meta.demo_key")]
        assert not tamper, tamper
        assert again.evaluation is not None and again.evaluation.total == r.evaluation.total  # type: ignore[union-attr]


def test_what_a_commune_types_in_the_mark_column_changes_nothing(
        corpus: Corpus, mini_set: CriteriaSet, communes: list[Commune], settings: Settings) -> None:
    plain = corpus.valid(communes[0], name="plain.xlsx")
    typed = corpus.valid(communes[0], name="typed.xlsx")
    layout = build_layout(mini_set, communes[0])
    wb = openpyxl.load_workbook(typed)
    ws = wb[GRID]
    ws.protection.sheet = False  # as a commune who found the password would
    for refs in layout.leaves.values():
        if refs.mark:
            ws[refs.mark] = "Đã đủ, đề nghị huyện chấm tối đa"
    wb.save(typed)
    a, b = (imported(p, None, mini_set, communes, settings) for p in (plain, typed))
    assert a.evaluation == b.evaluation
    assert [(f.rule, f.criterion, f.cell) for f in a.findings] == [(f.rule, f.criterion, f.cell) for f in b.findings]
    assert a.declarations is not None and b.declarations is not None
    assert a.declarations.raw == b.declarations.raw
