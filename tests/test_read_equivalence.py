"""The read path's memos (reading/rows.py, reading/sheet_memo.py) give exactly what the plain path gives.

- Part by part: `rows.scan_sheet` equals `book._scan_sheet` and `rows.beyond_extent` equals
  `safety._beyond_extent` on generated sheet parts (formulas of every kind, validations), on the unusual
  shapes the plain scan refuses, on cells past the extent, under a prefix, on malformed parts whose tags
  run across rows, on a row written twice, and a second time (from the memo).
- On a corpus: `cchc-xl import` with the fast paths and with `CCHC_XL_FAST_READ=0` (and
  `CCHC_XL_FAST_EVIDENCE=0`, evidence/stream_scan.py) writes the same
  import-report.json, store rows and feedback workbooks (accepted, warned and rejected returns, a
  tampered one, a register filled, a commune with two files, hostile and broken files, evidence folders).
- The sheet values memo serves a recurring sheet part calamine's values, and not when a shared string
  the part's cells point to has changed.
- A row met again under other style and shared-string numbers (`rows._numbered_facts`, as Excel and
  LibreOffice renumber a file they save) has the answers the row read whole gives, piece by piece and on any
  row of them; workbooks renumbered that way read with calamine's values.

No timing here: speed is measured by benchmarks/bench_returns.py.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.evidence import stream_scan
from cchc_xl.reading import book, rows, safety
from cchc_xl.reading.safety import Limits
from cchc_xl.settings import Settings
from cchc_xl.templates import template
from conftest import SAMPLE_COMMUNES, examples
from import_corpus import Corpus, _cell, max_cell, score_cell
from test_feedback_package import read_back
from test_import_jobs import _inbox
from test_import_kill import CLI, MINI, _env, dump, new_round
from test_perf_equivalence import VALIDATIONS, formula_cells, sheet_part

TV = template("validation")
META = template("commune")["sheets"]["meta"] + ":"
SMALL = Limits().with_extent(6, 4)  # the parts below: rows 1–6, columns A–D (plus the margins)


def both_ways(data: bytes, limits: Limits = SMALL) -> None:
    """The fast and the plain answers agree, the first time and from the memo."""
    for _ in range(2):
        assert rows.scan_sheet(data) == book._scan_sheet(data)
        assert rows.beyond_extent(data, limits) == safety._beyond_extent(data, limits)


@pytest.mark.parametrize("split_from", [None, 0])  # (0: every new row put together from its cells' answers)
@hypothesis_settings(max_examples=150, deadline=None)
@given(cells=formula_cells(), validations=st.sampled_from(["", VALIDATIONS, '<dataValidations count="0"/>']))
def test_row_memo_gives_the_plain_scans(split_from: int | None, cells: str, validations: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        if split_from is not None:
            mp.setattr(rows, "SPLIT_FROM", split_from)
        both_ways(sheet_part(cells, validations))


@pytest.mark.parametrize(("case", "cells"), [
    ("formulas", '<row r="1"><c r="A1"><f>SUM(B1:B3)&amp;"x&lt;y"</f><v>1</v></c></row>'
                 '<row r="2"><c r="B2" t="str"><f aca="false">"Chưa &#x0111;&#7911;"</f></c></row>'),
    ("shared formula across rows", '<row r="1"><c r="A1"><f t="shared" ref="A1:A3" si="0">B1*2</f></c></row>'
                                   '<row r="2"><c r="A2"><f t="shared" si="0"/></c></row>'),
    ("a row written twice", '<row r="1"><c r="A1"><f>1+1</f></c></row><row r="1"><c r="A1"><f>1+1</f></c></row>'),
    ("one cell twice", '<row r="1"><c r="A1"><f>1+1</f></c><c r="A1"><v>2</v></c></row>'),
    ("one cell in two row elements", '<row r="1"><c r="A1"><f>1+1</f></c></row><row r="2"><c r="A1"><v>2</v></c></row>'),
    ("cells of two rows in one row element", '<row r="1"><c r="A1"><v>1</v></c><c r="B2"><f>1+1</f></c></row>'
                                             '<row r="2"><c r="B2"><v>2</v></c></row>'),
    ("cells of two rows, all distinct", '<row r="1"><c r="A1"><v>1</v></c><c r="B2"><f>1+1</f></c></row>'
                                        '<row r="3"><c r="B3"><v>2</v></c></row>'),
    ("past the last row", '<row r="1"><c r="A1"><v>1</v></c></row><row r="900"><c r="B900"><v>1</v></c></row>'),
    ("past the last column", '<row r="1"><c r="A1"><v>1</v></c><c r="AZ1"><v>1</v></c></row>'),
    ("a cell under a prefix", '<row r="1"><x:c r="A1"><x:v>1</x:v></x:c></row>'),
    ("a cell without a reference", '<row r="1"><c><f>1+1</f></c></row>'),
    ("a tag open into the next row", '<row r="1"><c r="A1" <row r="2"><f>1+1</f></c></row>'),
    ("formula tag open into the next row", '<row r="1"><c r="A1"><f t="x" <row r="2">1</f></c></row>'),
    ("comment", '<row r="1"><!-- <row r="2"> --><c r="A1"><f>1+1</f></c></row>'),
    ("markup in a formula", '<row r="1"><c r="A1"><f>1<b/>+1</f></c></row>'),
    ("entity XML does not define", '<row r="1"><c r="A1"><f>"&nbsp;"</f></c></row>'),
    ("a row without attributes", '<row><c r="A1"><f>1+1</f></c></row><row r="2"><c r="A2"><v>3</v></c></row>'),
    # the references, tags and prefixes the three scans' shared answers count (rows.Common)
    ("a reference with a leading zero", '<row r="1"><c r="A01"><f>1+1</f></c><c r="B1"><v>2</v></c></row>'),
    ("a row of zero", '<row r="1"><c r="A0"><v>1</v></c></row>'),
    ("a cell tag ended by a tab", '<row r="1"><c\tr="A1"><f>1+1</f></c><c r="B1"><v>2</v></c></row>'),
    ("an empty cell under a prefix", '<row r="1"><c r="A1"><v>1</v></c><x:c/></row>'),
    ("cell tags of each spelling", '<row r="1"><c r="A1"/><c r="B1"><v>1</v></c><c/><c></c></row>'),
])
def test_row_memo_gives_the_plain_scans_on_unusual_parts(case: str, cells: str) -> None:
    both_ways(sheet_part(cells, VALIDATIONS), SMALL)
    both_ways(sheet_part(cells), Limits())


def test_row_memo_serves_long_parts_and_rows_past_its_size() -> None:
    """Many rows (most alike), and rows longer than the memo keeps."""
    long_formula = "+".join(f"B{i}" for i in range(1, 800))
    cells = "".join(f'<row r="{r}"><c r="A{r}" s="1"><v>{r % 3}</v></c><c r="B{r}"><f>LEN(A{r})</f></c></row>'
                    for r in range(1, 400))
    cells += f'<row r="400"><c r="C400"><f>{long_formula}</f></c></row>'
    data = sheet_part(cells, VALIDATIONS)
    assert len(rows.chunks(data)[-1]) > rows.MEMO_ROW_BYTES
    both_ways(data, Limits().with_extent(400, 4))
    both_ways(data, Limits().with_extent(300, 4))  # past the extent: the plain check words the finding
    scanned = rows.scan_sheet(data)
    assert scanned is not None and scanned[0][(399, 2)] == long_formula


def test_a_chunk_memo_keeps_its_budget_of_bytes() -> None:
    """Bounded by the bytes of the chunks kept (two generations of half the budget each); a chunk asked for
    again survives the generation it was made in; a chunk past MEMO_ROW_BYTES is answered, not kept; an
    answer that raises is not kept either."""
    asked: list[bytes] = []

    def answer(chunk: bytes) -> int:
        asked.append(chunk)
        if chunk.startswith(b"!"):
            raise ValueError(chunk)
        return len(chunk)

    memo = rows.ChunkMemo(answer, budget=200)
    recurring = b"<row " + b"x" * 35  # 40 bytes; a generation holds 100
    others = [b"<row %d" % i + b"y" * 40 for i in range(10, 30)]
    long = b"z" * (rows.MEMO_ROW_BYTES + 1)
    for other in others:  # every file: the recurring row, one of its own, one too long to keep
        for chunk in (recurring, other, long):
            assert memo(chunk) == len(chunk)
        kept = sum(len(c) for c in [*memo.young, *memo.old])
        assert kept <= 200 and long not in memo.young and long not in memo.old
    assert asked.count(recurring) == 1 and asked.count(long) == len(others)
    assert others[0] not in memo.young and others[0] not in memo.old  # a file's own row goes
    for _ in range(2):
        with pytest.raises(ValueError):
            memo(b"!bad")
    assert asked.count(b"!bad") == 2


def test_the_switch_turns_the_row_memo_off(monkeypatch: pytest.MonkeyPatch) -> None:
    data = sheet_part('<row r="1"><c r="A1"><f>1+1</f></c></row>')
    monkeypatch.setenv(rows.SWITCH, "0")
    assert not rows.enabled()
    monkeypatch.setattr(book, "_scan_sheet", lambda _data: "plain")
    assert rows.scan_sheet(data) == "plain"


# -- a new row's answers from its cells' (rows._split_facts) -----------------------------------------------
# The pieces a row is made of, as the importer meets them and as it must not be misled by: cells in the common
# shapes, texts holding what the scans count outside tags, and cells of the shapes read whole only.
ROW_CELLS = """
| piece                                | cell                                                                  |
| number                               | <c r="{c}{r}" s="27" t="n"><v>2.5</v></c>                             |
| blank styled                         | <c r="{c}{r}" s="1"/>                                                 |
| inline text, references              | <c r="{c}{r}" s="24" t="inlineStr"><is><t>Đ&#417;n v&#7883; &amp; x</t></is></c> |
| inline text kept with blanks         | <c r="{c}{r}" t="inlineStr"><is><t xml:space="preserve"> a </t></is></c> |
| shared string                        | <c r="{c}{r}" s="24" t="s"><v>3</v></c>                               |
| formula, no result                   | <c r="{c}{r}" s="23"><f>SUM(--('T'!$A$5:$A$9=A1))&amp;"&lt;"</f><v></v></c> |
| formula, an empty result             | <c r="{c}{r}" s="23"><f>A1</f><v/></c>                                 |
| formula, text result                 | <c r="{c}{r}" t="str"><f>IF(A1&lt;&gt;"",A1,"Đạt")</f><v>Đạt</v></c>   |
| formula with attributes              | <c r="{c}{r}"><f aca="false">1+1</f><v>2</v></c>                      |
| a shared formula                     | <c r="{c}{r}"><f t="shared" ref="{c}{r}:{c}9" si="0">A1*2</f></c>     |
| a date cell                          | <c r="{c}{r}" t="d"><v>2026-03-10</v></c>                             |
| a boolean of another spelling        | <c r="{c}{r}" t="b"><v>true</v></c>                                   |
| a text with a namespace              | <c r="{c}{r}" t="inlineStr"><is><t>xmlns="x"</t></is></c>              |
| a text with the main namespace's end | <c r="{c}{r}" t="inlineStr"><is><t>/spreadsheetml/2006/main"</t></is></c> |
| a text with a prefixed tag's name    | <c r="{c}{r}" t="inlineStr"><is><t>a:c b</t></is></c>                  |
| another attribute                    | <c r="{c}{r}" cm="1"><v>1</v></c>                                     |
| blanks inside                        | <c r="{c}{r}">\\n <v>1</v></c>                                          |
| under a prefix                       | <x:c r="{c}{r}"><x:v>1</x:v></x:c>                                     |
| no reference                         | <c><v>1</v></c>                                                       |
| a comment                            | <c r="{c}{r}"><v>1</v><!-- x --></c>                                   |
| left open                            | <c r="{c}{r}"><v>1</v>                                                 |
"""
ROW_PIECES = {case.strip(): cell.strip().replace("\\n", "\n") for case, cell in
              (line.strip().strip("|").split("|") for line in ROW_CELLS.strip().splitlines()[1:])}
ROW_TAGS = ['<row r="{r}">', '<row r="{r}" spans="1:11" ht="67.5" customHeight="1">', '<row r="{r}" x:c ="1">',
            '<row r="{r}" xmlns="urn:x">', '<row  r="{r}">']
ROW_ENDS = ["</row>", "</row></sheetData><pageMargins/></worksheet>", "", "</row>\n"]


def _same_facts(chunk: bytes) -> bool:
    """`rows._split_facts` gives what the chunk read whole gives (an answer that raised: raised both ways);
    False when it leaves the chunk to be read whole."""
    split = rows._split_facts(chunk)
    if split is None:
        return False
    whole = rows._whole_facts(chunk)
    assert split[3] == whole[3], chunk
    for flag, got, want in zip((1, 2, 4), split[:3], whole[:3], strict=True):
        if not whole[3] & flag:
            assert got == want, chunk
    return True


@st.composite
def split_rows(draw: st.DrawFn) -> bytes:
    """A row of pieces above, cells of this row or another, one twice now and then; the row's tag and end."""
    r = draw(st.sampled_from([1, 7, 400]))
    cells = []
    for col in draw(st.lists(st.sampled_from("ABCDHIZ"), max_size=6)):
        piece = ROW_PIECES[draw(st.sampled_from(sorted(ROW_PIECES)))]
        cells.append(piece.format(c=col, r=draw(st.sampled_from([r, r, r, r + 1]))))
    return (draw(st.sampled_from(ROW_TAGS)).format(r=r) + "".join(cells) + draw(st.sampled_from(ROW_ENDS))).encode()


