"""Weak harmful labels for hh-rlhf red-team openers, from the human preference.

Anthropic's hh-rlhf harmless-base test set (MIT) holds red-team conversations
with two last assistant replies, the one people preferred (``chosen``) and the
other (``rejected``). The opener (first human turn) carries no label of its
own, but the preference says something about it: where people preferred a
refusal to an answer, they judged the request one the assistant should decline.

The rule, per opener (its rows folded together, ``splits.fold_text``), with the
shipped refusal classifier reading both replies (full or partial refusal):

- **positive** (weakly harmful): some row's chosen reply refuses while its
  rejected one does not ("declining was preferred"), or both replies refuse;
- **left out**: any row whose rejected reply refuses while its chosen one does
  not (people preferred an answer to a refusal: the request was fine to answer,
  or the preference is mixed), and openers where no reply refuses (they are
  not negatives either: most red-team openers are attempts, answered badly or
  well, and the preference is relative).

That rule is ``PREFERENCE``. **A second signal** (``HARMFUL_ANSWER``, issue 10,
branch hhweak2) ANDs it with the reply people did not prefer: an opener is kept
only when some row's chosen reply declines while its rejected reply answers, and
that answer reads as harmful content to the shipped harm model scoring it as
an output ("answering was dispreferred, and the answer given was harmful").
Both-refuse openers have no answer to read and fall out. The signal comes from
the response, not from the opener the harm model is being taught to score.

A new refusal or harm artifact can move openers in or out of the source:
retrain the guard after one.

The label is weak: of 40 positives read by hand, about half are requests a
guard should block; the rest are bait, opinion questions and insults to the
assistant whose chosen reply happened to decline (docs/benchmarks.md, hhweak).
The second signal does not clean it (21 of 40 against 19 of 40): a list of
swear words, the answer to "tell me a bad word", is harmful content too
(docs/benchmarks.md, hhweak2).

**Leakage guard.** GPTFuzz's harmful questions come largely from this same
red-team data, and the guard is measured on them. Every opener that equals or
near-duplicates (``splits.drop_near_duplicates_of``: half the word 6-grams of
the larger text) a text of a measurement set (``MEASUREMENT_PROMPTS``) is
dropped before anything is trained on it; ``WeakLabelCounts.leaked`` says how
many.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from redline.classifiers.classifier import TextClassifier, load_classifier
from redline.classifiers.labelled import Example, harmful
from redline.classifiers.public_sources import read_jsonl_gz
from redline.classifiers.refusal_model import shipped_refusal_classifier
from redline.classifiers.splits import drop_near_duplicates_of, fold_text
from redline.core.outcome import is_refusal

SOURCE = "hh-rlhf-weak"
# The opt-in source trained on the openers of the HARMFUL_ANSWER rule.
HARMFUL_ANSWER_SOURCE = "hh-rlhf-harmful-answer"
Rule = Literal["preference", "preference+harmful-answer"]
PREFERENCE: Rule = "preference"
HARMFUL_ANSWER: Rule = "preference+harmful-answer"
# The harm head's label whose output-side score reads a rejected reply, and the
# cut-off it must reach. MAX_F1 (the default): the head's own max-F1 cut on its
# dev split (the artifact's ``thresholds``). PRODUCTION: the guard's output
# cut-off (1% of a benign output mix flagged, ``side_thresholds["output"]``),
# which keeps too few openers on hh-rlhf to train on (docs/benchmarks.md,
# hhweak2). Both are read from the artifact, so a retrained head brings its own.
HARMFUL_LABEL = "harmful"
AnswerCut = Literal["max-f1", "production"]
MAX_F1: AnswerCut = "max-f1"
PRODUCTION: AnswerCut = "production"
HH_FILE = Path("hh-rlhf") / "harmless_base_test.jsonl.gz"
# Prompt texts the guard is measured on (bench/guard_failure_cases.py and the
# moderation benches), as (file under the data directory, field holding the text).
# No opener near one of these is trained on.
MEASUREMENT_PROMPTS: tuple[tuple[str, str], ...] = (
    ("gptfuzz/gptfuzz_labeled_responses.jsonl.gz", "prompt"),
    ("toxicchat/toxicchat_human_test.jsonl.gz", "text"),
    ("toxicchat/toxicchat_human_train.jsonl.gz", "text"),
    ("ethos/ethos_binary.jsonl.gz", "text"),
    ("tweeteval/tweeteval_hate.jsonl.gz", "text"),
    ("tweeteval/tweeteval_offensive.jsonl.gz", "text"),
    ("benign/harmless_val.json", "instruction"),
    ("benign/harmless_train.json", "instruction"),
    ("cyberseceval/frr_multilingual_machine_translated.json", "mutated_prompt"),
)
GPTFUZZ_QUESTIONS = MEASUREMENT_PROMPTS[0]
# Word-set Jaccard at or above which an opener counts as a rewording of a
# GPTFuzz question ("How can I blackmail the mayor?" / "... the city councilman?"
# is 0.62; "How can I steal a car?" / "how can I steal a watch" 0.71: the rule
# is deliberately broad, an opener too many dropped costs little).
PARAPHRASE_OVERLAP = 0.6


@dataclass(frozen=True)
class WeakLabelCounts:
    """Openers by what the rule made of them."""

    openers: int
    declining_preferred: int
    both_refused: int
    answer_preferred: int
    no_refusal: int
    # positives of the preference rule whose rejected answer the harm head flags
    # (the HARMFUL_ANSWER rule's openers, before the leakage guard)
    harmful_answer: int
    leaked: int
    paraphrased: int
    kept: int


@dataclass(frozen=True)
class WeakLabelled:
    """The kept positives and the counts behind them."""

    examples: list[Example]
    counts: WeakLabelCounts


def measurement_texts(
    data_dir: Path, files: tuple[tuple[str, str], ...] = MEASUREMENT_PROMPTS
) -> Iterator[str]:
    """Every text of the measurement sets (``files``) present in ``data_dir``."""
    for relative, field in files:
        path = data_dir / relative
        if not path.exists():
            continue
        rows: Iterable[dict[str, Any]]
        if path.suffix == ".gz":
            rows = read_jsonl_gz(path)
        else:
            rows = json.loads(path.read_text(encoding="utf-8"))
        for row in rows:
            text = row.get(field)
            if isinstance(text, str) and text.strip():
                yield text


def weak_harmful_openers(
    data_dir: Path, rule: Rule = PREFERENCE, answer_cut: AnswerCut = MAX_F1
) -> WeakLabelled:
    """The openers of ``data_dir``'s hh-rlhf file ``rule`` labels harmful, less
    near-duplicates of the measurement sets (see the module docstring).
    ``answer_cut``: the harm head's cut-off a rejected answer must reach."""
    rows = list(read_jsonl_gz(data_dir / HH_FILE))
    replies = [r[k] for r in rows for k in ("chosen_last_response", "rejected_last_response")]
    refuses = [is_refusal(v.label) for v in shipped_refusal_classifier().classify(replies)]
    harmful_answers = _harmful_answers(rows, refuses, answer_cut)
    kinds: dict[str, set[str]] = {}
    first_text: dict[str, str] = {}
    answered_harmfully: set[str] = set()
    for index, row in enumerate(rows):
        key = fold_text(row["text"])
        if not key:
            continue
        first_text.setdefault(key, row["text"].strip())
        chosen, rejected = refuses[2 * index], refuses[2 * index + 1]
        kind = {
            (True, False): "declining",
            (True, True): "both",
            (False, True): "answer",
            (False, False): "none",
        }[(chosen, rejected)]
        kinds.setdefault(key, set()).add(kind)
        if kind == "declining" and harmful_answers[index]:
            answered_harmfully.add(key)
    preferred = [
        key for key, seen in kinds.items() if "answer" not in seen and seen & {"declining", "both"}
    ]
    with_answer = [key for key in preferred if key in answered_harmfully]
    positives = with_answer if rule == HARMFUL_ANSWER else preferred
    source = HARMFUL_ANSWER_SOURCE if rule == HARMFUL_ANSWER else SOURCE
    examples = [
        harmful(first_text[key], source, f"hh-rlhf:{hashlib.sha1(key.encode()).hexdigest()[:12]}")
        for key in positives
    ]
    unleaked = drop_near_duplicates_of(examples, measurement_texts(data_dir))
    kept = _drop_rewordings(unleaked, measurement_texts(data_dir, (GPTFUZZ_QUESTIONS,)))
    counts = WeakLabelCounts(
        openers=len(kinds),
        declining_preferred=sum("declining" in s and "answer" not in s for s in kinds.values()),
        both_refused=sum(
            s & {"answer", "declining"} == set() and "both" in s for s in kinds.values()
        ),
        answer_preferred=sum("answer" in s for s in kinds.values()),
        no_refusal=sum(s == {"none"} for s in kinds.values()),
        harmful_answer=len(with_answer),
        leaked=len(examples) - len(unleaked),
        paraphrased=len(unleaked) - len(kept),
        kept=len(kept),
    )
    return WeakLabelled(kept, counts)


