"""The list of assessed units (xã, phường, thị trấn, đặc khu) as offices keep it.

A CSV file (UTF-8 with or without BOM, Windows-1258 or cp1252; comma, semicolon or tab separated) or the
first sheet of an .xlsx workbook; headers in Vietnamese or English, with or without diacritics, any case
(mã/code, tên/name, loại/kind, huyện/district, tỉnh/province). Codes stay text, leading zeros kept. Names
may carry their kind ("Xã Phiêng Ban"): it is taken off the name and used as the kind when no kind column
says otherwise. Every problem is one CommuneListError naming the file and row.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from cchc_xl.messages import say
from cchc_xl.paths import bundled

DEFAULT_COMMUNES = "samples/phu-yen-communes.csv"


class Commune(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    name: str  # without the kind: "Gia Phù"
    kind: str = "xã"  # "xã", "phường", "thị trấn" or "đặc khu"
    district: str = ""
    province: str = ""

    @property
    def display(self) -> str:
        """'Xã Gia Phù', 'Thị trấn Phù Yên'."""
        return f"{self.kind[:1].upper()}{self.kind[1:]} {self.name}"

    @property
    def committee(self) -> str:
        """'UBND xã Gia Phù'."""
        return f"UBND {self.kind} {self.name}"

    @property
    def slug(self) -> str:
        return slugify(self.name)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def slugify(text: str) -> str:
    """'Đá Đỏ' -> 'da-do': ASCII file-name part, safe on every file system."""
    text = nfc(text).replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


class CommuneListError(ValueError):
    """One Vietnamese line naming the file (and row) of a commune-list problem."""


KINDS = ("xã", "phường", "thị trấn", "đặc khu")
_KIND_BY_SLUG = {slugify(k): k for k in KINDS}  # "xa", "phuong", "thi-tran", "dac-khu"
# header (slugified, "-" between words) -> field; a header also matches when it starts with one of these words
_HEADERS = {"code": ("code", "ma"), "name": ("name", "ten"), "kind": ("kind", "type", "loai", "cap"),
            "district": ("district", "huyen", "quan"), "province": ("province", "tinh")}
_VIETNAMESE_ONLY = set("ăâđêôơưĂÂĐÊÔƠƯ")
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def sample_communes() -> list[Commune]:
    """The bundled sample list (27 units of huyện Phù Yên): for the demo and tests only."""
    return load_communes(bundled(DEFAULT_COMMUNES))


def load_communes(path: Path | str) -> list[Commune]:
    """The units listed in `path` (.csv or .xlsx), in list order; CommuneListError on any problem."""
    src = Path(path)
    rows = _read_rows(src)
    header_at = next((i for i, row in enumerate(rows) if any(cell.strip() for cell in row)), None)
    if header_at is None:
        raise CommuneListError(say("communes.empty", file=src.name))
    columns = _columns(rows[header_at])
    for needed in ("code", "name"):
        if needed not in columns:
            raise CommuneListError(say(f"communes.no_{needed}_column", file=src.name,
                                       found=", ".join(c.strip() for c in rows[header_at] if c.strip()) or "—"))
    communes: list[Commune] = []
    seen: dict[str, int] = {}
    for index in range(header_at + 1, len(rows)):
        row, lineno = rows[index], index + 1
        if not any(cell.strip() for cell in row):
            continue

        def cell(field: str, row: list[str] = row) -> str:
            at = columns.get(field)
            return nfc(row[at]).strip() if at is not None and at < len(row) else ""

        code, name = cell("code"), cell("name")
        if not code:
            raise CommuneListError(say("communes.code_empty", file=src.name, row=lineno))
        if not name:
            raise CommuneListError(say("communes.name_empty", file=src.name, row=lineno, code=code))
        if code in seen:
            raise CommuneListError(say("communes.duplicate", file=src.name, row=lineno, code=code,
                                       first=seen[code]))
        seen[code] = lineno
        kind, name = _kind_and_name(cell("kind"), name)
        if kind is None:
            raise CommuneListError(say("communes.kind_unknown", file=src.name, row=lineno, kind=cell("kind"),
                                       kinds=", ".join(KINDS)))
        communes.append(Commune(code=code, name=name, kind=kind, district=cell("district"),
                                province=cell("province")))
    if not communes:
        raise CommuneListError(say("communes.empty", file=src.name))
    _check_lost_zeros(communes, seen, src.name)
    return communes


def _check_lost_zeros(communes: list[Commune], rows: dict[str, int], file: str) -> None:
    """A numeric code shorter than every other numeric code of the list is what Excel makes of 03898 (3898):
    refused, naming the code meant, rather than a unit no workbook will ever match."""
    numeric = [c.code for c in communes if c.code.isdigit()]
    lengths = sorted({len(code) for code in numeric})
    if len(numeric) < 3 or len(lengths) != 2:
        return
    short, full = lengths
    if sum(len(code) == full for code in numeric) < 2:
        return
    for code in numeric:
        if len(code) == short:
            raise CommuneListError(say("communes.lost_zero", file=file, row=rows[code], code=code,
                                       meant=code.zfill(full), digits=full))


def _read_rows(src: Path) -> list[list[str]]:
    try:
        data = src.read_bytes()
    except FileNotFoundError:
        raise CommuneListError(say("communes.not_found", file=src)) from None
    except OSError:
        raise CommuneListError(say("communes.unreadable", file=src)) from None
    if data[:2] == b"PK" or src.suffix.lower() in {".xlsx", ".xlsm", ".xls", ".ods"}:
        return _sheet_rows(src)
    text = _decode(data)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = max(",;\t", key=first.count)
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _sheet_rows(src: Path) -> list[list[str]]:
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_path(str(src))
        values = book.get_sheet_by_index(0).to_python()
    except Exception:  # calamine raises its own error types for corrupt or foreign files
        raise CommuneListError(say("communes.unreadable", file=src)) from None
    return [[_cell_text(v) for v in row] for row in values]


def _cell_text(value: Any) -> str:
    # a code typed as a number (3856.0) comes back as the number's digits; one typed as text keeps its zeros
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _decode(data: bytes) -> str:
    """UTF-8 (BOM or not), else the one of Windows-1258 and cp1252 that reads as Vietnamese."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    as_1258 = nfc(data.decode("cp1258", errors="replace"))
    as_1252 = data.decode("cp1252", errors="replace")
    return as_1258 if _vietnamese_score(as_1258) >= _vietnamese_score(as_1252) else as_1252


def _vietnamese_score(text: str) -> int:
    """Letters only Vietnamese uses, less characters a Vietnamese list never holds (ð, þ, stray marks)."""
    good = sum(ch in _VIETNAMESE_ONLY for ch in text)
    bad = sum(ch in "ðÐþÞ\ufffd" or ch in _TONES for ch in text)
    return good - 3 * bad


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for at, title in enumerate(header):
        words = slugify(title).split("-")
        for field, names in _HEADERS.items():
            if field not in found and words and words[0] in names:
                found[field] = at
                break
    return found


def _kind_and_name(kind_text: str, name: str) -> tuple[str | None, str]:
    """Kind "xa" (or none) and name "Xã Phiêng Ban" give ("xã", "Phiêng Ban"); an unknown kind gives None."""
    prefix = next((k for k in KINDS if slugify(name).startswith(slugify(k) + "-")), None)
    if prefix is not None:
        name = name[len(prefix):].strip()
    if not kind_text:
        return prefix or "xã", name
    return _KIND_BY_SLUG.get(slugify(kind_text.replace("_", " "))), name
