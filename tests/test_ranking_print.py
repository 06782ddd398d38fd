"""The ranking for leaders as it is read and printed (issue #15 item 6 and the print discipline of item 2):
only accepted or appraised results ranked, the others listed apart with the reason; the appraisal's own total
and tier; the phone-first columns; charts 480 px wide, 11 pt, Okabe–Ito; the signature block; explicit
fonts; and, through LibreOffice, every sheet printed at 85 % of its size or more without empty pages.

The round (27 units, built in memory; points per area as the bundled set's 8 areas):

| units        | return                         | appraisal                          | ranked |
|--------------|--------------------------------|------------------------------------|--------|
| 10000–10019  | accepted (some with warnings)  | every 4th: points, bonus, penalty  | yes    |
| 10020        | accepted                       | recorded total 95.50, "Xuất sắc"   | yes    |
| 10021–10022  | rejected, area I above its max | —                                  | no     |
| 10023        | rejected                       | accepted appraisal                 | yes    |
| 10024        | scored on another set          | —                                  | no     |
| 10025–10026  | none                           | —                                  | no     |
"""

from __future__ import annotations

import collections
import datetime as dt
import re
import unicodedata
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pypdf import PdfReader

from cchc_xl.appraisal.scores import AppraisalInputs, evaluate_appraisal, final_total
from cchc_xl.criteria import CriteriaSet
from cchc_xl.identity import RoundIdentity
from cchc_xl.office import convert
from cchc_xl.reports.ranking import Signature, write_report_workbook
from cchc_xl.reports.ranking_data import FinalScores, RankingInput, _shape, commune_result, missing_result
from cchc_xl.scoring import tree_sums
from cchc_xl.templates import template
from cchc_xl.workbook.sheetkit import column_px

AT = dt.datetime(2022, 12, 20, 8, 0)
IDENTITY = RoundIdentity.of("UBND huyện Thử Nghiệm", "Thử Nghiệm")
T = template("ranking", IDENTITY)
OKABE_ITO = {"0072B2", "E69F00", "009E73", "56B4E9", "D55E00", "CC79A7", "F0E442", "999999"}

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


def _round(cset: CriteriaSet) -> RankingInput:
    leaves = cset.commune_leaves()
    results = []
    for i in range(25):
        code = str(10000 + i)
        scores = {leaf.code: leaf.max if (i + k) % 5 else leaf.max / 2 for k, leaf in enumerate(leaves)}
        status = "accepted_with_warnings" if i % 3 else "accepted"
        final = None
        if i % 4 == 0 or i == 23:
            final = FinalScores(leaves={leaf.code: (leaf.max if (i + k) % 6 else Decimal(0), "Thiếu văn bản")
                                        for k, leaf in enumerate(cset.leaves())}, bonus=Decimal(1),
                                penalty=Decimal("0.5"))
        if i == 20:
            final = FinalScores(leaves={leaf.code: (leaf.max, "") for leaf in cset.leaves()},
                                total=Decimal("95.50"), tier="Xuất sắc")
        if i in (21, 22, 23):
            status = "rejected"
        if i in (21, 22):  # a rejected return's points need not hold: area I above its maximum
            first_area = cset.areas[0]
            for leaf in leaves:
                if cset.area_of[leaf.code].code == first_area.code:
                    scores[leaf.code] = leaf.max + 1
        total = sum(scores.values(), Decimal(0))
        if i == 24:
            results.append(missing_result(code, f"Khác Bộ {i}", "xã", other_set="bo-khac"))
            continue
        results.append(commune_result(cset, code, f"Đơn Vị {i}", "xã" if i % 7 else "phường",
                                      self_scores={k: str(v) for k, v in scores.items()}, self_total=total,
                                      explanations={leaves[0].code: "Đã giải trình"}, final=final, status=status,
                                      state="checked", version=1, file_name=f"{code}-bao-cao-rat-dai.xlsx",
                                      received_at=AT - dt.timedelta(days=30 + i), deadline=AT,
                                      errors=2 if status == "rejected" else 0, warnings=i % 3))
    results += [missing_result("10025", "Chưa Nộp", "xã"), missing_result("10026", "Cũng Chưa Nộp", "thị trấn")]
    previous = {str(10000 + i): Decimal(60 + i) for i in range(0, 20, 2)}
    return RankingInput(cset=cset, results=results, previous=previous, deadline=AT, generated_at=AT,
                        identity=IDENTITY)


