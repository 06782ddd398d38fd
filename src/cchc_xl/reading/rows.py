"""Sheet parts read row by row, each row's answers remembered for the batch: the fast path of the three
whole-part scans of a returned sheet (the container check's extent, `safety._beyond_extent`; the formula
scan, `book._scan_sheet`; the value reader's rows, `values._part_rows`).

Every return of a batch comes from one template: most of its rows (the evidence register's hundreds of
blank rows and their long check formulas, the guide, the untouched parts of the grid) are byte for byte
the rows of the previous file. A part is cut before each `<row ` into chunks; each chunk's answers to the
three scans (its cell tags and references, its formulas, its values) are computed once and kept in a
bounded memo keyed by the chunk's bytes (`PartFacts`: one lookup a chunk for the three); each scan puts the
part's answer together from its column of the chunks' answers. That is exact because every pattern the
scans count or collect holds a `<` only at the start of a tag it names (never `<row `), or inside a tag
left open — and a chunk that ends inside an open tag (a malformed part) is not served — so a match never
spans two chunks; the whole-part conditions (one default namespace, no `<!`, unique cell references, as
many cells as tags) are checked on the sums.

A part that holds shared strings (a file Excel or LibreOffice saved, which number the file's styles and strings
anew) has its rows looked up a second way, by the row with those numbers taken out (`_numbered_facts`).

Falls back to the plain scan of the whole part on any doubt: a part that is not the shape the scans
serve, a shared or array formula (whose meaning depends on an earlier row), any exception (a chunk's
answer that raised is kept as such, and sends that scan alone to its plain path).
`CCHC_XL_FAST_READ=0` turns this path off (`CCHC_XL_FAST_CELLS=0`, `CCHC_XL_FAST_NUMBERED=0` one part of it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from itertools import repeat
from operator import itemgetter
from typing import Any, Generic, NamedTuple, TypeVar

from cchc_xl.reading import book, safety
from cchc_xl.reading.safety import Limits

SWITCH = "CCHC_XL_FAST_READ"
T = TypeVar("T")
# Each memo keeps chunks up to these many bytes (the chunks are the keys; the three memos of a file share
# them): a template's recurring rows (about a thousand), the few variants of them that each spreadsheet
# program writes (LibreOffice numbers styles per file: a blank register row comes in a handful of
# spellings) and a file's own rows. Counted in entries (2,048), an interleaved batch of openpyxl- and
# LibreOffice-saved returns evicted the LibreOffice rows between two such files (55 ms for those, not 36).
# A return's sheets are 1.2–1.4 MB of XML; a generation (half the budget) spans a dozen such files. The
# numbered keys of rows of parts with shared strings have a memo of a quarter of it.
MEMO_BYTES = 32 * 1024 * 1024
MEMO_ROW_BYTES = 4096  # longer chunks are scanned, not kept

_CUT = b"<row "


def enabled() -> bool:
    """The one switch of this fast path (on unless the environment sets it to 0)."""
    return os.environ.get(SWITCH, "1") != "0"


def chunks(data: bytes) -> tuple[bytes, ...]:
    """The part cut before each `<row `: the chunks, joined, are the part (the cut the three scans share:
    the extent check, the formula scan, the value reader)."""
    pieces = data.split(_CUT)
    return (pieces[0], *(_CUT + p for p in pieces[1:]))


class _RecentCuts:
    """The facts of the parts cut last, by the part object itself (each scan of a file is given the same
    bytes object, kept by the container check): bounded by the bytes held, cleared when full."""

    def __init__(self, budget: int = 8 * 1024 * 1024):
        self.budget, self.held = budget, 0
        self.recent: dict[int, tuple[bytes, PartFacts]] = {}

    def facts(self, data: bytes) -> PartFacts:
        got = self.recent.get(id(data))
        if got is not None and got[0] is data:
            return got[1]
        facts = PartFacts(data)
        if 2 * len(data) <= self.budget // 4:
            if self.held + 2 * len(data) > self.budget:
                self.recent.clear()
                self.held = 0
            self.recent[id(data)] = (data, facts)  # the part held too: its id is not reused while kept
            self.held += 2 * len(data)
        return facts


def _open_at_end(chunk: bytes) -> bool:
    """Whether the chunk ends inside a tag (a `<` after its last `>`): a match could run into the next."""
    return chunk.rfind(b"<") > chunk.rfind(b">")


class ChunkMemo(Generic[T]):
    """`answer(chunk)` by the chunk's bytes, for chunks up to MEMO_ROW_BYTES, bounded by the bytes of the
    chunks it keeps. Two generations, each up to half the budget: a chunk asked for again moves to the
    young one, and when that is full the old one is dropped. So the rows every file of a batch brings
    (the template's, each program's spelling of them) stay however long the batch, and a file's own
    rows go: a memo cleared whenever full missed every recurring row again after it (45 ms, not 36, for
    a LibreOffice-saved return)."""

    def __init__(self, answer: Callable[[bytes], T], budget: int = MEMO_BYTES):
        self.answer, self.budget = answer, budget
        self.young: dict[bytes, T] = {}
        self.old: dict[bytes, T] = {}
        self.kept = 0  # the young generation's bytes

    def __call__(self, chunk: bytes, answer: Callable[[bytes], T] | None = None) -> T:
        """The chunk's answer, made by `answer` (the memo's own when None) when it is not kept."""
        got = self.young.get(chunk)
        if got is not None:
            return got
        got = self.old.get(chunk)
        if got is None:
            got = (self.answer if answer is None else answer)(chunk)
        self.put(chunk, got)
        return got

    def get(self, key: bytes) -> T | None:
        """The answer kept for `key` (moved to the young generation), or None: for a memo whose keys are not
        what its answers are made of (`_NUMBERED_FACTS`)."""
        got = self.young.get(key)
        if got is None:
            got = self.old.get(key)
            if got is not None:
                self.put(key, got)
        return got

    def put(self, key: bytes, answer: T) -> None:
        """`answer` kept for `key` (a key longer than MEMO_ROW_BYTES is not kept)."""
        if len(key) <= MEMO_ROW_BYTES:
            if self.kept + len(key) > self.budget // 2:
                self.old, self.young, self.kept = self.young, {}, 0
            self.young[key] = answer
            self.kept += len(key)


class _Unserved(Exception):
    """A chunk the fast path leaves to the plain scan of the whole part."""


# -- the container check's extent -------------------------------------------------------------------
class _Extent(NamedTuple):
    plain: int  # `<c ` + `<c>` + `<c/`
    refs: int  # `<c r="A1"` references
    last_row: int
    last_col: int
    prefixed: bool  # `:c ` / `:c>` / `:c/` somewhere (a cell under a namespace prefix)
    open_end: bool


class Common(NamedTuple):
    """What more than one of the three scans asks of a chunk, found once."""
    tags: int  # `<c ` + `<c>` + `<c/`
    refs: list[tuple[bytes, bytes]]  # `<c r="A1"` references (letters, digits), `safety._PLAIN_REF`'s
    open_end: bool
    bang: bool  # `<!`
    xmlns: int  # `xmlns="`
    uri_ends: int  # `/spreadsheetml/2006/main"`


# `<c ` + `<c>` + `<c/` (none can overlap another), and `:c ` / `:c>` / `:c/`: one regular expression finds
# them three times faster than `bytes.count` or `in` does each
_CELL_TAGS, _PREFIXED_TAGS = re.compile(rb"<c[ >/]"), re.compile(rb":c[ >/]")


def _common(chunk: bytes) -> Common:
    return Common(len(_CELL_TAGS.findall(chunk)), safety._PLAIN_REF.findall(chunk),
                  _open_at_end(chunk), book._BANG.search(chunk) is not None, len(book._DEFAULT_XMLNS.findall(chunk)),
                  chunk.count(book._MAIN_URI_END))


_LETTERS, _DIGITS = itemgetter(0), itemgetter(1)


def _extent_of(chunk: bytes, common: Common) -> _Extent:
    refs = common.refs
    rows, cols = set(map(_DIGITS, refs)), set(map(_LETTERS, refs))  # (a row of a thousand cells: in C)
    return _Extent(common.tags, len(refs), max(map(int, rows), default=0),
                   max(map(safety._column_number, cols), default=0),
                   _PREFIXED_TAGS.search(chunk) is not None, common.open_end)


def beyond_extent(data: bytes, limits: Limits) -> tuple[str, str] | None:
    """`safety._beyond_extent(data, limits)`, a sheet part's rows taken from the memo."""
    if not enabled():
        return safety._beyond_extent(data, limits)
    try:
        if safety._SHEET_DATA.search(data) is None:
            return safety._beyond_extent(data, limits)  # shared strings and other parts: as they were
        facts = part_facts(data)
        if facts.failed & _EXTENT_FAILED:
            raise _Unserved("a chunk the extent's answer raised on")
        plains, ref_counts, last_rows, last_cols, prefixed, open_ends = zip(*facts.extents, strict=True)
        if any(prefixed) or any(open_ends[:-1]):
            raise _Unserved("cells under a prefix, or a tag open at the end of a chunk")
        plain, refs, last_row, last_col = sum(plains), sum(ref_counts), max(last_rows), max(last_cols)
        if plain != refs or refs > limits.max_cells or last_row > limits.max_row or last_col > limits.max_col:
            raise _Unserved("not the plain shape, or a finding: its detail as the plain check words it")
        return None
    except Exception:  # any doubt: the plain check decides
        return safety._beyond_extent(data, limits)


