"""Python's cyclic garbage collector set for the batch commands: they keep hundreds of thousands of objects
alive in their memos (an import, `appraise prepare`) or millions in their results (the ranking) and make few
garbage cycles, so the collector, which walks every live object at each full collection, is made rarer or
paused while they run, and set back as it was after.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# At Python's default thresholds (700, 10, 10) the collector spent about 5 % of an import walking the memos'
# objects; collected 30 times less often, a batch's memory stays as flat.
BATCH_THRESHOLDS = (20_000, 50, 100)


@contextmanager
def batch_collection() -> Iterator[None]:
    """The collector at BATCH_THRESHOLDS for a batch (and the workers it forks), as it was after."""
    before = gc.get_threshold()
    gc.set_threshold(*BATCH_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextmanager
def collection_paused() -> Iterator[None]:
    """The collector off while a ranking is made (on again after, if it was on): a country's results are
    millions of live objects, which each full collection walks (a quarter of the report's time), and the
    report makes no garbage cycles worth collecting meanwhile.

    Turned on again, the collector's next young collection would walk every object made during the pause
    (they are all still "young": 0.3 s after a country's ranking). They are moved to the oldest generation
    first (`gc.freeze` then `gc.unfreeze`: two list splices), whose collection comes only once it has grown
    by a quarter; cycles among them are collected then. (Not when something else froze objects: unfreezing
    would give back its own.)"""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on and not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
            gc.enable()
