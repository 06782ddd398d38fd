"""Builds an import corpus: generated commune workbooks filled by defined names, and every kind of bad file
a district inbox receives. Each builder writes one file into `inbox` and returns its path."""

from __future__ import annotations

import hashlib
import random
import struct
import unicodedata
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet, Criterion
from cchc_xl.samplegen.values import valid_values
from cchc_xl.settings import Settings
from cchc_xl.templates import template
from cchc_xl.workbook.generate import generate_one

GRID = template("commune")["grid"]


@dataclass(frozen=True)
class Case:
    """One row of an expected-outcome table: a file, its status and the rules it must carry."""

    file: str
    status: str
    rules: tuple[str, ...]


def parse_table(text: str) -> list[Case]:
    """A markdown table `| file | status | rules… |` (after its header and rule lines) as cases."""
    rows = [line.strip().strip("|").split("|") for line in text.strip().splitlines()[2:]]
    return [Case(f.strip(), s.strip(), tuple(r.split())) for f, s, r in rows]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


leaf_values = valid_values  # valid inputs at random within each rule (cchc_xl.samplegen)


def _cell(wb: Any, name: str) -> Any:
    ((sheet, ref),) = list(wb.defined_names[name].destinations)
    return wb[sheet][ref.replace("$", "")]


def fill(workbook: Path, target: Path, cset: CriteriaSet, seed: str, overrides: dict[str, Any] | None = None,
         explanation: str = "Đã thực hiện, có văn bản lưu tại văn phòng UBND.") -> Path:
    """Fill every commune-scored leaf by defined name (score or figures, and an explanation)."""
    rng = random.Random(seed)
    wb = openpyxl.load_workbook(workbook)
    for leaf in cset.commune_leaves():
        key = leaf.name_key
        rule = leaf.rule
        assert rule is not None
        values = leaf_values(leaf, rng)
        if rule.computed:
            for i, v in enumerate(values, start=1):
                _cell(wb, f"KK_{key}_{i}").value = v
        else:
            _cell(wb, f"TDG_{key}").value = values[0]
        _cell(wb, f"GT_{key}").value = explanation
    for name, value in (overrides or {}).items():
        _cell(wb, name).value = value
    wb.save(target)
    return target


class Corpus:
    """Writes files into one inbox; `generated` holds the blank workbooks made by generate_one."""

    def __init__(self, inbox: Path, work: Path, cset: CriteriaSet, communes: list[Commune], settings: Settings):
        self.inbox, self.work, self.cset, self.settings = inbox, work, cset, settings
        self.communes = communes
        inbox.mkdir(parents=True, exist_ok=True)
        work.mkdir(parents=True, exist_ok=True)

    def blank(self, commune: Commune) -> Path:
        path = self.work / "blank" / f"{commune.code}-{commune.slug}.xlsx"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            generate_one(self.cset, commune, path.parent, self.settings)
        return path

    def valid(self, commune: Commune, name: str | None = None, **kw: Any) -> Path:
        return fill(self.blank(commune), self.inbox / (name or f"{commune.code}-{commune.slug}.xlsx"), self.cset,
                    commune.code, **kw)

    def filled_elsewhere(self, commune: Commune, **kw: Any) -> Path:
        """A filled workbook outside the inbox (to be converted or edited before it goes in)."""
        target = self.work / "filled" / f"{commune.code}-{commune.slug}.xlsx"
        target.parent.mkdir(parents=True, exist_ok=True)
        return fill(self.blank(commune), target, self.cset, commune.code, **kw)

    # --- bad files -------------------------------------------------------------------------------
    def not_zip(self, name: str = "random-bytes.xlsx") -> Path:
        path = self.inbox / name
        path.write_bytes(random.Random(1).randbytes(5000))
        return path

    def truncated(self, commune: Commune, name: str = "truncated.xlsx") -> Path:
        data = self.filled_elsewhere(commune).read_bytes()
        path = self.inbox / name
        path.write_bytes(data[: len(data) // 2])
        return path

    def zip_bomb(self, name: str = "zip-bomb.xlsx", size: int = 50 * 1024 * 1024) -> Path:
        path = self.inbox / name
        chunk = b"\0" * (1 << 20)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf, \
                zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(size // len(chunk)):
                fh.write(chunk)
        return path

    def xml_entity(self, commune: Commune, name: str = "xxe.xlsx") -> Path:
        src = self.filled_elsewhere(commune)
        path = self.inbox / name
        evil = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n')
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename == "xl/sharedStrings.xml" or (info.filename == "xl/workbook.xml"
                                                               and "xl/sharedStrings.xml" not in zin.namelist()):
                    body = data.split(b"?>", 1)[1].lstrip() if data.startswith(b"<?xml") else data
                    data = evil + body
                zout.writestr(info, data)
        return path

    def encrypted(self, name: str = "encrypted.xlsx") -> Path:
        """An OLE compound file whose directory names an EncryptedPackage stream (as Office writes them)."""
        path = self.inbox / name
        header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack("<HH", 0x3E, 3)
        header = header.ljust(512, b"\0")
        dir_entry = "EncryptedPackage".encode("utf-16-le").ljust(64, b"\0")
        dir_entry += "EncryptionInfo".encode("utf-16-le").ljust(64, b"\0")
        path.write_bytes(header + dir_entry.ljust(1024, b"\0"))
        return path

    def foreign(self, name: str = "bang-tinh-khac.xlsx") -> Path:
        wb = openpyxl.Workbook()
        wb.active["A1"] = "Báo cáo tự làm"
        wb.active["B2"] = 12
        path = self.inbox / name
        wb.save(path)
        return path

    def edited(self, commune: Commune, name: str, edit: Any, **kw: Any) -> Path:
        """A valid return changed by `edit(workbook)` with openpyxl before it lands in the inbox."""
        src = self.filled_elsewhere(commune, **kw)
        wb = openpyxl.load_workbook(src)
        edit(wb)
        path = self.inbox / name
        wb.save(path)
        return path

    def lock_and_notes(self) -> list[Path]:
        lock = self.inbox / "~$x.xlsx"
        lock.write_bytes(b"\x0bOffice user" + b"\0" * 150)
        notes = self.inbox / "notes.txt"
        notes.write_text("Ghi chú của cán bộ tiếp nhận\n", encoding="utf-8")
        return [lock, notes]


def score_cell(wb: Any, cset: CriteriaSet, computed: bool) -> tuple[str, Criterion]:
    """The defined name of the first leaf whose score is an input (computed=False) or a formula (True)."""
    for leaf in cset.commune_leaves():
        assert leaf.rule is not None
        if leaf.rule.computed == computed:
            return f"TDG_{leaf.name_key}", leaf
    raise LookupError(computed)


def max_cell(wb: Any, name: str) -> Any:
    """The locked maximum cell on the row of the defined name `name`."""
    cell = _cell(wb, name)
    col = list(GRID["columns"]).index("max") + 1
    return cell.parent.cell(row=cell.row, column=col)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


__all__ = ["Corpus", "Decimal", "fill", "leaf_values", "max_cell", "nfd", "score_cell", "sha256"]
