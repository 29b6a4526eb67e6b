"""`redline guard eval` and `redline judge eval`: measure on your own labelled data."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from redline.cli.options import (
    JsonOption,
    JudgeBaseURLOption,
    JudgeKeyEnvOption,
    JudgeOption,
    ScorerOption,
)

LabelField = Annotated[
    str, typer.Option("--label-field", help="Field holding the binary label (1 = positive).")
]
CategoryField = Annotated[
    str, typer.Option("--category-field", help="Field naming a row's category (optional).")
]


def _progress(total: int, description: str) -> Progress:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=Console(stderr=True),
        transient=True,
    )
    progress.add_task(description, total=total)
    return progress


def _emit(document: dict[str, Any], evaluations: list[Any], *, title: str, as_json: bool) -> None:
    from redline.report.detection_table import print_detection

    document["scores"] = [e.as_dict() for e in evaluations]
    if as_json:
        typer.echo(json.dumps(document))
        return
    console = Console()
    print_detection(evaluations, console, title=title)
    for line in document.get("notes", []):
        console.print(line)


def guard_eval(
    file: Annotated[Path, typer.Argument(help="JSONL or CSV with a text and a 0/1 label.")],
    label_field: LabelField = "label",
    text_field: Annotated[str, typer.Option("--text-field", help="Field holding the text.")] = (
        "text"
    ),
    side: Annotated[
        str, typer.Option("--side", help="input (prompts) or output (responses).")
    ] = "input",
    category_field: CategoryField = "category",
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Policy YAML [default: the default policy].")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Measure the guard on labelled traffic: AUPRC, recall at 1%/5% FPR with the
    threshold that reaches each (overall, per category, per scanner category), and
    the policy's own block rate on positives and negatives."""
    # Lazy imports: the CLI loads only what a command uses.
    from redline.analysis.detection_eval import evaluate_scores
    from redline.core import ConfigError
    from redline.data.labelled_rows import read_binary_examples
    from redline.guard import Guard
    from redline.guard.evaluation import guard_scores

    if side not in ("input", "output"):
        raise ConfigError(f"--side {side!r}: expected input or output")
    examples = read_binary_examples(
        file, label_field=label_field, text_field=text_field, category_field=category_field
    )
    guard = Guard.from_policy(policy) if policy else Guard.default()
    with _progress(len(examples), f"guard {side}") as progress:
        scores, actions = guard_scores(
            guard, examples, side=side, progress=lambda k: progress.advance(0, k)
        )
    blocked = Counter((e.label, a != "allow") for e, a in zip(examples, actions, strict=True))
    positives = sum(e.label for e in examples)
    negatives = len(examples) - positives
    policy_rates = {
        "recall": blocked[(1, True)] / positives,
        "false_positive_rate": blocked[(0, True)] / negatives,
    }
    document: dict[str, Any] = {
        "file": str(file),
        "side": side,
        "rows": len(examples),
        "policy": policy_rates,
        "notes": [
            f"policy as configured: flags {policy_rates['recall']:.1%} of positives and "
            f"{policy_rates['false_positive_rate']:.1%} of negatives"
        ],
    }
    evaluations = evaluate_scores(examples, scores)
    _emit(document, evaluations, title=f"guard eval ({side}) on {file}", as_json=as_json)


def judge_eval(
    file: Annotated[Path, typer.Argument(help="JSONL or CSV: prompt, response, 0/1 label.")],
    scorer: ScorerOption = "refusal",
    label_field: LabelField = "label",
    text_field: Annotated[
        str, typer.Option("--text-field", help="Field holding the response.")
    ] = "response",
    category_field: CategoryField = "category",
    judge: JudgeOption = None,
    judge_base_url: JudgeBaseURLOption = None,
    judge_api_key_env: JudgeKeyEnvOption = None,
    as_json: JsonOption = False,
) -> None:
    """Measure a scorer on labelled responses (label 1 = the scorer should give one of
    its positive labels, e.g. full_compliance for refusal scorers, harmful for harm
    judges): AUPRC, recall at 1%/5% FPR, per category, with intervals."""
    from redline.analysis.detection_eval import evaluate_scores
    from redline.data.labelled_rows import read_binary_examples
    from redline.scoring import build_scorer
    from redline.scoring.record_files import score_records
    from redline.targets import TargetSpec, build_target

    examples = read_binary_examples(
        file, label_field=label_field, text_field=text_field, category_field=category_field
    )
    target = (
        build_target(
            TargetSpec.parse(judge, base_url=judge_base_url, api_key_env=judge_api_key_env)
        )
        if judge
        else None
    )
    built = build_scorer(scorer, judge=target)
    records = [
        {**e.row, "response": e.text, "id": f"line-{e.line}", "category": e.category}
        for e in examples
    ]
    with _progress(len(examples), f"scoring with {scorer}") as progress:
        scored = asyncio.run(
            score_records(built, records, progress=lambda k: progress.advance(0, k))
        )
    positive = set(getattr(built, "positive_labels", ()))
    values = [1.0 if s.label in positive else 0.0 for s in scored]
    document: dict[str, Any] = {
        "file": str(file),
        "scorer": scorer,
        "rows": len(examples),
        "positive_labels": sorted(positive),
        "notes": [
            "scores are the scorer's verdicts (1 = a positive label), so AUPRC and the "
            "thresholds describe one operating point"
        ],
    }
    evaluations = evaluate_scores(examples, {scorer: values})
    _emit(document, evaluations, title=f"judge eval ({scorer}) on {file}", as_json=as_json)


def register_guard_eval(group: typer.Typer) -> None:
    """Add ``eval`` to the ``guard`` group."""
    group.command("eval")(guard_eval)


def register_judge_eval(judge_app: typer.Typer) -> None:
    """Add ``eval`` to the ``judge`` group."""
    judge_app.command("eval")(judge_eval)
