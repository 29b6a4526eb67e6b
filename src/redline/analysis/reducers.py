"""Epoch reducers: collapse several samples of one behaviour into one outcome.

A run with ``epochs > 1`` samples each prompt several times. Rates computed over
attempts then weigh each behaviour by its number of samples and treat samples of
one behaviour as independent, which they are not. A reducer turns the samples of
a behaviour into one value first, so each behaviour counts once:

- ``mean``: the fraction of samples with the event (a value in [0, 1]);
- ``any``: 1 if at least one sample had the event (e.g. "broken at least once");
- ``all``: 1 if every sample had the event;
- ``majority``: 1 if more than half of the samples had the event (a tie is 0).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Literal

from redline.core.errors import ConfigError

ReducerName = Literal["mean", "any", "all", "majority"]
REDUCERS: tuple[ReducerName, ...] = ("mean", "any", "all", "majority")


def check_reducer(name: str | None) -> ReducerName | None:
    """``name`` as a reducer name, ``None`` for none; an unknown name is a :class:`ConfigError`."""
    if name is None or name in ("", "none"):
        return None
    if name not in REDUCERS:
        near = difflib.get_close_matches(name, REDUCERS, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ConfigError(
            f"unknown reducer {name!r}{hint}; choose one of: {', '.join(REDUCERS)}, none"
        )
    return name  # narrowed to ReducerName by the membership test above


def reduce_events(events: int, trials: int, reducer: ReducerName) -> float:
    """The reduced outcome of a behaviour with ``events`` of ``trials`` samples having the event."""
    if trials <= 0 or events < 0 or events > trials:
        raise ValueError(f"need 0 <= events <= trials and trials > 0, got {events}/{trials}")
    if reducer == "mean":
        return events / trials
    if reducer == "any":
        return float(events > 0)
    if reducer == "all":
        return float(events == trials)
    if reducer == "majority":
        return float(2 * events > trials)
    raise ValueError(f"unknown reducer {reducer!r}")


def reduce_samples(samples: Sequence[bool | float], reducer: ReducerName) -> float:
    """The reduced outcome of one behaviour's samples (each true/1 when the event happened)."""
    values = [float(s) for s in samples]
    if not values:
        raise ValueError("a behaviour needs at least one sample to reduce")
    if any(v not in (0.0, 1.0) for v in values):
        raise ValueError("samples must be booleans or 0/1")
    return reduce_events(int(sum(values)), len(values), reducer)
