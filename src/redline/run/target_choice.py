"""The attacker and judge models of a run, from ``--attacker``/``--judge`` and their own
base URLs (``TargetSpec.parse`` reads each spec)."""

from __future__ import annotations

from redline.core import ConfigError
from redline.targets.spec import TargetSpec


def role_spec(
    current: TargetSpec | None, *, target: str | None, base_url: str | None, role: str
) -> TargetSpec | None:
    """The attacker or judge model after ``--ROLE`` and ``--ROLE-base-url``.

    ``--ROLE openai:MODEL`` replaces the campaign file's block; a base URL alone
    points the file's block (or the one named with it) at another endpoint. The
    target's own ``--base-url`` is never used for these roles: an attacker sent to
    the target's server, or a judge sent to the public API, would be a silent
    mistake. ``None``: keep what the campaign has.
    """
    if target is None and base_url is None:
        return None
    spec = TargetSpec.parse(target) if target is not None else current
    if spec is None:
        raise ConfigError(
            f"--{role}-base-url needs --{role} openai:MODEL (or a {role} block in the campaign)"
        )
    if base_url is not None:
        if spec.kind not in {"openai", "anthropic"} and not spec.kind.startswith("http"):
            raise ConfigError(f"--{role}-base-url is for openai/anthropic {role}s, not {spec.kind}")
        spec = spec.model_copy(update={"base_url": base_url})
    return spec
