"""The ranking report's data: one `CommuneResult` per commune, ranks and tiers, per-area and per-criterion
statistics. Pure data and arithmetic (Decimals), no workbook code; `from_store` builds it from the store.

Which score ranks a commune: its final score (after appraisal) when there is one, else its self-assessed
total, which leaves the district-scored criteria out. Every sheet says which (`RankingInput.stage`). Only an
accepted return (accepted with warnings included) or an appraised one is ranked; a rejected return, a missing
one and one scored on another criteria set are listed apart with the reason (`CommuneResult.unranked`).

The tier of a final score is the appraisal's own (`appraisal.scores`); a self-assessed total gets the tier
`scoring.self_tier` gives it (none while the body still scores some points: a tier on a partial total would
mislead).

Ranks are competition ranks on the total rounded to 2 decimals: equal totals share a rank and the next
commune takes its position (1, 1, 3). Nothing breaks ties; tied communes are listed by commune code.

Final score: the total the appraisal import recorded (`appraisal.scores.evaluate_appraisal`); for an
appraisal given as points only (`FinalScores` without a total), `appraisal.scores.final_total` on them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import compress, repeat
from operator import itemgetter, lt
from typing import Any, Literal

from cchc_xl.appraisal.scores import final_total
from cchc_xl.collector import collection_paused
from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet, Criterion
from cchc_xl.identity import NEUTRAL, RoundIdentity
from cchc_xl.messages import say
from cchc_xl.numbers import CENT, MAX_MAGNITUDE, round2
from cchc_xl.scoring import self_tier
from cchc_xl.store import Round, Store, StoredAppraisal, StoredSubmission

Stage = Literal["self", "final", "mixed", "none"]
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class FinalScores:
    """A commune's appraisal: appraised points and reason per scored item, bonus and penalty points, and the
    final total and tier the appraisal import computed (None: work them out from the points)."""

    leaves: Mapping[str, tuple[Decimal | None, str]]
    bonus: Decimal = ZERO
    penalty: Decimal = ZERO
    total: Decimal | None = None
    tier: str = ""


@dataclass(slots=True, init=False)
class Deduction:
    """A scored item where the commune did not get the maximum. (Not frozen: a country's report makes 200,000
    of them, and a frozen dataclass sets each field through object.__setattr__, three times slower; its
    __init__ written out, `lost` worked out in it rather than in a __post_init__ call.)"""

    criterion: str
    title: str
    max: Decimal
    self_points: Decimal | None
    final_points: Decimal | None
    reason: str  # the appraisal council's reason (final scores), else ""
    explanation: str  # the commune's own explanation (giải trình), else ""
    lost: Decimal = field(init=False)  # max − points, worked out once (every sheet of a country's report reads it)

    def __init__(self, criterion: str, title: str, max: Decimal, self_points: Decimal | None,
                 final_points: Decimal | None, reason: str, explanation: str) -> None:
        self.criterion = criterion
        self.title = title
        self.max = max
        self.self_points = self_points
        self.final_points = final_points
        self.reason = reason
        self.explanation = explanation
        # (`points`, inlined)
        self.lost = _LOST[max, final_points if final_points is not None else self_points]

    @property
    def points(self) -> Decimal:
        """The points that count: final when appraised, else self-assessed (blank counts as 0)."""
        value = self.final_points if self.final_points is not None else self.self_points
        return value or ZERO


class _Lost(dict[tuple[Decimal, Decimal | None], Decimal]):
    """max − points rounded, by (max, points): equal values give the same Decimal, digits and all, and a
    country's 230,000 deductions are a few hundred pairs (bounded)."""

    def __missing__(self, key: tuple[Decimal, Decimal | None]) -> Decimal:
        if len(self) > 4096:
            self.clear()
        top, value = key
        lost = self[key] = round2(top - (value or ZERO))
        return lost


_LOST = _Lost()


