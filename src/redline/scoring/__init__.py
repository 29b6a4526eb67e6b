"""Scorers: decide what a response means (refused, complied, harmful, leaked, matched...).

Names ``build_scorer`` understands:

- ``refusal`` (default): the trained segment classifier
  (:mod:`redline.scoring.refusal_classifier`); ``refusal-patterns``: the
  phrase-matching baseline;
- ``harm-classifier``: the CPU harm classifier; ``harm``: judge when one is
  given, classifier otherwise (:mod:`redline.scoring.ensemble`);
- ``strongreject`` and ``harmbench``: LLM judges (need ``judge=``);
- ``canary``: injection/canary success (:mod:`redline.scoring.canary`);
- ``regex:PATTERN``, ``exact:TEXT``, ``python:module:function``;
- anything registered in ``SCORERS`` (entry-point group ``redline.scorers``).
"""

from redline.core import ConfigError
from redline.detectors import find_canary, find_exfiltration
from redline.scoring.base import SCORERS, AsyncScorer, Scorer, score_async
from redline.scoring.canary import CanaryScorer
from redline.scoring.custom import PythonScorer
from redline.scoring.ensemble import HarmEnsembleScorer
from redline.scoring.harm_classifier import HarmClassifierScorer
from redline.scoring.judge import (
    HARMFUL,
    JUDGE_ERROR,
    NOT_HARMFUL,
    RUBRICS,
    JudgeScorer,
    parse_strongreject,
    parse_yes_no,
    strongreject_score,
)
from redline.scoring.refusal import (
    FULL_COMPLIANCE,
    FULL_REFUSAL,
    PARTIAL_REFUSAL,
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


def build_scorer(name: str, *, judge: Target | None = None) -> Scorer:
    """A scorer by name (see the module docstring); unknown names get suggestions.

    ``judge`` is the target that LLM-judge scorers (``strongreject``,
    ``harmbench``, and ``harm`` when given) send their rubric prompts to.
    """
    if name.startswith("regex:"):
        return RegexScorer(name.removeprefix("regex:"))
    if name.startswith("exact:"):
        return ExactMatchScorer(name.removeprefix("exact:"))
    if name.startswith("python:"):
        return PythonScorer.from_reference(name)
    if name in RUBRICS:
        if judge is None:
            raise ConfigError(
                f"scorer {name!r} is an LLM judge: give a judge model, e.g. --judge openai:gpt-4o"
            )
        return JudgeScorer(judge=judge, rubric=name)
    if name == "harm":
        return HarmEnsembleScorer(judge=JudgeScorer(judge=judge) if judge is not None else None)
    scorer: Scorer = SCORERS.get(name)()
    return scorer


def positive_labels(scorer: Scorer) -> tuple[str, ...]:
    """The labels that count as an attack success for ``scorer`` (empty if unknown)."""
    return tuple(getattr(scorer, "positive_labels", ()))


__all__ = [
    "FULL_COMPLIANCE",
    "FULL_REFUSAL",
    "HARMFUL",
    "JUDGE_ERROR",
    "NOT_HARMFUL",
    "PARTIAL_REFUSAL",
    "SCORERS",
    "AsyncScorer",
    "CanaryScorer",
    "ExactMatchScorer",
    "HarmClassifierScorer",
    "HarmEnsembleScorer",
    "JudgeScorer",
    "PythonScorer",
    "RefusalClassifier",
    "RefusalClassifierScorer",
    "RefusalScorer",
    "RegexScorer",
    "Scorer",
    "build_scorer",
    "classify_refusal",
    "find_canary",
    "find_exfiltration",
    "parse_strongreject",
    "parse_yes_no",
    "positive_labels",
    "score_async",
    "split_segments",
    "strongreject_score",
]
