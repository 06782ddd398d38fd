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
from functools import cache
from typing import Any

from cchc_xl.criteria.model import CriteriaSet, Criterion
from cchc_xl.criteria.rules import SCORE_ABOVE_MAX, SCORE_NEGATIVE, Params, Rule, ValueCheck
from cchc_xl.numbers import round2
from cchc_xl.scoring import LeafCheck, Raw, blank_text, excel_blank, rescaled, run_checks, tree_sums


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


@dataclass(frozen=True)
class ItemFacts:
    """What an appraised item's checks test in Python: the self-score, the appraised score as typed, the reason."""
    self_points: Decimal | None
    value: Raw
    reason: str


@dataclass(frozen=True)
class ItemCells:
    """The cells (A1 references) an appraised item's status formula looks at."""
    score: str  # the appraised score
    reason: str
    self: str  # the self-score (the district's mark on an item the district scores: N() of it is 0)


def _rule(leaf: Criterion) -> Rule:
    assert leaf.rule is not None
    return leaf.rule


def _failed(failing: bool) -> Params | None:
    return {} if failing else None


def _appraised(f: ItemFacts) -> Decimal:
    """The appraised score, which the gates before a rule check found a number."""
    assert isinstance(f.value, Decimal)
    return f.value


ItemCheck = LeafCheck[ItemFacts, ItemCells]
MISSING: ItemCheck = LeafCheck("missing", "appraisal.missing", lambda leaf, f: _failed(f.value in (None, "")),
                               lambda leaf, c: f'{c.score}=""', role="gate")
NOT_NUMBER: ItemCheck = LeafCheck(
    "not_number", "appraisal.not_number", lambda leaf, f: _failed(not isinstance(f.value, Decimal)),
    lambda leaf, c: f"NOT(ISNUMBER({c.score}))", role="gate")
REASON_MISSING: ItemCheck = LeafCheck(
    "reason_missing", "appraisal.reason_missing",
    lambda leaf, f: _failed(differs(f.self_points, _appraised(f)) and blank_text(f.reason)),
    lambda leaf, c: f"AND({c.score}<>N({c.self}),{excel_blank(c.reason)})", role="status")


@cache
def _on_appraised(check: ValueCheck) -> ItemCheck:
    """A rule's check of a typed score, on the appraised score: out of range (below 0, above the maximum)
    or not allowed (not a level or off the step)."""
    status = "out_of_range" if check in (SCORE_NEGATIVE, SCORE_ABOVE_MAX) else "not_allowed"
    return LeafCheck(status, f"appraisal.{status}",
                     lambda leaf, f: check.test(_rule(leaf), leaf.max, _appraised(f)),
                     lambda leaf, c: check.excel(_rule(leaf), leaf.max, c.score), group=check.group)


def item_checks(leaf: Criterion) -> list[ItemCheck]:
    """Every check of an appraised item in the status column's priority order: a score, a number, the rule's
    checks, then a reason where the council changed a commune's self-score."""
    checks = [MISSING, NOT_NUMBER, *map(_on_appraised, _rule(leaf).value_checks(leaf.max))]
    return [*checks, REASON_MISSING] if leaf.scored_by == "commune" else checks


def item_status(leaf: Criterion, self_points: Decimal | None, value: Raw, reason: str) -> str:
    """The first failing check of `item_checks`, or 'ok'."""
    return run_checks(leaf, item_checks(leaf), ItemFacts(self_points, value, reason))[0]


def count_value(raw: Raw) -> Decimal:
    """Bonus/penalty counts: blank is 0; anything not a whole non-negative number counts as 0 (and is a finding)."""
    if isinstance(raw, Decimal) and raw >= 0 and raw == raw.to_integral_value():
        return raw
    return Decimal(0)


def evaluate_appraisal(cset: CriteriaSet, self_scores: dict[str, Decimal | None],
                       inputs: AppraisalInputs, statuses: dict[tuple[Any, ...], str] | None = None) -> AppraisalResult:
    """`statuses`: a run's memo of `item_status` for this set (a pure function: the communes of a run repeat
    the same few scores), bounded."""
    res = AppraisalResult()
    if statuses is not None and len(statuses) >= 65536:
        statuses.clear()
    for leaf in cset.leaves():
        value = inputs.scores.get(leaf.code)
        self_points, reason = self_scores.get(leaf.code), inputs.reasons.get(leaf.code, "")
        if statuses is None:
            res.status[leaf.code] = item_status(leaf, self_points, value, reason)
        else:  # (the types too: 1 and True are equal keys, but not one score)
            key = (leaf.code, type(self_points), self_points, type(value), value, reason)
            try:
                found = statuses.get(key)
                if found is None:
                    found = statuses[key] = item_status(leaf, self_points, value, reason)
            except TypeError:  # (a value that cannot be a key: a signalling NaN)
                found = item_status(leaf, self_points, value, reason)
            res.status[leaf.code] = found
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
