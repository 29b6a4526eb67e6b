"""Splitting labelled examples without leaks: seeded group splits, exact and
near-duplicate removal, and near-duplicate group merging.

A split holds out whole *groups*. Public sets repeat themselves with small edits
(a trailing space, one changed word, the same refusal from three models), so
before splitting, examples that share at least half of their word 6-grams are
put in one group; exact duplicates (after case and punctuation folding) with the
same labels are dropped.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Protocol, TypeVar

from redline.classifiers.labelled import Example


class _Texted(Protocol):
    @property
    def text(self) -> str: ...


TextedT = TypeVar("TextedT", bound=_Texted)

DEV_FRACTION = 0.2
SHINGLE_WORDS = 6
NEAR_DUPLICATE_SHARE = 0.5
SKETCH = 8
MAX_MERGED_GROUP = 200
# A shingle shared by more examples than this is boilerplate (a template's
# sentence), not evidence that two texts are copies of each other.
_MAX_POSTINGS = 40
_WORD = re.compile(r"\w+")
_SYMBOL = re.compile(r"[^\w\s]+")
_MAX_SYMBOL_SHARE = 0.3


def dev_group(group: str, *, seed: int, dev_fraction: float) -> bool:
    """True when ``group`` falls in the dev split: a seeded hash of the group name,
    so the split is stable across runs and independent of row order."""
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < dev_fraction


def group_fold(group: str, *, seed: int, folds: int) -> int:
    """The cross-fitting fold of ``group``, 0 to ``folds - 1``, from the same seeded
    hash as ``dev_group``: with ``folds = 1 / dev_fraction``, fold 0 is exactly the
    dev split, so the model trained on the train split is fold 0's model."""
    if dev_group(group, seed=seed, dev_fraction=1 / folds):
        return 0
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return max(1, min(folds - 1, int(int.from_bytes(digest[:8], "big") * folds / 2**64)))


def split_by_group(
    examples: Iterable[Example], *, seed: int, dev_fraction: float = DEV_FRACTION
) -> tuple[list[Example], list[Example]]:
    """(train, dev): whole groups go to one side."""
    train: list[Example] = []
    dev: list[Example] = []
    for ex in examples:
        (dev if dev_group(ex.group, seed=seed, dev_fraction=dev_fraction) else train).append(ex)
    return train, dev


def fold_text(text: str) -> str:
    """Lower-cased words joined by single spaces: the key exact duplicates share.
    Text that is mostly symbols (Morse code, emoji) keeps its symbols, or every
    Morse-encoded request would fold to its instruction line alone."""
    lowered = text.lower()
    words = " ".join(_WORD.findall(lowered))
    symbols = _SYMBOL.findall(lowered)
    if sum(map(len, symbols)) > _MAX_SYMBOL_SHARE * max(1, len(lowered)):
        return f"{words} {' '.join(symbols)}".strip()
    return words


def _shingles(folded: str) -> set[int]:
    words = folded.split()
    if len(words) < SHINGLE_WORDS:
        return {zlib.crc32(folded.encode())}
    return {
        zlib.crc32(" ".join(words[i : i + SHINGLE_WORDS]).encode())
        for i in range(len(words) - SHINGLE_WORDS + 1)
    }


def drop_exact_duplicates(examples: Sequence[Example]) -> list[Example]:
    """The first example of each (folded text, labels) wins, so sources loaded
    first keep their groups; empty texts go."""
    seen: set[tuple[str, bool | None, bool | None, bool | None]] = set()
    out: list[Example] = []
    for ex in examples:
        key = (fold_text(ex.text), ex.harm, ex.jailbreak, ex.injection)
        if not key[0] or key in seen:
            continue
        seen.add(key)
        out.append(ex)
    return out


def merge_near_duplicate_groups(examples: Sequence[Example]) -> list[Example]:
    """An example whose 6-gram set overlaps an earlier example's by at least half
    of the larger set joins that example's group, so no split separates them.

    Overlap is measured against the larger set so a short request and a long
    template filled with it stay apart: that pairing is what the template's own
    group already handles. A group stops absorbing near-duplicates at
    ``MAX_MERGED_GROUP`` members: request frames ("write a tutorial on how to
    ...") link one text to the next, and unbounded chaining would fold whole
    sources into one group. Candidates are found through each text's ``SKETCH``
    smallest shingle hashes (a bottom-k sketch): two texts that share half
    their shingles almost always share one of those.
    """
    groups = [ex.group for ex in examples]
    sizes: dict[str, int] = {}
    for group in groups:
        sizes[group] = sizes.get(group, 0) + 1
    postings: dict[int, list[int]] = {}
    shingle_sets: list[set[int]] = []
    for index, ex in enumerate(examples):
        shingles = _shingles(fold_text(ex.text))
        shingle_sets.append(shingles)
        sketch = sorted(shingles)[:SKETCH]
        candidates = sorted({other for s in sketch for other in postings.get(s, ())})
        for other in candidates:
            target = groups[other]
            if target == groups[index] or sizes[target] >= MAX_MERGED_GROUP:
                continue
            larger = max(len(shingles), len(shingle_sets[other]))
            if len(shingles & shingle_sets[other]) / larger >= NEAR_DUPLICATE_SHARE:
                sizes[groups[index]] -= 1
                sizes[target] += 1
                groups[index] = target
                break
        for s in sketch:
            bucket = postings.setdefault(s, [])
            if len(bucket) < _MAX_POSTINGS:
                bucket.append(index)
    return [
        ex if group == ex.group else replace(ex, group=group)
        for ex, group in zip(examples, groups, strict=True)
    ]


def drop_near_duplicates_of(examples: Sequence[TextedT], held_out: Iterable[str]) -> list[TextedT]:
    """``examples`` without any text that equals (after folding) or near-duplicates
    (half the word 6-grams of the larger text) a ``held_out`` text: training keeps
    none of the texts a measurement is made on, not even a stock refusal another
    question received word for word."""
    folded = [fold_text(text) for text in held_out]
    exact = set(folded)
    postings: dict[int, list[set[int]]] = {}
    for text in folded:
        shingles = _shingles(text)
        for s in sorted(shingles)[:SKETCH]:
            postings.setdefault(s, []).append(shingles)
    out = []
    for ex in examples:
        key = fold_text(ex.text)
        if key in exact:
            continue
        shingles = _shingles(key)
        candidates = [c for s in sorted(shingles)[:SKETCH] for c in postings.get(s, ())]
        if any(
            len(shingles & c) / max(len(shingles), len(c)) >= NEAR_DUPLICATE_SHARE
            for c in candidates
        ):
            continue
        out.append(ex)
    return out
