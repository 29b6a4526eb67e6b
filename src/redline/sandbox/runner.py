"""run_in_sandbox: run a piece of code under bubblewrap with resource limits."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from redline.core.errors import ConfigError
from redline.sandbox.bubblewrap import (
    CODE_DIR,
    Bubblewrap,
    SandboxUnavailable,
    drop_privileges,
    find_bubblewrap,
    finish_root,
    mount_arguments,
)
from redline.sandbox.limits import LimitName, SandboxLimits, SandboxResult, signal_name

# After a kill, how long to wait for the sandbox's pipes to close (all its processes
# gone) before giving up on reading them; the kernel normally takes milliseconds.
_DRAIN_AFTER_KILL_SECONDS = 10.0
# What programs print when the kernel refused memory or a new process: the only
# sign of those limits, since the program, not the kernel, decides to stop.
_MEMORY_MARKERS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory")
_PROCESS_MARKERS = ("Resource temporarily unavailable", "BlockingIOError: [Errno 11]")


@dataclass(frozen=True)
class Language:
    """How to run code in one language: the file it is written to, and the argv."""

    name: str
    file: str
    argv: tuple[str, ...]


@cache
def languages() -> dict[str, Language]:
    """The languages the sandbox runs (from languages.yaml)."""
    text = resources.files("redline.sandbox").joinpath("languages.yaml").read_text("utf-8")
    return {
        name: Language(name=name, file=entry["file"], argv=tuple(entry["argv"]))
        for name, entry in yaml.safe_load(text).items()
    }


def _language(name: str) -> Language:
    known = languages()
    if name not in known:
        raise ConfigError(f"language: {name!r} is not supported (known: {', '.join(known)})")
    return known[name]


def default_hidden_paths() -> list[Path]:
    """The host's home directories: hidden even when a read-only path contains them."""
    homes = [Path("/root"), Path("/home")]
    home = os.environ.get("HOME")
    if home:
        homes.append(Path(home))
    return homes


def _visible_hidden(read_only: Sequence[Path], hidden: Sequence[Path]) -> list[Path]:
    """The hidden paths that would otherwise be seen through a read-only bind."""
    return [
        path
        for path in dict.fromkeys(hidden)
        if path.exists() and any(path == root or root in path.parents for root in read_only)
    ]


@dataclass
class _Capture:
    """One output stream, kept up to its cap."""

    cap: int
    data: bytearray = field(default_factory=bytearray)
    truncated: bool = False
    closed: bool = False

    def add(self, chunk: bytes) -> None:
        room = self.cap - len(self.data)
        if len(chunk) > room:
            self.truncated = True
        self.data += chunk[: max(room, 0)]

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


def run_in_sandbox(
    code: str,
    *,
    language: str = "python",
    limits: SandboxLimits | None = None,
    stdin: str = "",
    read_only_paths: Sequence[str | Path] = (),
    hidden_paths: Sequence[str | Path] | None = None,
) -> SandboxResult:
    """Run ``code`` in a bubblewrap sandbox and return what it printed and how it ended.

    No network, a read-only root holding the host's /usr only, /scratch (a tmpfs) as
    the only writable place and the working directory, new PID/IPC/UTS/user
    namespaces, and ``limits`` (wall and CPU time, memory, processes, output,
    file size). ``read_only_paths`` exposes more host paths read-only;
    ``hidden_paths`` (default: /root, /home and $HOME) are covered by an empty
    tmpfs wherever those binds would show them. Raises
    :class:`~redline.sandbox.SandboxUnavailable` when bubblewrap is missing or
    unusable, ConfigError for an unknown language.
    """
    chosen = _language(language)
    limits = limits or SandboxLimits()
    bwrap = find_bubblewrap()
    read_only = [Path(p).resolve() for p in read_only_paths]
    for path in read_only:
        if not path.exists():
            raise ConfigError(f"read_only_paths: {path} does not exist")
    hidden = [
        Path(p).resolve()
        for p in (default_hidden_paths() if hidden_paths is None else hidden_paths)
    ]
    return _SandboxRun(bwrap=bwrap, language=chosen, limits=limits).run(
        code, stdin=stdin, read_only=read_only, hidden=_visible_hidden(read_only, hidden)
    )


