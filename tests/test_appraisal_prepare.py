"""`appraise prepare` for a whole round: the run's memo (`LayoutMemo`) and package (`CouncilPackage`, both
sets, odd texts and links, what it cannot take) give the plain path's workbooks part for part; with
`--jobs 2` the workbooks are the one-process run's (part for part, read back) and the store is left as it
was; a workbook that cannot be written, a worker that dies and Ctrl-C are told in Vietnamese, and leave no
half-written file."""

from __future__ import annotations

import datetime as dt
import errno
import os
import pickle
import shutil
import sqlite3
import zipfile
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from cchc_xl.appraisal import package as package_module
from cchc_xl.appraisal import round as round_module
from cchc_xl.appraisal.round import CouncilJob, CouncilWorkbookMaker
from cchc_xl.appraisal.scores import AppraisalInputs
from cchc_xl.appraisal.workbook import (
    AppraisalLayout,
    AppraisalWorkbookWriter,
    LayoutMemo,
    SubmissionView,
    appraisal_file_name,
    build_appraisal_layout,
)
from cchc_xl.cli import cli
from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.identity import RoundIdentity
from cchc_xl.messages import say
from cchc_xl.safeio import atomic_path
from cchc_xl.samplegen.pdfs import text_pdf
from cchc_xl.settings import Settings
from cchc_xl.store import Store, StoredSubmission
from cchc_xl.templates import template
from cchc_xl.workbook.formula_memo import SWITCH as FAST_FORMULAS
from cchc_xl.workbook.template_cache import SWITCH as FAST_LAYOUT
from cchc_xl.workbook.writer import PackageMismatch
from cchc_xl.workspace import open_workspace
from conftest import MakeRound
from import_corpus import Corpus
from test_feedback_package import read_back
from test_import_kill import dump
from test_perf_equivalence import assert_same_parts
from workbook_fill import cite_document

AT = dt.datetime(2022, 10, 20, 9, 0, tzinfo=dt.UTC)
UNITS = [Commune(code="03898", name="Phiêng Ban", kind="xã"), Commune(code="03901", name="Đá Đỏ", kind="thị trấn")]
IDENTITY = RoundIdentity.of("UBND huyện Bắc Yên", "Bắc Yên", UNITS)


def _view(cset: CriteriaSet, seed: int) -> SubmissionView:
    """A return as the store gives it: every item scored (some 0), figures, an explanation, evidence with a
    link, a finding — each commune's different."""
    leaves = cset.commune_leaves()
    return SubmissionView(
        id=seed, sha256=f"{seed:064x}", file_name=f"hop-thu/{seed}.xlsx",
        scores={leaf.code: leaf.max if (i + seed) % 3 else Decimal(0) for i, leaf in enumerate(leaves)},
        figures={leaf.code: [str(10 + seed), ""][: len(leaf.rule.figures())] for leaf in leaves
                 if leaf.rule is not None and leaf.rule.computed},
        explanations={leaves[seed % len(leaves)].code: f"Đã thực hiện, hồ sơ số {seed} lưu tại văn phòng"},
        evidence={leaves[0].code: [f"{seed}/KH-UBND (04/03/2022): kh-{seed}.pdf"]},
        evidence_links={leaves[0].code: f"/hop-thu/{seed}/kh-{seed}.pdf"},
        findings={leaves[1].code: ["Điểm tự đánh giá chưa có tài liệu kiểm chứng."] * (1 + seed % 2)})


def _layout(cset: CriteriaSet, unit: Commune, view: SubmissionView, memo: LayoutMemo | None) -> AppraisalLayout:
    prefill = AppraisalInputs(scores={leaf.code: view.scores.get(leaf.code) for leaf in cset.commune_leaves()})
    return build_appraisal_layout(cset, unit, view, prefill, identity=IDENTITY, memo=memo)


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_the_runs_memo_builds_and_writes_the_plain_workbooks(bundled_set: CriteriaSet, settings: Settings,
                                                             tmp_path: Path) -> None:
    """Two communes through one memo (the second served from it) and each alone: equal layouts, and the
    written workbooks equal part for part (values, formulas, styles, protection, names, metadata)."""
    memo = LayoutMemo(bundled_set, IDENTITY)
    for seed, unit in enumerate(UNITS, start=1):
        view = _view(bundled_set, seed)
        fast, plain = _layout(bundled_set, unit, view, memo), _layout(bundled_set, unit, view, None)
        assert memo.rows  # the memo was used
        assert fast == plain
        a = tmp_path / "memo" / f"{seed}.xlsx"
        b = tmp_path / "plain" / f"{seed}.xlsx"
        for lay, path, m in ((fast, a, memo), (plain, b, None)):
            path.parent.mkdir(exist_ok=True)
            AppraisalWorkbookWriter(lay, settings, AT, memo=m).write(path)
        assert_same_parts(a, b)  # (the document dates aside: made at this second or the next)


