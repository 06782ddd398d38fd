"""The list of assessed units (communes and towns) read from a CSV file."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from cchc_xl.messages import say
from cchc_xl.paths import bundled

DEFAULT_COMMUNES = "samples/phu-yen-communes.csv"


class Commune(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    name: str  # without the kind: "Gia Phù"
    kind: str = "xã"  # "xã", "thị trấn" or "phường"
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
    pass


def load_communes(path: Path | str | None = None) -> list[Commune]:
    src = Path(path) if path else bundled(DEFAULT_COMMUNES)
    text = src.read_bytes().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    communes: list[Commune] = []
    seen: set[str] = set()
    for lineno, row in enumerate(reader, start=2):
        code = nfc((row.get("code") or "").strip())
        name = nfc((row.get("name") or "").strip())
        if not code or not name:
            raise CommuneListError(say("communes.missing", file=src.name, row=lineno))
        if code in seen:
            raise CommuneListError(say("communes.duplicate", file=src.name, row=lineno, code=code))
        seen.add(code)
        communes.append(Commune(
            code=code, name=name, kind=nfc((row.get("kind") or "xã").strip()) or "xã",
            district=nfc((row.get("district") or "").strip()), province=nfc((row.get("province") or "").strip()),
        ))
    return communes
