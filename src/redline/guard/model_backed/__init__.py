"""Guard models behind redline targets: Llama Guard 3/4, ShieldGemma, WildGuard and
Granite Guardian prompt formats, read into the guard's category scores.

The ``guard_model`` scanner runs one of them on every text, or, named in a
policy's ``cascade``, only on the texts the fast CPU scanners are unsure about.
"""

from redline.guard.model_backed.answer_logprobs import answer_probability
from redline.guard.model_backed.conversation import GuardTurn, guard_turns
from redline.guard.model_backed.formats import FORMAT_NAMES, build_format
from redline.guard.model_backed.granite_guardian import GRANITE_RISKS, GraniteGuardianFormat
from redline.guard.model_backed.guard_format import (
    GuardFormat,
    GuardOutputError,
    GuardReading,
    GuardRequest,
)
from redline.guard.model_backed.llama_guard import LLAMA_GUARD_CATEGORIES, LlamaGuardFormat
from redline.guard.model_backed.scanner import ModelBackedScanner
from redline.guard.model_backed.shield_gemma import (
    SHIELD_GEMMA_POLICIES,
    GuardPolicy,
    ShieldGemmaFormat,
)
from redline.guard.model_backed.wild_guard import WildGuardFormat

__all__ = [
    "FORMAT_NAMES",
    "GRANITE_RISKS",
    "LLAMA_GUARD_CATEGORIES",
    "SHIELD_GEMMA_POLICIES",
    "GraniteGuardianFormat",
    "GuardFormat",
    "GuardOutputError",
    "GuardPolicy",
    "GuardReading",
    "GuardRequest",
    "GuardTurn",
    "LlamaGuardFormat",
    "ModelBackedScanner",
    "ShieldGemmaFormat",
    "WildGuardFormat",
    "answer_probability",
    "build_format",
    "guard_turns",
]
