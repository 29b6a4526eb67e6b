"""Why a run produced no answers: one sentence naming the part that failed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from redline.core import Attempt

# Errors raised by the models attacks use (attacker, judge), not by the target.
ATTACKER_ERROR_KINDS = frozenset({"attacker_error"})


def describe_failed_run(attempts: Iterable[Attempt]) -> str:
    """A one-line diagnosis of a run in which every attempt errored.

    When the attacker model failed the target was never asked, so asking
    whether the target is reachable would send the user the wrong way.
    """
    errors = [a.error for a in attempts if a.error is not None]
    kinds = Counter(e.kind for e in errors)
    counts = ", ".join(f"{count} {kind}" for kind, count in kinds.most_common())
    head = f"no attempt succeeded ({counts or 'no errors recorded'})"
    if not errors:
        return head
    first = errors[0].message
    if set(kinds) <= ATTACKER_ERROR_KINDS:
        return (
            f"{head}; the attack's own model (--attacker, default the bundled model) failed "
            f"before the target was asked: {first}"
        )
    return f"{head}; is the target reachable? first error: {first}"
