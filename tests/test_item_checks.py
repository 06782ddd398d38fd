"""One list of checks per appraised item (`appraisal.scores.item_checks`) makes both the Python status and the
appraisal workbook's status formula, as `scoring.leaf_checks` does for the commune's rows.

The status cell's formula, as the generated appraisal workbook holds it, is evaluated by the test evaluator
(tests/criteria_tables.py) on hypothesis-drawn council inputs of one row — appraised scores in and out of
range, off step, not a level, as text or blank; reasons blank, invisible or written; self-scores blank, equal
or different — and must show the text of the status `scores.item_status` gives. The whole workbook's
agreement through LibreOffice is tests/test_appraisal.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xlsxwriter.utility import xl_rowcol_to_cell

from cchc_xl.appraisal.scores import AppraisalInputs, item_checks, item_status
from cchc_xl.appraisal.workbook import AppraisalLayout, SubmissionView, build_appraisal_layout
from cchc_xl.communes import Commune
from cchc_xl.criteria import load_set
from cchc_xl.criteria.model import CriteriaSet, Criterion
from cchc_xl.messages import FINDINGS
from cchc_xl.templates import template
from conftest import examples
from criteria_tables import Cell, every_kind_set, excel_eval
from test_leaf_checks import EXPLANATION, typed

D = Decimal
T = template("appraisal")
STATUS = T["status"]
COMMUNE = Commune(code="00001", name="Xã Thử", kind="xã")
PROPS = settings(max_examples=examples(400, 60), deadline=None, suppress_health_check=list(HealthCheck))


def view(cset: CriteriaSet) -> SubmissionView:
    return SubmissionView(id=1, sha256="0" * 64, file_name="00001-xa-thu.xlsx", scores={}, figures={},
                          explanations={}, evidence={}, evidence_links={}, findings={})


def sets() -> dict[str, CriteriaSet]:
    return {"every kind": every_kind_set(), "bundled": load_set()}


@pytest.fixture(scope="module")
def layouts() -> dict[str, tuple[CriteriaSet, AppraisalLayout]]:
    return {key: (cset, build_appraisal_layout(cset, COMMUNE, view(cset), AppraisalInputs()))
            for key, cset in sets().items()}


def sheet_status(lay: AppraisalLayout, leaf: Criterion, self_points: Decimal | None, value: Cell,
                 reason: str) -> str:
    """What the item's status cell shows for these inputs, its formula evaluated as the sheet does (the
    self-score cell of an item the district scores holds the district's mark)."""
    cols = T.columns.indices
    row = lay.items[leaf.code][0]
    cells = {(c.row, c.col): c for c in lay.cells if c.sheet == "sheet" and c.row == row}
    status = cells[(row, cols["status"])].formula
    assert status is not None
    ref = {key: xl_rowcol_to_cell(row, cols[key]) for key in ("score", "reason", "self")}
    district = leaf.scored_by == "district"
    env: dict[str, Cell] = {ref["score"]: value, ref["reason"]: reason or None,
                            ref["self"]: T["district_mark"] if district else self_points}
    shown = excel_eval(status, env)
    assert isinstance(shown, str)
    return shown


@st.composite
def council_row(draw: st.DrawFn, cset: CriteriaSet) -> tuple[Criterion, Decimal | None, Cell, str]:
    """One item, its self-score and what the council typed."""
    leaf = draw(st.sampled_from(cset.leaves()))
    value = draw(typed(leaf.max))
    self_points = draw(st.one_of(st.none(), st.just(value if isinstance(value, Decimal) else None),
                                 st.sampled_from([D(0), leaf.max])))
    return leaf, self_points, value, draw(EXPLANATION)


@pytest.mark.parametrize("key", ["every kind", "bundled"])
def test_the_status_formula_shows_the_python_status(layouts: dict[str, tuple[CriteriaSet, AppraisalLayout]],
                                                    key: str) -> None:
    cset, lay = layouts[key]
    seen: set[str] = set()

    @PROPS
    @given(council_row(cset))
    def agree(case: tuple[Criterion, Decimal | None, Cell, str]) -> None:
        leaf, self_points, value, reason = case
        want = STATUS[item_status(leaf, self_points, value, reason)]
        assert sheet_status(lay, leaf, self_points, value, reason) == want, case
        seen.add(want)

    agree()
    assert set(STATUS.values()) <= seen, seen  # every status reached, "ok" and each check's


# (item of the every-kind set, self-score, appraised score as typed, reason) -> status key
HAND = [
    ("1.1", D(1), None, "", "missing"),
    ("1.1", D(1), "", "", "missing"),
    ("1.1", D(1), "1", "", "not_number"),
    ("1.1", D(1), D(-1), "", "out_of_range"),
    ("1.1", D(1), D(2), "Lý do", "out_of_range"),
    ("1.1", D(1), D("0.5"), "Lý do", "not_allowed"),
    ("1.1", D(1), D(0), "", "reason_missing"),
    ("1.1", D(1), D(0), "\u00a0\u200b", "reason_missing"),
    ("1.1", None, D(1), "", "reason_missing"),  # a blank self-score counts as 0
    ("1.1", None, D(0), "", "ok"),
    ("1.1", D(1), D(0), "Thiếu kế hoạch", "ok"),
    ("1.1", D(1), D(1), "", "ok"),
]


@pytest.mark.parametrize(("code", "self_points", "value", "reason", "status"), HAND)
def test_each_check_by_hand(layouts: dict[str, tuple[CriteriaSet, AppraisalLayout]], code: str,
                            self_points: Decimal | None, value: Cell, reason: str, status: str) -> None:
    cset, lay = layouts["every kind"]
    leaf = cset.by_code[code]
    assert item_status(leaf, self_points, value, reason) == status
    assert sheet_status(lay, leaf, self_points, value, reason) == STATUS[status]


def test_an_item_the_district_scores_needs_no_reason(layouts: dict[str, tuple[CriteriaSet, AppraisalLayout]]) -> None:
    cset, lay = layouts["every kind"]
    leaf = cset.body_leaves()[0]
    assert [c.status for c in item_checks(leaf)][-1] != "reason_missing"
    assert item_status(leaf, None, leaf.max, "") == "ok"
    assert sheet_status(lay, leaf, None, leaf.max, "") == STATUS["ok"]


@pytest.mark.parametrize("key", ["every kind", "bundled"])
def test_every_check_has_a_finding_rule_and_a_status_text(key: str) -> None:
    for leaf in sets()[key].leaves():
        for check in item_checks(leaf):
            assert check.rule in FINDINGS, (leaf.code, check.rule)
            assert check.status in STATUS, (leaf.code, check.status)
