"""Checks before any parser sees a file: size, container type, zip-bomb limits, XML entities.

Documented limits (the district guide, docs/huong-dan-su-dung.md section 7; tests/test_docs.py keeps the
two equal): a returned workbook is at most 20 MB on disk, its archive at most 2,000 entries and 200 MB
uncompressed, no entry compressed more than 200:1 when larger than 1 MB, and no XML part may carry a
DOCTYPE (external entities have no place in a spreadsheet).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass(frozen=True)
class SafetyVerdict:
    kind: str  # "xlsx" | "ods" | "xls" | "encrypted" | "rejected"
    rule: str | None = None  # finding rule when rejected
    detail: str = ""
    # The XML parts read whole while scanning (name -> bytes): the reader parses them without inflating
    # the archive a second time. Only for the moment between the check and the read.
    parts: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)


def inspect_container(path: Path, limits: Limits = Limits()) -> SafetyVerdict:
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        return SafetyVerdict("rejected", "file.too_large", f"{size}")
    if size == 0:
        return SafetyVerdict("rejected", "file.empty")
    with path.open("rb") as fh:
        head = fh.read(8)
        if head == OLE_MAGIC:
            # Encrypted OOXML is an OLE container with these streams; their names are UTF-16LE.
            data = head + fh.read()
            if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
                return SafetyVerdict("encrypted", "file.encrypted")
            return SafetyVerdict("xls")
    if not head.startswith(ZIP_MAGIC):
        return SafetyVerdict("rejected", "file.not_spreadsheet")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > limits.max_entries:
                return SafetyVerdict("rejected", "file.zip_bomb", f"{len(infos)} entries")
            total = sum(i.file_size for i in infos)
            if total > limits.max_uncompressed:
                return SafetyVerdict("rejected", "file.zip_bomb", f"{total} bytes")
            for info in infos:
                if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                    return SafetyVerdict("rejected", "file.zip_bomb", info.filename)
            names = {i.filename for i in infos}
            parts: dict[str, bytes] = {}
            kept = 0
            for info in infos:
                if not info.filename.endswith((".xml", ".rels")):
                    continue
                if info.file_size <= limits.xml_kept_bytes and kept + info.file_size <= limits.xml_kept_total:
                    data = parts[info.filename] = zf.read(info)
                    kept += len(data)
                    doctype = _DOCTYPE_ANYCASE.search(data) is not None
                else:
                    doctype = _has_doctype(zf, info, limits.xml_chunk_bytes)
                if doctype:
                    return SafetyVerdict("rejected", "file.xml_entity", info.filename)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        return SafetyVerdict("rejected", "file.corrupt", str(exc))
    if "mimetype" in names and "content.xml" in names:
        return SafetyVerdict("ods")
    if "xl/workbook.xml" in names:
        return SafetyVerdict("xlsx", parts=parts)
    return SafetyVerdict("rejected", "file.not_spreadsheet")


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