def test_a_memo_of_another_set_or_body_is_not_used(bundled_set: CriteriaSet, mini_set: CriteriaSet,
                                                   settings: Settings, tmp_path: Path) -> None:
    view = _view(mini_set, 1)
    plain = _layout(mini_set, UNITS[0], view, None)
    for memo in (LayoutMemo(bundled_set, IDENTITY), LayoutMemo(mini_set, RoundIdentity.of("UBND huyện Mường La",
                                                                                           "Mường La", UNITS))):
        assert _layout(mini_set, UNITS[0], view, memo) == plain
        assert not memo.rows
        AppraisalWorkbookWriter(plain, settings, AT, memo=memo).write(tmp_path / "a.xlsx")
        AppraisalWorkbookWriter(plain, settings, AT).write(tmp_path / "b.xlsx")
        assert_same_parts(tmp_path / "a.xlsx", tmp_path / "b.xlsx")  # the set's own fingerprint signed


# -- `appraise prepare --jobs N` through the command ----------------------------------------------------
def _parts_but_time(path: Path) -> dict[str, bytes]:
    """The workbook's parts but the two that hold the time it was made (the metadata's strings, which also
    hold the HMAC over it, and the document properties): those are compared read back."""
    return {k: v for k, v in _parts(path).items() if k not in ("xl/sharedStrings.xml", "docProps/core.xml")}


def _read_back_but_meta(path: Path) -> dict[str, Any]:
    meta = template("appraisal")["sheets"]["meta"] + ":"
    return {k: v for k, v in read_back(path).items() if not k.startswith(meta)}


