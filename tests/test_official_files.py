"""Official-grade workbooks, checked on the files (issue 15): every font explicit (no theme scheme) in the
commune, feedback and validation workbooks; the feedback workbook tells the outcome first (its banner for
each status, the recomputed total, what to do next) and keeps the district's notes out; the highlighted
cell of a missing evidence file is its file-name cell; the commune grid's first screen and page hold
code, score, explanation and status; a workbook with no score shows no tier.

Returns are filled as communes fill them (tests/import_corpus.py), imported, and their feedback workbooks
written both ways (the fast path and the plain writer).
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pytest

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet, load_set
from cchc_xl.importing.discover import Candidate
from cchc_xl.importing.evidence import EvidenceStage
from cchc_xl.importing.run import SubmissionResult, import_file
from cchc_xl.numbers import fmt
from cchc_xl.records import Finding
from cchc_xl.reports.feedback import FeedbackWorkbookWriter
from cchc_xl.reports.feedback_package import FeedbackPackage
from cchc_xl.scoring import LeafInput
from cchc_xl.settings import Settings
from cchc_xl.templates import template
from cchc_xl.workbook.layout import Declared, build_layout
from conftest import DATA, MakeRound, MakeWorkbook
from conftest_evidence import sample
from import_corpus import Corpus
from workbook_fill import cite_document

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
T, TV = template("commune"), template("validation")
REGISTER = T["sheets"]["register"]
MINI = DATA / "mini-set.yaml"


def theme_fonts(book: Path) -> list[str]:
    """The fonts of styles.xml that name a theme scheme (Excel would show the theme's font for them)."""
    with zipfile.ZipFile(book) as z:
        fonts = ET.fromstring(z.read("xl/styles.xml")).findall("m:fonts/m:font", NS)
    return [ET.tostring(f, encoding="unicode") for f in fonts if f.find("m:scheme", NS) is not None]


def _imported(paths: list[tuple[Path, Path | None]], cset: CriteriaSet, communes: list[Commune],
              settings: Settings, evidence: EvidenceStage | None = None) -> list[SubmissionResult]:
    by_code = {c.code: c for c in communes}
    received = dt.datetime(2022, 11, 1, 9, 0).astimezone()
    return [import_file(Candidate(p, e), p.name, cset, settings, by_code, received, evidence)
            for p, e in paths]


def _feedback(r: SubmissionResult, cset: CriteriaSet, settings: Settings, target: Path,
              fast: bool = False) -> openpyxl.Workbook:
    assert r.identity is not None and r.declarations is not None
    layout = build_layout(cset, r.identity.commune, r.declarations.raw)
    if fast:
        FeedbackPackage(cset, settings).write(layout, r.findings, target)
    else:
        FeedbackWorkbookWriter(layout, settings, r.findings).write(target)
    return openpyxl.load_workbook(target)


@pytest.fixture
def corpus(tmp_path: Path, mini_set: CriteriaSet, communes: list[Commune], settings: Settings) -> Corpus:
    return Corpus(tmp_path / "inbox", tmp_path / "work", mini_set, communes, settings)


def test_no_font_names_a_theme_scheme(tmp_path: Path, mini_set: CriteriaSet, communes: list[Commune],
                                      settings: Settings, make_round: MakeRound) -> None:
    """The blank commune workbook, a feedback workbook (both paths) and the validation workbook (through the
    CLI); the validation workbook's hash and rule code sit after the print area (on screen, not on paper)."""
    from click.testing import CliRunner

    from cchc_xl.cli import cli

    make_round(criteria=MINI)
    c = Corpus(tmp_path / "inbox", tmp_path / "work", mini_set, communes, settings)
    manual = next(leaf for leaf in mini_set.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    paths = [c.valid(communes[0]), c.valid(communes[1], overrides={f"TDG_{manual.name_key}": 99})]
    assert theme_fonts(c.blank(communes[0])) == []
    (r,) = _imported([(paths[1], None)], mini_set, communes, settings)
    for fast in (False, True):
        target = tmp_path / f"feedback-{fast}.xlsx"
        _feedback(r, mini_set, settings, target, fast)
        assert theme_fonts(target) == [], fast
    out = tmp_path / "out"
    result = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["import", str(c.inbox), "--out", str(out)],
                                                      catch_exceptions=False)
    book = out / TV["file_name"]
    assert book.is_file(), result.output
    assert theme_fonts(book) == []
    assert theme_fonts(next((out / TV["feedback_dir"]).glob("*.xlsx"))) == []
    wb = openpyxl.load_workbook(book)
    for sheet, columns, through, hidden in ((TV["sheets"]["summary"], TV["summary_columns"], "received", "sha256"),
                                            (TV["sheets"]["findings"], TV["finding_columns"], "file", "rule")):
        area = str(wb[sheet].print_area)
        last = area.rsplit(":", 1)[1].replace("$", "").rstrip("0123456789")
        keys = list(columns)
        assert openpyxl.utils.column_index_from_string(last) == keys.index(through) + 1, (sheet, area)
        assert keys.index(hidden) > keys.index(through)


# -- the feedback banner --------------------------------------------------------------------------
def _sheet_texts(wb: openpyxl.Workbook) -> list[str]:
    return [str(v) for row in wb.worksheets[0].iter_rows(values_only=True) for v in row if v not in (None, "")]


@pytest.mark.parametrize("fast", [False, True])
def test_feedback_banner_tells_the_outcome_total_and_next_step(fast: bool, corpus: Corpus, mini_set: CriteriaSet,
                                                               communes: list[Commune], settings: Settings,
                                                               tmp_path: Path) -> None:
    manual = next(leaf for leaf in mini_set.commune_leaves() if leaf.rule and leaf.rule.kind == "manual")
    rejected = corpus.valid(communes[1], overrides={f"TDG_{manual.name_key}": 99})   # above the maximum
    # a register row without its date: a warning
    warned = cite_document(corpus.valid(communes[2]), manual.code, "ke-hoach.pdf")
    accepted = corpus.valid(communes[3])
    results = _imported([(rejected, None), (warned, None), (accepted, None)], mini_set, communes, settings)
    assert [r.status for r in results][:2] == ["rejected", "accepted_with_warnings"], [r.findings for r in results]
    # an accepted return with a note for the commune (the district's own notes are not such a note)
    note = Finding(severity="info", rule="evidence.file_unreferenced", message="Tệp a.pdf không được kê.")
    results[2].findings = [*results[2].findings, note]
    fb = TV["feedback"]
    for r in results:
        status = r.status
        wb = _feedback(r, mini_set, settings, tmp_path / f"{r.path.stem}-{fast}.xlsx", fast)
        assert wb.sheetnames[0] == fb["sheet"]
        texts = _sheet_texts(wb)
        banner = fb["banner"].format(status=TV["status"][status])
        assert texts[1] == banner, texts[:4]  # under the title, before anything else
        assert r.evaluation is not None
        assert fmt(r.evaluation.total) in texts[2]
        assert texts[3] == fb["next"][status]
        assert fb["list_title"][status] in texts
        title = fb["title"].split("—")[0].strip()
        assert texts[0].startswith(title)
        assert not any("CÁC LỖI CẦN SỬA" in t for t in texts) or status == "rejected"
        # the district's notes (its signing key) stay in the district's outputs
        assert not any(t.startswith("Tệp được ký bằng khoá thử nghiệm") for t in texts)
        assert "meta.demo_key" not in texts


# -- the cell to change ---------------------------------------------------------------------------
@pytest.mark.parametrize("fast", [False, True])
def test_missing_evidence_file_marks_its_file_name_cell(fast: bool, corpus: Corpus, mini_set: CriteriaSet,
                                                        communes: list[Commune], settings: Settings,
                                                        tmp_path: Path) -> None:
    leaf = mini_set.commune_leaves()[0]
    book = cite_document(corpus.valid(communes[0]), leaf.code, "khong-co-tep-nay.pdf")
    folder = book.with_suffix("")
    folder.mkdir()
    (folder / "ke-hoach.pdf").write_bytes(sample("text"))
    (r,) = _imported([(book, folder)], mini_set, communes, settings, EvidenceStage())
    missing = [f for f in r.findings if f.rule == "evidence.file_missing"]
    assert missing, [f.rule for f in r.findings]
    wb = _feedback(r, mini_set, settings, tmp_path / f"feedback-{fast}.xlsx", fast)
    ws = wb[REGISTER]
    first = T["register"]["first_row"]
    files_col = openpyxl.utils.get_column_letter(list(T["register"]["columns"]).index("files") + 1)
    marked = {c.coordinate for row in ws.iter_rows() for c in row
              if c.fill is not None and c.fill.fill_type == "solid"
              and str(c.fill.fgColor.rgb).upper().endswith("FF9999")}
    assert f"{files_col}{first}" in marked and f"A{first}" not in marked, marked
    assert ws[f"{files_col}{first}"].comment is not None
    listed = [row[3] for row in wb.worksheets[0].iter_rows(values_only=True)]
    assert f"'{REGISTER}'!{files_col}{first}" in listed
    # the criterion's own status cell agrees: marked above its status colours, the finding in its comment
    grid = wb[T["sheets"]["grid"]]
    status = build_layout(mini_set, communes[0]).leaves[leaf.code].status
    assert grid[status].comment is not None and missing[0].message in grid[status].comment.text
    rules = [(str(cf.sqref), rule.formula) for cf in grid.conditional_formatting for rule in cf.rules]
    assert (status, ["TRUE"]) in rules


# -- the commune grid -----------------------------------------------------------------------------
def test_first_screen_and_page_hold_code_score_explanation_status(make_workbook: MakeWorkbook,
                                                                  mini_set: CriteriaSet) -> None:
    """At 100 % zoom on a 1366 px laptop (about 1300 px of cells; ~7 px a character plus 5 a column) the
    columns from the code to the status fit, frozen at the title; the method text comes after them, outside
    the print area; the figures' cells say what they count."""
    wb = openpyxl.load_workbook(make_workbook(cset=mini_set))
    ws = wb[T["sheets"]["grid"]]
    keys = list(T["grid"]["columns"])
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width for i in range(len(keys))]
    through = keys.index("status")
    assert all(keys.index(k) <= through for k in ("code", "score", "explanation", "status"))
    assert sum(w * 7 + 5 for w in widths[: through + 1]) <= 1300
    assert keys.index("method") > through
    assert str(ws.print_area).endswith(f"${openpyxl.utils.get_column_letter(through + 1)}$"
                                       + str(ws.print_area).rsplit("$", 1)[1])
    assert ws.freeze_panes == "C5"
    computed = next(leaf for leaf in mini_set.commune_leaves() if leaf.rule and leaf.rule.computed)
    assert computed.rule is not None
    title_col = keys.index("title") + 1
    title = next(str(row[title_col - 1].value) for row in ws.iter_rows(min_row=T["grid"]["first_row"])
                 if row[0].value == computed.code)
    for spec in computed.rule.figures():
        assert spec.label in title


