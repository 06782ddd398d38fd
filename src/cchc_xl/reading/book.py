"""A returned workbook as plain data: sheet names and states, cell values, formulas, names, validations.

python-calamine reads the values (fast, every format, cached formula results). What calamine cannot
give, and only for .xlsx/.xlsm (formula text, defined names, validations), comes from a small streaming
reader of the package's XML (`_StructureReader`): it reads exactly what openpyxl's full load gave this
module, in a fraction of the time. A file with anything that reader does not expect (or cannot parse) is
read by openpyxl as before, so unusual and broken files behave as they always did.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.parsers import expat

import openpyxl
import python_calamine
from openpyxl.formula.translate import Translator
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, coordinate_to_tuple
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.xml.constants import XLSM, XLSX, XLTM, XLTX

_REF = re.compile(r"^(?:'?(?P<sheet>.+?)'?!)?\$?(?P<col>[A-Z]{1,3})\$?(?P<row>\d+)(?::\$?[A-Z]{1,3}\$?\d+)?$")


class BookError(Exception):
    """The file could not be parsed as a spreadsheet."""


@dataclass
class Book:
    path: Path
    fmt: str
    sheet_names: list[str]
    visibility: dict[str, str]
    values: dict[str, list[list[Any]]]
    formulas: dict[str, dict[tuple[int, int], str]] | None = None
    names: dict[str, tuple[str, int, int]] | None = None
    validations: dict[str, set[tuple[str, str]]] | None = None
    has_formulas: bool = field(default=False)

    def value(self, sheet: str, row: int, col: int) -> Any:
        rows = self.values.get(sheet)
        if rows is None or row >= len(rows) or col >= len(rows[row]):
            return None
        v = rows[row][col]
        if isinstance(v, str):
            v = unicodedata.normalize("NFC", v)
            return v if v != "" else None
        return v

    def row_values(self, sheet: str, row: int, count: int) -> tuple[Any, ...]:
        """`(value(sheet, row, 0), …, value(sheet, row, count - 1))`, in one look-up of the row."""
        rows = self.values.get(sheet)
        cells = rows[row] if rows is not None and row < len(rows) else ()
        out = []
        for v in cells[:count]:
            if isinstance(v, str):
                v = unicodedata.normalize("NFC", v)
                if v == "":
                    v = None
            out.append(v)
        out += [None] * (count - len(out))
        return tuple(out)

    def formula(self, sheet: str, row: int, col: int) -> str | None:
        if self.formulas is None:
            return None
        return self.formulas.get(sheet, {}).get((row, col))


def open_calamine(path: Path, data: bytes | None = None) -> python_calamine.CalamineWorkbook:
    """calamine's workbook at `path` (or of its bytes `data`, already read); a name that is no UTF-8
    (carried surrogate-escaped, which calamine cannot take) is read through an open file instead."""
    if data is not None:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        with path.open("rb") as fh:
            return python_calamine.CalamineWorkbook.from_filelike(fh)
    return python_calamine.CalamineWorkbook.from_path(str(path))


def read_book(path: Path, fmt: str, parts: dict[str, bytes] | None = None, data: bytes | None = None) -> Book:
    """The workbook at `path`; `parts`: XML parts of it already read (by the safety check), by name;
    `data`: the file's bytes, when the caller read them (every reader then parses these, not the file)."""
    from cchc_xl.reading import values as fast  # from the parts already inflated, else calamine

    try:
        whole = fast.whole_book(parts) if fmt == "xlsx" else None
        if whole is not None:
            names, visibility, values = whole
        else:
            cal = open_calamine(path, data)
            names = cal.sheet_names
            visibility = {m.name: str(m.visible).split(".")[-1].lower() for m in cal.sheets_metadata}
            values = fast.sheet_values(cal, parts) if fmt == "xlsx" else sheet_values(cal)
        names_nfc = [unicodedata.normalize("NFC", n) for n in names]
        values = {unicodedata.normalize("NFC", k): v for k, v in values.items()}
        visibility = {unicodedata.normalize("NFC", k): v for k, v in visibility.items()}
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise BookError(str(exc)) from exc
    book = Book(path=path, fmt=fmt, sheet_names=names_nfc, visibility=visibility, values=values)
    if fmt == "xlsx":
        _read_structure(book, parts, data)
    return book


