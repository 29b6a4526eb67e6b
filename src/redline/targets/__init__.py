"""Target adapters: the models and applications redline sends conversations to.

Build one from a :class:`TargetSpec` with :func:`build_target`; every target
has ``name``, ``async generate(messages, params) -> Completion`` and
``async aclose()``. Each built-in target's module loads when its kind is first
looked up, or when one of its names below is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from redline.core.lazy_names import lazy_getattr
from redline.targets.base import TARGETS, Target
from redline.targets.factory import SystemPromptTarget, build_target
from redline.targets.python_callable import PythonTarget
from redline.targets.spec import TargetSpec

if TYPE_CHECKING:
    from redline.targets.anthropic_messages import AnthropicTarget
    from redline.targets.http_app import HTTPTarget, HTTPTargetConfig, load_http_config
    from redline.targets.local_llama import LocalTarget, bundled_model_path
    from redline.targets.openai_chat import OpenAITarget

__getattr__ = lazy_getattr(
    "redline.targets",
    {
        "AnthropicTarget": "redline.targets.anthropic_messages",
        "HTTPTarget": "redline.targets.http_app",
        "HTTPTargetConfig": "redline.targets.http_app",
        "load_http_config": "redline.targets.http_app",
        "LocalTarget": "redline.targets.local_llama",
        "bundled_model_path": "redline.targets.local_llama",
        "OpenAITarget": "redline.targets.openai_chat",
    },
    globals(),
)

__all__ = [
    "TARGETS",
    "AnthropicTarget",
    "HTTPTarget",
    "HTTPTargetConfig",
    "LocalTarget",
    "OpenAITarget",
    "PythonTarget",
    "SystemPromptTarget",
    "Target",
    "TargetSpec",
    "build_target",
    "bundled_model_path",
    "load_http_config",
]
