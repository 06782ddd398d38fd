"""Print every workbook kind of the demo the way users print it, and report how each sheet prints.

    python scripts/render_pdfs.py [--demo DIR] [--out DIR] [--fresh] [--dpi N]

Takes the demo's own output (runs `cchc-xl demo DIR` first when DIR has none; the workbooks are chosen as
scripts/render_pictures.py chooses them), prints each visible sheet of each workbook alone to PDF with
LibreOffice (one call for all; a sheet alone is numbered over its own pages, as `approval.printing` prints
the Phụ lục 2 sheet), renders the pages to PNG with pdftoppm and prints one line per sheet: pages, empty
pages, paper, and the print scale.

The print scale is measured, not read from the file: the most common printed font size on the sheet's
pages over the most common font size of the sheet's text cells (LibreOffice shrinks a whole sheet
uniformly when it fits it to the page width).

Output: OUT/<kind>/<sheet>.pdf, OUT/<kind>/<sheet>-<page>.png and OUT/print-report.json.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from pypdf import PageObject, PdfReader

from cchc_xl.approval.printing import report_only_copy
from cchc_xl.communes import slugify
from cchc_xl.office import OfficeError, convert

sys.path.insert(0, str(Path(__file__).resolve().parent))
import render_pictures

REPO = render_pictures.REPO
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PT_PER_MM = 72 / 25.4
FOOTER = re.compile(r"^(Trang)?\d+/\d+$")  # the page number "Trang n/N" (its digits alone are dropped too)

# kind -> key of render_pictures' sources
KINDS = {"commune": "filled", "commune-blank": "blank", "feedback": "feedback", "validation": "validation",
         "appraisal": "appraisal", "answer": "answer", "ranking": "ranking"}


@dataclass
class SheetPrint:
    kind: str
    workbook: str
    sheet: str
    pages: int
    empty_pages: int
    scale: float | None          # printed / nominal font size; None when the sheet prints no text
    portrait: bool
    a4: bool
    nominal_pt: float | None     # the sheet's most common font size
    printed_pt: float | None     # its most common printed size
    min_pt: float | None         # the smallest printed size
    margins_mm: dict[str, float] = field(default_factory=dict)  # text's distance to the page edges
    pdf: str = ""
    text: str = field(default="", repr=False)


# -- the workbook's sheets ------------------------------------------------------------------------
def _parts(z: zipfile.ZipFile) -> list[tuple[str, str, str]]:
    """(sheet name, state, worksheet part) in tab order."""
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    rels = {r.get("Id"): r.get("Target", "") for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
    out = []
    for s in wb.iterfind("m:sheets/m:sheet", NS):
        target = rels[s.get(REL)].lstrip("/")
        out.append((s.get("name", ""), s.get("state", "visible"), target if target.startswith("xl/") else "xl/" + target))
    return out


def visible_sheets(book: Path) -> list[str]:
    with zipfile.ZipFile(book) as z:
        return [name for name, state, _ in _parts(z) if state == "visible"]


def nominal_sizes(book: Path) -> dict[str, float]:
    """Sheet name -> the font size most of its text is written in (weighted by characters)."""
    with zipfile.ZipFile(book) as z:
        styles = ET.fromstring(z.read("xl/styles.xml"))
        sizes = [float(f.find("m:sz", NS).get("val", "11")) if f.find("m:sz", NS) is not None else 11.0
                 for f in styles.iterfind("m:fonts/m:font", NS)]
        xf_size = [sizes[int(xf.get("fontId", "0"))] for xf in styles.iterfind("m:cellXfs/m:xf", NS)]
        strings: list[str] = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")).iterfind("m:si", NS):
                strings.append("".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")))
        areas = print_areas(z)
        out = {}
        for index, (name, _state, part) in enumerate(_parts(z)):
            weights: Counter[float] = Counter()
            area = areas.get(index)
            for c in ET.fromstring(z.read(part)).iterfind(".//m:sheetData/m:row/m:c", NS):
                if area and not _inside(c.get("r", "A1"), area):
                    continue  # not printed
                v = c.find("m:v", NS)
                text = c.find("m:is", NS)
                if c.get("t") == "s" and v is not None:
                    value = strings[int(v.text or 0)]
                elif text is not None:
                    value = "".join(t.text or "" for t in text.iter(f"{{{NS['m']}}}t"))
                elif v is not None:
                    value = v.text or ""
                else:
                    continue
                weights[xf_size[int(c.get("s", "0"))]] += len(value.strip())
            if weights:
                out[name] = weights.most_common(1)[0][0]
        return out


def print_areas(z: zipfile.ZipFile) -> dict[int, tuple[int, int, int, int]]:
    """Sheet index -> its print area (first row, first col, last row, last col; 0-based)."""
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    out = {}
    for n in wb.iterfind("m:definedNames/m:definedName", NS):
        if n.get("name") == "_xlnm.Print_Area" and n.get("localSheetId") is not None:
            m = re.search(r"!\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)$", n.text or "")
            if m:
                out[int(n.get("localSheetId", "0"))] = (int(m[2]) - 1, _col(m[1]), int(m[4]) - 1, _col(m[3]))
    return out


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _inside(ref: str, area: tuple[int, int, int, int]) -> bool:
    m = re.match(r"([A-Z]+)(\d+)", ref)
    if not m:
        return True
    row, col = int(m[2]) - 1, _col(m[1])
    return area[0] <= row <= area[2] and area[1] <= col <= area[3]


# -- measuring a PDF ------------------------------------------------------------------------------
Run = tuple[float, float, float, str]  # x, y, printed size in points, text


def page_runs(page: PageObject) -> tuple[list[Run], str]:
    """A PDF page's text runs, each with its place and printed size, and the page's text."""
    found: list[Run] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((x, y, round(size * abs(tm[3] * cm[3]), 2), text))

    text = page.extract_text(visitor_text=visit)
    return found, text


def _runs(pdf: Path) -> tuple[list[list[Run]], list[tuple[float, float]]]:
    """Per page: (x, y, printed size, text) of every text run; and the pages' sizes in points."""
    reader = PdfReader(pdf)
    pages, sizes = [], []
    for page in reader.pages:
        pages.append([(x, y, round(size, 1), t) for x, y, size, t in page_runs(page)[0]])
        sizes.append((float(page.mediabox.width), float(page.mediabox.height)))
    return pages, sizes


