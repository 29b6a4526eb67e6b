"""Readable views of disguised text, made with the attack library's decoders.

A classifier trained on words cannot read Morse code, base64, hexadecimal or
binary bytes, leetspeak, look-alike letters, ROT13, a sentence cut into numbered
fragments given out of order, words whose letters were parted ("p-i-p-e b-o-m-b";
:mod:`redline.guard.spaced_letters`), or words whose letters were shuffled or nudged
(:mod:`redline.guard.spelling`); nor does it weigh a request wrapped in a request
for a poem or a scene, or reworded into the past or the future, as the request it is
(:mod:`redline.guard.embedded_requests`, :mod:`redline.guard.tense_requests`).
Before scoring, the guard asks for the decoded views of a text and scores each; a
label takes its highest score. Each check is a cheap necessary condition (a long
base64-looking token, a run of dots and dashes, two hexadecimal pairs, a "[1] "
fragment, words that mix letters and digits, letters parted by a mark or a space,
words missing from the vocabulary, a short text with a "how" or a quote), so
ordinary text gets no extra views and costs little more to score.
"""

from __future__ import annotations

import base64
import binascii
import re

import redline.attacks.converters  # noqa: F401  (registers the converters)
from redline.attacks.base import build_attack
from redline.guard.embedded_requests import embedded_requests
from redline.guard.rule_readings import rule_reading
from redline.guard.spaced_letters import joined_letters
from redline.guard.spelling import respelled
from redline.guard.tense_requests import tense_requests

_MORSE_RUN = re.compile(r"(?:[.\-]{1,7}[ /]+){8,}[.\-]{1,7}")
# Eight bytes or more written as hexadecimal pairs or 8-bit binary groups.
_HEX_RUN = re.compile(r"\b(?:[0-9A-Fa-f]{2} ){7,}[0-9A-Fa-f]{2}\b")
_BINARY_RUN = re.compile(r"\b(?:[01]{8} ){7,}[01]{8}\b")
# A sentence cut into numbered fragments, one a line ("[2] a gas station"), given
# out of order; put back in order it is the request.
_NUMBERED_FRAGMENT = re.compile(r"^\[(\d{1,2})\] (.+)$", re.MULTILINE)
_BASE64_TOKEN = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
# A word with a letter and a look-alike digit inside it ("m3th", "b0mb"), not a
# number or a code such as "A4" or "mp3".
_LEET_WORD = re.compile(r"\b(?=\w*[A-Za-z])(?=\w*[0134579])\w{2,}\b")
# Once a text is leetspeak, short all-digit words are letters too ("70" = "to").
_LEET_OR_SHORT_DIGITS = re.compile(r"\b(?:(?=\w*[A-Za-z])(?=\w*[0134579])\w{2,}|[0134579]{1,3})\b")
_REVERSED_HINT = re.compile(r"\b(backwards|reversed?|in reverse)\b", re.IGNORECASE)
# ROT13 reads as noise unless the model is told how to read it, so an attack names
# it; the whole text is decoded (the hint itself comes out garbled, the payload not).
_ROT13_HINT = re.compile(r"\brot[- ]?13\b|\bcaesar(?: cipher| shift)?\b", re.IGNORECASE)
_MIXED_SCRIPT_WORD = re.compile(r"\b(?=\w*[A-Za-z])(?=\w*[\u0370-\u03ff\u0400-\u04ff])\w+\b")
# Fewer leet words than this, or a smaller share of the words, is chance ("4k",
# "mp3" and "A4" are ordinary words).
_MIN_LEET_WORDS = 2
_MIN_LEET_SHARE = 0.3
_WORDS = re.compile(r"\w+")
_MIN_PRINTABLE_SHARE = 0.9

# Cheap necessary conditions, each a plain character scan (a few microseconds per
# 1,000 characters against 50-100 for the full pattern): ordinary text fails them
# all and gets no views, and a text that passes one runs the full check as before.
_LEET_DIGIT = re.compile(r"[0134579]")  # every leet word holds one
_MORSE_PAIR = re.compile(r"[.\-][ /]+[.\-]")  # two Morse letters and a gap between
# Every hex or binary run has two hexadecimal digits, a space and two more: found
# with a byte translation and a substring search, both in C (a regular expression
# tries each of the many a-f letters of English text).
_HEX_CLASS = bytes(
    ord("h") if chr(b) in "0123456789abcdefABCDEF" else b if b == ord(" ") else ord("x")
    for b in range(256)
)
_FIRST_FRAGMENT = "[1] "  # in every numbered-fragment text
_GREEK_OR_CYRILLIC = re.compile(r"[\u0370-\u03ff\u0400-\u04ff]")  # in every mixed word
_REVERSED_WORDS = ("revers", "backwards")  # what _REVERSED_HINT needs, lower-cased
_ROT13_WORDS = ("rot", "caesar")  # what _ROT13_HINT needs, lower-cased

_MORSE = build_attack("morse")
_LEET = build_attack("leetspeak")
_REVERSE = build_attack("reverse")
_HOMOGLYPHS = build_attack("homoglyphs")
_ROT13 = build_attack("rot13")
_HEX = build_attack("hex")
_BINARY = build_attack("binary")
# Fewer numbered fragments than this is a list with a footnote, not a cut sentence.
_MIN_FRAGMENTS = 2


