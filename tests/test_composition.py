"""Score composition as data: points the body scores, and the "rescale when the body scores none of its
items" rule some provinces use, the same in Python and in the council's workbook (and in LibreOffice)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from cchc_xl.appraisal.scores import AppraisalInputs, evaluate_appraisal
from cchc_xl.appraisal.workbook import AppraisalWorkbookWriter, SubmissionView, build_appraisal_layout
from cchc_xl.communes import Commune
from cchc_xl.criteria.load import build
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.scoring import LeafInput, evaluate, excel_rescaled, rescaled
from cchc_xl.settings import Settings
from criteria_tables import excel_eval, raw_set

D = Decimal

# 70 points the commune scores, 30 the province scores; without the survey the 70 count for 100.
RESCALING = """
| level | code | title        | max   | rule            |
| area  | 1    | Tự chấm      | 70    |                 |
| crit  | 1.1  | Kế hoạch     | 69.75 | manual step=0.25 |
| crit  | 1.2  | Báo cáo quý  | 0.25  | done            |
| area  | 2    | Hài lòng     | 30    |                 |
| crit  | 2.1  | Điều tra     | 27.25 | district        |
| crit  | 2.2  | SIPAS        | 2.75  | district        |
| bonus | T1   | Sáng kiến    | 1     |                 |
"""
COMMUNE = Commune(code="14119", name="Mường Bú", kind="xã")


def rescaling_set(rescale: bool = True) -> CriteriaSet:
    return build(raw_set(RESCALING, total=100, bonus_cap=2, rescale_unscored=rescale))


def view(scores: dict[str, Decimal | None]) -> SubmissionView:
    return SubmissionView(id=1, sha256="0" * 64, file_name="14119-muong-bu.xlsx", scores=scores, figures={},
                          explanations={}, evidence={}, evidence_links={}, findings={})


# (council's points for 1.1, 1.2, 2.1, 2.2; bonus count) -> areas' total, final total
CASES = [
    ((D("52.5"), D("0.25"), None, None, 0), D("75.36"), D("75.36")),  # 52.75 × 100 / 70, no survey held
    ((D("52.5"), D("0.25"), None, None, 1), D("75.36"), D("76.36")),
    ((D("69.75"), D("0.25"), None, None, 2), D("100.00"), D("102.00")),
    ((D("52.5"), D("0.25"), D("20"), None, 0), D("72.75"), D("72.75")),  # the survey held: no rescaling
    ((D("52.5"), D("0.25"), D("0"), D("0"), 0), D("52.75"), D("52.75")),  # scored 0 is scored
]


def _inputs(points: tuple[Decimal | None, ...], count: int) -> AppraisalInputs:
    codes = ("1.1", "1.2", "2.1", "2.2")
    return AppraisalInputs(scores=dict(zip(codes, points, strict=True)), counts={"T1": D(count)})


@pytest.mark.parametrize(("given", "areas", "total"), CASES)
def test_the_final_total_rescales_when_the_body_scored_nothing(given: tuple, areas: Decimal,  # type: ignore[type-arg]
                                                               total: Decimal) -> None:
    *points, count = given
    res = evaluate_appraisal(rescaling_set(), {}, _inputs(tuple(points), count))
    assert (res.areas_total, res.total) == (areas, total)
    plain = evaluate_appraisal(rescaling_set(rescale=False), {}, _inputs(tuple(points), count))
    assert plain.areas_total == sum((p or D(0) for p in points), D(0))


@pytest.mark.parametrize(("body", "want"), [((None, None), D("75.36")), ((D("3"), None), D("52.75")),
                                            ((D("0"), D("0")), D("52.75"))])
def test_python_and_the_formula_rescale_alike(body: tuple[Decimal | None, Decimal | None], want: Decimal) -> None:
    cset = rescaling_set()
    formula = excel_rescaled(cset, "A1", ["B1", "B2"])
    got = excel_eval(formula, {"A1": D("52.75"), "B1": body[0], "B2": body[1]})
    assert got == rescaled(cset, D("52.75"), any(b is not None for b in body)) == want
    assert excel_rescaled(rescaling_set(rescale=False), "A1", ["B1", "B2"]) == "A1"


def test_a_commune_with_district_scored_points_gets_no_tier_on_its_partial_total() -> None:
    cset = rescaling_set(rescale=False)
    ev = evaluate(cset, {"1.1": LeafInput(value=D("69.75")), "1.2": LeafInput(value=D("0.25"))})
    assert ev.total == D("70.00") and ev.tier == ""


@pytest.mark.libreoffice
@pytest.mark.parametrize(("given", "areas", "total"), CASES[:2] + CASES[3:4])
def test_the_council_workbook_rescales_as_python_in_libreoffice(given: tuple, areas: Decimal,  # type: ignore[type-arg]
                                                                total: Decimal, tmp_path: Path,
                                                                settings: Settings) -> None:
    from cchc_xl.office import convert
    from workbook_fill import NamedValues, as_points

    *points, count = given
    cset = rescaling_set()
    inputs = _inputs(tuple(points), count)
    layout = build_appraisal_layout(cset, COMMUNE, view({"1.1": D("69.75"), "1.2": D("0.25")}), inputs)
    path = tmp_path / "14119-muong-bu-tham-dinh.xlsx"
    AppraisalWorkbookWriter(layout, settings).write(path)
    (recalculated,) = convert([path], "xlsx", tmp_path / "lo")
    values = NamedValues(recalculated)
    assert as_points(values["TONG_LINH_VUC"]) == areas
    assert as_points(values["TONG_TD"]) == total
    assert as_points(NamedValues(path)["TONG_TD"]) == total  # the cached result, before recalculation
    texts = [c.value for c in layout.cells if isinstance(c.value, str)]
    assert any("quy đổi = điểm đạt × 100 ÷ 70" in t for t in texts)  # the council sees how it is made


# A set the commune scores whole: its workbook shows the tier, on every threshold as Python computes it.
WHOLE = """
| level | code | title       | max | rule             |
| area  | 1    | Tự chấm     | 10  |                  |
| crit  | 1.1  | Kế hoạch    | 9.5 | manual step=0.25 |
| crit  | 1.2  | Báo cáo quý | 0.5 | done             |
"""


@pytest.mark.libreoffice
def test_a_set_the_commune_scores_whole_shows_its_tier_in_libreoffice(tmp_path: Path, settings: Settings) -> None:
    import openpyxl

    from cchc_xl.office import convert
    from cchc_xl.workbook.generate import generate_one
    from workbook_fill import NamedValues, as_points

    cset = build(raw_set(WHOLE, total=10, tiers=[("Tốt", 8), ("Khá", "6.5"), ("Yếu", 0)]))
    assert cset.body_max == 0
    blank = generate_one(cset, COMMUNE, tmp_path / "blank", settings)
    totals = [D("8"), D("7.75"), D("6.5"), D("6.25"), D("0")]
    filled = []
    for i, total in enumerate(totals):
        wb = openpyxl.load_workbook(blank)
        for name, value in (("TDG_1_1", total), ("GT_1_1", "Có văn bản lưu tại UBND xã.")):
            ((sheet, ref),) = list(wb.defined_names[name].destinations)
            wb[sheet][ref.replace("$", "")].value = float(value) if isinstance(value, Decimal) else value
        filled.append(tmp_path / f"{i}.xlsx")
        wb.save(filled[-1])
    for path, total in zip(convert(filled, "xlsx", tmp_path / "lo"), totals, strict=True):
        values = NamedValues(path)
        ev = evaluate(cset, {"1.1": LeafInput(value=total, explanation="x")})
        assert as_points(values["TONG_DIEM"]) == ev.total == total
        assert values["XEP_LOAI"] == ev.tier and ev.tier in {"Tốt", "Khá", "Yếu"}
    assert {evaluate(cset, {"1.1": LeafInput(value=t)}).tier for t in totals} == {"Tốt", "Khá", "Yếu"}
