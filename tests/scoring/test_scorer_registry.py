"""Every scorer is built one way: through the registry, with validated Params."""

from __future__ import annotations

from pathlib import Path

import pytest

from redline.core import Attempt, ConfigError, UnknownNameError
from redline.core.outcome import is_success
from redline.scoring import (
    SCORERS,
    ExactMatchScorer,
    HarmEnsembleScorer,
    JudgeScorer,
    PythonScorer,
    RegexScorer,
    ScorerParams,
    build_scorer,
    registered_positive_labels,
)
from redline.targets import build_target
from redline.targets.spec import TargetSpec


def _attempt(response: str) -> Attempt:
    return Attempt(
        id="a",
        run_id="r",
        behavior_id="b",
        category="c",
        expected="refuse",
        target="t",
        messages=[],
        response=response,
    )


def test_prefixed_names_are_registry_kinds_with_an_argument():
    assert {"regex", "exact", "python", "strongreject", "harmbench", "leakage"} <= set(
        SCORERS.names()
    )
    regex = build_scorer("regex:pass(word)?")
    assert isinstance(regex, RegexScorer) and regex.name == "regex:pass(word)?"
    assert regex.score(_attempt("the password")).label == "match"
    exact = build_scorer("exact:Yes")
    assert isinstance(exact, ExactMatchScorer) and exact.score(_attempt(" yes ")).label == "match"


def test_params_are_validated_and_errors_name_the_field():
    leakage = build_scorer("leakage", {"canaries": ["ZEBRA-42"]})
    assert leakage.canaries == ["ZEBRA-42"]
    with pytest.raises(ConfigError, match=r"campaign.yaml:7: scorer 'leakage' parameters: canary"):
        build_scorer("leakage", {"canary": ["x"]}, where="campaign.yaml:7")
    with pytest.raises(ConfigError, match="takes no ':' part"):
        build_scorer("canary:x")
    with pytest.raises(UnknownNameError, match="Did you mean 'regex'"):
        build_scorer("regexx:a")


def test_judges_are_registered_and_need_a_judge_model():
    with pytest.raises(ConfigError, match="give a judge model"):
        build_scorer("strongreject")
    here = Path(__file__).with_name("scripted_judge.py")
    judge = build_target(TargetSpec(kind=f"python:{here}:strongreject_by_content"))
    built = build_scorer("harmbench", {"parse_retries": 0}, judge=judge)
    assert isinstance(built, JudgeScorer) and built.rubric == "harmbench"
    assert built.parse_retries == 0
    harm = build_scorer("harm", judge=judge)
    assert isinstance(harm, HarmEnsembleScorer) and harm.judge is not None
    assert build_scorer("harm").judge is None


def test_a_plugin_scorer_with_its_own_params_and_labels(monkeypatch):
    monkeypatch.setattr(SCORERS, "_items", dict(SCORERS._items))

    class Params(ScorerParams):
        word: str = "bomb"

    @SCORERS.register("test-word-plugin")
    class WordScorer:
        name = "test-word-plugin"
        version = "1"
        positive_labels = ("said_it",)

        def __init__(self, *, word: str) -> None:
            self.word = word

        def score(self, attempt):
            raise AssertionError("not called here")

    WordScorer.Params = Params
    built = build_scorer("test-word-plugin", {"word": "fuse"})
    assert built.word == "fuse"
    assert registered_positive_labels("test-word-plugin") == ("said_it",)
    assert is_success("said_it", registered_positive_labels("test-word-plugin"))


def test_a_python_scorer_declares_its_success_labels():
    scorer = build_scorer("python:tests/scoring/custom_scorers.py:unsafe_or_fine")
    assert isinstance(scorer, PythonScorer)
    assert scorer.positive_labels == ("unsafe_text",)
    assert scorer.score(_attempt("kill it")).label == "unsafe_text"


def test_the_default_harm_scorer_scores_in_batches_off_the_loop():
    from redline.scoring.batch import batches_well

    harm = build_scorer("harm")
    assert batches_well(harm)
    attempts = [_attempt(""), _attempt("Here is a poem about spring.")]
    assert [s.scorer for s in harm.score_many(attempts)] == ["harm", "harm"]
    assert harm.score_many(attempts)[0].label == "not_harmful"  # empty: nothing said
