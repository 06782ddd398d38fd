"""Scores of a whole submission, computed in Python exactly as the workbook's formulas compute them.

`evaluate` takes the declared inputs (as typed: numbers, or text where the commune typed text) and gives
every leaf's score and status, every parent's sum, the total and the tier. The workbook writer uses it
for cached formula results; the importer uses it to recompute and compare. A leaf's checks are one list
(`leaf_checks`: status key, finding rule id, Python test and Excel condition of each): `leaf_check` runs
their tests for the status and the problems (`run_checks`), and the workbook's status formula chains their
conditions (`excel_checks`, `workbook/layout.py`); the importer reports every problem `leaf_check` found, not
only the first. The council's appraised items are checked the same way (`appraisal.scores.item_checks`). A text
is blank as the workbook's formulas see it (`blank_text`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any, Generic, Literal, TypeVar

from cchc_xl.criteria.model import CriteriaSet, Criterion
from cchc_xl.criteria.rules import FigureCheck, Params, Rule, ValueCheck
from cchc_xl.literals import number as literal_number
from cchc_xl.literals import text as literal_text
from cchc_xl.numbers import round2
from cchc_xl.records import Problem

Raw = Decimal | str | None  # a cell as typed: a number, text, or blank


@dataclass(frozen=True)
class LeafInput:
    value: Raw = None  # the score, for kinds where the commune types it
    figures: tuple[Raw, ...] = ()  # declared figures, for kinds that compute the score
    explanation: str = ""


@dataclass(frozen=True)
class LeafResult:
    code: str
    score: Decimal | None  # None: blank (no score yet, or district-scored)
    status: str  # a status key, see workbook_templates/commune.yaml `status`
    evidence_count: int
    problems: tuple[Problem, ...] = ()  # every problem of the rule's value or figure checks, in order


@dataclass
class Evaluation:
    leaves: dict[str, LeafResult] = field(default_factory=dict)
    nodes: dict[str, Decimal] = field(default_factory=dict)  # area / criterion code -> rounded sum
    total: Decimal = Decimal("0.00")
    tier: str = ""


def _num(raw: Raw) -> Decimal | None:
    return raw if isinstance(raw, Decimal) else None


def _blank(raw: Raw) -> bool:
    return raw is None or raw == ""


# Characters that show nothing besides spaces and control characters: the no-break and other Unicode
# spaces, the zero-width space, joiners and word joiner, the byte-order mark. A reason of them is no reason.
INVISIBLE = ("\u00a0\u1680\u180e\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
             "\u200b\u200c\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff")
_NOT_BLANK = re.compile(f"[^\x00-\x20{INVISIBLE}]")


def blank_text(text: str) -> bool:
    """True when the workbook finds `text` blank (see `excel_blank`): made only of spaces, the INVISIBLE
    characters and control characters (line breaks, tabs: codes below 32, which Excel's CLEAN removes)."""
    return _NOT_BLANK.search(text) is None


def excel_blank(ref: str) -> str:
    """The workbook's test that the cell `ref` is blank, as `blank_text` computes it in Python:
    LEN(TRIM(CLEAN(SUBSTITUTE(…SUBSTITUTE(ref,<no-break space>," ")…,<BOM>," "))))=0, each INVISIBLE
    character made a space.

    The characters are written into the formula as characters, not as CHAR(160): CHAR reads its code in
    the system's code page, and LibreOffice in a UTF-8 locale gives no no-break space for 160 (there CODE
    of a no-break space is 194). UNICHAR would need Excel 2013.
    """
    inner = ref
    for ch in INVISIBLE:
        inner = f'SUBSTITUTE({inner},"{ch}"," ")'
    return f"LEN(TRIM(CLEAN({inner})))=0"


def trimmed_text(text: str) -> str:
    """A typed text without surrounding whitespace: '' exactly when `blank_text` finds it blank (a text of
    other whitespace, which the workbook does not call blank, is kept as typed)."""
    return "" if blank_text(text) else (text.strip() or text)


@dataclass(frozen=True)
class LeafFacts:
    """What a leaf's checks test in Python: its inputs as typed, its score cell's value, its register rows;
    and, read once for every check, the declared figures as numbers (all of them, or none when one is
    missing or not a number: the figure checks run only then)."""
    inp: LeafInput
    score: Decimal | None
    evidence_count: int
    figures: tuple[Decimal, ...] = ()


@dataclass(frozen=True)
class LeafCells:
    """The cells (A1 references) a leaf's status formula looks at."""
    score: str
    figures: tuple[str, ...]
    evidence: str
    explanation: str


F = TypeVar("F")  # what a check's Python test looks at (LeafFacts; the appraisal's ItemFacts)
C = TypeVar("C")  # the cells its Excel condition looks at (LeafCells; the appraisal's ItemCells)


@dataclass(frozen=True, eq=False)
class LeafCheck(Generic[F, C]):
    """One check of a leaf's row, both ends side by side. `test(leaf, facts)` gives the problem's parameters
    when the check fails (else None); `excel(leaf, cells)` the condition TRUE when it fails. The first failing
    check names the status; `role` says what else a failure does:
    - "gate": nothing later is checked (no number to check: not scored, not a number, figures missing);
    - "rule": one of the rule's problems (`LeafResult.problems`; of one `group`, only the first);
    - "status": shown in the status column only (the importer checks evidence against the files it found).
    Made once, not per leaf (see `criteria.rules.Check`). The commune's rows are checked on `LeafFacts` and
    `LeafCells` (`leaf_checks`), the council's appraised items on their own facts and cells
    (`appraisal.scores.item_checks`); `run_checks` and `excel_checks` make both ends of either.
    """
    status: str  # the status key: the column's text in the workbook template's `status`
    rule: str  # the finding rule id (messages.FINDINGS)
    test: Callable[[Criterion, F], Params | None]
    excel: Callable[[Criterion, C], str]
    role: Literal["gate", "rule", "status"] = "rule"
    group: Hashable = 0


CommuneCheck = LeafCheck[LeafFacts, LeafCells]


def run_checks(leaf: Criterion, checks: Sequence[LeafCheck[F, Any]], facts: F) -> tuple[str, tuple[Problem, ...]]:
    """The status (the first failing check's, or 'ok') and the problems of the "rule" checks, as `LeafCheck`
    describes the roles."""
    status, problems, failed = "ok", [], set()
    for check in checks:
        if (check.role == "rule" and check.group in failed) or (check.role == "status" and status != "ok"):
            continue  # a group's later problems, or a status-only check where the status is named already
        params = check.test(leaf, facts)
        if params is None:
            continue
        if status == "ok":
            status = check.status
        if check.role == "gate":
            break
        if check.role == "rule":
            failed.add(check.group)
            problems.append(Problem(check.rule, params))
    return status, tuple(problems)


def excel_checks(leaf: Criterion, checks: Sequence[LeafCheck[Any, C]], cells: C) -> list[tuple[str, str]]:
    """(condition, status key) of each check in order: what `workbook.layout.status_chain` nests."""
    return [(check.excel(leaf, cells), check.status) for check in checks]


def _rule_of(leaf: Criterion) -> Rule:
    assert leaf.rule is not None
    return leaf.rule


def _failed(failing: bool) -> Params | None:
    return {} if failing else None


def _complete(inp: LeafInput, count: int) -> bool:
    """Every figure declared, each a number (then the score cell computes)."""
    return len(inp.figures) >= count and all(_num(f) is not None for f in inp.figures)


def _number(raw: Raw) -> Decimal:
    """A value the gates before a rule check found a number."""
    assert isinstance(raw, Decimal)
    return raw


NO_SCORE: CommuneCheck = LeafCheck("no_score", "score.missing", lambda leaf, f: _failed(_blank(f.inp.value)),
                     lambda leaf, c: f'{c.score}=""', role="gate")
NOT_NUMBER: CommuneCheck = LeafCheck("not_number", "score.not_number", lambda leaf, f: _failed(_num(f.inp.value) is None),
                       lambda leaf, c: f"NOT(ISNUMBER({c.score}))", role="gate")
NO_FIGURES: CommuneCheck = LeafCheck(
    "no_figures", "figures.missing", lambda leaf, f: _failed(not _complete(f.inp, _rule_of(leaf).figure_count)),
    lambda leaf, c: f"NOT({_rule_of(leaf).excel_complete(c.figures)})", role="gate")
NO_EVIDENCE: CommuneCheck = LeafCheck(
    "no_evidence", "evidence.none_for_score",
    lambda leaf, f: _failed(f.score is not None and f.score > 0 and f.evidence_count == 0
                            and blank_text(f.inp.explanation)),
    lambda leaf, c: f"AND(N({c.score})>0,{c.evidence}=0,{excel_blank(c.explanation)})", role="status")


# Every gate of a commune's row, in the order `leaf_checks` puts them (a row has the first two or the third).
GATES = (NO_SCORE, NOT_NUMBER, NO_FIGURES)


@cache
def _on_value(check: ValueCheck) -> CommuneCheck:
    """A rule's check of a typed score, on a leaf's score cell (its status key is its rule id)."""
    return LeafCheck(check.code, check.code,
                     lambda leaf, f: check.test(_rule_of(leaf), leaf.max, _number(f.inp.value)),
                     lambda leaf, c: check.excel(_rule_of(leaf), leaf.max, c.score), group=check.group)


@cache
def _on_figures(check: FigureCheck) -> CommuneCheck:
    """A rule's check of declared figures, on a leaf's figure cells."""

    return LeafCheck(check.code, check.code, lambda leaf, f: check.test(_rule_of(leaf), leaf.max, f.figures),
                     lambda leaf, c: check.excel(_rule_of(leaf), leaf.max, c.figures), group=check.group)


def leaf_checks(leaf: Criterion) -> list[CommuneCheck]:
    """Every check of a self-scored leaf in the status column's priority order (none for a leaf the body
    scores: its status is fixed)."""
    rule = _rule_of(leaf)
    if rule.kind == "district":
        return []
    if rule.computed:
        return [NO_FIGURES, *map(_on_figures, rule.figure_checks()), NO_EVIDENCE]
    return [NO_SCORE, NOT_NUMBER, *map(_on_value, rule.value_checks(leaf.max)), NO_EVIDENCE]


def leaf_status(leaf: Criterion, inp: LeafInput, score: Decimal | None, evidence_count: int) -> str:
    """The first problem of a leaf in the workbook's priority order, or 'ok'."""
    return leaf_check(leaf, inp, score, evidence_count)[0]


def leaf_check(leaf: Criterion, inp: LeafInput, score: Decimal | None,
               evidence_count: int) -> tuple[str, tuple[Problem, ...]]:
    """The leaf's status (its first failing check of `leaf_checks`, or 'ok') and every problem its rule's
    checks found (the status column shows one; the importer reports them all)."""
    assert leaf.rule is not None
    if leaf.rule.kind == "district":
        return "district", ()
    count = leaf.rule.figure_count
    figures = tuple(_number(f) for f in inp.figures[:count]) if count and _complete(inp, count) else ()
    return run_checks(leaf, leaf_checks(leaf), LeafFacts(inp, score, evidence_count, figures))


def leaf_score(leaf: Criterion, inp: LeafInput) -> Decimal | None:
    """The score cell's value: the typed number, or the rule's result when all figures are numbers."""
    rule = leaf.rule
    assert rule is not None
    if rule.kind == "district":
        return None
    if rule.computed:
        if not _complete(inp, rule.figure_count):
            return None
        return rule.points(leaf.max, [_number(f) for f in inp.figures])
    return _num(inp.value)


def count_evidence(codes: Sequence[str], code: str) -> int:
    """How many register rows cite `code` (the workbook compares text exactly, ignoring case)."""
    target = code.casefold()
    return sum(1 for c in codes if c.casefold() == target)


def evaluate(cset: CriteriaSet, inputs: dict[str, LeafInput], register_codes: Sequence[str] = ()) -> Evaluation:
    ev = Evaluation()
    for leaf in cset.leaves():
        inp = inputs.get(leaf.code, LeafInput())
        score = leaf_score(leaf, inp)
        count = count_evidence(register_codes, leaf.code)
        status, problems = leaf_check(leaf, inp, score, count)
        ev.leaves[leaf.code] = LeafResult(leaf.code, score, status, count, problems)

    ev.total = tree_sums(cset, {code: r.score for code, r in ev.leaves.items()}, ev.nodes)
    ev.tier = self_tier(cset, ev.total)
    return ev


def self_tier(cset: CriteriaSet, total: Decimal) -> str:
    """The tier a self-assessment shows: none while the body still scores some of the points (a tier on a
    partial total would mislead: a perfect return of 70 of 100 points is no "Khá")."""
    return cset.tier_for(total) if cset.body_max == 0 else ""


def excel_tier(cset: CriteriaSet, ref: str) -> str:
    """`CriteriaSet.tier_for` as a formula on the total in `ref`: the highest tier whose minimum it reaches,
    else the lowest tier (the set's tiers run downwards and the last starts at 0: criteria/check.py)."""
    tiers = sorted(cset.tiers, key=lambda t: t.min, reverse=True)
    expr = literal_text(tiers[-1].name)
    for tier in reversed(tiers[:-1]):
        expr = f"IF({ref}>={literal_number(tier.min)},{literal_text(tier.name)},{expr})"
    return expr


def rescaled(cset: CriteriaSet, areas_total: Decimal, body_scored: bool) -> Decimal:
    """The areas' total as the set counts it: when the set says so and the body scored none of its items
    (no survey held), the other points rescaled to the set's total, rounded as the workbook rounds."""
    if not (cset.rescale_unscored and cset.body_max and not body_scored) or cset.commune_max == 0:
        return areas_total
    return round2(areas_total * cset.total / cset.commune_max)


def excel_rescaled(cset: CriteriaSet, areas_ref: str, body_refs: Sequence[str]) -> str:
    """`rescaled` as a formula: `areas_ref` holds the rounded areas' total, `body_refs` the body's items."""
    if not (cset.rescale_unscored and cset.body_max and body_refs) or cset.commune_max == 0:
        return areas_ref
    total, commune = (literal_number(v) for v in (cset.total, cset.commune_max))
    return f"IF(COUNT({','.join(body_refs)})=0,ROUND({areas_ref}*{total}/{commune},2),{areas_ref})"


def tree_sums(cset: CriteriaSet, points: dict[str, Decimal | None], nodes: dict[str, Decimal]) -> Decimal:
    """Fill `nodes` with every criterion's and area's rounded sum, as the workbook's ROUND(SUM(…),2)
    rows do, and return the rounded total of the areas. A missing leaf counts as 0 (SUM skips blanks)."""

    def node_sum(node: Criterion) -> Decimal:
        if node.is_leaf:
            return points.get(node.code) or Decimal(0)
        total = round2(sum((node_sum(c) for c in node.children), Decimal(0)))
        nodes[node.code] = total
        return total

    area_sums = []
    for area in cset.areas:
        s = round2(sum((node_sum(c) for c in area.criteria), Decimal(0)))
        nodes[area.code] = s
        area_sums.append(s)
    return round2(sum(area_sums, Decimal(0)))
