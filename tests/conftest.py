"""Shared pytest set-up: the `libreoffice` and `gnumeric` markers and session fixtures for sets, communes and
workbooks.

Tests marked `@pytest.mark.libreoffice` need LibreOffice headless (`soffice`), tests marked
`@pytest.mark.gnumeric` Gnumeric's `ssconvert`, tests marked `@pytest.mark.ocr` Tesseract with its Vietnamese
data. Without them they are skipped, unless the environment sets CCHC_XL_REQUIRE_LIBREOFFICE=1 (CI does), in
which case they fail: CI must never go green by silently skipping the spreadsheet-engine or OCR tests. The same
holds for the tests marked `postgres` (see conftest_pg.py: a throwaway PostgreSQL cluster, and the `db`
fixture over both engines).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import itertools
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cchc_xl.approval.ocr import available as ocr_available
from cchc_xl.communes import Commune, sample_communes
from cchc_xl.criteria import CriteriaSet, load_set
from cchc_xl.office import find_soffice
from cchc_xl.settings import Settings, load_settings
from cchc_xl.workbook.generate import generate_one
from cchc_xl.workbook.layout import Declared
from conftest_pg import db, engine, pg_cluster, pg_url  # noqa: F401 - the PostgreSQL fixtures, for every test

DATA = Path(__file__).parent / "data"
REQUIRE_LIBREOFFICE = "CCHC_XL_REQUIRE_LIBREOFFICE"
QUICK = os.environ.get("CCHC_XL_QUICK", "").strip() == "1"  # `make test-quick`: fewer drawn examples


def examples(full: int, quick: int) -> int:
    """How many examples a property or engine test draws: `full` (CI), or `quick` under CCHC_XL_QUICK=1 for a
    local run of the real-engine tests in about a minute."""
    return quick if QUICK else full
GENERATED_AT = dt.datetime(2022, 10, 1, 8, 0, tzinfo=dt.UTC)


def libreoffice_required() -> bool:
    return os.environ.get(REQUIRE_LIBREOFFICE, "").strip() == "1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "libreoffice: needs LibreOffice headless (slow; CI installs it)")
    config.addinivalue_line("markers", "gnumeric: needs Gnumeric's ssconvert (CI installs it)")
    config.addinivalue_line("markers", "postgres: needs PostgreSQL's server binaries (a throwaway cluster)")
    # Imports in tests check workbooks: their returns come without an approval document, which the round
    # then does not ask for (tests/test_approval.py sets the severity itself); readings are cached in a
    # folder of this run, not the user's cache.
    os.environ.setdefault("CCHC_XL_APPROVAL_MISSING", "off")
    if "CCHC_XL_APPROVAL_CACHE" not in os.environ:
        cache = tempfile.mkdtemp(prefix="cchc-approval-cache-")
        os.environ["CCHC_XL_APPROVAL_CACHE"] = cache
        config.add_cleanup(lambda: shutil.rmtree(cache, ignore_errors=True))  # one folder per run, not left behind


# The programs each marker stands for: a session that selects no test with the marker must start none of them
# (`make test-fast`), whatever fixture or helper would (see external_program_guard).
MARKED_PROGRAMS = {"soffice": "libreoffice", "soffice.bin": "libreoffice", "libreoffice": "libreoffice",
                   "ssconvert": "gnumeric", "tesseract": "ocr"}
UNSELECTED = pytest.StashKey[frozenset[str]]()


def pytest_collection_finish(session: pytest.Session) -> None:
    markers = set(MARKED_PROGRAMS.values())
    session.config.stash[UNSELECTED] = frozenset(
        m for m in markers if not any(item.get_closest_marker(m) for item in session.items))


@pytest.fixture(scope="session", autouse=True)
def external_program_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail loudly when a test or fixture starts LibreOffice, Gnumeric or Tesseract in a session that selected
    no test marked for it: the fast tier stays fast, and the start is named instead of silently waited for."""
    import subprocess

    unselected = request.config.stash.get(UNSELECTED, frozenset())
    original = subprocess.Popen.__init__

    def init(self: subprocess.Popen[Any], args: Any, *rest: Any, **kw: Any) -> None:
        first = args[0] if isinstance(args, list | tuple) else str(args).split(" ", 1)[0]
        marker = MARKED_PROGRAMS.get(Path(str(first)).name)
        if marker in unselected:
            raise RuntimeError(f"{first} started although no test marked {marker!r} is selected: mark the test "
                               "that needs it, or build the files only when conftest.engine_selected() says so")
        original(self, args, *rest, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(subprocess.Popen, "__init__", init)
        yield


def pytest_runtest_setup(item: pytest.Item) -> None:
    # The same rule for every real program: skipped where missing, failed where CI requires them.
    for marker, missing, what in (
            ("libreoffice", lambda: find_soffice() is None, "LibreOffice (soffice)"),
            ("gnumeric", lambda: shutil.which("ssconvert") is None, "Gnumeric (ssconvert)"),
            ("ocr", lambda: ocr_available() is not None, "Tesseract OCR with Vietnamese data")):
        if item.get_closest_marker(marker) is None or not missing():
            continue
        if libreoffice_required():
            pytest.fail(f"{what} is not installed but {REQUIRE_LIBREOFFICE}=1", pytrace=False)
        pytest.skip(f"{what} is not installed")


def script(name: str) -> ModuleType:
    """scripts/<name>.py as a module (the repository's scripts are not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before running it: its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def engine_selected(request: pytest.FixtureRequest, marker: str = "libreoffice") -> bool:
    """Whether this session runs a test marked `marker` and has its program: a shared fixture builds the
    engine's files only then, so the fast tier (`-m "not libreoffice …"`) starts no LibreOffice at all."""
    if marker == "libreoffice" and find_soffice() is None:
        return False
    return any(item.get_closest_marker(marker) is not None for item in request.session.items)


# -- data ----------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def mini_set() -> CriteriaSet:
    """tests/data/mini-set.yaml: a small set with every rule kind."""
    return load_set(DATA / "mini-set.yaml")


@pytest.fixture(scope="session")
def bundled_set() -> CriteriaSet:
    """The bundled Phù Yên 2022 set."""
    return load_set()


@pytest.fixture(scope="session")
def communes() -> list[Commune]:
    """The bundled Phù Yên commune list."""
    return sample_communes()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """District settings as the environment gives them, ignoring any cchc-xl.toml in the working dir."""
    return load_settings(tmp_path_factory.mktemp("settings"))


# -- rounds --------------------------------------------------------------------------------------
MakeRound = Callable[..., Path]
SAMPLE_COMMUNES = Path(__file__).resolve().parents[1] / "samples" / "phu-yen-communes.csv"


def init_round(monkeypatch: pytest.MonkeyPatch, settings: Settings, folder: Path,
               criteria: Path = DATA / "mini-set.yaml", communes: Path = SAMPLE_COMMUNES, year: int = 2022,
               body: str = "UBND huyện Thử Nghiệm", extra: tuple[str, ...] = (), chdir: bool = True) -> Path:
    """`cchc-xl init` into `folder` with the key of `settings` (see make_round); a module-scoped fixture passes
    its own pytest.MonkeyPatch.context()."""
    from click.testing import CliRunner

    from cchc_xl.cli import cli

    monkeypatch.delenv("CCHC_XL_CONFIG", raising=False)
    monkeypatch.setenv("CCHC_XL_KEY", settings.key.decode("utf-8"))
    result = CliRunner().invoke(cli, ["init", str(folder), "--criteria", str(criteria), "--communes",
                                      str(communes), "--year", str(year), "--body", body, *extra])
    assert result.exit_code == 0, result.output
    if chdir:
        monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def make_round(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings) -> MakeRound:
    """Run `cchc-xl init` as a district would and work in its folder; returns the folder.

    The round's fresh key is overridden (CCHC_XL_KEY) by the `settings` fixture's key, so workbooks that
    tests generate with `settings` verify under the round.

    make_round(criteria=mini-set.yaml, communes=the sample list, year=2022, body="UBND huyện Thử Nghiệm",
    folder=tmp_path / "dot", extra=[...]): the working directory becomes the folder (chdir=False keeps it).
    """

    def make(criteria: Path = DATA / "mini-set.yaml", communes: Path = SAMPLE_COMMUNES, year: int = 2022,
             body: str = "UBND huyện Thử Nghiệm", folder: Path | None = None, extra: tuple[str, ...] = (),
             chdir: bool = True) -> Path:
        return init_round(monkeypatch, settings, folder or tmp_path / "dot", criteria, communes, year, body, extra,
                          chdir)

    return make


# -- workbooks -----------------------------------------------------------------------------------
MakeWorkbook = Callable[..., Path]


@pytest.fixture(scope="session")
def make_workbook(tmp_path_factory: pytest.TempPathFactory, bundled_set: CriteriaSet, communes: list[Commune],
                  settings: Settings) -> MakeWorkbook:
    """Generate a commune workbook into a fresh temporary folder; returns its path.

    make_workbook(cset=None, commune=None, declared=None, name=None): defaults are the bundled set and the
    first commune; the generation time is fixed so the signed metadata is reproducible. Each call writes
    a new file, so a test may edit what it gets.
    """
    counter = itertools.count()

    def make(cset: CriteriaSet | None = None, commune: Commune | None = None, declared: Declared | None = None,
             name: str | None = None) -> Path:
        out = tmp_path_factory.mktemp(f"workbook{next(counter)}")
        return generate_one(cset or bundled_set, commune or communes[0], out, settings, declared=declared,
                            generated_at=GENERATED_AT, name=name)

    return make
