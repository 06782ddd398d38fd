"""Rule ids are documented in one place and every id the code raises is in it."""

from __future__ import annotations

import re
from pathlib import Path

from cchc_xl.messages import EVIDENCE_MESSAGES, EVIDENCE_SEVERITY, FINDINGS, MESSAGES
from conftest import script

ROOT = Path(__file__).resolve().parents[1]


def _generator():  # type: ignore[no-untyped-def]
    return script("gen_rules_doc")


def test_docs_rules_md_is_current() -> None:
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == _generator().render(), \
        "run: python scripts/gen_rules_doc.py"


def test_every_rule_id_raised_in_code_is_documented() -> None:
    raised: set[str] = set()
    for path in (ROOT / "src" / "cchc_xl").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        raised |= set(re.findall(r'\.add\(\s*"([a-z_]+\.[a-z_.]+)"', text))
        raised |= set(re.findall(r'finding\(\s*"([a-z_]+\.[a-z_.]+)"', text))
    known = set(FINDINGS) | set(EVIDENCE_SEVERITY)
    assert raised, "the scan found no rule ids"
    assert raised <= known, sorted(raised - known)


def test_every_severity_is_one_of_three() -> None:
    severities = {sev for sev, _ in FINDINGS.values()} | set(EVIDENCE_SEVERITY.values())
    assert severities <= {"error", "warning", "info"}


def test_every_rule_like_literal_in_code_has_a_registry_entry() -> None:
    """Rule ids also travel outside `.add(...)`: in problem records (IntakeProblem, EvidenceReadError), status
    maps and return values. Any dotted literal of a rule family the registry knows must be an entry of one of
    the tables, or a valid file would fail on a missing text."""
    known = set(FINDINGS) | set(EVIDENCE_SEVERITY)
    families = {rule.split(".")[0] for rule in known}
    tables = known | set(MESSAGES) | set(EVIDENCE_MESSAGES)
    unknown: dict[str, str] = {}
    for path in (ROOT / "src" / "cchc_xl").rglob("*.py"):
        if path.name == "messages.py":
            continue
        for literal in re.findall(r'"([a-z][a-z0-9_]*\.[a-z0-9_.]+)"', path.read_text(encoding="utf-8")):
            if literal.split(".")[0] in families and literal not in tables and not literal.endswith((".", ".py", ".yaml")):
                unknown[literal] = path.name
    assert not unknown, unknown
