"""The console: whole file names when piped, --quiet/--verbose, --json for other programs (results on stdout,
messages on stderr), the demo-key notice on every command that signs or verifies, no re-reading after 100 %."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cchc_xl.cli import cli
from cchc_xl.workbook.generate import generate_one
from import_corpus import fill

LONG = "03898-xa-tan-lang-ban-tu-danh-gia-nop-lan-hai-sau-khi-sua-theo-phan-hoi-cua-phong-noi-vu"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def inbox(make_round, mini_set, communes, settings) -> Path:  # type: ignore[no-untyped-def]
    folder = make_round()
    box = folder / "hop-thu"
    box.mkdir()
    over = {f"TDG_{mini_set.commune_leaves()[0].name_key}": 99}
    fill(generate_one(mini_set, communes[0], folder / "bang", settings), box / f"{LONG}.xlsx", mini_set, seed="a")
    fill(generate_one(mini_set, communes[1], folder / "bang", settings), box / f"{communes[1].code}.xlsx", mini_set,
         seed="b", overrides=over)
    return folder


def test_piped_summary_shows_whole_file_names_and_lines(inbox: Path) -> None:
    result = run("import", "hop-thu", "--out", "kq")
    assert result.exit_code == 1  # the second return is rejected
    assert f"hop-thu/{LONG}.xlsx" in result.output  # one piece: not cut, not folded at 80 columns
    assert "…" not in result.output
    done = next(line for line in result.output.splitlines() if line.startswith("Đã tiếp nhận"))
    assert "bản mới được lưu vào" in done  # the summary is one line, not wrapped


def test_quiet_and_verbose(inbox: Path) -> None:
    quiet = run("import", "hop-thu", "--out", "kq", "--quiet")
    assert "┏" not in quiet.output and "Đã tiếp nhận 2 tệp" in quiet.output and "Báo cáo:" not in quiet.output
    verbose = run("import", "hop-thu", "--out", "kq2", "--verbose")
    assert "score.above_max" in verbose.output and "[lỗi]" in verbose.output


def test_json_results_on_stdout_messages_on_stderr(inbox: Path) -> None:
    imported = run("import", "hop-thu", "--out", "kq", "--json")
    report = json.loads(imported.stdout)
    assert len(report["submissions"]) == 2 and "Đã tiếp nhận" in imported.stderr
    status = json.loads(run("status", "--json").stdout)
    assert len(status["received"]) == 2 and len(status["accepted"]) == 1 and len(status["missing"]) == 25
    checked = json.loads(run("criteria", "check", "--json").stdout)
    assert checked["ok"] is True and checked["problems"] == []
    bad = inbox / "hong.yaml"
    bad.write_text("id: x\nareas: [\n", encoding="utf-8")
    failed = run("criteria", "check", str(bad), "--json")
    assert failed.exit_code == 1 and json.loads(failed.stdout)["ok"] is False
    folder = inbox / "tlkc"
    folder.mkdir()
    (folder / "hong.pdf").write_bytes(b"%PDF-1.4 truncated")
    evidence = run("evidence", "check", str(folder), "--json")
    assert evidence.exit_code == 1 and json.loads(evidence.stdout)["files"][0]["path"] == "hong.pdf"


def test_demo_key_notice_on_every_command_that_signs_or_verifies(inbox: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  settings) -> None:  # type: ignore[no-untyped-def]
    config = inbox / "cchc-xl.toml"
    config.write_text("\n".join(line for line in config.read_text(encoding="utf-8").splitlines()
                                if not line.startswith("key")) + "\n", encoding="utf-8")
    monkeypatch.delenv("CCHC_XL_KEY", raising=False)
    for args in (["generate", "--out", "b2"], ["import", "hop-thu", "--out", "kq"], ["appraise", "prepare"],
                 ["appraise", "import", "bang", "--out", "kqtd"]):
        result = run(*args)
        assert "khoá ký thử nghiệm" in result.stderr, (args, result.output)


def test_no_file_is_read_again_after_the_batch_without_a_batch_finding(inbox: Path, mini_set, settings,
                                                                         communes) -> None:  # type: ignore[no-untyped-def]
    from cchc_xl.importing.pipeline import import_inbox
    from cchc_xl.store import Store

    phases: list[str] = []
    store = Store(inbox / "x.sqlite")
    try:
        run_, _ = import_inbox(inbox / "hop-thu", mini_set, settings, communes, inbox / "kq", store,
                               phase=phases.append)
    finally:
        store.close()
    assert not any(r.revised for r in run_.results)
    assert phases == ["crosscheck", "write"]  # no "revise": nothing to write again


def test_criteria_show_has_bonus_and_penalty_and_wraps_under_its_indent(bundled_set, capsys) -> None:  # type: ignore[no-untyped-def]
    from cchc_xl.console import criteria_show_cmd

    criteria_show_cmd(bundled_set, width=60)
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("Điểm thưởng") for line in lines) and any(line.startswith("Điểm trừ") for line in lines)
    assert all(len(line) <= 60 for line in lines)
    indents = {len(line) - len(line.lstrip(" ")) for line in lines}
    assert {4, 8} <= indents and indents & {10, 14}  # wrapped items continue under their own indentation
    piped = CliRunner().invoke(cli, ["criteria", "show", str(Path(__file__).parents[1] / "criteria" / "phu-yen-2022.yaml")])
    assert piped.exit_code == 0 and "Điểm trừ" in piped.output


def test_ctrl_c_during_import_says_how_many_files_were_kept(inbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cchc_xl.importing.pipeline as pipeline
    from cchc_xl.importing.pipeline import import_inbox

    def interrupted(*args: object, progress, **kwargs: object):  # type: ignore[no-untyped-def]
        def stop_after_first(result: object) -> None:
            progress(result)
            raise KeyboardInterrupt

        return import_inbox(*args, progress=stop_after_first, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "import_inbox", interrupted)  # (the console imports it when it imports)
    result = run("import", "hop-thu", "--out", "kq")
    assert result.exit_code == 130
    text = " ".join(result.output.split())
    assert "dừng sau 1/2 tệp" in text and "Đã dừng theo yêu cầu (Ctrl-C)" in text and "Traceback" not in text
    assert "Đã nhận: 1/27" in " ".join(run("status").output.split())  # the file read before Ctrl-C was kept
