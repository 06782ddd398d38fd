"""Property tests of every rule kind (hypothesis); the rounding boundary against a real spreadsheet engine.

For valid parameters and inputs: 0 <= points <= max, at most two decimals, monotonic where the rule is,
equal to an independent exact computation (fractions, half away from zero), equal to the rule's own Excel
formula, and accepted by the rule's own value check. Input kinds: the Python and the Excel checks agree.
"""

from __future__ import annotations

import csv
import random
import shutil
import subprocess
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cchc_xl.criteria.rules import (
    CountAwardRule,
    CountDeductionRule,
    DistrictRule,
    DoneRule,
    Level,
    LevelsRule,
    ManualRule,
    ProportionalRule,
    RatioTiersRule,
    Tier,
)
from conftest import examples
from criteria_tables import excel_eval, excel_flags

D = Decimal
CENT = D("0.01")
PROPS = settings(max_examples=examples(200, 25), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def half_up(x: Fraction) -> Decimal:
    """Exact x rounded to cents, half away from zero, computed without Decimal's quantize."""
    sign = -1 if x < 0 else 1
    cents = int(abs(x) * 100 + Fraction(1, 2))  # floor for non-negative
    return D(sign * cents).scaleb(-2)


def frac(d: Decimal) -> Fraction:
    return Fraction(d)


def two_decimals(d: Decimal) -> bool:
    return d == d.quantize(CENT)


cents = st.integers(min_value=1, max_value=2000).map(lambda n: D(n).scaleb(-2))  # 0.01 .. 20.00
thousandths = st.integers(min_value=1, max_value=5000).map(lambda n: D(n).scaleb(-3))


def sheet(rule: Any, maximum: Decimal, figures: list[Decimal]) -> Any:
    refs = [f"K{i}" for i in range(1, len(figures) + 1)]
    return excel_eval(rule.excel_points(maximum, refs), dict(zip(refs, figures, strict=True)))


# -- ratio tiers --------------------------------------------------------------------------------------
@st.composite
def ratio_rules(draw: st.DrawFn) -> tuple[RatioTiersRule, Decimal]:
    maximum = draw(cents)
    n = draw(st.integers(1, 4))
    percents = sorted(draw(st.sets(st.integers(0, 10000), min_size=n, max_size=n)), reverse=True)
    points = [maximum]
    for _ in percents[1:]:
        points.append(D(draw(st.integers(0, int(points[-1] * 100)))).scaleb(-2))
    when_zero = draw(st.none() | st.integers(0, int(maximum * 100)).map(lambda c: D(c).scaleb(-2)))
    tiers = [Tier(min_percent=D(p).scaleb(-2), points=v) for p, v in zip(percents, points, strict=True)]
    rule = RatioTiersRule(kind="ratio_tiers", numerator="đúng hạn", denominator="tổng số",
                          when_zero=when_zero, tiers=tiers)
    assert rule.param_problems(maximum) == []
    return rule, maximum


@PROPS
@given(ratio_rules(), st.integers(0, 400), st.data())
def test_ratio_tiers_properties(rm: tuple[RatioTiersRule, Decimal], den: int, data: st.DataObject) -> None:
    rule, maximum = rm
    num = data.draw(st.integers(0, den))
    figures = [D(num), D(den)]
    p = rule.points(maximum, figures)
    assert 0 <= p <= maximum
    assert two_decimals(p)
    assert p in rule.allowed_points(maximum)
    assert rule.value_problems(maximum, p) == []
    assert rule.figure_problems(figures) == []
    assert p == sheet(rule, maximum, figures)
    # independent: the first tier whose threshold the exact percentage reaches
    if den == 0:
        expected = maximum if rule.when_zero is None else rule.when_zero
    else:
        share = Fraction(num, den) * 100
        expected = next((t.points for t in rule.tiers if share >= frac(t.min_percent)), D(0))
    assert p == expected
    # monotonic in the numerator
    if num < den:
        assert rule.points(maximum, [D(num + 1), D(den)]) >= p


# -- proportional ---------------------------------------------------------------------------------------
@PROPS
@given(cents, st.integers(1, 1000), st.integers(0, 1200), st.none() | st.just(D(0)))
def test_proportional_properties(maximum: Decimal, planned: int, achieved: int,
                                 when_zero: Decimal | None) -> None:
    rule = ProportionalRule(kind="proportional", achieved="đạt", planned="kế hoạch", when_zero=when_zero)
    figures = [D(achieved), D(planned)]
    p = rule.points(maximum, figures)
    assert 0 <= p <= maximum
    assert two_decimals(p)
    assert rule.value_problems(maximum, p) == []
    assert p == half_up(frac(maximum) * min(achieved, planned) / planned)
    assert p == sheet(rule, maximum, figures)
    assert rule.points(maximum, [D(achieved + 1), D(planned)]) >= p  # monotonic in achieved
    assert rule.points(maximum, [D(0), D(0)]) == (maximum if when_zero is None else when_zero)


@PROPS
@given(cents, st.integers(1, 10000), st.integers(0, 10000))
def test_proportional_with_decimal_figures(maximum: Decimal, planned10: int, achieved10: int) -> None:
    rule = ProportionalRule(kind="proportional", achieved="đạt", planned="kế hoạch", integer=False)
    figures = [D(achieved10).scaleb(-1), D(planned10).scaleb(-1)]
    assert rule.figure_problems(figures) == []
    p = rule.points(maximum, figures)
    assert 0 <= p <= maximum and two_decimals(p)
    assert p == half_up(frac(maximum) * min(achieved10, planned10) / planned10)
    assert p == sheet(rule, maximum, figures)


@st.composite
def proportional_ties(draw: st.DrawFn) -> tuple[Decimal, int, int]:
    """(max, achieved, planned) with max × achieved ÷ planned having exactly 3 decimals, the last a 5."""
    family = draw(st.sampled_from(["half", "eighths"]))
    scale = draw(st.integers(1, 50))
    if family == "half":  # max with an odd number of cents, achieved = planned / 2: x.xx5
        odd = 2 * draw(st.integers(0, 999)) + 1  # 0.01, 0.03, … 19.99
        return D(odd).scaleb(-2), scale, 2 * scale
    # an odd whole max times an odd number of eighths: .125 .375 .625 .875
    odd_max = 2 * draw(st.integers(0, 9)) + 1
    k = 2 * draw(st.integers(0, 3)) + 1
    return D(odd_max), k * scale, 8 * scale


@PROPS
@given(proportional_ties())
def test_proportional_rounds_ties_up_like_excel(case: tuple[Decimal, int, int]) -> None:
    maximum, achieved, planned = case
    exact = frac(maximum) * achieved / planned
    assert (exact * 1000).denominator == 1 and (exact * 1000) % 10 == 5, "a tie at the third decimal"
    rule = ProportionalRule(kind="proportional", achieved="đạt", planned="kế hoạch")
    p = rule.points(maximum, [D(achieved), D(planned)])
    assert frac(p) - exact == Fraction(5, 1000), "half up, never half even or down"
    assert p == sheet(rule, maximum, [D(achieved), D(planned)])


@pytest.mark.parametrize(
    ("maximum", "achieved", "planned", "expected"),
    [("2.01", 1, 2, "1.01"), ("5.35", 1, 2, "2.68"), ("1", 1, 8, "0.13"), ("1", 3, 8, "0.38"),
     ("1", 5, 8, "0.63"), ("1", 7, 8, "0.88"), ("0.01", 1, 2, "0.01"), ("4.03", 201, 402, "2.02"),
     ("2.05", 1, 2, "1.03"), ("3", 5, 8, "1.88")],
)
def test_proportional_tie_examples(maximum: str, achieved: int, planned: int, expected: str) -> None:
    rule = ProportionalRule(kind="proportional", achieved="đạt", planned="kế hoạch")
    assert rule.points(D(maximum), [D(achieved), D(planned)]) == D(expected)


# -- counts -------------------------------------------------------------------------------------------
@st.composite
def count_params(draw: st.DrawFn) -> tuple[Decimal, Decimal]:
    maximum = draw(cents)
    per_item = draw(st.one_of(cents, thousandths))
    assume(per_item <= maximum)
    return maximum, per_item


@PROPS
@given(count_params(), st.integers(0, 500))
def test_count_deduction_properties(params: tuple[Decimal, Decimal], count: int) -> None:
    maximum, per_item = params
    rule = CountDeductionRule(kind="count_deduction", count="vi phạm", per_item=per_item)
    assert rule.param_problems(maximum) == []
    p = rule.points(maximum, [D(count)])
    assert 0 <= p <= maximum and two_decimals(p)
    assert rule.value_problems(maximum, p) == []
    assert p == max(D(0), half_up(frac(maximum) - count * frac(per_item)))
    assert p == sheet(rule, maximum, [D(count)])
    assert rule.points(maximum, [D(count + 1)]) <= p  # decreasing in the count
    assert rule.points(maximum, [D(0)]) == maximum


@PROPS
@given(count_params(), st.integers(0, 500))
def test_count_award_properties(params: tuple[Decimal, Decimal], count: int) -> None:
    maximum, per_item = params
    rule = CountAwardRule(kind="count_award", count="sáng kiến", per_item=per_item)
    assert rule.param_problems(maximum) == []
    p = rule.points(maximum, [D(count)])
    assert 0 <= p <= maximum and two_decimals(p)
    assert rule.value_problems(maximum, p) == []
    assert p == min(maximum, half_up(count * frac(per_item)))
    assert p == sheet(rule, maximum, [D(count)])
    assert rule.points(maximum, [D(count + 1)]) >= p  # increasing in the count
    assert rule.points(maximum, [D(0)]) == 0


# -- input kinds: Python and the workbook's checks agree -----------------------------------------------
def same_verdict(rule: Any, maximum: Decimal, value: Decimal) -> list[str]:
    codes = [p.rule for p in rule.value_problems(maximum, value)]
    flags = excel_flags(rule.excel_value_problems(maximum, "H5"), {"H5": value})
    assert bool(codes) == bool(flags), (value, codes, flags)
    assert set(codes) <= set(flags)
    return codes


values = st.integers(-300, 2300).map(lambda n: D(n).scaleb(-2))  # -3.00 .. 23.00, cents


@PROPS
@given(cents, values)
def test_done_properties(maximum: Decimal, value: Decimal) -> None:
    rule = DoneRule(kind="done")
    codes = same_verdict(rule, maximum, value)
    assert (codes == []) == (value in (0, maximum))
    assert same_verdict(rule, maximum, maximum) == [] and same_verdict(rule, maximum, D(0)) == []


@st.composite
def levels_rules(draw: st.DrawFn) -> tuple[LevelsRule, Decimal]:
    maximum = draw(cents)
    others = draw(st.sets(st.integers(0, int(maximum * 100) - 1), min_size=1, max_size=4))
    pts = [maximum, *(D(c).scaleb(-2) for c in sorted(others, reverse=True))]
    rule = LevelsRule(kind="levels", levels=[Level(points=p, label=f"mức {i}") for i, p in enumerate(pts, 1)])
    assert rule.param_problems(maximum) == []
    return rule, maximum


@PROPS
@given(levels_rules(), values)
def test_levels_properties(rm: tuple[LevelsRule, Decimal], value: Decimal) -> None:
    rule, maximum = rm
    for lv in rule.levels:
        assert 0 <= lv.points <= maximum
        assert same_verdict(rule, maximum, lv.points) == []
    codes = same_verdict(rule, maximum, value)
    assert (codes == []) == (value in [lv.points for lv in rule.levels])


@st.composite
def manual_rules(draw: st.DrawFn) -> tuple[ManualRule, Decimal]:
    step = draw(st.sampled_from([D("0.01"), D("0.05"), D("0.1"), D("0.25"), D("0.5"), D("1")]))
    maximum = step * draw(st.integers(1, 40))
    rule = ManualRule(kind="manual", step=step)
    assert rule.param_problems(maximum) == []
    return rule, maximum


@PROPS
@given(manual_rules(), values, st.data())
def test_manual_properties(rm: tuple[ManualRule, Decimal], value: Decimal, data: st.DataObject) -> None:
    rule, maximum = rm
    k = data.draw(st.integers(0, int(maximum / rule.step())))
    assert same_verdict(rule, maximum, rule.step() * k) == []
    codes = same_verdict(rule, maximum, value)
    on_step = (value / rule.step()) == (value / rule.step()).to_integral_value()
    assert (codes == []) == (0 <= value <= maximum and on_step)


@PROPS
@given(cents, st.integers(-3000, 25000).map(lambda n: D(n).scaleb(-3)))
def test_district_properties(maximum: Decimal, value: Decimal) -> None:
    codes = same_verdict(DistrictRule(kind="district"), maximum, value)
    assert (codes == []) == (0 <= value <= maximum and two_decimals(value))


# -- the same boundary cases through a real spreadsheet engine ----------------------------------------
_RECALC = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def _boundary_cases() -> list[tuple[Any, Decimal, list[Decimal]]]:
    """Rounding ties and threshold equalities, where binary floats and exact decimals could part."""
    cases: list[tuple[Any, Decimal, list[Decimal]]] = []
    prop = ProportionalRule(kind="proportional", achieved="đạt", planned="kế hoạch")
    for odd in (1, 3, 201, 267, 535, 1001, 1999, 2001, 9999):
        for scale in (1, 3, 7, 50):
            cases.append((prop, D(odd).scaleb(-2), [D(scale), D(2 * scale)]))
    for odd_max in (1, 3, 5, 15):
        for k in (1, 3, 5, 7):
            cases.append((prop, D(odd_max), [D(k), D(8)]))
    for per_item in ("0.125", "0.375", "0.005", "0.015", "0.335"):
        for count in (1, 2, 3, 7):
            deduction = CountDeductionRule(kind="count_deduction", count="x", per_item=D(per_item))
            award = CountAwardRule(kind="count_award", count="x", per_item=D(per_item))
            cases.append((deduction, D("1.5"), [D(count)]))
            cases.append((award, D("2"), [D(count)]))
    for pct, den in (("33.3", 1000), ("66.7", 1000), ("95", 20), ("99.5", 200), ("14.3", 1000),
                     ("28.6", 1000), ("57.1", 1000), ("0.1", 1000), ("70.1", 1000)):
        rule = RatioTiersRule(kind="ratio_tiers", numerator="a", denominator="b",
                              tiers=[Tier(min_percent=D(pct), points=D(1))])
        exact = int(D(pct) * den / 100)
        for num in (exact - 1, exact, exact + 1):
            cases.append((rule, D(1), [D(num), D(den)]))
    rng = random.Random(20221215)
    for _ in range(150):
        planned = rng.randint(1, 300)
        cases.append((prop, D(rng.randint(1, 2000)).scaleb(-2), [D(rng.randint(0, planned)), D(planned)]))
    return cases


@pytest.mark.libreoffice
def test_boundary_points_equal_libreoffice(tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    import xlsxwriter

    cases = _boundary_cases()
    book = tmp_path / "cases.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    ws = wb.add_worksheet("cases")
    for row, (rule, maximum, figures) in enumerate(cases):
        refs = [f"{col}{row + 1}" for col in "AB"[: len(figures)]]
        for col, value in enumerate(figures):
            ws.write_number(row, col, float(value))
        ws.write_formula(row, 2, "=" + rule.excel_points(maximum, refs))
    wb.close()
    profile = tmp_path / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_RECALC, encoding="utf-8")
    subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "csv",
                    "--outdir", str(tmp_path), str(book)], check=True, capture_output=True, timeout=180)
    with (tmp_path / "cases.csv").open(encoding="utf-8") as fh:
        computed = [row[2] for row in csv.reader(fh)]
    assert len(computed) == len(cases)
    mismatches = []
    for (rule, maximum, figures), text in zip(cases, computed, strict=True):
        python = rule.points(maximum, figures)
        if D(text) != python:
            mismatches.append((rule.kind, str(maximum), [str(f) for f in figures], text, str(python)))
    assert mismatches == []
