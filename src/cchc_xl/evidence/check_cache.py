"""Evidence checks remembered by the file's sha256: the same PDF sent again (a resubmission, a document
copied into several communes' folders, a second import of the inbox) is parsed and its signatures
verified once per process. What `inspect_file` finds depends on the file's bytes and the limits alone,
never on its name, so the remembered check, with the file's own name, is the check. Bounded (cleared
when full); off with the evidence switch (`CCHC_XL_FAST_EVIDENCE=0`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from cchc_xl.evidence import stream_scan
from cchc_xl.evidence.intake import Limits

MEMO_FILES = 4096

T = TypeVar("T")


class CheckCache:
    """FileCheck by (sha256, limits), for one process (the workers of `import --jobs` each have theirs)."""

    def __init__(self) -> None:
        self.checks: dict[tuple[str, Limits], Any] = {}

    def check(self, name: str, data: bytes, limits: Limits, inspect: Callable[[str, bytes, str, Limits], T]) -> T:
        """`inspect(name, data, digest, limits)`, or the check of the same bytes made before."""
        digest = hashlib.sha256(data).hexdigest()
        if not stream_scan.enabled():
            return inspect(name, data, digest, limits)
        known = self.checks.get((digest, limits))
        if known is not None:
            return dataclasses.replace(known, name=name)  # type: ignore[no-any-return]
        found = inspect(name, data, digest, limits)
        if len(self.checks) >= MEMO_FILES:
            self.checks.clear()
        self.checks[(digest, limits)] = found
        return found


cache = CheckCache()
