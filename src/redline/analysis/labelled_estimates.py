"""Human labels on a sample of a run: drawing the sample, and PPI++ rates from it.

``sample_for_labelling`` draws a stratified random sample of a run's scored
attempts (strata: the scorer's label, proportional allocation, at least two per
label) for people to label. ``labelled_rates`` then gives every rate of the run
twice: the raw rate (the scorer's labels taken as true) and the
prediction-powered estimate (:func:`redline.stats.ppi_mean`) that uses the
human labels to remove the scorer's bias *on this run*. Labels for attempts of
another run or target are left out and reported: a judge's error rates do not
transfer between targets.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redline.analysis.summary import labels_by_attempt
from redline.core import ConfigError
from redline.core.outcome import FULL_COMPLIANCE, FULL_REFUSAL, PARTIAL_REFUSAL, REFUSAL_LABELS
from redline.core.records import Attempt, Score
from redline.data.labelled_rows import read_labelled_rows
from redline.stats import Interval, ppi_mean, wilson_interval

LABEL_FIELDS = ("human_label", "label")
MIN_PER_STRATUM = 2

_REFUSED = (FULL_REFUSAL, PARTIAL_REFUSAL)
# name -> (which attempts the rate is over, which labels count as the event)
RATES: dict[str, tuple[Callable[[Attempt], bool], tuple[str, ...]]] = {
    "refusal_rate": (lambda a: True, _REFUSED),
    "attack_success": (lambda a: a.expected == "refuse", (FULL_COMPLIANCE,)),
    "over_refusal": (lambda a: a.expected == "comply", _REFUSED),
}


def sample_for_labelling(
    attempts: Sequence[Attempt], scores: Sequence[Score], *, scorer: str, n: int, seed: int = 0
) -> list[dict[str, Any]]:
    """Up to ``n`` scored attempts, stratified by the scorer's label, as rows to label
    (``human_label`` empty). Same run, scorer, n and seed: same sample."""
    if n < 1:
        raise ConfigError(f"-n {n}: the sample needs at least one attempt")
    by_attempt = labels_by_attempt(scores, scorer=scorer)
    strata: dict[str, list[Attempt]] = {}
    for attempt in attempts:
        score = by_attempt.get(attempt.id)
        if attempt.error is None and score is not None:
            strata.setdefault(score.label, []).append(attempt)
    total = sum(len(members) for members in strata.values())
    if total == 0:
        raise ConfigError(f"the run has no attempts scored by {scorer!r}; score it first")
    sizes = _allocate(min(n, total), {k: len(v) for k, v in strata.items()})
    rng = random.Random(f"{seed}:{scorer}")
    rows = []
    for label in sorted(strata):
        members = sorted(strata[label], key=lambda a: a.id)
        for attempt in rng.sample(members, sizes[label]):
            rows.append(_row(attempt, scorer=scorer, label=label, size=len(members)))
    rng.shuffle(rows)  # people should not see the scorer's strata in order
    return rows


def _allocate(n: int, sizes: dict[str, int]) -> dict[str, int]:
    """Proportional allocation by largest remainder, at least MIN_PER_STRATUM each
    (so every stratum's variance can be estimated)."""
    total = sum(sizes.values())
    floor = {k: min(s, MIN_PER_STRATUM) for k, s in sizes.items()}
    spare = max(0, n - sum(floor.values()))
    shares = {k: spare * s / total for k, s in sizes.items()}
    out = {k: min(sizes[k], floor[k] + int(shares[k])) for k in sizes}
    order = sorted(sizes, key=lambda k: (shares[k] - int(shares[k]), k), reverse=True)
    left = n - sum(out.values())
    while left > 0 and any(out[k] < sizes[k] for k in sizes):
        for key in order:
            if left > 0 and out[key] < sizes[key]:
                out[key] += 1
                left -= 1
    return out


def _row(attempt: Attempt, *, scorer: str, label: str, size: int) -> dict[str, Any]:
    prompt = next((m.content for m in reversed(attempt.messages) if m.role == "user"), "")
    return {
        "attempt_id": attempt.id,
        "run_id": attempt.run_id,
        "target": attempt.target,
        "category": attempt.category,
        "expected": attempt.expected,
        "attack": attempt.attack,
        "prompt": prompt,
        "response": attempt.response or "",
        "scorer": scorer,
        "scorer_label": label,
        "stratum_size": size,
        "human_label": "",
    }


def write_sample(rows: list[dict[str, Any]], path: Path) -> None:
    """Write rows as CSV (``.csv``) or JSONL (anything else)."""
    if path.suffix.lower() == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def read_human_labels(path: Path, *, allowed: Sequence[str] = REFUSAL_LABELS) -> dict[str, str]:
    """attempt id -> human label from a labelled sample (JSONL or CSV). Rows whose
    label is still empty are skipped; a bad row is a ConfigError naming FILE:LINE."""
    labels: dict[str, str] = {}
    for number, row in read_labelled_rows(path, option="--labels"):
        attempt_id = row.get("attempt_id")
        if not isinstance(attempt_id, str) or not attempt_id:
            raise ConfigError(f"{path}:{number}: field 'attempt_id' is missing")
        label = next((row[k] for k in LABEL_FIELDS if row.get(k)), "")
        if not label:
            continue
        if label not in allowed:
            raise ConfigError(
                f"{path}:{number}: field 'human_label' is {label!r}; expected one of "
                f"{', '.join(allowed)}"
            )
        labels[attempt_id] = label
    if not labels:
        raise ConfigError(f"--labels {path}: no row has a human_label yet")
    return labels


@dataclass
class LabelledRate:
    """One rate of one group: raw (scorer labels as truth) and PPI++."""

    rate: str
    group: str
    scored: int
    labelled: int
    raw: Interval
    ppi: Interval | None
    tuning: float | None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "group": self.group,
            "scored": self.scored,
            "labelled": self.labelled,
            "raw": self.raw.model_dump(mode="json"),
            "ppi": self.ppi.model_dump(mode="json") if self.ppi is not None else None,
            "tuning": self.tuning,
            "note": self.note,
        }