# -- the formula scan --------------------------------------------------------------------------------
class _Scanned(NamedTuple):
    tags_c: int
    tags_f: int
    tags_dvs: int
    xmlns: int  # `xmlns="`
    uri_ends: int  # `/spreadsheetml/2006/main"`
    bang: bool  # `<!`
    ref_count: int
    formulas: dict[tuple[int, int], str]  # (shared by every part the chunk is in: never changed)
    open_end: bool
    # the one row number all the chunk's references name, when they are distinct (0: no reference; -1: not so):
    # chunks of distinct rows then hold distinct references (a part of other chunks goes to the plain scan)
    ref_row: int


def _scan_chunk(chunk: bytes, common: Common) -> _Scanned:
    tags = book._TAG.findall(chunk)
    refs, ref_row = _cell_refs(common.refs)
    return _Scanned(tags.count(b"c"), tags.count(b"f"), tags.count(b"dataValidations"), common.xmlns,
                    common.uri_ends, common.bang, len(refs), _formulas(chunk), common.open_end, ref_row)


def _cell_refs(plain: list[tuple[bytes, bytes]]) -> tuple[list[bytes], int]:
    """`book._CELL_REF`'s matches among `safety._PLAIN_REF`'s, the plain references whose row has no leading
    zero (both patterns start at `<c r="`, which no match holds inside, so they match at the same places), and
    `_Scanned.ref_row` of them."""
    refs = [letters + digits for letters, digits in plain if digits[0] != 48]
    ref_rows = {digits for _, digits in plain if digits[0] != 48}
    ref_row = 0 if not refs else int(next(iter(ref_rows))) if len(ref_rows) == 1 and len(set(refs)) == len(refs) else -1
    return refs, ref_row


