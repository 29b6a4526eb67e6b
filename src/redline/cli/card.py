"""`redline card model|system`: a model or system card from runs, with its governance crosswalk."""

from __future__ import annotations

import json
from collections import Counter
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from redline.cli.options import DEFAULT_RUNS_DIR, JsonOption, NoProgressOption, RunsDirOption

if TYPE_CHECKING:
    from redline.cards.card import Card

RunsOption = Annotated[
    list[str],
    typer.Option(
        "--runs",
        "-r",
        help="A run id (or unique prefix) the card cites; repeat, or separate with commas.",
    ),
]
OutputOption = Annotated[
    Path,
    typer.Option("--output", "-o", help="Where to write the card: .md, .html, .pdf or .json."),
]
SpecOption = Annotated[
    Path | None,
    typer.Option("--spec", help="A behavioural spec (spec.yaml) to check on the runs and cite."),
]
AblationOption = Annotated[
    Path | None,
    typer.Option("--ablation", help="An ablation study result (JSON from redline ablate)."),
]
FactsOption = Annotated[
    Path | None,
    typer.Option(
        "--facts",
        help="YAML with the card's narrative fields by section; fields left out are listed "
        "as missing.",
    ),
]
GuardEvalOption = Annotated[
    Path | None,
    typer.Option("--guard-eval", help="Guard metrics: the JSON of `redline guard eval --json`."),
]
CalibrationOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--calibration",
        help="A scorer's calibration file (redline judge calibrate): its measured agreement "
        "is quoted next to that scorer's figures. Repeatable.",
    ),
]

LabelsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--labels",
        help="Human labels on a sample of a run (redline judge sample, then label): the "
        "scorer's agreement measured on the run's own responses. Repeatable.",
    ),
]


def _run_ids(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def card_document(card: Card, path: Path) -> dict[str, Any]:
    """The ``--json`` summary: where the card went and what it lacks."""
    statuses = Counter(item.status for item in card.crosswalk)
    return {
        "kind": card.kind,
        "output": str(path),
        "runs": [run.run_id for run in card.runs],
        "figures": sum(len(m.figures) for s in card.sections for m in s.metrics),
        "not_measured": card.not_measured,
        "missing_facts": card.missing_facts,
        "crosswalk": {
            status: statuses.get(status, 0) for status in ("evidenced", "partial", "missing")
        },
        "caveats": card.caveats,
    }


def _make_card(
    kind: str,
    *,
    runs: list[str],
    output: Path,
    spec: Path | None,
    ablation: Path | None,
    facts: Path | None,
    guard_eval: Path | None,
    calibration: list[Path] | None,
    labels: list[Path] | None,
    runs_dir: Path,
    as_json: bool,
    no_progress: bool,
) -> None:
    # Lazy: `redline --help` should not import the analysis stack.
    from rich.console import Console

    from redline.cards.card import build_card
    from redline.cards.inputs import gather_inputs
    from redline.cards.layout import check_kind
    from redline.cards.render import output_format, render_card
    from redline.store import RunStore

    card_kind = check_kind(kind)
    output_format(output)  # a bad suffix fails before any run is read
    ids = _run_ids(runs)
    console = Console(stderr=True)
    status = console.status(f"reading {len(ids)} run(s) and building the card")
    with nullcontext() if no_progress else status:
        inputs = gather_inputs(
            card_kind,
            store=RunStore(runs_dir),
            run_ids=ids,
            facts=facts,
            spec=spec,
            ablation=ablation,
            guard_eval=guard_eval,
            calibrations=calibration or [],
            labels=labels or [],
        )
        card = build_card(card_kind, inputs)
        render_card(card, output)
    document = card_document(card, output)
    if as_json:
        typer.echo(json.dumps(document))
        return
    out = Console()
    out.print(
        f"{card.title} written to {output}: {document['figures']} figures from {len(ids)} run(s)"
    )
    crosswalk = document["crosswalk"]
    out.print(
        f"crosswalk: {crosswalk['evidenced']} evidenced, {crosswalk['partial']} partial, "
        f"{crosswalk['missing']} missing"
    )
    if card.not_measured:
        out.print(f"not measured: {', '.join(card.not_measured)}")
    if card.missing_facts:
        out.print(f"missing facts ({len(card.missing_facts)}): {', '.join(card.missing_facts)}")


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Model and system cards from runs, with a NIST AI RMF / AI 600-1 / EU AI Act "
        "crosswalk.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="card")

    def make_command(kind: str, summary: str) -> None:
        def command(
            runs: RunsOption,
            output: OutputOption,
            spec: SpecOption = None,
            ablation: AblationOption = None,
            facts: FactsOption = None,
            guard_eval: GuardEvalOption = None,
            calibration: CalibrationOption = None,
            labels: LabelsOption = None,
            runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
            as_json: JsonOption = False,
            no_progress: NoProgressOption = False,
        ) -> None:
            _make_card(
                kind,
                runs=runs,
                output=output,
                spec=spec,
                ablation=ablation,
                facts=facts,
                guard_eval=guard_eval,
                calibration=calibration,
                labels=labels,
                runs_dir=runs_dir,
                as_json=as_json,
                no_progress=no_progress,
            )

        command.__doc__ = summary
        group.command(kind)(command)

    make_command(
        "model",
        "A model card (Mitchell et al. sections) whose every figure cites its run, metric, "
        "scorer and the scorer's measured agreement.",
    )
    make_command(
        "system",
        "A system card: refusal, jailbreak, injection, multi-turn, agentic and guard results, "
        "red-team summary, limitations and mitigations.",
    )
