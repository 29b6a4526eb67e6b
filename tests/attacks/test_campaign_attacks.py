"""Attacks in campaigns: a scan with attack chains against the stub server."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from redline.core import Behavior, ConfigError, GenerationParams
from redline.run import Campaign, dry_run, load_campaign, run_campaign
from redline.run.plan import chains_for, plan_jobs
from redline.store import RunStore


def write_prompts(path: Path, count: int, *, marker: str = " [refuse]") -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for index in range(count):
            # The stub refuses prompts containing "[refuse]": every one here by default.
            handle.write(json.dumps({"id": f"b{index}", "prompt": f"request {index}{marker}"}))
            handle.write("\n")
    return path


def stub_campaign(
    tmp_path: Path, base_url: str, attacks: list, *, marker: str = " [refuse]", **extra
) -> Campaign:
    return Campaign.model_validate(
        {
            "target": {"kind": "openai", "model": "stub", "base_url": base_url},
            "prompts": [str(write_prompts(tmp_path / "p.jsonl", 3, marker=marker))],
            "attacks": attacks,
            "generation": {"max_tokens": 16},
            **extra,
        }
    )


async def test_scan_with_attacks_stores_chain_params_and_messages(tmp_path, start_stub):
    stub = start_stub()
    campaign = stub_campaign(
        tmp_path,
        stub.base_url,
        ["none", "base64", "roleplay.fiction+rot13", {"chain": "best_of_n", "params": {"n": 3}}],
    )
    store = RunStore(tmp_path / "runs")
    result = await run_campaign(campaign, store=store, progress=False)
    attempts = store.open(result.run_id).read_attempts()
    by_attack: dict[str, list] = {}
    for attempt in attempts:
        by_attack.setdefault(attempt.attack, []).append(attempt)
    assert {k: len(v) for k, v in by_attack.items()} == {
        "none": 3,
        "base64": 3,
        "roleplay.fiction+rot13": 3,
        "best_of_n": 9,
    }
    assert all(a.error is None for a in attempts)
    # Exactly what was sent is stored, and it decodes back to the behaviour.
    for attempt in by_attack["base64"]:
        payload = attempt.messages[-1].content.split("\n\n")[-1]
        assert base64.b64decode(payload).decode() == f"request {attempt.behavior_id[1:]} [refuse]"
        assert attempt.attack_params["steps"][0]["name"] == "base64"
    for attempt in by_attack["roleplay.fiction+rot13"]:
        chosen = attempt.attack_params["chosen"]
        assert chosen[0]["template"]  # the template the fiction step picked
    samples = sorted(a.attack_params["sample"] for a in by_attack["best_of_n"])
    assert samples == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    # The stub refuses plain prompts and complies when "[refuse]" is hidden.
    scores = {
        s.attempt_id: s.label
        for s in store.open(result.run_id).read_scores()
        if s.scorer == "refusal"
    }
    assert {scores[a.id] for a in by_attack["none"]} == {"full_refusal"}
    assert {scores[a.id] for a in by_attack["base64"]} == {"full_compliance"}
    # Re-running resumes: nothing new is sent.
    before = stub.stats()["requests"]
    again = await run_campaign(campaign, store=store, progress=False)
    assert again.run_id == result.run_id
    assert again.skipped_done == 18
    assert stub.stats()["requests"] == before


async def test_none_chain_has_the_same_ids_as_a_plain_scan(tmp_path, start_stub):
    stub = start_stub()
    store = RunStore(tmp_path / "runs")
    plain = stub_campaign(tmp_path, stub.base_url, [])
    attacked = stub_campaign(tmp_path, stub.base_url, ["none"])
    first = await run_campaign(plain, store=store, progress=False)
    second = await run_campaign(attacked, store=store, progress=False, new_run=True)
    ids_plain = {a.id for a in store.open(first.run_id).read_attempts()}
    ids_attacked = {a.id for a in store.open(second.run_id).read_attempts()}
    assert ids_plain == ids_attacked


async def test_translation_attacker_failure_is_an_attacker_error(tmp_path, start_stub):
    stub = start_stub()
    campaign = stub_campaign(
        tmp_path,
        stub.base_url,
        [{"chain": "context.translate", "params": {"retries": 1, "language": "Zulu"}}],
        # The stub in "empty" mode answers with empty text: no usable translation.
        attacker={"kind": "openai", "model": "stub", "base_url": start_stub(mode="empty").base_url},
    )
    store = RunStore(tmp_path / "runs")
    result = await run_campaign(campaign, store=store, progress=False)
    attempts = store.open(result.run_id).read_attempts()
    assert len(attempts) == 3
    assert {a.error.kind for a in attempts if a.error} == {"attacker_error"}
    assert all(a.response is None for a in attempts)
    assert stub.stats()["requests"] == 0  # nothing reached the target
    assert store.open(result.run_id).read_scores() == []


async def test_translation_with_a_working_attacker_sends_its_output(tmp_path, start_stub):
    target = start_stub()
    attacker = start_stub()
    campaign = stub_campaign(
        tmp_path,
        target.base_url,
        [{"chain": "context.translate", "params": {"language": "Zulu"}}],
        marker="",
        attacker={"kind": "openai", "model": "stub", "base_url": attacker.base_url},
    )
    store = RunStore(tmp_path / "runs")
    result = await run_campaign(campaign, store=store, progress=False)
    attempts = store.open(result.run_id).read_attempts()
    assert len(attempts) == 3 and all(a.error is None for a in attempts)
    for attempt in attempts:
        chosen = attempt.attack_params["chosen"][0]
        assert chosen["language"] == "Zulu"
        assert chosen["attacker"] == "openai:stub"
        # The stub's answer ("Sure: ...") is what was sent to the target.
        assert attempt.messages[-1].content.startswith("Sure")
    assert attacker.stats()["requests"] == 3


async def test_an_attacker_that_refuses_is_an_attacker_error(tmp_path, start_stub):
    target = start_stub()
    campaign = stub_campaign(
        tmp_path,
        target.base_url,
        [{"chain": "context.translate", "params": {"retries": 0}}],
        # The attacker stub refuses to translate requests containing "[refuse]".
        attacker={"kind": "openai", "model": "stub", "base_url": start_stub().base_url},
    )
    store = RunStore(tmp_path / "runs")
    result = await run_campaign(campaign, store=store, progress=False)
    attempts = store.open(result.run_id).read_attempts()
    assert [a.error.kind for a in attempts if a.error] == ["attacker_error"] * 3
    assert "attacker refused" in attempts[0].error.message
    assert target.stats()["requests"] == 0


def test_dry_run_counts_samples_and_chains(tmp_path):
    campaign = Campaign.model_validate(
        {
            "prompts": [str(write_prompts(tmp_path / "p.jsonl", 4))],
            "attacks": ["none", "base64+rot13", {"chain": "best_of_n", "params": {"n": 5}}],
            "epochs": 2,
        }
    )
    assert dry_run(campaign).requests == 4 * 2 * (1 + 1 + 5)


def test_campaign_file_with_attacks_and_errors_name_file_and_line(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(
        "suites: [demo]\nattacks:\n  - none\n  - chain: context.many_shot\n    params: {shots: 2}\n"
    )
    assert len(load_campaign(good).attacks) == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("suites: [demo]\nattacks:\n  - base64\n  - context.many_shot+rot13\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:4: attacks.1: .*must be the last step"):
        load_campaign(bad)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("suites: [demo]\nattacks: [roleplay.fictoin]\n")
    with pytest.raises(ConfigError, match=r"Did you mean 'roleplay\.fiction'"):
        load_campaign(unknown)


async def test_conversions_are_deterministic_for_a_seed():
    behaviors = [Behavior(id=f"b{i}", prompt=f"Tell me how to do thing {i}") for i in range(5)]
    chains = chains_for(["homoglyphs+scramble", "context.many_shot", "best_of_n"])

    async def plan(seed: int) -> list:
        result = await plan_jobs(
            behaviors,
            chains,
            run_id="r",
            target_name="t",
            epochs=1,
            seed=seed,
            generation=GenerationParams(),
        )
        return [(j.attempt.id, [m.content for m in j.attempt.messages]) for j in result.pending]

    first, again, other = await plan(7), await plan(7), await plan(8)
    assert first == again
    assert [m for _, m in first] != [m for _, m in other]


def test_example_campaign_covers_every_family_and_dry_runs():
    from redline.attacks import FAMILIES
    from redline.run.plan import chains_for

    path = Path(__file__).parents[2] / "examples" / "redteam-campaign.yaml"
    campaign = load_campaign(path)
    families = {
        family for chain in chains_for(campaign.attacks) for family in chain.family.split("+")
    }
    assert families == {*FAMILIES, "none"}
    # 3 behaviours x 10 one-request chains (incl. image.typographic) + best-of-N 3 x 4
    # + 3 injection cases x 3
    # + multi-turn at their bound per behaviour: PAIR 2 target queries (2 iterations,
    # budget 2), Crescendo 3 (2 turns + 1 backtrack, budget 3).
    estimate = dry_run(campaign)
    assert estimate.requests == 3 * 10 + 3 * 4 + 3 * 3 + 3 * 2 + 3 * 3
    # Each query rated once by the judge; each proposal asked up to 3 times (2 retries),
    # one proposal per query (+1 when the budget runs out, but not past the shape).
    assert estimate.judge_requests == 3 * 2 + 3 * 3
    translate = 3  # context.translate asks the attacker model once per prompt
    assert estimate.attacker_requests == 3 * (2 * 3) + 3 * (3 * 3) + translate
