"""`redline spec`: check behavioural specs against runs, plan the campaign to decide them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from redline.cli.options import DEFAULT_RUNS_DIR, JsonOption, RunsDirOption
from redline.store import RunStore

_VERDICT_STYLE = {"pass": "green", "fail": "red", "insufficient": "yellow"}


def check(
    spec_path: Annotated[Path, typer.Argument(help="Spec YAML.")],
    run: Annotated[
        list[str], typer.Option("--run", "-r", help="Run id to measure on (repeatable).")
    ],
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    strict: Annotated[
        bool, typer.Option("--strict", help="Insufficient evidence also exits 1.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Evaluate every requirement against the runs: measured value with interval,
    threshold, pass/fail/insufficient. Exit code 1 when any requirement fails."""
    from redline.spec import check_spec, load_spec

    spec = load_spec(spec_path)
    result = check_spec(spec, store=RunStore(runs_dir), run_ids=run)
    if as_json:
        document = result.model_dump(mode="json")
        document["counts"] = result.counts
        document["failed"] = result.failed
        typer.echo(json.dumps(document))
    else:
        console = Console(width=max(110, Console().width))
        table = Table("requirement", "metric", "measured [CI]", "n", "threshold", "verdict", "note")
        for item in result.results:
            m = item.measurement
            note = item.reason
            if item.n_needed:
                note = f"{note}; n needed ~{item.n_needed}" if note else f"n needed {item.n_needed}"
            style = _VERDICT_STYLE[item.verdict]
            table.add_row(
                item.id,
                item.metric,
                m.rate.format(digits=2),
                f"{m.events}/{m.trials}",
                item.threshold,
                f"[{style}]{item.verdict}[/]",
                note,
            )
        console.print(table)
        counts = result.counts
        console.print(
            f"{counts['pass']} pass, {counts['fail']} fail, {counts['insufficient']} insufficient "
            f"evidence (runs: {', '.join(run)})",
            highlight=False,
        )
    if result.failed or (strict and result.counts["insufficient"]):
        raise typer.Exit(1)


def plan(
    spec_path: Annotated[Path, typer.Argument(help="Spec YAML.")],
    as_json: JsonOption = False,
) -> None:
    """Print the campaign needed to decide every requirement: suites, attacks,
    scorers and sample sizes (at each requirement's planning rate)."""
    from redline.spec import load_spec, plan_spec

    items = plan_spec(load_spec(spec_path))
    if as_json:
        typer.echo(json.dumps({"requirements": [i.model_dump(mode="json") for i in items]}))
        return
    console = Console(width=max(110, Console().width))
    table = Table(
        "requirement", "suites", "attacks", "scorer", "assumed rate", "trials", "behaviours",
        "behaviours short",
    )  # fmt: skip
    for item in items:
        table.add_row(
            item.id,
            ", ".join(item.suites) or "(any)",
            ", ".join(item.attacks),
            item.scorer,
            f"{item.assumed_rate:.2%}",
            str(item.trials) if item.trials is not None else "undecidable",
            str(item.behaviors) if item.behaviors is not None else "-",
            str(item.behaviors_short) if item.behaviors_short is not None else "-",
        )
    console.print(table)
    for item in items:
        if item.command:
            console.print(f"{item.id}: {item.command}", highlight=False, soft_wrap=True)
        if item.note:
            console.print(f"{item.id}: {item.note}", highlight=False, soft_wrap=True)


def catalogues(
    framework: Annotated[
        str | None, typer.Argument(help="Show one framework's ids (default: list frameworks).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the framework catalogues specs are validated against, or one's ids."""
    from redline.spec import all_catalogues, load_catalogue

    if framework is None:
        rows = [
            {"framework": c.framework, "title": c.title, "version": c.version, "ids": len(c.items)}
            for c in all_catalogues()
        ]
        if as_json:
            typer.echo(json.dumps({"frameworks": rows}))
            return
        table = Table("framework", "title", "version", "ids")
        for row in rows:
            table.add_row(row["framework"], row["title"], row["version"], str(row["ids"]))
        Console().print(table)
        return
    catalogue = load_catalogue(framework)
    if as_json:
        typer.echo(catalogue.model_dump_json())
        return
    table = Table("id", "title", "description", title=f"{catalogue.title} ({catalogue.version})")
    for item in catalogue.items:
        table.add_row(item.id, item.title, item.description)
    Console(width=max(110, Console().width)).print(table)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Behavioural specs from governance requirements: check, plan, catalogues.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="spec")
    group.command("check")(check)
    group.command("plan")(plan)
    group.command("catalogues")(catalogues)
