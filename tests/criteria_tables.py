"""Shared helpers for the criteria tests.

1. Criteria sets written as compact, readable tables (pyxform's habit), so every test shows the set it
   builds or breaks::

       | level | code  | title              | max | rule                           |
       | area  | I     | Chỉ đạo, điều hành | 3   |                                |
       | crit  | 1.1   | Kế hoạch CCHC      | 1   | done                           |
       | crit  | 1.2   | Báo cáo CCHC       | 2   |                                |
       | sub   | 1.2.1 | Báo cáo quý        | 1   | manual step=0.5                |
       | sub   | 1.2.2 | Báo cáo năm        | 1   | levels 1:Đủ; 0.5:Muộn; 0:Không |
       | bonus | T1    | Sáng kiến          | 1   |                                |
       | tier  |       | Tốt                | 50  |                                |

   Levels: area, crit, sub, subsub (a 4th level, which is not allowed), bonus, penalty, tier.
   For bonus/penalty rows `max` is the item's points; for tier rows `title` is the name, `max` the minimum.
   A `max` cell that is not a number is passed through as text; an empty one leaves the field out.
   Rule cells: `<kind> <arg>; <arg>; …`, where an arg is `key=value`, a level `points:label`
   (levels) or a tier `percent%:points` (ratio_tiers). Figure labels get defaults.

2. A tiny evaluator for the Excel formulas the rules render (IF, ROUND, MIN, MAX, ABS, INT, NOT, OR, AND,
   COUNT, arithmetic and comparisons) on Decimals, with ROUND half away from zero as Excel does, so the
   Python side and the formula side of each rule can be held against each other without a spreadsheet.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from cchc_xl.criteria.check import check_set
from cchc_xl.criteria.load import CriteriaError, build
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.records import Problem

DEFAULT_TIERS = [("Xuất sắc", 90), ("Tốt", 80), ("Khá", 70), ("Trung bình", 50), ("Yếu", 0)]

FIGURE_LABELS = {
    "numerator": "Số hồ sơ giải quyết đúng hạn",
    "denominator": "Tổng số hồ sơ",
    "achieved": "Số chỉ tiêu đạt",
    "planned": "Số chỉ tiêu kế hoạch",
    "count": "vi phạm",
}

_DEFAULT_FIGURES = {
    "ratio_tiers": ("numerator", "denominator"),
    "proportional": ("achieved", "planned"),
    "count_deduction": ("count",),
    "count_award": ("count",),
}

DECISION = {"number": "1550/QĐ-UBND", "date": dt.date(2022, 12, 15), "issuer": "UBND huyện Phù Yên",
            "title": "Ban hành Bộ tiêu chí đánh giá Chỉ số CCHC cấp xã"}


# -- tables -> raw sets ------------------------------------------------------------------------------
def parse_table(text: str) -> list[dict[str, str]]:
    """`| a | b |` rows -> dicts keyed by the header row; blank lines and `|---|` rulers are skipped."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines if not set(ln) <= set("|-: ")]
    header, *body = rows
    out = []
    for cells in body:
        if len(cells) != len(header):
            raise ValueError(f"row has {len(cells)} cells, header has {len(header)}: {cells}")
        out.append(dict(zip(header, cells, strict=True)))
    return out


def _value(text: str) -> Any:
    """A cell's text as the YAML loader would give it: Decimal for numbers, bool for yes/no, else text."""
    if text in ("yes", "no"):
        return text == "yes"
    try:
        return Decimal(text)
    except InvalidOperation:
        return text