def _formulas(chunk: bytes) -> dict[tuple[int, int], str]:
    formulas: dict[tuple[int, int], str] = {}
    for col, row, raw_attributes, text in book._FORMULA_CELL.findall(chunk):
        attributes, value = book._decoded(raw_attributes, text)
        if attributes:
            if "t" in attributes:  # shared, array, data table: their meaning crosses rows
                raise _Unserved("a formula of a kind")
            value = book._formula_text({}, (col + row).decode("ascii"), attributes, value).removeprefix("=")
        formulas[book._position(col, row)] = value
    return formulas

Scan = tuple[dict[tuple[int, int], str], set[tuple[str, str]]]


def scan_sheet(data: bytes) -> Scan | None:
    """`book._scan_sheet(data)`, a sheet part's rows taken from the memo."""
    if not enabled():
        return book._scan_sheet(data)
    try:
        return _scan_sheet(data)
    except Exception:  # any doubt (an _Unusual formula, an unexpected shape): the plain scan decides
        return book._scan_sheet(data)


def _scan_sheet(data: bytes) -> Scan | None:
    head = book._ROOT.match(data)
    if head is None or book._MAIN_XMLNS not in head["root"]:
        return None
    declaration = (head["decl"] or b"").lower()
    if b"encoding" in declaration and b"utf-8" not in declaration:
        return None
    facts = part_facts(data)
    if facts.failed & _SCAN_FAILED:
        raise _Unserved("a chunk the formula scan's answer raised on")
    (tags_c, tags_f, tags_dvs, xmlns, uri_ends, bangs, ref_counts, formulas_by_chunk, open_ends,
     ref_rows) = zip(*facts.scans, strict=True)
    if any(open_ends[:-1]):
        raise _Unserved("a tag open at the end of a chunk")
    if sum(xmlns) != 1 or sum(uri_ends) != 1 or any(bangs):
        return None
    ref_count = sum(ref_counts)
    if ref_count != sum(tags_c):
        return None
    rows = [r for r in ref_rows if r]
    if -1 in rows or len(set(rows)) != len(rows):
        raise _Unserved("a chunk of several rows, or a row twice: the plain scan tells whether a cell is")
    formulas: dict[tuple[int, int], str] = {}
    for found in formulas_by_chunk:
        if found:
            formulas.update(found)
    if len(formulas) != sum(tags_f):  # (a formula's position is a reference: distinct, as just checked)
        return None
    try:
        validations = book._scan_validations(data, head["root"], sum(tags_dvs))
    except (book._Unusual, UnicodeDecodeError, ValueError):
        return None
    return formulas, validations


