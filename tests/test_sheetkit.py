"""The sheet toolkit every writer shares: explicit fonts, text kept as text, one page setup."""

from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import xlsxwriter

from cchc_xl.workbook.sheetkit import ND30_MARGINS, Formats, PageSetup, Sheet, font, workbook_options

STYLES = {"text": {}, "bold": {"bold": True}, "points": {"num_format": "0.00"}}


def _write(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path), workbook_options())
    ws = wb.add_worksheet("Trang")
    sheet = Sheet(ws, Formats(wb, STYLES))
    sheet.columns([8, 40, 12], hidden=[2])
    sheet.title(0, 0, 2, "BÁO CÁO", "bold")
    sheet.header(1, ["Mã", "Nội dung", "Điểm"], "bold")
    sheet.text(2, 0, "=1+1", "text")       # a commune's text that looks like a formula
    sheet.text(2, 1, "0012", "text")       # and one that looks like a number
    sheet.number(2, 2, Decimal("1.25"), "points")
    sheet.text(3, 0, None, "text")
    PageSetup(margins=ND30_MARGINS, repeat_rows=(1, 1)).apply(ws, print_area=(0, 0, 3, 2))
    wb.close()


def test_fonts_name_no_theme_scheme(tmp_path: Path) -> None:
    path = tmp_path / "kit.xlsx"
    _write(path)
    styles = zipfile.ZipFile(path).read("xl/styles.xml").decode()
    fonts = re.findall(r"<font>.*?</font>", styles, re.S)
    assert fonts and all("<scheme" not in f and "Times New Roman" in f for f in fonts)
    assert font(13)["font_scheme"] == "none"


def test_text_stays_text_and_page_is_set(tmp_path: Path) -> None:
    path = tmp_path / "kit.xlsx"
    _write(path)
    ws = openpyxl.load_workbook(path)["Trang"]
    assert (ws["A3"].value, ws["A3"].data_type) == ("=1+1", "s")
    assert ws["B3"].value == "0012"
    assert ws["C3"].value == 1.25 and ws["C3"].number_format == "0.00"
    assert ws.column_dimensions["C"].hidden
    assert "A1:C1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
    assert round(ws.page_margins.left * 25.4) == 30 and round(ws.page_margins.right * 25.4) == 15
    assert ws.print_title_rows == "$2:$2"
