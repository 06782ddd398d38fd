"""One import run: every file in the inbox becomes one SubmissionResult, whatever happens to it."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from cchc_xl.communes import Commune, slugify
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.importing.discover import Candidate, Ignored, Listing, discover, shown_name
from cchc_xl.importing.findings import Findings
from cchc_xl.importing.inputs import Declarations, read_declarations, validate_register
from cchc_xl.importing.verify import Identity, check_locked, identify, layout_extent
from cchc_xl.messages import error_detail, say
from cchc_xl.numbers import NumberRangeError, to_decimal
from cchc_xl.reading.book import Book, BookError, read_book
from cchc_xl.reading.safety import Limits, SafetyVerdict, inspect_container
from cchc_xl.records import Finding, outcome
from cchc_xl.scoring import Evaluation, blank_text, evaluate
from cchc_xl.settings import Settings
from cchc_xl.workbook.layout import PLACEHOLDER, build_layout

# Status keys of the workbook's status column -> finding rules (ok, district and no_evidence handled apart)
_STATUS_RULES = {"no_score": "score.missing", "no_figures": "figures.missing"}


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


EvidenceHook = Callable[[SubmissionResult, Findings], set[str] | None]
Sink = Callable[[SubmissionResult], None]  # writes one file's outputs as soon as it is imported


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def import_file(candidate: Candidate, shown: str, cset: CriteriaSet, settings: Settings,
                communes: dict[str, Commune], received_at: dt.datetime,
                evidence_hook: EvidenceHook | None = None, limits: Limits | None = None,
                names: CommuneNames | None = None) -> SubmissionResult:
    path = candidate.workbook
    found = Findings()
    if candidate.refused == "file.link_refused":  # never read through: the link may lead out of the inbox
        found.add("file.link_refused")
        result = SubmissionResult(path=path, file=shown, sha256="", size=0, received_at=received_at)
        result.findings = found.items
        return result
    stat = path.stat()
    limits = limits or Limits()
    # Read once: the bytes hashed are the bytes checked and parsed (a file past the size limit is only
    # hashed, in pieces, and refused unread).
    data = path.read_bytes() if 0 < stat.st_size <= limits.max_file_bytes and not candidate.refused else None
    result = SubmissionResult(path=path, file=shown, size=stat.st_size if data is None else len(data),
                              sha256=sha256_file(path) if data is None else hashlib.sha256(data).hexdigest(),
                              received_at=received_at, evidence_path=candidate.evidence, modified=stat.st_mtime)
    if candidate.refused:
        found.add(candidate.refused, fmt=shown_name(path.suffix.lower()))
        result.findings = found.items
        return result
    try:
        _import(result, cset, settings, communes, names or CommuneNames(communes), found, evidence_hook,
                limits, data)
    finally:
        result.findings = found.items
    return result


def _import(result: SubmissionResult, cset: CriteriaSet, settings: Settings, communes: dict[str, Commune],
            names: CommuneNames, found: Findings, evidence_hook: EvidenceHook | None, limits: Limits,
            data: bytes | None = None) -> None:
    verdict, book = open_book(result.path, limits, found, result.size, data)
    if verdict.rule is None:
        result.saved_at = saved_at(verdict.parts)
    if book is None:
        return
    fmt = verdict.kind
    if fmt != "xlsx":
        found.add("file.old_format", fmt=result.path.suffix.lower())
    identity = identify(book, cset, settings, found)
    if identity is None:
        return
    result.identity = identity
    result.commune = communes.get(identity.commune.code, identity.commune)
    if communes and identity.commune.code not in communes:
        found.add("meta.unknown_commune", code=identity.commune.code)
    _check_file_name(result, names, found)
    if any(f.rule in ("meta.other_set", "meta.template_mismatch") for f in found.items):
        return
    check_locked(book, identity.layout, found)
    decl = read_declarations(book, cset, identity.layout, found)
    result.declarations = decl
    validate_register(decl.register, cset, result.received_at.date(), found)
    ev = evaluate(cset, decl.parsed, [r.criterion for r in decl.register])
    result.evaluation = ev
    covered = evidence_hook(result, found) if evidence_hook else None
    _score_findings(result, ev, decl, covered, found)
    _compare_cached(book, identity, ev, found)


def open_book(path: Path, limits: Limits, found: Findings, size: int | None = None,
              data: bytes | None = None) -> tuple[SafetyVerdict, Book | None]:
    """A returned workbook's file steps, for every kind (commune, appraisal, answer): the container check,
    then the book, both from `data` when the file's bytes were read already. The book is None when either
    refused the file, with its finding added."""
    verdict = inspect_container(path, limits, data)
    if verdict.rule:
        add_verdict(found, verdict, path.stat().st_size if size is None else size, limits)
        return verdict, None
    try:
        return verdict, read_book(path, verdict.kind, verdict.parts, data)
    except BookError:
        found.add("file.unreadable", detail=say("file.detail.book", fmt=shown_name(path.suffix.lower()) or "?"))
        return verdict, None


def add_verdict(found: Findings, verdict: SafetyVerdict, size: int, limits: Limits) -> None:
    """The finding of a file the container check refused."""
    found.add(verdict.rule or "file.corrupt", detail=verdict.detail, size=size, limit=limits.max_file_bytes,
              last_cell=xl_rowcol_to_cell(limits.max_row - 1, limits.max_col - 1))


def import_limits(cset: CriteriaSet, base: Limits | None = None) -> Limits:
    """The container limits for returns of `cset`: cells bounded to its layout's extent."""
    rows, cols = layout_extent(build_layout(cset, PLACEHOLDER))
    return (base or Limits()).with_extent(rows, cols)


