"""Crash safety: a torn final line is skipped on read and cut off before the next append."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from redline.core import ConfigError, RunInfo
from redline.store import RunStore, iter_jsonl, truncate_torn_tail


def test_torn_last_line_is_skipped_then_truncated_on_append(tmp_path, make_attempt):
    store = RunStore(tmp_path)
    run = store.create(RunInfo(id="r1"))
    run.append_attempt(make_attempt(1))
    run.append_attempt(make_attempt(2))
    run.close()
    whole = run.attempts_path.read_bytes()
    run.attempts_path.write_bytes(whole + make_attempt(3).model_dump_json().encode()[:57])

    reopened = store.open("r1")
    assert [a.id for a in reopened.read_attempts()] == ["a1", "a2"]
    # Reading never modifies the file: a writer may still be appending to it.
    assert len(run.attempts_path.read_bytes()) == len(whole) + 57

    reopened.append_attempt(make_attempt(4))
    reopened.close()
    assert [a.id for a in store.open("r1").read_attempts()] == ["a1", "a2", "a4"]
    assert run.attempts_path.read_bytes().count(b"\n") == 3


def test_corruption_before_the_last_line_is_an_error(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n{"a": \n{"a": 3}\n')
    with pytest.raises(ConfigError, match=r"x.jsonl:2: not valid JSON"):
        list(iter_jsonl(path))


def test_truncate_handles_long_lines_and_files_without_newlines(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"a": 1}\n' + b"x" * 200_000)
    assert truncate_torn_tail(path) == 200_000
    assert path.read_bytes() == b'{"a": 1}\n'
    path.write_bytes(b"partial")
    assert truncate_torn_tail(path) == 7 and path.read_bytes() == b""
    assert truncate_torn_tail(tmp_path / "absent.jsonl") == 0


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from redline.core import Attempt, Message, RunInfo
    from redline.store import RunStore

    store = RunStore(Path(sys.argv[1]))
    run = store.create(RunInfo(id="killed"))
    print("ready", flush=True)
    i = 0
    while True:
        # Large records make a kill land mid-record more often.
        run.append_attempt(Attempt(
            id=f"a{i}", run_id="killed", behavior_id="b", category="c", expected="refuse",
            target="t", messages=[Message(role="user", content="x" * (i % 7) * 40_000)],
            response="r",
        ))
        i += 1
    """
)


@pytest.mark.slow
def test_recovery_after_a_real_kill_9(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        attempts_file = tmp_path / "killed" / "attempts.jsonl"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if attempts_file.exists() and attempts_file.stat().st_size > 3_000_000:
                break
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    store = RunStore(tmp_path)
    run = store.open("killed")
    attempts = run.read_attempts()
    n = len(attempts)
    assert n > 10
    assert [a.id for a in attempts] == [f"a{i}" for i in range(n)]

    run.append_attempt(attempts[0].model_copy(update={"id": "after-crash"}))
    run.close()
    again = store.open("killed").read_attempts()
    assert [a.id for a in again] == [f"a{i}" for i in range(n)] + ["after-crash"]
    # Every line is whole now: nothing torn is left inside the file.
    lines = attempts_file.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) - 1 == n + 1
