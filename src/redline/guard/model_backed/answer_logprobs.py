"""Reading a guard model's probability from the log-probabilities of its answer token."""

from __future__ import annotations

import math
from collections.abc import Sequence

from redline.core import TokenLogprob


def _norm(token: str) -> str:
    # Tokenisers spell the same word with a leading space, "Ġ" or "▁".
    return token.replace("Ġ", " ").replace("▁", " ").strip().lower()


def answer_probability(
    logprobs: Sequence[TokenLogprob] | None,
    *,
    positive: str,
    negative: str,
    occurrence: int = 0,
) -> float | None:
    """P(positive) at the ``occurrence``-th generated token that reads as
    ``positive`` or ``negative`` (e.g. "unsafe"/"safe", "yes"/"no"), normalised
    over the two; None when the server sent no log-probabilities or the token
    is not there.

    Alternatives missing from ``top_logprobs`` count as probability 0, so with
    only the chosen token known the answer is ``p`` or ``1 - p`` of it.
    """
    if not logprobs:
        return None
    seen = 0
    for item in logprobs:
        chosen = _norm(item.token)
        if chosen not in (positive, negative):
            continue
        if seen < occurrence:
            seen += 1
            continue
        mass = {positive: 0.0, negative: 0.0}
        candidates = dict(item.top_logprobs)
        candidates.setdefault(item.token, item.logprob)
        for token, logprob in candidates.items():
            word = _norm(token)
            if word in mass:
                mass[word] += math.exp(logprob)
        total = mass[positive] + mass[negative]
        if total <= 0.0:
            return None
        if mass[negative] == 0.0 and chosen == positive and not item.top_logprobs:
            return min(math.exp(item.logprob), 1.0)
        if mass[positive] == 0.0 and chosen == negative and not item.top_logprobs:
            return max(1.0 - math.exp(item.logprob), 0.0)
        return mass[positive] / total
    return None
