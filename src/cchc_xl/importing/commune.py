"""The commune's self-assessment workbook as a kind of the import stages (`importing/stages.py`).

identify: the signed metadata (`verify.identify`), the commune it names, the file's name against it;
declare: the locked cells against the rebuilt layout, the declared scores, figures, explanations and
register; evaluate: the recomputation (`scoring.evaluate`) and the evidence folder or zip against it;
findings: what the recomputed file shows (blank, above the maximum, points without evidence, cached results
that disagree).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from cchc_xl.communes import Commune, slugify
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.importing.discover import shown_name
from cchc_xl.importing.findings import Findings
from cchc_xl.importing.inputs import Declarations, read_declarations, validate_register
from cchc_xl.importing.stages import Declared, Evaluated, Identified, Opened, unbounded
from cchc_xl.importing.verify import Identity, check_locked, identify, layout_extent
from cchc_xl.numbers import NumberRangeError, to_decimal
from cchc_xl.reading.safety import Limits
from cchc_xl.records import Finding
from cchc_xl.scoring import GATES, NOT_NUMBER, Evaluation, blank_text, evaluate
from cchc_xl.settings import Settings
from cchc_xl.workbook.layout import PLACEHOLDER, Layout, build_layout

# The gates of a row left blank: status key -> finding rule id (a score typed as text, the other gate, is
# reported while reading, with the text typed; the rule's checks and the evidence check are handled apart)
_STATUS_RULES = {gate.status: gate.rule for gate in GATES if gate is not NOT_NUMBER}


@dataclass(frozen=True)
class EvidenceSubject:
    """What the evidence check needs of one submission."""

    path: Path  # the workbook (its stem names the evidence folder or zip)
    evidence_path: Path | None
    declarations: Declarations
    layout: Layout
    commune: Commune
    evaluation: Evaluation


# The evidence check: its findings added, (the criteria its files cover or None, its report)
EvidenceHook = Callable[[EvidenceSubject, Findings], tuple[set[str] | None, Any]]


@dataclass(frozen=True)
class Assessed:
    """The commune kind's evaluation: the recomputed scores, and the evidence checked against them."""

    scores: Evaluation
    evidence: Any = None  # importing.evidence.EvidenceReport, when the evidence was checked
    covered: set[str] | None = None  # criteria the evidence files cover (None: count register rows)


@dataclass
class CommuneWorkbook:
    """The commune workbook's stages for one batch (picklable, for the workers of `--jobs`)."""

    cset: CriteriaSet
    settings: Settings
    communes: dict[str, Commune]
    received: dt.date  # the day the batch was received (evidence dates after it are findings)
    evidence_hook: EvidenceHook | None = None
    limits: Limits = field(default_factory=Limits)
    names: CommuneNames | None = None

    def __post_init__(self) -> None:
        self.names = self.names or CommuneNames(self.communes)

    def commune_of(self, identity: Identity) -> Commune:
        """The commune a workbook names, as the round lists it (its meta's words when the round does not)."""
        return self.communes.get(identity.commune.code, identity.commune)

    def identify(self, opened: Opened) -> Identified[Identity] | None:
        if opened.verdict.kind != "xlsx":
            opened.found.add("file.old_format", fmt=opened.source.path.suffix.lower())
        identity = identify(opened.book, self.cset, self.settings, opened.found)
        if identity is None:
            return None
        code = identity.commune.code
        if self.communes and code not in self.communes:
            opened.found.add("meta.unknown_commune", code=code)
        self._check_file_name(opened.source.path, self.commune_of(identity), opened.found)
        usable = not any(f.rule in ("meta.other_set", "meta.template_mismatch") for f in opened.found.items)
        return opened.then(Identified, identity=identity, complete=usable)

    def declare(self, identified: Identified[Identity]) -> Declared[Identity, Declarations]:
        book, layout, found = identified.book, identified.identity.layout, identified.found
        check_locked(book, layout, found)
        decl = read_declarations(book, self.cset, layout, found)
        validate_register(decl.register, self.cset, self.received, found)
        return identified.then(Declared, declarations=decl)

    def evaluate(self, declared: Declared[Identity, Declarations]) -> Evaluated[Identity, Declarations, Assessed]:
        decl, identity = declared.declarations, declared.identity
        scores = evaluate(self.cset, decl.parsed, [r.criterion for r in decl.register])
        covered, report = None, None
        if self.evidence_hook is not None:
            subject = EvidenceSubject(declared.source.path, declared.source.evidence, decl, identity.layout,
                                      self.commune_of(identity), scores)
            covered, report = self.evidence_hook(subject, declared.found)
        return declared.then(Evaluated, evaluation=Assessed(scores, report, covered))

    def findings(self, evaluated: Evaluated[Identity, Declarations, Assessed]) -> list[Finding]:
        found = unbounded()
        layout, ev = evaluated.identity.layout, evaluated.evaluation
        _score_findings(layout, ev.scores, evaluated.declarations, ev.covered, found)
        _compare_cached(evaluated.book, layout, ev.scores, found)
        return found.items

    def _check_file_name(self, path: Path, commune: Commune, found: Findings) -> None:
        """A file name that names another commune (by code, or by name without its own) is a warning."""
        assert self.names is not None
        stem = slugify(path.stem)
        codes = _CODE_IN_NAME.findall(path.stem)
        other_code = any(c != commune.code for c in codes)
        own_slug = commune.slug
        own_named = commune.code in codes or (own_slug and own_slug in stem)
        other_named = any(c.code != commune.code and c.slug not in own_slug for c in self.names.named_in(stem))
        if other_code or (other_named and not own_named):
            found.add("file.name_mismatch", file=shown_name(path.name), commune=f"{commune.code} {commune.display}")


