"""Deterministic simulated returns for the demo: commune workbooks filled the way communes fill them,
with evidence folders or zips of generated PDFs, and some typical mistakes planted on purpose."""

from __future__ import annotations

import datetime as dt
import random
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl

from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet, Criterion
from cchc_xl.samplegen.pdfs import DocSpec, demo_identity, scan_pdf, sign_pdf, text_pdf
from cchc_xl.templates import template

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


def fill_return(workbook: Path, target: Path, cset: CriteriaSet, commune: Commune, index: int, year: int) -> \
        tuple[list[tuple[str, str, dt.date, str]], PlantedMistake | None]:
    """Fill a generated workbook into `target`; return the documents it cites and the planted mistake."""
    rng = random.Random(commune.code)
    skill = 0.55 + 0.4 * rng.random()
    wb = openpyxl.load_workbook(workbook)

    def cell(name: str) -> openpyxl.cell.Cell:
        (sheet, ref), = list(wb.defined_names[name].destinations)
        return wb[sheet][ref.replace("$", "")]

    mistake = MISTAKES.get(index)
    docs: list[tuple[str, str, dt.date, str]] = []
    leaves = cset.commune_leaves()
    for n, leaf in enumerate(leaves):
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
    kind = mistake[0] if mistake else None
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
        ws = wb["Tự đánh giá"]
        row = next(r for r in ws.iter_rows(min_col=1, max_col=1) if r[0].value == manual.code)[0].row
        ws.cell(row=row, column=list(template("commune")["grid"]["columns"]).index("max") + 1).value = float(
            manual.max + 1)
    reg = wb["Tài liệu kiểm chứng"]
    for i, (code, number, date, file) in enumerate(docs):
        r = 5 + i
        if kind == "date_outside_year" and i == 0:
            date = dt.date(year - 2, 3, 15)
        reg.cell(r, 1).value = code
        reg.cell(r, 2).value = number
        reg.cell(r, 3).value = dt.datetime.combine(date, dt.time())
        reg.cell(r, 4).value = commune.committee
        reg.cell(r, 5).value = f"Báo cáo kết quả thực hiện tiêu chí {code} năm {year}"
        reg.cell(r, 6).value = file
        docs[i] = (code, number, date, file)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    planted = PlantedMistake(commune.code, kind, mistake[1]) if mistake else None
    return docs, planted


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
