"""Judge calibration against human labels, and attack success rates corrected for judge error.

``calibrate(scorer, records)`` scores human-labelled prompt/response records and
measures the scorer against the humans: agreement, Cohen's kappa over all
labels, and, for the binary question the reports ask (is this an attack
success? the scorer's ``positive_labels``), sensitivity, specificity and the
false-positive / false-negative rates overall and per category, each with a
Wilson interval. The result is a :class:`Calibration`, saved as JSON.

``corrected_rate(events, scored, calibration)`` turns an observed attack
success count into the Rogan-Gladen estimate of the true rate. Its interval
carries three uncertainties: the observed rate and the scorer's sensitivity
and specificity. It is a parametric bootstrap: draw the observed rate from
Beta(k + 1/2, n - k + 1/2), sensitivity from Beta(TP + 1/2, FN + 1/2) and
specificity from Beta(TN + 1/2, FP + 1/2) (Jeffreys posteriors of the
labelled counts), correct each draw, and take the central percentiles; draws
where sensitivity + specificity <= 1 (no information) are dropped and counted.
The interval is never narrower than the one that treats sensitivity and
specificity as known (``redline.stats.rogan_gladen_interval``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from redline.core import Attempt, ConfigError, Message, utc_now
from redline.data.labelled_rows import read_labelled_rows
from redline.scoring.judge import JUDGE_ERROR
from redline.stats import Interval, rogan_gladen, rogan_gladen_interval, wilson_interval
from redline.stats.agreement import cohen_kappa

CALIBRATION_SCHEMA_VERSION = 1
LABEL_FIELDS = ("human_label", "label")


class LabelledRecord(BaseModel):
    """One prompt/response pair with a human label, from a labels file."""

    line: int
    id: str
    prompt: str
    response: str
    human_label: str
    category: str = "uncategorised"
    expected: str | None = None
    # The model that wrote the response, when the labels file says (judge sample does).
    target: str | None = None


class BinaryRates(BaseModel):
    """Scorer vs humans on "attack success or not" over one slice of the labels."""

    name: str
    n: int
    tp: int
    fp: int
    tn: int
    fn: int
    sensitivity: Interval  # of human positives, the share the scorer flags
    specificity: Interval  # of human negatives, the share the scorer passes
    false_positive_rate: Interval
    false_negative_rate: Interval


class Calibration(BaseModel):
    """What ``redline judge calibrate`` measured; stored as a calibration file."""

    schema_version: int = CALIBRATION_SCHEMA_VERSION
    scorer: str
    scorer_version: str
    positive_labels: list[str]
    labels_file: str | None = None
    labels_sha256: str | None = None
    created_at: str = Field(default_factory=utc_now)
    n: int
    judge_errors: int
    agreement: Interval
    kappa: float | None
    confusion: dict[str, dict[str, int]]  # human label -> scorer label -> count
    overall: BinaryRates
    by_category: list[BinaryRates]
    # The models whose responses were labelled (empty: the labels file did not say).
    targets: list[str] = Field(default_factory=list)

    def save(self, path: Path) -> None:
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Calibration:
        """Read a calibration file; a bad one is a ConfigError naming the file."""
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"--calibration {path}: no such file") from None
        except ValueError as exc:
            first = str(exc).splitlines()[0:3]
            raise ConfigError(
                f"--calibration {path}: not a calibration file ({' '.join(first)})"
            ) from None


# The label vocabulary of built-in scorers; a labels file using other values is an error.
KNOWN_LABELS = {
    "refusal": ("full_refusal", "partial_refusal", "full_compliance"),
    "refusal-patterns": ("full_refusal", "partial_refusal", "full_compliance"),
    "harm": ("harmful", "not_harmful"),
    "harm-classifier": ("harmful", "not_harmful"),
    "strongreject": ("harmful", "not_harmful"),
    "harmbench": ("harmful", "not_harmful"),
    "regex": ("match", "no_match"),
    "exact": ("match", "no_match"),
}


def scorer_vocabulary(scorer: str) -> tuple[str, ...] | None:
    """The labels a built-in scorer can give (None for plugins: anything goes)."""
    return KNOWN_LABELS.get(scorer.split(":", 1)[0] if ":" in scorer else scorer)


def read_labels(path: Path, *, allowed: Iterable[str] | None = None) -> list[LabelledRecord]:
    """Read a labels file (JSONL or CSV: prompt, response, human_label or label, optional
    id/category/expected). Every problem is reported with its line number; unknown
    label values (when ``allowed`` is given) are collected into one error."""
    allowed_set = set(allowed) if allowed is not None else None
    records: list[LabelledRecord] = []
    unknown: dict[str, list[int]] = {}
    for number, row in read_labelled_rows(path, option="--labels"):
        label = next((row[f] for f in LABEL_FIELDS if f in row), None)
        for field, value in (("response", row.get("response")), ("human_label", label)):
            if not isinstance(value, str):
                raise ConfigError(f"{path}:{number}: field {field!r} missing or not a string")
        if allowed_set is not None and label not in allowed_set:
            unknown.setdefault(label, []).append(number)
            continue
        records.append(
            LabelledRecord(
                line=number,
                id=str(row.get("id", f"line-{number}")),
                prompt=str(row.get("prompt", "")),
                response=row["response"],
                human_label=label,
                category=str(row.get("category") or "uncategorised"),
                expected=row.get("expected"),
                target=str(row["target"]) if row.get("target") else None,
            )
        )
    if unknown:
        parts = [f"{value!r} (lines {_lines(lines)})" for value, lines in sorted(unknown.items())]
        known = ", ".join(sorted(allowed_set or ()))
        raise ConfigError(f"{path}: unknown label values {'; '.join(parts)}; known: {known}")
    if not records:
        raise ConfigError(f"{path}: no labelled records")
    return records


def _lines(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


def record_attempt(record: LabelledRecord | dict[str, Any], *, index: int = 0) -> Attempt:
    """An Attempt carrying a prompt/response record, for scoring outside a run."""
    data = record.model_dump() if isinstance(record, LabelledRecord) else record
    expected = data.get("expected") if data.get("expected") in ("refuse", "comply") else "refuse"
    return Attempt(
        id=str(data.get("id") or f"record-{index}"),
        run_id="score",
        behavior_id=str(data.get("id") or f"record-{index}"),
        category=str(data.get("category") or "uncategorised"),
        expected=expected,
        target="records",
        messages=[Message(role="user", content=str(data.get("prompt") or ""))],
        response=str(data.get("response") or ""),
    )


def binary_rates(
    name: str, pairs: Sequence[tuple[bool, bool]], *, confidence: float = 0.95
) -> BinaryRates:
    """``pairs`` of (human positive, scorer positive)."""
    tp = sum(h and s for h, s in pairs)
    fn = sum(h and not s for h, s in pairs)
    tn = sum(not h and not s for h, s in pairs)
    fp = sum(not h and s for h, s in pairs)
    return BinaryRates(
        name=name,
        n=len(pairs),
        tp=tp,
        fp=fp,
        tn=tn,
        fn=fn,
        sensitivity=wilson_interval(tp, tp + fn, confidence=confidence),
        specificity=wilson_interval(tn, tn + fp, confidence=confidence),
        false_positive_rate=wilson_interval(fp, tn + fp, confidence=confidence),
        false_negative_rate=wilson_interval(fn, tp + fn, confidence=confidence),
    )


def compare_labels(
    records: Sequence[LabelledRecord],
    predicted: Sequence[str],
    *,
    scorer: str,
    scorer_version: str,
    positive_labels: Sequence[str],
    confidence: float = 0.95,
) -> Calibration:
    """The calibration of scorer labels ``predicted`` against the records' human labels.
    Records the scorer could not label (``judge_error``) are excluded and counted."""
    kept = [(r, p) for r, p in zip(records, predicted, strict=True) if p != JUDGE_ERROR]
    human = [r.human_label for r, _ in kept]
    machine = [p for _, p in kept]
    positive = set(positive_labels)
    pairs = [(r.human_label in positive, p in positive) for r, p in kept]
    confusion: dict[str, dict[str, int]] = {}
    for h, m in zip(human, machine, strict=True):
        confusion.setdefault(h, {}).setdefault(m, 0)
        confusion[h][m] += 1
    categories: dict[str, list[tuple[bool, bool]]] = {}
    for (record, _), pair in zip(kept, pairs, strict=True):
        categories.setdefault(record.category, []).append(pair)
    agree = sum(h == m for h, m in zip(human, machine, strict=True))
    kappa = cohen_kappa(human, machine)
    return Calibration(
        scorer=scorer,
        scorer_version=scorer_version,
        positive_labels=sorted(positive),
        n=len(kept),
        judge_errors=len(records) - len(kept),
        agreement=wilson_interval(agree, len(kept), confidence=confidence),
        kappa=None if kappa is None else round(kappa, 6),
        confusion=confusion,
        overall=binary_rates("all", pairs, confidence=confidence),
        by_category=[
            binary_rates(name, categories[name], confidence=confidence)
            for name in sorted(categories)
        ],
        targets=sorted({r.target for r in records if r.target}),
    )


def corrected_rate(
    events: int,
    scored: int,
    calibration: Calibration,
    *,
    confidence: float = 0.95,
    draws: int = 20_000,
    seed: int = 0,
) -> dict[str, Any]:
    """The judge-error-corrected rate of ``events`` in ``scored`` (see module docstring).

    Returns ``{"observed", "corrected", "naive", "dropped_draws", ...}``:
    ``corrected`` is the Rogan-Gladen estimate with the bootstrap interval,
    ``naive`` the interval that treats sensitivity and specificity as known.
    """
    o = calibration.overall
    sens = o.sensitivity.estimate
    spec = o.specificity.estimate
    observed = wilson_interval(events, scored, confidence=confidence)
    result: dict[str, Any] = {
        "observed": observed.model_dump(mode="json"),
        "sensitivity": sens,
        "specificity": spec,
        "method": "rogan-gladen + parametric bootstrap (Jeffreys Beta posteriors)",
    }
    if sens is None or spec is None or sens + spec <= 1.0:
        result["corrected"] = None
        result["note"] = (
            "calibration lacks human positives or negatives, or the scorer is no better than "
            "chance (sensitivity + specificity <= 1): no correction possible"
        )
        return result
    if scored == 0:
        result["corrected"] = Interval(
            estimate=None, low=0.0, high=1.0, confidence=confidence, method="rogan-gladen-bootstrap"
        ).model_dump(mode="json")
        return result
    naive = rogan_gladen_interval(
        events, scored, sensitivity=sens, specificity=spec, confidence=confidence
    )
    rng = np.random.default_rng(seed)
    p = rng.beta(events + 0.5, scored - events + 0.5, draws)
    se = rng.beta(o.tp + 0.5, o.fn + 0.5, draws)
    sp = rng.beta(o.tn + 0.5, o.fp + 0.5, draws)
    youden = se + sp - 1.0
    ok = youden > 0
    corrected = np.clip((p[ok] + sp[ok] - 1.0) / youden[ok], 0.0, 1.0)
    alpha = 1.0 - confidence
    low, high = np.quantile(corrected, [alpha / 2, 1 - alpha / 2]) if corrected.size else (0.0, 1.0)
    interval = Interval(
        estimate=rogan_gladen(events / scored, sens, spec),
        low=float(min(low, naive.low)),
        high=float(max(high, naive.high)),
        confidence=confidence,
        method="rogan-gladen-bootstrap",
    )
    result["corrected"] = interval.model_dump(mode="json")
    result["naive"] = naive.model_dump(mode="json")
    result["dropped_draws"] = int((~ok).sum())
    return result


def apply_calibration(summary: Any, calibration: Calibration, *, seed: int = 0) -> Any:
    """A copy of a :class:`~redline.report.RunSummary` with ``judge_correction`` filled:
    the corrected attack success rate overall and per category. The calibration
    must be for the scorer whose labels the summary counts."""
    if calibration.scorer != summary.scorer:
        raise ConfigError(
            f"calibration is for scorer {calibration.scorer!r} but the summary counts "
            f"{summary.scorer!r}; calibrate that scorer or report with --scorer "
            f"{calibration.scorer}"
        )

    def corrected(group: Any) -> dict[str, Any]:
        rate = group.attack_success
        entry = corrected_rate(
            rate.events, rate.scored, calibration, confidence=summary.confidence, seed=seed
        )
        entry["name"] = group.name
        entry["judge_errors"] = group.other_labels.get(JUDGE_ERROR, 0)
        return entry

    correction = {
        "scorer": calibration.scorer,
        "scorer_version": calibration.scorer_version,
        "calibration_n": calibration.n,
        "labels_sha256": calibration.labels_sha256,
        "overall": corrected(summary.overall),
        "by_category": [corrected(g) for g in summary.by_category],
    }
    return summary.model_copy(update={"judge_correction": correction})


def transfer_warning(calibration: Calibration, run_targets: Sequence[str]) -> str | None:
    """Why a calibration may not fit this run, or None when it was measured on the
    run's own targets. Error rates measured on one model's responses do not carry
    over to another's (on five chat models, Rogan-Gladen with rates from the other
    four made the estimate worse for four of five)."""
    missing = sorted(set(run_targets) - set(calibration.targets))
    if not missing:
        return None
    measured = ", ".join(calibration.targets) if calibration.targets else "unrecorded targets"
    return (
        f"warning: the calibration was measured on responses of {measured}, not of "
        f"{', '.join(missing)}: a judge's error rates depend on the responses it judges and "
        "do not transfer between targets, so the corrected rate may be further off than the "
        "raw one. Label a sample of this run instead: redline judge sample RUN -n 100, then "
        "redline report RUN --labels FILE (PPI++)."
    )


def correction_line(correction: dict[str, Any]) -> str:
    """One line for the terminal: observed and corrected attack success rate."""
    overall = correction["overall"]
    observed = Interval.model_validate(overall["observed"]).format()
    if overall.get("corrected") is None:
        return f"ASR corrected for judge error: n/a ({overall.get('note', '')})"
    corrected = Interval.model_validate(overall["corrected"]).format()
    return (
        f"ASR corrected for judge error ({correction['scorer']}, calibrated on "
        f"{correction['calibration_n']} labels): {corrected}; observed {observed}; "
        f"judge errors excluded: {overall['judge_errors']}"
    )
