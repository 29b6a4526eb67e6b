"""`redline guard scan --executor ray`: the guard over a large file on a Ray cluster.

Each worker actor builds the guard once from the policy's text (so a policy file
need not exist on the cluster's machines) and checks batches of rows; verdicts
come back in file order and are the same records the local scan writes. This
module imports ``ray`` (the ``redline[ray]`` extra).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from redline.engine.ray_batches import BatchWork, map_on_ray
from redline.guard.input_rows import GuardRow, Side, check_row_batch, verdict_record
from redline.guard.pipeline import Guard
from redline.guard.policy import parse_policy


@dataclass(frozen=True)
class GuardRowWork:
    """Picklable recipe for one worker's guard: the policy text (None: the default)."""

    policy_text: str | None
    side: Side

    def __call__(self) -> BatchWork:
        guard = Guard(parse_policy(self.policy_text)) if self.policy_text else Guard.default()

        def check(lines: list[str]) -> list[str]:
            rows = [GuardRow(**json.loads(raw)) for raw in lines]
            verdicts = check_row_batch(guard, rows, self.side)
            return [
                json.dumps(verdict_record(row, verdict), ensure_ascii=False)
                for row, verdict in zip(rows, verdicts, strict=True)
            ]

        return check


def scan_rows_on_ray(
    rows: Iterable[GuardRow],
    *,
    side: Side,
    policy_text: str | None,
    address: str | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """The verdict record of every row, in order, checked on the cluster."""
    items = (json.dumps(asdict(row), ensure_ascii=False) for row in rows)
    work = GuardRowWork(policy_text=policy_text, side=side)
    for result in map_on_ray(items, work, address=address, workers=workers, progress=progress):
        record: dict[str, Any] = json.loads(result)
        yield record
