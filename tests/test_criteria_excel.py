"""The criteria set as an editable workbook: export -> import gives the same set; edits are checked and every
problem names its sheet and row."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from cchc_xl.criteria import CriteriaError
from cchc_xl.criteria.excel import export_criteria, import_criteria
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.messages import render
from cchc_xl.templates import template
from criteria_tables import every_kind_set, make_set

D = Decimal
T = template("criteria")
TREE = T["sheets"]["tree"]  # "Tiêu chí"
INFO = T["sheets"]["info"]  # "Thông tin"
ADJUST = T["sheets"]["adjust"]  # "Điểm thưởng - trừ"
COLUMN = {key: i + 1 for i, key in enumerate(T["tree_columns"])}  # key -> 1-based column
HEADER = {key: c.header for key, c in T["tree_columns"].items()}


def same(a: CriteriaSet, b: CriteriaSet) -> None:
    assert a.model_dump(exclude={"source_sha256"}) == b.model_dump(exclude={"source_sha256"})


def exported(tmp_path: Path, cset: CriteriaSet | None = None, name: str = "tieu-chi.xlsx") -> Path:
    path = tmp_path / name
    export_criteria(cset or every_kind_set(), path)
    return path


def edit(path: Path, change: Callable[[Any], None]) -> Path:
    """Open the workbook with openpyxl, apply `change(workbook)`, save it in place."""
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def tree_row(path: Path, code: str) -> int:
    ws = openpyxl.load_workbook(path, read_only=True)[TREE]
    for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if row[COLUMN["code"] - 1] == code:
            return i
    raise KeyError(code)


def refused(path: Path) -> list[Any]:
    with pytest.raises(CriteriaError) as info:
        import_criteria(path)
    return info.value.problems


def row_place(row: int, sheet: str = TREE) -> str:
    return f"Sheet “{sheet}”, dòng {row}"


# -- round trip -------------------------------------------------------------------------------------------
def test_round_trip_every_kind(tmp_path: Path) -> None:
    cset = every_kind_set()
    back = import_criteria(exported(tmp_path, cset))
    same(back, cset)
    assert back.fingerprint() == cset.fingerprint()
    # the parts most likely to get lost on the way
    assert back.by_code["2.1"].rule == cset.by_code["2.1"].rule
    assert back.by_code["1.3.1"].rule.step() == D("0.5")  # type: ignore[union-attr]
    assert back.bonus == cset.bonus and back.penalty == cset.penalty
    assert back.by_code["1.1"].evidence == ["Kế hoạch CCHC năm", "Văn bản triển khai"]
    assert back.evidence_to == cset.evidence_to
    assert back.rescale_unscored is cset.rescale_unscored is True


def test_the_rescale_setting_reads_yes_no_or_blank(tmp_path: Path) -> None:
    from cchc_xl.templates import template

    t = template("criteria")
    label = t["info_fields"]["rescale_unscored"]
    for typed, want in ((t["no"], False), (None, False), (t["yes"], True)):
        path = exported(tmp_path, every_kind_set())
        wb = openpyxl.load_workbook(path)
        ws = wb[t["sheets"]["info"]]
        row = next(r for r in ws.iter_rows() if r[0].value == label)
        row[1].value = typed
        wb.save(path)
        assert import_criteria(path).rescale_unscored is want
    wb = openpyxl.load_workbook(path)
    ws = wb[t["sheets"]["info"]]
    next(r for r in ws.iter_rows() if r[0].value == label)[1].value = "có lẽ"
    wb.save(path)
    with pytest.raises(CriteriaError) as err:
        import_criteria(path)
    assert t["sheets"]["info"] in str(err.value.problems[0].place)


def test_round_trip_without_adjustments_or_optional_fields(tmp_path: Path) -> None:
    cset = make_set("""
    | level | code  | title              | max  | rule                               |
    | area  | 1     | Chỉ đạo, điều hành | 2.5  |                                    |
    | crit  | 1.1   | Kế hoạch           | 0.5  | done                               |
    | crit  | 1.2   | Báo cáo            | 2    |                                    |
    | sub   | 1.2.1 | Báo cáo quý        | 1.25 | manual step=0.25                   |
    | sub   | 1.2.2 | Báo cáo năm        | 0.75 | levels 0.75:Đủ; 0.25:Muộn; 0:Không |
    | tier  |       | Đạt                | 1.5  |                                    |
    | tier  |       | Chưa đạt           | 0    |                                    |
    """, total=D("2.5"))
    back = import_criteria(exported(tmp_path, cset))
    same(back, cset)
    assert back.bonus is None and back.penalty is None and back.evidence_from is None


def test_round_trip_keeps_text_that_looks_like_a_formula_or_number(tmp_path: Path) -> None:
    cset = every_kind_set()
    area = cset.areas[0]
    crit = area.criteria[0].model_copy(update={"title": "=SUM(A1:A3)", "requirement": "0,5",
                                               "guidance": "+1 điểm"})
    cset = cset.model_copy(update={"areas": [area.model_copy(update={"criteria": [crit, *area.criteria[1:]]}),
                                             *cset.areas[1:]]})
    path = exported(tmp_path, cset)
    ws = openpyxl.load_workbook(path)[TREE]
    assert ws.cell(tree_row(path, "1.1"), COLUMN["title"]).data_type == "s"  # text, never a formula
    same(import_criteria(path), cset)


def test_export_is_atomic_and_overwrites(tmp_path: Path) -> None:
    path = exported(tmp_path)
    export_criteria(every_kind_set(), path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


# -- edited sheets ----------------------------------------------------------------------------------------
def test_a_wrong_maximum_is_refused_naming_the_row(tmp_path: Path) -> None:
    path = exported(tmp_path)
    row = tree_row(path, "1.3")
    edit(path, lambda wb: setattr(wb[TREE].cell(row, COLUMN["max"]), "value", 4))  # children sum to 3
    problems = refused(path)
    assert [(p.rule, p.place) for p in problems] == [("set.children_sum", row_place(tree_row(path, "I"))),
                                                      ("set.children_sum", row_place(row))]
    assert f"dòng {row}" in render(problems[1]) and "“Tiêu chí”" in render(problems[1])


def test_a_negative_maximum_is_refused_naming_the_row(tmp_path: Path) -> None:
    path = exported(tmp_path)
    row = tree_row(path, "1.3.2")
    edit(path, lambda wb: setattr(wb[TREE].cell(row, COLUMN["max"]), "value", -1.5))
    problems = refused(path)
    assert ("set.max_not_positive", row_place(row)) in [(p.rule, p.place) for p in problems]
    assert all(render(p).startswith("Sheet “Tiêu chí”, dòng ") for p in problems)


def test_a_maximum_typed_as_text_with_a_comma_is_read(tmp_path: Path) -> None:
    path = exported(tmp_path)
    row = tree_row(path, "1.3.1")
    edit(path, lambda wb: setattr(wb[TREE].cell(row, COLUMN["max"]), "value", "1,5"))
    same(import_criteria(path), every_kind_set())


@pytest.mark.parametrize(("column", "value"), [("max", "một"), ("max", "1.000,5"), ("max", ""),
                                               ("per_item", "abc"), ("step", "0,5đ"), ("when_zero", "x")])
def test_a_bad_number_text_is_refused_naming_the_row(tmp_path: Path, column: str, value: str) -> None:
    path = exported(tmp_path)
    code = {"max": "2.3", "per_item": "2.3", "step": "1.3.1", "when_zero": "2.1"}[column]
    row = tree_row(path, code)
    edit(path, lambda wb: setattr(wb[TREE].cell(row, COLUMN[column]), "value", value))
    problems = refused(path)
    assert [(p.rule, p.place) for p in problems] == [("set.excel_value", row_place(row))]
    assert f"“{HEADER[column]}”" in render(problems[0]) and f"“{value}”" in render(problems[0])


def test_a_bad_kind_label_is_refused_naming_the_row(tmp_path: Path) -> None:
    path = exported(tmp_path)
    row = tree_row(path, "1.2")
    edit(path, lambda wb: setattr(wb[TREE].cell(row, COLUMN["kind"]), "value", "Theo cảm tính"))
    problems = refused(path)
    assert [(p.rule, p.place) for p in problems] == [("set.excel_value", row_place(row))]
    assert "“Theo cảm tính”" in render(problems[0]) and f"“{HEADER['kind']}”" in render(problems[0])


def test_a_bad_level_label_is_refused_naming_the_row(tmp_path: Path) -> None:
    path = exported(tmp_path)
    row = tree_row(path, "1.3.1")
    edit(path, lambda wb: setattr(wb[TREE].cell(row, COLUMN["level"]), "value", "Mục con"))
    problems = refused(path)
    assert [(p.rule, p.place) for p in problems] == [("set.excel_value", row_place(row))]


@pytest.mark.parametrize(("column", "code", "value"),
                         [("levels", "1.2", "2 = Đủ\nhai = Thiếu"), ("levels", "1.2", "2 Đủ"),
                          ("tiers", "2.1", "100% = 3\n95% = hai"), ("tiers", "2.1", "trăm = 3")])
def test_a_bad_levels_or_tiers_line_is_refused_naming_the_row(tmp_path: Path, column: str, code: str,
                                                              value: str) -> None:
    path = exported(tmp_path)
    row = tree_row(path, code)
    edit(path, lambda wb: setattr(wb[TREE].cell(row, COLUMN[column]), "value", value))
    problems = refused(path)
    assert [(p.rule, p.place) for p in problems] == [("set.excel_value", row_place(row))]


def test_rule_parameter_problems_name_the_row(tmp_path: Path) -> None:
    path = exported(tmp_path)
    row = tree_row(path, "2.1")
    edit(path, lambda wb: setattr(wb[TREE].cell(row, COLUMN["tiers"]), "value", "95% = 3\n100% = 2"))
    problems = refused(path)
    assert [(p.rule, p.place) for p in problems] == [("rule.thresholds_not_ordered", row_place(row))]


def test_structural_problems_name_the_row(tmp_path: Path) -> None:
    path = exported(tmp_path)
    row = tree_row(path, "1.2")
    edit(path, lambda wb: setattr(wb[TREE].cell(row, COLUMN["levels"]), "value", "2 = Chỉ một mức"))
    problems = refused(path)
    assert [(p.rule, p.place) for p in problems] == [("set.field_invalid", row_place(row))]


def test_many_edits_are_all_reported(tmp_path: Path) -> None:
    path = exported(tmp_path)
    rows = {code: tree_row(path, code) for code in ("1.2", "2.3", "2.4")}

    def change(wb: Any) -> None:
        ws = wb[TREE]
        ws.cell(rows["1.2"], COLUMN["kind"]).value = "???"
        ws.cell(rows["2.3"], COLUMN["max"]).value = "nhiều"
        ws.cell(rows["2.4"], COLUMN["level"]).value = "Không rõ"

    edit(path, change)
    problems = refused(path)
    assert sorted(p.place for p in problems) == sorted(row_place(r) for r in rows.values())


def test_a_bad_adjustment_row_is_named(tmp_path: Path) -> None:
    path = exported(tmp_path)

    def change(wb: Any) -> None:
        wb[ADJUST].cell(3, 1).value = "Cộng"  # neither "Thưởng" nor "Trừ"
        wb[ADJUST].cell(4, 4).value = "nửa"

    edit(path, change)
    problems = refused(path)
    assert sorted((p.rule, p.place) for p in problems) == [("set.excel_value", row_place(3, ADJUST)),
                                                           ("set.excel_value", row_place(4, ADJUST))]


def test_an_adjustment_above_its_cap_names_its_row(tmp_path: Path) -> None:
    path = exported(tmp_path)
    edit(path, lambda wb: setattr(wb[ADJUST].cell(3, 4), "value", 2))  # T2, cap 1.5
    problems = refused(path)
    assert [(p.rule, p.place) for p in problems] == [("set.adjust_cap", row_place(3, ADJUST))]


def test_info_sheet_problems_name_the_info_sheet(tmp_path: Path) -> None:
    path = exported(tmp_path)

    def change(wb: Any) -> None:
        ws = wb[INFO]
        for row in ws.iter_rows():
            if row[0].value == T["info_fields"]["total"]:
                row[1].value = 20
            if row[0].value == T["info_fields"]["decision_date"]:
                row[1].value = "31/02/2022"

    edit(path, change)
    problems = refused(path)
    assert [p.rule for p in problems] == ["set.excel_value"]
    assert problems[0].place.startswith(f"Sheet “{INFO}”, dòng ")
    edit(path, lambda wb: [setattr(r[1], "value", "07/09/2022") for r in wb[INFO].iter_rows()
                           if r[0].value == T["info_fields"]["decision_date"]])
    problems = refused(path)
    assert [(p.rule, p.place) for p in problems] == [("set.total_sum", f"Sheet “{INFO}”")]


def test_a_date_typed_as_a_real_date_is_read(tmp_path: Path) -> None:
    import datetime as dt

    path = exported(tmp_path)
    edit(path, lambda wb: [setattr(r[1], "value", dt.datetime(2022, 12, 15)) for r in wb[INFO].iter_rows()
                           if r[0].value == T["info_fields"]["decision_date"]])
    same(import_criteria(path), every_kind_set())


# -- sheets and files -------------------------------------------------------------------------------------
@pytest.mark.parametrize("sheet", [INFO, TREE, ADJUST])
def test_a_missing_sheet_is_refused(tmp_path: Path, sheet: str) -> None:
    path = exported(tmp_path)
    edit(path, lambda wb: wb.remove(wb[sheet]))
    problems = refused(path)
    assert [(p.rule, p.place) for p in problems if p.rule == "set.excel_sheet_missing"] == [
        ("set.excel_sheet_missing", f"Sheet “{sheet}”")]
    assert f"“{sheet}”" in render(problems[0])


def test_a_renamed_sheet_is_refused(tmp_path: Path) -> None:
    path = exported(tmp_path)
    edit(path, lambda wb: setattr(wb[TREE], "title", "Tieu chi"))
    assert "set.excel_sheet_missing" in [p.rule for p in refused(path)]


@pytest.mark.parametrize("content", [b"", b"not a workbook", b"PK\x03\x04broken zip"])
def test_an_unreadable_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "hong.xlsx"
    path.write_bytes(content)
    problems = refused(path)
    assert [p.rule for p in problems] == ["set.excel_unreadable"]
    assert "hong.xlsx" in render(problems[0])


def test_a_re_saved_workbook_imports_the_same(tmp_path: Path) -> None:
    path = exported(tmp_path)
    edit(path, lambda wb: None)  # an openpyxl re-save, as a district's tool might do
    same(import_criteria(path), every_kind_set())


# -- regressions --------------------------------------------------------------------------------------------
def test_a_sub_criterion_right_under_an_area_is_refused_as_misplaced(tmp_path: Path) -> None:
    path = exported(tmp_path)
    row = tree_row(path, "2.1")
    edit(path, lambda wb: setattr(wb[TREE].cell(row, COLUMN["level"]), "value", T["levels"]["sub"]))
    problems = refused(path)
    assert ("set.excel_value", row_place(row)) in [(p.rule, p.place) for p in problems]
    assert f"“{HEADER['level']}”" in render(problems[0])


def test_a_duplicate_code_names_the_duplicate_row(tmp_path: Path) -> None:
    path = exported(tmp_path)
    first, second = tree_row(path, "2.2"), tree_row(path, "2.3")
    edit(path, lambda wb: setattr(wb[TREE].cell(second, COLUMN["code"]), "value", "2.2"))
    problems = [p for p in refused(path) if p.rule == "set.code_duplicate"]
    assert [p.place for p in problems] == [row_place(second)]
    assert f"dòng {first}" in render(problems[0])


def test_other_problems_of_a_duplicated_code_name_its_own_row(tmp_path: Path) -> None:
    path = exported(tmp_path)
    first, second = tree_row(path, "2.2"), tree_row(path, "2.3")

    def change(wb: Any) -> None:
        wb[TREE].cell(second, COLUMN["code"]).value = "2.2"
        wb[TREE].cell(second, COLUMN["kind"]).value = None

    edit(path, change)
    problems = refused(path)
    assert [(p.rule, p.place) for p in problems] == [("set.code_duplicate", row_place(second)),
                                                      ("set.rule_missing", row_place(second))]
    assert f"ở {row_place(first)};" in render(problems[0])


def test_a_duplicate_between_bonus_and_penalty_names_the_row_checked_second(tmp_path: Path) -> None:
    path = exported(tmp_path)

    def change(wb: Any) -> None:  # row 2 becomes a penalty item coded like the bonus item of row 3
        wb[ADJUST].cell(2, 1).value = T["blocks"]["penalty"]
        wb[ADJUST].cell(2, 2).value = "T2"

    edit(path, change)
    problems = [p for p in refused(path) if p.rule == "set.code_duplicate"]
    assert [p.place for p in problems] == [row_place(2, ADJUST)]  # bonus items are checked before penalties
    assert f"mục điểm thưởng “Được khen thưởng về CCHC” ở {row_place(3, ADJUST)}" in render(problems[0])


def test_set_level_problems_stay_on_the_info_sheet_when_a_code_is_empty(tmp_path: Path) -> None:
    path = exported(tmp_path)
    edit(path, lambda wb: setattr(wb[ADJUST].cell(4, 2), "value", None))  # P1 loses its code
    edit(path, lambda wb: [setattr(r[1], "value", 20) for r in wb[INFO].iter_rows()
                           if r[0].value == T["info_fields"]["total"]])
    problems = refused(path)
    assert [p.place for p in problems if p.rule == "set.total_sum"] == [f"Sheet “{INFO}”"]
