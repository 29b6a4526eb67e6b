"""The cascade: fast CPU scanners on everything, a guard model only where they are unsure.

A routed scanner is unsure about a category when its score lies within ``band``
of that category's threshold. Such a text goes to the model-backed scanner named
in ``model``, within what is left of ``budget_ms`` (counted from the start of the
check). The model's answer replaces the unsure CPU findings (its own findings
take their place; "safe" clears them); confident CPU findings always stand.
When the budget is spent or the model does not answer in time, the CPU verdict
stands and ``verdict.cascade`` says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from redline.core import TargetTimeoutError
from redline.guard.scanner import SIDES, ScanContext, ScanResult, Side

CascadeOutcomeKind = Literal["confident", "model", "budget_spent", "budget_exceeded", "model_error"]


class CascadePolicy(BaseModel):
    """The policy's ``cascade`` section."""

    model_config = ConfigDict(extra="forbid")
    model: str = Field(description="a model-backed scanner configured under scanners")
    # Entries are a scanner name (all its categories) or "scanner.category".
    scanners: list[str] | None = Field(
        default=None,
        description="scanners whose unsure scores go to the model (default: all others)",
    )
    band: float = Field(default=0.1, ge=0.0, le=1.0)
    budget_ms: float = Field(default=500.0, gt=0.0)
    sides: list[Side] = Field(default_factory=lambda: list(SIDES))


class CascadeOutcome(BaseModel):
    """What the cascade did for one check."""

    model_config = ConfigDict(extra="forbid")
    outcome: CascadeOutcomeKind
    uncertain: list[str] = Field(default_factory=list)
    model_ms: float | None = None
    detail: str = ""


@dataclass(slots=True)
class CascadeDecision:
    """The cascade's result for one check: the model's scan (when it answered), the
    CPU findings it overrules, and the record for the verdict."""

    report: CascadeOutcome
    model_result: ScanResult | Exception | None = None
    cleared: frozenset[tuple[str, str]] = field(default_factory=frozenset)


def uncertain_categories(
    routed: list[Any],
    results: dict[str, ScanResult | Exception],
    band: float,
    only: dict[str, frozenset[str] | None] | None = None,
) -> list[tuple[str, str]]:
    """(scanner, category) pairs whose score is within ``band`` of their threshold.

    ``routed`` holds the pipeline's active scanners (``name`` and ``rules``);
    ``only`` limits a scanner to some categories (None: all of them);
    categories a policy only records (action ``allow``) never route.
    """
    unsure = []
    for item in routed:
        result = results.get(item.name)
        if not isinstance(result, ScanResult):
            continue
        wanted = only.get(item.name) if only else None
        for category, score in result.scores.items():
            rule = item.rules.get(category)
            if rule is None or rule.action == "allow":
                continue
            if wanted is not None and category not in wanted:
                continue
            if abs(score - rule.threshold) <= band:
                unsure.append((item.name, category))
    return unsure


class Cascade:
    """Routes unsure checks to ``model`` (an active model-backed scanner entry)."""

    def __init__(
        self, *, config: CascadePolicy, model: Any, routed: dict[str, frozenset[str] | None]
    ) -> None:
        self.config = config
        self.model = model  # the pipeline's ActiveScanner for the model-backed scanner
        self.routed = routed  # scanner -> the categories that route (None: all)
        self.sides = frozenset(config.sides)
        self.requests = 0

    def plan(
        self, active: list[Any], results: dict[str, ScanResult | Exception], started: float
    ) -> tuple[list[tuple[str, str]], float]:
        """The unsure pairs and the seconds left of the budget."""
        routed = [item for item in active if item.name in self.routed]
        unsure = uncertain_categories(routed, results, self.config.band, self.routed)
        spent_ms = (time.perf_counter() - started) * 1000
        return unsure, (self.config.budget_ms - spent_ms) / 1000

    def _skip(self, unsure: list[tuple[str, str]], left_s: float) -> CascadeDecision | None:
        labels = [f"{s}.{c}" for s, c in unsure]
        if not unsure:
            return CascadeDecision(CascadeOutcome(outcome="confident"))
        if left_s <= 0:
            return CascadeDecision(
                CascadeOutcome(
                    outcome="budget_spent",
                    uncertain=labels,
                    detail=f"the CPU path used the {self.config.budget_ms:g} ms budget; "
                    "CPU verdict stands",
                )
            )
        return None

    def _settle(
        self,
        unsure: list[tuple[str, str]],
        left_s: float,
        t0: float,
        result: ScanResult | Exception,
    ) -> CascadeDecision:
        labels = [f"{s}.{c}" for s, c in unsure]
        model_ms = round((time.perf_counter() - t0) * 1000, 3)
        if isinstance(result, TargetTimeoutError):
            return CascadeDecision(
                CascadeOutcome(
                    outcome="budget_exceeded",
                    uncertain=labels,
                    model_ms=model_ms,
                    detail=f"no model answer within the {left_s * 1000:.0f} ms left of the "
                    f"budget; CPU verdict stands",
                )
            )
        if isinstance(result, Exception):
            return CascadeDecision(
                CascadeOutcome(
                    outcome="model_error",
                    uncertain=labels,
                    model_ms=model_ms,
                    detail=f"{type(result).__name__}: {result}"[:300],
                ),
                model_result=result,
            )
        return CascadeDecision(
            CascadeOutcome(outcome="model", uncertain=labels, model_ms=model_ms),
            model_result=result,
            cleared=frozenset(unsure),
        )

    def review(
        self,
        text: str,
        context: ScanContext,
        active: list[Any],
        results: dict[str, ScanResult | Exception],
        started: float,
    ) -> CascadeDecision:
        unsure, left_s = self.plan(active, results, started)
        skipped = self._skip(unsure, left_s)
        if skipped is not None:
            return skipped
        self.requests += 1
        t0 = time.perf_counter()
        try:
            result: ScanResult | Exception = self.model.scanner.scan_within(
                text, context, timeout_s=left_s
            )
        except Exception as exc:  # judged by the model scanner's on_error below
            result = exc
        return self._settle(unsure, left_s, t0, result)

    async def areview(
        self,
        text: str,
        context: ScanContext,
        active: list[Any],
        results: dict[str, ScanResult | Exception],
        started: float,
    ) -> CascadeDecision:
        unsure, left_s = self.plan(active, results, started)
        skipped = self._skip(unsure, left_s)
        if skipped is not None:
            return skipped
        self.requests += 1
        t0 = time.perf_counter()
        try:
            result: ScanResult | Exception = await self.model.scanner.ascan_within(
                text, context, timeout_s=left_s
            )
        except Exception as exc:
            result = exc
        return self._settle(unsure, left_s, t0, result)
