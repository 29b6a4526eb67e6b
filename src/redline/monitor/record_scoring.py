"""Scoring log records in batches: the guard on both sides, and the refusal scorer.

Every record's prompt goes through the guard as an input and its response as an
output, with ``Guard.check_batch`` (the classifier scanners score a whole batch in
one call); a text repeated within a batch is checked once. The refusal label
comes from the trained refusal classifier (``RefusalClassifier.classify``,
batched) or, with ``refusal="patterns"``, from the shared refusal phrases
(``refusal-patterns``), which is cheaper.

The over-refusal proxy marks a full refusal of a prompt the input guard found
nothing in: the model declined something the guard saw no reason to decline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from redline.classifiers.refusal_model import RefusalClassifier, shipped_refusal_classifier
from redline.core.outcome import FULL_REFUSAL
from redline.guard import Guard, Verdict
from redline.monitor.log_records import LogRecord
from redline.monitor.store import ScoredRecord
from redline.scoring.refusal import classify_refusal

RefusalMode = Literal["model", "patterns"]
NO_RESPONSE = "no_response"


def finding_categories(verdict: Verdict) -> list[str]:
    """``scanner.category`` of every finding, e.g. ``injection.direct``, ``harm.s9``."""
    return sorted({f"{f.scanner}.{f.category}" for f in verdict.findings})


class RecordScorer:
    """Scores :class:`LogRecord` batches into :class:`ScoredRecord` rows."""

    def __init__(self, *, guard: Guard | None = None, refusal: RefusalMode = "model") -> None:
        self.guard = guard if guard is not None else Guard.default()
        self.refusal_mode = refusal
        self._refusal_model: RefusalClassifier | None = (
            shipped_refusal_classifier() if refusal == "model" else None
        )

    def _refusal_labels(self, responses: list[str]) -> list[str]:
        distinct = list(dict.fromkeys(r for r in responses if r.strip()))  # each text once
        if self._refusal_model is not None:
            found = [v.label for v in self._refusal_model.classify(distinct)]
        else:
            found = [classify_refusal(t)[0] for t in distinct]
        labels = dict(zip(distinct, found, strict=True))
        return [labels.get(response, NO_RESPONSE) for response in responses]

    def _verdicts(self, texts: list[str], side: Literal["input", "output"]) -> list[Verdict | None]:
        # Traffic repeats itself (templated prompts, stock refusals): each distinct
        # text of a batch is checked once, and its verdict serves every copy.
        distinct = list(dict.fromkeys(t for t in texts if t.strip()))
        checked = dict(zip(distinct, self.guard.check_batch(distinct, side=side), strict=True))
        return [checked.get(text) for text in texts]

    def score(self, records: Sequence[LogRecord], *, source: str) -> list[ScoredRecord]:
        prompts = [r.prompt for r in records]
        responses = [r.response for r in records]
        inputs = self._verdicts(prompts, "input")
        outputs = self._verdicts(responses, "output")
        refusals = self._refusal_labels(responses)
        scored = []
        for record, seen_in, seen_out, refusal in zip(
            records, inputs, outputs, refusals, strict=True
        ):
            in_categories = finding_categories(seen_in) if seen_in else []
            scored.append(
                ScoredRecord(
                    key=record.key,
                    timestamp=record.timestamp,
                    source=source,
                    line=record.line,
                    model=record.model,
                    prompt=record.prompt,
                    response=record.response,
                    input_action=seen_in.action if seen_in else "",
                    output_action=seen_out.action if seen_out else "",
                    input_categories=in_categories,
                    output_categories=finding_categories(seen_out) if seen_out else [],
                    refusal=refusal,
                    over_refusal=refusal == FULL_REFUSAL
                    and seen_in is not None
                    and seen_in.action == "allow"
                    and not in_categories,
                )
            )
        return scored
