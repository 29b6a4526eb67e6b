"""A constitution: the principles a Constitutional-AI loop critiques and revises against.

A principle has an id (recorded on every revision it drove), a critique
request, a revision request and the comparison question the feedback model
answers for RL-CAI labels. The default ships as data
(``constitution.yaml`` beside this module); users pass their own file.
"""

from __future__ import annotations

import random
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from redline.core.config_files import load_yaml_model, parse_yaml

DEFAULT_CONSTITUTION_FILE = "constitution.yaml"


class Principle(BaseModel):
    """One principle: what to look for, how to fix it, and how to compare two answers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    critique: str = Field(min_length=1)
    revision: str = Field(min_length=1)
    choice: str = Field(min_length=1)


class Constitution(BaseModel):
    """A named, versioned list of principles with unique ids."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: int = 1
    principles: list[Principle] = Field(min_length=1)

    @field_validator("principles")
    @classmethod
    def _unique_ids(cls, principles: list[Principle]) -> list[Principle]:
        seen: set[str] = set()
        for principle in principles:
            if principle.id in seen:
                raise ValueError(f"principle id {principle.id!r} appears twice")
            seen.add(principle.id)
        return principles

    def principle(self, principle_id: str) -> Principle:
        """The principle with this id (KeyError when there is none)."""
        for principle in self.principles:
            if principle.id == principle_id:
                return principle
        raise KeyError(principle_id)

    def sample(self, rng: random.Random) -> Principle:
        """One principle drawn uniformly with ``rng`` (a seeded draw per item and round)."""
        return self.principles[rng.randrange(len(self.principles))]


def load_constitution(path: Path | None = None) -> Constitution:
    """Read a constitution YAML file (errors name file, line and field); the
    default one shipped with redline when ``path`` is None."""
    if path is not None:
        return load_yaml_model(path, Constitution)
    text = resources.files(__package__).joinpath(DEFAULT_CONSTITUTION_FILE).read_text("utf-8")
    return parse_yaml(text, path=Path(DEFAULT_CONSTITUTION_FILE)).validate(Constitution)