@hypothesis_settings(max_examples=examples(400, 60), deadline=None)
@given(chunk=split_rows())
def test_a_rows_answers_from_its_cells_are_the_rows_own(chunk: bytes) -> None:
    _same_facts(chunk)
    _same_facts(chunk)  # (its cells from the memo)


@pytest.mark.parametrize("case", sorted(ROW_PIECES))
def test_each_kind_of_cell_in_a_row_of_common_ones(case: str) -> None:
    """A row of common cells around the piece: served from its cells exactly when the piece is common too."""
    common = ["number", "blank styled", "inline text, references", "inline text kept with blanks",
              "shared string", "formula, no result", "formula, text result", "formula with attributes",
              "a shared formula", "a date cell", "a boolean of another spelling"]
    around = [ROW_PIECES["formula, no result"].format(c="A", r=5), ROW_PIECES["number"].format(c="B", r=5)]
    chunk = ('<row r="5" ht="30">' + around[0] + ROW_PIECES[case].format(c="H", r=5) + around[1].replace("B5", "K5")
             + "</row>").encode()
    assert _same_facts(chunk) == (case in common)


def test_the_cells_memo_serves_the_import_and_its_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long row met again with one cell of its own (an explanation) is put together from its cells; with
    `CCHC_XL_FAST_CELLS=0` it is read whole; the part's answers are the plain scans' either way."""
    status = "IF(K9&lt;&gt;\"\",K9," + "+".join(f"N(A{i})" for i in range(1, 200)) + ")"
    rows_ = [f'<row r="9"><c r="A9" t="inlineStr"><is><t>1.{i}</t></is></c><c r="H9" t="inlineStr"><is><t>'
             f'Giải trình {i}</t></is></c><c r="I9" s="25"><f>{status}</f><v></v></c></row>' for i in range(3)]
    assert len(rows_[0]) >= rows.SPLIT_FROM
    split: list[bytes] = []
    real = rows._split_facts
    monkeypatch.setattr(rows, "_split_facts", lambda chunk: split.append(chunk) or real(chunk))
    for row in rows_:
        both_ways(sheet_part(row), Limits().with_extent(9, 9))
    assert len(split) == 3  # each row once (then from the rows' memo)
    assert all(_same_facts(row.encode()) for row in rows_)
    split.clear()
    monkeypatch.setenv("CCHC_XL_FAST_CELLS", "0")
    both_ways(sheet_part(rows_[0].replace("Giải trình 0", "Giải trình 9")), Limits().with_extent(9, 9))
    assert not split


# -- a row met again under other style and string numbers (rows._numbered_facts) -----------------------------
# Pieces as Excel and LibreOffice write them (a style before or after the type, shared strings, a row's own
# style), and the texts, formulas and attributes that hold the same spellings but are no cell's numbers.
NUMBERED_CELLS = """
| piece                                 | cell                                                                   |
| shared string, styled                 | <c r="{c}{r}" s="{s}" t="s"><v>{v}</v></c>                             |
| shared string, unstyled               | <c r="{c}{r}" t="s"><v>{v}</v></c>                                     |
| shared string, style after its type   | <c r="{c}{r}" t="s" s="{s}"><v>{v}</v></c>                             |
| number, styled                        | <c r="{c}{r}" s="{s}"><v>46091</v></c>                                 |
| number, style after its type          | <c r="{c}{r}" t="n" s="{s}"><v>2.5</v></c>                             |
| blank styled                          | <c r="{c}{r}" s="{s}"/>                                                |
| formula, text result                  | <c r="{c}{r}" s="{s}" t="str"><f aca="false">IF(A1="",1,2)</f><v>Đạt</v></c> |
| formula holding a style's spelling    | <c r="{c}{r}" s="{s}" t="str"><f>T(" s="{s}" ")</f><v>x</v></c>      |
| a text holding a style's spelling     | <c r="{c}{r}" t="inlineStr"><is><t>x s="{s}" và t="s"&gt;</t></is></c> |
| another attribute of that name        | <c r="{c}{r}" cm="1" s="{s}"><v>1</v></c>                              |
| a style given twice                   | <c r="{c}{r}" s="{s}" t="n" s="{s}"><v>1</v></c>                       |
| a string index that is no number      | <c r="{c}{r}" s="{s}" t="s"><v>x{v}</v></c>                            |
"""
NUMBERED_PIECES = {case.strip(): cell.strip() for case, cell in
                   (line.strip().strip("|").split("|") for line in NUMBERED_CELLS.strip().splitlines()[1:])}
NUMBERED_TAGS = ['<row r="{r}">', '<row r="{r}" s="{s}" customFormat="1" ht="15">',
                 '<row r="{r}" customFormat="false" ht="15" hidden="false">']


# (a string index after a style given after the type is not taken out: a row of it under another index is
# another key)
KEPT_PIECES = ["shared string, styled", "shared string, unstyled", "number, styled", "number, style after its type",
               "blank styled", "formula, text result"]


@st.composite
def numbered_rows(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """A row of the pieces above under three numberings (each field its own number: a file numbers its styles
    and strings its own way), and the pieces' names."""
    r = draw(st.sampled_from([1, 5, 300]))
    cols = draw(st.lists(st.sampled_from("ABCDGHZ"), max_size=6, unique=True))
    names = [draw(st.sampled_from(sorted(NUMBERED_PIECES))) for _ in cols]
    row = (draw(st.sampled_from(NUMBERED_TAGS)) + "".join(
        NUMBERED_PIECES[name].replace("{c}", col) for col, name in zip(cols, names, strict=True)) + "</row>"
           ).replace("{r}", str(r))
    fields = row.count("{s}") + row.count("{v}")
    numbered = []
    for _ in range(3):
        numbers = iter(draw(st.lists(st.integers(0, 999), min_size=fields, max_size=fields)))
        numbered.append(re.sub(r"\{[sv]\}", lambda _m, n=numbers: str(next(n)), row))
    return names, numbered


