"""The reference workbooks of the test mini set: how each workbook kind is built for comparison.

`scripts/regen_reference_files.py` writes them into tests/data/reference/ (run it only after checking a
changed workbook by hand: open it, print it); `tests/test_reference_files.py` builds them again and compares
them part by part with the references, as XlsxWriter's own tests compare files. Every input is fixed (set,
unit, key, password, times), so a difference is a change of what the writer writes.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from cchc_xl.appraisal.scores import AppraisalInputs
from cchc_xl.appraisal.workbook import AppraisalWorkbookWriter, SubmissionView, build_appraisal_layout
from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet, load_set
from cchc_xl.identity import RoundIdentity
from cchc_xl.reports.ranking import write_report_workbook
from cchc_xl.reports.ranking_data import FinalScores, RankingInput, commune_result, missing_result
from cchc_xl.scoring import LeafInput
from cchc_xl.settings import Settings
from cchc_xl.workbook.generate import generate_one
from cchc_xl.workbook.layout import Declared

DATA = Path(__file__).parent / "data"
REFERENCE = DATA / "reference"
AT = dt.datetime(2022, 10, 1, 8, 0, tzinfo=dt.UTC)
SETTINGS = Settings(key=b"reference-key-of-the-tests", key_is_demo=False, sheet_password="tham-chieu")
UNITS = [Commune(code="03901", name="Đá Đỏ", kind="xã"), Commune(code="03904", name="Quang Huy", kind="thị trấn")]
IDENTITY = RoundIdentity.of("UBND huyện Mẫu Sơn", "Mẫu Sơn", UNITS)


def mini_set() -> CriteriaSet:
    return load_set(DATA / "mini-set.yaml")


def declared(cset: CriteriaSet) -> Declared:
    """A return as a commune fills it: every item, a few explanations, one register row, the issues."""
    leaves = {}
    for i, leaf in enumerate(cset.commune_leaves()):
        assert leaf.rule is not None
        explanation = "Đã thực hiện, hồ sơ lưu tại văn phòng" if i % 2 else ""
        if leaf.rule.computed:
            leaves[leaf.code] = LeafInput(figures=tuple(Decimal(2 + i) for _ in leaf.rule.figures()),
                                          explanation=explanation)
        else:
            leaves[leaf.code] = LeafInput(value=leaf.max, explanation=explanation)
    code = cset.commune_leaves()[0].code
    return Declared(leaves=leaves, register=((code, "12/KH-UBND", dt.date(2022, 3, 4), "UBND xã Đá Đỏ",
                                              "Kế hoạch cải cách hành chính năm 2022", "12-kh-ubnd.pdf"),),
                    difficulties="Thiếu cán bộ chuyên trách.", recommendations="Bổ sung kinh phí.")


def build_commune(out: Path) -> Path:
    """The blank workbook of one unit."""
    return generate_one(mini_set(), UNITS[0], out, SETTINGS, generated_at=AT, name="commune.xlsx",
                        identity=IDENTITY)


def build_commune_filled(out: Path) -> Path:
    """The workbook of a unit with its declared values (the feedback path writes these)."""
    cset = mini_set()
    return generate_one(cset, UNITS[1], out, SETTINGS, declared=declared(cset), generated_at=AT,
                        name="commune-filled.xlsx", identity=IDENTITY)


def build_appraisal(out: Path) -> Path:
    """The council's round-1 workbook of a unit's return (its view as the store would give it)."""
    cset = mini_set()
    leaves = cset.commune_leaves()
    first = leaves[0].code
    view = SubmissionView(
        id=1, sha256="0" * 64, file_name="03901-da-do.xlsx",
        scores={leaf.code: leaf.max if i % 3 else Decimal(0) for i, leaf in enumerate(leaves)},
        figures={leaf.code: ["12", "15"][: len(leaf.rule.figures())] for leaf in leaves
                 if leaf.rule is not None and leaf.rule.computed},
        explanations={leaves[1].code: "Đã thực hiện, hồ sơ lưu tại văn phòng"},
        evidence={first: ["12/KH-UBND ngày 04/03/2022: Kế hoạch cải cách hành chính năm 2022"]},
        evidence_links={first: str(out / "tlkc" / "12-kh-ubnd.pdf")},
        findings={leaves[2].code: ["Điểm tự đánh giá chưa có tài liệu kiểm chứng."]})
    prefill = AppraisalInputs(scores={code: view.scores.get(code) for code in (leaf.code for leaf in leaves)})
    layout = build_appraisal_layout(cset, UNITS[0], view, prefill, identity=IDENTITY)
    path = out / "appraisal.xlsx"
    AppraisalWorkbookWriter(layout, SETTINGS, AT).write(path)
    return path


# the ranking's units: appraised, self-assessed (one with an explanation that looks like a formula), rejected,
# on another criteria set, missing
RANKING_UNITS = [*UNITS, Commune(code="03907", name="Tân Lập", kind="xã"),
                 Commune(code="03910", name="Mường Cơi", kind="xã"), Commune(code="03913", name="Huy Hạ", kind="xã"),
                 Commune(code="03916", name="Gia Phù", kind="xã")]
DEADLINE = dt.datetime(2022, 10, 5, 17, 0)


def ranking_input() -> RankingInput:
    """The ranking of the mini set's units: two appraised (one with bonus and penalty), two self-assessed, one
    rejected, one scored on another set, one missing; last year's totals for some."""
    cset = mini_set()
    leaves = cset.commune_leaves()
    results = []
    for n, unit in enumerate(RANKING_UNITS[:5]):
        scores = {leaf.code: leaf.max if (n + i) % 3 else leaf.max / 2 for i, leaf in enumerate(leaves)}
        explanations = {leaf.code: "=Chưa đủ hồ sơ" if n == 3 else "Thiếu kinh phí thực hiện"
                        for i, leaf in enumerate(leaves) if (n + i) % 3 == 0}
        final = None
        if n < 2:
            final = FinalScores(leaves={leaf.code: (scores.get(leaf.code, leaf.max) - (Decimal("0.25") if i == n
                                                    else Decimal(0)), "Hồ sơ chưa đầy đủ" if i == n else "")
                                        for i, leaf in enumerate(cset.leaves())},
                                bonus=Decimal(1) if n == 0 else Decimal(0), penalty=Decimal(1) if n == 1 else Decimal(0))
        results.append(commune_result(
            cset, unit.code, unit.name, unit.kind, self_scores=scores, self_total=sum(scores.values(), Decimal(0)),
            explanations=explanations, cited=[leaves[0].code, leaves[2].code], final=final,
            status="rejected" if n == 4 else "accepted_with_warnings" if n == 2 else "accepted",
            state="appraised" if final else "checked", version=1 + n % 2, file_name=f"{unit.code}.xlsx",
            received_at=DEADLINE - dt.timedelta(days=n - 1), deadline=DEADLINE, errors=int(n == 4), warnings=n % 3))
    results.append(missing_result(RANKING_UNITS[5].code, RANKING_UNITS[5].name, RANKING_UNITS[5].kind, other_set="khac"))
    results.append(missing_result("03919", "Sập Xa", "xã"))
    return RankingInput(cset=cset, results=results, previous={UNITS[0].code: Decimal("17.5"),
                                                              RANKING_UNITS[2].code: Decimal("15.25")},
                        deadline=DEADLINE, generated_at=AT.replace(tzinfo=None), identity=IDENTITY)


