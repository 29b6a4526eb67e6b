"""A stored run with two scorers, and the store its queues go in."""

from __future__ import annotations

import pytest

from redline.store import RunStore
from redline.testing.synthetic_runs import write_synthetic_run

RUN_A = "20260101-000000-aaaaaa"
RUN_B = "20260102-000000-bbbbbb"


@pytest.fixture
def runs_dir(tmp_path):
    store = RunStore(tmp_path / "runs")
    write_synthetic_run(store, run_id=RUN_A, attempts=90)
    write_synthetic_run(store, run_id=RUN_B, attempts=90, target="openai:other")
    return store.root


@pytest.fixture
def run_a(runs_dir):
    handle = RunStore(runs_dir).open(RUN_A)
    return handle.read_attempts(), handle.read_scores()