@dataclass(slots=True, eq=False)
class CommuneResult:
    code: str
    name: str  # without the kind: "Gia Phù"
    kind: str  # "xã", "thị trấn", "phường"
    received: bool = False  # has a submission scored on this criteria set
    self_total: Decimal | None = None
    final_total: Decimal | None = None
    self_areas: dict[str, Decimal] = field(default_factory=dict)
    final_areas: dict[str, Decimal] = field(default_factory=dict)
    # Points per scored item at the stage that ranks the commune; None: not scored at that stage
    # (district-scored items before appraisal, or an item the appraisal left blank).
    leaves: dict[str, Decimal | None] = field(default_factory=dict)
    bonus: Decimal | None = None
    penalty: Decimal | None = None
    final_tier: str = ""  # the appraisal's tier
    tier: str = ""
    rank: int | None = None
    status: str = ""  # submission status: accepted | accepted_with_warnings | rejected ("" if none)
    state: str = ""  # store lifecycle: received | checked | appraised | final
    provisional: bool = False  # still in the explanation round (appraisal.explanation)
    version: int = 0
    file_name: str = ""
    received_at: dt.datetime | None = None
    on_time: bool | None = None
    other_set: str = ""  # the set id when the latest submission was scored on another criteria set
    errors: int = 0
    warnings: int = 0
    evidence_coverage: Decimal | None = None  # share of items scored > 0 that cite a document
    # `deductions`, once made; until then, what makes them (`_self_assessed`: only the phiếu kết quả reads them,
    # its sheets or its summary sheet, and a country's 600,000 took a third of the store's pass, which the
    # summary's child now makes: cards_worker). Fields (that `dataclasses.replace` carries), given by no caller.
    _made: list[Deduction] | None = field(default=None, repr=False, kw_only=True)
    _pending: _PendingDeductions | None = field(default=None, repr=False, kw_only=True)

    @property
    def deductions(self) -> list[Deduction]:
        """Every scored item below its maximum, in the set's order."""
        made = self._made
        if made is None:
            pending, self._pending = self._pending, None
            made = self._made = pending.make() if pending is not None else []
        return made

    def passing_deductions(self) -> list[Deduction]:
        """`deductions`, not kept when they are not made yet (made anew at each call until `deductions` is
        read): the phiếu kết quả reads each commune's once, and a country's 600,000 kept would add 60 MB."""
        if self._made is None and self._pending is not None:
            return self._pending.make()
        return self.deductions

    def __eq__(self, other: object) -> bool:
        """Field by field, the deductions as made (neither side keeps them for this)."""
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (all(getattr(self, name) == getattr(other, name) for name in _COMPARED)
                and self.passing_deductions() == other.passing_deductions())  # type: ignore[attr-defined]

    @property
    def display(self) -> str:
        """'Xã Gia Phù', 'Thị trấn Phù Yên'."""
        return f"{self.kind[:1].upper()}{self.kind[1:]} {self.name}".strip()

    @property
    def is_final(self) -> bool:
        return self.final_total is not None

    @property
    def score(self) -> Decimal | None:
        """The score that ranks the commune, rounded to 2 decimals."""
        value = self.final_total if self.final_total is not None else self.self_total
        return None if value is None else round2(value)

    @property
    def areas(self) -> dict[str, Decimal]:
        return self.final_areas if self.is_final else self.self_areas

    @property
    def unranked(self) -> str:
        """Why the commune is not ranked ("" when it is): not_received | other_set | rejected | no_score.
        An appraised result ranks whatever its return's import status; a rejected one without an appraisal
        does not (its points were never accepted)."""
        if not self.received:
            return "other_set" if self.other_set else "not_received"
        if self.is_final:
            return ""
        if self.status == "rejected":
            return "rejected"
        return "" if self.self_total is not None else "no_score"


_COMPARED = tuple(name for name in CommuneResult.__dataclass_fields__ if not name.startswith("_"))