def sheet_values(cal: python_calamine.CalamineWorkbook) -> dict[str, list[list[Any]]]:
    """Every sheet's cell values as calamine reads them, by calamine's sheet name."""
    return {name: cal.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in cal.sheet_names}


@lru_cache(maxsize=8192)  # the layout's few hundred names, parsed for every file of a batch
def parse_reference(text: str) -> tuple[str, int, int] | None:
    """(sheet, 0-based row, 0-based col) of the first cell of a sheet-qualified reference such as
    "'Tự đánh giá'!$G$27" or "Sheet1!A1:F9"; None for anything else (a constant, #REF!, a formula)."""
    m = _REF.match(text or "")
    if not m or not m.group("sheet"):
        return None
    sheet = unicodedata.normalize("NFC", m.group("sheet").replace("''", "'"))
    return sheet, int(m.group("row")) - 1, column_index_from_string(m.group("col")) - 1


def _read_structure(book: Book, parts: dict[str, bytes] | None = None, data: bytes | None = None) -> None:
    try:
        structure = _StructureReader(book.path, parts, data).read()
    except Exception:  # unusual or broken: openpyxl reads it (or fails) exactly as it always did
        _read_structure_openpyxl(book, data)
        return
    book.has_formulas = True
    book.formulas, book.validations, book.names = structure


def _read_structure_openpyxl(book: Book, data: bytes | None = None) -> None:
    try:
        wb = openpyxl.load_workbook(book.path if data is None else io.BytesIO(data), data_only=False,
                                    keep_links=False, keep_vba=False, rich_text=False)
    except Exception as exc:  # openpyxl raises many types on malformed parts
        raise BookError(str(exc)) from exc
    book.has_formulas = True
    book.formulas, book.validations, book.names = {}, {}, {}
    for ws in wb.worksheets:
        name = unicodedata.normalize("NFC", ws.title)
        formulas: dict[tuple[int, int], str] = {}
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    text = cell.value if isinstance(cell.value, str) else getattr(cell.value, "text", "")
                    formulas[(cell.row - 1, cell.column - 1)] = (text or "").removeprefix("=")
        book.formulas[name] = formulas
        book.validations[name] = {
            (str(dv.sqref), f"{dv.type}|{(dv.formula1 or '')}") for dv in ws.data_validations.dataValidation}
    for name, dn in wb.defined_names.items():
        if (where := parse_reference(dn.attr_text or "")) is not None:
            book.names[name] = where


# -- the streaming structure reader ------------------------------------------------------------------
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main "
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships "
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships "
_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types "
_C, _F, _DVS = _MAIN + "c", _MAIN + "f", _MAIN + "dataValidations"
_INVALID_TITLE = re.compile(r"[\\*?:/\[\]]")
# openpyxl's DataValidation: its attributes, and the values it accepts for the enumerated ones
_DV_ATTRS = {"type", "showErrorMessage", "showInputMessage", "showDropDown", "allowBlank", "sqref", "promptTitle",
             "errorStyle", "error", "prompt", "errorTitle", "imeMode", "operator", "allow_blank"}
_DV_VALUES = {
    "type": {"whole", "decimal", "list", "date", "time", "textLength", "custom"},
    "errorStyle": {"stop", "warning", "information"},
    "imeMode": {"noControl", "off", "on", "disabled", "hiragana", "fullKatakana", "halfKatakana", "fullAlpha",
                "halfAlpha", "fullHangul", "halfHangul"},
    "operator": {"between", "notBetween", "equal", "notEqual", "lessThan", "lessThanOrEqual", "greaterThan",
                 "greaterThanOrEqual"},
}
_SKIPPED_NAMES = {"_xlnm.Print_Titles", "_xlnm.Print_Area", "_xlnm._FilterDatabase"}  # as openpyxl's by_sheet