@dataclass
class _SandboxRun:
    bwrap: Bubblewrap
    language: Language
    limits: SandboxLimits

    def run(
        self, code: str, *, stdin: str, read_only: list[Path], hidden: list[Path]
    ) -> SandboxResult:
        code_fd = os.memfd_create("sandbox-code")
        status_read, status_write = os.pipe()
        try:
            os.write(code_fd, code.encode("utf-8"))
            os.lseek(code_fd, 0, os.SEEK_SET)
            argv = self._argv(code_fd, status_write, read_only=read_only, hidden=hidden)
            run_as = drop_privileges()
            started = time.monotonic()
            process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(code_fd, status_write),
                start_new_session=True,
                cwd="/",
                user=run_as.user,
                group=run_as.group,
                extra_groups=run_as.extra_groups,
            )
        finally:
            os.close(code_fd)
            os.close(status_write)
        try:
            return self._watch(process, status_read, stdin=stdin, started=started)
        finally:
            os.close(status_read)

    def _argv(
        self, code_fd: int, status_fd: int, *, read_only: list[Path], hidden: list[Path]
    ) -> list[str]:
        mounts = mount_arguments(
            self.bwrap, read_only=read_only, hidden=hidden, limits_bytes=self.limits.scratch_bytes
        )
        mounts += ["--ro-bind-data", str(code_fd), f"{CODE_DIR}/{self.language.file}"]
        launcher = resources.files("redline.sandbox").joinpath("launcher.py").read_text("utf-8")
        return [
            self.bwrap.path,
            *finish_root(mounts),
            "python3", "-I", "-c", launcher,
            json.dumps(self.limits.rlimits()), str(status_fd),
            *self.language.argv,
        ]  # fmt: skip

    def _watch(
        self, process: subprocess.Popen[bytes], status_fd: int, *, stdin: str, started: float
    ) -> SandboxResult:
        assert process.stdin and process.stdout and process.stderr
        self._feed(process, stdin)
        out = _Capture(cap=self.limits.max_output_bytes)
        err = _Capture(cap=self.limits.max_output_bytes)
        status = bytearray()
        streams: dict[int, _Capture | bytearray] = {
            process.stdout.fileno(): out,
            process.stderr.fileno(): err,
            status_fd: status,
        }
        selector = selectors.DefaultSelector()
        for fd in streams:
            selector.register(fd, selectors.EVENT_READ)
        deadline = started + self.limits.wall_seconds
        fired: LimitName | None = None
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0 and fired is None:
                fired = "wall_time"
                self._kill(process)
                deadline = time.monotonic() + _DRAIN_AFTER_KILL_SECONDS
                continue
            if remaining <= 0:
                break  # killed, and the pipes still did not close: stop reading
            for key, _ in selector.select(timeout=remaining):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fd)
                    continue
                target = streams[key.fd]
                if isinstance(target, _Capture):
                    target.add(chunk)
                    if target.truncated and fired is None:
                        fired = "output"
                        self._kill(process)
                        deadline = time.monotonic() + _DRAIN_AFTER_KILL_SECONDS
                else:
                    target += chunk
        selector.close()
        if fired is not None:
            self._kill(process)
        process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            stream.close()
        return self._result(
            out, err, status=bytes(status), fired=fired, wall=time.monotonic() - started
        )

    def _feed(self, process: subprocess.Popen[bytes], stdin: str) -> None:
        assert process.stdin
        try:
            # Small inputs only: a pipe holds 64 KiB, and the code may not read it.
            process.stdin.write(stdin.encode("utf-8")[:65536])
            process.stdin.close()
        except BrokenPipeError:
            pass

    @staticmethod
    def _kill(process: subprocess.Popen[bytes]) -> None:
        # bwrap leads its process group; its death takes the sandbox's PID namespace
        # (and every process in it) down with it (--die-with-parent).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def _result(
        self, out: _Capture, err: _Capture, *, status: bytes, fired: LimitName | None, wall: float
    ) -> SandboxResult:
        report: dict[str, Any] = json.loads(status) if status else {}
        stderr = err.text()
        if not report and fired is None and stderr.startswith("bwrap:"):
            # bubblewrap itself failed before the code ran: a bind it could not make.
            raise SandboxUnavailable(
                f"bubblewrap could not set up the sandbox: {stderr.strip()}"
                + (
                    " (redline runs as root, so the sandbox runs as nobody: exposed "
                    "paths must be readable by it)"
                    if os.geteuid() == 0
                    else ""
                )
            )
        exit_code: int | None = report.get("exit")
        killed_by = None
        if exit_code is not None and exit_code < 0:
            killed_by = signal_name(-exit_code)
        elif fired in ("wall_time", "output"):
            killed_by = "SIGKILL"
        if fired is None and exit_code:
            cpu = report.get("cpu_seconds")
            fired = _limit_from_ending(
                killed_by, stderr, cpu_spent=cpu is not None and cpu >= self.limits.cpu_seconds
            )
        return SandboxResult(
            stdout=out.text(),
            stderr=stderr,
            exit_code=exit_code,
            timed_out=fired == "wall_time",
            killed_by=killed_by,
            limit=fired,
            stdout_truncated=out.truncated,
            stderr_truncated=err.truncated,
            wall_seconds=round(wall, 4),
            cpu_seconds=report.get("cpu_seconds"),
            max_rss_kib=report.get("max_rss_kib"),
        )


def _limit_from_ending(killed_by: str | None, stderr: str, *, cpu_spent: bool) -> LimitName | None:
    """Which limit a run that failed on its own ran into, if any."""
    if killed_by == "SIGXCPU" or (killed_by == "SIGKILL" and cpu_spent):
        # SIGKILL: the hard CPU limit, a second after SIGXCPU was caught or ignored.
        return "cpu_time"
    if killed_by == "SIGXFSZ" or "File too large" in stderr:
        # Python ignores SIGXFSZ, so there the refused write raises EFBIG instead.
        return "file_size"
    if any(marker in stderr for marker in _MEMORY_MARKERS):
        return "memory"
    if any(marker in stderr for marker in _PROCESS_MARKERS):
        return "processes"
    return None
