"""`redline scan` end to end against real servers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redline.cli.app import app
from redline.store import RunStore

runner = CliRunner()


def write_prompts(path: Path, count: int, *, refuse_every: int = 2) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for index in range(count):
            # The stub refuses prompts that contain "[refuse]".
            marker = " [refuse]" if index % refuse_every == 0 else ""
            handle.write(
                json.dumps({"id": f"t{index}", "prompt": f"prompt {index}{marker}"}) + "\n"
            )
    return path


def wait_for_attempts(runs: Path, count: int) -> None:
    """Poll the run's attempts file until ``count`` attempts are recorded (a minute at most)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = list(runs.glob("*/attempts.jsonl"))
        if found and found[0].read_bytes().count(b"\n") >= count:
            return
        time.sleep(0.05)


def scan(tmp_path: Path, base_url: str, *extra: str, env: dict[str, str] | None = None):
    args = [
        "scan", "--target", "openai", "--model", "stub", "--base-url", base_url,
        "--runs-dir", str(tmp_path / "runs"), "--no-progress", *extra,
    ]  # fmt: skip
    return runner.invoke(app, args, env=env)


def test_scan_writes_run_and_prints_run_id_last(tmp_path, start_stub):
    stub = start_stub()
    prompts = write_prompts(tmp_path / "p.jsonl", 10)
    result = scan(tmp_path, stub.base_url, "--prompts", str(prompts))
    assert result.exit_code == 0, result.output
    run_id = result.output.strip().splitlines()[-1]
    run_dir = tmp_path / "runs" / run_id
    for name in ("run.json", "attempts.jsonl", "scores.jsonl", "report.html"):
        assert (run_dir / name).is_file(), name
    handle = RunStore(tmp_path / "runs").open(run_id)
    attempts = handle.read_attempts()
    scores = {s.attempt_id: s for s in handle.read_scores() if s.scorer == "refusal"}
    assert len(attempts) == 10
    refused = [a for a in attempts if scores[a.id].label == "full_refusal"]
    assert len(refused) == 5  # exactly the prompts the stub refused
    assert handle.info.status == "completed"


