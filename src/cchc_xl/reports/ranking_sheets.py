"""The ranking workbook's sheets, one class each, on the shared sheet toolkit (`cchc_xl.workbook.sheetkit`).

Each sheet is written strictly top to bottom (XlsxWriter's constant-memory mode), prints on A4 at 85 % of
its size or more (`sheetkit.pages_across`; the item matrix at 100 % with its pages cut between areas),
with its print area limited to the rows written, repeated header rows and "Trang x/y" of the sheet, and is
protected (read-only; filters and sorting allowed). Large blocks of rows go through `sheet_rows.write_rows`.
What all sheets share — the data, the texts, the formats, the sheet names — is one `Book`.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from cchc_xl.criteria.model import CriteriaSet, Criterion
from cchc_xl.numbers import fmt, round2
from cchc_xl.reports.ranking_data import CommuneResult, CriterionStats, Deduction, RankingInput
from cchc_xl.reports.sheet_rows import Cell, write_rows
from cchc_xl.workbook.sheetkit import (
    MIN_PRINT_SCALE,
    ND30_MARGINS,
    NUMBER_FORMATS,
    Formats,
    Margins,
    PageSetup,
    Sheet,
    column_breaks,
    column_px,
    font,
    print_scale,
    printable_px,
)

if TYPE_CHECKING:
    from cchc_xl.reports.cards_worker import CardsWorker

_CELL_TEXT_MAX = 32_767
_CARD_BLOCK = 1024  # rows of the one-sheet phiếu kết quả made and written at a time
BLUE, GREY, GREEN, RED, AMBER = "#DDEBF7", "#EDEDED", "#C6EFCE", "#FFC7CE", "#FFEB9C"
SCALE = {"min_color": "#F8696B", "mid_color": "#FFEB84", "max_color": "#63BE7B"}
# Okabe & Ito's palette, distinguishable with every common colour-vision deficiency (black last: the bars
# carry black labels).
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#56B4E9", "#D55E00", "#CC79A7", "#F0E442", "#999999")
POINTS, COUNT, PERCENT = NUMBER_FORMATS["points"], NUMBER_FORMATS["count"], NUMBER_FORMATS["percent"]
CHANGE, WHEN = "+0.00;-0.00;0.00", "dd/mm/yyyy hh:mm"
CHART_WIDTH = 480  # px: a phone's width, half a portrait page
CHART_FONT = 11
CHART_MAX_HEIGHT = 860  # px: one portrait page with the sheet's title above the first chart
WORK_MARGINS = Margins(top=15.0, bottom=17.0, left=12.7, right=10.0)
ROW_PT = 15.0  # the default row height of an 11 pt line

_BASE = font(valign="vcenter")
STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 14, "text_wrap": True, "valign": "top"},
    "title_center": {"bold": True, "font_size": 15, "align": "center", "text_wrap": True},
    "subtitle_center": {"bold": True, "font_size": 13, "align": "center", "text_wrap": True},
    "head": {"bold": True, "font_size": 12, "align": "center", "text_wrap": True, "valign": "top"},
    "motto": {"bold": True, "font_size": 12, "align": "center"},
    "motto2": {"bold": True, "font_size": 13, "align": "center", "underline": True},
    "stage": {"bold": True, "italic": True, "font_color": "#9C0006", "text_wrap": True, "valign": "top"},
    "note": {"italic": True, "text_wrap": True, "valign": "top"},
    "plain": {"text_wrap": True},
    "label": {"bold": True, "valign": "top", "text_wrap": True},
    "value": {"text_wrap": True, "valign": "top"},
    "section": {"bold": True, "font_size": 12},
    "header": {"bold": True, "text_wrap": True, "align": "center", "bg_color": BLUE, "border": 1},
    "text": {"border": 1},
    "text_wrap": {"border": 1, "text_wrap": True},
    "text_bold": {"border": 1, "bold": True},
    "center": {"border": 1, "align": "center"},
    "int": {"border": 1, "num_format": COUNT, "align": "center"},
    "num": {"border": 1, "num_format": POINTS},
    "num_bold": {"border": 1, "num_format": POINTS, "bold": True},
    "pct": {"border": 1, "num_format": PERCENT},
    "change": {"border": 1, "num_format": CHANGE},
    "when": {"border": 1, "num_format": WHEN, "align": "center"},
    "stat_label": {"border": 1, "bold": True, "bg_color": GREY},
    "stat_num": {"border": 1, "bold": True, "bg_color": GREY, "num_format": POINTS},
    "stat_pct": {"border": 1, "bold": True, "bg_color": GREY, "num_format": PERCENT},
    "total_label": {"border": 1, "bold": True, "bg_color": BLUE},
    "total_num": {"border": 1, "bold": True, "bg_color": BLUE, "num_format": POINTS},
    "matrix_num": {"border": 1, "num_format": POINTS, "align": "center"},
    "matrix_header": {"bold": True, "align": "center", "bg_color": BLUE, "border": 1},
    "sign_center": {"bold": True, "align": "center", "text_wrap": True},
    "sign_italic": {"italic": True, "align": "center"},
    "bad": {"bg_color": RED, "font_color": "#9C0006"},
    "warn": {"bg_color": AMBER, "font_color": "#9C5700"},
}


@dataclass(frozen=True)
class Signature:
    """The cover's signature block, when the body issues the report: the signer's title (e.g. "CHỦ TỊCH")
    and name (blank: written by hand)."""

    title: str
    name: str = ""


@dataclass
class Book:
    """What every sheet of one ranking workbook shares."""

    data: RankingInput
    t: dict[str, Any]
    wb: Workbook
    formats: Formats
    password: str
    parts: set[str]
    cards_mode: Literal["sheets", "summary"]
    cards_limit: int
    chart_limit: int
    signature: Signature | None = None
    cards_child: CardsWorker | None = None  # the child making the phiếu kết quả's last rows (cards_worker)
    # worked out once from the data:
    cset: CriteriaSet = field(init=False)
    ranked: list[CommuneResult] = field(init=False)
    unranked: list[CommuneResult] = field(init=False)
    areas: list[Any] = field(init=False)
    leaves: list[Criterion] = field(init=False)
    stage: str = field(init=False)
    has_final: bool = field(init=False)
    previous: dict[str, Decimal] = field(init=False)  # last year's totals, rounded
    has_previous: bool = field(init=False)
    names: dict[str, str] = field(init=False)  # sheet key -> sheet name
    area_avg: dict[str, Decimal | None] = field(init=False)
    stats: list[CriterionStats] = field(init=False)

    def __post_init__(self) -> None:
        d = self.data
        self.cset = d.cset
        self.ranked = d.ranked
        self.unranked = d.unranked
        self.areas = list(self.cset.areas)
        self.leaves = self.cset.leaves()
        self.stage = d.stage
        self.has_final = any(r.is_final for r in self.ranked)
        self.previous = {c: round2(v) for c, v in d.previous.items()}
        self.has_previous = any(r.code in self.previous for r in self.ranked)
        self.names = dict(self.t["sheets"])
        self.area_avg = d.area_averages()
        self.stats = d.criterion_stats()

    def chart_communes(self) -> list[CommuneResult]:
        if len(self.ranked) <= self.chart_limit:
            return self.ranked
        half = self.chart_limit // 2
        return self.ranked[:half] + self.ranked[-half:]

    def chart_layout(self) -> dict[str, int]:
        """Where the chart data sits on the data sheet (rows are 0-based)."""
        tiers = len(self.cset.tiers)
        tier_first = 3
        commune_header = tier_first + tiers + 1
        return {"tier_first": tier_first, "tier_last": tier_first + tiers - 1, "commune_header": commune_header,
                "first": commune_header + 1, "last": commune_header + len(self.chart_communes())}

    def area_header(self, area: Any) -> str:
        return self.t["area_header"].format(code=area.code, max=fmt(area.max))

    def area_legend(self) -> str:
        items = "; ".join(self.t["area_legend_item"].format(code=a.code, title=a.title) for a in self.areas)
        return self.t["area_legend"].format(items=items)


class RankingSheet(Sheet):
    """One sheet of the workbook: `write` fills it, then `finish` sets its print-out and protection."""

    key: ClassVar[str]  # the sheet's key in the template's `sheets` (and its texts' section)
    landscape: ClassVar[bool] = True

    def __init__(self, book: Book, ws: Worksheet):
        super().__init__(ws, book.formats)
        self.b = book
        self.t = book.t
        self.widths: list[float] = []
        self.last_row = 0
        self.y = 0.0  # points printed down the sheet so far (see `keep`)
        self.breaks: list[int] = []  # manual page breaks (rows that start a page)

    def write(self) -> None:
        raise NotImplementedError

    # -- layout helpers -----------------------------------------------------------------------------
    def set_widths(self, widths: Sequence[float]) -> None:
        self.widths = list(widths)
        self.columns(widths)

    @property
    def last_col(self) -> int:
        return len(self.widths) - 1

    @property
    def span(self) -> float:
        return sum(self.widths)

    def row_height(self, row: int, height: float) -> None:
        self.ws.set_row(row, height)
        self.y += height

    def merged(self, row: int, first: int, last: int, text: str, style: str, height: float | None = None,
               width: float | None = None) -> None:
        """A (merged) text row; with `width` (characters across) the row height fits the wrapped text."""
        if width:
            lines = sum(_lines(part, width) for part in text.split("\n"))
            self.row_height(row, max(height or ROW_PT, 15.5 * lines + 3))
        elif height:
            self.row_height(row, height)
        else:
            self.y += ROW_PT
        self.title(row, first, last, text, style)
        self.last_row = max(self.last_row, row)

    def header_row(self, row: int, headers: Sequence[str], style: str = "header", height: float = 45) -> None:
        self.row_height(row, height)
        self.header(row, headers, style)
        self.last_row = max(self.last_row, row)

    def stage_rows(self, row: int, last_col: int | None = None, width: float | None = None) -> int:
        """The stage line (and the self-assessment note when it applies); returns the next free row."""
        last = self.last_col if last_col is None else last_col
        width = width or self.span
        t = self.t
        self.merged(row, 0, last, t["stage_line"].format(stage=t["stage"][self.b.stage]), "stage", width=width)
        row += 1
        if self.b.stage in ("self", "mixed"):
            district = self.b.cset.body_max
            if district:
                self.merged(row, 0, last, t["self_note"].format(district=fmt(district)), "note", width=width)
                row += 1
        return row

    def rows(self, first_row: int, rows: Sequence[Sequence[Cell]], heights: Sequence[float | None] | None = None) -> int:
        """A block of rows (fast path); returns the last row written (first_row - 1 when none)."""
        write_rows(self.ws, first_row, rows, heights=heights)
        last = first_row + len(rows) - 1
        self.last_row = max(self.last_row, last)
        return last

    def page(self, repeat: tuple[int, int] | None = None, margins: Margins = WORK_MARGINS) -> PageSetup:
        return PageSetup(landscape=self.landscape, margins=margins, repeat_rows=repeat,
                         footer="&L&8&A&C&10Trang &P/&N", center_horizontally=True)

    def usable_height_pt(self, setup: PageSetup, scale: float = 1.0) -> float:
        return printable_px(setup)[1] * 0.75 / scale - 12  # a little room for rounding

    def keep(self, row: int, needed_pt: float, setup: PageSetup, scale: float = 1.0) -> None:
        """A heading and its first items (`needed_pt` high) start a new page rather than split at its foot."""
        usable = self.usable_height_pt(setup, scale)
        on_page = self.y % usable if usable > 0 else 0
        if self.y and on_page + needed_pt > usable:
            self.breaks.append(row)
            self.y = 0.0

    def finish(self, setup: PageSetup, *, repeat_cols: int = 0, print_cols: int | None = None,
               col_breaks: Sequence[int] | None = None) -> None:
        """Print area (the rows written, `print_cols` columns), the print scale, protection.

        The scale fills the page's width; below 85 % the sheet prints at 100 % on pages cut between columns
        (`col_breaks`, else where each page is full), the first `repeat_cols` columns on every page."""
        ws = self.ws
        cols = self.widths[:print_cols] if print_cols is not None else self.widths
        scale = print_scale(cols, setup)
        if col_breaks is None and scale < MIN_PRINT_SCALE * 100:
            col_breaks = column_breaks(cols, setup, repeat_cols)
        if col_breaks is not None:
            scale = 100
        setup = replace(setup, fit_width=0)
        setup.apply(ws, print_area=(0, 0, self.last_row, max(0, len(cols) - 1)))
        ws.set_print_scale(scale)
        if col_breaks:
            ws.set_v_pagebreaks(list(col_breaks))
            if repeat_cols:
                ws.repeat_columns(0, repeat_cols - 1)
        if self.breaks:
            ws.set_h_pagebreaks(self.breaks)
        ws.protect(self.b.password, {"autofilter": True, "sort": True, "select_locked_cells": True,
                                     "select_unlocked_cells": True})

    def commune_cells(self, r: CommuneResult) -> list[Cell]:
        """Rank, code and name: the first columns of a commune's row in the matrix sheets."""
        f = self.f
        return [(_float(r.rank), f["int"]), (r.code or None, f["center"]), (r.display or None, f["text"])]


