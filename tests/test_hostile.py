"""The importer against hostile and faulty inputs (issue 13): one inbox holding one small file per kind,
built here (a forged name, a far cell, an odd file name are each a one-line edit of a generated return),
imported in a child process whose peak memory is measured; each file gets its expected status and rule,
the batch completes, every file is reported and nothing in the inbox is modified."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.importing.discover import REFUSED_SUFFIXES, WORKBOOK_SUFFIXES
from cchc_xl.importing.verify import layout_extent
from cchc_xl.messages import render
from cchc_xl.reading.safety import Limits, inspect_container
from cchc_xl.settings import Settings
from cchc_xl.templates import template
from cchc_xl.workbook.layout import PLACEHOLDER, build_layout
from import_corpus import Case, Corpus, parse_table, sha256

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = list(template("commune")["grid"]["columns"])
PEAK_MEMORY_MB = 500

# file (in the inbox; «…» names are made in the test) | expected status | rules that must be present
EXPECTED_TABLE = """
| file                        | status                 | rules                                     |
|-----------------------------|------------------------|-------------------------------------------|
| honest.xlsx                 | accepted               |                                           |
| forged-names.xlsx           | rejected               | tamper.name_moved                         |
| forged-blank.xlsx           | rejected               | tamper.name_moved                         |
| names-hidden-sheet.xlsx     | rejected               | tamper.name_moved                         |
| far-cell.xlsx               | rejected               | file.cell_out_of_range                    |
| far-cell-prefixed.xlsx      | rejected               | file.cell_out_of_range                    |
| cells-without-ref.xlsx      | rejected               | file.cell_out_of_range                    |
| note-beside-grid.xlsx       | accepted               |                                           |
| «bytes».xlsx                | accepted               |                                           |
| «escape».xlsx               | accepted               |                                           |
| «long».xlsx                 | accepted               |                                           |
| same-stem.xlsx              | accepted_with_warnings | submission.duplicate                      |
| same-stem.xlsm              | accepted_with_warnings | submission.duplicate                      |
| binary.xlsb                 | rejected               | file.format_refused                       |
| template.xltx               | rejected               | file.format_refused                       |
| linked-return.xlsx          | rejected               | file.link_refused                         |
| linked-evidence.xlsx        | accepted_with_warnings | evidence.link_skipped                     |
| linked-zip.xlsx             | accepted_with_warnings | evidence.link_skipped                     |
| pdf-bomb.xlsx               | rejected               | evidence.pdf_too_complex                  |
| score-nan.xlsx              | rejected               | number.out_of_range                       |
| score-1e400.xlsx            | rejected               | number.out_of_range                       |
| score-minus-1e400.xlsx      | rejected               | number.out_of_range                       |
| score-many-digits.xlsx      | rejected               | number.out_of_range                       |
| score-many-digit-text.xlsx  | rejected               | score.not_number                          |
| saved-later.xlsx            | accepted_with_warnings | submission.duplicate                      |
| saved-earlier.xlsx          | accepted_with_warnings | submission.duplicate submission.older_version |
| many-entries.xlsx           | accepted_with_warnings | evidence.zip_unsafe_path findings.more_warnings |
"""
# the names the OS gives for the «…» rows, and how reports show them
ODD_NAMES = {
    "«bytes».xlsx": (os.fsdecode(b"x\xe3 kh\xf4ng-utf8.xlsx"), "x\ufffd kh\ufffdng-utf8.xlsx"),
    "«escape».xlsx": ("\x1b[31mdo\x1b[0m\x07.xlsx", "?[31mdo?[0m?.xlsx"),
    "«long».xlsx": ("x" * 240 + ".xlsx", "x" * 240 + ".xlsx"),
}


CASES = parse_table(EXPECTED_TABLE)


# -- building files ------------------------------------------------------------------------------------
def rezip(src: Path, dst: Path, edits: dict[str, Callable[[bytes], bytes]], extra: dict[str, bytes] | None = None) -> Path:
    """`src` copied to `dst` with some parts rewritten (and some added)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename in edits:
                data = edits[info.filename](data)
            zout.writestr(info, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return dst


def repoint(prefix: str, column: str) -> Callable[[bytes], bytes]:
    """Every defined name starting with `prefix` moved to the same row of another grid column."""
    letter = chr(ord("A") + COLUMNS.index(column)).encode()

    def edit(xml: bytes) -> bytes:
        return re.sub(rb'(<definedName name="' + prefix.encode() + rb'[^"]*">[^<]*!\$)[A-Z]+(\$\d+</definedName>)',
                      rb"\g<1>" + letter + rb"\g<2>", xml)
    return edit


def add_row(cells: bytes, row: int = 1048576) -> Callable[[bytes], bytes]:
    """A row holding `cells` appended to a sheet part's data."""
    return lambda xml: xml.replace(b"</sheetData>", b'<row r="%d">' % row + cells + b"</row></sheetData>")


def manual_score_ref(cset: CriteriaSet) -> str:
    """The grid reference of the first score a commune types (not a formula)."""
    layout = build_layout(cset, PLACEHOLDER)
    return next(r.score for r in layout.leaves.values() if r.score_is_input)


def set_cell(ref: str, content: bytes) -> Callable[[bytes], bytes]:
    """The cell `ref` of a sheet part given `content` (<v>…</v>, or <is>…</is> for an inline string)."""
    kind = b' t="inlineStr"' if content.startswith(b"<is>") else b""

    def edit(xml: bytes) -> bytes:
        out, n = re.subn(rb'<c r="' + ref.encode() + rb'"([^>]*?)(?: t="[^"]*")?([^>]*?)(?:/>|>.*?</c>)',
                         lambda m: b'<c r="' + ref.encode() + b'"' + m[1] + m[2] + kind + b">" + content + b"</c>", xml,
                         count=1, flags=re.S)
        assert n == 1, ref
        return out
    return edit


def saved_on(when: str) -> Callable[[bytes], bytes]:
    """docProps/core.xml with the workbook's own save time set to `when`."""
    return lambda xml: re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + when.encode() + rb"\g<2>", xml)


