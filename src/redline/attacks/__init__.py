"""Attacks: single-turn converters and templates, best-of-N augmentation,
prompt injection and multi-turn attackers, all registered in ``ATTACKS``."""

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

# The built-in attack modules register themselves when ATTACKS is first looked
# up (``BUILTIN_ATTACK_MODULES``), so importing this package stays cheap.

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
