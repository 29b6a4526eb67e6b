"""Scores left unwritten by a run killed mid-batch are written when it is resumed."""

from __future__ import annotations

import json
from pathlib import Path

from redline.run import Campaign, run_campaign
from redline.store import RunStore
from redline.targets.spec import TargetSpec


async def test_resume_scores_attempts_a_killed_run_left_unscored(start_stub, tmp_path: Path):
    stub = start_stub()
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(
        "".join(json.dumps({"id": f"p{i}", "prompt": f"prompt {i}"}) + "\n" for i in range(40))
    )
    campaign = Campaign(
        target=TargetSpec(kind="openai", model="stub", base_url=stub.base_url),
        prompts=[prompts],
        cache=False,
    )
    store = RunStore(tmp_path / "runs")
    first = await run_campaign(campaign, store=store, progress=False)
    scores = first.run_dir / "scores.jsonl"
    lines = scores.read_text().splitlines(keepends=True)
    assert len(lines) == 80  # refusal and harm, the default scorers
    scores.write_text("".join(lines[:50]))  # the last batch never reached the file

    again = await run_campaign(campaign, store=store, progress=False)
    assert again.run_id == first.run_id and again.skipped_done == 40
    assert again.summary.overall.scored == 40
    handle = store.open(first.run_id)
    assert {(s.attempt_id, s.scorer) for s in handle.read_scores()} == {
        (a.id, name) for a in handle.read_attempts() for name in ("refusal", "harm")
    }
    assert stub.stats()["requests"] == 40  # nothing was sent again
