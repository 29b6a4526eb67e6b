"""The exceptions redline raises, and the CLI exit code each maps to.

Exit codes: 0 ok; 1 a gate failed; 2 usage or config error; 3 runtime failure.
"""

from __future__ import annotations


class RedlineError(Exception):
    """Base class. ``exit_code`` is what the CLI exits with."""

    exit_code = 3


class ConfigError(RedlineError):
    """Bad input from the user: a flag, a config file, a prompts file.

    The message names what is wrong and where (file, line, field).
    """

    exit_code = 2


class UnknownNameError(ConfigError):
    """A name that is not registered; the message suggests the closest ones."""


class TargetError(RedlineError):
    """A target could not produce a completion."""

    kind = "target_error"
    retryable = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TargetAuthError(TargetError):
    """401/403: retrying cannot help, and the whole run must stop."""

    kind = "auth"


class TargetTransientError(TargetError):
    """429, 5xx, timeouts and dropped connections: worth retrying."""

    kind = "transient"
    retryable = True

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class TargetUnreachableError(TargetTransientError):
    """The connection could not be opened (refused, no route, DNS failure).

    Recorded as ``transient`` like any dropped connection, and retried; the
    executor's circuit breaker stops a run whose first requests all end here.
    """


class TargetTimeoutError(TargetTransientError):
    kind = "timeout"


class TargetResponseError(TargetError):
    """The target answered, but not in a shape we can read (malformed JSON...)."""

    kind = "bad_response"


class TargetRequestError(TargetError):
    """4xx other than auth and rate limits: the request itself is wrong."""

    kind = "bad_request"


class TargetUnsupportedError(TargetRequestError):
    """The target cannot take this kind of input (images to a text-only model).

    Recorded as an error of kind ``unsupported``: the model did not refuse, it
    never saw the request.
    """

    kind = "unsupported"


class BudgetExhausted(RedlineError):
    """A request or token cap was reached; the run stops cleanly and can resume."""
