"""How long to wait before retrying a transient failure."""

from __future__ import annotations

import random


def backoff_delay(
    retry: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """The wait before retry number ``retry`` (1-based): equal-jitter exponential.

    The ceiling is ``min(cap, base * 2 ** (retry - 1))`` and the wait is drawn
    uniformly from its upper half, so clients that failed together spread out
    while every wait still grows with the retry count.
    """
    ceiling = min(cap, base * 2.0 ** (retry - 1))
    draw = (rng or random).random()
    return ceiling / 2 + draw * ceiling / 2
