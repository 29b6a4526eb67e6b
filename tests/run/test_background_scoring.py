"""Scorers built in a background thread while a campaign sends: nothing scored is lost,
the scores keep their order, the queue is bounded, and a failed build is raised."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest

from redline.core import Attempt, ConfigError, Message, Score
from redline.run import Campaign, run_campaign
from redline.run import runner as campaign_runner
from redline.run.background_scoring import (
    QUICK_START_SCORERS,
    BackgroundScoring,
    build_batch_scoring,
    starts_before_scorers,
)
from redline.scoring import build_scorer
from redline.scoring.batch import BatchScoring
from redline.store import RunStore
from redline.targets.python_callable import load_callable
from redline.targets.spec import TargetSpec

RESPONSES = ["I can't help with that.", "Sure, here is how to bake bread: mix flour and water."]


def attempt(index: int) -> Attempt:
    return Attempt(
        id=f"a{index}",
        run_id="r",
        behavior_id=f"b{index}",
        category="test",
        expected="refuse",
        target="t",
        messages=[Message(role="user", content="q")],
        response=RESPONSES[index % len(RESPONSES)],
    )


def blocked_build(release: threading.Event, written: list[Score]):
    """A scoring factory that waits (in the background thread) until ``release`` is set."""

    def build() -> BatchScoring:
        if not release.wait(timeout=120):  # a guard against a hang, not synchronisation
            raise AssertionError("the test never released the build")
        return BatchScoring([build_scorer("refusal-patterns")], written.append, batch_size=4)

    return build


async def test_attempts_finished_before_the_scorers_exist_are_all_scored_in_order() -> None:
    release = threading.Event()
    written: list[Score] = []
    scoring = BackgroundScoring(blocked_build(release, written))
    scoring.start()
    for index in range(10):
        await scoring.add(attempt(index))
    assert scoring.waiting == 10 and written == []  # the build is held: all ten wait
    release.set()
    for index in range(10, 15):  # added after the release: behind the ten
        await scoring.add(attempt(index))
    await scoring.close()
    assert [s.attempt_id for s in written] == [f"a{i}" for i in range(15)]
    scorer = build_scorer("refusal-patterns")
    assert [s.label for s in written] == [scorer.score(attempt(i)).label for i in range(15)]


async def test_the_waiting_queue_is_bounded_until_the_scorers_are_built() -> None:
    release = threading.Event()
    written: list[Score] = []
    scoring = BackgroundScoring(blocked_build(release, written), waiting_limit=3)
    await scoring.add(attempt(0))
    await scoring.add(attempt(1))
    third = asyncio.create_task(scoring.add(attempt(2)))
    await asyncio.sleep(0)  # one turn of the loop: the third add reaches its wait
    # It cannot finish: the build it waits for is held until `release` is set.
    assert not third.done() and scoring.waiting == 3
    release.set()
    await third
    await scoring.close()
    assert [s.attempt_id for s in written] == ["a0", "a1", "a2"]


async def test_a_failed_build_is_raised_where_the_scores_are_awaited() -> None:
    def build() -> BatchScoring:
        raise ConfigError("scorer broke while loading")

    scoring = BackgroundScoring(build)
    await scoring.add(attempt(0))  # queued; the build starts with close at the latest
    with pytest.raises(ConfigError, match="scorer broke"):
        await scoring.close()


def test_quick_start_scorers_cannot_fail_on_what_the_user_wrote() -> None:
    # Each builds from its name alone without a judge, so a campaign of only these
    # may send before building them; anything else is built before sending.
    for name in sorted(QUICK_START_SCORERS):
        assert build_scorer(name).name
    assert starts_before_scorers(["refusal", "harm"], judge=None)
    assert not starts_before_scorers(["refusal", "harm"], judge=TargetSpec(kind="openai"))
    assert not starts_before_scorers(["refusal", "regex:sure"], judge=None)
    assert not starts_before_scorers(["no-such-scorer"], judge=None)


async def test_a_scan_whose_scorers_are_ready_late_scores_every_attempt(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The target lets the scorer build go on only at its 30th request: by then at
    # least 29 responses are waiting for scorers that do not exist yet.
    target = tmp_path / "late_target.py"
    target.write_text(
        "import threading\n"
        "release = threading.Event()\n"
        "calls = []\n"
        "async def reply(prompt):\n"
        "    calls.append(prompt)\n"
        "    if len(calls) == 30:\n"
        "        release.set()\n"
        "    return \"I can't help with that.\" if len(calls) % 2 else 'Sure, here it is.'\n"
    )
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(
        "".join(json.dumps({"id": f"p{i}", "prompt": f"prompt {i}"}) + "\n" for i in range(60))
    )
    campaign = Campaign(
        target=TargetSpec(kind=f"python:{target}:reply"),
        prompts=[prompts],
        cache=False,
        concurrency=4,
    )
    released_at: list[int] = []

    def held_build(names, write):
        # The target's module, as the run loaded it (cached by its path).
        state = load_callable(f"python:{target}:reply").__globals__
        assert state["release"].wait(timeout=120)  # a guard against a hang
        released_at.append(len(state["calls"]))
        return build_batch_scoring(names, write)

    monkeypatch.setattr(campaign_runner, "build_batch_scoring", held_build)
    store = RunStore(tmp_path / "runs")
    result = await run_campaign(campaign, store=store, progress=False)
    assert released_at and released_at[0] >= 30
    handle = store.open(result.run_id)
    attempts = handle.read_attempts()
    scores = handle.read_scores()
    assert len(attempts) == 60 and result.summary.overall.scored == 60
    assert sorted((s.attempt_id, s.scorer) for s in scores) == sorted(
        (a.id, name) for a in attempts for name in ("refusal", "harm")
    )
    # Each scorer's scores are written in the order the attempts were recorded.
    order = [a.id for a in attempts]
    for name in ("refusal", "harm"):
        assert [s.attempt_id for s in scores if s.scorer == name] == order
