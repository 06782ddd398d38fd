"""Consistency checks of a criteria set. Every problem is reported, not only the first."""

from __future__ import annotations

import re
from decimal import Decimal

from cchc_xl.criteria.load import Locator, SetProblem, node_locator
from cchc_xl.criteria.model import CriteriaSet, Criterion
from cchc_xl.messages import say

_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}
_CRIT = re.compile(r"^\d+\.\d+$")
_SUB = re.compile(r"^\d+\.\d+\.\d+$")


def area_number(code: str) -> int | None:
    """'III' -> 3, '3' -> 3, anything else -> None."""
    if code.isdigit():
        return int(code)
    if not code or any(ch not in _ROMAN for ch in code):
        return None
    total = 0
    for i, ch in enumerate(code):
        v = _ROMAN[ch]
        total += -v if i + 1 < len(code) and _ROMAN[code[i + 1]] > v else v
    return total


def check_set(cset: CriteriaSet, locate: Locator = node_locator) -> list[SetProblem]:
    problems: list[SetProblem] = []

    def add(rule: str, code: str | None, **params: object) -> None:
        place = locate(code)
        problems.append(SetProblem(rule, place, say(rule, place=place, code=code, **params)))

    seen: dict[str, str] = {}

    def unique(code: str) -> None:
        if code in seen:
            add("set.code_duplicate", code, other=seen[code])
        else:
            seen[code] = locate(code)

    for area in cset.areas:
        unique(area.code)
        number = area_number(area.code)
        if number is None:
            add("set.code_format", area.code)
        _check_max(add, area.code, area.max)
        if not area.criteria:
            add("set.area_empty", area.code)
        else:
            _check_sum(add, area.code, area.max, [c.max for c in area.criteria])
        for crit in area.criteria:
            unique(crit.code)
            if not _CRIT.match(crit.code):
                add("set.code_format", crit.code)
            elif number is not None and crit.code.split(".")[0] != str(number):
                add("set.code_hierarchy", crit.code, parent=area.code, prefix=number)
            _check_node(add, crit)
            for sub in crit.children:
                unique(sub.code)
                if not _SUB.match(sub.code):
                    add("set.code_format", sub.code)
                elif not sub.code.startswith(crit.code + "."):
                    add("set.code_hierarchy", sub.code, parent=crit.code, prefix=crit.code)
                if sub.children:
                    add("set.code_format", sub.children[0].code)
                _check_node(add, sub)

    area_sum = sum((a.max for a in cset.areas), Decimal(0))
    if area_sum != cset.total:
        problems.append(SetProblem("set.total_sum", locate(None),
                                   say("set.total_sum", sum=area_sum, total=cset.total)))
    _check_tiers(cset, locate, problems)
    for block in (cset.bonus, cset.penalty):
        if block is None:
            continue
        for item in block.items:
            unique(item.code)
            if item.points > block.cap or item.points <= 0:
                add("set.adjust_cap", item.code, points=item.points, cap=block.cap)
    return problems


def _check_max(add, code: str, maximum: Decimal) -> None:  # type: ignore[no-untyped-def]
    if maximum <= 0:
        add("set.max_not_positive", code)
    elif maximum != maximum.quantize(Decimal("0.01")):
        add("set.max_precision", code)


def _check_sum(add, code: str, maximum: Decimal, parts: list[Decimal]) -> None:  # type: ignore[no-untyped-def]
    total = sum(parts, Decimal(0))
    if total != maximum:
        add("set.children_sum", code, sum=total, max=maximum)


def _check_node(add, node: Criterion) -> None:  # type: ignore[no-untyped-def]
    _check_max(add, node.code, node.max)
    if node.children:
        if node.rule is not None:
            add("set.rule_on_parent", node.code)
        _check_sum(add, node.code, node.max, [c.max for c in node.children])
    elif node.rule is None:
        add("set.rule_missing", node.code)
    else:
        for rule_id, params in node.rule.param_problems(node.max):
            add(rule_id, node.code, **params)


def _check_tiers(cset: CriteriaSet, locate: Locator, problems: list[SetProblem]) -> None:
    place = locate(None)
    if not cset.tiers:
        problems.append(SetProblem("set.tiers_empty", place, say("set.tiers_empty")))
        return
    mins = [t.min for t in cset.tiers]
    for prev, tier in zip(cset.tiers, cset.tiers[1:], strict=False):
        if tier.min >= prev.min:
            problems.append(SetProblem("set.tiers_order", place, say("set.tiers_order", name=tier.name, min=tier.min)))
    for tier in cset.tiers:
        if not 0 <= tier.min <= cset.total:
            problems.append(SetProblem("set.tiers_range", place,
                                       say("set.tiers_range", name=tier.name, min=tier.min, total=cset.total)))
    if min(mins) != 0:
        problems.append(SetProblem("set.tiers_cover", place, say("set.tiers_cover")))