def test_a_workbook_with_no_score_shows_no_tier(make_workbook: MakeWorkbook, communes: list[Commune],
                                                settings: Settings, tmp_path: Path) -> None:
    """A set the commune scores wholly (the mini set with its district item made the commune's): blank, the
    tier cell is empty, not the lowest tier; filled, it shows a tier."""
    from workbook_fill import NamedValues

    text = MINI.read_text(encoding="utf-8").replace("rule: {kind: district, method: Điều tra xã hội học}",
                                                   "rule: {kind: done}")
    (tmp_path / "whole.yaml").write_text(text, encoding="utf-8")
    whole = load_set(tmp_path / "whole.yaml")
    assert whole.body_max == 0
    assert NamedValues(make_workbook(cset=whole))["XEP_LOAI"] in ("", None)
    tier = build_layout(whole, communes[0]).named_cell("XEP_LOAI")
    assert tier is not None and tier.cached == "" and tier.formula
    scores = {leaf.code: LeafInput(value=leaf.max) for leaf in whole.commune_leaves()
              if leaf.rule is not None and not leaf.rule.computed}
    filled = build_layout(whole, communes[0], Declared(leaves=scores)).named_cell("XEP_LOAI")
    assert filled is not None and filled.cached in {t.name for t in whole.tiers}


