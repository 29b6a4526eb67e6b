"""Image scanning for the guard: safe decoding, OCR, then the text scanners.

Untrusted image bytes are checked in this order, and refused with an
:class:`ImageRejected` (a ConfigError: exit 2 on the CLI, 4xx in the service)
before any pixel is decoded where possible:

1. the magic bytes must say PNG, JPEG, GIF or WebP;
2. the byte size must be under ``max_bytes``;
3. the header's width x height must be under ``max_pixels``, so a
   decompression bomb (a few KB that inflate to gigapixels) is refused
   from its header, never decoded;
4. decoding must complete (a truncated PNG/JPEG is refused, not padded).

The text found by OCR goes through the same pipeline as a text input. A
``redact`` verdict on image text becomes ``block``: pixels cannot be redacted
in place, so the guard does not pass an image it would have edited.
"""

from __future__ import annotations

import asyncio
import io
import time
import warnings
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field

from redline.core import ConfigError, ImagePart, Message, sniff_media_type
from redline.core.images import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_IMAGE_PIXELS
from redline.guard.pipeline import INPUT_ROLES, Guard
from redline.guard.policy import ACTION_RANK
from redline.guard.scanner import Side
from redline.guard.verdict import Verdict

DEFAULT_MAX_PIXELS = DEFAULT_MAX_IMAGE_PIXELS
DEFAULT_MAX_BYTES = DEFAULT_MAX_IMAGE_BYTES


class ImageRejected(ConfigError):
    """An image the guard will not decode: not an image, too large, truncated, a bomb."""


def decode_image(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_bytes: int = DEFAULT_MAX_BYTES
) -> Image.Image:
    """Decode untrusted bytes to an RGB image, or raise :class:`ImageRejected`."""
    if not data:
        raise ImageRejected("not an image: the input is empty")
    media_type = sniff_media_type(data)
    if media_type is None:
        raise ImageRejected(
            f"not an image: the bytes are not PNG, JPEG, GIF or WebP (they start {data[:8]!r})"
        )
    if len(data) > max_bytes:
        raise ImageRejected(f"image is {len(data)} bytes; the limit is {max_bytes}")
    try:
        with warnings.catch_warnings():
            # Pillow warns (and past twice its limit raises) on huge headers;
            # our own pixel limit below is the one that decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels:
                raise ImageRejected(
                    f"image is {width}x{height} = {width * height} pixels; the limit is "
                    f"{max_pixels} (decompression bombs are refused from the header)"
                )
            image.load()
    except ImageRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageRejected(f"image refused as a decompression bomb: {exc}") from None
    except UnidentifiedImageError:
        raise ImageRejected(f"not a readable {media_type} image") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected(f"{media_type} image is truncated or corrupt: {exc}") from None
    return image.convert("RGB")


def stricter(verdict: Verdict, other: Verdict | None) -> Verdict:
    """The verdict with the stricter action (the text one on a tie)."""
    if other is not None and ACTION_RANK[other.action] > ACTION_RANK[verdict.action]:
        return other
    return verdict


class OcrEngine(Protocol):
    """Reads the text in an image (lines joined by newlines)."""

    name: str

    def read(self, image: Image.Image) -> str: ...


class RapidOcrEngine:
    """PP-OCRv4 through ``rapidocr-onnxruntime`` (models ship in the wheel; runs offline).

    Loaded on first use (about a second). The detector's long side is capped
    at ``max_side`` pixels instead of RapidOCR's default of upscaling the short
    side to 736, which made a 640x160 screenshot a 2944x736 one.
    """

    name = "rapidocr"

    def __init__(
        self, *, threads: int = 1, max_side: int = 960, min_score: float = 0.5, border: int = 48
    ) -> None:
        self.threads = threads
        self.border = border
        self.max_side = max_side
        self.min_score = min_score
        self._ocr: Any = None

    def _engine(self) -> Any:
        if self._ocr is None:
            try:
                # Optional extra (redline[ocr]); imported on first use so the
                # guard starts without it when no image is ever checked.
                from rapidocr_onnxruntime import RapidOCR
            except ImportError:
                raise ConfigError(
                    "image scanning needs an OCR engine: pip install 'redline[ocr]' "
                    "(rapidocr-onnxruntime)"
                ) from None
            self._ocr = RapidOCR(
                det_limit_side_len=self.max_side,
                det_limit_type="max",
                intra_op_num_threads=self.threads,
                inter_op_num_threads=1,
                text_score=self.min_score,
            )
        return self._ocr

    def read(self, image: Image.Image) -> str:
        # The detector missed whole lines that ran to within ~30 px of the left or
        # right edge (tight screenshots, rendered text); a border of the corner
        # colour fixed every case we tried.
        corner = image.getpixel((0, 0))
        fill = corner if isinstance(corner, tuple) else 255
        padded = ImageOps.expand(image, border=self.border, fill=fill)
        result, _ = self._engine()(np.asarray(padded)[:, :, ::-1])  # RapidOCR wants BGR
        return "\n".join(str(line[1]) for line in result or ())


