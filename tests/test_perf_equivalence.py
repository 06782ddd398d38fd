"""The fast paths give exactly what the straightforward ones give.

- `build_layout` (a copy of the set's template with the commune's texts) equals the layout built from
  scratch (`build_layout_uncached`), digest and lookups included.
- A feedback workbook's layout made from the set's template with the file's values set (`declared_layout`)
  equals the layout built from scratch, for returns of every kind on sets with and without body-scored
  points; `feedback_layout` builds the layout whole on any doubt. It finds those cells where the builder
  recorded them (`Layout.value_places`): each holds what its key names, and the feedback layouts stay the
  plain build's when the builder puts its rows elsewhere.
- `generate_one` (the set's workbook rendered once, re-filled per commune) writes the same file, part by
  part, as `generate_one_uncached` (every cell written by XlsxWriter for that commune), in the manner of
  XlsxWriter's own tests: every part of the package compared, only the document dates in
  docProps/core.xml ignored; communes whose texts collide with the workbook's take the general path.
- The streaming structure reader of `read_book` gives the formulas, validations and names openpyxl's
  full load gave, on generated, openpyxl-saved and LibreOffice-saved files and on hand-made parts with
  shared, array and data-table formulas, references, duplicate cells and unusual shapes.

No timing here: speed is measured by benchmarks/bench_generate.py and benchmarks/bench_import.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.parsers.expat import ExpatError
from xml.sax.saxutils import escape

import openpyxl
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from xlsxwriter.utility import xl_cell_to_rowcol

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.criteria.load import build
from cchc_xl.identity import NEUTRAL, RoundIdentity
from cchc_xl.office import convert, find_soffice
from cchc_xl.reading import book as reading
from cchc_xl.scoring import LeafInput
from cchc_xl.settings import Settings
from cchc_xl.templates import template
from cchc_xl.workbook import approved_report as approved_module
from cchc_xl.workbook import declared_layout as declared_module
from cchc_xl.workbook import layout as layout_module
from cchc_xl.workbook.approved_report import ApprovedReport
from cchc_xl.workbook.declared_layout import declared_layout, feedback_layout
from cchc_xl.workbook.generate import commune_package, generate_one, generate_one_uncached
from cchc_xl.workbook.layout import (
    LAYOUT_SWITCH,
    Declared,
    PlaceKind,
    RowMemo,
    build_layout,
    build_layout_uncached,
    cell_ref,
    layout_template,
)
from conftest import examples
from criteria_tables import EVERY_KIND, raw_set

AT = dt.datetime(2022, 10, 1, 8, 0, tzinfo=dt.UTC)
ODD_COMMUNES = [
    Commune(code="10001", name="Ea H'Leo", kind="xã"),
    Commune(code="10002", name='Đồng "Tâm" & <Xuân>', kind="phường"),
    Commune(code="10003", name="  Khoảng trắng  ", kind="thị trấn"),
    Commune(code="10004", name="Dòng\nmới\r\tvà ký tự \x01 điều khiển", kind="xã"),
]
# Texts that collide with another text of the workbook: the package must hand these to the general path.
COLLIDING = [Commune(code="2022", name="Năm", kind="xã"), Commune(code="Tân", name="Tân", kind="xã")]


def parts(path: Path) -> dict[str, bytes]:
    """Every part of the package; the document dates of docProps/core.xml blanked."""
    with zipfile.ZipFile(path) as archive:
        out = {name: archive.read(name) for name in archive.namelist()}
    out["docProps/core.xml"] = re.sub(rb"<dcterms:(created|modified)([^>]*)>[^<]*</dcterms:\1>", rb"<dcterms:\1\2/>",
                                      out["docProps/core.xml"])
    return out


def assert_same_parts(got: Path, want: Path) -> None:
    a, b = parts(got), parts(want)
    assert list(a) == list(b), "parts (or their order) differ"
    for name in a:
        assert a[name] == b[name], f"{name} differs"


def declared(cset: CriteriaSet) -> Declared:
    leaves = {}
    for i, leaf in enumerate(cset.commune_leaves()):
        assert leaf.rule is not None
        if leaf.rule.computed:
            leaves[leaf.code] = LeafInput(figures=tuple(Decimal(3 + i) for _ in leaf.rule.figures()), explanation="x")
        else:
            leaves[leaf.code] = LeafInput(value=leaf.max if i % 2 else "1,5", explanation="" if i % 3 else "giải trình")
    code = cset.commune_leaves()[0].code
    return Declared(leaves=leaves, register=((code, "12/QĐ-UBND", dt.date(2022, 3, 4), "UBND", "Trích yếu", "a.pdf"),),
                    difficulties="Khó khăn", recommendations="=1+1")


# -- layouts ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["bundled", "mini"])
def test_template_layouts_equal_layouts_built_from_scratch(which: str, bundled_set: CriteriaSet,
                                                           mini_set: CriteriaSet, communes: list[Commune]) -> None:
    cset = bundled_set if which == "bundled" else mini_set
    for commune in [*communes[:5], *ODD_COMMUNES, *COLLIDING, Commune(code="", name="", kind="")]:
        fast, slow = build_layout(cset, commune), build_layout_uncached(cset, commune)
        for attr in ("sheets", "cells", "validations", "leaves", "node_rows", "names", "register_rows", "evaluation",
                     "merges", "row_heights", "value_places"):
            assert getattr(fast, attr) == getattr(slow, attr), (commune, attr)
        assert fast.digest() == slow.digest(), commune
        assert fast.locked_manifest() == slow.locked_manifest()
        # checked_cells: every locked non-meta cell with content, in order (a template may list an emptied one)
        assert [c for c in fast.checked_cells() if c.formula is not None or c.value not in (None, "")] == \
            slow.checked_cells()
        for cell in slow.cells[::37]:
            assert fast.cell_at(cell.sheet, cell.ref) == slow.cell_at(cell.sheet, cell.ref)
        assert fast.named_cell("TONG_DIEM") == next(c for c in slow.cells if c.name == "TONG_DIEM")


def test_layouts_of_one_template_do_not_share_cell_lists(bundled_set: CriteriaSet, communes: list[Commune]) -> None:
    a, b = build_layout(bundled_set, communes[0]), build_layout(bundled_set, communes[1])
    assert a.cells is not b.cells and a.cells != b.cells
    assert layout_template(bundled_set) is layout_template(bundled_set)


LAYOUT_PARTS = ("sheets", "cells", "validations", "leaves", "node_rows", "names", "register_rows", "evaluation",
                "merges", "row_heights", "value_places")


@pytest.mark.parametrize("which", ["bundled", "mini"])
@pytest.mark.parametrize("register_rows", [0, 1, 7, "all"])
def test_declared_layouts_equal_layouts_built_from_scratch(which: str, register_rows: int | str,
                                                          bundled_set: CriteriaSet, mini_set: CriteriaSet,
                                                          communes: list[Commune]) -> None:
    """A return's layout takes the blank template's unfilled register rows as they are: the same layout as
    every cell built anew, whether no row, a few or every row of the register is filled."""
    cset = bundled_set if which == "bundled" else mini_set
    d = declared(cset)
    row = d.register[0]
    rows = layout_template(cset).base.register_rows
    n = rows[1] - rows[0] + 1 if register_rows == "all" else int(register_rows)
    register = tuple((row[0], f"{k + 1}/QĐ-UBND", *row[2:5], "" if k % 3 == 2 else f"tep-{k}.pdf") for k in range(n))
    d = dataclasses.replace(d, register=register)
    fast, slow = build_layout(cset, communes[0], d), build_layout_uncached(cset, communes[0], d)
    for attr in LAYOUT_PARTS:
        assert getattr(fast, attr) == getattr(slow, attr), attr
    assert fast.digest() == slow.digest()


# Returns built one after another: the run's row memo serves an item row whose inputs and results an earlier
# return had, and only those (1, True, "1" and Decimal("1.00") are told apart; a long explanation, a taller row)
ROW_VARIANTS = [
    {},  # the declared() inputs
    {},  # the same again: every item row from the memo
    {"value": Decimal("1.00")},
    {"value": 1},
    {"value": "1"},
    {"explanation": "Một giải trình dài " * 30},
    {"value": None, "figures": ()},
    # the rows are memoized by whether they are explained: another text, a shorter one after a taller, a blank
    # one after one, lines of their own, a text needing escapes
    {"explanation": "Giải trình khác: Quyết định số 12/QĐ-UBND"},
    {"explanation": "Ngắn"},
    {"explanation": ""},
    {"explanation": "Dòng một\nDòng hai\nDòng ba\nDòng bốn"},
    {"explanation": 'Văn bản <số 5> & "mẫu" ]]>'},
    {"value": Decimal("0")},  # a zero, then a negative zero (written "-0"), then the zero again
    {"value": Decimal("-0")},
    {"value": Decimal("0")},
]


def _written(value: object) -> object:
    """A value as the workbook holds it: a number as the float written (-0 is not 0)."""
    return repr(float(value)) if isinstance(value, Decimal) else value


@pytest.mark.parametrize("which", ["bundled", "mini"])
def test_layouts_built_in_turn_equal_layouts_built_from_scratch(which: str, bundled_set: CriteriaSet,
                                                                mini_set: CriteriaSet, communes: list[Commune]) -> None:
    cset = bundled_set if which == "bundled" else mini_set
    base = declared(cset)
    for k, change in enumerate(ROW_VARIANTS):
        leaves = {code: dataclasses.replace(inp, **change) if i % 3 else inp  # (a third as declared())
                  for i, (code, inp) in enumerate(base.leaves.items())}
        d = dataclasses.replace(base, leaves=leaves)
        commune = communes[k % len(communes)]
        fast, slow = build_layout(cset, commune, d), build_layout_uncached(cset, commune, d)
        for attr in LAYOUT_PARTS:
            assert getattr(fast, attr) == getattr(slow, attr), (k, attr)
        assert [type(c.value) for c in fast.cells] == [type(c.value) for c in slow.cells], k
        assert [(_written(c.value), _written(c.cached)) for c in fast.cells] == \
            [(_written(c.value), _written(c.cached)) for c in slow.cells], k
        assert list(fast.names.items()) == list(slow.names.items()) and list(fast.row_heights) == list(slow.row_heights)
        assert fast.digest() == slow.digest(), k


def test_an_explained_row_from_the_memo_gets_its_own_text_and_height(mini_set: CriteriaSet,
                                                                     communes: list[Commune],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Two returns alike but for their explanations' words: the second's item rows come from the row memo
    (the same cell objects as the first's), with its own texts and its rows fitted to them."""
    monkeypatch.setattr(layout_template(mini_set), "rows", RowMemo())  # (an empty memo: the first builds)
    base = declared(mini_set)
    worded = [dataclasses.replace(base, leaves={code: dataclasses.replace(inp, explanation=f"{words} {code}")
                                                for code, inp in base.leaves.items()})
              for words in ("Giải trình số một của xã", "Một giải trình dài hơn nhiều " * 20)]
    first = build_layout(mini_set, communes[0], worded[0])
    second = build_layout(mini_set, communes[0], worded[1])
    assert second.row_heights != first.row_heights  # (the long texts need taller rows)
    slow = build_layout_uncached(mini_set, communes[0], worded[1])
    for attr in LAYOUT_PARTS:
        assert getattr(second, attr) == getattr(slow, attr), attr
    refs = [r for r in second.leaves.values() if r.mark]  # (the commune's items: no district's)
    at = {(c.sheet, c.row, c.col): c for c in first.cells}
    explanation_cells = {("grid", r.row, xl_cell_to_rowcol(r.explanation)[1]) for r in refs}
    shared = [c for c in second.cells if c.sheet == "grid" and c.row in {r.row for r in refs}
              and (c.sheet, c.row, c.col) not in explanation_cells]
    assert shared and all(at[(c.sheet, c.row, c.col)] is c for c in shared)
    for cell in (c for c in second.cells if (c.sheet, c.row, c.col) in explanation_cells):
        assert cell.value.startswith("Một giải trình dài hơn")


