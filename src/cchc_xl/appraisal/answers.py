"""The commune's answer workbook (bảng giải trình) of the explanation round: layout, writing, reading.

After round 1 each commune whose appraised scores differ from its self-assessment receives one: per changed
item its self score, the appraised score and the council's reason, then its answer (Đồng ý / Giải trình,
a list validation), its explanation and a status formula; a second sheet is an evidence register of the
self-assessment's shape (TLKC) for the documents it adds. It is built on the appraisal workbook's path
(`AppraisalLayout`, `SheetBuilder`, `AppraisalWorkbookWriter`, its signing) with its own kind and signed keys.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cchc_xl.appraisal.workbook import META_KEYS as APPRAISAL_META_KEYS
from cchc_xl.appraisal.workbook import AppraisalLayout, SheetBuilder, SubmissionView
from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet
from cchc_xl.literals import text as literal_text
from cchc_xl.numbers import fmt
from cchc_xl.reading.book import Book
from cchc_xl.safeio import output_stem
from cchc_xl.scoring import blank_text, excel_blank, trimmed_text
from cchc_xl.store_records import RequestItem
from cchc_xl.templates import template
from cchc_xl.workbook.layout import (
    Merge,
    RangeValidation,
    Validation,
    fit_row,
    register_check,
    register_check_formula,
    register_columns,
    status_chain,
)

KIND = "answer"
META_KEYS = (*APPRAISAL_META_KEYS, "round_id", "appraisal_id", "request_id", "deadline")
AGREE, EXPLAIN = "agree", "explain"


@dataclass(frozen=True)
class ChangedItem:
    """An item of the round-1 appraisal that the commune answers."""

    criterion: str
    self_points: Decimal | None
    appraised: Decimal | None
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"criterion": self.criterion, "self_points": None if self.self_points is None else str(self.self_points),
                "appraised": None if self.appraised is None else str(self.appraised), "reason": self.reason}

    @classmethod
    def from_record(cls, item: RequestItem) -> ChangedItem:
        """The item as the store gives it back (answer_requests.items_json)."""
        return cls(item.criterion, item.self_points, item.appraised, item.reason)


@dataclass
class AnswerLayout(AppraisalLayout):
    """The answer workbook: `items` maps each changed item to (row, answer column)."""

    changed: list[ChangedItem] = field(default_factory=list)
    explanation_col: int = 0
    person_cell: tuple[int, int] = (0, 0)
    register_rows: tuple[int, int] = (0, 0)  # 0-based first and last input rows of the register sheet


def answer_status(answer: str, explanation: str) -> str:
    """The row's status key, as its formula computes it (Excel compares texts without regard to case)."""
    texts = template("answer").answers
    if answer == "":
        return "missing"
    folded = answer.casefold()
    if folded not in (texts["agree"].casefold(), texts["explain"].casefold()):
        return "invalid"
    if folded == texts["explain"].casefold() and blank_text(explanation):
        return "explanation_missing"
    return "ok"


def answer_key(answer: str) -> str | None:
    """AGREE, EXPLAIN, or None for anything else."""
    texts = template("answer").answers
    folded = answer.casefold()
    return AGREE if folded == texts["agree"].casefold() else EXPLAIN if folded == texts["explain"].casefold() else None


