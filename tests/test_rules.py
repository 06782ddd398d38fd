"""Scoring rules, kind by kind: points, value and figure checks, Excel strings, parameters, descriptions.

Rules are written in the compact notation of tests/criteria_tables.py (`ratio_tiers 100%:2; 95%:1`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from cchc_xl.criteria.rules import RULE_KINDS, Rule
from cchc_xl.records import Problem
from criteria_tables import FIGURE_LABELS, excel_eval, excel_flags, parse_rule

D = Decimal
_RULE = TypeAdapter(Rule)


def R(text: str) -> Any:
    return _RULE.validate_python(parse_rule(text))


def ds(*values: object) -> list[Decimal]:
    return [D(str(v)) for v in values]


def test_every_kind_is_in_the_union() -> None:
    for kind in RULE_KINDS:
        assert R(kind + {"levels": " 1:a; 0:b", "ratio_tiers": " 100%:1", "count_deduction": " per_item=1",
                         "count_award": " per_item=1"}.get(kind, "")).kind == kind


@pytest.mark.parametrize("raw", [{"kind": "levels", "levels": [{"points": 1, "label": "x"}]},
                                 {"kind": "ratio_tiers", "numerator": "a", "denominator": "b", "tiers": []},
                                 {"kind": "count_award", "count": "x", "per_item": 0},
                                 {"kind": "count_deduction", "count": "x", "per_item": -1},
                                 {"kind": "manual", "step": 0},
                                 {"kind": "done", "extra": 1},
                                 {"kind": "unknown"},
                                 {}])
def test_invalid_rule_parameters_are_refused_by_the_model(raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _RULE.validate_python(raw)


def test_manual_step_is_read_by_alias_and_by_name() -> None:
    assert R("manual step=0.5").step() == D("0.5")
    assert _RULE.validate_python({"kind": "manual", "step_size": "0.5"}).step() == D("0.5")
    assert R("manual").step() == D("0.25")
    assert R("manual step=0.5").model_dump(by_alias=True)["step"] == D("0.5")


# -- points() -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "maximum", "figures", "expected"),
    [
        # ratio tiers: 100% -> 2, 95-<100% -> 1, below -> 0; nothing arose -> full points
        ("ratio_tiers 100%:2; 95%:1", 2, (20, 20), "2"),
        ("ratio_tiers 100%:2; 95%:1", 2, (19, 20), "1"),  # exactly 95%
        ("ratio_tiers 100%:2; 95%:1", 2, (189, 200), "0"),  # 94.5%
        ("ratio_tiers 100%:2; 95%:1", 2, (199, 200), "1"),  # 99.5%
        ("ratio_tiers 100%:2; 95%:1", 2, (0, 5), "0"),
        ("ratio_tiers 100%:2; 95%:1", 2, (0, 0), "2"),
        ("ratio_tiers 100%:2; 95%:1; when_zero=0", 2, (0, 0), "0"),
        ("ratio_tiers 100%:2; 95%:1; when_zero=1.5", 2, (0, 0), "1.5"),
        ("ratio_tiers 100%:1.5; 99.5%:1; 90%:0.5", 1.5, (199, 200), "1"),
        ("ratio_tiers 100%:1.5; 99.5%:1; 90%:0.5", 1.5, (9, 10), "0.5"),
        ("ratio_tiers 100%:1.5; 99.5%:1; 90%:0.5; 0%:0.25", 1.5, (0, 10), "0.25"),
        ("ratio_tiers 66.67%:1; 33.33%:0.5", 1, (2, 3), "0.5"),  # 66.666…% < 66.67%
        ("ratio_tiers 66.66%:1; 33.33%:0.5", 1, (2, 3), "1"),
        # proportional: max × achieved ÷ planned, capped, rounded half up
        ("proportional", 2, (3, 4), "1.5"),
        ("proportional", 2, (4, 4), "2"),
        ("proportional", 2, (5, 4), "2"),  # over-achievement is capped
        ("proportional", 2, (0, 4), "0"),
        ("proportional", 1, (1, 3), "0.33"),
        ("proportional", 1, (2, 3), "0.67"),
        ("proportional", 1, (1, 8), "0.13"),  # 0.125 -> 0.13
        ("proportional", 2.01, (1, 2), "1.01"),  # 1.005 -> 1.01 (floats give 1.0)
        ("proportional", 5.35, (1, 2), "2.68"),  # 2.675 -> 2.68
        ("proportional", 2, (0, 0), "2"),
        ("proportional when_zero=0", 2, (0, 0), "0"),
        ("proportional integer=no", 3, (1.5, 2), "2.25"),
        # count with deduction: max, minus per item, not below 0
        ("count_deduction per_item=0.25", 1, (0,), "1"),
        ("count_deduction per_item=0.25", 1, (1,), "0.75"),
        ("count_deduction per_item=0.25", 1, (4,), "0"),
        ("count_deduction per_item=0.25", 1, (9,), "0"),
        ("count_deduction per_item=0.125", 1, (1,), "0.88"),  # 0.875 -> 0.88
        ("count_deduction per_item=0.125", 1, (3,), "0.63"),  # 0.625 -> 0.63
        ("count_deduction per_item=0.333", 1, (1,), "0.67"),  # 0.667
        # count with award: per item, up to max
        ("count_award per_item=0.5", 2, (0,), "0"),
        ("count_award per_item=0.5", 2, (3,), "1.5"),
        ("count_award per_item=0.5", 2, (4,), "2"),
        ("count_award per_item=0.5", 2, (10,), "2"),
        ("count_award per_item=0.125", 2, (1,), "0.13"),
        ("count_award per_item=0.125", 2, (3,), "0.38"),
    ],
)
def test_points(rule: str, maximum: object, figures: tuple[object, ...], expected: str) -> None:
    r = R(rule)
    result = r.points(D(str(maximum)), ds(*figures))
    assert result == D(expected)
    assert result == result.quantize(D("0.01")), "at most two decimals"
    # and the formula the commune sees says the same
    refs = [f"K{i}" for i in range(1, len(figures) + 1)]
    env = dict(zip(refs, ds(*figures), strict=True))
    assert excel_eval(r.excel_points(D(str(maximum)), refs), env) == D(expected)


@pytest.mark.parametrize("rule", ["done", "levels 1:a; 0:b", "manual", "district"])
def test_input_kinds_take_the_score_as_input(rule: str) -> None:
    r = R(rule)
    assert r.computed is False
    assert r.figures() == [] and r.figure_count == 0
    with pytest.raises(NotImplementedError):
        r.points(D(1), [])
    with pytest.raises(NotImplementedError):
        r.excel_points(D(1), [])


@pytest.mark.parametrize(
    ("rule", "labels", "integer"),
    [
        ("ratio_tiers 100%:1", [FIGURE_LABELS["numerator"], FIGURE_LABELS["denominator"]], [True, True]),
        ("proportional", [FIGURE_LABELS["achieved"], FIGURE_LABELS["planned"]], [True, True]),
        ("proportional integer=no", [FIGURE_LABELS["achieved"], FIGURE_LABELS["planned"]], [False, False]),
        ("count_deduction per_item=0.25", [FIGURE_LABELS["count"]], [True]),
        ("count_award per_item=0.25", [FIGURE_LABELS["count"]], [True]),
    ],
)
def test_computed_kinds_declare_their_figures(rule: str, labels: list[str], integer: list[bool]) -> None:
    r = R(rule)
    assert r.computed is True
    assert [f.label for f in r.figures()] == labels and r.figure_count == len(labels)
    assert [f.integer for f in r.figures()] == integer


# -- value_problems() ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "maximum", "value", "codes"),
    [
        ("done", 1, 1, []),
        ("done", 1, 0, []),
        ("done", 1, "1.00", []),
        ("done", 1, 0.5, ["score.not_allowed"]),
        ("done", 1, -1, ["score.negative"]),
        ("done", 1, 2, ["score.above_max"]),
        ("levels 1:Đủ; 0.5:Muộn; 0:Không", 1, 0.5, []),
        ("levels 1:Đủ; 0.5:Muộn; 0:Không", 1, 0.25, ["score.not_allowed"]),
        ("levels 1:Đủ; 0.5:Muộn; 0:Không", 1, 1.5, ["score.above_max"]),
        ("manual step=0.25", 1, 0.75, []),
        ("manual step=0.25", 1, 0, []),
        ("manual step=0.25", 1, 1, []),
        ("manual step=0.25", 1, 0.3, ["score.off_step"]),
        ("manual step=0.5", 2, 1.25, ["score.off_step"]),
        ("manual step=0.25", 1, -0.25, ["score.negative"]),
        ("manual step=0.25", 1, 1.25, ["score.above_max"]),
        ("district", 5, 3.27, []),
        ("district", 5, 3.275, ["score.off_step"]),
        ("district", 5, 5.01, ["score.above_max"]),
        ("ratio_tiers 100%:2; 95%:1", 2, 1, []),
        ("ratio_tiers 100%:2; 95%:1", 2, 1.5, ["score.not_allowed"]),
        ("ratio_tiers 100%:2; 95%:1; when_zero=1.5", 2, 1.5, []),
        ("proportional", 2, 1.33, []),
        ("proportional", 2, 1.333, ["score.off_step"]),
        ("count_deduction per_item=0.25", 1, 0.75, []),
        ("count_award per_item=0.5", 2, 2.5, ["score.above_max"]),
    ],
)
def test_value_problems(rule: str, maximum: object, value: object, codes: list[str]) -> None:
    r = R(rule)
    m, v = D(str(maximum)), D(str(value))
    assert [p.rule for p in r.value_problems(m, v)] == codes
    # the workbook's conditional checks flag the same value (it may flag more than one reason)
    flags = excel_flags(r.excel_value_problems(m, "H5"), {"H5": v})
    assert set(codes) <= set(flags)
    assert bool(flags) == bool(codes)


def test_value_problem_parameters() -> None:
    assert R("done").value_problems(D(1), D(2)) == [Problem("score.above_max", {"value": D(2), "max": D(1)})]
    assert R("done").value_problems(D(1), D(-1)) == [Problem("score.negative", {"value": D(-1)})]
    assert R("levels 1:a; 0:b").value_problems(D(1), D("0.5")) == [
        Problem("score.not_allowed", {"value": D("0.5"), "allowed": [D(1), D(0)]})]
    assert R("manual step=0.5").value_problems(D(1), D("0.3")) == [
        Problem("score.off_step", {"value": D("0.3"), "step": D("0.5")})]


@pytest.mark.parametrize(
    ("rule", "maximum", "allowed"),
    [
        ("done", 1.5, [1.5, 0]),
        ("levels 1:a; 0.5:b; 0:c", 1, [1, 0.5, 0]),
        ("ratio_tiers 100%:2; 95%:1", 2, [2, 1, 0]),
        ("ratio_tiers 100%:2; 95%:1; when_zero=0.5", 2, [2, 1, 0.5, 0]),
        ("manual", 1, None),
        ("proportional", 1, None),
        ("district", 1, None),
    ],
)
def test_allowed_points(rule: str, maximum: object, allowed: list[object] | None) -> None:
    result = R(rule).allowed_points(D(str(maximum)))
    assert result == (None if allowed is None else ds(*allowed))


# -- figure_problems() --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "figures", "codes"),
    [
        ("ratio_tiers 100%:1", (19, 20), []),
        ("ratio_tiers 100%:1", (0, 0), []),
        ("ratio_tiers 100%:1", (21, 20), ["figures.numerator_above_denominator"]),
        ("ratio_tiers 100%:1", (-1, 20), ["figures.negative"]),
        ("ratio_tiers 100%:1", (1.5, 20), ["figures.not_integer"]),
        ("ratio_tiers 100%:1", (5, -1), ["figures.negative", "figures.numerator_above_denominator"]),
        ("proportional", (3, 4), []),
        ("proportional", (5, 4), []),  # over-achievement is allowed, the score is capped
        ("proportional", (2.5, 4), ["figures.not_integer"]),
        ("proportional integer=no", (2.5, 4.5), []),
        ("proportional integer=no", (-2.5, 4.5), ["figures.negative"]),
        ("count_deduction per_item=0.25", (3,), []),
        ("count_deduction per_item=0.25", (-3,), ["figures.negative"]),
        ("count_deduction per_item=0.25", (0.5,), ["figures.not_integer"]),
        ("count_award per_item=0.25", (2,), []),
        ("count_award per_item=0.25", (2.5,), ["figures.not_integer"]),
        ("count_award per_item=0.25", ("2.0",), []),
    ],
)
def test_figure_problems(rule: str, figures: tuple[object, ...], codes: list[str]) -> None:
    r = R(rule)
    values = ds(*figures)
    assert [p.rule for p in r.figure_problems(values)] == codes
    refs = [f"K{i}" for i in range(1, len(values) + 1)]
    flags = excel_flags(r.excel_figure_problems(refs), dict(zip(refs, values, strict=True)))
    assert sorted(flags) == sorted(codes)


def test_figure_problem_parameters_name_the_figure() -> None:
    r = R("ratio_tiers 100%:1")
    assert r.figure_problems(ds(-1, 2)) == [
        Problem("figures.negative", {"n": 1, "label": FIGURE_LABELS["numerator"], "value": D(-1)})]
    assert r.figure_problems(ds(3, 2)) == [
        Problem("figures.numerator_above_denominator", {"num": D(3), "den": D(2)})]


def test_figure_problems_need_every_figure() -> None:
    with pytest.raises(ValueError):
        R("ratio_tiers 100%:1").figure_problems(ds(1))


# -- Excel strings ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "maximum", "refs", "formula"),
    [
        ("ratio_tiers 100%:2; 95%:1", 2, ["K1", "K2"],
         "IF(K2=0,2,IF(K1*100>=100*K2,2,IF(K1*100>=95*K2,1,0)))"),
        ("ratio_tiers 100%:1.5; 99.5%:0.75; when_zero=0", 1.5, ["A1", "B1"],
         "IF(B1=0,0,IF(A1*100>=100*B1,1.5,IF(A1*100>=99.5*B1,0.75,0)))"),
        ("proportional", 2.5, ["K1", "K2"], "IF(K2=0,2.5,ROUND(2.5*MIN(K1,K2)/K2,2))"),
        ("proportional when_zero=0", 10, ["K1", "K2"], "IF(K2=0,0,ROUND(10*MIN(K1,K2)/K2,2))"),
        ("count_deduction per_item=0.25", 1, ["K1"], "MAX(0,ROUND(1-K1*0.25,2))"),
        ("count_award per_item=0.5", 2, ["K1"], "MIN(2,ROUND(K1*0.5,2))"),
    ],
)
def test_excel_points(rule: str, maximum: object, refs: list[str], formula: str) -> None:
    assert R(rule).excel_points(D(str(maximum)), refs) == formula


def test_excel_literals_are_plain_decimals() -> None:
    # 1E+1 or 2.50 would be wrong or noisy in a formula
    assert R("proportional").excel_points(D("1E+1"), ["A", "B"]) == "IF(B=0,10,ROUND(10*MIN(A,B)/B,2))"
    assert R("count_award per_item=0.50").excel_points(D("2.50"), ["A"]) == "MIN(2.5,ROUND(A*0.5,2))"


@pytest.mark.parametrize(
    ("rule", "maximum", "checks"),
    [
        ("done", 1, [("H5<0", "score.negative"), ("H5>1", "score.above_max"),
                     ("NOT(OR(H5=1,H5=0))", "score.not_allowed")]),
        ("levels 1:a; 0.5:b; 0:c", 1, [("H5<0", "score.negative"), ("H5>1", "score.above_max"),
                                       ("NOT(OR(H5=1,H5=0.5,H5=0))", "score.not_allowed")]),
        ("manual step=0.25", 1.5, [("H5<0", "score.negative"), ("H5>1.5", "score.above_max"),
                                   ("ABS(H5/0.25-ROUND(H5/0.25,0))>0.000001", "score.off_step")]),
        ("district", 20, [("H5<0", "score.negative"), ("H5>20", "score.above_max"),
                          ("ABS(H5/0.01-ROUND(H5/0.01,0))>0.000001", "score.off_step")]),
    ],
)
def test_excel_value_problems(rule: str, maximum: object, checks: list[tuple[str, str]]) -> None:
    assert R(rule).excel_value_problems(D(str(maximum)), "H5") == checks


@pytest.mark.parametrize(
    ("rule", "refs", "checks"),
    [
        ("ratio_tiers 100%:1", ["K1", "K2"],
         [("K1<0", "figures.negative"), ("K1<>INT(K1)", "figures.not_integer"),
          ("K2<0", "figures.negative"), ("K2<>INT(K2)", "figures.not_integer"),
          ("K1>K2", "figures.numerator_above_denominator")]),
        ("proportional integer=no", ["K1", "K2"],
         [("K1<0", "figures.negative"), ("K2<0", "figures.negative")]),
        ("count_award per_item=1", ["K1"],
         [("K1<0", "figures.negative"), ("K1<>INT(K1)", "figures.not_integer")]),
    ],
)
def test_excel_figure_problems(rule: str, refs: list[str], checks: list[tuple[str, str]]) -> None:
    assert R(rule).excel_figure_problems(refs) == checks


def test_excel_complete() -> None:
    r = R("ratio_tiers 100%:1")
    assert r.excel_complete(["K1", "K2"]) == "COUNT(K1,K2)=2"
    assert excel_eval(r.excel_complete(["K1", "K2"]), {"K1": D(1), "K2": None}) is False
    assert excel_eval(r.excel_complete(["K1", "K2"]), {"K1": D(1), "K2": D(0)}) is True


# -- param_problems() ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "maximum", "codes"),
    [
        ("done", 1, []),
        ("district", 1, []),
        ("levels 1:a; 0.5:b; 0:c", 1, []),
        ("levels 1.5:a; 0:b", 1, ["rule.level_out_of_range", "rule.level_max_missing"]),
        ("levels 1:a; -0.5:b", 1, ["rule.level_out_of_range"]),
        ("levels 1:a; 1:b", 1, ["rule.level_duplicate"]),
        ("levels 0.5:a; 0:b", 1, ["rule.level_max_missing"]),
        ("ratio_tiers 100%:2; 95%:1", 2, []),
        ("ratio_tiers 100%:2; 95%:2", 2, []),  # equal points on two thresholds is allowed
        ("ratio_tiers 95%:2; 100%:1", 2, ["rule.thresholds_not_ordered"]),
        ("ratio_tiers 100%:2; 100%:1", 2, ["rule.thresholds_not_ordered"]),
        ("ratio_tiers 100%:1; 95%:2", 2, ["rule.tier_points_not_ordered", "rule.level_max_missing"]),
        ("ratio_tiers 100%:3; 95%:1", 2, ["rule.level_out_of_range", "rule.level_max_missing"]),
        ("ratio_tiers 100%:2; 95%:-1", 2, ["rule.level_out_of_range"]),
        ("ratio_tiers 120%:2; 95%:1", 2, ["rule.percent_out_of_range"]),
        ("ratio_tiers 100%:2; -5%:1", 2, ["rule.percent_out_of_range"]),
        ("ratio_tiers 100%:1.5", 2, ["rule.level_max_missing"]),
        ("ratio_tiers 100%:2; when_zero=3", 2, ["rule.level_out_of_range"]),
        ("ratio_tiers 100%:2; when_zero=-1", 2, ["rule.level_out_of_range"]),
        ("proportional", 2, []),
        ("proportional when_zero=2", 2, []),
        ("proportional when_zero=2.5", 2, ["rule.level_out_of_range"]),
        ("count_deduction per_item=1", 1, []),
        ("count_deduction per_item=1.25", 1, ["rule.per_item_above_max"]),
        ("count_award per_item=0.5", 2, []),
        ("count_award per_item=3", 2, ["rule.per_item_above_max"]),
        ("manual step=0.25", 1.5, []),
        ("manual step=0.5", 1.25, ["rule.step_not_divisor"]),
        ("manual step=2", 1, ["rule.step_not_divisor"]),
        ("manual step=0.3", 1, ["rule.step_not_divisor"]),
        # points are kept to the cent: more decimals could not be awarded the same way in Python and Excel
        ("levels 1:a; 0.125:b; 0:c", 1, ["rule.points_precision"]),
        ("levels 1:a; 0.50:b; 0:c", 1, []),  # trailing zeros are no extra precision
        ("ratio_tiers 100%:1; 50%:0.125", 1, ["rule.points_precision"]),
        ("ratio_tiers 100%:1; 80%:0.125; 50%:0.125", 1, ["rule.points_precision"]),  # once per value
        ("ratio_tiers 100%:1; when_zero=0.125", 1, ["rule.points_precision"]),
        ("ratio_tiers 99.5%:1; 50%:0.25", 1, []),  # thresholds may have decimals
        ("proportional when_zero=0.125", 1, ["rule.points_precision"]),
        ("proportional when_zero=0.13", 1, []),
    ],
)
def test_param_problems(rule: str, maximum: object, codes: list[str]) -> None:
    assert [p.rule for p in R(rule).param_problems(D(str(maximum)))] == codes


def test_param_problem_parameters() -> None:
    assert R("levels 1.5:a; 0:b").param_problems(D(1)) == [
        Problem("rule.level_out_of_range", {"points": D("1.5"), "max": D(1)}),
        Problem("rule.level_max_missing", {"max": D(1)})]
    assert R("ratio_tiers 120%:1").param_problems(D(1)) == [
        Problem("rule.percent_out_of_range", {"percent": D(120)})]
    assert R("count_award per_item=3").param_problems(D(2)) == [
        Problem("rule.per_item_above_max", {"per_item": D(3), "max": D(2)})]
    assert R("manual step=0.5").param_problems(D("1.25")) == [
        Problem("rule.step_not_divisor", {"step": D("0.5"), "max": D("1.25")})]
    assert R("levels 1:a; 0.125:b").param_problems(D(1)) == [Problem("rule.points_precision", {"points": D("0.125")})]


# -- describe() ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "maximum", "text"),
    [
        ("done", 1.5, "Đạt: 1,5; không đạt: 0"),
        ("levels 1:Hoàn thành đúng hạn; 0.5:Hoàn thành chậm; 0:Không hoàn thành", 1,
         "Hoàn thành đúng hạn: 1; Hoàn thành chậm: 0,5; Không hoàn thành: 0"),
        ("ratio_tiers 100%:2; 95%:1", 2,
         f"Tỷ lệ {FIGURE_LABELS['numerator']} / {FIGURE_LABELS['denominator']}: "
         "từ 100%: 2; từ 95%: 1; thấp hơn: 0"),
        ("ratio_tiers 99.5%:1.25", 1.25,
         f"Tỷ lệ {FIGURE_LABELS['numerator']} / {FIGURE_LABELS['denominator']}: từ 99,5%: 1,25; thấp hơn: 0"),
        ("proportional", 2.5,
         f"2,5 × {FIGURE_LABELS['achieved']} ÷ {FIGURE_LABELS['planned']} (không vượt 2,5)"),
        ("count_deduction per_item=0.25", 1,
         f"1 điểm, trừ 0,25 điểm × ({FIGURE_LABELS['count']}), không dưới 0"),
        ("count_award per_item=0.5", 2, f"0,5 điểm × ({FIGURE_LABELS['count']}), tối đa 2"),
        ("manual step=0.25", 1.5, "Từ 0 đến 1,5, bước 0,25"),
        ("district", 20, "Do cơ quan đánh giá chấm"),
        ("district method=Điều tra xã hội học", 20, "Do cơ quan đánh giá chấm: Điều tra xã hội học"),
    ],
)
def test_describe(rule: str, maximum: object, text: str) -> None:
    assert R(rule).describe(D(str(maximum))) == text


def test_rules_are_immutable() -> None:
    r = R("count_award per_item=0.5")
    with pytest.raises(ValidationError):
        r.per_item = D(1)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("rule", "maximum", "figures"),
    [
        ("ratio_tiers 100%:1; 50%:0.125", 1, (1, 2)),
        ("ratio_tiers 100%:1; when_zero=0.125", 1, (0, 0)),
        ("proportional when_zero=0.125", 1, (0, 0)),
    ],
)
def test_sub_cent_rule_points_are_refused_or_agree_with_the_sheet(rule: str, maximum: object,
                                                                   figures: tuple[object, ...]) -> None:
    r = R(rule)
    m, values = D(str(maximum)), ds(*figures)
    refs = [f"K{i}" for i in range(1, len(values) + 1)]
    on_sheet = excel_eval(r.excel_points(m, refs), dict(zip(refs, values, strict=True)))
    assert r.param_problems(m) or r.points(m, values) == on_sheet
