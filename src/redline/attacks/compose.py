"""Attack chains: ``base64+roleplay.fiction`` applies converters left to right.

Several chains are comma-separated (``none,base64,roleplay.dan+rot13``);
``none`` is the plain prompt. Text flows through the chain; a converter that
produces a whole conversation (many-shot, a real fake-system message, prefill)
must come last, and a multi-turn or injection attack stands alone.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from redline.attacks.base import (
    ATTACKS,
    AsyncConverter,
    AttackResources,
    ConvertedPrompt,
    Converter,
    build_attack,
)
from redline.core import ConfigError, UnknownNameError, content_hash

NONE = "none"


def produces_conversation(attack: Any) -> bool:
    """Whether a converter (with its parameters) returns messages, not text."""
    return bool(getattr(attack, "produces_conversation", False))


def is_converter(attack: Any) -> bool:
    return isinstance(attack, Converter | AsyncConverter)


class AttackSpec(BaseModel):
    """One chain with parameters, as written in campaign YAML.

    ``params`` maps a step name to its parameters; for a one-step chain the
    parameters may be given directly (``{chain: context.many_shot, params:
    {shots: 4}}``).
    """

    model_config = ConfigDict(extra="forbid")

    chain: str
    params: dict[str, Any] = Field(default_factory=dict)


def split_chain_names(chain: str) -> list[str]:
    names = [part.strip() for part in chain.split("+")]
    if not chain.strip() or any(not n for n in names):
        raise ConfigError(f"empty step in attack chain {chain!r} (steps are joined by '+')")
    return names


def step_params(spec: AttackSpec, names: list[str]) -> dict[str, dict[str, Any]]:
    """Parameters for each step name of the chain."""
    if not spec.params:
        return {}
    if all(key in names for key in spec.params):
        out = {}
        for key, value in spec.params.items():
            if not isinstance(value, Mapping):
                raise ConfigError(
                    f"attack chain {spec.chain!r}: params for {key!r} must be a mapping"
                )
            out[key] = dict(value)
        return out
    if len(names) == 1:
        return {names[0]: dict(spec.params)}
    unknown = [k for k in spec.params if k not in names]
    raise ConfigError(
        f"attack chain {spec.chain!r}: params keys {unknown} are not steps of the chain "
        f"(steps: {', '.join(names)})"
    )


class AttackChain:
    """Built attacks applied in order; ``label`` is what attempts store as ``attack``."""

    def __init__(self, label: str, steps: list[Any], step_config: list[dict[str, Any]]) -> None:
        self.label = label
        self.steps = steps
        self.step_config = step_config

    def __repr__(self) -> str:
        return f"AttackChain({self.label!r})"

    @property
    def family(self) -> str:
        """``none``, one family, or families joined by ``+`` for a mixed chain."""
        if not self.steps:
            return NONE
        families: list[str] = []
        for step in self.steps:
            if step.family not in families:
                families.append(step.family)
        return "+".join(families)

    @property
    def driver_attack(self) -> Any | None:
        """The multi-turn/injection attack that builds its own jobs, if this chain is one."""
        if len(self.steps) == 1 and not is_converter(self.steps[0]):
            return self.steps[0]
        return None

    @property
    def samples(self) -> int:
        """Attempts per behaviour and epoch (``n`` of best-of-N, otherwise 1)."""
        counts = [int(getattr(step, "samples", 1)) for step in self.steps]
        return max(counts, default=1)

    @property
    def needs_attacker(self) -> bool:
        return any(callable(getattr(s, "aconvert", None)) for s in self.steps) or (
            self.driver_attack is not None
        )

    def config_params(self) -> dict[str, Any]:
        """The configured parameters (no random choices): part of attempt ids."""
        if not self.steps:
            return {}
        return {"steps": self.step_config}

    def rng_for(self, *, seed: int, behavior_id: str, epoch: int, sample: int) -> random.Random:
        """The random source of one attempt: same inputs, same conversions."""
        key = content_hash(
            {
                "seed": seed,
                "behavior": behavior_id,
                "chain": self.label,
                "params": self.config_params(),
                "epoch": epoch,
                "sample": sample,
            }
        )
        return random.Random(key)

    def apply(self, prompt: str, *, rng: random.Random) -> ConvertedPrompt:
        """Run the chain on a prompt; raises ConfigError if a step needs a model."""
        text, chosen = prompt, []
        for step in self.steps:
            if not callable(getattr(step, "convert", None)):
                raise ConfigError(
                    f"attack {step.name} calls a model; run it in a campaign (it is async)"
                )
            result = step.convert(text, rng=rng)
            chosen.append(result.params)
            if result.messages is not None:
                return ConvertedPrompt(messages=result.messages, params={"chosen": chosen})
            text = result.text or ""
        return ConvertedPrompt(text=text, params={"chosen": chosen})

    async def aapply(self, prompt: str, *, rng: random.Random) -> ConvertedPrompt:
        """Run the chain on a prompt, awaiting converters that call a model."""
        text, chosen = prompt, []
        for step in self.steps:
            if callable(getattr(step, "aconvert", None)):
                result = await step.aconvert(text, rng=rng)
            else:
                result = step.convert(text, rng=rng)
            chosen.append(result.params)
            if result.messages is not None:
                return ConvertedPrompt(messages=result.messages, params={"chosen": chosen})
            text = result.text or ""
        return ConvertedPrompt(text=text, params={"chosen": chosen})


def build_chain(
    spec: AttackSpec | str,
    *,
    resources: AttackResources | None = None,
    where: str = "attacks",
) -> AttackChain:
    """Build one chain, checking names, parameters and that the steps compose."""
    spec = AttackSpec(chain=spec) if isinstance(spec, str) else spec
    names = split_chain_names(spec.chain)
    if names == [NONE]:
        if spec.params:
            raise ConfigError(f"{where}: the 'none' attack takes no parameters")
        return AttackChain(NONE, [], [])
    if NONE in names:
        raise ConfigError(f"{where}: 'none' cannot be part of a chain ({spec.chain!r})")
    for name in names:
        if name not in ATTACKS:
            raise UnknownNameError(f"{where}: {ATTACKS.unknown_message(name)}")
    params = step_params(spec, names)
    steps = [
        build_attack(name, params.get(name), resources=resources, where=where) for name in names
    ]
    for index, step in enumerate(steps):
        if not is_converter(step) and len(steps) > 1:
            raise ConfigError(
                f"{where}: {step.name} ({step.family}) drives its own conversation and "
                f"cannot be chained ({spec.chain!r}); list it as a chain of its own"
            )
        if produces_conversation(step) and index < len(steps) - 1:
            raise ConfigError(
                f"{where}: {step.name} produces a whole conversation, so it must be the last "
                f"step of a chain; {steps[index + 1].name} after it has no text to convert "
                f"({spec.chain!r})"
            )
    if sum(1 for s in steps if int(getattr(s, "samples", 1)) > 1) > 1:
        raise ConfigError(f"{where}: at most one best-of-N step per chain ({spec.chain!r})")
    config = [
        {"name": name, "params": step.params.model_dump(mode="json")}
        for name, step in zip(names, steps, strict=True)
    ]
    return AttackChain("+".join(names), steps, config)


def parse_attack_option(text: str) -> list[str]:
    """Chains from ``--attacks a+b,c``: comma-separated, whitespace ignored."""
    chains = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not c for c in chains):
        raise ConfigError(f"--attacks {text!r}: empty chain (chains are separated by ',')")
    return chains


def build_chains(
    specs: list[AttackSpec | str],
    *,
    resources: AttackResources | None = None,
    where: str = "attacks",
) -> list[AttackChain]:
    """Build every chain; duplicate labels with the same parameters are an error."""
    chains = []
    seen: set[str] = set()
    for i, spec in enumerate(specs):
        chain = build_chain(spec, resources=resources, where=f"{where}[{i}]")
        key = content_hash([chain.label, chain.config_params()])
        if key in seen:
            raise ConfigError(f"{where}[{i}]: chain {chain.label!r} is listed twice")
        seen.add(key)
        chains.append(chain)
    return chains
