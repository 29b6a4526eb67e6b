"""Prompt injection: direct, through retrieved documents, and through tool results.

Each attack (family ``injection``) builds its own cases, one per goal and
carrier, with a fresh canary planted in the system prompt; the ``canary``
scorer judges the answers from the parameters recorded on each attempt.
"""

from redline.attacks.injection.carriers import DIRECT_CARRIERS, INDIRECT_CARRIERS
from redline.attacks.injection.cases import (
    CATEGORY,
    InjectionAttack,
    InjectionCase,
    InjectionParams,
    case_params,
)
from redline.attacks.injection.direct import DirectInjection, load_extraction_attacks
from redline.attacks.injection.documents import (
    BUILTIN_DOCUMENTS,
    Document,
    load_bipia_documents,
)
from redline.attacks.injection.goals import (
    ATTACKER_DOMAIN,
    GOALS,
    MARKER,
    InjectionGoal,
    guarded_system_prompt,
    make_canary,
)
from redline.attacks.injection.rag import RagHarness, RagInjection, RagInjectionParams, poison
from redline.attacks.injection.retriever import TfidfRetriever
from redline.attacks.injection.tool import TOOL_SCENARIOS, ToolOutputInjection

__all__ = [
    "ATTACKER_DOMAIN",
    "BUILTIN_DOCUMENTS",
    "CATEGORY",
    "DIRECT_CARRIERS",
    "GOALS",
    "INDIRECT_CARRIERS",
    "MARKER",
    "TOOL_SCENARIOS",
    "DirectInjection",
    "Document",
    "InjectionAttack",
    "InjectionCase",
    "InjectionGoal",
    "InjectionParams",
    "RagHarness",
    "RagInjection",
    "RagInjectionParams",
    "TfidfRetriever",
    "ToolOutputInjection",
    "case_params",
    "guarded_system_prompt",
    "load_bipia_documents",
    "load_extraction_attacks",
    "make_canary",
    "poison",
]
