"""The parts of a PDF signature's CMS value the lean signature check reads, found by walking its DER
bytes: the fast path of `lean_signature._check_cms`'s asn1crypto parse (about a third of a signed file's
check, asn1crypto building an object for every element it reaches).

Only the usual shape is read: a SignedData with one signer identified by issuer and serial number, its
certificates, detached `data` content, signed attributes of the six types the check knows (content type,
message digest, signing time, signing certificate v1/v2, algorithm protection) and no unsigned ones (a
timestamp token: asn1crypto reads it). Definite lengths, one-byte tags. Anything else — BER, another
structure, an unknown attribute, a time not in its plain form — gives None and asn1crypto reads the value
as before. Tests against asn1crypto's and pyHanko's answers: tests/test_evidence_cms_der.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


class _Unusual(Exception):
    """A value the walk leaves to asn1crypto."""


def oid(dotted: str) -> bytes:
    """The DER encoding (tag, length, content) of an object identifier."""
    numbers = [int(n) for n in dotted.split(".")]
    body = bytearray([40 * numbers[0] + numbers[1]])
    for n in numbers[2:]:
        chunk = [n & 0x7F]
        while n > 0x7F:
            n >>= 7
            chunk.append(0x80 | (n & 0x7F))
        body += bytes(reversed(chunk))
    return bytes([0x06, len(body)]) + bytes(body)


SIGNED_DATA = oid("1.2.840.113549.1.7.2")
DATA = oid("1.2.840.113549.1.7.1")
# the signed attributes read, by type, named as asn1crypto names them
ATTRIBUTES = {
    oid("1.2.840.113549.1.9.3"): "content_type",
    oid("1.2.840.113549.1.9.4"): "message_digest",
    oid("1.2.840.113549.1.9.5"): "signing_time",
    oid("1.2.840.113549.1.9.52"): "cms_algorithm_protection",
    oid("1.2.840.113549.1.9.16.2.12"): "signing_certificate",
    oid("1.2.840.113549.1.9.16.2.47"): "signing_certificate_v2",
}
DIGESTS = {  # digest algorithms by identifier, named as asn1crypto and hashlib name them
    oid("1.3.14.3.2.26"): "sha1",
    oid("2.16.840.1.101.3.4.2.4"): "sha224",
    oid("2.16.840.1.101.3.4.2.1"): "sha256",
    oid("2.16.840.1.101.3.4.2.2"): "sha384",
    oid("2.16.840.1.101.3.4.2.3"): "sha512",
}


@dataclass(frozen=True)
class SignerParts:
    """What the lean check reads of a CMS signature with one signer; encodings are DER, as asn1crypto's
    `dump()` gives them."""

    certificates: bytes  # the SignedData's certificates, as a SET
    sid: bytes  # the signer's IssuerAndSerialNumber
    digest_algorithm: bytes  # its AlgorithmIdentifier
    md_algorithm: str  # its name ('' when not one of DIGESTS)
    signed_attrs: bytes  # the signed attributes as a SET: the bytes the signature covers
    signature_algorithm: bytes  # the AlgorithmIdentifier
    signature: bytes  # the signature value
    attributes: dict[str, list[bytes]]  # each signed attribute's values (their encodings) by type name
    message_digests: tuple[bytes, ...]  # the message-digest attribute's values, read
    signing_times: tuple[dt.datetime, ...]  # the signing-time attribute's values, read


def _header(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the element at `pos`, which must end by `end`."""
    if pos + 2 > end:
        raise _Unusual("truncated")
    tag, first = buf[pos], buf[pos + 1]
    if tag & 0x1F == 0x1F:
        raise _Unusual("a multi-byte tag")
    start = pos + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if not 1 <= count <= 4 or start + count > end:
            raise _Unusual("an indefinite or long length")
        length = int.from_bytes(buf[start:start + count], "big")
        start += count
    if start + length > end:
        raise _Unusual("truncated")
    return tag, start, start + length