def measure(kind: str, book: Path, sheet: str, pdf: Path, nominal: float | None) -> SheetPrint:
    pages, sizes = _runs(pdf)
    weights: Counter[float] = Counter()
    for runs in pages:
        for _x, _y, size, text in runs:
            weights[size] += len(text.strip())
    empty = sum(1 for i, runs in enumerate(pages) if i and _empty(runs, pages))
    printed = weights.most_common(1)[0][0] if weights else None
    w, h = sizes[0] if sizes else (0.0, 0.0)
    margins: dict[str, float] = {}
    if any(pages):
        body = [r for runs, (_pw, ph) in zip(pages, sizes, strict=True) for r in runs]
        margins = {"left": round(min(x for x, *_ in body) / PT_PER_MM, 1),
                   "top": round((h - max(y for _x, y, *_ in body)) / PT_PER_MM, 1)}
    texts = subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(pdf), "-"], capture_output=True,
                           check=True).stdout.decode("utf-8", errors="replace")
    return SheetPrint(
        kind=kind, workbook=book.name, sheet=sheet, pages=len(pages), empty_pages=empty,
        scale=round(printed / nominal, 3) if printed and nominal else None,
        portrait=w < h, a4=abs(min(w, h) - 595.3) < 2 and abs(max(w, h) - 841.9) < 2,
        nominal_pt=nominal, printed_pt=printed, min_pt=min(weights) if weights else None,
        margins_mm=margins, pdf=str(pdf), text=unicodedata.normalize("NFC", texts))


