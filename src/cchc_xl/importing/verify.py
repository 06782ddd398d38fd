"""Identify a returned workbook and verify it: signed metadata, then every locked cell against the layout.

The metadata's HMAC proves the district made the workbook for that commune and criteria set; the layout
regenerated from the same inputs must have the digest recorded there; then each locked cell of the file is
compared with the layout so that any change is explained precisely (which maximum, which formula, which
sheet). A LibreOffice re-save (hidden instead of very hidden sheet, requoted sheet names, lost structure
protection) is not tampering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from openpyxl.formula.tokenizer import Token, Tokenizer
from xlsxwriter.utility import xl_rowcol_to_cell

from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.identity import RoundIdentity
from cchc_xl.importing.findings import Findings
from cchc_xl.messages import say
from cchc_xl.numbers import to_decimal
from cchc_xl.reading.book import Book, parse_reference
from cchc_xl.settings import Settings
from cchc_xl.templates import template
from cchc_xl.workbook.layout import CellSpec, Layout, SheetLayout, build_layout, canonical_value, set_fingerprint
from cchc_xl.workbook.signing import verify


@dataclass
class Identity:
    meta: dict[str, str]
    commune: Commune
    layout: Layout
    signed: bool  # HMAC verified


@lru_cache(maxsize=8192)  # the same few hundred formulas come back in every file of a batch
def canonical_formula(text: str) -> str:
    """Formula text compared by meaning across writers: the formula's tokens (openpyxl's Tokenizer) with
    blanks dropped, names, functions and references in upper case, no `$` and no sheet-name quotes, numbers
    as the double they denote, and a double negation written `-(-(x))` (Gnumeric) read as `--(x)` (Excel). A text
    the tokenizer cannot split is compared character by character, as before."""
    try:
        tokens = Tokenizer("=" + text.removeprefix("=")).items
    except Exception:  # (the tokenizer raises its own errors, and others, on malformed text)
        return _canonical_chars(text)
    out: list[str] = []
    for tok in tokens:
        if tok.type == Token.WSPACE:
            continue
        out.append(_canonical_token(tok))
    return "\u241f".join(_double_negation(out))


def _canonical_token(tok: Token) -> str:
    value = tok.value
    if tok.type == Token.OPERAND and tok.subtype == Token.TEXT:
        return value
    if tok.type == Token.OPERAND and tok.subtype == Token.NUMBER:
        try:  # the double the text denotes: 0.000001 and 1.00000000000000000004e-06 are one number
            return repr(float(value))
        except (ValueError, OverflowError):
            return value.upper()
    if tok.type == Token.OPERAND and tok.subtype == Token.RANGE:
        sheet, bang, ref = value.rpartition("!")
        if bang and sheet.startswith("'") and sheet.endswith("'"):
            sheet = sheet[1:-1].replace("''", "'")
        return (sheet + bang + ref.replace("$", "")).upper()
    if tok.type == Token.FUNC and tok.subtype == Token.OPEN:
        return value.upper().removeprefix("_XLFN.")
    return value.upper()


def _double_negation(tokens: list[str]) -> list[str]:
    """`- ( - ( x ) )` as `- - ( x )`: the parentheses a writer puts around an inner negation."""
    i = 0
    while i + 3 < len(tokens):
        if tokens[i] == "-" and tokens[i + 1] == "(" and tokens[i + 2] == "-" and tokens[i + 3] == "(":
            outer, inner = _closing(tokens, i + 1), _closing(tokens, i + 3)
            if outer is not None and inner is not None and inner == outer - 1:
                del tokens[outer]
                del tokens[i + 1]
                continue  # the same place again: `-(-(-(x)))` unwinds level by level
        i += 1
    return tokens


def _closing(tokens: list[str], at: int) -> int | None:
    """The index of the parenthesis closing the one opened at `at` (function calls open with 'NAME(')."""
    depth = 0
    for j in range(at, len(tokens)):
        tok = tokens[j]
        if tok.endswith("(") and not (tok.startswith('"') or tok.startswith("'")):
            depth += 1
        elif tok == ")":
            depth -= 1
            if depth == 0:
                return j
    return None


def _canonical_chars(text: str) -> str:
    """No blanks or sheet-name quotes, upper case outside strings."""
    out: list[str] = []
    in_string = False
    for ch in text.removeprefix("="):
        if ch == '"':
            in_string = not in_string
            out.append(ch)
        elif in_string:
            out.append(ch)
        elif ch not in " '\t\r\n":
            out.append(ch.upper())
    return "".join(out)


def key_note(meta: dict[str, str], settings: Settings) -> str:
    """Names the signing key when the workbook was signed with another district's key."""
    if meta.get("key_id") == settings.key_id:
        return ""
    return say("meta.key_note", key_id=meta.get("key_id") or "?")


