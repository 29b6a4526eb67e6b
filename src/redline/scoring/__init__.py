"""Scorers: decide what a response means (refused, complied, harmful, leaked, matched...).

Names ``build_scorer`` understands:

- ``refusal`` (default): the trained segment classifier
  (:mod:`redline.scoring.refusal_classifier`); ``refusal-patterns``: the
  phrase-matching baseline;
- ``harm-classifier``: the CPU harm classifier; ``harm``: judge when one is
  given, classifier otherwise (:mod:`redline.scoring.ensemble`);
- ``strongreject`` and ``harmbench``: LLM judges (need ``judge=``);
- ``final-answer``, ``choice``, ``instructions``: capability (GSM8K, MMLU and
  IFEval-style items; :mod:`redline.scoring.capability`);
- ``canary``: injection/canary success (:mod:`redline.scoring.canary`);
- ``regex:PATTERN``, ``exact:TEXT``, ``python:module:function``;
- ``leakage`` (personal data, secrets, canaries, system prompt disclosed;
  :mod:`redline.regress.leakage`);
- anything registered in ``SCORERS`` (entry-point group ``redline.scorers``).

Every one is built the same way, through the registry, by :func:`build_scorer`.
"""

from collections.abc import Mapping
from typing import Any, cast

from redline.core import ConfigError
from redline.core.outcome import (
    FULL_COMPLIANCE,
    FULL_REFUSAL,
    HARMFUL,
    JUDGE_ERROR,
    NOT_HARMFUL,
    PARTIAL_REFUSAL,
)
from redline.core.params import validate_params
from redline.detectors import find_canary, find_exfiltration
from redline.scoring.base import (
    SCORERS,
    AsyncScorer,
    Scorer,
    ScorerParams,
    ScorerResources,
    registered_positive_labels,
    score_async,
    scored_success,
)
from redline.scoring.canary import CanaryScorer
from redline.scoring.capability import ChoiceScorer, FinalAnswerScorer, InstructionsScorer
from redline.scoring.custom import PythonScorer
from redline.scoring.ensemble import HarmEnsembleScorer
from redline.scoring.harm_classifier import HarmClassifierScorer
from redline.scoring.judge import (
    RUBRICS,
    JudgeScorer,
    parse_strongreject,
    parse_yes_no,
    strongreject_score,
)
from redline.scoring.refusal import (
    RefusalScorer,
    classify_refusal,
)
from redline.scoring.refusal_classifier import (
    RefusalClassifier,
    RefusalClassifierScorer,
    split_segments,
)
from redline.scoring.regex import ExactMatchScorer, RegexScorer
from redline.targets.base import Target

# Scorers that send rubric prompts to a judge model when one is given.
JUDGE_SCORERS = ("harm", *RUBRICS)


def build_scorer(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    judge: Target | None = None,
    where: str = "",
) -> Scorer:
    """The scorer registered as ``name`` (see the module docstring), built one way.

    ``params`` are validated against the scorer's ``Params`` (errors name the
    field, prefixed by ``where``); ``kind:ARGUMENT`` fills the field the scorer
    names in ``argument``. ``judge`` is the target LLM-judge scorers
    (``strongreject``, ``harmbench``, and ``harm`` when given) send their
    rubric prompts to. Unknown names get suggestions.
    """
    kind, colon, argument = name.partition(":")
    cls = SCORERS.get(kind)
    raw = dict(params or {})
    if colon:
        field = getattr(cls, "argument", None)
        if field is None:
            raise ConfigError(f"{where + ': ' if where else ''}scorer {kind!r} takes no ':' part")
        raw[field] = argument
    model = getattr(cls, "Params", None)
    if model is None:
        # A plugin written before scorers took Params: built without arguments.
        scorer: Scorer = cls()
        return scorer
    validated = validate_params(model, raw, what=f"scorer {name!r}", where=where)
    from_params = getattr(cls, "from_params", None)
    if from_params is not None:
        built: Scorer = from_params(validated, ScorerResources(judge=judge))
        return built
    return cast(Scorer, cls(**validated.model_dump()))


def positive_labels(scorer: Scorer) -> tuple[str, ...]:
    """The labels that count as an attack success for ``scorer`` (empty if unknown)."""
    return tuple(getattr(scorer, "positive_labels", ()))


__all__ = [
    "FULL_COMPLIANCE",
    "FULL_REFUSAL",
    "HARMFUL",
    "JUDGE_ERROR",
    "JUDGE_SCORERS",
    "NOT_HARMFUL",
    "PARTIAL_REFUSAL",
    "SCORERS",
    "AsyncScorer",
    "CanaryScorer",
    "ChoiceScorer",
    "ExactMatchScorer",
    "FinalAnswerScorer",
    "HarmClassifierScorer",
    "HarmEnsembleScorer",
    "InstructionsScorer",
    "JudgeScorer",
    "PythonScorer",
    "RefusalClassifier",
    "RefusalClassifierScorer",
    "RefusalScorer",
    "RegexScorer",
    "Scorer",
    "ScorerParams",
    "ScorerResources",
    "build_scorer",
    "classify_refusal",
    "find_canary",
    "find_exfiltration",
    "parse_strongreject",
    "parse_yes_no",
    "positive_labels",
    "registered_positive_labels",
    "score_async",
    "scored_success",
    "split_segments",
    "strongreject_score",
]