def both(*edits: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    def edit(xml: bytes) -> bytes:
        for e in edits:
            xml = e(xml)
        return xml
    return edit


def nested_flate_pdf(levels: int = 3, inflated: int = 256 * 1024 * 1024) -> bytes:
    """A one-page PDF whose content stream is `levels` flate layers over `inflated` zero bytes."""
    body = b"\0" * inflated
    for _ in range(levels):
        body = zlib.compress(body, 9)
    filters = b"[" + b" ".join([b"/FlateDecode"] * levels) + b"]"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
               b"<< /Length %d /Filter %s >>\nstream\n" % (len(body), filters) + body + b"\nendstream"]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def build_inbox(c: Corpus, communes: list[Commune]) -> None:
    pick = iter(communes)
    c.valid(next(pick), name="honest.xlsx")
    # 1. score forgery: the names moved, the cells Excel shows untouched
    forged = repoint("TDG_", "max"), repoint("GT_", "title")
    rezip(c.filled_elsewhere(next(pick)), c.inbox / "forged-names.xlsx", {"xl/workbook.xml": both(*forged)})
    rezip(c.blank(next(pick)), c.inbox / "forged-blank.xlsx", {"xl/workbook.xml": both(*forged)})
    src = c.filled_elsewhere(next(pick))
    wb = openpyxl.load_workbook(src)
    ws = wb.create_sheet("x")
    ws.sheet_state = "hidden"
    for name, dn in list(wb.defined_names.items()):
        if name.startswith("TDG_"):
            ((_, ref),) = list(dn.destinations)
            ws[ref.replace("$", "")] = 1
            dn.attr_text = f"x!{ref}"
    wb.save(c.inbox / "names-hidden-sheet.xlsx")
    # 2. one file cannot end the process: a far cell is a one-line edit of the grid sheet
    grid = "xl/worksheets/sheet2.xml"
    rezip(c.filled_elsewhere(next(pick)), c.inbox / "far-cell.xlsx", {grid: add_row(b'<c r="XFD1048576"><v>1</v></c>')})
    rezip(c.filled_elsewhere(next(pick)), c.inbox / "far-cell-prefixed.xlsx",
          {grid: add_row(b"<c s='0' r='$a$900000'><v>1</v></c>")})
    rezip(c.filled_elsewhere(next(pick)), c.inbox / "cells-without-ref.xlsx", {grid: add_row(b"<c/>" * 300_000)})
    # 3. file names: any bytes, control characters, near the file system's limit, one stem twice
    for real, _ in ODD_NAMES.values():
        c.valid(next(pick), name=real)
    twice = next(pick)
    c.valid(twice, name="same-stem.xlsx")
    c.valid(twice, name="same-stem.xlsm", explanation="Bản lưu lại dạng .xlsm")
    for name in ("binary.xlsb", "template.xltx"):
        (c.inbox / name).write_bytes(c.blank(communes[0]).read_bytes())
    # evidence that is a link out of the inbox: a folder linked to /, a zip linked to a system file
    (c.inbox / "linked-return.xlsx").symlink_to(c.filled_elsewhere(next(pick)))
    c.valid(next(pick), name="linked-evidence.xlsx")
    (c.inbox / "linked-evidence").symlink_to("/")
    c.valid(next(pick), name="linked-zip.xlsx")
    (c.inbox / "linked-zip.zip").symlink_to("/etc/hostname" if Path("/etc/hostname").exists() else "/etc/passwd")
    # a zip of 100k hidden and ../ entries: the first problems listed, the others counted
    c.valid(next(pick), name="many-entries.xlsx")
    with zipfile.ZipFile(c.inbox / "many-entries.zip", "w") as z:
        for i in range(50_000):
            z.writestr(f".an-{i}", b"")
            z.writestr(f"../ra-ngoai-{i}.pdf", b"")
    # a few KB of nested flate streams that once inflated to 1.6 GB
    c.valid(next(pick), name="pdf-bomb.xlsx")
    (c.inbox / "pdf-bomb").mkdir()
    (c.inbox / "pdf-bomb" / "bomb.pdf").write_bytes(nested_flate_pdf())
    # numbers no cell should hold, as a one-line edit of a score cell
    ref = manual_score_ref(c.cset)
    digits = b"9" * 30000
    for name, cell in (("score-nan.xlsx", b"<v>NaN</v>"), ("score-1e400.xlsx", b"<v>1E+400</v>"),
                       ("score-minus-1e400.xlsx", b"<v>-1E+400</v>"), ("score-many-digits.xlsx", b"<v>" + digits + b"</v>"),
                       ("score-many-digit-text.xlsx", b"<is><t>" + digits + b"</t></is>")):
        rezip(c.filled_elsewhere(next(pick)), c.inbox / name, {grid: set_cell(ref, cell)})
    # one commune's two returns: the one received last was saved first (its own docProps/core.xml)
    twice = next(pick)
    src = c.filled_elsewhere(twice)
    rezip(src, c.inbox / "saved-later.xlsx", {"docProps/core.xml": saved_on("2022-10-05T09:00:00Z")})
    rezip(src, c.inbox / "saved-earlier.xlsx", {"docProps/core.xml": saved_on("2022-10-03T09:00:00Z")})
    os.utime(c.inbox / "saved-later.xlsx", (1_700_000_000, 1_700_000_000))
    os.utime(c.inbox / "saved-earlier.xlsx", (1_700_000_100, 1_700_000_100))  # received after
    below = layout_extent(build_layout(c.cset, PLACEHOLDER))[0] + 10  # in the margin past the layout's last row
    rezip(c.filled_elsewhere(next(pick)), c.inbox / "note-beside-grid.xlsx",
          {grid: add_row(b'<c r="M%d" t="inlineStr"><is><t>ghi chu</t></is></c>' % below, below)})


