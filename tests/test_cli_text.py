"""click's own text in Vietnamese: no English in any --help or usage error, and how a run ends (Ctrl-C)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cchc_xl.cli import cli

# click's own English words and phrases (help headings, value names, errors)
ENGLISH = re.compile(r"Usage|Options|Commands|Show this|and exit|default:|\brequired\b|Error|Missing|No such|"
                     r"\bTry\b|for help|Invalid value|Aborted|Did you mean|unexpected extra|does not exist|"
                     r"is a (file|directory)|\b(TEXT|INTEGER|PATH|DIRECTORY|FLOAT|BOOLEAN)\b|\[OPTIONS\]|"
                     r"COMMAND \[ARGS\]|requires an argument|is not one of|not in the range|not a valid")


def all_commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out += all_commands(command, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p) or "cchc-xl")
def test_help_has_no_english_click_text(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Cách dùng: cchc-xl" in result.output and "Tuỳ chọn:" in result.output
    assert not ENGLISH.search(result.output), ENGLISH.search(result.output)
    assert "Ví dụ: cchc-xl" in result.output or "Ví dụ:\n  cchc-xl" in result.output, path
    assert "Hướng dẫn: docs/huong-dan-su-dung.md" in result.output, path


@pytest.mark.parametrize(("args", "said"), [
    (["nosuch"], "Không có lệnh 'nosuch'"),
    (["importt"], "Không có lệnh"),
    (["withdraw"], "Thiếu tham số"),
    (["withdraw", "03898"], "Thiếu tuỳ chọn '--reason'"),
    (["withdraw", "03898", "--reason"], "cần một giá trị"),
    (["withdraw", "03898", "--reason", "x", "--version", "không"], "không phải là số hợp lệ"),
    (["withdraw", "03898", "--reason", "x", "--version", "0"], "nằm ngoài khoảng"),
    (["init", "--year", "2026"], "Thiếu tuỳ chọn"),
    (["import", "khong-co-thu-muc-nay"], "Không tìm thấy"),
    (["import", "--khong-co"], "Không có tuỳ chọn"),
    (["status", "thua"], "Thừa tham số"),
    (["criteria"], "Cách dùng"),
], ids=lambda a: " ".join(a) if isinstance(a, list) else "")
def test_usage_errors_in_vietnamese(args: list[str], said: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 2) if args == ["criteria"] else result.exit_code == 2
    assert said in result.output, result.output
    assert not ENGLISH.search(result.output), result.output
    assert "Traceback" not in result.output


def test_ctrl_c_says_what_was_kept_and_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("cchc_xl.cli._workspace", interrupted)
    result = CliRunner().invoke(cli, ["status"])
    assert result.exit_code == 130
    assert "Đã dừng theo yêu cầu (Ctrl-C)" in result.output and "vẫn được giữ" in result.output
    assert "Aborted" not in result.output


def test_unexpected_error_is_one_vietnamese_line_with_a_log(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("an internal bug")

    monkeypatch.delenv("CCHC_XL_DEBUG", raising=False)
    monkeypatch.setattr("cchc_xl.cli._workspace", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the log in the test's folder, not the machine's temp
    result = CliRunner().invoke(cli, ["status"])
    assert result.exit_code == 1
    assert "Lỗi không mong muốn (RuntimeError)" in result.output and "Traceback" not in result.output
    log = re.search(r"ghi vào (\S+):", result.output)
    assert log is not None
    assert Path(log.group(1)).parent == tmp_path
    assert "an internal bug" in Path(log.group(1)).read_text(encoding="utf-8")
    second = CliRunner().invoke(cli, ["status"])  # a second failure in the same second keeps the first log
    assert len(list(tmp_path.glob("cchc-xl-loi-*.txt"))) == 2, second.output
