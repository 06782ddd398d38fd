"""Every ordinary mistake through the command line: one Vietnamese message, the exit code of the convention
(2 a usage or input mistake), never a traceback, and the store and every input exactly as they were."""

from __future__ import annotations

import errno
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from cchc_xl.cli import cli
from cchc_xl.workbook.generate import generate_one
from import_corpus import fill
from test_cli_safety import said, snapshot, tables

MINI = Path(__file__).parent / "data" / "mini-set.yaml"


@pytest.fixture
def round_folder(make_round, mini_set, communes, settings) -> Path:  # type: ignore[no-untyped-def]
    """A round with one accepted return imported; `hop-thu` holds it, `bang` the blank workbooks."""
    folder = make_round()
    inbox = folder / "hop-thu"
    inbox.mkdir()
    fill(generate_one(mini_set, communes[0], folder / "bang", settings), inbox / f"{communes[0].code}.xlsx",
         mini_set, seed="a")
    result = CliRunner().invoke(cli, ["import", "hop-thu", "--out", "kq"])
    assert result.exit_code == 0, result.output
    return folder


def _toml(text: bytes) -> Callable[[Path], list[str]]:
    def setup(folder: Path) -> list[str]:
        (folder / "cchc-xl.toml").write_bytes(text)
        return ["status"]
    return setup


def _with(name: str, data: bytes, args: list[str]) -> Callable[[Path], list[str]]:
    def setup(folder: Path) -> list[str]:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return args
    return setup


def _args(*args: str) -> Callable[[Path], list[str]]:
    return lambda _folder: list(args)


def _nested(folder: Path) -> list[str]:
    (folder / "hop-thu-xa" / "03898").mkdir(parents=True)
    (folder / "hop-thu-xa" / "03898" / "03898.xlsx").write_bytes((folder / "hop-thu" / "03898.xlsx").read_bytes())
    return ["import", "hop-thu-xa", "--out", "kq2"]


def _empty_inbox(folder: Path) -> list[str]:
    (folder / "hop-thu-trong").mkdir()
    return ["import", "hop-thu-trong", "--out", "kq2"]


def _communes_dir(folder: Path) -> list[str]:
    (folder / "danh-sach").mkdir()
    return ["generate", "--communes", "danh-sach", "--out", "bang2"]


MISTAKES: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    # wrong or missing input files
    "communes missing": (_args("generate", "--communes", "khong-co.csv", "--out", "bang2"),
                         "Không tìm thấy tệp danh sách đơn vị"),
    "communes is a folder": (_communes_dir, "danh sách đơn vị"),
    "empty inbox": (_empty_inbox, "không có bảng tự đánh giá nào"),
    "inbox of per-commune folders": (_nested, "thư mục con"),
    "import of one workbook": (_args("import", "hop-thu/03898.xlsx"), "lệnh import đọc cả một thư mục"),
    "evidence check on a workbook": (_args("evidence", "check", "hop-thu/03898.xlsx"), "cchc-xl import"),
    "evidence check on nothing": (_args("evidence", "check", "khong-co.zip"), "Không tìm thấy"),
    "criteria check on a workbook": (_with("tieu-chi.xlsx", b"PK\x03\x04", ["criteria", "check", "tieu-chi.xlsx"]),
                                     "cchc-xl criteria import"),
    "criteria show on a zip": (_with("tlkc.zip", b"PK\x03\x04", ["criteria", "show", "tlkc.zip"]),
                               "cchc-xl evidence check"),
    "report to a pdf": (_args("report", "--out", "xep-hang.pdf"), "đuôi .xlsx"),
    # the workspace's cchc-xl.toml
    "toml missing quote": (_toml(b'[round]\nid = "2022-ubnd-huyen-thu-nghiem\nstore = "cchc.sqlite"\n'),
                           "sai cú pháp TOML ở dòng 2"),
    "toml not utf-8": (_toml('[round]\nid = "Phù Yên"\n'.encode("cp1258")), "bảng mã UTF-8"),
    # the store
    "db not a database": (_with("hong.sqlite", b"not a database" * 200, ["status", "--db", "hong.sqlite"]),
                          "không phải cơ sở dữ liệu"),
    "db mistyped on history": (_args("appraise", "history", "03898", "1.1", "--db", "cchc.sqllite"),
                               "Chưa có cơ sở dữ liệu"),
    "db mistyped on finalize": (_args("appraise", "finalize", "--db", "du-lieu/cchc.sqlite"), "Chưa có cơ sở dữ liệu"),
    "db mistyped on report": (_args("report", "--out", "x.xlsx", "--db", "cchc2.sqlite"), "Chưa có cơ sở dữ liệu"),
    # codes
    "code lost its zero": (_args("withdraw", "3898", "--reason", "nhầm"), "có phải 03898"),
    "history unknown commune": (_args("appraise", "history", "99999", "1.1"), "Mã đơn vị 99999 không có"),
    "history unknown criterion": (_args("appraise", "history", "03898", "9.9"), "không có tiêu chí 9.9"),
    "reopen lost its zero": (_args("appraise", "reopen", "3898", "--reason", "x"), "có phải 03898"),
    # demo
    "demo into a working folder": (_args("demo", "."), "không do lệnh demo tạo ra"),
}


