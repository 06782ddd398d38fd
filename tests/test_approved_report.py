"""The "Phụ lục 2" sheet of the commune workbook: the report the chairman signs (workbook.approved_report).

On the file: every area, criterion and sub-criterion is listed, scores are formulas on the self-assessment
cells, district-scored rows say so, every font of the sheet is Times New Roman without a theme scheme, the
page set-up is portrait A4 with the Nghị định 30 margins. Printed by LibreOffice (the sheet alone, as
`approval.printing` prints it): A4 portrait pages, text inside the margins and at least 11 pt, pages
numbered "x/y" of the sheet, every code in the text, and the total printed equal to the recomputed total of
a workbook filled without cached values (so only LibreOffice's recalculation can print it).
"""

from __future__ import annotations

import random
import re
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from cchc_xl.approval.printing import print_report
from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.samplegen.values import valid_values
from cchc_xl.scoring import LeafInput
from cchc_xl.templates import template
from cchc_xl.workbook.approved_report import MARGINS_MM
from cchc_xl.workbook.layout import build_layout
from conftest import script
from workbook_fill import Filling, WorkbookFiller

MakeWorkbook = Callable[..., Path]
T = template("commune")
SHEET = T["sheets"]["approved"]
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
MM = 72 / 25.4  # points per millimetre
A4 = (595.28, 841.89)


def _sheet_part(book: Path) -> tuple[ET.Element, ET.Element]:
    """(the Phụ lục 2 worksheet XML, styles.xml) of a generated workbook."""
    with zipfile.ZipFile(book) as z:
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        rid = next(s.get(REL) for s in wb.iterfind("m:sheets/m:sheet", NS) if s.get("name") == SHEET)
        target = next(r.get("Target") for r in rels if r.get("Id") == rid).lstrip("/")
        part = target if target.startswith("xl/") else "xl/" + target
        return ET.fromstring(z.read(part)), ET.fromstring(z.read("xl/styles.xml"))


def test_every_item_listed_with_formulas_on_the_self_assessment(bundled_set: CriteriaSet,
                                                                communes: list[Commune]) -> None:
    layout = build_layout(bundled_set, communes[0])
    cells = [c for c in layout.cells if c.sheet == "approved"]
    codes: dict[str, int] = {}  # code -> its row in the table (part II lists the codes again)
    for c in cells:
        if c.col == 0 and isinstance(c.value, str):
            codes.setdefault(c.value, c.row)
    score_col = list(T["approved"]["columns"]).index("score")
    note_col = list(T["approved"]["columns"]).index("note")
    by_pos = {(c.row, c.col): c for c in cells}
    grid = layout.quoted("grid")
    for area, crit, sub in bundled_set.walk():
        node = sub or crit
        assert area.code in codes and crit.code in codes and node.code in codes
        score = by_pos[(codes[node.code], score_col)]
        if not node.is_leaf:
            assert score.formula and score.formula.startswith(grid)
        elif node.scored_by == "district":
            assert score.formula is None
            assert by_pos[(codes[node.code], note_col)].value == T["approved"]["district_mark"]
        else:
            assert f"{grid}!{layout.leaves[node.code].score}" in (score.formula or "")
    total = next(c for c in cells if c.col == score_col and c.formula and c.formula.endswith(
        layout.names["TONG_DIEM"].split("!")[1].replace("$", "")))
    assert total.row > max(codes[leaf.code] for leaf in bundled_set.leaves())
    # the commune's committee in full, upper-case, and the set's issuer above it
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert f"ỦY BAN NHÂN DÂN {communes[0].kind} {communes[0].name}".upper() in texts
    assert bundled_set.decision.issuer.upper() in texts


