"""Deterministic evidence PDFs: a typed document, a scan-like (image-only) copy, signed, encrypted, tampered.

The same seed and arguments give the same bytes on the same machine. A TrueType font with Vietnamese
letters is looked up on the system and embedded, so a machine with other fonts gives other (equally
deterministic) bytes. The demo signer's RSA key is derived from the seed, never stored: it is a demo
certificate that nobody trusts, for showing what the tool checks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import io
import math
import random
import re
import textwrap
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from PIL import Image, ImageDraw, ImageFont
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import DocumentMetadata
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, ByteStringObject
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

VN_TZ = dt.timezone(dt.timedelta(hours=7))
DEMO_SIGNING_TIME = dt.datetime(2022, 9, 30, 9, 30, tzinfo=VN_TZ)

# Times New Roman or a metric-compatible substitute first (official documents use it), then any
# font with Vietnamese letters.
_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "C:/Windows/Fonts/times.ttf",
    "/System/Library/Fonts/Supplemental/Times New Roman.ttf",
    "/Library/Fonts/Times New Roman.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "C:/Windows/Fonts/arial.ttf",
)
_RL_FONT = "EvidenceSerif"


@dataclass(frozen=True)
class DocSpec:
    """What the sample document says about itself (domain.md §7)."""

    commune: str = "Gia Phù"
    kind: str = "KẾ HOẠCH"
    number: str = "12/KH-UBND"
    issued: dt.date = dt.date(2022, 1, 15)
    subject: str = "Cải cách hành chính năm 2022"
    signer: str = "Nguyễn Văn An"


# ------------------------------------------------------------------------------------------------
# Text of the document
# ------------------------------------------------------------------------------------------------

_SENTENCES = (
    "Thực hiện Quyết định số 1550/QĐ-UBND ngày 07/9/2022 của UBND huyện Phù Yên về tiêu chí đánh giá "
    "chỉ số cải cách hành chính năm 2022 của UBND các xã, thị trấn.",
    "Ủy ban nhân dân xã tổ chức quán triệt, triển khai nhiệm vụ cải cách hành chính đến toàn thể cán bộ, "
    "công chức và người dân trên địa bàn.",
    "Bộ phận tiếp nhận và trả kết quả thực hiện niêm yết công khai đầy đủ thủ tục hành chính theo quy định.",
    "Tỷ lệ hồ sơ thủ tục hành chính được giải quyết đúng hạn đạt 100%, không có hồ sơ trễ hạn.",
    "Tiếp tục đẩy mạnh ứng dụng công nghệ thông tin, sử dụng chữ ký số trong gửi, nhận văn bản điện tử.",
    "Công tác tuyên truyền về cải cách hành chính được thực hiện thường xuyên qua hệ thống loa truyền thanh.",
    "Kiểm tra việc thực hiện nhiệm vụ cải cách hành chính tại các thôn, bản theo kế hoạch đã đề ra.",
    "Rà soát, đánh giá thủ tục hành chính, kiến nghị đơn giản hóa các thủ tục không còn phù hợp.",
    "Thực hiện nghiêm kỷ luật, kỷ cương hành chính, đạo đức công vụ của đội ngũ cán bộ, công chức xã.",
    "Công khai dự toán, quyết toán ngân sách xã theo đúng quy định của Luật Ngân sách nhà nước.",
    "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính, cung cấp dịch vụ công trực tuyến toàn trình.",
    "Khảo sát mức độ hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành chính nhà nước.",
)


def _document_pages(spec: DocSpec, seed: int, pages: int) -> list[list[str]]:
    """The document's lines, page by page ('#' marks a centred bold-ish line, '' a blank line)."""
    rng = random.Random(seed)
    body: list[str] = []
    for n in range(1, 8 * pages):
        sentence = " ".join(rng.choice(_SENTENCES) for _ in range(rng.randint(1, 3)))
        body += [*textwrap.wrap(f"{n}. {sentence}", 84), ""]
    first = [
        f"UBND XÃ {spec.commune.upper()}                     CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "                                                     Độc lập - Tự do - Hạnh phúc",
        f"Số: {spec.number}",
        f"                                         {spec.commune}, ngày {spec.issued:%d} tháng "
        f"{spec.issued:%m} năm {spec.issued:%Y}",
        "",
        f"#{spec.kind}",
        f"#{spec.subject}",
        "",
    ]
    per_page = 44
    lines = first + body
    chunks = [lines[i * per_page:(i + 1) * per_page] for i in range(pages)]
    chunks[-1] = [
        *chunks[-1][: per_page - 5],
        "",
        "                                                         TM. ỦY BAN NHÂN DÂN",
        "                                                                   CHỦ TỊCH",
        "",
        f"                                                              {spec.signer}",
    ]
    return chunks


