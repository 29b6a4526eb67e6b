"""Results measured outside a run that a card also quotes: an ablation study and a
guard evaluation, each read from the JSON file its command writes.

The readers are tolerant on purpose: the ablation study format is young, so a
row is accepted when it has an estimate and an interval in any of the usual
spellings, and rows without them are skipped and reported, not guessed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redline.cards.agreement import scorer_agreement
from redline.cards.figures import Figure
from redline.core import ConfigError
from redline.scoring.calibration import Calibration
from redline.stats import Interval, wilson_interval

GUARD_SCORER = "guard policy"


@dataclass
class ExternalFigures:
    """Figures read from a file, and the rows that could not be used."""

    path: Path
    figures: list[Figure]
    skipped: list[str] = field(default_factory=list)


def _read_json(path: Path, option: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{option} {path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not JSON ({exc.msg})") from None


def _first(row: dict[str, Any], *names: str) -> Any:
    return next((row[n] for n in names if row.get(n) is not None), None)


def _interval(row: dict[str, Any], estimate: float) -> Interval | None:
    raw = _first(row, "interval", "ci", "rate")
    if isinstance(raw, dict):
        low, high = _first(raw, "low", "lower", "lo"), _first(raw, "high", "upper", "hi")
        confidence = raw.get("confidence", 0.95)
    elif isinstance(raw, list | tuple) and len(raw) == 2:
        (low, high), confidence = raw, 0.95
    else:
        low, high = _first(row, "low", "lower"), _first(row, "high", "upper")
        confidence = row.get("confidence", 0.95)
    if not isinstance(low, int | float) or not isinstance(high, int | float):
        return None
    return Interval(
        estimate=estimate, low=float(low), high=float(high), confidence=float(confidence)
    )


def _ablation_rows(document: Any) -> list[dict[str, Any]]:
    """Flat rows (arm, suite, metric, ...) from either a flat ``results`` list or
    ``arms`` each holding its own results (a list, or suite -> metric -> values)."""
    if isinstance(document, list):
        return [r for r in document if isinstance(r, dict)]
    if not isinstance(document, dict):
        return []
    rows = [r for r in document.get("results", []) if isinstance(r, dict)]
    arms = document.get("arms", [])
    if isinstance(arms, dict):
        arms = [
            {"name": name, **(body if isinstance(body, dict) else {})}
            for name, body in arms.items()
        ]
    for arm in arms if isinstance(arms, list) else []:
        if not isinstance(arm, dict):
            continue
        name = _first(arm, "name", "arm", "id")
        results = _first(arm, "results", "metrics", "suites") or []
        if isinstance(results, dict):  # suite -> metric -> values
            results = [
                {"suite": suite, "metric": metric, **values}
                for suite, metrics in results.items()
                if isinstance(metrics, dict)
                for metric, values in metrics.items()
                if isinstance(values, dict)
            ]
        rows += [{"arm": name, **r} for r in results if isinstance(r, dict)]
    return rows


def read_ablation(path: Path, *, calibrations: Sequence[Calibration] = ()) -> ExternalFigures:
    """Every arm/suite/metric of an ablation study result as a figure."""
    document = _read_json(path, "--ablation")
    result = ExternalFigures(path=path, figures=[])
    for index, row in enumerate(_ablation_rows(document), start=1):
        arm, suite, metric = row.get("arm"), row.get("suite"), row.get("metric")
        estimate = _first(row, "estimate", "value", "mean")
        name = f"row {index} ({arm}/{suite}/{metric})"
        if not (arm and metric) or not isinstance(estimate, int | float):
            result.skipped.append(f"{name}: no arm, metric or numeric estimate")
            continue
        interval = _interval(row, float(estimate))
        if interval is None:
            result.skipped.append(f"{name}: no interval")
            continue
        scorer = str(_first(row, "scorer", "scored_by") or "not recorded")
        n = _first(row, "n", "trials", "scored")
        agreement = scorer_agreement(scorer, calibrations, [])
        result.figures.append(
            Figure(
                metric=str(metric),
                group=f"arm {arm}" + (f", suite {suite}" if suite else ""),
                rate=interval,
                events=float(estimate) * n if isinstance(n, int) else None,
                n=n if isinstance(n, int) else None,
                source=str(_first(row, "run_id", "run", "runs") or path.name),
                scorers=[scorer],
                agreements=[agreement] if agreement else [],
            )
        )
    if not result.figures:
        raise ConfigError(
            f"--ablation {path}: no usable result (each needs an arm, a metric, an estimate "
            f"and an interval){'; ' + result.skipped[0] if result.skipped else ''}"
        )
    return result


def read_guard_eval(path: Path) -> ExternalFigures:
    """The guard's policy recall and false-positive rate from ``redline guard eval --json``.

    Both are against the file's human labels, so they need no scorer agreement.
    """
    document = _read_json(path, "--guard-eval")
    policy = document.get("policy") if isinstance(document, dict) else None
    scores = document.get("scores") if isinstance(document, dict) else None
    if not isinstance(policy, dict) or not isinstance(scores, list) or not scores:
        raise ConfigError(
            f"--guard-eval {path}: not the output of `redline guard eval --json` "
            "(needs 'policy' and 'scores')"
        )
    counts = scores[0].get("overall", {})
    sides = {"recall": counts.get("positives"), "false_positive_rate": counts.get("negatives")}
    labelled = str(document.get("file", path.name))
    figures = []
    for metric, total in sides.items():
        share = policy.get(metric)
        if not isinstance(share, int | float) or not isinstance(total, int) or total == 0:
            continue
        events = round(share * total)
        figures.append(
            Figure(
                metric=f"guard_{metric}",
                group=f"{document.get('side', 'input')} side, labelled file {labelled}",
                rate=wilson_interval(events, total),
                events=events,
                n=total,
                source=str(path.name),
                scorers=[GUARD_SCORER],
                agreements=[],
                human_labelled=True,
            )
        )
    return ExternalFigures(path=path, figures=figures)
