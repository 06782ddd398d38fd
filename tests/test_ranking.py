"""The ranking workbook (`cchc-xl report`): ranks, ties and tiers against an independent pandas computation,
final scores, user text kept as text, protection and print set-up, LibreOffice opening and PDF export."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import unicodedata
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.office import convert
from cchc_xl.reports.ranking import write_ranking, write_report_workbook
from cchc_xl.reports.ranking_data import (
    FinalScores,
    RankingInput,
    commune_result,
    competition_ranks,
    from_store,
    previous_totals,
)
from cchc_xl.store import AppraisedScore, Store
from cchc_xl.templates import template

T = template("ranking")
DEADLINE = dt.datetime(2022, 10, 5, 17, 0)
INJECT = "=cmd|' /C calc'!A0"
INJECT_SUM = "=SUM(A1)"
INJECT_REASON = "=HYPERLINK(\"http://x\",\"y\")"
PASSWORD = "test-pw"

# openpyxl does not read the data-bar extension XlsxWriter writes; irrelevant to what these tests check.
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


# -- a synthetic store of 27 communes -----------------------------------------------------------------
def _points(rng: random.Random, leaf_max: Decimal) -> Decimal:
    choices = [leaf_max, leaf_max, leaf_max, leaf_max - min(leaf_max, Decimal("0.25")),
               leaf_max - min(leaf_max, Decimal("0.5")), Decimal(0)]
    return rng.choice(choices)


def build_store(path: Path, cset: CriteriaSet, communes: list[Commune]) -> dict[str, dict[str, Decimal]]:
    """Record one submission per commune (two for one of them); returns the scores that count, by code.

    Ties by construction: communes 3 and 7 score full marks (tied first: 1, 1, 3); communes 12 and 20
    have the same scores. Commune 10 explains two zero-scored items with formula-like text.
    """
    rng = random.Random(2022)
    leaves = cset.commune_leaves()
    scores: dict[str, dict[str, Decimal]] = {}
    for c in communes:
        scores[c.code] = {leaf.code: _points(rng, leaf.max) for leaf in leaves}
    for i in (3, 7):
        scores[communes[i].code] = {leaf.code: leaf.max for leaf in leaves}
    scores[communes[20].code] = dict(scores[communes[12].code])
    scores[communes[10].code][leaves[0].code] = Decimal(0)
    scores[communes[10].code][leaves[1].code] = Decimal(0)
    store = Store(path)
    try:
        for i, c in enumerate(communes):
            pts = scores[c.code]
            explanations = {leaves[0].code: INJECT, leaves[1].code: INJECT_SUM} if i == 10 else {}
            declared = {
                "leaves": {code: {"value": str(v), "figures": [], "explanation": explanations.get(code, "")}
                           for code, v in pts.items()},
                "register": [{"criterion": code, "number": f"{n}/KH-UBND"} for n, (code, v) in enumerate(pts.items())
                             if v > 0 and n % 4 != 0],
                "difficulties": "", "recommendations": "",
            }
            findings = [{"severity": "warning", "rule": "register.no_file", "message": "w"}] * (i % 3)
            status = "accepted_with_warnings" if findings else "accepted"
            if i == 15:
                findings = [*findings, {"severity": "error", "rule": "score.above_max", "criterion": "1.2",
                                        "message": "e"}]
                status = "rejected"
            total = sum(pts.values(), Decimal(0))
            received = dt.datetime(2022, 10, 1 + i % 8, 9, 30).astimezone()
            if i == 5:  # an earlier version that no longer counts
                _record(store, cset, c, "old", received - dt.timedelta(days=1), "accepted", Decimal(1), {}, {}, [])
            _record(store, cset, c, "v", received, status, total, declared,
                    {code: str(v) for code, v in pts.items()}, findings)
    finally:
        store.close()
    return scores


def _record(store: Store, cset: CriteriaSet, c: Commune, tag: str, received: dt.datetime, status: str,
            total: Decimal, declared: dict[str, Any], scores: dict[str, str], findings: list[dict[str, Any]]) -> None:
    store.record_submission(
        commune_code=c.code, commune_name=c.name, commune_kind=c.kind, file_name=f"{c.code}-{tag}.xlsx",
        sha256=hashlib.sha256(f"{c.code}{tag}".encode()).hexdigest(), received_at=received.isoformat(),
        set_id=cset.id, set_version=cset.version, status=status, counts=True, self_total=total,
        tier=cset.tier_for(total), declared=declared, scores=scores, findings=findings)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, bundled_set: CriteriaSet,
          communes: list[Commune]) -> tuple[Path, dict[str, dict[str, Decimal]]]:
    assert len(communes) == 27
    db = tmp_path_factory.mktemp("store") / "cchc.sqlite"
    return db, build_store(db, bundled_set, communes)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, built: tuple[Path, Any], bundled_set: CriteriaSet,
           communes: list[Commune]) -> Path:
    out = tmp_path_factory.mktemp("report") / "xep-hang.xlsx"
    extra = Commune(code="99999", name="Chưa Nộp", kind="xã")
    summary = write_ranking(built[0], bundled_set, out, [*communes, extra], final={}, deadline=DEADLINE,
                            generated_at=dt.datetime(2022, 12, 20, 8, 0), password=PASSWORD)
    # commune 15's return was rejected: received, listed apart, never ranked
    assert summary.ranked == 26 and summary.received == 27 and summary.listed == 28
    assert summary.stage == "self" and summary.cards == "sheets"
    return out


def _table(ws: Any, header_text: str = "Hạng") -> pd.DataFrame:
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r and r[0] == header_text)
    header = [str(h) if h is not None else f"c{j}" for j, h in enumerate(rows[start])]
    body = []
    for r in rows[start + 1:]:
        if r[0] is None or isinstance(r[0], str):
            break
        body.append(r)
    return pd.DataFrame(body, columns=header)


# -- ranks, ties and tiers ---------------------------------------------------------------------------
def test_ranks_ties_and_tiers_equal_an_independent_pandas_computation(report: Path, built: tuple[Path, Any],
                                                                      bundled_set: CriteriaSet,
                                                                      communes: list[Commune]) -> None:
    _, scores = built
    rejected = communes[15].code
    expected = pd.DataFrame([{"code": code, "total": float(sum(pts.values()))} for code, pts in scores.items()
                             if code != rejected])
    expected["total"] = expected["total"].round(2)
    expected["rank"] = expected["total"].rank(method="min", ascending=False).astype(int)
    # self-assessed totals leave the district-scored points out: no tier before the appraisal
    assert bundled_set.body_max > 0
    expected["tier"] = ""
    expected = expected.sort_values(["rank", "code"]).reset_index(drop=True)

    wb = openpyxl.load_workbook(report)
    cols = T["ranking"]["columns"]
    got = _table(wb[T["sheets"]["ranking"]], cols["rank"].header)
    got = got.rename(columns={cols["rank"].header: "rank", cols["code"].header: "code", cols["total"].header: "total",
                              cols["tier"].header: "tier"})[["code", "total", "rank", "tier"]]
    got["rank"] = got["rank"].astype(int)
    got["tier"] = got["tier"].fillna("")
    pd.testing.assert_frame_equal(got, expected[["code", "total", "rank", "tier"]], check_dtype=False)
    # the ties built into the data: two communes share rank 1, the next is 3
    assert list(got["rank"][:3]) == [1, 1, 3]
    assert got["rank"].duplicated().sum() >= 2
    # the points per area add up to the total
    table = _table(wb[T["sheets"]["ranking"]], cols["rank"].header)
    areas = [c for c in table.columns if "\n" in c]
    assert len(areas) == len(bundled_set.areas)
    assert (table[areas].sum(axis=1).round(2) == table[cols["total"].header]).all()
    texts = _sheet_texts(wb[T["sheets"]["ranking"]])
    assert T["tie_rule"] in texts
    assert T["stage_line"].format(stage=T["stage"]["self"]) in texts


def test_every_data_sheet_states_which_score(report: Path) -> None:
    wb = openpyxl.load_workbook(report)
    line = T["stage_line"].format(stage=T["stage"]["self"])
    for key in ("ranking", "charts", "areas", "criteria", "priorities"):
        assert line in _sheet_texts(wb[T["sheets"][key]]), key
    assert T["stage"]["self"] in _sheet_texts(wb[T["sheets"]["cover"]])


def test_competition_ranks_use_the_rounded_total() -> None:
    ranks = competition_ranks({"a": Decimal("90.00"), "b": Decimal("90.00"), "c": Decimal("80.5"),
                               "d": Decimal("80.50"), "e": Decimal("70")})
    assert ranks == {"a": 1, "b": 1, "c": 3, "d": 3, "e": 5}


def test_ranks_are_on_the_total_rounded_to_two_decimals(bundled_set: CriteriaSet) -> None:
    def result(code: str, total: str) -> Any:
        return commune_result(bundled_set, code, code, "xã", self_scores={}, self_total=Decimal(total))

    data = RankingInput(cset=bundled_set, results=[result("c", "80.004"), result("a", "80.001"),
                                                   result("b", "80.005"), result("d", "79.995")])
    assert [(r.code, r.rank, str(r.score)) for r in data.results] == [
        ("b", 1, "80.01"), ("a", 2, "80.00"), ("c", 2, "80.00"), ("d", 2, "80.00")]
    # self-assessed totals without the district-scored points get no tier (scoring.self_tier)
    assert [r.tier for r in data.results] == [""] * 4


def test_cover_lists_tiers_and_the_three_highest_and_lowest(report: Path, built: tuple[Path, Any],
                                                            communes: list[Commune]) -> None:
    _, scores = built
    wb = openpyxl.load_workbook(report)
    texts = _sheet_texts(wb[T["sheets"]["cover"]])
    names = {c.code: c.display for c in communes}
    order = sorted((c for c in scores if c != communes[15].code), key=lambda code: (-sum(scores[code].values()), code))
    for code in order[:3] + order[-3:]:
        assert names[code] in texts
    assert "1550/QĐ-UBND" in " ".join(texts)
    assert T["cover"]["cards_sheets"].format(progress=T["sheets"]["progress"]) in texts


# -- user text stays text ------------------------------------------------------------------------------
def _sheet_texts(ws: Any) -> list[str]:
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def _assert_formula_like_text_is_text(path: Path, needles: list[str]) -> dict[str, int]:
    wb = openpyxl.load_workbook(path)
    found = dict.fromkeys(needles, 0)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str) and cell.value in found:
                    assert cell.data_type == "s", f"{ws.title}!{cell.coordinate}"
                    found[cell.value] += 1
    return found


def test_an_explanation_beginning_with_equals_is_text_in_every_output_workbook(
        report: Path, built: tuple[Path, Any], bundled_set: CriteriaSet, communes: list[Commune],
        tmp_path: Path) -> None:
    found = _assert_formula_like_text_is_text(report, [INJECT, INJECT_SUM])
    assert found[INJECT] >= 1 and found[INJECT_SUM] >= 1
    # the summary form of the result sheets (many communes) and a cover+ranking print
    store = Store(built[0])
    try:
        data = from_store(store, bundled_set, communes, final={})
    finally:
        store.close()
    summary = tmp_path / "summary.xlsx"
    assert write_report_workbook(data, summary, password=PASSWORD, cards_limit=5).cards == "summary"
    _assert_formula_like_text_is_text(summary, [])
    wb = openpyxl.load_workbook(summary)
    cards = wb[T["sheets"]["cards"]]
    cells = [c for row in cards.iter_rows() for c in row if isinstance(c.value, str) and INJECT in c.value]
    assert len(cells) == 1 and cells[0].data_type == "s" and INJECT_SUM in cells[0].value
    assert T["cards"]["explanation"].format(text=INJECT) in cells[0].value  # (each deduction's line, as worded)
    assert T["cover"]["cards_summary"].format(count=26, limit=5, sheet=T["sheets"]["cards"],
                                              areas=T["sheets"]["areas"]) in _sheet_texts(wb[T["sheets"]["cover"]])
    # one row per ranked commune
    codes = [r[0] for r in cards.iter_rows(values_only=True) if isinstance(r[0], str) and r[0].isdigit()]
    assert sorted(codes) == sorted(c.code for i, c in enumerate(communes) if i != 15)
    print_only = tmp_path / "print.xlsx"
    write_report_workbook(data, print_only, password=PASSWORD, parts=("cover", "ranking"))
    assert openpyxl.load_workbook(print_only).sheetnames == [T["sheets"]["cover"], T["sheets"]["ranking"],
                                                             T["sheets"]["unranked"]]
    _assert_formula_like_text_is_text(print_only, [])


# -- structure: protection, print set-up, charts, progress --------------------------------------------------
def test_every_sheet_is_protected_and_print_ready(report: Path) -> None:
    wb = openpyxl.load_workbook(report)
    assert wb.security is not None and wb.security.lockStructure
    matrix = T["sheets"]["criteria"]
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        assert ws.page_setup.paperSize == 9, ws.title
        # a print scale that fills the width, 85 % or more; the item matrix at 100 %, its pages cut between areas
        assert not (ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage), ws.title
        assert 85 <= (ws.page_setup.scale or 100) <= 100, ws.title
        assert "&P" in (ws.oddFooter.center.text or ""), ws.title
        assert ws.print_area, ws.title
    assert wb[matrix].col_breaks.count >= 2 and wb[matrix].print_title_cols == "$A:$C"
    assert wb[matrix].page_setup.scale in (None, 100)
    for key in ("ranking", "unranked", "areas", "criteria", "priorities", "progress"):
        assert wb[T["sheets"][key]].print_title_rows, key
    # one result sheet per ranked commune, after the progress board
    names = wb.sheetnames
    first_card = names.index(T["sheets"]["progress"]) + 1
    assert len(names[first_card:]) == 26 + 1  # + the chart data sheet
    fonts = {c.font.name for ws in wb.worksheets for row in ws.iter_rows(max_row=12) for c in row if c.value}
    assert fonts == {"Times New Roman"}
    # the file names on the progress board do not print
    progress = wb[T["sheets"]["progress"]]
    assert progress.print_area.endswith(f"$L${progress.max_row}")


def test_native_charts_are_written(report: Path) -> None:
    with zipfile.ZipFile(report) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 4
        kinds = "".join(z.read(n).decode() for n in charts)
    assert "<c:barChart>" in kinds and 'val="stacked"' in kinds and "<c:colChart>" not in kinds
    assert kinds.count("<c:ser>") >= 1 + 8 + 2 + 1


def test_progress_board(report: Path, built: tuple[Path, Any], communes: list[Commune]) -> None:
    wb = openpyxl.load_workbook(report)
    cols = T["progress"]["columns"]
    df = _table(wb[T["sheets"]["progress"]], cols["stt"].header)
    df = df.set_index(cols["code"].header)
    assert len(df) == 28
    assert df.loc["99999", cols["received"].header] == T["progress"]["not_received"]
    bad = communes[15].code
    assert df.loc[bad, cols["status"].header] == T["progress"]["status"]["rejected"]
    assert df.loc[bad, cols["errors"].header] == 1
    assert df.loc[communes[2].code, cols["warnings"].header] == 2
    assert df.loc[communes[5].code, cols["version"].header] == 2
    yes, no = T["progress"]["yes_no"]
    on_time = {c.code: (dt.datetime(2022, 10, 1 + i % 8, 9, 30) <= DEADLINE) for i, c in enumerate(communes)}
    for code, expected in on_time.items():
        assert df.loc[code, cols["on_time"].header] == (yes if expected else no)
    coverage = df[cols["coverage"].header].dropna()
    assert ((coverage > 0.5) & (coverage <= 1)).all()


def test_priorities_are_sorted_by_points_lost(report: Path, built: tuple[Path, Any], bundled_set: CriteriaSet,
                                              communes: list[Commune]) -> None:
    _, scores = built
    scores = {code: pts for code, pts in scores.items() if code != communes[15].code}  # rejected: not counted
    wb = openpyxl.load_workbook(report)
    cols = T["priorities"]["columns"]
    df = _table(wb[T["sheets"]["priorities"]], cols["stt"].header)
    lost = df[cols["lost"].header].astype(float)
    scored = lost.dropna()
    assert list(scored) == sorted(scored, reverse=True)
    # items nobody has scored yet (district-scored, before appraisal) come last, without a number
    unscored = df[lost.isna()]
    assert list(unscored.index) == list(range(len(scored), len(df)))
    district = {leaf.code for leaf in bundled_set.leaves() if leaf.scored_by == "district"}
    assert set(unscored[cols["code"].header]) == district
    maxima = {leaf.code: leaf.max for leaf in bundled_set.commune_leaves()}
    independent = pd.DataFrame([{"code": code, "lost": float(maxima[code] - v)}
                                for pts in scores.values() for code, v in pts.items()]).groupby("code")["lost"].sum()
    got = df.set_index(cols["code"].header)[cols["lost"].header]
    for code, value in independent.items():
        assert got[code] == pytest.approx(value)


# -- final scores ------------------------------------------------------------------------------------------
def test_final_scores_rank_mixed_and_reasons_are_text(built: tuple[Path, Any], bundled_set: CriteriaSet,
                                                      communes: list[Commune], tmp_path: Path) -> None:
    _, scores = built
    leaves = bundled_set.leaves()
    final: dict[str, FinalScores] = {}
    expected_final: dict[str, float] = {}
    for i, c in enumerate(communes[:9]):
        pts = {leaf.code: (scores[c.code].get(leaf.code, leaf.max / 2), "") for leaf in leaves}
        pts[leaves[2].code] = (Decimal(0), INJECT_REASON)
        bonus, penalty = Decimal(i), Decimal(1)  # bonus above the cap (3) for some
        final[c.code] = FinalScores(leaves=pts, bonus=bonus, penalty=penalty)
        raw = sum(float(p or 0) for p, _ in pts.values()) + min(float(bonus), 3) - min(float(penalty), 5)
        expected_final[c.code] = round(max(raw, 0), 2)
    out = tmp_path / "final.xlsx"
    summary = write_ranking(built[0], bundled_set, out, communes, final=final, password=PASSWORD)
    assert summary.stage == "mixed"
    wb = openpyxl.load_workbook(out)
    cols = T["ranking"]["columns"]
    df = _table(wb[T["sheets"]["ranking"]], cols["rank"].header).set_index(cols["code"].header)
    for code, value in expected_final.items():
        assert df.loc[code, cols["total"].header] == pytest.approx(value)
        assert df.loc[code, cols["stage"].header] == T["stage_short"]["final"]
    independent = pd.Series({code: expected_final.get(code, round(float(sum(pts.values())), 2))
                             for code, pts in scores.items() if code != communes[15].code})
    ranks = independent.rank(method="min", ascending=False).astype(int)
    assert (df[cols["rank"].header].astype(int).sort_index() == ranks.sort_index()).all()
    found = _assert_formula_like_text_is_text(out, [INJECT_REASON, INJECT])
    assert found[INJECT_REASON] == 9 and found[INJECT] >= 1
    assert T["stage_line"].format(stage=T["stage"]["mixed"]) in _sheet_texts(wb[T["sheets"]["ranking"]])


def test_final_total_caps_bonus_and_penalty_and_never_goes_below_zero(bundled_set: CriteriaSet) -> None:
    leaves = bundled_set.leaves()
    zero = FinalScores(leaves={leaf.code: (Decimal(0), "") for leaf in leaves}, bonus=Decimal(0),
                       penalty=Decimal(9))
    r = commune_result(bundled_set, "1", "A", "xã", self_scores={}, self_total=Decimal(0), final=zero)
    assert r.final_total == Decimal("0.00") and r.penalty == Decimal("5.00")
    full = FinalScores(leaves={leaf.code: (leaf.max, "") for leaf in leaves}, bonus=Decimal(7), penalty=Decimal(0))
    r = commune_result(bundled_set, "2", "B", "xã", self_scores={}, self_total=Decimal(0), final=full)
    assert r.final_total == Decimal("103.00") and r.bonus == Decimal("3.00") and not r.deductions


def test_the_store_appraisal_is_used_when_no_final_mapping_is_given(built: tuple[Path, Any],
                                                                    bundled_set: CriteriaSet,
                                                                    communes: list[Commune], tmp_path: Path) -> None:
    db = tmp_path / "copy.sqlite"
    src = Store(built[0])
    try:
        src.db.execute("VACUUM INTO ?", (str(db),))
    finally:
        src.close()
    store = Store(db)
    try:
        c = communes[0]
        sub = store.latest(c.code)
        assert sub is not None
        scores = [AppraisedScore(leaf.code, None, leaf.max, "", True) for leaf in bundled_set.leaves()]
        store.record_appraisal(commune_code=c.code, submission_id=sub.id, file_name="td.xlsx", sha256="a" * 64,
                               appraiser="HĐ", imported_at="2022-11-01T08:00:00", status="accepted",
                               total=Decimal(100), tier="Xuất sắc", bonus=Decimal(0), penalty=Decimal(0),
                               scores=scores, adjustments=[], findings=[])
        data = from_store(store, bundled_set, communes)
        assert previous_totals(store)[c.code] == Decimal("100.00")
    finally:
        store.close()
    top = data.ranked[0]
    assert (top.code, top.rank, top.score, top.tier) == (c.code, 1, Decimal("100.00"), "Xuất sắc")
    assert data.stage == "mixed"


def test_previous_year_change(built: tuple[Path, Any], bundled_set: CriteriaSet, communes: list[Commune],
                              tmp_path: Path) -> None:
    _, scores = built
    previous = {c.code: Decimal("60.5") for c in communes[:10]}
    out = tmp_path / "prev.xlsx"
    write_ranking(built[0], bundled_set, out, communes, final={}, previous=previous, password=PASSWORD)
    wb = openpyxl.load_workbook(out)
    cols = T["ranking"]["columns"]
    df = _table(wb[T["sheets"]["ranking"]], cols["rank"].header).set_index(cols["code"].header)
    for code in previous:
        total = round(float(sum(scores[code].values())), 2)
        assert df.loc[code, cols["change"].header] == pytest.approx(total - 60.5)
        assert df.loc[code, cols["previous_rank"].header] == 1
    assert df.loc[communes[20].code, cols["change"].header] is None or pd.isna(df.loc[communes[20].code,
                                                                                   cols["change"].header])


def test_no_store_is_an_error(bundled_set: CriteriaSet, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_ranking(tmp_path / "none.sqlite", bundled_set, tmp_path / "r.xlsx")
    assert not (tmp_path / "none.sqlite").exists()


# -- LibreOffice -------------------------------------------------------------------------------------------
@pytest.mark.libreoffice
def test_libreoffice_opens_the_workbook_without_repair(report: Path, tmp_path: Path) -> None:
    (converted,) = convert([report], "xlsx", tmp_path / "lo")
    wb = openpyxl.load_workbook(converted)
    assert wb.sheetnames == openpyxl.load_workbook(report).sheetnames
    cols = T["ranking"]["columns"]
    original = _table(openpyxl.load_workbook(report)[T["sheets"]["ranking"]], cols["rank"].header)
    resaved = _table(wb[T["sheets"]["ranking"]], cols["rank"].header)
    assert list(resaved[cols["commune"].header]) == list(original[cols["commune"].header])
    assert list(resaved[cols["total"].header]) == list(original[cols["total"].header])


@pytest.mark.libreoffice
def test_pdf_of_cover_and_ranking_shows_the_first_ranked_commune(built: tuple[Path, Any],
                                                                 bundled_set: CriteriaSet,
                                                                 communes: list[Commune], tmp_path: Path) -> None:
    store = Store(built[0])
    try:
        data = from_store(store, bundled_set, communes, final={})
    finally:
        store.close()
    book = tmp_path / "in-an.xlsx"
    summary = write_report_workbook(data, book, password=PASSWORD, parts=("cover", "ranking"))
    (pdf,) = convert([book], "pdf", tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    reader = PdfReader(pdf)
    text = unicodedata.normalize("NFC", "\n".join(page.extract_text() or "" for page in reader.pages))
    assert summary.first and all(name in text for name in summary.first)
    assert T["sheets"]["cover"] in text or "KẾT QUẢ" in text
    assert unicodedata.normalize("NFC", T["ranking"]["title"].format(year=bundled_set.year)) in text
