"""Atomic writes: a file appears whole or not at all, even if the run is killed mid-write; and the names of
the files the program writes, bounded whatever the commune's name or the returned file's name."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from cchc_xl.communes import slugify

_TMP_MARK = ".cchc-tmp-"  # in every temporary name: what `clean_leftovers` may remove, and nothing else


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; move it into place only when the block succeeds.

    The temporary file is created with mode 0666 less the user's umask (as any file the user makes;
    mkstemp's 0600 would leave outputs unreadable to the colleagues who share the folder), and its name
    carries this process's id, so that `clean_leftovers` can tell a killed run's file from a live one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _create_temporary(target)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _create_temporary(target: Path) -> Path:
    path, fd = _open_temporary(target)
    os.close(fd)
    return path


def _open_temporary(target: Path) -> tuple[Path, int]:
    """A new temporary file beside `target` (`atomic_path`'s name and mode), and its descriptor open to write."""
    for _ in range(100):
        name = f".{target.stem[:MAX_SLUG]}{_TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}{target.suffix}.tmp"
        path = target.parent / name
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue
        return path, fd
    raise FileExistsError(target)


def clean_leftovers(folder: Path) -> int:
    """Remove the temporary files a killed run left in `folder` and its subfolders (those of a process
    that no longer runs, or a day old where that cannot be told); the number removed."""
    removed = 0
    if not folder.is_dir():
        return 0
    for path in folder.rglob(f".*{_TMP_MARK}*.tmp"):
        try:
            pid = int(path.name.split(_TMP_MARK, 1)[1].split("-", 1)[0])
        except (IndexError, ValueError):
            continue
        if pid == os.getpid() or _alive(pid, path):
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    return removed


def _alive(pid: int, path: Path) -> bool:
    if os.name == "posix":
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # another user's live process
            return True
        return True
    try:  # elsewhere: a day-old temporary file is a leftover
        return time.time() - path.stat().st_mtime < 86_400
    except OSError:
        return True


def write_bytes(target: Path, data: bytes) -> None:
    """`data` as `target`, atomically (as `atomic_path` with its temporary file written), written through the
    descriptor the temporary file was created with (not opened a second time)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp, fd = _open_temporary(target)
    replaced = False
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]  # (a short write goes on where it stopped)
        finally:
            os.close(fd)
        os.replace(tmp, target)
        replaced = True
    finally:
        if not replaced and tmp.exists():
            tmp.unlink()


def write_text(target: Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


# A name part the program makes from a commune's code and name or a returned file's name: ASCII, and short
# enough that a folder path, a suffix and the temporary prefix of `atomic_path` stay far below the 255 bytes
# a file system allows for one name.
MAX_SLUG = 60
MAX_CODE = 20


def output_stem(code: str, text: str, limit: int = MAX_SLUG) -> str:
    """`{code}-{slug of text}`, each part bounded: the stem of every file named after a commune."""
    code_part = slugify(code)[:MAX_CODE].strip("-") or "x"
    slug = slugify(text)
    if slug.startswith(code_part):
        slug = slug[len(code_part):].lstrip("-")
    slug = slug[:limit].strip("-")
    return f"{code_part}-{slug}" if slug else code_part


# Shown as "?": control characters (an escape sequence would drive the console) and the bidirectional
# overrides that make a name read differently from what it is.
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def shown_name(name: str) -> str:
    """A file name as reports and the console show it. The OS may give bytes that are no UTF-8 (a USB
    stick, a zip made on another code page): Python carries them surrogate-escaped, which no text file
    can hold, so they are shown as U+FFFD; control characters as '?'. The file itself is always opened
    by its real name."""
    try:
        text = os.fsencode(name).decode("utf-8", "replace")
    except UnicodeEncodeError:  # (a name Python made itself with lone surrogates)
        text = name.encode("utf-8", "replace").decode("utf-8")
    return _UNSHOWABLE.sub("?", unicodedata.normalize("NFC", text))
