"""Per-file checks: size, hash, type by content; for PDFs whether they open, their pages, encryption,
text layer or scan, and digital signatures (integrity only: trust in the signer is a later step).

A malformed file is a finding, never a crash: every library call on file content is guarded. Images are
never decoded: a page counts as scanned from its image dictionaries (width × height), not its pixels.
"""

from __future__ import annotations

import binascii
import datetime as dt
import functools
import io
import logging
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cchc_xl.evidence import check_cache, lean_pdf, lean_signature, stream_scan
from cchc_xl.evidence.intake import DEFAULT_LIMITS, Bundle, Entry, EvidenceReadError, Limits, MiB, short_error
from cchc_xl.messages import evidence_text
from cchc_xl.messages import severity as rule_severity
from cchc_xl.records import Problem, Severity

# Malformed inputs are reported as findings; the libraries' own log lines (pyHanko logs whole tracebacks
# for suspicious changes) would only repeat them on the district officer's screen.
for _noisy in ("pypdf", "pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_noisy).setLevel(logging.CRITICAL)

FileKind = Literal["pdf", "docx", "xlsx", "pptx", "odt", "ods", "zip", "rar", "7z", "ole", "rtf",
                   "jpeg", "png", "tiff", "gif", "bmp", "empty", "unknown"]
Layout = Literal["scan", "scan_ocr", "text", "mixed", "blank"]
Changes = Literal["none", "allowed", "annotations", "other"]
SignatureState = Literal["valid", "later_changes", "annotated", "modified", "broken", "unverifiable"]

HEADER_SEARCH_BYTES = 1024  # how far junk before "%PDF-" is tolerated (as Acrobat does)
SCAN_IMAGE_PIXELS = 250_000  # an image of at least ~500 × 500 pixels on a page is taken for a scan
_SEVERITY_ORDER = {"info": 0, "warning": 1, "error": 2}


def issue(rule: str, detail: str = "") -> Problem:
    """A problem of one evidence file (an evidence rule id of the registry); its file is the FileCheck's."""
    return Problem(rule, {"detail": detail})


@dataclass(frozen=True)
class SignatureCheck:
    """One signature in a PDF, checked without a trust root."""

    field: str
    covers_file_end: bool  # its /ByteRange reaches the end of the file
    intact: bool | None = None  # the signed bytes are unchanged
    valid: bool | None = None  # the cryptographic signature over them verifies with the embedded certificate
    changes: Changes = "none"  # what was added after signing
    signer: str = ""  # certificate common name
    organisation: str = ""
    signing_time: dt.datetime | None = None
    timestamped: bool = False  # signing_time comes from a timestamp token (else: the signer's clock)
    problem: str = ""  # why it could not be verified

    @property
    def state(self) -> SignatureState:
        if self.problem or self.intact is None:
            return "unverifiable"
        if not (self.intact and self.valid):
            return "broken"
        return {"none": "valid", "allowed": "later_changes", "annotations": "annotated",
                "other": "modified"}[self.changes]  # type: ignore[return-value]

    @property
    def ok(self) -> bool:
        return self.state in ("valid", "later_changes", "annotated")


@dataclass(frozen=True)
class PdfCheck:
    header_offset: int = 0  # bytes before "%PDF-"
    opens: bool = False
    encrypted: bool = False
    needs_password: bool = False  # encrypted with a user password: cannot be read
    pages: int | None = None
    pages_checked: int = 0  # the first pages, up to Limits.max_pages_parsed
    pages_with_text: int = 0
    pages_with_images: int = 0
    signatures: tuple[SignatureCheck, ...] = ()
    error: str = ""
    too_complex: str = ""  # why the file was not parsed (past Limits' stream budget), in Vietnamese

    @property
    def layout(self) -> Layout | None:
        if not self.pages_checked:
            return None
        if self.pages_with_images == self.pages_checked:
            return "scan_ocr" if self.pages_with_text else "scan"
        if self.pages_with_images:
            return "mixed"
        return "text" if self.pages_with_text else "blank"

    @property
    def signed(self) -> bool:
        return bool(self.signatures)

    @property
    def signature_ok(self) -> bool:
        return self.signed and all(sig.ok for sig in self.signatures)


@dataclass(frozen=True)
class FileCheck:
    """Everything known about one evidence file."""

    name: str
    size: int
    sha256: str  # empty when the file was not read
    kind: FileKind
    pdf: PdfCheck | None = None
    issues: tuple[Problem, ...] = ()

    @property
    def severity(self) -> Severity | None:
        """The worst severity among the issues."""
        if not self.issues:
            return None
        return max((rule_severity(p.rule) for p in self.issues), key=_SEVERITY_ORDER.__getitem__)

    @property
    def form_ok(self) -> bool:
        """In the required form: a PDF scan, or a digitally signed document whose signature holds."""
        if self.pdf is None or self.severity == "error":
            return False
        return self.pdf.signature_ok or self.pdf.layout in ("scan", "scan_ocr", "mixed")


# ------------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------------


def inspect_entry(entry: Entry, limits: Limits = DEFAULT_LIMITS) -> FileCheck:
    """Reads the entry (unless intake blocked it) and inspects it."""
    try:
        data = entry.read()
    except EvidenceReadError as exc:
        return FileCheck(entry.name, entry.size, "", "unknown", issues=(issue(exc.rule, exc.detail),))
    return inspect_file(entry.name, data, limits)


def inspect_file(name: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> FileCheck:
    """The checks of one file's bytes (the same bytes checked before in this process: that check, see
    check_cache.py). Never raises on malformed content."""
    hashed = lean_signature.hash_file(data, _BYTE_RANGE)  # with the signed range's digest (fast path)
    return check_cache.cache.check(name, data, hashed, limits, _inspect_file)


def _inspect_file(name: str, data: bytes, hashed: lean_signature.Hashed, limits: Limits) -> FileCheck:
    kind = detect_kind(data)
    if kind != "pdf":
        rule = "evidence.file_empty" if kind == "empty" else "evidence.not_pdf"
        return FileCheck(name, len(data), hashed.sha256, kind, issues=(issue(rule, kind),))
    pdf = inspect_pdf(data, limits, hashed)
    return FileCheck(name, len(data), hashed.sha256, "pdf", pdf, tuple(pdf_issues(pdf)))


# ------------------------------------------------------------------------------------------------
# Type by content
# ------------------------------------------------------------------------------------------------

_MAGIC: tuple[tuple[bytes, FileKind], ...] = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"{\\rtf", "rtf"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
)


def detect_kind(data: bytes) -> FileKind:
    """The file type by its content (magic bytes), whatever its name says."""
    if not data:
        return "empty"
    if pdf_header_offset(data) is not None:
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data)
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return "unknown"


