"""Shared parts of the detectors' word rules (hazard requests, sexual content):
words folded as the guard folds them, phrases read from a rules file, and where
phrases occur in a text's words."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from typing import Any

from redline.core.errors import ConfigError


def _combining_marks() -> str:
    """The combining marks (Unicode categories Mn and Mc) from U+0300 to U+1FFF, as
    the inside of a regex character class.

    Why: ``\\w`` holds letters and digits but not marks, and the vowel signs of
    Devanagari, Bengali, Tamil, Thai and the other Brahmic scripts are marks, so
    "पेट्रोल" read as four one-letter words and no rule could name a Hindi word.
    The range holds the combining diacritics and every script of South and
    South-East Asia, Hebrew and Arabic; built once at import (~1.5 ms)."""
    marks = [c for c in map(chr, range(0x300, 0x2000)) if unicodedata.category(c) in ("Mn", "Mc")]
    ranges: list[tuple[str, str]] = []
    for c in marks:
        if ranges and ord(c) == ord(ranges[-1][1]) + 1:
            ranges[-1] = (ranges[-1][0], c)
        else:
            ranges.append((c, c))
    return "".join(a if a == b else f"{a}-{b}" for a, b in ranges)


# A word: letters (any script) with their combining marks, digits, and inner
# hyphens or apostrophes. It starts with a letter or digit: a mark alone is no word.
_LETTERS = rf"\w[\w{_combining_marks()}]*"
WORD = re.compile(rf"{_LETTERS}(?:[-'’]{_LETTERS})*")
# The pieces of a word that a cheap first look compares with a set.
PIECE = re.compile(_LETTERS)


def fold(word: str) -> str:
    """Lower-cased, without accents: the guard folds accents before scanning, and
    people type "fabrico una bomba" for "fabricó". Devanagari loses its nukta and
    virama the same way, and its candrabindu becomes an anusvara: people write
    "हूँ" and "हूं", "फ़ोन" and "फोन" alike."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return folded.replace("\u0901", "\u0902")


def folded_pieces(text: str) -> list[str]:
    """The text's word pieces, lower-cased and (when not ASCII) folded: the first
    look a rule takes before it reads the text word by word."""
    pieces = PIECE.findall(text.lower())
    if not text.isascii():
        pieces = [piece if piece.isascii() else fold(piece) for piece in pieces]
    return pieces


def folded_words(text: str) -> list[tuple[str, int, int]]:
    """(folded word, start, end) of every word in ``text``."""
    if text.isascii():  # nothing to fold but case: ~5x faster on a long text
        return [(m.group().lower(), m.start(), m.end()) for m in WORD.finditer(text)]
    return [(fold(m.group()), m.start(), m.end()) for m in WORD.finditer(text)]


def phrases(values: Any, where: str, file: str) -> list[tuple[str, ...]]:
    """A rules file's list of phrases, each a tuple of folded words; ConfigError
    naming the file and field when it is not a list of non-empty strings."""
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise ConfigError(f"{file}: {where} must be a list of non-empty strings")
    return [tuple(fold(w) for w in WORD.findall(v)) for v in values]


def word_set(values: Any, where: str, file: str) -> frozenset[str]:
    """The words of a rules file's list of phrases, as one set (words that undo a
    match, frame breaks): each phrase's words count alone."""
    return frozenset(word for words in phrases(values, where, file) for word in words)


def positions(
    tokens: list[str], phrase_set: frozenset[tuple[str, ...]], longest: int, firsts: frozenset[str]
) -> list[tuple[int, int]]:
    """(index, length) of every phrase occurrence, longest first at each index."""
    out = []
    for i, token in enumerate(tokens):
        if token not in firsts:
            continue
        for n in range(min(longest, len(tokens) - i), 0, -1):
            if tuple(tokens[i : i + n]) in phrase_set:
                out.append((i, n))
                break
    return out


def near(hits: Sequence[tuple[int, int]], low: int, high: int) -> Iterator[tuple[int, int]]:
    """The hits (index, length; sorted by index) whose index is within [low, high].

    Rules pair each hit with its neighbours through this, so a text of ten thousand
    repeated terms costs ten thousand short looks, not a hundred million pairs."""
    start = bisect_left(hits, (low, -1))
    for hit in hits[start:]:
        if hit[0] > high:
            return
        yield hit
