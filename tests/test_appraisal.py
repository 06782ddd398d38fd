"""The appraisal round end to end: generate → fill → import → prepare → fill → import → final scores."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import urllib.parse
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from cchc_xl.appraisal.round import import_appraisals, prepare
from cchc_xl.appraisal.scores import AppraisalInputs
from cchc_xl.appraisal.workbook import (
    AppraisalLayout,
    AppraisalWorkbookWriter,
    SubmissionView,
    appraisal_file_name,
    build_appraisal_layout,
)
from cchc_xl.communes import Commune
from cchc_xl.identity import RoundIdentity
from cchc_xl.importing.evidence import EvidenceStage
from cchc_xl.importing.outputs import write_outputs
from cchc_xl.importing.run import run_import
from cchc_xl.numbers import round2
from cchc_xl.reading.safety import Limits
from cchc_xl.settings import load_settings
from cchc_xl.store import Store
from cchc_xl.workbook.generate import generate_one
from import_corpus import fill

AT = dt.datetime(2022, 10, 20, 9, 0, tzinfo=dt.UTC)

# What the council does in each commune's appraisal workbook (mini set): defined name -> value.
COUNCIL = {
    "NGUOI_THAM_DINH": "Lò Văn Bình",
    "TD_2_2": 1.5,  # district-scored satisfaction survey (max 2)
    "TD_1_2": 0.5,  # lowered from the self-score…
    "LD_1_2": "Chỉ có một hình thức tuyên truyền được kiểm chứng",  # …with its reason
    "TH_T1": 1,  # bonus: 1 × 1 point (cap 2)
    "TR_D1": 4,  # penalty: 4 × 1 point, capped at 3
}


def _set(path: Path, values: dict[str, object], target: Path | None = None) -> Path:
    wb = openpyxl.load_workbook(path)
    for name, value in values.items():
        ((sheet, ref),) = list(wb.defined_names[name].destinations)
        wb[sheet][ref.replace("$", "")] = value
    out = target or path
    wb.save(out)
    return out


def _prepare_round(tmp: Path, db, mini_set, communes, settings):  # type: ignore[no-untyped-def]
    """Three communes imported into a fresh store at `db`; their appraisal workbooks prepared in tmp/td."""
    inbox = tmp / "inbox"
    inbox.mkdir()
    chosen = communes[:3]
    for c in chosen:
        wb = generate_one(mini_set, c, tmp / "blank", settings)
        fill(wb, inbox / wb.name, mini_set, seed=c.code)
    store = Store(db)
    stage = EvidenceStage()
    run = run_import(inbox, mini_set, settings, communes, received_at=AT, evidence_hook=stage)
    write_outputs(run, tmp / "out", settings, store)
    prepared = prepare(store, mini_set, tmp / "td", settings)
    written, skipped = prepared.written, prepared.skipped
    return store, written, skipped


@pytest.fixture(scope="module")
def prepared_sqlite(tmp_path_factory: pytest.TempPathFactory, mini_set, communes, settings):  # type: ignore[no-untyped-def]
    """`round_` on SQLite built once per module, in a folder laid out as a test's (its store is s.sqlite, as
    the `db` fixture names it): the folder, the written workbooks relative to it, the skipped codes."""
    root = tmp_path_factory.mktemp("appraisal-round")
    store, written, skipped = _prepare_round(root, root / "s.sqlite", mini_set, communes, settings)
    store.close()
    return root, [p.relative_to(root) for p in written], skipped


@pytest.fixture
def round_(tmp_path: Path, mini_set, communes, settings, db, engine, request):  # type: ignore[no-untyped-def]
    """Three communes imported into a fresh store (each engine); their appraisal workbooks prepared. On
    SQLite each test gets a copy of the module's round (`prepared_sqlite`), on PostgreSQL a round of its own."""
    if engine == "sqlite":
        root, written, skipped = request.getfixturevalue("prepared_sqlite")
        shutil.copytree(root, tmp_path, dirs_exist_ok=True)
        assert Path(db) == tmp_path / "s.sqlite"
        store, written = Store(db), [tmp_path / p for p in written]
    else:
        store, written, skipped = _prepare_round(tmp_path, db, mini_set, communes, settings)
    yield store, written, list(skipped), tmp_path
    store.close()


