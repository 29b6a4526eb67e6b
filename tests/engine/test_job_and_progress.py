from __future__ import annotations

import io

from rich.console import Console

from redline.engine import RunProgress, estimate, make_progress
from redline.engine.progress import NullProgress


def test_estimate_counts_requests_and_token_ceiling(job_factory):
    jobs = [job_factory(i, max_tokens=64, prompt="x" * 40) for i in range(5)]
    est = estimate(jobs)
    assert est.requests == 5
    assert est.prompt_tokens == 50  # 40 chars / 4 per job
    assert est.max_completion_tokens == 320
    assert est.total_tokens == 370


def test_disabled_progress_is_silent_counter():
    progress = make_progress(10, enabled=False)
    assert isinstance(progress, NullProgress)
    with progress:
        progress.advance()
        progress.advance(error=True)
    assert (progress.done, progress.errors) == (2, 1)


def test_progress_bar_shows_done_total_and_errors():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    progress = RunProgress(4, console=console)
    with progress:
        progress.advance()
        progress.advance(error=True)
        progress.advance()
    text = out.getvalue()
    assert "3/4" in text
    assert "1 errors" in text


async def test_executor_shows_an_unstarted_bar_for_the_run(fake, jobs):
    from redline.engine import Executor

    out = io.StringIO()
    progress = RunProgress(None, console=Console(file=out, force_terminal=True, width=120))
    await Executor(fake(), concurrency=2, progress=progress).run(jobs(6), lambda a: None, total=6)
    assert "6/6" in out.getvalue()
    assert not progress._progress.live.is_started
