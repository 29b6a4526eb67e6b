from __future__ import annotations

import random

from redline.engine import backoff_delay


def test_backoff_is_within_the_upper_half_of_a_capped_exponential():
    rng = random.Random(1)
    for retry in range(1, 12):
        ceiling = min(30.0, 0.5 * 2 ** (retry - 1))
        draws = [backoff_delay(retry, base=0.5, cap=30.0, rng=rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in draws)
        # Jitter really spreads the waits across the band.
        assert max(draws) - min(draws) > ceiling * 0.4


def test_backoff_never_exceeds_the_cap():
    assert backoff_delay(60, base=1.0, cap=2.0) <= 2.0
