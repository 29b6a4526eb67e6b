"""Preference pairs: the record, reading and checking files of them, writing TRL's formats.

One record, :class:`PreferencePair`, is what ``redline prefs build``, ``prefs
import``, the Constitutional-AI loop and the annotation export all produce, and
what the reward trainer and DPO read. On disk it is TRL's conversational
preference format (``prompt`` a list of messages, ``chosen`` and ``rejected``
one assistant message each) with redline's columns beside it (``id``,
``family``, ``split``, ``kind``...); docs/alignment.md lists them.

:func:`load_pairs` also reads TRL's "standard" files (plain strings), so a
file made by another tool can be trained on. Every line is checked before
anything is used; bad lines are reported as ``FILE:LINE: what is wrong``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from redline.classifiers.splits import dev_group
from redline.core import ConfigError, content_hash
from redline.data.bad_lines import BadLines, decode_lines, jsonl_objects, read_file_bytes

PairKind = Literal["harmful", "benign", "unlabelled"]
Split = Literal["train", "test"]
PairFormat = Literal["redline", "conversational", "unpaired"]
FORMATS: tuple[PairFormat, ...] = ("redline", "conversational", "unpaired")
PROMPT_ROLES = ("system", "user", "assistant")
DEFAULT_TEST_FRACTION = 0.2
_SPACE = re.compile(r"\s+")


class Turn(BaseModel):
    """One message of a prompt conversation."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    role: Literal["system", "user", "assistant"]
    content: str


class PreferencePair(BaseModel):
    """A prompt with a preferred (``chosen``) and a dispreferred (``rejected``) answer.

    ``family`` groups pairs that must stay on one side of a train/test split
    (a behaviour and its attack variants; an hh-rlhf conversation opener).
    ``kind`` says what the prompt is: ``harmful`` (a refusal or safe answer
    should win), ``benign`` (a helpful answer should win) or ``unlabelled``.
    ``chosen_label`` / ``rejected_label`` record why each side is where it is
    (the scorer verdicts, ``human``, ``ai-feedback``...).
    """

    model_config = ConfigDict(extra="forbid")
    id: str = ""
    prompt: list[Turn]
    chosen: str
    rejected: str
    family: str = ""
    split: Split | None = None
    kind: PairKind = "unlabelled"
    category: str | None = None
    source: str = "user"
    chosen_from: str | None = None
    rejected_from: str | None = None
    chosen_label: str | None = None
    rejected_label: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    def model_post_init(self, context: Any) -> None:
        if not self.id:
            self.id = pair_id(self.prompt, self.chosen, self.rejected)
        if not self.family:
            self.family = prompt_family(self.prompt)

    @property
    def prompt_text(self) -> str:
        """The last user message (what a single-turn prompt said)."""
        users = [t.content for t in self.prompt if t.role == "user"]
        return users[-1] if users else ""


def fold_whitespace(text: str) -> str:
    """``text`` with runs of whitespace made one space, trimmed: what dedup compares."""
    return _SPACE.sub(" ", text).strip()


def pair_id(prompt: Sequence[Turn], chosen: str, rejected: str) -> str:
    """The content address of a pair (whitespace-insensitive)."""
    return content_hash(
        {
            "prompt": [[t.role, fold_whitespace(t.content)] for t in prompt],
            "chosen": fold_whitespace(chosen),
            "rejected": fold_whitespace(rejected),
        }
    )


def prompt_family(prompt: Sequence[Turn]) -> str:
    """A family for pairs that name none: the hash of the prompt itself."""
    return "prompt-" + content_hash(
        [[t.role, fold_whitespace(t.content)] for t in prompt], length=12
    )


# --- checking one record ---------------------------------------------------------


def _prompt_turns(value: Any) -> tuple[list[Turn] | None, str | None]:
    """(turns, None) from a string or a list of messages, or (None, what is wrong)."""
    if isinstance(value, str):
        if not value.strip():
            return None, "field 'prompt' is empty"
        return [Turn(role="user", content=value)], None
    if not isinstance(value, list) or not value:
        return None, "field 'prompt' must be a non-empty string or list of messages"
    turns = []
    for index, message in enumerate(value):
        if not isinstance(message, dict):
            return None, f"field 'prompt[{index}]' must be an object with role and content"
        role, content = message.get("role"), message.get("content")
        if role not in PROMPT_ROLES:
            return None, f"field 'prompt[{index}].role' must be one of {', '.join(PROMPT_ROLES)}"
        if not isinstance(content, str):
            return None, f"field 'prompt[{index}].content' missing or not a string"
        turns.append(Turn(role=role, content=content))
    if not any(t.role == "user" and t.content.strip() for t in turns):
        return None, "field 'prompt' has no non-empty user message"
    return turns, None