def pdf_header_offset(data: bytes) -> int | None:
    offset = data.find(b"%PDF-", 0, HEADER_SEARCH_BYTES)
    return None if offset < 0 else offset


def _zip_kind(data: bytes) -> FileKind:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "ppt/presentation.xml" in names:
                return "pptx"
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100]
                if b"opendocument.text" in mimetype:
                    return "odt"
                if b"opendocument.spreadsheet" in mimetype:
                    return "ods"
    except Exception:  # a damaged zip is still a zip
        pass
    return "zip"


# ------------------------------------------------------------------------------------------------
# PDF structure (pypdf)
# ------------------------------------------------------------------------------------------------


def inspect_pdf(data: bytes, limits: Limits = DEFAULT_LIMITS, hashed: lean_signature.Hashed | None = None) -> PdfCheck:
    """`hashed`: the file's digests when inspect_file made them (lean_signature.hash_file)."""
    offset = pdf_header_offset(data) or 0
    over = stream_budget(data, limits, None if hashed is None else hashed.endstreams)
    if over:
        return PdfCheck(offset, too_complex=over)
    signed = has_signature(data) if hashed is None or hashed.signed is None else hashed.signed
    with lean_pdf.opened(data) as lean_file:
        lean = None if lean_file is None else lean_pdf.counts(
            lean_file, limits.max_pages_parsed, MAX_CONTENT_STREAMS, SCAN_IMAGE_PIXELS, _TEXT_OPERATOR)
        if lean is not None:  # the pages read by qpdf, for a file where pypdf would read the same (lean_pdf.py)
            pages, checked, text, images = lean
            signatures = verify_signatures(data, limits, hashed, lean_file) if signed else ()
            return PdfCheck(offset, True, False, False, pages, checked, text, images, signatures)
    from pypdf import apply_configuration

    # (set around pypdf's reading only: the lean path above reads nothing through pypdf)
    with apply_configuration(zlib_maximum_output_length=limits.max_stream_bytes,
                             lzw_maximum_output_length=limits.max_stream_bytes,
                             run_length_maximum_output_length=limits.max_stream_bytes,
                             maximum_declared_stream_length=limits.max_stream_bytes):
        return _inspect_pdf(data, offset, limits, hashed, signed)


