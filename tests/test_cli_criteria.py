"""`cchc-xl criteria check/show/export/import` through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cchc_xl.cli import cli
from cchc_xl.criteria import load_set
from cchc_xl.criteria.load import dump_yaml
from cchc_xl.messages import render
from criteria_tables import every_kind_set, raw_set, yaml_text

BROKEN = """
| level | code | title    | max | rule                   |
| area  | I    | Chỉ đạo  | 3   |                        |
| crit  | 1.1  | Kế hoạch | 1   |                        |
| crit  | 1.1  | Báo cáo  | 1   | levels 0.5:Đủ; 0:Không |
| tier  |      | Đạt      | 0   |                        |
"""
BROKEN_PROBLEMS = ["set.rule_missing", "set.code_duplicate", "rule.level_max_missing", "set.children_sum",
                   "set.total_sum"]


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "tot.yaml"
    path.write_text(dump_yaml(every_kind_set()), encoding="utf-8")
    return path


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "hong.yaml"
    path.write_text(yaml_text(raw_set(BROKEN, total=4)), encoding="utf-8")
    return path


# -- help ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [[], ["criteria"], ["criteria", "check"], ["criteria", "show"],
                                  ["criteria", "export"], ["criteria", "import"]])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(args: list[str], flag: str) -> None:
    result = run(*args, flag)
    assert result.exit_code == 0, result.output
    assert "Cách dùng:" in result.output
    assert result.output.count("\n") > 3


def test_criteria_group_lists_its_commands() -> None:
    result = run("criteria", "--help")
    for command in ("check", "show", "export", "import"):
        assert command in result.output


# -- check -----------------------------------------------------------------------------------------------
def test_check_a_good_file(good: Path) -> None:
    result = run("criteria", "check", good)
    assert result.exit_code == 0, result.output
    assert "“test-set”" in result.stdout and "hợp lệ" in result.stdout
    assert "2 lĩnh vực, 8 mục chấm điểm, tổng 15 điểm" in result.stdout


def test_check_a_bad_file_lists_every_problem(bad: Path) -> None:
    from cchc_xl.criteria import CriteriaError

    with pytest.raises(CriteriaError) as info:
        load_set(bad)
    assert sorted(p.rule for p in info.value.problems) == sorted(BROKEN_PROBLEMS)
    result = run("criteria", "check", bad)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert f"Bộ tiêu chí có {len(BROKEN_PROBLEMS)} lỗi:" in result.stderr
    for problem in info.value.problems:
        assert f"  - {render(problem)}" in result.stderr
    assert "Mục “1.1”" in result.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "Không tìm thấy tệp tiêu chí"), ("id: [", "YAML sai cú pháp"), ("- a\n- b\n", "YAML sai cú pháp"),
     ("id: x\n", "thiếu trường bắt buộc")],
)
def test_check_unusable_files(tmp_path: Path, content: str | None, expected: str) -> None:
    path = tmp_path / "x.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run("criteria", "check", path)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert expected in result.stderr


def test_check_a_directory_is_a_clean_error(tmp_path: Path) -> None:
    result = run("criteria", "check", tmp_path)
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)
    assert "đây là một thư mục" in result.stderr and "Traceback" not in result.output


# -- show ------------------------------------------------------------------------------------------------
def test_show_prints_areas_criteria_maxima_and_methods(good: Path) -> None:
    result = run("criteria", "show", good)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Bộ tiêu chí thử — phiên bản 1, tổng 15 điểm"
    assert "I. Công tác chỉ đạo, điều hành CCHC [6]" in lines
    assert "II. Cải cách thủ tục hành chính [9]" in lines
    assert "    1.1 Ban hành kế hoạch CCHC đúng hạn [1] — Đạt: 1; không đạt: 0" in lines
    assert "    1.3 Báo cáo, tuyên truyền CCHC [3]" in lines
    assert "        1.3.1 Báo cáo định kỳ [1,5] — Từ 0 đến 1,5, bước 0,5" in lines
    assert any(line.startswith("    2.4 Sự hài lòng của người dân [2] — Do cơ quan đánh giá chấm") for line in lines)
    assert lines[-1] == "Xếp loại: Tốt ≥ 12; Khá ≥ 7,5; Trung bình ≥ 0"


def test_show_a_bad_file_fails(bad: Path) -> None:
    result = run("criteria", "show", bad)
    assert result.exit_code == 1
    assert "Bộ tiêu chí có" in result.stderr


# -- export / import -------------------------------------------------------------------------------------
@pytest.mark.parametrize("explicit_out", [True, False])
def test_export_import_round_trip(tmp_path: Path, good: Path, explicit_out: bool) -> None:
    xlsx = tmp_path / "ra" / "tieu-chi.xlsx"
    result = run("criteria", "export", xlsx, "--criteria", good)
    assert result.exit_code == 0, result.output
    assert xlsx.exists() and "Đã xuất bộ tiêu chí" in result.stdout
    back = tmp_path / "vao.yaml" if explicit_out else xlsx.with_suffix(".yaml")
    args = ["criteria", "import", xlsx] + (["--out", back] if explicit_out else [])
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert str(back) in result.stdout
    source, again = load_set(good), load_set(back)
    assert again.model_dump(exclude={"source_sha256"}) == source.model_dump(exclude={"source_sha256"})
    assert run("criteria", "check", back).exit_code == 0


def test_export_of_a_bad_set_fails_and_writes_nothing(tmp_path: Path, bad: Path) -> None:
    xlsx = tmp_path / "x.xlsx"
    result = run("criteria", "export", xlsx, "--criteria", bad)
    assert result.exit_code == 1
    assert not xlsx.exists()


def test_import_of_an_edited_bad_workbook_lists_rows(tmp_path: Path, good: Path) -> None:
    import openpyxl

    xlsx = tmp_path / "tieu-chi.xlsx"
    assert run("criteria", "export", xlsx, "--criteria", good).exit_code == 0
    wb = openpyxl.load_workbook(xlsx)
    wb["Tiêu chí"]["D3"] = "hai"  # row 3 is criterion 1.1
    wb["Tiêu chí"]["G4"] = "Không biết"  # row 4 is criterion 1.2
    wb.save(xlsx)
    result = run("criteria", "import", xlsx)
    assert result.exit_code == 1
    assert "Bộ tiêu chí có 2 lỗi:" in result.stderr
    assert "Sheet “Tiêu chí”, dòng 3" in result.stderr and "Sheet “Tiêu chí”, dòng 4" in result.stderr
    assert not xlsx.with_suffix(".yaml").exists()


@pytest.mark.parametrize("args", [["criteria", "import", "khong-co.xlsx"], ["criteria", "export"],
                                  ["criteria", "import"], ["criteria", "nope"]])
def test_usage_errors(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
