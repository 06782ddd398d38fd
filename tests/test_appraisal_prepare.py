"""`appraise prepare` for a whole round: the run's memo (`LayoutMemo`) gives the plain path's workbooks."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

from cchc_xl.appraisal.scores import AppraisalInputs
from cchc_xl.appraisal.workbook import (
    AppraisalLayout,
    AppraisalWorkbookWriter,
    LayoutMemo,
    SubmissionView,
    build_appraisal_layout,
)
from cchc_xl.communes import Commune
from cchc_xl.criteria import CriteriaSet
from cchc_xl.identity import RoundIdentity
from cchc_xl.settings import Settings

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
        assert _parts(a) == _parts(b)
    assert memo.fingerprint() == bundled_set.fingerprint()


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
        assert _parts(tmp_path / "a.xlsx") == _parts(tmp_path / "b.xlsx")  # the set's own fingerprint signed