@dataclass(frozen=True, slots=True)
class _PendingDeductions:
    """A commune's deductions before they are made: the set's items (code, title, maximum) at the indexes of
    those below their maximum, the commune's points in the set's order, the explanations of those items."""

    entries: list[tuple[str, str, Decimal]]
    below: list[int]
    values: list[Decimal | None]
    explanations: tuple[str, ...]  # (in `below`'s order)

    def make(self) -> list[Deduction]:
        entries, values = self.entries, self.values
        out = []
        for i, explanation in zip(self.below, self.explanations, strict=True):
            c, title, top = entries[i]
            out.append(Deduction(c, title, top, values[i], None, "", explanation))
        return out


@dataclass
class CriterionStats:
    criterion: Criterion
    area: str
    scored: int  # communes with points for this item at their stage
    average: Decimal | None
    minimum: Decimal | None
    maximum: Decimal | None
    full_share: Decimal | None  # share of those communes at full points
    lost: Decimal  # points lost across the district: sum of (max − points)


@dataclass
class RankingInput:
    cset: CriteriaSet
    results: list[CommuneResult]  # every commune: ranked ones first (rank order), then the others by code
    previous: dict[str, Decimal] = field(default_factory=dict)  # previous year's total per commune code
    deadline: dt.datetime | None = None
    generated_at: dt.datetime = field(default_factory=dt.datetime.now)
    identity: RoundIdentity = NEUTRAL  # the round's assessing body, named on the cover and in the texts

    def __post_init__(self) -> None:
        rank_results(self.cset, self.results)

    @property
    def ranked(self) -> list[CommuneResult]:
        return [r for r in self.results if r.rank is not None]

    @property
    def unranked(self) -> list[CommuneResult]:
        """The communes listed apart (see `CommuneResult.unranked`), by code."""
        return [r for r in self.results if r.rank is None]

    @property
    def stage(self) -> Stage:
        ranked = self.ranked
        finals = sum(r.is_final for r in ranked)
        if not ranked:
            return "none"
        return "final" if finals == len(ranked) else "self" if finals == 0 else "mixed"

    @property
    def previous_ranks(self) -> dict[str, int]:
        return competition_ranks({c: round2(v) for c, v in self.previous.items()})

    def tier_counts(self) -> dict[str, int]:
        """Ranked communes per tier (a self-assessed total without a tier is counted in none)."""
        counts = {t.name: 0 for t in self.cset.tiers}
        for r in self.ranked:
            if r.tier:
                counts[r.tier] = counts.get(r.tier, 0) + 1
        return counts

    def area_averages(self) -> dict[str, Decimal | None]:
        areas = [r.areas for r in self.ranked]
        return {a.code: _mean(list(map(dict.get, areas, repeat(a.code), repeat(ZERO)))) for a in self.cset.areas}

    def criterion_stats(self) -> list[CriterionStats]:
        """Per scored item, sorted by points lost across the district (largest first), then in the set's order;
        items no commune has points for yet (district-scored, before appraisal) last."""
        stats = []
        leaves = self.cset.leaves()
        for leaf, column in zip(leaves, _columns([r.leaves for r in self.ranked], [x.code for x in leaves]),
                                strict=True):
            code, top = leaf.code, leaf.max
            # each value's count (a country's points are a few values): equal values are one key, the first
            # met (which min and max would return), and sums of exact Decimals do not depend on their order
            counts = Counter(column)
            counts.pop(None, None)
            values = list(counts)
            total = sum((v * k for v, k in counts.items()), ZERO)
            n = sum(counts.values())
            stats.append(CriterionStats(
                criterion=leaf, area=self.cset.area_of[code].code, scored=n,
                average=round2(total / n) if n else None, minimum=min(values) if n else None,
                maximum=max(values) if n else None,
                full_share=(Decimal(sum(k for v, k in counts.items() if v >= top)) / n) if n else None,
                lost=round2(top * n - total)))  # the sum of (max − points), exactly
        order = {leaf.code: i for i, leaf in enumerate(self.cset.leaves())}
        return sorted(stats, key=lambda s: (s.scored == 0, -s.lost, order[s.criterion.code]))