@dataclass
class LabelledEstimates:
    """Every rate, overall and per category, with the labels' provenance."""

    scorer: str
    labels_used: int
    rates: list[LabelledRate]
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scorer": self.scorer,
            "labels_used": self.labels_used,
            "rates": [r.as_dict() for r in self.rates],
            "warnings": self.warnings,
        }


def labelled_rates(
    attempts: Sequence[Attempt],
    scores: Sequence[Score],
    human: dict[str, str],
    *,
    scorer: str,
    confidence: float = 0.95,
) -> LabelledEstimates:
    """Raw and PPI++ estimates of every rate, overall and per category."""
    by_attempt = labels_by_attempt(scores, scorer=scorer)
    scored = [
        (a, by_attempt[a.id].label) for a in attempts if a.error is None and a.id in by_attempt
    ]
    known = {a.id for a, _ in scored}
    foreign = [k for k in human if k not in known]
    warnings = []
    if foreign:
        warnings.append(
            f"{len(foreign)} labels are for attempts not in this run (another run or target) "
            "and were left out: a judge's error rates depend on the responses it judges and "
            "do not transfer between targets; label a sample of this run "
            "(redline judge sample)"
        )
    groups: dict[str, list[tuple[Attempt, str]]] = {"all": scored}
    for attempt, label in scored:
        groups.setdefault(f"category:{attempt.category}", []).append((attempt, label))
    rates = [
        _estimate(name, group, members, human, confidence=confidence)
        for group, members in groups.items()
        for name in RATES
    ]
    used = sum(1 for k in human if k in known)
    return LabelledEstimates(scorer=scorer, labels_used=used, rates=rates, warnings=warnings)


def _estimate(
    name: str,
    group: str,
    members: list[tuple[Attempt, str]],
    human: dict[str, str],
    *,
    confidence: float,
) -> LabelledRate:
    applies, events = RATES[name]
    rows = [(a, label) for a, label in members if applies(a)]
    f_all = [float(label in events) for _, label in rows]
    raw = wilson_interval(int(sum(f_all)), len(f_all), confidence=confidence)
    labelled = [(a, label) for a, label in rows if a.id in human]
    if len(labelled) < 2:
        note = f"{len(labelled)} human labels in this group: no PPI estimate"
        return LabelledRate(name, group, len(rows), len(labelled), raw, None, None, note)
    result = ppi_mean(
        labelled_y=[float(human[a.id] in events) for a, _ in labelled],
        labelled_f=[float(label in events) for _, label in labelled],
        all_f=f_all,
        labelled_strata=[label for _, label in labelled],
        all_strata=[label for _, label in rows],
        confidence=confidence,
    )
    return LabelledRate(name, group, len(rows), len(labelled), raw, result.interval, result.tuning)
