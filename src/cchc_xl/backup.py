"""Store backups: a copy of the SQLite store before every command that writes to it, and its restore.

A slip (the wrong inbox imported, a submission withdrawn by mistake) is undone by going back to the copy
made just before it. Copies are kept next to the store, in `<store>.sao-luu/`, the newest `KEEP` of them;
each is a whole, consistent database made with SQLite's online backup (safe while another process has the
store open, WAL included), written under a temporary name and renamed into place. Restoring first backs up
the store as it is, so a restore can itself be undone.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

KEEP = 5
_NAME = re.compile(r"^(\d{8}-\d{6}-\d{6})-([a-z-]+)\.sqlite$")


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: dt.datetime
    command: str  # the command it was taken before: "import", "withdraw", "restore", …


def backup_dir(db_path: Path) -> Path:
    return db_path.parent / f"{db_path.name}.sao-luu"


def backups(db_path: Path) -> list[Backup]:
    """The store's backups, newest first."""
    folder = backup_dir(db_path)
    if not folder.is_dir():
        return []
    found = []
    for p in folder.iterdir():
        m = _NAME.match(p.name)
        if m and p.is_file():
            found.append(Backup(p, dt.datetime.strptime(m.group(1), "%Y%m%d-%H%M%S-%f"), m.group(2)))
    return sorted(found, key=lambda b: b.path.name, reverse=True)


def back_up(db_path: Path, command: str, keep: int = KEEP, now: dt.datetime | None = None) -> Backup | None:
    """A copy of the store before `command` writes to it; None when there is no store yet (nothing to lose).
    Older copies beyond `keep` are removed. OSError/sqlite3.Error when the copy cannot be made."""
    if not db_path.is_file():
        return None
    now = now or dt.datetime.now()
    folder = backup_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{now:%Y%m%d-%H%M%S-%f}-{command}.sqlite"
    _copy(db_path, target)
    for old in backups(db_path)[keep:]:
        old.path.unlink(missing_ok=True)
    return Backup(target, now, command)


def restore(db_path: Path, source: Path, keep: int = KEEP) -> Backup | None:
    """Put the copy `source` back as the store; returns the backup of the store as it was just before."""
    before = back_up(db_path, "restore", keep=keep + 1)  # the copy being restored is not pruned by it
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(db_path)
        try:
            src.backup(dest)  # page by page under the store's own lock: other readers see old or new
        finally:
            dest.close()
    finally:
        src.close()
    return before


def copy_store(db_path: Path, target: Path) -> None:
    """A whole, consistent copy of the store at `target` (for a dry run to write into and throw away)."""
    _copy(db_path, target)


def _copy(db_path: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            dest = sqlite3.connect(tmp)
            try:
                src.backup(dest)
            finally:
                dest.close()
        finally:
            src.close()
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