def _columns(points: list[dict[str, Decimal | None]], codes: list[str]) -> Iterable[Iterable[Decimal | None]]:
    """Each code's values across the communes' points (None where a commune has none), in the communes' order.
    The points of a result made by `commune_result` hold every code in the set's order: their values, turned
    column-wise in one go, are the columns (a country's 10,600 × 80 lookups one by one took most of the
    statistics' time); any other dict is read code by code."""
    wanted = tuple(codes)
    if all(tuple(p) == wanted for p in points):
        return zip(*map(dict.values, points), strict=True) if points else [() for _ in codes]
    return (map(dict.get, points, repeat(code)) for code in codes)


# -- ranks -------------------------------------------------------------------------------------------
def competition_ranks(totals: Mapping[str, Decimal]) -> dict[str, int]:
    """Competition ranking, highest first: equal totals share a rank, the next takes its position (1, 1, 3)."""
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    ranks: dict[str, int] = {}
    previous: Decimal | None = None
    rank = 0
    for position, (code, total) in enumerate(ordered, start=1):
        if total != previous:
            rank, previous = position, total
        ranks[code] = rank
    return ranks


def rank_results(cset: CriteriaSet, results: list[CommuneResult]) -> None:
    """Set rank and tier of every rankable commune and sort: rank order (ties by code), then unranked by code."""
    scores = {r.code: s for r in results if not r.unranked and (s := r.score) is not None}
    ranks = competition_ranks(scores)
    for r in results:
        r.rank = ranks.get(r.code)
        if r.code not in scores:
            r.tier = ""
        elif r.is_final:
            r.tier = r.final_tier or cset.tier_for(scores[r.code])
        else:
            r.tier = self_tier(cset, scores[r.code])
    results.sort(key=lambda r: (r.rank is None, r.rank or 0, r.code))


# -- building results -------------------------------------------------------------------------------
def commune_result(cset: CriteriaSet, code: str, name: str, kind: str, *, self_scores: Mapping[str, Any],
                   self_total: Decimal | None, explanations: Mapping[str, str] | None = None,
                   cited: Iterable[str] = (), final: FinalScores | None = None, status: str = "",
                   state: str = "", version: int = 0, file_name: str = "", received_at: dt.datetime | None = None,
                   deadline: dt.datetime | None = None, errors: int = 0, warnings: int = 0) -> CommuneResult:
    """One commune's result from its self-assessed scores (leaf code -> points or None) and optional appraisal."""
    explanations = explanations or {}
    shape = _shape(cset)
    res = CommuneResult(code=code, name=name, kind=kind, received=True, status=status, state=state,
                        version=version, file_name=file_name, received_at=received_at,
                        on_time=_on_time(received_at, deadline), errors=errors, warnings=warnings)
    res.self_total = None if self_total is None else round2(self_total)
    values = list(map(self_scores.get, shape.codes))
    if final is None and shape.fast and set(map(type, values)) <= _PLAIN and all(map(shape.cents.__getitem__, values)):
        _self_assessed(shape, res, values, explanations, cited)
    else:
        _scored(shape, res, self_scores, explanations, cited, final)
    return res


def _scored(shape: _Shape, res: CommuneResult, self_scores: Mapping[str, Any], explanations: Mapping[str, str],
            cited: Iterable[str], final: FinalScores | None) -> None:
    """`commune_result`'s points, areas, evidence coverage and deductions, item by item (any scores)."""
    cset = shape.cset
    self_points = shape.points(self_scores)
    res.self_areas = shape.area_sums(self_points)
    cited_codes = set(cited)
    positive = [c for c, v in self_points.items() if v is not None and v > 0]
    res.evidence_coverage = (Decimal(len(cited_codes.intersection(positive))) / len(positive)) if positive else None
    final_points: dict[str, Decimal | None] = {}
    reasons: dict[str, str] = {}
    if final is not None:
        for c in shape.codes:
            points, reason = final.leaves.get(c, (None, ""))
            final_points[c] = _dec(points)
            reasons[c] = reason or ""
        res.final_areas = shape.area_sums(final_points)
        res.bonus = _capped(final.bonus, cset.bonus.cap if cset.bonus else None)
        res.penalty = _capped(final.penalty, cset.penalty.cap if cset.penalty else None)
        if final.total is not None:  # the appraisal's own total and tier
            res.final_total, res.final_tier = round2(final.total), final.tier
        else:
            res.final_total = final_total(cset, final_points, res.bonus, res.penalty)
        res.leaves = final_points
    else:
        # Before appraisal a blank commune-scored item counts 0; district-scored items are not scored yet.
        res.leaves = {c: (self_points[c] or ZERO) if by_commune else None for c, by_commune in shape.scored_by}
    counted_points = res.leaves
    deductions = res.deductions
    get_final, get_reason, get_explanation = final_points.get, reasons.get, explanations.get
    for leaf, c, top in shape.items:
        counted = counted_points[c]
        if counted is None:
            if final is None:
                continue
        elif counted >= top:
            continue
        deductions.append(Deduction(c, leaf.title, top, self_points[c], get_final(c), get_reason(c, ""),
                                    str(get_explanation(c) or "")))


