"""The store's safety nets on both engines, through the command line: `import --dry-run` writes nothing and
reports what a real import would, every writing command backs up first, and `store restore` brings the
round back as it was (on a server: that round only, with its ids, the other rounds untouched).

A round of the mini set over the Phù Yên sample list, its store on each engine (`--db`). Inboxes:

    inbox  | 03898 Phù Yên       | 03901 Suối Tọ        | 03904 Mường Thải
    first  | file A              | file B               | —
    second | file A (same again) | file B2 (revised)    | file C (new)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cchc_xl.backup import backup_dir, backups
from cchc_xl.cli import cli
from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.settings import Settings
from cchc_xl.store import Store
from cchc_xl.store_copy import CopyError, dump_round, replace_round
from cchc_xl.store_sql import Location
from cchc_xl.workbook.generate import generate_one
from conftest import MakeRound
from import_corpus import fill

ROUND = "2022-ubnd-huyen-thu-nghiem"
TABLES = ("rounds", "communes", "submissions", "findings", "withdrawals", "appraisals", "appraisal_scores",
          "events", "answer_requests", "answers")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def said(result: Result) -> str:
    return " ".join(result.output.split())


def tables(db: Location) -> dict[str, list[str]]:
    """The whole store, table by table (ids included), as comparable text."""
    store = Store(db)
    try:
        return {t: sorted(repr(tuple(str(v) for v in row)) for row in store.engine.all(f"SELECT * FROM {t}"))
                for t in TABLES}
    finally:
        store.close()


@pytest.fixture
def inboxes(make_round: MakeRound, db: Location, mini_set: CriteriaSet, communes: list[Commune],
            settings: Settings) -> tuple[Path, Location]:
    folder = make_round(extra=("--db", str(db)))
    blank, first, second = folder / "blank", folder / "first", folder / "second"
    first.mkdir()
    second.mkdir()
    books = {c.code: generate_one(mini_set, c, blank, settings) for c in communes[:3]}
    fill(books["03898"], first / "03898.xlsx", mini_set, seed="A")
    fill(books["03901"], first / "03901.xlsx", mini_set, seed="B")
    shutil.copy(first / "03898.xlsx", second / "03898.xlsx")
    fill(books["03901"], second / "03901-sua-lai.xlsx", mini_set, seed="B2")
    fill(books["03904"], second / "03904.xlsx", mini_set, seed="C")
    return folder, db


def report(folder: Path) -> dict[str, object]:
    data = json.loads((folder / "import-report.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k not in ("generated_at", "imported_at")}


def test_dry_run_writes_nothing_and_reports_what_the_import_then_does(inboxes: tuple[Path, Location]) -> None:
    folder, db = inboxes
    assert run("import", "first", "--out", "kq-1").exit_code == 0
    before = tables(db)
    kept = backups(db, round_id=ROUND, base=folder)
    dry = run("import", "second", "--out", "thu", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "CHẠY THỬ" in said(dry) and "2 bản sẽ là bản mới" in said(dry), dry.output
    assert tables(db) == before  # the store, every table
    assert backups(db, round_id=ROUND, base=folder) == kept  # nothing written, nothing backed up
    real = run("import", "second", "--out", "kq-2")
    assert real.exit_code == 0 and "2 bản mới" in said(real), real.output
    assert report(folder / "thu") == report(folder / "kq-2")
    assert sorted(p.name for p in (folder / "thu").iterdir()) == sorted(p.name for p in (folder / "kq-2").iterdir())
    again = run("import", "second", "--out", "thu-2", "--dry-run")
    assert "0 bản sẽ là bản mới" in said(again)


@pytest.mark.postgres
def test_a_dry_run_on_the_server_reports_as_one_on_a_file(make_round: MakeRound, pg_url: str, mini_set: CriteriaSet,
                                                          communes: list[Commune], settings: Settings,
                                                          tmp_path: Path) -> None:
    """The same round and imports in a SQLite file and on the server: the two dry runs' reports are one."""
    books = {c.code: generate_one(mini_set, c, tmp_path / "blank", settings) for c in communes[:3]}
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    for name, code, seed in (("first", "03898", "A"), ("first", "03901", "B"), ("second", "03901", "B2"),
                             ("second", "03904", "C")):
        fill(books[code], tmp_path / name / f"{code}-{seed}.xlsx", mini_set, seed=seed)
    shutil.copy(tmp_path / "first" / "03898-A.xlsx", tmp_path / "second" / "03898-A.xlsx")
    reports = []
    for where, extra in (("tep", ()), ("may-chu", ("--db", pg_url))):
        folder = make_round(folder=tmp_path / where, extra=extra)
        assert run("import", str(tmp_path / "first"), "--out", "kq").exit_code == 0
        dry = run("import", str(tmp_path / "second"), "--out", "thu", "--dry-run")
        assert dry.exit_code == 0 and "2 bản sẽ là bản mới" in said(dry), dry.output
        reports.append(report(folder / "thu"))
    assert reports[0] == reports[1]


