"""How images in messages go on the wire, and what happens where they cannot.

OpenAI-compatible APIs take ``image_url`` content parts with data URLs,
Anthropic takes ``image`` blocks with base64 sources. A target that cannot
take images raises :class:`TargetUnsupportedError` (an error of kind
``unsupported``), never an answer a scorer could read as a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from redline.core import (
    ImagePart,
    Message,
    TargetRequestError,
    TargetUnsupportedError,
)

# Words a 4xx body uses when a text-only model is sent an image (OpenAI,
# vLLM, Ollama, llama.cpp server and Anthropic phrasings all contain one).
_IMAGE_REJECTION = re.compile(
    r"image|vision|multimodal|multi-modal|image_url|content part", re.IGNORECASE
)


def has_images(messages: Sequence[Message]) -> bool:
    return any(m.images for m in messages)


def all_images(messages: Sequence[Message]) -> list[ImagePart]:
    return [part for m in messages for part in (m.images or ())]


def openai_content(message: Message) -> str | list[dict[str, Any]]:
    """The ``content`` of an OpenAI message: the plain string, or text plus image parts."""
    if not message.images:
        return message.content
    parts: list[dict[str, Any]] = []
    if message.content:
        parts.append({"type": "text", "text": message.content})
    for image in message.images:
        parts.append({"type": "image_url", "image_url": {"url": image.data_url()}})
    return parts


def anthropic_content(message: Message) -> str | list[dict[str, Any]]:
    """The ``content`` of an Anthropic message: the plain string, or image and text blocks.

    Images come first, as Anthropic's documentation recommends.
    """
    if not message.images:
        return message.content
    blocks: list[dict[str, Any]] = [
        {
            "type": "image",
            "source": {"type": "base64", "media_type": image.media_type, "data": image.base64()},
        }
        for image in message.images
    ]
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    return blocks


def refuse_images(target: str, messages: Sequence[Message]) -> None:
    """Raise ``unsupported`` if the conversation has images; for text-only targets."""
    if has_images(messages):
        count = len(all_images(messages))
        raise TargetUnsupportedError(
            f"{target}: this target takes text only; the conversation has {count} image(s)"
        )


def unsupported_if_images_rejected(
    exc: TargetRequestError, *, target: str, messages: Sequence[Message]
) -> TargetRequestError:
    """A 4xx for a request with images whose body talks about images becomes
    ``unsupported``; anything else is returned unchanged."""
    if has_images(messages) and _IMAGE_REJECTION.search(str(exc)):
        return TargetUnsupportedError(
            f"{target}: the model rejected image input ({exc})", status=exc.status
        )
    return exc
