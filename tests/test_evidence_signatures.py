"""The lean signature check (evidence/lean_signature.py) gives exactly what pyHanko's path gives.

A corpus of signed PDFs, each compared with the fast paths on and with `CCHC_XL_FAST_EVIDENCE=0`:

| case                       | how it is made                                        | lean path serves it |
|----------------------------|-------------------------------------------------------|---------------------|
| valid                      | a typed document signed by the demo identity          | yes                 |
| signed scan                | a scan signed                                         | yes                 |
| sha512                     | signed with SHA-512 (not hashed in the file's pass)   | yes                 |
| timestamped                | with a timestamp token (pyHanko's dummy TSA)          | yes                 |
| byte flipped in the range  | one letter of the signed bytes changed                | yes (not intact)    |
| padding changed            | a zero of the /Contents padding changed (not signed)  | yes                 |
| signature value flipped    | one byte of the RSA signature changed                 | yes (not valid)     |
| certificate swapped        | the signer's certificate with another key             | no (pyHanko: problem) |
| signer missing             | a certificate with another serial number              | no (pyHanko: problem) |
| range short of the end     | the /ByteRange's last length made 100 bytes shorter   | no                  |
| bytes appended             | a comment added after the signed file                 | no                  |
| two signatures             | co-signed in a second field                           | no                  |
| updated after signing      | an incremental update writing over page 1             | no                  |
"""

from __future__ import annotations

import binascii
import datetime as dt
import re

import pytest
from asn1crypto import algos, cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cchc_xl.evidence import inspect, lean_signature, stream_scan
from cchc_xl.samplegen import pdfs


def _hole(data: bytes) -> tuple[int, int]:
    """Where the last signature's /Contents hex string sits (its `<` to after its `>`)."""
    found = lean_signature.last_byte_range(data, inspect._BYTE_RANGE)
    assert found is not None
    return found[1], found[2]


def _cms(data: bytes) -> bytes:
    start, end = _hole(data)
    return binascii.unhexlify(data[start + 1:end - 1])


def _with_cms(data: bytes, value: bytes) -> bytes:
    start, end = _hole(data)
    hexed = binascii.hexlify(value).upper().ljust(end - start - 2, b"0")
    assert len(hexed) == end - start - 2
    return data[:start + 1] + hexed + data[end - 1:]


def _replaced(data: bytes, old: bytes, new: bytes) -> bytes:
    value = _cms(data)
    assert len(old) == len(new) and old in value  # (pyHanko may embed the signer's certificate twice)
    return _with_cms(data, value.replace(old, new))


def _flip_signature_value(data: bytes) -> bytes:
    signature = cms.ContentInfo.load(_cms(data))["content"]["signer_infos"][0]["signature"].native
    changed = bytes([signature[0] ^ 0x01]) + signature[1:]
    return _replaced(data, signature, changed)


def _flip_padding(data: bytes) -> bytes:
    _, end = _hole(data)
    spot = end - 10  # in the zeros after the CMS value
    assert data[spot:spot + 1] == b"0"
    return data[:spot] + b"1" + data[spot + 1:]


def _protection_changed(data: bytes) -> bytes:
    """The algorithm-protection attribute naming SHA-512 where the signer used SHA-256 (same length)."""
    signer_info = cms.ContentInfo.load(_cms(data))["content"]["signer_infos"][0]
    attribute = next(a for a in signer_info["signed_attrs"] if a["type"].native == "cms_algorithm_protection").dump()
    sha256, sha512 = (algos.DigestAlgorithmId(name).dump() for name in ("sha256", "sha512"))
    assert sha256 in attribute
    return _replaced(data, attribute, attribute.replace(sha256, sha512))


