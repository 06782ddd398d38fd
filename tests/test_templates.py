"""The typed workbook templates (cchc_xl.templates): every bundled file validates against its model and
loses nothing; a malformed one is refused naming the file and the key; a sheet's columns are positioned by
their order in the YAML alone, so a column added there moves what follows in the generated workbook and in
what the importer reads back."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from cchc_xl import templates
from cchc_xl.communes import Commune
from cchc_xl.criteria import load_set
from cchc_xl.importing.discover import Candidate
from cchc_xl.importing.run import import_file
from cchc_xl.paths import bundled
from cchc_xl.settings import Settings
from cchc_xl.templates import MODELS, Columns, TemplateError, load, template
from cchc_xl.workbook.layout import REGISTER_FIELDS
from import_corpus import Corpus

DATA = Path(__file__).parent / "data"
RECEIVED = dt.datetime(2022, 11, 20, 9, 0, tzinfo=dt.UTC)


def raw(name: str) -> Any:
    return yaml.safe_load(bundled(f"workbook_templates/{name}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_bundled_template_loads_as_its_model_and_keeps_every_key(name: str) -> None:
    t = template(name)
    assert isinstance(t, MODELS[name])
    assert load(name, raw(name)).model_dump() == raw(name)  # nothing dropped or renamed


# template | column layout | last printed column | first column off the page (none: all printed)
PRINT_LIMITS = [
    ("commune", ("grid", "columns"), "status", "method"),
    ("appraisal", ("columns",), "reason", "status"),
    ("answer", ("columns",), "explanation", "status"),
    ("answer", ("register", "columns"), "files", "check"),
    ("validation", ("summary_columns",), "received", "feedback"),
    ("validation", ("finding_columns",), "file", "rule"),
    ("commune", ("register", "columns"), "check", None),
]


@pytest.mark.parametrize(("name", "path", "last", "off"), PRINT_LIMITS)
def test_a_layouts_printed_columns_end_where_its_template_says(name: str, path: tuple[str, ...], last: str,
                                                               off: str | None) -> None:
    columns: Any = template(name)
    for key in path:
        columns = columns[key]
    assert isinstance(columns, Columns)
    assert columns.last_printed.key == last
    printed = [c.key for c in columns.values() if c.printed]
    assert printed == list(columns)[: list(columns).index(last) + 1]
    if off is not None:
        assert not columns[off].printed


def test_columns_are_positioned_by_their_order() -> None:
    grid = template("commune").grid.columns
    assert list(grid)[:4] == ["code", "title", "max", "score"]
    assert [grid[k].index for k in ("code", "title", "max", "score")] == [0, 1, 2, 3]
    assert (grid["code"].letter, grid["score"].letter) == ("A", "D")
    assert grid.indices == {key: i for i, key in enumerate(grid)}
    assert grid.widths[1] == grid["title"].width and grid.headers[1] == grid["title"].header


def test_a_section_reads_as_the_dicts_did() -> None:
    t = template("commune")
    assert t["grid"]["title"] == t.grid.title and t["sheets"]["meta"] == "_meta"
    with pytest.raises(KeyError):
        t["no_such_key"]


# what is broken in a copy of the template | the key the message names
MALFORMED = [
    (lambda d: d["grid"].pop("title"), "grid.title"),
    (lambda d: d["grid"].update(titel="x"), "grid.titel"),
    (lambda d: d["register"]["columns"].update(code=["Mã tiêu chí", "rộng"]), "register.columns.code.width"),
    (lambda d: d["register"]["columns"].update(code=["Mã tiêu chí"]), "register.columns.code"),
    (lambda d: d["register"]["columns"].update(code=["Mã tiêu chí", 10, "code", 1]), "register.columns.code"),
    (lambda d: d["register"]["columns"].update(code=["Mã tiêu chí", 10, "số"]), "register.columns.code.kind"),
    (lambda d: d["grid"].update(print_through="ghi_chu"), "grid.print_through"),
    (lambda d: d["register"].update(first_row="năm"), "register.first_row"),
    (lambda d: d["register"].update(pending="Còn dòng cần bổ sung"), "register"),  # the count's {n} missing
    (lambda d: d["register"].update(pending="Còn {n} dòng {m}"), "register"),
]


MALFORMED_OTHERS = [
    ("validation", lambda d: d["evidence_widths"].update(pages_count=7), "evidence_widths"),
    ("appraisal", lambda d: d["round2_headers"].update(finding="x"), "round2_headers"),
]


@pytest.mark.parametrize(("name", "damage", "key"), [("commune", *case) for case in MALFORMED] + MALFORMED_OTHERS,
                         ids=[key for _, key in MALFORMED] + [key for _, _, key in MALFORMED_OTHERS])
def test_a_malformed_template_is_refused_naming_the_file_and_the_key(name: str, damage: Any, key: str) -> None:
    data = copy.deepcopy(raw(name))
    damage(data)
    with pytest.raises(TemplateError) as err:
        load(name, data)
    message = str(err.value)
    assert f"workbook_templates/{name}.yaml" in message and f"“{key}”" in message, message
    assert "Input should" not in message and "Field required" not in message  # pydantic's English stays out


def test_a_malformed_file_is_refused_when_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "workbook_templates" / "answer.yaml"
    broken.parent.mkdir()
    data = raw("answer")
    del data["columns"]["explanation"]  # the column `last_printed` names
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(templates, "bundled", lambda rel: tmp_path / rel)
    templates._raw.cache_clear()
    templates._template.cache_clear()
    try:
        with pytest.raises(TemplateError, match=r"workbook_templates/answer\.yaml.*“last_printed”"):
            template("answer")
    finally:
        monkeypatch.undo()
        templates._raw.cache_clear()
        templates._template.cache_clear()


# -- a column added to the grid ------------------------------------------------------------------------
NEW_COLUMN = ("unit", ["Đơn vị tính", 8])  # inserted after "title": every column from "max" on moves right


@pytest.fixture
def grid_with_a_new_column(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """commune.yaml as if a column were added to `grid.columns` after the title."""
    data = copy.deepcopy(raw("commune"))
    items = list(data["grid"]["columns"].items())
    items.insert(2, NEW_COLUMN)
    data["grid"]["columns"] = dict(items)
    original = templates._raw
    monkeypatch.setattr(templates, "_raw", lambda name: data if name == "commune" else original(name))
    templates._template.cache_clear()
    yield
    templates._template.cache_clear()  # the bundled template again for the tests that follow


def test_a_column_added_to_the_grid_moves_what_follows_in_the_workbook_and_the_import(
        grid_with_a_new_column: None, tmp_path: Path, communes: list[Commune], settings: Settings) -> None:
    cset = load_set(DATA / "mini-set.yaml")  # a set of its own: no layout made with the bundled template
    grid = template("commune").grid.columns
    assert grid["unit"].index == 2 and grid["max"].index == 3 and grid["score"].letter == "E"
    corpus = Corpus(tmp_path / "inbox", tmp_path / "work", cset, communes, settings)
    commune = communes[0]
    blank = corpus.blank(commune)
    ws = openpyxl.load_workbook(blank)[template("commune").sheets.grid]
    header_row = template("commune").grid.first_row - 1
    assert [c.value for c in ws[header_row]][: len(grid)] == grid.headers
    leaf = next(leaf for leaf in cset.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    row = next(r[0].row for r in ws.iter_rows(min_col=1, max_col=1) if r[0].value == leaf.code)
    assert ws.cell(row=row, column=grid["max"].index + 1).value == float(leaf.max)  # the locked maximum moved
    assert ws.cell(row=row, column=grid["unit"].index + 1).value is None

    accepted = corpus.valid(commune)
    too_high = corpus.valid(commune, name="too-high.xlsx", overrides={f"TDG_{leaf.name_key}": float(leaf.max) + 1})
    by_code = {c.code: c for c in communes}
    ok, bad = (import_file(Candidate(p, None), p.name, cset, settings, by_code, RECEIVED) for p in (accepted, too_high))
    assert ok.status == "accepted", [f.rule for f in ok.findings]
    assert ok.self_total is not None and ok.self_total > 0
    above = [f for f in bad.findings if f.rule == "score.above_max"]
    assert bad.status == "rejected" and above
    assert above[0].cell is not None and above[0].cell.endswith(f"!{grid['score'].letter}{row}")


@pytest.mark.parametrize("name", ["commune", "answer"])
def test_the_register_inputs_are_the_declared_register_fields(name: str) -> None:
    inputs = template(name).register.columns.inputs
    assert list(inputs) == list(REGISTER_FIELDS)  # the order a declared register row has
    assert (inputs["code"], inputs["date"], inputs["files"]) == ("code", "date", "text")