@pytest.fixture(scope="module")
def data(bundled_set: CriteriaSet) -> RankingInput:
    return _round(bundled_set)


@pytest.fixture(scope="module")
def book(data: RankingInput, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ranking-print") / "xep-hang.xlsx"
    write_report_workbook(data, out, password="x", signature=Signature("Chủ tịch", "Nguyễn Văn A"))
    return out


def _rows(ws: Any) -> list[tuple[Any, ...]]:
    return list(ws.iter_rows(values_only=True))


def _ranked_rows(ws: Any) -> list[tuple[Any, ...]]:
    rows = _rows(ws)
    start = next(i for i, r in enumerate(rows) if r and r[0] == T["ranking"]["columns"]["rank"].header)
    out = []
    for r in rows[start + 1:]:
        if not isinstance(r[0], (int, float)):
            break
        out.append(r)
    return out


# -- who is ranked --------------------------------------------------------------------------------------------
def test_only_accepted_or_appraised_results_are_ranked_and_the_others_listed_with_the_reason(
        data: RankingInput, book: Path) -> None:
    wb = openpyxl.load_workbook(book)
    cols = T["ranking"]["columns"]
    header = next(r for r in _rows(wb[T["sheets"]["ranking"]]) if r and r[0] == cols["rank"].header)
    code_col = header.index(cols["code"].header)
    ranked = {r[code_col] for r in _ranked_rows(wb[T["sheets"]["ranking"]])}
    assert "10023" in ranked  # rejected, but appraised
    assert not ranked & {"10021", "10022", "10024", "10025", "10026"}
    assert len(ranked) == 22
    # the rejected returns' points, above an area's maximum, appear nowhere among the ranked scores
    area = data.cset.areas[0]
    area_col = header.index(T["area_header"].format(code=area.code, max=area.max.normalize()))
    assert all(r[area_col] <= float(area.max) for r in _ranked_rows(wb[T["sheets"]["ranking"]]))
    # listed apart, each with its reason
    reasons = T["unranked"]["reasons"]
    listed = {r[1]: r[3] for r in _rows(wb[T["sheets"]["unranked"]]) if isinstance(r[0], (int, float))}
    assert listed == {"10021": reasons["rejected"].format(errors=2), "10022": reasons["rejected"].format(errors=2),
                      "10024": reasons["other_set"].format(set_id="bo-khac"),
                      "10025": reasons["not_received"], "10026": reasons["not_received"]}
    # nor are they in the per-area matrix, the result sheets or the chart data
    for key in ("areas", "criteria"):
        codes = {r[1] for r in _rows(wb[T["sheets"][key]])}
        assert not codes & set(listed), key
    assert not any(name.startswith(tuple(listed)) for name in wb.sheetnames)


def test_the_appraisal_s_own_total_and_tier_are_shown(data: RankingInput) -> None:
    recorded = next(r for r in data.results if r.code == "10020")
    assert (recorded.score, recorded.tier) == (Decimal("95.50"), "Xuất sắc")
    # self-assessed totals, the district-scored points not yet in them, get no tier
    assert all(r.tier == "" for r in data.ranked if not r.is_final)
    assert all(r.tier for r in data.ranked if r.is_final)


def test_final_total_is_the_appraisal_s_and_area_sums_the_workbook_s(bundled_set: CriteriaSet) -> None:
    """The ranking's final total of appraised points is `appraisal.scores`' (the appraisal workbook's
    evaluation), and its area sums the tree sums of `scoring`, on varied points."""
    cset = bundled_set
    for n in range(6):
        points = {leaf.code: (leaf.max - Decimal("0.25") * ((k + n) % 3)).max(Decimal(0)) if (k + n) % 5 else None
                  for k, leaf in enumerate(cset.leaves())}
        counts = {item.code: Decimal(n % 3) for block in (cset.bonus, cset.penalty) if block for item in block.items}
        evaluated = evaluate_appraisal(cset, {}, AppraisalInputs(scores=dict(points), counts=counts))
        result = commune_result(cset, "1", "A", "xã", self_scores={}, self_total=Decimal(0),
                                final=FinalScores(leaves={c: (p, "") for c, p in points.items()},
                                                  bonus=evaluated.bonus, penalty=evaluated.penalty))
        assert result.final_total == evaluated.total == final_total(cset, points, evaluated.bonus, evaluated.penalty)
        nodes: dict[str, Decimal] = {}
        tree_sums(cset, dict(points), nodes)
        assert _shape(cset).area_sums(points) == {a.code: nodes[a.code] for a in cset.areas}


# -- reading it ---------------------------------------------------------------------------------------------
def test_the_ranking_reads_on_a_phone(book: Path) -> None:
    ws = openpyxl.load_workbook(book)[T["sheets"]["ranking"]]
    cols = T["ranking"]["columns"]
    header = next(r for r in _rows(ws) if r and r[0] == cols["rank"].header)
    assert list(header[:4]) == [cols[k].header for k in ("rank", "commune", "total", "tier")]
    first_screen = sum(column_px(ws.column_dimensions[c].width) for c in "ABCD")
    assert first_screen + 30 <= 400  # (+ the row numbers)
    assert ws.freeze_panes is not None and ws.freeze_panes.startswith("C")  # only rank and name frozen


def test_charts_are_narrow_legible_and_colour_blind_safe(book: Path) -> None:
    with zipfile.ZipFile(book) as z:
        charts = [z.read(n).decode() for n in sorted(z.namelist()) if n.startswith("xl/charts/chart")]
        drawing = z.read("xl/drawings/drawing1.xml").decode()
    assert len(charts) == 4
    sizes = {int(s) for c in charts for s in re.findall(r'<a:defRPr[^>]*sz="(\d+)"', c)}
    assert sizes and min(sizes) >= 1100
    colours = {c for chart in charts for c in re.findall(r'<a:srgbClr val="([0-9A-F]{6})"', chart)}
    fills = colours - {"BFBFBF", "D9D9D9", "FFFFFF"}
    assert fills and fills <= OKABE_ITO
    assert len(fills & OKABE_ITO) >= 8  # the stacked areas: eight distinct colours
    # 480 px wide: anchored from column A to column H of the charts sheet, 9 characters (68 px) each
    # (offsets in EMU: 9525 a pixel)
    anchors = re.findall(r"<xdr:from><xdr:col>(\d+)</xdr:col><xdr:colOff>(\d+)</xdr:colOff>.*?"
                         r"<xdr:to><xdr:col>(\d+)</xdr:col><xdr:colOff>(\d+)</xdr:colOff>", drawing)
    widths = [(int(c2) - int(c1)) * column_px(9) + (int(o2) - int(o1)) // 9525 for c1, o1, c2, o2 in anchors]
    assert len(widths) == 4 and all(470 <= w <= 490 for w in widths)


def test_the_signature_block_is_on_the_cover_only_when_asked(book: Path, data: RankingInput, tmp_path: Path) -> None:
    s = T["cover"]["signature"]
    texts = {c for r in _rows(openpyxl.load_workbook(book)[T["sheets"]["cover"]]) for c in r if isinstance(c, str)}
    assert {"CHỦ TỊCH", s["on_behalf"], "Nguyễn Văn A", s["recipients"],
            s["date_line"].format(place="Thử Nghiệm", day="20", month="12", year=2022)} <= texts
    plain = tmp_path / "plain.xlsx"
    write_report_workbook(data, plain, password="x", parts=("cover", "ranking"))
    texts = {c for r in _rows(openpyxl.load_workbook(plain)[T["sheets"]["cover"]]) for c in r if isinstance(c, str)}
    assert s["on_behalf"] not in texts and s["recipients"] not in texts


def test_fonts_are_explicit_and_numbers_formatted_by_kind(book: Path) -> None:
    with zipfile.ZipFile(book) as z:
        styles = z.read("xl/styles.xml").decode()
    fonts = re.findall(r"<font>.*?</font>", styles.split("<dxfs")[0], re.S)  # (not the conditional formats')
    assert fonts and all("<scheme" not in f and 'val="Times New Roman"' in f for f in fonts)
    ws = openpyxl.load_workbook(book)[T["sheets"]["ranking"]]
    cols = T["ranking"]["columns"]
    rows = list(ws.iter_rows())
    header = next(i for i, r in enumerate(rows) if r[0].value == cols["rank"].header)
    rank, _, total, *_ = rows[header + 1]
    assert rank.number_format == "0" and total.number_format == "0.00"


# -- printing it -------------------------------------------------------------------------------------------------
def test_wide_matrices_are_cut_between_groups_and_narrow_sheets_scaled() -> None:
    """sheetkit's fitting: 3 repeated columns of 10 characters and 6 groups of 10 columns of 5 characters on
    landscape A4 (1,037 px inside the margins, 978 px counting LibreOffice's wider columns): the 225 px
    repeated leave 753 px a page, two whole groups (2 × 400 px) do not fit, one does."""
    from cchc_xl.workbook.sheetkit import Margins, PageSetup, column_breaks, print_scale

    setup = PageSetup(landscape=True, margins=Margins(top=15, bottom=15, left=12.7, right=10))
    widths = [10.0] * 3 + [5.0] * 60
    groups = list(range(3, 63, 10))
    assert column_breaks(widths, setup, 3, groups) == [13, 23, 33, 43, 53]
    # a group wider than a page is cut where the page ends
    assert column_breaks([10.0] * 3 + [5.0] * 30, setup, 3, [3]) == [21]
    assert print_scale([10.0] * 10, setup) == 100
    assert print_scale([10.0] * 16, setup) == 81  # 1,200 px × 1.06 on 1,037


def _printed(page: Any) -> list[tuple[str, float]]:
    """The page's texts, each with its printed size (the font size scaled as the page was)."""
    items: list[tuple[str, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, size: float) -> None:
        if text.strip():
            items.append((text, size * abs(tm[3] or 1) * abs(cm[3] or 1)))

    page.extract_text(visitor_text=visit)
    return items


def _pages(pdf: Path) -> tuple[collections.Counter[str], dict[str, list[float]], int]:
    """Pages per sheet (the footer names the sheet: its first text), the body text's size per page (the size
    most characters are printed in, scaled as LibreOffice printed the page) and the pages with nothing but the
    footer."""
    pages: collections.Counter[str] = collections.Counter()
    sizes: dict[str, list[float]] = collections.defaultdict(list)
    empty = 0
    for page in PdfReader(pdf).pages:
        items = _printed(page)
        sheet = unicodedata.normalize("NFC", items[0][0].strip()) if items else "?"
        pages[sheet] += 1
        body = collections.Counter()
        for text, size in items[1:]:
            if not re.fullmatch(r"(Trang\s*)?[\d/ ]+", text.strip()):
                body[round(size, 2)] += len(text)
        if body:
            sizes[sheet].append(body.most_common(1)[0][0])
        else:
            empty += 1
    return pages, sizes, empty


@pytest.mark.libreoffice
def test_every_sheet_prints_at_85_percent_or_more_without_empty_pages(book: Path, data: RankingInput,
                                                                      tmp_path: Path) -> None:
    (pdf,) = convert([book], "pdf", tmp_path / "pdf")
    pages, sizes, empty = _pages(pdf)
    names = openpyxl.load_workbook(book, read_only=True).sheetnames
    assert set(pages) == set(names) and empty == 0
    for name in names:  # the body text is 11 pt (LibreOffice writes sizes to 0.1 pt)
        assert min(sizes[name]) >= 0.85 * 11 - 0.05, (name, sizes[name])
    n = T["sheets"]
    assert 2 <= pages[n["cover"]] <= 3  # the report with its signature (one or two pages); the contents
    assert pages[n["charts"]] == 4  # a chart a page
    assert pages[n["ranking"]] <= 2 and pages[n["unranked"]] == 1 and pages[n["progress"]] <= 2
    assert pages[n["areas"]] <= 2 and pages[n["chart_data"]] <= 2 and pages[n["priorities"]] <= 6
    # the item matrix: a few pages across, each a whole number of areas where they fit, two down
    assert 4 <= pages[n["criteria"]] <= 16
    cards = [name for name in names if name[:5].isdigit()]
    assert len(cards) == len(data.ranked) and all(pages[c] <= 4 for c in cards)
    # the signature block kept whole, on a page with the report's last list
    signed = [unicodedata.normalize("NFC", p.extract_text() or "") for p in PdfReader(pdf).pages[:pages[n["cover"]]]]
    signed = [text for text in signed if "CHỦ TỊCH" in text]
    assert len(signed) == 1 and "Nguyễn Văn A" in signed[0]
    assert unicodedata.normalize("NFC", T["cover"]["bottom_title"]) in signed[0]


def test_report_signer_option_puts_the_signature_block_on_the_cover(tmp_path: Path) -> None:
    """`cchc-xl report --signer … --signer-name …` on a round with no return yet: the cover closes with the
    body's signature block; every unit is listed as not received, none ranked."""
    from click.testing import CliRunner

    from cchc_xl.cli import cli
    from cchc_xl.paths import bundled

    folder, out = tmp_path / "dot", tmp_path / "xep-hang.xlsx"
    runner = CliRunner()
    result = runner.invoke(cli, ["init", str(folder), "--criteria", str(bundled("criteria/phu-yen-2022.yaml")),
                                 "--communes", str(bundled("samples/phu-yen-communes.csv")), "--year", "2022",
                                 "--body", "UBND huyện Thử Nghiệm", "--place", "Thử Nghiệm"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["report", "--workspace", str(folder), "--out", str(out), "--signer", "Chủ tịch",
                                 "--signer-name", "Lò Văn Ký"])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    texts = {c for r in _rows(wb[T["sheets"]["cover"]]) for c in r if isinstance(c, str)}
    assert {"CHỦ TỊCH", T["cover"]["signature"]["on_behalf"], "Lò Văn Ký"} <= texts
    assert any(t.startswith("Thử Nghiệm, ngày ") for t in texts)
    listed = [r for r in _rows(wb[T["sheets"]["unranked"]]) if isinstance(r[0], (int, float))]
    assert len(listed) == 27 and {r[3] for r in listed} == {T["unranked"]["reasons"]["not_received"]}


@pytest.mark.libreoffice
def test_charts_of_many_communes_still_print_a_chart_a_page(bundled_set: CriteriaSet, tmp_path: Path) -> None:
    """Above the chart limit the charts draw the highest and lowest units, with one more note above the first
    chart: it is made shorter rather than run onto a second page."""
    data = _round(bundled_set)
    many = [commune_result(bundled_set, str(20000 + i), f"Đơn Vị Thêm {i}", "xã",
                           self_scores={leaf.code: str(leaf.max - Decimal("0.25") * (i % 4))
                                        for leaf in bundled_set.commune_leaves()},
                           self_total=bundled_set.commune_max - Decimal(i % 4), status="accepted")
            for i in range(60)]
    data = RankingInput(cset=bundled_set, results=[*data.results, *many], generated_at=AT, identity=IDENTITY)
    book = tmp_path / "bieu-do.xlsx"
    write_report_workbook(data, book, password="x", parts=("charts",))
    (pdf,) = convert([book], "pdf", tmp_path / "pdf")
    pages, _sizes, empty = _pages(pdf)
    assert pages[T["sheets"]["charts"]] == 4 and empty == 0
