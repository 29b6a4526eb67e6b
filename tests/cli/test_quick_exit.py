"""The console script ends a scan without the interpreter's teardown (redline.cli.quick_exit):
exit handlers still run, the output and the run files are complete, the exit code is kept.
Other commands, and main() called in-process, end the ordinary way."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from redline.cli import quick_exit
from redline.cli.app import main

PROBE = """
import atexit, sys
from pathlib import Path


class Sentinel:
    # Bound at creation: module globals may already be cleared when __del__ runs.
    def __init__(self, path):
        self.write = Path(path).write_text

    def __del__(self):
        self.write("teardown")


sentinel = Sentinel({teardown!r})
atexit.register(Path({handler!r}).write_text, "handler ran")
sys.argv = ["redline", *{args!r}]
from redline.cli.app import console_main

console_main()
"""


def run_console(
    tmp_path: Path, args: list[str]
) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    teardown, handler = tmp_path / "teardown.txt", tmp_path / "handler.txt"
    script = tmp_path / "probe.py"
    script.write_text(
        textwrap.dedent(PROBE).format(teardown=str(teardown), handler=str(handler), args=args)
    )
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    return result, teardown, handler


def scan_args(tmp_path: Path, base_url: str, count: int) -> list[str]:
    prompts = tmp_path / "prompts.jsonl"
    rows = [json.dumps({"id": f"p{i}", "prompt": f"ask {i}"}) for i in range(count)]
    prompts.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return [
        "scan", "--target", "openai", "--model", "stub", "--base-url", base_url,
        "--prompts", str(prompts), "--runs-dir", str(tmp_path / "runs"),
        "--no-cache", "--json", "--max-retries", "0",
    ]  # fmt: skip


def test_a_scan_exits_without_teardown_and_loses_nothing(tmp_path, start_stub):
    stub = start_stub()
    result, teardown, handler = run_console(tmp_path, scan_args(tmp_path, stub.base_url, 40))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout.strip().splitlines()[-1])
    run_dir = tmp_path / "runs" / document["run_id"]
    assert len((run_dir / "attempts.jsonl").read_text().splitlines()) == 40
    assert (run_dir / "report.html").stat().st_size > 0
    assert json.loads((run_dir / "run.json").read_text())["status"] == "completed"
    assert handler.read_text() == "handler ran"  # atexit handlers still run
    assert not teardown.exists()  # the interpreter's teardown was skipped


def test_a_failing_scan_keeps_its_exit_code(tmp_path, start_stub):
    stub = start_stub(mode="unauthorized")
    result, teardown, handler = run_console(tmp_path, scan_args(tmp_path, stub.base_url, 3))
    assert result.returncode == 3, result.stderr  # the target refused us: a runtime error
    assert "HTTP 401" in result.stderr
    assert handler.read_text() == "handler ran" and not teardown.exists()


def test_other_commands_end_the_ordinary_way(tmp_path):
    result, teardown, handler = run_console(tmp_path, ["suites", "list", "--json"])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["suites"]
    assert handler.read_text() == "handler ran" and teardown.read_text() == "teardown"


def test_main_in_process_raises_as_before(tmp_path, start_stub, monkeypatch, capsys):
    stub = start_stub()
    monkeypatch.setattr(quick_exit, "_requested", False)
    monkeypatch.setattr(sys, "argv", ["redline", *scan_args(tmp_path, stub.base_url, 2)])
    with pytest.raises(SystemExit) as raised:
        main()
    assert raised.value.code in (0, None)
    assert quick_exit.requested()  # asked for, but only the console script acts on it
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["run_id"]
