"""The attack plugin interface shared by every attack family.

An attack is a class registered in :data:`ATTACKS` under a dotted or plain
name (``base64``, ``roleplay.fiction``, ``context.many_shot``). The class
carries its metadata as class attributes and is built by
:func:`build_attack` with validated parameters and the runtime resources it
may need (an attacker model, a judge, the shared data folder).

Single-turn converters turn one prompt into what is sent: either a rewritten
user text, or a whole conversation (many-shot dialogues, a fake system
message). They are deterministic for a given ``random.Random`` and report the
choices they made in ``ConvertedPrompt.params`` so an attempt records exactly
what was sent and why. Converters that need a model (translation by an
attacker model) implement ``aconvert`` instead of ``convert``.

Multi-turn attackers and injection harnesses register in the same registry
with the same metadata, and define their own driving method in their
subpackages (``redline.attacks.multiturn``, ``redline.attacks.injection``).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, get_args, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from redline.core import ConfigError, Message, Registry
from redline.targets.base import Target

Family = Literal[
    "encoding",
    "roleplay",
    "decomposition",
    "context",
    "augmentation",
    "injection",
    "multiturn",
    "image",
]
FAMILIES: tuple[str, ...] = get_args(Family)


class AttackParams(BaseModel):
    """Base class of every attack's parameter model; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ConvertedPrompt(BaseModel):
    """What a converter produced: a user text or a whole conversation.

    ``params`` holds the choices the converter made (template picked, key drawn,
    number of shots) so the attempt records them next to the messages sent.
    """

    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    messages: list[Message] | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _exactly_one(self) -> ConvertedPrompt:
        if (self.text is None) == (self.messages is None):
            raise ValueError("a converted prompt has either text or messages, not both or neither")
        if self.messages is not None and not self.messages:
            raise ValueError("a converted conversation needs at least one message")
        return self

    @property
    def is_conversation(self) -> bool:
        return self.messages is not None

    def to_messages(self, *, system_prompt: str | None = None) -> list[Message]:
        """The conversation to send; a system prompt goes first unless the
        converter wrote its own system message."""
        if self.messages is not None:
            body = list(self.messages)
        else:
            body = [Message(role="user", content=self.text or "")]
        if system_prompt and not any(m.role == "system" for m in body):
            body.insert(0, Message(role="system", content=system_prompt))
        return body


@dataclass(frozen=True)
class AttackResources:
    """Runtime resources an attack may use. They are not parameters: they do
    not enter attempt ids (the attacker model's name does, through params)."""

    attacker: Target | None = None
    judge: Target | None = None
    data_dir: Path | None = None


@runtime_checkable
class Attack(Protocol):
    """Metadata every attack carries, whatever its family."""

    name: ClassVar[str]
    family: ClassVar[Family]
    description: ClassVar[str]
    references: ClassVar[tuple[str, ...]]
    Params: ClassVar[type[AttackParams]]
    params: AttackParams


@runtime_checkable
class Converter(Attack, Protocol):
    """A single-turn attack: one prompt in, what to send out."""

    def convert(self, prompt: str, *, rng: random.Random) -> ConvertedPrompt: ...


@runtime_checkable
class AsyncConverter(Attack, Protocol):
    """A single-turn attack that calls a model to convert (e.g. translation)."""

    async def aconvert(self, prompt: str, *, rng: random.Random) -> ConvertedPrompt: ...


# Values are attack classes: ``cls(params=cls.Params(...), resources=AttackResources(...))``.
ATTACKS: Registry[type] = Registry("attack", group="redline.attacks")


class SingleTurnAttack:
    """Convenience base for converters: stores params and resources.

    Subclasses set the class attributes and implement ``convert`` (or
    ``aconvert`` when they call a model).
    """

    name: ClassVar[str] = ""
    family: ClassVar[Family] = "encoding"
    description: ClassVar[str] = ""
    references: ClassVar[tuple[str, ...]] = ()
    Params: ClassVar[type[AttackParams]] = AttackParams

    def __init__(
        self, *, params: AttackParams | None = None, resources: AttackResources | None = None
    ) -> None:
        self.params = params if params is not None else self.Params()
        self.resources = resources or AttackResources()

    @property
    def produces_conversation(self) -> bool:
        """True when ``convert`` returns messages (then it must end a chain)."""
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"


def attack_params_model(name: str, params: Mapping[str, Any] | None, *, where: str = "") -> Any:
    """Validate ``params`` against the parameter model of attack ``name``.

    ``where`` (a file and line, or ``--attacks``) prefixes the error message.
    """
    cls = ATTACKS.get(name)
    model: type[AttackParams] = getattr(cls, "Params", AttackParams)
    try:
        return model.model_validate(dict(params or {}))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'params'}: {err['msg']}"
            for err in exc.errors()
        )
        prefix = f"{where}: " if where else ""
        raise ConfigError(f"{prefix}attack {name!r} parameters: {problems}") from None


def build_attack(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    resources: AttackResources | None = None,
    where: str = "",
) -> Any:
    """Build the attack registered as ``name`` with validated ``params``.

    Raises UnknownNameError (suggesting the closest names) for an unknown name
    and ConfigError naming the field for bad parameters.
    """
    cls = ATTACKS.get(name)
    validated = attack_params_model(name, params, where=where)
    return cls(params=validated, resources=resources or AttackResources())
