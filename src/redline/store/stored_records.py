"""Streaming reads of a run's records: latest line per key, parsed one at a time.

A finished run can hold more attempts than fit comfortably in memory (each
carries its transcript). :class:`StoredRecords` remembers only where each
key's latest line is (line number and byte offset) and parses records as they
are iterated, so summarising or reporting a 100,000-attempt run holds one
attempt at a time. It is a re-iterable :class:`~collections.abc.Collection`:
every ``for`` reads the file again, and ``len`` is known from the index.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from redline.core import ConfigError
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
        latest: dict[Any, tuple[int, int]] = {}
        flagged: dict[Any, bool] = {}
        for number, offset, _, value in iter_jsonl_located(path):
            if not isinstance(value, dict):
                raise ConfigError(f"{path}:{number}: expected a JSON object")
            record_key = key(value)
            latest[record_key] = (number, offset)
            if flag is not None:
                flagged[record_key] = flag(value)
        # Only positions are kept: two ints per record, whatever its size.
        self._positions = list(latest.values())
        # Counted while indexing (errored attempts, say), so no caller reads the file again.
        self.flagged = sum(flagged.values())

    def __len__(self) -> int:
        return len(self._positions)

    def __contains__(self, item: object) -> bool:
        return any(record == item for record in self)

    def __iter__(self) -> Iterator[RecordT]:
        return self._parse(self._positions)

    def at(self, ordinals: Iterable[int]) -> Iterator[RecordT]:
        """The records at these places of the iteration order (each once, in the
        collection's order, whatever the order given), parsing only them: a report
        that embeds 2,000 of 100,000 transcripts reads 2,000."""
        return self._parse([self._positions[i] for i in sorted(set(ordinals))])

    def _parse(self, positions: list[tuple[int, int]]) -> Iterator[RecordT]:
        if not positions:
            return
        with self.path.open("rb") as f:
            for number, offset in positions:
                f.seek(offset)
                raw = f.readline()
                try:
                    yield self.model.model_validate_json(raw)
                except ValidationError as exc:
                    detail = describe_validation_error(exc)
                    raise ConfigError(f"{self.path}:{number}: {detail}") from exc
