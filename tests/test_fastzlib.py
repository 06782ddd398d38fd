"""fastzlib.py reads a zip member as zipfile does, or leaves it to zipfile: the same bytes for every member of
real workbooks (XlsxWriter's, openpyxl's, LibreOffice's, stored and deflated members), zipfile's own error for
a damaged one; and the members it deflates read back as they were written."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import pytest

from cchc_xl import fastzlib
from cchc_xl.workbook.package import read_parts, zipped

DATA = Path(__file__).parent / "data"


def _archive(members: dict[str, tuple[bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, (content, method) in members.items():
            zf.writestr(zipfile.ZipInfo(name), content, compress_type=method)
    return buffer.getvalue()


SHEET = b"<worksheet>" + b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i) for i in range(1, 2000)) + \
    b"</worksheet>"
MEMBERS = {"xl/worksheets/sheet1.xml": (SHEET, zipfile.ZIP_DEFLATED),
           "[Content_Types].xml": (b"<Types/>", zipfile.ZIP_STORED),
           "xl/sharedStrings.xml": ("<sst><si><t>Xã Mường Thải</t></si></sst>".encode(), zipfile.ZIP_DEFLATED)}


def _every_member_alike(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            assert fastzlib.read_member(zf, info, data) == zf.read(info), info.filename
            assert fastzlib.read_member(zf, info, None) == zf.read(info), info.filename
        return len(zf.infolist())


def test_members_of_real_workbooks_read_alike() -> None:
    books = sorted(DATA.rglob("*.xlsx"))
    assert books
    assert sum(_every_member_alike(book.read_bytes()) for book in books) > 0
    assert _every_member_alike(_archive(MEMBERS)) == len(MEMBERS)


def _damaged(how: str) -> bytes:
    data = bytearray(_archive(MEMBERS))
    at = data.find(b"xl/worksheets/sheet1.xml") + len(b"xl/worksheets/sheet1.xml")  # its local header's name
    if how == "a byte of its stream":
        data[at + 40] ^= 0xFF
    elif how == "its local name":
        data[at - 5] = ord("X")
    elif how == "its stream cut short":
        with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
            info = zf.getinfo("xl/worksheets/sheet1.xml")
        del data[at + 20:at + info.compress_size - 20]
    return bytes(data)


@pytest.mark.parametrize("how", ["a byte of its stream", "its local name", "its stream cut short"])
def test_a_damaged_member_gets_zipfiles_own_answer(how: str) -> None:
    data = _damaged(how)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
        try:
            want: object = zf.read(info)
        except Exception as exc:  # (whichever zipfile raises)
            want = type(exc)
        try:
            got: object = fastzlib.read_member(zf, info, data)
        except Exception as exc:
            got = type(exc)
    assert got == want and isinstance(want, type)


@pytest.mark.parametrize("level", [0, 1, 6, 9, zlib.Z_DEFAULT_COMPRESSION])
def test_deflated_members_read_back(level: int) -> None:
    parts = {name: content for name, (content, _) in MEMBERS.items()}
    assert read_parts(zipped(parts, level)) == parts
    assert zlib.decompress(fastzlib.deflate_raw(SHEET, level), -15) == SHEET


@pytest.mark.parametrize("level", [0, 1, 6, 9, zlib.Z_DEFAULT_COMPRESSION])
def test_a_streamed_member_reads_back(level: int) -> None:
    packer = fastzlib.raw_compressor(level)
    stream = b"".join(packer.compress(SHEET[k:k + 4096]) for k in range(0, len(SHEET), 4096)) + packer.flush()
    assert zlib.decompress(stream, -15) == SHEET
