from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp import web

from redline.core import (
    ConfigError,
    GenerationParams,
    Message,
    TargetAuthError,
    TargetResponseError,
)
from redline.targets import HTTPTarget, TargetSpec, build_target, load_http_config
from redline.targets.http_app import fill_template

TOKEN = "app-token-5f3a9c0d"
PARAMS = GenerationParams(max_tokens=16)


def app_server(seen: list[dict]) -> web.Application:
    async def reply(request: web.Request) -> web.Response:
        raw = await request.read()
        seen.append({"headers": dict(request.headers), "raw": raw, "body": json.loads(raw)})
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.Response(status=401, text=f"rejected {request.headers.get('Authorization')}")
        return web.json_response({"data": {"reply": "hi from app", "n": 3}})

    async def plain(request: web.Request) -> web.Response:
        return web.Response(text="plain words")

    app = web.Application()
    app.router.add_post("/api/reply", reply)
    app.router.add_post("/api/plain", plain)
    return app


def write_config(tmp_path: Path, url: str, *, response_path: str = "data.reply") -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(
        f"""url: {url}/api/reply
method: post
headers:
  Authorization: Bearer ${{APP_TOKEN}}
body:
  input: "{{{{prompt}}}}"
  history: "{{{{messages}}}}"
  note: "user said: {{{{prompt}}}}"
  fixed: [1, true]
response_path: {response_path}
"""
    )
    return path


async def test_template_jmespath_and_env_secret_header(serve, tmp_path, monkeypatch):
    monkeypatch.setenv("APP_TOKEN", TOKEN)
    seen: list[dict] = []
    tricky = 'say "hi"\nand {braces} \\ backslash'
    async with serve(app_server(seen)) as url:
        config = write_config(tmp_path, url)
        target = build_target(TargetSpec(kind="http", config_file=config))
        conversation = [
            Message(role="system", content="sys"),
            Message(role="user", content=tricky),
        ]
        completion = await target.generate(conversation, PARAMS)
        await target.aclose()
    assert completion.text == "hi from app"
    assert target.name == "http:app.yaml"
    body = seen[0]["body"]
    assert body["input"] == tricky
    assert body["history"] == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": tricky},
    ]
    assert body["note"] == "user said: " + tricky
    assert body["fixed"] == [1, True]
    assert seen[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert seen[0]["headers"]["Content-Type"] == "application/json"
    assert TOKEN not in repr(target)


async def test_auth_failure_redacts_the_substituted_secret(serve, tmp_path, monkeypatch):
    monkeypatch.setenv("APP_TOKEN", TOKEN + "-wrong")
    async with serve(app_server([])) as url:
        target = build_target(TargetSpec(kind="http", config_file=write_config(tmp_path, url)))
        with pytest.raises(TargetAuthError) as info:
            await target.generate([Message(role="user", content="x")], PARAMS)
        await target.aclose()
    assert TOKEN not in str(info.value)
    assert "Bearer ***" in str(info.value)
    assert "app.yaml" in str(info.value)


async def test_response_path_that_matches_nothing(serve, tmp_path, monkeypatch):
    monkeypatch.setenv("APP_TOKEN", TOKEN)
    async with serve(app_server([])) as url:
        missing = build_target(
            TargetSpec(kind="http", config_file=write_config(tmp_path, url, response_path="x.y"))
        )
        with pytest.raises(TargetResponseError, match="matched nothing"):
            await missing.generate([Message(role="user", content="x")], PARAMS)
        number = build_target(
            TargetSpec(kind="http", config_file=write_config(tmp_path, url, response_path="data.n"))
        )
        with pytest.raises(TargetResponseError, match="gave a int"):
            await number.generate([Message(role="user", content="x")], PARAMS)
        await missing.aclose()
        await number.aclose()


async def test_without_response_path_the_body_is_the_reply(serve, tmp_path):
    path = tmp_path / "plain.yaml"
    async with serve(app_server([])) as url:
        path.write_text(f"url: {url}/api/plain\nbody: {{q: '{{{{prompt}}}}'}}\n")
        target = build_target(TargetSpec(kind="http", config_file=path))
        completion = await target.generate([Message(role="user", content="x")], PARAMS)
        await target.aclose()
    assert completion.text == "plain words"


def test_missing_env_var_names_the_var_file_and_line(tmp_path, monkeypatch):
    monkeypatch.delenv("APP_TOKEN", raising=False)
    config = write_config(tmp_path, "http://127.0.0.1:1")
    with pytest.raises(ConfigError) as info:
        load_http_config(config)
    message = str(info.value)
    assert f"{config}:4" in message
    assert "headers.Authorization" in message
    assert "$APP_TOKEN" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("url: http://x\nbogus: 1\n", r"app\.yaml:2: bogus: unknown field"),
        ("url: ftp://x\n", r"app\.yaml:1: url: .*http://"),
        ("url: http://x\nresponse_path: 'a[['\n", r"app\.yaml:2: response_path: .*JMESPath"),
        ("url: http://x\ntimeout: -1\n", r"app\.yaml:2: timeout"),
        ("url: http://x\nmethod: DELETE\n", r"app\.yaml:2: method"),
        ("body: {}\n", r"app\.yaml:1: url: Field required"),
        ("url: [unclosed\n", r"app\.yaml:2: invalid YAML"),
        ("- just a list\n", r"app\.yaml:1: expected a mapping with at least `url`"),
    ],
)
def test_config_errors_name_file_line_and_field(tmp_path, text, expected):
    path = tmp_path / "app.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=expected):
        load_http_config(path)


def test_missing_file_and_missing_option(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.yaml: target config not found"):
        build_target(TargetSpec(kind="http", config_file=tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="--target-config"):
        build_target(TargetSpec(kind="http"))


def test_fill_template_is_structural():
    messages = [{"role": "user", "content": 'a "b"'}]
    filled = fill_template(
        {"a": "{{prompt}}", "b": ["{{messages}}", 3], "c": "<{{prompt}}>", "d": None},
        prompt='a "b"',
        messages=messages,
    )
    assert filled == {"a": 'a "b"', "b": [messages, 3], "c": '<a "b">', "d": None}


def test_http_target_repr_has_no_headers(tmp_path, monkeypatch):
    monkeypatch.setenv("APP_TOKEN", TOKEN)
    config, secrets = load_http_config(write_config(tmp_path, "http://127.0.0.1:1"))
    target = HTTPTarget(config=config, name="http:app.yaml", secrets=secrets)
    assert secrets == [TOKEN]
    assert TOKEN not in repr(target) and TOKEN not in target.name