def _inspect_pdf(data: bytes, offset: int, limits: Limits, hashed: lean_signature.Hashed | None,
                 signed: bool) -> PdfCheck:
    """pypdf's page checks, pyHanko's signature checks (the plain path)."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = bool(reader.is_encrypted)
        if encrypted and not reader.decrypt(""):
            return PdfCheck(offset, opens=True, encrypted=True, needs_password=True)
        pages = len(reader.pages)
    except Exception as exc:
        return PdfCheck(offset, error=short_error(exc))
    checked = text = images = 0
    try:
        for page in reader.pages[: limits.max_pages_parsed]:
            has_text, has_image = page_content(page)
            checked, text, images = checked + 1, text + has_text, images + has_image
    except Exception as exc:
        return PdfCheck(offset, True, encrypted, False, pages, checked, text, images, error=short_error(exc))
    signatures = verify_signatures(data, limits, hashed) if signed else ()
    return PdfCheck(offset, True, encrypted, False, pages, checked, text, images, signatures)


_STREAM = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")
_ENDSTREAM = re.compile(rb"(?:\r\n|\n|\r)?endstream(?![A-Za-z])")
_OBJ = re.compile(rb"\sobj\b")
_FLATE = re.compile(rb"/(?:FlateDecode|Fl)(?![A-Za-z])")


def stream_budget(data: bytes, limits: Limits = DEFAULT_LIMITS, endstreams: Sequence[int] | None = None) -> str:
    """Why the PDF is too costly to parse ('' when it is not): more streams than the limit, or flate
    streams (each level of a filter chain followed) inflating past the limit for one stream or for all.
    Measured on the raw file with bounded decompressors, keeping nothing; image streams are left out
    (this tool never decodes an image). The fast path (`stream_scan.enabled`) finds the markers by byte
    search and inflates only the streams that could reach a limit (`_Inflated`); `endstreams`: where the
    `endstream` keywords start (lean_signature.Hashed), when the caller found them."""
    fast = stream_scan.enabled()
    stream_at, endstream_at, last_obj_end = (
        (stream_scan.stream_at, stream_scan.endstream_finder(data, endstreams), stream_scan.last_obj_end) if fast
        else (_stream_at, _endstream_at, _last_obj_end))
    inflated = _Inflated(data, limits, bounded=fast)
    count = 0
    pos = 0
    while (m := stream_at(data, pos)) is not None:
        count += 1
        if count > limits.max_pdf_streams:
            return evidence_text("evidence.detail.streams", detail=limits.max_pdf_streams)
        end = endstream_at(data, m[1])
        stop = end[0] if end else len(data)
        head_start = max(0, m[0] - 4096)
        obj_end = last_obj_end(data, head_start, m[0])
        head = data[head_start if obj_end is None else obj_end:m[0]]
        pos = end[1] if end else len(data)
        if b"/Image" in head:
            continue
        levels = min(len(_FLATE.findall(head)), 8)
        if not levels or inflated.bounded_by_size(m[1], stop, levels):
            continue
        body = data[m[1]:stop]
        for _ in range(levels):
            body, complete = _inflate(body, limits.max_stream_bytes)
            if not complete:
                return evidence_text("evidence.detail.stream_bytes", detail=limits.max_stream_bytes // MiB)
            if inflated.add(len(body)):
                return evidence_text("evidence.detail.pdf_bytes", detail=limits.max_pdf_inflated // MiB)
    return ""


FLATE_RATIO = 1032  # the most a deflate stream inflates to per byte (2 bits for a 258-byte match; zlib's docs)


class _Inflated:
    """The stream budget's count of inflated bytes. The plain path inflates every flate stream; the fast
    path (`bounded`) counts a stream by what it could inflate to at most, FLATE_RATIO per byte at each
    level, as long as that bound stays under the limit of one stream and, with the others, under the
    limit of the file: such a stream cannot make the budget refuse the file, so it is not inflated. The
    count is then an upper bound of the plain path's; when it would pass the file's limit, the streams
    counted by their bounds are inflated after all (`settle`) and the count is the plain path's again, so
    the budget refuses exactly the files, at the stream, the plain path refuses."""

    def __init__(self, data: bytes, limits: Limits, bounded: bool) -> None:
        self.data, self.limits, self.bounded = data, limits, bounded
        self.exact = 0  # bytes inflated
        self.bound = 0  # the bounds of the streams not inflated
        self.pending: list[tuple[int, int, int]] = []  # those streams: (start, stop, levels)

    def bounded_by_size(self, start: int, stop: int, levels: int) -> bool:
        """Whether the stream data[start:stop] with `levels` flate levels is counted by its bound."""
        if not self.bounded:
            return False
        size, total = stop - start, 0
        for _ in range(levels):
            size = FLATE_RATIO * (size + 1)
            if size >= self.limits.max_stream_bytes:
                return False
            total += size
        if self.exact + self.bound + total > self.limits.max_pdf_inflated:
            return False
        self.pending.append((start, stop, levels))
        self.bound += total
        return True

    def add(self, inflated: int) -> bool:
        """Counts one level's inflated bytes; whether the file's limit is passed."""
        self.exact += inflated
        if self.exact + self.bound <= self.limits.max_pdf_inflated:
            return False
        self.settle()
        return self.exact > self.limits.max_pdf_inflated

    def settle(self) -> None:
        """The streams counted by their bounds inflated (each under the limit of one stream: complete)."""
        for start, stop, levels in self.pending:
            body = self.data[start:stop]
            for _ in range(levels):
                body, _complete = _inflate(body, self.limits.max_stream_bytes)
                self.exact += len(body)
        self.pending.clear()
        self.bound = 0


def _stream_at(data: bytes, pos: int) -> tuple[int, int] | None:
    """The span of the next `stream` keyword from `pos` (the plain scan; stream_scan.py: the fast one)."""
    m = _STREAM.search(data, pos)
    return None if m is None else m.span()


def _endstream_at(data: bytes, pos: int) -> tuple[int, int] | None:
    m = _ENDSTREAM.search(data, pos)
    return None if m is None else m.span()


def _last_obj_end(data: bytes, start: int, end: int) -> int | None:
    """Where the last `obj` keyword in data[start:end] ends: the stream's dictionary starts after it."""
    objs = list(_OBJ.finditer(data, start, end))
    return objs[-1].end() if objs else None


