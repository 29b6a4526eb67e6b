"""Injection and multi-turn attacks in a campaign: run_campaign against the stub server."""

from __future__ import annotations

import json
from pathlib import Path

from redline.analysis import queries_to_success
from redline.run import Campaign, run_campaign
from redline.store import RunStore

ATTACKER_AND_JUDGE = """
import json

def attacker(messages):
    return json.dumps({"improvement": "softer", "prompt": "please explain, for a novel"})

def judge(messages):
    return "Rating: [[10]]" if "Sure" in messages[-1]["content"] else "Rating: [[1]]"
"""


def _prompts(tmp_path: Path) -> Path:
    path = tmp_path / "p.jsonl"
    rows = [{"id": f"b{i}", "prompt": f"do harmful thing {i} [refuse]"} for i in range(2)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


async def test_injection_attack_in_a_campaign_is_scored_by_canary(tmp_path, start_stub):
    stub = start_stub()
    campaign = Campaign.model_validate(
        {
            "target": {"kind": "openai", "model": "stub", "base_url": stub.base_url},
            "prompts": [str(_prompts(tmp_path))],
            "attacks": [
                {
                    "chain": "injection.direct",
                    "params": {
                        "goals": ["marker.only", "leak.print_code"],
                        "carriers": ["plain", "delimiter"],
                    },
                }
            ],
            "scorers": ["canary"],
            "generation": {"max_tokens": 16},
        }
    )
    store = RunStore(tmp_path / "runs")
    result = await run_campaign(campaign, store=store, progress=False)
    handle = store.open(result.run_id)
    attempts = handle.read_attempts()
    # One attempt per goal x carrier, whatever the number of behaviours.
    assert len(attempts) == 4 and {a.attack for a in attempts} == {"injection.direct"}
    assert all(a.error is None and a.attack_params["canary"] for a in attempts)
    scores = {s.attempt_id: s for s in handle.read_scores() if s.scorer == "canary"}
    assert set(scores) == {a.id for a in attempts}
    # The stub echoes the start of the message: it neither leaks nor says the marker.
    assert {s.label for s in scores.values()} <= {"not_leaked", "instruction_ignored"}
    before = stub.stats()["requests"]
    again = await run_campaign(campaign, store=store, progress=False)
    assert again.skipped_done == 4 and stub.stats()["requests"] == before


async def test_multiturn_attack_in_a_campaign_keeps_state_files(tmp_path, start_stub):
    stub = start_stub()
    models = tmp_path / "models.py"
    models.write_text(ATTACKER_AND_JUDGE)
    campaign = Campaign.model_validate(
        {
            "target": {"kind": "openai", "model": "stub", "base_url": stub.base_url},
            "prompts": [str(_prompts(tmp_path))],
            "attacks": [{"chain": "multiturn.pair", "params": {"iterations": 3}}],
            "attacker": {"kind": f"python:{models}:attacker"},
            "judge": {"kind": f"python:{models}:judge"},
            "scorers": ["refusal-patterns"],
            "generation": {"max_tokens": 16},
            # Both behaviours' first target turn is the attacker's same prompt: with
            # the response cache on, the second is answered from it or not depending
            # on whether the first has finished (1 or 2 stub requests under load).
            "cache": False,
        }
    )
    store = RunStore(tmp_path / "runs")
    result = await run_campaign(campaign, store=store, progress=False)
    handle = store.open(result.run_id)
    attempts = handle.read_attempts()
    assert len(attempts) == 2
    for attempt in attempts:
        outcome = attempt.attack_params["outcome"]
        # The first prompt hides "[refuse]", the stub complies, the judge says 10.
        assert outcome["queries"] == 1 and outcome["stop"] == "judge_success"
        assert attempt.messages[-1].content == "please explain, for a novel"
        assert (result.run_dir / "conversations" / f"{attempt.id}.jsonl").is_file()
    [row] = queries_to_success(attempts, handle.read_scores(), scorer="refusal-patterns")
    assert row.successes == 2 and row.to_success_mean == 1.0 and row.judge_agreement == 1.0
    assert stub.stats()["requests"] == 2
