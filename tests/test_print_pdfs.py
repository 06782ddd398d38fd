"""Every workbook kind printed the way users print it (LibreOffice → PDF, each sheet alone, A4), checked
from the PDFs with the measuring of scripts/render_pdfs.py: pages per sheet within the kind's bounds and
no empty page, every sheet printed at ≥ 85 % of its font size, and the Phụ lục 2 sheet portrait A4 inside
the Nghị định 30 margins with every sub-criterion code in its text.

The workbooks are made as a district makes them: a round of the bundled set, returns filled as communes
fill them (one with a score above its maximum), imported by the CLI (the validation and feedback workbooks).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cchc_xl.cli import cli
from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.criteria.load import DEFAULT_SET, bundled
from cchc_xl.reports.feedback import feedback_name
from cchc_xl.settings import Settings
from cchc_xl.templates import template
from cchc_xl.workbook.sheetkit import ND30_MARGINS
from conftest import MakeRound
from conftest import script as load_script
from import_corpus import Corpus

pytestmark = pytest.mark.libreoffice

ROOT = Path(__file__).resolve().parents[1]
T, TV = template("commune"), template("validation")
MIN_SCALE = 0.85


@dataclass(frozen=True)
class Bounds:
    pages: tuple[int, int]    # least and most pages the sheet prints on (bundled set, a few returns)
    min_scale: float = MIN_SCALE
    empty_pages: int = 0      # pages holding only the repeated header rows


# kind -> sheet name -> bounds. The ranking and appraisal kinds are their writers' owners' to add, here.
COMMUNE = {
    T["sheets"]["guide"]: Bounds((1, 2)),
    T["sheets"]["grid"]: Bounds((4, 20)),
    # The commune's own register has no print area (rows are added after it is written); its check column
    # is hidden, so its empty input rows hold nothing to print. The feedback workbook's prints the rows sent.
    T["sheets"]["register"]: Bounds((1, 3)),
    T["sheets"]["summary"]: Bounds((1, 3)),
    T["sheets"]["issues"]: Bounds((1, 1)),
    T["sheets"]["approved"]: Bounds((4, 12)),
}
BOUNDS: dict[str, dict[str, Bounds]] = {
    "commune": COMMUNE,
    "feedback": {**COMMUNE, TV["feedback"]["sheet"]: Bounds((1, 2)), T["sheets"]["register"]: Bounds((1, 3))},
    "validation": {
        TV["sheets"]["summary"]: Bounds((1, 1)),
        TV["sheets"]["findings"]: Bounds((1, 2)),
        TV["sheets"]["evidence"]: Bounds((1, 1)),
        TV["sheets"]["ignored"]: Bounds((1, 1)),
    },
}


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return {}


@pytest.fixture
def prints(printed: dict[str, Any], tmp_path: Path, bundled_set: CriteriaSet, communes: list[Commune],
           settings: Settings, make_round: MakeRound) -> dict[str, Any]:
    """kind -> sheet -> SheetPrint; made once for the module (make_round needs a test's tmp_path)."""
    if printed:
        return printed
    make_round(criteria=bundled(DEFAULT_SET))
    c = Corpus(tmp_path / "inbox", tmp_path / "work", bundled_set, communes, settings)
    manual = next(leaf for leaf in bundled_set.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    accepted = c.valid(communes[0])
    c.valid(communes[1], overrides={f"TDG_{manual.name_key}": 99})
    out = tmp_path / "out"
    result = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["import", str(c.inbox), "--out", str(out)],
                                                      catch_exceptions=False)
    report = json.loads((out / "import-report.json").read_text(encoding="utf-8"))
    rejected = next(s for s in report["submissions"] if s["status"] == "rejected")
    books = {"commune": accepted, "validation": out / TV["file_name"],
             "feedback": out / TV["feedback_dir"] / feedback_name(rejected["file"], rejected["commune_code"])}
    assert all(p.is_file() for p in books.values()), result.output
    script = load_script("render_pdfs")
    for p in script.print_sheets(books, tmp_path / "pdf"):
        printed.setdefault(p.kind, {})[p.sheet] = p
    return printed


@pytest.mark.parametrize("kind", sorted(BOUNDS))
def test_pages_per_sheet_within_bounds_and_no_empty_page(kind: str, prints: dict[str, Any]) -> None:
    sheets = prints[kind]
    assert set(sheets) == set(BOUNDS[kind]), kind
    for name, bounds in BOUNDS[kind].items():
        p = sheets[name]
        assert bounds.pages[0] <= p.pages <= bounds.pages[1], (kind, name, p.pages)
        assert p.empty_pages <= bounds.empty_pages, (kind, name, p.empty_pages)
        assert p.a4, (kind, name)


@pytest.mark.parametrize("kind", sorted(BOUNDS))
def test_every_sheet_prints_at_85_percent_or_more(kind: str, prints: dict[str, Any]) -> None:
    low = {name: p.scale for name, p in prints[kind].items()
           if p.scale is not None and p.scale < BOUNDS[kind][name].min_scale}
    assert low == {}, kind


@pytest.mark.parametrize("kind", ["commune", "feedback"])
def test_phu_luc_2_portrait_a4_within_nd30_margins_with_every_code(kind: str, prints: dict[str, Any],
                                                                   bundled_set: CriteriaSet) -> None:
    p = prints[kind][T["sheets"]["approved"]]
    assert p.a4 and p.portrait
    assert ND30_MARGINS.left - 0.5 <= p.margins_mm["left"] <= 35 + 0.5, p.margins_mm
    assert ND30_MARGINS.top - 0.5 <= p.margins_mm["top"] <= 25 + 0.5, p.margins_mm
    assert p.min_pt >= 10.95  # nothing printed below 11 pt
    words = set(p.text.split())
    missing = [leaf.code for leaf in bundled_set.leaves() if leaf.code not in words]
    assert missing == []


def test_a_blank_workbook_shows_no_tier_after_recalculation(tmp_path: Path, communes: list[Commune],
                                                            settings: Settings, make_workbook: Any) -> None:
    """LibreOffice recomputes the tier formula: empty while nothing is scored (a set the commune scores
    wholly: the mini set with its district item made the commune's)."""
    from cchc_xl.criteria import load_set
    from cchc_xl.office import convert
    from workbook_fill import NamedValues

    text = (ROOT / "tests" / "data" / "mini-set.yaml").read_text(encoding="utf-8").replace(
        "rule: {kind: district, method: Điều tra xã hội học}", "rule: {kind: done}")
    (tmp_path / "whole.yaml").write_text(text, encoding="utf-8")
    whole = load_set(tmp_path / "whole.yaml")
    blank = make_workbook(cset=whole)
    filled = Corpus(tmp_path / "inbox", tmp_path / "work", whole, communes, settings).valid(communes[0], "filled.xlsx")
    resaved = convert([blank, filled], "xlsx", tmp_path / "out")
    assert NamedValues(resaved[0])["XEP_LOAI"] in ("", None)
    assert NamedValues(resaved[1])["XEP_LOAI"] in {t.name for t in whole.tiers}