def _inflate(data: bytes, limit: int) -> tuple[bytes, bool]:
    """Up to `limit` inflated bytes of `data`, and whether that was all of it (a damaged stream counts as
    what could be inflated of it)."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit)
    except zlib.error:
        return b"", True
    return out, len(out) < limit or inflater.eof


def page_content(page: Any) -> tuple[bool, bool]:
    """(has text, has a scan-sized image) for one page, from its resources and content operators."""
    resources = _resolve(page.get("/Resources")) or {}
    fonts = _resolve(resources.get("/Font"))
    has_image, form_text = _xobject_flags(resources, depth=2)
    has_text = form_text or (bool(fonts) and _shows_text(page))
    return has_text, has_image


MAX_CONTENT_STREAMS = 50  # content streams of one page looked at for text
_TEXT_OPERATOR = re.compile(rb"(?<![A-Za-z0-9_])T[Jj](?![A-Za-z0-9_])")


def _shows_text(page: Any) -> bool:
    contents = _resolve(page.get("/Contents"))
    streams = contents if isinstance(contents, list) else [contents]
    for stream in streams[:MAX_CONTENT_STREAMS]:
        stream = _resolve(stream)
        if stream is not None and _TEXT_OPERATOR.search(stream.get_data()):
            return True
    return False


def _xobject_flags(resources: Any, depth: int) -> tuple[bool, bool]:
    """(a scan-sized image, a form with fonts) among the XObjects of `resources`, without decoding."""
    xobjects = _resolve(resources.get("/XObject")) or {}
    has_image = has_text = False
    for ref in list(xobjects.values())[:50]:
        xobject = _resolve(ref)
        if xobject is None:
            continue
        subtype = xobject.get("/Subtype")
        if subtype == "/Image":
            pixels = int(_resolve(xobject.get("/Width")) or 0) * int(_resolve(xobject.get("/Height")) or 0)
            has_image = has_image or pixels >= SCAN_IMAGE_PIXELS
        elif subtype == "/Form" and depth > 0:
            inner = _resolve(xobject.get("/Resources")) or {}
            has_text = has_text or bool(_resolve(inner.get("/Font")))
            inner_image, inner_text = _xobject_flags(inner, depth - 1)
            has_image, has_text = has_image or inner_image, has_text or inner_text
    return has_image, has_text


_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def has_signature(data: bytes) -> bool:
    """Whether the file holds a signature value (a /ByteRange). Searched in the raw bytes: a signature
    dictionary cannot sit in a compressed object stream, and letting pypdf parse it would decode the
    signature's long hex string byte by byte."""
    return b"/ByteRange" in data and _BYTE_RANGE.search(data) is not None


