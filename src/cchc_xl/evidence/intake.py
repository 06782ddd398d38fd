"""Intake of one submission's evidence: a folder or a .zip, read in place, never extracted or modified.

Names are NFC-normalised with '/' separators. Nothing outside the folder is reached: `..`, absolute
paths, drive letters and links are skipped with a problem. Zip names written on Windows without the UTF-8
flag are decoded by trying UTF-8, then the Vietnamese (cp1258) and Western (cp850, cp437) code pages and
keeping the reading that looks most like Vietnamese.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cchc_xl.messages import error_detail, severity
from cchc_xl.records import Problem
from cchc_xl.safeio import shown_name

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Documented limits of evidence intake and inspection (per commune submission)."""

    max_entries: int = 2_000  # files listed per folder or zip; the rest is not examined
    max_total_bytes: int = 2048 * MiB  # uncompressed bytes per folder or zip
    max_file_bytes: int = 100 * MiB  # per file; larger files are listed but not read
    max_ratio: int = 100  # uncompressed / compressed size of a zip entry …
    ratio_floor_bytes: int = 1 * MiB  # … checked only above this size (small files compress well)
    max_pages_parsed: int = 5  # pages whose content is examined for text and images
    max_signatures: int = 10  # signatures validated per PDF
    max_problems: int = 200  # problems listed per folder or zip (hidden files, unsafe paths…); the rest counted
    # What reading one PDF may inflate (a 5.5 KB file of nested flate streams once took 1.6 GB): checked on
    # the raw file before pypdf parses it, images aside (they are never decoded here).
    max_pdf_streams: int = 10_000  # streams in one PDF
    max_stream_bytes: int = 32 * MiB  # inflated bytes of one stream (each filter level)
    max_pdf_inflated: int = 128 * MiB  # inflated bytes of all of one PDF's streams


DEFAULT_LIMITS = Limits()


class EvidenceReadError(Exception):
    """An entry could not be read; `rule` says why (an evidence rule id)."""

    def __init__(self, rule: str, detail: str = "") -> None:
        super().__init__(detail or rule)
        self.rule = rule
        self.detail = detail


def intake_problem(rule: str, name: str, detail: str = "") -> Problem:
    """A problem of the folder or zip: `name` is the entry or the bundle concerned."""
    return Problem(rule, {"file": name, "detail": detail})


@dataclass(frozen=True)
class Entry:
    """One evidence file as found in the folder or zip."""

    name: str  # relative path, NFC, '/' separators
    size: int  # bytes (uncompressed)
    location: str  # what opens it: the file's own path, or the zip's path for a zip entry
    stored_name: str = ""  # the name as stored, when it differs (legacy code page, NFD, backslashes)
    blocked: str | None = None  # rule id when the file must not be read (too large, zip bomb, encrypted)
    blocked_detail: str = ""
    _reader: Callable[[], bytes] | None = field(default=None, repr=False, compare=False)

    @property
    def basename(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    def read(self) -> bytes:
        """The file's bytes; raises EvidenceReadError (never another exception) when it cannot be read."""
        if self.blocked:
            raise EvidenceReadError(self.blocked, self.blocked_detail)
        assert self._reader is not None
        try:
            return self._reader()
        except EvidenceReadError:
            raise
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError,
                ValueError) as exc:
            raise EvidenceReadError("evidence.file_unreadable", short_error(exc)) from exc


@dataclass
class Bundle:
    """The evidence of one submission. Close it (or use `with`) to release an open zip."""

    source: Path
    kind: Literal["folder", "zip", "missing"]
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # params: file (entry or bundle), detail
    dropped: Counter[str] = field(default_factory=Counter)  # problems past Limits.max_problems, by severity
    _zip: zipfile.ZipFile | None = field(default=None, repr=False)

    def find(self, name: str) -> Entry | None:
        """The entry a register file name refers to: NFC, case-insensitive, with or without extension,
        by relative path or by basename; an exact path wins over a shorter or partial match. A page
        reference typed after the name ("KH 12.pdf (trang 3)") is ignored when the full text matches
        nothing."""
        found = self._find(match_key(name))
        if found is None:
            without_pages = _PAGE_REFERENCE.sub("", name)
            if without_pages != name:
                found = self._find(match_key(without_pages))
        return found

    def _find(self, wanted: str) -> Entry | None:
        if not wanted:
            return None
        best: tuple[int, int, str] | None = None
        found: Entry | None = None
        for entry in self.entries:
            rank = _match_rank(match_key(entry.name), wanted)
            if rank is None:
                continue
            key = (rank, entry.name.count("/"), entry.name)
            if best is None or key < best:
                best, found = key, entry
        return found

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_PAGE_REFERENCE = re.compile(r"[\s,;:\-–(\[]*\b(?:trang|tr\.|page|p\.)\s*[\d\s,;\-–]+[)\]]?\s*$", re.I)