# -- running the import ---------------------------------------------------------------------------------
CHILD = """
import resource, sys
from pathlib import Path
from rich.console import Console
from cchc_xl.console import import_with_progress
from cchc_xl.paths import bundled
from cchc_xl.workspace import init_round
inbox, out = Path(sys.argv[1]), Path(sys.argv[2])
ws = init_round(out.parent / "round", criteria_file=bundled("criteria/phu-yen-2022.yaml"),
                communes_file=bundled("samples/phu-yen-communes.csv"), year=2022, body="UBND huyện Phù Yên")
run, _ = import_with_progress(inbox, out, ws, Console(width=400, highlight=False))
print("files", len(run.results))
# ru_maxrss also counts the pages this process had from the parent it was forked from (pytest, which built
# the corpus); the kernel's high-water mark of this program's own memory, when there is one, does not.
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    status = Path("/proc/self/status").read_text()
    peak = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
except (OSError, StopIteration):
    pass
print("peak_kb", peak)
"""


@dataclass
class HostileRun:
    inbox: Path
    out: Path
    report: dict[str, Any]
    before: dict[str, str]
    peak_mb: float
    console: str

    def submission(self, name: str) -> dict[str, Any]:
        name = ODD_NAMES[name][1] if name in ODD_NAMES else name
        found = [s for s in self.report["submissions"] if s["file"].rsplit("/", 1)[-1] == name]
        assert len(found) == 1, (name, [s["file"] for s in self.report["submissions"]])
        return found[0]


