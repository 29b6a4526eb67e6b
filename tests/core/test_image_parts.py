"""ImagePart on Message: addresses in run files, bytes in memory, old runs still read."""

import base64
import json

import pytest

from redline.attacks.converters.image_render import TextStyle, png_part, render_text
from redline.core import ConfigError, ImagePart, Message, parse_data_url, sniff_media_type


@pytest.fixture(scope="module")
def png() -> ImagePart:
    return png_part(render_text("hello", TextStyle(size=14)))


def test_text_only_messages_serialise_as_before():
    # The exact JSON a text message had before images existed: old readers and
    # cache keys see no change.
    dumped = json.loads(Message(role="user", content="hi").model_dump_json())
    assert dumped == {
        "role": "user",
        "content": "hi",
        "name": None,
        "tool_calls": None,
        "tool_call_id": None,
    }
    old_record = '{"role": "user", "content": "hi", "name": null}'
    assert Message.model_validate_json(old_record).images is None


def test_image_messages_record_the_address_not_the_bytes(png):
    message = Message(role="user", content="look", images=[png])
    dumped = json.loads(message.model_dump_json())
    assert dumped["images"] == [
        {"sha256": png.sha256, "media_type": "image/png", "width": png.width, "height": png.height}
    ]
    read_back = Message.model_validate_json(message.model_dump_json())
    assert read_back.images[0].sha256 == png.sha256
    assert read_back.images[0].data is None
    with pytest.raises(ConfigError, match="no bytes loaded"):
        read_back.images[0].data_url()


def test_data_url_round_trip_and_errors(png):
    again = parse_data_url(png.data_url(), max_bytes=10_000_000)
    assert again.sha256 == png.sha256 and again.data == png.data
    with pytest.raises(ConfigError, match="remote image URLs are not fetched"):
        parse_data_url("https://example.invalid/a.png", max_bytes=100)
    with pytest.raises(ConfigError, match="not valid base64"):
        parse_data_url("data:image/png;base64,@@@@", max_bytes=100)
    with pytest.raises(ConfigError, match="not an image"):
        text = base64.b64encode(b"plain text, not pixels").decode()
        parse_data_url(f"data:image/png;base64,{text}", max_bytes=100)
    with pytest.raises(ConfigError, match="larger than the limit"):
        parse_data_url(png.data_url(), max_bytes=10)
    with pytest.raises(ConfigError, match="says image/jpeg but the bytes are image/png"):
        parse_data_url(png.data_url().replace("image/png", "image/jpeg"), max_bytes=10_000_000)


def test_sniff_media_type():
    assert sniff_media_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert sniff_media_type(b"GIF89a...") == "image/gif"
    assert sniff_media_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_media_type(b"%PDF-1.7") is None