def read_meta(book: Book) -> dict[str, str] | None:
    name = template("commune").sheets.meta
    if name not in book.values:
        return None
    meta: dict[str, str] = {}
    for row in book.values[name]:
        if len(row) >= 2 and isinstance(row[0], str) and row[0]:
            meta[row[0]] = "" if row[1] is None else str(row[1])
    return meta if "commune_code" in meta else None


def identify(book: Book, cset: CriteriaSet, settings: Settings, found: Findings) -> Identity | None:
    """Read and check the metadata; None when the workbook cannot be tied to a commune and set."""
    t = template("commune")
    meta = read_meta(book)
    if meta is None:
        if t["sheets"]["grid"] not in book.values:
            found.add("file.foreign", sheet=t["sheets"]["grid"])
        else:
            found.add("meta.missing", sheet=t["sheets"]["meta"])
        return None
    signed = check_signature(meta, settings, found)
    if signed and settings.key_is_demo:
        found.add("meta.demo_key")
    commune = Commune(code=meta.get("commune_code", ""), name=meta.get("commune_name", ""),
                      kind=meta.get("commune_kind", "xã") or "xã")
    body = RoundIdentity(body=meta.get("body", ""))  # the texts name the body the workbook was made for
    layout = build_layout(cset, commune, identity=body)
    if same_set(meta, cset, found) and signed and meta.get("digest") != layout.digest():
        found.add("meta.template_mismatch", got=meta.get("template_version", "?"))
    return Identity(meta, commune, layout, signed)


def check_signature(meta: dict[str, str], settings: Settings, found: Findings,
                    verified: Callable[[dict[str, str], bytes], bool] = verify) -> bool:
    """The kind's signed keys verified with the round's key (`verified`: the kind's own check; the commune
    workbook's by default); meta.signature_invalid, naming the key it was signed with, when they are not."""
    if verified(meta, settings.key):
        return True
    found.add("meta.signature_invalid", key_note=key_note(meta, settings))
    return False


def same_set(meta: dict[str, str], cset: CriteriaSet, found: Findings) -> bool:
    """Whether the workbook was made for `cset` (its signed fingerprint); meta.other_set when not."""
    if meta.get("set_sha256") == set_fingerprint(cset):
        return True
    found.add("meta.other_set", got=f"{meta.get('set_id')} {meta.get('set_version')}", want=f"{cset.id} {cset.version}")
    return False


def check_locked(book: Book, layout: SheetLayout, found: Findings) -> None:
    """Compare every defined name, locked cell and validation of the file with the layout (the commune
    workbook's, or the appraisal path's)."""
    check_names(book, layout.names, found)
    present = set(book.sheet_names)
    missing = [key for key, name in layout.sheets.items() if name not in present]
    extra = [n for n in book.sheet_names if n not in set(layout.sheets.values())]
    for key in missing:
        renamed = say("tamper.renamed_note", sheet=extra[0]) if extra else ""
        found.add("tamper.sheet_missing", sheet=layout.sheets[key], renamed=renamed)
    for name in extra:
        if not missing:
            found.add("tamper.sheet_added", sheet=name)
    maxima = layout.maxima()
    for cell in _compared_cells(book, layout):
        name = layout.sheets[cell.sheet]
        if name not in present or _unchanged(book, name, cell):
            continue
        _check_cell(book, layout, cell, found, maxima.get((cell.sheet, cell.row, cell.col)))
    if book.validations is not None:
        # A validation is kept when a range of the file starts where it starts, or is exactly it.
        firsts = {name: {sq.split()[0] for sq, _ in items if sq.strip()} for name, items in book.validations.items()}
        ranges = {name: {r for sq, _ in items for r in sq.split()} for name, items in book.validations.items()}
        for rv in layout.validations:
            name = layout.sheets[rv.sheet]
            if name in present and not (rv.sqref.split()[0] in firsts.get(name, ())
                                        or rv.sqref in ranges.get(name, ())):
                found.add("tamper.validation_removed", cell=layout.at(rv.sheet, rv.sqref))