def _fresh_numbered(mp: pytest.MonkeyPatch) -> list[Any]:
    """Empty numbered memos; the answers served from them, recorded."""
    mp.setattr(rows, "_NUMBERED_FACTS", rows.ChunkMemo(rows._facts_by_key_only, rows.MEMO_BYTES // 4))
    mp.setattr(rows, "_NUMBERED_SEEN", set())
    served: list[Any] = []
    real = rows._Numbered.answers
    mp.setattr(rows._Numbered, "answers", lambda self, *a: served.append(self) or real(self, *a))
    return served


def _same_answers(got: tuple[Any, ...], chunk: bytes) -> None:
    """`got` is what the chunk read whole gives (an answer that raised: raised both ways)."""
    want = rows._whole_facts(chunk)
    assert got[3] == want[3], chunk
    for flag, a, b in zip((1, 2, 4), got[:3], want[:3], strict=True):
        if not want[3] & flag:
            assert a == b, chunk


@hypothesis_settings(max_examples=examples(400, 60), deadline=None)
@given(case=numbered_rows())
def test_a_row_met_again_under_other_numbers_has_its_own_answers(case: tuple[list[str], list[str]]) -> None:
    """A row seen twice, then the same row under other style and string numbers: served by its numbered key
    with its own numbers put back, exactly what it gives read whole — unless a number is not a cell's (in a
    text, a formula, another attribute), or the row raised: then it is read whole."""
    names, (first, _second, third) = case
    with pytest.MonkeyPatch.context() as mp:
        served = _fresh_numbered(mp)
        for text in (first, first, third):
            chunk = text.encode()
            _same_answers(rows._numbered_facts(chunk.removeprefix(rows._CUT)), chunk)
        numbered = rows._STYLE_NUMBER.search(first.encode()) or rows._STRING_NUMBER.search(first.encode())
        if numbered and all(name in KEPT_PIECES for name in names):
            assert served  # (the third from the key the second kept: a row tag's own style, too)


@pytest.mark.parametrize("case", sorted(NUMBERED_PIECES))
def test_each_piece_under_other_numbers(case: str) -> None:
    """Each piece beside a styled shared string and a styled number, met under three numberings: the row
    served by its key exactly when every number taken out is a cell's style or string index."""
    around = NUMBERED_PIECES["shared string, styled"].replace("{c}", "A"), \
        NUMBERED_PIECES["number, styled"].replace("{c}", "K")
    row = ('<row r="{r}" s="{s}" customFormat="1">' + around[0] + NUMBERED_PIECES[case].replace("{c}", "H")
           + around[1] + "</row>").replace("{r}", "7")
    with pytest.MonkeyPatch.context() as mp:
        served = _fresh_numbered(mp)
        for n in (3, 3, 40):
            chunk = row.replace("{s}", str(n)).replace("{v}", str(n + 1)).encode()
            _same_answers(rows._numbered_facts(chunk.removeprefix(rows._CUT)), chunk)
        assert bool(served) == (case in KEPT_PIECES)


# -- a corpus, imported both ways ---------------------------------------------------------------------
def _run(inbox: Path, out: Path, fast: bool) -> None:
    out.mkdir()
    new_round(out / "s.sqlite", SAMPLE_COMMUNES)
    env = {**_env(), rows.SWITCH: "1" if fast else "0", stream_scan.SWITCH: "1" if fast else "0"}
    done = subprocess.run([*CLI, "import", str(inbox), "--out", str(out), "--db", str(out / "s.sqlite"),
                           "--criteria", str(MINI), "--jobs", "1"], env=env, stdout=subprocess.DEVNULL)
    assert done.returncode in (0, 1)  # 1: done, with rejected files


def _corpus(tmp: Path, cset: CriteriaSet, communes: list[Commune], settings: Settings) -> Path:
    inbox = _inbox(tmp, cset, communes, settings)  # test_import_jobs' inbox: accepted, warned, rejected, …
    c = Corpus(inbox, tmp / "work", cset, communes, settings)
    c.truncated(communes[12])
    c.zip_bomb(size=3 * 1024 * 1024)
    c.xml_entity(communes[13])
    c.encrypted()
    c.foreign()
    code = cset.commune_leaves()[0].code
    c.edited(communes[14], "sua-toi-da.xlsx", lambda wb: _tamper(wb, cset))
    c.valid(communes[15], name="co-tlkc.xlsx", overrides={"GT_" + cset.commune_leaves()[0].name_key: None})
    _register(c.inbox / "co-tlkc.xlsx", code)
    return inbox


def _tamper(wb: Any, cset: CriteriaSet) -> None:
    """A maximum typed over and a computed score replaced by its value (as a commune might)."""
    name, _leaf = score_cell(wb, cset, computed=False)
    max_cell(wb, name).value = 99
    name, _leaf = score_cell(wb, cset, computed=True)
    _cell(wb, name).value = 1


def _register(path: Path, code: str) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ((sheet, ref),) = list(wb.defined_names["TLKC"].destinations)
    first = int("".join(ch for ch in ref.split(":")[0] if ch.isdigit()))
    for i, values in enumerate([(code, "12/QĐ-UBND", dt.datetime(2022, 3, 4), "UBND xã", "Kế hoạch", "ke-hoach.pdf"),
                                ("9.9", "bad", "31/02/2022", "", "", "")]):
        for j, v in enumerate(values):
            wb[sheet].cell(row=first + i, column=j + 1, value=v)
    wb.save(path)


def _odd_cells(c: Corpus, cset: CriteriaSet, communes: list[Commune]) -> None:
    """Returns with cells as communes type them: text in a number cell, a "," decimal typed as text, an error
    value, a boolean, a date, a number typed with blanks around it."""
    manual = [leaf for leaf in cset.commune_leaves() if leaf.rule and not leaf.rule.computed]
    computed = next(leaf for leaf in cset.commune_leaves() if leaf.rule and leaf.rule.computed)
    odd: list[dict[str, Any]] = [
        {f"TDG_{manual[0].name_key}": "hai điểm", f"KK_{computed.name_key}_1": "1,5"},
        {f"TDG_{manual[0].name_key}": "#DIV/0!", f"GT_{manual[0].name_key}": True},
        {f"TDG_{manual[-1].name_key}": " 1 ", f"KK_{computed.name_key}_1": dt.date(2024, 5, 6),
         f"GT_{manual[-1].name_key}": "  dòng một\ndòng hai  "},
    ]
    for i, overrides in enumerate(odd):
        c.valid(communes[16 + i], name=f"o-dac-biet-{i}.xlsx", overrides=overrides)


def _both_ways_alike(inbox: Path, tmp: Path, rules: tuple[str, ...]) -> None:
    """`cchc-xl import` with every fast read path and with none: the same report, store and feedback."""
    plain, fast = tmp / "plain", tmp / "fast"
    _run(inbox, plain, fast=False)
    _run(inbox, fast, fast=True)
    report = (plain / "import-report.json").read_bytes()
    assert (fast / "import-report.json").read_bytes() == report
    text = report.decode("utf-8")
    for rule in rules:
        assert rule in text, rule
    assert dump(fast / "s.sqlite") == dump(plain / "s.sqlite")
    feedback = sorted(p.name for p in (plain / TV["feedback_dir"]).iterdir())
    assert feedback and sorted(p.name for p in (fast / TV["feedback_dir"]).iterdir()) == feedback
    for name in feedback:
        a, b = read_back(plain / TV["feedback_dir"] / name), read_back(fast / TV["feedback_dir"] / name)
        assert {k: v for k, v in a.items() if not k.startswith(META)} == \
            {k: v for k, v in b.items() if not k.startswith(META)}, name


def test_an_import_with_the_row_memo_equals_the_plain_one(tmp_path: Path, mini_set: CriteriaSet,
                                                          communes: list[Commune], settings: Settings) -> None:
    inbox = _corpus(tmp_path, mini_set, communes, settings)
    _odd_cells(Corpus(inbox, tmp_path / "work", mini_set, communes, settings), mini_set, communes)
    _both_ways_alike(inbox, tmp_path, (
        "score.above_max", "file.zip_bomb", "file.xml_entity", "file.encrypted", "file.corrupt", "file.foreign",
        "tamper.max_changed", "tamper.formula_replaced", "register.unknown_code", "submission.duplicate",
        "score.not_number", "figures.not_number"))


@pytest.mark.libreoffice
def test_returns_resaved_by_libreoffice_import_alike_both_ways(
        tmp_path: Path, mini_set: CriteriaSet, communes: list[Commune], settings: Settings) -> None:
    """Returns opened and saved in LibreOffice Calc (shared strings, its own styles and formula attributes,
    recalculated results): the same import with the fast read paths as without."""
    from cchc_xl.office import convert

    c = Corpus(tmp_path / "made", tmp_path / "work", mini_set, communes, settings)
    manual = next(leaf for leaf in mini_set.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    c.valid(communes[0])
    c.valid(communes[1], overrides={f"TDG_{manual.name_key}": 99})
    c.valid(communes[2], overrides={f"GT_{manual.name_key}": None})
    c.valid(communes[3], name="co-tlkc.xlsx")
    _register(c.inbox / "co-tlkc.xlsx", mini_set.commune_leaves()[0].code)
    _odd_cells(c, mini_set, communes)
    made = sorted(c.inbox.glob("*.xlsx"))
    inbox = tmp_path / "inbox"
    convert(made, "xlsx", inbox)
    assert all(b"LibreOffice" in _app(inbox / f.name) for f in made)
    _both_ways_alike(inbox, tmp_path, ("score.above_max", "register.unknown_code", "score.not_number"))


def _app(path: Path) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return z.read("docProps/app.xml")


# -- the sheet values memo (reading/sheet_memo.py) ------------------------------------------------
def _read(path: Path) -> book.Book:
    verdict = safety.inspect_container(path)
    return book.read_book(path, verdict.kind, verdict.parts, path.read_bytes())


def _plain_values(path: Path) -> dict[str, list[list[object]]]:
    return book.sheet_values(book.open_calamine(path))


def _with_part(src: Path, dst: Path, name: str, edit: Any) -> Path:
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, edit(data) if info.filename == name else data)
    return dst


def test_sheet_memo_serves_recurring_sheets_and_only_with_their_strings(
        tmp_path: Path, mini_set: CriteriaSet, communes: list[Commune], settings: Settings) -> None:
    from cchc_xl.reading import sheet_memo
    from cchc_xl.workbook.generate import generate_one

    blank = generate_one(mini_set, communes[0], tmp_path, settings)  # XlsxWriter: a shared string table
    filled = Corpus(tmp_path / "in", tmp_path / "work", mini_set, communes, settings).valid(communes[1])  # inline
    # the same sheet parts, the first shared string changed: the memo must not serve the blank's values
    other = _with_part(blank, tmp_path / "other.xlsx", "xl/sharedStrings.xml",
                       lambda d: d.replace(b"<si><t>", b"<si><t>X", 1))
    assert _plain_values(other) != _plain_values(blank)
    memo = sheet_memo.SheetMemo()
    for path in [blank, filled, blank, filled, blank, filled, other]:
        verdict = safety.inspect_container(path)
        cal = book.open_calamine(path)
        assert memo.values(cal, verdict.parts) == _plain_values(path), path.name
    assert memo.entries  # recurring parts were kept, and served from their third sighting on
    for path in [blank, filled, other]:
        assert _read(path).values == _plain_values(path)  # (sheet names already NFC)


# -- the value reader (reading/values.py) ------------------------------------------------------------
_STRINGS = ('<si><t>chuỗi</t></si>', '<si><t xml:space="preserve">  cách  </t></si>', '<si><t/></si>',
            '<si><r><t>Tự</t></r><r><rPr><b/><sz val="11"/></rPr><t xml:space="preserve"> đánh giá</t></r></si>',
            '<si><t>  bị cắt  </t></si>', '<si><t>a_x000D_b</t></si>', '<si><t>l1\r\nl2&#13;&amp;</t></si>',
            '<si><r><t>a</t></r><rPh sb="0" eb="1"><t>PH</t></rPh></si>')
# cell formats by index: General, dd/mm/yyyy, built-in 14 (a date), "Ngày "0 (a number), h:mm (a time),
# [h]:mm (a duration), General by name, 0.00E+00, a date without applying its format
_FORMATS = ('<numFmt numFmtId="164" formatCode="dd/mm/yyyy"/><numFmt numFmtId="165" formatCode="&quot;Ngày &quot;0"/>'
            '<numFmt numFmtId="166" formatCode="h:mm"/><numFmt numFmtId="167" formatCode="[h]:mm"/>'
            '<numFmt numFmtId="168" formatCode="General"/><numFmt numFmtId="169" formatCode="0.00E+00"/>')
_XFS = ('<xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/><xf numFmtId="165"/><xf numFmtId="166"/>'
        '<xf numFmtId="167"/><xf numFmtId="168"/><xf numFmtId="169"/><xf numFmtId="164" applyNumberFormat="0"/>')


def _xlsx(path: Path, cells: str, workbook_pr: str = "") -> Path:
    """A one-sheet workbook ("S") around these <sheetData> rows, with `_STRINGS` and the formats above."""
    import zipfile

    main, rel = "http://schemas.openxmlformats.org/spreadsheetml/2006/main", \
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/></Types>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rel}">{workbook_pr}<sheets>'
        '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet_part(cells).decode(),
        "xl/sharedStrings.xml": f'<sst xmlns="{main}">{"".join(_STRINGS)}</sst>',
        "xl/styles.xml": f'<styleSheet xmlns="{main}"><numFmts>{_FORMATS}</numFmts><cellXfs>{_XFS}</cellXfs>'
        '</styleSheet>',
    }
    with zipfile.ZipFile(path, "w") as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path


