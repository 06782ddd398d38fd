"""Scoring rules: one closed set of kinds, each defined once for both ends.

Every kind knows, side by side:
- which declared figures it needs (`figures`) and whether the score is computed from them (`computed`);
- how to compute the score in Python with Decimals (`points`) and as an Excel 2010 formula (`excel_points`);
- its checks of a typed score (`value_checks`) and of declared figures (`figure_checks`): each `Check` holds
  its problem code, its Python test and its Excel condition side by side; `value_problems`/`figure_problems`
  and `excel_value_problems`/`excel_figure_problems` are both made from them;
- how to check its own parameters against the maximum (`param_problems`).

Problems are (code, params) pairs; their Vietnamese text lives in `cchc_xl.messages`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, cached_property
from typing import Annotated, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from cchc_xl.literals import number as _n
from cchc_xl.messages import say
from cchc_xl.numbers import CENT, is_multiple, round2
from cchc_xl.records import Problem

Params = dict[str, object]
ExcelCheck = tuple[str, str]  # (Excel condition that is TRUE when wrong, problem code)

V = TypeVar("V")  # what the Python test looks at
C = TypeVar("C")  # the cell reference(s) the Excel condition looks at


@dataclass(frozen=True, eq=False)  # compared and hashed as themselves: each is made once
class Check(Generic[V, C]):
    """One check, both ends side by side, for any rule and maximum: `test(rule, maximum, value)` gives the
    problem's parameters when the check fails (else None), `excel(rule, maximum, cells)` the condition that
    is TRUE when it fails. Of the failing checks of one `group` only the first is a problem (a negative
    figure is not also said to be fractional); the workbook's status shows the first failing check of all.
    Checks are made once (module constants), not per item: an import runs them on every item of every file."""

    code: str  # the problem code: a finding rule id of messages.FINDINGS
    test: Callable[[_Rule, Decimal, V], Params | None]
    excel: Callable[[_Rule, Decimal, C], str]
    group: Hashable = 0


def problems_of(rule: _Rule, maximum: Decimal, checks: Sequence[Check[V, C]], value: V) -> list[Problem]:
    """The problems `checks` find in `value`: in order, the first failing check of each group."""
    problems: list[Problem] = []
    failed: set[Hashable] = set()
    for check in checks:
        if check.group in failed:
            continue
        params = check.test(rule, maximum, value)
        if params is not None:
            failed.add(check.group)
            problems.append(Problem(check.code, params))
    return problems


ValueCheck = Check[Decimal, str]  # on the typed score and its cell
FigureCheck = Check[Sequence[Decimal], Sequence[str]]  # on the declared figures and their cells


def _negative(rule: _Rule, maximum: Decimal, v: Decimal) -> Params | None:
    return {"value": v} if v < 0 else None


def _above_max(rule: _Rule, maximum: Decimal, v: Decimal) -> Params | None:
    return {"value": v, "max": maximum} if v > maximum else None


def _not_allowed(rule: _Rule, maximum: Decimal, v: Decimal) -> Params | None:
    allowed = rule.allowed_points(maximum)
    return None if allowed is None or v in allowed else {"value": v, "allowed": allowed}


def _excel_not_allowed(rule: _Rule, maximum: Decimal, ref: str) -> str:
    return f"NOT(OR({','.join(f'{ref}={_n(a)}' for a in rule.allowed_points(maximum) or ())}))"


def _off_step(rule: _Rule, maximum: Decimal, v: Decimal) -> Params | None:
    step = rule.step()
    return None if is_multiple(v, step) else {"value": v, "step": step}


def _excel_off_step(rule: _Rule, maximum: Decimal, ref: str) -> str:
    s = _n(rule.step())
    return f"ABS({ref}/{s}-ROUND({ref}/{s},0))>0.000001"


SCORE_NEGATIVE: ValueCheck = Check("score.negative", _negative, lambda rule, m, ref: f"{ref}<0")
SCORE_ABOVE_MAX: ValueCheck = Check("score.above_max", _above_max, lambda rule, m, ref: f"{ref}>{_n(m)}")
SCORE_NOT_ALLOWED: ValueCheck = Check("score.not_allowed", _not_allowed, _excel_not_allowed)
SCORE_OFF_STEP: ValueCheck = Check("score.off_step", _off_step, _excel_off_step)


def _figure_params(rule: _Rule, i: int, v: Decimal) -> Params:
    return {"n": i + 1, "label": rule.figures()[i].label, "value": v}


@cache
def _figure_checks(i: int, integer: bool) -> tuple[FigureCheck, ...]:
    """The checks of the i-th figure (0-based): not negative, and whole where it counts things."""
    group = ("figure", i + 1)
    negative: FigureCheck = Check(
        "figures.negative", lambda rule, m, fs: _figure_params(rule, i, fs[i]) if fs[i] < 0 else None,
        lambda rule, m, refs: f"{refs[i]}<0", group)
    fractional: FigureCheck = Check(
        "figures.not_integer",
        lambda rule, m, fs: _figure_params(rule, i, fs[i]) if fs[i] != fs[i].to_integral_value() else None,
        lambda rule, m, refs: f"{refs[i]}<>INT({refs[i]})", group)
    return (negative, fractional) if integer else (negative,)


FIGURES_NUMERATOR_ABOVE: FigureCheck = Check(
    "figures.numerator_above_denominator",
    lambda rule, m, fs: {"num": fs[0], "den": fs[1]} if fs[0] > fs[1] else None,
    lambda rule, m, refs: f"{refs[0]}>{refs[1]}", group="ratio")


class FigureSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    label: str
    integer: bool = True


def _precision_problems(*points: Decimal | None) -> list[Problem]:
    """Points given with more than 2 decimals: the score is kept to the cent, so 0.125 cannot be awarded
    (Python would round it, the sheet would show it raw)."""
    odd = [p for p in points if p is not None and p.is_finite() and not is_multiple(p, CENT)]
    return [Problem("rule.points_precision", {"points": p}) for p in dict.fromkeys(odd)]


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # How many figures `figures()` lists: fixed per kind, and asked for several times per item of every
    # imported file (building the figure models each time would cost more than the scoring).
    figure_count: ClassVar[int] = 0

    @property
    def computed(self) -> bool:
        return self.figure_count > 0

    def figures(self) -> list[FigureSpec]:
        """The figures a commune declares, in order (`figure_count` of them; none: the score is declared);
        made once per rule (the layout of every return asks for them several times per item)."""
        return list(self._figure_specs)

    @cached_property
    def _figure_specs(self) -> tuple[FigureSpec, ...]:
        return tuple(self._make_figures())

    def _make_figures(self) -> list[FigureSpec]:
        return []

    def allowed_points(self, maximum: Decimal) -> list[Decimal] | None:
        """The exact values the score may take, when the rule has a short list of them."""
        return None

    def step(self) -> Decimal:
        return Decimal("0.01")

    # -- Python side and Excel side ------------------------------------------------------------
    def points(self, maximum: Decimal, figures: Sequence[Decimal]) -> Decimal:
        raise NotImplementedError(f"{type(self).__name__} takes the score as input")

    def excel_points(self, maximum: Decimal, refs: Sequence[str]) -> str:
        raise NotImplementedError(f"{type(self).__name__} takes the score as input")

    def value_checks(self, maximum: Decimal) -> list[ValueCheck]:
        """A typed score's checks, in priority order (one group: a score has one problem at most)."""
        last = SCORE_NOT_ALLOWED if self.allowed_points(maximum) is not None else SCORE_OFF_STEP
        return [SCORE_NEGATIVE, SCORE_ABOVE_MAX, last]

    def figure_checks(self) -> list[FigureCheck]:
        """The declared figures' checks, in priority order (one group per figure)."""
        return [c for i, spec in enumerate(self.figures()) for c in _figure_checks(i, spec.integer)]

    def value_problems(self, maximum: Decimal, value: Decimal) -> list[Problem]:
        return problems_of(self, maximum, self.value_checks(maximum), value)

    def figure_problems(self, figures: Sequence[Decimal]) -> list[Problem]:
        if len(figures) != self.figure_count:
            raise ValueError(f"{type(self).__name__} takes {self.figure_count} figures, not {len(figures)}")
        return problems_of(self, Decimal(0), self.figure_checks(), figures)

    def excel_value_problems(self, maximum: Decimal, ref: str) -> list[ExcelCheck]:
        return [(c.excel(self, maximum, ref), c.code) for c in self.value_checks(maximum)]

    def excel_figure_problems(self, refs: Sequence[str]) -> list[ExcelCheck]:
        return [(c.excel(self, Decimal(0), refs), c.code) for c in self.figure_checks()]

    def excel_complete(self, refs: Sequence[str]) -> str:
        return f"COUNT({','.join(refs)})={len(refs)}"

    # -- consistency ---------------------------------------------------------------------------
    def param_problems(self, maximum: Decimal) -> list[Problem]:
        return []

    def describe(self, maximum: Decimal) -> str:
        raise NotImplementedError


