"""`redline score`: score prompt/response records from any source with any scorer."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from redline.cli.options import (
    ConcurrencyOption,
    ExecutorOption,
    JsonOption,
    JudgeBaseURLOption,
    JudgeKeyEnvOption,
    JudgeOption,
    RayAddressOption,
    RayWorkersOption,
    ScorerOption,
)
from redline.core import ConfigError


def score(
    scorer: ScorerOption = "refusal",
    input_file: Annotated[
        Path, typer.Option("--input", "-i", help="JSONL records: prompt, response[, id, category].")
    ] = Path("-"),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write scored records here (JSONL).")
    ] = None,
    judge: JudgeOption = None,
    judge_base_url: JudgeBaseURLOption = None,
    judge_api_key_env: JudgeKeyEnvOption = None,
    concurrency: ConcurrencyOption = 8,
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
    ray_workers: RayWorkersOption = None,
    as_json: JsonOption = False,
) -> None:
    """Score prompt/response records and write label, value and rationale per line.

    A file with a bad line is rejected whole (FILE:LINE for each, exit 2). With
    --executor ray a CPU scorer runs on a Ray cluster (Ray Data), in order.
    """
    # Imported here, not at the top, so `redline --help` stays fast.
    from rich.progress import Progress

    from redline.engine.executors import ray_missing, uses_ray
    from redline.scoring import build_scorer
    from redline.scoring.record_files import read_score_records, score_records, scored_record
    from redline.targets import TargetSpec, build_target

    if str(input_file) == "-":
        raise ConfigError("--input FILE.jsonl is required")
    on_ray = uses_ray(executor)
    if on_ray and judge:
        raise ConfigError(
            "--executor ray runs CPU scorers; an LLM judge (--judge) is network-bound and "
            "runs here, --concurrency at a time"
        )
    records = read_score_records(input_file)
    judge_target = (
        build_target(
            TargetSpec.parse(judge, base_url=judge_base_url, api_key_env=judge_api_key_env)
        )
        if judge
        else None
    )
    built = build_scorer(scorer, judge=judge_target)
    err = Console(stderr=True)

    def run_on_ray() -> list[Any]:
        try:
            from redline.scoring.ray_scoring import score_records_on_ray
        except ImportError as exc:
            raise ray_missing(exc) from None
        with Progress(console=err, transient=True, disable=not records) as bar:
            task = bar.add_task(f"scoring with {built.name} on ray", total=len(records))
            return list(
                score_records_on_ray(
                    scorer,
                    records,
                    address=ray_address,
                    workers=ray_workers,
                    progress=lambda done: bar.update(task, completed=done),
                )
            )

    async def run() -> list[Any]:
        try:
            with Progress(console=err, transient=True, disable=not records) as bar:
                task = bar.add_task(f"scoring with {built.name}", total=len(records))
                return await score_records(
                    built,
                    records,
                    concurrency=concurrency or 8,
                    progress=lambda n: bar.advance(task, n),
                )
        finally:
            if judge_target is not None:
                await judge_target.aclose()

    scores = run_on_ray() if on_ray else asyncio.run(run())
    rows = [scored_record(r, s) for r, s in zip(records, scores, strict=True)]
    if output is not None:
        with output.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts = Counter(r["label"] for r in rows)
    summary = {
        "scorer": built.name,
        "scorer_version": built.version,
        "input": str(input_file),
        "output": str(output) if output else None,
        "scored": len(rows),
        "labels": dict(sorted(counts.items())),
    }
    if as_json:
        typer.echo(json.dumps(summary))
        return
    if output is None:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
    labels = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"
    err.print(f"{len(rows)} scored by {built.name} ({labels})")


def register(app: typer.Typer) -> None:
    """Add ``redline score``."""
    app.command("score")(score)
