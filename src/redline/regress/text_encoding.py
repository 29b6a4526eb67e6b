"""Decoding report files that are not always UTF-8.

Trust-and-safety exports come out of spreadsheets and ticketing systems, so
UTF-16 with a BOM and Windows-1252 are common. We detect what a BOM says,
try strict UTF-8, and otherwise decode as Windows-1252 (falling back to
Latin-1, which decodes any byte) and say so with the position of the first
byte that was not UTF-8, so nothing is mis-decoded without a word.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from redline.core import ConfigError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str
    encoding: str
    note: str | None = None


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def decode_report_bytes(data: bytes, *, source: str, encoding: str = "auto") -> DecodedText:
    """Decode a report file's bytes; see :func:`redline.regress.read_reports`."""
    if encoding != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(f"--encoding {encoding!r}: unknown encoding") from None
        try:
            return DecodedText(data.decode(encoding), encoding)
        except UnicodeDecodeError as exc:
            line, column = _position(data, exc.start)
            raise ConfigError(
                f"{source}:{line}:{column}: byte 0x{data[exc.start]:02x} is not valid "
                f"{encoding}; try --encoding auto"
            ) from None
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return DecodedText(data.decode(name), name)
            except UnicodeDecodeError as exc:
                raise ConfigError(
                    f"{source}: starts with a {name} byte-order mark but does not decode as "
                    f"{name} at byte {exc.start}"
                ) from None
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start)
        first_bad = f"line {line}, column {column} (byte 0x{data[exc.start]:02x})"
    try:
        text, used = data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        text, used = data.decode("latin-1"), "latin-1"
    note = (
        f"{source}: not UTF-8 (first non-UTF-8 byte at {first_bad}); decoded as {used}. "
        "Pass --encoding NAME if that is wrong."
    )
    return DecodedText(text, used, note)
