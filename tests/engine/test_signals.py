from __future__ import annotations

import asyncio
import os
import signal

from redline.core import Attempt
from redline.engine import Executor, install_sigint_handler


async def test_first_ctrl_c_stops_scheduling_and_delivers_in_flight(fake, jobs, capsys):
    target = fake(delay=0.1)
    executor = Executor(target, concurrency=3)
    remove = install_sigint_handler(executor)
    results: list[Attempt] = []
    try:
        asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), signal.SIGINT)
        stats = await executor.run(jobs(50), results.append)
    finally:
        remove()
    assert stats.interrupted
    assert len(results) == target.calls == 3
    assert "Ctrl-C again" in capsys.readouterr().err


async def test_second_ctrl_c_cancels_in_flight(fake, jobs):
    target = fake(delay=10)
    executor = Executor(target, concurrency=3)
    remove = install_sigint_handler(executor)
    loop = asyncio.get_running_loop()
    results: list[Attempt] = []
    try:
        loop.call_later(0.05, os.kill, os.getpid(), signal.SIGINT)
        loop.call_later(0.1, os.kill, os.getpid(), signal.SIGINT)
        stats = await asyncio.wait_for(executor.run(jobs(50), results.append), 2)
    finally:
        remove()
    assert stats.interrupted and results == []
