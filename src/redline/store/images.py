"""The image store of a run directory: ``images/<sha256>.<ext>``, one file per
distinct image, written once.

Attempts record images by address only (see :class:`redline.core.ImagePart`);
this is where the bytes go, so a campaign that sends the same rendered image
to three targets stores it once, and a report can show it later.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from redline.core import ConfigError, ImagePart, Message

IMAGES_DIR = "images"


class ImageStore:
    """Content-addressed image files under ``root`` (a run's ``images/`` folder)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, part: ImagePart) -> Path:
        return self.root / f"{part.sha256}{part.extension}"

    def put(self, part: ImagePart) -> Path:
        """Store the part's bytes (once); returns the file's path."""
        data = part.require_data()
        if hashlib.sha256(data).hexdigest() != part.sha256:
            raise ConfigError(f"image {part.sha256[:12]}: the bytes do not match their address")
        path = self.path_for(part)
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            # Written under a temporary name and renamed, so a reader never
            # finds half an image under the final address.
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return path

    def put_messages(self, messages: Iterable[Message]) -> None:
        """Store every image with bytes in ``messages``."""
        for message in messages:
            for part in message.images or ():
                if part.data is not None:
                    self.put(part)

    def load(self, part: ImagePart) -> ImagePart:
        """``part`` with its bytes read from the store (checked against the address)."""
        path = self.path_for(part)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ConfigError(f"{path}: image {part.sha256[:12]} is not in the store") from None
        if hashlib.sha256(data).hexdigest() != part.sha256:
            raise ConfigError(f"{path}: the file does not match its address (changed on disk?)")
        return part.model_copy(update={"data": data})

    def hydrate(self, messages: Iterable[Message]) -> list[Message]:
        """Copies of ``messages`` whose images carry their bytes again (to re-send them)."""
        out = []
        for message in messages:
            if message.images and any(p.data is None for p in message.images):
                images = [p if p.data is not None else self.load(p) for p in message.images]
                message = message.model_copy(update={"images": images})
            out.append(message)
        return out
