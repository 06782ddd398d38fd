"""The approval check of one submission: is the Phụ lục 2 that the chairman approved among its evidence,
and does it say what the workbook says?

`read_document` reads an approval PDF once (digitally signed or exported: its text layer; scanned: its
page images, seal, signature and OCR) into a `DocumentReading`, cached by the file's sha256 (with the
criteria set and the commune, which the reading depends on): a re-import costs a file hash. `compare`
turns a reading and the recomputed scores into findings; `ApprovalCheck` does both for the importer.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from cchc_xl.approval import ocr
from cchc_xl.approval.marks import find_marks
from cchc_xl.approval.reading import Read, ReportValues, Word, parse
from cchc_xl.approval.trust import TrustStore, signers
from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.evidence.inspect import has_signature, pdf_header_offset, verify_signatures
from cchc_xl.evidence.intake import Bundle
from cchc_xl.importing.findings import Findings
from cchc_xl.messages import finding_text, say
from cchc_xl.numbers import round2
from cchc_xl.records import Finding, Severity
from cchc_xl.safeio import write_bytes
from cchc_xl.scoring import Evaluation
from cchc_xl.templates import template
from cchc_xl.workbook.layout import set_fingerprint

Kind = Literal["signed", "text", "scan", "unreadable"]
# What the validation workbook's "Phê duyệt" column shows (labels in workbook_templates/validation.yaml)
Status = Literal["signed_match", "stamp_match", "match_unconfirmed", "differs", "missing", "unreadable",
                 "unchecked"]
SURE = 60.0  # OCR confidence (0–100) from which a number read is taken as read
LOW_DPI = 150
_CACHE_VERSION = "1"


@dataclass
class DocumentReading:
    """Everything read from one approval PDF (what the cache keeps)."""

    kind: Kind
    detail: str = ""
    values: ReportValues = field(default_factory=ReportValues)
    signature_states: list[str] = field(default_factory=list)  # evidence.inspect SignatureState per signature
    covers_whole: bool = False
    subjects: list[str] = field(default_factory=list)
    certificates: list[str] = field(default_factory=list)  # DER, hex
    colour: bool | None = None
    seal: bool | None = None
    signature: bool | None = None
    dpi: float = 0.0
    ocr_missing: str = ""  # the package Tesseract lacks, when it could not run

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["values"] = self.values.to_json()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DocumentReading:
        data = dict(data)
        data["values"] = ReportValues.from_json(data["values"])
        return cls(**data)


@dataclass(frozen=True)
class ApprovalConfig:
    """The round's approval settings: `[approval]` in cchc-xl.toml (environment variables win)."""

    # severity of a missing approval document; "off": the round does not ask for one (no finding)
    missing: Severity | Literal["off"] = "error"
    trust_roots: Path | None = None  # folder of trusted CA certificates
    cache: Path | None = None  # folder of cached readings

    @classmethod
    def load(cls, cwd: Path | None = None) -> ApprovalConfig:
        path = Path(os.environ.get("CCHC_XL_CONFIG") or (cwd or Path.cwd()) / "cchc-xl.toml")
        section: dict[str, Any] = {}
        if path.is_file():
            with path.open("rb") as fh:
                section = tomllib.load(fh).get("approval", {})
        base = path.parent

        def folder(env: str, key: str) -> Path | None:
            value = os.environ.get(env) or section.get(key)
            return (base / value) if value else None

        missing = str(os.environ.get("CCHC_XL_APPROVAL_MISSING") or section.get("missing", "error"))
        cache = folder("CCHC_XL_APPROVAL_CACHE", "cache") or Path.home() / ".cache" / "cchc-xl" / "approval"
        return cls(missing=missing if missing in ("error", "warning", "info", "off") else "error",  # type: ignore[arg-type]
                   trust_roots=folder("CCHC_XL_TRUST_ROOTS", "trust_roots"), cache=cache)


@dataclass
class ApprovalOutcome:
    """What the validation workbook shows of one submission's approval."""

    status: Status
    kind: Kind | Literal[""] = ""
    signer: str = ""
    trusted: bool | None = None
    total: Decimal | None = None  # as read on the document


def approval_file() -> str:
    return str(template("commune").register.approval_file)