class ImageText(BaseModel):
    """What OCR found in one image."""

    model_config = ConfigDict(extra="forbid")
    sha256: str
    media_type: str
    width: int
    height: int
    text: str
    ocr_ms: float = Field(ge=0.0)


class ImageScanner:
    """Decodes untrusted images within limits and reads their text."""

    def __init__(
        self,
        *,
        engine: OcrEngine | None = None,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.engine = engine or RapidOcrEngine()
        self.max_pixels = max_pixels
        self.max_bytes = max_bytes

    def read(self, part: ImagePart) -> ImageText:
        """OCR of one image part (decoded within the limits first)."""
        return self._ocr(part, self._decode(part.require_data()))

    def read_bytes(self, data: bytes) -> ImageText:
        """OCR of raw file bytes (``redline guard check --image``)."""
        image = self._decode(data)
        return self._ocr(ImagePart.from_bytes(data), image)

    def _decode(self, data: bytes) -> Image.Image:
        return decode_image(data, max_pixels=self.max_pixels, max_bytes=self.max_bytes)

    def _ocr(self, part: ImagePart, image: Image.Image) -> ImageText:
        started = time.perf_counter()
        text = self.engine.read(image)
        return ImageText(
            sha256=part.sha256,
            media_type=part.media_type,
            width=image.width,
            height=image.height,
            text=text,
            ocr_ms=(time.perf_counter() - started) * 1000.0,
        )


class ImageCheck(BaseModel):
    """The guard's answer for images: the verdict on their text, and the text read."""

    model_config = ConfigDict(extra="forbid")
    action: str
    verdict: Verdict | None = None
    images: list[ImageText] = Field(default_factory=list)


def image_text_verdict(guard: Guard, texts: Sequence[ImageText], *, side: Side) -> Verdict | None:
    """The pipeline's verdict on the images' text (None when OCR found none)."""
    joined = "\n\n".join(t.text for t in texts if t.text.strip())
    if not joined:
        return None
    verdict = guard.check_input(joined) if side == "input" else guard.check_output([], joined)
    if verdict.action == "redact":
        reasons = [*verdict.reasons, "image text needs redaction; images cannot be redacted"]
        verdict = verdict.model_copy(
            update={"action": "block", "reasons": reasons, "redacted_text": None}
        )
    return verdict


def check_images(
    guard: Guard, scanner: ImageScanner, images: Sequence[ImagePart], *, side: Side = "input"
) -> ImageCheck:
    """OCR every image, then run the guard's text scanners on what was read."""
    texts = [scanner.read(part) for part in images]
    verdict = image_text_verdict(guard, texts, side=side)
    return ImageCheck(action=verdict.action if verdict else "allow", verdict=verdict, images=texts)


def input_images(messages: Sequence[Message]) -> list[ImagePart]:
    """Images in the messages the guard checks on the way in (user and tool)."""
    return [p for m in messages if m.role in INPUT_ROLES for p in (m.images or ())]


async def acheck_message_images(
    guard: Guard, scanner: ImageScanner, messages: Sequence[Message]
) -> ImageCheck | None:
    """:func:`check_images` on the input images of a chat, off the event loop
    (OCR is CPU-bound); None when there are no images."""
    images = input_images(messages)
    if not images:
        return None
    return await asyncio.to_thread(check_images, guard, scanner, images)
