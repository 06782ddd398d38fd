"""The appraisal and evidence commands through click's test runner."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cchc_xl.cli import cli
from cchc_xl.samplegen.pdfs import DocSpec, scan_pdf, text_pdf
from cchc_xl.workbook.generate import generate_one
from import_corpus import fill

MINI = str(Path(__file__).parent / "data" / "mini-set.yaml")


@pytest.fixture
def imported(tmp_path: Path, mini_set, communes, settings, make_round):  # type: ignore[no-untyped-def]
    folder = make_round()
    inbox = folder / "inbox"
    inbox.mkdir()
    for c in communes[:2]:
        fill(generate_one(mini_set, c, folder / "blank", settings), inbox / f"{c.code}.xlsx", mini_set, seed=c.code)
    result = CliRunner().invoke(cli, ["import", str(inbox), "--out", "out"])
    assert result.exit_code == 0, result.output
    return folder


def _appraise(folder: Path, target: Path) -> Path:
    target.mkdir()
    for p in folder.iterdir():
        wb = openpyxl.load_workbook(p)
        for name, value in {"NGUOI_THAM_DINH": "Lò Văn Bình", "TD_2_2": 2}.items():
            ((sheet, ref),) = list(wb.defined_names[name].destinations)
            wb[sheet][ref.replace("$", "")] = value
        wb.save(target / p.name)
    return target


@pytest.mark.parametrize("args", [["appraise", "--help"], ["appraise", "prepare", "--help"],
                                  ["appraise", "import", "--help"], ["appraise", "finalize", "--help"],
                                  ["appraise", "reopen", "--help"], ["appraise", "history", "--help"],
                                  ["evidence", "check", "--help"], ["generate", "--help"], ["import", "--help"],
                                  ["demo", "--help"], ["init", "--help"], ["status", "--help"]])
def test_help(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0 and "Cách dùng" in result.output


def test_round_through_the_command_line(imported: Path) -> None:
    run = CliRunner().invoke
    db: list[str] = []
    result = run(cli, ["appraise", "prepare", "--out", "td", "--criteria", MINI, *db])
    assert result.exit_code == 0 and "Đã lập 2 bảng thẩm định" in result.output
    _appraise(imported / "td", imported / "td2")
    result = run(cli, ["appraise", "import", "td2", "--out", "kq", *db])
    assert result.exit_code == 0 and "2 được ghi nhận, 0 bị từ chối" in result.output, result.output
    assert (imported / "kq" / "appraisal-report.json").exists()
    result = run(cli, ["appraise", "finalize", "--by", "Trưởng phòng", *db])
    assert "Đã chốt kết quả" in result.output
    code = sorted(p.name for p in (imported / "td").iterdir())[0][:5]
    result = run(cli, ["appraise", "reopen", code, "--reason", "Xã khiếu nại", *db])
    assert result.exit_code == 0 and "Đã mở lại" in result.output
    result = run(cli, ["appraise", "reopen", code, "--reason", "lần hai", *db])
    assert result.exit_code == 2  # nothing to reopen: a usage mistake
    result = run(cli, ["appraise", "history", code, "2.2", *db])
    assert result.exit_code == 0
    out = result.output
    assert "thẩm định (Lò Văn Bình" in out and "Mở lại kết quả" in out and "Xã khiếu nại" in out


@pytest.mark.parametrize(("files", "exit_code"), [
    ({"kh.pdf": "scan"}, 0),
    ({"kh.pdf": "scan", "bao-cao.docx": b"PK\x03\x04 not really"}, 1),
    ({"hong.pdf": b"%PDF-1.4 truncated"}, 1),
])
def test_evidence_check(tmp_path: Path, files: dict[str, object], exit_code: int) -> None:
    folder = tmp_path / "tlkc"
    folder.mkdir()
    spec = DocSpec(commune="Gia Phù", kind="KẾ HOẠCH", number="12/KH-UBND", issued=dt.date(2022, 1, 15),
                   subject="CCHC", signer="Nguyễn Văn An")
    for name, content in files.items():
        data = scan_pdf(seed=1, spec=spec) if content == "scan" else text_pdf(spec=spec) if content == "text" else content
        (folder / name).write_bytes(data)  # type: ignore[arg-type]
    result = CliRunner().invoke(cli, ["evidence", "check", str(folder)])
    assert result.exit_code == exit_code, result.output
    assert all(name in result.output for name in files)


def test_the_evidence_commands_are_listed_though_imported_only_when_used() -> None:
    """The evidence group imports its commands on first use (their PDF modules slow every other command's
    start); its help still lists them, and the program's own help the group."""
    import subprocess
    import sys

    code = ("import sys; from cchc_xl import cli; "
            "print('cchc_xl.evidence.cli' in sys.modules, 'pikepdf' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
    listed = CliRunner().invoke(cli, ["evidence", "--help"])
    assert listed.exit_code == 0 and "check" in listed.output
    assert "evidence" in CliRunner().invoke(cli, ["--help"]).output
