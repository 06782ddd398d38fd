"""The ranking workbook for leaders (`cchc-xl report`): cover, ranking, charts, heat maps, the criteria
to act on, the completeness board and each commune's result sheet (phiếu kết quả).

Every number is written as a value (no formulas, so no viewer shows a stale 0); every user text with
`write_string`, so a commune's explanation beginning with "=" stays text. Charts are native Excel charts
on the data in the "Số liệu biểu đồ" sheet. Every sheet is protected (read-only; filters and sorting allowed),
printed on A4 fit to width with repeated header rows and page numbers. The file is written atomically.

Phiếu kết quả: up to `CARDS_SHEET_LIMIT` (100) ranked communes, one sheet per commune (its points by area
against the district average, then every deduction with the council's reason and the commune's own
explanation). Above that — a province or the whole country — one summary sheet "Phiếu kết quả" has one row per
commune instead: rank, total, each area's points against the district average, and every deduction with its
reason in one wrapped cell (cut, saying so, at Excel's 32,767 characters); the cover says so. Thousands of
sheets, or a row per deduction (~230,000 rows for 10,600 communes), would make the file slow to open and the
report slower than its 30-second target; per-commune files were not chosen for the same reason.

The per-commune charts draw every commune up to `CHART_LIMIT` (60); above that the highest and the lowest
half of that number, and the charts sheet says so.

Written in XlsxWriter's constant-memory mode: each sheet is written strictly top to bottom, row by row.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from xlsxwriter.worksheet import Worksheet

from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.identity import NEUTRAL, RoundIdentity
from cchc_xl.numbers import fmt, round2
from cchc_xl.reports.ranking_data import CommuneResult, FinalScores, RankingInput, from_store
from cchc_xl.reports.sheet_rows import write_rows
from cchc_xl.safeio import atomic_path
from cchc_xl.store import Store
from cchc_xl.store_sql import Location, exists
from cchc_xl.templates import template
from cchc_xl.workbook.writer import _ProtectedWorkbook

CARDS_SHEET_LIMIT = 100
_CELL_TEXT_MAX = 32_767
CHART_LIMIT = 60
PARTS = ("cover", "ranking", "charts", "areas", "criteria", "priorities", "progress", "cards")

FONT = "Times New Roman"
BLUE, GREY, GREEN, RED, AMBER = "#DDEBF7", "#EDEDED", "#C6EFCE", "#FFC7CE", "#FFEB9C"
SCALE = {"min_color": "#F8696B", "mid_color": "#FFEB84", "max_color": "#63BE7B"}
NUM, PCT, CHANGE, WHEN = "0.00", "0%", "+0.00;-0.00;0.00", "dd/mm/yyyy hh:mm"

_BASE = {"font_name": FONT, "font_size": 11, "valign": "vcenter"}
STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 14},
    "title_center": {"bold": True, "font_size": 15, "align": "center", "text_wrap": True},
    "subtitle_center": {"bold": True, "font_size": 13, "align": "center"},
    "head": {"bold": True, "font_size": 13, "align": "center", "text_wrap": True},
    "motto": {"bold": True, "font_size": 13, "align": "center"},
    "motto2": {"bold": True, "font_size": 13, "align": "center", "underline": True},
    "stage": {"bold": True, "italic": True, "font_color": "#9C0006", "text_wrap": True, "valign": "top"},
    "note": {"italic": True, "text_wrap": True, "valign": "top"},
    "plain": {},
    "label": {"bold": True, "valign": "top"},
    "value": {"text_wrap": True, "valign": "top"},
    "section": {"bold": True, "font_size": 12},
    "header": {"bold": True, "text_wrap": True, "align": "center", "bg_color": BLUE, "border": 1},
    "text": {"border": 1},
    "text_wrap": {"border": 1, "text_wrap": True},
    "text_bold": {"border": 1, "bold": True},
    "center": {"border": 1, "align": "center"},
    "int": {"border": 1, "num_format": "0", "align": "center"},
    "num": {"border": 1, "num_format": NUM},
    "num_bold": {"border": 1, "num_format": NUM, "bold": True},
    "pct": {"border": 1, "num_format": PCT},
    "change": {"border": 1, "num_format": CHANGE},
    "when": {"border": 1, "num_format": WHEN, "align": "center"},
    "stat_label": {"border": 1, "bold": True, "bg_color": GREY},
    "stat_num": {"border": 1, "bold": True, "bg_color": GREY, "num_format": NUM},
    "stat_pct": {"border": 1, "bold": True, "bg_color": GREY, "num_format": PCT},
    "total_label": {"border": 1, "bold": True, "bg_color": BLUE},
    "total_num": {"border": 1, "bold": True, "bg_color": BLUE, "num_format": NUM},
    "small_num": {"border": 1, "num_format": NUM, "font_size": 9, "align": "center"},
    "small_header": {"bold": True, "align": "center", "bg_color": BLUE, "border": 1, "font_size": 9},
    "bad": {"bg_color": RED, "font_color": "#9C0006"},
    "warn": {"bg_color": AMBER, "font_color": "#9C5700"},
    "good": {"bg_color": GREEN, "font_color": "#006100"},
}


@dataclass(frozen=True)
class RankingSummary:
    """What `write_ranking` wrote, for the command line to report."""

    path: Path
    listed: int  # communes in the report (listed or in the store)
    received: int  # with a submission scored on this criteria set
    ranked: int
    stage: str  # self | final | mixed | none
    tiers: dict[str, int] = field(default_factory=dict)
    first: list[str] = field(default_factory=list)  # the first-ranked commune(s), display names
    cards: Literal["sheets", "summary"] = "sheets"


def write_ranking(store_path: Location, cset: CriteriaSet, out: Path, communes: list[Commune] | None = None, *,
                  final: Mapping[str, FinalScores] | None = None, previous: Mapping[str, Decimal] | None = None,
                  deadline: dt.datetime | None = None, generated_at: dt.datetime | None = None,
                  password: str | None = None, round_id: str = "", provisional: Iterable[str] = (),
                  identity: RoundIdentity = NEUTRAL) -> RankingSummary:
    """Write the ranking workbook `out` from the round `round_id` of the store at `store_path` (a SQLite file or a
    PostgreSQL URL).

    `final`: appraisals by commune code (None: the store's current appraisals; {}: self-assessed scores
    only). `previous`: last year's totals by commune code (see `ranking_data.previous_totals`). `deadline`:
    the self-assessment deadline, for "on time". `password`: the sheet password (default: the district's,
    from settings). `identity`: the round's assessing body, which heads the cover and names the texts.
    Raises FileNotFoundError when there is no store.
    """
    if not exists(store_path):
        raise FileNotFoundError(store_path)
    store = Store(store_path, round_id=round_id)
    try:
        data = from_store(store, cset, communes, final=final, previous=previous, deadline=deadline,
                          generated_at=generated_at, provisional=provisional, identity=identity)
    finally:
        store.close()
    return write_report_workbook(data, out, password=password)


def write_report_workbook(data: RankingInput, out: Path, *, password: str | None = None,
                          parts: Iterable[str] | None = None, cards_limit: int = CARDS_SHEET_LIMIT,
                          chart_limit: int = CHART_LIMIT) -> RankingSummary:
    """Write the workbook from ranking data. `parts`: a subset of PARTS (default: all), e.g. a print of
    ("cover", "ranking")."""
    if password is None:
        from cchc_xl.settings import load_settings

        password = load_settings().sheet_password
    writer = RankingWorkbookWriter(data, password, parts, cards_limit, chart_limit)
    writer.write(out)
    ranked = data.ranked
    return RankingSummary(path=out, listed=len(data.results), received=sum(r.received for r in data.results),
                          ranked=len(ranked), stage=data.stage, tiers=data.tier_counts(),
                          first=[r.display for r in ranked if r.rank == 1], cards=writer.cards_mode)


class RankingWorkbookWriter:
    def __init__(self, data: RankingInput, password: str, parts: Iterable[str] | None = None,
                 cards_limit: int = CARDS_SHEET_LIMIT, chart_limit: int = CHART_LIMIT):
        self.d = data
        self.cset: CriteriaSet = data.cset
        self.t = template("ranking", data.identity)
        self.password = password
        self.parts = set(parts) if parts is not None else set(PARTS)
        unknown = self.parts - set(PARTS)
        if unknown:
            raise ValueError(f"unknown parts: {sorted(unknown)}")
        self.ranked = data.ranked
        self.areas = self.cset.areas
        self.leaves = self.cset.leaves()
        self.stage = data.stage
        self.has_final = any(r.is_final for r in self.ranked)
        self.previous = {c: round2(v) for c, v in data.previous.items()}
        self.has_previous = any(r.code in self.previous for r in self.ranked)
        self.cards_mode: Literal["sheets", "summary"] = "sheets" if len(self.ranked) <= cards_limit else "summary"
        self.cards_limit = cards_limit
        self.chart_limit = chart_limit
        self.names = dict(self.t["sheets"])
        self.area_avg = data.area_averages()
        self.stats = data.criterion_stats()

    # -- the workbook ----------------------------------------------------------------------------
    def write(self, path: Path) -> None:
        with atomic_path(path) as tmp:
            wb = _ProtectedWorkbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                               "strings_to_numbers": False, "constant_memory": True})
            wb.structure_password = self.password
            self.wb = wb
            self.f = {k: wb.add_format({**_BASE, **v}) for k, v in STYLES.items()}
            steps: list[tuple[str, Callable[[Worksheet], None]]] = [
                ("cover", self._cover), ("ranking", self._ranking), ("charts", self._charts),
                ("areas", self._areas), ("criteria", self._criteria), ("priorities", self._priorities),
                ("progress", self._progress)]
            first = True
            for key, method in steps:
                if key in self.parts:
                    ws = wb.add_worksheet(self.names[key])
                    if first:
                        ws.activate()
                        first = False
                    method(ws)
                    self._protect(ws)
            if "cards" in self.parts:
                self._cards()
            if "charts" in self.parts:
                ws = wb.add_worksheet(self.names["chart_data"])
                self._chart_data(ws)
                self._protect(ws)
            wb.set_properties({"title": self.t["file_title"].format(year=self.cset.year), "author": "cchc-xl",
                               "company": self.cset.decision.issuer})
            wb.close()

    def _protect(self, ws: Worksheet) -> None:
        ws.protect(self.password, {"autofilter": True, "sort": True, "select_locked_cells": True,
                                   "select_unlocked_cells": True})

    @staticmethod
    def _print(ws: Worksheet, *, landscape: bool, repeat: tuple[int, int] | None) -> None:
        ws.set_paper(9)  # A4
        ws.set_landscape() if landscape else ws.set_portrait()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.7)
        ws.center_horizontally()
        ws.set_footer("&L&8&A&C&10Trang &P/&N")
        if repeat is not None:
            ws.repeat_rows(*repeat)

    # -- writing cells ----------------------------------------------------------------------------
    def _text(self, ws: Worksheet, row: int, col: int, value: Any, style: str = "text") -> None:
        text = "" if value is None else str(value)
        if text:
            ws.write_string(row, col, text, self.f[style])
        else:
            ws.write_blank(row, col, None, self.f[style])

    def _num(self, ws: Worksheet, row: int, col: int, value: Decimal | int | None, style: str = "num") -> None:
        if value is None:
            ws.write_blank(row, col, None, self.f[style])
        else:
            ws.write_number(row, col, float(value), self.f[style])

    def _commune_cells(self, r: CommuneResult) -> list[tuple[float | str | None, Any]]:
        """Rank, code and name: the first columns of a commune's row (as `_num` and `_text` write them)."""
        return [(_float(r.rank), self.f["int"]), (r.code or None, self.f["center"]), (r.display or None, self.f["text"])]

    def _merged(self, ws: Worksheet, row: int, first: int, last: int, text: str, style: str,
                height: float | None = None, width: float | None = None) -> None:
        """A (merged) text row; with `width` (characters across) the row height fits the wrapped text."""
        if width:
            lines = sum(_lines(part, width) for part in text.split("\n"))
            ws.set_row(row, max(height or 15, 15.5 * lines + 3))
        elif height:
            ws.set_row(row, height)
        if last > first:
            ws.merge_range(row, first, row, last, "", self.f[style])
            ws.write_string(row, first, text, self.f[style])
        else:
            self._text(ws, row, first, text, style)

    def _header(self, ws: Worksheet, row: int, headers: Sequence[str], style: str = "header",
                height: float = 45) -> None:
        ws.set_row(row, height)
        for col, text in enumerate(headers):
            self._text(ws, row, col, text, style)

    @staticmethod
    def _widths(ws: Worksheet, widths: Sequence[float]) -> None:
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)

    def _stage_text(self) -> str:
        return self.t["stage_line"].format(stage=self.t["stage"][self.stage])

    def _stage_rows(self, ws: Worksheet, row: int, last_col: int, width: float) -> int:
        """The stage line (and the self-assessment note when it applies); returns the next free row."""
        self._merged(ws, row, 0, last_col, self._stage_text(), "stage", width=width)
        row += 1
        if self.stage in ("self", "mixed"):
            district = sum((leaf.max for leaf in self.leaves if leaf.scored_by == "district"), Decimal(0))
            if district:
                self._merged(ws, row, 0, last_col, self.t["self_note"].format(district=fmt(district)), "note",
                             width=width)
                row += 1
        return row

    def _area_header(self, area: Any) -> str:
        return self.t["area_header"].format(code=area.code, max=fmt(area.max))

    def _area_legend(self) -> str:
        items = "; ".join(self.t["area_legend_item"].format(code=a.code, title=a.title) for a in self.areas)
        return self.t["area_legend"].format(items=items)

    def _stage_short(self, r: CommuneResult) -> str:
        return self.t["stage_short"]["final" if r.is_final else "self"]

    # -- Bìa -------------------------------------------------------------------------------------
    def _cover(self, ws: Worksheet) -> None:
        c = self.t["cover"]
        widths = [8, 30, 13, 13, 16]
        self._widths(ws, widths)
        span = sum(widths)
        ws.hide_gridlines(2)
        cs, dec = self.cset, self.cset.decision
        # the round's assessing body heads its report (the decision's issuer only where no round is known)
        head = self.d.identity.body or dec.issuer
        self._merged(ws, 0, 0, 1, c["head"].format(issuer=head.upper()), "head", height=36)
        ws.merge_range(0, 2, 0, 4, "", self.f["motto"])
        ws.write_string(0, 2, c["motto"][0], self.f["motto"])
        ws.merge_range(1, 2, 1, 4, "", self.f["motto2"])
        ws.write_string(1, 2, c["motto"][1], self.f["motto2"])
        self._merged(ws, 3, 0, 4, c["title"].format(year=cs.year), "title_center", width=span * 0.8)
        self._merged(ws, 4, 0, 4, c["subtitle"], "subtitle_center", height=20)
        about = c["decision_about"].format(title=dec.title) if dec.title else ""
        listed, received = len(self.d.results), sum(r.received for r in self.d.results)
        deadline = f"{self.d.deadline:%d/%m/%Y %H:%M}" if self.d.deadline else c["no_deadline"]
        fields = [
            ("set", c["set_value"].format(title=cs.title, id=cs.id, version=cs.version)),
            ("decision", c["decision_value"].format(number=dec.number, date=f"{dec.date:%d/%m/%Y}",
                                                    issuer=dec.issuer, about=about)),
            ("date", f"{self.d.generated_at:%d/%m/%Y}"),
            ("stage", self.t["stage"][self.stage]),
            ("counts", c["counts_value"].format(listed=listed, received=received, ranked=len(self.ranked))),
            ("deadline", deadline),
        ]
        row = 6
        value_width = sum(widths[2:])
        for key, value in fields:
            ws.set_row(row, 15.5 * _lines(value, value_width) + 3)
            ws.merge_range(row, 0, row, 1, "", self.f["label"])
            ws.write_string(row, 0, c["fields"][key], self.f["label"])
            ws.merge_range(row, 2, row, 4, "", self.f["value" if key != "stage" else "stage"])
            ws.write_string(row, 2, value, self.f["value" if key != "stage" else "stage"])
            row += 1
        row += 1
        # communes per tier
        self._merged(ws, row, 0, 4, c["tiers_title"], "section", height=20)
        row += 1
        headers = [h for h, _ in c["tiers_columns"].values()]
        ws.set_row(row, 20)
        ws.write_blank(row, 0, None)
        for col, text in enumerate(headers, start=1):
            self._text(ws, row, col, text, "header")
        row += 1
        counts = self.d.tier_counts()
        n = len(self.ranked)
        for tier in self.cset.tiers:
            ws.write_blank(row, 0, None)
            self._text(ws, row, 1, tier.name, "text")
            self._num(ws, row, 2, tier.min)
            self._num(ws, row, 3, counts.get(tier.name, 0), "int")
            self._num(ws, row, 4, Decimal(counts.get(tier.name, 0)) / n if n else None, "pct")
            row += 1
        ws.write_blank(row, 0, None)
        self._text(ws, row, 1, c["tiers_total"], "total_label")
        ws.write_blank(row, 2, None, self.f["total_label"])
        self._num(ws, row, 3, n, "int")
        self._num(ws, row, 4, 1 if n else None, "pct")
        row += 2
        # three highest and lowest
        for title, items in ((c["top_title"], self.ranked[:3]), (c["bottom_title"], self.ranked[-3:])):
            self._merged(ws, row, 0, 4, title, "section", height=20)
            row += 1
            if not items:
                self._merged(ws, row, 0, 4, c["none"], "note")
                row += 2
                continue
            ws.set_row(row, 20)
            for col, (text, _) in enumerate(c["list_columns"].values()):
                self._text(ws, row, col, text, "header")
            row += 1
            for r in items:
                self._num(ws, row, 0, r.rank, "int")
                self._text(ws, row, 1, r.display)
                self._num(ws, row, 2, r.score)
                self._text(ws, row, 3, r.tier)
                row += 1
            row += 1
        self._merged(ws, row, 0, 4, self.t["tie_rule"], "note", width=span)
        row += 2
        self._merged(ws, row, 0, 4, c["contents_title"], "section", height=20)
        row += 1
        for key in ("ranking", "charts", "areas", "criteria", "priorities", "progress", "chart_data"):
            part = "charts" if key == "chart_data" else key
            if part not in self.parts:
                continue
            text = c["contents"][key]
            ws.set_row(row, 15.5 * _lines(text, value_width) + 3)
            ws.merge_range(row, 0, row, 1, "", self.f["label"])
            ws.write_string(row, 0, self.names[key], self.f["label"])
            ws.merge_range(row, 2, row, 4, "", self.f["value"])
            ws.write_string(row, 2, text, self.f["value"])
            row += 1
        if "cards" in self.parts:
            if self.cards_mode == "sheets":
                text = c["cards_sheets"].format(progress=self.names["progress"])
            else:
                text = c["cards_summary"].format(count=len(self.ranked), limit=self.cards_limit,
                                                 sheet=self.names["cards"], areas=self.names["areas"])
            row += 1
            self._merged(ws, row, 0, 4, text, "note", width=span)
            row += 1
        row += 1
        self._merged(ws, row, 0, 4, self.t["generated"].format(date=f"{self.d.generated_at:%d/%m/%Y %H:%M}"),
                     "note", height=18)
        ws.print_area(0, 0, row, 4)
        self._print(ws, landscape=False, repeat=None)
        ws.fit_to_pages(1, 1)

    # -- Xếp hạng ---------------------------------------------------------------------------------
    def _ranking_columns(self) -> list[tuple[str, str, float]]:
        cols = self.t["ranking"]["columns"]
        out = [(k, cols[k][0], cols[k][1]) for k in ("rank", "code", "commune")]
        out += [(f"area:{a.code}", self._area_header(a), cols["area"][1]) for a in self.areas]
        if self.has_final:
            out += [(k, cols[k][0], cols[k][1]) for k in ("bonus", "penalty")]
        out += [(k, cols[k][0], cols[k][1]) for k in ("total", "tier")]
        if self.has_previous:
            out += [(k, cols[k][0], cols[k][1]) for k in ("previous", "change", "previous_rank")]
        if self.stage == "mixed":
            out.append(("stage", cols["stage"][0], cols["stage"][1]))
        if any(r.status == "rejected" for r in self.ranked):
            out.append(("note", cols["note"][0], cols["note"][1]))
        return out

    def _ranking(self, ws: Worksheet) -> None:
        t = self.t["ranking"]
        columns = self._ranking_columns()
        widths = [w for _, _, w in columns]
        self._widths(ws, widths)
        last = len(columns) - 1
        span = sum(widths)
        self._merged(ws, 0, 0, last, t["title"].format(year=self.cset.year), "title", height=22)
        row = self._stage_rows(ws, 1, last, span)
        self._merged(ws, row, 0, last, self.t["tie_rule"], "note", width=span)
        row += 1
        self._merged(ws, row, 0, last, self._area_legend(), "note", width=span)
        row += 1
        header = row
        self._header(ws, header, [h for _, h, _ in columns], height=60)
        prev_ranks = self.d.previous_ranks
        keys = [key for key, _, _ in columns]
        write_rows(ws, row + 1, [[self._ranking_cell(key, r, prev_ranks) for key in keys] for r in self.ranked])
        row += len(self.ranked)
        first_data = header + 1
        if row >= first_data:
            ws.autofilter(header, 0, row, last)
        unranked = len(self.d.results) - len(self.ranked)
        if unranked:
            row += 2
            self._merged(ws, row, 0, last, t["unranked"].format(count=unranked, progress=self.names["progress"]),
                         "note", height=18)
        if any(r.provisional for r in self.ranked):
            row += 2
            self._merged(ws, row, 0, last, t["provisional_note"], "note", height=30)
        ws.freeze_panes(header + 1, 3)
        self._print(ws, landscape=True, repeat=(header, header))

    def _ranking_cell(self, key: str, r: CommuneResult, prev_ranks: dict[str, int]) -> tuple[float | str | None, Any]:
        """One cell of a commune's ranking row: (number, text or None for a blank, format), as `_num` and
        `_text` write them."""
        f = self.f
        if key == "rank":
            return _float(r.rank), f["int"]
        if key == "code":
            return r.code or None, f["center"]
        if key == "commune":
            return r.display or None, f["text"]
        if key.startswith("area:"):
            return _float(r.areas.get(key[5:])), f["num"]
        if key == "bonus":
            return _float(r.bonus), f["num"]
        if key == "penalty":
            return _float(r.penalty), f["num"]
        if key == "total":
            return _float(r.score), f["num_bold"]
        if key == "tier":
            return (r.tier + (self.t["ranking"]["provisional_mark"] if r.provisional else "")) or None, f["text"]
        if key == "previous":
            return _float(self.previous.get(r.code)), f["num"]
        if key == "change":
            prev = self.previous.get(r.code)
            return _float(None if prev is None or r.score is None else r.score - prev), f["change"]
        if key == "previous_rank":
            return _float(prev_ranks.get(r.code)), f["int"]
        if key == "stage":
            return self._stage_short(r) or None, f["text"]
        if key == "note":
            return (self.t["ranking"]["rejected_note"] if r.status == "rejected" else None), f["text_wrap"]
        raise ValueError(key)

    # -- Biểu đồ + Số liệu biểu đồ ---------------------------------------------------------------
    def _chart_communes(self) -> list[CommuneResult]:
        if len(self.ranked) <= self.chart_limit:
            return self.ranked
        half = self.chart_limit // 2
        return self.ranked[:half] + self.ranked[-half:]

    def _chart_layout(self) -> dict[str, Any]:
        """Where the chart data sits on the data sheet (rows are 0-based)."""
        tiers = len(self.cset.tiers)
        tier_first = 3
        commune_header = tier_first + tiers + 1
        return {"tier_first": tier_first, "tier_last": tier_first + tiers - 1, "commune_header": commune_header,
                "first": commune_header + 1, "last": commune_header + len(self._chart_communes())}

    def _chart_data(self, ws: Worksheet) -> None:
        t = self.t["chart_data"]
        lay = self._chart_layout()
        cc = t["commune_columns"]
        widths = [cc["commune"][1], cc["total"][1], *[cc["area"][1]] * len(self.areas), cc["self"][1],
                  cc["final"][1]]
        self._widths(ws, widths)
        self._merged(ws, 0, 0, 0, t["title"], "title", height=22)
        self._header(ws, lay["tier_first"] - 1, [h for h, _ in t["tier_columns"].values()], height=20)
        counts = self.d.tier_counts()
        for i, tier in enumerate(self.cset.tiers):
            self._text(ws, lay["tier_first"] + i, 0, tier.name)
            self._num(ws, lay["tier_first"] + i, 1, counts.get(tier.name, 0), "int")
        headers = [cc["commune"][0], cc["total"][0], *[self._area_header(a) for a in self.areas], cc["self"][0],
                   cc["final"][0]]
        self._header(ws, lay["commune_header"], headers, height=32)
        for i, r in enumerate(self._chart_communes()):
            row = lay["first"] + i
            self._text(ws, row, 0, self.t["charts"]["commune_label"].format(rank=r.rank, commune=r.display))
            self._num(ws, row, 1, r.score)
            for j, area in enumerate(self.areas):
                self._num(ws, row, 2 + j, r.areas.get(area.code))
            self._num(ws, row, 2 + len(self.areas), r.self_total)
            self._num(ws, row, 3 + len(self.areas), r.final_total)
        self._print(ws, landscape=True, repeat=(lay["commune_header"], lay["commune_header"]))

    def _chart(self, kind: str, title: str, height: int, subtype: str | None = None) -> Any:
        options: dict[str, Any] = {"type": kind}
        if subtype:
            options["subtype"] = subtype
        chart = self.wb.add_chart(options)
        chart.set_title({"name": title, "name_font": {"name": FONT, "size": 12, "bold": True}})
        chart.set_size({"width": 900, "height": height})
        chart.set_legend({"position": "bottom", "font": {"name": FONT, "size": 9}})
        chart.set_chartarea({"border": {"color": "#BFBFBF"}})
        return chart

    def _charts(self, ws: Worksheet) -> None:
        t = self.t["charts"]
        ws.set_column(0, 14, 9.0)
        ws.hide_gridlines(2)
        self._merged(ws, 0, 0, 14, t["title"].format(year=self.cset.year), "title", height=22)
        row = self._stage_rows(ws, 1, 14, 135)
        if len(self.ranked) > self.chart_limit:
            half = self.chart_limit // 2
            self._merged(ws, row, 0, 14, t["subset"].format(count=len(self.ranked), top=half, bottom=half), "note",
                         width=135)
            row += 1
        if not self.ranked:
            self._print(ws, landscape=False, repeat=None)
            return
        data = self.names["chart_data"]
        lay = self._chart_layout()
        first, last = lay["first"], lay["last"]
        n = last - first + 1
        per_commune = max(300, 20 * n + 110)
        font = {"name": FONT, "size": 9}
        cats = [data, first, 0, last, 0]
        total = float(self.cset.highest)  # a final total may reach the maximum plus the bonus cap

        def commune_axes(chart: Any, maximum: float | None = None) -> None:
            # In a bar chart XlsxWriter's y axis is the (vertical) category axis: rank 1 at the top.
            chart.set_y_axis({"reverse": True, "crossing": "max", "num_font": font, "major_tick_mark": "none"})
            value_axis: dict[str, Any] = {"min": 0, "num_font": font, "name": t["points_axis"],
                                          "name_font": {"name": FONT, "size": 9, "bold": False},
                                          "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}}
            if maximum is not None:
                value_axis["max"] = maximum
            chart.set_x_axis(value_axis)

        totals = self._chart("bar", t["totals"], per_commune)
        totals.add_series({"name": t["total_series"], "categories": cats, "values": [data, first, 1, last, 1],
                           "fill": {"color": "#2E75B6"}, "gap": 40,
                           "data_labels": {"value": True, "num_format": NUM, "font": font}})
        commune_axes(totals, total)
        totals.set_legend({"none": True})
        composition = self._chart("bar", t["composition"], per_commune + 40, "stacked")
        for j in range(len(self.areas)):
            composition.add_series({"name": [data, lay["commune_header"], 2 + j], "categories": cats,
                                    "values": [data, first, 2 + j, last, 2 + j], "gap": 40})
        commune_axes(composition)
        self_final = self._chart("bar", t["self_final"], max(300, 30 * n + 110))
        a = len(self.areas)
        self_final.add_series({"name": t["self_series"], "categories": cats, "values": [data, first, 2 + a, last, 2 + a],
                               "fill": {"color": "#A5A5A5"}})
        self_final.add_series({"name": t["final_series"], "categories": cats,
                               "values": [data, first, 3 + a, last, 3 + a], "fill": {"color": "#2E75B6"}})
        commune_axes(self_final)
        tiers = self._chart("column", t["tiers"], 320)
        tiers.add_series({"name": t["count_series"], "categories": [data, lay["tier_first"], 0, lay["tier_last"], 0],
                          "values": [data, lay["tier_first"], 1, lay["tier_last"], 1], "fill": {"color": "#2E75B6"},
                          "data_labels": {"value": True, "font": font}})
        tiers.set_x_axis({"num_font": font})
        tiers.set_y_axis({"min": 0, "num_font": font, "name": t["count_axis"],
                          "name_font": {"name": FONT, "size": 9, "bold": False}, "major_unit": _unit(len(self.ranked))})
        tiers.set_legend({"none": True})
        row += 1
        for chart in (totals, composition, self_final, tiers):
            ws.insert_chart(row, 0, chart, {"x_offset": 4, "y_offset": 4, "object_position": 3})
            row += math.ceil((chart.height + 20) / 20) + 1
        ws.print_area(0, 0, row, 14)
        self._print(ws, landscape=False, repeat=None)

    # -- Theo lĩnh vực ------------------------------------------------------------------------------
    def _areas(self, ws: Worksheet) -> None:
        t = self.t["areas"]
        cols = t["columns"]
        widths = [cols["rank"][1], cols["code"][1], cols["commune"][1], *[cols["area"][1]] * len(self.areas),
                  cols["total"][1]]
        self._widths(ws, widths)
        last = len(widths) - 1
        span = sum(widths)
        self._merged(ws, 0, 0, last, t["title"], "title", height=22)
        row = self._stage_rows(ws, 1, last, span)
        self._merged(ws, row, 0, last, t["note"], "note", width=span)
        row += 1
        self._merged(ws, row, 0, last, self._area_legend(), "note", width=span)
        row += 1
        header = row
        self._header(ws, header, [cols["rank"][0], cols["code"][0], cols["commune"][0],
                                  *[self._area_header(a) for a in self.areas], cols["total"][0]], height=45)
        scores = [r.score for r in self.ranked if r.score is not None]
        stats: list[tuple[str, Callable[[str], Decimal | None], Decimal | None]] = [
            ("max", lambda code: next(a.max for a in self.areas if a.code == code), self.cset.total),
            ("average", lambda code: self.area_avg.get(code), _mean(scores)),
            ("minimum", lambda code: min((r.areas.get(code, Decimal(0)) for r in self.ranked), default=None),
             min(scores, default=None)),
            ("maximum", lambda code: max((r.areas.get(code, Decimal(0)) for r in self.ranked), default=None),
             max(scores, default=None)),
        ]
        for key, per_area, total in stats:
            row += 1
            ws.merge_range(row, 0, row, 2, "", self.f["stat_label"])
            ws.write_string(row, 0, t["stats"][key], self.f["stat_label"])
            for j, area in enumerate(self.areas):
                self._num(ws, row, 3 + j, per_area(area.code), "stat_num")
            self._num(ws, row, last, total, "stat_num")
        first = row + 1
        f = self.f
        write_rows(ws, first, [[*self._commune_cells(r), *((_float(r.areas.get(a.code)), f["num"]) for a in self.areas),
                                (_float(r.score), f["num_bold"])] for r in self.ranked])
        row += len(self.ranked)
        if row >= first:
            for j, area in enumerate(self.areas):
                ws.conditional_format(first, 3 + j, row, 3 + j, _scale(area.max))
            ws.conditional_format(first, last, row, last, _scale(self.cset.highest))
        ws.freeze_panes(header + 1, 3)
        self._print(ws, landscape=True, repeat=(header, header))

    # -- Theo tiêu chí ------------------------------------------------------------------------------
    def _criteria(self, ws: Worksheet) -> None:
        t = self.t["criteria"]
        cols = t["columns"]
        widths = [cols["rank"][1], cols["code"][1], cols["commune"][1], *[cols["leaf"][1]] * len(self.leaves)]
        self._widths(ws, widths)
        last = len(widths) - 1
        span = 60.0  # the texts sit over the first columns
        self._merged(ws, 0, 0, min(last, 20), t["title"], "title", height=22)
        row = self._stage_rows(ws, 1, min(last, 20), span + 17 * 5)
        self._merged(ws, row, 0, min(last, 20), t["note"].format(priorities=self.names["priorities"]), "note",
                     width=span + 17 * 5)
        row += 1
        # area row: each area's code over its items
        area_row = row
        ws.set_row(area_row, 18)
        ws.merge_range(area_row, 0, area_row, 2, "", self.f["small_header"])
        col = 3
        for area in self.areas:
            count = sum(1 for leaf in self.leaves if self.cset.area_of[leaf.code].code == area.code)
            if count > 1:
                ws.merge_range(area_row, col, area_row, col + count - 1, "", self.f["small_header"])
            if count:
                ws.write_string(area_row, col, area.code, self.f["small_header"])
            col += count
        row += 1
        header = row
        ws.set_row(header, 30)
        for c, text in enumerate([cols["rank"][0], cols["code"][0], cols["commune"][0]]):
            self._text(ws, header, c, text, "header")
        for j, leaf in enumerate(self.leaves):
            self._text(ws, header, 3 + j, leaf.code, "small_header")
        by_code = {s.criterion.code: s for s in self.stats}
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
            ws.merge_range(row, 0, row, 2, "", self.f["stat_label"])
            ws.write_string(row, 0, t["stats"][key], self.f["stat_label"])
            for j, leaf in enumerate(self.leaves):
                self._num(ws, row, 3 + j, get(by_code[leaf.code]), style)
        first = row + 1
        small = self.f["small_num"]
        codes = [leaf.code for leaf in self.leaves]
        write_rows(ws, first, [[*self._commune_cells(r), *((_float(r.leaves.get(c)), small) for c in codes)]
                               for r in self.ranked])
        row += len(self.ranked)
        if row >= first:
            for j, leaf in enumerate(self.leaves):
                ws.conditional_format(first, 3 + j, row, 3 + j, _scale(leaf.max))
        ws.freeze_panes(header + 1, 3)
        self._print(ws, landscape=True, repeat=(area_row, header))
        # 80 items do not fit one A4 width legibly: a few pages across, each repeating the commune columns.
        ws.repeat_columns(0, 2)
        ws.fit_to_pages(max(1, math.ceil(sum(widths) / 200)), 0)

    # -- Tiêu chí cần ưu tiên --------------------------------------------------------------------------
    def _priorities(self, ws: Worksheet) -> None:
        t = self.t["priorities"]
        cols = t["columns"]
        widths = [w for _, w in cols.values()]
        self._widths(ws, widths)
        last = len(widths) - 1
        span = sum(widths)
        self._merged(ws, 0, 0, last, t["title"], "title", height=22)
        row = self._stage_rows(ws, 1, last, span)
        self._merged(ws, row, 0, last, t["note"], "note", width=span)
        row += 1
        header = row
        self._header(ws, header, [h for h, _ in cols.values()], height=45)
        for n, s in enumerate(self.stats, start=1):
            row += 1
            leaf = s.criterion
            ws.set_row(row, 15.5 * _lines(leaf.title, widths[2]) + 3)
            self._num(ws, row, 0, n, "int")
            self._text(ws, row, 1, leaf.code, "center")
            self._text(ws, row, 2, leaf.title, "text_wrap")
            self._text(ws, row, 3, s.area, "center")
            self._num(ws, row, 4, leaf.max)
            if s.scored == 0 and leaf.scored_by == "district":
                self._text(ws, row, 5, t["district"], "text_wrap")
            else:
                self._num(ws, row, 5, s.scored, "int")
            self._num(ws, row, 6, s.average)
            self._num(ws, row, 7, s.minimum)
            self._num(ws, row, 8, s.maximum)
            self._num(ws, row, 9, s.full_share, "pct")
            self._num(ws, row, 10, s.lost if s.scored else None, "num_bold")
        if row > header:
            ws.conditional_format(header + 1, 10, row, 10, {"type": "data_bar", "bar_color": "#F8696B",
                                                            "bar_solid": True})
            ws.conditional_format(header + 1, 9, row, 9, {"type": "3_color_scale", "min_type": "num", "min_value": 0,
                                                          "mid_type": "num", "mid_value": 0.5, "max_type": "num",
                                                          "max_value": 1, **SCALE})
            ws.autofilter(header, 0, row, last)
        ws.freeze_panes(header + 1, 3)
        self._print(ws, landscape=True, repeat=(header, header))

    # -- Tiến độ -------------------------------------------------------------------------------------
    def _progress(self, ws: Worksheet) -> None:
        t = self.t["progress"]
        cols = t["columns"]
        widths = [w for _, w in cols.values()]
        self._widths(ws, widths)
        last = len(widths) - 1
        span = sum(widths)
        results = sorted(self.d.results, key=lambda r: r.code)
        received = [r for r in results if r.received]
        deadline = f"{self.d.deadline:%d/%m/%Y %H:%M}" if self.d.deadline else t["no_deadline"]
        on_time = sum(r.on_time is True for r in received) if self.d.deadline else "—"
        summary = t["summary"].format(received=len(received), listed=len(results), on_time=on_time,
                                      with_errors=sum(r.errors > 0 for r in received), deadline=deadline)
        self._merged(ws, 0, 0, last, t["title"], "title", height=22)
        self._merged(ws, 1, 0, last, summary, "plain", width=span)
        header = 2
        self._header(ws, header, [h for h, _ in cols.values()], height=45)
        yes, no = t["yes_no"]
        row = header
        for n, r in enumerate(results, start=1):
            row += 1
            self._num(ws, row, 0, n, "int")
            self._text(ws, row, 1, r.code, "center")
            self._text(ws, row, 2, r.display)
            if not r.received:
                self._text(ws, row, 3, t["not_received"], "center")
                for c in range(4, last):
                    ws.write_blank(row, c, None, self.f["text"])
                self._text(ws, row, last, t["other_set"].format(set_id=r.other_set) if r.other_set else "",
                           "text_wrap")
                continue
            self._text(ws, row, 3, yes, "center")
            if r.received_at is not None:
                ws.write_datetime(row, 4, r.received_at.replace(tzinfo=None), self.f["when"])
            else:
                ws.write_blank(row, 4, None, self.f["text"])
            self._text(ws, row, 5, "" if r.on_time is None else yes if r.on_time else no, "center")
            self._text(ws, row, 6, t["status"].get(r.status, r.status))
            self._text(ws, row, 7, t["state"].get(r.state, r.state))
            self._num(ws, row, 8, r.version or None, "int")
            self._num(ws, row, 9, r.errors, "int")
            self._num(ws, row, 10, r.warnings, "int")
            self._num(ws, row, 11, r.evidence_coverage, "pct")
            self._text(ws, row, 12, t["file_note"].format(file=r.file_name) if r.file_name else "", "text_wrap")
        if row > header:
            first = header + 1
            ws.conditional_format(first, 3, row, 3, {"type": "cell", "criteria": "==",
                                                     "value": _quoted(t["not_received"]), "format": self.f["bad"]})
            ws.conditional_format(first, 5, row, 5, {"type": "cell", "criteria": "==", "value": _quoted(no),
                                                     "format": self.f["bad"]})
            ws.conditional_format(first, 6, row, 6, {"type": "cell", "criteria": "==",
                                                     "value": _quoted(t["status"]["rejected"]), "format": self.f["bad"]})
            ws.conditional_format(first, 9, row, 9, {"type": "cell", "criteria": ">", "value": 0,
                                                     "format": self.f["bad"]})
            ws.conditional_format(first, 10, row, 10, {"type": "cell", "criteria": ">", "value": 0,
                                                       "format": self.f["warn"]})
            ws.conditional_format(first, 11, row, 11, {"type": "3_color_scale", "min_type": "num", "min_value": 0,
                                                       "mid_type": "num", "mid_value": 0.5, "max_type": "num",
                                                       "max_value": 1, **SCALE})
            ws.autofilter(header, 0, row, last)
        ws.freeze_panes(header + 1, 3)
        self._print(ws, landscape=True, repeat=(header, header))

    # -- Phiếu kết quả ------------------------------------------------------------------------------
    def _cards(self) -> None:
        if self.cards_mode == "summary":
            ws = self.wb.add_worksheet(self.names["cards"])
            self._cards_summary(ws)
            self._protect(ws)
            return
        used = {name.casefold() for name in self.names.values()}
        for r in self.ranked:
            ws = self.wb.add_worksheet(_sheet_name(self.t["card_sheet"].format(code=r.code, name=r.name), used))
            self._card(ws, r)
            self._protect(ws)

    def _card(self, ws: Worksheet, r: CommuneResult) -> None:
        t = self.t["card"]
        dcols = t["deduction_columns"]
        widths = [w for _, w in dcols.values()]
        self._widths(ws, widths)
        ws.hide_gridlines(2)
        last = len(widths) - 1
        span = sum(widths)
        self._merged(ws, 0, 0, last, t["title"].format(year=self.cset.year), "title_center", height=24)
        self._merged(ws, 1, 0, last, t["commune"].format(commune=r.display, code=r.code), "subtitle_center",
                     height=20)
        label = self.t["stage_line"].format(stage=self.t["stage"]["final" if r.is_final else "self"])
        self._merged(ws, 2, 0, last, label, "stage", width=span)
        row = 4
        fields: list[tuple[str, Any, str]] = [("rank", r.rank, "int"), ("of", len(self.ranked), "int"),
                                              ("total", r.score, "num_bold"), ("tier", r.tier, "text_bold")]
        for key, value, style in fields:
            ws.merge_range(row, 0, row, 1, "", self.f["text_bold"])
            ws.write_string(row, 0, t["fields"][key], self.f["text_bold"])
            if isinstance(value, str):
                self._text(ws, row, 2, value, style)
            else:
                self._num(ws, row, 2, value, style)
            row += 1
        row += 1
        self._merged(ws, row, 0, last, t["areas_title"], "section", height=20)
        row += 1
        self._header(ws, row, [h for h, _ in t["area_columns"].values()], height=32)
        for area in self.areas:
            row += 1
            points = r.areas.get(area.code, Decimal(0))
            avg = self.area_avg.get(area.code)
            ws.set_row(row, 15.5 * _lines(area.title, widths[1]) + 3)
            self._text(ws, row, 0, area.code, "center")
            self._text(ws, row, 1, area.title, "text_wrap")
            self._num(ws, row, 2, area.max)
            self._num(ws, row, 3, points, "num_bold")
            self._num(ws, row, 4, avg)
            self._num(ws, row, 5, None if avg is None else points - avg, "change")
        if r.is_final:
            for key, value in (("bonus", r.bonus), ("penalty", r.penalty)):
                row += 1
                ws.write_blank(row, 0, None, self.f["text"])
                self._text(ws, row, 1, t[key])
                for c in (2, 4, 5):
                    ws.write_blank(row, c, None, self.f["text"])
                self._num(ws, row, 3, value)
        row += 1
        ws.write_blank(row, 0, None, self.f["total_label"])
        self._text(ws, row, 1, t["total"], "total_label")
        self._num(ws, row, 2, self.cset.total, "total_num")
        self._num(ws, row, 3, r.score, "total_num")
        avg_total = _mean([x.score for x in self.ranked if x.score is not None])
        self._num(ws, row, 4, avg_total, "total_num")
        self._num(ws, row, 5, None if avg_total is None or r.score is None else r.score - avg_total, "change")
        row += 2
        self._merged(ws, row, 0, last, t["deductions_title"], "section", height=20)
        row += 1
        self._header(ws, row, [h for h, _ in dcols.values()], height=32)
        if not r.deductions:
            row += 1
            self._merged(ws, row, 0, last, t["none"], "note", height=18)
        for d in r.deductions:
            row += 1
            lines = max(_lines(d.title, widths[1]), _lines(d.reason, widths[6]), _lines(d.explanation, widths[7]))
            ws.set_row(row, 15.5 * lines + 3)
            self._text(ws, row, 0, d.criterion, "center")
            self._text(ws, row, 1, d.title, "text_wrap")
            self._num(ws, row, 2, d.max)
            self._num(ws, row, 3, d.self_points)
            self._num(ws, row, 4, d.final_points)
            self._num(ws, row, 5, d.lost, "num_bold")
            self._text(ws, row, 6, d.reason, "text_wrap")
            self._text(ws, row, 7, d.explanation, "text_wrap")
        self._print(ws, landscape=True, repeat=(0, 1))

    def _cards_summary(self, ws: Worksheet) -> None:
        """One row per commune: rank, total, each area against the district average, every deduction and why."""
        t = self.t["cards"]
        cols = t["columns"]
        keys = ["code", "commune", "rank", "total", "tier", "diff", *(["area"] * len(self.areas)), "count", "lost",
                "deductions"]
        widths = [cols[k][1] for k in keys]
        headers = [cols[k][0] for k in keys[:6]]
        headers += [t["area_diff_header"].format(code=a.code) for a in self.areas]
        headers += [cols[k][0] for k in ("count", "lost", "deductions")]
        self._widths(ws, widths)
        last = len(widths) - 1
        span = sum(widths)
        self._merged(ws, 0, 0, last, t["title"], "title", height=22)
        row = self._stage_rows(ws, 1, last, span)
        self._merged(ws, row, 0, last, t["note"].format(areas=self.names["areas"]), "note", width=span)
        row += 1
        header = row
        self._header(ws, header, headers, height=60)
        f = self.f
        averages = [self.area_avg.get(a.code) for a in self.areas]
        avg_total = _mean([r.score for r in self.ranked])
        text_width = widths[-1]
        rows: list[list[tuple[float | str | None, Any]]] = []
        heights: list[float | None] = []
        for r in self.ranked:
            text = self._deductions_text(r)
            heights.append(min(409, 15.5 * sum(_lines(line, text_width) for line in text.split("\n")) + 3))
            areas = r.areas
            rows.append([
                (r.code, f["center"]), (r.display, f["text_wrap"]), (float(r.rank or 0), f["int"]),
                (_float(r.score), f["num_bold"]), (r.tier, f["text"]),
                (None if r.score is None or avg_total is None else float(r.score - avg_total), f["change"]),
                *((None if areas.get(a.code) is None or avg is None else float(areas[a.code] - avg), f["change"])
                  for a, avg in zip(self.areas, averages, strict=True)),
                (float(len(r.deductions)), f["int"]),
                (float(sum((d.lost for d in r.deductions), Decimal(0))), f["num"]), (text, f["text_wrap"])])
        write_rows(ws, row + 1, rows, heights=heights)
        row += len(rows)
        if row > header:
            for j in range(len(self.areas)):
                ws.conditional_format(header + 1, 6 + j, row, 6 + j, {"type": "cell", "criteria": "<", "value": 0,
                                                                      "format": f["bad"]})
            ws.autofilter(header, 0, row, last)
        ws.freeze_panes(header + 1, 2)
        self._print(ws, landscape=True, repeat=(header, header))

    def _deductions_text(self, r: CommuneResult) -> str:
        """Every deduction of a commune, one per line, within Excel's 32,767 characters per cell."""
        t = self.t["cards"]
        if not r.deductions:
            return t["none"]
        lines: list[str] = []
        size = 0
        for n, d in enumerate(r.deductions):
            line = t["line"].format(code=d.criterion, title=d.title, lost=fmt(d.lost),
                                    self=fmt(d.self_points) if d.self_points is not None else t["blank"],
                                    final=t["line_final"].format(final=fmt(d.final_points))
                                    if d.final_points is not None else "")
            if d.reason:
                line += t["reason"].format(text=d.reason)
            if d.explanation:
                line += t["explanation"].format(text=d.explanation)
            if size + len(line) + 1 > _CELL_TEXT_MAX - 200:
                lines.append(t["cut"].format(count=len(r.deductions) - n))
                break
            lines.append(line)
            size += len(line) + 1
        return "\n".join(lines)


def _float(value: Decimal | int | None) -> float | None:
    return None if value is None else float(value)


def _lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a cell `width` characters wide (Times New Roman is narrow)."""
    return max(1, math.ceil(len(text) / max(width * 1.15, 1)))


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


_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(wanted: str, used: set[str]) -> str:
    """A valid, unique worksheet name (31 characters, none of []:*?/\\, not quoted at the ends)."""
    base = _BAD_SHEET_CHARS.sub(" ", wanted).strip().strip("'").strip() or "Sheet"
    name = base[:31].rstrip()
    n = 2
    while name.casefold() in used:
        suffix = f" ({n})"
        name = base[:31 - len(suffix)].rstrip() + suffix
        n += 1
    used.add(name.casefold())
    return name