def _children(buf: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """The elements of a constructed value's content buf[start:end]: (tag, element start, content start,
    end)."""
    found = []
    pos = start
    while pos < end:
        tag, content, stop = _header(buf, pos, end)
        found.append((tag, pos, content, stop))
        pos = stop
    return found


def _set(content: bytes) -> bytes:
    """`content` as a SET's DER encoding (an implicitly tagged SET untagged, as asn1crypto's `untag().dump()`)."""
    size = len(content)
    if size < 0x80:
        return b"\x31" + bytes([size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return b"\x31" + bytes([0x80 | len(length)]) + length + content


def _expect(children: list[tuple[int, int, int, int]], tags: tuple[int, ...]) -> None:
    if tuple(child[0] for child in children) != tags:
        raise _Unusual("another structure")


def signer_parts(cms: bytes) -> SignerParts | None:
    """The parts of a ContentInfo's SignedData with one signer (bytes after the value, the /Contents
    padding, ignored as asn1crypto ignores them), or None: asn1crypto reads it."""
    try:
        return _signer_parts(cms)
    except (_Unusual, IndexError, ValueError):
        return None


def _signer_parts(buf: bytes) -> SignerParts:
    tag, start, end = _header(buf, 0, len(buf))
    if tag != 0x30:
        raise _Unusual("no ContentInfo")
    info = _children(buf, start, end)
    _expect(info, (0x06, 0xA0))
    if buf[info[0][1]:info[0][3]] != SIGNED_DATA:
        raise _Unusual("no SignedData")
    inner = _children(buf, info[1][2], info[1][3])
    _expect(inner, (0x30,))
    signed_data = _children(buf, inner[0][2], inner[0][3])
    tags = tuple(child[0] for child in signed_data)
    if tags not in ((0x02, 0x31, 0x30, 0xA0, 0x31), (0x02, 0x31, 0x30, 0xA0, 0xA1, 0x31)):
        raise _Unusual("another SignedData")  # (certificates required: without them asn1crypto decides)
    encap = _children(buf, signed_data[2][2], signed_data[2][3])
    if len(encap) != 1 or buf[encap[0][1]:encap[0][3]] != DATA:
        raise _Unusual("encapsulated content")
    certificates = signed_data[3]
    signers = _children(buf, signed_data[-1][2], signed_data[-1][3])
    _expect(signers, (0x30,))
    signer = _children(buf, signers[0][2], signers[0][3])
    _expect(signer, (0x02, 0x30, 0x30, 0xA0, 0x30, 0x04))  # no unsigned attributes
    digest = _children(buf, signer[2][2], signer[2][3])
    if not digest or digest[0][0] != 0x06:
        raise _Unusual("a digest algorithm")
    attributes: dict[str, list[bytes]] = {}
    for attr_tag, _pos, content, stop in _children(buf, signer[3][2], signer[3][3]):
        if attr_tag != 0x30:
            raise _Unusual("an attribute")
        parts = _children(buf, content, stop)
        _expect(parts, (0x06, 0x31))
        name = ATTRIBUTES.get(buf[parts[0][1]:parts[0][3]])
        if name is None:
            raise _Unusual("another attribute")
        values = attributes.setdefault(name, [])
        values += [buf[value[1]:value[3]] for value in _children(buf, parts[1][2], parts[1][3])]
    digests = tuple(_octet_string(value) for value in attributes.get("message_digest", ()))
    times = tuple(_time(value) for value in attributes.get("signing_time", ()))
    return SignerParts(
        message_digests=digests, signing_times=times,
        certificates=_set(buf[certificates[2]:certificates[3]]),
        sid=buf[signer[1][1]:signer[1][3]],
        digest_algorithm=buf[signer[2][1]:signer[2][3]],
        md_algorithm=DIGESTS.get(buf[digest[0][1]:digest[0][3]], ""),
        signed_attrs=_set(buf[signer[3][2]:signer[3][3]]),
        signature_algorithm=buf[signer[4][1]:signer[4][3]],
        signature=buf[signer[5][2]:signer[5][3]],
        attributes=attributes,
    )


def _octet_string(value: bytes) -> bytes:
    """The content of a primitive OCTET STRING's encoding."""
    tag, start, end = _header(value, 0, len(value))
    if tag != 0x04 or end != len(value):
        raise _Unusual("no octet string")
    return value[start:end]


def _time(value: bytes) -> dt.datetime:
    """A signing-time value (UTCTime or GeneralizedTime) in its plain form, YYMMDDHHMMSSZ or
    YYYYMMDDHHMMSSZ, as asn1crypto's `native` gives it (UTC)."""
    tag, start, end = _header(value, 0, len(value))
    text = value[start:end]
    digits = {0x17: 12, 0x18: 14}.get(tag)
    if digits is None or end != len(value) or len(text) != digits + 1 or text[-1:] != b"Z" \
            or not text[:-1].isdigit():
        raise _Unusual("a time in another form")
    numbers = text[:-1].decode("ascii")
    if tag == 0x17:
        short = int(numbers[:2])
        year, rest = (2000 + short if short < 50 else 1900 + short), numbers[2:]
    else:
        year, rest = int(numbers[:4]), numbers[4:]
    if year < 1:
        raise _Unusual("year 0")
    return dt.datetime(year, int(rest[0:2]), int(rest[2:4]), int(rest[4:6]), int(rest[6:8]), int(rest[8:10]),
                       tzinfo=dt.UTC)  # (a date that does not exist: ValueError, None)
