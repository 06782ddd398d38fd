"""The ranking workbook for leaders (`cchc-xl report`): cover, ranking, the communes not ranked and why,
charts, heat maps, the criteria to act on, the completeness board and each commune's result sheet (phiếu kết
quả). Each sheet is a class of `ranking_sheets`; this module puts them in order.

Every number is written as a value (no formulas, so no viewer shows a stale 0); every user text with
`write_string`, so a commune's explanation beginning with "=" stays text. Charts are native Excel charts
on the data in the "Số liệu biểu đồ" sheet, 480 px wide in the Okabe–Ito colours, each printed on its own
page. Every sheet is protected (read-only; filters and sorting allowed) and prints on A4 at 85 % of its size or
more, with repeated header rows and page numbers. The file is written atomically. With a `Signature` the cover
closes with the body's signature block (place and date, the signer's title, room to sign and stamp).

Only accepted or appraised results are ranked (`ranking_data`); the others are listed apart with the reason.

Phiếu kết quả: up to `CARDS_SHEET_LIMIT` (100) ranked communes, one sheet per commune (its points by area
against the district average, then every deduction with the council's reason and the commune's own
explanation). Above that — a province or the whole country — one summary sheet "Phiếu kết quả" has one row per
commune instead: rank, total, each area's points against the district average, and every deduction with its
reason in one wrapped cell (cut, saying so, at Excel's 32,767 characters); the cover says so. Thousands of
sheets, or a row per deduction (~230,000 rows for 10,600 communes), would make the file slow to open and the
report slower; per-commune files were not chosen for the same reason.

The per-commune charts draw every commune up to `CHART_LIMIT` (40: a bar each, with an 11 pt label, on one
portrait page); above that the highest and the lowest half of that number, and the charts sheet says so.

Written in XlsxWriter's constant-memory mode: each sheet is written strictly top to bottom, row by row; the
package deflated at zlib's fastest level, its large sheets by ISA-L where installed (`_RankingWorkbook`).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal

from xlsxwriter.worksheet import Worksheet

from cchc_xl.collector import collection_paused
from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.fastzlib import raw_compressor
from cchc_xl.identity import NEUTRAL, RoundIdentity
from cchc_xl.reports.cards_worker import MIN_COMMUNES as CARDS_WORKER_MIN
from cchc_xl.reports.cards_worker import CardsWorker
from cchc_xl.reports.ranking_data import FinalScores, RankingInput, from_store
from cchc_xl.reports.ranking_sheets import (
    STYLES,
    AreasSheet,
    Book,
    CardSheet,
    CardsSummarySheet,
    ChartDataSheet,
    ChartsSheet,
    CoverSheet,
    CriteriaSheet,
    PrioritiesSheet,
    ProgressSheet,
    RankingSheet,
    RankingTable,
    Signature,
    UnrankedSheet,
    part_of,
    sheet_name,
)
from cchc_xl.safeio import atomic_path
from cchc_xl.store import Store
from cchc_xl.store_sql import Location, exists
from cchc_xl.templates import template
from cchc_xl.workbook.sheetkit import Formats, workbook_options
from cchc_xl.workbook.writer import _ProtectedWorkbook

__all__ = ["CARDS_SHEET_LIMIT", "CHART_LIMIT", "PARTS", "RankingSummary", "Signature", "write_ranking",
           "write_report_workbook"]

CARDS_SHEET_LIMIT = 100
CHART_LIMIT = 40
PARTS = ("cover", "ranking", "charts", "areas", "criteria", "priorities", "progress", "cards")

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
                  identity: RoundIdentity = NEUTRAL, signature: Signature | None = None) -> RankingSummary:
    """Write the ranking workbook `out` from the round `round_id` of the store at `store_path` (a SQLite file or a
    PostgreSQL URL).

    `final`: appraisals by commune code (None: the store's current appraisals; {}: self-assessed scores
    only). `previous`: last year's totals by commune code (see `ranking_data.previous_totals`). `deadline`:
    the self-assessment deadline, for "on time". `password`: the sheet password (default: the district's,
    from settings). `identity`: the round's assessing body, which heads the cover and names the texts.
    `signature`: the cover's signature block, when the body issues the report.
    Raises FileNotFoundError when there is no store.
    """
    if not exists(store_path):
        raise FileNotFoundError(store_path)
    with collection_paused():
        store = Store(store_path, round_id=round_id)
        try:
            data = from_store(store, cset, communes, final=final, previous=previous, deadline=deadline,
                              generated_at=generated_at, provisional=provisional, identity=identity)
        finally:
            store.close()
        return write_report_workbook(data, out, password=password, signature=signature)


def write_report_workbook(data: RankingInput, out: Path, *, password: str | None = None,
                          parts: Iterable[str] | None = None, cards_limit: int = CARDS_SHEET_LIMIT,
                          chart_limit: int = CHART_LIMIT, signature: Signature | None = None,
                          cards_worker_min: int = CARDS_WORKER_MIN) -> RankingSummary:
    """Write the workbook from ranking data. `parts`: a subset of PARTS (default: all), e.g. a print of
    ("cover", "ranking"). `cards_worker_min`: the ranked communes from which the one-sheet phiếu kết quả's
    rows are made in a forked process (`cards_worker`)."""
    if password is None:
        from cchc_xl.settings import load_settings

        password = load_settings().sheet_password
    writer = RankingWorkbookWriter(data, password, parts, cards_limit, chart_limit, signature, cards_worker_min)
    with collection_paused():
        writer.write(out)
    ranked = data.ranked
    return RankingSummary(path=out, listed=len(data.results), received=sum(r.received for r in data.results),
                          ranked=len(ranked), stage=data.stage, tiers=data.tier_counts(),
                          first=[r.display for r in ranked if r.rank == 1], cards=writer.cards_mode)


class RankingWorkbookWriter:
    """Puts the sheets in order: cover, ranking, not ranked, charts, areas, criteria, priorities, progress,
    the result sheets, the chart data."""

    def __init__(self, data: RankingInput, password: str, parts: Iterable[str] | None = None,
                 cards_limit: int = CARDS_SHEET_LIMIT, chart_limit: int = CHART_LIMIT,
                 signature: Signature | None = None, cards_worker_min: int = CARDS_WORKER_MIN):
        self.data = data
        self.password = password
        self.parts = set(parts) if parts is not None else set(PARTS)
        unknown = self.parts - set(PARTS)
        if unknown:
            raise ValueError(f"unknown parts: {sorted(unknown)}")
        self.cards_mode: Literal["sheets", "summary"] = "sheets" if len(data.ranked) <= cards_limit else "summary"
        self.cards_limit = cards_limit
        self.chart_limit = chart_limit
        self.signature = signature
        self.cards_worker_min = cards_worker_min

    def write(self, path: Path) -> None:
        data = self.data
        t = template("ranking", data.identity)
        with atomic_path(path) as tmp:
            wb = _RankingWorkbook(str(tmp), workbook_options(constant_memory=True))
            wb.structure_password = self.password
            book = Book(data=data, t=t, wb=wb, formats=Formats(wb, STYLES), password=self.password,
                        parts=self.parts, cards_mode=self.cards_mode, cards_limit=self.cards_limit,
                        chart_limit=self.chart_limit, signature=self.signature)
            worker = None
            if "cards" in self.parts and self.cards_mode == "summary":
                CardsSummarySheet.number_body_styles(book.formats)
                worker = CardsWorker.start(book, self.cards_worker_min)
            try:
                self._sheets(book, worker)
                wb.set_properties({"title": t["file_title"].format(year=data.cset.year), "author": "cchc-xl",
                                   "company": data.cset.decision.issuer})
                wb.close()
            finally:
                if worker is not None:
                    worker.close()  # (after the package: the child's rows are read from its file there)

    def _sheets(self, book: Book, worker: CardsWorker | None) -> None:
        sheets: list[type[RankingSheet]] = [CoverSheet, RankingTable, UnrankedSheet, ChartsSheet, AreasSheet,
                                            CriteriaSheet, PrioritiesSheet, ProgressSheet]
        wb, first = book.wb, True
        for kind in sheets:
            if part_of(kind.key) not in self.parts or (kind is UnrankedSheet and not book.unranked):
                continue
            ws = wb.add_worksheet(book.names[kind.key])
            if first:
                ws.activate()
                first = False
            kind(book, ws).write()
        if "cards" in self.parts:
            book.cards_child = worker
            self._cards(book)
        if "charts" in self.parts:
            ChartDataSheet(book, wb.add_worksheet(book.names["chart_data"])).write()

    def _cards(self, book: Book) -> None:
        if self.cards_mode == "summary":
            CardsSummarySheet(book, book.wb.add_worksheet(book.names["cards"])).write()
            return
        used = {name.casefold() for name in book.names.values()}
        for r in book.ranked:
            name = sheet_name(book.t["card_sheet"].format(code=r.code, name=r.name), used)
            CardSheet(book, book.wb.add_worksheet(name), r).write()


DEFLATE_LEVEL = 1  # zlib's fastest, as the feedback packages (XlsxWriter deflates at zlib's default, 6)
PACKAGE_SWITCH = "CCHC_XL_FAST_RANKING_PACKAGE"  # "0": XlsxWriter's own packaging


class _RankingWorkbook(_ProtectedWorkbook):
    """The ranking workbook, packaged faster: its parts deflated at `DEFLATE_LEVEL` (a country's report is 88 MB
    of sheet XML, which zlib's default level took 0.85 s of CPU to deflate, level 1 0.28 s, ISA-L's level 1
    0.08 s (`fastzlib.raw_compressor`, for the sheets whose rows are streamed); the file 9.5 MB instead of
    6.6), and each sheet's rows streamed into the package from the file XlsxWriter's constant-memory
    mode wrote them to (XlsxWriter copies them into the sheet's own file first, decoding and encoding them,
    and the zip then reads that), and the rows a sheet borrowed from another file (`_RowsApart.borrow_rows`)
    from there. The parts, their order and dates are XlsxWriter's own (`_store_workbook` of
    XlsxWriter 3.3, pinned in pyproject.toml, which offers no compression level); anything this does not
    foresee (parts in memory, a VBA project), or everything with `CCHC_XL_FAST_RANKING_PACKAGE=0`, is left to
    XlsxWriter."""

    def __init__(self, filename: str, options: dict[str, Any] | None = None) -> None:
        super().__init__(filename, options)
        self.worksheet_class = _rows_apart(self.worksheet_class)
        self.rows_token = secrets.token_hex(8)  # a sheet's mark where its rows go (see _RowsApart)

    def _store_workbook(self) -> None:
        if (self.in_memory or self.vba_project or not isinstance(self.filename, str)
                or os.environ.get(PACKAGE_SWITCH, "1") == "0"):
            try:
                for sheet in self.worksheets():
                    sheet.rows_mark = None  # (XlsxWriter copies the rows itself)
                    if isinstance(sheet, _RowsApart):
                        sheet.take_borrowed()
                super()._store_workbook()
            except BaseException:
                _remove_files(getattr(sheet, "row_data_filename", None) for sheet in self.worksheets())
                raise
            return
        rows: dict[bytes, _SheetRows] = {}  # a sheet's mark -> its rows
        for index, sheet in enumerate(self.worksheets()):
            if isinstance(sheet, _RowsApart) and sheet.constant_memory:
                sheet.rows_mark = f"\x00{self.rows_token}:{index}\x00"
                rows[sheet.rows_mark.encode()] = _SheetRows(sheet.row_data_filename, sheet.borrowed)
        with zipfile.ZipFile(self.filename, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=DEFLATE_LEVEL,
                             allowZip64=self.allow_zip64) as archive:
            packager = self._get_packager()
            if not self.worksheets():
                self.add_worksheet()
            if self.worksheet_meta.activesheet == 0:
                self.worksheets_objs[0].selected = 1
                self.worksheets_objs[0].hidden = 0
            for sheet in self.worksheets():
                if sheet.index == self.worksheet_meta.activesheet:
                    sheet.active = 1
            self._prepare_sst_string_data()
            self._prepare_vml()
            self._prepare_defined_names()
            self._prepare_drawings()
            self._add_chart_data()
            self._prepare_tables()
            self._prepare_metadata()
            packager._add_workbook(self)
            packager._set_tmpdir(self.tmpdir)
            packager._set_in_memory(False)
            # XlsxWriter's date for parts written to disk: 31 January 1980 (1 January does not survive every
            # time zone)
            stamp = time.mktime((1980, 1, 31, 0, 0, 0, 0, 0, -1))
            try:
                for os_filename, xml_filename, _binary in packager._create_package():
                    os.utime(os_filename, (stamp, stamp))
                    if xml_filename.startswith("xl/worksheets/sheet") and rows:
                        _write_sheet(archive, os_filename, xml_filename, rows)
                    else:
                        archive.write(os_filename, xml_filename)
                    os.remove(os_filename)
            finally:  # (the parts written so far, whatever failed, and every sheet's rows)
                _remove_files([*(part[0] for part in packager.filenames), *(r.path for r in rows.values())])


def _remove_files(names: Iterable[Any]) -> None:
    for name in names:
        if isinstance(name, str) and os.path.exists(name):
            os.remove(name)


@dataclass(frozen=True)
class _SheetRows:
    """A sheet's rows at packaging: its row file, and the rows it borrowed from other files (`_RowsApart`)."""

    path: str
    borrowed: list[Borrowed]

    def segments(self) -> list[tuple[str, int, int]]:
        """(file, start, stop) byte ranges, in the order of the sheet's rows: each borrowed range at its place
        in the row file."""
        out, at = [], 0
        for where, path, start, stop in self.borrowed:
            out.append((self.path, at, where))
            out.append((path, start, stop))
            at = where
        out.append((self.path, at, os.path.getsize(self.path)))
        return [segment for segment in out if segment[2] > segment[1]]


