"""The bubblewrap command line: what the sandbox sees of the host, and nothing more.

The sandbox's root is an empty tmpfs, remounted read-only, holding the host's
/usr (and the /bin, /lib... links or binds beside it) read-only, a fresh /proc
and /dev, and /scratch, the only writable place. Paths the caller lists are
bound read-only; paths to hide are covered by an empty tmpfs. Every namespace is
new (network: only a loopback that is down), so nothing outside is reachable.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from redline.core.errors import RedlineError

SCRATCH = "/scratch"
CODE_DIR = "/sandbox"
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
# Top-level host entries merged-/usr systems keep as links into /usr, and older ones as
# directories with the loader and the shell in them.
_SYSTEM_ENTRIES = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
# bubblewrap learnt --size (a tmpfs with a size cap) in 0.10.
_SIZE_OPTION_SINCE = (0, 10)
# An unprivileged account to run as when redline runs as root: root in the sandbox's
# user namespace would be root on the host for the kernel's process count, which
# exempts it from RLIMIT_NPROC (and a fork bomb from the limit).
NOBODY = 65534


class SandboxUnavailable(RedlineError):
    """bubblewrap is missing or cannot create a sandbox here (exit code 3)."""


@dataclass(frozen=True)
class Bubblewrap:
    """An installed, working bubblewrap."""

    path: str
    version: tuple[int, ...]

    @property
    def can_size_tmpfs(self) -> bool:
        return self.version[:2] >= _SIZE_OPTION_SINCE


def _version(path: str) -> tuple[int, ...]:
    done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    match = re.search(r"(\d+(?:\.\d+)+)", done.stdout)
    return tuple(int(part) for part in match.group(1).split(".")) if match else (0,)


@dataclass(frozen=True)
class RunAs:
    """Who bubblewrap runs as (Popen's user, group and extra_groups; None: as we are)."""

    user: int | None = None
    group: int | None = None
    extra_groups: tuple[int, ...] | None = None


def drop_privileges() -> RunAs:
    """Run bubblewrap as nobody when redline runs as root, otherwise as we are."""
    if os.geteuid() != 0:
        return RunAs()
    return RunAs(user=NOBODY, group=NOBODY, extra_groups=())


@functools.cache
def find_bubblewrap() -> Bubblewrap:
    """The bubblewrap to use, checked once per process by running ``true`` in a sandbox.

    Raises :class:`SandboxUnavailable` saying why when there is none that works.
    """
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed; install it (Debian/Ubuntu: "
            "apt-get install bubblewrap) to run code in the sandbox"
        )
    bwrap = Bubblewrap(path=path, version=_version(path))
    probe = [*mount_arguments(bwrap, read_only=(), hidden=(), limits_bytes=None), "true"]
    run_as = drop_privileges()
    done = subprocess.run(
        [path, *probe],
        capture_output=True,
        text=True,
        timeout=60,
        user=run_as.user,
        group=run_as.group,
        extra_groups=run_as.extra_groups,
    )
    if done.returncode != 0:
        reason = done.stderr.strip() or f"exit code {done.returncode}"
        raise SandboxUnavailable(
            f"bubblewrap cannot create a sandbox here ({reason}); it needs unprivileged "
            "user namespaces (sysctl kernel.unprivileged_userns_clone=1, or "
            "kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu)"
        )
    return bwrap


def sandbox_unavailable_reason() -> str | None:
    """None when the sandbox works here, otherwise why not (for skips and `--help`)."""
    try:
        find_bubblewrap()
    except SandboxUnavailable as exc:
        return str(exc)
    return None


def _system_mounts() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in _SYSTEM_ENTRIES:
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), f"/{name}"]
        elif host.is_dir():
            args += ["--ro-bind", str(host), f"/{name}"]
    return args


def mount_arguments(
    bwrap: Bubblewrap,
    *,
    read_only: Sequence[Path],
    hidden: Sequence[Path],
    limits_bytes: int | None,
) -> list[str]:
    """bwrap options for the namespaces and the file system (no command)."""
    args = [
        "--unshare-all",
        "--die-with-parent",
        # A new session: the code cannot push keystrokes into the caller's terminal.
        "--new-session",
        "--clearenv",
        "--setenv", "PATH", SANDBOX_PATH,
        "--setenv", "HOME", SCRATCH,
        "--setenv", "TMPDIR", SCRATCH,
        "--setenv", "LANG", "C.UTF-8",
        "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
        *_system_mounts(),
        "--proc", "/proc",
        "--dev", "/dev",
    ]  # fmt: skip
    for path in read_only:
        args += ["--ro-bind", str(path), str(path)]
    for path in hidden:
        args += ["--tmpfs", str(path)]
    if limits_bytes is not None and bwrap.can_size_tmpfs:
        args += ["--size", str(limits_bytes)]
    args += ["--tmpfs", SCRATCH, "--chdir", SCRATCH]
    return args


def finish_root(args: list[str]) -> list[str]:
    """Options that must come last: nothing outside /scratch stays writable."""
    return [*args, "--remount-ro", "/"]
