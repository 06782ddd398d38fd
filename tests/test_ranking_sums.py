"""A commune's points per area (`ranking_data._Shape.area_sums`) as the workbook rounds them — each criterion's
sum rounded to 2 decimals, then the area's — whether the values are all in cents (then each area is summed
once and rounded once) or not (a value of 3 decimals, written into a store by hand): the same Decimals, digits
and all, on points drawn from these values:

| value   | in cents |
|---------|----------|
| 1, 0.5, 0.50, 0.25, 2.50, 0, -0, 0.000 | yes |
| 0.125, 0.333, 1.005 | no (rounded per criterion) |
| blank (None) | adds nothing |

And the per-item statistics (`RankingInput.criterion_stats`) read the communes' points column-wise when each
commune's points hold every item in the set's order (as `commune_result` makes them), code by code otherwise:
the same statistics as worked out item by item from the points, either way.
"""

from __future__ import annotations

import random
from decimal import Decimal
from statistics import mean

import pytest

from cchc_xl.criteria import CriteriaSet
from cchc_xl.numbers import round2
from cchc_xl.reports.ranking_data import ZERO, CommuneResult, RankingInput, _shape

IN_CENTS = [Decimal(v) for v in ("1", "0.5", "0.50", "0.25", "2.50", "0", "-0", "0.000")] + [None]
OTHERS = [Decimal(v) for v in ("0.125", "0.333", "1.005")]


def _by_the_workbook(cset: CriteriaSet, points: dict[str, Decimal | None]) -> dict[str, Decimal]:
    out = {}
    for area in cset.areas:
        total = ZERO
        for criterion in area.criteria:
            items = [criterion] if criterion.is_leaf else list(criterion.children)
            values = [v for v in (points.get(x.code) for x in items) if v is not None]
            total += round2(sum(values, ZERO))
        out[area.code] = round2(total)
    return out


@pytest.mark.parametrize("others", [0, 1, 5], ids=["in-cents", "one-other", "five-others"])
def test_area_sums_are_the_workbooks(others: int, bundled_set: CriteriaSet) -> None:
    shape = _shape(bundled_set)
    rng = random.Random(others)
    for _ in range(200):
        points = {c: rng.choice(IN_CENTS) for c in shape.codes}
        for c in rng.sample(shape.codes, others):
            points[c] = rng.choice(OTHERS)
        got, want = shape.area_sums(points), _by_the_workbook(bundled_set, points)
        assert got == want
        assert [str(v) for v in got.values()] == [str(v) for v in want.values()]


def _results(cset: CriteriaSet, count: int, seed: int) -> list[CommuneResult]:
    rng = random.Random(seed)
    codes = _shape(cset).codes
    out = []
    for i in range(count):
        leaves = {c: rng.choice(IN_CENTS + OTHERS) for c in codes}
        out.append(CommuneResult(code=f"{i:05d}", name=f"Xã {i}", kind="xã", received=True, leaves=leaves,
                                 self_total=sum(filter(None, leaves.values()), ZERO), status="accepted"))
    return out


@pytest.mark.parametrize("shuffled", [False, True], ids=["set-order", "other-order-and-missing"])
def test_criterion_stats_are_the_items_own(shuffled: bool, bundled_set: CriteriaSet) -> None:
    results = _results(bundled_set, 60, seed=7)
    if shuffled:  # points made otherwise than by commune_result: another order, an item missing
        rng = random.Random(3)
        for r in results[::3]:
            items = list(r.leaves.items())[1:]
            rng.shuffle(items)
            r.leaves = dict(items)
    data = RankingInput(cset=bundled_set, results=results)
    stats = {s.criterion.code: s for s in data.criterion_stats()}
    for leaf in bundled_set.leaves():
        values = [v for r in data.ranked if (v := r.leaves.get(leaf.code)) is not None]
        s = stats[leaf.code]
        assert s.scored == len(values)
        assert (s.minimum, s.maximum) == ((min(values), max(values)) if values else (None, None))
        assert s.average == (round2(sum(values, ZERO) / len(values)) if values else None)
        assert s.lost == round2(sum((leaf.max - v for v in values), ZERO))
        assert s.full_share == (Decimal(sum(v >= leaf.max for v in values)) / len(values) if values else None)
    assert mean(s.scored for s in stats.values()) > 0
