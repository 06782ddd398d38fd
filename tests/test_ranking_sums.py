"""A commune's points per area (`ranking_data._Shape.area_sums`) as the workbook rounds them — each criterion's
sum rounded to 2 decimals, then the area's — whether the values are all in cents (then each area is summed
once and rounded once) or not (a value of 3 decimals, written into a store by hand): the same Decimals, digits
and all, on points drawn from these values:

| value   | in cents |
|---------|----------|
| 1, 0.5, 0.50, 0.25, 2.50, 0, -0, 0.000 | yes |
| 0.125, 0.333, 1.005 | no (rounded per criterion) |
| blank (None) | adds nothing |
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from cchc_xl.criteria import CriteriaSet
from cchc_xl.numbers import round2
from cchc_xl.reports.ranking_data import ZERO, _shape

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
