"""Sheet parts merged from two XlsxWriter renders of one workbook: a full render made once (the base) and a
sparse render made per file that writes only the cells that differ, plus everything that is not a cell.

Fast-path machinery (see reports/feedback_package.py): it relies on how XlsxWriter writes sheet XML
(`<row>` elements holding `<c r=…>` cells in order, text cells as shared-string indexes), which the
tested XlsxWriter versions (pyproject.toml) do. Anything unexpected raises `PackageMismatch`, and the
caller takes the plain path.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from xlsxwriter.packager import Packager

from cchc_xl.workbook.writer import PackageMismatch, _deflated, _ProtectedWorkbook, _si, _zip

_SHEET_DATA = re.compile(rb"<sheetData/>|<sheetData>(.*?)</sheetData>", re.S)
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
_ROW = re.compile(rb'<row r="(\d+)"([^>]*?)(?:/>|>(.*?)</row>)', re.S)
_CELL = re.compile(rb'<c r="([A-Z]+)\d+"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_SPANS = re.compile(rb' spans="[^"]*"')
_HEIGHT = re.compile(rb' (?:ht|customHeight)="[^"]*"')
_STRING_INDEX = re.compile(rb"<v>(\d+)</v>")
_VALIDATIONS = re.compile(rb"<dataValidations .*?</dataValidations>", re.S)
_MERGES = re.compile(rb"<mergeCells .*?</mergeCells>", re.S)
# the elements that may follow each block in a sheet part (ECMA-376 CT_Worksheet order), the first found
_AFTER_VALIDATIONS = (b"<hyperlinks>", b"<printOptions", b"<pageMargins")
_AFTER_MERGES = (b"<phoneticPr", b"<conditionalFormatting", b"<dataValidations", *_AFTER_VALIDATIONS)
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+\d+)"( s="\d+")?(?: t="\w+")?><f>(.*?)</f><v>.*?</v></c>', re.S)
_ERROR_CODES = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")
SST = "xl/sharedStrings.xml"


class PartsWorkbook(_ProtectedWorkbook):
    """A render whose parts are handed over (`parts`, after close) instead of zipped: the fast paths zip
    the merged parts themselves, so the render's own deflating and its reading back are saved. What is the
    same render after render is taken from `made` (a dict the caller keeps across renders), by what
    XlsxWriter makes it of: the styles part (by the formats), the defined names (by name, reference and
    the sheets), their sorted order and named ranges (by the names in order), the workbook part's list of
    them, the app part (by the sheets, names and properties)."""

    def __init__(self, options: dict[str, Any], made: dict[tuple[Any, ...], Any]):
        super().__init__(io.BytesIO(), {**options, "in_memory": True})
        self.made = made
        self.parts: dict[str, bytes] = {}

    def _get_packager(self) -> Packager:
        return _PartsPackager()

    def define_name(self, name: str, formula: str) -> Any:
        sheets = self.__dict__.get("_sheet_names")
        if sheets is None or len(sheets) != len(self.worksheets_objs):  # (asked for every name: made once)
            sheets = self._sheet_names = tuple(ws.name for ws in self.worksheets_objs)
        key = ("name", name, formula, sheets)
        entry = self.made.get(key)
        if entry is None:
            done = super().define_name(name, formula)
            if done != 0:
                return done
            entry = remember(self.made, key, tuple(self.defined_names[-1]))
        else:
            self.defined_names.append(list(entry))
        return 0

    def define_names(self, names: dict[str, str]) -> None:
        """`define_name(name, "=" + ref)` for each of `names`, in order, its results ignored: a render's names
        as a render before defined the same (in these sheets) are taken whole."""
        key = ("names", tuple(names.items()), tuple(ws.name for ws in self.worksheets_objs))
        got = self.made.get(key)
        if got is None:
            start = len(self.defined_names)
            for name, ref in names.items():
                self.define_name(name, "=" + ref)
            remember(self.made, key, tuple(tuple(d) for d in self.defined_names[start:]))
            return
        self.defined_names.extend(list(d) for d in got)

    def _sort_defined_names(self, names: list[list[Any]]) -> list[list[Any]]:
        # (a stable sort: the same names in the same order sort the same)
        key = ("sortedNames", tuple(map(tuple, names)))
        got = self.made.get(key)
        if got is None:
            got = remember(self.made, key, tuple(map(tuple, super()._sort_defined_names(names))))
        return [list(n) for n in got]

    def _extract_named_ranges(self, defined_names: list[list[Any]]) -> list[str]:
        key = ("namedRanges", tuple(map(tuple, defined_names)))
        got = self.made.get(key)
        if got is None:
            got = remember(self.made, key, tuple(super()._extract_named_ranges(defined_names)))
        return list(got)

    def _prepare_format_properties(self) -> None:
        # What XlsxWriter's preparation (the fonts', number formats', borders' and fills' indexes) does to
        # the formats and the workbook depends on the formats' keys and indexes alone (the attributes it reads
        # are in the keys; a number format's type too: 3 and "3" have one key): done once per such list, and replayed.
        formats = self.formats
        key = ("formatProperties",
               tuple((f._get_format_key(), type(f.num_format), f.xf_index, f.dxf_index) for f in formats))
        got = self.made.get(key)
        if got is None:
            before = [dict(f.__dict__) for f in formats]
            super()._prepare_format_properties()
            at = {id(f): i for i, f in enumerate(formats)}
            changes = tuple({k: v for k, v in f.__dict__.items() if k not in was or was[k] is not v}
                            for f, was in zip(formats, before, strict=True))
            got = remember(self.made, key, (changes, tuple(at[id(f)] for f in self.xf_formats),
                                            tuple(at[id(f)] for f in self.dxf_formats), self.font_count,
                                            tuple(self.num_formats), self.border_count, self.fill_count))
            return
        changes, xf, dxf, self.font_count, num_formats, self.border_count, self.fill_count = got
        for f, change in zip(formats, changes, strict=True):
            f.__dict__.update(change)
        self.xf_formats = [formats[i] for i in xf]
        self.dxf_formats = [formats[i] for i in dxf]
        self.num_formats = list(num_formats)

    def _write_defined_names(self) -> None:
        key = ("definedNames", tuple(tuple(d) for d in self.defined_names))
        xml = self.made.get(key)
        if xml is None:
            fh, self.fh = self.fh, io.StringIO()
            try:
                super()._write_defined_names()
                xml = remember(self.made, key, self.fh.getvalue())
            finally:
                self.fh = fh
        self.fh.write(xml)


_MADE_BOUND = 512  # entries kept: a run's few hundred recurring ones (its names), and the few that vary per file


def remember(made: dict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any) -> Any:
    """`value` kept under `key`, the memo cleared first when full (a long run keeps memory flat)."""
    if len(made) >= _MADE_BOUND:
        made.clear()
    made[key] = value
    return value


class _PartsPackager(Packager):
    def _create_package(self) -> list[Any]:
        files = super()._create_package()
        if any(binary for _, _, binary in files):
            raise PackageMismatch("a binary part")
        self.workbook.parts = {name: data.getvalue().encode("utf-8") for data, name, _ in files}
        self.filenames = []
        return []  # (XlsxWriter zips none: its empty archive is dropped)

    def _write_styles_file(self) -> None:
        wb = self.workbook
        # what XlsxWriter's styles part is made of (Packager._write_styles_file): the formats by their keys
        # (the keys XlsxWriter itself tells formats apart by) and what `Styles._write_xf` writes besides (a
        # link's format is a key's twin), in index order, and the counts and tables
        key = (tuple(f._get_format_key() for f in wb.xf_formats), tuple(f._get_format_key() for f in wb.dxf_formats),
               tuple((f.num_format_index, f.hyperlink, f.xf_id) for f in wb.xf_formats), wb.font_count,
               tuple(wb.num_formats), wb.border_count, wb.fill_count, tuple(wb.custom_colors),
               repr(wb.palette), wb.has_comments)
        self._made(("styles", *key), "xl/styles.xml", super()._write_styles_file)

    def _write_app_file(self) -> None:
        wb = self.workbook
        key = ("app", tuple((ws.name, ws.hidden, ws.is_chartsheet) for ws in wb.worksheets()),
               tuple(self.named_ranges), self.chartsheet_count, wb.read_only,
               *(repr(wb.doc_properties.get(k)) for k in ("company", "manager", "hyperlink_base")))
        self._made(key, "docProps/app.xml", super()._write_app_file)

    def _made(self, key: tuple[Any, ...], name: str, write: Any) -> None:
        """The part `name` as made before for `key`, else as `write` makes it (and kept)."""
        made = self.workbook.made.get(key)
        if made is None:
            write()
            data, written, _ = self.filenames[-1]
            if written != name:
                raise PackageMismatch("a part written under another name")
            remember(self.workbook.made, key, data.getvalue())
            return
        self._filename(name).write(made)


def read_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


@dataclass
class Row:
    tag: bytes  # the attributes after r="…" (spans dropped: a hint only, and a merged row's would be wrong)
    cells: dict[int, bytes]  # column number -> the whole <c> element
    _made: dict[bytes, bytes] | None = None
    _heightless: bytes | None = None

    @property
    def height(self) -> bytes:
        """The row's height attributes (b"" when it has none)."""
        return b"".join(m.group(0) for m in _HEIGHT.finditer(self.tag))

    @property
    def heightless(self) -> bytes:
        """The attributes without the row's height."""
        if self._heightless is None:
            self._heightless = _HEIGHT.sub(b"", self.tag)
        return self._heightless

    def with_tag(self, r: int, tag: bytes) -> bytes:
        """The row element with its cells and these attributes (made once per tag: a base's rows, with
        their height or without, serve every file)."""
        if self._made is None:
            self._made = {}
        made = self._made.get(tag)
        if made is None:
            made = self._made[tag] = _row(r, tag, self.cells)
        return made


