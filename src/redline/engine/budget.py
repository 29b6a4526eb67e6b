"""Caps on what a run may spend: requests sent and tokens used."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Budget:
    """Request and token caps, checked before each request.

    Tokens count real usage for finished requests plus the estimate for those
    in flight, so concurrency overshoots a token cap by at most one request per
    worker's estimate, and usually by nothing.
    """

    max_requests: int | None = None
    max_tokens: int | None = None
    requests: int = field(default=0, init=False)
    tokens: int = field(default=0, init=False)

    def exhausted(self) -> bool:
        """True once either cap has been reached."""
        if self.max_requests is not None and self.requests >= self.max_requests:
            return True
        return self.max_tokens is not None and self.tokens >= self.max_tokens

    def try_spend(self, estimated_tokens: int) -> bool:
        """Reserve one request and its estimated tokens, or refuse if a cap is reached."""
        if self.exhausted():
            return False
        self.requests += 1
        self.tokens += estimated_tokens
        return True

    def settle(self, estimated_tokens: int, actual_tokens: int) -> None:
        """Replace a request's estimate with what it really used."""
        self.tokens += actual_tokens - estimated_tokens
