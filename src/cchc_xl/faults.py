"""What the machine refused, said in Vietnamese: a disk that is full, a folder or store that is read-only, a store
another program holds, a file open in Excel. The system's own (English) text never reaches the user."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from cchc_xl.messages import say
from cchc_xl.store_sql import StoreUnavailable

_ERRNO = {
    errno.ENOSPC: "fault.disk_full",
    errno.EDQUOT: "fault.disk_full",
    errno.EROFS: "fault.read_only",
    errno.EACCES: "fault.no_permission",
    errno.EPERM: "fault.no_permission",
    errno.ENOENT: "fault.not_found",
    errno.EISDIR: "fault.is_folder",
    errno.ENOTDIR: "fault.not_folder",
    errno.ENAMETOOLONG: "fault.name_too_long",
    errno.EBUSY: "fault.in_use",
}
_SQLITE = (("locked", "fault.store_locked"), ("busy", "fault.store_locked"), ("full", "fault.disk_full"),
           ("readonly", "fault.store_read_only"), ("read-only", "fault.store_read_only"),
           ("not a database", "fault.not_a_store"), ("malformed", "fault.not_a_store"),
           ("unable to open", "fault.store_cannot_open"), ("disk i/o", "fault.disk_io"))


def reason(exc: BaseException) -> str:
    """Why, in a few Vietnamese words: 'ổ đĩa đã đầy', 'tệp đang được chương trình khác mở', …"""
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        return say(next((key for word, key in _SQLITE if word in text), "fault.store_other"))
    if isinstance(exc, PermissionError) and getattr(exc, "winerror", None) in (32, 33):
        return say("fault.in_use")  # Windows: the file is open in another program (Excel)
    if isinstance(exc, OSError) and exc.errno in _ERRNO:
        return say(_ERRNO[exc.errno])
    if isinstance(exc, OSError):
        return say("fault.os_other", code=exc.errno if exc.errno is not None else "?")
    return say("fault.other", kind=type(exc).__name__)


def message(exc: BaseException) -> str:
    """One line for a fault that stopped a command: what, where, and what to do."""
    where = getattr(exc, "filename", None)
    if isinstance(exc, StoreUnavailable):  # a PostgreSQL server unreachable or gone: its own message
        return str(exc)
    if isinstance(exc, sqlite3.Error):
        return say("fault.store", reason=reason(exc))
    if where:
        return say("fault.file", path=Path(str(where)), reason=reason(exc))
    return say("fault.plain", reason=reason(exc))


def is_fault(exc: BaseException) -> bool:
    return isinstance(exc, OSError | sqlite3.Error | StoreUnavailable)
