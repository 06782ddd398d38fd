"""A killed import, run again, leaves exactly the store a clean run leaves (issue #13, item 3).

The inbox: 100 returns of the mini set — 80 communes, 10 of them with a second, different file (the newer
one counts), and 10 byte-identical copies of other returns under another name. `cchc-xl import` runs in a
subprocess and is killed with SIGKILL, by its own process id, once the store holds N submissions (several
N, the last after every file is recorded: inside the end-of-batch revisions); then the same command runs
again to its end. Every table of the store is compared with a clean run's, row for row, ignoring only what
legitimately differs between two runs: row ids (`id`; references to a submission are compared as its
commune and version instead), and the times of reception (`submissions.received_at`, `events.at`).
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.settings import DEMO_KEY, Settings
from import_corpus import Corpus

MINI = Path(__file__).parent / "data" / "mini-set.yaml"
IGNORED = {"id", "received_at", "at", "created_at"}  # row ids and times differ between any two runs
CLI = [sys.executable, "-m", "cchc_xl.cli"]


def _communes(n: int) -> list[Commune]:
    return [Commune(code=str(20000 + i), name=f"Thử {i}", kind="xã") for i in range(n)]


def _inbox(tmp: Path, cset: CriteriaSet, settings: Settings) -> tuple[Path, Path]:
    communes = _communes(80)
    c = Corpus(tmp / "inbox", tmp / "work", cset, communes, settings)
    manual = next(leaf for leaf in cset.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    for i, commune in enumerate(communes):
        c.valid(commune, overrides={f"TDG_{manual.name_key}": 99} if i % 7 == 3 else None)
    for i, commune in enumerate(communes[:10]):  # a second, newer file of the commune
        path = c.valid(commune, name=f"{commune.code}-{commune.slug}-sua-lai.xlsx", explanation=f"Bản sửa {i}.")
        os.utime(path, (time.time() + 60, time.time() + 60))
    for commune in communes[40:50]:  # the same file sent twice
        shutil.copy(c.inbox / f"{commune.code}-{commune.slug}.xlsx", c.inbox / f"{commune.code}-{commune.slug} (1).xlsx")
    assert len(list(c.inbox.glob("*.xlsx"))) == 100
    listing = tmp / "communes.csv"
    with listing.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "name", "kind"])
        w.writerows([x.code, x.name, x.kind] for x in communes)
    return c.inbox, listing


def _command(inbox: Path, listing: Path, out: Path, db: Path) -> list[str]:
    return [*CLI, "import", str(inbox), "--out", str(out), "--db", str(db), "--criteria", str(MINI),
            "--communes", str(listing)]


def new_round(db: Path, listing: Path) -> None:
    """`cchc-xl init` of the mini set's round in the store `db` (its folder beside it), as a district would."""
    subprocess.run([*CLI, "init", str(db.with_name(db.stem + "-dot")), "--criteria", str(MINI), "--communes",
                    str(listing), "--year", "2022", "--body", "UBND huyện Thử Nghiệm", "--db", str(db)],
                   env=_env(), check=True, stdout=subprocess.DEVNULL)


def _env() -> dict[str, str]:
    src = str(Path(__file__).resolve().parents[1] / "src")
    # the workbooks are signed with the tests' key (the `settings` fixture: the environment's, or the demo key)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]), "COLUMNS": "200",
            "CCHC_XL_KEY": os.environ.get("CCHC_XL_KEY") or DEMO_KEY}


def _submissions(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as con:
            return int(con.execute("SELECT COUNT(*) FROM submissions").fetchone()[0])
    except sqlite3.Error:  # not made yet
        return 0


def _killed_at(count: int, command: list[str], db: Path) -> bool:
    """Start the import and SIGKILL it once the store holds `count` submissions; False if it ended first."""
    # a killed process cannot remove its scratch folder: it is made beside the store, not in the machine's temp
    scratch = db.with_name(db.stem + "-tmp")
    scratch.mkdir(exist_ok=True)
    env = {**_env(), "TMPDIR": str(scratch), "TEMP": str(scratch), "TMP": str(scratch)}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while proc.poll() is None:
            if _submissions(db) >= count:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                return True
            time.sleep(0.005)
        return False
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _left_behind(db: Path, wait: float = 10.0) -> list[int]:
    """Processes (the killed import's workers) whose command line names this store, after a short wait."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and str(db).encode() in (proc / "cmdline").read_bytes():
                    found.append(int(proc.name))
            except OSError:  # gone meanwhile
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows as sorted tuples, without ids and reception times; a submission referenced
    from another table by its (commune, version)."""
    con = sqlite3.connect(db)
    try:
        versions = {sid: (code, v) for sid, code, v in con.execute("SELECT id, commune_code, version FROM submissions")}
        out: dict[str, list[tuple[Any, ...]]] = {}
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"):
            cur = con.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cur.description]
            rows = []
            for row in cur:
                kept = tuple(versions.get(v, v) if col == "submission_id" else v
                             for col, v in zip(columns, row, strict=True) if col not in IGNORED)
                rows.append(kept)
            out[table] = sorted(rows, key=repr)
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def kill_case(tmp_path_factory: pytest.TempPathFactory, mini_set: CriteriaSet,
              settings: Settings) -> tuple[Path, Path, dict[str, list[tuple[Any, ...]]]]:
    tmp = tmp_path_factory.mktemp("kill")
    inbox, listing = _inbox(tmp, mini_set, settings)
    clean = tmp / "clean.sqlite"
    new_round(clean, listing)
    _import(_command(inbox, listing, tmp / "clean-out", clean))
    return inbox, listing, dump(clean)


def test_clean_run_store(kill_case: tuple[Path, Path, dict[str, list[tuple[Any, ...]]]]) -> None:
    """The clean run's store: 90 submissions (a copy is stored once), the newer file of each of the 10
    communes with two files counts, the older does not."""
    _inbox, _listing, clean = kill_case
    assert len(clean["submissions"]) == 90
    assert len(clean["communes"]) == 80
    rules = [row[2] for row in clean["findings"]]
    assert rules.count("submission.duplicate") == 20 + 10  # both files of 10 communes; one record per copy pair
    # (round_id, commune_code, version, file_name, file_sha256, set_id, set_version, status, counts, …)
    files_not_counting = sorted(row[3] for row in clean["submissions"] if row[8] == 0)
    assert len(files_not_counting) == 10 and all("sua-lai" not in f for f in files_not_counting)


@pytest.mark.parametrize("count", [3, 45, 90])
def test_kill_and_rerun_converge_to_the_clean_store(count: int, tmp_path: Path,
                                                    kill_case: tuple[Path, Path, dict[str, list[tuple[Any, ...]]]]) -> None:
    inbox, listing, clean = kill_case
    db = tmp_path / "store.sqlite"
    command = _command(inbox, listing, tmp_path / "out", db)
    new_round(db, listing)
    killed = _killed_at(count, command, db)
    partial = _submissions(db)
    assert _left_behind(db) == [], "worker processes of the killed import are still running"
    _import(command)
    assert dump(db) == clean, f"killed={killed} with {partial} submissions stored"
    _import(command)  # a third run changes nothing
    assert dump(db) == clean


def _import(command: list[str]) -> None:
    """An import run to its end: exit 0, or 1 when the corpus's rejected files are among them (the convention)."""
    done = subprocess.run(command, env=_env(), stdout=subprocess.DEVNULL, check=False)
    assert done.returncode in (0, 1), done.returncode