def _empty(runs: list[tuple[float, float, float, str]], pages: list[list[tuple[float, float, float, str]]]) -> bool:
    """Whether a page holds nothing but what every page holds (its repeated header rows, the footer)."""
    common = set.intersection(*(set(_words(p)) for p in pages))
    words = _words(runs)
    # every word of the page is one every page holds, and no more text than those once each
    return set(words) <= common and sum(map(len, words)) <= 1.2 * sum(map(len, common)) + 10


def _words(runs: list[tuple[float, float, float, str]]) -> list[str]:
    """The words of a page, without its page number."""
    words = [unicodedata.normalize("NFC", w) for *_r, t in runs for w in t.split()]
    return [w for w in words if not FOOTER.match(w) and not re.fullmatch(r"[\d/]+", w)]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


def print_sheets(books: dict[str, Path], out: Path) -> list[SheetPrint]:
    """Every visible sheet of every workbook printed alone to OUT/<kind>/<sheet>.pdf, measured."""
    jobs: list[tuple[str, Path, str, Path]] = []  # kind, workbook, sheet, its one-sheet copy
    with tempfile.TemporaryDirectory(prefix="cchc-print-") as tmp:
        for kind, book in books.items():
            for i, sheet in enumerate(visible_sheets(book), start=1):
                copy = Path(tmp) / kind / f"{i:02d}-{slugify(sheet)}.xlsx"
                copy.parent.mkdir(parents=True, exist_ok=True)
                jobs.append((kind, book, sheet, report_only_copy(book, copy, sheet)))
        pdfs: list[Path] = []
        for kind in books:  # one LibreOffice call per kind: the PDFs land in the kind's folder
            copies = [c for k, _b, _s, c in jobs if k == kind]
            pdfs += convert(copies, "pdf", out / kind)
    nominal = {kind: nominal_sizes(book) for kind, book in books.items()}
    return [measure(kind, book, sheet, pdf, nominal[kind].get(sheet))
            for (kind, book, sheet, _c), pdf in zip(jobs, pdfs, strict=True)]


def render_pngs(pdf: Path, dpi: int) -> list[Path]:
    stem = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(stem)], check=True)
    return sorted(pdf.parent.glob(f"{stem.name}-*.png"))


def demo_workbooks(demo: Path) -> dict[str, Path]:
    sources = render_pictures._sources(demo)
    return {kind: sources[key] for kind, key in KINDS.items() if key in sources}


def table(prints: list[SheetPrint]) -> str:
    lines = [f"{'kind':<14} {'sheet':<28} {'pages':>5} {'empty':>5} {'scale':>6}  paper"]
    for p in prints:
        scale = f"{p.scale:.0%}" if p.scale else "—"
        paper = ("A4 " if p.a4 else "") + ("portrait" if p.portrait else "landscape")
        lines.append(f"{p.kind:<14} {p.sheet:<28} {p.pages:>5} {p.empty_pages:>5} {scale:>6}  {paper}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", type=Path, default=REPO / "demo-output",
                        help="demo output folder (filled by cchc-xl demo when it has none)")
    parser.add_argument("--out", type=Path, default=None, help="where to write PDFs and PNGs (default DEMO/in)")
    parser.add_argument("--fresh", action="store_true", help="re-run the demo first")
    parser.add_argument("--dpi", type=int, default=50, help="PNG resolution")
    parser.add_argument("--no-png", action="store_true", help="PDFs and the report only")
    args = parser.parse_args(argv)
    for tool in ("pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found (install poppler-utils)")
    demo: Path = args.demo.resolve()
    render_pictures.ensure_demo(demo, args.fresh)
    out: Path = (args.out or demo / "in").resolve()
    if out.exists():
        shutil.rmtree(out)
    try:
        prints = print_sheets(demo_workbooks(demo), out)
    except OfficeError as exc:
        sys.exit(f"LibreOffice could not convert to PDF: {exc}")
    if not args.no_png:
        for p in prints:
            render_pngs(Path(p.pdf), args.dpi)
    report = [{k: v for k, v in asdict(p).items() if k != "text"} for p in prints]
    (out / "print-report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(table(prints))
    print(f"PDFs and PNGs in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
