"""Cell values read straight from the sheet parts the container check already inflated: the fast path of
`book.sheet_values` (calamine inflating and parsing every sheet of the file a second time).

Only cells that hold a value are decoded (a blank styled cell, a formula without a result, cost a pattern
match and nothing more), row by row, each row's answer remembered for the batch (a row of one template
comes back byte for byte in most returns; `rows.part_facts`, one memo with the other two scans), and a whole
sheet part seen before (the blank register, the guide) taken at once. Every cell that holds a value is
read, not only the inputs: the tamper check compares the template's locked texts and numbers too, and
each kind of returned workbook (commune, appraisal, answer) reads its own cells from the same `Book`.
The answer is calamine's, value for value: numbers as calamine's floats (the importer makes them Decimal
exactly as it does calamine's), shared and inline strings as calamine joins and trims them, booleans,
error cells as "", dates where the cell's number format is one calamine reads as a date, and the same
rectangle of rows (to the last cell holding a value, blanks as "").

Any doubt sends the sheet to calamine, as before: a part not among the kept ones, a shape this module does
not follow (a namespace prefix, a comment or CDATA, a cell attribute it does not know, rich values), a
text calamine would trim or unescape (`_x000D_`), a number Python and Rust would parse differently, a date
format or date value it does not place with certainty (times, the 1904 system, serials before March
1900), a cell written twice. `CCHC_XL_FAST_READ=0` (every fast read path) or `CCHC_XL_FAST_VALUES=0`
(this one alone) turns it off.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple
from xml.parsers import expat

import python_calamine

from cchc_xl.reading import book, rows, sheet_memo

SWITCH = "CCHC_XL_FAST_VALUES"
MEMO_PART_BYTES = 8 * 1024 * 1024  # whole parts kept (their chunks' rows shared with the row memo)
Rows = list[list[Any]]


def enabled() -> bool:
    return rows.enabled() and os.environ.get(SWITCH, "1") != "0"


class _Doubt(Exception):
    """Something this reader leaves to calamine."""


def whole_book(parts: dict[str, bytes] | None) -> tuple[list[str], dict[str, str], dict[str, Rows]] | None:
    """(sheet names, visibility, values) as calamine gives them, of a workbook this module reads whole
    without opening calamine at all (which would inflate and parse the string table, styles and workbook
    part a second time); None when anything is in doubt: the caller opens calamine (`sheet_values`)."""
    if not enabled() or not parts:
        return None
    try:
        package = _Package(parts)
        listed = package.listed()
        out: dict[str, Rows] = {}
        for name, _state in listed:
            got = package.sheet(name)
            if got is None:
                return None
            out[name] = got
        package.check_rest()
        visibility = {name: _STATES[state] for name, state in listed}
    except Exception:  # any doubt: calamine opens the file (and refuses it, if it is broken)
        return None
    return [name for name, _ in listed], visibility, out


_STATES = {"": "visible", "visible": "visible", "hidden": "hidden", "veryHidden": "veryhidden"}  # calamine's words
_SHEET_TAG = re.compile(rb"<sheet\b([^>]*)>")
_STATE = re.compile(rb'\sstate="([^"]*)"')


def sheet_values(cal: python_calamine.CalamineWorkbook, parts: dict[str, bytes] | None) -> dict[str, Rows]:
    """`book.sheet_values(cal)` (through the sheet memo), every sheet this module serves read from `parts`."""
    if not enabled() or not parts:
        return sheet_memo.memo.values(cal, parts)
    try:
        package = _Package(parts)
    except Exception:  # an unusual package: the plain path reads every sheet
        return sheet_memo.memo.values(cal, parts)
    out: dict[str, Rows] = {}
    for name in cal.sheet_names:
        try:
            got = package.sheet(name)
        except Exception:  # any doubt about this sheet: calamine reads it
            got = None
        out[name] = got if got is not None else cal.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return out


class _Package:
    """The parts every sheet's values depend on: which part is which sheet, the styles' date formats, the
    workbook's date system, the shared strings."""

    def __init__(self, parts: dict[str, bytes]):
        self.parts = parts
        where = sheet_memo._sheet_parts(parts)
        workbook = parts[where.pop("")]
        self.where = where
        self.date1904 = _DATE1904.search(workbook) is not None
        self.styles = _styles(parts[sheet_memo._STYLES]) if sheet_memo._STYLES in parts else ()
        sst = parts.get(sheet_memo._SST)
        self.items: list[bytes] = _SI.findall(sst) if sst is not None else []
        if sst is not None and len(self.items) != sst.count(b"<si>") + sst.count(b"<si/>") + sst.count(b"<si "):
            raise _Doubt("a string table this module cannot split")
        self.strings: dict[int, str] = {}

    def listed(self) -> list[tuple[str, str]]:
        """The workbook's sheets in order, (name, state), when every one is a worksheet part at hand."""
        reader = book._StructureReader(Path(), self.parts)
        reader.archive = sheet_memo._NoArchive()
        workbook = reader._workbook_part()
        sheets, _names = reader._workbook(workbook)
        rels = reader._relationships(workbook)
        tags = _SHEET_TAG.findall(self.parts[workbook])
        if len(tags) != len(sheets) or len({name for name, _ in sheets}) != len(sheets):
            raise _Doubt("sheets this module does not count alike")
        listed = []
        for (name, rel_id), tag in zip(sheets, tags, strict=True):
            kind, target = rels[rel_id]
            if not kind.endswith("/worksheet") or target not in self.parts or self.where.get(name) != target:
                raise _Doubt("a chart sheet, or a sheet whose part is not at hand")
            state = _STATE.search(tag)
            listed.append((name, book._xml_text(state[1]) if state else ""))
        return listed

    def check_rest(self) -> None:
        """What calamine reads on opening besides the sheets, as it would find it: every shared string one
        this module reads alike, the string table and styles well-formed XML."""
        for item in self.items:
            _string_item(item)
        for name in (sheet_memo._SST, sheet_memo._STYLES):
            if name in self.parts:
                _parse_row(self.parts[name])

    def sheet(self, name: str) -> Rows | None:
        part = self.where.get(name)
        data = self.parts.get(part) if part else None
        if data is None or not _plain_head(data):
            return None
        placed: dict[int, list[Any]] = {}
        width = 0
        for got in _PARTS.rows(data):
            line = list(got.values)
            for col, kind, style, raw in got.fills:
                line[col] = self._number(style, raw) if kind == _NUMBER else self._shared(raw)
            placed[got.row] = line
            width = max(width, len(line))
        if not placed:
            return []
        blank = [""] * width
        return [blank.copy() if (line := placed.get(r)) is None else line + blank[len(line):]
                for r in range(max(placed) + 1)]

    def _number(self, style: int, value: float) -> Any:
        if style >= len(self.styles):
            if style == 0 and not self.styles:
                return value
            raise _Doubt("a style the styles part does not have")
        shape = self.styles[style]
        if shape == _PLAIN:
            return value
        if shape == _DATE and not self.date1904 and value >= 61 and value == int(value) and value < 2958466:
            return _EPOCH + dt.timedelta(days=int(value))
        raise _Doubt("a date or time calamine places by rules this module does not follow")

    def _shared(self, index: int) -> str:
        text = self.strings.get(index)
        if text is None:
            if index >= len(self.items):
                raise _Doubt("a string the table does not have")
            text = self.strings[index] = _string_item(self.items[index])
        return text


