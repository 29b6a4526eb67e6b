"""`redline prefs`: preference pairs from runs and public sets; checking pair files."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from redline.cli.options import (
    DEFAULT_RUNS_DIR,
    ConcurrencyOption,
    JsonOption,
    MaxNewTokensOption,
    NoProgressOption,
    RunsDirOption,
)
from redline.core import ConfigError

FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        help="redline (TRL conversational plus redline's columns, one file), conversational "
        "(TRL prompt/chosen/rejected) or unpaired (TRL prompt/completion/label); the TRL "
        "formats go to OUTPUT.train.jsonl and OUTPUT.test.jsonl.",
    ),
]
OutputOption = Annotated[Path, typer.Option("--output", "-o", help="Where to write the pairs.")]
TestFractionOption = Annotated[
    float,
    typer.Option("--test-fraction", min=0.0, max=0.95, help="Share of families held out as test."),
]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed of the family split.")]


def _checked_format(fmt: str) -> Any:
    from redline.alignment.prefs import FORMATS

    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return fmt


def _print_summary(summary: dict[str, Any], *, as_json: bool, lines: list[str]) -> None:
    if as_json:
        typer.echo(json.dumps(summary))
        return
    err = Console(stderr=True)
    for line in lines:
        err.print(line, highlight=False)


def build(
    from_run: Annotated[
        list[str], typer.Option("--from-run", help="Run id (or unique prefix); repeat for more.")
    ],
    output: OutputOption,
    responder: Annotated[
        str | None,
        typer.Option(
            "--responder",
            help="A second target that answers the same prompts (same syntax as --target), "
            "scored by the run's scorers: e.g. local with --responder-system-prompt.",
        ),
    ] = None,
    responder_system_prompt: Annotated[
        str | None,
        typer.Option("--responder-system-prompt", help="System prompt for the responder."),
    ] = None,
    responder_model_path: Annotated[
        Path | None, typer.Option("--responder-model-path", help="GGUF file for a local responder.")
    ] = None,
    scorer: Annotated[
        list[str] | None,
        typer.Option(
            "--scorer", "-s", help="Scorers for the responder's answers (default: the run's)."
        ),
    ] = None,
    max_pairs_per_prompt: Annotated[
        int, typer.Option("--max-pairs-per-prompt", min=1, help="At most this many pairs a prompt.")
    ] = 4,
    safe_completions: Annotated[
        bool,
        typer.Option(
            "--safe-completions/--refusals-only",
            help="On harmful prompts, also choose answers the harm scorer passed that do not "
            "refuse (after refusals).",
        ),
    ] = True,
    fmt: FormatOption = "redline",
    test_fraction: TestFractionOption = 0.2,
    seed: SeedOption = 0,
    max_new_tokens: MaxNewTokensOption = None,
    concurrency: ConcurrencyOption = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    no_progress: NoProgressOption = False,
    as_json: JsonOption = False,
) -> None:
    """Build chosen/rejected pairs from scored runs (and a responder's answers).

    Harmful prompts: chosen = a refusal or safe answer, rejected = an answer judged
    harmful. Benign prompts: chosen = a helpful answer, rejected = an over-refusal.
    """
    # Imported here so `redline --help` stays fast.
    from redline.alignment.prefs import describe, write_dataset
    from redline.alignment.prefs_build import Responder, build_preferences
    from redline.core import GenerationParams
    from redline.run import EngineSettings, response_cache_path
    from redline.scoring import build_scorer
    from redline.store import RunStore
    from redline.targets.spec import TargetSpec

    fmt_checked = _checked_format(fmt)
    store = RunStore(runs_dir)
    handles = [store.open(run_id) for run_id in from_run]
    chosen_responder = None
    if responder or responder_system_prompt or responder_model_path:
        config = handles[0].info.config
        names = scorer or list(config.get("scorers") or ["refusal", "harm"])
        generation = GenerationParams.model_validate(config.get("generation") or {})
        if max_new_tokens is not None:
            generation = generation.model_copy(update={"max_tokens": max_new_tokens})
        chosen_responder = Responder(
            spec=TargetSpec.parse(
                responder, system_prompt=responder_system_prompt, model_path=responder_model_path
            ),
            scorers=[build_scorer(name) for name in names],
            generation=generation,
            settings=EngineSettings(concurrency=concurrency or 4),
            cache_path=response_cache_path(runs_dir),
        )
    result = asyncio.run(
        build_preferences(
            handles,
            responder=chosen_responder,
            max_pairs_per_prompt=max_pairs_per_prompt,
            safe_completions=safe_completions,
            test_fraction=test_fraction,
            seed=seed,
            progress=not no_progress and not as_json,
        )
    )
    if not result.pairs:
        raise ConfigError(
            "no preference pairs: no prompt had both a chosen and a rejected answer "
            f"(prompts without a chosen answer: {result.counts.no_chosen}, without a "
            f"rejected one: {result.counts.no_rejected}); add --responder to get a second answer"
        )
    written = write_dataset(result.pairs, output, fmt=fmt_checked)
    summary = {
        **describe(result.pairs),
        "runs": [h.id for h in handles],
        "candidates": result.candidates,
        "prompts": result.counts.prompts,
        "paired_prompts": result.counts.paired_prompts,
        "prompts_without_chosen": result.counts.no_chosen,
        "prompts_without_rejected": result.counts.no_rejected,
        "skipped_attempts": result.skips.counts,
        "duplicates_removed": result.duplicates,
        "format": fmt_checked,
        "files": [str(p) for p in written],
    }
    _print_summary(
        summary,
        as_json=as_json,
        lines=[
            f"{summary['pairs']} pairs ({summary['kinds']}) from {summary['families']} "
            f"behaviours; split {summary['splits']}",
            f"prompts paired {result.counts.paired_prompts} of {result.counts.prompts}; "
            f"without a chosen answer {result.counts.no_chosen}, without a rejected one "
            f"{result.counts.no_rejected}",
            f"wrote {', '.join(summary['files'])}",
        ],
    )


def import_(
    path: Annotated[
        Path,
        typer.Argument(
            help="An hh-rlhf file (.jsonl or .jsonl.gz), e.g. "
            "../shared/data/hh-rlhf/harmless_base_test.jsonl.gz."
        ),
    ],
    output: OutputOption,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Stop after this many pairs.")
    ] = None,
    label_kinds: Annotated[
        bool,
        typer.Option(
            "--label-kinds/--no-label-kinds",
            help="Mark pairs where exactly one reply refuses as harmful/benign (refusal "
            "classifier).",
        ),
    ] = True,
    fmt: FormatOption = "redline",
    test_fraction: TestFractionOption = 0.2,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Read a public preference set (Anthropic hh-rlhf) into redline's pair format.

    The split is by conversation: every pair that starts with the same human turn
    lands on the same side.
    """
    from redline.alignment import prefs_import
    from redline.alignment.prefs import assign_splits, deduplicate, describe, write_dataset

    fmt_checked = _checked_format(fmt)
    pairs, counts = prefs_import.import_hh_rlhf(path, limit=limit)
    if not pairs:
        raise ConfigError(f"{path}: no usable pairs ({counts.skipped})")
    if label_kinds:
        pairs = prefs_import.label_kinds(pairs)
    unique = deduplicate(pairs)
    split = assign_splits(unique, test_fraction=test_fraction, seed=seed)
    written = write_dataset(split, output, fmt=fmt_checked)
    summary = {
        **describe(split),
        "input": str(path),
        "rows": counts.rows,
        "skipped_rows": counts.skipped,
        "duplicates_removed": len(pairs) - len(unique),
        "format": fmt_checked,
        "files": [str(p) for p in written],
    }
    _print_summary(
        summary,
        as_json=as_json,
        lines=[
            f"{summary['pairs']} pairs from {counts.rows} rows ({summary['kinds']}); "
            f"split {summary['splits']}; skipped {counts.skipped or 'none'}",
            f"wrote {', '.join(summary['files'])}",
        ],
    )


def validate(
    file: Annotated[Path, typer.Argument(help="A pairs file (JSONL), paired or unpaired.")],
    as_json: JsonOption = False,
) -> None:
    """Check a preference file: every bad line as FILE:LINE (exit 2 if any)."""
    from redline.alignment.prefs import validate_file

    report = validate_file(file)
    if as_json:
        typer.echo(
            json.dumps({**report.model_dump(mode="json"), "ok": report.ok}, ensure_ascii=False)
        )
    else:
        err = Console(stderr=True)
        for line, problem in report.problems[:50]:
            typer.echo(f"{file}:{line}: {problem}")
        if len(report.problems) > 50:
            typer.echo(f"... and {len(report.problems) - 50} more")
        err.print(
            f"{report.records} {report.format} records, {len(report.problems)} bad, "
            f"{report.duplicates} duplicates, splits {report.splits}, families in both "
            f"splits {report.families_in_both_splits}",
            highlight=False,
        )
    if not report.ok:
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    """Add ``redline prefs``."""
    group = typer.Typer(
        help="Preference pairs: build from runs, import public sets, validate.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="prefs")
    group.command("build")(build)
    group.command("import")(import_)
    group.command("validate")(validate)
