"""The criteria set as immutable data: areas -> criteria -> sub-criteria, bonus/penalty, tiers."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cchc_xl.criteria.rules import DistrictRule, Rule
from cchc_xl.numbers import plain


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Decision(_Frozen):
    """The district decision that issued the set (Phụ lục 1)."""

    number: str  # số, ký hiệu, e.g. 1550/QĐ-UBND
    date: dt.date
    issuer: str
    title: str = ""


class TierThreshold(_Frozen):
    name: str
    min: Decimal  # lowest total that earns this tier


class Criterion(_Frozen):
    """A criterion (TC) or sub-criterion (TCTP). A node without children is scored itself."""

    code: str
    title: str
    max: Decimal
    requirement: str = ""
    guidance: str = ""  # the scoring method in the decision's own words
    rule: Rule | None = None
    evidence: list[str] = Field(default_factory=list)
    children: list[Criterion] = Field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def scored_by(self) -> Literal["commune", "district"]:
        return "district" if isinstance(self.rule, DistrictRule) else "commune"

    @property
    def name_key(self) -> str:
        """The criterion code as it appears in defined names: 3.1.2 -> 3_1_2."""
        return self.code.replace(".", "_")


class Area(_Frozen):
    """A lĩnh vực: numbered I, II, … or 1, 2, …"""

    code: str
    title: str
    max: Decimal
    criteria: list[Criterion] = Field(default_factory=list)


class AdjustmentItem(_Frozen):
    code: str
    title: str
    points: Decimal  # per item, or the fixed amount
    evidence: list[str] = Field(default_factory=list)


class AdjustmentBlock(_Frozen):
    """Bonus (điểm thưởng) or penalty (điểm trừ) items, added or deducted within a cap."""

    cap: Decimal
    items: list[AdjustmentItem] = Field(default_factory=list)


class CriteriaSet(_Frozen):
    id: str
    title: str
    year: int
    version: str
    decision: Decision
    total: Decimal = Decimal(100)
    tiers: list[TierThreshold]
    areas: list[Area]
    bonus: AdjustmentBlock | None = None
    penalty: AdjustmentBlock | None = None
    # Some provinces rescale when the body does not score its items (no survey held that year): the final
    # total is then the other points × total ÷ (total − the unscored items' maximum). See scoring.rescaled.
    rescale_unscored: bool = False
    # Evidence dated outside this window is questioned; default: the assessment year.
    evidence_from: dt.date | None = None
    evidence_to: dt.date | None = None
    # Filled by the loader: sha256 of the canonical text the set was read from.
    source_sha256: str = ""

    def walk(self) -> Iterator[tuple[Area, Criterion, Criterion | None]]:
        """(area, criterion, sub-criterion or None) for every criterion and sub-criterion, in order."""
        for area in self.areas:
            for crit in area.criteria:
                yield area, crit, None
                for sub in crit.children:
                    yield area, crit, sub

    def leaves(self) -> list[Criterion]:
        """Every scored item (sub-criteria, and criteria without sub-criteria), in order."""
        return [c for c in self._nodes if c.is_leaf]

    @cached_property
    def _nodes(self) -> list[Criterion]:
        return [sub or crit for _, crit, sub in self.walk()]

    @cached_property
    def by_code(self) -> dict[str, Criterion]:
        return {c.code: c for c in self._nodes}

    @cached_property
    def area_of(self) -> dict[str, Area]:
        return {(sub or crit).code: area for area, crit, sub in self.walk()}

    def commune_leaves(self) -> list[Criterion]:
        return [c for c in self.leaves() if c.scored_by == "commune"]

    def body_leaves(self) -> list[Criterion]:
        """The items the assessing body scores itself (survey, SIPAS, …): locked for the commune."""
        return [c for c in self.leaves() if c.scored_by == "district"]

    @cached_property
    def commune_max(self) -> Decimal:
        """The most a commune can give itself: the maxima of the items it scores."""
        return sum((c.max for c in self.commune_leaves()), Decimal(0))

    @cached_property
    def body_max(self) -> Decimal:
        """The points the assessing body scores (0: the commune scores everything)."""
        return sum((c.max for c in self.body_leaves()), Decimal(0))

    @property
    def highest(self) -> Decimal:
        """The highest final total: every item's maximum plus the bonus cap (for chart axes)."""
        return self.total + (self.bonus.cap if self.bonus is not None else Decimal(0))

    def tier_for(self, total: Decimal) -> str:
        for tier in sorted(self.tiers, key=lambda t: t.min, reverse=True):
            if total >= tier.min:
                return tier.name
        return self.tiers[-1].name if self.tiers else ""

    @property
    def window(self) -> tuple[dt.date, dt.date]:
        return (self.evidence_from or dt.date(self.year, 1, 1), self.evidence_to or dt.date(self.year, 12, 31))

    def fingerprint(self) -> str:
        """A digest of the set's content (independent of YAML formatting)."""
        data = json.dumps(_canonical(self.model_dump(mode="python", exclude={"source_sha256"})),
                          ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _canonical(value: Any) -> Any:
    """Decimals as plain text (2.50 and 2.5 are the same maximum)."""
    if isinstance(value, Decimal):
        return str(plain(value))
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value