# -- the three scans' answers, a chunk at a time ---------------------------------------------------------
_EXTENT_FAILED, _SCAN_FAILED, ROW_FAILED = 1, 2, 4


def _facts_of(chunk: bytes) -> tuple[Any, Any, Any, int]:
    """A chunk's answers to the extent check, the formula scan and the value reader, and which raised (an
    answer that raised is kept as its exception: that scan leaves the part to its plain path)."""
    if len(chunk) >= SPLIT_FROM and enabled_cells():
        got = _split_facts(chunk)
        if got is not None:
            return got
    return _whole_facts(chunk)


def _whole_facts(chunk: bytes) -> tuple[Any, Any, Any, int]:
    """`_facts_of`, the chunk read whole."""
    from cchc_xl.reading import values

    failed = 0
    answers: list[Any] = []
    common = _common(chunk)
    for flag, answer in ((_EXTENT_FAILED, _extent_of), (_SCAN_FAILED, _scan_chunk), (ROW_FAILED, values._cells)):
        try:
            answers.append(answer(chunk, common))
        except Exception as e:  # kept as the answer: the part goes to that scan's plain path
            answers.append(e)
            failed |= flag
    return answers[0], answers[1], answers[2], failed


# -- a new row's answers from its cells' -------------------------------------------------------------------
# A row a file brings anew (an item's row with the commune's own explanation) is mostly cells every file of the
# batch has: its code, title and method, its long status formula. Such a row, when it is a `<row …>` tag, cells
# each in one of the shapes `values.common_cell` reads, and `</row>`, has its answers put together from its
# cells' answers, each cell's taken from a memo of its own. Exact, as the cut before `<row ` is: every pattern
# the scans count or collect holds a `<` only at its start or holds none, the pieces are cut before each `<c `,
# and a common cell holds no `<` but its own elements' (so no match spans two pieces; the row's own tag and
# `</row>` hold no cell, tag or reference). Anything else: the row read whole.
SPLIT_FROM = 1024  # bytes: a shorter new row is read whole (the split costs about what it spares)
_ROW_TAG = re.compile(rb"<row [^<>]*>")
_ROW_END, _CELL_CUT = b"</row>", b"<c "


def enabled_cells() -> bool:
    """The cells' memo under the rows' (`CCHC_XL_FAST_CELLS=0` turns it alone off)."""
    return os.environ.get("CCHC_XL_FAST_CELLS", "1") != "0"


class _Piece(NamedTuple):
    """One cell element's answers, as the scans of a row read it (the counts a common cell gives: one cell
    tag, its one reference, no `<!`, namespace declaration or prefixed element)."""
    ref: bytes  # letters and digits
    row: int  # 1-based, as the reference names it
    col: int
    formula_tags: int  # `book._TAG`'s `<f`
    formulas: dict[tuple[int, int], str] | Exception
    cell: Any  # values._common_cell's answer, or the exception it raised
    failed: int  # _SCAN_FAILED, ROW_FAILED: which answer raised


