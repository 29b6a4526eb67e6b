"""How a user names a target: on the command line or in campaign YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from redline.core import ConfigError
from redline.targets.base import TARGETS

PYTHON_PREFIX = "python:"
_YAML_SUFFIXES = (".yaml", ".yml")


class TargetSpec(BaseModel):
    """Everything needed to build a target; holds no secret values.

    ``kind`` is ``local``, ``openai``, ``anthropic``, ``http``, a plugin kind
    or ``python:module:function``. API keys are read from the environment
    variable named by ``api_key_env`` when the target is built, never stored here.
    Build one from what a user typed with :meth:`parse`.
    """

    model_config = ConfigDict(extra="forbid")

    kind: str = "local"
    model: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    model_path: Path | None = None
    config_file: Path | None = None
    system_prompt: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        # Checked here so a typo in a campaign file is reported with its line.
        if kind.startswith(PYTHON_PREFIX) or kind in TARGETS:
            return kind
        raise ValueError(TARGETS.unknown_message(kind))

    @classmethod
    def parse(
        cls,
        target: str | None = None,
        *,
        model: str | None = None,
        base_url: str | None = None,
        api_key_env: str | None = None,
        model_path: Path | None = None,
        config_file: Path | None = None,
        system_prompt: str | None = None,
    ) -> TargetSpec:
        """The spec for ``--target TARGET`` and the other target options.

        ``target`` defaults to ``local``, or ``http`` when ``config_file`` is
        given. Short forms: ``openai:MODEL`` and ``anthropic:MODEL`` set the
        model, ``http:FILE`` or a path ending in .yaml/.yml the config file,
        ``local:FILE.gguf`` the model path (so a target's display name can be
        passed back), ``python:module:function`` a Python callable.
        Conflicting options and unknown kinds raise ConfigError.
        """
        fields = parse_target_fields(
            target,
            model=model,
            base_url=base_url,
            api_key_env=api_key_env,
            model_path=model_path,
            config_file=config_file,
            system_prompt=system_prompt,
        )
        fields.setdefault("kind", "http" if fields.get("config_file") else "local")
        if fields.get("config_file") is not None and fields["kind"] != "http":
            raise ConfigError(f"--target-config is for http targets, not --target {fields['kind']}")
        if not fields["kind"].startswith(PYTHON_PREFIX):
            TARGETS.get(fields["kind"])  # UnknownNameError with the closest names
        return cls(**fields)

    def display_name(self) -> str:
        """A stable, secret-free name used in attempt ids and reports."""
        if self.kind == "local":
            return f"local:{self.model_path.name if self.model_path else 'smollm2-135m-instruct'}"
        if self.kind in {"openai", "anthropic"}:
            return f"{self.kind}:{self.model or '?'}"
        if self.kind == "http":
            return f"http:{self.config_file.name if self.config_file else '?'}"
        return self.kind


def parse_target_fields(
    target: str | None,
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key_env: str | None = None,
    model_path: Path | None = None,
    config_file: Path | None = None,
    system_prompt: str | None = None,
) -> dict[str, Any]:
    """The TargetSpec fields that ``target`` and the given options set, and only those.

    Used to override part of a campaign file's target from the command line
    (``--model`` alone keeps the file's kind), and by :meth:`TargetSpec.parse`.
    """
    kind = target
    if kind is not None:
        head, sep, rest = kind.partition(":")
        if kind.endswith(_YAML_SUFFIXES) and head not in {"http", "python"}:
            kind, head, sep, rest = "http", "http", ":", kind
        if sep and head in {"openai", "anthropic"}:
            if model and model != rest:
                raise ConfigError(f"--target {target} and --model {model} name different models")
            kind, model = head, rest
        elif sep and head == "http":
            file = Path(rest)
            if config_file and config_file != file:
                raise ConfigError(f"--target {target} and --target-config {config_file} disagree")
            kind, config_file = "http", file
        elif sep and head == "local":
            kind = "local"
            if rest.endswith(".gguf"):
                model_path = model_path or Path(rest)
    given = {
        "kind": kind,
        "model": model,
        "base_url": base_url,
        "api_key_env": api_key_env,
        "model_path": model_path,
        "config_file": config_file,
        "system_prompt": system_prompt,
    }
    return {key: value for key, value in given.items() if value is not None}
