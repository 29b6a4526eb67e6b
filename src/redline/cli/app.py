"""The `redline` command. Each command group lives in its own module and
registers itself on the app through a ``register(app)`` function."""

from __future__ import annotations

import importlib

import click
import typer
from typer.core import TyperGroup

from redline.core import RedlineError


class RedlineGroup(TyperGroup):
    """Turns a redline error anywhere below into one red line and its exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except RedlineError as exc:
            typer.secho(f"error: {exc}", err=True, fg="red")
            ctx.exit(exc.exit_code)


app = typer.Typer(
    cls=RedlineGroup,
    name="redline",
    help="A workbench for LLM safety engineering: red-team, evaluate, guard.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Modules under redline.cli that define commands; missing ones are skipped so
# a partial install (no guard extras, say) still gives a working CLI.
COMMAND_MODULES = (
    "scan",
    "runs",
    "suites",
    "targets",
    "report",
    "guard",
    "stats",
    "score",
    "attacks",
    "compare",
    "gate",
    "train",
    "regress",
    "spec",
    "cache",
)


def _register_commands() -> None:
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"redline.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"redline.cli.{module_name}":
                continue
            raise
        module.register(app)


_register_commands()


def main() -> None:
    """Entry point of the `redline` command."""
    app()
