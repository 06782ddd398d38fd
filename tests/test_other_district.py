"""A district that is not the bundled sample, end to end through the command line.

The set is built here: 70 points the commune scores itself and 30 the district scores (survey and SIPAS),
bonus and penalty blocks, numeric area codes, maxima such as 0.25 and 2.75. The units are the 16 of huyện
Bắc Yên (tests/data/bac-yen-communes.csv). `init → generate → fill → import → appraise → report`; then
every sheet of every workbook written is scanned for the bundled district's names, and the totals kept are
held against LibreOffice's recalculation of the returned and the appraised workbooks.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from cchc_xl.cli import cli
from cchc_xl.communes import load_communes, sample_communes
from cchc_xl.criteria import load_set
from cchc_xl.identity import RoundIdentity
from cchc_xl.samplegen.council import fill_appraisal
from cchc_xl.store import Store
from cchc_xl.templates import template
from cchc_xl.workbook.layout import build_layout
from conftest import DATA
from criteria_tables import raw_set, yaml_text
from import_corpus import fill
from workbook_fill import NamedValues, as_points

BAC_YEN = DATA / "bac-yen-communes.csv"
BODY = "UBND huyện Bắc Yên"

OTHER_SET = """
| level   | code  | title                                             | max   | rule                                        |
| area    | 1     | Công tác chỉ đạo, điều hành cải cách hành chính   | 40    |                                             |
| crit    | 1.1   | Kế hoạch cải cách hành chính năm                  | 10    | done                                        |
| crit    | 1.2   | Báo cáo, kiểm tra                                 | 30    |                                             |
| sub     | 1.2.1 | Báo cáo quý đúng hạn                              | 0.25  | done                                        |
| sub     | 1.2.2 | Báo cáo năm                                       | 2.75  | levels 2.75:Đủ, đúng hạn; 1.5:Muộn; 0:Không |
| sub     | 1.2.3 | Tự kiểm tra công tác cải cách hành chính          | 27    | manual step=0.25                            |
| area    | 2     | Cải cách thủ tục hành chính                       | 30    |                                             |
| crit    | 2.1   | Hồ sơ giải quyết đúng hạn                         | 30    | ratio_tiers 100%:30; 90%:20; 70%:10         |
| area    | 3     | Mức độ hài lòng của người dân                     | 30    |                                             |
| crit    | 3.1   | Điều tra xã hội học                               | 27.25 | district                                    |
| crit    | 3.2   | Chỉ số hài lòng SIPAS                             | 2.75  | district                                    |
| bonus   | 10    | Sáng kiến cải cách hành chính được công nhận      | 1     |                                             |
| penalty | 20    | Phản ánh, kiến nghị có căn cứ                     | 0.5   |                                             |
| tier    |       | Xuất sắc                                          | 90    |                                             |
| tier    |       | Tốt                                               | 80    |                                             |
| tier    |       | Khá                                               | 65    |                                             |
| tier    |       | Trung bình                                        | 50    |                                             |
| tier    |       | Yếu                                               | 0     |                                             |
"""


def other_set_yaml(folder: Path) -> Path:
    raw = raw_set(OTHER_SET, total=100, bonus_cap=3, penalty_cap="1.5", id="bac-yen-2026", year=2026,
                  title="Bộ tiêu chí đánh giá Chỉ số CCHC năm 2026 của UBND các xã, thị trấn huyện Bắc Yên",
                  decision={"number": "215/QĐ-UBND", "date": dt.date(2026, 2, 10), "issuer": BODY,
                            "title": "Ban hành Bộ tiêu chí đánh giá Chỉ số CCHC cấp xã"})
    path = folder / "bo-tieu-chi-bac-yen.yaml"
    path.write_text(yaml_text(raw), encoding="utf-8")
    return path


def run(*args: str) -> Result:
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli, list(args))


def _texts(path: Path) -> list[tuple[str, str, str]]:
    """(sheet, cell, text) of every text (values and formulas) on every sheet of a workbook."""
    wb = openpyxl.load_workbook(path)
    out = [(ws.title, "", ws.title) for ws in wb.worksheets]
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    out.append((ws.title, cell.coordinate, unicodedata.normalize("NFC", cell.value)))
    out += [("(names)", name, name) for name in wb.defined_names]
    return out


@pytest.fixture(scope="module")
def round_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole round, run once through the command line."""
    top = tmp_path_factory.mktemp("bac-yen")
    folder = top / "dot-2026"
    criteria = other_set_yaml(top)
    assert run("criteria", "check", str(criteria)).exit_code == 0
    result = run("init", str(folder), "--criteria", str(criteria), "--communes", str(BAC_YEN), "--year", "2026",
                 "--body", BODY, "--place", "Bắc Yên", "--deadline", "2026-11-30")
    assert result.exit_code == 0, result.output
    ws = ["--workspace", str(folder)]
    assert run("generate", *ws, "--out", str(folder / "1-bang")).exit_code == 0
    cset = load_set(criteria)
    inbox = folder / "2-hop-thu"
    inbox.mkdir()
    for blank in sorted((folder / "1-bang").glob("*.xlsx")):
        fill(blank, inbox / blank.name, cset, seed=blank.stem)
    result = run("import", str(inbox), *ws, "--out", str(folder / "3-tiep-nhan"))
    assert result.exit_code == 0, result.output
    result = run("appraise", "prepare", *ws, "--out", str(folder / "4-tham-dinh"))
    assert result.exit_code == 0, result.output
    filled = folder / "5-tham-dinh-da-nhap"
    filled.mkdir()
    for path in sorted((folder / "4-tham-dinh").glob("*.xlsx")):
        fill_appraisal(path, filled / path.name, cset, path.stem)
    result = run("appraise", "import", str(filled), *ws, "--out", str(folder / "6-ket-qua-tham-dinh"))
    assert result.exit_code == 0, result.output
    assert run("appraise", "finalize", *ws, "--by", "Phòng Nội vụ huyện Bắc Yên").exit_code == 0
    result = run("report", *ws, "--out", str(folder / "7-xep-hang.xlsx"))
    assert result.exit_code == 0, result.output
    assert "16/16" in result.output or "16 đơn vị" in result.output, result.output
    return folder


