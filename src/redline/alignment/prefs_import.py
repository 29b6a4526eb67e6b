"""Public preference sets into :class:`~redline.alignment.prefs.PreferencePair`.

Anthropic's hh-rlhf (MIT) stores each pair as two whole dialogues,
``"\\n\\nHuman: ...\\n\\nAssistant: ..."``, that share every turn but the last
assistant reply. The shared turns are the prompt; the two last replies are
chosen and rejected. The family is the conversation's first human turn, so a
train/test split keeps every continuation of one conversation together.

hh-rlhf marks no prompt as harmful or benign. :func:`label_kinds` derives a
``kind`` from the refusal classifier where exactly one reply refuses: the
crowdworker preferred the refusal (``harmful``: refusing was right) or
preferred the answer over a refusal (``benign``). The rest stay
``unlabelled``. These kinds describe the preference, not the prompt alone.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from redline.alignment.prefs import PreferencePair, Turn, fold_whitespace
from redline.classifiers.refusal_model import shipped_refusal_classifier
from redline.core import ConfigError
from redline.core.outcome import is_refusal

HH_SOURCE = "hh-rlhf"
_TURN = re.compile(r"\n\n(Human|Assistant):[ ]?")


def parse_dialogue(text: str) -> list[Turn]:
    """hh-rlhf's ``Human:``/``Assistant:`` transcript as turns (empty if it has none)."""
    parts = _TURN.split(text)
    turns = []
    # split() gives [before, speaker, text, speaker, text, ...].
    for speaker, content in zip(parts[1::2], parts[2::2], strict=True):
        role = "user" if speaker == "Human" else "assistant"
        turns.append(Turn(role=role, content=content.strip()))
    return turns


@dataclass
class ImportCounts:
    """Rows read, pairs made, and rows left out by reason."""

    rows: int = 0
    pairs: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def _open_lines(path: Path) -> Iterator[tuple[int, str]]:
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def hh_pair(row: dict[str, object], counts: ImportCounts) -> PreferencePair | None:
    """The pair one hh-rlhf row gives, or None (counted with why)."""
    chosen_text, rejected_text = row.get("chosen"), row.get("rejected")
    if not isinstance(chosen_text, str) or not isinstance(rejected_text, str):
        counts.skip("no chosen/rejected dialogue")
        return None
    chosen, rejected = parse_dialogue(chosen_text), parse_dialogue(rejected_text)
    if not chosen or chosen[-1].role != "assistant" or not rejected:
        counts.skip("dialogue does not end with an assistant reply")
        return None
    if rejected[-1].role != "assistant" or chosen[:-1] != rejected[:-1]:
        counts.skip("chosen and rejected dialogues differ before the last reply")
        return None
    prompt = chosen[:-1]
    if not any(t.role == "user" and t.content for t in prompt):
        counts.skip("no human turn")
        return None
    if not chosen[-1].content or not rejected[-1].content:
        counts.skip("an empty reply")
        return None
    if fold_whitespace(chosen[-1].content) == fold_whitespace(rejected[-1].content):
        counts.skip("chosen and rejected are identical")
        return None
    opener = prompt[0].content
    return PreferencePair(
        prompt=prompt,
        chosen=chosen[-1].content,
        rejected=rejected[-1].content,
        family="hh-" + fold_whitespace(opener).lower()[:200],
        source=HH_SOURCE,
        chosen_label="human",
        rejected_label="human",
    )


def import_hh_rlhf(
    path: Path, *, limit: int | None = None
) -> tuple[list[PreferencePair], ImportCounts]:
    """Pairs from an hh-rlhf file (``.jsonl`` or ``.jsonl.gz``), in file order."""
    counts = ImportCounts()
    pairs: list[PreferencePair] = []
    for number, line in _open_lines(path):
        if limit is not None and len(pairs) >= limit:
            break
        counts.rows += 1
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{number}: invalid JSON: {exc.msg}") from None
        if not isinstance(row, dict):
            raise ConfigError(f"{path}:{number}: expected a JSON object")
        pair = hh_pair(row, counts)
        if pair is not None:
            pairs.append(pair)
    counts.pairs = len(pairs)
    return pairs, counts


def label_kinds(pairs: Sequence[PreferencePair]) -> list[PreferencePair]:
    """Copies of ``pairs`` with ``kind`` set where exactly one reply is a refusal
    (by the shipped refusal classifier; see the module docstring)."""
    classifier = shipped_refusal_classifier()
    texts = [text for p in pairs for text in (p.chosen, p.rejected)]
    verdicts = classifier.classify(texts)
    labelled = []
    for index, pair in enumerate(pairs):
        chosen_refuses = is_refusal(verdicts[2 * index].label)
        rejected_refuses = is_refusal(verdicts[2 * index + 1].label)
        kind = pair.kind
        if chosen_refuses and not rejected_refuses:
            kind = "harmful"
        elif rejected_refuses and not chosen_refuses:
            kind = "benign"
        labelled.append(
            pair.model_copy(
                update={
                    "kind": kind,
                    "chosen_label": f"human,refusal={verdicts[2 * index].label}",
                    "rejected_label": f"human,refusal={verdicts[2 * index + 1].label}",
                }
            )
        )
    return labelled
