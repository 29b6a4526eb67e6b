"""Image converters: the request drawn into an image with Pillow, sent with a
benign text prompt.

- ``image.typographic``: FigStep-style; the request is the title of an empty
  numbered list in the image, and the text asks the model to fill the list.
- ``image.visual_injection``: the request hidden in a screenshot of a benign
  document: small, faded, in a corner, rotated; the text asks the model to do
  what the document says.
- ``image.split``: the first half of the request in the image, the second
  half in the text.

Each returns a one-message conversation (text plus one PNG), so it ends a
chain: ``base64+image.typographic`` draws the base64 text. The PNG's address,
size and the choices made (corner, document) are in the attempt's params.
"""

from __future__ import annotations

import random
from importlib import resources
from pathlib import Path
from typing import Literal

from PIL import Image
from pydantic import Field

from redline.attacks.base import ATTACKS, AttackParams, ConvertedPrompt, SingleTurnAttack
from redline.attacks.converters.image_render import (
    FONT_NAMES,
    TextStyle,
    draw_lines,
    finish,
    png_part,
    render_text,
    text_block,
    wrap,
)
from redline.attacks.template_files import SLOT, Template, parse_templates
from redline.core import ConfigError, Message

_FIGSTEP = (
    "Gong et al. 2023, FigStep: Jailbreaking Large Vision-Language Models "
    "via Typographic Visual Prompts"
)
_VPI = (
    "Greshake et al. 2023, Not what you've signed up for: compromising real-world "
    "LLM-integrated applications with indirect prompt injection"
)

Corner = Literal["top_left", "top_right", "bottom_left", "bottom_right", "random"]
CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")


def shipped_texts(group: str) -> dict[str, Template]:
    """Our texts in ``attacks/templates/<group>.yaml``, by name."""
    resource = resources.files("redline.attacks") / "templates" / f"{group}.yaml"
    texts = parse_templates(
        resource.read_text(encoding="utf-8"), path=Path(f"{group}.yaml"), require_slot=False
    )
    return {t.name: t for t in texts}


class ImageStyleParams(AttackParams):
    font: str = Field(default="default", description=f"one of {', '.join(FONT_NAMES)}")
    font_size: int = Field(default=28, ge=6, le=96, description="text height in pixels")
    width_chars: int = Field(default=40, ge=10, le=120, description="characters per line")

    def style(self) -> TextStyle:
        if self.font not in FONT_NAMES:
            raise ConfigError(f"font: unknown font {self.font!r}; one of {', '.join(FONT_NAMES)}")
        return TextStyle(font=self.font, size=self.font_size, width_chars=self.width_chars)


def _sent(text: str, image: Image.Image, chosen: dict[str, object]) -> ConvertedPrompt:
    part = png_part(image)
    message = Message(role="user", content=text, images=[part])
    params = {
        **chosen,
        "image_sha256": part.sha256,
        "image_size": [part.width, part.height],
    }
    return ConvertedPrompt(messages=[message], params=params)


class ImageConverter(SingleTurnAttack):
    """Image converters return a conversation, so each ends its chain."""

    family = "image"

    @property
    def produces_conversation(self) -> bool:
        return True


class TypographicParams(ImageStyleParams):
    items: int = Field(default=3, ge=1, le=10, description="empty numbered items under the title")


@ATTACKS.register("image.typographic")
class TypographicAttack(ImageConverter):
    name = "image.typographic"
    description = (
        "FigStep-style: the request as the title of an empty numbered list in an image; "
        "the text asks the model to fill the list."
    )
    references = (_FIGSTEP,)
    Params = TypographicParams

    def convert(self, prompt: str, *, rng: random.Random) -> ConvertedPrompt:
        assert isinstance(self.params, TypographicParams)
        body = prompt.rstrip() + "\n" + "\n".join(f"{i}." for i in range(1, self.params.items + 1))
        image = render_text(body, self.params.style())
        text = shipped_texts("image_prompts")["typographic"].text
        return _sent(text, image, {"items": self.params.items})


class VisualInjectionParams(ImageStyleParams):
    font_size: int = Field(default=22, ge=6, le=96, description="document text height in pixels")
    injection_size: int = Field(
        default=12, ge=6, le=96, description="height of the hidden instruction's text"
    )
    contrast: float = Field(
        default=0.25, gt=0.0, le=1.0, description="instruction colour: 1 black, near 0 invisible"
    )
    corner: Corner = Field(default="random", description="where the instruction is drawn")
    rotation: float = Field(default=0.0, ge=-180, le=180, description="degrees, whole image")
    document: str = Field(default="random", description="carrier document name or 'random'")


@ATTACKS.register("image.visual_injection")
class VisualInjectionAttack(ImageConverter):
    name = "image.visual_injection"
    description = (
        "The request hidden in a screenshot of a benign document: small, low-contrast text in "
        "a corner, optionally rotated; the text asks the model to do what the document says."
    )
    references = (_VPI,)
    Params = VisualInjectionParams

    def convert(self, prompt: str, *, rng: random.Random) -> ConvertedPrompt:
        assert isinstance(self.params, VisualInjectionParams)
        params = self.params
        documents = shipped_texts("image_documents")
        name = params.document
        if name == "random":
            name = rng.choice(sorted(documents))
        elif name not in documents:
            raise ConfigError(
                f"document: unknown carrier {name!r}; one of random, {', '.join(sorted(documents))}"
            )
        corner = rng.choice(CORNERS) if params.corner == "random" else params.corner
        style = params.style()
        page = text_block(documents[name].text, style)
        hidden = style.with_(size=params.injection_size, contrast=params.contrast)
        lines = wrap(prompt, max(20, style.width_chars * 2))
        block = text_block("\n".join(lines), hidden)
        # Widen the page so the instruction fits beside the document, not over it.
        width = max(page.width, block.width)
        canvas = Image.new("RGB", (width, page.height + block.height), style.background)
        top = corner.startswith("top")
        canvas.paste(page, (0, block.height if top else 0))
        x = 0 if corner.endswith("left") else width - block.width
        draw_lines(
            canvas,
            lines,
            style=hidden,
            origin=(x + hidden.margin, hidden.margin if top else page.height + hidden.margin),
        )
        image = finish(canvas, style.with_(rotation=params.rotation))
        text = shipped_texts("image_prompts")["visual_injection"].text
        return _sent(text, image, {"document": name, "corner": corner})


class SplitImageParams(ImageStyleParams):
    image_share: float = Field(
        default=0.5, gt=0.0, lt=1.0, description="fraction of the words drawn in the image"
    )


@ATTACKS.register("image.split")
class ImageSplitAttack(ImageConverter):
    name = "image.split"
    description = "The first part of the request drawn in an image, the rest in the text."
    references = (_FIGSTEP,)
    Params = SplitImageParams

    def convert(self, prompt: str, *, rng: random.Random) -> ConvertedPrompt:
        assert isinstance(self.params, SplitImageParams)
        words = prompt.split()
        cut = min(len(words) - 1, max(1, round(len(words) * self.params.image_share)))
        if len(words) < 2:
            raise ConfigError("image.split needs a request of at least two words")
        first, rest = " ".join(words[:cut]), " ".join(words[cut:])
        image = render_text(first, self.params.style())
        text = shipped_texts("image_prompts")["split"].text.replace(SLOT, rest)
        return _sent(text, image, {"image_words": cut, "text_words": len(words) - cut})