def _write_sheet(archive: zipfile.ZipFile, os_filename: str, xml_filename: str,
                 rows: dict[bytes, _SheetRows]) -> None:
    """A sheet part into the package, as `ZipFile.write` would write it, its rows (if its file holds their
    mark) read from their files. The rows' files are XlsxWriter's UTF-8 text, so their bytes are what
    XlsxWriter's copy would have written (no raw carriage return: XlsxWriter writes it as _x000D_)."""
    with open(os_filename, "rb") as f:
        content = f.read()
    found = [(mark, sheet_rows) for mark, sheet_rows in rows.items() if mark in content]
    if not found:
        archive.write(os_filename, xml_filename)
        return
    if len(found) > 1 or content.count(found[0][0]) != 1:
        raise RuntimeError(f"{xml_filename}: the rows' mark is not where it should be")
    mark, sheet_rows = found[0]
    head, tail = content.split(mark)
    segments = sheet_rows.segments()
    info = zipfile.ZipInfo.from_file(os_filename, xml_filename)
    # (what `write` decides zip64 on)
    info.file_size = len(head) + sum(stop - start for _, start, stop in segments) + len(tail)
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = DEFLATE_LEVEL  # type: ignore[attr-defined]  # (as `write` sets it)
    with archive.open(info, "w") as out:
        if getattr(out, "_compressor", None) is not None:  # (zipfile's deflater: ISA-L's is 3× faster)
            out._compressor = raw_compressor(DEFLATE_LEVEL)
        out.write(head)
        _copy_segments(segments, out)
        out.write(tail)
    os.remove(sheet_rows.path)


