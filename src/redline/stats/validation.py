"""Checks on the numbers handed to the statistics functions."""

from __future__ import annotations

import math

from redline.core.errors import ConfigError


class StatsInputError(ConfigError, ValueError):
    """A count, rate or probability out of its range.

    A :class:`ConfigError` so the CLI reports it as a usage error (exit 2), and a
    :class:`ValueError` so library callers can catch it the usual way.
    """


def check_counts(k: int, n: int, *, what: str = "k") -> None:
    if isinstance(k, bool) or isinstance(n, bool):
        raise StatsInputError(f"{what} and n must be integers, got {k!r} and {n!r}")
    if int(k) != k or int(n) != n:
        raise StatsInputError(f"{what} and n must be whole numbers, got {k!r} and {n!r}")
    if n < 0 or k < 0 or k > n:
        raise StatsInputError(f"need 0 <= {what} <= n, got {what}={k}, n={n}")


def check_probability(value: float, *, name: str, open_interval: bool = False) -> None:
    if not isinstance(value, int | float) or math.isnan(value):
        raise StatsInputError(f"{name} must be a number, got {value!r}")
    if open_interval:
        if not 0.0 < value < 1.0:
            raise StatsInputError(f"{name} must be strictly between 0 and 1, got {value}")
    elif not 0.0 <= value <= 1.0:
        raise StatsInputError(f"{name} must be between 0 and 1, got {value}")
