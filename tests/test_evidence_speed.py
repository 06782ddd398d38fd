"""The evidence fast path (evidence/stream_scan.py) gives exactly what the plain one gives.

- The stream markers found by byte search are the regular expressions' leftmost matches, from every
  start position (and the last `obj` keyword before a stream, found backwards, their last one; the
  `endstream` searches answered from one backward pass, `endstream_finder`, the same), on byte strings
  made of the pieces that matter (keywords, line ends, letters around them, other bytes) and on real PDFs.
- `inspect_file` on typed, scanned, signed, signed-then-changed, encrypted and damaged PDFs, and the
  stream budget's refusals (too many streams, too much inflated, for one stream or all, with one and two
  flate levels, where the streams counted by their bounds must be inflated after all and where they need
  not), are the same with the fast path and with `CCHC_XL_FAST_EVIDENCE=0`.

No timing here: speed is measured by benchmarks/bench_evidence.py.
"""

from __future__ import annotations

import dataclasses
import zlib

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cchc_xl.evidence import inspect, lean_pdf, lean_signature, stream_scan
from cchc_xl.evidence.intake import DEFAULT_LIMITS
from cchc_xl.samplegen import pdfs

PIECES = [b"stream", b"endstream", b"\r", b"\n", b"\r\n", b"a", b"Z", b"0", b" ", b"<<", b">>", b"%", b"\xff",
          b"obj", b"streamx", b"xstream", b"endstreams"]


def same_markers(data: bytes) -> None:
    finder = stream_scan.endstream_finder(data)
    for pos in range(len(data) + 1):
        assert stream_scan.stream_at(data, pos) == inspect._stream_at(data, pos), (data, pos)
        assert stream_scan.endstream_at(data, pos) == inspect._endstream_at(data, pos), (data, pos)
        assert finder(data, pos) == inspect._endstream_at(data, pos), (data, pos)


def same_obj_ends(data: bytes) -> None:
    for start in range(len(data) + 1):
        for end in range(start, len(data) + 1):
            assert stream_scan.last_obj_end(data, start, end) == inspect._last_obj_end(data, start, end), \
                (data, start, end)


OBJ_PIECES = [b"obj", b" ", b"\n", b"\r", b"\t", b"\x0b", b"\x0c", b"a", b"_", b"0", b"/", b"ob", b"j", b"\xa0",
              b"endobj", b"1 0 obj"]


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(OBJ_PIECES), max_size=8))
def test_the_last_obj_keyword_found_backwards_is_the_expressions_last(pieces: list[bytes]) -> None:
    same_obj_ends(b"".join(pieces))


@hypothesis_settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14))
def test_byte_search_finds_what_the_expressions_find(pieces: list[bytes]) -> None:
    same_markers(b"".join(pieces))


@pytest.mark.parametrize("data", [b"", b"stream", b"stream\r", b"stream\r\n", b"\r\nendstream", b"\nendstreamx",
                                  b"endstream\r\nendstream", b"astream\nstream\n", b"\r\r\nendstream"])
def test_byte_search_on_edge_cases(data: bytes) -> None:
    same_markers(data)


@pytest.mark.parametrize(("data", "keyword"), [(b"", b"ab"), (b"aaaa", b"aa"), (b"xabxab", b"ab"), (b"abab", b"aba"),
                                              (b"ab", b"ab"), (b"b", b"ab")])
def test_every_start_of_a_keyword_is_found_backwards(data: bytes, keyword: bytes) -> None:
    expected = [i for i in range(len(data)) if data.startswith(keyword, i)]
    assert stream_scan.all_starts(data, keyword) == expected


SEARCH_PIECES = [b"endstream", b"/ByteRange", b"end", b"stream", b"/Byte", b"Range", b"e", b"\x00", b"\xff", b"aa"]


@hypothesis_settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(SEARCH_PIECES), max_size=12), st.integers(0, 40), st.integers(0, 60),
       st.sampled_from([b"endstream", b"/ByteRange", b"e", b"aa", b"\x00\xff"]))