def check_names(book: Book, names: dict[str, str], found: Findings) -> None:
    """Every defined name the layout made must point where the layout says: the importer reads the
    layout's cells, so a name moved (to the locked maximum, a title, a sheet added for it) is tampering
    meant to show one value to Excel and another to a reader that follows the file's names. A name the
    file lost (a re-save) is no finding here: the cells are where the layout says all the same."""
    if not book.names:
        return
    for name, ref in names.items():
        got = book.names.get(name)
        want = parse_reference(ref)
        if got is None or want is None or got == want:
            continue
        found.add("tamper.name_moved", name=name, cell=show_cell(*want), got=show_cell(*got), want=show_cell(*want))


def layout_extent(layout: SheetLayout) -> tuple[int, int]:
    """(rows, columns) the layout uses on any sheet: its cells, validated ranges and merges."""
    rows = cols = 1
    for c in layout.cells:
        rows, cols = max(rows, c.row + 1), max(cols, c.col + 1)
    for r in [*layout.validations, *layout.merges]:
        rows, cols = max(rows, r.last_row + 1), max(cols, r.last_col + 1)
    return rows, cols


def show_cell(sheet: str, row: int, col: int) -> str:
    """'Sheet'!G27 from a 0-based position."""
    return "'" + sheet.replace("'", "''") + "'!" + xl_rowcol_to_cell(row, col)


def _compared_cells(book: Book, layout: SheetLayout) -> list[CellSpec]:
    """Locked cells outside the meta sheet that the file may have changed, in order: a quick look per sheet
    (the cell as the reader returns it, against the layout's index) rules out the untouched thousands."""
    suspects: list[int] = []
    for key, want in layout.index.expected.items():
        name = layout.sheets[key]
        if book.has_formulas and book.formulas is not None:
            formulas = book.formulas.get(name, {})
            suspects += [i for i, at, text in want.formulas if formulas.get(at) != text]
        rows = book.values.get(name, [])
        for i, row, col, value in want.values:
            got = rows[row][col] if row < len(rows) and col < len(rows[row]) else None
            if got != value or isinstance(got, bool):
                suspects.append(i)
        suspects += want.others
    return layout.cells_at(sorted(suspects))


def _unchanged(book: Book, sheet: str, cell: CellSpec) -> bool:
    """True when the file holds exactly what the layout wrote, so `_check_cell` would find nothing: a cheap
    test that spares the full comparison (and its message texts) for the thousands of untouched cells."""
    if cell.formula is not None:
        return not book.has_formulas or book.formula(sheet, cell.row, cell.col) == cell.formula
    want = cell.value
    if want is None or want == "":
        return True
    got = book.value(sheet, cell.row, cell.col)
    if isinstance(want, str):
        return got == want
    if type(want) in (Decimal, int):
        return _as_decimal(got) == want
    return False


def _check_cell(book: Book, layout: SheetLayout, cell: CellSpec, found: Findings, max_of: str | None) -> None:
    name = layout.sheets[cell.sheet]
    where = layout.at(cell.sheet, cell.ref)
    got_value = book.value(name, cell.row, cell.col)
    if cell.formula is not None:
        if not book.has_formulas:
            return
        got = book.formula(name, cell.row, cell.col)
        if got is None:
            number = _as_decimal(got_value) if isinstance(got_value, int | float | Decimal) else None
            shown = number if number is not None else ("" if got_value is None else got_value)
            found.add("tamper.formula_replaced", cell=where, got=shown)
        elif canonical_formula(got) != canonical_formula(cell.formula):
            found.add("tamper.formula_changed", cell=where)
        return
    if cell.value in (None, ""):
        return
    if max_of is not None and isinstance(cell.value, Decimal):
        got_dec = _as_decimal(got_value)
        if got_dec != cell.value:
            found.add("tamper.max_changed", criterion=max_of, cell=where, want=cell.value,
                      got=got_dec if got_dec is not None else (got_value or ""))
        return
    if _same(cell.value, got_value):
        return
    found.add("tamper.text_changed", cell=where, want=_short(canonical_value(cell.value)),
              got=_short("" if got_value is None else str(got_value)))


def _as_decimal(value: object) -> Decimal | None:
    try:
        return to_decimal(value)
    except TypeError:
        return None


def _same(want: object, got: object) -> bool:
    if isinstance(want, Decimal | int) and not isinstance(want, bool):
        return _as_decimal(got) == Decimal(want)
    return canonical_value(want).strip() == ("" if got is None else str(got)).strip()  # type: ignore[arg-type]


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