# -- Bìa --------------------------------------------------------------------------------------------------
class CoverSheet(RankingSheet):
    """Page 1, the report (signed when the body issues it): the body and the national motto, the title, what
    was ranked, communes per tier, the three highest and lowest, the signature block. Page 2: the contents.
    Every row has an explicit height, so the page break before a block that would not fit is where it prints."""

    key = "cover"
    landscape = False
    GAP = 6.0  # a spacer row

    def write(self) -> None:
        b, c = self.b, self.t["cover"]
        self.set_widths([7, 27, 14, 14, 20])
        self.ws.hide_gridlines(2)
        setup = self.page(margins=ND30_MARGINS)
        self.usable = self.usable_height_pt(setup)
        cs, dec = b.cset, b.cset.decision
        # the round's assessing body heads its report (the decision's issuer only where no round is known)
        head = b.data.identity.body or dec.issuer
        self.row_height(0, 32)
        self.title(0, 0, 1, c["head"].format(issuer=head.upper()), "head")
        self.title(0, 2, 4, c["motto"][0], "motto")
        self.row_height(1, 18)
        self.title(1, 2, 4, c["motto"][1], "motto2")
        self.row_height(2, self.GAP)
        self.row_height(3, 40)
        self.title(3, 0, 4, c["title"].format(year=cs.year), "title_center")
        self.row_height(4, 20)
        self.title(4, 0, 4, c["subtitle"], "subtitle_center")
        self.row_height(5, self.GAP)
        about = c["decision_about"].format(title=dec.title) if dec.title else ""
        d = b.data
        listed, received = len(d.results), sum(r.received for r in d.results)
        deadline = f"{d.deadline:%d/%m/%Y %H:%M}" if d.deadline else c["no_deadline"]
        fields = [
            ("set", c["set_value"].format(title=cs.title, id=cs.id, version=cs.version)),
            ("decision", c["decision_value"].format(number=dec.number, date=f"{dec.date:%d/%m/%Y}",
                                                    issuer=dec.issuer, about=about)),
            *([("date", f"{d.generated_at:%d/%m/%Y}")] if b.signature is None else []),  # signed: the date line
            ("stage", self.t["stage"][b.stage]),
            ("counts", c["counts_value"].format(listed=listed, received=received, ranked=len(b.ranked))),
            ("deadline", deadline),
        ]
        row = 6
        value_width = sum(self.widths[2:])
        for key, value in fields:
            self.row_height(row, 15.5 * _lines(value, value_width) + 3)
            self.title(row, 0, 1, c["fields"][key], "label")
            self.title(row, 2, 4, value, "value" if key != "stage" else "stage")
            row += 1
        row = self._tiers(self._gap(row))
        row = self._list(self._gap(row), c["top_title"], b.ranked[:3])
        bottom = b.ranked[-3:]
        if b.signature is not None and self.y + sum(self._list_heights(bottom)) + sum(self._signature_heights()) \
                + 2 * self.GAP > self.usable:
            self.breaks.append(row)  # the signature does not stand alone on a page: the last list goes with it
            self.y = 0.0
        row = self._list(self._gap(row), c["bottom_title"], bottom)
        if b.signature is not None:
            row = self._signature(self._gap(row), b.signature)
        # page 2: what each sheet holds
        row += 1
        self.breaks.append(row)
        row = self._contents(row)
        if b.signature is None:
            row += 1
            self.row_height(row, 18)
            self.title(row, 0, 4, self.t["generated"].format(date=f"{d.generated_at:%d/%m/%Y %H:%M}"), "note")
        self.last_row = row
        self.finish(setup)

    def _gap(self, row: int) -> int:
        self.row_height(row, self.GAP)
        return row + 1

    def _block(self, row: int, heights: Sequence[float]) -> None:
        """Start the block (rows of `heights`) on a new page when it would not fit on this one."""
        if self.y - self.GAP + sum(heights) > self.usable:
            self.breaks.append(row)
            self.y = 0.0
        for i, h in enumerate(heights):
            self.row_height(row + i, h)

    def _tiers(self, row: int) -> int:
        b, c = self.b, self.t["cover"]
        counts = b.data.tier_counts()
        n = len(b.ranked)
        tiered = sum(counts.values())
        note = c["untiered"].format(count=n - tiered, district=fmt(b.cset.body_max)) if n > tiered else ""
        heights = [18, 18, *[ROW_PT] * len(b.cset.tiers), ROW_PT]
        if note:
            heights.append(15.5 * _lines(note, self.span) + 3)
        self._block(row, heights)
        self.title(row, 0, 4, c["tiers_title"], "section")
        row += 1
        self.header(row, c["tiers_columns"].headers, "header", first_col=1)
        row += 1
        for tier in b.cset.tiers:
            self.text(row, 1, tier.name, "text")
            self.number(row, 2, tier.min, "num")
            self.number(row, 3, counts.get(tier.name, 0), "int")
            self.number(row, 4, Decimal(counts.get(tier.name, 0)) / n if n else None, "pct")
            row += 1
        self.text(row, 1, c["tiers_total"], "total_label")
        self.text(row, 2, None, "total_label")
        self.number(row, 3, tiered, "int")
        self.number(row, 4, Decimal(tiered) / n if n else None, "pct")
        row += 1
        if note:
            self.title(row, 0, 4, note, "note")
            row += 1
        return row

    @staticmethod
    def _list_heights(items: list[CommuneResult]) -> list[float]:
        return [18, 18, *[ROW_PT] * len(items)] if items else [18, ROW_PT]

    def _list(self, row: int, title: str, items: list[CommuneResult]) -> int:
        c = self.t["cover"]
        self._block(row, self._list_heights(items))
        self.title(row, 0, 4, title, "section")
        row += 1
        if not items:
            self.title(row, 0, 4, c["none"], "note")
            return row + 1
        for col, text in enumerate(c["list_columns"].headers):
            self.text(row, col, text, "header")
        row += 1
        for r in items:
            self.number(row, 0, r.rank, "int")
            self.text(row, 1, r.display, "text")
            self.number(row, 2, r.score, "num")
            self.text(row, 3, r.tier, "text")
            row += 1
        return row

    def _contents(self, row: int) -> int:
        b, c = self.b, self.t["cover"]
        keys = [k for k in ("ranking", "unranked", "charts", "areas", "criteria", "priorities", "progress",
                            "chart_data") if part_of(k) in b.parts and (k != "unranked" or b.unranked)]
        self.row_height(row, 20)
        self.title(row, 0, 4, c["contents_title"], "section")
        row += 1
        value_width = sum(self.widths[2:])
        for key in keys:
            text = c["contents"][key]
            self.row_height(row, 15.5 * _lines(text, value_width) + 3)
            self.title(row, 0, 1, b.names[key], "label")
            self.title(row, 2, 4, text, "value")
            row += 1
        if "cards" in b.parts:
            if b.cards_mode == "sheets":
                text = c["cards_sheets"].format(progress=b.names["progress"])
            else:
                text = c["cards_summary"].format(count=len(b.ranked), limit=b.cards_limit, sheet=b.names["cards"],
                                                 areas=b.names["areas"])
            row = self._gap(row)
            self.row_height(row, 15.5 * _lines(text, self.span) + 3)
            self.title(row, 0, 4, text, "note")
            row += 1
        self.row_height(row, self.GAP)
        self.title(row + 1, 0, 4, self.t["tie_rule"], "note")
        self.row_height(row + 1, 15.5 * _lines(self.t["tie_rule"], self.span) + 3)
        return row + 2

    def _signature_lines(self, sig: Signature) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(left, right) of the signature block: the recipients; place and date, capacity, the signer's title."""
        s = self.t["cover"]["signature"]
        d = self.b.data
        at = d.generated_at
        right = [(s["date_line"].format(place=d.identity.place or s["no_place"], day=f"{at:%d}", month=f"{at:%m}",
                                        year=at.year), "sign_italic")]
        if re.match(r"(?i)^(ubnd|ủy ban nhân dân|uỷ ban nhân dân)\b", d.identity.body.strip()):
            right.append((s["on_behalf"], "sign_center"))
        right.append((sig.title.upper(), "sign_center"))
        left = [(s["recipients"], "label"), *((item, "value") for item in s["recipients_items"])]
        return left, right

    def _signature_heights(self) -> list[float]:
        assert self.b.signature is not None
        left, right = self._signature_lines(self.b.signature)
        return [15.0] * max(len(left), len(right)) + [52.0, 18.0]  # the lines, room to sign and stamp, the name

    def _signature(self, row: int, sig: Signature) -> int:
        """Nghị định 30's closing, kept on one page: recipients on the left; place and date, capacity, the
        signer's title, room to sign and stamp, the name on the right."""
        left, right = self._signature_lines(sig)
        lines = max(len(right), len(left))
        self._block(row, self._signature_heights())
        for i in range(lines):
            if i < len(left):
                self.title(row + i, 0, 1, left[i][0], left[i][1])
            if i < len(right):
                self.title(row + i, 2, 4, right[i][0], right[i][1])
        row += lines + 1  # the room to sign and stamp
        if sig.name:
            self.title(row, 2, 4, sig.name, "sign_center")
        return row + 1