def test_every_start_found_by_memmem_is_every_start_found_by_rfind(
        pieces: list[bytes], start: int, stop: int, keyword: bytes) -> None:
    """The C library's search (stream_scan._memmem_searcher) against `bytes.rfind`'s, every window."""
    data = b"".join(pieces)
    bind = stream_scan._memmem_searcher()
    if bind is None:
        pytest.skip("no memmem in this C library")
    expected = [i for i in range(start, min(stop, len(data))) if data.startswith(keyword, i)]
    assert bind(data)(keyword, start, stop) == stream_scan._rfind_starts(data, keyword, start, stop) == expected
    assert stream_scan.starts_between(data, keyword, start, stop) == expected


def test_keywords_in_a_large_buffer_by_memmem_and_by_rfind() -> None:
    """Keywords planted in a megabyte of random bytes (as a scan's image data), at block edges too."""
    import random

    rng = random.Random(16)
    data = bytearray(rng.randbytes(1 << 20))
    for at in (0, 65535 - 4, 65536, 300_001, len(data) - 10):
        data[at:at + 10] = b"/ByteRange"
    for at in (17, 65536 - 3, 500_000, 500_009, len(data) - 9):
        data[at:at + 9] = b"endstream"
    frozen = bytes(data)
    for keyword in (b"/ByteRange", b"endstream"):
        for start, stop in ((0, len(frozen)), (65536, 131072), (65530, 65540), (len(frozen) - 9, len(frozen))):
            assert stream_scan.starts_between(frozen, keyword, start, stop) == \
                stream_scan._rfind_starts(frozen, keyword, start, stop)
    assert stream_scan.starts_between(bytearray(b"xendstream"), b"endstream", 0, 10) == [1]  # not bytes: rfind


def test_without_memmem_the_blocks_are_searched_by_rfind(monkeypatch: pytest.MonkeyPatch) -> None:
    data = pdfs.sign_pdf(pdfs.text_pdf(seed=3, pages=2))
    expected = lean_signature.hash_file(data, inspect._BYTE_RANGE)
    monkeypatch.setattr(stream_scan, "_memmem_searcher", lambda: None)
    assert lean_signature.hash_file(data, inspect._BYTE_RANGE) == expected
    assert expected.signed and expected.byte_range is not None and expected.endstreams


HASH_PIECES = [b"/ByteRange", b"/ByteRange [0 5 9 2]", b"/ByteRange[0 3 6 1]", b"endstream", b"end", b"stream",
               b"/Byte", b"Range", b"0", b" ", b"\n", b"x", b"e"]


@hypothesis_settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(HASH_PIECES), max_size=12), st.integers(min_value=1, max_value=12))
def test_the_file_hashed_and_searched_in_blocks_is_the_plain_hash_and_searches(
        pieces: list[bytes], block: int) -> None:
    """Blocks of 1–12 bytes, keywords across their edges: the same sha256, the same last /ByteRange
    and the digest of the range it covers, every `endstream`."""
    import hashlib

    data = b"".join(pieces)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lean_signature, "BLOCK", block)
        hashed = lean_signature.hash_file(data, inspect._BYTE_RANGE)
    assert hashed.sha256 == hashlib.sha256(data).hexdigest()
    assert hashed.signed == inspect.has_signature(data)
    assert hashed.endstreams == tuple(i for i in range(len(data)) if data.startswith(b"endstream", i))
    matches = [m for i in range(len(data)) if (m := inspect._BYTE_RANGE.match(data, i))]
    found = tuple(int(g) for g in matches[-1].groups()) if matches else None  # the last one
    assert lean_signature.last_byte_range(data, inspect._BYTE_RANGE) == found
    covers = found is not None and found[0] == 0 and 0 < found[1] <= found[2] and sum(found[2:]) == len(data)
    assert hashed.byte_range == (found if covers else None)
    if covers:
        assert found is not None
        assert hashed.range_sha256 == hashlib.sha256(data[:found[1]] + data[found[2]:]).digest()


