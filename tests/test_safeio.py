"""`safeio.write_bytes` writes through the descriptor its temporary file was created with: the same file, name
and mode as `atomic_path` with the temporary written by path, a short write gone on with, and on any failure
no temporary file left and the old target kept."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from cchc_xl import safeio
from cchc_xl.safeio import atomic_path, write_bytes

DATA = bytes(range(256)) * 4099  # (about a megabyte: more than one write of some systems)


def _temporaries(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_write_bytes_makes_the_file_atomic_path_makes(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        write_bytes(tmp_path / "fast" / "a.xlsx", DATA)
        with atomic_path(tmp_path / "plain" / "a.xlsx") as tmp:
            tmp.write_bytes(DATA)
    finally:
        os.umask(old)
    fast, plain = tmp_path / "fast" / "a.xlsx", tmp_path / "plain" / "a.xlsx"
    assert fast.read_bytes() == plain.read_bytes() == DATA
    assert fast.stat().st_mode == plain.stat().st_mode and fast.stat().st_mode & 0o777 == 0o666 & ~umask
    assert not _temporaries(tmp_path / "fast")
    write_bytes(fast, b"")  # an existing file replaced, an empty one written
    assert fast.read_bytes() == b""


def test_a_short_write_goes_on_where_it_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.write
    calls = []

    def short(fd: int, data: bytes | memoryview) -> int:
        calls.append(len(data))
        return real(fd, bytes(data[:1000]))

    monkeypatch.setattr(safeio.os, "write", short)
    write_bytes(tmp_path / "a.bin", DATA[:10_500])
    assert (tmp_path / "a.bin").read_bytes() == DATA[:10_500]
    assert len(calls) == 11


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.xlsx"
    target.write_bytes(b"old")
    real, closed = os.write, []

    def full(fd: int, data: bytes | memoryview) -> int:
        if closed:  # (the second write: the disk is full)
            raise OSError(errno.ENOSPC, "No space left on device")
        closed.append(fd)
        return real(fd, bytes(data[:100]))

    monkeypatch.setattr(safeio.os, "write", full)
    with pytest.raises(OSError, match="No space"):
        write_bytes(target, DATA)
    assert target.read_bytes() == b"old" and not _temporaries(tmp_path)
    with pytest.raises(OSError):  # the descriptor was closed
        os.fstat(closed[0])


def test_a_folder_in_the_targets_place_leaves_no_temporary(tmp_path: Path) -> None:
    (tmp_path / "a.xlsx").mkdir()
    with pytest.raises(OSError) as raised:
        write_bytes(tmp_path / "a.xlsx", DATA)
    assert raised.value.errno in (errno.EISDIR, errno.EEXIST, errno.ENOTEMPTY)
    assert not _temporaries(tmp_path) and (tmp_path / "a.xlsx").is_dir()
