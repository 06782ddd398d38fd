"""A deterministic simulated appraisal council for the demo: district-scored points, a few lowered
scores with their reasons, bonus and penalty items, the appraiser's name."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import openpyxl

from cchc_xl.criteria.model import CriteriaSet

REASONS = [
    "Tài liệu kiểm chứng chưa thể hiện đầy đủ kết quả thực hiện",
    "Văn bản ban hành chậm so với thời hạn quy định",
    "Số liệu kê khai chưa khớp với báo cáo của đơn vị",
]


def fill_appraisal(src: Path, target: Path, cset: CriteriaSet, seed: str) -> None:
    rng = random.Random(f"council-{seed}")
    wb = openpyxl.load_workbook(src)

    def cell(name: str) -> openpyxl.cell.Cell:
        ((sheet, ref),) = list(wb.defined_names[name].destinations)
        return wb[sheet][ref.replace("$", "")]

    cell("NGUOI_THAM_DINH").value = "Lò Văn Bình"
    for leaf in cset.leaves():
        rule = leaf.rule
        assert rule is not None
        key = leaf.name_key
        if leaf.scored_by == "district":
            steps = int(leaf.max / Decimal("0.25"))
            cell(f"TD_{key}").value = float(Decimal("0.25") * rng.randint(steps // 2, steps))
            continue
        current = cell(f"TD_{key}").value
        allowed = rule.allowed_points(leaf.max)
        if current and rng.random() < 0.08:
            lower = [a for a in (allowed or []) if a < Decimal(repr(current))]
            if allowed is None:
                lower = [max(Decimal(0), Decimal(repr(current)) - rule.step() * 2)]
            if lower:
                cell(f"TD_{key}").value = float(lower[0])
                cell(f"LD_{key}").value = rng.choice(REASONS)
    if cset.bonus and cset.bonus.items and rng.random() < 0.3:
        cell(f"TH_{cset.bonus.items[0].code}").value = 1
    if cset.penalty and cset.penalty.items and rng.random() < 0.2:
        cell(f"TR_{cset.penalty.items[-1].code}").value = 1
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
