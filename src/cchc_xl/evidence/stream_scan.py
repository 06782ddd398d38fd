"""The stream markers of a PDF found by byte search: the fast path of `inspect.stream_budget`'s scan.

The plain scan finds `stream` (not after a letter, before a line end) and `endstream` (not before a
letter, with the line end before it) by regular expression; both patterns start with a look-behind or
an optional group, which leaves Python's engine no literal to search for, so it steps through every byte
of every image stream (a scanned page: most of the file). Here `bytes.find` looks for the keyword and
the conditions are checked around each hit: the same match, start and end, as the expression's
leftmost one (tests/test_evidence_speed.py). `CCHC_XL_FAST_EVIDENCE=0` turns this path off.

The `endstream` search is the one that runs through every stream's data (a scan's images: most of the
file), once per stream. `endstream_finder` answers each stream's search by bisection among every start
of the keyword, found once per file (`starts_between`: by the C library's `memmem` where there is one,
else `bytes.rfind`; lean_signature.hash_file finds them in the pass that hashes the file).
"""

from __future__ import annotations

import bisect
import functools
import os
from collections.abc import Callable, Sequence

SWITCH = "CCHC_XL_FAST_EVIDENCE"
_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_WORD = _LETTERS | frozenset(b"0123456789_")  # \w of a bytes pattern
_WHITESPACE = frozenset(b" \t\n\r\x0b\x0c")  # \s of a bytes pattern
_LINE_ENDS = (b"\n", b"\r")


def enabled() -> bool:
    """The one switch of the evidence fast paths (on unless the environment sets it to 0)."""
    return os.environ.get(SWITCH, "1") != "0"


def stream_at(data: bytes, pos: int) -> tuple[int, int] | None:
    """The span of `(?<![A-Za-z])stream(?:\\r\\n|\\n|\\r)` searched from `pos` (None: no more)."""
    k = data.find(b"stream", pos)
    while k >= 0:
        if k == 0 or data[k - 1] not in _LETTERS:
            after = data[k + 6:k + 8]
            if after == b"\r\n":
                return k, k + 8
            if after[:1] in _LINE_ENDS:
                return k, k + 7
        k = data.find(b"stream", k + 1)
    return None


def endstream_at(data: bytes, pos: int) -> tuple[int, int] | None:
    """The span of `(?:\\r\\n|\\n|\\r)?endstream(?![A-Za-z])` searched from `pos` (None: no more)."""
    k = data.find(b"endstream", pos)
    while k >= 0:
        if k + 9 == len(data) or data[k + 9] not in _LETTERS:
            if k - 2 >= pos and data[k - 2:k] == b"\r\n":
                return k - 2, k + 9
            if k - 1 >= pos and data[k - 1:k] in _LINE_ENDS:
                return k - 1, k + 9
            return k, k + 9
        k = data.find(b"endstream", k + 1)
    return None


def endstream_finder(data: bytes, starts: Sequence[int] | None = None) -> Callable[[bytes, int], tuple[int, int] | None]:
    """`endstream_at` for this `data` only, every `endstream` of it found first in one backward pass
    (or given: `starts`, every start of the keyword in `data`, ascending)."""
    starts = all_starts(data, b"endstream") if starts is None else starts
    size = len(data)

    def at(data: bytes, pos: int) -> tuple[int, int] | None:
        for i in range(bisect.bisect_left(starts, pos), len(starts)):
            k = starts[i]
            if k + 9 == size or data[k + 9] not in _LETTERS:
                if k - 2 >= pos and data[k - 2:k] == b"\r\n":
                    return k - 2, k + 9
                if k - 1 >= pos and data[k - 1:k] in _LINE_ENDS:
                    return k - 1, k + 9
                return k, k + 9
        return None

    return at


def all_starts(data: bytes, keyword: bytes) -> list[int]:
    """Every position where `keyword` starts in `data` (overlapping ones too), ascending."""
    return starts_between(data, keyword, 0, len(data))