class ApprovalCheck:
    def __init__(self, config: ApprovalConfig | None = None):
        self.config = config or ApprovalConfig.load()
        self.trust = TrustStore(self.config.trust_roots)
        self._memory: dict[str, DocumentReading] = {}

    def __call__(self, stem: str, bundle: Bundle | None, cset: CriteriaSet, commune: Commune, ev: Evaluation,
                 cells: dict[str, str], found: Findings) -> ApprovalOutcome:
        """Check the approval document of a submission whose evidence is `bundle` (None: none came);
        `cells`: criterion code -> the display reference of its score cell (the feedback highlights it)."""
        name = approval_file()
        entry = bundle.find(name) if bundle is not None else None
        if entry is None or entry.blocked:
            if self.config.missing != "off":
                _severity, message = finding_text("approval.missing", file=name, stem=stem)
                found.extend([Finding(severity=self.config.missing, rule="approval.missing", message=message)])
            return ApprovalOutcome("missing")
        try:
            data = entry.read()
        except Exception as exc:  # evidence.intake reports why the file cannot be read
            found.add("approval.unreadable", file=name, detail=str(exc)[:120])
            return ApprovalOutcome("unreadable", "unreadable")
        reading = self.read(data, cset, commune)
        return compare(reading, name, cset, commune, ev, cells, self.trust, found)

    def read(self, data: bytes, cset: CriteriaSet, commune: Commune) -> DocumentReading:
        key = hashlib.sha256(b"\0".join([_CACHE_VERSION.encode(), hashlib.sha256(data).hexdigest().encode(),
                                         set_fingerprint(cset).encode(), commune.name.encode("utf-8")])).hexdigest()
        hit = self._memory.get(key) or self._from_disk(key)
        if hit is None:
            hit = read_document(data, cset, commune)
            if not hit.ocr_missing:  # once Tesseract is installed, the scan is read again
                self._to_disk(key, hit)
        self._memory[key] = hit
        return hit

    def _from_disk(self, key: str) -> DocumentReading | None:
        if self.config.cache is None:
            return None
        path = self.config.cache / f"{key}.json"
        try:
            return DocumentReading.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _to_disk(self, key: str, reading: DocumentReading) -> None:
        if self.config.cache is None:
            return
        try:
            self.config.cache.mkdir(parents=True, exist_ok=True)
            write_bytes(self.config.cache / f"{key}.json",
                        json.dumps(reading.to_json(), ensure_ascii=False).encode("utf-8"))
        except OSError:
            pass  # a cache that cannot be written only costs time


# -- reading ---------------------------------------------------------------------------------------
def read_document(data: bytes, cset: CriteriaSet, commune: Commune) -> DocumentReading:
    offset = pdf_header_offset(data)
    if offset is None:
        return DocumentReading("unreadable", detail="không phải PDF")
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data[offset:]))
        if reader.is_encrypted:
            reader.decrypt("")
        lines = _text_lines(reader)
    except Exception as exc:
        return DocumentReading("unreadable", detail=type(exc).__name__)
    label = template("commune").approved.total_label
    if has_signature(data):
        checks = verify_signatures(data)
        people = signers(data)
        values = parse(lines, cset, commune.name, label)
        return DocumentReading("signed", values=values, signature_states=[c.state for c in checks],
                               covers_whole=any(c.covers_file_end for c in checks),  # the last one
                               subjects=[p.subject for p in people], certificates=[p.certificate.hex() for p in people])
    try:
        images = ocr.page_images(data[offset:])
    except Exception as exc:
        return DocumentReading("unreadable", detail=type(exc).__name__)
    if images and len(images) == len(reader.pages):  # a scan (perhaps with the scanner's own OCR text)
        return _read_scan(images, cset, commune, label)
    return DocumentReading("text", values=parse(lines, cset, commune.name, label))


def _text_lines(reader: Any) -> list[list[Word]]:
    """The text layer as lines of words (pieces of text with their x), top to bottom, page by page."""
    out: list[list[Word]] = []
    for page in reader.pages:
        rows: dict[int, list[Word]] = {}

        def visit(text: str, cm: list[float], tm: list[float], _font: Any, size: float,
                  rows: dict[int, list[Word]] = rows) -> None:
            if not text.strip():
                return
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            width = len(text) * size * abs(tm[0] * cm[0]) * 0.5
            for part in text.split():
                rows.setdefault(round(y / 3), []).append(Word(part, x, x + width))

        page.extract_text(visitor_text=visit)
        out += [sorted(words, key=lambda w: w.x) for _, words in sorted(rows.items(), key=lambda kv: -kv[0])]
    return out