def _typed(values: dict[str, list[list[Any]]]) -> dict[str, list[list[tuple[str, Any]]]]:
    """Values with their types (True == 1.0 == 1, and a date is no datetime)."""
    return {k: [[(type(v).__name__, v) for v in row] for row in rows_] for k, rows_ in values.items()}


def _values_both_ways(path: Path) -> bool:
    """The value reader gives calamine's values, typed alike, twice (the second time from its memos);
    True when it read every sheet itself (no fallback to calamine)."""
    from cchc_xl.reading import values

    data = path.read_bytes()
    verdict = safety.inspect_container(path, Limits(), data)
    cal = book.open_calamine(path, data)
    try:
        want = _typed(book.sheet_values(cal))
    except Exception as exc:  # calamine refuses the file: so must the fast path (it leaves the sheet to it)
        with pytest.raises(type(exc)):
            values.sheet_values(cal, verdict.parts)
        assert values.whole_book(verdict.parts) is None  # calamine is opened, and refuses it
        return False
    visibility = {m.name: str(m.visible).split(".")[-1].lower() for m in cal.sheets_metadata}
    for _ in range(2):
        assert _typed(values.sheet_values(cal, verdict.parts)) == want
        whole = values.whole_book(verdict.parts)  # without calamine: its names and visibility too
        assert whole is None or (whole[0], whole[1], _typed(whole[2])) == (cal.sheet_names, visibility, want)
    package = values._Package(verdict.parts)
    served = []
    for name in cal.sheet_names:
        try:
            served.append(package.sheet(name) is not None)
        except Exception:
            served.append(False)
    return all(served)