# ------------------------------------------------------------------------------------------------
# Fonts
# ------------------------------------------------------------------------------------------------


@functools.cache
def _font_path() -> Path | None:
    for candidate in _FONT_CANDIDATES:
        path = Path(candidate)
        if path.is_file():
            return path
    return None


@functools.cache
def _reportlab_font() -> str:
    path = _font_path()
    if path is None:
        return "Times-Roman"
    pdfmetrics.registerFont(TTFont(_RL_FONT, str(path)))
    return _RL_FONT


def _printable(text: str, font: str) -> str:
    """Built-in PDF fonts have no Vietnamese letters: fold them when no TrueType font was found."""
    if font != "Times-Roman":
        return text
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


@functools.cache
def _pil_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _font_path()
    return ImageFont.truetype(str(path), size) if path else ImageFont.load_default()


# ------------------------------------------------------------------------------------------------
# Typed (text-layer) and scan-like (image-only) documents
# ------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _binary_streams() -> Iterator[None]:
    """Streams compressed but not ASCII85-armoured (reportlab's default), as office software writes them."""
    saved = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = saved


@_binary_streams()
def text_pdf(seed: int = 0, pages: int = 1, spec: DocSpec = DocSpec()) -> bytes:
    """A typed document with a text layer, as exported from a word processor."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    pdf.setTitle(f"{spec.kind.capitalize()} {spec.number}")
    pdf.setAuthor(f"UBND xã {spec.commune}")
    font = _reportlab_font()
    width, height = A4
    for lines in _document_pages(spec, seed, pages):
        y = height - 60
        for line in lines:
            text = _printable(line.removeprefix("#"), font)
            pdf.setFont(font, 13)
            if line.startswith("#"):
                pdf.drawCentredString(width / 2, y, text)
            else:
                pdf.drawString(60, y, text)
            y -= 17
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@_binary_streams()
def scan_pdf(seed: int = 0, pages: int = 1, spec: DocSpec = DocSpec(), *, dpi: int = 100,
             quality: int = 70, page_seeds: list[int] | None = None, title: str = "Scanned document") -> bytes:
    """An image-only PDF, one grey JPEG per page, like a paper document put through a scanner.

    `page_seeds` picks each page's image from a shared pool (the benchmark reuses page images across
    files to generate thousands of files quickly, and gives each its own `title` to keep them distinct);
    by default every page is drawn from `seed`.
    """
    seeds = page_seeds or [seed * 1000 + n for n in range(pages)]
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(title)
    width, height = A4
    for page_seed in seeds:
        jpeg = scan_page_jpeg(page_seed, spec, dpi, quality)
        pdf.drawImage(ImageReader(io.BytesIO(jpeg)), 0, 0, width=width, height=height)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@functools.lru_cache(maxsize=128)
def scan_page_jpeg(page_seed: int, spec: DocSpec = DocSpec(), dpi: int = 100, quality: int = 70) -> bytes:
    """One scanned page: the document's text drawn into a slightly grey, speckled bitmap."""
    rng = random.Random(page_seed)
    scale = dpi / 72
    size = (round(A4[0] * scale), round(A4[1] * scale))
    image = Image.new("L", size, 244)
    draw = ImageDraw.Draw(image)
    font = _pil_font(round(13 * scale))
    lines = _document_pages(spec, page_seed, 1)[0]
    y = 60 * scale
    for line in lines:
        text = line.removeprefix("#")
        x = (size[0] - draw.textlength(text, font=font)) / 2 if line.startswith("#") else 60 * scale
        draw.text((x + rng.uniform(-2, 2), y), text, fill=rng.randint(20, 60), font=font)
        y += 17 * scale
    for _ in range(400):  # scanner dust
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.point((x, y), fill=rng.randint(90, 200))
    draw.rectangle((0, 0, round(6 * scale), size[1]), fill=200)  # shadow of the page edge
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, dpi=(dpi, dpi))
    return out.getvalue()