def test_restore_brings_the_round_back_and_can_itself_be_undone(inboxes: tuple[Path, Location],
                                                               engine: str) -> None:
    folder, db = inboxes
    assert run("import", "first", "--out", "kq-1").exit_code == 0
    after_first = tables(db)
    assert run("withdraw", "03898", "--reason", "Tiếp nhận nhầm").exit_code == 0
    assert run("import", "second", "--out", "kq-2").exit_code == 0
    latest = tables(db)
    listing = run("store", "restore")
    assert listing.exit_code == 0, listing.output
    assert [b.command for b in backups(db, round_id=ROUND, base=folder)] == ["import", "withdraw", "import"]
    assert "2." in said(listing) and "trước lệnh withdraw" in said(listing)
    done = run("store", "restore", "2")  # back to just before the withdrawal
    assert done.exit_code == 0 and "Đã khôi phục" in said(done), done.output
    assert tables(db) == after_first  # every row as it was, ids included
    assert backups(db, round_id=ROUND, base=folder)[0].command == "restore"
    undone = run("store", "restore", "1")  # the restore undone
    assert undone.exit_code == 0 and tables(db) == latest
    bad = run("store", "restore", "42")
    assert bad.exit_code == 2 and "Không có bản sao lưu" in said(bad)
    where = backup_dir(db, ROUND, folder)
    assert where == (folder / f"{ROUND}.sao-luu" if engine == "postgresql" else Path(f"{db}.sao-luu"))
    assert all(p.suffix == ".sqlite" for p in where.iterdir()), sorted(p.name for p in where.iterdir())


@pytest.mark.postgres
def test_restoring_a_round_on_the_server_leaves_the_other_rounds(make_round: MakeRound, pg_url: str,
                                                                 mini_set: CriteriaSet, communes: list[Commune],
                                                                 settings: Settings, tmp_path: Path) -> None:
    """Two districts' rounds on one server: one restores its round; the other's import, made after that
    backup, stays."""
    ours = make_round(folder=tmp_path / "huyen-a", body="UBND huyện A Thử", extra=("--db", pg_url))
    theirs = make_round(folder=tmp_path / "huyen-b", body="UBND huyện B Thử", extra=("--db", pg_url), chdir=False)
    inbox = tmp_path / "hop-thu"
    inbox.mkdir()
    fill(generate_one(mini_set, communes[0], tmp_path / "blank", settings), inbox / "03898.xlsx", mini_set, seed="A")
    assert run("import", str(inbox), "--out", "kq").exit_code == 0  # ours: a backup, then the import
    assert run("import", str(inbox), "--out", str(tmp_path / "kq-b"), "--workspace", str(theirs)).exit_code == 0
    result = run("store", "restore", "1")  # ours: back to before its import
    assert result.exit_code == 0 and "các đợt khác" in said(result), result.output
    mine, other = Store(pg_url, "2022-ubnd-huyen-a-thu"), Store(pg_url, "2022-ubnd-huyen-b-thu")
    try:
        assert mine.round() is not None and mine.commune_codes() == [] and mine.states() == {}
        assert other.commune_codes() == ["03898"] and other.latest("03898") is not None
    finally:
        mine.close()
        other.close()
    assert (ours / "2022-ubnd-huyen-a-thu.sao-luu").is_dir() and not list(theirs.glob("*.sao-luu/*restore*"))


def test_a_backup_from_another_store_is_refused_and_nothing_changes(db: Location, tmp_path: Path) -> None:
    """A backup file whose ids belong to other rounds here (taken from another store) is not put back."""
    from test_store import _record, _round

    other = tmp_path / "khac.sqlite"
    for loc, round_id in ((other, "2022-x"), (db, "2022-y"), (db, "2022-x")):
        store = Store(loc, round_id)
        try:
            store.create_round(_round(2022, round_id))
            _record(store, f"{round_id[-1]}{loc == db}".ljust(64, "0"))
        finally:
            store.close()
    copy = tmp_path / "ban-sao.sqlite"
    assert dump_round(other, copy, "2022-x") and not dump_round(other, tmp_path / "khong.sqlite", "2022-z")
    assert not (tmp_path / "khong.sqlite").exists()
    before = tables(db)
    with pytest.raises(CopyError, match="không được sao từ cơ sở dữ liệu này"):
        replace_round(copy, db, "2022-x")
    with pytest.raises(CopyError, match="không chứa đợt 2022-q"):
        replace_round(copy, db, "2022-q")
    assert tables(db) == before


def test_backups_of_a_round_rotate(inboxes: tuple[Path, Location]) -> None:
    folder, db = inboxes
    assert run("import", "first", "--out", "kq").exit_code == 0
    for i in range(7):
        assert run("appraise", "finalize", "--by", f"lần {i}").exit_code == 0
    assert len(backups(db, round_id=ROUND, base=folder)) == 5