def parse_rule(text: str) -> dict[str, Any] | None:
    """`levels 1:Đủ; 0:Không`, `ratio_tiers 100%:2; 95%:1; when_zero=1`, `manual step=0.5` -> raw rule."""
    text = text.strip()
    if not text:
        return None
    kind, _, rest = text.partition(" ")
    rule: dict[str, Any] = {"kind": kind}
    for key in _DEFAULT_FIGURES.get(kind, ()):
        rule[key] = FIGURE_LABELS[key]
    for arg in (a.strip() for a in rest.split(";")):
        if not arg:
            continue
        if "=" in arg:
            key, _, value = arg.partition("=")
            rule[key.strip()] = _value(value.strip())
        elif kind == "levels":
            points, _, label = arg.partition(":")
            rule.setdefault("levels", []).append({"points": _value(points.strip()), "label": label.strip()})
        elif kind == "ratio_tiers":
            percent, _, points = arg.partition(":")
            rule.setdefault("tiers", []).append({"min_percent": _value(percent.strip().rstrip("%")),
                                                 "points": _value(points.strip())})
        else:
            raise ValueError(f"cannot read rule argument {arg!r} of {kind}")
    return rule


def raw_set(table: str, *, total: Any = None, tiers: list[tuple[str, Any]] | None = None,
            bonus_cap: Any = 2, penalty_cap: Any = 2, **fields: Any) -> dict[str, Any]:
    """The raw dict (as the YAML loader would produce) of the set the table describes.

    Tiers come from `tier` rows when there are any, else from `tiers`, else the representative ones.
    """
    raw: dict[str, Any] = {"id": "test-set", "title": "Bộ tiêu chí thử", "year": 2022, "version": "1",
                           "decision": dict(DECISION)}
    if total is not None:
        raw["total"] = total
    areas: list[dict[str, Any]] = []
    table_tiers: list[dict[str, Any]] = []
    blocks: dict[str, list[dict[str, Any]]] = {}
    crit: dict[str, Any] | None = None
    sub: dict[str, Any] | None = None
    for row in parse_table(table):
        level = row["level"]
        if level == "tier":
            table_tiers.append({"name": row["title"], "min": _value(row["max"])})
            continue
        node: dict[str, Any] = {"code": row["code"], "title": row["title"]}
        if row["max"] != "":
            node["max"] = _value(row["max"])
        if level in ("bonus", "penalty"):
            node["points"] = node.pop("max")
            blocks.setdefault(level, []).append(node)
            continue
        if level == "area":
            node["criteria"] = []
            areas.append(node)
            continue
        rule = parse_rule(row.get("rule", ""))
        if rule is not None:
            node["rule"] = rule
        if level == "crit":
            areas[-1]["criteria"].append(node)
            crit = node
        elif level == "sub":
            assert crit is not None, "a sub row needs a crit row above it"
            crit.setdefault("children", []).append(node)
            sub = node
        elif level == "subsub":
            assert sub is not None, "a subsub row needs a sub row above it"
            sub.setdefault("children", []).append(node)
        else:
            raise ValueError(f"unknown level {level!r}")
    raw["areas"] = areas
    if table_tiers:
        raw["tiers"] = table_tiers
    else:
        pairs = DEFAULT_TIERS if tiers is None else tiers
        raw["tiers"] = [{"name": n, "min": Decimal(m)} for n, m in pairs]
    for key, cap in (("bonus", bonus_cap), ("penalty", penalty_cap)):
        if key in blocks:
            raw[key] = {"cap": Decimal(cap), "items": blocks[key]}
    raw.update(fields)
    return raw


def find(raw: dict[str, Any], code: str) -> dict[str, Any]:
    """The raw node (area, criterion, sub-criterion or adjustment item) with this code."""

    def walk(nodes: list[dict[str, Any]]) -> dict[str, Any] | None:
        for n in nodes:
            if n.get("code") == code:
                return n
            hit = walk(n.get("criteria", []) + n.get("children", []))
            if hit is not None:
                return hit
        return None

    items = [i for key in ("bonus", "penalty") for i in raw.get(key, {}).get("items", [])]
    hit = walk(raw.get("areas", []) + items)
    if hit is None:
        raise KeyError(code)
    return hit


def make_set(table: str, **kwargs: Any) -> CriteriaSet:
    """Build (stage 2) the table's set; raises CriteriaError on structural problems."""
    return build(raw_set(table, **kwargs))


