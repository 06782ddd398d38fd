"""The evidence stage of an import: each submission's folder or zip, checked and matched to its register."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from cchc_xl.approval.check import ApprovalCheck, ApprovalOutcome, approval_file
from cchc_xl.evidence import covered_codes, crosscheck, duplicates_across_communes, inventory, open_bundle
from cchc_xl.evidence.inspect import FileCheck, inspect_bundle
from cchc_xl.evidence.intake import Bundle
from cchc_xl.importing.commune import EvidenceSubject
from cchc_xl.importing.findings import Findings
from cchc_xl.importing.run import SubmissionResult
from cchc_xl.safeio import shown_name
from cchc_xl.templates import template


@dataclasses.dataclass
class EvidenceReport:
    checks: list[FileCheck]
    rows: list[Any]  # InventoryRow
    approval: ApprovalOutcome | None = None  # the approved report (Phụ lục 2), checked apart from the register


class EvidenceStage:
    """Called once per submission by run_import; `finish` adds the batch-level copy checks."""

    def __init__(self, approval: ApprovalCheck | None = None):
        self.approval = approval or ApprovalCheck()

    def __call__(self, subject: EvidenceSubject, found: Findings) -> tuple[set[str], EvidenceReport]:
        """The submission's evidence checked, its findings added: (criteria its files cover, the report)."""
        rows = subject.declarations.register
        if subject.evidence_path is None:
            if rows:
                found.add("evidence.folder_missing", stem=shown_name(subject.path.stem))
            return set(), EvidenceReport([], [], self._approval(subject, None, found))
        with open_bundle(subject.evidence_path) as bundle:
            entry = bundle.find(approval_file())
            checks = [c for c in inspect_bundle(bundle) if entry is None or c.name != entry.name]
            found.extend(crosscheck(rows, bundle, checks))
            covered = covered_codes(rows, bundle, checks)
            report = EvidenceReport(checks, inventory(bundle, checks, rows), self._approval(subject, bundle, found))
        return covered, report

    def _approval(self, subject: EvidenceSubject, bundle: Bundle | None, found: Findings) -> ApprovalOutcome | None:
        """The approval document, against the recomputed scores (a new step: cchc_xl.approval)."""
        layout = subject.layout
        cells = {code: layout.at("grid", refs.score) for code, refs in layout.leaves.items()}
        return self.approval(subject.path.stem, bundle, layout.cset, subject.commune, subject.evaluation, cells,
                             found)

    @staticmethod
    def finish(results: list[SubmissionResult]) -> None:
        by_commune = {r.commune_code: r.evidence.checks for r in results
                      if r.commune_code and isinstance(r.evidence, EvidenceReport) and r.counts}
        extra = duplicates_across_communes(by_commune)
        for r in results:
            if extra.get(r.commune_code or "") and r.counts:  # only files that got a finding are revised
                r.add_findings(extra[r.commune_code])

    @staticmethod
    def inventory_rows(results: list[SubmissionResult], base: Path) -> list[dict[str, Any]]:
        """Rows for the validation workbook's evidence sheet (Vietnamese headers)."""
        headers = template("validation").evidence_columns
        out: list[dict[str, Any]] = []
        for r in results:
            if not isinstance(r.evidence, EvidenceReport):
                continue
            for row in r.evidence.rows:
                link = Path(row.link) if row.link else None
                values = {
                    "commune": r.commune_code or "", "file": (row.file, _rel(link, base)) if link else row.file,
                    "path": row.path, "type": row.type, "pages": row.pages, "layout": row.layout,
                    "signed": row.signed, "signature": row.signature_state, "signer": row.signer,
                    "signed_at": f"{row.signing_time:%d/%m/%Y %H:%M}" if row.signing_time else "",
                    "size": row.size, "criteria": row.criteria, "verdict": row.verdict, "sha256": row.sha256,
                }
                out.append({headers[key]: value for key, value in values.items()})
        return out


def approval_status(result: SubmissionResult) -> str:
    """The approval check's status of a submission ("" when the check did not run: unreadable workbook)."""
    outcome = getattr(result.evidence, "approval", None)
    return outcome.status if outcome is not None else ""


def _rel(path: Path, base: Path) -> str:
    """An absolute path: the validation workbook may be moved, the inbox stays where it is."""
    return str(path.resolve())
