"""The "Phụ lục 2" sheet: the self-assessment report the commune chairman signs, print-ready.

Laid out as Nghị định 30/2020/NĐ-CP lays out an administrative document: the superior body and the agency
in full (a short rule under it) on the left, the national name and motto (a rule under it) on the right, the
number, the place and date, the title; then the seed's three parts (the table of every area, criterion and
sub-criterion; the explanations; the difficulties and recommendations) and "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH"
with room to sign and stamp. Every score and text is a formula on the sheet the commune fills, so the page
prints what the workbook holds.

`ApprovedReport(builder).build()` adds the sheet's cells to the layout (they are locked and checked on
import like every other locked cell); `setup_sheet` sets its print (portrait A4, NĐ30 margins, 100 %,
header rows repeated, pages numbered for this sheet alone). Its formats name the font family so that no
font of this sheet shares a font record, and with it the theme scheme, with the other sheets.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from xlsxwriter.utility import xl_rowcol_to_cell

from cchc_xl.criteria.model import Criterion
from cchc_xl.literals import text as _quote
from cchc_xl.templates import template
from cchc_xl.workbook.layout import PlaceKey, PlaceKind, RowValues

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

    from cchc_xl.workbook.layout import Layout, _Builder

SHEET = "approved"
HEADER_ROW = 10  # 0-based: the table's header row, repeated on every printed page
SIZE = 12  # points: NĐ30's body text is 12–14; printed at 100 %
# Nghị định 30/2020/NĐ-CP, Phụ lục I: top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
MARGINS_MM = {"top": 20.0, "bottom": 20.0, "left": 30.0, "right": 15.0}
_INCH = 25.4

_FONT = {"font_name": "Times New Roman", "font_family": 1, "font_scheme": "none", "font_size": SIZE,
         "valign": "vcenter"}
_GREY = "#E7E6E6"
STYLES: dict[str, dict[str, Any]] = {
    "pl2_text": {},
    "pl2_center": {"align": "center"},
    "pl2_center_bold": {"align": "center", "bold": True},
    "pl2_agency": {"align": "center", "bold": True, "text_wrap": True},
    "pl2_agency_regular": {"align": "center", "text_wrap": True},
    "pl2_center_italic": {"align": "center", "italic": True},
    "pl2_title": {"align": "center", "bold": True, "text_wrap": True, "font_size": 13},
    "pl2_label": {"align": "right", "bold": True, "italic": True},
    "pl2_part": {"bold": True, "text_wrap": True, "valign": "top"},
    "pl2_para": {"text_wrap": True, "valign": "top"},
    "pl2_recipients": {"text_wrap": True, "valign": "top", "italic": True, "font_size": 11},
    "pl2_header": {"bold": True, "align": "center", "text_wrap": True, "border": 1},
    "pl2_area": {"bold": True, "border": 1, "text_wrap": True, "valign": "top"},
    "pl2_area_number": {"bold": True, "border": 1, "num_format": "0.00", "valign": "top"},
    "pl2_criterion": {"bold": True, "border": 1, "text_wrap": True, "valign": "top"},  # no italic: OCR reads it
    "pl2_criterion_number": {"bold": True, "border": 1, "num_format": "0.00", "valign": "top"},
    "pl2_sub": {"border": 1, "text_wrap": True, "valign": "top"},
    "pl2_sub_number": {"border": 1, "num_format": "0.00", "valign": "top"},
    "pl2_district": {"border": 1, "italic": True, "text_wrap": True, "valign": "top", "bg_color": _GREY},
    "pl2_total": {"bold": True, "border": 1, "text_wrap": True},
    "pl2_total_number": {"bold": True, "border": 1, "num_format": "0.00"},
    "pl2_cell": {"border": 1, "text_wrap": True, "valign": "top"},
}


def style_props(style: str) -> dict[str, Any]:
    return {**_FONT, **STYLES[style]}


class ApprovedReport:
    """Adds the Phụ lục 2 sheet to a layout being built (after the grid, register and issues sheets)."""

    def __init__(self, builder: _Builder):
        self.b = builder
        self.t = builder.t["approved"]
        self.c = self.t.columns.indices
        self.widths = self.t.columns.widths
        self.last = self.t.columns.last.index
        self.title_width = self.span(self.c["title"], self.c["title_end"])

    def build(self) -> None:
        row = self._head()
        row = self._table(row)
        row = self._explanations(row + 1)
        row = self._issues(row + 1)
        self._signature(row + 1)
        self._register_entry()

    def put(self, row: int, col: int, **kw: Any) -> None:
        self.b.put(SHEET, row, col, **kw)

    def line(self, row: int, first: int, last: int, style: str, value: str | None = None, **kw: Any) -> None:
        """A text across columns first..last (merged)."""
        self.put(row, first, value=value, style=style, **kw)
        if last > first:
            self.b.merge(SHEET, row, first, last)

    def span(self, first: int, last: int) -> float:
        return float(sum(self.widths[first:last + 1]))

    def fit(self, row: int, text: str, first: int, last: int, bold: bool = False, size: float = SIZE) -> None:
        self.b.fit(SHEET, row, [(text, self.span(first, last), size, bold)], always=True)

    # -- the NĐ30 heading ------------------------------------------------------------------------
    def _head(self) -> int:
        t, cset, b = self.t, self.b.cset, self.b
        left, right = (0, self.c["title"]), (self.c["title_end"], self.last)
        self.line(0, right[0], right[1], "pl2_label", t["label"])
        superior = (b.identity.body or cset.decision.issuer).upper()  # the assessing body, else the set's issuer
        self.line(1, *left, "pl2_agency_regular", superior)
        self.line(1, *right, "pl2_center_bold", t["nation"])
        b.commune_slots.append((len(b.layout.cells), lambda c: t["agency"].format(kind=c.kind, name=c.name).upper()))
        self.line(2, *left, "pl2_agency", t["agency"].format(kind=b.commune.kind, name=b.commune.name).upper())
        self.line(2, *right, "pl2_center_bold", t["motto"])
        self.line(3, *left, "pl2_center", t["rule"])
        self.line(3, *right, "pl2_center", t["rule"] + t["rule"][: len(t["rule"]) // 2])
        self.line(4, *left, "pl2_center", t["number"])
        year = cset.year
        b.commune_slots.append((len(b.layout.cells), lambda c: t["date_line"].format(place=c.name, year=year)))
        self.line(4, *right, "pl2_center_italic", t["date_line"].format(place=b.commune.name, year=year))
        for r in range(0, 5):
            b.set_height(SHEET, r, 18.0)
        self.fit(1, superior, *left)  # the superior body is the round's: its row fits it
        b.set_height(SHEET, 2, 34.0)  # a long agency name takes two lines (the same for every commune)
        title = t["title"].format(year=year)
        self.line(6, 0, self.last, "pl2_title", title)
        self.fit(6, title, 0, self.last, bold=True, size=13)
        d = cset.decision
        subtitle = t["subtitle"].format(number=d.number, date=f"{d.date:%d/%m/%Y}", issuer=d.issuer)
        self.line(7, 0, self.last, "pl2_center_italic", subtitle)
        self.fit(7, subtitle, 0, self.last)
        self.line(9, 0, self.last, "pl2_part", t["part_table"])
        self.fit(9, t["part_table"], 0, self.last, bold=True)
        self.header_row = HEADER_ROW
        for key, header in zip(t.columns, t.columns.headers, strict=True):
            if key == "title_end":
                continue
            last = self.c["title_end"] if key == "title" else self.c[key]
            self.line(self.header_row, self.c[key], last, "pl2_header", header)
            self.b.fit(SHEET, self.header_row, [(header, self.span(self.c[key], last), SIZE, True)], always=True)
        return self.header_row + 1

    # -- I. the table ----------------------------------------------------------------------------
    def _table(self, row: int) -> int:
        for area in self.b.cset.areas:
            self._node(row, area.code, area.title, area.max, "pl2_area")
            row += 1
            for crit in area.criteria:
                if crit.is_leaf:
                    self._leaf(row, crit, "pl2_criterion")
                    row += 1
                    continue
                self._node(row, crit.code, crit.title, crit.max, "pl2_criterion")
                row += 1
                for sub in crit.children:
                    self._leaf(row, sub, "pl2_sub")
                    row += 1
        cset, t, ev = self.b.cset, self.t, self.b.ev
        grid = self.b.layout.quoted("grid")
        c = self.c
        self.put(row, c["code"], style="pl2_total")
        self.line(row, c["title"], c["title_end"], "pl2_total", t["total_label"])
        self.put(row, c["max"], value=cset.total, style="pl2_total_number")
        self.put(row, c["score"], formula=f"{grid}!{self.b.total_ref}", cached=ev.total, style="pl2_total_number",
                 key=PlaceKey(PlaceKind.APPROVED_TOTAL))
        self.put(row, c["note"], style="pl2_total")
        self.total_row = row
        commune_max = sum((leaf.max for leaf in cset.commune_leaves()), Decimal(0))
        note = t["total_note"].format(commune_max=_points(commune_max), total=_points(cset.total))
        self.line(row + 1, 0, self.last, "pl2_para", note)
        self.fit(row + 1, note, 0, self.last)
        return row + 2

    def _score_ref(self, code: str, col: str = "score") -> str:
        return f"{self.b.layout.quoted('grid')}!{xl_rowcol_to_cell(self.b.layout.node_rows[code], self.b.gcol[col])}"

    def _node(self, row: int, code: str, title: str, maximum: Decimal, style: str) -> None:
        """An area's or criterion's row (from the run's row memo, the file's total put in)."""
        place = self.b.keep(PlaceKey(PlaceKind.APPROVED_NODE_SCORE, code), (SHEET, row, self.c["score"]))
        self.b.memo_row((SHEET, "node", code, row, style), (SHEET, row), None,
                        lambda: self._build_node(row, code, title, maximum, style),
                        RowValues(((place, "cached", self.node_score(code)),)))

    def node_score(self, code: str) -> Decimal:
        """An area's or criterion's total."""
        return self.b.ev.nodes.get(code, Decimal(0))

    def _build_node(self, row: int, code: str, title: str, maximum: Decimal, style: str) -> None:
        c = self.c
        self.put(row, c["code"], value=code, style=style)
        self.line(row, c["title"], c["title_end"], style, title)
        self.put(row, c["max"], value=maximum, style=style + "_number")
        formula = self.b._static("pl2_node", code, row, lambda: self._score_ref(code))
        self.put(row, c["score"], formula=formula, cached=self.node_score(code), style=style + "_number")
        self.put(row, c["note"], style=style)
        self.b.fit(SHEET, row, [(code, self.widths[c["code"]], SIZE, True), (title, self.title_width, SIZE, True)],
                   always=True)

    def _leaf(self, row: int, leaf: Criterion, style: str) -> None:
        # (from the run's row memo, the file's score and note put in)
        values = () if leaf.scored_by == "district" else (
            (self.b.keep(PlaceKey(PlaceKind.APPROVED_LEAF_SCORE, leaf.code), (SHEET, row, self.c["score"])), "cached",
             self._leaf_score(leaf)),
            (self.b.keep(PlaceKey(PlaceKind.APPROVED_NOTE, leaf.code), (SHEET, row, self.c["note"])), "cached",
             self._leaf_note(leaf)))
        self.b.memo_row((SHEET, leaf.code, row, style), (SHEET, row), None, lambda: self._build_leaf(row, leaf, style),
                        RowValues(values))

    def _leaf_score(self, leaf: Criterion) -> Decimal | str:
        """A leaf row's score: a blank or text score prints blank, as the grid shows it; the total counts it as 0."""
        score = self.b.ev.leaves[leaf.code].score
        return "" if score is None else score

    def _leaf_note(self, leaf: Criterion) -> str:
        result, declared = self.b.ev.leaves[leaf.code], self.b.declared.leaves.get(leaf.code)
        t = self.t
        return (f"{result.evidence_count}{t['evidence_count']}" if result.evidence_count
                else t["explained"] if declared and declared.explanation else "")

    def _build_leaf(self, row: int, leaf: Criterion, style: str) -> None:
        t, c = self.t, self.c
        bold = style != "pl2_sub"
        self.put(row, c["code"], value=leaf.code, style=style)
        self.line(row, c["title"], c["title_end"], style, leaf.title)
        self.put(row, c["max"], value=leaf.max, style=style + "_number")
        texts: list[tuple[Any, float, float, bool]] = [(leaf.code, self.widths[c["code"]], SIZE, bold),
                                                      (leaf.title, self.title_width, SIZE, bold)]
        if leaf.scored_by == "district":
            self.put(row, c["score"], style="pl2_district")
            self.put(row, c["note"], value=t["district_mark"], style="pl2_district")
        else:
            score_formula, note_formula = self.b._static("pl2_leaf", leaf.code, row, lambda: self._leaf_formulas(leaf))
            self.put(row, c["score"], formula=score_formula, cached=self._leaf_score(leaf), style=style + "_number")
            self.put(row, c["note"], formula=note_formula, cached=self._leaf_note(leaf), style="pl2_cell")
            texts.append((t["explained"], self.widths[c["note"]], SIZE, False))
        self.b.fit(SHEET, row, texts, always=True)

    def _leaf_formulas(self, leaf: Criterion) -> tuple[str, str]:
        """A leaf row's score and note formulas (the set's and the round's only)."""
        t = self.t
        refs = self.b.layout.leaves[leaf.code]
        grid = self.b.layout.quoted("grid")
        score, count, why = (f"{grid}!{refs.score}", f"{grid}!{refs.evidence}", f"{grid}!{refs.explanation}")
        return (f'IF(ISNUMBER({score}),{score},"")',
                f'IF(N({count})>0,{count}&{_quote(t["evidence_count"])},IF(LEN({why})>0,{_quote(t["explained"])},""))')

    # -- II. explanations, III. difficulties and recommendations ---------------------------------
    def _explanations(self, row: int) -> int:
        t, b = self.t, self.b
        self.line(row, 0, self.last, "pl2_part", t["part_explanations"])
        self.fit(row, t["part_explanations"], 0, self.last, bold=True)
        row += 1
        code_header, text_header = t["explanation_header"]
        self.put(row, 0, value=code_header, style="pl2_header")
        self.line(row, 1, self.last, "pl2_header", text_header)
        row += 1
        for leaf in b.cset.commune_leaves():
            text = self.explanation(leaf.code)
            place = b.keep(PlaceKey(PlaceKind.APPROVED_EXPLANATION, leaf.code), (SHEET, row, 1))
            # (from the run's row memo, the file's text put in and the row fitted to it)
            values = (RowValues(((place, "cached", self.explanation_shown(text)),),
                                self._explanation_fit(text), always=True) if type(text) is str else None)
            b.memo_row((SHEET, "explanation", leaf.code, row, None if values is not None else text),
                       (SHEET, row), None, lambda leaf=leaf, row=row, text=text: self._explanation(leaf, row, text),
                       values)
            row += 1
        return row

    def _explanation(self, leaf: Criterion, row: int, text: str) -> None:
        formula = self.b._static("pl2_explanation", leaf.code, row, lambda: self._explanation_formula(leaf))
        self.put(row, 0, value=leaf.code, style="pl2_cell")
        self.line(row, 1, self.last, "pl2_cell", formula=formula, cached=self.explanation_shown(text))
        self.b.fit(SHEET, row, list(self._explanation_fit(text)), always=True)

    def explanation(self, code: str) -> str:
        """An item's explanation as declared ("": none)."""
        declared = self.b.declared.leaves.get(code)
        return declared.explanation if declared and declared.explanation else ""

    def explanation_shown(self, text: str) -> str:
        """What the report shows of an item's explanation (`text`, as `explanation` gives it)."""
        return text or self.t["no_explanation"]

    def _explanation_fit(self, text: str) -> tuple[tuple[Any, float, float, bool], ...]:
        return ((text or "-", self.span(1, self.last), SIZE, False),)

    def _explanation_formula(self, leaf: Criterion) -> str:
        why = f"{self.b.layout.quoted('grid')}!{self.b.layout.leaves[leaf.code].explanation}"
        return f'IF(LEN({why})>0,{why},{_quote(self.t["no_explanation"])})'

    def _issues(self, row: int) -> int:
        t, b = self.t, self.b
        self.line(row, 0, self.last, "pl2_part", t["part_issues"])
        self.fit(row, t["part_issues"], 0, self.last, bold=True)
        row += 1
        for label, name, declared, kind in (
                (t["difficulties"], "KHO_KHAN", b.declared.difficulties, PlaceKind.APPROVED_DIFFICULTIES),
                (t["recommendations"], "KIEN_NGHI", b.declared.recommendations, PlaceKind.APPROVED_RECOMMENDATIONS)):
            ref = b.layout.names[name]
            self.line(row, 0, self.last, "pl2_part", label)
            self.line(row + 1, 0, self.last, "pl2_para", formula=f'IF(LEN({ref})>0,{ref},{_quote(t["none"])})',
                      cached=self.issue_shown(declared), key=PlaceKey(kind))
            b.fit(SHEET, row + 1, list(self.issue_fit(declared)), always=True)
            row += 2
        return row

    def issue_shown(self, text: str) -> str:
        """What the report shows of the declared difficulties or recommendations."""
        return text or self.t["none"]

    def issue_fit(self, text: str) -> tuple[tuple[Any, float, float, bool], ...]:
        """The texts the row showing the declared difficulties or recommendations is fitted to (always)."""
        return ((self.issue_shown(text), self.span(0, self.last), SIZE, False),)

    # -- the signature block ---------------------------------------------------------------------
    def _signature(self, row: int) -> int:
        t, b = self.t, self.b
        left, right = self.c["title"], self.c["title_end"]
        self.put(row, 0, value=t["recipients"], style="pl2_recipients")
        b.merge(SHEET, row, 0, left, last_row=row + 2)
        self.line(row, right, self.last, "pl2_center_bold", t["sign_for"])
        self.line(row + 1, right, self.last, "pl2_center_bold", t["sign_title"])
        self.line(row + 2, right, self.last, "pl2_center_italic", t["sign_note"])
        for r in range(row, row + 3):
            b.set_height(SHEET, r, 18.0)
        # room for the signature and the seal (about 4 cm), then the line for the chairman's name
        for r in range(row + 3, row + 3 + int(t["sign_room"])):
            b.set_height(SHEET, r, 18.0)
        self.sign_row = row
        return row + 3 + int(t["sign_room"])

    def _register_entry(self) -> None:
        """The evidence register names the approval document as its one fixed entry."""
        text = self.b.t["register"]["approval_entry"].format(file=self.b.t["register"]["approval_file"])
        self.b.put("register", 2, 0, value=text, style="note")
        last, width = self.b.rspan
        self.b.merge("register", 2, 0, last)
        self.b.fit("register", 2, [(text, width, 11, False)])


def setup_sheet(ws: Worksheet, layout: Layout) -> None:
    """Print: portrait A4, NĐ30 margins, 100 % (fit to the page width only), header rows repeated, page
    numbers x/y counted on this sheet alone. The last printed row is the last of the signature block (every
    row of the block has its height set)."""
    t = template("commune").approved
    widths = t.columns.widths
    for i, width in enumerate(widths):
        ws.set_column(i, i, width)
    ws.set_paper(9)
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.set_margins(**{k: v / _INCH for k, v in MARGINS_MM.items()})
    ws.set_footer(t["footer"], {"margin": 0.3})
    ws.set_start_page(1)
    ws.repeat_rows(HEADER_ROW)
    last_row = max(row for sheet, row in layout.row_heights if sheet == SHEET)
    ws.print_area(0, 0, last_row, len(widths) - 1)


def _points(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f").rstrip("0").rstrip(".").replace(".", ",")


