"""Nothing destroyed by a slip, through the command line: the demo's folder, import --dry-run, withdraw, and
the store's automatic backups with `store restore`."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cchc_xl.backup import backup_dir, backups
from cchc_xl.cli import cli
from cchc_xl.demo import DEMO_MARKER, claim_folder
from cchc_xl.workbook.generate import generate_one
from import_corpus import fill


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def said(result: Result) -> str:
    """The output with the console's line wrapping undone."""
    return " ".join(result.output.split())


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` (the backups aside) with its content's hash."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".sao-luu" not in p.as_posix()}


def tables(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """The store's whole content, table by table."""
    con = sqlite3.connect(db)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY 1")]
        return {n: sorted(con.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names}
    finally:
        con.close()


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# -- demo ---------------------------------------------------------------------------------------
def test_demo_refuses_a_folder_it_did_not_make_and_changes_nothing(tmp_path: Path) -> None:
    work = tmp_path / "dot-2026"
    (work / "hop-thu").mkdir(parents=True)
    (work / "cchc-xl.toml").write_text('[district]\nkey = "khoá thật của huyện"\n', encoding="utf-8")
    (work / "cchc.sqlite").write_bytes(b"SQLite format 3\x00 the district's store")
    (work / "hop-thu" / "03898-tan-lang.xlsx").write_bytes(b"PK a return")
    before = snapshot(work)
    result = run("demo", str(work))
    assert result.exit_code == 2
    assert "không do lệnh demo tạo ra" in said(result) and "Không có gì bị thay đổi" in said(result)
    no_traceback(result)
    assert snapshot(work) == before
    assert not (work / DEMO_MARKER).exists()


def test_demo_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "bao-cao.xlsx"
    target.write_bytes(b"a leader's report")
    result = run("demo", str(target))
    assert result.exit_code == 2 and "không phải thư mục" in said(result)
    assert target.read_bytes() == b"a leader's report"


def test_demo_folder_new_empty_or_its_own(tmp_path: Path) -> None:
    """A new or empty folder is taken and marked; a marked one loses only what a demo writes."""
    claim_folder(tmp_path / "new")
    assert (tmp_path / "new" / DEMO_MARKER).is_file()
    (tmp_path / "empty").mkdir()
    claim_folder(tmp_path / "empty")
    own = tmp_path / "new"
    (own / "2-hop-thu").mkdir()
    (own / "2-hop-thu" / "x.xlsx").write_bytes(b"demo output")
    (own / "7-xep-hang.xlsx").write_bytes(b"demo output")
    (own / "ghi-chu-cua-toi.txt").write_text("a note the user put there", encoding="utf-8")
    claim_folder(own)
    assert sorted(p.name for p in own.iterdir()) == sorted([DEMO_MARKER, "ghi-chu-cua-toi.txt"])


# -- a round with imports -------------------------------------------------------------------------
@pytest.fixture
def inboxes(make_round, mini_set, communes, settings):  # type: ignore[no-untyped-def]
    """A round with two inboxes: `good` (two filled returns) and `blank` (the same communes' blank
    workbooks, as a district might import by mistake)."""
    folder = make_round()
    blank, good = folder / "blank", folder / "good"
    good.mkdir()
    for c in communes[:2]:
        fill(generate_one(mini_set, c, blank, settings), good / f"{c.code}.xlsx", mini_set, seed=c.code)
    return folder, communes[0].code


def test_dry_run_checks_and_reports_but_stores_nothing(inboxes) -> None:  # type: ignore[no-untyped-def]
    folder, _code = inboxes
    db = folder / "cchc.sqlite"
    before, inputs = tables(db), snapshot(folder / "good")
    result = run("import", "good", "--out", "thu", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "CHẠY THỬ" in said(result) and "2 sẽ được tiếp nhận" in said(result)
    assert (folder / "thu" / "import-report.json").is_file()
    assert tables(db) == before and snapshot(folder / "good") == inputs
    assert backups(db) == []  # nothing written, nothing to back up
    result = run("import", "good", "--out", "that")
    assert result.exit_code == 0 and "2 bản mới" in said(result)
    # after a real import, a dry run of the same inbox sees them as already received
    result = run("import", "good", "--out", "thu", "--dry-run")
    assert "0 bản sẽ là bản mới" in said(result)


def test_a_blank_import_over_accepted_returns_is_flagged_and_does_not_count(inboxes) -> None:  # type: ignore[no-untyped-def]
    folder, _code = inboxes
    assert run("import", "good", "--out", "kq").exit_code == 0
    assert "Được tiếp nhận: 2/" in said(run("status"))
    result = run("import", "blank", "--out", "kq2")  # the blank workbooks, imported by mistake
    assert result.exit_code == 1  # rejected, as blank returns are
    report = json.loads((folder / "kq2" / "import-report.json").read_text(encoding="utf-8"))
    # flagged as blank over an accepted return (or, saved before it, as older than the counting version)
    assert all({f["rule"] for f in s["findings"]} & {"submission.blank_over_accepted", "submission.older_than_counting"}
               for s in report["submissions"])
    assert "Được tiếp nhận: 2/" in said(run("status"))  # the accepted returns still count


def test_withdrawn_then_the_earlier_return_counts_again(inboxes, mini_set, communes, settings) -> None:  # type: ignore[no-untyped-def]
    folder, code = inboxes
    assert run("import", "good", "--out", "kq").exit_code == 0
    second = folder / "good2"
    second.mkdir()
    fill(folder / "blank" / next(p.name for p in (folder / "blank").iterdir() if p.name.startswith(code)),
         second / f"{code}.xlsx", mini_set, seed="another")
    assert "1 bản mới" in said(run("import", "good2", "--out", "kq2"))
    result = run("withdraw", code, "--reason", "Xã gửi nhầm bản nháp", "--by", "Phòng Nội vụ")
    assert result.exit_code == 0, result.output
    assert "Đã rút bản tự đánh giá lần 2" in said(result) and "Bản đang được tính: lần 1" in said(result)
    history = run("appraise", "history", code, "1.1")
    assert "Rút bản tự đánh giá lần 2" in said(history) and "Xã gửi nhầm bản nháp" in said(history)
    # withdrawing again what is gone, or a version that does not exist, is a usage mistake
    again = run("withdraw", code, "--version", "2", "--reason", "lần nữa")
    assert again.exit_code == 2 and "lần 2" in said(again)
    assert run("withdraw", code, "--version", "7", "--reason", "x").exit_code == 2
    unknown = run("withdraw", "99999", "--reason", "x")
    assert unknown.exit_code == 2 and "99999" in said(unknown)
    empty = run("withdraw", code, "--reason", "  ")
    assert empty.exit_code == 2 and "Thiếu lý do" in said(empty)


def test_withdraw_keeps_the_submission_and_its_audit(inboxes) -> None:  # type: ignore[no-untyped-def]
    folder, code = inboxes
    run("import", "good", "--out", "kq")
    db = folder / "cchc.sqlite"
    submissions = len(tables(db)["submissions"])
    result = run("withdraw", code, "--reason", "Xã xin nộp lại")
    assert result.exit_code == 0 and "coi như chưa nộp" in said(result)
    t = tables(db)
    assert len(t["submissions"]) == submissions and len(t["withdrawals"]) == 1
    assert any(row[4] == "withdrawn" for row in t["events"])
    status = said(run("status"))
    assert "Đã nhận: 1/" in status and "Chưa nộp:" in status


def test_restore_undoes_a_wrong_import(inboxes) -> None:  # type: ignore[no-untyped-def]
    folder, _code = inboxes
    db = folder / "cchc.sqlite"
    run("import", "good", "--out", "kq")
    good = tables(db)
    run("import", "blank", "--out", "kq2")
    assert tables(db) != good
    listing = run("store", "restore")
    assert listing.exit_code == 0 and "1." in said(listing) and "trước lệnh import" in said(listing)
    result = run("store", "restore", "1")
    assert result.exit_code == 0 and "Đã khôi phục" in said(result), result.output
    assert tables(db) == good
    # the restore is itself undoable: the state it replaced was backed up
    assert backups(db)[0].command == "restore"
    bad = run("store", "restore", "42")
    assert bad.exit_code == 2 and "Không có bản sao lưu" in said(bad)


def test_backups_rotate(inboxes) -> None:  # type: ignore[no-untyped-def]
    folder, _code = inboxes
    db = folder / "cchc.sqlite"
    run("import", "good", "--out", "kq")
    for i in range(7):
        run("appraise", "finalize", "--by", f"lần {i}")
    assert len(backups(db)) == 5
    assert all(p.suffix == ".sqlite" for p in backup_dir(db).iterdir())


@pytest.mark.parametrize(("state", "said_"), [("appraised", "đã được thẩm định"), ("final", "mở lại trước")])
def test_withdraw_refused_once_appraised_or_finalized(inboxes, state: str, said_: str) -> None:  # type: ignore[no-untyped-def]
    folder, code = inboxes
    run("import", "good", "--out", "kq")
    db = folder / "cchc.sqlite"
    con = sqlite3.connect(db)
    con.execute("UPDATE communes SET state=? WHERE code=?", (state, code))  # as the council's steps leave it
    con.commit()
    con.close()
    before = tables(db)
    result = run("withdraw", code, "--reason", "muộn")
    assert result.exit_code == 2 and said_ in said(result), result.output
    assert tables(db) == before


def test_every_folder_the_demo_writes_is_one_a_rerun_clears() -> None:
    """DEMO_ENTRIES lists what a re-run into the demo's own folder removes: every `out / "…"` the demo writes."""
    import re

    import cchc_xl.demo as demo

    written = set(re.findall(r'out / "([^"]+)"', Path(demo.__file__).read_text(encoding="utf-8")))
    assert written and written <= set(demo.DEMO_ENTRIES)
