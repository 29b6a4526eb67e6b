"""The shipped data files agree with each other: the crosswalk names real catalogue
items, known evidence and real facts fields; the layouts name known metrics."""

from __future__ import annotations

from pathlib import Path

from redline.cards.card import EXTERNAL_METRICS
from redline.cards.crosswalk import CROSSWALK_FRAMEWORKS, crosswalk_map
from redline.cards.disclosure import disclosure_data
from redline.cards.figures import METRICS
from redline.cards.layout import layouts, load_facts
from redline.data.taxonomy import HAZARDS
from redline.spec import load_catalogue

EVIDENCE_KINDS = {"runs", "metric", "category", "scorer_agreement", "facts", "ablation", "spec"}


def test_every_crosswalk_item_is_in_its_catalogue() -> None:
    mapping = crosswalk_map()
    assert set(mapping.frameworks) == set(CROSSWALK_FRAMEWORKS)
    for framework, items in mapping.frameworks.items():
        catalogue = load_catalogue(framework)
        for item_id in items:
            assert catalogue.find(item_id) is not None, (framework, item_id)
    for framework, shown in mapping.shown.items():
        assert all(load_catalogue(framework).find(i) for i in shown)


def test_every_evidence_key_names_something_a_card_can_have() -> None:
    metrics = set(METRICS) | set(EXTERNAL_METRICS)
    fields = {name for card in layouts().cards.values() for name in card.field_names()}
    for items in crosswalk_map().frameworks.values():
        for keys in items.values():
            for key in keys:
                kind, _, name = key.partition(":")
                assert kind in EVIDENCE_KINDS, key
                if kind == "metric":
                    assert name in metrics, key
                elif kind == "category":
                    assert name in HAZARDS, key
                elif kind == "facts":
                    assert set(name.split("|")) <= fields, key


def test_layouts_name_known_metrics_and_have_texts_for_them() -> None:
    known = set(METRICS) | set(EXTERNAL_METRICS)
    assert set(layouts().metrics) == known
    for card in layouts().cards.values():
        for section in card.sections:
            assert set(section.metrics) <= known


def test_every_disclosure_level_is_reachable_and_every_category_scored() -> None:
    severity = disclosure_data().severity
    assert set(severity.harm_by_category) <= set(HAZARDS)
    highest = max(severity.harm_by_category.values()) + max(severity.ease_by_family.values()) + 2
    assert list(severity.levels.values()) == sorted(severity.levels.values(), reverse=True)
    assert all(low <= highest for low in severity.levels.values())
    assert min(severity.levels.values()) == 0


def test_the_example_facts_file_is_a_valid_system_card_facts_file() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "system-card.yaml"
    facts = load_facts(example, "system")
    assert facts["system_details"]["name"] == "Example support assistant"
