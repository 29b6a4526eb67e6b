"""What a sandboxed run may use, and what came of it."""

from __future__ import annotations

import signal
from dataclasses import asdict, dataclass
from typing import Any, Literal

MIB = 1024 * 1024

# Which limit stopped a run. "memory" and "processes" are read from what the code
# printed when an allocation or a fork was refused (see docs/agents-security.md):
# the kernel refuses the request, the program decides what to do about it.
LimitName = Literal["wall_time", "cpu_time", "memory", "processes", "output", "file_size"]


@dataclass(frozen=True, kw_only=True)
class SandboxLimits:
    """Resource limits for one run.

    ``max_processes`` counts every task in the sandbox, threads included, and two
    of them are the sandbox's own (bubblewrap's init and the launcher).
    ``max_output_bytes`` applies to stdout and stderr each; a run that writes
    more is stopped. ``scratch_bytes`` caps the writable /scratch when the
    installed bubblewrap can size a tmpfs (0.10 and later); older ones leave
    only ``max_file_bytes`` per file.
    """

    wall_seconds: float = 10.0
    cpu_seconds: int = 5
    memory_bytes: int = 512 * MIB
    max_processes: int = 32
    max_output_bytes: int = 1 * MIB
    max_file_bytes: int = 16 * MIB
    max_open_files: int = 256
    scratch_bytes: int = 64 * MIB

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value <= 0:
                raise ValueError(f"SandboxLimits.{name} must be positive, got {value!r}")
        if self.max_processes < 3:
            raise ValueError("SandboxLimits.max_processes must be at least 3 (2 are the sandbox's)")

    def rlimits(self) -> dict[str, tuple[int, int]]:
        """The setrlimit calls the launcher makes, by resource name."""
        return {
            # The soft CPU limit sends SIGXCPU; the hard one a second later, SIGKILL.
            "RLIMIT_CPU": (self.cpu_seconds, self.cpu_seconds + 1),
            "RLIMIT_AS": (self.memory_bytes, self.memory_bytes),
            "RLIMIT_NPROC": (self.max_processes, self.max_processes),
            "RLIMIT_FSIZE": (self.max_file_bytes, self.max_file_bytes),
            "RLIMIT_NOFILE": (self.max_open_files, self.max_open_files),
            "RLIMIT_CORE": (0, 0),
        }


@dataclass(frozen=True, kw_only=True)
class SandboxResult:
    """How a sandboxed run ended.

    ``exit_code`` is the code's own (negative: killed by that signal; None: the
    sandbox was stopped before the code reported). ``killed_by`` names the signal
    that ended it, ``limit`` the limit that fired (None when none did).
    """

    stdout: str
    stderr: str
    exit_code: int | None
    timed_out: bool
    killed_by: str | None
    limit: LimitName | None
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    wall_seconds: float = 0.0
    cpu_seconds: float | None = None
    max_rss_kib: int | None = None

    @property
    def ok(self) -> bool:
        """The code ran to the end and exited 0."""
        return self.exit_code == 0 and self.limit is None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
