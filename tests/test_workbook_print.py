"""The generated workbook opens in LibreOffice headless, and its 'Tổng hợp' sheet (Phụ lục 2, the page the
Chairman signs) prints on A4 with the whole table width on each page.

The whole workbook is exported to PDF in one LibreOffice call; the summary's pages are found by their title
and the next sheet's title, and read with pypdf. Text is compared without whitespace, because header cells
wrap ("Điểm tự đánh" / "giá").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.office import convert
from cchc_xl.templates import template
from workbook_fill import NamedValues

pytestmark = pytest.mark.libreoffice

MakeWorkbook = Callable[..., Path]
T = template("commune")
A4 = (595.28, 841.89)  # points
HEADERS = ("Điểm tối đa", "Điểm tự đánh giá", "Ghi chú")


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


@dataclass
class Printed:
    commune: Commune
    book: Path
    pages: list[str]  # extracted text, NFC
    sizes: list[tuple[float, float]]  # (width, height) in points
    summary: list[int]  # indexes of the 'Tổng hợp' pages


@pytest.fixture(scope="module")
def printed(make_workbook: MakeWorkbook, bundled_set: CriteriaSet, communes: list[Commune],
            tmp_path_factory: pytest.TempPathFactory) -> Printed:
    commune = max(communes, key=lambda c: len(c.committee))  # the longest name is the hardest to fit
    book = make_workbook(cset=bundled_set, commune=commune)
    (pdf,) = convert([book], "pdf", tmp_path_factory.mktemp("pdf"))
    assert pdf.read_bytes()[:5] == b"%PDF-"
    reader = PdfReader(pdf)
    pages = [unicodedata.normalize("NFC", p.extract_text() or "") for p in reader.pages]
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
    title = squeeze(T["summary"]["title"].split(",")[0])  # "BẢNG TỔNG HỢP KẾT QUẢ TỰ ĐÁNH GIÁ"
    after = squeeze(T["issues"]["title"])
    start = next(i for i, text in enumerate(pages) if title in squeeze(text))
    end = next((i for i in range(start + 1, len(pages)) if after in squeeze(pages[i])), len(pages))
    return Printed(commune, book, pages, sizes, list(range(start, end)))


def is_a4(size: tuple[float, float]) -> bool:
    w, h = sorted(size)
    return abs(w - A4[0]) < 1.5 and abs(h - A4[1]) < 1.5


def test_workbook_opens_and_resaves_in_libreoffice(make_workbook: MakeWorkbook, bundled_set: CriteriaSet,
                                                   mini_set: CriteriaSet, tmp_path: Path) -> None:
    books = [make_workbook(cset=bundled_set), make_workbook(cset=mini_set, name="mini.xlsx")]
    results = convert(books, "xlsx", tmp_path / "out")
    for book, result in zip(books, results, strict=True):
        assert result.stat().st_size > 0
        before, after = NamedValues(book), NamedValues(result)
        assert set(before.names) <= set(after.names)
        assert after["TONG_DIEM"] == 0
        assert after["XEP_LOAI"] == before["XEP_LOAI"]
        assert after["MA_DON_VI"] == before["MA_DON_VI"]


def test_every_printed_page_is_a4(printed: Printed) -> None:
    assert printed.sizes
    assert [s for s in printed.sizes if not is_a4(s)] == []


def test_summary_prints_on_a4_with_the_whole_table_width(printed: Printed) -> None:
    assert printed.summary, "no page of 'Tổng hợp' found in the PDF"
    first = squeeze(printed.pages[printed.summary[0]])
    assert squeeze(printed.commune.committee.upper()) in first
    for i in printed.summary:
        w, h = printed.sizes[i]
        assert is_a4((w, h)), (i, w, h)
        text = squeeze(printed.pages[i])
        for header in HEADERS:  # the header row repeats on every page, all columns on the same page
            assert squeeze(header) in text, (i, header)
    assert printed.sizes[printed.summary[0]][0] < printed.sizes[printed.summary[0]][1], "set up as portrait"


def test_summary_pages_hold_the_whole_table(printed: Printed, bundled_set: CriteriaSet) -> None:
    text = "".join(squeeze(printed.pages[i]) for i in printed.summary)
    for area in bundled_set.areas:
        assert squeeze(area.title) in text, area.code
        for crit in area.criteria:
            assert squeeze(crit.title) in text, crit.code
    for line in (T["summary"]["total_label"], T["summary"]["sign_title"], printed.commune.name):
        assert squeeze(line) in text, line


def test_summary_title_prints_across_the_table(printed: Printed) -> None:
    first = printed.pages[printed.summary[0]]
    words = T["summary"]["title"].split()[:4]  # BẢNG TỔNG HỢP KẾT
    assert re.search(r"[ \t]+".join(map(re.escape, words)), first), first[-400:]