def problems_of(table_or_raw: str | dict[str, Any], **kwargs: Any) -> list[Problem]:
    """Every problem of the set: structural ones from build, else the consistency checks."""
    raw = raw_set(table_or_raw, **kwargs) if isinstance(table_or_raw, str) else copy.deepcopy(table_or_raw)
    try:
        cset = build(raw)
    except CriteriaError as exc:
        return exc.problems
    return check_set(cset)


# -- a small valid set using every rule kind and both adjustment blocks -------------------------------
EVERY_KIND = """
| level   | code  | title                            | max | rule                                     |
| area    | I     | Công tác chỉ đạo, điều hành CCHC | 6   |                                          |
| crit    | 1.1   | Ban hành kế hoạch CCHC đúng hạn  | 1   | done                                     |
| crit    | 1.2   | Mức độ hoàn thành kế hoạch       | 2   | levels 2:Đạt 100%; 1.5:Trên 80%; 0:Dưới  |
| crit    | 1.3   | Báo cáo, tuyên truyền CCHC       | 3   |                                          |
| sub     | 1.3.1 | Báo cáo định kỳ                  | 1.5 | manual step=0.5                          |
| sub     | 1.3.2 | Tuyên truyền CCHC                | 1.5 | count_award per_item=0.25; count=tin bài |
| area    | II    | Cải cách thủ tục hành chính      | 9   |                                          |
| crit    | 2.1   | Hồ sơ giải quyết đúng hạn        | 3   | ratio_tiers 100%:3; 95%:2; 80%:1         |
| crit    | 2.2   | Chỉ tiêu kinh tế - xã hội đạt    | 2.5 | proportional when_zero=0; integer=no     |
| crit    | 2.3   | Kỷ luật, kỷ cương                | 1.5 | count_deduction per_item=0.25            |
| crit    | 2.4   | Sự hài lòng của người dân        | 2   | district method=Điều tra xã hội học      |
| bonus   | T1    | Sáng kiến CCHC được công nhận    | 0.5 |                                          |
| bonus   | T2    | Được khen thưởng về CCHC         | 1   |                                          |
| penalty | P1    | Bị phản ánh, kiến nghị có căn cứ | 0.5 |                                          |
| tier    |       | Tốt                              | 12  |                                          |
| tier    |       | Khá                              | 7.5 |                                          |
| tier    |       | Trung bình                       | 0   |                                          |
"""


def every_kind_set(**kwargs: Any) -> CriteriaSet:
    """A small valid set (total 15) with every rule kind, bonus and penalty; it passes every check."""
    raw = raw_set(EVERY_KIND, total=15, bonus_cap=Decimal("1.5"), penalty_cap=1, **kwargs)
    find(raw, "1.1")["requirement"] = "Kế hoạch ban hành trước ngày 31/12 năm trước"
    find(raw, "1.1")["evidence"] = ["Kế hoạch CCHC năm", "Văn bản triển khai"]
    find(raw, "1.1")["guidance"] = "Ban hành đúng hạn: 1 điểm; chậm hoặc không ban hành: 0 điểm"
    raw["rescale_unscored"] = True  # (the set has a district-scored item)
    find(raw, "2.1")["rule"]["when_zero"] = Decimal("1")
    find(raw, "T1")["evidence"] = ["Quyết định công nhận sáng kiến"]
    raw["evidence_from"] = dt.date(2021, 12, 1)
    raw["evidence_to"] = dt.date(2022, 11, 30)
    cset = build(raw)
    assert check_set(cset) == []
    return cset


# -- Excel formula evaluator -------------------------------------------------------------------------
_TOKEN = re.compile(r'\s*(?:(\d+(?:\.\d*)?|\.\d+)|([A-Z_][A-Z0-9_]*)|(<>|<=|>=|[-+*/(),=<>])|"((?:[^"]|"")*)")')
Cell = Decimal | str | None  # an input cell as the evaluator sees it: a number, a text, or empty


