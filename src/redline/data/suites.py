"""The built-in suites: harmful requests and benign prompts written for redline.

The prompts live as JSONL Behavior records in ``redline/data/suites/``:
``harmful.jsonl`` (expected refuse, one hazard category each) and
``benign.jsonl`` (expected comply, category ``benign``, tagged ``borderline``
or ``ordinary`` and ``benign_type:<type>``). ``demo.jsonl`` holds only
references (``{"ref": id}``) into those two files.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pydantic import BaseModel, ValidationError

from redline.core.errors import ConfigError
from redline.core.records import Behavior
from redline.core.registry import Registry

BENIGN_TYPE_TAG = "benign_type:"


@dataclass(frozen=True)
class SuiteDefinition:
    """A suite is the rows of some JSONL files, optionally narrowed to the ids in ``refs``,
    or what ``loader`` returns (suites read from a data folder, such as ``gsm8k``)."""

    name: str
    description: str
    files: tuple[str, ...] = ()
    refs: str | None = None
    package: str = "redline.data"
    loader: Callable[[], list[Behavior]] | None = None


class SuiteInfo(BaseModel):
    """What ``redline suites list`` shows about a suite."""

    name: str
    description: str
    count: int
    categories: dict[str, int]
    expected: dict[str, int]
    # Why a suite read from a data folder has nothing to show (its data is absent).
    unavailable: str | None = None


SUITES: Registry[SuiteDefinition] = Registry("suite", group="redline.suites")

_BUILT_IN_SUITES = (
    SuiteDefinition(
        name="harmful",
        description="Harmful requests over all 16 hazard categories; a safe model refuses.",
        files=("harmful.jsonl",),
    ),
    SuiteDefinition(
        name="benign",
        description=(
            "Benign prompts a helpful model must answer: borderline look-alikes "
            "(homonyms, figurative speech, games, fiction, history...) and ordinary requests."
        ),
        files=("benign.jsonl",),
    ),
    SuiteDefinition(
        name="default",
        description="harmful + benign: refusal of harm and over-refusal in one run.",
        files=("harmful.jsonl", "benign.jsonl"),
    ),
    SuiteDefinition(
        name="demo",
        description=(
            "40 short prompts (20 harmful over 14 categories, 20 benign of which 12 "
            "borderline) for a quick run on the bundled small model."
        ),
        files=("harmful.jsonl", "benign.jsonl"),
        refs="demo.jsonl",
    ),
)
for _suite in _BUILT_IN_SUITES:
    SUITES.register(_suite.name)(_suite)


def _read_jsonl(file_name: str, package: str = "redline.data") -> list[dict[str, Any]]:
    text = resources.files(package).joinpath("suites", file_name).read_text("utf-8")
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"suites/{file_name}:{number}: invalid JSON: {exc.msg}") from None
    return rows


def _read_behaviors(file_name: str, package: str) -> list[Behavior]:
    behaviors = []
    for number, row in enumerate(_read_jsonl(file_name, package), start=1):
        try:
            behaviors.append(Behavior.model_validate(row))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ConfigError(f"suites/{file_name}:{number}: {where}: {first['msg']}") from None
    return behaviors


def load_suite(name: str) -> list[Behavior]:
    """The behaviours of a built-in (or plugin) suite, in file order.

    An unknown name raises UnknownNameError with the closest names.
    """
    definition = SUITES.get(name)
    if definition.loader is not None:
        return definition.loader()
    behaviors = [
        b for file_name in definition.files for b in _read_behaviors(file_name, definition.package)
    ]
    if definition.refs is None:
        return behaviors
    by_id = {b.id: b for b in behaviors}
    selected = []
    for number, row in enumerate(_read_jsonl(definition.refs, definition.package), start=1):
        ref = row.get("ref")
        if ref not in by_id:
            raise ConfigError(f"suites/{definition.refs}:{number}: unknown behaviour id {ref!r}")
        selected.append(by_id[ref])
    return selected


def suite_info(name: str) -> SuiteInfo:
    """Counts by category and by expected outcome for one suite."""
    definition = SUITES.get(name)
    try:
        behaviors = load_suite(name)
    except ConfigError as exc:
        if definition.loader is None:
            raise
        # A data-folder suite without its data is listed, not an error for every listing.
        return SuiteInfo(
            name=definition.name,
            description=definition.description,
            count=0,
            categories={},
            expected={},
            unavailable=str(exc),
        )
    return SuiteInfo(
        name=definition.name,
        description=definition.description,
        count=len(behaviors),
        categories=dict(sorted(Counter(b.category for b in behaviors).items())),
        expected=dict(sorted(Counter(b.expected for b in behaviors).items())),
    )


def list_suites() -> list[SuiteInfo]:
    """Every known suite with its counts, sorted by name."""
    return [suite_info(name) for name in SUITES.names()]


def suite_names() -> list[str]:
    return SUITES.names()


def benign_type(behavior: Behavior) -> str | None:
    """The ``benign_type`` of a benign behaviour (from its metadata or its
    ``benign_type:<type>`` tag), or None."""
    value = behavior.metadata.get("benign_type")
    if isinstance(value, str):
        return value
    for tag in behavior.tags:
        if tag.startswith(BENIGN_TYPE_TAG):
            return tag.removeprefix(BENIGN_TYPE_TAG)
    return None


__all__ = [
    "SUITES",
    "SuiteDefinition",
    "SuiteInfo",
    "benign_type",
    "list_suites",
    "load_suite",
    "suite_info",
    "suite_names",
]
