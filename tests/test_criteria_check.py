"""Consistency and structure checks of a criteria set: one broken set per rule, shown as a table.

Each table is an otherwise valid set; the test asserts the rule id and that the place (and the message)
names the item at fault, so a district officer can find it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cchc_xl.criteria import CriteriaError, load_set
from cchc_xl.criteria.check import area_number, check_set
from cchc_xl.criteria.load import build, dump_yaml, read_yaml
from cchc_xl.messages import render
from cchc_xl.records import Problem
from criteria_tables import every_kind_set, find, raw_set, yaml_text
from criteria_tables import problems_of as _problems_of

D = Decimal
SET_PLACE = "Thông tin bộ tiêu chí"
SMALL_TIERS = [("Đạt", "0.5"), ("Chưa đạt", 0)]


def problems_of(table: str | dict[str, Any], **kwargs: Any) -> list[Problem]:
    if isinstance(table, str):
        kwargs.setdefault("tiers", SMALL_TIERS)
    return _problems_of(table, **kwargs)


def only(problems: list[Problem], rule: str, *codes: str) -> None:
    """Exactly these problems: `rule` once at each code (in order), nothing else."""
    assert [p.rule for p in problems] == [rule] * len(codes), [render(p) for p in problems]
    for problem, code in zip(problems, codes, strict=True):
        place = f"Mục “{code}”"
        assert problem.place == place
        assert render(problem).startswith(place + ":")
        if not rule.startswith("set.field_"):
            assert f"“{code}”" in render(problem).removeprefix(place)  # the text names it too


def only_set_level(problems: list[Problem], rule: str, count: int = 1) -> None:
    assert [p.rule for p in problems] == [rule] * count, [render(p) for p in problems]
    assert all(p.place == SET_PLACE for p in problems)


# -- a valid set --------------------------------------------------------------------------------------
VALID = """
| level | code  | title              | max | rule                           |
| area  | I     | Chỉ đạo, điều hành | 3   |                                |
| crit  | 1.1   | Kế hoạch CCHC      | 1   | done                           |
| crit  | 1.2   | Báo cáo CCHC       | 2   |                                |
| sub   | 1.2.1 | Báo cáo quý        | 1   | manual step=0.5                |
| sub   | 1.2.2 | Báo cáo năm        | 1   | levels 1:Đủ; 0.5:Muộn; 0:Không |
"""


def test_a_valid_set_has_no_problems() -> None:
    assert problems_of(VALID, total=3) == []


def test_the_every_kind_set_is_valid() -> None:
    cset = every_kind_set()
    assert check_set(cset) == []
    assert {leaf.rule.kind for leaf in cset.leaves()} == {  # type: ignore[union-attr]
        "done", "levels", "ratio_tiers", "proportional", "count_deduction", "count_award", "manual",
        "district"}


# -- consistency rules, one broken set each -----------------------------------------------------------
def test_code_duplicate() -> None:
    problems = problems_of("""
    | level | code | title    | max | rule |
    | area  | I    | Chỉ đạo  | 2   |      |
    | crit  | 1.1  | Kế hoạch | 1   | done |
    | crit  | 1.1  | Báo cáo  | 1   | done |
    """, total=2)
    only(problems, "set.code_duplicate", "1.1")
    # the place is the same for both in YAML, so the text says what the first one is instead
    assert render(problems[0]) == ("Mục “1.1”: mã “1.1” bị trùng: mã này đã dùng cho tiêu chí “Kế hoạch” thuộc "
                                   "lĩnh vực “I”; mã xuất hiện 2 lần trong bộ tiêu chí")
    assert "đã dùng ở" not in render(problems[0])


def test_code_duplicate_across_criteria_and_adjustments() -> None:
    problems = problems_of("""
    | level | code | title     | max | rule |
    | area  | I    | Chỉ đạo   | 2   |      |
    | crit  | 1.1  | Kế hoạch  | 2   | done |
    | bonus | 1.1  | Sáng kiến | 1   |      |
    """, total=2)
    only(problems, "set.code_duplicate", "1.1")


def test_code_duplicate_says_what_the_first_one_is_and_how_many_there_are() -> None:
    problems = problems_of("""
    | level   | code  | title       | max | rule |
    | area    | I     | Chỉ đạo     | 2   |      |
    | crit    | 1.1   | Kế hoạch    | 1   |      |
    | sub     | 1.1.1 | Kế hoạch A  | 1   | done |
    | crit    | 1.2   | Báo cáo     | 1   |      |
    | sub     | 1.1.1 | Báo cáo quý | 1   | done |
    | bonus   | I     | Sáng kiến   | 1   |      |
    | penalty | I     | Phản ánh    | 1   |      |
    """, total=2)
    assert [(p.rule, p.place) for p in problems] == [("set.code_duplicate", "Mục “1.1.1”"),
                                                      ("set.code_hierarchy", "Mục “1.1.1”"),
                                                      ("set.code_duplicate", "Mục “I”"),
                                                      ("set.code_duplicate", "Mục “I”")]
    assert "đã dùng cho tiêu chí thành phần “Kế hoạch A” thuộc tiêu chí “1.1”; mã xuất hiện 2 lần" in (
        render(problems[0]))
    assert all("đã dùng cho lĩnh vực “Chỉ đạo”; mã xuất hiện 3 lần" in render(p) for p in problems[2:])


def test_code_duplicate_names_both_places_when_the_locator_tells_occurrences_apart() -> None:
    cset = build(raw_set("""
    | level | code | title    | max | rule |
    | area  | I    | Chỉ đạo  | 2   |      |
    | crit  | 1.1  | Kế hoạch | 1   | done |
    | crit  | 1.1  | Báo cáo  | 1   |      |
    """, total=2, tiers=SMALL_TIERS))
    rows = {"I": [2], "1.1": [3, 4]}
    problems = check_set(cset, lambda code: f"dòng {rows[code][0]}" if code else "bộ",
                         lambda code, n: f"dòng {rows[code][n]}")
    assert [(p.rule, p.place) for p in problems] == [("set.code_duplicate", "dòng 4"), ("set.rule_missing", "dòng 4")]
    assert render(problems[0]).startswith("dòng 4: mã “1.1” bị trùng: mã này đã dùng cho tiêu chí “Kế hoạch” "
                                          "thuộc lĩnh vực “I” ở dòng 3;")


def test_code_hierarchy() -> None:
    problems = problems_of("""
    | level | code  | title       | max | rule |
    | area  | I     | Chỉ đạo     | 3   |      |
    | crit  | 2.1   | Kế hoạch    | 1   | done |
    | crit  | 1.2   | Báo cáo     | 2   |      |
    | sub   | 1.2.1 | Báo cáo quý | 1   | done |
    | sub   | 1.3.2 | Báo cáo năm | 1   | done |
    """, total=3)
    only(problems, "set.code_hierarchy", "2.1", "1.3.2")
    assert "“I”" in render(problems[0]) and "“1.”" in render(problems[0])
    assert "“1.2”" in render(problems[1]) and "“1.2.”" in render(problems[1])


def test_code_hierarchy_accepts_arabic_area_numbers() -> None:
    assert problems_of("""
    | level | code | title          | max | rule |
    | area  | 3    | Thủ tục HC     | 1   |      |
    | crit  | 3.1  | Công khai TTHC | 1   | done |
    """, total=1) == []


def test_code_format() -> None:
    problems = problems_of("""
    | level  | code    | title       | max | rule |
    | area   | A       | Chỉ đạo     | 3   |      |
    | crit   | 1-1     | Kế hoạch    | 1   | done |
    | crit   | 1.2     | Báo cáo     | 2   |      |
    | sub    | 1.2.a   | Báo cáo quý | 1   | done |
    | sub    | 1.2.2   | Báo cáo năm | 1   |      |
    | subsub | 1.2.2.1 | Quá sâu     | 1   | done |
    """, total=3)
    only(problems, "set.code_format", "A", "1-1", "1.2.a", "1.2.2.1")


@pytest.mark.parametrize("code", ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "1", "8"])
def test_area_codes_accepted(code: str) -> None:
    assert area_number(code) == {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8,
                                 "IX": 9, "X": 10}.get(code, int(code) if code.isdigit() else None)


@pytest.mark.parametrize("code", ["", "A", "i", "1.", "I.", "1a", "Iv", " I"])
def test_area_codes_refused(code: str) -> None:
    assert area_number(code) is None


@pytest.mark.parametrize(("code", "number"), [("XIV", 14), ("XIX", 19), ("XL", 40), ("XLIX", 49), ("LXXXIX", 89)])
def test_larger_canonical_roman_area_codes_are_accepted(code: str, number: int) -> None:
    assert area_number(code) == number


@pytest.mark.parametrize("code", ["IIV", "VX", "IL", "IIII", "VV", "XXXX", "IXI", "LL", "XC", "0x1", "٣"])
def test_non_canonical_roman_area_codes_are_refused(code: str) -> None:
    assert area_number(code) is None


def test_a_superscript_digit_area_code_is_reported_not_crashing() -> None:
    problems = problems_of("""
    | level | code | title    | max | rule |
    | area  | ²    | Chỉ đạo  | 1   |      |
    | crit  | 2.1  | Kế hoạch | 1   | done |
    """, total=1)
    assert "set.code_format" in [p.rule for p in problems]


def test_children_sum_of_a_criterion_and_of_an_area() -> None:
    problems = problems_of("""
    | level | code  | title       | max | rule |
    | area  | I     | Chỉ đạo     | 3   |      |
    | crit  | 1.1   | Kế hoạch    | 1   | done |
    | crit  | 1.2   | Báo cáo     | 1   |      |
    | sub   | 1.2.1 | Báo cáo quý | 0.5 | done |
    | sub   | 1.2.2 | Báo cáo năm | 1   | done |
    """, total=3)
    only(problems, "set.children_sum", "I", "1.2")
    assert "là 2, khác điểm tối đa 3" in render(problems[0])  # criteria 1 + 1 against area 3
    assert "là 1,5, khác điểm tối đa 1" in render(problems[1])  # sub-criteria 0.5 + 1 against 1


def test_total_sum() -> None:
    problems = problems_of("""
    | level | code | title        | max | rule |
    | area  | I    | Chỉ đạo      | 2   |      |
    | crit  | 1.1  | Kế hoạch     | 2   | done |
    | area  | II   | Thể chế      | 1   |      |
    | crit  | 2.1  | Văn bản QPPL | 1   | done |
    """, total=5)
    only_set_level(problems, "set.total_sum")
    assert "là 3, khác tổng điểm của bộ tiêu chí 5" in render(problems[0])


def test_total_defaults_to_100() -> None:
    problems = problems_of("""
    | level | code | title    | max | rule |
    | area  | I    | Chỉ đạo  | 2   |      |
    | crit  | 1.1  | Kế hoạch | 2   | done |
    """)
    only_set_level(problems, "set.total_sum")
    assert "khác tổng điểm của bộ tiêu chí 100" in render(problems[0])


def test_max_not_positive() -> None:
    problems = problems_of("""
    | level | code  | title      | max | rule     |
    | area  | I     | Chỉ đạo    | 1   |          |
    | crit  | 1.1   | Kế hoạch   | 1   |          |
    | sub   | 1.1.1 | Ban hành   | 1   | done     |
    | sub   | 1.1.2 | Triển khai | 0   | district |
    """, total=1)
    only(problems, "set.max_not_positive", "1.1.2")


def test_max_precision() -> None:
    problems = problems_of("""
    | level | code  | title      | max   | rule     |
    | area  | I     | Chỉ đạo    | 1     |          |
    | crit  | 1.1   | Kế hoạch   | 1     |          |
    | sub   | 1.1.1 | Ban hành   | 0.125 | district |
    | sub   | 1.1.2 | Triển khai | 0.875 | district |
    """, total=1)
    only(problems, "set.max_precision", "1.1.1", "1.1.2")


def test_rule_missing() -> None:
    problems = problems_of("""
    | level | code | title    | max | rule |
    | area  | I    | Chỉ đạo  | 2   |      |
    | crit  | 1.1  | Kế hoạch | 1   |      |
    | crit  | 1.2  | Báo cáo  | 1   | done |
    """, total=2)
    only(problems, "set.rule_missing", "1.1")


def test_rule_on_parent() -> None:
    problems = problems_of("""
    | level | code  | title      | max | rule |
    | area  | I     | Chỉ đạo    | 2   |      |
    | crit  | 1.1   | Kế hoạch   | 2   | done |
    | sub   | 1.1.1 | Ban hành   | 1   | done |
    | sub   | 1.1.2 | Triển khai | 1   | done |
    """, total=2)
    only(problems, "set.rule_on_parent", "1.1")


def test_tiers_empty() -> None:
    problems = problems_of(VALID, total=3, tiers=[])
    only_set_level(problems, "set.tiers_empty")


def test_tiers_order() -> None:
    problems = problems_of("""
    | level | code | title    | max | rule |
    | area  | I    | Chỉ đạo  | 3   |      |
    | crit  | 1.1  | Kế hoạch | 3   | done |
    | tier  |      | Khá      | 1   |      |
    | tier  |      | Tốt      | 2   |      |
    | tier  |      | Chưa tốt | 0   |      |
    """, total=3)
    only_set_level(problems, "set.tiers_order")
    assert "“Tốt”: 2" in render(problems[0])


def test_tiers_range() -> None:
    problems = problems_of("""
    | level | code | title    | max | rule |
    | area  | I    | Chỉ đạo  | 3   |      |
    | crit  | 1.1  | Kế hoạch | 3   | done |
    | tier  |      | Xuất sắc | 5   |      |
    | tier  |      | Chưa tốt | 0   |      |
    """, total=3)
    only_set_level(problems, "set.tiers_range")
    assert "“Xuất sắc” (5)" in render(problems[0]) and "0 đến 3" in render(problems[0])


def test_tiers_cover() -> None:
    problems = problems_of("""
    | level | code | title      | max | rule |
    | area  | I    | Chỉ đạo    | 3   |      |
    | crit  | 1.1  | Kế hoạch   | 3   | done |
    | tier  |      | Tốt        | 2   |      |
    | tier  |      | Trung bình | 1   |      |
    """, total=3)
    only_set_level(problems, "set.tiers_cover")


def test_adjust_cap() -> None:
    problems = problems_of("""
    | level   | code | title       | max | rule |
    | area    | I    | Chỉ đạo     | 3   |      |
    | crit    | 1.1  | Kế hoạch    | 3   | done |
    | bonus   | T1   | Sáng kiến   | 0.5 |      |
    | bonus   | T2   | Khen thưởng | 1.5 |      |
    | penalty | P1   | Bị phản ánh | 0   |      |
    """, total=3, bonus_cap=1, penalty_cap=1)
    only(problems, "set.adjust_cap", "T2", "P1")
    assert "(1,5) vượt mức trần 1" in render(problems[0])


def test_area_empty() -> None:
    problems = problems_of("""
    | level | code | title    | max | rule |
    | area  | I    | Chỉ đạo  | 3   |      |
    | crit  | 1.1  | Kế hoạch | 3   | done |
    | area  | II   | Thể chế  | 1   |      |
    """, total=4)
    only(problems, "set.area_empty", "II")


# -- rule parameters, as checked within a set ---------------------------------------------------------
def test_level_out_of_range() -> None:
    problems = problems_of("""
    | level | code | title    | max | rule                           |
    | area  | I    | Chỉ đạo  | 1   |                                |
    | crit  | 1.1  | Kế hoạch | 1   | levels 1.5:Vượt; 1:Đủ; 0:Không |
    """, total=1)
    only(problems, "rule.level_out_of_range", "1.1")
    assert "mức điểm 1,5" in render(problems[0]) and "0 đến 1" in render(problems[0])


def test_points_with_more_than_two_decimals_are_refused() -> None:
    problems = problems_of("""
    | level | code | title    | max | rule                             |
    | area  | I    | Chỉ đạo  | 2   |                                  |
    | crit  | 1.1  | Kế hoạch | 1   | levels 1:Đủ; 0.125:Muộn; 0:Không |
    | crit  | 1.2  | Đúng hạn | 1   | ratio_tiers 100%:1; when_zero=0.005 |
    """, total=2)
    only(problems, "rule.points_precision", "1.1", "1.2")
    assert render(problems[0]) == "Mục “1.1”: mức điểm 0,125 của “1.1” chỉ được có tối đa 2 chữ số thập phân"
    assert "mức điểm 0,005" in render(problems[1])


def test_adjustment_points_with_more_than_two_decimals_are_refused() -> None:
    problems = problems_of("""
    | level   | code | title       | max   | rule |
    | area    | I    | Chỉ đạo     | 1     |      |
    | crit    | 1.1  | Kế hoạch    | 1     | done |
    | bonus   | T1   | Sáng kiến   | 0.125 |      |
    | penalty | P1   | Bị phản ánh | 0.25  |      |
    """, total=1, bonus_cap=1, penalty_cap=1)
    only(problems, "rule.points_precision", "T1")
    assert "mức điểm 0,125" in render(problems[0])


@pytest.mark.parametrize(("bonus_cap", "penalty_cap", "shown"),
                         [("-1", "1", "Mức trần -1 của khối điểm thưởng"),
                          ("1", "0.125", "Mức trần 0,125 của khối điểm trừ")])
def test_a_negative_or_over_precise_cap_is_refused(bonus_cap: str, penalty_cap: str, shown: str) -> None:
    problems = problems_of("""
    | level   | code | title       | max  | rule |
    | area    | I    | Chỉ đạo     | 1    |      |
    | crit    | 1.1  | Kế hoạch    | 1    | done |
    | penalty | P1   | Bị phản ánh | 0.1  |      |
    | bonus   | T1   | Sáng kiến   | 0.5  |      |
    """, total=1, bonus_cap=D(bonus_cap), penalty_cap=D(penalty_cap))
    caps = [p for p in problems if p.rule == "set.cap_invalid"]
    assert [p.place for p in caps] == [SET_PLACE]
    assert render(caps[0]).startswith(shown)


def test_level_duplicate() -> None:
    problems = problems_of("""
    | level | code | title    | max | rule                             |
    | area  | I    | Chỉ đạo  | 1   |                                  |
    | crit  | 1.1  | Kế hoạch | 1   | levels 1:Đủ; 0.5:Muộn; 0.5:Thiếu |
    """, total=1)
    only(problems, "rule.level_duplicate", "1.1")


def test_level_max_missing() -> None:
    problems = problems_of("""
    | level | code | title    | max | rule                   |
    | area  | I    | Chỉ đạo  | 1   |                        |
    | crit  | 1.1  | Kế hoạch | 1   | levels 0.5:Đủ; 0:Không |
    """, total=1)
    only(problems, "rule.level_max_missing", "1.1")


def test_thresholds_not_ordered() -> None:
    problems = problems_of("""
    | level | code | title      | max | rule                      |
    | area  | I    | Thủ tục HC | 1   |                           |
    | crit  | 1.1  | Đúng hạn   | 1   | ratio_tiers 95%:1; 100%:1 |
    """, total=1)
    only(problems, "rule.thresholds_not_ordered", "1.1")


def test_tier_points_not_ordered() -> None:
    problems = problems_of("""
    | level | code | title      | max | rule                                  |
    | area  | I    | Thủ tục HC | 1   |                                       |
    | crit  | 1.1  | Đúng hạn   | 1   | ratio_tiers 100%:1; 95%:0.5; 90%:0.75 |
    """, total=1)
    only(problems, "rule.tier_points_not_ordered", "1.1")


def test_percent_out_of_range() -> None:
    problems = problems_of("""
    | level | code | title      | max | rule                        |
    | area  | I    | Thủ tục HC | 1   |                             |
    | crit  | 1.1  | Đúng hạn   | 1   | ratio_tiers 150%:1; 95%:0.5 |
    """, total=1)
    only(problems, "rule.percent_out_of_range", "1.1")
    assert "ngưỡng 150%" in render(problems[0])


def test_per_item_above_max() -> None:
    problems = problems_of("""
    | level | code | title     | max | rule                       |
    | area  | I    | Kỷ luật   | 3   |                            |
    | crit  | 1.1  | Vi phạm   | 1   | count_deduction per_item=2 |
    | crit  | 1.2  | Sáng kiến | 2   | count_award per_item=2.5   |
    """, total=3)
    only(problems, "rule.per_item_above_max", "1.1", "1.2")
    assert "(2) của “1.1” vượt điểm tối đa 1" in render(problems[0])


def test_step_not_divisor() -> None:
    problems = problems_of("""
    | level | code | title    | max  | rule            |
    | area  | I    | Chỉ đạo  | 1.25 |                 |
    | crit  | 1.1  | Kế hoạch | 1.25 | manual step=0.5 |
    """, total=1.25, tiers=[("Đạt", 0)])
    only(problems, "rule.step_not_divisor", "1.1")
    assert "bước chấm 0,5" in render(problems[0]) and "1,25" in render(problems[0])


# -- structure: the model refuses the node, naming its code -----------------------------------------
def test_field_missing() -> None:
    problems = problems_of("""
    | level | code  | title    | max | rule |
    | area  | I     | Chỉ đạo  | 1   |      |
    | crit  | 1.1   | Kế hoạch | 1   |      |
    | sub   | 1.1.1 | Ban hành |     | done |
    """, total=1)
    only(problems, "set.field_missing", "1.1.1")
    assert "“max”" in render(problems[0])


def test_field_missing_at_set_level() -> None:
    raw = raw_set(VALID, total=3, tiers=SMALL_TIERS)
    del raw["decision"]["issuer"]
    problems = problems_of(raw)
    only_set_level(problems, "set.field_missing")
    assert "decision.issuer" in render(problems[0])


def test_field_unknown() -> None:
    raw = raw_set(VALID, total=3, tiers=SMALL_TIERS)
    find(raw, "1.2.1")["diem"] = 1
    problems = problems_of(raw)
    only(problems, "set.field_unknown", "1.2.1")
    assert "“diem”" in render(problems[0])


def test_field_unknown_inside_a_rule() -> None:
    raw = raw_set(VALID, total=3, tiers=SMALL_TIERS)
    find(raw, "1.1")["rule"]["points"] = 1
    problems = problems_of(raw)
    only(problems, "set.field_unknown", "1.1")
    assert "rule.points" in render(problems[0])


@pytest.mark.parametrize(
    ("code", "change"),
    [
        ("1.2.1", {"max": "một"}),
        ("1.2.1", {"rule": {"kind": "bogus"}}),
        ("1.2.1", {"rule": {"kind": "levels", "levels": [{"points": 1, "label": "x"}]}}),
        ("1.2.1", {"rule": {"kind": "manual", "step": 0}}),
        ("1.2", {"children": "1.2.1"}),
        ("I", {"max": [1]}),
    ],
)
def test_field_invalid(code: str, change: dict[str, Any]) -> None:
    raw = raw_set(VALID, total=3, tiers=SMALL_TIERS)
    find(raw, code).update(change)
    problems = problems_of(raw)
    only(problems, "set.field_invalid", code)


@pytest.mark.parametrize(
    ("code", "change", "field", "detail"),
    [
        ("1.2.1", {"max": "một"}, "max", "phải là một số"),
        ("1.2.1", {"max": "NaN"}, "max", "phải là số hữu hạn"),
        ("1.2.1", {"max": "-Infinity"}, "max", "phải là số hữu hạn"),
        ("1.2.1", {"max": D("NaN")}, "max", "phải là số hữu hạn"),
        ("1.2.1", {"rule": {"kind": "bogus"}}, "rule", "loại “bogus” không có"),
        ("1.2.1", {"rule": {"step": 1}}, "rule", "thiếu loại cách chấm điểm (kind)"),
        ("1.2.1", {"rule": {"kind": "levels", "levels": [{"points": 1, "label": "x"}]}}, "rule.levels",
         "phải có ít nhất 2 mục"),
        ("1.2.1", {"rule": {"kind": "manual", "step": 0}}, "rule.step", "phải lớn hơn 0"),
        ("1.2.1", {"title": 3}, "title", "phải là chữ"),
        ("1.2", {"children": "1.2.1"}, "children", "phải là một danh sách"),
        ("I", {"max": [1]}, "max", "phải là một số"),
    ],
)
def test_field_invalid_says_what_is_wrong_in_vietnamese(code: str, change: dict[str, Any], field: str,
                                                        detail: str) -> None:
    raw = raw_set(VALID, total=3, tiers=SMALL_TIERS)
    find(raw, code).update(change)
    problems = problems_of(raw)
    only(problems, "set.field_invalid", code)
    assert f"trường “{field}” không hợp lệ: {detail}" in render(problems[0])
    assert "Input" not in render(problems[0]) and "should" not in render(problems[0])


def test_field_invalid_outside_the_tree_falls_back_to_a_generic_text() -> None:
    raw = raw_set(VALID, total=3, tiers=SMALL_TIERS)
    raw["year"] = "năm nay"
    raw["decision"]["date"] = "hôm qua"
    messages = [render(p) for p in problems_of(raw)]
    assert messages == ["Thông tin bộ tiêu chí: trường “year” không hợp lệ: phải là số nguyên",
                        "Thông tin bộ tiêu chí: trường “decision.date” không hợp lệ: phải là ngày dạng YYYY-MM-DD"]


def test_field_invalid_names_the_field_inside_a_levels_rule() -> None:
    raw = raw_set(VALID, total=3, tiers=SMALL_TIERS)
    find(raw, "1.2.2")["rule"]["levels"][0]["points"] = "một"
    problems = problems_of(raw)
    only(problems, "set.field_invalid", "1.2.2")
    assert "“rule.levels.0.points”" in render(problems[0])


def test_every_structural_problem_is_reported_at_once() -> None:
    raw = raw_set(VALID, total=3, tiers=SMALL_TIERS)
    del find(raw, "1.1")["title"]
    find(raw, "1.2.1")["max"] = "abc"
    find(raw, "1.2.2")["bogus"] = True
    problems = problems_of(raw)
    assert sorted((p.rule, p.place) for p in problems) == [
        ("set.field_invalid", "Mục “1.2.1”"), ("set.field_missing", "Mục “1.1”"),
        ("set.field_unknown", "Mục “1.2.2”")]


def test_every_consistency_problem_is_reported_at_once() -> None:
    problems = problems_of("""
    | level | code  | title          | max   | rule                   |
    | area  | I     | Chỉ đạo        | 4     |                        |
    | crit  | 1.1   | Kế hoạch       | 1     |                        |
    | crit  | 1.1   | Báo cáo        | 1     | done                   |
    | crit  | 1.3   | Tuyên truyền   | 1     |                        |
    | sub   | 1.3.1 | Trên cổng TTĐT | 0.125 | manual                 |
    | sub   | 1.4.2 | Trên loa       | 1     | levels 0.5:Có; 0:Không |
    | area  | II    | Thể chế        | 1     |                        |
    | bonus | T1    | Sáng kiến      | 3     |                        |
    | tier  |       | Tốt            | 8     |                        |
    | tier  |       | Khá            | 9     |                        |
    | tier  |       | Trung bình     | 11    |                        |
    """, total=10, bonus_cap=1)
    assert sorted({p.rule for p in problems}) == sorted([
        "set.rule_missing", "set.code_duplicate", "set.max_precision", "rule.step_not_divisor",
        "set.code_hierarchy", "rule.level_max_missing", "set.children_sum", "set.area_empty", "set.total_sum",
        "set.tiers_order", "set.tiers_range", "set.tiers_cover", "set.adjust_cap"])
    assert len(problems) >= 14


def test_check_set_uses_the_given_locator() -> None:
    cset = build(raw_set("""
    | level | code | title    | max | rule |
    | area  | I    | Chỉ đạo  | 2   |      |
    | crit  | 1.1  | Kế hoạch | 1   |      |
    | crit  | 1.2  | Báo cáo  | 1   | done |
    """, total=3, tiers=SMALL_TIERS))
    problems = check_set(cset, lambda code: f"dòng của {code or 'bộ'}")
    assert [(p.rule, p.place) for p in problems] == [("set.rule_missing", "dòng của 1.1"),
                                                      ("set.total_sum", "dòng của bộ")]
    assert render(problems[0]).startswith("dòng của 1.1:")


# -- the YAML pipeline --------------------------------------------------------------------------------
def write_yaml(path: Path, raw: dict[str, Any]) -> Path:
    path.write_text(yaml_text(raw), encoding="utf-8")
    return path


def test_load_set_reads_decimals_from_their_text(tmp_path: Path) -> None:
    raw = raw_set(VALID, total=3, tiers=SMALL_TIERS)
    text = yaml_text(raw).replace("max: 3\n", "max: 3.0\n", 1)
    src = tmp_path / "set.yaml"
    src.write_text(text, encoding="utf-8")
    cset = load_set(src)
    assert isinstance(cset.areas[0].criteria[1].max, Decimal)
    assert cset.by_code["1.2.2"].rule.levels[1].points == D("0.5")  # type: ignore[union-attr]
    assert len(cset.source_sha256) == 64


def test_load_set_raises_every_problem(tmp_path: Path) -> None:
    raw = raw_set("""
    | level | code | title    | max | rule |
    | area  | I    | Chỉ đạo  | 2   |      |
    | crit  | 1.1  | Kế hoạch | 1   |      |
    | crit  | 1.1  | Báo cáo  | 1   | done |
    """, total=3, tiers=SMALL_TIERS)
    with pytest.raises(CriteriaError) as info:
        load_set(write_yaml(tmp_path / "bad.yaml", raw))
    assert sorted(p.rule for p in info.value.problems) == ["set.code_duplicate", "set.rule_missing",
                                                           "set.total_sum"]
    assert "Mục “1.1”" in str(info.value)


@pytest.mark.parametrize(
    ("text", "rule"),
    [("id: [unclosed\n", "set.yaml_invalid"), ("- just\n- a list\n", "set.yaml_invalid"),
     ("plain text\n", "set.yaml_invalid"), (b"\xff\xfe\x00bad", "set.yaml_invalid")],
)
def test_read_yaml_refuses_unreadable_text(tmp_path: Path, text: str | bytes, rule: str) -> None:
    src = tmp_path / "bad.yaml"
    if isinstance(text, bytes):
        src.write_bytes(text)
    else:
        src.write_text(text, encoding="utf-8")
    with pytest.raises(CriteriaError) as info:
        read_yaml(src)
    assert [p.rule for p in info.value.problems] == [rule]


def test_read_yaml_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CriteriaError) as info:
        load_set(tmp_path / "nope.yaml")
    assert [p.rule for p in info.value.problems] == ["set.not_found"]
    assert "nope.yaml" in render(info.value.problems[0])


@pytest.mark.parametrize("value", [".nan", ".inf", "-.Inf", "1:30.5"])
def test_yaml_special_floats_are_reported(tmp_path: Path, value: str) -> None:
    raw = raw_set(VALID, total=3, tiers=SMALL_TIERS)
    text = yaml_text(raw).replace("max: 3\n",
                                                                                      f"max: {value}\n", 1)
    src = tmp_path / "set.yaml"
    src.write_text(text, encoding="utf-8")
    with pytest.raises(CriteriaError) as info:
        load_set(src)
    assert [p.rule for p in info.value.problems] == ["set.yaml_invalid"]
    assert f"số “{value}” không hợp lệ" in render(info.value.problems[0])


def test_read_yaml_a_directory(tmp_path: Path) -> None:
    with pytest.raises(CriteriaError) as info:
        read_yaml(tmp_path)
    assert [p.rule for p in info.value.problems] == ["set.unreadable"]
    assert render(info.value.problems[0]) == f"Không đọc được tệp tiêu chí {tmp_path}: đây là một thư mục, không phải tệp"


def test_read_yaml_an_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_yaml(tmp_path / "set.yaml", raw_set(VALID, total=3, tiers=SMALL_TIERS))

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(CriteriaError) as info:
        load_set(src)
    assert [p.rule for p in info.value.problems] == ["set.unreadable"]
    assert render(info.value.problems[0]).endswith("không có quyền đọc tệp")


def test_dump_yaml_loads_back_equal(tmp_path: Path) -> None:
    cset = every_kind_set()
    src = tmp_path / "dumped.yaml"
    src.write_text(dump_yaml(cset, header="# thử\n"), encoding="utf-8")
    again = load_set(src)
    assert again.model_dump(exclude={"source_sha256"}) == cset.model_dump(exclude={"source_sha256"})
    assert again.fingerprint() == cset.fingerprint()


def test_fingerprint_ignores_number_formatting(tmp_path: Path) -> None:
    raw = raw_set(VALID, total=3, tiers=SMALL_TIERS)
    text = yaml_text(raw)
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text(text, encoding="utf-8")
    b.write_text("# the same set, numbers written differently\n" + text.replace("max: 3\n", "max: 3.00\n", 1)
                 .replace("points: 0.5\n", "points: 0.50\n"), encoding="utf-8")
    sa, sb = load_set(a), load_set(b)
    assert sa.source_sha256 != sb.source_sha256
    assert sa.fingerprint() == sb.fingerprint()
    changed = build(raw_set(VALID.replace("Báo cáo năm", "Báo cáo 6 tháng"), total=3, tiers=SMALL_TIERS))
    assert changed.fingerprint() != sa.fingerprint()


# -- the model's helpers --------------------------------------------------------------------------------
def test_model_helpers() -> None:
    cset = every_kind_set()
    assert [c.code for c in cset.leaves()] == ["1.1", "1.2", "1.3.1", "1.3.2", "2.1", "2.2", "2.3", "2.4"]
    assert [c.code for c in cset.commune_leaves()] == ["1.1", "1.2", "1.3.1", "1.3.2", "2.1", "2.2", "2.3"]
    assert cset.by_code["1.3"].is_leaf is False and cset.by_code["1.3.2"].is_leaf is True
    assert cset.by_code["2.4"].scored_by == "district"
    assert cset.area_of["1.3.2"].code == "I" and cset.area_of["2.1"].code == "II"
    assert cset.by_code["1.3.1"].name_key == "1_3_1"
    assert [(a.code, c.code, s.code if s else None) for a, c, s in cset.walk()][:5] == [
        ("I", "1.1", None), ("I", "1.2", None), ("I", "1.3", None), ("I", "1.3", "1.3.1"),
        ("I", "1.3", "1.3.2")]
    assert cset.window == (dt.date(2021, 12, 1), dt.date(2022, 11, 30))


@pytest.mark.parametrize(("total", "tier"), [("15", "Tốt"), ("12", "Tốt"), ("11.99", "Khá"), ("7.5", "Khá"),
                                             ("7.49", "Trung bình"), ("0", "Trung bình")])
def test_tier_for(total: str, tier: str) -> None:
    assert every_kind_set().tier_for(D(total)) == tier


def test_window_defaults_to_the_year() -> None:
    cset = build(raw_set(VALID, total=3, tiers=SMALL_TIERS))
    assert cset.window == (dt.date(2022, 1, 1), dt.date(2022, 12, 31))


# -- names the workbooks make from codes, tiers, figure labels, composition -------------------------------
ADJUSTED = """
| level   | code  | title              | max | rule |
| area    | I     | Chỉ đạo, điều hành | 2   |      |
| crit    | 1.1   | Kế hoạch CCHC      | 1   | done |
| crit    | 1.2   | Báo cáo CCHC       | 1   | done |
| bonus   | {bonus} | Sáng kiến        | 1   |      |
| penalty | P1    | Vi phạm            | 0.5 |      |
"""


@pytest.mark.parametrize("code", ["T 1", "Thưởng1", "T-1", "_T1", "tong", "T" * 41])
def test_a_bonus_code_that_cannot_be_part_of_an_excel_name_is_refused(code: str) -> None:
    problems = problems_of(ADJUSTED.replace("{bonus}", code), total=2)
    only(problems, "set.code_name", code)
    assert "tên ô trong Excel" in render(problems[0])


@pytest.mark.parametrize("code", ["T1", "10", "T.1", "Thuong_2"])
def test_a_bonus_code_usable_in_excel_names_passes(code: str) -> None:
    assert problems_of(ADJUSTED.replace("{bonus}", code), total=2) == []


def test_a_bonus_code_whose_excel_name_is_a_criterions_is_refused() -> None:
    problems = problems_of(ADJUSTED.replace("{bonus}", "1_2"), total=2)
    only(problems, "set.code_name_clash", "1_2")
    assert "“1.2”" in render(problems[0])


def test_two_tiers_of_one_name_are_refused() -> None:
    problems = problems_of(VALID, total=3, tiers=[("Đạt", 2), ("đạt ", 1), ("Chưa đạt", 0)])
    only_set_level(problems, "set.tier_duplicate")
    assert "Đạt" in render(problems[0])


def test_a_tier_without_a_name_is_refused() -> None:
    problems = problems_of(VALID, total=3, tiers=[("Đạt", 2), (" ", 0)])
    only_set_level(problems, "set.tier_blank")


def test_a_blank_figure_label_is_refused_naming_the_item() -> None:
    raw = raw_set("""
    | level | code  | title          | max | rule         |
    | area  | I     | Thủ tục        | 2   |              |
    | crit  | 1.1   | Hồ sơ đúng hạn | 2   | proportional |
    """, total=2, tiers=SMALL_TIERS)
    find(raw, "1.1")["rule"]["planned"] = " \u00a0"
    problems = problems_of(raw)
    only(problems, "set.figure_label_blank", "1.1")
    assert "số liệu 2" in render(problems[0])


def test_rescaling_without_items_the_body_scores_is_refused() -> None:
    only_set_level(problems_of(VALID, total=3, rescale_unscored=True), "set.rescale_no_body")


def test_composition_of_a_set_with_district_scored_points() -> None:
    cset = build(raw_set("""
    | level | code | title        | max   | rule     |
    | area  | 1    | Tự chấm      | 70    |          |
    | crit  | 1.1  | Kế hoạch     | 69.75 | manual   |
    | crit  | 1.2  | Báo cáo quý  | 0.25  | done     |
    | area  | 2    | Hài lòng     | 30    |          |
    | crit  | 2.1  | Điều tra     | 27.25 | district |
    | crit  | 2.2  | SIPAS        | 2.75  | district |
    | bonus | T1   | Sáng kiến    | 1     |          |
    """, total=100, bonus_cap="2.5"))
    assert (cset.commune_max, cset.body_max, cset.highest) == (D("70"), D("30"), D("102.5"))
    assert [leaf.code for leaf in cset.body_leaves()] == ["2.1", "2.2"]


@pytest.mark.parametrize("which", ["bundled", "mini", "every-kind"])
def test_a_stored_set_text_reads_alike_by_either_parser(which: str) -> None:
    """A round's stored set text is read by libyaml's parser (criteria/load.py `_stored_yaml`): the same values,
    Decimals digit for digit, as the Python loader gives; a set built from it equal to the original."""
    import yaml

    from cchc_xl.criteria import load as loading

    cset = {"bundled": lambda: load_set(), "mini": lambda: load_set(Path(__file__).parent / "data" / "mini-set.yaml"),
            "every-kind": lambda: build(every_kind_set())}[which]()
    text = dump_yaml(cset)
    plain = yaml.load(text, Loader=loading._DecimalLoader)
    fast = loading._stored_yaml(text)
    assert fast == plain and repr(fast) == repr(plain)
    assert loading.load_set_text(text).model_dump(exclude={"source_sha256"}) == cset.model_dump(exclude={"source_sha256"})


@pytest.mark.parametrize("text", ["a: &x [1, 2]\nb: *x\n", "a: " + "[" * 60 + "]" * 60 + "\n", "a: [1\n",
                                  "a: 1.0e+999999999\n", "--- 1\n--- 2\n"],
                         ids=["alias", "deep", "broken", "huge-number", "two-documents"])
def test_what_the_python_loader_refuses_it_still_refuses(text: str) -> None:
    import yaml

    from cchc_xl.criteria import load as loading

    def outcome(read: Any) -> object:
        try:
            return read(text)
        except Exception as exc:
            return type(exc), str(exc)

    assert outcome(loading._stored_yaml) == outcome(lambda t: yaml.load(t, Loader=loading._DecimalLoader))
    assert isinstance(outcome(loading._stored_yaml), tuple)