class DoneRule(_Rule):
    """Done / not done: the maximum or nothing."""

    kind: Literal["done"]

    def allowed_points(self, maximum: Decimal) -> list[Decimal]:
        return [maximum, Decimal(0)]

    def describe(self, maximum: Decimal) -> str:
        return say("rule.done", max=maximum)


class Level(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    points: Decimal
    label: str


class LevelsRule(_Rule):
    """Discrete levels, e.g. complete and on time 1; complete but late 0.5; not done 0."""

    kind: Literal["levels"]
    levels: list[Level] = Field(min_length=2)

    def allowed_points(self, maximum: Decimal) -> list[Decimal]:
        return [lv.points for lv in self.levels]

    def param_problems(self, maximum: Decimal) -> list[Problem]:
        problems: list[Problem] = []
        pts = [lv.points for lv in self.levels]
        for p in pts:
            if p > maximum or p < 0:
                problems.append(Problem("rule.level_out_of_range", {"points": p, "max": maximum}))
        problems.extend(_precision_problems(*pts))
        if len(set(pts)) != len(pts):
            problems.append(Problem("rule.level_duplicate", {}))
        if maximum not in pts:
            problems.append(Problem("rule.level_max_missing", {"max": maximum}))
        return problems

    def describe(self, maximum: Decimal) -> str:
        return "; ".join(say("rule.level", label=lv.label, points=lv.points) for lv in self.levels)


class Tier(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    min_percent: Decimal
    points: Decimal


class RatioTiersRule(_Rule):
    """Numerator / denominator -> percentage -> points by thresholds (highest first), else 0."""

    kind: Literal["ratio_tiers"]
    numerator: str
    denominator: str
    tiers: list[Tier] = Field(min_length=1)
    # When nothing arose (denominator 0) the unit failed nobody: full points unless the set says otherwise.
    when_zero: Decimal | None = None

    figure_count: ClassVar[int] = 2

    def _make_figures(self) -> list[FigureSpec]:
        return [FigureSpec(label=self.numerator), FigureSpec(label=self.denominator)]

    def _zero(self, maximum: Decimal) -> Decimal:
        return maximum if self.when_zero is None else self.when_zero

    def points(self, maximum: Decimal, figures: Sequence[Decimal]) -> Decimal:
        num, den = figures
        if den == 0:
            return round2(self._zero(maximum))
        for tier in self.tiers:
            if num * 100 >= tier.min_percent * den:
                return round2(tier.points)
        return Decimal("0.00")

    def figure_checks(self) -> list[FigureCheck]:
        return [*super().figure_checks(), FIGURES_NUMERATOR_ABOVE]

    def excel_points(self, maximum: Decimal, refs: Sequence[str]) -> str:
        num, den = refs
        expr = "0"
        for tier in reversed(self.tiers):
            expr = f"IF({num}*100>={_n(tier.min_percent)}*{den},{_n(tier.points)},{expr})"
        return f"IF({den}=0,{_n(self._zero(maximum))},{expr})"

    def param_problems(self, maximum: Decimal) -> list[Problem]:
        problems: list[Problem] = []
        pcts = [t.min_percent for t in self.tiers]
        if any(a <= b for a, b in zip(pcts, pcts[1:], strict=False)):
            problems.append(Problem("rule.thresholds_not_ordered", {}))
        pts = [t.points for t in self.tiers]
        if any(a < b for a, b in zip(pts, pts[1:], strict=False)):
            problems.append(Problem("rule.tier_points_not_ordered", {}))
        for t in self.tiers:
            if t.points > maximum or t.points < 0:
                problems.append(Problem("rule.level_out_of_range", {"points": t.points, "max": maximum}))
            if not 0 <= t.min_percent <= 100:
                problems.append(Problem("rule.percent_out_of_range", {"percent": t.min_percent}))
        if self.tiers and self.tiers[0].points != maximum:
            problems.append(Problem("rule.level_max_missing", {"max": maximum}))
        if self.when_zero is not None and not 0 <= self.when_zero <= maximum:
            problems.append(Problem("rule.level_out_of_range", {"points": self.when_zero, "max": maximum}))
        problems.extend(_precision_problems(*pts, self.when_zero))
        return problems

    def allowed_points(self, maximum: Decimal) -> list[Decimal]:
        return sorted({t.points for t in self.tiers} | {Decimal(0), self._zero(maximum)}, reverse=True)

    def describe(self, maximum: Decimal) -> str:
        tiers = "; ".join(say("rule.ratio_tier", percent=t.min_percent, points=t.points) for t in self.tiers)
        return say("rule.ratio_tiers", numerator=self.numerator, denominator=self.denominator, tiers=tiers)


class ProportionalRule(_Rule):
    """points = max × achieved ÷ planned, capped at max."""

    kind: Literal["proportional"]
    achieved: str
    planned: str
    integer: bool = True
    when_zero: Decimal | None = None

    figure_count: ClassVar[int] = 2

    def _make_figures(self) -> list[FigureSpec]:
        return [FigureSpec(label=self.achieved, integer=self.integer),
                FigureSpec(label=self.planned, integer=self.integer)]

    def _zero(self, maximum: Decimal) -> Decimal:
        return maximum if self.when_zero is None else self.when_zero

    def points(self, maximum: Decimal, figures: Sequence[Decimal]) -> Decimal:
        achieved, planned = figures
        if planned == 0:
            return round2(self._zero(maximum))
        return round2(maximum * min(achieved, planned) / planned)

    def excel_points(self, maximum: Decimal, refs: Sequence[str]) -> str:
        a, p = refs
        return f"IF({p}=0,{_n(self._zero(maximum))},ROUND({_n(maximum)}*MIN({a},{p})/{p},2))"

    def param_problems(self, maximum: Decimal) -> list[Problem]:
        problems: list[Problem] = []
        if self.when_zero is not None and not 0 <= self.when_zero <= maximum:
            problems.append(Problem("rule.level_out_of_range", {"points": self.when_zero, "max": maximum}))
        problems.extend(_precision_problems(self.when_zero))
        return problems

    def describe(self, maximum: Decimal) -> str:
        return say("rule.proportional", max=maximum, achieved=self.achieved, planned=self.planned)


class CountDeductionRule(_Rule):
    """max, minus `per_item` for each counted violation, not below 0."""

    kind: Literal["count_deduction"]
    count: str
    per_item: Decimal = Field(gt=0)

    figure_count: ClassVar[int] = 1

    def _make_figures(self) -> list[FigureSpec]:
        return [FigureSpec(label=self.count)]

    def points(self, maximum: Decimal, figures: Sequence[Decimal]) -> Decimal:
        return max(Decimal("0.00"), round2(maximum - figures[0] * self.per_item))

    def excel_points(self, maximum: Decimal, refs: Sequence[str]) -> str:
        return f"MAX(0,ROUND({_n(maximum)}-{refs[0]}*{_n(self.per_item)},2))"

    def param_problems(self, maximum: Decimal) -> list[Problem]:
        if self.per_item > maximum:
            return [Problem("rule.per_item_above_max", {"per_item": self.per_item, "max": maximum})]
        return []

    def describe(self, maximum: Decimal) -> str:
        return say("rule.count_deduction", max=maximum, per_item=self.per_item, count=self.count)


class CountAwardRule(_Rule):
    """`per_item` for each counted item, up to max."""

    kind: Literal["count_award"]
    count: str
    per_item: Decimal = Field(gt=0)

    figure_count: ClassVar[int] = 1

    def _make_figures(self) -> list[FigureSpec]:
        return [FigureSpec(label=self.count)]

    def points(self, maximum: Decimal, figures: Sequence[Decimal]) -> Decimal:
        return min(round2(maximum), round2(figures[0] * self.per_item))

    def excel_points(self, maximum: Decimal, refs: Sequence[str]) -> str:
        return f"MIN({_n(maximum)},ROUND({refs[0]}*{_n(self.per_item)},2))"

    def param_problems(self, maximum: Decimal) -> list[Problem]:
        if self.per_item > maximum:
            return [Problem("rule.per_item_above_max", {"per_item": self.per_item, "max": maximum})]
        return []

    def describe(self, maximum: Decimal) -> str:
        return say("rule.count_award", max=maximum, per_item=self.per_item, count=self.count)


class ManualRule(_Rule):
    """Any value from 0 to max on a step."""

    kind: Literal["manual"]
    step_size: Decimal = Field(default=Decimal("0.25"), gt=0, alias="step")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def step(self) -> Decimal:
        return self.step_size

    def param_problems(self, maximum: Decimal) -> list[Problem]:
        if not is_multiple(maximum, self.step_size):
            return [Problem("rule.step_not_divisor", {"step": self.step_size, "max": maximum})]
        return []

    def describe(self, maximum: Decimal) -> str:
        return say("rule.manual", max=maximum, step=self.step_size)


class DistrictRule(_Rule):
    """Scored by the district only (e.g. the satisfaction survey); locked for the commune."""

    kind: Literal["district"]
    method: str = ""

    def step(self) -> Decimal:
        return Decimal("0.01")

    def describe(self, maximum: Decimal) -> str:
        return say("rule.district_method", method=self.method) if self.method else say("rule.district")


Rule = Annotated[
    DoneRule | LevelsRule | RatioTiersRule | ProportionalRule | CountDeductionRule | CountAwardRule
    | ManualRule | DistrictRule,
    Field(discriminator="kind"),
]

RULE_KINDS = ("done", "levels", "ratio_tiers", "proportional", "count_deduction", "count_award", "manual",
              "district")
