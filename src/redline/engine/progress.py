"""A progress bar on stderr that keeps up with thousands of attempts a second."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    # The bar itself (rich.progress, live, table) is imported when one is drawn:
    # a scan with --json or --no-progress sends without it (start-up).
    from redline.engine.progress_bar import RunProgress


@runtime_checkable
class ProgressLike(Protocol):
    """What the executor reports to: one call per finished attempt."""

    def advance(self, *, error: bool = False) -> None: ...

    # Optional: ``start()`` and ``stop()`` are called around a run if present.

    def set_total(self, total: int | None) -> None: ...


class NullProgress:
    """Counts like :class:`~redline.engine.progress_bar.RunProgress` but draws nothing
    (``--json``, pipes, tests)."""

    def __init__(self) -> None:
        self.errors = 0
        self.done = 0

    def advance(self, *, error: bool = False) -> None:
        self.done += 1
        self.errors += error

    def set_total(self, total: int | None) -> None:
        return None

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def __enter__(self) -> NullProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


def make_progress(
    total: int | None, *, enabled: bool, description: str = "attempts"
) -> RunProgress | NullProgress:
    """A live progress bar on stderr, or a silent counter when ``enabled`` is False."""
    if not enabled:
        return NullProgress()
    # Here, not at the top: only a drawn bar needs rich's progress modules (start-up).
    from redline.engine.progress_bar import RunProgress

    return RunProgress(total, description=description)
