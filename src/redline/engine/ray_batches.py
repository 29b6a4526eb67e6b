"""CPU batch work (guard verdicts, classifier scores) spread over a Ray cluster with Ray Data.

The driver reads its input as a stream and hands it to Ray Data in chunks; each
chunk becomes a dataset whose batches go through ``map_batches`` on a pool of
worker actors, each holding one instance of the work (a guard, a scorer) built
once from a picklable factory. Results come back in input order, so the output
file lines up with the input file row for row, as with the local path.

Items and results travel as JSON strings: the work is defined on plain records,
and nothing redline-specific has to be pickled between processes but the
factory. This module imports ``ray`` (the ``redline[ray]`` extra).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

import numpy as np
import ray.data

from redline.core import ConfigError
from redline.engine.ray_executor import cluster_cpus, connect

BatchWork = Callable[[list[str]], list[str]]
# Rows per dataset: big enough to keep every worker busy, small enough that the
# driver never holds a large file (peak memory is per chunk, not per file).
CHUNK_ROWS = 20_000
DEFAULT_BATCH_SIZE = 256
ITEM = "item"
RESULT = "result"


class _Worker:
    """One actor's copy of the work, built once from the factory."""

    def __init__(self, make_work: Callable[[], BatchWork]) -> None:
        self.work = make_work()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[str]]:
        items = [str(item) for item in batch[ITEM]]
        results = self.work(items)
        if len(results) != len(items):
            raise RuntimeError(f"batch work returned {len(results)} results for {len(items)}")
        return {RESULT: results}


def map_on_ray(
    items: Iterable[str],
    make_work: Callable[[], BatchWork],
    *,
    address: str | None = None,
    workers: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """``make_work()(batch)`` over every item on the cluster, results in input order.

    ``make_work`` must be picklable (a module-level class or a ``functools.partial``
    of one): it runs on each worker actor. ``workers`` actors are used (default:
    the cluster's CPUs); with no ``address`` a local cluster of ``workers`` CPUs
    is started. ``progress`` gets the number of results delivered so far.
    """
    if batch_size < 1 or chunk_rows < 1:
        raise ConfigError("batch size and chunk rows must be at least 1")
    if workers is not None and workers < 1:
        raise ConfigError(f"ray workers must be at least 1, got {workers}")
    connect(address, workers=workers or 2)
    pool = workers or cluster_cpus()
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    done = 0
    source = iter(items)
    while chunk := list(islice(source, chunk_rows)):
        dataset = ray.data.from_items([{ITEM: item} for item in chunk])
        mapped = dataset.map_batches(
            _Worker,
            fn_constructor_kwargs={"make_work": make_work},
            batch_size=batch_size,
            batch_format="numpy",
            concurrency=min(pool, max(1, len(chunk) // batch_size + 1)),
        )
        row: dict[str, Any]
        for row in mapped.iter_rows():
            yield str(row[RESULT])
            done += 1
            if progress is not None:
                progress(done)
