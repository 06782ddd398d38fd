"""Appraised and final scores, computed in Python exactly as the appraisal workbook's formulas do.

Final score = appraised points of every scored item (commune- and district-scored) + bonus − penalty,
each block within its cap, rounded to 2 decimals; never below 0. A set that rescales when its body scores
none of its items (`CriteriaSet.rescale_unscored`) rescales the areas' total first (`scoring.rescaled`).
The tier comes from the set's thresholds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from cchc_xl.criteria.model import CriteriaSet, Criterion
from cchc_xl.numbers import round2
from cchc_xl.scoring import Raw, blank_text, rescaled, tree_sums

_VALUE_STATUS = {"score.negative": "out_of_range", "score.above_max": "out_of_range",
                 "score.not_allowed": "not_allowed", "score.off_step": "not_allowed"}


@dataclass(frozen=True)
class AppraisalInputs:
    scores: dict[str, Raw] = field(default_factory=dict)  # appraised points per scored item, as typed
    reasons: dict[str, str] = field(default_factory=dict)
    counts: dict[str, Raw] = field(default_factory=dict)  # bonus / penalty item -> number of times
    appraiser: str = ""


@dataclass
class AppraisalResult:
    status: dict[str, str] = field(default_factory=dict)  # item -> status key (see appraisal.yaml `status`)
    points: dict[str, Decimal | None] = field(default_factory=dict)
    nodes: dict[str, Decimal] = field(default_factory=dict)
    adjustments: dict[str, Decimal] = field(default_factory=dict)
    areas_total: Decimal = Decimal("0.00")
    bonus: Decimal = Decimal("0.00")
    penalty: Decimal = Decimal("0.00")
    total: Decimal = Decimal("0.00")
    tier: str = ""


def differs(self_points: Decimal | None, appraised: Decimal) -> bool:
    """The workbook compares with N(self): a blank self-score counts as 0."""
    return appraised != (self_points or Decimal(0))


def item_status(leaf: Criterion, self_points: Decimal | None, value: Raw, reason: str) -> str:
    rule = leaf.rule
    assert rule is not None
    if value is None or value == "":
        return "missing"
    if not isinstance(value, Decimal):
        return "not_number"
    problems = rule.value_problems(leaf.max, value)
    if problems:
        return _VALUE_STATUS[problems[0].rule]
    if leaf.scored_by == "commune" and differs(self_points, value) and blank_text(reason):
        return "reason_missing"
    return "ok"


def count_value(raw: Raw) -> Decimal:
    """Bonus/penalty counts: blank is 0; anything not a whole non-negative number counts as 0 (and is a finding)."""
    if isinstance(raw, Decimal) and raw >= 0 and raw == raw.to_integral_value():
        return raw
    return Decimal(0)


def evaluate_appraisal(cset: CriteriaSet, self_scores: dict[str, Decimal | None],
                       inputs: AppraisalInputs) -> AppraisalResult:
    res = AppraisalResult()
    for leaf in cset.leaves():
        value = inputs.scores.get(leaf.code)
        res.status[leaf.code] = item_status(leaf, self_scores.get(leaf.code), value, inputs.reasons.get(leaf.code, ""))
        res.points[leaf.code] = value if isinstance(value, Decimal) else None

    res.areas_total = areas_total(cset, res.points, res.nodes)
    for key, block in (("bonus", cset.bonus), ("penalty", cset.penalty)):
        if block is None:
            continue
        subtotal = Decimal(0)
        for item in block.items:
            pts = round2(count_value(inputs.counts.get(item.code)) * item.points)
            res.adjustments[item.code] = pts
            subtotal += pts
        setattr(res, key, min(round2(block.cap), round2(subtotal)))
    res.total = final_total(cset, res.points, res.bonus, res.penalty, res.areas_total)
    res.tier = cset.tier_for(res.total)
    return res


def areas_total(cset: CriteriaSet, points: Mapping[str, Decimal | None], nodes: dict[str, Decimal] | None = None) -> Decimal:
    """The appraised areas' total (rescaled when the set says so); `nodes` gets every area's and criterion's sum."""
    body_scored = any(points.get(leaf.code) is not None for leaf in cset.body_leaves())
    return rescaled(cset, tree_sums(cset, dict(points), nodes if nodes is not None else {}), body_scored)


def final_total(cset: CriteriaSet, points: Mapping[str, Decimal | None], bonus: Decimal, penalty: Decimal,
                areas: Decimal | None = None) -> Decimal:
    """The final score: the areas' total (`areas`, else worked out from `points`) + bonus − penalty (each
    already within its cap), rounded to 2 decimals, never below 0."""
    if areas is None:
        areas = areas_total(cset, points)
    return max(Decimal("0.00"), round2(areas + bonus - penalty))
