"""`redline score`: score prompt/response records from any source with any scorer."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from redline.core import ConfigError

ScorerOption = Annotated[
    str,
    typer.Option(
        "--scorer",
        "-s",
        help="refusal, refusal-patterns, harm, harm-classifier, strongreject, harmbench, canary, "
        "regex:PATTERN, exact:TEXT or python:module:function.",
    ),
]
JudgeOption = Annotated[
    str | None,
    typer.Option(
        "--judge",
        help="Judge model for LLM-judge scorers, in --target syntax: openai:MODEL, "
        "anthropic:MODEL, local, python:module:function, FILE.yaml.",
    ),
]
JudgeBaseURLOption = Annotated[
    str | None, typer.Option("--judge-base-url", help="API base URL of the judge model.")
]
JudgeKeyEnvOption = Annotated[
    str | None,
    typer.Option("--judge-api-key-env", help="Environment variable holding the judge's API key."),
]


def build_judge(judge: str | None, *, base_url: str | None, api_key_env: str | None) -> Any:
    """The judge target for ``--judge`` (None when not given)."""
    if judge is None:
        return None
    from redline.cli.target_options import target_spec_from_options
    from redline.targets import build_target

    spec = target_spec_from_options(target=judge, base_url=base_url, api_key_env=api_key_env)
    return build_target(spec)


def read_records(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Records of a JSONL file (``response`` required; ``prompt``, ``id``,
    ``category``, ``expected`` optional) and one message per bad line."""
    if not path.is_file():
        raise ConfigError(f"--input {path}: no such file")
    records: list[dict[str, Any]] = []
    bad: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append(f"{path}:{number}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(row, dict):
            bad.append(f"{path}:{number}: expected a JSON object")
            continue
        if not isinstance(row.get("response"), str):
            bad.append(f"{path}:{number}: field 'response' missing or not a string")
            continue
        if "prompt" in row and not isinstance(row["prompt"], str):
            bad.append(f"{path}:{number}: field 'prompt' is not a string")
            continue
        row.setdefault("id", f"line-{number}")
        row["_line"] = number
        records.append(row)
    return records, bad


async def score_records(
    scorer: Any, records: list[dict[str, Any]], *, concurrency: int = 8, progress: Any = None
) -> list[Any]:
    """Scores for ``records`` in order; async scorers run ``concurrency`` at a time."""
    from redline.scoring import score_async
    from redline.scoring.calibration import record_attempt

    attempts = [record_attempt(r, index=i) for i, r in enumerate(records)]
    if hasattr(scorer, "score_many") and not hasattr(scorer, "ascore"):
        out = []
        for start in range(0, len(attempts), 256):
            out.extend(scorer.score_many(attempts[start : start + 256]))
            if progress is not None:
                progress(len(attempts[start : start + 256]))
        return out
    gate = asyncio.Semaphore(concurrency)

    async def one(attempt: Any) -> Any:
        async with gate:
            result = await score_async(scorer, attempt)
        if progress is not None:
            progress(1)
        return result

    return list(await asyncio.gather(*(one(a) for a in attempts)))


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
    concurrency: Annotated[int, typer.Option(help="Judge requests in flight.", min=1)] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary.")] = False,
) -> None:
    """Score prompt/response records and write label, value and rationale per line."""
    from rich.progress import Progress

    from redline.scoring import build_scorer

    if str(input_file) == "-":
        raise ConfigError("--input FILE.jsonl is required")
    records, bad = read_records(input_file)
    err = Console(stderr=True)
    for message in bad:
        typer.echo(f"skipped: {message}", err=True)
    judge_target = build_judge(judge, base_url=judge_base_url, api_key_env=judge_api_key_env)
    built = build_scorer(scorer, judge=judge_target)

    async def run() -> list[Any]:
        try:
            with Progress(console=err, transient=True, disable=not records) as bar:
                task = bar.add_task(f"scoring with {built.name}", total=len(records))
                return await score_records(
                    built,
                    records,
                    concurrency=concurrency,
                    progress=lambda n: bar.advance(task, n),
                )
        finally:
            if judge_target is not None:
                await judge_target.aclose()

    scores = asyncio.run(run())
    rows = []
    for record, result in zip(records, scores, strict=True):
        row = {k: v for k, v in record.items() if k != "_line"}
        row.update(
            scorer=result.scorer,
            scorer_version=result.scorer_version,
            label=result.label,
            value=result.value,
            rationale=result.rationale,
        )
        if result.raw_output is not None:
            row["raw_output"] = result.raw_output
        rows.append(row)
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
        "bad_lines": len(bad),
        "labels": dict(sorted(counts.items())),
    }
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        if output is None:
            for row in rows:
                typer.echo(json.dumps(row, ensure_ascii=False))
        labels = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"
        err.print(f"{len(rows)} scored by {built.name} ({labels}); {len(bad)} bad lines")


def register(app: typer.Typer) -> None:
    """Add ``redline score``, the ``judge`` group and ``train refusal``."""
    from redline.cli import judge

    app.command("score")(score)
    judge.register(app)