def _other_certificate(serial_delta: int) -> bytes:
    """The demo certificate's names, dates and extensions with another key (and serial number)."""
    demo = pdfs.demo_identity().certificate
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = (x509.CertificateBuilder().subject_name(demo.subject).issuer_name(demo.issuer)
               .public_key(key.public_key()).serial_number(demo.serial_number + serial_delta)
               .not_valid_before(demo.not_valid_before_utc).not_valid_after(demo.not_valid_after_utc))
    for extension in demo.extensions:
        value = extension.value
        if isinstance(value, x509.SubjectKeyIdentifier):
            value = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        builder = builder.add_extension(value, extension.critical)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _narrowed(data: bytes) -> bytes:
    """The /ByteRange's last length 100 bytes short of the file's end (same width: the file keeps its
    offsets, the signed bytes change)."""
    match = list(re.finditer(rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]", data))[-1]
    shorter = str(int(match.group(4)) - 100).encode().rjust(len(match.group(4)))
    return data[:match.start(4)] + shorter + data[match.end(4):]


def _timestamped(document: bytes) -> bytes:
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    identity = pdfs.demo_identity(seed=3, name="Máy chủ dấu thời gian", organisation="Thử nghiệm")
    stamper = DummyTimeStamper(asn1_x509.Certificate.load(identity.certificate_der),
                               asn1_keys.PrivateKeyInfo.load(identity.key_der),
                               fixed_dt=dt.datetime(2022, 10, 1, 8, 0, tzinfo=dt.UTC))
    return pdfs.sign_pdf(document, timestamper=stamper)


@pytest.fixture(scope="module")
def corpus() -> dict[str, bytes]:
    typed = pdfs.text_pdf(seed=11, pages=2)
    valid = pdfs.sign_pdf(typed)
    demo_der = pdfs.demo_identity().certificate_der
    second = pdfs.demo_identity(seed=2, name="Trần Thị Bình", organisation="UBND xã Gia Phù")
    return {
        "valid": valid,
        "signed scan": pdfs.sign_pdf(pdfs.scan_pdf(seed=12, pages=1, dpi=72)),
        "sha512": pdfs.sign_pdf(typed, md_algorithm="sha512"),
        "timestamped": _timestamped(typed),
        "byte flipped in the range": pdfs.tamper_signed(valid),
        "padding changed": _flip_padding(valid),
        "signature value flipped": _flip_signature_value(valid),
        "algorithm protection changed": _protection_changed(valid),
        "certificate swapped": _replaced(valid, demo_der, _other_certificate(0)),
        "signer missing": _replaced(valid, demo_der, _other_certificate(1)),
        "range short of the end": _narrowed(valid),
        "bytes appended": valid + b"%% ghi chu them\n",
        "two signatures": pdfs.sign_pdf(valid, second, field_name="Signature2"),
        "updated after signing": pdfs.append_update(valid),
    }


LEAN = {"valid", "signed scan", "sha512", "timestamped", "byte flipped in the range", "padding changed",
        "signature value flipped"}


def _both_ways(monkeypatch: pytest.MonkeyPatch, check):  # type: ignore[no-untyped-def]
    fast = check()
    monkeypatch.setenv(stream_scan.SWITCH, "0")
    plain = check()
    monkeypatch.delenv(stream_scan.SWITCH)
    return fast, plain


def test_the_same_file_check_with_and_without_the_lean_path(corpus: dict[str, bytes],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    for name, data in corpus.items():
        fast, plain = _both_ways(monkeypatch, lambda data=data, name=name: inspect.inspect_file(f"{name}.pdf", data))
        assert fast == plain, name
        assert plain.pdf is not None and plain.pdf.signed, name
        again = _both_ways(monkeypatch, lambda data=data: inspect.verify_signatures(data))  # as approval/ calls it
        assert again[0] == again[1] == plain.pdf.signatures, name


def test_the_lean_path_serves_one_signature_over_the_whole_file_only(corpus: dict[str, bytes],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    served = {name for name, data in corpus.items()
              if lean_signature.verify(data, lean_signature.hash_file(data, inspect._BYTE_RANGE)) is not None}
    assert served == LEAN
    monkeypatch.setenv(stream_scan.SWITCH, "0")
    assert lean_signature.verify(corpus["valid"]) is None  # off


def test_the_corpus_reaches_every_outcome(corpus: dict[str, bytes]) -> None:
    """The lean cases are not all the same answer: intact, valid and the times differ where they should."""
    def signature(name: str) -> inspect.SignatureCheck:
        check = inspect.inspect_file(f"{name}.pdf", corpus[name])
        assert check.pdf is not None
        return check.pdf.signatures[0]

    assert signature("valid").state == signature("padding changed").state == "valid"
    assert (signature("byte flipped in the range").intact, signature("byte flipped in the range").valid) == (False, True)
    assert (signature("signature value flipped").intact, signature("signature value flipped").valid) == (True, False)
    assert signature("timestamped").timestamped and not signature("valid").timestamped
    assert signature("timestamped").signing_time == dt.datetime(2022, 10, 1, 8, 0, tzinfo=dt.UTC)
    assert signature("certificate swapped").state == signature("signer missing").state == "unverifiable"
    assert signature("algorithm protection changed").state == "unverifiable"  # (pyHanko's, not lean)
    assert signature("updated after signing").state == "modified"
    assert signature("valid").signer == "Nguyễn Văn An" and signature("valid").field == "Signature1"


def test_the_signed_range_is_hashed_in_the_files_pass(corpus: dict[str, bytes]) -> None:
    import hashlib

    for name, data in [*corpus.items(), ("unsigned", pdfs.text_pdf(seed=11)), ("empty", b"")]:
        hashed = lean_signature.hash_file(data, inspect._BYTE_RANGE)
        assert hashed.sha256 == hashlib.sha256(data).hexdigest(), name
        assert hashed.signed == inspect.has_signature(data), name
        if hashed.byte_range is not None:
            _, length, tail, tail_length = hashed.byte_range
            assert tail + tail_length == len(data)
            assert hashed.range_sha256 == hashlib.sha256(data[:length] + data[tail:]).digest(), name
    assert lean_signature.hash_file(corpus["valid"], inspect._BYTE_RANGE).byte_range is not None
    assert lean_signature.hash_file(corpus["bytes appended"], inspect._BYTE_RANGE).byte_range is None