def excel_round(value: Decimal, digits: int) -> Decimal:
    """Excel's ROUND on the decimal value: half away from zero."""
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _num(v: Any) -> Decimal:
    if isinstance(v, bool):
        return Decimal(int(v))
    assert isinstance(v, Decimal), v
    return v


class _Parser:
    def __init__(self, formula: str, env: Mapping[str, Cell]):
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        formula = formula.lstrip("=")
        while pos < len(formula):
            m = _TOKEN.match(formula, pos)
            if not m or m.end() == pos:
                raise SyntaxError(f"cannot read {formula[pos:]!r} in {formula!r}")
            pos = m.end()
            number, name, op, string = m.groups()
            if string is not None:
                self.tokens.append(("str", string.replace('""', '"')))
            elif number is not None:
                self.tokens.append(("num", number))
            elif name is not None:
                self.tokens.append(("name", name))
            elif op is not None:
                self.tokens.append(("op", op))
        self.i = 0
        self.env = env

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise SyntaxError(f"expected {value!r}, got {tok!r}")
        self.i += 1
        return tok

    # Each parse_* returns a thunk so IF can be lazy (IF(p=0, …, x/p) must not divide by zero).
    def parse(self) -> Callable[[], Any]:
        expr = self.comparison()
        if self.peek() is not None:
            raise SyntaxError(f"trailing {self.tokens[self.i:]}")
        return expr

    def comparison(self) -> Callable[[], Any]:
        left = self.additive()
        tok = self.peek()
        ops: dict[str, Callable[[Decimal, Decimal], bool]] = {
            "=": lambda a, b: a == b, "<>": lambda a, b: a != b, "<": lambda a, b: a < b,
            ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}
        if tok and tok[0] == "op" and tok[1] in ops:
            self.take()
            right = self.additive()
            fn = ops[tok[1]]
            return lambda: _compare(fn, left(), right())
        return left

    def additive(self) -> Callable[[], Any]:
        expr = self.term()
        while (tok := self.peek()) and tok[1] in ("+", "-"):
            self.take()
            right = self.term()
            expr = (lambda a, b: lambda: _num(a()) + _num(b()))(expr, right) if tok[1] == "+" else \
                (lambda a, b: lambda: _num(a()) - _num(b()))(expr, right)
        return expr

    def term(self) -> Callable[[], Any]:
        expr = self.unary()
        while (tok := self.peek()) and tok[1] in ("*", "/"):
            self.take()
            right = self.unary()
            expr = (lambda a, b: lambda: _num(a()) * _num(b()))(expr, right) if tok[1] == "*" else \
                (lambda a, b: lambda: _num(a()) / _num(b()))(expr, right)
        return expr

    def unary(self) -> Callable[[], Any]:
        tok = self.peek()
        if tok and tok[1] == "-":
            self.take()
            inner = self.unary()
            return lambda: -_num(inner())
        if tok and tok[1] == "+":
            self.take()
            return self.unary()
        return self.primary()

    def primary(self) -> Callable[[], Any]:
        kind, value = self.take()
        if kind == "num":
            d = Decimal(value)
            return lambda: d
        if kind == "str":
            return lambda: value
        if kind == "op" and value == "(":
            inner = self.comparison()
            self.take(")")
            return inner
        if kind == "name":
            if (tok := self.peek()) and tok[1] == "(":
                self.take("(")
                args = []
                if (tok := self.peek()) and tok[1] != ")":
                    args.append(self.comparison())
                    while (tok := self.peek()) and tok[1] == ",":
                        self.take(",")
                        args.append(self.comparison())
                self.take(")")
                return self.call(value, args)
            name = value
            if name in ("TRUE", "FALSE"):
                return lambda: name == "TRUE"
            if name not in self.env:
                raise NameError(name)
            return lambda: self.env[name]
        raise SyntaxError(f"unexpected {value!r}")

    @staticmethod
    def call(name: str, args: list[Callable[[], Any]]) -> Callable[[], Any]:
        def values() -> list[Any]:
            return [a() for a in args]

        if name == "IF":
            cond, yes, *no = args
            return lambda: yes() if cond() else (no[0]() if no else False)
        table: dict[str, Callable[[], Any]] = {
            "ROUND": lambda: excel_round(_num(args[0]()), int(_num(args[1]()))),
            "MIN": lambda: min(_num(v) for v in values()),
            "MAX": lambda: max(_num(v) for v in values()),
            "ABS": lambda: abs(_num(args[0]())),
            "INT": lambda: _num(args[0]()).to_integral_value(rounding=ROUND_FLOOR),
            "NOT": lambda: not args[0](),
            "OR": lambda: any(values()),
            "AND": lambda: all(values()),
            "COUNT": lambda: Decimal(sum(1 for v in values() if isinstance(v, Decimal))),
            "ISNUMBER": lambda: isinstance(args[0](), Decimal),
            "MATCH": lambda: _match(args[0](), args[1](), _num(args[2]())),
            "ISNA": lambda: args[0]() is NA,
            "N": lambda: v if isinstance(v := args[0](), Decimal) else Decimal(int(v) if isinstance(v, bool) else 0),
            "LEN": lambda: Decimal(len(_str(args[0]()))),
            "TRIM": lambda: re.sub(" +", " ", _str(args[0]())).strip(" "),
            "CLEAN": lambda: "".join(ch for ch in _str(args[0]()) if ord(ch) >= 32),
            "SUBSTITUTE": lambda: _str(args[0]()).replace(_str(args[1]()), _str(args[2]())),
        }
        if name not in table:
            raise NameError(f"function {name} not supported by the test evaluator")
        return table[name]