def _score_findings(result: SubmissionResult, ev: Evaluation, decl: Declarations, covered: set[str] | None,
                    found: Findings) -> None:
    cset_leaves = {c.code: c for c in result.identity.layout.cset.commune_leaves()}  # type: ignore[union-attr]
    layout = result.identity.layout  # type: ignore[union-attr]
    blank = 0
    any_input = bool(decl.register) or any(
        i.value not in (None, "") or any(f not in (None, "") for f in i.figures) or not blank_text(i.explanation)
        for i in decl.parsed.values())
    if not any_input:
        found.add("submission.empty")
        return
    for code, leaf in cset_leaves.items():
        res = ev.leaves[code]
        refs = layout.leaves[code]
        inp = decl.parsed.get(code)
        cell = layout.at("grid", refs.score)
        status = res.status
        if status in _STATUS_RULES:
            blank += 1
            found.add(_STATUS_RULES[status], criterion=code, cell=cell)
        elif status == "not_number":
            pass  # already reported while reading, with the text that was typed
        elif status.startswith("score."):
            params = dict(res.problems[0][1])
            found.add(status, criterion=code, cell=cell, got=res.score, max=leaf.max,
                      allowed=params.get("allowed", ""), step=params.get("step", ""))
        elif status.startswith("figures."):
            for rule_id, params in res.problems:
                n = int(params.get("n", 1))  # type: ignore[call-overload]
                fcell = layout.at("grid", refs.figures[n - 1]) if refs.figures else cell
                found.add(rule_id, criterion=code, cell=fcell, n=n, label=params.get("label", ""),
                          got=params.get("value", ""), num=params.get("num", ""), den=params.get("den", ""))
        has_points = res.score is not None and res.score > 0
        evidenced = (code in covered) if covered is not None else res.evidence_count > 0
        if has_points and not evidenced and (inp is None or blank_text(inp.explanation)):
            found.add("evidence.none_for_score", criterion=code, cell=layout.at("grid", refs.explanation),
                      got=res.score)
    if blank:
        found.add("submission.incomplete", count=blank)


