"""Realistic approval documents (the signed Phụ lục 2) for the demo, the tests and the benchmark.

From the report printed by LibreOffice (`approval.printing`): the same PDF digitally signed by the demo
identity, or rasterised like a scanner would (slightly grey paper, noise, a slight rotation, 200–300 dpi
JPEG pages) with a red seal and a blue signature drawn over the signature block; or photographed on a
phone (low resolution, uneven light, blur). Rasterising uses poppler's `pdftoppm`.
"""

from __future__ import annotations

import io
import math
import random
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openpyxl
from PIL import Image, ImageDraw, ImageFilter
from pypdf import PdfReader

from cchc_xl.approval.check import approval_file
from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.samplegen.pdfs import DemoIdentity, _pil_font, demo_identity, sign_pdf
from cchc_xl.samplegen.returns import PlantedMistake
from cchc_xl.templates import template


class RasterError(RuntimeError):
    pass


@dataclass(frozen=True)
class ScanStyle:
    """How a page goes through the scanner (or the phone)."""

    dpi: int = 200
    rotation: float = 0.6  # degrees, counter-clockwise
    noise: float = 6.0  # standard deviation of the grey noise, in levels of 255
    paper: int = 246  # the grey of the paper
    quality: int = 75  # JPEG quality
    seal: bool = True
    signature: bool = True
    blur: float = 0.0  # Gaussian blur radius in pixels (a phone photo)
    shading: float = 0.0  # light falling off across the page, 0–1 (a phone photo)
    colour: bool = True


PHOTO = ScanStyle(dpi=100, rotation=1.8, noise=10.0, quality=55, blur=1.0, shading=0.25)


def signed_approval(report_pdf: bytes, identity: DemoIdentity | None = None) -> bytes:
    """The printed report, digitally signed (the demo identity unless given)."""
    return sign_pdf(report_pdf, identity or demo_identity(), reason="Phê duyệt kết quả tự đánh giá")


def scanned_approval(report_pdf: bytes, commune_name: str, style: ScanStyle = ScanStyle(), seed: int = 0) -> bytes:
    """The printed report as a scanner gives it back: one JPEG per page in a PDF; the last page signed and
    stamped over the signature block."""
    rng = random.Random(seed)
    pages = rasterise(report_pdf, style.dpi)
    anchor = signature_anchor(report_pdf)
    out: list[Image.Image] = []
    for i, page in enumerate(pages):
        if i == len(pages) - 1 and anchor is not None:
            x, y = (v / 72 * style.dpi for v in anchor)
            y = page.height - y
            if style.signature:
                _draw_signature(page, x, y, style.dpi, rng)
            if style.seal:
                _draw_seal(page, x - 14 / 25.4 * style.dpi, y + 20 / 25.4 * style.dpi, style.dpi, commune_name)
        out.append(_through_scanner(page, style, rng))
    buffer = io.BytesIO()
    first, *rest = out
    first.save(buffer, "PDF", save_all=True, append_images=rest, resolution=float(style.dpi), quality=style.quality)
    return buffer.getvalue()


