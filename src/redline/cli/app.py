"""The `redline` command.

Each command lives in a module under ``redline.cli`` that registers itself
through ``register(app)``. Modules load only when their command runs, so
``redline --help`` and ``redline guard check`` do not pay for numpy, scipy,
duckdb, aiohttp or the attack library: :data:`COMMANDS` lists each top-level
command with its module and the one-line help shown in ``redline --help``.
A new command adds a row there (tests check the row matches the command).
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any, NamedTuple

import click
import typer
from typer.core import TyperGroup

from redline import __version__
from redline.cli.broken_pipe import hook_rich_broken_pipe, stop_quietly_on_broken_pipe
from redline.core.errors import RedlineError


class CommandEntry(NamedTuple):
    """Where a top-level command lives and its line in ``redline --help``."""

    module: str
    help: str


COMMANDS: dict[str, CommandEntry] = {
    "scan": CommandEntry("scan", "Run a red-team campaign: a run directory and an HTML report."),
    "runs": CommandEntry("runs", "List, inspect and re-score runs."),
    # One-liners fit in 60 characters: click cuts them to 78 - 6 - the longest
    # name ("threat-model") in `redline --help`.
    "import": CommandEntry("import_runs", "Bring garak, promptfoo or Inspect results in as runs."),
    "query": CommandEntry("runs", "SQL over every run (DuckDB views: runs, attempts, scores)."),
    "report": CommandEntry("report", "Print a run's summary and write its HTML report."),
    "ablate": CommandEntry("ablate", "Compare interventions: safety, over-refusal, capability."),
    "compare": CommandEntry("compare", "Compare run B with run A: what regressed, with tests."),
    "gate": CommandEntry("gate", "Pass or fail a run against thresholds, for CI."),
    "score": CommandEntry("score", "Score prompt/response records with any scorer."),
    "judge": CommandEntry("judge", "Measure scorers and judges against human labels."),
    "power": CommandEntry("stats", "Prompts needed to detect a change, or the precision n buys."),
    "targets": CommandEntry("targets", "The models and apps redline can test: list, check."),
    "suites": CommandEntry("suites", "The built-in prompt suites and the hazard categories."),
    "datasets": CommandEntry("suites", "Public red-team datasets and prompts files."),
    "attacks": CommandEntry("attacks", "The attack library: list, show, convert."),
    "guard": CommandEntry("guard", "Runtime guard: check texts, scan files, serve, proxy."),
    "regress": CommandEntry(
        "regress", "Regression suites from abuse reports: ingest, shrink, run."
    ),
    "monitor": CommandEntry("monitor", "Watch production logs: guard rates, alerts, anomalies."),
    "spec": CommandEntry("spec", "Behavioural specs: check, plan, catalogues."),
    "card": CommandEntry("card", "Model and system cards from runs, governance crosswalk."),
    "disclose": CommandEntry("disclose", "A coordinated-disclosure report for one finding."),
    "train": CommandEntry("train", "Rebuild the classifiers redline ships."),
    "prefs": CommandEntry("prefs", "Preference pairs: build from runs, import, validate."),
    "reward": CommandEntry("reward", "Reward models: train, evaluate, score runs."),
    "cai": CommandEntry("cai", "Constitutional AI: critique, revise, AI feedback."),
    "dpo": CommandEntry("dpo", "DPO fine-tuning of a GGUF model, back to GGUF."),
    "cache": CommandEntry("cache", "The response cache: stats, clear."),
    "agent": CommandEntry("agent", "Agents under injection: run suites, list, MCP scan."),
    "threat-model": CommandEntry(
        "threat_model", "Threat model: data-flow diagram, threats, tests."
    ),
    "sandbox": CommandEntry("sandbox", "Run code in the OS sandbox agents use: run, check."),
    "ui": CommandEntry("ui", "Local web dashboard: runs, transcripts, compare, annotation."),
    "annotate": CommandEntry("annotate", "Label runs by hand: queues, agreement, exports."),
}


def load_command(name: str) -> click.Command:
    """Import the module of a top-level command and build its click command."""
    # rich's own reaction to a broken pipe is exit 1 ("a gate failed"): hook it,
    # without importing rich for a command that never draws with it.
    hook_rich_broken_pipe()
    module = importlib.import_module(f"redline.cli.{COMMANDS[name].module}")
    holder = typer.Typer()
    module.register(holder)
    command = typer.main.get_group(holder).commands.get(name)
    if command is None:
        raise LookupError(f"redline.cli.{COMMANDS[name].module} does not register {name!r}")
    return command


class RedlineGroup(TyperGroup):
    """Loads commands on demand, and turns a redline error anywhere below into one
    red line and its exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        if ctx.meta.get(_LISTING):
            # `redline --help` only needs names and one-liners: do not import them all.
            return click.Command(cmd_name, help=COMMANDS[cmd_name].help)
        return load_command(cmd_name)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        ctx.meta[_LISTING] = True
        try:
            super().format_help(ctx, formatter)
        finally:
            ctx.meta[_LISTING] = False

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RedlineError as exc:
            typer.secho(f"error: {exc}", err=True, fg="red")
            ctx.exit(exc.exit_code)
        except BrokenPipeError:
            stop_quietly_on_broken_pipe()


_LISTING = "redline.listing_commands"

app = typer.Typer(
    cls=RedlineGroup,
    name="redline",
    help="A workbench for LLM safety engineering: red-team, evaluate, guard.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain click help for the command list: rich's help renderer imports a
    # Markdown parser, which alone costs more than the rest of start-up.
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"redline {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """A workbench for LLM safety engineering: red-team, evaluate, guard."""


def main() -> None:
    """Run the `redline` command line (in-process: returns or raises SystemExit)."""
    app()


def console_main() -> None:
    """The `redline` console script and `python -m redline`: :func:`main`, then the
    quick exit (:mod:`redline.cli.quick_exit`) when the command asked for it."""
    from redline.cli import quick_exit

    try:
        main()
    except SystemExit as exc:
        if not (quick_exit.requested() and isinstance(exc.code, int | None)):
            raise
        quick_exit.exit_now(exc.code or 0)
    if quick_exit.requested():
        quick_exit.exit_now(0)
