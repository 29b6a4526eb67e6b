"""Small image thumbnails for report transcripts, as data URLs so a report
stays one self-contained file that works offline."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

from PIL import Image

from redline.core import ConfigError, ImagePart
from redline.store import ImageStore

THUMBNAIL_SIDE = 160


def thumbnail_data_url(data: bytes, *, side: int = THUMBNAIL_SIDE) -> str:
    """A PNG thumbnail (longest side ``side`` pixels) of trusted image bytes."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.thumbnail((side, side))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def message_thumbnails(
    images: Sequence[ImagePart] | None, store: ImageStore | None
) -> list[dict[str, str]]:
    """For each image: its address and a thumbnail (empty when the bytes are missing)."""
    out = []
    for part in images or ():
        thumbnail = ""
        try:
            data = part.data if part.data is not None else (store and store.load(part).data)
            if data:
                thumbnail = thumbnail_data_url(data)
        except (ConfigError, OSError):
            # The report still shows the address of an image it cannot show.
            thumbnail = ""
        out.append({"sha256": part.sha256, "src": thumbnail})
    return out