def match_key(name: str) -> str:
    """A file name as compared: NFC, case-folded, '/' separators, single spaces, no leading './'."""
    text = unicodedata.normalize("NFC", name).replace("\\", "/").strip()
    text = re.sub(r"\s+", " ", text).casefold()
    parts = [part.strip() for part in text.split("/") if part.strip() not in ("", ".")]
    return "/".join(parts)


def _match_rank(path: str, wanted: str) -> int | None:
    stem = path.rsplit(".", 1)[0] if "." in path.rsplit("/", 1)[-1] else path
    for rank, candidate in enumerate((path, stem)):
        if candidate == wanted:
            return rank
        if candidate.endswith("/" + wanted):
            return rank + 2
    return None


# ------------------------------------------------------------------------------------------------
# Opening
# ------------------------------------------------------------------------------------------------


def open_bundle(path: Path, limits: Limits = DEFAULT_LIMITS) -> Bundle:
    """The evidence found at `path` (a folder or a .zip). Problems are collected, never raised."""
    path = Path(path)
    if path.is_symlink() or ((path.is_dir() or path.is_file()) and not _inside(str(path), os.path.realpath(path.parent))):
        # A link (or a Windows junction) leads out of the inbox: nothing behind it is listed or read.
        bundle = Bundle(path, "folder" if path.is_dir() else "zip")
        bundle.problems.append(intake_problem("evidence.link_skipped", shown_name(path.name)))
        return bundle
    if path.is_dir():
        return _open_folder(path, limits)
    if path.is_file():
        return _open_zip(path, limits)
    bundle = Bundle(path, "missing")
    bundle.problems.append(intake_problem("evidence.bundle_missing", shown_name(path.name)))
    return bundle


_IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store", "__macosx", "ehthumbs.db", "icon\r"}


def _ignored_part(parts: list[str]) -> int | None:
    """Index of the first path part that makes the entry hidden or system clutter, if any."""
    for index, part in enumerate(parts):
        low = part.casefold()
        if low in _IGNORED_NAMES or part.startswith((".", "~$")):
            return index
    return None


class _Collector:
    """Applies the count and total-size limits and records ignored files once per ignored folder."""

    def __init__(self, bundle: Bundle, limits: Limits) -> None:
        self.bundle, self.limits = bundle, limits
        self.total = 0
        self.full = False
        self._ignored: set[str] = set()

    def problem(self, code: str, name: str, detail: str = "") -> None:
        if len(self.bundle.problems) < self.limits.max_problems or code == "evidence.bundle_too_large":
            self.bundle.problems.append(intake_problem(code, name, detail))
        else:
            self.bundle.dropped[severity(code)] += 1

    def ignore(self, parts: list[str]) -> bool:
        index = _ignored_part(parts)
        if index is None:
            return False
        shown = "/".join(parts[: index + 1]) + ("/" if index + 1 < len(parts) else "")
        if shown not in self._ignored:
            self._ignored.add(shown)
            self.problem("evidence.file_ignored", shown)
        return True

    def add(self, entry: Entry) -> bool:
        """Adds the entry unless a limit is reached; False once the bundle is full."""
        if self.full:
            return False
        limits = self.limits
        if len(self.bundle.entries) >= limits.max_entries:
            self._stop(f"tối đa {limits.max_entries} tệp")
            return False
        if entry.blocked is None:
            if self.total + entry.size > limits.max_total_bytes:
                self._stop(f"tổng dung lượng tối đa {limits.max_total_bytes // MiB} MB")
                return False
            self.total += entry.size
        self.bundle.entries.append(entry)
        return True

    def _stop(self, detail: str) -> None:
        self.full = True
        self.problem("evidence.bundle_too_large", self.bundle.source.name, detail)


def _size_text(size: int) -> str:
    return f"{size / MiB:.1f} MB".replace(".", ",")