def _row(r: int, tag: bytes, cells: dict[int, bytes]) -> bytes:
    if cells:
        return b'<row r="%d"%s>%s</row>' % (r, tag, b"".join(cells[c] for c in sorted(cells)))
    return b'<row r="%d"%s/>' % (r, tag)


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def parse_rows(sheet: bytes) -> dict[int, Row]:
    found = _SHEET_DATA.search(sheet)
    if found is None:
        raise PackageMismatch("no sheetData")
    rows: dict[int, Row] = {}
    for m in _ROW.finditer(found.group(1) or b""):
        cells = {_column(c.group(1)): c.group(0) for c in _CELL.finditer(m.group(3) or b"")}
        rows[int(m.group(1))] = Row(_SPANS.sub(b"", m.group(2)), cells)
    return rows


@dataclass
class BaseSheet:
    """A base render's sheet part, parsed once: its rows, and the elements a sparse render may take from it."""

    data: bytes
    rows: dict[int, Row]
    dimension: bytes | None
    merges: bytes | None
    validations: bytes | None

    _rendered: dict[bool, tuple[tuple[bytes, ...], dict[int, int]]] | None = None

    def rendered(self, heights: bool) -> tuple[tuple[bytes, ...], dict[int, int]]:
        """The base's row elements in order (with their heights or without), and each row's place among them."""
        if self._rendered is None:
            self._rendered = {}
        got = self._rendered.get(heights)
        if got is None:
            order = sorted(self.rows)
            got = self._rendered[heights] = (
                tuple(self.rows[r].with_tag(r, self.rows[r].tag if heights else self.rows[r].heightless) for r in order),
                {r: i for i, r in enumerate(order)})
        return got

    @classmethod
    def of(cls, data: bytes) -> BaseSheet:
        def found(pattern: re.Pattern[bytes]) -> bytes | None:
            m = pattern.search(data)
            return None if m is None else m.group(0)

        return cls(data, parse_rows(data), found(_DIMENSION), found(_MERGES), found(_VALIDATIONS))