def harmful_scores(head: TextClassifier, texts: list[str]) -> np.ndarray:
    """The harm ``head``'s raw probability of label ``harmful`` for each of ``texts``."""
    return head.predict_proba(texts)[:, head.labels.index(HARMFUL_LABEL)]


def _harmful_answers(
    rows: list[dict[str, Any]], refuses: list[bool], answer_cut: AnswerCut
) -> list[bool]:
    """Per row: its chosen reply declines, its rejected one answers, and the shipped
    harm head scores that answer, as an output, at or above ``answer_cut``."""
    declining = [i for i in range(len(rows)) if refuses[2 * i] and not refuses[2 * i + 1]]
    flagged = [False] * len(rows)
    if not declining:
        return flagged
    head = load_classifier("harm")
    scores = harmful_scores(head, [rows[i]["rejected_last_response"] for i in declining])
    cuts = head.thresholds if answer_cut == MAX_F1 else head.side_thresholds["output"]
    for i, score in zip(declining, scores, strict=True):
        flagged[i] = bool(score >= cuts[HARMFUL_LABEL])
    return flagged


def _words(text: str) -> frozenset[str]:
    return frozenset(fold_text(text).split())


def _drop_rewordings(examples: list[Example], questions: Iterator[str]) -> list[Example]:
    """``examples`` less those whose word set overlaps a question's by
    ``PARAPHRASE_OVERLAP`` or more (Jaccard)."""
    held = [_words(q) for q in questions]

    def reworded(words: frozenset[str]) -> bool:
        return any(len(words & q) >= PARAPHRASE_OVERLAP * len(words | q) for q in held)

    return [ex for ex in examples if not reworded(_words(ex.text))]
