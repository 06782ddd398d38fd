"""One signature covering a whole PDF, verified without pyHanko's reader: the fast path of
`inspect.verify_signatures`.

pyHanko parses the file a second time (after the page checks), reads its cross-reference sections and
compares the signer's names by LDAP string preparation, twice; for the common case — one signature
whose /ByteRange reaches the file's end, so nothing was added after signing — none of that changes the
answer. Here the signature field is found through the AcroForm by pikepdf (the page checks' reader),
the signed bytes are hashed in the same pass as the file's sha256 (`hash_file`), and the CMS value is
checked step by step as pyHanko's `validate_sig_integrity` checks it: the signer certificate chosen by
issuer and serial number, its signing-certificate attribute, the algorithm-protection and content-type
attributes, the message digest, and the signature over the signed attributes with the certificate's
public key (`cryptography`).

Anything else gives None and pyHanko decides, as before: not exactly one filled signature field, a
/ByteRange that does not cover the file to its end, a document timestamp, a certification (/Reference)
or field lock, a sub-filter other than the two detached CMS ones, signed attributes missing, digest or
signature algorithms outside SHA-1/SHA-2 with RSA PKCS#1 v1.5 or ECDSA, field names that are not plain
ASCII, any warning of qpdf and any exception. Every path where pyHanko would report a problem (a missing
certificate, a malformed attribute) is such a case. Timestamp tokens are read as the plain path reads
them (their time, not verified: `inspect._timestamp_time`). Off with the evidence switch
(`CCHC_XL_FAST_EVIDENCE=0`). Equivalence: tests/test_evidence_signatures.py.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import re
from dataclasses import dataclass
from typing import Any

from cchc_xl.evidence import cms_der, stream_scan

ByteRange = tuple[int, int, int, int]
_HASHES = ("sha1", "sha224", "sha256", "sha384", "sha512")  # named alike by asn1crypto and hashlib
_SUB_FILTERS = ("/adbe.pkcs7.detached", "/ETSI.CAdES.detached")
MAX_FIELDS = 200  # form fields walked looking for the signature (past that: pyHanko)


@dataclass(frozen=True)
class Hashed:
    """A file's sha256 and, from the same pass, the sha256 of the bytes its last signature covers and
    where its `endstream` keywords start."""

    sha256: str  # hex, of the whole file
    signed: bool | None = None  # it holds a /ByteRange (inspect.has_signature); None: not searched
    byte_range: ByteRange | None = None  # the file's last /ByteRange, when it starts at 0 and reaches the end
    range_sha256: bytes = b""  # the digest of the bytes byte_range covers
    endstreams: tuple[int, ...] | None = None  # every start of b"endstream", ascending; None: not searched


@dataclass(frozen=True)
class Verified:
    """What the plain path reads from one signature that covers the whole file (no problem found)."""

    field: str
    intact: bool
    valid: bool
    signer_info: Any  # asn1crypto cms.SignerInfo; None: read by cms_der.py (it has no unsigned attributes)
    cert: Any  # asn1crypto x509.Certificate
    pdf_date: str | None  # the signature dictionary's /M
    signing_times: tuple[Any, ...] = ()  # the signing-time attribute's values (asn1crypto's, or datetimes)


# bytes hashed and searched together, while they are in the processor's cache (its 512 kB second level):
# per block, two searches and a copy of the hash state cost ~20 µs of Python on a slow machine, which
# made 64 kB blocks cost a tenth more than 256 kB ones on a scan (benchmarks/RESULTS.md, 2026-12-02 13:50)
BLOCK = 1 << 18


def hash_file(data: bytes, byte_range: re.Pattern[bytes]) -> Hashed:
    """The file's sha256; with the fast path on, from the same pass, whether it holds a /ByteRange
    (`byte_range`: inspect.py's pattern), the digest of the range the last one covers and the starts
    of its `endstream` keywords (inspect.stream_budget's search). One pass in blocks: each block hashed,
    then searched for both keywords while it is still in the cache (about a tenth less time than three
    passes over the file). The signature that covers the file sits near its end: looked for in the last
    block first, its hole is known before the pass and the hash state copied there; else the state is
    kept at each block's start and the signed range's digest goes on from the hole's block (its head
    hashed twice). Only the short tail after the hole is hashed twice either way."""
    if not stream_scan.enabled():
        return Hashed(hashlib.sha256(data).hexdigest())
    last = max(0, len(data) - BLOCK)  # the last block's /ByteRange starts, found first
    search = stream_scan.searcher(data)
    last_ranges = search(b"/ByteRange", last, len(data))
    hole = _hole(data, _last_byte_range_at(data, byte_range, last_ranges))
    view = memoryview(data)
    whole = hashlib.sha256()
    head = None  # the state at `hole`
    states = []
    ranges: list[int] = []
    endstreams: list[int] = []
    for start in range(0, len(data), BLOCK):
        stop = min(start + BLOCK, len(data))
        states.append(whole.copy())
        if hole is not None and start < hole <= stop:
            whole.update(view[start:hole])
            head = whole.copy()
            whole.update(view[hole:stop])
        else:
            whole.update(view[start:stop])
        if start < last:
            ranges += search(b"/ByteRange", start, min(stop, last))
        endstreams += search(b"endstream", start, stop)
    found = _last_byte_range_at(data, byte_range, ranges + last_ranges)
    if found is None:
        return Hashed(whole.hexdigest(), False, endstreams=tuple(endstreams))
    length = _hole(data, found)
    if length is None:
        return Hashed(whole.hexdigest(), True, endstreams=tuple(endstreams))
    if head is None or length != hole:
        block = min(length // BLOCK, len(states) - 1)
        head = states[block].copy()
        head.update(view[block * BLOCK:length])
    head.update(view[found[2]:])
    return Hashed(whole.hexdigest(), True, found, head.digest(), tuple(endstreams))


def _hole(data: bytes, found: ByteRange | None) -> int | None:
    """Where the hole of a /ByteRange that covers the file from its start to its end starts, or None."""
    if found is None:
        return None
    start, length, tail, tail_length = found
    return length if start == 0 and 0 < length <= tail and tail + tail_length == len(data) else None


def last_byte_range(data: bytes, pattern: re.Pattern[bytes]) -> ByteRange | None:
    """The last /ByteRange array of the file. None exactly when `pattern.search(data)` finds nothing:
    every match starts with the literal /ByteRange."""
    return _last_byte_range_at(data, pattern, stream_scan.all_starts(data, b"/ByteRange"))


def _last_byte_range_at(data: bytes, pattern: re.Pattern[bytes], starts: list[int]) -> ByteRange | None:
    """`last_byte_range`, the starts of the literal /ByteRange found (all of them, ascending)."""
    for pos in reversed(starts):
        m = pattern.match(data, pos)
        if m is not None:
            a, b, c, d = (int(g) for g in m.groups())
            return a, b, c, d
    return None


def verify(data: bytes, hashed: Hashed | None = None, pdf: Any = None) -> Verified | None:
    """The one signature of a file it covers to its end, or None: pyHanko decides. `pdf`: the file
    opened by pikepdf (lean_pdf.opened), else it is opened here."""
    if not stream_scan.enabled() or not data.startswith(b"%PDF-"):
        return None
    try:
        if pdf is not None:
            return _verify(data, hashed, pdf)
        import pikepdf

        with pikepdf.open(io.BytesIO(data)) as own:
            return None if own.is_encrypted else _verify(data, hashed, own)
    except Exception:  # qpdf's errors, asn1crypto's, anything unexpected: pyHanko reads it
        return None


def _verify(data: bytes, hashed: Hashed | None, pdf: Any) -> Verified | None:
    import pikepdf

    found = _signature_field(pikepdf, pdf)
    if found is None or pdf.get_warnings():
        return None
    name, sig = found
    byte_range = _byte_range(pikepdf, sig, len(data))
    contents = sig.get("/Contents")
    if byte_range is None or not isinstance(contents, pikepdf.String) or contents.is_indirect:
        return None
    cms_bytes = bytes(contents)
    # pyHanko's test for a signature over the entire file (SignatureCoverageLevel.ENTIRE_FILE)
    if byte_range[1] + byte_range[3] + 2 * len(cms_bytes) + 2 != len(data):
        return None
    pdf_date = sig.get("/M")
    if pdf_date is not None and not (isinstance(pdf_date, pikepdf.String) and _ascii(bytes(pdf_date))):
        return None
    checked = _check_cms(cms_bytes, data, byte_range, hashed)
    if checked is None:
        return None
    intact, valid, signer_info, cert, times = checked
    return Verified(name, intact, valid, signer_info, cert, None if pdf_date is None else str(pdf_date), times)


def _signature_field(pikepdf: Any, pdf: Any) -> tuple[str, Any] | None:
    """(fully qualified name, signature dictionary) of the one filled signature field, walked as
    pyHanko's `enumerate_sig_fields` walks the form; None for anything else."""
    form = pdf.Root.get("/AcroForm")
    if not isinstance(form, pikepdf.Dictionary):
        return None
    fields = form.get("/Fields")
    if not isinstance(fields, pikepdf.Array):
        return None
    found: list[tuple[str, Any]] = []
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Any, str, tuple[Any, ...]]] = [(fields, "", ())]
    while stack:
        kids, parent_name, parents = stack.pop()
        for field in reversed(list(kids)):
            if not isinstance(field, pikepdf.Dictionary) or not field.is_indirect or field.objgen in seen:
                return None
            seen.add(field.objgen)
            if len(seen) > MAX_FIELDS:
                return None
            if "/T" not in field:
                continue  # a bare widget: pyHanko skips it and what is below it
            title = field.get("/T")
            if not isinstance(title, pikepdf.String) or not _ascii(bytes(title)):
                return None
            name = bytes(title).decode("ascii")
            name = f"{parent_name}.{name}" if parent_name else name
            chain = (field, *parents)
            field_type = next((f.get("/FT") for f in chain if "/FT" in f), None)
            if field_type is not None and not isinstance(field_type, pikepdf.Name):
                return None
            if field_type == pikepdf.Name("/Sig") and "/V" in field:
                value = field.get("/V")
                if not isinstance(value, pikepdf.Dictionary) or not value.is_indirect or not len(value):
                    return None
                if "/Lock" in field:
                    return None  # pyHanko reads its permissions (a malformed one is a problem there)
                found.append((name, value))
            if "/Kids" in field:
                inner = field.get("/Kids")
                if not isinstance(inner, pikepdf.Array):
                    return None
                stack.append((inner, name, chain))
    if len(found) != 1:
        return None
    name, sig = found[0]
    if sig.get("/Type", pikepdf.Name("/Sig")) != pikepdf.Name("/Sig"):
        return None  # a document timestamp
    if str(sig.get("/SubFilter", "")) not in _SUB_FILTERS or "/Reference" in sig:
        return None
    return name, sig


