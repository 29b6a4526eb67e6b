"""Random text augmentations for best-of-N jailbreaking (Hughes et al. 2024).

Each sample of the request is perturbed with a fresh draw; sampling many and
keeping the first that gets through is the attack. The paper's defaults tie
the three probabilities to one strength ``sigma``: scrambling and capitalisation
at sigma ** 0.5 per word/character, ASCII noise at sigma ** 3 per character.
"""

from __future__ import annotations

import random

from pydantic import Field

from redline.attacks.base import ATTACKS, AttackParams, ConvertedPrompt, SingleTurnAttack
from redline.attacks.converters.encoding import scramble_word

_BON = "Hughes et al. 2024, Best-of-N Jailbreaking"


def random_capitalise(text: str, rng: random.Random, *, p: float) -> str:
    """Flip the case of each letter with probability ``p``."""
    return "".join(c.swapcase() if c.isalpha() and rng.random() < p else c for c in text)


def scramble_words(text: str, rng: random.Random, *, p: float) -> str:
    """Shuffle the inner letters of each word longer than 3 with probability ``p``."""
    return " ".join(
        scramble_word(w, rng) if len(w) > 3 and rng.random() < p else w for w in text.split(" ")
    )


def ascii_noise(text: str, rng: random.Random, *, p: float) -> str:
    """Move printable ASCII characters one code point up or down with probability ``p``."""
    out = []
    for c in text:
        code = ord(c)
        if 32 < code < 126 and rng.random() < p:
            code += rng.choice((-1, 1))
        out.append(chr(code))
    return "".join(out)


class ProbabilityParams(AttackParams):
    p: float = Field(default=0.6, ge=0.0, le=1.0, description="per-character/word probability")


@ATTACKS.register("augment.capitalise")
class CapitaliseAttack(SingleTurnAttack):
    name = "augment.capitalise"
    family = "augmentation"
    description = "Random capitalisation: each letter's case flipped with probability p."
    references = (_BON,)
    Params = ProbabilityParams

    def convert(self, prompt: str, *, rng: random.Random) -> ConvertedPrompt:
        assert isinstance(self.params, ProbabilityParams)
        return ConvertedPrompt(text=random_capitalise(prompt, rng, p=self.params.p))


@ATTACKS.register("augment.scramble")
class WordScrambleAttack(SingleTurnAttack):
    name = "augment.scramble"
    family = "augmentation"
    description = "Word scrambling: inner letters of each word shuffled with probability p."
    references = (_BON,)
    Params = ProbabilityParams

    def convert(self, prompt: str, *, rng: random.Random) -> ConvertedPrompt:
        assert isinstance(self.params, ProbabilityParams)
        return ConvertedPrompt(text=scramble_words(prompt, rng, p=self.params.p))


class NoiseParams(AttackParams):
    p: float = Field(default=0.06, ge=0.0, le=1.0, description="per-character probability")


@ATTACKS.register("augment.noise")
class AsciiNoiseAttack(SingleTurnAttack):
    name = "augment.noise"
    family = "augmentation"
    description = "ASCII noise: printable characters shifted by one code point with probability p."
    references = (_BON,)
    Params = NoiseParams

    def convert(self, prompt: str, *, rng: random.Random) -> ConvertedPrompt:
        assert isinstance(self.params, NoiseParams)
        return ConvertedPrompt(text=ascii_noise(prompt, rng, p=self.params.p))


class BestOfNParams(AttackParams):
    sigma: float = Field(default=0.4, gt=0.0, le=1.0, description="augmentation strength")
    n: int = Field(default=8, ge=1, le=10_000, description="samples per behaviour")


@ATTACKS.register("best_of_n")
class BestOfNAttack(SingleTurnAttack):
    """Best-of-N: the campaign sends ``n`` independently augmented samples per
    behaviour (one per sample index); ASR@N is computed over them."""

    name = "best_of_n"
    family = "augmentation"
    description = (
        "Best-of-N: N samples per behaviour, each scrambled, randomly capitalised and "
        "ASCII-noised; reports ASR@N and a power-law fit."
    )
    references = (_BON,)
    Params = BestOfNParams

    @property
    def samples(self) -> int:
        assert isinstance(self.params, BestOfNParams)
        return self.params.n

    def convert(self, prompt: str, *, rng: random.Random) -> ConvertedPrompt:
        assert isinstance(self.params, BestOfNParams)
        sigma = self.params.sigma
        text = scramble_words(prompt, rng, p=sigma**0.5)
        text = random_capitalise(text, rng, p=sigma**0.5)
        text = ascii_noise(text, rng, p=sigma**3)
        return ConvertedPrompt(text=text)
