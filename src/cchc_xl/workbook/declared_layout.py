"""A feedback workbook's layout from the set's blank template (a fast path of `layout.build_layout`).

The import writes a feedback workbook for most returns. Its layout is the commune's workbook with the file's
values, which `build_layout` makes by building every row anew. Here the commune's blank layout
(`LayoutTemplate.layout`) is taken whole and only the cells that hold the file's values, or results
computed from them, are set, using the builder's own helpers for each (`_Builder._leaf_values`,
`_leaf_fit`, `ApprovedReport._leaf_score`…). The cells left unchanged stay the template's own objects, which
the feedback package recognises by identity.

`feedback_layout` builds the layout whole on any doubt (a template this walk does not know, any exception)
and when `CCHC_XL_FAST_LAYOUT=0`. Equivalence: tests/test_perf_equivalence.py (the layouts, field by field,
against `build_layout_uncached` on three sets and returns of every kind) and tests/test_feedback_package.py
(the workbooks written from them, part by part).
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet, Criterion
from cchc_xl.identity import NEUTRAL, RoundIdentity
from cchc_xl.scoring import Evaluation, LeafInput
from cchc_xl.workbook.approved_report import HEADER_ROW, SIZE, ApprovedReport
from cchc_xl.workbook.layout import (
    LAYOUT_SWITCH,
    REGISTER_FIELDS,
    SUMMARY_HEADER_ROW,
    Declared,
    Layout,
    Place,
    Value,
    _Builder,
    _same,
    _value_key,
    _with,
    build_layout,
    fit_row,
    layout_template,
    register_check,
    tier_shown,
    workbook_identity,
)

_MADE_BOUND = 16384  # declared_layout's cells kept (a run's recurring values; memory bounded)


def feedback_layout(cset: CriteriaSet, commune: Commune, declared: Declared, identity: RoundIdentity = NEUTRAL,
                    evaluation: Evaluation | None = None) -> Layout:
    """`build_layout(cset, commune, declared, identity)`, for a feedback workbook: the set's blank layout with
    the cells that hold the file's values put in (`declared_layout`), the whole layout built on any doubt
    (and with CCHC_XL_FAST_LAYOUT=0). `evaluation`: `evaluate(cset, declared.leaves, declared.register_codes())`,
    when the caller has it."""
    if os.environ.get(LAYOUT_SWITCH, "1") != "0":
        try:
            got = declared_layout(cset, commune, declared, identity, evaluation)
        except Exception:  # (any doubt: the plain build below)
            got = None
        if got is not None:
            return got
    return build_layout(cset, commune, declared, identity)


def declared_layout(cset: CriteriaSet, commune: Commune, declared: Declared, identity: RoundIdentity = NEUTRAL,
                    evaluation: Evaluation | None = None) -> Layout | None:
    """The layout `build_layout` gives a return, made from the set's blank template without building one
    row: the commune's texts, then each cell whose value or result comes from the file's inputs (the items'
    inputs and results, the totals, the register's filled rows, the difficulties and recommendations, and
    their twins on the summary and Phụ lục 2 sheets) set as the builder sets it, and the rows fitted to the
    file's texts fitted again. Every other cell is the template's own object (a feedback workbook tells the
    cells to write by identity); validations, merges, names and references are the template's. None when the
    template is not of the shape this walk knows (then the caller builds the layout)."""
    blank = layout_template(cset, identity)
    places = blank.places()
    if places is None:
        return None
    base = blank.base
    b = _Builder(cset, commune, declared, workbook_identity(identity), blank, evaluation)
    ev, t, cols, node_rows = b.ev, b.t, b.gcol, base.node_rows
    values: list[tuple[Place, str, Value]] = []
    fits: list[tuple[tuple[str, int], tuple[tuple[Any, float, float, bool], ...], bool]] = []
    empty = LeafInput()

    def leaf_row(leaf: Criterion, level: str) -> None:
        row, inp = node_rows[leaf.code], declared.leaves.get(leaf.code, empty)
        values.extend(b._leaf_values(leaf, row, inp, ev.leaves[leaf.code]))
        st = b.statics[("leaf", leaf.code, row)]
        fits.append((("grid", row), b._leaf_fit(leaf, level, st, inp.explanation), False))

    # the grid: the items' rows, the areas' and criteria's totals, the total and its tier
    partial = cset.body_max > 0
    for area in cset.areas:
        values.append((("grid", node_rows[area.code], cols["score"]), "cached", ev.nodes[area.code]))
        for crit in area.criteria:
            if crit.is_leaf:
                leaf_row(crit, "criterion")
                continue
            values.append((("grid", node_rows[crit.code], cols["score"]), "cached", ev.nodes[crit.code]))
            for sub in crit.children:
                leaf_row(sub, "sub")
    total = base.cells[blank.index.named["TONG_DIEM"]]
    values.append((("grid", total.row, total.col), "cached", ev.total))
    if not partial:
        values.append((("grid", total.row + 1, total.col), "cached", b.shown_tier))
    # the register's filled rows (the others are the blank's) and its count of rows to complete
    r, rcol = t["register"], b.rcol
    styles = {key: f"input_{kind}" for key, kind in r.columns.inputs.items()}
    texts = r["check"]
    codes = {c.casefold() for c in (leaf.code for leaf in cset.commune_leaves())}
    first, _ = base.register_rows
    for i, raw in enumerate(declared.register[: r["rows"]]):
        row = first + i
        fitted = []
        for j, key in enumerate(REGISTER_FIELDS):
            value = raw[j] if j < len(raw) else None
            values.append((("register", row, rcol[key]), "value", value if value != "" else None))
            if isinstance(value, str) and styles[key] == "input_text":
                fitted.append((value, b.rwidth[key], 11, False))
        values.append((("register", row, rcol["check"]), "cached", register_check(raw, codes, texts)))
        fits.append((("register", row), tuple(fitted), False))
    pending = sum(1 for raw in declared.register if register_check(raw, codes, texts))
    values.append((("register", 0, rcol["files"]), "cached", r["pending"].format(n=pending) if pending else ""))
    # the summary: each area's and criterion's score (unless the body scores all of it), the total, the tier
    s = t["summary"]
    widths = s.columns.widths
    row = SUMMARY_HEADER_ROW + 1
    for area in cset.areas:
        for node in (area, *area.criteria):
            leaf_result = ev.leaves.get(node.code)
            cached = (leaf_result.score if leaf_result else ev.nodes.get(node.code)) or Decimal(0)
            body_points = b.statics[("summary_body", node.code, row)]
            if body_points != node.max:
                values.append((("summary", row, 3), "cached", cached))
            row += 1
    values.append((("summary", row, 3), "cached", ev.total))
    tier_cached = tier_shown(cset, b.shown_tier, b.layout.identity)
    values.append((("summary", row + 1, 3), "cached", tier_cached))
    if partial:
        fits.append((("summary", row + 1), ((tier_cached, widths[3] + widths[4], 13, True),
                                            (s["tier_label"], widths[1], 13, True)), True))
    # the difficulties and recommendations
    values.append((("issues", 3, 0), "value", declared.difficulties or None))
    values.append((("issues", 6, 0), "value", declared.recommendations or None))
    # Phụ lục 2: the table's scores and notes, the total, the explanations, the difficulties and recommendations
    report = ApprovedReport(b)
    pc = report.c
    row = HEADER_ROW + 1
    for area in cset.areas:
        nodes: list[tuple[Criterion, bool]] = [(area, False)]
        for crit in area.criteria:
            nodes += [(crit, True)] if crit.is_leaf else [(crit, False), *((sub, True) for sub in crit.children)]
        for node, is_leaf in nodes:
            if not is_leaf:
                values.append((("approved", row, pc["score"]), "cached", ev.nodes.get(node.code, Decimal(0))))
            elif node.scored_by != "district":
                values.append((("approved", row, pc["score"]), "cached", report._leaf_score(node)))
                values.append((("approved", row, pc["note"]), "cached", report._leaf_note(node)))
            row += 1
    values.append((("approved", row, pc["score"]), "cached", ev.total))
    row += 5  # (the total's note, a blank row, the part's title and the explanations' header)
    for leaf in cset.commune_leaves():
        d = declared.leaves.get(leaf.code)
        text = d.explanation if d and d.explanation else ""
        values.append((("approved", row, 1), "cached", text or report.t["no_explanation"]))
        fits.append((("approved", row), report._explanation_fit(text), True))
        row += 1
    row += 2  # (a blank row, the part's title)
    for text in (declared.difficulties, declared.recommendations):
        values.append((("approved", row + 1, 0), "cached", text or report.t["none"]))
        fits.append((("approved", row + 1), ((text or report.t["none"], report.span(0, report.last), SIZE, False),),
                     True))
        row += 2
    # the cells: the commune's blank layout's, those that differ from it replaced (a value met before in a
    # cell, by an earlier file of the run, by the same object: values recur, and so do their cells' XML)
    cells = list(blank.layout(commune).cells)
    made, own = blank.made, base.cells
    for place, name, value in values:
        i = places.get(place)
        if i is None:
            return None
        cell = cells[i]
        if _same(getattr(cell, name), value):
            continue
        if cell is not own[i]:  # (a commune's text: its own cell)
            cells[i] = _with(cell, name, value)
            continue
        key = (i, name, _value_key(value))
        got = made.get(key)
        if got is None:
            if len(made) >= _MADE_BOUND:
                made.clear()
            got = made[key] = _with(cell, name, value)
        cells[i] = got
    # the rows fitted to the file's texts, each as the builder fits it (alone: no other text is fitted there)
    heights = dict(base.row_heights)
    for key, fit, always in fits:
        fitted: dict[Any, float] = {}
        fit_row(fitted, key, list(fit), always)
        if key in fitted:
            heights[key] = fitted[key]
        else:
            heights.pop(key, None)
    return Layout(cset=base.cset, commune=commune, sheets=base.sheets, cells=cells, validations=base.validations,
                  leaves=base.leaves, node_rows=base.node_rows, names=base.names, register_rows=base.register_rows,
                  evaluation=ev, merges=base.merges, row_heights=heights, identity=base.identity,
                  value_places=base.value_places, _index=blank.index)
