"""The evidence register (TLKC rows) against the files, the inventory per file, and copies across communes.

What the importer does itself, with `covered_codes`: a scored item with neither evidence nor explanation,
evidence dated after the submission or outside the year, rows for unknown criteria.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from cchc_xl.evidence.inspect import FileCheck, issue
from cchc_xl.evidence.intake import Bundle, Entry, match_key
from cchc_xl.importing.findings import MAX_PER_BUNDLE, capped, summaries
from cchc_xl.messages import evidence_text as say
from cchc_xl.messages import render
from cchc_xl.messages import severity as rule_severity
from cchc_xl.records import Finding, Problem, RegisterRow, Severity

VN_TZ = dt.timezone(dt.timedelta(hours=7))
_DETAIL_LABELS = {"evidence.not_pdf": "evidence.kind.{}", "evidence.file_empty": "evidence.kind.{}"}


def finding(rule: str, *, file: str = "", detail: str = "", row: RegisterRow | None = None) -> Finding:
    """A Finding for an evidence rule, placed on the register row when there is one."""
    label = _DETAIL_LABELS.get(rule)
    if label:
        detail = say(label.format(detail))
    return Finding(
        severity=rule_severity(rule), rule=rule,
        criterion=row.criterion if row else None, cell=row.cell if row else None,
        message=render(Problem(rule, {"file": file, "detail": detail, "criterion": row.criterion if row else ""})),
    )


def intake_findings(bundle: Bundle) -> list[Finding]:
    """The problems met while opening the folder or zip."""
    found = [_intake_finding(p) for p in bundle.problems]
    return [*found, *summaries(bundle.dropped, len(bundle.problems))]


def file_findings(check: FileCheck, row: RegisterRow | None = None) -> list[Finding]:
    return [finding(p.rule, file=check.name, detail=str(p.params.get("detail", "")), row=row) for p in check.issues]


def _intake_finding(p: Problem) -> Finding:
    return finding(p.rule, file=str(p.params["file"]), detail=str(p.params.get("detail", "")))


# ------------------------------------------------------------------------------------------------
# Register rows against files
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class References:
    """Which register rows cite which files."""

    rows_by_file: dict[str, list[RegisterRow]]  # entry name -> rows citing it, in register order
    missing: list[tuple[RegisterRow, str]]  # (row, file name as typed) with no such file
    without_file: list[RegisterRow]


def references(rows: Sequence[RegisterRow], bundle: Bundle) -> References:
    rows_by_file: dict[str, list[RegisterRow]] = defaultdict(list)
    missing: list[tuple[RegisterRow, str]] = []
    without_file: list[RegisterRow] = []
    for row in rows:
        names = [name for name in row.files if name.strip()]
        if not names:
            without_file.append(row)
        for name in names:
            entry = bundle.find(name)
            if entry is None:
                missing.append((row, name))
            elif row not in rows_by_file[entry.name]:
                rows_by_file[entry.name].append(row)
    return References(dict(rows_by_file), missing, without_file)


def crosscheck(rows: Sequence[RegisterRow], bundle: Bundle, checks: Sequence[FileCheck]) -> list[Finding]:
    """Every evidence finding of one submission: intake problems, rows whose file is missing, rows with no
    file, each file's own problems (once per file, placed on the first row citing it), unreferenced files."""
    refs = references(rows, bundle)
    found = [_intake_finding(p) for p in bundle.problems]
    hints = _Hints([e for e in bundle.entries if e.name not in refs.rows_by_file])
    for row, name in refs.missing:
        found.append(finding("evidence.file_missing", file=name, row=row, detail=hints.hint(name)))
    found += [finding("evidence.row_without_file", row=row) for row in refs.without_file]
    for check in checks:
        citing = refs.rows_by_file.get(check.name)
        found += file_findings(check, citing[0] if citing else None)
        if not citing:
            found.append(finding("evidence.file_unreferenced", file=check.name))
    return capped(found, MAX_PER_BUNDLE, bundle.dropped)


def covered_codes(rows: Sequence[RegisterRow], bundle: Bundle, checks: Sequence[FileCheck]) -> set[str]:
    """Criterion codes with at least one register row whose file exists and is acceptable evidence."""
    by_name = {check.name: check for check in checks}
    refs = references(rows, bundle)
    return {
        row.criterion
        for name, citing in refs.rows_by_file.items()
        if name in by_name and by_name[name].form_ok
        for row in citing
    }


