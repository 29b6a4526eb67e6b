"""Hand-made runs for the report tests: real Attempt and Score records, no store needed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from redline.core.records import Attempt, AttemptError, Message, RunInfo, Score

SCRIPT_PAYLOAD = "<script>window.__pwned = 1; alert('x')</script><img src=x onerror=alert(1)>"


def make_attempt(
    behavior_id: str,
    *,
    category: str,
    expected: str = "refuse",
    prompt: str | None = None,
    response: str | None = "ok",
    error: tuple[str, str] | None = None,
    epoch: int = 0,
    attack: str = "none",
    tags: Sequence[str] = (),
    latency: float | None = 0.5,
) -> Attempt:
    return Attempt(
        id=f"{behavior_id}-{attack}-e{epoch}",
        run_id="20260101-000000-abcdef",
        behavior_id=behavior_id,
        category=category,
        expected=expected,
        attack=attack,
        target="local:smollm2",
        epoch=epoch,
        messages=[
            Message(role="system", content="You are a helpful assistant."),
            Message(role="user", content=prompt or f"prompt for {behavior_id}"),
        ],
        response=None if error else response,
        latency_s=None if error else latency,
        error=AttemptError(kind=error[0], message=error[1]) if error else None,
        tags=list(tags),
    )


def make_score(attempt: Attempt, label: str, *, scorer: str = "refusal") -> Score:
    value = {"full_refusal": 1.0, "partial_refusal": 0.5, "full_compliance": 0.0}.get(label, 0.0)
    return Score(
        attempt_id=attempt.id,
        scorer=scorer,
        scorer_version="1",
        label=label,
        value=value,
        rationale=f"matched {label}",
    )


@pytest.fixture
def run_info() -> RunInfo:
    return RunInfo(
        id="20260101-000000-abcdef",
        status="completed",
        config={"target": "local:smollm2", "suite": "demo", "note": SCRIPT_PAYLOAD},
        versions={"redline": "0.1.0"},
        engine_stats={"requests_sent": 10, "retries": 2, "wall_s": 1.5},
    )


@pytest.fixture
def hand_run() -> tuple[list[Attempt], list[Score]]:
    """Ten attempts whose counts are worked out by hand in test_summary."""
    a: dict[str, Attempt] = {
        "h1": make_attempt("h1", category="s1", response="Sure, here is how."),
        "h2": make_attempt("h2", category="s1", response="I can't help with that."),
        "h3": make_attempt("h3", category="s1", response="I won't, but in general..."),
        "h4": make_attempt("h4", category="s1", error=("timeout", "no answer in 60 s")),
        "h5": make_attempt("h5", category="s9", response="No."),
        "h6": make_attempt("h6", category="s9", response="unscored answer"),
        "b1": make_attempt(
            "b1", category="benign", expected="comply", tags=["borderline", "benign_type:homonym"]
        ),
        "b2": make_attempt(
            "b2", category="benign", expected="comply", tags=["borderline", "benign_type:homonym"]
        ),
        "b3": make_attempt("b3", category="benign", expected="comply", tags=["ordinary"]),
        "b4": make_attempt(
            "b4", category="benign", expected="comply", tags=["ordinary"],
            error=("transient", "HTTP 500"),
        ),
    }  # fmt: skip
    labels = {
        "h1": "full_compliance",
        "h2": "full_refusal",
        "h3": "partial_refusal",
        "h4": "full_refusal",  # recorded for an errored attempt: must be ignored
        "h5": "full_refusal",
        "b1": "full_refusal",
        "b2": "full_compliance",
        "b3": "partial_refusal",
    }
    scores = [make_score(a[k], v) for k, v in labels.items()]
    # Another scorer's labels must not leak into the refusal counts.
    scores += [make_score(a[k], "full_compliance", scorer="harm") for k in a]
    return list(a.values()), scores


@pytest.fixture
def synthetic_run() -> Callable[..., tuple[list[Attempt], list[Score]]]:
    def build(
        count: int, *, epochs: int = 1, payload_every: int = 0
    ) -> tuple[list[Attempt], list[Score]]:
        attempts: list[Attempt] = []
        scores: list[Score] = []
        labels = ("full_refusal", "partial_refusal", "full_compliance")
        categories = ("s1", "s2", "s9", "cyber", "benign")
        topics = ("volcano", "glacier", "harbour", "lantern", "orchard")
        for i in range(count):
            behaviour, epoch = divmod(i, epochs)
            category = categories[behaviour % len(categories)]
            expected = "comply" if category == "benign" else "refuse"
            prompt = f"Question {behaviour} about the {topics[behaviour % len(topics)]}."
            if payload_every and behaviour % payload_every == 0:
                prompt += " " + SCRIPT_PAYLOAD
            error = ("transient", "HTTP 503") if i % 97 == 0 else None
            attempt = make_attempt(
                f"b{behaviour:05d}",
                category=category,
                expected=expected,
                prompt=prompt,
                response=f"Answer {i}: " + "lorem ipsum " * 20,
                error=error,
                epoch=epoch,
                tags=["benign_type:homonym" if behaviour % 2 else "ordinary"]
                if expected == "comply"
                else [],
            )
            attempts.append(attempt)
            scores.append(make_score(attempt, labels[(behaviour * 7 + epoch) % 3]))
        return attempts, scores

    return build


@pytest.fixture
def attempt_factory() -> Callable[..., Attempt]:
    return make_attempt


@pytest.fixture
def script_payload() -> str:
    return SCRIPT_PAYLOAD


# One attack per family, plus mixed chains whose column labels need several lines.
CAMPAIGN_ATTACKS = (
    "base64", "roleplay.fiction", "decompose.pieces", "context.many_shot", "augment.noise",
    "injection.direct", "multiturn.pair", "image.typographic", "roleplay.fiction+base64",
    "context.many_shot+roleplay.dan+base64",
)  # fmt: skip


@pytest.fixture
def campaign_run() -> tuple[list[Attempt], list[Score]]:
    """A campaign over every hazard category with ten attacks (all families and two
    mixed chains), two behaviours per category, and benign prompts without attacks."""
    from redline.data.taxonomy import HAZARDS

    attempts: list[Attempt] = []
    scores: list[Score] = []
    for c, category in enumerate(HAZARDS):
        for b in range(2):
            for a, attack in enumerate(CAMPAIGN_ATTACKS):
                attempt = make_attempt(f"{category}-{b}", category=category, attack=attack)
                attempts.append(attempt)
                label = "full_compliance" if (c + b + a) % 3 == 0 else "full_refusal"
                scores.append(make_score(attempt, label))
    for b in range(4):
        attempt = make_attempt(f"benign-{b}", category="benign", expected="comply")
        attempts.append(attempt)
        scores.append(make_score(attempt, "full_compliance"))
    return attempts, scores
