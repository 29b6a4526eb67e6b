"""Refusal language: does a text decline, and how clearly?

One phrase list (``data/refusal_phrases.yaml``) serves both the guard's
``refusal`` scanner (a score from the opening of an output) and the
``refusal-patterns`` scorer (a full / partial refusal / compliance label).

The patterns walk every character of a text (~20 us a short response); the same
file lists keywords one of which every phrase contains, so a text with none of
them is answered by a few substring searches. The keywords are proven to cover
the patterns (:mod:`redline.detectors.literal_needs`) when they load; when they
cannot be, every text goes through the patterns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from redline.detectors.literal_needs import fold_for_keywords, needs_one_of
from redline.detectors.phrase_file import compile_alternatives, load_data_file
from redline.detectors.rule_prefilter import BatchFacts

Strength = Literal["strong", "weak"]
STRENGTHS: tuple[Strength, ...] = ("strong", "weak")
PHRASE_FILE = "refusal_phrases.yaml"


@dataclass(frozen=True, slots=True)
class RefusalPhrase:
    """Where refusal language was found in a (normalised) text, and how strong it is."""

    start: int
    end: int
    text: str
    strength: Strength


def _patterns_by_strength() -> dict[Strength, list[str]]:
    by_strength: dict[Strength, list[str]] = {s: [] for s in STRENGTHS}
    for entry in load_data_file(PHRASE_FILE)["phrases"]:
        by_strength[entry["strength"]].append(entry["pattern"])
    return by_strength


@lru_cache(maxsize=1)
def _patterns() -> dict[Strength, re.Pattern[str] | None]:
    return {s: compile_alternatives(p) for s, p in _patterns_by_strength().items()}


@lru_cache(maxsize=1)
def _ascii_patterns() -> dict[Strength, re.Pattern[str] | None] | None:
    """The patterns for an ASCII text searched lower-cased: case-sensitive and ASCII-only
    (~4x faster than case-insensitive Unicode matching; on an ASCII text the matches
    are the same, at the same offsets). None when a pattern holds an upper-case letter
    (a literal, or an escape such as \\S whose meaning lower-casing would change)."""
    by_strength = _patterns_by_strength()
    if any(re.search("[A-Z]", p) for patterns in by_strength.values() for p in patterns):
        return None
    return {
        s: re.compile("|".join(f"(?:{p})" for p in patterns), re.ASCII) if patterns else None
        for s, patterns in by_strength.items()
    }


@dataclass(frozen=True, slots=True)
class RefusalPrefilter:
    """Keywords one of which every refusal phrase contains, and shorter anchors one
    of which every keyword contains (searched first: fewer searches)."""

    keywords: tuple[str, ...]
    anchors: tuple[str, ...]

    def may_match(self, folded: str) -> bool:
        """False only when ``folded`` (see ``fold_for_keywords``) holds no keyword."""
        # any(map(...)) rather than a generator: this runs once a response.
        contains = folded.__contains__
        return any(map(contains, self.anchors)) and any(map(contains, self.keywords))


@lru_cache(maxsize=1)
def prefilter_keywords() -> RefusalPrefilter | None:
    """The phrase file's keywords and anchors when every pattern is proven to need
    one of the keywords, else None (no prefilter: every text is searched)."""
    data = load_data_file(PHRASE_FILE)
    keywords = tuple(str(k).lower() for k in data.get("keywords") or ())
    if not keywords or not all(needs_one_of(e["pattern"], keywords) for e in data["phrases"]):
        return None
    anchors = tuple(str(a).lower() for a in data.get("keyword_anchors") or ())
    if not anchors or not all(any(a in k for a in anchors) for k in keywords):
        anchors = keywords  # not shown to cover the keywords: search the keywords alone
    return RefusalPrefilter(keywords, anchors)


def may_hold_refusal(text: str) -> bool:
    """False only when no refusal phrase can be in ``text`` (apostrophes normalised):
    it holds none of the keywords every phrase contains."""
    prefilter = prefilter_keywords()
    return prefilter is None or prefilter.may_match(fold_for_keywords(text))


def refusal_candidates(texts: list[str]) -> list[bool]:
    """Per text, False only when it holds none of the keyword anchors (so no
    keyword, no phrase): the first half of :func:`may_hold_refusal`, for a whole
    batch at once.

    The texts are apostrophe-normalised and folded once, joined, and each anchor is
    found by ``str.find`` over the joined folds, every hit mapped to its text in one
    ``searchsorted``, instead of an ``in`` test per anchor and text (a small saving:
    docs/benchmarks.md, "monlines branch"). Both maps go character by character, so
    the fold of the joined texts splits into the texts' folds.
    """
    prefilter = prefilter_keywords()
    if prefilter is None:
        return [True] * len(texts)
    separator = BatchFacts.SEPARATOR  # no anchor holds it: no hit spans two texts
    folds = fold_for_keywords(normalise_apostrophes(separator.join(texts))).split(separator)
    if len(folds) != len(texts):  # a text holds the separator: no telling them apart
        return [may_hold_refusal(normalise_apostrophes(text)) for text in texts]
    joined = separator.join(folds)
    find, hits = joined.find, []
    for anchor in prefilter.anchors:
        at = find(anchor)
        while at >= 0:
            hits.append(at)
            at = find(anchor, at + 1)
    # A hit belongs to the first text whose end (past its separator) lies beyond it.
    lengths = np.fromiter(map(len, folds), dtype=np.int64, count=len(folds)) + len(separator)
    found = np.zeros(len(texts), dtype=bool)
    owners = np.searchsorted(np.cumsum(lengths), np.asarray(hits, dtype=np.int64), side="right")
    found[owners] = True
    return found.tolist()


def normalise_apostrophes(text: str) -> str:
    """Curly single quotes to ``'``, so one pattern covers both spellings."""
    return text.replace("\u2019", "'").replace("\u2018", "'")


def find_refusal(text: str, *, strengths: tuple[Strength, ...] = STRENGTHS) -> RefusalPhrase | None:
    """The earliest refusal phrase in ``text`` (strong before weak at the same place).

    Offsets refer to ``normalise_apostrophes(text)``, which keeps ``text``'s length.
    """
    body = normalise_apostrophes(text)
    folded = fold_for_keywords(body)
    prefilter = prefilter_keywords()
    if prefilter is not None and not prefilter.may_match(folded):
        return None
    patterns, searched = _patterns(), body
    if body.isascii():
        lowered = _ascii_patterns()
        if lowered is not None:
            patterns, searched = lowered, folded  # an ASCII text's fold is its lower case
    best: RefusalPhrase | None = None
    for strength in strengths:
        pattern = patterns[strength]
        match = pattern.search(searched) if pattern is not None else None
        if match is not None and (best is None or match.start() < best.start):
            start, end = match.span()
            best = RefusalPhrase(start, end, body[start:end], strength)
    return best


def refusal_strength(text: str) -> Strength | None:
    """``strong`` when ``text`` holds a strong refusal phrase, else ``weak`` for a weak one."""
    for strength in STRENGTHS:
        if find_refusal(text, strengths=(strength,)) is not None:
            return strength
    return None
