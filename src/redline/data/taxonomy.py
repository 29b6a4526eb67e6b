"""The hazard categories every behaviour, scorer and report is grouped by.

S1-S14 follow the MLCommons AILuminate hazard taxonomy as Llama Guard 3 numbers
it, so results line up with guard models that speak the same codes. Two more are
ours: ``prompt-extraction`` and ``cyber``. Benign prompts use ``benign``.
"""

from __future__ import annotations

import difflib

from pydantic import BaseModel, ConfigDict

from redline.core.errors import UnknownNameError

BENIGN = "benign"
UNCATEGORISED = "uncategorised"


class Hazard(BaseModel):
    """One hazard category: a stable id (``s1``...``s14``, ``prompt-extraction``,
    ``cyber``), a short title, and what falls under it."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    description: str
    llama_guard_code: str | None = None


def _hazards(*items: Hazard) -> dict[str, Hazard]:
    return {h.id: h for h in items}


HAZARDS: dict[str, Hazard] = _hazards(
    Hazard(
        id="s1",
        llama_guard_code="S1",
        title="Violent crimes",
        description=(
            "Helping plan, carry out or get away with violence against people or animals: "
            "assault, murder, kidnapping, terrorism, threats meant to intimidate."
        ),
    ),
    Hazard(
        id="s2",
        llama_guard_code="S2",
        title="Non-violent crimes",
        description=(
            "Help with crimes that do not hurt anyone physically: fraud, scams, theft, "
            "burglary, money laundering, drug manufacture and trafficking, illegal "
            "weapon purchases, evading law enforcement."
        ),
    ),
    Hazard(
        id="s3",
        llama_guard_code="S3",
        title="Sex-related crimes",
        description=(
            "Sexual assault, trafficking for sex, non-consensual intimate imagery, "
            "sextortion, and harassment of a sexual nature, involving adults."
        ),
    ),
    Hazard(
        id="s4",
        llama_guard_code="S4",
        title="Child sexual exploitation",
        description=(
            "Any sexualisation of minors, and help with grooming, gaining illicit access "
            "to children, or obtaining or hiding abuse material."
        ),
    ),
    Hazard(
        id="s5",
        llama_guard_code="S5",
        title="Defamation",
        description=(
            "False statements of fact presented as true that would damage the "
            "reputation of a real, identifiable person or organisation."
        ),
    ),
    Hazard(
        id="s6",
        llama_guard_code="S6",
        title="Specialized advice",
        description=(
            "Confident medical, legal or financial advice that should come from a "
            "professional, given where a wrong answer can seriously hurt someone "
            "(dosing, stopping treatment, legal strategy, investing savings)."
        ),
    ),
    Hazard(
        id="s7",
        llama_guard_code="S7",
        title="Privacy",
        description=(
            "Revealing or gathering sensitive non-public information about a private "
            "person: home address, identity documents, health, location tracking, doxxing."
        ),
    ),
    Hazard(
        id="s8",
        llama_guard_code="S8",
        title="Intellectual property",
        description=(
            "Reproducing copyrighted works at length, getting around licensing or DRM, "
            "counterfeiting brands, or passing off someone else's work."
        ),
    ),
    Hazard(
        id="s9",
        llama_guard_code="S9",
        title="Indiscriminate weapons (CBRNE)",
        description=(
            "Chemical, biological, radiological and nuclear weapons and high-yield "
            "explosives: acquiring agents, making, weaponising or deploying them."
        ),
    ),
    Hazard(
        id="s10",
        llama_guard_code="S10",
        title="Hate",
        description=(
            "Content that demeans or dehumanises people for protected characteristics "
            "(race, ethnicity, religion, nationality, disability, sex, gender identity, "
            "sexual orientation), or calls for discrimination against them."
        ),
    ),
    Hazard(
        id="s11",
        llama_guard_code="S11",
        title="Suicide and self-harm",
        description=(
            "Encouraging or enabling suicide, self-injury or disordered eating, "
            "including methods, concealment and pro-self-harm content."
        ),
    ),
    Hazard(
        id="s12",
        llama_guard_code="S12",
        title="Sexual content",
        description=(
            "Explicit sexual content and erotica between adults, where the deployment "
            "does not allow it."
        ),
    ),
    Hazard(
        id="s13",
        llama_guard_code="S13",
        title="Elections",
        description=(
            "False information about how, when or where to vote, voter suppression, "
            "and fabricated claims meant to undermine an election."
        ),
    ),
    Hazard(
        id="s14",
        llama_guard_code="S14",
        title="Code interpreter abuse",
        description=(
            "Using a model's code-execution tool against its host: escaping the "
            "sandbox, denial of service, reading secrets, or pivoting to other systems."
        ),
    ),
    Hazard(
        id="prompt-extraction",
        title="Prompt extraction",
        description=(
            "Getting a system prompt, hidden instructions, tool definitions or other "
            "confidential configuration out of a deployed model."
        ),
    ),
    Hazard(
        id="cyber",
        title="Cyber attacks",
        description=(
            "Malware, intrusion, credential theft, phishing kits, exploitation of "
            "systems the requester does not own, and denial of service, outside a "
            "code interpreter."
        ),
    ),
)


def hazard(hazard_id: str) -> Hazard:
    """The hazard with this id; an unknown id raises UnknownNameError with suggestions."""
    # Llama Guard writes the codes upper-case (S9); accept either spelling.
    try:
        return HAZARDS[hazard_id.lower()]
    except KeyError:
        close = difflib.get_close_matches(hazard_id, list(HAZARDS), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise UnknownNameError(
            f"unknown hazard {hazard_id!r}.{hint} Known: {', '.join(HAZARDS)}."
        ) from None


def is_known_category(category: str) -> bool:
    """True for a hazard id, ``benign`` or ``uncategorised``."""
    return category in HAZARDS or category in (BENIGN, UNCATEGORISED)


def category_label(category: str) -> str:
    """How a category reads in tables: ``S1 Violent crimes``, ``Cyber attacks``;
    ``benign`` and unknown categories as they are."""
    found = HAZARDS.get(category)
    if found is None:
        return category
    return f"{found.llama_guard_code} {found.title}" if found.llama_guard_code else found.title


_ORDER = {hazard_id: index for index, hazard_id in enumerate(HAZARDS)}


def category_sort_key(category: str) -> tuple[int, str]:
    """Natural order: s1, s2, ... s14 and the other hazards as listed here, then
    categories from elsewhere alphabetically, then ``benign`` and ``uncategorised``."""
    if category in _ORDER:
        return (0, f"{_ORDER[category]:04d}")
    if category in (BENIGN, UNCATEGORISED):
        return (2, category)
    return (1, category)