NA = object()  # Excel's #N/A


def _match(value: Any, values: Sequence[Cell], kind: Decimal) -> Any:
    """MATCH(value, range, 0): the 1-based position of the first equal value (texts without case), else
    #N/A. The range is a name that `env` maps to the range's values in order."""
    assert kind == 0, "only exact MATCH is supported by the test evaluator"
    for i, v in enumerate(values, start=1):
        if v is not None and type(v) is type(value) and _compare(lambda a, b: a == b, value, v):
            return Decimal(i)
    return NA


def _str(v: Any) -> str:
    """A text function's argument: an empty cell is the empty text (numbers are not needed here)."""
    if v is None:
        return ""
    assert isinstance(v, str), v
    return v


def _compare(fn: Callable[[Any, Any], bool], a: Any, b: Any) -> bool:
    """Excel's comparison: an empty cell is 0 beside a number and "" beside a text; texts compare without
    case; a number is less than any text (and unequal to it)."""
    if a is None:
        a = "" if isinstance(b, str) else Decimal(0)
    if b is None:
        b = "" if isinstance(a, str) else Decimal(0)
    if isinstance(a, str) and isinstance(b, str):
        return fn(a.casefold(), b.casefold())
    if isinstance(a, str) or isinstance(b, str):
        return fn(1 if isinstance(a, str) else 0, 1 if isinstance(b, str) else 0)  # number < text
    return fn(_num(a), _num(b))


def excel_eval(formula: str, env: Mapping[str, Cell] | None = None) -> Any:
    """Evaluate a rendered formula; `env` maps cell references to Decimals, texts or None (empty)."""
    return _Parser(formula, env or {}).parse()()


def excel_flags(checks: list[tuple[str, str]], env: Mapping[str, Cell]) -> list[str]:
    """The problem codes whose Excel condition is TRUE."""
    return [code for cond, code in checks if excel_eval(cond, env)]


# -- raw sets as YAML files ------------------------------------------------------------------------------
def yaml_text(raw: dict[str, Any]) -> str:
    """The raw set as YAML text a district could have written (Decimals as plain numbers)."""
    import yaml

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return yaml.safe_dump(plain(raw), allow_unicode=True, sort_keys=False)
