"""Collecting findings for one submission."""

from __future__ import annotations

from dataclasses import dataclass, field

from cchc_xl.messages import finding_text
from cchc_xl.records import Finding


@dataclass
class Findings:
    items: list[Finding] = field(default_factory=list)

    def add(self, rule: str, criterion: str | None = None, cell: str | None = None, **params: object) -> None:
        severity, message = finding_text(rule, criterion=criterion or "", cell=cell or "", **params)
        self.items.append(Finding(severity=severity, rule=rule, criterion=criterion, cell=cell,  # type: ignore[arg-type]
                                  message=message))

    def extend(self, more: list[Finding]) -> None:
        self.items.extend(more)

    @property
    def has_error(self) -> bool:
        return any(f.severity == "error" for f in self.items)