# -- the commune's evidence register ------------------------------------------------------------------
def test_register_marks_the_cell_to_change_and_counts_rows_left(make_workbook: MakeWorkbook,
                                                                mini_set: CriteriaSet) -> None:
    """The check column, a formula in every input row, is hidden (so empty rows print nothing); what it
    says is a red mark on the cell to change and a count above the table.

    | code  | number | files | the check says | marked |
    | 1.1.1 | 1/KH   | a.pdf | (nothing)      | -      |
    | 1.1.1 | 2/KH   |       | no file        | files  |
    | 1.1.1 |        | b.pdf | no number      | number |
    | 9.9.9 | 3/KH   | c.pdf | unknown code   | code   |
    """
    code = mini_set.commune_leaves()[0].code
    rows = [(code, "1/KH", "a.pdf"), (code, "2/KH", ""), (code, "", "b.pdf"), ("9.9.9", "3/KH", "c.pdf")]
    register = tuple((c, n, None, "UBND xã", "Văn bản", f) for c, n, f in rows)
    wb = openpyxl.load_workbook(make_workbook(cset=mini_set, declared=Declared(register=register)))
    ws = wb[REGISTER]
    keys = list(T["register"]["columns"])
    letter = {k: openpyxl.utils.get_column_letter(i + 1) for i, k in enumerate(keys)}
    assert ws.column_dimensions[letter["check"]].hidden
    first = T["register"]["first_row"]
    marks = {}
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            marks[str(cf.sqref).split(":")[0].rstrip("0123456789")] = rule.formula[0]
    texts = T["register"]["check"]
    assert marks == {letter["code"]: f'${letter["check"]}{first}="{texts["unknown_code"]}"',
                     letter["files"]: f'${letter["check"]}{first}="{texts["no_file"]}"',
                     letter["number"]: f'${letter["check"]}{first}="{texts["no_number"]}"'}
    pending = ws[f"{letter['files']}1"].value
    assert pending.startswith("=IF(SUMPRODUCT(") and ws.protection.sheet
    cached = openpyxl.load_workbook(make_workbook(cset=mini_set, declared=Declared(register=register)),
                                    data_only=True)[REGISTER]
    assert cached[f"{letter['files']}1"].value == T["register"]["pending"].format(n=3)
    blank = openpyxl.load_workbook(make_workbook(cset=mini_set), data_only=True)[REGISTER]
    assert blank[f"{letter['files']}1"].value in ("", None)
