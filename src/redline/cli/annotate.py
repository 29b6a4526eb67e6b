"""`redline annotate`: annotation queues from runs, agreement, adjudication, exports.

Labelling itself happens in the browser (`redline ui --allow-writes`, Annotation).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from redline.cli.options import DEFAULT_RUNS_DIR, JsonOption, RunsDirOption

annotate_app = typer.Typer(
    help="Label runs by hand: queues, agreement, exports.",
    no_args_is_help=True,
)

NameOption = Annotated[
    str | None, typer.Option("--name", help="Queue id [default: made from the task and runs].")
]
SeedOption = Annotated[int, typer.Option(help="Seed of the draw (same seed, same queue).")]
QueueArgument = Annotated[str, typer.Argument(help="The queue id (see `redline annotate list`).")]


def _created(queue, files_path: Path, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    if as_json:
        typer.echo(json.dumps({"queue_id": queue.id, "task": queue.task, "kind": queue.kind,
                               "items": len(queue.items), "runs": queue.runs,
                               "path": str(files_path)}))  # fmt: skip
        return
    Console(stderr=True).print(
        f"queue {queue.id}: {queue.description} -> {files_path}\n"
        f"label it: redline ui --allow-writes, then Annotation > {queue.id}",
        highlight=False,
    )


@annotate_app.command("create")
def create(
    run_id: Annotated[str, typer.Argument(help="The run to draw items from.")],
    task: Annotated[
        str,
        typer.Option(
            help="What annotators answer: refusal (refusal/partial/compliance) "
            "or harm (harmful yes/no)."
        ),
    ] = "refusal",
    sample: Annotated[
        int, typer.Option("--sample", "-n", min=1, help="Attempts to draw, stratified by label.")
    ] = 200,
    scorer: Annotated[str, typer.Option(help="Whose labels define the strata.")] = "refusal",
    disagreements: Annotated[
        bool,
        typer.Option("--disagreements", help="Every attempt whose scorers disagree, instead."),
    ] = False,
    seed: SeedOption = 0,
    name: NameOption = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Make a label queue from a run: a stratified sample, or every scorer disagreement."""
    from redline.annotation import AnnotationStore, disagreement_queue, stratified_queue
    from redline.store import RunStore

    handle = RunStore(runs_dir).open(run_id)
    attempts, scores = handle.read_attempts(), handle.read_scores()
    if disagreements:
        queue = disagreement_queue(attempts, scores, task=task, queue_id=name)
    else:
        queue = stratified_queue(
            attempts, scores, task=task, scorer=scorer, n=sample, seed=seed, queue_id=name
        )
    files = AnnotationStore(runs_dir).save(queue)
    _created(queue, files.path, as_json)


