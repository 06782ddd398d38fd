"""The ranking workbook's row blocks written as XML rows (reports/sheet_xml.py behind sheet_rows.py) give the
same file as XlsxWriter writing each cell: every part of the package compared byte for byte (the document
dates in docProps/core.xml aside), and both workbooks read back by openpyxl, on communes with blank items
(district-scored, before appraisal), unranked communes, names with XML characters, spaces at the ends and a
control character, appraised and rejected results and last year's totals (every column of the ranking
sheet); and when the fast path fails half-way through a block."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from cchc_xl.criteria import CriteriaSet
from cchc_xl.reports import ranking, ranking_sheets, sheet_rows, sheet_xml
from cchc_xl.reports.ranking import write_report_workbook
from cchc_xl.reports.ranking_data import FinalScores, RankingInput, commune_result, missing_result

AT = dt.datetime(2022, 10, 5, 17, 0)
NAMES = ["Gia Phù", 'Đồng "Tâm" & <Xuân>', " Khoảng trắng ", "Ký tự\x01lạ", "_x0041_ Mã", "Tân Lập"]


def _input(cset: CriteriaSet, n: int) -> RankingInput:
    results = []
    leaves = cset.commune_leaves()
    for i in range(n):
        scores = {leaf.code: str(leaf.max if (i + k) % 4 else Decimal(0)) for k, leaf in enumerate(leaves)
                  if (i + k) % 7}
        final = None
        if i % 5 == 0:
            final = FinalScores(leaves={leaf.code: (leaf.max - Decimal("0.25") * (i % 3), "lý do")
                                        for leaf in cset.leaves()}, bonus=Decimal(1), penalty=Decimal("0.5"))
        results.append(commune_result(
            cset, str(10000 + i), NAMES[i % len(NAMES)], "xã", self_scores=scores,
            self_total=sum((Decimal(v) for v in scores.values()), Decimal(0)), final=final,
            status="rejected" if i % 9 == 4 else "accepted",
            state="checked", version=1, file_name=f"{i}.xlsx", received_at=AT - dt.timedelta(hours=i), deadline=AT))
    results.append(missing_result("19999", "Chưa nộp", "phường"))
    previous = {str(10000 + i): Decimal(i % 30) for i in range(0, n, 2)}  # last year's totals for half of them
    return RankingInput(cset=cset, results=results, previous=previous, deadline=AT, generated_at=AT)


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        out = {name: archive.read(name) for name in archive.namelist()}
    out["docProps/core.xml"] = re.sub(rb"<dcterms:(created|modified)([^>]*)>[^<]*</dcterms:\1>", rb"<dcterms:\1\2/>",
                                      out["docProps/core.xml"])
    return out


@pytest.mark.parametrize(("count", "cards_limit"), [(1, 500), (40, 500), (40, 10)])
def test_rows_written_as_xml_give_the_same_package(count: int, cards_limit: int, tmp_path: Path,
                                                   bundled_set: CriteriaSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """cards_limit 10: the commune cards as one summary sheet (row heights fitted to each commune's text)."""
    data = _input(bundled_set, count)
    fast, plain = tmp_path / "fast.xlsx", tmp_path / "plain.xlsx"
    fast_rows: list[int] = []
    real = sheet_xml.RowWriter.row
    monkeypatch.setattr(sheet_xml.RowWriter, "row", lambda self, row, *a: (fast_rows.append(row), real(self, row, *a))[1])
    write_report_workbook(data, fast, password="x", cards_limit=cards_limit)
    # every commune row but each block's last is written as XML: ranking, areas, criteria, chart data and, as
    # one sheet, cards (the ranked communes); the communes not ranked; the progress board (every commune)
    ranked, unranked = len(data.ranked), len(data.unranked)
    assert unranked >= 1
    blocks = [ranked] * (3 + (cards_limit < ranked)) + [min(ranked, 40), unranked, len(data.results)]
    assert len(fast_rows) == sum(max(0, n - 1) for n in blocks)
    monkeypatch.setenv(sheet_rows.SWITCH, "0")
    write_report_workbook(data, plain, password="x", cards_limit=cards_limit)
    want, got = _parts(plain), _parts(fast)
    assert list(got) == list(want)
    for name in want:
        assert got[name] == want[name], name
    if count > len(NAMES):  # the control-character escapes were exercised
        assert b"_x005F_x0041_" in b"".join(want.values()) and b"_x0001_" in b"".join(want.values())



def test_cards_summary_in_blocks_gives_the_same_package(tmp_path: Path, bundled_set: CriteriaSet,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-sheet phiếu kết quả is made and written a block of communes at a time (a country's deduction
    texts would otherwise be held at once): blocks of 3 and 7 rows (the last one short, or full) give the
    package of one block."""
    data = _input(bundled_set, 40)
    one = tmp_path / "one.xlsx"
    write_report_workbook(data, one, password="x", cards_limit=10)
    want = _parts(one)
    for block in (3, 7, len(data.ranked)):
        monkeypatch.setattr(ranking_sheets, "_CARD_BLOCK", block)
        blocks = tmp_path / f"blocks-{block}.xlsx"
        write_report_workbook(data, blocks, password="x", cards_limit=10)
        got = _parts(blocks)
        assert list(got) == list(want)
        for name in want:
            assert got[name] == want[name], (block, name)

@pytest.mark.parametrize("chars", [1, 700, 5000])
def test_chunks_cut_by_their_length_give_the_same_package(chars: int, tmp_path: Path, bundled_set: CriteriaSet,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk of rows is written once its XML passes `CHUNK_CHARS` characters: after every row (1), after a
    few (700, 5000), or at the end of the chunk (the default)."""
    data = _input(bundled_set, 40)
    whole = tmp_path / "whole.xlsx"
    write_report_workbook(data, whole, password="x", cards_limit=10)
    monkeypatch.setattr(sheet_xml, "CHUNK_CHARS", chars)
    cut = tmp_path / "cut.xlsx"
    write_report_workbook(data, cut, password="x", cards_limit=10)
    want, got = _parts(whole), _parts(cut)
    assert list(got) == list(want)
    for name in want:
        assert got[name] == want[name], name


# -- the workbooks read back -----------------------------------------------------------------------------
def _read_back(path: Path) -> dict[str, object]:
    """What a reader sees of every sheet: cell values and types, each cell's number format, font, fill, border
    and alignment, merged cells, row heights and column widths, frozen panes, conditional formats, protection,
    print setup (area, titles, orientation, scale, margins, page breaks, header and footer); the defined names."""
    wb = openpyxl.load_workbook(path)
    seen: dict[str, object] = {"names": sorted((n, str(d.value)) for n, d in wb.defined_names.items()),
                               "sheets": wb.sheetnames}
    for ws in wb.worksheets:
        cells = [(c.coordinate, c.value, c.data_type, c.number_format, c.font.b, c.font.i, c.font.sz, c.font.name,
                  c.font.color.rgb if c.font.color else None, c.fill.fgColor.rgb, c.border.left.style,
                  c.border.bottom.style, c.alignment.horizontal, c.alignment.vertical, c.alignment.wrap_text)
                 for row in ws.iter_rows() for c in row if c.value is not None or c.has_style]
        setup = ws.page_setup
        seen[ws.title] = {
            "cells": cells, "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "heights": {r: d.height for r, d in ws.row_dimensions.items() if d.height},
            "widths": {c: d.width for c, d in ws.column_dimensions.items()},
            "panes": ws.freeze_panes, "filter": ws.auto_filter.ref,
            "conditional": sorted((str(rng.sqref), [(r.type, r.operator, r.formula, r.dxfId) for r in rules])
                                  for rng, rules in ws.conditional_formatting._cf_rules.items()),
            "protected": (ws.protection.sheet, ws.protection.password, ws.protection.autoFilter, ws.protection.sort),
            "print": (ws.print_area, ws.print_title_rows, ws.print_title_cols, setup.orientation, setup.paperSize,
                      setup.scale, setup.fitToWidth, ws.page_margins.left, ws.page_margins.top,
                      ws.print_options.horizontalCentered, [b.id for b in ws.row_breaks.brk],
                      [b.id for b in ws.col_breaks.brk], ws.oddFooter.center.text, ws.oddFooter.left.text),
        }
    return seen


@pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
@pytest.mark.parametrize(("count", "cards_limit"), [(40, 500), (40, 10)])
def test_fast_and_plain_workbooks_read_back_the_same(count: int, cards_limit: int, tmp_path: Path,
                                                     bundled_set: CriteriaSet, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _input(bundled_set, count)
    fast, plain = tmp_path / "fast.xlsx", tmp_path / "plain.xlsx"
    write_report_workbook(data, fast, password="x", cards_limit=cards_limit)
    monkeypatch.setenv(sheet_rows.SWITCH, "0")
    write_report_workbook(data, plain, password="x", cards_limit=cards_limit)
    got, want = _read_back(fast), _read_back(plain)
    assert list(got) == list(want)
    for sheet in want:
        assert got[sheet] == want[sheet], sheet
    criteria = want["Theo tiêu chí"]
    assert isinstance(criteria, dict) and len(criteria["cells"]) > count * len(bundled_set.leaves())  # the matrix


def test_an_exception_on_the_fast_path_leaves_the_rest_of_the_block_to_the_plain_path(
        tmp_path: Path, bundled_set: CriteriaSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path fails at its 30th row (in the middle of a chunk of the ranking sheet, its second block):
    the plain path writes the rest of that block, and the file is the same as the plain path's."""
    data = _input(bundled_set, 40)
    plain, failed = tmp_path / "plain.xlsx", tmp_path / "failed.xlsx"
    real = sheet_xml.RowWriter.row
    made: list[int] = []

    def failing(self: sheet_xml.RowWriter, row: int, *args: object) -> str:
        made.append(row)
        if len(made) == 30:
            raise RuntimeError("an XlsxWriter we did not expect")
        return real(self, row, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(sheet_xml.RowWriter, "row", failing)
    write_report_workbook(data, failed, password="x")
    assert len(made) > 30  # the later blocks went on the fast path
    monkeypatch.setenv(sheet_rows.SWITCH, "0")
    write_report_workbook(data, plain, password="x")
    want, got = _parts(plain), _parts(failed)
    for name in want:
        assert got[name] == want[name], name


@pytest.mark.parametrize("text", [" trước", "sau ", "xuống dòng\n", "\tthẻ", "cách\u00a0", "giữa\ngiữa", "x"])
def test_text_cells_keep_their_spaces_as_xlsxwriter_keeps_them(text: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Leading or trailing whitespace (any Unicode space, a final newline) is marked xml:space="preserve" as
    XlsxWriter marks it."""
    def book(path: Path) -> None:
        wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        ws = wb.add_worksheet()
        f = wb.add_format({"bold": True})
        sheet_rows.write_rows(ws, 0, [[(text, f), (1.5, f)]] * 3)
        wb.close()

    book(tmp_path / "fast.xlsx")
    monkeypatch.setenv(sheet_rows.SWITCH, "0")
    book(tmp_path / "plain.xlsx")
    assert _parts(tmp_path / "fast.xlsx")["xl/worksheets/sheet1.xml"] == \
        _parts(tmp_path / "plain.xlsx")["xl/worksheets/sheet1.xml"]


def test_the_package_deflated_at_level_one_holds_xlsxwriters_own_parts(
        tmp_path: Path, bundled_set: CriteriaSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ranking workbook's zip (ranking._RankingWorkbook: deflated at zlib's level 1, each sheet's rows
    streamed from their own file) holds the parts XlsxWriter's own packaging writes: the same names in the same
    order, the same dates, the same bytes; only the compressed streams differ (larger). No temporary file is
    left behind."""
    data = _input(bundled_set, 40)
    fast, plain = tmp_path / "fast.xlsx", tmp_path / "plain.xlsx"
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    write_report_workbook(data, fast, password="x")
    assert list(temporary.iterdir()) == []
    monkeypatch.undo()
    monkeypatch.setenv(ranking.PACKAGE_SWITCH, "0")  # XlsxWriter's own packaging
    write_report_workbook(data, plain, password="x")
    want, got = _parts(plain), _parts(fast)
    assert list(got) == list(want)
    for name in want:
        assert got[name] == want[name], name
    with zipfile.ZipFile(fast) as a, zipfile.ZipFile(plain) as b:
        entries = [[(i.filename, i.date_time, i.compress_type, i.create_system, i.external_attr) for i in z.infolist()]
                   for z in (a, b)]
        assert entries[0] == entries[1]
        assert a.testzip() is None
        assert sum(i.compress_size for i in a.infolist()) > sum(i.compress_size for i in b.infolist())


def test_zeros_and_escaped_texts_are_written_as_xlsxwriter_writes_them(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """0.0, -0.0 and 0 in one column, in two formats (their pieces kept apart by sign, type and format), and
    texts that XlsxWriter's escapes change (control characters, "_xHHHH_", U+FFFE, XML's `&`, `<`, `>` with and
    without newlines) or keep (tab, newline, no-break space, quotes, letters) next to printable ones."""
    zeros = [0.0, -0.0, 0, -0.0, 0.0, 0, 1.5, -0.0, 0.0, 0, 1.5, -0.0]
    texts = ["Gia Phù", "a\x01b", "_x0041_ Mã", "thẻ\tx", "dòng\nmới", "\ufffe", "cách\u00a0", "hai\ndòng\x02",
             "Gia Phù", 'A & B <c> "d"\n&amp;', "dòng\n<một>", "> &"]

    def book(path: Path) -> None:
        wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        ws = wb.add_worksheet()
        bold, plain = wb.add_format({"bold": True}), wb.add_format({"italic": True})
        rows = [[(z, bold if i % 3 else plain), (t, plain), (z, bold)] for i, (z, t) in enumerate(zip(zeros, texts,
                                                                                                        strict=True))]
        sheet_rows.write_rows(ws, 0, rows * 3)
        wb.close()

    book(tmp_path / "fast.xlsx")
    monkeypatch.setenv(sheet_rows.SWITCH, "0")
    book(tmp_path / "plain.xlsx")
    got, want = _parts(tmp_path / "fast.xlsx"), _parts(tmp_path / "plain.xlsx")
    assert got["xl/worksheets/sheet1.xml"] == want["xl/worksheets/sheet1.xml"]
    sheet = want["xl/worksheets/sheet1.xml"]
    assert b"<v>-0</v>" in sheet and b"_x0001_" in sheet and "dòng_x0002_".encode() in sheet
    assert b"A &amp; B &lt;c&gt; \"d\"\n&amp;amp;" in sheet
    assert got == want


@pytest.mark.libreoffice
@pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
def test_libreoffice_opens_the_summary_workbook_and_reads_its_cells(tmp_path: Path, bundled_set: CriteriaSet) -> None:
    """The package as the ranking writes it for many communes (the result cards as one summary sheet, rows
    streamed, deflated at level 1): LibreOffice opens it, and its re-save holds the same sheets and the same
    values in the commune sheets (the ranking, the criteria matrix and the cards summary)."""
    from cchc_xl.office import convert

    data = _input(bundled_set, 40)
    path = tmp_path / "xep-hang.xlsx"
    write_report_workbook(data, path, password="x", cards_limit=10)
    (resaved,) = convert([path], "xlsx", tmp_path / "lo")
    mine, theirs = openpyxl.load_workbook(path), openpyxl.load_workbook(resaved)
    assert theirs.sheetnames == mine.sheetnames
    names = ranking.template("ranking")["sheets"]

    def cells(ws: object) -> list[list[object]]:
        # (openpyxl reads XlsxWriter's escaped "_x0041_", "_x005F_x0041_", as it stands, LibreOffice's as
        # "_x0041_"; LibreOffice writes 15 significant digits)
        rows = ([c.replace("_x005F_", "_") if isinstance(c, str) else round(c, 9) if isinstance(c, float) else c
                 for c in row if c not in (None, "")] for row in ws.iter_rows(values_only=True))  # type: ignore[attr-defined]
        return [r for r in rows if r]

    for key in ("ranking", "criteria", "cards"):
        assert cells(theirs[names[key]]) == cells(mine[names[key]]), key


@pytest.mark.parametrize("template", [" — Giải trình: {text}", "{text}", "{{ngoặc}} {text} {{}}", "không có chỗ",
                                      "{text} và {text}", "dấu\x00 {text}"])
def test_a_deductions_reason_is_put_in_its_template_as_format_puts_it(template: str) -> None:
    around = ranking_sheets._around_text(template)
    for text in ["Lý do", "", "{text}", "a\x00b", "dòng\nmới"]:
        if around is not None:
            assert around[0] + text + around[1] == template.format(text=text)
    assert (around is None) == (template.count("{text}") != 1 or "\x00" in template)


# -- the phiếu kết quả's rows made in a forked process (reports/cards_worker.py) ----------------------------
def _with_long_explanations(data: RankingInput, cset: CriteriaSet, every: int) -> RankingInput:
    """Every `every`-th commune below the maximum everywhere, with 600 characters of explanation on each item:
    its phiếu text is past half of Excel's 32,767 characters, which the fast path leaves to XlsxWriter."""
    results = list(data.results)
    for i in range(0, len(results), every):
        r = results[i]
        if not r.received:
            continue
        leaves = cset.commune_leaves()
        results[i] = commune_result(
            cset, r.code, r.name, r.kind, self_scores={leaf.code: "0" for leaf in leaves}, self_total=Decimal(0),
            explanations={leaf.code: f"Giải trình {leaf.code} & <chi tiết> " + "x" * 570 for leaf in leaves},
            status="accepted", state="checked", version=1, file_name="long.xlsx", received_at=AT, deadline=AT)
    return RankingInput(cset=data.cset, results=results, previous=data.previous, deadline=AT, generated_at=AT)


@pytest.mark.parametrize(("count", "long_every", "fast_rows", "fast_package", "share"),
                         [(40, 0, True, True, 0.15), (1100, 97, True, True, 0.15), (60, 7, False, True, 0.15),
                          (1100, 97, True, False, 0.15), (40, 0, True, True, 0.0), (40, 0, True, True, 1.0)])
def test_the_cards_rows_made_in_a_forked_process_give_the_same_package(
        count: int, long_every: int, fast_rows: bool, fast_package: bool, share: float, tmp_path: Path,
        bundled_set: CriteriaSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """1100 communes: more than one block of rows; `long_every`: communes whose text XlsxWriter writes (in
    the child too); `fast_rows` False: every row through XlsxWriter; `fast_package` False: XlsxWriter's own
    packaging, the child's rows copied into the sheet's row file (else read from the child's file); `share`:
    the rows written here while the child makes the others (1.0: the child makes none)."""
    from cchc_xl.reports import cards_worker

    monkeypatch.setattr(cards_worker, "HERE_SHARE", share)
    data = _input(bundled_set, count)
    if long_every:
        data = _with_long_explanations(data, bundled_set, long_every)
    if not fast_rows:
        monkeypatch.setenv(sheet_rows.SWITCH, "0")
    if not fast_package:
        monkeypatch.setenv(ranking.PACKAGE_SWITCH, "0")
    made: list[object] = []
    real = cards_worker.CardsWorker.result
    monkeypatch.setattr(cards_worker.CardsWorker, "result", lambda self: (made.append(got := real(self)), got)[1])
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    forked, here = tmp_path / "forked.xlsx", tmp_path / "here.xlsx"
    write_report_workbook(data, forked, password="x", cards_limit=10, cards_worker_min=1)
    assert len(made) == 1 and isinstance(made[0], cards_worker.MadeRows)
    assert made[0].first_row == made[0].header + 1 + int(len(data.ranked) * share)
    assert not list(scratch.iterdir())  # (the child's files removed)
    monkeypatch.setenv(cards_worker.SWITCH, "0")
    write_report_workbook(data, here, password="x", cards_limit=10, cards_worker_min=1)
    assert len(made) == 1
    want, got = _parts(here), _parts(forked)
    assert list(got) == list(want)
    for name in want:
        assert got[name] == want[name], name


@pytest.mark.parametrize("fast_package", [True, False])
@pytest.mark.parametrize("borrowed", [[(3, 6)], [(3, 6), (8, 9)], [(0, 4)]])
def test_rows_borrowed_from_another_file_come_at_their_place(
        borrowed: list[tuple[int, int]], fast_package: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`_RowsApart.borrow_rows`: rows another worksheet wrote into its row file (as the phiếu's child does) come
    where they were borrowed, between the rows written here before and after, as if written here; through the
    package step's reading (`fast_package`) or copied into the row file for XlsxWriter's own packaging."""
    if not fast_package:
        monkeypatch.setenv(ranking.PACKAGE_SWITCH, "0")
    lent = {r for first, stop in borrowed for r in range(first, stop)}

    def cells(ws: object, r: int) -> None:
        ws.write_string(r, 0, f"dòng {r} & <{r}>")  # type: ignore[attr-defined]
        ws.write_number(r, 1, r * 1.5)  # type: ignore[attr-defined]

    whole = tmp_path / "whole.xlsx"
    wb = ranking._RankingWorkbook(str(whole), {"constant_memory": True, "tmpdir": str(tmp_path)})
    ws = wb.add_worksheet("A")
    for r in range(10):
        cells(ws, r)
    wb.close()

    other = xlsxwriter.Workbook(str(tmp_path / "other.xlsx"), {"constant_memory": True, "tmpdir": str(tmp_path)})
    apart = other.add_worksheet("B")
    parts = tmp_path / "parts.xlsx"
    wb = ranking._RankingWorkbook(str(parts), {"constant_memory": True, "tmpdir": str(tmp_path)})
    ws = wb.add_worksheet("A")
    for r in range(10):
        start = next((first for first, stop in borrowed if first == r), None)
        if start is not None:
            stop = next(stop for first, stop in borrowed if first == r)
            apart.fh.flush()
            offset = apart.fh.buffer.tell()
            for k in range(start, stop):
                cells(apart, k)
            apart._write_single_row(stop)
            apart.fh.flush()
            ws._write_single_row(start)
            ws.borrow_rows(apart.row_data_filename, offset)
            ws._check_dimensions(start, 0)  # (what MadeRows.put takes over of the child's sheet)
            ws._check_dimensions(stop - 1, 1)
            ws.previous_row = stop
        elif r not in lent:
            cells(ws, r)
    wb.close()
    other.close()
    assert _parts(parts) == _parts(whole)


def _fails(book: object, start: int) -> object:
    raise RuntimeError("the child fails")


@pytest.mark.parametrize("failure", ["raises", "raises, every row there", "killed", "killed while writing",
                                     "another heading", "no fork", "threads", "few communes"])
def test_the_cards_rows_are_written_here_when_the_child_cannot_make_them(
        failure: str, tmp_path: Path, bundled_set: CriteriaSet, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import signal
    import threading

    from cchc_xl.reports import cards_worker

    data = _input(bundled_set, 40)
    here = tmp_path / "here.xlsx"
    monkeypatch.setenv(cards_worker.SWITCH, "0")
    write_report_workbook(data, here, password="x", cards_limit=10, cards_worker_min=1)
    monkeypatch.delenv(cards_worker.SWITCH)
    started: list[object] = []
    real_start = cards_worker.CardsWorker.start.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(cards_worker.CardsWorker, "start",
                        classmethod(lambda cls, *a: (started.append(w := real_start(cls, *a)), w)[1]))
    minimum = 1
    if failure.startswith("raises"):
        monkeypatch.setattr(cards_worker, "_make", _fails)
        if failure.endswith("every row there"):  # (the parent has written none of them when it learns it)
            monkeypatch.setattr(cards_worker, "HERE_SHARE", 0.0)
    elif failure == "another heading":  # (rows made under a heading this process did not write: not taken)
        real_make = cards_worker._make
        monkeypatch.setattr(cards_worker, "_make",
                            lambda book, start: dataclasses.replace(real_make(book, start), header=-1))
    elif failure == "killed":
        monkeypatch.setattr(cards_worker, "_make", lambda book, start: os.kill(os.getpid(), signal.SIGKILL))
    elif failure == "killed while writing":  # (the child's sheet and its rows' file made)
        parent, body = os.getpid(), ranking_sheets.CardsSummarySheet.write_body
        monkeypatch.setattr(ranking_sheets.CardsSummarySheet, "write_body", lambda sheet, header, **kw: (
            os.kill(os.getpid(), signal.SIGKILL) if os.getpid() != parent else body(sheet, header, **kw)))
    elif failure == "no fork":
        monkeypatch.delattr(os, "fork")
    elif failure == "threads":
        monkeypatch.setattr(threading, "active_count", lambda: 2)
    else:
        minimum = len(data.ranked) + 1
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    out = tmp_path / "out.xlsx"
    write_report_workbook(data, out, password="x", cards_limit=10, cards_worker_min=minimum)
    assert not list(scratch.iterdir())  # (whatever became of the child, its files are removed)
    assert len(started) == 1
    assert (started[0] is None) == (failure in ("no fork", "threads", "few communes"))
    want, got = _parts(here), _parts(out)
    assert list(got) == list(want)
    for name in want:
        assert got[name] == want[name], name


@pytest.mark.parametrize("fast_package", [True, False])
def test_a_package_that_fails_after_the_childs_rows_leaves_no_file(
        fast_package: bool, tmp_path: Path, bundled_set: CriteriaSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """The package step failing with the child's rows borrowed: the error goes up, no workbook is written and
    neither the child's files, the sheets' rows nor the parts written so far are left behind."""
    data = _input(bundled_set, 40)
    if fast_package:
        monkeypatch.setattr(ranking, "_write_sheet", _fails_packaging)
    else:
        monkeypatch.setenv(ranking.PACKAGE_SWITCH, "0")
        monkeypatch.setattr(ranking._RowsApart, "take_borrowed", _fails_packaging)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    out = tmp_path / "out.xlsx"
    with pytest.raises(RuntimeError, match="the package step fails"):
        write_report_workbook(data, out, password="x", cards_limit=10, cards_worker_min=1)
    assert not out.exists()
    assert not list(scratch.iterdir())


def _fails_packaging(*args: object) -> None:
    raise RuntimeError("the package step fails")


@given(st.lists(st.text(alphabet="ab \nđ", max_size=40), max_size=8), st.sampled_from([3.0, 12.5, 60.0]))
def test_a_phieu_texts_lines_are_counted_as_the_joined_text_split(lines: list[str], width: float) -> None:
    """`_LineCount.of_lines`: the lines of the cell's text, counted without splitting it again."""
    count = ranking_sheets._LineCount(width)
    text = "\n".join(lines)
    assert count.of_lines(lines) == sum(ranking_sheets._line_count(len(p), width) for p in text.split("\n"))
