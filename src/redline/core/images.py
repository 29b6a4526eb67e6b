"""Images attached to messages: the content-addressed record and the byte-level
checks every layer can make without decoding pixels.

A serialised :class:`ImagePart` holds only the SHA-256 of the bytes, the media
type and the size; the bytes themselves live in the run directory's image store
(``images/<sha256>.<ext>``) and, in memory, in ``data``. Decoding pixels (and
refusing decompression bombs) is the job of the layers that need pixels; here we
only recognise formats by their magic bytes and read data URLs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from redline.core.errors import ConfigError

# Limits on untrusted images (the guard's service and proxy): a 4000 x 4000 photo is far
# above any chat screenshot; the pixel limit is checked from the header, before decoding.
DEFAULT_MAX_IMAGE_PIXELS = 16_000_000
DEFAULT_MAX_IMAGE_BYTES = 10_000_000

ImageMediaType = Literal["image/png", "image/jpeg", "image/gif", "image/webp"]
IMAGE_MEDIA_TYPES: tuple[str, ...] = get_args(ImageMediaType)
EXTENSIONS: dict[str, str] = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
}


def sniff_media_type(data: bytes) -> str | None:
    """The image media type the magic bytes announce, or None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class ImagePart(BaseModel):
    """An image sent with a message, addressed by the SHA-256 of its bytes."""

    model_config = ConfigDict(extra="forbid")
    sha256: str
    media_type: ImageMediaType
    width: int | None = None
    height: int | None = None
    # The bytes travel in memory only: run files keep the address, the image
    # store keeps the bytes once.
    data: bytes | None = Field(default=None, exclude=True, repr=False)

    @classmethod
    def from_bytes(
        cls, data: bytes, *, width: int | None = None, height: int | None = None
    ) -> ImagePart:
        """An image part for ``data``; ConfigError if the bytes are not a known image format."""
        media_type = sniff_media_type(data)
        if media_type is None:
            raise ConfigError(
                "not an image: the bytes are not PNG, JPEG, GIF or WebP "
                f"(they start with {data[:8]!r})"
            )
        return cls(
            sha256=hashlib.sha256(data).hexdigest(),
            media_type=media_type,  # type: ignore[arg-type]
            width=width,
            height=height,
            data=data,
        )

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.media_type]

    def require_data(self) -> bytes:
        """The bytes; a ConfigError when only the address was loaded (from a run file)."""
        if self.data is None:
            raise ConfigError(
                f"image {self.sha256[:12]} has no bytes loaded; read it through the run's "
                "image store (redline.store.ImageStore.hydrate)"
            )
        return self.data

    def base64(self) -> str:
        return base64.b64encode(self.require_data()).decode("ascii")

    def data_url(self) -> str:
        """``data:<media type>;base64,...``, the form OpenAI-compatible APIs take."""
        return f"data:{self.media_type};base64,{self.base64()}"


def parse_data_url(url: str, *, max_bytes: int) -> ImagePart:
    """An image part from a ``data:image/...;base64,`` URL.

    ConfigError (one line: what is wrong) for another scheme, bad base64,
    bytes over ``max_bytes``, or bytes that are not an image.
    """
    if not url.startswith("data:"):
        raise ConfigError(
            "image_url must be a data: URL (data:image/png;base64,...); "
            "remote image URLs are not fetched"
        )
    header, sep, payload = url.partition(",")
    if not sep or not header.endswith(";base64"):
        raise ConfigError("image data URL must be base64 (data:image/png;base64,...)")
    # Four base64 characters carry three bytes: refuse before decoding.
    if len(payload) // 4 * 3 > max_bytes:
        raise ConfigError(f"image is larger than the limit of {max_bytes} bytes")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("image data URL is not valid base64") from None
    part = ImagePart.from_bytes(data)
    declared = header[len("data:") : -len(";base64")]
    if declared and declared != part.media_type and declared in IMAGE_MEDIA_TYPES:
        raise ConfigError(f"image data URL says {declared} but the bytes are {part.media_type}")
    return part
