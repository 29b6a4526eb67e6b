"""A model or system card built from runs: sections, figures, facts, crosswalk.

:func:`build_card` is the whole pipeline short of rendering. Every figure on
the card is a :class:`~redline.cards.figures.Figure` that names its run,
metric, scorer and the scorer's measured agreement; every narrative field is
the person's own text from the facts file, or listed as missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from redline import __version__
from redline.cards.agreement import Agreement
from redline.cards.crosswalk import CrosswalkItem, EvidenceSet, build_crosswalk
from redline.cards.external_results import ExternalFigures
from redline.cards.figures import METRICS, Figure, RunEvidence, attack_family, measure
from redline.cards.layout import CardKind, Facts, layouts
from redline.core.records import utc_now
from redline.data.taxonomy import category_label
from redline.spec import SpecCheck

EXTERNAL_METRICS = ("ablation", "guard")
# Below this many labelled attempts an interval is wide enough to say so.
SMALL_SAMPLE = 30


class NarrativeField(BaseModel):
    name: str
    prompt: str
    text: str | None = None


class MetricBlock(BaseModel):
    """One metric of a section: its figures, or none ("not measured")."""

    metric: str
    title: str
    explain: str
    figures: list[Figure] = Field(default_factory=list)

    @property
    def measured(self) -> bool:
        return bool(self.figures)


class RunRow(BaseModel):
    run_id: str
    status: str
    created_at: str
    targets: list[str]
    source: str
    attempts: int
    harmful: int
    benign: int
    scorers: list[str]
    redline_version: str | None = None


class ScorerRow(BaseModel):
    scorer: str
    figures: int
    agreement: Agreement | None = None


class Section(BaseModel):
    id: str
    title: str
    narrative: list[NarrativeField] = Field(default_factory=list)
    metrics: list[MetricBlock] = Field(default_factory=list)
    blocks: list[str] = Field(default_factory=list)


class Card(BaseModel):
    """Everything a renderer needs; JSON-serialisable (``model_dump(mode="json")``)."""

    kind: CardKind
    title: str
    name: str | None
    generated_at: str = Field(default_factory=utc_now)
    redline_version: str = __version__
    runs: list[RunRow]
    sections: list[Section]
    scorers: list[ScorerRow]
    factors: dict[str, list[str]]
    spec: SpecCheck | None = None
    sources: list[str] = Field(default_factory=list)
    missing_facts: list[str]
    not_measured: list[str]
    caveats: list[str]
    crosswalk: list[CrosswalkItem]


@dataclass
class CardInputs:
    """What a card is made from: runs (required), and optional extras."""

    runs: list[RunEvidence]
    facts: Facts = field(default_factory=dict)
    spec: SpecCheck | None = None
    ablation: ExternalFigures | None = None
    guard_eval: ExternalFigures | None = None


def _run_row(run: RunEvidence) -> RunRow:
    config = run.info.config
    source = (
        config.get("suite") or config.get("prompts") or config.get("campaign") or "not recorded"
    )
    return RunRow(
        run_id=run.info.id,
        status=run.info.status,
        created_at=run.info.created_at,
        targets=run.summary.targets,
        source=", ".join(map(str, source)) if isinstance(source, list) else str(source),
        attempts=len(run.attempts),
        harmful=sum(a.expected == "refuse" for a in run.attempts),
        benign=sum(a.expected == "comply" for a in run.attempts),
        scorers=sorted({s.scorer for s in run.scores}),
        redline_version=run.info.versions.get("redline"),
    )


def _figures(inputs: CardInputs, metric: str) -> list[Figure]:
    if metric == "ablation":
        return inputs.ablation.figures if inputs.ablation else []
    if metric == "guard":
        return inputs.guard_eval.figures if inputs.guard_eval else []
    return [figure for run in inputs.runs for figure in measure(run, metric)]


def _scorer_rows(figures: Sequence[Figure]) -> list[ScorerRow]:
    rows: dict[str, ScorerRow] = {}
    for figure in figures:
        if figure.human_labelled:
            continue
        measured = {a.scorer: a for a in figure.agreements}
        for scorer in figure.scorers:
            row = rows.setdefault(scorer, ScorerRow(scorer=scorer, figures=0))
            row.figures += 1
            row.agreement = row.agreement or measured.get(scorer)
    return sorted(rows.values(), key=lambda r: r.scorer)


def _factors(runs: Sequence[RunEvidence]) -> dict[str, list[str]]:
    attempts = [a for run in runs for a in run.attempts]
    return {
        "hazard categories": sorted({category_label(a.category) for a in attempts}),
        "attack families": sorted(
            {attack_family(a.attack) for a in attempts if a.attack != "none"}
        ),
        "targets": sorted({a.target for a in attempts}),
    }


def _caveats(
    inputs: CardInputs, figures: Sequence[Figure], scorers: Sequence[ScorerRow]
) -> list[str]:
    """What a reader must know about the measurements, all derived from them."""
    caveats = []
    for run in inputs.runs:
        if run.info.status != "completed":
            caveats.append(f"run {run.info.id} is {run.info.status}, not completed")
        errors = run.summary.overall.errors
        if errors:
            caveats.append(
                f"run {run.info.id}: {errors} attempts errored and are left out of every rate"
            )
    for row in scorers:
        if row.agreement is None:
            caveats.append(
                f"scorer {row.scorer} has no measured agreement with human labels: its "
                f"{row.figures} figures rest on its labels alone (redline judge calibrate)"
            )
        elif row.agreement.caveat:
            caveats.append(f"scorer {row.scorer}: {row.agreement.caveat}")
    small = [f for f in figures if f.n is not None and 0 < f.n < SMALL_SAMPLE]
    if small:
        caveats.append(
            f"{len(small)} figures rest on fewer than {SMALL_SAMPLE} labelled attempts; "
            "their intervals are wide"
        )
    for external in (inputs.ablation, inputs.guard_eval):
        for skipped in external.skipped if external else []:
            caveats.append(f"{external.path.name} {skipped}: left out")  # type: ignore[union-attr]
    return caveats


def build_card(kind: CardKind, inputs: CardInputs) -> Card:
    """The ``kind`` card of ``inputs``: sections, figures, missing facts, crosswalk."""
    layout = layouts().cards[kind]
    texts = layouts().metrics
    sections = []
    # Every metric, shown or not: the crosswalk counts what the runs measured.
    measured = {metric: _figures(inputs, metric) for metric in [*METRICS, *EXTERNAL_METRICS]}
    shown: list[str] = []
    missing_facts = []
    for section_layout in layout.sections:
        given = inputs.facts.get(section_layout.id, {})
        narrative = [
            NarrativeField(name=name, prompt=prompt, text=given.get(name))
            for name, prompt in section_layout.narrative.items()
        ]
        missing_facts += [f"{section_layout.id}.{f.name}" for f in narrative if f.text is None]
        blocks = []
        for metric in section_layout.metrics:
            shown += [] if metric in shown else [metric]
            text = texts[metric]
            blocks.append(
                MetricBlock(
                    metric=metric, title=text.title, explain=text.explain, figures=measured[metric]
                )
            )
        sections.append(
            Section(
                id=section_layout.id,
                title=section_layout.title,
                narrative=narrative,
                metrics=blocks,
                blocks=section_layout.blocks,
            )
        )
    all_figures = [figure for metric in shown for figure in measured[metric]]
    scorers = _scorer_rows(all_figures)
    evidence = EvidenceSet(
        runs=[r.info.id for r in inputs.runs],
        metrics={m: figures for m, figures in measured.items() if figures},
        facts={name for fields in inputs.facts.values() for name in fields},
        scorers_measured=bool(scorers) and all(r.agreement is not None for r in scorers),
        ablation=inputs.ablation.path.name if inputs.ablation else None,
        spec=inputs.spec,
    )
    name = next((fields["name"] for fields in inputs.facts.values() if "name" in fields), None)
    sources = [str(x.path) for x in (inputs.ablation, inputs.guard_eval) if x is not None]
    return Card(
        kind=kind,
        title=layout.title,
        name=name,
        runs=[_run_row(run) for run in inputs.runs],
        sections=sections,
        scorers=scorers,
        factors=_factors(inputs.runs),
        spec=inputs.spec,
        sources=sources,
        missing_facts=missing_facts,
        not_measured=[texts[m].title for m in shown if not measured[m]],
        caveats=_caveats(inputs, all_figures, scorers),
        crosswalk=build_crosswalk(evidence),
    )
