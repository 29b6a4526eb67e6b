"""Behaviours held compactly for the length of a run.

A run's plan keeps every behaviour it sends until the run ends. As pydantic
models they cost about 1.5 KB each (the instance, its ``__dict__``, the set of
fields set, an empty ``tags`` list and a ``metadata`` dict), so a 100,000-prompt
file held 150 MB before the first request. :class:`PackedBehaviors` keeps each
one as its JSON bytes, fields at their defaults left out (a short prompt's
behaviour is ~100 bytes), and validates it back when the plan reaches it: about
ten microseconds a behaviour each time the plan goes over them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import overload

from redline.core import Behavior


class PackedBehaviors(Sequence[Behavior]):
    """A read-only sequence of behaviours stored as JSON bytes; items are rebuilt
    (and validated) on access, equal to the behaviours packed."""

    def __init__(self, behaviors: Iterable[Behavior] = ()) -> None:
        self._rows: list[bytes] = [_pack(behavior) for behavior in behaviors]

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Behavior: ...

    @overload
    def __getitem__(self, index: slice) -> PackedBehaviors: ...

    def __getitem__(self, index: int | slice) -> Behavior | PackedBehaviors:
        if isinstance(index, slice):
            part = PackedBehaviors()
            part._rows = self._rows[index]
            return part
        return Behavior.model_validate_json(self._rows[index])

    def __iter__(self) -> Iterator[Behavior]:
        for row in self._rows:
            yield Behavior.model_validate_json(row)


def _pack(behavior: Behavior) -> bytes:
    return behavior.__pydantic_serializer__.to_json(behavior, exclude_defaults=True)
