"""Splitting a sample size over strata in proportion to their sizes."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TypeVar

K = TypeVar("K", bound=str | tuple[str, ...])


def allocate(
    sizes: Mapping[K, int], total: int, *, rng: random.Random, at_least_one: bool = False
) -> dict[K, int]:
    """Split ``total`` over groups in proportion to their ``sizes`` (largest remainder).

    No group gets more than its size, and ``total`` is capped at their sum.
    Remainder ties are broken by ``rng`` (drawn in sorted key order, so the
    result does not depend on dict order). With ``at_least_one``, every
    non-empty group gets one first when ``total`` allows, so a small stratum
    is never left out of a sample; the rest is split in proportion.
    """
    whole = sum(sizes.values())
    total = min(total, whole)
    base = {k: 0 for k in sizes}
    non_empty = [k for k, n in sizes.items() if n > 0]
    if at_least_one and 0 < len(non_empty) <= total:
        base = {k: 1 if sizes[k] > 0 else 0 for k in sizes}
        sizes = {k: n - base[k] for k, n in sizes.items()}
        total -= len(non_empty)
        whole -= len(non_empty)
    ties = {k: rng.random() for k in sorted(sizes)}
    if whole == 0:
        return base
    shares = {k: total * n / whole for k, n in sizes.items()}
    quota = {k: int(share) for k, share in shares.items()}
    by_remainder = sorted(sizes, key=lambda k: (quota[k] - shares[k], ties[k]))
    for k in by_remainder[: total - sum(quota.values())]:
        quota[k] += 1
    return {k: base[k] + quota[k] for k in sizes}