# -- feedback layouts: the blank template with the file's values set (declared_layout) -----------------
def no_body_set() -> CriteriaSet:
    """`every_kind_set` without its district-scored item: the commune scores every point, so its total has a
    tier on the grid and the summary (the bundled and mini sets leave points to the body)."""
    raw = raw_set(EVERY_KIND, total=13, bonus_cap=Decimal("1.5"), penalty_cap=1)
    area = next(a for a in raw["areas"] if a["code"] == "II")
    area["criteria"] = [c for c in area["criteria"] if c["code"] != "2.4"]
    area["max"] = Decimal(7)
    cset = build(raw)
    assert cset.body_max == 0
    return cset


def feedback_variants(cset: CriteriaSet) -> list[Declared]:
    """Returns of every kind a feedback workbook is written for: the row variants above (their inputs'
    types, long, blank and odd explanations, signed zeros), registers of no row, a few, every row and more
    rows than the sheet has, short and odd register rows, items above their maximum or typed as text, long
    difficulties, a blank return."""
    base = declared(cset)
    out = [dataclasses.replace(base, leaves={code: dataclasses.replace(inp, **change) if i % 3 else inp
                                             for i, (code, inp) in enumerate(base.leaves.items())})
           for change in ROW_VARIANTS]
    row = base.register[0]
    first, last = layout_template(cset).base.register_rows
    for n in (0, 1, 7, last - first + 1, last - first + 4):
        out.append(dataclasses.replace(base, register=tuple(
            (row[0], f"{k + 1}/QĐ-UBND", *row[2:5], "" if k % 3 == 2 else f"tep-{k}.pdf") for k in range(n))))
    out.append(dataclasses.replace(base, register=(
        ("X.9",), ("", None, None, "", "Trích yếu dài " * 40, None), (row[0].lower(), "1", "không phải ngày", "", "",
                                                                    "a.pdf"), ("", "", "", "", "", "")),
        difficulties="", recommendations="Kiến nghị một dòng\n" * 30))
    leaves = cset.commune_leaves()
    out.append(Declared(leaves={leaf.code: LeafInput(value=leaf.max + 1 if i % 2 else "mười", explanation=f"Số {i}",
                                                     figures=("5", None) if i % 3 else (Decimal(-1), Decimal(2)))
                                for i, leaf in enumerate(leaves)}))
    out.append(Declared(leaves={leaf.code: LeafInput(value=Decimal("0.5"), figures=(Decimal(4), Decimal(5)))
                                for leaf in leaves[::2]}))
    out.append(Declared())
    return out