class _AnswerBuilder(SheetBuilder):
    def __init__(self, cset: CriteriaSet, commune: Commune, sub: SubmissionView, changed: list[ChangedItem],
                 deadline: dt.date, appraised_at: str, total: Decimal | None):
        t = template("answer")
        super().__init__(AnswerLayout(cset, commune, sub, dict(t["sheets"]), changed=changed), t)
        self.cset, self.commune, self.deadline, self.appraised_at, self.total = cset, commune, deadline, appraised_at, total
        self.lay.explanation_col = self.col["explanation"]
        self.rcol = register_columns(t)

    def build(self) -> AnswerLayout:
        t, c, lay = self.t, self.commune, self.lay
        first, last = next(iter(self.col)), t["last_printed"]
        table_width = sum(c.width for c in t.columns.values() if c.printed)
        self.put(0, 0, value=t["title"].format(year=self.cset.year), style="title")
        subtitle = t["subtitle"].format(committee=c.committee, set_title=self.cset.title, version=self.cset.version,
                                        appraised=_date_text(self.appraised_at))
        for row, text, style in ((1, subtitle, "subtitle_wrap"), (2, t["instructions"], "note"),
                                 (3, t["deadline_line"].format(deadline=f"{self.deadline:%d/%m/%Y}"), "label")):
            self.put(row, 0, value=text, style=style)
            self.merge(row, first, last)
            fit_row(lay.row_heights, row, [(text, table_width, 11, style == "label")])
        self.put(4, 0, value=t["person_label"], style="label")
        self.put(4, self.col["reason"], style="input_text", locked=False, name="NGUOI_TRA_LOI")  # a wide column
        lay.person_cell = (4, self.col["reason"])
        self.put(5, 0, value=t["code_label"], style="label")
        self.put(5, 2, value=c.code, style="code_value", name="MA_DON_VI")
        header = t["first_row"] - 1
        lay.header_row, lay.print_cols = header, t.columns.last_printed.index + 1
        for key, text in zip(t.columns, t.columns.headers, strict=True):
            self.put(header, self.col[key], value=text, style="header")
            self.fit(header, [(text, key, 11, True)])
        row = header + 1
        leaves = {leaf.code: leaf for leaf in self.cset.leaves()}
        for item in lay.changed:
            leaf = leaves[item.criterion]
            self.item(row, item, leaf.title, leaf.max, leaf.name_key)
            row += 1
        if not lay.changed:
            self.put(row, self.col["title"], value=t["no_changes"], style="note")
            row += 1
        items_range = (f"{lay.quoted('sheet')}!$A${header + 2}:$A${max(row, header + 2)}")
        row += 1
        self.put(row, self.col["title"], value=t["total_label"], style="total_label")
        self.put(row, self.col["appraised"], value=self.total, style="total_number")
        for i, text in enumerate(t["signature"]):
            self.put(row + 2 + i, self.col["explanation"], value=text, style="report_bold" if i < 2 else "report_italic")
            self.merge(row + 2 + i, "explanation", last)
        lay.last_row = row + 2 + len(t["signature"]) + 3  # room to sign
        lay.keep_with_next.update(range(row, lay.last_row))  # the total and the signature on one page
        self.register(items_range)
        return lay

    def item(self, row: int, item: ChangedItem, title: str, maximum: Decimal, key: str) -> None:
        col, t = self.col, self.t
        self.put(row, col["code"], value=item.criterion, style="criterion_code")
        self.put(row, col["title"], value=title, style="sub_title")
        self.put(row, col["max"], value=maximum, style="leaf_number")
        self.lay.max_cells[(row, col["max"])] = item.criterion
        self.put(row, col["self"], value=item.self_points, style="leaf_number")
        self.put(row, col["appraised"], value=item.appraised, style="leaf_number")
        self.put(row, col["reason"], value=item.reason or None, style="method")
        self.put(row, col["answer"], style="input_text", locked=False, name=f"TL_{key}")
        self.put(row, col["explanation"], style="input_text", locked=False, name=f"GTR_{key}")
        self.lay.items[item.criterion] = (row, col["answer"])
        h, i = self.ref(row, "answer"), self.ref(row, "explanation")
        agree, explain = (literal_text(t["answers"][k]) for k in ("agree", "explain"))
        checks = [(f'{h}=""', "missing"), (f"AND({h}<>{agree},{h}<>{explain})", "invalid"),
                  (f"AND({h}={explain},{excel_blank(i)})", "explanation_missing")]
        self.put(row, col["status"], formula=status_chain(checks, t["status"]), cached=t["status"]["missing"],
                 style="status")
        v = t["validation"]
        self.lay.validations.append(RangeValidation("sheet", row, col["answer"], row, col["answer"], Validation(
            "list", source=f'"{t["answers"]["agree"]},{t["answers"]["explain"]}"', title=v["answer_title"],
            prompt=v["answer_prompt"], error=v["answer_error"])))
        longest = max(t["status"].values(), key=len)
        self.fit(row, [(title, "title", 11, False), (item.reason, "reason", 10, False), (longest, "status", 11, False)])
        self.lay.row_heights[row] = max(self.lay.row_heights.get(row, 0), 45)  # room to write an explanation

    def register(self, codes_range: str) -> None:
        r, cols, lay = self.t["register"], self.rcol, self.lay
        widths = r.columns.widths

        def put(row: int, col: int, **kw: Any) -> None:
            self.put(row, col, sheet="register", **kw)

        put(0, 0, value=r["title"], style="title")
        put(1, 0, value=r["note"], style="note")
        lay.merges.append(Merge("register", 1, 0, 1, len(cols) - 1))
        fit_row(lay.sheet_heights, ("register", 1), [(r["note"], sum(widths), 11, False)])
        for c in r.columns.values():
            put(3, c.index, value=c.header, style="header")
            fit_row(lay.sheet_heights, ("register", 3), [(c.header, c.width, 11, True)])
        first = r["first_row"] - 1
        last = first + r["rows"] - 1
        lay.register_rows = (first, last)
        styles = {key: f"input_{kind}" for key, kind in r.columns.inputs.items()}
        for row in range(first, last + 1):
            for key, style in styles.items():
                put(row, cols[key], style=style, locked=False)
            put(row, cols["check"], formula=register_check_formula(row, cols, codes_range, r["check"]),
                cached=register_check((), set(), r["check"]), style="check")
        v = self.t["validation"]
        lay.validations.append(RangeValidation("register", first, cols["code"], last, cols["code"], Validation(
            "list", source=codes_range, title=v["code_title"], prompt=v["code_prompt"], error=v["code_error"])))
        lay.validations.append(RangeValidation("register", first, cols["date"], last, cols["date"], Validation(
            "date", minimum=dt.date(1990, 1, 1), maximum=dt.date(2100, 12, 31), title=v["date_title"],
            prompt=v["date_prompt"], error=v["date_error"])))


