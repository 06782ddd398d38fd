"""Commune lists as district and provincial offices keep them: encodings, separators, .xlsx, headers in
Vietnamese or English, codes with leading zeros; every mistake one Vietnamese line naming file and row."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cchc_xl.cli import cli
from cchc_xl.communes import Commune, CommuneListError, load_communes

DATA = Path(__file__).parent / "data"
BAC_YEN = DATA / "bac-yen-communes.csv"  # the real list: 16 units of huyện Bắc Yên (Sơn La), official codes
MINI = DATA / "mini-set.yaml"

# The list every format below writes: as an office types it (kind in the name for two of them).
ROWS = [
    ("Mã đơn vị", "Tên đơn vị", "Loại"),
    ("03856", "Thị trấn Bắc Yên", "Thị trấn"),
    ("03859", "Phiêng Ban", "Xã"),
    ("03877", "Mường Khoa", "xã"),
    ("03880", "Tạ Khoa", ""),
]
WANT = [("03856", "Bắc Yên", "thị trấn"), ("03859", "Phiêng Ban", "xã"), ("03877", "Mường Khoa", "xã"),
        ("03880", "Tạ Khoa", "xã")]
TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Excel writes it: base letter (ă, ơ, …) then the tone as a combining mark."""
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in parts if c in TONES)
        out.append(unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES)) + tones)
    return "".join(out).encode("cp1258")


def _csv(rows: list[tuple[str, ...]], sep: str = ",") -> str:
    return "\r\n".join(sep.join(r) for r in rows) + "\r\n"


def _got(communes: list[Commune]) -> list[tuple[str, str, str]]:
    return [(c.code, c.name, c.kind) for c in communes]


def test_real_list_of_bac_yen() -> None:
    communes = load_communes(BAC_YEN)
    assert len(communes) == 16
    assert communes[0].code == "03856" and communes[0].display == "Thị trấn Bắc Yên"
    assert communes[1].display == "Xã Phiêng Ban" and communes[1].district == "Huyện Bắc Yên"
    assert all(c.code.startswith("0") and len(c.code) == 5 for c in communes)
    assert sum(c.kind == "thị trấn" for c in communes) == 1


@pytest.mark.parametrize("fmt", ["utf8", "utf8_bom", "cp1258", "semicolon", "tab", "ascii_headers",
                                 "english_headers"])
def test_csv_formats(fmt: str, tmp_path: Path) -> None:
    rows = list(ROWS)
    if fmt == "ascii_headers":
        rows[0] = ("MA", "TEN DON VI", "loai")
    if fmt == "english_headers":
        rows[0] = ("Code", "Name", "KIND")
    sep = {"semicolon": ";", "tab": "\t"}.get(fmt, ",")
    text = _csv(rows, sep)
    data = {"utf8_bom": b"\xef\xbb\xbf" + text.encode("utf-8"), "cp1258": _cp1258(text)}.get(
        fmt, text.encode("utf-8"))
    path = tmp_path / "don-vi.csv"
    path.write_bytes(data)
    assert _got(load_communes(path)) == WANT


def test_cp1252_list(tmp_path: Path) -> None:
    # names a Western-locale Excel can hold (no ă, đ, ơ, ư): read as cp1252, not mistaken for Windows-1258
    path = tmp_path / "don-vi.csv"
    path.write_bytes(_csv([("code", "name"), ("00412", "Tân Lang"), ("00415", "Gia Phù"),
                           ("00418", "Kim Bôn")]).encode("cp1252"))
    assert _got(load_communes(path)) == [("00412", "Tân Lang", "xã"), ("00415", "Gia Phù", "xã"),
                                         ("00418", "Kim Bôn", "xã")]


def test_xlsx_list_keeps_text_codes(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in ROWS:
        ws.append(list(row))
    for cell in ws["A"][1:]:
        cell.number_format = "@"
    path = tmp_path / "don-vi.xlsx"
    wb.save(path)
    assert _got(load_communes(path)) == WANT


def _init(tmp_path: Path, communes: Path) -> object:
    return CliRunner().invoke(cli, ["init", str(tmp_path / "dot"), "--criteria", str(MINI), "--communes",
                                    str(communes), "--year", "2026", "--body", "UBND huyện Bắc Yên"])


MISTAKES = {
    "missing_file": (None, "Không tìm thấy tệp danh sách đơn vị"),
    "no_code_column": (_csv([("Tên", "Loại"), ("Phiêng Ban", "xã")]), "thiếu cột mã đơn vị"),
    "no_name_column": (_csv([("Mã", "Loại"), ("03859", "xã")]), "thiếu cột tên đơn vị"),
    "duplicate_code": (_csv([("Mã", "Tên"), ("03859", "Phiêng Ban"), ("03859", "Hang Chú")]),
                       "dòng 3: mã đơn vị 03859 bị trùng (đã có ở dòng 2)"),
    "empty_name": (_csv([("Mã", "Tên"), ("03859", "Phiêng Ban"), ("03862", "  ")]), "dòng 3: đơn vị mã 03862 thiếu tên"),
    "empty_code": (_csv([("Mã", "Tên"), ("", "Phiêng Ban")]), "dòng 2: thiếu mã đơn vị"),
    "unknown_kind": (_csv([("Mã", "Tên", "Loại"), ("03859", "Phiêng Ban", "bản")]), "dòng 2: loại đơn vị “bản”"),
    "empty_list": (_csv([("Mã", "Tên")]), "không có dòng nào"),
    "unreadable": (b"PK\x03\x04 not a workbook", "Không đọc được tệp danh sách đơn vị"),
}


@pytest.mark.parametrize("case", list(MISTAKES))
def test_list_mistakes_are_one_vietnamese_line(case: str, tmp_path: Path) -> None:
    content, message = MISTAKES[case]
    path = tmp_path / ("don-vi.xlsx" if isinstance(content, bytes) else "don-vi.csv")
    if content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(CommuneListError, match="don-vi"):
        load_communes(path)
    result = _init(tmp_path, path)
    assert result.exit_code == 2, result.output
    assert message in result.output and "don-vi" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "dot" / "cchc-xl.toml").exists()