def _resolve(value: Any) -> Any:
    return value.get_object() if hasattr(value, "get_object") else value


# ------------------------------------------------------------------------------------------------
# Signatures (pyHanko, without a trust root)
# ------------------------------------------------------------------------------------------------


def verify_signatures(data: bytes, limits: Limits = DEFAULT_LIMITS, hashed: lean_signature.Hashed | None = None,
                      lean_file: Any = None) -> tuple[SignatureCheck, ...]:
    """Each signature's integrity, changes after signing, signer and time (pyHanko, no trust root; one
    signature over the whole file: lean_signature.py, with the file's digests `hashed` and the file
    opened by pikepdf `lean_file` when the caller has them)."""
    lean = _lean_check(data, hashed, lean_file) if limits.max_signatures >= 1 else None
    if lean is not None:
        return (lean,)
    _speed_up_pyhanko_hex_strings()
    try:
        from pyhanko.pdf_utils.reader import PdfFileReader

        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            reader.decrypt("")
        embedded = reader.embedded_regular_signatures[: limits.max_signatures]
    except Exception as exc:
        return (SignatureCheck("", False, problem=short_error(exc)),)
    if not embedded:
        return (SignatureCheck("", False, problem="no readable signature"),)
    return tuple(_check_signature(sig, len(data)) for sig in embedded)


@functools.cache
def _speed_up_pyhanko_hex_strings() -> bool:
    """pyHanko reads hex strings one byte at a time; a signature's /Contents is a hex string of 16–60 kB,
    which made reading it most of the time spent on a signed file. This swaps in a reader that does the
    same for the usual case (hex digits and whitespace up to '>') and hands anything else back to
    pyHanko's own reader, so errors and odd cases behave exactly as before.

    It replaces a pyHanko internal, so it is guarded: only when the internals it relies on are there, and
    only when it reads sample strings exactly as pyHanko's own reader does; otherwise pyHanko is left as it
    is (slower on signed files, same results). Returns whether the faster reader is in place."""
    try:
        from pyhanko.pdf_utils import generic, misc

        original = generic.read_hex_string_from_stream
        whitespace = bytes(misc.PDF_WHITESPACE)
        hex_digits = generic.HEX_DIGITS
        pdf_string = generic.pdf_string
    except (ImportError, AttributeError, TypeError):
        return False

    def read_hex_string(stream):  # type: ignore[no-untyped-def]
        start = stream.tell()
        stream.read(1)
        chunks: list[bytes] = []
        while True:
            chunk = stream.read(16384)
            end = chunk.find(b">")
            if end >= 0 or not chunk:
                break
            chunks.append(chunk)
        digits = b"".join([*chunks, chunk[:end]]).translate(None, whitespace)
        if end < 0 or digits.translate(None, hex_digits):
            stream.seek(start)
            return original(stream)
        stream.seek(start + 1 + sum(map(len, chunks)) + end + 1)
        return pdf_string(binascii.unhexlify(digits + b"0" * (len(digits) % 2)))

    for sample in (b"<48656c6c6f>", b"<4 8 6\n5 6c>", b"<abc>", b"<>", b"<00ff10>"):
        try:
            same = _read_with(read_hex_string, sample) == _read_with(original, sample)
        except Exception:
            same = False
        if not same:
            return False
    generic.read_hex_string_from_stream = read_hex_string
    return True


def _read_with(reader: Any, data: bytes) -> tuple[Any, int]:
    """What a hex-string reader returns for `data`, and where it leaves the stream."""
    stream = io.BytesIO(data + b" rest")
    value = reader(stream)
    return (type(value), bytes(value) if isinstance(value, bytes | bytearray) else str(value)), stream.tell()


def _check_signature(sig: Any, file_size: int) -> SignatureCheck:
    from pyhanko.sign.validation.generic_cms import validate_sig_integrity

    name = str(sig.field_name)
    byte_range = list(sig.byte_range)
    covers_file_end = len(byte_range) == 4 and byte_range[2] + byte_range[3] == file_size
    try:
        sig.compute_integrity_info()
        content_type = sig.signed_data["encap_content_info"]["content_type"].native
        intact, valid = validate_sig_integrity(sig.signer_info, sig.signer_cert, content_type,
                                               sig.compute_digest())
        summary = sig.summarise_integrity_info()
        subject = sig.signer_cert.subject.native
        stamped = _timestamp_time(sig.signer_info)
    except Exception as exc:
        return SignatureCheck(name, covers_file_end, problem=short_error(exc))
    return _signature_check(name, covers_file_end, bool(intact), bool(valid), _changes(sig, summary), subject,
                            stamped or _self_reported_time(sig), stamped is not None)


