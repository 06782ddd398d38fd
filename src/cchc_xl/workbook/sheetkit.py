"""One sheet toolkit for every workbook cchc-xl writes (commune, feedback, validation, appraisal, ranking).

What every writer must do the same way lives here once:
- `workbook_options()`: user text stays text (never a formula, URL or number), and the default font, which
  sets the unit of column widths in every spreadsheet program, is the cells' own;
- `font()`: an explicit font (Times New Roman, family "roman", no theme scheme, so Excel does not swap in the
  theme's Calibri);
- `NUMBER_FORMATS`: one number format per column kind (counts as integers, points with two decimals; Excel
  shows the user's own decimal separator);
- `PageSetup`: A4, orientation, margins in millimetres, fit to width, repeated header rows, a print area, the
  page footer;
- `Sheet`: the writing helpers (text kept as text, numbers, merged titles, header rows, columns, protection).

Writers keep their own layouts and texts; they come here for how a cell, a row or a page is put down.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

FONT_NAME = "Times New Roman"
BODY_SIZE = 11
A4 = 9  # XlsxWriter's paper code
_INCH_MM = 25.4

# One number format per kind of column.
NUMBER_FORMATS: dict[str, str] = {
    "count": "0",
    "points": "0.00",
    "percent": "0%",
    "rank": "0",
}


def font(size: float = BODY_SIZE, **props: Any) -> dict[str, Any]:
    """Format properties of an explicit font: named, family 1 (roman), no theme scheme."""
    return {"font_name": FONT_NAME, "font_family": 1, "font_scheme": "none", "font_size": size, **props}


def workbook_options(**extra: Any) -> dict[str, Any]:
    """XlsxWriter options, fresh for each workbook (XlsxWriter adds to the default format's properties).

    Texts are written as text. The default font is the cells' own: Times New Roman (metric-compatible with
    Liberation Serif), so that a LibreOffice without Calibri or Carlito lays the columns out as wide as Excel
    does and the row heights fitted to the texts hold there too.
    """
    return {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
            "default_format_properties": font(), **extra}


@dataclass(frozen=True)
class Margins:
    """Page margins in millimetres."""

    top: float = 15.0
    bottom: float = 15.0
    left: float = 12.7
    right: float = 10.0

    def inches(self) -> dict[str, float]:
        return {"top": self.top / _INCH_MM, "bottom": self.bottom / _INCH_MM,
                "left": self.left / _INCH_MM, "right": self.right / _INCH_MM}


# Nghị định 30/2020/NĐ-CP, Phụ lục I: top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
ND30_MARGINS = Margins(top=20.0, bottom=20.0, left=30.0, right=15.0)
WORKING_MARGINS = Margins()


@dataclass(frozen=True)
class PageSetup:
    """How one sheet prints. `fit_width` pages across (0 = no fitting), `fit_height` pages down (0 = as many
    as needed); `repeat_rows` the 0-based first and last header rows printed on every page."""

    landscape: bool = False
    margins: Margins = WORKING_MARGINS
    fit_width: int = 1
    fit_height: int = 0
    repeat_rows: tuple[int, int] | None = None
    footer: str = "&CTrang &P/&N"
    footer_margin_mm: float | None = None
    center_horizontally: bool = False
    scale: int = 100  # percent, when not fitting (fit_width 0): with `page_breaks`, pages made here

    def apply(self, ws: Worksheet, print_area: tuple[int, int, int, int] | None = None) -> None:
        ws.set_paper(A4)
        ws.set_landscape() if self.landscape else ws.set_portrait()
        if self.fit_width:
            ws.fit_to_pages(self.fit_width, self.fit_height)
        elif self.scale != 100:
            ws.set_print_scale(self.scale)
        ws.set_margins(**self.margins.inches())
        if self.footer_margin_mm is None:
            ws.set_footer(self.footer)
        else:
            ws.set_footer(self.footer, {"margin": self.footer_margin_mm / _INCH_MM})
        if self.repeat_rows is not None:
            ws.repeat_rows(*self.repeat_rows)
        if print_area is not None:
            ws.print_area(*print_area)
        if self.center_horizontally:
            ws.center_horizontally()


def page_breaks(heights: Sequence[float], capacity: float, repeated: float = 0.0,
                keep_with_next: Collection[int] = ()) -> list[int]:
    """Rows (0-based) before which a new page starts, for rows of `heights` (points at 100 %) on pages holding
    `capacity` points of rows (at 100 %): every page but the first also prints the `repeated` header rows;
    a row in `keep_with_next` goes to the next page with the row after it (a heading with its first item, the
    rows of a signature block). A row taller than a page gets a page of its own."""
    breaks: list[int] = []
    start, used, row = 0, 0.0, 0
    while row < len(heights):
        if used + heights[row] > capacity and row > start:
            at = row
            while at - 1 > start and (at - 1) in keep_with_next:
                at -= 1
            breaks.append(at)
            start, used = at, repeated + sum(heights[at:row])
            continue
        used += heights[row]
        row += 1
    return breaks


class Formats:
    """A workbook's formats by style name, made on first use from a style table over one base font."""

    def __init__(self, workbook: Workbook, styles: Mapping[str, Mapping[str, Any]],
                 base: Mapping[str, Any] | None = None):
        self.workbook = workbook
        self.styles = styles
        self.base = dict(base if base is not None else font())
        self._made: dict[str, Format] = {}

    def __getitem__(self, style: str) -> Format:
        made = self._made.get(style)
        if made is None:
            made = self._made[style] = self.workbook.add_format({**self.base, **self.styles[style]})
        return made