# -- Xếp hạng ------------------------------------------------------------------------------------------------
class RankingTable(RankingSheet):
    """Rank, name, total and tier first (a phone's first screen), then the code, the areas, last year."""

    key = "ranking"

    def column_specs(self) -> list[tuple[str, str, float]]:
        b = self.b
        cols = self.t["ranking"]["columns"]
        out = [(k, cols[k].header, cols[k].width) for k in ("rank", "commune", "total", "tier", "code")]
        out += [(f"area:{a.code}", b.area_header(a), cols["area"].width) for a in b.areas]
        if b.has_final:
            out += [(k, cols[k].header, cols[k].width) for k in ("bonus", "penalty")]
        if b.has_previous:
            out += [(k, cols[k].header, cols[k].width) for k in ("previous", "change", "previous_rank")]
        if b.stage == "mixed":
            out.append(("stage", cols["stage"].header, cols["stage"].width))
        return out

    def write(self) -> None:
        b, t = self.b, self.t["ranking"]
        columns = self.column_specs()
        self.set_widths([w for _, _, w in columns])
        last = self.last_col
        self.merged(0, 0, last, t["title"].format(year=b.cset.year), "title", height=22)
        row = self.stage_rows(1, width=self.span)
        header = row
        self.header_row(header, [h for _, h, _ in columns], height=75)
        prev_ranks = b.data.previous_ranks
        getters = [self.getter(key, prev_ranks) for key, _, _ in columns]
        row = self.rows(header + 1, [[get(r) for get in getters] for r in b.ranked])
        if row > header:
            self.ws.autofilter(header, 0, row, last)
        notes = [self.t["tie_rule"], b.area_legend()]
        if any(r.rank is not None and not r.tier for r in b.ranked):
            notes.append(t["no_tier"])
        if b.unranked:
            notes.append(t["unranked"].format(count=len(b.unranked), sheet=b.names["unranked"]))
        if any(r.provisional for r in b.ranked):
            notes.append(t["provisional_note"])
        row += 1
        for text in notes:
            row += 1
            self.merged(row, 0, last, text, "note", width=self.span)
        self.ws.freeze_panes(header + 1, 2)
        self.finish(self.page(repeat=(header, header)), repeat_cols=2)

    def getter(self, key: str, prev_ranks: dict[str, int]) -> Callable[[CommuneResult], Cell]:
        """What a commune's row holds in column `key`: (number, text or None for a blank, format)."""
        f, b = self.f, self.b
        style = "num" if key.startswith("area:") else _RANKING_STYLES.get(key)
        if style is None:
            raise ValueError(key)
        fm = f[style]
        if key == "rank":
            return lambda r: (_float(r.rank), fm)
        if key == "code":
            return lambda r: (r.code or None, fm)
        if key == "commune":
            return lambda r: (r.display or None, fm)
        if key.startswith("area:"):
            area = key[5:]
            return lambda r: (_float(r.areas.get(area)), fm)
        if key == "bonus":
            return lambda r: (_float(r.bonus), fm)
        if key == "penalty":
            return lambda r: (_float(r.penalty), fm)
        if key == "total":
            return lambda r: (_float(r.score), fm)
        if key == "tier":
            mark = self.t["ranking"]["provisional_mark"]
            return lambda r: ((r.tier + (mark if r.provisional else "")) or None, fm)
        if key == "previous":
            return lambda r: (_float(b.previous.get(r.code)), fm)
        if key == "change":
            def change(r: CommuneResult) -> Cell:
                prev, score = b.previous.get(r.code), r.score
                return _float(None if prev is None or score is None else score - prev), fm
            return change
        if key == "previous_rank":
            return lambda r: (_float(prev_ranks.get(r.code)), fm)
        final, own = self.t["stage_short"]["final"] or None, self.t["stage_short"]["self"] or None  # "stage"
        return lambda r: (final if r.is_final else own, fm)