@pytest.mark.parametrize("which", ["bundled", "mini", "no_body"])
def test_feedback_layouts_equal_layouts_built_from_scratch(which: str, bundled_set: CriteriaSet,
                                                           mini_set: CriteriaSet, communes: list[Commune]) -> None:
    """A feedback workbook's layout, the blank template with the file's values set (`declared_layout`), is the
    layout built from scratch for every kind of return, value types and heights included; every cell it does
    not change is the template's own object, and a value met again is the same cell."""
    cset = {"bundled": bundled_set, "mini": mini_set}.get(which) or no_body_set()
    people = [*communes[:3], *ODD_COMMUNES]
    for k, d in enumerate(feedback_variants(cset)):
        commune = people[k % len(people)]
        identity = RoundIdentity(body="UBND huyện Mường La") if k % 4 == 3 else NEUTRAL
        fast = declared_layout(cset, commune, d, identity)
        assert fast is not None, k
        slow = build_layout_uncached(cset, commune, d, identity)
        for attr in (*LAYOUT_PARTS, "commune", "identity", "cset"):
            assert getattr(fast, attr) == getattr(slow, attr), (k, attr)
        assert [(type(c.value), type(c.cached)) for c in fast.cells] == [(type(c.value), type(c.cached))
                                                                          for c in slow.cells], k
        assert [(_written(c.value), _written(c.cached)) for c in fast.cells] == \
            [(_written(c.value), _written(c.cached)) for c in slow.cells], k
        assert fast.digest() == slow.digest(), k
        blank = layout_template(cset, identity)
        texts = {i for i, _ in blank.slots}  # (the commune's texts: its own cells)
        assert all(a is b for i, (a, b) in enumerate(zip(fast.cells, blank.base.cells, strict=True))
                   if i not in texts and a == b and type(a.value) is type(b.value)
                   and type(a.cached) is type(b.cached)), k
        again = declared_layout(cset, commune, d, identity)
        assert again is not None and all(a is b for i, (a, b) in enumerate(zip(again.cells, fast.cells, strict=True))
                                         if i not in texts), k
        got = feedback_layout(cset, commune, d, identity)
        assert [getattr(got, attr) for attr in LAYOUT_PARTS] == [getattr(slow, attr) for attr in LAYOUT_PARTS], k


