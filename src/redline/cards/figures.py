"""The numbers a card quotes, each tied to the run, metric and scorer that measured it.

:func:`measure` computes one metric (see :data:`METRICS`) over one run with the
run's own summary logic (:func:`redline.analysis.summarize_run`), on the subset
of attempts the metric is about: direct harmful requests, one attack family,
agentic conversations... A metric the run cannot speak to (no such attempts,
none labelled) gives no figure, and the card says "not measured".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel

from redline.analysis import GroupSummary, OutcomeRate, RunSummary, summarize_run
from redline.analysis.summary import decides_by_refusal
from redline.attacks import ATTACKS
from redline.cards.agreement import Agreement, scorer_agreement
from redline.core.records import Attempt, RunInfo, Score
from redline.data.taxonomy import category_label
from redline.scoring.calibration import Calibration
from redline.stats import Interval

NO_ATTACK = "none"
# Families with a section of their own; the rest are jailbreaks.
OWN_SECTION_FAMILIES = ("injection", "multiturn")
UNKNOWN_FAMILY = "unclassified"


class Figure(BaseModel):
    """One measured rate, with everything needed to check it."""

    metric: str
    group: str
    rate: Interval
    # None where the source did not record them (an ablation row without n).
    events: float | None
    n: int | None
    source: str  # the run id (or the file) that measured it
    scorers: list[str]
    agreements: list[Agreement]
    # True when the rate was counted against human labels directly (a guard
    # evaluation): no scorer stands between the figure and the truth.
    human_labelled: bool = False

    def agreement_text(self) -> str:
        if self.human_labelled:
            return "counted against human labels (no scorer)"
        measured = {a.scorer: a for a in self.agreements}
        return "; ".join(
            f"{name}: {measured[name].text()}"
            if name in measured
            else f"{name}: agreement not measured"
            for name in self.scorers
        )


@dataclass
class RunEvidence:
    """One run read back: its records, its summary, and its scorers' agreement."""

    info: RunInfo
    attempts: list[Attempt]
    scores: list[Score]
    summary: RunSummary
    calibrations: Sequence[Calibration] = field(default_factory=tuple)
    # attempt id -> a person's label, from samples of this run (--labels).
    human_labels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_records(
        cls,
        info: RunInfo,
        attempts: list[Attempt],
        scores: list[Score],
        *,
        calibrations: Sequence[Calibration] = (),
        human_labels: Mapping[str, str] | None = None,
    ) -> RunEvidence:
        summary = summarize_run(info, attempts, scores)
        ids = {a.id for a in attempts}
        own = {k: v for k, v in (human_labels or {}).items() if k in ids}
        return cls(info, attempts, scores, summary, calibrations, own)

    def agreements(self, scorers: Sequence[str]) -> list[Agreement]:
        found = (
            scorer_agreement(
                s,
                self.calibrations,
                self.summary.targets,
                scores=self.scores,
                human=self.human_labels,
            )
            for s in scorers
        )
        return [a for a in found if a is not None]

    def summarize(self, attempts: Sequence[Attempt]) -> RunSummary:
        return summarize_run(self.info, attempts, self.scores)


def attack_family(attack: str) -> str:
    """The family of an attack label (a chain such as ``base64+roleplay.fiction``
    takes its first step's family; an injection or multi-turn step wins)."""
    families = []
    for step in attack.split("+"):
        family = getattr(ATTACKS.get(step), "family", None) if step in ATTACKS else None
        if isinstance(family, str):
            families.append(family)
    special = [f for f in families if f in OWN_SECTION_FAMILIES]
    chosen = special or families
    return chosen[0] if chosen else UNKNOWN_FAMILY


def is_agentic(attempt: Attempt) -> bool:
    """Whether the conversation used tools (a tool call or a tool result)."""
    return any(m.role == "tool" or m.tool_calls for m in attempt.messages)


