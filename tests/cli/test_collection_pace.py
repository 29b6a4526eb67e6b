"""`fewer_collections`: the garbage collector's pace while a scan runs, restored after."""

from __future__ import annotations

import gc

import pytest

from redline.cli.collection_pace import YOUNG_THRESHOLD, fewer_collections


def test_fewer_collections_sets_and_restores_the_thresholds_and_the_freeze() -> None:
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    with fewer_collections():
        assert gc.get_threshold() == (max(YOUNG_THRESHOLD, before[0]), *before[1:])
        assert gc.get_freeze_count() > frozen_before
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_fewer_collections_restores_after_an_error() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections(young_threshold=12_345):
        assert gc.get_threshold()[0] == max(12_345, before[0])
        raise RuntimeError("boom")
    assert gc.get_threshold() == before
