"""Deterministic simulated returns for the demo: commune workbooks filled the way communes fill them,
with evidence folders or zips of generated PDFs, and some typical mistakes planted on purpose."""

from __future__ import annotations

import datetime as dt
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet, Criterion
from cchc_xl.samplegen.pdfs import DocSpec, demo_identity, scan_pdf, sign_pdf, text_pdf
from cchc_xl.templates import template
from cchc_xl.workbook.layout import register_columns

# commune index -> the mistake planted in its return (the demo summary names the finding each produces)
MISTAKES = {
    1: ("text_number", "score.text_number"),
    2: ("above_max", "score.above_max"),
    3: ("no_explanation", "evidence.none_for_score"),
    4: ("tampered_max", "tamper.max_changed"),
    5: ("date_outside_year", "register.date_outside_year"),
    6: ("missing_file", "evidence.file_missing"),
}


@dataclass(frozen=True)
class PlantedMistake:
    commune: str
    kind: str
    rule: str


def _value(rng: random.Random, leaf: Criterion, skill: float) -> list[object]:
    """Declared inputs for one leaf: [score] or [figure1, figure2] as a commune would type them."""
    rule = leaf.rule
    assert rule is not None
    if rule.kind in ("done", "levels"):
        allowed = rule.allowed_points(leaf.max) or [leaf.max]
        return [float(allowed[0] if rng.random() < skill else rng.choice(allowed))]
    if rule.kind == "manual":
        steps = int(leaf.max / rule.step())
        return [float(rule.step() * max(0, steps - rng.randint(0, 2 if rng.random() < skill else steps)))]
    if rule.kind == "ratio_tiers":
        den = rng.randint(20, 400)
        return [den - (0 if rng.random() < skill else rng.randint(1, max(1, den // 8))), den]
    if rule.kind == "proportional":
        planned = rng.randint(5, 60)
        return [min(planned, planned - (0 if rng.random() < skill else rng.randint(1, planned))), planned]
    if rule.kind == "count_deduction":
        return [0 if rng.random() < skill else rng.randint(1, 3)]
    return [rng.randint(0, 4)]  # count_award


Doc = tuple[str, str, dt.date, str]  # (criterion code, number, date, file name) of a cited document


def fill_return(workbook: Path, target: Path, cset: CriteriaSet, commune: Commune, index: int, year: int) -> \
        tuple[list[Doc], PlantedMistake | None]:
    """Fill a generated workbook into `target`; return the documents it cites and the planted mistake."""
    wb = openpyxl.load_workbook(workbook)

    def cell(name: str) -> openpyxl.cell.Cell:
        (sheet, ref), = list(wb.defined_names[name].destinations)
        return wb[sheet][ref.replace("$", "")]

    docs = _fill_items(cell, cset, commune, year)
    mistake = MISTAKES.get(index)
    kind = mistake[0] if mistake else None
    _plant(kind, wb, cell, cset, docs, year)
    _write_register(wb, docs, commune, year)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    planted = PlantedMistake(commune.code, kind, mistake[1]) if mistake else None
    return docs, planted


def _fill_items(cell: Callable[[str], Any], cset: CriteriaSet, commune: Commune, year: int) -> list[Doc]:
    """Every item scored as a commune of its own skill would; a document cited for every third item, an
    explanation for the others."""
    rng = random.Random(commune.code)
    skill = 0.55 + 0.4 * rng.random()
    docs: list[Doc] = []
    for n, leaf in enumerate(cset.commune_leaves()):
        values = _value(rng, leaf, skill)
        key = leaf.name_key
        if leaf.rule is not None and leaf.rule.computed:
            for i, v in enumerate(values, start=1):
                cell(f"KK_{key}_{i}").value = v
        else:
            cell(f"TDG_{key}").value = values[0]
        if n % 3 == 0:
            # A few documents serve many criteria, as in real registers (one row per criterion).
            d = len(docs) % 4
            docs.append((leaf.code, f"{10 + d}/BC-UBND", dt.date(year, 3 + 2 * d, 10 + d), f"bao-cao-{d + 1}.pdf"))
        else:
            cell(f"GT_{key}").value = f"Đơn vị tự đánh giá theo kết quả thực hiện năm {year}; hồ sơ lưu tại văn phòng."
    return docs


def _plant(kind: str | None, wb: openpyxl.Workbook, cell: Callable[[str], Any], cset: CriteriaSet,
           docs: list[Doc], year: int) -> None:
    """The demo's planted mistake of this return, if any."""
    leaves = cset.commune_leaves()
    manual = next(leaf for leaf in leaves if leaf.rule is not None and leaf.rule.kind == "manual")
    if kind == "text_number":
        cell(f"TDG_{manual.name_key}").value = str(manual.max / 2).replace(".", ",")
    elif kind == "above_max":
        cell(f"TDG_{manual.name_key}").value = float(manual.max + 1)
    elif kind == "no_explanation":
        leaf = next(c for c in leaves[1:] if c.rule is not None and not c.rule.computed and c.code not in
                    {d[0] for d in docs})
        cell(f"TDG_{leaf.name_key}").value = float(leaf.max)
        cell(f"GT_{leaf.name_key}").value = None
    elif kind == "tampered_max":
        _tamper_max(wb, manual.code, float(manual.max + 1))
    elif kind == "date_outside_year" and docs:
        docs[0] = (*docs[0][:2], dt.date(year - 2, 3, 15), docs[0][3])


def _tamper_max(wb: openpyxl.Workbook, code: str, value: float) -> None:
    """Overwrite the locked maximum of item `code` (a tampered return), found by the layout's columns."""
    t = template("commune")
    columns = t.grid.columns
    ws = wb[t["sheets"]["grid"]]
    code_col = columns["code"].index + 1
    row = next(r for r in ws.iter_rows(min_col=code_col, max_col=code_col) if r[0].value == code)[0].row
    ws.cell(row=row, column=columns["max"].index + 1).value = value


def _write_register(wb: openpyxl.Workbook, docs: list[Doc], commune: Commune,
                    year: int) -> None:
    """The evidence register's rows, each field in its column of the layout."""
    t = template("commune")
    ws, cols, first = wb[t["sheets"]["register"]], register_columns(t), t["register"]["first_row"]
    for i, (code, number, date, file) in enumerate(docs):
        values = {"code": code, "number": number, "date": dt.datetime.combine(date, dt.time()),
                  "issuer": commune.committee, "subject": f"Báo cáo kết quả thực hiện tiêu chí {code} năm {year}",
                  "files": file}
        for key, value in values.items():
            ws.cell(first + i, cols[key] + 1).value = value


def write_evidence(folder: Path, docs: list[tuple[str, str, dt.date, str]], commune: Commune, index: int,
                   as_zip: bool, drop_first: bool) -> Path:
    """PDFs for the cited documents: scans, text PDFs and digitally signed ones, in a folder or a zip."""
    identity = demo_identity(seed=index, name="Nguyễn Văn An", organisation=commune.committee)
    files: dict[str, bytes] = {}
    for i, (code, number, date, name) in enumerate(docs):
        if name in files or (drop_first and name == docs[0][3]):
            continue
        spec = DocSpec(commune=commune.name, kind="BÁO CÁO", number=number, issued=date,
                       subject=f"Kết quả thực hiện tiêu chí {code}", signer="Nguyễn Văn An")
        if i % 2 == 0:
            files[name] = scan_pdf(seed=index * 1000 + i, pages=1, spec=spec)
        else:
            files[name] = sign_pdf(text_pdf(seed=i, pages=1, spec=spec), identity)
    if as_zip:
        target = folder.with_suffix(".zip")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in files.items():
                zf.writestr(name, data)
        return target
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


__all__ = ["MISTAKES", "Decimal", "PlantedMistake", "fill_return", "write_evidence"]
