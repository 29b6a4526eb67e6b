"""Shared parts of the detectors' word rules (hazard requests, sexual content):
words folded as the guard folds them, phrases read from a rules file, and where
phrases occur in a text's words."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
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


# Thai is written without spaces between words: a run of Thai letters is a whole
# clause to ``WORD`` ("ฉันจะปล้นปั๊มน้ำมันได้อย่างไร", how can I rob a gas station), so
# each Thai run of a text is cut into words with PyThaiNLP's dictionary segmenter
# (newmm) before a rule reads it. The rules files write their Thai already cut, with
# spaces, as the segmenter cuts it (a test checks each word): loading the rules then
# needs no segmenter, whose import costs ~0.5 s, and only Thai text pays for it.
_THAI = re.compile("[\u0e00-\u0e7f]")


@lru_cache(maxsize=1)
def _thai_segmenter() -> Callable[..., list[str]]:
    """PyThaiNLP's ``word_tokenize``, imported on the first Thai text (~0.4 s with its
    dictionary). Importing it creates ``~/pythainlp-data``; where the home folder
    cannot hold it (a read-only container), a folder under the temporary one does."""
    try:
        from pythainlp.tokenize import word_tokenize
    except OSError:
        os.environ.setdefault("PYTHAINLP_DATA", os.path.join(tempfile.gettempdir(), "pythainlp"))
        from pythainlp.tokenize import word_tokenize
    return word_tokenize


# NFKC, which the guard applies before its scanners read, splits SARA AM into NIKHAHIT
# and SARA AA; the segmenter's dictionary holds the one character ("ทำ", "น้ำ").
_SARA_AM_SPLIT = "\u0e4d\u0e32"


@lru_cache(maxsize=4096)
def thai_words(run: str) -> tuple[str, ...]:
    """``run`` (a word of ``WORD`` holding Thai letters) cut into its words, which
    join back into ``run``; the run whole where the segmenter's words do not."""
    composed, starts = [], []  # the run with SARA AM rejoined, and where each char was
    i = 0
    while i < len(run):
        split = run.startswith(_SARA_AM_SPLIT, i)
        composed.append("\u0e33" if split else run[i])
        starts.append(i)
        i += 2 if split else 1
    starts.append(len(run))
    pieces = _thai_segmenter()("".join(composed), engine="newmm", keep_whitespace=False)
    if "".join(pieces) != "".join(composed):
        return (run,)
    out, at = [], 0
    for piece in pieces:
        out.append(run[starts[at] : starts[at + len(piece)]])
        at += len(piece)
    return tuple(w for w in out if w)


def words_of(text: str) -> Iterator[tuple[str, int, int]]:
    """(word, start, end) of every word in ``text``, Thai runs cut into their words."""
    for match in WORD.finditer(text):
        word = match.group()
        if word.isascii() or not _THAI.search(word):
            yield word, match.start(), match.end()
            continue
        at = match.start()
        for piece in thai_words(word):
            if WORD.fullmatch(piece):
                yield piece, at, at + len(piece)
            at += len(piece)


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
        if _THAI.search(text):
            pieces = [
                word
                for piece in pieces
                for word in (thai_words(piece) if _THAI.search(piece) else (piece,))
            ]
        pieces = [piece if piece.isascii() else fold(piece) for piece in pieces]
    return pieces


def folded_words(text: str) -> list[tuple[str, int, int]]:
    """(folded word, start, end) of every word in ``text``. The list is shared: the
    last text's words are kept, since the harm scanner's rules read one text in turn
    and each would read it again (about 90 us for 1,000 characters); callers only
    read it."""
    last = _LAST_WORDS[0]  # one read: another thread may replace it meanwhile
    if last[0] is text:
        return last[1]
    words = _folded_words(text)
    _LAST_WORDS[0] = (text, words)
    return words


# The last text read and its words (a list of one, replaced whole).
_LAST_WORDS: list[tuple[str | None, list[tuple[str, int, int]]]] = [(None, [])]


def _folded_words(text: str) -> list[tuple[str, int, int]]:
    if text.isascii():  # nothing to fold but case: ~5x faster on a long text
        return [(m.group().lower(), m.start(), m.end()) for m in WORD.finditer(text)]
    if not _THAI.search(text):
        return [(fold(m.group()), m.start(), m.end()) for m in WORD.finditer(text)]
    return [(fold(word), start, end) for word, start, end in words_of(text)]


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


def positive_int(data: dict[str, Any], key: str, file: str) -> int:
    """A rules file's positive whole number ``key`` (a window, an age); ConfigError
    naming the file and field otherwise (a YAML ``true`` is no number)."""
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{file}: '{key}' must be a positive integer")
    return value


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


@dataclass(frozen=True, slots=True)
class PhraseSet:
    """A rules file's list of phrases with what ``positions`` needs to find them."""

    phrases: frozenset[tuple[str, ...]]
    longest: int
    firsts: frozenset[str]

    @classmethod
    def of(cls, items: list[tuple[str, ...]]) -> PhraseSet:
        return cls(
            frozenset(items),
            max((len(p) for p in items), default=1),
            frozenset(p[0] for p in items if p),
        )

    def find(self, tokens: list[str]) -> list[tuple[int, int]]:
        """(index, length) of every phrase in ``tokens``, longest first at each index."""
        return positions(tokens, self.phrases, self.longest, self.firsts)


def phrase_set(data: dict[str, Any], key: str, file: str) -> PhraseSet:
    """A rules file's non-empty list of phrases ``key``; ConfigError naming the file
    and field when it is missing, empty or not a list of strings."""
    items = phrases(data.get(key), key, file)
    if not items:
        raise ConfigError(f"{file}: '{key}' is empty")
    return PhraseSet.of(items)


def near(hits: Sequence[tuple[int, int]], low: int, high: int) -> Iterator[tuple[int, int]]:
    """The hits (index, length; sorted by index) whose index is within [low, high].

    Rules pair each hit with its neighbours through this, so a text of ten thousand
    repeated terms costs ten thousand short looks, not a hundred million pairs."""
    start = bisect_left(hits, (low, -1))
    for hit in hits[start:]:
        if hit[0] > high:
            return
        yield hit