def _answer_text(value: Any, name: str) -> tuple[str | None, str | None]:
    """An answer given as a string or as TRL's list of one assistant message."""
    if isinstance(value, list):
        if len(value) != 1 or not isinstance(value[0], dict):
            return None, f"field {name!r} must be a string or a list of one assistant message"
        if value[0].get("role") != "assistant":
            return None, f"field '{name}[0].role' must be 'assistant'"
        value = value[0].get("content")
    if not isinstance(value, str):
        return None, f"field {name!r} missing or not a string"
    if not value.strip():
        return None, f"field {name!r} is empty"
    return value, None


_META_FIELDS = tuple(
    name for name in PreferencePair.model_fields if name not in {"prompt", "chosen", "rejected"}
)


def pair_from_record(record: dict[str, Any]) -> tuple[PreferencePair | None, str | None]:
    """A pair from one JSON object (redline, TRL conversational or TRL standard), or
    (None, what is wrong)."""
    for name in ("prompt", "chosen", "rejected"):
        if name not in record:
            return None, f"field {name!r} missing"
    turns, problem = _prompt_turns(record["prompt"])
    if turns is None:
        return None, problem
    chosen, problem = _answer_text(record["chosen"], "chosen")
    if chosen is None:
        return None, problem
    rejected, problem = _answer_text(record["rejected"], "rejected")
    if rejected is None:
        return None, problem
    if fold_whitespace(chosen) == fold_whitespace(rejected):
        return None, "chosen and rejected are identical"
    extra = {k: record[k] for k in _META_FIELDS if k in record and record[k] is not None}
    recorded_id = extra.pop("id", "")
    try:
        pair = PreferencePair(prompt=turns, chosen=chosen, rejected=rejected, **extra)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        return None, f"field {field!r}: {first['msg']}"
    if recorded_id and recorded_id != pair.id:
        # An edited pair keeps no stale id: the id is the content's address.
        pair.metadata.setdefault("original_id", recorded_id)
    return pair, None


def _unpaired_problem(record: dict[str, Any]) -> str | None:
    for name in ("prompt", "completion", "label"):
        if name not in record:
            return f"field {name!r} missing"
    turns, problem = _prompt_turns(record["prompt"])
    if turns is None:
        return problem
    text, problem = _answer_text(record["completion"], "completion")
    if text is None:
        return problem
    if not isinstance(record["label"], bool):
        return "field 'label' must be true or false"
    return None


# --- files ------------------------------------------------------------------------


def _records(path: Path, bad: BadLines) -> list[tuple[int, dict[str, Any]]]:
    return list(jsonl_objects(decode_lines(read_file_bytes(path), bad), bad))


def load_pairs(path: Path) -> list[PreferencePair]:
    """Every pair in ``path``; a file with any bad line is a ConfigError listing them."""
    bad = BadLines(path)
    pairs = []
    for number, record in _records(path, bad):
        if "completion" in record and "chosen" not in record:
            bad.add(number, "an unpaired (completion/label) record; a paired file is needed")
            continue
        pair, problem = pair_from_record(record)
        if pair is None:
            bad.add(number, problem or "not a preference pair")
        else:
            pairs.append(pair)
    bad.raise_if_any()
    if not pairs:
        raise ConfigError(f"{path}: no preference pairs")
    return pairs


class ValidationReport(BaseModel):
    """What ``prefs validate`` found in one file."""

    path: str
    format: Literal["paired", "unpaired"]
    records: int
    problems: list[tuple[int, str]]
    duplicates: int = 0
    splits: dict[str, int] = Field(default_factory=dict)
    families_in_both_splits: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_file(path: Path) -> ValidationReport:
    """Check every line of a paired or unpaired file (the first record decides which)."""
    bad = BadLines(path)
    records = _records(path, bad)
    unpaired = bool(records) and "completion" in records[0][1]
    pairs: list[PreferencePair] = []
    for number, record in records:
        if unpaired:
            problem = _unpaired_problem(record)
        else:
            pair, problem = pair_from_record(record)
            if pair is not None:
                pairs.append(pair)
        if problem:
            bad.add(number, problem)
    splits: dict[str, int] = {}
    sides: dict[str, set[str]] = {}
    for pair in pairs:
        splits[pair.split or "none"] = splits.get(pair.split or "none", 0) + 1
        if pair.split:
            sides.setdefault(pair.family, set()).add(pair.split)
    return ValidationReport(
        path=str(path),
        format="unpaired" if unpaired else "paired",
        records=len(records),
        problems=sorted(bad.problems),
        duplicates=len(pairs) - len({p.id for p in pairs}),
        splits=splits,
        families_in_both_splits=sum(1 for s in sides.values() if len(s) > 1),
    )