# -- one sheet part, a row at a time ----------------------------------------------------------------------
_NUMBER, _SHARED, _DECODED = 0, 1, 2
# A cell as openpyxl and LibreOffice write it: its reference, a style and a type (either order), no other
# attribute (a cell tag this does not match is counted as unread: the sheet goes to calamine)
# The shapes openpyxl and LibreOffice write: a formula or not, a <v> or not, or one plain inline text
_COMMON = (rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="([0-9]{1,6})")?(?: t="([A-Za-z]{1,9})")?(?: s="([0-9]{1,6})")?'
           rb'(?:/>|>(?:<f>[^<]*</f>|<f [^<>]*/>|<f [^<>]*>[^<]*</f>)?'
           rb'(?:(<v>)([^<]*)</v>|(<is>)<t( xml:space="preserve")?>([^<]*)</t></is>)?</c>)')
_COMMON_CELL = re.compile(_COMMON)
# A whole row of such cells: the row is well formed where one pattern reads it (calamine refuses broken ones)
_COMMON_ROW = re.compile(rb'<row [^<>]*>(?:' + re.sub(rb"\((?!\?)", b"(?:", _COMMON) + rb')*</row>')
_CELL = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="([0-9]{1,6})")?(?: t="([A-Za-z]{1,9})")?'
                   rb'(?: s="([0-9]{1,6})")?\s*(?:/>|>(.*?)</c>)', re.S)
