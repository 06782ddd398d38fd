"""The approval check (cchc_xl.approval) through real files: a commune workbook is filled, its Phụ lục 2 sheet
printed by LibreOffice, and the printed report signed or "scanned" (samplegen.approval) into the evidence
folder as phu-luc-2.pdf; the inbox is imported and the findings and the "Phê duyệt" status are checked.

The workbooks use the small test set (a two-page report), so that a few scans keep the run short; the
benchmark (benchmarks/bench_approval.py) reads many more. The approved version differs from the returned
one, where a case needs it, in one item:

| case                         | approval document                  | expected                                 |
|------------------------------|------------------------------------|------------------------------------------|
| signed, matching             | the returned workbook's, signed    | approval.signed (info), status signed    |
| signed, one item changed     | the approved version's, signed     | approval.item_differs naming the item    |
| scanned, matching            | scan 200 dpi, seal, signature      | stamp and numbers match                  |
| scanned, one item changed    | scan of the approved version       | approval.total_differs + item_differs    |
| scanned, no seal             | scan without the seal              | approval.seal_missing                    |
| rotated and noisy            | 300 dpi, 1.6°, heavy noise         | numbers still match                      |
| photo-like                   | 100 dpi, blur, uneven light        | warnings only, never an error            |
| missing                      | no phu-luc-2.pdf                   | approval.missing (the round's severity)  |
"""

from __future__ import annotations

import dataclasses
import random
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from cchc_xl.approval.check import ApprovalCheck, ApprovalConfig, approval_file
from cchc_xl.approval.printing import print_report
from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.importing.evidence import EvidenceStage
from cchc_xl.importing.run import SubmissionResult, run_import
from cchc_xl.samplegen.approval import PHOTO, ScanStyle, scanned_approval, signed_approval
from cchc_xl.samplegen.values import valid_values
from cchc_xl.scoring import LeafInput
from cchc_xl.settings import Settings
from workbook_fill import Filling, WorkbookFiller

MakeWorkbook = Callable[..., Path]
pytestmark = pytest.mark.libreoffice


@dataclasses.dataclass
class Reports:
    returned: Path  # the workbook the commune sends
    changed_code: str  # the item the approved version scores differently
    pdf: bytes  # the returned workbook's Phụ lục 2, printed
    approved_pdf: bytes  # the approved version's (one item different), printed
    commune: Commune


def _filling(cset: CriteriaSet) -> Filling:
    rng = random.Random(5)
    leaves = {}
    for leaf in cset.commune_leaves():
        values = [Decimal(str(v)) for v in valid_values(leaf, rng)]
        why = f"Hồ sơ {leaf.code} lưu tại văn phòng."
        computed = leaf.rule is not None and leaf.rule.computed
        leaves[leaf.code] = LeafInput(figures=tuple(values), explanation=why) if computed else \
            LeafInput(value=values[0], explanation=why)
    return Filling(leaves=leaves)


@pytest.fixture(scope="module")
def reports(make_workbook: MakeWorkbook, mini_set: CriteriaSet, communes: list[Commune],
            tmp_path_factory: pytest.TempPathFactory) -> Reports:
    commune = communes[1]
    folder = tmp_path_factory.mktemp("reports")
    filling = _filling(mini_set)
    leaf = next(c for c in mini_set.commune_leaves() if c.rule is not None and c.rule.kind == "manual")
    score = filling.leaves[leaf.code].value
    other = leaf.max if score != leaf.max else leaf.max - leaf.rule.step()  # type: ignore[union-attr]
    changed = Filling(leaves={**filling.leaves, leaf.code: dataclasses.replace(filling.leaves[leaf.code],
                                                                                 value=other)})
    filler = WorkbookFiller(make_workbook(cset=mini_set, commune=commune), mini_set)
    returned = filler.write(filling, folder / "returned.xlsx")
    approved = filler.write(changed, folder / "approved.xlsx")
    pdf, approved_pdf = print_report([returned, approved], folder / "pdf")
    return Reports(returned, leaf.code, pdf.read_bytes(), approved_pdf.read_bytes(), commune)


def _import(tmp_path: Path, reports: Reports, cset: CriteriaSet, communes: list[Commune], settings: Settings,
            document: bytes | None, **config: object) -> SubmissionResult:
    inbox = tmp_path / "inbox"
    inbox.mkdir(parents=True)
    shutil.copy(reports.returned, inbox / "03901-xa.xlsx")
    evidence = inbox / "03901-xa"
    evidence.mkdir()
    if document is not None:
        (evidence / approval_file()).write_bytes(document)
    check = ApprovalCheck(ApprovalConfig(cache=tmp_path / "cache", **config))  # type: ignore[arg-type]
    run = run_import(inbox, cset, settings, communes, evidence_hook=EvidenceStage(check))
    (result,) = run.results
    return result


