"""Streaming reads of a run's records: latest line per key, parsed one at a time.

A finished run can hold more attempts than fit comfortably in memory (each
carries its transcript). :class:`StoredRecords` remembers only where each
key's latest line is (line number and byte offset) and parses records as they
are iterated, so summarising or reporting a 100,000-attempt run holds one
attempt at a time. It is a re-iterable :class:`~collections.abc.Collection`:
every ``for`` reads the file again, and ``len`` is known from the index.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from redline.core import ConfigError
from redline.core.fast_json import loads as fast_loads
from redline.store.jsonl import iter_jsonl_located

RecordT = TypeVar("RecordT", bound=BaseModel)


def describe_validation_error(error: ValidationError) -> str:
    """The first failing field of ``error``, as ``field NAME: message``."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "record"
    return f"field {field}: {first['msg']}"


class StoredRecords(Collection[RecordT], Generic[RecordT]):
    """The records of one JSONL file, deduplicated by ``key`` (the last line wins),
    in first-seen order, read from disk on each iteration.

    The file is indexed once, at construction; records appended afterwards are
    not seen (the run is finished when this is used).
    """

    def __init__(
        self,
        path: Path,
        model: type[RecordT],
        key: Callable[[Any], Any],
        *,
        flag: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        self.path = path
        self.model = model
        # Where each line is, and its key's hash: 8 + 8 + 8 bytes a line in arrays. A
        # dict of the keys themselves (a tuple of two strings for a score) cost ~300
        # bytes a record, 60 MB for the 200,000 scores of a 100,000-attempt run, and
        # the allocator kept most of it after the dict was freed.
        numbers, offsets, hashes = array("q"), array("q"), array("q")
        flags = bytearray()
        for number, offset, _, value in iter_jsonl_located(path):
            if not isinstance(value, dict):
                raise ConfigError(f"{path}:{number}: expected a JSON object")
            numbers.append(number)
            offsets.append(offset)
            hashes.append(hash(key(value)))
            if flag is not None:
                flags.append(flag(value))
        # Counted in numpy: a set of the hashes made an int object per line (~13 MB
        # at the 200,000 scores of a 100,000-attempt run, the finish's peak then).
        if has_repeats(hashes):
            # Some key may repeat (a resumed or re-scored run rewrites records; or two
            # keys share a hash): keep the latest line of each key, compared exactly.
            numbers, offsets, flags = _latest_per_key(path, key, numbers, offsets, flags)
        self._numbers: array[int] | None = numbers
        self._offsets = offsets
        # Counted while indexing (errored attempts, say), so no caller reads the file again.
        self.flagged = sum(flags)

    @classmethod
    def indexed(
        cls,
        path: Path,
        model: type[RecordT],
        *,
        offsets: array[int],
        flagged: int = 0,
    ) -> StoredRecords[RecordT]:
        """The records of ``path`` from an index its writer kept while writing each line
        once, one record a line (byte ``offsets``; ``flagged`` lines): the file is not
        scanned to index it."""
        records = cls.__new__(cls)
        records.path = path
        records.model = model
        records._numbers = None  # record i is line i + 1
        records._offsets = offsets
        records.flagged = flagged
        return records

    def __len__(self) -> int:
        return len(self._offsets)

    def __contains__(self, item: object) -> bool:
        return any(record == item for record in self)

    def __iter__(self) -> Iterator[RecordT]:
        return self._parse(range(len(self._offsets)))

    def at(self, ordinals: Iterable[int]) -> Iterator[RecordT]:
        """The records at these places of the iteration order (each once, in the
        collection's order, whatever the order given), parsing only them: a report
        that embeds 2,000 of 100,000 transcripts reads 2,000."""
        return self._parse(sorted(set(ordinals)))

    def _parse(self, ordinals: Sequence[int]) -> Iterator[RecordT]:
        if not ordinals:
            return
        with self.path.open("rb") as f:
            for ordinal in ordinals:
                numbers = self._numbers
                number = ordinal + 1 if numbers is None else numbers[ordinal]
                offset = self._offsets[ordinal]
                f.seek(offset)
                raw = f.readline()
                try:
                    yield self.model.model_validate_json(raw)
                except ValidationError as exc:
                    detail = describe_validation_error(exc)
                    raise ConfigError(f"{self.path}:{number}: {detail}") from exc


def has_repeats(hashes: array[int]) -> bool:
    """Whether any hash appears twice."""
    # Imported here: a scan's start-up imports the store, not numpy.
    import numpy as np

    return bool(np.unique(np.frombuffer(hashes, dtype=np.int64)).size < len(hashes))


def _latest_per_key(
    path: Path,
    key: Callable[[Any], Any],
    numbers: array[int],
    offsets: array[int],
    flags: bytearray,
) -> tuple[array[int], array[int], bytearray]:
    """The lines of ``numbers``/``offsets`` (with their ``flags``) reduced to the latest
    line of each key, in the order keys were first seen, keys compared exactly."""
    slot_of: dict[Any, int] = {}
    latest: list[int] = []  # per slot: the index of the key's latest line
    with path.open("rb") as f:
        for index, offset in enumerate(offsets):
            f.seek(offset)
            record_key = key(fast_loads(f.readline()))
            slot = slot_of.get(record_key)
            if slot is None:
                slot_of[record_key] = len(latest)
                latest.append(index)
            else:
                latest[slot] = index
    kept_flags = bytearray(flags[i] for i in latest) if flags else bytearray()
    return (
        array("q", (numbers[i] for i in latest)),
        array("q", (offsets[i] for i in latest)),
        kept_flags,
    )
