"""`redline runs list|show` and `redline query`: look at what runs recorded."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from redline.cli.options import DEFAULT_RUNS_DIR, JsonOption, RunsDirOption
from redline.core import RunInfo
from redline.store import RunStore, query_runs

# Narrower than this, `runs list` puts each run's config on a line of its own.
MIN_CONFIG_WIDTH = 30
# Config keys worth a glance in a listing, when the run's config has them.
_SUMMARY_KEYS = ("target", "suite", "suites", "attacks", "scorers", "epochs", "config_hash")


def _store(runs_dir: Path) -> RunStore:
    return RunStore(runs_dir)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def _print_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, default=_json_default))


def _short(value: Any, width: int = 40) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return _short(value, 80)
    return _short(str(value), 80)


def _brief(value: Any) -> str:
    # A target spec reads best as kind:model; lists as comma-separated names.
    if isinstance(value, dict) and "kind" in value:
        return ":".join(str(value[k]) for k in ("kind", "model") if value.get(k))
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ",".join(str(v) for v in value)
    return _short(value, 30)


def config_summary(config: dict[str, Any]) -> str:
    """A one-line ``key=value`` digest of a run config."""
    keys = [k for k in _SUMMARY_KEYS if k in config and k != "config_hash"]
    if not keys:
        keys = [k for k, v in config.items() if not isinstance(v, dict | list)][:4]
    return " ".join(f"{k}={_brief(config[k])}" for k in keys if config[k] not in (None, "", []))


def list_runs(runs_dir: RunsDirOption = DEFAULT_RUNS_DIR, as_json: JsonOption = False) -> None:
    """List runs, newest first."""
    store = _store(runs_dir)
    infos = store.list()
    if as_json:
        _print_json(
            {"runs_dir": str(store.root), "runs": [i.model_dump(mode="json") for i in infos]}
        )
        return
    console = Console()
    if not infos:
        console.print(f"no runs in {store.root}")
        return
    rows = []
    for info in infos:
        attempts = str(info.counts.get("attempts", "-"))
        if info.counts.get("errors"):
            attempts += f" ({info.counts['errors']} err)"
        rows.append((info.id, info.status, info.created_at[:16].replace("T", " "), attempts))
    table = Table(box=box.SIMPLE_HEAD)
    fixed = ("id", "status", "created", "attempts")
    widths = [max(len(name), *(len(row[i]) for row in rows)) for i, name in enumerate(fixed)]
    for name, width in zip(fixed, widths, strict=True):
        table.add_column(name, no_wrap=True, min_width=width)
    # The config digest gets what is left of the line, ending in an ellipsis; when
    # too little is left it goes on a line of its own under each run, never
    # wrapped letter by letter.
    room = console.width - sum(w + 3 for w in widths) - 4
    if room < MIN_CONFIG_WIDTH:
        header = "  ".join(n.ljust(w) for n, w in zip(fixed, widths, strict=True))
        console.print(f"{header}\n    config", style="bold")
        for row, info in zip(rows, infos, strict=True):
            console.print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
            console.print(
                f"    {config_summary(info.config)}", style="dim", overflow="ellipsis", no_wrap=True
            )
        return
    table.add_column("config", no_wrap=True, overflow="ellipsis", max_width=room)
    for row, info in zip(rows, infos, strict=True):
        table.add_row(*row, config_summary(info.config))
    console.print(table)


def _show_payload(store: RunStore, run_id: str) -> dict[str, Any]:
    handle = store.open(run_id)
    info: RunInfo = handle.info
    return {
        "run": info.model_dump(mode="json"),
        "recorded": handle.record_counts(),
        "paths": {
            "dir": str(handle.path),
            "run": str(handle.info_path),
            "attempts": str(handle.attempts_path),
            "scores": str(handle.scores_path),
        },
    }


def show_run(
    run_id: Annotated[str, typer.Argument(help="Run id, or a unique prefix of one.")],
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Show a run: status, config summary, counts, engine stats and file paths."""
    payload = _show_payload(_store(runs_dir), run_id)
    if as_json:
        _print_json(payload)
        return
    run = payload["run"]
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("id", run["id"])
    table.add_row("status", run["status"])
    table.add_row("created", run["created_at"])
    table.add_row("updated", run["updated_at"])
    table.add_row("config", config_summary(run["config"]) or "-")
    if "config_hash" in run["config"]:
        table.add_row("config hash", str(run["config"]["config_hash"]))
    for name, value in payload["recorded"].items():
        table.add_row(f"recorded {name}", str(value))
    for name, value in run["counts"].items():
        table.add_row(f"count {name}", str(value))
    for name, value in run["engine_stats"].items():
        table.add_row(f"engine {name}", _short(value, 60))
    for name, value in payload["paths"].items():
        table.add_row(f"path {name}", value)
    Console().print(table)


def rescore(
    run_id: Annotated[str, typer.Argument(help="Run id, or a unique prefix of one.")],
    scorers: Annotated[
        list[str],
        typer.Option(
            "--scorer",
            "-s",
            help="A scorer to add (repeatable): refusal, harm, refusal-patterns, regex:..., "
            "or a plugin's name. LLM judges need a scan's --judge and are not offered here.",
        ),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Score again attempts the scorer already labelled.")
    ] = False,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Add scorers' verdicts to a stored run (an imported run, or a newer classifier)."""
    # Lazy imports: the scorers load numpy and the classifiers.
    from rich.progress import Progress

    from redline.run.rescore import rescore_run
    from redline.scoring import build_scorer

    built = [build_scorer(name, where=f"--scorer {name}") for name in scorers]
    with Progress(console=Console(stderr=True), transient=True, disable=as_json) as bar:
        task = bar.add_task(f"scoring {run_id}", total=None)
        result = rescore_run(
            _store(runs_dir),
            run_id,
            built,
            force=force,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        _print_json(
            {
                "run_id": result.run_id,
                "scorers": list(result.scorers),
                "scored": result.scored,
                "skipped": result.skipped,
            }
        )
        return
    typer.echo(
        f"run {result.run_id}: {result.scored} attempts scored by {', '.join(result.scorers)}"
        f" ({result.skipped} already had those scores)"
    )


def _unique_names(columns: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for column in columns:
        n = seen.get(column, 0)
        seen[column] = n + 1
        names.append(column if n == 0 else f"{column}_{n}")
    return names


def query(
    sql: Annotated[
        str, typer.Argument(help="SQL over the views runs, attempts and scores (DuckDB).")
    ],
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Query every run with SQL, e.g. `SELECT attack, count(*) FROM attempts GROUP BY 1`."""
    store = _store(runs_dir)
    columns, rows = query_runs(store.root, sql)
    if as_json:
        names = _unique_names(columns)
        _print_json(
            {
                "columns": columns,
                "rows": [dict(zip(names, row, strict=True)) for row in rows],
            }
        )
        return
    table = Table(*columns)
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    console = Console()
    console.print(table)
    console.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}", style="dim")


def register(app: typer.Typer) -> None:
    """Add `runs list|show|rescore` and `query` to the redline app."""
    runs_app = typer.Typer(name="runs", help="List and inspect runs.", no_args_is_help=True)
    runs_app.command("list")(list_runs)
    runs_app.command("show")(show_run)
    runs_app.command("rescore")(rescore)
    app.add_typer(runs_app, name="runs")
    app.command("query")(query)