def _rules(result: SubmissionResult) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in result.findings:
        out.setdefault(f.rule, []).append(f)
    return out


def _status(result: SubmissionResult) -> str:
    return result.evidence.approval.status


def test_signed_and_matching(tmp_path: Path, reports: Reports, mini_set: CriteriaSet, communes: list[Commune],
                             settings: Settings) -> None:
    result = _import(tmp_path, reports, mini_set, communes, settings, signed_approval(reports.pdf))
    rules = _rules(result)
    assert "approval.signed" in rules and "Nguyễn Văn An" in rules["approval.signed"][0].message
    assert not [r for r in rules if r.startswith("approval.") and r != "approval.signed"], rules
    assert _status(result) == "signed_match"
    assert result.evidence.approval.trusted is False  # no trust roots configured


def test_signed_by_a_trusted_signer(tmp_path: Path, reports: Reports, mini_set: CriteriaSet,
                                    communes: list[Commune], settings: Settings) -> None:
    from cchc_xl.samplegen.pdfs import demo_identity

    roots = tmp_path / "roots"
    roots.mkdir()
    (roots / "demo.cer").write_bytes(demo_identity().certificate_der)
    result = _import(tmp_path, reports, mini_set, communes, settings, signed_approval(reports.pdf),
                     trust_roots=roots)
    assert result.evidence.approval.trusted is True
    assert "đã được xác minh" in _rules(result)["approval.signed"][0].message


def test_signed_but_one_item_differs(tmp_path: Path, reports: Reports, mini_set: CriteriaSet,
                                     communes: list[Commune], settings: Settings) -> None:
    result = _import(tmp_path, reports, mini_set, communes, settings, signed_approval(reports.approved_pdf))
    rules = _rules(result)
    (item,) = rules["approval.item_differs"]
    assert item.criterion == reports.changed_code and item.severity == "error"
    assert item.cell and item.cell.startswith("'Tự đánh giá'!")  # the feedback marks the score to fix
    assert "approval.total_differs" in rules
    assert result.status == "rejected" and _status(result) == "differs"


def test_signed_then_changed_is_an_error(tmp_path: Path, reports: Reports, mini_set: CriteriaSet,
                                         communes: list[Commune], settings: Settings) -> None:
    from cchc_xl.samplegen.pdfs import append_update, tamper_signed

    for n, document in enumerate((tamper_signed(signed_approval(reports.pdf)),
                                  append_update(signed_approval(reports.pdf)))):
        result = _import(tmp_path / str(n), reports, mini_set, communes, settings, document)
        assert "approval.signature_broken" in _rules(result), n
        assert result.status == "rejected" and _status(result) == "differs"


def test_exported_but_unsigned_is_an_error(tmp_path: Path, reports: Reports, mini_set: CriteriaSet,
                                           communes: list[Commune], settings: Settings) -> None:
    result = _import(tmp_path, reports, mini_set, communes, settings, reports.pdf)
    assert "approval.unsigned" in _rules(result) and result.status == "rejected"


def test_missing_document_takes_the_rounds_severity(tmp_path: Path, reports: Reports, mini_set: CriteriaSet,
                                                    communes: list[Commune], settings: Settings) -> None:
    result = _import(tmp_path, reports, mini_set, communes, settings, None)
    (missing,) = _rules(result)["approval.missing"]
    assert missing.severity == "error" and approval_file() in missing.message
    assert result.status == "rejected" and _status(result) == "missing"
    lenient = _import(tmp_path / "2", reports, mini_set, communes, settings, None, missing="warning")
    assert _rules(lenient)["approval.missing"][0].severity == "warning"


@pytest.mark.ocr
def test_scanned_and_matching_then_cached(tmp_path: Path, reports: Reports, mini_set: CriteriaSet,
                                          communes: list[Commune], settings: Settings) -> None:
    scan = scanned_approval(reports.pdf, reports.commune.name, ScanStyle(dpi=200), seed=1)
    result = _import(tmp_path, reports, mini_set, communes, settings, scan)
    rules = _rules(result)
    assert not [r for r in rules if r.startswith("approval.")], rules
    assert _status(result) == "stamp_match"
    assert result.evidence.approval.total == result.self_total
    assert list((tmp_path / "cache").glob("*.json"))  # the reading is cached by the file's hash


@pytest.mark.ocr
def test_scanned_with_one_item_changed(tmp_path: Path, reports: Reports, mini_set: CriteriaSet,
                                       communes: list[Commune], settings: Settings) -> None:
    scan = scanned_approval(reports.approved_pdf, reports.commune.name, ScanStyle(dpi=200), seed=2)
    result = _import(tmp_path, reports, mini_set, communes, settings, scan)
    rules = _rules(result)
    assert rules["approval.total_differs"][0].severity == "error"
    assert [f.criterion for f in rules["approval.item_differs"]] == [reports.changed_code]
    assert result.status == "rejected" and _status(result) == "differs"


