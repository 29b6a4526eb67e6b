"""Multi-turn attackers (Crescendo, PAIR, TAP) driven by an attacker model and a judge.

Each is an attack in ``ATTACKS`` (family ``multiturn``) whose jobs carry a
driver: the engine hands it a ``send`` function and it calls the target as
often as the attack needs, recording every call in a per-attempt state file so
a killed run resumes mid-conversation.
"""

from redline.attacks.multiturn.attacker import MultiTurnAttack, MultiTurnParams
from redline.attacks.multiturn.crescendo import CrescendoAttack, CrescendoParams
from redline.attacks.multiturn.journal import CallJournal
from redline.attacks.multiturn.pair import PairAttack, PairParams
from redline.attacks.multiturn.parsing import (
    AttackerTurn,
    UnparseableOutput,
    parse_attacker_output,
    parse_judge_rating,
    parse_on_topic,
)
from redline.attacks.multiturn.session import AttackerError, AttackSession, Exchange
from redline.attacks.multiturn.tap import TapAttack, TapParams

__all__ = [
    "AttackSession",
    "AttackerError",
    "AttackerTurn",
    "CallJournal",
    "CrescendoAttack",
    "CrescendoParams",
    "Exchange",
    "MultiTurnAttack",
    "MultiTurnParams",
    "PairAttack",
    "PairParams",
    "TapAttack",
    "TapParams",
    "UnparseableOutput",
    "parse_attacker_output",
    "parse_judge_rating",
    "parse_on_topic",
]
