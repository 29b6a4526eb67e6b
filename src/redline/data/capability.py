"""Capability suites: GSM8K-style maths, MMLU-style multiple choice, IFEval-style
instruction following.

Each item becomes a :class:`Behavior` with ``expected="comply"``, the category
``capability:<suite>`` and its reference in tags, so the reference travels with
every attempt into the run and the scorers in :mod:`redline.scoring.capability`
read it back from the attempt alone:

- ``answer:<number>`` (GSM8K: the text after ``####``, commas removed);
- ``choice:<letter>`` and ``subject:<name>`` (MMLU, headerless
  ``question,A,B,C,D,answer`` CSV, subject from the file name);
- ``instruction:<kind>`` or ``instruction:<kind>=<value>`` (IFEval-style, one per
  constraint; the kinds are :data:`INSTRUCTION_KINDS`).

The public sets (GSM8K, MMLU; MIT) are read from a folder laid out like
``../shared/data/capability`` (``$REDLINE_CAPABILITY_DATA`` names another);
the instruction-following prompts are ours and ship in the package.
"""

from __future__ import annotations

import csv
import io
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from redline.core.errors import ConfigError
from redline.core.records import Behavior
from redline.data.bad_lines import BadLines, decode_lines, jsonl_objects, read_file_bytes
from redline.data.suites import SUITES, SuiteDefinition

CAPABILITY_DATA_ENV = "REDLINE_CAPABILITY_DATA"
DEFAULT_CAPABILITY_DIR = Path("../shared/data/capability")
CAPABILITY_PREFIX = "capability:"
ANSWER_TAG = "answer:"
CHOICE_TAG = "choice:"
SUBJECT_TAG = "subject:"
INSTRUCTION_TAG = "instruction:"
LETTERS = ("A", "B", "C", "D")
MMLU_SPLITS = ("dev", "val", "test")

# Constraint kinds an IFEval-style prompt may carry, and whether each takes a value.
INSTRUCTION_KINDS: dict[str, bool] = {
    "min_words": True,
    "max_words": True,
    "max_sentences": True,
    "include_keywords": True,
    "exclude_keywords": True,
    "no_commas": False,
    "lowercase": False,
    "uppercase": False,
    "json_format": False,
    "bullet_points": True,
    "start_with": True,
    "end_with": True,
    "title": False,
    "quotation": False,
    "placeholders": True,
    "highlighted_sections": True,
    "paragraphs": True,
}
_NUMERIC_KINDS = frozenset(
    {
        "min_words",
        "max_words",
        "max_sentences",
        "bullet_points",
        "placeholders",
        "highlighted_sections",
        "paragraphs",
    }
)
_GSM8K_FINAL = re.compile(r"####\s*(.+?)\s*$", re.MULTILINE)
_MMLU_FILE = re.compile(r"^(?P<subject>.+?)_(?:dev|val|test)$")


def capability_data_dir() -> Path:
    """Where the public capability sets are read from (``$REDLINE_CAPABILITY_DATA``, else
    ``../shared/data/capability`` relative to the working directory)."""
    return Path(os.environ.get(CAPABILITY_DATA_ENV) or DEFAULT_CAPABILITY_DIR)


def _templates() -> dict[str, str]:
    text = resources.files("redline.data").joinpath("capability_data", "templates.yaml")
    loaded: dict[str, str] = yaml.safe_load(text.read_text("utf-8"))
    return loaded


