"""`cchc-xl generate --jobs N`: the round's workbooks made by worker processes are the one-process run's
(part for part, for one run time), a workbook that cannot be written is named in Vietnamese and stops no
other (exit 1), and a worker that dies is told."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from cchc_xl.cli import cli
from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.identity import RoundIdentity
from cchc_xl.messages import say
from cchc_xl.settings import Settings
from cchc_xl.workbook import generate
from cchc_xl.workbook.generate import WorkbookMaker, generate_round, workbook_name
from conftest import MakeRound

AT = dt.datetime(2022, 9, 1, 8, 0, tzinfo=dt.UTC)


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


@pytest.mark.parametrize("jobs", [2, 3])
def test_workers_write_the_one_process_workbooks(jobs: int, tmp_path: Path, mini_set: CriteriaSet,
                                                 communes: list[Commune], settings: Settings,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 4 communes (several per worker), one of them a commune whose name the package cannot
    take as it is: the same files in the same order as a one-process run, all carrying the run's time."""
    monkeypatch.setattr(generate, "BATCH", 4)
    identity = RoundIdentity.of("UBND huyện Thử Nghiệm", "Thử Nghiệm", communes)
    units = [*communes[:13], Commune(code="99999", name="Tên rất dài " * 30, kind="phường")]
    one = list(generate_round(mini_set, units, tmp_path / "one", settings, identity, jobs=1, generated_at=AT))
    many = list(generate_round(mini_set, units, tmp_path / "many", settings, identity, jobs=jobs, generated_at=AT))
    assert [g.commune for g in many] == [g.commune for g in one] == units
    assert all(g.path is not None and not g.why for g in [*one, *many])
    for a, b in zip(one, many, strict=True):
        assert a.path is not None and b.path is not None and a.path.name == b.path.name == workbook_name(a.commune)
        assert _parts(b.path) == _parts(a.path), a.path.name


def test_a_workbook_that_cannot_be_written_stops_no_other(make_round: MakeRound, tmp_path: Path,
                                                          communes: list[Commune]) -> None:
    """A folder where a commune's workbook goes (as a file open in Excel on Windows cannot be replaced):
    that commune is named with why, in Vietnamese; every other workbook is written; exit 1, no traceback."""
    make_round()
    out = tmp_path / "bang"
    blocked = out / workbook_name(communes[2])
    blocked.mkdir(parents=True)
    result = CliRunner().invoke(cli, ["generate", "--out", str(out), "--jobs", "2"])
    assert result.exit_code == 1, result.output
    assert say("cli.generate_failed", code=communes[2].code, why="").split("(")[0] in result.output
    assert "Traceback" not in result.output
    assert say("cli.generated", count=len(communes) - 1, out=out) in result.output
    written = sorted(p.name for p in out.iterdir() if p.is_file())
    assert written == sorted(workbook_name(c) for c in communes if c != communes[2])
    assert blocked.is_dir() and not any(blocked.iterdir())


def test_generate_exits_0_with_every_workbook(make_round: MakeRound, tmp_path: Path, communes: list[Commune]) -> None:
    make_round()
    result = CliRunner().invoke(cli, ["generate", "--out", str(tmp_path / "bang"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "bang").glob("*.xlsx"))) == len(communes)


def test_a_dead_worker_is_told(make_round: MakeRound, tmp_path: Path, communes: list[Commune],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed mid-run (out of memory): said in Vietnamese, exit 1, the workbooks written stay whole."""
    make_round()
    monkeypatch.setattr(generate, "BATCH", 2)
    made = WorkbookMaker.__call__

    def dies_on_one(self: WorkbookMaker, batch: list[Commune]) -> list[generate.Generated]:
        if communes[5] in batch:
            os._exit(9)
        return made(self, batch)

    monkeypatch.setattr(WorkbookMaker, "__call__", dies_on_one)
    out = tmp_path / "bang"
    result = CliRunner().invoke(cli, ["generate", "--out", str(out), "--jobs", "2"])
    assert result.exit_code == 1, result.output
    assert say("generate.worker_died", dir=out) in result.output
    assert "Traceback" not in result.output
    assert all(zipfile.is_zipfile(p) for p in out.glob("*.xlsx"))


def test_a_folder_that_cannot_be_made_is_said_once(make_round: MakeRound, tmp_path: Path) -> None:
    """`--out` under a file: one message for the folder (not one for each unit's workbook), no traceback."""
    make_round()
    (tmp_path / "tep").write_text("x", encoding="utf-8")
    result = CliRunner().invoke(cli, ["generate", "--out", str(tmp_path / "tep" / "bang"), "--jobs", "2"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert say("cli.generate_failed", code="", why="").split("(")[0].strip() not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
