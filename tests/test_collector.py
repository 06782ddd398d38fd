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


def test_what_a_ranking_made_is_not_walked_again_by_the_next_young_collection() -> None:
    """Objects made while the collector was paused go to its oldest generation when it is turned on again (the
    young generation's next collection would walk them all: a country's results are millions)."""
    import gc

    from cchc_xl.collector import collection_paused

    with collection_paused():
        made = [[i] for i in range(1000)]
    assert gc.isenabled()
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert id(made) in oldest and all(id(item) in oldest for item in made)
    assert gc.get_freeze_count() == 0


def test_objects_frozen_by_someone_else_stay_frozen() -> None:
    import gc

    from cchc_xl.collector import collection_paused

    keep = [[1], [2]]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collection_paused():
            made = [[0]]
        assert gc.get_freeze_count() == frozen and made
    finally:
        gc.unfreeze()
    assert keep
