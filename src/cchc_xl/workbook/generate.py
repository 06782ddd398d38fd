"""`cchc-xl generate`: one protected workbook per commune.

A blank workbook (the `generate` command's case) comes from the set's `CommuneWorkbookPackage`, rendered
once per criteria set and settings; a workbook with declared inputs, or a commune whose texts the package
cannot take, is built and written cell by cell. Both give the same file, part for part.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.identity import NEUTRAL, RoundIdentity
from cchc_xl.safeio import output_stem
from cchc_xl.settings import Settings
from cchc_xl.workbook.layout import Declared, build_layout, build_layout_uncached, layout_template, workbook_identity
from cchc_xl.workbook.writer import CommuneWorkbookPackage, CommuneWorkbookWriter, PackageMismatch


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
