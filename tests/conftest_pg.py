"""A throwaway PostgreSQL cluster for the tests marked `postgres`, and the store fixtures over both engines.

The session starts one cluster in a fresh temporary directory (initdb + pg_ctl from `pg_config --bindir`, or
the newest /usr/lib/postgresql/*/bin), as an unprivileged user: when the tests run as root (CI does), as
`nobody` through runuser (CCHC_XL_PG_USER names another). It listens only on a unix socket in that
directory, trusts local connections, and is stopped and removed at the end of the session
(`throwaway_cluster`, which benchmarks/bench_postgres.py uses too). Each test gets
its own database. Without PostgreSQL (binaries or psycopg) the `postgres` tests are skipped, unless
CCHC_XL_REQUIRE_LIBREOFFICE=1 (CI), where they fail: CI never goes green by skipping an engine.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REQUIRE = "CCHC_XL_REQUIRE_LIBREOFFICE"
SUPERUSER = "cchc"


@dataclass(frozen=True)
class Cluster:
    socket_dir: Path

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}"


def _bindir() -> Path | None:
    candidates: list[str] = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).parent))
    return next((Path(c) for c in candidates if c and (Path(c) / "initdb").is_file()), None)


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE, "").strip() == "1":
        pytest.fail(f"PostgreSQL is not available ({reason}) but {REQUIRE}=1", pytrace=False)
    pytest.skip(f"PostgreSQL is not available ({reason})")


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL here (binaries or psycopg), or the cluster did not start."""


@contextmanager
def throwaway_cluster(durable: bool = False) -> Iterator[Cluster]:
    """A PostgreSQL cluster in a fresh temporary directory, stopped and removed on exit. `durable`: the server's
    own fsync and commit settings (for timings); otherwise without fsync (tests only)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ClusterUnavailable("psycopg is not installed") from None
    bindir = _bindir()
    if bindir is None:
        raise ClusterUnavailable("no initdb: install Debian's postgresql")
    root = Path(tempfile.mkdtemp(prefix="cchc-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        user = os.environ.get("CCHC_XL_PG_USER", "nobody")
        shutil.chown(root, user)
        prefix = ["runuser", "-u", user, "--"]
    root.chmod(0o755)
    data, log = root / "data", root / "server.log"
    options = f"-k {root} -c listen_addresses=''"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, cwd=root)

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-locale",
            "--no-sync")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options, "start")
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-1:]
        shutil.rmtree(root, ignore_errors=True)
        raise ClusterUnavailable(f"the cluster did not start: {' '.join(detail)}") from None
    try:
        yield Cluster(root)
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, check=False, cwd=root)
        shutil.rmtree(root, ignore_errors=True)


def create_database(cluster: Cluster, name: str) -> str:
    """A new empty database on the cluster; its URL."""
    import psycopg

    with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return cluster.url(name)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    try:
        with throwaway_cluster() as cluster:
            yield cluster
    except ClusterUnavailable as exc:
        _unavailable(str(exc))


_databases = itertools.count()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> Iterator[str]:
    """A fresh, empty database on the session's cluster, dropped after the test."""
    import psycopg

    name = f"t{os.getpid()}_{next(_databases)}"
    url = create_database(pg_cluster, name)
    try:
        yield url
    finally:
        with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """The store engine a test runs on: each store test runs once on SQLite and once on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def db(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """A fresh store location on `engine`: a SQLite file, or a PostgreSQL database's URL."""
    if engine == "sqlite":
        return tmp_path / "s.sqlite"
    return str(request.getfixturevalue("pg_url"))
