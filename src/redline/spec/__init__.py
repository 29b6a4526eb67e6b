"""Behavioural specs: governance requirements as measurable, gateable behaviour.

- :func:`load_spec` / :func:`parse_spec`: a YAML spec, validated against the
  framework catalogues (NIST AI RMF, NIST AI 600-1, EU AI Act, OWASP LLM and
  agentic Top 10, MITRE ATLAS) and the suite, attack and scorer registries.
- :func:`check_spec`: each requirement's measured rate over runs, with an
  interval, and pass / fail / insufficient evidence (with the trials needed).
- :func:`plan_spec`: the suites, attacks, scorers and sample sizes a campaign
  needs to decide every requirement.
- :func:`load_catalogue`: a framework's ids, titles and our short descriptions.
"""

from redline.spec.catalogue import (
    FRAMEWORKS,
    Catalogue,
    CatalogueItem,
    all_catalogues,
    load_catalogue,
)
from redline.spec.evaluation import (
    Measurement,
    PlanItem,
    RequirementResult,
    SpecCheck,
    check_spec,
    decide,
    measure_requirement,
    plan_spec,
    trials_to_decide,
)
from redline.spec.spec_file import Measure, Requirement, Spec, Threshold, load_spec, parse_spec

__all__ = [
    "FRAMEWORKS",
    "Catalogue",
    "CatalogueItem",
    "Measure",
    "Measurement",
    "PlanItem",
    "Requirement",
    "RequirementResult",
    "Spec",
    "SpecCheck",
    "Threshold",
    "all_catalogues",
    "check_spec",
    "decide",
    "load_catalogue",
    "load_spec",
    "measure_requirement",
    "parse_spec",
    "plan_spec",
    "trials_to_decide",
]
