"""Reading API keys from the environment variables a user names, never from config."""

from __future__ import annotations

import os
from collections.abc import Mapping

from redline.core import ConfigError


def resolve_api_key(
    *,
    named_env: str | None,
    default_env: str,
    target: str,
    required: bool = False,
    environ: Mapping[str, str] | None = None,
) -> tuple[str | None, str | None]:
    """Return ``(key, env var it came from)``.

    A variable the user named explicitly must be set. The default variable may
    be unset (local OpenAI-compatible servers need no key) unless ``required``.
    """
    env = os.environ if environ is None else environ
    if named_env:
        key = env.get(named_env)
        if not key:
            raise ConfigError(
                f"{target}: --api-key-env names ${named_env}, but it is not set in the environment"
            )
        return key, named_env
    key = env.get(default_env)
    if key:
        return key, default_env
    if required:
        raise ConfigError(
            f"{target}: no API key: set ${default_env} or name another variable with --api-key-env"
        )
    return None, None