def test_nothing_of_the_bundled_district_appears_in_any_sheet(round_dir: Path) -> None:
    ours = {c.name for c in load_communes(BAC_YEN)}
    bundled = {unicodedata.normalize("NFC", c.name) for c in sample_communes()} - ours
    forbidden = sorted(bundled | {"Phù Yên", "03922", "gia-phu"})
    books = sorted(round_dir.rglob("*.xlsx"))
    kinds = {p.parent.name for p in books}
    assert {"1-bang", "2-hop-thu", "4-tham-dinh", "5-tham-dinh-da-nhap"} <= kinds and len(books) > 4 * 16
    assert (round_dir / "7-xep-hang.xlsx") in books
    hits = [(p.name, sheet, cell, word) for p in books for sheet, cell, text in _texts(p) for word in forbidden
            if word in text]
    assert hits == []


def test_the_workbooks_name_the_round_and_its_own_files(round_dir: Path) -> None:
    bac_yen = load_communes(BAC_YEN)
    commune = bac_yen[1]
    book = round_dir / "1-bang" / f"{commune.code}-{commune.slug}.xlsx"
    texts = [t for _, _, t in _texts(book)]
    assert any(f"ví dụ {commune.code}-{commune.slug}.xlsx và thư mục {commune.code}-{commune.slug}" in t for t in texts)
    assert any("Do huyện chấm" in t for t in texts) and any("Phòng Nội vụ" in t for t in texts)
    # 70 of 100 points are the commune's: its total is out of 70, the 30 others are the district's, no tier
    g = template("commune", RoundIdentity(body=BODY))["grid"]
    values = NamedValues(round_dir / "2-hop-thu" / book.name)
    assert values["XEP_LOAI"] == g["no_tier"].format(body_max="30") == "Chưa xếp loại: còn 30 điểm do huyện chấm"
    assert any("đơn vị tự chấm 70 trong 100 điểm; 30 điểm còn lại do huyện chấm" in t for t in texts)
    cover = openpyxl.load_workbook(round_dir / "7-xep-hang.xlsx").worksheets[0]
    assert cover["A1"].value == BODY.upper()
    assert "CỦA UBND CÁC XÃ, THỊ TRẤN" in str(cover["A5"].value)


def test_every_return_is_accepted_appraised_and_finalized(round_dir: Path) -> None:
    """The body signed into each workbook gives back the same texts on import: nothing reads as tampered."""
    store = Store(round_dir / "cchc.sqlite", round_id="2026-ubnd-huyen-bac-yen")
    try:
        statuses = {s.commune_code: s.status for s in store.all_latest()}
        states = set(store.states().values())
        findings = [f.rule for s in store.all_latest() for f in store.findings(s.id)]
    finally:
        store.close()
    assert sorted(statuses) == sorted(c.code for c in load_communes(BAC_YEN))
    assert "rejected" not in statuses.values() and states == {"final"}
    assert not [r for r in findings if r.startswith(("tamper.", "meta."))]


