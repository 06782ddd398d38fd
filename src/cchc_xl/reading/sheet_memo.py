"""Sheet values remembered for the batch: the fast path of `book.sheet_values` (calamine reading every
sheet of every file).

A sheet part that is byte for byte the one of an earlier file of the batch (the evidence register left
blank, the guide: most returns of one template) holds the same values, provided everything calamine
reads besides it is the same too: the styles (number formats make numbers dates), the workbook part (its
date system) and the shared strings the part's cells point to (compared as their raw `<si>` elements).
Then the values are taken from the memo and calamine does not parse that sheet; any other sheet, and
any doubt (a text cell written in a way this module does not count, a string table it cannot split,
a part not in the container check's kept parts), goes to calamine as before. Bounded: a few dozen
parts, each at most a few MB, kept from a part's second sighting on, cleared when full; off with the
read path's switch (`CCHC_XL_FAST_READ=0`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import python_calamine

from cchc_xl.reading import book, rows

MEMO_PARTS = 32
MEMO_PART_BYTES = 4 * 1024 * 1024
MEMO_SEEN = 65536
_STYLES, _SST = "xl/styles.xml", "xl/sharedStrings.xml"
_TEXT_CELL = re.compile(rb'<c r="[A-Z]{1,3}[1-9][0-9]{0,6}"(?: s="[0-9]+")? t="s"(?: s="[0-9]+")?>\s*<v>([0-9]{1,9})</v>')
_SI = re.compile(rb"<si>.*?</si>|<si/>", re.S)

Rows = list[list[Any]]


@dataclass(frozen=True)
class _Entry:
    values: Rows
    workbook: bytes
    styles: bytes
    strings: tuple[tuple[int, bytes], ...]  # (index, raw <si>) of every text cell's string


class SheetMemo:
    """The values of recently read sheet parts, by the part's bytes (one per process: see `memo`)."""

    def __init__(self) -> None:
        self.entries: dict[bytes, _Entry] = {}
        # the hashes of parts seen once: a part is kept on its second sighting, so the parts each file has
        # of its own (its grid, its metadata) never crowd out the template's recurring ones
        self.seen: set[int] = set()

    def values(self, cal: python_calamine.CalamineWorkbook, parts: dict[str, bytes] | None) -> dict[str, Rows]:
        if not rows.enabled() or not parts:
            return book.sheet_values(cal)
        try:
            where = _sheet_parts(parts)
            workbook, styles = parts[where.pop("")], parts[_STYLES]
            strings = _SI.findall(parts[_SST]) if _SST in parts else []
            if _SST in parts and len(strings) != parts[_SST].count(b"<si>") + parts[_SST].count(b"<si/>"):
                return book.sheet_values(cal)
        except Exception:  # an unusual package: calamine reads every sheet
            return book.sheet_values(cal)
        out: dict[str, Rows] = {}
        for name in cal.sheet_names:
            part = where.get(name)
            data = parts.get(part) if part else None
            got = self._known(data, workbook, styles, strings) if data is not None else None
            if got is None:
                got = cal.get_sheet_by_name(name).to_python(skip_empty_area=False)
                if data is not None:
                    self._keep(data, got, workbook, styles, strings)
            out[name] = got
        return out

    def _known(self, data: bytes, workbook: bytes, styles: bytes, strings: list[bytes]) -> Rows | None:
        entry = self.entries.get(data)
        if entry is None or entry.workbook != workbook or entry.styles != styles:
            return None
        for index, raw in entry.strings:
            if index >= len(strings) or strings[index] != raw:
                return None
        return [row.copy() for row in entry.values]

    def _keep(self, data: bytes, values: Rows, workbook: bytes, styles: bytes, strings: list[bytes]) -> None:
        if len(data) > MEMO_PART_BYTES:
            return
        if hash(data) not in self.seen:
            if len(self.seen) >= MEMO_SEEN:
                self.seen.clear()
            self.seen.add(hash(data))
            return
        indexes = sorted({int(i) for i in _TEXT_CELL.findall(data)})
        # every text cell must be one the pattern took (a count of its marker), pointing into the table
        if data.count(b't="s"') != len(_TEXT_CELL.findall(data)) or any(i >= len(strings) for i in indexes):
            return
        if len(self.entries) >= MEMO_PARTS:
            self.entries.clear()
        self.entries[data] = _Entry([row.copy() for row in values], workbook, styles,
                                    tuple((i, strings[i]) for i in indexes))


def _sheet_parts(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> its part, as the structure reader follows them; "" -> the workbook part."""
    reader = book._StructureReader(Path(), parts)
    reader.archive = _NoArchive()
    workbook = reader._workbook_part()
    sheets, _names = reader._workbook(workbook)
    rels = reader._relationships(workbook)
    where = {name: rels[rel_id][1] for name, rel_id in sheets if rel_id in rels}
    if len(set(where.values())) != len(where) or "" in where:
        raise book._Unusual("two sheets in one part")
    where[""] = workbook
    return where


class _NoArchive:
    """Parts are taken from the kept ones only: one that is not kept is not read here."""

    def read(self, name: str) -> bytes:
        raise KeyError(name)


memo = SheetMemo()  # the process's memo: the workers of `import --jobs` each have their own
