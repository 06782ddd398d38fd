"""The evidence stage of an import: each submission's folder or zip, checked and matched to its register."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from cchc_xl.evidence import covered_codes, crosscheck, duplicates_across_communes, inventory, open_bundle
from cchc_xl.evidence.inspect import FileCheck, inspect_bundle
from cchc_xl.importing.findings import Findings
from cchc_xl.importing.run import SubmissionResult
from cchc_xl.safeio import shown_name
from cchc_xl.templates import template


@dataclasses.dataclass
class EvidenceReport:
    checks: list[FileCheck]
    rows: list[Any]  # InventoryRow


class EvidenceStage:
    """Called once per submission by run_import; `finish` adds the batch-level copy checks."""

    def __call__(self, result: SubmissionResult, found: Findings) -> set[str]:
        rows = result.declarations.register if result.declarations else []
        if result.evidence_path is None:
            if rows:
                found.add("evidence.folder_missing", stem=shown_name(result.path.stem))
            return set()
        with open_bundle(result.evidence_path) as bundle:
            checks = inspect_bundle(bundle)
            found.extend(crosscheck(rows, bundle, checks))
            covered = covered_codes(rows, bundle, checks)
            result.evidence = EvidenceReport(checks, inventory(bundle, checks, rows))
        return covered

    @staticmethod
    def finish(results: list[SubmissionResult]) -> None:
        by_commune = {r.commune_code: r.evidence.checks for r in results
                      if r.commune_code and isinstance(r.evidence, EvidenceReport) and r.counts}
        extra = duplicates_across_communes(by_commune)
        for r in results:
            if r.commune_code in extra and r.counts:
                r.add_findings(extra[r.commune_code])

    @staticmethod
    def inventory_rows(results: list[SubmissionResult], base: Path) -> list[dict[str, Any]]:
        """Rows for the validation workbook's evidence sheet (Vietnamese headers)."""
        headers = template("validation")["evidence_columns"]
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


def _rel(path: Path, base: Path) -> str:
    """An absolute path: the validation workbook may be moved, the inbox stays where it is."""
    return str(path.resolve())