def _read_scan(pages: list[ocr.PageImage], cset: CriteriaSet, commune: Commune, label: str) -> DocumentReading:
    last = pages[-1]
    marks = find_marks(last.image, last.dpi)
    reading = DocumentReading("scan", colour=marks.colour, seal=marks.seal if marks.colour else None,
                              signature=marks.signature if marks.colour else None,
                              dpi=round(min(p.dpi for p in pages), 1))
    missing = ocr.available()
    if missing:
        reading.ocr_missing = missing
        return reading
    spans = _number_columns()
    prepared: list[ocr.Prepared] = []
    header: list[list[Word]] = []
    for clean, lang in _PASSES:
        lines: list[list[Word]] = []
        for i, page in enumerate(pages):
            if i == len(prepared):
                prepared.append(ocr.prepare(page))
                top = prepared[i].header() if i == 0 else None
                header = ocr.read_lines(top) if top is not None else header
            columns = prepared[i].columns(spans, clean)
            lines += ocr.read_lines(columns, ocr.NUMERALS, lang) if columns is not None else \
                ocr.read_lines(prepared[i].image)
            values = parse(header + lines, cset, commune.name, label)
            if values.total is not None:
                break  # the table ends with the total: the explanations need no OCR
        reading.values = _merge(reading.values, values) if reading.values.lines else values
        unread = sum(1 for leaf in cset.commune_leaves() if reading.values.items.get(leaf.code) is None)
        if reading.values.total is not None and unread <= 0.02 * len(cset.commune_leaves()):
            break  # else a second reading, another way, fills in what the first missed
    return reading


# Ways of reading the columns of codes and points, tried in turn until the total and nearly every item are
# read: black on white with the English model (digits), then the grey page with the Vietnamese one.
_PASSES = ((True, ocr.NUMBERS_LANG), (False, ocr.LANG))


def _merge(first: ReportValues, second: ReportValues) -> ReportValues:
    """Two readings of one scan: what either read, the surer where both did."""
    def better(a: Read | None, b: Read | None) -> Read | None:
        if a is None or b is None:
            return a or b
        return a if a.conf >= b.conf else b

    items = {code: better(first.items.get(code), second.items.get(code)) for code in {*first.items, *second.items}}
    return ReportValues(commune_found=first.commune_found or second.commune_found,
                        agency=first.agency or second.agency, total=better(first.total, second.total),
                        items=items, lines=first.lines + second.lines)


def _number_columns() -> list[tuple[float, float]]:
    """The code column and the maximum-and-score columns of the Phụ lục 2 table, as fractions of its width."""
    columns = template("commune").approved.columns
    widths = columns.widths
    total = sum(widths)
    start = [sum(widths[:i]) / total for i in range(len(widths) + 1)]
    a, b = columns["max"].index, columns["score"].index
    return [(start[0], start[1]), (start[a], start[b + 1])]


# -- comparing ---------------------------------------------------------------------------------------
def compare(reading: DocumentReading, name: str, cset: CriteriaSet, commune: Commune, ev: Evaluation,
            cells: dict[str, str], trust: TrustStore, found: Findings) -> ApprovalOutcome:
    """The approval document against the workbook: the document's own state, then its total, then its
    items; the outcome's status says how far the two agree."""
    outcome = ApprovalOutcome("unreadable", reading.kind)
    stop = _document_findings(reading, name, trust, outcome, found)
    if stop is not None:
        return dataclasses.replace(outcome, status=stop)
    values, exact = reading.values, reading.kind in ("signed", "text")
    if exact and (values.total is None or not values.items):
        found.add("approval.not_report", file=name)
        return outcome
    if not values.commune_found:
        found.add("approval.other_commune" if exact else "approval.commune_unread", file=name,
                  commune=commune.display)
    outcome.total = values.total.value if values.total else None
    total_differs = _total_findings(values, cset, ev, exact, name, found)
    differs = _item_findings(values, cset, ev, cells, exact, total_differs, found)
    outcome.status = _agreement(reading, values, exact, total_differs, differs)
    return outcome


