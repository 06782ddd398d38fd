"""Criteria set pipeline, pyxform style: text -> raw tree -> typed model -> consistency checks.

Each stage has one input and one output; problems carry a place that names the node (YAML) or the row
(Excel) so a district officer can find it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.messages import MESSAGES, render, say
from cchc_xl.numbers import MAX_DIGITS
from cchc_xl.paths import bundled
from cchc_xl.records import Problem

DEFAULT_SET = "criteria/phu-yen-2022.yaml"

Locator = Callable[[str | None], str]


class CriteriaError(Exception):
    """The set cannot be used; `problems` lists every reason at once."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(render(p) for p in problems))
        self.problems = problems  # each with its place: the node (YAML) or the row (Excel)


# Bounds of a criteria file (documented in the district guide): a set of a few hundred items is some tens of
# KB and a handful of levels deep. No aliases: a criteria file has no use for them, and nested aliases
# expand exponentially (an 84 KB file once took 4 GB).
MAX_YAML_BYTES = 2 * 1024 * 1024
MAX_YAML_DEPTH = 50


class _DecimalLoader(yaml.SafeLoader):
    """Safe YAML with floats read as Decimals from their text, so 0.1 stays 0.1; no aliases, and no node
    deeper than MAX_YAML_DEPTH (checked before the composer recurses into it)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, say("set.yaml_alias"), event.start_mark)
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(None, None, say("set.yaml_depth", limit=MAX_YAML_DEPTH),
                                                  self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    """A YAML float as a finite Decimal; .nan, .inf and sexagesimal 1:30.5 are refused as invalid YAML,
    and so is a number of more than MAX_DIGITS digits or beyond ±10^15 (1e999999999 would be a finite
    Decimal that takes forever to print)."""
    text = str(loader.construct_scalar(node))
    try:
        value = Decimal(text.replace("_", "")) if len(text) <= 2 * MAX_DIGITS else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or len(value.as_tuple().digits) > MAX_DIGITS \
            or abs(value.adjusted()) > 15:
        raise yaml.constructor.ConstructorError(None, None, say("set.yaml_number", text=text[:40]), node.start_mark)
    return value


def _integer(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """A YAML int, refused beyond MAX_DIGITS digits (Python refuses to read ints of thousands of digits)."""
    text = str(loader.construct_scalar(node))
    if len(text.replace("_", "")) > MAX_DIGITS:
        raise yaml.constructor.ConstructorError(None, None, say("set.yaml_number", text=text[:40]), node.start_mark)
    return int(yaml.SafeLoader.construct_yaml_int(loader, node))


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _decimal)
_DecimalLoader.add_constructor("tag:yaml.org,2002:int", _integer)

_CDecimalLoader: Any = None
if getattr(yaml, "__with_libyaml__", False):
    class _CDecimalLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """`_DecimalLoader`'s constructors over libyaml's parser (see `_stored_yaml`)."""

    _CDecimalLoader.add_constructor("tag:yaml.org,2002:float", _decimal)
    _CDecimalLoader.add_constructor("tag:yaml.org,2002:int", _integer)


def _stored_yaml(text: str) -> Any:
    """`yaml.load(text, Loader=_DecimalLoader)` of a set's canonical text (`dump_yaml`'s, as a round stores
    it, read by every command): by libyaml's parser where PyYAML has it, eight times faster (0.14 → 0.02 s
    for the bundled set). Its events are first looked over for what `_DecimalLoader` refuses — an alias, a
    node near MAX_YAML_DEPTH —, and any of them, or any error, leaves the text to `_DecimalLoader`, whose
    answer and messages are the ones users see."""
    if _CDecimalLoader is not None:
        try:
            depth = 0
            for event in yaml.parse(text, Loader=yaml.CSafeLoader):
                if isinstance(event, yaml.AliasEvent):
                    raise ValueError("an alias")
                if isinstance(event, yaml.CollectionStartEvent):
                    depth += 1
                    if depth >= MAX_YAML_DEPTH - 1:
                        raise ValueError("deep")
                elif isinstance(event, yaml.CollectionEndEvent):
                    depth -= 1
            return yaml.load(text, Loader=_CDecimalLoader)
        except Exception:  # (any doubt: the Python loader decides)
            pass
    return yaml.load(text, Loader=_DecimalLoader)


def node_locator(code: str | None) -> str:
    return say("place.node", code=code) if code else say("place.set")


# -- stage 1: text -> raw ------------------------------------------------------------------------
def read_yaml(path: Path) -> tuple[dict[str, Any], str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CriteriaError([Problem("set.not_found", {"path": path}, str(path))]) from None
    except OSError as exc:  # a directory, no permission, a locked or failing file: a message, not a traceback
        if isinstance(exc, IsADirectoryError) or path.is_dir():
            reason = say("set.unreadable.directory")
        elif isinstance(exc, PermissionError):
            reason = say("set.unreadable.permission")
        else:
            reason = say("set.unreadable.other", errno=exc.errno if exc.errno is not None else "?")
        raise CriteriaError([Problem("set.unreadable", {"path": path, "reason": reason}, str(path))]) from None
    if len(data) > MAX_YAML_BYTES:
        raise CriteriaError([Problem("set.yaml_invalid", {"detail": say(
            "set.yaml_too_large", size=len(data), limit=MAX_YAML_BYTES)}, str(path))])
    try:
        raw = yaml.load(data.decode("utf-8-sig"), Loader=_DecimalLoader)
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
        raise CriteriaError([Problem("set.yaml_invalid", {"detail": _yaml_detail(exc)}, str(path))]) from None
    if not isinstance(raw, dict):
        raise CriteriaError([Problem("set.yaml_invalid", {"detail": say("set.not_a_mapping")}, str(path))])
    if (text := _huge_number(raw)) is not None:
        raise CriteriaError([Problem("set.yaml_invalid", {"detail": say("set.yaml_number", text=text[:40])}, str(path))])
    return raw, hashlib.sha256(data).hexdigest()


def _yaml_detail(exc: Exception) -> str:
    """What the YAML reader says, its place in Vietnamese (line and column, counted from 1)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if isinstance(exc, UnicodeDecodeError):
        return say("set.yaml_encoding")
    if mark is None or not problem:
        return say("set.yaml_unknown_place")
    if problem.isascii():  # PyYAML's own English ("expected ',' or ']'"); the loader's problems are Vietnamese
        problem = say("set.yaml_syntax")
    return say("set.yaml_at", problem=problem, line=mark.line + 1, column=mark.column + 1)


