"""Injection attacks for agent episodes: templates that carry an attacker goal into
tool outputs (the injection slots of a suite's state)."""

from __future__ import annotations

import base64
import difflib
import json
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict

from redline.agents.suite import InjectionTask
from redline.core import UnknownNameError

NO_ATTACK = "none"


class InjectionTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    description: str
    template: str

    def render(self, task: InjectionTask, *, user: str) -> str:
        """The text placed in each injection slot for ``task``."""
        calls = "; ".join(
            f"{call.tool}({json.dumps(call.args, ensure_ascii=False)})" for call in task.solution
        )
        encoded = base64.b64encode(task.goal.encode()).decode()
        return (
            self.template.replace("{goal_base64}", encoded)
            .replace("{goal}", task.goal)
            .replace("{user}", user)
            .replace("{calls}", calls or "(none needed)")
        )


@cache
def injection_templates() -> dict[str, InjectionTemplate]:
    """The built-in injection templates, by name."""
    text = resources.files("redline.agents").joinpath("injection_attacks.yaml").read_text("utf-8")
    return {
        name: InjectionTemplate(name=name, **entry) for name, entry in yaml.safe_load(text).items()
    }


def injection_template(name: str) -> InjectionTemplate:
    """A template by name; an unknown name raises UnknownNameError with the closest."""
    templates = injection_templates()
    if name in templates:
        return templates[name]
    close = difflib.get_close_matches(name, list(templates), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    known = ", ".join([NO_ATTACK, *templates])
    raise UnknownNameError(f"unknown agent attack {name!r}.{hint} Known: {known}.")
