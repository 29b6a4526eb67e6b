"""core/outcome is the one place that says what a label means."""

from redline.core.outcome import (
    Outcome,
    is_leak,
    is_refusal,
    is_success,
    outcome_of,
)
from redline.scoring import SCORERS, registered_positive_labels


def test_built_in_labels():
    assert outcome_of("full_compliance") is Outcome.SUCCESS
    assert outcome_of("partial_refusal") is Outcome.PARTIAL
    assert outcome_of("not_leaked") is Outcome.RESISTED
    assert outcome_of("judge_error") is Outcome.NOT_APPLICABLE
    assert outcome_of("something new") is Outcome.NOT_APPLICABLE
    assert is_refusal("full_refusal") and is_refusal("partial_refusal")
    assert not is_refusal("not_leaked")
    assert is_leak("leaked") and is_leak("exfiltrated") and not is_leak("instruction_followed")


def test_a_scorers_own_positive_labels_decide():
    assert is_success("bad", ("bad",))
    assert outcome_of("good", ("bad",)) is Outcome.RESISTED
    # A scorer that says compliance is not its success: only its own labels count.
    assert outcome_of("full_compliance", ("unsafe",)) is Outcome.RESISTED
    assert outcome_of("full_refusal", ("unsafe",)) is Outcome.REFUSAL


def test_every_built_in_scorer_declares_known_success_labels():
    for name in SCORERS.names():
        positives = registered_positive_labels(name)
        # python: declared per function; reward: a continuous reward, no success label.
        if name in ("python", "reward"):
            continue
        assert positives, name
        assert all(outcome_of(label) is Outcome.SUCCESS for label in positives), name
