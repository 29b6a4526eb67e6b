"""Running untrusted code: a bubblewrap sandbox with resource limits.

>>> from redline.sandbox import run_in_sandbox, SandboxLimits
>>> result = run_in_sandbox("print(6 * 7)", limits=SandboxLimits(wall_seconds=5))
>>> result.stdout, result.exit_code
('42\\n', 0)

No network, a read-only root with only the host's /usr in it, /scratch as the only
writable place, CPU/memory/process/output/file-size limits and a wall-clock
timeout. :func:`sandbox_unavailable_reason` says why not when bubblewrap cannot
run here (``run_in_sandbox`` then raises :class:`SandboxUnavailable`).
"""

from redline.sandbox.bubblewrap import SandboxUnavailable, sandbox_unavailable_reason
from redline.sandbox.limits import LimitName, SandboxLimits, SandboxResult
from redline.sandbox.runner import languages, run_in_sandbox

__all__ = [
    "LimitName",
    "SandboxLimits",
    "SandboxResult",
    "SandboxUnavailable",
    "languages",
    "run_in_sandbox",
    "sandbox_unavailable_reason",
]
