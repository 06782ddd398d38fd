"""Store backups: a copy of the store before every command that writes to it, and its restore.

A slip (the wrong inbox imported, a submission withdrawn by mistake) is undone by going back to the copy
made just before it. Each copy is written under a temporary name and renamed into place; the newest `KEEP`
are kept. Restoring first backs up the store as it is, so a restore can itself be undone.

- A SQLite store: copies of the whole file next to it, in `<store>.sao-luu/`, each a consistent database
  made with SQLite's online backup (safe while another process has the store open, WAL included); a restore
  puts the whole file back.
- A PostgreSQL store (a province's server, several officers, several rounds): copies of the ROUND the command
  works on, in `<round>.sao-luu/` in the workspace's folder (the folder of its `cchc-xl.toml`, else the
  working directory), each a SQLite file holding that round exactly, ids included, read from one snapshot of
  the server (store_copy.dump_round). A restore puts that round back in one transaction and leaves the other
  rounds, other districts' and officers' work, as they are. (The whole server is its administrator's to back
  up, e.g. with pg_dump; restoring such a dump would also undo everyone else's work since.)
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from cchc_xl.store_sql import Location, is_url

KEEP = 5
_NAME = re.compile(r"^(\d{8}-\d{6}-\d{6})-([a-z-]+)\.sqlite$")


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: dt.datetime
    command: str  # the command it was taken before: "import", "withdraw", "restore", …


def backup_dir(db: Location, round_id: str = "", base: Path | None = None) -> Path:
    """Where the store's backups go: `<store>.sao-luu` beside a SQLite file; for a server, `<round>.sao-luu`
    in `base` (the workspace's folder; default: the working directory)."""
    if is_url(db):
        return (base or Path.cwd()) / f"{round_id or 'khong-ten'}.sao-luu"
    path = Path(db)
    return path.parent / f"{path.name}.sao-luu"


def backups(db: Location, round_id: str = "", base: Path | None = None) -> list[Backup]:
    """The store's backups (a server's: the round's), newest first."""
    folder = backup_dir(db, round_id, base)
    if not folder.is_dir():
        return []
    found = []
    for p in folder.iterdir():
        m = _NAME.match(p.name)
        if m and p.is_file():
            found.append(Backup(p, dt.datetime.strptime(m.group(1), "%Y%m%d-%H%M%S-%f"), m.group(2)))
    return sorted(found, key=lambda b: b.path.name, reverse=True)


def back_up(db: Location, command: str, keep: int = KEEP, now: dt.datetime | None = None, *, round_id: str = "",
            base: Path | None = None) -> Backup | None:
    """A copy of the store (a server's: the round `round_id`) before `command` writes to it; None when there
    is nothing yet to lose (no store file, no such round on the server). Older copies beyond `keep` are
    removed. OSError/sqlite3.Error when the copy cannot be made; on a server also store_copy.CopyError and
    StoreUnavailable."""
    if not is_url(db) and not Path(db).is_file():
        return None
    now = now or dt.datetime.now()
    folder = backup_dir(db, round_id, base)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{now:%Y%m%d-%H%M%S-%f}-{command}.sqlite"
    if not _copy(db, target, round_id):
        if not any(folder.iterdir()):
            folder.rmdir()
        return None
    for old in backups(db, round_id, base)[keep:]:
        old.path.unlink(missing_ok=True)
    return Backup(target, now, command)


def restore(db: Location, source: Path, keep: int = KEEP, *, round_id: str = "",
            base: Path | None = None) -> Backup | None:
    """Put the copy `source` back (a server: its round, in place of the round in the store); returns the
    backup of the store as it was just before."""
    before = back_up(db, "restore", keep=keep + 1, round_id=round_id, base=base)  # `source` is not pruned by it
    if is_url(db):
        from cchc_xl.store_copy import replace_round

        replace_round(source, db, round_id)
        return before
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(db)
        try:
            src.backup(dest)  # page by page under the store's own lock: other readers see old or new
        finally:
            dest.close()
    finally:
        src.close()
    return before


def copy_store(db: Location, target: Path, round_id: str = "") -> None:
    """A consistent copy of the store at `target`, a SQLite file (for a dry run to write into and throw
    away): the whole file, or a server's round `round_id`. Nothing is written to the store."""
    _copy(db, target, round_id)


def _copy(db: Location, target: Path, round_id: str) -> bool:
    """The copy under a temporary name, renamed into place; False (nothing left) for a server without the round."""
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        if is_url(db):
            from cchc_xl.store_copy import dump_round

            tmp.unlink(missing_ok=True)
            if not dump_round(db, tmp, round_id):
                return False
        else:
            src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            try:
                dest = sqlite3.connect(tmp)
                try:
                    src.backup(dest)
                finally:
                    dest.close()
            finally:
                src.close()
        plain = sqlite3.connect(tmp)
        try:  # a file on its own, without -wal/-shm companions (the store's WAL mode would leave them on a read)
            plain.execute("PRAGMA journal_mode=DELETE")
        finally:
            plain.close()
        os.replace(tmp, target)
        return True
    finally:
        tmp.unlink(missing_ok=True)
        for leftover in (tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            leftover.unlink(missing_ok=True)
