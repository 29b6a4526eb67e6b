"""The options commands share, declared once.

A command takes them as parameters::

    def run(target: TargetOption = None, model: ModelOption = None, ...,
            runs_dir: RunsDirOption = DEFAULT_RUNS_DIR, as_json: JsonOption = False):
        spec = TargetSpec.parse(target, model=model, ...)

Every command that talks to a target takes the target options; every command
that reads or writes runs takes ``--runs-dir`` (``$REDLINE_RUNS_DIR``); every
command that prints a summary takes ``--json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

TARGET_SYNTAX = (
    "local (the bundled model), openai:MODEL, anthropic:MODEL, http:FILE.yaml (or FILE.yaml), "
    "python:module:function"
)

# --- the target ---------------------------------------------------------------

TargetOption = Annotated[
    str | None,
    typer.Option(
        "--target",
        "-t",
        help=f"The target: {TARGET_SYNTAX}; or a kind (openai, anthropic, http) with --model "
        "or --target-config.",
        show_default="local",
    ),
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
    Path | None, typer.Option("--target-config", help="YAML file describing an http target.")
]
SystemPromptOption = Annotated[
    str | None,
    typer.Option("--system-prompt", help="System prompt for conversations without one."),
]

# --- judges (LLM-judge scorers) -------------------------------------------------

JudgeOption = Annotated[
    str | None,
    typer.Option("--judge", help=f"Judge model for LLM-judge scorers: {TARGET_SYNTAX}."),
]
JudgeBaseURLOption = Annotated[
    str | None, typer.Option("--judge-base-url", help="API base URL of the judge model.")
]
JudgeKeyEnvOption = Annotated[
    str | None,
    typer.Option("--judge-api-key-env", help="Environment variable holding the judge's API key."),
]
ScorerOption = Annotated[
    str,
    typer.Option(
        "--scorer",
        "-s",
        help="refusal, refusal-patterns, harm, harm-classifier, strongreject, harmbench, canary, "
        "regex:PATTERN, exact:TEXT or python:module:function.",
    ),
]

# --- sampling: checked here so a bad value is one line naming the flag ----------
# (Optional so `scan` can tell "not given" from a value that overrides its campaign file.)

EpochsOption = Annotated[
    int | None, typer.Option("--epochs", min=1, help="Samples per prompt (models are stochastic).")
]
MaxNewTokensOption = Annotated[
    int | None, typer.Option("--max-new-tokens", min=1, help="Longest reply to ask for, in tokens.")
]
TemperatureOption = Annotated[
    float | None, typer.Option("--temperature", min=0.0, help="Sampling temperature (0 or more).")
]

# --- running and output -----------------------------------------------------------

MaxTranscriptsOption = Annotated[
    int | None,
    typer.Option(
        "--max-transcripts",
        min=0,
        help="Transcripts to embed in the HTML report: a sample stratified by category and "
        "outcome, successes and errors first; 0 for none [default: 2000]. The run files "
        "keep every attempt.",
    ),
]

DEFAULT_RUNS_DIR = Path("runs")
RunsDirOption = Annotated[
    Path,
    typer.Option(
        "--runs-dir",
        envvar="REDLINE_RUNS_DIR",
        help="Where runs are stored (default ./runs, or $REDLINE_RUNS_DIR).",
        show_default=False,
    ),
]
ConcurrencyOption = Annotated[
    int | None, typer.Option("--concurrency", min=1, help="Requests in flight at once.")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document to stdout (progress to stderr).")
]
# --- where the work runs ------------------------------------------------------------

ExecutorOption = Annotated[
    str | None,
    typer.Option(
        "--executor",
        help="Where the work runs: local (this process) or ray (worker actors on a Ray "
        "cluster; needs redline\\[ray]).",
    ),
]
RayAddressOption = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        help="Ray cluster to join (HOST:PORT, ray://HOST:PORT or auto); default: start a "
        "local one.",
    ),
]
RayWorkersOption = Annotated[
    int | None,
    typer.Option(help="Ray worker actors (default: 2 locally, else the cluster's CPUs)."),
]

NoProgressOption = Annotated[bool, typer.Option("--no-progress", help="No progress bar.")]
