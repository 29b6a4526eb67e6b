"""The refusal classifier's written segments live in a data file, checked on load."""

from __future__ import annotations

from pathlib import Path

import pytest

from redline.classifiers.refusal_training import load_segment_templates
from redline.core.errors import ConfigError


def test_shipped_templates_load_with_every_segment_label():
    words = load_segment_templates()
    assert list(words.families) == ["refusal", "content", "other"]
    assert all(words.families[label] for label in words.families)
    assert "{topic}" in " ".join(t for ts in words.families["refusal"].values() for t in ts)
    assert words.harmful_topics and words.benign_topics and words.things


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("harmful_topics: [a]\n", r":1: benign_topics: Field required"),
        ("- a list\n", ":1: expected a mapping"),
        ("a: [\n", ":2: invalid YAML"),
        (
            "harmful_topics: [a]\nbenign_topics: []\nthings: [c]\n"
            "families: {refusal: {}, content: {}, other: {}}\n",
            r":2: benign_topics: List should have at least 1 item",
        ),
        (
            "harmful_topics: [a]\nbenign_topics: [b]\nthings: [c]\nfamilies: {refusal: {}}\n",
            ":4: families: needs exactly refusal, content, other",
        ),
        (
            "harmful_topics: [a]\nbenign_topics: [b]\nthings: [c]\n"
            "families:\n  refusal: {x: [1]}\n  content: {}\n  other: {}\n",
            r":5: families\.refusal\.x\.0: Input should be a valid string",
        ),
    ],
)
def test_bad_template_files_name_the_file_and_field(tmp_path: Path, text: str, message: str):
    path = tmp_path / "segments.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_segment_templates(path)
    assert str(path) in str(caught.value)
