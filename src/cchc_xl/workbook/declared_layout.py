"""A feedback workbook's layout from the set's blank template (a fast path of `layout.build_layout`).

The import writes a feedback workbook for most returns. Its layout is the commune's workbook with the file's
values, which `build_layout` makes by building every row anew. Here the commune's blank layout
(`LayoutTemplate.layout`) is taken whole and only the cells that hold the file's values, or results
computed from them, are set, using the builder's own helpers for each (`_Builder._leaf_values`,
`_leaf_fit`, `ApprovedReport._leaf_score`…). Where those cells are is what the builder recorded while it
built the template: the grid's item rows (`Layout.node_rows`), the register's rows (`register_rows`), and
every other such cell by what it holds (`Layout.value_places`, `PlaceKey`); no row is counted here. The
cells left unchanged stay the template's own objects, which the feedback package recognises by identity.

`feedback_layout` builds the layout whole on any doubt (a template this walk does not know, any exception)
and when `CCHC_XL_FAST_LAYOUT=0`. Equivalence: tests/test_perf_equivalence.py (the layouts, field by field,
against `build_layout_uncached` on three sets and returns of every kind) and tests/test_feedback_package.py
(the workbooks written from them, part by part).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from cchc_xl.communes import Commune
from cchc_xl.criteria.model import CriteriaSet, Criterion
from cchc_xl.identity import NEUTRAL, RoundIdentity
from cchc_xl.scoring import Evaluation, LeafInput
from cchc_xl.workbook.approved_report import ApprovedReport
from cchc_xl.workbook.layout import (
    LAYOUT_SWITCH,
    Declared,
    Layout,
    Place,
    PlaceKind,
    Value,
    _Builder,
    _same,
    _value_key,
    _with,
    build_layout,
    fit_row,
    layout_template,
    workbook_identity,
)

K = PlaceKind

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
    cells to write by identity); validations, merges, names and references are the template's. None when two
    of the template's cells share a place (then the caller builds the layout); an error (the caller too) when
    the template records a kind of value cell this walk does not know."""
    blank = layout_template(cset, identity)
    places = blank.places()
    if places is None:
        return None
    base = blank.base
    b = _Builder(cset, commune, declared, workbook_identity(identity), blank, evaluation)
    ev, node_rows = b.ev, base.node_rows
    values: list[tuple[Place, str, Value]] = []
    fits: list[tuple[tuple[str, int], tuple[tuple[Any, float, float, bool], ...], bool]] = []
    empty = LeafInput()

    def leaf_row(leaf: Criterion, level: str) -> None:
        row, inp = node_rows[leaf.code], declared.leaves.get(leaf.code, empty)
        values.extend(b._leaf_values(leaf, row, inp, ev.leaves[leaf.code]))
        st = b.statics[("leaf", leaf.code, row)]
        fits.append((("grid", row), b._leaf_fit(leaf, level, st, inp.explanation), False))

    # the grid's item rows, where the builder put them
    for area in cset.areas:
        for crit in area.criteria:
            if crit.is_leaf:
                leaf_row(crit, "criterion")
                continue
            for sub in crit.children:
                leaf_row(sub, "sub")
    # the register's filled input rows (the others are the blank's)
    codes = {leaf.code.casefold() for leaf in cset.commune_leaves()}
    first, last = base.register_rows
    for row, raw in zip(range(first, last + 1), declared.register, strict=False):
        values.extend(b.register_values(row, raw, codes))
        fits.append((("register", row), b.register_fit(raw), False))
    # every other cell holding the file's values or their results, at the place the builder recorded for it
    # (`Layout.value_places`): what it holds of this file, by the builder's own helper, and for the cells whose
    # row is fitted to their text, the texts the builder fits the row to (a kind not here: the whole build)
    report = ApprovedReport(b)
    leaf_of = cset.by_code
    tier = b.summary_tier
    held: dict[PlaceKind, tuple[str, Callable[[str], Value]]] = {
        K.GRID_NODE_SCORE: ("cached", lambda code: ev.nodes[code]),
        K.GRID_TOTAL: ("cached", lambda _: ev.total),
        K.GRID_TIER: ("cached", lambda _: b.shown_tier),
        K.REGISTER_PENDING: ("cached", lambda _: b.register_pending(codes)),
        K.SUMMARY_SCORE: ("cached", b.summary_score),
        K.SUMMARY_TOTAL: ("cached", lambda _: ev.total),
        K.SUMMARY_TIER: ("cached", lambda _: tier),
        K.ISSUES_DIFFICULTIES: ("value", lambda _: declared.difficulties or None),
        K.ISSUES_RECOMMENDATIONS: ("value", lambda _: declared.recommendations or None),
        K.APPROVED_NODE_SCORE: ("cached", report.node_score),
        K.APPROVED_LEAF_SCORE: ("cached", lambda code: report._leaf_score(leaf_of[code])),
        K.APPROVED_NOTE: ("cached", lambda code: report._leaf_note(leaf_of[code])),
        K.APPROVED_TOTAL: ("cached", lambda _: ev.total),
        K.APPROVED_EXPLANATION: ("cached", lambda code: report.explanation_shown(report.explanation(code))),
        K.APPROVED_DIFFICULTIES: ("cached", lambda _: report.issue_shown(declared.difficulties)),
        K.APPROVED_RECOMMENDATIONS: ("cached", lambda _: report.issue_shown(declared.recommendations)),
    }
    refit: dict[PlaceKind, Callable[[str], tuple[tuple[Any, float, float, bool], ...]]] = {  # (each fitted always)
        K.SUMMARY_TIER: lambda _: b.summary_tier_fit(tier),
        K.APPROVED_EXPLANATION: lambda code: report._explanation_fit(report.explanation(code)),
        K.APPROVED_DIFFICULTIES: lambda _: report.issue_fit(declared.difficulties),
        K.APPROVED_RECOMMENDATIONS: lambda _: report.issue_fit(declared.recommendations),
    }
    for kind, at in blank.value_kinds.items():
        name, value_of = held[kind]
        fit = refit.get(kind)
        for code, place in at:
            values.append((place, name, value_of(code)))
            if fit is not None:
                fits.append(((place[0], place[1]), fit(code), True))
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
