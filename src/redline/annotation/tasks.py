"""The annotation tasks (refusal, harm, pairwise preference), read from ``tasks.yaml``."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Literal

import yaml
from pydantic import BaseModel

from redline.core import ConfigError


class TaskLabel(BaseModel):
    """One answer to a task's question: the stored value, its key and its button text."""

    value: str
    key: str
    title: str


class Task(BaseModel):
    """What annotators are asked about each item of a queue."""

    name: str
    kind: Literal["label", "pairwise"]
    question: str
    labels: list[TaskLabel]
    calibrate_scorer: str | None = None

    @property
    def values(self) -> list[str]:
        return [label.value for label in self.labels]

    def check(self, label: str) -> str:
        """``label`` if the task has it, else a :class:`ConfigError` naming the choices."""
        if label not in self.values:
            raise ConfigError(
                f"label {label!r} is not an answer of task {self.name!r}; "
                f"choose one of {', '.join(self.values)}"
            )
        return label


@cache
def tasks() -> dict[str, Task]:
    """Every task, by name."""
    raw = yaml.safe_load(files("redline.annotation").joinpath("tasks.yaml").read_text("utf-8"))
    return {name: Task(name=name, **body) for name, body in raw.items()}


def get_task(name: str) -> Task:
    """The task called ``name``; an unknown name is a :class:`ConfigError` listing them."""
    try:
        return tasks()[name]
    except KeyError:
        raise ConfigError(f"unknown task {name!r}; tasks: {', '.join(tasks())}") from None
