"""Text at the guard's boundary: first made safe to handle, then normalised for classifying.

Both steps live here so that every way in (the :class:`~redline.guard.Guard` API, the
HTTP service, the proxy, the CLI) treats text the same way.

1. :func:`clean_text` turns whatever arrives into text that every scanner, classifier,
   log file and HTTP response can handle: bytes are decoded as UTF-8 with U+FFFD for
   invalid sequences, surrogate pairs are joined, lone surrogates and NUL become U+FFFD.
   This cleaned text is what the guard forwards, redacts and logs.
2. :class:`Normaliser` builds the *classification view* of a cleaned text, the text that
   scanners read: NFKC (fullwidth, mathematical and circled letters become ASCII),
   diacritics on Latin letters removed ("Ígnore", stacked combining marks), invisible
   characters deleted (zero-width, bidi controls, tag characters, variation selectors,
   other format and control characters, U+FFFD), look-alike letters of other scripts
   replaced inside Latin words and in words made only of look-alikes next to a Latin
   word ("rob а gas", homoglyphs), and the guard's own redaction placeholders
   replaced by a neutral word. Each character of the view knows which range of the original it
   came from (:class:`TextView`), so a span found in the view redacts the original.
"""

from __future__ import annotations

import bisect
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

from redline.core import Message
from redline.guard.scanner import ScanContext, ScanResult, Segment, Span

REPLACEMENT_CHARACTER = "\ufffd"
LOOKALIKES_FILE = "confusable_letters.tsv"
# What a redaction placeholder reads as in the view: a plain word keeps the sentence
# grammatical, and says what is there (a value that was removed). Deleting the
# placeholder instead leaves "my card is  my mail" fragments that classifiers read as
# personal-data talk (docs/benchmarks.md, "guard placeholders").
PLACEHOLDER_STAND_IN = "redacted"

# Characters that render as nothing (or as nothing meaningful) and so can split a word
# without a reader noticing. Format (Cf) and control (Cc) characters are found by category.
_INVISIBLE_EXTRA = frozenset(
    "\u034f"  # combining grapheme joiner
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers
    "\u2800"  # Braille blank
    "\u180e" + REPLACEMENT_CHARACTER  # Mongolian vowel separator
)
_VARIATION_SELECTORS = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
_LINE_BREAKS = frozenset("\u0085\u2028\u2029")
# Anything outside printable ASCII, tab, CR and LF needs a closer look; words of another
# script separated by spaces are taken as one run (the two classes are disjoint, so
# matching stays linear).
_NOT_PLAIN_ASCII = r"[^\t\n\r\x20-\x7e]+(?: +[^\t\n\r\x20-\x7e]+)*"
# Blocks of letters with no compatibility forms and no marks, all assigned: the view
# keeps them, so the class of characters it changes is built without looking at each.
_PLAIN_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xA000, 0xA48C), (0xAC00, 0xD7A3))
_SURROGATES = (0xD800, 0xDFFF)


def clean_text(value: str | bytes) -> str:
    """``value`` as text every part of the guard can handle (see the module docstring).

    Lengths are kept where they can be: a lone surrogate or a NUL becomes one U+FFFD,
    so offsets into the cleaned text match the caller's text.
    """
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("utf-8", errors="replace")
    else:
        text = value
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # UTF-16 pairs surrogates up again; whatever stays alone becomes U+FFFD.
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if "\x00" in text:
        text = text.replace("\x00", REPLACEMENT_CHARACTER)
    return text


def clean_message(message: Message) -> Message:
    """``message`` with its content cleaned (the same object when nothing changed)."""
    content = clean_text(message.content)
    return (
        message if content == message.content else message.model_copy(update={"content": content})
    )


