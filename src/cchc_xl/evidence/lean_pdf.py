"""The page checks of a PDF by pikepdf (qpdf): the fast path of the page loop in `inspect._inspect_pdf`.

pypdf builds Python objects for the whole page tree and every resource it is asked for; qpdf reads the
same objects in C++ several times faster. This module answers what pypdf's loop answers — the page count,
and for the first pages whether each shows text and a scan-sized image (`inspect.page_content`) — only
for files where the two readers cannot disagree: opened without a password and without any repair
(qpdf reports none), the header at the start, every page with resources of its own (none inherited from
the page tree), at most 50 XObjects per resource dictionary, content streams plain, flate- or
ASCII-encoded without parameters. A small file is given to qpdf as a memory file (`_memory_file`).
Anything else, or any exception, gives None and pypdf reads the file as before. The same open file serves
the lean signature check (lean_signature.py). Off with the evidence switch (`CCHC_XL_FAST_EVIDENCE=0`).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from cchc_xl.evidence import stream_scan

MAX_XOBJECTS = 50  # as inspect._xobject_flags: the first 50 of a dictionary (whose order only pypdf knows)
_PLAIN_FILTERS = ("/FlateDecode", "/ASCII85Decode", "/ASCIIHexDecode")  # decoded alike by both, unparameterized


class _Unserved(Exception):
    """A file pypdf reads instead."""


Counts = tuple[int, int, int, int]


@contextlib.contextmanager
def opened(data: bytes) -> Iterator[Any]:
    """The file opened by pikepdf for the fast paths (this module's page checks, lean_signature.py),
    or None: the fast paths are off, pikepdf is missing, or the file is encrypted or does not open."""
    if not stream_scan.enabled() or not data.startswith(b"%PDF-"):
        yield None
        return
    with contextlib.ExitStack() as stack:
        try:
            import pikepdf

            # not pushing inherited page attributes down (4× the cost of opening): a page without resources
            # of its own is left to pypdf (_page)
            memory = _memory_file(data)
            if memory is None:
                pdf = pikepdf.open(io.BytesIO(data), inherit_page_attributes=False)
            else:
                stack.enter_context(memory)
                pdf = pikepdf.open(memory, inherit_page_attributes=False, access_mode=pikepdf.AccessMode.mmap_only)
        except Exception:  # (an install without pikepdf, qpdf's errors: the plain path)
            yield None
            return
        with pdf:
            yield None if pdf.is_encrypted else pdf


MEMORY_FILE_BYTES = 256 * 1024  # files up to this size are given to qpdf as a memory file (_memory_file)


def _memory_file(data: bytes) -> BinaryIO | None:
    """A copy of `data` in an anonymous memory file (Linux's memfd) for qpdf to map, or None: the file is
    larger than MEMORY_FILE_BYTES or the system has no memory files. From a BytesIO, qpdf reads each object
    through Python calls (about 0.1 ms a file); a mapped memory file it reads directly, and a small file's
    copy costs less than those calls (a scan's megabytes more: qpdf reads only a few kB of them). The
    evidence file itself is not mapped: a file truncated by another program while it is mapped would
    crash the process (SIGBUS), and the bytes checked must be the bytes hashed."""
    if len(data) > MEMORY_FILE_BYTES or not hasattr(os, "memfd_create"):
        return None
    try:
        memory = open(os.memfd_create("cchc-xl-evidence", os.MFD_CLOEXEC), "r+b", buffering=0)  # noqa: SIM115
    except OSError:
        return None
    try:
        view = memoryview(data)
        while view:
            written = memory.write(view)
            if not written:
                raise OSError("memory file not written")
            view = view[written:]
    except BaseException:
        memory.close()
        raise
    return memory


def page_counts(data: bytes, max_pages: int, max_streams: int, scan_pixels: int,
                text_operator: re.Pattern[bytes]) -> Counts | None:
    """(pages, pages checked, pages with text, pages with a scan-sized image), or None: pypdf decides.
    The limits and the text operator's pattern are inspect.py's."""
    with opened(data) as pdf:
        return None if pdf is None else counts(pdf, max_pages, max_streams, scan_pixels, text_operator)


def counts(pdf: Any, max_pages: int, max_streams: int, scan_pixels: int,
           text_operator: re.Pattern[bytes]) -> Counts | None:
    """`page_counts` of a file `opened` here."""
    import pikepdf

    try:
        page_list = pdf.pages
        pages = len(page_list)
        checked = text = images = 0
        for i in range(min(pages, max_pages)):
            has_text, has_image = _page(pikepdf, page_list[i].obj, max_streams, scan_pixels, text_operator)
            checked, text, images = checked + 1, text + has_text, images + has_image
        if pdf.get_warnings():
            return None
    except Exception:  # qpdf's errors, _Unserved, anything unexpected: pypdf reads it
        return None
    return pages, checked, text, images


def _page(pikepdf: Any, page: Any, max_streams: int, scan_pixels: int,
          text_operator: re.Pattern[bytes]) -> tuple[bool, bool]:
    if "/Resources" not in page:
        raise _Unserved("inherited resources")
    resources = _dictionary(pikepdf, page.get("/Resources"))
    fonts = resources.get("/Font")
    if fonts is not None and not isinstance(fonts, pikepdf.Dictionary):
        raise _Unserved("fonts")
    has_image, form_text = _xobject_flags(pikepdf, resources, 2, scan_pixels)
    has_text = form_text or (bool(fonts) and _shows_text(pikepdf, page, max_streams, text_operator))
    return has_text, has_image


def _get(dictionary: Any, key: str) -> Any:
    """`dictionary.get(key)` for a key often missing (pikepdf's `get` of a missing key costs 10× `in`)."""
    return dictionary.get(key) if key in dictionary else None


def _dictionary(pikepdf: Any, value: Any) -> Any:
    if value is None:
        return pikepdf.Dictionary()
    if not isinstance(value, pikepdf.Dictionary):
        raise _Unserved("not a dictionary")
    return value


def _xobject_flags(pikepdf: Any, resources: Any, depth: int, scan_pixels: int) -> tuple[bool, bool]:
    xobjects = _dictionary(pikepdf, _get(resources, "/XObject"))
    if len(xobjects) > MAX_XOBJECTS:
        raise _Unserved("many XObjects")
    has_image = has_text = False
    for _key, xobject in xobjects.items():
        if not isinstance(xobject, pikepdf.Stream | pikepdf.Dictionary):
            raise _Unserved("an XObject that is no stream")
        subtype = xobject.get("/Subtype")
        if subtype == pikepdf.Name.Image:
            width, height = _number(pikepdf, xobject.get("/Width")), _number(pikepdf, xobject.get("/Height"))
            has_image = has_image or width * height >= scan_pixels
        elif subtype == pikepdf.Name.Form and depth > 0:
            inner = _dictionary(pikepdf, xobject.get("/Resources"))
            fonts = inner.get("/Font")
            if fonts is not None and not isinstance(fonts, pikepdf.Dictionary):
                raise _Unserved("fonts")
            has_text = has_text or bool(fonts)
            inner_image, inner_text = _xobject_flags(pikepdf, inner, depth - 1, scan_pixels)
            has_image, has_text = has_image or inner_image, has_text or inner_text
    return has_image, has_text


def _number(pikepdf: Any, value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Unserved("a size that is no integer")
    return int(value)


def _shows_text(pikepdf: Any, page: Any, max_streams: int, text_operator: re.Pattern[bytes]) -> bool:
    contents = page.get("/Contents")
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    for stream in streams[:max_streams]:
        if stream is None:
            continue
        if not isinstance(stream, pikepdf.Stream):
            raise _Unserved("content that is no stream")
        filters = stream.get("/Filter")
        names = [] if filters is None else list(filters) if isinstance(filters, pikepdf.Array) else [filters]
        if any(name not in _PLAIN_FILTERS for name in names):
            raise _Unserved("a filter pypdf may decode otherwise")
        if _get(stream, "/DecodeParms") is not None:
            raise _Unserved("decode parameters")
        if text_operator.search(stream.read_bytes()):
            return True
    return False
