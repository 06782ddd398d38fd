"""Reading a scanned approval document: its page images, straightened, table rules removed, OCR'd by
Tesseract (Vietnamese data) through pytesseract, as lines of words with their confidences.

A scanned PDF holds one image per page; the images are taken from the PDF as they are (no renderer
needed). Tesseract reads 12 pt text best at ~200–300 dpi: a lower resolution (a phone photo) is scaled up
first. The red channel is read (a red seal over the text then nearly vanishes, black print stays black).
"""

from __future__ import annotations

import functools
import io
import shutil
from dataclasses import dataclass

import numpy as np
from PIL import Image
from pypdf import PdfReader

from cchc_xl.approval.reading import Word

LANG = "vie"
NUMBERS_LANG = "eng"  # codes and points: Tesseract's English model reads digits better than its Vietnamese one
MIN_DPI = 200  # a lower resolution is scaled up to this before OCR
NUMBERS_DPI = 300  # the columns of codes and points are read at this resolution
_MAX_SKEW = 3.0  # degrees tried either way when straightening a page


@dataclass(frozen=True)
class PageImage:
    image: Image.Image  # RGB or L
    dpi: float


@functools.cache
def available() -> str | None:
    """None when Tesseract with Vietnamese data is usable; otherwise what is missing (for the message)."""
    try:
        import pytesseract
    except ImportError:
        return "pytesseract"
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None and shutil.which("tesseract") is None:
        return "tesseract-ocr"
    try:
        langs = pytesseract.get_languages(config="")
    except Exception:
        return "tesseract-ocr"
    missing = [f"tesseract-ocr-{lang}" for lang in (LANG, NUMBERS_LANG) if lang not in langs]
    return ", ".join(missing) or None


def page_images(data: bytes, max_pages: int = 40) -> list[PageImage]:
    """The largest image of each page (a scan), with its resolution on the page."""
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        reader.decrypt("")
    out = []
    for page in reader.pages[:max_pages]:
        images = [im.image for im in page.images if im.image is not None]
        if not images:
            continue
        image = max(images, key=lambda im: im.width * im.height)
        width_in = float(page.mediabox.width) / 72
        out.append(PageImage(image.convert("RGB") if image.mode not in ("RGB", "L") else image,
                             image.width / width_in if width_in else 200.0))
    return out


