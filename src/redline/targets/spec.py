"""How a user names a target: on the command line or in campaign YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TargetSpec(BaseModel):
    """Everything needed to build a target; holds no secret values.

    ``kind`` is ``local``, ``openai``, ``anthropic``, ``http`` or
    ``python:module:function``. API keys are read from the environment variable
    named by ``api_key_env`` when the target is built, never stored here.
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

    def display_name(self) -> str:
        """A stable, secret-free name used in attempt ids and reports."""
        if self.kind == "local":
            return f"local:{self.model_path.name if self.model_path else 'smollm2-135m-instruct'}"
        if self.kind in {"openai", "anthropic"}:
            return f"{self.kind}:{self.model or '?'}"
        if self.kind == "http":
            return f"http:{self.config_file.name if self.config_file else '?'}"
        return self.kind
