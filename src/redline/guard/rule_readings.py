"""Text in random case read with the words the harm rules look for.

Best-of-N (the attack library's ``best_of_n``) scrambles, randomly capitalises and
noises the words of a request. The spelling view (:mod:`redline.guard.spelling`)
reads each disguised word back as the most frequent known word it can be, and
leaves a known word alone. Both are wrong when the disguise made a different word:
"STEaM" is a known word (a noised "steal"), "PeANl" reads as "panel" (a scrambled
"plane"), "sSAEL" as "sales" ("steal" shuffled, its "t" noised to "s"), "BeSs wAY"
as "bess" ("best"), and the crime rule, which needs its act, target and request
frame, finds nothing.

So text in random case, which nobody writes but the disguise, gets one more view:
the spelling view (or the text) with each word that the disguise can have made
from a *rule word* (an English act, target or request-frame word of the crime rule,
an English verb or object of the hazard rule: :func:`rule_words`) read as that word.
The steps a disguise takes, each a "level":

1. the letters shuffled with the first in place, or one letter moved a code point
   (``augment.noise``'s step: "t" -> "s" or "u");
2. one such letter moved and the letters shuffled;
3. two letters moved (at different places) and the letters shuffled, in words of
   five letters or more.

A word takes the most frequent rule word of the lowest level that has one, and no
more than one level above the one the spelling view read it at ("thfre" reads as
"there" at level 1: "theft" is too far). A word that is known as written takes a
rule word of level 1 only, and only one more frequent than itself: "steam" ->
"steal", but not "has" -> "gas", "good" -> "food" or "slave" -> "steal". Words of
three letters are read only when unknown ("hNW" -> "how", "C`M" -> "can").

The view keeps the text's length (offsets stay) and is made only when a word was
read and enough of its words are common English ones (a Portuguese question in
random case is not read as English). It only adds a reading: the harm scanner
scores it with the rest and the text takes the highest score, so a benign text in
random case is blocked only if a rule word makes it read as harmful.
"""

from __future__ import annotations

import functools
import re
from collections import Counter

from redline.detectors.phrase_file import load_data_file
from redline.guard.spelling import (
    MARK_LETTERS,
    MAX_TRIED,
    MIN_COMMON_SHARE,
    MIN_TWO_STEP_LENGTH,
    NOISE_MARKS,
    WORD_TOKEN,
    Vocabulary,
    in_random_case,
    lower_words,
    vocabulary,
    with_case,
)

# The rules files whose English words a disguised word may be read as: groups with
# ``language: en`` (the crime rule) or named for English (the hazard rule's "en" and
# "en-code"); the crime rule's English request frames too ("best way", "how can i").
RULE_FILES = ("crime_requests.yaml", "hazard_requests.yaml")
FRAMES_LANGUAGE = "en"
# The shortest word read; a word known as written must be one letter longer
# ("fun" is not read as "gun").
MIN_LENGTH = 3
MIN_KNOWN_LENGTH = 4
_WORD = re.compile(r"[A-Za-z]+")
_NOT_LOWER = re.compile(r"[^a-z]+")
# The last level: two letters moved and the letters shuffled.
MAX_LEVEL = 3


def rule_words(
    files: tuple[str, ...] = RULE_FILES, *, frames: bool = True, min_length: int = MIN_LENGTH
) -> frozenset[str]:
    """The lower-cased words (``min_length`` letters or more) of the verbs and
    objects of every English group in ``files`` (under ``redline/detectors/data``),
    and of their English request frames when ``frames``."""
    words: set[str] = set()
    for name in files:
        rules = load_data_file(name)
        phrases: list[str] = []
        for group_name, group in rules["groups"].items():
            if group.get("language", group_name.partition("-")[0]) != "en":
                continue
            phrases += group.get("verbs", [])
            for targets in group.get("objects", {}).values():
                phrases += targets
        if frames:
            phrases += rules.get("frames", {}).get(FRAMES_LANGUAGE, [])
        for phrase in phrases:
            words.update(w.lower() for w in _WORD.findall(phrase) if len(w) >= min_length)
    return frozenset(words)


@functools.cache
def _targets() -> dict[tuple[int, str], tuple[str, ...]]:
    """The rule words the vocabulary knows, by length and first letter, most frequent
    first: a word can only be read as one of its own length whose first letter is
    its own or a code point away (the shuffle keeps the first letter; only noise
    moves it)."""
    ranks = vocabulary().ranks
    index: dict[tuple[int, str], list[str]] = {}
    for word in sorted((w for w in rule_words() if w in ranks), key=ranks.__getitem__):
        index.setdefault((len(word), word[0]), []).append(word)
    return {key: tuple(words) for key, words in index.items()}