def test_fonts_page_setup_and_register_entry(make_workbook: MakeWorkbook) -> None:
    book = make_workbook()
    sheet, styles = _sheet_part(book)
    fonts = styles.findall("m:fonts/m:font", NS)
    xfs = styles.findall("m:cellXfs/m:xf", NS)
    used = {int(c.get("s", "0")) for c in sheet.iterfind(".//m:sheetData/m:row/m:c", NS)}
    assert len(used) > 5
    for index in used:
        font = fonts[int(xfs[index].get("fontId", "0"))]
        assert font.find("m:name", NS).get("val") == "Times New Roman"
        assert font.find("m:scheme", NS) is None, index
        assert float(font.find("m:sz", NS).get("val")) >= 11
    setup = sheet.find("m:pageSetup", NS)
    assert setup.get("orientation") == "portrait" and setup.get("paperSize") == "9"
    assert setup.get("fitToHeight") == "0" and setup.get("useFirstPageNumber") == "1"
    with zipfile.ZipFile(book) as z:  # the table's header row repeats on every page
        names = ET.fromstring(z.read("xl/workbook.xml")).iterfind("m:definedNames/m:definedName", NS)
        assert any(n.get("name") == "_xlnm.Print_Titles" and n.text == f"'{SHEET}'!$11:$11" for n in names)
    margins = {k: float(v) * 25.4 for k, v in sheet.find("m:pageMargins", NS).attrib.items()}
    assert 20 <= margins["top"] <= 25 and 20 <= margins["bottom"] <= 25
    assert 30 <= margins["left"] <= 35 and 15 <= margins["right"] <= 20
    # the evidence register and the guide name the approval document's fixed file name
    import openpyxl

    wb = openpyxl.load_workbook(book)
    entry = T["register"]["approval_file"]
    assert entry in str(wb[T["sheets"]["register"]]["A3"].value)
    assert any(entry in str(row[0].value) for row in wb[T["sheets"]["guide"]].iter_rows() if row[0].value)


def _filling(cset: CriteriaSet, seed: int) -> Filling:
    rng = random.Random(seed)
    leaves = {}
    for i, leaf in enumerate(cset.commune_leaves()):
        values = valid_values(leaf, rng)
        why = f"Giải trình của tiêu chí {leaf.code}." if i % 4 == 0 else ""
        if leaf.rule is not None and leaf.rule.computed:
            leaves[leaf.code] = LeafInput(figures=tuple(Decimal(str(v)) for v in values), explanation=why)
        else:
            leaves[leaf.code] = LeafInput(value=Decimal(str(values[0])), explanation=why)
    return Filling(leaves=leaves)


@pytest.mark.libreoffice
def test_printed_alone_on_a4_within_the_margins(make_workbook: MakeWorkbook, bundled_set: CriteriaSet,
                                                communes: list[Commune], tmp_path: Path) -> None:
    commune = max(communes, key=lambda c: len(c.name))  # the longest name is the hardest to fit
    filling = _filling(bundled_set, seed=3)
    filled = WorkbookFiller(make_workbook(commune=commune), bundled_set).write(filling, tmp_path / "filled.xlsx")
    (pdf,) = print_report([filled], tmp_path / "pdf")
    reader = PdfReader(pdf)
    pages, pieces = [], []
    for number, page in enumerate(reader.pages, start=1):
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(w - A4[0]) < 1 and abs(h - A4[1]) < 1, (number, w, h)  # A4 portrait
        found, text = script("render_pdfs").page_runs(page)
        pages.append(unicodedata.normalize("NFC", text))
        assert re.search(rf"(^|\s){number}/{len(reader.pages)}(\s|$)", pages[-1]), number  # x/y of this sheet
        pieces += found
        body = [p for p in found if p[1] > MARGINS_MM["bottom"] * MM]  # the footer sits in the bottom margin
        assert min(x for x, _y, _s, _t in body) >= (MARGINS_MM["left"] - 0.5) * MM
        assert max(y for _x, y, _s, _t in body) <= h - MARGINS_MM["top"] * MM
    assert min(size for _x, _y, size, _t in pieces) >= 10.95  # nothing printed below 11 pt
    text = " ".join(pages)
    words = set(text.split())
    for leaf in bundled_set.leaves():
        assert leaf.code in words, leaf.code
    assert T["approved"]["sign_for"] in text and T["approved"]["sign_title"] in text
    assert f"ỦY BAN NHÂN DÂN {commune.kind} {commune.name}".upper() in re.sub(r"\s+", " ", text)
    total = filling.evaluate(bundled_set).total
    line = next(s for s in text.splitlines() if T["approved"]["total_label"] in s)
    assert re.findall(r"\d+[.,]\d\d", line)[-1].replace(",", ".") == f"{total:.2f}"
