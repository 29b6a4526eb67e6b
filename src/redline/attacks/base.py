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
with the same metadata. The three kinds are declared as protocols, so the
planner asks ``isinstance(attack, CaseGenerator)`` rather than probing for
methods:

- :class:`Converter` / :class:`AsyncConverter`: one prompt in, what to send out;
- :class:`ConversationDriver`: builds one engine job per behaviour that holds a
  whole conversation (multi-turn attackers);
- :class:`CaseGenerator`: brings its own cases instead of converting
  behaviours (prompt injection harnesses).

Families are open: :data:`FAMILIES` lists the built-in ones (from
``families.yaml``) and a plugin may declare its own with
:func:`declare_family`. Each family names the scorer that decides its success.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from redline.core import Behavior, ConfigError, GenerationParams, Message, Registry
from redline.core.params import PluginParams, validate_params
from redline.engine.job import Job
from redline.targets.base import Target

# A family name. Open: plugins declare new ones (see declare_family).
Family = str


@dataclass(frozen=True)
class AttackFamily:
    """An attack family: what it does and the scorer that decides its success."""

    name: str
    description: str
    success_scorer: str = "refusal"


FAMILIES: Registry[AttackFamily] = Registry("attack family", group="redline.attack_families")


def declare_family(name: str, *, description: str, success_scorer: str = "refusal") -> AttackFamily:
    """Declare an attack family (a plugin's own); its attempts are judged by ``success_scorer``."""
    family = AttackFamily(name=name, description=description, success_scorer=success_scorer)
    FAMILIES.register(name)(family)
    return family


def _declare_builtin_families() -> None:
    text = resources.files("redline.attacks").joinpath("families.yaml").read_text("utf-8")
    # libyaml's loader where PyYAML has it: every scan imports this module before its
    # first request, and libyaml parses this file several times faster than PyYAML's
    # pure-Python parser (docs/benchmarks.md, branch startimports).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for name, entry in yaml.load(text, Loader=loader)["families"].items():
        declare_family(name, **entry)


_declare_builtin_families()


class AttackParams(PluginParams):
    """Base class of every attack's parameter model; unknown keys are errors."""


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


@runtime_checkable
class ConversationDriver(Attack, Protocol):
    """A multi-turn attack: one job per behaviour that drives a whole conversation."""

    def job(self, attempt: Any, params: GenerationParams, *, state_dir: Path | None) -> Job: ...

    def id_params(self) -> dict[str, Any]: ...


class AttackCase(Protocol):
    """One case of a case generator: the behaviour it stands for, the conversation to
    send, and the parameters that make it this case (they enter its attempt id)."""

    @property
    def behavior(self) -> Behavior: ...

    @property
    def messages(self) -> list[Message]: ...

    @property
    def params(self) -> dict[str, Any]: ...


@runtime_checkable
class CaseGenerator(Attack, Protocol):
    """An attack with its own cases (prompt injection) instead of one per behaviour.

    ``limit`` caps the cases (a campaign's ``--limit``), spread over the case
    kinds so a small run still tries each. The jobs, and their attempt ids, are
    made in ``run/plan`` like every other attempt's.
    """

    def cases(self, *, seed: int = 0, limit: int | None = None) -> Sequence[AttackCase]: ...


def success_scorer_for(attack: str) -> str | None:
    """The scorer that decides success for attempts of ``attack`` (a chain label such
    as ``base64+roleplay.fiction``), or None for plain prompts and unknown attacks.

    A chain whose steps name different scorers is decided by the first one that
    is not ``refusal`` (an injection inside a chain is still an injection).
    """
    if attack == "none":  # plain prompts: no need to load the attack library to know
        return None
    scorers: list[str] = []
    for step in attack.split("+"):
        if step not in ATTACKS:
            continue
        family = getattr(ATTACKS.get(step), "family", None)
        if isinstance(family, str) and family in FAMILIES:
            scorers.append(FAMILIES.get(family).success_scorer)
    special = [s for s in scorers if s != "refusal"]
    chosen = special or scorers
    return chosen[0] if chosen else None


# Values are attack classes: ``cls(params=cls.Params(...), resources=AttackResources(...))``.
# The modules that register the built-in attacks, imported on the first look-up.
BUILTIN_ATTACK_MODULES = (
    "redline.attacks.converters",
    "redline.attacks.injection",
    "redline.attacks.multiturn",
)
ATTACKS: Registry[type] = Registry(
    "attack", group="redline.attacks", builtin_modules=BUILTIN_ATTACK_MODULES
)


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
    return validate_params(model, params, what=f"attack {name!r}", where=where)


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
    family = getattr(cls, "family", None)
    if family not in FAMILIES:
        raise ConfigError(
            f"attack {name!r} belongs to family {family!r}, which is not declared; "
            f"declare it with redline.attacks.declare_family (known: {', '.join(FAMILIES)})"
        )
    validated = attack_params_model(name, params, where=where)
    return cls(params=validated, resources=resources or AttackResources())
