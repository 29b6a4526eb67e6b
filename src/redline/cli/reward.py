"""`redline reward`: train, evaluate and apply reward models on preference pairs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from redline.cli.options import DEFAULT_RUNS_DIR, JsonOption, NoProgressOption, RunsDirOption
from redline.core import ConfigError

BACKBONES = ("minilm", "smollm2")
ModelDirArgument = Annotated[
    Path, typer.Argument(help="A reward model directory (from `redline reward train`).")
]


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar on stderr driven by (stage, done, total) calls."""
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True, disable=not enabled) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def train(
    prefs: Annotated[Path, typer.Argument(help="Preference pairs (JSONL) with a train split.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Directory for the model and its card.")
    ] = Path("reward-model"),
    backbone: Annotated[
        str,
        typer.Option(
            "--backbone",
            help="minilm: Bradley-Terry head on frozen MiniLM embeddings (CPU, minutes); "
            "smollm2: TRL RewardTrainer on the bundled SmolLM2 (needs redline[train]).",
        ),
    ] = "minilm",
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="minilm: passes.")] = 40,
    hidden: Annotated[int, typer.Option("--hidden", min=1, help="minilm: hidden units.")] = 128,
    learning_rate: Annotated[
        float | None, typer.Option("--learning-rate", min=0.0, help="Default 1e-3 / 1e-5.")
    ] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", min=1)] = None,
    max_steps: Annotated[
        int, typer.Option("--max-steps", min=1, help="smollm2: optimiser steps.")
    ] = 200,
    save_steps: Annotated[
        int, typer.Option("--save-steps", min=1, help="smollm2: checkpoint every N steps.")
    ] = 50,
    max_length: Annotated[
        int, typer.Option("--max-length", min=16, help="smollm2: tokens per conversation.")
    ] = 512,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    no_progress: NoProgressOption = False,
    as_json: JsonOption = False,
) -> None:
    """Train a reward model on the train split of PREFS; re-running resumes from the
    last checkpoint in OUTPUT."""
    from redline.alignment.prefs import load_pairs

    if backbone not in BACKBONES:
        raise ConfigError(f"--backbone {backbone!r}: choose one of {', '.join(BACKBONES)}")
    pairs = load_pairs(prefs)
    if backbone == "smollm2":
        from redline.alignment.reward_trl import train_transformer_reward_model

        model: Any = train_transformer_reward_model(
            pairs,
            output,
            max_steps=max_steps,
            batch_size=batch_size or 4,
            learning_rate=learning_rate or 1e-5,
            max_length=max_length,
            save_steps=save_steps,
            seed=seed,
            source=str(prefs),
        )
    else:
        from redline.alignment.reward_model import HeadSettings, train_embedding_reward_model

        settings = HeadSettings(
            hidden=hidden,
            epochs=epochs,
            learning_rate=learning_rate or 1e-3,
            batch_size=batch_size or 64,
            seed=seed,
        )
        with _progress(not no_progress and not as_json) as progress:
            model = train_embedding_reward_model(
                pairs, output, settings=settings, source=str(prefs), progress=progress
            )
    card = model.card
    if as_json:
        typer.echo(json.dumps({"output": str(output), **card}))
        return
    training = card["training"]
    Console(stderr=True).print(
        f"trained {card['backbone']} reward model on {card['data']['train_pairs']} pairs "
        f"({card['data']['test_pairs']} held out): final loss {training['final_loss']:.4f}; "
        f"saved to {output}",
        highlight=False,
    )