def import_limits(cset: CriteriaSet, base: Limits | None = None) -> Limits:
    """The container limits for returns of `cset`: cells bounded to its layout's extent."""
    rows, cols = layout_extent(build_layout(cset, PLACEHOLDER))
    return (base or Limits()).with_extent(rows, cols)


def _score_findings(layout: Layout, ev: Evaluation, decl: Declarations, covered: set[str] | None,
                    found: Findings) -> None:
    any_input = bool(decl.register) or any(
        i.value not in (None, "") or any(f not in (None, "") for f in i.figures) or not blank_text(i.explanation)
        for i in decl.parsed.values())
    if not any_input:
        found.add("submission.empty")
        return
    blank = 0
    for leaf in layout.cset.commune_leaves():
        blank += _leaf_findings(layout, leaf.code, leaf.max, ev, decl, covered, found)
    if blank:
        found.add("submission.incomplete", count=blank)


def _leaf_findings(layout: Layout, code: str, max_points: Decimal, ev: Evaluation, decl: Declarations,
                   covered: set[str] | None, found: Findings) -> int:
    """One item's findings from its recomputed status; 1 when it was left blank."""
    res, refs, inp = ev.leaves[code], layout.leaves[code], decl.parsed.get(code)
    cell = layout.at("grid", refs.score)
    status = res.status
    blank = status in _STATUS_RULES
    if blank:
        found.add(_STATUS_RULES[status], criterion=code, cell=cell)
    elif status.startswith("score."):  # ("not_number" was reported while reading, with the text typed)
        params = dict(res.problems[0].params)
        found.add(status, criterion=code, cell=cell, got=res.score, max=max_points,
                  allowed=params.get("allowed", ""), step=params.get("step", ""))
    elif status.startswith("figures."):
        for problem in res.problems:
            rule_id, params = problem.rule, problem.params
            n = int(params.get("n", 1))  # type: ignore[call-overload]
            fcell = layout.at("grid", refs.figures[n - 1]) if refs.figures else cell
            found.add(rule_id, criterion=code, cell=fcell, n=n, label=params.get("label", ""),
                      got=params.get("value", ""), num=params.get("num", ""), den=params.get("den", ""))
    has_points = res.score is not None and res.score > 0
    evidenced = (code in covered) if covered is not None else res.evidence_count > 0
    if has_points and not evidenced and (inp is None or blank_text(inp.explanation)):
        found.add("evidence.none_for_score", criterion=code, cell=layout.at("grid", refs.explanation),
                  got=res.score)
    return int(blank)


def _compare_cached(book: Any, layout: Layout, ev: Evaluation, found: Findings) -> None:
    """Where the file holds formula results, they must equal the recomputation (else: warn, use ours)."""
    grid = layout.sheets["grid"]
    checks: list[tuple[str, int, int, Any]] = []
    for code, refs in layout.leaves.items():
        if not refs.score_is_input and code in ev.leaves and ev.leaves[code].score is not None:
            cell = layout.cell_at("grid", refs.score)
            assert cell is not None  # (the layout put every score cell it refers to)
            checks.append((refs.score, cell.row, cell.col, ev.leaves[code].score))
    total = layout.named_cell("TONG_DIEM")
    assert total is not None
    checks.append((total.ref, total.row, total.col, ev.total))
    for ref, row, col, want in checks:
        got = book.value(grid, row, col)
        try:
            cached = to_decimal(got) if isinstance(got, int | float) else None
        except (TypeError, NumberRangeError):  # (a bool, or NaN, ±1E+400: no cached result to compare)
            cached = None
        if cached is not None and abs(cached - want) > Decimal("0.005"):
            found.add("cache.mismatch", cell=layout.at("grid", ref), got=cached, value=want)


_CODE_IN_NAME = re.compile(r"(?<!\d)(\d{5})(?!\d)")


class CommuneNames:
    """The communes' file-name slugs, made once per run: a file name is checked against 10,600 communes
    by looking up its own substrings (a few hundred), not by slugifying every commune per file."""

    def __init__(self, communes: dict[str, Commune]):
        self.by_slug: dict[str, list[Commune]] = {}
        for c in communes.values():
            if c.slug:
                self.by_slug.setdefault(c.slug, []).append(c)
        self.longest = max(map(len, self.by_slug), default=0)

    def named_in(self, stem: str) -> list[Commune]:
        """Communes whose slug occurs in `stem` (anywhere, as `slug in stem`)."""
        found: list[Commune] = []
        seen: set[str] = set()
        for i in range(len(stem)):
            for j in range(i + 1, min(len(stem), i + self.longest) + 1):
                part = stem[i:j]
                if part in self.by_slug and part not in seen:
                    seen.add(part)
                    found.extend(self.by_slug[part])
        return found
