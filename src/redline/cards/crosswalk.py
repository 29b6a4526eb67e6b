"""The governance crosswalk: NIST AI RMF 1.0 subcategories, NIST AI 600-1 risks
and EU AI Act items, each evidenced, partial or missing.

Ids and titles come from the spec catalogues (``redline/spec/catalogues``,
checked against the shared reference catalogues); which evidence each item
needs is data, in ``cards/crosswalk.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Literal

import yaml
from pydantic import BaseModel

from redline.cards.figures import Figure
from redline.data.taxonomy import category_label
from redline.spec import SpecCheck, load_catalogue

Status = Literal["evidenced", "partial", "missing"]
CROSSWALK_FRAMEWORKS = ("nist_ai_rmf", "nist_ai_600_1", "eu_ai_act")
NOT_MAPPED = "redline produces no evidence for this item"


class CrosswalkItem(BaseModel):
    """One governance item: evidenced, partial or missing, with what shows it and what lacks."""

    framework: str
    framework_title: str
    id: str
    title: str
    status: Status
    evidence: list[str]
    lacking: list[str]


@dataclass
class EvidenceSet:
    """What a card has to show: run ids, measured metrics, given facts, and more."""

    runs: Sequence[str]
    metrics: Mapping[str, Sequence[Figure]]
    facts: set[str]
    scorers_measured: bool
    ablation: str | None = None
    spec: SpecCheck | None = None
    _category_runs: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for figure in self.metrics.get("attack_success_by_category", ()):
            self._category_runs.setdefault(figure.group, []).append(figure.source)

    def cite(self, key: str) -> str | None:
        """How the card evidences ``key`` (see crosswalk.yaml), or None when it does not."""
        kind, _, name = key.partition(":")
        if kind == "runs":
            return f"runs {', '.join(self.runs)}" if self.runs else None
        if kind == "metric":
            figures = self.metrics.get(name, ())
            return f"{name} measured in {_sources(figures)}" if figures else None
        if kind == "category":
            label = category_label(name)
            runs = self._category_runs.get(label)
            return f"attack success on {label} in {', '.join(sorted(set(runs)))}" if runs else None
        if kind == "facts":
            given = [f for f in name.split("|") if f in self.facts]
            return f"facts: {given[0]}" if given else None
        if kind == "scorer_agreement":
            return (
                "every scorer's agreement with human labels measured"
                if self.scorers_measured
                else None
            )
        if kind == "ablation":
            return f"ablation study {self.ablation}" if self.ablation else None
        if kind == "spec":
            return (
                f"spec {self.spec.spec} checked on {', '.join(self.spec.runs)}"
                if self.spec
                else None
            )
        raise ValueError(f"crosswalk.yaml: unknown evidence key {key!r}")


def _sources(figures: Iterable[Figure]) -> str:
    return ", ".join(sorted({f.source for f in figures}))


class _CrosswalkFile(BaseModel):
    frameworks: dict[str, dict[str, list[str]]]
    shown: dict[str, list[str]]


@cache
def crosswalk_map() -> _CrosswalkFile:
    """The shipped evidence map (``cards/crosswalk.yaml``)."""
    text = files("redline.cards").joinpath("crosswalk.yaml").read_text("utf-8")
    return _CrosswalkFile.model_validate(yaml.safe_load(text))


def _spec_evidence(spec: SpecCheck | None, framework: str, item_id: str) -> list[tuple[str, bool]]:
    """(citation, passed) for each spec requirement that cites the item."""
    if spec is None:
        return []
    catalogue = load_catalogue(framework)
    found = []
    for result in spec.results:
        for ident in result.sources.get(framework, []):
            item = catalogue.find(ident)
            if item is not None and item.id == item_id:
                found.append(
                    (
                        f"spec requirement {result.id}: {result.verdict} on {', '.join(spec.runs)}",
                        result.verdict == "pass",
                    )
                )
    return found


def _status(have: int, lacking: int) -> Status:
    if have and not lacking:
        return "evidenced"
    return "partial" if have else "missing"


def build_crosswalk(evidence: EvidenceSet) -> list[CrosswalkItem]:
    """Every item of the three frameworks (the EU AI Act's shown subset), with its status."""
    mapping = crosswalk_map()
    items = []
    for framework in CROSSWALK_FRAMEWORKS:
        catalogue = load_catalogue(framework)
        needs = mapping.frameworks.get(framework, {})
        shown = mapping.shown.get(framework)
        for item in catalogue.items:
            if shown is not None and item.id not in shown:
                continue
            cited: list[str] = []
            lacking: list[str] = []
            for key in needs.get(item.id, []):
                citation = evidence.cite(key)
                (cited if citation else lacking).append(citation or key)
            spec = _spec_evidence(evidence.spec, framework, item.id)
            cited += [text for text, _ in spec]
            lacking += [f"{text} (not passed)" for text, passed in spec if not passed]
            if not needs.get(item.id) and not spec:
                lacking = [NOT_MAPPED]
            status = _status(len(cited), len(lacking))
            items.append(
                CrosswalkItem(
                    framework=framework,
                    framework_title=f"{catalogue.title} {catalogue.version}",
                    id=item.id,
                    title=item.title,
                    status=status,
                    evidence=cited,
                    lacking=lacking,
                )
            )
    return items