# each ranking column's style (the areas': "num")
_RANKING_STYLES = {"rank": "int", "code": "center", "commune": "text", "bonus": "num", "penalty": "num",
                   "total": "num_bold", "tier": "text", "previous": "num", "change": "change", "previous_rank": "int",
                   "stage": "text"}


# -- Chưa xếp hạng ------------------------------------------------------------------------------------------
class UnrankedSheet(RankingSheet):
    key = "unranked"
    landscape = False

    def write(self) -> None:
        t = self.t["unranked"]
        cols = t["columns"]
        self.set_widths(cols.widths)
        last = self.last_col
        self.merged(0, 0, last, t["title"], "title", height=22)
        self.merged(1, 0, last, t["note"], "note", width=self.span)
        header = 2
        self.header_row(header, cols.headers, height=32)
        f = self.f
        rows: list[list[Cell]] = []
        for n, r in enumerate(self.b.unranked, start=1):
            reason = t["reasons"][r.unranked].format(set_id=r.other_set, errors=r.errors)
            rows.append([(float(n), f["int"]), (r.code or None, f["center"]), (r.display or None, f["text"]),
                         (reason, f["text_wrap"])])
        heights = [15.5 * _lines(str(cells[3][0]), self.widths[3]) + 3 for cells in rows]
        row = self.rows(header + 1, rows, heights)
        if row > header:
            self.ws.autofilter(header, 0, row, last)
        self.ws.freeze_panes(header + 1, 0)
        self.finish(self.page(repeat=(header, header)))


