"""A deterministic simulated appraisal council for the demo: district-scored points, a few lowered
scores with their reasons, bonus and penalty items, the appraiser's name; then the explanation round: the
communes' answers (with added evidence) and the council's round 2."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

import openpyxl

from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.templates import template

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


# -- the explanation round (giải trình) --------------------------------------------------------------
EXPLANATIONS = [
    "Đơn vị đã thực hiện đầy đủ; văn bản chứng minh gửi kèm",
    "Số liệu kê khai đúng theo báo cáo đã gửi huyện; đề nghị Hội đồng xem xét lại",
]


def fill_answers(src: Path, target: Path, seed: str, index: int, issued: dt.date) -> bool:
    """A commune's answer workbook as its officer fills it: the first commune (index 0) explains every item with
    added evidence, the second agrees, the third sends nothing; the others at random. False: nothing sent."""
    from cchc_xl.samplegen.pdfs import DocSpec, scan_pdf

    rng = random.Random(f"answer-{seed}")
    choice = ("explain", "agree", "silent")[index] if index < 3 else rng.choice(("explain", "agree", "agree", "silent"))
    if choice == "silent":
        return False
    wb = openpyxl.load_workbook(src)

    def cell(name: str) -> openpyxl.cell.Cell:
        ((sheet, ref),) = list(wb.defined_names[name].destinations)
        return wb[sheet][ref.replace("$", "")]

    cell("NGUOI_TRA_LOI").value = "Hà Văn Tâm, Chủ tịch UBND xã"
    keys = sorted(n.removeprefix("TL_") for n in wb.defined_names if n.startswith("TL_"))
    register = wb[template("answer").sheets.register]
    evidence = target.parent / target.stem
    row = 5
    for n, key in enumerate(keys):
        explain = choice == "explain" and (index == 0 or n == 0)
        cell(f"TL_{key}").value = "Giải trình" if explain else "Đồng ý"
        if not explain:
            continue
        cell(f"GTR_{key}").value = rng.choice(EXPLANATIONS)
        number = f"{20 + n}/BC-UBND"
        name = f"{20 + n}-BC-UBND.pdf"
        answer = cell(f"TL_{key}")
        code = answer.parent.cell(row=answer.row, column=1).value  # the item's code, first column
        for col, value in enumerate((code, number, dt.datetime.combine(issued, dt.time()), "UBND xã",
                                     "Báo cáo bổ sung kết quả thực hiện", name), start=1):
            register.cell(row=row, column=col, value=value)
        row += 1
        evidence.mkdir(parents=True, exist_ok=True)
        (evidence / name).write_bytes(scan_pdf(seed=n, spec=DocSpec(kind="BÁO CÁO", number=number, issued=issued)))
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return True


def fill_round2(src: Path, target: Path, cset: CriteriaSet, seed: str) -> None:
    """The council's round 2: each contested item restored to the commune's self score or upheld, by turns."""
    rng = random.Random(f"round2-{seed}")
    wb = openpyxl.load_workbook(src)

    def cell(name: str) -> openpyxl.cell.Cell:
        ((sheet, ref),) = list(wb.defined_names[name].destinations)
        return wb[sheet][ref.replace("$", "")]

    cell("NGUOI_THAM_DINH").value = "Lò Văn Bình"
    restore = rng.random() < 0.5
    for leaf in cset.commune_leaves():
        score = cell(f"TD_{leaf.name_key}")
        if score.protection.locked:
            continue
        self_points = score.parent.cell(row=score.row, column=4).value  # the "Điểm tự đánh giá" column
        if restore and isinstance(self_points, int | float):
            score.value = self_points
            cell(f"LD_{leaf.name_key}").value = "Chấp nhận giải trình và TLKC bổ sung của đơn vị"
        else:
            cell(f"LD_{leaf.name_key}").value = "TLKC bổ sung chưa chứng minh được kết quả: giữ kết quả vòng 1"
        restore = not restore
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