def _self_assessed(shape: _Shape, res: CommuneResult, values: list[Decimal | None], explanations: Mapping[str, str],
                   cited: Iterable[str]) -> None:
    """`_scored` for the common case, a commune before appraisal whose points (`values`, in the set's order)
    are all Decimals in cents or blank, the same values in whole lists at a time: no per-item dicts, the
    items below their maximum found by one comparison of lists."""
    codes = shape.codes
    # (round2, inlined)
    res.self_areas = {code: _quantize(sum(filter(None, pick(values)), ZERO), CENT, ROUND_HALF_UP)
                      for code, pick in shape.area_picks}
    counted = [v or ZERO for v in values]  # a blank counts 0 (and a zero is the one ZERO, as `_scored` makes it)
    positive = list(compress(codes, map(ZERO.__lt__, counted)))
    res.evidence_coverage = (Decimal(len(set(cited).intersection(positive))) / len(positive)) if positive else None
    below = list(compress(shape.commune_idx, map(lt, shape.pick_commune(counted), shape.commune_tops)))
    for i in shape.district_idx:  # not scored before appraisal
        counted[i] = None
    res.leaves = dict(zip(codes, counted, strict=True))
    if below:
        # (the explanations as given now: the caller's mapping may change before the deductions are made)
        get_explanation, entries = explanations.get, shape.entries
        res._pending = _PendingDeductions(entries, below, values,
                                          tuple([str(get_explanation(entries[i][0]) or "") for i in below]))


def missing_result(code: str, name: str, kind: str, other_set: str = "") -> CommuneResult:
    """A listed commune with no submission scored on this set."""
    return CommuneResult(code=code, name=name, kind=kind, other_set=other_set)