def short_error(exc: BaseException) -> str:
    """A finding's detail for a library's failure, in Vietnamese (its error number or its kind; the libraries'
    own texts are English)."""
    return error_detail(exc)


# ------------------------------------------------------------------------------------------------
# Folders
# ------------------------------------------------------------------------------------------------


def _open_folder(root: Path, limits: Limits) -> Bundle:
    bundle = Bundle(root, "folder")
    collector = _Collector(bundle, limits)
    real_root = os.path.realpath(root)
    for rel_parts, full, st in _walk(root, real_root, collector):
        if not collector.add(file_entry(full, "/".join(rel_parts), st.st_size, limits)):
            break
    bundle.entries.sort(key=lambda e: e.name)
    return bundle


def file_entry(path: Path, stored: str, size: int, limits: Limits = DEFAULT_LIMITS) -> Entry:
    """The entry of a folder's file `path` (already found safe to read), `stored` its relative path with
    '/' separators, `size` its size when listed."""
    name = shown_name(stored)
    blocked = "evidence.file_too_large" if size > limits.max_file_bytes else None
    return Entry(
        name=name, size=size, location=str(path),
        stored_name=os.fsencode(stored).decode("utf-8", "backslashreplace") if stored != name else "",
        blocked=blocked, blocked_detail=_size_text(size) if blocked else "",
        _reader=_file_reader(path, limits.max_file_bytes),
    )


def _walk(root: Path, real_root: str,
          collector: _Collector) -> Iterator[tuple[list[str], Path, os.stat_result]]:
    """Regular files under root, in name order, without following links or leaving the folder."""
    stack: list[tuple[Path, list[str]]] = [(root, [])]
    while stack:
        folder, parts = stack.pop()
        try:
            children = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            collector.problem("evidence.file_unreadable", "/".join(parts) or root.name, short_error(exc))
            continue
        subfolders: list[tuple[Path, list[str]]] = []
        for child in children:
            child_parts = [*parts, child.name]
            shown = shown_name("/".join(child_parts))
            if collector.ignore(child_parts):
                continue
            if _is_hidden(child):
                collector.problem("evidence.file_ignored", shown)
            elif child.is_symlink() or not _inside(child.path, real_root):
                collector.problem("evidence.link_skipped", shown)
            elif child.is_dir(follow_symlinks=False):
                subfolders.append((Path(child.path), child_parts))
            elif child.is_file(follow_symlinks=False):
                yield child_parts, Path(child.path), child.stat(follow_symlinks=False)
            else:  # sockets, devices, fifos
                collector.problem("evidence.link_skipped", shown)
        stack.extend(reversed(subfolders))


def _is_hidden(entry: os.DirEntry[str]) -> bool:
    """Windows' hidden attribute (names starting with '.' are handled with the ignored names)."""
    try:
        attributes = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
    except OSError:
        return False
    return bool(attributes & getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0))


def _inside(path: str, real_root: str) -> bool:
    # Catches Windows junctions, which is_symlink() does not report before Python 3.12.
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def _file_reader(path: Path, max_bytes: int) -> Callable[[], bytes]:
    return lambda: read_file(path, max_bytes)


def read_file(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refused past `max_bytes` (EvidenceReadError; OSError as open and read raise it).
    Read by its size first: asking for max_bytes + 1 at once makes Python allocate all of that (100 MiB)
    for every file, which cost more than reading a small file; a file that grew meanwhile is read on."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        data = handle.read(min(size, max_bytes) + 1)
        if len(data) > size:
            data += handle.read(max_bytes + 1 - len(data))
    if len(data) > max_bytes:
        raise EvidenceReadError("evidence.file_too_large", _size_text(len(data)))
    return data


# ------------------------------------------------------------------------------------------------
# Zips
# ------------------------------------------------------------------------------------------------


def _open_zip(path: Path, limits: Limits) -> Bundle:
    bundle = Bundle(path, "zip")
    try:
        archive = zipfile.ZipFile(path)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        bundle.problems.append(intake_problem("evidence.zip_corrupt", shown_name(path.name), short_error(exc)))
        return bundle
    bundle._zip = archive
    collector = _Collector(bundle, limits)
    for info in infos:
        entry = _zip_entry(archive, info, path, limits, collector)
        if entry is not None and not collector.add(entry):
            break
    bundle.entries.sort(key=lambda e: e.name)
    return bundle


def _zip_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, limits: Limits,
               collector: _Collector) -> Entry | None:
    stored, codec = decode_zip_name(info)
    parts = _safe_parts(stored)
    shown = shown_name(stored)
    if parts is None or _is_zip_link(info):
        collector.problem("evidence.zip_unsafe_path", shown)
        return None
    if info.is_dir() or not parts:
        return None
    if collector.ignore(parts):
        return None
    name = shown_name("/".join(parts))
    if codec not in ("ascii", "utf-8"):
        collector.problem("evidence.zip_name_encoding", name, codec)
    blocked, detail = _zip_blocked(info, limits)
    return Entry(
        name=name, size=info.file_size, location=str(path),
        stored_name=shown_name(info.filename) if info.filename != name else "",
        blocked=blocked, blocked_detail=detail,
        _reader=_zip_reader(archive, info, limits.max_file_bytes),
    )


