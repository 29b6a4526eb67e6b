"""One labelled training text, where it came from, and the hazard keyword rules.

Every example carries the label of each task it takes part in (``None`` where it
says nothing about that task), the source it came from, and a *group*: the unit a
split holds out whole (a behaviour, a template, a context), so near-copies of one
item never sit on both sides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

TASKS = ("harm", "jailbreak", "injection")

# Category ids follow redline.data.taxonomy (MLCommons S1-S14, lower case) plus
# "harassment", which the taxonomy folds into s10 but users ask for by name.
CATEGORIES = (
    "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14",
    "harassment",
)  # fmt: skip

# Examples made by an attack-library converter have source "disguised:<converter>",
# so a leave-one-source-out fold holds one converter out.
SOURCE_PREFIX = "disguised:"

# Taxonomy ids the classifier has no head of its own for, and the head they train.
# "cyber" (ours) is a non-violent crime in MLCommons numbering.
TAXONOMY_TO_HEAD = {"cyber": "s2"}

# Keyword rules applied to harmful text whose source gives no usable category.
# Deliberately narrow: a wrong category costs more than a missing one, since
# every harmful example still trains the combined head.
_KEYWORD_RULES: dict[str, str] = {
    "s9": r"\b(bomb|explosive|detonat|nerve agent|sarin|vx\b|mustard gas|chemical weapon|"
    r"bio(logical)? weapon|anthrax|smallpox|ricin|botulinum|pathogen|nuclear|uranium|"
    r"plutonium|radiolog|dirty bomb|napalm|tabun|nitazene|dimethylmercury|weaponi[sz])",
    "s11": r"\b(suicid|self[- ]harm|kill (myself|yourself|themselves)|end (my|your) life|"
    r"cutting myself|cut myself|anorexi|bulimi|starve (myself|yourself)|overdose)",
    "s4": r"\b(child porn|minor|underage|csam|groom(ing)?\b|pedophil|paedophil|"
    r"\d{1,2}[- ]year[- ]old)",
    "s12": r"\b(porn|sexual(ly)? explicit|erotic|sex scene|nude|naked|orgasm|lewd|"
    r"masturbat|genital|penis|vagina|xxx)",
    "s3": r"\b(rape|sexual(ly)? assault|sex traffick|revenge porn|sextort|upskirt|"
    r"non-?consensual|date rape|roofie)",
    "s1": r"\b(murder|kill(ing)?|assassinat|stab|shoot(ing)?|strangl|kidnap|torture|"
    r"terror|massacre|mass shooting|assault|beat (him|her|them|someone) up|behead)",
    "s10": r"\b(racis|sexis|hate speech|inferior|slur|white supremac|nazi|antisemit|"
    r"islamophob|homophob|transphob|xenophob|ethnic cleansing|genocide)",
    "harassment": r"\b(harass|bully|bullying|cyberbull|humiliat|insult|stalk|doxx|"
    r"intimidat|threaten(ing)?|troll)",
    "s7": r"\b(personal information|home address|social security number|ssn\b|"
    r"track (someone|my|her|his)|spy on|dox|private (data|information)|phone number of)",
    "s8": r"\b(copyright|pirat(e|ed|ing)|torrent|counterfeit|lyrics of|passage from|"
    r"plagiari|drm)",
    "s13": r"\b(election|ballot|voter|voting|polling station)",
    "s5": r"\b(defamat|libel|slander|false (rumou?r|story|article) about)",
    "s2": r"\b(hack(ing)?|malware|ransomware|phishing|steal|theft|fraud|launder|scam|"
    r"counterfeit money|drug|meth|cocaine|heroin|fentanyl|smuggl|shoplift|"
    r"identity theft|credit card|tax evasion|brib|forge|exploit|ddos|keylogger|botnet|"
    r"crack (a |the )?password|lock ?pick|firearm|gun)",
}
_KEYWORD_PATTERNS = {cat: re.compile(rx, re.IGNORECASE) for cat, rx in _KEYWORD_RULES.items()}


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text. A task label of ``None`` means the example is not used
    for that task."""

    text: str
    source: str
    group: str
    harm: bool | None = None
    categories: tuple[str, ...] = ()
    jailbreak: bool | None = None
    injection: bool | None = None

    def label(self, task: str) -> bool | None:
        value: bool | None = getattr(self, task)
        return value


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where a set of examples came from and under which licence."""

    name: str
    origin: str
    license: str
    count: int = 0


def hazard_categories(text: str) -> tuple[str, ...]:
    """Hazard ids whose keyword rule matches ``text`` (see ``_KEYWORD_RULES``)."""
    return tuple(cat for cat, rx in _KEYWORD_PATTERNS.items() if rx.search(text))


def head_categories(categories: Iterable[str]) -> set[str]:
    """Taxonomy ids as classifier head ids (``cyber`` trains ``s2``); unknown ids drop."""
    heads = {TAXONOMY_TO_HEAD.get(c, c) for c in categories}
    return heads & set(CATEGORIES)


def harmful(text: str, source: str, group: str, categories: Iterable[str] = ()) -> Example:
    """A harmful example (harm positive, jailbreak and injection negative); categories
    are the source's, mapped to heads, plus the keyword rules'."""
    cats = tuple(sorted(head_categories(categories) | set(hazard_categories(text))))
    return Example(
        text=text,
        source=source,
        group=group,
        harm=True,
        categories=cats,
        jailbreak=False,
        injection=False,
    )


def benign(text: str, source: str, group: str) -> Example:
    """A benign example: negative for all three tasks."""
    return Example(
        text=text, source=source, group=group, harm=False, jailbreak=False, injection=False
    )


def disguise_source(converter: str) -> str:
    """The example source of a converter's output: ``disguised:<converter>``."""
    return f"{SOURCE_PREFIX}{converter}"
