"""Text drawn into images with Pillow, for the image converters and for the
guard's OCR measurements.

One :class:`TextStyle` says how text looks (font, size, colours, contrast,
rotation, noise); :func:`render_text` wraps and draws it. Output is PNG bytes
(lossless, so the same style and text give the same address every time).
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from redline.core import ConfigError, ImagePart

# Debian's DejaVu fonts where installed; Pillow's bundled font otherwise, so
# rendering works on any machine (with a different look).
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
FONT_FILES = {
    "sans": "DejaVuSans.ttf",
    "serif": "DejaVuSerif.ttf",
    "mono": "DejaVuSansMono.ttf",
    "bold": "DejaVuSans-Bold.ttf",
}
FONT_NAMES: tuple[str, ...] = ("default", *FONT_FILES)

Colour = tuple[int, int, int]


def load_font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A font by redline name (``default``, ``sans``, ``serif``, ``mono``, ``bold``)."""
    if name not in FONT_NAMES:
        raise ConfigError(f"unknown font {name!r}; one of {', '.join(FONT_NAMES)}")
    if name != "default":
        for folder in FONT_DIRS:
            path = folder / FONT_FILES[name]
            if path.exists():
                return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def blend(foreground: Colour, background: Colour, contrast: float) -> Colour:
    """The text colour at ``contrast`` (1: ``foreground``; near 0: almost the background)."""
    return tuple(  # type: ignore[return-value]
        round(b + (f - b) * contrast) for f, b in zip(foreground, background, strict=True)
    )


@dataclass(frozen=True)
class TextStyle:
    """How text is drawn. ``contrast`` in (0, 1] fades the text towards the
    background; ``rotation`` is degrees counter-clockwise; ``noise`` is the
    standard deviation of Gaussian pixel noise (0-255 scale)."""

    font: str = "default"
    size: int = 24
    foreground: Colour = (0, 0, 0)
    background: Colour = (255, 255, 255)
    contrast: float = 1.0
    rotation: float = 0.0
    noise: float = 0.0
    width_chars: int = 48
    margin: int = 16

    def with_(self, **changes: object) -> TextStyle:
        return replace(self, **changes)  # type: ignore[arg-type]


def wrap(text: str, width_chars: int) -> list[str]:
    """Lines of at most ``width_chars``, keeping the text's own line breaks."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines.extend(textwrap.wrap(paragraph, width_chars) or [""])
    return lines


def draw_lines(
    image: Image.Image,
    lines: list[str],
    *,
    style: TextStyle,
    origin: tuple[int, int],
) -> tuple[int, int]:
    """Draw ``lines`` at ``origin`` on ``image``; returns the size drawn."""
    font = load_font(style.font, style.size)
    draw = ImageDraw.Draw(image)
    colour = blend(style.foreground, style.background, style.contrast)
    line_height = round(style.size * 1.35)
    x, y = origin
    widest = 0
    for index, line in enumerate(lines):
        draw.text((x, y + index * line_height), line, font=font, fill=colour)
        widest = max(widest, round(draw.textlength(line, font=font)))
    return widest, line_height * len(lines)


def text_block(text: str, style: TextStyle) -> Image.Image:
    """``text`` wrapped and drawn on its own background (no rotation or noise)."""
    lines = wrap(text, style.width_chars)
    font = load_font(style.font, style.size)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    width = max(round(probe.textlength(line, font=font)) for line in lines)
    height = round(style.size * 1.35) * len(lines)
    image = Image.new(
        "RGB", (width + 2 * style.margin, height + 2 * style.margin), style.background
    )
    draw_lines(image, lines, style=style, origin=(style.margin, style.margin))
    return image


def finish(image: Image.Image, style: TextStyle, *, seed: int = 0) -> Image.Image:
    """Apply the style's rotation and noise to a drawn image."""
    if style.rotation:
        image = image.rotate(
            style.rotation,
            expand=True,
            fillcolor=style.background,
            resample=Image.Resampling.BICUBIC,
        )
    if style.noise > 0:
        pixels = np.asarray(image, dtype=np.float64)
        pixels = pixels + np.random.default_rng(seed).normal(0.0, style.noise, pixels.shape)
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return image


def render_text(text: str, style: TextStyle, *, seed: int = 0) -> Image.Image:
    """``text`` drawn in ``style``: wrapped, faded, rotated and noised as it says."""
    return finish(text_block(text, style), style, seed=seed)


def png_part(image: Image.Image) -> ImagePart:
    """The image as PNG bytes in an :class:`ImagePart` (same pixels, same address)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return ImagePart.from_bytes(buffer.getvalue(), width=image.width, height=image.height)
