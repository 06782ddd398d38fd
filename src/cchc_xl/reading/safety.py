"""Checks before any parser sees a file: size, container type, zip-bomb limits, XML entities.

Documented limits (the district guide, docs/huong-dan-su-dung.md section 7; tests/test_docs.py keeps the
two equal): a returned workbook is at most 20 MB on disk, its archive at most 2,000 entries and 200 MB
uncompressed, no entry compressed more than 200:1 when larger than 1 MB, and no XML part may carry a
DOCTYPE (external entities have no place in a spreadsheet); no cell may lie past the layout's extent
(plus a margin), and a sheet holds no more cells, the workbook no more shared strings, than the limits
say — what calamine allocates follows the cells a part names, so they are checked before it runs.
"""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from cchc_xl.fastzlib import read_member
from cchc_xl.messages import say
from cchc_xl.records import Problem

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 20 * 1024 * 1024
    max_entries: int = 2000
    max_uncompressed: int = 200 * 1024 * 1024
    max_ratio: int = 200
    ratio_floor: int = 1024 * 1024  # small entries may compress well legitimately
    xml_chunk_bytes: int = 64 * 1024  # each XML part is scanned whole, a chunk at a time
    xml_kept_bytes: int = 8 * 1024 * 1024  # parts up to this size are read whole and kept for the reader,
    xml_kept_total: int = 32 * 1024 * 1024  # up to this much in all (the rest is scanned in chunks)
    # What a reader allocates follows the cells a sheet names, not the file's size (one cell at XFD1048576
    # is a 58 KB file and a 512 GiB table): every cell reference is checked against the sheet extent the
    # layout gives (its last row and column plus a margin, see `with_extent`) before any reader runs.
    max_row: int = 10_000  # 1-based last row a cell may name (the default, when no layout is known)
    max_col: int = 64  # 1-based last column
    max_cells: int = 200_000  # cell elements per sheet (cells written without a reference included)
    max_strings: int = 200_000  # shared strings
    extent_margin_rows: int = 200  # room beyond the layout for a note typed beside or below the grid
    extent_margin_cols: int = 20

    def with_extent(self, rows: int, cols: int) -> Limits:
        """These limits bounded to a layout of `rows` rows and `cols` columns (plus the margins)."""
        return dataclasses.replace(self, max_row=rows + self.extent_margin_rows,
                                   max_col=cols + self.extent_margin_cols,
                                   max_cells=(rows + self.extent_margin_rows) * (cols + self.extent_margin_cols))


@dataclass(frozen=True)
class SafetyVerdict:
    kind: str  # "xlsx" | "ods" | "xls" | "encrypted" | "rejected"
    problem: Problem | None = None  # why the file is refused (a finding rule, its detail)
    # The XML parts read whole while scanning (name -> bytes): the reader parses them without inflating
    # the archive a second time. Only for the moment between the check and the read.
    parts: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)


def _rejected(rule: str, detail: str = "") -> SafetyVerdict:
    return SafetyVerdict("rejected", Problem(rule, {"detail": detail}))


