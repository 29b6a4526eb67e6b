"""Reading what a card is made from: runs from the store, and the optional files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from redline.analysis.labelled_estimates import read_human_labels
from redline.cards.card import CardInputs
from redline.cards.external_results import read_ablation, read_guard_eval
from redline.cards.figures import RunEvidence
from redline.cards.layout import CardKind, load_facts
from redline.core import ConfigError
from redline.scoring.calibration import Calibration
from redline.spec import check_spec, load_spec
from redline.store import RunStore


def read_runs(
    store: RunStore,
    run_ids: Sequence[str],
    *,
    calibrations: Sequence[Calibration] = (),
    human_labels: Mapping[str, str] | None = None,
) -> list[RunEvidence]:
    """Each run's records and summary (an unknown id is a ConfigError naming it)."""
    if not run_ids:
        raise ConfigError("--runs: name at least one run (redline runs list)")
    runs = []
    for run_id in run_ids:
        with store.open(run_id) as handle:
            runs.append(
                RunEvidence.from_records(
                    handle.info,
                    handle.read_attempts(),
                    handle.read_scores(),
                    calibrations=calibrations,
                    human_labels=human_labels,
                )
            )
    return runs


def gather_inputs(
    kind: CardKind,
    *,
    store: RunStore,
    run_ids: Sequence[str],
    facts: Path | None = None,
    spec: Path | None = None,
    ablation: Path | None = None,
    guard_eval: Path | None = None,
    calibrations: Sequence[Path] = (),
    labels: Sequence[Path] = (),
) -> CardInputs:
    """Everything a ``kind`` card needs, read and checked before anything is rendered.

    ``labels``: human labels on samples of the runs (``redline judge sample``);
    each run uses the labels of its own attempts.
    """
    loaded = [Calibration.load(path) for path in calibrations]
    human: dict[str, str] = {}
    for path in labels:
        human.update(read_human_labels(path))
    runs = read_runs(store, run_ids, calibrations=loaded, human_labels=human)
    ids = [run.info.id for run in runs]
    return CardInputs(
        runs=runs,
        facts=load_facts(facts, kind) if facts else {},
        spec=check_spec(load_spec(spec), store=store, run_ids=ids) if spec else None,
        ablation=read_ablation(ablation, calibrations=loaded) if ablation else None,
        guard_eval=read_guard_eval(guard_eval) if guard_eval else None,
    )
