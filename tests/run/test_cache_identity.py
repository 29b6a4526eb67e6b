"""The response cache answers only for the same target: another endpoint or edited target
code is asked again; cache use is said up front; `redline cache stats|clear`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from redline.cli.app import app
from redline.store import RunStore

runner = CliRunner()


def write_prompts(path: Path, count: int) -> Path:
    lines = [json.dumps({"id": f"t{i}", "prompt": f"prompt {i}"}) for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def scan(runs: Path, prompts: Path, *target: str, progress: bool = False):
    args = ["scan", *target, "--prompts", str(prompts), "--runs-dir", str(runs), "--new-run"]
    return runner.invoke(app, [*args, "--json"] if not progress else args)


def cached_attempts(runs: Path, run_id: str) -> int:
    return sum(1 for a in RunStore(runs).open(run_id).read_attempts() if a.cached)


def test_another_endpoint_is_asked_not_answered_from_cache(tmp_path: Path, start_stub) -> None:
    answering, empty = start_stub(), start_stub(mode="empty")
    prompts = write_prompts(tmp_path / "p.jsonl", 4)
    runs = tmp_path / "runs"
    stub = ["--target", "openai", "--model", "stub", "--base-url"]
    first = scan(runs, prompts, *stub, answering.base_url)
    assert first.exit_code == 0, first.output
    second = scan(runs, prompts, *stub, empty.base_url)
    assert second.exit_code == 0, second.output
    document = json.loads(second.stdout)
    assert empty.stats()["requests"] == 4
    assert cached_attempts(runs, document["run_id"]) == 0
    # The same endpoint again is answered from the cache, and says so before sending.
    third = scan(runs, prompts, *stub, answering.base_url, progress=True)
    assert third.exit_code == 0, third.output
    assert "4 of 4 answers from cache, --no-cache to resend" in third.stderr
    assert answering.stats()["requests"] == 4


def test_editing_a_python_target_invalidates_its_answers(tmp_path: Path) -> None:
    module = tmp_path / "bot.py"
    module.write_text("def reply(prompt):\n    return 'Sure, here it is.'\n", encoding="utf-8")
    prompts = write_prompts(tmp_path / "p.jsonl", 3)
    runs = tmp_path / "runs"
    target = ["--target", f"python:{module}:reply"]
    first = scan(runs, prompts, *target)
    assert first.exit_code == 0, first.output
    module.write_text("def reply(prompt):\n    return 'I cannot help with that.'\n")
    second = scan(runs, prompts, *target)
    assert second.exit_code == 0, second.output
    run_id = json.loads(second.stdout)["run_id"]
    assert cached_attempts(runs, run_id) == 0
    # Filed apart from the first answers (this process still runs the code it imported
    # first; a new `redline scan` would load the edited file).
    stats = runner.invoke(app, ["cache", "stats", "--runs-dir", str(runs), "--json"])
    assert json.loads(stats.stdout)["entries"] == 6


def test_cache_stats_and_clear(tmp_path: Path) -> None:
    module = tmp_path / "bot.py"
    module.write_text("def reply(prompt):\n    return 'ok'\n", encoding="utf-8")
    runs = tmp_path / "runs"
    scanned = scan(runs, write_prompts(tmp_path / "p.jsonl", 5), "-t", f"python:{module}:reply")
    assert scanned.exit_code == 0, scanned.output
    where = ["--runs-dir", str(runs), "--json"]
    stats = runner.invoke(app, ["cache", "stats", *where])
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.stdout)["entries"] == 5
    cleared = runner.invoke(app, ["cache", "clear", *where])
    assert json.loads(cleared.stdout)["removed"] == 5
    after = runner.invoke(app, ["cache", "stats", *where])
    assert json.loads(after.stdout)["entries"] == 0
    for command in ("stats", "clear"):
        helped = runner.invoke(app, ["cache", command, "--help"])
        assert helped.exit_code == 0 and "--runs-dir" in helped.output
