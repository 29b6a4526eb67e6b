"""The run's image store: attempts keep addresses, images/ keeps the bytes once."""

import pytest

from redline.attacks.converters.image_render import TextStyle, png_part, render_text
from redline.core import Attempt, ConfigError, Message, RunInfo
from redline.store import RunStore


def attempt_with(image, attempt_id: str) -> Attempt:
    return Attempt(
        id=attempt_id,
        run_id="r1",
        behavior_id="b",
        category="c",
        expected="refuse",
        target="t",
        messages=[Message(role="user", content="see image", images=[image])],
        response="ok",
    )


def test_attempts_store_images_once_and_hydrate(tmp_path):
    image = png_part(render_text("stored once", TextStyle(size=14)))
    store = RunStore(tmp_path)
    with store.create(RunInfo(id="r1")) as handle:
        handle.append_attempt(attempt_with(image, "a1"))
        handle.append_attempt(attempt_with(image, "a2"))
    files = list((tmp_path / "r1" / "images").iterdir())
    assert [f.name for f in files] == [f"{image.sha256}.png"]
    assert files[0].read_bytes() == image.data

    handle = store.open("r1")
    attempts = handle.read_attempts()
    assert attempts[0].messages[0].images[0].data is None
    hydrated = handle.images.hydrate(attempts[0].messages)
    assert hydrated[0].images[0].data == image.data

    files[0].write_bytes(b"changed")
    with pytest.raises(ConfigError, match="does not match its address"):
        handle.images.hydrate(attempts[0].messages)
    files[0].unlink()
    with pytest.raises(ConfigError, match="is not in the store"):
        handle.images.hydrate(attempts[0].messages)


def test_text_runs_have_no_image_folder(tmp_path):
    store = RunStore(tmp_path)
    with store.create(RunInfo(id="r2")) as handle:
        attempt = attempt_with(png_part(render_text("x", TextStyle())), "a")
        handle.append_attempt(attempt.model_copy(update={"messages": [Message(role="user")]}))
    assert not (tmp_path / "r2" / "images").exists()
