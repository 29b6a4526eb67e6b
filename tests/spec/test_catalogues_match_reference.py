"""The ids and titles in redline's framework catalogues agree with the shared
reference catalogues (read from the primary sources, with ``verified`` flags).

Skipped where ``../shared/reference`` is absent (an installed package, a fork).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from redline.spec import load_catalogue

REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference"

pytestmark = pytest.mark.skipif(not REFERENCE.is_dir(), reason="../shared/reference is not present")


class ReferenceEntry:
    def __init__(self, title: str | None, *, verified: bool) -> None:
        self.title = title
        self.verified = verified


def _read(name: str) -> dict[str, Any]:
    return yaml.safe_load((REFERENCE / name).read_text("utf-8"))


def _eu_ai_act() -> dict[str, ReferenceEntry]:
    document = _read("eu_ai_act_2024_1689.yaml")
    entries = {
        row["id"]: ReferenceEntry(row["title"], verified=row["verified"])
        for row in document["articles"]
    }
    # Annex IV points have no official titles; the reference's short titles are
    # its own words, and ours follow them so the two never disagree.
    for row in document["annex_IV"]:
        entries[f"Annex IV({row['number']})"] = ReferenceEntry(
            row["short_title"], verified=row["verified"]
        )
    return entries


def _mitre_atlas() -> dict[str, ReferenceEntry]:
    document = _read("mitre_atlas.yaml")
    entries = {}
    for row in document["techniques"]:
        title = row["name"]
        if row.get("parent_name"):
            title = f"{row['parent_name']}: {title}"
        entries[row["id"]] = ReferenceEntry(title, verified=row["verified"])
    return entries


def _nist_ai_rmf() -> dict[str, ReferenceEntry]:
    # NIST gives subcategories no short titles: only the ids can be checked.
    document = _read("nist_ai_rmf_1_0.yaml")
    return {
        row["id"]: ReferenceEntry(None, verified=row["verified"])
        for row in document["entries"]
        if row["type"] == "subcategory"
    }


def _owasp_llm() -> dict[str, ReferenceEntry]:
    document = _read("owasp_llm_top10_2025.yaml")
    return {
        row["id"].removesuffix(":2025"): ReferenceEntry(row["name"], verified=row["verified"])
        for row in document["entries"]
    }


def _owasp_agentic() -> dict[str, ReferenceEntry]:
    document = _read("owasp_agentic.yaml")
    return {
        row["id"]: ReferenceEntry(row["name"], verified=row["verified"])
        for row in document["top10_agentic_2026"]
    }


def _nist_ai_600_1() -> dict[str, ReferenceEntry]:
    # The profile gives its risks no ids (redline's are its own): match by title.
    document = _read("nist_ai_600_1_gai_risks.yaml")
    return {
        row["name"]: ReferenceEntry(row["name"], verified=row["verified"])
        for row in document["entries"]
    }


READERS = {
    "eu_ai_act": _eu_ai_act,
    "mitre_atlas": _mitre_atlas,
    "nist_ai_rmf": _nist_ai_rmf,
    "owasp_llm": _owasp_llm,
    "owasp_agentic": _owasp_agentic,
}


@pytest.mark.parametrize("framework", sorted(READERS))
def test_every_catalogue_id_and_title_is_in_the_reference(framework: str) -> None:
    reference = READERS[framework]()
    mismatches = []
    for item in load_catalogue(framework).items:
        entry = reference.get(item.id)
        if entry is None:
            mismatches.append(f"{item.id}: not in the reference")
        elif entry.title is not None and entry.title != item.title:
            mismatches.append(f"{item.id}: {item.title!r} but the reference has {entry.title!r}")
    assert mismatches == []


def test_nist_ai_rmf_catalogue_has_every_subcategory() -> None:
    ids = {item.id for item in load_catalogue("nist_ai_rmf").items}
    assert ids == set(_nist_ai_rmf())


def test_nist_ai_600_1_titles_are_the_twelve_risks() -> None:
    titles = [item.title for item in load_catalogue("nist_ai_600_1").items]
    assert sorted(titles) == sorted(_nist_ai_600_1())


@pytest.mark.parametrize("framework", [*sorted(READERS), "nist_ai_600_1"])
def test_a_catalogue_resting_on_unverified_entries_says_so(framework: str) -> None:
    reference = READERS.get(framework, _nist_ai_600_1)()
    catalogue = load_catalogue(framework)
    keys = (
        [item.title for item in catalogue.items]
        if framework == "nist_ai_600_1"
        else [item.id for item in catalogue.items]
    )
    unverified = [key for key in keys if not reference[key].verified]
    header = (
        (Path(__file__).resolve().parents[2] / "src" / "redline" / "spec" / "catalogues")
        .joinpath(f"{framework}.yaml")
        .read_text("utf-8")
    )
    assert ("UNVERIFIED" in header) == bool(unverified), unverified
