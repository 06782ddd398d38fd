"""The council's workbooks of one `appraise prepare` run the fast way: the parts XlsxWriter would write, made
from the run's first render.

Every council workbook of a run has the same sheets, columns, merged ranges, validations, conditional
formats, names and print setup (they are the set's and the round's); what differs is the cells' contents,
the row heights, the page breaks that follow from them, the evidence links and the metadata. The first
commune of a run (of each *style order*, below) is written by `AppraisalWorkbookWriter` as always, into
memory, and that render is kept as the run's base: its unchanging parts (styles, workbook, theme, properties,
content types) compressed once, the prepared text of each formula, the head and tail of each sheet part.
Every later commune's main sheet, metadata sheet, shared strings and link relationships are then written
here as XlsxWriter writes them (`Worksheet._write_rows`, `_write_cell`, `_write_hyperlinks`,
`_write_row_breaks`, `SharedStrings`), and zipped with the base's parts: the same parts, byte for byte, as
the plain writer's file (tests/test_appraisal_prepare.py; only the document date of docProps/core.xml,
made when the file is, differs).

Most rows are written alike in many workbooks: a cell's element holds a string's number, not its text, and
the numbers follow where the commune's texts fall in the string table. So a row's elements are kept by its
cells' entries (each payload as its element writes it: equal entries, equal elements) and written once.

Style order: XlsxWriter numbers the cell formats in the order the sheet's cells (by row, then column) first
use them, and styles.xml lists them so. A workbook's order depends on where its first evidence link is (a
link cell has its own style), so the bases are kept by that order (a handful per run; at most `_BASES`).

It rests on XlsxWriter's internals (pinned in pyproject.toml). So each base is first checked by making its
own parts here and comparing them with XlsxWriter's; anything unexpected (a layout of another shape than
the base's, a text, number or link XlsxWriter would treat otherwise, a base that does not check) raises
`PackageMismatch`, and the caller writes that workbook the plain way. `CCHC_XL_FAST_COUNCIL=0` turns the
fast path off.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from xlsxwriter.core import Core
from xlsxwriter.relationships import Relationships
from xlsxwriter.url import Url, UrlTypes
from xlsxwriter.utility import RE_LEADING_WHITESPACE, RE_TRAILING_WHITESPACE, xl_rowcol_to_cell
from xlsxwriter.xmlwriter import XMLwriter

from cchc_xl.appraisal.workbook import (
    KIND,
    META_KEYS,
    AppraisalLayout,
    AppraisalWorkbookWriter,
    LayoutMemo,
    link_text,
    link_url,
    main_setup,
    page_break_rows,
)
from cchc_xl.safeio import write_bytes
from cchc_xl.settings import Settings
from cchc_xl.workbook.package import SST, parse_rows, read_parts
from cchc_xl.workbook.writer import PackageMismatch, _deflated, _si, _zip

SWITCH = "CCHC_XL_FAST_COUNCIL"
_BASES = 16  # style orders kept per run (a run sees a few; the rest are written the plain way)
_STRMAX = 16383  # XlsxWriter cuts strings above 32767 UTF-16 units; a longer text takes the plain path
_SI_BOUND = 65536
_KNOWN_BOUND = 65536  # cells whose entries a package keeps (the memo's own only: a few thousand a run)
_XML_BOUND = 65536
_ROWS_BOUND = 8192  # rows' elements a package keeps (~2.8 kB each with its key): at most ~25 MB
_URLMAX = 2079  # XlsxWriter ignores a longer link (with a warning): the plain path decides
_SHEET, _META, _RELS, _CORE = ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
                               "xl/worksheets/_rels/sheet1.xml.rels", "docProps/core.xml")
_FORMULA = re.compile(rb"<f>(.*?)</f>", re.S)
_HYPERLINKS = re.compile(rb"<hyperlinks>.*?</hyperlinks>", re.S)
_ROW_BREAKS = re.compile(rb"<rowBreaks .*?</rowBreaks>", re.S)
_COUNTS = re.compile(rb' count="\d+" uniqueCount="\d+"')
_ERROR_CODES = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")
_DEFAULT_PX = 20  # XlsxWriter's default row height in pixels (15 pt)
_escape = XMLwriter()._escape_data  # (pure: text of a data section escaped as XlsxWriter does)

_BLANK, _STRING, _NUMBER, _FORMULA_CELL = range(4)
_NUMBERS = (Decimal, int, float)
# (style, kind, payload): a cell as the worksheet's table would hold it, its payload as its element writes it
# (a string's number, a number's text, a formula and its result's type attribute and text), so that equal
# entries are written alike
Entry = tuple[str, int, Any]


def enabled() -> bool:
    """The one switch of this fast path (on unless the environment sets it to 0)."""
    return os.environ.get(SWITCH, "1") != "0"


@dataclass
class _Cells:
    """A council workbook's main sheet as XlsxWriter's table would hold it, with its shared strings."""

    rows: dict[int, dict[int, Entry]]
    strings: list[str]
    count: int  # strings written, repeats included (the shared-strings part's "count")
    links: list[tuple[int, int, Url]]  # (row, col, link) by row and column
    meta_indexes: list[tuple[int, int]]  # each metadata row's key and value string numbers
    _sorted: list[tuple[int, list[tuple[int, Entry]]]] | None = None

    def order(self) -> tuple[str, ...]:
        """The styles in the order the sheet's cells first use them (XlsxWriter numbers formats so)."""
        return tuple(dict.fromkeys([entry[0] for _, cells in self.by_row() for _, entry in cells]))

    def by_row(self) -> list[tuple[int, list[tuple[int, Entry]]]]:
        """The cells by row, then column (sorted once)."""
        if self._sorted is None:
            self._sorted = [(r, sorted(self.rows[r].items())) for r in sorted(self.rows)]
        return self._sorted


