"""Evidence (tài liệu kiểm chứng): intake of folders and zips, per-file PDF checks, register cross-checks.

Typical use by the importer::

    with open_bundle(folder_or_zip) as bundle:
        checks = inspect_bundle(bundle)
        findings = crosscheck(register_rows, bundle, checks)
        covered = covered_codes(register_rows, bundle, checks)
        rows = inventory(bundle, checks, register_rows)
    copies = duplicates_across_communes({"xã Gia Phù": checks, ...})
"""

from cchc_xl.evidence.crosscheck import (
    InventoryRow,
    covered_codes,
    crosscheck,
    duplicates_across_communes,
    file_findings,
    intake_findings,
    inventory,
)
from cchc_xl.evidence.inspect import (
    FileCheck,
    PdfCheck,
    SignatureCheck,
    inspect_bundle,
    inspect_entry,
    inspect_file,
)
from cchc_xl.evidence.intake import DEFAULT_LIMITS, Bundle, Entry, Limits, open_bundle
from cchc_xl.messages import EVIDENCE_MESSAGES, EVIDENCE_SEVERITY

__all__ = [
    "DEFAULT_LIMITS",
    "EVIDENCE_MESSAGES",
    "EVIDENCE_SEVERITY",
    "Bundle",
    "Entry",
    "FileCheck",
    "InventoryRow",
    "Limits",
    "PdfCheck",
    "SignatureCheck",
    "covered_codes",
    "crosscheck",
    "duplicates_across_communes",
    "file_findings",
    "inspect_bundle",
    "inspect_entry",
    "inspect_file",
    "intake_findings",
    "inventory",
    "open_bundle",
]