def decoded_views(text: str) -> list[str]:
    """Decoded readings of ``text``: empty for ordinary text."""
    views: list[str] = []
    if _MORSE_PAIR.search(text):
        for run in _MORSE_RUN.findall(text):
            views.append(_MORSE.decode(run.strip()))
    if b"hh hh" in text.encode("utf-8", "replace").translate(_HEX_CLASS):
        views += _byte_runs(text)
    if _FIRST_FRAGMENT in text:
        views += _assembled_fragments(text)
    for token in _BASE64_TOKEN.findall(text):
        decoded = _base64_text(token)
        if decoded:
            views.append(decoded)
    if _may_be_leetspeak(text) and any(_is_leetspeak(line) for line in text.splitlines()):
        views.append(_LEET_OR_SHORT_DIGITS.sub(lambda m: _LEET.decode(m.group(0)), text))
    if _may_say_reversed(text) and _REVERSED_HINT.search(text):
        views.append(_REVERSE.decode(text))
    if _may_name(text, _ROT13_WORDS) and _ROT13_HINT.search(text):
        views.append(_ROT13.decode(_after_hints(text)))
    if not text.isascii() and _GREEK_OR_CYRILLIC.search(text) and _MIXED_SCRIPT_WORD.search(text):
        views.append(_HOMOGLYPHS.decode(text))
    joined = joined_letters(text)
    if joined is not None:
        views.append(joined)
    repaired = respelled(text)
    if repaired is not None:
        views.append(repaired)
    read = rule_reading(text, repaired)
    if read is not None:
        views.append(read)
    views += embedded_requests(text)
    views += tense_requests(text)
    return [v for v in views if v.strip() and v != text]


def _byte_runs(text: str) -> list[str]:
    """The binary and hexadecimal runs of ``text`` decoded, those that are text
    (a binary run is also a run of hexadecimal-looking pairs: it is read as binary)."""
    out = []
    for pattern, decoder in ((_BINARY_RUN, _BINARY), (_HEX_RUN, _HEX)):
        for run in pattern.findall(text):
            try:
                decoded = str(decoder.decode(run))
            except (ValueError, UnicodeDecodeError):
                continue
            if _mostly_printable(decoded):
                out.append(decoded)
        if out:
            break
    return out


def _assembled_fragments(text: str) -> list[str]:
    """Numbered one-line fragments (``[2] a gas station``) joined in number order,
    when there are at least two and they start at 1."""
    fragments = {int(number): part.strip() for number, part in _NUMBERED_FRAGMENT.findall(text)}
    if len(fragments) < _MIN_FRAGMENTS or 1 not in fragments:
        return []
    return [" ".join(fragments[number] for number in sorted(fragments))]


def _may_be_leetspeak(text: str) -> bool:
    """False only when no line of ``text`` can be leetspeak: fewer than two leet
    words in the whole text. Only the words around a look-alike digit are read."""
    found = 0
    word_end = -1
    for digit in _LEET_DIGIT.finditer(text):
        if digit.start() < word_end:
            continue  # a digit of the word already counted
        start = digit.start()
        # \w is exactly "alphanumeric or underscore": walk back to the word's start.
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
            start -= 1
        word = _WORDS.match(text, start)
        assert word is not None  # the digit itself is a word character
        word_end = word.end()
        if _LEET_WORD.search(word.group(0)):
            found += 1
            if found >= _MIN_LEET_WORDS:
                return True
    return False


def _after_hints(text: str) -> str:
    """The ROT13 payload of ``text``: the lines that do not name ROT13, or when every
    line does, what follows the hint on each. Decoded, the plain-English hint
    would be noise around the payload it introduces."""
    lines = [line for line in text.splitlines() if line.strip()]
    payload = [line for line in lines if not _ROT13_HINT.search(line)]
    if not payload:
        payload = [line[list(_ROT13_HINT.finditer(line))[-1].end() :] for line in lines]
    return "\n".join(payload).strip(" :\n") or text


def _may_say_reversed(text: str) -> bool:
    """False only when ``_REVERSED_HINT`` cannot match."""
    return _may_name(text, _REVERSED_WORDS)


def _may_name(text: str, words: tuple[str, ...]) -> bool:
    """False only when a hint pattern that needs one of ``words`` cannot match.
    Outside ASCII, case-folding matches more than ``str.lower`` shows (the long s),
    so the pattern decides."""
    if not text.isascii():
        return True
    lowered = text.lower()
    return any(word in lowered for word in words)


def _is_leetspeak(line: str) -> bool:
    """A line of leetspeak: enough of its words mix letters and look-alike digits."""
    leet_words = len(_LEET_WORD.findall(line))
    return leet_words >= _MIN_LEET_WORDS and leet_words >= _MIN_LEET_SHARE * len(
        _WORDS.findall(line)
    )


def _base64_text(token: str) -> str | None:
    """The token decoded, when it decodes to mostly printable UTF-8 text."""
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
        decoded = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return decoded if _mostly_printable(decoded) else None


def _mostly_printable(decoded: str) -> bool:
    printable = sum(c.isprintable() or c.isspace() for c in decoded)
    return bool(decoded) and printable / len(decoded) >= _MIN_PRINTABLE_SHARE
