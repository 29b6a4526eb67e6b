"""Single-turn converters, registered in ``ATTACKS`` on import, by family:
encoding/obfuscation, role-play, decomposition, context manipulation,
augmentation (best-of-N), attacker-model translation and images."""

from redline.attacks.converters import (
    augmentation,
    context,
    decomposition,
    encoding,
    images,
    roleplay,
    translation,
)
from redline.attacks.converters.translation import TranslationError

__all__ = [
    "TranslationError",
    "augmentation",
    "context",
    "decomposition",
    "encoding",
    "images",
    "roleplay",
    "translation",
]