def merged_sheet(base: BaseSheet, sparse_sheet: bytes, remap: dict[int, int],
                 patched: dict[int, dict[int, bytes]] | None = None, validations: bool = False,
                 merges: bool = False, heights: bool = False) -> bytes:
    """The sparse render's sheet part with its cells laid over the base's: a cell the sparse render wrote
    replaces the base's, a row it wrote takes its attributes (its height); a row only the base has keeps
    its cells and loses its height (the sparse render writes every row height the file has), or keeps its
    height too with `heights` (the sparse render wrote only the heights that differ from the base's).
    `patched`: cells made here (1-based row -> column -> element), over both. `validations`, `merges`: the
    base's data validations, merged ranges are the file's (the sparse render wrote none)."""
    base_rows = base.rows
    sparse_rows = parse_rows(sparse_sheet)
    patched = patched or {}

    def merged_row(r: int) -> bytes:
        row, sparse = base_rows.get(r), sparse_rows.get(r)
        if r not in patched and row is not None:
            if sparse is None:
                return row.with_tag(r, row.tag if heights else row.heightless)
            if not sparse.cells:
                tag = sparse.tag if not heights or b' ht="' in sparse.tag else sparse.tag + row.height
                return row.with_tag(r, tag)
        if sparse is not None:
            tag = sparse.tag
            if heights and row is not None and b' ht="' not in tag:
                tag += row.height  # the same as the file's (the skeleton wrote those that differ)
        elif row is not None:
            tag = row.tag if heights else row.heightless
        else:
            raise PackageMismatch("a patched cell outside the base's rows")
        cells = dict(row.cells) if row is not None else {}
        if sparse is not None:
            for col, cell in sparse.cells.items():
                cells[col] = _remap_string(cell, remap)
        cells.update(patched.get(r, {}))
        return _row(r, tag, cells)

    touched = sparse_rows.keys() | patched.keys()
    if touched <= base_rows.keys():  # (the usual case) the base's rows as they are, the touched ones made
        out, at = base.rendered(heights)
        out = list(out)
        for r in touched:
            out[at[r]] = merged_row(r)
    else:
        out = [merged_row(r) for r in sorted(base_rows.keys() | touched)]
    data = b"<sheetData>" + b"".join(out) + b"</sheetData>" if out else b"<sheetData/>"
    sheet = sparse_sheet  # (small: the elements are placed before its cells are)
    if merges:
        sheet = _copied(_MERGES, base.merges, sheet, _AFTER_MERGES)
    if validations:
        sheet = _copied(_VALIDATIONS, base.validations, sheet, _AFTER_VALIDATIONS)
    if base.dimension is not None:
        sheet = _DIMENSION.sub(lambda _m: base.dimension, sheet, count=1)  # type: ignore[arg-type,return-value]
    return _SHEET_DATA.sub(lambda _m: data, sheet, count=1)


