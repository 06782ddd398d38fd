"""Helpers for the evidence tests: sample files, hand-made zips, digests of inputs.

Imported by tests/test_evidence_*.py (like criteria_tables.py); not a pytest conftest.
"""

from __future__ import annotations

import functools
import hashlib
import io
import unicodedata
import zipfile
from pathlib import Path

from PIL import Image

from cchc_xl.records import RegisterRow
from cchc_xl.samplegen import pdfs

# Windows writes Vietnamese in cp1258 as a base letter (with circumflex, breve or horn when the code page
# has it) followed by a combining tone mark.
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", char)
        marks = [m for m in decomposed[1:] if m in _TONE_MARKS]
        others = "".join(m for m in decomposed[1:] if m not in marks)
        base = unicodedata.normalize("NFC", decomposed[0] + others)
        out += (base + "".join(marks)).encode("cp1258")
    return bytes(out)


class RawNameInfo(zipfile.ZipInfo):
    """A zip entry whose name is written as given raw bytes, with the UTF-8 flag cleared (as Windows'
    built-in zip and old tools do). zipfile would otherwise write non-ASCII names as flagged UTF-8."""

    def __init__(self, raw: bytes, *, extra: bytes = b"") -> None:
        super().__init__(raw.decode("cp437"), date_time=(2022, 9, 30, 9, 0, 0))
        self.raw_name = raw
        self.extra = extra
        self.compress_type = zipfile.ZIP_DEFLATED

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.raw_name, self.flag_bits & ~0x800


def write_zip(path: Path, entries: list[tuple[str | bytes | zipfile.ZipInfo, bytes]]) -> Path:
    """A zip with entries named by str (zipfile's own encoding), raw bytes (no UTF-8 flag) or a ZipInfo."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = RawNameInfo(name) if isinstance(name, bytes) else name
            archive.writestr(info, data)
    return path


def digest_tree(root: Path) -> dict[str, str]:
    """sha256 of every file under root (or of root itself): to prove inputs are left untouched."""
    if root.is_file():
        files = [root]
    else:
        files = sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@functools.cache
def sample(kind: str) -> bytes:
    """Evidence files of every shape the tests need, made once per session."""
    if kind == "text":
        return pdfs.text_pdf(seed=1, pages=2)
    if kind == "scan":
        return pdfs.scan_pdf(seed=1, pages=2, dpi=72, quality=40)
    if kind == "signed":
        return pdfs.sign_pdf(sample("text"))
    if kind == "signed_scan":
        return pdfs.sign_pdf(sample("scan"))
    if kind == "tampered":
        return pdfs.tamper_signed(sample("signed"))
    if kind == "updated":
        return pdfs.append_update(sample("signed"))
    if kind == "cosigned":
        second = pdfs.demo_identity(seed=2, name="Trần Thị Bình", organisation="UBND xã Gia Phù")
        return pdfs.sign_pdf(sample("signed"), second, field_name="Signature2")
    if kind == "encrypted_user":
        return pdfs.encrypt_pdf(sample("scan"), user_password="123456")
    if kind == "encrypted_owner":
        return pdfs.encrypt_pdf(sample("scan"))
    if kind == "truncated":
        data = sample("text")
        return data[: len(data) // 2]
    if kind == "junk_header":
        return b"Content-Type: application/pdf\r\n\r\n" + sample("scan")
    if kind == "png":
        out = io.BytesIO()
        Image.new("L", (40, 40), 200).save(out, "PNG")
        return out.getvalue()
    if kind == "docx":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml", "<w:document/>")
        return out.getvalue()
    raise KeyError(kind)


def row(criterion: str, *files: str, number: int = 5) -> RegisterRow:
    return RegisterRow(row=number, cell=f"'Tài liệu kiểm chứng'!A{number}", criterion=criterion,
                       files=list(files))
