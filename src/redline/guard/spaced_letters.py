"""Words whose letters were parted, put back together: the decoded view of
letter-spaced text (the attack library's ``letter_spacing`` converter, and people
who type "p-i-p-e b-o-m-b", "m.e.t.h" or "h o w  t o  m a k e").

Two shapes:

- a mark between every letter of a word ("p-i-p-e", "m.e.t.h", "p*o*r*n"): once a
  text has a word of three letters or more parted by one mark, every such word of
  two letters or more is joined ("U.S.A." becomes "USA.", which changes no score);
- a space between every letter: a run of four or more one-letter tokens. Two
  spaces or a slash part its words ("h o w  t o"); a run with single spaces only
  ("w r i t e a s t o r y") is cut into the most likely words of the spelling
  vocabulary (:mod:`redline.guard.spelling`), frequent words first.

A view only adds a reading: the guard scores it and each label takes its higher
score, so joining an innocent abbreviation costs a classifier pass, not a false
positive. Each check starts with a plain character scan that ordinary text fails.
"""

from __future__ import annotations

import math
import re

from redline.guard.spelling import vocabulary

_MARKS = "-.*+_~|^"
# Two letters or more, each parted from the next by the same mark (a text holds a
# word of three or more first: "d-o" alone is no disguise, beside "m-a-k-e" it is).
_MARKED_WORD = re.compile(r"(?<![\w\-.*+_~|^])([A-Za-z])([\-.*+_~|^])[A-Za-z](?:\2[A-Za-z])*\b")
_MARKED_FIRST = re.compile(r"[A-Za-z]([\-.*+_~|^])[A-Za-z]\1[A-Za-z]")
# A run of four or more one-letter tokens (punctuation around a letter allowed)
# parted by spaces, or by a slash between words.
_SPACED_RUN = re.compile(
    r"(?<!\S)(?:[^\w\s]*[A-Za-z][^\w\s]*(?: +| */ *)){3,}[^\w\s]*[A-Za-z][^\w\s]*(?!\S)"
)
# Cheap first looks, byte translations and substring searches in C (a regular
# expression would try every position of ordinary text). Marks: letters become
# "w", the marks "m", anything else "x"; a marked word of three letters holds
# "wmwmw". Spaces: letters become "w", a slash a space, everything else but spaces
# goes; a run that joins anything has two one-letter tokens one space apart, " w w ".
_MARK_SHAPES = bytes(
    ord("w")
    if chr(b).isascii() and chr(b).isalpha()
    else ord("m")
    if chr(b) in _MARKS
    else ord("x")
    for b in range(256)
)
_SPACE_SHAPES = bytes(
    ord("w") if chr(b).isascii() and chr(b).isalpha() else ord(" ") if chr(b) in " /" else b
    for b in range(256)
)
_NOT_LETTER_OR_SPACE = bytes(
    b for b in range(256) if not (chr(b).isascii() and chr(b).isalpha()) and chr(b) not in " /"
)
# Two spaces or more, or a slash, part the words of a spaced run.
_WORD_GAP = re.compile(r" {2,}| */ *")
# A letter in an unknown word costs this much in the segmentation: more than any
# known word (the rarest of the vocabulary's ~30,500 costs log(30,485) ~ 10.3).
_UNKNOWN_LETTER_COST = 25.0
_MAX_WORD = 20
# A longer single-space run is not cut into words: the search costs ~8 ms per 1,000
# letters in Python (up to 20 candidate words at each letter), and no request
# spelled out letter by letter is that long.
_MAX_SEGMENTED = 400
# The vocabulary lists every letter; only these are words on their own.
_ONE_LETTER_WORDS = frozenset("ai")


def joined_letters(text: str) -> str | None:
    """``text`` with its letter-spaced words joined, or None when it has none."""
    raw = text.encode("utf-8", "replace")
    changed = text
    if may_have_marked_word(raw) and _MARKED_FIRST.search(changed):
        changed = _MARKED_WORD.sub(_join_marked, changed)
    if may_have_spaced_run(raw):
        changed = _SPACED_RUN.sub(_join_spaced, changed)
    return changed if changed != text else None


def may_have_marked_word(raw: bytes) -> bool:
    """A necessary condition for a letter, a mark, a letter, the same mark, a letter."""
    return b"wmwmw" in raw.translate(_MARK_SHAPES)


def may_have_spaced_run(raw: bytes) -> bool:
    """A necessary condition for a spaced run that joins letters."""
    return b" w w " in b" " + raw.translate(_SPACE_SHAPES, _NOT_LETTER_OR_SPACE) + b" "


def _join_marked(match: re.Match[str]) -> str:
    return match.group(0).replace(match.group(2), "")


def _join_spaced(match: re.Match[str]) -> str:
    """The run's words joined; a run in which no two letters are one space apart
    ("a  b  c  d") joins nothing and stays as it was, and so does a run with
    single spaces only whose letters carry punctuation ("a. b. c. d.": a list) or
    that is longer than ``_MAX_SEGMENTED`` letters."""
    run = match.group(0)
    parts = [part for part in _WORD_GAP.split(run.strip()) if part.strip()]
    if all(" " not in part for part in parts):
        return run
    if len(parts) == 1:
        letters = parts[0].replace(" ", "")
        if not letters.isalpha() or len(letters) > _MAX_SEGMENTED:
            return run
        words = segmented(letters)
    else:
        words = [part.replace(" ", "") for part in parts]
    return " ".join(words) + run[len(run.rstrip()) :]


def segmented(letters: str) -> list[str]:
    """``letters`` (no spaces) cut into the cheapest sequence of vocabulary words,
    a word's cost growing with the log of its frequency rank; letters no known word
    covers stay together."""
    ranks = vocabulary().ranks
    lowered = letters.lower()
    n = len(letters)
    best = [0.0] + [math.inf] * n
    back = [0] * (n + 1)
    for end in range(1, n + 1):
        for start in range(max(0, end - _MAX_WORD), end):
            piece = lowered[start:end].strip(".,!?;:\"'()[]")
            rank = ranks.get(piece) if len(piece) > 1 or piece in _ONE_LETTER_WORDS else None
            cost = (
                math.log(rank + 2)
                if rank is not None
                else _UNKNOWN_LETTER_COST * max(1, len(piece))
            )
            if best[start] + cost < best[end]:
                best[end], back[end] = best[start] + cost, start
    words: list[str] = []
    end = n
    while end > 0:
        words.append(letters[back[end] : end])
        end = back[end]
    return _merge_unknown(words[::-1], ranks)


def _merge_unknown(words: list[str], ranks: dict[str, int]) -> list[str]:
    """Neighbouring pieces no known word covers, joined back ("x" "q" -> "xq")."""
    out: list[str] = []
    for word in words:
        if out and not _known(word, ranks) and not _known(out[-1], ranks):
            out[-1] += word
        else:
            out.append(word)
    return out


def _known(word: str, ranks: dict[str, int]) -> bool:
    piece = word.lower().strip(".,!?;:\"'()[]")
    return piece in ranks and (len(piece) > 1 or piece in _ONE_LETTER_WORDS)