@pytest.mark.ocr
def test_scanned_without_seal(tmp_path: Path, reports: Reports, mini_set: CriteriaSet, communes: list[Commune],
                              settings: Settings) -> None:
    scan = scanned_approval(reports.pdf, reports.commune.name, ScanStyle(dpi=200, seal=False), seed=3)
    result = _import(tmp_path, reports, mini_set, communes, settings, scan)
    rules = _rules(result)
    assert "approval.seal_missing" in rules and "approval.signature_missing" not in rules
    assert _status(result) == "match_unconfirmed"


@pytest.mark.ocr
def test_rotated_and_noisy_scan_still_reads(tmp_path: Path, reports: Reports, mini_set: CriteriaSet,
                                            communes: list[Commune], settings: Settings) -> None:
    style = ScanStyle(dpi=300, rotation=-1.6, noise=14.0, quality=60)
    scan = scanned_approval(reports.pdf, reports.commune.name, style, seed=4)
    result = _import(tmp_path, reports, mini_set, communes, settings, scan)
    assert not [r for r in _rules(result) if r.startswith("approval.")], _rules(result)
    assert _status(result) == "stamp_match"


@pytest.mark.ocr
def test_photo_like_scan_warns_but_never_rejects(tmp_path: Path, reports: Reports, mini_set: CriteriaSet,
                                                 communes: list[Commune], settings: Settings) -> None:
    scan = scanned_approval(reports.pdf, reports.commune.name, PHOTO, seed=5)
    result = _import(tmp_path, reports, mini_set, communes, settings, scan)
    approval = [f for f in result.findings if f.rule.startswith("approval.")]
    assert "approval.scan_low_resolution" in {f.rule for f in approval}
    assert all(f.severity != "error" for f in approval), [(f.rule, f.message) for f in approval]


def test_without_tesseract_the_check_says_so(tmp_path: Path, reports: Reports, mini_set: CriteriaSet,
                                             communes: list[Commune], settings: Settings,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from cchc_xl.approval import ocr

    monkeypatch.setattr(ocr, "available", lambda: "tesseract-ocr-vie")
    scan = scanned_approval(reports.pdf, reports.commune.name, ScanStyle(dpi=150), seed=6)
    result = _import(tmp_path, reports, mini_set, communes, settings, scan)
    (note,) = _rules(result)["approval.ocr_unavailable"]
    assert note.severity == "warning" and "tesseract-ocr-vie" in note.message
    assert _status(result) == "unchecked" and not list((tmp_path / "cache").glob("*.json"))


def test_validation_column_and_feedback(tmp_path: Path, reports: Reports, mini_set: CriteriaSet,
                                        communes: list[Commune], settings: Settings) -> None:
    """Through `cchc-xl import`'s pipeline: the validation workbook's "Phê duyệt" column, and the feedback
    workbook's finding naming the item to fix (its score cell highlighted)."""
    import openpyxl

    from cchc_xl.importing.pipeline import import_inbox
    from cchc_xl.store import Store
    from cchc_xl.templates import template

    inbox = tmp_path / "inbox"
    documents = (("03901-a", signed_approval(reports.pdf)), ("03901-b", signed_approval(reports.approved_pdf)))
    for stem, document in documents:
        (inbox / stem).mkdir(parents=True)
        shutil.copy(reports.returned, inbox / f"{stem}.xlsx")
        (inbox / stem / approval_file()).write_bytes(document)
    store = Store(tmp_path / "store.sqlite")
    try:
        _run, outputs = import_inbox(inbox, mini_set, settings, communes, tmp_path / "out", store)
    finally:
        store.close()
    tv = template("validation")
    ws = openpyxl.load_workbook(outputs.validation)[tv["sheets"]["summary"]]
    header = [c.value for c in ws[4]]
    col = header.index(tv["summary_columns"]["approval"].header)
    shown = {Path(row[1].value).name: row[col].value for row in ws.iter_rows(min_row=5) if row[1].value}
    assert shown == {"03901-a.xlsx": tv["approval"]["signed_match"], "03901-b.xlsx": tv["approval"]["differs"]}
    feedback = openpyxl.load_workbook(next(p for f, p in outputs.feedback.items() if f.endswith("03901-b.xlsx")))
    texts = [str(c.value) for row in feedback.worksheets[0].iter_rows() for c in row if c.value]
    assert any(reports.changed_code in t and "văn bản phê duyệt" in t for t in texts)
