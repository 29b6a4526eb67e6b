"""Images to targets: OpenAI image_url data URLs against the real stub,
Anthropic image blocks, http body slots, and 'unsupported' where a target
cannot take images."""

from __future__ import annotations

import base64
import json

import pytest

from redline.attacks.converters.image_render import TextStyle, png_part, render_text
from redline.core import GenerationParams, Message, TargetUnsupportedError
from redline.targets.anthropic_messages import AnthropicTarget
from redline.targets.http_app import HTTPTarget, HTTPTargetConfig
from redline.targets.image_inputs import refuse_images
from redline.targets.openai_chat import OpenAITarget
from redline.testing.openai_stub import running_stub


@pytest.fixture(scope="module")
def image():
    return png_part(render_text("a picture of words", TextStyle(size=16)))


def with_image(image, text="what does it say") -> list[Message]:
    return [
        Message(role="system", content="be brief"),
        Message(role="user", content=text, images=[image]),
    ]


def test_openai_body_has_text_and_image_url_parts(image):
    body = OpenAITarget(model="m", base_url="http://127.0.0.1:1/v1").request_body(
        with_image(image), GenerationParams()
    )
    system, user = body["messages"]
    assert system["content"] == "be brief"  # text-only messages keep plain strings
    assert user["content"][0] == {"type": "text", "text": "what does it say"}
    url = user["content"][1]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == image.data


async def test_stub_receives_the_exact_image_bytes(image):
    async with running_stub(delay=0.0) as base_url:
        target = OpenAITarget(model="m", base_url=base_url)
        try:
            completion = await target.generate(with_image(image), GenerationParams())
        finally:
            await target.aclose()
    assert completion.text.startswith("Sure: what does it say")
    assert f"[image {image.sha256[:12]}]" in completion.text


async def test_text_only_stub_makes_images_unsupported(image):
    async with running_stub(delay=0.0, images=False) as base_url:
        target = OpenAITarget(model="m", base_url=base_url)
        try:
            with pytest.raises(TargetUnsupportedError, match="rejected image input") as info:
                await target.generate(with_image(image), GenerationParams())
            assert info.value.kind == "unsupported" and info.value.status == 400
            # The same target still answers text.
            text = await target.generate([Message(role="user", content="hi")], GenerationParams())
        finally:
            await target.aclose()
    assert text.text == "Sure: hi"


async def test_stub_rejects_broken_image_parts():
    bad = {"type": "image_url", "image_url": {"url": "data:image/png;base64,bm90IGFuIGltYWdl"}}
    async with running_stub(delay=0.0) as base_url:
        target = OpenAITarget(model="m", base_url=base_url)
        try:
            raw = await target._session.send(
                "POST",
                f"{base_url}/chat/completions",
                body=json.dumps({"messages": [{"role": "user", "content": [bad]}]}).encode(),
                headers={"Content-Type": "application/json"},
            )
        finally:
            await target.aclose()
    status, _, body = raw
    assert status == 400 and b"not an image" in body


def test_anthropic_body_has_image_blocks_first(image):
    target = AnthropicTarget(model="claude", base_url="http://127.0.0.1:1")
    body = target.request_body(with_image(image), GenerationParams())
    assert body["system"] == "be brief"
    blocks = body["messages"][0]["content"]
    assert blocks[0]["type"] == "image"
    assert blocks[0]["source"] == {
        "type": "base64",
        "media_type": "image/png",
        "data": base64.b64encode(image.data).decode(),
    }
    assert blocks[1] == {"type": "text", "text": "what does it say"}


def test_http_target_maps_images_into_named_slots(image):
    config = HTTPTargetConfig(
        url="http://127.0.0.1:1/chat",
        body={"q": "{{prompt}}", "pictures": "{{image_urls}}", "raw": "{{images_base64}}"},
    )
    body = json.loads(HTTPTarget(config=config).request_body(with_image(image)))
    assert body["q"] == "what does it say"
    assert body["pictures"] == [image.data_url()]
    assert body["raw"] == [base64.b64encode(image.data).decode()]

    plain = HTTPTargetConfig(url="http://127.0.0.1:1/c", body={"q": "{{prompt}}"})
    no_slot = HTTPTarget(config=plain)
    with pytest.raises(TargetUnsupportedError, match="no \\{\\{image_urls\\}\\}"):
        no_slot.request_body(with_image(image))
    assert json.loads(no_slot.request_body([Message(role="user", content="x")])) == {"q": "x"}


def test_text_only_targets_refuse_images(image):
    refuse_images("local", [Message(role="user", content="x")])
    with pytest.raises(TargetUnsupportedError, match="text only; the conversation has 1 image"):
        refuse_images("local", with_image(image))
