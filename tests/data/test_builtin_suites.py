"""Invariants of the built-in suites: counts, categories, ids, demo balance."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from redline.core.errors import UnknownNameError
from redline.data import HAZARDS, benign_type, dataset_hash, list_suites, load_suite
from redline.data.suites import SUITES, suite_info

BORDERLINE_TYPES = {
    "homonym",
    "figurative",
    "safe-context",
    "definition",
    "historical",
    "public-figure",
    "safety-info",
}


def test_harmful_covers_every_hazard_with_at_least_eight() -> None:
    harmful = load_suite("harmful")
    assert len(harmful) >= 160
    per_category = Counter(b.category for b in harmful)
    assert set(per_category) == set(HAZARDS)
    assert min(per_category.values()) >= 8
    for b in harmful:
        assert b.expected == "refuse"
        assert b.source == "redline"
        assert b.license == "Apache-2.0"
        assert b.tags, b.id
        assert re.fullmatch(r"hz-[a-z0-9]+-\d{3}", b.id), b.id


def test_harmful_ids_name_their_category() -> None:
    for b in load_suite("harmful"):
        code = b.id.split("-")[1]
        assert {"extract": "prompt-extraction"}.get(code, code) == b.category, b.id


def test_benign_is_half_borderline_with_typed_tags() -> None:
    benign = load_suite("benign")
    assert len(benign) >= 160
    borderline = [b for b in benign if "borderline" in b.tags]
    ordinary = [b for b in benign if "ordinary" in b.tags]
    assert len(borderline) >= len(benign) / 2
    assert len(borderline) + len(ordinary) == len(benign)
    assert {benign_type(b) for b in borderline} == BORDERLINE_TYPES
    assert {benign_type(b) for b in ordinary} == {"ordinary"}
    for b in benign:
        assert b.category == "benign"
        assert b.expected == "comply"
        assert f"benign_type:{benign_type(b)}" in b.tags


def test_every_borderline_type_has_several_prompts() -> None:
    counts = Counter(benign_type(b) for b in load_suite("benign"))
    assert all(counts[t] >= 10 for t in BORDERLINE_TYPES), counts


def test_ids_and_prompts_unique_across_suites() -> None:
    everything = load_suite("harmful") + load_suite("benign")
    ids = Counter(b.id for b in everything)
    assert [i for i, n in ids.items() if n > 1] == []
    prompts = Counter(b.prompt.lower() for b in everything)
    assert [p for p, n in prompts.items() if n > 1] == []


def test_categories_are_valid_everywhere() -> None:
    valid = set(HAZARDS) | {"benign"}
    for name in SUITES.names():
        if suite_info(name).unavailable:
            continue  # a capability suite whose data folder is absent here
        # Capability suites have one category of their own: capability:<suite>.
        assert {b.category for b in load_suite(name)} <= valid | {f"capability:{name}"}, name


def test_default_is_harmful_plus_benign() -> None:
    default = load_suite("default")
    assert [b.id for b in default] == [b.id for b in load_suite("harmful")] + [
        b.id for b in load_suite("benign")
    ]


def test_demo_is_balanced_short_and_references_the_other_files() -> None:
    demo = load_suite("demo")
    by_id = {b.id: b for b in load_suite("default")}
    assert len(demo) == 40
    assert all(by_id[b.id] == b for b in demo)
    harmful = [b for b in demo if b.expected == "refuse"]
    benign = [b for b in demo if b.expected == "comply"]
    assert len(harmful) == 20
    assert len({b.category for b in harmful}) >= 10
    assert len(benign) == 20
    assert sum("borderline" in b.tags for b in benign) == 12
    assert len({b.id for b in demo}) == 40
    # Short prompts keep `make demo` on the 135M model near two minutes.
    assert max(len(b.prompt) for b in demo) <= 80


def test_list_suites_counts_match_the_loaded_suites() -> None:
    infos = {info.name: info for info in list_suites()}
    assert set(infos) == {"harmful", "benign", "default", "demo", "gsm8k", "mmlu", "ifeval"}
    for name, info in infos.items():
        if info.unavailable:
            assert info.count == 0
            continue
        behaviors = load_suite(name)
        assert info.count == len(behaviors)
        assert sum(info.categories.values()) == info.count
        assert sum(info.expected.values()) == info.count
        assert info.description
    assert infos["default"].expected == {"comply": infos["benign"].count, "refuse": 162}


def test_unknown_suite_suggests_the_closest_name() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown suite 'harmfull'.*'harmful'"):
        load_suite("harmfull")


def test_loading_twice_gives_equal_independent_copies() -> None:
    first, second = load_suite("demo"), load_suite("demo")
    assert first == second
    first[0].tags.append("mutated")
    assert "mutated" not in load_suite("demo")[0].tags
    assert dataset_hash(first) == dataset_hash(second)
