"""Regression suites: the reviewed, versioned YAML file of cases made from reports.

A suite file is meant to be read and edited by people and committed next to
the code it guards. ``revision`` goes up by one each time ``redline regress
ingest`` rewrites it; cases already in the file keep their id and every field a
reviewer edited, and only gain new source report ids.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from redline.core import ConfigError, Message, utc_now
from redline.core.config_files import load_yaml_model
from redline.regress.policies import Expected

SUITE_FORMAT = "redline-regression-suite"
SUITE_SCHEMA_VERSION = 1
# The scorer that decides each expected behaviour.
SCORER_FOR: dict[str, str] = {
    "refuse": "refusal",
    "safe-complete": "refusal",
    "no-leakage": "leakage",
}


class RegressionCase(BaseModel):
    """One cluster of reports turned into a replayable test.

    ``messages`` is the conversation to send (it ends with a user message); a
    model passes when its reply meets ``expected`` as ``scorer`` judges it.
    ``reproduced`` is set by ``redline regress shrink``: whether the reported
    failure still happened on replay (None: not replayed yet).
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    policy: str
    category: str
    expected: Expected
    scorer: str
    severity: str = "medium"
    messages: list[Message]
    canaries: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    source_reports: list[str] = Field(default_factory=list)
    cluster_size: int = 1
    reported_response: str | None = None
    notes: str = ""
    reproduced: bool | None = None
    shrunk_from: int | None = None

    @field_validator("messages")
    @classmethod
    def _ends_with_user(cls, value: list[Message]) -> list[Message]:
        if not value or value[-1].role != "user":
            raise ValueError("a case's conversation must end with a user message")
        return value


class SuiteSource(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str
    sha256: str
    records: int
    rejected: int
    encoding: str = "utf-8"


class RegressionSuite(BaseModel):
    """A versioned list of regression cases with where they came from."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["redline-regression-suite"] = SUITE_FORMAT
    schema_version: int = SUITE_SCHEMA_VERSION
    name: str
    revision: int = Field(default=1, ge=1)
    created_at: str = Field(default_factory=utc_now)
    updated_at: str = Field(default_factory=utc_now)
    dedup: str = ""
    sources: list[SuiteSource] = Field(default_factory=list)
    cases: list[RegressionCase] = Field(default_factory=list)

    @field_validator("cases")
    @classmethod
    def _unique_ids(cls, value: list[RegressionCase]) -> list[RegressionCase]:
        seen: set[str] = set()
        for case in value:
            if case.id in seen:
                raise ValueError(f"case id {case.id!r} appears twice")
            seen.add(case.id)
        return value

    def case(self, case_id: str) -> RegressionCase:
        for case in self.cases:
            if case.id == case_id:
                return case
        raise ConfigError(f"suite {self.name}: no case {case_id!r}")


def load_regression_suite(path: Path) -> RegressionSuite:
    """Read and validate a suite file; errors name the file, line and field."""
    return load_yaml_model(Path(path), RegressionSuite)


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    # Multi-line texts as literal blocks, so reviewers read them as written.
    style = "|" if "\n" in data and not data.endswith((" ", "\t")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump_regression_suite(suite: RegressionSuite) -> str:
    data = suite.model_dump(mode="json", exclude_none=True)
    for case in data["cases"]:
        for message in case["messages"]:
            for key in ("name", "tool_calls", "tool_call_id"):
                message.pop(key, None)
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def save_regression_suite(suite: RegressionSuite, path: Path) -> None:
    """Write the suite as YAML (atomically: a reader never sees half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(dump_regression_suite(suite), encoding="utf-8")
    partial.replace(path)


def merge_suites(previous: RegressionSuite, fresh: RegressionSuite) -> RegressionSuite:
    """``previous`` with ``fresh``'s new cases added and its report ids folded in.

    A case already in ``previous`` keeps every reviewed field; the revision goes
    up by one.
    """
    by_id = {case.id: case for case in fresh.cases}
    merged = []
    for case in previous.cases:
        update = by_id.pop(case.id, None)
        if update is not None:
            reports = list(dict.fromkeys([*case.source_reports, *update.source_reports]))
            case = case.model_copy(update={"source_reports": reports, "cluster_size": len(reports)})
        merged.append(case)
    merged.extend(by_id.values())
    return previous.model_copy(
        update={
            "revision": previous.revision + 1,
            "updated_at": utc_now(),
            "dedup": fresh.dedup or previous.dedup,
            "sources": [*previous.sources, *fresh.sources],
            "cases": merged,
        }
    )