class _Shape:
    """What commune_result needs of a set, worked out once per set (it runs for every commune)."""

    def __init__(self, cset: CriteriaSet):
        self.cset = cset
        self.leaves = cset.leaves()
        self.codes = [leaf.code for leaf in self.leaves]
        self.items = [(leaf, leaf.code, leaf.max) for leaf in self.leaves]
        self.commune = {leaf.code for leaf in self.leaves if leaf.scored_by == "commune"}
        self.scored_by = [(c, c in self.commune) for c in self.codes]
        # area -> the codes of its criteria without children, and of each other criterion's scored items
        self.areas = [(a.code, [c.code for c in a.criteria if c.is_leaf],
                       [[x.code for x in c.children] for c in a.criteria if not c.is_leaf]) for a in cset.areas]
        self.area_codes = [(code, singles + [c for items in groups for c in items]) for code, singles, groups in self.areas]
        self.cents = _InCents()
        # for `_self_assessed`: items by their index in `codes`
        index = {c: i for i, c in enumerate(self.codes)}
        self.fast = len(index) == len(self.codes)  # (codes repeated in a set: `_scored` alone)
        self.entries = [(leaf.code, leaf.title, leaf.max) for leaf in self.leaves]
        self.commune_idx = [i for i, c in enumerate(self.codes) if c in self.commune]
        self.district_idx = [i for i, c in enumerate(self.codes) if c not in self.commune]
        self.commune_tops = [self.leaves[i].max for i in self.commune_idx]
        self.pick_commune = _picker(self.commune_idx)
        # each area's items in `area_codes` order (an item not among the leaves adds nothing, as a blank)
        self.area_picks = [(code, _picker([index[c] for c in codes if c in index])) for code, codes in self.area_codes]

    def points(self, scores: Mapping[str, Any]) -> dict[str, Decimal | None]:
        """Each scored item's points (`_dec` of the given value; None where none is given)."""
        values = list(map(scores.get, self.codes))
        if not set(map(type, values)) <= _PLAIN:  # (the store gives Decimals: nothing to convert)
            values = [_dec(v) for v in values]
        return dict(zip(self.codes, values, strict=True))

    def area_sums(self, points: Mapping[str, Decimal | None]) -> dict[str, Decimal]:
        """Each area's points, rounded at every level as the workbook rounds them: each criterion's sum, then
        the area's (Decimal sums are exact, so the order of the terms does not matter; a blank adds nothing).
        When every value has at most 2 decimals (as points are), so has every sum of them, and the rounding of
        each criterion's sum changes no value: each area is the sum of its values, rounded once."""
        get = points.get
        if all(map(self.cents.__getitem__, points.values())):
            # (a zero adds nothing either: left out with the blanks)
            return {code: round2(sum(filter(None, map(get, codes)), ZERO)) for code, codes in self.area_codes}
        out = {}
        for code, singles, groups in self.areas:
            total = ZERO
            for v in map(get, singles):
                if v is not None:
                    total += round2(v)
            for items in groups:
                part = ZERO
                for v in map(get, items):
                    if v is not None:
                        part += v
                total += round2(part)
            out[code] = round2(total)
        return out


class _InCents(dict[Any, bool]):
    """Whether a value is None or a Decimal of at most 2 decimals below MAX_MAGNITUDE (so that sums of a
    country's values stay exact), remembered by value: a property of the value, so equal Decimals share it (0.5,
    0.50 and 0.500 are all in cents), and a country's points are a few values."""

    def __missing__(self, value: Any) -> bool:
        if value is None:
            found = True
        elif isinstance(value, Decimal) and value.is_finite() and abs(value) < MAX_MAGNITUDE:
            found = value.as_tuple().exponent >= -2 or value == value.quantize(CENT)
        else:
            found = False
        if len(self) < 4096:
            self[value] = found
        return found


def _picker(indexes: list[int]) -> Callable[[list[Any]], tuple[Any, ...]]:
    """A list's items at these indexes, as a tuple (itemgetter gives a lone item, not a tuple of one)."""
    if len(indexes) > 1:
        return itemgetter(*indexes)
    return lambda values: tuple(values[i] for i in indexes)


_PLAIN = {Decimal, type(None)}
_quantize = Decimal.quantize
_SHAPES: dict[int, _Shape] = {}


def _shape(cset: CriteriaSet) -> _Shape:
    shape = _SHAPES.get(id(cset))
    if shape is None or shape.cset is not cset:
        if len(_SHAPES) > 16:
            _SHAPES.clear()
        shape = _SHAPES[id(cset)] = _Shape(cset)
    return shape


def _capped(value: Decimal | None, cap: Decimal | None) -> Decimal:
    v = round2(Decimal(value or 0))
    v = max(v, ZERO)
    return min(v, round2(cap)) if cap is not None else v


_DECIMALS: dict[str, Decimal] = {}


