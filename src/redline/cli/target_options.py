"""The options every command that talks to a target shares, and how they become a TargetSpec.

A command declares them as parameters::

    def scan(target: TargetOption = None, model: ModelOption = None, ...):
        spec = target_spec_from_options(target=target, model=model, ...)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# Re-exported: commands import the options and the function from one place; the
# function lives in run/ so the pytest plugin can use it without importing the CLI.
from redline.run.target_choice import target_spec_from_options

__all__ = ["target_spec_from_options"]

TARGET_HELP = (
    "Target kind: local (bundled model), openai, anthropic, http, python:module:function. "
    "Also openai:MODEL, anthropic:MODEL, or a FILE.yaml (an http target)."
)

TargetOption = Annotated[
    str | None, typer.Option("--target", "-t", help=TARGET_HELP, show_default="local")
]
ModelOption = Annotated[
    str | None, typer.Option("--model", "-m", help="Model name for openai/anthropic targets.")
]
BaseURLOption = Annotated[
    str | None,
    typer.Option("--base-url", help="API base URL, e.g. http://localhost:8000/v1 for vLLM."),
]
APIKeyEnvOption = Annotated[
    str | None,
    typer.Option(
        "--api-key-env",
        help="Environment variable holding the API key (default OPENAI_API_KEY / "
        "ANTHROPIC_API_KEY). The key itself is never passed on the command line.",
    ),
]
ModelPathOption = Annotated[
    Path | None, typer.Option("--model-path", help="A GGUF file for the local target.")
]
TargetConfigOption = Annotated[
    Path | None,
    typer.Option("--target-config", help="YAML file describing an http target."),
]
SystemPromptOption = Annotated[
    str | None,
    typer.Option("--system-prompt", help="System prompt for conversations without one."),
]