# A cell per case (its row: any), as the reader meets it, and whether it reads it itself (else calamine)
VALUE_CASES = """
| case                               | cell                                                        | served |
| number                             | <c r="A1"><v>5</v></c>                                      | yes |
| typed "n", a style                 | <c r="B2" s="6" t="n"><v>-0.5</v></c>                        | yes |
| exponent, minus zero               | <c r="A1"><v>1E-3</v></c><c r="B1"><v>-0</v></c>              | yes |
| blanks around a number             | <c r="A1"><v> 5 </v></c>                                     | no  |
| text in a number cell              | <c r="A1"><v>abc</v></c>                                     | no  |
| inf                                | <c r="A1"><v>inf</v></c>                                     | no  |
| empty values                       | <c r="A1"><v></v></c><c r="B1"><v/></c><c r="C1" t="n"/>     | yes |
| a blank styled cell far away       | <c r="A1"><v>1</v></c><c r="D5" s="1"/>                      | yes |
| formula without result             | <c r="A1"><v>1</v></c><c r="D5"><f>1/0</f><v></v></c>        | yes |
| formula text result                | <c r="D5" t="str"><f>A1</f><v>có &amp; không</v></c>           | yes |
| formula empty text result          | <c r="D5" t="str"><f>A1</f><v></v></c>                       | yes |
| formula without its <v>            | <c r="D5" t="str"><f aca="false">A1</f></c>                  | yes |
| booleans                           | <c r="A1" t="b"><v>1</v></c><c r="B1" t="b"><v>0</v></c>      | yes |
| a boolean of another spelling      | <c r="A1" t="b"><v>true</v></c>                              | no  |
| errors                             | <c r="A1" t="e"><v>#DIV/0!</v></c><c r="C2" t="e"><v>#N/A</v></c> | yes |
| an error calamine refuses          | <c r="A1" t="e"><v>#GETTING_DATA</v></c>                     | no  |
| shared strings                     | <c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>      | yes |
| an empty shared string             | <c r="C1" t="s"><v>2</v></c>                                 | yes |
| rich text                          | <c r="A1" t="s"><v>3</v></c>                                 | yes |
| a text calamine trims              | <c r="A1" t="s"><v>4</v></c>                                 | no  |
| a text calamine unescapes          | <c r="A1" t="s"><v>5</v></c>                                 | no  |
| line ends                          | <c r="A1" t="s"><v>6</v></c>                                 | no  |
| phonetic runs                      | <c r="A1" t="s"><v>7</v></c>                                 | no  |
| a string the table does not have   | <c r="A1" t="s"><v>99</v></c>                                | no  |
| inline strings                     | <c r="A1" t="inlineStr"><is><t>Đạt; &#7889;</t></is></c>      | yes |
| an inline string with blanks kept  | <c r="B1" t="inlineStr"><is><t xml:space="preserve"> x </t></is></c> | yes |
| an empty inline string             | <c r="A1" t="inlineStr"><is><t></t></is></c><c r="B1" t="inlineStr"></c> | yes |
| inline rich text                   | <c r="A1" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is></c> | yes |
| dates: dd/mm/yyyy, built-in 14     | <c r="A1" s="1"><v>46091</v></c><c r="B1" s="2"><v>45000</v></c> | yes |
| a number in quotes' format         | <c r="A1" s="3"><v>46091</v></c><c r="B1" s="6"><v>46091</v></c> | yes |
| a date with a time of day          | <c r="A1" s="1"><v>46091.5</v></c>                           | no  |
| a date before March 1900           | <c r="A1" s="1"><v>60</v></c>                                | no  |
| a time                             | <c r="A1" s="4"><v>0.5</v></c>                               | no  |
| a duration                         | <c r="A1" s="5"><v>30</v></c>                                | no  |
| scientific format                  | <c r="A1" s="7"><v>30</v></c>                                | no  |
| a date format not applied          | <c r="A1" s="8"><v>46091</v></c>                             | no  |
| a style the styles do not have     | <c r="A1" s="40"><v>1</v></c>                                | no  |
| an ISO date cell                   | <c r="A1" t="d"><v>2026-03-10T00:00:00</v></c>                 | no  |
| another attribute                  | <c r="A1" cm="1"><v>1</v></c>                                 | no  |
| one cell twice                     | <c r="A1"><v>1</v></c><c r="A1"><v>2</v></c>                  | no  |
| formula and inline text            | <c r="A1" t="inlineStr"><f>1</f><is><t>x</t></is></c>          | yes |
"""


