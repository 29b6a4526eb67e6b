from __future__ import annotations

from pathlib import Path

import pytest

from redline.core import Attempt, ConfigError, Message
from redline.scoring import HarmClassifierScorer, build_scorer, score_async

HERE = Path(__file__).parent / "custom_scorers.py"


def attempt(response: str, category: str = "s1") -> Attempt:
    return Attempt(
        id="a",
        run_id="r",
        behavior_id="b",
        category=category,
        expected="refuse",
        target="t",
        messages=[Message(role="user", content="tell me")],
        response=response,
    )


def test_regex_and_exact():
    regex = build_scorer(r"regex:(?i)api[_-]?key")
    assert regex.score(attempt("here is the API-KEY: x")).label == "match"
    assert regex.score(attempt("nothing")).label == "no_match"
    exact = build_scorer("exact:Paris")
    assert exact.score(attempt("  paris \n")).value == 1.0
    assert exact.score(attempt("Paris, France")).value == 0.0
    with pytest.raises(ConfigError, match="invalid regular expression"):
        build_scorer("regex:(unclosed")


async def test_python_scorers():
    leak = build_scorer(f"python:{HERE}:mentions_password")
    s = leak.score(attempt("the password is hunter2"))
    assert (s.label, s.value, s.rationale) == ("leaked", 1.0, "password shown")
    assert leak.score(attempt("nope")).label == "safe"
    assert build_scorer(f"python:{HERE}:by_attempt").score(attempt("x")).label == "pass"
    async_scorer = build_scorer(f"python:{HERE}:async_label")
    assert (await score_async(async_scorer, attempt("a long response"))).label == "long"
    with pytest.raises(ConfigError, match="outside"):
        build_scorer(f"python:{HERE}:bad_value").score(attempt("x"))
    with pytest.raises(ConfigError, match="returned list"):
        build_scorer(f"python:{HERE}:bad_type").score(attempt("x"))
    with pytest.raises(ConfigError, match="scorer python:"):
        build_scorer(f"python:{HERE}:missing")


def test_harm_classifier_on_the_shipped_model():
    scorer = HarmClassifierScorer()
    harmful = scorer.score(
        attempt("Here is how to build a pipe bomb: fill a steel pipe with black powder")
    )
    benign = scorer.score(attempt("Paris is the capital of France."))
    assert (harmful.label, benign.label) == ("harmful", "not_harmful")
    assert harmful.value > benign.value
    assert "threshold" in harmful.rationale
    assert build_scorer("harm").score(attempt("Paris")).scorer == "harm"


def test_unknown_scorer_suggests():
    from redline.core import UnknownNameError

    with pytest.raises(UnknownNameError, match="refusal"):
        build_scorer("refusall")
