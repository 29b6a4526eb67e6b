"""The progress bar drawn on stderr while a run sends (rich), kept apart from
:mod:`redline.engine.progress` so that runs drawing none never import rich's
progress, live-display and table modules."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f}/s" if speed else "-/s", style="cyan")


class _ErrorColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        errors = int(task.fields.get("errors", 0))
        return Text(f"{errors} errors", style="red" if errors else "dim")


class RunProgress:
    """Attempts done/total, rate, ETA and error count, drawn by rich's refresh thread.

    ``advance`` only bumps counters under rich's lock; drawing happens on the
    refresh thread a few times a second, so the cost per attempt stays in
    microseconds. The executor starts and stops the display around a run;
    it can also be used as a context manager (start and stop are idempotent).
    """

    def __init__(
        self, total: int | None, *, description: str = "attempts", console: Console | None = None
    ) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            _RateColumn(),
            _ErrorColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            refresh_per_second=4,
            transient=False,
        )
        self._task = self._progress.add_task(description, total=total, errors=0)
        self.errors = 0
        self.done = 0

    def advance(self, *, error: bool = False) -> None:
        self.done += 1
        if error:
            self.errors += 1
            self._progress.update(self._task, advance=1, errors=self.errors)
        else:
            self._progress.advance(self._task)

    def set_total(self, total: int | None) -> None:
        self._progress.update(self._task, total=total)

    def start(self) -> None:
        self._progress.start()

    def stop(self) -> None:
        self._progress.stop()

    def __enter__(self) -> RunProgress:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