# ------------------------------------------------------------------------------------------------
# Demo signer: deterministic RSA key and self-made certificate
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoIdentity:
    """A self-made signing certificate and its key (demo only: no one trusts it)."""

    certificate_der: bytes
    key_der: bytes  # PKCS#8, unencrypted

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.certificate_der)


def _small_primes(limit: int) -> list[int]:
    sieve = bytearray([1]) * limit
    sieve[:2] = b"\0\0"
    for n in range(2, int(limit**0.5) + 1):
        if sieve[n]:
            sieve[n * n::n] = bytearray(len(sieve[n * n::n]))
    return [n for n in range(3, limit) if sieve[n]]


_SMALL_PRIMES_PRODUCT = math.prod(_small_primes(10_000))


def _probable_prime(n: int, rng: random.Random, rounds: int = 8) -> bool:
    """Miller–Rabin; 8 random bases are ample for random 1024-bit candidates (FIPS 186-4, table C.2)."""
    if math.gcd(n, _SMALL_PRIMES_PRODUCT) != 1:
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(rng: random.Random, bits: int, e: int) -> int:
    while True:
        candidate = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if (candidate - 1) % e and _probable_prime(candidate, rng):
            return candidate


@functools.cache
def _rsa_key(seed: int, bits: int = 2048) -> rsa.RSAPrivateKey:
    """An RSA key derived from the seed (cryptography cannot seed its own key generation)."""
    rng = random.Random(f"cchc-xl demo RSA key {seed}")
    e = 65537
    p = _prime(rng, bits // 2, e)
    q = _prime(rng, bits // 2, e)
    p, q = max(p, q), min(p, q)
    d = pow(e, -1, (p - 1) * (q - 1))
    public = rsa.RSAPublicNumbers(e, p * q)
    private = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), public)
    return private.private_key()


