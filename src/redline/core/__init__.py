"""The data model, errors and plugin registry that every redline stage shares.

The names below load on first use (PEP 562), so importing ``redline.core.errors``
(the CLI does, to turn errors into exit codes) does not pay for pydantic and the
record models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from redline.core.lazy_names import lazy_getattr

if TYPE_CHECKING:
    from redline.core.errors import (
        BudgetExhausted,
        ConfigError,
        RedlineError,
        TargetAuthError,
        TargetError,
        TargetRequestError,
        TargetResponseError,
        TargetTimeoutError,
        TargetTransientError,
        TargetUnreachableError,
        TargetUnsupportedError,
        UnknownNameError,
    )
    from redline.core.images import ImagePart, parse_data_url, sniff_media_type
    from redline.core.records import (
        Attempt,
        AttemptError,
        Behavior,
        Completion,
        Conversation,
        GenerationParams,
        Message,
        RunInfo,
        Score,
        TokenLogprob,
        ToolCall,
        Usage,
        attempt_id,
        content_hash,
        file_sha256,
        utc_now,
    )
    from redline.core.registry import Registry

_HOMES = {
    **dict.fromkeys(
        (
            "BudgetExhausted",
            "ConfigError",
            "RedlineError",
            "TargetAuthError",
            "TargetError",
            "TargetRequestError",
            "TargetResponseError",
            "TargetTimeoutError",
            "TargetTransientError",
            "TargetUnreachableError",
            "TargetUnsupportedError",
            "UnknownNameError",
        ),
        "redline.core.errors",
    ),
    **dict.fromkeys(("ImagePart", "parse_data_url", "sniff_media_type"), "redline.core.images"),
    **dict.fromkeys(
        (
            "Attempt",
            "AttemptError",
            "Behavior",
            "Completion",
            "Conversation",
            "GenerationParams",
            "Message",
            "RunInfo",
            "Score",
            "TokenLogprob",
            "ToolCall",
            "Usage",
            "attempt_id",
            "content_hash",
            "file_sha256",
            "utc_now",
        ),
        "redline.core.records",
    ),
    "Registry": "redline.core.registry",
}


__getattr__ = lazy_getattr("redline.core", _HOMES, globals())


__all__ = [
    "Attempt",
    "AttemptError",
    "Behavior",
    "BudgetExhausted",
    "Completion",
    "ConfigError",
    "Conversation",
    "GenerationParams",
    "ImagePart",
    "Message",
    "RedlineError",
    "Registry",
    "RunInfo",
    "Score",
    "TargetAuthError",
    "TargetError",
    "TargetRequestError",
    "TargetResponseError",
    "TargetTimeoutError",
    "TargetTransientError",
    "TargetUnreachableError",
    "TargetUnsupportedError",
    "TokenLogprob",
    "ToolCall",
    "UnknownNameError",
    "Usage",
    "attempt_id",
    "content_hash",
    "file_sha256",
    "parse_data_url",
    "sniff_media_type",
    "utc_now",
]