def rule_reading(text: str, spelled: str | None) -> str | None:
    """``text`` (in random case) with each word the disguise may have made from a
    rule word read as that word, starting from ``spelled``, its spelling view (None:
    it has none); None when ``text`` is not in random case, no word was read, or the
    reading has too few common English words."""
    if not in_random_case(text.encode("utf-8", "replace")):
        return None
    base = spelled if spelled is not None and len(spelled) == len(text) else text
    vocab = vocabulary()
    targets = _targets()
    readings: dict[str, str | None] = {}
    pieces: list[str] = []
    cursor = 0
    for match in WORD_TOKEN.finditer(text):
        # A mark that ends a word stood for punctuation ("limiT@" was "limit?").
        word = match.group(0).rstrip(NOISE_MARKS)
        start, end = match.start(), match.start() + len(word)
        # What the spelling view reads there, the marks it read as letters included.
        current = _NOT_LOWER.sub("", base[start : match.end()].lower())
        if len(word) < MIN_LENGTH or current in targets.get((len(current), current[:1]), ()):
            continue
        lowered = word.lower()
        if lowered not in readings:
            if len(readings) >= MAX_TRIED:
                break
            readings[lowered] = _rule_word(lowered, current, vocab, targets)
        read = readings[lowered]
        if read is None:
            continue
        pieces += [base[cursor:start], with_case(read, word)]
        cursor = end
        if base[end : match.end()].isalpha():
            # The spelling view read the ending mark as a letter ("TTSe@" as "Taste"):
            # it stays the mark.
            pieces.append(text[end : match.end()])
            cursor = match.end()
    if not pieces:
        return None
    view = "".join(pieces) + base[cursor:]
    view_words = lower_words(view.encode("utf-8", "replace"))
    if sum(map(vocab.common.__contains__, view_words)) < MIN_COMMON_SHARE * len(view_words):
        return None
    return view


def _rule_word(
    word: str, current: str, vocab: Vocabulary, targets: dict[tuple[int, str], tuple[str, ...]]
) -> str | None:
    """The rule word that lower-case ``word`` (which the spelling view reads as
    ``current``) is read as, or None (see the module docstring)."""
    ranks = vocab.ranks
    lettered = word.translate(MARK_LETTERS)
    if not lettered.isalpha():
        return None
    known = word in ranks
    if known and len(word) < MIN_KNOWN_LENGTH:
        return None
    # How far the spelling view's own reading is.
    own_level: int | None
    if current == word:
        own_level = None  # unread: any level will do
    elif current == lettered:
        own_level = 0  # the marks put back alone ("c`m" is "cam")
    else:
        own_level = _level(lettered, current)
    most = 1 if known else MAX_LEVEL if own_level is None else own_level + 1
    best: tuple[int, int, str] | None = None
    first = ord(lettered[0])
    for letter in {chr(first - 1), lettered[0], chr(first + 1)}:
        for target in targets.get((len(lettered), letter), ()):
            if known and ranks[target] >= ranks[word]:
                continue
            level = _level(lettered, target)
            if level is None or level > most:
                continue
            candidate = (level, ranks[target], target)
            best = candidate if best is None else min(best, candidate)
    return best[2] if best else None


def _level(word: str, target: str) -> int | None:
    """The lowest level (module docstring) at which the disguise turns ``target`` into
    ``word`` (both lower-case letters), or None beyond the last."""
    if len(word) != len(target) or word == target:
        return None
    if len(set(word).difference(target)) > 2:
        return None  # more than two letters moved (the first look: most targets end here)
    changed = [(a, b) for a, b in zip(word, target, strict=True) if a != b]
    if len(changed) == 1 and abs(ord(changed[0][0]) - ord(changed[0][1])) == 1:
        return 1  # one letter moved in place
    surplus = Counter(word)
    surplus.subtract(target)
    moved = sorted(surplus.elements())  # the word's letters the target lacks
    replaced = sorted((-surplus).elements())  # and the target's the word lacks
    if word[0] != target[0] and not (
        word[0] in moved and target[0] in replaced and abs(ord(word[0]) - ord(target[0])) == 1
    ):
        return None  # the shuffle keeps the first letter: only noise can have moved it
    if not moved:
        return 1  # shuffled only
    if len(moved) > 2 or (len(moved) == 2 and len(word) < MIN_TWO_STEP_LENGTH):
        return None
    if len(moved) == 1:
        return 2 if abs(ord(moved[0]) - ord(replaced[0])) == 1 else None
    (a, b), (c, d) = moved, replaced
    steps = (abs(ord(a) - ord(c)) == 1 and abs(ord(b) - ord(d)) == 1) or (
        abs(ord(a) - ord(d)) == 1 and abs(ord(b) - ord(c)) == 1
    )
    return 3 if steps else None
