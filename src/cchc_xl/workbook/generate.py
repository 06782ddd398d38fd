"""`cchc-xl generate`: one protected workbook per commune."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.settings import Settings
from cchc_xl.workbook.layout import Declared, build_layout
from cchc_xl.workbook.writer import CommuneWorkbookWriter


def workbook_name(commune: Commune) -> str:
    return f"{commune.code}-{commune.slug}.xlsx"


def generate_one(cset: CriteriaSet, commune: Commune, out_dir: Path, settings: Settings,
                 declared: Declared | None = None, generated_at: dt.datetime | None = None,
                 name: str | None = None) -> Path:
    path = out_dir / (name or workbook_name(commune))
    CommuneWorkbookWriter(build_layout(cset, commune, declared), settings, generated_at).write(path)
    return path
