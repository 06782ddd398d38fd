"""The Phụ lục 2 sheet of a commune workbook printed alone to PDF by LibreOffice, as a commune prints it
before the chairman signs (the demo and the tests make their approval documents from it).

LibreOffice prints every visible sheet (and a hidden one with a print area) and numbers the pages "x/y" over
the whole print job; a copy of the workbook whose other sheets are hidden and unselected prints the report
alone, numbered over its own pages. The copy differs from the workbook in the sheet states, the active tab
and the sheets' selected flags only.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from cchc_xl.office import convert
from cchc_xl.templates import template

_SHEET = re.compile(r"<sheet\b[^>]*?/>")


def report_only_copy(workbook: Path, target: Path, sheet: str | None = None) -> Path:
    """A copy of `workbook` in which only the sheet `sheet` (default: the Phụ lục 2 sheet) is visible."""
    name = escape(sheet or template("commune").sheets.approved, {'"': "&quot;"})
    with zipfile.ZipFile(workbook) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        xml, part = _only(src.read("xl/workbook.xml").decode("utf-8"), name,
                          src.read("xl/_rels/workbook.xml.rels").decode("utf-8"))
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = xml.encode("utf-8")
            elif info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                text = re.sub(r'\stabSelected="1"', "", data.decode("utf-8"))
                if info.filename == part:
                    text = text.replace("<sheetView ", '<sheetView tabSelected="1" ', 1)
                data = text.encode("utf-8")
            dst.writestr(info, data)
    return target


def _only(xml: str, name: str, rels: str) -> tuple[str, str]:
    """workbook.xml with every sheet but `name` hidden, and the worksheet part of `name`."""
    sheets = _SHEET.findall(xml)
    keep = next((i for i, s in enumerate(sheets) if f'name="{name}"' in s), None)
    if keep is None:
        raise ValueError(f"no sheet {name!r}")
    rid = re.search(r'r:id="([^"]+)"', sheets[keep])
    tag = rid and next((t for t in re.findall(r"<Relationship\b[^>]*>", rels) if f'Id="{rid.group(1)}"' in t), None)
    target = tag and re.search(r'Target="([^"]+)"', tag)
    if not target:
        raise ValueError(f"no part for sheet {name!r}")
    part = target.group(1).lstrip("/")
    part = part if part.startswith("xl/") else "xl/" + part
    out = xml
    for i, tag in enumerate(sheets):
        bare = re.sub(r'\sstate="[^"]*"', "", tag)
        new = bare if i == keep else bare.replace("<sheet ", '<sheet state="hidden" ', 1)
        out = out.replace(tag, new, 1)
    # LibreOffice prints a hidden sheet that has a print area: the others lose theirs in the copy
    out = re.sub(r'<definedName name="_xlnm.Print_Area" localSheetId="(\d+)"[^>]*>[^<]*</definedName>',
                 lambda m: m.group(0) if int(m.group(1)) == keep else "", out)
    out = re.sub(r'\sactiveTab="\d+"', "", out)
    out = re.sub(r'\sfirstSheet="\d+"', "", out)
    return out.replace("<workbookView ", f'<workbookView activeTab="{keep}" firstSheet="{keep}" ', 1), part


def print_report(workbooks: list[Path], out_dir: Path) -> list[Path]:
    """Each workbook's Phụ lục 2 printed alone to `out_dir/<stem>.pdf` (one LibreOffice call for all)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cchc-pl2-") as tmp:
        copies = [report_only_copy(w, Path(tmp) / f"{w.stem}.xlsx") for w in workbooks]
        return convert(copies, "pdf", out_dir)