def deduplicate(pairs: Iterable[PreferencePair]) -> list[PreferencePair]:
    """``pairs`` without repeats (same prompt, chosen and rejected up to whitespace),
    first kept, order kept."""
    seen: set[str] = set()
    unique = []
    for pair in pairs:
        if pair.id not in seen:
            seen.add(pair.id)
            unique.append(pair)
    return unique


def assign_splits(
    pairs: Iterable[PreferencePair], *, test_fraction: float = DEFAULT_TEST_FRACTION, seed: int = 0
) -> list[PreferencePair]:
    """Copies of ``pairs`` with ``split`` set by family: a seeded hash of the family
    decides, so no family is in both splits and adding pairs never moves old ones."""
    if not 0.0 <= test_fraction < 1.0:
        raise ConfigError(f"test fraction must be in [0, 1), got {test_fraction}")
    return [
        pair.model_copy(
            update={
                "split": "test"
                if dev_group(pair.family, seed=seed, dev_fraction=test_fraction)
                else "train"
            }
        )
        for pair in pairs
    ]


def split_pairs(
    pairs: Sequence[PreferencePair],
) -> tuple[list[PreferencePair], list[PreferencePair]]:
    """(train, test) by each pair's ``split``; pairs without one count as train."""
    return (
        [p for p in pairs if p.split != "test"],
        [p for p in pairs if p.split == "test"],
    )


def _assistant(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def trl_rows(pair: PreferencePair, fmt: PairFormat) -> list[dict[str, Any]]:
    """The JSON rows one pair becomes in ``fmt`` (two rows for ``unpaired``)."""
    prompt = [t.model_dump() for t in pair.prompt]
    if fmt == "unpaired":
        return [
            {"prompt": prompt, "completion": _assistant(pair.chosen), "label": True},
            {"prompt": prompt, "completion": _assistant(pair.rejected), "label": False},
        ]
    row: dict[str, Any] = {
        "prompt": prompt,
        "chosen": _assistant(pair.chosen),
        "rejected": _assistant(pair.rejected),
    }
    if fmt == "redline":
        row.update(pair.model_dump(exclude={"prompt", "chosen", "rejected"}))
    return [row]


def write_pairs(pairs: Iterable[PreferencePair], path: Path, *, fmt: PairFormat = "redline") -> int:
    """Write ``pairs`` to ``path`` in ``fmt``; returns the number of lines written."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = 0
    with path.open("w", encoding="utf-8") as handle:
        for pair in pairs:
            for row in trl_rows(pair, fmt):
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                lines += 1
    return lines


def split_paths(path: Path) -> tuple[Path, Path]:
    """Where the train and test files of ``path`` go when a format has no split column:
    ``prefs.jsonl`` -> ``prefs.train.jsonl``, ``prefs.test.jsonl``."""
    return path.with_suffix(".train.jsonl"), path.with_suffix(".test.jsonl")


def write_dataset(pairs: Sequence[PreferencePair], path: Path, *, fmt: PairFormat) -> list[Path]:
    """Write ``pairs`` as ``fmt``. The redline format keeps the split in a column (one
    file); TRL's formats have no such column, so train and test go to two files
    (:func:`split_paths`). Returns the files written."""
    if fmt == "redline":
        write_pairs(pairs, path, fmt=fmt)
        return [path]
    train, test = split_pairs(pairs)
    train_path, test_path = split_paths(path)
    write_pairs(train, train_path, fmt=fmt)
    write_pairs(test, test_path, fmt=fmt)
    return [train_path, test_path]


def describe(pairs: Sequence[PreferencePair]) -> dict[str, Any]:
    """Counts for a summary: pairs, by kind, by split, families, sources."""

    def count(values: Iterable[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for value in values:
            found[value] = found.get(value, 0) + 1
        return dict(sorted(found.items()))

    return {
        "pairs": len(pairs),
        "families": len({p.family for p in pairs}),
        "kinds": count(p.kind for p in pairs),
        "splits": count(p.split or "none" for p in pairs),
        "sources": count(p.source for p in pairs),
    }