def _value_cases() -> list[tuple[str, str, bool]]:
    lines = [line.strip().strip("|").split("|") for line in VALUE_CASES.strip().splitlines()[1:]]
    return [(case.strip(), cell.strip(), served.strip() == "yes") for case, cell, served in lines]


def _rows_of(cells: str) -> str:
    """Cells put in <row> elements by their references' rows, in order."""
    import re

    by_row: dict[int, list[str]] = {}
    for cell in re.findall(r'<c r="[A-Z]+\d+"[^<>]*?/>|<c r="[A-Z]+\d+"[^<>]*>.*?</c>', cells):
        by_row.setdefault(int(re.search(r'r="[A-Z]+(\d+)"', cell)[1]), []).append(cell)  # type: ignore[index]
    return "".join(f'<row r="{r}">{"".join(by_row[r])}</row>' for r in sorted(by_row))


@pytest.mark.parametrize(("case", "cells", "served"), _value_cases(), ids=[c[0] for c in _value_cases()])
def test_the_value_reader_gives_calamines_values(tmp_path: Path, case: str, cells: str, served: bool) -> None:
    assert _values_both_ways(_xlsx(tmp_path / "v.xlsx", _rows_of(cells))) == served


def test_the_value_reader_leaves_the_1904_date_system_to_calamine(tmp_path: Path) -> None:
    cells = '<row r="1"><c r="A1" s="1"><v>46091</v></c><c r="B1"><v>3</v></c></row>'
    assert _values_both_ways(_xlsx(tmp_path / "a.xlsx", cells))
    assert not _values_both_ways(_xlsx(tmp_path / "b.xlsx", cells, workbook_pr='<workbookPr date1904="1"/>'))