def _cells(lay: AppraisalLayout, meta: dict[str, str], folder: Path, memo: LayoutMemo | None = None,
           known: dict[int, tuple[Any, Entry | None]] | None = None) -> _Cells:
    """What `AppraisalWorkbookWriter.render` stores in its main sheet and string table, in its order (merged
    ranges blank, then the cells over them, then the links over their cells, then the metadata's strings).
    `known`: the run's, for the cells `memo` holds (the same objects in every layout of the run): each one's
    entry, or None for a text (its number is this workbook's)."""
    rows: dict[int, dict[int, Entry]] = {}
    index: dict[str, int] = {}
    strings: list[str] = []
    count = 0

    def number_of(text: str) -> int:
        nonlocal count
        if len(text) > _STRMAX:
            raise PackageMismatch("a long text")
        count += 1
        found = index.get(text)
        if found is None:
            found = index[text] = len(strings)
            strings.append(text)
        return found

    linked = lay.links
    texts: dict[tuple[int, int], Any] = {}  # the links' cells' values (the last written at each)
    row: dict[int, Entry] = {}
    last = -1
    held = memo.held if memo is not None and known is not None else None
    if known is not None and len(known) >= _KNOWN_BOUND:
        known.clear()
    cells = lay.cells
    # (each cell's kept entry looked up at once: `known` holds every cell it keeps, so an id found is the cell's)
    got = list(map(known.get, map(id, cells))) if known is not None else [None] * len(cells)
    for cell, kept in zip(cells, got, strict=True):  # as `workbook._cell` writes them through `sheetkit.Sheet`
        if kept is not None:
            entry = kept[1]  # type: ignore[assignment]
            if entry is None:  # (a text)
                entry = (cell.style, _STRING, number_of(cell.value))
            if cell.row != last:
                last = cell.row
                row = rows.setdefault(last, {})
            row[cell.col] = entry
            continue
        if cell.sheet != "sheet":
            raise PackageMismatch("a cell on another sheet")
        v, style = cell.value, cell.style
        if cell.formula is not None:
            cached = cell.cached
            value = float(cached) if isinstance(cached, Decimal) else "" if cached is None else cached
            # (the result as the cell element writes it: its type attribute and its text)
            entry: Entry = (style, _FORMULA_CELL, (cell.formula, _result_type(value),
                                                   f"{_escape(1 if value is True else 0 if value is False else value)}"))
        elif v is None:
            entry = (style, _BLANK, None)
        elif type(v) is str:
            if v == "":
                entry = (style, _BLANK, None)
            else:
                entry = (style, _STRING, number_of(v))
        elif type(v) in _NUMBERS or (isinstance(v, Decimal | int | float) and not isinstance(v, bool | str)):
            number = float(v)
            if not math.isfinite(number):
                raise PackageMismatch("a number XlsxWriter refuses")
            entry = (style, _NUMBER, f"{number:.16G}")  # (as the cell element writes it)
        else:
            raise PackageMismatch("a cell value")  # (a date, a text of another type: never in a council workbook)
        if held is not None and (mine := held.get(id(cell))) is not None and mine[0] is cell:
            known[id(cell)] = (cell, None if entry[1] == _STRING else entry)  # type: ignore[index]
        if cell.row != last:
            last = cell.row
            row = rows.setdefault(last, {})
        row[cell.col] = entry
    for (r, c) in linked:  # the links' cells' texts: the last written at each, a text's from its number
        found_entry = rows.get(r, {}).get(c)
        if found_entry is None or found_entry[1] != _STRING:  # (no text there: every cell looked at)
            texts = {(cell.row, cell.col): cell.value for cell in cells if (cell.row, cell.col) in linked}
            break
        texts[(r, c)] = strings[found_entry[2]]
    for m in lay.merges:  # written first, so the cells written in them are over them
        first = rows.get(m.first_row, {}).get(m.first_col)
        if first is None:
            raise PackageMismatch("a merged range's first cell")
        blank = (first[0], _BLANK, None)
        for r in range(m.first_row, m.last_row + 1):
            merged = rows.setdefault(r, {})
            for c in range(m.first_col, m.last_col + 1):
                merged.setdefault(c, blank)
    links = []
    for (r, c), target in linked.items():
        url_text = link_url(target, folder)
        if "#" in url_text or len(url_text.encode("utf-16-le")) > 2 * _URLMAX or (r, c) not in texts:
            raise PackageMismatch("a link XlsxWriter reads apart")
        try:
            url = Url(url_text)
        except Exception as exc:  # (the plain writer gives its answer)
            raise PackageMismatch("a link XlsxWriter refuses") from exc
        if url._link_type != UrlTypes.EXTERNAL:
            raise PackageMismatch("a link of another kind")
        url._text = link_text(texts[(r, c)])
        rows[r][c] = ("link", _STRING, number_of(url._text))
        links.append((r, c, url))
    meta_indexes = []
    for key in (*META_KEYS, "hmac"):
        value = meta.get(key, "")
        if value == "":
            raise PackageMismatch("an empty metadata value")
        meta_indexes.append((number_of(key), number_of(value)))
    links.sort(key=lambda link: link[:2])
    return _Cells(rows, strings, count, links, meta_indexes)