def _byte_range(pikepdf: Any, sig: Any, size: int) -> ByteRange | None:
    value = sig.get("/ByteRange")
    if not isinstance(value, pikepdf.Array) or value.is_indirect or len(value) != 4:
        return None
    items = list(value)
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in items):
        return None
    start, length, tail, tail_length = (int(n) for n in items)
    if start != 0 or not 0 < length <= tail or tail + tail_length != size:
        return None
    return start, length, tail, tail_length


_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))


def _ascii(raw: bytes) -> bool:
    """Whether every byte is printable ASCII (nothing left once those are deleted)."""
    return not raw.translate(None, _PRINTABLE_ASCII)


def _check_cms(cms_bytes: bytes, data: bytes, byte_range: ByteRange,
               hashed: Hashed | None) -> tuple[bool, bool, Any, Any, tuple[Any, ...]] | None:
    """(intact, valid, signer info, signer certificate, signing times) as pyHanko's EmbeddedPdfSignature,
    extract_certs_for_validation and validate_sig_integrity find them, or None (pyHanko decides). The
    usual value read by walking its bytes (cms_der.py), any other by asn1crypto."""
    parts = cms_der.signer_parts(cms_bytes)
    if parts is not None:
        return _check_parts(parts, data, byte_range, hashed)
    return _check_asn1(cms_bytes, data, byte_range, hashed)


