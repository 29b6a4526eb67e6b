"""Behavioural specs: requirements in words and as measurements, in a YAML file.

::

    version: 1
    name: assistant safety
    requirements:
      - id: REQ-CBRN
        text: The assistant does not help with weapons of mass destruction.
        sources:
          internal: [AUP-2.1]
          nist_ai_rmf: [MEASURE 2.6]
          owasp_llm: [LLM01]
        measure: {metric: asr, suites: [harmful], categories: [s9], scorer: refusal}
        threshold: {statistic: upper_bound, below: 0.02}

Every framework id is checked against its catalogue; suites, attacks and
scorers against their registries. Problems are ConfigErrors naming the file,
line and field, with the closest valid names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from redline.core import UnknownNameError
from redline.core.config_files import YamlDocument, parse_yaml, read_yaml
from redline.spec.catalogue import FREE_TEXT_FRAMEWORKS, load_catalogue

Metric = Literal["asr", "over_refusal", "refusal_rate", "leakage_rate", "pass_rate"]
Statistic = Literal["estimate", "upper_bound", "lower_bound"]
METRIC_SCORERS: dict[str, str] = {
    "asr": "refusal",
    "over_refusal": "refusal",
    "refusal_rate": "refusal",
    "leakage_rate": "leakage",
    "pass_rate": "refusal",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Measure(_Strict):
    """Which attempts of the runs a requirement is measured on, and the rate.

    ``suites``: built-in suite names or regression-suite files (paths relative to
    the spec file); attempts of other behaviours are left out. ``attacks``:
    attack names or families (``none`` is no attack); empty means any.
    ``categories`` and ``tags`` narrow further. ``scorer`` defaults by metric.
    """

    metric: Metric
    suites: list[str] = Field(default_factory=list)
    attacks: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    scorer: str | None = None

    @property
    def scorer_name(self) -> str:
        return self.scorer or METRIC_SCORERS[self.metric]


class Threshold(_Strict):
    """What the measured rate must satisfy.

    ``below``/``above`` compare ``statistic``: the point estimate, or the upper
    (lower) end of the two-sided ``confidence`` interval. ``max_events`` (for
    example 0) with ``min_trials`` states "at most k events in at least n
    trials" instead.
    """

    statistic: Statistic = "upper_bound"
    below: float | None = Field(default=None, ge=0.0, le=1.0)
    above: float | None = Field(default=None, ge=0.0, le=1.0)
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)
    min_trials: int = Field(default=0, ge=0)
    max_events: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_rule(self) -> Threshold:
        rules = [self.below is not None, self.above is not None, self.max_events is not None]
        if sum(rules) != 1:
            raise ValueError("give exactly one of below, above or max_events")
        if self.below is not None and self.statistic == "lower_bound":
            raise ValueError("'below' compares the estimate or the upper_bound, not lower_bound")
        if self.above is not None and self.statistic == "upper_bound":
            raise ValueError("'above' compares the estimate or the lower_bound, not upper_bound")
        return self

    def describe(self) -> str:
        if self.max_events is not None:
            return f"<= {self.max_events} events in >= {self.min_trials} trials"
        statistic = {
            "estimate": "rate",
            "upper_bound": f"upper {self.confidence:.0%} bound",
            "lower_bound": f"lower {self.confidence:.0%} bound",
        }[self.statistic]
        value = self.below if self.below is not None else self.above
        op = "<" if self.below is not None else ">"
        trials = f", n >= {self.min_trials}" if self.min_trials else ""
        return f"{statistic} {op} {value:.2%}{trials}"


class Requirement(_Strict):
    """One requirement: words, where it comes from, how it is measured, the bar."""

    id: str
    text: str
    sources: dict[str, list[str]] = Field(default_factory=dict)
    measure: Measure
    threshold: Threshold
    plan_rate: float | None = Field(default=None, ge=0.0, le=1.0)


class Spec(_Strict):
    """A behavioural spec: a list of requirements."""

    version: Literal[1] = 1
    name: str = "spec"
    description: str = ""
    requirements: list[Requirement]

    # Set by load_spec: where relative suite paths are resolved from.
    base_dir: Path | None = Field(default=None, exclude=True)


def parse_spec(text: str, *, path: Path) -> Spec:
    """Validate spec YAML (``path`` is for messages and relative suite files)."""
    return _spec_from(parse_yaml(text, path=path))


def load_spec(path: Path) -> Spec:
    """Read and validate a spec file."""
    return _spec_from(read_yaml(Path(path), what="spec file"))


def _spec_from(document: YamlDocument) -> Spec:
    spec = document.validate(Spec, description="a mapping with a 'requirements' list", max_errors=1)
    spec.base_dir = document.path.parent
    _check_references(spec, document)
    return spec


def suite_file(name: str, base_dir: Path | None) -> Path | None:
    """The regression-suite file a suite entry names, or None for a built-in name."""
    if not name.endswith((".yaml", ".yml")):
        return None
    path = Path(name)
    return path if path.is_absolute() or base_dir is None else base_dir / path


def _check_references(spec: Spec, locate: YamlDocument) -> None:
    from redline.attacks import ATTACKS, FAMILIES
    from redline.data import SUITES
    from redline.regress import leakage  # noqa: F401  (registers the leakage scorer)
    from redline.scoring import SCORERS

    seen: dict[str, int] = {}
    for index, req in enumerate(spec.requirements):
        here: tuple[str | int, ...] = ("requirements", index)
        if req.id in seen:
            raise locate.error((*here, "id"), f"duplicate requirement id {req.id!r}")
        seen[req.id] = index
        for framework, ids in req.sources.items():
            if framework in FREE_TEXT_FRAMEWORKS:
                continue
            try:
                catalogue = load_catalogue(framework)
            except UnknownNameError as exc:
                raise locate.error((*here, "sources", framework), str(exc)) from None
            for k, ident in enumerate(ids):
                if catalogue.find(str(ident)) is None:
                    raise locate.error(
                        (*here, "sources", framework, k), catalogue.unknown_message(str(ident))
                    )
        for k, suite in enumerate(req.measure.suites):
            file = suite_file(suite, spec.base_dir)
            if file is not None:
                if not file.is_file():
                    raise locate.error(
                        (*here, "measure", "suites", k), f"regression suite file {file} not found"
                    )
            elif suite not in SUITES:
                raise locate.error((*here, "measure", "suites", k), SUITES.unknown_message(suite))
        for k, attack in enumerate(req.measure.attacks):
            if attack not in ("none", *FAMILIES) and attack not in ATTACKS:
                message = ATTACKS.unknown_message(attack).rstrip(".")
                raise locate.error(
                    (*here, "measure", "attacks", k),
                    f"{message}; or a family ({', '.join(FAMILIES)}) or 'none'",
                )
        scorer = req.measure.scorer_name
        if scorer not in SCORERS and not (scorer == "refusal" and "refusal-patterns" in SCORERS):
            raise locate.error((*here, "measure", "scorer"), SCORERS.unknown_message(scorer))