def _copied(block: re.Pattern[bytes], element: bytes | None, sheet: bytes, before: tuple[bytes, ...]) -> bytes:
    """`sheet` with the base's `element` (matched by `block`) put before the first of `before` it has."""
    if element is None:
        return sheet
    if block.search(sheet) is not None:
        raise PackageMismatch("an element written twice")
    at = min((i for i in (sheet.find(t) for t in before) if i >= 0), default=-1)
    if at < 0:
        raise PackageMismatch("no place for an element")
    return sheet[:at] + element + sheet[at:]


def formula_cell(base_cell: bytes, cached: object, xf: int | None = None) -> bytes:
    """The base's formula cell with another cached result (and format index `xf`, when given), written as
    XlsxWriter writes a formula result (`Worksheet._write_cell`): a number as Python prints it, a text as
    t="str", an error code as t="e"."""
    ref, base_style, formula = _formula_parts(base_cell)
    style = base_style if xf is None else b' s="%d"' % xf
    if isinstance(cached, bool):
        kind, text = b' t="b"', b"1" if cached else b"0"
    elif isinstance(cached, str):
        kind = b"" if cached == "" else b' t="e"' if cached in _ERROR_CODES else b' t="str"'
        text = escape(cached).encode("utf-8")
    elif isinstance(cached, int | float):
        kind, text = b"", str(cached).encode("ascii")
    else:
        raise PackageMismatch("cached value")
    return b'<c r="%s"%s%s><f>%s</f><v>%s</v></c>' % (ref, style, kind, formula, text)


