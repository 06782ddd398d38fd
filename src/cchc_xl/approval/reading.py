"""What an approval document says: the commune, the total and every item's score, read from its lines.

The same parser serves the text layer of an exported PDF (pypdf, exact) and the words Tesseract reads on
a scan (each with a confidence). A line of the Phụ lục 2 table starts with an item's code and carries the
item's maximum and score (in that order, in their own columns); the total's line carries the label
"TỔNG ĐIỂM". Where a line shows one number only, its column (from the positions of the two-number lines)
says whether it is the maximum or the score.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from cchc_xl.criteria.model import CriteriaSet

_NUMBER = re.compile(r"(?<![\d.,])(\d{1,3})[.,](\d{2})(?!\d*[.,]\d)")
_POINTS = re.compile(r"(\d{1,3})[.,](\d{2})")
_GLUED = re.compile(r"(?:\d{1,3}[.,]\d{2}[.,|]?){2,}")
_CODE = re.compile(r"^[|_\[(]*([IVXL]+|\d+(?:\.\d+)*)[|_.\])]*$")


@dataclass(frozen=True)
class Word:
    text: str
    x: float  # left edge, in any unit shared by one document's lines
    right: float
    conf: float = 100.0  # 0–100


@dataclass(frozen=True)
class Read:
    """A number read from the document, and how sure the reading is (0–100)."""

    value: Decimal
    conf: float


@dataclass
class ReportValues:
    commune_found: bool = False
    agency: str = ""  # the agency line as read
    total: Read | None = None
    items: dict[str, Read | None] = field(default_factory=dict)  # code -> score (None: shown blank)
    lines: int = 0

    def to_json(self) -> dict[str, object]:
        def one(r: Read | None) -> list[object] | None:
            return None if r is None else [str(r.value), r.conf]

        return {"commune_found": self.commune_found, "agency": self.agency, "total": one(self.total),
                "items": {k: one(v) for k, v in self.items.items()}, "lines": self.lines}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ReportValues:
        def one(v: object) -> Read | None:
            return None if v is None else Read(Decimal(v[0]), float(v[1]))  # type: ignore[index]

        items = data.get("items") or {}
        return cls(commune_found=bool(data.get("commune_found")), agency=str(data.get("agency") or ""),
                   total=one(data.get("total")), items={k: one(v) for k, v in items.items()},  # type: ignore[union-attr]
                   lines=int(data.get("lines") or 0))  # type: ignore[call-overload]


def fold(text: str) -> str:
    """Upper case without diacritics or đ, spaces collapsed: what OCR and the expected text share."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text).strip().upper()


def numbers(word: Word) -> list[Decimal]:
    """The points (two decimals) a word shows; two numbers OCR glued into one word ("100.0031.85") apart."""
    if _GLUED.fullmatch(word.text):
        return [Decimal(f"{a}.{b}") for a, b in _POINTS.findall(word.text)]
    return [Decimal(f"{a}.{b}") for a, b in _NUMBER.findall(word.text)]


_Row = tuple[str, list[tuple[Decimal, Word]]]  # (the code read at the row's start, its numbers and words)


def parse(lines: list[list[Word]], cset: CriteriaSet, commune_name: str, total_label: str) -> ReportValues:
    """The values a report's lines show (lines in reading order, words left to right).

    The table's rows are matched to the set's items in order (an alignment on the code and the maximum
    each row shows), so a code that OCR misread still finds its row by its place and its maximum."""
    out = ReportValues(lines=len(lines))
    nodes = _nodes(cset)
    rows = _table_rows(lines, cset, {code for code, _ in nodes}, fold(commune_name), total_label, out)
    columns = _score_column(rows)
    for (code, maximum), row in _align(nodes, rows):
        score = _score(row[1], columns)
        if score is not None and score[0] > maximum:
            continue  # more than the item's maximum is a misreading: left unread
        sure = 1.0 if row[0] == code else 0.9  # matched by its place and maximum only
        out.items[code] = None if score is None else Read(score[0], round(score[1] * sure, 1))
    return out


def _table_rows(lines: list[list[Word]], cset: CriteriaSet, codes: set[str], name: str, total_label: str,
                out: ReportValues) -> list[_Row]:
    """The table's rows up to its total; on the way, the agency, whether the commune is named, and the
    total (set on `out`)."""
    label = " ".join(fold(total_label).split()[:2])  # "TONG DIEM": what OCR keeps of the label
    rows: list[_Row] = []
    for words in lines:
        if not words:
            continue
        text = fold(" ".join(w.text for w in words))
        if not out.agency and "UY BAN NHAN DAN" in text:
            out.agency = " ".join(w.text for w in words)
        if name and re.search(rf"(^|\W){re.escape(name)}(\W|$)", text):
            out.commune_found = True
        found = [(n, w) for w in words for n in numbers(w)]
        if not found:
            continue  # a table row shows at least its maximum (part II lists codes alone)
        head = _CODE.match(words[0].text)
        code = head.group(1) if head and not numbers(words[0]) else ""
        if label in text or (code not in codes and len(found) >= 2 and found[0][0] == cset.total):
            # the total's row, by its label or (its label's column not read) by the set's maximum beside it
            score = _score(found, _score_column(rows))
            if score is not None and score[0] <= cset.total:  # more than the maximum is a misreading
                out.total = Read(*score)
            break  # the table ends with its total
        rows.append((code, found))
    return rows


def _align(nodes: list[tuple[str, Decimal]], rows: list[tuple[str, list[tuple[Decimal, Word]]]]) \
        -> list[tuple[tuple[str, Decimal], tuple[str, list[tuple[Decimal, Word]]]]]:
    """Pairs (item, row) of an order-keeping alignment that rewards equal codes and equal maxima."""
    n, m = len(nodes), len(rows)

    def gain(i: int, j: int) -> int:
        code, maximum = nodes[i]
        read, found = rows[j]
        return 3 * (read == code) + 2 * (found[0][0] == maximum) - 1

    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best[i][j] = max(best[i + 1][j], best[i][j + 1], gain(i, j) + best[i + 1][j + 1])
    pairs = []
    i = j = 0
    while i < n and j < m:
        g = gain(i, j)
        if g > 0 and best[i][j] == g + best[i + 1][j + 1]:
            pairs.append((nodes[i], rows[j]))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _score_column(rows: list[tuple[str, list[tuple[Decimal, Word]]]]) -> tuple[float, float] | None:
    """The right edges of the maximum's and the score's columns, from the lines that show both."""
    pairs = [(found[0][1].right, found[1][1].right) for _, found in rows if len(found) >= 2]
    if not pairs:
        return None
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def _score(found: list[tuple[Decimal, Word]], columns: tuple[float, float] | None) -> tuple[Decimal, float] | None:
    if len(found) >= 2:
        value, word = found[1]
        return value, word.conf
    if len(found) == 1 and columns is not None:
        value, word = found[0]
        max_x, score_x = columns
        if abs(word.right - score_x) < abs(word.right - max_x):
            return value, word.conf
    return None


def _nodes(cset: CriteriaSet) -> list[tuple[str, Decimal]]:
    """(code, maximum) of every row of the table, in its order."""
    out: list[tuple[str, Decimal]] = []
    for area in cset.areas:
        out.append((area.code, area.max))
        for crit in area.criteria:
            out.append((crit.code, crit.max))
            out.extend((sub.code, sub.max) for sub in crit.children)
    return out