def test_the_summary_says_which_rows_the_district_scores(round_dir: Path) -> None:
    book = next((round_dir / "2-hop-thu").glob("*.xlsx"))
    summary = openpyxl.load_workbook(book)[template("commune")["sheets"]["summary"]]
    rows = {r[0].value: [c.value for c in r] for r in summary.iter_rows() if r[0].value}
    for code in ("3", "3.1", "3.2"):  # scored by the district: said so, no 0
        assert (rows[code][3], rows[code][4]) == (None, "Do huyện chấm"), code
    assert rows["1"][4] is None and rows["1"][2] == 40
    total = next(r for r in summary.iter_rows() if r[1].value == template("commune")["summary"]["total_label_partial"])
    assert total[2].value == 70 and "Chưa gồm 30 điểm do huyện chấm" in total[4].value


@pytest.mark.libreoffice
def test_totals_kept_equal_libreoffices_recalculation(round_dir: Path, tmp_path: Path) -> None:
    from cchc_xl.office import convert

    store = Store(round_dir / "cchc.sqlite", round_id="2026-ubnd-huyen-bac-yen")
    try:
        kept = {s.commune_code: s.self_total for s in store.all_latest()}
        appraised = {c: store.current_appraisal(c) for c in store.commune_codes()}
    finally:
        store.close()
    assert len(kept) == 16 and all(v is not None for v in kept.values())
    returns = convert(sorted((round_dir / "2-hop-thu").glob("*.xlsx")), "xlsx", tmp_path / "returns")
    for path in returns:
        values = NamedValues(path)
        assert as_points(values["TONG_DIEM"]) == kept[str(values["MA_DON_VI"])], path.name
    councils = convert(sorted((round_dir / "5-tham-dinh-da-nhap").glob("*.xlsx")), "xlsx", tmp_path / "council")
    totals: dict[str, Any] = {}
    for path in councils:
        values = NamedValues(path)
        code = str(values["MA_DON_VI"])
        totals[code] = as_points(values["TONG_TD"])
        final = appraised[code]
        assert final is not None and totals[code] == final.total, code
        assert values["XEP_LOAI_TD"] == final.tier
    assert len(set(totals.values())) > 1  # (the council's scores differ from commune to commune)


def test_the_rankings_axis_reaches_the_real_maximum(round_dir: Path) -> None:
    """A final total may pass 100 with the bonus (cap 3): the totals chart's axis runs to 103."""
    with zipfile.ZipFile(round_dir / "7-xep-hang.xlsx") as archive:
        charts = [archive.read(n).decode("utf-8") for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert any('<c:max val="103.0"/>' in c for c in charts)
    assert not any('<c:max val="100.0"/>' in c for c in charts)


def test_a_provinces_round_says_tinh_not_huyen() -> None:
    cset = load_set(DATA / "mini-set.yaml")
    commune = load_communes(BAC_YEN)[0]
    identity = RoundIdentity.of("UBND tỉnh Sơn La", "Sơn La", load_communes(BAC_YEN))
    layout = build_layout(cset, commune, identity=identity)
    texts = [str(c.value) for c in layout.cells if isinstance(c.value, str)]
    texts += [str(c.cached) for c in layout.cells if isinstance(c.cached, str)]
    # (the set's own decision, cited as issued, may be a district's)
    assert not [t for t in texts if "huyện" in t.replace(cset.decision.issuer, "").lower()]
    if cset.body_max:
        assert any("Do tỉnh chấm" in t for t in texts)
    assert any("Sở Nội vụ" in t for t in texts)
    assert identity.words()["units"] == "xã, thị trấn"
    assert identity.words()["office"] == "Sở Nội vụ"


@pytest.mark.parametrize("name", ["commune", "appraisal", "validation", "ranking"])
def test_no_workbook_text_says_huyen_in_a_provinces_round(name: str) -> None:
    def strings(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [s for v in value.values() for s in strings(v)]
        return [s for v in value for s in strings(v)] if isinstance(value, list) else []

    texts = strings(template(name, RoundIdentity.of("UBND tỉnh Lâm Đồng")).model_dump())
    assert texts and not [t for t in texts if "huyện" in t.lower() or "[[" in t]


def test_the_validation_workbook_counts_the_communes_own_points(round_dir: Path) -> None:
    t = template("validation")
    ws = openpyxl.load_workbook(round_dir / "3-tiep-nhan" / t["file_name"])[t["sheets"]["summary"]]
    assert "tối đa 70 trong 100 điểm; 30 điểm còn lại do huyện chấm, nên chưa xếp loại" in ws["A3"].value
    headers = [c.value for c in ws[4]]
    tier_col = headers.index(t["summary_columns"]["tier"].header)
    tiers = {row[tier_col] for row in ws.iter_rows(min_row=5, values_only=True) if row[0] is not None}
    assert tiers == {t["no_tier"]}