class _Hints:
    """' (có tệp gần giống tên: “…”)' when a file not cited by any row has a close name.

    Bounded, however many rows and files a bundle has (a thousand-file zip against a hundred rows once
    ran past two minutes): a name that differs only in case, diacritics or extension is found in an index;
    a fuzzy comparison is made for at most HINT_NAMES names of a bundle, against at most HINT_CANDIDATES
    files whose names are near in length (a similarity of 0.75 needs lengths within 3/5 to 5/3 of each
    other), each name cut to HINT_LENGTH characters."""

    def __init__(self, candidates: Sequence[Entry]):
        self.folded: dict[str, str] = {}
        for entry in candidates:
            self.folded.setdefault(_fold(entry.name)[:HINT_LENGTH], entry.name)
            self.folded.setdefault(_fold(entry.basename)[:HINT_LENGTH], entry.name)
        self.keys = sorted(self.folded, key=len)
        self.lengths = [len(k) for k in self.keys]
        self.left = HINT_NAMES

    def hint(self, name: str) -> str:
        key = _fold(name)[:HINT_LENGTH]
        if key in self.folded:
            return say("evidence.file_missing.hint", candidate=self.folded[key])
        if self.left <= 0 or not self.keys:
            return ""
        self.left -= 1
        size = len(key)
        lo = bisect.bisect_left(self.lengths, -(-3 * size // 5))
        hi = bisect.bisect_right(self.lengths, 5 * size // 3)
        at = bisect.bisect_left(self.lengths, size, lo, hi)
        half = HINT_CANDIDATES // 2
        window = self.keys[max(lo, at - half):min(hi, at + half)]
        close = difflib.get_close_matches(key, window, n=1, cutoff=0.75)
        return say("evidence.file_missing.hint", candidate=self.folded[close[0]]) if close else ""


HINT_NAMES = 50
HINT_CANDIDATES = 200
HINT_LENGTH = 120


def _fold(name: str) -> str:
    """A name without case, diacritics or extension: what a person may have mistyped."""
    key = match_key(name).replace("đ", "d")
    key = "".join(c for c in unicodedata.normalize("NFD", key) if not unicodedata.combining(c))
    return key.rsplit(".", 1)[0] if "." in key.rsplit("/", 1)[-1] else key


# ------------------------------------------------------------------------------------------------
# Across communes
# ------------------------------------------------------------------------------------------------


def duplicates_across_communes(
    checks_by_commune: Mapping[str, Sequence[FileCheck]],
) -> dict[str, list[Finding]]:
    """A warning for each file whose content (sha256) also appears in another commune's evidence.

    Keys are how the communes are named in the messages (e.g. "xã Gia Phù"); empty and unread files are
    left out."""
    holders: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for commune, checks in checks_by_commune.items():
        for check in checks:
            if check.sha256 and check.size:
                holders[check.sha256].append((commune, check.name))
    found: dict[str, list[Finding]] = {commune: [] for commune in checks_by_commune}
    for owners in holders.values():
        communes = {commune for commune, _ in owners}
        if len(communes) < 2:
            continue
        for commune, name in owners:
            others = "; ".join(f"{c} (tệp “{n}”)" for c, n in owners if c != commune)
            found[commune].append(finding("evidence.duplicate_across_communes", file=name, detail=others))
    return found


# ------------------------------------------------------------------------------------------------
# Inventory (one row per file, for the validation workbook)
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InventoryRow:
    file: str  # base name
    path: str  # relative path inside the folder or zip
    link: str  # what opens it: the file, or the zip holding it
    size: int
    type: str
    pages: int | None
    layout: str  # scan / text layer…, empty when not a readable PDF
    signed: bool
    signature_state: str
    signer: str
    signing_time: dt.datetime | None  # Vietnam time
    sha256: str
    criteria: str  # codes of the register rows citing the file, "; "-separated
    verdict: str
    severity: Severity | None  # the worst problem, None when fine


def inventory(bundle: Bundle, checks: Sequence[FileCheck],
              rows: Sequence[RegisterRow] | None = None) -> list[InventoryRow]:
    """The evidence inventory of one submission as plain data. Without `rows`, files are not matched
    against the register (no 'not referenced' verdicts)."""
    entries = {entry.name: entry for entry in bundle.entries}
    cited = references(rows, bundle).rows_by_file if rows is not None else {}
    result = []
    for check in checks:
        entry = entries.get(check.name)
        citing = cited.get(check.name, [])
        issues = list(check.issues)
        if rows is not None and not citing:
            issues.append(issue("evidence.file_unreferenced"))
        result.append(_inventory_row(check, entry, citing, issues))
    return result


def _inventory_row(check: FileCheck, entry: Entry | None, citing: Iterable[RegisterRow],
                   issues: list[Problem]) -> InventoryRow:
    pdf = check.pdf
    signature = pdf.signatures[0] if pdf and pdf.signatures else None
    return InventoryRow(
        file=check.name.rsplit("/", 1)[-1],
        path=check.name,
        link=entry.location if entry else "",
        size=check.size,
        type=say(f"evidence.kind.{check.kind}"),
        pages=pdf.pages if pdf else None,
        layout=say(f"evidence.layout.{pdf.layout}") if pdf and pdf.layout else "",
        signed=bool(pdf and pdf.signed),
        signature_state=_signature_state(check),
        signer=signature.signer if signature else "",
        signing_time=_vietnam_time(signature.signing_time if signature else None),
        sha256=check.sha256,
        criteria="; ".join(dict.fromkeys(row.criterion for row in citing)),
        verdict=verdict(issues),
        severity=_worst(issues),
    )


def _vietnam_time(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(VN_TZ) if moment else None


def _signature_state(check: FileCheck) -> str:
    if not check.pdf or not check.pdf.signatures:
        return say("evidence.sig.none")
    states = dict.fromkeys(say(f"evidence.sig.{sig.state}") for sig in check.pdf.signatures)
    return "; ".join(states)


def verdict(issues: Sequence[Problem]) -> str:
    """'Đạt', or the problems in a few words, worst first."""
    if not issues:
        return say("evidence.verdict.ok")
    order = {"error": 0, "warning": 1, "info": 2}
    ranked = sorted(issues, key=lambda p: order[rule_severity(p.rule)])
    parts = dict.fromkeys(
        f"{say('evidence.severity.' + rule_severity(p.rule))}: {say(_short_key(p.rule))}" for p in ranked
    )
    return "; ".join(parts)


def _short_key(rule: str) -> str:
    return "evidence.short." + rule.removeprefix("evidence.")


def _worst(issues: Sequence[Problem]) -> Severity | None:
    for severity in ("error", "warning", "info"):
        if any(rule_severity(p.rule) == severity for p in issues):
            return severity  # type: ignore[return-value]
    return None