def normalise_number(text: str) -> str | None:
    """A number as a canonical string (``1,000.50`` -> ``1000.5``), or None if not one."""
    cleaned = text.strip().replace(",", "").replace("$", "").rstrip(".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    if value == int(value):
        return str(int(value))
    return repr(value)


def load_gsm8k(path: Path, *, source: str = "gsm8k", license: str | None = "MIT") -> list[Behavior]:
    """GSM8K-style JSONL (``question``, ``answer`` ending ``#### N``) as capability items.

    Bad lines are collected and reported together as ``FILE:LINE: problem``.
    """
    path = Path(path)
    bad = BadLines(path)
    template = _templates()["gsm8k"]
    behaviors = []
    for line, row in jsonl_objects(decode_lines(read_file_bytes(path), bad), bad):
        question, answer = row.get("question"), row.get("answer")
        if not isinstance(question, str) or not question.strip():
            bad.add(line, "missing 'question'")
            continue
        final = _GSM8K_FINAL.search(answer) if isinstance(answer, str) else None
        number = normalise_number(final.group(1)) if final else None
        if number is None:
            bad.add(line, "'answer' does not end with '#### <number>'")
            continue
        behaviors.append(
            _capability_behavior(
                id=f"{source}-{line:05d}",
                prompt=template.format(question=question.strip()),
                suite="gsm8k",
                source=source,
                license=license,
                tags=[f"{ANSWER_TAG}{number}"],
                metadata={"line": line, "question": question.strip()},
            )
        )
    bad.raise_if_any()
    return behaviors


def mmlu_subject(path: Path) -> str:
    """The subject an MMLU file holds, from its name (``college_physics_test.csv``)."""
    found = _MMLU_FILE.match(path.stem)
    return found.group("subject") if found else path.stem


def load_mmlu(
    path: Path, *, source: str = "mmlu", license: str | None = "MIT", split: str = "test"
) -> list[Behavior]:
    """MMLU-style headerless CSV (``question,A,B,C,D,answer``), one file or a folder.

    A folder is read as the MMLU layout: ``<folder>/<split>/*.csv`` when it has
    a ``split`` subfolder, else its own ``*.csv``; files in name order.
    """
    path = Path(path)
    if path.is_dir():
        folder = path / split if (path / split).is_dir() else path
        files = sorted(folder.glob("*.csv"))
        if not files:
            raise ConfigError(f"{folder}: no MMLU .csv files")
        return [b for file in files for b in load_mmlu(file, source=source, license=license)]
    bad = BadLines(path)
    subject = mmlu_subject(path)
    template = _templates()["mmlu"]
    text = "\n".join(decode_lines(read_file_bytes(path), bad)) + "\n"
    reader = csv.reader(io.StringIO(text))
    behaviors = []
    start = 1
    for record in reader:
        line, start = start, reader.line_num + 1
        if not record or all(not cell.strip() for cell in record):
            continue
        if len(record) != 6:
            bad.add(line, f"row has {len(record)} fields, expected 6 (question,A,B,C,D,answer)")
            continue
        question, *options, answer = (cell.strip() for cell in record)
        if answer.upper() not in LETTERS:
            bad.add(line, f"answer {answer!r} is not one of A, B, C, D")
            continue
        prompt = template.format(
            subject=subject.replace("_", " "),
            question=question,
            a=options[0],
            b=options[1],
            c=options[2],
            d=options[3],
        )
        behaviors.append(
            _capability_behavior(
                id=f"{source}-{subject}-{line:04d}",
                prompt=prompt,
                suite="mmlu",
                source=source,
                license=license,
                tags=[f"{CHOICE_TAG}{answer.upper()}", f"{SUBJECT_TAG}{subject}"],
                metadata={"line": line, "subject": subject},
            )
        )
    bad.raise_if_any()
    return behaviors


def instruction_tag(kind: str, value: Any = None) -> str:
    """The tag one constraint travels as: ``instruction:min_words=50``."""
    if value is None:
        return f"{INSTRUCTION_TAG}{kind}"
    if isinstance(value, list):
        value = "|".join(str(v) for v in value)
    return f"{INSTRUCTION_TAG}{kind}={value}"


def _instruction_problem(item: Any) -> str | None:
    if not isinstance(item, dict) or not isinstance(item.get("kind"), str):
        return "each instruction needs a 'kind'"
    kind = item["kind"]
    if kind not in INSTRUCTION_KINDS:
        return f"unknown instruction kind {kind!r} (known: {', '.join(INSTRUCTION_KINDS)})"
    value = item.get("value")
    if INSTRUCTION_KINDS[kind] and value in (None, "", []):
        return f"instruction {kind!r} needs a 'value'"
    if kind in _NUMERIC_KINDS and not (isinstance(value, int) and value >= 0):
        return f"instruction {kind!r} needs a whole number 'value', got {value!r}"
    return None


def load_ifeval(
    path: Path, *, source: str | None = None, license: str | None = None
) -> list[Behavior]:
    """IFEval-style JSONL: ``{"id", "prompt", "instructions": [{"kind", "value"}]}``."""
    path = Path(path)
    source = source or path.stem
    bad = BadLines(path)
    behaviors = []
    for line, row in jsonl_objects(decode_lines(read_file_bytes(path), bad), bad):
        prompt, instructions = row.get("prompt"), row.get("instructions")
        if not isinstance(prompt, str) or not prompt.strip():
            bad.add(line, "missing 'prompt'")
            continue
        if not isinstance(instructions, list) or not instructions:
            bad.add(line, "'instructions' must be a non-empty list")
            continue
        problems = [p for p in map(_instruction_problem, instructions) if p]
        if problems:
            bad.add(line, problems[0])
            continue
        behaviors.append(
            _capability_behavior(
                id=str(row.get("id") or f"{source}-{line:04d}"),
                prompt=prompt.strip(),
                suite="ifeval",
                source=source,
                license=license,
                tags=[instruction_tag(i["kind"], i.get("value")) for i in instructions],
                metadata={"line": line},
            )
        )
    bad.raise_if_any()
    return behaviors


def _capability_behavior(
    *,
    id: str,
    prompt: str,
    suite: str,
    source: str,
    license: str | None,
    tags: list[str],
    metadata: dict[str, Any],
) -> Behavior:
    return Behavior(
        id=id,
        prompt=prompt,
        category=f"{CAPABILITY_PREFIX}{suite}",
        expected="comply",
        source=source,
        license=license,
        tags=[f"{CAPABILITY_PREFIX}{suite}", *tags],
        metadata=metadata,
    )


def capability_suite_of(tags: list[str]) -> str | None:
    """``gsm8k``, ``mmlu`` or ``ifeval`` for a capability item's tags, else None."""
    for tag in tags:
        if tag.startswith(CAPABILITY_PREFIX):
            return tag.removeprefix(CAPABILITY_PREFIX)
    return None


def builtin_gsm8k() -> list[Behavior]:
    """The ``gsm8k`` suite: GSM8K train questions from the capability data folder."""
    return load_gsm8k(_required(capability_data_dir() / "gsm8k_train.jsonl"))


def builtin_mmlu() -> list[Behavior]:
    """The ``mmlu`` suite: MMLU test questions over 57 subjects from the capability folder."""
    return load_mmlu(_required(capability_data_dir() / "mmlu"))


def builtin_ifeval() -> list[Behavior]:
    """The ``ifeval`` suite: instruction-following prompts written for redline (shipped)."""
    file = resources.files("redline.data").joinpath("capability_data", "ifeval.jsonl")
    with resources.as_file(file) as path:
        return load_ifeval(path, source="redline-ifeval", license="Apache-2.0")


def _required(path: Path) -> Path:
    if not path.exists():
        raise ConfigError(
            f"{path}: capability data not found; put GSM8K/MMLU files there or set "
            f"${CAPABILITY_DATA_ENV} to a folder laid out like ../shared/data/capability"
        )
    return path


_CAPABILITY_SUITES = (
    SuiteDefinition(
        name="gsm8k",
        description="GSM8K grade-school maths (MIT), scored by exact final answer; "
        "read from the capability data folder.",
        loader=builtin_gsm8k,
    ),
    SuiteDefinition(
        name="mmlu",
        description="MMLU multiple choice over 57 subjects (MIT, test split), scored by "
        "letter; read from the capability data folder.",
        loader=builtin_mmlu,
    ),
    SuiteDefinition(
        name="ifeval",
        description="30 instruction-following prompts with constraints checked by code "
        "(length, format, keywords), written for redline.",
        loader=builtin_ifeval,
    ),
)
for _suite in _CAPABILITY_SUITES:
    SUITES.register(_suite.name)(_suite)


__all__ = [
    "CAPABILITY_DATA_ENV",
    "INSTRUCTION_KINDS",
    "builtin_gsm8k",
    "builtin_ifeval",
    "builtin_mmlu",
    "capability_data_dir",
    "capability_suite_of",
    "instruction_tag",
    "load_gsm8k",
    "load_ifeval",
    "load_mmlu",
    "mmlu_subject",
    "normalise_number",
]
