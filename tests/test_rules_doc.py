"""Rule ids are documented in one place and every id the code raises is in it."""

from __future__ import annotations

import re
import string
from decimal import Decimal
from pathlib import Path

from cchc_xl.messages import EVIDENCE_MESSAGES, EVIDENCE_SEVERITY, FINDINGS, MESSAGES, RULE_PARAMS, RULES, render
from cchc_xl.records import Problem
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


# Where a check names the rule of the Problem it returns: the record itself, the evidence helpers, the set
# checker's two adders, the paired Python/Excel checks and the container check's refusals.
_PRODUCERS = re.compile(r'(?:\bProblem|\bissue|intake_problem|self\.problem|add_set|\badd|\bCheck|_rejected)\('
                        r'(?:\s*"[a-z]+",)?\s*"([a-z_]+\.[a-z_.]+)"')


def test_every_rule_a_check_can_return_is_in_the_registry() -> None:
    """A rule id without an entry would turn a valid file into `file.unreadable` when its text is looked up."""
    produced: dict[str, str] = {}
    for path in (ROOT / "src" / "cchc_xl").rglob("*.py"):
        for rule in _PRODUCERS.findall(path.read_text(encoding="utf-8")):
            produced[rule] = path.name
    assert {"set.tiers_order", "rule.level_duplicate", "evidence.zip_corrupt", "evidence.pdf_no_pages",
            "score.above_max", "figures.negative", "file.too_large"} <= set(produced), "the scan missed a producer"
    assert not {rule: at for rule, at in produced.items() if rule not in RULES}


def _placeholders(text: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_text_declares_exactly_its_placeholders() -> None:
    wrong = {rule: (sorted(entry.params), sorted(_placeholders(entry.text)))
             for rule, entry in RULES.items() if set(entry.params) != _placeholders(entry.text)}
    assert not wrong, wrong
    assert set(RULE_PARAMS) == set(RULES), sorted(set(RULE_PARAMS) ^ set(RULES))


def test_the_registry_covers_every_table_and_renders_a_problem() -> None:
    assert set(FINDINGS) | set(EVIDENCE_SEVERITY) <= set(RULES)
    assert all(RULES[rule].text == EVIDENCE_MESSAGES[rule] for rule in EVIDENCE_SEVERITY)
    assert RULES["set.tiers_order"].severity == "error"
    # the place of a set problem fills its text's {place}; Decimals are shown the Vietnamese way
    problem = Problem("set.max_not_positive", {"code": "1.1"}, "Mục “1.1”")
    assert render(problem) == "Mục “1.1”: điểm tối đa của “1.1” phải lớn hơn 0"
    assert "1,25" in render(Problem("set.total_sum", {"sum": Decimal("1.25"), "total": Decimal(100)}))