@annotate_app.command("pairwise")
def pairwise(
    run_a: Annotated[str, typer.Argument(help="One run.")],
    run_b: Annotated[str, typer.Argument(help="The other run (same prompts).")],
    sample: Annotated[
        int | None, typer.Option("--sample", "-n", min=1, help="Pairs to draw [default: all].")
    ] = None,
    seed: SeedOption = 0,
    name: NameOption = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Make a pairwise preference queue: the prompts both runs answered, side by side."""
    from redline.annotation import AnnotationStore, pairwise_queue
    from redline.store import RunStore

    store = RunStore(runs_dir)
    queue = pairwise_queue(
        store.open(run_a).read_attempts(),
        store.open(run_b).read_attempts(),
        n=sample,
        seed=seed,
        queue_id=name,
    )
    files = AnnotationStore(runs_dir).save(queue)
    _created(queue, files.path, as_json)


@annotate_app.command("list")
def list_queues(runs_dir: RunsDirOption = DEFAULT_RUNS_DIR, as_json: JsonOption = False) -> None:
    """List the annotation queues with how far labelling has got."""
    from redline.annotation import AnnotationStore

    store = AnnotationStore(runs_dir)
    rows = []
    for queue_id in store.ids():
        files = store.open(queue_id)
        rows.append({"queue_id": queue_id, "task": files.queue.task, "kind": files.queue.kind,
                     "items": len(files.queue.items), "labelled": len(files.labels()),
                     "annotators": files.annotators()})  # fmt: skip
    if as_json:
        typer.echo(json.dumps({"queues": rows}))
        return
    table = Table("queue", "task", "kind", "items", "labelled", "annotators")
    for r in rows:
        table.add_row(r["queue_id"], r["task"], r["kind"], str(r["items"]), str(r["labelled"]),
                      ", ".join(r["annotators"]))  # fmt: skip
    Console().print(table if rows else f"no annotation queues in {store.root}")


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


@annotate_app.command("agreement")
def agreement(
    queue_id: QueueArgument, runs_dir: RunsDirOption = DEFAULT_RUNS_DIR, as_json: JsonOption = False
) -> None:
    """Agreement: Cohen's kappa per pair (and against the scorer), Fleiss', Krippendorff's.

    Fleiss' kappa is over the items every annotator labelled; Krippendorff's alpha
    over every item with two or more labels.
    """
    from redline.annotation import AnnotationStore, final_labels, queue_agreement

    files = AnnotationStore(runs_dir).open(queue_id)
    result = queue_agreement(files)
    resolution = final_labels(files)
    if as_json:
        document = result.model_dump(mode="json")
        document["resolved"] = len(resolution.final)
        document["disputed"] = resolution.disputed
        typer.echo(json.dumps(document))
        return
    console = Console()
    console.print(
        f"{queue_id}: {result.labelled_items}/{result.items} items labelled by "
        f"{', '.join(result.annotators) or 'nobody yet'}; Krippendorff's alpha "
        f"{_num(result.krippendorff_alpha)}, Fleiss' kappa {_num(result.fleiss_kappa)} "
        f"({result.fleiss_items} items labelled by all)",
        highlight=False,
    )
    table = Table("rater", "rater", "items", "agree", "Cohen's kappa")
    for pair in [*result.pairs, *result.with_scorer]:
        agree = "n/a" if pair.observed is None else f"{pair.observed:.1%}"
        table.add_row(pair.first, pair.second, str(pair.items), agree, _num(pair.cohen_kappa))
    console.print(table)
    console.print(f"{len(resolution.final)} resolved, {len(resolution.disputed)} disputed")


@annotate_app.command("adjudicate")
def adjudicate(
    queue_id: QueueArgument,
    item_id: Annotated[str, typer.Argument(help="The item to settle (e.g. i00012).")],
    label: Annotated[str, typer.Argument(help="The label that stands.")],
    by: Annotated[str, typer.Option("--by", help="Who settles it.")],
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Settle a disputed item's final label."""
    from redline.annotation import AnnotationStore

    record = (
        AnnotationStore(runs_dir)
        .open(queue_id)
        .adjudicate(item_id=item_id, adjudicator=by, label=label)
    )
    if as_json:
        typer.echo(record.model_dump_json())
    else:
        Console(stderr=True).print(f"{queue_id} {item_id}: {label} (by {record.adjudicator})")


@annotate_app.command("export")
def export(
    queue_id: QueueArgument,
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL file to write.")],
    export_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="labels: for `redline judge calibrate --labels`; prefs: TRL "
            "prompt/chosen/rejected pairs (pairwise queues).",
        ),
    ] = "labels",
    policy: Annotated[
        str,
        typer.Option(help="Items without adjudication: majority or unanimous labels only."),
    ] = "majority",
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Write a queue's resolved labels (adjudicated, else majority) as JSONL."""
    from redline.annotation import AnnotationStore, export_rows, final_labels, write_jsonl

    files = AnnotationStore(runs_dir).open(queue_id)
    rows = export_rows(files, export_format=export_format, policy=policy)  # type: ignore[arg-type]
    write_jsonl(rows, output)
    resolution = final_labels(files, policy=policy)  # type: ignore[arg-type]
    summary = {"queue_id": queue_id, "format": export_format, "rows": len(rows),
               "disputed": len(resolution.disputed), "unlabelled": resolution.unlabelled,
               "output": str(output)}  # fmt: skip
    if as_json:
        typer.echo(json.dumps(summary))
        return
    Console(stderr=True).print(
        f"{len(rows)} rows -> {output} ({summary['disputed']} disputed and "
        f"{summary['unlabelled']} unlabelled items left out)",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add the ``annotate`` group."""
    app.add_typer(annotate_app, name="annotate")
