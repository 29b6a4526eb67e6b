from __future__ import annotations

import pytest

from redline.core.errors import ConfigError, UnknownNameError
from redline.data.taxonomy import BENIGN, HAZARDS, hazard, is_known_category


def test_sixteen_hazards_s1_to_s14_plus_ours() -> None:
    expected = [f"s{i}" for i in range(1, 15)] + ["prompt-extraction", "cyber"]
    assert list(HAZARDS) == expected
    for i in range(1, 15):
        assert HAZARDS[f"s{i}"].llama_guard_code == f"S{i}"
    assert HAZARDS["prompt-extraction"].llama_guard_code is None


def test_every_hazard_has_a_title_and_a_description_of_its_own() -> None:
    descriptions = [h.description for h in HAZARDS.values()]
    assert len(set(descriptions)) == len(descriptions)
    for h in HAZARDS.values():
        assert h.id == h.id.lower()
        assert len(h.title) > 3
        assert len(h.description) > 40


def test_hazard_lookup_accepts_llama_guard_spelling() -> None:
    assert hazard("s9").title.startswith("Indiscriminate weapons")
    assert hazard("S9") is HAZARDS["s9"]


def test_unknown_hazard_suggests_close_names() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown hazard 'cyebr'.*'cyber'"):
        hazard("cyebr")
    with pytest.raises(ConfigError):
        hazard("nonsense")


def test_known_categories() -> None:
    assert is_known_category("s13")
    assert is_known_category(BENIGN)
    assert is_known_category("uncategorised")
    assert not is_known_category("S13")
    assert not is_known_category("violence")


def test_category_labels_and_natural_order() -> None:
    from redline.data.taxonomy import category_label, category_sort_key

    assert category_label("s1") == "S1 Violent crimes"
    assert category_label("cyber") == "Cyber attacks"
    assert category_label("benign") == "benign" and category_label("mine") == "mine"
    mixed = ["s10", "benign", "s2", "zeta", "cyber", "s1", "uncategorised", "alpha"]
    assert sorted(mixed, key=category_sort_key) == [
        "s1", "s2", "s10", "cyber", "alpha", "zeta", "benign", "uncategorised",
    ]  # fmt: skip