def _dec(value: Any) -> Decimal | None:
    """A Decimal from the store's text (or a number); equal texts share one object, which keeps a country's
    worth of per-item points small (Decimals are immutable)."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    text = str(value)
    found = _DECIMALS.get(text)
    if found is None:
        if len(_DECIMALS) > 50_000:
            _DECIMALS.clear()
        found = _DECIMALS[text] = Decimal(text)
    return found


def _mean(values: list[Decimal]) -> Decimal | None:
    return round2(sum(values, ZERO) / len(values)) if values else None


def _on_time(received: dt.datetime | None, deadline: dt.datetime | None) -> bool | None:
    if received is None or deadline is None:
        return None
    if (received.tzinfo is None) != (deadline.tzinfo is None):
        received = received.replace(tzinfo=None)  # compare wall-clock times
        deadline = deadline.replace(tzinfo=None)
    return received <= deadline


def parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


# -- the store adapter ---------------------------------------------------------------------------------
def from_store(store: Store, cset: CriteriaSet, communes: list[Commune] | None = None, *,
               final: Mapping[str, FinalScores] | None = None, previous: Mapping[str, Decimal] | None = None,
               deadline: dt.datetime | None = None, generated_at: dt.datetime | None = None,
               provisional: Iterable[str] = (), identity: RoundIdentity = NEUTRAL) -> RankingInput:
    """The ranking input from the store's counting submission of every commune (`provisional`: the codes
    whose results are still in the explanation round).

    `communes`: the list the district expects (names and kinds from it; those with no submission are shown as
    not received). `final`: appraisals by commune code; None reads the store's current appraisals
    (`Store.current_appraisal`), {} ranks on self-assessed scores only. Submissions are read one commune at a
    time, so memory stays flat for a whole country.
    """
    with collection_paused():
        results = store_results(store, cset, communes, final=final, deadline=deadline)
        marked = set(provisional)
        for r in results:
            r.provisional = r.code in marked
        return RankingInput(cset=cset, results=results, previous=dict(previous or {}), deadline=deadline,
                            generated_at=generated_at or dt.datetime.now(), identity=identity)


def store_results(store: Store, cset: CriteriaSet, communes: list[Commune] | None = None, *,
                  final: Mapping[str, FinalScores] | None = None,
                  deadline: dt.datetime | None = None) -> list[CommuneResult]:
    """One round's communes as `from_store` reads them (see there), not yet ranked."""
    with collection_paused():
        return _store_results(store, cset, communes, final=final, deadline=deadline)


def _store_results(store: Store, cset: CriteriaSet, communes: list[Commune] | None, *,
                   final: Mapping[str, FinalScores] | None, deadline: dt.datetime | None) -> list[CommuneResult]:
    listed = {c.code: c for c in communes or []}
    appraisals = None if final is not None else store.current_appraisals()
    results: list[CommuneResult] = []
    seen: set[str] = set()
    for row in store.latest_results():
        code = row.commune_code
        seen.add(code)
        known = (code, row.name, row.kind or "") if row.name is not None else None
        name, kind = _name(listed.get(code), known)
        if row.set_id != cset.id:
            results.append(missing_result(code, name, kind, other_set=row.set_id))
            continue
        appraisal = final.get(code) if final is not None else _final_scores(appraisals.get(code))  # type: ignore[union-attr]
        results.append(commune_result(
            cset, code, name, kind, self_scores=row.scores, self_total=row.self_total,
            explanations=row.declared.explanations, cited=map(str.strip, row.declared.cited), final=appraisal,
            status=row.status, state=row.state or "", version=row.version, file_name=row.file_name,
            received_at=parse_time(row.received_at), deadline=deadline, errors=row.errors, warnings=row.warnings))
    for code, commune in listed.items():
        if code not in seen:
            results.append(missing_result(code, commune.name, commune.kind))
    return results


class RoundsError(ValueError):
    """Rounds that cannot be ranked together: one Vietnamese message."""


@dataclass(frozen=True)
class RoundPart:
    """One round of a consolidated ranking: its store (opened on the round), units and deadline."""

    round: Round
    store: Store
    communes: list[Commune]
    deadline: dt.datetime | None = None
    provisional: frozenset[str] = frozenset()  # codes still in the explanation round


def check_consolidation(rounds: list[Round]) -> None:
    """Rounds ranked together must be of one year and one criteria set (same fingerprint)."""
    names = ", ".join(f"{r.id} ({r.year}, {r.set_id} {r.set_version})" for r in rounds)
    if len({r.year for r in rounds}) > 1:
        raise RoundsError(say("report.rounds_other_year", rounds=names))
    if len({r.set_sha256 for r in rounds}) > 1:
        raise RoundsError(say("report.rounds_other_set", rounds=names))