def snapshot(inbox: Path) -> dict[str, str]:
    return {os.fsencode(p.relative_to(inbox)).hex(): sha256(p)
            for p in sorted(inbox.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, bundled_set: CriteriaSet, communes: list[Commune],
            settings: Settings) -> HostileRun:
    tmp = tmp_path_factory.mktemp("hostile")
    c = Corpus(tmp / "inbox", tmp / "work", bundled_set, communes, settings)
    build_inbox(c, communes)
    before = snapshot(c.inbox)
    out = tmp / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", CHILD, str(c.inbox), str(out)], capture_output=True, text=True,
                          env={**env, "PYTHONIOENCODING": "utf-8", "CCHC_XL_KEY": settings.key.decode("utf-8")},
                          cwd=tmp, timeout=900, encoding="utf-8")
    assert done.returncode == 0, done.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    peak_mb = int(lines["peak_kb"]) / 1024
    print(f"\npeak memory of the whole hostile corpus import: {peak_mb:.0f} MB ({lines['files']} files)")
    report = json.loads((out / "import-report.json").read_text(encoding="utf-8"))
    return HostileRun(c.inbox, out, report, before, peak_mb, done.stdout)


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_each_file_gets_its_status_and_rule(hostile: HostileRun, case: Case) -> None:
    sub = hostile.submission(case.file)
    rules = {f["rule"] for f in sub["findings"]}
    assert sub["status"] == case.status, (case.file, sorted(rules))
    assert set(case.rules) <= rules, (case.file, sorted(rules))


def test_the_batch_completes_and_the_inbox_is_untouched(hostile: HostileRun) -> None:
    assert snapshot(hostile.inbox) == hostile.before
    assert len(hostile.report["submissions"]) >= len(CASES)


def test_peak_memory_of_the_whole_corpus_is_bounded(hostile: HostileRun) -> None:
    assert hostile.peak_mb < PEAK_MEMORY_MB


# -- 1. score forgery -----------------------------------------------------------------------------------
def test_a_moved_name_names_where_it_points_and_where_it_should(hostile: HostileRun) -> None:
    sub = hostile.submission("forged-names.xlsx")
    moved = [f for f in sub["findings"] if f["rule"] == "tamper.name_moved"]
    assert {m["message"].split()[2] for m in moved} >= {"TDG_1_1_1", "GT_1_1_1"}
    first = next(m for m in moved if "TDG_1_1_1" in m["message"])
    letter = {key: chr(ord("A") + COLUMNS.index(key)) for key in ("max", "score")}  # pointed at, read at
    assert f"'Tự đánh giá'!{letter['max']}" in first["message"] and f"'Tự đánh giá'!{letter['score']}" in first["message"]


def test_values_are_read_from_the_layouts_cells_not_the_names(hostile: HostileRun) -> None:
    """The forged return's total is what its own cells give (Excel's), not the locked maxima's."""
    blank = hostile.submission("forged-blank.xlsx")
    assert blank["self_total"] in (0, None)
    assert "submission.empty" in {f["rule"] for f in blank["findings"]}


# -- 2. nothing in one file ends the process ------------------------------------------------------------
def test_a_far_cell_names_the_cell_and_the_layouts_last_cell(hostile: HostileRun) -> None:
    (finding,) = [f for f in hostile.submission("far-cell.xlsx")["findings"] if f["rule"] == "file.cell_out_of_range"]
    assert "XFD1048576" in finding["message"] and "Tệp có nội dung ngoài phạm vi" in finding["message"]


def test_a_failure_writing_one_files_outputs_is_that_files_finding(tmp_path: Path, bundled_set: CriteriaSet,
                                                                   communes: list[Commune], settings: Settings) -> None:
    from cchc_xl.importing.run import run_import

    c = Corpus(tmp_path / "inbox", tmp_path / "work", bundled_set, communes, settings)
    c.valid(communes[0], name="a.xlsx")
    c.valid(communes[1], name="b.xlsx")
    written: list[str] = []

    def sink(r: Any) -> None:
        if r.path.name == "a.xlsx":
            raise OSError(36, "File name too long")
        written.append(r.path.name)

    run = run_import(c.inbox, bundled_set, settings, communes, sink=sink)
    a, b = run.results
    assert [f.rule for f in a.findings if f.severity == "error"] == ["file.output_failed"]
    assert "mã 36" in a.findings[-1].message and "File name" not in a.findings[-1].message
    assert written == ["b.xlsx"] and b.status != "rejected"


