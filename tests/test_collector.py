"""The garbage collector set for the batch commands (cchc_xl/collector.py)."""

from __future__ import annotations

import pytest


def test_a_batch_collects_less_often_and_restores_the_collector() -> None:
    import gc

    from cchc_xl.collector import BATCH_THRESHOLDS, batch_collection

    before = gc.get_threshold()
    with batch_collection():
        assert gc.get_threshold() == BATCH_THRESHOLDS
    assert gc.get_threshold() == before
    with pytest.raises(KeyError), batch_collection():
        raise KeyError("x")
    assert gc.get_threshold() == before


def test_a_ranking_pauses_the_collector_and_turns_it_on_again() -> None:
    import gc

    from cchc_xl.collector import collection_paused

    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