def _lean_check(data: bytes, hashed: lean_signature.Hashed | None, lean_file: Any) -> SignatureCheck | None:
    """The check of the file's one signature over its whole content by lean_signature.py; None: pyHanko's."""
    verified = lean_signature.verify(data, hashed, lean_file)
    if verified is None:
        return None
    try:
        subject = verified.cert.subject.native
        stamped = None if verified.signer_info is None else _timestamp_time(verified.signer_info)
    except Exception:  # where the plain path reports a problem
        return None
    return _signature_check(verified.field, True, verified.intact, verified.valid, "none", subject,
                            stamped or lean_signature.self_reported_time(verified), stamped is not None)


def _signature_check(name: str, covers_file_end: bool, intact: bool, valid: bool, changes: Changes,
                     subject: dict[str, Any], signing_time: dt.datetime | None, timestamped: bool) -> SignatureCheck:
    return SignatureCheck(
        field=name, covers_file_end=covers_file_end, intact=intact, valid=valid, changes=changes,
        signer=_first(subject.get("common_name")), organisation=_first(subject.get("organization_name")),
        signing_time=signing_time, timestamped=timestamped,
    )


def _changes(sig: Any, summary: dict[str, Any]) -> Changes:
    from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
    from pyhanko.sign.validation import SignatureCoverageLevel

    coverage = summary["coverage"]
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return "none"
    diff = summary["diff_result"]
    if summary["docmdp_ok"] is False or not isinstance(diff, DiffResult):
        return "other"  # a change the signer's rules forbid, or one pyHanko cannot explain
    level = diff.modification_level
    if level == ModificationLevel.NONE:
        return "none"
    if level in (ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING):
        return "allowed"  # more signatures, validation data, form values
    return "annotations" if level == ModificationLevel.ANNOTATIONS else "other"


def _timestamp_time(signer_info: Any) -> dt.datetime | None:
    attributes = signer_info["unsigned_attrs"]
    if attributes.native is None:
        return None
    for attribute in attributes:
        if attribute["type"].native == "signature_time_stamp_token":
            token = attribute["values"][0]
            return token["content"]["encap_content_info"]["content"].parsed["gen_time"].native
    return None


def _self_reported_time(sig: Any) -> dt.datetime | None:
    try:
        return sig.self_reported_timestamp
    except Exception:  # a malformed /M date is no reason to fail the signature
        return None


def _first(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value or "")


# ------------------------------------------------------------------------------------------------
# Issues
# ------------------------------------------------------------------------------------------------


def pdf_issues(pdf: PdfCheck) -> Iterator[Problem]:
    if pdf.header_offset:
        yield issue("evidence.pdf_header_junk", str(pdf.header_offset))
    if pdf.too_complex:
        yield issue("evidence.pdf_too_complex", pdf.too_complex)
        return
    if not pdf.opens:
        yield issue("evidence.pdf_corrupt", pdf.error)
        return
    if pdf.needs_password:
        yield issue("evidence.pdf_encrypted")
        return
    if pdf.encrypted:
        yield issue("evidence.pdf_restricted")
    if pdf.error:
        yield issue("evidence.pdf_corrupt", pdf.error)
        return
    if not pdf.pages:
        yield issue("evidence.pdf_no_pages")
        return
    yield from _signature_issues(pdf.signatures)
    if not pdf.signed and pdf.layout in ("text", "blank"):
        yield issue("evidence.pdf_not_scan_or_signed")


def _signature_issues(signatures: tuple[SignatureCheck, ...]) -> Iterator[Problem]:
    rules = {"broken": "evidence.signature_broken", "modified": "evidence.modified_after_signing",
             "annotated": "evidence.annotated_after_signing",
             "unverifiable": "evidence.signature_unverifiable"}
    for sig in signatures:
        rule = rules.get(sig.state)
        if rule:
            yield issue(rule, sig.problem if sig.state == "unverifiable" else (sig.signer or sig.field))



def inspect_bundle(bundle: Bundle, limits: Limits = DEFAULT_LIMITS) -> list[FileCheck]:
    """The checks of every entry, in the bundle's order."""
    return [inspect_entry(entry, limits) for entry in bundle.entries]
