"""A commune's result (`ranking_data.commune_result`) on its fast path — a commune before appraisal whose points
are all Decimals in cents or blank, worked out on whole lists (`_self_assessed`) — is the result the plain path
(`_scored`, item by item) gives, field by field and digits and all, Deductions included, on points drawn from:

| drawn                                   | path taken            |
|-----------------------------------------|-----------------------|
| 1, 0.5, 0.50, 0.25, 2.50, 0, -0, 0.000, -0.25, the max, the max − 0.25, above the max, blank (None), missing | fast |
| a value not in cents (0.125, 1.005), 1E+15, a text "0.5", an int, a float | plain |
| an appraisal (FinalScores, with or without its total)  | plain |

with explanations (some empty, some not texts), cited items (some unknown), district-scored items given
points, and codes the set does not know.
"""

from __future__ import annotations

import random
from dataclasses import fields
from decimal import Decimal
from typing import Any

import pytest

from cchc_xl.criteria import CriteriaSet
from cchc_xl.reports import ranking_data
from cchc_xl.reports.ranking_data import CommuneResult, Deduction, FinalScores, _shape, commune_result

IN_CENTS: list[Any] = [Decimal(v) for v in ("1", "0.5", "0.50", "0.25", "2.50", "0", "-0", "0.000", "-0.25")] + [None]
OTHERS: list[Any] = [Decimal("0.125"), Decimal("1.005"), Decimal("1E+15"), "0.5", 1, 0.75]
MISSING = object()


def _digits(value: Any) -> Any:
    """A value as comparable data: Decimals by type and text (0.5 and 0.50 differ), dataclasses field by field."""
    if isinstance(value, Decimal):
        return ("Decimal", str(value))
    if isinstance(value, CommuneResult | Deduction):
        names = [f.name for f in fields(value) if not f.name.startswith("_")]  # (a result's deductions, as made)
        names += ["deductions"] if isinstance(value, CommuneResult) else []
        return (type(value).__name__, tuple((name, _digits(getattr(value, name))) for name in names))
    if isinstance(value, dict):
        return ("dict", tuple((k, _digits(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(_digits(v) for v in value))
    return (type(value).__name__, value)


def _points(cset: CriteriaSet, rng: random.Random, others: int) -> dict[str, Any]:
    scores: dict[str, Any] = {}
    for leaf in cset.leaves():
        drawn = rng.choice([*IN_CENTS, leaf.max, leaf.max - Decimal("0.25"), leaf.max + 1, MISSING])
        if drawn is not MISSING:
            scores[leaf.code] = drawn
    for code in rng.sample([leaf.code for leaf in cset.leaves()], others):
        scores[code] = rng.choice(OTHERS)
    if rng.random() < 0.3:
        scores["9.9.9"] = Decimal("1")  # not in the set
    return scores


def _final(cset: CriteriaSet, rng: random.Random) -> FinalScores:
    leaves = {leaf.code: (rng.choice([leaf.max, ZERO_, None, "0.5"]), rng.choice(["", "lý do", None]))
              for leaf in cset.leaves() if rng.random() < 0.9}
    total = rng.choice([None, Decimal("71.255")])
    return FinalScores(leaves=leaves, bonus=Decimal("1.5"), penalty=Decimal("0.25"), total=total,  # type: ignore[arg-type]
                       tier="Tốt" if total is not None else "")


ZERO_ = Decimal("0")


def _both(cset: CriteriaSet, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> tuple[CommuneResult, CommuneResult, bool]:
    """(the result as commune_result makes it, the plain path's, whether the fast path was taken)."""
    taken = []
    fast_path = ranking_data._self_assessed

    def spy(*args: Any) -> None:
        taken.append(True)
        fast_path(*args)

    with monkeypatch.context() as m:
        m.setattr(ranking_data, "_self_assessed", spy)
        got = commune_result(cset, "10001", "Một", "xã", **kw)
    with monkeypatch.context() as m:
        m.setattr(_shape(cset), "fast", False)
        want = commune_result(cset, "10001", "Một", "xã", **kw)
    return got, want, bool(taken)


@pytest.mark.parametrize("which", ["bundled", "mini"])
@pytest.mark.parametrize("others", [0, 1], ids=["in-cents", "one-other"])
@pytest.mark.parametrize("appraised", [False, True], ids=["self", "appraised"])
def test_the_fast_result_is_the_plain_result(which: str, others: int, appraised: bool, bundled_set: CriteriaSet,
                                             mini_set: CriteriaSet, monkeypatch: pytest.MonkeyPatch) -> None:
    cset = bundled_set if which == "bundled" else mini_set
    rng = random.Random(f"{which}{others}{appraised}")
    codes = [leaf.code for leaf in cset.leaves()]
    fast = 0
    for _ in range(150):
        scores = _points(cset, rng, others)
        explanations = {c: rng.choice(["", "giải trình", 5, None]) for c in rng.sample(codes, len(codes) // 3)}
        cited = [rng.choice([c, f" {c} ", "9.9"]) for c in rng.sample(codes, len(codes) // 2)]
        final = _final(cset, rng) if appraised else None
        got, want, taken = _both(cset, monkeypatch, self_scores=scores, self_total=Decimal("70.125"),
                                 explanations=explanations, cited=cited, final=final, status="accepted")
        assert _digits(got) == _digits(want)
        assert got == want
        fast += taken
        if others or appraised:
            assert not taken
    if not (others or appraised):
        assert fast == 150  # (every draw in cents took the fast path)


def test_the_fast_result_without_explanations_or_points(bundled_set: CriteriaSet,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for scores in ({}, {leaf.code: leaf.max for leaf in bundled_set.leaves()},
                   {leaf.code: Decimal("0.00") for leaf in bundled_set.leaves()}):
        got, want, taken = _both(bundled_set, monkeypatch, self_scores=scores, self_total=None)
        assert taken and _digits(got) == _digits(want)


def test_the_deductions_made_when_read_are_those_of_the_explanations_given(bundled_set: CriteriaSet) -> None:
    """A result before appraisal makes its deductions when they are first read (only the phiếu kết quả reads
    them): from the explanations as given, whatever the caller does to its mapping meanwhile."""
    leaf = bundled_set.commune_leaves()[0]
    explanations = {leaf.code: "đã giải trình"}
    res = commune_result(bundled_set, "10001", "Một", "xã", self_scores={leaf.code: Decimal("0")},
                         self_total=Decimal(0), explanations=explanations)
    explanations[leaf.code] = "đổi sau"
    first = res.deductions[0]
    assert (first.criterion, first.explanation, first.lost) == (leaf.code, "đã giải trình", leaf.max)
    assert res.deductions is res.deductions  # (made once)