class Sheet:
    """Writing helpers over one worksheet and its workbook's formats."""

    def __init__(self, ws: Worksheet, formats: Formats):
        self.ws = ws
        self.f = formats

    def text(self, row: int, col: int, value: str | None, style: str) -> None:
        """User or data text, always stored as text (a leading "=" or a number-looking text stays text)."""
        if value is None or value == "":
            self.ws.write_blank(row, col, None, self.f[style])
        else:
            self.ws.write_string(row, col, str(value), self.f[style])

    def formula(self, row: int, col: int, formula: str, style: str, cached: Any = None) -> None:
        """A formula (without "="), with the value a program that does not calculate shows."""
        value = float(cached) if isinstance(cached, Decimal) else ("" if cached is None else cached)
        self.ws.write_formula(row, col, "=" + formula, self.f[style], value)

    def date(self, row: int, col: int, value: dt.date, style: str) -> None:
        self.ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), self.f[style])

    def number(self, row: int, col: int, value: Decimal | int | float | None, style: str) -> None:
        if value is None:
            self.ws.write_blank(row, col, None, self.f[style])
        else:
            self.ws.write_number(row, col, float(value), self.f[style])

    def title(self, row: int, first: int, last: int, value: str, style: str) -> None:
        """A text across columns first..last (merged when it spans more than one)."""
        if last > first:
            self.ws.merge_range(row, first, row, last, value, self.f[style])
        else:
            self.text(row, first, value, style)

    def header(self, row: int, headers: Sequence[str], style: str, first_col: int = 0) -> None:
        for i, h in enumerate(headers):
            self.text(row, first_col + i, h, style)

    def columns(self, widths: Iterable[float], first_col: int = 0, hidden: Iterable[int] = ()) -> None:
        hide = set(hidden)
        for i, width in enumerate(widths, start=first_col):
            self.ws.set_column(i, i, width, None, {"hidden": True} if i in hide else None)

    def protect(self, password: str, **allow: bool) -> None:
        self.ws.protect(password, dict(allow))


# -- fitting a sheet on the page ---------------------------------------------------------------------------
PAPER_MM = (210.0, 297.0)  # A4 portrait: width, height
_PX_PER_MM = 96 / _INCH_MM
MIN_PRINT_SCALE = 0.85  # below this a printed 11 pt text is too small to read comfortably


# LibreOffice lays the columns of a Times New Roman workbook out about 6 % wider than Excel's 7 px a
# character (measured on its PDFs): fitting is worked out on the wider of the two.
LIBREOFFICE_WIDER = 1.06


def column_px(width: float) -> int:
    """A column `width` characters wide in pixels, as Excel lays it out for the 11 pt default font."""
    return int(width * 7 + 5) if width >= 1 else int(width * 12 + 0.5)


def printable_px(setup: PageSetup) -> tuple[float, float]:
    """The page's printable width and height in pixels (96 dpi), inside the margins."""
    width, height = PAPER_MM if not setup.landscape else PAPER_MM[::-1]
    m = setup.margins
    return (width - m.left - m.right) * _PX_PER_MM, (height - m.top - m.bottom) * _PX_PER_MM


def print_scale(widths: Sequence[float], setup: PageSetup) -> int:
    """The print scale (percent, at most 100) at which the columns `widths` fill the page's width.

    Set as a scale rather than "fit to one page wide": LibreOffice, fitting a width, also shrinks a sheet
    of a page or so to fit it on one page tall."""
    total = sum(column_px(w) for w in widths) * LIBREOFFICE_WIDER
    return max(10, min(100, int(100 * printable_px(setup)[0] / max(total, 1))))


def column_breaks(widths: Sequence[float], setup: PageSetup, repeated: int = 0,
                  groups: Sequence[int] = ()) -> list[int]:
    """Vertical page breaks (the first column of each new page) for printing at 100 %: pages filled with
    whole groups of columns (`groups`: each group's first column, e.g. an area's first item), a group wider
    than a page cut where the page ends; the first `repeated` columns print on every page."""
    usable = printable_px(setup)[0] / LIBREOFFICE_WIDER - sum(column_px(w) for w in widths[:repeated])
    ends = sorted({g for g in groups if g > repeated} | {len(widths)})
    breaks: list[int] = []
    used, col = 0.0, repeated
    for end in ends:
        if used and used + sum(column_px(w) for w in widths[col:end]) > usable:
            breaks.append(col)
            used = 0.0
        for c in range(col, end):
            px = column_px(widths[c])
            if used and used + px > usable:
                breaks.append(c)
                used = 0.0
            used += px
        col = end
    return breaks