def _copy_segments(segments: list[tuple[str, int, int]], target: IO[bytes]) -> None:
    """The (file, start, stop) byte ranges into `target`, in order."""
    for path, start, stop in segments:
        with open(path, "rb") as source:
            source.seek(start)
            size = stop - start
            while size > 0:
                chunk = source.read(min(size, 1 << 20))
                if not chunk:
                    raise RuntimeError("a sheet's rows' file is shorter than it was")
                target.write(chunk)
                size -= len(chunk)


Borrowed = tuple[int, str, int, int]  # (where in the row file, the file holding the rows, their start and end there)


class _RowsApart(Worksheet):
    """A constant-memory worksheet whose rows stay in their file when its XML is assembled: a mark in their
    place (`rows_mark`, set by `_RankingWorkbook` when it packages), which the package step replaces by them.
    Rows written in another file (`cards_worker`) are borrowed (`borrow_rows`) rather than copied into the
    row file: the package step reads them where they are (a country's phiếu kết quả, 140 MB, took a third
    of a second to copy)."""

    rows_mark: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.borrowed: list[Borrowed] = []

    def borrow_rows(self, path: str, offset: int) -> None:
        """The rows `path` holds from `offset` on (as it is now), as if written here now (nothing pending: the
        row before them is written out). The file must stay as it is until the workbook is closed."""
        self.fh.flush()
        self.borrowed.append((self.fh.buffer.tell(), path, offset, os.path.getsize(path)))

    def take_borrowed(self) -> None:
        """The borrowed rows copied into the row file at their places (for XlsxWriter's own packaging)."""
        if not self.borrowed:
            return
        self.fh.flush()
        raw = self.fh.buffer
        with tempfile.TemporaryFile(dir=os.path.dirname(self.row_data_filename)) as spliced:
            _copy_segments(_SheetRows(self.row_data_filename, self.borrowed).segments(), spliced)
            spliced.seek(0)
            raw.seek(0)
            raw.truncate()
            shutil.copyfileobj(spliced, raw, 1 << 20)
        raw.flush()
        self.borrowed = []

    def _write_optimized_sheet_data(self) -> None:
        if self.rows_mark is None or self.dim_rowmin is None:
            super()._write_optimized_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self.row_data_fh.close()
        self.fh.write(self.rows_mark)
        self._xml_end_tag("sheetData")


def _rows_apart(base: type[Worksheet]) -> type[Worksheet]:
    """The workbook's worksheet class with `_RowsApart`'s packaging."""
    return type(f"RowsApart{base.__name__}", (_RowsApart, base), {})