def _zip_blocked(info: zipfile.ZipInfo, limits: Limits) -> tuple[str | None, str]:
    if info.flag_bits & 0x1:
        return "evidence.zip_encrypted", ""
    if info.file_size > limits.max_file_bytes:
        return "evidence.file_too_large", _size_text(info.file_size)
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > limits.ratio_floor_bytes and ratio > limits.max_ratio:
        return "evidence.zip_bomb", f"{_size_text(info.file_size)}, nén {ratio:.0f} lần"
    return None, ""


def _zip_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo, max_bytes: int) -> Callable[[], bytes]:
    def read() -> bytes:
        # zipfile never returns more than the declared size, which was checked against the limits.
        with archive.open(info) as handle:
            return handle.read(max_bytes + 1)

    return read


def _is_zip_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _safe_parts(name: str) -> list[str] | None:
    """Path parts of a zip name, or None when it would leave the folder."""
    text = name.replace("\\", "/")
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text) or "\0" in text:
        return None
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts):
        return None
    return parts


# ------------------------------------------------------------------------------------------------
# Zip name encodings
# ------------------------------------------------------------------------------------------------

_VIETNAMESE = set(
    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
)
_LEGACY_CODECS = ("cp1258", "cp850", "cp437")
_UNICODE_PATH_EXTRA = 0x7075


def decode_zip_name(info: zipfile.ZipInfo) -> tuple[str, str]:
    """The entry's name and the encoding it was read with ('ascii', 'utf-8' or a code page)."""
    if info.flag_bits & 0x800:
        return info.orig_filename, "utf-8"
    raw = info.orig_filename.encode("cp437")  # zipfile decoded the raw bytes as cp437: undo it
    if raw.isascii():
        return raw.decode("ascii"), "ascii"
    unicode_path = _unicode_path_extra(info.extra, raw)
    if unicode_path is not None:
        return unicode_path, "utf-8"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return best_legacy_decoding(raw)


def best_legacy_decoding(raw: bytes) -> tuple[str, str]:
    """The legacy code page reading of `raw` that looks most like Vietnamese (ties: cp1258 first)."""
    best: tuple[int, str, str] | None = None
    for codec in _LEGACY_CODECS:
        try:
            text = unicodedata.normalize("NFC", raw.decode(codec))
        except UnicodeDecodeError:
            continue
        score = vietnamese_score(text)
        if best is None or score > best[0]:
            best = (score, text, codec)
    assert best is not None  # cp437 decodes every byte
    return best[1], best[2]


def vietnamese_score(text: str) -> int:
    """Higher when `text` reads as Vietnamese; box drawing, symbols and stray accents count against."""
    score = 0
    for char in text:
        if char.isascii():
            continue
        category = unicodedata.category(char)
        if char.lower() in _VIETNAMESE:
            score += 2
        elif category.startswith("M") or category[0] in "SCZ":
            score -= 4
        else:
            score -= 1
    return score


def _unicode_path_extra(extra: bytes, raw: bytes) -> str | None:
    """The Info-ZIP Unicode Path extra field (written by 7-Zip, WinRAR…), when it matches the name."""
    offset = 0
    while offset + 4 <= len(extra):
        header_id, size = struct.unpack_from("<HH", extra, offset)
        body = extra[offset + 4: offset + 4 + size]
        offset += 4 + size
        if header_id != _UNICODE_PATH_EXTRA or len(body) < 5 or body[0] != 1:
            continue
        if struct.unpack_from("<I", body, 1)[0] != zlib.crc32(raw):
            return None  # the name was changed after the extra field was written
        try:
            return body[5:].decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None
