"""The import stages (importing/stages.py) over the commune workbook's kind: a file stops at the stage that
refuses it, and its frozen result holds exactly what the stages before that one made; a fault of a stage is
the result's `failure`, the findings of the stages before it kept.

| file                | last stage reached | rules                 |
|---------------------|--------------------|-----------------------|
| random-bytes.xlsx   | verdict            | file.not_spreadsheet  |
| bang-tinh-khac.xlsx | book               | file.foreign          |
| other-set.xlsx      | identity           | meta.other_set        |
| valid.xlsx          | findings           |                       |
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.importing.commune import CommuneWorkbook, import_limits
from cchc_xl.importing.inputs import Declarations
from cchc_xl.importing.stages import Declared, Identified, Imported, Source, import_workbook
from cchc_xl.importing.verify import Identity
from cchc_xl.settings import Settings
from import_corpus import Corpus, parse_table

CASES = parse_table(__doc__.split("\n\n", 1)[1])  # type: ignore[union-attr]
STAGES = ("verdict", "book", "identity", "declarations", "evaluation", "findings")


def _kind(cset: CriteriaSet, settings: Settings, communes: list[Commune]) -> CommuneWorkbook:
    return CommuneWorkbook(cset, settings, {c.code: c for c in communes}, dt.date(2022, 11, 1),
                           limits=import_limits(cset))


def _import(kind: CommuneWorkbook, path: Path) -> Imported[Identity, Declarations, object]:
    return import_workbook(kind, Source(path=path, size=path.stat().st_size, limits=kind.limits))


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory, mini_set: CriteriaSet, bundled_set: CriteriaSet,
          communes: list[Commune], settings: Settings) -> Path:
    tmp = tmp_path_factory.mktemp("stages")
    c = Corpus(tmp / "inbox", tmp / "work", mini_set, communes, settings)
    c.not_zip("random-bytes.xlsx")
    c.foreign("bang-tinh-khac.xlsx")
    c.valid(communes[0], "valid.xlsx")
    other = Corpus(tmp / "inbox", tmp / "work-bundled", bundled_set, communes, settings)
    other.valid(communes[1], "other-set.xlsx")
    return tmp / "inbox"


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_a_file_stops_at_the_stage_that_refuses_it(case, inbox: Path, mini_set: CriteriaSet, settings: Settings,
                                                   communes: list[Commune]) -> None:
    got = _import(_kind(mini_set, settings, communes), inbox / case.file)
    reached = STAGES.index(case.status)
    assert (got.identity is not None) == (reached >= STAGES.index("identity"))
    assert (got.declarations is not None) == (reached >= STAGES.index("declarations"))
    assert (got.evaluation is not None) == (reached >= STAGES.index("evaluation"))
    assert (got.saved_at is not None) == (reached >= STAGES.index("book"))  # (openpyxl writes a save time)
    assert got.failure is None
    assert set(case.rules) <= {f.rule for f in got.findings}
    if not case.rules:
        assert got.evaluation is not None and got.evaluation.scores.total > 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.findings = ()  # type: ignore[misc]


class _FailingDeclare(CommuneWorkbook):
    """The commune kind with a fault in its declarations stage."""

    def declare(self, identified: Identified[Identity]) -> Declared[Identity, Declarations]:
        identified.found.add("names.lost")  # a finding made before the fault: kept
        raise ZeroDivisionError


def test_a_fault_in_a_stage_is_the_results_failure_with_what_came_before(
        inbox: Path, mini_set: CriteriaSet, settings: Settings, communes: list[Commune]) -> None:
    kind = _FailingDeclare(mini_set, settings, {c.code: c for c in communes}, dt.date(2022, 11, 1),
                           limits=import_limits(mini_set))
    got = _import(kind, inbox / "valid.xlsx")
    assert isinstance(got.failure, ZeroDivisionError)
    assert got.identity is not None and got.identity.commune.code == communes[0].code
    assert got.declarations is None and got.evaluation is None
    assert [f.rule for f in got.findings][-1] == "names.lost"
