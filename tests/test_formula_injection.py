"""User text that looks like a formula stays text in every workbook the tool writes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from cchc_xl.appraisal.round import prepare
from cchc_xl.importing.evidence import EvidenceStage
from cchc_xl.importing.outputs import write_outputs
from cchc_xl.importing.run import run_import
from cchc_xl.reports.ranking import write_ranking
from cchc_xl.store import Store
from cchc_xl.workbook.generate import generate_one
from import_corpus import fill

EVIL = "=HYPERLINK(\"http://x\",\"bấm\")+cmd|' /C calc'!A0"


def _string_cells(path: Path, text: str) -> list[tuple[str, str, str]]:
    """(sheet, cell, data_type) of every cell whose value contains `text`."""
    wb = openpyxl.load_workbook(path)
    found = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and text in cell.value:
                    found.append((ws.title, cell.coordinate, cell.data_type))
    return found


def _type_as_text(path: Path, prefix: str, text: str) -> None:
    """Put `text` into every named cell starting with `prefix` as a typed string (as Excel stores a text
    cell that begins with '=' when the officer types it with a leading apostrophe)."""
    wb = openpyxl.load_workbook(path)
    for name, dn in wb.defined_names.items():
        if name.startswith(prefix):
            ((sheet, ref),) = list(dn.destinations)
            cell = wb[sheet][ref.replace("$", "")]
            cell.value = text
            cell.data_type = "s"
    wb.save(path)


def test_explanation_starting_with_equals_is_text_everywhere(tmp_path: Path, mini_set, communes, settings) -> None:  # type: ignore[no-untyped-def]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # One valid return (it goes on to the appraisal), one with a score above its maximum (it gets feedback).
    for commune, overrides in ((communes[0], {}), (communes[1], {"TDG_1_2": 5})):
        wb = generate_one(mini_set, commune, tmp_path / "blank", settings)
        target = fill(wb, inbox / wb.name, mini_set, seed="x", overrides=overrides)
        _type_as_text(target, "GT_", EVIL)
    store = Store(tmp_path / "db.sqlite")
    run = run_import(inbox, mini_set, settings, communes, received_at=dt.datetime(2022, 10, 1, tzinfo=dt.UTC),
                     evidence_hook=EvidenceStage())
    outputs = write_outputs(run, tmp_path / "out", settings, store)
    written = prepare(store, mini_set, tmp_path / "td", settings).written
    ranking = write_ranking(tmp_path / "db.sqlite", mini_set, tmp_path / "xep-hang.xlsx", communes[:2], final={}).path
    store.close()
    workbooks = {"feedback": next(iter(outputs.feedback.values())), "appraisal": written[0], "ranking": ranking}
    for kind, path in workbooks.items():
        cells = _string_cells(path, "cmd|' /C calc'!A0")
        assert cells, f"{kind}: the explanation is not shown"
        assert all(data_type == "s" for *_, data_type in cells), f"{kind}: {cells}"
    # The validation workbook lists findings, whose messages never start a formula either.
    for sheet, _, data_type in _string_cells(outputs.validation, "="):
        assert data_type == "s", sheet
