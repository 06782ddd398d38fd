"""The CMS walk (evidence/cms_der.py) reads a signature's value as asn1crypto reads it, and the lean check
gives on its parts the answer the asn1crypto path gives (and, through inspect_file, pyHanko's).

CMS values are built here with asn1crypto and signed with the demo key, over a short "document"
whose signed range is known:

| case                          | what differs from the usual value                       | walked | answer            |
|-------------------------------|---------------------------------------------------------|--------|-------------------|
| usual                         | content type, signing time, message digest, cert v2     | yes    | intact, valid     |
| tampered digest               | the message digest of other bytes                       | yes    | not intact        |
| signed attributes changed     | the signature made over other attributes                | yes    | not valid         |
| SHA-512 / SHA-1               | another digest and signature algorithm                  | yes    | intact, valid     |
| unknown digest algorithm      | SHA3-256 (not one the lean check serves)                | yes    | pyHanko decides   |
| algorithm protection          | the attribute, matching and not matching                | yes    | valid / pyHanko   |
| GeneralizedTime, 1990s        | the signing time in its other forms                     | yes    | its time          |
| time with fractions           | 20240102030405.5Z                                       | no     | asn1crypto's      |
| extra attribute               | a signed attribute of another type                      | no     | asn1crypto's      |
| two message digests           | the attribute with two values                           | yes    | pyHanko decides   |
| certificate chains            | the signer first, last, among others; missing           | yes    | its certificate   |
| signing certificate v1 / none | the ESS attribute of v1, or none                        | yes    | intact, valid     |
| unsigned attribute            | one of another type (timestamps: test_evidence_signatures) | no  | asn1crypto's      |
| truncated, BER lengths        | the value cut anywhere, an indefinite length            | no     | asn1crypto's      |
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from cchc_xl.evidence import cms_der, lean_signature
from cchc_xl.samplegen import pdfs

DOCUMENT = b"%PDF-1.7 signed part <hole> the rest of the signed part %%EOF"
HOLE = (DOCUMENT.index(b"<"), DOCUMENT.index(b">") + 1)
BYTE_RANGE = (0, HOLE[0], HOLE[1], len(DOCUMENT) - HOLE[1])
SIGNED = DOCUMENT[:HOLE[0]] + DOCUMENT[HOLE[1]:]
WHEN = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
HASHERS = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha512": hashes.SHA512}


def _identity(seed: int = 0) -> Any:
    return pdfs.demo_identity() if seed == 0 else pdfs.demo_identity(seed=seed, name=f"Người ký {seed}")


def _attribute(kind: str, *values: Any) -> cms.CMSAttribute:
    return cms.CMSAttribute({"type": kind, "values": list(values)})


def _usual_attributes(md: str = "sha256", signer: Any = None, content: bytes = SIGNED) -> list[Any]:
    signer = signer or _identity()
    return [
        _attribute("content_type", "data"),
        _attribute("signing_time", cms.Time({"utc_time": WHEN})),
        _attribute("message_digest", hashlib.new(md, content).digest()),
        _attribute("signing_certificate_v2", tsp.SigningCertificateV2(
            {"certs": [{"hash_algorithm": {"algorithm": "sha256"},
                        "cert_hash": hashlib.sha256(signer.certificate_der).digest()}]})),
    ]


def _value(attributes: list[Any], *, md: str = "sha256", signature_md: str | None = None,
           certificates: list[bytes] | None = None, signer: Any = None, sign_over: list[Any] | None = None,
           unsigned: list[Any] | None = None) -> bytes:
    """A ContentInfo of SignedData, its one signer's signature over `attributes` (or `sign_over`)."""
    signer = signer or _identity()
    cert = asn1_x509.Certificate.load(signer.certificate_der)
    signature_md = signature_md or md
    signed_attrs = cms.CMSAttributes(attributes)
    over = cms.CMSAttributes(sign_over) if sign_over is not None else signed_attrs
    hasher = HASHERS.get(signature_md, hashes.SHA256)
    signature = pdfs._private_key(signer).sign(over.dump(), padding.PKCS1v15(), hasher())
    info: dict[str, Any] = {
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
            {"issuer": cert.issuer, "serial_number": cert.serial_number})}),
        "digest_algorithm": {"algorithm": md},
        "signed_attrs": signed_attrs,
        "signature_algorithm": {"algorithm": f"{signature_md}_rsa"},
        "signature": signature,
    }
    if unsigned is not None:
        info["unsigned_attrs"] = cms.CMSAttributes(unsigned)
    certificates = [signer.certificate_der] if certificates is None else certificates
    signed_data = cms.SignedData({
        "version": "v1", "digest_algorithms": [{"algorithm": md}], "encap_content_info": {"content_type": "data"},
        "certificates": [cms.CertificateChoices({"certificate": asn1_x509.Certificate.load(c)})
                         for c in certificates],
        "signer_infos": [cms.SignerInfo(info)],
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump() + b"\0" * 64


def _protection(md: str, signature: str) -> Any:
    return _attribute("cms_algorithm_protection", cms.CMSAlgorithmProtection(
        {"digest_algorithm": {"algorithm": md}, "signature_algorithm": {"algorithm": signature}}))


def _answer(result: Any) -> Any:
    """A check's result compared: (intact, valid, the signer's certificate, the signing times' values)."""
    if result is None:
        return None
    intact, valid, _info, cert, times = result
    return intact, valid, cert.dump(), tuple(t if isinstance(t, dt.datetime) else t.native for t in times)


def _both(value: bytes) -> tuple[Any, Any]:
    """(the walk's answer or 'not walked', the asn1crypto path's answer)."""
    parts = cms_der.signer_parts(value)
    walked = "not walked" if parts is None else _answer(lean_signature._check_parts(parts, DOCUMENT, BYTE_RANGE, None))
    return walked, _answer(lean_signature._check_asn1(value, DOCUMENT, BYTE_RANGE, None))


def _same(value: bytes) -> Any:
    walked, plain = _both(value)
    assert walked == plain
    return walked


def _time_attributes(time: Any) -> list[Any]:
    attributes = _usual_attributes()
    attributes[1] = _attribute("signing_time", time)
    return attributes


def test_the_usual_value_is_read_as_asn1crypto_reads_it() -> None:
    value = _value(_usual_attributes())
    parts = cms_der.signer_parts(value)
    assert parts is not None
    signer_info = cms.ContentInfo.load(value)["content"]["signer_infos"][0]
    assert parts.signed_attrs == signer_info["signed_attrs"].untag().dump()  # what the signature covers
    assert parts.sid == signer_info["sid"].chosen.dump()
    assert parts.signature == signer_info["signature"].native
    assert parts.md_algorithm == "sha256" and parts.message_digests == (hashlib.sha256(SIGNED).digest(),)
    assert parts.signing_times == (WHEN,)
    assert cms.CertificateSet.load(parts.certificates).dump() == \
        cms.ContentInfo.load(value)["content"]["certificates"].untag().dump()
    assert _same(value) == (True, True, _identity().certificate_der, (WHEN,))


def test_tampered_digest_and_attributes() -> None:
    assert _same(_value(_usual_attributes(content=SIGNED + b"x")))[:2] == (False, True)
    other = _usual_attributes()
    other[1] = _attribute("signing_time", cms.Time({"utc_time": WHEN + dt.timedelta(days=1)}))
    assert _same(_value(_usual_attributes(), sign_over=other))[:2] == (True, False)


def test_algorithms() -> None:
    for md in ("sha512", "sha1"):
        assert _same(_value(_usual_attributes(md), md=md))[:2] == (True, True)
    # a digest the lean check does not serve: pyHanko decides (None), walked or not
    assert _both(_value(_usual_attributes("sha3_256"), md="sha3_256", signature_md="sha256")) == (None, None)
    # the digest named otherwise than the signature's: the digest is of other bytes
    assert _same(_value(_usual_attributes("sha256"), md="sha512", signature_md="sha256"))[:2] == (False, True)
    matching = [*_usual_attributes(), _protection("sha256", "sha256_rsa")]
    assert _same(_value(matching))[:2] == (True, True)
    assert _both(_value([*_usual_attributes(), _protection("sha512", "sha256_rsa")])) == (None, None)
    assert _both(_value([*_usual_attributes(), _protection("sha256", "sha256_rsa"),
                         _protection("sha256", "sha256_rsa")])) == (None, None)


def test_signing_times_in_their_forms() -> None:
    old = dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
    for time, expected in ((cms.Time({"utc_time": old}), old),
                           (cms.Time({"generalized_time": WHEN}), WHEN),
                           (cms.Time({"generalized_time": dt.datetime(2051, 5, 6, 7, 8, 9, tzinfo=dt.UTC)}),
                            dt.datetime(2051, 5, 6, 7, 8, 9, tzinfo=dt.UTC))):
        assert _same(_value(_time_attributes(time)))[3] == (expected,)
    fractions = core.GeneralizedTime.load(b"\x18\x1120240102030405.5Z")
    value = _value(_time_attributes(fractions))
    assert cms_der.signer_parts(value) is None  # another form: asn1crypto reads it
    assert _both(value)[1] is not None
    without = [a for a in _usual_attributes() if a["type"].native != "signing_time"]
    assert _same(_value(without))[3] == ()
    two = [*_usual_attributes(), _attribute("signing_time", cms.Time({"utc_time": WHEN}))]
    assert len(_same(_value(two))[3]) == 2


def test_an_attribute_of_another_type_is_left_to_asn1crypto() -> None:
    extra = [*_usual_attributes(), _attribute("1.2.3.4.5", core.UTF8String("ghi chú"))]
    value = _value(extra)
    assert cms_der.signer_parts(value) is None
    assert _both(value)[1][:2] == (True, True)


def test_an_attribute_with_two_values() -> None:
    attributes = _usual_attributes()
    attributes[2] = _attribute("message_digest", hashlib.sha256(SIGNED).digest(), b"\0" * 32)
    assert _both(_value(attributes)) == (None, None)
    no_type = [a for a in _usual_attributes() if a["type"].native != "content_type"]
    assert _both(_value(no_type)) == (None, None)


def test_certificate_chains() -> None:
    signer, other, third = _identity(), _identity(2), _identity(3)
    for chain in ([signer.certificate_der, other.certificate_der],
                  [other.certificate_der, third.certificate_der, signer.certificate_der]):
        assert _same(_value(_usual_attributes(), certificates=chain))[2] == signer.certificate_der
    assert _both(_value(_usual_attributes(), certificates=[other.certificate_der])) == (None, None)
    # the ESS attribute naming another certificate than the signer's
    assert _both(_value(_usual_attributes(signer=other), certificates=[signer.certificate_der])) == (None, None)
    v1 = _usual_attributes()
    v1[3] = _attribute("signing_certificate", tsp.SigningCertificate(
        {"certs": [{"cert_hash": hashlib.sha1(signer.certificate_der).digest()}]}))
    assert _same(_value(v1))[:2] == (True, True)
    assert _same(_value(_usual_attributes()[:3]))[:2] == (True, True)  # no ESS attribute


def test_unsigned_attributes_truncation_and_ber_are_left_to_asn1crypto() -> None:
    stamped = _value(_usual_attributes(), unsigned=[_attribute("1.2.3.4.6", core.UTF8String("x"))])
    assert cms_der.signer_parts(stamped) is None
    value = _value(_usual_attributes())
    end = len(value) - 64
    for cut in range(0, end, 37):
        assert cms_der.signer_parts(value[:cut]) is None, cut
    assert cms_der.signer_parts(value[:end]) is not None
    indefinite = b"\x30\x80" + value[4:end] + b"\0\0"  # the outer SEQUENCE (a two-byte length) made BER
    assert value[1] == 0x82 and cms_der.signer_parts(indefinite) is None
    assert cms_der.signer_parts(b"") is None and cms_der.signer_parts(b"\x30") is None


@pytest.mark.parametrize("dotted", ["1.2.840.113549.1.9.3", "2.16.840.1.101.3.4.2.1", "1.3.14.3.2.26",
                                    "1.2.840.113549.1.9.16.2.47"])
def test_object_identifiers_are_encoded_as_asn1crypto_encodes_them(dotted: str) -> None:
    assert cms_der.oid(dotted) == core.ObjectIdentifier(dotted).dump()
    assert algos.DigestAlgorithmId("sha256").dump() == cms_der.oid("2.16.840.1.101.3.4.2.1")


def _embedded(signed_pdf: bytes, make: Any) -> bytes:
    """`signed_pdf` with its CMS value replaced by `make(signed bytes)`, padded into the same hole."""
    from cchc_xl.evidence import inspect

    found = lean_signature.last_byte_range(signed_pdf, inspect._BYTE_RANGE)
    assert found is not None
    _, start, end, _ = found
    value = make(signed_pdf[:start] + signed_pdf[end:]).rstrip(b"\0").hex().upper().encode()
    assert len(value) <= end - start - 2
    return signed_pdf[:start + 1] + value.ljust(end - start - 2, b"0") + signed_pdf[end - 1:]


def test_pdfs_signed_with_these_values_get_pyhankos_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    from cchc_xl.evidence import inspect, stream_scan

    signed_pdf = pdfs.sign_pdf(pdfs.text_pdf(seed=5, pages=1))
    signer, other = _identity(), _identity(2)
    cases = {
        "usual": lambda content: _value(_usual_attributes(content=content)),
        "tampered digest": lambda content: _value(_usual_attributes(content=content + b"x")),
        "sha512": lambda content: _value(_usual_attributes("sha512", content=content), md="sha512"),
        "chain": lambda content: _value(_usual_attributes(content=content),
                                        certificates=[other.certificate_der, signer.certificate_der]),
        "extra attribute": lambda content: _value([*_usual_attributes(content=content),
                                                   _attribute("1.2.3.4.5", core.UTF8String("ghi chú"))]),
        "no ESS attribute": lambda content: _value(_usual_attributes(content=content)[:3]),
    }
    answers = {}
    for name, make in cases.items():
        data = _embedded(signed_pdf, make)
        fast = inspect.inspect_file(f"{name}.pdf", data)
        monkeypatch.setenv(stream_scan.SWITCH, "0")
        plain = inspect.inspect_file(f"{name}.pdf", data)
        monkeypatch.delenv(stream_scan.SWITCH)
        assert fast == plain, name
        assert fast.pdf is not None
        answers[name] = fast.pdf.signatures[0].state
    assert answers["usual"] == answers["chain"] == answers["sha512"] == answers["no ESS attribute"] == "valid"
    assert answers["tampered digest"] == "broken"