@lru_cache(maxsize=65536)  # (a base's formula cells, the same objects every file: their hashes are kept)
def _formula_parts(base_cell: bytes) -> tuple[bytes, bytes, bytes]:
    m = _FORMULA_CELL.fullmatch(base_cell)
    if m is None:
        raise PackageMismatch("not a formula cell")
    return m.group(1), m.group(2) or b"", m.group(3)


# Value cells as XlsxWriter writes them (`Worksheet._write_cell`, `XMLwriter._xml_number_element`, …).
def number_cell(ref: str, xf: int, number: float) -> bytes:
    return f'<c r="{ref}" s="{xf}"><v>{number:.16G}</v></c>'.encode("ascii")


def string_cell(ref: str, xf: int, index: int) -> bytes:
    return f'<c r="{ref}" s="{xf}" t="s"><v>{index}</v></c>'.encode("ascii")


def blank_cell(ref: str, xf: int) -> bytes:
    return f'<c r="{ref}" s="{xf}"/>'.encode("ascii")


def remapped_sheet(sheet: bytes, remap: dict[int, int]) -> bytes:
    """A sparse render's sheet part taken whole, its text cells renumbered into the merged strings."""
    return _CELL.sub(lambda m: _remap_string(m.group(0), remap), sheet)


def _remap_string(cell: bytes, remap: dict[int, int]) -> bytes:
    head = cell[: cell.find(b">") + 1]
    if b' t="s"' not in head:
        return cell
    return _STRING_INDEX.sub(lambda m: b"<v>%d</v>" % remap[int(m.group(1))], cell, count=1)


def merged_strings(base: list[str], sparse: list[str],
                   index: dict[str, int] | None = None) -> tuple[list[str], dict[int, int]]:
    """The base's shared strings followed by the sparse render's new ones, and the sparse indexes' new
    numbers (the base's cells keep theirs). `index`: the base's strings' numbers, made before (it is
    extended with the new ones)."""
    index = {s: i for i, s in enumerate(base)} if index is None else index
    strings = list(base)
    remap: dict[int, int] = {}
    for i, s in enumerate(sparse):
        if s not in index:
            index[s] = len(strings)
            strings.append(s)
        remap[i] = index[s]
    return strings, remap


def shared_strings_part(strings: list[str], template: bytes, rendered: tuple[int, bytes] = (0, b"")) -> bytes:
    """A shared-strings part as XlsxWriter writes it (its head and tail taken from `template`).
    `rendered`: (n, the <si> elements of the first n strings), made before."""
    head_end = template.find(b"<si>")
    if head_end < 0:
        head_end = template.find(b"</sst>")
    head = re.sub(rb' count="\d+" uniqueCount="\d+"', b' count="%d" uniqueCount="%d"' % (len(strings), len(strings)),
                  template[:head_end], count=1)
    done, body = rendered
    return head + body + si_elements(strings[done:]) + b"</sst>"


def si_elements(strings: list[str]) -> bytes:
    return "".join(_si(s) for s in strings).encode("utf-8")


def zipped(parts: dict[str, bytes], level: int = zlib.Z_DEFAULT_COMPRESSION,
           kept: dict[str, tuple[bytes, tuple[bytes, int, int]]] | None = None) -> bytes:
    """The zip of `parts`, each deflated at `level`. `kept`: each part's last bytes and their deflated form
    (a dict the caller keeps across files, updated here): a part the same as last time is not deflated again."""
    if kept is None:
        return _zip([(name, _deflated(data, level)) for name, data in parts.items()])
    out = []
    for name, data in parts.items():
        last = kept.get(name)
        if last is None or last[0] != data:
            last = kept[name] = (data, _deflated(data, level))
        out.append((name, last[1]))
    return _zip(out)