def build_answer_layout(cset: CriteriaSet, commune: Commune, sub: SubmissionView, changed: list[ChangedItem],
                        deadline: dt.date, appraised_at: str, total: Decimal | None) -> AnswerLayout:
    return _AnswerBuilder(cset, commune, sub, changed, deadline, appraised_at, total).build()


def answer_file_name(commune: Commune) -> str:
    return f"{output_stem(commune.code, commune.name)}{template('answer').file_suffix}.xlsx"


@dataclass
class AnswerInputs:
    """What the commune typed: per item (answer as typed, explanation), the person, the register rows."""

    answers: dict[str, tuple[str, str]] = field(default_factory=dict)
    person: str = ""


def read_answer_inputs(book: Book, lay: AnswerLayout) -> AnswerInputs:
    """The commune's inputs at the layout's cells (never where a defined name in the file points)."""
    sheet = lay.sheets["sheet"]

    def text(row: int, col: int) -> str:
        value = book.value(sheet, row, col)
        if value is None or isinstance(value, bool):
            return ""
        return unicodedata.normalize("NFC", fmt(value) if isinstance(value, Decimal) else str(value))

    out = AnswerInputs()
    for code, (row, col) in lay.items.items():
        out.answers[code] = (text(row, col), trimmed_text(text(row, lay.explanation_col)))
    out.person = text(*lay.person_cell).strip()
    return out


def _date_text(iso: str) -> str:
    try:
        return f"{dt.datetime.fromisoformat(iso):%d/%m/%Y}"
    except ValueError:
        return iso
