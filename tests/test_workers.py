"""The worker pool's process settings (the pool itself is tested through the commands:
test_import_jobs.py, test_appraisal_prepare.py)."""

from __future__ import annotations

import pytest


def test_a_batch_collects_less_often_and_restores_the_collector() -> None:
    import gc

    from cchc_xl.workers import BATCH_THRESHOLDS, batch_collection

    before = gc.get_threshold()
    with batch_collection():
        assert gc.get_threshold() == BATCH_THRESHOLDS
    assert gc.get_threshold() == before
    with pytest.raises(KeyError), batch_collection():
        raise KeyError("x")
    assert gc.get_threshold() == before
