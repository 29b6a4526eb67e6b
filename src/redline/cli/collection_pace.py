"""How often the cyclic garbage collector runs while a command sends and scores.

A scan allocates a few hundred container objects per attempt (pydantic models,
dicts, asyncio handles and futures); at Python's default pace (a young
collection every 700 net allocations) the collector ran about 530 times in a
10,000-attempt scan, 4-5% of its CPU, and each of its few full collections
walked every object the imports had made (~50 ms each). Collecting young
objects every 50,000 allocations and keeping the start-up's objects out of
full collections (``gc.freeze``) leaves a handful of collections per scan;
garbage in cycles lives a little longer, which costs little memory.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 50_000


@contextmanager
def fewer_collections(young_threshold: int = YOUNG_THRESHOLD) -> Iterator[None]:
    """Run the body with a young-generation threshold of ``young_threshold`` and the
    objects alive at entry frozen out of collections; restore both on exit."""
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(young_threshold, previous[0]), *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