def _fill_all(written: list[Path], folder: Path, values: dict[str, object]) -> Path:
    folder.mkdir(exist_ok=True)
    for p in written:
        _set(p, values, folder / p.name)
    return folder


def test_final_scores_equal_hand_computation(round_, mini_set, settings) -> None:  # type: ignore[no-untyped-def]
    store, written, skipped, tmp = round_
    assert len(written) == 3 and not skipped
    outcomes = import_appraisals(store, mini_set, _fill_all(written, tmp / "filled", COUNCIL), settings)
    assert [o.status for o in outcomes] == ["accepted"] * 3, [o.findings for o in outcomes]
    for o in outcomes:
        sub = store.latest(o.commune_code)
        self_scores = {c: Decimal(v) for c, v in sub.scores.items() if v is not None}
        # By hand: every self-score kept except 1.2 → 0.5, plus the district item 2.2 = 1.5,
        # plus bonus min(1×1, 2) = 1, minus penalty min(4×1, 3) = 3.
        kept = sum(v for c, v in self_scores.items() if c != "1.2")
        expected = round2(kept + Decimal("0.5") + Decimal("1.5") + 1 - 3)
        current = store.current_appraisal(o.commune_code)
        assert current.total == expected == o.result.total
        assert current.tier == mini_set.tier_for(expected)
        changed = [s for s in current.scores.values() if s.changed]
        assert all(s.reason for s in changed)
        assert ("1.2" in {s.criterion for s in changed}) == (self_scores.get("1.2", 0) != Decimal("0.5"))
        assert store.state(o.commune_code) == "appraised"


def test_history_second_appraisal_supersedes_and_keeps_the_first(round_, mini_set, settings) -> None:  # type: ignore[no-untyped-def]
    store, written, _, tmp = round_
    import_appraisals(store, mini_set, _fill_all(written[:1], tmp / "a1", COUNCIL), settings)
    second = {**COUNCIL, "TD_1_2": 0.25, "LD_1_2": "Xem lại: chỉ đạt một phần"}
    import_appraisals(store, mini_set, _fill_all(written[:1], tmp / "a2", second), settings)
    code = store.all_latest()[0].commune_code
    history = store.score_history(code, "1.2")
    assert [h["stage"] for h in history] == ["self", "appraisal", "appraisal"]
    assert [h["superseded"] for h in history[1:]] == [True, False]
    assert history[-1]["points"] == "0.25" and history[-1]["reason"] == "Xem lại: chỉ đạt một phần"
    assert store.current_appraisal(code).scores["1.2"].appraised_points == Decimal("0.25")


def test_finalized_round_refuses_changes_until_reopened(round_, mini_set, communes, settings) -> None:  # type: ignore[no-untyped-def]
    store, written, _, tmp = round_
    import_appraisals(store, mini_set, _fill_all(written, tmp / "a1", COUNCIL), settings)
    code = store.all_latest()[0].commune_code
    assert store.finalize([code], "2022-12-01T08:00:00", "Trưởng phòng Nội vụ") == [code]
    again = import_appraisals(store, mini_set, _fill_all(written[:1], tmp / "a2", {**COUNCIL, "TD_2_2": 2}), settings)
    assert "appraisal.finalized" in {f.rule for f in again[0].findings}
    assert store.current_appraisal(code).scores["2.2"].appraised_points == Decimal("1.5")
    # A new self-assessment file for the finalized commune is reported and not recorded.
    inbox = tmp / "inbox2"
    inbox.mkdir()
    c = next(c for c in communes if c.code == code)
    fill(generate_one(mini_set, c, tmp / "blank2", settings), inbox / "late.xlsx", mini_set, seed="late")
    run = run_import(inbox, mini_set, settings, communes, received_at=AT)
    before = store.count("submissions")
    write_outputs(run, tmp / "out2", settings, store)
    assert "submission.finalized" in {f.rule for f in run.results[0].findings}
    assert store.count("submissions") == before
    # Reopen is recorded with its reason; then the appraisal goes through.
    assert store.reopen(code, "2022-12-02T08:00:00", "Trưởng phòng", "Xã khiếu nại điểm 2.2")
    assert any(e.kind == "reopen" and e.detail.reason == "Xã khiếu nại điểm 2.2" for e in store.events(code))
    again = import_appraisals(store, mini_set, tmp / "a2", settings)
    assert again[0].status == "accepted"
    assert store.current_appraisal(code).scores["2.2"].appraised_points == Decimal("2")


