"""`redline threat-model SYSTEM.yaml`: a threat model from a system description."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from redline.cli.options import DEFAULT_RUNS_DIR, JsonOption, RunsDirOption


def threat_model(
    system: Annotated[Path, typer.Argument(help="System description YAML (see docs).")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Directory for the Markdown, HTML, SVG, JSON.")
    ],
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Threat rules YAML (default: the shipped ones).")
    ] = None,
    agent_run: Annotated[
        list[str] | None,
        typer.Option(
            "--agent-run",
            help="Take agent suites' results from this agent run in --runs-dir (id or prefix; "
            "repeatable). Default: the newest agent run that attacked each suite.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Write a threat model for SYSTEM: a data-flow diagram (SVG) with trust
    boundaries, threats per element (STRIDE, OWASP LLM 2025, OWASP agentic, MITRE
    ATLAS), the redline attacks and agent suites that exercise each threat, and
    their latest results from --runs-dir: attack success per attack family, and
    targeted attack success per agent suite (from `redline agent run`), with 95%
    intervals. Markdown and HTML."""
    from redline.threat_model import threat_model_from_file  # lazy: CLI start-up

    written = threat_model_from_file(
        system, output=output, runs_dir=runs_dir, rules_path=rules, agent_runs=agent_run or ()
    )
    if as_json:
        typer.echo(json.dumps(written.to_dict()))
        return
    typer.echo(
        f"{written.elements} elements, {written.threats} threats ({written.rule_threats} from "
        f"the LLM and agent rules: {written.measured} measured, {written.untested} not yet "
        f"tested by redline); results for {written.results} attack families and "
        f"{written.agent_results} agent suites from {runs_dir}"
    )
    typer.echo(f"wrote {written.markdown}, {written.html}, {written.svg}")


def register(app: typer.Typer) -> None:
    app.command("threat-model")(threat_model)
