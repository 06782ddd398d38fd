"""Consistency checks of a criteria set. Every problem is reported, not only the first."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

from cchc_xl.criteria.load import Locator, node_locator
from cchc_xl.criteria.model import AdjustmentBlock, Area, CriteriaSet, Criterion
from cchc_xl.messages import say
from cchc_xl.numbers import CENT, is_multiple
from cchc_xl.records import Problem
from cchc_xl.scoring import blank_text

_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}
_CRIT = re.compile(r"^\d+\.\d+$")
_SUB = re.compile(r"^\d+\.\d+\.\d+$")
# Bonus and penalty codes become parts of Excel defined names (TH_<code>, LD_<code>, see appraisal.workbook):
# refused unless a name can hold them as they are, so both ends use the code itself, never a mapped name.
_NAME_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.]*$")
NAME_PART_LIMIT = 40
_RESERVED_PARTS = {"TONG"}  # TH_TONG / TR_TONG are the blocks' subtotals


def area_number(code: str) -> int | None:
    """'III' -> 3, '3' -> 3, anything else (also 'IIII', 'IIV', 'VX', 'IL', '²') -> None."""
    if code.isascii() and code.isdigit():
        return int(code)
    if not code or any(ch not in _ROMAN for ch in code):
        return None
    total = 0
    for i, ch in enumerate(code):
        v = _ROMAN[ch]
        total += -v if i + 1 < len(code) and _ROMAN[code[i + 1]] > v else v
    return total if 0 < total < 90 and _roman(total) == code else None


def _roman(number: int) -> str:
    """The canonical Roman spelling of 1..89 (only I, V, X, L are accepted in codes)."""
    out = []
    for value, letters in ((50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


NthLocator = Callable[[str, int], str]


def check_set(cset: CriteriaSet, locate: Locator = node_locator,
              locate_nth: NthLocator | None = None) -> list[Problem]:
    """Every consistency problem of the set. `locate` names the place of a code (None: the set itself);
    `locate_nth(code, n)`, when given, names the place of its n-th occurrence (0-based, in the order areas,
    criteria, sub-criteria, bonus items, penalty items), so a duplicate is reported where it is."""
    return _SetChecker(cset, locate, locate_nth).run()


class _SetChecker:
    """One pass over the set in `_codes` order, collecting problems at their places."""

    def __init__(self, cset: CriteriaSet, locate: Locator, locate_nth: NthLocator | None):
        self.cset, self.locate, self.locate_nth = cset, locate, locate_nth
        self.problems: list[Problem] = []
        self.counts = Counter(_codes(cset))
        self.first: dict[str, str] = {}  # code -> what its first occurrence is (lĩnh vực “…”, tiêu chí “…” …)
        self.nth: Counter[str] = Counter()  # code -> occurrences visited so far

    def run(self) -> list[Problem]:
        for area in self.cset.areas:
            self.area(area)
        self.totals()
        for key, block in (("bonus", self.cset.bonus), ("penalty", self.cset.penalty)):
            if block is not None:
                self.adjustments(key, block)
        return self.problems

    def where(self, code: str | None, n: int | None = None) -> str:
        """The place of the code's n-th occurrence (by default the one being checked)."""
        if code is None or self.locate_nth is None or not self.nth[code]:
            return self.locate(code)
        return self.locate_nth(code, self.nth[code] - 1 if n is None else n)

    def problem(self, rule: str, code: str | None, **params: object) -> None:
        place = self.where(code)
        self.problems.append(Problem(rule, {"code": code, **params}, place))

    def add_set(self, rule: str, **params: object) -> None:
        """A problem of the set as a whole."""
        self.problems.append(Problem(rule, params, self.locate(None)))

    def unique(self, code: str, what: str) -> None:
        self.nth[code] += 1
        if self.nth[code] == 1:
            self.first[code] = what
            return
        place, first_place = self.where(code), self.where(code, 0)
        at = say("set.dup.at", place=first_place) if first_place != place else ""
        self.problems.append(Problem("set.code_duplicate", {
            "code": code, "first": self.first[code], "at": at, "count": self.counts[code]}, place))

    def area(self, area: Area) -> None:
        self.unique(area.code, say("set.dup.area", title=area.title))
        number = area_number(area.code)
        if number is None:
            self.problem("set.code_format", area.code)
        _check_max(self.problem, area.code, area.max)
        if not area.criteria:
            self.problem("set.area_empty", area.code)
        else:
            _check_sum(self.problem, area.code, area.max, [c.max for c in area.criteria])
        for crit in area.criteria:
            self.criterion(crit, area.code, number)

    def criterion(self, crit: Criterion, parent: str, number: int | None) -> None:
        self.unique(crit.code, say("set.dup.criterion", title=crit.title, parent=parent))
        if not _CRIT.match(crit.code):
            self.problem("set.code_format", crit.code)
        elif number is not None and crit.code.split(".")[0] != str(number):
            self.problem("set.code_hierarchy", crit.code, parent=parent, prefix=number)
        _check_node(self.problem, crit)
        for sub in crit.children:
            self.unique(sub.code, say("set.dup.sub", title=sub.title, parent=crit.code))
            if not _SUB.match(sub.code):
                self.problem("set.code_format", sub.code)
            elif not sub.code.startswith(crit.code + "."):
                self.problem("set.code_hierarchy", sub.code, parent=crit.code, prefix=crit.code)
            if sub.children:
                self.problem("set.code_format", sub.children[0].code)
            _check_node(self.problem, sub)

    def totals(self) -> None:
        cset = self.cset
        area_sum = sum((a.max for a in cset.areas), Decimal(0))
        if area_sum != cset.total:
            self.add_set("set.total_sum", sum=area_sum, total=cset.total)
        _check_tiers(cset, self.locate, self.problems)
        if cset.rescale_unscored and not cset.body_leaves():
            self.add_set("set.rescale_no_body")

    def adjustments(self, key: str, block: AdjustmentBlock) -> None:
        """A bonus or penalty block: its cap and each item's points."""
        leaf_keys = {leaf.name_key.casefold(): leaf.code for leaf in self.cset.leaves()}
        if block.cap < 0 or not is_multiple(block.cap, CENT):
            self.add_set("set.cap_invalid", cap=block.cap, block=say(f"set.block.{key}"))
        for item in block.items:
            self.unique(item.code, say(f"set.dup.{key}", title=item.title))
            _check_name_part(self.problem, item.code, leaf_keys)
            if item.points > block.cap or item.points <= 0:
                self.problem("set.adjust_cap", item.code, points=item.points, cap=block.cap)
            elif not is_multiple(item.points, CENT):
                self.problem("rule.points_precision", item.code, points=item.points)


