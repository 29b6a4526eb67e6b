"""What the guard decided about one text, and why."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from redline.core import Message
from redline.guard.cascade import CascadeOutcome
from redline.guard.policy import Action
from redline.guard.scanner import Side


class Finding(BaseModel):
    """One category that crossed its threshold and the action the policy gives it."""

    model_config = ConfigDict(extra="forbid")
    scanner: str
    category: str
    score: float
    threshold: float
    action: Action
    note: str = ""
    spans: list[tuple[int, int]] = Field(default_factory=list)


class Verdict(BaseModel):
    """The guard's answer for one input or output.

    ``action`` is the strictest action among ``findings`` (``allow`` when there
    are none). ``scores`` holds every scanner's score per category, fired or not.
    ``redacted_text`` (and ``redacted_messages`` for inputs given as messages) is
    set when the action is ``redact``. ``errors`` lists scanners that failed;
    under ``fail_closed`` each one also blocks.
    """

    model_config = ConfigDict(extra="forbid")
    action: Action
    side: Side
    scores: dict[str, dict[str, float]] = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    redacted_text: str | None = None
    redacted_messages: list[Message] | None = None
    errors: dict[str, str] = Field(default_factory=dict)
    truncated: bool = False
    chunks: int = 1
    chars: int = 0
    latency_ms: float = 0.0
    scanner_latency_ms: dict[str, float] = Field(default_factory=dict)
    # Set when the policy has a cascade: whether the guard model was asked and why not.
    cascade: CascadeOutcome | None = None

    @property
    def blocked(self) -> bool:
        return self.action == "block"

    @property
    def allowed(self) -> bool:
        """True when the text may pass unchanged (``allow`` or ``flag``)."""
        return self.action in ("allow", "flag")
