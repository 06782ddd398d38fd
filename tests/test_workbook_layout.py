"""The generated commune workbook's public interface (design.md, "Public interface of the generated commune
workbook"): one file per commune, named `<code>-<slug>.xlsx`; the defined names, exactly; where they point;
the cached values a blank workbook shows before any spreadsheet engine recalculates it.

Cells are found the way another program would find them: by defined name, or by the visible headers and
criterion codes, never through the generator's own layout object.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.numbers import fmt
from cchc_xl.settings import Settings
from cchc_xl.templates import template
from cchc_xl.workbook.generate import generate_one, workbook_name
from workbook_fill import NamedValues, cells_of, defined_names, name_key

MakeWorkbook = Callable[..., Path]
T = template("commune")
GRID, REGISTER, SUMMARY = T["sheets"]["grid"], T["sheets"]["register"], T["sheets"]["summary"]
FIXED_NAMES = {"MA_DON_VI", "TLKC", "TONG_DIEM", "XEP_LOAI"}
# Names the generator adds beyond the contract (the "Khó khăn, kiến nghị" inputs); listed so that any
# further name is a deliberate change of the public interface.
EXTRA_NAMES = {"KHO_KHAN", "KIEN_NGHI"}
FILE_NAME = re.compile(r"^[0-9]{5}-[a-z0-9]+(?:-[a-z0-9]+)*\.xlsx$")


@pytest.fixture(scope="module")
def phu_yen_books(tmp_path_factory: pytest.TempPathFactory, bundled_set: CriteriaSet, communes: list[Commune],
                  settings: Settings) -> dict[str, Path]:
    """All 27 Phù Yên workbooks generated into one folder, as `cchc-xl generate` does: code -> path."""
    out = tmp_path_factory.mktemp("phu-yen")
    return {c.code: generate_one(bundled_set, c, out, settings) for c in communes}


@pytest.fixture(scope="module")
def mini_book(make_workbook: MakeWorkbook, mini_set: CriteriaSet) -> Path:
    return make_workbook(cset=mini_set)


def expected_names(cset: CriteriaSet) -> set[str]:
    names = set(FIXED_NAMES)
    for leaf in cset.commune_leaves():
        rule, key = leaf.rule, name_key(leaf.code)
        assert rule is not None
        names |= {f"TDG_{key}", f"GT_{key}"}
        names |= {f"KK_{key}_{n}" for n in range(1, len(rule.figures()) + 1)}
    return names


class Grid:
    """The grid sheet read as a person reads it: columns by header text, rows by criterion code."""

    def __init__(self, values: NamedValues):
        self.values = values
        rows = values.rows(GRID)
        header_row = next(i for i, r in enumerate(rows) if "Điểm tối đa" in r)
        self.header_row = header_row
        self.col = {str(h): j for j, h in enumerate(rows[header_row]) if h}
        self.row = {str(r[0]): i for i, r in enumerate(rows) if i > header_row and r and r[0] not in ("", None)}

    def at(self, code: str, header: str) -> object:
        return self.values.at(GRID, self.row[code], self.col[header])


def header(key: str) -> str:
    return T["grid"]["columns"][key].header


# -- files ----------------------------------------------------------------------------------------
def test_every_commune_gets_one_workbook_named_code_slug(phu_yen_books: dict[str, Path],
                                                         communes: list[Commune]) -> None:
    assert len(communes) == 27
    assert set(phu_yen_books) == {c.code for c in communes}
    for c in communes:
        path = phu_yen_books[c.code]
        assert path.name == f"{c.code}-{c.slug}.xlsx" == workbook_name(c)
        assert FILE_NAME.match(path.name), path.name
        assert path.stat().st_size > 0
    assert len({p.name for p in phu_yen_books.values()}) == 27
    assert sorted(p.name for p in next(iter(phu_yen_books.values())).parent.iterdir()) == sorted(
        p.name for p in phu_yen_books.values()), "stray files (temporary or lock files) left in the output"


def test_slug_is_ascii_and_readable() -> None:
    c = Commune(code="03922", name="Đá Đỏ")
    assert workbook_name(c) == "03922-da-do.xlsx"
    assert workbook_name(Commune(code="03898", name="Phù Yên", kind="thị trấn")) == "03898-phu-yen.xlsx"


# -- defined names --------------------------------------------------------------------------------
def test_defined_names_are_exactly_the_contract(phu_yen_books: dict[str, Path], bundled_set: CriteriaSet) -> None:
    want = expected_names(bundled_set) | EXTRA_NAMES
    for code, path in phu_yen_books.items():
        got = set(defined_names(path))
        assert got - want == set(), f"{code}: names outside the contract"
        assert want - got == set(), f"{code}: contract names missing"


def test_mini_set_names_cover_every_rule_kind(mini_book: Path, mini_set: CriteriaSet) -> None:
    kinds = {leaf.rule.kind for leaf in mini_set.leaves()}  # type: ignore[union-attr]
    assert kinds == {"done", "levels", "ratio_tiers", "proportional", "count_deduction", "count_award", "manual",
                     "district"}
    assert set(defined_names(mini_book)) == expected_names(mini_set) | EXTRA_NAMES
    names = set(defined_names(mini_book))
    # spot checks written out by hand, so a wrong naming scheme cannot pass by agreeing with itself
    assert {"TDG_1_1_1", "GT_1_1_1", "TDG_1_2", "KK_1_3_1", "TDG_1_3", "KK_2_1_1_1", "KK_2_1_1_2",
            "KK_2_1_2_1", "KK_2_1_3_1", "KK_2_1_3_2", "KK_3_1_1", "KK_3_1_2", "TDG_3_1"} <= names
    assert not {"KK_1_1_1_1", "KK_1_2_1", "KK_1_3_2", "KK_2_1_2_2"} & names  # no figures for input kinds


def test_district_scored_criteria_have_no_input_names(phu_yen_books: dict[str, Path], bundled_set: CriteriaSet,
                                                      mini_book: Path, mini_set: CriteriaSet) -> None:
    for cset, path in ((bundled_set, next(iter(phu_yen_books.values()))), (mini_set, mini_book)):
        district = [leaf for leaf in cset.leaves() if leaf.scored_by == "district"]
        assert district
        names = defined_names(path)
        for leaf in district:
            key = name_key(leaf.code)
            assert not [n for n in names if re.fullmatch(rf"(TDG|GT)_{key}|KK_{key}_\d+", n)], leaf.code
        parents = [c.code for _, crit, _ in cset.walk() for c in [crit] if not c.is_leaf]
        for code in parents:  # criteria with sub-criteria are sums, not inputs
            assert f"TDG_{name_key(code)}" not in names


@pytest.mark.parametrize("which", ["bundled", "mini"])
def test_names_point_at_the_cells_they_mean(which: str, phu_yen_books: dict[str, Path], bundled_set: CriteriaSet,
                                            mini_book: Path, mini_set: CriteriaSet,
                                            communes: list[Commune]) -> None:
    cset, path = (bundled_set, phu_yen_books[communes[0].code]) if which == "bundled" else (mini_set, mini_book)
    values = NamedValues(path)
    grid = Grid(values)
    names = values.names
    for leaf in cset.commune_leaves():
        key, rule = name_key(leaf.code), leaf.rule
        assert rule is not None
        row = grid.row[leaf.code]

        def where(name: str) -> tuple[str, int, int]:
            sheet, ref = names[name]
            assert ":" not in ref, name
            r, c = cells_of(ref)[0][0]
            return sheet, r, c

        assert where(f"TDG_{key}") == (GRID, row, grid.col[header("score")])
        assert where(f"GT_{key}") == (GRID, row, grid.col[header("explanation")])
        for n in range(1, len(rule.figures()) + 1):
            assert where(f"KK_{key}_{n}") == (GRID, row, grid.col[header(f"fig{n}")])
    assert values["MA_DON_VI"] == communes[0].code
    assert isinstance(values["MA_DON_VI"], str), "the code must stay text (leading zero)"
    total_sheet, total_ref = names["TONG_DIEM"]
    tier_sheet, tier_ref = names["XEP_LOAI"]
    assert total_sheet == tier_sheet == GRID
    t_row, t_col = cells_of(total_ref)[0][0]
    x_row, x_col = cells_of(tier_ref)[0][0]
    assert t_col == x_col == grid.col[header("score")]
    assert "TỔNG ĐIỂM" in str(values.at(GRID, t_row, grid.col[header("title")]))
    assert "XẾP LOẠI" in str(values.at(GRID, x_row, grid.col[header("title")]))
    assert t_row > max(grid.row[leaf.code] for leaf in cset.leaves())


def test_evidence_register_range(phu_yen_books: dict[str, Path], mini_book: Path) -> None:
    for path in (*phu_yen_books.values(), mini_book):
        values = NamedValues(path)
        sheet, ref = values.names["TLKC"]
        assert sheet == REGISTER
        cells = cells_of(ref)
        assert len(cells) >= 300, "room for at least 300 (document, criterion) rows"
        assert {len(line) for line in cells} == {6}
        first_row, first_col = cells[0][0]
        headers = [str(values.at(REGISTER, first_row - 1, first_col + j) or "").casefold() for j in range(6)]
        for want, got in zip(("mã tiêu chí", "số, ký hiệu", "ngày ban hành", "cơ quan ban hành", "trích yếu", "tệp"),
                             headers, strict=True):
            assert want in got, (want, headers)
        assert all(v is None for line in values.range("TLKC") for v in line), "a blank workbook has no rows"


# -- cached values of a blank workbook -----------------------------------------------------------
def test_blank_workbook_shows_the_right_values_without_recalculation(
        phu_yen_books: dict[str, Path], bundled_set: CriteriaSet, communes: list[Commune], mini_book: Path,
        mini_set: CriteriaSet) -> None:
    status = T["status"]
    books = [(bundled_set, phu_yen_books[c.code], c) for c in communes] + [(mini_set, mini_book, communes[0])]
    for cset, path, commune in books:
        values = NamedValues(path)
        grid = Grid(values)
        assert values["TONG_DIEM"] == 0
        if cset.body_max:  # the body still scores some points: no tier on the commune's partial total
            assert values["XEP_LOAI"] == T["grid"]["no_tier"].format(body_max=fmt(cset.body_max))
        else:
            assert values["XEP_LOAI"] == min(cset.tiers, key=lambda t: t.min).name
        assert values["MA_DON_VI"] == commune.code
        for leaf in cset.leaves():
            rule = leaf.rule
            assert rule is not None
            got = grid.at(leaf.code, header("status"))
            if leaf.scored_by == "district":
                assert got == status["district"], leaf.code
                assert grid.at(leaf.code, header("score")) is None
                continue
            want = status["no_figures"] if rule.computed else status["no_score"]
            assert got == want, (path.name, leaf.code, got)
            assert values[f"TDG_{name_key(leaf.code)}"] is None, leaf.code
            assert grid.at(leaf.code, header("evidence")) == 0, leaf.code
        for area in cset.areas:
            assert grid.at(area.code, header("score")) == 0
            assert grid.at(area.code, header("max")) == float(area.max)
        summary = values.rows(SUMMARY)
        joined = unicodedata.normalize("NFC", " ".join(str(v) for r in summary for v in r))
        assert commune.committee.upper() in joined
        column = [r[3] for r in summary if len(r) > 3]
        if cset.body_max:  # the summary says which rows the body scores, and shows no tier
            assert T["grid"]["district_mark"] in [r[4] for r in summary if len(r) > 4]
            assert T["grid"]["no_tier"].format(body_max=fmt(cset.body_max)) in column
        else:
            assert min(cset.tiers, key=lambda t: t.min).name in column


# -- print look: merged report lines, rows as tall as their wrapped texts ----------------------------------
def test_report_lines_are_merged_across_the_table_and_hold_their_text(phu_yen_books: dict[str, Path],
                                                                     communes: list[Commune]) -> None:
    import openpyxl

    commune = communes[0]
    wb = openpyxl.load_workbook(phu_yen_books[commune.code])
    summary, register = wb[SUMMARY], wb[REGISTER]
    merged = {str(r) for r in summary.merged_cells.ranges}
    assert {"A1:B1", "C1:E1", "C2:E2", "A4:E4", "A5:E5"} <= merged
    assert summary["A1"].value == commune.committee.upper() and summary["C1"].value == T["summary"]["nation"]
    assert summary["A4"].value.startswith("BẢNG TỔNG HỢP")
    signature = [r for r in merged if r.startswith("C") and r not in ("C1:E1", "C2:E2")]
    assert len(signature) == 4  # the date line and the three lines of the signature block
    assert {summary[r.split(":")[0]].value for r in signature} >= {T["summary"]["sign_for"], T["summary"]["sign_title"]}
    files = T["register"]["columns"]["files"].letter  # the last input column: the check column is hidden
    assert {f"A2:{files}2", f"A3:{files}3"} <= {str(r) for r in register.merged_cells.ranges}
    assert register["A2"].value == T["register"]["note"]
    for ws in wb.worksheets:  # merged cells lie outside every input area
        for rng in ws.merged_cells.ranges:
            for row in ws.iter_rows(min_row=rng.min_row, max_row=rng.max_row, min_col=rng.min_col, max_col=rng.max_col):
                assert all(c.protection.locked for c in row), (ws.title, str(rng))


def test_rows_are_as_tall_as_their_wrapped_texts(phu_yen_books: dict[str, Path], communes: list[Commune],
                                                 bundled_set: CriteriaSet) -> None:
    import openpyxl

    from cchc_xl.workbook.layout import lines_height, text_lines

    wb = openpyxl.load_workbook(phu_yen_books[communes[0].code])
    ws = wb[GRID]
    method_col = list(T["grid"]["columns"]).index("method") + 1
    width = T["grid"]["columns"]["method"].width
    tall = 0
    for row in ws.iter_rows(min_row=T["grid"]["first_row"], min_col=method_col, max_col=method_col):
        text = row[0].value
        if not text:
            continue
        need = lines_height(text_lines(text, width, 10), 10)
        height = ws.row_dimensions[row[0].row].height
        if need > 15:
            assert height is not None and height >= need, (row[0].coordinate, height, need)
            tall += 1
        assert height is None or height <= 409
    assert tall > len(bundled_set.commune_leaves()) // 2
    guide = wb[T["sheets"]["guide"]]
    assert guide.column_dimensions["A"].width <= 96  # fits an A4 portrait page
    lines = [c.value for c in guide["A"] if c.value]
    assert any(v.startswith("Hướng dẫn chi tiết cho cán bộ cấp xã") for v in lines)
    assert not [v for v in lines if re.search(r"\w/[\w-]+\.(md|py|yaml)\b", v)]  # no repository path
    for cell in guide["A"]:
        if cell.value and text_lines(cell.value, T["guide"]["width"]) > 1:
            assert guide.row_dimensions[cell.row].height >= 2 * 15, cell.coordinate


def test_text_lines_wraps_word_by_word() -> None:
    from cchc_xl.workbook.layout import column_points, lines_height, text_lines

    assert text_lines("", 10) == 1 and text_lines("a\n\nb", 10) == 3
    assert text_lines("Ban hành Kế hoạch CCHC năm 2022 của UBND xã", 40) == 2  # 'xã' does not fit
    assert text_lines("Ban hành Kế hoạch CCHC năm 2022", 40) == 1
    assert text_lines("x" * 400, 10) > 10  # a word longer than a line is broken
    assert text_lines("A" * 30, 20, bold=True) > text_lines("a" * 30, 20)
    assert 270 < column_points(52) < 275
    assert lines_height(2, 11) == 30 and lines_height(1, 10) == 13.5 and lines_height(100, 11) == 409



def _plain_text_lines(text: str, width: float, size: float = 11, bold: bool = False) -> int:
    """`text_lines` as first written: every word through the loop, each character's width looked up alone."""
    from cchc_xl.workbook.layout import _BOLD, _REGULAR, _WIDTH_CHARS, column_points

    table = dict(zip(_WIDTH_CHARS, _BOLD if bold else _REGULAR, strict=True))

    def em(ch: str) -> int:
        if ch in table:
            return table[ch]
        return 0 if unicodedata.combining(ch) else table.get(unicodedata.normalize("NFD", ch)[0], 600)

    room = column_points(width) / size * 1000 / 1.03
    lines = 0
    for paragraph in str(text).split("\n"):
        lines += 1
        used = -em(" ")
        for word in paragraph.split(" "):
            w = sum(em(ch) for ch in word)
            if used + em(" ") + w <= room:
                used += em(" ") + w
                continue
            if used > 0:
                lines += 1
            extra, used = divmod(w, room) if w > room else (0, w)
            lines += int(extra)
    return lines