@pytest.mark.parametrize("case", list(MISTAKES))
def test_mistake_is_one_vietnamese_message(case: str, round_folder: Path) -> None:
    setup, message = MISTAKES[case]
    args = setup(round_folder)
    db = round_folder / "cchc.sqlite"
    store, files = tables(db), snapshot(round_folder)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in said(result), result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert tables(db) == store
    assert snapshot(round_folder) == files  # inputs untouched, nothing written, no store created
    assert not any(p.suffix == ".sqlite" and p.name != "cchc.sqlite" and p.name != "hong.sqlite"
                   for p in round_folder.rglob("*") if ".sao-luu" not in p.as_posix())


@pytest.mark.parametrize("data", [b"\xef\xbb\xbf", "".encode("utf-16")], ids=["utf-8 with BOM", "utf-16"])
def test_toml_as_windows_editors_save_it(round_folder: Path, data: bytes) -> None:
    text = (round_folder / "cchc-xl.toml").read_text(encoding="utf-8")
    encoded = data + text.encode("utf-8") if data.startswith(b"\xef") else text.encode("utf-16")
    (round_folder / "cchc-xl.toml").write_bytes(encoded)
    result = CliRunner().invoke(cli, ["status"])
    assert result.exit_code == 0 and "Đã nhận: 1/27" in said(result), result.output