Structure = tuple[dict[str, dict[tuple[int, int], str]], dict[str, set[tuple[str, str]]], dict[str, tuple[str, int, int]]]


class _Unusual(Exception):
    """Something this reader leaves to openpyxl."""


def _parser(start: Any, end: Any = None) -> Any:
    """An expat parser calling back with namespace-qualified names ("uri local").

    No DTD: a part declaring one is refused (the container check already rejects them; this reader must
    not depend on it), so no entity can be declared and none is ever expanded. Character data is off
    until a handler switches it on for the few elements whose text matters.
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    return parser


def _refuse_doctype(*_: Any) -> None:
    raise _Unusual("DOCTYPE")


@lru_cache(maxsize=4096)
def _sqref(text: str) -> str:
    """A validation's ranges written as openpyxl writes them (sorted, single cells without ':')."""
    return str(MultiCellRange(text))


@lru_cache(maxsize=16384)
def _coordinate(ref: str) -> tuple[int, int]:
    return coordinate_to_tuple(ref)


class _StructureReader:
    """Formula text, validations and workbook-level names of an .xlsx, as openpyxl's full load gives them.

    Follows openpyxl's reading: the workbook part from [Content_Types].xml, sheets through the workbook's
    relationships (chart sheets and missing parts skipped), global names but the print ones, the last
    cell of a coordinate winning, shared formulas translated with openpyxl's own Translator, the last
    <dataValidations> of a sheet winning. Raises _Unusual for what it does not follow (sheet titles
    openpyxl would refuse or rename, cells without a reference, …); the caller then uses openpyxl.
    """

    def __init__(self, path: Path, parts: dict[str, bytes] | None = None, data: bytes | None = None):
        self.path = path
        self.parts = parts or {}
        self.data = data

    def read(self) -> Structure:
        with zipfile.ZipFile(self.path if self.data is None else io.BytesIO(self.data)) as archive:
            self.archive = archive
            self.files = set(archive.namelist())
            workbook = self._workbook_part()
            sheets, names = self._workbook(workbook)
            rels = self._relationships(workbook)
            formulas: dict[str, dict[tuple[int, int], str]] = {}
            validations: dict[str, set[tuple[str, str]]] = {}
            titles: list[str] = []
            for name, rel_id in sheets:
                if not rel_id:
                    continue
                kind, target = rels[rel_id]  # KeyError: openpyxl fails on it too
                if target not in self.files:
                    continue
                if not name or _INVALID_TITLE.search(name) or name.lower() in titles:
                    raise _Unusual("sheet title openpyxl would refuse or rename")
                titles.append(name.lower())
                if "chartsheet" in kind:
                    continue
                key = unicodedata.normalize("NFC", name)
                formulas[key], validations[key] = _SheetReader().read(self._read(target))
        return formulas, validations, names

    def _read(self, name: str) -> bytes:
        kept = self.parts.get(name)
        return kept if kept is not None else self.archive.read(name)

    def _workbook_part(self) -> str:
        overrides: list[tuple[str, str]] = []

        def start(name: str, attrs: dict[str, str]) -> None:
            if name == _TYPES + "Override":
                overrides.append((attrs.get("ContentType", ""), attrs.get("PartName", "")))

        _parser(start).Parse(self._read("[Content_Types].xml"), True)
        for content_type in (XLTM, XLTX, XLSM, XLSX):
            for ct, part in overrides:
                if ct == content_type:
                    return part[1:]
        raise _Unusual("no workbook override")

    def _workbook(self, part: str) -> tuple[list[tuple[str, str]], dict[str, tuple[str, int, int]]]:
        sheets, names = _workbook_part(self._read(part))
        return list(sheets), dict(names)

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Id -> (type, target) of the workbook's relationships, targets as openpyxl's get_dependents
        normalizes them (absolute within the package)."""
        folder, obj = posixpath.split(part)
        rels_path = posixpath.join(folder, "_rels", f"{obj}.rels")
        parent = posixpath.split(posixpath.dirname(rels_path))[0]
        rels: dict[str, tuple[str, str]] = {}

        def start(name: str, attrs: dict[str, str]) -> None:
            if name != _PKG + "Relationship":
                return
            target = attrs.get("Target", "")
            if attrs.get("TargetMode") != "External":
                target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(parent, target))
            rels.setdefault(attrs.get("Id", ""), (attrs.get("Type", ""), target))

        _parser(start).Parse(self._read(rels_path), True)
        return rels


@lru_cache(maxsize=64)  # one workbook part per template: the same in every file of a batch
def _workbook_part(data: bytes) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, tuple[str, int, int]], ...]]:
    """The sheets (name, relationship id) and global names of a workbook part."""
    sheets: list[tuple[str, str]] = []
    defined: dict[str, str | None] = {}
    text: list[str] = []
    current: list[str | None] = [None]

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == _MAIN + "sheet":
            sheets.append((attrs.get("name", ""), attrs.get(_REL + "id", "")))
        elif name == _MAIN + "definedName":
            scope, dn = attrs.get("localSheetId"), attrs.get("name")
            current[0] = dn if scope is None and dn not in _SKIPPED_NAMES else None
            text.clear()
            parser.CharacterDataHandler = text.append

    def end(name: str) -> None:
        if name == _MAIN + "definedName":
            parser.CharacterDataHandler = None
            if current[0] is not None:
                defined[current[0]] = "".join(text) or None
            current[0] = None

    parser = _parser(start, end)
    parser.Parse(data, True)
    names: dict[str, tuple[str, int, int]] = {}
    for name, value in defined.items():
        if (where := parse_reference(value or "")) is not None:
            names[name] = where
    return tuple(sheets), tuple(names.items())


class _SheetReader:
    """One worksheet part: formula text by 0-based (row, col), and validations as (sqref, "type|formula1").

    Speed matters here (a sheet has thousands of cells, only hundreds of formulas): the start-element
    handler does almost nothing for a cell, end-element and character-data handlers are switched on only
    inside <f> and <dataValidations>. What openpyxl does with shapes no spreadsheet program writes (cells
    without a reference, an <f> that is not a cell's first child, markup inside a formula) is not
    followed: they raise _Unusual.
    """

    def __init__(self) -> None:
        self.by_ref: dict[str, str] = {}  # formula text by the cell's own reference ("G5")
        self.validations: set[tuple[str, str]] = set()
        self.ref = ""  # of the last <c>
        self.cell_at = -1  # byte offset of the last <c> start tag
        self.formula: dict[str, str] = {}  # attributes of the open <f>
        self.text: list[str] = []
        self.shared: dict[str | None, Translator] = {}
        self.dv: dict[str, str] | None = None  # attributes of the open <dataValidation>
        self.dv_formula1: str | None = None
        self.in_formula1 = False

    def read(self, data: bytes) -> tuple[dict[tuple[int, int], str], set[tuple[str, str]]]:
        from cchc_xl.reading.rows import scan_sheet  # _scan_sheet's answer, recurring rows from a memo

        scanned = scan_sheet(data)
        return scanned if scanned is not None else self.parse(data)

    def parse(self, data: bytes) -> tuple[dict[tuple[int, int], str], set[tuple[str, str]]]:
        """The part read by expat, element by element (what the scan gives for the parts it serves)."""
        self.data = data
        self.parser = _parser(self.start)
        self.parser.Parse(data, True)
        return _by_position(self.by_ref), self.validations

    def read_validations(self, fragment: bytes) -> set[tuple[str, str]]:
        """The validations of a sheet part cut down to its root tag and its <dataValidations> element."""
        self.data = fragment
        self.parser = _parser(self.start)
        self.parser.Parse(fragment, True)
        return self.validations

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == _C:
            ref = attrs.get("r")
            if not ref:
                raise _Unusual("a cell without a reference")
            self.by_ref.pop(ref, None)  # a later cell at the same place replaces the earlier one
            self.ref = ref
            self.cell_at = self.parser.CurrentByteIndex
        elif name == _F:
            self._open_formula(attrs)
        elif name == _DVS:
            self.validations = set()  # openpyxl keeps the last <dataValidations> of the sheet
            self.parser.StartElementHandler = self._start_in_validations
            self.parser.EndElementHandler = self._end_validations

    # -- formulas ------------------------------------------------------------------------------------
    def _open_formula(self, attrs: dict[str, str]) -> None:
        at = self.parser.CurrentByteIndex
        tag = self.data[self.cell_at:at].rstrip()
        # The <f> must be the first child of the last cell: nothing but that cell's open tag before it.
        if self.data.find(b"<", self.cell_at + 1, at) != -1 or not tag.endswith(b">") or tag.endswith(b"/>"):
            raise _Unusual("<f> that is not the first child of a cell")
        self.formula = attrs
        self.text = []
        self.parser.StartElementHandler = _markup_in_text
        self.parser.EndElementHandler = self._close_formula
        self.parser.CharacterDataHandler = self.text.append

    def _close_formula(self, name: str) -> None:
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = None
        self.parser.CharacterDataHandler = None
        self.by_ref[self.ref] = self._formula_text(self.formula, "".join(self.text)).removeprefix("=")

    def _formula_text(self, attrs: dict[str, str], text: str) -> str:
        return _formula_text(self.shared, self.ref, attrs, text)

    # -- validations: openpyxl matches <dataValidation> and <formula1> by local name -------------------
    def _end_validations(self, name: str) -> None:
        if self.in_formula1:
            self.in_formula1 = False
            self.dv_formula1 = "".join(self.text) or None
            self.parser.CharacterDataHandler = None
        elif self.dv is not None and _local(name) == "dataValidation":
            self._close_validation()
        elif name == _DVS:
            self.parser.StartElementHandler = self.start
            self.parser.EndElementHandler = None

    def _start_in_validations(self, name: str, attrs: dict[str, str]) -> None:
        if self.in_formula1 or name == _DVS:
            raise _Unusual("markup inside a formula, or nested validations")
        if self.dv is None and _local(name) == "dataValidation":
            self._open_validation(attrs)
        elif self.dv is not None and _local(name) == "formula1":
            self.text = []
            self.in_formula1 = True
            self.parser.CharacterDataHandler = self.text.append

    def _open_validation(self, attrs: dict[str, str]) -> None:
        for key, value in attrs.items():
            if key not in _DV_ATTRS and " " not in key:  # namespaced attributes are dropped by openpyxl too
                raise _Unusual(f"validation attribute {key}")
            if key in _DV_VALUES and value not in _DV_VALUES[key]:
                raise _Unusual(f"validation {key}={value!r}")
        self.dv = attrs
        self.dv_formula1 = None

    def _close_validation(self) -> None:
        dv = self.dv
        assert dv is not None
        sqref = _sqref(dv["sqref"]) if "sqref" in dv else ""
        self.validations.add((sqref, f"{dv.get('type')}|{self.dv_formula1 or ''}"))
        self.dv = None


def _formula_text(shared: dict[str | None, Translator], ref: str, attrs: dict[str, str], text: str) -> str:
    """As openpyxl's parse_formula, then `cell.value` text (array: its text; data table: none); `shared`
    holds the sheet's shared formulas by index, in document order."""
    value = "=" + text
    kind = attrs.get("t")
    if kind == "dataTable":
        return ""
    if kind == "shared":
        index = attrs.get("si")
        if index in shared:
            return shared[index].translate_formula(ref)
        if value != "=":
            shared[index] = Translator(value, ref)
    return value


def _by_position(by_ref: dict[str, str]) -> dict[tuple[int, int], str]:
    formulas: dict[tuple[int, int], str] = {}
    for ref, text in by_ref.items():
        row, col = _coordinate(ref)
        if (row - 1, col - 1) in formulas:
            raise _Unusual("one cell written twice under two spellings")
        formulas[(row - 1, col - 1)] = text
    return formulas


# -- the scanning path: the same answer as _SheetReader for the plain parts spreadsheet programs write ------
# Regular expressions find the few hundred formula cells without a Python call per element. They serve only
# a part whose shape makes the scan exact: the main namespace as the one default namespace and under no
# prefix, no comments, CDATA or DOCTYPE, every cell tag `<c r="A1"…>` with a unique upper-case reference,
# every <f> the first child of a cell, only XML's own entities, at most one <dataValidations> (read by
# expat, wrapped in the part's own root tag). Anything else: None, and expat reads the part.
_ROOT = re.compile(rb'(?:\xef\xbb\xbf)?\s*(?:<\?xml(?P<decl>[^>]*)\?>\s*)?(?P<root><worksheet(?:\s[^>]*)?>)')
_MAIN_XMLNS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_MAIN_URI_END = b'/spreadsheetml/2006/main"'
# (A regular expression finds these literals several times faster than `in` or `bytes.count`.)
_DEFAULT_XMLNS, _BANG = re.compile(rb'xmlns="'), re.compile(rb"<!")
_FORMULA_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"[^>/]*>\s*<f(\s[^>/]*)?(?:/>|>([^<]*)</f>)')
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3}[1-9][0-9]{0,6})"')
_ATTRIBUTE = re.compile(rb'\s*([A-Za-z_][\w.:-]*)="([^"<]*)"')
_ENTITY = re.compile(rb"&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6}));")
_NAMED = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"', b"apos": "'"}
_DVS_OPEN, _DVS_CLOSE = b"<dataValidations", b"</dataValidations>"
_TAG = re.compile(rb"<(c|f|dataValidations)[\s>/]")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # characters XML 1.0 does not allow, even escaped