_UNSPLIT: Any = ()  # a piece not in a common shape (an empty tuple: kept by the memo, unlike None)


def _piece_facts(rest: bytes) -> _Piece | Any:
    from cchc_xl.reading import values

    piece = _CELL_CUT + rest
    m = values._COMMON_CELL.match(piece)
    if m is None or m.end() != len(piece):
        return _UNSPLIT
    # A common cell's only `<` are its own elements' (`<c r="A1"`, `<f`, `<v>`, `<is>`, `<t`, their ends): one
    # cell tag, one reference (the match's), no `<!`, no prefixed element, a `<f` only as its formula's tag.
    # Its texts may hold what the scans also count outside tags: such a cell's row is read whole.
    if b'xmlns="' in piece or book._MAIN_URI_END in piece or (b":c" in piece and _PREFIXED_TAGS.search(piece)):
        return _UNSPLIT
    failed = 0
    try:
        cell: Any = values._common_cell(*m.groups())
    except Exception as e:  # kept as the answer: the row's value answer raises too
        cell, failed = e, failed | ROW_FAILED
    formula = b"<f" in piece
    formulas: dict[tuple[int, int], str] | Exception = {}
    if formula:
        try:
            formulas = _formulas(piece)
        except Exception as e:
            formulas, failed = e, failed | _SCAN_FAILED
    letters, digits = m.group(1), m.group(2)
    return _Piece(letters + digits, int(digits), safety._column_number(letters), int(formula), formulas, cell,
                  failed)


def _split_facts(chunk: bytes) -> tuple[Any, Any, Any, int] | None:
    """`_facts_of(chunk)` from its cells' answers; None when the row is not of the shape served."""
    from cchc_xl.reading import values

    if not chunk.endswith(_ROW_END):
        return None
    head, *rest = chunk[:-len(_ROW_END)].split(_CELL_CUT)
    if (not rest or _ROW_TAG.fullmatch(head) is None or book._DEFAULT_XMLNS.search(head) is not None
            or book._MAIN_URI_END in head or _PREFIXED_TAGS.search(head) is not None):
        return None  # (the row's own tag holds no cell, reference or `<!`; these it may hold: read whole)
    pieces = list(map(_CELL_FACTS, rest))
    if _UNSPLIT in pieces:
        return None
    refs, rows, cols, formula_tags, formulas, cells, flags = zip(*pieces, strict=True)
    n = len(pieces)
    failed = 0
    for flag in flags:
        failed |= flag
    extent = _Extent(n, n, max(rows), max(cols), False, False)
    scanned: Any
    if failed & _SCAN_FAILED:
        scanned = next(f for f in formulas if isinstance(f, Exception))
    else:
        found: dict[tuple[int, int], str] = {}
        for f in formulas:
            if f:
                found.update(f)
        # (every reference has no leading zero: `book._CELL_REF`'s, as `_cell_refs` finds them)
        ref_row = rows[0] if rows.count(rows[0]) == n and len(set(refs)) == n else -1
        scanned = _Scanned(n, sum(formula_tags), 0, 0, 0, False, n, found, False, ref_row)
    row: Any
    if failed & ROW_FAILED:
        row = next(c for c in cells if isinstance(c, Exception))
    else:
        try:
            row = values.placed_row(list(cells), False, False, 0, 0)
        except Exception as e:
            row, failed = e, failed | ROW_FAILED
    return extent, scanned, row, failed