BAD_FILES = [
    # (what the council got wrong, values, how the file is spoiled, expected rule)
    ("reason missing", {**COUNCIL, "LD_1_2": None}, None, "appraisal.reason_missing"),
    ("reason of whitespace", {**COUNCIL, "LD_1_2": " \u00a0\n\t"}, None, "appraisal.reason_missing"),
    ("reason of a zero-width space", {**COUNCIL, "LD_1_2": "\u200b"}, None, "appraisal.reason_missing"),
    ("above maximum", {**COUNCIL, "TD_2_2": 5}, None, "appraisal.out_of_range"),
    ("off the step", {**COUNCIL, "TD_1_2": 0.3, "LD_1_2": "x"}, None, "appraisal.not_allowed"),
    ("no appraiser", {**COUNCIL, "NGUOI_THAM_DINH": None}, None, "appraisal.appraiser_missing"),
    ("district item blank", {**COUNCIL, "TD_2_2": None}, None, "appraisal.missing"),
    ("tampered maximum", COUNCIL, "max", "tamper.max_changed"),  # reported as a maximum, as in the commune workbook
    ("wrong commune in metadata", COUNCIL, "meta", "meta.signature_invalid"),
]


@pytest.mark.parametrize(("case", "values", "spoil", "rule"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_appraisal_files_get_findings(round_, mini_set, settings, case, values, spoil, rule) -> None:  # type: ignore[no-untyped-def]
    store, written, _, tmp = round_
    folder = _fill_all(written[:1], tmp / "bad", values)
    path = next(folder.iterdir())
    if spoil:
        wb = openpyxl.load_workbook(path)
        if spoil == "max":
            ((sheet, ref),) = list(wb.defined_names["TD_1_2"].destinations)  # the maximum of item 1.2
            wb[sheet].cell(row=wb[sheet][ref.replace("$", "")].row, column=3).value = 99
        else:
            wb["_meta"]["B2"] = "03901" if wb["_meta"]["B2"].value != "03901" else "03904"
        wb.save(path)
    before = store.current_appraisal(store.all_latest()[0].commune_code)
    (outcome,) = import_appraisals(store, mini_set, folder, settings)
    assert outcome.status == "rejected"
    assert rule in {f.rule for f in outcome.findings}
    assert all(f.message and (f.cell is None or "!" in f.cell) for f in outcome.findings)
    assert store.current_appraisal(store.all_latest()[0].commune_code) == before  # a rejected file changes nothing


def test_a_commune_workbook_is_not_an_appraisal(round_, mini_set, settings) -> None:  # type: ignore[no-untyped-def]
    store, _, _, tmp = round_
    folder = tmp / "mixed"
    folder.mkdir()
    shutil.copy(next((tmp / "inbox").iterdir()), folder / "x.xlsx")
    (outcome,) = import_appraisals(store, mini_set, folder, settings)
    assert [f.rule for f in outcome.findings] == ["appraisal.not_appraisal"]


def test_an_oversized_appraisal_file_is_told_the_real_limit(round_, mini_set, settings) -> None:  # type: ignore[no-untyped-def]
    store, _, _, tmp = round_
    folder = tmp / "oversized"
    folder.mkdir()
    limit = Limits().max_file_bytes
    with (folder / "x.xlsx").open("wb") as fh:
        fh.truncate(limit + 1)  # sparse: the size check comes before any read
    (outcome,) = import_appraisals(store, mini_set, folder, settings)
    assert [f.rule for f in outcome.findings] == ["file.too_large"]
    assert f"giới hạn {limit} byte" in outcome.findings[0].message  # was "giới hạn 0 byte"


@pytest.mark.libreoffice
def test_appraisal_workbook_formulas_match_python_in_libreoffice(round_, mini_set, settings) -> None:  # type: ignore[no-untyped-def]
    from python_calamine import CalamineWorkbook

    from cchc_xl.office import convert
    from cchc_xl.reading.book import read_book

    store, written, _, tmp = round_
    folder = _fill_all(written, tmp / "filled", COUNCIL)
    outcomes = import_appraisals(store, mini_set, folder, settings)
    recalculated = convert(sorted(folder.iterdir()), "xlsx", tmp / "lo")
    for path, outcome in zip(recalculated, outcomes, strict=True):
        names = read_book(path, "xlsx").names
        sheet, row, col = names["TONG_TD"]
        values = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        assert Decimal(repr(values[row][col])) == outcome.result.total
        sheet, row, col = names["XEP_LOAI_TD"]
        assert values[row][col] == outcome.result.tier


@pytest.mark.libreoffice
def test_a_reason_of_whitespace_is_missing_in_the_workbook_and_in_python(round_, mini_set, settings) -> None:  # type: ignore[no-untyped-def]
    """Spaces, no-break spaces, line breaks and tabs are no reason: the status formula, recalculated by
    LibreOffice, and the importer agree."""
    from python_calamine import CalamineWorkbook

    from cchc_xl.office import convert
    from cchc_xl.reading.book import read_book
    from cchc_xl.templates import template

    store, written, _, tmp = round_
    folder = tmp / "reasons"
    folder.mkdir()
    reasons = {"blank": " \u00a0\n\t\u200b\ufeff", "given": "\u00a0Chỉ có một hình thức\n"}
    for label, reason in reasons.items():
        _set(written[0], {**COUNCIL, "LD_1_2": reason}, folder / f"{label}.xlsx")
    t = template("appraisal")
    status_col = list(t["columns"]).index("status")
    want = {"blank": t["status"]["reason_missing"], "given": t["status"]["ok"]}
    for path in convert(sorted(folder.iterdir()), "xlsx", tmp / "reasons-lo"):
        sheet, row, _ = read_book(path, "xlsx").names["LD_1_2"]
        values = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        assert values[row][status_col] == want[path.stem], path.stem
    blank, given = import_appraisals(store, mini_set, folder, settings)
    assert "appraisal.reason_missing" in {f.rule for f in blank.findings}
    assert "appraisal.reason_missing" not in {f.rule for f in given.findings}


def test_a_moved_name_in_an_appraisal_workbook_is_tampering(round_, mini_set, settings) -> None:  # type: ignore[no-untyped-def]
    """Only xl/workbook.xml edited: TD_1_2 pointed at another cell holding a higher score. The name is
    reported, and the score read is the one in the layout's cell (what Excel shows), not the forged one."""
    import re
    import zipfile

    store, written, _, tmp = round_
    folder = _fill_all(written[:1], tmp / "forged", COUNCIL)
    path = next(folder.iterdir())
    wb = openpyxl.load_workbook(path)
    ((sheet, ref),) = list(wb.defined_names["TD_1_2"].destinations)
    wb[sheet]["Z1"] = 99  # what the forged name now points at
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts["xl/workbook.xml"] = re.sub(rb'(<definedName name="TD_1_2">[^<]*!)\$[A-Z]+\$\d+', rb"\g<1>$Z$1",
                                      parts["xl/workbook.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    (outcome,) = import_appraisals(store, mini_set, folder, settings)
    moved = [f for f in outcome.findings if f.rule == "tamper.name_moved"]
    assert outcome.status == "rejected" and len(moved) == 1
    assert "TD_1_2" in moved[0].message and "Z1" in moved[0].message and ref.replace("$", "") in moved[0].message
    assert outcome.result is not None and outcome.result.points["1.2"] == Decimal("0.5")


def test_two_appraisal_files_for_one_commune_in_one_run_are_not_a_silent_supersede(round_, mini_set, settings) -> None:  # type: ignore[no-untyped-def]
    store, written, _, tmp = round_
    folder = _fill_all(written[:1], tmp / "twice", COUNCIL)
    first = next(folder.iterdir())
    _set(first, {**COUNCIL, "TD_1_2": 1, "LD_1_2": None}, folder / f"z-{first.name}")
    a, b = import_appraisals(store, mini_set, folder, settings)
    assert "appraisal.duplicate_kept" in {f.rule for f in a.findings} and a.recorded
    assert [f.rule for f in b.findings if f.severity == "error"] == ["appraisal.duplicate"] and not b.recorded
    assert a.file in b.findings[-1].message
    code = store.all_latest()[0].commune_code
    assert store.current_appraisal(code).scores["1.2"].appraised_points == Decimal("0.5")


# -- the printed minutes (biên bản thẩm định) ------------------------------------------------------------
# What the council sees of one submission (mini set), as the store would give it: item -> self-score,
# declared figures, evidence register line.
SUBMISSION = {
    "1.1.1": (Decimal("1"), [], "12/KH-UBND (15/01/2022): ke-hoach.pdf"),
    "1.2": (Decimal("1.5"), [], ""),
    "1.3": (Decimal("1.5"), ["2"], ""),
    "2.1.1": (Decimal("2"), ["129", "129"], ""),
    "2.1.3": (Decimal("1.8"), ["450.5", "500"], ""),
}
BODY, PLACE = "UBND huyện Bắc Yên", "Bắc Yên"


def _minutes(mini_set, folder: Path, *, links: dict[str, str] | None = None, shown_file: str = "hop-thu/x.xlsx",
             council: dict[str, Decimal] | None = None) -> tuple[Path, AppraisalLayout]:  # type: ignore[no-untyped-def]
    commune = Commune(code="03898", name="Phiêng Ban", kind="xã")
    scores = {code: s for code, (s, _f, _e) in SUBMISSION.items()}
    view = SubmissionView(id=7, sha256="0" * 64, file_name=shown_file, scores=scores,
                          figures={c: f for c, (_s, f, _e) in SUBMISSION.items() if f},
                          explanations={}, evidence={c: [e] for c, (_s, _f, e) in SUBMISSION.items() if e},
                          evidence_links=links or {}, findings={})
    inputs = AppraisalInputs(scores={**scores, **(council or {})}, appraiser="Lò Văn Bình")
    lay = build_appraisal_layout(mini_set, commune, view, inputs, identity=RoundIdentity.of(BODY, PLACE, [commune]))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / appraisal_file_name(commune)
    AppraisalWorkbookWriter(lay, load_settings(folder)).write(path)
    return path, lay


def _texts(ws) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(c.value) for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_the_minutes_are_in_official_form(mini_set, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """NĐ30 heading (the body in full, the council, Quốc hiệu and tiêu ngữ, place and date line), the title,
    the secretary's, members' and chairman's signature blocks; the file shown by its name, not its inbox path."""
    path, _lay = _minutes(mini_set, tmp_path / "td")
    ws = openpyxl.load_workbook(path)["Thẩm định"]
    texts = _texts(ws)
    head = [ws.cell(row=r, column=1).value for r in (1, 2)] + [ws.cell(row=r, column=6).value for r in (1, 2)]
    assert head == ["ỦY BAN NHÂN DÂN HUYỆN BẮC YÊN", "HỘI ĐỒNG THẨM ĐỊNH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH",
                    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    date_line = ws.cell(row=4, column=6)
    assert date_line.value.startswith("=IF(ISNUMBER(") and "NGAY_THAM_DINH" not in date_line.value
    for text in ("BIÊN BẢN THẨM ĐỊNH", "THƯ KÝ HỘI ĐỒNG", "CÁC THÀNH VIÊN HỘI ĐỒNG", "TM. HỘI ĐỒNG THẨM ĐỊNH",
                 "CHỦ TỊCH HỘI ĐỒNG"):
        assert text in texts, text
    subtitle = next(t for t in texts if t.startswith("Theo "))
    assert "x.xlsx" in subtitle and "hop-thu" not in subtitle
    assert not any("bộ tiêu chí bộ tiêu chí" in t.lower() for t in texts)
    # the appraiser's name and the date are typed in a column wide enough for them (no "###")
    for name in ("NGUOI_THAM_DINH", "NGAY_THAM_DINH"):
        ((_sheet, ref),) = list(ws.parent.defined_names[name].destinations)
        letter = "".join(ch for ch in ref if ch.isalpha())
        assert ws.column_dimensions[letter].width >= 20, name


def test_changed_scores_are_highlighted_and_figures_labelled(mini_set, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, lay = _minutes(mini_set, tmp_path / "td", council={"1.2": Decimal("0.5")})
    wb = openpyxl.load_workbook(path)
    ws = wb["Thẩm định"]
    marked = {str(rng.sqref): rule.formula[0] for rng in ws.conditional_formatting for rule in rng.rules}
    commune_items = {leaf.code for leaf in mini_set.commune_leaves()}
    for code, (row, col) in lay.items.items():
        ref = f"{openpyxl.utils.get_column_letter(col + 1)}{row + 1}"
        assert (ref in marked) == (code in commune_items), code  # body-scored items have no self-score
    ((_sheet, ref),) = list(wb.defined_names["TD_1_2"].destinations)
    assert "<>N(" in marked[ref.replace("$", "")]
    figures_col = 5  # "Số liệu kê khai"
    row_of = {code: row for code, (row, _col) in lay.items.items()}
    assert ws.cell(row=row_of["2.1.1"] + 1, column=figures_col).value == \
        "Số hồ sơ đúng hạn: 129\nTổng số hồ sơ: 129"
    assert ws.cell(row=row_of["2.1.3"] + 1, column=figures_col).value == \
        "Số thu thực hiện (triệu đồng): 450,5\nDự toán giao (triệu đồng): 500"
    # counts as integers, points with two decimals
    ((_sheet, ref),) = list(wb.defined_names[f"TH_{mini_set.bonus.items[0].code}"].destinations)
    assert ws[ref.replace("$", "")].number_format == "0"
    ((_sheet, ref),) = list(wb.defined_names["TD_1_2"].destinations)
    assert ws[ref.replace("$", "")].number_format == "0.00"


def test_the_minutes_print_discipline(mini_set, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Explicit fonts (no theme scheme), the status column and nothing below the signatures outside the print
    area, a print scale of at least 85 %, no page break right after a heading."""
    path, lay = _minutes(mini_set, tmp_path / "td")
    with zipfile.ZipFile(path) as z:
        styles = z.read("xl/styles.xml").decode()
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        book = z.read("xl/workbook.xml").decode()
    fonts = re.findall(r"<font>.*?</font>|<font/>", re.search(r"<fonts.*?</fonts>", styles, re.S).group(0), re.S)
    assert fonts and all("Times New Roman" in f and "<scheme" not in f for f in fonts)
    scale = int(re.search(r'<pageSetup[^>]*scale="(\d+)"', sheet).group(1))
    assert 85 <= scale <= 100
    area = re.search(r'_xlnm.Print_Area"[^>]*>([^<]*)<', book).group(1)
    status = openpyxl.utils.get_column_letter(lay.print_cols + 1)
    assert area.endswith(f"${lay.last_row + 1}") and f"${status}$" not in area
    breaks = [int(b) for b in re.findall(r'<brk id="(\d+)"', sheet)]
    assert all(b - 1 not in lay.keep_with_next for b in breaks)  # 1-based row after the break's 0-based row


def test_evidence_links_survive_a_moved_folder(mini_set, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The link is relative to the workbook: after the round's folder is moved, it still leads to the file."""
    root = tmp_path / "dot-2026"
    evidence = root / "hop-thu" / "03898-phieng-ban-tlkc"
    evidence.mkdir(parents=True)
    (evidence / "ke-hoach.pdf").write_bytes(b"%PDF-1.4\n")
    path, _lay = _minutes(mini_set, root / "tham-dinh", links={"1.1.1": str(evidence / "ke-hoach.pdf")})
    moved = tmp_path / "elsewhere" / "dot-2026-copy"
    moved.parent.mkdir()
    shutil.move(root, moved)
    book = moved / "tham-dinh" / path.name
    with zipfile.ZipFile(book) as z:
        rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
    (target,) = re.findall(r'Target="([^"]+)" TargetMode="External"', rels)
    relative = urllib.parse.unquote(target).replace("\\", "/")
    assert not Path(relative).is_absolute()
    assert (book.parent / relative).resolve() == (moved / "hop-thu" / "03898-phieng-ban-tlkc" / "ke-hoach.pdf")


def test_page_breaks_keep_headings_with_their_first_items() -> None:
    from cchc_xl.workbook.sheetkit import page_breaks

    # rows of 10 pt on pages of 35 pt, the header (row 0, 5 pt) repeated: rows 3 and 4 are headings
    heights = [5.0] + [10.0] * 9
    assert page_breaks(heights, 35.0, repeated=5.0) == [4, 7]
    assert page_breaks(heights, 35.0, repeated=5.0, keep_with_next={3}) == [3, 6, 9]
    assert page_breaks(heights, 35.0, repeated=5.0, keep_with_next={2, 3}) == [2, 5, 8]
    assert page_breaks([5.0, 50.0, 10.0], 35.0) == [1, 2]  # a row taller than a page: a page of its own


def _font_scales(pdf: Path, header: str, size: float) -> list[float]:
    """Per page, the printed size of the header cell `header` (written at `size` pt) over `size`."""
    import math

    from pypdf import PdfReader

    scales = []
    for page in PdfReader(pdf).pages:
        found: list[float] = []

        def visit(text, cm, tm, _font, font_size, found=found):  # type: ignore[no-untyped-def]
            if text.strip() == header:
                found.append(font_size * math.hypot(tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]))

        page.extract_text(visitor_text=visit)
        scales.append(max(found, default=0.0) / size)
    return scales


@pytest.mark.libreoffice
def test_the_minutes_and_the_answer_workbook_print_on_a4_at_85_percent_or_more(bundled_set, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Printed with LibreOffice: the bundled set's minutes and an answer workbook, A4 landscape; every page
    at ≥ 85 % of the font size, a bounded number of pages, none empty; the date line from the date typed."""
    import unicodedata

    from pypdf import PdfReader

    from cchc_xl.appraisal.answers import ChangedItem, build_answer_layout
    from cchc_xl.office import convert

    commune = Commune(code="03898", name="Tường Phong", kind="xã")
    leaves = bundled_set.commune_leaves()
    scores = {leaf.code: leaf.max for leaf in leaves}
    view = SubmissionView(id=1, sha256="0" * 64, file_name="hop-thu/03898.xlsx", scores=scores,
                          figures={leaf.code: ["129", "140"] for leaf in leaves if leaf.rule.computed},
                          explanations={}, evidence={leaf.code: ["12/KH-UBND (15/01/2022): ke-hoach.pdf"]
                                                     for leaf in leaves},
                          evidence_links={}, findings={})
    settings = load_settings(tmp_path)
    lay = build_appraisal_layout(bundled_set, commune, view, AppraisalInputs(scores=dict(scores)),
                                 identity=RoundIdentity.of(BODY, PLACE, [commune]))
    minutes = tmp_path / "td" / "bien-ban.xlsx"
    minutes.parent.mkdir()
    AppraisalWorkbookWriter(lay, settings).write(minutes)
    _set(minutes, {"NGAY_THAM_DINH": dt.datetime(2027, 2, 5)})
    changed = [ChangedItem(leaf.code, leaf.max, Decimal(0), "Thiếu TLKC") for leaf in leaves[:6]]
    alay = build_answer_layout(bundled_set, commune, view, changed, dt.date(2027, 3, 1), "2027-02-05T10:00:00",
                               Decimal("80.5"))
    answer = tmp_path / "td" / "giai-trinh.xlsx"
    AppraisalWorkbookWriter(alay, settings, kind="answer", template_name="answer").write(answer)

    pdf_minutes, pdf_answer = convert([minutes, answer], "pdf", tmp_path / "pdf")
    pages = [unicodedata.normalize("NFC", p.extract_text() or "") for p in PdfReader(pdf_minutes).pages]
    assert 2 <= len(pages) <= len(leaves) // 5 + 2
    assert "Bắc Yên, ngày 05 tháng 02 năm 2027" in pages[0]
    assert "CHỦ TỊCH HỘI ĐỒNG" in pages[-1] and "TỔNG ĐIỂM THẨM ĐỊNH" in pages[-1]
    header = "".join(pages[1].split("\n")[:3])
    assert all(len(text) > len(header) + 40 for text in pages)  # every page has rows, not just the header
    assert all(s >= 0.85 for s in _font_scales(pdf_minutes, "Mã", 11)), _font_scales(pdf_minutes, "Mã", 11)
    for page in PdfReader(pdf_minutes).pages:
        assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape A4
        assert abs(float(page.mediabox.width) - 841.89) < 1.5

    answer_pages = [unicodedata.normalize("NFC", p.extract_text() or "") for p in PdfReader(pdf_answer).pages]
    register = [i for i, text in enumerate(answer_pages) if "TÀI LIỆU KIỂM CHỨNG BỔ SUNG" in text]
    assert len(register) == 1 and register[0] == len(answer_pages) - 1  # the register sheet: one page
    assert 1 <= register[0] <= 2  # the answers: one or two pages
    assert all(s >= 0.85 for s in _font_scales(pdf_answer, "Mã", 11)[: register[0]])
    assert _font_scales(pdf_answer, "Mã tiêu chí", 11)[register[0]] >= 0.85