def _scan_sheet(data: bytes) -> tuple[dict[tuple[int, int], str], set[tuple[str, str]]] | None:
    head = _ROOT.match(data)
    if (head is None or _MAIN_XMLNS not in head["root"] or len(_DEFAULT_XMLNS.findall(data)) != 1
            or data.count(_MAIN_URI_END) != 1 or _BANG.search(data)):
        return None
    declaration = (head["decl"] or b"").lower()
    if b"encoding" in declaration and b"utf-8" not in declaration:
        return None
    tags = _TAG.findall(data)
    refs = _CELL_REF.findall(data)
    if len(refs) != tags.count(b"c") or len(set(refs)) != len(refs):
        return None
    cells = _FORMULA_CELL.findall(data)
    if len(cells) != tags.count(b"f"):
        return None
    shared: dict[str | None, Translator] = {}
    formulas: dict[tuple[int, int], str] = {}
    try:
        for col, row, raw_attributes, text in cells:
            attributes, value = _decoded(raw_attributes, text)
            if attributes:  # shared, array, data table: as the expat path
                value = _formula_text(shared, (col + row).decode("ascii"), attributes, value).removeprefix("=")
            formulas[_position(col, row)] = value
        validations = _scan_validations(data, head["root"], tags.count(b"dataValidations"))
    except (_Unusual, UnicodeDecodeError, ValueError):
        return None
    return formulas, validations