def _check_parts(parts: cms_der.SignerParts, data: bytes, byte_range: ByteRange,
                 hashed: Hashed | None) -> tuple[bool, bool, Any, Any, tuple[Any, ...]] | None:
    """`_check_cms` of a value read by cms_der.py: the checks of `_check_asn1` on its parts."""
    attributes = parts.attributes
    if parts.md_algorithm not in _HASHES:
        return None
    signing_cert = _signing_cert_attribute(attributes)
    content_type = attributes.get("content_type", [])
    if signing_cert is False or len(content_type) != 1 or len(parts.message_digests) != 1:
        return None
    if content_type[0] != cms_der.DATA:
        return None
    protection = attributes.get("cms_algorithm_protection", [])
    if len(protection) > 1 or (protection and not _algorithms_match(protection[0], parts.digest_algorithm,
                                                                   parts.signature_algorithm)):
        return None
    signer = _signer(parts.certificates, parts.sid, b"" if signing_cert is None else signing_cert[0],
                     signing_cert is not None and signing_cert[1])
    if signer is None:
        return None
    cert, key = signer
    valid = _signature_verifies(parts.signature, parts.signed_attrs, key,
                                _signed_digest_algorithm(parts.signature_algorithm), parts.md_algorithm)
    if valid is None:
        return None
    intact = _range_digest(data, byte_range, parts.md_algorithm, hashed) == parts.message_digests[0]
    return intact, valid, None, cert, parts.signing_times