def _figure(
    run: RunEvidence,
    metric: str,
    group: str,
    outcome: OutcomeRate,
    deciders: GroupSummary,
    *,
    refusal_only: bool = False,
) -> Figure | None:
    if outcome.scored == 0:
        return None
    scorers = list(deciders.decided_by) or [run.summary.scorer]
    if refusal_only:  # only a refusal scorer's labels count towards over-refusal
        scorers = [s for s in scorers if decides_by_refusal(s)] or scorers
    return Figure(
        metric=metric,
        group=group,
        # Attempts of one behaviour are not independent: quote the clustered
        # interval when some behaviour was tried more than once.
        rate=outcome.clustered or outcome.rate,
        events=outcome.events,
        n=outcome.scored,
        source=run.info.id,
        scorers=scorers,
        agreements=run.agreements(scorers),
    )


def _attack_success(
    run: RunEvidence, metric: str, group: str, summary: GroupSummary
) -> list[Figure]:
    figure = _figure(run, metric, group, summary.attack_success, summary)
    return [figure] if figure else []


def _subset(run: RunEvidence, keep: Callable[[Attempt], bool]) -> GroupSummary | None:
    attempts = [a for a in run.attempts if keep(a)]
    return run.summarize(attempts).overall if attempts else None


def _direct_requests(run: RunEvidence) -> list[Figure]:
    group = next((g for g in run.summary.by_attack if g.name == NO_ATTACK), None)
    return _attack_success(run, "direct_request_success", "direct requests", group) if group else []


def _over_refusal(run: RunEvidence) -> list[Figure]:
    overall = run.summary.overall
    figure = _figure(
        run, "over_refusal", "benign prompts", overall.over_refusal, overall, refusal_only=True
    )
    return [figure] if figure else []


def _harmful_completion(run: RunEvidence) -> list[Figure]:
    overall = run.summary.overall
    if overall.harmful_completion is None or run.summary.harm_scorer is None:
        return []
    outcome = overall.harmful_completion
    if outcome.scored == 0:
        return []
    scorers = [run.summary.harm_scorer]
    return [
        Figure(
            metric="harmful_completion",
            group="harmful prompts",
            rate=outcome.clustered or outcome.rate,
            events=outcome.events,
            n=outcome.scored,
            source=run.info.id,
            scorers=scorers,
            agreements=run.agreements(scorers),
        )
    ]


def _by_category(run: RunEvidence) -> list[Figure]:
    figures = []
    for group in run.summary.by_category:
        figures += _attack_success(run, "attack_success", category_label(group.name), group)
    return figures


def _red_team(run: RunEvidence) -> list[Figure]:
    return _attack_success(run, "attack_success", "all harmful attempts", run.summary.overall)


def _jailbreak_families(run: RunEvidence) -> list[Figure]:
    families = sorted(
        {attack_family(a.attack) for a in run.attempts if a.attack != NO_ATTACK}
        - set(OWN_SECTION_FAMILIES)
    )
    figures = []
    for family in families:
        summary = _subset(run, _in_jailbreak_family(family))
        if summary is not None:
            figures += _attack_success(run, "attack_success", f"family {family}", summary)
    return figures


def _in_jailbreak_family(family: str) -> Callable[[Attempt], bool]:
    return lambda a: a.attack != NO_ATTACK and attack_family(a.attack) == family


def _family(name: str) -> Callable[[RunEvidence], list[Figure]]:
    def measure_family(run: RunEvidence) -> list[Figure]:
        summary = _subset(run, lambda a: attack_family(a.attack) == name)
        return _attack_success(run, "attack_success", f"family {name}", summary) if summary else []

    return measure_family


def _agentic(run: RunEvidence) -> list[Figure]:
    summary = _subset(run, is_agentic)
    return (
        _attack_success(run, "attack_success", "tool-using conversations", summary)
        if summary
        else []
    )


# Metric name -> how to measure it over one run. Names and wording are in sections.yaml.
METRICS: dict[str, Callable[[RunEvidence], list[Figure]]] = {
    "direct_request_success": _direct_requests,
    "over_refusal": _over_refusal,
    "harmful_completion": _harmful_completion,
    "attack_success_by_category": _by_category,
    "red_team_overall": _red_team,
    "jailbreak_by_family": _jailbreak_families,
    "prompt_injection": _family("injection"),
    "multiturn": _family("multiturn"),
    "agentic": _agentic,
}


def measure(run: RunEvidence, metric: str) -> list[Figure]:
    """Every figure of ``metric`` the run supports (empty: not measured by this run)."""
    return METRICS[metric](run)