def starts_between(data: bytes, keyword: bytes, start: int, stop: int) -> list[int]:
    """Every position in [start, stop) where `keyword` starts in `data` (it may end past `stop`),
    ascending (0 <= start). By the C library's `memmem` where there is one (`_memmem_searcher`: over
    twice the speed of `bytes.rfind` on a block of image data), else `_rfind_starts`."""
    return searcher(data)(keyword, start, stop)


Search = Callable[[bytes, int, int], list[int]]


def searcher(data: bytes) -> Search:
    """`starts_between` of `data` (keyword, start, stop), for many searches in one file."""
    bind = _memmem_searcher() if type(data) is bytes else None
    if bind is None:
        return functools.partial(_rfind_starts, data)
    return bind(data)


def _rfind_starts(data: bytes, keyword: bytes, start: int, stop: int) -> list[int]:
    """`starts_between` by `bytes.rfind`, backwards (CPython's `rfind` on a large buffer is about twice
    as fast as its `find`, which switches to a slower adaptive search there)."""
    starts: list[int] = []
    end = stop + len(keyword) - 1
    while (k := data.rfind(keyword, start, end)) >= 0:
        starts.append(k)
        end = k + len(keyword) - 1
    starts.reverse()
    return starts


@functools.cache
def _memmem_searcher() -> Callable[[bytes], Search] | None:
    """`searcher` by the C library's `memmem` (through ctypes, forwards: each match, then the next search
    from the byte after it), or None: no C library with `memmem` (Windows), or it does not find the
    samples' keywords exactly where `_rfind_starts` finds them."""
    try:
        import ctypes

        memmem = ctypes.CDLL(None).memmem
        memmem.restype = ctypes.c_void_p
        memmem.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t)
        as_pointer, address_type, cast = ctypes.c_char_p, ctypes.c_void_p, ctypes.cast
    except (ImportError, OSError, AttributeError, TypeError):
        return None

    def bind(data: bytes) -> Search:
        # the bytes object's own buffer (ctypes copies nothing for a c_char_p of bytes), valid while `data`
        # lives: `search` holds it
        base = cast(as_pointer(data), address_type).value
        if not base:
            return functools.partial(_rfind_starts, data)
        size = len(data)

        def search(keyword: bytes, start: int, stop: int) -> list[int]:
            length = len(keyword)
            if start < 0 or not length:
                return _rfind_starts(data, keyword, start, stop)
            end = min(stop + length - 1, size)
            starts: list[int] = []
            pos = start
            while pos < end and (found := memmem(base + pos, end - pos, keyword, length)) is not None:
                pos = found - base
                starts.append(pos)
                pos += 1
            return starts

        return search

    samples = (b"", b"endstream", b"xendstreamendstream\nendstrea", b"/ByteRange/ByteRangee" * 3,
               bytes(range(256)) * 4)
    for sample in samples:
        search = bind(sample)
        for keyword in (b"endstream", b"/ByteRange", b"e", bytes([255, 0])):
            for start, stop in ((0, len(sample)), (1, len(sample) - 3), (5, 12), (3, 3)):
                try:
                    same = search(keyword, start, stop) == _rfind_starts(sample, keyword, start, stop)
                except Exception:  # (ctypes' errors)
                    same = False
                if not same:
                    return None
    return bind


def last_obj_end(data: bytes, start: int, end: int) -> int | None:
    """The end of the last match of `\\sobj\\b` in data[start:end] (`re.finditer(data, start, end)`'s
    last; its matches cannot overlap, so the last is the rightmost), searched backwards from `end`."""
    k = data.rfind(b"obj", start + 1, end)
    while k >= 0:
        if data[k - 1] in _WHITESPACE and (k + 3 == end or data[k + 3] not in _WORD):
            return k + 3
        k = data.rfind(b"obj", start + 1, k + 2)
    return None