@st.composite
def value_rows(draw: st.DrawFn) -> str:
    """Rows of cells of every kind the reader meets, in any order, some rows long."""
    kinds = st.sampled_from([
        '><v>{n}</v>', ' s="{style}"><v>{n}</v>', ' t="s"><v>{string}</v>', ' t="inlineStr"><is><t>{text}</t></is>',
        ' t="str"><f>A1</f><v>{text}</v>', ' t="b"><v>{bit}</v>', ' t="e"><v>#N/A</v>', ' s="1"/>', '><f>B1</f><v></v>'])
    text = st.text(alphabet=st.sampled_from(list("aĐươ ,;1&")), max_size=6).map(
        lambda t: t.strip().replace("&", "&amp;"))
    out = []
    for row in sorted(draw(st.sets(st.integers(1, 40), max_size=8))):
        cells = []
        for col in sorted(draw(st.sets(st.sampled_from("ABCDEFGHZ"), max_size=6))):
            body = draw(kinds).format(n=draw(st.sampled_from(["1", "0.25", "-3", "46091", "1E2"])),
                                      style=draw(st.integers(0, 8)), string=draw(st.integers(0, 3)),
                                      text=draw(text), bit=draw(st.sampled_from("01")))
            cells.append(f'<c r="{col}{row}"{body}' + ("" if body.endswith("/>") else "</c>"))
        out.append(f'<row r="{row}">{"".join(cells)}</row>')
    return "".join(out)