def test_a_far_cell_in_an_appraisal_workbook_is_refused(tmp_path: Path, mini_set: CriteriaSet,
                                                        settings: Settings) -> None:
    from cchc_xl.appraisal.round import appraisal_limits, import_appraisals
    from cchc_xl.store import Store

    folder = tmp_path / "td"
    folder.mkdir()
    src = tmp_path / "blank.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Thẩm định"
    wb.save(src)
    rezip(src, folder / "far.xlsx", {"xl/worksheets/sheet1.xml": add_row(b'<c r="XFD1048576"><v>1</v></c>')})
    store = Store(tmp_path / "cchc.sqlite")
    try:
        (outcome,) = import_appraisals(store, mini_set, folder, settings)
    finally:
        store.close()
    assert [f.rule for f in outcome.findings] == ["file.cell_out_of_range"]
    limits = appraisal_limits(mini_set)
    assert limits.max_row < 1000 and limits.max_col < 100


def test_a_criteria_workbook_that_inflates_beyond_the_limits_is_refused(tmp_path: Path, bundled_set: CriteriaSet,
                                                                       communes: list[Commune],
                                                                       settings: Settings) -> None:
    from cchc_xl.criteria import CriteriaError
    from cchc_xl.criteria.excel import export_criteria, import_criteria

    c = Corpus(tmp_path / "inbox", tmp_path / "work", bundled_set, communes, settings)
    bomb = c.zip_bomb("tieu-chi.xlsx", size=220 * 1024 * 1024)  # ~0.2 MB on disk
    with pytest.raises(CriteriaError) as err:
        import_criteria(bomb)
    (problem,) = err.value.problems
    assert problem.rule == "set.excel_unreadable" and "cấu trúc nén bất thường" in render(problem)
    good = tmp_path / "tieu-chi-dung.xlsx"
    export_criteria(bundled_set, good)
    far = rezip(good, tmp_path / "tieu-chi-xa.xlsx", {"xl/worksheets/sheet1.xml": add_row(b'<c r="XFD1048576"/>')})
    with pytest.raises(CriteriaError) as err:
        import_criteria(far)
    assert "XFD1048576" in render(err.value.problems[0])
    assert import_criteria(good).fingerprint() == bundled_set.fingerprint()


# -- 3. file names ----------------------------------------------------------------------------------------
def test_odd_names_are_reported_shown_safely_everywhere(hostile: HostileRun) -> None:
    assert "\x1b" not in hostile.console and "\x07" not in hostile.console
    assert "?[31mdo?[0m?.xlsx" in hostile.console
    files = [s["file"] for s in hostile.report["submissions"]]
    returns = [p for p in hostile.inbox.iterdir() if p.suffix.lower() in WORKBOOK_SUFFIXES | REFUSED_SUFFIXES]
    assert len(files) == len(set(files)) == len(returns) == len(CASES)  # every return of the inbox, once
    feedback = sorted(p.name for p in (hostile.out / "phan-hoi").iterdir())
    assert all(len(n.encode()) <= 120 and n.isascii() for n in feedback), feedback
    assert not [p for p in hostile.out.rglob("*.tmp")]


def test_two_extensions_of_one_stem_get_two_feedback_workbooks(hostile: HostileRun) -> None:
    feedback = {p.name for p in (hostile.out / "phan-hoi").iterdir()}
    code = hostile.submission("same-stem.xlsx")["commune_code"]
    assert {f"{code}-same-stem-phan-hoi.xlsx", f"{code}-same-stem-xlsm-phan-hoi.xlsx"} <= feedback


def test_refused_kinds_say_why(hostile: HostileRun) -> None:
    (finding,) = hostile.submission("binary.xlsb")["findings"]
    assert ".xlsb" in finding["message"] and "lưu lại dạng .xlsx" in finding["message"]


def test_generate_bounds_a_long_commune_name(tmp_path: Path, bundled_set: CriteriaSet, settings: Settings) -> None:
    from cchc_xl.workbook.generate import generate_one

    commune = Commune(code="03898", name="Phù Yên " * 60)
    path = generate_one(bundled_set, commune, tmp_path, settings)
    assert path.exists() and len(path.name) <= 90 and path.name.startswith("03898-phu-yen-phu-yen")


def test_a_link_out_of_the_inbox_lists_nothing(hostile: HostileRun) -> None:
    sub = hostile.submission("linked-evidence.xlsx")
    assert [f["rule"] for f in sub["findings"] if f["rule"].startswith("evidence.")] == ["evidence.link_skipped"]


