"""One list of checks per leaf (`scoring.leaf_checks`) makes both the Python status and the status formula.

The status cell's formula, as the generated workbook holds it, is evaluated by the test evaluator
(tests/criteria_tables.py) on hypothesis-drawn fillings of one row — scores typed as numbers in and out of
range, off step, as text or left blank; figures negative, fractional, as text or missing; register rows
0–2; explanations blank, invisible or written — and must show the text of the status `scoring.leaf_check`
gives. A computed score cell's own formula is evaluated first, as the sheet does. The hand-made cases and
drawn whole-sheet fillings are also recalculated by LibreOffice (marked); the agreement on the bundled and
mini sets' whole workbooks is tests/test_workbook_engine.py.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cchc_xl.communes import Commune
from cchc_xl.criteria import load_set
from cchc_xl.criteria.model import CriteriaSet, Criterion
from cchc_xl.importing.commune import CommuneWorkbook, import_limits
from cchc_xl.importing.stages import Source, import_workbook
from cchc_xl.messages import FINDINGS
from cchc_xl.office import convert
from cchc_xl.scoring import LeafCells, LeafInput, leaf_check, leaf_checks, leaf_score
from cchc_xl.settings import Settings
from cchc_xl.templates import template
from cchc_xl.workbook.generate import generate_one
from cchc_xl.workbook.layout import Layout, build_layout
from conftest import examples
from criteria_tables import Cell, every_kind_set, excel_eval, make_set
from test_workbook_engine import draw
from workbook_fill import Filling, NamedValues, WorkbookFiller

D = Decimal
STATUS = template("commune")["status"]
COMMUNE = Commune(code="00001", name="Xã Thử", kind="xã")
PROPS = settings(max_examples=examples(400, 60), deadline=None, suppress_health_check=list(HealthCheck))

# Rows a commune could fill, each rule kind once (the grid of criteria_tables.raw_set).
SMALL = """
| level | code | title                   | max | rule                                 |
|-------|------|-------------------------|-----|--------------------------------------|
| area  | I    | Công tác chỉ đạo        | 10  |                                      |
| crit  | 1.1  | Kế hoạch CCHC           | 1   | done                                 |
| crit  | 1.2  | Báo cáo định kỳ         | 1.5 | levels 1.5:Đủ; 0.75:Muộn; 0:Không    |
| crit  | 1.3  | Tuyên truyền            | 2   | manual step=0.5                      |
| crit  | 1.4  | Hồ sơ đúng hạn          | 2   | ratio_tiers 100%:2; 90%:1            |
| crit  | 1.5  | Chỉ tiêu đạt            | 1.5 | proportional integer=no              |
| crit  | 1.6  | Vi phạm kỷ luật         | 1   | count_deduction per_item=0.25        |
| crit  | 1.7  | Sáng kiến               | 1   | count_award per_item=0.5             |
"""


def small_set() -> CriteriaSet:
    return make_set(SMALL, total=10, tiers=[("Tốt", 9), ("Khá", 7), ("Trung bình", 0)])


def sets() -> dict[str, CriteriaSet]:
    return {"every kind": every_kind_set(), "bundled": load_set()}


@pytest.fixture(scope="module")
def layouts() -> dict[str, tuple[CriteriaSet, Layout]]:
    return {key: (cset, build_layout(cset, COMMUNE)) for key, cset in sets().items()}


def formula_at(layout: Layout, ref: str) -> str:
    cell = layout.cell_at("grid", ref)
    assert cell is not None and cell.formula is not None, ref
    return cell.formula


def sheet_status(layout: Layout, leaf: Criterion, inp: LeafInput, evidence: int, mark: str | None = None) -> str:
    """What the status cell shows for this filling (and the district's mark), its formula evaluated as the
    sheet does."""
    refs = layout.leaves[leaf.code]
    env: dict[str, Cell] = dict(zip(refs.figures, inp.figures, strict=False))
    env[refs.mark] = mark
    env[refs.evidence] = D(evidence)
    env[refs.explanation] = inp.explanation or None
    if refs.score_is_input:
        env[refs.score] = inp.value
    else:
        score = excel_eval(formula_at(layout, refs.score), env)
        env[refs.score] = score if isinstance(score, Decimal) else (score or None)
    shown = excel_eval(formula_at(layout, refs.status), env)
    assert isinstance(shown, str)
    return shown


def python_status(leaf: Criterion, inp: LeafInput, evidence: int) -> str:
    return STATUS[leaf_check(leaf, inp, leaf_score(leaf, inp), evidence)[0]]


def typed(maximum: Decimal) -> st.SearchStrategy[Cell]:
    """A cell as typed: blank, a text (a number typed as text too), or a number in and around the range."""
    return st.one_of(
        st.none(),
        st.sampled_from(["có", " ", "1", "\u00a0", "0,5"]),
        st.integers(-300, int(maximum * 100) + 300).map(lambda n: D(n).scaleb(-2)),
        st.integers(-2, int(maximum * 4) + 4).map(lambda n: D(n) / 4),
        st.integers(-3, 5000).map(lambda n: D(n).scaleb(-3)),
        st.sampled_from([D(0), maximum]),
    )


FIGURE = st.one_of(st.none(), st.sampled_from(["năm", "3"]), st.integers(-3, 40).map(D),
                   st.integers(-5, 80).map(lambda n: D(n) / 2))
EXPLANATION = st.sampled_from(["", " ", "\u00a0\u200b", "\t\n", "Đã giải trình", " x "])


@st.composite
def row_input(draw: st.DrawFn, leaf: Criterion) -> tuple[LeafInput, int]:
    """One row as a commune could fill it, and how many register rows cite it."""
    rule = leaf.rule
    assert rule is not None
    inp = LeafInput(value=None if rule.computed else draw(typed(leaf.max)),
                    figures=tuple(draw(FIGURE) for _ in range(rule.figure_count)),
                    explanation=draw(EXPLANATION))
    return inp, draw(st.integers(0, 2))


@st.composite
def filling(draw: st.DrawFn, cset: CriteriaSet) -> tuple[Criterion, LeafInput, int]:
    leaf = draw(st.sampled_from(cset.commune_leaves()))
    return (leaf, *draw(row_input(leaf)))


@pytest.mark.parametrize("key", ["every kind", "bundled"])
def test_the_status_formula_shows_the_python_status(layouts: dict[str, tuple[CriteriaSet, Layout]],
                                                    key: str) -> None:
    cset, layout = layouts[key]
    seen: set[str] = set()

    @PROPS
    @given(filling(cset))
    def agree(case: tuple[Criterion, LeafInput, int]) -> None:
        leaf, inp, evidence = case
        want = python_status(leaf, inp, evidence)
        assert sheet_status(layout, leaf, inp, evidence) == want, (leaf.code, inp, evidence)
        seen.add(want)

    agree()
    # the drawing reaches the gates, the rule's checks and the evidence check, not only "ok"
    assert {STATUS[k] for k in ("ok", "no_score", "not_number", "no_figures", "no_evidence")} <= seen
    assert len(seen) >= 8, seen


# (criterion of SMALL, score, figures, register rows citing it, explanation) -> status key
HAND = [
        ("1.1", None, (), 0, "", "no_score"),
        ("1.1", "1", (), 1, "", "not_number"),
        ("1.1", D(1), (), 0, "", "no_evidence"),
        ("1.1", D(1), (), 0, "\u00a0", "no_evidence"),
        ("1.1", D(1), (), 0, "Đã giải trình", "ok"),
        ("1.1", D(0), (), 0, "", "ok"),
        ("1.1", D(-1), (), 1, "", "score.negative"),
        ("1.1", D(2), (), 1, "", "score.above_max"),
        ("1.1", D("0.5"), (), 1, "", "score.not_allowed"),
        ("1.2", D("0.75"), (), 1, "", "ok"),
        ("1.3", D("0.3"), (), 1, "", "score.off_step"),
        ("1.4", None, (D(1), None), 1, "", "no_figures"),
        ("1.4", None, (D(1), "2"), 1, "", "no_figures"),
        ("1.4", None, (D(-1), D("0.5")), 1, "", "figures.negative"),
        ("1.4", None, (D("1.5"), D(-1)), 1, "", "figures.not_integer"),
        ("1.4", None, (D(3), D(2)), 1, "", "figures.numerator_above_denominator"),
        ("1.4", None, (D(0), D(0)), 0, "", "no_evidence"),
        ("1.4", None, (D(0), D(5)), 0, "", "ok"),
        ("1.5", None, (D("2.5"), D("4.5")), 1, "", "ok"),
        ("1.6", None, (D(4),), 0, "", "ok"),  # 0 points: nothing to evidence
        ("1.7", None, (D("0.5"),), 1, "", "figures.not_integer"),
]


@pytest.mark.parametrize(("code", "value", "figures", "evidence", "explanation", "status"), HAND)
def test_each_check_by_hand(code: str, value: Cell, figures: tuple[Cell, ...], evidence: int,
                            explanation: str, status: str) -> None:
    cset = small_set()
    layout = build_layout(cset, COMMUNE)
    leaf = cset.by_code[code]
    inp = LeafInput(value=value, figures=figures, explanation=explanation)
    assert python_status(leaf, inp, evidence) == STATUS[status]
    assert sheet_status(layout, leaf, inp, evidence) == STATUS[status]


def test_the_district_mark_shows_instead_of_the_checks() -> None:
    cset = small_set()
    layout = build_layout(cset, COMMUNE)
    mark = "Theo kết quả tiếp nhận: thiếu tệp “kh.pdf”"
    for code, value, figures, evidence, explanation, _ in HAND:
        inp = LeafInput(value=value, figures=figures, explanation=explanation)
        assert sheet_status(layout, cset.by_code[code], inp, evidence, mark) == mark


def test_all_problems_of_a_row_and_the_first_as_status() -> None:
    """The status shows the first failing check; the problems are the rule's, the first of each figure."""
    leaf = every_kind_set().by_code["2.1"]  # ratio_tiers
    inp = LeafInput(figures=(D(-3), D("-1.5")))
    status, problems = leaf_check(leaf, inp, leaf_score(leaf, inp), 1)
    assert status == "figures.negative"
    assert [p.rule for p in problems] == ["figures.negative", "figures.negative"]
    assert [p.params["n"] for p in problems] == [1, 2]
    inp = LeafInput(figures=(D(5), D("-0.5")))
    assert [p.rule for p in leaf_check(leaf, inp, leaf_score(leaf, inp), 1)[1]] == [
        "figures.negative", "figures.numerator_above_denominator"]


@pytest.mark.parametrize("key", ["every kind", "bundled"])
def test_every_check_has_a_finding_rule_and_a_status_text(key: str) -> None:
    cset = sets()[key]
    cells = LeafCells(score="H5", figures=("E5", "F5"), evidence="I5", explanation="J5")
    for leaf in cset.commune_leaves():
        rule = leaf.rule
        assert rule is not None
        checks = leaf_checks(leaf)
        assert checks, leaf.code
        for check in checks:
            assert check.rule in FINDINGS, (leaf.code, check.rule)
            assert check.status in STATUS, (leaf.code, check.status)
            assert check.excel(leaf, LeafCells(cells.score, cells.figures[:rule.figure_count], cells.evidence,
                                         cells.explanation))
    for leaf in cset.body_leaves():
        assert leaf_checks(leaf) == []


# -- the same through LibreOffice ------------------------------------------------------------------
def register(evidence: dict[str, int]) -> tuple[tuple[object, ...], ...]:
    return tuple((code, "01/KH-UBND", None, "UBND xã", "Trích yếu", "tep.pdf")
                 for code, n in evidence.items() for _ in range(n))


@st.composite
def whole_filling(draw_: st.DrawFn, cset: CriteriaSet) -> tuple[Filling, dict[str, int]]:
    """Every self-scored row of the sheet filled as `filling` fills one."""
    leaves, evidence = {}, {}
    for leaf in cset.commune_leaves():
        leaves[leaf.code], evidence[leaf.code] = draw_(row_input(leaf))
    return Filling(leaves=leaves, register=register(evidence), label="drawn"), evidence


@pytest.mark.libreoffice
def test_libreoffice_shows_the_python_status(tmp_path: Path, settings: Settings) -> None:
    cset = small_set()
    blank = generate_one(cset, COMMUNE, tmp_path / "blank", settings, name="small.xlsx")
    filler = WorkbookFiller(blank, cset)
    fillings: list[tuple[Filling, dict[str, int]]] = []
    for code, value, figures, evidence, explanation, _ in HAND:
        inp = LeafInput(value=value, figures=figures, explanation=explanation)
        fillings.append((Filling(leaves={code: inp}, register=register({code: evidence}), label=code),
                         {code: evidence}))
    fillings += draw(whole_filling(cset), examples(20, 5))
    (tmp_path / "in").mkdir()
    sources = [filler.write(f, tmp_path / "in" / f"{i:03d}.xlsx") for i, (f, _) in enumerate(fillings)]
    results = convert(sources, "xlsx", tmp_path / "out")
    layout = build_layout(cset, COMMUNE)
    grid = template("commune")["sheets"]["grid"]
    wrong = []
    for (fill, evidence), result in zip(fillings, results, strict=True):
        values = NamedValues(result)
        for leaf in cset.commune_leaves():
            inp = fill.leaves.get(leaf.code, LeafInput())
            want = python_status(leaf, inp, evidence.get(leaf.code, 0))
            got = values.cell(grid, layout.leaves[leaf.code].status)
            if got != want:
                wrong.append(f"{result.name} {leaf.code} {inp}: LibreOffice {got!r}, Python {want!r}")
    assert not wrong, "\n".join(wrong[:20])


def test_the_gates_of_a_row_left_blank_are_its_findings(tmp_path: Path, settings: Settings) -> None:
    """An imported row stopped by a gate (no score, figures missing) is found at its score cell and counted
    as left blank; a score typed as text, the other gate, is found once (while reading), not counted."""
    cset = small_set()
    blank = generate_one(cset, COMMUNE, tmp_path / "blank", settings, name="small.xlsx")
    filling = Filling(leaves={"1.1": LeafInput(value=D(0)), "1.2": LeafInput(value="có"),
                              "1.4": LeafInput(figures=(D(1), None)), "1.5": LeafInput(figures=(D(1), D(2))),
                              "1.6": LeafInput(figures=(D(0),)), "1.7": LeafInput(figures=(D(0),))},
                      register=(), label="rows left blank")
    path = WorkbookFiller(blank, cset).write(filling, tmp_path / "in.xlsx")
    kind = CommuneWorkbook(cset, settings, {COMMUNE.code: COMMUNE}, dt.date(2022, 11, 1),
                           limits=import_limits(cset))
    found = import_workbook(kind, Source(path=path, size=path.stat().st_size, limits=kind.limits)).findings
    layout = build_layout(cset, COMMUNE)
    gates = {(f.rule, f.criterion, f.cell) for f in found if f.rule in ("score.missing", "figures.missing")}
    assert gates == {("score.missing", "1.3", layout.at("grid", layout.leaves["1.3"].score)),
                     ("figures.missing", "1.4", layout.at("grid", layout.leaves["1.4"].score))}
    assert [f.rule for f in found if f.criterion == "1.2"] == ["score.not_number"]
    (incomplete,) = [f.message for f in found if f.rule == "submission.incomplete"]
    assert re.findall(r"\d+", incomplete) == ["2"]  # 1.3 and 1.4
