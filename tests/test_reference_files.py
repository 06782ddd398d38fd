"""Every workbook kind of the mini set equals its reference file, part by part (tests/reference_files.py).

A difference names the part and the place; if the change is meant, check the new file by hand and run
`python scripts/regen_reference_files.py KIND`."""

from __future__ import annotations

from pathlib import Path

import pytest

from cchc_xl.workbook.formula_memo import SWITCH
from reference_files import KINDS, REFERENCE, first_difference, parts


@pytest.mark.parametrize("formula_memo", ["1", "0"], ids=["formula-memo", "plain-xlsxwriter"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_workbook_equals_its_reference(kind: str, formula_memo: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways of preparing formulas (workbook/formula_memo.py, XlsxWriter's own) write the reference."""
    monkeypatch.setenv(SWITCH, formula_memo)
    reference = REFERENCE / f"{kind}.xlsx"
    assert reference.is_file(), f"no reference for {kind}: run python scripts/regen_reference_files.py {kind}"
    got, want = parts(KINDS[kind](tmp_path)), parts(reference)
    assert list(got) == list(want), "the package's parts (or their order) differ"
    for name in want:
        assert got[name] == want[name], f"{kind}: {name} differs at {first_difference(got[name], want[name])}"


def test_formula_memo_answers_as_xlsxwriter() -> None:
    """The memo's answer for a formula, first computed and then remembered, is XlsxWriter's, whatever the
    worksheet's use of future functions."""
    from xlsxwriter.worksheet import Worksheet

    from cchc_xl.workbook.formula_memo import MemoWorksheet

    formulas = ["=SUM(A1:A3)", "{=XLOOKUP(A1,B:B,C:C)}", "=IF(ISNA(MATCH(A5,'_meta'!$D$2:$D$9,0)),\"x\",\"\")",
                "=_xlfn.STDEV.S(A1:A9)", "=CONCAT(A1,B1)", "=TEXTJOIN(\",\",TRUE,A1:A3)", "=XSINGLE(A1)"]
    for future in (False, True):
        plain, memo = Worksheet(), MemoWorksheet()
        plain.use_future_functions = memo.use_future_functions = future
        for expand in (False, True):
            for f in formulas * 2:
                assert memo._prepare_formula(f, expand) == plain._prepare_formula(f, expand), (f, future, expand)