def _scan_validations(data: bytes, root: bytes, count: int) -> set[tuple[str, str]]:
    if count == 0:
        return set()
    if count > 1:
        raise _Unusual("several <dataValidations>")
    start = data.find(_DVS_OPEN)
    close = data.find(b">", start)
    end = close + 1 if data[close - 1:close] == b"/" else data.find(_DVS_CLOSE, close) + len(_DVS_CLOSE)
    if end < close:
        raise _Unusual("unclosed <dataValidations>")
    return set(_validations(root + data[start:end] + b"</worksheet>"))


@lru_cache(maxsize=64)  # the same template's validations come back in every file of a batch
def _validations(fragment: bytes) -> frozenset[tuple[str, str]]:
    reader = _SheetReader()
    found = reader.read_validations(fragment)
    if reader.by_ref:
        raise _Unusual("cells inside the validations")
    return frozenset(found)


@lru_cache(maxsize=16384)  # the same formulas, written the same way, come back in every file of a batch
def _decoded(attrs: bytes, text: bytes) -> tuple[dict[str, str], str]:
    """An <f>'s attributes and text, as expat gives them (shared: not to be changed by the caller)."""
    return (_attributes(attrs) if attrs else {}), (_xml_text(text) if text else "")


@lru_cache(maxsize=65536)
def _position(col: bytes, row: bytes) -> tuple[int, int]:
    return int(row) - 1, column_index_from_string(col.decode("ascii")) - 1


