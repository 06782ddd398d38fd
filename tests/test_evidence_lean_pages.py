"""The lean page checks (evidence/lean_pdf.py) on small files qpdf reads as memory files: the same answers
as from a BytesIO and as the plain path (pypdf).

Pages built with pikepdf, one content stream each, the page with a font (so its text is searched):

| content stream                          | lean path       | shows text |
|-----------------------------------------|-----------------|------------|
| deflate of `BT (Xin chao) Tj ET`        | qpdf            | yes        |
| deflate of a drawing (`0 0 m 10 10 l S`)| qpdf            | no         |
| deflate, then other bytes               | qpdf            | yes        |
| deflate cut short                       | qpdf warns      | pypdf's    |
| not a deflate stream                    | qpdf warns      | pypdf's    |
| plain (no filter)                       | qpdf            | yes        |
"""

from __future__ import annotations

import io
import zlib

import pikepdf
import pytest

from cchc_xl.evidence import check_cache, inspect, lean_pdf, stream_scan
from cchc_xl.samplegen import pdfs

TEXT = b"BT /F1 12 Tf 72 720 Td (Xin chao) Tj ET"
DRAWING = b"0 0 m 10 10 l S"
CASES = {
    "text": (zlib.compress(TEXT), True),
    "drawing": (zlib.compress(DRAWING), True),
    "other bytes after": (zlib.compress(TEXT) + b"\r\n%", True),
    "cut short": (zlib.compress(TEXT * 20)[:-12], True),
    "not deflate": (b"this is not deflate", True),
    "plain": (TEXT, False),
}


@pytest.fixture(autouse=True)
def _own_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check_cache, "cache", check_cache.CheckCache())


def _pdf(raw: bytes, flate: bool) -> bytes:
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    contents = pikepdf.Stream(pdf, raw)
    if flate:
        contents.Filter = pikepdf.Name.FlateDecode
    page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, 612, 792], Contents=contents,
                              Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)))
    pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    return out.getvalue()


def _both_ways(name: str, data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[inspect.FileCheck, inspect.FileCheck]:
    fast = inspect.inspect_file(name, data)
    monkeypatch.setenv(stream_scan.SWITCH, "0")
    try:
        return fast, inspect.inspect_file(name, data)
    finally:
        monkeypatch.delenv(stream_scan.SWITCH)


def _counts(data: bytes) -> object:
    return lean_pdf.page_counts(data, 5, inspect.MAX_CONTENT_STREAMS, inspect.SCAN_IMAGE_PIXELS,
                                inspect._TEXT_OPERATOR)


def test_page_contents_give_the_plain_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    layouts = {}
    for name, (raw, flate) in CASES.items():
        data = _pdf(raw, flate)
        fast, plain = _both_ways(f"{name}.pdf", data, monkeypatch)
        assert fast == plain, name
        assert fast.pdf is not None
        layouts[name] = fast.pdf.layout
    assert layouts["text"] == layouts["plain"] == layouts["other bytes after"] == "text"
    assert layouts["drawing"] == "blank"
    assert _counts(_pdf(*CASES["cut short"])) is None  # qpdf warns: pypdf decides
    assert _counts(_pdf(*CASES["other bytes after"])) == (1, 1, 1, 0)


def test_a_small_file_is_given_to_qpdf_as_a_memory_file(monkeypatch: pytest.MonkeyPatch) -> None:
    small, large = pdfs.sign_pdf(pdfs.text_pdf(seed=2, pages=2)), pdfs.scan_pdf(seed=2, pages=3)
    assert len(small) < len(large)
    monkeypatch.setattr(lean_pdf, "MEMORY_FILE_BYTES", len(small))  # (sizes vary with the system's fonts)
    memory = lean_pdf._memory_file(small)
    if memory is None:  # a system without memory files (not Linux): BytesIO only
        assert lean_pdf._memory_file(large) is None
        return
    with memory:
        memory.seek(0)
        assert memory.read() == small
    assert lean_pdf._memory_file(large) is None
    by_memory = {name: inspect.inspect_file(f"{name}.pdf", data) for name, data in (("a", small), ("b", large))}
    check_cache.cache.checks.clear()
    monkeypatch.setattr(lean_pdf, "MEMORY_FILE_BYTES", 0)  # every file from a BytesIO
    assert {name: inspect.inspect_file(f"{name}.pdf", data) for name, data in (("a", small), ("b", large))} \
        == by_memory
    monkeypatch.setattr(lean_pdf, "MEMORY_FILE_BYTES", 1 << 30)  # every file from a memory file
    check_cache.cache.checks.clear()
    assert {name: inspect.inspect_file(f"{name}.pdf", data) for name, data in (("a", small), ("b", large))} \
        == by_memory
    assert by_memory["a"].pdf is not None and by_memory["a"].pdf.signature_ok


def test_no_memory_file_where_the_system_has_none(monkeypatch: pytest.MonkeyPatch) -> None:
    data = pdfs.text_pdf(seed=1, pages=1)
    expected = inspect.inspect_file("a.pdf", data)
    monkeypatch.delattr("os.memfd_create", raising=False)
    assert lean_pdf._memory_file(data) is None
    check_cache.cache.checks.clear()
    assert inspect.inspect_file("a.pdf", data) == expected
