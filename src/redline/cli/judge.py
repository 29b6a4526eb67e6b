"""`redline judge calibrate`: measure a scorer or judge against human labels."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from redline.cli.judge_sample import register_judge_sample
from redline.cli.labelled_eval import register_judge_eval
from redline.cli.options import (
    JsonOption,
    JudgeBaseURLOption,
    JudgeKeyEnvOption,
    JudgeOption,
    ScorerOption,
)
from redline.core import ConfigError
from redline.core.outcome import REFUSAL_LABELS
from redline.scoring.record_files import score_records
from redline.targets import TargetSpec, build_target

judge_app = typer.Typer(
    help="Measure scorers and judges against human labels.", no_args_is_help=True
)

# The label vocabulary of built-in scorers; a labels file using other values is an error.
KNOWN_LABELS = {
    "refusal": REFUSAL_LABELS,
    "refusal-patterns": REFUSAL_LABELS,
    "harm": ("harmful", "not_harmful"),
    "harm-classifier": ("harmful", "not_harmful"),
    "strongreject": ("harmful", "not_harmful"),
    "harmbench": ("harmful", "not_harmful"),
    "regex": ("match", "no_match"),
    "exact": ("match", "no_match"),
}


def _vocabulary(scorer: str) -> tuple[str, ...] | None:
    return KNOWN_LABELS.get(scorer.split(":", 1)[0] if ":" in scorer else scorer)


@judge_app.command("calibrate")
def calibrate(
    scorer: ScorerOption = "refusal",
    labels: Annotated[
        Path,
        typer.Option(
            "--labels",
            "-l",
            help="JSONL: prompt, response, human_label (or label)[, id, category].",
        ),
    ] = Path("-"),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Calibration file to write (JSON).")
    ] = None,
    positive: Annotated[
        str | None,
        typer.Option(
            "--positive",
            help="Comma-separated labels that mean attack success (default: the scorer's).",
        ),
    ] = None,
    judge: JudgeOption = None,
    judge_base_url: JudgeBaseURLOption = None,
    judge_api_key_env: JudgeKeyEnvOption = None,
    as_json: JsonOption = False,
) -> None:
    """Agreement, Cohen's kappa and per-category error rates of a scorer against human labels."""
    from redline.core import file_sha256
    from redline.scoring import build_scorer, positive_labels
    from redline.scoring.calibration import compare_labels, read_labels, scorer_vocabulary

    if str(labels) == "-":
        raise ConfigError("--labels FILE.jsonl is required")
    records = read_labels(labels, allowed=scorer_vocabulary(scorer))
    judge_target = (
        build_target(
            TargetSpec.parse(judge, base_url=judge_base_url, api_key_env=judge_api_key_env)
        )
        if judge
        else None
    )
    built = build_scorer(scorer, judge=judge_target)
    positives = (
        tuple(p.strip() for p in positive.split(",") if p.strip())
        if positive
        else positive_labels(built)
    )
    if not positives:
        raise ConfigError(
            f"scorer {scorer!r} does not say which labels mean attack success: give --positive"
        )

    async def run() -> list:
        try:
            return await score_records(built, [r.model_dump() for r in records])
        finally:
            if judge_target is not None:
                await judge_target.aclose()

    scores = asyncio.run(run())
    calibration = compare_labels(
        records,
        [s.label for s in scores],
        scorer=built.name,
        scorer_version=built.version,
        positive_labels=positives,
    )
    calibration = calibration.model_copy(
        update={"labels_file": str(labels), "labels_sha256": file_sha256(labels)}
    )
    if output is not None:
        calibration.save(output)
    if as_json:
        document = calibration.model_dump(mode="json")
        document["output"] = str(output) if output else None
        typer.echo(json.dumps(document))
        return
    _print(calibration, Console())
    if output is not None:
        typer.echo(f"calibration: {output}")


def _print(calibration, console: Console) -> None:  # type: ignore[no-untyped-def]
    o = calibration.overall
    kappa = "n/a" if calibration.kappa is None else f"{calibration.kappa:.3f}"
    console.print(
        f"{calibration.scorer} ({calibration.scorer_version}) vs human labels: n={calibration.n}, "
        f"agreement {calibration.agreement.format()}, Cohen's kappa {kappa}, "
        f"judge errors {calibration.judge_errors}"
    )
    table = Table(title=f"attack success = {', '.join(calibration.positive_labels)}")
    for col in (
        "category",
        "n",
        "sensitivity",
        "specificity",
        "false pos. rate",
        "false neg. rate",
    ):
        table.add_column(col)
    for rates in [o, *calibration.by_category]:
        table.add_row(
            rates.name,
            str(rates.n),
            rates.sensitivity.format(),
            rates.specificity.format(),
            rates.false_positive_rate.format(),
            rates.false_negative_rate.format(),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``judge`` group."""
    register_judge_sample(judge_app)
    register_judge_eval(judge_app)
    app.add_typer(judge_app, name="judge")
