"""The seal and the signature on a scanned page, by colour and shape (Pillow and numpy).

A commune's seal (con dấu) is red ink in a ring some 30–45 mm across; a signature is handwritten in blue
ink (the rule for signing documents) near the signature block, which sits in the lower half of the last
page. A grey or black-and-white scan shows neither colour: both are then "not checkable", not "missing".
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from PIL import Image

SEAL_MM = (25.0, 50.0)  # the seal's diameter
_WORK_DPI = 50  # the page is examined at this resolution


@dataclass(frozen=True)
class Marks:
    colour: bool  # the page has colour at all (else nothing below could be seen)
    seal: bool
    signature: bool
    seal_mm: float = 0.0  # the diameter of the seal found


def find_marks(image: Image.Image, dpi: float) -> Marks:
    rgb = image.convert("RGB")
    factor = _WORK_DPI / dpi
    small = rgb.resize((max(1, round(rgb.width * factor)), max(1, round(rgb.height * factor))),
                       Image.Resampling.BOX)
    arr = np.asarray(small, dtype=np.int16)
    r, g, b = arr[..., 0], arr[..., 1], arr[..., 2]
    chroma = arr.max(axis=2) - arr.min(axis=2)
    colour = bool((chroma > 40).mean() > 0.0005)
    red = (r > 110) & (r - g > 45) & (r - b > 35)
    blue = (b - r > 35) & (b - g > 15) & (r < 170)
    seal_mm = _seal(red)
    lower = blue[blue.shape[0] // 3:, :]
    signature = bool(lower.sum() >= (6 / 25.4 * _WORK_DPI) ** 2)  # at least ~6 × 6 mm of ink strokes
    return Marks(colour=colour, seal=seal_mm > 0, signature=signature, seal_mm=seal_mm)


def _seal(mask: np.ndarray) -> float:
    """The diameter (mm) of the largest red ring-like region, or 0."""
    per_mm = _WORK_DPI / 25.4
    best = 0.0
    for ys, xs in _regions(_grow(mask)):
        h, w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
        diameter = (h + w) / 2 / per_mm
        if not (SEAL_MM[0] <= diameter <= SEAL_MM[1]) or not 0.75 <= h / w <= 1.33:
            continue
        cy, cx = (ys.max() + ys.min()) / 2, (xs.max() + xs.min()) / 2
        radius = np.hypot(ys - cy, xs - cx) / ((h + w) / 4)
        # ink on the rim: most of it lies in the outer part of the disc, all around
        angles = np.arctan2(ys - cy, xs - cx)
        rim = radius > 0.6
        sectors = np.unique(np.floor((angles[rim] + np.pi) / (np.pi / 4)).astype(int))
        if rim.mean() >= 0.5 and len(sectors) >= 7:
            best = max(best, float(diameter))
    return best


def _grow(mask: np.ndarray) -> np.ndarray:
    """The mask widened by one pixel each way (joins the letters of the ring to the ring)."""
    out = mask.copy()
    out[1:, :] |= mask[:-1, :]
    out[:-1, :] |= mask[1:, :]
    out[:, 1:] |= mask[:, :-1]
    out[:, :-1] |= mask[:, 1:]
    return out


def _regions(mask: np.ndarray, min_pixels: int = 40) -> list[tuple[np.ndarray, np.ndarray]]:
    """Connected regions (4-neighbour) of the mask with at least min_pixels pixels."""
    seen = np.zeros_like(mask, dtype=bool)
    h, w = mask.shape
    out = []
    for y0, x0 in zip(*np.nonzero(mask), strict=True):
        if seen[y0, x0]:
            continue
        seen[y0, x0] = True
        queue, ys, xs = deque([(y0, x0)]), [], []
        while queue:
            y, x = queue.popleft()
            ys.append(y)
            xs.append(x)
            for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    queue.append((ny, nx))
        if len(ys) >= min_pixels:
            out.append((np.array(ys), np.array(xs)))
    return out
