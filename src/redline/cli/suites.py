"""`redline suites list|show|categories` and `redline datasets inspect`."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from redline.cli.options import JsonOption
from redline.core.errors import ConfigError
from redline.data import (
    BENIGN,
    DATASET_FORMATS,
    HAZARDS,
    UNCATEGORISED,
    benign_type,
    dataset_hash,
    detect_format,
    hazard,
    list_suites,
    load_dataset,
    load_suite,
)


def _category_title(category: str) -> str:
    return HAZARDS[category].title if category in HAZARDS else category


def list_command(json_output: JsonOption = False) -> None:
    """List the built-in suites with their counts by category."""
    suites = list_suites()
    if json_output:
        typer.echo(json.dumps({"suites": [s.model_dump() for s in suites]}))
        return
    table = Table("suite", "prompts", "refuse/comply", "categories", "description", box=None)
    for suite in suites:
        table.add_row(
            suite.name,
            str(suite.count),
            f"{suite.expected.get('refuse', 0)}/{suite.expected.get('comply', 0)}",
            str(len(suite.categories)),
            suite.description,
        )
    Console().print(table)


def show_command(
    name: Annotated[str, typer.Argument(help="Suite name (see `redline suites list`).")],
    category: Annotated[
        str | None,
        typer.Option("--category", "-c", help="Only this category: a hazard id or 'benign'."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="Show at most this many.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Show the prompts of a suite."""
    behaviors = load_suite(name)
    if category is not None:
        if category not in (BENIGN, UNCATEGORISED):
            category = hazard(category).id
        behaviors = [b for b in behaviors if b.category == category]
    total = len(behaviors)
    shown = behaviors[:limit] if limit else behaviors
    if json_output:
        typer.echo(
            json.dumps(
                {
                    "suite": name,
                    "category": category,
                    "count": total,
                    "shown": len(shown),
                    "behaviors": [b.model_dump(mode="json") for b in shown],
                }
            )
        )
        return
    table = Table("id", "category", "expected", "prompt", box=None)
    for b in shown:
        kind = benign_type(b) if b.category == BENIGN else None
        shown_category = f"benign/{kind}" if kind else b.category
        table.add_row(b.id, shown_category, b.expected, b.prompt)
    console = Console()
    console.print(table)
    console.print(f"{len(shown)} of {total} prompts", style="dim")


def categories_command(json_output: JsonOption = False) -> None:
    """List the hazard categories behaviours are grouped by."""
    if json_output:
        typer.echo(json.dumps({"categories": [h.model_dump() for h in HAZARDS.values()]}))
        return
    table = Table("id", "Llama Guard", "title", "description", box=None)
    for h in HAZARDS.values():
        table.add_row(h.id, h.llama_guard_code or "-", h.title, h.description)
    Console().print(table)


def inspect_command(
    path: Annotated[Path, typer.Argument(help="A dataset or prompts file.")],
    format: Annotated[
        str | None,
        typer.Option("--format", "-f", help="Force a format instead of detecting it."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Detect a dataset file's format and count its rows by category."""
    if format is not None and format not in DATASET_FORMATS:
        raise ConfigError(DATASET_FORMATS.unknown_message(format))
    detected = format or detect_format(path)
    behaviors = load_dataset(path, format=detected)
    categories = dict(sorted(Counter(b.category for b in behaviors).items()))
    source_categories = dict(
        sorted(
            Counter(
                str(b.metadata["source_category"])
                for b in behaviors
                if "source_category" in b.metadata
            ).items()
        )
    )
    description = DATASET_FORMATS.get(detected).description
    summary = {
        "path": str(path),
        "format": detected,
        "format_description": description,
        "count": len(behaviors),
        "sources": dict(Counter(b.source for b in behaviors)),
        "categories": categories,
        "source_categories": source_categories,
        "expected": dict(sorted(Counter(b.expected for b in behaviors).items())),
        "dataset_hash": dataset_hash(behaviors),
    }
    if json_output:
        typer.echo(json.dumps(summary))
        return
    console = Console()
    console.print(f"{path}: [bold]{detected}[/bold] ({description})")
    console.print(f"{len(behaviors)} prompts, dataset hash {summary['dataset_hash']}")
    table = Table("category", "title", "prompts", box=None)
    for category, count in categories.items():
        table.add_row(category, _category_title(category), str(count))
    console.print(table)
    if source_categories:
        source_table = Table("source category", "prompts", box=None)
        for category, count in source_categories.items():
            source_table.add_row(category, str(count))
        console.print(source_table)


def formats_command(json_output: JsonOption = False) -> None:
    """List the dataset formats `datasets inspect` and scans can read."""
    formats = {name: DATASET_FORMATS.get(name).description for name in DATASET_FORMATS.names()}
    if json_output:
        typer.echo(json.dumps({"formats": formats}))
        return
    table = Table("format", "what it is", box=None)
    for name, description in formats.items():
        table.add_row(name, description)
    Console().print(table)


def register(app: typer.Typer) -> None:
    suites = typer.Typer(
        help="The built-in prompt suites and the hazard categories.", no_args_is_help=True
    )
    suites.command("list")(list_command)
    suites.command("show")(show_command)
    suites.command("categories")(categories_command)
    app.add_typer(suites, name="suites")
    datasets = typer.Typer(
        help="Public red-team datasets and prompts files: detect and count.", no_args_is_help=True
    )
    datasets.command("inspect")(inspect_command)
    datasets.command("formats")(formats_command)
    app.add_typer(datasets, name="datasets")
