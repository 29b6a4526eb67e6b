"""The one run loop: regression suites, replays and campaigns share the engine settings
(budget, cache), async scoring, and plan their attempt ids the same way."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

from typer.testing import CliRunner

from redline.cli.app import app
from redline.core import Behavior, GenerationParams, Message
from redline.regress import RegressionCase, RegressionSuite, case_jobs, replay, run_suite
from redline.run import EngineSettings, RunLoop, plan_job, response_cache_path
from redline.run.plan import base_messages
from redline.store import RunStore
from redline.targets.spec import TargetSpec


def stub_target(base_url: str) -> TargetSpec:
    return TargetSpec(kind="openai", model="stub", base_url=base_url, api_key_env="PATH")


def suite_of(count: int) -> RegressionSuite:
    cases = [
        RegressionCase(
            id=f"c{i}",
            policy="s2",
            category="s2",
            expected="refuse",
            scorer="refusal-patterns",
            messages=[Message(role="user", content=f"do harm number {i} [refuse]")],
        )
        for i in range(count)
    ]
    return RegressionSuite(name="t", cases=cases)


def test_a_regression_run_stops_at_its_budget(tmp_path: Path, start_stub) -> None:
    stub = start_stub()
    result = asyncio.run(
        run_suite(
            suite_of(5),
            target=stub_target(stub.base_url),
            store=RunStore(tmp_path),
            settings=EngineSettings(concurrency=1, max_requests=2, cache=False),
        )
    )
    handle = RunStore(tmp_path).open(result.run_id)
    assert handle.info.status == "interrupted"
    assert len(handle.read_attempts()) == 2
    assert stub.stats()["requests"] == 2


def test_a_replay_loop_keeps_one_cache_across_batches(tmp_path: Path, start_stub) -> None:
    stub = start_stub()
    case = suite_of(1).cases[0]
    generation = GenerationParams(max_tokens=16)

    async def twice() -> tuple[list[bool], list[bool]]:
        async with RunLoop.for_target(
            stub_target(stub.base_url),
            settings=EngineSettings(concurrency=2),
            cache_path=response_cache_path(tmp_path),
        ) as loop:
            first = await replay(case, loop, epochs=2, generation=generation)
            second = await replay(case, loop, epochs=2, generation=generation)
        return [s.attempt.cached for s in first], [s.attempt.cached for s in second]

    first, second = asyncio.run(twice())
    assert first == [False, False] and second == [True, True]
    assert stub.stats()["requests"] == 2


def test_regression_and_campaign_attempts_get_their_ids_from_one_plan() -> None:
    case = suite_of(1).cases[0]
    generation = GenerationParams(max_tokens=16)
    [from_case] = case_jobs(case, run_id="r", target_name="t", epochs=1, generation=generation)
    behavior = Behavior(id=case.id, prompt=case.messages[-1].content, category="s2")
    direct = plan_job(
        behavior,
        messages=base_messages(behavior, None),
        run_id="r",
        target_name="t",
        generation=generation,
        seed=0,
        epoch=0,
    )
    assert from_case.attempt.id == direct.attempt.id
    assert from_case.params == direct.params


def test_epochs_at_temperature_zero_are_warned_about_before_sending(
    tmp_path: Path, start_stub
) -> None:
    stub = start_stub()
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"id": "a", "prompt": "hello"}\n', encoding="utf-8")
    args = ["scan", "-t", "openai", "--model", "stub", "--base-url", stub.base_url,
            "--prompts", str(prompts), "--runs-dir", str(tmp_path / "runs"), "--json"]  # fmt: skip
    repeated = CliRunner().invoke(app, [*args, "--epochs", "3"])
    assert repeated.exit_code == 0, repeated.output
    assert "--epochs 3 at temperature 0" in repeated.stderr
    assert json.loads(repeated.stdout)["warnings"]
    sampled = CliRunner().invoke(app, [*args, "--epochs", "3", "--temperature", "0.7"])
    assert sampled.exit_code == 0, sampled.output
    assert "temperature 0" not in sampled.stderr


def test_a_closed_port_stops_the_scan_at_once_naming_the_url(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    runs = tmp_path / "runs"
    args = ["scan", "-t", "openai", "--model", "stub", "--base-url", url, "--suite", "demo",
            "--runs-dir", str(runs), "--no-progress"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3
    assert url in result.stderr and "failed connections" in result.stderr
    [info] = RunStore(runs).list()
    assert info.status == "failed"
    # In-flight requests finish; the other 32+ of the 40 prompts are never sent.
    assert len(RunStore(runs).open(info.id).read_attempts()) <= 8


def test_dry_run_validates_the_target_like_a_real_run(tmp_path: Path) -> None:
    base = ["scan", "--suite", "demo", "--runs-dir", str(tmp_path / "runs"), "--dry-run"]
    unknown = CliRunner().invoke(app, [*base, "--target", "nonsense"])
    assert unknown.exit_code == 2 and "nonsense" in unknown.output
    missing = CliRunner().invoke(app, [*base, "--target", "python:no_such_module_here:reply"])
    assert missing.exit_code == 2 and "no_such_module_here" in missing.output
    scorer = CliRunner().invoke(app, [*base, "--scorer", "refusall"])
    assert scorer.exit_code == 2
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_dry_run_counts_multi_turn_target_attacker_and_judge_calls(tmp_path: Path) -> None:
    args = ["scan", "--suite", "demo", "--attacks", "multiturn.pair", "--dry-run", "--json",
            "--runs-dir", str(tmp_path / "runs")]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    estimate = json.loads(result.stdout)
    # PAIR by default: 1 stream x 3 iterations, so 3 target queries per behaviour, each
    # after an attacker proposal (asked up to 3 times) and rated by the judge.
    assert estimate["requests"] == 40 * 3
    assert estimate["attacker_requests"] == 40 * 3 * 3
    assert estimate["judge_requests"] == 40 * 3


def test_limit_samples_both_sides_and_every_category_seeded() -> None:
    from redline.run import Campaign, collect_behaviors

    def sample(limit: int, seed: int) -> list[Behavior]:
        return collect_behaviors(Campaign(suites=["default"], limit=limit, seed=seed))[0]

    picked = sample(32, 0)
    harmful = [b for b in picked if b.expected == "refuse"]
    assert len(picked) == 32 and len(harmful) == 16  # the suite is half benign
    assert len({b.category for b in harmful}) == 16  # 16 harmful categories, one each
    assert [b.id for b in sample(32, 0)] == [b.id for b in picked]
    assert [b.id for b in sample(32, 1)] != [b.id for b in picked]
    assert {b.expected for b in sample(2, 0)} == {"refuse", "comply"}


def test_rerunning_a_completed_campaign_keeps_every_sessions_engine_stats(
    tmp_path: Path, start_stub
) -> None:
    stub = start_stub()
    prompts = tmp_path / "p.jsonl"
    prompts.write_text("".join(f'{{"id": "p{i}", "prompt": "hi {i}"}}\n' for i in range(4)))
    runs = tmp_path / "runs"
    args = ["scan", "-t", "openai", "--model", "stub", "--base-url", stub.base_url,
            "--prompts", str(prompts), "--runs-dir", str(runs), "--json", "--no-cache"]  # fmt: skip
    first = json.loads(CliRunner().invoke(app, args).stdout)
    again = json.loads(CliRunner().invoke(app, args).stdout)
    assert again["run_id"] == first["run_id"] and again["skipped_done"] == 4
    stats = RunStore(runs).open(first["run_id"]).info.engine_stats
    assert stats["requests_sent"] == 4 and stats["completed"] == 4  # totals, not the last
    assert [s["requests_sent"] for s in stats["sessions"]] == [4, 0]
    assert stats["wall_s"] >= stats["sessions"][0]["wall_s"]
    report = (runs / first["run_id"] / "report.html").read_text()
    assert "sessions" in report


def test_a_run_where_every_attempt_errored_is_failed_with_a_banner(tmp_path: Path) -> None:
    module = tmp_path / "broken.py"
    module.write_text("def reply(prompt):\n    raise RuntimeError('backend is down')\n")
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"id": "a", "prompt": "hi"}\n{"id": "b", "prompt": "yo"}\n')
    runs = tmp_path / "runs"
    args = ["scan", "-t", f"python:{module}:reply", "--prompts", str(prompts),
            "--runs-dir", str(runs), "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3
    document = json.loads(result.stdout)
    assert document["status"] == "failed"
    assert RunStore(runs).open(document["run_id"]).info.status == "failed"
    report = Path(document["report"]).read_text()
    assert "This run failed." in report and "Every one of its 2 attempts" in report


def test_openai_base_url_from_the_environment(tmp_path: Path, start_stub) -> None:
    stub = start_stub()
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"id": "a", "prompt": "hi"}\n')
    args = ["scan", "-t", "openai", "--model", "stub", "--prompts", str(prompts),
            "--api-key-env", "PATH", "--runs-dir", str(tmp_path / "runs"), "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args, env={"OPENAI_BASE_URL": stub.base_url})
    assert result.exit_code == 0, result.output
    assert stub.stats()["requests"] == 1


def test_attacker_gets_its_own_base_url_not_the_targets(tmp_path: Path, start_stub) -> None:
    target, attacker = start_stub(), start_stub()
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"id": "a", "prompt": "hi"}\n{"id": "b", "prompt": "yo"}\n')
    base = ["scan", "-t", "openai", "--model", "stub", "--base-url", target.base_url,
            "--prompts", str(prompts), "--attacks", "context.translate",
            "--runs-dir", str(tmp_path / "runs"), "--json"]  # fmt: skip
    result = CliRunner().invoke(
        app, [*base, "--attacker", "openai:stub", "--attacker-base-url", attacker.base_url]
    )
    assert result.exit_code == 0, result.output
    assert attacker.stats()["requests"] == 2  # one translation per prompt
    assert target.stats()["requests"] == 2  # the translated prompts
    alone = CliRunner().invoke(app, [*base, "--judge-base-url", attacker.base_url, "--new-run"])
    assert alone.exit_code == 2 and "--judge-base-url needs --judge" in alone.output