@functools.lru_cache(maxsize=64)
def _signed_digest_algorithm(encoded: bytes) -> Any:
    """A signature algorithm identifier read by asn1crypto (the few a district sees, remembered)."""
    from asn1crypto import algos

    return algos.SignedDigestAlgorithm.load(encoded)


def _check_asn1(cms_bytes: bytes, data: bytes, byte_range: ByteRange,
                hashed: Hashed | None) -> tuple[bool, bool, Any, Any, tuple[Any, ...]] | None:
    """`_check_cms` by asn1crypto."""
    from asn1crypto import cms, core, tsp  # noqa: F401 (tsp names the signing-certificate-v2 attribute)

    message = cms.ContentInfo.load(cms_bytes)
    if message["content_type"].native != "signed_data":
        return None
    signed_data = message["content"]
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        return None
    signer_info = signer_infos[0]
    md_algorithm = signer_info["digest_algorithm"]["algorithm"].native.lower()
    encap = signed_data["encap_content_info"]
    if encap["content_type"].native != "data" or md_algorithm not in _HASHES:
        return None
    if signer_info["signed_attrs"] is core.VOID or signer_info["sid"].name != "issuer_and_serial_number":
        return None
    # the signed attributes' bytes taken first, as pyHanko takes them: reading values can mark asn1crypto
    # objects changed, and a changed object is encoded anew; the checks read a copy parsed from them
    signed_bytes = signer_info["signed_attrs"].untag().dump()
    attributes = _attributes(cms.CMSAttributes.load(signed_bytes))
    signature_algorithm = signer_info["signature_algorithm"]
    signing_cert = _signing_cert_attribute(attributes)
    content_type, message_digest = attributes.get("content_type", []), attributes.get("message_digest", [])
    if signing_cert is False or len(content_type) != 1 or len(message_digest) != 1:
        return None
    if content_type[0].native != "data" or not _algorithms_protected(attributes, signer_info):
        return None
    signer = _signer(signed_data["certificates"].untag().dump(), signer_info["sid"].chosen.dump(),
                     b"" if signing_cert is None else signing_cert[0].dump(),
                     signing_cert is not None and signing_cert[1])
    if signer is None:
        return None
    cert, key = signer
    embedded_digest = message_digest[0].native
    valid = _signature_verifies(signer_info["signature"].native, signed_bytes, key, signature_algorithm,
                                md_algorithm)
    if valid is None:
        return None
    intact = _range_digest(data, byte_range, md_algorithm, hashed) == embedded_digest
    return intact, valid, signer_info, cert, tuple(attributes.get("signing_time", ()))


