"""Preference files: what DPO reads, and the FILE:LINE errors for bad lines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from redline.alignment.dpo_gguf import gguf_tensor_name, to_llama_cpp_rows
from redline.alignment.dpo_records import (
    PreferenceRecord,
    assistant_turn,
    read_preferences,
    write_records,
)
from redline.core import ConfigError, Message


def _pair(prompt: str, chosen: str, rejected: str) -> dict[str, object]:
    return {
        "prompt": [{"role": "user", "content": prompt}],
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
    }


def test_records_round_trip(tmp_path: Path) -> None:
    record = PreferenceRecord(
        prompt=[Message(role="user", content="hi")],
        chosen=assistant_turn("hello"),
        rejected=assistant_turn("go away"),
        meta={"source": "test"},
    )
    path = tmp_path / "p.jsonl"
    assert write_records(path, [record]) == 1
    assert read_preferences(path) == [record]


def test_bad_lines_are_reported_with_file_line_and_field(tmp_path: Path) -> None:
    lines = [
        _pair("ok", "yes", "no"),
        {"prompt": [{"role": "user", "content": "x"}], "chosen": [{"role": "assistant"}]},
        _pair("same", "identical", "identical"),
        {**_pair("roles", "a", "b"), "chosen": [{"role": "user", "content": "a"}]},
    ]
    path = tmp_path / "prefs.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n{not json\n", "utf-8")
    with pytest.raises(ConfigError) as error:
        read_preferences(path)
    message = str(error.value)
    assert f"{path}:2: rejected" in message
    assert f"{path}:3: chosen and rejected are identical" in message
    assert f"{path}:4: chosen: only assistant messages" in message
    assert f"{path}:5: invalid JSON" in message
    assert f"{path}:1:" not in message


def test_an_empty_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n", "utf-8")
    with pytest.raises(ConfigError, match=r"empty\.jsonl"):
        read_preferences(path)


def test_gguf_names_follow_llama_cpp() -> None:
    assert gguf_tensor_name("model.embed_tokens.weight") == "token_embd.weight"
    assert gguf_tensor_name("model.layers.7.self_attn.o_proj.weight") == "blk.7.attn_output.weight"
    assert gguf_tensor_name("model.layers.0.mlp.down_proj.weight") == "blk.0.ffn_down.weight"
    assert gguf_tensor_name("model.layers.0.rotary_emb.inv_freq") is None


def test_query_rows_round_trip_through_transformers_reader() -> None:
    # transformers undoes llama.cpp's rotary row order when it reads a GGUF; writing
    # must redo it exactly, for both the query (9 heads) and the key (3 heads) shapes.
    from transformers.modeling_gguf_pytorch_utils import LlamaTensorProcessor

    rng = np.random.default_rng(0)
    for heads, kv_heads, rows in ((9, 9, 576), (9, 3, 192)):
        hf = rng.standard_normal((rows, 576)).astype(np.float32)
        written = to_llama_cpp_rows(hf, kv_heads)
        assert not np.array_equal(written, hf)
        processor = LlamaTensorProcessor(
            config={"num_attention_heads": heads, "num_key_value_heads": kv_heads}
        )
        name = "blk.0.attn_q.weight" if heads == kv_heads else "blk.0.attn_k.weight"
        read_back = processor.process(written, name).weights
        np.testing.assert_array_equal(read_back, hf)
