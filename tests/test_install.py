"""A proper, slim package: the demo's PDF makers only in the [demo] extra (the working commands run without
them), `python -m cchc_xl`, a LICENSE, and pyHanko's internals replaced only under a guard. The wheel itself is
installed and run outside the repository by .ci/wheel-check (CI)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

WITHOUT_DEMO_EXTRA = textwrap.dedent("""
    import sys

    class NoDemoExtra:  # as if reportlab (the demo's PDF maker) were not installed
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "reportlab":
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoDemoExtra())
    sys.argv = ["cchc-xl", *sys.argv[1:]]
    from cchc_xl.cli import main
    main()
""")


def cchc(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("CCHC_XL_CONFIG", None)
    env.pop("CCHC_XL_KEY", None)
    return subprocess.run([sys.executable, "-c", WITHOUT_DEMO_EXTRA, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=300, check=False)


def test_working_commands_run_without_the_demo_extra(tmp_path: Path) -> None:
    assert cchc(["--help"], tmp_path).returncode == 0
    init = cchc(["init", "dot", "--criteria", str(ROOT / "tests/data/mini-set.yaml"), "--communes",
                 str(ROOT / "samples/phu-yen-communes.csv"), "--year", "2022", "--body", "UBND huyện Thử"], tmp_path)
    assert init.returncode == 0, init.stderr
    folder = tmp_path / "dot"
    assert cchc(["generate", "--out", "bang"], folder).returncode == 0
    (folder / "hop-thu").mkdir()
    for p in sorted((folder / "bang").glob("*.xlsx"))[:3]:
        (folder / "hop-thu" / p.name).write_bytes(p.read_bytes())
    imported = cchc(["import", "hop-thu", "--out", "kq"], folder)
    assert imported.returncode in (0, 1), imported.stderr
    assert "Traceback" not in imported.stdout + imported.stderr and (folder / "kq" / "import-report.json").is_file()
    demo = cchc(["demo", str(tmp_path / "chay-thu")], tmp_path)
    assert demo.returncode == 2 and 'cchc-xl[demo]' in demo.stderr and "Traceback" not in demo.stderr
    assert not (tmp_path / "chay-thu").exists()


def test_python_dash_m() -> None:
    result = subprocess.run([sys.executable, "-m", "cchc_xl", "--help"], capture_output=True, text=True,
                            encoding="utf-8", env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, check=False)
    assert result.returncode == 0 and "Cách dùng:" in result.stdout


def test_license_is_the_metadata_s() -> None:
    assert "license = { text = \"MIT\" }" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_pyhanko_speed_up_steps_aside_when_pyhanko_reads_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyhanko.pdf_utils import generic

    from cchc_xl.evidence import inspect

    def other_reader(stream):  # type: ignore[no-untyped-def]  # a pyHanko that reads hex strings differently
        stream.read()
        return generic.pdf_string(b"?")

    monkeypatch.setattr(generic, "read_hex_string_from_stream", other_reader)
    inspect._speed_up_pyhanko_hex_strings.cache_clear()
    try:
        assert inspect._speed_up_pyhanko_hex_strings() is False
        assert generic.read_hex_string_from_stream is other_reader
        monkeypatch.delattr(generic, "HEX_DIGITS")
        inspect._speed_up_pyhanko_hex_strings.cache_clear()
        assert inspect._speed_up_pyhanko_hex_strings() is False
    finally:
        inspect._speed_up_pyhanko_hex_strings.cache_clear()


def test_readme_links_nothing_outside_the_repository() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "../" not in text
