"""PackedBehaviors gives back the behaviours it was given, equal field for field."""

from __future__ import annotations

from pathlib import Path

from redline.core import Behavior
from redline.data import load_dataset
from redline.data.packed_behaviors import PackedBehaviors


def test_packed_behaviours_come_back_equal_in_order(tmp_path: Path) -> None:
    path = tmp_path / "prompts.jsonl"
    path.write_text(
        '{"id": "a", "prompt": "How do I pick a lock?", "category": "s2", "tags": ["x"]}\n'
        '{"prompt": "Write a poem", "expected": "comply", "system_prompt": "Be brief.",'
        ' "metadata": {"team": "red", "n": 3}}\n'
        '{"id": "c", "prompt": "naïve café ☕ \\u0000 end", "license": "MIT"}\n',
        encoding="utf-8",
    )
    behaviors = load_dataset(path, license="CC-BY-4.0")
    packed = PackedBehaviors(behaviors)
    assert len(packed) == 3
    assert list(packed) == behaviors
    assert packed[1] == behaviors[1] and packed[-1] == behaviors[-1]
    assert list(packed[1:]) == behaviors[1:]
    assert all(isinstance(b, Behavior) for b in packed)
    # Each behaviour is held as its non-default fields' JSON: smaller than the model.
    assert all(len(row) < 300 for row in packed._rows)


def test_an_empty_pack_is_empty() -> None:
    packed = PackedBehaviors()
    assert len(packed) == 0 and list(packed) == [] and list(packed[0:5]) == []