def clean_json(value: Any) -> Any:
    """A parsed JSON document with every string in it (keys too) cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k) if isinstance(k, str) else k: clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    return value


# Characters that some readers (Python's str.splitlines, JavaScript before ES2019) take
# for line ends. JSON may escape any character, and these only occur inside strings.
_LINE_END_ESCAPES = str.maketrans({"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def one_line_json(value: Any) -> str:
    """``value`` as JSON that is one line for every reader and encodes as UTF-8
    whatever strings it holds (for JSONL files and server-sent events)."""
    return clean_text(json.dumps(value, ensure_ascii=False)).translate(_LINE_END_ESCAPES)


@dataclass(frozen=True, slots=True)
class _Piece:
    """View characters ``[view_start, view_end)`` came from original ``[start, end)``;
    ``exact`` when they correspond one character to one."""

    view_start: int
    view_end: int
    start: int
    end: int
    exact: bool


class TextView:
    """The classification view of one text and the map back to the original."""

    def __init__(self, original: str, text: str, pieces: list[_Piece]) -> None:
        self.original = original
        self.text = text
        self._pieces = pieces
        self._view_starts = [p.view_start for p in pieces]
        self._starts = [p.start for p in pieces]

    @classmethod
    def identity(cls, text: str) -> TextView:
        return cls(text, text, [_Piece(0, len(text), 0, len(text), True)] if text else [])

    @property
    def is_identity(self) -> bool:
        return self.text is self.original

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The original range that view range ``[start, end)`` came from."""
        if self.is_identity or not self._pieces:
            return start, end
        first = self._pieces[max(bisect.bisect_right(self._view_starts, start) - 1, 0)]
        low = first.start + (start - first.view_start) if first.exact else first.start
        if end <= start:
            return low, low
        last = self._pieces[max(bisect.bisect_right(self._view_starts, end - 1) - 1, 0)]
        high = last.start + (end - 1 - last.view_start) + 1 if last.exact else last.end
        return min(low, len(self.original)), min(max(high, low), len(self.original))

    def to_view(self, position: int) -> int:
        """Where original offset ``position`` falls in the view."""
        if self.is_identity or not self._pieces:
            return min(position, len(self.text))
        index = bisect.bisect_right(self._starts, position) - 1
        if index < 0:
            return 0
        piece = self._pieces[index]
        if position >= piece.end:
            return piece.view_end
        if piece.exact:
            return piece.view_start + (position - piece.start)
        return piece.view_start if position == piece.start else piece.view_end

    def result_to_original(self, result: ScanResult, offset: int = 0) -> ScanResult:
        """``result`` of a scan of the view (from view offset ``offset``) with its spans
        moved onto the original text."""
        if self.is_identity and offset == 0:
            return result
        spans = []
        for span in result.spans:
            start, end = self.to_original(span.start + offset, span.end + offset)
            spans.append(Span(start, end, span.category, span.score))
        return ScanResult(scores=result.scores, spans=spans, notes=result.notes)


def _load_lookalikes() -> tuple[dict[int, str], dict[int, str]]:
    always: dict[int, str] = {}
    mixed: dict[int, str] = {}
    text = files("redline.guard").joinpath(LOOKALIKES_FILE).read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, latin, scope, *_ = line.split("\t")
        (always if scope == "always" else mixed)[int(code.removeprefix("U+"), 16)] = latin
    return always, mixed