_BODY = re.compile(rb"\s*(?:<f(?:\s[^<>]*)?/>|<f(?:\s[^<>]*)?>[^<]*</f>)?\s*(?:<v>([^<]*)</v>|(<v/>)|<is>(.*)</is>)?\s*",
                   re.S)
# Numbers as both Rust's and Python's parsers read them alike (no blanks, no "inf", no "1_0")
_NUMERIC = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_ERRORS = {b"#DIV/0!", b"#N/A", b"#NAME?", b"#NULL!", b"#NUM!", b"#REF!", b"#VALUE!"}
_EPOCH = dt.date(1899, 12, 30)
_KINDS = {b"n", b"s", b"str", b"b", b"e", b"inlineStr"}


class _Unclean:
    """A piece that is not one cell in a common shape (`common_cell`)."""


UNCLEAN = _Unclean()


class _Row(NamedTuple):
    """One chunk's cells: its row (-1: none), the row's values up to its last cell ("" where blank; the
    cells to place per file left ""), and those cells as (col, kind, style index, raw)."""
    row: int
    values: tuple[Any, ...]
    fills: tuple[tuple[int, int, int, Any], ...]
    open_end: bool
    odd: bool  # a `<!` (comment, CDATA, DOCTYPE) or an element of the sheet's cells under a prefix
    xmlns: int  # `xmlns="` declarations
    uri_ends: int  # the main namespace's URI


def _cells(chunk: bytes, common: rows.Common) -> _Row:
    tags = common.tags
    cells: list[Cell | None] = []
    if tags:
        if not chunk.startswith(b"<row "):
            raise _Doubt("cells outside a row")
        whole = _COMMON_ROW.match(chunk)
        found = _COMMON_CELL.findall(chunk, 0, whole.end()) if whole is not None else []
        if len(found) == tags:  # a row of cells in the common shapes: one pattern read them all
            cells = [_common_cell(*groups) for groups in found]
        else:  # any other row is first parsed as XML (a broken one goes to calamine, which refuses it)
            end = chunk.find(b"</row>") + len(b"</row>")
            _parse_row(chunk[:end])
            general = _CELL.findall(chunk, 0, end)
            if len(general) != tags:
                raise _Doubt("a cell tag this module does not read")
            cells = [_general_cell(*groups) for groups in general]
    return placed_row(cells, common.open_end, common.bang or _PREFIXED_CELL.search(chunk) is not None,
                      common.xmlns, common.uri_ends)


def common_cell(piece: bytes) -> Cell | _Unclean | None:
    """One cell element alone, as `_cells` reads it inside a row of common cells (`_common_cell`):
    `UNCLEAN` unless `_COMMON_CELL` matches the whole piece, as it does each cell of such a row."""
    m = _COMMON_CELL.match(piece)
    if m is None or m.end() != len(piece):
        return UNCLEAN
    return _common_cell(*m.groups())


