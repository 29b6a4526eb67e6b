"""The guard-model formats by name."""

from __future__ import annotations

import difflib

from redline.core import ConfigError
from redline.guard.model_backed.granite_guardian import GRANITE_RISKS, GraniteGuardianFormat
from redline.guard.model_backed.guard_format import GuardFormat
from redline.guard.model_backed.llama_guard import LlamaGuardFormat
from redline.guard.model_backed.shield_gemma import (
    SHIELD_GEMMA_POLICIES,
    ShieldGemmaFormat,
    select_policies,
)
from redline.guard.model_backed.wild_guard import WildGuardFormat

FORMAT_NAMES = ("llama_guard_3", "llama_guard_4", "shieldgemma", "wildguard", "granite_guardian")


def build_format(
    name: str,
    *,
    policies: list[str] | None = None,
    definitions: dict[str, str] | None = None,
) -> GuardFormat:
    """The format ``name``; ``policies`` picks ShieldGemma's harm types or Granite
    Guardian's risks (default: all four for ShieldGemma, ``harm`` for Granite),
    ``definitions`` replaces their wording."""
    if name not in FORMAT_NAMES:
        close = difflib.get_close_matches(name, FORMAT_NAMES, n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"unknown guard model format {name!r}.{hint} Known: {', '.join(FORMAT_NAMES)}"
        )
    if name in ("shieldgemma", "granite_guardian"):
        if name == "shieldgemma":
            chosen = select_policies(SHIELD_GEMMA_POLICIES, policies, definitions, format_name=name)
            return ShieldGemmaFormat(policies=chosen)
        chosen = select_policies(GRANITE_RISKS, policies or ["harm"], definitions, format_name=name)
        return GraniteGuardianFormat(policies=chosen)
    if policies or definitions:
        raise ConfigError(
            f"format {name}: takes no policies or definitions (it judges all categories at once)"
        )
    if name == "wildguard":
        return WildGuardFormat()
    return LlamaGuardFormat(version=int(name[-1]))