_ALWAYS, _MIXED = _load_lookalikes()
_MIXED_CHAR = re.compile("[" + "".join(map(chr, sorted(_MIXED))) + "]")
_WORD = re.compile(r"\w+")
_HAS_LATIN = re.compile(r"[A-Za-z]")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A word of look-alikes only is folded when a word this close (in characters of
# space or punctuation) has Latin letters.
_NEIGHBOUR_GAP = 3

# How one character is treated when it is not plain ASCII (ordered: below _MARK, a
# character starts a new cluster).
_KEEP, _FOLD, _MARK, _DROP = range(4)


def _classify(char: str) -> int:
    if char in _INVISIBLE_EXTRA or any(lo <= ord(char) <= hi for lo, hi in _VARIATION_SELECTORS):
        return _DROP
    category = unicodedata.category(char)
    if category in ("Cf", "Cc", "Cs", "Cn") and char not in _LINE_BREAKS:
        # Unassigned beyond the BMP may be an emoji or ideograph newer than this Python.
        return _KEEP if category == "Cn" and ord(char) > 0xFFFF else _DROP
    if category[0] == "M":
        return _MARK
    if char in _LINE_BREAKS or ord(char) in _ALWAYS:
        return _FOLD
    if not unicodedata.decomposition(char):
        return _KEEP  # nothing to decompose: NFKC leaves a lone character as it is
    return _KEEP if _fold(char) == char else _FOLD


_kind = lru_cache(maxsize=65536)(_classify)


def _bmp_codes() -> Iterator[int]:
    cursor = 0x80
    for low, high in sorted((*_PLAIN_BLOCKS, _SURROGATES)):
        yield from range(cursor, low)
        cursor = high + 1
    yield from range(cursor, 0x10000)


def _character_class(ranges: list[list[int]], extra: str) -> re.Pattern[str]:
    spans = "".join(
        re.escape(chr(low)) + ("-" + re.escape(chr(high)) if high > low else "")
        for low, high in ranges
    )
    return re.compile(f"[{spans}{extra}]")


@lru_cache(maxsize=1)
def _character_classes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Two classes, worked out once for the BMP (and named blocks beyond it):
    characters the view changes or drops, and those it does not replace one for one
    (dropped, marks, folds into several characters)."""
    changed: list[list[int]] = [list(_SURROGATES)]
    not_one_for_one: list[list[int]] = [list(_SURROGATES)]
    for code in _bmp_codes():
        kind = _classify(chr(code))
        if kind == _KEEP:
            continue
        targets = [changed]
        if kind != _FOLD or len(_fold(chr(code))) != 1:
            targets.append(not_one_for_one)
        for ranges in targets:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    # Beyond the BMP, everything but emoji and CJK ideographs (kept as they are) goes
    # the character-by-character way: rare in running text, and it holds mathematical
    # letters, format controls, combining marks, tags and variation selectors.
    astral = "\U00010000-\U0001f2ff\U0001fb00-\U0001ffff\U0002f800-\U0002fa1f\U00040000-\U0010ffff"
    controls = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
    return (
        _character_class(changed, astral + controls),
        _character_class(not_one_for_one, astral + controls),
    )


class _OneForOne(dict[int, str]):
    """``str.translate`` table of every character to its view, filled as characters are
    met (only characters that fold one for one ever reach it)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        value = _fold(char) if _kind(char) == _FOLD else char
        if code <= 0xFFFF:  # bounded: at most the BMP is ever stored
            self[code] = value
        return value


_ONE_FOR_ONE = _OneForOne()


def _unchanged(run: str) -> bool:
    """Whether a run of non-ASCII text is its own view (most words of most scripts)."""
    return _character_classes()[0].search(run) is None


@lru_cache(maxsize=8192)
def _fold(cluster: str) -> str:
    """One base character and its combining marks, as the view shows them."""
    if cluster[0] in _LINE_BREAKS:
        return "\n"
    decomposed = unicodedata.normalize("NFKD", cluster)
    if decomposed[:1].isascii():
        # A Latin letter: every diacritic goes, so stacked marks cannot hide a word.
        kept = "".join(c for c in decomposed if unicodedata.category(c)[0] != "M")
        folded = unicodedata.normalize("NFKC", kept)
    else:
        folded = unicodedata.normalize("NFKC", cluster)
    return folded.translate(_ALWAYS)


def _replace_mixed_lookalikes(text: str) -> str:
    """Look-alikes replaced inside words that also have Latin letters, and in words
    made only of look-alikes next to a Latin word. Each word is looked at once, from
    a look-alike in it (and its neighbours at most twice more), so any text takes
    linear time."""
    if _MIXED_CHAR.search(text) is None or _HAS_LATIN.search(text) is None:
        return text
    pieces = []
    cursor = 0
    found = _MIXED_CHAR.search(text)
    while found is not None:
        start = found.start()
        while start > cursor and (text[start - 1].isalnum() or text[start - 1] == "_"):
            start -= 1
        word = _WORD.match(text, found.start())
        end = word.end() if word else found.end()
        if _HAS_LATIN.search(text, start, end) or (
            _all_lookalikes(text, start, end) and _next_to_latin(text, start, end)
        ):
            pieces.append(text[cursor:start])
            pieces.append(text[start:end].translate(_MIXED))
            cursor = end
        found = _MIXED_CHAR.search(text, max(end, found.end()))
    pieces.append(text[cursor:])
    return "".join(pieces)


def _all_lookalikes(text: str, start: int, end: int) -> bool:
    """Whether every letter of ``text[start:end]`` is a look-alike of a Latin letter
    ("а", "сору" in Cyrillic): such a word can hide inside English whole."""
    return all(ord(char) in _MIXED for char in text[start:end])


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # \w, as _WORD reads words


def _next_to_latin(text: str, start: int, end: int) -> bool:
    """Whether the word before or after ``text[start:end]`` (across at most
    :data:`_NEIGHBOUR_GAP` characters of space or punctuation) has Latin letters:
    "rob а gas", "someone'ѕ". In Russian or Greek text the neighbours are Russian
    or Greek, and a one-letter word such as "а" or "с" stays as it is."""
    before = start
    while before > 0 and start - before < _NEIGHBOUR_GAP and not _is_word_char(text[before - 1]):
        before -= 1
    word_end = before
    while before > 0 and _is_word_char(text[before - 1]):
        before -= 1
    if word_end > before and _HAS_LATIN.search(text, before, word_end):
        return True
    after = end
    while after < len(text) and after - end < _NEIGHBOUR_GAP and not _is_word_char(text[after]):
        after += 1
    word_start = after
    while after < len(text) and _is_word_char(text[after]):
        after += 1
    return after > word_start and _HAS_LATIN.search(text, word_start, after) is not None


class Normaliser:
    """Builds classification views; ``placeholders`` are the redaction markers this
    guard writes (``[EMAIL]``), which the view replaces by :data:`PLACEHOLDER_STAND_IN`."""

    def __init__(self, placeholders: Iterable[str] = ()) -> None:
        markers = sorted({p for p in placeholders if p}, key=len, reverse=True)
        self._markers = re.compile("|".join(map(re.escape, markers))) if markers else None
        alternatives = [f"(?P<marker>{self._markers.pattern})"] if self._markers else []
        self._special = re.compile("|".join([*alternatives, _NOT_PLAIN_ASCII]))
        _character_classes()  # built now, with the guard, not on the first request

    def _plain(self, text: str) -> bool:
        if not text.isascii() or _ASCII_CONTROL.search(text):
            return False
        return self._markers is None or "[" not in text or self._markers.search(text) is None

    def view(self, text: str) -> TextView:
        """The classification view of ``text`` (already cleaned by :func:`clean_text`)."""
        if self._plain(text):
            return TextView.identity(text)
        changed, not_one_for_one = _character_classes()
        if self._markers is None or self._markers.search(text) is None:
            # Most text of most scripts needs no change, or one character for one
            # (accents, fullwidth forms), done in C; offsets stay as they are.
            if changed.search(text) is not None:
                if not_one_for_one.search(text) is not None:
                    return self._rebuilt(text)
                folded = text.translate(_ONE_FOR_ONE)
            else:
                folded = text
            view_text = _replace_mixed_lookalikes(folded)
            if view_text is text:
                return TextView.identity(text)
            return TextView(text, view_text, [_Piece(0, len(text), 0, len(text), True)])
        return self._rebuilt(text)

    def _rebuilt(self, text: str) -> TextView:
        """The view character by character: placeholders, dropped characters, marks."""
        builder = _ViewBuilder(text)
        cursor = 0
        for match in self._special.finditer(text):
            if match.lastgroup != "marker" and _unchanged(match.group(0)):
                continue  # its own view: the next copy takes it along
            builder.copy(cursor, match.start())
            if match.lastgroup == "marker":
                builder.emit(PLACEHOLDER_STAND_IN, match.start(), match.end())
            else:
                builder.fold_run(match.start(), match.end())
            cursor = match.end()
        builder.copy(cursor, len(text))
        view_text = _replace_mixed_lookalikes("".join(builder.out))
        pieces = [_Piece(*piece) for piece in builder.pieces]
        return TextView(text, view_text, pieces)

    def context(self, context: ScanContext, view: TextView) -> ScanContext:
        """``context`` as the scanners reading ``view`` see it: normalised messages and
        segments in view offsets."""
        messages = []
        changed = False
        for message in context.messages:
            content = self.view(message.content)
            if content.is_identity:
                messages.append(message)
            else:
                changed = True
                messages.append(message.model_copy(update={"content": content.text}))
        if view.is_identity and not changed:
            return context
        segments = [
            Segment(view.to_view(s.start), view.to_view(s.end), s.role) for s in context.segments
        ]
        return ScanContext(side=context.side, messages=tuple(messages), segments=segments)


class _ViewBuilder:
    """Accumulates the view and its pieces; pieces are mutable lists here (one per
    character otherwise) and become :class:`_Piece` at the end."""

    def __init__(self, original: str) -> None:
        self.original = original
        self.out: list[str] = []
        self.pieces: list[list[Any]] = []  # [view_start, view_end, start, end, exact]
        self.length = 0

    def emit(self, text: str, start: int, end: int) -> None:
        size = len(text)
        exact = size == end - start
        last = self.pieces[-1] if self.pieces else None
        if exact and last is not None and last[4] and last[3] == start:
            last[1] += size
            last[3] = end
        elif text:
            self.pieces.append([self.length, self.length + size, start, end, exact])
        self.out.append(text)
        self.length += size

    def copy(self, start: int, end: int) -> None:
        if end > start:
            self.emit(self.original[start:end], start, end)

    def fold_run(self, start: int, end: int) -> None:
        text = self.original
        index = keep_from = start
        while index < end:
            kind = _kind(text[index])
            if kind == _KEEP and (index + 1 == end or _kind(text[index + 1]) < _MARK):
                index += 1  # kept as it is: copied with its neighbours in one piece
                continue
            self.copy(keep_from, index)
            if kind in (_DROP, _MARK):
                # A mark with no base in this run sits on a plain ASCII character: it
                # goes, as diacritics on Latin letters go.
                index += 1
            else:
                stop = index + 1
                while stop < end and _kind(text[stop]) in (_DROP, _MARK):
                    stop += 1
                marks = "".join(c for c in text[index + 1 : stop] if _kind(c) == _MARK)
                self.emit(_fold(text[index] + marks), index, stop)
                index = stop
            keep_from = index
        self.copy(keep_from, end)