@functools.cache
def demo_identity(seed: int = 0, name: str = "Nguyễn Văn An",
                  organisation: str = "UBND xã Gia Phù") -> DemoIdentity:
    """A self-signed certificate for digital signatures, with the non-repudiation key usage."""
    key = _rsa_key(seed)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Sơn La"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, name),
    ])
    serial = int.from_bytes(hashlib.sha256(f"{seed}:{name}".encode()).digest()[:16], "big") >> 1
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(dt.datetime(2022, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False,
                          crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return DemoIdentity(cert.public_bytes(serialization.Encoding.DER), key_der)


# ------------------------------------------------------------------------------------------------
# Signing and incremental updates (pyHanko), made deterministic
# ------------------------------------------------------------------------------------------------


@dataclass
class _FixedClockMetadata(DocumentMetadata):
    """pyHanko stamps /ModDate with the wall clock; this pins it to a given moment."""

    clock: dt.datetime | None = None

    def __setattr__(self, name: str, value: object) -> None:
        if name == "last_modified" and value == "now" and getattr(self, "clock", None) is not None:
            value = self.clock
        super().__setattr__(name, value)


class _DeterministicWriter(IncrementalPdfFileWriter):
    """An incremental writer whose new file id and modification date do not depend on chance or time."""

    def __init__(self, data: bytes, clock: dt.datetime) -> None:
        super().__init__(io.BytesIO(data), strict=False)
        self._meta = _FixedClockMetadata(clock=clock)
        digest = hashlib.sha256(data).digest()
        self._document_id = generic.ArrayObject([self._document_id[0], generic.ByteStringObject(digest[:16])])


@functools.cache
def _private_key(identity: DemoIdentity) -> rsa.RSAPrivateKey:
    key = serialization.load_der_private_key(identity.key_der, None, unsafe_skip_rsa_key_validation=True)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


class _PreloadedKeySigner(signers.SimpleSigner):
    """pyHanko re-loads and re-validates the private key for every signature (~35 ms for RSA-2048);
    the demo key is loaded once. pyHanko's default RSA mechanism, PKCS#1 v1.5, is kept."""

    def __init__(self, key: rsa.RSAPrivateKey, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        return self._key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


class _FixedTimeSigner(signers.PdfSigner):
    def __init__(self, *args: object, signing_time: dt.datetime, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out, existing_fields_only=False):  # type: ignore[no-untyped-def]
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._signing_time
        return session


def sign_pdf(data: bytes, identity: DemoIdentity | None = None, *,
             signing_time: dt.datetime = DEMO_SIGNING_TIME, field_name: str = "Signature1",
             reason: str = "Ký số văn bản", location: str = "Phù Yên, Sơn La", md_algorithm: str = "sha256",
             timestamper: Any = None) -> bytes:
    """`data` signed by the demo identity (an invisible signature in a new field); `timestamper`: a
    pyHanko TimeStamper whose token is added to the signature."""
    identity = identity or demo_identity()
    cert = asn1_x509.Certificate.load(identity.certificate_der)
    signer = _PreloadedKeySigner(
        _private_key(identity),
        signing_cert=cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(identity.key_der),
        cert_registry=SimpleCertificateStore.from_certs([cert]),
    )
    meta = signers.PdfSignatureMetadata(field_name=field_name, reason=reason, location=location,
                                        md_algorithm=md_algorithm)
    pdf_signer = _FixedTimeSigner(meta, signer, signing_time=signing_time, timestamper=timestamper,
                                  new_field_spec=fields.SigFieldSpec(sig_field_name=field_name))
    out = io.BytesIO()
    pdf_signer.sign_pdf(_DeterministicWriter(data, signing_time), output=out)
    return out.getvalue()


def append_update(data: bytes, text: str = "DA SUA SAU KHI KY",
                  when: dt.datetime = DEMO_SIGNING_TIME + dt.timedelta(days=1)) -> bytes:
    """`data` with an incremental update that writes `text` over page 1: a change after signing."""
    writer = _DeterministicWriter(data, when)
    content = f"BT /CchcF1 28 Tf 120 420 Td ({text}) Tj ET".encode("ascii")
    stream_ref = writer.add_object(generic.StreamObject(stream_data=content))
    font = generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Font"),
        generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
        generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica-Bold"),
    })
    resources = generic.DictionaryObject({
        generic.NameObject("/Font"): generic.DictionaryObject({generic.NameObject("/CchcF1"): font}),
    })
    writer.add_stream_to_page(0, stream_ref, resources=resources)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def tamper_signed(data: bytes) -> bytes:
    """`data` with one byte changed inside the first signed byte range (the file still parses)."""
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)", data)
    if match is None:
        raise ValueError("not a signed PDF")
    signed_end = int(match.group(2))
    spot = data.find(b"ReportLab Generated", 0, signed_end)
    if spot < 0:
        spot = data.find(b"/Producer (", 0, signed_end) + len(b"/Producer (")
    if spot <= 0:
        raise ValueError("no harmless byte to change in the signed range")
    changed = bytearray(data)
    changed[spot] ^= 0x20  # flip the letter's case: same length, same structure
    return bytes(changed)


# ------------------------------------------------------------------------------------------------
# Encryption
# ------------------------------------------------------------------------------------------------


def encrypt_pdf(data: bytes, *, user_password: str = "", owner_password: str = "chu-so-huu") -> bytes:
    """`data` encrypted (RC4-128: deterministic, unlike AES whose IVs are random).

    An empty user password gives an owner-password-only file: it opens without asking, with restrictions.
    """
    writer = _FixedIdPdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.fixed_id = hashlib.sha256(data).digest()
    writer.encrypt(user_password, owner_password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class _FixedIdPdfWriter(PdfWriter):
    """pypdf draws the file id from a random source; an id derived from the input keeps output stable."""

    fixed_id = b"\0" * 32

    def generate_file_identifiers(self) -> None:
        self._ID = ArrayObject([ByteStringObject(self.fixed_id[:16]), ByteStringObject(self.fixed_id[16:])])
