"""`redline scan` sends its first request before importing scoring, analysis and the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from redline.cli.collection_pace import YOUNG_THRESHOLD

# What the first request must not wait for: the scorers' numerical stack and models,
# the analysis and the report renderer (they load in a background thread meanwhile).
NOT_BEFORE_FIRST_REQUEST = (
    "numpy", "scipy", "sklearn", "jinja2", "redline.scoring", "redline.classifiers",
    "redline.analysis", "redline.report.html", "redline.report.terminal",
    # No bar is drawn with --json or --no-progress: rich stays out altogether (the
    # broken-pipe hook is set only when something imports rich.console).
    "rich.console", "rich.progress", "rich.live",
    # Only the target the scan names is imported (a Python callable here).
    "redline.targets.openai_chat", "redline.targets.anthropic_messages",
    "redline.targets.http_app", "redline.targets.local_llama", "jmespath",
)  # fmt: skip

# A target that writes the interpreter's modules, threads and garbage-collector pace
# at its first call.
PROBE = """
import gc, json, sys, threading

calls = []

async def reply(prompt):
    if not calls:
        with open({out!r}, "w") as handle:
            json.dump({{"modules": sorted(sys.modules),
                       "threads": [t.name for t in threading.enumerate()],
                       "gc_threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}},
                      handle)
    calls.append(prompt)
    return "I can't help with that." if len(calls) % 2 else "Sure, here it is."
"""


@pytest.mark.parametrize("quiet", ["--json", "--no-progress"])
def test_scan_sends_before_importing_scoring_analysis_and_the_report(
    tmp_path: Path, quiet: str
) -> None:
    seen = tmp_path / "first_request.json"
    target = tmp_path / "probe_target.py"
    target.write_text(PROBE.format(out=str(seen)))
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(
        "".join(json.dumps({"id": f"p{i}", "prompt": f"prompt {i}"}) + "\n" for i in range(40))
    )
    runs = tmp_path / "runs"
    argv = [
        sys.executable, "-m", "redline", "scan", "--target", f"python:{target}:reply",
        "--prompts", str(prompts), "--no-cache", quiet, "--runs-dir", str(runs),
    ]  # fmt: skip
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 0, done.stderr
    first = json.loads(seen.read_text())
    loaded = sorted(
        name
        for name in first["modules"]
        for heavy in NOT_BEFORE_FIRST_REQUEST
        if name == heavy or name.startswith(heavy + ".")
    )
    assert loaded == []
    # The scorers' thread starts after the first request, not before it.
    assert first["threads"] == ["MainThread"]
    # Sending runs with fewer garbage collections, the start-up's objects frozen out of them.
    assert first["gc_threshold"][0] >= YOUNG_THRESHOLD
    assert first["frozen"] > 0
    # ...and every attempt was scored by both default scorers all the same.
    run_dir = _finished_run_dir(done.stdout, runs, quiet=quiet)
    scores = [json.loads(line) for line in (run_dir / "scores.jsonl").read_text().splitlines()]
    assert sorted((s["attempt_id"], s["scorer"]) for s in scores) == sorted(
        (json.loads(line)["id"], name)
        for line in (run_dir / "attempts.jsonl").read_text().splitlines()
        for name in ("refusal", "harm")
    )


def _finished_run_dir(stdout: str, runs: Path, *, quiet: str) -> Path:
    """The run directory of a completed scan, from its --json line or its run id line."""
    last = stdout.strip().splitlines()[-1]
    if quiet == "--json":
        summary = json.loads(last)
        assert summary["status"] == "completed"
        return Path(summary["run_dir"])
    # Without --json the last line is the run id; the summary table was printed by rich.
    assert "report:" in stdout
    (run_dir,) = [path for path in runs.rglob(last) if path.is_dir()]
    return run_dir
