"""Which target a run talks to, from the options every entry point shares (``--target``,
``--model``, ``--base-url``...): the CLI commands and the pytest plugin."""

from __future__ import annotations

from pathlib import Path

from redline.core import ConfigError
from redline.targets.spec import TargetSpec

_YAML_SUFFIXES = (".yaml", ".yml")


def target_spec_from_options(
    *,
    target: str | None = None,
    model: str | None = None,
    base_url: str | None = None,
    api_key_env: str | None = None,
    model_path: Path | None = None,
    target_config: Path | None = None,
    system_prompt: str | None = None,
) -> TargetSpec:
    """Turn the shared target options into a TargetSpec.

    ``target`` defaults to ``local``, or ``http`` when ``target_config`` is
    given. The short forms ``openai:MODEL`` and ``anthropic:MODEL`` set the
    model, ``http:FILE`` or a path ending in .yaml/.yml sets the config file,
    and ``local:FILE.gguf`` the model path, so a target's display name can be
    passed back as ``--target``. Conflicting options raise ConfigError.
    """
    kind = target or ("http" if target_config else "local")
    head, sep, rest = kind.partition(":")
    if kind.endswith(_YAML_SUFFIXES) and head not in {"http", "python"}:
        kind, head, sep, rest = "http", "http", ":", kind
    if sep and head in {"openai", "anthropic"}:
        if model and model != rest:
            raise ConfigError(f"--target {target} and --model {model} name different models")
        kind, model = head, rest
    elif sep and head == "http":
        file = Path(rest)
        if target_config and target_config != file:
            raise ConfigError(f"--target {target} and --target-config {target_config} disagree")
        kind, target_config = "http", file
    elif sep and head == "local":
        kind = "local"
        if rest.endswith(".gguf"):
            model_path = model_path or Path(rest)
    if target_config is not None and kind != "http":
        raise ConfigError(f"--target-config is for http targets, not --target {kind}")
    return TargetSpec(
        kind=kind,
        model=model,
        base_url=base_url,
        api_key_env=api_key_env,
        model_path=model_path,
        config_file=target_config,
        system_prompt=system_prompt,
    )


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
    spec = target_spec_from_options(target=target) if target is not None else current
    if spec is None:
        raise ConfigError(
            f"--{role}-base-url needs --{role} openai:MODEL (or a {role} block in the campaign)"
        )
    if base_url is not None:
        if spec.kind not in {"openai", "anthropic"} and not spec.kind.startswith("http"):
            raise ConfigError(f"--{role}-base-url is for openai/anthropic {role}s, not {spec.kind}")
        spec = spec.model_copy(update={"base_url": base_url})
    return spec
