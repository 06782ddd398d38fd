"""Valid declared inputs at random, for filling commune workbooks in tests and benchmarks.

Kept apart from `returns` (the demo's returns, with evidence PDFs): it needs nothing but the criteria, so a
benchmark that uses it does not load the PDF libraries.
"""

from __future__ import annotations

import random

from cchc_xl.criteria.model import Criterion


def valid_values(leaf: Criterion, rng: random.Random) -> list[object]:
    """Valid declared inputs for one leaf, at random within its rule: [score], or its figures (tests and
    benchmarks fill workbooks with these; the demo's `_value` also makes the mistakes communes make)."""
    rule = leaf.rule
    assert rule is not None
    if rule.kind in ("done", "levels"):
        return [float(rng.choice(rule.allowed_points(leaf.max) or [leaf.max]))]
    if rule.kind == "manual":
        step = rule.step()
        return [float(step * rng.randint(0, int(leaf.max / step)))]
    if rule.kind == "ratio_tiers":
        den = rng.randint(1, 400)
        return [rng.randint(0, den), den]
    if rule.kind == "proportional":
        planned = rng.randint(1, 60)
        integer = getattr(rule, "integer", True)
        achieved = rng.randint(0, planned) if integer else round(rng.uniform(0, planned), 2)
        return [achieved, planned]
    return [rng.randint(0, 5)]  # count_deduction, count_award
