"""An injection case: one goal delivered by one carrier, as a ready conversation to send.

Injection attacks do not rewrite behaviours: each case is its own behaviour
(category ``prompt_injection``) with the goal, carrier, canary and the
injected text recorded in the parameters, which is what the ``canary`` scorer
reads to judge it.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from redline.attacks.base import AttackParams, AttackResources, Family
from redline.attacks.injection.goals import (
    ATTACKER_DOMAIN,
    GOALS,
    MARKER,
    InjectionGoal,
    make_canary,
)
from redline.core import Behavior, ConfigError, Message

CATEGORY = "prompt_injection"
DEFAULT_DATA_DIR = Path("../shared/data")


class InjectionCase(BaseModel):
    """A conversation carrying one injected instruction, and how to judge the answer."""

    model_config = ConfigDict(extra="forbid")

    behavior: Behavior
    messages: list[Message]
    params: dict[str, Any]


class InjectionParams(AttackParams):
    """Which goal/carrier combinations to send (all by default)."""

    goals: list[str] | None = Field(default=None, description="goal ids (default: all)")
    carriers: list[str] | None = Field(default=None, description="carrier names (default: all)")
    limit: int | None = Field(default=None, ge=1, description="first N cases only")
    data_dir: Path | None = Field(default=None, description="shared data (default ../shared/data)")


def case_params(
    *, goal: InjectionGoal, carrier: str, canary: str, payload: str, **extra: Any
) -> dict[str, Any]:
    """The attack parameters the canary scorer reads (see :mod:`redline.scoring.canary`)."""
    return {
        "goal": goal.kind,
        "goal_id": goal.id,
        "carrier": carrier,
        "canary": canary,
        "marker": MARKER,
        "exfil_domain": ATTACKER_DOMAIN,
        "payload": payload,
        **extra,
    }


class InjectionAttack:
    """Base of the injection attacks: builds cases; a campaign's plan
    (:func:`redline.run.plan.injection_jobs`) makes the jobs and attempt ids."""

    name = ""
    family: Family = "injection"
    description = ""
    references: tuple[str, ...] = ()
    Params: type[AttackParams] = InjectionParams
    carrier_names: tuple[str, ...] = ()

    def __init__(
        self, *, params: AttackParams | None = None, resources: AttackResources | None = None
    ) -> None:
        self.params = params if params is not None else self.Params()
        self.resources = resources or AttackResources()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"

    @property
    def data_dir(self) -> Path:
        params: InjectionParams = self.params  # type: ignore[assignment]
        return params.data_dir or self.resources.data_dir or DEFAULT_DATA_DIR

    def selected(self) -> list[tuple[InjectionGoal, str]]:
        """The (goal, carrier) pairs the parameters ask for, in a fixed order."""
        params: InjectionParams = self.params  # type: ignore[assignment]
        known_goals = {g.id for g in GOALS}
        for goal_id in params.goals or []:
            if goal_id not in known_goals:
                raise ConfigError(
                    f"attack {self.name}: unknown goal {goal_id!r}; known: "
                    + ", ".join(sorted(known_goals))
                )
        for carrier in params.carriers or []:
            if carrier not in self.carrier_names:
                raise ConfigError(
                    f"attack {self.name}: unknown carrier {carrier!r}; known: "
                    + ", ".join(self.carrier_names)
                )
        goals = [g for g in GOALS if params.goals is None or g.id in params.goals]
        carriers = [
            c for c in self.carrier_names if params.carriers is None or c in params.carriers
        ]
        return [(g, c) for g in goals for c in carriers]

    def cases(self, *, seed: int = 0, limit: int | None = None) -> list[InjectionCase]:
        """Every case, with a canary drawn per case from ``seed`` (same seed, same cases).

        ``limit`` (a campaign's ``--limit``) keeps that many cases spread evenly
        over the list, so every goal is still tried when the limit allows.
        """
        params: InjectionParams = self.params  # type: ignore[assignment]
        built = []
        for index, (goal, carrier) in enumerate(self.selected()):
            rng = random.Random(f"{self.name}:{seed}:{goal.id}:{carrier}")
            built.append(self.build_case(goal, carrier, index=index, canary=make_canary(rng)))
        built += self.extra_cases(seed=seed)
        if params.limit:
            built = built[: params.limit]
        return spread(built, limit)

    def build_case(
        self, goal: InjectionGoal, carrier: str, *, index: int, canary: str
    ) -> InjectionCase:
        raise NotImplementedError

    def extra_cases(self, *, seed: int) -> list[InjectionCase]:
        return []

    def behavior(self, case_id: str, description: str) -> Behavior:
        return Behavior(
            id=f"{self.name}/{case_id}",
            prompt=description,
            category=CATEGORY,
            expected="refuse",
            source=f"redline:{self.name}",
            tags=["injection", self.name],
        )


def spread(items: list[InjectionCase], limit: int | None) -> list[InjectionCase]:
    """At most ``limit`` of ``items``, evenly spaced (all of them without a limit)."""
    if limit is None or limit >= len(items):
        return items
    return [items[(i * len(items)) // limit] for i in range(limit)]