def from_rounds(parts: list[RoundPart], cset: CriteriaSet, *, previous: Mapping[str, Decimal] | None = None,
                generated_at: dt.datetime | None = None, identity: RoundIdentity = NEUTRAL) -> RankingInput:
    """One ranking across several rounds of one year and set (a province consolidating its districts, with
    its own round): every round's communes as `from_store` reads them, ranked together. A unit in two of
    the rounds is refused (RoundsError): it would be ranked twice."""
    check_consolidation([p.round for p in parts])
    with collection_paused():
        return _from_rounds(parts, cset, previous=previous, generated_at=generated_at, identity=identity)


def _from_rounds(parts: list[RoundPart], cset: CriteriaSet, *, previous: Mapping[str, Decimal] | None,
                 generated_at: dt.datetime | None, identity: RoundIdentity) -> RankingInput:
    results: list[CommuneResult] = []
    owner: dict[str, str] = {}
    for part in parts:
        for result in store_results(part.store, cset, part.communes, deadline=part.deadline):
            result.provisional = result.code in part.provisional
            if result.code in owner:
                raise RoundsError(say("report.rounds_shared_unit", code=result.code, first=owner[result.code],
                                      second=part.round.id))
            owner[result.code] = part.round.id
            results.append(result)
    deadlines = {p.deadline for p in parts}  # one deadline for the whole ranking only when they share it
    return RankingInput(cset=cset, results=results, previous=dict(previous or {}),
                        deadline=deadlines.pop() if len(deadlines) == 1 else None,
                        generated_at=generated_at or dt.datetime.now(), identity=identity)


def result_from_submission(cset: CriteriaSet, sub: StoredSubmission, name: str, kind: str, *,
                           final: FinalScores | None = None, state: str = "", deadline: dt.datetime | None = None,
                           errors: int = 0, warnings: int = 0) -> CommuneResult:
    """A commune's result from its whole stored submission (`store_results` reads less: `Store.latest_results`)."""
    # only the explanations given (most items have none) and the cited items: kept small for a whole country
    explanations = {c: leaf.explanation for c, leaf in sub.declared.leaves.items() if leaf.explanation}
    cited = {row.criterion.strip() for row in sub.declared.evidence_register}
    return commune_result(cset, sub.commune_code, name, kind, self_scores=sub.scores, self_total=sub.self_total,
                          explanations=explanations, cited=cited, final=final, status=sub.status, state=state,
                          version=sub.version, file_name=sub.file_name, received_at=parse_time(sub.received_at),
                          deadline=deadline, errors=errors, warnings=warnings)


def appraisal_from_store(store: Store, code: str) -> FinalScores | None:
    """The commune's current accepted appraisal as FinalScores, or None."""
    return _final_scores(store.current_appraisal(code))


def _final_scores(appraisal: StoredAppraisal | None) -> FinalScores | None:
    if appraisal is None:
        return None
    return FinalScores(leaves={c: (s.appraised_points, s.reason) for c, s in appraisal.scores.items()},
                       bonus=appraisal.bonus, penalty=appraisal.penalty, total=appraisal.total,
                       tier=appraisal.tier or "")


def previous_totals(store: Store, set_id: str | None = None) -> dict[str, Decimal]:
    """Each commune's total in another (e.g. last year's) store: its appraised total, else self-assessed."""
    out: dict[str, Decimal] = {}
    for code in store.commune_codes():
        sub = store.latest(code)
        if sub is None or (set_id is not None and sub.set_id != set_id):
            continue
        appraisal = store.current_appraisal(code)
        total = appraisal.total if appraisal is not None and appraisal.total is not None else sub.self_total
        if total is not None:
            out[code] = round2(total)
    return out


def _name(listed: Commune | None, known: tuple[str, str, str] | None) -> tuple[str, str]:
    if listed is not None:
        return listed.name, listed.kind
    if known is not None:
        return known[1], known[2]
    return "", "xã"
