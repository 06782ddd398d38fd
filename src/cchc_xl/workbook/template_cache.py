"""Memos for the layout builder: a commune's workbook measures the same few thousand texts (titles,
methods, headers, typical explanations) as every other commune's, so their line counts are kept.

Fast-path machinery: `text_lines` is a pure function of its arguments, so a memo gives the same answers;
the memo is bounded (cleared when full) so a long run keeps memory flat, and `CCHC_XL_FAST_LAYOUT=0`
turns it off (and `appraise prepare`'s run memo, `appraisal.workbook.LayoutMemo`).
"""

from __future__ import annotations

import os
from collections.abc import Callable

SWITCH = "CCHC_XL_FAST_LAYOUT"
_BOUND = 65536

LineCount = Callable[[str, float, float, bool], int]


def memoized_lines(measure: LineCount) -> LineCount:
    """`measure` with a bounded memo (or `measure` itself when the switch is off)."""
    if os.environ.get(SWITCH, "1") == "0":
        return measure
    memo: dict[tuple[str, float, float, bool], int] = {}

    def lines(text: str, width: float, size: float = 11, bold: bool = False) -> int:
        key = (text, width, size, bold)
        found = memo.get(key)
        if found is None:
            if len(memo) >= _BOUND:
                memo.clear()
            found = memo[key] = measure(text, width, size, bold)
        return found

    return lines


Heights = Callable[[tuple[tuple[object, float, float, bool], ...], bool], float]


def memoized_heights(measure: Heights) -> Heights:
    """`measure` (a row's height for its texts) with a bounded memo, off with the switch as above: a row's
    texts are mostly the set's own (titles, methods, statuses), the same in every commune's layout."""
    if os.environ.get(SWITCH, "1") == "0":
        return measure
    memo: dict[tuple[tuple[tuple[object, float, float, bool], ...], bool], float] = {}

    def height(texts: tuple[tuple[object, float, float, bool], ...], always: bool) -> float:
        key = (texts, always)
        found = memo.get(key)
        if found is None:
            if len(memo) >= _BOUND:
                memo.clear()
            found = memo[key] = measure(texts, always)
        return found

    return height


def typed(value: object) -> tuple[type, object]:
    """A value as a memo key: of its type too (1, True and Decimal("1") are equal, but not written alike)."""
    return type(value), value