def test_a_feedback_file_open_in_excel_is_skipped_named_and_the_batch_goes_on(
        round_folder: Path, monkeypatch: pytest.MonkeyPatch, mini_set, communes, settings) -> None:  # type: ignore[no-untyped-def]
    """Windows cannot replace a file Excel holds open: that file is named (its return not stored, so a re-run
    takes it), every other return gets its outputs and is stored, and the exit code says something was not done."""
    import os

    inbox = round_folder / "hop-thu-2"
    inbox.mkdir()
    for i, c in enumerate(communes[1:4]):
        overrides = {f"TDG_{mini_set.commune_leaves()[0].name_key}": 99} if i == 0 else None
        fill(generate_one(mini_set, c, round_folder / "bang", settings), inbox / f"{c.code}.xlsx", mini_set,
             seed=c.code, overrides=overrides)
    locked = f"{communes[1].code}"
    real_replace = os.replace

    def replace(src: object, dst: object) -> None:
        target = Path(str(dst))
        if target.parent.name == "phan-hoi" and target.name.startswith(locked):  # its feedback workbook
            raise PermissionError(errno.EACCES, "The process cannot access the file", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr("cchc_xl.safeio.os.replace", replace)
    result = CliRunner().invoke(cli, ["import", "hop-thu-2", "--out", "kq2", "--jobs", "1"])
    assert result.exit_code == 1, result.output
    assert f"hop-thu-2/{locked}.xlsx: Không ghi được kết quả của tệp này" in said(result), result.output
    assert (round_folder / "kq2" / "kiem-tra-tiep-nhan.xlsx").is_file()
    report = json.loads((round_folder / "kq2" / "import-report.json").read_text(encoding="utf-8"))
    assert len(report["submissions"]) == 3
    assert "Đã nhận: 3/27" in said(CliRunner().invoke(cli, ["status"]))  # the other two returns, and the first


def test_the_ranking_open_in_excel_is_one_message(round_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (round_folder / "xep-hang.xlsx").write_bytes(b"the leaders' copy, open in Excel")

    def replace(src: object, dst: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr("cchc_xl.safeio.os.replace", replace)
    result = CliRunner().invoke(cli, ["report", "--out", "xep-hang.xlsx"])
    assert result.exit_code == 2 and "Không ghi được xep-hang.xlsx" in said(result), result.output
    assert "Traceback" not in result.output
    assert (round_folder / "xep-hang.xlsx").read_bytes() == b"the leaders' copy, open in Excel"
    assert not [p for p in round_folder.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(("fault", "said_"), [
    (sqlite3.OperationalError("database is locked"), "đang được một lệnh hoặc chương trình khác dùng"),
    (sqlite3.OperationalError("attempt to write a readonly database"), "chỉ cho đọc"),
    (sqlite3.OperationalError("database or disk is full"), "ổ đĩa đã đầy"),
    (OSError(errno.ENOSPC, "No space left on device", "kq3/import-report.json"), "ổ đĩa đã đầy"),
], ids=["locked", "read-only", "disk full (store)", "disk full (output)"])
def test_store_and_disk_faults_are_one_message_and_the_store_stays_consistent(
        round_folder: Path, monkeypatch: pytest.MonkeyPatch, fault: Exception, said_: str,
        mini_set, communes, settings) -> None:  # type: ignore[no-untyped-def]
    inbox = round_folder / "hop-thu-3"
    inbox.mkdir()
    fill(generate_one(mini_set, communes[5], round_folder / "bang", settings), inbox / f"{communes[5].code}.xlsx",
         mini_set, seed="f")
    db = round_folder / "cchc.sqlite"
    before = tables(db)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise fault

    target = "cchc_xl.store.Store.record_submission" if isinstance(fault, sqlite3.Error) else \
        "cchc_xl.importing.outputs.write_report"
    monkeypatch.setattr(target, broken)
    result = CliRunner().invoke(cli, ["import", "hop-thu-3", "--out", "kq3"])
    assert result.exit_code in (1, 2), result.output
    assert said_ in said(result) and "Traceback" not in result.output, result.output
    if isinstance(fault, sqlite3.Error):
        assert tables(db) == before


def test_the_guide_lists_what_to_do_for_each_message() -> None:
    """docs/huong-dan-su-dung.md "Khi có lỗi": the messages above and the exit codes, each with what to do."""
    guide = (Path(__file__).parents[1] / "docs" / "huong-dan-su-dung.md").read_text(encoding="utf-8")
    section = " ".join(guide[guide.index("## 13. Khi có lỗi"):].split())
    for phrase in ("sai cú pháp TOML ở dòng", "không ở bảng mã UTF-8", "không phải cơ sở dữ liệu",
                   "thư mục con", "dùng: cchc-xl import", "cchc-xl criteria import", "cchc-xl evidence check",
                   "đuôi .xlsx", "có phải 03898", "không do lệnh demo tạo ra", "cchc-xl[demo]", "không ghi được",
                   "ổ đĩa đã đầy", "chỉ cho đọc", "đang được một lệnh hoặc chương trình khác dùng",
                   "Không sao lưu được", "Ctrl-C", "Lỗi không mong muốn", "Thiếu tuỳ chọn", "Không có lệnh",
                   "--dry-run", "cchc-xl withdraw", "cchc-xl store restore", "| 130 |", "| 2 |", "| 1 |", "| 0 |"):
        assert phrase in section, phrase


def test_a_locked_store_is_waited_for_visibly_then_given_up_cleanly(round_folder: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from cchc_xl.store import Store

    monkeypatch.setattr(Store, "LOCK_QUIET_S", 0.2)
    monkeypatch.setattr(Store, "LOCK_WAIT_S", 0.3)
    db = round_folder / "cchc.sqlite"
    before = tables(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another import, mid-write
    try:
        result = CliRunner().invoke(cli, ["withdraw", "03898", "--reason", "thử khi bị khoá"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 2, result.output
    assert "đang chờ" in said(result) and "đang được một lệnh hoặc chương trình khác dùng" in said(result)
    assert "Traceback" not in result.output
    assert tables(db) == before


def test_a_unit_list_whose_code_lost_its_leading_zero_is_refused(tmp_path: Path) -> None:
    """What Excel does to 03898 when it saves the list: 3898. init names the code meant and records nothing."""
    units = tmp_path / "don-vi.csv"
    units.write_text("mã,tên\n03895,Xã Mường Thải\n3898,Xã Tân Lang\n03901,Xã Mường Cơi\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "dot"), "--criteria", str(MINI), "--communes",
                                      str(units), "--year", "2026", "--body", "UBND huyện Thử"])
    assert result.exit_code == 2 and "dòng 3" in said(result) and "có phải 03898" in said(result), result.output
    assert not (tmp_path / "dot" / "cchc.sqlite").exists()


def test_import_into_a_locked_store_stops_before_reading_any_file(round_folder: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from cchc_xl.store import Store

    monkeypatch.setattr(Store, "LOCK_QUIET_S", 0.2)
    monkeypatch.setattr(Store, "LOCK_WAIT_S", 0.3)
    db = round_folder / "cchc.sqlite"
    before = tables(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = CliRunner().invoke(cli, ["import", "hop-thu", "--out", "kq-khoa"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 2 and "đang chờ" in said(result), result.output
    assert "đang được một lệnh hoặc chương trình khác dùng" in said(result) and "Traceback" not in result.output
    assert tables(db) == before and not (round_folder / "kq-khoa" / "import-report.json").exists()
