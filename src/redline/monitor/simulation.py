"""A simulated traffic log with a known burst, for measuring detection.

Benign prompts arrive at a steady rate; from ``burst_start`` for ``burst_length``
a share of the traffic is replaced by attack prompts. Each record carries
``"burst": true/false`` so detection delay and AUROC can be computed against the
truth. The texts come from the caller (``bench/monitor_quality.py`` and the tests
read them from the public data sets in ``../shared/data``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np


@dataclass(frozen=True)
class StreamPlan:
    """The shape of a simulated stream."""

    start: datetime
    duration: timedelta
    per_minute: float
    burst_start: timedelta | None = None
    burst_length: timedelta = timedelta(hours=1)
    burst_share: float = 0.2
    seed: int = 0


def simulated_stream(
    benign: Sequence[str], attacks: Sequence[str], plan: StreamPlan
) -> list[dict[str, Any]]:
    """Chat records (``id``, ``timestamp``, ``prompt``, ``burst``) in time order."""
    rng = np.random.default_rng(plan.seed)
    count = int(plan.duration.total_seconds() / 60 * plan.per_minute)
    offsets = np.sort(rng.uniform(0, plan.duration.total_seconds(), size=count))
    records = []
    for index, offset in enumerate(offsets):
        at = timedelta(seconds=float(offset))
        in_burst = (
            plan.burst_start is not None
            and plan.burst_start <= at < plan.burst_start + plan.burst_length
            and rng.random() < plan.burst_share
        )
        pool = attacks if in_burst else benign
        records.append(
            {
                "id": f"sim-{plan.seed}-{index}",
                "timestamp": (plan.start + at).isoformat(),
                "prompt": pool[int(rng.integers(len(pool)))],
                "burst": bool(in_burst),
            }
        )
    return records