# words of Vietnamese texts as typed (NFC and not), signs, characters the table lacks, runs of spaces
_TEXT = st.lists(st.sampled_from(["xã", "Xã", "UBND", "12/KH-UBND", "Kế", "hoa\u0323ch", "—", "…", "", " ", "\n",
                                  "W" * 30, "ıİ", "😀", "\u0301", "năm 2022", "đ" * 7]), max_size=30).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(text=_TEXT | st.text(max_size=80), width=st.sampled_from([2, 8, 10.5, 20, 52, 96]),
       size=st.sampled_from([10, 11, 13]), bold=st.booleans())
def test_text_lines_as_the_plain_measure(text: str, width: float, size: float, bold: bool) -> None:
    from cchc_xl.workbook.layout import text_lines

    assert text_lines(text, width, size, bold) == _plain_text_lines(text, width, size, bold)


FIT_CASES = [  # texts of one row (text, column width, font size, bold), whether always fitted
    ([("Một dòng", 40, 11, False)], False),
    ([("Một tiêu đề dài " * 12, 30, 11, True), (None, 10, 11, False), ("", 10, 11, False)], False),
    ([("Ngắn", 40, 13, True)], True),
    ([(Decimal("1.000000000000"), 2, 11, False)], False),  # equal to 1 (the next case) but longer as text
    ([(1, 2, 11, False)], False),
]


def test_row_heights_from_the_memo_are_measured_ones() -> None:
    from cchc_xl.workbook.layout import fit_row, row_height

    got: list[dict[str, float]] = []
    for texts, always in FIT_CASES * 2:  # the second time from the memo
        heights: dict[str, float] = {}
        fit_row(heights, "row", texts, always)
        fresh = row_height(tuple((None if t is None else str(t), *rest) for t, *rest in texts), always)
        assert heights == ({"row": fresh} if fresh else {})
        got.append(heights)
    assert got[3] != got[4]  # (1 and Decimal("1.0…") are told apart)