def placed_row(cells: list[Cell | None], open_end: bool, odd: bool, xmlns: int, uri_ends: int) -> _Row:
    """A chunk's `_Row` from its cells as read, in order (raises _Doubt for cells of several rows or one
    cell twice)."""
    row, placed, fills = -1, {}, []
    for cell in cells:
        if cell is None:
            continue
        r, c, what, style, raw = cell
        if row not in (-1, r) or c in placed:
            raise _Doubt("cells of several rows in one chunk, or one cell written twice")
        row = r
        placed[c] = raw if what == _DECODED else ""
        if what != _DECODED:
            fills.append((c, what, style, raw))
    values = [""] * (max(placed) + 1 if placed else 0)
    for c, value in placed.items():
        values[c] = value
    return _Row(row, tuple(values), tuple(fills), open_end, odd, xmlns, uri_ends)


def _part_rows(data: bytes) -> tuple[_Row, ...]:
    """The rows of a sheet part that hold cells, in order; raises _Doubt for a shape not served."""
    facts = rows.part_facts(data)
    if facts.failed & rows.ROW_FAILED:
        raise _Doubt("a chunk this module does not read")
    _numbers, _values, _fills, open_ends, odd, xmlns, uri_ends = zip(*facts.rows, strict=True)
    if any(open_ends[:-1]) or any(odd):
        raise _Doubt("a tag open at the end of a chunk, a `<!`, a prefixed element")
    if sum(xmlns) != 1 or sum(uri_ends) != 1:
        raise _Doubt("a namespace declared again or under a prefix")
    found = tuple(r for r in facts.rows if r.row >= 0)
    if len({r.row for r in found}) != len(found):
        raise _Doubt("one row written twice")
    return found


class _PartMemo:
    """`_part_rows` of whole sheet parts seen before (the blank register, the guide), by the part's bytes:
    kept from a part's second sighting on (a file's own grid never crowds out the template's recurring
    parts), bounded by the bytes kept, cleared when full."""

    def __init__(self, budget: int = MEMO_PART_BYTES):
        self.budget, self.kept = budget, 0
        self.entries: dict[bytes, tuple[_Row, ...]] = {}
        self.seen: set[int] = set()

    def rows(self, data: bytes) -> tuple[_Row, ...]:
        got = self.entries.get(data)
        if got is not None:
            return got
        got = _part_rows(data)
        if hash(data) not in self.seen:
            if len(self.seen) >= 65536:
                self.seen.clear()
            self.seen.add(hash(data))
        elif len(data) <= self.budget // 4:
            if self.kept + len(data) > self.budget:
                self.entries.clear()
                self.kept = 0
            self.entries[data] = got
            self.kept += len(data)
        return got


# the process's memos: the workers of `import --jobs` each have their own
_PARTS = _PartMemo()  # (the rows' answers: rows.part_facts)


