"""One import run: every file in the inbox becomes one SubmissionResult, whatever happens to it."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.importing.commune import CommuneNames, CommuneWorkbook, EvidenceHook, import_limits
from cchc_xl.importing.discover import Candidate, Ignored, Listing, discover, shown_name
from cchc_xl.importing.findings import Findings
from cchc_xl.importing.inputs import Declarations
from cchc_xl.importing.stages import Source, import_workbook, sha256_file
from cchc_xl.importing.verify import Identity
from cchc_xl.messages import error_detail
from cchc_xl.reading.safety import Limits
from cchc_xl.records import Finding, outcome
from cchc_xl.scoring import Evaluation
from cchc_xl.settings import Settings


@dataclass
class SubmissionResult:
    path: Path
    file: str  # as shown in reports: inbox-relative, '/' separators
    sha256: str
    size: int
    received_at: dt.datetime
    modified: float = 0.0  # the file's modification time when it was read (its receipt order)
    saved_at: str | None = None  # the workbook's own save time (docProps/core.xml dcterms:modified), UTC ISO
    evidence_path: Path | None = None
    commune: Commune | None = None
    identity: Identity | None = None
    declarations: Declarations | None = None
    evaluation: Evaluation | None = None
    findings: list[Finding] = field(default_factory=list)
    evidence: Any = None  # evidence report (cchc_xl.evidence), when an evidence folder or zip came with it
    counts: bool = True  # False when another file of the same commune is the one that counts
    # After `release`: the total and tier kept, and whether batch-level findings came after the release.
    total: Decimal | None = None
    tier: str | None = None
    released: bool = False
    revised: bool = False
    stored: tuple[int, bool] | None = None  # (submission id, new in this run), once recorded in the store
    # Set by the outputs' `prepare` (importing/outputs.py), in this process or a worker's:
    prepared: bool = False
    feedback_path: Path | None = None
    record: Any = None  # outputs.StoreRecord: what its store record will hold

    @property
    def commune_code(self) -> str | None:
        return self.commune.code if self.commune else None

    def release(self) -> None:
        """Drop what only the per-file outputs need (signed metadata and layout, declared inputs, every
        item's score), keeping the commune, total and tier: a long run holds a light summary per file, so
        its memory stays flat."""
        if self.evaluation is not None:
            self.total, self.tier = self.evaluation.total, self.evaluation.tier
        self.identity, self.declarations, self.evaluation = None, None, None
        self.released = True

    def add_findings(self, items: list[Finding]) -> None:
        """Batch-level findings (a second file of the commune, evidence copied from another commune); only
        a result they actually change is marked revised (its outputs are then written again)."""
        if not items:
            return
        self.findings = [*self.findings, *items]
        self.revised = self.revised or self.released

    @property
    def status(self) -> str:
        return outcome(self.findings)

    @property
    def self_total(self) -> Decimal | None:
        return self.evaluation.total if self.evaluation else self.total

    @property
    def self_tier(self) -> str:
        return (self.evaluation.tier if self.evaluation else self.tier) or ""


@dataclass
class ImportRun:
    inbox: Path
    cset: CriteriaSet
    results: list[SubmissionResult]
    ignored: list[Ignored]


Sink = Callable[[SubmissionResult], None]  # writes one file's outputs as soon as it is imported


def import_file(candidate: Candidate, shown: str, cset: CriteriaSet, settings: Settings,
                communes: dict[str, Commune], received_at: dt.datetime,
                evidence_hook: EvidenceHook | None = None, limits: Limits | None = None,
                names: CommuneNames | None = None) -> SubmissionResult:
    """One file imported on its own (a batch makes its `CommuneWorkbook` once: `FileImporter`)."""
    kind = CommuneWorkbook(cset, settings, communes, received_at.date(), evidence_hook,
                           limits or Limits(), names)
    return import_candidate(kind, candidate, shown, received_at)


def import_candidate(kind: CommuneWorkbook, candidate: Candidate, shown: str,
                     received_at: dt.datetime) -> SubmissionResult:
    """One listed file through the commune workbook's stages (a file discover refused is only hashed)."""
    path = candidate.workbook
    if candidate.refused == "file.link_refused":  # never read through: the link may lead out of the inbox
        return _refused(SubmissionResult(path=path, file=shown, sha256="", size=0, received_at=received_at),
                        candidate.refused)
    stat = path.stat()
    limits = kind.limits
    # Read once: the bytes hashed are the bytes checked and parsed (a file past the size limit is only
    # hashed, in pieces, and refused unread).
    data = path.read_bytes() if 0 < stat.st_size <= limits.max_file_bytes and not candidate.refused else None
    result = SubmissionResult(path=path, file=shown, size=stat.st_size if data is None else len(data),
                              sha256=sha256_file(path) if data is None else hashlib.sha256(data).hexdigest(),
                              received_at=received_at, evidence_path=candidate.evidence, modified=stat.st_mtime)
    if candidate.refused:
        return _refused(result, candidate.refused, fmt=shown_name(path.suffix.lower()))
    imported = import_workbook(kind, Source(path=path, size=result.size, limits=limits,
                                            evidence=candidate.evidence, data=data))
    if imported.failure is not None:
        raise imported.failure  # (FileImporter records the file as unreadable, as any other failure)
    result.saved_at, result.findings = imported.saved_at, list(imported.findings)
    if imported.identity is not None:
        result.identity, result.commune = imported.identity, kind.commune_of(imported.identity)
    result.declarations = imported.declarations
    if imported.evaluation is not None:
        result.evaluation, result.evidence = imported.evaluation.scores, imported.evaluation.evidence
    return result


def _refused(result: SubmissionResult, rule: str, **params: object) -> SubmissionResult:
    found = Findings()
    found.add(rule, **params)
    result.findings = found.items
    return result


def run_import(inbox: Path, cset: CriteriaSet, settings: Settings, communes: list[Commune],
               received_at: dt.datetime | None = None, evidence_hook: EvidenceHook | None = None,
               progress: Callable[[SubmissionResult], None] | None = None, sink: Sink | None = None,
               listing: Listing | None = None, jobs: int = 1, prepare: Sink | None = None,
               counting_saved_at: Callable[[str], str | None] | None = None) -> ImportRun:
    """Every file of the inbox imported, in order. With a `sink`, each result goes to it as soon as it is
    made and is then released (see `SubmissionResult.release`); results whose findings change at the end
    of the batch are marked `revised`, for the sink's owner to bring its outputs up to date. `listing`:
    the inbox as `discover` listed it already (for the progress bar's total), so it is listed once.
    `jobs` > 1: the files are read and checked in that many worker processes, each result first given
    to `prepare` there (its own outputs), then to the sink here, in the inbox's order all the same.
    `counting_saved_at(code)`: the save time of the commune's counting version from earlier runs (the
    store's), so that an older file received later is flagged and does not count."""
    received_at = received_at or dt.datetime.now().astimezone()
    candidates, ignored = listing if listing is not None else discover(inbox)
    by_code = {c.code: c for c in communes}
    work = [(cand, str(PurePosixPath(shown_name(inbox.name)) / shown_name(cand.workbook.name)))
            for cand in candidates]
    importer = FileImporter(cset, settings, by_code, received_at, evidence_hook, import_limits(cset))
    made: Iterable[SubmissionResult]
    if jobs > 1 and len(work) > 1:
        from cchc_xl.importing.parallel import imported_in_workers

        made = imported_in_workers(work, importer, prepare, jobs)
    else:
        made = (importer(cand, shown) for cand, shown in work)
    results: list[SubmissionResult] = []
    for res in made:
        if counting_saved_at is not None and _flag_older_than_counting(res, counting_saved_at) and res.prepared:
            res.revised = True  # its feedback workbook was written in a worker, before this finding
        if sink:
            try:
                sink(res)
            except Exception as exc:  # its outputs are part of the file: this file's finding, the batch goes on
                res.add_findings(_output_failed(exc))
            res.release()
        results.append(res)
        if progress:
            progress(res)
    _flag_duplicates(results)
    return ImportRun(inbox=inbox, cset=cset, results=results, ignored=ignored)


class FileImporter:
    """One file of a batch imported, whatever happens to it (picklable, for the workers of `--jobs`)."""

    def __init__(self, cset: CriteriaSet, settings: Settings, communes: dict[str, Commune],
                 received_at: dt.datetime, evidence_hook: EvidenceHook | None, limits: Limits | None = None):
        self.received_at = received_at
        self.kind = CommuneWorkbook(cset, settings, communes, received_at.date(), evidence_hook,
                                    limits or import_limits(cset))

    def __call__(self, cand: Candidate, shown: str) -> SubmissionResult:
        try:
            return import_candidate(self.kind, cand, shown, self.received_at)
        except Exception as exc:  # one bad file never stops a batch: record it and go on
            return _unreadable(cand.workbook, shown, self.received_at, exc)


def _unreadable(path: Path, shown: str, received_at: dt.datetime, exc: Exception) -> SubmissionResult:
    """The result of a file whose import failed (its hash and size when it can still be read at all)."""
    try:
        sha, size = sha256_file(path), path.stat().st_size
    except OSError:  # gone or locked since it was listed
        sha, size = "", 0
    res = SubmissionResult(path=path, file=shown, sha256=sha, size=size, received_at=received_at)
    f = Findings()
    f.add("file.unreadable", detail=error_detail(exc))
    res.findings = f.items
    return res


def _output_failed(exc: Exception) -> list[Finding]:
    import sqlite3

    from cchc_xl.faults import reason

    f = Findings()
    # the store's faults (locked, read-only, full) in Vietnamese words; the system's by their error number
    f.add("file.output_failed", detail=reason(exc) if isinstance(exc, sqlite3.Error) else error_detail(exc))
    return f.items


def counting_order(r: SubmissionResult) -> tuple[str, float, str]:
    """Which of a commune's files counts (the round's rule, stated in the district guide): the latest by
    the workbook's own save time; between equal (or unknown) save times, the latest received."""
    return (r.saved_at or "", r.modified, r.path.name)


def _flag_older_than_counting(res: SubmissionResult, counting_saved_at: Callable[[str], str | None]) -> bool:
    """A file received after its commune's counting version but saved before it is kept, not counted
    (True when so flagged)."""
    if not res.commune_code or not res.saved_at:
        return False
    stored = counting_saved_at(res.commune_code)
    if not stored or res.saved_at >= stored:
        return False
    res.counts = False
    f = Findings()
    f.add("submission.older_than_counting", saved=_shown_time(res.saved_at), stored=_shown_time(stored))
    res.add_findings(f.items)
    return True


def store_saved_at(store: Any, code: str) -> str | None:
    """The save time of the commune's counting version in the store (None: none, or recorded before save
    times were kept)."""
    latest = store.latest(code)
    return latest.declared.saved_at if latest is not None else None


def _shown_time(iso: str) -> str:
    when = dt.datetime.fromisoformat(iso).astimezone(VN_TIME)
    return f"{when:%H:%M %d/%m/%Y}"


VN_TIME = dt.timezone(dt.timedelta(hours=7))


def _flag_duplicates(results: list[SubmissionResult]) -> None:
    groups: dict[str, list[SubmissionResult]] = {}
    for r in results:
        if r.commune_code:
            groups.setdefault(r.commune_code, []).append(r)
    for code, group in groups.items():
        if len(group) < 2:
            continue
        chosen = max(group, key=counting_order)
        last_received = max(group, key=lambda r: (r.modified, r.path.name))
        names = ", ".join(shown_name(r.path.name) for r in group)
        for r in group:
            # An identical copy of the chosen file is the same submission (the store keeps it once); a file
            # already found older than the counting version of an earlier run stays uncounted.
            r.counts = r.counts and r.sha256 == chosen.sha256
            f = Findings()
            f.add("submission.duplicate", commune=code, count=len(group), files=names, chosen=shown_name(chosen.path.name))
            if r is last_received and r.sha256 != chosen.sha256 and r.saved_at and chosen.saved_at:
                f.add("submission.older_version", file=shown_name(r.path.name), saved=_shown_time(r.saved_at),
                      chosen=shown_name(chosen.path.name), chosen_saved=_shown_time(chosen.saved_at))
            r.add_findings(f.items)


def reload(result: SubmissionResult, cset: CriteriaSet, settings: Settings, communes: list[Commune]) -> SubmissionResult:
    """A released result's file imported again, without its evidence (its declarations and scores do not
    depend on it), carrying the result's findings: for the outputs of a file revised after its release."""
    by_code = {c.code: c for c in communes}
    again = import_file(Candidate(result.path, None), result.file, cset, settings, by_code, result.received_at,
                        limits=import_limits(cset))
    again.evidence_path, again.counts, again.findings = result.evidence_path, result.counts, result.findings
    return again
