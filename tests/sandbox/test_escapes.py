"""Escapes from the sandbox fail: network, writes outside /scratch, the host's home,
fork bombs. Each test also shows the same code does what it tries outside the
sandbox (or through a path the sandbox does expose), so it can fail."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from redline.sandbox import SandboxLimits, run_in_sandbox

pytestmark = pytest.mark.needs_sandbox

MARKER = "/sandbox/main.py"


@pytest.fixture
def listening_server():
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[str] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(conn.recv(100).decode())
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    server.close()
    thread.join(timeout=10)


CONNECT = """
import socket
try:
    s = socket.create_connection(("127.0.0.1", {port}), timeout=5)
    s.sendall(b"escaped")
    s.close()
    print("connected")
except OSError as exc:
    print("blocked", exc.errno)
"""


def test_network_to_a_server_on_the_host_is_unreachable(listening_server):
    port, accepted = listening_server
    code = CONNECT.format(port=port)
    # The same code outside the sandbox reaches the server.
    outside = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert outside.stdout.strip() == "connected"

    result = run_in_sandbox(code)

    assert result.exit_code == 0
    assert result.stdout.startswith("blocked")
    assert accepted == ["escaped"]  # only the connection made outside


def test_the_sandbox_has_no_network_interface_up():
    result = run_in_sandbox(
        "import socket\n"
        "print(sorted(name for _, name in socket.if_nameindex()))\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "try:\n    s.connect(('192.0.2.1', 53)); print('route')\n"
        "except OSError as exc:\n    print('no route', exc.errno)\n"
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "['lo']"
    assert lines[1].startswith("no route")


WRITE_EVERYWHERE = """
import os
for path in {paths!r}:
    try:
        with open(path, "w") as f:
            f.write("pwned")
        print("wrote", path)
    except OSError as exc:
        print("refused", path, exc.errno)
"""


def test_writing_outside_scratch_fails_and_scratch_is_writable(tmp_path):
    exposed = tmp_path / "exposed"
    exposed.mkdir()
    targets = [
        "/usr/pwned",
        "/pwned",
        "/tmp/pwned",
        "/proc/pwned",
        str(exposed / "pwned"),
        str(tmp_path / "pwned"),
        "/scratch/ok",
    ]
    result = run_in_sandbox(WRITE_EVERYWHERE.format(paths=targets), read_only_paths=[exposed])

    lines = result.stdout.splitlines()
    assert lines[-1] == "wrote /scratch/ok"
    assert [line.split()[0] for line in lines[:-1]] == ["refused"] * (len(targets) - 1)
    assert not (exposed / "pwned").exists() and not (tmp_path / "pwned").exists()
    assert not Path("/pwned").exists() and not Path("/usr/pwned").exists()


READ_SECRET = """
for path in {paths!r}:
    try:
        print("read", path, open(path).read())
    except OSError as exc:
        print("hidden", path, exc.errno)
"""


def test_the_hosts_home_is_hidden_even_under_an_exposed_path(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "secret.txt").write_text("HUNTER2-SECRET")
    (home / "secret.txt").chmod(0o644)  # readable: only the hiding keeps it out
    (tmp_path / "public.txt").write_text("public-data")
    monkeypatch.setenv("HOME", str(home))
    paths = [str(tmp_path / "public.txt"), str(home / "secret.txt")]

    # tmp_path is exposed read-only; $HOME inside it is hidden by default.
    result = run_in_sandbox(READ_SECRET.format(paths=paths), read_only_paths=[tmp_path])

    assert f"read {paths[0]} public-data" in result.stdout
    assert f"hidden {paths[1]}" in result.stdout
    assert "HUNTER2" not in result.stdout + result.stderr


def test_without_hiding_the_same_secret_is_readable(tmp_path):
    # Control for the test above: the bind really exposes the directory.
    home = tmp_path / "home"
    home.mkdir()
    (home / "secret.txt").write_text("HUNTER2-SECRET")
    result = run_in_sandbox(
        READ_SECRET.format(paths=[str(home / "secret.txt")]),
        read_only_paths=[tmp_path],
        hidden_paths=[],
    )
    assert "HUNTER2-SECRET" in result.stdout


def test_root_home_and_the_project_are_not_in_the_sandbox():
    paths = ["/root/.bashrc", "/etc/passwd", __file__]
    result = run_in_sandbox(READ_SECRET.format(paths=paths))
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["hidden"] * 3


def _processes_running(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


FORK_UNTIL_REFUSED = """
import os, time
children = 0
while True:
    try:
        pid = os.fork()
    except OSError as exc:
        print("refused after", children, "errno", exc.errno, flush=True)
        break
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    children += 1
"""


def test_process_limit_refuses_forks_and_children_die_with_the_run():
    limits = SandboxLimits(max_processes=12, wall_seconds=60)
    result = run_in_sandbox(FORK_UNTIL_REFUSED, limits=limits)

    words = result.stdout.split()
    assert words[:2] == ["refused", "after"]
    children = int(words[2])
    # 12 tasks: bubblewrap's init, the launcher, the code, and its children.
    assert 0 < children <= 12 - 3
    assert words[-1] == str(11)  # EAGAIN
    assert result.exit_code == 0 and not result.timed_out
    # The sleeping children went with the sandbox.
    assert _processes_running(MARKER) == []


def test_fork_bomb_is_contained_and_leaves_nothing_behind():
    bomb = (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    )
    limits = SandboxLimits(max_processes=16, wall_seconds=4, cpu_seconds=2)

    result = run_in_sandbox(bomb, limits=limits)

    assert result.timed_out or result.limit == "cpu_time"
    assert _processes_running(MARKER) == []
    # The host can still start processes.
    assert run_in_sandbox("print('alive')").stdout == "alive\n"


def test_the_sandbox_runs_as_an_unprivileged_user():
    result = run_in_sandbox("import os\nprint(os.getuid() == 0, os.geteuid() == 0)")
    if os.geteuid() == 0:
        # Root on the host runs the sandbox as nobody (see bubblewrap.NOBODY).
        assert result.stdout.strip() == "False False"
    assert result.exit_code == 0
