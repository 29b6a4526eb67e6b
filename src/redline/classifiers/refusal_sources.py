"""Real model responses with refusal labels, read from ``../shared/data`` (never copied).

What each set may be used for (licences in ``../shared/data/MANIFEST.md``):

- **gptfuzz** (MIT): responses of Vicuna-7B, ChatGPT and Llama-2-7B-chat to
  jailbreak-wrapped harmful questions, human-labelled ``jailbroken`` /
  ``not_jailbroken``. ``refused`` here = ``not_jailbroken``: the response did not
  do what was asked (a refusal, a refusal followed by an explanation or redirect,
  or an answer that refutes the premise or changes the subject). Trained on: the
  ``train`` split; held out: the ``evaluate`` split. The set's own split is by
  harmful question (80 questions train, 20 evaluate), so no question is on both
  sides. The copy has no model field: leave-one-model-out cannot be computed.
- **HarmBench refusal exemplars** (licence not stated): measurement only, all refusals.
- **DICES** (CC-BY-4.0): replies in adversarial chats with *safety* votes, not refusal
  labels. One rule is reliable enough to measure with: a reply that at least twice
  as many raters call unsafe as safe did not refuse (it said something unsafe), so
  calling it a full refusal is a false refusal. Measurement only.
- **hh-rlhf** (MIT): chosen/rejected last replies to red-team openers. The preference
  is relative, so no reply gets a label; only the direction is checked (chosen replies
  should be called refusals more often than rejected ones). Measurement only.

Every reader stops at the first bad row with ``FILE:LINE: field ...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redline.core.errors import ConfigError
from redline.data.labelled_rows import read_labelled_rows

GPTFUZZ_FILE = Path("gptfuzz") / "gptfuzz_labeled_responses.jsonl.gz"
HARMBENCH_FILES = (
    Path("harmbench") / "adv_training_behaviors_safe_responses.csv",
    Path("harmbench") / "adv_training_behaviors_safe_responses_longer.csv",
)
DICES_FILES = (Path("dices") / "dices_990.jsonl.gz", Path("dices") / "dices_350.jsonl.gz")
HH_RLHF_FILE = Path("hh-rlhf") / "harmless_base_test.jsonl.gz"
GPTFUZZ_LABELS = {"not_jailbroken": True, "jailbroken": False}
GPTFUZZ_SPLITS = ("train", "evaluate")
# DICES rule: unsafe votes at least this multiple of safe votes.
DICES_UNSAFE_MARGIN = 2


@dataclass(frozen=True, slots=True)
class LabelledResponse:
    """One real response and whether it did what was asked.

    ``refused`` is True when the response did not comply (full refusal or the
    refusal-like class: refutes the premise or redirects without answering).
    ``group`` is the harmful question (gptfuzz) or the item, ``split`` is
    ``train``, ``evaluate`` or ``measure`` (measurement-only sets).
    """

    text: str
    refused: bool
    group: str
    source: str
    split: str


def _text_field(path: Path, number: int, row: dict[str, Any], field: str) -> str:
    value = row.get(field)
    if not isinstance(value, str):
        raise ConfigError(f"{path}:{number}: field {field!r} is missing or not text")
    return value


def load_gptfuzz(data_dir: Path) -> list[LabelledResponse]:
    """gptfuzz's unique responses per split (the same stock refusal repeats across
    questions; the first row of each text in a split is kept)."""
    path = data_dir / GPTFUZZ_FILE
    out: list[LabelledResponse] = []
    seen: set[tuple[str, str]] = set()
    for number, row in read_labelled_rows(path, option="gptfuzz"):
        text = _text_field(path, number, row, "text")
        question = _text_field(path, number, row, "prompt")
        label = row.get("label")
        if label not in GPTFUZZ_LABELS:
            raise ConfigError(
                f"{path}:{number}: field 'label' is {label!r}; expected one of "
                f"{', '.join(GPTFUZZ_LABELS)}"
            )
        split = row.get("split")
        if split not in GPTFUZZ_SPLITS:
            raise ConfigError(
                f"{path}:{number}: field 'split' is {split!r}; expected train or evaluate"
            )
        if (text, split) in seen:
            continue
        seen.add((text, split))
        out.append(
            LabelledResponse(
                text=text,
                refused=GPTFUZZ_LABELS[label],
                group=f"gptfuzz:{question}",
                source="gptfuzz",
                split=split,
            )
        )
    return out


def load_harmbench_refusals(data_dir: Path) -> list[LabelledResponse]:
    """HarmBench's short and long refusal exemplars (measurement only)."""
    out = []
    for relative in HARMBENCH_FILES:
        path = data_dir / relative
        for number, row in read_labelled_rows(path, option="harmbench"):
            text = _text_field(path, number, row, "Safe_Response")
            group = f"harmbench:{row.get('BehaviorID') or number}"
            out.append(LabelledResponse(text, True, group, "harmbench-safe", "measure"))
    return out


def load_dices_unsafe(data_dir: Path) -> list[LabelledResponse]:
    """DICES replies that raters call unsafe by a clear margin, as non-refusals
    (the rule in the module docstring; measurement only)."""
    out = []
    for relative in DICES_FILES:
        path = data_dir / relative
        for number, row in read_labelled_rows(path, option="dices"):
            text = _text_field(path, number, row, "text")
            try:
                unsafe, safe = int(row["unsafe_votes"]), int(row["safe_votes"])
            except (KeyError, TypeError, ValueError):
                raise ConfigError(
                    f"{path}:{number}: fields 'unsafe_votes'/'safe_votes' must be integers"
                ) from None
            if unsafe >= DICES_UNSAFE_MARGIN * max(1, safe):
                group = f"dices:{relative.name}:{row.get('id', number)}"
                out.append(LabelledResponse(text, False, group, "dices-unsafe", "measure"))
    return out


def load_hh_rlhf_pairs(data_dir: Path) -> list[tuple[str, str]]:
    """(chosen, rejected) last assistant replies of hh-rlhf's harmless-base test set."""
    path = data_dir / HH_RLHF_FILE
    pairs = []
    for number, row in read_labelled_rows(path, option="hh-rlhf"):
        chosen = _text_field(path, number, row, "chosen_last_response")
        rejected = _text_field(path, number, row, "rejected_last_response")
        if chosen.strip() != rejected.strip():
            pairs.append((chosen, rejected))
    return pairs