@dataclass
class _Base:
    """The parts of one style order's first render that every later workbook of that order shares."""

    layout: AppraisalLayout  # (its set-level parts: every later layout must have the same)
    names: list[str]  # the package's parts in XlsxWriter's order, without the link relationships
    compressed: dict[str, tuple[bytes, int, int]]  # the unchanging parts, deflated once
    xf: dict[str, int]  # style -> cell format number
    formulas: dict[str, str]  # a cell's formula -> its <f> text as XlsxWriter prepared and escaped it
    extent: tuple[int, int, int, int]  # the main sheet's first and last row and column (its dimension)
    sheet_head: bytes  # the main sheet up to its cells, then what follows them (links and page breaks cut out)
    sheet_tail: tuple[bytes, bytes, bytes]
    meta_head: bytes
    meta_tail: bytes
    sst_head: bytes
    doc_properties: dict[str, Any]
    # (row, col, style) -> '<c r="F16" s="3"', then with a string's start, then a blank cell
    refs: dict[tuple[int, int, str], tuple[str, str, str]] = field(default_factory=dict)
    heads: dict[tuple[int, str | None, int, bool], bytes] = field(default_factory=dict)  # a row's start tag
    si: dict[str, bytes] = field(default_factory=dict)  # a text -> its <si> element, in UTF-8 (bounded)
    # (the base's id, a row, its cells' entries by column) -> the row's cell elements: the first `_ROWS_BOUND`
    # of the package's bases together (`CouncilPackage.rows`, once the base is made)
    rows: dict[tuple[int, int, tuple[tuple[int, Entry], ...]], bytes] = field(default_factory=dict)


