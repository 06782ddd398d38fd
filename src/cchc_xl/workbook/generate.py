"""`cchc-xl generate`: one protected workbook per commune.

A blank workbook (the `generate` command's case) comes from the set's `CommuneWorkbookPackage`, rendered
once per criteria set and settings; a workbook with declared inputs, or a commune whose texts the package
cannot take, is built and written cell by cell. Both give the same file, part for part.

`generate_round`: a round's workbooks, all carrying the run's time, made by `jobs` processes (a batch of
communes per item: a workbook takes 2 ms) after the package is rendered in this one (the workers start
with it); a workbook that cannot be written (open in Excel, a full disk) is named and stops no other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.identity import NEUTRAL, RoundIdentity
from cchc_xl.messages import error_detail
from cchc_xl.safeio import output_stem
from cchc_xl.settings import Settings
from cchc_xl.workbook.layout import Declared, build_layout, build_layout_uncached, layout_template, workbook_identity
from cchc_xl.workbook.writer import CommuneWorkbookPackage, CommuneWorkbookWriter, PackageMismatch
from cchc_xl.workers import in_workers

BATCH = 32  # communes per item handed to a worker


def workbook_name(commune: Commune) -> str:
    return f"{output_stem(commune.code, commune.name)}.xlsx"


def generate_one(cset: CriteriaSet, commune: Commune, out_dir: Path, settings: Settings,
                 declared: Declared | None = None, generated_at: dt.datetime | None = None,
                 name: str | None = None, identity: RoundIdentity = NEUTRAL) -> Path:
    """`commune`'s workbook of the round of `identity` (whose body its texts name)."""
    path = out_dir / (name or workbook_name(commune))
    if declared is None or declared == Declared():
        package = commune_package(cset, settings, identity)
        if package is not None and package.write(commune, path, generated_at) is not None:
            return path
    CommuneWorkbookWriter(build_layout(cset, commune, declared, identity), settings, generated_at).write(path)
    return path


def generate_one_uncached(cset: CriteriaSet, commune: Commune, out_dir: Path, settings: Settings,
                          declared: Declared | None = None, generated_at: dt.datetime | None = None,
                          name: str | None = None, identity: RoundIdentity = NEUTRAL) -> Path:
    """The straightforward way: every cell built and written for this commune alone (the reference the
    equivalence tests and the benchmark compare against)."""
    path = out_dir / (name or workbook_name(commune))
    CommuneWorkbookWriter(build_layout_uncached(cset, commune, declared, identity), settings, generated_at).write(path)
    return path


_PACKAGES: dict[tuple[int, Settings, RoundIdentity], tuple[CriteriaSet, CommuneWorkbookPackage | None]] = {}


def commune_package(cset: CriteriaSet, settings: Settings,
                    identity: RoundIdentity = NEUTRAL) -> CommuneWorkbookPackage | None:
    """The set's package for these settings and body, made on first use (None if the set cannot be packaged)."""
    identity = workbook_identity(identity)
    key = (id(cset), settings, identity)
    hit = _PACKAGES.get(key)
    if hit is None or hit[0] is not cset:  # the entry holds the set, so its id is not reused while cached
        try:
            package: CommuneWorkbookPackage | None = CommuneWorkbookPackage(layout_template(cset, identity), settings)
        except PackageMismatch:
            package = None
        if len(_PACKAGES) >= 8:
            _PACKAGES.pop(next(iter(_PACKAGES)))
        hit = _PACKAGES[key] = (cset, package)
    return hit[1]


@dataclass(frozen=True)
class Generated:
    """One commune's workbook: its path, or why it could not be written (`path` None)."""

    commune: Commune
    path: Path | None
    why: str = ""


@dataclass(frozen=True)
class WorkbookMaker:
    """Writes a batch of the round's workbooks (in a worker process, or in this one)."""

    cset: CriteriaSet
    out_dir: Path
    settings: Settings
    identity: RoundIdentity
    generated_at: dt.datetime

    def __call__(self, communes: Sequence[Commune]) -> list[Generated]:
        done = []
        for commune in communes:
            try:
                path = generate_one(self.cset, commune, self.out_dir, self.settings,
                                    generated_at=self.generated_at, identity=self.identity)
            except OSError as exc:  # this file (open elsewhere, disk full): named, the others still written
                done.append(Generated(commune, None, error_detail(exc)))
            else:
                done.append(Generated(commune, path))
        return done


def generate_round(cset: CriteriaSet, communes: Sequence[Commune], out_dir: Path, settings: Settings,
                   identity: RoundIdentity = NEUTRAL, jobs: int = 1,
                   generated_at: dt.datetime | None = None) -> Iterator[Generated]:
    """Each commune's workbook in `out_dir`, in the communes' order, by `jobs` processes; the files are a
    one-process run's. OSError when `out_dir` cannot be made; workers.WorkerDied when a worker process died
    (the workbooks written so far stay)."""
    out_dir.mkdir(parents=True, exist_ok=True)  # (a folder that cannot be made: one error, not one a workbook)
    maker = WorkbookMaker(cset, out_dir, settings, identity, generated_at or dt.datetime.now(dt.UTC))
    batches = [communes[i:i + BATCH] for i in range(0, len(communes), BATCH)]
    if jobs > 1 and len(batches) > 1:
        commune_package(cset, settings, identity)  # rendered here, once: the workers start with it
    for done in in_workers(batches, maker, min(jobs, len(batches))):
        yield from done