def rasterise(pdf: bytes, dpi: int) -> list[Image.Image]:
    """The PDF's pages as RGB images (poppler's pdftoppm)."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise RasterError("pdftoppm (poppler-utils) not found")
    with tempfile.TemporaryDirectory(prefix="cchc-raster-") as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        subprocess.run([tool, "-r", str(dpi), "-png", str(source), str(Path(tmp) / "p")], check=True,
                       capture_output=True, timeout=300)
        files = sorted(Path(tmp).glob("p-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
        return [Image.open(f).convert("RGB") for f in files]


def signature_anchor(pdf: bytes) -> tuple[float, float] | None:
    """(x, y) in points from the page's bottom left: the centre of the chairman's title on the last page."""
    title = template("commune").approved.sign_title
    page = PdfReader(io.BytesIO(pdf)).pages[-1]
    found: list[tuple[float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        if text.strip() == title:
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((x + len(title) * size * abs(tm[0] * cm[0]) * 0.33, y))

    page.extract_text(visitor_text=visit)
    return found[-1] if found else None


def _draw_signature(page: Image.Image, x: float, y: float, dpi: int, rng: random.Random) -> None:
    """A handwritten signature in blue ink, about 35 × 12 mm, some 12 mm below the title."""
    mm = dpi / 25.4
    draw = ImageDraw.Draw(page)
    cx, cy = x, y + 22 * mm
    points = []
    for k in range(220):
        t = k / 219
        points.append((cx - 18 * mm + 36 * mm * t + 3 * mm * math.sin(t * 19 + rng.random() * 0.2),
                       cy + 5 * mm * math.sin(t * 11.0 + 0.7) * (1 - 0.6 * t) + 2 * mm * math.cos(t * 27)))
    width = max(2, round(0.5 * mm))
    draw.line(points, fill=(25, 45, 150), width=width, joint="curve")
    draw.line([(cx - 16 * mm, cy + 7 * mm), (cx + 14 * mm, cy + 4 * mm)], fill=(25, 45, 150), width=width)


def _draw_seal(page: Image.Image, x: float, y: float, dpi: int, commune_name: str) -> None:
    """A commune seal: red ink, two rings (36 mm across), the name around it, a star in the middle;
    printed over the page like ink (multiplied), slightly uneven."""
    mm = dpi / 25.4
    size = round(38 * mm)
    stamp = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(stamp)
    c = size / 2
    r1, r2 = 18 * mm, 14.5 * mm
    for r, w in ((r1, 0.8), (r2, 0.5)):
        draw.ellipse((c - r, c - r, c + r, c + r), outline=255, width=max(2, round(w * mm)))
    text = f"ỦY BAN NHÂN DÂN XÃ {commune_name.upper()} ★ "
    font = _pil_font(max(8, round(3.0 * mm)))
    for i, ch in enumerate(text):
        angle = 2 * math.pi * i / len(text) - math.pi / 2
        glyph = Image.new("L", (round(5 * mm), round(5 * mm)), 0)
        ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), ch, fill=255, font=font, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        rr = (r1 + r2) / 2
        stamp.paste(255, (round(c + rr * math.cos(angle) - glyph.width / 2),
                          round(c + rr * math.sin(angle) - glyph.height / 2)), glyph)
    star = [(c + (7 if k % 2 == 0 else 3) * mm * math.cos(math.pi * k / 5 - math.pi / 2),
             c + (7 if k % 2 == 0 else 3) * mm * math.sin(math.pi * k / 5 - math.pi / 2)) for k in range(10)]
    draw.polygon(star, fill=255)
    ink = np.asarray(stamp, dtype=np.float32) / 255 * 0.85
    left, top = round(x - c), round(y - c)
    region = np.asarray(page.crop((left, top, left + size, top + size)), dtype=np.float32)
    red = np.array([205, 30, 40], dtype=np.float32)
    mixed = region * (1 - ink[..., None]) + (region * red / 255) * ink[..., None]
    page.paste(Image.fromarray(mixed.clip(0, 255).astype(np.uint8)), (left, top))


def _through_scanner(page: Image.Image, style: ScanStyle, rng: random.Random) -> Image.Image:
    arr = np.asarray(page, dtype=np.float32)
    arr = arr * (style.paper / 255)  # white paper comes out slightly grey
    if style.shading:
        h, w = arr.shape[:2]
        ramp = 1 - style.shading * (np.linspace(0, 1, w)[None, :] * 0.6 + np.linspace(0, 1, h)[:, None] * 0.4)
        arr = arr * ramp[..., None]
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, style.noise, arr.shape[:2])
    arr = arr + noise[..., None]
    image = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    if not style.colour:
        image = image.convert("L").convert("RGB")
    if style.blur:
        image = image.filter(ImageFilter.GaussianBlur(style.blur))
    if style.rotation:
        image = image.rotate(style.rotation, resample=Image.Resampling.BICUBIC, fillcolor=(style.paper,) * 3)
    return image


# -- the demo's approval documents ------------------------------------------------------------------
SCANNED_EVERY = 9  # every 9th commune sends a scan (OCR takes seconds a page); the others sign digitally
DIFFERS_INDEX, MISSING_INDEX = 7, 8  # the commune whose approval differs by one item; the one with none


def add_approvals(inbox: Path, communes: list[Commune], cset: CriteriaSet) -> list[PlantedMistake] | None:
    """Put each commune's approval document (its Phụ lục 2 printed by LibreOffice, then signed or scanned)
    into its evidence folder or zip in `inbox`; returns the two planted approval mistakes, or None when
    LibreOffice is not installed (no approval documents then)."""
    from cchc_xl.approval.printing import print_report
    from cchc_xl.office import find_soffice

    if find_soffice() is None:
        return None
    books = [next(inbox.glob(f"{c.code}-*.xlsx")) for c in communes]
    with tempfile.TemporaryDirectory(prefix="cchc-approvals-") as tmp:
        sources = list(books)
        sources[DIFFERS_INDEX] = _one_item_changed(books[DIFFERS_INDEX], Path(tmp) / books[DIFFERS_INDEX].name, cset)
        printed = print_report(sources, Path(tmp) / "pdf")
        for i, (commune, book, pdf) in enumerate(zip(communes, books, printed, strict=True)):
            if i == MISSING_INDEX:
                continue
            report = pdf.read_bytes()
            if i % SCANNED_EVERY == 0:
                document = scanned_approval(report, commune.name, ScanStyle(dpi=200 + 50 * (i % 3)), seed=i)
            else:
                document = signed_approval(report, demo_identity(seed=i, organisation=commune.committee))
            _put(inbox / book.stem, approval_file(), document)
    return [PlantedMistake(communes[DIFFERS_INDEX].code, "approval_differs", "approval.item_differs"),
            PlantedMistake(communes[MISSING_INDEX].code, "approval_missing", "approval.missing")]


def _one_item_changed(book: Path, target: Path, cset: CriteriaSet) -> Path:
    """A copy of the return whose first typed score is another allowed value: what the chairman approved
    before the commune changed that score."""
    wb = openpyxl.load_workbook(book)
    leaf = next(c for c in cset.commune_leaves() if c.rule is not None and c.rule.kind == "manual")
    ((sheet, ref),) = list(wb.defined_names[f"TDG_{leaf.name_key}"].destinations)
    cell = wb[sheet][ref.replace("$", "")]
    value = float(cell.value or 0)
    cell.value = float(leaf.max) if value != float(leaf.max) else float(leaf.max - leaf.rule.step())  # type: ignore[union-attr]
    wb.save(target)
    return target


def _put(evidence: Path, name: str, data: bytes) -> None:
    """Add a file to an evidence folder, or to the zip of the same name."""
    archive = evidence.with_suffix(".zip")
    if archive.is_file():
        with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(name, data)
        return
    evidence.mkdir(parents=True, exist_ok=True)
    (evidence / name).write_bytes(data)