def _document_findings(reading: DocumentReading, name: str, trust: TrustStore, outcome: ApprovalOutcome,
                       found: Findings) -> Status | None:
    """Findings on the document itself (unreadable, its signature, the scan's quality); the status to stop
    at when its numbers cannot be compared, else None."""
    if reading.kind == "unreadable":
        found.add("approval.unreadable", file=name, detail=reading.detail)
        return "unreadable"
    if reading.kind == "signed":
        intact = bool(reading.signature_states) and reading.covers_whole and all(
            s in ("valid", "later_changes") for s in reading.signature_states)
        if not intact:
            found.add("approval.signature_broken", file=name, state=", ".join(reading.signature_states) or "?")
            return "differs"
        outcome.signer = "; ".join(reading.subjects)
        outcome.trusted = any(trust.trusts(bytes.fromhex(c)) for c in reading.certificates) if trust else False
        found.add("approval.signed", subject=outcome.signer or "?",
                  trust=say("approval.trusted" if outcome.trusted else "approval.untrusted"))
    if reading.kind == "text":
        found.add("approval.unsigned", file=name)
    if reading.kind == "scan":
        _scan_findings(reading, name, found)
        if reading.ocr_missing:
            found.add("approval.ocr_unavailable", missing=reading.ocr_missing)
            return "unchecked"
    return None


def _total_findings(values: ReportValues, cset: CriteriaSet, ev: Evaluation, exact: bool, name: str,
                    found: Findings) -> bool:
    """A finding on the approved total; whether it surely differs from the workbook's."""
    if values.total is None:
        found.add("approval.total_unreadable", file=name)
        return False
    if values.total.value == ev.total:
        return False
    if exact or (values.total.conf >= SURE and _areas_agree(values, cset) is not False):
        found.add("approval.total_differs", approved=values.total.value, workbook=ev.total)
        return True
    found.add("approval.total_uncertain", approved=values.total.value, conf=round(values.total.conf),
              workbook=ev.total)
    return False


def _agreement(reading: DocumentReading, values: ReportValues, exact: bool, total_differs: bool,
               differs: int) -> Status:
    if total_differs or (exact and differs):
        return "differs"
    if values.total is None:
        return "unreadable"
    if reading.kind == "signed":
        return "signed_match"
    if reading.kind == "scan" and reading.seal:
        return "stamp_match"
    return "match_unconfirmed"  # the numbers agree, but no signature or seal was seen


def _areas_agree(values: ReportValues, cset: CriteriaSet) -> bool | None:
    """Whether the total read on a scan is the sum of the areas read on it (None: an area not read). A
    total that OCR misread rarely equals that sum; a total the commune's chairman signed always does."""
    areas = [values.items.get(area.code) for area in cset.areas]
    if any(a is None for a in areas):
        return None
    return round2(sum((a.value for a in areas if a is not None), Decimal(0))) == values.total.value  # type: ignore[union-attr]


def _scan_findings(reading: DocumentReading, name: str, found: Findings) -> None:
    if reading.dpi and reading.dpi < LOW_DPI:
        found.add("approval.scan_low_resolution", file=name, dpi=round(reading.dpi))
    if reading.colour is False:
        found.add("approval.scan_grey", file=name)
        return
    if reading.seal is False:
        found.add("approval.seal_missing", file=name)
    if reading.signature is False:
        found.add("approval.signature_missing", file=name)


def _item_findings(values: ReportValues, cset: CriteriaSet, ev: Evaluation, cells: dict[str, str], exact: bool,
                   total_differs: bool, found: Findings) -> int:
    """A finding per item whose approved score differs from the workbook's; returns how many were sure."""
    sure = 0
    unread: list[str] = []
    for leaf in cset.commune_leaves():
        if leaf.code not in values.items:
            unread.append(leaf.code)
            continue
        read = values.items[leaf.code]
        if read is None and not exact:  # on a scan, a score not seen may be one OCR missed
            unread.append(leaf.code)
            continue
        result = ev.leaves.get(leaf.code)
        workbook = result.score if result else None
        approved = read.value if read else None
        if approved == workbook or (read is not None and not exact and read.conf < SURE):
            continue
        shown = {"approved": _points(approved), "workbook": _points(workbook)}
        cell = cells.get(leaf.code)
        if exact or total_differs:
            found.add("approval.item_differs", criterion=leaf.code, cell=cell, **shown)
            sure += 1
        else:
            found.add("approval.item_uncertain", criterion=leaf.code, cell=cell,
                      conf=round(read.conf) if read else 0, **shown)
    if unread:
        found.add("approval.items_unread", count=len(unread), codes=", ".join(unread[:5]))
    return sure


def _points(value: Decimal | None) -> str:
    return say("approval.blank") if value is None else say("approval.points", points=value)