@pytest.fixture
def imported(make_round: MakeRound, mini_set: CriteriaSet, communes: list[Commune], settings: Settings,
             tmp_path: Path) -> Path:
    """A round (mini set) with five returns imported, each with an evidence folder and a document cited in its
    register: four accepted (with warnings), one rejected (its score above the maximum)."""
    folder = make_round()
    c = Corpus(tmp_path / "inbox", tmp_path / "work", mini_set, communes, settings)
    manual = next(leaf for leaf in mini_set.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    first = mini_set.commune_leaves()[0].code
    for i, commune in enumerate(communes[:5]):
        book = c.valid(commune, overrides={f"TDG_{manual.name_key}": 99} if i == 3 else None,
                       **({"explanation": "Có hồ sơ lưu tại bộ phận một cửa."} if i == 2 else {}))
        cite_document(book, first, "ke-hoach.pdf")  # the council's workbook links to it
        (c.inbox / book.stem).mkdir()
        (c.inbox / book.stem / "ke-hoach.pdf").write_bytes(text_pdf(seed=i))
    result = CliRunner().invoke(cli, ["import", str(c.inbox), "--out", str(tmp_path / "nhan"), "--jobs", "1"])
    assert result.exit_code == 1, result.output  # one rejected
    return folder


def _prepare(out: Path, jobs: int) -> Result:
    return CliRunner().invoke(cli, ["appraise", "prepare", "--out", str(out), "--jobs", str(jobs)])


def test_two_workers_write_the_one_process_and_the_plain_workbooks_and_leave_the_store(
        imported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--jobs 2`, `--jobs 1` and the plain path (no run memo, no formula memo, no package) write the same
    workbooks."""
    store = imported / "cchc.sqlite"
    before = dump(store)
    one, two = _prepare(tmp_path / "one", 1), _prepare(tmp_path / "two", 2)
    with monkeypatch.context() as m:
        m.setenv(FAST_LAYOUT, "0")
        m.setenv(FAST_FORMULAS, "0")
        m.setenv(package_module.SWITCH, "0")
        plain = _prepare(tmp_path / "plain", 2)
    assert one.exit_code == two.exit_code == plain.exit_code == 0, (one.output, two.output, plain.output)
    assert two.output == one.output.replace(str(tmp_path / "one"), str(tmp_path / "two"))
    assert "03" in one.output  # the rejected commune named as skipped
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert len(names) == 4  # and no temporary file
    for other in ("two", "plain"):
        assert sorted(p.name for p in (tmp_path / other).iterdir()) == names
        for name in names:
            a, b = tmp_path / "one" / name, tmp_path / other / name
            assert _parts_but_time(b) == _parts_but_time(a), (other, name)
            assert _read_back_but_meta(b) == _read_back_but_meta(a), (other, name)
    assert dump(store) == before  # prepare records nothing


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_workbook_that_cannot_be_written_stops_no_other(imported: Path, tmp_path: Path, jobs: int) -> None:
    first = _prepare(tmp_path / "td", 1)
    assert first.exit_code == 0
    written = sorted((tmp_path / "td").iterdir())
    blocked = written[1]
    blocked.unlink()
    blocked.mkdir()  # a folder where the workbook goes: it cannot be replaced
    for p in written:
        if p != blocked:
            p.unlink()
    result = _prepare(tmp_path / "td", jobs)
    assert result.exit_code == 1
    code = blocked.name.split("-")[0]
    assert say("cli.appraise_failed", code=code, why=say("file.detail.errno", errno=errno.EISDIR,
                                                            name="EISDIR")) in result.output
    assert "Traceback" not in result.output
    assert sorted(p for p in (tmp_path / "td").iterdir() if p != blocked) == [p for p in written if p != blocked]
    assert blocked.is_dir() and not any(blocked.iterdir())


def test_a_stored_return_this_version_cannot_read_stops_no_other(imported: Path, tmp_path: Path) -> None:
    """A return's row edited by hand in the store (its declared values no longer a record): that commune is
    named, the others' workbooks are written, exit 1, no traceback."""
    second = _second_code(imported)
    con = sqlite3.connect(imported / "cchc.sqlite")
    with con:
        con.execute("UPDATE submissions SET scores_json='{\"x\": [1' WHERE commune_code=?", (second,))
    con.close()
    result = _prepare(tmp_path / "td", 1)
    assert result.exit_code == 1, result.output
    assert say("cli.appraise_failed", code=second, why=say("file.detail.kind", kind="JSONDecodeError")) \
        in result.output
    assert "Traceback" not in result.output
    written = sorted(p.name.split("-")[0] for p in (tmp_path / "td").iterdir())
    assert second not in written and len(written) == 3  # four accepted, one of them unreadable



def test_a_return_withdrawn_while_the_workbooks_are_made_stops_no_other(imported: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A return withdrawn by another command after `prepare` listed the round (its row read back as none):
    that commune is named with why, in Vietnamese, the others' workbooks are written, exit 1."""
    second = _second_code(imported)
    real = Store.submission

    def submission(self: Store, submission_id: int) -> StoredSubmission | None:
        sub = real(self, submission_id)
        return None if sub is not None and sub.commune_code == second else sub

    monkeypatch.setattr(Store, "submission", submission)
    result = _prepare(tmp_path / "td", 1)
    assert result.exit_code == 1, result.output
    assert say("cli.appraise_failed", code=second, why=say("appraise.submission_gone")) in result.output
    assert "Traceback" not in result.output and "LookupError" not in result.output
    written = sorted(p.name.split("-")[0] for p in (tmp_path / "td").iterdir())
    assert second not in written and len(written) == 3

def test_a_dead_worker_is_told_and_leaves_no_half_file(imported: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    make, second = CouncilWorkbookMaker.__call__, _second_code(imported)

    def dies_on_the_second(self: CouncilWorkbookMaker, job: CouncilJob) -> CouncilJob:
        if job.code == second:
            with atomic_path(job.path) as tmp:
                tmp.write_bytes(b"PK half")
                os._exit(3)  # killed mid-write
        return make(self, job)

    monkeypatch.setattr(CouncilWorkbookMaker, "__call__", dies_on_the_second)  # forked into the workers
    result = _prepare(tmp_path / "td", 2)
    assert result.exit_code == 1
    assert say("appraise.worker_died", dir=tmp_path / "td") in result.output
    assert "Traceback" not in result.output
    for p in (tmp_path / "td").iterdir():  # whatever was written is whole; the dead worker's file is gone
        assert not p.name.startswith(".") and p.name.endswith(".xlsx")
        openpyxl.load_workbook(p)


def _second_code(folder: Path) -> str:
    """The second accepted commune of the round (the store's order)."""
    store = open_workspace(folder).open_store()
    try:
        return [s.commune_code for s in store.all_latest() if s.status != "rejected"][1]
    finally:
        store.close()


@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_is_told_in_vietnamese_and_keeps_whole_workbooks(imported: Path, tmp_path: Path, jobs: int,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    read = round_module.submission_view
    seen: list[int] = []

    def interrupted_at_the_third(store: Store, sub: StoredSubmission) -> SubmissionView:
        seen.append(sub.id)
        if len(seen) == 3:
            raise KeyboardInterrupt
        return read(store, sub)

    monkeypatch.setattr(round_module, "submission_view", interrupted_at_the_third)  # the reading process's
    result = _prepare(tmp_path / "td", jobs)
    assert result.exit_code == 130
    assert say("appraise.interrupted", dir=tmp_path / "td") in result.output and say("cli.interrupted") in result.output
    assert "Traceback" not in result.output
    kept = sorted((tmp_path / "td").iterdir())
    assert 1 <= len(kept) <= 2
    for p in kept:
        assert not p.name.startswith(".")
        openpyxl.load_workbook(p)


def test_the_workbook_maker_travels_to_a_spawned_worker(bundled_set: CriteriaSet, settings: Settings,
                                                        tmp_path: Path) -> None:
    """Where there is no fork (Windows), the pool hands each worker the maker pickled: it must arrive whole
    (the memo's digest keys left behind) and write the same workbook."""
    maker = CouncilWorkbookMaker(bundled_set, settings, IDENTITY, AT, LayoutMemo(bundled_set, IDENTITY))
    job = CouncilJob(UNITS[0].code, tmp_path / "a.xlsx", UNITS[0], _view(bundled_set, 1))
    assert maker(job) == replace(job, commune=None, view=None)
    assert maker(replace(job, path=tmp_path / "c.xlsx")).why == ""  # (its digest by the memo's keys)
    travelled = pickle.loads(pickle.dumps(maker))
    assert travelled.cset == bundled_set and travelled.memo.rows == maker.memo.rows
    # (the digest's keys are by the ids of the sending process's objects: the worker makes its own)
    assert maker.memo._keyed and not travelled.memo._keyed and not travelled.memo._keyed_alive
    assert travelled(replace(job, path=tmp_path / "b.xlsx")).why == ""
    assert_same_parts(tmp_path / "b.xlsx", tmp_path / "a.xlsx")


# -- the run's package (`appraisal/package.py`): the plain writer's parts ------------------------------------
ODD_UNITS = [Commune(code="03902", name='Đồng "Tâm" & <Xuân>', kind="phường"),
             Commune(code="03903", name="  Khoảng trắng  ", kind="xã"),
             Commune(code="xã", name="Xã", kind="xã")]  # texts that equal other texts of the workbook


def _views(cset: CriteriaSet) -> list[SubmissionView]:
    """Returns as different as the store gives them: the usual ones; one with no link and no finding; one
    whose first link is further down (another order of the formats); odd texts (escapes, control characters,
    spaces, a text equal to an item's title, a link's text over 255 characters); blank and fractional scores."""
    leaves = cset.commune_leaves()
    usual = [_view(cset, seed) for seed in (1, 2, 3)]
    bare = replace(usual[0], id=20, evidence={}, evidence_links={}, findings={}, explanations={})
    later = replace(usual[1], id=21, evidence={leaves[-1].code: ["1/QĐ (01/01/2022): a.pdf"]},
                    evidence_links={leaves[-1].code: "/hop-thu/21/a b.pdf"})
    odd = replace(usual[2], id=22,
                  scores={**usual[2].scores, leaves[0].code: None, leaves[1].code: Decimal("0.25")},
                  explanations={leaves[0].code: '  <Đã> & "xong"\x01\ttab  ', leaves[1].code: leaves[2].title},
                  evidence={leaves[0].code: ["Văn bản rất dài " * 30], leaves[2].code: [leaves[0].title]},
                  evidence_links={leaves[0].code: "/hop-thu/22/dài & <lạ>.pdf", leaves[2].code: "/hop-thu/22/hồ sơ/x.pdf"},
                  findings={leaves[0].code: ["_x0041_ giữ nguyên", "Dòng\nmới"]})
    return [*usual, bare, later, odd]


def _write_all(cset: CriteriaSet, settings: Settings, out: Path, fast: bool,
               jobs: list[tuple[Commune, SubmissionView]]) -> tuple[list[Path], CouncilWorkbookMaker]:
    out.mkdir(parents=True)
    # the plain way: no run memo either (each layout and digest made alone)
    maker = CouncilWorkbookMaker(cset, settings, IDENTITY, AT, LayoutMemo(cset, IDENTITY) if fast else None, fast)
    paths = []
    for i, (unit, view) in enumerate(jobs):
        job = CouncilJob(unit.code, out / f"{i}-{appraisal_file_name(unit)}", unit, view)
        assert maker(job).why == ""
        paths.append(job.path)
    return paths, maker


def _council_jobs(cset: CriteriaSet) -> list[tuple[Commune, SubmissionView]]:
    units = [*UNITS, *ODD_UNITS]
    return [(units[i % len(units)], view) for i, view in enumerate([*_views(cset), *_views(cset)])]


@pytest.mark.parametrize("which", ["bundled", "mini"])
def test_the_package_writes_the_plain_writers_parts(which: str, bundled_set: CriteriaSet, mini_set: CriteriaSet,
                                                    settings: Settings, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Twelve council workbooks through the run's package and through the plain writer alone: the same
    parts, byte for byte (the document dates aside), so the same values, formulas, styles, validations,
    names, links, protection, row heights, page breaks and metadata; and most of them made by the package,
    not rendered by XlsxWriter."""
    cset = bundled_set if which == "bundled" else mini_set
    jobs = _council_jobs(cset)
    renders = []
    render = AppraisalWorkbookWriter.render

    def counted(self: AppraisalWorkbookWriter, *args: Any) -> Any:
        renders.append(self.lay.commune.code)
        return render(self, *args)

    monkeypatch.setattr(AppraisalWorkbookWriter, "render", counted)
    fast, maker = _write_all(cset, settings, tmp_path / "fast", True, jobs)
    made_fast = len(renders)
    plain, _ = _write_all(cset, settings, tmp_path / "plain", False, jobs)
    assert len(renders) - made_fast == len(jobs)  # the plain path renders every workbook
    # the package: one render per order of the formats (the first link early, later, none), each a base
    assert maker._package is not None
    bases = maker._package.bases
    assert made_fast == len(bases) <= 3 < len(jobs) and None not in bases.values()
    for a, b in zip(fast, plain, strict=True):
        assert_same_parts(a, b)
    assert _read_back_but_meta(fast[-1]) == _read_back_but_meta(plain[-1])
    with zipfile.ZipFile(fast[5]) as z:  # the odd one: its links, escaped, and a link's text cut at 255
        rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        assert "dài%20&amp;%20%3clạ%3e.pdf" in rels and "hồ%20sơ" in rels


@pytest.mark.parametrize("case", ["long text", "link anchor", "switch"])
def test_what_the_package_cannot_take_is_written_the_plain_way(case: str, mini_set: CriteriaSet,
                                                               settings: Settings, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A text XlsxWriter would cut, a link with an anchor and `CCHC_XL_FAST_COUNCIL=0` take the plain
    writer: the same files as the plain path's."""
    leaves = mini_set.commune_leaves()
    views = _views(mini_set)
    if case == "long text":
        views.append(replace(views[0], id=30, explanations={leaves[0].code: "Rất dài " * 5000}))
    elif case == "link anchor":
        views.append(replace(views[0], id=30, evidence_links={leaves[0].code: "/hop-thu/30/a.pdf#trang=2"}))
    else:
        monkeypatch.setenv(package_module.SWITCH, "0")
    jobs = [(UNITS[0], view) for view in views]
    mismatches = []
    write = package_module.CouncilPackage.write

    def told(self: package_module.CouncilPackage, lay: AppraisalLayout, path: Path) -> Any:
        try:
            return write(self, lay, path)
        except PackageMismatch as exc:
            assert not path.exists()  # nothing written before the plain writer writes it
            mismatches.append(str(exc))
            raise

    monkeypatch.setattr(package_module.CouncilPackage, "write", told)
    fast, _ = _write_all(mini_set, settings, tmp_path / "fast", package_module.enabled(), jobs)
    plain, _ = _write_all(mini_set, settings, tmp_path / "plain", False, jobs)
    for a, b in zip(fast, plain, strict=True):
        assert_same_parts(a, b)
    assert len(mismatches) == (0 if case == "switch" else 1)


@pytest.mark.libreoffice
def test_a_patched_workbook_recalculates_as_the_plain_one_in_libreoffice(bundled_set: CriteriaSet,
                                                                         settings: Settings, tmp_path: Path) -> None:
    """LibreOffice recalculates a workbook the package patched (not its base) and the plain writer's: every
    cell of the main sheet the same, the total the layout's."""
    from python_calamine import CalamineWorkbook

    from cchc_xl.office import convert
    from cchc_xl.reading.book import read_book

    jobs = _council_jobs(bundled_set)[:6]
    fast = _write_all(bundled_set, settings, tmp_path / "fast", True, jobs)[0][-1]  # (the odd one: patched)
    plain = _write_all(bundled_set, settings, tmp_path / "plain", False, jobs)[0][-1]
    sheet = template("appraisal", IDENTITY)["sheets"]["sheet"]
    recalculated = [convert([p], "xlsx", tmp_path / f"lo-{p.parent.name}")[0] for p in (fast, plain)]
    values = [CalamineWorkbook.from_path(str(p)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
              for p in recalculated]
    assert values[0] == values[1]
    unit, view = jobs[-1]
    lay = _layout(bundled_set, unit, view, None)
    _, row, col = read_book(recalculated[0], "xlsx").names["TONG_TD"]
    assert lay.result is not None and Decimal(repr(values[0][row][col])) == lay.result.total


def test_appraise_import_with_the_run_memo_finds_what_the_plain_layouts_find(
        imported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`appraise import` builds each file's layout with the run's memo: the same findings and results as
    with every layout built alone (`CCHC_XL_FAST_LAYOUT=0`), on the prepared workbooks, one of them with a
    locked cell changed (a tamper finding both ways)."""
    assert _prepare(tmp_path / "td", 1).exit_code == 0
    tampered = sorted((tmp_path / "td").iterdir())[1]
    book = openpyxl.load_workbook(tampered)
    book.worksheets[0]["B15"] = "đã sửa"
    book.save(tampered)
    outcomes = {}
    for memo in ("1", "0"):
        monkeypatch.setenv(FAST_LAYOUT, memo)
        copy = tmp_path / f"dot-{memo}"
        shutil.copytree(imported, copy)
        ws = open_workspace(copy)
        store = ws.open_store()
        try:
            found = round_module.import_appraisals(store, ws.cset, tmp_path / "td", ws.settings, AT)
        finally:
            store.close()
        outcomes[memo] = [(o.file, o.commune_code, [f.model_dump() for f in o.findings], o.result, o.recorded)
                          for o in found]
    assert outcomes["1"] == outcomes["0"]
    assert "tamper.text_changed" in [f["rule"] for f in outcomes["1"][1][2]]
    assert all(o[4] for o in outcomes["1"])  # each recorded (in its own copy of the store)


# -- each commune's own texts and links (the realistic corpus): the memo's digest, fit and cells, the package ---
def _own_views(cset: CriteriaSet, count: int) -> list[SubmissionView]:
    """Returns whose texts are each commune's own, as real ones are: its documents (numbers, dates, files; one
    document cited for several items, one cited by every commune), its explanations in its own words (several
    paragraphs, a blank one, a word longer than a line, characters JSON and XML escape), its figures and its
    links; scores whose values are equal but not alike (0 and -0, 1 and 1.0)."""
    leaves = cset.commune_leaves()
    views = []
    for k in range(count):
        own = [f"{k}{j}/KH-UBND ({(k + j) % 28 + 1:02}/{j % 12 + 1:02}/2022): tai-lieu-{k}-{j}.pdf"
               for j in range(2 + k % 4)]
        shared = "1/QĐ-UBND (01/01/2022): chung.pdf"
        odd = 'Văn bản "gốc" \\ số 5/2022\ttab 𝔸 \u2028 </t> & <r>'
        evidence: dict[str, list[str]] = {}
        links: dict[str, str] = {}
        for i, leaf in enumerate(leaves):
            if (i + k) % 3 == 0:
                evidence[leaf.code] = [own[i % len(own)], *([shared] if i % 2 else []), *([odd] if i == k % 5 else [])]
                links[leaf.code] = f"/hop-thu/{k}/hồ sơ {k}/tai-lieu-{k}-{i % len(own)}.pdf"
        explanations = {leaves[(k + 1) % len(leaves)].code:
                        f"Đã thực hiện theo văn bản số {k}/KH-UBND ngày {k % 28 + 1:02}/10/2022;\nhồ sơ lưu tại công"
                        f" chức tư pháp - hộ tịch.\n\n{'x' * (40 + 60 * (k % 3))}",
                        leaves[(k + 2) % len(leaves)].code: own[0]}
        scores: dict[str, Decimal | None] = {}
        for i, leaf in enumerate(leaves):
            scores[leaf.code] = [leaf.max, Decimal(0), Decimal("-0"), Decimal("1"), Decimal("1.0"),
                                 Decimal("0.5"), None][(i + k) % 7]
        figures = {leaf.code: [str((k * 7 + i) % 50 + 1), "" if k % 4 == 1 else str(60 + k), "không rõ"][
                   : len(leaf.rule.figures())]
                   for i, leaf in enumerate(leaves) if leaf.rule is not None and leaf.rule.computed}
        findings = {leaves[(k + 3) % len(leaves)].code: [f"Tài liệu {own[-1]} chưa có trong thư mục kèm theo.",
                                                         "Điểm tự đánh giá chưa có tài liệu kiểm chứng."]}
        views.append(SubmissionView(id=100 + k, sha256=f"{100 + k:064x}", file_name=f"hop-thu/{k}-xa.xlsx",
                                    scores=scores, figures=figures, explanations=explanations, evidence=evidence,
                                    evidence_links=links, findings=findings))
    return views


@pytest.mark.parametrize("which", ["bundled", "mini"])
def test_communes_own_texts_and_links_through_the_memo_and_the_package(which: str, bundled_set: CriteriaSet,
                                                                       mini_set: CriteriaSet, settings: Settings,
                                                                       tmp_path: Path) -> None:
    """Nine communes each with its own texts and links, through one run memo: each layout equal to the one
    built alone (cells, row heights counted paragraph by paragraph, names, links), the memo's manifest and
    digest those of `locked_manifest`, and the package's workbooks the plain writer's, part for part."""
    from cchc_xl.workbook.layout import locked_manifest, manifest_digest

    cset = bundled_set if which == "bundled" else mini_set
    views = _own_views(cset, 9)
    units = [*UNITS, *ODD_UNITS]
    memo = LayoutMemo(cset, IDENTITY)
    for k, view in enumerate(views):
        unit = units[k % len(units)]
        fast, plain = _layout(cset, unit, view, memo), _layout(cset, unit, view, None)
        assert fast == plain
        assert fast.row_heights == plain.row_heights and fast.links == plain.links
        manifest = locked_manifest(plain.sheets, plain.cells, plain.validations)
        assert memo.manifest(fast) == manifest
        assert memo.digest(fast) == manifest_digest(manifest) == plain.digest()
    assert memo.lines and memo.cells  # (the memo's paragraphs and cells were used)
    jobs = [(units[k % len(units)], view) for k, view in enumerate(views)]
    fast_paths, maker = _write_all(cset, settings, tmp_path / "fast", True, jobs)
    plain_paths, _ = _write_all(cset, settings, tmp_path / "plain", False, jobs)
    assert maker._package is not None and None not in maker._package.bases.values()
    assert len(maker._package.bases) < len(jobs)  # (most made by the package, not rendered)
    for a, b in zip(fast_paths, plain_paths, strict=True):
        assert_same_parts(a, b)
    assert _read_back_but_meta(fast_paths[-1]) == _read_back_but_meta(plain_paths[-1])


def test_a_plain_shared_string_is_xlsxwriters() -> None:
    """The package's <si> for a text without control characters, escape-like runs, spaces at its ends or a
    rich-text start is the one XlsxWriter writes; any other text is XlsxWriter's own (every mix of such pieces
    up to six long)."""
    import random

    from cchc_xl.workbook.writer import _si

    pieces = ["a", "đ", " ", "\n", "\t", "\r", "\x01", "\x0b", "\x0c", "\x1f", "\x7f", "\u00a0", "\u2028", "\u3000",
              "_x0041_", "_x00G1_", "_x", "<r>", "</r>", "&", "<", ">", '"', "\ufffe", "\uffff", "𝔸"]
    rng = random.Random(16)
    texts = ["", *pieces, *("".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))) for _ in range(20000))]
    for text in texts:
        assert package_module._plain_si(text) == _si(text), repr(text)


@pytest.mark.parametrize("which", ["bundled", "mini"])
def test_the_memos_digest_by_ranks_is_the_manifests(which: str, bundled_set: CriteriaSet, mini_set: CriteriaSet) -> None:
    """The memo's digest in the order of its places' ranks (`LayoutMemo._ranked_digest`) is the digest of
    `locked_manifest` for communes with their own texts; it gives way (None, the digest still the manifest's)
    to the sort by texts on doubt: the first layouts (places not ranked yet), a layout with a place beyond those
    ranked, two items of one kind at one place; and it is taken again after each."""
    from cchc_xl.workbook.layout import CellSpec, locked_manifest, manifest_digest

    cset = bundled_set if which == "bundled" else mini_set
    units = [*UNITS, *ODD_UNITS]
    memo = LayoutMemo(cset, IDENTITY)

    def check(lay: AppraisalLayout) -> str | None:
        ranked = memo._ranked_digest(lay)
        expected = manifest_digest(locked_manifest(lay.sheets, lay.cells, lay.validations))
        assert memo.digest(lay) == expected
        assert ranked in (None, expected)
        return ranked

    lays = [_layout(cset, units[k % len(units)], view, memo) for k, view in enumerate([*_own_views(cset, 9),
                                                                                      *_views(cset)])]
    assert check(lays[0]) is None  # (nothing ranked yet: the ranks are made)
    assert all(check(lay) is not None for lay in lays)
    last = lays[-1]
    far = replace(last, cells=[*last.cells, CellSpec("sheet", 900, 40, value="xa")])  # (a place never met)
    assert check(far) is None and check(far) is not None
    cell = next(c for c in last.cells if c.locked and c.value not in (None, "") and c.formula is None)
    twice = replace(last, cells=[*last.cells, replace(cell, value=f"{cell.value} khác")])  # (one place, two texts)
    assert check(twice) is None and check(twice) is None
    assert all(check(lay) is not None for lay in lays)


def test_a_link_over_a_cell_without_text_is_the_plain_writers(mini_set: CriteriaSet, settings: Settings,
                                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A link on an item whose evidence cell holds no text (its register row gone, its link kept): the
    package finds the link's text from every cell, not from the strings, and writes the plain writer's parts
    (itself: no workbook given to the plain writer)."""
    leaves = mini_set.commune_leaves()
    views = _views(mini_set)
    views += [replace(view, id=40 + i, evidence={}, evidence_links={leaves[1].code: f"/hop-thu/{i}/b.pdf"})
              for i, view in enumerate(views[:3])]
    jobs = [(UNITS[i % 2], view) for i, view in enumerate(views)]
    write, mismatches = package_module.CouncilPackage.write, []

    def told(self: package_module.CouncilPackage, lay: AppraisalLayout, path: Path) -> Any:
        try:
            return write(self, lay, path)
        except PackageMismatch as exc:
            mismatches.append(str(exc))
            raise

    monkeypatch.setattr(package_module.CouncilPackage, "write", told)
    fast, maker = _write_all(mini_set, settings, tmp_path / "fast", True, jobs)
    assert not mismatches
    plain, _ = _write_all(mini_set, settings, tmp_path / "plain", False, jobs)
    assert maker._package is not None and len(maker._package.bases) < len(jobs)
    for a, b in zip(fast, plain, strict=True):
        assert_same_parts(a, b)
    with zipfile.ZipFile(fast[-1]) as z:
        assert "b.pdf" in z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