_NUMBER_TEXT = re.compile(r"^\s*[+-]?(\d[\d_]*)?(\.\d*)?([eE][+-]?\d+)?\s*$")


def _huge_number(raw: Any) -> str | None:
    """A value that reads as a number (a text such as '1e999999999' too: YAML 1.1 takes it for a string,
    the model for a Decimal) past MAX_DIGITS digits or ±10^15; the composer has bounded the depth."""
    stack = [raw]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and len(value) < 10_000 and _NUMBER_TEXT.match(value) and any(
                ch.isdigit() for ch in value):
            try:
                number = Decimal(value.strip().replace("_", ""))
            except InvalidOperation:
                continue
            if len(number.as_tuple().digits) > MAX_DIGITS or abs(number.adjusted()) > 15:
                return value.strip()
        elif isinstance(value, str) and _NUMBER_TEXT.match(value[:100] + "0"):
            return value[:40]  # a number of more than 10,000 characters
    return None


# -- stage 2: raw -> model ------------------------------------------------------------------------
def build(raw: dict[str, Any], locate: Locator = node_locator) -> CriteriaSet:
    try:
        return CriteriaSet.model_validate(raw)
    except ValidationError as exc:
        raise CriteriaError([_structure_problem(raw, err, locate) for err in exc.errors()]) from None


def _structure_problem(raw: Any, err: Any, locate: Locator) -> Problem:
    # pydantic puts the tag of the rule's kind right after "rule" (rule.levels.levels.0.points); drop it there
    # only, so a field that shares a kind's name (the levels list of a levels rule) keeps its place.
    loc = [p for i, p in enumerate(err["loc"])
           if not (i > 0 and err["loc"][i - 1] == "rule" and isinstance(p, str) and p in _UNION_TAGS)]
    code, node = None, raw
    field = ".".join(str(p) for p in loc) or "?"
    for i, part in enumerate(loc):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and "code" in node:
            code = str(node["code"])
            field = ".".join(str(p) for p in loc[i + 1:]) or "code"
    place = locate(code)
    kind = err["type"]
    if kind == "missing":
        return Problem("set.field_missing", {"field": field}, place)
    if kind == "extra_forbidden":
        return Problem("set.field_unknown", {"field": field}, place)
    return Problem("set.field_invalid", {"field": field, "detail": _detail(err)}, place)


def _detail(err: Any) -> str:
    """pydantic's error in Vietnamese, by its type; its English text is never shown."""
    key = f"set.detail.{err['type']}"
    ctx = err.get("ctx") or {}
    if key in MESSAGES:
        try:
            return say(key, **{k: v if isinstance(v, Decimal | int) else str(v) for k, v in ctx.items()})
        except (KeyError, IndexError, ValueError):
            pass
    return say("set.detail.other")


_UNION_TAGS = {"done", "levels", "ratio_tiers", "proportional", "count_deduction", "count_award", "manual",
               "district"}


# -- whole pipeline -------------------------------------------------------------------------------
def load_set(path: Path | str | None = None) -> CriteriaSet:
    """Read, build and check a criteria set; raise CriteriaError listing every problem."""
    from cchc_xl.criteria.check import check_set

    src = Path(path) if path else bundled(DEFAULT_SET)
    raw, sha = read_yaml(src)
    cset = build(raw)
    problems = check_set(cset)
    if problems:
        raise CriteriaError(problems)
    return cset.model_copy(update={"source_sha256": sha})


def load_set_text(text: str) -> CriteriaSet:
    """A set from its canonical YAML text (as a round stores it), built and checked like a file."""
    from cchc_xl.criteria.check import check_set

    cset = build(_stored_yaml(text))
    problems = check_set(cset)
    if problems:
        raise CriteriaError(problems)
    return cset.model_copy(update={"source_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()})


def dump_yaml(cset: CriteriaSet, header: str = "") -> str:
    """The set as YAML text (Decimals as plain numbers), readable and diff-friendly."""
    data = cset.model_dump(mode="python", exclude={"source_sha256"}, exclude_defaults=True, by_alias=True)
    data = _plain(data)
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110)
    return header + body


class _Dumper(yaml.SafeDumper):
    pass


def _repr_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = format(value.normalize(), "f")
    if "." in text:
        return dumper.represent_scalar("tag:yaml.org,2002:float", text)
    return dumper.represent_scalar("tag:yaml.org,2002:int", text)


_Dumper.add_representer(Decimal, _repr_decimal)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
