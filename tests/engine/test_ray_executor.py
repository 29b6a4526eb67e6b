"""The Ray executor on a real local cluster (2 worker processes) against the stub server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from redline.core import Attempt, GenerationParams, Message, RunInfo
from redline.engine import Job
from redline.store import RunHandle, RunStore

ray = pytest.importorskip("ray")

from redline.engine.ray_executor import RayExecutor  # noqa: E402
from redline.targets.spec import TargetSpec  # noqa: E402

pytestmark = pytest.mark.slow


def make_jobs(count: int) -> Iterator[Job]:
    params = GenerationParams(max_tokens=8)
    for index in range(count):
        attempt = Attempt(
            id=f"a{index:06d}",
            run_id="ray-test",
            behavior_id=f"b{index}",
            category="test",
            expected="refuse",
            target="openai:stub",
            messages=[Message(role="user", content=f"prompt {index}")],
        )
        yield Job(attempt=attempt, params=params)


def open_run(tmp_path: Path) -> RunHandle:
    return RunStore(tmp_path / "runs").create(RunInfo(id="ray-test"))


def recorded_ids(handle: RunHandle) -> list[str]:
    with handle.attempts_path.open(encoding="utf-8") as lines:
        return [json.loads(line)["id"] for line in lines]


def stub_spec(base_url: str) -> TargetSpec:
    return TargetSpec(kind="openai", model="stub", base_url=base_url)


async def test_20000_attempts_none_lost_none_duplicated(ray_cluster, start_stub, tmp_path):
    stub = start_stub()
    executor = RayExecutor(stub_spec(stub.base_url), workers=2, concurrency=32)
    with open_run(tmp_path) as handle:
        stats = await executor.run(make_jobs(20_000), handle.append_attempt, total=20_000)
    ids = recorded_ids(handle)
    assert len(ids) == 20_000
    assert set(ids) == {f"a{i:06d}" for i in range(20_000)}
    assert stats.completed == 20_000 and stats.error_count == 0
    assert stub.stats()["requests"] == 20_000


async def test_a_killed_worker_loses_nothing_recorded(ray_cluster, start_stub, tmp_path):
    stub = start_stub()
    executor = RayExecutor(stub_spec(stub.base_url), workers=2, concurrency=16)
    victim = executor.actors[0]
    with open_run(tmp_path) as handle:

        def record(attempt: Attempt) -> None:
            handle.append_attempt(attempt)
            if len(recorded) == 500:
                ray.kill(victim)  # its batches in flight are lost and sent again
            recorded.append(attempt.id)

        recorded: list[str] = []
        stats = await executor.run(make_jobs(3_000), record, total=3_000)
    ids = recorded_ids(handle)
    assert len(ids) == len(set(ids)) == 3_000
    assert stats.completed == 3_000 and stats.error_count == 0
    assert executor.actors[0] is not victim  # replaced
    # Requests of the lost batches were sent twice; none of them had been recorded.
    assert stub.stats()["requests"] >= 3_000


async def test_the_rate_limit_is_shared_by_all_workers(ray_cluster, start_stub, tmp_path):
    stub = start_stub()
    per_minute = 3_000.0  # 50 a second for the whole ray_cluster, not per worker
    executor = RayExecutor(
        stub_spec(stub.base_url), workers=2, concurrency=16, requests_per_minute=per_minute
    )
    with open_run(tmp_path) as handle:
        await executor.run(make_jobs(500), handle.append_attempt, total=500)
    arrivals = sorted(stub.stats(arrivals=True)["arrivals"])
    assert len(arrivals) == 500
    # The bucket lets a short burst through at once and workers start at
    # different moments: the rate is measured after the first two seconds' worth.
    skip = int(per_minute / 60 * 2)
    rate = (len(arrivals) - 1 - skip) / (arrivals[-1] - arrivals[skip])
    # An upper bound only: a loaded machine can be slower than the limit, never faster.
    assert rate <= per_minute / 60 * 1.05


def test_scan_cli_with_executor_ray_in_campaign_yaml(ray_cluster, start_stub, tmp_path):
    from typer.testing import CliRunner

    from redline.cli.app import app

    stub = start_stub()
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(
        "".join(json.dumps({"id": f"p{i}", "prompt": f"hello {i}"}) + "\n" for i in range(200))
    )
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(
        f"target: {{kind: openai, model: stub, base_url: '{stub.base_url}'}}\n"
        f"prompts: ['{prompts}']\nconcurrency: 8\nexecutor: ray\nray_workers: 2\n"
    )
    result = CliRunner().invoke(
        app, ["scan", str(campaign), "--runs-dir", str(tmp_path / "runs"), "--json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output.strip().splitlines()[-1])
    assert document["status"] == "completed"
    assert document["engine"]["completed"] == 200
    assert (
        json.loads((Path(document["run_dir"]) / "run.json").read_text())["config"]["executor"]
        == "ray"
    )