# -- a row met before under other numbers of its styles and shared strings -----------------------------------
# Excel and LibreOffice number a file's cell styles and shared strings anew when they save it: a template's row
# comes back in each such return with its own `s="…"` and `<v>…</v>` numbers, and misses the rows' memo (some 420
# rows of each LibreOffice-saved return of the benchmark's corpus did). A row of a part that holds shared strings
# is therefore also looked up by its numbered key: the chunk with each such number replaced by a NUL (`s="7"` →
# `s="␀"`, `t="s"><v>12</v>` → `t="s"><v>␀</v>`; XML holds no NUL, so the key and the numbers in order give back
# the chunk). Of the three answers only the value reader's fills carry these numbers (a number's style, a shared
# string's index: the file's own styles and strings resolve them), and a number taken out is kept as where it is
# among the row's numbers; a row met again under the same key gets its own numbers put back. The key is kept only
# when every number taken out is a cell's style or shared-string index (or in the row's own tag, which no answer
# reads), and the row's answers did not raise: digits are read alike wherever the scans' patterns read them, and
# they never change how the text around them is read, so a row of the same key has the same answers but for those
# numbers. A key is kept from its second sighting on (a file's own rows, met once, cost two searches and a hash
# more than before). `CCHC_XL_FAST_NUMBERED=0` turns this alone off.
# (two patterns, each searched from its literal start: one pattern of look-behinds took longer than the rows'
# answers it spared)
_STYLE_NUMBER, _STYLE_KEY = re.compile(rb' s="([0-9]{1,6})"'), b' s="\x00"'
_STRING_NUMBER, _STRING_KEY = re.compile(rb' t="s"><v>([0-9]{1,9})</v>'), b' t="s"><v>\x00</v>'
# a cell's tag as the value reader reads it (`values._COMMON`): its style before or after its type, a shared
# string's index (should the two drift apart, `_numbered` finds a fill without its cell's numbers and keeps
# nothing: keys are lost, no answer changes)
_NUMBERED_CELL = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="([0-9]{1,6})")?(?: t="([A-Za-z]{1,9})")?'
                            rb'(?: s="([0-9]{1,6})")?(?:><v>([0-9]{1,9})</v>)?')
# (a part without shared strings — a generated workbook's inline texts, untouched — has no numbers to take out;
# every program that saves a file writes its texts as shared strings)
_SHARED_MARK = b' t="s"'
_SEEN_BOUND = 65536  # numbered keys met once, by their hash


def enabled_numbered() -> bool:
    """The numbered keys beside the rows' memo (`CCHC_XL_FAST_NUMBERED=0` turns them alone off)."""
    return os.environ.get("CCHC_XL_FAST_NUMBERED", "1") != "0"


class _Numbered(NamedTuple):
    """A row's answers kept by its numbered key: the extent's and the formula scan's as they are, the value
    reader's row, and its fills that carry a number taken out: (their place among the row's fills, the place
    of their style among the style numbers or -1, the place of their string index among the string numbers
    or -1)."""
    extent: Any
    scanned: Any
    row: Any
    numbered: tuple[tuple[int, int, int], ...]

    def answers(self, styles: list[bytes], strings: list[bytes]) -> tuple[Any, Any, Any, int]:
        """The answers of the chunk of this key whose numbers are `styles` and `strings`."""
        row = self.row
        if not self.numbered:
            return self.extent, self.scanned, row, 0
        fills = list(row.fills)
        for at, style, string in self.numbered:
            col, kind, old_style, raw = fills[at]
            fills[at] = (col, kind, old_style if style < 0 else int(styles[style]),
                         raw if string < 0 else int(strings[string]))
        return self.extent, self.scanned, type(row)(row[0], row[1], tuple(fills), *row[3:]), 0


def _facts_by_key_only(key: bytes) -> _Numbered:
    raise AssertionError("a numbered key is not a chunk: its answers are put, not made")