def _covering(head: int, hole: int) -> bytes:
    """`head` bytes, a `hole` and a tail holding the /ByteRange that covers all but the hole."""
    tail = b""
    while True:
        wanted = b"endstream /ByteRange [0 %d %d %d]" % (head, head + hole, len(tail))
        if wanted == tail:
            return b"e" * head + b"<" + b"0" * (hole - 2) + b">" + tail
        tail = wanted


@pytest.mark.parametrize("block", [1, 2, 3, 5, 8, 13, 64, 65536, 1 << 18])
@pytest.mark.parametrize(("head", "hole"), [(1, 2), (7, 5), (20, 31), (64, 64)])
def test_the_signed_range_digest_goes_on_from_the_block_of_the_hole(block: int, head: int, hole: int) -> None:
    import hashlib

    data = _covering(head, hole)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lean_signature, "BLOCK", block)
        hashed = lean_signature.hash_file(data, inspect._BYTE_RANGE)
    assert hashed.byte_range == (0, head, head + hole, len(data) - head - hole)
    assert hashed.range_sha256 == hashlib.sha256(data[:head] + data[head + hole:]).digest()
    assert hashed.sha256 == hashlib.sha256(data).hexdigest()
    assert hashed.endstreams == (head + hole,)


def _budget_both_ways(data: bytes, monkeypatch: pytest.MonkeyPatch, limits: inspect.Limits = DEFAULT_LIMITS) -> str:
    fast = inspect.stream_budget(data, limits)
    monkeypatch.setenv(stream_scan.SWITCH, "0")
    assert not stream_scan.enabled()
    plain = inspect.stream_budget(data, limits)
    monkeypatch.delenv(stream_scan.SWITCH)
    assert fast == plain
    return fast


def _flate_streams(count: int, size: int) -> bytes:
    body = zlib.compress(b"0" * size)
    return b"%PDF-1.7\n" + b"".join(
        b"%d 0 obj\n<< /Filter /FlateDecode /Length %d >>\nstream\r\n%s\r\nendstream\nendobj\n" % (i, len(body), body)
        for i in range(1, count + 1))


def _chained_flate_streams(sizes: list[int], levels: int) -> bytes:
    """One stream per size, of that many zeros deflated `levels` times (a filter chain)."""
    objects = []
    for i, size in enumerate(sizes, 1):
        body = b"0" * size
        for _ in range(levels):
            body = zlib.compress(body, 9)
        filters = b" ".join([b"/FlateDecode"] * levels)
        objects.append(b"%d 0 obj\n<< /Filter [%s] /Length %d >>\nstream\n%s\nendstream\nendobj\n"
                       % (i, filters, len(body), body))
    return b"%PDF-1.7\n" + b"".join(objects)


def test_flate_never_inflates_past_its_bound() -> None:
    """The fast budget's premise (FLATE_RATIO): zeros, the most compressible data, at the highest level."""
    for size in (1, 258, 10**6, 10**7):
        assert len(zlib.compress(bytes(size), 9)) * inspect.FLATE_RATIO >= size


@pytest.mark.parametrize("levels", [1, 2])
@pytest.mark.parametrize("stream_bytes", [1, 1000, 50_000, 200_000, 10**6, 32 * 2**20])
@pytest.mark.parametrize("pdf_inflated", [1, 10_000, 100_000, 250_000, 10**6, 128 * 2**20])
def test_streams_counted_by_their_bounds_refuse_what_the_plain_budget_refuses(
        levels: int, stream_bytes: int, pdf_inflated: int, monkeypatch: pytest.MonkeyPatch) -> None:
    limits = dataclasses.replace(DEFAULT_LIMITS, max_stream_bytes=stream_bytes, max_pdf_inflated=pdf_inflated)
    for sizes in ([100, 100, 100], [50_000, 40, 120_000, 30], [300_000], [10, 2_000_000, 10]):
        _budget_both_ways(_chained_flate_streams(sizes, levels), monkeypatch, limits)