def _parse_row(row: bytes) -> None:
    """Raises unless `row` (a row, a part) is well-formed XML (no DTD; prefixes are no concern here)."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = book._refuse_doctype
    parser.Parse(row, True)


Cell = tuple[int, int, int, int, Any]  # (0-based row, 0-based col, kind, style index, raw)


def _common_cell(col: bytes, row: bytes, style_before: bytes, kind: bytes, style_after: bytes, v: bytes,
                 text: bytes, inline: bytes, preserve: bytes, inline_text: bytes) -> Cell | None:
    """A cell `_COMMON_CELL` matched: as `_cell` reads it."""
    if inline:
        if kind != b"inlineStr" or (style_before and style_after):
            raise _Doubt("an inline string in a cell of another type, or a style given twice")
        r, c = book._position(col, row)
        text = _text_memo(preserve, inline_text) if len(inline_text) <= rows.MEMO_ROW_BYTES else \
            _run_text(preserve, inline_text)
        return r, c, _DECODED, int(style_before or style_after or 0), text
    return _cell(col, row, style_before, style_after, kind or b"n", text if v else None, None, None)


def _general_cell(col: bytes, row: bytes, style_before: bytes, kind: bytes, style_after: bytes,
                  body: bytes) -> Cell | None:
    """A cell `_CELL` matched (any content): its content read by `_BODY`, then as `_cell` reads it."""
    m = _BODY.fullmatch(body)
    if m is None:
        raise _Doubt("a cell's content this module does not follow")
    return _cell(col, row, style_before, style_after, kind or b"n", *m.groups())


def _cell(col: bytes, row: bytes, style_before: bytes, style_after: bytes, kind: bytes, text: bytes | None,
          empty: bytes | None, inline: bytes | None) -> Cell | None:
    """One cell as calamine reads it: None when it holds no value; `text` the <v>'s, `empty` a `<v/>`,
    `inline` an <is>'s content."""
    if style_before and style_after:
        raise _Doubt("a style given twice")
    style = int(style_before or style_after or 0)
    if kind not in _KINDS:
        raise _Doubt("a cell type this module does not follow")  # t="d" and anything unknown
    if text is None and inline is None and empty is None:
        return None  # no value: calamine keeps nothing (a blank styled cell, a formula not computed)
    r, c = book._position(col, row)
    if kind == b"inlineStr":
        if inline is None:
            raise _Doubt("an inline string without its text")
        return r, c, _DECODED, style, _string_item(inline)
    if inline is not None:
        raise _Doubt("an inline string in a cell of another type")
    if empty is not None and kind == b"n":
        return None  # `<v/>`: calamine keeps nothing
    if text is None or (text == b"" and kind not in (b"n", b"s", b"str")):
        raise _Doubt("an empty value")
    if kind in (b"n", b"s") and text == b"":
        return None  # calamine keeps nothing for these
    if kind == b"n":
        if _NUMERIC.fullmatch(text) is None:
            raise _Doubt("a number Rust and Python may read apart")
        return r, c, _NUMBER, style, float(text)
    if kind == b"s":
        if not text.isdigit():
            raise _Doubt("a shared string that is no index")
        return r, c, _SHARED, style, int(text)
    if kind == b"str":
        if b"_x" in text or b"\r" in text:
            raise _Doubt("a text calamine may unescape")
        return r, c, _DECODED, style, book._xml_text(text)
    if kind == b"b":
        if text not in (b"0", b"1"):
            raise _Doubt("a boolean other than 0 or 1")
        return r, c, _DECODED, style, text == b"1"
    if kind == b"e":
        if text not in _ERRORS:
            raise _Doubt("an error calamine may refuse")
        return r, c, _DECODED, style, ""
    raise AssertionError(kind)


def _plain_head(data: bytes) -> bool:
    """The head the scans serve: a <worksheet> root with the main namespace as its default, UTF-8 (the
    rest of the shape, chunk by chunk: no other default namespace, no `<!`, no prefixed cell)."""
    head = book._ROOT.match(data)
    if head is None or book._MAIN_XMLNS not in head["root"]:
        return False
    declaration = (head["decl"] or b"").lower()
    return b"encoding" not in declaration or b"utf-8" in declaration


_PREFIXED_CELL = re.compile(rb"<[A-Za-z_][\w.-]*:(?:c|v|is|t|row|sheetData)[\s>/]")


# -- strings: a shared-string item or an inline string, as calamine joins and trims it -------------------
_SI = re.compile(rb"<si>(.*?)</si>|<si/>", re.S)
_PLAIN_T = re.compile(rb'<t( xml:space="preserve")?>([^<]*)</t>|<t/>()')
_RUN = re.compile(rb'<r>(?:<rPr>(?:<[A-Za-z]+(?:\s+[A-Za-z]+="[^"<>]*")*\s*/>)*</rPr>|<rPr/>)?'
                  rb'(?:<t( xml:space="preserve")?>([^<]*)</t>|<t/>())</r>')


def _string_item(item: bytes) -> str:
    """The text of an <si> or <is> element's content: one <t>, or rich-text runs joined."""
    return _string_memo(item) if len(item) <= rows.MEMO_ROW_BYTES else _string_text(item)