def test_feedback_layouts_are_built_whole_on_any_doubt(mini_set: CriteriaSet, communes: list[Commune],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A template whose cells share a place is declined (None), and `feedback_layout` then builds the layout
    whole; so it does when the walk fails and when the switch is off."""
    d = declared(mini_set)
    want = build_layout_uncached(mini_set, communes[0], d)
    blank = layout_template(mini_set)

    def same(got: Any) -> bool:
        return all(getattr(got, attr) == getattr(want, attr) for attr in LAYOUT_PARTS)

    built: list[int] = []
    real_build = declared_module.build_layout
    monkeypatch.setattr(declared_module, "build_layout", lambda *a: built.append(1) or real_build(*a))
    with monkeypatch.context() as m:
        m.setattr(blank, "_places", None)
        assert declared_layout(mini_set, communes[0], d) is None
        assert same(feedback_layout(mini_set, communes[0], d)) and len(built) == 1
    with monkeypatch.context() as m:
        m.setattr(blank, "statics", {})  # (the template's rows unknown to the walk: KeyError)
        assert same(feedback_layout(mini_set, communes[0], d)) and len(built) == 2
    with monkeypatch.context() as m:
        m.setenv(LAYOUT_SWITCH, "0")
        m.setattr(declared_module, "declared_layout", lambda *a: pytest.fail("the switch is off"))
        assert same(feedback_layout(mini_set, communes[0], d)) and len(built) == 3
    assert same(feedback_layout(mini_set, communes[0], d)) and len(built) == 3


def distinct_return(cset: CriteriaSet) -> Declared:
    """`declared(cset)` with texts each its own: every item's explanation names the item, the register's row
    misses its file (one row to complete), the difficulties and recommendations differ."""
    d = declared(cset)
    leaves = {code: dataclasses.replace(inp, explanation=f"Giải trình của {code}") for code, inp in d.leaves.items()}
    return dataclasses.replace(d, leaves=leaves, register=((*d.register[0][:5], ""),),
                               difficulties="Khó khăn của xã", recommendations="Kiến nghị của xã")


@pytest.mark.parametrize("which", ["bundled", "mini", "no_body"])
def test_value_places_hold_what_they_name(which: str, bundled_set: CriteriaSet, mini_set: CriteriaSet,
                                          communes: list[Commune]) -> None:
    """Each cell the builder records as holding a return's value or a result of it (`Layout.value_places`)
    holds it in the layout built from scratch, on sets of other shapes (areas, criteria, sub-criteria, items
    the body scores): a score on the row of its area, criterion or item (its code beside it) pointing at
    that one's grid cell, an explanation on its item's row, the totals and tiers pointing at the grid's, the
    difficulties and recommendations; and every cell that differs between two returns, outside the grid's
    item rows and the register's input rows, is one of them."""
    cset = {"bundled": bundled_set, "mini": mini_set}.get(which) or no_body_set()
    d = distinct_return(cset)
    layout = build_layout_uncached(cset, communes[0], d)
    ev, t = layout.evaluation, template("commune")
    assert ev is not None
    at = {(c.sheet, c.row, c.col): c for c in layout.cells}
    total, tier = layout.named_cell("TONG_DIEM"), layout.named_cell("XEP_LOAI")
    assert total is not None and tier is not None
    pl2_code = t.approved.columns.indices["code"]

    def code_beside(place: tuple[str, int, int]) -> Any:
        return at[(place[0], place[1], pl2_code if place[0] == "approved" else 0)].value

    def points_at(cell: Any, grid_ref: str) -> bool:  # (its formula reads that cell of the grid)
        return re.search(rf"{re.escape(layout.quoted('grid'))}!{grid_ref}(?![0-9])", cell.formula or "") is not None

    def grid_score(code: str) -> str:
        return cell_ref(layout.node_rows[code], total.col)

    nodes = {a.code for a in cset.areas} | {c.code for a in cset.areas for c in a.criteria if not c.is_leaf}
    items = {leaf.code for leaf in cset.commune_leaves()}
    found: dict[PlaceKind, set[str]] = {}
    for key, place in layout.value_places.items():
        cell, code = at[place], key.code
        found.setdefault(key.kind, set()).add(code)
        match key.kind:
            case PlaceKind.GRID_NODE_SCORE:
                assert place == ("grid", layout.node_rows[code], total.col) and cell.cached == ev.nodes[code]
            case PlaceKind.GRID_TOTAL | PlaceKind.GRID_TIER:
                assert cell is (total if key.kind is PlaceKind.GRID_TOTAL else tier)
            case PlaceKind.REGISTER_PENDING:
                assert place[0] == "register" and cell.cached == t.register["pending"].format(n=1)
            case PlaceKind.SUMMARY_SCORE | PlaceKind.APPROVED_NODE_SCORE | PlaceKind.APPROVED_LEAF_SCORE:
                assert code_beside(place) == code and points_at(cell, grid_score(code)), key
            case PlaceKind.APPROVED_NOTE:
                assert code_beside(place) == code and points_at(cell, layout.leaves[code].evidence), key
            case PlaceKind.APPROVED_EXPLANATION:
                assert code_beside(place) == code and cell.cached == f"Giải trình của {code}", key
            case PlaceKind.SUMMARY_TOTAL | PlaceKind.APPROVED_TOTAL:
                assert points_at(cell, total.ref) and cell.cached == ev.total, key
            case PlaceKind.SUMMARY_TIER:
                assert points_at(cell, tier.ref) and cell.cached == (tier.cached or tier.value)
            case PlaceKind.ISSUES_DIFFICULTIES | PlaceKind.ISSUES_RECOMMENDATIONS:
                want = ("KHO_KHAN", d.difficulties) if key.kind is PlaceKind.ISSUES_DIFFICULTIES \
                    else ("KIEN_NGHI", d.recommendations)
                assert (cell.name, cell.value) == want
            case PlaceKind.APPROVED_DIFFICULTIES | PlaceKind.APPROVED_RECOMMENDATIONS:
                name, text = ("KHO_KHAN", d.difficulties) if key.kind is PlaceKind.APPROVED_DIFFICULTIES \
                    else ("KIEN_NGHI", d.recommendations)
                assert layout.names[name] in (cell.formula or "") and cell.cached == text
            case _:
                pytest.fail(f"no check for {key}")
    # every area and criterion, and every item the commune scores, has its cells (the summary: but those the
    # body scores whole); the grid's tier only when the commune scores every point
    assert found[PlaceKind.GRID_NODE_SCORE] == found[PlaceKind.APPROVED_NODE_SCORE] == nodes
    assert found[PlaceKind.APPROVED_LEAF_SCORE] == found[PlaceKind.APPROVED_NOTE] == \
        found[PlaceKind.APPROVED_EXPLANATION] == items
    assert found[PlaceKind.SUMMARY_SCORE] <= nodes | items and len(found[PlaceKind.SUMMARY_SCORE]) >= len(cset.areas)
    assert (PlaceKind.GRID_TIER in found) == (cset.body_max == 0)
    # the cells another return changes are those
    other = build_layout_uncached(cset, communes[0], Declared())
    item_rows = {("grid", refs.row) for refs in layout.leaves.values()}
    first, last = layout.register_rows
    recorded = set(layout.value_places.values())
    for a, b in zip(layout.cells, other.cells, strict=True):
        assert (a.sheet, a.row, a.col) == (b.sheet, b.row, b.col)
        if (a.value, a.cached) != (b.value, b.cached) and (a.sheet, a.row) not in item_rows \
                and not (a.sheet == "register" and first <= a.row <= last):
            assert (a.sheet, a.row, a.col) in recorded, a


@pytest.mark.parametrize("which", ["bundled", "mini", "no_body"])
def test_feedback_layouts_follow_the_builder_when_it_moves_rows(which: str, bundled_set: CriteriaSet,
                                                                mini_set: CriteriaSet, communes: list[Commune],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The builder laying the sheets out otherwise (the summary's table two rows lower; Phụ lục 2's table a
    row lower, and a row more before its explanations and before its difficulties), a feedback layout is still
    the one built from scratch: `declared_layout` sets each cell where the builder recorded it, and counts no
    row of its own."""
    cset = {"bundled": bundled_set, "mini": mini_set}.get(which) or no_body_set()
    before = build_layout_uncached(cset, communes[0], declared(cset)).value_places
    monkeypatch.setattr(layout_module, "_PER_SET", {})  # (the moved layout's own template, gone after the test)
    monkeypatch.setattr(layout_module, "SUMMARY_HEADER_ROW", layout_module.SUMMARY_HEADER_ROW + 2)
    monkeypatch.setattr(approved_module, "HEADER_ROW", approved_module.HEADER_ROW + 1)
    for part in ("_explanations", "_issues"):
        real = getattr(ApprovedReport, part)
        monkeypatch.setattr(ApprovedReport, part, lambda self, row, real=real: real(self, row + 1))
    for k, d in enumerate(feedback_variants(cset)[::3]):
        fast = declared_layout(cset, communes[0], d)
        assert fast is not None, k
        slow = build_layout_uncached(cset, communes[0], d)
        for attr in LAYOUT_PARTS:
            assert getattr(fast, attr) == getattr(slow, attr), (k, attr)
    moved = {key for key, place in slow.value_places.items() if before[key] != place}
    assert {key.kind for key in moved} >= {PlaceKind.SUMMARY_SCORE, PlaceKind.SUMMARY_TIER,
                                           PlaceKind.APPROVED_LEAF_SCORE, PlaceKind.APPROVED_EXPLANATION,
                                           PlaceKind.APPROVED_RECOMMENDATIONS}


# -- workbooks ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["bundled", "mini"])
def test_generated_workbooks_equal_straightforward_ones_part_by_part(
        which: str, tmp_path: Path, bundled_set: CriteriaSet, mini_set: CriteriaSet, communes: list[Commune],
        settings: Settings) -> None:
    cset = bundled_set if which == "bundled" else mini_set
    for commune in [*communes[:4], *ODD_COMMUNES, *COLLIDING]:
        name = f"{commune.code or 'x'}.xlsx"
        got = generate_one(cset, commune, tmp_path / "fast", settings, generated_at=AT, name=name)
        want = generate_one_uncached(cset, commune, tmp_path / "slow", settings, generated_at=AT, name=name)
        assert_same_parts(got, want)


def test_the_package_serves_ordinary_communes_and_declines_colliding_ones(
        tmp_path: Path, bundled_set: CriteriaSet, communes: list[Commune], settings: Settings) -> None:
    package = commune_package(bundled_set, settings)
    assert package is not None
    for commune in [*communes[:3], *ODD_COMMUNES]:
        assert package.write(commune, tmp_path / f"{commune.code}.xlsx", AT) is not None, commune
    for commune in COLLIDING:
        assert package.write(commune, tmp_path / "no.xlsx", AT) is None, commune
    assert not (tmp_path / "no.xlsx").exists()


def test_the_package_writes_a_sound_zip(tmp_path: Path, bundled_set: CriteriaSet, communes: list[Commune],
                                        settings: Settings) -> None:
    path = generate_one(bundled_set, communes[0], tmp_path, settings, generated_at=AT)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
    wb = openpyxl.load_workbook(path)
    assert wb["Tự đánh giá"]["B3"].value == communes[0].code


def test_declared_workbooks_equal_straightforward_ones(tmp_path: Path, mini_set: CriteriaSet,
                                                       communes: list[Commune], settings: Settings) -> None:
    d = declared(mini_set)
    got = generate_one(mini_set, communes[0], tmp_path / "fast", settings, declared=d, generated_at=AT)
    want = generate_one_uncached(mini_set, communes[0], tmp_path / "slow", settings, declared=d, generated_at=AT)
    assert_same_parts(got, want)


# -- the structure reader -----------------------------------------------------------------------------
def openpyxl_structure(path: Path) -> tuple[object, object, object]:
    b = reading.Book(path=path, fmt="xlsx", sheet_names=[], visibility={}, values={})
    reading._read_structure_openpyxl(b)
    return b.formulas, b.validations, b.names


def read_structure(path: Path) -> tuple[object, object, object]:
    b = reading.Book(path=path, fmt="xlsx", sheet_names=[], visibility={}, values={})
    reading._read_structure(b)
    assert b.has_formulas
    return b.formulas, b.validations, b.names


@pytest.fixture(scope="module")
def returned(tmp_path_factory: pytest.TempPathFactory, mini_set: CriteriaSet, bundled_set: CriteriaSet,
             communes: list[Commune], settings: Settings) -> list[Path]:
    """Generated workbooks, blank and with declared inputs, and one filled and saved by openpyxl."""
    root = tmp_path_factory.mktemp("returned")
    files = [generate_one(bundled_set, communes[0], root, settings, name="blank.xlsx"),
             generate_one(mini_set, communes[1], root, settings, declared=declared(mini_set), name="declared.xlsx")]
    wb = openpyxl.load_workbook(files[0])
    ((sheet, ref),) = list(wb.defined_names["TDG_" + bundled_set.commune_leaves()[0].name_key].destinations)
    wb[sheet][ref.replace("$", "")].value = 1
    wb.save(root / "openpyxl.xlsx")
    return [*files, root / "openpyxl.xlsx"]


def test_streaming_reader_equals_openpyxl_on_returned_workbooks(returned: list[Path]) -> None:
    for path in returned:
        structure = reading._StructureReader(path).read()  # the fast path itself, not its fallback
        assert structure == openpyxl_structure(path), path.name


@pytest.mark.libreoffice
def test_streaming_reader_equals_openpyxl_after_a_libreoffice_save(returned: list[Path], tmp_path: Path) -> None:
    assert find_soffice() is not None
    for path in convert(returned, "xlsx", tmp_path):
        assert reading._StructureReader(path).read() == openpyxl_structure(path), path.name


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def handmade(tmp_path: Path, sheet_data: str, extra: str = "") -> Path:
    """A workbook saved by openpyxl (names, validations), its first sheet's cells replaced by `sheet_data`
    and `extra` put after <sheetData>."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tờ một"
    wb.create_sheet("Sheet 2")
    dv = DataValidation(type="list", formula1='"a,b"', sqref="C1 A1:A3 B2")
    ws.add_data_validation(dv)
    ws.add_data_validation(DataValidation(type="whole", operator="between", formula1="0", formula2="9", sqref="D4"))
    wb.defined_names["GLOBAL_NAME"] = DefinedName("GLOBAL_NAME", attr_text="'Tờ một'!$B$2")
    wb.defined_names["RANGE_NAME"] = DefinedName("RANGE_NAME", attr_text="'Sheet 2'!$A$1:$C$9")
    ws.defined_names["LOCAL_NAME"] = DefinedName("LOCAL_NAME", attr_text="'Tờ một'!$A$1")
    ws.print_area = "A1:C3"
    ws["A1"] = 1
    buffer = io.BytesIO()
    wb.save(buffer)
    out = tmp_path / "handmade.xlsx"
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                text = re.sub(r"<sheetData>.*</sheetData>|<sheetData/>", lambda _: sheet_data + extra, text, flags=re.S)
                data = text.encode("utf-8")
            dst.writestr(info, data)
    return out


CELLS = (
    '<sheetData><row r="1"><c r="A1"><f>SUM(B1:B3)&amp;"x&lt;y"</f><v>1</v></c>'
    '<c r="B1"><f t="shared" ref="B1:B3" si="0">A1*2+\'Sheet 2\'!C1</f><v>2</v></c></row>'
    '<row r="2"><c r="B2"><f t="shared" si="0"/><v>2</v></c><c r="C2" t="str"><f>"Chưa &#x0111;&#7911;"&#13;&#10;</f></c>'
    '<c r="D2"><f t="array" ref="D2:D3">A1:A2*2</f></c><c r="E2"><f t="dataTable" ref="E2:E3" dt2D="0" dtr="0" r1="A1"/>'
    '</c></row><row r="3"><c r="B3"><f t="shared" si="0"/></c><c r="C3"><f/></c><c r="F3"><f>1+1</f></c>'
    '<c r="F3"><v>5</v></c><c r="G3"><f>LEN("a\r\nb")</f></c><c r="H3" s="0"><f aca="false">  2 </f></c></row>'
    "</sheetData>"
)


@pytest.mark.parametrize("case", ["formulas", "no_reference", "f_not_first", "markup_in_f", "no_validations",
                                  "validation_extension", "odd_validation"])
def test_streaming_reader_equals_openpyxl_on_handmade_parts(case: str, tmp_path: Path) -> None:
    cells, extra = CELLS, ""
    if case == "no_reference":
        cells = CELLS.replace('<c r="C3">', "<c>")
    elif case == "f_not_first":
        cells = CELLS.replace('<c r="F3"><f>1+1</f></c>', '<c r="F3"><v>2</v><f>1+1</f></c>')
    elif case == "markup_in_f":
        cells = CELLS.replace("<f>1+1</f>", "<f>1<b/>+1</f>")
    elif case == "validation_extension":
        extra = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
                 'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:dataValidations '
                 'count="1"><x14:dataValidation type="list"><x14:formula1><f xmlns="http://schemas.microsoft.com/'
                 'office/excel/2006/main">a</f></x14:formula1></x14:dataValidation></x14:dataValidations></ext></extLst>')
    path = handmade(tmp_path, cells, extra)
    if case == "no_validations":
        path = _rewrite(path, lambda t: re.sub(r"<dataValidations.*</dataValidations>", "", t, flags=re.S))
    elif case == "odd_validation":
        path = _rewrite(path, lambda t: t.replace('type="whole"', 'type="whole" foo="1"'))
    try:
        want = openpyxl_structure(path)
    except reading.BookError as exc:  # openpyxl refuses it: so does read_book, with openpyxl's message
        with pytest.raises(reading.BookError, match=re.escape(str(exc))):
            read_structure(path)
        return
    assert read_structure(path) == want
    if case == "formulas":
        formulas = want[0]["Tờ một"]
        assert formulas[(1, 1)] == "A2*2+'Sheet 2'!C2"  # a shared formula, translated
        assert formulas[(1, 2)] == '"Chưa đủ"\r\n' and formulas[(0, 0)] == 'SUM(B1:B3)&"x<y"'
        assert (2, 5) not in formulas  # F3 written twice: the plain cell replaced the formula
        assert reading._StructureReader(path).read() == want  # served by the fast path itself


def _rewrite(path: Path, edit: object) -> Path:
    out = path.with_name("edited.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = edit(data.decode("utf-8")).encode("utf-8")  # type: ignore[operator]
            dst.writestr(info, data)
    return out


def test_streaming_reader_refuses_a_dtd(tmp_path: Path) -> None:
    path = handmade(tmp_path, CELLS)
    path = _rewrite(path, lambda t: t.replace("<worksheet", '<!DOCTYPE w [<!ENTITY e "x">]><worksheet', 1))
    with pytest.raises(reading._Unusual):
        reading._StructureReader(path).read()


# -- the scanning path of the sheet reader: the expat reader's answer, or none -----------------------
def sheet_part(cells: str, validations: str = "", root_extra: str = "", prolog: str = "") -> bytes:
    """A worksheet part as spreadsheet programs write it: `cells` inside <sheetData>."""
    head = prolog or '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return (f'{head}<worksheet xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships"{root_extra}><dimension ref="A1:D9"/><sheetData>{cells}</sheetData>{validations}'
            "</worksheet>").encode()


VALIDATIONS = ('<dataValidations count="2"><dataValidation type="list" allowBlank="1" sqref="B2:B9 A1">'
               '<formula1>"có,không"</formula1></dataValidation><dataValidation type="decimal" operator="between"'
               ' sqref="C3"><formula1>0</formula1><formula2>1.5</formula2></dataValidation></dataValidations>')


def scanned_and_parsed(data: bytes) -> tuple[object, object]:
    return reading._scan_sheet(data), reading._SheetReader().parse(data)


@st.composite
def formula_cells(draw: st.DrawFn) -> str:
    """Rows of cells, some with formulas: plain, with XML's entities and Vietnamese, attributes, shared."""
    text = st.text(alphabet=st.sampled_from(list('A1+-*/()&<>"\' ,;:!$=đĐươ\r\n\tẢ')), max_size=12)
    out, shared = [], False
    for row in range(1, draw(st.integers(1, 6)) + 1):
        cells = []
        for col in draw(st.lists(st.sampled_from("ABCDEFZ"), unique=True, max_size=5)):
            ref = f"{col}{row}"
            kind = draw(st.sampled_from(["value", "formula", "empty_f", "attrs", "shared", "string"]))
            formula = escape(draw(text))
            if kind == "value":
                cells.append((col, f'<c r="{ref}" s="1"><v>{draw(st.integers(0, 9))}</v></c>'))
            elif kind == "string":
                cells.append((col, f'<c r="{ref}" t="inlineStr"><is><t>{formula}</t></is></c>'))
            elif kind == "formula":
                cells.append((col, f'<c r="{ref}" s="2" t="str"><f>{formula}</f><v></v></c>'))
            elif kind == "empty_f":
                cells.append((col, f'<c r="{ref}"><f/></c>'))
            elif kind == "attrs":
                cells.append((col, f'<c r="{ref}">\n <f aca="false" ca="1">{formula}</f><v>0</v></c>'))
            elif not shared:
                shared = True
                cells.append((col, f'<c r="{ref}"><f t="shared" ref="{ref}:{col}9" si="0">{col}1*2</f></c>'))
            else:
                cells.append((col, f'<c r="{ref}"><f t="shared" si="0"/></c>'))
        cells.sort()
        out.append(f'<row r="{row}">{"".join(c for _, c in cells)}</row>')
    return "".join(out)


@hypothesis_settings(max_examples=examples(150, 20), deadline=None)
@given(cells=formula_cells(), validations=st.sampled_from(["", VALIDATIONS, "<dataValidations count=\"0\"/>"]))
def test_scan_gives_what_expat_gives(cells: str, validations: str) -> None:
    scanned, parsed = scanned_and_parsed(sheet_part(cells, validations))
    assert scanned is not None
    assert scanned == parsed


def test_scan_normalizes_attribute_blanks_as_expat() -> None:
    """A line end in an attribute value is one blank: the second cell finds the first one's shared formula."""
    data = sheet_part('<row r="1"><c r="A1"><f t="shared" ref="A1:A3" si="0\r\n">B1*2</f></c></row>'
                      '<row r="2"><c r="A2"><f t="shared"\r\n si="0 "/></c></row>')
    scanned, parsed = scanned_and_parsed(data)
    assert scanned is not None and scanned == parsed
    assert scanned[0][(1, 0)] == "B2*2"


@pytest.mark.parametrize(("case", "cells", "validations", "root_extra", "prolog"), [
    ("comment", '<row r="1"><!-- x --><c r="A1"><f>1+1</f></c></row>', "", "", ""),
    ("cdata", '<row r="1"><c r="A1"><f><![CDATA[1+1]]></f></c></row>', "", "", ""),
    ("main under a prefix", '<row r="1"><x:c r="A1"><x:f>1+1</x:f></x:c></row>', "",
     f' xmlns:x="{MAIN}"', ""),
    ("default namespace again", f'<row r="1"><c r="A1" xmlns="{MAIN}"><f>1+1</f></c></row>', "", "", ""),
    ("cell without a reference", '<row r="1"><c><f>1+1</f></c></row>', "", "", ""),
    ("reference not first", '<row r="1"><c s="1" r="A1"><f>1+1</f></c></row>', "", "", ""),
    ("written twice", '<row r="1"><c r="A1"><f>1+1</f></c><c r="A1"><v>2</v></c></row>', "", "", ""),
    ("lower-case reference", '<row r="1"><c r="a1"><f>1+1</f></c></row>', "", "", ""),
    ("formula not first", '<row r="1"><c r="A1"><v>2</v><f>1+1</f></c></row>', "", "", ""),
    ("markup in a formula", '<row r="1"><c r="A1"><f>1<b/>+1</f></c></row>', "", "", ""),
    ("two validation lists", '<row r="1"><c r="A1"><f>1</f></c></row>', VALIDATIONS + VALIDATIONS, "", ""),
    ("another encoding", '<row r="1"><c r="A1"><f>1</f></c></row>', "", "",
     '<?xml version="1.0" encoding="ISO-8859-1"?>'),
    ("attribute in single quotes", "<row r=\"1\"><c r=\"A1\"><f t='shared' si='0' ref='A1:A2'>1</f></c></row>",
     "", "", ""),
    ("control character", '<row r="1"><c r="A1"><f>1\x01</f></c></row>', "", "", ""),
    ("escaped control character", '<row r="1"><c r="A1"><f>1&#1;</f></c></row>', "", "", ""),
    ("non-character", '<row r="1"><c r="A1"><f>"&#xFFFE;"</f></c></row>', "", "", ""),
    ("entity XML does not define", '<row r="1"><c r="A1"><f>"&nbsp;"</f></c></row>', "", "", ""),
])
def test_scan_leaves_unusual_parts_to_expat(case: str, cells: str, validations: str, root_extra: str,
                                            prolog: str) -> None:
    data = sheet_part(cells, validations, root_extra, prolog)
    assert reading._scan_sheet(data) is None, case
    try:
        parsed = reading._SheetReader().parse(data)
    except (reading._Unusual, ExpatError):
        return  # (and then openpyxl reads the file)
    assert reading._SheetReader().read(data) == parsed
