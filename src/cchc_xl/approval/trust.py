"""Who signed an approval PDF, and whether the district trusts them.

The integrity of every signature is checked by the evidence checks (`evidence.inspect.verify_signatures`,
pyHanko). This adds the signer's certificate and a trust decision: a folder of certificates (`.cer`, `.crt`
or `.pem`, DER or PEM; e.g. the roots of the government CA that the district installs) is the trust store;
a signer is trusted when its certificate is in the folder or issued, through certificates of the folder,
by one of them (each issuer's signature on the certificate verified). No network: revocation is not
checked.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

_SUFFIXES = {".cer", ".crt", ".pem", ".der"}
_MAX_DEPTH = 5


@dataclass(frozen=True)
class Signer:
    subject: str  # the certificate's subject, as RFC 4514 text
    certificate: bytes  # DER


def signers(data: bytes) -> list[Signer]:
    """The signer certificate of each signature of the PDF (empty when none can be read)."""
    try:
        from pyhanko.pdf_utils.reader import PdfFileReader

        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            reader.decrypt("")
        out = []
        for sig in reader.embedded_regular_signatures:
            der = sig.signer_cert.dump()
            out.append(Signer(x509.load_der_x509_certificate(der).subject.rfc4514_string(), der))
        return out
    except Exception:  # a malformed signature is reported by the integrity check
        return []


class TrustStore:
    def __init__(self, folder: Path | None):
        self.folder = folder
        self.certificates: list[x509.Certificate] = []
        if folder is not None and folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.suffix.lower() in _SUFFIXES and path.is_file():
                    self.certificates += _load(path.read_bytes())

    def __bool__(self) -> bool:
        return bool(self.certificates)

    def trusts(self, der: bytes) -> bool:
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError:
            return False
        known = {c.fingerprint(hashes.SHA256()) for c in self.certificates}
        for _ in range(_MAX_DEPTH):
            if cert.fingerprint(hashes.SHA256()) in known:
                return True
            issuer = next((c for c in self.certificates if c.subject == cert.issuer and _issued(cert, c)), None)
            if issuer is None:
                return False
            if issuer.subject == issuer.issuer:
                return True
            cert = issuer
        return False


def _issued(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except Exception:
        return False


def _load(data: bytes) -> list[x509.Certificate]:
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        return []  # not a certificate: ignored

