"""Machine-readable catalogues of governance frameworks: ids, titles, our descriptions.

Each catalogue is a YAML file under ``redline/spec/catalogues``. Ids are
matched ignoring case, spaces and dots-versus-spaces differences
(``measure 2.6`` is ``MEASURE 2.6``); ``aliases`` add other spellings.
``internal`` is not a catalogue: an organisation's own policy clauses are
free text.
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from importlib.resources import files

import yaml
from pydantic import BaseModel, ConfigDict, Field

from redline.core import UnknownNameError

FRAMEWORKS = (
    "nist_ai_rmf",
    "nist_ai_600_1",
    "eu_ai_act",
    "owasp_llm",
    "owasp_agentic",
    "mitre_atlas",
)
FREE_TEXT_FRAMEWORKS = ("internal",)


class CatalogueItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    description: str
    aliases: list[str] = Field(default_factory=list)


class Catalogue(BaseModel):
    """One framework's identifiers."""

    model_config = ConfigDict(extra="forbid")
    framework: str
    title: str
    version: str
    items: list[CatalogueItem]

    def _index(self) -> dict[str, CatalogueItem]:
        index = {}
        for item in self.items:
            for name in (item.id, *item.aliases):
                index[_key(name)] = item
        return index

    def find(self, ident: str) -> CatalogueItem | None:
        """The item ``ident`` names (any accepted spelling), or None."""
        return self._index().get(_key(ident))

    def get(self, ident: str) -> CatalogueItem:
        item = self.find(ident)
        if item is None:
            raise UnknownNameError(self.unknown_message(ident))
        return item

    def unknown_message(self, ident: str) -> str:
        ids = [item.id for item in self.items]
        close = difflib.get_close_matches(ident.upper(), [i.upper() for i in ids], n=3, cutoff=0.6)
        by_upper = {i.upper(): i for i in ids}
        hint = f" Did you mean {', '.join(repr(by_upper[c]) for c in close)}?" if close else ""
        return f"unknown {self.title} ({self.version}) id {ident!r}.{hint}"


def _key(ident: str) -> str:
    return re.sub(r"[\s_]+", " ", ident.strip().lower())


@cache
def load_catalogue(framework: str) -> Catalogue:
    """The catalogue of ``framework`` (one of :data:`FRAMEWORKS`)."""
    if framework not in FRAMEWORKS:
        close = difflib.get_close_matches(framework, FRAMEWORKS + FREE_TEXT_FRAMEWORKS, n=2)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        known = ", ".join(FRAMEWORKS + FREE_TEXT_FRAMEWORKS)
        raise UnknownNameError(f"unknown framework {framework!r}.{hint} Known: {known}.")
    text = (
        files("redline.spec")
        .joinpath("catalogues")
        .joinpath(f"{framework}.yaml")
        .read_text("utf-8")
    )
    return Catalogue.model_validate(yaml.safe_load(text))


def all_catalogues() -> list[Catalogue]:
    return [load_catalogue(name) for name in FRAMEWORKS]