def inspect_container(path: Path, limits: Limits = Limits(), data: bytes | None = None) -> SafetyVerdict:
    """`data`: the file's bytes, when the caller read them already (checked as they are: the bytes the
    caller hashed and will parse, read once)."""
    size = path.stat().st_size if data is None else len(data)
    if size > limits.max_file_bytes:
        return _rejected("file.too_large", f"{size}")
    if size == 0:
        return _rejected("file.empty")
    with _opened(path, data) as fh:
        head = fh.read(8)
        if head == OLE_MAGIC:
            # Encrypted OOXML is an OLE container with these streams; their names are UTF-16LE.
            whole = head + fh.read()
            if "EncryptedPackage".encode("utf-16-le") in whole or "EncryptionInfo".encode("utf-16-le") in whole:
                return SafetyVerdict("encrypted", Problem("file.encrypted"))
            return SafetyVerdict("xls")
    if not head.startswith(ZIP_MAGIC):
        return _rejected("file.not_spreadsheet")
    whole = data
    try:
        with zipfile.ZipFile(path if data is None else io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > limits.max_entries:
                return _rejected("file.zip_bomb", say("safety.detail.entries", n=len(infos)))
            total = sum(i.file_size for i in infos)
            if total > limits.max_uncompressed:
                return _rejected("file.zip_bomb", say("safety.detail.bytes", n=total))
            for info in infos:
                if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                    return _rejected("file.zip_bomb", info.filename)
            names = {i.filename for i in infos}
            parts: dict[str, bytes] = {}
            kept = 0
            for info in infos:
                if not info.filename.endswith((".xml", ".rels")):
                    continue
                if info.file_size <= limits.xml_kept_bytes:
                    data = read_member(zf, info, whole)
                    if kept + len(data) <= limits.xml_kept_total:
                        parts[info.filename] = data
                        kept += len(data)
                    if _DOCTYPE_ANYCASE.search(data) is not None:
                        return _rejected("file.xml_entity", info.filename)
                    if (far := beyond_extent(data, limits)) is not None:
                        return _rejected(far[0], far[1])
                else:
                    if _has_doctype(zf, info, limits.xml_chunk_bytes):
                        return _rejected("file.xml_entity", info.filename)
                    if _has_cells(zf, info, limits.xml_chunk_bytes):
                        # A sheet this large is no returned workbook; scanning its cells in chunks could miss
                        # a reference cut in two, so it is refused whole.
                        return _rejected("file.zip_bomb", f"{info.filename}: {info.file_size} byte")
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        # zipfile's own text is English: the user is told which kind of damage, in Vietnamese
        if isinstance(exc, NotImplementedError):
            kind = "unsupported"
        elif isinstance(exc, zipfile.BadZipFile | EOFError):
            kind = "zip"
        else:
            kind = "unreadable"
        return _rejected("file.corrupt", say(f"safety.detail.{kind}"))
    if "mimetype" in names and "content.xml" in names:
        return SafetyVerdict("ods")
    if "xl/workbook.xml" in names:
        return SafetyVerdict("xlsx", parts=parts)
    return _rejected("file.not_spreadsheet")


def _opened(path: Path, data: bytes | None) -> BinaryIO:
    return path.open("rb") if data is None else io.BytesIO(data)


# A cell or shared string element in any namespace prefix (x:c); `r` the reference attribute, in either quote.
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_CELL_REF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?(?<![\w:.-])r\s*=\s*[\"']\$?([A-Za-z]{1,8})\$?([0-9]{1,12})[\"']")
_PLAIN_REF = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
_SHEET_DATA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetData[\s/>]")
_SST = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sst[\s/>]")


def beyond_extent(data: bytes, limits: Limits) -> tuple[str, str] | None:
    """`_beyond_extent`, recurring rows taken from a memo (reading/rows.py)."""
    from cchc_xl.reading import rows

    return rows.beyond_extent(data, limits)


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _beyond_extent(data: bytes, limits: Limits) -> tuple[str, str] | None:
    """(rule, detail) when a sheet part names a cell past the extent, or holds more cells or shared strings
    than any layout could: what calamine would allocate is bounded before it runs."""
    if _SHEET_DATA.search(data) is not None:
        refs = _PLAIN_REF.findall(data)
        plain = data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/")
        if plain == len(refs) and b":c " not in data and b":c>" not in data and b":c/" not in data:
            # The shape spreadsheet programs write (every cell `<c r="A1"…`): its refs are all there is.
            if len(refs) > limits.max_cells:
                return "file.cell_out_of_range", f"{len(refs)} ô (tối đa {limits.max_cells})"
            if refs:
                last_row = max(int(digits) for _, digits in refs)
                last_col = max(map(_column_number, {letters for letters, _ in refs}))
                if last_row > limits.max_row or last_col > limits.max_col:
                    return "file.cell_out_of_range", next(
                        f"{letters.decode()}{int(digits)}" for letters, digits in refs
                        if int(digits) > limits.max_row or _column_number(letters) > limits.max_col)
            return None
        cells = len(_CELL_TAG.findall(data))
        if cells > limits.max_cells:
            return "file.cell_out_of_range", f"{cells} ô (tối đa {limits.max_cells})"
        for letters, digits in _CELL_REF.findall(data):
            row, col = int(digits), _column_number(letters)
            if row > limits.max_row or col > limits.max_col:
                return "file.cell_out_of_range", f"{letters.decode().upper()}{row}"
    elif _SST.search(data) is not None:
        strings = len(_STRING_TAG.findall(data))
        if strings > limits.max_strings:
            return "file.cell_out_of_range", f"{strings} chuỗi (tối đa {limits.max_strings})"
    return None


def _has_cells(zf: zipfile.ZipFile, info: zipfile.ZipInfo, chunk_bytes: int) -> bool:
    """Whether a part too large to keep is a sheet or a shared-string table (read in chunks)."""
    carry = b""
    with zf.open(info) as part:
        while chunk := part.read(chunk_bytes):
            window = carry + chunk
            if _SHEET_DATA.search(window) or _SST.search(window):
                return True
            carry = window[-64:]
    return False


_DOCTYPE = b"<!doctype"
_DOCTYPE_ANYCASE = re.compile(re.escape(_DOCTYPE), re.IGNORECASE)


def _has_doctype(zf: zipfile.ZipFile, info: zipfile.ZipInfo, chunk_bytes: int) -> bool:
    """Whether the part declares a DOCTYPE anywhere (case-insensitive), read in chunks; the total size of
    the archive is already capped, and the tail of each chunk is carried over so a split marker is seen."""
    carry = b""
    with zf.open(info) as part:
        while chunk := part.read(chunk_bytes):
            window = carry + chunk.lower()
            if _DOCTYPE in window:
                return True
            carry = window[-(len(_DOCTYPE) - 1):]
    return False
