"""Attack chains: order, composition errors, names, parameters."""

from __future__ import annotations

import base64
import codecs
import random

import pytest

from redline.attacks.compose import AttackSpec, build_chain, build_chains, parse_attack_option
from redline.core import ConfigError, UnknownNameError


def apply(chain: str, prompt: str = "hello world", seed: int = 0, **spec):
    built = build_chain(AttackSpec(chain=chain, **spec))
    return built.apply(prompt, rng=random.Random(seed))


def test_chain_applies_left_to_right():
    encoded = apply(
        "base64+rot13", params={"base64": {"instruction": False}, "rot13": {"instruction": False}}
    )
    assert base64.b64decode(codecs.decode(encoded.text, "rot13")).decode() == "hello world"
    swapped = apply(
        "rot13+base64", params={"base64": {"instruction": False}, "rot13": {"instruction": False}}
    )
    assert codecs.decode(base64.b64decode(swapped.text).decode(), "rot13") == "hello world"
    assert encoded.params["chosen"] == [{}, {}]


def test_none_is_the_plain_prompt():
    chain = build_chain("none")
    assert chain.label == "none" and chain.family == "none" and chain.config_params() == {}
    assert chain.apply("hi", rng=random.Random(0)).text == "hi"
    with pytest.raises(ConfigError, match="'none' cannot be part of a chain"):
        build_chain("none+base64")


def test_conversation_converter_must_come_last():
    assert build_chain("base64+context.many_shot").label == "base64+context.many_shot"
    with pytest.raises(ConfigError, match=r"context\.many_shot produces a whole conversation"):
        build_chain("context.many_shot+base64")
    # The same converter in its text form composes.
    spec = AttackSpec(
        chain="context.many_shot+base64", params={"context.many_shot": {"format": "inline"}}
    )
    assert build_chain(spec).apply("q", rng=random.Random(0)).text
    with pytest.raises(ConfigError, match=r"context\.prefix_injection produces"):
        build_chain(
            AttackSpec(
                chain="context.prefix_injection+rot13",
                params={"context.prefix_injection": {"mode": "prefill"}},
            )
        )


def test_multiturn_attacks_cannot_be_chained():
    with pytest.raises(ConfigError, match="drives its own conversation"):
        build_chain("base64+multiturn.pair")


def test_unknown_name_suggests_the_closest():
    with pytest.raises(UnknownNameError, match=r"Did you mean 'base64'"):
        build_chain("base46")
    with pytest.raises(ConfigError, match=r"--attacks\[0\]: .*'roleplay\.fiction'"):
        build_chains(["roleplay.fictin"], where="--attacks")


def test_parameters_per_step_and_for_one_step_chains():
    one = build_chain(AttackSpec(chain="context.many_shot", params={"shots": 2}))
    assert one.steps[0].params.shots == 2
    two = build_chain(
        AttackSpec(chain="base64+context.many_shot", params={"context.many_shot": {"shots": 3}})
    )
    assert two.steps[1].params.shots == 3
    with pytest.raises(ConfigError, match=r"params keys \['shots'\] are not steps"):
        build_chain(AttackSpec(chain="base64+context.many_shot", params={"shots": 3}))
    with pytest.raises(ConfigError, match="shots: Input should be greater than or equal to 1"):
        build_chain(AttackSpec(chain="context.many_shot", params={"shots": 0}))
    with pytest.raises(ConfigError, match="colour: Extra inputs are not permitted"):
        build_chain(AttackSpec(chain="base64", params={"colour": "red"}))


def test_option_syntax_and_duplicates():
    assert parse_attack_option("none, base64 ,roleplay.dan+rot13") == [
        "none",
        "base64",
        "roleplay.dan+rot13",
    ]
    for bad in ("", "base64,,rot13", "base64,"):
        with pytest.raises(ConfigError, match="empty chain"):
            parse_attack_option(bad)
    with pytest.raises(ConfigError, match="empty step"):
        build_chain("base64++rot13")
    with pytest.raises(ConfigError, match="listed twice"):
        build_chains(["base64", "base64"])
    # Same chain, different parameters: two chains.
    assert (
        len(
            build_chains(
                ["context.many_shot", AttackSpec(chain="context.many_shot", params={"shots": 2})]
            )
        )
        == 2
    )


def test_best_of_n_sets_the_sample_count():
    assert (
        build_chain(AttackSpec(chain="best_of_n+base64", params={"best_of_n": {"n": 4}})).samples
        == 4
    )
    assert build_chain("base64").samples == 1
    with pytest.raises(ConfigError, match="at most one best-of-N"):
        build_chain("best_of_n+best_of_n")


def test_rng_depends_on_every_input():
    chain = build_chain("homoglyphs")
    base = dict(seed=1, behavior_id="b", epoch=0, sample=0)
    draw = chain.rng_for(**base).random()
    assert draw == chain.rng_for(**base).random()
    for key, value in (("seed", 2), ("behavior_id", "c"), ("epoch", 1), ("sample", 1)):
        assert chain.rng_for(**{**base, key: value}).random() != draw
