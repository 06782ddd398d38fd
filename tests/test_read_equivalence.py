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

No timing here: speed is measured by benchmarks/bench_returns.py.
"""

from __future__ import annotations

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
from conftest import SAMPLE_COMMUNES
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


@hypothesis_settings(max_examples=150, deadline=None)
@given(cells=formula_cells(), validations=st.sampled_from(["", VALIDATIONS, '<dataValidations count="0"/>']))
def test_row_memo_gives_the_plain_scans(cells: str, validations: str) -> None:
    both_ways(sheet_part(cells, validations))


@pytest.mark.parametrize(("case", "cells"), [
    ("formulas", '<row r="1"><c r="A1"><f>SUM(B1:B3)&amp;"x&lt;y"</f><v>1</v></c></row>'
                 '<row r="2"><c r="B2" t="str"><f aca="false">"Chưa &#x0111;&#7911;"</f></c></row>'),
    ("shared formula across rows", '<row r="1"><c r="A1"><f t="shared" ref="A1:A3" si="0">B1*2</f></c></row>'
                                   '<row r="2"><c r="A2"><f t="shared" si="0"/></c></row>'),
    ("a row written twice", '<row r="1"><c r="A1"><f>1+1</f></c></row><row r="1"><c r="A1"><f>1+1</f></c></row>'),
    ("one cell twice", '<row r="1"><c r="A1"><f>1+1</f></c><c r="A1"><v>2</v></c></row>'),
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


def test_the_switch_turns_the_row_memo_off(monkeypatch: pytest.MonkeyPatch) -> None:
    data = sheet_part('<row r="1"><c r="A1"><f>1+1</f></c></row>')
    monkeypatch.setenv(rows.SWITCH, "0")
    assert not rows.enabled()
    monkeypatch.setattr(book, "_scan_sheet", lambda _data: "plain")
    assert rows.scan_sheet(data) == "plain"


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
    import datetime as dt

    import openpyxl

    wb = openpyxl.load_workbook(path)
    ((sheet, ref),) = list(wb.defined_names["TLKC"].destinations)
    first = int("".join(ch for ch in ref.split(":")[0] if ch.isdigit()))
    for i, values in enumerate([(code, "12/QĐ-UBND", dt.datetime(2022, 3, 4), "UBND xã", "Kế hoạch", "ke-hoach.pdf"),
                                ("9.9", "bad", "31/02/2022", "", "", "")]):
        for j, v in enumerate(values):
            wb[sheet].cell(row=first + i, column=j + 1, value=v)
    wb.save(path)


def test_an_import_with_the_row_memo_equals_the_plain_one(tmp_path: Path, mini_set: CriteriaSet,
                                                          communes: list[Commune], settings: Settings) -> None:
    inbox = _corpus(tmp_path, mini_set, communes, settings)
    plain, fast = tmp_path / "plain", tmp_path / "fast"
    _run(inbox, plain, fast=False)
    _run(inbox, fast, fast=True)
    report = (plain / "import-report.json").read_bytes()
    assert (fast / "import-report.json").read_bytes() == report
    text = report.decode("utf-8")
    for rule in ("score.above_max", "file.zip_bomb", "file.xml_entity", "file.encrypted", "file.corrupt",
                 "file.foreign", "tamper.max_changed", "tamper.formula_replaced", "register.unknown_code",
                 "submission.duplicate"):
        assert rule in text, rule
    assert dump(fast / "s.sqlite") == dump(plain / "s.sqlite")
    feedback = sorted(p.name for p in (plain / TV["feedback_dir"]).iterdir())
    assert feedback and sorted(p.name for p in (fast / TV["feedback_dir"]).iterdir()) == feedback
    for name in feedback:
        a, b = read_back(plain / TV["feedback_dir"] / name), read_back(fast / TV["feedback_dir"] / name)
        assert {k: v for k, v in a.items() if not k.startswith(META)} == \
            {k: v for k, v in b.items() if not k.startswith(META)}, name


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