@pytest.mark.parametrize("split_from", [None, 0])  # (0: every new row put together from its cells' answers)
@hypothesis_settings(max_examples=60, deadline=None)
@given(cells=value_rows())
def test_the_value_reader_gives_calamines_values_on_any_rows(tmp_path_factory: pytest.TempPathFactory,
                                                              split_from: int | None, cells: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        if split_from is not None:
            mp.setattr(rows, "SPLIT_FROM", split_from)
        _values_both_ways(_xlsx(tmp_path_factory.mktemp("v") / "v.xlsx", cells))


def test_the_value_reader_reads_returns_itself(tmp_path: Path, mini_set: CriteriaSet, communes: list[Commune],
                                               settings: Settings) -> None:
    """Returns as the importer meets them (XlsxWriter's blank, filled and saved by openpyxl, odd cells, a
    register) are read by the value reader itself, every sheet, with calamine's values."""
    c = Corpus(tmp_path / "in", tmp_path / "work", mini_set, communes, settings)
    c.valid(communes[0])
    c.valid(communes[1], name="co-tlkc.xlsx")
    _register(c.inbox / "co-tlkc.xlsx", mini_set.commune_leaves()[0].code)
    _odd_cells(c, mini_set, communes)
    from cchc_xl.reading import values

    for path in [c.blank(communes[2]), *sorted(c.inbox.glob("*.xlsx"))]:
        assert _values_both_ways(path), path.name
        assert values.whole_book(safety.inspect_container(path).parts) is not None, path.name  # calamine unopened


def test_the_switch_turns_the_value_reader_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cchc_xl.reading import values

    path = _xlsx(tmp_path / "v.xlsx", '<row r="1"><c r="A1"><v>5</v></c></row>')
    verdict = safety.inspect_container(path)
    monkeypatch.setenv(values.SWITCH, "0")
    assert not values.enabled()
    monkeypatch.setattr(values._Package, "sheet", lambda *_: pytest.fail("read while switched off"))
    assert values.sheet_values(book.open_calamine(path), verdict.parts) == {"S": [[5.0]]}


# -- a text's entities (book._xml_text: expat replaces many of them) --------------------------------------------
_TEXT_PIECES = ["Hướng dẫn", " ", "x", "&#7885;", "&#x1EA1;", "&amp;", "&lt;", "&quot;", "&apos;", "&gt;", "&#0000065;",
                "&#9;", "&#13;", "&#1;", "&#xD800;", "&#xFFFE;", "&#1114112;", "]]>", "\ufffe", "\u00a0", ">", "<b/>"]


def _xml_text_by_sub(raw: bytes) -> str:
    """`book._xml_text` as it was: every reference replaced by a Python call (the reference)."""
    if raw.count(b"&") != len(book._ENTITY.findall(raw)):
        raise book._Unusual("an entity XML does not define")
    return book._ENTITY.sub(book._entity, raw).decode("utf-8")


def _outcome(f: Any, raw: bytes) -> object:
    try:
        return f(raw)
    except (book._Unusual, UnicodeDecodeError) as exc:
        return type(exc)


@hypothesis_settings(max_examples=400, deadline=None)
@given(pieces=st.lists(st.sampled_from(_TEXT_PIECES), max_size=14), broken=st.booleans())
def test_a_texts_entities_read_as_one_at_a_time(pieces: list[str], broken: bool) -> None:
    """Any mix of text, references (allowed or not), `]]>`, markup, a literal U+FFFE and a broken UTF-8 byte: the
    text, or the refusal, of the one-reference-at-a-time reading."""
    raw = "".join(pieces).encode("utf-8") + (b"\xff" if broken else b"")
    assert _outcome(book._xml_text, raw) == _outcome(_xml_text_by_sub, raw)


def test_many_references_are_read_by_expat(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bytes] = []
    real = book._expat_text
    monkeypatch.setattr(book, "_expat_text", lambda raw: (calls.append(raw), real(raw))[1])
    assert book._xml_text(b"H&#431;&#7898;NG D&#7850;N &amp; x") == "HƯỚNG DẪN & x"
    assert book._xml_text(b"a &amp; b") == "a & b"  # (one reference: replaced the plain way)
    assert len(calls) == 1


# -- the value reader under other numberings of the styles and strings ---------------------------------------
def _renumbered(path: Path, dst: Path, styles: list[int], strings: list[int]) -> Path:
    """The workbook at `path` with its cell styles and shared strings numbered anew (old i at styles[i],
    strings[i]) in the sheet and in the styles and string parts alike: the same values, as a program that
    saved it again would write them."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = re.sub(r' s="(\d+)"', lambda m: f' s="{styles[int(m[1])]}"', sheet)
    sheet = re.sub(r' t="s"><v>(\d+)</v>', lambda m: f' t="s"><v>{strings[int(m[1])]}</v>', sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    xfs = re.findall(r"<xf [^>]*/>", _XFS)
    new_xfs = [""] * len(xfs)
    for old, new in enumerate(styles):
        new_xfs[new] = xfs[old]
    parts["xl/styles.xml"] = parts["xl/styles.xml"].replace(_XFS.encode(), "".join(new_xfs).encode())
    new_strings = [""] * len(_STRINGS)
    for old, new in enumerate(strings):
        new_strings[new] = _STRINGS[old]
    parts["xl/sharedStrings.xml"] = parts["xl/sharedStrings.xml"].replace(
        "".join(_STRINGS).encode(), "".join(new_strings).encode())
    with zipfile.ZipFile(dst, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return dst


@hypothesis_settings(max_examples=examples(40, 10), deadline=None)
@given(cells=value_rows(), turns=st.lists(st.integers(1, 7), min_size=2, max_size=2, unique=True))
def test_the_value_reader_gives_calamines_values_under_other_numberings(
        tmp_path_factory: pytest.TempPathFactory, cells: str, turns: list[int]) -> None:
    """A workbook, then the same workbook twice with its styles and shared strings numbered anew (every number
    another but the default style's): each read with calamine's values; the last one's rows that hold such
    numbers, and a shared string in the sheet, served by their numbered keys (kept from the second sighting)."""
    folder = tmp_path_factory.mktemp("n")
    first = _xlsx(folder / "a.xlsx", cells)
    # (style 0 stays: a cell without a style has it)
    renumbered = [_renumbered(first, folder / f"{i}.xlsx", [0, *(1 + (n + k) % 8 for n in range(8))],
                              [(n + k) % 8 for n in range(8)]) for i, k in enumerate(turns)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rows, "_ROW_FACTS", rows.ChunkMemo(rows._ROW_FACTS.answer))  # (no row from another test)
        served = _fresh_numbered(mp)
        for path in (first, *renumbered):
            _values_both_ways(path)
    data = sheet_part(cells)
    if rows._SHARED_MARK in data and (rows._STYLE_NUMBER.search(data) or rows._STRING_NUMBER.search(data)):
        assert served


def test_the_switch_turns_the_numbered_keys_off(monkeypatch: pytest.MonkeyPatch) -> None:
    row = b'<row r="2"><c r="A2" s="5" t="s"><v>1</v></c></row>'
    served = _fresh_numbered(monkeypatch)
    for _ in range(3):
        rows._numbered_facts(row.removeprefix(rows._CUT))
    assert served
    served.clear()
    monkeypatch.setenv("CCHC_XL_FAST_NUMBERED", "0")
    rows._numbered_facts(row.replace(b'"5"', b'"6"').removeprefix(rows._CUT))
    assert not served
