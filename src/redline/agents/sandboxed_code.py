"""The ``run_code`` tool's executor: redline's bubblewrap sandbox (``redline.sandbox``)."""

from __future__ import annotations

from redline.agents.state import CodeExecutor, ToolError
from redline.sandbox import (
    SandboxLimits,
    SandboxUnavailable,
    languages,
    run_in_sandbox,
    sandbox_unavailable_reason,
)


def sandbox_code_executor(limits: SandboxLimits | None = None) -> CodeExecutor | None:
    """An executor that runs each ``run_code`` call in the OS sandbox, or None when
    bubblewrap cannot run here (``sandbox_unavailable_reason()`` says why)."""
    if sandbox_unavailable_reason() is not None:
        return None
    chosen = limits or SandboxLimits()

    def execute(code: str, language: str) -> tuple[str, bool]:
        if language not in languages():
            raise ToolError(f"language {language!r} is not available; use one of {languages()}")
        try:
            result = run_in_sandbox(code, language=language, limits=chosen)
        except SandboxUnavailable as exc:
            raise ToolError(f"the sandbox is unavailable: {exc}") from None
        output = result.stdout
        if result.stderr:
            output += f"\n[stderr]\n{result.stderr}"
        if result.limit is not None and not result.timed_out:
            output += f"\n[stopped: the {result.limit} limit]"
        return output, result.timed_out

    return execute