# -- 4. the missing-file hint is bounded ------------------------------------------------------------------
def test_the_missing_file_hint_compares_a_bounded_number_of_names(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """100 register rows naming missing files against a 1,000-entry zip of long, similar names (this once
    ran past two minutes): each fuzzy comparison sees a bounded window, and only so many names get one."""
    import difflib

    from cchc_xl.evidence import crosscheck, open_bundle
    from conftest_evidence import row, write_zip

    crosscheck_module = sys.modules["cchc_xl.evidence.crosscheck"]  # (the package exports the function by that name)

    stem = "Ke hoach trien khai cong tac cai cach hanh chinh nam 2022 cua UBND xa so "
    bundle_path = write_zip(tmp_path / "tlkc.zip", [(f"{stem}{i:04d}.pdf", b"%PDF-1.4\n") for i in range(1000)])
    rows = [row("1.1", f"{stem}{i:04d}x khac.pdf", number=5 + i) for i in range(99)]
    # the same name with diacritics, in capitals: a hint found in the index, without any comparison
    rows.append(row("1.2", "KẾ HOẠCH TRIỂN KHAI CÔNG TÁC CẢI CÁCH HÀNH CHÍNH NĂM 2022 CỦA UBND XÃ SỐ 0007.pdf",
                    number=200))
    seen: list[int] = []
    real = difflib.get_close_matches

    def counting(word: str, possibilities: list[str], *args: Any, **kw: Any) -> list[str]:
        seen.append(len(possibilities))
        return real(word, possibilities, *args, **kw)

    monkeypatch.setattr(crosscheck_module.difflib, "get_close_matches", counting)
    with open_bundle(bundle_path) as bundle:
        found = crosscheck(rows, bundle, [])
    missing = [f for f in found if f.rule == "evidence.file_missing"]
    assert len(missing) == 100
    assert len(seen) <= crosscheck_module.HINT_NAMES and max(seen) <= crosscheck_module.HINT_CANDIDATES
    assert "gần giống tên" in missing[-1].message and "0007.pdf" in missing[-1].message


# -- 5. limits ----------------------------------------------------------------------------------------------
def test_a_bundle_of_100k_problems_gives_a_bounded_report(hostile: HostileRun) -> None:
    from cchc_xl.importing.findings import MAX_PER_FILE

    findings = hostile.submission("many-entries.xlsx")["findings"]
    assert len(findings) <= MAX_PER_FILE + 3
    (more,) = [f for f in findings if f["rule"] == "findings.more_warnings"]
    assert re.search(r"Còn [0-9]{5} cảnh báo khác", more["message"])
    assert (hostile.out / "import-report.json").stat().st_size < 5_000_000


def test_findings_past_the_limit_are_counted_by_severity() -> None:
    from cchc_xl.importing.findings import Findings

    found = Findings(limit=3)
    for _ in range(3):
        found.add("score.missing", criterion="1.1", cell="A1")
    found.add("score.not_number", criterion="1.2", cell="A2", got="x")  # an error past the limit…
    for _ in range(5):
        found.add("score.missing", criterion="1.1", cell="A1")
    rules = [f.rule for f in found.items]
    assert rules == ["score.missing"] * 3 + ["findings.more_errors", "findings.more_warnings"]
    assert found.has_error  # …still makes the file rejected
    assert "Còn 5 cảnh báo" in found.items[-1].message


def test_a_pdf_bomb_is_refused_before_it_is_parsed() -> None:
    from cchc_xl.evidence.inspect import inspect_file

    data = nested_flate_pdf()
    assert len(data) < 10_000
    check = inspect_file("bomb.pdf", data)
    assert [i.rule for i in check.issues] == ["evidence.pdf_too_complex"]
    assert inspect_file("ok.pdf", nested_flate_pdf(inflated=10_000)).issues[0].rule != "evidence.pdf_too_complex"


def test_a_number_no_cell_should_hold_is_a_cell_finding_in_vietnamese(hostile: HostileRun) -> None:
    for name, shown in (("score-nan.xlsx", "NaN"), ("score-1e400.xlsx", "∞"), ("score-minus-1e400.xlsx", "-∞")):
        sub = hostile.submission(name)
        (finding,) = [f for f in sub["findings"] if f["rule"] == "number.out_of_range"]
        assert finding["cell"] and f"“{shown}”" in finding["message"] and "không phải một số dùng được" in finding["message"]
        assert "file.unreadable" not in {f["rule"] for f in sub["findings"]}
    text = hostile.submission("score-many-digit-text.xlsx")
    assert max(len(f["message"]) for f in text["findings"]) < 1000


@pytest.mark.parametrize(("label", "text", "says"), [
    ("alias bomb", "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c]\n", "bí danh"),
    ("huge exponent", "id: x\ntotal: 1e999999999\n", "1e999999999"),
    ("30,000 digits", "id: x\ntotal: " + "9" * 30000 + "\n", "không hợp lệ"),
    ("100k deep", "a: " + "[" * 100_000 + "]" * 100_000 + "\n", "lồng nhau quá"),
    ("deep blocks", "".join("  " * i + f"k{i}:\n" for i in range(200)), "lồng nhau quá"),
    ("too large", "# " + "x" * (3 * 1024 * 1024) + "\nid: x\n", "vượt giới hạn"),
])
def test_a_hostile_criteria_file_is_refused_with_a_reason(tmp_path: Path, label: str, text: str, says: str) -> None:
    from cchc_xl.criteria import CriteriaError, load_set

    path = tmp_path / "tieu-chi.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CriteriaError) as err:
        load_set(path)
    (problem,) = err.value.problems
    assert problem.rule == "set.yaml_invalid" and says in render(problem), render(problem)


# -- 6. semantics --------------------------------------------------------------------------------------------
@pytest.mark.gnumeric
def test_an_honest_return_resaved_by_gnumeric_is_accepted_with_the_same_total(
        tmp_path: Path, bundled_set: CriteriaSet, communes: list[Commune], settings: Settings) -> None:
    """Gnumeric writes `--(x)` as `-(-(x))` and 0.000001 as 1.00000000000000000004e-06: the same formulas."""
    from cchc_xl.importing.run import run_import

    c = Corpus(tmp_path / "inbox", tmp_path / "work", bundled_set, communes, settings)
    honest = c.filled_elsewhere(communes[0])
    for suffix in ("xlsx", "ods"):
        subprocess.run(["ssconvert", str(honest), str(c.inbox / f"gnumeric.{suffix}")], check=True,
                       capture_output=True, timeout=300)
    original = run_import(honest.parent, bundled_set, settings, communes).results[0]
    ods, xlsx = sorted(run_import(c.inbox, bundled_set, settings, communes).results, key=lambda r: r.path.suffix)
    assert original.status != "rejected"
    assert not [f.message for f in xlsx.findings if f.severity != "info" and f.rule != "submission.duplicate"]
    assert xlsx.self_total == original.self_total is not None
    # its .ods: read, or refused with a reason in Vietnamese (no reader's English)
    if ods.status == "rejected":
        (reason,) = [f for f in ods.findings if f.severity == "error"]
        assert reason.rule == "file.unreadable" and "lưu lại dạng .xlsx" in reason.message
        assert not re.search(r"[A-Za-z]+ing\b|Expecting|found", reason.message)
    else:
        assert ods.self_total == original.self_total


@pytest.mark.parametrize(("excel", "other"), [
    ("SUMPRODUCT(--('Tài liệu kiểm chứng'!$A$5:$A$404=A7))", "SUMPRODUCT(-(-('Tài liệu kiểm chứng'!$A$5:$A$404=A7)))"),
    ("IF(A1>0.000001,1,0)", "if( a1 > 1.00000000000000000004e-06 , 1 , 0 )"),
    ("SUM('TongHop'!$B$2:$B$9)", "sum(TongHop!B2:B9)"),
    ("---(A1)", "-(-(-(A1)))"),
])
def test_formulas_are_compared_by_meaning(excel: str, other: str) -> None:
    from cchc_xl.importing.verify import canonical_formula

    assert canonical_formula(excel) == canonical_formula(other)


@pytest.mark.parametrize(("want", "got"), [
    ('IF(A1="x",1,0)', 'IF(A1="X",1,0)'),  # case inside a text is meaning
    ("--(A1)", "-(A1)"),
    ("SUM(A1:A2)", "SUM(A1:A3)"),
    ("A1*0.5", "A1*0.25"),
])
def test_a_changed_formula_is_still_changed(want: str, got: str) -> None:
    from cchc_xl.importing.verify import canonical_formula

    assert canonical_formula(want) != canonical_formula(got)


def test_the_counting_version_is_the_latest_saved_and_a_late_older_one_is_flagged(hostile: HostileRun) -> None:
    later, earlier = hostile.submission("saved-later.xlsx"), hostile.submission("saved-earlier.xlsx")
    (older,) = [f for f in earlier["findings"] if f["rule"] == "submission.older_version"]
    assert "03/10/2022" in older["message"] and "05/10/2022" in older["message"]
    assert all("Tệp được dùng: saved-later.xlsx" in f["message"] for f in later["findings"] + earlier["findings"]
               if f["rule"] == "submission.duplicate")


def test_an_older_return_imported_after_a_newer_one_does_not_count(tmp_path: Path, bundled_set: CriteriaSet,
                                                                   communes: list[Commune], settings: Settings) -> None:
    from cchc_xl.importing.pipeline import import_inbox
    from cchc_xl.store import Store

    c = Corpus(tmp_path / "first", tmp_path / "work", bundled_set, communes, settings)
    src = c.filled_elsewhere(communes[0])
    rezip(src, c.inbox / "new.xlsx", {"docProps/core.xml": saved_on("2022-10-05T09:00:00Z")})
    second = tmp_path / "second"
    second.mkdir()
    rezip(src, second / "old.xlsx", {"docProps/core.xml": saved_on("2022-10-03T09:00:00Z")})
    store = Store(tmp_path / "cchc.sqlite")
    try:
        import_inbox(c.inbox, bundled_set, settings, communes, tmp_path / "out1", store, evidence=False)
        run, _ = import_inbox(second, bundled_set, settings, communes, tmp_path / "out2", store, evidence=False)
        (old,) = run.results
        assert "submission.older_than_counting" in {f.rule for f in old.findings} and not old.counts
        latest = store.latest(communes[0].code)
        assert latest is not None and latest.file_name.endswith("new.xlsx")
    finally:
        store.close()


# -- 7. outputs ------------------------------------------------------------------------------------------------
def test_outputs_take_the_users_umask_and_a_killed_runs_temporaries_are_cleaned(
        tmp_path: Path, mini_set: CriteriaSet, communes: list[Commune], settings: Settings) -> None:
    from cchc_xl.importing.pipeline import import_inbox
    from cchc_xl.store import Store

    c = Corpus(tmp_path / "inbox", tmp_path / "work", mini_set, communes, settings)
    c.valid(communes[0], name=f"{communes[1].code}.xlsx")  # named after another commune: a warning, so feedback
    out = tmp_path / "out"
    (out / "phan-hoi").mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = out / "phan-hoi" / f".03898-a.cchc-tmp-{int(dead.stdout)}-0a1b2c3d.xlsx.tmp"
    live = out / f".import-report.cchc-tmp-{os.getppid()}-0a1b2c3d.json.tmp"  # a process that still runs
    leftover.write_bytes(b"half a workbook")
    live.write_bytes(b"{")
    old = os.umask(0o027)
    store = Store(tmp_path / "cchc.sqlite")
    try:
        import_inbox(c.inbox, mini_set, settings, communes, out, store, evidence=False)
    finally:
        store.close()
        os.umask(old)
    assert not leftover.exists() and live.exists()
    feedback = list((out / "phan-hoi").glob("*.xlsx"))
    assert feedback
    for path in (out / "import-report.json", out / "kiem-tra-tiep-nhan.xlsx", *feedback):
        assert path.stat().st_mode & 0o777 == 0o640, path


@pytest.mark.parametrize(("make", "rule", "detail"), [
    (lambda zf: [zf.writestr(f"x{i}.xml", "") for i in range(4)], "file.zip_bomb", "4 tệp thành phần"),
    (lambda zf: zf.writestr("xl/workbook.xml", "x" * 5000), "file.zip_bomb", "5000 byte khi giải nén"),
    (None, "file.corrupt", "cấu trúc nén của tệp bị hỏng hoặc tệp bị cắt cụt"),
], ids=["entries", "bytes", "truncated"])
def test_a_refused_container_is_explained_in_vietnamese(tmp_path: Path, make: Any, rule: str, detail: str) -> None:
    """The detail of a refused container is the program's Vietnamese, never zipfile's English text."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        (make or (lambda z: z.writestr("xl/workbook.xml", "<workbook/>" * 500)))(zf)
    data = buf.getvalue() if make else buf.getvalue()[: len(buf.getvalue()) // 2]
    path = tmp_path / "tep.xlsx"
    path.write_bytes(data)
    verdict = inspect_container(path, Limits(max_entries=3, max_uncompressed=4000))
    assert verdict.problem is not None and verdict.problem.rule == rule
    assert verdict.problem.params["detail"] == detail
