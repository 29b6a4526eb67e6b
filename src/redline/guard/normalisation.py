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
   replaced inside Latin words (homoglyphs), and the guard's own redaction placeholders
   replaced by a neutral word. Each character of the view knows which range of the original it
   came from (:class:`TextView`), so a span found in the view redacts the original.
"""

from __future__ import annotations

import bisect
import json
import re
import unicodedata
from collections.abc import Iterable
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
# Anything outside printable ASCII, tab, CR and LF needs a closer look.
_NOT_PLAIN_ASCII = r"[^\t\n\r\x20-\x7e]+"


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
_MIXED_WORD = re.compile(
    r"\w*[" + "".join(map(chr, sorted(_MIXED))) + r"]\w*"  # words with a foreign look-alike
)
_HAS_LATIN = re.compile(r"[A-Za-z]")


def _is_invisible(char: str) -> bool:
    if char in _INVISIBLE_EXTRA:
        return True
    code = ord(char)
    if any(low <= code <= high for low, high in _VARIATION_SELECTORS):
        return True
    return unicodedata.category(char) in ("Cf", "Cc", "Cs", "Cn") and char not in _LINE_BREAKS


def _is_mark(char: str) -> bool:
    return unicodedata.category(char)[0] == "M"


@lru_cache(maxsize=8192)
def _fold(cluster: str) -> str:
    """One base character and its combining marks, as the view shows them."""
    if cluster[0] in _LINE_BREAKS:
        return "\n"
    decomposed = unicodedata.normalize("NFKD", cluster)
    if decomposed[:1].isascii():
        # A Latin letter: every diacritic goes, so stacked marks cannot hide a word.
        kept = "".join(c for c in decomposed if not _is_mark(c))
        folded = unicodedata.normalize("NFKC", kept)
    else:
        folded = unicodedata.normalize("NFKC", cluster)
    return folded.translate(_ALWAYS)


def _replace_mixed_lookalikes(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        return word.translate(_MIXED) if _HAS_LATIN.search(word) else word

    return _MIXED_WORD.sub(replace, text)


class Normaliser:
    """Builds classification views; ``placeholders`` are the redaction markers this
    guard writes (``[EMAIL]``), which the view replaces by :data:`PLACEHOLDER_STAND_IN`."""

    def __init__(self, placeholders: Iterable[str] = ()) -> None:
        markers = sorted({p for p in placeholders if p}, key=len, reverse=True)
        alternatives = [f"(?P<marker>{'|'.join(map(re.escape, markers))})"] if markers else []
        self._special = re.compile("|".join([*alternatives, _NOT_PLAIN_ASCII]))

    def view(self, text: str) -> TextView:
        """The classification view of ``text`` (already cleaned by :func:`clean_text`)."""
        if self._special.search(text) is None:
            return TextView.identity(text)
        builder = _ViewBuilder(text)
        cursor = 0
        for match in self._special.finditer(text):
            builder.copy(cursor, match.start())
            if match.lastgroup == "marker":
                builder.emit(PLACEHOLDER_STAND_IN, match.start(), match.end())
            else:
                builder.fold_run(match.start(), match.end())
            cursor = match.end()
        builder.copy(cursor, len(text))
        view_text = _replace_mixed_lookalikes("".join(builder.out))
        return TextView(text, view_text, builder.pieces)

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
    def __init__(self, original: str) -> None:
        self.original = original
        self.out: list[str] = []
        self.pieces: list[_Piece] = []
        self.length = 0

    def emit(self, text: str, start: int, end: int) -> None:
        exact = len(text) == end - start
        last = self.pieces[-1] if self.pieces else None
        if exact and last is not None and last.exact and last.end == start:
            self.pieces[-1] = _Piece(
                last.view_start, self.length + len(text), last.start, end, True
            )
        elif text:
            self.pieces.append(_Piece(self.length, self.length + len(text), start, end, exact))
        self.out.append(text)
        self.length += len(text)

    def copy(self, start: int, end: int) -> None:
        if end > start:
            self.emit(self.original[start:end], start, end)

    def fold_run(self, start: int, end: int) -> None:
        text = self.original
        index = start
        while index < end:
            char = text[index]
            if _is_invisible(char) or _is_mark(char):
                # A mark with no base here sits on a plain ASCII character: drop it, as
                # diacritics on Latin letters are dropped.
                index += 1
                continue
            stop = index + 1
            marks = []
            while stop < end and (_is_mark(text[stop]) or _is_invisible(text[stop])):
                if not _is_invisible(text[stop]):
                    marks.append(text[stop])
                stop += 1
            self.emit(_fold(char + "".join(marks)), index, stop)
            index = stop
