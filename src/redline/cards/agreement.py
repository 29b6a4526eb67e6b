"""How far each scorer's labels can be trusted: its measured agreement with people.

A card quotes, next to every figure, the agreement of the scorer that produced
it. The agreement comes from, in order of preference:

0. human labels on a sample of the run itself (``redline judge sample``, then
   label; given with ``--labels``): the scorer's labels against the people's on
   this run's own responses, the measurement that transfers best;
1. a calibration file (``redline judge calibrate``) for that scorer, given with
   ``--calibration``: agreement with human labels, Cohen's kappa, and whether
   the labelled responses came from the same targets as the run;
2. for the bundled ``refusal`` scorer, the accuracy measured on its shipped,
   hand-labelled dev set (``classifiers/artifacts/refusal/metrics.json``): a
   measurement on other responses than the run's, and said so;
3. otherwise nothing: the card says "agreement not measured".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from importlib.resources import files

from pydantic import BaseModel

from redline.analysis.summary import labels_by_attempt
from redline.core.records import Score
from redline.scoring.calibration import Calibration, cohen_kappa
from redline.stats import Interval, wilson_interval

# The scorer whose shipped model carries a measured dev-set accuracy.
SHIPPED_AGREEMENT = {"refusal": ("refusal", "dev_set")}


class Agreement(BaseModel):
    """A scorer's measured agreement with human labels, and where it was measured."""

    scorer: str
    agreement: Interval
    n: int
    kappa: float | None = None
    basis: str
    # Set when the labelled responses came from other targets than the run's.
    caveat: str | None = None

    def text(self) -> str:
        kappa = "" if self.kappa is None else f", kappa {self.kappa:.2f}"
        caveat = f" ({self.caveat})" if self.caveat else ""
        return (
            f"agreement {self.agreement.format()} with {self.n} human labels{kappa}; "
            f"{self.basis}{caveat}"
        )


def shipped_agreement(scorer: str) -> Agreement | None:
    """The agreement shipped with a bundled scorer's model, or None."""
    if scorer not in SHIPPED_AGREEMENT:
        return None
    artifact, split = SHIPPED_AGREEMENT[scorer]
    metrics_file = files("redline.classifiers").joinpath("artifacts", artifact, "metrics.json")
    measured = json.loads(metrics_file.read_text("utf-8"))[split]
    n = int(measured["n"])
    agreeing = round(float(measured["accuracy"]) * n)
    return Agreement(
        scorer=scorer,
        agreement=wilson_interval(agreeing, n),
        n=n,
        basis=f"the scorer's shipped hand-labelled {split.replace('_', ' ')}, "
        "not this run's responses",
    )


def calibration_agreement(calibration: Calibration, run_targets: Sequence[str]) -> Agreement:
    """The agreement a calibration file measured, with a caveat when its labels
    came from other targets than the run's."""
    source = calibration.labels_file or "a labels file"
    return Agreement(
        scorer=calibration.scorer,
        agreement=calibration.agreement,
        n=calibration.n,
        kappa=calibration.kappa,
        basis=f"calibration on {source}",
        caveat=_transfer_caveat(calibration, run_targets),
    )


def _transfer_caveat(calibration: Calibration, run_targets: Sequence[str]) -> str | None:
    # The short form of scoring.calibration.transfer_warning, for a table cell.
    missing = sorted(set(run_targets) - set(calibration.targets))
    if not missing:
        return None
    measured = ", ".join(calibration.targets) or "unrecorded targets"
    return (
        f"measured on responses of {measured}, not of {', '.join(missing)}: "
        "a judge's error rates do not transfer between targets"
    )


def sample_agreement(
    scorer: str, scores: Sequence[Score], human: Mapping[str, str]
) -> Agreement | None:
    """The scorer's labels against human labels on attempts of this run, or None
    when fewer than two labelled attempts carry the scorer's label."""
    labels = labels_by_attempt(scores, scorer=scorer)
    pairs = [(human[a], labels[a].label) for a in human if a in labels]
    if len(pairs) < 2:
        return None
    agreeing = sum(h == s for h, s in pairs)
    return Agreement(
        scorer=scorer,
        agreement=wilson_interval(agreeing, len(pairs)),
        n=len(pairs),
        kappa=cohen_kappa([h for h, _ in pairs], [s for _, s in pairs]),
        basis="human labels on a sample of this run's own responses",
    )


def scorer_agreement(
    scorer: str,
    calibrations: Sequence[Calibration],
    run_targets: Sequence[str],
    *,
    scores: Sequence[Score] = (),
    human: Mapping[str, str] | None = None,
) -> Agreement | None:
    """The best measured agreement for ``scorer``: human labels on this run, else a
    calibration file, else the shipped one."""
    if human:
        found = sample_agreement(scorer, scores, human)
        if found is not None:
            return found
    for calibration in calibrations:
        if calibration.scorer == scorer:
            return calibration_agreement(calibration, run_targets)
    return shipped_agreement(scorer)