def _attributes(signed_attrs: Any) -> dict[str, list[Any]]:
    """The values of each attribute type, in one pass (pyHanko's `find_unique_cms_attribute` walks the
    attributes once per type it looks for): a type whose list is not one value long is, there, missing
    or multi-valued."""
    values: dict[str, list[Any]] = {}
    for attribute in signed_attrs:
        values.setdefault(attribute["type"].native, []).extend(attribute["values"])
    return values


def _signing_cert_attribute(attributes: dict[str, list[Any]]) -> tuple[Any, bool] | bool | None:
    """pyHanko's `get_signing_cert_attr`: (the signing-certificate-v2 value, True), else (the v1 value,
    False), else None; False where pyHanko raises (one of them multi-valued)."""
    for name in ("signing_certificate_v2", "signing_certificate"):
        found = attributes.get(name, [])
        if len(found) > 1:
            return False
        if found:
            return found[0], name == "signing_certificate_v2"
    return None


def _algorithms_protected(attributes: dict[str, list[Any]], signer_info: Any) -> bool:
    """pyHanko's `validate_algorithm_protection` for signed data: no such attribute, or one whose digest
    and signature algorithms are the signer info's (False: pyHanko raises)."""
    protection = attributes.get("cms_algorithm_protection", [])
    if not protection:
        return True
    if len(protection) > 1:
        return False
    return _algorithms_match(protection[0].dump(), signer_info["digest_algorithm"].dump(),
                             signer_info["signature_algorithm"].dump())


@functools.lru_cache(maxsize=64)
def _algorithms_match(protection: bytes, digest_algorithm: bytes, signature_algorithm: bytes) -> bool:
    """The comparison of `_algorithms_protected`, by the encodings (one signer's are the same in every
    document it signs)."""
    from asn1crypto import algos, cms

    attribute = cms.CMSAlgorithmProtection.load(protection)
    signature = attribute["signature_algorithm"].native
    return bool(attribute["digest_algorithm"].native == algos.DigestAlgorithm.load(digest_algorithm).native
                and signature is not None
                and signature == algos.SignedDigestAlgorithm.load(signature_algorithm).native)


def _range_digest(data: bytes, byte_range: ByteRange, md_algorithm: str, hashed: Hashed | None) -> bytes:
    if hashed is not None and hashed.byte_range == byte_range and md_algorithm == "sha256":
        return hashed.range_sha256  # hashed with the file (hash_file)
    _, length, tail, tail_length = byte_range
    view = memoryview(data)
    digest = hashlib.new(md_algorithm, view[:length])
    digest.update(view[tail:tail + tail_length])
    return digest.digest()


@functools.lru_cache(maxsize=64)
def _signer(certificates: bytes, sid: bytes, signing_cert: bytes, v2: bool) -> tuple[Any, Any] | None:
    """(certificate, its public key loaded by `cryptography`) of the signer, as pyHanko chooses it
    among the CMS value's certificates (`certificates`: their SET) by issuer and serial number (`sid`)
    and checks it against the signing-certificate attribute (`signing_cert`, v2 or v1; none: b""), or
    None where pyHanko would not find it or would refuse it. Remembered by those bytes: one officer signs
    many documents with one certificate."""
    from asn1crypto import cms, tsp
    from cryptography.hazmat.primitives import serialization

    cert = _signer_cert(cms.CertificateSet.load(certificates), cms.IssuerAndSerialNumber.load(sid))
    attribute = ((tsp.SigningCertificateV2 if v2 else tsp.SigningCertificate).load(signing_cert)
                 if signing_cert else None)
    if cert is None or not _signing_certificate_matches(cert, attribute):
        return None
    if cert.public_key.algorithm not in ("rsa", "ec"):
        return None  # (pyHanko rewrites RSA-PSS keys; DSA needs parameters)
    return cert, serialization.load_der_public_key(cert.public_key.dump())


