"""Ctrl-C for long runs: the first stops scheduling, the second cancels in-flight work."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable

from redline.engine.executors import RunsJobs


def install_sigint_handler(executor: RunsJobs) -> Callable[[], None]:
    """Route SIGINT on the running loop to ``executor``; returns a function that undoes it.

    The first Ctrl-C calls ``executor.request_stop()`` (in-flight requests
    finish and are recorded), the second ``executor.cancel_inflight()``.
    Where the loop cannot take signal handlers (Windows) this does nothing.
    """
    loop = asyncio.get_running_loop()
    presses = 0

    def on_sigint() -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            print(
                "\nstopping: finishing in-flight requests (Ctrl-C again to cancel them)",
                file=sys.stderr,
            )
            executor.request_stop()
        else:
            print("\ncancelling in-flight requests", file=sys.stderr)
            executor.cancel_inflight()

    try:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
    except (NotImplementedError, RuntimeError):
        return lambda: None

    def remove() -> None:
        loop.remove_signal_handler(signal.SIGINT)

    return remove
