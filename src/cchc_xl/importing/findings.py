"""Collecting findings for one submission, bounded: a file (or an evidence bundle) of a hundred thousand
problems gives the first ones and one summary finding per severity, not a report of hundreds of MB."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from cchc_xl.messages import finding_text
from cchc_xl.records import Finding

MAX_PER_FILE = 300  # findings listed for one file; the rest are counted (documented in the district guide)
MAX_PER_BUNDLE = 200  # findings listed for one evidence folder or zip
_SUMMARY = {"error": "findings.more_errors", "warning": "findings.more_warnings", "info": "findings.more_info"}


@dataclass
class Findings:
    limit: int = MAX_PER_FILE
    _items: list[Finding] = field(default_factory=list)
    _dropped: Counter[str] = field(default_factory=Counter)

    def add(self, rule: str, criterion: str | None = None, cell: str | None = None, **params: object) -> None:
        severity, message = finding_text(rule, criterion=criterion or "", cell=cell or "", **params)
        self._keep(Finding(severity=severity, rule=rule, criterion=criterion, cell=cell,  # type: ignore[arg-type]
                           message=message))

    def extend(self, more: Iterable[Finding]) -> None:
        for f in more:
            self._keep(f)

    def _keep(self, f: Finding) -> None:
        if len(self._items) < self.limit:
            self._items.append(f)
        else:
            self._dropped[f.severity] += 1

    @property
    def items(self) -> list[Finding]:
        """The findings kept, then one summary per severity of those past the limit."""
        return [*self._items, *summaries(self._dropped, self.limit)]

    @property
    def has_error(self) -> bool:
        return any(f.severity == "error" for f in self._items) or self._dropped["error"] > 0


def summaries(dropped: Counter[str], limit: int) -> list[Finding]:
    out = []
    for severity, rule in _SUMMARY.items():
        if dropped[severity]:
            sev, message = finding_text(rule, count=dropped[severity], limit=limit)
            out.append(Finding(severity=sev, rule=rule, message=message))  # type: ignore[arg-type]
    return out


def capped(findings: list[Finding], limit: int, dropped: Counter[str] | None = None) -> list[Finding]:
    """The first `limit` findings and a summary of the others (by severity), counting also `dropped`
    (findings never made, past an earlier limit)."""
    counts = Counter(f.severity for f in findings[limit:]) + (dropped or Counter())
    return [*findings[:limit], *summaries(counts, limit)]
