"""Attacks: single-turn converters and templates, best-of-N augmentation,
prompt injection and multi-turn attackers, all registered in ``ATTACKS``."""

import importlib

from redline.attacks.base import (
    ATTACKS,
    FAMILIES,
    AsyncConverter,
    Attack,
    AttackFamily,
    AttackParams,
    AttackResources,
    CaseGenerator,
    ConversationDriver,
    ConvertedPrompt,
    Converter,
    Family,
    SingleTurnAttack,
    attack_params_model,
    build_attack,
    declare_family,
    success_scorer_for,
)

# Subpackages whose modules register built-in attacks on import. Missing ones
# are skipped so each family can land on its own.
_BUILTIN_MODULES = (
    "redline.attacks.converters",
    "redline.attacks.injection",
    "redline.attacks.multiturn",
)

for _module in _BUILTIN_MODULES:
    try:
        importlib.import_module(_module)
    except ModuleNotFoundError as _exc:
        if _exc.name != _module:
            raise

__all__ = [
    "ATTACKS",
    "FAMILIES",
    "AsyncConverter",
    "Attack",
    "AttackFamily",
    "AttackParams",
    "AttackResources",
    "CaseGenerator",
    "ConversationDriver",
    "ConvertedPrompt",
    "Converter",
    "Family",
    "SingleTurnAttack",
    "attack_params_model",
    "build_attack",
    "declare_family",
    "success_scorer_for",
]
