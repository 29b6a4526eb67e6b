"""`redline score --executor ray`: a CPU scorer over a large records file on a Ray cluster.

Each worker actor builds the scorer once (``build_scorer(name)``) and scores
batches of records with ``score_many``; scores come back in input order. LLM
judges are network-bound and stay on the local async path (``--concurrency``).
This module imports ``ray`` (the ``redline[ray]`` extra).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from redline.core import Score
from redline.engine.ray_batches import BatchWork, map_on_ray
from redline.scoring import build_scorer
from redline.scoring.calibration import record_attempt


@dataclass(frozen=True)
class ScorerWork:
    """Picklable recipe for one worker's scorer."""

    scorer: str

    def __call__(self) -> BatchWork:
        scorer = build_scorer(self.scorer)
        score_many = getattr(scorer, "score_many", None)

        def score(items: list[str]) -> list[str]:
            attempts = [
                record_attempt(entry["record"], index=entry["index"])
                for entry in map(json.loads, items)
            ]
            if score_many is not None:
                scores: list[Score] = list(score_many(attempts))
            else:
                scores = [scorer.score(a) for a in attempts]
            return [s.model_dump_json() for s in scores]

        return score


def score_records_on_ray(
    scorer: str,
    records: Sequence[dict[str, Any]],
    *,
    address: str | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Score]:
    """``scorer``'s score for each record, in order, computed on the cluster."""
    items = (
        json.dumps({"index": index, "record": record}, ensure_ascii=False)
        for index, record in enumerate(records)
    )
    for result in map_on_ray(
        items, ScorerWork(scorer), address=address, workers=workers, progress=progress
    ):
        yield Score.model_validate_json(result)
