"""Target adapters: the models and applications redline sends conversations to.

Build one from a :class:`TargetSpec` with :func:`build_target`; every target
has ``name``, ``async generate(messages, params) -> Completion`` and
``async aclose()``.
"""

from redline.targets.anthropic_messages import AnthropicTarget
from redline.targets.base import TARGETS, Target
from redline.targets.factory import SystemPromptTarget, build_target
from redline.targets.http_app import HTTPTarget, HTTPTargetConfig, load_http_config
from redline.targets.local_llama import LocalTarget, bundled_model_path
from redline.targets.openai_chat import OpenAITarget
from redline.targets.python_callable import PythonTarget
from redline.targets.spec import TargetSpec

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
