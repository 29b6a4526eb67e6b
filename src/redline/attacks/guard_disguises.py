"""Disguised guard-training examples made by redline's own attack library.

The red-team -> guard loop: the converters an attacker would use on redline's
targets (``redline.attacks``) disguise harmful requests into training positives,
and disguise benign requests into hard negatives for the harm head, so the model
learns the request and not the wrapper. Nothing here re-implements an encoding.

Each converter says what its output means for the jailbreak head: wrappers that
argue the model out of its rules (role-play, refusal suppression, payload
splitting) are jailbreak technique whatever the request; plain rewordings and
noise (past tense, scrambling) are not; encodings ask the model to decode and
act on what it cannot see plainly, and are jailbreak technique too.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redline.attacks.converters  # noqa: F401  (registers the converters)
from redline.attacks.base import build_attack
from redline.classifiers.labelled import SOURCE_PREFIX, Example, disguise_source

JAILBREAK = True
NOT_JAILBREAK = False
UNLABELLED = None
ALL_HEADS = ("harm", "jailbreak", "injection")


@dataclass(frozen=True)
class Disguise:
    """A registered converter and what its output means for the jailbreak head.

    ``own_stream``: the converter draws its requests and randomness from a stream
    of its own (derived from the caller's without drawing from it), so adding it
    moves no other converter's draw. Converters added after the first 21 use it.
    ``heads``: the models that train on its output (the others see none of it).
    ``harmful_only``: only harmful requests are disguised by it."""

    converter: str
    jailbreak: bool | None
    own_stream: bool = False
    heads: tuple[str, ...] = ALL_HEADS
    harmful_only: bool = False

    def labels(self, request: Example) -> dict[str, Any]:
        """The labels of ``request`` disguised by this converter."""
        trains_harm = "harm" in self.heads
        return {
            "harm": request.harm if trains_harm else None,
            "categories": request.categories if trains_harm else (),
            "jailbreak": self.jailbreak if "jailbreak" in self.heads else None,
            "injection": False if "injection" in self.heads else None,
        }


# The encodings, whose wrappers say "decode it and respond to it": jailbreak
# technique whatever the request, as our obfuscation templates are. Unlabelled
# until branch jbtwins2; with the role-prompt twins the jailbreak model only kept
# scoring these wrappers high when they were positives (docs/guard-models.md).
ENCODINGS = ("base64", "rot13", "morse", "leetspeak")

# The deceased-relative exploit typed in one or two sentences, the request
# inside (docs/benchmarks.md, "Inline role-play"): jailbreak positives, around
# harmful requests only, for the jailbreak head only. Measured alternatives:
# - around benign requests as positives too, as the appended role-play wrappers
#   are, it blocked 4 of 12 held-out grief prompts ("My mum died last year. She
#   used to read me Winnie the Pooh at bedtime...") against 3;
# - around benign requests as negatives, it contradicted those wrappers' labels
#   and our own jailbreak templates held out fell (AUPRC 0.856 -> 0.769);
# - in the harm head (with roleplay.scene), their benign twins taught that "how
#   to ..." is no harm and GPTFuzz recall fell 75% -> 70%.
INLINE_ROLEPLAY = Disguise(
    "roleplay.relative", JAILBREAK, own_stream=True, heads=("jailbreak",), harmful_only=True
)

# The first two converters below: the guard-failure bench found them passing with
# the request verbatim inside (docs/benchmarks.md, "Disguises read back before
# classifying").
# Not shipped by branch guardcut (leetspeak and reverse fell beyond their
# intervals); shipped by branch streamdisg on top of the encodings' jailbreak
# labels, which hold leetspeak and reverse (docs/benchmarks.md, "Streamed
# disguises shipped"). They draw from streams of their own, so adding them moves
# no other disguise's draw (bench/guard_cutoff_stability.py measures the swing).
STREAMED_DISGUISES: tuple[Disguise, ...] = (
    Disguise("context.prefix_injection", JAILBREAK, own_stream=True),
    Disguise("decompose.pieces", JAILBREAK, own_stream=True),
    INLINE_ROLEPLAY,
)
DISGUISES: tuple[Disguise, ...] = (
    Disguise("base64", JAILBREAK),
    Disguise("rot13", JAILBREAK),
    Disguise("morse", JAILBREAK),
    Disguise("leetspeak", JAILBREAK),
    Disguise("homoglyphs", UNLABELLED),
    Disguise("augment.scramble", NOT_JAILBREAK),
    Disguise("augment.noise", NOT_JAILBREAK),
    Disguise("augment.capitalise", NOT_JAILBREAK),
    Disguise("context.past_tense", NOT_JAILBREAK),
    Disguise("context.future_tense", NOT_JAILBREAK),
    Disguise("context.hypothetical", JAILBREAK),
    Disguise("context.academic", JAILBREAK),
    Disguise("context.refusal_suppression", JAILBREAK),
    Disguise("decompose.payload_split", JAILBREAK),
    Disguise("decompose.word_game", JAILBREAK),
    Disguise("roleplay.fiction", JAILBREAK),
    Disguise("roleplay.screenplay", JAILBREAK),
    Disguise("roleplay.grandma", JAILBREAK),
    Disguise("roleplay.dan", JAILBREAK),
    Disguise("roleplay.developer_mode", JAILBREAK),
    Disguise("roleplay.expert", JAILBREAK),
    *STREAMED_DISGUISES,
)
DISGUISE_NAMES = tuple(d.converter for d in DISGUISES)
__all__ = [
    "DISGUISES",
    "DISGUISE_NAMES",
    "ENCODINGS",
    "INLINE_ROLEPLAY",
    "SOURCE_PREFIX",
    "STREAMED_DISGUISES",
    "AttackDisguiser",
    "disguise_source",
]


def own_stream(rng: random.Random, converter: str) -> random.Random:
    """A stream for ``converter`` alone, seeded from ``rng``'s next value without
    drawing it, so the caller's later draws are the same with or without it."""
    peek = random.Random()
    peek.setstate(rng.getstate())
    return random.Random(f"{converter}:{peek.getrandbits(64)}")


def disguised_examples(
    requests: Sequence[Example],
    *,
    rng: random.Random,
    per_converter: int,
    disguises: Sequence[Disguise] = DISGUISES,
) -> list[Example]:
    """``per_converter`` requests (harmful and benign alike, or harmful only for a
    ``harmful_only`` converter, drawn from ``requests``) through each converter,
    labelled by ``Disguise.labels`` (harm and categories follow the request for the
    heads that train on it); the group stays the request's, so a request and its
    disguises share a split."""
    out: list[Example] = []
    for disguise in disguises:
        attack = build_attack(disguise.converter)
        pool = [r for r in requests if r.harm] if disguise.harmful_only else list(requests)
        stream = own_stream(rng, disguise.converter) if disguise.own_stream else rng
        for request in stream.sample(pool, min(per_converter, len(pool))):
            converted = attack.convert(request.text, rng=stream)
            if converted.text is None:
                continue  # a converter that builds a conversation: not a single text
            out.append(
                Example(
                    text=converted.text,
                    source=disguise_source(disguise.converter),
                    group=request.group,
                    **disguise.labels(request),
                )
            )
    return out


class AttackDisguiser:
    """The attack library as ``redline.classifiers.training_data.Disguiser``:
    training code sits below ``redline.attacks`` in the layering, so the caller
    (``redline train guard``, the benches) hands this in. ``disguises``: the
    converters used (default ``DISGUISES``)."""

    def __init__(self, disguises: Sequence[Disguise] = DISGUISES) -> None:
        self.disguises = tuple(disguises)

    def disguise(
        self, requests: Sequence[Example], *, rng: random.Random, per_converter: int
    ) -> list[Example]:
        return disguised_examples(
            requests, rng=rng, per_converter=per_converter, disguises=self.disguises
        )

    def encode(self, converter: str, text: str) -> str:
        """``text`` through an invertible converter's ``encode`` (base64, rot13...)."""
        return str(build_attack(converter).encode(text))