def _string_text(item: bytes) -> str:
    if not item:
        return ""
    if (m := _PLAIN_T.fullmatch(item)) is not None:
        return _run_text(m[1], m[2])
    pos, texts = 0, []
    for run in _RUN.finditer(item):
        if run.start() != pos:
            raise _Doubt("markup in a string this module does not follow")
        texts.append(_run_text(run[1], run[2]))
        pos = run.end()
    if pos != len(item) or not texts:
        raise _Doubt("markup in a string this module does not follow")  # phonetic runs and the like
    return "".join(texts)


_string_memo = lru_cache(maxsize=4096)(_string_text)  # the template's texts come back in every return


def _run_text(preserve: bytes | None, raw: bytes | None) -> str:
    """A <t>'s text, `preserve` its xml:space="preserve"."""
    if not raw:
        return ""
    if b"_x" in raw or b"\r" in raw:
        raise _Doubt("a text calamine may unescape")
    text = book._xml_text(raw)
    if not preserve and text != text.strip():
        raise _Doubt("a text calamine may trim")
    return text


_text_memo = lru_cache(maxsize=4096)(_run_text)  # the template's texts, in every return of the batch


# -- styles: which cell formats make a number a date -----------------------------------------------------
_PLAIN, _DATE, _UNSURE = 0, 1, 2
_DATE1904 = re.compile(rb'<workbookPr\b[^>]*\bdate1904="(?:1|true)"')
_XFS = re.compile(rb"<cellXfs\b[^>]*>(.*?)</cellXfs>", re.S)
_XF = re.compile(rb"<xf\b([^>]*)>")
_NUMFMT = re.compile(rb"<numFmt\b([^>]*)>")
_FMT_ID = re.compile(rb'\bnumFmtId="([0-9]+)"')
_FMT_CODE = re.compile(rb'\bformatCode="([^"]*)"')
# Built-in formats calamine reads as numbers, and as dates (day, month, year; no time of day)
_BUILTIN_PLAIN = {*range(0, 14), *range(37, 45), 48, 49}
_BUILTIN_DATE = {14, 15, 16, 17}


@lru_cache(maxsize=16)  # one styles part per template
def _styles(data: bytes) -> tuple[int, ...]:
    """Each cell format (by index) as _PLAIN, _DATE or _UNSURE."""
    formats: dict[int, str] = {}
    for attributes in _NUMFMT.findall(data):
        fmt_id, code = _FMT_ID.search(attributes), _FMT_CODE.search(attributes)
        if fmt_id is None or code is None:
            raise _Doubt("a number format without its id or code")
        formats[int(fmt_id[1])] = book._xml_text(code[1])
    xfs = _XFS.search(data)
    if xfs is None:
        raise _Doubt("no cell formats")
    out = []
    for attributes in _XF.findall(xfs[1]):
        m = _FMT_ID.search(attributes)
        shape = _format_shape(int(m[1]) if m else 0, formats)
        if shape != _PLAIN and b'applyNumberFormat="0"' in attributes:
            shape = _UNSURE  # whether calamine honours it is not this module's to guess
        out.append(shape)
    return tuple(out)


def _format_shape(fmt_id: int, formats: dict[int, str]) -> int:
    if fmt_id in formats:
        return _custom_shape(formats[fmt_id])
    if fmt_id in _BUILTIN_PLAIN:
        return _PLAIN
    return _DATE if fmt_id in _BUILTIN_DATE else _UNSURE


def _custom_shape(code: str) -> int:
    """A format code's shape, where every reading of calamine's date detection agrees; else _UNSURE."""
    if code.strip().lower() == "general":
        return _PLAIN
    bare = _QUOTED.sub("", code)
    if "[" in bare or ";" in bare or '"' in bare:
        return _UNSURE
    letters = {ch for ch in bare.lower() if ch.isalpha()}
    if not letters:
        return _PLAIN
    if letters <= {"d", "m", "y"} and letters & {"d", "y"} and set(bare.lower()) <= set("dmy/-. ,"):
        return _DATE
    return _UNSURE


_QUOTED = re.compile(r'"[^"]*"|\\.|_.')
