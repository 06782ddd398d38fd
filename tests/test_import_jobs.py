"""`cchc-xl import --jobs 2` gives the report, the store, the feedback workbooks and the validation workbook
of a one-process run: the same inbox (accepted, warned and rejected returns, a commune with two files, a
file sent twice, an unreadable file, evidence folders, one PDF copied into another commune's folder)
imported both ways, compared byte for byte (the report), table by table (the store, as in the kill test),
file by file (feedback workbooks, read back) and cell by cell (the validation workbook, but for its date)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cchc_xl.cli import cli
from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.importing.discover import Candidate
from cchc_xl.importing.run import FileImporter, SubmissionResult
from cchc_xl.messages import say
from cchc_xl.samplegen.pdfs import text_pdf
from cchc_xl.settings import Settings
from cchc_xl.templates import template
from cchc_xl.workbook.layout import fit_row
from cchc_xl.workspace import open_workspace
from conftest import SAMPLE_COMMUNES, MakeRound
from import_corpus import Corpus
from test_feedback_package import read_back
from test_import_kill import CLI, MINI, _env, dump, new_round

TV = template("validation")
META = template("commune")["sheets"]["meta"] + ":"


def _inbox(tmp: Path, cset: CriteriaSet, communes: list[Commune], settings: Settings) -> Path:
    c = Corpus(tmp / "inbox", tmp / "work", cset, communes, settings)
    manual = next(leaf for leaf in cset.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    for i, commune in enumerate(communes[:12]):
        c.valid(commune, overrides={f"TDG_{manual.name_key}": 99} if i % 4 == 1 else
                {f"GT_{manual.name_key}": None} if i % 4 == 2 else None)
    later = c.valid(communes[0], name=f"{communes[0].code}-ban-2.xlsx", explanation="Bản gửi lại.")
    os.utime(later, (time.time() + 60, time.time() + 60))
    shutil.copy(c.inbox / f"{communes[3].code}-{communes[3].slug}.xlsx", c.inbox / "gui-lai.xlsx")
    c.not_zip("hong.xlsx")
    for i, workbook in enumerate(sorted(c.inbox.glob("*.xlsx"))[:8]):
        folder = c.inbox / workbook.stem
        folder.mkdir()
        (folder / "ke-hoach.pdf").write_bytes(text_pdf(seed=i if i != 5 else 0))  # the 6th copies the 1st's
    return c.inbox


def _run(inbox: Path, out: Path, jobs: int) -> None:
    out.mkdir()
    new_round(out / "s.sqlite", SAMPLE_COMMUNES)
    done = subprocess.run([*CLI, "import", str(inbox), "--out", str(out), "--db", str(out / "s.sqlite"),
                           "--criteria", str(MINI), "--jobs", str(jobs)], env=_env(), stdout=subprocess.DEVNULL)
    assert done.returncode in (0, 1)  # 1: done, with rejected files (the exit-code convention)


_TIME = re.compile(r"\d\d/\d\d/\d{4} \d\d:\d\d(:\d\d)?")


def _validation(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every sheet's rows, the times of the run and of reception blanked."""
    wb = openpyxl.load_workbook(path)
    return {ws.title: [tuple("" if isinstance(v, str) and _TIME.search(v) else v for v in r)
                       for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_two_workers_give_the_one_process_outputs(tmp_path: Path, mini_set: CriteriaSet, communes: list[Commune],
                                                  settings: Settings) -> None:
    inbox = _inbox(tmp_path, mini_set, communes, settings)
    one, two = tmp_path / "one", tmp_path / "two"
    _run(inbox, one, 1)
    _run(inbox, two, 2)
    report = (one / "import-report.json").read_bytes()
    assert (two / "import-report.json").read_bytes() == report
    rules = report.decode("utf-8")
    for rule in ("submission.duplicate", "score.above_max", "file.not_spreadsheet", "evidence.duplicate_across_communes"):
        assert rule in rules
    assert dump(two / "s.sqlite") == dump(one / "s.sqlite")
    feedback = sorted(p.name for p in (one / TV["feedback_dir"]).iterdir())
    assert feedback and sorted(p.name for p in (two / TV["feedback_dir"]).iterdir()) == feedback
    for name in feedback:
        a, b = read_back(one / TV["feedback_dir"] / name), read_back(two / TV["feedback_dir"] / name)
        assert b.keys() == a.keys()
        for key in a:
            if not key.startswith(META):  # the signed metadata holds the time each was written
                assert b[key] == a[key], (name, key)
    assert _validation(two / TV["file_name"]) == _validation(one / TV["file_name"])
    _assert_findings_rows_fitted(one / TV["file_name"])


def _assert_findings_rows_fitted(path: Path) -> None:
    """The validation workbook is written row by row (each row on disk once left): every findings row still
    has the height its message, cell and file name need, and some need more than one line."""
    columns = TV["finding_columns"]
    col = columns.indices
    ws = openpyxl.load_workbook(path)[TV["sheets"]["findings"]]
    tall = 0
    for row in ws.iter_rows(min_row=2):
        heights: dict[int, float] = {}
        fit_row(heights, 0, [(row[col[k]].value, columns[k].width, 11, False) for k in ("message", "cell", "file")])
        assert ws.row_dimensions[row[0].row].height == heights.get(0), row[0].row
        tall += 0 in heights
    assert tall


def test_a_dead_worker_is_told_and_what_was_stored_stays(make_round: MakeRound, tmp_path: Path,
                                                         mini_set: CriteriaSet, communes: list[Commune],
                                                         settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed mid-batch (out of memory): the command says so in Vietnamese and exits 1, no
    traceback; what the store holds stays, and a rerun imports the rest."""
    folder = make_round()
    c = Corpus(tmp_path / "inbox", tmp_path / "work", mini_set, communes, settings)
    books = [c.valid(commune) for commune in communes[:6]]
    doomed = books[3].name
    imported = FileImporter.__call__

    def dies_on_one(self: FileImporter, cand: Candidate, shown: str) -> SubmissionResult:
        if cand.workbook.name == doomed:
            os._exit(9)
        return imported(self, cand, shown)

    with monkeypatch.context() as m:
        m.setattr(FileImporter, "__call__", dies_on_one)
        result = CliRunner().invoke(cli, ["import", str(c.inbox), "--out", str(tmp_path / "nhan"), "--jobs", "2"])
    assert result.exit_code == 1, result.output
    assert say("import.worker_died", done=0, total=0, db="").split("0/0")[0] in result.output
    assert "Traceback" not in result.output
    store = open_workspace(folder).open_store()
    try:
        kept = {s.file_name for s in store.all_latest()}
    finally:
        store.close()
    assert doomed not in {Path(name).name for name in kept}
    again = CliRunner().invoke(cli, ["import", str(c.inbox), "--out", str(tmp_path / "nhan"), "--jobs", "2"])
    assert again.exit_code == 0, again.output
    store = open_workspace(folder).open_store()
    try:
        assert len(store.all_latest()) == len(books)
    finally:
        store.close()