def evaluate(
    model_dir: ModelDirArgument,
    prefs: Annotated[Path, typer.Argument(help="Preference pairs to evaluate on.")],
    split: Annotated[
        str, typer.Option("--split", help="test (held-out pairs), train, or all.")
    ] = "test",
    write_card: Annotated[
        bool, typer.Option("--card/--no-card", help="Record the figures in the model card.")
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Pairwise accuracy with intervals, safety subset, calibration, reward-hacking probes."""
    from redline.alignment.prefs import load_pairs
    from redline.alignment.reward_eval import evaluate_reward_model
    from redline.alignment.reward_model import load_reward_model, update_card

    if split not in ("test", "train", "all"):
        raise ConfigError(f"--split {split!r}: choose test, train or all")
    pairs = load_pairs(prefs)
    chosen = [p for p in pairs if split == "all" or (p.split or "train") == split]
    if not chosen:
        raise ConfigError(f"{prefs}: no pairs in the {split!r} split (try --split all)")
    report = evaluate_reward_model(
        load_reward_model(model_dir), chosen, evaluated_on=f"{prefs} ({split})"
    )
    figures = report.model_dump(mode="json")
    if write_card:
        update_card(model_dir, "evaluation", {k: v for k, v in figures.items() if k != "model"})
    if as_json:
        typer.echo(json.dumps(figures))
        return
    _print_evaluation(report)


def _print_evaluation(report: Any) -> None:
    err = Console(stderr=True)
    acc = report.accuracy
    err.print(
        f"pairwise accuracy {acc.interval.format()} on {acc.pairs} pairs "
        f"({acc.families} families), {report.evaluated_on}",
        highlight=False,
    )
    for kind, figure in report.safety.items():
        wanted = "refusal/safe answer" if kind == "harmful" else "helpful answer"
        err.print(
            f"  {kind} prompts ({wanted} preferred): {figure.interval.format()} "
            f"on {figure.pairs} pairs",
            highlight=False,
        )
    cal = report.calibration
    err.print(
        f"calibration: ECE {cal.expected_calibration_error:.3f}, Brier {cal.brier:.3f}",
        highlight=False,
    )
    for probe in report.probes:
        err.print(
            f"probe {probe.probe}: prefers variant {probe.prefers_variant.format()} of "
            f"{probe.pairs} (mean gain {probe.mean_reward_gain:+.3f}; expected "
            f"{probe.expectation})",
            highlight=False,
        )
    for corr in report.correlations:
        rho = "n/a" if corr.rho is None else f"{corr.rho:+.3f} (p {corr.p_value:.3g})"
        err.print(f"spearman(reward, {corr.property}) {rho} over {corr.answers}", highlight=False)


def score(
    run_id: Annotated[str, typer.Argument(help="Run id (or unique prefix).")],
    model_dir: Annotated[
        Path, typer.Option("--model", help="A reward model directory (`redline reward train`).")
    ],
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Put a reward on every answer of a run (scorer `reward:MODEL`, appended to the run)."""
    from redline.alignment.reward_scorer import RewardScorer, reward_of
    from redline.store import RunStore

    scorer = RewardScorer(model_dir)
    handle = RunStore(runs_dir).open(run_id)
    attempts = [a for a in handle.read_attempts() if a.ok]
    if not attempts:
        raise ConfigError(f"run {handle.id} has no answered attempts to score")
    scores = scorer.score_many(attempts)
    with handle:
        for item in scores:
            handle.append_score(item)
    by_expected: dict[str, list[float]] = {}
    for attempt, item in zip(attempts, scores, strict=True):
        by_expected.setdefault(attempt.expected, []).append(reward_of(item) or 0.0)
    summary = {
        "run": handle.id,
        "scorer": scorer.name,
        "scored": len(scores),
        "mean_reward": {k: sum(v) / len(v) for k, v in sorted(by_expected.items())},
    }
    if as_json:
        typer.echo(json.dumps(summary))
        return
    means = ", ".join(f"{k} {v:+.3f}" for k, v in summary["mean_reward"].items())
    Console(stderr=True).print(
        f"scored {len(scores)} answers of run {handle.id} with {scorer.name}; "
        f"mean reward by expected behaviour: {means}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``redline reward``."""
    group = typer.Typer(
        help="Reward models: train on preference pairs, evaluate, score runs.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="reward")
    group.command("train")(train)
    group.command("eval")(evaluate)
    group.command("score")(score)
