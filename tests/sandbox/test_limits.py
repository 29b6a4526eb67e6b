"""The resource limits hold, and the result says which one fired."""

from __future__ import annotations

import pytest

from redline.core.errors import ConfigError
from redline.sandbox import SandboxLimits, SandboxUnavailable, bubblewrap, run_in_sandbox
from redline.sandbox.runner import languages

needs_sandbox = pytest.mark.needs_sandbox


@needs_sandbox
def test_plain_code_runs_and_returns_its_output():
    result = run_in_sandbox("import sys\nprint(6 * 7)\nprint('oops', file=sys.stderr)\n")
    assert (result.stdout, result.stderr, result.exit_code) == ("42\n", "oops\n", 0)
    assert result.ok and result.limit is None and result.killed_by is None
    assert result.cpu_seconds is not None and result.max_rss_kib


@needs_sandbox
def test_exit_code_and_stdin_are_passed_through():
    result = run_in_sandbox(
        "import sys\nprint(sys.stdin.read().upper())\nsys.exit(7)", stdin="hello"
    )
    assert result.stdout == "HELLO\n" and result.exit_code == 7
    assert not result.ok and result.limit is None


@needs_sandbox
@pytest.mark.parametrize("language", ["sh", "bash"])
def test_shell_languages(language):
    result = run_in_sandbox("echo $HOME; pwd; touch /usr/x || echo refused", language=language)
    assert result.stdout.split() == ["/scratch", "/scratch", "refused"]


@needs_sandbox
def test_memory_limit():
    limits = SandboxLimits(memory_bytes=128 * 1024 * 1024)
    result = run_in_sandbox("x = bytearray(512 * 1024 * 1024)\nprint('allocated')", limits=limits)
    assert "allocated" not in result.stdout
    assert "MemoryError" in result.stderr
    assert result.limit == "memory" and result.exit_code == 1


@needs_sandbox
def test_memory_under_the_limit_is_fine():
    limits = SandboxLimits(memory_bytes=256 * 1024 * 1024)
    result = run_in_sandbox("x = bytearray(64 * 1024 * 1024)\nprint('allocated')", limits=limits)
    assert result.stdout == "allocated\n" and result.ok


@needs_sandbox
def test_cpu_limit_stops_a_busy_loop():
    limits = SandboxLimits(cpu_seconds=1, wall_seconds=120)
    result = run_in_sandbox("while True:\n    pass\n", limits=limits)
    assert result.limit == "cpu_time" and not result.timed_out
    assert result.killed_by in ("SIGXCPU", "SIGKILL")
    # rusage and the kernel's limit check count CPU ticks apart: about, not exactly, 1 s.
    assert result.cpu_seconds is not None and result.cpu_seconds > 0.5


@needs_sandbox
def test_cpu_limit_holds_when_the_code_ignores_sigxcpu():
    code = "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass\n"
    result = run_in_sandbox(code, limits=SandboxLimits(cpu_seconds=1, wall_seconds=120))
    assert result.killed_by == "SIGKILL" and result.limit == "cpu_time"


@needs_sandbox
def test_wall_time_limit_stops_a_sleeper():
    result = run_in_sandbox(
        "import time\nprint('start', flush=True)\ntime.sleep(600)\nprint('end')",
        limits=SandboxLimits(wall_seconds=15),  # room to start Python on a loaded machine
    )
    assert result.timed_out and result.limit == "wall_time" and result.killed_by == "SIGKILL"
    assert result.stdout == "start\n" and result.exit_code is None


@needs_sandbox
def test_output_flood_is_capped():
    limits = SandboxLimits(max_output_bytes=10_000, wall_seconds=60)
    result = run_in_sandbox("while True:\n    print('A' * 1000)\n", limits=limits)
    assert len(result.stdout) == 10_000 and result.stdout_truncated
    assert result.limit == "output" and result.killed_by == "SIGKILL"


@needs_sandbox
def test_file_size_limit():
    limits = SandboxLimits(max_file_bytes=1024 * 1024)
    code = "open('/scratch/big', 'wb').write(b'x' * (4 * 1024 * 1024))\nprint('wrote')"
    result = run_in_sandbox(code, limits=limits)
    assert "wrote" not in result.stdout and result.limit == "file_size"


def test_bad_limits_and_language_are_config_errors():
    with pytest.raises(ValueError, match="wall_seconds must be positive"):
        SandboxLimits(wall_seconds=0)
    with pytest.raises(ValueError, match="max_processes"):
        SandboxLimits(max_processes=2)
    with pytest.raises(ConfigError, match=r"'cobol' is not supported .*python"):
        run_in_sandbox("x", language="cobol")
    assert set(languages()) >= {"python", "sh", "bash"}


@needs_sandbox
def test_missing_read_only_path_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        run_in_sandbox("pass", read_only_paths=[tmp_path / "nope"])


def test_missing_bubblewrap_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    bubblewrap.find_bubblewrap.cache_clear()
    try:
        with pytest.raises(SandboxUnavailable, match=r"bubblewrap .* not installed"):
            run_in_sandbox("print(1)")
        assert "not installed" in (bubblewrap.sandbox_unavailable_reason() or "")
    finally:
        bubblewrap.find_bubblewrap.cache_clear()


def test_unusable_bubblewrap_is_a_clear_error(monkeypatch, tmp_path):
    # A bwrap that cannot make namespaces fails the probe the way a real one does.
    fake = tmp_path / "bwrap"
    fake.write_text(
        "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    bubblewrap.find_bubblewrap.cache_clear()
    try:
        with pytest.raises(SandboxUnavailable, match=r"cannot create a sandbox here .*namespace"):
            run_in_sandbox("print(1)")
    finally:
        bubblewrap.find_bubblewrap.cache_clear()


@needs_sandbox
def test_a_path_bubblewrap_cannot_bind_is_a_clear_error(tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    inner = private / "inner"  # nobody cannot pass through private/ to reach it
    inner.mkdir()
    if bubblewrap.drop_privileges().user is None:
        pytest.skip("only root's sandbox runs as another user")
    with pytest.raises(SandboxUnavailable, match="could not set up the sandbox: bwrap:"):
        run_in_sandbox("pass", read_only_paths=[inner])
