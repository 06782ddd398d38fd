"""`cchc-xl import` end to end through click: report, validation workbook, feedback workbooks, summary."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from cchc_xl.cli import cli
from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.records import Finding
from cchc_xl.reports.feedback import changed_cell, feedback_name, split_cell
from cchc_xl.settings import Settings
from cchc_xl.templates import template
from conftest import MakeRound
from import_corpus import Corpus

MINI = Path(__file__).parent / "data" / "mini-set.yaml"
TV = template("validation")
MARK = "FF9999"


def _valid(c: Corpus, communes: list[Commune], cset: CriteriaSet) -> list[str]:
    return [c.valid(communes[0]).name]


def _bad(c: Corpus, communes: list[Commune], cset: CriteriaSet) -> list[str]:
    return [c.not_zip("hong.xlsx").name]


def _problems(c: Corpus, communes: list[Commune], cset: CriteriaSet) -> list[str]:
    leaves = cset.commune_leaves()
    manual = next(leaf for leaf in leaves if leaf.rule and leaf.rule.kind == "manual")
    ratio = next(leaf for leaf in leaves if leaf.rule and leaf.rule.kind == "ratio_tiers")
    over = {f"TDG_{manual.name_key}": 99, f"KK_{ratio.name_key}_1": 500, f"KK_{ratio.name_key}_2": 10}
    return [c.valid(communes[1], overrides=over).name, c.valid(communes[2], name="nhap-so-chu.xlsx",
                                                               overrides={f"TDG_{manual.name_key}": "1,5"}).name]


CASES: dict[str, Callable[[Corpus, list[Commune], CriteriaSet], list[str]]] = {
    "valid": _valid, "bad": _bad, "problems": _problems,  # an empty inbox: test_cli_mistakes (exit 2)
}


def _run(tmp_path: Path, build: Callable[..., list[str]], cset: CriteriaSet, communes: list[Commune],
         settings: Settings, make_round: MakeRound) -> tuple[Any, list[str], Path]:
    make_round(criteria=MINI)
    c = Corpus(tmp_path / "inbox", tmp_path / "work", cset, communes, settings)
    names = build(c, communes, cset)
    out = tmp_path / "out"
    args = ["import", str(c.inbox), "--out", str(out)]
    # a wide console: rich would otherwise wrap long file names inside the summary table
    result = CliRunner(env={"COLUMNS": "200"}).invoke(cli, args, catch_exceptions=False)
    return result, names, out


@pytest.mark.parametrize("case", list(CASES))
def test_import_command(case: str, tmp_path: Path, mini_set: CriteriaSet, communes: list[Commune],
                        settings: Settings, make_round: MakeRound) -> None:
    result, names, out = _run(tmp_path, CASES[case], mini_set, communes, settings, make_round)
    report = json.loads((out / "import-report.json").read_text(encoding="utf-8"))
    # the exit code convention: 0 when nothing is rejected, 1 when a file is
    assert result.exit_code == int(any(s["status"] == "rejected" for s in report["submissions"])), result.output
    assert sorted(Path(s["file"]).name for s in report["submissions"]) == sorted(names)
    validation = out / TV["file_name"]
    assert validation.is_file()
    console = " ".join(result.output.split())
    for name in names:
        assert name in console
    assert f"Đã tiếp nhận {len(names)} tệp" in console
    wb = openpyxl.load_workbook(validation)
    summary = wb[TV["sheets"]["summary"]]
    texts = {str(v) for row in summary.iter_rows(values_only=True) for v in row if v is not None}
    for name in names:
        assert any(name in t for t in texts), name


def _marked_cells(wb: Any) -> set[tuple[str, str]]:
    out = set()
    for ws in wb.worksheets[1:]:
        for row in ws.iter_rows():
            for cell in row:
                rgb = cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type == "solid" else None
                if isinstance(rgb, str) and rgb.upper().endswith(MARK):
                    out.add((ws.title, cell.coordinate))
    return out


def test_feedback_workbook_marks_exactly_the_finding_cells(tmp_path: Path, mini_set: CriteriaSet,
                                                           communes: list[Commune], settings: Settings,
                                                           make_round: MakeRound) -> None:
    result, _names, out = _run(tmp_path, _problems, mini_set, communes, settings, make_round)
    assert result.exit_code == 1, result.output  # one return is rejected
    report = json.loads((out / "import-report.json").read_text(encoding="utf-8"))
    checked = 0
    for sub in report["submissions"]:
        path = out / TV["feedback_dir"] / feedback_name(sub["file"], sub["commune_code"])
        assert path.is_file(), path
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames[0] == TV["feedback"]["sheet"]
        cells = {changed_cell(Finding(**f)) for f in sub["findings"] if f["cell"]}  # the cells to change
        want = {split_cell(c) for c in cells if c}
        assert want, sub["findings"]
        assert _marked_cells(wb) == want
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
        header = next(i for i, r in enumerate(rows) if r[3] == TV["feedback"]["columns"]["cell"].header)
        assert {str(r[3]) for r in rows[header + 1:] if r[3]} == cells
        checked += 1
    assert checked == 2