def _numbered(chunk: bytes, facts: tuple[Any, Any, Any, int]) -> _Numbered | None:
    """`facts` of `chunk` kept with the places of its numbers in its fills; None when an answer raised or a
    number taken out is not a cell's style or shared-string index (nor in the row's tag)."""
    from cchc_xl.reading import values

    extent, scanned, row, failed = facts
    if failed:
        return None
    style_found = list(_STYLE_NUMBER.finditer(chunk))
    string_found = list(_STRING_NUMBER.finditer(chunk))
    style_slots = {m.start(1): i for i, m in enumerate(style_found)}
    string_slots = {m.start(1): i for i, m in enumerate(string_found)}
    head = _ROW_TAG.match(chunk)
    head_end = head.end() if head is not None else 0
    in_head = sum(1 for at in style_slots if at < head_end)
    cells: dict[int, tuple[int, int]] = {}  # a cell's column -> (the place of its style, of its string index)
    for m in _NUMBERED_CELL.finditer(chunk):
        style_at = m.start(3) if m.start(3) >= 0 else m.start(5)
        string_at = m.start(6) if m[4] == b"s" else -1
        col = book._position(m[1], m[2])[1]
        if col in cells:
            return None  # (a cell twice: the row raised already)
        cells[col] = (style_slots.get(style_at, -1), string_slots.get(string_at, -1))
    placed_styles = sum(1 for style, _ in cells.values() if style >= 0)
    placed_strings = sum(1 for _, string in cells.values() if string >= 0)
    if placed_styles + in_head != len(style_found) or placed_strings != len(string_found):
        return None  # a number in a text, a formula, another attribute: read as it is, not kept so
    numbered = []
    for at, (col, kind, style, raw) in enumerate(row.fills):
        style_slot, string_slot = cells.get(col, (-1, -1))
        if ((style_slot >= 0 and int(style_found[style_slot][1]) != style)
                or (string_slot >= 0 and (kind != values._SHARED or int(string_found[string_slot][1]) != raw))):
            return None  # (not the numbers as the value reader read them: not kept so)
        if style_slot >= 0 or string_slot >= 0:
            numbered.append((at, style_slot, string_slot))
    return _Numbered(extent, scanned, row, tuple(numbered))


def _numbered_facts(rest: bytes) -> tuple[Any, Any, Any, int]:
    """`_facts_of` of a row of a part with shared strings, by the row's numbered key when it is known."""
    chunk = _CUT + rest
    if b"\x00" in chunk or not enabled_numbered():
        return _facts_of(chunk)
    styles, strings = _STYLE_NUMBER.findall(chunk), _STRING_NUMBER.findall(chunk)
    if not styles and not strings:
        return _facts_of(chunk)
    key = _STRING_NUMBER.sub(_STRING_KEY, _STYLE_NUMBER.sub(_STYLE_KEY, chunk))
    if len(key) > MEMO_ROW_BYTES:
        return _facts_of(chunk)  # (not kept: looked up in vain)
    kept = _NUMBERED_FACTS.get(key)
    if kept is not None:
        return kept.answers(styles, strings)
    facts = _facts_of(chunk)
    seen = hash(key)
    if seen not in _NUMBERED_SEEN:
        if len(_NUMBERED_SEEN) >= _SEEN_BOUND:
            _NUMBERED_SEEN.clear()
        _NUMBERED_SEEN.add(seen)
        return facts
    made = _numbered(chunk, facts)
    if made is not None:
        _NUMBERED_FACTS.put(key, made)
    return facts


class PartFacts:
    """A sheet part's chunks' answers to the three scans, each chunk's taken from one memo (one lookup for
    the three; each scan sums its columns of the answers in one go). The chunks after the first are looked
    up by what follows their `<row ` (the part split, not copied again), in a memo of their own; the rows a
    part holding shared strings brings anew are looked up by their numbered keys."""

    def __init__(self, data: bytes):
        head, *rest = data.split(_CUT)
        if _SHARED_MARK in data:  # (a row missed: looked up by its numbered key; the answers are the same)
            facts = [_HEAD_FACTS(head), *map(_ROW_FACTS, rest, repeat(_numbered_facts))]
        else:
            facts = [_HEAD_FACTS(head), *map(_ROW_FACTS, rest)]
        self.extents, self.scans, self.rows, failed = zip(*facts, strict=True)
        self.failed = 0
        for flags in set(failed):
            self.failed |= flags


def part_facts(data: bytes) -> PartFacts:
    """The part's chunks and their answers (made once for the three scans of a part)."""
    return _CUTS.facts(data)


# the process's: the workers of `import --jobs` each have theirs
_HEAD_FACTS = ChunkMemo(_facts_of, MEMO_BYTES // 8)  # a part's start, before its first row
_ROW_FACTS = ChunkMemo(lambda rest: _facts_of(_CUT + rest))
_NUMBERED_FACTS: ChunkMemo[_Numbered] = ChunkMemo(_facts_by_key_only, MEMO_BYTES // 4)  # (`get` and `put` only)
_NUMBERED_SEEN: set[int] = set()
_CELL_FACTS = ChunkMemo(_piece_facts, MEMO_BYTES // 16)  # a new row's cells after their `<c ` (a template's: ~0.3 MB)
_CUTS = _RecentCuts()