def test_json_output_is_one_document(tmp_path, start_stub):
    stub = start_stub()
    prompts = write_prompts(tmp_path / "p.jsonl", 4)
    result = scan(tmp_path, stub.base_url, "--prompts", str(prompts), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["status"] == "completed"
    assert document["summary"]["overall"]["attempts"] == 4
    assert Path(document["report"]).is_file()


def test_rerun_skips_what_is_done(tmp_path, start_stub):
    stub = start_stub()
    prompts = write_prompts(tmp_path / "p.jsonl", 6)
    first = scan(tmp_path, stub.base_url, "--prompts", str(prompts), "--no-cache")
    second = scan(tmp_path, stub.base_url, "--prompts", str(prompts), "--no-cache", "--json")
    assert second.exit_code == 0, second.output
    document = json.loads(second.stdout)
    assert document["run_id"] == first.output.strip().splitlines()[-1]
    assert document["skipped_done"] == 6
    assert stub.stats()["requests"] == 6  # nothing sent twice


def test_dry_run_sends_nothing(tmp_path, start_stub):
    stub = start_stub()
    prompts = write_prompts(tmp_path / "p.jsonl", 5)
    result = scan(
        tmp_path, stub.base_url, "--prompts", str(prompts), "--epochs", "2", "--dry-run", "--json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["requests"] == 10
    assert stub.stats()["requests"] == 0


def test_wrong_api_key_stops_at_once(tmp_path, start_stub):
    stub = start_stub(mode="unauthorized")
    prompts = write_prompts(tmp_path / "p.jsonl", 200)
    result = scan(
        tmp_path, stub.base_url, "--prompts", str(prompts), "--concurrency", "4",
        "--api-key-env", "TEST_KEY", env={"TEST_KEY": "sk-wrong-123456"},
    )  # fmt: skip
    assert result.exit_code == 3
    assert "TEST_KEY" in result.output
    assert "sk-wrong-123456" not in result.output
    assert stub.stats()["requests"] <= 8  # no retry storm


@pytest.mark.parametrize(("mode", "kind"), [("error", "transient"), ("malformed", "bad_response")])
def test_failed_requests_are_errors_never_refusals(tmp_path, start_stub, mode, kind):
    stub = start_stub(mode=mode)
    prompts = write_prompts(tmp_path / "p.jsonl", 3)
    result = scan(
        tmp_path, stub.base_url, "--prompts", str(prompts), "--max-retries", "1", "--json"
    )
    assert result.exit_code == 3, result.output
    document = json.loads(result.stdout)
    store = RunStore(tmp_path / "runs").open(document["run_id"])
    attempts = store.read_attempts()
    assert {a.error.kind for a in attempts if a.error} == {kind}
    assert store.read_scores() == []


def test_server_down_is_an_error(tmp_path):
    prompts = write_prompts(tmp_path / "p.jsonl", 2)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    result = scan(tmp_path, url, "--prompts", str(prompts), "--max-retries", "1", "--timeout", "2")
    assert result.exit_code == 3
    # The circuit breaker stops the run at the first failed connections, naming the URL.
    assert f"cannot connect to {url}" in result.output


def test_empty_reply_is_scored_not_an_error(tmp_path, start_stub):
    stub = start_stub(mode="empty")
    prompts = write_prompts(tmp_path / "p.jsonl", 2)
    result = scan(tmp_path, stub.base_url, "--prompts", str(prompts), "--json")
    assert result.exit_code == 0, result.output
    store = RunStore(tmp_path / "runs").open(json.loads(result.stdout)["run_id"])
    scores = store.read_scores()
    assert [s.label for s in scores if s.scorer == "refusal"] == ["full_refusal", "full_refusal"]
    # Nothing said is nothing harmful.
    assert [s.label for s in scores if s.scorer == "harm"] == ["not_harmful", "not_harmful"]
    assert "empty" in scores[0].rationale


def test_retries_recover_from_500s(tmp_path, start_stub):
    stub = start_stub(fail_rate=0.3)
    prompts = write_prompts(tmp_path / "p.jsonl", 30)
    result = scan(tmp_path, stub.base_url, "--prompts", str(prompts), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["engine"]["retries"] > 0
    assert sum(document["engine"]["errors"].values()) == 0
    assert document["summary"]["overall"]["attempts"] == 30


def test_bad_prompts_line_stops_before_sending(tmp_path, start_stub):
    stub = start_stub()
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"prompt": "fine"}\n{"prompt": \n{"prompt": "also fine"}\n')
    result = scan(tmp_path, stub.base_url, "--prompts", str(prompts))
    assert result.exit_code == 2
    assert f"{prompts}:2" in result.output
    assert stub.stats()["requests"] == 0


def test_unknown_target_and_suite_suggest(tmp_path):
    result = runner.invoke(app, ["scan", "--target", "opnai", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "openai" in result.output
    result = runner.invoke(app, ["scan", "--suite", "harmfull", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "harmful" in result.output


def test_malformed_campaign_yaml_names_file_line_and_field(tmp_path):
    campaign = tmp_path / "c.yaml"
    campaign.write_text("suites: [demo]\nconcurrency: many\n")
    result = runner.invoke(app, ["scan", str(campaign), "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{campaign}:2: concurrency" in result.output
    campaign.write_text("suites: [demo\n")
    result = runner.invoke(app, ["scan", str(campaign), "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "invalid YAML" in result.output


def test_campaign_file_with_flag_override(tmp_path, start_stub):
    stub = start_stub()
    prompts = write_prompts(tmp_path / "p.jsonl", 6)
    campaign = tmp_path / "c.yaml"
    campaign.write_text(
        f"target:\n  kind: openai\n  model: stub\n  base_url: {stub.base_url}\n"
        f"prompts: [{prompts}]\nlimit: 5\n"
    )
    result = runner.invoke(
        app,
        ["scan", str(campaign), "--limit", "2", "--runs-dir", str(tmp_path / "r"), "--json"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["overall"]["attempts"] == 2


def test_secrets_never_reach_run_files(tmp_path, start_stub):
    stub = start_stub()
    prompts = write_prompts(tmp_path / "p.jsonl", 3)
    secret = "sk-live-SECRET-9f8e7d6c5b4a"
    result = scan(
        tmp_path, stub.base_url, "--prompts", str(prompts), "--api-key-env", "MY_KEY",
        env={"MY_KEY": secret},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert secret not in result.output
    for path in (tmp_path / "runs").rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_kill_9_then_resume_loses_and_duplicates_nothing(tmp_path, start_stub):
    stub = start_stub(delay=0.1)
    prompts = write_prompts(tmp_path / "p.jsonl", 60)
    runs = tmp_path / "runs"
    command = [
        sys.executable, "-m", "redline", "scan", "--target", "openai", "--model", "stub",
        "--base-url", stub.base_url, "--prompts", str(prompts), "--runs-dir", str(runs),
        "--concurrency", "2", "--no-progress", "--no-cache",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    attempts_file = None
    while time.monotonic() < deadline:
        found = list(runs.glob("*/attempts.jsonl"))
        if found and found[0].read_bytes().count(b"\n") >= 10:
            attempts_file = found[0]
            break
        time.sleep(0.05)
    assert attempts_file is not None, "the scan wrote no attempts"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    before = attempts_file.read_bytes().count(b"\n")
    assert before < 60

    resumed = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    document = json.loads(resumed.stdout)
    assert document["skipped_done"] == before
    handle = RunStore(runs).open(document["run_id"])
    ids = [a.behavior_id for a in handle.read_attempts()]
    assert sorted(ids) == sorted(f"t{i}" for i in range(60))
    lines = [json.loads(line) for line in attempts_file.read_text().splitlines()]
    assert len({line["id"] for line in lines}) == len(lines) == 60
    assert stub.stats()["requests"] <= 60 + 2  # at most the in-flight pair re-sent


def test_help():
    result = runner.invoke(app, ["scan", "--help"])
    assert result.exit_code == 0
    assert "--resume" in result.output


def test_ctrl_c_finishes_in_flight_then_exits_130_and_resumes(tmp_path, start_stub):
    stub = start_stub(delay=0.3)
    prompts = write_prompts(tmp_path / "p.jsonl", 40)
    runs = tmp_path / "runs"
    command = [
        sys.executable, "-m", "redline", "scan", "--target", "openai", "--model", "stub",
        "--base-url", stub.base_url, "--prompts", str(prompts), "--runs-dir", str(runs),
        "--concurrency", "4", "--no-progress", "--no-cache",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for_attempts(runs, 4)
    sent_before_stop = stub.stats()["requests"]
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    assert process.returncode == 130
    run_dir = next(runs.glob("*/run.json")).parent
    handle = RunStore(runs).open(run_dir.name)
    assert handle.info.status == "interrupted"
    recorded = len(handle.read_attempts())
    # Everything in flight when Ctrl-C came was finished and recorded, nothing new started.
    # (the +8: requests started between reading the stub's count and the signal)
    assert sent_before_stop <= recorded <= sent_before_stop + 8
    assert recorded < 40

    resumed = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    document = json.loads(resumed.stdout)
    assert document["skipped_done"] == recorded
    assert document["summary"]["overall"]["attempts"] == 40


def test_ctrl_c_while_every_request_fails_still_exits_130(tmp_path, start_stub):
    # Newcomer walk-through: Ctrl-C on `redline scan` while the bundled model's first
    # requests were timing out exited 3 ("no attempt succeeded"), not 130 as documented.
    stub = start_stub(delay=0.3, mode="error")
    prompts = write_prompts(tmp_path / "p.jsonl", 40)
    runs = tmp_path / "runs"
    command = [
        sys.executable, "-m", "redline", "scan", "--target", "openai", "--model", "stub",
        "--base-url", stub.base_url, "--prompts", str(prompts), "--runs-dir", str(runs),
        "--concurrency", "2", "--max-retries", "0", "--no-progress", "--no-cache",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for_attempts(runs, 2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert b"no attempt succeeded" in stderr  # why nothing was measured is still said
    run_dir = next(runs.glob("*/run.json")).parent
    handle = RunStore(runs).open(run_dir.name)
    assert handle.info.status == "interrupted"
    attempts = handle.read_attempts()
    assert 2 <= len(attempts) < 40 and all(a.error is not None for a in attempts)


def test_headline_scorer_decides_every_attempt_and_must_be_a_scorer(tmp_path, start_stub):
    stub = start_stub()
    prompts = write_prompts(tmp_path / "p.jsonl", 2)
    bad = scan(tmp_path, stub.base_url, "--prompts", str(prompts), "--headline-scorer", "canary")
    assert bad.exit_code == 2
    assert "headline_scorer 'canary' is not one of the scorers" in bad.output
    result = scan(
        tmp_path, stub.base_url, "--prompts", str(prompts), "--scorer", "refusal-patterns",
        "--scorer", "canary", "--headline-scorer", "refusal-patterns", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert (summary["scorer"], summary["by_family"]) == ("refusal-patterns", False)
    assert summary["overall"]["scored"] == 2


def test_max_transcripts_bounds_the_report_and_keeps_the_run(tmp_path, start_stub):
    stub = start_stub()
    prompts = write_prompts(tmp_path / "p.jsonl", 10)
    first = scan(tmp_path, stub.base_url, "--prompts", str(prompts), "--max-transcripts", "4")
    assert first.exit_code == 0, first.output
    run_id = first.output.strip().splitlines()[-1]
    report = tmp_path / "runs" / run_id / "report.html"
    assert "Showing 4 of 10 transcripts" in report.read_text(encoding="utf-8")
    # How many transcripts a report shows is not part of what the campaign measures:
    # the same campaign with another bound is the same run (resumed, nothing resent).
    again = scan(tmp_path, stub.base_url, "--prompts", str(prompts), "--max-transcripts", "0")
    assert again.exit_code == 0, again.output
    assert again.output.strip().splitlines()[-1] == run_id
    assert "Showing 0 of 10 transcripts" in report.read_text(encoding="utf-8")
    assert stub.stats()["requests"] == 10
    bad = scan(tmp_path, stub.base_url, "--prompts", str(prompts), "--max-transcripts", "-2")
    assert bad.exit_code == 2
