"""The ranking workbook's row blocks written as XML rows (reports/sheet_rows.py) give the same file as
XlsxWriter writing each cell: every part of the package compared byte for byte (the document dates in
docProps/core.xml aside), on communes with blank items (district-scored, before appraisal), unranked
communes, names with XML characters, spaces at the ends and a control character, appraised and rejected
results and last year's totals (every column of the ranking sheet)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from cchc_xl.criteria import CriteriaSet
from cchc_xl.reports import sheet_rows, sheet_xml
from cchc_xl.reports.ranking import write_report_workbook
from cchc_xl.reports.ranking_data import FinalScores, RankingInput, commune_result, missing_result

AT = dt.datetime(2022, 10, 5, 17, 0)
NAMES = ["Gia Phù", 'Đồng "Tâm" & <Xuân>', " Khoảng trắng ", "Ký tự\x01lạ", "_x0041_ Mã", "Tân Lập"]


def _input(cset: CriteriaSet, n: int) -> RankingInput:
    results = []
    leaves = cset.commune_leaves()
    for i in range(n):
        scores = {leaf.code: str(leaf.max if (i + k) % 4 else Decimal(0)) for k, leaf in enumerate(leaves)
                  if (i + k) % 7}
        final = None
        if i % 5 == 0:
            final = FinalScores(leaves={leaf.code: (leaf.max - Decimal("0.25") * (i % 3), "lý do")
                                        for leaf in cset.leaves()}, bonus=Decimal(1), penalty=Decimal("0.5"))
        results.append(commune_result(
            cset, str(10000 + i), NAMES[i % len(NAMES)], "xã", self_scores=scores,
            self_total=sum((Decimal(v) for v in scores.values()), Decimal(0)), final=final,
            status="rejected" if i % 9 == 4 else "accepted",
            state="checked", version=1, file_name=f"{i}.xlsx", received_at=AT - dt.timedelta(hours=i), deadline=AT))
    results.append(missing_result("19999", "Chưa nộp", "phường"))
    previous = {str(10000 + i): Decimal(i % 30) for i in range(0, n, 2)}  # last year's totals for half of them
    return RankingInput(cset=cset, results=results, previous=previous, deadline=AT, generated_at=AT)


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        out = {name: archive.read(name) for name in archive.namelist()}
    out["docProps/core.xml"] = re.sub(rb"<dcterms:(created|modified)([^>]*)>[^<]*</dcterms:\1>", rb"<dcterms:\1\2/>",
                                      out["docProps/core.xml"])
    return out


@pytest.mark.parametrize(("count", "cards_limit"), [(1, 500), (40, 500), (40, 10)])
def test_rows_written_as_xml_give_the_same_package(count: int, cards_limit: int, tmp_path: Path,
                                                   bundled_set: CriteriaSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """cards_limit 10: the commune cards as one summary sheet (row heights fitted to each commune's text)."""
    data = _input(bundled_set, count)
    fast, plain = tmp_path / "fast.xlsx", tmp_path / "plain.xlsx"
    fast_rows: list[int] = []
    real = sheet_xml.RowWriter.row
    monkeypatch.setattr(sheet_xml.RowWriter, "row", lambda self, row, *a: (fast_rows.append(row), real(self, row, *a))[1])
    write_report_workbook(data, fast, password="x", cards_limit=cards_limit)
    # every commune row but each block's last is written as XML: ranking, areas, criteria, chart data and, as
    # one sheet, cards (the ranked communes); the communes not ranked; the progress board (every commune)
    ranked, unranked = len(data.ranked), len(data.unranked)
    assert unranked >= 1
    blocks = [ranked] * (3 + (cards_limit < ranked)) + [min(ranked, 40), unranked, len(data.results)]
    assert len(fast_rows) == sum(max(0, n - 1) for n in blocks)
    monkeypatch.setenv(sheet_rows.SWITCH, "0")
    write_report_workbook(data, plain, password="x", cards_limit=cards_limit)
    want, got = _parts(plain), _parts(fast)
    assert list(got) == list(want)
    for name in want:
        assert got[name] == want[name], name
    if count > len(NAMES):  # the control-character escapes were exercised
        assert b"_x005F_x0041_" in b"".join(want.values()) and b"_x0001_" in b"".join(want.values())