def _attributes(raw: bytes) -> dict[str, str]:
    """A tag's attributes, as expat gives them (double-quoted only, blanks in values normalized)."""
    attrs: dict[str, str] = {}
    pos = 0
    for m in _ATTRIBUTE.finditer(raw):
        if m.start() != pos or b":" in m[1]:
            raise _Unusual("attribute")
        value = re.sub(rb"[\t\n]", b" ", m[2].replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
        attrs[m[1].decode("ascii")] = _xml_text(value)
        pos = m.end()
    if raw[pos:].strip():
        raise _Unusual("attribute")
    return attrs


def _xml_text(raw: bytes) -> str:
    """Character data as an XML parser gives it: line ends normalized, then the entities replaced."""
    if _CONTROL.search(raw):
        raise _Unusual("a character XML does not allow")
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if b"&" not in raw:
        return raw.decode("utf-8")
    entities = raw.count(b"&")
    if entities != len(_ENTITY.findall(raw)):
        raise _Unusual("an entity XML does not define")
    if entities >= _EXPAT_FROM and b"<" not in raw:
        # many references (a Vietnamese text LibreOffice or openpyxl wrote as `&#7885;`…): expat replaces them
        # in C, four times faster than a Python call each; it refuses what `_entity` refuses (a character XML
        # does not allow) and more (`]]>`, a literal U+FFFE), which the lines below then answer as before
        try:
            return _expat_text(raw)
        except expat.ExpatError:
            pass
    return _ENTITY.sub(_entity, raw).decode("utf-8")


_EXPAT_FROM = 3  # references in a text from which expat replaces them faster than `_ENTITY.sub`


def _expat_text(raw: bytes) -> str:
    """The character data of `raw` (no markup in it) as expat reads it inside an element."""
    parts: list[str] = []
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.CharacterDataHandler = parts.append
    parser.Parse(b"<t>" + raw + b"</t>", True)
    return "".join(parts)


def _entity(m: re.Match[bytes]) -> bytes:
    if m[1]:
        return _NAMED[m[1]].encode("utf-8")
    code = int(m[2]) if m[2] else int(m[3], 16)
    if (code < 0x20 and code not in (0x9, 0xA, 0xD)) or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF) \
            or code > 0x10FFFF:
        raise _Unusual("a character XML does not allow")
    return chr(code).encode("utf-8")


def _markup_in_text(*_: Any) -> None:
    raise _Unusual("markup inside a formula")


def _local(name: str) -> str:
    """The local part of a namespace-qualified name (openpyxl matches validation children by it)."""
    return name.rpartition(" ")[2]


def parse_cell_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


__all__ = ["Book", "BookError", "coordinate_from_string", "parse_cell_date", "parse_reference", "read_book"]
