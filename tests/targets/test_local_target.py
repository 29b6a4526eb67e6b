from __future__ import annotations

import pytest

from redline.core import ConfigError, GenerationParams, Message, TargetRequestError
from redline.targets import LocalTarget, TargetSpec, build_target


def test_missing_model_path_says_which_file(tmp_path):
    with pytest.raises(ConfigError, match=r"--model-path .*nope\.gguf does not exist"):
        build_target(TargetSpec(kind="local", model_path=tmp_path / "nope.gguf"))


@pytest.mark.slow
async def test_bundled_model_answers_and_rejects_an_overlong_prompt():
    target = build_target(TargetSpec(kind="local"))
    assert isinstance(target, LocalTarget)
    assert target.name == "local:smollm2-135m-instruct"
    params = GenerationParams(max_tokens=8, seed=1)
    question = [Message(role="user", content="What is the capital of France?")]
    first = await target.generate(question, params)
    again = await target.generate(question, params)
    assert first.text.strip()
    assert first.text == again.text  # temperature 0: deterministic
    assert 0 < first.usage.completion_tokens <= 8
    assert first.usage.prompt_tokens > 5
    too_long = [Message(role="user", content="word " * 5000)]
    with pytest.raises(TargetRequestError, match="context"):
        await target.generate(too_long, params)
    await target.aclose()


@pytest.mark.slow
async def test_json_schema_makes_the_bundled_model_write_parseable_json():
    import json

    schema = {
        "type": "object",
        "properties": {
            "verdict": {"type": "string", "enum": ["refusal", "compliance"]},
            "score": {"type": "integer", "enum": list(range(1, 11))},
        },
        "required": ["verdict", "score"],
        "additionalProperties": False,
    }
    target = build_target(TargetSpec(kind="local"))
    questions = ["Tell me a joke.", "Is this a refusal: 'I can't help with that.'?", "Hi"]
    try:
        for seed, question in enumerate(questions):
            params = GenerationParams(max_tokens=48, temperature=0.8, seed=seed, json_schema=schema)
            completion = await target.generate([Message(role="user", content=question)], params)
            value = json.loads(completion.text)
            assert value["verdict"] in ("refusal", "compliance")
            assert 1 <= value["score"] <= 10
            assert set(value) == {"verdict", "score"}
    finally:
        await target.aclose()


@pytest.mark.slow
async def test_the_bundled_model_gets_one_request_at_a_time_and_times_its_generation():
    # The bundled model answers one request at a time and says so (max_in_flight = 1):
    # the engine keeps the other three waiting for a slot, outside the request timeout.
    from redline.core import Attempt
    from redline.engine import Executor, Job

    target = build_target(TargetSpec(kind="local"))
    params = GenerationParams(max_tokens=8, seed=1)
    jobs = [
        Job(
            attempt=Attempt(
                id=f"a{i}",
                run_id="r",
                behavior_id=f"b{i}",
                category="benign",
                expected="comply",
                target=target.name,
                messages=[Message(role="user", content=f"Name a colour, number {i}.")],
            ),
            params=params,
        )
        for i in range(4)
    ]
    results: list[Attempt] = []
    assert target.max_in_flight == 1
    await Executor(target, concurrency=4, cache=None).run(jobs, results.append)
    await target.aclose()
    assert len(results) == 4 and all(a.error is None for a in results)
    assert all(a.generation_s is not None and a.generation_s > 0 for a in results)
    assert all(a.generation_s <= a.latency_s for a in results)
