"""Proving that every match of a regex contains one of some literal keywords.

A keyword prefilter skips a regex on texts that hold none of its keywords; that is
only sound when *every* string the regex can match contains a keyword. This module
checks it from the pattern's syntax tree: runs of pieces that match finitely many
strings (literals, small character classes, alternations of those, ``?``) are
expanded into every string they can match, and a run is proven when each of those
strings contains a keyword; a pattern is proven when one of its runs is, or one of
its mandatory groups is (an alternation: when every branch is).

Matching is case-insensitive: strings are compared lower-cased, and the text a
prefilter looks at must be folded with :func:`fold_for_keywords` first.

The syntax tree comes from :mod:`re`'s own parser (``re._parser``, private): when it
is missing or reads a pattern differently, nothing is proven and a prefilter built
on this stays off (slower, never wrong).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from typing import Any

try:  # Python >= 3.11 names it re._parser; older ones sre_parse.
    import re._constants as _sre
    import re._parser as _parser
except ImportError:  # pragma: no cover - depends on the interpreter
    _parser = None
    _sre = None

# Expansions larger than this are not tried (the run is then judged piece by piece).
MAX_STRINGS = 4096
_MAX_CLASS = 16
_MAX_REPEAT = 3

# Non-ASCII characters that ``re.IGNORECASE`` equates with an ASCII letter but that
# ``str.lower`` does not turn into it ("İ".lower() is "i" + a combining dot). The
# test suite checks every code point, so the table cannot miss one.
_TO_ASCII = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def fold_for_keywords(text: str) -> str:
    """``text`` as the keywords are compared with: lower-cased, with the non-ASCII
    letters that a case-insensitive regex reads as ASCII ones replaced by those."""
    if not text.isascii():
        text = text.translate(_TO_ASCII)
    return text.lower()


def _strings(items: Iterable[Any]) -> frozenset[str] | None:
    """Every string a sequence of pieces can match, or None (unbounded or too many)."""
    found: frozenset[str] = frozenset({""})
    for item in items:
        piece = _piece_strings(item)
        if piece is None:
            return None
        if len(found) * len(piece) > MAX_STRINGS:
            return None
        found = frozenset(a + b for a, b in itertools.product(found, piece))
    return found


def _class_strings(members: Sequence[tuple[Any, Any]]) -> frozenset[str] | None:
    chars: set[str] = set()
    for op, value in members:
        if op is _sre.LITERAL and value < 128:
            chars.add(chr(value).lower())
        elif op is _sre.RANGE and value[1] < 128 and value[1] - value[0] < _MAX_CLASS:
            chars.update(chr(c).lower() for c in range(value[0], value[1] + 1))
        else:  # NEGATE, CATEGORY, a wide range
            return None
    return frozenset(chars) if len(chars) <= _MAX_CLASS else None


def _piece_strings(item: tuple[Any, Any]) -> frozenset[str] | None:
    op, value = item
    if op is _sre.LITERAL:
        # A non-ASCII literal may match characters its lower case does not hold.
        return frozenset({chr(value).lower()}) if value < 128 else None
    if op is _sre.IN:
        return _class_strings(value)
    if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
        return frozenset({""})  # zero-width: adds nothing a keyword could need
    if op is _sre.SUBPATTERN:
        return _strings(value[-1])
    if op is _sre.BRANCH:
        branches = [_strings(branch) for branch in value[1]]
        if any(b is None for b in branches):
            return None
        union = frozenset().union(*branches)  # type: ignore[arg-type]
        return union if len(union) <= MAX_STRINGS else None
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and value[1] <= _MAX_REPEAT:
        low, high, inner = value
        found: set[str] = set()
        for count in range(low, high + 1):
            repeated = _strings(list(inner) * count)
            if repeated is None:
                return None
            found.update(repeated)
        return frozenset(found)
    return None


def _all_contain(strings: frozenset[str], keywords: Sequence[str]) -> bool:
    return all(any(k in s for k in keywords) for s in strings)


def _sequence_needs(items: Sequence[Any], keywords: Sequence[str]) -> bool:
    run: list[Any] = []
    for item in [*items, None]:  # None ends the last run
        strings = None if item is None else _piece_strings(item)
        if strings is not None:
            run.append(item)
            continue
        if run:
            expanded = _strings(run)
            if expanded is not None and _all_contain(expanded, keywords):
                return True
            run = []
    # A run too large to expand, or an unbounded piece: look inside each piece.
    return any(_piece_needs(item, keywords) for item in items)


def _piece_needs(item: tuple[Any, Any], keywords: Sequence[str]) -> bool:
    op, value = item
    strings = _piece_strings(item)
    if strings is not None and strings and _all_contain(strings, keywords):
        return True
    if op is _sre.SUBPATTERN:
        return _sequence_needs(value[-1], keywords)
    if op is _sre.BRANCH:
        return all(_sequence_needs(branch, keywords) for branch in value[1])
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)):
        return value[0] >= 1 and _sequence_needs(value[2], keywords)
    if op is getattr(_sre, "ATOMIC_GROUP", None):
        return _sequence_needs(value, keywords)
    return False


def needs_one_of(pattern: str, keywords: Sequence[str]) -> bool:
    """True when every match of ``pattern`` (compiled case-insensitively) contains one
    of ``keywords`` (lower-case) once folded with :func:`fold_for_keywords`; False
    when that cannot be shown."""
    if _parser is None or not keywords:
        return False
    try:
        tree = _parser.parse(pattern, re.IGNORECASE)
    except re.error:
        return False
    return _sequence_needs(list(tree), [k.lower() for k in keywords])