def build_ranking(out: Path) -> Path:
    """The ranking workbook for leaders (every sheet; a result sheet per ranked unit)."""
    path = out / "ranking.xlsx"
    write_report_workbook(ranking_input(), path, password=SETTINGS.sheet_password)
    return path


KINDS: dict[str, Callable[[Path], Path]] = {
    "commune": build_commune,
    "commune-filled": build_commune_filled,
    "appraisal": build_appraisal,
    "ranking": build_ranking,
}


def parts(path: Path) -> dict[str, bytes]:
    """Every part of the package; the document dates of docProps/core.xml blanked."""
    with zipfile.ZipFile(path) as archive:
        out = {name: archive.read(name) for name in archive.namelist()}
    if "docProps/core.xml" in out:
        out["docProps/core.xml"] = re.sub(rb"<dcterms:(created|modified)([^>]*)>[^<]*</dcterms:\1>",
                                          rb"<dcterms:\1\2/>", out["docProps/core.xml"])
    return out


def first_difference(got: bytes, want: bytes) -> str:
    """Where two XML parts first differ, as the elements around that place."""
    i = next((k for k, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), min(len(got), len(want)))
    start = max(0, got.rfind(b"<", 0, max(0, i - 80)))
    return (f"byte {i}:\n  got:  {got[start:i + 120].decode('utf-8', 'replace')}\n"
            f"  want: {want[start:i + 120].decode('utf-8', 'replace')}")
