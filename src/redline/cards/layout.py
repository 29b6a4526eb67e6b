"""The card layouts of ``sections.yaml``, and the facts a person writes for them.

The facts file mirrors the layout: one mapping per section id, holding that
section's narrative fields as text::

    model_details:
      name: acme-chat
      developer: ACME Ltd
    intended_use:
      primary_uses: Customer support for ACME's own products.

A field the layout does not know is an error naming FILE:LINE; a field left
out is listed on the card as missing.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field

from redline.core import ConfigError
from redline.core.config_files import read_yaml

CardKind = Literal["model", "system"]
CARD_KINDS: tuple[CardKind, ...] = ("model", "system")


class SectionLayout(BaseModel):
    """One section: its narrative fields (name -> what to write), metrics and blocks."""

    id: str
    title: str
    narrative: dict[str, str] = Field(default_factory=dict)
    metrics: list[str] = Field(default_factory=list)
    blocks: list[str] = Field(default_factory=list)


class CardLayout(BaseModel):
    title: str
    sections: list[SectionLayout]

    def field_names(self) -> set[str]:
        return {name for section in self.sections for name in section.narrative}


class MetricText(BaseModel):
    title: str
    explain: str


class Layouts(BaseModel):
    metrics: dict[str, MetricText]
    cards: dict[CardKind, CardLayout]


@cache
def layouts() -> Layouts:
    """The shipped card layouts (``cards/sections.yaml``)."""
    text = files("redline.cards").joinpath("sections.yaml").read_text("utf-8")
    return Layouts.model_validate(yaml.safe_load(text))


# section id -> field -> text
Facts = dict[str, dict[str, str]]


def load_facts(path: Path, kind: CardKind) -> Facts:
    """Read a facts file for a ``kind`` card; unknown sections or fields are errors."""
    document = read_yaml(path, what="facts file")
    if document.data is None:
        return {}
    data = document.mapping("a mapping of section ids to their fields")
    sections = {s.id: s for s in layouts().cards[kind].sections}
    facts: Facts = {}
    for section_id, fields in data.items():
        section = sections.get(section_id)
        if section is None:
            known = ", ".join(s for s in sections if sections[s].narrative)
            raise document.error((section_id,), f"not a section of a {kind} card (known: {known})")
        if not isinstance(fields, dict):
            raise document.error((section_id,), "expected a mapping of field names to text")
        for name, value in fields.items():
            if name not in section.narrative:
                known = ", ".join(section.narrative) or "none"
                raise document.error(
                    (section_id, name), f"unknown field of {section_id} (known: {known})"
                )
            if value is None or isinstance(value, list | dict):
                raise document.error((section_id, name), "expected text")
            text = str(value).strip()
            if text:
                facts.setdefault(section_id, {})[name] = text
    return facts


def check_kind(kind: str) -> CardKind:
    """``kind`` as a card kind, or a ConfigError listing the kinds."""
    for known in CARD_KINDS:
        if kind == known:
            return known
    raise ConfigError(f"card kind {kind!r}: expected one of {', '.join(CARD_KINDS)}")