def _compare_cached(book: Any, identity: Identity, ev: Evaluation, found: Findings) -> None:
    """Where the file holds formula results, they must equal the recomputation (else: warn, use ours)."""
    layout = identity.layout
    grid = layout.sheets["grid"]
    checks: list[tuple[str, int, int, Any]] = []
    for code, refs in layout.leaves.items():
        if not refs.score_is_input and code in ev.leaves and ev.leaves[code].score is not None:
            cell = layout.cell_at("grid", refs.score)
            assert cell is not None  # (the layout put every score cell it refers to)
            checks.append((refs.score, cell.row, cell.col, ev.leaves[code].score))
    total = layout.named_cell("TONG_DIEM")
    assert total is not None
    checks.append((total.ref, total.row, total.col, ev.total))
    for ref, row, col, want in checks:
        got = book.value(grid, row, col)
        try:
            cached = to_decimal(got) if isinstance(got, int | float) else None
        except (TypeError, NumberRangeError):  # (a bool, or NaN, ±1E+400: no cached result to compare)
            cached = None
        if cached is not None and abs(cached - want) > Decimal("0.005"):
            found.add("cache.mismatch", cell=layout.at("grid", ref), got=cached, value=want)


_CODE_IN_NAME = re.compile(r"(?<!\d)(\d{5})(?!\d)")


class CommuneNames:
    """The communes' file-name slugs, made once per run: a file name is checked against 10,600 communes
    by looking up its own substrings (a few hundred), not by slugifying every commune per file."""

    def __init__(self, communes: dict[str, Commune]):
        self.by_slug: dict[str, list[Commune]] = {}
        for c in communes.values():
            if c.slug:
                self.by_slug.setdefault(c.slug, []).append(c)
        self.longest = max(map(len, self.by_slug), default=0)

    def named_in(self, stem: str) -> list[Commune]:
        """Communes whose slug occurs in `stem` (anywhere, as `slug in stem`)."""
        found: list[Commune] = []
        seen: set[str] = set()
        for i in range(len(stem)):
            for j in range(i + 1, min(len(stem), i + self.longest) + 1):
                part = stem[i:j]
                if part in self.by_slug and part not in seen:
                    seen.add(part)
                    found.extend(self.by_slug[part])
        return found


def _check_file_name(result: SubmissionResult, names: CommuneNames, found: Findings) -> None:
    commune = result.commune
    if commune is None:
        return
    stem = slugify(result.path.stem)
    codes = _CODE_IN_NAME.findall(result.path.stem)
    other_code = any(c != commune.code for c in codes)
    own_slug = commune.slug
    own_named = commune.code in codes or (own_slug and own_slug in stem)
    other_named = any(c.code != commune.code and c.slug not in own_slug for c in names.named_in(stem))
    if other_code or (other_named and not own_named):
        found.add("file.name_mismatch", file=shown_name(result.path.name), commune=f"{commune.code} {commune.display}")


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
        self.cset, self.settings, self.communes = cset, settings, communes
        self.received_at, self.evidence_hook = received_at, evidence_hook
        self.limits = limits or import_limits(cset)
        self.names = CommuneNames(communes)

    def __call__(self, cand: Candidate, shown: str) -> SubmissionResult:
        try:
            return import_file(cand, shown, self.cset, self.settings, self.communes, self.received_at,
                               self.evidence_hook, self.limits, names=self.names)
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


_MODIFIED = re.compile(rb"<(?:\w+:)?modified\b[^>]*>\s*([0-9T:.\-+Z ]{10,40})\s*</(?:\w+:)?modified>")


def saved_at(parts: dict[str, bytes]) -> str | None:
    """The workbook's own save time from docProps/core.xml (dcterms:modified), as UTC ISO text; None when
    it has none or none that reads as a time."""
    core = parts.get("docProps/core.xml")
    m = _MODIFIED.search(core) if core else None
    if m is None:
        return None
    try:
        when = dt.datetime.fromisoformat(m[1].decode("ascii").strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    return when.isoformat()


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