def _codes(cset: CriteriaSet) -> list[str]:
    """Every code of the set, in the order check_set visits them."""
    codes: list[str] = []
    for area in cset.areas:
        codes.append(area.code)
        for crit in area.criteria:
            codes.append(crit.code)
            codes.extend(sub.code for sub in crit.children)
    for block in (cset.bonus, cset.penalty):
        codes.extend(item.code for item in (block.items if block else []))
    return codes


def _check_name_part(add, code: str, leaf_keys: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """A bonus/penalty code usable in the appraisal workbook's defined names, clashing with no item's."""
    if (not _NAME_PART.match(code) or len(code) > NAME_PART_LIMIT
            or code.upper() in _RESERVED_PARTS):
        add("set.code_name", code, limit=NAME_PART_LIMIT)
    elif leaf_keys.get(code.replace(".", "_").casefold(), code) != code:  # (the same code: a duplicate)
        add("set.code_name_clash", code, other=leaf_keys[code.replace(".", "_").casefold()])


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
        for problem in node.rule.param_problems(node.max):
            add(problem.rule, node.code, **problem.params)
        for n, spec in enumerate(node.rule.figures(), start=1):
            if blank_text(spec.label):
                add("set.figure_label_blank", node.code, n=n)


def _check_tiers(cset: CriteriaSet, locate: Locator, problems: list[Problem]) -> None:
    place = locate(None)
    if not cset.tiers:
        problems.append(Problem("set.tiers_empty", {}, place))
        return
    mins = [t.min for t in cset.tiers]
    names = Counter(t.name.strip().casefold() for t in cset.tiers)
    for tier in cset.tiers:
        if blank_text(tier.name):
            problems.append(Problem("set.tier_blank", {"min": tier.min}, place))
    for tier in cset.tiers:
        if not blank_text(tier.name) and names.pop(tier.name.strip().casefold(), 1) > 1:
            problems.append(Problem("set.tier_duplicate", {"name": tier.name}, place))
    for prev, tier in zip(cset.tiers, cset.tiers[1:], strict=False):
        if tier.min >= prev.min:
            problems.append(Problem("set.tiers_order", {"name": tier.name, "min": tier.min}, place))
    for tier in cset.tiers:
        if not 0 <= tier.min <= cset.total:
            problems.append(Problem("set.tiers_range", {"name": tier.name, "min": tier.min, "total": cset.total}, place))
    if min(mins) != 0:
        problems.append(Problem("set.tiers_cover", {}, place))