class CouncilPackage:
    """The council's round-1 workbooks of one run (one set, round identity, settings and time)."""

    def __init__(self, settings: Settings, at: dt.datetime, memo: LayoutMemo | None = None):
        self.settings, self.at, self.memo = settings, at, memo
        self.bases: dict[tuple[str, ...], _Base | None] = {}  # style order -> its base (None: it did not check)
        self.known: dict[int, tuple[Any, Entry | None]] = {}  # `_cells`'s, for the memo's cells
        self.rows: dict[tuple[int, int, tuple[tuple[int, Entry], ...]], bytes] = {}  # every base's `rows`

    def write(self, lay: AppraisalLayout, path: Path) -> dict[str, str]:
        """Write `lay`'s workbook atomically (the plain writer's parts) and return its signed metadata;
        PackageMismatch (nothing written) when this path cannot make it."""
        writer = AppraisalWorkbookWriter(lay, self.settings, self.at, memo=self.memo)
        if writer.kind != KIND or writer.keys != META_KEYS or set(lay.sheets) != {"sheet", "meta"} \
                or lay.hidden_rows or lay.sheet_heights:
            raise PackageMismatch("not a round-1 council workbook")
        meta = writer.meta()
        cells = _cells(lay, meta, path.parent, self.memo, self.known)
        order = cells.order()
        if order not in self.bases:
            if len(self.bases) >= _BASES:
                raise PackageMismatch("too many style orders")
            buffer = io.BytesIO()
            rendered = writer.render(buffer, meta, path.parent)
            data = buffer.getvalue()
            try:
                made = self.bases[order] = _base(lay, rendered, data, order, cells, path.parent, writer)
                made.rows = self.rows  # (one bound for all)
            except PackageMismatch:
                self.bases[order] = None
            write_bytes(path, data)  # (the plain writer's file)
            return meta
        base = self.bases[order]
        if base is None:
            raise PackageMismatch("a style order whose base did not check")
        parts = _parts(base, lay, cells, writer)
        core = Core()
        core._set_properties(base.doc_properties)  # no 'created': XlsxWriter dates the file now
        text = io.StringIO()
        core._set_xml_writer(text)
        core._assemble_xml_file()
        parts[_CORE] = text.getvalue().encode("utf-8")
        names = list(base.names)
        if _RELS in parts:
            names.insert(names.index(_CORE), _RELS)  # (where XlsxWriter's packager puts it)
        write_bytes(path, _zip([(name, base.compressed.get(name) or _deflated(parts[name])) for name in names]))
        return meta


def _set_level(lay: AppraisalLayout) -> tuple[Any, ...]:
    """What a workbook has of the set, the round and the template: the same for every commune of a run."""
    return (lay.sheets, lay.merges, lay.validations, lay.marks, lay.names, lay.header_row, lay.print_cols,
            lay.last_row, lay.keep_with_next)


def _base(lay: AppraisalLayout, rendered: Any, data: bytes, order: tuple[str, ...], cells: _Cells,
          folder: Path, writer: AppraisalWorkbookWriter) -> _Base:
    """The base of `order` from its first workbook's render (`data`); PackageMismatch unless the parts made
    from it for that same workbook are XlsxWriter's."""
    parts = read_parts(data)
    ws = rendered.main
    if ws.default_row_height != _DEFAULT_PX or ws.original_row_height != _DEFAULT_PX or ws.dim_rowmin is None:
        raise PackageMismatch("row heights")
    made = rendered.formats._made
    xf = {style: made[style]._get_xf_index() for style in order}
    formulas: dict[str, str] = {}
    sheet_rows = parse_rows(parts[_SHEET])
    for cell in lay.cells:
        if cell.formula is not None:
            found = _FORMULA.search(sheet_rows[cell.row + 1].cells[cell.col + 1])
            if found is None:
                raise PackageMismatch("a formula cell")
            text = found.group(1).decode("utf-8")
            if formulas.setdefault(cell.formula, text) != text:
                raise PackageMismatch("a formula prepared two ways")
    sheet = parts[_SHEET]
    start, end = sheet.find(b"<sheetData>"), sheet.find(b"</sheetData>")
    if start < 0 or end < 0:
        raise PackageMismatch("no sheet data")
    tail = _HYPERLINKS.sub(b"", sheet[end + len(b"</sheetData>"):], count=1)
    links_at = min((i for i in (tail.find(t) for t in (b"<printOptions", b"<pageMargins")) if i >= 0), default=-1)
    breaks = _ROW_BREAKS.search(tail)
    after = tail.find(b"</headerFooter>")
    breaks_at = after + len(b"</headerFooter>") if after >= 0 else -1
    if links_at < 0 or breaks_at < links_at or (breaks is not None and breaks.start() != breaks_at):
        raise PackageMismatch("the sheet's elements")
    if breaks is not None:
        tail = tail[:breaks.start()] + tail[breaks.end():]
    meta = parts[_META]
    m_start, m_end = meta.find(b"<sheetData>"), meta.find(b"</sheetData>")
    sst = parts[SST]
    s_end = sst.find(b"<si>")
    if m_start < 0 or m_end < 0 or s_end < 0 or _COUNTS.search(sst[:s_end]) is None:
        raise PackageMismatch("the metadata sheet or the strings")
    variable = (_SHEET, _META, SST, _RELS, _CORE)
    base = _Base(
        layout=lay, names=[n for n in parts if n != _RELS],
        compressed={n: _deflated(d) for n, d in parts.items() if n not in variable}, xf=xf, formulas=formulas,
        extent=(ws.dim_rowmin, ws.dim_rowmax, ws.dim_colmin, ws.dim_colmax), sheet_head=sheet[:start],
        sheet_tail=(tail[:links_at], tail[links_at:breaks_at], tail[breaks_at:]),
        meta_head=meta[:m_start], meta_tail=meta[m_end + len(b"</sheetData>"):], sst_head=sst[:s_end],
        doc_properties=dict(rendered.workbook.doc_properties))
    made_parts = _parts(base, lay, cells, writer)
    if any(made_parts[n] != parts.get(n) for n in made_parts) or (_RELS in parts) != (_RELS in made_parts):
        raise PackageMismatch("the base's parts made here differ from XlsxWriter's")
    return base


