"""A returned workbook imported in stages, each taking one input and returning one output:

    Source ─verdict─► Checked ─book─► Opened ─identify─► Identified ─declare─► Declared ─evaluate─► Evaluated
           ─findings─► Imported (frozen)

The first two are the same for every kind of workbook (the container check before any parser, then the
reader); a `WorkbookKind` brings the others: the commune workbook (`importing/commune.py`) and the council's
appraisal workbook (`appraisal/round.py`). A stage that refuses the file returns None, its finding added;
the result then holds what the stages before it made. Every stage adds its findings, in order, to the one
bounded list the source carries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from xlsxwriter.utility import xl_rowcol_to_cell

from cchc_xl.importing.discover import shown_name
from cchc_xl.importing.findings import Findings
from cchc_xl.messages import say
from cchc_xl.reading.book import Book, BookError, read_book
from cchc_xl.reading.safety import Limits, SafetyVerdict, inspect_container
from cchc_xl.records import Finding, Problem

Id = TypeVar("Id")  # the kind's identity: whose workbook it is, and the layout it must have
De = TypeVar("De")  # what the file declares
Ev = TypeVar("Ev")  # the recomputation from the declarations
R = TypeVar("R", bound="Checked")


@dataclass(frozen=True, kw_only=True)
class Source:
    """The file as received: its path, its size, the limits it is checked against, its evidence folder or
    zip (`<stem>/`, `<stem>.zip`) when one came with it, its bytes when read already (the bytes hashed are
    then the bytes checked and parsed) and the findings collected for it."""

    path: Path
    size: int
    limits: Limits
    evidence: Path | None = None
    found: Findings = field(default_factory=Findings)
    data: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, kw_only=True)
class Checked:
    """Verdict stage: the container check's verdict (`refused`: its finding is added, nothing reads the file)."""

    source: Source
    verdict: SafetyVerdict

    @property
    def found(self) -> Findings:
        return self.source.found

    @property
    def refused(self) -> bool:
        return self.verdict.problem is not None

    def then(self, cls: type[R], **new: Any) -> R:
        """The next stage's record: this one's fields and the stage's own."""
        return cls(**{f.name: getattr(self, f.name) for f in fields(self)}, **new)


@dataclass(frozen=True, kw_only=True)
class Opened(Checked):
    """Book stage: the reader's view of the file (values; formulas, validations and names where it has them)."""

    book: Book


@dataclass(frozen=True, kw_only=True)
class Identified(Opened, Generic[Id]):
    """Identity stage: whose workbook it is. `complete` False: known, but the file goes no further (another
    criteria set, a layout that cannot be rebuilt, a second file of the commune)."""

    identity: Id
    complete: bool = True


@dataclass(frozen=True, kw_only=True)
class Declared(Identified[Id], Generic[Id, De]):
    """Declarations stage: the locked cells compared with the layout, the inputs read at its cells."""

    declarations: De


@dataclass(frozen=True, kw_only=True)
class Evaluated(Declared[Id, De], Generic[Id, De, Ev]):
    """Evaluation stage: the scores recomputed from the declarations (never the file's formulas)."""

    evaluation: Ev


@dataclass(frozen=True)
class Imported(Generic[Id, De, Ev]):
    """One file's import, whatever stage it reached. `failure`: an exception a stage raised (a fault of this
    program, never of the file), for the caller to report as it reports other failures."""

    saved_at: str | None = None  # the workbook's own save time (docProps/core.xml), UTC ISO
    identity: Id | None = None
    declarations: De | None = None
    evaluation: Ev | None = None
    findings: tuple[Finding, ...] = ()
    failure: Exception | None = None


class WorkbookKind(Protocol[Id, De, Ev]):
    """What one kind of returned workbook brings to the stages (its layout and signed keys sit in its
    identity stage: the meta it reads, the keys it verifies, the layout it rebuilds)."""

    limits: Limits  # the container limits: cells bounded to the kind's layout extent

    def identify(self, opened: Opened) -> Identified[Id] | None: ...

    def declare(self, identified: Identified[Id]) -> Declared[Id, De] | None: ...

    def evaluate(self, declared: Declared[Id, De]) -> Evaluated[Id, De, Ev]: ...

    def findings(self, evaluated: Evaluated[Id, De, Ev]) -> list[Finding]:
        """The findings of the recomputed file (its scores, its evidence, its cached results), in order."""
        ...


def import_workbook(kind: WorkbookKind[Id, De, Ev], source: Source) -> Imported[Id, De, Ev]:
    """Every stage in turn, as far as the file goes."""
    reached: Checked | None = None
    try:
        reached = checked = check(source)
        opened = None if checked.refused else read(checked)
        if opened is None:
            return result(checked)
        reached = identified = kind.identify(opened)
        if identified is None or not identified.complete:
            return result(identified or opened)
        declared = kind.declare(identified)
        if declared is None:
            return result(identified)
        reached = evaluated = kind.evaluate(declared)
        source.found.extend(kind.findings(evaluated))
        return result(evaluated)
    except Exception as exc:  # a program fault inside a stage: the caller decides (one file never stops a batch)
        return result(reached or source, exc)


def result(reached: Source | Checked, failure: Exception | None = None) -> Imported[Any, Any, Any]:
    """The frozen result of the last stage reached (its book and the container's parts left behind)."""
    if isinstance(reached, Source):
        return Imported(findings=tuple(reached.found.items), failure=failure)
    return Imported(saved_at=None if reached.refused else saved_at(reached.verdict.parts),
                    identity=getattr(reached, "identity", None),
                    declarations=getattr(reached, "declarations", None),
                    evaluation=getattr(reached, "evaluation", None), findings=tuple(reached.found.items),
                    failure=failure)


def unbounded() -> Findings:
    """A stage's own findings, all kept: the source's list bounds them when they are added to it."""
    return Findings(limit=1 << 62)


# -- the stages every kind shares ------------------------------------------------------------------
def check(source: Source) -> Checked:
    """Verdict stage: the container check (size, entries, cell extent, XML entities) before any parser."""
    verdict = inspect_container(source.path, source.limits, source.data)
    if verdict.problem:
        add_verdict(source.found, verdict, source.size, source.limits)
    return Checked(source=source, verdict=verdict)


def read(checked: Checked) -> Opened | None:
    """Book stage: the file read (from the bytes the container check had, when it had them)."""
    path, verdict = checked.source.path, checked.verdict
    try:
        book = read_book(path, verdict.kind, verdict.parts, checked.source.data)
    except BookError:
        checked.found.add("file.unreadable",
                          detail=say("file.detail.book", fmt=shown_name(path.suffix.lower()) or "?"))
        return None
    return checked.then(Opened, book=book)


def open_book(path: Path, limits: Limits, found: Findings, size: int | None = None,
              data: bytes | None = None) -> tuple[SafetyVerdict, Book | None]:
    """The verdict and book stages for a caller that runs its own (the answer workbook): the verdict, and
    the book or None when either stage refused the file, with its finding added."""
    checked = check(Source(path=path, size=path.stat().st_size if size is None else size, limits=limits,
                           found=found, data=data))
    opened = None if checked.refused else read(checked)
    return checked.verdict, None if opened is None else opened.book


def add_verdict(found: Findings, verdict: SafetyVerdict, size: int, limits: Limits) -> None:
    """The finding of a file the container check refused."""
    problem = verdict.problem or Problem("file.corrupt")
    found.add(problem.rule, detail=problem.params.get("detail", ""), size=size, limit=limits.max_file_bytes,
              last_cell=xl_rowcol_to_cell(limits.max_row - 1, limits.max_col - 1))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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

