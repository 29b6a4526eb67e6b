"""The attack plugin contract: three declared kinds, open families with a deciding scorer."""

from __future__ import annotations

import random
from typing import ClassVar

import pytest

from redline.attacks import (
    ATTACKS,
    FAMILIES,
    AttackParams,
    CaseGenerator,
    ConversationDriver,
    ConvertedPrompt,
    Converter,
    SingleTurnAttack,
    build_attack,
    declare_family,
    success_scorer_for,
)
from redline.core import ConfigError
from redline.run import Campaign, dry_run


def test_every_built_in_attack_is_exactly_one_kind():
    for name in ATTACKS.names():
        if name == "roleplay.template":  # needs a template path to build
            continue
        attack = build_attack(name)
        kinds = [k for k in (Converter, ConversationDriver, CaseGenerator) if isinstance(attack, k)]
        if callable(getattr(attack, "aconvert", None)):
            kinds.append("async converter")
        assert len(kinds) == 1, (name, kinds)


def test_families_come_from_the_data_file_with_their_deciding_scorer():
    assert {"encoding", "roleplay", "injection", "multiturn"} <= set(FAMILIES)
    assert FAMILIES.get("injection").success_scorer == "canary"
    assert success_scorer_for("injection.rag") == "canary"
    assert success_scorer_for("base64+roleplay.fiction") == "refusal"
    assert success_scorer_for("none") is None
    assert success_scorer_for("an.uninstalled.plugin") is None


def test_a_plugin_declares_its_own_family_and_attack(monkeypatch):
    # Registries are process-wide: work on copies so other tests never see the plugin.
    monkeypatch.setattr(ATTACKS, "_items", dict(ATTACKS._items))
    monkeypatch.setattr(FAMILIES, "_items", dict(FAMILIES._items))

    class ShoutParams(AttackParams):
        times: int = 1

    class Shout(SingleTurnAttack):
        name: ClassVar[str] = "test.shout"
        family: ClassVar[str] = "test-volume"
        description: ClassVar[str] = "says it louder"
        Params = ShoutParams

        def convert(self, prompt: str, *, rng: random.Random) -> ConvertedPrompt:
            return ConvertedPrompt(text=prompt.upper() * self.params.times)

    ATTACKS.register("test.shout")(Shout)
    with pytest.raises(ConfigError, match="family 'test-volume', which is not declared"):
        build_attack("test.shout")
    declare_family("test-volume", description="louder prompts", success_scorer="harm")
    attack = build_attack("test.shout", {"times": 2})
    assert isinstance(attack, Converter)
    assert attack.convert("hi", rng=random.Random(0)).text == "HIHI"
    assert success_scorer_for("test.shout") == "harm"
    with pytest.raises(ConfigError, match=r"attack 'test\.shout' parameters: times"):
        build_attack("test.shout", {"times": "many"})


def test_injection_honours_the_campaign_limit():
    # `--limit 4` used to be ignored by injection attacks (165 requests planned).
    campaign = Campaign.model_validate(
        {"suites": ["demo"], "attacks": ["injection.direct"], "limit": 4}
    )
    assert dry_run(campaign).requests == 4
    unlimited = Campaign.model_validate({"suites": ["demo"], "attacks": ["injection.direct"]})
    assert dry_run(unlimited).requests > 4


def test_a_limited_injection_still_tries_every_goal_kind():
    attack = build_attack("injection.rag")
    every = attack.cases(seed=0)
    kinds = {case.params["goal"] for case in every}
    few = attack.cases(seed=0, limit=len(kinds) * 2)
    assert len(few) == len(kinds) * 2
    assert {case.params["goal"] for case in few} == kinds
    assert attack.cases(seed=0, limit=10_000) == every