# -- Biểu đồ + Số liệu biểu đồ ---------------------------------------------------------------------------
class ChartsSheet(RankingSheet):
    """Four native charts on the chart data sheet, each 480 px wide on a portrait page of its own."""

    key = "charts"
    landscape = False
    max_height = CHART_MAX_HEIGHT  # px

    def write(self) -> None:
        b, t = self.b, self.t["charts"]
        self.set_widths([9.0] * 8)  # 8 × 68 px: the charts' width and a little
        self.ws.hide_gridlines(2)
        last = self.last_col
        self.merged(0, 0, last, t["title"].format(year=b.cset.year), "title", width=self.span)
        row = self.stage_rows(1)
        if len(b.ranked) > b.chart_limit:
            half = b.chart_limit // 2
            self.merged(row, 0, last, t["subset"].format(count=len(b.ranked), top=half, bottom=half), "note",
                        width=self.span)
            row += 1
        if not b.ranked:
            self.finish(self.page())
            return
        self.merged(row, 0, last, t["page_note"], "note", width=self.span)
        row += 1
        # the first chart shares its page with the texts above: no chart taller than what is left there
        self.max_height = min(CHART_MAX_HEIGHT, int(printable_px(self.page())[1] - self.y * 4 / 3 - 40))
        breaks = []
        for n, chart in enumerate(self.charts()):
            if n:
                breaks.append(row)
            self.ws.insert_chart(row, 0, chart, {"x_offset": 4, "y_offset": 4, "object_position": 3})
            row += math.ceil((chart.height + 20) / 20) + 1
        self.last_row = row
        self.breaks = breaks
        self.finish(self.page())

    def chart(self, kind: str, title: str, height: int, subtype: str | None = None) -> Any:
        options: dict[str, Any] = {"type": kind}
        if subtype:
            options["subtype"] = subtype
        chart = self.b.wb.add_chart(options)
        chart.set_title({"name": title, "name_font": _chart_font(12, bold=True)})
        chart.set_size({"width": CHART_WIDTH, "height": min(self.max_height, height)})
        chart.set_legend({"position": "bottom", "font": _chart_font()})
        chart.set_chartarea({"border": {"color": "#BFBFBF"}})
        return chart

    def charts(self) -> list[Any]:
        b, t = self.b, self.t["charts"]
        data = b.names["chart_data"]
        lay = b.chart_layout()
        first, last = lay["first"], lay["last"]
        n = last - first + 1
        per_commune = max(300, 18 * n + 140)
        label = _chart_font()
        cats = [data, first, 0, last, 0]

        def commune_axes(chart: Any, maximum: float | None = None) -> None:
            # In a bar chart XlsxWriter's y axis is the (vertical) category axis: rank 1 at the top.
            chart.set_y_axis({"reverse": True, "crossing": "max", "num_font": label, "major_tick_mark": "none"})
            value_axis: dict[str, Any] = {"min": 0, "num_font": label, "name": t["points_axis"],
                                          "name_font": _chart_font(bold=False),
                                          "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}}
            if maximum is not None:
                value_axis["max"] = maximum
            chart.set_x_axis(value_axis)

        totals = self.chart("bar", t["totals"], per_commune)
        totals.add_series({"name": t["total_series"], "categories": cats, "values": [data, first, 1, last, 1],
                           "fill": {"color": OKABE_ITO[0]}, "gap": 40,
                           "data_labels": {"value": True, "num_format": POINTS, "font": label}})
        commune_axes(totals, float(b.cset.highest))  # a final total may reach the maximum plus the bonus cap
        totals.set_legend({"none": True})
        composition = self.chart("bar", t["composition"], per_commune + 60, "stacked")
        for j in range(len(b.areas)):
            composition.add_series({"name": [data, lay["commune_header"], 2 + j], "categories": cats,
                                    "values": [data, first, 2 + j, last, 2 + j], "gap": 40,
                                    "fill": {"color": OKABE_ITO[j % len(OKABE_ITO)]},
                                    "border": {"color": "#FFFFFF", "width": 0.5}})
        commune_axes(composition)
        self_final = self.chart("bar", t["self_final"], max(300, 26 * n + 140))
        a = len(b.areas)
        self_final.add_series({"name": t["self_series"], "categories": cats, "values": [data, first, 2 + a, last, 2 + a],
                               "fill": {"color": OKABE_ITO[1]}})
        self_final.add_series({"name": t["final_series"], "categories": cats,
                               "values": [data, first, 3 + a, last, 3 + a], "fill": {"color": OKABE_ITO[0]}})
        commune_axes(self_final)
        tiers = self.chart("column", t["tiers"], 360)
        tiers.add_series({"name": t["count_series"], "categories": [data, lay["tier_first"], 0, lay["tier_last"], 0],
                          "values": [data, lay["tier_first"], 1, lay["tier_last"], 1],
                          "fill": {"color": OKABE_ITO[0]}, "data_labels": {"value": True, "font": label}})
        tiers.set_x_axis({"num_font": label})
        tiers.set_y_axis({"min": 0, "num_font": label, "name": t["count_axis"], "name_font": _chart_font(bold=False),
                          "major_unit": _unit(len(b.ranked))})
        tiers.set_legend({"none": True})
        return [totals, composition, self_final, tiers]


class ChartDataSheet(RankingSheet):
    key = "chart_data"

    def write(self) -> None:
        b, t = self.b, self.t["chart_data"]
        lay = b.chart_layout()
        cc = t["commune_columns"]
        self.set_widths([cc["commune"].width, cc["total"].width, *[cc["area"].width] * len(b.areas), cc["self"].width,
                         cc["final"].width])
        self.merged(0, 0, 0, t["title"], "title", height=22)
        self.header_row(lay["tier_first"] - 1, t["tier_columns"].headers, height=20)
        counts = b.data.tier_counts()
        for i, tier in enumerate(b.cset.tiers):
            self.text(lay["tier_first"] + i, 0, tier.name, "text")
            self.number(lay["tier_first"] + i, 1, counts.get(tier.name, 0), "int")
        headers = [cc["commune"].header, cc["total"].header, *[b.area_header(a) for a in b.areas], cc["self"].header,
                   cc["final"].header]
        self.header_row(lay["commune_header"], headers, height=32)
        label = self.t["charts"]["commune_label"]
        f = self.f
        rows = [[(label.format(rank=r.rank, commune=r.display), f["text"]), (_float(r.score), f["num"]),
                 *((_float(r.areas.get(a.code)), f["num"]) for a in b.areas), (_float(r.self_total), f["num"]),
                 (_float(r.final_total), f["num"])] for r in b.chart_communes()]
        self.rows(lay["first"], rows)
        self.last_row = max(self.last_row, lay["tier_last"])
        self.finish(self.page(repeat=(lay["commune_header"], lay["commune_header"])), repeat_cols=1)


# -- Theo lĩnh vực -------------------------------------------------------------------------------------------
class AreasSheet(RankingSheet):
    key = "areas"

    def write(self) -> None:
        b, t = self.b, self.t["areas"]
        cols = t["columns"]
        self.set_widths([cols["rank"].width, cols["code"].width, cols["commune"].width, *[cols["area"].width] * len(b.areas),
                         cols["total"].width])
        last = self.last_col
        self.merged(0, 0, last, t["title"], "title", height=22)
        row = self.stage_rows(1)
        self.merged(row, 0, last, t["note"], "note", width=self.span)
        row += 1
        self.merged(row, 0, last, b.area_legend(), "note", width=self.span)
        row += 1
        header = row
        self.header_row(header, [cols["rank"].header, cols["code"].header, cols["commune"].header,
                                 *[b.area_header(a) for a in b.areas], cols["total"].header], height=45)
        scores = [r.score for r in b.ranked if r.score is not None]
        areas = [r.areas for r in b.ranked]
        zero = Decimal(0)
        stats: list[tuple[str, Callable[[str], Decimal | None], Decimal | None]] = [
            ("max", lambda code: next(a.max for a in b.areas if a.code == code), b.cset.total),
            ("average", lambda code: b.area_avg.get(code), _mean(scores)),
            ("minimum", lambda code: min(map(dict.get, areas, itertools.repeat(code), itertools.repeat(zero)), default=None),
             min(scores, default=None)),
            ("maximum", lambda code: max(map(dict.get, areas, itertools.repeat(code), itertools.repeat(zero)), default=None),
             max(scores, default=None)),
        ]
        for key, per_area, total in stats:
            row += 1
            self.title(row, 0, 2, t["stats"][key], "stat_label")
            for j, area in enumerate(b.areas):
                self.number(row, 3 + j, per_area(area.code), "stat_num")
            self.number(row, last, total, "stat_num")
        self.last_row = row
        first = row + 1
        f = self.f
        row = self.rows(first, [[*self.commune_cells(r), *((_float(r.areas.get(a.code)), f["num"]) for a in b.areas),
                                 (_float(r.score), f["num_bold"])] for r in b.ranked])
        if row >= first:
            for j, area in enumerate(b.areas):
                self.ws.conditional_format(first, 3 + j, row, 3 + j, _scale(area.max))
            self.ws.conditional_format(first, last, row, last, _scale(b.cset.highest))
        self.ws.freeze_panes(header + 1, 3)
        self.finish(self.page(repeat=(header, header)), repeat_cols=3)


# -- Theo tiêu chí -------------------------------------------------------------------------------------------
class CriteriaSheet(RankingSheet):
    """Every commune's points per item: printed at 100 %, its pages cut between areas, the commune columns
    and the header rows on every page."""

    key = "criteria"

    def write(self) -> None:
        b, t = self.b, self.t["criteria"]
        cols = t["columns"]
        self.set_widths([cols["rank"].width, cols["code"].width, cols["commune"].width,
                         *[cols["leaf"].width] * len(b.leaves)])
        setup = self.page()
        text_last = min(self.last_col, 3 + int((printable_px(setup)[0] - 250) / column_px(cols["leaf"].width)) - 1)
        text_width = sum(self.widths[:text_last + 1])
        self.merged(0, 0, text_last, t["title"], "title", height=22)
        row = self.stage_rows(1, text_last, text_width)
        self.merged(row, 0, text_last, t["note"].format(priorities=b.names["priorities"]), "note", width=text_width)
        row += 1
        # area row: each area's code over its items
        area_row = row
        self.row_height(area_row, 18)
        self.title(area_row, 0, 2, "", "matrix_header")
        col = 3
        groups = []
        for area in b.areas:
            count = sum(1 for leaf in b.leaves if b.cset.area_of[leaf.code].code == area.code)
            if count:
                groups.append(col)
                self.title(area_row, col, col + count - 1, area.code, "matrix_header")
            col += count
        header = row + 1
        self.row_height(header, 30)
        for c, text in enumerate([cols["rank"].header, cols["code"].header, cols["commune"].header]):
            self.text(header, c, text, "header")
        for j, leaf in enumerate(b.leaves):
            self.text(header, 3 + j, leaf.code, "matrix_header")
        row = header
        by_code = {s.criterion.code: s for s in b.stats}
        lines: list[tuple[str, Callable[[Any], Decimal | None], str]] = [
            ("max", lambda s: s.criterion.max, "stat_num"),
            ("average", lambda s: s.average, "stat_num"),
            ("minimum", lambda s: s.minimum, "stat_num"),
            ("maximum", lambda s: s.maximum, "stat_num"),
            ("full", lambda s: s.full_share, "stat_pct"),
            ("lost", lambda s: s.lost if s.scored else None, "stat_num"),
        ]
        for key, get, style in lines:
            row += 1
            self.title(row, 0, 2, t["stats"][key], "stat_label")
            for j, leaf in enumerate(b.leaves):
                self.number(row, 3 + j, get(by_code[leaf.code]), style)
        self.last_row = row
        first = row + 1
        cell = self.f["matrix_num"]
        codes = [leaf.code for leaf in b.leaves]
        # The points are a few shared Decimals (ranking_data._dec, Store.latest_results): each made a cell once,
        # found by its id (the Decimals live in the results while the sheet is written).
        values: dict[int, Decimal | None] = {id(None): None}
        for r in b.ranked:
            points = r.leaves.values()
            values.update(zip(map(id, points), points, strict=True))
        made = {i: (None if v is None else float(v), cell) for i, v in values.items()}.__getitem__
        rows = [[*self.commune_cells(r), *map(made, map(id, map(r.leaves.get, codes)))] for r in b.ranked]
        row = self.rows(first, rows)
        if row >= first:
            for j, leaf in enumerate(b.leaves):
                self.ws.conditional_format(first, 3 + j, row, 3 + j, _scale(leaf.max))
        self.ws.freeze_panes(header + 1, 3)
        setup = self.page(repeat=(area_row, header))
        self.finish(setup, repeat_cols=3, col_breaks=column_breaks(self.widths, setup, 3, groups))


# -- Tiêu chí cần ưu tiên --------------------------------------------------------------------------------
class PrioritiesSheet(RankingSheet):
    key = "priorities"

    def write(self) -> None:
        b, t = self.b, self.t["priorities"]
        cols = t["columns"]
        self.set_widths(cols.widths)
        last = self.last_col
        self.merged(0, 0, last, t["title"], "title", height=22)
        row = self.stage_rows(1)
        self.merged(row, 0, last, t["note"], "note", width=self.span)
        row += 1
        header = row
        self.header_row(header, cols.headers, height=45)
        for n, s in enumerate(b.stats, start=1):
            row += 1
            leaf = s.criterion
            self.row_height(row, 15.5 * _lines(leaf.title, self.widths[2]) + 3)
            self.number(row, 0, n, "int")
            self.text(row, 1, leaf.code, "center")
            self.text(row, 2, leaf.title, "text_wrap")
            self.text(row, 3, s.area, "center")
            self.number(row, 4, leaf.max, "num")
            if s.scored == 0 and leaf.scored_by == "district":
                self.text(row, 5, t["district"], "text_wrap")
            else:
                self.number(row, 5, s.scored, "int")
            self.number(row, 6, s.average, "num")
            self.number(row, 7, s.minimum, "num")
            self.number(row, 8, s.maximum, "num")
            self.number(row, 9, s.full_share, "pct")
            self.number(row, 10, s.lost if s.scored else None, "num_bold")
        self.last_row = row
        if row > header:
            self.ws.conditional_format(header + 1, 10, row, 10, {"type": "data_bar", "bar_color": "#F8696B",
                                                                 "bar_solid": True})
            self.ws.conditional_format(header + 1, 9, row, 9, _scale(Decimal(1)))
            self.ws.autofilter(header, 0, row, last)
        self.ws.freeze_panes(header + 1, 3)
        self.finish(self.page(repeat=(header, header)))


# -- Tiến độ -------------------------------------------------------------------------------------------------
class ProgressSheet(RankingSheet):
    """Every listed commune; the file names sit in the last column, which does not print."""

    key = "progress"

    def write(self) -> None:
        d, t = self.b.data, self.t["progress"]
        cols = t["columns"]
        self.set_widths(cols.widths)
        last = self.last_col
        printed = sum(self.widths[:last])
        results = sorted(d.results, key=lambda r: r.code)
        received = [r for r in results if r.received]
        deadline = f"{d.deadline:%d/%m/%Y %H:%M}" if d.deadline else t["no_deadline"]
        on_time = sum(r.on_time is True for r in received) if d.deadline else "—"
        summary = t["summary"].format(received=len(received), listed=len(results), on_time=on_time,
                                      with_errors=sum(r.errors > 0 for r in received), deadline=deadline)
        self.merged(0, 0, last - 1, t["title"], "title", height=22)
        self.merged(1, 0, last - 1, summary, "plain", width=printed)
        header = 2
        self.header_row(header, cols.headers, height=45)
        yes, no = t["yes_no"]
        f = self.f
        blank = (None, f["text"])
        rows: list[list[Cell]] = []
        for n, r in enumerate(results, start=1):
            cells: list[Cell] = [(float(n), f["int"]), (r.code or None, f["center"]), (r.display or None, f["text"])]
            if not r.received:
                cells += [(t["not_received"], f["center"]), *[blank] * (last - 4),
                          (t["other_set"].format(set_id=r.other_set) if r.other_set else None, f["text_wrap"])]
                rows.append(cells)
                continue
            when = (None if r.received_at is None
                    else self.ws._convert_date_time(r.received_at.replace(tzinfo=None)))  # as write_datetime
            cells += [(yes, f["center"]), (when, f["when"] if when is not None else f["text"]),
                      (None if r.on_time is None else yes if r.on_time else no, f["center"]),
                      (t["status"].get(r.status, r.status) or None, f["text"]),
                      (t["state"].get(r.state, r.state) or None, f["text"]),
                      (float(r.version) if r.version else None, f["int"]), (float(r.errors), f["int"]),
                      (float(r.warnings), f["int"]), (_float(r.evidence_coverage), f["pct"]),
                      (t["file_note"].format(file=r.file_name) if r.file_name else None, f["text_wrap"])]
            rows.append(cells)
        row = self.rows(header + 1, rows)
        self.last_row = row
        if row > header:
            first, f, ws = header + 1, self.f, self.ws
            ws.conditional_format(first, 3, row, 3, {"type": "cell", "criteria": "==",
                                                     "value": _quoted(t["not_received"]), "format": f["bad"]})
            ws.conditional_format(first, 5, row, 5, {"type": "cell", "criteria": "==", "value": _quoted(no),
                                                     "format": f["bad"]})
            ws.conditional_format(first, 6, row, 6, {"type": "cell", "criteria": "==",
                                                     "value": _quoted(t["status"]["rejected"]), "format": f["bad"]})
            ws.conditional_format(first, 9, row, 9, {"type": "cell", "criteria": ">", "value": 0, "format": f["bad"]})
            ws.conditional_format(first, 10, row, 10, {"type": "cell", "criteria": ">", "value": 0,
                                                       "format": f["warn"]})
            ws.conditional_format(first, 11, row, 11, _scale(Decimal(1)))
            ws.autofilter(header, 0, row, last)
        self.ws.freeze_panes(header + 1, 3)
        self.finish(self.page(repeat=(header, header)), print_cols=last)


# -- Phiếu kết quả -------------------------------------------------------------------------------------------
class CardSheet(RankingSheet):
    """One commune's result: its points by area against the average, then every deduction and why."""

    key = "card"

    def __init__(self, book: Book, ws: Worksheet, result: CommuneResult):
        super().__init__(book, ws)
        self.r = result

    def write(self) -> None:
        b, r, t = self.b, self.r, self.t["card"]
        dcols = t["deduction_columns"]
        self.set_widths(dcols.widths)
        widths = self.widths
        self.ws.hide_gridlines(2)
        last = self.last_col
        setup = self.page(repeat=(0, 1))
        self.merged(0, 0, last, t["title"].format(year=b.cset.year), "title_center", height=24)
        self.merged(1, 0, last, t["commune"].format(commune=r.display, code=r.code), "subtitle_center", height=20)
        label = self.t["stage_line"].format(stage=self.t["stage"]["final" if r.is_final else "self"])
        self.merged(2, 0, last, label, "stage", width=self.span)
        row = 4
        fields: list[tuple[str, Any, str]] = [("rank", r.rank, "int"), ("of", len(b.ranked), "int"),
                                              ("total", r.score, "num_bold"), ("tier", r.tier, "text_bold")]
        for key, value, style in fields:
            self.title(row, 0, 1, t["fields"][key], "text_bold")
            if isinstance(value, str) or (value is None and style == "text_bold"):
                self.text(row, 2, value, style)
            else:
                self.number(row, 2, value, style)
            self.y += ROW_PT
            row += 1
        row += 1
        self.merged(row, 0, last, t["areas_title"], "section", height=20)
        row += 1
        self.header_row(row, t["area_columns"].headers, height=32)
        for area in b.areas:
            row += 1
            points = r.areas.get(area.code, Decimal(0))
            avg = b.area_avg.get(area.code)
            self.row_height(row, 15.5 * _lines(area.title, widths[1]) + 3)
            self.text(row, 0, area.code, "center")
            self.text(row, 1, area.title, "text_wrap")
            self.number(row, 2, area.max, "num")
            self.number(row, 3, points, "num_bold")
            self.number(row, 4, avg, "num")
            self.number(row, 5, None if avg is None else points - avg, "change")
        if r.is_final:
            for key, value in (("bonus", r.bonus), ("penalty", r.penalty)):
                row += 1
                self.text(row, 0, None, "text")
                self.text(row, 1, t[key], "text")
                for c in (2, 4, 5):
                    self.text(row, c, None, "text")
                self.number(row, 3, value, "num")
                self.y += ROW_PT
        row += 1
        self.text(row, 0, None, "total_label")
        self.text(row, 1, t["total"], "total_label")
        self.number(row, 2, b.cset.total, "total_num")
        self.number(row, 3, r.score, "total_num")
        avg_total = _mean([x.score for x in b.ranked if x.score is not None])
        self.number(row, 4, avg_total, "total_num")
        self.number(row, 5, None if avg_total is None or r.score is None else r.score - avg_total, "change")
        self.y += ROW_PT
        row += 2
        first_lines = 1
        if r.deductions:
            d = r.deductions[0]
            first_lines = max(_lines(d.title, widths[1]), _lines(d.reason, widths[6]), _lines(d.explanation, widths[7]))
        self.keep(row, 20 + 32 + 15.5 * first_lines + 3, setup, print_scale(widths, setup) / 100)
        self.merged(row, 0, last, t["deductions_title"], "section", height=20)
        row += 1
        self.header_row(row, dcols.headers, height=32)
        if not r.deductions:
            row += 1
            self.merged(row, 0, last, t["none"], "note", height=18)
        for d in r.deductions:
            row += 1
            lines = max(_lines(d.title, widths[1]), _lines(d.reason, widths[6]), _lines(d.explanation, widths[7]))
            self.row_height(row, 15.5 * lines + 3)
            self.text(row, 0, d.criterion, "center")
            self.text(row, 1, d.title, "text_wrap")
            self.number(row, 2, d.max, "num")
            self.number(row, 3, d.self_points, "num")
            self.number(row, 4, d.final_points, "num")
            self.number(row, 5, d.lost, "num_bold")
            self.text(row, 6, d.reason, "text_wrap")
            self.text(row, 7, d.explanation, "text_wrap")
        self.last_row = row
        self.finish(setup)


class CardsSummarySheet(RankingSheet):
    """One row per commune: rank, total, each area against the average, every deduction and why."""

    key = "cards"
    # the body's formats, by style: numbered before anything is written (`number_body_styles`), so that rows
    # made apart (`cards_worker`) carry the numbers this workbook gives them
    BODY_STYLES = ("center", "text_wrap", "int", "num_bold", "text", "change", "num")

    @classmethod
    def number_body_styles(cls, formats: Formats) -> None:
        for style in cls.BODY_STYLES:
            formats[style]._get_xf_index()

    def write(self) -> None:
        """The heading, one row per ranked commune, the filters and print setup. With a child making the last
        rows (`cards_worker`), the first ones are written here meanwhile, then the child's taken (when made
        under the same heading; else written here too)."""
        header = self.write_heading()
        child = self.b.cards_child
        if child is None:
            last = self.write_body(header)
        else:
            last = self.write_body(header, stop=child.start)
            made = child.result()
            if made is not None and made.header == header and made.first_row == last + 1:
                last = made.put(self)
            else:
                last = self.write_body(header, start=child.start)
        self.write_ending(header, last)

    def write_heading(self) -> int:
        """Title, stage, note, the header row; returns the header row."""
        b, t = self.b, self.t["cards"]
        cols = t["columns"]
        keys = ["code", "commune", "rank", "total", "tier", "diff", *(["area"] * len(b.areas)), "count", "lost",
                "deductions"]
        self.set_widths([cols[k].width for k in keys])
        headers = [cols[k].header for k in keys[:6]]
        headers += [t["area_diff_header"].format(code=a.code) for a in b.areas]
        headers += [cols[k].header for k in ("count", "lost", "deductions")]
        last = self.last_col
        self.merged(0, 0, last, t["title"], "title", height=22)
        row = self.stage_rows(1)
        self.merged(row, 0, last, t["note"].format(areas=b.names["areas"]), "note", width=self.span)
        row += 1
        self.header_row(row, headers, height=60)
        return row

    def write_body(self, header: int, start: int = 0, stop: int | None = None) -> int:
        """A row per ranked commune under the header (those from `start` to `stop`, in rank order); returns the
        last row written."""
        b, f = self.b, self.f
        averages = [b.area_avg.get(a.code) for a in b.areas]
        avg_total = _mean([r.score for r in b.ranked])
        line_count = _LineCount(self.widths[-1])
        memo: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        fc, fw, fi, fb, ft, fd, fn = map(f.__getitem__, self.BODY_STYLES)
        rows: list[list[Cell]] = []
        heights: list[float | None] = []
        row = header + start
        for r in b.ranked[start:stop]:
            if len(rows) == _CARD_BLOCK:  # written a block at a time: a country's deduction texts are 250 MB
                row = self.rows(row + 1, rows, heights)
                rows, heights = [], []
            deductions = r.passing_deductions()
            lines = self.deduction_lines(r, memo, deductions)
            text = "\n".join(lines)
            heights.append(min(409, 15.5 * line_count.of_lines(lines) + 3))
            areas, score = r.areas, r.score
            rows.append([
                (r.code, fc), (r.display, fw), (float(r.rank or 0), fi), (_float(score), fb), (r.tier or None, ft),
                (None if score is None or avg_total is None else float(score - avg_total), fd),
                *((None if (v := areas.get(a.code)) is None or avg is None else float(v - avg), fd)
                  for a, avg in zip(b.areas, averages, strict=True)),
                (float(len(deductions)), fi), (float(sum((d.lost for d in deductions), Decimal(0))), fn),
                (text, fw)])
        return self.rows(row + 1, rows, heights)

    def write_ending(self, header: int, row: int) -> None:
        """Each area's shortfall in red, the filter, the panes, the print setup (`row`: the last row)."""
        b, f, last = self.b, self.f, self.last_col
        if row > header:
            for j in range(len(b.areas)):
                self.ws.conditional_format(header + 1, 6 + j, row, 6 + j, {"type": "cell", "criteria": "<",
                                                                           "value": 0, "format": f["bad"]})
            self.ws.autofilter(header, 0, row, last)
        self.ws.freeze_panes(header + 1, 2)
        self.finish(self.page(repeat=(header, header)), repeat_cols=2)

    def deductions_text(self, r: CommuneResult) -> str:
        """Every deduction of a commune, one per line, within Excel's 32,767 characters per cell."""
        return "\n".join(self.deduction_lines(r))

    def deduction_lines(self, r: CommuneResult, memo: dict[tuple[Any, ...], tuple[Any, ...]] | None = None,
                        deductions: list[Deduction] | None = None) -> list[str]:
        """The lines of `deductions_text`. `memo`: each item's line before its reasons, by item and points (a
        country's deductions share a few point values: ranking_data._dec), kept by the caller. `deductions`:
        the commune's, when the caller has them."""
        t = self.t["cards"]
        if deductions is None:
            deductions = r.deductions
        if not deductions:
            return [str(t["none"])]
        memo = {} if memo is None else memo
        lines: list[str] = []
        size = 0
        points = _points_text
        reason_text, explanation_text = t["reason"], t["explanation"]
        around_reason, around_explanation = _around_text(reason_text), _around_text(explanation_text)
        for n, d in enumerate(deductions):
            # by the points' ids: the entry keeps the Decimals, so no other object takes their ids meanwhile
            # (title, maximum and points lost follow from the item and its points)
            key = (d.criterion, id(d.self_points), id(d.final_points))
            found = memo.get(key)
            if found is None:
                line = t["line"].format(code=d.criterion, title=d.title, lost=points(d.lost),
                                        self=points(d.self_points) if d.self_points is not None else t["blank"],
                                        final=t["line_final"].format(final=points(d.final_points))
                                        if d.final_points is not None else "")
                if len(memo) < 16_384:
                    memo[key] = (line, d.self_points, d.final_points)
            else:
                line = found[0]
            if d.reason:
                line = ("".join((line, around_reason[0], d.reason, around_reason[1])) if around_reason
                        else line + reason_text.format(text=d.reason))
            if d.explanation:
                line = ("".join((line, around_explanation[0], d.explanation, around_explanation[1]))
                        if around_explanation else line + explanation_text.format(text=d.explanation))
            if size + len(line) + 1 > _CELL_TEXT_MAX - 200:
                lines.append(t["cut"].format(count=len(deductions) - n))
                break
            lines.append(line)
            size += len(line) + 1
        return lines


# -- small helpers --------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def _around_text(template: str) -> tuple[str, str] | None:
    """What a template of one `{text}` puts before and after it: `template.format(text=x)` is the two around x
    (half a million deductions of a country, each with its explanation, formatted without parsing the template
    each time). Braces the template escapes are its own: it is formatted once, with a mark where the text goes.
    None for a template that does not hold the text exactly once (it is formatted each time)."""
    mark = "\x00"
    formatted = template.format(text=mark)
    if formatted.count(mark) != 1 or template.count(mark):
        return None
    before, _, after = formatted.partition(mark)
    return before, after


@functools.lru_cache(maxsize=4096)
def _points_text(value: Decimal) -> str:
    """`fmt`, remembered: a country's deductions repeat a few point values."""
    return fmt(value)


def part_of(key: str) -> str:
    """The part (see ranking.PARTS) a sheet belongs to."""
    return {"chart_data": "charts", "unranked": "ranking"}.get(key, key)


def _chart_font(size: float = CHART_FONT, bold: bool = False) -> dict[str, Any]:
    return {"name": _BASE["font_name"], "size": size, "bold": bold}


def _float(value: Decimal | int | None) -> float | None:
    return None if value is None else float(value)


def _lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a cell `width` characters wide (Times New Roman is narrow)."""
    return _line_count(len(text), width)


def _line_count(length: int, width: float) -> int:
    return max(1, math.ceil(length / max(width * 1.15, 1)))


class _LineCount(dict[int, int]):
    """`_lines` of a text by its length alone, for one column width (remembered: lengths repeat)."""

    def __init__(self, width: float):
        super().__init__()
        self.width = width

    def __missing__(self, length: int) -> int:
        found = self[length] = _line_count(length, self.width)
        return found

    def of_lines(self, lines: Sequence[str]) -> int:
        """The wrapped lines of `"\n".join(lines)`, each line's parts counted (`text.split("\n")`), without
        splitting the lines that hold no newline (most: a country's 553,000 deductions)."""
        if not lines:
            return self[0]  # (the empty text: one line)
        total = 0
        for line in lines:
            total += sum(map(self.__getitem__, map(len, line.split("\n")))) if "\n" in line else self[len(line)]
        return total


def _scale(maximum: Decimal) -> dict[str, Any]:
    """Red at 0, yellow at half, green at the maximum: colours compare communes against the same scale."""
    top = float(maximum)
    return {"type": "3_color_scale", "min_type": "num", "min_value": 0, "mid_type": "num", "mid_value": top / 2,
            "max_type": "num", "max_value": top, **SCALE}


def _mean(values: Sequence[Decimal | None]) -> Decimal | None:
    nums = [v for v in values if v is not None]
    return round2(sum(nums, Decimal(0)) / len(nums)) if nums else None


def _unit(count: int) -> int:
    """A readable step for a count axis."""
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if count / step <= 10:
            return step
    return 10000


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f]")  # (a control character would make workbook.xml unreadable)


def sheet_name(wanted: str, used: set[str]) -> str:
    """A valid, unique worksheet name (31 characters, none of []:*?/\\ nor a control character, not quoted at
    the ends)."""
    base = _BAD_SHEET_CHARS.sub(" ", wanted).strip().strip("'").strip() or "Sheet"
    name = base[:31].rstrip()
    n = 2
    while name.casefold() in used:
        suffix = f" ({n})"
        name = base[:31 - len(suffix)].rstrip() + suffix
        n += 1
    used.add(name.casefold())
    return name