def _parts(base: _Base, lay: AppraisalLayout, cells: _Cells, writer: AppraisalWorkbookWriter) -> dict[str, bytes]:
    """The main sheet, the metadata sheet, the shared strings and the link relationships of `lay`'s workbook."""
    if base.layout is not lay and _set_level(base.layout) != _set_level(lay):
        raise PackageMismatch("layout shape")
    xf, formulas, refs, made = base.xf, base.formulas, base.refs, base.rows
    if len(base.heads) >= _XML_BOUND:
        base.heads.clear()
    rows = cells.rows
    heights: dict[int, int] = {}
    for r, height in lay.row_heights.items():
        px = int(height * 4.0 / 3.0 + 0.5)  # as `Worksheet.set_row` keeps it
        if px <= 0:
            raise PackageMismatch("a row height")
        heights[r] = px
    numbers = rows.keys() | heights.keys()
    by_row = dict(cells.by_row())
    ranges: dict[int, tuple[int, int]] = {}  # block of 16 rows -> its cells' first and last column
    for r, row in by_row.items():
        if row:
            first, last = ranges.get(r // 16, (row[0][0], row[-1][0]))
            ranges[r // 16] = (min(first, row[0][0]), max(last, row[-1][0]))
    if not ranges or (min(numbers), max(numbers), min(a for a, _ in ranges.values()),
                      max(b for _, b in ranges.values())) != base.extent:
        raise PackageMismatch("the sheet's extent")
    spans = {block: f"{a + 1}:{b + 1}" for block, (a, b) in ranges.items()}
    out: list[bytes] = []  # (each row's elements in UTF-8, kept so)
    heads = base.heads
    for r in sorted(numbers):
        px = heights.get(r, _DEFAULT_PX)
        span = spans.get(r // 16)
        row = by_row.get(r)
        head = heads.get((r, span, px, not row))  # '<row r="16" spans="1:12" ht="30" customHeight="1">'
        if head is None:
            tag = f'<row r="{r + 1}"'
            if span is not None:
                tag += f' spans="{span}"'
            if px != _DEFAULT_PX:
                tag += f' ht="{px * 0.75:.16g}" customHeight="1"'
            head = heads[(r, span, px, not row)] = (tag + ("/>" if not row else ">")).encode("ascii")
        out.append(head)
        if not row:
            continue
        # a row's cells as a row of another workbook of this base (72 % of a thousand communes' rows: a
        # string's number is where the row's texts fall in the string table, not what they say) are written
        # alike: kept (the first ones only: bounded)
        key = (id(base), r, tuple(row))
        xml = made.get(key)
        if xml is None:
            xml = "".join([_cell_element(r, c, entry, refs, xf, formulas) for c, entry in row]).encode()
            if len(made) < _ROWS_BOUND:
                made[key] = xml
        out.append(xml)
        out.append(b"</row>")
    links = cells.links
    hyperlinks = "".join(f'<hyperlink ref="{xl_rowcol_to_cell(r, c)}" r:id="rId{i}"/>'
                         for i, (r, c, _) in enumerate(links, start=1))
    setup, (_, last_row) = main_setup(lay, writer.t.columns.widths)
    breaks = [b for b in sorted(set(page_break_rows(lay, setup, last_row))) if b != 0][:1023]
    row_breaks = f'<rowBreaks count="{len(breaks)}" manualBreakCount="{len(breaks)}">' + "".join(
        f'<brk id="{b}" max="16383" man="1"/>' for b in breaks) + "</rowBreaks>" if breaks else ""
    first, middle, last = base.sheet_tail
    sheet = b"".join((base.sheet_head, b"<sheetData>", b"".join(out), b"</sheetData>", first,
                      f"<hyperlinks>{hyperlinks}</hyperlinks>".encode() if links else b"", middle,
                      row_breaks.encode("ascii"), last))
    meta_rows = "".join(f'<row r="{i}" spans="1:2"><c r="A{i}" t="s"><v>{k}</v></c><c r="B{i}" t="s"><v>{v}</v></c>'
                        f"</row>" for i, (k, v) in enumerate(cells.meta_indexes, start=1))
    if len(cells.meta_indexes) > 16:
        raise PackageMismatch("metadata rows")  # (one span block)
    sst_head = _COUNTS.sub(b' count="%d" uniqueCount="%d"' % (cells.count, len(cells.strings)), base.sst_head,
                           count=1)
    parts = {_SHEET: sheet,
             _META: base.meta_head + f"<sheetData>{meta_rows}</sheetData>".encode() + base.meta_tail,
             SST: sst_head + _si_elements(base.si, cells.strings) + b"</sst>"}
    if links:
        rels = Relationships()
        for _, _, url in links:
            rels._add_document_relationship("/hyperlink", url._target(), "External")
        text = io.StringIO()
        rels._set_xml_writer(text)
        rels._assemble_xml_file()
        parts[_RELS] = text.getvalue().encode("utf-8")
    return parts


def _cell_element(r: int, c: int, entry: Entry, refs: dict[tuple[int, int, str], tuple[str, str, str]],
                  xf: dict[str, int], formulas: dict[str, str]) -> str:
    """One cell's element as `Worksheet._write_cell` writes it (`refs`: each place's and style's start, kept)."""
    style, kind, payload = entry
    starts = refs.get((r, c, style))  # ('<c r="F16" s="12"', '… t="s"><v>', '…/>')
    if starts is None:
        start = f'<c r="{xl_rowcol_to_cell(r, c)}" s="{xf[style]}"'
        starts = refs[(r, c, style)] = (start, start + ' t="s"><v>', start + "/>")
    if kind == _STRING:
        return f"{starts[1]}{payload}</v></c>"
    if kind == _BLANK:
        return starts[2]
    if kind == _NUMBER:
        return f"{starts[0]}><v>{payload}</v></c>"
    formula, result_type, result = payload
    prepared = formulas.get(formula)
    if prepared is None:
        raise PackageMismatch("a formula the base has not")
    return f"{starts[0]}{result_type}><f>{prepared}</f><v>{result}</v></c>"


def _si_elements(memo: dict[str, bytes], strings: list[str]) -> bytes:
    """The <si> elements of `strings` as `writer._si` makes them, in UTF-8, each remembered (a run's workbooks
    share most of their texts; bounded)."""
    if len(memo) >= _SI_BOUND:
        memo.clear()
    out = []
    for text in strings:
        found = memo.get(text)
        if found is None:
            found = memo[text] = _plain_si(text).encode()
        out.append(found)
    return b"".join(out)


# what XlsxWriter's shared strings treat apart (`_escape_control_characters`; `_preserve_whitespace`'s two
# expressions, which look at the first character and at the last two only; rich strings): a text with any of
# them is written by `writer._si` itself
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def _plain_si(text: str) -> str:
    """`writer._si(text)`: for a text with no control character, no escape-like run, no space at either end
    and no rich-text start, <si><t>the text escaped</t></si>, as XlsxWriter writes it."""
    if "_x" in text or text.startswith("<r>") or _CONTROL.search(text) is not None \
            or RE_LEADING_WHITESPACE.search(text[:1]) or RE_TRAILING_WHITESPACE.search(text[-2:]):
        return _si(text)
    return f"<si><t>{_escape(text)}</t></si>"


def _result_type(value: Any) -> str:
    """The t attribute XlsxWriter gives a formula's cached result (`Worksheet._write_cell`)."""
    if isinstance(value, bool):
        return ' t="b"'
    if isinstance(value, str) and value != "":
        return ' t="e"' if value in _ERROR_CODES else ' t="str"'
    return ""
