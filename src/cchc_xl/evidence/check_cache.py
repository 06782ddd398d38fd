"""Evidence checks remembered by the file's sha256: the same PDF sent again (a resubmission, a document
copied into several communes' folders, a second import of the inbox) is parsed and its signatures
verified once per process. What `inspect_file` finds depends on the file's bytes and the limits alone,
never on its name, so the remembered check, with the file's own name, is the check. Bounded (cleared
when full); off with the evidence switch (`CCHC_XL_FAST_EVIDENCE=0`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from cchc_xl.evidence import stream_scan
from cchc_xl.evidence.intake import Limits
from cchc_xl.evidence.lean_signature import Hashed

MEMO_FILES = 4096

T = TypeVar("T")


class CheckCache:
    """FileCheck by (sha256, limits), for one process (the workers of `import --jobs` each have theirs)."""

    def __init__(self) -> None:
        self.checks: dict[tuple[str, Limits], Any] = {}

    def check(self, name: str, data: bytes, hashed: Hashed, limits: Limits,
              inspect: Callable[[str, bytes, Hashed, Limits], T]) -> T:
        """`inspect(name, data, hashed, limits)`, or the check of the same bytes (`hashed.sha256`) made
        before."""
        if not stream_scan.enabled():
            return inspect(name, data, hashed, limits)
        key = (hashed.sha256, limits)
        known = self.checks.get(key)
        if known is not None:
            return dataclasses.replace(known, name=name)  # type: ignore[no-any-return]
        found = inspect(name, data, hashed, limits)
        if len(self.checks) >= MEMO_FILES:
            self.checks.clear()
        self.checks[key] = found
        return found


cache = CheckCache()