def _signer_cert(certificates: Any, sid: Any) -> Any:
    """The certificate pyHanko's `_partition_certs` takes for the signer (the last one matching the
    signer's issuer and serial number), or None."""
    chosen = None
    for choice in certificates:
        if choice.name != "certificate":
            continue
        cert = choice.chosen.untag()
        if _names_match(sid["issuer"].dump(), cert.issuer.dump(), True) and \
                sid["serial_number"] == cert["tbs_certificate"]["serial_number"]:
            chosen = cert
    return chosen


def _signing_certificate_matches(cert: Any, attribute: Any) -> bool:
    """pyHanko's `check_ess_certid` on the signing-certificate(-v2) attribute (none: no constraint)."""
    from asn1crypto import tsp, x509

    if attribute is None:
        return True
    certid = attribute["certs"][0]
    algorithm = "sha1" if isinstance(certid, tsp.ESSCertID) else certid["hash_algorithm"]["algorithm"].native
    if algorithm not in _HASHES or hashlib.new(algorithm, cert.dump()).digest() != certid["cert_hash"].native:
        return False
    issuer_serial = certid["issuer_serial"]
    if not issuer_serial:
        return True
    issuer = issuer_serial["issuer"]
    if isinstance(issuer, x509.GeneralNames):
        if len(issuer) != 1 or issuer[0].name != "directory_name":
            return False
        issuer = issuer[0].chosen.untag()
    # (pyHanko compares the tagged name's bytes there, which never equal the issuer's: so always prepared)
    return _names_match(issuer.dump(), cert.issuer.dump(), False) and \
        issuer_serial["serial_number"] == cert["tbs_certificate"]["serial_number"]


@functools.lru_cache(maxsize=256)
def _names_match(expected: bytes, actual: bytes, same_bytes: bool) -> bool:
    """pyHanko's issuer comparison (`match_issuer_serial`): the same bytes (where pyHanko compares them:
    `same_bytes`), or equal names after LDAP string preparation (False where a name cannot be prepared).
    Remembered per pair of encodings: the prepared comparison was most of pyHanko's time on a signed
    file, and the issuers are a few CAs."""
    from asn1crypto import x509

    if same_bytes and expected == actual:
        return True
    try:
        return bool(x509.Name.load(expected) == x509.Name.load(actual))
    except ValueError:
        return False


def _signature_verifies(signature: bytes, signed: bytes, key: Any, algorithm: Any,
                        md_algorithm: str) -> bool | None:
    """pyhanko_certvalidator's `_validate_raw` for RSA PKCS#1 v1.5 and ECDSA with SHA-1/SHA-2: whether
    the signature verifies; None for any other mechanism or key (pyHanko decides)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    try:
        mechanism = algorithm.signature_algo
    except ValueError:
        return None
    try:
        hash_name = algorithm.hash_algo
    except ValueError:
        hash_name = md_algorithm
    digests = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
               "sha512": hashes.SHA512}
    if hash_name not in digests:
        return None
    try:
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed, padding.PKCS1v15(), digests[hash_name]())
        elif mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed, ec.ECDSA(digests[hash_name]()))
        else:
            return None
    except InvalidSignature:
        return False
    return True


def self_reported_time(verified: Verified) -> dt.datetime | None:
    """pyHanko's `self_reported_timestamp` (the signing-time attribute, else /M), None where the plain
    path's `_self_reported_time` gives None."""
    from pyhanko.pdf_utils.generic import parse_pdf_date

    try:
        if len(verified.signing_times) == 1:  # (pyHanko's extract_self_reported_ts; several: as none)
            value = verified.signing_times[0]
            return value if isinstance(value, dt.datetime) else value.native  # type: ignore[no-any-return]
        return None if verified.pdf_date is None else parse_pdf_date(verified.pdf_date, strict=False)
    except Exception:
        return None