@dataclass
class Prepared:
    """A page straightened, its rules removed, with where the table's outer rules were."""

    image: Image.Image  # grey
    dpi: float
    table: tuple[int, int, int] | None  # (left x, right x, top y) of the table's frame, when one was seen

    def header(self) -> Image.Image | None:
        """The top left of the page above the table: the superior body and the agency."""
        if self.table is None or self.table[2] < self.dpi / 2:
            return None
        left, right, top = self.table
        return self.image.crop((0, 0, round(left + 0.45 * (right - left)), top // 2))

    def columns(self, spans: list[tuple[float, float]], clean: bool = True) -> Image.Image | None:
        """The table's columns at `spans` (fractions of its width) side by side, full height: each row
        then reads "code maximum score" without the long titles between (OCR is much faster). `clean`:
        black on white at NUMBERS_DPI (else the grey page as it is)."""
        if self.table is None:
            return None
        left, right, top = self.table
        pad = round(self.dpi / 25.4)  # 1 mm either side: a right-aligned number ends at its column's rule
        strips = [self.image.crop((max(0, round(left + a * (right - left)) - pad), top,
                                   min(self.image.width, round(left + b * (right - left)) + pad), self.image.height))
                  for a, b in spans]
        gap = round(self.dpi / 25.4 * 4)
        out = Image.new("L", (sum(s.width for s in strips) + gap * (len(strips) + 1), self.image.height - top), 255)
        x = gap
        for strip in strips:
            out.paste(strip, (x, 0))
            x += strip.width + gap
        if not clean:
            return out
        # black on white: grey cells (district-scored rows) and paper noise would split Tesseract's lines
        out = out.point(lambda v: 0 if v < 150 else 255)
        if self.dpi < NUMBERS_DPI:  # digits read best a little larger than the text
            factor = NUMBERS_DPI / self.dpi
            out = out.resize((round(out.width * factor), round(out.height * factor)), Image.Resampling.LANCZOS)
        return out


def prepare(page: PageImage) -> Prepared:
    """The page as Tesseract should see it: grey (red channel), at least MIN_DPI, straight, without the
    table's rules."""
    image, dpi = page.image, page.dpi
    grey = image.getchannel("R") if image.mode == "RGB" else image.convert("L")
    if dpi < MIN_DPI:
        factor = MIN_DPI / dpi
        grey = grey.resize((round(grey.width * factor), round(grey.height * factor)), Image.Resampling.LANCZOS)
        dpi = MIN_DPI
    angle = skew(grey)
    if abs(angle) > 0.05:
        grey = grey.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    arr = np.asarray(grey).copy()
    dark = arr < 150
    length = max(8, round(8 / 25.4 * dpi))  # a run of dark pixels longer than ~8 mm is a rule, not a letter
    across, down = _runs(dark, length, axis=1), _runs(dark, length, axis=0)
    table = _frame(across, down, dpi)
    mask = across | down
    grown = mask.copy()  # the rules' anti-aliased edges too
    grown[1:, :] |= mask[:-1, :]
    grown[:-1, :] |= mask[1:, :]
    grown[:, 1:] |= mask[:, :-1]
    grown[:, :-1] |= mask[:, 1:]
    arr[grown] = 255
    return Prepared(Image.fromarray(arr), dpi, table)


def _frame(across: np.ndarray, down: np.ndarray, dpi: float) -> tuple[int, int, int] | None:
    """(left, right, top) of the table: the outermost vertical rules at least 3 cm long, and the first
    horizontal rule between them."""
    tall = down.sum(axis=0) >= 30 / 25.4 * dpi
    xs = np.nonzero(tall)[0]
    if len(xs) < 2 or xs[-1] - xs[0] < 50 / 25.4 * dpi:
        return None
    left, right = int(xs[0]), int(xs[-1])
    wide = across[:, left:right + 1].sum(axis=1) >= 0.8 * (right - left)
    ys = np.nonzero(wide)[0]
    return left, right, int(ys[0]) if len(ys) else 0


def skew(grey: Image.Image) -> float:
    """The rotation (degrees, counter-clockwise) that makes the text lines horizontal: the angle whose row
    profile of dark pixels is sharpest, tried on a small copy, coarse then fine."""
    small = grey.resize((max(1, grey.width // 4), max(1, grey.height // 4)), Image.Resampling.BILINEAR)
    dark = Image.fromarray(((np.asarray(small) < 160) * 255).astype(np.uint8))

    def sharpness(angle: float) -> float:
        rows = np.asarray(dark.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0), dtype=np.float32)
        profile = rows.sum(axis=1)
        return float(np.square(np.diff(profile)).sum())

    best = max(np.arange(-_MAX_SKEW, _MAX_SKEW + 0.01, 0.5), key=sharpness)
    return float(max(np.arange(best - 0.45, best + 0.46, 0.1), key=sharpness))


def _runs(dark: np.ndarray, length: int, axis: int) -> np.ndarray:
    """Pixels that lie in a run of at least `length` dark pixels along `axis`."""
    d = dark if axis == 1 else dark.T
    c = np.zeros((d.shape[0], d.shape[1] + 1), dtype=np.int32)
    np.cumsum(d, axis=1, out=c[:, 1:])
    full = (c[:, length:] - c[:, :-length]) == length  # window [j, j+length) all dark
    # a pixel is in a long run when some full window covers it
    cover = np.zeros((d.shape[0], d.shape[1] + 1), dtype=np.int32)
    cover[:, : full.shape[1]] += full
    cover[:, length: length + full.shape[1]] -= full
    out = np.cumsum(cover[:, :-1], axis=1) > 0
    return out if axis == 1 else out.T


NUMERALS = "0123456789.,IVXL"  # what the columns of codes and points can hold


def read_lines(image: Image.Image, only: str = "", lang: str = LANG) -> list[list[Word]]:
    """Tesseract's words on the page, grouped in lines (block, paragraph, line), left to right; `only`:
    the characters the text can hold (Tesseract then reads nothing else)."""
    import pytesseract

    config = "--psm 6" + (f" -c tessedit_char_whitelist={only}" if only else "")
    data = pytesseract.image_to_data(image, lang=lang, config=config, output_type=pytesseract.Output.DICT)
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        left, width = float(data["left"][i]), float(data["width"][i])
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        lines.setdefault(key, []).append(Word(text, left, left + width, conf))
    return [sorted(words, key=lambda w: w.x) for _, words in sorted(lines.items())]