def test_the_bounds_spare_the_inflating_and_settle_when_they_must(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    plain = inspect._inflate

    def counted(data: bytes, limit: int) -> tuple[bytes, bool]:
        calls.append(len(data))
        return plain(data, limit)

    monkeypatch.setattr(inspect, "_inflate", counted)
    data = _chained_flate_streams([1000, 1000, 1000], 1)
    assert inspect.stream_budget(data) == "" and not calls  # small streams: bounded, none inflated
    # 1,000 zeros deflate to 17 bytes (bound 18,576), 20,000 to 43 (bound 45,408): the first stream is
    # counted by its bound, the second inflated (its bound is past the file's limit), and then the two
    # pass the limit until the first is inflated too (settled): 21,000 bytes, under 24,000, over 20,500
    data = _chained_flate_streams([1000, 20_000], 1)
    assert _budget_both_ways(data, monkeypatch, dataclasses.replace(DEFAULT_LIMITS, max_pdf_inflated=24_000)) == ""
    assert calls[:2] == [43, 17]
    calls.clear()
    assert _budget_both_ways(data, monkeypatch, dataclasses.replace(DEFAULT_LIMITS, max_pdf_inflated=20_500)) != ""
    assert calls[:2] == [43, 17]


def test_the_stream_budget_refuses_the_same_files(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _budget_both_ways(_flate_streams(3, 1000), monkeypatch) == ""
    few = dataclasses.replace(DEFAULT_LIMITS, max_pdf_streams=2)
    assert _budget_both_ways(_flate_streams(3, 1000), monkeypatch, few) != ""
    small = dataclasses.replace(DEFAULT_LIMITS, max_stream_bytes=500)
    assert _budget_both_ways(_flate_streams(1, 1000), monkeypatch, small) != ""
    total = dataclasses.replace(DEFAULT_LIMITS, max_pdf_inflated=2500)
    assert _budget_both_ways(_flate_streams(3, 1000), monkeypatch, total) != ""


@pytest.fixture(scope="module")
def sample_pdfs() -> dict[str, bytes]:
    typed = pdfs.text_pdf(seed=3, pages=3)
    signed = pdfs.sign_pdf(typed)
    return {"typed": typed, "scan": pdfs.scan_pdf(seed=4, pages=2), "signed": signed,
            "signed scan": pdfs.sign_pdf(pdfs.scan_pdf(seed=5, pages=1)),
            "changed after signing": pdfs.append_update(signed), "tampered": pdfs.tamper_signed(signed),
            "encrypted": pdfs.encrypt_pdf(typed), "cut in half": typed[: len(typed) // 2],
            "crlf": typed.replace(b"stream\n", b"stream\r\n").replace(b"\nendstream", b"\r\nendstream")}


def test_inspect_file_is_the_same_both_ways(sample_pdfs: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, data in sample_pdfs.items():
        fast = inspect.inspect_file(f"{name}.pdf", data)
        monkeypatch.setenv(stream_scan.SWITCH, "0")
        plain = inspect.inspect_file(f"{name}.pdf", data)
        monkeypatch.delenv(stream_scan.SWITCH)
        assert fast == plain, name
        assert _budget_both_ways(data, monkeypatch) == "", name


def test_markers_of_real_pdfs(sample_pdfs: dict[str, bytes]) -> None:
    """From each marker of the real files (every start would take minutes): the same next markers."""
    for name, data in sample_pdfs.items():
        starts = {0, *(m.start() for m in inspect._STREAM.finditer(data)),
                  *(m.end() for m in inspect._ENDSTREAM.finditer(data))}
        for pos in sorted(starts):
            assert stream_scan.stream_at(data, pos) == inspect._stream_at(data, pos), (name, pos)
            assert stream_scan.endstream_at(data, pos) == inspect._endstream_at(data, pos), (name, pos)
            assert stream_scan.endstream_finder(data)(data, pos) == inspect._endstream_at(data, pos), (name, pos)
            head_start = max(0, pos - 4096)
            assert stream_scan.last_obj_end(data, head_start, pos) == inspect._last_obj_end(data, head_start, pos)


def test_a_file_checked_again_is_its_first_check_under_its_own_name(sample_pdfs: dict[str, bytes],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from cchc_xl.evidence import check_cache

    monkeypatch.setattr(check_cache, "cache", check_cache.CheckCache())
    calls: list[str] = []
    plain = inspect._inspect_file

    def counted(name: str, data: bytes, hashed: lean_signature.Hashed, limits: inspect.Limits) -> inspect.FileCheck:
        calls.append(name)
        return plain(name, data, hashed, limits)

    monkeypatch.setattr(inspect, "_inspect_file", counted)
    for name, data in sample_pdfs.items():
        first = inspect.inspect_file(f"{name}.pdf", data)
        again = inspect.inspect_file(f"ban-sao/{name}.pdf", data)
        assert again == dataclasses.replace(first, name=f"ban-sao/{name}.pdf")
        assert again == plain(f"ban-sao/{name}.pdf", data, lean_signature.hash_file(data, inspect._BYTE_RANGE),
                              DEFAULT_LIMITS)
    assert calls == [f"{name}.pdf" for name in sample_pdfs]  # each parsed once
    tight = dataclasses.replace(DEFAULT_LIMITS, max_pdf_streams=1)
    assert inspect.inspect_file("x.pdf", sample_pdfs["typed"], tight).pdf.too_complex  # other limits: checked anew
    monkeypatch.setenv(stream_scan.SWITCH, "0")
    inspect.inspect_file("typed.pdf", sample_pdfs["typed"])
    assert calls[-1] == "typed.pdf"  # off: every file parsed


def _inherited_resources(data: bytes) -> bytes:
    """The same document with its first page's resources moved up to the page tree (qpdf, saving it,
    may write them back into the page: the two readers must agree either way)."""
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0].obj
        pdf.Root.Pages.Resources = page.Resources
        del page["/Resources"]
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def test_pages_read_by_qpdf_only_where_pypdf_reads_the_same(sample_pdfs: dict[str, bytes],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def lean(data: bytes) -> object:
        return lean_pdf.page_counts(data, DEFAULT_LIMITS.max_pages_parsed, inspect.MAX_CONTENT_STREAMS,
                                    inspect.SCAN_IMAGE_PIXELS, inspect._TEXT_OPERATOR)

    served = {name for name, data in sample_pdfs.items() if lean(data) is not None}
    assert {"typed", "scan", "signed", "signed scan", "changed after signing"} <= served
    assert not served & {"encrypted", "cut in half", "crlf"}  # (crlf: its offsets moved, a repair)
    inherited = _inherited_resources(sample_pdfs["typed"])
    fast = inspect.inspect_file("a.pdf", inherited)
    monkeypatch.setenv(stream_scan.SWITCH, "0")
    assert inspect.inspect_file("a.pdf", inherited) == fast
    assert lean(sample_pdfs["typed"]) is None  # off


def test_lean_pages_on_a_corpus_of_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    """Typed and scanned documents of 1–7 pages (past the pages checked), as bench_evidence makes them."""
    for seed in range(6):
        for data in (pdfs.text_pdf(seed=seed, pages=1 + seed), pdfs.scan_pdf(seed=seed, pages=1 + seed % 3)):
            fast = inspect.inspect_file("x.pdf", data)
            monkeypatch.setenv(stream_scan.SWITCH, "0")
            assert inspect.inspect_file("x.pdf", data) == fast, seed
            monkeypatch.delenv(stream_scan.SWITCH)
