"""The system description a threat model is built from, read with FILE:LINE errors."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from redline.core.config_files import YamlDocument, read_yaml
from redline.core.errors import ConfigError

ComponentType = Literal["external_entity", "process", "agent", "llm"]
Capability = Literal[
    "reads_untrusted_data", "reads_private_data", "writes_externally", "moves_money",
    "executes_code",
]  # fmt: skip
# What each kind of element is, for the STRIDE-per-element table and the rules.
ElementKind = Literal[
    "external_entity", "process", "agent", "llm", "data_store", "tool", "data_flow"
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Component(_Strict):
    """A process (service, agent, model) or an external entity (a person, another system)."""

    id: str
    name: str = ""
    type: ComponentType = "process"
    description: str = ""


class DataStore(_Strict):
    id: str
    name: str = ""
    kind: Literal["database", "files", "vector_store", "memory", "cache", "other"] = "database"
    sensitive: bool = False
    description: str = ""


class Tool(_Strict):
    """A tool an agent can call, and what it can do."""

    id: str
    name: str = ""
    capabilities: list[Capability] = Field(default_factory=list)
    source: Literal["first_party", "third_party"] = "first_party"
    description: str = ""


class TrustBoundary(_Strict):
    id: str
    name: str = ""
    members: list[str]


class DataFlow(_Strict):
    id: str = ""
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    data: str = ""


class SystemDescription(_Strict):
    """Components, data stores, tools, trust boundaries and the data flows between them."""

    name: str
    description: str = ""
    components: list[Component] = Field(default_factory=list)
    data_stores: list[DataStore] = Field(default_factory=list)
    tools: list[Tool] = Field(default_factory=list)
    trust_boundaries: list[TrustBoundary] = Field(default_factory=list)
    data_flows: list[DataFlow] = Field(default_factory=list)

    def kinds(self) -> dict[str, ElementKind]:
        """Every element id and its kind (data flows excluded)."""
        found: dict[str, ElementKind] = {c.id: c.type for c in self.components}
        found.update({d.id: "data_store" for d in self.data_stores})
        found.update({t.id: "tool" for t in self.tools})
        return found

    def label(self, element_id: str) -> str:
        for group in (self.components, self.data_stores, self.tools):
            for element in group:
                if element.id == element_id:
                    return element.name or element.id
        return element_id

    def boundary_of(self, element_id: str) -> str | None:
        for boundary in self.trust_boundaries:
            if element_id in boundary.members:
                return boundary.id
        return None

    def flows(self) -> list[DataFlow]:
        """The flows, each with an id (``F1``, ``F2``... where the file gave none)."""
        return [
            flow if flow.id else flow.model_copy(update={"id": f"F{index}"})
            for index, flow in enumerate(self.data_flows, start=1)
        ]


def _check_references(document: YamlDocument, system: SystemDescription) -> None:
    """Ids are unique, and boundaries and flows only name elements that exist."""
    seen: dict[str, tuple[int | str, ...]] = {}
    for group in ("components", "data_stores", "tools"):
        for index, element in enumerate(getattr(system, group)):
            loc = (group, index, "id")
            if element.id in seen:
                raise document.error(loc, f"duplicate id {element.id!r}")
            seen[element.id] = loc
    known = ", ".join(sorted(seen)) or "none"
    member_of: dict[str, str] = {}
    for b_index, boundary in enumerate(system.trust_boundaries):
        for m_index, member in enumerate(boundary.members):
            where: tuple[int | str, ...] = ("trust_boundaries", b_index, "members", m_index)
            if member not in seen:
                raise document.error(where, f"unknown element {member!r} (known: {known})")
            if member in member_of:
                raise document.error(
                    where, f"{member!r} is already inside trust boundary {member_of[member]!r}"
                )
            member_of[member] = boundary.id
    for index, flow in enumerate(system.data_flows):
        for end, key in ((flow.source, "from"), (flow.target, "to")):
            if end not in seen:
                raise document.error(
                    ("data_flows", index, key), f"unknown element {end!r} (known: {known})"
                )


def parse_system(document: YamlDocument) -> SystemDescription:
    system = document.validate(SystemDescription, description="a system description")
    if not (system.components or system.tools or system.data_stores):
        raise ConfigError(f"{document.where()}: the system has no components, tools or stores")
    _check_references(document, system)
    return system


def load_system(path: Path) -> SystemDescription:
    """Read and check a system description; errors are ``FILE:LINE: field: problem``."""
    return parse_system(read_yaml(path, what="system description"))
